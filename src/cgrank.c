/* cgrank.c - policy largest-cgroup: rank leaf cgroups by their processes' summed badness */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cgrank.h"
#include "rank.h"

bool cg_protector(enum exclusion e)
{
	return group_kill_spares(e) || exclusion_protects(e) || e == EXCL_SHARES_PROTECTED ||
	       e == EXCL_OWN_CHILD;
}

const char *cg_single_reason(enum cg_single s)
{
	switch (s) {
	case CG_WHOLE:
		return "killed whole";
	case CG_NO_CGROUP:
		return "in the root or the scope's own cgroup";
	case CG_INNER:
		return "its cgroup has cgroups below it";
	case CG_PROTECTED:
		return "its cgroup holds a protected process";
	}
	return "?";
}

/*
 * Paths compared with '/' below every other byte: a cgroup's descendants then come right after
 * it ("a", "a/b", "a-b"), and whether it is a leaf is a look at its successor. NULL first.
 */
static int path_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	for (;; a++, b++) {
		unsigned char x = *a == '/' ? 1 : (unsigned char)*a;
		unsigned char y = *b == '/' ? 1 : (unsigned char)*b;

		if (x != y || !x)
			return (x > y) - (x < y);
	}
}

static int by_path(const void *x, const void *y, void *ctx)
{
	const struct cg_cand *c = ctx;
	int i = *(const int *)x, j = *(const int *)y;
	int r = path_cmp(c[i].cgroup, c[j].cgroup);

	return r ? r : (i > j) - (i < j);
}

/* Whether the cgroup b lies below a */
static bool below(const char *a, const char *b)
{
	size_t l = strlen(a);

	return b && !strncmp(a, b, l) && b[l] == '/';
}

static long add_sat(long a, long b)
{
	if (b > 0 && a > LONG_MAX - b)
		return LONG_MAX;
	if (b < 0 && a < LONG_MIN - b)
		return LONG_MIN;
	return a + b;
}

static bool eligible(const struct cg_cand *c)
{
	return c->p->excl == EXCL_NONE;
}

static unsigned long rss_of(const struct proc_info *p)
{
	return p->rss_anon_kb + p->rss_file_kb + p->rss_shmem_kb;
}

/* Whether unit a ranks before unit b */
static bool unit_better(const struct cg_cand *c, const struct cg_unit *a, const struct cg_unit *b)
{
	const struct proc_info *pa = c[a->best].p, *pb = c[b->best].p;

	if (pa->qos_rank != pb->qos_rank)
		return pa->qos_rank > pb->qos_rank;
	if (a->badness != b->badness)
		return a->badness > b->badness;
	return rank_better(pa, pb);
}

static int by_unit(const void *x, const void *y, void *ctx)
{
	const struct cg_cand *c = ctx;
	const struct cg_unit *a = x, *b = y;

	return unit_better(c, a, b) ? -1 : unit_better(c, b, a) ? 1 : 0;
}

/* One unit per eligible process of order[from..to-1] */
static int singles(const struct cg_cand *c, const int *order, int from, int to,
		   enum cg_single why, int protector, struct cg_unit *units, int k)
{
	for (int i = from; i < to; i++) {
		const struct proc_info *p = c[order[i]].p;

		if (!eligible(&c[order[i]]))
			continue;
		units[k++] = (struct cg_unit){ .cgroup = c[order[i]].cgroup, .single = why,
					       .best = order[i], .protector = protector,
					       .members = 1, .eligible = 1, .badness = p->badness,
					       .rss_kb = rss_of(p) };
	}
	return k;
}

int cg_rank(const struct cg_cand *c, int n, struct cg_unit *units, int *order)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, (size_t)n, sizeof(*order), by_path, (void *)c);
	for (int i = 0, j; i < n; i = j) {
		const char *cg = c[order[i]].cgroup;
		int protector = -1;

		for (j = i; j < n && !path_cmp(c[order[j]].cgroup, cg); j++)
			if (protector < 0 && cg_protector(c[order[j]].p->excl))
				protector = order[j];
		if (!cg) {
			k = singles(c, order, i, j, CG_NO_CGROUP, -1, units, k);
			continue;
		}
		/* a cgroup's kill kills its subtree: only a leaf weighs all it would kill */
		if (j < n && below(cg, c[order[j]].cgroup)) {
			k = singles(c, order, i, j, CG_INNER, -1, units, k);
			continue;
		}
		if (protector >= 0) {
			k = singles(c, order, i, j, CG_PROTECTED, protector, units, k);
			continue;
		}
		struct cg_unit u = { .cgroup = cg, .single = CG_WHOLE, .best = -1, .protector = -1,
				     .members = j - i };

		for (int m = i; m < j; m++) {
			const struct proc_info *p = c[order[m]].p;

			if (!eligible(&c[order[m]]))
				continue;
			u.eligible++;
			u.badness = add_sat(u.badness, p->badness);
			u.rss_kb += rss_of(p);
			if (u.best < 0 || rank_better(p, c[u.best].p))
				u.best = order[m];
		}
		if (u.eligible)
			units[k++] = u;
	}
	qsort_r(units, (size_t)k, sizeof(*units), by_unit, (void *)c);
	return k;
}
