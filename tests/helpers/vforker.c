/*
 * vforker.c - a parent held in vfork: `vforker MB`
 *
 * Allocates and touches MB MiB, then vfork(). The child borrows the parent's address space and
 * stays in it (it neither execs nor exits), so the parent sleeps uninterruptibly (state D) in
 * the kernel's wait_for_vfork_done(): the case of in_vfork(), where the kernel never chooses
 * the child. The child prints "ready PARENT CHILD" and waits to be killed; it dies with its
 * parent.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Appends the decimal digits of v to buf at *len, with raw arithmetic only. */
static void put_number(char *buf, size_t *len, long v)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[(*len)++] = digits[--n];
}

int main(int argc, char **argv)
{
	char *end;
	long mb;

	if (argc != 2) {
		fprintf(stderr, "usage: vforker MB\n");
		return 2;
	}
	errno = 0;
	mb = strtol(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || mb < 0 || mb > 1L << 20) {
		fprintf(stderr, "vforker: MB wants a number, not '%s'\n", argv[1]);
		return 2;
	}
	size_t len = (size_t)mb << 20;
	long page = sysconf(_SC_PAGESIZE);
	char *mem = len ? malloc(len) : NULL;

	if (len && !mem) {
		fprintf(stderr, "vforker: cannot allocate %ld MiB\n", mb);
		return 1;
	}
	for (size_t i = 0; i < len; i += (size_t)page)
		mem[i] = 1;

	/* the line is made before vfork: the child only adds its pid and writes it */
	static char line[64];
	static size_t n;

	memcpy(line, "ready ", 6);
	n = 6;
	put_number(line, &n, (long)getpid());
	line[n++] = ' ';
	fflush(stdout);

	pid_t pid = vfork();

	if (pid == 0) {
		/* the child: raw system calls only, no libc buffers, no return from main */
		syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		put_number(line, &n, syscall(SYS_getpid));
		line[n++] = '\n';
		syscall(SYS_write, 1, line, n);
		for (;;)
			syscall(SYS_pause);
	}
	if (pid < 0) {
		perror("vforker: vfork");
		return 1;
	}
	/* the child was killed: nothing holds the parent any more */
	for (;;)
		pause();
}
