/* rules.c - match processes against the configured rules */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "parse.h"
#include "readfile.h"
#include "rules.h"
#include "scan.h"

/* What a rule looks at, read once per process however many rules want it */
struct subject {
	const char *text;
	size_t len;
	bool complete;		/* the whole of it: '$' may match at its end */
	int err;		/* -errno when it could not be read */
	bool read;
};

/*
 * /proc/PID/cmdline, its NULs as spaces, as a person reads it: its first RULES_CMDLINE_MAX
 * bytes. A process writes what it likes there and as long as it likes (megabytes); reading
 * it whole would let it choose how long a selection takes. A longer one is cut, and the cut
 * is no end: '$' does not match there.
 */
static void read_cmdline(int proc_fd, pid_t pid, char *buf, size_t cap, struct subject *s)
{
	char path[48];
	ssize_t n = read_file_at(proc_fd, pid_path(path, pid, "cmdline"), buf, cap);

	s->read = true;
	if (n < 0) {
		s->err = (int)n;
		return;
	}
	s->complete = (size_t)n < cap - 1;
	if (s->complete)
		while (n > 0 && buf[n - 1] == '\0')
			n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	s->text = buf;
	s->len = (size_t)n;
}

/* The memory controller's path (the unified one without it), as list shows it */
static void read_cgroup(int proc_fd, pid_t pid, char *raw, size_t cap, struct subject *s)
{
	char path[48];
	const char *cg;
	size_t len;
	ssize_t n = read_file_at(proc_fd, pid_path(path, pid, "cgroup"), raw, cap);

	s->read = true;
	if (n < 0) {
		s->err = (int)n;
		return;
	}
	s->text = "";
	s->len = 0;
	s->complete = true;
	if (parse_cgroup(raw, (size_t)n, &cg, &len))
		return;
	s->text = cg;
	s->len = len;
	/* a path that runs to the end of a full buffer may go on past it */
	s->complete = (size_t)n < cap - 1 || cg + len < raw + n;
}

/*
 * The QoS class and the unit, from the cgroup path (read once with a cgroup rule's). A path
 * cut short by the buffer, or malformed where a pod's UID should be, gives no class; the
 * unit of a cut path is not trusted either: "" for both, which a rule may match with ^$.
 */
static void read_identity(int proc_fd, pid_t pid, char *raw, size_t cap, struct subject *subj,
			  struct identity *id)
{
	struct subject *cg = &subj[RULE_CGROUP];

	if (!cg->read)
		read_cgroup(proc_fd, pid, raw, cap, cg);
	memset(id, 0, sizeof(*id));
	if (!cg->err && cg->complete)
		identity_parse_n(cg->text, cg->len, id);
	const char *q = qos_name(id->qos) ? qos_name(id->qos) : "";

	subj[RULE_QOS] = (struct subject){ q, strlen(q), true, cg->err, true };
	subj[RULE_UNIT] = (struct subject){ id->unit, strlen(id->unit), true, cg->err, true };
}

/*
 * The path of /proc/PID/exe. The link's text alone can lie: a process in a mount namespace of
 * its own shows the path it sees, which may be /usr/sbin/sshd bind-mounted over with anything.
 * So a path that matched holds only when the file at that path here is the file the process
 * runs (same device and inode). Checked only after a match, so that only paths the rules name
 * are looked up, not any a process chooses (one on a FUSE mount could stall the lookup).
 */
static void read_exe(int proc_fd, pid_t pid, char *buf, size_t cap, struct subject *s)
{
	char path[48];
	ssize_t n = readlinkat(proc_fd, pid_path(path, pid, "exe"), buf, cap - 1);

	s->read = true;
	if (n < 0) {
		s->err = -errno;
		return;
	}
	buf[n] = '\0';
	s->text = buf;
	s->len = (size_t)n;
	s->complete = (size_t)n < cap - 1;
}

static bool same_file(int proc_fd, pid_t pid, const char *exe)
{
	char path[48];
	struct statx ran, here;
	int flags = AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT;

	if (statx(proc_fd, pid_path(path, pid, "exe"), flags, STATX_INO, &ran) ||
	    statx(AT_FDCWD, exe, flags, STATX_INO, &here))
		return false;
	return ran.stx_ino == here.stx_ino && ran.stx_dev_major == here.stx_dev_major &&
	       ran.stx_dev_minor == here.stx_dev_minor;
}

/* The decimal uid, without printf: this runs on the kill path */
static size_t uid_text(uid_t uid, char *buf)
{
	char tmp[16];
	size_t n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + uid % 10);
		uid /= 10;
	} while (uid);
	while (n)
		buf[k++] = tmp[--n];
	buf[k] = '\0';
	return k;
}

static bool user_listed(const uid_t *uids, int n, uid_t uid)
{
	for (int i = 0; i < n; i++)
		if (uids[i] == uid)
			return true;
	return false;
}

int rules_apply(const struct rule *rules, int n, int proc_fd, const struct proc_info *p,
		struct rule_verdict *out)
{
	char cmdline[RULES_CMDLINE_MAX + 1], cgroup[4096], exe[PATH_MAX], uid[16];
	struct subject subj[RULE_FIELDS] = { 0 };
	struct identity id;

	memset(out, 0, sizeof(*out));
	subj[RULE_COMM] = (struct subject){ p->comm, strnlen(p->comm, COMM_LEN), true, 0, true };
	subj[RULE_USER] = (struct subject){ "", 0, true, 0, true };
	subj[RULE_UID] = (struct subject){ uid, uid_text(p->uid, uid), true, 0, true };
	for (int i = 0; i < n; i++) {
		const struct rule *r = &rules[i];
		struct subject *s = &subj[r->field];
		bool match;

		if (r->nonly && !user_listed(r->only, r->nonly, p->uid))
			continue;
		if (!s->read && r->field == RULE_CMDLINE)
			read_cmdline(proc_fd, p->pid, cmdline, sizeof(cmdline), s);
		else if (!s->read && r->field == RULE_CGROUP)
			read_cgroup(proc_fd, p->pid, cgroup, sizeof(cgroup), s);
		else if (!s->read && r->field == RULE_EXE)
			read_exe(proc_fd, p->pid, exe, sizeof(exe), s);
		else if (!s->read && (r->field == RULE_QOS || r->field == RULE_UNIT))
			read_identity(proc_fd, p->pid, cgroup, sizeof(cgroup), subj, &id);
		if (s->err)
			return s->err;
		if (r->field == RULE_USER)
			match = user_listed(r->uids, r->nuids, p->uid);
		else
			match = pattern_match(&r->re, s->text, s->len, s->complete);
		if (match && r->field == RULE_EXE && !same_file(proc_fd, p->pid, exe))
			match = false;
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

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int grow_memos(struct rule_memos *ms, int cap)
{
	void *v = realloc(ms->v, sizeof(*ms->v) * (size_t)cap);

	if (!v)
		return -ENOMEM;
	ms->v = v;
	if (!(v = realloc(ms->spare, sizeof(*ms->spare) * (size_t)cap)))
		return -ENOMEM;
	ms->spare = v;
	if (!(v = realloc(ms->pids, sizeof(*ms->pids) * (size_t)cap)))
		return -ENOMEM;
	ms->pids = v;
	if (!(v = realloc(ms->inos, sizeof(*ms->inos) * (size_t)cap)))
		return -ENOMEM;
	ms->inos = v;
	ms->cap = cap;
	return 0;
}

/* A fixture's directory lists its pids in any order; /proc lists them ascending */
static void sort_listing(pid_t *pids, unsigned long long *inos, int n)
{
	for (int i = 1; i < n; i++) {
		pid_t p = pids[i];
		unsigned long long ino = inos[i];
		int j = i;

		for (; j > 0 && pids[j - 1] > p; j--) {
			pids[j] = pids[j - 1];
			inos[j] = inos[j - 1];
		}
		pids[j] = p;
		inos[j] = ino;
	}
}

/* Judges one process for the verdicts: unreadable, it is judged without the rules, as
 * select_exclusion() judges it */
static void judge_one(const struct rule *rules, int n, int proc_fd, struct rule_memo *v)
{
	struct proc_info p;
	struct rule_verdict rv;

	memset(&p, 0, sizeof(p));
	v->known = true;
	if (scan_proc(proc_fd, v->pid, SCAN_STAT | SCAN_STATUS, &p))
		return;
	v->start_time = p.start_time;
	if (rules_apply(rules, n, proc_fd, &p, &rv))
		return;
	v->delta = (int)rv.delta;
	v->ignore = rv.ignore;
	v->rule = rv.by ? (short)(rv.by - rules) : -1;
}

/*
 * The last pid the kernel gave out, the last field of /proc/loadavg (its pid namespace's
 * last_pid, as get_loadavg() prints it); -1 where there is none, as in a fixture tree
 */
static long last_pid(int proc_fd)
{
	char buf[128];
	ssize_t n = read_file_at(proc_fd, "loadavg", buf, sizeof(buf));
	const char *s;
	long v = 0;

	if (n <= 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	s = strrchr(buf, ' ');
	if (!s || !s[1])
		return -1;
	for (s++; *s >= '0' && *s <= '9' && v < 1L << 31; s++)
		v = v * 10 + (*s - '0');
	return *s ? -1 : v;
}

int rule_memos_refresh(struct rule_memos *ms, const struct rule *rules, int n, int proc_fd,
		       long long budget_ns)
{
	long long deadline = budget_ns ? mono_ns() + budget_ns : 0;
	long newest = last_pid(proc_fd);
	int k, out = 0, j = 0;

	if (ms->rules != rules || ms->nrules != n) {
		ms->n = 0;
		ms->last_pid = -1;
		ms->rules = rules;
		ms->nrules = n;
		ms->max_boost = rules_max_boost(rules, n);
	}
	/* nobody new: the verdicts stand (those of processes gone since are never looked up,
	 * but for a pid taken again, which moves the last pid) */
	if (newest >= 0 && newest == ms->last_pid && !ms->unknown) {
		ms->skipped++;
		ms->judged = 0;
		return 0;
	}
	for (;;) {
		k = scan_pids_inos(proc_fd, ms->pids, ms->inos, ms->cap);
		if (k < 0)
			return k;
		if (k <= ms->cap)
			break;
		int r = grow_memos(ms, k + k / 2 + 64);

		if (r)
			return r;
	}
	sort_listing(ms->pids, ms->inos, k);
	ms->judged = ms->unknown = 0;
	for (int i = 0; i < k; i++) {
		struct rule_memo *nv = &ms->spare[out++];

		while (j < ms->n && ms->v[j].pid < ms->pids[i])
			j++;
		if (j < ms->n && ms->v[j].pid == ms->pids[i] && ms->v[j].ino == ms->inos[i] &&
		    ms->v[j].known) {
			*nv = ms->v[j];
			continue;
		}
		memset(nv, 0, sizeof(*nv));
		nv->pid = ms->pids[i];
		nv->ino = ms->inos[i];
		nv->rule = -1;
		if (deadline && mono_ns() > deadline) {
			ms->unknown++;
			continue;
		}
		judge_one(rules, n, proc_fd, nv);
		ms->judged++;
	}
	struct rule_memo *t = ms->v;

	ms->v = ms->spare;
	ms->spare = t;
	ms->n = out;
	ms->last_pid = newest;
	return 0;
}

void rule_memos_free(struct rule_memos *ms)
{
	free(ms->v);
	free(ms->spare);
	free(ms->pids);
	free(ms->inos);
	memset(ms, 0, sizeof(*ms));
}

static const struct rule_memo *memo_of(const struct rule_memos *ms, const struct rule *rules,
					int n, pid_t pid)
{
	int lo = 0, hi;

	if (!ms || ms->rules != rules || ms->nrules != n)
		return NULL;
	hi = ms->n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (ms->v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ms->n && ms->v[lo].pid == pid && ms->v[lo].known ? &ms->v[lo] : NULL;
}

long rules_boost(const struct rule_memos *ms, const struct rule *rules, int n, pid_t pid)
{
	const struct rule_memo *v;

	if (!n)
		return 0;
	if (!ms || ms->rules != rules || ms->nrules != n)
		return rules_max_boost(rules, n);
	v = memo_of(ms, rules, n, pid);
	return v && v->delta > 0 ? v->delta : 0;
}

int rules_judge(const struct rule_memos *ms, const struct rule *rules, int n, int proc_fd,
		const struct proc_info *p, struct rule_verdict *out)
{
	const struct rule_memo *v = memo_of(ms, rules, n, p->pid);

	if (!v || v->start_time != p->start_time)
		return rules_apply(rules, n, proc_fd, p, out);
	out->ignore = v->ignore;
	out->delta = v->delta;
	out->by = v->rule >= 0 ? &rules[v->rule] : NULL;
	return 0;
}

const char *rule_gameable(const struct rule *r)
{
	if (r->action == RULE_PREFER || r->nonly)
		return NULL;
	if (r->field == RULE_COMM)
		return "matches only on comm, which any process sets for itself (prctl PR_SET_NAME): "
		       "match exe, cgroup or user, or add users =";
	if (r->field == RULE_CMDLINE)
		return "matches only on cmdline, which any process writes for itself: match exe, "
		       "cgroup or user, or add users =";
	/* systemd --user makes units of any name below user@UID.service, and cgroups of any
	 * name where it delegates them (a user's kubepods/pod<UID> is not kubelet's) */
	if (r->field == RULE_UNIT)
		return "matches only on unit, which any user names for itself (systemd-run --user "
		       "--unit=NAME): match cgroup on the whole path, or add users =";
	if (r->field == RULE_QOS)
		return "matches only on qos, which a user can fake in the cgroups systemd delegates "
		       "to it (mkdir .../kubepods/podUID): match cgroup on the whole path, or add "
		       "users =";
	return NULL;
}

