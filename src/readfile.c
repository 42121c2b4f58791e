/* readfile.c - small reads that the scan and the kill path can afford */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "readfile.h"

/*
 * How often a read that failed for a passing reason is tried again. seq_read() allocates its
 * buffer, so a /proc file's read can fail with ENOMEM just when an OOM killer reads it; the
 * process skipped as unreadable could be the one to kill, and a smaller one die in its place.
 * Bounded: a file that keeps failing costs the kill path a few syscalls, no more.
 */
#define READ_TRIES 8

static bool passing_error(int e)
{
	return e == EAGAIN || e == ENOMEM || e == EIO;
}

/*
 * Reads fd from where it is into buf until EOF or a full buffer; with `whole`, a short read
 * ends it too: the file is made whole by one read. Returns the length or -errno; closes fd.
 */
static ssize_t read_fd(int fd, char *buf, size_t cap, bool whole)
{
	size_t len = 0;
	int tries = 0;

	/* /proc files are produced per read; loop until EOF or the buffer is full */
	while (len + 1 < cap) {
		size_t want = cap - 1 - len;
		ssize_t r = read(fd, buf + len, want);

		if (r < 0) {
			if (errno == EINTR || (passing_error(errno) && ++tries < READ_TRIES))
				continue;
			int e = errno;

			close(fd);
			return -e;
		}
		len += (size_t)r;
		if (r == 0 || (whole && (size_t)r < want))
			break;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t cap)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : read_fd(fd, buf, cap, false);
}

ssize_t read_once_at(int dirfd, const char *path, char *buf, size_t cap)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : read_fd(fd, buf, cap, true);
}

int read_lines_at(int dirfd, const char *path, char *buf, size_t cap,
		  int (*each)(void *ctx, const char *text, size_t len), void *ctx)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t have = 0;
	int tries = 0, r = 0;

	if (fd < 0)
		return -errno;
	/* a read's end is no line's end: what follows the last newline waits for the next */
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - have);

		if (n < 0) {
			if (errno == EINTR || (passing_error(errno) && ++tries < READ_TRIES))
				continue;
			r = -errno;
			break;
		}
		if (n == 0) {
			if (have)
				r = each(ctx, buf, have);
			break;
		}
		have += (size_t)n;
		const char *nl = memrchr(buf, '\n', have);

		if (!nl) {
			if (have == cap) {
				r = -EBADMSG;
				break;
			}
			continue;
		}
		size_t whole = (size_t)(nl + 1 - buf);

		r = each(ctx, buf, whole);
		if (r)
			break;
		memmove(buf, buf + whole, have - whole);
		have -= whole;
	}
	close(fd);
	return r;
}

char *pid_path(char *buf, pid_t pid, const char *name)
{
	char digits[16];
	int n = 0;
	unsigned v = (unsigned)pid;
	char *p = buf;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = digits[--n];
	*p++ = '/';
	size_t l = strlen(name);

	memcpy(p, name, l + 1);
	return buf;
}

/* A number file's text: 0, -ERANGE for "max" or past what fits, -EBADMSG for anything else */
static int number_of(const char *buf, ssize_t len, unsigned long long *out)
{
	long long v;

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

int read_number_at(int dir_fd, const char *name, unsigned long long *out)
{
	char buf[64];

	return number_of(buf, read_file_at(dir_fd, name, buf, sizeof(buf)), out);
}

int read_number_held(int fd, unsigned long long *out)
{
	char buf[64];

	if (fd < 0)
		return -EBADF;
	return number_of(buf, pread_whole(fd, buf, sizeof(buf)), out);
}

ssize_t pread_whole(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		ssize_t r = pread(fd, buf + len, cap - 1 - len, (off_t)len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		len += (size_t)r;
		/* a short read: these files are made whole by one read, there is no more */
		if ((size_t)r < cap - 1 - (len - (size_t)r))
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}
