/* follow.c - a watched scope as it changes under the daemon: its cgroup's limits raised or
 * lowered, the cgroup removed, and made again at the same path */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "daemon_log.h"
#include "watch.h"

static void line_mib(struct line *l, const struct scope *s, unsigned long pages)
{
	if (!pages) {
		line_str(l, "none (the machine's memory)");
		return;
	}
	line_ulong(l, (unsigned long long)pages * s->page_kb / 1024);
	line_str(l, " MiB");
}

/*
 * The cgroup's limit changed since the last sample: say so, and bring what was measured
 * against the old one to the new. The fill history's "available" was limit - used, so it
 * moves with the limit; a choice made ahead weighed oom_score_adj in thousandths of the old
 * totalpages (oom_badness()), so it is made again.
 */
static void limits_changed(struct daemon *dmn, struct watch *w, unsigned long was_limit,
			   const struct sample *smp)
{
	struct line l;

	decider_new_limit(&w->dec, smp->total_kb, (was_limit != 0) == (w->scope.limit_pages != 0));
	watch_drop_ready(dmn, w);
	line_init(&l);
	line_str(&l, "oomreaper: ");
	line_str(&l, w->name);
	line_str(&l, ": limit ");
	line_mib(&l, &w->scope, was_limit);
	line_str(&l, " -> ");
	line_mib(&l, &w->scope, w->scope.limit_pages);
	line_str(&l, ", totalpages ");
	line_ulong(&l, w->scope.totalpages);
	line_say(&l, 2, PRIO_INFO);
	if (dmn->log_fd < 0)
		return;
	jbegin(&l, "scope_limit");
	jstr(&l, "scope", w->name);
	jnum(&l, "limit_kb", (long long)(w->scope.limit_pages * w->scope.page_kb));
	jnum(&l, "was_kb", (long long)(was_limit * w->scope.page_kb));
	jnum(&l, "totalpages", (long long)w->scope.totalpages);
	jend(dmn, &l);
}

/* Whether the scope's path no longer leads to the cgroup held open: removed, or removed and
 * made again (a new directory, whose files are not the ones held) */
static bool scope_removed(const struct scope *s)
{
	struct stat held, now;

	if (fstat(s->dir_fd, &held))
		return true;
	if (stat(s->path, &now))
		return errno == ENOENT || errno == ENOTDIR;
	return held.st_ino != now.st_ino || held.st_dev != now.st_dev;
}

/* The directory the scope's path is in, into buf; false when there is none */
static bool parent_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!slash || n >= len)
		return false;
	memcpy(buf, path, n);
	buf[n ? n : 1] = '\0';
	if (!n)
		buf[0] = '/';
	return true;
}

/* While gone: a wake-up when something is made in the parent directory (cgroupfs reports a
 * mkdir there as any filesystem does: vfs_mkdir() -> fsnotify_mkdir()), else the tick's
 * once-a-second look */
static void await_return(struct daemon *dmn, struct watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = EV_SCOPE | (uint64_t)(w - dmn->w) << 8 };
	char parent[PATH_MAX];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return;
	if (!parent_of(w->scope.path, parent, sizeof(parent)) ||
	    inotify_add_watch(fd, parent, IN_CREATE | IN_MOVED_TO) < 0 ||
	    epoll_ctl(dmn->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return;
	}
	w->back_fd = fd;
}

static void scope_gone(struct daemon *dmn, struct watch *w)
{
	log_line(PRIO_WARNING, w->name, ": removed; watching for it to be made again", NULL);
	jevent(dmn, "scope_gone", w->name, "removed");
	watch_drop_ready(dmn, w);
	watch_close_scope(dmn, w);
	w->gone = true;
	w->said_refused = false;
	await_return(dmn, w);
}

/* Whether the scope is back: its path a cgroup that can be watched again. Returns 0 once it
 * is open again, or -errno while it is not */
static int scope_back(struct daemon *dmn, struct watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char err[PATH_MAX + 256];

	/* what woke us is read, whatever it was, or the loop would wake at once again */
	while (w->back_fd >= 0 && read(w->back_fd, buf, sizeof(buf)) > 0)
		;
	if (access(w->conf->cgroup, F_OK))
		return -ENOENT;
	/* scope_open() starts from a blank scope: a failed one must not leave it "global" */
	struct scope was = w->scope;
	int r = watch_open_scope(dmn, w, (int)(w - dmn->w), err, sizeof(err));

	if (r) {
		w->scope = was;
		if (!w->said_refused)
			log_line(PRIO_WARNING, "made again, but cannot be watched: ", err, NULL);
		w->said_refused = true;
		return r;
	}
	if (w->back_fd >= 0) {
		epoll_ctl(dmn->epfd, EPOLL_CTL_DEL, w->back_fd, NULL);
		close(w->back_fd);
		w->back_fd = -1;
	}
	w->gone = false;
	/* a new cgroup: what was measured of the old one says nothing of it */
	decider_init(&w->dec);
	w->dec.floor_fill_kb_s = dmn->fill_capacity;
	log_line(PRIO_INFO, w->name, ": made again; watching it", NULL);
	jevent(dmn, "scope_back", w->name, "made again");
	return 0;
}

int watch_sample(struct daemon *dmn, struct watch *w, struct sample *smp)
{
	if (w->gone) {
		int r = scope_back(dmn, w);

		if (r)
			return r;
	}
	unsigned long was_limit = w->scope.limit_pages;
	int r = sample_scope(&w->scope, dmn->cli->proc_fd, &w->files, smp);

	if (r > 0)
		limits_changed(dmn, w, was_limit, smp);
	if (r >= 0)
		return 0;
	if (w->scope.kind == SCOPE_GLOBAL || !scope_removed(&w->scope))
		return r;
	scope_gone(dmn, w);
	/* removed and made again between two samples: back at once */
	if (scope_back(dmn, w))
		return r;
	return sample_scope(&w->scope, dmn->cli->proc_fd, &w->files, smp) < 0 ? r : 0;
}
