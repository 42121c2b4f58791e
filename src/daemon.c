/* daemon.c - `oomreaper run`: set-up, settling, reload, and the one epoll loop that wakes each
 * scope's watch (watch.c) when its sample is due or the kernel says memory is tight */
#include <errno.h>
#include <fcntl.h>
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
#include "daemon_log.h"
#include "kill.h"
#include "notify.h"
#include "observe.h"
#include "reap.h"
#include "report.h"
#include "resident.h"
#include "sample.h"
#include "scan.h"
#include "select.h"
#include "sys.h"
#include "watch.h"

/* oom_score files a global scope's selector keeps open between selections. Each costs about
 * 4.4 kB of kernel memory charged to the daemon's cgroup (bench/RESULTS.md): 4,096 of them,
 * 18 MB, cover most machines; past that the rest are opened afresh at each selection */
#define HELD_FILES_MAX 4096

static struct daemon the_daemon;

/* --- set-up ---------------------------------------------------------------------------- */

/* A wake-up from the kernel when memory gets tight, where it offers one; idx: w's place */
static void arm_events(struct daemon *dmn, struct watch *w, int idx)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLPRI, .data.u64 = EV_SCOPE };

	w->event_fd = w->control_fd = -1;
	if (w->scope.kind == SCOPE_GLOBAL && w->conf->th.psi) {
		char trig[64];
		/* unprivileged windows must be multiples of 2 s; wake at a quarter of the limit */
		long window = 2000000, stall = (long)(w->conf->th.psi_pct / 100.0 * window / 4);
		int fd = openat(dmn->cli->proc_fd, "pressure/memory",
				O_RDWR | O_NONBLOCK | O_CLOEXEC);

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
		ev.data.u64 = EV_SCOPE | (uint64_t)idx << 8;
		epoll_ctl(dmn->epfd, EPOLL_CTL_ADD, w->event_fd, &ev);
	}
}

int watch_open_scope(struct daemon *dmn, struct watch *w, int idx, char *err, size_t len)
{
	const char *cg = w->conf->cgroup[0] ? w->conf->cgroup : NULL;
	int r = scope_open(&w->scope, dmn->cli->proc_fd, cg);
	const char *why = r ? NULL : scope_unwatchable(&w->scope);

	if (r || why) {
		snprintf(err, len, "%s: %s", cg ? cg : "global",
			 why ? why : r == -EMEDIUMTYPE ? "not a cgroup v1 memory or v2 directory"
						  : strerror(-r));
		if (why) {
			scope_close(&w->scope);
			r = -EMEDIUMTYPE;
		}
		return r;
	}
	scope_name(&w->scope, w->name, sizeof(w->name));
	sample_files_open(&w->files, &w->scope, dmn->cli->proc_fd, w->conf->th.psi);
	arm_events(dmn, w, idx);
	return 0;
}

void watch_close_scope(struct daemon *dmn, struct watch *w)
{
	if (w->event_fd >= 0) {
		epoll_ctl(dmn->epfd, EPOLL_CTL_DEL, w->event_fd, NULL);
		close(w->event_fd);
	}
	if (w->control_fd >= 0)
		close(w->control_fd);
	w->event_fd = w->control_fd = -1;
	watch_disarm_levels(dmn, w);
	sample_files_close(&w->files);
	scope_close(&w->scope);
}

static void close_watch(struct daemon *dmn, struct watch *w)
{
	watch_drop_ready(dmn, w);
	if (w->inflight) {
		slot_release(dmn, w->inflight);
		w->inflight = NULL;
	}
	if (w->back_fd >= 0) {
		epoll_ctl(dmn->epfd, EPOLL_CTL_DEL, w->back_fd, NULL);
		close(w->back_fd);
		w->back_fd = -1;
	}
	if (!w->gone)
		watch_close_scope(dmn, w);
	selector_free(&w->sel);
}

/*
 * The rules' verdicts are judged ahead, in the loop, so that a selection only looks them up:
 * every process at start-up and reload, then once a second the processes new since, for at
 * most 2 ms a time (a fork storm is judged over several seconds; until then a process not yet
 * judged is read in detail by a selection that may need it)
 */
#define MEMOS_EVERY_NS 1000000000LL
#define MEMOS_BUDGET_NS 2000000LL

/* Every process judged by the running configuration's rules: at start-up, and once a reload
 * has taken (the verdicts of the rules it replaced are forgotten: rule_memos_refresh()) */
static void judge_all(struct daemon *dmn)
{
	/* a refresh that fails leaves processes unjudged: selections read them, as without */
	if (dmn->conf->nrules)
		rule_memos_refresh(&dmn->memos, dmn->conf->rules, dmn->conf->nrules,
				   dmn->cli->proc_fd, 0);
	dmn->next_memos = 0;
}

/*
 * A scope's levels against its memory as sampled now (thresholds_check()): a mem_min above
 * the cgroup's limit would fire at once, a mem_kill above mem_min (in another unit) would
 * skip the SIGTERM. Returns 0, or -EINVAL with the reason in err; a scope that cannot be
 * sampled is not judged here (sampling says so once running).
 */
static int check_levels(struct daemon *dmn, const struct config *conf, const struct scope_conf *sc,
			struct scope *scope, const struct sample_files *f, char *err,
			size_t len)
{
	struct sample smp;

	if (sample_scope(scope, dmn->cli->proc_fd, f, &smp) < 0 || !smp.total_kb)
		return 0;
	return thresholds_check(conf, sc, smp.total_kb, err, len);
}

int daemon_check_levels(struct cli *c, const struct config *conf, char *err, size_t len)
{
	struct daemon *dmn = &the_daemon;

	dmn->cli = c;
	for (int i = 0; i < conf->nscopes; i++) {
		const struct scope_conf *sc = &conf->scopes[i];
		struct sample_files f;
		struct scope scope;

		if (scope_open(&scope, c->proc_fd, sc->cgroup[0] ? sc->cgroup : NULL))
			continue;
		sample_files_open(&f, &scope, c->proc_fd, false);
		int r = check_levels(dmn, conf, sc, &scope, &f, err, len);

		sample_files_close(&f);
		scope_close(&scope);
		if (r)
			return r;
	}
	return 0;
}

/* A reload names a cgroup that is removed and awaited: w goes on waiting for it, as the
 * running watch did (reload() hands it that watch's wake-up). Whether there was one */
static bool still_gone(struct daemon *dmn, struct watch *w)
{
	for (int i = 0; i < dmn->nw; i++)
		if (dmn->w[i].gone && !strcmp(dmn->w[i].conf->cgroup, w->conf->cgroup)) {
			w->gone = true;
			w->scope = dmn->w[i].scope;
			w->files = dmn->w[i].files;
			memcpy(w->name, dmn->w[i].name, sizeof(w->name));
			return true;
		}
	return false;
}

/* Opens every scope of the configuration into ws, dmn->w or a reload's new set. Returns 0, or
 * -errno with the scope's name in err, having closed what it opened */
static int open_watches(struct daemon *dmn, struct config *conf, struct watch *ws, char *err,
			size_t len)
{
	for (int i = 0; i < conf->nscopes; i++) {
		struct watch *w = &ws[i];

		memset(w, 0, sizeof(*w));
		w->event_fd = w->control_fd = w->back_fd = w->level_fd = -1;
		w->conf = &conf->scopes[i];
		int r = watch_open_scope(dmn, w, i, err, len);

		if (r == -ENOENT && still_gone(dmn, w))
			r = 0;
		/* the levels against the scope's memory as it is now: refused before they run */
		if (!r && !w->gone &&
		    (r = check_levels(dmn, conf, w->conf, &w->scope, &w->files, err, len)))
			close_watch(dmn, w);
		if (r) {
			for (int j = 0; j < i; j++)
				close_watch(dmn, &ws[j]);
			return r;
		}
		decider_init(&w->dec);
		w->dec.floor_fill_kb_s = dmn->fill_capacity;
		w->sel = (struct selector){ .proc_fd = dmn->cli->proc_fd, .self = dmn->cli->self,
					    .threads = scan_default_threads(),
					    .same_mm = dmn->cli->same_mm, .rules = conf->rules,
					    .nrules = conf->nrules,
					    .memos = conf->nrules ? &dmn->memos : NULL,
					    .policy = conf->policy, .done = &dmn->done,
					    .qos_order = w->conf->qos_order };
		selector_hold_files(&w->sel, HELD_FILES_MAX / conf->nscopes);
	}
	return 0;
}

int daemon_open_watches(struct daemon *dmn, char *err, size_t len)
{
	int r = open_watches(dmn, dmn->conf, dmn->w, err, len);

	dmn->nw = r ? 0 : dmn->conf->nscopes;
	return r;
}

void daemon_close_watches(struct daemon *dmn)
{
	for (int i = 0; i < dmn->nw; i++)
		close_watch(dmn, &dmn->w[i]);
	dmn->nw = 0;
}

/* One selection per scope grows the buffers and opens the files a selection needs, so that the
 * first one under pressure allocates as little as the later ones and finds its code resident */
static void warm_watches(struct daemon *dmn)
{
	/* a removed cgroup has nothing to choose from until it is back */
	for (int i = 0; i < dmn->nw; i++)
		watch_warm(dmn, &dmn->w[i]);
}


/*
 * Once started (and after a reload): drop the pages start-up touched, then run what the loop
 * and a kill run, so that what they use is resident and locked before memory is short
 * (resident.h). Says what it did in out.
 */
static void settle(struct daemon *dmn, struct line *out)
{
	struct resident_trim t;
	struct rehearsal rh;
	pid_t child = dmn->rehearsal_stuck || dmn->nw == 0 ? 0 : resident_understudy();
	int e = resident_trim(&t);

	slots_reserve(dmn);
	warm_watches(dmn);
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
	e = resident_rehearse(&dmn->reaper, &dmn->w[0].sel, dmn->cli->proc_fd, child,
			      &dmn->rehearsal, &rh);
	if (e < 0) {
		line_str(out, "FAILED at ");
		line_str(out, rh.failed ? rh.failed : "?");
		line_str(out, " (");
		line_str(out, strerror(-e));
		line_str(out, "): kills may fail");
		return;
	}
	dmn->rehearsal_stuck = rh.outcome == REAP_PENDING;
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
	/* a file refused half-way holds what its good lines compiled (a rule's regex) */
	if (r) {
		config_free(conf);
		return EXIT_USAGE;
	}
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
	/* after --cgroup: "scope" is refused for the whole machine only */
	for (int i = 0; i < conf->nscopes; i++)
		if (group_kill_check(conf, &conf->scopes[i], err, len)) {
			config_free(conf);
			return EXIT_USAGE;
		}
	return 0;
}

/*
 * What a scope kept across a reload takes from its watch of before (matched by path): the
 * victim in flight, which blocks its scope until its memory is back (a reload must not let
 * a second kill start beside it), the victim chosen ahead and the fill history.
 */
static void carry_over(struct daemon *dmn, struct watch *to, struct watch *from, int idx)
{
	/* the victim's exit wakes the loop with its scope's place, which may have changed */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT,
				  .data.u64 = EV_SCOPE | (uint64_t)idx << 8 };

	if (!from->gone)
		to->dec = from->dec;
	to->dec.floor_fill_kb_s = dmn->fill_capacity;
	to->ready = from->ready;
	to->ready_at = from->ready_at;
	to->ready_avail = from->ready_avail;
	to->ready_held = from->ready_held;
	to->ready_has_held = from->ready_has_held;
	to->ready_lead_bound = from->ready_lead_bound;
	to->inflight = from->inflight;
	to->deadline = from->deadline;
	to->escalate_at = from->escalate_at;
	to->quiet_until = from->quiet_until;
	to->fired_at = from->fired_at;
	to->said_nothing = from->said_nothing;
	to->next_ns = from->next_ns;
	to->said_refused = from->said_refused;
	to->group = from->group;
	to->st = from->st;
	from->ready = from->inflight = NULL;
	if (to->gone && from->back_fd >= 0) {
		struct epoll_event back = { .events = EPOLLIN,
					    .data.u64 = EV_SCOPE | (uint64_t)idx << 8 };

		to->back_fd = from->back_fd;
		from->back_fd = -1;
		epoll_ctl(dmn->epfd, EPOLL_CTL_MOD, to->back_fd, &back);
	}
	/* not yet signalled (a grace running) it is not registered: ENOENT, and sigkill()
	 * registers it with the new place */
	if (to->inflight && to->inflight->v.n && to->inflight->v.m[0].pidfd >= 0)
		epoll_ctl(dmn->epfd, EPOLL_CTL_MOD, to->inflight->v.m[0].pidfd, &ev);
}

static bool same_scope(const struct scope_conf *a, const struct scope_conf *b)
{
	return strcmp(a->cgroup, b->cgroup) == 0;
}

/* SIGHUP: a new configuration, or the running one kept with the reason. The new scopes are
 * opened beside the running ones, which stay untouched until all of them opened */
void daemon_reload(struct daemon *dmn)
{
	/* two configurations, the running one and the next, swapped: never copied whole */
	static struct config spare;
	struct config *old = dmn->conf;
	struct config *next = old == &spare ? dmn->first_conf : &spare;
	struct watch *staged = NULL;
	char err[512];

	if (daemon_config(dmn->args, next, err, sizeof(err))) {
		log_line(PRIO_ERR, "reload failed, keeping the running configuration: ", err,
			 NULL);
		jevent(dmn, "reload", NULL, err);
		return;
	}
	/* a reload is no kill path: its scopes are made in memory it gives back after */
	staged = calloc((size_t)next->nscopes, sizeof(*staged));
	if (!staged || open_watches(dmn, next, staged, err, sizeof(err))) {
		if (!staged)
			snprintf(err, sizeof(err), "%s", strerror(ENOMEM));
		log_line(PRIO_ERR, "reload failed, keeping the running configuration: ", err,
			 NULL);
		jevent(dmn, "reload", NULL, err);
		config_free(next);
		free(staged);
		return;
	}
	bool taken[CONFIG_MAX_SCOPES] = { false };
	int moved[CONFIG_MAX_SCOPES];

	for (int j = 0; j < dmn->nw; j++)
		moved[j] = -1;
	for (int i = 0; i < next->nscopes; i++)
		for (int j = 0; j < dmn->nw; j++)
			if (!taken[j] && same_scope(staged[i].conf, dmn->w[j].conf)) {
				carry_over(dmn, &staged[i], &dmn->w[j], i);
				taken[j] = true;
				moved[j] = i;
				break;
			}
	/* the recent kills name their scope by its place */
	stats_rescope(&dmn->stats, moved, dmn->nw);
	for (int i = 0; i < dmn->nw; i++)
		close_watch(dmn, &dmn->w[i]);
	memcpy(dmn->w, staged, (size_t)next->nscopes * sizeof(*staged));
	dmn->nw = next->nscopes;
	free(staged);
	dmn->conf = next;
	dmn->hooks.timeout_ms = next->hook_timeout_ms;
	config_free(old);
	judge_all(dmn);
	struct line l;

	/* the reload's parsing touched pages start-up had dropped: drop them again */
	line_init(&l);
	if (slots_in_flight(dmn))
		warm_watches(dmn);
	else
		settle(dmn, &l);
	log_settled(PRIO_INFO, "configuration reloaded from ",
		    dmn->conf->path[0] ? dmn->conf->path : "defaults", &l);
	jevent(dmn, "reload", NULL, "ok");
}

/* One line of what this kernel offers, probed, not assumed */
static void probe(struct daemon *dmn)
{
	char *buf = dmn->probed;
	int pidfd = sys_pidfd_open(getpid());
	bool mrelease = sys_process_mrelease(-1) < 0 && errno != ENOSYS;
	bool psi = faccessat(dmn->cli->proc_fd, "pressure/memory", R_OK, 0) == 0;
	bool v1 = access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0;
	int psi_trig = 0;

	for (int i = 0; i < dmn->nw; i++)
		psi_trig |= dmn->w[i].scope.kind == SCOPE_GLOBAL && dmn->w[i].event_fd >= 0;
	if (pidfd >= 0)
		close(pidfd);
	int n = snprintf(buf, sizeof(dmn->probed),
			 "pidfd %s, process_mrelease %s, PSI %s%s, cgroup v1 memory %s, memory "
			 "fills at up to %.0f MiB/s%s; watching",
			 pidfd >= 0 ? "yes" : "NO",
			 mrelease ? "yes" : "no (memory freed only on exit)", psi ? "yes" : "no",
			 psi_trig ? " (trigger armed)" : "", v1 ? "yes" : "no",
			 dmn->fill_capacity / 1024,
			 dmn->conf->dry_run ? ", DRY RUN: nothing is signalled" : "");

	/* the scopes by name, so that a newcomer sees what is watched: "cgroup v2 /path" */
	for (int i = 0; i < dmn->nw && n > 0 && (size_t)n < sizeof(dmn->probed); i++)
		n += snprintf(buf + n, sizeof(dmn->probed) - (size_t)n, "%s %s", i ? "," : "",
			      dmn->w[i].name);
}

/* Whether the scope holds oomreaper itself. Start-up only: it reads the scope's pids. */
static bool holds_self(struct daemon *dmn, const struct watch *w)
{
	pid_t *pids = NULL;
	int n = scope_pids(&w->scope, dmn->cli->proc_fd, &pids);
	bool found = false;

	for (int i = 0; i < n && !found; i++)
		found = pids[i] == dmn->cli->self;
	free(pids);
	return found;
}

/*
 * oomreaper could not make itself unkillable by the kernel (no CAP_SYS_RESOURCE). That
 * matters where the kernel's OOM killer may look at it: in a scope that holds it (the whole
 * machine, or its own cgroup). Elsewhere it is said nowhere: a newcomer's first lines are
 * not a warning about nothing.
 */
static void warn_adj(struct daemon *dmn, int err)
{
	struct line l;

	for (int i = 0; i < dmn->nw; i++) {
		if (!holds_self(dmn, &dmn->w[i]))
			continue;
		line_init(&l);
		line_str(&l, "oomreaper: warning: cannot set oom_score_adj -1000 (");
		line_str(&l, strerror(err));
		line_str(&l, "): scope ");
		line_str(&l, dmn->w[i].name);
		line_str(&l, " holds oomreaper itself, and the kernel's OOM killer may choose it "
			     "there");
		line_say(&l, 2, PRIO_WARNING);
		return;
	}
}

static int start(struct daemon *dmn)
{
	sigset_t mask;
	struct reap_opts ro;
	struct epoll_event ev = { .events = EPOLLIN };

	/* a killer paged out when memory is short cannot run: lock what it touches */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
		log_line(PRIO_WARNING, "warning: mlockall: ", strerror(errno),
			 ": may stall when memory is short");
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "-1000", 5) < 0)
		warn_adj(dmn, errno);
	if (fd >= 0)
		close(fd);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* blocked before the reaper thread starts, so that it inherits the mask */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	dmn->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (dmn->sfd < 0)
		return -errno;
	reap_opts_default(&ro, dmn->cli->proc_fd);
	ro.report_fd = 2;
	ro.delay_ms = dmn->conf->reap_delay_ms;
	/* test hooks: see reap.h; and choosing made slow, as on a loaded machine (watch.c) */
	if (reap_opts_test_hook(&ro))
		return -EINVAL;
	const char *stall = getenv("OOMREAPER_TEST_STALL_MS");

	dmn->test_stall_ms = stall ? atol(stall) : 0;
	if (dmn->test_stall_ms < 0 || dmn->test_stall_ms > 60000)
		return -EINVAL;
	int r = reaper_start(&dmn->reaper, &ro);

	if (r)
		return r;
	/* a group kill's room, made now: the kill path allocates nothing */
	dmn->group_leaf.dir_fd = -1;
	if (group_reserve(dmn))
		log_line(PRIO_WARNING, "warning: no room for group kills: victims are killed alone",
			 NULL, NULL);
	/* every thread before settle(): starting one later would bring back what it drops */
	scan_start_helpers(scan_default_threads());
	ev.data.u64 = EV_SIGNAL;
	epoll_ctl(dmn->epfd, EPOLL_CTL_ADD, dmn->sfd, &ev);
	ev.data.u64 = EV_REAPER;
	epoll_ctl(dmn->epfd, EPOLL_CTL_ADD, dmn->reaper.done_fd, &ev);
	return 0;
}

/*
 * systemctl status's line (STATUS=): sent when it changed, at most once a second, from the
 * loop between wake-ups, never between a sample and its kill; force: now, whatever the time
 * (after READY=1)
 */
#define STATUS_EVERY_NS 1000000000LL

static void update_status(struct daemon *dmn, long long now, bool force)
{
	struct line l;

	if (!force && now < dmn->next_status)
		return;
	status_text(dmn, &l);
	if (!force && l.n == dmn->status.n && !memcmp(l.buf, dmn->status.buf, l.n))
		return;
	dmn->status = l;
	dmn->next_status = now + STATUS_EVERY_NS;
	notify(line_text(&dmn->status));
}

static void handle_signals(struct daemon *dmn)
{
	struct signalfd_siginfo si;

	while (read(dmn->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			/* systemd holds "reloading" until READY=1, said whether it took or not */
			notify_reloading();
			daemon_reload(dmn);
			notify("READY=1");
			update_status(dmn, now_ns(), true);
		} else if (!dmn->stop) {
			/* at once: stopping may take the reaper's last report */
			notify("STOPPING=1");
			dmn->stop = true;
		}
	}
}

/*
 * How long the loop may sleep: until the next sample, escalation, deadline or watchdog ping.
 * epoll_wait's own timeout, in ms: a timerfd would cost two more syscalls a wake-up, and
 * sampling needs no finer than its 10 ms floor.
 */
static int wait_ms(struct daemon *dmn, long long now)
{
	long long next = now + (long long)SAMPLE_MAX_MS * 1000000;

	for (int i = 0; i < dmn->nw; i++) {
		struct watch *w = &dmn->w[i];

		if (w->next_ns < next)
			next = w->next_ns;
		if (w->inflight && w->escalate_at && w->escalate_at < next)
			next = w->escalate_at;
		if (w->inflight && w->deadline < next)
			next = w->deadline;
	}
	if (dmn->watchdog_ms && dmn->next_watchdog < next)
		next = dmn->next_watchdog;
	if (hooks_next_ns(&dmn->hooks) < next)
		next = hooks_next_ns(&dmn->hooks);
	if (next <= now)
		return 0;
	/* rounded up: waking a little late is a sample a little late; early, a wasted wake-up */
	return (int)((next - now + 999999) / 1000000);
}

int daemon_run(struct cli *c, const struct daemon_args *a, struct config *conf)
{
	/* the one daemon of the process: its state travels from here as an argument */
	struct daemon *dmn = &the_daemon;
	char err[512];
	struct epoll_event evs[16];

	dmn->ops = &watch_ops_live;
	dmn->cli = c;
	/* before the reaper thread starts: it writes to stderr too */
	line_prio_prefix(notify_stderr_is_journal());
	dmn->args = a;
	dmn->conf = dmn->first_conf = conf;
	dmn->log_fd = -1;
	if (conf->log_json[0]) {
		dmn->log_fd = strcmp(conf->log_json, "-") == 0 ? 1
			     : log_open(conf->log_json, err, sizeof(err));
		if (dmn->log_fd < 0) {
			cli_error(c, "run: --log-json %s", err);
			return EXIT_USAGE;
		}
	}
	/* before mlockall, which would keep the scratch mapping's pages. Test hook: the figure
	 * a slow start-up measured elsewhere (144-325 MiB/s where stress-ng filled at 4.5 GB/s) */
	const char *cap = getenv("OOMREAPER_TEST_FILL_KBS");

	dmn->fill_capacity = cap ? atof(cap) : decide_measure_fill_capacity();
	if (cap && !(dmn->fill_capacity > 0 && dmn->fill_capacity < 1e9)) {
		cli_error(c, "run: OOMREAPER_TEST_FILL_KBS=%s: want kB/s above 0", cap);
		return EXIT_USAGE;
	}
	/* the scopes first: a bad one is bad usage, said before anything starts */
	dmn->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dmn->epfd < 0 || daemon_open_watches(dmn, err, sizeof(err))) {
		cli_error(c, "run: %s", dmn->epfd < 0 ? strerror(errno) : err);
		return EXIT_USAGE;
	}
	events_none(&dmn->events);
	if (conf->events_socket[0] && events_open(&dmn->events, conf->events_socket, dmn->epfd,
						  EV_EVENTS, err, sizeof(err))) {
		cli_error(c, "run: --events-socket %s", err);
		daemon_close_watches(dmn);
		return EXIT_USAGE;
	}
	judge_all(dmn);
	if (observe_start(dmn, err, sizeof(err))) {
		cli_error(c, "run: %s", err);
		daemon_close_watches(dmn);
		return EXIT_USAGE;
	}
	int r = start(dmn);

	if (r) {
		cli_error(c, "run: cannot start: %s", strerror(-r));
		return EXIT_NOTHING;
	}
	r = hooks_init(&dmn->hooks, dmn->epfd, EV_HOOK, dmn->conf->hook_timeout_ms);
	if (r) {
		cli_error(c, "run: cannot start: /dev/null: %s", strerror(-r));
		return EXIT_NOTHING;
	}
	probe(dmn);
	notify_init();
	dmn->watchdog_ms = notify_watchdog_ms();
	struct line l;

	/* last: what start-up touched is dropped here, and nothing but the loop runs after */
	line_init(&l);
	settle(dmn, &l);
	log_settled(PRIO_INFO, "started: ", dmn->probed, &l);
	if (dmn->log_fd >= 0) {
		struct line j;

		jbegin(&j, "start");
		jstr(&j, "reason", dmn->probed);
		jstr(&j, "resident", line_text(&l));
		jend(dmn, &j);
	}
	/* STATUS= follows from the loop, once the scopes have their first samples */
	notify("READY=1");
	long long now = now_ns();

	for (int i = 0; i < dmn->nw; i++)
		dmn->w[i].next_ns = now;
	dmn->next_watchdog = now;
	while (!dmn->stop) {
		now = now_ns();
		for (int i = 0; i < dmn->nw; i++) {
			struct watch *w = &dmn->w[i];

			if (now >= w->next_ns ||
			    (w->inflight && (now >= w->deadline ||
					     (w->escalate_at && now >= w->escalate_at))))
				watch_tick(dmn, w, now);
			else if (w->inflight)
				watch_follow(dmn, w, now);
		}
		slots_sweep(dmn);
		/* after every scope's own work: a hook never delays a kill */
		hooks_tick(&dmn->hooks, now);
		hooks_start_queued(&dmn->hooks, now);
		if (dmn->conf->nrules && now >= dmn->next_memos) {
			rule_memos_refresh(&dmn->memos, dmn->conf->rules, dmn->conf->nrules,
					   dmn->cli->proc_fd, MEMOS_BUDGET_NS);
			dmn->next_memos = now + MEMOS_EVERY_NS;
		}
		/* status clients and the metrics file: after the scopes' own work */
		if (observe_due(dmn, now))
			observe_turn(dmn, now_ns());
		if (dmn->watchdog_ms && now >= dmn->next_watchdog) {
			notify("WATCHDOG=1");
			dmn->next_watchdog = now + dmn->watchdog_ms * 1000000LL / 2;
		}
		update_status(dmn, now, false);
		int n = epoll_wait(dmn->epfd, evs, 16, wait_ms(dmn, now_ns()));

		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64, x;

			switch (tag & 0xff) {
			case EV_SIGNAL:
				handle_signals(dmn);
				break;
			case EV_SERVE:
				/* served in the next turn, after the scopes' work */
				dmn->server.pending = true;
				break;
			case EV_EVENTS:
				events_accept(&dmn->events);
				break;
			case EV_HOOK:
				hooks_wake(&dmn->hooks, (int)(tag >> 8 & 0xff), tag >> 16 & 1,
					   now_ns());
				break;
			case EV_REAPER:
				if (read(dmn->reaper.done_fd, &x, sizeof(x)) < 0) {
					/* drained by an earlier wake-up */
				}
				break;
			case EV_SCOPE: {
				/* a scope's kernel event, or a victim's exit: look now */
				int k = (int)(tag >> 8);

				if (k < dmn->nw) {
					struct watch *w = &dmn->w[k];

					char buf[256];

					w->next_ns = now_ns();
					/* acknowledge, or it stays ready: the eventfds' counts,
					 * memory.events' change */
					if (w->level_fd >= 0 &&
					    read(w->level_fd, &x, sizeof(x)) < 0) {
						/* not this one */
					}
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
	/* the stop event first: say_stopping() counts it when it could not be written */
	jevent(dmn, "stop", NULL, NULL);
	say_stopping(dmn);
	observe_stop(dmn);
	hooks_stop(&dmn->hooks);
	events_close(&dmn->events);
	daemon_close_watches(dmn);
	/* the caller frees its own; a reload's is ours */
	if (dmn->conf != dmn->first_conf)
		config_free(dmn->conf);
	rule_memos_free(&dmn->memos);
	return 0;
}
