/* scope.c - resolve a scope: its kind, its processes, its totalpages */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "readfile.h"
#include "scan.h"
#include "scope.h"

unsigned long memcg_max_pages(unsigned long limit_pages, unsigned long swap_limit_pages,
			      unsigned long swappiness, unsigned long swap_total_pages)
{
	if (!swappiness)
		return limit_pages;
	return limit_pages +
	       (swap_limit_pages < swap_total_pages ? swap_limit_pages : swap_total_pages);
}

/* Reads a file of one number; "max" and absurd values mean no limit (returns -ERANGE). */
static int read_number(int dir_fd, const char *name, unsigned long long *out)
{
	char buf[64];
	long long v;
	ssize_t len = read_file_at(dir_fd, name, buf, sizeof(buf));

	if (len < 0)
		return (int)len;
	int r = parse_ll(buf, (size_t)len, &v);

	if (r)
		return r;
	if (v < 0)
		return -EBADMSG;
	*out = (unsigned long long)v;
	return 0;
}

/* The cgroup's limit and swap allowance in pages; 0 limit when it has none. */
static int read_limits(struct scope *s, unsigned long swap_total_pages)
{
	unsigned long long page = s->page_kb * 1024, limit = 0, swap = 0, swappiness = 60;
	bool v1 = s->kind == SCOPE_CGROUP_V1;
	int r = read_number(s->dir_fd, v1 ? "memory.limit_in_bytes" : "memory.max", &limit);

	/* v2 without the memory controller enabled, or "max": no limit of its own */
	if (r == -ERANGE || (r == -ENOENT && !v1))
		return 0;
	if (r)
		return r;
	if (v1) {
		unsigned long long memsw = 0;

		/* memsw exists only with swap accounting; without it no swap is charged */
		if (read_number(s->dir_fd, "memory.memsw.limit_in_bytes", &memsw) == 0 &&
		    memsw > limit)
			swap = memsw - limit;
		read_number(s->dir_fd, "memory.swappiness", &swappiness);
	} else if (read_number(s->dir_fd, "memory.swap.max", &swap) == -ERANGE) {
		swap = ~0ULL;
	}
	unsigned long limit_pages = (unsigned long)(limit / page);
	unsigned long swap_pages = swap == ~0ULL ? ~0UL : (unsigned long)(swap / page);

	/* a limit past RAM + swap cannot be reached: the machine runs out first */
	if (limit_pages >= s->global_totalpages)
		return 0;
	s->limit_pages = limit_pages;
	s->totalpages = memcg_max_pages(limit_pages, swap_pages, (unsigned long)swappiness,
					swap_total_pages);
	/* oom_kill.c constrained_alloc(): "mem_cgroup_get_max(oc->memcg) ?: 1" */
	if (!s->totalpages)
		s->totalpages = 1;
	return 0;
}

int scope_open(struct scope *s, int proc_fd, const char *cgroup)
{
	char buf[8192];
	struct meminfo m;
	ssize_t len;
	int r;

	memset(s, 0, sizeof(*s));
	s->dir_fd = -1;
	s->page_kb = (unsigned long)sysconf(_SC_PAGESIZE) / 1024;
	len = read_file_at(proc_fd, "meminfo", buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	r = parse_meminfo(buf, (size_t)len, &m);
	if (r)
		return r;
	s->global_totalpages = (m.mem_total_kb + m.swap_total_kb) / s->page_kb;
	if (!s->global_totalpages)
		return -EBADMSG;
	s->totalpages = s->global_totalpages;
	if (!cgroup)
		return 0;

	if (strlen(cgroup) >= sizeof(s->path))
		return -ENAMETOOLONG;
	strcpy(s->path, cgroup);
	s->dir_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0)
		return -errno;
	if (faccessat(s->dir_fd, "memory.limit_in_bytes", F_OK, 0) == 0)
		s->kind = SCOPE_CGROUP_V1;
	else if (faccessat(s->dir_fd, "cgroup.controllers", F_OK, 0) == 0)
		s->kind = SCOPE_CGROUP_V2;
	else
		r = -EMEDIUMTYPE;
	if (!r)
		r = read_limits(s, m.swap_total_kb / s->page_kb);
	if (r) {
		scope_close(s);
		return r;
	}
	return 0;
}

void scope_close(struct scope *s)
{
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	s->dir_fd = -1;
}

struct pid_vec {
	pid_t *v;
	int n, cap;
};

static int push_pid(pid_t pid, void *ctx)
{
	struct pid_vec *pv = ctx;

	if (pv->n == pv->cap) {
		int cap = pv->cap ? pv->cap * 2 : 256;
		pid_t *v = realloc(pv->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = pid;
	return 0;
}

/* Adds the pids of dir_fd's cgroup.procs and of every cgroup below it. Closes dir_fd. */
static int collect_cgroup(int dir_fd, struct pid_vec *pv, int depth)
{
	/* a cgroup.procs of a busy cgroup can be large: read it in one go */
	static char buf[1 << 20];
	ssize_t len = read_file_at(dir_fd, "cgroup.procs", buf, sizeof(buf));
	int r = 0;

	/* a child cgroup removed while we walk is not an error */
	if (len == -ENOENT || len == -ENODEV) {
		close(dir_fd);
		return 0;
	}
	if (len < 0) {
		close(dir_fd);
		return (int)len;
	}
	r = parse_pid_list(buf, (size_t)len, push_pid, pv);
	if (r) {
		close(dir_fd);
		return r;
	}
	/* cgroupfs nests at most a few dozen deep in practice; bound it against loops */
	DIR *d = depth < 64 ? fdopendir(dir_fd) : NULL;

	if (!d) {
		close(dir_fd);
		return 0;
	}
	struct dirent *e;

	while (!r && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0)
			r = collect_cgroup(fd, pv, depth + 1);
	}
	closedir(d);
	return r;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int scope_pids(const struct scope *s, int proc_fd, pid_t **pids)
{
	struct pid_vec pv = { 0 };
	int r;

	if (s->kind == SCOPE_GLOBAL) {
		/* processes come and go between the two calls: leave room, loop until it fits */
		for (int cap = 1024;; cap = r + r / 4 + 64) {
			pid_t *v = realloc(pv.v, (size_t)cap * sizeof(*v));

			if (!v) {
				free(pv.v);
				return -ENOMEM;
			}
			pv.v = v;
			r = scan_pids(proc_fd, pv.v, cap);
			if (r < 0) {
				free(pv.v);
				return r;
			}
			if (r <= cap)
				break;
		}
		pv.n = r;
	} else {
		int fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		r = fd < 0 ? -errno : collect_cgroup(fd, &pv, 0);
		if (r) {
			free(pv.v);
			return r;
		}
	}
	/* an empty cgroup leaves pv.v NULL, which qsort must not be given even for 0 items */
	if (pv.n > 1)
		qsort(pv.v, (size_t)pv.n, sizeof(*pv.v), by_pid);
	/* a pid can be listed twice if it moved between cgroups while we walked */
	int n = 0;

	for (int i = 0; i < pv.n; i++)
		if (!n || pv.v[n - 1] != pv.v[i])
			pv.v[n++] = pv.v[i];
	*pids = pv.v;
	return n;
}

const char *scope_name(const struct scope *s, char *buf, size_t len)
{
	if (s->kind == SCOPE_GLOBAL)
		snprintf(buf, len, "global");
	else
		snprintf(buf, len, "cgroup v%d %s", s->kind == SCOPE_CGROUP_V1 ? 1 : 2, s->path);
	return buf;
}
