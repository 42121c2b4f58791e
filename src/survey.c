/* survey.c - the full read used by `list` and `explain` */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "survey.h"

int survey_take(struct survey *sv, const struct scope *s, int proc_fd, pid_t self,
		int threads, mm_cmp_fn same_mm, void *same_mm_ctx)
{
	return survey_take_what(sv, s, proc_fd, self, threads, same_mm, same_mm_ctx,
				SCAN_DETAIL | SCAN_CGROUP | SCAN_SCORE);
}

int survey_take_what(struct survey *sv, const struct scope *s, int proc_fd, pid_t self,
		     int threads, mm_cmp_fn same_mm, void *same_mm_ctx, unsigned what)
{
	pid_t *pids = NULL;
	int n = scope_pids(s, proc_fd, &pids);
	int r;

	memset(sv, 0, sizeof(*sv));
	if (n < 0)
		return n;
	sv->ctx = (struct rank_ctx){ .totalpages = s->totalpages,
				     .global_totalpages = s->global_totalpages,
				     .page_kb = s->page_kb, .self = self };
	r = table_init(&sv->table, n + 1);
	if (!r)
		r = scan_table(proc_fd, pids, n, what | SCAN_DETAIL, &sv->table, threads);
	free(pids);
	if (!r) {
		sv->order = malloc(sizeof(int) * (size_t)(n + 1));
		if (!sv->order || share_find_groups_on(&sv->table, same_mm, same_mm_ctx, threads) < 0)
			r = -ENOMEM;
	}
	if (r) {
		survey_free(sv);
		return r;
	}
	sv->eligible = rank_table(&sv->table, &sv->ctx, sv->order);
	return 0;
}

void survey_free(struct survey *sv)
{
	table_free(&sv->table);
	free(sv->order);
	sv->order = NULL;
}
