/* stats.h - pure: the daemon's counters and histograms, and the snapshot of its state that
 * `oomreaper status`, `oomreaper top` and the metrics file show. Updated on the loop's own
 * paths with a few stores, no allocation and no I/O: a kill pays them after its signal. */
#ifndef OOMREAPER_STATS_H
#define OOMREAPER_STATS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "decide.h"
#include "proc.h"
#include "sample.h"
#include "victim.h"

/* enum trigger's and enum reap_outcome's (reap.h) counts */
#define STATS_TRIGGERS (TRIG_PREDICT + 1)
#define STATS_OUTCOMES 7
/* Kills remembered for `top` and `status`, the newest first */
#define STATS_RECENT 8

/* A histogram of durations with fixed bounds (stats_bounds_us), as Prometheus counts them */
#define HIST_BUCKETS 14
struct hist {
	unsigned long long bucket[HIST_BUCKETS + 1];	/* per bucket, the last above every bound */
	unsigned long long count;
	unsigned long long sum_us;
};
/* The buckets' upper bounds in us: 50 us to 10 s */
extern const long long stats_bounds_us[HIST_BUCKETS];

/* One kill, as status shows it */
struct stats_kill {
	pid_t pid;
	char comm[COMM_LEN];		/* raw: cleaned where it is printed */
	int scope;			/* its place among the scopes when it was killed */
	int trigger;			/* enum trigger */
	long long at_ms;		/* CLOCK_REALTIME ms of the signal */
	long long t_kill;		/* CLOCK_MONOTONIC ns: which victim it is */
	long long sample_to_kill_us;	/* -1: a timer, not a sample, sent it */
	long long select_us;		/* from the decision to the victim held; -1: unknown */
	long long exited_ms;		/* after the kill; -1 not yet */
	long long reaped_ms;		/* -1 not (yet) reaped */
	int reap_outcome;		/* enum reap_outcome, 0 while pending */
	struct identity id;		/* its pod, container, QoS class and unit; why NULL */
};

/* A scope's: its last sample and decision, and its kills */
struct scope_stats {
	long long sample_ns;		/* CLOCK_MONOTONIC of the last sample; 0 none yet */
	unsigned long long total_kb, avail_kb, used_kb, swap_total_kb, swap_free_kb;
	double fill_kb_s;		/* positive: memory being taken */
	int verdict;			/* enum verdict of the last decision */
	unsigned long long kills[STATS_TRIGGERS];
	unsigned long long stuck;	/* victims past their deadline, neither gone nor reaped */
	bool has_last;
	struct stats_kill last;
	/* between a decision and its kill: what the kill is counted under */
	int pending_trigger;
	long long pending_select_us;
};

/* The daemon's, over every scope */
struct stats {
	struct hist sample_to_kill, select, reap;
	unsigned long long kills;
	unsigned long long stuck;
	unsigned long long reap_failures[STATS_OUTCOMES];	/* by outcome: unable, refused... */
	struct stats_kill recent[STATS_RECENT];
	int nrecent, head;		/* recent[head] is the newest */
	unsigned long long events;	/* kills, exits, reaps, stuck: the metrics file follows */
};

void hist_add(struct hist *h, long long us);
/* The last sample and decision of a scope. Inline: it runs at every sample, and code of its
 * own on another page would be one more page the loop keeps resident (resident.h) */
static inline void stats_sample(struct scope_stats *ss, const struct sample *s,
				const struct decision *d)
{
	ss->sample_ns = s->t_ns;
	ss->total_kb = s->total_kb;
	ss->avail_kb = s->avail_kb;
	ss->used_kb = s->used_kb;
	ss->swap_total_kb = s->swap_total_kb;
	ss->swap_free_kb = s->swap_free_kb;
	ss->fill_kb_s = d->fill_kb_s;
	ss->verdict = d->verdict;
}
/* A victim killed in scope idx (its SIGTERM when it has a grace, else its SIGKILL): counted
 * once, under ss->pending_trigger; sample_to_kill_us -1 when unknown */
void stats_kill(struct stats *st, struct scope_stats *ss, int idx, const struct victim *v,
		long long sample_to_kill_us, long long real_ms);
/* The victim of that kill (by its t_kill) exited, or the reaper gave its word on it */
void stats_exited(struct stats *st, struct scope_stats *ss, const struct victim *v);
void stats_reaped(struct stats *st, struct scope_stats *ss, const struct victim *v);
/* A victim past its deadline, neither gone nor reaped */
void stats_stuck(struct stats *st, struct scope_stats *ss);
/* A reload moved the scopes: the kills of scope i are now map[i]'s (-1: a scope that went);
 * n: how many there were */
void stats_rescope(struct stats *st, const int *map, int n);
/* id's fixed fields into out, which a snapshot carries to another process: no pointer */
void stats_identity(struct identity *out, const struct identity *id);
/* The i-th most recent kill (0 the newest), or NULL */
const struct stats_kill *stats_recent(const struct stats *st, int i);

/* --- the snapshot: what the daemon hands `status` and `top` over its socket ---------------- */

/* The snapshot's own version: a client of another build is told, not misread. Bumped with
 * every change of its layout (2: the victims' and kills' identity) */
#define SNAPSHOT_MAGIC "OOMRSNP2"
/* A scope's path as shown: its end when longer */
#define SNAP_NAME 512

struct snap_victim {
	pid_t pid;			/* 0: none */
	char comm[COMM_LEN];
	long badness;
	long lead;			/* badness over every other candidate's bound; LONG_MAX
					 * unknown */
	long long age_ms;		/* since it was chosen, or killed */
	struct identity id;		/* why NULL */
};

struct snap_scope {
	char kind[16];			/* global, cgroup-v1, cgroup-v2 */
	char path[SNAP_NAME];		/* the cgroup's directory, raw; "" for global */
	bool gone;			/* the cgroup was removed: waited for */
	unsigned long long mem_min_kb, mem_kill_kb, band_kb, swap_min_kb;
	struct snap_victim ahead;	/* chosen in the warning band */
	struct snap_victim inflight;	/* killed, memory not back yet */
	bool has_psi;			/* a pressure file: the machine's, or a v2 cgroup's */
	double psi_some_pct, psi_full_pct;	/* its avg10 */
	struct scope_stats st;
};

struct snapshot {
	char magic[8];
	uint32_t size;			/* sizeof(struct snapshot) of the daemon's build */
	char version[32];
	pid_t pid;
	long long start_real_ms;	/* CLOCK_REALTIME of the start */
	long long now_real_ms;
	long long uptime_ms;
	char config[SNAP_NAME];		/* the file, "" for the built-in defaults */
	bool dry_run;
	unsigned long long aborts;	/* kills called off: memory back before the signal */
	unsigned long long log_failures;
	int draining;			/* victims the reaper still holds */
	struct stats st;
	int nscopes;
	struct snap_scope scopes[CONFIG_MAX_SCOPES];
};

/* s as a snapshot's name: s whole, or "..." and its end */
void snap_name(char *out, size_t cap, const char *s);

#endif
