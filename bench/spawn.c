/*
 * spawn.c - fills the machine with processes for the scan benchmark.
 *
 *   spawn N [HOG_MB]
 *
 * Forks a hog that touches HOG_MB MB (the clear victim), then N sleepers that only pause().
 * Start it inside the cgroup the benchmark made: its children inherit that cgroup. Prints
 * "ready N HOG_PID" once all exist, then waits for EOF on stdin, SIGKILLs its own children,
 * reaps them and exits 0. Children die with it (PR_SET_PDEATHSIG) if it is killed first.
 * Exit status 1 when a fork fails (the children made so far are killed and reaped).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t *kids;
static int nkids;

/* A child that dies with the spawner, so that a crashed benchmark leaves nothing behind */
static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
}

/* The hog: HOG_MB MB of anonymous memory, every page written, then a byte to say so */
static void hog(size_t mb, int done_fd)
{
	size_t len = mb << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		_exit(1);
	for (size_t o = 0; o < len; o += 4096)
		m[o] = 1;
	if (write(done_fd, "h", 1) != 1)
		_exit(1);
	close(done_fd);
	for (;;)
		pause();
}

/* SIGKILLs and reaps every child made so far: they are ours and unreaped, so no pid reuse */
static void reap_all(void)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < nkids; i++)
		while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
			;
	nkids = 0;
}

int main(int argc, char **argv)
{
	char buf[256];
	pid_t self = getpid();
	pid_t hog_pid = 0;

	if (argc < 2 || argc > 3) {
		fputs("usage: spawn N [HOG_MB]\n", stderr);
		return 2;
	}
	long n = strtol(argv[1], NULL, 10);
	long mb = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	if (n < 0 || n > 1000000 || mb < 0 || mb > 1L << 20) {
		fputs("spawn: N or HOG_MB out of range\n", stderr);
		return 2;
	}
	kids = calloc((size_t)n + 1, sizeof(*kids));
	if (!kids) {
		perror("spawn: calloc");
		return 1;
	}
	if (mb > 0) {
		int p[2];

		if (pipe(p)) {
			perror("spawn: pipe");
			return 1;
		}
		hog_pid = fork();
		if (hog_pid < 0) {
			perror("spawn: fork");
			return 1;
		}
		if (hog_pid == 0) {
			close(p[0]);
			die_with_parent(self);
			hog((size_t)mb, p[1]);
		}
		kids[nkids++] = hog_pid;
		close(p[1]);
		if (read(p[0], buf, 1) != 1) {
			fputs("spawn: the hog failed\n", stderr);
			reap_all();
			return 1;
		}
		close(p[0]);
	}
	for (long i = 0; i < n; i++) {
		pid_t c = fork();

		if (c < 0) {
			fprintf(stderr, "spawn: fork %ld of %ld: %s\n", i + 1, n, strerror(errno));
			reap_all();
			return 1;
		}
		if (c == 0) {
			die_with_parent(self);
			for (;;)
				pause();
		}
		kids[nkids++] = c;
	}
	printf("ready %ld %d\n", n, (int)hog_pid);
	fflush(stdout);
	/* told to stop by EOF (or an error) on stdin */
	while (read(0, buf, sizeof(buf)) > 0)
		;
	reap_all();
	return 0;
}
