/* cgkill.h - kill every process of a cgroup: cgroup.kill on v2, freeze-signal-thaw on v1 */
#ifndef OOMREAPER_CGKILL_H
#define OOMREAPER_CGKILL_H

#include "kill.h"
#include "scope.h"

/*
 * Kills every process of the scope's cgroup and its descendants, opening a pidfd on each
 * (held for the reap) before the kill. v2: one write to cgroup.kill, which the kernel
 * applies to the whole subtree. v1: freeze the cgroup through the freezer hierarchy where
 * a freezer cgroup of the same path exists, so nothing forks or escapes between listing
 * and signalling; SIGKILL each pidfd; thaw so the signals land; again until it is empty
 * or deadline_ms passes.
 *
 * The pidfds go into victims[0..nv-1], each marked independent (their mms are unrelated),
 * VICTIM_MAX_MEMBERS each. Returns the number of victims filled (0 when the cgroup was
 * empty), or -errno; *killed counts the processes signalled.
 */
int cgroup_kill(const struct scope *s, int proc_fd, struct victim *victims, int nv,
		int deadline_ms, int *killed);

#endif
