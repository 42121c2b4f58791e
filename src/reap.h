/* reap.h - the reaper: one thread that frees victims' memory with process_mrelease(2) */
#ifndef OOMREAPER_REAP_H
#define OOMREAPER_REAP_H

#include <pthread.h>
#include <stdbool.h>

#include "kill.h"

enum reap_outcome {
	REAP_PENDING = 0,
	REAP_REAPED,		/* process_mrelease freed the address space */
	REAP_EXITED,		/* it exited first: its memory came back on its own */
	REAP_UNABLE,		/* EAGAIN/EINTR on every attempt: the mmap lock stayed taken */
	REAP_REFUSED,		/* EINVAL: a sharer still alive, or a core dump in progress */
	REAP_UNSUPPORTED,	/* ENOSYS: a kernel before 5.15 */
	REAP_ERROR,		/* anything else (reap_err says what) */
};

struct reap_opts {
	int proc_fd;
	int report_fd;		/* where the reap lines go */
	int delay_ms;		/* the wait for robust futexes to be released on exit */
	int retries;		/* process_mrelease attempts */
	int retry_ms;		/* between attempts */
	int (*mrelease)(int pidfd); /* sys_process_mrelease; a test may force ENOSYS */
};

/* Victims in flight at once: a bounded ring, no allocation per victim */
#define REAP_QUEUE_LEN 16
/* Threads of one victim checked for robust futexes; past this, assume one is held */
#define REAP_MAX_THREADS 4096

struct reaper {
	struct reap_opts o;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct victim *queue[REAP_QUEUE_LEN];
	int head, count;
	bool stop, started;
	int done_fd;		/* eventfd, readable after a victim's reap is finished */
	bool enosys_said;
	pid_t tids[REAP_MAX_THREADS];
};

/* Defaults the kernel's oom_reaper uses: 2 s delay, 10 attempts, 100 ms apart */
void reap_opts_default(struct reap_opts *o, int proc_fd);

/* Starts the reaper thread; everything it needs is in r. Returns 0 or -errno. */
int reaper_start(struct reaper *r, const struct reap_opts *o);

/*
 * Queues a victim whose members have had SIGKILL. The caller keeps v alive until
 * v->reap_done; the killer never waits on the reaper otherwise (docs/design.md,
 * invariant 4).
 * Returns 0, or -EBUSY when REAP_QUEUE_LEN victims are already in flight.
 */
int reaper_submit(struct reaper *r, struct victim *v);

/* Stops the thread after the victim it is reaping, if any. */
void reaper_stop(struct reaper *r);

/*
 * Whether a thread of a member of v holds a robust futex: its robust list (get_robust_list)
 * is not empty or has an operation pending (read with process_vm_readv). An exiting task
 * releases those from its own memory; a reap before that would leave waiters hanging.
 * Unknowable (a list unreadable, too many threads) counts as held.
 */
bool victim_holds_robust_futex(int proc_fd, const struct victim *v, pid_t *tids, int cap);

/*
 * Stand-ins for process_mrelease, for tests of what the machines here cannot stage:
 * "enosys" fails as on kernels before 5.15, "eagain" as when the victim's mmap lock stays
 * taken, "hang" blocks for ever as a reap stuck on that lock would. NULL for another name.
 */
int (*mrelease_test_hook(const char *name))(int pidfd);

/* Applies $OOMREAPER_TEST_MRELEASE (a hook's name) to o. Returns 0, or -EINVAL for a bad name */
int reap_opts_test_hook(struct reap_opts *o);

/* A short phrase for an outcome */
const char *reap_outcome_name(int outcome);

#endif
