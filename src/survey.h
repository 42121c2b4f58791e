/* survey.h - every process of a scope read in detail, grouped by address space, ranked */
#ifndef OOMREAPER_SURVEY_H
#define OOMREAPER_SURVEY_H

#include "proc.h"
#include "rank.h"
#include "scope.h"
#include "share.h"

struct survey {
	struct proc_table table;
	int *order;		/* eligible best first, then the excluded by pid */
	int eligible;
	struct rank_ctx ctx;
};

/*
 * Reads every process of the scope (stat, status, oom_score_adj, cgroup, and oom_score to
 * hold against the kernel), finds address-space groups with same_mm, and ranks them.
 * Returns 0, or -errno.
 */
int survey_take(struct survey *sv, const struct scope *s, int proc_fd, pid_t self,
		int threads, mm_cmp_fn same_mm, void *same_mm_ctx);

/*
 * survey_take(), reading only the files `what` names (scan.h: at least SCAN_DETAIL, which
 * the ranking needs; the cgroup and oom_score are for display): `list`'s table shows
 * neither, and two files fewer a process is 40 % of the reads at 30,000 processes.
 */
int survey_take_what(struct survey *sv, const struct scope *s, int proc_fd, pid_t self,
		     int threads, mm_cmp_fn same_mm, void *same_mm_ctx, unsigned what);
void survey_free(struct survey *sv);

#endif
