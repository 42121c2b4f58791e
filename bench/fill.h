/*
 * fill.h - the benchmarks' hogs take memory at a set rate: bench/grow and the shared
 * scenario's bench/scenarios/sharegrow.
 */
#ifndef BENCH_FILL_H
#define BENCH_FILL_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#define FILL_PAGE 4096UL
/* one step: the most it sleeps between two bursts of page touches */
#define FILL_STEP_NS 1000000L

/*
 * RATE_MB_S and MAX_MB as given: a rate in (0, 1e6] MiB/s and a size in [1, 2^20] MiB, whole
 * strings. Sets *rate and *len (bytes). Returns 0, or 2 (bad usage) after saying why.
 */
static inline int fill_args(const char *prog, const char *rate_s, const char *max_s,
			    double *rate, size_t *len)
{
	char *end_r, *end_m;
	double r = strtod(rate_s, &end_r);
	long max_mb = strtol(max_s, &end_m, 10);

	if (*end_r || *end_m || end_r == rate_s || end_m == max_s || !(r > 0 && r <= 1e6) ||
	    max_mb <= 0 || max_mb > 1L << 20) {
		fprintf(stderr, "%s: RATE_MB_S or MAX_MB out of range: %s %s\n", prog, rate_s,
			max_s);
		return 2;
	}
	*rate = r;
	*len = (size_t)max_mb << 20;
	return 0;
}

static inline double fill_now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Takes len bytes at rate_mb_s MiB/s, in steps of at most 1 ms (so the fill is smooth at the
 * scale a 1 ms poller sees), catching up by the clock when a step ran late: take(ctx, from, to)
 * is given each step's whole pages. Returns once all of it is taken.
 */
static inline void fill_paced(size_t len, double rate_mb_s,
			      void (*take)(void *ctx, size_t from, size_t to), void *ctx)
{
	struct timespec step = { 0, FILL_STEP_NS };
	size_t done = 0;
	double t0;

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	t0 = fill_now_s();
	while (done < len) {
		/* what the rate allows by now, whole pages */
		double want = (fill_now_s() - t0) * rate_mb_s * 1048576.0;
		size_t to = want >= (double)len ? len : (size_t)want / FILL_PAGE * FILL_PAGE;

		if (to > done)
			take(ctx, done, to);
		done = to > done ? to : done;
		if (done < len)
			nanosleep(&step, NULL);
	}
}

static inline void fill_touch(void *m, size_t from, size_t to)
{
	for (; from < to; from += FILL_PAGE)
		((char *)m)[from] = 1;
}

/* Writes one byte in each page of m[0, len) at rate_mb_s MiB/s (fill_paced()) */
static inline void fill_at_rate(char *m, size_t len, double rate_mb_s)
{
	fill_paced(len, rate_mb_s, fill_touch, m);
}

#endif
