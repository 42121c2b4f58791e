/* cli.h - what every subcommand shares: the /proc root, the scope, messages, exit codes */
#ifndef OOMREAPER_CLI_H
#define OOMREAPER_CLI_H

#include <sys/types.h>

#include "scope.h"
#include "share.h"

/* Exit statuses: 0 done, 1 nothing to do or a runtime failure, 2 bad usage */
#define EXIT_NOTHING 1
#define EXIT_USAGE 2

struct cli {
	const char *prog;
	const char *proc_root;	/* /proc, or a fixture tree (--proc) */
	const char *cgroup;	/* --cgroup, or NULL for global */
	int proc_fd;
	pid_t self;
	mm_cmp_fn same_mm;	/* kcmp on the live /proc; nothing can be told on a fixture */
	struct scope scope;
};

/* Opens the /proc root and the scope. Prints why not; returns 0 or an exit status. */
int cli_open(struct cli *c);
void cli_close(struct cli *c);

/* Parses a pid argument: a positive decimal that fits. Returns 0 or -EINVAL. */
int cli_parse_pid(const char *s, pid_t *pid);

/* Parses a count argument: a non-negative decimal. Returns 0 or -EINVAL. */
int cli_parse_count(const char *s, int *n);

/* Prints "PROG: " and a formatted message to stderr. */
void cli_error(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats kB as a short human size (e.g. 1.5G, 640K) into buf. */
const char *cli_size(unsigned long kb, char *buf, size_t len);

#endif
