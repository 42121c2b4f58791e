/* test_observe.c - what the daemon shows of itself: its counters and histograms (stats.c),
 * a snapshot as text, JSON and Prometheus metrics (render.c), the pressure file's averages,
 * and the settings socket = and metrics_file = */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "reap.h"
#include "render.h"
#include "sample.h"
#include "stats.h"

/* A victim as the kill leaves it: pid, comm, signalled at t_kill ns */
static struct victim victim(pid_t pid, const char *comm, long long t_kill)
{
	struct victim v;

	memset(&v, 0, sizeof(v));
	v.chosen.pid = pid;
	snprintf(v.chosen.comm, sizeof(v.chosen.comm), "%s", comm);
	v.t_kill = t_kill;
	return v;
}

static void histogram_buckets(void **state)
{
	struct hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	hist_add(&h, 0);
	hist_add(&h, 50);		/* a bound is in its own bucket (le) */
	hist_add(&h, 51);
	hist_add(&h, 10000000);
	hist_add(&h, 10000001);		/* above every bound */
	hist_add(&h, -1);		/* unknown: not counted */
	assert_int_equal(h.bucket[0], 2);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[HIST_BUCKETS - 1], 1);
	assert_int_equal(h.bucket[HIST_BUCKETS], 1);
	assert_int_equal(h.count, 5);
	assert_int_equal(h.sum_us, 0 + 50 + 51 + 10000000 + 10000001);
}

static void kills_counted_by_trigger_and_followed(void **state)
{
	struct stats st;
	struct scope_stats ss;
	struct victim v = victim(100, "hog", 5000000000LL);

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&ss, 0, sizeof(ss));
	ss.pending_trigger = TRIG_MEM_MIN;
	ss.pending_select_us = 40;
	stats_kill(&st, &ss, 0, &v, 80, 1700000000000LL);
	assert_int_equal(ss.kills[TRIG_MEM_MIN], 1);
	assert_int_equal(st.kills, 1);
	assert_true(ss.has_last);
	assert_int_equal(ss.last.pid, 100);
	assert_string_equal(ss.last.comm, "hog");
	assert_int_equal(ss.last.sample_to_kill_us, 80);
	assert_int_equal(ss.last.exited_ms, -1);
	assert_int_equal(st.sample_to_kill.count, 1);
	assert_int_equal(st.select.count, 1);
	/* its exit 12 ms after the kill, its reap 30 ms after */
	v.t_exited = v.t_kill + 12000000;
	stats_exited(&st, &ss, &v);
	assert_int_equal(ss.last.exited_ms, 12);
	assert_int_equal(stats_recent(&st, 0)->exited_ms, 12);
	v.reap_outcome = REAP_REAPED;
	v.t_reaped = v.t_kill + 30000000;
	stats_reaped(&st, &ss, &v);
	assert_int_equal(ss.last.reaped_ms, 30);
	assert_int_equal(st.reap.count, 1);
	assert_int_equal(st.reap.sum_us, 30000);
	/* a reap that failed is counted by its reason, not in the reap times */
	struct victim u = victim(101, "stuck", 6000000000LL);

	ss.pending_trigger = TRIG_PREDICT;
	stats_kill(&st, &ss, 0, &u, 90, 1700000001000LL);
	u.reap_outcome = REAP_UNABLE;
	stats_reaped(&st, &ss, &u);
	stats_stuck(&st, &ss);
	assert_int_equal(st.reap_failures[REAP_UNABLE], 1);
	assert_int_equal(st.reap.count, 1);
	assert_int_equal(ss.kills[TRIG_PREDICT], 1);
	assert_int_equal(ss.stuck, 1);
	assert_int_equal(st.stuck, 1);
	assert_int_equal(ss.last.pid, 101);
	assert_int_equal(ss.last.reap_outcome, REAP_UNABLE);
	/* the first kill's record is unchanged by the second's outcome */
	assert_int_equal(stats_recent(&st, 1)->pid, 100);
	assert_int_equal(stats_recent(&st, 1)->reaped_ms, 30);
}

static void recent_kills_newest_first_bounded(void **state)
{
	struct stats st;
	struct scope_stats ss;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&ss, 0, sizeof(ss));
	for (int i = 1; i <= STATS_RECENT + 3; i++) {
		struct victim v = victim(i, "x", i * 1000LL);

		stats_kill(&st, &ss, 0, &v, -1, i);
	}
	assert_int_equal(st.nrecent, STATS_RECENT);
	assert_int_equal(stats_recent(&st, 0)->pid, STATS_RECENT + 3);
	assert_int_equal(stats_recent(&st, STATS_RECENT - 1)->pid, 4);
	assert_null(stats_recent(&st, STATS_RECENT));
	/* a kill gone out of the list: its exit changes nothing and crashes nothing */
	struct victim old = victim(1, "x", 1000);

	old.t_exited = 5000000;
	stats_exited(&st, &ss, &old);
	for (int i = 0; i < STATS_RECENT; i++)
		assert_int_equal(stats_recent(&st, i)->exited_ms, -1);
	/* no sample time: not in the histogram */
	assert_int_equal(st.sample_to_kill.count, 0);
}

static void reload_moves_kills_with_their_scope(void **state)
{
	struct stats st;
	struct scope_stats ss;
	const int moved[] = { -1, 0, 1 };	/* scope 0 went; 1 and 2 moved up */

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&ss, 0, sizeof(ss));
	for (int i = 0; i < 3; i++) {
		struct victim v = victim(10 + i, "x", 1000 + i);

		stats_kill(&st, &ss, i, &v, -1, 0);
	}
	stats_rescope(&st, moved, 3);
	assert_int_equal(stats_recent(&st, 0)->scope, 1);	/* pid 12, scope 2 */
	assert_int_equal(stats_recent(&st, 1)->scope, 0);
	assert_int_equal(stats_recent(&st, 2)->scope, -1);
	/* a place out of the map (never a kill's) stays out of every scope */
	st.recent[st.head].scope = 7;
	stats_rescope(&st, moved, 3);
	assert_int_equal(stats_recent(&st, 0)->scope, -1);
}

/* A snapshot of one cgroup scope whose path holds what a cgroup name may */
static struct snapshot *fixture(const char *path)
{
	static struct snapshot s;
	struct scope_stats *ss = &s.scopes[0].st;
	struct victim v = victim(4242, "gr\"ow\x1b", 7000000000LL);

	memset(&s, 0, sizeof(s));
	memcpy(s.magic, SNAPSHOT_MAGIC, sizeof(s.magic));
	s.size = sizeof(s);
	snprintf(s.version, sizeof(s.version), "1.2.3");
	s.pid = 77;
	s.start_real_ms = 1700000000500LL;
	s.now_real_ms = 1700000060500LL;
	s.uptime_ms = 60000;
	s.nscopes = 1;
	snprintf(s.scopes[0].kind, sizeof(s.scopes[0].kind), "cgroup-v1");
	snap_name(s.scopes[0].path, sizeof(s.scopes[0].path), path);
	s.scopes[0].mem_kill_kb = 1000;
	s.scopes[0].mem_min_kb = 2000;
	s.scopes[0].band_kb = 4000;
	ss->sample_ns = 1;
	ss->total_kb = 100000;
	ss->avail_kb = 50000;
	ss->fill_kb_s = 2048;
	ss->pending_trigger = TRIG_MEM_KILL;
	stats_kill(&s.st, ss, 0, &v, 75, 1700000050000LL);
	return &s;
}

static char big[1 << 16];

/* Each of the NULL-ended strings is in text */
static void has_all(const char *text, const char *const *want)
{
	for (; *want; want++) {
		if (!strstr(text, *want))
			print_error("missing: %s\n", *want);
		assert_non_null(strstr(text, *want));
	}
}

#define HAS_ALL(text, ...) has_all(text, (const char *const[]){ __VA_ARGS__, NULL })

static const char *metrics_of(const struct snapshot *s)
{
	struct out o;

	out_init(&o, big, sizeof(big), -1);
	render_metrics(&o, s);
	assert_false(o.cut);
	return big;
}

static void metrics_escape_labels(void **state)
{
	(void)state;
	const char *m = metrics_of(fixture("/cg/a\"b\\c\xff\x1b\xc3\xa9"));

	/* the path's UTF-8 as it is; quote and backslash escaped; other bytes as \xHH text */
	assert_non_null(strstr(m, "oomreaper_kills_total{scope=\"/cg/a\\\"b\\\\c\\\\xff\\\\x1b"
				  "\xc3\xa9\",trigger=\"mem_kill\"} 1\n"));
	HAS_ALL(m, "oomreaper_available_bytes{scope=\"/cg/a", ",level=\"mem_min\"} 2048000\n",
		"oomreaper_build_info{version=\"1.2.3\"} 1\n",
		"oomreaper_start_time_seconds 1700000000.5\n",
		"oomreaper_reap_failures_total{reason=\"unable\"} 0\n");
	/* no raw control byte nor invalid UTF-8 anywhere */
	for (const char *p = m; *p; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	assert_null(strchr(m, '\xff'));
}

static void metrics_histograms_cumulative(void **state)
{
	(void)state;
	const char *m = metrics_of(fixture("/cg"));

	/* 75 us: above 50, under 100 */
	HAS_ALL(m, "oomreaper_sample_to_kill_seconds_bucket{le=\"0.00005\"} 0\n",
		"oomreaper_sample_to_kill_seconds_bucket{le=\"0.0001\"} 1\n",
		"oomreaper_sample_to_kill_seconds_bucket{le=\"10\"} 1\n",
		"oomreaper_sample_to_kill_seconds_bucket{le=\"+Inf\"} 1\n",
		"oomreaper_sample_to_kill_seconds_sum 0.000075\n",
		"oomreaper_sample_to_kill_seconds_count 1\n");
	/* every line: a comment, or NAME[{...}] VALUE */
	for (const char *l = m; *l; l = strchr(l, '\n') + 1) {
		if (*l == '#')
			continue;
		assert_true((*l >= 'a' && *l <= 'z') || *l == '_');
		assert_non_null(memchr(l, ' ', (size_t)(strchr(l, '\n') - l)));
	}
}

static void json_and_text_are_clean(void **state)
{
	struct snap_self me = { 1000, 900 };
	struct out o;

	(void)state;
	out_init(&o, big, sizeof(big), -1);
	render_json(&o, fixture("/cg/x\"\x1b\xff"), &me);
	HAS_ALL(big, "\"path\": \"/cg/x\\\"\\u001b\\u00ff\"", "\"comm\": \"gr\\\"ow\\u001b\"",
		"\"kills\": {\"none\": 0, \"mem_min\": 0, \"mem_kill\": 1",
		"\"sample_to_kill_us\": 75", "\"rss_kb\": 1000, \"locked_kb\": 900", "\"scopes\": [{");
	assert_null(strchr(big, '\x1b'));
	out_init(&o, big, sizeof(big), -1);
	render_text(&o, fixture("/cg/x\x1b[2J"), &me);
	assert_null(strchr(big, '\x1b'));
	assert_non_null(strstr(big, "cgroup-v1 /cg/x\\x1b[2J\n"));
	assert_non_null(strstr(big, "last kill: 4242 (gr\"ow\\x1b) mem_kill, 10s ago, sample to "
				    "kill 75 us"));
	assert_non_null(strstr(big, "total 97.7 MiB, available 48.8 MiB"));
}

static void output_cut_never_overflows(void **state)
{
	char small[64];
	struct out o;

	(void)state;
	memset(small, 'Z', sizeof(small));
	out_init(&o, small, 40, -1);
	render_text(&o, fixture("/cg"), &(struct snap_self){ -1, -1 });
	assert_true(o.cut);
	assert_true(strlen(small) < 40);
	assert_int_equal(small[40], 'Z');
}

static void snapshot_checked(void **state)
{
	struct snapshot *s = fixture("/cg");

	(void)state;
	assert_null(snapshot_check(s, sizeof(*s)));
	assert_non_null(snapshot_check(s, sizeof(*s) - 1));
	assert_non_null(snapshot_check(s, 3));
	s->size--;
	assert_non_null(snapshot_check(s, sizeof(*s)));
	s->size++;
	s->nscopes = CONFIG_MAX_SCOPES + 1;
	assert_non_null(snapshot_check(s, sizeof(*s)));
	s->nscopes = 1;
	s->st.head = STATS_RECENT;
	assert_non_null(snapshot_check(s, sizeof(*s)));
	s->st.head = 0;
	s->magic[0] = 'X';
	assert_non_null(snapshot_check(s, sizeof(*s)));
}

#define POD "0856cde3-94d8-4e00-bd2e-a6f42d63ecff"
#define CID "d98cdf47b496d9bee0e9d0e3b4408d4885322279ae08318624713c0d523c6e07"

/* A kill of a BestEffort pod's container and of a unit whose name holds a quote, kept with
 * their identity (the parse's why not carried), in status and in the metrics */
static void kills_carry_their_identity(void **state)
{
	struct snapshot *s = fixture("/cg");
	struct scope_stats *ss = &s->scopes[0].st;
	struct victim pod = victim(5151, "hog", 8000000000LL);
	struct victim unit = victim(6161, "svc", 9000000000LL);
	struct snap_self me = { 1, 1 };
	struct out o;
	const char *m;

	(void)state;
	assert_int_equal(identity_parse("/kubepods/besteffort/pod" POD "/" CID, &pod.id), 0);
	assert_int_equal(identity_parse("/system.slice/cron.service", &unit.id), 0);
	assert_string_equal(unit.id.unit, "cron.service");
	/* the parse keeps systemd's characters only; what renders a snapshot escapes any */
	snprintf(unit.id.unit, sizeof(unit.id.unit), "a\"b\x1b.service");
	unit.id.why = "set: never carried";
	stats_kill(&s->st, ss, 0, &pod, 10, 1700000055000LL);
	stats_kill(&s->st, ss, 0, &unit, 10, 1700000056250LL);
	assert_null(ss->last.id.why);
	assert_string_equal(stats_recent(&s->st, 1)->id.pod_uid, POD);
	assert_int_equal(stats_recent(&s->st, 1)->id.qos, QOS_BESTEFFORT);

	out_init(&o, big, sizeof(big), -1);
	render_json(&o, s, &me);
	HAS_ALL(big, "\"pid\": 5151, \"comm\": \"hog\"", "\"pod_uid\": \"" POD "\", "
		"\"container_id\": \"" CID "\", \"qos_class\": \"besteffort\"}",
		"\"unit\": \"a\\\"b\\u001b.service\"}");
	out_init(&o, big, sizeof(big), -1);
	render_text(&o, s, &me);
	HAS_ALL(big, "last kill: 6161 (svc) mem_kill, 4s ago, sample to kill 10 us, unit "
		"a\"b\\x1b.service\n",
		"  5151 (hog) mem_kill, 5s ago, sample to kill 10 us, pod_uid " POD
		", container_id " CID ", qos_class besteffort\n");
	assert_null(strchr(big, '\x1b'));

	m = metrics_of(s);
	HAS_ALL(m, "# TYPE oomreaper_recent_kill_timestamp_seconds gauge\n",
		"oomreaper_recent_kill_timestamp_seconds{scope=\"/cg\",pid=\"5151\",comm=\"hog\","
		"pod_uid=\"" POD "\",container_id=\"" CID "\",qos_class=\"besteffort\"} "
		"1700000055\n",
		"oomreaper_recent_kill_timestamp_seconds{scope=\"/cg\",pid=\"6161\",comm=\"svc\","
		"unit=\"a\\\"b\\\\x1b.service\"} 1700000056.25\n",
		"oomreaper_recent_kill_timestamp_seconds{scope=\"/cg\",pid=\"4242\"");
	/* the kills' counter keeps its two labels: no pod, container or pid on it */
	HAS_ALL(m, "oomreaper_kills_total{scope=\"/cg\",trigger=\"mem_kill\"} 3\n");

	/* the same pid killed again in the same container: one series, the newer kill's */
	pod.t_kill++;
	stats_kill(&s->st, ss, 0, &pod, 10, 1700000057000LL);
	m = metrics_of(s);
	const char *first = strstr(m, "pid=\"5151\"");

	assert_non_null(first);
	assert_null(strstr(first + 1, "pid=\"5151\""));
	assert_non_null(strstr(m, CID "\",qos_class=\"besteffort\"} 1700000057\n"));

	/* the ring's bound: never more series than kills remembered */
	for (int i = 0; i < 2 * STATS_RECENT; i++) {
		struct victim v = victim(7000 + i, "x", 10000000000LL + i);

		stats_kill(&s->st, ss, 0, &v, 10, 1700000060000LL);
	}
	int n = 0;

	for (const char *p = metrics_of(s); (p = strstr(p, "\noomreaper_recent_kill_timestamp_"
							 "seconds{")); p++)
		n++;
	assert_int_equal(n, STATS_RECENT);

	/* a status answer whose identity runs past its array is refused */
	memset(s->st.recent[0].id.unit, 'u', sizeof(s->st.recent[0].id.unit));
	assert_non_null(snapshot_check(s, sizeof(*s)));
}

static void snap_name_keeps_the_end(void **state)
{
	char out[8];

	(void)state;
	snap_name(out, sizeof(out), "/short");
	assert_string_equal(out, "/short");
	snap_name(out, sizeof(out), "/a/very/long/path");
	assert_string_equal(out, "...path");
}

static void pressure_averages(void **state)
{
	const char good[] = "some avg10=12.50 avg60=1.00 avg300=0.00 total=123\n"
			    "full avg10=3.25 avg60=0.00 avg300=0.00 total=45\n";
	double some, full;

	(void)state;
	assert_int_equal(parse_pressure_avg10(good, sizeof(good) - 1, &some, &full), 0);
	assert_true(some == 12.5 && full == 3.25);
	/* the machine's file before 5.13 has no full line */
	assert_int_equal(parse_pressure_avg10(good, 51, &some, &full), 0);
	assert_true(some == 12.5 && full == 0);
	const char *bad[] = { "", "full avg10=1.00 total=1\n", "some avg10=x total=1\n",
			      "some avg10=101.00 total=1\n", "some avg10= total=1\n",
			      "some avg10=-1 total=1\n" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_pressure_avg10(bad[i], strlen(bad[i]), &some, &full),
				 -EBADMSG);
}

static void settings_socket_and_metrics_file(void **state)
{
	static struct config c;
	char err[512];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "oomreaper", "socket", "/run/x/s", err, sizeof(err)), 0);
	assert_string_equal(c.socket, "/run/x/s");
	assert_int_equal(config_set(&c, "oomreaper", "socket", "no", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "oomreaper", "socket", "", err, sizeof(err)), 0);
	assert_string_equal(c.socket, "");
	assert_int_not_equal(config_set(&c, "oomreaper", "socket", "relative", err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "absolute"));
	char longp[200];

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_not_equal(config_set(&c, "oomreaper", "socket", longp, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "107"));
	assert_int_equal(config_set(&c, "oomreaper", "metrics_file", "/var/lib/n/oomreaper.prom",
				    err, sizeof(err)), 0);
	assert_string_equal(c.metrics_file, "/var/lib/n/oomreaper.prom");
	assert_int_not_equal(config_set(&c, "oomreaper", "metrics_file", "/tmp/x.txt", err,
					sizeof(err)), 0);
	assert_non_null(strstr(err, ".prom"));
	assert_int_not_equal(config_set(&c, "oomreaper", "metrics_file", "x.prom", err,
					sizeof(err)), 0);
	assert_int_equal(config_set(&c, "oomreaper", "metrics_file", "", err, sizeof(err)), 0);
	assert_string_equal(c.metrics_file, "");
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(histogram_buckets),
		cmocka_unit_test(kills_counted_by_trigger_and_followed),
		cmocka_unit_test(recent_kills_newest_first_bounded),
		cmocka_unit_test(reload_moves_kills_with_their_scope),
		cmocka_unit_test(metrics_escape_labels),
		cmocka_unit_test(metrics_histograms_cumulative),
		cmocka_unit_test(json_and_text_are_clean),
		cmocka_unit_test(output_cut_never_overflows),
		cmocka_unit_test(snapshot_checked),
		cmocka_unit_test(kills_carry_their_identity),
		cmocka_unit_test(snap_name_keeps_the_end),
		cmocka_unit_test(pressure_averages),
		cmocka_unit_test(settings_socket_and_metrics_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
