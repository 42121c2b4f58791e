/*
 * reader.c - the innocent of the thrash scenario: re-reads a set of files for ever.
 *
 *   reader FILE...
 *
 * Reads every FILE from start to end with read(2), 1 MiB at a time, then again, until killed:
 * its working set is their page cache. After each full pass it prints "pass N MS" (the pass's
 * length in ms) on stdout, so that a harness sees how far a thrashing machine slowed it; after
 * every 64 MiB read, "read T_MS MB" (CLOCK_MONOTONIC, the clock of Python's time.monotonic(),
 * and the MiB read so far), so that its throughput can be had over any stretch of time.
 * Exit status 1 when a file cannot be opened, 2 on bad usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)
#define MARK_MB 64

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	long long mb = 0;

	if (argc < 2) {
		fputs("usage: reader FILE...\n", stderr);
		return 2;
	}
	for (long pass = 1;; pass++) {
		double t0 = now_ms();

		for (int i = 1; i < argc; i++) {
			int fd = open(argv[i], O_RDONLY | O_CLOEXEC);

			if (fd < 0) {
				perror(argv[i]);
				return 1;
			}
			while (read(fd, buf, CHUNK) > 0)
				if (++mb % MARK_MB == 0) {
					printf("read %.1f %lld\n", now_ms(), mb);
					fflush(stdout);
				}
			close(fd);
		}
		printf("pass %ld %.0f\n", pass, now_ms() - t0);
		fflush(stdout);
	}
}
