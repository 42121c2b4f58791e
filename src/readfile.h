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

/* Writes "PID/name" into buf (at least 32 bytes) without printf; returns buf. */
char *pid_path(char *buf, pid_t pid, const char *name);

#endif
