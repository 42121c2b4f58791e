/* daemon_log.c - what the daemon says: human lines on stderr, JSON lines on its log; built
 * on the stack with write(2), no stdio, so that they can be said when memory is short */
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "watch.h"

void log_line(const char *a, const char *b, const char *c)
{
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: ");
	line_str(&l, a);
	if (b)
		line_str(&l, b);
	if (c)
		line_str(&l, c);
	line_write(&l, 2);
}

/* "oomreaper: A B; what settle() said", or without the last part when it said nothing */
void log_settled(const char *a, const char *b, struct line *settled)
{
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: ");
	line_str(&l, a);
	line_str(&l, b);
	if (settled->n) {
		line_str(&l, "; ");
		line_str(&l, line_text(settled));
	}
	line_write(&l, 2);
}

/* Starts a JSON event line: {"ts": ms, "event": "name" */
void jbegin(struct line *l, const char *event)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	line_init(l);
	line_str(l, "{\"ts\": ");
	line_long(l, ts.tv_sec * 1000LL + ts.tv_nsec / 1000000);
	line_str(l, ", \"event\": \"");
	line_str(l, event);
	line_str(l, "\"");
}

void jstr(struct line *l, const char *key, const char *val)
{
	line_str(l, ", \"");
	line_str(l, key);
	line_str(l, "\": \"");
	line_json_str(l, val);
	line_str(l, "\"");
}

void jnum(struct line *l, const char *key, long long val)
{
	line_str(l, ", \"");
	line_str(l, key);
	line_str(l, "\": ");
	line_long(l, val);
}

void jend(struct line *l)
{
	line_str(l, "}");
	if (dmn.log_fd >= 0)
		line_write(l, dmn.log_fd);
}

void jevent(const char *event, const char *scope, const char *reason)
{
	struct line l;

	if (dmn.log_fd < 0)
		return;
	jbegin(&l, event);
	if (scope)
		jstr(&l, "scope", scope);
	if (reason)
		jstr(&l, "reason", reason);
	jend(&l);
}

void jvictim(const char *event, const struct watch *w, const struct victim *v,
		    const char *extra_key, long long extra)
{
	struct line l;

	if (dmn.log_fd < 0)
		return;
	jbegin(&l, event);
	jstr(&l, "scope", w->name);
	jnum(&l, "pid", v->chosen.pid);
	jstr(&l, "comm", v->chosen.comm);
	jnum(&l, "badness", v->chosen.badness);
	jnum(&l, "rss_kb", (long long)(v->chosen.rss_anon_kb + v->chosen.rss_file_kb +
				       v->chosen.rss_shmem_kb));
	jnum(&l, "members", v->n);
	/* sharers the SIGKILL did not reach: their memory stays */
	jnum(&l, "left_alive", v->unsignalled);
	if (extra_key)
		jnum(&l, extra_key, extra);
	jend(&l);
}

/* Starts a human line about a scope: "oomreaper: SCOPE: " */
static void line_scope(struct line *l, const struct watch *w)
{
	line_init(l);
	line_str(l, "oomreaper: ");
	line_str(l, w->name);
	line_str(l, ": ");
}

void say_killed(const struct watch *w, const struct slot *s)
{
	struct line l;
	/* what pre-selection buys: from the sample that fired to the SIGKILL */
	long long us = w->fired_at && s->v.t_kill > w->fired_at ? (s->v.t_kill - w->fired_at) / 1000
								 : -1;

	line_scope(&l, w);
	report_killed(&l, &s->v.chosen);
	line_write(&l, 2);
	for (int i = 1; i < s->v.n; i++) {
		line_init(&l);
		line_str(&l, "oomreaper: killed process ");
		line_long(&l, s->v.m[i].pid);
		line_str(&l, " (");
		line_comm(&l, s->v.m[i].comm);
		line_str(&l, "), which shares its memory");
		line_write(&l, 2);
	}
	jvictim("kill", w, &s->v, "sample_to_kill_us", us);
}

/* The trigger's lines: written after the signal when there is one, so as not to delay it */
void say_trigger(const struct watch *w, const struct decision *d)
{
	struct line l;

	line_scope(&l, w);
	line_str(&l, trigger_name(d->trigger));
	line_str(&l, ": ");
	line_str(&l, d->reason);
	line_write(&l, 2);
	if (dmn.log_fd >= 0) {
		jbegin(&l, "trigger");
		jstr(&l, "scope", w->name);
		jstr(&l, "trigger", trigger_name(d->trigger));
		jstr(&l, "reason", d->reason);
		jnum(&l, "fill_kb_s", (long long)d->fill_kb_s);
		jend(&l);
	}
}

void say_would_kill(const struct watch *w, const struct slot *s)
{
	struct line l;

	line_scope(&l, w);
	line_str(&l, "would kill process ");
	line_long(&l, s->v.chosen.pid);
	line_str(&l, " (");
	line_comm(&l, s->v.chosen.comm);
	line_str(&l, ") badness ");
	line_long(&l, s->v.chosen.badness);
	line_str(&l, ", with ");
	line_long(&l, s->v.n - 1);
	line_str(&l, " sharer(s)");
	line_write(&l, 2);
	jvictim("would_kill", w, &s->v, NULL, 0);
}

void say_exited(const struct watch *w, const struct slot *s)
{
	const struct victim *v = &s->v;
	long long ms = ms_between(v->t_kill ? v->t_kill : v->t_term, v->t_exited);
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: process ");
	line_long(&l, v->chosen.pid);
	line_str(&l, " (");
	line_comm(&l, v->chosen.comm);
	line_str(&l, ") exited ");
	line_long(&l, ms);
	line_str(&l, v->t_kill ? " ms after the kill" : " ms after SIGTERM");
	line_write(&l, 2);
	jvictim("exit", w, v, "ms", ms);
}

/* The reaper writes its own human line (reap.h): here, only the JSON event */
void say_reaped(const struct watch *w, const struct slot *s)
{
	const struct victim *v = &s->v;
	struct line l;

	if (dmn.log_fd < 0)
		return;
	jbegin(&l, "reap");
	jstr(&l, "scope", w->name);
	jnum(&l, "pid", v->chosen.pid);
	jstr(&l, "outcome", reap_outcome_name(v->reap_outcome));
	jnum(&l, "attempts", v->reap_attempts);
	jnum(&l, "ms", v->t_reaped ? ms_between(v->t_kill, v->t_reaped) : -1);
	jnum(&l, "now_anon_kb", (long long)v->now_anon_kb);
	jend(&l);
}
