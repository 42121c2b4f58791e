/* test_share.c - address-space groups, with a comparator backed by a table {pid -> mm} */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "share.h"

#define MAX_PID 20000
#define GONE (-1)	/* an mm id for a process that vanished: every comparison fails */

/* The fixture's answer to kcmp(KCMP_VM): mm ids by pid, and a count of calls */
struct mms {
	int mm[MAX_PID];
	unsigned long vm[MAX_PID];	/* total_vm of each pid, to catch useless comparisons */
	long calls;
	long cross_vm;			/* comparisons of processes with different total_vm */
};

static enum mm_order table_cmp(pid_t a, pid_t b, void *ctx)
{
	struct mms *m = ctx;

	m->calls++;
	assert_true(a > 0 && a < MAX_PID && b > 0 && b < MAX_PID);
	if (m->vm[a] != m->vm[b])
		m->cross_vm++;
	if (m->mm[a] == GONE || m->mm[b] == GONE)
		return MM_UNKNOWN;
	return m->mm[a] < m->mm[b] ? MM_LESS : m->mm[a] > m->mm[b] ? MM_GREATER : MM_SAME;
}

static struct mms *mms_new(void)
{
	struct mms *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	return m;
}

static void add(struct proc_table *t, struct mms *m, pid_t pid, int mm, unsigned long vm)
{
	struct proc_info *p = table_add(t);

	assert_non_null(p);
	p->pid = pid;
	p->has_mm = true;
	p->total_vm_kb = vm;
	m->mm[pid] = mm;
	m->vm[pid] = vm;
}

/*
 * Checks the links: walking from each entry's group reaches every member once, all
 * members agree on group and size, and two processes are in one group exactly when they
 * share a live mm (per the table).
 */
static void check_groups(const struct proc_table *t, const struct mms *m)
{
	int *seen = calloc((size_t)t->n + 1, sizeof(int));

	assert_non_null(seen);
	for (int i = 0; i < t->n; i++) {
		const struct proc_info *p = &t->procs[i];
		int count = 0, found = 0;

		assert_true(p->group >= 0 && p->group < t->n);
		assert_true(p->group_size >= 1);
		memset(seen, 0, sizeof(int) * (size_t)t->n);
		for (int j = p->group; j >= 0; j = t->procs[j].group_next) {
			assert_true(j < t->n);
			assert_int_equal(seen[j], 0);	/* no loop, nobody twice */
			seen[j] = 1;
			count++;
			found += j == i;
			assert_int_equal(t->procs[j].group, p->group);
			assert_int_equal(t->procs[j].group_size, p->group_size);
			if (j != i)
				assert_int_equal(m->mm[t->procs[j].pid], m->mm[p->pid]);
		}
		assert_int_equal(found, 1);
		assert_int_equal(count, p->group_size);
		/* and nobody sharing p's live mm is left out of its group */
		for (int j = 0; j < t->n; j++) {
			const struct proc_info *q = &t->procs[j];

			if (j != i && p->has_mm && q->has_mm && !p->err && !q->err &&
			    m->mm[p->pid] != GONE && m->mm[q->pid] == m->mm[p->pid])
				assert_int_equal(q->group, p->group);
		}
	}
	free(seen);
}

static void singletons(void **state)
{
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 4), 0);
	for (pid_t pid = 10; pid < 20; pid++)
		add(&t, m, pid, pid, 1000 + (unsigned long)pid % 3);
	long r = share_find_groups(&t, table_cmp, m);

	assert_true(r > 0);
	assert_int_equal(r, m->calls);
	for (int i = 0; i < t.n; i++) {
		assert_int_equal(t.procs[i].group, i);
		assert_int_equal(t.procs[i].group_size, 1);
		assert_int_equal(t.procs[i].group_next, -1);
	}
	check_groups(&t, m);
	assert_int_equal(m->cross_vm, 0);
	table_free(&t);
	free(m);
}

static void group_of_three(void **state)
{
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 8), 0);
	add(&t, m, 100, 7, 5000);
	add(&t, m, 200, 1, 5000);
	add(&t, m, 300, 7, 5000);
	add(&t, m, 400, 2, 6000);
	add(&t, m, 500, 7, 5000);
	add(&t, m, 600, 3, 5000);
	long r = share_find_groups(&t, table_cmp, m);

	assert_true(r > 0);
	assert_int_equal(r, m->calls);
	check_groups(&t, m);
	assert_int_equal(t.procs[0].group_size, 3);
	assert_int_equal(t.procs[2].group, t.procs[0].group);
	assert_int_equal(t.procs[4].group, t.procs[0].group);
	assert_int_equal(t.procs[1].group_size, 1);
	assert_int_equal(t.procs[3].group_size, 1);
	assert_int_equal(t.procs[5].group_size, 1);
	assert_int_equal(m->cross_vm, 0);
	table_free(&t);
	free(m);
}

/* Two groups whose mms happen to have the same size: told apart by the comparator */
static void two_groups_same_vm(void **state)
{
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 8), 0);
	add(&t, m, 11, 50, 8192);
	add(&t, m, 12, 40, 8192);
	add(&t, m, 13, 50, 8192);
	add(&t, m, 14, 40, 8192);
	add(&t, m, 15, 40, 8192);
	assert_true(share_find_groups(&t, table_cmp, m) > 0);
	check_groups(&t, m);
	assert_int_equal(t.procs[0].group_size, 2);
	assert_int_equal(t.procs[1].group_size, 3);
	assert_int_not_equal(t.procs[0].group, t.procs[1].group);
	assert_int_equal(t.procs[2].group, t.procs[0].group);
	assert_int_equal(t.procs[3].group, t.procs[1].group);
	assert_int_equal(t.procs[4].group, t.procs[1].group);
	table_free(&t);
	free(m);
}

/* The same mm has the same total_vm: processes of different sizes are never compared */
static void different_vm_never_compared(void **state)
{
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 8), 0);
	for (pid_t pid = 1; pid <= 300; pid++)
		add(&t, m, pid, pid, 4096UL * (unsigned long)pid);
	assert_int_equal(share_find_groups(&t, table_cmp, m), 0);
	assert_int_equal(m->calls, 0);
	check_groups(&t, m);

	/* two of the same size among them: exactly one comparison */
	table_free(&t);
	assert_int_equal(table_init(&t, 8), 0);
	for (pid_t pid = 1; pid <= 300; pid++)
		add(&t, m, pid, pid, 4096UL * (unsigned long)pid);
	add(&t, m, 301, 150, 4096UL * 150);
	m->calls = 0;
	long r = share_find_groups(&t, table_cmp, m);

	assert_true(r >= 1 && r <= 2);
	assert_int_equal(r, m->calls);
	assert_int_equal(m->cross_vm, 0);
	assert_int_equal(t.procs[149].group_size, 2);
	assert_int_equal(t.procs[300].group, t.procs[149].group);
	check_groups(&t, m);
	table_free(&t);
	free(m);
}

/* Processes without an mm or that failed to read are left alone, never compared */
static void no_mm_and_errors_skipped(void **state)
{
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 8), 0);
	add(&t, m, 21, 9, 0);
	add(&t, m, 22, 9, 0);
	add(&t, m, 23, 9, 777);
	add(&t, m, 24, 9, 777);
	t.procs[0].has_mm = false;	/* zombies: no mm, total_vm 0 */
	t.procs[1].has_mm = false;
	t.procs[3].err = -ENOENT;
	assert_int_equal(share_find_groups(&t, table_cmp, m), 0);
	assert_int_equal(m->calls, 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(t.procs[i].group_size, 1);
		assert_int_equal(t.procs[i].group, i);
	}
	table_free(&t);
	free(m);
}

/* A process that vanished answers MM_UNKNOWN: no crash, no group with it */
static void vanished(void **state)
{
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 8), 0);
	add(&t, m, 31, GONE, 1000);
	add(&t, m, 32, GONE, 1000);
	add(&t, m, 33, 5, 1000);
	add(&t, m, 34, GONE, 1000);
	assert_true(share_find_groups(&t, table_cmp, m) > 0);
	for (int i = 0; i < t.n; i++)
		assert_int_equal(t.procs[i].group_size, 1);
	check_groups(&t, m);
	table_free(&t);
	free(m);
}

/*
 * A vanished process whose pid falls between two sharers' must not hide their group: a
 * group missed is a sharer of a protected process left eligible, a vfork child not seen.
 */
static void vanished_between_sharers(void **state)
{
	static const int layouts[][5] = {
		{ 9, GONE, 9, 0, 0 },
		{ 9, GONE, 9, GONE, 9 },
		{ GONE, 9, GONE, 9, GONE },
		{ 9, 3, GONE, 9, 3 },
		{ 3, GONE, 9, GONE, 3 },
		{ 9, 9, GONE, 1, 9 },
	};

	(void)state;
	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		struct proc_table t;
		struct mms *m = mms_new();
		int n = layouts[l][3] == 0 ? 3 : 5;

		assert_int_equal(table_init(&t, 8), 0);
		for (int i = 0; i < n; i++)
			add(&t, m, 10 * (i + 1), layouts[l][i], 2048);
		assert_true(share_find_groups(&t, table_cmp, m) > 0);
		check_groups(&t, m);
		for (int i = 0; i < n; i++)
			if (layouts[l][i] == GONE)
				assert_int_equal(t.procs[i].group_size, 1);
		table_free(&t);
		free(m);
	}
}

/* n * log2(n) * 2, log2 rounded up: the bound on comparisons of a merge sort, doubled */
static long nlogn_bound(long n)
{
	long bits = 0;

	while ((1L << bits) < n)
		bits++;
	return n * bits * 2;
}

/* Deterministic shuffle so that a failure can be replayed */
static unsigned long rng = 88172645463325252UL;

static unsigned long next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 5,000 processes of one size and distinct mms: O(n log n) comparisons, not n^2 / 2 */
static void many_distinct(void **state)
{
	enum { N = 5000 };
	struct proc_table t;
	struct mms *m = mms_new();
	int perm[N];

	(void)state;
	for (int i = 0; i < N; i++)
		perm[i] = i;
	for (int i = N - 1; i > 0; i--) {
		int j = (int)(next_rand() % (unsigned long)(i + 1)), x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	assert_int_equal(table_init(&t, 16), 0);
	for (int i = 0; i < N; i++)
		add(&t, m, 100 + i, perm[i], 65536);
	long r = share_find_groups(&t, table_cmp, m);

	assert_int_equal(r, m->calls);
	assert_true(r >= N - 1);
	assert_true(r < nlogn_bound(N));
	for (int i = 0; i < t.n; i++)
		assert_int_equal(t.procs[i].group_size, 1);
	table_free(&t);
	free(m);
}

/* 5,000 processes in 1,000 groups of 5, two sizes, shuffled: every group found whole */
static void many_groups(void **state)
{
	enum { N = 5000 };
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 16), 0);
	for (int i = 0; i < N; i++) {
		int mm = (int)(next_rand() % 1000);

		add(&t, m, 100 + i, mm, mm % 2 ? 4096 : 8192);
	}
	long r = share_find_groups(&t, table_cmp, m);

	assert_int_equal(r, m->calls);
	assert_true(r < nlogn_bound(N));
	assert_int_equal(m->cross_vm, 0);
	check_groups(&t, m);
	/* the sizes add up: every process is in exactly one group */
	long members = 0;

	for (int i = 0; i < t.n; i++)
		if (t.procs[i].group == i)
			members += t.procs[i].group_size;
	assert_int_equal(members, N);
	table_free(&t);
	free(m);
}

/* table_cmp() for several threads at once: an atomic count, no cmocka assertion (those
 * longjmp, which only the test's own thread may do) */
static atomic_long mt_calls;

static enum mm_order table_cmp_mt(pid_t a, pid_t b, void *ctx)
{
	const struct mms *m = ctx;

	atomic_fetch_add(&mt_calls, 1);
	if (a <= 0 || a >= MAX_PID || b <= 0 || b >= MAX_PID || m->mm[a] == GONE ||
	    m->mm[b] == GONE)
		return MM_UNKNOWN;
	return m->mm[a] < m->mm[b] ? MM_LESS : m->mm[a] > m->mm[b] ? MM_GREATER : MM_SAME;
}

/* A run of one total_vm larger than SHARE_PARALLEL_MIN sorted in parts on 2, 3 and 4
 * threads: the same groups as one thread finds, the vanished in none, every call counted */
static void many_groups_on_threads(void **state)
{
	enum { N = 6000 };

	(void)state;
	for (int threads = 1; threads <= 4; threads++) {
		struct proc_table t;
		struct mms *m = mms_new();

		assert_int_equal(table_init(&t, 16), 0);
		for (int i = 0; i < N; i++) {
			int mm = (int)(next_rand() % 2500);

			add(&t, m, 100 + i, i % 97 == 0 ? GONE : mm, 4096);
		}
		atomic_store(&mt_calls, 0);
		long r = share_find_groups_on(&t, table_cmp_mt, m, threads);

		assert_int_equal(r, atomic_load(&mt_calls));
		assert_true(r < nlogn_bound(N));
		check_groups(&t, m);
		for (int i = 0; i < t.n; i++)
			if (m->mm[t.procs[i].pid] == GONE)
				assert_int_equal(t.procs[i].group_size, 1);
		table_free(&t);
		free(m);
	}
}

static void empty_table(void **state)
{
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 1), 0);
	assert_int_equal(share_find_groups(&t, table_cmp, m), 0);
	add(&t, m, 5, 1, 10);
	assert_int_equal(share_find_groups(&t, table_cmp, m), 0);
	assert_int_equal(t.procs[0].group_size, 1);
	assert_int_equal(m->calls, 0);
	table_free(&t);
	free(m);
}

/* Groups are recomputed from scratch: old links do not survive a second call */
static void regroup(void **state)
{
	struct proc_table t;
	struct mms *m = mms_new();

	(void)state;
	assert_int_equal(table_init(&t, 4), 0);
	add(&t, m, 41, 1, 100);
	add(&t, m, 42, 1, 100);
	assert_true(share_find_groups(&t, table_cmp, m) > 0);
	assert_int_equal(t.procs[0].group_size, 2);
	m->mm[42] = 2;	/* 42 exec'd: a new mm */
	assert_true(share_find_groups(&t, table_cmp, m) > 0);
	assert_int_equal(t.procs[0].group_size, 1);
	assert_int_equal(t.procs[1].group_size, 1);
	assert_int_equal(t.procs[1].group, 1);
	check_groups(&t, m);
	table_free(&t);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(singletons),
		cmocka_unit_test(group_of_three),
		cmocka_unit_test(two_groups_same_vm),
		cmocka_unit_test(different_vm_never_compared),
		cmocka_unit_test(no_mm_and_errors_skipped),
		cmocka_unit_test(vanished),
		cmocka_unit_test(vanished_between_sharers),
		cmocka_unit_test(many_distinct),
		cmocka_unit_test(many_groups),
		cmocka_unit_test(many_groups_on_threads),
		cmocka_unit_test(empty_table),
		cmocka_unit_test(regroup),
	};

	return cmocka_run_group_tests_name("share", tests, NULL, NULL);
}
