/*
 * faults.c - an LD_PRELOAD shim that makes chosen reads and writes fail, for the e2e tests of
 * what the daemon and the tools do when a /proc or cgroup file cannot be read or the log
 * cannot be written. It intercepts open/openat (and their 64 forms), read/pread, write,
 * writev and close; an fd opened on a chosen path is marked, and its reads (or writes) then
 * fail at a rate with a chosen errno. Settings, from the environment:
 *
 *   OOMREAPER_FAULT_READ         ':'-separated fnmatch(3) patterns of the paths whose reads
 *                                fail, matched against the path resolved from the directory
 *                                fd (e.g. "/proc/[0-9]*[/]status:*[/]memory.stat")
 *   OOMREAPER_FAULT_READ_ERRNO   EIO (default), EINTR, EAGAIN or ENOMEM
 *   OOMREAPER_FAULT_RATE         the percentage of those reads that fail (default 100)
 *   OOMREAPER_FAULT_WRITE        patterns of the paths whose writes all fail (a full disk
 *                                stays full)
 *   OOMREAPER_FAULT_WRITE_ERRNO  ENOSPC (default), EIO, EAGAIN
 *   OOMREAPER_FAULT_SEED         the seed of the draws (default 1): a run can be repeated
 *   OOMREAPER_FAULT_REPORT       a file that gets, at exit, "reads N failed F" and
 *                                "writes N failed F" of the marked fds: a test checks that the
 *                                faults did happen
 *
 * Test code only: it allocates, and it takes no care for the kill path's rules.
 */
/* open and open64 both defined here: not one redirected to the other by the headers */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 65536
#define MARK_READ 1
#define MARK_WRITE 2

static _Atomic unsigned char marks[MAX_FD];
static const char *read_pat, *write_pat;
static int read_errno = EIO, write_errno = ENOSPC, rate = 100;
static _Atomic unsigned long long seed = 1;
static _Atomic unsigned long reads, reads_failed, writes, writes_failed;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_close)(int);

static int errno_of(const char *name, int dflt)
{
	static const struct {
		const char *name;
		int e;
	} names[] = {
		{ "EIO", EIO }, { "EINTR", EINTR }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
		{ "ENOSPC", ENOSPC },
	};

	if (!name)
		return dflt;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name))
			return names[i].e;
	fprintf(stderr, "faults: unknown errno name '%s'\n", name);
	abort();
}

static void bind_all(void)
{
	real_open = dlsym(RTLD_NEXT, "open");
	real_open64 = dlsym(RTLD_NEXT, "open64");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_openat64 = dlsym(RTLD_NEXT, "openat64");
	real_read = dlsym(RTLD_NEXT, "read");
	real_pread = dlsym(RTLD_NEXT, "pread");
	real_pread64 = dlsym(RTLD_NEXT, "pread64");
	real_write = dlsym(RTLD_NEXT, "write");
	real_writev = dlsym(RTLD_NEXT, "writev");
	real_close = dlsym(RTLD_NEXT, "close");
}

static void report(void)
{
	const char *path = getenv("OOMREAPER_FAULT_REPORT");
	char buf[160];

	if (!path || !real_open)
		return;
	int fd = real_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	int n = snprintf(buf, sizeof(buf), "pid %d reads %lu failed %lu writes %lu failed %lu\n",
			 (int)getpid(), reads, reads_failed, writes, writes_failed);

	if (real_write(fd, buf, (size_t)n) < 0)
		n = 0;
	real_close(fd);
}

__attribute__((constructor)) static void faults_init(void)
{
	const char *r = getenv("OOMREAPER_FAULT_RATE"), *s = getenv("OOMREAPER_FAULT_SEED");

	bind_all();
	read_pat = getenv("OOMREAPER_FAULT_READ");
	write_pat = getenv("OOMREAPER_FAULT_WRITE");
	read_errno = errno_of(getenv("OOMREAPER_FAULT_READ_ERRNO"), EIO);
	write_errno = errno_of(getenv("OOMREAPER_FAULT_WRITE_ERRNO"), ENOSPC);
	if (r)
		rate = atoi(r);
	if (s)
		seed = strtoull(s, NULL, 10) ?: 1;
}

__attribute__((destructor)) static void faults_fini(void)
{
	report();
}

/* Whether path matches one of the ':'-separated patterns */
static int matches(const char *pats, const char *path)
{
	char pat[PATH_MAX];

	while (pats && *pats) {
		const char *end = strchrnul(pats, ':');
		size_t n = (size_t)(end - pats);

		if (n < sizeof(pat)) {
			memcpy(pat, pats, n);
			pat[n] = '\0';
			if (n && fnmatch(pat, path, 0) == 0)
				return 1;
		}
		pats = *end ? end + 1 : end;
	}
	return 0;
}

/* The path dirfd/path names, as well as /proc/self/fd tells */
static void resolve(int dirfd, const char *path, char *out, size_t cap)
{
	char link[64], dir[PATH_MAX];
	ssize_t n;

	if (path[0] == '/' || dirfd == AT_FDCWD) {
		if (path[0] == '/' || !getcwd(dir, sizeof(dir)))
			snprintf(out, cap, "%s", path);
		else
			snprintf(out, cap, "%s/%s", dir, path);
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n < 0)
		n = 0;
	dir[n] = '\0';
	snprintf(out, cap, "%s/%s", dir, path);
}

static int opened(int fd, int dirfd, const char *path)
{
	char full[PATH_MAX * 2];
	unsigned char m = 0;

	if (fd < 0 || fd >= MAX_FD)
		return fd;
	if (read_pat || write_pat) {
		resolve(dirfd, path, full, sizeof(full));
		if (read_pat && matches(read_pat, full))
			m |= MARK_READ;
		if (write_pat && matches(write_pat, full))
			m |= MARK_WRITE;
	}
	marks[fd] = m;
	return fd;
}

/* Whether this call fails: a draw of a 64-bit xorshift, shared by every thread */
static int draw(void)
{
	unsigned long long x = seed;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	seed = x;
	return (int)(x % 100) < rate;
}

/* open's mode argument, there only with O_CREAT or O_TMPFILE */
#define MODE_ARG(flags, last)                                                          \
	mode_t mode = 0;                                                               \
	if ((flags) & (O_CREAT | __O_TMPFILE)) {                                       \
		va_list ap;                                                            \
		va_start(ap, last);                                                    \
		mode = (mode_t)va_arg(ap, int);                                        \
		va_end(ap);                                                            \
	}

int open(const char *path, int flags, ...)
{
	MODE_ARG(flags, flags);
	if (!real_open)
		bind_all();
	return opened(real_open(path, flags, mode), AT_FDCWD, path);
}

int open64(const char *path, int flags, ...)
{
	MODE_ARG(flags, flags);
	if (!real_open64)
		bind_all();
	return opened(real_open64(path, flags, mode), AT_FDCWD, path);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	MODE_ARG(flags, flags);
	if (!real_openat)
		bind_all();
	return opened(real_openat(dirfd, path, flags, mode), dirfd, path);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	MODE_ARG(flags, flags);
	if (!real_openat64)
		bind_all();
	return opened(real_openat64(dirfd, path, flags, mode), dirfd, path);
}

/* A read of a marked fd: counted, and failed when the draw says so */
static int read_fails(int fd)
{
	if (fd < 0 || fd >= MAX_FD || !(marks[fd] & MARK_READ))
		return 0;
	reads++;
	if (!draw())
		return 0;
	reads_failed++;
	errno = read_errno;
	return 1;
}

ssize_t read(int fd, void *buf, size_t n)
{
	if (!real_read)
		bind_all();
	return read_fails(fd) ? -1 : real_read(fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	if (!real_pread)
		bind_all();
	return read_fails(fd) ? -1 : real_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	if (!real_pread64)
		bind_all();
	return read_fails(fd) ? -1 : real_pread64(fd, buf, n, off);
}

/* Whether this write to fd fails (counted, errno set) */
static bool write_fails(int fd)
{
	if (fd < 0 || fd >= MAX_FD || !(marks[fd] & MARK_WRITE))
		return false;
	writes++;
	writes_failed++;
	errno = write_errno;
	return true;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (!real_write)
		bind_all();
	return write_fails(fd) ? -1 : real_write(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	if (!real_writev)
		bind_all();
	return write_fails(fd) ? -1 : real_writev(fd, iov, n);
}

int close(int fd)
{
	if (!real_close)
		bind_all();
	if (fd >= 0 && fd < MAX_FD)
		marks[fd] = 0;
	return real_close(fd);
}
