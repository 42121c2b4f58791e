/*
 * bystander.c - an innocent for the workload benchmark (bench/workloads/run).
 *
 *   bystander MB RATE_MB_S
 *
 * Maps MB MiB of private anonymous memory and writes one byte in each page at RATE_MB_S MiB/s
 * (its start-up: a small fill that stops), prints "ready" on stdout, then every 10 ms writes
 * one byte in each page again: a process that keeps using its memory. It measures the time
 * between the starts of two rounds (10 ms plus the round itself when nothing stalls it) and
 * prints "worst US" each time that largest gap grows, so the last such line is its worst gap
 * even when it is killed. Exit status 2 on bad usage, 1 when the mapping failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define ROUND_NS 10000000L

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void say(const char *text)
{
	size_t len = strlen(text);

	/* write(2), not stdio: the harness reads the pipe after the bystander may be dead */
	while (len) {
		ssize_t n = write(1, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= n;
	}
}

static long number(const char *what, const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max) {
		fprintf(stderr, "bystander: %s '%s': want a whole number from 1 to %ld\n", what,
			s, max);
		return -1;
	}
	return v;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	long mb, rate;

	if (argc != 3) {
		fputs("usage: bystander MB RATE_MB_S\n", stderr);
		return 2;
	}
	mb = number("MB", argv[1], 1 << 20);
	rate = number("RATE_MB_S", argv[2], 1 << 20);
	if (mb < 0 || rate < 0)
		return 2;

	size_t len = (size_t)mb << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		perror("bystander: mmap");
		return 1;
	}

	/* the start-up fill: one MiB at a time, each on the wall clock's schedule */
	long long t0 = now_ns();

	for (long i = 0; i < mb; i++) {
		long long due = t0 + i * 1000000000LL / rate;
		long long wait = due - now_ns();

		if (wait > 0) {
			struct timespec ts = { wait / 1000000000LL, wait % 1000000000LL };

			nanosleep(&ts, NULL);
		}
		for (size_t off = 0; off < 1 << 20; off += page)
			m[((size_t)i << 20) + off] = 1;
	}
	say("ready\n");

	long long last = now_ns(), worst = 0;
	unsigned char round = 0;

	for (;;) {
		struct timespec ts = { 0, ROUND_NS };

		nanosleep(&ts, NULL);
		long long start = now_ns();

		if (start - last > worst) {
			char buf[48];

			worst = start - last;
			snprintf(buf, sizeof(buf), "worst %lld\n", worst / 1000);
			say(buf);
		}
		last = start;
		round++;
		for (size_t off = 0; off < len; off += page)
			m[off] = round;
	}
}
