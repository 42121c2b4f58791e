/* victim_state.h - the benchmarks' pollers: has a victim been hit yet? */
#ifndef BENCH_VICTIM_STATE_H
#define BENCH_VICTIM_STATE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* include/linux/sched.h: the task is in do_exit() */
#define PF_EXITING 0x4

/*
 * Whether the process whose /proc/PID/stat is open as fd has been hit: one of the signals in
 * mask pending (field 31, thread-private: a fatal signal is queued on every thread) or the
 * task exiting (field 9); a process gone counts as hit. Returns 1, 0, or -1 when unreadable.
 */
static inline int seen_signalled(int fd, unsigned long long mask)
{
	char buf[1024];
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);

	if (r <= 0)
		return errno == ESRCH || r == 0 ? 1 : -1;
	buf[r] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long long flags = 0, sig = 0;

	if (!p)
		return -1;
	p += 2;
	/* p is at field 3 (state); flags is field 9, the pending signals field 31 */
	for (int field = 3; field <= 31 && p; field++) {
		if (field == 9)
			flags = strtoull(p, NULL, 10);
		if (field == 31)
			sig = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return (flags & PF_EXITING) || (sig & mask) ? 1 : 0;
}

#endif
