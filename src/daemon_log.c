/* daemon_log.c - what the daemon says: human lines on stderr, JSON lines on its log; built
 * on the stack with write(2), no stdio, so that they can be said when memory is short */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon_log.h"
#include "daemon_state.h"
#include "report.h"
#include "sys.h"

/* "oomreaper: ABC": the parts may hold a comm, a path or a value read from a file, so each
 * goes through the cleaner */
void log_line(enum line_prio prio, const char *a, const char *b, const char *c)
{
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: ");
	line_path(&l, a, 0);
	if (b)
		line_path(&l, b, 0);
	if (c)
		line_path(&l, c, 0);
	line_say(&l, 2, prio);
}

/* "oomreaper: A B; what settle() said", or without the last part when it said nothing */
void log_settled(enum line_prio prio, const char *a, const char *b, struct line *settled)
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
	line_say(&l, 2, prio);
}

/*
 * The JSON log's file. Root writes it, often in a directory others may write to (/tmp, /var/tmp):
 * the file is never reached through a symlink (O_NOFOLLOW) and is either made new here
 * (O_EXCL) or an existing regular file of our own user with one link — not a device, a FIFO
 * whose reader could stall every log line, or a hard link someone else made to a file of
 * root's (fs.protected_symlinks and protected_hardlinks are off on many machines).
 */
int log_open(const char *path, char *err, size_t len)
{
	int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	int fd = open(path, flags | O_CREAT | O_EXCL, 0640);
	struct stat st;

	if (fd < 0 && errno == EEXIST)
		fd = open(path, flags);
	if (fd < 0) {
		int e = errno;

		/* ELOOP: O_NOFOLLOW met a symlink; ENXIO: a FIFO without a reader */
		snprintf(err, len, "%s: %s", path,
			 e == ELOOP ? "a symlink: refused (give the file itself)"
			 : e == ENXIO ? "not a regular file: refused" : strerror(e));
		return -e;
	}
	const char *why = fstat(fd, &st) ? strerror(errno)
			  : !S_ISREG(st.st_mode) ? "not a regular file: refused"
			  : st.st_uid != geteuid() ? "owned by another user: refused"
			  : st.st_nlink != 1 ? "has other hard links: refused" : NULL;

	if (why) {
		close(fd);
		snprintf(err, len, "%s: %s", path, why);
		return -EPERM;
	}
	/* past RLIMIT_FSIZE a write is EFBIG, counted as any other failure, not a SIGXFSZ that
	 * would end the daemon */
	signal(SIGXFSZ, SIG_IGN);
	return fd;
}

/*
 * A JSON line to the log. A failed write (ENOSPC, EIO, EFBIG, EAGAIN) is said once on stderr
 * and then only counted, so that a full disk neither floods stderr nor passes unsaid; the
 * line is dropped, never retried: the loop does not wait on the log.
 */
static void log_write_json(struct daemon *dmn, struct line *l)
{
	int r = line_write(l, dmn->log_fd);
	const char *desc;

	if (!r || dmn->log_failures++)
		return;
	/* strerrordesc_np(): no translation, no allocation, unlike strerror() */
	desc = strerrordesc_np(-r);
	line_init(l);
	line_str(l, "oomreaper: cannot write the JSON log: ");
	if (desc)
		line_str(l, desc);
	else
		line_long(l, -r);
	line_str(l, "; further failures are counted, not said");
	line_say(l, 2, PRIO_ERR);
}

void say_stopping(struct daemon *dmn)
{
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: stopping");
	if (dmn->log_failures) {
		line_str(&l, "; ");
		line_ulong(&l, dmn->log_failures);
		line_str(&l, " JSON log line(s) could not be written");
	}
	line_say(&l, 2, PRIO_INFO);
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

/*
 * A JSON line stays valid whatever its values: every member is added whole or not at all,
 * always leaving room for the "}" that jend() puts; only a string's value may be cut, at an
 * escape's or a character's end, and its closing quote still fits.
 */
#define JSON_CLOSE 1
/* The most a string value may take, escaped: a long path leaves room for the members after
 * it (a line holds two such values and the numbers) */
#define JSON_STR_MAX 512

/* ", \"key\": " when it fits with need more bytes after it and the close; false if not */
static bool jkey(struct line *l, const char *key, size_t need)
{
	if (line_room(l, JSON_CLOSE) < strlen(key) + 6 + need)
		return false;
	line_str(l, ", \"");
	line_str(l, key);
	line_str(l, "\": ");
	return true;
}

void jstr(struct line *l, const char *key, const char *val)
{
	/* at least the empty string */
	if (!jkey(l, key, 2))
		return;
	line_str(l, "\"");
	/* the closing quote and the close kept free, and the value JSON_STR_MAX at most */
	size_t room = line_room(l, 0), keep = 1 + JSON_CLOSE;

	if (room > JSON_STR_MAX + keep)
		keep = room - JSON_STR_MAX;
	line_json_str(l, val, keep);
	line_str(l, "\"");
}

void jnum(struct line *l, const char *key, long long val)
{
	/* the longest a long long prints */
	if (!jkey(l, key, 20))
		return;
	line_long(l, val);
}

void jend(struct daemon *dmn, struct line *l)
{
	line_str(l, "}");
	if (dmn->log_fd >= 0)
		log_write_json(dmn, l);
}

void jevent(struct daemon *dmn, const char *event, const char *scope, const char *reason)
{
	struct line l;

	if (dmn->log_fd < 0)
		return;
	jbegin(&l, event);
	if (scope)
		jstr(&l, "scope", scope);
	if (reason)
		jstr(&l, "reason", reason);
	jend(dmn, &l);
}

/* The victim's pod_uid, container_id, qos_class and unit, those known (json_identity()'s
 * members, without stdio) */
static void jidentity(struct line *l, const struct identity *id)
{
	const char *keys[IDENTITY_FIELDS], *vals[IDENTITY_FIELDS];
	int n = identity_fields(id, keys, vals);

	for (int i = 0; i < n; i++)
		jstr(l, keys[i], vals[i]);
}

/* An event about a victim: its scope, who it is, its size and its group */
static void jvictim_begin(struct line *l, const char *event, const struct watch *w,
			  const struct victim *v)
{
	jbegin(l, event);
	jstr(l, "scope", w->name);
	jnum(l, "pid", v->chosen.pid);
	jstr(l, "comm", v->chosen.comm);
	jnum(l, "badness", v->chosen.badness);
	jnum(l, "rss_kb", (long long)(v->chosen.rss_anon_kb + v->chosen.rss_file_kb +
				      v->chosen.rss_shmem_kb));
	jnum(l, "members", v->n);
	/* sharers the SIGKILL did not reach: their memory stays */
	jnum(l, "left_alive", v->unsignalled);
	jidentity(l, &v->id);
}

void jvictim(struct daemon *dmn, const char *event, const struct watch *w, const struct victim *v,
		    const char *extra_key, long long extra)
{
	struct line l;

	if (dmn->log_fd < 0)
		return;
	jvictim_begin(&l, event, w, v);
	if (extra_key)
		jnum(&l, extra_key, extra);
	group_json(&l, w, v);
	jend(dmn, &l);
}

/*
 * The kill (or, in a dry run, the would-be kill): the victim, then what chose it (how long
 * choosing took, how many candidates were judged, the runner-up and the victim's lead over
 * it), then the trigger's figures, the cgroup last: a long path gives way, not the figures
 */
static void jkill(struct daemon *dmn, const char *event, const struct watch *w,
		  const struct slot *s, long long sample_to_kill)
{
	const struct slot_note *note = slot_note(dmn, s);
	const struct decision *d = &note->fired;
	struct line l;

	if (dmn->log_fd < 0)
		return;
	jvictim_begin(&l, event, w, &s->v);
	if (sample_to_kill >= 0 || !strcmp(event, "kill"))
		jnum(&l, "sample_to_kill_us", sample_to_kill);
	/* 1: the victim chosen ahead in the warning band, re-checked; 0: chosen at the trigger */
	jnum(&l, "ahead", s->ahead);
	jnum(&l, "select_us", note->select_us);
	jnum(&l, "candidates", note->candidates);
	jnum(&l, "scanned", note->scanned);
	if (note->has_runner_up) {
		jnum(&l, "runner_up_pid", note->runner_up_pid);
		jstr(&l, "runner_up_comm", note->runner_up_comm);
		jnum(&l, "runner_up_badness", note->runner_up_badness);
		long long margin;

		/* badness may be negative (oom_score_adj, avoid rules): said only when the
		 * difference is a number */
		if (!__builtin_sub_overflow((long long)s->v.chosen.badness,
					    (long long)note->runner_up_badness, &margin))
			jnum(&l, "margin", margin);
	}
	jstr(&l, "trigger", trigger_name(d->trigger));
	jnum(&l, "available_kb", (long long)d->avail_kb);
	jnum(&l, "total_kb", (long long)d->total_kb);
	jnum(&l, "mem_min_kb", (long long)d->min_kb);
	jnum(&l, "mem_kill_kb", (long long)d->kill_kb);
	jnum(&l, "fill_kb_s", (long long)d->fill_kb_s);
	if (d->psi_pct >= 0)
		jnum(&l, "psi_pct", (long long)d->psi_pct);
	group_json(&l, w, &s->v);
	jstr(&l, "cgroup", note->cgroup);
	jend(dmn, &l);
}

/* Starts a human line about a scope: "oomreaper: SCOPE: ", the scope's path shortened at its
 * start when needed to leave keep bytes for what follows */
static void line_scope_keep(struct line *l, const struct watch *w, size_t keep)
{
	line_init(l);
	line_str(l, "oomreaper: ");
	line_path(l, w->name, keep + 2);
	line_str(l, ": ");
}

/* What a scope's line keeps for the rest of it when the caller does not say: a comm, figures
 * and a sentence such as "would kill process PID (COMM) badness N, with N sharer(s)" (a path
 * of 600 bytes still goes whole) */
#define SCOPE_LINE_KEEP 384

static void line_scope(struct line *l, const struct watch *w)
{
	line_scope_keep(l, w, SCOPE_LINE_KEEP);
}

/* "PID (comm)", the comm cleaned (line_comm) */
static void line_process(struct line *l, pid_t pid, const char *comm)
{
	line_long(l, pid);
	line_str(l, " (");
	line_comm(l, comm);
	line_str(l, ")");
}

/* What pre-selection buys: from the sample that fired to the SIGKILL, in us; -1 when a timer,
 * not a sample, sent it */
long long sample_to_kill_us(const struct watch *w, const struct victim *v)
{
	return w->fired_at && v->t_kill > w->fired_at ? (v->t_kill - w->fired_at) / 1000 : -1;
}

/*
 * The events socket's line (events.h): what a desktop notification needs and no more. v: the
 * victim (NULL: a warning without one); d: the trigger and its figures, said in words.
 */
static void publish(struct daemon *dmn, const char *event, const struct watch *w,
		    const struct victim *v, const struct decision *d)
{
	struct line l;

	if (!dmn->events.n)
		return;
	jbegin(&l, event);
	jstr(&l, "scope", w->name);
	if (v) {
		jnum(&l, "pid", v->chosen.pid);
		jstr(&l, "comm", v->chosen.comm);
		jnum(&l, "uid", v->chosen.uid);
		jnum(&l, "rss_kb", (long long)(v->chosen.rss_anon_kb + v->chosen.rss_file_kb +
					       v->chosen.rss_shmem_kb));
	}
	jstr(&l, "trigger", d->trigger != TRIG_NONE ? trigger_name(d->trigger) : "warn");
	jstr(&l, "reason", d->reason);
	line_str(&l, "}");
	if (l.n + 1 >= sizeof(l.buf))
		return;
	l.buf[l.n++] = '\n';
	events_send(&dmn->events, l.buf, l.n);
}

void say_warning(struct daemon *dmn, const struct watch *w, const struct slot *s,
		 const struct decision *d)
{
	publish(dmn, "warn", w, s ? &s->v : NULL, d);
}

void say_killed(struct daemon *dmn, const struct watch *w, const struct slot *s)
{
	struct line l, k;
	long long us = sample_to_kill_us(w, &s->v);


	/* the kernel's line whole, figures last: a long cgroup path gives way, not them */
	line_init(&k);
	report_killed(&k, &s->v.chosen);
	line_scope_keep(&l, w, k.n);
	line_str(&l, line_text(&k));
	line_say(&l, 2, PRIO_NOTICE);
	for (int i = 1; i < s->v.n; i++) {
		line_init(&l);
		line_str(&l, "oomreaper: killed process ");
		line_process(&l, s->v.m[i].pid, s->v.m[i].comm);
		line_str(&l, ", which shares its memory");
		line_say(&l, 2, PRIO_NOTICE);
	}
	jkill(dmn, "kill", w, s, us);
	publish(dmn, "kill", w, &s->v, &slot_note(dmn, s)->fired);
}

void say_process(const struct watch *w, const struct slot *s, enum line_prio prio,
		 const char *what)
{
	struct line l;

	line_scope(&l, w);
	line_str(&l, "process ");
	line_process(&l, s->v.chosen.pid, s->v.chosen.comm);
	line_str(&l, " ");
	line_str(&l, what);
	line_say(&l, 2, prio);
}

/*
 * A victim that was dying before we chose it: nobody new was killed, its memory is reaped
 * (oom_kill_process() with task_will_free_mem(): "mark it and let it go")
 */
void say_reaping_dying(struct daemon *dmn, const struct watch *w, const struct slot *s)
{
	const struct proc_info *p = &s->v.chosen;
	long long us = sample_to_kill_us(w, &s->v);
	struct line l;

	line_scope(&l, w);
	line_str(&l, "reaping process ");
	line_process(&l, p->pid, p->comm);
	line_str(&l, ", already dying, ");
	line_ulong(&l, (p->rss_anon_kb + p->rss_file_kb + p->rss_shmem_kb) / 1024);
	line_str(&l, " MiB: no new victim while its memory comes back");
	line_say(&l, 2, PRIO_NOTICE);
	jvictim(dmn, "reap_dying", w, &s->v, "sample_to_kill_us", us);
}

/* A kill called off: a new sample after a long choice found memory no longer short */
void say_abort(struct daemon *dmn, const struct watch *w, const struct slot *s, const char *was,
	       long long ms, const struct decision *now)
{
	struct line l;

	line_scope(&l, w);
	line_str(&l, "no kill: choosing process ");
	line_process(&l, s->v.chosen.pid, s->v.chosen.comm);
	line_str(&l, " took ");
	line_long(&l, ms);
	line_str(&l, " ms after the sample that said '");
	line_str(&l, was);
	line_str(&l, "', and memory is no longer short: ");
	line_str(&l, now->reason[0] ? now->reason : "available above every level");
	line_say(&l, 2, PRIO_INFO);
	if (dmn->log_fd >= 0) {
		jbegin(&l, "abort");
		jstr(&l, "scope", w->name);
		jnum(&l, "pid", s->v.chosen.pid);
		jstr(&l, "was", was);
		jnum(&l, "choose_ms", ms);
		jstr(&l, "now", now->reason);
		jnum(&l, "aborts", dmn->aborts);
		jend(dmn, &l);
	}
}

/* The trigger's lines: written after the signal when there is one, so as not to delay it */
void say_trigger(struct daemon *dmn, const struct watch *w, const struct decision *d)
{
	struct line l;

	line_scope_keep(&l, w, strlen(trigger_name(d->trigger)) + 2 + strlen(d->reason));
	line_str(&l, trigger_name(d->trigger));
	line_str(&l, ": ");
	line_str(&l, d->reason);
	line_say(&l, 2, PRIO_WARNING);
	if (dmn->log_fd >= 0) {
		jbegin(&l, "trigger");
		jstr(&l, "scope", w->name);
		jstr(&l, "trigger", trigger_name(d->trigger));
		jstr(&l, "reason", d->reason);
		jnum(&l, "fill_kb_s", (long long)d->fill_kb_s);
		/* when the sample that fired was read, on the clock of "ts": the line is written
		 * after the signal, and a reader wants to know what the daemon knew when */
		if (w->fired_at) {
			struct timespec rt;
			long long age_ns = now_ns() - w->fired_at;

			clock_gettime(CLOCK_REALTIME, &rt);
			jnum(&l, "sample_ts", (rt.tv_sec * 1000000000LL + rt.tv_nsec - age_ns) /
						      1000000);
		}
		jend(dmn, &l);
	}
}

void say_would_kill(struct daemon *dmn, const struct watch *w, const struct slot *s)
{
	struct line l;

	line_scope(&l, w);
	line_str(&l, "would kill process ");
	line_process(&l, s->v.chosen.pid, s->v.chosen.comm);
	line_str(&l, " badness ");
	line_long(&l, s->v.chosen.badness);
	line_str(&l, ", with ");
	line_long(&l, s->v.n - 1);
	line_str(&l, " sharer(s)");
	line_say(&l, 2, PRIO_NOTICE);
	jkill(dmn, "would_kill", w, s, -1);
	publish(dmn, "would_kill", w, &s->v, &slot_note(dmn, s)->fired);
}

void say_exited(struct daemon *dmn, const struct watch *w, const struct slot *s)
{
	const struct victim *v = &s->v;
	long long ms = ms_between(v->t_kill ? v->t_kill : v->t_term, v->t_exited);
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: process ");
	line_process(&l, v->chosen.pid, v->chosen.comm);
	line_str(&l, " exited ");
	line_long(&l, ms);
	line_str(&l, v->t_kill ? " ms after the kill" : " ms after SIGTERM");
	line_say(&l, 2, PRIO_NOTICE);
	jvictim(dmn, "exit", w, v, "ms", ms);
}

/* The reaper writes its own human line (reap.h): here, only the JSON event */
void say_reaped(struct daemon *dmn, const struct watch *w, const struct slot *s)
{
	const struct victim *v = &s->v;
	struct line l;

	if (dmn->log_fd < 0)
		return;
	jbegin(&l, "reap");
	jstr(&l, "scope", w->name);
	jnum(&l, "pid", v->chosen.pid);
	jstr(&l, "outcome", reap_outcome_name(v->reap_outcome));
	jnum(&l, "attempts", v->reap_attempts);
	jnum(&l, "ms", v->t_reaped ? ms_between(v->t_kill, v->t_reaped) : -1);
	jnum(&l, "now_anon_kb", (long long)v->now_anon_kb);
	group_json(&l, w, v);
	jend(dmn, &l);
}

/* A size for people: "21.3 GiB", "412.5 MiB", "900 kB" */
static void line_size(struct line *l, unsigned long long kb)
{
	unsigned long long unit = kb >= 1024 * 1024 ? 1024 * 1024 : kb >= 1024 ? 1024 : 1;
	unsigned long long tenths = (kb * 10 + unit / 2) / unit;

	if (unit == 1) {
		line_ulong(l, kb);
		line_str(l, " kB");
		return;
	}
	line_ulong(l, tenths / 10);
	line_str(l, ".");
	line_ulong(l, tenths % 10);
	line_str(l, unit == 1024 ? " MiB" : " GiB");
}

/* What each scope keeps of the line: its figures after a path shortened at its start */
#define STATUS_SCOPE_KEEP 160

void status_text(struct daemon *dmn, struct line *l)
{
	line_init(l);
	line_str(l, "STATUS=");
	for (int i = 0; i < dmn->nw; i++) {
		const struct watch *w = &dmn->w[i];
		const struct sample *s = decider_newest(&w->dec);

		if (i)
			line_str(l, "; ");
		line_path(l, w->name, STATUS_SCOPE_KEEP * (size_t)(dmn->nw - i));
		line_str(l, ": ");
		if (w->gone || !s) {
			line_str(l, w->gone ? "removed" : "not sampled yet");
			continue;
		}
		line_str(l, "available ");
		line_size(l, s->avail_kb);
		line_str(l, ", mem_min ");
		line_size(l, level_kb(&w->conf->th.mem_min, s->total_kb));
	}
	line_str(l, "; ");
	line_long(l, (long)dmn->stats.kills);
	line_str(l, dmn->stats.kills == 1 ? " kill" : " kills");
	if (dmn->conf->dry_run)
		line_str(l, " (dry run: nothing is signalled)");
}
