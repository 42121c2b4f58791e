/* scope.h - what the killer watches: the whole machine or one cgroup and its descendants */
#ifndef OOMREAPER_SCOPE_H
#define OOMREAPER_SCOPE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

enum scope_kind { SCOPE_GLOBAL, SCOPE_CGROUP_V1, SCOPE_CGROUP_V2 };

/* Where the v1 memory hierarchy is mounted */
#define V1_MEMORY "/sys/fs/cgroup/memory"

struct scope {
	enum scope_kind kind;
	char path[PATH_MAX];		 /* the cgroup directory; empty for global */
	int dir_fd;			 /* open on path; -1 for global */
	unsigned long page_kb;
	unsigned long global_totalpages; /* RAM + swap pages */
	unsigned long limit_pages;	 /* the cgroup's memory limit; 0 when it has none */
	unsigned long totalpages;	 /* what oom_badness() gets in this scope */
};

/* The levels of a v2 cgroup, itself and its ancestors, whose limits are followed: cgroupfs
 * nests a few dozen at most; the bound keeps a loop of mounts from holding files for ever */
#define SCOPE_LIMIT_LEVELS 64

/*
 * The files a cgroup's limits are read from, held open so that a sample re-reads them with a
 * pread each (a limit can change at any time, and with it totalpages and every level given
 * in %); -1 where absent. v1 reads memory.stat's hierarchical limits, which the caller has
 * read already, and its own files only where those are missing.
 */
struct scope_limit_files {
	int limit, memsw, swappiness;		/* v1 */
	int max[SCOPE_LIMIT_LEVELS];		/* v2: memory.max of the cgroup, then upwards */
	int swap_max[SCOPE_LIMIT_LEVELS];	/* v2: memory.swap.max likewise */
	int nlevels;
};

void scope_limit_files_open(struct scope_limit_files *f, const struct scope *s);
void scope_limit_files_close(struct scope_limit_files *f);

/*
 * Reads the limits from f, and for v1 from stat (memory.stat's text; NULL when it has none),
 * and sets s->limit_pages and s->totalpages. swap_total_pages: the machine's swap now.
 * Returns 1 when they changed, 0 when not, or -errno (a removed cgroup's files: -ENODEV).
 */
int scope_read_limits(struct scope *s, const struct scope_limit_files *f, const char *stat,
		      size_t stat_len, unsigned long swap_total_pages);

/*
 * Why a scope cannot be watched, or NULL when it can: a cgroup whose memory figures would be
 * the whole machine's (a v2 directory without the memory controller, a root cgroup).
 */
const char *scope_unwatchable(const struct scope *s);

/*
 * Opens a scope: global when cgroup is NULL, else that directory, a cgroup v1 memory
 * cgroup (memory.limit_in_bytes) or a cgroup v2 one (cgroup.controllers). Reads
 * proc_fd/meminfo and the cgroup's limit for totalpages.
 * Returns 0; -ENOENT or -ENOTDIR for a bad path; -EMEDIUMTYPE for a directory that is no
 * cgroup; -EBADMSG when meminfo or a limit file is malformed; else -errno.
 */
int scope_open(struct scope *s, int proc_fd, const char *cgroup);
void scope_close(struct scope *s);

/*
 * The pids of the scope into a malloc'd, sorted array: for global every pid of proc_fd,
 * for a cgroup those in cgroup.procs of it and of its descendants; never NULL, even empty.
 * Returns the count, or -errno.
 */
int scope_pids(const struct scope *s, int proc_fd, pid_t **pids);

/*
 * The pids of a cgroup scope and its descendants into pids[0..cap-1], allocating nothing (a
 * group kill's, on the kill path): in the order walked, not sorted (a pid moved meanwhile
 * may come twice), the first skip of them left out and those past skip + cap counted, not
 * stored: a larger cgroup is read in windows. Returns how many there were in all (stored
 * or not), or -errno; -EINVAL for the global scope.
 */
int scope_pids_into(const struct scope *s, pid_t *pids, int cap, int skip);

/* "global", "cgroup v1 PATH" or "cgroup v2 PATH" into buf. */
const char *scope_name(const struct scope *s, char *buf, size_t len);

/*
 * mm/memcontrol.c mem_cgroup_get_max(): a memcg's OOM budget in pages, its limit plus
 * the swap it may use (v1: memsw limit minus limit; v2: swap.max), capped by the swap
 * there is, and none when swappiness is 0. Pure.
 */
unsigned long memcg_max_pages(unsigned long limit_pages, unsigned long swap_limit_pages,
			      unsigned long swappiness, unsigned long swap_total_pages);

/*
 * The directory of the cgroup that holds a process, from /proc/PID/cgroup's text (buf, len):
 * the v1 memory controller's line when kind is SCOPE_CGROUP_V1, the v2 line ("0::") when
 * SCOPE_CGROUP_V2, joined to mount, the hierarchy's mount point. Pure. Returns 0 with the
 * path in out; -ENOENT when there is no such line; -EPERM when the process is in the root
 * cgroup (mem_cgroup_get_oom_group() never takes the root: that would be the whole machine);
 * -EBADMSG for a line that is no absolute path; -ENAMETOOLONG.
 */
int cgroup_of_process(const char *buf, size_t len, enum scope_kind kind, const char *mount,
		      char *out, size_t outlen);

/*
 * Whether dir is below (or is) the cgroup directory top: a group kill never leaves its
 * scope, as mem_cgroup_get_oom_group() ignores oom.group for a victim moved out of its OOM
 * domain. Pure, on the paths' text.
 */
bool cgroup_within(const char *dir, const char *top);

/* The kind of the machine's memory controller hierarchy: v1 where it is mounted, else v2 */
enum scope_kind scope_memory_kind(void);

/*
 * The directory of the cgroup that holds pid, from /proc/PID/cgroup (cgroup_of_process()),
 * into out: for kind SCOPE_GLOBAL in the machine's memory controller hierarchy
 * (scope_memory_kind()). within: the cgroup scope it must lie in, or NULL. Returns 0, or
 * -errno: cgroup_of_process()'s, -EXDEV (outside within), or the read's.
 */
int scope_cgroup_of(int proc_fd, pid_t pid, enum scope_kind kind, const char *within, char *out,
		    size_t outlen);

#endif
