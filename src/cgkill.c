/* cgkill.c - the whole-cgroup kill (memory.oom.group in userspace) */
#include <errno.h>
#include <fcntl.h>
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

/* Where the v1 memory and freezer hierarchies are mounted */
#define V1_MEMORY "/sys/fs/cgroup/memory"
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

/* Sets freezer.state and waits (bounded) until the kernel reports it reached. */
static void freeze(int freezer_fd, bool on)
{
	char buf[32];

	if (freezer_fd < 0)
		return;
	write_str(freezer_fd, "freezer.state", on ? "FROZEN" : "THAWED");
	for (int i = 0; on && i < 100; i++) {
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
 * Adds pid to the victims with a pidfd, unless it is held already or to be spared.
 * Returns 1 if added, 0 if not, -1 when it is there but could not be held.
 */
static int hold(int proc_fd, pid_t pid, struct group_kill *g, int *used)
{
	struct proc_info p;

	if (held(g, *used, pid) || spared_already(g, pid))
		return 0;
	if (*used == 0 || g->victims[*used - 1].n == g->victims[*used - 1].cap) {
		/* only victims given room before the kill are used: none is grown here */
		if (*used == g->nv || g->victims[*used].cap == 0)
			return -1;
		victim_reset(&g->victims[*used], NULL);
		g->victims[*used].independent = true;
		(*used)++;
	}
	struct victim *v = &g->victims[*used - 1];

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
	enum exclusion e = rank_exclusion(&p, g->self);

	if (group_kill_spares(e)) {
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
	if (v->n == 0)
		v->chosen = p;
	struct member *m = &v->m[v->n++];

	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->pidfd = fd;
	m->start_time = p.start_time;
	memcpy(m->comm, p.comm, sizeof(m->comm));
	return 1;
}

static void unfreeze(int freezer)
{
	freeze(freezer, false);
	if (freezer >= 0)
		close(freezer);
}

int cgroup_kill(const struct scope *s, int proc_fd, struct group_kill *g)
{
	int used = 0, freezer = -1;
	long long end = now_ns() + (long long)g->deadline_ms * 1000000;

	g->killed = g->nspared = g->left = 0;
	if (s->kind == SCOPE_GLOBAL)
		return -EINVAL;
	if (s->kind == SCOPE_CGROUP_V1 && !self_in_freezer(s->path))
		freezer = v1_freezer_of(s->path);
	for (int round = 0; now_ns() < end; round++) {
		pid_t *pids = NULL;

		freeze(freezer, true);
		int n = scope_pids(s, proc_fd, &pids);
		int added = 0;

		g->left = 0;
		for (int i = 0; i < n; i++) {
			int h = hold(proc_fd, pids[i], g, &used);

			if (h < 0)
				g->left++;
			else
				added += h;
		}
		free(pids);
		if (n < 0 && round == 0) {
			unfreeze(freezer);
			return n;
		}
		/* cgroup.kill spares nobody: with a process to spare, a pidfd each */
		if (s->kind == SCOPE_CGROUP_V2 && round == 0 && n > 0 && !g->nspared) {
			/* the kernel kills the whole subtree, forks included */
			int r = write_str(s->dir_fd, "cgroup.kill", "1");

			if (r) {
				unfreeze(freezer);
				return r;
			}
		}
		long long t = now_ns();

		for (int v = 0; v < used; v++) {
			for (int i = 0; i < g->victims[v].n; i++) {
				struct member *m = &g->victims[v].m[i];

				if (!m->killed && sys_pidfd_send_signal(m->pidfd, SIGKILL) == 0) {
					m->killed = true;
					g->killed++;
				}
			}
			if (!g->victims[v].t_kill)
				g->victims[v].t_kill = t;
		}
		/* the SIGKILLs land when the tasks thaw */
		freeze(freezer, false);
		/* a round that found nobody new: all that is left has its SIGKILL */
		if (n <= 0 || !added)
			break;
		sleep_ms(10);
	}
	if (freezer >= 0)
		close(freezer);
	return used;
}
