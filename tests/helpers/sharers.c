/*
 * sharers.c - processes of one address space: `sharers MB [N [COMM]]`
 *
 * Allocates and touches MB MiB, then clone(CLONE_VM | SIGCHLD) without CLONE_THREAD N - 1
 * times (default once): more processes (each its own pid, its own thread group) that share
 * the first's mm, which __oom_kill_process() kills together. The first then takes the name
 * COMM, if given (the others keep "sharers"). Prints "ready PARENT CHILD..." and all wait to
 * be killed.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

/*
 * The child shares the parent's memory, libc state included: it makes raw system calls only.
 * It dies with its parent, so that it is not left behind as an orphan.
 */
static int child(void *arg)
{
	(void)arg;
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (;;)
		syscall(SYS_pause);
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	long mb;

	long count = 2;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: sharers MB [N [COMM]]\n");
		return 2;
	}
	if (argc >= 3) {
		errno = 0;
		count = strtol(argv[2], &end, 10);
		if (errno || end == argv[2] || *end || count < 2 || count > 10000) {
			fprintf(stderr, "sharers: N wants 2 to 10000, not '%s'\n", argv[2]);
			return 2;
		}
	}
	errno = 0;
	mb = strtol(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || mb < 0 || mb > 1L << 20) {
		fprintf(stderr, "sharers: MB wants a number, not '%s'\n", argv[1]);
		return 2;
	}
	size_t len = (size_t)mb << 20;
	long page = sysconf(_SC_PAGESIZE);
	char *mem = len ? malloc(len) : NULL;

	if (len && !mem) {
		fprintf(stderr, "sharers: cannot allocate %ld MiB\n", mb);
		return 1;
	}
	for (size_t i = 0; i < len; i += (size_t)page)
		mem[i] = 1;

	/* the line is made before the clones: they share our stdio, and use none of it */
	char *line = malloc((size_t)count * 12 + 16);

	if (!line) {
		fprintf(stderr, "sharers: cannot allocate\n");
		return 1;
	}
	int n = sprintf(line, "ready %d", (int)getpid());

	for (long i = 1; i < count; i++) {
		char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (stack == MAP_FAILED) {
			perror("sharers: mmap");
			return 1;
		}
		pid_t pid = clone(child, stack + STACK_SIZE, CLONE_VM | SIGCHLD, NULL);

		if (pid < 0) {
			perror("sharers: clone");
			return 1;
		}
		n += sprintf(line + n, " %d", (int)pid);
	}
	/* comm is each task's own: the clones keep theirs */
	if (argc == 4)
		prctl(PR_SET_NAME, argv[3], 0, 0, 0);
	printf("%s\n", line);
	fflush(stdout);
	for (;;)
		pause();
}
