/* decide.c - the triggers: thresholds with hysteresis, pressure over time, the fill rate */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "decide.h"

/* The fill rate is measured over at most this much of the history: recent enough to see a
 * hog start, long enough not to chase the noise of one reading */
#define RATE_WINDOW_NS 2000000000LL
/* The fastest fill seen is remembered, decaying with this time constant: a machine that
 * filled at 2 GB/s a minute ago may do so again, and sampling should stay ready for it */
#define PEAK_DECAY_S 60.0
/* Samples taken between now and the crossing of mem_min at the fill rate */
#define SAMPLES_BEFORE_CROSSING 4
/* The soonest a sample timed at the crossing is taken: the loop sleeps in whole ms */
#define SAMPLE_AT_CROSSING_MIN_MS 1
/* The warning band ends a little above where it starts, so that it does not flap */
#define WARN_HYSTERESIS 1.1

unsigned long long level_kb(const struct level *l, unsigned long long total_kb)
{
	if (l->percent)
		return (unsigned long long)((double)total_kb * l->value / 100.0);
	return (unsigned long long)l->value;
}

void decider_init(struct decider *d)
{
	memset(d, 0, sizeof(*d));
}

void decider_new_limit(struct decider *d, unsigned long long total_kb, bool comparable)
{
	if (!d->n)
		return;
	if (!comparable) {
		d->n = 0;
		return;
	}
	/* the newest entry is the last sample, taken against the old limit */
	long long delta = (long long)total_kb -
			  (long long)d->hist[(d->head - 1 + DECIDE_HISTORY) % DECIDE_HISTORY].total_kb;

	for (int i = 0; i < DECIDE_HISTORY; i++) {
		long long a = (long long)d->hist[i].avail_kb + delta;

		d->hist[i].avail_kb = a > 0 ? (unsigned long long)a : 0;
		d->hist[i].total_kb = total_kb;
	}
	/* where the fill going on began moves with them: what it has taken stays the same */
	long long from = (long long)d->fill_from_kb + delta;

	d->fill_from_kb = from > 0 ? (unsigned long long)from : 0;
}

/* The scratch mapping: small enough not to matter even to a daemon in a cgroup of a few MB
 * (the tests run it in 4 MiB), timed a few rounds so that one page's fault is not the figure.
 * Small pages only: one huge page's fault measured 80-120 GB/s here, a burst no program
 * keeps up (stress-ng's vm stressor, huge pages and all: 1-4.5 GB/s) */
#define PROBE_BYTES (1u << 20)
#define PROBE_ROUNDS 8
/* A fill runs on every CPU at once (stress-ng --vm N), but zeroing pages is bound by memory
 * bandwidth well before many CPUs: counted up to this many */
#define PROBE_CPUS_MAX 4

double decide_measure_fill_capacity(void)
{
	struct timespec a, b;
	double best = 0;
	char *p = mmap(NULL, PROBE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return 0;
	/* the first touch of a page a virtual machine never used also faults on its host: a hog
	 * mostly gets pages freed before, so rounds after the first are timed, on pages just
	 * given back */
	for (int round = 0; round <= PROBE_ROUNDS; round++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (unsigned i = 0; i < PROBE_BYTES; i += 4096)
			((volatile char *)p)[i] = 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		madvise(p, PROBE_BYTES, MADV_DONTNEED);
		double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		double rate = s > 0 ? (double)(PROBE_BYTES / 1024) / s : 0;

		if (round && rate > best)
			best = rate;
	}
	munmap(p, PROBE_BYTES);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return best * (double)(cpus < 1 ? 1 : cpus > PROBE_CPUS_MAX ? PROBE_CPUS_MAX : cpus);
}

const char *trigger_name(enum trigger t)
{
	switch (t) {
	case TRIG_NONE: return "none";
	case TRIG_MEM_MIN: return "mem_min";
	case TRIG_MEM_KILL: return "mem_kill";
	case TRIG_SWAP_MIN: return "swap_min";
	case TRIG_PSI: return "psi";
	case TRIG_PREDICT: return "predict";
	}
	return "unknown";
}

static const struct sample *nth_newest(const struct decider *d, int k)
{
	return &d->hist[(d->head - 1 - k + 2 * DECIDE_HISTORY) % DECIDE_HISTORY];
}

const struct sample *decider_newest(const struct decider *d)
{
	return d->n ? nth_newest(d, 0) : NULL;
}

/*
 * The sample to measure a rate against: the newest one at least min_ns older than the newest,
 * else the oldest no more than max_ns older. NULL when there is none.
 */
static const struct sample *rate_base(const struct decider *d, long long min_ns, long long max_ns)
{
	const struct sample *now = nth_newest(d, 0), *base = NULL;

	for (int k = 1; k < d->n; k++) {
		const struct sample *s = nth_newest(d, k);

		if (now->t_ns - s->t_ns > max_ns)
			break;
		base = s;
		if (now->t_ns - s->t_ns >= min_ns)
			break;
	}
	return base && now->t_ns > base->t_ns ? base : NULL;
}

/* kB/s taken from the scope since base: positive while memory is being used up */
static double rate_from(const struct decider *d, const struct sample *base)
{
	const struct sample *now = nth_newest(d, 0);

	if (!base)
		return 0;
	return ((double)base->avail_kb - (double)now->avail_kb) * 1e9 /
	       (double)(now->t_ns - base->t_ns);
}

/* The fill over the rate window: paces the sampling, and remembered as the peak */
static double fill_rate(const struct decider *d)
{
	return rate_from(d, rate_base(d, RATE_WINDOW_NS, RATE_WINDOW_NS));
}

/*
 * The fill now: over the last interval, at least SAMPLE_MIN_MS (a fill comes in faults of
 * up to 2 MiB, and a shorter interval may see none). Unlike the window's rate it drops to
 * nothing within SAMPLE_MIN_MS of the fill stopping.
 */
static double fill_now(const struct decider *d)
{
	return rate_from(d, rate_base(d, (long long)SAMPLE_MIN_MS * 1000000, LLONG_MAX));
}

static double mib(unsigned long long kb)
{
	return (double)kb / 1024.0;
}

/*
 * Keeps s's stall totals for the psi window, one mark every eighth of window_ns at most; a
 * sample without them (the file gone) forgets the window.
 */
static void psi_mark(struct decider *d, const struct sample *s, long long window_ns)
{
	const struct psi_mark *last = &d->psi[(d->psi_head - 1 + PSI_MARKS) % PSI_MARKS];

	if (!s->has_psi) {
		d->psi_n = 0;
		return;
	}
	if (d->psi_n && s->t_ns - last->t_ns < window_ns / (PSI_MARKS - 1))
		return;
	d->psi[d->psi_head] = (struct psi_mark){ s->t_ns, s->psi_some_us, s->psi_full_us };
	d->psi_head = (d->psi_head + 1) % PSI_MARKS;
	if (d->psi_n < PSI_MARKS)
		d->psi_n++;
}

/*
 * Pressure over the last window_ns at least: the share of wall time stalled (percent) from
 * the newest mark that is a window older than s to s, as the kernel's PSI triggers count
 * stall time within a window (psi_trigger_create(), "psi: introduce psi monitor"), not per
 * reading: under a thrash the stall comes in bursts, and a sampling interval of 10 ms often
 * holds none. Sets *span_ns to the span measured. < 0 while less than a window is known.
 */
static double pressure(const struct decider *d, const struct sample *s, bool full,
		       long long window_ns, long long *span_ns)
{
	const struct psi_mark *base = NULL;

	if (!s->has_psi)
		return -1;
	for (int k = 0; k < d->psi_n; k++) {
		const struct psi_mark *m = &d->psi[(d->psi_head - 1 - k + 2 * PSI_MARKS) % PSI_MARKS];

		if (s->t_ns - m->t_ns >= window_ns) {
			base = m;
			break;
		}
	}
	if (!base)
		return -1;
	unsigned long long a = full ? base->full_us : base->some_us;
	unsigned long long b = full ? s->psi_full_us : s->psi_some_us;

	if (b < a)
		return -1;
	*span_ns = s->t_ns - base->t_ns;
	return (double)(b - a) * 1e3 * 100.0 / (double)*span_ns;
}

/* When to sample next: a few times before mem_min is crossed at the fastest rate in view */
static int next_sample_ms(const struct decider *d, double fill, unsigned long long avail,
			  unsigned long long min_kb)
{
	double rate = fill > d->peak_fill_kb_s ? fill : d->peak_fill_kb_s;

	if (rate < d->floor_fill_kb_s)
		rate = d->floor_fill_kb_s;

	if (avail <= min_kb)
		return SAMPLE_MIN_MS;
	if (rate <= 0)
		return SAMPLE_MAX_MS;
	double ms = (double)(avail - min_kb) / rate * 1000.0 / SAMPLES_BEFORE_CROSSING;

	return ms < SAMPLE_MIN_MS ? SAMPLE_MIN_MS : ms > SAMPLE_MAX_MS ? SAMPLE_MAX_MS : (int)ms;
}

/*
 * mem_min nearer than the next sample at the recent fill: sample once more, just after the
 * crossing, rather than up to SAMPLE_MIN_MS after it (at 2 GB/s, 10 ms is 20 MB). The fill
 * over the last SAMPLE_MIN_MS at least: a fill comes in faults of up to 2 MiB, and a short
 * interval may see none; and not the rate window's, so that these samples stop within
 * SAMPLE_MIN_MS when the fill does.
 */
static int sample_at_crossing(const struct decider *d, unsigned long long avail,
			      unsigned long long min_kb, int next_ms)
{
	double fill = fill_now(d);

	if (avail <= min_kb || fill <= 0)
		return next_ms;
	double ms = (double)(avail - min_kb) / fill * 1000.0;

	if (ms >= next_ms)
		return next_ms;
	return ms < SAMPLE_AT_CROSSING_MIN_MS ? SAMPLE_AT_CROSSING_MIN_MS : (int)ms + 1;
}

/*
 * The predictive trigger: mem_min is less than the horizon away at the fill going on now.
 * Only a fill that is still going on counts (its rate over the last interval, not the
 * window's, which quotes a burst for seconds after it ended), and only one that has already
 * taken at least what is left above mem_min: a burst that stops short of mem_min is a
 * process starting up or a job done, and the kernel would kill nobody for it. Returns the
 * time to mem_min in s, or -1 when the trigger does not fire.
 */
static double predict_crossing(const struct decider *d, double window_fill,
			       unsigned long long avail, unsigned long long min_kb, double horizon_s)
{
	double fill = fill_now(d);
	const struct sample *now = nth_newest(d, 0);

	if (horizon_s <= 0 || avail <= min_kb || window_fill <= 0 || fill <= 0)
		return -1;
	unsigned long long left = avail - min_kb;

	if (d->fill_from_kb < avail || d->fill_from_kb - avail < left)
		return -1;
	/* at the fill's pace since it began, when that is slower: a process that was stalled
	 * (reclaim, I/O, a busy CPU) and catches up takes tens of MB in one interval, and that
	 * burst is not the pace that will carry on */
	if (now->t_ns > d->fill_from_ns) {
		double pace = (double)(d->fill_from_kb - avail) * 1e9 /
			      (double)(now->t_ns - d->fill_from_ns);

		if (pace < fill)
			fill = pace;
	}
	double eta = (double)left / fill;

	return eta < horizon_s ? eta : -1;
}

void decide(struct decider *d, const struct thresholds *t, const struct sample *s,
	    struct decision *out)
{
	const struct sample *prev = d->n ? nth_newest(d, 0) : NULL;

	/* the fastest fill decays between samples, then the new one counts. 1 / (1 + dt/tau)
	 * is exp(-dt/tau) to first order, and needs no libm: its pages would be most of the
	 * daemon's resident memory */
	if (prev && s->t_ns > prev->t_ns)
		d->peak_fill_kb_s /= 1.0 + (double)(s->t_ns - prev->t_ns) / 1e9 / PEAK_DECAY_S;
	/* a fill episode starts where memory last stopped going */
	if (!prev || s->avail_kb >= prev->avail_kb || s->avail_kb > d->fill_from_kb) {
		d->fill_from_kb = s->avail_kb;
		d->fill_from_ns = s->t_ns;
	}
	d->hist[d->head] = *s;
	d->head = (d->head + 1) % DECIDE_HISTORY;
	if (d->n < DECIDE_HISTORY)
		d->n++;

	unsigned long long total = s->total_kb, avail = s->avail_kb;
	unsigned long long min_kb = level_kb(&t->mem_min, total);
	unsigned long long kill_kb = level_kb(&t->mem_kill, total);
	unsigned long long warn_kb = 2 * min_kb;
	double fill = fill_rate(d), eta;

	if (fill > d->peak_fill_kb_s)
		d->peak_fill_kb_s = fill;
	memset(out, 0, sizeof(*out));
	out->avail_kb = avail;
	out->total_kb = total;
	out->min_kb = min_kb;
	out->kill_kb = kill_kb;
	out->fill_kb_s = fill;
	out->eta_s = fill > 0 && avail > min_kb ? (double)(avail - min_kb) / fill : -1;
	out->next_ms = sample_at_crossing(d, avail, min_kb, next_sample_ms(d, fill, avail, min_kb));
	/* filling towards the band: the victim is chosen before the band, not at the trigger */
	out->prepare = avail < warn_kb ||
		       (fill > 0 && (double)(avail - warn_kb) / fill < PREPARE_S);
	/* above the band, with the kernel to wake us at its edge, nothing is missed between
	 * slow samples: a fill as fast as the machine can do is seen at the edge, not 1 s late */
	if (d->wake_used_kb && s->used_kb && s->used_kb < d->wake_used_kb && !out->prepare)
		out->next_ms = SAMPLE_MAX_MS;

	long long psi_window = (long long)(t->psi_secs * 1e9), psi_span = 0;
	double psi = -1;

	out->psi_pct = -1;
	if (t->psi) {
		psi = pressure(d, s, t->psi_full, psi_window, &psi_span);
		psi_mark(d, s, psi_window);
		out->psi_pct = psi;
	}

	if (avail < kill_kb) {
		out->verdict = VERDICT_KILL;
		out->trigger = TRIG_MEM_KILL;
		snprintf(out->reason, sizeof(out->reason),
			 "available %.0f MiB < mem_kill %.0f MiB of %.0f MiB", mib(avail),
			 mib(kill_kb), mib(total));
	} else if (avail < min_kb) {
		out->verdict = VERDICT_TERM;
		out->trigger = TRIG_MEM_MIN;
		snprintf(out->reason, sizeof(out->reason),
			 "available %.0f MiB < mem_min %.0f MiB of %.0f MiB", mib(avail),
			 mib(min_kb), mib(total));
	} else if (s->swap_total_kb && avail < warn_kb &&
		   s->swap_free_kb < level_kb(&t->swap_min, s->swap_total_kb)) {
		/* no swap is not "swap low": this trigger exists only where there is swap */
		out->verdict = VERDICT_TERM;
		out->trigger = TRIG_SWAP_MIN;
		snprintf(out->reason, sizeof(out->reason),
			 "free swap %.0f MiB < swap_min %.0f MiB, available %.0f MiB",
			 mib(s->swap_free_kb), mib(level_kb(&t->swap_min, s->swap_total_kb)),
			 mib(avail));
	} else if (t->psi && psi >= t->psi_pct) {
		out->verdict = VERDICT_TERM;
		out->trigger = TRIG_PSI;
		snprintf(out->reason, sizeof(out->reason),
			 "memory pressure %s %.0f%% >= %.0f%% over %.1f s", t->psi_full ? "full" : "some",
			 psi, t->psi_pct, (double)psi_span / 1e9);
		/* the next pressure kill needs a window of its own, after this one: the stall
		 * that fired it must not fire again once its victim is gone (systemd-oomd and
		 * nohang wait 15 s after a pressure kill for the same reason) */
		d->psi_n = 0;
	} else if (avail < warn_kb &&
		   (eta = predict_crossing(d, fill, avail, min_kb, t->horizon_s)) >= 0) {
		/* the threshold would be crossed before the next samples could see it: act now,
		 * not after the overshoot */
		out->verdict = VERDICT_TERM;
		out->trigger = TRIG_PREDICT;
		snprintf(out->reason, sizeof(out->reason),
			 "filling at %.0f MiB/s (%.0f MiB so far): available %.0f MiB reaches mem_min "
			 "%.0f MiB in %.0f ms", fill_now(d) / 1024.0, mib(d->fill_from_kb - avail),
			 mib(avail), mib(min_kb), eta * 1000.0);
	}
	if (out->verdict != VERDICT_OK) {
		d->warned = true;
		return;
	}
	if (avail < warn_kb || (d->warned && (double)avail < (double)warn_kb * WARN_HYSTERESIS)) {
		out->verdict = VERDICT_WARN;
		d->warned = true;
		snprintf(out->reason, sizeof(out->reason),
			 "available %.0f MiB in the warning band (< %.0f MiB)", mib(avail),
			 mib(warn_kb));
		return;
	}
	d->warned = false;
}
