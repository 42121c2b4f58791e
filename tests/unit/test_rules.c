/* test_rules.c - prefer / avoid / ignore rules, the fastest-growing policy, and who is protected
 * (selection, kill and group kill agreeing), on fixtures */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
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

/*
 * Every allocation of this program counted while `counting` is set: glibc lets a program
 * replace malloc and its family, and its own internals (opendir, stdio) then call ours too.
 * Not under AddressSanitizer, whose allocator must see every call.
 */
#ifndef __SANITIZE_ADDRESS__
#define COUNTS_ALLOCATIONS 1
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void *memalign(size_t align, size_t n);
static volatile int counting, allocations;

void *malloc(size_t n)
{
	if (counting)
		__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (counting)
		__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (counting)
		__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}

void *memalign(size_t align, size_t n)
{
	if (counting)
		__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return __libc_memalign(align, n);
}
#endif

#include "config.h"
#include "kill.h"
#include "rank.h"
#include "rules.h"
#include "scan.h"
#include "scope.h"
#include "select.h"

#define FIX(name) FIXTURES "/" name
#define SELF 12345

/* proc_select's address spaces: 20 shares 10's (-1000), 32 is 33's vfork child */
static enum mm_order fixture_mm(pid_t a, pid_t b, void *ctx)
{
	(void)ctx;
	int ma = a == 20 ? 10 : a == 32 ? 33 : a, mb = b == 20 ? 10 : b == 32 ? 33 : b;

	return ma < mb ? MM_LESS : ma > mb ? MM_GREATER : MM_SAME;
}

/* A config with one rule, as the file would give it */
static void one_rule(struct config *c, const char *field, const char *regex, const char *action,
		     const char *weight)
{
	char err[256];

	config_defaults(c);
	assert_int_equal(config_set(c, "rule r", "match", field, err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "rule r", "regex", regex, err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "rule r", "action", action, err, sizeof(err)), 0);
	if (weight)
		assert_int_equal(config_set(c, "rule r", "weight", weight, err, sizeof(err)), 0);
}

static pid_t victim_in(const char *tree, const struct config *c, enum policy policy,
		       struct choice *ch)
{
	struct selector sel = { 0 };
	struct scope s;

	sel.proc_fd = open(tree, O_RDONLY | O_DIRECTORY);
	assert_true(sel.proc_fd >= 0);
	sel.self = SELF;
	sel.threads = 2;
	sel.same_mm = fixture_mm;
	sel.rules = c ? c->rules : NULL;
	sel.nrules = c ? c->nrules : 0;
	sel.policy = policy;
	assert_int_equal(scope_open(&s, sel.proc_fd, NULL), 0);
	assert_int_equal(select_victim(&sel, &s, ch), 0);
	scope_close(&s);
	selector_free(&sel);
	close(sel.proc_fd);
	return ch->found ? ch->victim.pid : 0;
}

static bool pages_4k(void)
{
	return sysconf(_SC_PAGESIZE) == 4096;
}

/* Without rules 31 (350,000) wins over 33 (250,000) and 30 (200,000) */
static void ignore_and_avoid(void **state)
{
	struct config c;
	struct choice ch;

	(void)state;
	if (!pages_4k())
		skip();
	assert_int_equal(victim_in(FIX("proc_select"), NULL, POLICY_LARGEST, &ch), 31);
	/* the runner-up, from the same walk */
	assert_true(ch.has_runner_up);
	assert_int_equal(ch.runner_up.pid, 33);
	assert_int_equal(ch.runner_up.badness, 250000);
	assert_true(ch.candidates >= 2 && ch.candidates <= ch.detailed);
	one_rule(&c, "comm", "^raised$", "ignore", NULL);
	assert_int_equal(victim_in(FIX("proc_select"), &c, POLICY_LARGEST, &ch), 33);
	/* what a rule ignores is no runner-up either: 30 follows 33 */
	assert_int_equal(ch.runner_up.pid, 30);
	assert_int_equal(ch.runner_up.badness, 200000);
	config_free(&c);
	/* avoid 300: 31 falls to 50,000 */
	one_rule(&c, "comm", "^raised$", "avoid", "300");
	assert_int_equal(victim_in(FIX("proc_select"), &c, POLICY_LARGEST, &ch), 33);
	assert_int_equal(ch.victim.badness, 250000);
	config_free(&c);
	/* ignoring 33 hides its vfork child 32 too (it shares 33's memory): 31 again */
	one_rule(&c, "comm", "^vforkparent$", "ignore", NULL);
	assert_int_equal(victim_in(FIX("proc_select"), &c, POLICY_LARGEST, &ch), 31);
	config_free(&c);
}

/* The table path (fastest-growing, no history: the largest) has the walk's runner-up too */
static void runner_up_of_the_table(void **state)
{
	struct choice ch;

	(void)state;
	if (!pages_4k())
		skip();
	assert_int_equal(victim_in(FIX("proc_select"), NULL, POLICY_FASTEST_GROWING, &ch), 31);
	assert_true(ch.has_runner_up);
	assert_int_equal(ch.runner_up.pid, 33);
	assert_int_equal(ch.runner_up.badness, 250000);
}

/* prefer lifts a process the kernel scores lower: the scan must look past the score bound */
static void prefer_reaches_below_the_score_bound(void **state)
{
	struct config c;
	struct choice ch;

	(void)state;
	if (!pages_4k())
		skip();
	one_rule(&c, "comm", "^big$", "prefer", "100");	/* 300,000: not enough */
	assert_int_equal(victim_in(FIX("proc_select"), &c, POLICY_LARGEST, &ch), 31);
	config_free(&c);
	one_rule(&c, "comm", "^big$", "prefer", "200");	/* 400,000: enough */
	assert_int_equal(victim_in(FIX("proc_select"), &c, POLICY_LARGEST, &ch), 30);
	assert_int_equal(ch.victim.badness, 400000);
	assert_int_equal(ch.victim.rule_delta, 200);
	config_free(&c);
	/* the table path (the fastest-growing policy with no history) agrees */
	one_rule(&c, "comm", "^big$", "prefer", "200");
	assert_int_equal(victim_in(FIX("proc_select"), &c, POLICY_FASTEST_GROWING, &ch), 30);
	config_free(&c);
	one_rule(&c, "user", "^root$", "avoid", "1000");	/* everyone here is root */
	assert_int_equal(victim_in(FIX("proc_select"), &c, POLICY_LARGEST, &ch), 31);
	config_free(&c);
}

/* A tiny /proc of our own, for cmdline, cgroup and growth */
static char tree[64];

static void put(const char *rel, const char *text, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	char *slash = strrchr(path, '/');

	*slash = '\0';
	mkdir(path, 0755);
	*slash = '/';
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* a string literal, NULs inside included, the terminating one not */
#define PUT(rel, lit) put(rel, lit, sizeof(lit) - 1)

static void proc_started(pid_t pid, const char *comm, unsigned long anon_kb, int score,
			 int start_time)
{
	char rel[64], text[1024];

	snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
	snprintf(text, sizeof(text), "%d (%s) S 1 %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 %d "
		 "1000 10 0\n", (int)pid, comm, (int)pid, (int)pid, start_time);
	put(rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%d/status", (int)pid);
	snprintf(text, sizeof(text), "Name:\t%s\nState:\tS (sleeping)\nPid:\t%d\nPPid:\t1\n"
		 "Uid:\t1000\t1000\t1000\t1000\nVmSize:\t%lu kB\nRssAnon:\t%lu kB\n"
		 "RssFile:\t0 kB\nRssShmem:\t0 kB\nVmPTE:\t0 kB\nVmSwap:\t0 kB\n",
		 comm, (int)pid, anon_kb + 1000, anon_kb);
	put(rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%d/oom_score_adj", (int)pid);
	put(rel, "0\n", 2);
	snprintf(rel, sizeof(rel), "%d/oom_score", (int)pid);
	snprintf(text, sizeof(text), "%d\n", score);
	put(rel, text, strlen(text));
}

static void proc(pid_t pid, const char *comm, unsigned long anon_kb, int score)
{
	proc_started(pid, comm, anon_kb, score, 10000 + (int)pid);
}

static void link_exe(pid_t pid, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d/exe", tree, (int)pid);
	assert_int_equal(symlink(target, path), 0);
}

static int make_tree(void **state)
{
	(void)state;
	snprintf(tree, sizeof(tree), "/tmp/oomreaper-rules-XXXXXX");
	assert_non_null(mkdtemp(tree));
	PUT("meminfo", "MemTotal: 4000000 kB\nMemAvailable: 2000000 kB\nSwapTotal: 0 kB\n"
		       "SwapFree: 0 kB\n");
	proc(100, "steady", 800000, 800);
	proc(200, "grower", 100000, 700);
	PUT("200/cmdline", "/usr/bin/python3\0-m\0http.server\0");
	PUT("200/cgroup", "4:memory:/jobs/web\n0::/user.slice\n");
	PUT("100/cmdline", "/usr/sbin/steady\0");
	PUT("100/cgroup", "0::/system.slice/steady.service\n");
	/* 200 runs /bin/sh; 100 claims a path that is not the file it runs */
	link_exe(200, "/bin/sh");
	link_exe(100, "/nonexistent/sbin/steady");
	return 0;
}

static int remove_tree(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
	return system(cmd);
}

static void match_cmdline_cgroup(void **state)
{
	struct config c;
	struct rule_verdict rv;
	struct proc_info p = { .pid = 200, .comm = "grower", .uid = 1000 };
	int fd = open(tree, O_RDONLY | O_DIRECTORY);

	(void)state;
	/* cmdline is matched with its NULs read as spaces */
	one_rule(&c, "cmdline", "python3 -m http\\.server$", "prefer", "50");
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_int_equal(rv.delta, 50);
	assert_string_equal(rv.by->name, "r");
	config_free(&c);
	/* the memory controller's path, as list shows it */
	one_rule(&c, "cgroup", "^/jobs/", "ignore", NULL);
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_true(rv.ignore);
	p.pid = 100;
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_false(rv.ignore);
	config_free(&c);
	/* a process whose cmdline is gone: the rule cannot be judged, and says so */
	one_rule(&c, "cmdline", "x", "ignore", NULL);
	p.pid = 999;
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), -ENOENT);
	config_free(&c);
	assert_int_equal(rules_max_boost(NULL, 0), 0);
	close(fd);
}

/* What c's rules add to pid of the tree at fd, in oom_score_adj units */
static long delta_at(const struct config *c, int fd, pid_t pid)
{
	struct proc_info p = { .pid = pid };
	struct rule_verdict rv;

	assert_int_equal(rules_apply(c->rules, c->nrules, fd, &p, &rv), 0);
	return rv.delta;
}

/*
 * qos and unit, from the cgroup path (identity.h) of proc_qos's node: a pod's class, "" in
 * none or in a pod without a UID; the innermost systemd unit
 */
static void match_qos_unit(void **state)
{
	struct config c;
	struct rule_verdict rv;
	struct choice ch;
	struct proc_info p = { .pid = 103, .comm = "besteffort" };
	int fd = open(FIX("proc_qos"), O_RDONLY | O_DIRECTORY);
	char err[256];

	(void)state;
	one_rule(&c, "qos", "^besteffort$", "ignore", NULL);
	assert_non_null(rule_gameable(&c.rules[0]));
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_true(rv.ignore);
	/* a container ID cut short: its pod's class still */
	p.pid = 105;
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_true(rv.ignore);
	/* a pod without a UID, a Guaranteed pod, the node's agent: not BestEffort */
	for (pid_t pid = 100; pid <= 106; pid += pid == 101 ? 5 : 1) {
		p.pid = pid;
		assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
		assert_false(rv.ignore);
	}
	config_free(&c);
	one_rule(&c, "qos", "^$", "avoid", "30");
	assert_int_equal(delta_at(&c, fd, 100), -30);
	assert_int_equal(delta_at(&c, fd, 102), 0);
	config_free(&c);
	/* without it, the node's agent and the UID-less pod; with it, the Guaranteed pod */
	if (pages_4k()) {
		one_rule(&c, "qos", "^$", "avoid", "1000");
		assert_non_null(rule_gameable(&c.rules[0]));
		assert_int_equal(victim_in(FIX("proc_qos"), NULL, POLICY_LARGEST, &ch), 100);
		assert_int_equal(victim_in(FIX("proc_qos"), &c, POLICY_LARGEST, &ch), 101);
		config_free(&c);
	}
	one_rule(&c, "unit", "^agent\\.service$", "avoid", "50");
	assert_non_null(rule_gameable(&c.rules[0]));
	assert_int_equal(delta_at(&c, fd, 100), -50);
	assert_int_equal(delta_at(&c, fd, 104), 0);
	config_free(&c);
	one_rule(&c, "unit", "^cri-containerd-[0-9a-f]{64}\\.scope$", "prefer", "50");
	assert_int_equal(delta_at(&c, fd, 104), 50);
	/* gone: the rule cannot be judged, and says so */
	p.pid = 999;
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), -ENOENT);
	config_free(&c);
	config_defaults(&c);
	assert_int_equal(config_set(&c, "rule r", "match", "pod", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "qos or unit"));
	close(fd);
}

/*
 * exe: the path the link shows, and only when the file at that path is the one it runs; uid,
 * and users = to limit any rule to some users
 */
static void match_exe_uid_users(void **state)
{
	struct config c;
	struct rule_verdict rv;
	struct proc_info p = { .pid = 200, .comm = "grower", .uid = 1000 };
	char err[256];
	int fd = open(tree, O_RDONLY | O_DIRECTORY);

	(void)state;
	one_rule(&c, "exe", "^/bin/sh$", "ignore", NULL);
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_true(rv.ignore);
	config_free(&c);
	/* 100's link reads /nonexistent/sbin/steady, and nothing is there: no match */
	one_rule(&c, "exe", "^/nonexistent/sbin/steady$", "ignore", NULL);
	p.pid = 100;
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_false(rv.ignore);
	config_free(&c);
	one_rule(&c, "uid", "^1000$", "avoid", "30");
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_int_equal(rv.delta, -30);
	/* the same rule for root's processes only: not this one */
	assert_int_equal(config_set(&c, "rule r", "users", "root", err, sizeof(err)), 0);
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_int_equal(rv.delta, 0);
	assert_int_equal(config_set(&c, "rule r", "users", "0, 1000", err, sizeof(err)), 0);
	assert_int_equal(rules_apply(c.rules, c.nrules, fd, &p, &rv), 0);
	assert_int_equal(rv.delta, -30);
	config_free(&c);
	close(fd);
}

/*
 * The verdicts judged ahead: a refresh judges every process once; a selection's bound takes
 * each one's own boost, never below 0; a judgement of the same process (pid and start time)
 * is answered from its verdict without reading its files; a process that took the pid again
 * is judged afresh; a budget spent leaves the rest unjudged, not lifted until judged.
 */
static void memos_judged_ahead(void **state)
{
	struct config c;
	struct rule_memos m = { 0 };
	struct rule_verdict rv;
	struct proc_info p = { .pid = 200, .comm = "grower", .uid = 1000, .start_time = 10200 };
	char err[256];
	int fd = open(tree, O_RDONLY | O_DIRECTORY);

	(void)state;
	one_rule(&c, "cmdline", "http\\.server$", "prefer", "50");
	assert_int_equal(config_set(&c, "rule s", "match", "comm", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "rule s", "regex", "^steady$", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "rule s", "action", "avoid", err, sizeof(err)), 0);
	assert_int_equal(rule_memos_refresh(&m, c.rules, c.nrules, fd, 0), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.judged, 2);
	assert_int_equal(rules_boost(&m, c.rules, c.nrules, 200), 50);
	assert_int_equal(rules_boost(&m, c.rules, c.nrules, 100), 0);	/* avoid: not below 0 */
	assert_int_equal(rules_boost(&m, c.rules, c.nrules, 300), 0);	/* not judged yet */
	assert_int_equal(rules_boost(NULL, c.rules, c.nrules, 200), 50);
	/* its cmdline changes, the process is the same: its verdict answers, nothing is read */
	PUT("200/cmdline", "/usr/bin/python3\0-m\0something.else\0");
	assert_int_equal(rules_judge(&m, c.rules, c.nrules, fd, &p, &rv), 0);
	assert_int_equal(rv.delta, 50);
	assert_string_equal(rv.by->name, "r");
	/* another process took pid 200 (another start time): judged afresh */
	p.start_time = 99;
	assert_int_equal(rules_judge(&m, c.rules, c.nrules, fd, &p, &rv), 0);
	assert_int_equal(rv.delta, 0);
	/* a second refresh keeps what it judged: nothing new to judge */
	assert_int_equal(rule_memos_refresh(&m, c.rules, c.nrules, fd, 0), 0);
	assert_int_equal(m.judged, 0);
	assert_int_equal(rules_boost(&m, c.rules, c.nrules, 200), 50);
	/* a new process, and a budget already spent: listed, not judged, not lifted */
	proc(300, "newcomer", 1000, 10);
	PUT("300/cmdline", "x http.server\0");
	assert_int_equal(rule_memos_refresh(&m, c.rules, c.nrules, fd, 1), 0);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.unknown, 1);
	assert_int_equal(rules_boost(&m, c.rules, c.nrules, 300), 0);
	assert_int_equal(rule_memos_refresh(&m, c.rules, c.nrules, fd, 0), 0);
	assert_int_equal(m.judged, 1);
	assert_int_equal(rules_boost(&m, c.rules, c.nrules, 300), 50);
	/* other rules (a reload): the verdicts are of the old ones, and not used */
	struct config d;

	one_rule(&d, "comm", "^newcomer$", "prefer", "70");
	assert_int_equal(rules_boost(&m, d.rules, d.nrules, 200), 70);
	assert_int_equal(rule_memos_refresh(&m, d.rules, d.nrules, fd, 0), 0);
	assert_int_equal(m.judged, 3);
	assert_int_equal(rules_boost(&m, d.rules, d.nrules, 200), 0);
	assert_int_equal(rules_boost(&m, d.rules, d.nrules, 300), 70);
	/* /proc/loadavg's last pid has not moved: no process created since, nothing listed */
	PUT("loadavg", "0.00 0.01 0.05 1/80 300\n");
	assert_int_equal(rule_memos_refresh(&m, d.rules, d.nrules, fd, 0), 0);
	proc(400, "newcomer", 1000, 10);
	assert_int_equal(rule_memos_refresh(&m, d.rules, d.nrules, fd, 0), 0);
	assert_int_equal(m.skipped, 1);
	assert_int_equal(rules_boost(&m, d.rules, d.nrules, 400), 0);	/* not judged yet */
	PUT("loadavg", "0.00 0.01 0.05 1/81 400\n");
	assert_int_equal(rule_memos_refresh(&m, d.rules, d.nrules, fd, 0), 0);
	assert_int_equal(m.judged, 1);
	assert_int_equal(rules_boost(&m, d.rules, d.nrules, 400), 70);
	rule_memos_free(&m);
	config_free(&d);
	config_free(&c);
	close(fd);
}

/*
 * Rules of every key, on the selection's path: after a first selection (start-up's, which
 * sizes the buffers), neither a selection nor the rules alone allocate anything.
 */
#ifdef COUNTS_ALLOCATIONS
static void selection_allocates_nothing(void **state)
{
	static const char *const rules[][3] = {
		{ "comm", "^(x|grow)+er$", "prefer" }, { "cmdline", "(a*)*http\\.server$", "prefer" },
		{ "cgroup", "^/jobs/", "avoid" }, { "exe", "^/bin/sh$", "prefer" },
		{ "uid", "^1000$", "prefer" }, { "user", "^root$", "avoid" },
		{ "qos", "^burstable$", "avoid" }, { "unit", "^x\\.service$", "avoid" },
	};
	struct config c;
	struct selector sel = { 0 };
	struct choice ch;
	struct rule_verdict rv;
	struct proc_info p = { .pid = 200, .comm = "grower", .uid = 1000 };
	struct scope s;
	char err[256], name[16];

	(void)state;
	config_defaults(&c);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		snprintf(name, sizeof(name), "rule r%zu", i);
		assert_int_equal(config_set(&c, name, "match", rules[i][0], err, sizeof(err)), 0);
		assert_int_equal(config_set(&c, name, "regex", rules[i][1], err, sizeof(err)), 0);
		assert_int_equal(config_set(&c, name, "action", rules[i][2], err, sizeof(err)), 0);
		assert_int_equal(config_set(&c, name, "users", "0 1000", err, sizeof(err)), 0);
	}
	sel.proc_fd = open(tree, O_RDONLY | O_DIRECTORY);
	sel.self = SELF;
	sel.threads = 2;
	sel.same_mm = fixture_mm;
	sel.rules = c.rules;
	sel.nrules = c.nrules;
	sel.qos_order = true;
	assert_int_equal(scope_open(&s, sel.proc_fd, NULL), 0);
	assert_int_equal(select_victim(&sel, &s, &ch), 0);
	allocations = 0;
	counting = 1;
	int r1 = select_victim(&sel, &s, &ch);
	int r2 = rules_apply(c.rules, c.nrules, sel.proc_fd, &p, &rv);

	counting = 0;
	assert_int_equal(r1, 0);
	assert_int_equal(r2, 0);
	/* 200: the comm, cmdline, exe and uid rules (+400), no cgroup (/jobs/web) -100 */
	assert_int_equal(rv.delta, 300);
	assert_true(ch.found);
	assert_int_equal(ch.victim.pid, 200);
	assert_int_equal(allocations, 0);
	/* and through the verdicts judged ahead, as the daemon selects */
	struct rule_memos m = { 0 };

	assert_int_equal(rule_memos_refresh(&m, c.rules, c.nrules, sel.proc_fd, 0), 0);
	sel.memos = &m;
	counting = 1;
	r1 = select_victim(&sel, &s, &ch);
	counting = 0;
	assert_int_equal(r1, 0);
	assert_int_equal(ch.victim.pid, 200);
	assert_int_equal(ch.victim.rule_delta, 300);
	assert_int_equal(allocations, 0);
	rule_memos_free(&m);
	/* the counter sees what libc allocates inside: regexec(3), which rules used before,
	 * allocates on every call */
	regex_t re;

	assert_int_equal(regcomp(&re, "http\\.server$", REG_EXTENDED | REG_NOSUB), 0);
	counting = 1;
	r1 = regexec(&re, "python3 -m http.server", 0, NULL, 0);
	counting = 0;
	regfree(&re);
	assert_int_equal(r1, 0);
	print_message("# regexec: %d allocations in one call; the rules: 0\n", allocations);
	assert_true(allocations > 0);
	scope_close(&s);
	selector_free(&sel);
	close(sel.proc_fd);
	config_free(&c);
}
#else
static void selection_allocates_nothing(void **state)
{
	(void)state;
	skip();
}
#endif

/* The fastest-growing policy: the largest first; then whoever grew since the last look */
static void fastest_growing(void **state)
{
	struct selector sel = { 0 };
	struct choice ch;
	struct scope s;

	(void)state;
	sel.proc_fd = open(tree, O_RDONLY | O_DIRECTORY);
	sel.self = SELF;
	sel.threads = 1;
	sel.same_mm = fixture_mm;
	sel.policy = POLICY_FASTEST_GROWING;
	assert_int_equal(scope_open(&s, sel.proc_fd, NULL), 0);
	assert_int_equal(select_victim(&sel, &s, &ch), 0);
	assert_int_equal(ch.victim.pid, 100);		/* no history: the largest */
	usleep(20000);
	proc(200, "grower", 300000, 750);		/* +200 MB */
	assert_int_equal(select_victim(&sel, &s, &ch), 0);
	assert_int_equal(ch.victim.pid, 200);
	usleep(20000);					/* nothing grew since: the largest */
	assert_int_equal(select_victim(&sel, &s, &ch), 0);
	assert_int_equal(ch.victim.pid, 100);
	/* a process started since the last look grew from nothing: it is the fastest */
	usleep(20000);
	proc(300, "newcomer", 200000, 720);
	assert_int_equal(select_victim(&sel, &s, &ch), 0);
	assert_int_equal(ch.victim.pid, 300);
	/* the largest policy never looks at growth */
	sel.policy = POLICY_LARGEST;
	proc(200, "grower", 500000, 760);
	assert_int_equal(select_victim(&sel, &s, &ch), 0);
	assert_int_equal(ch.victim.pid, 100);
	scope_close(&s);
	selector_free(&sel);
	close(sel.proc_fd);
}

/* The youngest of the equals, which shares the mm of pid 50 (-1000), and the next youngest */
static pid_t youngest, next_youngest;

/* Every process its own mm, but the youngest shares 50's; calls counted */
static enum mm_order counting_mm(pid_t a, pid_t b, void *ctx)
{
	long *calls = ctx;
	int ma = a == youngest ? 50 : a, mb = b == youngest ? 50 : b;

	(*calls)++;
	return ma < mb ? MM_LESS : ma > mb ? MM_GREATER : MM_SAME;
}

#define EQUALS 300

static int make_ties_tree(void **state)
{
	int rank = 0;

	(void)state;
	snprintf(tree, sizeof(tree), "/tmp/oomreaper-ties-XXXXXX");
	assert_non_null(mkdtemp(tree));
	PUT("meminfo", "MemTotal: 4000000 kB\nMemAvailable: 2000000 kB\nSwapTotal: 0 kB\n"
		       "SwapFree: 0 kB\n");
	/* 50 at -1000, which the kernel scores 0: they could pin a candidate's mm */
	for (pid_t pid = 1; pid <= 50; pid++) {
		char rel[32];

		proc(pid, "pinner", 1000, 0);
		snprintf(rel, sizeof(rel), "%d/oom_score_adj", (int)pid);
		put(rel, "-1000\n", 6);
	}
	for (pid_t pid = 1000; pid < 1000 + EQUALS; pid++)
		proc(pid, "same", 100000, (1000 + 25) * 2 / 3);	/* 25,000 of 1,000,000 pages */
	/* equal badness; each younger than the one listed before it, as /proc lists them (by
	 * pid): the worst order, in which every one read beats the one before */
	DIR *d = opendir(tree);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		pid_t pid = atoi(e->d_name);

		if (pid < 1000)
			continue;
		proc_started(pid, "same", 100000, (1000 + 25) * 2 / 3, 20000 + rank++);
		next_youngest = youngest;
		youngest = pid;
	}
	closedir(d);
	assert_int_equal(rank, EQUALS);
	return 0;
}

/*
 * Among equals the youngest wins, so a walk in age order finds a new would-be winner at each
 * step. Only the winner pays the pass against the processes that could pin its mm (every
 * process, of which the 50 at -1000 do): not one pass per would-be winner, which in a cgroup of 10,000 equal
 * processes was 10,000 passes of 10,000 kcmp calls, 40 s.
 */
static void ties_pay_one_pinning_pass(void **state)
{
	struct selector sel = { 0 };
	struct choice ch;
	struct scope s;
	long calls = 0;

	(void)state;
	sel.proc_fd = open(tree, O_RDONLY | O_DIRECTORY);
	sel.self = SELF;
	sel.threads = 1;
	sel.same_mm = counting_mm;
	sel.same_mm_ctx = &calls;
	assert_int_equal(scope_open(&s, sel.proc_fd, NULL), 0);
	assert_int_equal(select_victim(&sel, &s, &ch), 0);
	/* the youngest shares a protected process's mm: passed over for the next youngest */
	assert_true(ch.found);
	assert_int_equal(ch.victim.pid, next_youngest);
	/* each one's vfork check (two walks of 300) and two passes against every process (and
	 * oomreaper), as the kill's gather makes them, where a pass per would-be winner would
	 * be 300 such passes */
	assert_true(calls >= 2 * EQUALS);
	assert_true(calls <= 2 * EQUALS + 2 * (EQUALS + 50 + 1));
	scope_close(&s);
	selector_free(&sel);
	close(sel.proc_fd);
}

/* Who protects 20's mm in the agreement test: 20 shares its address space with this pid */
static pid_t protector;

static enum mm_order protector_mm(pid_t a, pid_t b, void *ctx)
{
	(void)ctx;
	int ma = a == 20 ? protector : a, mb = b == 20 ? protector : b;

	return ma < mb ? MM_LESS : ma > mb ? MM_GREATER : MM_SAME;
}

/*
 * Selection and the kill agree: in proc_select, 20 ("sharer", the top score) shares its mm
 * with a protected process: 10 (-1000), init, oomreaper itself, or 50 ("lowly", scored 1 by
 * the kernel) which an ignore rule protects. Each time the selection passes 20 over for a
 * victim whose gather succeeds, and the one judgement and the gather both refuse 20, naming
 * the same protector. Both policies: the walk by score and the full table.
 */
static void selection_and_gather_agree(void **state)
{
	static const pid_t protectors[] = { 10, 1, SELF, 50 };
	static struct victim v;

	(void)state;
	for (int k = 0; k < 4; k++) {
		for (int policy = POLICY_LARGEST; policy <= POLICY_FASTEST_GROWING; policy++) {
			struct selector sel = { 0 };
			struct config c;
			struct choice ch;
			struct proc_info p;
			struct scope s;
			pid_t pinned;

			protector = protectors[k];
			if (protector == 50)
				one_rule(&c, "comm", "^lowly$", "ignore", NULL);
			sel.proc_fd = open(FIX("proc_select"), O_RDONLY | O_DIRECTORY);
			assert_true(sel.proc_fd >= 0);
			sel.self = SELF;
			sel.threads = 1;
			sel.same_mm = protector_mm;
			sel.rules = protector == 50 ? c.rules : NULL;
			sel.nrules = protector == 50 ? c.nrules : 0;
			sel.policy = (enum policy)policy;
			assert_int_equal(scope_open(&s, sel.proc_fd, NULL), 0);

			assert_int_equal(select_victim(&sel, &s, &ch), 0);
			assert_true(ch.found);
			assert_int_not_equal(ch.victim.pid, 20);
			int n = select_all_pids(&sel);
			const pid_t *all = selector_pids(&sel);

			assert_true(n > 0);
			/* what the selection chose, the kill takes */
			assert_true(victim_gather(&v, &sel, &ch.victim, all, n, &pinned) > 0);
			assert_int_equal(v.m[0].pid, ch.victim.pid);
			/* and when the selection's own check gathers the group, it is that one */
			int members = v.n;

			victim_reset(&v, NULL);
			sel.group = &v;
			assert_int_equal(select_victim(&sel, &s, &ch), 0);
			sel.group = NULL;
			assert_true(v.gathered && v.n == members);
			assert_int_equal(v.m[0].pid, ch.victim.pid);
			assert_int_equal(victim_gather(&v, &sel, &ch.victim, all, n, &pinned),
					 members);
			/* what it passed over, the judgement and the kill refuse, for one reason */
			assert_int_equal(select_judge(&sel, &s, 20, all, n, &p, NULL),
					 EXCL_SHARES_PROTECTED);
			assert_int_equal(p.excl_pid, protector);
			assert_int_equal(victim_gather(&v, &sel, &p, all, n, &pinned), -EPERM);
			assert_int_equal(pinned, protector);

			scope_close(&s);
			selector_free(&sel);
			close(sel.proc_fd);
			if (protector == 50)
				config_free(&c);
		}
	}
	victim_free(&v);
}

/*
 * The whole-cgroup kill spares whom the kernel's oom_kill_memcg_member() spares (-1000,
 * init), kernel threads, and oomreaper itself; -999, a zombie or a vfork child it kills.
 * This machine cannot make a -1000 process (no CAP_SYS_RESOURCE): a fixture tree holds one.
 */
static void group_kill_spares_protected(void **state)
{
	static const struct {
		pid_t pid;
		bool spared;
	} want[] = {
		{ 1, true }, { 2, true }, { 10, true }, { 20, false }, { 30, false },
		{ 32, false }, { 40, false }, { 50, false }, { 31, true },
	};
	int fd = open(FIX("proc_select"), O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct proc_info p;

		memset(&p, 0, sizeof(p));
		assert_int_equal(scan_proc(fd, want[i].pid, SCAN_DETAIL, &p), 0);
		/* 31 stands for oomreaper itself */
		bool spared = group_kill_spares(rank_exclusion(&p, 31));

		if (spared != want[i].spared)
			fail_msg("pid %d: spared %d, want %d", (int)want[i].pid, spared,
				 want[i].spared);
	}
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ignore_and_avoid),
		cmocka_unit_test(prefer_reaches_below_the_score_bound),
		cmocka_unit_test_setup_teardown(match_cmdline_cgroup, make_tree, remove_tree),
		cmocka_unit_test_setup_teardown(match_exe_uid_users, make_tree, remove_tree),
		cmocka_unit_test(match_qos_unit),
		cmocka_unit_test_setup_teardown(memos_judged_ahead, make_tree, remove_tree),
		cmocka_unit_test_setup_teardown(selection_allocates_nothing, make_tree, remove_tree),
		cmocka_unit_test_setup_teardown(fastest_growing, make_tree, remove_tree),
		cmocka_unit_test(runner_up_of_the_table),
		cmocka_unit_test_setup_teardown(ties_pay_one_pinning_pass, make_ties_tree,
						remove_tree),
		cmocka_unit_test(selection_and_gather_agree),
		cmocka_unit_test(group_kill_spares_protected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
