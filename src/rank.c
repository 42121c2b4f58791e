/* rank.c - the kernel's badness (mm/oom_kill.c: oom_badness) and who may be chosen */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank.h"

long oom_points(const struct proc_info *p, unsigned long page_kb)
{
	/* get_mm_rss() + MM_SWAPENTS + mm_pgtables_bytes() / PAGE_SIZE */
	return (long)((p->rss_anon_kb + p->rss_file_kb + p->rss_shmem_kb + p->swap_kb +
		       p->pgtables_kb) / page_kb);
}

long oom_badness_of(long points, int adj, unsigned long totalpages)
{
	/* "Normalize to oom_score_adj units": the division comes first, as in the kernel */
	return points + (long)adj * (long)(totalpages / 1000);
}

long oom_score_of(long badness, unsigned long totalpages)
{
	/* fs/proc/base.c proc_oom_score(); C division truncates toward zero, as there */
	return (1000 + badness * 1000 / (long)totalpages) * 2 / 3;
}

long oom_score_max_badness(long score, unsigned long totalpages)
{
	long t = (long)totalpages;
	/* (1000 + q) * 2 / 3 <= score  <=>  1000 + q <= (3 * score + 2) / 2 */
	long q = (3 * score + 2) / 2 - 1000;

	if (score >= 2000)
		return LONG_MAX;
	/* q = badness * 1000 / t truncated toward zero; the largest badness giving q or less */
	if (q >= 0)
		return ((q + 1) * t + 999) / 1000 - 1;
	/* negative quotients truncate up: badness * 1000 <= q * t, floored */
	long prod = q * t;

	return prod >= 0 ? prod / 1000 : -((-prod + 999) / 1000);
}

long pgtables_max_pages(unsigned long total_vm)
{
	/* three levels counted (mm_inc_nr_ptes, _pmds, _puds); capped where it would overflow */
	if (total_vm > (unsigned long)(LONG_MAX / 4))
		return LONG_MAX / 4;
	return 3 * (long)total_vm + PGTABLES_SLACK;
}

long statm_max_points(unsigned long total_vm, unsigned long resident, long swap_pages)
{
	if (swap_pages == LONG_MAX || resident > (unsigned long)(LONG_MAX / 4))
		return LONG_MAX;
	return (long)resident + swap_pages + pgtables_max_pages(total_vm);
}

long adj_max_weight(long max_badness, long min_points, long unit)
{
	if (unit <= 0)
		return 0;
	if (max_badness == LONG_MAX)
		return OOM_SCORE_ADJ_MAX * unit;
	long d = max_badness - min_points;
	/* rounded towards minus infinity: an adj of -3 weighs -3 units */
	long q = d >= 0 ? d / unit : -((-d + unit - 1) / unit);

	/* under the least adj there is: the score was read before the process grew, and says
	 * nothing of its adj */
	if (q > OOM_SCORE_ADJ_MAX || q < OOM_SCORE_ADJ_MIN)
		q = OOM_SCORE_ADJ_MAX;
	return q * unit;
}

bool vfork_rule(bool shares_mm_with_parent, char parent_state)
{
	/* the parent sleeps uninterruptibly in wait_for_vfork_done() until exec or exit */
	return shares_mm_with_parent && parent_state == 'D';
}

enum exclusion rank_exclusion(const struct proc_info *p, pid_t self)
{
	if (p->err == -ESRCH || p->err == -ENOENT)
		return EXCL_VANISHED;
	if (p->err)
		return EXCL_UNREADABLE;
	/* oom_unkillable_task(): global init and kernel threads are never chosen */
	if (p->pid == 1)
		return EXCL_INIT;
	if (p->flags & PF_KTHREAD)
		return EXCL_KTHREAD;
	/* a killer that kills itself frees little and stops all further handling */
	if (p->pid == self)
		return EXCL_SELF;
	/* find_lock_task_mm() finds no mm: nothing to free, nothing to reap */
	if (!p->has_mm || p->state == 'Z' || p->state == 'X')
		return EXCL_NO_MM;
	/* "explicitly marked oom unkillable" */
	if (p->oom_score_adj <= OOM_SCORE_ADJ_MIN)
		return EXCL_ADJ_MIN;
	/* in_vfork() (commit "mm, oom: skip vforked tasks from being selected", Linux 4.8): the
	 * vfork child's mm is its parent's; the parent is judged on its own adj */
	if (p->vfork_child)
		return EXCL_VFORK;
	/*
	 * oom_evaluate_task(): a victim already dying (tsk_is_oom_victim()) is not chosen again;
	 * waiting for it is the killer's business (a deadline), and a manual kill takes the next
	 * one, as SysRq-f (is_sysrq_oom()) does.
	 */
	if (p->kill_pending || (p->flags & PF_EXITING))
		return EXCL_DYING;
	return EXCL_NONE;
}

bool exclusion_protects(enum exclusion e)
{
	/* kthreads only borrow an mm (kthread_use_mm), and the kernel reaps it anyway */
	return e == EXCL_INIT || e == EXCL_SELF || e == EXCL_ADJ_MIN || e == EXCL_IGNORED;
}

bool group_kill_spares(enum exclusion e)
{
	return e == EXCL_INIT || e == EXCL_KTHREAD || e == EXCL_SELF || e == EXCL_ADJ_MIN;
}

const char *exclusion_reason(enum exclusion e)
{
	switch (e) {
	case EXCL_NONE: return NULL;
	case EXCL_INIT: return "init";
	case EXCL_KTHREAD: return "kernel thread";
	case EXCL_SELF: return "oomreaper itself";
	case EXCL_ADJ_MIN: return "oom_score_adj -1000";
	case EXCL_NO_MM: return "no memory left (zombie or exiting)";
	case EXCL_VFORK: return "vfork child (shares its parent's memory)";
	case EXCL_SHARES_PROTECTED: return "shares its memory with a protected process";
	case EXCL_DYING: return "already dying (SIGKILL pending or exiting)";
	case EXCL_IGNORED: return "ignored by a rule";
	case EXCL_VANISHED: return "vanished during the scan";
	case EXCL_UNREADABLE: return "unreadable";
	case EXCL_OUT_OF_SCOPE: return "not in the scope";
	case EXCL_OWN_CHILD: return "a child of oomreaper";
	}
	return "unknown";
}

bool rank_better(const struct proc_info *a, const struct proc_info *b)
{
	if (a->qos_rank != b->qos_rank)
		return a->qos_rank > b->qos_rank;
	if (a->badness != b->badness)
		return a->badness > b->badness;
	if (a->start_time != b->start_time)
		return a->start_time > b->start_time;
	return a->pid > b->pid;
}

/* qsort_r()'s comparator of indices into the table ctx */
static int by_rank(const void *x, const void *y, void *ctx)
{
	const struct proc_table *t = ctx;
	const struct proc_info *a = &t->procs[*(const int *)x];
	const struct proc_info *b = &t->procs[*(const int *)y];
	bool ea = a->excl == EXCL_NONE, eb = b->excl == EXCL_NONE;

	if (ea != eb)
		return ea ? -1 : 1;
	if (!ea)
		return (a->pid > b->pid) - (a->pid < b->pid);
	if (rank_better(a, b))
		return -1;
	return rank_better(b, a) ? 1 : 0;
}

/* in_vfork() needs the parent: it is in the child's group when they share an mm */
static bool shares_with_parent(const struct proc_table *t, const struct proc_info *p,
			       char *parent_state)
{
	for (int j = p->group; j >= 0; j = t->procs[j].group_next)
		if (t->procs[j].pid == p->ppid) {
			*parent_state = t->procs[j].state;
			return true;
		}
	return false;
}

int rank_table(struct proc_table *t, const struct rank_ctx *c, int *order)
{
	int eligible = 0;

	for (int i = 0; i < t->n; i++) {
		struct proc_info *p = &t->procs[i];
		char parent_state = 0;

		p->vfork_child = p->group_size > 1 && shares_with_parent(t, p, &parent_state) &&
				 vfork_rule(true, parent_state);
		p->excl = rank_exclusion(p, c->self);
		p->excl_pid = 0;
		p->points = p->has_mm ? oom_points(p, c->page_kb) : 0;
		p->badness = LONG_MIN;
		p->score = 0;
	}
	/*
	 * __oom_kill_process() (commit "mm, oom: hide mm which is shared with kthread or global
	 * init", Linux 4.8): killing a sharer of a
	 * protected process would not free the mm, and the reap would fail; so the whole
	 * group is hidden, and the reason names the protected process.
	 */
	for (int i = 0; i < t->n; i++) {
		struct proc_info *p = &t->procs[i];

		if (p->group_size < 2 || !exclusion_protects(p->excl))
			continue;
		for (int j = p->group; j >= 0; j = t->procs[j].group_next) {
			struct proc_info *q = &t->procs[j];

			if (q->excl == EXCL_NONE) {
				q->excl = EXCL_SHARES_PROTECTED;
				q->excl_pid = p->pid;
			}
		}
	}
	for (int i = 0; i < t->n; i++) {
		struct proc_info *p = &t->procs[i];

		if (p->excl == EXCL_NONE) {
			p->badness = oom_badness_of(p->points, p->oom_score_adj, c->totalpages);
			/* oom_score always uses the global totalpages, whatever the scope */
			p->score = oom_score_of(oom_badness_of(p->points, p->oom_score_adj,
							       c->global_totalpages),
						c->global_totalpages);
			eligible++;
		}
		order[i] = i;
	}
	qsort_r(order, (size_t)t->n, sizeof(*order), by_rank, (void *)t);
	return eligible;
}

static const char *file_name(enum proc_file f)
{
	switch (f) {
	case PF_STAT: return "stat";
	case PF_STATUS: return "status";
	case PF_ADJ: return "oom_score_adj";
	case PF_SCORE: return "oom_score";
	case PF_CGROUP: return "cgroup";
	case PF_NONE: break;
	}
	return "?";
}

const char *exclusion_describe(const struct proc_info *p, char *buf, size_t len)
{
	if (p->excl == EXCL_IGNORED && p->rule)
		snprintf(buf, len, "ignored by rule %s", p->rule);
	else if (p->excl == EXCL_SHARES_PROTECTED)
		snprintf(buf, len, "%s (pid %d)", exclusion_reason(p->excl), (int)p->excl_pid);
	else if (p->excl == EXCL_UNREADABLE)
		snprintf(buf, len, "unreadable /proc/%d/%s: %s", (int)p->pid,
			 file_name(p->err_file),
			 p->err == -EBADMSG ? "malformed" : strerror(-p->err));
	else
		snprintf(buf, len, "%s", exclusion_reason(p->excl) ? exclusion_reason(p->excl) : "");
	return buf;
}
