/*
 * memfree.c - how long a memory cgroup takes to give its memory back after an action.
 *
 *   memfree -u USAGE_FILE -b VICTIM_BYTES [-p PID] [-i INTERVAL_US] [-T TIMEOUT_MS]
 *           [-o OUT] (-w FILE VALUE | -- COMMAND [ARG...])
 *
 * Reads USAGE_FILE (a v1 memory.usage_in_bytes) once, takes t0 (CLOCK_MONOTONIC), then
 * either writes VALUE to FILE itself (-w: a thaw, say) or forks and execs COMMAND (its
 * stdout to OUT, its stderr inherited). From t0 it preads USAGE_FILE every INTERVAL_US
 * (default 100 us: fine enough, and it leaves the CPU to the victim and the reaper on a
 * small machine) until the usage is under 1 % of VICTIM_BYTES and the command has exited,
 * or TIMEOUT_MS (default 30000) has passed; then it waits for the command. With -p it also
 * watches the victim PID, with each read: until it is seen killed, its /proc/PID/stat (a
 * SIGKILL pending, field 31, or PF_EXITING in its flags, field 9: the kill has landed), and
 * through a pidfd opened before t0, its exit.
 *
 * Prints `key=value` lines, times in ms from t0:
 *   start_bytes   usage before t0
 *   drop_ms       first sample at least 10 % of VICTIM_BYTES under start_bytes (-1: none)
 *   free_ms       first sample under 10 % of VICTIM_BYTES (-1: not within the timeout)
 *   all_ms        first sample under 1 % of VICTIM_BYTES (-1: not seen before the end)
 *   end_bytes     usage at the last sample; end_ms when that was
 *   cmd_ms        when the command was seen to exit (-1 for -w); cmd_status its exit status
 *   kill_ms       -p: first sample at which PID was seen killed (-1: not seen)
 *   exit_ms       -p: first sample at which PID had exited (its pidfd readable; -1: not seen)
 *   samples, max_gap_ms   how many reads, and the longest time between two
 * Exit status 0 when measured, 1 when it could not (a file, the fork), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "victim_state.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The number in the file open as fd, read at offset 0. Returns it, or -1. */
static long long read_usage(int fd)
{
	char buf[32];
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);

	if (r <= 0)
		return -1;
	buf[r] = '\0';
	return strtoll(buf, NULL, 10);
}

/* Writes value to path. Returns 0 or -errno. */
static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len) {
		int e = errno;

		close(fd);
		return -e;
	}
	return close(fd) ? -errno : 0;
}

/* SIGKILL in /proc/PID/stat's pending signals */
#define SIGKILL_BIT (1ULL << 8)

/* Whether the victim has been hit: see victim_state.h */
static int seen_killed(int fd)
{
	return seen_signalled(fd, SIGKILL_BIT);
}

static void usage(void)
{
	fputs("usage: memfree -u USAGE_FILE -b VICTIM_BYTES [-p PID] [-i INTERVAL_US] "
	      "[-T TIMEOUT_MS] [-o OUT] (-w FILE VALUE | -- COMMAND [ARG...])\n", stderr);
}

int main(int argc, char **argv)
{
	const char *usage_path = NULL, *out = "/dev/null", *wfile = NULL, *wvalue = NULL;
	long long victim = 0;
	long interval_us = 100, timeout_ms = 30000;
	int o, pid = 0;

	while ((o = getopt(argc, argv, "+u:b:p:i:T:o:w:")) != -1) {
		switch (o) {
		case 'p': pid = atoi(optarg); break;
		case 'u': usage_path = optarg; break;
		case 'b': victim = strtoll(optarg, NULL, 10); break;
		case 'i': interval_us = strtol(optarg, NULL, 10); break;
		case 'T': timeout_ms = strtol(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		case 'w':
			if (optind >= argc) {
				usage();
				return 2;
			}
			wfile = optarg;
			wvalue = argv[optind++];
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!usage_path || victim <= 0 || interval_us < 0 || timeout_ms <= 0 ||
	    (!wfile) == (optind >= argc)) {
		usage();
		return 2;
	}
	int ufd = open(usage_path, O_RDONLY | O_CLOEXEC);

	if (ufd < 0) {
		perror(usage_path);
		return 1;
	}
	int stat_fd = -1, pidfd = -1;

	if (pid > 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (stat_fd < 0 || pidfd < 0) {
			fprintf(stderr, "memfree: process %d: %s\n", pid, strerror(errno));
			return 1;
		}
		fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	}
	/* sleep as long as asked, not up to 50 us more */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	long long start = read_usage(ufd), cur = start;
	long long free_below = victim / 10, all_below = victim / 100;
	long long drop_below = start - victim / 10;
	double drop_ms = -1, free_ms = -1, cmd_ms = -1, end_ms = 0, last = 0, max_gap = 0;
	double kill_ms = -1, exit_ms = -1, all_ms = -1;
	int status = 0;
	long samples = 0;
	pid_t child = -1;
	double t0 = now_ms();

	if (wfile) {
		int e = write_file(wfile, wvalue);

		if (e) {
			fprintf(stderr, "memfree: %s: %s\n", wfile, strerror(-e));
			return 1;
		}
	} else {
		child = fork();
		if (child < 0) {
			perror("memfree: fork");
			return 1;
		}
		if (child == 0) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(127);
			execvp(argv[optind], argv + optind);
			_exit(127);
		}
	}
	struct timespec gap = { 0, interval_us * 1000 };

	for (;;) {
		cur = read_usage(ufd);
		double t = now_ms() - t0;

		samples++;
		if (t - last > max_gap)
			max_gap = t - last;
		last = t;
		end_ms = t;
		if (drop_ms < 0 && cur >= 0 && cur <= drop_below)
			drop_ms = t;
		if (free_ms < 0 && cur >= 0 && cur < free_below)
			free_ms = t;
		if (all_ms < 0 && cur >= 0 && cur < all_below)
			all_ms = t;
		if (stat_fd >= 0 && kill_ms < 0 && seen_killed(stat_fd) == 1)
			kill_ms = t;
		if (pidfd >= 0 && exit_ms < 0) {
			struct pollfd pf = { .fd = pidfd, .events = POLLIN };

			if (poll(&pf, 1, 0) == 1)
				exit_ms = t;
		}
		if (child > 0 && cmd_ms < 0 && waitpid(child, &status, WNOHANG) == child)
			cmd_ms = now_ms() - t0;
		if ((all_ms >= 0 && (child < 0 || cmd_ms >= 0)) || t > timeout_ms)
			break;
		if (interval_us)
			nanosleep(&gap, NULL);
	}
	if (child > 0 && cmd_ms < 0) {
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		cmd_ms = now_ms() - t0;
	}
	printf("start_bytes=%lld\ndrop_ms=%.3f\nfree_ms=%.3f\nend_bytes=%lld\nend_ms=%.3f\n"
	       "cmd_ms=%.3f\ncmd_status=%d\nsamples=%ld\nmax_gap_ms=%.3f\nkill_ms=%.3f\n"
	       "exit_ms=%.3f\nall_ms=%.3f\n", start, drop_ms, free_ms, cur, end_ms, cmd_ms,
	       child > 0 ? (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) : 0,
	       samples, max_gap, kill_ms, exit_ms, all_ms);
	return 0;
}
