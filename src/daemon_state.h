/* daemon_state.h - the daemon's state: the scopes it watches (struct watch), the victims it
 * holds (struct slot) and the daemon itself (struct daemon), passed as an argument to its loop
 * and set-up (daemon.c), a scope's course (watch.c, follow.c) and its lines (daemon_log.c).
 * Structures only: what acts on them is declared by watch.h and daemon_log.h. */
#ifndef OOMREAPER_DAEMON_STATE_H
#define OOMREAPER_DAEMON_STATE_H

#include <limits.h>
#include <stdbool.h>

#include "config.h"
#include "decide.h"
#include "group.h"
#include "events.h"
#include "hooks.h"
#include "kill.h"
#include "reap.h"
#include "sample.h"
#include "scope.h"
#include "select.h"
#include "serve.h"
#include "stats.h"

struct cli;
struct daemon;
struct daemon_args;

/* Victims: one chosen ahead and one in flight per scope, made at start-up */
#define POOL (2 * CONFIG_MAX_SCOPES)

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_INFLIGHT, SLOT_DRAINING };

struct slot {
	struct victim v;
	enum slot_state state;
	bool submitted;			/* handed to the reaper: freed only once it is done */
	bool exit_logged, reap_logged;
	bool ahead;			/* chosen ahead in the warning band, not at the trigger */
	bool identified;		/* v.id parsed from the note's cgroup (watch.c identify) */
	long long reaped_at;		/* when the loop first saw it reaped, not exited; 0 */
};

/*
 * What the kill's event and the post-kill hook say of a slot's victim: the choice, noted when
 * it was chosen, and the trigger, when it fired. Beside the slots (struct daemon), not in
 * them, so that what start-up touches of each slot stays small and the notes are touched
 * only once written.
 */
struct slot_note {
	int candidates, scanned;
	long long select_us;
	bool has_runner_up;
	pid_t runner_up_pid;
	char runner_up_comm[COMM_LEN];
	long runner_up_badness;
	struct decision fired;		/* trigger TRIG_NONE until one fires */
	char cgroup[PATH_MAX];		/* the victim's (the memory controller's, v1); "" unknown */
	struct choice_cgroup cg;	/* policy largest-cgroup: the cgroup chosen, or why the
					 * victim stands alone */
	/* where the victim was in the scope's own hierarchy when chosen
	 * (victim_cgroup_path()); "" unknown */
	char member_path[PATH_MAX];
};

struct watch {
	const struct scope_conf *conf;
	struct scope scope;
	struct decider dec;
	struct selector sel;
	struct sample_files files;
	char name[PATH_MAX + 32];
	struct slot *ready;		/* chosen in the warning band, pidfds held */
	long long ready_at;
	unsigned long long ready_avail;
	unsigned long long ready_held;	/* sample.held_kb then; ready_has_held when known */
	bool ready_has_held;
	long ready_lead_bound;		/* choice.others_bound of the ready victim */
	struct slot *inflight;		/* blocks kills in this scope (docs/design.md,
					 * invariant 5) */
	long long deadline;
	long long escalate_at;		/* SIGKILL after SIGTERM's grace; 0 when none */
	long long quiet_until;		/* dry-run: a would-be victim blocks as a real one */
	long long fired_at;		/* when the sample that fired the trigger was read */
	bool said_nothing;		/* "no victim" said once per episode */
	char why[160];			/* why choose() found nobody */
	long long next_ns;
	int event_fd;			/* PSI trigger, v1 OOM eventfd or v2 memory.events */
	int control_fd;			/* what the v1 eventfd is registered against */
	int level_fd;			/* v1: usage thresholds at the band's edge, mem_min */
	unsigned long long levels_total_kb, levels_min_kb; /* what they were armed for */
	bool gone;			/* the cgroup was removed: waiting for its path */
	bool said_refused;		/* back, but not watchable: said once */
	int back_fd;			/* while gone: inotify on the parent, for its return */
	struct group_state group;	/* the group kill of the victim in flight (group.h) */
	struct scope_stats st;		/* what status and the metrics show of it (stats.h) */
};

/*
 * What a watch does to the world goes through these: the live ones (watch_ops_live), or a
 * unit test's, which drives a watch on a series of samples and fakes the kill
 * (tests/unit/test_watch.c). Plain calls through pointers: nothing on the kill path changes.
 */
struct watch_ops {
	/* samples w's scope (follow.c: watch_sample) */
	int (*sample)(struct daemon *dmn, struct watch *w, struct sample *smp);
	/* chooses and holds w's victim in a slot (watch_choose) */
	struct slot *(*choose)(struct daemon *dmn, struct watch *w, long *others_bound);
	/* signals every member (kill.h: victim_signal) */
	int (*signal)(struct victim *v, int sig);
	/* hands the victim to the reaper (reap.h: reaper_submit) */
	int (*submit)(struct reaper *r, struct victim *v);
};

struct daemon {
	const struct watch_ops *ops;	/* watch_ops_live, but in a test */
	struct cli *cli;
	const struct daemon_args *args;
	struct config *conf;		/* the running one: first_conf, or reload()'s spare */
	struct config *first_conf;	/* the caller's */
	struct watch w[CONFIG_MAX_SCOPES];
	int nw;
	struct slot pool[POOL];
	struct slot_note notes[POOL];	/* pool[i]'s is notes[i] */
	struct reaper reaper;
	int epfd, sfd, log_fd;
	unsigned long log_failures;	/* JSON lines that could not be written */
	long watchdog_ms;
	long long next_watchdog;
	double fill_capacity;		/* kB/s the machine can fill, measured at start */
	struct victim rehearsal;	/* settle()'s victim: a child of ours */
	bool rehearsal_stuck;		/* the reaper never gave its word on it: not again */
	char probed[2048];		/* what probe() found, said once started */
	struct victims_done done;	/* let go while alive: never chosen again */
	long aborts;			/* kills called off: memory back before the signal */
	long test_stall_ms;		/* test hook: choosing takes this long */
	pid_t *group_pids;		/* a group kill's rounds of pids (group_reserve) */
	struct scope group_leaf;	/* the victim's own cgroup, open while it is killed */
	struct hooks hooks;		/* warn_exec and post_kill_exec running */
	struct events events;		/* the events socket's subscribers */
	struct rule_memos memos;	/* the rules' verdicts, judged ahead in the loop */
	long long next_memos;
	long long next_status;		/* STATUS= again no sooner than this */
	struct line status;		/* the STATUS= last sent: sent again only changed */
	bool stop;
	/* what status, top and the metrics file show (observe.h) */
	struct stats stats;
	struct server server;
	long long start_ns, start_real_ms;
	long long next_metrics;		/* the metrics file is written again then, */
	unsigned long long metrics_events; /* or when stats.events has moved past this */
	bool metrics_said;		/* a failed write said once */
};

/* epoll tags: what woke us */
enum { EV_SIGNAL = 1, EV_REAPER, EV_SCOPE, EV_SERVE, EV_HOOK, EV_EVENTS };

static inline struct slot_note *slot_note(struct daemon *dmn, const struct slot *s)
{
	return &dmn->notes[s - dmn->pool];
}

static inline long long ms_between(long long a, long long b)
{
	return (b - a) / 1000000;
}

#endif
