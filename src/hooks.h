/* hooks.h - running the hooks (warn_exec, post_kill_exec): started after the scopes' work of
 * a loop turn, never on the kill path; their output read without blocking into the log, line
 * by line; killed after hook_timeout; at most HOOKS_MAX at once; reaped by the daemon */
#ifndef OOMREAPER_HOOKS_H
#define OOMREAPER_HOOKS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hookcmd.h"
#include "proc.h"

/* Hooks running at once; a hook due while HOOKS_MAX run is dropped, said and counted */
#define HOOKS_MAX 4
/* Hooks due in one loop turn, before they are started */
#define HOOKS_QUEUED_MAX 8
/* A line of a hook's output longer than this is cut into several */
#define HOOK_LINE_MAX 256
/* Lines of one hook's output written into the log; the rest are counted, not written */
#define HOOK_LINES_MAX 100
/* What one wake-up reads of one hook's output: a hook that floods it cannot hold the loop */
#define HOOK_READ_MAX 16384
/* A hook's environment: its variables' text */
#define HOOK_ENV_MAX (3 * PATH_MAX)
#define HOOK_ENV_VARS 20

/* What a hook is told, in its environment (README: Hooks) */
struct hook_event {
	const char *event;		/* "warn" or "kill" */
	char scope[PATH_MAX + 32];
	const char *trigger;		/* trigger_name(), or "warn" */
	pid_t pid;			/* the victim (warn: the one chosen ahead), 0: none */
	char comm[COMM_LEN];
	unsigned uid;
	unsigned long long rss_kb;
	char cgroup[PATH_MAX];
	unsigned long long avail_kb, total_kb, min_kb, kill_kb;
	const char *outcome;		/* kill: "exited", "reaped" or "stuck"; NULL for warn */
	long long ms;			/* kill: from the SIGKILL to that outcome */
};

struct hook_run {
	pid_t pid;			/* 0: a free place */
	int pidfd, out_fd;
	long long started, deadline;
	bool killed;
	char line[HOOK_LINE_MAX + 1];
	size_t n;
	int lines, dropped_lines;
	struct hook_buf *buf;		/* its argv and environment */
};

/* The exec's argv and envp, made here before the vfork */
struct hook_buf {
	char *argv[HOOK_ARGS_MAX + 1];
	char *envp[HOOK_ENV_VARS + 1];
	char env[HOOK_ENV_MAX];
};

struct hooks {
	int epfd;
	uint64_t tag;			/* epoll data: tag | place << 8 | 1 << 16 for the exit */
	int timeout_ms;
	int null_fd;			/* /dev/null, the hooks' stdin */
	struct hook_run run[HOOKS_MAX];
	struct hook_buf bufs[HOOKS_MAX];	/* run[i]'s is bufs[i]: untouched until it runs */
	struct {
		const struct hook_cmd *cmd;
		struct hook_event e;
	} queued[HOOKS_QUEUED_MAX];
	int nqueued;
	unsigned long started, dropped, timed_out;
};

/* Ready to run hooks, woken through epfd with tag; opens /dev/null. 0 or -errno. */
int hooks_init(struct hooks *h, int epfd, uint64_t tag, int timeout_ms);

/*
 * Queues cmd to run for e once the loop turn's scopes are done (hooks_start_queued): cmd
 * must stay valid until then. Copies e. A hook that finds the queue full is dropped, said.
 */
void hooks_queue(struct hooks *h, const struct hook_cmd *cmd, const struct hook_event *e);

/* Starts the queued hooks; each finding HOOKS_MAX running is dropped, said and counted. */
void hooks_start_queued(struct hooks *h, long long now);

/* epoll woke us for place idx: its output (exited false) or its end (true) */
void hooks_wake(struct hooks *h, int idx, bool exited, long long now);

/* Kills the hooks past their timeout (SIGKILL to the hook through its pidfd, and to its
 * process group); they are reaped when their pidfd says they ended */
void hooks_tick(struct hooks *h, long long now);

/* When hooks_tick() has work next (CLOCK_MONOTONIC ns); LLONG_MAX when none runs */
long long hooks_next_ns(const struct hooks *h);

/* At the daemon's stop: every hook still running killed and reaped */
void hooks_stop(struct hooks *h);

#endif
