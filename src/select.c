/* select.c - victim selection: rank cheaply for everyone, detail only the top */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cgrank.h"
#include "parse.h"
#include "readfile.h"
#include "rules.h"
#include "scan.h"
#include "select.h"
#include "sys.h"
#include "victim.h"

/* Reallocates *p to n elements of size; on failure it stays as it was */
static int resize(void *p, size_t n, size_t size)
{
	void *q = realloc(*(void **)p, n * size);

	if (!q)
		return -ENOMEM;
	*(void **)p = q;
	return 0;
}

/* What a closer look than oom_score said of a candidate (look_closer), by index */
enum fine_kind {
	FINE_NONE,	/* not looked at in this selection: fine[] holds nothing of it */
	FINE_BOUND,	/* v: the most badness it can have, from statm or status */
	FINE_TIED,	/* the same, and its start_time read: rank_better() can break a tie */
};

struct fine {
	long v;
	unsigned long long start_time;	/* FINE_TIED */
};

/*
 * What a selection reuses from one call to the next, grown on demand: once grown at start-up,
 * a selection on a machine of about the same size allocates nothing. Its own, not its
 * callers': they set the selector's settings and read the pids through selector_pids().
 */
/* fastest-growing: a candidate's size at the last selection */
struct growth {
	pid_t pid;
	unsigned long long start_time;
	long points;
};

/* A start time not read yet */
#define START_UNKNOWN ULLONG_MAX

struct selector_buffers {
	pid_t *pids;
	long *scores;
	int *order;
	int *fds;
	pid_t *pinners;		/* the processes that could pin a candidate's mm */
	int *adjs;		/* a cgroup scope's oom_score_adj, by index */
	unsigned char *kind;	/* enum fine_kind of fine[i], cleared by each selection */
	long *bounds;		/* the most badness each could have in the scope */
	signed char *ranks;	/* each one's QoS rank (qos_order), else 0 */
	struct fine *fine;	/* what a closer look said of each (select_fine) */
	int cap;
	/* oom_score files held open between calls (selector_hold_files) */
	pid_t *held_pids;	/* ascending */
	int *held_fds;
	unsigned long long *held_starts;	/* the start time of each, START_UNKNOWN if not read */
	int n_held;
	/* by index: the start time of the process whose oom_score file is held (held_starts) */
	unsigned long long *starts;
	unsigned char *kept;	/* by index: its score read through the file held (scan.h) */
	int *held_at;		/* by index: where its file is among the held ones, or -1 */
	/* selections made with these buffers (select_cgroup: the first reads status) */
	long selections;
	/* scores[] holds this selection's oom_score of each (not where select_cgroup read
	 * status instead) */
	bool scores_read;
	/* fastest-growing: each candidate's size at the last selection */
	struct growth *grown;
	int n_grown, cap_grown;
	long long grown_at;
};

/* Makes every per-process buffer hold cap entries, the buffers made on the first call */
static int grow(struct selector *sel, int cap)
{
	size_t n = (size_t)cap;

	if (!sel->buf && !(sel->buf = calloc(1, sizeof(*sel->buf))))
		return -ENOMEM;
	if (cap <= sel->buf->cap)
		return 0;
	if (resize(&sel->buf->fine, n, sizeof(*sel->buf->fine)) ||
	    resize(&sel->buf->kind, n, sizeof(*sel->buf->kind)) ||
	    resize(&sel->buf->pids, n, sizeof(*sel->buf->pids)) ||
	    resize(&sel->buf->scores, n, sizeof(*sel->buf->scores)) ||
	    resize(&sel->buf->order, n, sizeof(*sel->buf->order)) ||
	    resize(&sel->buf->pinners, n, sizeof(*sel->buf->pinners)) ||
	    resize(&sel->buf->adjs, n, sizeof(*sel->buf->adjs)) ||
	    resize(&sel->buf->bounds, n, sizeof(*sel->buf->bounds)) ||
	    resize(&sel->buf->ranks, n, sizeof(*sel->buf->ranks)) ||
	    resize(&sel->buf->fds, n, sizeof(*sel->buf->fds)) ||
	    resize(&sel->buf->held_pids, n, sizeof(*sel->buf->held_pids)) ||
	    resize(&sel->buf->held_fds, n, sizeof(*sel->buf->held_fds)) ||
	    resize(&sel->buf->held_starts, n, sizeof(*sel->buf->held_starts)) ||
	    resize(&sel->buf->starts, n, sizeof(*sel->buf->starts)) ||
	    resize(&sel->buf->kept, n, sizeof(*sel->buf->kept)) ||
	    resize(&sel->buf->held_at, n, sizeof(*sel->buf->held_at)))
		return -ENOMEM;
	sel->buf->cap = cap;
	return 0;
}

int selector_hold_files(struct selector *sel, int max)
{
	struct rlimit rl;
	/* room for everything else the program opens: pidfds of victims, cgroup files */
	const int spare = 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	long room = (long)rl.rlim_cur - spare;

	sel->hold = room < 0 ? 0 : room < max ? (int)room : max;
	return sel->hold;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/*
 * Pairs the pids just listed with the files held from the last selection: both ascending,
 * one pass. Files of processes no longer listed are closed.
 */
static void match_held(struct selector *sel, int n)
{
	struct selector_buffers *b = sel->buf;
	int j = 0;

	for (int i = 1; i < n; i++)
		if (b->pids[i - 1] > b->pids[i]) {
			/* /proc lists pids in order; a fixture tree need not */
			qsort(b->pids, (size_t)n, sizeof(*b->pids), by_pid);
			break;
		}
	for (int i = 0; i < n; i++) {
		while (j < b->n_held && b->held_pids[j] < b->pids[i])
			close(b->held_fds[j++]);
		b->fds[i] = -1;
		b->starts[i] = START_UNKNOWN;
		if (j < b->n_held && b->held_pids[j] == b->pids[i]) {
			b->starts[i] = b->held_starts[j];
			b->fds[i] = b->held_fds[j++];
		}
	}
	while (j < b->n_held)
		close(b->held_fds[j++]);
	b->n_held = 0;
}

/* Keeps the files the scan held for the next selection; held_at says where each went, so that
 * a start time read later in this selection is kept with its file. */
static void keep_held(struct selector *sel, int n)
{
	struct selector_buffers *b = sel->buf;
	int k = 0;

	for (int i = 0; i < n; i++) {
		b->held_at[i] = b->fds[i] >= 0 ? k : -1;
		if (b->fds[i] >= 0) {
			b->held_pids[k] = b->pids[i];
			b->held_starts[k] = b->starts[i];
			b->held_fds[k++] = b->fds[i];
		}
	}
	b->n_held = k;
}

void selector_free(struct selector *sel)
{
	struct selector_buffers *b = sel->buf;

	if (!b)
		return;
	for (int j = 0; j < b->n_held; j++)
		close(b->held_fds[j]);
	free(b->fds);
	free(b->pinners);
	free(b->adjs);
	free(b->bounds);
	free(b->ranks);
	free(b->fine);
	free(b->kind);
	free(b->held_pids);
	free(b->held_fds);
	free(b->held_starts);
	free(b->starts);
	free(b->kept);
	free(b->held_at);
	free(b->grown);
	free(b->pids);
	free(b->scores);
	free(b->order);
	free(b);
	sel->buf = NULL;
}

const pid_t *selector_pids(const struct selector *sel)
{
	return sel->buf ? sel->buf->pids : NULL;
}

const long *selector_scores(const struct selector *sel)
{
	return sel->buf ? sel->buf->scores : NULL;
}

int selector_room(const struct selector *sel)
{
	return sel->buf ? sel->buf->cap : 0;
}

int selector_held(const struct selector *sel, const pid_t **pids, const int **fds)
{
	if (pids)
		*pids = sel->buf ? sel->buf->held_pids : NULL;
	if (fds)
		*fds = sel->buf ? sel->buf->held_fds : NULL;
	return sel->buf ? sel->buf->n_held : 0;
}

int select_all_pids(struct selector *sel)
{
	int r = grow(sel, 1024);

	if (r)
		return r;
	for (;;) {
		/* the room of this listing: grow() below moves the cap, not what was listed */
		int cap = sel->buf->cap;
		int n = scan_pids(sel->proc_fd, sel->buf->pids, cap);

		if (n < 0)
			return n;
		/* keep a quarter spare, so that a machine that grows a little costs no realloc
		 * when memory is short */
		if (n > cap - cap / 4 && (r = grow(sel, n + n / 2 + 64)))
			return n <= cap ? n : r;
		if (n <= cap)
			return n;
		/* more processes than the room had: only cap of them were listed, list again */
	}
}

/* The threads of the machine: "nr_running/nr_threads" in /proc/loadavg (get_loadavg()) */
static long threads_of(int proc_fd)
{
	char buf[128];
	ssize_t n = read_file_at(proc_fd, "loadavg", buf, sizeof(buf));
	const char *s = n > 0 ? strchr(buf, '/') : NULL;
	long v = 0;

	if (!s)
		return -1;
	for (s++; *s >= '0' && *s <= '9' && v < 1L << 24; s++)
		v = v * 10 + (*s - '0');
	return *s == ' ' && v > 0 ? v : -1;
}

int selector_reserve(struct selector *sel)
{
	long n = threads_of(sel->proc_fd);
	int r;

	if (n < 0) {
		r = select_all_pids(sel);
		return r < 0 ? r : selector_room(sel);
	}
	/* as select_all_pids() grows them: a quarter spare and more */
	r = grow(sel, (int)(n + n / 2 + 64));
	return r ? r : selector_room(sel);
}

/* Sorts indices by score, highest first, in O(n): scores are 0..2000; unreadable left out */
static int order_by_score(const long *scores, int n, int *order)
{
	int start[2002] = { 0 };
	int k = 0;

	for (int i = 0; i < n; i++)
		if (scores[i] >= 0)
			start[2000 - scores[i] + 1]++;
	for (int s = 1; s < 2002; s++)
		start[s] += start[s - 1];
	/* among equal scores the highest pid first, most often the youngest: the one that wins
	 * a tie (rank_better), so that the others are passed over rather than each taking
	 * the lead in turn */
	for (int i = n - 1; i >= 0; i--)
		if (scores[i] >= 0) {
			order[start[2000 - scores[i]]++] = i;
			k++;
		}
	return k;
}

void victims_done_add(struct victims_done *d, pid_t pid, unsigned long long start_time)
{
	if (victims_done_has(d, pid, start_time))
		return;
	d->e[d->next].pid = pid;
	d->e[d->next].start_time = start_time;
	d->next = (d->next + 1) % VICTIMS_DONE_MAX;
}

bool victims_done_has(const struct victims_done *d, pid_t pid, unsigned long long start_time)
{
	for (int i = 0; i < VICTIMS_DONE_MAX; i++)
		if (d->e[i].pid == pid && d->e[i].start_time == start_time)
			return true;
	return false;
}

enum exclusion select_exclusion(const struct selector *sel, struct proc_info *p)
{
	struct rule_verdict rv;
	enum exclusion e = rank_exclusion(p, sel->self);

	/*
	 * oom_kill_process(): a victim that task_will_free_mem() is marked and handed to the
	 * reaper, and nothing else is killed. A dying process that still holds memory is
	 * what the reaper is for: choosing another would kill an innocent while that memory
	 * stays held (a dying process stuck in D state, say).
	 */
	if (e == EXCL_DYING && sel->done && !victims_done_has(sel->done, p->pid, p->start_time))
		e = EXCL_NONE;

	p->rule_delta = 0;
	p->rule = NULL;
	if (e != EXCL_NONE || !sel->nrules)
		return e;
	/* a process whose files a rule needs cannot be read is judged without the rules */
	if (rules_judge(sel->memos, sel->rules, sel->nrules, sel->proc_fd, p, &rv))
		return e;
	p->rule = rv.by ? rv.by->name : NULL;
	if (rv.ignore)
		return EXCL_IGNORED;
	p->rule_delta = rv.delta;
	return EXCL_NONE;
}

enum exclusion select_exclusion_now(const struct selector *sel, struct proc_info *p)
{
	struct selector now = *sel;

	now.memos = NULL;
	return select_exclusion(&now, p);
}

/*
 * Whether the verdict the rules' memos gave p, judged when the process was first seen, is the
 * one its files give now. An exec or a move to another cgroup keeps the pid, the start time
 * and the /proc directory the memos know a process by, not the exe, cmdline or cgroup a rule
 * matches: a service started by a wrapper script that execs it was judged as the shell.
 */
static bool memo_holds(const struct selector *sel, const struct proc_info *p)
{
	struct proc_info q = *p;

	if (!sel->memos || !sel->nrules)
		return true;
	return select_exclusion_now(sel, &q) == EXCL_NONE && q.rule_delta == p->rule_delta;
}

int select_group(const struct selector *sel, const struct proc_info *p, const pid_t *pids,
		 int n, struct victim *v, pid_t *pinned)
{
	int sharers = 0;

	*pinned = 0;
	/* ourselves first: a fixture's list need not hold us */
	if (p->pid != sel->self && sel->same_mm(p->pid, sel->self, sel->same_mm_ctx) == MM_SAME) {
		*pinned = sel->self;
		return -EPERM;
	}
	for (int i = 0; i < n; i++) {
		struct proc_info q;

		if (pids[i] == p->pid || pids[i] == sel->self ||
		    sel->same_mm(p->pid, pids[i], sel->same_mm_ctx) != MM_SAME)
			continue;
		memset(&q, 0, sizeof(q));
		/* gone, unreadable, or without an mm (a zombie's NULL mm compares equal to any
		 * other NULL mm, a kthread's too): nothing of the victim's memory there */
		if (scan_proc(sel->proc_fd, pids[i], SCAN_DETAIL, &q) || !q.has_mm)
			continue;
		/* as the rules judge it now, not the memos (memo_holds()) */
		enum exclusion e = select_exclusion_now(sel, &q);

		if (exclusion_protects(e)) {
			*pinned = q.pid;
			return -EPERM;
		}
		/* kthread_use_mm() borrowers need no signal: the kernel skips them too */
		if (e == EXCL_KTHREAD)
			continue;
		if (v) {
			int r = victim_add(v, &q);

			if (r)
				return r;
		}
		sharers++;
	}
	return sharers;
}

/*
 * Whether p's mm is pinned by a protected process among pids[0..n-1]: its pid, or 0. With
 * sel->group, p's group is gathered there as it is checked (victim_gather takes it as it is).
 */
static pid_t pinned_by(const struct selector *sel, const struct proc_info *p, const pid_t *pids,
		       int n)
{
	struct victim *v = sel->group;
	pid_t pin;
	int r;

	if (v) {
		victim_reset(v, p);
		if (victim_add(v, p))
			v = NULL;
	}
	r = select_group(sel, p, pids, n, v, &pin);
	/* a group not gathered whole is gathered again by the kill, which says why it fails */
	if (v)
		v->gathered = r >= 0;
	return r == -EPERM ? pin : 0;
}

/*
 * qos_order: the rank of pid's QoS class, the higher chosen first. BestEffort, then Burstable,
 * then Guaranteed: the order kubelet evicts in under memory pressure (pkg/kubelet/eviction,
 * rankMemoryPressure) and the order of the oom_score_adj it gives them (pkg/kubelet/qos
 * GetContainerOOMScoreAdjust(): 1000, 3..999, -997). A process in no pod comes last: on a
 * node those are kubelet, the container runtime (both given -999 by kubelet, below any pod)
 * and the node's own daemons, which every pod needs. Without qos_order, 0 for everyone.
 */
static signed char qos_rank(enum qos_class q)
{
	switch (q) {
	case QOS_BESTEFFORT: return 3;
	case QOS_BURSTABLE: return 2;
	case QOS_GUARANTEED: return 1;
	case QOS_NONE: break;
	}
	return 0;
}

static signed char qos_rank_of(const struct selector *sel, pid_t pid)
{
	struct identity id;

	if (!sel->qos_order)
		return 0;
	/* a malformed container ID still leaves the pod's class, which is read first */
	scan_identity(sel->proc_fd, pid, &id);
	return qos_rank(id.qos);
}

/* The QoS rank of sel->buf->pids[0..n-1], read by the scan's threads */
static void read_ranks(struct selector *sel, int n)
{
	signed char *r = sel->buf->ranks;

	if (!sel->qos_order) {
		memset(r, 0, (size_t)n);
		return;
	}
	scan_qos(sel->proc_fd, sel->buf->pids, n, r, sel->threads);
	for (int i = 0; i < n; i++)
		r[i] = qos_rank((enum qos_class)r[i]);
}

/* Reads pid in detail and applies the rules that need only it and its parent. */
static enum exclusion judge(const struct selector *sel, pid_t pid, struct proc_info *p)
{
	memset(p, 0, sizeof(*p));
	p->kernel_score = -1;
	if (scan_proc(sel->proc_fd, pid, SCAN_DETAIL, p) == 0 && p->has_mm && p->ppid > 0 &&
	    sel->same_mm(pid, p->ppid, sel->same_mm_ctx) == MM_SAME) {
		struct proc_info parent;

		memset(&parent, 0, sizeof(parent));
		/* in_vfork(): the child borrows the mm while its parent waits in state D */
		if (scan_proc(sel->proc_fd, p->ppid, SCAN_STAT, &parent) == 0)
			p->vfork_child = vfork_rule(true, parent.state);
	}
	return select_exclusion(sel, p);
}

static void set_badness(struct proc_info *p, const struct scope *s)
{
	p->points = oom_points(p, s->page_kb);
	/* a rule's weight counts as oom_score_adj does: in thousandths of totalpages */
	p->badness = oom_badness_of(p->points, p->oom_score_adj, s->totalpages) +
		     p->rule_delta * (long)(s->totalpages / 1000);
	p->score = oom_score_of(oom_badness_of(p->points, p->oom_score_adj,
					       s->global_totalpages),
				s->global_totalpages);
}

/* Whether pid is a process of the scope: the whole machine, or the cgroup's subtree */
static int in_scope(const struct selector *sel, const struct scope *s, pid_t pid)
{
	pid_t *pids = NULL;
	int n;

	if (s->kind == SCOPE_GLOBAL)
		return 1;
	n = scope_pids(s, sel->proc_fd, &pids);
	if (n < 0)
		return n;
	bool in = bsearch(&pid, pids, (size_t)n, sizeof(*pids), by_pid) != NULL;

	free(pids);
	return in;
}

int select_judge(const struct selector *sel, const struct scope *s, pid_t pid, const pid_t *pids,
		 int n, struct proc_info *p, struct victim *v)
{
	pid_t pin;
	int r;

	p->excl = judge(sel, pid, p);
	p->excl_pid = 0;
	p->qos_rank = qos_rank_of(sel, pid);
	if (p->excl == EXCL_NONE) {
		r = in_scope(sel, s, pid);
		if (r < 0)
			return r;
		if (!r)
			p->excl = EXCL_OUT_OF_SCOPE;
	}
	if (p->excl != EXCL_NONE) {
		p->badness = LONG_MIN;
		return p->excl;
	}
	set_badness(p, s);
	if (v) {
		victim_reset(v, p);
		r = victim_add(v, p);
		if (r)
			return r;
	}
	r = select_group(sel, p, pids, n, v, &pin);
	if (r == -EPERM) {
		p->excl = EXCL_SHARES_PROTECTED;
		p->excl_pid = pin;
		p->badness = LONG_MIN;
		return p->excl;
	}
	return r < 0 ? r : EXCL_NONE;
}

/* Reads the oom_score of sel->buf->pids[0..n-1], through held files when the selector holds
 * them */
static int read_scores(struct selector *sel, int n)
{
	struct selector_buffers *b = sel->buf;
	int r;

	if (sel->hold <= 0)
		return scan_scores(sel->proc_fd, b->pids, n, b->scores, sel->threads);
	match_held(sel, n);
	r = scan_scores_held(sel->proc_fd, b->pids, n, b->scores, b->fds, sel->hold, b->kept,
			     sel->threads);
	/* a file opened afresh may be another process's than the start time read before */
	for (int i = 0; i < n; i++)
		if (!b->kept[i])
			b->starts[i] = START_UNKNOWN;
	keep_held(sel, n);
	return r;
}

/*
 * A closer look than oom_score at the candidates a walk would otherwise read in detail one by
 * one. Where oom_score cannot tell them apart (its quantum is totalpages * 3 / 2000, tens of MB
 * on a machine of some GB: thousands of small processes all score 666), each is bounded from
 * statm (one small file: its resident pages, and page tables no more than its size allows,
 * pgtables_max_pages()), or where that cannot pass it over, from status (its points exactly);
 * a candidate whose bound ties the best has its start time read (stat) for the tie-break; only
 * one that could still win is judged. Once the walk has a first winner, the candidates left
 * that oom_score cannot pass over are looked at on the selector's threads and walked through
 * largest bound first, so that the largest is judged first and passes over the others.
 */
struct closer {
	struct selector *sel;
	const struct scope *s;
	int *order;
	const long *bounds;
	long best;		/* below it, statm is close enough */
	long swap_pages;	/* the most swap entries a process holds; LONG_MAX: unknown */
	bool cgroup;		/* the adj is known (adjs), not inferred from the score */
	int to;			/* order[..to-1] looked at on the threads, largest bound first */
	atomic_int tried, won;	/* statm's bounds made, and those that passed over */
};

/* Parallel looks only for more candidates than this: below, the threads cost more */
#define CLOSER_PARALLEL_MIN 32

/* The most swap entries a process of the machine may hold: none when no swap is in use
 * (each entry holds a slot), else unknown */
static long swap_pages_bound(int proc_fd)
{
	char buf[4096];
	struct meminfo m;
	ssize_t len = read_file_at(proc_fd, "meminfo", buf, sizeof(buf));

	if (len < 0 || parse_meminfo(buf, (size_t)len, &m) || m.swap_free_kb > m.swap_total_kb)
		return LONG_MAX;
	return m.swap_total_kb == m.swap_free_kb ? 0 : LONG_MAX;
}

/*
 * The most badness the candidate at index i can have with at most max_points and at least
 * min_points: its adj as read (a cgroup scope), or as its oom_score leaves room for
 */
static long points_bound(struct closer *cl, int i, long max_points, long min_points)
{
	const struct selector_buffers *b = cl->sel->buf;
	const struct scope *s = cl->s;
	long unit = (long)(s->totalpages / 1000), adj_w;

	if (max_points == LONG_MAX)
		return LONG_MAX;
	if (cl->cgroup)
		adj_w = (long)b->adjs[i] * unit;
	else
		adj_w = adj_max_weight(oom_score_max_badness(b->scores[i], s->global_totalpages),
				       min_points, unit);
	long v = max_points + adj_w + rules_boost(cl->sel->memos, cl->sel->rules,
						  cl->sel->nrules, b->pids[i]) * unit;

	return v < cl->bounds[i] ? v : cl->bounds[i];
}

/* The most badness the candidate at index i can have, from its statm; LONG_MAX unknown */
static long statm_bound(struct closer *cl, int i)
{
	unsigned long vm, rss;

	if (cl->swap_pages == LONG_MAX ||
	    scan_statm(cl->sel->proc_fd, cl->sel->buf->pids[i], &vm, &rss))
		return LONG_MAX;
	return points_bound(cl, i, statm_max_points(vm, rss, cl->swap_pages), (long)rss);
}

/* The same from its status, which gives its points exactly; LONG_MAX unknown */
static long status_bound(struct closer *cl, int i)
{
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	if (scan_proc(cl->sel->proc_fd, cl->sel->buf->pids[i], SCAN_STATUS, &p) || !p.has_mm)
		return LONG_MAX;
	long pts = oom_points(&p, cl->s->page_kb);

	return points_bound(cl, i, pts, pts);
}

/* Bounds the candidate order[j], once a selection: statm, and status where statm's bound is
 * not under cl->best */
static void look_closer(void *ctx, int j)
{
	struct closer *cl = ctx;
	int i = cl->order[j];
	unsigned char *kind = &cl->sel->buf->kind[i];
	int tried = atomic_load_explicit(&cl->tried, memory_order_relaxed);
	int won = atomic_load_explicit(&cl->won, memory_order_relaxed);
	long v = LONG_MAX;

	if (*kind != FINE_NONE)
		return;
	/* where statm passes over almost nobody (all of a size), it is a read for nothing */
	if (tried < 64 || won * 8 >= tried) {
		v = statm_bound(cl, i);
		atomic_fetch_add_explicit(&cl->tried, 1, memory_order_relaxed);
		if (v < cl->best)
			atomic_fetch_add_explicit(&cl->won, 1, memory_order_relaxed);
	}
	if (v >= cl->best)
		v = status_bound(cl, i);
	cl->sel->buf->fine[i].v = v;
	*kind = FINE_BOUND;
}

/*
 * Reads the start time of the candidate order[j], whose bound ties the best. A process whose
 * oom_score file the selector holds keeps its start time with it: read once, from its stat,
 * while the file names that process (scan_scores_held()'s kept), a daemon's later selections
 * among the same ties read no stat at all.
 */
static void look_tied(void *ctx, int j)
{
	struct closer *cl = ctx;
	struct selector_buffers *b = cl->sel->buf;
	int i = cl->order[j];
	/* held_at[] is this selection's only where it read the held oom_score files */
	bool held = cl->sel->hold > 0 && b->scores_read && b->held_at[i] >= 0;
	struct proc_info p;

	if (b->kind[i] != FINE_BOUND)
		return;
	if (held && b->starts[i] != START_UNKNOWN) {
		b->fine[i].start_time = b->starts[i];
		b->kind[i] = FINE_TIED;
		return;
	}
	memset(&p, 0, sizeof(p));
	if (scan_proc(cl->sel->proc_fd, b->pids[i], SCAN_STAT, &p) == 0) {
		b->fine[i].start_time = p.start_time;
		b->kind[i] = FINE_TIED;
		if (held)
			b->held_starts[b->held_at[i]] = p.start_time;
	}
}

/* look_tied() for order[j] and every one after it in the looked range that ties it too, on
 * the threads when they are many */
static void look_tied_all(struct closer *cl, int j, long v)
{
	int to = j;

	while (to < cl->to && cl->sel->buf->fine[cl->order[to]].v == v)
		to++;
	if (to - j < CLOSER_PARALLEL_MIN || cl->sel->threads < 2) {
		look_tied(cl, j);
		return;
	}
	cl->order += j;
	scan_parallel(to - j, look_tied, cl, cl->sel->threads);
	cl->order -= j;
}

/*
 * Whether the candidate order[j] cannot beat best, as a closer look says (made now if it was
 * not); *second takes what it may have. False: it must be judged.
 */
static bool passed_over(struct closer *cl, int j, const struct proc_info *best, long *second)
{
	const struct fine *f = &cl->sel->buf->fine[cl->order[j]];
	const unsigned char *kind = &cl->sel->buf->kind[cl->order[j]];

	if (*kind == FINE_NONE) {
		cl->best = best->badness;
		look_closer(cl, j);
	}
	if (f->v == best->badness && *kind == FINE_BOUND)
		look_tied_all(cl, j, f->v);
	if (f->v > best->badness)
		return false;
	if (f->v == best->badness) {
		struct proc_info q = { .pid = cl->sel->buf->pids[cl->order[j]], .badness = f->v,
				       .start_time = f->start_time };

		/* at most a tie: beaten unless it is the younger (rank_better) */
		if (*kind != FINE_TIED || rank_better(&q, best))
			return false;
	}
	if (f->v > *second)
		*second = f->v;
	return true;
}

/*
 * Sorts n indices by cmp (as qsort_r() would) in place, with a heap sort: glibc's qsort_r()
 * mallocs a buffer for anything over 1 kB, and a selection allocates nothing once started
 */
static void sort_indices(int *v, int n, int (*cmp)(const void *, const void *, void *),
			 void *ctx)
{
	for (int end = n, start = n / 2;;) {
		int root, t;

		if (start > 0) {
			root = --start;
		} else {
			if (--end <= 0)
				return;
			t = v[end];
			v[end] = v[0];
			v[0] = t;
			root = 0;
		}
		/* sift down: the larger child up until the root's place is found */
		for (int child; (child = 2 * root + 1) < end; root = child) {
			if (child + 1 < end && cmp(&v[child + 1], &v[child], ctx) > 0)
				child++;
			if (cmp(&v[child], &v[root], ctx) <= 0)
				break;
			t = v[child];
			v[child] = v[root];
			v[root] = t;
		}
	}
}

/* sort_indices()'s comparator of indices by their closer bound: the largest first, and among
 * equals the highest pid, as order_by_score() has them */
static int by_fine(const void *x, const void *y, void *ctx)
{
	const struct fine *fine = ctx;
	int i = *(const int *)x, j = *(const int *)y;
	long a = fine[i].v, b = fine[j].v;

	if (a == b)
		return (i < j) - (i > j);
	return (a < b) - (a > b);
}

/* Once the walk has its first winner: a closer look at every candidate whose oom_score leaves
 * it room to beat it, order[from..k-1], on the selector's threads; then they are walked
 * through largest bound first */
static void look_closer_all(struct closer *cl, int from, int k, long best)
{
	int to = from;

	while (to < k && cl->bounds[cl->order[to]] >= best)
		to++;
	/* once a selection: a walk again after a pinned winner finds them looked at. Not under
	 * qos_order, whose walk is ordered by rank first: bounds alone would mix the ranks */
	if (cl->to || to - from < CLOSER_PARALLEL_MIN || cl->sel->threads < 2 ||
	    cl->sel->qos_order)
		return;
	cl->best = best;
	cl->order += from;
	scan_parallel(to - from, look_closer, cl, cl->sel->threads);
	cl->order -= from;
	sort_indices(cl->order + from, to - from, by_fine, cl->sel->buf->fine);
	cl->to = to;
}

/* Winners passed over because their mm is pinned, before the walk checks every would-be winner */
#define PINNED_WINNERS_MAX 8

static bool among(pid_t pid, const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/*
 * Whether no candidate from index i on in the walk's order (QoS rank, then bound, both
 * descending) can beat best: a lower rank, or the same and a bound below best's badness
 */
static bool out_of_reach(const struct selector_buffers *b, int i, const struct proc_info *best)
{
	if (b->ranks[i] != best->qos_rank)
		return b->ranks[i] < best->qos_rank;
	return best->badness > b->bounds[i];
}

/*
 * Reads past the victim for its runner-up: a process not yet read whose bound still beats the
 * best other one found is read too, at most this many more times (processes that turn out
 * ineligible could otherwise keep the walk reading for ever)
 */
#define RUNNER_UP_READS_MAX 16

/* q lost to the winner (or was displaced by a new one): the runner-up if it ranks above it */
static void runner_up_offer(struct choice *c, const struct proc_info *q)
{
	if (c->has_runner_up && !rank_better(q, &c->runner_up))
		return;
	c->has_runner_up = true;
	c->runner_up = *q;
	c->runner_up.cgroup = NULL;
}

/* Whether the walk may stop at the candidate at index i: neither the victim nor its
 * runner-up can be beaten from there on, or it read as far past the victim as it may */
static bool walk_done(const struct selector_buffers *b, const struct choice *c, int i, int past)
{
	if (!c->found || !out_of_reach(b, i, &c->victim))
		return false;
	return (c->has_runner_up && out_of_reach(b, i, &c->runner_up)) ||
	       past >= RUNNER_UP_READS_MAX;
}

/*
 * One walk: candidates in order of the most badness they could have (bounds), read in detail
 * one by one until none left can beat the best found, nor its runner-up; the processes in
 * passed[] are passed over. With check, each would-be winner pays the kcmp pass against the
 * processes that could pin its mm (and against oomreaper itself); without, none does.
 */
static void walk_once(struct selector *sel, const struct scope *s, int *order, int k,
		      const long *bounds, const pid_t *pinners, int npinners, bool check,
		      const pid_t *passed, int npassed, const pid_t *fresh, int nfresh,
		      struct choice *c, struct closer *cl)
{
	/* the processes whose verdict from the memos no longer held are judged as they are now;
	 * everyone, when each would-be winner is checked */
	struct selector now = *sel;

	now.memos = NULL;
	/* the others: the best of those read and passed over, and the bound of those not read */
	long second = LONG_MIN;
	int past = 0, extra = 0;
	bool looked = false;

	for (int j = 0; j < k; j++) {
		struct proc_info p;

		/* the first winner found: a closer look at those left, which may sort order[j..]
		 * again */
		if (c->found && !looked) {
			look_closer_all(cl, j, k, c->victim.badness);
			looked = true;
		}
		int i = order[j];

		/* past what was looked at closer, the order is by oom_score's bounds (within a
		 * QoS rank): none left can beat the best, nor its runner-up */
		if (j >= cl->to && walk_done(sel->buf, c, i, past)) {
			if (bounds[i] > second)
				second = bounds[i];
			break;
		}
		if (among(sel->buf->pids[i], passed, npassed))
			continue;
		if (c->found && !sel->qos_order && passed_over(cl, j, &c->victim, &second)) {
			/* it cannot beat the victim: read in detail only while it may still be
			 * the runner-up, and at most RUNNER_UP_READS_MAX times */
			if (extra >= RUNNER_UP_READS_MAX ||
			    (c->has_runner_up && sel->buf->fine[i].v < c->runner_up.badness))
				continue;
			extra++;
		}
		c->detailed++;
		if (c->found && out_of_reach(sel->buf, i, &c->victim))
			past++;
		if (judge(check || among(sel->buf->pids[i], fresh, nfresh) ? &now : sel,
			  sel->buf->pids[i], &p) != EXCL_NONE)
			continue;
		p.kernel_score = sel->buf->scores_read ? sel->buf->scores[i] : -1;
		p.qos_rank = sel->buf->ranks[i];
		set_badness(&p, s);
		c->candidates++;
		if (c->found && !rank_better(&p, &c->victim)) {
			if (p.badness > second)
				second = p.badness;
			runner_up_offer(c, &p);
			continue;
		}
		if (check && pinned_by(sel, &p, pinners, npinners))
			continue;
		if (c->found && c->victim.badness > second)
			second = c->victim.badness;
		if (c->found)
			runner_up_offer(c, &c->victim);
		c->victim = p;
		c->found = true;
	}
	c->others_bound = second;
}

/*
 * The walk, and the kcmp pass against the processes that could pin its mm
 * (__oom_kill_process()) for its winner only. Paid by every would-be winner, it made the walk
 * quadratic where thousands of processes tie: each younger one beats the one before, and in a
 * cgroup of 10,000 identical processes that was 10,000 passes of 10,000 kcmp calls, 40 s. A
 * pinned winner is passed over and the walk run again; a pinned mm is rare, and after
 * PINNED_WINNERS_MAX of them the walk checks every would-be winner as it goes.
 */
static void walk(struct selector *sel, const struct scope *s, int *order, int k,
		 const long *bounds, const pid_t *pinners, int npinners, struct choice *c)
{
	pid_t passed[PINNED_WINNERS_MAX], fresh[PINNED_WINNERS_MAX];
	int npassed = 0, nfresh = 0, detailed = 0;
	struct closer cl = { .sel = sel, .s = s, .order = order, .bounds = bounds,
			     .cgroup = s->kind != SCOPE_GLOBAL,
			     .swap_pages = swap_pages_bound(sel->proc_fd) };

	for (;;) {
		bool each = npassed + nfresh == PINNED_WINNERS_MAX;

		c->found = false;
		c->detailed = 0;
		c->candidates = 0;
		c->has_runner_up = false;
		walk_once(sel, s, order, k, bounds, pinners, npinners, each, passed, npassed,
			  fresh, nfresh, c, &cl);
		detailed += c->detailed;
		if (each || !c->found)
			break;
		/* the winner as the rules judge it now: walked again, judged so, when the
		 * memos' verdict of it is stale */
		if (!among(c->victim.pid, fresh, nfresh) && !memo_holds(sel, &c->victim)) {
			fresh[nfresh++] = c->victim.pid;
			continue;
		}
		if (!pinned_by(sel, &c->victim, pinners, npinners))
			break;
		passed[npassed++] = c->victim.pid;
	}
	c->detailed = detailed;
	/* the lead is counted within a rank; across ranks the selection cannot tell */
	if (sel->qos_order)
		c->others_bound = LONG_MAX;
}

/* A byte a candidate: nothing looked at closer yet in this selection (before walk()) */
static void fine_clear(struct selector *sel)
{
	memset(sel->buf->kind, FINE_NONE, sizeof(*sel->buf->kind) * (size_t)sel->buf->cap);
}

/* sort_indices()'s comparator of indices into the buffers ctx: the highest QoS rank first, then
 * the largest bound */
static int by_bound(const void *x, const void *y, void *ctx)
{
	const struct selector_buffers *buf = ctx;
	int i = *(const int *)x, j = *(const int *)y;
	long a = buf->bounds[i], b = buf->bounds[j];

	if (buf->ranks[i] != buf->ranks[j])
		return buf->ranks[i] > buf->ranks[j] ? -1 : 1;
	/* among equals the highest pid first, as order_by_score() has them */
	if (a == b)
		return (i < j) - (i > j);
	return (a < b) - (a > b);
}

static int select_global(struct selector *sel, const struct scope *s, struct choice *c)
{
	struct selector_buffers *b = sel->buf;
	int n = select_all_pids(sel);

	if (n < 0)
		return n;
	c->scanned = n;
	int r = read_scores(sel, n);

	if (r)
		return r;
	b->scores_read = true;
	int k = order_by_score(b->scores, n, b->order);
	/* nobody scored this low can beat the best: oom_score is monotonic in badness; prefer
	 * rules may add to a process the scores rank low */
	long unit = (long)(s->totalpages / 1000);

	for (int i = 0; i < n; i++)
		b->bounds[i] = b->scores[i] < 0 ? LONG_MIN
			       : oom_score_max_badness(b->scores[i], s->global_totalpages) +
					 rules_boost(sel->memos, sel->rules, sel->nrules,
						     b->pids[i]) * unit;
	read_ranks(sel, n);
	if (sel->qos_order)
		qsort_r(b->order, (size_t)k, sizeof(*b->order), by_bound, b);
	fine_clear(sel);
	/* the winner's mm is checked against every process, as the kill gathers it: an ignore
	 * rule protects processes the kernel scores above 0 */
	walk(sel, s, b->order, k, b->bounds, b->pids, n, c);
	return 0;
}


/* select_cgroup()'s pass over status and adj: each member's badness in the scope, without the
 * rules, into bounds[i]; LONG_MIN where it cannot be a candidate (gone, no mm) */
static void read_points(void *ctx, int i)
{
	struct closer *cl = ctx;
	struct selector_buffers *b = cl->sel->buf;
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	if (scan_proc(cl->sel->proc_fd, b->pids[i], SCAN_STATUS | SCAN_ADJ, &p) || !p.has_mm) {
		b->bounds[i] = LONG_MIN;
		return;
	}
	b->bounds[i] = oom_badness_of(oom_points(&p, cl->s->page_kb), p.oom_score_adj,
				      cl->s->totalpages);
}

/*
 * Whether a cgroup selection reads each member's status (its points exactly) and adj, rather
 * than its oom_score and adj, before the walk. oom_score is a bound in units of the machine's
 * totalpages / 1000 (tens of MB): among small processes it ties, every one then needs its
 * status as well, and three files a process is what 30,000 of them cost. Status first costs
 * two files whatever the sizes; oom_score first, two where the scores tell the members apart,
 * three where they do not, and less than status in a daemon that holds the oom_score files
 * open (a pread each, selector_hold_files). So: status first where no oom_score file is held,
 * a one-shot selection and a daemon's first (its warm-up at start, which opens no file to
 * hold); oom_score first in a daemon's later selections.
 */
static bool status_first(const struct selector *sel)
{
	return sel->hold <= 0 || sel->buf->selections == 0;
}

int selector_hold_now(struct selector *sel, const struct scope *s)
{
	struct selector_buffers *b = sel->buf;
	pid_t *members = NULL;
	int n, r;

	/* only once, after the status-first selection: the next one reads and holds them */
	if (sel->hold <= 0 || !b || b->selections != 1 || b->scores_read ||
	    s->kind == SCOPE_GLOBAL)
		return 0;
	n = scope_pids(s, sel->proc_fd, &members);
	if (n < 0)
		return n;
	r = n > b->cap - 64 ? grow(sel, n + n / 2 + 64) : 0;
	if (!r) {
		b = sel->buf;
		memcpy(b->pids, members, sizeof(pid_t) * (size_t)n);
		r = read_scores(sel, n);
	}
	free(members);
	/* scores[] holds the oom_score of each listed now: not to be done again */
	b->scores_read = true;
	return r;
}

static int select_cgroup(struct selector *sel, const struct scope *s, struct choice *c)
{
	struct selector_buffers *b = sel->buf;
	/* every process of the machine may pin a member's mm: a sharer outside the cgroup */
	int all = select_all_pids(sel);

	if (all < 0)
		return all;
	memcpy(b->pinners, b->pids, sizeof(pid_t) * (size_t)all);
	pid_t *members = NULL;
	int n = scope_pids(s, sel->proc_fd, &members);

	if (n < 0)
		return n;
	int r = n > b->cap - 64 ? grow(sel, n + n / 2 + 64) : 0;

	if (r) {
		free(members);
		return r;
	}
	b = sel->buf;
	memcpy(b->pids, members, sizeof(pid_t) * (size_t)n);
	free(members);
	c->scanned = n;
	fine_clear(sel);
	bool exact = status_first(sel);

	if (exact) {
		struct closer cl = { .sel = sel, .s = s };

		r = scan_parallel(n, read_points, &cl, sel->threads);
	} else {
		r = read_scores(sel, n);
		if (!r)
			r = scan_adjs(sel->proc_fd, b->pids, n, b->adjs, sel->threads);
	}
	if (r)
		return r;
	/* no oom_score read: the scores and adjs arrays are left untouched (the pages a daemon
	 * holds), and the candidates' kernel_score is unknown */
	b->scores_read = !exact;
	read_ranks(sel, n);
	long tg = (long)(s->global_totalpages / 1000), tc = (long)(s->totalpages / 1000);
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (exact ? b->bounds[i] == LONG_MIN : b->scores[i] < 0)
			continue;
		long boost = rules_boost(sel->memos, sel->rules, sel->nrules, b->pids[i]) * tc;

		if (exact) {
			/* its badness as status read it: the closer look, made for everyone */
			b->bounds[i] += boost;
			b->fine[i].v = b->bounds[i];
			b->kind[i] = FINE_BOUND;
		} else {
			long hi = oom_score_max_badness(b->scores[i], s->global_totalpages);

			/* the points the score leaves room for, then the adj as the cgroup
			 * counts it */
			b->bounds[i] = hi == LONG_MAX ? LONG_MAX
				       : hi - b->adjs[i] * tg + b->adjs[i] * tc + boost;
		}
		b->order[k++] = i;
	}
	sort_indices(b->order, k, by_bound, b);
	walk(sel, s, b->order, k, b->bounds, b->pinners, all, c);
	return 0;
}

/* The rules on a ranked table: weights on the badness; ignore hides the process's group */
static void rule_table(struct selector *sel, struct proc_table *t, const struct scope *s)
{
	for (int i = 0; i < t->n && sel->nrules; i++) {
		struct proc_info *p = &t->procs[i];

		if (p->excl != EXCL_NONE)
			continue;
		if (select_exclusion(sel, p) != EXCL_IGNORED) {
			p->badness += p->rule_delta * (long)(s->totalpages / 1000);
			continue;
		}
		p->excl = EXCL_IGNORED;
		for (int j = p->group; j >= 0 && p->group_size > 1; j = t->procs[j].group_next)
			if (j != i && t->procs[j].excl == EXCL_NONE) {
				t->procs[j].excl = EXCL_SHARES_PROTECTED;
				t->procs[j].excl_pid = p->pid;
			}
	}
}

static int by_growth_pid(const void *a, const void *b)
{
	pid_t x = ((const struct growth *)a)->pid, y = ((const struct growth *)b)->pid;

	return (x > y) - (x < y);
}

/*
 * Pages a second p grew by since the last selection. A process that was not there then grew
 * from nothing: a hog started since is the fastest grower there is. 0 on a first selection.
 */
static double growth_of(const struct selector *sel, const struct proc_info *p, long long now)
{
	struct growth key = { .pid = p->pid };
	const struct selector_buffers *b = sel->buf;
	const struct growth *g = b->n_grown ? bsearch(&key, b->grown, (size_t)b->n_grown,
						      sizeof(key), by_growth_pid)
					    : NULL;

	if (!sel->buf->grown_at || now <= sel->buf->grown_at)
		return 0;
	long before = g && g->start_time == p->start_time ? g->points : 0;

	return (double)(p->points - before) * 1e9 / (double)(now - sel->buf->grown_at);
}

/* Keeps every process's size for the next selection's growth */
static void remember_growth(struct selector *sel, const struct proc_table *t, long long now)
{
	if (t->n > sel->buf->cap_grown) {
		struct growth *g = realloc(sel->buf->grown, sizeof(*g) * (size_t)t->n);

		if (!g)
			return;
		sel->buf->grown = g;
		sel->buf->cap_grown = t->n;
	}
	sel->buf->n_grown = 0;
	for (int i = 0; i < t->n; i++)
		if (t->procs[i].has_mm && !t->procs[i].err)
			sel->buf->grown[sel->buf->n_grown++] = (struct growth){ t->procs[i].pid,
								      t->procs[i].start_time,
								      t->procs[i].points };
	qsort(sel->buf->grown, (size_t)sel->buf->n_grown, sizeof(*sel->buf->grown), by_growth_pid);
	sel->buf->grown_at = now;
}

/* The best eligible entry of the table by the policy; -1 when none */
static int best_of(const struct selector *sel, const struct proc_table *t, long long now)
{
	int best = -1;
	double best_growth = 0;
	signed char top = 0;

	/* qos_order comes before the policy: the fastest grower of the highest rank */
	for (int i = 0; i < t->n; i++)
		if (t->procs[i].excl == EXCL_NONE && t->procs[i].qos_rank > top)
			top = t->procs[i].qos_rank;
	if (sel->policy == POLICY_FASTEST_GROWING) {
		for (int i = 0; i < t->n; i++) {
			const struct proc_info *p = &t->procs[i];
			double g = p->excl == EXCL_NONE && p->qos_rank == top ? growth_of(sel, p, now)
									      : 0;

			if (g > best_growth ||
			    (best >= 0 && g == best_growth && rank_better(p, &t->procs[best]))) {
				best = i;
				best_growth = g;
			}
		}
		/* nothing grew: the largest, as the kernel would */
		if (best >= 0)
			return best;
	}
	for (int i = 0; i < t->n; i++)
		if (t->procs[i].excl == EXCL_NONE &&
		    (best < 0 || rank_better(&t->procs[i], &t->procs[best])))
			best = i;
	return best;
}

/*
 * The table selections' survey: every process of the scope read in detail (on the threads),
 * grouped by mm and ranked, the rules applied. *pids and *order are the caller's to free, and
 * t to table_free(), whatever this returns: 0 or -errno.
 */
static int table_take(struct selector *sel, const struct scope *s, struct choice *c,
		      struct proc_table *t, pid_t **pids, int **order)
{
	struct rank_ctx rc = { .totalpages = s->totalpages,
			       .global_totalpages = s->global_totalpages,
			       .page_kb = s->page_kb, .self = sel->self };
	int n, r;

	memset(t, 0, sizeof(*t));
	n = scope_pids(s, sel->proc_fd, pids);
	if (n < 0)
		return n;
	c->scanned = n;
	r = table_init(t, n + 1);
	if (!r)
		r = scan_table(sel->proc_fd, *pids, n, SCAN_DETAIL, t, sel->threads);
	if (!r && !(*order = malloc(sizeof(int) * (size_t)(n + 1))))
		r = -ENOMEM;
	if (!r && share_find_groups_on(t, sel->same_mm, sel->same_mm_ctx, sel->threads) < 0)
		r = -ENOMEM;
	if (r)
		return r;
	c->detailed = n;
	for (int i = 0; i < t->n; i++)
		t->procs[i].qos_rank = qos_rank_of(sel, t->procs[i].pid);
	rank_table(t, &rc, *order);
	rule_table(sel, t, s);
	return 0;
}

/*
 * Whether a table selection's would-be winner p may be chosen: judged by the rules as it is
 * now (a verdict from before an exec, memo_holds(), is judged again into p: false), and its mm
 * pinned by no protected process among the `all` pids of the machine listed (p marked: false).
 */
static bool winner_holds(struct selector *sel, const struct scope *s, struct proc_info *p, int all)
{
	struct proc_info q = *p;

	if (!memo_holds(sel, p)) {
		p->excl = select_exclusion_now(sel, &q);
		p->badness += (q.rule_delta - p->rule_delta) * (long)(s->totalpages / 1000);
		p->rule_delta = q.rule_delta;
		p->rule = q.rule;
		return false;
	}
	pid_t pin = pinned_by(sel, p, sel->buf->pids, all);

	if (pin) {
		p->excl = EXCL_SHARES_PROTECTED;
		p->excl_pid = pin;
		return false;
	}
	return true;
}

/*
 * Every process of the scope read in detail, grouped and ranked: for a cgroup scope, and for
 * the fastest-growing policy, which needs everyone's size.
 */
static int select_table(struct selector *sel, const struct scope *s, struct choice *c)
{
	struct proc_table t;
	pid_t *pids = NULL;
	int *order = NULL;
	int r = table_take(sel, s, c, &t, &pids, &order);

	if (r)
		goto out;
	int all = select_all_pids(sel);

	if (all < 0) {
		r = all;
		goto out;
	}
	long long now = now_ns();

	/* a sharer outside the cgroup may be protected: check the would-be victim everywhere */
	for (int i; !c->found && (i = best_of(sel, &t, now)) >= 0;) {
		struct proc_info *p = &t.procs[i];

		if (!winner_holds(sel, s, p, all))
			continue;
		c->victim = *p;
		c->victim.cgroup = NULL;
		c->found = true;
		/* the next of the others by badness, outside the victim's group */
		for (int j = 0; j < t.n; j++)
			if (t.procs[j].excl == EXCL_NONE && t.procs[j].group != p->group)
				runner_up_offer(c, &t.procs[j]);
	}
	for (int j = 0; j < t.n; j++)
		c->candidates += t.procs[j].excl == EXCL_NONE;
	/* by growth, a lead in badness says nothing: a victim chosen ahead ages by time */
	c->others_bound = LONG_MAX;
	remember_growth(sel, &t, now);
out:
	free(order);
	free(pids);
	table_free(&t);
	return r;
}

void select_cg_cands(int proc_fd, const struct scope *s, const struct proc_table *t,
		     struct cg_cand *cand)
{
	const char *within = s->kind == SCOPE_GLOBAL ? NULL : s->path;
	char path[PATH_MAX];

	for (int i = 0; i < t->n; i++) {
		cand[i].p = &t->procs[i];
		cand[i].cgroup = NULL;
		/* the root and the scope's own cgroup are never killed whole; a process that has
		 * left (or whose cgroup cannot be read) stands alone */
		if (scope_cgroup_of(proc_fd, t->procs[i].pid, s->kind, within, path,
				    sizeof(path)) == 0 &&
		    !(within && cgroup_within(within, path)))
			cand[i].cgroup = strdup(path);
	}
}

void select_cg_cands_free(struct cg_cand *cand, int n)
{
	for (int i = 0; i < n; i++)
		free((char *)cand[i].cgroup);
	free(cand);
}

/*
 * Policy largest-cgroup: the scope's processes read in detail and ranked as select_table()
 * ranks them, then grouped by the cgroup that holds each (/proc/PID/cgroup, one small read
 * each) into the units cg_rank() weighs. The best unit's largest process is the victim; a
 * victim its mm pins (a protected sharer outside the cgroup) protects its cgroup, and the
 * units are ranked again.
 */
static int select_cgroups(struct selector *sel, const struct scope *s, struct choice *c)
{
	struct proc_table t;
	pid_t *pids = NULL;
	int *order = NULL;
	struct cg_cand *cand = NULL;
	struct cg_unit *units = NULL;
	int r = table_take(sel, s, c, &t, &pids, &order);

	if (r)
		goto out;
	cand = calloc((size_t)t.n + 1, sizeof(*cand));
	units = malloc(sizeof(*units) * (size_t)(t.n + 1));
	if (!cand || !units) {
		r = -ENOMEM;
		goto out;
	}
	select_cg_cands(sel->proc_fd, s, &t, cand);
	int all = select_all_pids(sel);

	if (all < 0) {
		r = all;
		goto out;
	}
	for (int k; !c->found && (k = cg_rank(cand, t.n, units, order)) > 0;) {
		struct proc_info *p = &t.procs[units[0].best];

		/* a verdict changed or a protected sharer: its unit ranked again (cg_rank()
		 * reads the candidates' excl and badness anew) */
		if (!winner_holds(sel, s, p, all))
			continue;
		c->victim = *p;
		c->victim.cgroup = NULL;
		c->found = true;
		c->cg.whole = units[0].single == CG_WHOLE;
		c->cg.single = units[0].single;
		snprintf(c->cg.path, sizeof(c->cg.path), "%s",
			 units[0].cgroup ? units[0].cgroup : "");
		c->cg.members = units[0].members;
		c->cg.eligible = units[0].eligible;
		c->cg.badness = units[0].badness;
		c->cg.rss_kb = units[0].rss_kb;
		c->cg.units = k;
		for (int j = 0; j < k; j++)
			c->candidates += units[j].eligible;
		if (k > 1) {
			c->has_runner_up = true;
			c->runner_up = t.procs[units[1].best];
			c->runner_up.badness = units[1].badness;
			c->runner_up.cgroup = NULL;
		}
	}
	/* a unit's lead says nothing of how its members grow: a victim chosen ahead ages by time */
	c->others_bound = LONG_MAX;
out:
	if (cand)
		select_cg_cands_free(cand, t.n);
	free(units);
	free(order);
	free(pids);
	table_free(&t);
	return r;
}

static int select_scope(struct selector *sel, const struct scope *s, struct choice *c)
{
	if (!sel->same_mm)
		sel->same_mm = kcmp_vm;
	if (sel->threads < 1)
		sel->threads = 1;
	int r = grow(sel, 1024);

	if (r)
		return r;
	if (sel->policy == POLICY_FASTEST_GROWING)
		r = select_table(sel, s, c);
	else if (sel->policy == POLICY_LARGEST_CGROUP)
		r = select_cgroups(sel, s, c);
	else if (s->kind == SCOPE_GLOBAL)
		r = select_global(sel, s, c);
	else
		r = select_cgroup(sel, s, c);
	sel->buf->selections++;
	return r;
}

int select_victim(struct selector *sel, const struct scope *s, struct choice *c)
{
	long long t0 = now_ns();
	int r;

	memset(c, 0, sizeof(*c));
	r = select_scope(sel, s, c);
	c->select_us = (now_ns() - t0) / 1000;
	return r;
}
