/* scan.c - the reads from /proc: one small file per fact, skipping what vanished */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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
	return scan_pids_inos(proc_fd, pids, NULL, cap);
}

int scan_pids_inos(int proc_fd, pid_t *pids, unsigned long long *inos, int cap)
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
			if (n < cap && inos)
				inos[n] = d->d_ino;
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
		len = read_once_at(proc_fd, pid_path(path, pid, "stat"), buf, sizeof(buf));
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
		len = read_once_at(proc_fd, pid_path(path, pid, "status"), buf, sizeof(buf));
		if (len < 0)
			return fail(p, PF_STATUS, (int)len);
		/* status is larger than 4 kB only when truncated by a broken tree: still parse */
		r = parse_status(buf, (size_t)len, p);
		if (r)
			return fail(p, PF_STATUS, r);
	}
	if (what & SCAN_ADJ) {
		long long v;

		len = read_once_at(proc_fd, pid_path(path, pid, "oom_score_adj"), buf, 32);
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

		len = read_once_at(proc_fd, pid_path(path, pid, "oom_score"), buf, 32);
		if (len >= 0 && parse_ll(buf, (size_t)len, &v) == 0 && v >= 0 && v <= 2000)
			p->kernel_score = (long)v;
	}
	if (what & SCAN_CGROUP) {
		const char *cg;
		size_t cglen;

		len = read_once_at(proc_fd, pid_path(path, pid, "cgroup"), buf, sizeof(buf));
		if (len >= 0 && parse_cgroup(buf, (size_t)len, &cg, &cglen) == 0) {
			free(p->cgroup);
			p->cgroup = strndup(cg, cglen);
		}
	}
	return 0;
}

int scan_identity(int proc_fd, pid_t pid, struct identity *id)
{
	char path[48], buf[8192];
	const char *cg;
	size_t len;
	ssize_t n = read_once_at(proc_fd, pid_path(path, pid, "cgroup"), buf, sizeof(buf));

	memset(id, 0, sizeof(*id));
	if (n < 0)
		return (int)n;
	if ((size_t)n >= sizeof(buf) - 1)
		return -E2BIG;
	if (parse_cgroup(buf, (size_t)n, &cg, &len))
		return -EBADMSG;
	return identity_parse_n(cg, len, id);
}

int scan_statm(int proc_fd, pid_t pid, unsigned long *size, unsigned long *resident)
{
	char path[48], buf[128];
	ssize_t len = read_once_at(proc_fd, pid_path(path, pid, "statm"), buf, sizeof(buf));

	if (len < 0)
		return (int)len;
	return parse_statm(buf, (size_t)len, size, resident);
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
	unsigned char *kept;	/* scan_scores_held: 1 where the held file was read */
	int *adjs;		/* scan_adjs */
	signed char *qos;	/* scan_qos */
	atomic_int budget;	/* how many more may be held */
	void (*each)(void *ctx, int i);	/* scan_parallel */
	void *ctx;
	int chunk;		/* indices a thread takes at a time: CHUNK, or 1 (scan_parts) */
};

/* Large enough to amortise the atomic, small enough to balance two to eight cores */
#define CHUNK 32

static void *worker(void *arg)
{
	struct work *w = arg;

	for (;;) {
		int lo = atomic_fetch_add(&w->next, w->chunk);

		if (lo >= w->n)
			return NULL;
		int hi = lo + w->chunk < w->n ? lo + w->chunk : w->n;

		for (int i = lo; i < hi; i++)
			w->fn(w, i);
	}
}

/*
 * Helper threads, started at the first scan that wants them and kept: a selection in the
 * daemon's warning band then starts no thread (no clone, no stack to map, no TLS for the
 * dynamic linker to set up) when memory may already be short, and the daemon keeps none of
 * that code resident (resident.h).
 */
#define MAX_HELPERS 7
/* a scan's frames are small (a few hundred bytes of buffers); 8 MiB of address space each
 * would only be reserved, but 256 kB says what they need */
#define HELPER_STACK (256 * 1024)

static struct {
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	pthread_mutex_t one_run;	/* one scan at a time uses the helpers */
	struct work *w;
	unsigned long gen;		/* bumped for each scan handed out */
	int n;				/* helpers started */
	int active;			/* helpers that take part in this scan */
	int busy;			/* of those, still working */
} helpers = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
	      PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0 };

static void *helper_main(void *arg)
{
	int me = (int)(intptr_t)arg;
	unsigned long seen = 0;

	pthread_mutex_lock(&helpers.lock);
	for (;;) {
		while (helpers.gen == seen)
			pthread_cond_wait(&helpers.go, &helpers.lock);
		seen = helpers.gen;
		if (me >= helpers.active)
			continue;
		struct work *w = helpers.w;

		pthread_mutex_unlock(&helpers.lock);
		worker(w);
		pthread_mutex_lock(&helpers.lock);
		if (--helpers.busy == 0)
			pthread_cond_signal(&helpers.done);
	}
	return NULL;
}

/* Starts helpers until there are `want`; returns how many there are (fewer if refused) */
static int helpers_start(int want)
{
	pthread_attr_t attr;
	sigset_t all, old;

	if (helpers.n >= want)
		return helpers.n;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, HELPER_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* signals are the main thread's business (the daemon reads them from a signalfd) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	while (helpers.n < want) {
		pthread_t t;

		if (pthread_create(&t, &attr, helper_main, (void *)(intptr_t)helpers.n) != 0)
			break;
		helpers.n++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return helpers.n;
}

int scan_start_helpers(int threads)
{
	int n;

	if (threads > MAX_HELPERS + 1)
		threads = MAX_HELPERS + 1;
	pthread_mutex_lock(&helpers.one_run);
	n = helpers_start(threads - 1);
	pthread_mutex_unlock(&helpers.one_run);
	return n;
}

/* Runs w over its range on `threads` threads, the caller being one of them. */
static int run_parallel(struct work *w, int threads)
{
	int want = 0;

	atomic_init(&w->next, 0);
	if (threads > MAX_HELPERS + 1)
		threads = MAX_HELPERS + 1;
	if (!w->chunk)
		w->chunk = CHUNK;
	/* a helper per chunk at most: handing one work costs about as much as a chunk of reads */
	while (want < threads - 1 && (want + 1) * w->chunk < w->n)
		want++;
	if (want == 0) {
		worker(w);
		return 0;
	}
	pthread_mutex_lock(&helpers.one_run);
	int have = helpers_start(want);

	pthread_mutex_lock(&helpers.lock);
	helpers.w = w;
	helpers.active = helpers.busy = have < want ? have : want;
	helpers.gen++;
	pthread_cond_broadcast(&helpers.go);
	pthread_mutex_unlock(&helpers.lock);
	worker(w);
	pthread_mutex_lock(&helpers.lock);
	while (helpers.busy > 0)
		pthread_cond_wait(&helpers.done, &helpers.lock);
	pthread_mutex_unlock(&helpers.lock);
	pthread_mutex_unlock(&helpers.one_run);
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

	if (w->kept)
		w->kept[i] = 0;
	if (fd >= 0) {
		len = pread(fd, buf, sizeof(buf) - 1, 0);
		/* ESRCH: the process is gone, and its pid may name another one by now */
		if (len <= 0) {
			close(fd);
			fd = -1;
		} else if (w->kept) {
			w->kept[i] = 1;
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
		     unsigned char *kept, int threads)
{
	struct work w = { .n = n, .fn = read_score, .proc_fd = proc_fd, .pids = pids,
			  .scores = scores, .fds = fds, .kept = kept };
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
	ssize_t len = read_once_at(w->proc_fd, pid_path(path, w->pids[i], "oom_score_adj"), buf,
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

static void read_qos(struct work *w, int i)
{
	struct identity id;

	/* a malformed container ID leaves its pod's class; unreadable: none */
	scan_identity(w->proc_fd, w->pids[i], &id);
	w->qos[i] = (signed char)id.qos;
}

int scan_qos(int proc_fd, const pid_t *pids, int n, signed char *qos, int threads)
{
	struct work w = { .n = n, .fn = read_qos, .proc_fd = proc_fd, .pids = pids, .qos = qos };

	return run_parallel(&w, threads);
}

static void call_each(struct work *w, int i)
{
	w->each(w->ctx, i);
}

int scan_parallel(int n, void (*each)(void *ctx, int i), void *ctx, int threads)
{
	struct work w = { .n = n, .fn = call_each, .each = each, .ctx = ctx };

	return run_parallel(&w, threads);
}

int scan_parts(int n, void (*each)(void *ctx, int i), void *ctx, int threads)
{
	struct work w = { .n = n, .fn = call_each, .each = each, .ctx = ctx, .chunk = 1 };

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
