/* resident.c - drop what start-up left mapped, and fault in the kill path before it is needed */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resident.h"
#include "scan.h"
#include "sys.h"

/* Mappings of a process: a few dozen; past this, the rest are left as they are */
#define MAX_RANGES 256

struct range {
	uintptr_t start, end;
	unsigned long rss_kb;
	bool own;			/* oomreaper's own code */
};

/* Whether the header line of a mapping in smaps is a read-only private mapping of a file */
static bool parse_head(const char *line, struct range *r, char *path, size_t len)
{
	unsigned long start, end, inode;
	char perms[8];
	int off = 0;

	if (sscanf(line, "%lx-%lx %7s %*x %*x:%*x %lu %n", &start, &end, perms, &inode, &off) < 4)
		return false;
	size_t m = strcspn(line + off, "\n");

	m = m < len ? m : len - 1;
	memcpy(path, line + off, m);
	path[m] = '\0';
	r->start = start;
	r->end = end;
	r->rss_kb = 0;
	return inode != 0 && perms[1] == '-' && perms[3] == 'p';
}

/* Reads the mappings that may be dropped (or, for our own code, locked whole) into rs */
static int read_ranges(struct range *rs, int cap, int *skipped)
{
	/* on the heap, which is trimmed, not on the stack, which keeps what it touched */
	char *exe = malloc(3 * PATH_MAX), *path = exe + PATH_MAX, *line = path + PATH_MAX;
	FILE *f = exe ? fopen("/proc/self/smaps", "re") : NULL;
	struct range cur;
	bool take = false;
	int k = 0;

	if (!f) {
		free(exe);
		return -ENOMEM;
	}
	ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX - 1);

	exe[n > 0 ? n : 0] = '\0';
	*skipped = 0;
	while (fgets(line, PATH_MAX, f)) {
		unsigned long kb;

		if (line[0] >= 'A' && line[0] <= 'Z') {
			if (take && sscanf(line, "Rss: %lu kB", &kb) == 1)
				cur.rss_kb = kb;
			/* copy-on-write pages (relocations, a debugger's breakpoints): keep it all */
			if (take && sscanf(line, "Anonymous: %lu kB", &kb) == 1 && kb) {
				take = false;
				(*skipped)++;
			}
			continue;
		}
		if (take && k < cap)
			rs[k++] = cur;
		take = parse_head(line, &cur, path, PATH_MAX);
		cur.own = take && strcmp(path, exe) == 0;
	}
	if (take && k < cap)
		rs[k++] = cur;
	fclose(f);
	free(exe);
	return k;
}

int resident_trim(struct resident_trim *t)
{
	struct range *rs = malloc(MAX_RANGES * sizeof(*rs));
	struct range own[4];
	int n = rs ? read_ranges(rs, MAX_RANGES, &t->skipped) : -ENOMEM;
	int nown = 0, err = 0;

	t->dropped_kb = t->own_kb = 0;
	if (n < 0) {
		free(rs);
		return n;
	}
	/* MADV_DONTNEED refuses locked pages, and malloc_trim's own madvise would too */
	munlockall();
	for (int i = 0; i < n; i++) {
		if (rs[i].own) {
			if (nown < 4)
				own[nown++] = rs[i];
			continue;
		}
		if (madvise((void *)rs[i].start, rs[i].end - rs[i].start, MADV_DONTNEED) == 0)
			t->dropped_kb += rs[i].rss_kb;
		else
			err = -errno;
	}
	free(rs);
	malloc_trim(0);
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
		return -errno;
	/* ours is small (~110 kB): every path of it resident, the rare ones too */
	for (int i = 0; i < nown; i++)
		if (mlock((void *)own[i].start, own[i].end - own[i].start) == 0)
			t->own_kb += (own[i].end - own[i].start) / 1024;
	return err;
}

/* The rehearsal's victim: waits to be killed, and dies with the daemon if it comes first */
static void understudy(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	for (;;)
		pause();
}

pid_t resident_understudy(void)
{
	pid_t self = getpid();
	pid_t child = fork();

	if (child == 0)
		understudy(self);
	return child < 0 ? -errno : child;
}

static int failed(struct rehearsal *r, const char *step, int err)
{
	r->outcome = err;
	r->failed = step;
	return err;
}

int resident_rehearse(struct reaper *rp, const struct selector *sel, int proc_fd, pid_t child,
		      struct victim *v, struct rehearsal *r)
{
	pid_t pids[2] = { child, getpid() };
	struct proc_info info;
	int e;

	memset(r, 0, sizeof(*r));
	if (child < 0)
		return failed(r, "fork", child);
	/* its stat as a selection reads it: the start time the kill re-checks */
	e = scan_proc(proc_fd, child, SCAN_DETAIL, &info);
	if (e == 0) {
		pid_t pinned;

		e = victim_gather(v, sel, &info, pids, 2, &pinned);
		e = e < 0 ? failed(r, "gather", e) : victim_open(v, proc_fd);
		if (e < 0 && !r->failed)
			failed(r, "pidfd_open", e);
	} else {
		failed(r, "read", e);
	}
	if (e < 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return e;
	}
	v->quiet = true;
	v->reap_by = now_ns() + 1000000000LL;
	v->t_kill = now_ns();
	if (victim_signal(v, SIGKILL) != v->n) {
		e = failed(r, "pidfd_send_signal", -errno);
		kill(child, SIGKILL);
	} else if ((e = reaper_submit(rp, v)) < 0) {
		failed(r, "reaper", e);
	} else {
		struct pollfd p = { .fd = rp->done_fd, .events = POLLIN };
		uint64_t x;

		/* the reaper gives its word by reap_by: this only guards against a bug */
		while (!atomic_load(&v->reap_done) && poll(&p, 1, 2000) > 0)
			if (read(rp->done_fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
				break;
		r->outcome = atomic_load(&v->reap_done) ? v->reap_outcome : REAP_PENDING;
		r->kill_to_done_us = (now_ns() - v->t_kill) / 1000;
	}
	/* the pidfd's exit, as follow() sees a victim's */
	struct pollfd pp = { .fd = v->m[0].pidfd, .events = POLLIN };

	poll(&pp, 1, 1000);
	victim_poll_gone(v);
	waitpid(child, NULL, 0);
	if (r->outcome != REAP_PENDING)
		victim_close(v);
	return e < 0 ? e : 0;
}
