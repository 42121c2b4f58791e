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
	pid_t self;			/* oomreaper's pid: never signalled */
	int deadline_ms;
	struct victim *victims;		/* their room made before (victim_reserve) */
	int nv;
	struct spared *spared;		/* the first spared_cap spared processes */
	int spared_cap;
	/* out */
	int killed;			/* processes signalled */
	int nspared;			/* processes spared (may exceed spared_cap) */
	int left;			/* processes neither spared nor held: left alive */
};

/*
 * Kills every process of the scope's cgroup and its descendants but those the kernel's
 * group kill spares (group_kill_spares: oom_score_adj -1000, init, and oomreaper itself),
 * opening a pidfd on each (held for the reap) before the kill. v2: one write to cgroup.kill,
 * which the kernel applies to the whole subtree, when nobody is to be spared; else, as v1,
 * a pidfd each. v1: freeze the cgroup through the freezer hierarchy where a freezer cgroup
 * of the same path exists (and oomreaper is not in it), so nothing forks or escapes between
 * listing and signalling; SIGKILL each pidfd; thaw so the signals land; again until no new
 * process shows or g->deadline_ms passes.
 *
 * The pidfds go into g->victims, each marked independent (their mms are unrelated), as many
 * as each has room for. Returns the number of victims filled (0 when there was nobody to
 * kill), or -errno.
 */
int cgroup_kill(const struct scope *s, int proc_fd, struct group_kill *g);

#endif
