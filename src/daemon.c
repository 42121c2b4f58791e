/* daemon.c - one epoll loop: sample each scope, decide, keep a victim ready, kill, follow */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "kill.h"
#include "notify.h"
#include "reap.h"
#include "report.h"
#include "resident.h"
#include "sample.h"
#include "scan.h"
#include "select.h"

/* Victims: one chosen ahead and one in flight per scope, made at start-up */
#define POOL (2 * CONFIG_MAX_SCOPES)
/* A victim chosen ahead is chosen again when someone may have grown past it: when the memory
 * taken since exceeds its lead over every other candidate (select.h: others_bound), or, where
 * the selection gives no lead (fastest-growing), after a second or a tenth of the band */
#define PRESELECT_MAX_AGE_NS 1000000000LL
#define PRESELECT_DEEPEN 0.9
/* and in any case after this long: other things than memory change (an adj raised, a new
 * process started with a high one) */
#define PRESELECT_LEAD_MAX_AGE_NS 2000000000LL
/* After a trigger found nobody to choose, how long before selecting again */
#define NOTHING_PAUSE_NS 500000000LL
/* oom_score files a global scope's selector keeps open between selections. Each costs about
 * 4.4 kB of kernel memory charged to the daemon's cgroup (bench/RESULTS.md): 4,096 of them,
 * 18 MB, cover most machines; past that the rest are opened afresh at each selection */
#define HELD_FILES_MAX 4096

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_INFLIGHT, SLOT_DRAINING };

struct slot {
	struct victim v;
	enum slot_state state;
	bool submitted;			/* handed to the reaper: freed only once it is done */
	bool exit_logged, reap_logged;
};

struct watch {
	const struct scope_conf *conf;
	struct scope scope;
	struct decider dec;
	struct selector sel;
	struct sample_files files;
	char name[PATH_MAX + 32];
	struct slot *ready;		/* chosen in the warning band, pidfds held */
	long long ready_at;
	unsigned long long ready_avail;
	long ready_lead_bound;		/* choice.others_bound of the ready victim */
	struct slot *inflight;		/* blocks kills in this scope (DESIGN invariant 5) */
	long long deadline;
	long long escalate_at;		/* SIGKILL after SIGTERM's grace; 0 when none */
	long long quiet_until;		/* dry-run: a would-be victim blocks as a real one */
	long long fired_at;		/* when the sample that fired the trigger was read */
	bool said_nothing;		/* "no victim" said once per episode */
	long long next_ns;
	int event_fd;			/* PSI trigger, v1 OOM eventfd or v2 memory.events */
	int control_fd;			/* what the v1 eventfd is registered against */
};

struct daemon {
	struct cli *cli;
	const struct daemon_args *args;
	struct config *conf;		/* the running one: first_conf, or reload()'s spare */
	struct config *first_conf;	/* the caller's */
	struct watch w[CONFIG_MAX_SCOPES];
	int nw;
	struct slot pool[POOL];
	struct reaper reaper;
	int epfd, sfd, log_fd;
	long watchdog_ms;
	long long next_watchdog;
	double fill_capacity;		/* kB/s one process can fill here, measured at start */
	struct victim rehearsal;	/* settle()'s victim: a child of ours */
	bool rehearsal_stuck;		/* the reaper never gave its word on it: not again */
	char probed[400];		/* what probe() found, said once started */
	bool stop;
};

/* epoll tags: what woke us */
enum { EV_SIGNAL = 1, EV_REAPER, EV_SCOPE };

static struct daemon dmn;

/* --- logging: human lines on stderr, JSON lines on log_fd; write(2), no stdio ----------- */

static void log_line(const char *a, const char *b, const char *c)
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
static void log_settled(const char *a, const char *b, struct line *settled)
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
static void jbegin(struct line *l, const char *event)
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

static void jstr(struct line *l, const char *key, const char *val)
{
	line_str(l, ", \"");
	line_str(l, key);
	line_str(l, "\": \"");
	line_json_str(l, val);
	line_str(l, "\"");
}

static void jnum(struct line *l, const char *key, long long val)
{
	line_str(l, ", \"");
	line_str(l, key);
	line_str(l, "\": ");
	line_long(l, val);
}

static void jend(struct line *l)
{
	line_str(l, "}");
	if (dmn.log_fd >= 0)
		line_write(l, dmn.log_fd);
}

static void jevent(const char *event, const char *scope, const char *reason)
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

static void jvictim(const char *event, const struct watch *w, const struct victim *v,
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

static long long ms_between(long long a, long long b)
{
	return (b - a) / 1000000;
}

/* --- victims --------------------------------------------------------------------------- */

static struct slot *slot_take(void)
{
	for (int i = 0; i < POOL; i++)
		if (dmn.pool[i].state == SLOT_FREE) {
			memset(&dmn.pool[i], 0, sizeof(dmn.pool[i]));
			dmn.pool[i].state = SLOT_READY;
			return &dmn.pool[i];
		}
	return NULL;
}

/* Lets a victim go: at once, or once the reaper is done with it */
static void slot_release(struct slot *s)
{
	if (!s)
		return;
	/* its exit no longer concerns the loop (harmless when it was never watched) */
	if (s->v.n && s->v.m[0].pidfd >= 0)
		epoll_ctl(dmn.epfd, EPOLL_CTL_DEL, s->v.m[0].pidfd, NULL);
	if (s->submitted && !atomic_load_explicit(&s->v.reap_done, memory_order_acquire)) {
		s->state = SLOT_DRAINING;
		return;
	}
	victim_close(&s->v);
	s->state = SLOT_FREE;
}

static void sweep_draining(void)
{
	for (int i = 0; i < POOL; i++)
		if (dmn.pool[i].state == SLOT_DRAINING)
			slot_release(&dmn.pool[i]);
}

/*
 * Chooses the scope's victim and holds it: its group gathered, every member's pidfd open
 * and its identity checked. Returns the slot, or NULL when nobody can be chosen.
 */
static struct slot *choose(struct watch *w, long *others_bound)
{
	struct choice ch;
	struct slot *s;
	pid_t pinned;

	for (int tries = 0; tries < 3; tries++) {
		if (select_victim(&w->sel, &w->scope, &ch) || !ch.found)
			return NULL;
		int n = select_all_pids(&w->sel);

		if (n < 0 || !(s = slot_take()))
			return NULL;
		int g = victim_gather(&s->v, &w->sel, &ch.victim, w->sel.pids, n, &pinned);

		if (g > 0 && victim_open(&s->v, dmn.cli->proc_fd) == 0) {
			*others_bound = ch.others_bound;
			return s;
		}
		/* gone, reused, or pinned since the selection read it: choose again */
		s->state = SLOT_FREE;
	}
	return NULL;
}

/*
 * Whether a victim chosen ahead is still a candidate: alive, the same process, eligible.
 * Its figures are brought up to date (the kill line reports them), and *badness is its
 * badness now.
 */
static bool still_good(const struct watch *w, struct slot *s, long *badness)
{
	struct proc_info p;
	struct pollfd pfd = { .fd = s->v.m[0].pidfd, .events = POLLIN };

	if (poll(&pfd, 1, 0) != 0)
		return false;
	memset(&p, 0, sizeof(p));
	if (scan_proc(dmn.cli->proc_fd, s->v.m[0].pid, SCAN_DETAIL, &p) ||
	    p.start_time != s->v.m[0].start_time || select_exclusion(&w->sel, &p) != EXCL_NONE)
		return false;
	unsigned long t = w->scope.totalpages;

	p.points = oom_points(&p, w->scope.page_kb);
	p.badness = oom_badness_of(p.points, p.oom_score_adj, t) + p.rule_delta * (long)(t / 1000);
	p.kernel_score = -1;
	s->v.chosen = p;
	*badness = p.badness;
	return true;
}

static void drop_ready(struct watch *w)
{
	if (w->ready) {
		slot_release(w->ready);
		w->ready = NULL;
	}
}

/*
 * Whether the victim chosen ahead is still the one: chosen recently, on a band not much
 * deeper than now, and the same process, alive and eligible. Otherwise someone else may have
 * grown past it since.
 */
static bool ready_fresh(const struct watch *w, const struct sample *smp, long long now)
{
	long badness;

	if (!w->ready || !still_good(w, w->ready, &badness))
		return false;
	if (w->ready_lead_bound == LONG_MAX)
		return now - w->ready_at < PRESELECT_MAX_AGE_NS &&
		       (double)smp->avail_kb >= (double)w->ready_avail * PRESELECT_DEEPEN;
	/* no one can have grown by more than the memory taken since the choice; a process
	 * started since grew from nothing */
	long taken = smp->avail_kb < w->ready_avail
			     ? (long)((w->ready_avail - smp->avail_kb) / w->scope.page_kb) : 0;
	long others = w->ready_lead_bound > 0 ? w->ready_lead_bound : 0;

	return now - w->ready_at < PRESELECT_LEAD_MAX_AGE_NS && badness > others + taken;
}

/* In the warning band: keep the next victim chosen, so that the kill costs a re-check */
static void preselect(struct watch *w, const struct sample *smp, long long now)
{
	if (ready_fresh(w, smp, now))
		return;
	drop_ready(w);
	w->ready = choose(w, &w->ready_lead_bound);
	w->ready_at = now;
	w->ready_avail = smp->avail_kb;
}

static void say_trigger(const struct watch *w, const struct decision *d);

static void say_killed(struct watch *w, struct slot *s)
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

static void sigkill(struct watch *w, struct slot *s, long long now, const struct decision *d)
{
	/* one wake-up at its exit is all the loop needs */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT,
				  .data.u64 = EV_SCOPE | (uint64_t)(w - dmn.w) << 8 };

	victim_signal(&s->v, SIGKILL);
	if (d)
		say_trigger(w, d);
	say_killed(w, s);
	s->v.reap_by = s->v.t_kill + (long long)dmn.conf->deadline_ms * 1000000;
	if (reaper_submit(&dmn.reaper, &s->v) == 0)
		s->submitted = true;
	else
		log_line("the reaper's queue is full: ", w->name, " is not reaped");
	/* the victim's exit wakes the loop, so that the scope is sampled again at once */
	epoll_ctl(dmn.epfd, EPOLL_CTL_ADD, s->v.m[0].pidfd, &ev);
	w->escalate_at = 0;
	w->deadline = now + (long long)dmn.conf->deadline_ms * 1000000;
}

/* The trigger's lines: written after the signal when there is one, so as not to delay it */
static void say_trigger(const struct watch *w, const struct decision *d)
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

static void say_would_kill(const struct watch *w, const struct slot *s)
{
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: ");
	line_str(&l, w->name);
	line_str(&l, ": would kill process ");
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

/* A trigger fired in the scope: kill its victim, or say what would be killed */
static void act(struct watch *w, const struct sample *smp, const struct decision *d,
		long long now)
{
	/* chosen ahead in the warning band: a re-check of one process, not a scan */
	struct slot *s = ready_fresh(w, smp, now) ? w->ready : NULL;

	if (!s) {
		long unused;

		drop_ready(w);
		s = choose(w, &unused);
	}
	w->ready = NULL;
	if (!s) {
		if (!w->said_nothing) {
			say_trigger(w, d);
			log_line(w->name, ": no process can be chosen", NULL);
		}
		w->said_nothing = true;
		/* a selection every 10 ms that finds nobody is a busy loop: look again later */
		w->quiet_until = now + NOTHING_PAUSE_NS;
		return;
	}
	w->said_nothing = false;
	if (dmn.conf->dry_run) {
		say_trigger(w, d);
		say_would_kill(w, s);
		/* as a real victim would, it blocks the scope until its deadline */
		w->quiet_until = now + (long long)dmn.conf->deadline_ms * 1000000;
		slot_release(s);
		return;
	}
	s->state = SLOT_INFLIGHT;
	w->inflight = s;
	if (dmn.conf->grace_ms && d->verdict == VERDICT_TERM) {
		victim_signal(&s->v, SIGTERM);
		say_trigger(w, d);
		log_line(w->name, ": sent SIGTERM, SIGKILL on a timer to process ", s->v.chosen.comm);
		jvictim("term", w, &s->v, "grace_ms", dmn.conf->grace_ms);
		w->escalate_at = now + (long long)dmn.conf->grace_ms * 1000000;
		w->deadline = w->escalate_at + (long long)dmn.conf->deadline_ms * 1000000;
		return;
	}
	sigkill(w, s, now, d);
}

/* Reports what became of a victim: its exit, its reap */
static void report_progress(struct watch *w, struct slot *s)
{
	struct victim *v = &s->v;

	if (!s->exit_logged && victim_poll_gone(v)) {
		struct line l;

		s->exit_logged = true;
		line_init(&l);
		line_str(&l, "oomreaper: process ");
		line_long(&l, v->chosen.pid);
		line_str(&l, " (");
		line_comm(&l, v->chosen.comm);
		line_str(&l, ") exited ");
		line_long(&l, ms_between(v->t_kill ? v->t_kill : v->t_term, v->t_exited));
		line_str(&l, v->t_kill ? " ms after the kill" : " ms after SIGTERM");
		line_write(&l, 2);
		jvictim("exit", w, v, "ms", ms_between(v->t_kill ? v->t_kill : v->t_term,
						       v->t_exited));
	}
	if (s->submitted && !s->reap_logged &&
	    atomic_load_explicit(&v->reap_done, memory_order_acquire)) {
		struct line l;

		s->reap_logged = true;
		if (dmn.log_fd >= 0) {
			jbegin(&l, "reap");
			jstr(&l, "scope", w->name);
			jnum(&l, "pid", v->chosen.pid);
			jstr(&l, "outcome", reap_outcome_name(v->reap_outcome));
			jnum(&l, "attempts", v->reap_attempts);
			jnum(&l, "ms", v->t_reaped ? ms_between(v->t_kill, v->t_reaped) : -1);
			jnum(&l, "now_anon_kb", (long long)v->now_anon_kb);
			jend(&l);
		}
	}
}

/*
 * The victim in flight: escalate after the grace; unblock the scope once its memory is back
 * (exited or reaped) or its deadline passed (seed 001 patch 5: a stuck victim must not
 * block the killer for ever).
 */
static void follow(struct watch *w, long long now)
{
	struct slot *s = w->inflight;

	if (!s)
		return;
	report_progress(w, s);
	if (w->escalate_at) {
		if (s->exit_logged) {
			w->inflight = NULL;
			w->escalate_at = 0;
			slot_release(s);
		} else if (now >= w->escalate_at) {
			w->fired_at = 0;	/* a timer, not a sample, sent this one */
			sigkill(w, s, now, NULL);
		}
		return;
	}
	bool reaped = s->submitted && atomic_load_explicit(&s->v.reap_done, memory_order_acquire) &&
		      s->v.reap_outcome == REAP_REAPED;

	if (s->exit_logged || reaped) {
		w->inflight = NULL;
		slot_release(s);
		/* memory is back: look again now, the scope may still be short */
		w->next_ns = now;
		return;
	}
	if (now >= w->deadline) {
		log_line("process ", s->v.chosen.comm, ": stuck: neither gone nor reaped by the "
						      "deadline; moving on");
		jvictim("stuck", w, &s->v, "ms", ms_between(s->v.t_kill, now));
		w->inflight = NULL;
		slot_release(s);
		w->next_ns = now;
	}
}

static void tick(struct watch *w, long long now)
{
	struct sample smp;
	struct decision d;

	follow(w, now);
	if (sample_scope(&w->scope, dmn.cli->proc_fd, &w->files, &smp)) {
		w->next_ns = now + (long long)SAMPLE_MAX_MS * 1000000;
		return;
	}
	decide(&w->dec, &w->conf->th, &smp, &d);
	w->next_ns = smp.t_ns + (long long)d.next_ms * 1000000;
	w->fired_at = smp.t_ns;
	if (d.verdict == VERDICT_OK) {
		if (!d.prepare)
			drop_ready(w);
		else if (!w->inflight && now >= w->quiet_until)
			preselect(w, &smp, now);
		return;
	}
	/* seed 001: while a victim is on its way out, its memory is on its way back */
	if (w->inflight || now < w->quiet_until) {
		if (w->next_ns > now + 50000000LL)
			w->next_ns = now + 50000000LL;
		return;
	}
	if (d.verdict == VERDICT_WARN) {
		preselect(w, &smp, now);
		return;
	}
	act(w, &smp, &d, now);
}

/* --- set-up ---------------------------------------------------------------------------- */

/* A wake-up from the kernel when memory gets tight, where it offers one */
static void arm_events(struct watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLPRI, .data.u64 = EV_SCOPE };

	w->event_fd = w->control_fd = -1;
	if (w->scope.kind == SCOPE_GLOBAL && w->conf->th.psi) {
		char trig[64];
		/* unprivileged windows must be multiples of 2 s; wake at a quarter of the limit */
		long window = 2000000, stall = (long)(w->conf->th.psi_pct / 100.0 * window / 4);
		int fd = openat(dmn.cli->proc_fd, "pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC);

		snprintf(trig, sizeof(trig), "%s %ld %ld", w->conf->th.psi_full ? "full" : "some",
			 stall < 1 ? 1 : stall, window);
		if (fd >= 0 && write(fd, trig, strlen(trig) + 1) < 0) {
			close(fd);
			fd = -1;
		}
		w->event_fd = fd;
		ev.events = EPOLLPRI;
	} else if (w->scope.kind == SCOPE_CGROUP_V1) {
		/* memory.oom_control's eventfd fires when the cgroup is under OOM */
		char reg[64];
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		int cfd = openat(w->scope.dir_fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);

		snprintf(reg, sizeof(reg), "%d %d", efd, cfd);
		int rfd = openat(w->scope.dir_fd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);

		if (efd < 0 || cfd < 0 || rfd < 0 || write(rfd, reg, strlen(reg)) < 0) {
			if (efd >= 0)
				close(efd);
			if (cfd >= 0)
				close(cfd);
			efd = cfd = -1;
		}
		if (rfd >= 0)
			close(rfd);
		w->event_fd = efd;
		w->control_fd = cfd;
		ev.events = EPOLLIN;
	} else if (w->scope.kind == SCOPE_CGROUP_V2) {
		/* memory.events is modified (EPOLLPRI) on high, max and oom events */
		w->event_fd = openat(w->scope.dir_fd, "memory.events", O_RDONLY | O_CLOEXEC);
		ev.events = EPOLLPRI;
	}
	if (w->event_fd >= 0) {
		ev.data.u64 = EV_SCOPE | (uint64_t)(w - dmn.w) << 8;
		epoll_ctl(dmn.epfd, EPOLL_CTL_ADD, w->event_fd, &ev);
	}
}

static void close_watch(struct watch *w)
{
	drop_ready(w);
	if (w->inflight) {
		slot_release(w->inflight);
		w->inflight = NULL;
	}
	if (w->event_fd >= 0) {
		epoll_ctl(dmn.epfd, EPOLL_CTL_DEL, w->event_fd, NULL);
		close(w->event_fd);
	}
	if (w->control_fd >= 0)
		close(w->control_fd);
	selector_free(&w->sel);
	sample_files_close(&w->files);
	scope_close(&w->scope);
}

/* Opens every scope of the configuration. Returns 0, or -errno with the scope's name in err */
static int open_watches(struct config *conf, char *err, size_t len)
{
	for (int i = 0; i < conf->nscopes; i++) {
		struct watch *w = &dmn.w[i];
		const char *cg = conf->scopes[i].cgroup[0] ? conf->scopes[i].cgroup : NULL;

		memset(w, 0, sizeof(*w));
		w->event_fd = w->control_fd = -1;
		w->conf = &conf->scopes[i];
		int r = scope_open(&w->scope, dmn.cli->proc_fd, cg);

		if (r) {
			snprintf(err, len, "%s: %s", cg ? cg : "global",
				 r == -EMEDIUMTYPE ? "not a cgroup v1 memory or v2 directory"
						   : strerror(-r));
			for (int j = 0; j < i; j++)
				close_watch(&dmn.w[j]);
			return r;
		}
		scope_name(&w->scope, w->name, sizeof(w->name));
		sample_files_open(&w->files, &w->scope, dmn.cli->proc_fd, w->conf->th.psi);
		decider_init(&w->dec);
		w->dec.floor_fill_kb_s = dmn.fill_capacity;
		w->sel = (struct selector){ .proc_fd = dmn.cli->proc_fd, .self = dmn.cli->self,
					    .threads = scan_default_threads(),
					    .same_mm = dmn.cli->same_mm, .rules = conf->rules,
					    .nrules = conf->nrules, .policy = conf->policy };
		selector_hold_files(&w->sel, HELD_FILES_MAX / conf->nscopes);
		arm_events(w);
	}
	dmn.nw = conf->nscopes;
	return 0;
}

/* One selection per scope grows the buffers and opens the files a selection needs, so that the
 * first one under pressure allocates as little as the later ones and finds its code resident */
static void warm_watches(void)
{
	for (int i = 0; i < dmn.nw; i++) {
		struct choice warm;

		select_victim(&dmn.w[i].sel, &dmn.w[i].scope, &warm);
	}
}

/* Whether a victim is on its way: a rehearsal would queue behind it at the reaper */
static bool victims_in_flight(void)
{
	for (int i = 0; i < POOL; i++)
		if (dmn.pool[i].state == SLOT_INFLIGHT || dmn.pool[i].state == SLOT_DRAINING)
			return true;
	return false;
}

/*
 * Once started (and after a reload): drop the pages start-up touched, then run what the loop
 * and a kill run, so that what they use is resident and locked before memory is short
 * (resident.h). Says what it did in out.
 */
static void settle(struct line *out)
{
	struct resident_trim t;
	struct rehearsal rh;
	pid_t child = dmn.rehearsal_stuck || dmn.nw == 0 ? 0 : resident_understudy();
	int e = resident_trim(&t);

	warm_watches();
	line_str(out, "resident: ");
	if (e < 0) {
		line_str(out, "could not drop start-up's pages (");
		line_str(out, strerror(-e));
		line_str(out, "), ");
	} else {
		line_ulong(out, t.dropped_kb);
		line_str(out, " kB of start-up's file pages dropped, ");
	}
	line_ulong(out, t.own_kb);
	line_str(out, " kB of own code locked; kill path rehearsed on a child: ");
	if (child == 0) {
		line_str(out, "not now");
		return;
	}
	e = resident_rehearse(&dmn.reaper, &dmn.w[0].sel, dmn.cli->proc_fd, child, &dmn.rehearsal,
			      &rh);
	if (e < 0) {
		line_str(out, "FAILED at ");
		line_str(out, rh.failed ? rh.failed : "?");
		line_str(out, " (");
		line_str(out, strerror(-e));
		line_str(out, "): kills may fail");
		return;
	}
	dmn.rehearsal_stuck = rh.outcome == REAP_PENDING;
	line_str(out, rh.outcome == REAP_REAPED	    ? "killed and reaped in "
		      : rh.outcome == REAP_EXITED   ? "killed, exited before its reap, in "
		      : rh.outcome == REAP_PENDING  ? "killed, the reaper did not answer in "
						    : "killed, not reaped, in ");
	line_ulong(out, (unsigned long long)rh.kill_to_done_us);
	line_str(out, " us");
}

int daemon_config(const struct daemon_args *a, struct config *conf, char *err, size_t len)
{
	const char *path = a->config_path ? a->config_path : CONFIG_DEFAULT_PATH;
	int r = config_load(conf, path, err, len);

	/* no file at the default place: the built-in defaults */
	if (r == -ENOENT && !a->config_given) {
		config_defaults(conf);
		r = 0;
	}
	if (r)
		return EXIT_USAGE;
	for (int i = 0; i < a->nov; i++)
		if (config_set(conf, a->ov[i].section, a->ov[i].key, a->ov[i].value, err, len)) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", err);
			snprintf(err, len, "--%s: %s", a->ov[i].flag, msg);
			config_free(conf);
			return EXIT_USAGE;
		}
	if (a->cgroup) {
		/* only that cgroup, with the limits of the first scope */
		struct thresholds th = conf->scopes[0].th;

		if (strlen(a->cgroup) >= sizeof(conf->scopes[0].cgroup)) {
			snprintf(err, len, "--cgroup: path too long");
			config_free(conf);
			return EXIT_USAGE;
		}
		conf->nscopes = 1;
		snprintf(conf->scopes[0].cgroup, sizeof(conf->scopes[0].cgroup), "%s", a->cgroup);
		conf->scopes[0].th = th;
	}
	return 0;
}

/* SIGHUP: a new configuration, or the running one kept with the reason */
static void reload(void)
{
	/* two configurations, the running one and the next, swapped: never copied whole */
	static struct config spare;
	struct config *old = dmn.conf;
	struct config *next = old == &spare ? dmn.first_conf : &spare;
	char err[512];

	if (daemon_config(dmn.args, next, err, sizeof(err))) {
		log_line("reload failed, keeping the running configuration: ", err, NULL);
		jevent("reload", NULL, err);
		return;
	}
	for (int i = 0; i < dmn.nw; i++)
		close_watch(&dmn.w[i]);
	dmn.conf = next;
	if (open_watches(dmn.conf, err, sizeof(err))) {
		log_line("reload failed, keeping the running configuration: ", err, NULL);
		config_free(next);
		dmn.conf = old;
		char again[512];

		if (open_watches(dmn.conf, again, sizeof(again)))
			log_line("and the running configuration cannot be restored: ", again, NULL);
		warm_watches();
		return;
	}
	config_free(old);
	struct line l;

	/* the reload's parsing touched pages start-up had dropped: drop them again */
	line_init(&l);
	if (victims_in_flight())
		warm_watches();
	else
		settle(&l);
	log_settled("configuration reloaded from ",
		    dmn.conf->path[0] ? dmn.conf->path : "defaults", &l);
	jevent("reload", NULL, "ok");
}

/* One line of what this kernel offers, probed, not assumed */
static void probe(void)
{
	char *buf = dmn.probed;
	int pidfd = sys_pidfd_open(getpid());
	bool mrelease = sys_process_mrelease(-1) < 0 && errno != ENOSYS;
	bool psi = faccessat(dmn.cli->proc_fd, "pressure/memory", R_OK, 0) == 0;
	bool v1 = access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0;
	int psi_trig = 0;

	for (int i = 0; i < dmn.nw; i++)
		psi_trig |= dmn.w[i].scope.kind == SCOPE_GLOBAL && dmn.w[i].event_fd >= 0;
	if (pidfd >= 0)
		close(pidfd);
	snprintf(buf, sizeof(dmn.probed),
		 "pidfd %s, process_mrelease %s, PSI %s%s, cgroup v1 memory %s, one process fills "
		 "%.0f MiB/s; %d scope(s)%s",
		 pidfd >= 0 ? "yes" : "NO", mrelease ? "yes" : "no (memory freed only on exit)",
		 psi ? "yes" : "no", psi_trig ? " (trigger armed)" : "", v1 ? "yes" : "no",
		 dmn.fill_capacity / 1024, dmn.nw,
		 dmn.conf->dry_run ? ", DRY RUN: nothing is signalled" : "");
}

static int start(void)
{
	sigset_t mask;
	struct reap_opts ro;
	struct epoll_event ev = { .events = EPOLLIN };

	/* a killer paged out when memory is short cannot run: lock what it touches */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
		log_line("warning: mlockall: ", strerror(errno), ": may stall when memory is short");
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "-1000", 5) < 0)
		log_line("warning: cannot set oom_score_adj -1000 (", strerror(errno),
			 "): the kernel's OOM killer may choose oomreaper itself");
	if (fd >= 0)
		close(fd);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* blocked before the reaper thread starts, so that it inherits the mask */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	dmn.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (dmn.sfd < 0)
		return -errno;
	reap_opts_default(&ro, dmn.cli->proc_fd);
	ro.report_fd = 2;
	ro.delay_ms = dmn.conf->reap_delay_ms;
	/* test hooks: see reap.h */
	if (reap_opts_test_hook(&ro))
		return -EINVAL;
	int r = reaper_start(&dmn.reaper, &ro);

	if (r)
		return r;
	/* every thread before settle(): starting one later would bring back what it drops */
	scan_start_helpers(scan_default_threads());
	ev.data.u64 = EV_SIGNAL;
	epoll_ctl(dmn.epfd, EPOLL_CTL_ADD, dmn.sfd, &ev);
	ev.data.u64 = EV_REAPER;
	epoll_ctl(dmn.epfd, EPOLL_CTL_ADD, dmn.reaper.done_fd, &ev);
	return 0;
}

static void handle_signals(void)
{
	struct signalfd_siginfo si;

	while (read(dmn.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload();
		else
			dmn.stop = true;
	}
}

/*
 * How long the loop may sleep: until the next sample, escalation, deadline or watchdog ping.
 * epoll_wait's own timeout, in ms: a timerfd would cost two more syscalls a wake-up, and
 * sampling needs no finer than its 10 ms floor.
 */
static int wait_ms(long long now)
{
	long long next = now + (long long)SAMPLE_MAX_MS * 1000000;

	for (int i = 0; i < dmn.nw; i++) {
		struct watch *w = &dmn.w[i];

		if (w->next_ns < next)
			next = w->next_ns;
		if (w->inflight && w->escalate_at && w->escalate_at < next)
			next = w->escalate_at;
		if (w->inflight && w->deadline < next)
			next = w->deadline;
	}
	if (dmn.watchdog_ms && dmn.next_watchdog < next)
		next = dmn.next_watchdog;
	if (next <= now)
		return 0;
	/* rounded up: waking a little late is a sample a little late; early, a wasted wake-up */
	return (int)((next - now + 999999) / 1000000);
}

int daemon_run(struct cli *c, const struct daemon_args *a, struct config *conf)
{
	char err[512];
	struct epoll_event evs[16];

	dmn.cli = c;
	dmn.args = a;
	dmn.conf = dmn.first_conf = conf;
	dmn.log_fd = -1;
	if (conf->log_json[0]) {
		dmn.log_fd = strcmp(conf->log_json, "-") == 0
				     ? 1 : open(conf->log_json, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
						0640);
		if (dmn.log_fd < 0) {
			cli_error(c, "run: --log-json %s: %s", conf->log_json, strerror(errno));
			return EXIT_USAGE;
		}
	}
	/* before mlockall, which would keep the scratch mapping's pages */
	dmn.fill_capacity = decide_measure_fill_capacity();
	/* the scopes first: a bad one is bad usage, said before anything starts */
	dmn.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dmn.epfd < 0 || open_watches(conf, err, sizeof(err))) {
		cli_error(c, "run: %s", dmn.epfd < 0 ? strerror(errno) : err);
		return EXIT_USAGE;
	}
	int r = start();

	if (r) {
		cli_error(c, "run: cannot start: %s", strerror(-r));
		return EXIT_NOTHING;
	}
	probe();
	notify_init();
	dmn.watchdog_ms = notify_watchdog_ms();
	struct line l;

	/* last: what start-up touched is dropped here, and nothing but the loop runs after */
	line_init(&l);
	settle(&l);
	log_settled("started: ", dmn.probed, &l);
	if (dmn.log_fd >= 0) {
		struct line j;

		jbegin(&j, "start");
		jstr(&j, "reason", dmn.probed);
		jstr(&j, "resident", line_text(&l));
		jend(&j);
	}
	notify("READY=1\nSTATUS=watching memory");
	long long now = now_ns();

	for (int i = 0; i < dmn.nw; i++)
		dmn.w[i].next_ns = now;
	dmn.next_watchdog = now;
	while (!dmn.stop) {
		now = now_ns();
		for (int i = 0; i < dmn.nw; i++) {
			struct watch *w = &dmn.w[i];

			if (now >= w->next_ns ||
			    (w->inflight && (now >= w->deadline ||
					     (w->escalate_at && now >= w->escalate_at))))
				tick(w, now);
			else if (w->inflight)
				follow(w, now);
		}
		sweep_draining();
		if (dmn.watchdog_ms && now >= dmn.next_watchdog) {
			notify("WATCHDOG=1");
			dmn.next_watchdog = now + dmn.watchdog_ms * 1000000LL / 2;
		}
		int n = epoll_wait(dmn.epfd, evs, 16, wait_ms(now_ns()));

		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64, x;

			switch (tag & 0xff) {
			case EV_SIGNAL:
				handle_signals();
				break;
			case EV_REAPER:
				if (read(dmn.reaper.done_fd, &x, sizeof(x)) < 0) {
					/* drained by an earlier wake-up */
				}
				break;
			case EV_SCOPE: {
				/* a scope's kernel event, or a victim's exit: look now */
				int k = (int)(tag >> 8);

				if (k < dmn.nw) {
					struct watch *w = &dmn.w[k];

					char buf[256];

					w->next_ns = now_ns();
					/* acknowledge, or it stays ready: the eventfd's count,
					 * memory.events' change */
					if (w->event_fd < 0)
						break;
					if (w->scope.kind == SCOPE_CGROUP_V1 &&
					    read(w->event_fd, &x, sizeof(x)) < 0) {
						/* spurious */
					}
					if (w->scope.kind == SCOPE_CGROUP_V2 &&
					    pread(w->event_fd, buf, sizeof(buf), 0) < 0) {
						/* the cgroup went away: sampling will say */
					}
				}
				break;
			}
			}
		}
	}
	notify("STOPPING=1");
	log_line("stopping", NULL, NULL);
	jevent("stop", NULL, NULL);
	for (int i = 0; i < dmn.nw; i++)
		close_watch(&dmn.w[i]);
	/* the caller frees its own; a reload's is ours */
	if (dmn.conf != dmn.first_conf)
		config_free(dmn.conf);
	return 0;
}
