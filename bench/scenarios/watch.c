/*
 * watch.c - the machine's memory over a scenario run, for bench/scenarios/run.
 *
 *   watch INTERVAL_MS [CGROUP_V1_DIR]
 *
 * Every INTERVAL_MS prints one line: CLOCK_MONOTONIC in ms (the clock of Python's
 * time.monotonic(), so a harness can line its own events up with it), MemAvailable (kB),
 * and the `full` and `some` totals (us) of /proc/pressure/memory; with a cgroup v1 memory
 * directory, a fifth figure: its memory.usage_in_bytes (kB), -1 once it cannot be read. It locks its memory and runs
 * SCHED_FIFO (priority 1; it sleeps between samples) so that a machine thrashing under the
 * scenario does not stall the measurement itself; each line is one write(2), no stdio buffer
 * to lose. It stops on SIGTERM or SIGINT. Exit status 1 when a file cannot be opened, 2 on
 * bad usage.
 */
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The number after key in the file open as fd; -1 when unreadable or absent. */
static long long field(int fd, const char *key)
{
	char buf[4096];
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);

	if (r <= 0)
		return -1;
	buf[r] = '\0';
	char *p = strstr(buf, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	long ms = argc >= 2 ? strtol(argv[1], NULL, 10) : 0;

	if (ms <= 0 || ms > 10000 || argc > 3) {
		fputs("usage: watch INTERVAL_MS [CGROUP_V1_DIR]\n", stderr);
		return 2;
	}
	int mfd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	int pfd = open("/proc/pressure/memory", O_RDONLY | O_CLOEXEC);

	int ufd = -1;

	if (argc == 3) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/memory.usage_in_bytes", argv[2]);
		ufd = open(path, O_RDONLY | O_CLOEXEC);
		if (ufd < 0) {
			perror(path);
			return 1;
		}
	}
	if (mfd < 0) {
		perror("watch: /proc/meminfo");
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	mlockall(MCL_CURRENT | MCL_FUTURE);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	struct sched_param sp = { .sched_priority = 1 };

	sched_setscheduler(0, SCHED_FIFO, &sp);
	struct timespec gap = { ms / 1000, (ms % 1000) * 1000000L };

	while (!stop) {
		char line[128];
		long long avail = field(mfd, "MemAvailable:");
		long long full = -1, some = -1;

		if (pfd >= 0) {
			char buf[512];
			ssize_t r = pread(pfd, buf, sizeof(buf) - 1, 0);

			if (r > 0) {
				buf[r] = '\0';
				/* "some ... total=N" is the first line, "full ... total=N" the second */
				char *s = strstr(buf, "total=");
				char *f = strstr(buf, "full");

				some = s ? strtoll(s + 6, NULL, 10) : -1;
				f = f ? strstr(f, "total=") : NULL;
				full = f ? strtoll(f + 6, NULL, 10) : -1;
			}
		}
		int n = snprintf(line, sizeof(line), "%.1f %lld %lld %lld", now_ms(), avail, full,
				 some);

		if (ufd >= 0) {
			char u[32];
			ssize_t r = pread(ufd, u, sizeof(u) - 1, 0);

			if (r > 0)
				u[r] = '\0';
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %lld",
				      r > 0 ? strtoll(u, NULL, 10) / 1024 : -1);
		}
		line[n++] = '\n';

		if (write(1, line, (size_t)n) != n)
			return 1;
		nanosleep(&gap, NULL);
	}
	return 0;
}
