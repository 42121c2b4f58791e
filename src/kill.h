/* kill.h - kill a victim and every process sharing its memory, race-free, through pidfds */
#ifndef OOMREAPER_KILL_H
#define OOMREAPER_KILL_H

#include <stdbool.h>

#include "proc.h"
#include "select.h"
#include "share.h"
#include "victim.h"

/* Whether v holds chosen's group as the selection's check gathered it (selector.group):
 * then victim_gather() keeps it and needs no list of every process */
bool victim_gathered(const struct victim *v, const struct proc_info *chosen);

/*
 * The victim chosen and every process of pids[0..n-1] that shares its address space, each
 * with its identity: select_group(), the selection's own check of the group, filling v.
 * When the selection gathered chosen's group into v already (selector.group), it is kept.
 * Returns the number of members (at least 1); -EPERM when a sharer is protected (*pinned
 * names it); -ENOMEM when the room for the group cannot be made (nothing is to be killed).
 */
int victim_gather(struct victim *v, const struct selector *sel, const struct proc_info *chosen,
		  const pid_t *pids, int n, pid_t *pinned);

/*
 * Opens a pidfd on every member, then re-reads its start time: equal, the pidfd holds the
 * process that was chosen, not a newcomer that reused its pid.
 * Returns 0; -ESRCH when the chosen process is gone (nothing is signalled); -ESTALE when
 * the chosen process's pid now names another process (nothing is signalled). A sharer that
 * is gone or reused is dropped from the group. A sharer that is there but cannot be held
 * (-EMFILE, say) fails the whole open with that -errno: a group killed in part keeps its
 * memory, so none of it is signalled.
 */
int victim_open(struct victim *v, int proc_fd);

/*
 * Where pid is in the hierarchy of a scope of kind, as /proc/PID/cgroup says it (the v1 memory
 * controller's line, or v2's "0::" line): its cgroup's path, relative to the root of our
 * cgroup namespace, into where. Returns 0; 1 when that path lies outside the namespace's root
 * ("/.." of a cgroup namespace: none of our scopes holds it) or cannot be parsed; -errno when
 * it cannot be read, and for the global scope (it holds everyone).
 */
int victim_cgroup_path(int proc_fd, enum scope_kind kind, pid_t pid, char *where, size_t len);

/* The room a read of /proc/PID/cgroup is given: a text that fills it may be cut */
#define CGROUP_FILE_MAX 4096

/* The same from the text of /proc/PID/cgroup read already into CGROUP_FILE_MAX bytes (buf, n,
 * or a read's -errno): pure */
int victim_cgroup_path_of(const char *buf, ssize_t n, enum scope_kind kind, char *where,
			  size_t len);

/*
 * Whether the process m, whose victim_cgroup_path() was `was` when it was chosen, has left
 * that cgroup and every cgroup below it since: false when `was` is "" (unknown), when m's
 * cgroup cannot be read now, and when m is gone or exiting.
 */
bool victim_moved_out(int proc_fd, enum scope_kind kind, const char *was, const struct member *m);

/*
 * Sends sig to every member through its pidfd. Returns how many got it; v->unsignalled
 * counts those that did not and had not exited either.
 */
int victim_signal(struct victim *v, int sig);

/* Notes which members have exited (their pidfd is readable); true when all have. */
bool victim_poll_gone(struct victim *v);

void victim_close(struct victim *v);

#endif
