/* select.h - choose the victim of a scope, as select_bad_process() would, quickly */
#ifndef OOMREAPER_SELECT_H
#define OOMREAPER_SELECT_H

#include "cgrank.h"
#include "proc.h"
#include "rank.h"
#include "rules.h"
#include "scope.h"
#include "share.h"

struct victim;

/*
 * The victims a daemon is done with while they still live: reaped, or past their deadline.
 * The kernel marks such an mm MMF_OOM_SKIP and never selects it again; the oldest entries
 * make room for new ones. Filled by the daemon, read by selection.
 */
#define VICTIMS_DONE_MAX 256

struct victims_done {
	struct {
		pid_t pid;
		unsigned long long start_time;
	} e[VICTIMS_DONE_MAX];
	int next;
};

void victims_done_add(struct victims_done *d, pid_t pid, unsigned long long start_time);
bool victims_done_has(const struct victims_done *d, pid_t pid, unsigned long long start_time);
struct rule_memos;

struct selector_buffers;

/* What a selection is asked to do: its settings, set by the caller */
struct selector {
	int proc_fd;
	pid_t self;
	int threads;
	mm_cmp_fn same_mm;	/* kcmp_vm, or a fixture's comparison */
	void *same_mm_ctx;
	const struct rule *rules;	/* prefer / avoid / ignore (rules.h), or none */
	int nrules;
	const struct rule_memos *memos;	/* their verdicts judged ahead (rules.h), or NULL */
	enum policy policy;	/* largest (the kernel's), fastest-growing, largest-cgroup */
	/*
	 * qos_order: a pod's QoS class before badness, BestEffort, then Burstable, then
	 * Guaranteed, then processes in no pod (qos_rank_of in select.c); each candidate's
	 * cgroup file is read for it
	 */
	bool qos_order;
	/*
	 * NULL: a process already dying is never chosen (a manual kill takes the next one, as
	 * SysRq-f does). Set (the daemon): it is a candidate like any other until it is in
	 * this list, so that its memory is reaped rather than an innocent killed for it.
	 */
	const struct victims_done *done;
	/*
	 * When set, the selection's check of its winner's group (select_group) gathers the
	 * group into it, and victim_gather() need not make that pass of kcmp over every
	 * process again
	 */
	struct victim *group;
	/* how many oom_score files to hold open between calls (selector_hold_files) */
	int hold;
	/* what it reuses from one call to the next: select.c's own, made by the first call and
	 * freed by selector_free(); NULL (zero) in a new selector */
	struct selector_buffers *buf;
};

struct choice {
	bool found;
	struct proc_info victim;	/* read in detail, badness and score set */
	int scanned;			/* processes in the scope */
	int detailed;			/* processes read in detail to decide */
	int candidates;			/* of those, the eligible ones: judged and ranked */
	long long select_us;		/* how long the selection took, in us */
	/*
	 * The runner-up, from the same walk: it reads on past the victim while a process not
	 * yet read could still beat the best other (at most RUNNER_UP_READS_MAX more reads).
	 * Under fastest-growing, the next by badness of the others.
	 */
	bool has_runner_up;
	struct proc_info runner_up;	/* its cgroup NULL */
	/*
	 * The most badness any other candidate of the scope could have had (LONG_MAX when the
	 * selection cannot tell): the victim's lead. While the memory taken since is less than
	 * that lead, no one can have grown past the victim, and a victim chosen ahead stays right.
	 */
	long others_bound;
	/*
	 * Policy largest-cgroup: the leaf cgroup chosen to be killed whole (whole set; the victim
	 * is its largest process, killed first), or why the victim stands alone
	 */
	struct choice_cgroup {
		bool whole;
		int single;		/* enum cg_single (cgrank.h) of a victim killed alone */
		char path[PATH_MAX];	/* the cgroup's directory */
		int members;		/* its processes */
		int eligible;		/* of those, the ones whose badness is summed */
		long badness;		/* the sum */
		unsigned long rss_kb;	/* their resident memory */
		int units;		/* units ranked: whole cgroups and single processes */
	} cg;
};

/*
 * Chooses the victim of the scope: the eligible process of highest badness (rank.h).
 *
 * Global scope: the kernel already publishes its badness, quantised, as oom_score. Reading
 * that one file per process ranks everyone; only processes whose score leaves room to beat
 * the best found so far are read in detail, so the choice is the one a full scan makes at
 * about the cost of one small read per process.
 *
 * Cgroup scope: oom_score uses the global totalpages, so a process's oom_score_adj counts in
 * it for another amount than in the cgroup's OOM. With the adj read as well, each score still
 * bounds the badness in the scope, and the same walk applies: detail only while a bound leaves
 * room to beat the best.
 *
 * Either way the winner's address-space group is checked as the kill gathers it
 * (select_group, against every process of the machine): a winner the kill would refuse is
 * passed over and the next one chosen, in the same call.
 *
 * Rules (sel->rules): prefer and avoid add their weight in oom_score_adj units to the badness;
 * ignore excludes the process and everything that shares its memory.
 *
 * Policy fastest-growing: every process is read in detail, and the one whose memory grew
 * most since the last selection is chosen (the kernel's oom_kill_allocating_task, in
 * userspace); when nothing grew, or on a first call, the largest.
 *
 * Policy largest-cgroup: every process is read in detail, and with its cgroup grouped into
 * units (cg_rank(): leaf cgroups below the scope, whole; the others' processes one by one);
 * the victim is the best unit's largest process, and c->cg says whether its cgroup is to be
 * killed whole. The runner-up is the next unit's largest process, with the unit's badness.
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

/*
 * Opens the oom_score files of the cgroup scope's members that a daemon's selections hold,
 * once, after a first selection that read status instead and opened none (status_first()):
 * called while memory is plentiful, so that the first selection under pressure reads them
 * with a pread each rather than opening them all. Nothing for a global scope, whose
 * selections always hold them, nor when the files are held already. Returns 0 or -errno.
 */
int selector_hold_now(struct selector *sel, const struct scope *s);

/* rank_exclusion(), then the rules: sets p->rule_delta and p->rule. */
enum exclusion select_exclusion(const struct selector *sel, struct proc_info *p);

/*
 * select_exclusion() with the rules applied to what p is now (its exe, cmdline, cgroup), not
 * the verdicts judged ahead (sel->memos), which an exec or a move outdates: for a victim about
 * to be chosen or killed, and what shares its memory.
 */
enum exclusion select_exclusion_now(const struct selector *sel, struct proc_info *p);

/*
 * The address-space group of p, as __oom_kill_process() kills it: every process of
 * pids[0..n-1] whose mm is p's (sel->same_mm), and oomreaper itself, compared. A sharer that
 * is protected (select_exclusion: init, oom_score_adj -1000, oomreaper, an ignore rule) pins
 * the mm: killing the others would free nothing. The others are added to v, when v is not
 * NULL (growing its room). Returns the number of sharers; -EPERM when one is protected
 * (*pinned names it); -ENOMEM when v cannot grow.
 */
int select_group(const struct selector *sel, const struct proc_info *p, const pid_t *pids,
		 int n, struct victim *v, pid_t *pinned);

/*
 * The one judgement of a process, which selection (per candidate and per winner), `kill
 * --pid`, `explain`, the daemon and its rehearsal all come to: whether pid may be chosen in
 * the scope s, and what must die with it. Reads pid in detail into p and applies
 * rank_exclusion() (init, kernel threads, oomreaper, -1000, no mm, dying), the vfork rule,
 * the rules, the scope's membership (a cgroup's subtree), then select_group() against
 * pids[0..n-1], every process of the machine. Sets p->excl (and p->excl_pid for a protected
 * sharer) and, when eligible, p->badness; fills v with the group when v is not NULL.
 * Returns EXCL_NONE (0) when pid may be chosen, the exclusion when not, or -errno.
 */
int select_judge(const struct selector *sel, const struct scope *s, pid_t pid, const pid_t *pids,
		 int n, struct proc_info *p, struct victim *v);

/*
 * Lists every pid of the machine into selector_pids(sel), growing the buffers (with room to spare)
 * until they fit: once called at start-up, a selection on a machine of about the same
 * size allocates nothing. Returns how many, or -errno.
 */
int select_all_pids(struct selector *sel);

/*
 * Makes the buffers room enough for every process of the machine, as select_all_pids()
 * would, without listing them: from the number of threads /proc/loadavg gives (every process
 * has one), which costs one small read where a listing of 30,000 processes costs some 20
 * ms. Lists them where loadavg cannot be read (a fixture tree). Returns the room, or -errno.
 */
int selector_reserve(struct selector *sel);

/*
 * Policy largest-cgroup's candidates: each process of t (ranked) with the cgroup that holds
 * it (scope_cgroup_of(), a path strdup'd), NULL for the root, the scope's own cgroup, or one
 * that cannot be read: those are never killed whole. cand: room for t->n. Frees with
 * select_cg_cands_free(cand, t->n), which frees cand too.
 */
void select_cg_cands(int proc_fd, const struct scope *s, const struct proc_table *t,
		     struct cg_cand *cand);
void select_cg_cands_free(struct cg_cand *cand, int n);

/* Frees the selector's buffers; its settings stay, and a later call makes them again */
void selector_free(struct selector *sel);

/* The pids the last select_all_pids() listed (a cgroup selection leaves its members there) */
const pid_t *selector_pids(const struct selector *sel);
/* The oom_score of each of them, as the last global selection read it (-1 unreadable) */
const long *selector_scores(const struct selector *sel);
/* How many processes the buffers have room for */
int selector_room(const struct selector *sel);
/* How many oom_score files are held open now; *pids and *fds (when not NULL) their pids,
 * ascending, and their fds */
int selector_held(const struct selector *sel, const pid_t **pids, const int **fds);

#endif
