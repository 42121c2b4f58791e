/* test_scan.c - the readers of /proc and cgroups, and victim selection, on fixture trees */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kill.h"
#include "parse.h"
#include "rank.h"
#include "readfile.h"
#include "sample.h"
#include "scan.h"
#include "scope.h"
#include "select.h"
#include "survey.h"

#define FIX(name) FIXTURES "/" name

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static unsigned long page_kb(void)
{
	return (unsigned long)sysconf(_SC_PAGESIZE) / 1024;
}

/* A zeroed entry as table_add makes one */
static struct proc_info blank(void)
{
	struct proc_info p = { 0 };

	p.kernel_score = -1;
	return p;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static const pid_t scan_tree_pids[] = { 1, 2, 100, 101, 102, 103, 104, 105, 106, 107 };
#define SCAN_TREE_N ((int)(sizeof(scan_tree_pids) / sizeof(scan_tree_pids[0])))

static void pids_numeric_only(void **state)
{
	int fd = open_dir(FIX("proc_scan"));
	pid_t pids[64];
	int n = scan_pids(fd, pids, 64);

	(void)state;
	/* not "self", "1a", "0", "01", "-5", "sys", nor pids past INT_MAX */
	assert_int_equal(n, SCAN_TREE_N);
	qsort(pids, (size_t)n, sizeof(*pids), by_pid);
	assert_memory_equal(pids, scan_tree_pids, sizeof(scan_tree_pids));

	/* too little room: the count says how much is needed, nothing written past cap */
	pids[3] = -7;
	assert_int_equal(scan_pids(fd, pids, 3), SCAN_TREE_N);
	assert_int_equal(pids[3], -7);
	for (int i = 0; i < 3; i++)
		assert_non_null(bsearch(&pids[i], scan_tree_pids, SCAN_TREE_N, sizeof(pid_t),
					by_pid));
	assert_int_equal(scan_pids(fd, NULL, 0), SCAN_TREE_N);
	close(fd);
	assert_int_equal(scan_pids(-1, pids, 64), -EBADF);
}

static void proc_good(void **state)
{
	int fd = open_dir(FIX("proc_scan"));
	struct proc_info p = blank();

	(void)state;
	assert_int_equal(scan_proc(fd, 100, SCAN_DETAIL | SCAN_SCORE | SCAN_CGROUP, &p), 0);
	assert_int_equal(p.pid, 100);
	assert_string_equal(p.comm, "bash");
	assert_int_equal(p.state, 'S');
	assert_int_equal(p.ppid, 1);
	assert_true(p.start_time == 5000);
	assert_int_equal(p.uid, 1000);
	assert_true(p.has_mm);
	assert_int_equal(p.total_vm_kb, 8000);
	assert_int_equal(p.rss_anon_kb, 2000);
	assert_int_equal(p.rss_file_kb, 3000);
	assert_int_equal(p.rss_shmem_kb, 100);
	assert_int_equal(p.pgtables_kb, 60);
	assert_int_equal(p.swap_kb, 40);
	assert_int_equal(p.oom_score_adj, 200);
	/* 5200 kB = 1300 pages; + 200 * 1000: the score of 201300 on 1,000,000 pages */
	assert_int_equal(p.kernel_score, 800);
	assert_non_null(p.cgroup);
	assert_string_equal(p.cgroup, "/work/job");
	assert_int_equal(p.err, 0);
	assert_int_equal(rank_exclusion(&p, 99999), EXCL_NONE);
	free(p.cgroup);

	/* only what is asked is read */
	p = blank();
	assert_int_equal(scan_proc(fd, 100, SCAN_ADJ, &p), 0);
	assert_int_equal(p.oom_score_adj, 200);
	assert_int_equal(p.comm[0], '\0');
	assert_false(p.has_mm);
	assert_int_equal(p.kernel_score, -1);
	assert_null(p.cgroup);
	close(fd);
}

static void proc_zombie_and_kthread(void **state)
{
	int fd = open_dir(FIX("proc_scan"));
	struct proc_info p = blank();

	(void)state;
	assert_int_equal(scan_proc(fd, 101, SCAN_DETAIL | SCAN_SCORE, &p), 0);
	assert_int_equal(p.state, 'Z');
	assert_false(p.has_mm);
	assert_int_equal(p.kernel_score, 0);
	assert_int_equal(rank_exclusion(&p, 99999), EXCL_NO_MM);

	p = blank();
	assert_int_equal(scan_proc(fd, 2, SCAN_DETAIL | SCAN_CGROUP, &p), 0);
	assert_string_equal(p.comm, "kthreadd");
	assert_true(p.flags & PF_KTHREAD);
	assert_false(p.has_mm);
	assert_int_equal(p.ppid, 0);
	assert_string_equal(p.cgroup, "/");
	assert_int_equal(rank_exclusion(&p, 99999), EXCL_KTHREAD);
	free(p.cgroup);

	p = blank();
	assert_int_equal(scan_proc(fd, 1, SCAN_DETAIL, &p), 0);
	assert_true(p.has_mm);
	assert_int_equal(rank_exclusion(&p, 99999), EXCL_INIT);
	close(fd);
}

static void proc_failures(void **state)
{
	int fd = open_dir(FIX("proc_scan"));
	struct proc_info p = blank();
	char buf[128];

	(void)state;
	/* no status file: read as gone, and says which file */
	assert_int_equal(scan_proc(fd, 102, SCAN_DETAIL, &p), -ENOENT);
	assert_int_equal(p.err, -ENOENT);
	assert_int_equal(p.err_file, PF_STATUS);
	assert_string_equal(p.comm, "nostatus");	/* what was read before stays */
	assert_int_equal(rank_exclusion(&p, 99999), EXCL_VANISHED);
	p = blank();
	assert_int_equal(scan_proc(fd, 102, SCAN_STAT | SCAN_ADJ, &p), 0);

	p = blank();
	assert_int_equal(scan_proc(fd, 103, SCAN_DETAIL, &p), -EBADMSG);
	assert_int_equal(p.err_file, PF_ADJ);
	p.excl = rank_exclusion(&p, 99999);
	assert_int_equal(p.excl, EXCL_UNREADABLE);
	assert_string_equal(exclusion_describe(&p, buf, sizeof(buf)),
			    "unreadable /proc/103/oom_score_adj: malformed");

	p = blank();
	assert_int_equal(scan_proc(fd, 104, SCAN_DETAIL, &p), -ERANGE);
	assert_int_equal(p.err, -ERANGE);
	assert_int_equal(p.err_file, PF_ADJ);

	/* a status cut after VmRSS: its counters are not guessed as zero */
	p = blank();
	assert_int_equal(scan_proc(fd, 105, SCAN_DETAIL, &p), -EBADMSG);
	assert_int_equal(p.err_file, PF_STATUS);
	/* an oom_score that is not there stays unknown, and is no failure */
	p = blank();
	assert_int_equal(scan_proc(fd, 105, SCAN_STAT | SCAN_SCORE, &p), 0);
	assert_int_equal(p.kernel_score, -1);

	/* a stat naming another pid than its directory */
	p = blank();
	assert_int_equal(scan_proc(fd, 107, SCAN_DETAIL, &p), -EBADMSG);
	assert_int_equal(p.err_file, PF_STAT);

	/* not there at all */
	p = blank();
	assert_int_equal(scan_proc(fd, 999, SCAN_DETAIL, &p), -ENOENT);
	assert_int_equal(p.err_file, PF_STAT);
	assert_int_equal(p.pid, 999);
	close(fd);
}

static void proc_comm_parens(void **state)
{
	int fd = open_dir(FIX("proc_scan"));
	struct proc_info p = blank();

	(void)state;
	assert_int_equal(scan_proc(fd, 106, SCAN_DETAIL, &p), 0);
	assert_string_equal(p.comm, "a ) ( b");
	assert_int_equal(p.state, 'R');
	assert_int_equal(p.ppid, 100);
	assert_true(p.start_time == 5600);
	assert_int_equal(p.total_vm_kb, 3000);
	close(fd);
}

static void put(const char *dir, const char *name, const char *text, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Bytes git would not keep as they are: a comm with 0xff, a newline, a tab */
static void proc_odd_bytes(void **state)
{
	static const char st[] = "300 (a\xff\n\tb) S 1 300 300 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 "
				 "1 0 777 3133440 409 18446744073709551615 0 0 0 0 0\n";
	static const char status[] = "Name:\ta\\xff\\n\\tb\nState:\tS (sleeping)\n"
				     "Uid:\t0\t0\t0\t0\nVmSize:\t  100 kB\nRssAnon:\t 8 kB\n"
				     "RssFile:\t 4 kB\nRssShmem:\t 0 kB\nVmPTE:\t 4 kB\n"
				     "VmSwap:\t 0 kB\n";
	char root[] = "/tmp/oomreaper-scan-XXXXXX", dir[PATH_MAX];
	struct proc_info p = blank();

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/300", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	put(dir, "stat", st, sizeof(st) - 1);
	put(dir, "status", status, sizeof(status) - 1);
	put(dir, "oom_score_adj", "-17\n", 4);
	snprintf(dir, sizeof(dir), "%s/301", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	put(dir, "stat", "", 0);

	int fd = open_dir(root);

	assert_int_equal(scan_proc(fd, 300, SCAN_DETAIL, &p), 0);
	assert_string_equal(p.comm, "a\xff\n\tb");
	assert_int_equal(p.state, 'S');
	assert_true(p.start_time == 777);
	assert_int_equal(p.oom_score_adj, -17);
	assert_int_equal(oom_points(&p, 4), 4);
	/* an empty stat is a malformed one */
	p = blank();
	assert_int_equal(scan_proc(fd, 301, SCAN_DETAIL, &p), -EBADMSG);
	assert_int_equal(p.err_file, PF_STAT);
	close(fd);

	snprintf(dir, sizeof(dir), "%s/300", root);
	for (const char *const *f = (const char *const[]){ "stat", "status", "oom_score_adj",
							   NULL }; *f; f++) {
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
	snprintf(dir, sizeof(dir), "%s/301/stat", root);
	assert_int_equal(unlink(dir), 0);
	snprintf(dir, sizeof(dir), "%s/301", root);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rmdir(root), 0);
}

static void table_keeps_failures(void **state)
{
	static const pid_t pids[] = { 100, 101, 102, 103, 999 };
	int fd = open_dir(FIX("proc_scan"));
	struct proc_table t;

	(void)state;
	assert_int_equal(table_init(&t, 2), 0);
	assert_int_equal(scan_table(fd, pids, 5, SCAN_DETAIL | SCAN_CGROUP, &t, 2), 0);
	assert_int_equal(t.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(t.procs[i].pid, pids[i]);
	assert_int_equal(t.procs[0].err, 0);
	assert_string_equal(t.procs[0].cgroup, "/work/job");
	assert_int_equal(t.procs[1].err, 0);
	assert_false(t.procs[1].has_mm);
	assert_int_equal(t.procs[2].err, -ENOENT);
	assert_int_equal(t.procs[2].err_file, PF_STATUS);
	assert_int_equal(t.procs[3].err, -EBADMSG);
	assert_int_equal(t.procs[3].err_file, PF_ADJ);
	assert_int_equal(t.procs[4].err, -ENOENT);
	assert_int_equal(t.procs[4].err_file, PF_STAT);
	/* a second scan appends */
	assert_int_equal(scan_table(fd, pids, 2, SCAN_STAT, &t, 1), 0);
	assert_int_equal(t.n, 7);
	assert_int_equal(t.procs[5].pid, 100);
	assert_string_equal(t.procs[6].comm, "defunct");
	assert_int_equal(t.procs[5].kernel_score, -1);
	table_free(&t);
	close(fd);
}

/* Enough entries for the worker threads to share them: each entry still gets its own pid */
static void table_threads(void **state)
{
	enum { N = 1000 };
	int fd = open_dir(FIX("proc_scan"));
	struct proc_table t;
	pid_t *pids = malloc(N * sizeof(*pids));

	(void)state;
	assert_non_null(pids);
	for (int i = 0; i < N; i++)
		pids[i] = scan_tree_pids[i % SCAN_TREE_N];
	assert_int_equal(table_init(&t, 16), 0);
	assert_int_equal(scan_table(fd, pids, N, SCAN_DETAIL | SCAN_SCORE, &t, 4), 0);
	assert_int_equal(t.n, N);
	for (int i = 0; i < N; i++) {
		struct proc_info *p = &t.procs[i];

		if (pids[i] != 107)	/* a failed stat may leave the pid it named */
			assert_int_equal(p->pid, pids[i]);
		if (pids[i] == 100) {
			assert_int_equal(p->err, 0);
			assert_int_equal(p->kernel_score, 800);
			assert_int_equal(p->rss_file_kb, 3000);
		} else if (pids[i] == 106) {
			assert_string_equal(p->comm, "a ) ( b");
		} else if (pids[i] == 104) {
			assert_int_equal(p->err, -ERANGE);
		}
	}
	table_free(&t);
	free(pids);
	close(fd);
}

static void scores(void **state)
{
	static const pid_t pids[] = { 100, 101, 105, 999, 1, 106 };
	int fd = open_dir(FIX("proc_scan"));
	long s[6];

	(void)state;
	assert_int_equal(scan_scores(fd, pids, 6, s, 2), 0);
	assert_int_equal(s[0], 800);
	assert_int_equal(s[1], 0);
	assert_int_equal(s[2], -1);
	assert_int_equal(s[3], -1);
	assert_int_equal(s[4], 0);
	assert_int_equal(s[5], 666);
	close(fd);
}

static void scope_global(void **state)
{
	int fd = open_dir(FIX("proc_swap"));
	struct scope s;
	char name[64];

	(void)state;
	assert_int_equal(scope_open(&s, fd, NULL), 0);
	assert_int_equal(s.kind, SCOPE_GLOBAL);
	assert_int_equal(s.dir_fd, -1);
	assert_int_equal(s.page_kb, page_kb());
	assert_int_equal(s.global_totalpages, (4000000 + 1048576) / page_kb());
	assert_int_equal(s.totalpages, s.global_totalpages);
	assert_int_equal(s.limit_pages, 0);
	assert_string_equal(scope_name(&s, name, sizeof(name)), "global");
	scope_close(&s);
	close(fd);
}

static void scope_bad_meminfo(void **state)
{
	struct scope s;
	int fd;

	(void)state;
	fd = open_dir(FIX("meminfo_bad"));
	assert_int_equal(scope_open(&s, fd, NULL), -EBADMSG);
	close(fd);
	fd = open_dir(FIX("meminfo_zero"));
	assert_int_equal(scope_open(&s, fd, NULL), -EBADMSG);
	close(fd);
	/* no meminfo at all */
	fd = open_dir(FIX("not_cgroup"));
	assert_int_equal(scope_open(&s, fd, NULL), -ENOENT);
	close(fd);
}

/* Opens a cgroup fixture as a scope over the machine of meminfo_dir. */
static int open_cg(struct scope *s, const char *meminfo_dir, const char *cg)
{
	int fd = open_dir(meminfo_dir);
	int r = scope_open(s, fd, cg);

	close(fd);
	return r;
}

static void scope_v1(void **state)
{
	unsigned long pk = page_kb(), global = 4000000 / pk, swap = 1048576 / pk;
	unsigned long limit = 268435456 / 1024 / pk;
	struct scope s;
	char name[PATH_MAX + 32];

	(void)state;
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v1_limit")), 0);
	assert_int_equal(s.kind, SCOPE_CGROUP_V1);
	assert_true(s.dir_fd >= 0);
	assert_int_equal(s.global_totalpages, global);
	assert_int_equal(s.limit_pages, limit);
	assert_int_equal(s.totalpages, limit);
	if (pk == 4)
		assert_int_equal(s.totalpages, 65536);
	assert_string_equal(scope_name(&s, name, sizeof(name)),
			    "cgroup v1 " FIX("cgroup_v1_limit"));
	scope_close(&s);
	assert_int_equal(s.dir_fd, -1);

	/* the kernel's "unlimited": PAGE_COUNTER_MAX in bytes; the machine is the bound */
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v1_unlimited")), 0);
	assert_int_equal(s.kind, SCOPE_CGROUP_V1);
	assert_int_equal(s.limit_pages, 0);
	assert_int_equal(s.totalpages, global);
	scope_close(&s);

	/* memsw - limit is the swap it may use, if the machine has that much */
	assert_int_equal(open_cg(&s, FIX("proc_swap"), FIX("cgroup_v1_memsw")), 0);
	assert_int_equal(s.totalpages, limit + (402653184 - 268435456) / 1024 / pk);
	scope_close(&s);
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v1_memsw")), 0);
	assert_int_equal(s.totalpages, limit);
	scope_close(&s);
	assert_int_equal(open_cg(&s, FIX("proc_swap"), FIX("cgroup_v1_swappiness0")), 0);
	assert_int_equal(s.totalpages, limit);
	assert_int_equal(s.global_totalpages, global + swap);
	scope_close(&s);

	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v1_bad")), -EBADMSG);
	assert_int_equal(s.dir_fd, -1);
}

static void scope_v2(void **state)
{
	unsigned long pk = page_kb(), global = 4000000 / pk, swap = 1048576 / pk;
	unsigned long limit = 268435456 / 1024 / pk;
	struct scope s;
	char name[PATH_MAX + 32];

	(void)state;
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v2_max")), 0);
	assert_int_equal(s.kind, SCOPE_CGROUP_V2);
	assert_int_equal(s.limit_pages, 0);
	assert_int_equal(s.totalpages, global);
	assert_string_equal(scope_name(&s, name, sizeof(name)), "cgroup v2 " FIX("cgroup_v2_max"));
	scope_close(&s);

	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v2_limit")), 0);
	assert_int_equal(s.kind, SCOPE_CGROUP_V2);
	assert_int_equal(s.limit_pages, limit);
	assert_int_equal(s.totalpages, limit);
	if (pk == 4)
		assert_int_equal(s.totalpages, 65536);
	scope_close(&s);

	/* swap.max "max": all the swap there is */
	assert_int_equal(open_cg(&s, FIX("proc_swap"), FIX("cgroup_v2_swapmax")), 0);
	assert_int_equal(s.totalpages, limit + swap);
	scope_close(&s);
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v2_swapmax")), 0);
	assert_int_equal(s.totalpages, limit);
	scope_close(&s);

	/* constrained_alloc(): "mem_cgroup_get_max(oc->memcg) ?: 1" */
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v2_zero")), 0);
	assert_int_equal(s.totalpages, 1);
	scope_close(&s);

	/* the memory controller not enabled there: a set of processes `list` and `kill` can
	 * still judge by the machine's totalpages, but no scope the daemon can watch */
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v2_nomem")), 0);
	assert_int_equal(s.kind, SCOPE_CGROUP_V2);
	assert_int_equal(s.totalpages, global);
	assert_non_null(scope_unwatchable(&s));
	assert_non_null(strstr(scope_unwatchable(&s), "without memory.current"));
	scope_close(&s);
}

/* A cgroup without a limit of its own meets its ancestors' OOM: theirs is its totalpages */
static void scope_nested_limits(void **state)
{
	unsigned long pk = page_kb(), limit = 268435456 / 1024 / pk;
	struct scope s;

	(void)state;
	/* v1: memory.stat's hierarchical_memory_limit is the smallest on the way up */
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v1_nested")), 0);
	assert_int_equal(s.kind, SCOPE_CGROUP_V1);
	assert_int_equal(s.limit_pages, limit);
	assert_int_equal(s.totalpages, limit);
	scope_close(&s);
	/* v2: the walk up takes the parent's 256 MiB over the child's "max" */
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v2_nested/child")), 0);
	assert_int_equal(s.kind, SCOPE_CGROUP_V2);
	assert_int_equal(s.limit_pages, limit);
	scope_close(&s);
	/* and the smallest wins, whichever level holds it: 256 MiB over a grandchild's 512 */
	assert_int_equal(open_cg(&s, FIX("proc_select"),
				 FIX("cgroup_v2_nested/child/grandchild")), 0);
	assert_int_equal(s.limit_pages, limit);
	scope_close(&s);
}

static void parse_memory_stat(void **state)
{
	static const char st[] = "cache 4096\nrss 8192\nhierarchical_memory_limit 268435456\n"
				 "total_rss 8192\nbroken 12x\n";
	unsigned long long v = 0;

	(void)state;
	assert_int_equal(parse_key_value(st, sizeof(st) - 1, "rss", &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(parse_key_value(st, sizeof(st) - 1, "hierarchical_memory_limit", &v), 0);
	assert_int_equal(v, 268435456);
	/* a key that is the prefix of another is not that other */
	assert_int_equal(parse_key_value(st, sizeof(st) - 1, "total", &v), -ENOENT);
	assert_int_equal(parse_key_value(st, sizeof(st) - 1, "hierarchical", &v), -ENOENT);
	assert_int_equal(parse_key_value(st, sizeof(st) - 1, "broken", &v), -EBADMSG);
	assert_int_equal(parse_key_value("", 0, "rss", &v), -ENOENT);
}

static void scope_not_cgroup(void **state)
{
	struct scope s;

	(void)state;
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("not_cgroup")), -EMEDIUMTYPE);
	assert_int_equal(s.dir_fd, -1);
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("no_such_dir")), -ENOENT);
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("not_cgroup/README")), -ENOTDIR);
	assert_int_equal(s.dir_fd, -1);
}

/* Which scopes the daemon can watch: those whose figures are their own */
static void scope_watchable(void **state)
{
	int fd = open_dir(FIX("proc_select"));
	struct scope s;

	(void)state;
	assert_int_equal(scope_open(&s, fd, NULL), 0);
	assert_null(scope_unwatchable(&s));
	close(fd);
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v1_limit")), 0);
	assert_null(scope_unwatchable(&s));
	scope_close(&s);
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v1_unlimited")), 0);
	assert_null(scope_unwatchable(&s));
	scope_close(&s);
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v2_limit")), 0);
	assert_null(scope_unwatchable(&s));
	scope_close(&s);
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v1_root")), 0);
	assert_non_null(scope_unwatchable(&s));
	assert_non_null(strstr(scope_unwatchable(&s), "root memory cgroup"));
	scope_close(&s);
}

/* A file's text rewritten in place: a sample's held file reads the new text */
static void put_str(const char *dir, const char *name, const char *text)
{
	put(dir, name, text, strlen(text));
}

/* A cgroup's limits are followed from the files the sample holds open: each sample reads them
 * again, says when they changed, and totalpages follows */
static void scope_limits_followed(void **state)
{
	unsigned long pk = page_kb(), global = 4000000 / pk, mib = 1024 / pk;
	char top[] = "/tmp/oomreaper-unit-XXXXXX", v1[64], v2[64], child[80];
	int fd = open_dir(FIX("proc_select"));
	struct sample_files f;
	struct sample smp;
	struct scope s;

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(v1, sizeof(v1), "%s/v1", top);
	snprintf(v2, sizeof(v2), "%s/v2", top);
	snprintf(child, sizeof(child), "%s/v2/child", top);
	assert_int_equal(mkdir(v1, 0755), 0);
	assert_int_equal(mkdir(v2, 0755), 0);
	assert_int_equal(mkdir(child, 0755), 0);

	/* v1: memory.stat's hierarchical limit, as the kernel shows it */
	put_str(v1, "memory.limit_in_bytes", "268435456\n");
	put_str(v1, "memory.usage_in_bytes", "104857600\n");
	put_str(v1, "memory.stat", "total_inactive_file 0\nhierarchical_memory_limit 268435456\n");
	assert_int_equal(scope_open(&s, fd, v1), 0);
	sample_files_open(&f, &s, fd, false);
	assert_int_equal(sample_scope(&s, fd, &f, &smp), 0);
	assert_int_equal(s.limit_pages, 256 * mib);
	assert_int_equal(smp.avail_kb, 156 * 1024);
	put_str(v1, "memory.limit_in_bytes", "2147483648\n");
	put_str(v1, "memory.stat", "total_inactive_file 0\nhierarchical_memory_limit 2147483648\n");
	assert_int_equal(sample_scope(&s, fd, &f, &smp), 1);
	assert_int_equal(s.limit_pages, 2048 * mib);
	assert_int_equal(s.totalpages, 2048 * mib);
	assert_int_equal(smp.total_kb, 2048 * 1024);
	assert_int_equal(smp.avail_kb, 1948 * 1024);
	assert_int_equal(sample_scope(&s, fd, &f, &smp), 0);
	/* lifted: the machine's figures, and totalpages the machine's */
	put_str(v1, "memory.stat", "total_inactive_file 0\n"
	    "hierarchical_memory_limit 9223372036854771712\n");
	assert_int_equal(sample_scope(&s, fd, &f, &smp), 1);
	assert_int_equal(s.limit_pages, 0);
	assert_int_equal(s.totalpages, global);
	/* without memory.stat's figure, the cgroup's own file */
	put_str(v1, "memory.stat", "total_inactive_file 0\n");
	put_str(v1, "memory.limit_in_bytes", "134217728\n");
	assert_int_equal(sample_scope(&s, fd, &f, &smp), 1);
	assert_int_equal(s.limit_pages, 128 * mib);
	/* a limit file gone bad is an error, not a guess */
	put_str(v1, "memory.limit_in_bytes", "12abc\n");
	assert_int_equal(sample_scope(&s, fd, &f, &smp), -EBADMSG);
	sample_files_close(&f);
	scope_close(&s);

	/* v2: the smallest memory.max on the way up, each level's file held */
	put_str(v2, "cgroup.controllers", "memory\n");
	put_str(v2, "memory.max", "268435456\n");
	put_str(child, "cgroup.controllers", "memory\n");
	put_str(child, "memory.max", "max\n");
	put_str(child, "memory.current", "0\n");
	put_str(child, "memory.stat", "inactive_file 0\n");
	assert_int_equal(scope_open(&s, fd, child), 0);
	sample_files_open(&f, &s, fd, false);
	assert_true(f.lim.nlevels >= 2);
	assert_int_equal(s.limit_pages, 256 * mib);
	put_str(v2, "memory.max", "134217728\n");
	assert_int_equal(sample_scope(&s, fd, &f, &smp), 1);
	assert_int_equal(s.limit_pages, 128 * mib);
	put_str(child, "memory.max", "67108864\n");
	assert_int_equal(sample_scope(&s, fd, &f, &smp), 1);
	assert_int_equal(s.limit_pages, 64 * mib);
	put_str(child, "memory.max", "max\n");
	put_str(v2, "memory.max", "max\n");
	assert_int_equal(sample_scope(&s, fd, &f, &smp), 1);
	assert_int_equal(s.limit_pages, 0);
	assert_int_equal(s.totalpages, global);
	sample_files_close(&f);
	scope_close(&s);
	close(fd);
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	assert_int_equal(system(cmd), 0);
}

/* read_lines_at()'s reader for the test below: the text it was given, appended */
struct lines_seen {
	char text[256];
	size_t len;
	int calls;
};

static int see_lines(void *ctx, const char *text, size_t len)
{
	struct lines_seen *ls = ctx;

	assert_true(ls->len + len < sizeof(ls->text));
	/* whole lines only, but for the last line of the file */
	memcpy(ls->text + ls->len, text, len);
	ls->len += len;
	ls->calls++;
	return 0;
}

/*
 * A file read through a buffer much smaller than it: every line whole, in order, none cut at
 * the end of a read (where a pid would end early and name another process); a line larger than
 * the buffer refused.
 */
static void lines_past_the_buffer(void **state)
{
	static const char text[] = "12345\n678\n9\n424242\n31337";
	char dir[] = "/tmp/oomreaper-lines-XXXXXX", path[PATH_MAX], buf[8];
	struct lines_seen ls = { .len = 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	int fd = open_dir(dir);

	assert_int_equal(read_lines_at(fd, "cgroup.procs", buf, sizeof(buf), see_lines, &ls), 0);
	assert_int_equal(ls.len, strlen(text));
	assert_memory_equal(ls.text, text, ls.len);
	assert_true(ls.calls > 1);
	/* "424242" and its newline do not fit in 4 */
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(read_lines_at(fd, "cgroup.procs", buf, 4, see_lines, &ls), -EBADMSG);
	assert_int_equal(read_lines_at(fd, "absent", buf, sizeof(buf), see_lines, &ls), -ENOENT);
	close(fd);
	unlink(path);
	rmdir(dir);
}

static void scope_pid_lists(void **state)
{
	static const pid_t want[] = { 5, 7, 10, 20, 30, 40 };
	int fd = open_dir(FIX("proc_scan"));
	struct scope s;
	pid_t *pids = NULL;

	(void)state;
	/* nested cgroup.procs: sorted, each pid once; hidden dirs and a removed child skipped */
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_tree")), 0);
	assert_int_equal(scope_pids(&s, fd, &pids), 6);
	assert_memory_equal(pids, want, sizeof(want));
	free(pids);
	scope_close(&s);

	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_tree_bad")), 0);
	pids = NULL;
	assert_int_equal(scope_pids(&s, fd, &pids), -EBADMSG);
	scope_close(&s);

	/* an empty cgroup */
	assert_int_equal(open_cg(&s, FIX("proc_select"), FIX("cgroup_v2_limit")), 0);
	pids = NULL;
	assert_int_equal(scope_pids(&s, fd, &pids), 0);
	free(pids);
	scope_close(&s);

	/* global: every pid of the /proc tree, sorted */
	assert_int_equal(scope_open(&s, fd, NULL), 0);
	assert_int_equal(scope_pids(&s, fd, &pids), SCAN_TREE_N);
	assert_memory_equal(pids, scan_tree_pids, sizeof(scan_tree_pids));
	free(pids);
	scope_close(&s);
	close(fd);
}

static void memcg_max(void **state)
{
	(void)state;
	/* mem_cgroup_get_max(): limit + min(swap allowance, swap there is) */
	assert_int_equal(memcg_max_pages(100, 50, 60, 1000), 150);
	assert_int_equal(memcg_max_pages(100, 5000, 60, 1000), 1100);
	assert_int_equal(memcg_max_pages(100, ~0UL, 60, 1000), 1100);
	assert_int_equal(memcg_max_pages(100, ~0UL, 60, 0), 100);
	assert_int_equal(memcg_max_pages(100, 0, 60, 1000), 100);
	/* swappiness 0: the memcg may not swap, its budget is its limit */
	assert_int_equal(memcg_max_pages(100, 50, 0, 1000), 100);
	assert_int_equal(memcg_max_pages(100, 50, 1, 1000), 150);
	assert_int_equal(memcg_max_pages(0, 0, 60, 0), 0);
}

/*
 * proc_select's address spaces, as kcmp would tell them: each process its own, but 20
 * shares 10's (10 is -1000) and 32 is held in vfork by 33. Pids outside the tree (self)
 * cannot be told.
 */
#define MAXPID 64
struct mm_map {
	int mm[MAXPID];
	long calls;
};

static enum mm_order map_cmp(pid_t a, pid_t b, void *ctx)
{
	struct mm_map *m = ctx;

	m->calls++;
	if (a <= 0 || b <= 0 || a >= MAXPID || b >= MAXPID || !m->mm[a] || !m->mm[b])
		return MM_UNKNOWN;
	return m->mm[a] < m->mm[b] ? MM_LESS : m->mm[a] > m->mm[b] ? MM_GREATER : MM_SAME;
}

static const pid_t select_tree[] = { 1, 2, 10, 20, 30, 31, 32, 33, 40, 50 };

static void map_init(struct mm_map *m, bool sharing)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(select_tree) / sizeof(select_tree[0]); i++)
		m->mm[select_tree[i]] = select_tree[i];
	if (sharing) {
		m->mm[20] = 10;
		m->mm[32] = 33;
	}
}

#define SELF 12345	/* not in the tree */

/* The fixture's oom_score files assume 4 kB pages */
static bool pages_4k(void)
{
	return page_kb() == 4;
}

/* select_victim() on tree, in cg (NULL: global); with `again`, holding oom_score files as
 * a daemon does, the second selection (a daemon's after its first) */
static int select_in_as(const char *tree, const char *cg, pid_t self, struct mm_map *m,
			struct choice *c, bool again)
{
	struct selector sel = { 0 };
	struct scope s;
	int r;

	sel.proc_fd = open_dir(tree);
	sel.self = self;
	sel.threads = 2;
	sel.same_mm = map_cmp;
	sel.same_mm_ctx = m;
	assert_int_equal(scope_open(&s, sel.proc_fd, cg), 0);
	if (again) {
		selector_hold_files(&sel, 64);
		assert_int_equal(select_victim(&sel, &s, c), 0);
	}
	r = select_victim(&sel, &s, c);
	scope_close(&s);
	selector_free(&sel);
	close(sel.proc_fd);
	return r;
}

static int select_in(const char *tree, const char *cg, pid_t self, struct mm_map *m,
		     struct choice *c)
{
	return select_in_as(tree, cg, self, m, c, false);
}

static void select_global_victim(void **state)
{
	struct mm_map m;
	struct choice c;

	(void)state;
	if (!pages_4k())
		skip();
	map_init(&m, true);
	assert_int_equal(select_in(FIX("proc_select"), NULL, SELF, &m, &c), 0);
	assert_true(c.found);
	assert_int_equal(c.scanned, 10);
	/* 20 scores highest but shares 10's mm (-1000); 31's adj makes it worse than 30 */
	assert_int_equal(c.victim.pid, 31);
	assert_string_equal(c.victim.comm, "raised");
	assert_int_equal(c.victim.points, 50000);
	assert_int_equal(c.victim.badness, 350000);
	assert_int_equal(c.victim.score, 900);
	assert_int_equal(c.victim.kernel_score, 900);
	/* 20 and 31 read in detail; 33 (833) cannot beat 350000, but may be the runner-up: it
	 * and 32 (its vfork child, of its score) are read too, and 30 cannot beat 33 */
	assert_int_equal(c.detailed, 4);
	assert_true(c.has_runner_up);
	assert_int_equal(c.runner_up.pid, 33);
}

/*
 * With its oom_score files held open, a selector chooses as one without, call after call;
 * it holds one file per process, no more than it is allowed, and lets go when freed.
 */
static void select_global_held_files(void **state)
{
	struct selector sel = { 0 };
	struct mm_map m;
	struct choice c;
	struct scope s;

	(void)state;
	if (!pages_4k())
		skip();
	map_init(&m, true);
	sel.proc_fd = open_dir(FIX("proc_select"));
	sel.self = SELF;
	sel.threads = 2;
	sel.same_mm = map_cmp;
	sel.same_mm_ctx = &m;
	assert_int_equal(scope_open(&s, sel.proc_fd, NULL), 0);
	assert_int_equal(selector_hold_files(&sel, 4), 4);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(select_victim(&sel, &s, &c), 0);
		assert_true(c.found);
		assert_int_equal(c.victim.pid, 31);
		assert_int_equal(c.victim.kernel_score, 900);
		const pid_t *held;
		const int *fds;

		assert_int_equal(selector_held(&sel, &held, &fds), 4);
		for (int j = 1; j < 4; j++)
			assert_true(held[j - 1] < held[j]);
		for (int j = 0; j < 4; j++)
			assert_true(fcntl(fds[j], F_GETFD) >= 0);
	}
	/* room for all: one file per process of the tree */
	assert_int_equal(selector_hold_files(&sel, 1000), 1000);
	assert_int_equal(select_victim(&sel, &s, &c), 0);
	assert_int_equal(c.victim.pid, 31);
	const int *fds;

	assert_int_equal(selector_held(&sel, NULL, &fds), c.scanned);
	int fd0 = fds[0];

	selector_free(&sel);
	assert_int_equal(selector_held(&sel, NULL, NULL), 0);
	assert_int_equal(fcntl(fd0, F_GETFD), -1);
	scope_close(&s);
	close(sel.proc_fd);
}

static void select_global_without_sharing(void **state)
{
	struct mm_map m;
	struct choice c;

	(void)state;
	if (!pages_4k())
		skip();
	/* the same tree, 20 with an mm of its own: now it is the worst */
	map_init(&m, false);
	assert_int_equal(select_in(FIX("proc_select"), NULL, SELF, &m, &c), 0);
	assert_true(c.found);
	assert_int_equal(c.victim.pid, 20);
	assert_int_equal(c.victim.badness, 400000);
	/* and 31, its runner-up, whose lead no one else's bound can beat */
	assert_int_equal(c.detailed, 2);
	assert_int_equal(c.runner_up.pid, 31);
}

/*
 * More processes than the selector's room (its first listing has 1024): every pid is listed,
 * not only the first 1024 with the rest of the grown buffer left as it was. A daemon on a
 * machine of more processes than its room once missed every process listed past it, at its
 * first selection: a protected sharer among them, or the largest process.
 */
static void select_all_pids_past_room(void **state)
{
	enum { N = 3000 };
	char root[] = "/tmp/oomreaper-pids-XXXXXX", dir[PATH_MAX];
	struct selector sel = { 0 };
	static pid_t want[N];

	(void)state;
	assert_non_null(mkdtemp(root));
	for (int i = 0; i < N; i++) {
		want[i] = 1000 + i;
		snprintf(dir, sizeof(dir), "%s/%d", root, (int)want[i]);
		assert_int_equal(mkdir(dir, 0700), 0);
	}
	sel.proc_fd = open_dir(root);
	int n = select_all_pids(&sel);

	assert_int_equal(n, N);
	pid_t *got = malloc(sizeof(pid_t) * N);

	assert_non_null(got);
	memcpy(got, selector_pids(&sel), sizeof(pid_t) * N);
	qsort(got, N, sizeof(*got), by_pid);
	assert_memory_equal(got, want, sizeof(want));
	free(got);
	selector_free(&sel);
	close(sel.proc_fd);
	for (int i = 0; i < N; i++) {
		snprintf(dir, sizeof(dir), "%s/%d", root, (int)want[i]);
		rmdir(dir);
	}
	assert_int_equal(rmdir(root), 0);
}

static void select_global_not_self(void **state)
{
	struct mm_map m;
	struct choice c;

	(void)state;
	if (!pages_4k())
		skip();
	map_init(&m, true);
	assert_int_equal(select_in(FIX("proc_select"), NULL, 31, &m, &c), 0);
	assert_true(c.found);
	assert_int_equal(c.victim.pid, 33);	/* not 32, its vfork child */
	assert_int_equal(c.victim.badness, 250000);
}

static void select_global_nothing(void **state)
{
	struct mm_map m;
	struct choice c;

	(void)state;
	if (!pages_4k())
		skip();
	/* init, a kernel thread, -1000 and a zombie: all judged, none chosen */
	map_init(&m, true);
	assert_int_equal(select_in(FIX("proc_select_none"), NULL, SELF, &m, &c), 0);
	assert_false(c.found);
	assert_int_equal(c.scanned, 4);
	assert_int_equal(c.detailed, 4);
}

static struct proc_info *in(struct survey *sv, pid_t pid)
{
	int i = table_find(&sv->table, pid);

	assert_true(i >= 0);
	return &sv->table.procs[i];
}

/* The fast path chooses what the full survey ranks first, and the fixture agrees with it */
static void select_matches_survey(void **state)
{
	int fd = open_dir(FIX("proc_select"));
	struct mm_map m;
	struct scope s;
	struct survey sv;
	struct choice c;

	(void)state;
	if (!pages_4k()) {
		close(fd);
		skip();
	}
	map_init(&m, true);
	assert_int_equal(scope_open(&s, fd, NULL), 0);
	assert_int_equal(survey_take(&sv, &s, fd, SELF, 2, map_cmp, &m), 0);
	assert_int_equal(sv.table.n, 10);
	assert_int_equal(sv.eligible, 4);
	static const pid_t want[] = { 31, 33, 30, 50 };

	for (int i = 0; i < 4; i++)
		assert_int_equal(sv.table.procs[sv.order[i]].pid, want[i]);
	assert_int_equal(in(&sv, 1)->excl, EXCL_INIT);
	assert_int_equal(in(&sv, 2)->excl, EXCL_KTHREAD);
	assert_int_equal(in(&sv, 10)->excl, EXCL_ADJ_MIN);
	assert_int_equal(in(&sv, 20)->excl, EXCL_SHARES_PROTECTED);
	assert_int_equal(in(&sv, 20)->excl_pid, 10);
	assert_int_equal(in(&sv, 32)->excl, EXCL_VFORK);
	assert_int_equal(in(&sv, 40)->excl, EXCL_NO_MM);
	assert_int_equal(in(&sv, 33)->group_size, 2);
	/* our scores are the fixture's oom_score files, for everyone the kernel would score */
	for (int i = 0; i < sv.table.n; i++) {
		struct proc_info *p = &sv.table.procs[i];

		assert_int_equal(p->err, 0);
		if (p->excl == EXCL_NONE || p->excl == EXCL_SHARES_PROTECTED)
			assert_true(p->kernel_score >= 0);
		if (p->excl == EXCL_NONE)
			assert_int_equal(p->score, p->kernel_score);
		else if (p->excl != EXCL_SHARES_PROTECTED)
			assert_int_equal(p->kernel_score, 0);
	}
	assert_int_equal(select_in(FIX("proc_select"), NULL, SELF, &m, &c), 0);
	assert_true(c.found);
	assert_int_equal(c.victim.pid, sv.table.procs[sv.order[0]].pid);
	assert_int_equal(c.victim.badness, sv.table.procs[sv.order[0]].badness);
	survey_free(&sv);
	scope_close(&s);
	close(fd);
}

/* A memcg of 256 MiB: adj counts in its units, so size wins where it lost globally */
static void select_cgroup_victim(void **state)
{
	struct mm_map m;
	struct choice c;

	(void)state;
	if (!pages_4k())
		skip();
	map_init(&m, true);
	for (int again = 0; again < 2; again++) {
		assert_int_equal(select_in_as(FIX("proc_select"), FIX("cgroup_select"), SELF, &m,
					      &c, again), 0);
		assert_true(c.found);
		assert_int_equal(c.scanned, 5);
		/* 33: 250000; 30: 200000; 31: 50000 + 300 * 65 = 69500; 20 pinned by 10 outside.
		 * A daemon's later selection (again) bounds them by oom_score in the cgroup's
		 * units: 20 and 33 are read; 30's cannot beat 33 but is its runner-up, read with
		 * one more whose bound could still beat 30. A first one reads every status: the
		 * bounds are exact, and 32, 33's vfork child (its status is 33's, its oom_score
		 * 0), ties 33 and is read too, in each of the two walks (20 pinned, then 33) */
		assert_int_equal(c.detailed, again ? 4 : 6);
		assert_int_equal(c.runner_up.pid, 30);
		assert_int_equal(c.victim.pid, 33);
		assert_int_equal(c.victim.badness, 250000);
		assert_int_equal(c.victim.score, 833);	/* oom_score stays the global one */
		assert_null(c.victim.cgroup);
	}

	/* the same without the sharing: 20 is then the largest */
	map_init(&m, false);
	assert_int_equal(select_in(FIX("proc_select"), FIX("cgroup_select"), SELF, &m, &c), 0);
	assert_int_equal(c.victim.pid, 20);
}

/* proc_qos with qos_order on or off, in the whole machine or in cgroup_qos (its pods) */
static pid_t select_qos(const char *cg, bool qos, enum policy policy, struct choice *c)
{
	struct mm_map m;
	struct selector sel = { 0 };
	struct scope s;

	memset(&m, 0, sizeof(m));	/* no sharing known */
	sel.proc_fd = open_dir(FIX("proc_qos"));
	sel.self = SELF;
	sel.threads = 2;
	sel.same_mm = map_cmp;
	sel.same_mm_ctx = &m;
	sel.qos_order = qos;
	sel.policy = policy;
	assert_int_equal(scope_open(&s, sel.proc_fd, cg), 0);
	assert_int_equal(select_victim(&sel, &s, c), 0);
	assert_true(c->found);
	scope_close(&s);
	selector_free(&sel);
	close(sel.proc_fd);
	return c->victim.pid;
}

/*
 * qos_order: BestEffort before Burstable before Guaranteed before processes in no pod,
 * whatever their size; within a class, badness. Without it, badness alone (the node's agent,
 * then the Guaranteed pod in the pods' cgroup). A pod without a UID has no class; one whose
 * container ID is cut short keeps its pod's.
 */
static void select_qos_order(void **state)
{
	struct choice c;

	(void)state;
	if (!pages_4k())
		skip();
	assert_int_equal(select_qos(NULL, false, POLICY_LARGEST, &c), 100);
	assert_int_equal(select_qos(NULL, true, POLICY_LARGEST, &c), 103);
	assert_int_equal(c.victim.qos_rank, 3);
	assert_int_equal(c.victim.badness, 25000);
	/* the lead over the others cannot be told across classes */
	assert_true(c.others_bound == LONG_MAX);
	assert_int_equal(select_qos(FIX("cgroup_qos"), false, POLICY_LARGEST, &c), 101);
	assert_int_equal(select_qos(FIX("cgroup_qos"), true, POLICY_LARGEST, &c), 103);
	assert_int_equal(select_qos(NULL, false, POLICY_FASTEST_GROWING, &c), 100);
	assert_int_equal(select_qos(NULL, true, POLICY_FASTEST_GROWING, &c), 103);
	assert_int_equal(select_qos(FIX("cgroup_qos"), true, POLICY_FASTEST_GROWING, &c), 103);
}

/* The identity of fixture processes, through the one reader status and metrics call */
static void identity_of_processes(void **state)
{
	struct identity id;
	int fd = open_dir(FIX("proc_qos"));

	(void)state;
	assert_int_equal(scan_identity(fd, 104, &id), 0);
	assert_string_equal(id.pod_uid, "0b8a5e1c-3f2d-4c4e-9b7a-1d2e3f4a5b64");
	assert_string_equal(id.container_id, "4f1d2c3b5a6978e0d1c2b3a4958672e1f0d9c8b7a6958473e2d1"
					     "c0b9a8f7e6d4");
	assert_int_equal(id.qos, QOS_BESTEFFORT);
	assert_string_equal(id.unit, "cri-containerd-4f1d2c3b5a6978e0d1c2b3a4958672e1f0d9c8b7a69"
				     "58473e2d1c0b9a8f7e6d4.scope");
	assert_int_equal(scan_identity(fd, 101, &id), 0);
	assert_int_equal(id.qos, QOS_GUARANTEED);
	assert_int_equal(scan_identity(fd, 100, &id), 0);
	assert_string_equal(id.unit, "agent.service");
	assert_string_equal(id.pod_uid, "");
	assert_int_equal(id.qos, QOS_NONE);
	assert_int_equal(scan_identity(fd, 105, &id), -EINVAL);
	assert_int_equal(id.qos, QOS_BESTEFFORT);
	assert_string_equal(id.container_id, "");
	assert_int_equal(scan_identity(fd, 106, &id), -EINVAL);
	assert_int_equal(id.qos, QOS_NONE);
	/* cgroup v2: the unified line alone */
	assert_int_equal(scan_identity(fd, 107, &id), 0);
	assert_string_equal(id.pod_uid, "0b8a5e1c-3f2d-4c4e-9b7a-1d2e3f4a5b67");
	assert_int_equal(id.qos, QOS_BURSTABLE);
	assert_int_equal(scan_identity(fd, 999, &id), -ENOENT);
	close(fd);
}

/*
 * victim_moved_out() on a fixture /proc: a victim chosen in the v1 memory cgroup /A, then moved
 * into /A/child, a cgroup of the scope's subtree, has not left it (a memcg OOM of /A walks /A's
 * subtree, and the selection listed it). Moved to /B it has, and to a place outside our cgroup
 * namespace's root ("/../B"); one chosen in the namespace's root "/" is everywhere below it.
 */
static void victim_moved_within_the_scope(void **state)
{
	static const char st[] = "300 (hog) S 1 300 300 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 "
				 "1 0 777 3133440 409 18446744073709551615 0 0 0 0 0\n";
	char root[] = "/tmp/oomreaper-moved-XXXXXX", dir[PATH_MAX], path[PATH_MAX + 16];
	char was[PATH_MAX];
	struct member m = { .pid = 300, .pidfd = -1, .start_time = 777 };

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/300", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	put(dir, "stat", st, sizeof(st) - 1);
	put(dir, "cgroup", "4:memory:/A\n0::/\n", 17);

	int fd = open_dir(root);

	assert_int_equal(victim_cgroup_path(fd, SCOPE_CGROUP_V1, 300, was, sizeof(was)), 0);
	assert_string_equal(was, "/A");
	assert_int_equal(victim_cgroup_path(fd, SCOPE_GLOBAL, 300, path, sizeof(path)), -ENOENT);
	bool stayed = victim_moved_out(fd, SCOPE_CGROUP_V1, was, &m);

	put(dir, "cgroup", "4:memory:/B\n0::/\n", 17);
	bool out_b = victim_moved_out(fd, SCOPE_CGROUP_V1, was, &m);
	bool unknown = victim_moved_out(fd, SCOPE_CGROUP_V1, "", &m);

	put(dir, "cgroup", "4:memory:/AB\n0::/\n", 18);
	bool out_ab = victim_moved_out(fd, SCOPE_CGROUP_V1, was, &m);

	put(dir, "cgroup", "4:memory:/A/child\n0::/\n", 23);
	bool out_child = victim_moved_out(fd, SCOPE_CGROUP_V1, was, &m);
	bool from_root = victim_moved_out(fd, SCOPE_CGROUP_V1, "/", &m);

	put(dir, "cgroup", "4:memory:/../B\n0::/\n", 20);
	bool out_ns = victim_moved_out(fd, SCOPE_CGROUP_V1, was, &m);

	close(fd);
	snprintf(path, sizeof(path), "%s/stat", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cgroup", dir);
	unlink(path);
	rmdir(dir);
	rmdir(root);
	assert_false(stayed);
	assert_true(out_b);
	assert_false(unknown);
	assert_true(out_ab);
	/* still in the scope /A: not moved out */
	assert_false(out_child);
	assert_false(from_root);
	assert_true(out_ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pids_numeric_only),
		cmocka_unit_test(victim_moved_within_the_scope),
		cmocka_unit_test(select_all_pids_past_room),
		cmocka_unit_test(select_qos_order),
		cmocka_unit_test(identity_of_processes),
		cmocka_unit_test(proc_good),
		cmocka_unit_test(proc_zombie_and_kthread),
		cmocka_unit_test(proc_failures),
		cmocka_unit_test(proc_comm_parens),
		cmocka_unit_test(proc_odd_bytes),
		cmocka_unit_test(table_keeps_failures),
		cmocka_unit_test(table_threads),
		cmocka_unit_test(scores),
		cmocka_unit_test(scope_global),
		cmocka_unit_test(scope_bad_meminfo),
		cmocka_unit_test(scope_v1),
		cmocka_unit_test(scope_v2),
		cmocka_unit_test(scope_nested_limits),
		cmocka_unit_test(parse_memory_stat),
		cmocka_unit_test(scope_not_cgroup),
		cmocka_unit_test(scope_watchable),
		cmocka_unit_test(scope_limits_followed),
		cmocka_unit_test(lines_past_the_buffer),
		cmocka_unit_test(scope_pid_lists),
		cmocka_unit_test(memcg_max),
		cmocka_unit_test(select_global_victim),
		cmocka_unit_test(select_global_held_files),
		cmocka_unit_test(select_global_without_sharing),
		cmocka_unit_test(select_global_not_self),
		cmocka_unit_test(select_global_nothing),
		cmocka_unit_test(select_matches_survey),
		cmocka_unit_test(select_cgroup_victim),
	};

	return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}
