/* victim.h - a victim: the chosen process and the members of its address-space group, as the
 * selection gathers it (select.h), the kill signals it (kill.h) and the reaper frees it
 * (reap.h). The record alone, below all three. */
#ifndef OOMREAPER_VICTIM_H
#define OOMREAPER_VICTIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "identity.h"
#include "proc.h"

/*
 * Members a victim holds room for from start-up (victim_reserve). A larger group grows the
 * room while it is gathered, before anything is signalled: the group is killed whole or,
 * when the room cannot be made, not at all.
 */
#define VICTIM_MEMBERS_START 64
/* ... and the daemon's spare slots: a victim and a few sharers (watch.c slots_reserve) */
#define VICTIM_MEMBERS_SPARE 4
/* ... and its first slots when a scope kills groups (group_kill): a container's processes,
 * each held for its reap; a larger group's others are killed without it (cgkill.c) */
#define VICTIM_MEMBERS_GROUP 256

/* One process of a victim's address-space group, held by its pidfd */
struct member {
	pid_t pid;
	int pidfd;			/* -1 until opened */
	unsigned long long start_time;	/* identity read at selection */
	char comm[COMM_LEN];
	bool killed;			/* SIGKILL sent */
	bool gone;			/* exited (pidfd readable) */
	bool freed;			/* the reaper reaped it, or found it exited: its memory
					 * is back */
	unsigned long rss_kb;		/* resident when a group kill held it (cgkill.c); 0 for
					 * the victim and its sharers, whose memory v->chosen says */
};

/*
 * A victim: the chosen process and its sharers, and what happened to them. Its members live
 * in storage made at start-up (victim_reserve) and grown, when a group is larger, only while
 * the group is gathered; opening, signalling and following it allocate nothing.
 */
struct victim {
	struct proc_info chosen;	/* as read at selection: the report's fields */
	struct identity id;		/* its pod, container and unit, read when chosen */
	struct member *m;		/* m[0] is the chosen process; room for cap */
	int n, cap;
	int unsignalled;		/* members the last victim_signal() did not reach and that
					 * had not exited: left alive */
	long long t_term;		/* CLOCK_MONOTONIC ns of SIGTERM, 0 if none */
	long long t_kill;		/* of SIGKILL */
	long long t_exited;		/* when every member had exited, 0 if not yet */
	bool independent;		/* members do not share an mm (a cgroup kill): reap each */
	bool gathered;			/* the group of m[0], whole (select_group) */
	long long reap_by;		/* the reaper gives its word by then (ns); 0: no limit */
	bool quiet;			/* a rehearsal (resident.h): reports made, not written */

	/* written by the reaper thread (reap.c) before it sets reap_done */
	int reap_outcome;		/* enum reap_outcome */
	int reap_err;			/* errno of the last process_mrelease */
	int reap_attempts;
	int reaped_members;
	bool robust_wait;		/* waited for robust futexes before reaping */
	long long t_reaped;
	unsigned long now_anon_kb, now_file_kb, now_shmem_kb;
	atomic_bool reap_done;
};

/* Makes room for cap members (kept by victim_reset). Returns 0, or -ENOMEM. */
int victim_reserve(struct victim *v, int cap);

/* Empties v for a new victim, chosen, as its only member; keeps its room. */
void victim_reset(struct victim *v, const struct proc_info *chosen);

/* Adds p as a member, growing the room when it is full. Returns 0, or -ENOMEM. */
int victim_add(struct victim *v, const struct proc_info *p);

/* Frees the room of a victim that is closed and no longer in anyone's hands. */
void victim_free(struct victim *v);

#endif
