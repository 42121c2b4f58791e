/* rules.c - match processes against the configured rules */
#include <errno.h>
#include <string.h>

#include "parse.h"
#include "readfile.h"
#include "rules.h"

/* /proc/PID/cmdline with its NULs as spaces, as a person reads it */
static int read_cmdline(int proc_fd, pid_t pid, char *buf, size_t cap)
{
	char path[48];
	ssize_t n = read_file_at(proc_fd, pid_path(path, pid, "cmdline"), buf, cap);

	if (n < 0)
		return (int)n;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return 0;
}

static int read_cgroup(int proc_fd, pid_t pid, char *buf, size_t cap)
{
	char path[48], raw[2048];
	const char *cg;
	size_t len;
	ssize_t n = read_file_at(proc_fd, pid_path(path, pid, "cgroup"), raw, sizeof(raw));

	if (n < 0)
		return (int)n;
	if (parse_cgroup(raw, (size_t)n, &cg, &len))
		len = 0;
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, len ? cg : "", len);
	buf[len] = '\0';
	return 0;
}

int rules_apply(const struct rule *rules, int n, int proc_fd, const struct proc_info *p,
		struct rule_verdict *out)
{
	char cmdline[4096], cgroup[1024];
	bool have_cmdline = false, have_cgroup = false;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++) {
		const struct rule *r = &rules[i];
		const char *subject = p->comm;
		bool match = false;

		if (r->field == RULE_CMDLINE) {
			if (!have_cmdline) {
				int e = read_cmdline(proc_fd, p->pid, cmdline, sizeof(cmdline));

				if (e)
					return e;
				have_cmdline = true;
			}
			subject = cmdline;
		} else if (r->field == RULE_CGROUP) {
			if (!have_cgroup) {
				int e = read_cgroup(proc_fd, p->pid, cgroup, sizeof(cgroup));

				if (e)
					return e;
				have_cgroup = true;
			}
			subject = cgroup;
		}
		if (r->field == RULE_USER) {
			for (int u = 0; u < r->nuids; u++)
				match |= r->uids[u] == p->uid;
		} else {
			match = regexec(&r->re, subject, 0, NULL, 0) == 0;
		}
		if (!match)
			continue;
		out->by = r;
		if (r->action == RULE_IGNORE)
			out->ignore = true;
		else
			out->delta += r->action == RULE_PREFER ? r->weight : -r->weight;
	}
	return 0;
}

long rules_max_boost(const struct rule *rules, int n)
{
	long boost = 0;

	for (int i = 0; i < n; i++)
		if (rules[i].action == RULE_PREFER)
			boost += rules[i].weight;
	return boost;
}
