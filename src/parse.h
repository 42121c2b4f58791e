/* parse.h - pure parsers of /proc and cgroup file contents: text in, fields out */
#ifndef OOMREAPER_PARSE_H
#define OOMREAPER_PARSE_H

#include <stddef.h>

#include "proc.h"

/* /proc/meminfo, in kB; a field absent from the file stays 0 */
struct meminfo {
	unsigned long mem_total_kb;
	unsigned long mem_available_kb;
	unsigned long swap_total_kb;
	unsigned long swap_free_kb;
	unsigned long anon_kb;		/* AnonPages */
	unsigned long mapped_kb;	/* Mapped */
};

/*
 * /proc/PID/stat: pid, comm, state, ppid, flags, start time. comm sits between the first
 * '(' and the last ')' and may hold spaces, parentheses and newlines.
 * Returns 0, or -EBADMSG when the text is truncated or malformed.
 */
int parse_stat(const char *buf, size_t len, struct proc_info *p);

/*
 * /proc/PID/status: Uid, VmSize, RssAnon, RssFile, RssShmem, VmSwap, VmPTE, Kthread, and
 * SigPnd/ShdPnd for a pending SIGKILL.
 * has_mm is set when the Vm* lines are there (they are not for zombies and kernel threads).
 * Returns 0, or -EBADMSG when Uid is missing, or a memory line is missing or malformed
 * while others are present.
 */
int parse_status(const char *buf, size_t len, struct proc_info *p);

/*
 * /proc/PID/statm: its first two fields, the size of the address space (mm->total_vm) and
 * the resident pages (anon + file + shmem, get_mm_rss()), in pages. Returns 0, or -EBADMSG.
 */
int parse_statm(const char *buf, size_t len, unsigned long *size, unsigned long *resident);

/* /proc/meminfo. Returns 0, or -EBADMSG without MemTotal. */
int parse_meminfo(const char *buf, size_t len, struct meminfo *m);

/*
 * A file holding one decimal integer (oom_score_adj, oom_score, a cgroup limit), with
 * optional sign and trailing newline. "max" (cgroup v2 for no limit) gives -ERANGE.
 * Returns 0, -EBADMSG when it is not a number, -ERANGE when it does not fit a long long.
 */
int parse_ll(const char *buf, size_t len, long long *out);

/*
 * /proc/PID/cgroup: the path of the memory controller's line (cgroup v1) if there is one,
 * else the unified line ("0::"). Sets *path and *path_len into buf.
 * Returns 0, or -ENOENT when no such line exists.
 */
int parse_cgroup(const char *buf, size_t len, const char **path, size_t *path_len);

/*
 * A list of decimal pids, one per line (cgroup.procs). Calls fn for each; stops and returns
 * its value when fn returns non-zero. Returns 0, or -EBADMSG at a line that is not a pid.
 */
int parse_pid_list(const char *buf, size_t len, int (*fn)(pid_t pid, void *ctx), void *ctx);

/*
 * A "key value" line of a flat-keyed file (memory.stat): the value of key.
 * Returns 0, -ENOENT when key is absent, -EBADMSG when its value is not a number.
 */
int parse_key_value(const char *buf, size_t len, const char *key, unsigned long long *out);

#endif
