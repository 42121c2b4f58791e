/* share.c - find the processes that share an address space */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan.h"
#include "share.h"
#include "sys.h"

enum mm_order kcmp_vm(pid_t a, pid_t b, void *ctx)
{
	(void)ctx;
	/* returns 0 equal, 1 less, 2 greater: an order on the (obfuscated) mm pointers */
	long r = sys_kcmp_vm(a, b);

	switch (r) {
	case 0: return MM_SAME;
	case 1: return MM_LESS;
	case 2: return MM_GREATER;
	default: return MM_UNKNOWN;
	}
}

enum liveness { LIVE_UNTOLD, LIVE_YES, LIVE_GONE };

struct sorter {
	const struct proc_table *t;
	mm_cmp_fn cmp;
	void *ctx;
	long calls;
	unsigned char *live;	/* enum liveness, by table index */
};

/* Whether the process at index x vanished: it no longer compares even with itself. */
static bool gone(struct sorter *s, int x)
{
	pid_t p = s->t->procs[x].pid;

	if (s->live[x] == LIVE_UNTOLD) {
		s->calls++;
		s->live[x] = s->cmp(p, p, s->ctx) == MM_SAME ? LIVE_YES : LIVE_GONE;
	}
	return s->live[x] == LIVE_GONE;
}

/*
 * The order used inside a run: cmp's among the living; the vanished after them, by pid.
 * Ordering the vanished by pid among mm pointers would make the order non-transitive and
 * could sort one between two sharers, hiding their group (and a protected sharer with it).
 */
static int mm_compare(struct sorter *s, int x, int y)
{
	pid_t a = s->t->procs[x].pid, b = s->t->procs[y].pid;
	bool gx = s->live[x] == LIVE_GONE, gy = s->live[y] == LIVE_GONE;

	if (!gx && !gy) {
		enum mm_order o = s->cmp(a, b, s->ctx);

		s->calls++;
		if (o != MM_UNKNOWN)
			return o == MM_SAME ? 0 : o;
		gx = gone(s, x);
		gy = gone(s, y);
	}
	if (gx != gy)
		return gx ? 1 : -1;
	return (a > b) - (a < b);
}

/* Merges the sorted v[0..h-1] and v[h..n-1] through tmp */
static void merge(struct sorter *s, int *v, int *tmp, int h, int n)
{
	int i = 0, j = h, k = 0;

	while (i < h && j < n)
		tmp[k++] = mm_compare(s, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, (size_t)n * sizeof(*v));
}

/*
 * A merge sort rather than qsort: it stays in bounds whatever the comparator answers,
 * and the comparator here is a syscall about processes that may vanish between calls.
 */
static void merge_sort(struct sorter *s, int *v, int *tmp, int n)
{
	if (n < 2)
		return;
	int h = n / 2;

	merge_sort(s, v, tmp, h);
	merge_sort(s, v + h, tmp, n - h);
	merge(s, v, tmp, h, n);
}

/*
 * A run is sorted in parts on the scan's threads (scan_parts()), then merged, where it has more processes
 * than this: forks of one program have one total_vm, and 30,000 of them are some 450,000
 * kcmp calls, a syscall each. Below, the threads cost more than they save.
 */
#define SHARE_PARALLEL_MIN 1024
#define SHARE_PARTS_MAX 8

/* One part of a run to sort on a thread: its own sorter (its own count of calls); the
 * liveness bytes it writes are its part's indices only */
struct part_sort {
	struct sorter s[SHARE_PARTS_MAX];
	int *v, *tmp;
	int bound[SHARE_PARTS_MAX + 1];
};

static void sort_part(void *ctx, int i)
{
	struct part_sort *ps = ctx;
	int lo = ps->bound[i], hi = ps->bound[i + 1];

	merge_sort(&ps->s[i], ps->v + lo, ps->tmp + lo, hi - lo);
}

/* merge_sort() of v[0..n-1], in parts on up to `threads` threads when n is large */
static void sort_run(struct sorter *s, int *v, int *tmp, int n, int threads)
{
	struct part_sort ps;
	int parts = 1;

	while (parts * 2 <= threads && parts * 2 <= SHARE_PARTS_MAX)
		parts *= 2;
	if (n < SHARE_PARALLEL_MIN || parts < 2) {
		merge_sort(s, v, tmp, n);
		return;
	}
	ps.v = v;
	ps.tmp = tmp;
	for (int i = 0; i <= parts; i++)
		ps.bound[i] = (int)((long)n * i / parts);
	for (int i = 0; i < parts; i++) {
		ps.s[i] = *s;
		ps.s[i].calls = 0;
	}
	scan_parts(parts, sort_part, &ps, threads);
	for (int i = 0; i < parts; i++)
		s->calls += ps.s[i].calls;
	/* the parts merged pairwise, as the recursion would have: w sorted parts a pair */
	for (int w = 1; w < parts; w *= 2)
		for (int i = 0; i + w < parts; i += 2 * w) {
			int lo = ps.bound[i], mid = ps.bound[i + w];
			int hi = ps.bound[i + 2 * w < parts ? i + 2 * w : parts];

			merge(s, v + lo, tmp + lo, mid - lo, hi - lo);
		}
}

/* qsort_r()'s comparator of indices into the table ctx, by total_vm */
static int by_total_vm(const void *x, const void *y, void *ctx)
{
	const struct proc_table *t = ctx;
	unsigned long a = t->procs[*(const int *)x].total_vm_kb;
	unsigned long b = t->procs[*(const int *)y].total_vm_kb;

	return (a > b) - (a < b);
}

/* Makes one group of v[0..n-1]: a chain from v[0], whose index names the group. */
static void link_group(struct proc_table *t, const int *v, int n)
{
	for (int i = 0; i < n; i++) {
		struct proc_info *p = &t->procs[v[i]];

		p->group = v[0];
		p->group_size = n;
		p->group_next = i + 1 < n ? v[i + 1] : -1;
	}
}

long share_find_groups(struct proc_table *t, mm_cmp_fn cmp, void *ctx)
{
	return share_find_groups_on(t, cmp, ctx, 1);
}

long share_find_groups_on(struct proc_table *t, mm_cmp_fn cmp, void *ctx, int threads)
{
	struct sorter s = { .t = t, .cmp = cmp, .ctx = ctx, .calls = 0 };
	int *idx = malloc(sizeof(int) * (size_t)(t->n + 1));
	int *tmp = malloc(sizeof(int) * (size_t)(t->n + 1));
	int n = 0;

	s.live = calloc((size_t)t->n + 1, 1);
	if (!idx || !tmp || !s.live) {
		free(idx);
		free(tmp);
		free(s.live);
		return -ENOMEM;
	}
	for (int i = 0; i < t->n; i++) {
		struct proc_info *p = &t->procs[i];

		p->group = i;
		p->group_next = -1;
		p->group_size = 1;
		if (p->has_mm && !p->err)
			idx[n++] = i;
	}
	/* the same mm has the same total_vm: sharers can only be found within a run of it */
	qsort_r(idx, (size_t)n, sizeof(*idx), by_total_vm, (void *)t);
	for (int a = 0; a < n;) {
		int b = a + 1;

		while (b < n && t->procs[idx[b]].total_vm_kb == t->procs[idx[a]].total_vm_kb)
			b++;
		if (b - a > 1) {
			sort_run(&s, idx + a, tmp, b - a, threads);
			for (int g = a; g < b;) {
				int e = g + 1;

				while (e < b && mm_compare(&s, idx[g], idx[e]) == 0)
					e++;
				if (e - g > 1)
					link_group(t, idx + g, e - g);
				g = e;
			}
		}
		a = b;
	}
	free(idx);
	free(tmp);
	free(s.live);
	return s.calls;
}
