/*
 * probe.c - an innocent's own stall, for bench/scenarios/run.
 *
 *   probe ANON_MB FILE [--mlock]
 *
 * A program that does a little work every 10 ms, as an interactive one would: it writes one
 * byte in each page of ANON_MB MiB of private anonymous memory and reads one byte in each page
 * of FILE (mapped shared, read-only: a program's data file), then sleeps to the next 10 ms
 * tick. Its working set is those pages and its own code. Without --mlock nothing keeps them
 * resident but their use, as for almost every program: under pressure its file pages (FILE,
 * its code, libc's) may be reclaimed and read back from disk. With --mlock (mlockall) they
 * stay, and what is left is waiting for a CPU and for the kernel's locks.
 *
 * The gap is the time from the end of one round to the end of the next (10 ms when nothing
 * stalls). Once a second, and at once after any gap over 50 ms, it writes one line with
 * write(2): "gap T_MS MAX_MS", the CLOCK_MONOTONIC time (the clock of Python's
 * time.monotonic()) and the largest gap since the last line. Prints "ready" when its working
 * set is in. Exit status 1 when the memory or the file cannot be had, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define TICK_NS 10000000LL
#define REPORT_NS 1000000000LL
#define LONG_GAP_NS 50000000LL

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void say(const char *s)
{
	size_t n = strlen(s);

	if (write(1, s, n) != (ssize_t)n)
		exit(1);
}

int main(int argc, char **argv)
{
	char *end;
	long mb = argc >= 3 ? strtol(argv[1], &end, 10) : 0;

	if (argc < 3 || argc > 4 || *end || mb <= 0 || mb > 4096 ||
	    (argc == 4 && strcmp(argv[3], "--mlock"))) {
		fputs("usage: probe ANON_MB FILE [--mlock]\n", stderr);
		return 2;
	}
	size_t alen = (size_t)mb << 20;
	char *anon = mmap(NULL, alen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (anon == MAP_FAILED || fd < 0 || fstat(fd, &st) || st.st_size < (off_t)PAGE) {
		perror("probe");
		return 1;
	}
	size_t flen = (size_t)st.st_size;
	const volatile char *file = mmap(NULL, flen, PROT_READ, MAP_SHARED, fd, 0);

	if (file == MAP_FAILED) {
		perror("probe: mmap");
		return 1;
	}
	if (argc == 4 && mlockall(MCL_CURRENT | MCL_FUTURE)) {
		perror("probe: mlockall");
		return 1;
	}
	unsigned sum = 0;
	long long last = now_ns(), next = last, said = last, worst = 0;
	char line[64];

	for (long round = 0;; round++) {
		for (size_t i = 0; i < alen; i += PAGE)
			anon[i] = (char)round;
		for (size_t i = 0; i < flen; i += PAGE)
			sum += (unsigned char)file[i];
		long long t = now_ns(), gap = t - last;

		last = t;
		if (round == 0)
			say("ready\n");
		else if (gap > worst)
			worst = gap;
		if (t - said >= REPORT_NS || worst > LONG_GAP_NS) {
			snprintf(line, sizeof(line), "gap %.1f %.1f\n", (double)t / 1e6,
				 (double)worst / 1e6);
			say(line);
			said = t;
			worst = 0;
		}
		/* the next tick; one that is already past is not caught up in a burst */
		next += TICK_NS;
		if (next < t)
			next = t;
		struct timespec ts = { next / 1000000000LL, next % 1000000000LL };

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return (int)(sum & 0);
}
