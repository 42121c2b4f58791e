/* cgkill.h - kill every process of a cgroup: cgroup.kill on v2, freeze-signal-thaw on v1 */
#ifndef OOMREAPER_CGKILL_H
#define OOMREAPER_CGKILL_H

#include "kill.h"
#include "scope.h"

/* A process of the cgroup that the group kill leaves alone, and why */
struct spared {
	pid_t pid;
	char comm[COMM_LEN];
	enum exclusion why;		/* group_kill_spares(): init, -1000, oomreaper */
};

/* What a whole-cgroup kill is given, and what it did */
struct group_kill {
	pid_t self;			/* oomreaper's pid: never signalled, nor its children */
	int deadline_ms;
	struct victim *victims;		/* their room made before (victim_reserve); victims[0]
					 * may hold members already (the daemon's victim and its
					 * sharers), which are kept and signalled with the rest */
	int nv;
	pid_t *pids;			/* room for one round's pids, made before */
	int pids_cap;
	struct spared *spared;		/* the first spared_cap spared processes */
	int spared_cap;
	/* out */
	int killed;			/* processes signalled (those held before included) */
	int nspared;			/* processes spared (may exceed spared_cap) */
	int left;			/* processes neither spared nor killed: left alive */
	int unheld;			/* killed with no room to hold them for the reap */
	unsigned long freed_kb;		/* resident memory of members that exited during the
					 * kill, whose places were given to others */
};

/*
 * Whether a group kill leaves p alone: whom the kernel's oom_kill_memcg_member() leaves
 * (group_kill_spares(): -1000, init, kernel threads, oomreaper itself), and oomreaper's own
 * children (a rehearsal's understudy, a hook), which it waits for itself. Sets *why.
 */
bool cgroup_kill_spares(const struct proc_info *p, pid_t self, enum exclusion *why);

/*
 * Kills every process of the cgroup s (its directory and descendants) but those the kernel's
 * group kill spares (group_kill_spares: oom_score_adj -1000, init, kernel threads, oomreaper
 * itself) and oomreaper's own children, opening a pidfd on each (held for the reap) before
 * the kill. v2: one write to cgroup.kill, which the kernel applies to the whole subtree, when
 * nobody is to be spared; a pidfd each as well. v1: freeze the cgroup through the freezer
 * hierarchy where a freezer cgroup of the same path exists (and oomreaper is not in it), so
 * nothing forks or escapes between listing and signalling; SIGKILL each pidfd; thaw so the
 * signals land; again until a round finds nobody new or g->deadline_ms passes.
 *
 * Allocates nothing: each round lists at most g->pids_cap pids (the rest come in the next
 * rounds), a member that has exited gives its place to a newcomer, and a process for which
 * there is no room left is killed through a pidfd it does not keep (g->unheld: not reaped).
 * The members go into g->victims, marked independent (their mms are unrelated). Returns the
 * number of victims filled (0 when there was nobody to kill), or -errno.
 */
int cgroup_kill(const struct scope *s, int proc_fd, struct group_kill *g);

/*
 * Opens the cgroup that holds pid, as a scope cgroup_kill() takes (kind, path, dir_fd): for
 * kind SCOPE_GLOBAL the memory controller's hierarchy (v1 where it is mounted, else v2).
 * within: the cgroup scope it must lie in, or NULL. pids, cap: room to check that pid is
 * listed there (the path was made from text). Returns 0, or -errno: -ENOENT (no such line),
 * -EPERM (the root cgroup), -EXDEV (outside within), -ESRCH (pid is not in it).
 */
int cgroup_leaf_open(int proc_fd, pid_t pid, enum scope_kind kind, const char *within,
		     pid_t *pids, int cap, struct scope *leaf);

/* Why cgroup_leaf_open() failed with err, as the end of "killed the victim alone: ..." */
const char *cgroup_leaf_refused(int err);

#endif
