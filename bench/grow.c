/*
 * grow.c - a hog that takes memory at a set rate, for the daemon benchmark.
 *
 *   grow RATE_MB_S MAX_MB [--stop]
 *
 * Maps MAX_MB MiB of private anonymous memory and writes one byte in each page at RATE_MB_S
 * MiB/s, in steps of at most 1 ms (so the fill is smooth at the scale a 1 ms poller sees),
 * catching up by wall clock when a step ran late; at MAX_MB it stops growing and waits to be
 * killed. It never takes more than MAX_MB: the benchmark gives a bound under which the
 * machine keeps plenty of memory even when no daemon kills it. With --stop it stops itself
 * (SIGSTOP) before it takes anything, so that the benchmark can start its poller and the
 * daemons and then let it go with SIGCONT at a moment it knows. SIGTERM is left at its
 * default (it kills), so that a SIGTERM-first killer (earlyoom) ends it too.
 * With GROW_START_MB=N in its environment it writes the first N MiB at once, before it stops
 * (a process of that size to begin with), and grows from there.
 * With GROW_UNMAPPED=1 it takes the memory as pages of a memfd it never maps (fallocate()):
 * shmem charged to its memory cgroup but in no process's RSS, so that it raises nobody's
 * badness (the benchmark's tie sets: the memory runs short while every candidate stays equal).
 * Prints "full" on stdout when it reached MAX_MB. Exit status 2 on bad usage, 1 when the
 * mapping failed.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fill.h"

/* fill_paced()'s step for GROW_UNMAPPED: the memfd's pages [from, to) allocated */
static void take_unmapped(void *ctx, size_t from, size_t to)
{
	if (fallocate(*(int *)ctx, 0, (off_t)from, (off_t)(to - from))) {
		perror("grow: fallocate");
		exit(1);
	}
}

/* GROW_UNMAPPED: len bytes of a memfd at rate, never mapped; the fd stays open till the end */
static int grow_unmapped(size_t len, double rate, int stop)
{
	int fd = memfd_create("grow", MFD_CLOEXEC);

	if (fd < 0) {
		perror("grow: memfd_create");
		return 1;
	}
	if (stop)
		raise(SIGSTOP);
	fill_paced(len, rate, take_unmapped, &fd);
	puts("full");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--stop"))) {
		fputs("usage: grow RATE_MB_S MAX_MB [--stop]\n", stderr);
		return 2;
	}
	double rate;
	size_t len;

	if (fill_args("grow", argv[1], argv[2], &rate, &len))
		return 2;
	if (getenv("GROW_UNMAPPED"))
		return grow_unmapped(len, rate, argc == 4);
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		perror("grow: mmap");
		return 1;
	}
	/* 2 MiB pages where the kernel gives them: one fault per 2 MiB, not per 4 KiB, so
	 * that a fill of 2 GB/s is within reach of one core */
	if (getenv("GROW_SMALL_PAGES") == NULL)
		madvise(m, len, MADV_HUGEPAGE);
	const char *start_s = getenv("GROW_START_MB");
	size_t start = start_s ? (size_t)strtoul(start_s, NULL, 10) << 20 : 0;

	if (start > len)
		start = len;
	for (size_t i = 0; i < start; i += FILL_PAGE)
		m[i] = 1;
	/* the benchmark lets it go (SIGCONT) at a moment it knows */
	if (argc == 4)
		raise(SIGSTOP);
	fill_at_rate(m + start, len - start, rate);
	puts("full");
	fflush(stdout);
	for (;;)
		pause();
}
