/* reap.c - oom_reap_task() in userspace: a dedicated thread, a queue, bounded retries */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "reap.h"
#include "readfile.h"
#include "report.h"
#include "scan.h"
#include "sys.h"

void reap_opts_default(struct reap_opts *o, int proc_fd)
{
	o->proc_fd = proc_fd;
	o->report_fd = 2;
	/* oom_kill.c OOM_REAPER_DELAY: time for an exiting victim to release robust futexes */
	o->delay_ms = 2000;
	/* oom_reap_task(): MAX_OOM_REAP_RETRIES 10, schedule_timeout_idle(HZ/10) */
	o->retries = 10;
	o->retry_ms = 100;
	o->mrelease = sys_process_mrelease;
}

static int mrelease_enosys(int pidfd)
{
	(void)pidfd;
	errno = ENOSYS;
	return -1;
}

static int mrelease_eagain(int pidfd)
{
	(void)pidfd;
	errno = EAGAIN;
	return -1;
}

static int mrelease_hang(int pidfd)
{
	(void)pidfd;
	for (;;)
		pause();
	return -1;
}

int (*mrelease_test_hook(const char *name))(int pidfd)
{
	if (!strcmp(name, "enosys"))
		return mrelease_enosys;
	if (!strcmp(name, "eagain"))
		return mrelease_eagain;
	if (!strcmp(name, "hang"))
		return mrelease_hang;
	return NULL;
}

int reap_opts_test_hook(struct reap_opts *o)
{
	const char *hook = getenv("OOMREAPER_TEST_MRELEASE");

	if (!hook)
		return 0;
	o->mrelease = mrelease_test_hook(hook);
	if (!o->mrelease) {
		o->mrelease = sys_process_mrelease;
		return -EINVAL;
	}
	return 0;
}

const char *reap_outcome_name(int outcome)
{
	switch (outcome) {
	case REAP_PENDING: return "pending";
	case REAP_REAPED: return "reaped";
	case REAP_EXITED: return "exited";
	case REAP_UNABLE: return "unable";
	case REAP_REFUSED: return "refused";
	case REAP_UNSUPPORTED: return "unsupported";
	case REAP_ERROR: return "error";
	}
	return "unknown";
}

/* Whether tid (a thread of pid) holds a robust futex; true when it cannot be told. */
static bool thread_holds_robust(pid_t pid, pid_t tid)
{
	struct robust_list_head head;
	struct robust_list_head *addr = NULL;
	size_t len = 0;

	if (syscall(SYS_get_robust_list, tid, &addr, &len) != 0)
		return errno != ESRCH;	/* gone: it holds nothing any more */
	if (!addr)
		return false;		/* never registered a list: no robust mutex */
	struct iovec local = { &head, sizeof(head) }, remote = { addr, sizeof(head) };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(head))
		return errno != ESRCH;
	/* an empty list points back at its head; a pending op means a lock mid-take */
	return (void *)head.list.next != (void *)addr || head.list_op_pending != NULL;
}

bool victim_holds_robust_futex(int proc_fd, const struct victim *v, pid_t *tids, int cap)
{
	for (int i = 0; i < v->n; i++) {
		char path[48];
		int fd = openat(proc_fd, pid_path(path, v->m[i].pid, "task"),
				O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			continue;	/* gone */
		int n = scan_pids(fd, tids, cap);

		close(fd);
		if (n > cap)
			return true;
		for (int t = 0; t < n; t++)
			if (thread_holds_robust(v->m[i].pid, tids[t]))
				return true;
	}
	return false;
}

/* Sleeps up to ms, waking early when pidfd's process exits; true when it has exited. */
static bool wait_exit(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r == 1;
}

/* The victim's memory after the reap, from its status; zero when it is gone. */
static void read_now(struct reaper *r, struct victim *v, pid_t pid)
{
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	if (scan_proc(r->o.proc_fd, pid, SCAN_STATUS, &p) == 0 && p.has_mm) {
		v->now_anon_kb = p.rss_anon_kb;
		v->now_file_kb = p.rss_file_kb;
		v->now_shmem_kb = p.rss_shmem_kb;
	} else {
		v->now_anon_kb = v->now_file_kb = v->now_shmem_kb = 0;
	}
}

/*
 * Reaps one address space through member m. Retries EAGAIN (a partial reap) and EINTR
 * (interrupted waiting for the mmap lock) as oom_reap_task() retries its trylock.
 */
static int reap_member(struct reaper *r, struct victim *v, struct member *m)
{
	for (int a = 0; a < r->o.retries; a++) {
		v->reap_attempts++;
		if (r->o.mrelease(m->pidfd) == 0)
			return REAP_REAPED;
		v->reap_err = errno;
		switch (errno) {
		case ESRCH: return REAP_EXITED;
		case EINVAL: return REAP_REFUSED;
		case ENOSYS: return REAP_UNSUPPORTED;
		case EAGAIN:
		case EINTR:
			/* the killer waits for our word until its deadline: give it in time */
			if (v->reap_by && now_ns() + (long long)r->o.retry_ms * 1000000 > v->reap_by)
				return REAP_UNABLE;
			if (wait_exit(m->pidfd, r->o.retry_ms))
				return REAP_EXITED;
			continue;
		default: return REAP_ERROR;
		}
	}
	return REAP_UNABLE;
}

static void report_reap(struct reaper *r, struct victim *v, const struct member *m, int out)
{
	struct line l;
	const struct proc_info *c = &v->chosen;

	line_init(&l);
	switch (out) {
	case REAP_REAPED: {
		/* a cgroup kill's members each had their own size when they were held */
		unsigned long before = v->independent && m->rss_kb ? m->rss_kb
				       : c->rss_anon_kb + c->rss_file_kb + c->rss_shmem_kb;
		unsigned long now = v->now_anon_kb + v->now_file_kb + v->now_shmem_kb;

		line_str(&l, "oomreaper: reaped process ");
		line_long(&l, m->pid);
		line_str(&l, " (");
		line_comm(&l, m->comm);
		line_str(&l, "), now anon-rss:");
		line_ulong(&l, v->now_anon_kb);
		line_str(&l, "kB, file-rss:");
		line_ulong(&l, v->now_file_kb);
		line_str(&l, "kB, shmem-rss:");
		line_ulong(&l, v->now_shmem_kb);
		line_str(&l, "kB; ");
		line_long(&l, (v->t_reaped - v->t_kill) / 1000000);
		line_str(&l, " ms after the kill, freed ");
		line_ulong(&l, before > now && (!v->independent || m->rss_kb || m == v->m)
				       ? before - now : 0);
		line_str(&l, "kB");
		break;
	}
	case REAP_EXITED:
		line_str(&l, "oomreaper: process ");
		line_long(&l, m->pid);
		line_str(&l, " (");
		line_comm(&l, m->comm);
		line_str(&l, ") exited before its reap");
		break;
	case REAP_UNSUPPORTED:
		/* said once, to a real victim's report */
		if (r->enosys_said || v->quiet)
			return;
		r->enosys_said = true;
		line_str(&l, "oomreaper: process_mrelease is not supported by this kernel "
			     "(before 5.15): memory is freed only when victims exit");
		break;
	default:
		line_str(&l, "oomreaper: unable to reap pid:");
		line_long(&l, m->pid);
		line_str(&l, " (");
		line_comm(&l, m->comm);
		line_str(&l, out == REAP_UNABLE ? "): its memory stayed locked after "
			 : out == REAP_REFUSED ? "): it shares its memory with a live process or "
						 "is dumping core"
					       : "): error ");
		if (out == REAP_UNABLE) {
			line_long(&l, v->reap_attempts);
			line_str(&l, " attempts");
		} else if (out != REAP_REFUSED) {
			line_long(&l, v->reap_err);
		}
		break;
	}
	/* a reap is the kill's end, as the kernel's "oom_reaper: reaped process" is; not
	 * reaped, the victim's memory stays: a warning */
	if (!v->quiet)
		line_say(&l, r->o.report_fd, out == REAP_REAPED || out == REAP_EXITED
					     ? PRIO_NOTICE : PRIO_WARNING);
}

static void reap_victim(struct reaper *r, struct victim *v)
{
	int out = REAP_EXITED;

	/* the kernel waits 2 s for everyone; wait only when a robust futex is held */
	if (victim_holds_robust_futex(r->o.proc_fd, v, r->tids, REAP_MAX_THREADS)) {
		v->robust_wait = true;
		if (wait_exit(v->m[0].pidfd, r->o.delay_ms) && !v->independent && v->n == 1)
			goto done;
	}
	for (int i = 0; i < v->n; i++) {
		struct member *m = &v->m[i];
		int o = reap_member(r, v, m);

		m->freed = o == REAP_REAPED || o == REAP_EXITED;
		/* one mm for a group: the first member still holding it reaps it for all */
		if (o == REAP_EXITED && !v->independent)
			continue;
		if (o == REAP_REAPED) {
			v->t_reaped = now_ns();
			v->reaped_members++;
			read_now(r, v, m->pid);
		}
		report_reap(r, v, m, o);
		if (out != REAP_REAPED)
			out = o;
		if (!v->independent || o == REAP_UNSUPPORTED)
			break;
	}
done:
	v->reap_outcome = out;
	atomic_store_explicit(&v->reap_done, true, memory_order_release);
	uint64_t one = 1;

	if (write(r->done_fd, &one, sizeof(one)) < 0) {
		/* the eventfd counter cannot overflow in practice; the flag above is the truth */
	}
}

static void *reaper_main(void *arg)
{
	struct reaper *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->count && !r->stop)
			pthread_cond_wait(&r->wake, &r->lock);
		if (r->stop)
			break;
		struct victim *v = r->queue[r->head];

		pthread_mutex_unlock(&r->lock);
		reap_victim(r, v);
		pthread_mutex_lock(&r->lock);
		/* the slot is freed only now: the queue bounds the victims in flight */
		r->head = (r->head + 1) % REAP_QUEUE_LEN;
		r->count--;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int reaper_start(struct reaper *r, const struct reap_opts *o)
{
	r->o = *o;
	r->head = r->count = 0;
	r->stop = false;
	r->enosys_said = false;
	r->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->done_fd < 0)
		return -errno;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	int e = pthread_create(&r->thread, NULL, reaper_main, r);

	if (e) {
		close(r->done_fd);
		return -e;
	}
	r->started = true;
	return 0;
}

int reaper_submit(struct reaper *r, struct victim *v)
{
	int ret = 0;

	atomic_store(&v->reap_done, false);
	v->reap_outcome = REAP_PENDING;
	pthread_mutex_lock(&r->lock);
	if (r->count == REAP_QUEUE_LEN) {
		ret = -EBUSY;
	} else {
		r->queue[(r->head + r->count) % REAP_QUEUE_LEN] = v;
		r->count++;
		pthread_cond_signal(&r->wake);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void reaper_stop(struct reaper *r)
{
	if (!r->started)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	close(r->done_fd);
	r->started = false;
}
