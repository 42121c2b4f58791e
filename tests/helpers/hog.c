/*
 * hog.c - a process of a known size:
 * `hog MB [--adj N] [--comm NAME] [--ignore-term] [--tag TEXT]...`
 *
 * Raises its own oom_score_adj to N when asked (raising needs no capability), takes NAME as
 * its comm (any bytes: newlines, parentheses, invalid UTF-8), ignores SIGTERM when asked (a
 * victim that only SIGKILL ends, for the tests of the grace period), carries each TEXT in its
 * command line and does nothing with it (what a cmdline rule sees), allocates MB MiB
 * and touches every page so that all of it is resident, prints "ready", then waits to be
 * killed. The end-to-end tests rank these against each other and against the kernel's score.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "number.h"

/* Writes adj to /proc/self/oom_score_adj. Returns 0 or -errno. */
static int set_adj(long adj)
{
	char buf[16];
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	int len = snprintf(buf, sizeof(buf), "%ld\n", adj);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/* Allocates mb MiB and writes to every page of it, so every page is resident. */
static char *touch(long mb)
{
	size_t len = (size_t)mb << 20;
	long page = sysconf(_SC_PAGESIZE);
	char *p = len ? malloc(len) : NULL;

	if (len && !p)
		return NULL;
	for (size_t i = 0; i < len; i += (size_t)page)
		p[i] = 1;
	return p ? p : (char *)"";
}

int main(int argc, char **argv)
{
	long mb, adj = 0;
	int have_adj = 0, ignore_term = 0;
	const char *comm = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: hog MB [--adj N] [--comm NAME] [--ignore-term] "
				"[--tag TEXT]...\n");
		return 2;
	}
	mb = number("hog", "MB", argv[1], 0, 1L << 20);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--ignore-term")) {
			ignore_term = 1;
		} else if (i + 1 == argc) {
			fprintf(stderr, "hog: '%s' wants a value\n", argv[i]);
			return 2;
		} else if (!strcmp(argv[i], "--adj")) {
			adj = number("hog", "--adj", argv[++i], -1000, 1000);
			have_adj = 1;
		} else if (!strcmp(argv[i], "--comm")) {
			comm = argv[++i];
		} else if (!strcmp(argv[i], "--tag")) {
			i++;
		} else {
			fprintf(stderr, "hog: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (have_adj) {
		int r = set_adj(adj);

		if (r) {
			fprintf(stderr, "hog: oom_score_adj %ld: %s\n", adj, strerror(-r));
			return 1;
		}
	}
	/* any bytes but NUL, cut to 15 by the kernel: for the parsers' and escapers' sake */
	if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0)) {
		perror("hog: PR_SET_NAME");
		return 1;
	}
	if (ignore_term && signal(SIGTERM, SIG_IGN) == SIG_ERR) {
		perror("hog: signal");
		return 1;
	}
	if (!touch(mb)) {
		fprintf(stderr, "hog: cannot allocate %ld MiB\n", mb);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	/* SIGTERM (unless ignored) and SIGKILL keep their default action: it ends at once */
	for (;;)
		pause();
}
