/* scan.c - the reads from /proc: one small file per fact, skipping what vanished */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "parse.h"
#include "readfile.h"
#include "scan.h"

/* what getdents64 gives; glibc 2.36 has no wrapper for the raw call */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int scan_pids(int proc_fd, pid_t *pids, int cap)
{
	char buf[16384] __attribute__((aligned(8)));
	int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int n = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, sizeof(buf));

		if (r < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			const char *s = d->d_name;
			long v = 0;

			off += d->d_reclen;
			if (*s < '1' || *s > '9')
				continue;
			for (; *s >= '0' && *s <= '9' && v < 1L << 31; s++)
				v = v * 10 + (*s - '0');
			if (*s || v >= 1L << 31)
				continue;
			if (n < cap)
				pids[n] = (pid_t)v;
			n++;
		}
	}
	close(fd);
	return n;
}

static int fail(struct proc_info *p, enum proc_file f, int err)
{
	p->err = err;
	p->err_file = f;
	return err;
}

int scan_proc(int proc_fd, pid_t pid, unsigned what, struct proc_info *p)
{
	char path[48];
	char buf[4096];
	ssize_t len;
	int r;

	p->pid = pid;
	if (what & SCAN_STAT) {
		len = read_file_at(proc_fd, pid_path(path, pid, "stat"), buf, sizeof(buf));
		if (len < 0)
			return fail(p, PF_STAT, (int)len);
		r = parse_stat(buf, (size_t)len, p);
		if (r)
			return fail(p, PF_STAT, r);
		/* a fixture's stat could name another pid: the directory is the truth */
		if (p->pid != pid) {
			p->pid = pid;
			return fail(p, PF_STAT, -EBADMSG);
		}
	}
	if (what & SCAN_STATUS) {
		len = read_file_at(proc_fd, pid_path(path, pid, "status"), buf, sizeof(buf));
		if (len < 0)
			return fail(p, PF_STATUS, (int)len);
		/* status is larger than 4 kB only when truncated by a broken tree: still parse */
		r = parse_status(buf, (size_t)len, p);
		if (r)
			return fail(p, PF_STATUS, r);
	}
	if (what & SCAN_ADJ) {
		long long v;

		len = read_file_at(proc_fd, pid_path(path, pid, "oom_score_adj"), buf, 32);
		if (len < 0)
			return fail(p, PF_ADJ, (int)len);
		r = parse_ll(buf, (size_t)len, &v);
		if (r || v < -1000 || v > 1000)
			return fail(p, PF_ADJ, r ? r : -ERANGE);
		p->oom_score_adj = (int)v;
	}
	/* oom_score and cgroup are for display: when unreadable they stay unknown */
	if (what & SCAN_SCORE) {
		long long v;

		len = read_file_at(proc_fd, pid_path(path, pid, "oom_score"), buf, 32);
		if (len >= 0 && parse_ll(buf, (size_t)len, &v) == 0 && v >= 0 && v <= 2000)
			p->kernel_score = (long)v;
	}
	if (what & SCAN_CGROUP) {
		const char *cg;
		size_t cglen;

		len = read_file_at(proc_fd, pid_path(path, pid, "cgroup"), buf, sizeof(buf));
		if (len >= 0 && parse_cgroup(buf, (size_t)len, &cg, &cglen) == 0) {
			free(p->cgroup);
			p->cgroup = strndup(cg, cglen);
		}
	}
	return 0;
}

/* A parallel loop: workers take chunks of indices until none are left. */
struct work {
	int n;
	atomic_int next;
	void (*fn)(struct work *w, int i);
	int proc_fd;
	const pid_t *pids;
	long *scores;
	struct proc_table *t;
	unsigned what;
	int *fds;		/* scan_scores_held: the files held open, by index */
	int *adjs;		/* scan_adjs */
	atomic_int budget;	/* how many more may be held */
};

/* Large enough to amortise the atomic, small enough to balance two to eight cores */
#define CHUNK 32

static void *worker(void *arg)
{
	struct work *w = arg;

	for (;;) {
		int lo = atomic_fetch_add(&w->next, CHUNK);

		if (lo >= w->n)
			return NULL;
		int hi = lo + CHUNK < w->n ? lo + CHUNK : w->n;

		for (int i = lo; i < hi; i++)
			w->fn(w, i);
	}
}

/* Runs w over its range on `threads` threads, the caller being one of them. */
static int run_parallel(struct work *w, int threads)
{
	pthread_t tid[8];
	int started = 0;

	atomic_init(&w->next, 0);
	if (threads > 8)
		threads = 8;
	/* a thread per CHUNK at most: starting one costs about as much as a chunk of reads */
	while (started < threads - 1 && (started + 1) * CHUNK < w->n &&
	       pthread_create(&tid[started], NULL, worker, w) == 0)
		started++;
	worker(w);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return 0;
}

/*
 * The score of pids[i]: from its held file when there is one (pread at 0 makes the kernel
 * compute it anew), else from a fresh open, kept while the budget lasts.
 */
static void read_score(struct work *w, int i)
{
	char buf[32];
	long long v;
	ssize_t len = -1;
	int fd = w->fds ? w->fds[i] : -1;

	if (fd >= 0) {
		len = pread(fd, buf, sizeof(buf) - 1, 0);
		/* ESRCH: the process is gone, and its pid may name another one by now */
		if (len <= 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		char path[48];

		fd = openat(w->proc_fd, pid_path(path, w->pids[i], "oom_score"),
			    O_RDONLY | O_CLOEXEC);
		/* one read: the kernel hands a file this small over whole */
		len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0 && (!w->fds || atomic_fetch_sub(&w->budget, 1) <= 0)) {
			close(fd);
			fd = -1;
		}
	}
	if (w->fds)
		w->fds[i] = fd;
	if (len > 0)
		buf[len] = '\0';
	w->scores[i] = len > 0 && parse_ll(buf, (size_t)len, &v) == 0 && v >= 0 && v <= 2000
			       ? (long)v : -1;
}

int scan_scores(int proc_fd, const pid_t *pids, int n, long *scores, int threads)
{
	struct work w = { .n = n, .fn = read_score, .proc_fd = proc_fd, .pids = pids,
			  .scores = scores };

	return run_parallel(&w, threads);
}

int scan_scores_held(int proc_fd, const pid_t *pids, int n, long *scores, int *fds, int hold,
		     int threads)
{
	struct work w = { .n = n, .fn = read_score, .proc_fd = proc_fd, .pids = pids,
			  .scores = scores, .fds = fds };
	int held = 0;

	for (int i = 0; i < n; i++)
		held += fds[i] >= 0;
	atomic_init(&w.budget, hold - held);
	return run_parallel(&w, threads);
}

static void read_adj(struct work *w, int i)
{
	char path[48], buf[32];
	long long v;
	ssize_t len = read_file_at(w->proc_fd, pid_path(path, w->pids[i], "oom_score_adj"), buf,
				   sizeof(buf));

	/* unreadable: the process is gone, or will be skipped when read in detail */
	w->adjs[i] = len > 0 && parse_ll(buf, (size_t)len, &v) == 0 && v >= -1000 && v <= 1000
			     ? (int)v : 0;
}

int scan_adjs(int proc_fd, const pid_t *pids, int n, int *adjs, int threads)
{
	struct work w = { .n = n, .fn = read_adj, .proc_fd = proc_fd, .pids = pids, .adjs = adjs };

	return run_parallel(&w, threads);
}

static void read_entry(struct work *w, int i)
{
	struct proc_info *p = &w->t->procs[i];

	scan_proc(w->proc_fd, w->pids[i], w->what, p);
}

int scan_table(int proc_fd, const pid_t *pids, int n, unsigned what, struct proc_table *t,
	       int threads)
{
	struct work w = { .n = n, .fn = read_entry, .proc_fd = proc_fd, .pids = pids,
			  .what = what };
	int first = t->n;

	/* entries are made first so that the workers only write into their own */
	for (int i = 0; i < n; i++)
		if (!table_add(t))
			return -ENOMEM;
	struct proc_table view = { .procs = t->procs + first, .n = n, .cap = n };

	for (int i = 0; i < n; i++)
		view.procs[i].pid = pids[i];
	w.t = &view;
	return run_parallel(&w, threads);
}

int scan_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}
