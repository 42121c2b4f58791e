/* sample.c - read a scope's memory and pressure, into stack buffers */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "readfile.h"
#include "sample.h"
#include "sys.h"

/* "12.50" (psi_show()'s "%lu.%02lu") as hundredths; -1 when it is not such a number */
static long hundredths(const char *p, const char *end)
{
	long v = 0;
	int frac = -1;

	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p == '.' && frac < 0) {
			frac = 0;
		} else if (*p >= '0' && *p <= '9' && frac < 2 && v < 100000) {
			v = v * 10 + (*p - '0');
			if (frac >= 0)
				frac++;
		} else {
			return -1;
		}
	}
	for (; frac < 2; frac = frac < 0 ? 1 : frac + 1)
		v *= 10;
	return v;
}

int parse_pressure_avg10(const char *buf, size_t len, double *some_pct, double *full_pct)
{
	const char *end = buf + len, *line = buf;
	bool some = false;

	*some_pct = *full_pct = 0;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		/* "some avg10=0.00 avg60=...": the kernel's own average over 10 s
		 * (psi_show(), kernel/sched/psi.c) */
		if (eol - line > 11 && !memcmp(line + 4, " avg10=", 7)) {
			const char *v0 = line + 11, *v1 = v0;

			/* within the line: the buffer has no NUL after it */
			while (v1 < eol && *v1 != ' ')
				v1++;
			long v = hundredths(v0, v1);

			if (v < 0 || v > 10000)
				return -EBADMSG;
			if (!memcmp(line, "some", 4)) {
				*some_pct = v / 100.0;
				some = true;
			} else if (!memcmp(line, "full", 4)) {
				*full_pct = v / 100.0;
			}
		}
		line = eol + 1;
	}
	return some ? 0 : -EBADMSG;
}

int parse_pressure(const char *buf, size_t len, unsigned long long *some_us,
		   unsigned long long *full_us)
{
	const char *end = buf + len, *line = buf;
	bool some = false;

	*some_us = *full_us = 0;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		const char *tot = NULL;

		for (const char *p = line; p + 6 <= eol; p++)
			if (!memcmp(p, "total=", 6)) {
				tot = p + 6;
				break;
			}
		if (tot) {
			long long v;
			int r = parse_ll(tot, (size_t)(eol - tot), &v);

			if (r || v < 0)
				return -EBADMSG;
			if (eol - line > 5 && !memcmp(line, "some ", 5)) {
				*some_us = (unsigned long long)v;
				some = true;
			} else if (eol - line > 5 && !memcmp(line, "full ", 5)) {
				*full_us = (unsigned long long)v;
			}
		}
		line = eol + 1;
	}
	return some ? 0 : -EBADMSG;
}

void sample_files_open(struct sample_files *f, const struct scope *s, int proc_fd, bool want_psi)
{
	bool v1 = s->kind == SCOPE_CGROUP_V1;
	int cg = s->kind == SCOPE_GLOBAL ? -1 : s->dir_fd;

	f->meminfo = openat(proc_fd, "meminfo", O_RDONLY | O_CLOEXEC);
	f->usage = cg < 0 ? -1
		 : openat(cg, v1 ? "memory.usage_in_bytes" : "memory.current", O_RDONLY | O_CLOEXEC);
	f->stat = cg < 0 ? -1 : openat(cg, "memory.stat", O_RDONLY | O_CLOEXEC);
	f->pressure = !want_psi ? -1
		    : openat(cg < 0 ? proc_fd : cg, cg < 0 ? "pressure/memory" : "memory.pressure",
			     O_RDONLY | O_CLOEXEC);
	scope_limit_files_open(&f->lim, s);
}

void sample_files_close(struct sample_files *f)
{
	int *fds[] = { &f->meminfo, &f->usage, &f->stat, &f->pressure };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	scope_limit_files_close(&f->lim);
}

/* A held file, or by name when it could not be held */
static ssize_t read_held(int fd, int dir_fd, const char *name, char *buf, size_t cap)
{
	return fd >= 0 ? pread_whole(fd, buf, cap) : read_file_at(dir_fd, name, buf, cap);
}

/*
 * A cgroup's held memory from its memory.stat (len <= 0: none): the anonymous and mapped file
 * pages charged to it, which its processes' RSS is made of; shmem and cache no one maps are
 * in nobody's badness
 */
static void held_of_stat(const char *buf, ssize_t len, bool v1, struct sample *out)
{
	unsigned long long anon, mapped;

	out->has_held = len > 0 &&
			!parse_key_value(buf, (size_t)len, v1 ? "total_rss" : "anon", &anon) &&
			!parse_key_value(buf, (size_t)len, v1 ? "total_mapped_file" : "file_mapped",
					 &mapped);
	out->held_kb = out->has_held ? (anon + mapped) / 1024 : 0;
}

int sample_scope(struct scope *s, int proc_fd, const struct sample_files *f,
		 struct sample *out)
{
	char buf[8192], num[64];
	struct meminfo m;
	ssize_t len = read_held(f->meminfo, proc_fd, "meminfo", buf, sizeof(buf));
	int r;

	memset(out, 0, sizeof(*out));
	if (len < 0)
		return (int)len;
	r = parse_meminfo(buf, (size_t)len, &m);
	if (r)
		return r;
	out->total_kb = m.mem_total_kb;
	out->avail_kb = m.mem_available_kb;
	out->swap_total_kb = m.swap_total_kb;
	out->swap_free_kb = m.swap_free_kb;
	out->held_kb = m.anon_kb + m.mapped_kb;
	out->has_held = true;
	if (f->pressure >= 0) {
		char pb[512];

		len = pread_whole(f->pressure, pb, sizeof(pb));
		out->has_psi = len > 0 && parse_pressure(pb, (size_t)len, &out->psi_some_us,
							 &out->psi_full_us) == 0;
	}
	if (s->kind == SCOPE_GLOBAL) {
		out->t_ns = now_ns();
		return 0;
	}
	bool v1 = s->kind == SCOPE_CGROUP_V1;

	/* memory.stat holds v1's limits and both kinds' inactive file pages; a tree made by
	 * hand may lack it, a removed cgroup's held file says ENODEV */
	len = read_held(f->stat, s->dir_fd, "memory.stat", buf, sizeof(buf));
	if (len < 0 && len != -ENOENT)
		return (int)len;
	int changed = scope_read_limits(s, &f->lim, len > 0 ? buf : NULL,
					len > 0 ? (size_t)len : 0, m.swap_total_kb / s->page_kb);

	if (changed < 0)
		return changed;
	/* a cgroup without a limit runs out when the machine does: the machine's figures */
	if (!s->limit_pages) {
		out->t_ns = now_ns();
		return changed;
	}
	unsigned long long usage = 0, inactive = 0, limit = s->limit_pages * s->page_kb * 1024;
	/* v1 counts the subtree in total_*; v2's memory.stat is hierarchical already */
	if (len > 0)
		parse_key_value(buf, (size_t)len, v1 ? "total_inactive_file" : "inactive_file",
				&inactive);
	held_of_stat(buf, len, v1, out);
	long long v;
	ssize_t n = read_held(f->usage, s->dir_fd, v1 ? "memory.usage_in_bytes" : "memory.current",
			      num, sizeof(num));

	if (n < 0)
		return (int)n;
	r = parse_ll(num, (size_t)n, &v);
	if (r || v < 0)
		return r ? r : -EBADMSG;
	usage = (unsigned long long)v;
	unsigned long long used = usage > inactive ? usage - inactive : 0;

	out->total_kb = limit / 1024;
	out->used_kb = usage / 1024;
	out->avail_kb = used < limit ? (limit - used) / 1024 : 0;
	/* the figures are known now: a decision on them is as old as this */
	out->t_ns = now_ns();
	return changed;
}
