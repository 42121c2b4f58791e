/* rules.h - prefer / avoid / ignore: the user's word on top of the kernel's badness */
#ifndef OOMREAPER_RULES_H
#define OOMREAPER_RULES_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "pattern.h"
#include "proc.h"

#define CONFIG_MAX_UIDS 64

/*
 * what a rule matches: the first two a process chooses for itself, the others it cannot;
 * qos and unit come from the cgroup path (identity.h): a pod's QoS class ("guaranteed",
 * "burstable", "besteffort", "" in no pod), the innermost systemd unit ("" in none)
 */
enum rule_field { RULE_COMM, RULE_CMDLINE, RULE_CGROUP, RULE_USER, RULE_EXE, RULE_UID, RULE_QOS,
		  RULE_UNIT, RULE_FIELDS };
enum rule_action { RULE_PREFER, RULE_AVOID, RULE_IGNORE };

/*
 * prefer / avoid / ignore processes whose comm, cmdline, cgroup, user, exe, uid, qos or unit
 * matches a
 * pattern (pattern.h), and who run as one of users when that list is given; the
 * configuration's [rule] sections (config.h)
 */
struct rule {
	char name[64];
	int line;			/* of its first key in the file, for warnings */
	enum rule_field field;
	char pattern[PATTERN_MAX_LEN + 1];
	struct pattern re;
	bool compiled;
	enum rule_action action;
	int weight;			/* oom_score_adj units added (prefer) or taken (avoid) */
	uid_t uids[CONFIG_MAX_UIDS];	/* RULE_USER: the users matched, resolved at load */
	int nuids;
	uid_t only[CONFIG_MAX_UIDS];	/* users =: the real uids the rule is limited to */
	int nonly;
};

/*
 * Who is chosen: the kernel's largest badness, the fastest growth since the last look, or the
 * leaf cgroup whose processes weigh most together, killed whole (cgrank.h)
 */
enum policy { POLICY_LARGEST, POLICY_FASTEST_GROWING, POLICY_LARGEST_CGROUP };

struct rule_verdict {
	bool ignore;			/* never chosen, nor anything sharing its memory */
	long delta;			/* oom_score_adj units: + prefer, - avoid */
	const struct rule *by;		/* the last rule that matched, for the reason */
};

/* The most of a command line a cmdline rule sees: one page, one read */
#define RULES_CMDLINE_MAX 4096

/*
 * Applies the rules to p (comm and uid from p; cmdline, cgroup and exe read from proc_fd only
 * when a rule asks for them, into stack buffers). Allocates nothing; each rule costs at most
 * one pass over a bounded text (pattern.h). Returns 0, or -errno when a file a rule needs
 * cannot be read: then no rule is taken to match.
 */
int rules_apply(const struct rule *rules, int n, int proc_fd, const struct proc_info *p,
		struct rule_verdict *out);

/* The most the prefer rules can add together, in oom_score_adj units */
long rules_max_boost(const struct rule *rules, int n);

/*
 * The rules' verdicts on every process, judged off the kill path (at start-up, then by a
 * refresh now and then that judges only the processes new since), so that a selection
 * looks them up instead of reading cmdline, cgroup and exe and matching them. Without them a
 * prefer rule may lift any process, so every process's bound carries every prefer weight and
 * a selection reads all of them in detail: 4 s at 10,000 processes with twenty rules.
 */
struct rule_memo {
	unsigned long long ino;		/* its /proc/PID directory's (scan_pids_inos) */
	unsigned long long start_time;	/* with pid, the identity a selection checks */
	pid_t pid;
	int delta;			/* oom_score_adj units */
	short rule;			/* the last rule that matched, -1 for none */
	bool ignore;
	bool known;			/* judged; not yet when a refresh ran out of time */
};

struct rule_memos {
	const struct rule *rules;	/* the rules they are verdicts of */
	int nrules;
	struct rule_memo *v, *spare;	/* by pid, ascending; spare: the next refresh's */
	int n, cap;
	pid_t *pids;			/* a refresh's listing */
	unsigned long long *inos;
	long max_boost;
	long last_pid;			/* /proc/loadavg's at the last refresh, -1 unknown */
	int judged, unknown;		/* by the last refresh: new ones judged, left unjudged */
	int skipped;			/* refreshes that found no process created since */
};

/*
 * Lists proc_fd's processes, keeps the verdict of each one already judged (same pid, same
 * /proc directory) and judges the others until budget_ns is spent (0: no limit). Does nothing
 * when no process was created since the last one (the last pid /proc/loadavg shows has not
 * moved) and none is left to judge. For the daemon's loop and start-up, never a selection: it
 * reads and allocates. 0 or -errno.
 */
int rule_memos_refresh(struct rule_memos *ms, const struct rule *rules, int n, int proc_fd,
		       long long budget_ns);
void rule_memos_free(struct rule_memos *ms);

/*
 * The most the rules can add to pid's badness, in oom_score_adj units, for a selection's
 * bound. Without verdicts (ms NULL): every prefer weight (rules_max_boost). With them: what
 * its verdict adds, never below 0 (the pid may have been taken by a new process since, and an
 * avoid or ignore verdict must not hide that one from a selection); and 0 for a process not
 * judged yet, so that a fork storm at the kill costs no more than it does without rules: a
 * prefer reaches a process once the daemon has judged it, within a second of its start.
 */
long rules_boost(const struct rule_memos *ms, const struct rule *rules, int n, pid_t pid);

/*
 * rules_apply, answered from p's verdict when ms holds one of the same process (pid and
 * start time): no file read, no match. ms may be NULL.
 */
int rules_judge(const struct rule_memos *ms, const struct rule *rules, int n, int proc_fd,
		const struct proc_info *p, struct rule_verdict *out);

/*
 * Why an ignore or avoid rule can be steered by the processes it judges (it matches only on
 * what a process chooses for itself: comm, cmdline), or NULL.
 */
const char *rule_gameable(const struct rule *r);

#endif
