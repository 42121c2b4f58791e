/* cgkill.c - the whole-cgroup kill (memory.oom.group in userspace) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgkill.h"
#include "rank.h"
#include "readfile.h"
#include "scan.h"
#include "sys.h"

/* Where the v1 freezer hierarchy is mounted (the memory one: scope.h) */
#define V1_FREEZER "/sys/fs/cgroup/freezer"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int write_str(int dir_fd, const char *name, const char *s)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * The freezer cgroup that mirrors a v1 memory cgroup path, opened; -1 when there is none.
 * v1 hierarchies are separate: the same relative path is the convention of every manager
 * that creates both, and the only link there is.
 */
static int v1_freezer_of(const char *memory_path)
{
	char path[PATH_MAX];
	size_t ml = strlen(V1_MEMORY);

	if (strncmp(memory_path, V1_MEMORY, ml) != 0 ||
	    (memory_path[ml] != '/' && memory_path[ml] != '\0'))
		return -1;
	if (snprintf(path, sizeof(path), "%s%s", V1_FREEZER, memory_path + ml) >=
	    (int)sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Sets freezer.state and waits (bounded) until the kernel reports it reached. A task in
 * uninterruptible sleep is not frozen until it leaves it (the v1 freezer stays FREEZING), so
 * the wait is short: a kill waits on no stuck member, and what forks meanwhile is caught by
 * the next round.
 */
static void freeze(int freezer_fd, bool on)
{
	char buf[32];

	if (freezer_fd < 0)
		return;
	write_str(freezer_fd, "freezer.state", on ? "FROZEN" : "THAWED");
	for (int i = 0; on && i < 10; i++) {
		ssize_t n = read_file_at(freezer_fd, "freezer.state", buf, sizeof(buf));

		if (n < 0 || strncmp(buf, "FROZEN", 6) == 0)
			return;
		sleep_ms(10);
	}
}

/*
 * Whether oomreaper itself is in the v1 freezer cgroup that mirrors memory_path, or below it:
 * freezing that would freeze the killer, and nothing would thaw it.
 */
static bool self_in_freezer(const char *memory_path)
{
	char buf[4096];
	const char *rel = memory_path + strlen(V1_MEMORY);
	size_t rl = strlen(rel);
	ssize_t n = read_file_at(AT_FDCWD, "/proc/self/cgroup", buf, sizeof(buf));

	if (n < 0)
		return true;	/* cannot tell: do not risk it */
	for (char *line = buf; *line;) {
		char *eol = strchrnul(line, '\n');
		char *c = memmem(line, (size_t)(eol - line), ":freezer:", 9);

		if (c) {
			size_t cl = (size_t)(eol - (c + 9));

			c += 9;
			/* the root holds everyone */
			return rl == 0 || (cl >= rl && strncmp(c, rel, rl) == 0 &&
					   (cl == rl || c[rl] == '/'));
		}
		line = *eol ? eol + 1 : eol;
	}
	return false;
}

/* Whether pid is held already, by a victim of this kill */
static bool held(const struct group_kill *g, int used, pid_t pid)
{
	for (int v = 0; v < used; v++)
		for (int i = 0; i < g->victims[v].n; i++)
			if (g->victims[v].m[i].pid == pid && !g->victims[v].m[i].gone)
				return true;
	return false;
}

static bool spared_already(const struct group_kill *g, pid_t pid)
{
	int n = g->nspared < g->spared_cap ? g->nspared : g->spared_cap;

	for (int i = 0; i < n; i++)
		if (g->spared[i].pid == pid)
			return true;
	return false;
}

/*
 * A member that has exited (its pidfd readable) gives its place to a newcomer: its memory is
 * back, counted in g->freed_kb. The first member of victims[0] stays, whoever it is: the
 * daemon follows the victim by it. Returns how many places were freed.
 */
static int make_room(struct group_kill *g, int used)
{
	int freed = 0;

	for (int k = 0; k < used; k++) {
		struct victim *v = &g->victims[k];
		int kept = k == 0 && v->n ? 1 : 0;

		for (int i = kept; i < v->n; i++) {
			struct member *m = &v->m[i];
			struct pollfd pfd = { .fd = m->pidfd, .events = POLLIN };

			if (m->killed && m->pidfd >= 0 && poll(&pfd, 1, 0) == 1) {
				g->freed_kb += m->rss_kb;
				close(m->pidfd);
				freed++;
				continue;
			}
			v->m[kept++] = *m;
		}
		v->n = kept;
	}
	return freed;
}

/* The place for one more member: the last victim's room, the next victim's, or none */
static struct member *place(struct group_kill *g, int *used)
{
	if (*used && g->victims[*used - 1].n < g->victims[*used - 1].cap)
		return &g->victims[*used - 1].m[g->victims[*used - 1].n];
	/* only victims given room before the kill are used: none is grown here */
	if (*used == g->nv || g->victims[*used].cap == 0)
		return NULL;
	victim_reset(&g->victims[*used], NULL);
	g->victims[*used].independent = true;
	(*used)++;
	return &g->victims[*used - 1].m[0];
}

bool cgroup_kill_spares(const struct proc_info *p, pid_t self, enum exclusion *why)
{
	*why = rank_exclusion(p, self);
	if (group_kill_spares(*why))
		return true;
	if (p->ppid == self && p->pid != self) {
		*why = EXCL_OWN_CHILD;
		return true;
	}
	return false;
}

/*
 * Adds pid to the victims with a pidfd, unless it is held already or to be spared. With no
 * room left it is killed now through a pidfd that is not kept (g->unheld): a group is
 * emptied whatever its size, though the reaper sees only those it holds.
 * Returns 1 if added or killed, 0 if not, -1 when it is there but could not be held.
 */
static int hold(int proc_fd, pid_t pid, struct group_kill *g, int *used)
{
	struct proc_info p;
	enum exclusion e;

	if (held(g, *used, pid) || spared_already(g, pid))
		return 0;
	memset(&p, 0, sizeof(p));
	int fd = sys_pidfd_open(pid);

	if (fd < 0)
		return errno == ESRCH ? 0 : -1;
	/* read after the open: the pidfd holds whoever the figures describe */
	int r = scan_proc(proc_fd, pid, SCAN_DETAIL, &p);

	if (r) {
		close(fd);
		return r == -ENOENT || r == -ESRCH ? 0 : -1;
	}
	/* a zombie has died already, its memory is back: killing it again would be a new
	 * member every round */
	if (p.state == 'Z' || p.state == 'X') {
		close(fd);
		return 0;
	}
	if (cgroup_kill_spares(&p, g->self, &e)) {
		close(fd);
		if (g->nspared < g->spared_cap) {
			struct spared *sp = &g->spared[g->nspared];

			sp->pid = pid;
			sp->why = e;
			memcpy(sp->comm, p.comm, sizeof(sp->comm));
		}
		g->nspared++;
		return 0;
	}
	struct member *m = place(g, used);

	/* killed already in an earlier round, and on its way out: not a new member */
	if (!m && (p.kill_pending || (p.flags & PF_EXITING))) {
		close(fd);
		return 0;
	}
	if (!m) {
		r = sys_pidfd_send_signal(fd, SIGKILL);
		close(fd);
		if (r)
			return errno == ESRCH ? 0 : -1;
		g->killed++;
		g->unheld++;
		return 1;
	}
	struct victim *v = &g->victims[*used - 1];

	if (v->n == 0)
		v->chosen = p;
	v->chosen.cgroup = NULL;
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->pidfd = fd;
	m->start_time = p.start_time;
	m->rss_kb = p.rss_anon_kb + p.rss_file_kb + p.rss_shmem_kb;
	memcpy(m->comm, p.comm, sizeof(m->comm));
	v->n++;
	return 1;
}

static void unfreeze(int freezer)
{
	freeze(freezer, false);
	if (freezer >= 0)
		close(freezer);
}

/* SIGKILL to every member held and not yet signalled; returns how many got it */
static int kill_held(struct group_kill *g, int used)
{
	long long t = now_ns();
	int sent = 0;

	for (int v = 0; v < used; v++) {
		for (int i = 0; i < g->victims[v].n; i++) {
			struct member *m = &g->victims[v].m[i];

			if (!m->killed && sys_pidfd_send_signal(m->pidfd, SIGKILL) == 0) {
				m->killed = true;
				sent++;
			}
		}
		if (!g->victims[v].t_kill)
			g->victims[v].t_kill = t;
	}
	return sent;
}

int cgroup_kill(const struct scope *s, int proc_fd, struct group_kill *g)
{
	int used = g->nv && g->victims[0].n ? 1 : 0, freezer = -1;
	long long end = now_ns() + (long long)g->deadline_ms * 1000000;

	g->killed = g->nspared = g->left = g->unheld = 0;
	g->freed_kb = 0;
	if (s->kind == SCOPE_GLOBAL || !g->pids || g->pids_cap <= 0)
		return -EINVAL;
	/* the members held before: signalled with the rest, counted among the killed */
	if (used) {
		g->victims[0].independent = true;
		for (int i = 0; i < g->victims[0].n; i++)
			g->killed += g->victims[0].m[i].killed;
	}
	if (s->kind == SCOPE_CGROUP_V1 && !self_in_freezer(s->path))
		freezer = v1_freezer_of(s->path);
	/* a pass lists the whole cgroup, a window of g->pids_cap pids a round */
	int skip = 0, pass_added = 0;

	for (int round = 0; now_ns() < end; round++) {
		freeze(freezer, true);
		int n = scope_pids_into(s, g->pids, g->pids_cap, skip);
		int listed = n - skip < g->pids_cap ? n - skip : g->pids_cap;
		int added = 0;

		/* each pass counts anew those it cannot hold, and the spared it has no room to
		 * name (the named ones are known, and not counted twice) */
		if (!skip) {
			g->left = 0;
			if (g->nspared > g->spared_cap)
				g->nspared = g->spared_cap;
		}
		if (n > 0)
			make_room(g, used);
		for (int i = 0; i < listed; i++) {
			int h = hold(proc_fd, g->pids[i], g, &used);

			if (h < 0)
				g->left++;
			else
				added += h;
		}
		if (n < 0 && round == 0) {
			unfreeze(freezer);
			return n;
		}
		/* cgroup.kill spares nobody: with a process to spare, or some not yet looked at
		 * (a cgroup larger than a window), a pidfd each */
		if (s->kind == SCOPE_CGROUP_V2 && round == 0 && n > 0 && n <= g->pids_cap &&
		    !g->nspared) {
			/* the kernel kills the whole subtree, forks included */
			int r = write_str(s->dir_fd, "cgroup.kill", "1");

			if (r) {
				unfreeze(freezer);
				return r;
			}
		}
		g->killed += kill_held(g, used);
		/* the SIGKILLs land when the tasks thaw */
		freeze(freezer, false);
		pass_added += added;
		/* the next window of this pass */
		if (listed > 0 && skip + listed < n) {
			skip += listed;
			continue;
		}
		/* a pass that found nobody new: all that is left has its SIGKILL */
		if (n <= 0 || !pass_added)
			break;
		skip = pass_added = 0;
		sleep_ms(10);
	}
	if (freezer >= 0)
		close(freezer);
	return used;
}

/* Whether pid is listed in s's cgroup.procs or below it, read cap pids at a time: 0 or -ESRCH */
static int listed_in(const struct scope *s, pid_t pid, pid_t *pids, int cap)
{
	for (int skip = 0;; skip += cap) {
		int n = scope_pids_into(s, pids, cap, skip);

		if (n < 0)
			return n;
		for (int i = 0; i < n - skip && i < cap; i++)
			if (pids[i] == pid)
				return 0;
		if (n - skip <= cap)
			return -ESRCH;
	}
}

const char *cgroup_leaf_refused(int err)
{
	switch (err) {
	case -EPERM:
		return "it is in the root cgroup, and a group kill there would be the whole "
		       "machine";
	case -EXDEV:
		return "its cgroup is outside the scope";
	case -ESRCH:
		return "its cgroup does not list it (moved, or a cgroup namespace)";
	case -ENOENT:
		return "it is in no cgroup of the memory hierarchy";
	case -EBADMSG:
		return "its cgroup is outside oomreaper's cgroup namespace, or its path is "
		       "malformed";
	default:
		return "its cgroup cannot be read";
	}
}

int cgroup_leaf_open(int proc_fd, pid_t pid, enum scope_kind kind, const char *within,
		     pid_t *pids, int cap, struct scope *leaf)
{
	int r;

	if (kind == SCOPE_GLOBAL)
		kind = scope_memory_kind();
	memset(leaf, 0, sizeof(*leaf));
	leaf->dir_fd = -1;
	leaf->kind = kind;
	r = scope_cgroup_of(proc_fd, pid, kind, within, leaf->path, sizeof(leaf->path));
	if (r)
		return r;
	leaf->dir_fd = open(leaf->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (leaf->dir_fd < 0)
		return -errno;
	/* the path was made from text: the cgroup must hold the victim, or it is not its own */
	r = listed_in(leaf, pid, pids, cap);
	if (r) {
		scope_close(leaf);
		return r;
	}
	return 0;
}
