/* test_cgrank.c - policy largest-cgroup's ranking of cgroups, on hand-made candidates */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cgrank.h"
#include "rank.h"

#define MAXC 64

struct fx {
	struct proc_info p[MAXC];
	struct cg_cand c[MAXC];
	struct cg_unit u[MAXC];
	int order[MAXC];
	int n;
};

/* A candidate of badness b (pages) in cgroup cg (NULL: none), with exclusion e */
static int add(struct fx *f, const char *cg, long b, enum exclusion e)
{
	int i = f->n++;

	memset(&f->p[i], 0, sizeof(f->p[i]));
	f->p[i].pid = 100 + i;
	f->p[i].start_time = 1000;
	f->p[i].excl = e;
	f->p[i].badness = e == EXCL_NONE ? b : LONG_MIN;
	f->p[i].rss_anon_kb = (unsigned long)(b > 0 ? b : 0) * 4;
	f->c[i].p = &f->p[i];
	f->c[i].cgroup = cg;
	return i;
}

static int rank(struct fx *f)
{
	return cg_rank(f->c, f->n, f->u, f->order);
}

/* The storm: 200 processes of 1,000 pages together outweigh a bystander of 50,000 alone */
static void storm_beats_bystander(void **state)
{
	static struct fx f;

	(void)state;
	f.n = 0;
	for (int i = 0; i < 40; i++)
		add(&f, "/p/storm", 1500, EXCL_NONE);
	int by = add(&f, "/p/bystander", 50000, EXCL_NONE);
	int k = rank(&f);

	assert_int_equal(k, 2);
	assert_string_equal(f.u[0].cgroup, "/p/storm");
	assert_int_equal(f.u[0].single, CG_WHOLE);
	assert_int_equal(f.u[0].members, 40);
	assert_int_equal(f.u[0].eligible, 40);
	assert_int_equal(f.u[0].badness, 40 * 1500);
	assert_int_equal(f.u[0].rss_kb, 40 * 1500 * 4);
	/* among equals the victim is the youngest: the highest pid, as rank_better() says */
	assert_int_equal(f.u[0].best, 39);
	assert_int_equal(f.u[1].best, by);
	assert_int_equal(f.u[1].single, CG_WHOLE);
	assert_int_equal(f.u[1].badness, 50000);
}

/* The sum is of badness, oom_score_adj included: a negative adj lowers the cgroup's weight */
static void adj_counts_in_the_sum(void **state)
{
	static struct fx f;

	(void)state;
	f.n = 0;
	add(&f, "/a", 30000, EXCL_NONE);
	add(&f, "/a", -20000, EXCL_NONE);	/* 10,000 pages, adj -300 of 100,000 */
	add(&f, "/b", 15000, EXCL_NONE);
	assert_int_equal(rank(&f), 2);
	assert_string_equal(f.u[0].cgroup, "/b");
	assert_int_equal(f.u[1].badness, 10000);
	/* the best of /a is its largest, not its last */
	assert_int_equal(f.u[1].best, 0);
}

/* A cgroup holding a process a kill must spare is not killed whole: its others stand alone */
static void protected_cgroup_stands_alone(void **state)
{
	static const enum exclusion protectors[] = { EXCL_ADJ_MIN, EXCL_INIT, EXCL_SELF,
						     EXCL_IGNORED, EXCL_SHARES_PROTECTED,
						     EXCL_OWN_CHILD, EXCL_KTHREAD };
	static struct fx f;

	(void)state;
	for (size_t e = 0; e < sizeof(protectors) / sizeof(*protectors); e++) {
		f.n = 0;
		int guard = add(&f, "/p/storm", 0, protectors[e]);

		for (int i = 0; i < 10; i++)
			add(&f, "/p/storm", 1000, EXCL_NONE);
		add(&f, "/p/by", 5000, EXCL_NONE);
		int k = rank(&f);

		/* ten singles of the storm and the bystander's cgroup, which leads them */
		assert_int_equal(k, 11);
		assert_string_equal(f.u[0].cgroup, "/p/by");
		assert_int_equal(f.u[0].single, CG_WHOLE);
		for (int i = 1; i < k; i++) {
			assert_int_equal(f.u[i].single, CG_PROTECTED);
			assert_int_equal(f.u[i].protector, guard);
			assert_int_equal(f.u[i].members, 1);
			assert_int_equal(f.u[i].badness, 1000);
			assert_true(f.u[i].best != guard);
		}
		assert_true(cg_protector(protectors[e]));
	}
	/* dying, vfork, no mm: not protectors, only not counted */
	assert_false(cg_protector(EXCL_DYING));
	assert_false(cg_protector(EXCL_VFORK));
	assert_false(cg_protector(EXCL_NO_MM));
	assert_false(cg_protector(EXCL_NONE));
}

/* Excluded members count as members, not in the sum; a cgroup of none eligible is no unit */
static void excluded_members(void **state)
{
	static struct fx f;

	(void)state;
	f.n = 0;
	add(&f, "/a", 1000, EXCL_NONE);
	add(&f, "/a", 0, EXCL_DYING);
	add(&f, "/a", 0, EXCL_NO_MM);
	add(&f, "/z", 0, EXCL_DYING);
	assert_int_equal(rank(&f), 1);
	assert_int_equal(f.u[0].members, 3);
	assert_int_equal(f.u[0].eligible, 1);
	assert_int_equal(f.u[0].badness, 1000);
}

/* The root, the scope's own cgroup (NULL) and an inner cgroup: their processes stand alone */
static void no_cgroup_and_inner(void **state)
{
	static struct fx f;

	(void)state;
	f.n = 0;
	add(&f, NULL, 3000, EXCL_NONE);
	add(&f, NULL, 2000, EXCL_NONE);
	add(&f, "/a", 1000, EXCL_NONE);		/* inner: /a/b lies below */
	add(&f, "/a", 1000, EXCL_NONE);
	add(&f, "/a-b", 500, EXCL_NONE);	/* sorts between "/a" and "/a/b" bytewise */
	add(&f, "/a/b", 2500, EXCL_NONE);
	add(&f, "/a/b", 2500, EXCL_NONE);
	int k = rank(&f);

	assert_int_equal(k, 6);
	assert_string_equal(f.u[0].cgroup, "/a/b");
	assert_int_equal(f.u[0].single, CG_WHOLE);
	assert_int_equal(f.u[0].badness, 5000);
	assert_null(f.u[1].cgroup);
	assert_int_equal(f.u[1].single, CG_NO_CGROUP);
	assert_int_equal(f.u[1].badness, 3000);
	assert_int_equal(f.u[2].single, CG_NO_CGROUP);
	assert_int_equal(f.u[3].single, CG_INNER);
	assert_int_equal(f.u[3].badness, 1000);
	assert_int_equal(f.u[4].single, CG_INNER);
	assert_string_equal(f.u[5].cgroup, "/a-b");
	assert_int_equal(f.u[5].single, CG_WHOLE);
}

/* The QoS rank of a unit's best process comes first, as under policy largest */
static void qos_first(void **state)
{
	static struct fx f;

	(void)state;
	f.n = 0;
	add(&f, "/guaranteed", 90000, EXCL_NONE);
	int be = add(&f, "/besteffort", 10, EXCL_NONE);

	f.p[be].qos_rank = 3;
	assert_int_equal(rank(&f), 2);
	assert_string_equal(f.u[0].cgroup, "/besteffort");
}

/* Sums saturate rather than wrap */
static void sum_saturates(void **state)
{
	static struct fx f;

	(void)state;
	f.n = 0;
	add(&f, "/a", LONG_MAX - 10, EXCL_NONE);
	add(&f, "/a", LONG_MAX - 10, EXCL_NONE);
	add(&f, "/b", 5, EXCL_NONE);
	assert_int_equal(rank(&f), 2);
	assert_true(f.u[0].badness == LONG_MAX);
	assert_string_equal(f.u[0].cgroup, "/a");
	/* nothing at all */
	f.n = 0;
	assert_int_equal(rank(&f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(storm_beats_bystander),
		cmocka_unit_test(adj_counts_in_the_sum),
		cmocka_unit_test(protected_cgroup_stands_alone),
		cmocka_unit_test(excluded_members),
		cmocka_unit_test(no_cgroup_and_inner),
		cmocka_unit_test(qos_first),
		cmocka_unit_test(sum_saturates),
	};

	return cmocka_run_group_tests_name("cgrank", tests, NULL, NULL);
}
