/* cli.c - the plumbing every subcommand shares */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "notify.h"

void cli_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	/* an error at the journal's priority, when stderr is the journal (report.h) */
	fprintf(stderr, "%s%s: ", notify_stderr_is_journal() ? "<3>" : "", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* On a fixture tree pids are not live processes: no address space can be compared */
static enum mm_order mm_unknown(pid_t a, pid_t b, void *ctx)
{
	(void)a, (void)b, (void)ctx;
	return MM_UNKNOWN;
}

int cli_open(struct cli *c)
{
	if (!c->proc_root)
		c->proc_root = "/proc";
	c->self = getpid();
	c->same_mm = strcmp(c->proc_root, "/proc") == 0 ? kcmp_vm : mm_unknown;
	c->proc_fd = open(c->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->proc_fd < 0) {
		cli_error(c, "%s: %s", c->proc_root, strerror(errno));
		return EXIT_USAGE;
	}
	int r = scope_open(&c->scope, c->proc_fd, c->cgroup);

	if (!r)
		return 0;
	if (c->cgroup && r == -EMEDIUMTYPE)
		cli_error(c, "%s: not a cgroup v1 memory or cgroup v2 directory", c->cgroup);
	else if (c->cgroup)
		cli_error(c, "%s: %s", c->cgroup,
			  r == -EBADMSG ? "malformed memory limit" : strerror(-r));
	else
		cli_error(c, "%s/meminfo: %s", c->proc_root,
			  r == -EBADMSG ? "malformed (no MemTotal)" : strerror(-r));
	close(c->proc_fd);
	c->proc_fd = -1;
	return c->cgroup ? EXIT_USAGE : EXIT_NOTHING;
}

void cli_close(struct cli *c)
{
	scope_close(&c->scope);
	if (c->proc_fd >= 0)
		close(c->proc_fd);
	c->proc_fd = -1;
}

static int parse_decimal(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_pid(const char *s, pid_t *pid)
{
	long v;

	if (parse_decimal(s, INT_MAX, &v) || v < 1)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

int cli_parse_count(const char *s, int *n)
{
	long v;

	if (parse_decimal(s, INT_MAX, &v))
		return -EINVAL;
	*n = (int)v;
	return 0;
}

const char *cli_size(unsigned long kb, char *buf, size_t len)
{
	static const char unit[] = "KMGTP";
	double v = (double)kb;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v >= 100)
		snprintf(buf, len, "%.0f%c", v, unit[u]);
	else
		snprintf(buf, len, "%.1f%c", v, unit[u]);
	return buf;
}
