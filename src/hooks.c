/* hooks.c - the hooks run beside the daemon (hooks.h): vfork and exec, no shell; output into
 * the log, timeouts, reaping */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "report.h"
#include "sys.h"
#include "text.h"

int hooks_init(struct hooks *h, int epfd, uint64_t tag, int timeout_ms)
{
	/* not memset: the places' buffers (50 kB) stay untouched, not resident, until a hook
	 * runs; a free place is one whose pid is 0 */
	for (int i = 0; i < HOOKS_MAX; i++) {
		h->run[i].pid = 0;
		h->run[i].buf = &h->bufs[i];
	}
	h->nqueued = 0;
	h->started = h->dropped = h->timed_out = 0;
	h->epfd = epfd;
	h->tag = tag;
	h->timeout_ms = timeout_ms;
	h->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return h->null_fd < 0 ? -errno : 0;
}

/* "oomreaper: hook[PID]: " */
static void line_hook(struct line *l, pid_t pid)
{
	line_init(l);
	line_str(l, "oomreaper: hook[");
	line_long(l, pid);
	line_str(l, "]: ");
}

/* A hook due that cannot run: said, with why, and counted */
static void drop(struct hooks *h, const struct hook_event *e, const char *why)
{
	struct line l;

	h->dropped++;
	line_init(&l);
	line_str(&l, "oomreaper: ");
	line_path(&l, e->scope, 160);
	line_str(&l, ": ");
	line_str(&l, e->event);
	line_str(&l, " hook dropped: ");
	line_str(&l, why);
	line_str(&l, " (");
	line_ulong(&l, h->dropped);
	line_str(&l, " dropped so far)");
	line_write(&l, 2);
}

void hooks_queue(struct hooks *h, const struct hook_cmd *cmd, const struct hook_event *e)
{
	if (!cmd->argc)
		return;
	if (h->nqueued == HOOKS_QUEUED_MAX) {
		drop(h, e, "too many due at once");
		return;
	}
	h->queued[h->nqueued].cmd = cmd;
	h->queued[h->nqueued++].e = *e;
}

/* One variable "KEY=value" into r's environment, the value cleaned (text.h) when asked */
static void env_add(struct hook_buf *r, int *k, size_t *used, const char *key, const char *val,
		    bool clean)
{
	size_t room = sizeof(r->env) - *used, klen = strlen(key);
	char *p = r->env + *used;

	if (*k >= HOOK_ENV_VARS || room < klen + 2)
		return;
	memcpy(p, key, klen);
	p[klen] = '=';
	if (clean) {
		text_clean(val, strlen(val), p + klen + 1, room - klen - 1);
	} else {
		snprintf(p + klen + 1, room - klen - 1, "%s", val);
	}
	r->envp[(*k)++] = p;
	*used += strlen(p) + 1;
}

static void env_num(struct hook_buf *r, int *k, size_t *used, const char *key,
		    unsigned long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", v);
	env_add(r, k, used, key, num, false);
}

/* The hook's environment: only what oomreaper says, and a PATH (README: Hooks) */
static void make_env(struct hook_buf *r, const struct hook_event *e)
{
	int k = 0;
	size_t used = 0;

	env_add(r, &k, &used, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		false);
	env_add(r, &k, &used, "OOMREAPER_EVENT", e->event, false);
	env_add(r, &k, &used, "OOMREAPER_SCOPE", e->scope, true);
	env_add(r, &k, &used, "OOMREAPER_TRIGGER", e->trigger, false);
	env_num(r, &k, &used, "OOMREAPER_AVAILABLE_KB", e->avail_kb);
	env_num(r, &k, &used, "OOMREAPER_TOTAL_KB", e->total_kb);
	env_num(r, &k, &used, "OOMREAPER_MEM_MIN_KB", e->min_kb);
	env_num(r, &k, &used, "OOMREAPER_MEM_KILL_KB", e->kill_kb);
	if (e->pid > 0) {
		env_num(r, &k, &used, "OOMREAPER_PID", (unsigned long long)e->pid);
		env_add(r, &k, &used, "OOMREAPER_COMM", e->comm, true);
		env_num(r, &k, &used, "OOMREAPER_UID", e->uid);
		env_num(r, &k, &used, "OOMREAPER_RSS_KB", e->rss_kb);
		env_add(r, &k, &used, "OOMREAPER_CGROUP", e->cgroup, true);
	}
	if (e->outcome) {
		env_add(r, &k, &used, "OOMREAPER_OUTCOME", e->outcome, false);
		env_num(r, &k, &used, "OOMREAPER_KILL_MS", e->ms < 0 ? 0 : (unsigned long long)e->ms);
	}
	r->envp[k] = NULL;
}

/*
 * The vfork child, until its exec: only system calls, on the parent's memory. Its stdin is
 * /dev/null, its stdout and stderr the pipe; a session of its own, so that a timeout kills
 * what it started too; the signals the daemon blocks (it reads them from a signalfd)
 * unblocked; the oom_score_adj the daemon may have set (-1000) raised back to 0, as a hook
 * must stay killable; and no file of the daemon's but those three.
 */
static void __attribute__((noinline)) child(const struct hook_buf *r, int null_fd, int out)
{
	sigset_t none;
	int fd;

	dup2(null_fd, 0);
	dup2(out, 1);
	dup2(out, 2);
	syscall(SYS_close_range, 3U, ~0U, 0U);
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGXFSZ, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) < 0) {
			/* kept as inherited */
		}
		close(fd);
	}
	execve(r->argv[0], r->argv, r->envp);
	_exit(127);
}

/* Starts cmd for e in the free place r. 0, or -errno */
static int start(struct hooks *h, struct hook_run *r, const struct hook_cmd *cmd,
		 const struct hook_event *e, long long now)
{
	int fds[2];
	pid_t pid;

	hook_cmd_argv(cmd, r->buf->argv);
	make_env(r->buf, e);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = vfork();
	if (pid == 0)
		child(r->buf, h->null_fd, fds[1]);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -errno;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	r->pid = pid;
	/* our child, not yet waited for: its pid cannot be reused meanwhile */
	r->pidfd = sys_pidfd_open(pid);
	r->out_fd = fds[0];
	r->started = now;
	r->deadline = now + (long long)h->timeout_ms * 1000000;
	r->killed = false;
	r->n = 0;
	r->lines = r->dropped_lines = 0;
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = h->tag | (uint64_t)(r - h->run) << 8 };

	epoll_ctl(h->epfd, EPOLL_CTL_ADD, r->out_fd, &ev);
	ev.data.u64 |= 1ULL << 16;
	if (r->pidfd >= 0)
		epoll_ctl(h->epfd, EPOLL_CTL_ADD, r->pidfd, &ev);
	h->started++;
	return 0;
}

void hooks_start_queued(struct hooks *h, long long now)
{
	for (int q = 0; q < h->nqueued; q++) {
		const struct hook_event *e = &h->queued[q].e;
		struct hook_run *r = NULL;
		struct line l;

		for (int i = 0; i < HOOKS_MAX && !r; i++)
			if (!h->run[i].pid)
				r = &h->run[i];
		if (!r) {
			drop(h, e, "4 hooks are running already");
			continue;
		}
		int err = start(h, r, h->queued[q].cmd, e, now);

		if (err) {
			drop(h, e, strerror(-err));
			continue;
		}
		line_hook(&l, r->pid);
		line_str(&l, "started for ");
		line_str(&l, e->event);
		line_str(&l, " of ");
		line_path(&l, e->scope, 200);
		line_str(&l, ": ");
		line_path(&l, r->buf->argv[0], 0);
		line_write(&l, 2);
	}
	h->nqueued = 0;
}

/* The line gathered so far, into the log; past HOOK_LINES_MAX only counted */
static void flush_line(struct hook_run *r)
{
	struct line l;

	if (!r->n)
		return;
	r->line[r->n] = 0;
	r->n = 0;
	if (r->lines >= HOOK_LINES_MAX) {
		r->dropped_lines++;
		return;
	}
	r->lines++;
	line_hook(&l, r->pid);
	line_path(&l, r->line, 0);
	line_write(&l, 2);
}

/* Reads what the hook wrote, at most HOOK_READ_MAX; at its end the pipe is closed */
static void read_output(struct hooks *h, struct hook_run *r)
{
	char buf[4096];
	size_t total = 0;

	while (r->out_fd >= 0 && total < HOOK_READ_MAX) {
		ssize_t n = read(r->out_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			flush_line(r);
			epoll_ctl(h->epfd, EPOLL_CTL_DEL, r->out_fd, NULL);
			close(r->out_fd);
			r->out_fd = -1;
			return;
		}
		total += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				flush_line(r);
				continue;
			}
			r->line[r->n++] = buf[i];
			if (r->n == HOOK_LINE_MAX)
				flush_line(r);
		}
	}
}

/* The hook ended: reaped, its last output read, said with its status, its place freed */
static void reap(struct hooks *h, struct hook_run *r, long long now)
{
	int status;
	struct line l;

	if (waitpid(r->pid, &status, WNOHANG) != r->pid)
		return;
	read_output(h, r);
	flush_line(r);
	if (r->out_fd >= 0) {
		/* something it started holds the pipe open: its output no longer concerns us */
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, r->out_fd, NULL);
		close(r->out_fd);
		r->out_fd = -1;
	}
	if (r->pidfd >= 0) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, r->pidfd, NULL);
		close(r->pidfd);
	}
	line_hook(&l, r->pid);
	if (r->killed) {
		line_str(&l, "killed: still running after hook_timeout ");
		line_long(&l, h->timeout_ms);
		line_str(&l, " ms");
	} else if (WIFEXITED(status)) {
		line_str(&l, "exited with status ");
		line_long(&l, WEXITSTATUS(status));
		if (WEXITSTATUS(status) == 127)
			line_str(&l, " (127: it may not have been found or run)");
	} else {
		line_str(&l, "ended by signal ");
		line_long(&l, WTERMSIG(status));
	}
	line_str(&l, " after ");
	line_long(&l, (now - r->started) / 1000000);
	line_str(&l, " ms");
	if (r->dropped_lines) {
		line_str(&l, "; ");
		line_long(&l, r->dropped_lines);
		line_str(&l, " more line(s) of its output not written");
	}
	line_write(&l, 2);
	r->pid = 0;
}

void hooks_wake(struct hooks *h, int idx, bool exited, long long now)
{
	struct hook_run *r;

	if (idx < 0 || idx >= HOOKS_MAX || !h->run[idx].pid)
		return;
	r = &h->run[idx];
	if (exited)
		reap(h, r, now);
	else
		read_output(h, r);
}

void hooks_tick(struct hooks *h, long long now)
{
	for (int i = 0; i < HOOKS_MAX; i++) {
		struct hook_run *r = &h->run[i];

		if (!r->pid)
			continue;
		/* no pidfd (an old kernel): look for its end here */
		if (r->pidfd < 0)
			reap(h, r, now);
		if (!r->pid || r->killed || now < r->deadline)
			continue;
		/* not yet waited for: neither its pid nor its process group can be reused */
		if (r->pidfd >= 0)
			sys_pidfd_send_signal(r->pidfd, SIGKILL);
		kill(-r->pid, SIGKILL);
		r->killed = true;
		h->timed_out++;
	}
}

long long hooks_next_ns(const struct hooks *h)
{
	long long next = LLONG_MAX;

	for (int i = 0; i < HOOKS_MAX; i++) {
		const struct hook_run *r = &h->run[i];

		if (!r->pid)
			continue;
		/* killed, its end wakes us through its pidfd; without one, hooks_tick() looks
		 * for it at each turn of the loop (at least once a second) */
		if (r->killed)
			continue;
		if (r->deadline < next)
			next = r->deadline;
	}
	return next;
}

void hooks_stop(struct hooks *h)
{
	for (int i = 0; i < HOOKS_MAX; i++) {
		struct hook_run *r = &h->run[i];
		int status;

		if (!r->pid)
			continue;
		if (r->pidfd >= 0)
			sys_pidfd_send_signal(r->pidfd, SIGKILL);
		kill(-r->pid, SIGKILL);
		r->killed = true;
		waitpid(r->pid, &status, 0);
		reap(h, r, now_ns());
		/* waited for above: reap() found nothing to wait for and left its place */
		if (r->pid) {
			if (r->out_fd >= 0)
				close(r->out_fd);
			if (r->pidfd >= 0)
				close(r->pidfd);
			r->pid = 0;
		}
	}
	if (h->null_fd >= 0)
		close(h->null_fd);
	h->null_fd = -1;
}
