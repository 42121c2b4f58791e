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
#include "readfile.h"
#include "scan.h"

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

/* Adds pid to the victims with a pidfd, unless it is already held. Returns 1 if added. */
static int hold(int proc_fd, pid_t pid, struct victim *victims, int nv, int *used)
{
	for (int v = 0; v < *used; v++)
		for (int i = 0; i < victims[v].n; i++)
			if (victims[v].m[i].pid == pid && !victims[v].m[i].gone)
				return 0;
	if (*used == 0 || victims[*used - 1].n == VICTIM_MAX_MEMBERS) {
		if (*used == nv)
			return 0;
		memset(&victims[*used], 0, sizeof(victims[*used]));
		victims[*used].independent = true;
		(*used)++;
	}
	struct victim *v = &victims[*used - 1];
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	int fd = sys_pidfd_open(pid);

	if (fd < 0)
		return 0;
	/* read after the open: the pidfd holds whoever the figures describe */
	if (scan_proc(proc_fd, pid, SCAN_STAT | SCAN_STATUS, &p)) {
		close(fd);
		return 0;
	}
	if (v->n == 0)
		v->chosen = p;
	struct member *m = &v->m[v->n++];

	m->pid = pid;
	m->pidfd = fd;
	m->start_time = p.start_time;
	memcpy(m->comm, p.comm, sizeof(m->comm));
	return 1;
}

int cgroup_kill(const struct scope *s, int proc_fd, struct victim *victims, int nv,
		int deadline_ms, int *killed)
{
	int used = 0, freezer = -1;
	long long end = now_ns() + (long long)deadline_ms * 1000000;

	*killed = 0;
	if (s->kind == SCOPE_GLOBAL)
		return -EINVAL;
	if (s->kind == SCOPE_CGROUP_V1)
		freezer = v1_freezer_of(s->path);
	for (int round = 0; now_ns() < end; round++) {
		pid_t *pids = NULL;

		freeze(freezer, true);
		int n = scope_pids(s, proc_fd, &pids);
		int added = 0;

		for (int i = 0; i < n; i++)
			added += hold(proc_fd, pids[i], victims, nv, &used);
		free(pids);
		if (n < 0 && round == 0) {
			freeze(freezer, false);
			if (freezer >= 0)
				close(freezer);
			return n;
		}
		if (s->kind == SCOPE_CGROUP_V2 && round == 0 && n > 0) {
			/* the kernel kills the whole subtree, forks included */
			int r = write_str(s->dir_fd, "cgroup.kill", "1");

			if (r) {
				freeze(freezer, false);
				if (freezer >= 0)
					close(freezer);
				return r;
			}
		}
		long long t = now_ns();

		for (int v = 0; v < used; v++) {
			for (int i = 0; i < victims[v].n; i++) {
				struct member *m = &victims[v].m[i];

				if (!m->killed && sys_pidfd_send_signal(m->pidfd, SIGKILL) == 0) {
					m->killed = true;
					(*killed)++;
				}
			}
			if (!victims[v].t_kill)
				victims[v].t_kill = t;
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
