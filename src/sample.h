/* sample.h - what a scope's memory looks like now: available, swap, pressure */
#ifndef OOMREAPER_SAMPLE_H
#define OOMREAPER_SAMPLE_H

#include <stdbool.h>

#include "scope.h"

/* One reading of a scope, in kB and µs; read without allocation */
struct sample {
	long long t_ns;			/* CLOCK_MONOTONIC when its last file was read */
	unsigned long long total_kb;	/* the scope's memory: RAM, or the cgroup's limit */
	unsigned long long avail_kb;	/* what can still be had without an OOM */
	unsigned long long used_kb;	/* a cgroup's usage (its usage file); 0 for global */
	unsigned long long swap_total_kb;
	unsigned long long swap_free_kb;
	/* what processes' RSS can be made of: anonymous and mapped file pages (AnonPages +
	 * Mapped; a cgroup's rss + mapped_file, or anon + file_mapped); has_held when known */
	unsigned long long held_kb;
	bool has_held;
	bool has_psi;
	unsigned long long psi_some_us;	/* memory pressure's cumulative stall ("total=") */
	unsigned long long psi_full_us;
};

/* The files a scope is sampled from, held open: a sample is then a few preads */
struct sample_files {
	int meminfo;
	int usage;		/* memory.usage_in_bytes (v1) or memory.current (v2) */
	int stat;		/* memory.stat */
	int pressure;		/* /proc/pressure/memory or memory.pressure; -1 when not wanted */
	struct scope_limit_files lim;	/* a cgroup's limits: re-read with each sample */
};

/* Opens the scope's files; those that cannot be opened stay -1 and are read by name. */
void sample_files_open(struct sample_files *f, const struct scope *s, int proc_fd, bool want_psi);
void sample_files_close(struct sample_files *f);

/*
 * Reads the scope now. Global: /proc/meminfo MemAvailable, SwapTotal, SwapFree and
 * /proc/pressure/memory. A cgroup: its limit, re-read each time into s (limit_pages and
 * totalpages follow it: scope_read_limits()), and available = limit - (usage -
 * inactive_file), as kubelet counts it (inactive file pages are reclaimed before an OOM);
 * memory.pressure where the cgroup has one (v2), only when its file was opened (want_psi): a
 * read fewer per sample when no trigger needs it. A cgroup without a limit has the machine's.
 * Returns 0, 1 when the cgroup's limits changed since the last sample, or -errno (-EBADMSG
 * for a malformed file, -ENODEV once the cgroup was removed).
 */
int sample_scope(struct scope *s, int proc_fd, const struct sample_files *f,
		 struct sample *out);

/* "some avg10=… total=N" and "full … total=N" of a pressure file. Pure; 0 or -EBADMSG. */
int parse_pressure(const char *buf, size_t len, unsigned long long *some_us,
		   unsigned long long *full_us);

/* The "avg10=" shares (percent) of the "some" and "full" lines of a pressure file. Pure;
 * 0 or -EBADMSG */
int parse_pressure_avg10(const char *buf, size_t len, double *some_pct, double *full_pct);

#endif
