/* resident.h - keep in memory what the running daemon uses, and only that */
#ifndef OOMREAPER_RESIDENT_H
#define OOMREAPER_RESIDENT_H

#include <stddef.h>
#include <sys/types.h>

#include "reap.h"
#include "select.h"

/* What resident_trim() did, for the start-up line */
struct resident_trim {
	unsigned long dropped_kb;	/* file pages unmapped: start-up's, shared, still cached */
	unsigned long own_kb;		/* oomreaper's own code, locked whole */
	int skipped;			/* read-only file mappings left alone: they held private
					 * (copy-on-write) pages, which dropping would discard */
};

/*
 * Start-up runs code that never runs again (options, libinih, regcomp, stdio, the probe),
 * and the kernel maps up to 64 kB of a file around each page touched (fault-around): with
 * mlockall, 1.5 MB of libc and ld.so would stay locked for a loop that calls a few of
 * their functions. Unlocks, gives back the heap's free pages, unmaps the clean pages of
 * every read-only file mapping (they stay in the page cache, shared with every other
 * process), locks again on fault, and locks oomreaper's own code whole, so that every path
 * of its own is resident. What the loop and the kill path use of libc comes back on their
 * first run: resident_rehearse() makes that first run happen now. Start-up only: it reads
 * /proc/self/smaps with stdio. Returns 0 or -errno (the memory is locked again either way).
 */
int resident_trim(struct resident_trim *t);

/* What resident_rehearse() saw */
struct rehearsal {
	int outcome;			/* enum reap_outcome, or -errno of the step that failed */
	const char *failed;		/* the step, when outcome < 0 */
	long long kill_to_done_us;	/* SIGKILL to the reaper's word */
};

/*
 * The rehearsal's victim: a child that waits to be killed (and dies with the daemon). Made
 * before resident_trim(), so that fork's own pages are dropped with the rest. Returns its
 * pid or -errno.
 */
pid_t resident_understudy(void);

/*
 * Runs the kill path once, whole, on child (resident_understudy's): pidfd_open, the
 * start-time check, pidfd_send_signal(SIGKILL), the reaper (robust-futex check,
 * process_mrelease, its report, made but not written), the pidfd's exit, and waits for it.
 * The libc pages they use are faulted in and locked now, not when memory is short, and the
 * daemon learns that this kernel lets it kill and reap before it is needed. sel: any scope's
 * selector (the victim is gathered as a real one). v: storage for the rehearsal's victim,
 * which the reaper may hold until it gives its word. Blocks for at most about a second.
 * Returns 0 when the child was killed (r says how the reap went), or -errno (child < 0: its
 * fork's).
 */
int resident_rehearse(struct reaper *rp, const struct selector *sel, int proc_fd, pid_t child,
		      struct victim *v, struct rehearsal *r);

#endif
