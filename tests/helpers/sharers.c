/*
 * sharers.c - two processes, one address space: `sharers MB`
 *
 * Allocates and touches MB MiB, then clone(CLONE_VM | SIGCHLD) without CLONE_THREAD: a second
 * process (its own pid, its own thread group) that shares the first's mm, as in seed 001 (1).
 * Prints "ready PARENT CHILD" and both wait to be killed.
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

	if (argc != 2) {
		fprintf(stderr, "usage: sharers MB\n");
		return 2;
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

	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (stack == MAP_FAILED) {
		perror("sharers: mmap");
		return 1;
	}
	fflush(stdout);
	pid_t pid = clone(child, stack + STACK_SIZE, CLONE_VM | SIGCHLD, NULL);

	if (pid < 0) {
		perror("sharers: clone");
		return 1;
	}
	printf("ready %d %d\n", (int)getpid(), (int)pid);
	fflush(stdout);
	for (;;)
		pause();
}
