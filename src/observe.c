/* observe.c - the daemon's snapshot, its status socket's turn and its metrics file
 * (observe.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon_log.h"
#include "observe.h"
#include "render.h"
#include "sys.h"

#ifndef OOMREAPER_VERSION
#define OOMREAPER_VERSION "unknown"
#endif

int observe_start(struct daemon *dmn, char *err, size_t len)
{
	char path[sizeof(dmn->server.path)];
	const char *set = dmn->conf->socket;
	int r = serve_path(set, path, sizeof(path));

	dmn->start_ns = now_ns();
	dmn->start_real_ms = real_ms();
	if (!r)
		r = serve_open(&dmn->server, path, dmn->epfd, EV_SERVE, err, len);
	else
		snprintf(err, len, "status socket %s: path too long", set);
	if (!r || set[0])
		return r;
	/* the default place: a second daemon, or a machine without /run, runs without it */
	log_line(PRIO_WARNING, "warning: ", err, "; oomreaper status will not reach this daemon");
	serve_open(&dmn->server, "", dmn->epfd, EV_SERVE, err, len);
	return 0;
}

static void snap_victim(struct snap_victim *sv, const struct victim *v, long lead_bound,
			long long since, long long now)
{
	sv->pid = v->chosen.pid;
	memcpy(sv->comm, v->chosen.comm, sizeof(sv->comm));
	sv->badness = v->chosen.badness;
	/* as ready_fresh() reads the bound: no other candidate, or none above 0, is 0 */
	sv->lead = lead_bound == LONG_MAX ? LONG_MAX
		   : v->chosen.badness - (lead_bound > 0 ? lead_bound : 0);
	sv->age_ms = since && now > since ? (now - since) / 1000000 : 0;
	stats_identity(&sv->id, &v->id);
}

/* The kernel's own 10 s averages of the scope's pressure file (psi_show()): the machine's,
 * or a v2 cgroup's memory.pressure; v1 has none. A read of a file or two per answer */
static void snap_psi(struct daemon *dmn, const struct watch *w, struct snap_scope *sc)
{
	char buf[256];
	int fd = w->gone ? -1
		 : w->scope.kind == SCOPE_GLOBAL
			 ? openat(dmn->cli->proc_fd, "pressure/memory", O_RDONLY | O_CLOEXEC)
		 : w->scope.kind == SCOPE_CGROUP_V2
			 ? openat(w->scope.dir_fd, "memory.pressure", O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (fd >= 0)
		close(fd);
	sc->has_psi = n > 0 && parse_pressure_avg10(buf, (size_t)n, &sc->psi_some_pct,
						    &sc->psi_full_pct) == 0;
}

static const char *kind_name(enum scope_kind k)
{
	return k == SCOPE_GLOBAL ? "global" : k == SCOPE_CGROUP_V1 ? "cgroup-v1" : "cgroup-v2";
}

void observe_snapshot(struct daemon *dmn, struct snapshot *snap)
{
	long long now = now_ns();
	int draining = 0;

	memset(snap, 0, sizeof(*snap));
	memcpy(snap->magic, SNAPSHOT_MAGIC, sizeof(snap->magic));
	snap->size = sizeof(*snap);
	snap_name(snap->version, sizeof(snap->version), OOMREAPER_VERSION);
	snap->pid = getpid();
	snap->start_real_ms = dmn->start_real_ms;
	snap->now_real_ms = real_ms();
	snap->uptime_ms = (now - dmn->start_ns) / 1000000;
	snap_name(snap->config, sizeof(snap->config), dmn->conf->path);
	snap->dry_run = dmn->conf->dry_run;
	snap->aborts = (unsigned long long)dmn->aborts;
	snap->log_failures = dmn->log_failures;
	for (int i = 0; i < POOL; i++)
		draining += dmn->pool[i].state == SLOT_DRAINING ||
			    (dmn->pool[i].submitted && dmn->pool[i].state == SLOT_INFLIGHT);
	snap->draining = draining;
	snap->st = dmn->stats;
	snap->nscopes = dmn->nw;
	for (int i = 0; i < dmn->nw; i++) {
		const struct watch *w = &dmn->w[i];
		struct snap_scope *sc = &snap->scopes[i];
		const struct thresholds *th = &w->conf->th;
		unsigned long long total = w->st.total_kb;

		snap_name(sc->kind, sizeof(sc->kind), kind_name(w->scope.kind));
		snap_name(sc->path, sizeof(sc->path), w->scope.path);
		sc->gone = w->gone;
		sc->mem_min_kb = level_kb(&th->mem_min, total);
		sc->mem_kill_kb = level_kb(&th->mem_kill, total);
		/* decide(): the warning band reaches up to twice mem_min */
		sc->band_kb = 2 * sc->mem_min_kb;
		sc->swap_min_kb = level_kb(&th->swap_min, w->st.swap_total_kb);
		if (w->ready)
			snap_victim(&sc->ahead, &w->ready->v, w->ready_lead_bound, w->ready_at, now);
		if (w->inflight) {
			const struct victim *v = &w->inflight->v;

			snap_victim(&sc->inflight, v, LONG_MAX, v->t_kill ? v->t_kill : v->t_term,
				    now);
		}
		sc->st = w->st;
		snap_psi(dmn, w, sc);
	}
}

static void fill(void *ctx, struct snapshot *snap)
{
	observe_snapshot(ctx, snap);
}

/*
 * The metrics file, whole or not at all: written beside it under a name node_exporter's
 * textfile collector does not read (*.prom only), then renamed over it
 */
static void write_metrics(struct daemon *dmn)
{
	static struct snapshot snap;
	static char buf[8192];
	char tmp[PATH_MAX + 8];
	const char *path = dmn->conf->metrics_file;
	struct out o;
	int fd, e = 0;

	/* config.c leaves room for ".tmp" */
	memcpy(tmp, path, strlen(path));
	memcpy(tmp + strlen(path), ".tmp", 5);
	fd = e ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = e ? e : errno;
	} else {
		observe_snapshot(dmn, &snap);
		out_init(&o, buf, sizeof(buf), fd);
		render_metrics(&o, &snap);
		e = -out_flush(&o);
		if (close(fd) < 0 && !e)
			e = errno;
		if (!e && rename(tmp, path) < 0)
			e = errno;
		if (e)
			unlink(tmp);
	}
	if (e && !dmn->metrics_said) {
		char why[160];

		snprintf(why, sizeof(why), ": %s; tried again each second, said once",
			 e == ELOOP ? "its temporary file (.tmp) is a symlink: refused"
				    : strerror(e));
		dmn->metrics_said = true;
		log_line(PRIO_WARNING, "cannot write the metrics file ", path, why);
	} else if (!e) {
		dmn->metrics_said = false;
	}
}

void observe_turn(struct daemon *dmn, long long now)
{
	serve_turn(&dmn->server, now, fill, dmn);
	if (!dmn->conf->metrics_file[0])
		return;
	if (now < dmn->next_metrics && dmn->stats.events == dmn->metrics_events)
		return;
	dmn->metrics_events = dmn->stats.events;
	dmn->next_metrics = now + METRICS_EVERY_NS;
	write_metrics(dmn);
}

void observe_stop(struct daemon *dmn)
{
	serve_close(&dmn->server);
}
