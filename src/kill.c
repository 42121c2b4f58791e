/* kill.c - __oom_kill_process() in userspace: the victim and its sharers, by pidfd */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kill.h"
#include "rank.h"
#include "readfile.h"
#include "scan.h"
#include "sys.h"

bool victim_gathered(const struct victim *v, const struct proc_info *chosen)
{
	return v->gathered && v->n > 0 && v->m[0].pid == chosen->pid &&
	       v->m[0].start_time == chosen->start_time;
}

int victim_gather(struct victim *v, const struct selector *sel, const struct proc_info *chosen,
		  const pid_t *pids, int n, pid_t *pinned)
{
	int r;

	*pinned = 0;
	/* gathered by the selection's check a moment ago: one pass of kcmp, not two */
	if (victim_gathered(v, chosen)) {
		v->chosen = *chosen;
		v->chosen.cgroup = NULL;
		return v->n;
	}
	victim_reset(v, chosen);
	r = victim_add(v, chosen);
	if (!r)
		r = select_group(sel, chosen, pids, n, v, pinned);
	v->gathered = r >= 0;
	return r < 0 ? r : v->n;
}

/* Reads pid's start time; -ESRCH when there is no such process. */
static int start_time_of(int proc_fd, pid_t pid, unsigned long long *t)
{
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	int r = scan_proc(proc_fd, pid, SCAN_STAT, &p);

	if (r == -ENOENT)
		return -ESRCH;
	if (r)
		return r;
	*t = p.start_time;
	return 0;
}

int victim_open(struct victim *v, int proc_fd)
{
	int kept = 0;

	for (int i = 0; i < v->n; i++) {
		struct member *m = &v->m[i];
		unsigned long long t = 0;
		int r;

		m->pidfd = sys_pidfd_open(m->pid);
		r = m->pidfd < 0 ? -errno : start_time_of(proc_fd, m->pid, &t);
		/* opened before the check: if the identity holds now, the pidfd is that process */
		if (!r && t != m->start_time)
			r = -ESTALE;
		if (r) {
			if (m->pidfd >= 0)
				close(m->pidfd);
			m->pidfd = -1;
			if (i == 0) {
				v->n = kept;
				victim_close(v);
				return r;
			}
			/* gone or reused: not ours to kill; there but not held: kill none */
			if (r == -ESRCH || r == -ESTALE)
				continue;
			v->n = kept;
			victim_close(v);
			return r;
		}
		v->m[kept++] = *m;
	}
	v->n = kept;
	return 0;
}

int victim_cgroup_path(int proc_fd, enum scope_kind kind, pid_t pid, char *where, size_t len)
{
	char path[32], buf[CGROUP_FILE_MAX];
	ssize_t n;

	if (kind == SCOPE_GLOBAL)
		return -ENOENT;
	n = read_file_at(proc_fd, pid_path(path, pid, "cgroup"), buf, sizeof(buf));
	return victim_cgroup_path_of(buf, n, kind, where, len);
}

int victim_cgroup_path_of(const char *buf, ssize_t n, enum scope_kind kind, char *where,
			  size_t len)
{
	int r;

	if (kind == SCOPE_GLOBAL)
		return -ENOENT;
	if (n < 0)
		return (int)n;
	if (n == 0 || (size_t)n >= CGROUP_FILE_MAX - 1)
		return -EBADMSG;
	r = cgroup_of_process(buf, (size_t)n, kind, "", where, len);
	/* -EPERM: the root cgroup, a place like any other here */
	if (r == -EPERM)
		return snprintf(where, len, "/") < (int)len ? 0 : -ENAMETOOLONG;
	/* "/.." of a cgroup namespace: outside its root, where no scope of ours is */
	return r == -EBADMSG ? 1 : r;
}

/*
 * A process moved out of the cgroup it was chosen in is no longer the scope's to kill: the
 * kernel's memcg OOM killer walks the tasks in the memcg and below it when it runs
 * (mem_cgroup_scan_tasks()), not those that were there, and a victim is killed up to seconds
 * after it was chosen (chosen ahead, or a selection that stalled). One moved below that
 * cgroup is still in it, as the kernel sees it. An exiting process cannot be moved
 * (cgroup_migrate_add_task() skips PF_EXITING), though a v1 line of one says "/": it has not
 * left.
 */
bool victim_moved_out(int proc_fd, enum scope_kind kind, const char *was, const struct member *m)
{
	char now[PATH_MAX];
	struct proc_info p;
	int r;

	if (!was[0])
		return false;
	r = victim_cgroup_path(proc_fd, kind, m->pid, now, sizeof(now));
	/* below or in the root of the namespace's hierarchy is everywhere */
	if (r < 0 || (r == 0 && (!strcmp(was, "/") || cgroup_within(now, was))))
		return false;
	memset(&p, 0, sizeof(p));
	if (scan_proc(proc_fd, m->pid, SCAN_STAT, &p) || p.start_time != m->start_time)
		return false;	/* gone: its pidfd signals nobody else */
	return !(p.flags & PF_EXITING) && p.state != 'Z' && p.state != 'X';
}

int victim_signal(struct victim *v, int sig)
{
	int sent = 0;
	long long t = now_ns();

	v->unsignalled = 0;
	for (int i = 0; i < v->n; i++) {
		if (v->m[i].pidfd < 0)
			continue;
		if (sys_pidfd_send_signal(v->m[i].pidfd, sig) == 0) {
			v->m[i].killed |= sig == SIGKILL;
			sent++;
		} else if (errno != ESRCH) {
			/* ESRCH: it has exited already, which is what the signal was for */
			v->unsignalled++;
		}
	}
	if (sig == SIGKILL)
		v->t_kill = t;
	else if (sig == SIGTERM)
		v->t_term = t;
	return sent;
}

bool victim_poll_gone(struct victim *v)
{
	bool all = true;

	for (int i = 0; i < v->n; i++) {
		struct member *m = &v->m[i];
		struct pollfd pfd = { .fd = m->pidfd, .events = POLLIN };

		/* a pidfd turns readable when its process has exited (a zombie counts) */
		if (!m->gone && m->pidfd >= 0 && poll(&pfd, 1, 0) == 1)
			m->gone = true;
		all &= m->gone || m->pidfd < 0;
	}
	if (all && !v->t_exited)
		v->t_exited = now_ns();
	return all;
}

void victim_close(struct victim *v)
{
	for (int i = 0; i < v->n; i++) {
		if (v->m[i].pidfd >= 0)
			close(v->m[i].pidfd);
		v->m[i].pidfd = -1;
	}
}
