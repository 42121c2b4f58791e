/*
 * sharegrow.c - the culprit of the shared scenario: two processes, one growing address space.
 *
 *   sharegrow RATE_MB_S MAX_MB
 *
 * Makes a second process with clone(CLONE_VM | SIGCHLD), without CLONE_THREAD: its own pid
 * and thread group, the same mm (seed 001 (1)). Then the first takes private anonymous memory
 * at RATE_MB_S up to MAX_MB (bench/fill.h, as bench/grow does) and
 * waits. Killing one of the two frees nothing while the other lives: a killer must kill both.
 * Unlike tests/helpers/sharers, the second does not die with the first (no PR_SET_PDEATHSIG):
 * that is the point. The harness that starts it is a child subreaper and kills what is left.
 * Prints "ready PID1 PID2" once both exist. Exit status 1 when a mapping or clone fails, 2 on
 * bad usage.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../fill.h"

#define STACK_SIZE (256 * 1024)

/* The second process shares libc's state with the first: raw system calls only. */
static int sharer(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_pause);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fputs("usage: sharegrow RATE_MB_S MAX_MB\n", stderr);
		return 2;
	}
	double rate;
	size_t len;

	if (fill_args("sharegrow", argv[1], argv[2], &rate, &len))
		return 2;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (m == MAP_FAILED || stack == MAP_FAILED) {
		perror("sharegrow: mmap");
		return 1;
	}
	madvise(m, len, MADV_HUGEPAGE);
	int pid2 = clone(sharer, stack + STACK_SIZE, CLONE_VM | SIGCHLD, NULL);

	if (pid2 < 0) {
		perror("sharegrow: clone");
		return 1;
	}
	printf("ready %d %d\n", (int)getpid(), pid2);
	fflush(stdout);
	fill_at_rate(m, len, rate);
	for (;;)
		pause();
}
