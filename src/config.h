/* config.h - the daemon's configuration: an INI file, then the command line */
#ifndef OOMREAPER_CONFIG_H
#define OOMREAPER_CONFIG_H

#include <limits.h>
#include <stdio.h>
#include <stdbool.h>

#include "decide.h"
#include "hookcmd.h"
#include "rules.h"

#define CONFIG_DEFAULT_PATH "/etc/oomreaper.conf"
#define CONFIG_MAX_SCOPES 16
#define CONFIG_MAX_RULES 32
/* The longest line of a configuration file: a kubelet cgroup path is ~250 bytes */
#define CONFIG_MAX_LINE 4096
/* The largest size a level may be: 1 EiB, more than any machine, far from overflowing */
#define LEVEL_MAX_KB (1ULL << 50)

/*
 * Whom a kill takes besides the victim and its sharers: nobody; every process of the victim's
 * own cgroup (memory.oom.group's meaning: a container, a systemd unit); every process of the
 * scope (a cgroup scope only: for the whole machine that would be everyone)
 */
enum group_kill_mode { GROUP_KILL_NO, GROUP_KILL_LEAF, GROUP_KILL_SCOPE };

struct scope_conf {
	char cgroup[PATH_MAX];		/* empty for the whole machine */
	struct thresholds th;
	enum group_kill_mode group_kill;
	int group_kill_line;		/* where it was set, as line[] */
	int line[3];			/* where mem_min, mem_kill, swap_min were set: a line of
					 * the file, -1 a flag, 0 the default */
	bool qos_order;			/* a pod's QoS class before badness (select.h) */
	struct hook_cmd warn_exec;	/* run when the scope enters its warning band */
	struct hook_cmd post_kill_exec;	/* run once each victim is gone, reaped or stuck */
};

struct config {
	char path[PATH_MAX];		/* the file it came from, "" for built-in defaults */
	bool dry_run;
	int grace_ms;
	int deadline_ms;
	int reap_delay_ms;
	enum policy policy;
	char log_json[PATH_MAX];	/* "" none, "-" stdout, else a file */
	char socket[108];		/* status socket: "" the default place, "no" none */
	char metrics_file[PATH_MAX];	/* Prometheus textfile; "" none */
	int hook_timeout_ms;		/* a hook still running then gets SIGKILL */
	char events_socket[PATH_MAX];	/* "" none, else the events socket's path (events.h) */
	int setting_line;		/* the file's line config_set() is given, -1 a flag */
	struct scope_conf scopes[CONFIG_MAX_SCOPES];
	int nscopes;
	struct rule rules[CONFIG_MAX_RULES];
	int nrules;
};

/* The built-in defaults: the whole machine, mem_min 10 %, mem_kill 5 %, swap_min 10 %,
 * no PSI trigger, horizon 0.1 s, no grace, deadline 5 s, reap delay 2 s, policy largest. */
void config_defaults(struct config *c);
struct thresholds thresholds_default(void);

/*
 * Loads an INI file over the defaults. On an error writes "FILE:LINE: what" (or "FILE: what")
 * into err and returns -EINVAL (bad content) or -errno (unreadable). c is then unusable:
 * load into a scratch config and copy it over the running one only on success.
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/*
 * One setting, as a key of the file's sections would be, for the command line's flags:
 * section "oomreaper" or "scope" (the first scope). Returns 0, or -EINVAL with err set.
 */
int config_set(struct config *c, const char *section, const char *key, const char *value,
	       char *err, size_t errlen);

/* Parses "10%", "512M", "2G", "65536K", "1048576" (bytes), decimal only, into a level.
 * 0, -EINVAL, or -ERANGE above 100 % or LEVEL_MAX_KB. */
int parse_level(const char *s, struct level *l);

/* mem_min (k 0), mem_kill (1) or swap_min (2) of t */
struct level *level_of(struct thresholds *t, int k);

/*
 * A scope's levels against each other and against its memory, total_kb (0 when not known:
 * then only levels of one unit are compared): mem_min and mem_kill at most the total,
 * mem_kill at most mem_min. Returns 0, or -EINVAL with "FILE:LINE: [scope]: what" in err
 * (the line where the level was set, or its flag).
 */
int thresholds_check(const struct config *c, const struct scope_conf *s,
		     unsigned long long total_kb, char *err, size_t len);

/* Parses "some:60:30" or "full:PCT:SECONDS" into t's PSI fields; "off" clears them. */
int parse_psi(const char *s, struct thresholds *t);

/* Parses "no", "leaf" or "scope". Returns 0, or -EINVAL. */
int parse_group_kill(const char *s, enum group_kill_mode *g);
const char *group_kill_name(enum group_kill_mode g);

/* Parses "largest", "fastest-growing" or "largest-cgroup". Returns 0, or -EINVAL. */
int parse_policy(const char *s, enum policy *p);
const char *policy_name(enum policy p);

/*
 * A scope's group_kill against the scope: "scope" is refused for the whole machine, where it
 * would kill every process there is. Returns 0, or -EINVAL with "FILE:LINE: [global]: what"
 * (or "--group-kill: ...") in err.
 */
int group_kill_check(const struct config *c, const struct scope_conf *s, char *err, size_t len);

/* Forgets the rules (nothing of theirs is allocated). */
void config_free(struct config *c);

/* Writes the configuration as an INI file would hold it, for check-config. */
void config_print(const struct config *c, FILE *f);

/* Writes "FILE:LINE: warning: ..." to f for each rule of c that the processes it judges can
 * steer (rule_gameable(): ignore or avoid on comm or cmdline alone). */
void rules_warn(const struct config *c, FILE *f);

#endif
