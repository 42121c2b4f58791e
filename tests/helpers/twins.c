/*
 * twins.c - equal processes: `twins N MB`
 *
 * Allocates MB MiB and touches every page, then forks N children that each write every page
 * again (so each holds its own copy), and prints "ready PID..." with the children's pids,
 * oldest first; then waits to be killed. Forks of one image, with the same pages touched,
 * have the same RSS and page tables: the kernel's badness ties among them, and the youngest
 * wins the tie (select_bad_process() keeps the last of equals). The parent lets its own copy
 * go once they are made, and is left the smallest.
 * The children die with the parent (PR_SET_PDEATHSIG).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "number.h"

#define TWINS_MAX 64

static void touch(char *m, size_t len, char v)
{
	for (size_t o = 0; o < len; o += 4096)
		m[o] = v;
}

int main(int argc, char **argv)
{
	pid_t kids[TWINS_MAX];
	long n, mb;
	int p[2];
	char c;

	if (argc != 3) {
		fputs("usage: twins N MB\n", stderr);
		return 2;
	}
	n = number("twins", "N", argv[1], 1, TWINS_MAX);
	mb = number("twins", "MB", argv[2], 1, 1 << 20);
	size_t len = (size_t)mb << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || pipe(p)) {
		perror("twins");
		return 1;
	}
	touch(m, len, 1);
	pid_t self = getpid();

	for (long i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("twins: fork");
			return 1;
		}
		if (kids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(0);
			touch(m, len, 2);
			if (write(p[1], "x", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
	}
	for (long i = 0; i < n; i++)
		if (read(p[0], &c, 1) != 1) {
			fputs("twins: a child failed\n", stderr);
			return 1;
		}
	/* the parent is no twin: it lets its copy go, and is left the smallest */
	munmap(m, len);
	printf("ready");
	for (long i = 0; i < n; i++)
		printf(" %d", (int)kids[i]);
	printf("\n");
	fflush(stdout);
	for (;;)
		pause();
}
