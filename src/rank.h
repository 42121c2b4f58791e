/* rank.h - the kernel's badness and the exclusion rules: pure, no I/O */
#ifndef OOMREAPER_RANK_H
#define OOMREAPER_RANK_H

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

/* include/uapi/linux/oom.h */
#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000

struct rank_ctx {
	unsigned long totalpages;	 /* the scope's: what oom_badness() is given */
	unsigned long global_totalpages; /* RAM + swap pages: what /proc/PID/oom_score uses */
	unsigned long page_kb;		 /* page size in kB */
	pid_t self;			 /* the killer's own pid */
};

/* rss + swap entries + page tables, in pages: the baseline of oom_badness(). */
long oom_points(const struct proc_info *p, unsigned long page_kb);

/* oom_badness() once a task is eligible: points + adj * (totalpages / 1000). May be negative. */
long oom_badness_of(long points, int adj, unsigned long totalpages);

/* What /proc/PID/oom_score shows for a badness: (1000 + badness*1000/totalpages) * 2/3. */
long oom_score_of(long badness, unsigned long totalpages);

/*
 * The largest badness whose oom_score is at most score: a process the kernel scores
 * `score` cannot be worse than this. Lets a scan rank by oom_score and read details only
 * while a better process could still be hiding at a lower score.
 */
long oom_score_max_badness(long score, unsigned long totalpages);

/*
 * The most page-table pages an address space of total_vm pages can hold: mm_pgtables_bytes()
 * counts PTE, PMD and PUD tables, and a table of any level maps part of some mapping (the
 * tables over an unmapped range are freed with it, free_pgtables()), so each level has at most
 * one table per mapped page; PGTABLES_SLACK more for tables outside the mappings (x86's LDT
 * mapping, map_ldt_struct()).
 */
#define PGTABLES_SLACK 8
long pgtables_max_pages(unsigned long total_vm);

/*
 * The most oom_points() a process can have from what /proc/PID/statm says (total_vm and
 * resident pages) and the most swap entries it can hold (swap_pages): its page tables are
 * bounded by pgtables_max_pages(). LONG_MAX when swap_pages is.
 */
long statm_max_points(unsigned long total_vm, unsigned long resident, long swap_pages);

/*
 * The most oom_score_adj * unit a process can weigh when its badness is at most max_badness
 * (what its oom_score allows) and its points at least min_points: the adj is an integer, so
 * (max_badness - min_points) / unit rounded down; OOM_SCORE_ADJ_MAX when that is out of
 * range (a score read before the process grew). unit is totalpages / 1000 (0: the adj
 * weighs nothing).
 */
long adj_max_weight(long max_badness, long min_points, long unit);

/* The exclusion rules that need only the process itself (not its sharers). */
enum exclusion rank_exclusion(const struct proc_info *p, pid_t self);

/* Whether the exclusion protects the process's address space from any kill. */
bool exclusion_protects(enum exclusion e);

/*
 * Whether a whole-cgroup kill leaves a process of the cgroup alone: oom_score_adj -1000 and
 * global init, as mm/oom_kill.c oom_kill_memcg_member() skips them; kernel threads, as
 * __oom_kill_process() does; and oomreaper itself.
 */
bool group_kill_spares(enum exclusion e);

/* A short phrase for an exclusion, for tables and JSON. */
const char *exclusion_reason(enum exclusion e);

/* The reason p is excluded, with its particulars (which protected pid, which file), in buf. */
const char *exclusion_describe(const struct proc_info *p, char *buf, size_t len);

/* in_vfork(): a vfork child shares its parent's mm while the parent waits (state D). */
bool vfork_rule(bool shares_mm_with_parent, char parent_state);

/*
 * Whether a should be chosen over b, both eligible: the higher QoS rank (qos_order; all 0
 * without it), then higher badness; on a tie the younger
 * (later start time, then higher pid), as select_bad_process() keeps the last of equals
 * in task-list order.
 */
bool rank_better(const struct proc_info *a, const struct proc_info *b);

/*
 * Fills points, badness, score, vfork_child and excl for every process of the table
 * (groups must be set: share.c), then marks every member of a group that holds a
 * protected process. Writes into order[] the indices of eligible processes, best first,
 * then the excluded ones by pid; returns the number of eligible ones.
 */
int rank_table(struct proc_table *t, const struct rank_ctx *c, int *order);

#endif
