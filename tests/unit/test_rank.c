/* test_rank.c - the kernel's badness, oom_score, and who may be chosen, on hand-made tables */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rank.h"

/* 4,000,000 kB of RAM, no swap, 4 kB pages: the global totalpages of these tests */
#define TOTAL 1000000UL

static void points_sum(void **state)
{
	struct proc_info p = { .rss_anon_kb = 4000, .rss_file_kb = 400, .rss_shmem_kb = 40,
			       .swap_kb = 4, .pgtables_kb = 8 };

	(void)state;
	/* anon + file + shmem + swap + page tables, in pages */
	assert_int_equal(oom_points(&p, 4), (4000 + 400 + 40 + 4 + 8) / 4);
	assert_int_equal(oom_points(&p, 64), (4000 + 400 + 40 + 4 + 8) / 64);
	assert_int_equal(oom_points(&p, 1), 4452);
	/* the sum is divided, not each term: 3 x 3 kB on 4 kB pages is 2 pages */
	struct proc_info q = { .rss_anon_kb = 3, .rss_file_kb = 3, .rss_shmem_kb = 3 };

	assert_int_equal(oom_points(&q, 4), 2);
	struct proc_info none = { 0 };

	assert_int_equal(oom_points(&none, 4), 0);
	/* huge counters: 2^40 pages of anon and of swap do not wrap */
	struct proc_info big = { .rss_anon_kb = 4UL << 40, .swap_kb = 4UL << 40 };

	assert_true(oom_points(&big, 4) == 2L << 40);
}

static void badness_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(oom_badness_of(5000, 0, TOTAL), 5000);
	assert_int_equal(oom_badness_of(5000, 1, TOTAL), 6000);
	assert_int_equal(oom_badness_of(5000, 1000, TOTAL), 5000 + 1000000);
	assert_int_equal(oom_badness_of(5000, -1, TOTAL), 4000);
	/* negative results are kept: the kernel compares them as they are */
	assert_int_equal(oom_badness_of(5000, -500, TOTAL), 5000 - 500000);
	assert_int_equal(oom_badness_of(0, -999, TOTAL), -999000);
	assert_int_equal(oom_badness_of(123, -999, 1999), 123 - 999);
	/* totalpages / 1000 is taken first: 1999 / 1000 = 1, not adj * 1.999 */
	assert_int_equal(oom_badness_of(0, 500, 1999), 500);
	assert_int_equal(oom_badness_of(0, 1000, 999), 0);
	assert_int_equal(oom_badness_of(0, 300, 6170905), 300 * 6170);
	assert_int_equal(oom_badness_of(7, -300, 6170905), 7 - 300 * 6170);
}

static void badness_no_overflow(void **state)
{
	unsigned long t = 1UL << 40;	/* 4 PiB of RAM + swap in 4 kB pages */
	long half = LONG_MAX / 2;

	(void)state;
	assert_true(oom_badness_of(half, 1000, t) == half + 1000L * (long)(t / 1000));
	assert_true(oom_badness_of(half, -1000, t) == half - 1000L * (long)(t / 1000));
	assert_true(oom_badness_of(-half, -999, t) == -half - 999L * (long)(t / 1000));
	assert_true(oom_badness_of((long)t, 1000, t) == (long)t + 1000L * (long)(t / 1000));
	/* the worst process of such a machine still scores within 0..2000 */
	long worst = oom_badness_of((long)t, 1000, t);

	assert_true(oom_score_of(worst, t) <= 2000);
	assert_true(oom_score_of(worst, t) >= 1998);
	/* adj -999 is not quite -totalpages when totalpages is no multiple of 1000 */
	assert_int_equal(oom_score_of(oom_badness_of(0, -999, t), t), 1);
	assert_int_equal(oom_score_of(oom_badness_of(0, -999, 1000000000), 1000000000), 0);
}

static void score_of(void **state)
{
	(void)state;
	/* fs/proc/base.c: (1000 + badness * 1000 / totalpages) * 2 / 3 */
	assert_int_equal(oom_score_of(0, TOTAL), 666);
	assert_int_equal(oom_score_of(1000, TOTAL), 667);
	assert_int_equal(oom_score_of(999, TOTAL), 666);
	assert_int_equal(oom_score_of(500000, TOTAL), 1000);
	assert_int_equal(oom_score_of(1000000, TOTAL), 1333);
	assert_int_equal(oom_score_of(2000000, TOTAL), 2000);
	/* negative badness truncates toward zero, as C division in the kernel does */
	assert_int_equal(oom_score_of(-1, TOTAL), 666);
	assert_int_equal(oom_score_of(-1500, TOTAL), 666);	/* -1.5 -> -1, not -2 */
	assert_int_equal(oom_score_of(-2000, TOTAL), 665);
	assert_int_equal(oom_score_of(-998999, TOTAL), 1);
	assert_int_equal(oom_score_of(-999000, TOTAL), 0);
	assert_int_equal(oom_score_of(-1000000, TOTAL), 0);
	/* a small memcg-sized total */
	assert_int_equal(oom_score_of(1, 1000), 667);
	assert_int_equal(oom_score_of(-1, 1000), 666);
	assert_int_equal(oom_score_of(-2, 1000), 665);
}

/* Checks oom_score_max_badness for every score against brute force in a window. */
static void max_badness_for(unsigned long t)
{
	for (long s = 0; s < 2000; s++) {
		long m = oom_score_max_badness(s, t);

		assert_true(oom_score_of(m, t) <= s);
		assert_true(oom_score_of(m + 1, t) > s);
		/* no badness above the bound scores s or less; below it, the score is monotonic */
		for (long b = m - 200; b <= m + 200; b++)
			if (oom_score_of(b, t) <= s)
				assert_true(b <= m);
		/* and around where the kernel's processes sit: 0, -totalpages */
		for (long b = -250; b <= 250; b += 5)
			if (oom_score_of(b, t) <= s)
				assert_true(b <= m);
		for (long b = -(long)t - 50; b <= -(long)t + 50; b++)
			if (oom_score_of(b, t) <= s)
				assert_true(b <= m);
	}
	assert_true(oom_score_max_badness(2000, t) == LONG_MAX);
}

static void max_badness_property(void **state)
{
	static const unsigned long totals[] = { 1, 3, 999, 1000, 1001, 4096, 65536, 6170905,
						TOTAL, 1UL << 33, 1UL << 40 };

	(void)state;
	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++)
		max_badness_for(totals[i]);
}

/* The score is monotonic in badness: a process scored lower cannot be worse */
static void score_monotonic(void **state)
{
	static const unsigned long totals[] = { 1000, 1001, 6170905, 1UL << 33 };

	(void)state;
	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
		long t = (long)totals[i], step = t / 20000 + 1;
		long prev = oom_score_of(-t, (unsigned long)t);

		for (long b = -t; b <= 2 * t; b += step) {
			long s = oom_score_of(b, (unsigned long)t);

			assert_true(s >= prev);
			assert_true(s >= 0 && s <= 2000);
			prev = s;
		}
	}
}

/* An ordinary eligible process */
static struct proc_info proc(pid_t pid, unsigned long anon_kb, int adj)
{
	struct proc_info p = { 0 };

	p.pid = pid;
	p.ppid = 1;
	p.state = 'S';
	p.has_mm = true;
	p.start_time = 1000 + (unsigned long long)pid;
	p.total_vm_kb = anon_kb + 1000;
	p.rss_anon_kb = anon_kb;
	p.oom_score_adj = adj;
	p.kernel_score = -1;
	p.group = -1;	/* set by table_put */
	p.group_next = -1;
	p.group_size = 1;
	return p;
}

static void exclusions(void **state)
{
	struct proc_info p;

	(void)state;
	p = proc(500, 1000, 0);
	assert_int_equal(rank_exclusion(&p, 42), EXCL_NONE);
	p = proc(1, 1000, 0);
	assert_int_equal(rank_exclusion(&p, 42), EXCL_INIT);
	p = proc(2, 0, 0);
	p.flags = PF_KTHREAD;
	p.has_mm = false;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_KTHREAD);
	/* a kernel thread using a borrowed mm (kthread_use_mm) is still a kernel thread */
	p.has_mm = true;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_KTHREAD);
	p = proc(42, 1000, 0);
	assert_int_equal(rank_exclusion(&p, 42), EXCL_SELF);
	p = proc(500, 1000, -1000);
	assert_int_equal(rank_exclusion(&p, 42), EXCL_ADJ_MIN);
	p = proc(500, 1000, -999);
	assert_int_equal(rank_exclusion(&p, 42), EXCL_NONE);
	p = proc(500, 1000, 0);
	p.has_mm = false;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_NO_MM);
	p = proc(500, 1000, 0);
	p.state = 'Z';
	assert_int_equal(rank_exclusion(&p, 42), EXCL_NO_MM);
	p = proc(500, 1000, 0);
	p.state = 'X';
	assert_int_equal(rank_exclusion(&p, 42), EXCL_NO_MM);
	p = proc(500, 1000, 0);
	p.vfork_child = true;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_VFORK);
	/* a vfork child that is -1000 itself is excluded for that first */
	p.oom_score_adj = -1000;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_ADJ_MIN);
	/* oom_evaluate_task(): a victim in flight (SIGKILL pending, or in do_exit) */
	p = proc(500, 1000, 0);
	p.kill_pending = true;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_DYING);
	p = proc(500, 1000, 0);
	p.flags = PF_EXITING;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_DYING);
	/* dying does not hide that it is protected: its sharers stay hidden */
	p.oom_score_adj = -1000;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_ADJ_MIN);
	assert_false(exclusion_protects(EXCL_DYING));
	p = proc(500, 1000, 0);
	p.err = -ENOENT;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_VANISHED);
	p.err = -ESRCH;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_VANISHED);
	p.err = -EBADMSG;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_UNREADABLE);
	p.err = -EACCES;
	assert_int_equal(rank_exclusion(&p, 42), EXCL_UNREADABLE);
	/* an error wins over what the half-read fields say: they cannot be trusted */
	p = proc(1, 1000, 0);
	p.err = -EBADMSG;
	assert_int_equal(rank_exclusion(&p, 1), EXCL_UNREADABLE);
}

static void protects(void **state)
{
	(void)state;
	assert_true(exclusion_protects(EXCL_INIT));
	assert_true(exclusion_protects(EXCL_SELF));
	assert_true(exclusion_protects(EXCL_ADJ_MIN));
	assert_false(exclusion_protects(EXCL_NONE));
	assert_false(exclusion_protects(EXCL_KTHREAD));
	assert_false(exclusion_protects(EXCL_NO_MM));
	assert_false(exclusion_protects(EXCL_VFORK));
	assert_false(exclusion_protects(EXCL_SHARES_PROTECTED));
	assert_false(exclusion_protects(EXCL_VANISHED));
	assert_false(exclusion_protects(EXCL_UNREADABLE));
}

static void vfork(void **state)
{
	(void)state;
	assert_true(vfork_rule(true, 'D'));
	assert_false(vfork_rule(true, 'S'));
	assert_false(vfork_rule(true, 'R'));
	assert_false(vfork_rule(false, 'D'));
	assert_false(vfork_rule(false, 'S'));
}

static void better(void **state)
{
	struct proc_info a = proc(10, 0, 0), b = proc(20, 0, 0);

	(void)state;
	a.badness = 5;
	b.badness = 4;
	assert_true(rank_better(&a, &b));
	assert_false(rank_better(&b, &a));
	a.badness = -5;
	b.badness = -4;
	assert_false(rank_better(&a, &b));
	assert_true(rank_better(&b, &a));
	/* equal badness: the one started later */
	a.badness = b.badness = 7;
	a.start_time = 300;
	b.start_time = 200;
	assert_true(rank_better(&a, &b));
	assert_false(rank_better(&b, &a));
	/* same start time too: the higher pid */
	a.start_time = b.start_time;
	assert_true(rank_better(&b, &a));
	assert_false(rank_better(&a, &b));
	/* strict: nothing is better than itself */
	assert_false(rank_better(&a, &a));
	/* qos_order's rank before everything: a BestEffort pod's 1 page over a Burstable's 10^6 */
	a.badness = 1;
	b.badness = 1000000;
	a.qos_rank = 3;
	b.qos_rank = 2;
	assert_true(rank_better(&a, &b));
	assert_false(rank_better(&b, &a));
	b.qos_rank = 3;
	assert_true(rank_better(&b, &a));
}

/* A table of n processes made from an array, each alone in its group */
static void table_of(struct proc_table *t, const struct proc_info *ps, int n)
{
	assert_int_equal(table_init(t, n), 0);
	for (int i = 0; i < n; i++) {
		struct proc_info *p = table_add(t);

		assert_non_null(p);
		*p = ps[i];
		p->group = i;
		p->group_next = -1;
		p->group_size = 1;
	}
}

/* Links the table entries of these pids into one address-space group, as share.c does */
static void link_pids(struct proc_table *t, const pid_t *pids, int n)
{
	int first = table_find(t, pids[0]);

	assert_true(first >= 0);
	for (int i = 0; i < n; i++) {
		int k = table_find(t, pids[i]);

		assert_true(k >= 0);
		t->procs[k].group = first;
		t->procs[k].group_size = n;
		t->procs[k].group_next = i + 1 < n ? table_find(t, pids[i + 1]) : -1;
	}
}

static const struct rank_ctx global = { .totalpages = TOTAL, .global_totalpages = TOTAL,
					.page_kb = 4, .self = 4242 };

static struct proc_info *by_pid(struct proc_table *t, pid_t pid)
{
	int i = table_find(t, pid);

	assert_true(i >= 0);
	return &t->procs[i];
}

static void table_order(void **state)
{
	struct proc_info ps[] = {
		proc(100, 40000, 0),	/* 10000 points */
		proc(101, 80000, 0),	/* 20000: the largest at adj 0 */
		proc(102, 4000, 100),	/* 1000 + 100 * 1000 = 101000: adj makes it worst */
		proc(103, 80000, -50),	/* 20000 - 50000 = -30000 */
		proc(1, 400000, 0),	/* init: excluded however large */
		proc(4242, 400000, 0),	/* ourselves */
		proc(104, 400000, -1000),
		proc(2, 0, 0),
		proc(105, 40000, 0),	/* ties with 100, started later */
		proc(99, 40000, 0),	/* ties with 100 and 105, started with 105, lower pid */
	};
	struct proc_table t;
	int order[16];

	(void)state;
	ps[7].flags = PF_KTHREAD;
	ps[7].has_mm = false;
	ps[8].start_time = 5000;
	ps[9].start_time = 5000;
	table_of(&t, ps, 10);
	int eligible = rank_table(&t, &global, order);

	assert_int_equal(eligible, 6);
	static const pid_t want[] = { 102, 101, 105, 99, 100, 103, 1, 2, 104, 4242 };

	for (int i = 0; i < 10; i++)
		assert_int_equal(t.procs[order[i]].pid, want[i]);
	assert_int_equal(by_pid(&t, 102)->points, 1000);
	assert_int_equal(by_pid(&t, 102)->badness, 101000);
	assert_int_equal(by_pid(&t, 103)->badness, -30000);
	assert_int_equal(by_pid(&t, 101)->score, oom_score_of(20000, TOTAL));
	assert_int_equal(by_pid(&t, 103)->score, 646);
	assert_int_equal(by_pid(&t, 1)->excl, EXCL_INIT);
	assert_int_equal(by_pid(&t, 2)->excl, EXCL_KTHREAD);
	assert_int_equal(by_pid(&t, 104)->excl, EXCL_ADJ_MIN);
	assert_int_equal(by_pid(&t, 4242)->excl, EXCL_SELF);
	/* the excluded have no badness and the kernel's 0 */
	assert_true(by_pid(&t, 1)->badness == LONG_MIN);
	assert_int_equal(by_pid(&t, 104)->score, 0);
	/* each eligible one's score is what the kernel would show */
	for (int i = 0; i < eligible; i++) {
		struct proc_info *p = &t.procs[order[i]];

		assert_int_equal(p->score, oom_score_of(p->badness, TOTAL));
		assert_int_equal(p->excl, EXCL_NONE);
	}
	table_free(&t);
}

static void table_empty(void **state)
{
	struct proc_table t;
	int order[1];
	struct proc_info one = proc(1, 5000, 0);

	(void)state;
	table_of(&t, NULL, 0);
	assert_int_equal(rank_table(&t, &global, order), 0);
	table_free(&t);
	table_of(&t, &one, 1);
	assert_int_equal(rank_table(&t, &global, order), 0);
	assert_int_equal(order[0], 0);
	table_free(&t);
}

/* "mm, oom: hide mm which is shared with kthread or global init": a group with init or a
 * -1000 member is hidden entirely, naming the protector */
static void table_group_protected(void **state)
{
	struct proc_info ps[] = {
		proc(1, 1000, 0),
		proc(200, 1000, 0),	/* shares init's mm */
		proc(300, 900000, 0),	/* the largest, but shares with 301 */
		proc(301, 900000, -1000),
		proc(302, 900000, 0),	/* also in 301's group */
		proc(400, 100, 0),	/* alone: the only victim left */
		proc(500, 700000, 0),	/* shares with a kthread: not protected by that */
		proc(501, 0, 0),
	};
	struct proc_table t;
	int order[8];

	(void)state;
	ps[7].flags = PF_KTHREAD;
	table_of(&t, ps, 8);
	link_pids(&t, (pid_t[]){ 1, 200 }, 2);
	link_pids(&t, (pid_t[]){ 300, 301, 302 }, 3);
	link_pids(&t, (pid_t[]){ 500, 501 }, 2);
	assert_int_equal(rank_table(&t, &global, order), 2);
	assert_int_equal(t.procs[order[0]].pid, 500);
	assert_int_equal(t.procs[order[1]].pid, 400);
	assert_int_equal(by_pid(&t, 200)->excl, EXCL_SHARES_PROTECTED);
	assert_int_equal(by_pid(&t, 200)->excl_pid, 1);
	assert_int_equal(by_pid(&t, 300)->excl, EXCL_SHARES_PROTECTED);
	assert_int_equal(by_pid(&t, 300)->excl_pid, 301);
	assert_int_equal(by_pid(&t, 302)->excl, EXCL_SHARES_PROTECTED);
	assert_int_equal(by_pid(&t, 302)->excl_pid, 301);
	assert_true(by_pid(&t, 302)->badness == LONG_MIN);
	assert_int_equal(by_pid(&t, 302)->score, 0);
	/* the protectors keep their own reason */
	assert_int_equal(by_pid(&t, 1)->excl, EXCL_INIT);
	assert_int_equal(by_pid(&t, 1)->excl_pid, 0);
	assert_int_equal(by_pid(&t, 301)->excl, EXCL_ADJ_MIN);
	assert_int_equal(by_pid(&t, 501)->excl, EXCL_KTHREAD);
	/* the excluded follow by pid */
	static const pid_t rest[] = { 1, 200, 300, 301, 302, 501 };

	for (int i = 0; i < 6; i++)
		assert_int_equal(t.procs[order[2 + i]].pid, rest[i]);
	table_free(&t);
}

/* A process sharing with ourselves is hidden too: killing it cannot free the mm */
static void table_group_self(void **state)
{
	struct proc_info ps[] = { proc(4242, 1000, 0), proc(600, 9000, 0), proc(601, 10, 0) };
	struct proc_table t;
	int order[3];

	(void)state;
	table_of(&t, ps, 3);
	link_pids(&t, (pid_t[]){ 600, 4242 }, 2);
	assert_int_equal(rank_table(&t, &global, order), 1);
	assert_int_equal(t.procs[order[0]].pid, 601);
	assert_int_equal(by_pid(&t, 600)->excl, EXCL_SHARES_PROTECTED);
	assert_int_equal(by_pid(&t, 600)->excl_pid, 4242);
	table_free(&t);
}

/* in_vfork(): the vfork child is never chosen, its waiting parent may be */
static void table_vfork(void **state)
{
	struct proc_info ps[] = { proc(700, 50000, 0), proc(701, 50000, 500), proc(800, 400, 0),
				  proc(900, 60000, 0), proc(901, 60000, 0) };
	struct proc_table t;
	int order[5];

	(void)state;
	ps[0].state = 'D';
	ps[1].ppid = 700;	/* in vfork: its adj would make it worst */
	ps[4].ppid = 900;	/* CLONE_VM sharer of a running parent: not in vfork */
	table_of(&t, ps, 5);
	link_pids(&t, (pid_t[]){ 700, 701 }, 2);
	link_pids(&t, (pid_t[]){ 900, 901 }, 2);
	assert_int_equal(rank_table(&t, &global, order), 4);
	assert_true(by_pid(&t, 701)->vfork_child);
	assert_int_equal(by_pid(&t, 701)->excl, EXCL_VFORK);
	assert_false(by_pid(&t, 700)->vfork_child);
	assert_int_equal(by_pid(&t, 700)->excl, EXCL_NONE);
	assert_false(by_pid(&t, 901)->vfork_child);
	assert_int_equal(by_pid(&t, 901)->excl, EXCL_NONE);
	assert_int_equal(t.procs[order[0]].pid, 901);	/* later start, same badness */
	assert_int_equal(t.procs[order[1]].pid, 900);
	assert_int_equal(t.procs[order[2]].pid, 700);
	assert_int_equal(t.procs[order[3]].pid, 800);
	assert_int_equal(t.procs[order[4]].pid, 701);

	/* a child whose parent is not in its group is no vfork child, even with the parent in D */
	table_free(&t);
	table_of(&t, ps, 5);
	assert_int_equal(rank_table(&t, &global, order), 5);
	assert_false(by_pid(&t, 701)->vfork_child);
	assert_int_equal(t.procs[order[0]].pid, 701);
	table_free(&t);
}

/* A memcg OOM: badness uses the cgroup's totalpages, oom_score the machine's */
static void table_cgroup_scope(void **state)
{
	const struct rank_ctx cg = { .totalpages = 65536, .global_totalpages = TOTAL,
				     .page_kb = 4, .self = 4242 };
	struct proc_info ps[] = { proc(10, 40000, 0), proc(11, 4000, 100), proc(12, 40000, -100) };
	struct proc_table t;
	int order[3];

	(void)state;
	table_of(&t, ps, 3);
	assert_int_equal(rank_table(&t, &cg, order), 3);
	/* 11: 1000 + 100 * 65 = 7500; 10: 10000; 12: 10000 - 6500 = 3500 */
	assert_int_equal(by_pid(&t, 11)->badness, 1000 + 100 * 65);
	assert_int_equal(by_pid(&t, 10)->badness, 10000);
	assert_int_equal(by_pid(&t, 12)->badness, 3500);
	assert_int_equal(t.procs[order[0]].pid, 10);
	assert_int_equal(t.procs[order[1]].pid, 11);
	assert_int_equal(t.procs[order[2]].pid, 12);
	/* globally 11 would be worst: 101000 */
	assert_int_equal(by_pid(&t, 11)->score, oom_score_of(1000 + 100 * 1000, TOTAL));
	assert_int_equal(by_pid(&t, 11)->score, 734);
	assert_int_equal(by_pid(&t, 12)->score, oom_score_of(10000 - 100000, TOTAL));
	assert_int_equal(by_pid(&t, 10)->score, oom_score_of(10000, TOTAL));
	table_free(&t);
}

static void describe(void **state)
{
	char buf[128];
	struct proc_info p = proc(77, 0, 0);

	(void)state;
	p.excl = EXCL_NONE;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)), "");
	p.excl = EXCL_INIT;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)), "init");
	p.excl = EXCL_ADJ_MIN;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)), "oom_score_adj -1000");
	p.excl = EXCL_VFORK;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)),
			    "vfork child (shares its parent's memory)");
	p.excl = EXCL_SHARES_PROTECTED;
	p.excl_pid = 301;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)),
			    "shares its memory with a protected process (pid 301)");
	p.excl = EXCL_UNREADABLE;
	p.err = -EBADMSG;
	p.err_file = PF_ADJ;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)),
			    "unreadable /proc/77/oom_score_adj: malformed");
	p.err = -EACCES;
	p.err_file = PF_STATUS;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)),
			    "unreadable /proc/77/status: Permission denied");
	p.err = -ERANGE;
	p.err_file = PF_ADJ;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)),
			    "unreadable /proc/77/oom_score_adj: Numerical result out of range");
	p.excl = EXCL_VANISHED;
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)), "vanished during the scan");
	/* a short buffer is cut, still terminated */
	p.excl = EXCL_SHARES_PROTECTED;
	assert_string_equal(exclusion_describe(&p, buf, 7), "shares");
	/* every reason has words */
	for (int e = EXCL_INIT; e <= EXCL_UNREADABLE; e++) {
		assert_non_null(exclusion_reason((enum exclusion)e));
		assert_true(strlen(exclusion_reason((enum exclusion)e)) > 3);
	}
	assert_null(exclusion_reason(EXCL_NONE));
}

/* statm's bound on the points: resident + swap + no more page tables than the size allows */
static void statm_bound_holds(void **state)
{
	(void)state;
	assert_int_equal(pgtables_max_pages(0), PGTABLES_SLACK);
	assert_int_equal(pgtables_max_pages(619), 3 * 619 + PGTABLES_SLACK);
	assert_int_equal(statm_max_points(619, 141, 0), 141 + 3 * 619 + PGTABLES_SLACK);
	assert_int_equal(statm_max_points(619, 141, 10), 151 + 3 * 619 + PGTABLES_SLACK);
	/* swap unknown: no bound; a size past what fits: capped, never wrapped */
	assert_int_equal(statm_max_points(619, 141, LONG_MAX), LONG_MAX);
	assert_true(statm_max_points(ULONG_MAX, 0, 0) > 0);
	/* a real process's own figures (VmPTE 40 kB of VmSize 2476 kB) lie under it */
	struct proc_info p = { .rss_anon_kb = 108, .rss_file_kb = 456, .pgtables_kb = 40 };

	assert_true(oom_points(&p, 4) <= statm_max_points(2476 / 4, (108 + 456) / 4, 0));
}

/* The adj's weight as a score leaves room for it: rounded down to whole units */
static void adj_weight_from_score(void **state)
{
	unsigned long t = 6170913;
	long unit = (long)(t / 1000);

	(void)state;
	/* score 666 (adj 0, small): room for less than one unit above the points */
	assert_int_equal(adj_max_weight(oom_score_max_badness(666, t), 200, unit), 0);
	/* a process at adj 500 of 8 MiB: its score says at most 500 */
	long b = oom_badness_of(2048, 500, t);
	long w = adj_max_weight(oom_score_max_badness(oom_score_of(b, t), t), 2048, unit);

	assert_true(w >= 500 * unit);
	assert_true(w <= 501 * unit);
	/* negative room rounds down; out of range says nothing; no unit, no weight */
	assert_int_equal(adj_max_weight(-1, 0, 10), -10);
	assert_int_equal(adj_max_weight(LONG_MAX, 0, 10), 1000 * 10);
	assert_int_equal(adj_max_weight(-100000, 0, 10), 1000 * 10);
	assert_int_equal(adj_max_weight(5000, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(points_sum),
		cmocka_unit_test(statm_bound_holds),
		cmocka_unit_test(adj_weight_from_score),
		cmocka_unit_test(badness_arithmetic),
		cmocka_unit_test(badness_no_overflow),
		cmocka_unit_test(score_of),
		cmocka_unit_test(max_badness_property),
		cmocka_unit_test(score_monotonic),
		cmocka_unit_test(exclusions),
		cmocka_unit_test(protects),
		cmocka_unit_test(vfork),
		cmocka_unit_test(better),
		cmocka_unit_test(table_order),
		cmocka_unit_test(table_empty),
		cmocka_unit_test(table_group_protected),
		cmocka_unit_test(table_group_self),
		cmocka_unit_test(table_vfork),
		cmocka_unit_test(table_cgroup_scope),
		cmocka_unit_test(describe),
	};

	return cmocka_run_group_tests_name("rank", tests, NULL, NULL);
}
