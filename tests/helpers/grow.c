/*
 * grow.c - a process that fills memory at a known pace:
 * `grow RATE_MB_S MAX_MB [--comm NAME] [--unmapped]`
 *
 * Takes NAME as its comm when asked, prints "ready", then writes to fresh anonymous pages at
 * about RATE MiB a second (a slice every few milliseconds, paced against the clock, so a
 * stall in the kernel does not make it run faster afterwards than the average asks) until
 * MAX MiB are resident, and then waits to be killed. The end-to-end tests of the daemon use
 * it as the hog it must catch before the cgroup reaches its limit. With --unmapped the memory
 * is a memfd it never maps, allocated with fallocate(): shmem charged to its cgroup but in no
 * process's RSS, so that the cgroup runs short while nobody's badness grows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "number.h"

/* Pages are touched in slices this far apart: fine enough to look continuous to a sampler
 * that wakes every 10 ms, coarse enough to cost nothing */
#define SLICE_NS 5000000LL

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *comm = NULL;
	bool unmapped = false;
	long rate, max;
	int i;

	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			comm = argv[++i];
		else if (!strcmp(argv[i], "--unmapped"))
			unmapped = true;
		else
			break;
	}
	if (argc < 3 || i < argc) {
		fprintf(stderr, "usage: grow RATE_MB_S MAX_MB [--comm NAME] [--unmapped]\n");
		return 2;
	}
	rate = number("grow", "RATE_MB_S", argv[1], 1, 1L << 20);
	max = number("grow", "MAX_MB", argv[2], 0, 1L << 20);
	if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0)) {
		perror("grow: PR_SET_NAME");
		return 1;
	}
	size_t len = (size_t)max << 20, page = (size_t)sysconf(_SC_PAGESIZE), done = 0;
	/* reserved at once, made resident page by page below */
	char *p = len && !unmapped ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
					  MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) : NULL;
	int fd = unmapped ? memfd_create("grow", MFD_CLOEXEC) : -1;

	if (unmapped && fd < 0) {
		fprintf(stderr, "grow: memfd_create: %s\n", strerror(errno));
		return 1;
	}
	if (p == MAP_FAILED) {
		fprintf(stderr, "grow: cannot map %ld MiB: %s\n", max, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	long long start = now_ns();
	double bytes_per_ns = (double)rate * (1 << 20) / 1e9;

	while (done < len) {
		/* where the clock says it should be by now */
		size_t want = (size_t)((double)(now_ns() - start) * bytes_per_ns);

		if (want > len)
			want = len;
		want = want / page * page;
		if (fd >= 0 && want > done &&
		    fallocate(fd, 0, (off_t)done, (off_t)(want - done))) {
			fprintf(stderr, "grow: fallocate: %s\n", strerror(errno));
			return 1;
		}
		for (; fd < 0 && done < want; done += page)
			p[done] = 1;
		if (fd >= 0 && want > done)
			done = want;
		struct timespec slice = { 0, SLICE_NS };

		nanosleep(&slice, NULL);
	}
	/* SIGTERM and SIGKILL keep their default action: it ends at once */
	for (;;)
		pause();
}
