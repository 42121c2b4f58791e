/* select.h - choose the victim of a scope, as select_bad_process() would, quickly */
#ifndef OOMREAPER_SELECT_H
#define OOMREAPER_SELECT_H

#include "proc.h"
#include "rank.h"
#include "scope.h"
#include "share.h"

struct rule;
struct rule_memos;

/* Who is chosen: the kernel's largest badness, or the fastest growth since the last look */
enum policy { POLICY_LARGEST, POLICY_FASTEST_GROWING };

/* What a selection needs, and the buffers it reuses from one call to the next */
struct selector {
	int proc_fd;
	pid_t self;
	int threads;
	mm_cmp_fn same_mm;	/* kcmp_vm, or a fixture's comparison */
	void *same_mm_ctx;
	const struct rule *rules;	/* prefer / avoid / ignore (config.h), or none */
	int nrules;
	const struct rule_memos *memos;	/* their verdicts judged ahead (rules.h), or NULL */
	enum policy policy;	/* largest (the kernel's), or fastest-growing */
	/* buffers, grown on demand */
	pid_t *pids;
	long *scores;
	int *order;
	int *fds;
	pid_t *pinners;		/* the processes that could pin a candidate's mm */
	int *adjs;		/* a cgroup scope's oom_score_adj, by index */
	long *bounds;		/* the most badness each could have in the scope */
	int cap;
	/* oom_score files held open between calls (selector_hold_files) */
	int hold;
	pid_t *held_pids;	/* ascending */
	int *held_fds;
	int n_held;
	/* fastest-growing: each candidate's size at the last selection */
	struct growth *grown;
	int n_grown, cap_grown;
	long long grown_at;
};

struct growth {
	pid_t pid;
	unsigned long long start_time;
	long points;
};

struct choice {
	bool found;
	struct proc_info victim;	/* read in detail, badness and score set */
	int scanned;			/* processes in the scope */
	int detailed;			/* processes read in detail to decide */
	/*
	 * The most badness any other candidate of the scope could have had (LONG_MAX when the
	 * selection cannot tell): the victim's lead. While the memory taken since is less than
	 * that lead, no one can have grown past the victim, and a victim chosen ahead stays right.
	 */
	long others_bound;
};

/*
 * Chooses the victim of the scope: the eligible process of highest badness (rank.h).
 *
 * Global scope: the kernel already publishes its badness, quantised, as oom_score. Reading
 * that one file per process ranks everyone; only processes whose score leaves room to beat
 * the best found so far are read in detail, so the choice is the one a full scan makes at
 * about the cost of one small read per process. Sharing with a protected process is checked
 * against the processes the kernel scores 0 (init, -1000, ...) and against ourselves.
 *
 * Cgroup scope: oom_score uses the global totalpages, so a process's oom_score_adj counts in
 * it for another amount than in the cgroup's OOM. With the adj read as well, each score still
 * bounds the badness in the scope, and the same walk applies: detail only while a bound leaves
 * room to beat the best. The choice is checked against protected sharers anywhere on the
 * machine.
 *
 * Rules (sel->rules): prefer and avoid add their weight in oom_score_adj units to the badness;
 * ignore excludes the process and everything that shares its memory.
 *
 * Policy fastest-growing: every process is read in detail, and the one whose memory grew
 * most since the last selection is chosen (the kernel's oom_kill_allocating_task, in
 * userspace); when nothing grew, or on a first call, the largest.
 *
 * Returns 0 (c->found says whether there was a victim), or -errno.
 */
int select_victim(struct selector *sel, const struct scope *s, struct choice *c);

/*
 * Makes later global selections hold each process's oom_score open, at most max of them
 * (raising the soft RLIMIT_NOFILE to the hard one for room): a selection then costs a pread
 * per process instead of an open, a read and a close. The price is kernel memory, about
 * 4.5 kB per file (a struct file and the seq_file's page). For a daemon that selects often.
 * Returns how many may be held.
 */
int selector_hold_files(struct selector *sel, int max);

/* rank_exclusion(), then the rules: sets p->rule_delta and p->rule. */
enum exclusion select_exclusion(const struct selector *sel, struct proc_info *p);

/*
 * Lists every pid of the machine into sel->pids, growing the buffers (with room to spare)
 * until they fit: once called at start-up, a selection on a machine of about the same
 * size allocates nothing. Returns how many, or -errno.
 */
int select_all_pids(struct selector *sel);

void selector_free(struct selector *sel);

#endif
