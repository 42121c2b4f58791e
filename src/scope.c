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

/* Where cgroup v2 is mounted: alone, or beside v1 (the hybrid layout of systemd) */
#define V2_ALONE "/sys/fs/cgroup"
#define V2_HYBRID "/sys/fs/cgroup/unified"

unsigned long memcg_max_pages(unsigned long limit_pages, unsigned long swap_limit_pages,
			      unsigned long swappiness, unsigned long swap_total_pages)
{
	if (!swappiness)
		return limit_pages;
	return limit_pages +
	       (swap_limit_pages < swap_total_pages ? swap_limit_pages : swap_total_pages);
}

/* A limit of "max", or none at all, as the largest number: it binds nothing */
#define NO_LIMIT (~0ULL)

static unsigned long long min_ull(unsigned long long a, unsigned long long b)
{
	return a < b ? a : b;
}

/*
 * v1: the limits that bind the cgroup, its own or an ancestor's: memory.stat's
 * hierarchical_memory_limit and hierarchical_memsw_limit are the smallest on the way up
 * (memcg1_stat_format()), the cgroup's own included; its own files are read only where
 * memory.stat lacks them.
 */
static int v1_limits(const struct scope_limit_files *f, const char *stat, size_t len,
		     unsigned long long *limit, unsigned long long *memsw)
{
	unsigned long long v = 0;

	*limit = *memsw = NO_LIMIT;
	if (stat && parse_key_value(stat, len, "hierarchical_memory_limit", &v) == 0) {
		*limit = v;
	} else {
		int r = read_number_held(f->limit, &v);

		if (r && r != -ERANGE)
			return r;
		if (!r)
			*limit = v;
	}
	/* memsw exists only with swap accounting; without it no swap is charged */
	if (stat && parse_key_value(stat, len, "hierarchical_memsw_limit", &v) == 0)
		*memsw = v;
	else if (read_number_held(f->memsw, &v) == 0)
		*memsw = v;
	return 0;
}

/*
 * v2: the smallest memory.max (and memory.swap.max) of the cgroup and its ancestors: a
 * cgroup without a limit of its own still meets its parent's OOM. The levels are those
 * scope_limit_files_open() found: up to where memory.max ends (the root, or a level without
 * the memory controller).
 */
static int v2_limits(const struct scope_limit_files *f, bool want_swap,
		     unsigned long long *limit, unsigned long long *swap)
{
	*limit = *swap = NO_LIMIT;
	for (int i = 0; i < f->nlevels; i++) {
		unsigned long long v = 0;
		int r = read_number_held(f->max[i], &v);

		if (r && r != -ERANGE)
			return r;
		if (!r)
			*limit = min_ull(*limit, v);
		if (want_swap && read_number_held(f->swap_max[i], &v) == 0)
			*swap = min_ull(*swap, v);
	}
	return 0;
}

static int open_ro(int dir_fd, const char *name)
{
	return openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
}

void scope_limit_files_open(struct scope_limit_files *f, const struct scope *s)
{
	f->limit = f->memsw = f->swappiness = -1;
	f->nlevels = 0;
	if (s->kind == SCOPE_CGROUP_V1) {
		f->limit = open_ro(s->dir_fd, "memory.limit_in_bytes");
		f->memsw = open_ro(s->dir_fd, "memory.memsw.limit_in_bytes");
		f->swappiness = open_ro(s->dir_fd, "memory.swappiness");
		return;
	}
	if (s->kind != SCOPE_CGROUP_V2)
		return;
	int fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	while (fd >= 0 && f->nlevels < SCOPE_LIMIT_LEVELS) {
		int max = open_ro(fd, "memory.max");

		if (max < 0)
			break;
		f->max[f->nlevels] = max;
		f->swap_max[f->nlevels++] = open_ro(fd, "memory.swap.max");
		int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		close(fd);
		fd = up;
	}
	if (fd >= 0)
		close(fd);
}

void scope_limit_files_close(struct scope_limit_files *f)
{
	int *fds[] = { &f->limit, &f->memsw, &f->swappiness };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	for (int i = 0; i < f->nlevels; i++) {
		close(f->max[i]);
		if (f->swap_max[i] >= 0)
			close(f->swap_max[i]);
	}
	f->nlevels = 0;
}

int scope_read_limits(struct scope *s, const struct scope_limit_files *f, const char *stat,
		      size_t stat_len, unsigned long swap_total_pages)
{
	unsigned long long page = s->page_kb * 1024, limit = NO_LIMIT, swap = 0, swappiness = 60;
	unsigned long was_limit = s->limit_pages, was_total = s->totalpages;

	if (s->kind == SCOPE_CGROUP_V1) {
		unsigned long long memsw;
		int r = v1_limits(f, stat, stat_len, &limit, &memsw);

		if (r)
			return r;
		if (memsw != NO_LIMIT && memsw > limit)
			swap = memsw - limit;
		/* swappiness matters only where the cgroup may swap (mem_cgroup_get_max()) */
		if (swap && swap_total_pages)
			read_number_held(f->swappiness, &swappiness);
	} else if (s->kind == SCOPE_CGROUP_V2) {
		int r = v2_limits(f, swap_total_pages > 0, &limit, &swap);

		if (r)
			return r;
	}
	s->limit_pages = 0;
	s->totalpages = s->global_totalpages;
	/* a limit past RAM + swap cannot be reached: the machine runs out first */
	if (limit != NO_LIMIT && limit / page < s->global_totalpages) {
		unsigned long limit_pages = (unsigned long)(limit / page);
		unsigned long swap_pages = swap == NO_LIMIT ? ~0UL : (unsigned long)(swap / page);

		s->limit_pages = limit_pages;
		s->totalpages = memcg_max_pages(limit_pages, swap_pages,
						(unsigned long)swappiness, swap_total_pages);
		/* oom_kill.c constrained_alloc(): "mem_cgroup_get_max(oc->memcg) ?: 1" */
		if (!s->totalpages)
			s->totalpages = 1;
	}
	return s->limit_pages != was_limit || s->totalpages != was_total;
}

/* The cgroup's limits at open, read by name once */
static int read_limits(struct scope *s, unsigned long swap_total_pages)
{
	struct scope_limit_files f;
	char buf[8192];
	ssize_t len = s->kind == SCOPE_CGROUP_V1
			      ? read_file_at(s->dir_fd, "memory.stat", buf, sizeof(buf)) : -ENOENT;

	scope_limit_files_open(&f, s);
	int r = scope_read_limits(s, &f, len > 0 ? buf : NULL, len > 0 ? (size_t)len : 0,
				  swap_total_pages);

	scope_limit_files_close(&f);
	return r < 0 ? r : 0;
}

const char *scope_unwatchable(const struct scope *s)
{
	if (s->kind == SCOPE_GLOBAL)
		return NULL;
	/* cgroup.sane_behavior is only at a v1 hierarchy's root (CFTYPE_ONLY_ON_ROOT) */
	if (faccessat(s->dir_fd, "cgroup.sane_behavior", F_OK, 0) == 0)
		return "the root memory cgroup: its figures are the whole machine's (watch the "
		       "machine instead: [global], or no --cgroup)";
	/* memory.current is on every v2 cgroup below the root where the parent's
	 * cgroup.subtree_control enables the memory controller (mem_cgroup_files[]) */
	if (s->kind == SCOPE_CGROUP_V2 && faccessat(s->dir_fd, "memory.current", F_OK, 0) != 0)
		return "a cgroup v2 directory without memory.current (the memory controller is not "
		       "enabled there, or it is the root): its figures would be the whole machine's";
	return NULL;
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

/*
 * Where a cgroup's pids go: a vector that grows (scope_pids), or a fixed buffer made before
 * (scope_pids_into), which counts what it has no room for instead of growing
 */
struct pid_vec {
	pid_t *v;
	int n, cap;
	bool fixed;
	int skip;			/* fixed: the first pids seen, not stored */
	int total;			/* fixed: every pid seen, stored or not */
};

static int push_pid(pid_t pid, void *ctx)
{
	struct pid_vec *pv = ctx;

	if (pv->fixed) {
		if (pv->total++ >= pv->skip && pv->n < pv->cap)
			pv->v[pv->n++] = pid;
		return 0;
	}
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

/* read_lines_at()'s reader of cgroup.procs: whole lines of pids */
static int push_pids(void *ctx, const char *text, size_t len)
{
	return parse_pid_list(text, len, push_pid, ctx);
}

/*
 * Adds the pids of dir_fd's cgroup.procs and of every cgroup below it. Closes dir_fd. The
 * directories are read with getdents64 into a buffer on the stack, not through a DIR that
 * fdopendir() would malloc: a group kill walks a cgroup on the kill path.
 */
static int collect_cgroup(int dir_fd, struct pid_vec *pv, int depth)
{
	/*
	 * a cgroup.procs of a busy cgroup can be large: read in large pieces, and whole
	 * however large (a read cut short would end on part of a pid, another process's)
	 */
	static char buf[1 << 20];
	char ents[2048] __attribute__((aligned(8)));
	long got;
	int r = read_lines_at(dir_fd, "cgroup.procs", buf, sizeof(buf), push_pids, pv);

	/* a child cgroup removed while we walk is not an error, and has no children left */
	if (r == -ENOENT || r == -ENODEV) {
		close(dir_fd);
		return 0;
	}
	/* cgroupfs nests at most a few dozen deep in practice; bound it against loops */
	if (r || depth >= 64) {
		close(dir_fd);
		return r;
	}
	while (!r && (got = getdents64(dir_fd, ents, sizeof(ents))) > 0) {
		for (long off = 0; !r && off < got;) {
			struct dirent64 *e = (struct dirent64 *)(ents + off);

			off += e->d_reclen;
			if (e->d_type != DT_DIR || e->d_name[0] == '.')
				continue;
			int fd = openat(dir_fd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (fd >= 0)
				r = collect_cgroup(fd, pv, depth + 1);
		}
	}
	close(dir_fd);
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
	/* an empty cgroup leaves pv.v NULL, which callers would hand to memcpy or qsort (UB
	 * even for 0 items): an empty array is still an array */
	if (!pv.v && !(pv.v = malloc(sizeof(*pv.v))))
		return -ENOMEM;
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

int scope_pids_into(const struct scope *s, pid_t *pids, int cap, int skip)
{
	struct pid_vec pv = { .v = pids, .cap = cap, .fixed = true, .skip = skip };
	int fd, r;

	if (s->kind == SCOPE_GLOBAL)
		return -EINVAL;
	fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = fd < 0 ? -errno : collect_cgroup(fd, &pv, 0);
	return r ? r : pv.total;
}

const char *scope_name(const struct scope *s, char *buf, size_t len)
{
	if (s->kind == SCOPE_GLOBAL)
		snprintf(buf, len, "global");
	else
		snprintf(buf, len, "cgroup v%d %s", s->kind == SCOPE_CGROUP_V1 ? 1 : 2, s->path);
	return buf;
}

int cgroup_of_process(const char *buf, size_t len, enum scope_kind kind, const char *mount,
		      char *out, size_t outlen)
{
	const char *end = buf + len;

	for (const char *line = buf; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *c1, *c2;

		if (!eol)
			eol = end;
		/* "hierarchy-ID:controller-list:cgroup-path" (cgroups(7)) */
		c1 = memchr(line, ':', (size_t)(eol - line));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		if (c2) {
			bool match = false;

			if (kind == SCOPE_CGROUP_V2) {
				match = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
			} else {
				/* the controllers, comma-separated: "memory" among them */
				for (const char *t = c1 + 1; t < c2;) {
					const char *comma = memchr(t, ',', (size_t)(c2 - t));
					const char *te = comma ? comma : c2;

					match |= te - t == 6 && !memcmp(t, "memory", 6);
					t = te + 1;
				}
			}
			if (match) {
				const char *path = c2 + 1;
				size_t pl = (size_t)(eol - path);

				if (!pl || path[0] != '/' || memchr(path, '\0', pl))
					return -EBADMSG;
				/* "/.." of a cgroup namespace: the cgroup is none of ours */
				if (memmem(path, pl, "/..", 3))
					return -EBADMSG;
				if (pl == 1)
					return -EPERM;
				if ((size_t)snprintf(out, outlen, "%s%.*s", mount, (int)pl, path) >=
				    outlen)
					return -ENAMETOOLONG;
				return 0;
			}
		}
		line = eol + 1;
	}
	return -ENOENT;
}

bool cgroup_within(const char *dir, const char *top)
{
	size_t tl = strlen(top);

	while (tl > 1 && top[tl - 1] == '/')
		tl--;
	return tl && !strncmp(dir, top, tl) && (dir[tl] == '\0' || dir[tl] == '/');
}

/* The mount point of the hierarchy a leaf of kind is looked up in; within: the scope's path */
static const char *hierarchy_mount(enum scope_kind kind, const char *within)
{
	if (kind == SCOPE_CGROUP_V1)
		return V1_MEMORY;
	if (within ? cgroup_within(within, V2_HYBRID)
		   : access(V2_ALONE "/cgroup.controllers", F_OK) != 0)
		return V2_HYBRID;
	return V2_ALONE;
}

int scope_cgroup_of(int proc_fd, pid_t pid, enum scope_kind kind, const char *within, char *out,
		    size_t outlen)
{
	char buf[4096], name[32];
	ssize_t len;
	int r;

	/* the whole machine: its memory controller's hierarchy, v1 where it is mounted */
	if (kind == SCOPE_GLOBAL)
		kind = scope_memory_kind();
	snprintf(name, sizeof(name), "%d/cgroup", (int)pid);
	len = read_file_at(proc_fd, name, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	r = cgroup_of_process(buf, (size_t)len, kind, hierarchy_mount(kind, within), out, outlen);
	if (r)
		return r;
	return within && !cgroup_within(out, within) ? -EXDEV : 0;
}

enum scope_kind scope_memory_kind(void)
{
	return access(V1_MEMORY "/memory.limit_in_bytes", F_OK) == 0 ? SCOPE_CGROUP_V1
								     : SCOPE_CGROUP_V2;
}
