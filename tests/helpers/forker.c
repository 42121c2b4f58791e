/*
 * forker.c - a bounded fork bomb: `forker MAX`
 *
 * Prints "ready PID" once its first children are there, then goes on forking: a child every
 * 2 ms, each of which forks one grandchild of its own after 20 ms, until MAX processes in all
 * (itself included) were made; then it waits to be killed. Every one of them just sleeps. A
 * group kill of its cgroup must empty it although members appear while it is killed. The
 * bound keeps a failing test from filling the machine.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "number.h"

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A child: one grandchild after 20 ms, then sleep for ever (until killed) */
static void child(void)
{
	nap_ms(20);
	if (fork() == 0)
		for (;;)
			pause();
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: forker MAX\n");
		return 2;
	}
	long max = number("forker", "MAX", argv[1], 3, 100000);

	/* the parent's exit notices are of no use: no zombies left to the harness */
	signal(SIGCHLD, SIG_IGN);
	long made = 1;

	for (; made + 2 <= max; made += 2) {
		pid_t p = fork();

		if (p < 0)
			break;
		if (p == 0)
			child();
		if (made == 1) {
			printf("ready %d\n", (int)getpid());
			fflush(stdout);
		}
		nap_ms(2);
	}
	for (;;)
		pause();
}
