/*
 * robust.c - a victim that holds a robust futex, and a process waiting on it: `robust MB`
 *
 * The parent puts a PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST mutex in a MAP_SHARED
 * anonymous page, then forks
 *   - the victim: it locks the mutex, allocates and touches MB MiB, and waits to be killed;
 *   - the survivor: it blocks in pthread_mutex_lock. When the victim dies, the kernel walks
 *     the victim's robust list (in the victim's own memory) on exit, marks the mutex
 *     FUTEX_OWNER_DIED and wakes the survivor, which gets EOWNERDEAD, prints "EOWNERDEAD",
 *     makes the mutex consistent, unlocks it and waits. Were the victim's memory reaped
 *     before its exit, the list would be gone and the survivor would wait for ever: the
 *     reason the kernel's oom_reaper waits before reaping (OOM_REAPER_DELAY).
 * The parent prints "ready VICTIM SURVIVOR" once the victim holds the mutex, then reaps its
 * children as they end and waits to be killed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The victim: takes the mutex, grows to mb MiB, tells the parent through fd, waits. */
static void victim(pthread_mutex_t *mu, long mb, int fd)
{
	size_t len = (size_t)mb << 20;
	long page = sysconf(_SC_PAGESIZE);
	char *mem = len ? malloc(len) : NULL;
	int r = pthread_mutex_lock(mu);

	if (r) {
		fprintf(stderr, "robust: victim: pthread_mutex_lock: %s\n", strerror(r));
		_exit(1);
	}
	if (len && !mem) {
		fprintf(stderr, "robust: victim: cannot allocate %ld MiB\n", mb);
		_exit(1);
	}
	for (size_t i = 0; i < len; i += (size_t)page)
		mem[i] = 1;
	if (write(fd, "x", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* The survivor: waits for the mutex and says how it got it. */
static void survivor(pthread_mutex_t *mu)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	int r = pthread_mutex_lock(mu);

	if (r == EOWNERDEAD) {
		pthread_mutex_consistent(mu);
		pthread_mutex_unlock(mu);
		printf("EOWNERDEAD\n");
	} else if (r == 0) {
		pthread_mutex_unlock(mu);
		printf("locked\n");
	} else {
		printf("error %s\n", strerror(r));
	}
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *mu;
	int fds[2];
	char *end, c;
	long mb;

	if (argc != 2) {
		fprintf(stderr, "usage: robust MB\n");
		return 2;
	}
	errno = 0;
	mb = strtol(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || mb < 0 || mb > 1L << 20) {
		fprintf(stderr, "robust: MB wants a number, not '%s'\n", argv[1]);
		return 2;
	}
	mu = mmap(NULL, sizeof(*mu), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mu == MAP_FAILED) {
		perror("robust: mmap");
		return 1;
	}
	if (pthread_mutexattr_init(&attr) ||
	    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) ||
	    pthread_mutex_init(mu, &attr)) {
		fprintf(stderr, "robust: cannot make a robust process-shared mutex\n");
		return 1;
	}
	if (pipe(fds)) {
		perror("robust: pipe");
		return 1;
	}
	fflush(stdout);
	pid_t v = fork();

	if (v < 0) {
		perror("robust: fork");
		return 1;
	}
	if (v == 0) {
		close(fds[0]);
		victim(mu, mb, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1) {
		fprintf(stderr, "robust: the victim did not take the mutex\n");
		return 1;
	}
	pid_t s = fork();

	if (s < 0) {
		perror("robust: fork");
		return 1;
	}
	if (s == 0)
		survivor(mu);
	printf("ready %d %d\n", (int)v, (int)s);
	fflush(stdout);
	/* reap the children as they end; then wait to be killed */
	for (;;)
		if (wait(NULL) < 0 && errno == ECHILD)
			pause();
}
