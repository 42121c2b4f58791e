/*
 * storm.c - the culprits of the forkstorm scenario: many equal processes, each growing slowly.
 *
 *   storm N PER_S START_KB GROW_KB_S MAX_KB
 *
 * Stops itself (SIGSTOP) until the harness lets it go (SIGCONT), then forks N children at
 * PER_S a second (in bursts every millisecond, catching up by the clock). Each child writes
 * START_KB of private anonymous memory at once, then GROW_KB_S more a second, in steps of
 * 250 ms, up to MAX_KB, and waits to be killed: all alike, none ahead of the others but by its
 * age. The parent waits for its children and writes one line per child that ends, with
 * write(2): "dead PID SIGNAL T_MS" (SIGNAL 0 when it exited; T_MS on CLOCK_MONOTONIC, the
 * clock of Python's time.monotonic()), and "spawned N T_MS" when all are forked. A child
 * dies with its parent (PR_SET_PDEATHSIG). Exit status 2 on bad usage, 1 when fork fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define STEP_MS 250

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void say(const char *s)
{
	size_t n = strlen(s);

	if (write(1, s, n) != (ssize_t)n)
		_exit(1);
}

static void child(long start_kb, long grow_kb_s, long max_kb)
{
	size_t len = (size_t)max_kb << 10, done = 0, want = (size_t)start_kb << 10;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec step = { 0, STEP_MS * 1000000L };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (m == MAP_FAILED)
		_exit(1);
	madvise(m, len, MADV_NOHUGEPAGE);
	for (;;) {
		for (; done < want && done < len; done += PAGE)
			m[done] = 1;
		if (done >= len)
			break;
		nanosleep(&step, NULL);
		want += (size_t)grow_kb_s * 1024 * STEP_MS / 1000;
	}
	for (;;)
		pause();
}

static void reap(void)
{
	char line[96];
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		snprintf(line, sizeof(line), "dead %d %d %.1f\n", (int)pid,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0, now_ms());
		say(line);
	}
}

int main(int argc, char **argv)
{
	long v[5];

	if (argc != 6) {
		fputs("usage: storm N PER_S START_KB GROW_KB_S MAX_KB\n", stderr);
		return 2;
	}
	for (int i = 0; i < 5; i++) {
		char *end;

		v[i] = strtol(argv[i + 1], &end, 10);
		if (*end || end == argv[i + 1] || v[i] <= 0 || v[i] > 1L << 30) {
			fprintf(stderr, "storm: bad %s\n", argv[i + 1]);
			return 2;
		}
	}
	if (v[2] > v[4]) {
		fputs("storm: START_KB above MAX_KB\n", stderr);
		return 2;
	}
	raise(SIGSTOP);
	double t0 = now_ms();
	char line[64];
	long n = 0;

	while (n < v[0]) {
		long due = (long)((now_ms() - t0) * (double)v[1] / 1e3) + 1;

		for (; n < v[0] && n < due; n++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("storm: fork");
				return 1;
			}
			if (pid == 0)
				child(v[2], v[3], v[4]);
		}
		reap();
		struct timespec ms = { 0, 1000000L };

		nanosleep(&ms, NULL);
	}
	snprintf(line, sizeof(line), "spawned %ld %.1f\n", n, now_ms());
	say(line);
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0 && errno == ECHILD)
			return 0;
		if (pid < 0)
			continue;
		snprintf(line, sizeof(line), "dead %d %d %.1f\n", (int)pid,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0, now_ms());
		say(line);
	}
}
