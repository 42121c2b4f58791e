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
 * read_file_at() with one read, not a second one to see EOF: for the /proc/PID files that
 * fs/proc/base.c makes with single_open() (stat, statm, status, oom_score) or hands over from
 * one buffer (oom_score_adj): seq_read_iter() gives the whole text to a read that has room for
 * it, so a second read only says EOF, a syscall a process for nothing: a read shorter than asked
 * is the end (one that fills the buffer reads on, as read_file_at()). Not for files of many
 * records (maps, mounts): seq_read_iter() may stop a read at a record that does not fit in its
 * page, before the end. A regular file (a fixture tree) reads whole too.
 */
ssize_t read_once_at(int dirfd, const char *path, char *buf, size_t cap);

/*
 * Reads dirfd/path whole however large, through buf of cap bytes: each(ctx, text, len) is
 * given whole lines (the last one without its newline at the end of the file), in order. A
 * line longer than buf is -EBADMSG. Returns 0, each()'s non-zero return, or -errno of the
 * open or a read (ENOENT, ENODEV: the file or its cgroup was removed).
 */
int read_lines_at(int dirfd, const char *path, char *buf, size_t cap,
		  int (*each)(void *ctx, const char *text, size_t len), void *ctx);

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
