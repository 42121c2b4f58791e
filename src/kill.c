/* kill.c - __oom_kill_process() in userspace: the victim and its sharers, by pidfd */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kill.h"
#include "rank.h"
#include "scan.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int sys_process_mrelease(int pidfd)
{
	return (int)syscall(SYS_process_mrelease, pidfd, 0);
}

long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void add_member(struct victim *v, const struct proc_info *p)
{
	if (v->n == VICTIM_MAX_MEMBERS) {
		v->truncated = true;
		return;
	}
	struct member *m = &v->m[v->n++];

	m->pid = p->pid;
	m->pidfd = -1;
	m->start_time = p->start_time;
	memcpy(m->comm, p->comm, sizeof(m->comm));
	m->gone = false;
}

int victim_gather(struct victim *v, const struct selector *sel, const struct proc_info *chosen,
		  const pid_t *pids, int n, pid_t *pinned)
{
	memset(v, 0, sizeof(*v));
	v->chosen = *chosen;
	v->chosen.cgroup = NULL;
	add_member(v, chosen);
	*pinned = 0;
	/*
	 * seed 001 (1): a process that shares the mm (CLONE_VM without CLONE_SIGHAND) keeps
	 * it alive and makes the reap fail; it must die too. Every process is compared: a
	 * sharer may have been forked after the selection read its figures.
	 */
	for (int i = 0; i < n; i++) {
		struct proc_info q;
		enum mm_order o;

		if (pids[i] == chosen->pid)
			continue;
		o = sel->same_mm(chosen->pid, pids[i], sel->same_mm_ctx);
		if (o != MM_SAME)
			continue;
		memset(&q, 0, sizeof(q));
		/* gone, unreadable, or without an mm (a zombie's NULL mm compares equal to any
		 * other NULL mm, a kthread's too): nothing of the victim's memory there */
		if (scan_proc(sel->proc_fd, pids[i], SCAN_DETAIL, &q) || !q.has_mm)
			continue;
		enum exclusion e = select_exclusion(sel, &q);

		/* seed 004: an mm pinned by a protected process cannot be freed; kill nothing */
		if (exclusion_protects(e)) {
			*pinned = q.pid;
			return -EPERM;
		}
		/* kthread_use_mm() borrowers need no signal: the kernel skips them too */
		if (e == EXCL_KTHREAD)
			continue;
		add_member(v, &q);
	}
	return v->n;
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
				victim_close(v);
				return r == -ESTALE ? -ESTALE : -ESRCH;
			}
			continue;
		}
		v->m[kept++] = *m;
	}
	v->n = kept;
	return 0;
}

int victim_signal(struct victim *v, int sig)
{
	int sent = 0;
	long long t = now_ns();

	for (int i = 0; i < v->n; i++)
		if (v->m[i].pidfd >= 0 && sys_pidfd_send_signal(v->m[i].pidfd, sig) == 0) {
			v->m[i].killed |= sig == SIGKILL;
			sent++;
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
