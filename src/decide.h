/* decide.h - pure: from a scope's samples and its thresholds, whether to kill, and why */
#ifndef OOMREAPER_DECIDE_H
#define OOMREAPER_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "sample.h"

/* A threshold given as a share of the scope's memory, or as a size */
struct level {
	bool percent;
	double value;			/* percent (0..100), or kB */
};

struct thresholds {
	struct level mem_min;		/* under it: kill (SIGTERM first when a grace is set) */
	struct level mem_kill;		/* under it: SIGKILL at once */
	struct level swap_min;		/* free swap under it, memory in the warning band: kill */
	bool psi;			/* a pressure trigger is set */
	bool psi_full;			/* "full" rather than "some" */
	double psi_pct;			/* stall share of wall time, percent */
	double psi_secs;		/* for this long */
	double horizon_s;		/* predictive: act when out within this, at the fill rate */
};

enum verdict {
	VERDICT_OK,			/* nothing to do */
	VERDICT_WARN,			/* the warning band: keep a victim chosen */
	VERDICT_TERM,			/* kill, SIGTERM first when there is a grace */
	VERDICT_KILL,			/* kill with SIGKILL at once */
};

enum trigger { TRIG_NONE, TRIG_MEM_MIN, TRIG_MEM_KILL, TRIG_SWAP_MIN, TRIG_PSI, TRIG_PREDICT };

/* How many samples the fill rate is measured over */
#define DECIDE_HISTORY 8
/* Pressure totals kept for the psi trigger's window: one every eighth of the window at most,
 * so the oldest is at least a window old once the window has passed */
#define PSI_MARKS 9

/* The stall totals at one moment */
struct psi_mark {
	long long t_ns;
	unsigned long long some_us, full_us;
};

/* What decide() remembers of a scope between samples */
struct decider {
	struct sample hist[DECIDE_HISTORY];
	int n, head;
	bool warned;			/* in the warning band (hysteresis) */
	struct psi_mark psi[PSI_MARKS];	/* the stall totals over the psi window, a ring */
	int psi_n, psi_head;
	double peak_fill_kb_s;		/* the fastest fill measured, decaying */
	double floor_fill_kb_s;		/* the fastest one process can fill here (measured) */
	unsigned long long fill_from_kb; /* available when the fill going on now began */
	long long fill_from_ns;		/* and when it began */
	unsigned long long wake_used_kb; /* the kernel wakes us when usage crosses this (v1
					  * usage threshold at the band's edge); 0: it does not */
};

struct decision {
	enum verdict verdict;
	enum trigger trigger;
	char reason[192];		/* the figures that fired it, for the log */
	double fill_kb_s;		/* the fill rate now (positive: memory being taken) */
	double eta_s;			/* time to mem_min at that rate; < 0 when not filling */
	bool prepare;			/* in the warning band, or reaching it soon: choose ahead */
	/* the figures it was decided on, for the kill's event and hooks */
	unsigned long long avail_kb, total_kb, min_kb, kill_kb;
	double psi_pct;			/* the pressure measured, -1 when none */
	int next_ms;			/* when to sample again */
};

/* How far ahead of the warning band the fill rate says "choose a victim now" */
#define PREPARE_S 2.0

/* Sampling bounds: fast enough for a 2 GB/s fill, idle as can be when far from trouble */
#define SAMPLE_MIN_MS 10
#define SAMPLE_MAX_MS 1000

/* A level in kB for a scope of total_kb. */
unsigned long long level_kb(const struct level *l, unsigned long long total_kb);

void decider_init(struct decider *d);

/*
 * The scope's limit changed, its memory is now total_kb: the history's "available" (limit -
 * used) moves by as much, so that the fill rate stays that of the usage. Where the figures
 * changed in kind (a limit set where there was none, or lifted) the history is forgotten.
 */
void decider_new_limit(struct decider *d, unsigned long long total_kb, bool comparable);

/*
 * How fast the machine can take memory, in kB/s: one process touching a scratch mapping,
 * times the CPUs (up to 4). Sampling is paced as if a fill that fast could start any time,
 * so that a new daemon is not caught out before it has measured a real one.
 */
double decide_measure_fill_capacity(void);

/*
 * Adds the sample to the history and decides. Pure: time comes from the samples.
 */
void decide(struct decider *d, const struct thresholds *t, const struct sample *s,
	    struct decision *out);

/* The newest sample decide() was given, or NULL before the first */
const struct sample *decider_newest(const struct decider *d);

/* A short name for a trigger, for logs and JSON */
const char *trigger_name(enum trigger t);

#endif
