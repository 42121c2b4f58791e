/*
 * storm.c - a fork storm that has settled: `storm N MB`
 *
 * Forks N children, each of which allocates MB MiB and touches every page, so that all of it
 * is resident, then sleeps until killed; prints "ready PID" once every child has touched its
 * memory, and sleeps too. N + 1 processes in the cgroup it was started in, none of them large:
 * the case where the largest single process is a bystander, and the cgroup is the culprit.
 * N is bounded so that a failing test cannot fill the machine.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "number.h"

#define STORM_MAX 2000

/* where the memory is kept: a store the compiler must make, or it drops the allocation */
static char *volatile kept;

static void child(int fd, long mb)
{
	size_t len = (size_t)mb << 20;
	char *p = malloc(len);

	if (!p)
		_exit(1);
	memset(p, 1, len);
	kept = p;
	if (write(fd, "x", 1) != 1)
		_exit(1);
	close(fd);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	long n, mb;
	int fds[2];
	char c;

	if (argc != 3) {
		fprintf(stderr, "usage: storm N MB\n");
		return 2;
	}
	n = number("storm", "N", argv[1], 1, STORM_MAX);
	mb = number("storm", "MB", argv[2], 0, 1024);
	if (pipe(fds))
		return 1;
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(fds[0]);
			child(fds[1], mb);
		}
	}
	close(fds[1]);
	for (long i = 0; i < n; i++)
		if (read(fds[0], &c, 1) != 1)
			return 1;
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
