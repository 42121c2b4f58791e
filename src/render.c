/* render.c - a daemon's snapshot as text, JSON and Prometheus metrics (render.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "reap.h"
#include "render.h"
#include "text.h"

void out_init(struct out *o, char *buf, size_t cap, int fd)
{
	*o = (struct out){ .buf = buf, .cap = cap, .fd = fd };
	if (cap)
		buf[0] = '\0';
}

int out_flush(struct out *o)
{
	size_t off = 0;

	if (o->fd < 0)
		return 0;
	while (off < o->n) {
		ssize_t w = write(o->fd, o->buf + off, o->n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!o->err)
				o->err = w < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)w;
	}
	o->n = 0;
	return o->err;
}

/* Room for need more bytes and the NUL: flushed when it has an fd; false when it has not */
static bool room(struct out *o, size_t need)
{
	if (o->n + need < o->cap)
		return true;
	if (o->fd >= 0) {
		out_flush(o);
		return need < o->cap;
	}
	o->cut = true;
	return false;
}

static void out_bytes(struct out *o, const char *s, size_t len)
{
	while (len) {
		size_t k = len < o->cap / 2 ? len : o->cap / 2;

		if (!k || !room(o, k))
			return;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		o->buf[o->n] = '\0';
		s += k;
		len -= k;
	}
}

void out_str(struct out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

void out_printf(struct out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_bytes(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void out_clean(struct out *o, const char *s)
{
	/* the clean form is at most 4 bytes a byte (\xHH) */
	char tmp[4 * SNAP_NAME + 1];

	text_cleaned(s, tmp, sizeof(tmp));
	out_str(o, tmp);
}

void out_json_str(struct out *o, const char *s)
{
	char tmp[6 * SNAP_NAME + 1];

	json_escape(s, strlen(s), tmp, sizeof(tmp));
	out_str(o, "\"");
	out_str(o, tmp);
	out_str(o, "\"");
}

/*
 * The exposition format's label values are UTF-8 with \\, \" and \n escaped (any other
 * backslash is an error to its parser): a path's valid UTF-8 goes as it is, so that the label
 * is the path; a byte that is not valid UTF-8, or a control byte, as the text \xHH, as the
 * cleaner writes it (text.h), its backslash escaped
 */
void out_prom_label(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);

	while (p < end) {
		size_t k = *p >= 0x80 ? utf8_len(p, end) : 1;

		if (*p == '\\')
			out_str(o, "\\\\");
		else if (*p == '"')
			out_str(o, "\\\"");
		else if (k == 0 || *p < 0x20 || *p == 0x7f)
			out_bytes(o, (char[]){ '\\', '\\', 'x', hex[*p >> 4], hex[*p & 15] }, 5);
		else
			out_bytes(o, (const char *)p, k);
		p += k ? k : 1;
	}
}

const char *snap_scope_label(const struct snap_scope *sc)
{
	return sc->path[0] ? sc->path : "global";
}

/* The scope a kill was counted in, or "" for one a reload removed since */
static const char *kill_scope_label(const struct snapshot *s, const struct stats_kill *k)
{
	return k->scope >= 0 && k->scope < s->nscopes ? snap_scope_label(&s->scopes[k->scope]) : "";
}

/* Whether a string of the snapshot ends within its array */
#define ENDS(a) (memchr((a), '\0', sizeof(a)) != NULL)

static bool identity_ok(const struct identity *id)
{
	return ENDS(id->pod_uid) && ENDS(id->container_id) && ENDS(id->unit);
}

static bool kill_ok(const struct stats_kill *k)
{
	return ENDS(k->comm) && identity_ok(&k->id);
}

const char *snapshot_check(const struct snapshot *s, size_t len)
{
	if (len < sizeof(s->magic) + sizeof(s->size) ||
	    memcmp(s->magic, SNAPSHOT_MAGIC, sizeof(s->magic)))
		return "not an oomreaper status answer";
	if (s->size != sizeof(*s))
		return "the daemon is another build of oomreaper (its status does not match this "
		       "one's): run the status of the daemon's own binary";
	if (len != sizeof(*s))
		return "the answer was cut short";
	/* what a renderer indexes or reads as a C string: within bounds, or refused */
	if (s->nscopes < 0 || s->nscopes > CONFIG_MAX_SCOPES ||
	    s->st.nrecent < 0 || s->st.nrecent > STATS_RECENT ||
	    s->st.head < 0 || s->st.head >= STATS_RECENT || !ENDS(s->version) || !ENDS(s->config))
		return "a malformed status answer";
	for (int i = 0; i < STATS_RECENT; i++)
		if (!kill_ok(&s->st.recent[i]))
			return "a malformed status answer";
	for (int i = 0; i < s->nscopes; i++) {
		const struct snap_scope *sc = &s->scopes[i];

		if (!ENDS(sc->kind) || !ENDS(sc->path) || !ENDS(sc->ahead.comm) ||
		    !ENDS(sc->inflight.comm) || !kill_ok(&sc->st.last) ||
		    !identity_ok(&sc->ahead.id) || !identity_ok(&sc->inflight.id))
			return "a malformed status answer";
	}
	return NULL;
}

static double mib(unsigned long long kb)
{
	return (double)kb / 1024.0;
}

static const char *verdict_name(int v)
{
	switch (v) {
	case VERDICT_OK: return "ok";
	case VERDICT_WARN: return "warning band";
	case VERDICT_TERM: return "short: kill";
	case VERDICT_KILL: return "short: SIGKILL";
	}
	return "unknown";
}

/* "1h02m03s", "5s" */
static void out_duration(struct out *o, long long ms)
{
	long long s = ms / 1000;
	bool lead = true;

	if (s >= 86400) {
		out_printf(o, "%lldd", s / 86400);
		lead = false;
	}
	if (s >= 3600) {
		out_printf(o, lead ? "%lldh" : "%02lldh", s / 3600 % 24);
		lead = false;
	}
	if (s >= 60) {
		out_printf(o, lead ? "%lldm" : "%02lldm", s / 60 % 60);
		lead = false;
	}
	out_printf(o, lead ? "%llds" : "%02llds", s % 60);
}

static void out_process(struct out *o, pid_t pid, const char *comm)
{
	out_printf(o, "%d (", (int)pid);
	out_clean(o, comm);
	out_str(o, ")");
}

/*
 * The identity's known fields: as text ", pod_uid U, container_id C, qos_class Q, unit N", or
 * as JSON members ", \"pod_uid\": \"U\", ..." as list --json and the events give them
 */
static void out_identity(struct out *o, const struct identity *id, bool json)
{
	const char *keys[IDENTITY_FIELDS], *vals[IDENTITY_FIELDS];
	int n = identity_fields(id, keys, vals);

	for (int i = 0; i < n; i++) {
		out_printf(o, json ? ", \"%s\": " : ", %s ", keys[i]);
		if (json)
			out_json_str(o, vals[i]);
		else
			out_clean(o, vals[i]);
	}
}

static void text_kill(struct out *o, const struct snapshot *s, const struct stats_kill *k)
{
	out_process(o, k->pid, k->comm);
	out_printf(o, " %s, ", trigger_name(k->trigger));
	out_duration(o, s->now_real_ms - k->at_ms);
	out_str(o, " ago");
	if (k->sample_to_kill_us >= 0)
		out_printf(o, ", sample to kill %lld us", k->sample_to_kill_us);
	if (k->exited_ms >= 0)
		out_printf(o, ", exited after %lld ms", k->exited_ms);
	if (k->reaped_ms >= 0)
		out_printf(o, ", reaped after %lld ms", k->reaped_ms);
	else if (k->reap_outcome)
		out_printf(o, ", reap: %s", reap_outcome_name(k->reap_outcome));
	out_identity(o, &k->id, false);
}

static void text_scope(struct out *o, const struct snapshot *s, const struct snap_scope *sc)
{
	const struct scope_stats *st = &sc->st;
	unsigned long long kills = 0;

	out_printf(o, "\n%s", sc->kind);
	if (sc->path[0]) {
		out_str(o, " ");
		out_clean(o, sc->path);
	}
	out_str(o, sc->gone ? ": removed, waiting for it to come back\n" : "\n");
	if (!st->sample_ns) {
		out_str(o, "  not sampled yet\n");
	} else {
		out_printf(o, "  total %.1f MiB, available %.1f MiB (%s)\n", mib(st->total_kb),
			   mib(st->avail_kb), verdict_name(st->verdict));
		out_printf(o, "  levels: mem_kill %.1f MiB, mem_min %.1f MiB, band %.1f MiB",
			   mib(sc->mem_kill_kb), mib(sc->mem_min_kb), mib(sc->band_kb));
		if (st->swap_total_kb)
			out_printf(o, "; swap free %.1f of %.1f MiB, swap_min %.1f MiB",
				   mib(st->swap_free_kb), mib(st->swap_total_kb),
				   mib(sc->swap_min_kb));
		out_printf(o, "\n  fill %.1f MiB/s", st->fill_kb_s / 1024.0);
		if (sc->has_psi)
			out_printf(o, "; PSI avg10 some %.2f %%, full %.2f %%", sc->psi_some_pct,
				   sc->psi_full_pct);
		else
			out_str(o, "; PSI: none");
		out_str(o, "\n");
	}
	out_str(o, "  victim ahead: ");
	if (sc->ahead.pid) {
		out_process(o, sc->ahead.pid, sc->ahead.comm);
		out_printf(o, " badness %ld", sc->ahead.badness);
		if (sc->ahead.lead != LONG_MAX)
			out_printf(o, ", lead %ld", sc->ahead.lead);
		out_printf(o, ", chosen %lld ms ago", sc->ahead.age_ms);
		out_identity(o, &sc->ahead.id, false);
		out_str(o, "\n");
	} else {
		out_str(o, "none (chosen in the warning band)\n");
	}
	out_str(o, "  in flight: ");
	if (sc->inflight.pid) {
		out_process(o, sc->inflight.pid, sc->inflight.comm);
		out_printf(o, ", signalled %lld ms ago", sc->inflight.age_ms);
		out_identity(o, &sc->inflight.id, false);
		out_str(o, "\n");
	} else {
		out_str(o, "none\n");
	}
	for (int t = 0; t < STATS_TRIGGERS; t++)
		kills += st->kills[t];
	out_printf(o, "  kills: %llu", kills);
	for (int t = 0, first = 1; t < STATS_TRIGGERS; t++)
		if (st->kills[t]) {
			out_printf(o, "%s%s %llu", first ? " (" : ", ", trigger_name(t),
				   st->kills[t]);
			first = 0;
		}
	out_printf(o, "%s; stuck %llu\n", kills ? ")" : "", st->stuck);
	out_str(o, "  last kill: ");
	if (st->has_last)
		text_kill(o, s, &st->last);
	else
		out_str(o, "none");
	out_str(o, "\n");
}

void render_text(struct out *o, const struct snapshot *s, const struct snap_self *me)
{
	unsigned long long fails = 0;

	for (int i = 0; i < STATS_OUTCOMES; i++)
		fails += s->st.reap_failures[i];
	out_str(o, "oomreaper ");
	out_clean(o, s->version);
	out_printf(o, ", pid %d, up ", (int)s->pid);
	out_duration(o, s->uptime_ms);
	out_str(o, ", configuration ");
	if (s->config[0])
		out_clean(o, s->config);
	else
		out_str(o, "built-in defaults");
	out_str(o, s->dry_run ? ", DRY RUN\n" : "\n");
	if (me->rss_kb >= 0)
		out_printf(o, "memory: %lld kB resident, %lld kB locked\n", me->rss_kb,
			   me->locked_kb);
	out_printf(o, "kills %llu, victims stuck %llu, reap failures %llu, kills called off %llu, "
		      "victims at the reaper %d\n", s->st.kills, s->st.stuck, fails, s->aborts,
		   s->draining);
	for (int i = 0; i < s->nscopes; i++)
		text_scope(o, s, &s->scopes[i]);
	if (s->st.nrecent)
		out_str(o, "\nrecent kills:\n");
	for (int i = 0; i < s->st.nrecent; i++) {
		const struct stats_kill *k = stats_recent(&s->st, i);

		out_str(o, "  ");
		text_kill(o, s, k);
		out_str(o, "\n");
	}
}

static void json_victim(struct out *o, const char *key, const struct snap_victim *v, bool lead)
{
	out_printf(o, ", \"%s\": ", key);
	if (!v->pid) {
		out_str(o, "null");
		return;
	}
	out_printf(o, "{\"pid\": %d, \"comm\": ", (int)v->pid);
	out_json_str(o, v->comm);
	out_printf(o, ", \"badness\": %ld", v->badness);
	if (lead) {
		if (v->lead == LONG_MAX)
			out_str(o, ", \"lead\": null");
		else
			out_printf(o, ", \"lead\": %ld", v->lead);
	}
	out_printf(o, ", \"ms\": %lld", v->age_ms);
	out_identity(o, &v->id, true);
	out_str(o, "}");
}

static void json_kill(struct out *o, const struct snapshot *s, const struct stats_kill *k)
{
	out_printf(o, "{\"pid\": %d, \"comm\": ", (int)k->pid);
	out_json_str(o, k->comm);
	out_printf(o, ", \"scope\": ");
	if (k->scope >= 0 && k->scope < s->nscopes)
		out_json_str(o, snap_scope_label(&s->scopes[k->scope]));
	else
		out_str(o, "null");
	out_printf(o, ", \"trigger\": \"%s\", \"ts\": %lld, \"sample_to_kill_us\": %lld, "
		      "\"select_us\": %lld, \"exited_ms\": %lld, \"reaped_ms\": %lld, "
		      "\"reap\": \"%s\"",
		   trigger_name(k->trigger), k->at_ms, k->sample_to_kill_us, k->select_us,
		   k->exited_ms, k->reaped_ms, reap_outcome_name(k->reap_outcome));
	out_identity(o, &k->id, true);
	out_str(o, "}");
}

static void json_scope(struct out *o, const struct snapshot *s, const struct snap_scope *sc)
{
	const struct scope_stats *st = &sc->st;
	unsigned long long kills = 0;

	out_printf(o, "{\"kind\": \"%s\", \"path\": ", sc->kind);
	out_json_str(o, sc->path);
	out_printf(o, ", \"gone\": %s, \"sampled\": %s, \"total_bytes\": %llu, "
		      "\"available_bytes\": %llu, \"state\": \"%s\"",
		   sc->gone ? "true" : "false", st->sample_ns ? "true" : "false",
		   st->total_kb * 1024, st->avail_kb * 1024, verdict_name(st->verdict));
	out_printf(o, ", \"levels\": {\"mem_kill_bytes\": %llu, \"mem_min_bytes\": %llu, "
		      "\"band_bytes\": %llu, \"swap_min_bytes\": %llu}",
		   sc->mem_kill_kb * 1024, sc->mem_min_kb * 1024, sc->band_kb * 1024,
		   sc->swap_min_kb * 1024);
	out_printf(o, ", \"swap_total_bytes\": %llu, \"swap_free_bytes\": %llu",
		   st->swap_total_kb * 1024, st->swap_free_kb * 1024);
	out_printf(o, ", \"fill_bytes_per_second\": %.0f", st->fill_kb_s * 1024);
	if (sc->has_psi)
		out_printf(o, ", \"psi\": {\"some_avg10\": %.2f, \"full_avg10\": %.2f}",
			   sc->psi_some_pct, sc->psi_full_pct);
	else
		out_str(o, ", \"psi\": null");
	json_victim(o, "victim_ahead", &sc->ahead, true);
	json_victim(o, "in_flight", &sc->inflight, false);
	out_str(o, ", \"kills\": {");
	for (int t = 0; t < STATS_TRIGGERS; t++) {
		kills += st->kills[t];
		out_printf(o, "%s\"%s\": %llu", t ? ", " : "", trigger_name(t), st->kills[t]);
	}
	out_printf(o, "}, \"kills_total\": %llu, \"stuck\": %llu, \"last_kill\": ", kills,
		   st->stuck);
	if (st->has_last)
		json_kill(o, s, &st->last);
	else
		out_str(o, "null");
	out_str(o, "}");
}

void render_json(struct out *o, const struct snapshot *s, const struct snap_self *me)
{
	out_str(o, "{\"version\": ");
	out_json_str(o, s->version);
	out_printf(o, ", \"pid\": %d, \"uptime_s\": %.3f, \"start_time\": %lld, \"config\": ",
		   (int)s->pid, s->uptime_ms / 1000.0, s->start_real_ms / 1000);
	if (s->config[0])
		out_json_str(o, s->config);
	else
		out_str(o, "null");
	out_printf(o, ", \"dry_run\": %s, \"rss_kb\": %lld, \"locked_kb\": %lld",
		   s->dry_run ? "true" : "false", me->rss_kb, me->locked_kb);
	out_printf(o, ", \"kills\": %llu, \"victims_stuck\": %llu, \"aborts\": %llu, "
		      "\"victims_at_reaper\": %d, \"reap_failures\": {",
		   s->st.kills, s->st.stuck, s->aborts, s->draining);
	for (int i = REAP_UNABLE; i < STATS_OUTCOMES; i++)
		out_printf(o, "%s\"%s\": %llu", i > REAP_UNABLE ? ", " : "", reap_outcome_name(i),
			   s->st.reap_failures[i]);
	out_str(o, "}, \"scopes\": [");
	for (int i = 0; i < s->nscopes; i++) {
		if (i)
			out_str(o, ", ");
		json_scope(o, s, &s->scopes[i]);
	}
	out_str(o, "], \"recent_kills\": [");
	for (int i = 0; i < s->st.nrecent; i++) {
		if (i)
			out_str(o, ", ");
		json_kill(o, s, stats_recent(&s->st, i));
	}
	out_str(o, "]}\n");
}

/* --- Prometheus ----------------------------------------------------------------------------
 * Written by the daemon each second: integers and fixed decimals only, no printf, whose code
 * (vfprintf, the float conversions) would stay locked in its memory once touched (resident.h) */

static void out_ull(struct out *o, unsigned long long v)
{
	char d[24];
	int n = 0;

	do
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(d));
	out_bytes(o, d + sizeof(d) - n, (size_t)n);
}

static void out_ll(struct out *o, long long v)
{
	if (v < 0) {
		out_str(o, "-");
		out_ull(o, -(unsigned long long)v);
		return;
	}
	out_ull(o, (unsigned long long)v);
}

/* v / 10^places as a decimal, its trailing zeros dropped: 50 us, places 6: "0.00005" */
static void out_fixed(struct out *o, unsigned long long v, int places)
{
	unsigned long long scale = 1;
	char frac[24];
	int n = places;

	for (int i = 0; i < places; i++)
		scale *= 10;
	out_ull(o, v / scale);
	v %= scale;
	for (int i = places - 1; i >= 0; i--, v /= 10)
		frac[i] = (char)('0' + v % 10);
	while (n > 0 && frac[n - 1] == '0')
		n--;
	if (n) {
		out_str(o, ".");
		out_bytes(o, frac, (size_t)n);
	}
}

static void prom_head(struct out *o, const char *name, const char *type, const char *help)
{
	out_str(o, "# HELP ");
	out_str(o, name);
	out_str(o, " ");
	out_str(o, help);
	out_str(o, "\n# TYPE ");
	out_str(o, name);
	out_str(o, " ");
	out_str(o, type);
	out_str(o, "\n");
}

/* name{scope="..." : the caller adds its other labels and closes */
static void prom_scoped(struct out *o, const char *name, const struct snap_scope *sc)
{
	out_str(o, name);
	out_str(o, "{scope=\"");
	out_prom_label(o, snap_scope_label(sc));
	out_str(o, "\"");
}

/* "} VALUE\n" */
static void prom_value(struct out *o, long long v)
{
	out_str(o, "} ");
	out_ll(o, v);
	out_str(o, "\n");
}

/* A sample without labels: "NAME VALUE\n" */
static void prom_plain(struct out *o, const char *name, unsigned long long v)
{
	out_str(o, name);
	out_str(o, " ");
	out_ull(o, v);
	out_str(o, "\n");
}

static void prom_hist(struct out *o, const char *name, const char *help, const struct hist *h)
{
	unsigned long long cum = 0;

	prom_head(o, name, "histogram", help);
	for (int i = 0; i <= HIST_BUCKETS; i++) {
		cum += h->bucket[i];
		out_str(o, name);
		out_str(o, "_bucket{le=\"");
		if (i < HIST_BUCKETS)
			out_fixed(o, (unsigned long long)stats_bounds_us[i], 6);
		else
			out_str(o, "+Inf");
		out_str(o, "\"} ");
		out_ull(o, cum);
		out_str(o, "\n");
	}
	out_str(o, name);
	out_str(o, "_sum ");
	out_fixed(o, h->sum_us, 6);
	out_str(o, "\n");
	out_str(o, name);
	out_str(o, "_count ");
	out_ull(o, h->count);
	out_str(o, "\n");
}

/* One gauge per scope that has been sampled, in bytes */
static void prom_per_scope(struct out *o, const struct snapshot *s, const char *name,
			   const char *help, int what)
{
	prom_head(o, name, "gauge", help);
	for (int i = 0; i < s->nscopes; i++) {
		const struct snap_scope *sc = &s->scopes[i];

		if (!sc->st.sample_ns && what != 3)
			continue;
		prom_scoped(o, name, sc);
		prom_value(o, what == 0 ? (long long)(sc->st.avail_kb * 1024)
			      : what == 1 ? (long long)(sc->st.total_kb * 1024)
			      : what == 2 ? (long long)(sc->st.fill_kb_s * 1024)
					  : (sc->inflight.pid ? 1 : 0));
	}
}

static bool same_series(const struct snapshot *s, const struct stats_kill *a,
			const struct stats_kill *b)
{
	return a->pid == b->pid && !strcmp(a->comm, b->comm) &&
	       !strcmp(kill_scope_label(s, a), kill_scope_label(s, b)) &&
	       a->id.qos == b->id.qos &&
	       !strcmp(a->id.pod_uid, b->id.pod_uid) &&
	       !strcmp(a->id.container_id, b->id.container_id) && !strcmp(a->id.unit, b->id.unit);
}

/*
 * The recent kills (STATS_RECENT at most), one series each, labelled with who was killed:
 * pods and containers come and go, so a label of theirs on a counter would make a series for
 * each of them for ever; these stay as few as the kills remembered. Two kills that would make
 * the same series (a pid reused in the same container) show the newer only: a page with a
 * series twice is refused whole by node_exporter.
 */
static void prom_recent_kills(struct out *o, const struct snapshot *s)
{
	static const char name[] = "oomreaper_recent_kill_timestamp_seconds";

	prom_head(o, name, "gauge",
		  "The daemon's recent kills, when each was signalled, in seconds since the epoch, "
		  "with the victim's pod, container, QoS class and unit where known.");
	for (int i = 0; i < s->st.nrecent; i++) {
		const struct stats_kill *k = stats_recent(&s->st, i);
		const char *keys[IDENTITY_FIELDS], *vals[IDENTITY_FIELDS];
		int n = identity_fields(&k->id, keys, vals);
		bool newer = false;

		for (int j = 0; j < i && !newer; j++)
			newer = same_series(s, stats_recent(&s->st, j), k);
		if (newer)
			continue;
		out_str(o, name);
		out_str(o, "{scope=\"");
		out_prom_label(o, kill_scope_label(s, k));
		out_str(o, "\",pid=\"");
		out_ll(o, k->pid);
		out_str(o, "\",comm=\"");
		out_prom_label(o, k->comm);
		out_str(o, "\"");
		for (int f = 0; f < n; f++) {
			out_str(o, ",");
			out_str(o, keys[f]);
			out_str(o, "=\"");
			out_prom_label(o, vals[f]);
			out_str(o, "\"");
		}
		out_str(o, "} ");
		out_fixed(o, (unsigned long long)(k->at_ms > 0 ? k->at_ms : 0), 3);
		out_str(o, "\n");
	}
}

void render_metrics(struct out *o, const struct snapshot *s)
{
	static const char *const levels[] = { "mem_kill", "mem_min", "band", "swap_min" };

	prom_head(o, "oomreaper_build_info", "gauge", "The running oomreaper's version.");
	out_str(o, "oomreaper_build_info{version=\"");
	out_prom_label(o, s->version);
	out_str(o, "\"} 1\n");
	prom_head(o, "oomreaper_start_time_seconds", "gauge",
		  "When the daemon started, in seconds since the epoch.");
	out_str(o, "oomreaper_start_time_seconds ");
	out_fixed(o, (unsigned long long)s->start_real_ms, 3);
	out_str(o, "\n");
	prom_head(o, "oomreaper_kills_total", "counter",
		  "Victims killed, by scope and by the trigger that fired.");
	for (int i = 0; i < s->nscopes; i++)
		for (int t = 0; t < STATS_TRIGGERS; t++) {
			prom_scoped(o, "oomreaper_kills_total", &s->scopes[i]);
			out_str(o, ",trigger=\"");
			out_str(o, trigger_name(t));
			out_str(o, "\"");
			prom_value(o, (long long)s->scopes[i].st.kills[t]);
		}
	prom_per_scope(o, s, "oomreaper_available_bytes",
		       "Memory the scope can still take without an OOM, at its last sample.", 0);
	prom_per_scope(o, s, "oomreaper_total_bytes",
		       "The scope's memory: the machine's RAM or the cgroup's limit.", 1);
	prom_head(o, "oomreaper_level_bytes", "gauge",
		  "The scope's levels: mem_kill, mem_min, the warning band's edge, swap_min.");
	for (int i = 0; i < s->nscopes; i++) {
		const struct snap_scope *sc = &s->scopes[i];
		unsigned long long kb[] = { sc->mem_kill_kb, sc->mem_min_kb, sc->band_kb,
					    sc->swap_min_kb };

		for (int l = 0; l < 4; l++) {
			prom_scoped(o, "oomreaper_level_bytes", sc);
			out_str(o, ",level=\"");
			out_str(o, levels[l]);
			out_str(o, "\"");
			prom_value(o, (long long)(kb[l] * 1024));
		}
	}
	prom_per_scope(o, s, "oomreaper_fill_bytes_per_second",
		       "How fast the scope's memory is being taken (negative: given back).", 2);
	prom_per_scope(o, s, "oomreaper_victims_in_flight",
		       "Victims killed whose memory is not back yet, by scope.", 3);
	prom_hist(o, "oomreaper_sample_to_kill_seconds",
		  "From the sample that fired a trigger to the victim's signal.",
		  &s->st.sample_to_kill);
	prom_hist(o, "oomreaper_select_seconds",
		  "From the decision to kill to the victim chosen and held.", &s->st.select);
	prom_hist(o, "oomreaper_reap_seconds",
		  "From the SIGKILL to the victim's memory reaped (process_mrelease).",
		  &s->st.reap);
	prom_head(o, "oomreaper_victims_stuck_total", "counter",
		  "Victims neither gone nor reaped by their deadline.");
	prom_plain(o, "oomreaper_victims_stuck_total", s->st.stuck);
	prom_head(o, "oomreaper_reap_failures_total", "counter",
		  "Reaps that failed, by reason (unable: the mmap lock stayed taken; refused: "
		  "a sharer alive or a core dump; unsupported: no process_mrelease).");
	for (int i = REAP_UNABLE; i < STATS_OUTCOMES; i++) {
		out_str(o, "oomreaper_reap_failures_total{reason=\"");
		out_str(o, reap_outcome_name(i));
		out_str(o, "\"");
		prom_value(o, (long long)s->st.reap_failures[i]);
	}
	prom_head(o, "oomreaper_kill_aborts_total", "counter",
		  "Kills called off: memory came back before the signal.");
	prom_plain(o, "oomreaper_kill_aborts_total", s->aborts);
	prom_recent_kills(o, s);
}
