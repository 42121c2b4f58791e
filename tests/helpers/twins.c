/*
 * twins.c - equal processes: `twins N MB`
 *
 * Allocates MB MiB and touches every page, then forks N children that each write every page
 * again (so each holds its own copy), and prints "ready PID..." with the children's pids,
 * oldest first; then waits to be killed. Forks of one image, with the same pages touched,
 * have the same RSS and page tables: the kernel's badness ties among them, and the youngest
 * wins the tie (select_bad_process() keeps the last of equals). The parent lets its own copy
 * go once they are made, and is left the smallest.
 * The children die with the parent (PR_SET_PDEATHSIG).
 *
 * `twins N MB late` (N may be 0): the parent keeps the mapping but lets its pages go
 * (MADV_DONTNEED), and after "ready" reads lines from stdin, each forking one more twin 30 ms
 * after the last, so that its start time (in clock ticks) is later than every twin's before:
 * "next" where the kernel puts it, "PID" at that pid (clone3() set_tid, which needs
 * CAP_CHECKPOINT_RESTORE), "low" at the highest free pid below the lowest child's so far. It
 * prints "forked PID", or "failed ERRNO". Children that died are reaped first, so that their
 * pids are free. Twins forked this way are forked from the same state of the parent (its
 * stdio buffers made), and tie more closely than the first N. Equal processes where the
 * youngest is not the one of the highest pid, for the tie-break: the start time, not the pid.
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "number.h"

#define TWINS_MAX 64

static void touch(char *m, size_t len, char v)
{
	for (size_t o = 0; o < len; o += 4096)
		m[o] = v;
}

/* A twin: its own copy of every page, then a byte on fd to say so, then it sleeps */
static void twin(char *m, size_t len, pid_t parent, int fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	touch(m, len, 2);
	if (write(fd, "x", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* One more twin at pid (clone3() set_tid); its pid, or -errno */
static pid_t twin_at(pid_t pid, char *m, size_t len, int p[2])
{
	struct clone_args ca = { .exit_signal = SIGCHLD };
	pid_t tid = pid;
	char c;

	if (pid > 0) {
		ca.set_tid = (uint64_t)(uintptr_t)&tid;
		ca.set_tid_size = 1;
	}
	long r = syscall(SYS_clone3, &ca, sizeof(ca));

	if (r < 0)
		return -errno;
	if (r == 0)
		twin(m, len, getppid(), p[1]);
	if (read(p[0], &c, 1) != 1)
		return -EIO;
	return (pid_t)r;
}

/* The "late" mode's loop: a twin for each line of stdin */
static int late(char *m, size_t len, int p[2], pid_t lowest)
{
	char line[64];
	const struct timespec pause_30ms = { 0, 30 * 1000 * 1000 };

	while (fgets(line, sizeof(line), stdin)) {
		pid_t got = -EINVAL;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		nanosleep(&pause_30ms, NULL);
		if (!strncmp(line, "low", 3)) {
			for (pid_t pid = lowest - 1; pid > 300; pid--)
				if ((got = twin_at(pid, m, len, p)) != -EEXIST)
					break;
		} else if (!strncmp(line, "next", 4)) {
			got = twin_at(0, m, len, p);
		} else {
			got = twin_at((pid_t)atol(line), m, len, p);
		}
		if (got > 0 && (!lowest || got < lowest))
			lowest = got;
		if (got > 0)
			printf("forked %d\n", (int)got);
		else
			printf("failed %d\n", (int)-got);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	pid_t kids[TWINS_MAX];
	long n, mb;
	int p[2];
	char c;

	if (argc != 3 && (argc != 4 || strcmp(argv[3], "late"))) {
		fputs("usage: twins N MB [late]\n", stderr);
		return 2;
	}
	n = number("twins", "N", argv[1], argc == 4 ? 0 : 1, TWINS_MAX);
	mb = number("twins", "MB", argv[2], 1, 1 << 20);
	size_t len = (size_t)mb << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || pipe(p)) {
		perror("twins");
		return 1;
	}
	touch(m, len, 1);
	pid_t self = getpid();

	for (long i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("twins: fork");
			return 1;
		}
		if (kids[i] == 0)
			twin(m, len, self, p[1]);
	}
	for (long i = 0; i < n; i++)
		if (read(p[0], &c, 1) != 1) {
			fputs("twins: a child failed\n", stderr);
			return 1;
		}
	/* the parent is no twin: it lets its copy go, and is left the smallest */
	if (argc == 3)
		munmap(m, len);
	else
		madvise(m, len, MADV_DONTNEED);
	printf("ready");
	for (long i = 0; i < n; i++)
		printf(" %d", (int)kids[i]);
	printf("\n");
	fflush(stdout);
	if (argc == 4)
		return late(m, len, p, n ? kids[0] : 0);
	for (;;)
		pause();
}
