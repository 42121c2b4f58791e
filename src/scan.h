/* scan.h - read processes from /proc (or a fixture tree laid out like it) */
#ifndef OOMREAPER_SCAN_H
#define OOMREAPER_SCAN_H

#include "identity.h"
#include "proc.h"

/* Which files scan_proc() reads */
#define SCAN_STAT 1u
#define SCAN_STATUS 2u
#define SCAN_ADJ 4u
#define SCAN_CGROUP 8u
#define SCAN_SCORE 16u
#define SCAN_DETAIL (SCAN_STAT | SCAN_STATUS | SCAN_ADJ)

/*
 * Lists the numeric entries of proc_fd (its pids) into pids, up to cap, through
 * getdents64 into a stack buffer: no allocation. Returns how many there are, which may be
 * more than cap (call again with more room), or -errno.
 */
int scan_pids(int proc_fd, pid_t *pids, int cap);

/*
 * scan_pids, and the inode number of each /proc/PID directory into inos: a process's own for
 * as long as its directory is cached, a new one for a new process that took a pid again.
 */
int scan_pids_inos(int proc_fd, pid_t *pids, unsigned long long *inos, int cap);

/*
 * Reads the files `what` names of proc_fd/PID into p. On the first failure sets p->err and
 * p->err_file and returns that -errno (-ENOENT or -ESRCH: the process is gone; -EBADMSG:
 * malformed). oom_score and cgroup are shown, not used: unreadable, they stay unknown
 * (kernel_score -1, cgroup NULL). Allocates only for SCAN_CGROUP.
 */
int scan_proc(int proc_fd, pid_t pid, unsigned what, struct proc_info *p);

/*
 * The pod, container, QoS class and unit (identity.h) of proc_fd/PID, from the path of its
 * cgroup file that list shows (the v1 memory line, else the v2 one). Reads into a stack
 * buffer and allocates nothing: the daemon calls it for its victim, status and metrics may
 * call it for anyone. Returns 0; -errno when unreadable, -E2BIG when the file fills the buffer
 * (a path cut short would give a wrong ID), or identity_parse_n()'s -EINVAL (id->why).
 */
int scan_identity(int proc_fd, pid_t pid, struct identity *id);

/* scan_identity()'s QoS class (enum qos_class) of each pid, QOS_NONE where unknown or
 * unreadable, in parallel. Returns 0 or -errno. */
int scan_qos(int proc_fd, const pid_t *pids, int n, signed char *qos, int threads);

/*
 * Reads proc_fd/PID/statm: the address space's size and its resident pages (parse_statm).
 * Returns 0, or -errno (-EBADMSG: malformed).
 */
int scan_statm(int proc_fd, pid_t pid, unsigned long *size, unsigned long *resident);

/*
 * Calls each(ctx, i) for every i in 0..n-1 on up to `threads` threads (the caller is one):
 * each must write only what belongs to its i. Returns 0.
 */
int scan_parallel(int n, void (*each)(void *ctx, int i), void *ctx, int threads);

/* scan_parallel() of n large pieces of work, each i one thread's: a piece of its own for
 * each of up to n threads, where scan_parallel() hands a thread 32 indices at a time */
int scan_parts(int n, void (*each)(void *ctx, int i), void *ctx, int threads);

/* Reads proc_fd/PID/oom_score for each pid; -1 where it could not. Returns 0 or -errno. */
int scan_scores(int proc_fd, const pid_t *pids, int n, long *scores, int threads);

/*
 * scan_scores, holding each oom_score file open from one call to the next: the open and the
 * path walk are most of a read's cost. fds[i] is, on entry, a file held open on pids[i]'s
 * oom_score by an earlier call, or -1; on return, the file to hold, or -1. At most `hold`
 * files are held; past that they are closed after their read. A held file is read with pread
 * at offset 0, which makes the kernel compute the score anew; a process gone since answers
 * ESRCH, and its pid, if reused, is opened afresh. kept[i] (when kept is not NULL) says
 * whether the score came from the file held on entry: a proc file holds its struct pid, so a
 * read of it that succeeds is of the same process as when it was opened (de_thread() keeps
 * the leader's pid and start time), and what was learnt of that process then still names it.
 * Returns 0 or -errno.
 */
int scan_scores_held(int proc_fd, const pid_t *pids, int n, long *scores, int *fds, int hold,
		     unsigned char *kept, int threads);

/* Reads proc_fd/PID/oom_score_adj for each pid; 0 where it could not. Returns 0 or -errno. */
int scan_adjs(int proc_fd, const pid_t *pids, int n, int *adjs, int threads);

/*
 * Makes t hold one entry per pid, read with scan_proc(what); failed entries stay with their
 * error so that they can be listed with a reason. Returns 0, or -ENOMEM.
 */
int scan_table(int proc_fd, const pid_t *pids, int n, unsigned what, struct proc_table *t,
	       int threads);

/*
 * Starts the helper threads scans of up to `threads` threads use (the caller is one), now
 * rather than at the first scan that needs them; they are kept until the process ends.
 * Returns how many helpers there are.
 */
int scan_start_helpers(int threads);

/* How many threads a scan should use on this machine (its online cores, at most 8). */
int scan_default_threads(void);

#endif
