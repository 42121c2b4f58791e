/* readfile.h - read a small file below a directory fd, without stdio or allocation */
#ifndef OOMREAPER_READFILE_H
#define OOMREAPER_READFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Reads up to cap - 1 bytes of dirfd/path into buf and NUL-terminates it.
 * Returns the length, or -errno (ENOENT/ESRCH when a process vanished).
 */
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t cap);

/*
 * read_file_at() of a file the kernel makes whole at each read, one record: a /proc/PID file
 * shown by proc_single_show() (stat, status, statm, oom_score, cgroup) or read with
 * simple_read_from_buffer() (oom_score_adj). seq_read_iter() makes its whole text, then copies
 * what fits: a read shorter than asked is the end, and the read that would say so is saved,
 * one syscall of every file a scan reads (fs/seq_file.c, fs/proc/base.c).
 */
ssize_t read_record_at(int dirfd, const char *path, char *buf, size_t cap);

/*
 * Reads a file held open from its start (pread from 0: /proc and cgroup files are made anew
 * by each read from the start). Returns the length, or -errno.
 */
ssize_t pread_whole(int fd, char *buf, size_t cap);

/* Writes "PID/name" into buf (at least 32 bytes) without printf; returns buf. */
char *pid_path(char *buf, pid_t pid, const char *name);

/*
 * Reads a file of one non-negative number (a cgroup's limit or usage). Returns 0, -ERANGE for
 * "max" or a number past what fits, -EBADMSG for anything else, or the read's -errno.
 */
int read_number_at(int dir_fd, const char *name, unsigned long long *out);
/* The same of a file held open (pread from its start); -EBADF when fd is -1 */
int read_number_held(int fd, unsigned long long *out);

#endif
