/* cgrank.h - policy largest-cgroup: a scope's leaf cgroups ranked as the kernel ranks
 * processes, each by the badness its processes sum to. Pure, no I/O. */
#ifndef OOMREAPER_CGRANK_H
#define OOMREAPER_CGRANK_H

#include <stdbool.h>

#include "proc.h"

/* A process of the scope as the cgroup ranking sees it */
struct cg_cand {
	const struct proc_info *p;	/* ranked: excl, badness (rule weights included) set */
	/*
	 * The cgroup directly holding it, a path; NULL when that cgroup may not be killed
	 * whole: the root cgroup, the scope's own, one that could not be read
	 */
	const char *cgroup;
};

/* Why a cgroup's processes are ranked one by one rather than the cgroup whole */
enum cg_single {
	CG_WHOLE = 0,		/* a unit killed whole */
	CG_NO_CGROUP,		/* the root, the scope's own cgroup, or unreadable */
	CG_INNER,		/* other processes of the scope live in cgroups below it */
	CG_PROTECTED,		/* it holds a process a kill must spare (cg_protector()) */
};

/* A unit of the ranking: a leaf cgroup killed whole, or one process */
struct cg_unit {
	const char *cgroup;		/* the cgroup's path (also for a single process) */
	enum cg_single single;		/* CG_WHOLE, or why this process stands alone */
	int best;			/* index into the candidates: the unit's largest eligible
					 * process (rank_better()), whose kill the group follows */
	int protector;			/* CG_PROTECTED: the index of the process that protects */
	int members;			/* processes of the cgroup (a whole unit), every one */
	int eligible;			/* of those, the eligible ones: their badness is summed */
	long badness;			/* the sum of the eligible members' badness; a single's */
	unsigned long rss_kb;		/* the eligible members' resident memory */
};

/*
 * Whether p keeps its cgroup from being killed whole: what a group kill must spare
 * (group_kill_spares(): oom_score_adj -1000, init, kernel threads, oomreaper), what protects an
 * address space (an ignore rule), a process sharing its memory with such a one, and
 * oomreaper's own children. Killing the rest of such a cgroup would kill what was not chosen
 * around what may not be: its processes are ranked one by one instead, as the kernel would.
 */
bool cg_protector(enum exclusion e);

/*
 * Ranks the candidates c[0..n-1] into units, best first, and returns how many (at most n).
 * A cgroup is a whole unit when it is a leaf among the cgroups the candidates are in, holds no
 * protector and has an eligible process; it weighs the sum of its eligible processes' badness,
 * as oom_badness() weighs each (oom_score_adj and rule weights included). Every eligible
 * process of any other cgroup is a unit of its own. Order: the higher QoS rank of the best
 * process, then the higher badness, then rank_better() of the best processes. order: room for
 * n ints.
 */
int cg_rank(const struct cg_cand *c, int n, struct cg_unit *units, int *order);

/* A short phrase for why a cgroup's processes stand alone, for tables and logs */
const char *cg_single_reason(enum cg_single s);

#endif
