/* test_decide.c - the triggers on sample series, with the clock in the samples */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "sample.h"

#define MS 1000000LL
#define GIB (1024ULL * 1024)	/* in kB */
#define MIB 1024ULL

/* A 16 GiB machine without swap: mem_min 10 % (1.6 GiB), mem_kill 5 %, horizon 0.1 s */
static struct thresholds defaults(void)
{
	struct thresholds t = {
		.mem_min = { true, 10 },
		.mem_kill = { true, 5 },
		.swap_min = { true, 10 },
		.horizon_s = 0.1,
	};
	return t;
}

static struct sample at(long long ms, unsigned long long avail_kb)
{
	struct sample s = { .t_ns = ms * MS, .total_kb = 16 * GIB, .avail_kb = avail_kb };

	return s;
}

static struct decision feed(struct decider *d, const struct thresholds *t, struct sample s)
{
	struct decision out;

	decide(d, t, &s, &out);
	return out;
}

static void levels(void **state)
{
	struct level pct = { true, 10 }, abs = { false, 65536 };

	(void)state;
	assert_int_equal(level_kb(&pct, 16 * GIB), 16 * GIB / 10);
	assert_int_equal(level_kb(&abs, 16 * GIB), 65536);
	assert_int_equal(level_kb(&pct, 0), 0);
}

static void thresholds_in_order(void **state)
{
	struct thresholds t = defaults();
	struct decider d;
	struct decision o;

	(void)state;
	decider_init(&d);
	o = feed(&d, &t, at(0, 8 * GIB));
	assert_int_equal(o.verdict, VERDICT_OK);
	/* far from trouble and nothing filling: sample as seldom as allowed */
	assert_int_equal(o.next_ms, SAMPLE_MAX_MS);
	decider_init(&d);
	o = feed(&d, &t, at(0, 3 * GIB));	/* under 2 x mem_min: the warning band */
	assert_int_equal(o.verdict, VERDICT_WARN);
	decider_init(&d);
	o = feed(&d, &t, at(0, 1 * GIB));	/* under mem_min (1.6 GiB) */
	assert_int_equal(o.verdict, VERDICT_TERM);
	assert_int_equal(o.trigger, TRIG_MEM_MIN);
	assert_non_null(strstr(o.reason, "available 1024 MiB < mem_min 1638 MiB"));
	assert_int_equal(o.next_ms, SAMPLE_MIN_MS);
	decider_init(&d);
	o = feed(&d, &t, at(0, 500 * MIB));	/* under mem_kill (819 MiB) */
	assert_int_equal(o.verdict, VERDICT_KILL);
	assert_int_equal(o.trigger, TRIG_MEM_KILL);
	/* absolute sizes work the same */
	t.mem_min = (struct level){ false, 4 * GIB };
	decider_init(&d);
	o = feed(&d, &t, at(0, 3 * GIB));
	assert_int_equal(o.trigger, TRIG_MEM_MIN);
}

static void warning_band_hysteresis(void **state)
{
	struct thresholds t = defaults();
	unsigned long long warn = 2 * 16 * GIB / 10;
	struct decider d;

	(void)state;
	decider_init(&d);
	assert_int_equal(feed(&d, &t, at(0, warn - MIB)).verdict, VERDICT_WARN);
	/* just above the band's edge: still in it, it ends 10 % higher */
	assert_int_equal(feed(&d, &t, at(1000, warn + 100 * MIB)).verdict, VERDICT_WARN);
	assert_int_equal(feed(&d, &t, at(2000, warn + warn / 5)).verdict, VERDICT_OK);
	/* and from below it is entered only under the edge */
	assert_int_equal(feed(&d, &t, at(3000, warn + 100 * MIB)).verdict, VERDICT_OK);
}

static void no_swap_is_not_low_swap(void **state)
{
	struct thresholds t = defaults();
	struct decider d;
	struct sample s = at(0, 3 * GIB);	/* in the warning band */
	struct decision o;

	(void)state;
	decider_init(&d);
	s.swap_total_kb = 0;
	s.swap_free_kb = 0;
	decide(&d, &t, &s, &o);
	assert_int_equal(o.verdict, VERDICT_WARN);
	/* with swap, nearly all used, and memory in the warning band: act */
	decider_init(&d);
	s.swap_total_kb = 4 * GIB;
	s.swap_free_kb = 100 * MIB;
	decide(&d, &t, &s, &o);
	assert_int_equal(o.verdict, VERDICT_TERM);
	assert_int_equal(o.trigger, TRIG_SWAP_MIN);
	/* swap used up with memory to spare is no emergency */
	decider_init(&d);
	s.avail_kb = 10 * GIB;
	decide(&d, &t, &s, &o);
	assert_int_equal(o.verdict, VERDICT_OK);
}

/* full pressure of 70 % of wall time, read every 500 ms, against a 60 % for 2 s limit */
static void pressure_over_a_duration(void **state)
{
	struct thresholds t = defaults();
	struct decider d;
	struct sample s = at(0, 8 * GIB);
	struct decision o;

	(void)state;
	t.psi = true;
	t.psi_full = true;
	t.psi_pct = 60;
	t.psi_secs = 2;
	decider_init(&d);
	s.has_psi = true;
	for (int i = 0; i <= 4; i++) {
		s.t_ns = i * 500 * MS;
		s.psi_full_us = (unsigned long long)i * 350000;	/* 350 ms per 500 ms */
		s.psi_some_us = s.psi_full_us;
		decide(&d, &t, &s, &o);
		/* the first window of 2 s is complete at 2.0 s: fired then */
		assert_int_equal(o.verdict, i < 4 ? VERDICT_OK : VERDICT_TERM);
	}
	assert_int_equal(o.trigger, TRIG_PSI);
	assert_non_null(strstr(o.reason, "full 70% >= 60% over 2.0 s"));
	/* a kill's window is its own: a quiet half second, then 70 % again, keeps the share of
	 * the next windows at 52 % */
	s.t_ns += 500 * MS;
	decide(&d, &t, &s, &o);
	assert_int_equal(o.verdict, VERDICT_OK);
	for (int i = 1; i <= 3; i++) {
		s.t_ns += 500 * MS;
		s.psi_full_us += 350000;
		decide(&d, &t, &s, &o);
		assert_int_equal(o.verdict, VERDICT_OK);
	}
	/* "some" is not "full": 70 % some with 10 % full does not fire a full limit */
	decider_init(&d);
	s = at(0, 8 * GIB);
	s.has_psi = true;
	for (int i = 0; i <= 6; i++) {
		s.t_ns = i * 500 * MS;
		s.psi_some_us = (unsigned long long)i * 350000;
		s.psi_full_us = (unsigned long long)i * 50000;
		decide(&d, &t, &s, &o);
		assert_int_equal(o.verdict, VERDICT_OK);
	}
	/* a pressure file that went missing is no pressure */
	decider_init(&d);
	s = at(0, 8 * GIB);
	for (int i = 0; i <= 6; i++) {
		s.t_ns = i * 500 * MS;
		decide(&d, &t, &s, &o);
		assert_int_equal(o.verdict, VERDICT_OK);
	}
}

/*
 * A thrash as the page cache sees it: sampled every 10 ms, two intervals in three stalled
 * 45 %, the third not at all (30 % over any window), against "some 20 % over 2 s". Fired when
 * the first 2 s are in (measured per interval, the quiet ones kept resetting it: never), then
 * not again until a second window has passed after the kill; 15 % never fires.
 */
static void pressure_in_bursts(void **state)
{
	struct thresholds t = defaults();
	struct decider d;
	struct sample s = at(0, 8 * GIB);
	struct decision o;
	int fired = -1, again = -1;
	enum trigger trig = TRIG_NONE;

	(void)state;
	t.psi = true;
	t.psi_pct = 20;
	t.psi_secs = 2;
	decider_init(&d);
	s.has_psi = true;
	for (int i = 0; i <= 500; i++) {
		s.t_ns = i * 10 * MS;
		if (i && i % 3)
			s.psi_some_us += 4500;
		decide(&d, &t, &s, &o);
		if (o.verdict == VERDICT_TERM && fired < 0) {
			fired = i;
			trig = o.trigger;
		} else if (o.verdict == VERDICT_TERM && again < 0)
			again = i;
		else
			assert_int_equal(o.verdict, VERDICT_OK);
	}
	assert_int_equal(fired, 200);
	assert_int_equal(trig, TRIG_PSI);
	/* its own window, after the first: 2 s after it at the soonest */
	assert_true(again >= 400 && again <= 430);
	decider_init(&d);
	s = at(0, 8 * GIB);
	s.has_psi = true;
	for (int i = 0; i <= 500; i++) {
		s.t_ns = i * 10 * MS;
		if (i && i % 3 == 0)
			s.psi_some_us += 4500;
		decide(&d, &t, &s, &o);
		assert_int_equal(o.verdict, VERDICT_OK);
	}
}

/*
 * A process filling at 100 MiB/s, stalled now and then (reclaim, I/O, a busy CPU), catches up
 * in bursts: 20 MiB in one 10 ms interval is 2 GiB/s for that interval. It stops 60 MiB above
 * mem_min, where the kernel alone would kill nobody; at its burst's pace mem_min would be 30
 * ms away. The predictive trigger goes by the fill's pace since it began: no kill.
 */
static void predict_not_on_a_catch_up_burst(void **state)
{
	struct thresholds t = defaults();
	unsigned long long min = 16 * GIB / 10, top = min + 460 * MIB;
	unsigned long long avail = top;
	struct decider d;
	struct decision o;

	(void)state;
	decider_init(&d);
	feed(&d, &t, at(0, avail));
	/* 5 s: 200 ms nearly stalled (100 kB an interval), then 20 MiB in one interval, then
	 * 80 ms at its rate */
	for (long long ms = 10; ms <= 5000; ms += 10) {
		long long phase = ms % 300;

		if (phase == 210)
			avail -= 20 * MIB;
		else if (phase > 210)
			avail -= 1 * MIB;
		else
			avail -= 100;
		if (avail < min + 60 * MIB)
			avail = min + 60 * MIB;
		o = feed(&d, &t, at(ms, avail));
		assert_int_not_equal(o.verdict, VERDICT_TERM);
		assert_int_not_equal(o.verdict, VERDICT_KILL);
	}
	assert_int_equal(avail, min + 60 * MIB);
}

/* filling at 1 GiB/s into the warning band: act when mem_min is less than a horizon away */
static void predictive_trigger(void **state)
{
	struct thresholds t = defaults();
	unsigned long long min = 16 * GIB / 10;
	struct decider d;
	struct decision o;

	(void)state;
	decider_init(&d);
	o = feed(&d, &t, at(0, min + 2048 * MIB));	/* above the band, then 1 GiB/s */
	assert_int_equal(o.verdict, VERDICT_OK);
	o = feed(&d, &t, at(1000, min + 1024 * MIB));	/* in the band, 1 s to go */
	assert_int_equal(o.verdict, VERDICT_WARN);
	assert_true(o.fill_kb_s > 0.99 * GIB && o.fill_kb_s < 1.01 * GIB);
	assert_true(o.eta_s > 0.99 && o.eta_s < 1.01);
	o = feed(&d, &t, at(1800, min + 205 * MIB));	/* 0.2 s to go: not yet */
	assert_int_equal(o.verdict, VERDICT_WARN);
	o = feed(&d, &t, at(1910, min + 92 * MIB));	/* 90 ms to go: now */
	assert_int_equal(o.verdict, VERDICT_TERM);
	assert_int_equal(o.trigger, TRIG_PREDICT);
	assert_non_null(strstr(o.reason, "filling at 1027 MiB/s"));	/* 113 MiB in 110 ms */
	/* the same fill far above the warning band is not acted on */
	decider_init(&d);
	feed(&d, &t, at(0, 12 * GIB));
	o = feed(&d, &t, at(500, 12 * GIB - 900 * MIB));
	assert_int_equal(o.verdict, VERDICT_OK);
	/* nor when the horizon is off */
	t.horizon_s = 0;
	decider_init(&d);
	feed(&d, &t, at(0, min + 1024 * MIB));
	feed(&d, &t, at(500, min + 512 * MIB));
	o = feed(&d, &t, at(550, min + 10 * MIB));
	assert_int_equal(o.verdict, VERDICT_WARN);
}

/*
 * A burst that stops: an idle process holds most of the scope, another one grows by 50 MiB
 * at 57 MiB/s and stops 12 MiB above mem_min. The window's rate still says "filling" for
 * two seconds after; nothing must fire, ever (the kernel alone kills nobody here).
 */
static void burst_that_stops_fires_nothing(void **state)
{
	struct thresholds t = defaults();
	unsigned long long min = 16 * GIB / 10, top = min + 62 * MIB;
	struct decider d;
	struct decision o;
	long long ms = 0;

	(void)state;
	decider_init(&d);
	feed(&d, &t, at(0, top));
	for (ms = 10; ms <= 877; ms += 10) {		/* 50 MiB at 57 MiB/s */
		o = feed(&d, &t, at(ms, top - (unsigned long long)(ms * 57 * MIB / 1000)));
		assert_int_not_equal(o.verdict, VERDICT_TERM);
		assert_int_not_equal(o.verdict, VERDICT_KILL);
	}
	for (int i = 0; i < 300; i++, ms += 10) {	/* then nothing, for 3 s */
		o = feed(&d, &t, at(ms, top - 50 * MIB));
		assert_int_equal(o.verdict, VERDICT_WARN);
	}
	/* a start-up burst of 30 MiB at 2 GiB/s, 80 MiB above mem_min: it has taken less than
	 * what is left when it stops, and nothing fires */
	decider_init(&d);
	feed(&d, &t, at(0, min + 80 * MIB));
	o = feed(&d, &t, at(10, min + 60 * MIB));
	assert_int_equal(o.verdict, VERDICT_WARN);
	o = feed(&d, &t, at(15, min + 50 * MIB));
	assert_int_equal(o.verdict, VERDICT_WARN);
	for (ms = 25; ms < 1000; ms += 10) {
		o = feed(&d, &t, at(ms, min + 50 * MIB));
		assert_int_equal(o.verdict, VERDICT_WARN);
	}
}

/* a fill that slows down pushes the predicted crossing back; one that goes on fires */
static void slowing_and_sustained_fills(void **state)
{
	struct thresholds t = defaults();
	unsigned long long min = 16 * GIB / 10;
	struct decider d;
	struct decision o;

	(void)state;
	/* 1 GiB/s for a second, then 10 MiB/s: 150 MiB left is 15 s away at the rate now,
	 * though the window's rate still says ~0.5 GiB/s */
	decider_init(&d);
	feed(&d, &t, at(0, min + 1174 * MIB));
	feed(&d, &t, at(1000, min + 150 * MIB));
	for (long long ms = 1010; ms < 1500; ms += 10) {
		o = feed(&d, &t, at(ms, min + 150 * MIB - (unsigned long long)((ms - 1000) * 10 *
									     MIB / 1000)));
		assert_int_equal(o.verdict, VERDICT_WARN);
	}
	/* sustained at 500 MiB/s from above the band: it fires before mem_min, never after */
	decider_init(&d);
	bool fired = false;
	unsigned long long avail = 0;

	for (long long ms = 0; ms < 10000 && !fired; ms += 10) {
		avail = min + 2048 * MIB - (unsigned long long)(ms * 500 * MIB / 1000);
		o = feed(&d, &t, at(ms, avail));
		fired = o.verdict == VERDICT_TERM;
	}
	assert_true(fired);
	assert_int_equal(o.trigger, TRIG_PREDICT);
	assert_true(avail > min && avail - min <= 50 * MIB);	/* 100 ms at 500 MiB/s */
}

static struct sample in_cgroup(long long ms, unsigned long long limit_kb,
				unsigned long long used_kb)
{
	struct sample s = { .t_ns = ms * MS, .total_kb = limit_kb, .avail_kb = limit_kb - used_kb };

	return s;
}

/* Samples 250 ms apart with used0, used1 of limit a, the limit changed to b, then used2 */
static struct decision across_limit(const struct thresholds *t, unsigned long long a,
				    unsigned long long b, unsigned long long used0,
				    unsigned long long used1, unsigned long long used2)
{
	struct decider d;

	decider_init(&d);
	feed(&d, t, in_cgroup(0, a, used0));
	feed(&d, t, in_cgroup(250, a, used1));
	decider_new_limit(&d, b, true);
	return feed(&d, t, in_cgroup(500, b, used2));
}

/* A cgroup's limit changes between samples: the fill rate stays that of its usage */
static void limit_changes_keep_the_fill_rate(void **state)
{
	struct thresholds t = defaults();
	struct decider d;
	struct decision o;

	(void)state;
	t.mem_min.value = 20;
	/* 168 MiB used of 2 GiB, growing at 8 MiB/s; the limit lowered to 256 MiB: 86 MiB left,
	 * mem_min 51 MiB 4.4 s away at that rate. Measured against the old limit's figures, the
	 * drop from 1880 to 86 MiB available would read as a 7 GiB/s fill and fire at once */
	o = across_limit(&t, 2048 * MIB, 256 * MIB, 166 * MIB, 168 * MIB, 170 * MIB);
	assert_int_equal(o.verdict, VERDICT_WARN);
	assert_true(o.fill_kb_s > 7.9 * MIB && o.fill_kb_s < 8.1 * MIB);
	/* raised to 2 GiB: the fill goes on at 80 MiB/s, and is nowhere near mem_min */
	o = across_limit(&t, 256 * MIB, 2048 * MIB, 150 * MIB, 170 * MIB, 190 * MIB);
	assert_int_equal(o.verdict, VERDICT_OK);
	assert_true(o.fill_kb_s > 79 * MIB && o.fill_kb_s < 81 * MIB);
	/* a limit where there was none: the machine's figures say nothing of the cgroup's */
	decider_init(&d);
	feed(&d, &t, at(0, 12 * GIB));
	feed(&d, &t, at(250, 11 * GIB));
	decider_new_limit(&d, 256 * MIB, false);
	o = feed(&d, &t, in_cgroup(500, 256 * MIB, 100 * MIB));
	assert_int_equal(o.verdict, VERDICT_OK);
	assert_true(o.fill_kb_s == 0);
}

/* sampling follows the headroom and the fill, and stays ready after a fast fill */
static void adaptive_sampling(void **state)
{
	struct thresholds t = defaults();
	struct decider d;
	struct decision o;

	(void)state;
	decider_init(&d);
	feed(&d, &t, at(0, 10 * GIB));
	/* 2 GiB/s with 8.4 GiB of headroom: four samples before the crossing, ~1 s apart */
	o = feed(&d, &t, at(100, 10 * GIB - 200 * MIB));
	assert_true(o.next_ms >= 900 && o.next_ms <= SAMPLE_MAX_MS);
	o = feed(&d, &t, at(200, 3 * GIB));
	assert_int_equal(o.next_ms, SAMPLE_MIN_MS);
	/* the hog is gone: nothing fills, but the fast fill is remembered */
	decider_init(&d);
	feed(&d, &t, at(0, 4 * GIB));
	o = feed(&d, &t, at(100, 4 * GIB - 200 * MIB));	/* 2 GiB/s */
	long long ms = 100;

	for (int i = 0; i < 40; i++) {
		ms += 100;
		o = feed(&d, &t, at(ms, 4 * GIB));
	}
	assert_true(o.fill_kb_s == 0);
	assert_true(o.next_ms < 500);
	/* minutes later it has decayed: idle sampling again */
	for (int i = 0; i < 600; i++) {
		ms += 1000;
		o = feed(&d, &t, at(ms, 4 * GIB));
	}
	assert_int_equal(o.next_ms, SAMPLE_MAX_MS);
}

/* mem_min nearer than the sampling floor: one sample timed just after the crossing */
static void sample_timed_at_the_crossing(void **state)
{
	struct thresholds t = defaults();
	unsigned long long min_kb = 16 * GIB / 10;	/* mem_min: 10 % of 16 GiB */
	struct decider d;
	struct decision o;

	(void)state;
	t.horizon_s = 0;				/* thresholds only */
	decider_init(&d);
	feed(&d, &t, at(0, min_kb + 28 * MIB));
	/* 2000 MiB/s over the last 10 ms, 8 MiB above mem_min: crossed in 4 ms, sampled at 5 */
	o = feed(&d, &t, at(10, min_kb + 8 * MIB));
	assert_int_equal(o.verdict, VERDICT_WARN);
	assert_int_equal(o.next_ms, 5);
	/* 1 MiB above it (the fill over the last 14 ms): no sooner than 1 ms */
	o = feed(&d, &t, at(14, min_kb + 1 * MIB));
	assert_int_equal(o.next_ms, 1);
	/* no fault in the last millisecond: the fill over the last 10 ms still says soon */
	o = feed(&d, &t, at(15, min_kb + 1 * MIB));
	assert_int_equal(o.next_ms, 1);
	/* nothing taken for 10 ms: the fill stopped, back to the floor however near mem_min is */
	o = feed(&d, &t, at(25, min_kb + 1 * MIB));
	assert_int_equal(o.next_ms, SAMPLE_MIN_MS);
	/* a fill too slow to cross before the floor's sample changes nothing */
	decider_init(&d);
	feed(&d, &t, at(0, min_kb + 100 * MIB));
	o = feed(&d, &t, at(10, min_kb + 99 * MIB));	/* 100 MiB/s: 990 ms away */
	assert_true(o.next_ms >= SAMPLE_MIN_MS);
}

/* choosing ahead starts before the band when the fill will reach it within PREPARE_S */
static void prepare_ahead_of_the_band(void **state)
{
	struct thresholds t = defaults();
	unsigned long long warn = 2 * 16 * GIB / 10;
	struct decider d;
	struct decision o;

	(void)state;
	decider_init(&d);
	o = feed(&d, &t, at(0, warn + 1 * GIB));
	assert_false(o.prepare);			/* nothing filling */
	o = feed(&d, &t, at(100, warn + 1 * GIB - 100 * MIB));	/* 1 GiB/s: 0.9 s away */
	assert_int_equal(o.verdict, VERDICT_OK);
	assert_true(o.prepare);
	decider_init(&d);
	feed(&d, &t, at(0, warn + 4 * GIB));
	o = feed(&d, &t, at(100, warn + 4 * GIB - 100 * MIB));	/* 3.9 s away */
	assert_false(o.prepare);
	decider_init(&d);
	o = feed(&d, &t, at(0, warn - MIB));		/* in the band: always */
	assert_true(o.prepare);
}

/* a measured capacity paces sampling before any fill is seen, and only then */
static void fill_capacity_floor(void **state)
{
	struct thresholds t = defaults();
	struct decider d;
	struct decision o;

	(void)state;
	decider_init(&d);
	d.floor_fill_kb_s = 2.0 * GIB;			/* 2 GiB/s */
	o = feed(&d, &t, at(0, 3 * GIB + 1638 * MIB));	/* 3 GiB above mem_min */
	/* a 2 GiB/s fill would cross in 1.5 s: four samples before it */
	assert_true(o.next_ms >= 370 && o.next_ms <= 380);
	o = feed(&d, &t, at(1000, 15 * GIB));		/* far away: the idle pace */
	assert_int_equal(o.next_ms, SAMPLE_MAX_MS);
	assert_true(decide_measure_fill_capacity() > 0);
}

static void pressure_file(void **state)
{
	static const char ok[] = "some avg10=1.50 avg60=0.20 avg300=0.05 total=123456\n"
				 "full avg10=0.80 avg60=0.10 avg300=0.01 total=6543\n";
	unsigned long long some, full;

	(void)state;
	assert_int_equal(parse_pressure(ok, sizeof(ok) - 1, &some, &full), 0);
	assert_int_equal(some, 123456);
	assert_int_equal(full, 6543);
	/* older kernels have no "full" line for some resources */
	assert_int_equal(parse_pressure(ok, 52, &some, &full), 0);
	assert_int_equal(some, 123456);
	assert_int_equal(full, 0);
	assert_int_equal(parse_pressure("full avg10=0 total=5\n", 21, &some, &full), -EBADMSG);
	assert_int_equal(parse_pressure("some avg10=0 total=x5\n", 22, &some, &full), -EBADMSG);
	assert_int_equal(parse_pressure("", 0, &some, &full), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(levels),
		cmocka_unit_test(thresholds_in_order),
		cmocka_unit_test(warning_band_hysteresis),
		cmocka_unit_test(no_swap_is_not_low_swap),
		cmocka_unit_test(pressure_over_a_duration),
		cmocka_unit_test(pressure_in_bursts),
		cmocka_unit_test(predict_not_on_a_catch_up_burst),
		cmocka_unit_test(predictive_trigger),
		cmocka_unit_test(burst_that_stops_fires_nothing),
		cmocka_unit_test(slowing_and_sustained_fills),
		cmocka_unit_test(limit_changes_keep_the_fill_rate),
		cmocka_unit_test(adaptive_sampling),
		cmocka_unit_test(sample_timed_at_the_crossing),
		cmocka_unit_test(prepare_ahead_of_the_band),
		cmocka_unit_test(fill_capacity_floor),
		cmocka_unit_test(pressure_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
