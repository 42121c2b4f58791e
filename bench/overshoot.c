/*
 * overshoot.c - how far under a threshold the machine's available memory fell before a
 * daemon killed the hog that was filling it, and how long after the crossing the kill came.
 *
 *   overshoot -p PID -t THRESHOLD_KB [-i INTERVAL_US] [-T TIMEOUT_MS] [-a AFTER_MS] [-c]
 *
 * Opens /proc/meminfo, the hog's /proc/PID/stat and a pidfd on it, reads one sample, takes
 * t0 (CLOCK_MONOTONIC) and with -c lets the hog go (SIGCONT through the pidfd: bench/grow
 * --stop waits for it). From then on it samples every INTERVAL_US (default 1000): MemAvailable
 * and the hog's state. It stops AFTER_MS (default 100) after the hog was seen gone, or at
 * TIMEOUT_MS (default 20000).
 *   crossing = the first sample with MemAvailable under THRESHOLD_KB;
 *   kill     = the first sample at which the hog has SIGKILL (or SIGTERM) pending (stat
 *              field 31; a fatal signal's default action also queues SIGKILL on every
 *              thread), is exiting (PF_EXITING, field 9), or is gone (pidfd readable, or
 *              its stat unreadable).
 * Prints `key=value` lines, times in ms from t0, sizes in kB:
 *   start_kb       MemAvailable before t0
 *   cross_ms       the crossing (-1: none before the end)
 *   kill_ms        the kill (-1: not seen)
 *   exit_ms        the hog's pidfd readable (-1: not seen)
 *   min_kb         the lowest MemAvailable from t0 to the kill sample, both included (to the
 *                  end when there was no kill)
 *   kill_avail_kb  MemAvailable at the kill sample
 *   min_after_kb   the lowest MemAvailable over the whole run (the fill may go on a little
 *                  while the kill lands)
 *   fill_mb_s      the fill rate measured from the first sample 128 MiB under start_kb to the
 *                  last sample before the kill (-1 when too short to tell)
 *   samples, max_gap_ms, end_ms
 *   fifo           1 when it ran SCHED_FIFO (priority 1), 0 when it could not
 * Exit status 0 when measured, 1 when it could not (a file, the pidfd), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "victim_state.h"

#define FATAL_BITS ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGTERM - 1)))

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* MemAvailable, in kB, of /proc/meminfo open as fd. Returns it, or -1. */
static long long mem_available(int fd)
{
	char buf[4096];
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);

	if (r <= 0)
		return -1;
	buf[r] = '\0';
	char *p = strstr(buf, "MemAvailable:");

	return p ? strtoll(p + 13, NULL, 10) : -1;
}

/* Whether the victim has been hit: see victim_state.h */
static int seen_killed(int fd)
{
	return seen_signalled(fd, FATAL_BITS);
}

static void usage(void)
{
	fputs("usage: overshoot -p PID -t THRESHOLD_KB [-i INTERVAL_US] [-T TIMEOUT_MS] "
	      "[-a AFTER_MS] [-c]\n", stderr);
}

int main(int argc, char **argv)
{
	long interval_us = 1000, timeout_ms = 20000, after_ms = 100;
	long long thresh = -1;
	int o, pid = 0, cont = 0;

	while ((o = getopt(argc, argv, "p:t:i:T:a:c")) != -1) {
		switch (o) {
		case 'p': pid = atoi(optarg); break;
		case 't': thresh = strtoll(optarg, NULL, 10); break;
		case 'i': interval_us = strtol(optarg, NULL, 10); break;
		case 'T': timeout_ms = strtol(optarg, NULL, 10); break;
		case 'a': after_ms = strtol(optarg, NULL, 10); break;
		case 'c': cont = 1; break;
		default:
			usage();
			return 2;
		}
	}
	if (pid <= 0 || thresh <= 0 || interval_us < 0 || timeout_ms <= 0 || after_ms < 0 ||
	    optind != argc) {
		usage();
		return 2;
	}
	char path[64];
	int mfd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int sfd = open(path, O_RDONLY | O_CLOEXEC);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (mfd < 0 || sfd < 0 || pidfd < 0) {
		fprintf(stderr, "overshoot: /proc/meminfo or process %d: %s\n", pid, strerror(errno));
		return 1;
	}
	/* sleep as long as asked, not up to 50 us more; and on a small machine, where the hog,
	 * the daemon, its reaper and the dying victim all want a core, be on time: a real-time
	 * priority (it sleeps between samples, and a sample takes some 30 us) */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	struct sched_param sp = { .sched_priority = 1 };
	int fifo = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
	long long start = mem_available(mfd);

	if (start < 0) {
		fputs("overshoot: no MemAvailable\n", stderr);
		return 1;
	}
	long long min_kb = start, min_after = start, kill_avail = -1;
	long long rate_kb0 = -1, drop_from = start - 128 * 1024;
	double cross_ms = -1, kill_ms = -1, exit_ms = -1, last = 0, max_gap = 0, t = 0;
	double rate_t0 = -1, rate_t1 = -1;
	long long rate_kb1 = -1;
	long samples = 0;
	struct timespec gap = { 0, interval_us * 1000 };
	double t0 = now_ms();

	if (cont && syscall(SYS_pidfd_send_signal, pidfd, SIGCONT, NULL, 0) < 0) {
		perror("overshoot: SIGCONT");
		return 1;
	}
	for (;;) {
		long long avail = mem_available(mfd);
		int killed = kill_ms < 0 ? seen_killed(sfd) : 1;
		struct pollfd pf = { .fd = pidfd, .events = POLLIN };
		int gone = exit_ms < 0 ? poll(&pf, 1, 0) == 1 : 1;

		t = now_ms() - t0;
		samples++;
		if (t - last > max_gap)
			max_gap = t - last;
		last = t;
		if (avail >= 0) {
			if (cross_ms < 0 && avail < thresh)
				cross_ms = t;
			if (kill_ms < 0 && avail < min_kb)
				min_kb = avail;
			if (avail < min_after)
				min_after = avail;
		}
		if (gone && exit_ms < 0)
			exit_ms = t;
		if (kill_ms < 0 && (killed == 1 || gone)) {
			kill_ms = t;
			kill_avail = avail;
			if (avail >= 0 && avail < min_kb)
				min_kb = avail;
		}
		if (kill_ms < 0 && avail >= 0 && avail <= drop_from) {
			/* the fill rate: from the first sample 128 MiB down to the last before the kill */
			if (rate_t0 < 0) {
				rate_t0 = t;
				rate_kb0 = avail;
			}
			rate_t1 = t;
			rate_kb1 = avail;
		}
		if ((exit_ms >= 0 && t - exit_ms >= (double)after_ms) || t > (double)timeout_ms)
			break;
		if (interval_us)
			nanosleep(&gap, NULL);
	}
	double fill = rate_t1 - rate_t0 >= 20 ? (double)(rate_kb0 - rate_kb1) / 1024.0 /
						 ((rate_t1 - rate_t0) / 1e3) : -1;

	printf("start_kb=%lld\nthreshold_kb=%lld\ncross_ms=%.3f\nkill_ms=%.3f\nexit_ms=%.3f\n"
	       "min_kb=%lld\nkill_avail_kb=%lld\nmin_after_kb=%lld\nfill_mb_s=%.1f\nsamples=%ld\n"
	       "max_gap_ms=%.3f\nend_ms=%.3f\nfifo=%d\n", start, thresh, cross_ms, kill_ms, exit_ms,
	       min_kb, kill_avail, min_after, fill, samples, max_gap, t, fifo);
	return 0;
}
