/* test_parse.c - the pure parsers of /proc and cgroup files, on texts made to break them */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"

#define S(lit) lit, sizeof(lit) - 1

/* Fields 3..52 of a real /proc/PID/stat of `cat`, state R, ppid 4664, start time 75640 */
#define STAT_TAIL " R 4664 4664 3227 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 75640 3133440 409 " \
		  "18446744073709551615 94838925266944 94838925286825 140725974780304 0 0 0 0 0 " \
		  "0 0 0 17 1 0 0 0 0 0 94838925302832 94838925304448 94839311466496 " \
		  "140725974788543 140725974788563 140725974788563 140725974790123 0\n"

static void stat_normal(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_stat(S("4673 (cat)" STAT_TAIL), &p), 0);
	assert_int_equal(p.pid, 4673);
	assert_string_equal(p.comm, "cat");
	assert_int_equal(p.state, 'R');
	assert_int_equal(p.ppid, 4664);
	assert_int_equal(p.flags, 4194304);
	assert_true(p.start_time == 75640);
}

static void stat_kthread(void **state)
{
	static const char line[] = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 "
				   "19 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 "
				   "0 0 0 0 0 0 0 "
				   "0 0 0 0 0 0 0 0 0\n";
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_stat(S(line), &p), 0);
	assert_int_equal(p.pid, 2);
	assert_int_equal(p.ppid, 0);
	assert_true(p.flags & PF_KTHREAD);
	assert_true(p.start_time == 19);
}

/* comm is whatever the process set: spaces, both parentheses and a newline included */
static void stat_comm_with_parens(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_stat(S("123 (a) b) c\n)" STAT_TAIL), &p), 0);
	assert_int_equal(p.pid, 123);
	assert_string_equal(p.comm, "a) b) c\n");
	assert_int_equal(p.state, 'R');
	assert_int_equal(p.ppid, 4664);
	assert_true(p.start_time == 75640);

	memset(&p, 0, sizeof(p));
	assert_int_equal(parse_stat(S("124 () (x( ) ()" STAT_TAIL), &p), 0);
	assert_string_equal(p.comm, ") (x( ) (");
	assert_int_equal(p.state, 'R');

	memset(&p, 0, sizeof(p));
	assert_int_equal(parse_stat(S("125 ()" STAT_TAIL), &p), 0);
	assert_string_equal(p.comm, "");
	assert_true(p.start_time == 75640);
}

/* a comm longer than TASK_COMM_LEN cannot come from the kernel: keep 15 bytes, no overrun */
static void stat_comm_too_long(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_stat(S("9 (0123456789abcdefghij)" STAT_TAIL), &p), 0);
	assert_int_equal(strlen(p.comm), COMM_LEN - 1);
	assert_string_equal(p.comm, "0123456789abcde");
}

static void stat_truncated(void **state)
{
	static const char full[] = "4673 (cat)" STAT_TAIL;
	struct proc_info p = { 0 };

	(void)state;
	/* every cut before the start time (field 22) leaves a line that is not whole */
	const char *st = strstr(full, " 75640");

	assert_non_null(st);
	for (size_t n = 0; n <= (size_t)(st - full); n++)
		assert_int_equal(parse_stat(full, n, &p), -EBADMSG);
	assert_int_equal(parse_stat(S("4673 (cat"), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("4673 cat) R 1"), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("4673 (cat)\n"), &p), -EBADMSG);
	assert_int_equal(parse_stat(S(""), &p), -EBADMSG);
}

/* fields 5 to 21 of a stat line: pgrp to itrealvalue */
#define F5_21 " 7 7 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0"

static void stat_missing_start_time(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	/* fields up to 21 (itrealvalue), then the end of the line */
	assert_int_equal(parse_stat(S("7 (x) S 1" F5_21 "\n"), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("7 (x) S 1" F5_21 " "), &p), -EBADMSG);
	/* with field 22 and nothing after it, the line is enough */
	assert_int_equal(parse_stat(S("7 (x) S 1" F5_21 " 55"), &p), 0);
	assert_true(p.start_time == 55);
}

static void stat_non_numeric(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_stat(S("abc (x)" STAT_TAIL), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("-5 (x)" STAT_TAIL), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("7 (x) S abc" F5_21 " 55\n"), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("7 (x) S -1" F5_21 " 55\n"), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("7 (x) S 1 7 7 0 -1 flags 1 0 0 0 0 0 0 0 20 0 1 0 55\n"),
				    &p), -EBADMSG);
	assert_int_equal(parse_stat(S("7 (x) S 1" F5_21 " st\n"), &p), -EBADMSG);
	/* a pid past INT_MAX or one that overflows */
	assert_int_equal(parse_stat(S("2147483648 (x)" STAT_TAIL), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("99999999999999999999999 (x)" STAT_TAIL), &p), -EBADMSG);
}

static void stat_pid_zero(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_stat(S("0 (swapper)" STAT_TAIL), &p), -EBADMSG);
	assert_int_equal(parse_stat(S("2147483647 (x)" STAT_TAIL), &p), 0);
	assert_int_equal(p.pid, 2147483647);
}

/* The memory lines of a real status, in the kernel's order */
#define STATUS_HEAD "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t4674\nNgid:\t0\n" \
		    "Pid:\t4674\nPPid:\t4664\nTracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\n" \
		    "Gid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \nNStgid:\t4674\nNSpid:\t4674\n" \
		    "NSpgid:\t4664\nNSsid:\t3227\nKthread:\t0\n"
#define STATUS_VM "VmPeak:\t    3060 kB\nVmSize:\t    3060 kB\nVmLck:\t       0 kB\n" \
		  "VmPin:\t       0 kB\nVmHWM:\t    1752 kB\nVmRSS:\t    1752 kB\n" \
		  "RssAnon:\t     112 kB\nRssFile:\t    1640 kB\nRssShmem:\t       8 kB\n" \
		  "VmData:\t     360 kB\nVmStk:\t     132 kB\nVmExe:\t      20 kB\n" \
		  "VmLib:\t    1528 kB\nVmPTE:\t      44 kB\nVmSwap:\t      16 kB\n" \
		  "HugetlbPages:\t       0 kB\n"
#define STATUS_TAIL "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t1\nSigQ:\t0/96365\n" \
		    "SigPnd:\t0000000000000000\nCapEff:\t000001fffeffffff\n" \
		    "Cpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t0\n" \
		    "nonvoluntary_ctxt_switches:\t1\n"

static void status_normal(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_status(S(STATUS_HEAD STATUS_VM STATUS_TAIL), &p), 0);
	assert_int_equal(p.uid, 1000);
	assert_true(p.has_mm);
	assert_int_equal(p.total_vm_kb, 3060);
	assert_int_equal(p.rss_anon_kb, 112);
	assert_int_equal(p.rss_file_kb, 1640);
	assert_int_equal(p.rss_shmem_kb, 8);
	assert_int_equal(p.swap_kb, 16);
	assert_int_equal(p.pgtables_kb, 44);
	assert_false(p.flags & PF_KTHREAD);

	/* no trailing newline after the last line */
	memset(&p, 0, sizeof(p));
	assert_int_equal(parse_status(S(STATUS_HEAD STATUS_VM "Threads:\t1"), &p), 0);
	assert_int_equal(p.pgtables_kb, 44);
}

static void status_zombie(void **state)
{
	static const char z[] = "Name:\tdefunct\nState:\tZ (zombie)\nTgid:\t77\nPid:\t77\n"
				"PPid:\t1\n"
				"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nKthread:\t0\n" STATUS_TAIL;
	struct proc_info p = { 0 };

	(void)state;
	p.total_vm_kb = 99;	/* left as it was: nothing to read */
	assert_int_equal(parse_status(S(z), &p), 0);
	assert_false(p.has_mm);
	assert_int_equal(p.uid, 0);
	assert_false(p.flags & PF_KTHREAD);
}

static void status_kthread(void **state)
{
	static const char k[] = "Name:\tkthreadd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2\n"
				"Pid:\t2\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
				"FDSize:\t64\n"
				"Kthread:\t1\nThreads:\t1\nSigQ:\t0/96365\n";
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_status(S(k), &p), 0);
	assert_false(p.has_mm);
	assert_true(p.flags & PF_KTHREAD);
}

static void status_truncated(void **state)
{
	static const char full[] = STATUS_HEAD STATUS_VM STATUS_TAIL;
	struct proc_info p = { 0 };

	(void)state;
	/* cut after VmRSS: the mm is there, its counters are not */
	assert_int_equal(parse_status(S(STATUS_HEAD "VmPeak:\t 3060 kB\nVmSize:\t 3060 kB\n"
					"VmLck:\t 0 kB\nVmPin:\t 0 kB\nVmHWM:\t 1752 kB\n"
					"VmRSS:\t 1752 kB\n"), &p), -EBADMSG);
	/* cut inside the RssAnon line: a key without its value */
	assert_int_equal(parse_status(S(STATUS_HEAD "VmSize:\t    3060 kB\nRssAnon:\t"), &p),
			 -EBADMSG);
	assert_int_equal(parse_status(S(STATUS_HEAD "VmSize:\t 3060 kB\nRssAnon:\t\n"
					"RssFile:\t1 kB\nRssShmem:\t0 kB\nVmPTE:\t4 kB\n"
					"VmSwap:\t0 kB\n"), &p), -EBADMSG);
	assert_int_equal(parse_status(S(STATUS_HEAD "VmSize:\t 3060 kB\nRssAnon:\t  x kB\n"),
				      &p), -EBADMSG);
	/* every cut between VmSize's value and VmSwap's value is a broken file */
	const char *from = strstr(full, "VmSize:\t    3060");
	const char *to = strstr(full, "VmSwap:\t      16");

	assert_non_null(from);
	assert_non_null(to);
	for (size_t n = (size_t)(from - full) + 16; n < (size_t)(to - full) + 15; n++)
		assert_int_equal(parse_status(full, n, &p), -EBADMSG);
}

/* A SIGKILL in either pending mask marks the process as dying; other signals do not */
static void status_kill_pending(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_status(S(STATUS_HEAD STATUS_VM STATUS_TAIL), &p), 0);
	assert_false(p.kill_pending);
	memset(&p, 0, sizeof(p));
	assert_int_equal(parse_status(S(STATUS_HEAD STATUS_VM
					"SigPnd:\t0000000000000100\nShdPnd:\t0000000000000000\n"),
				   &p), 0);
	assert_true(p.kill_pending);
	memset(&p, 0, sizeof(p));
	assert_int_equal(parse_status(S(STATUS_HEAD STATUS_VM
					"SigPnd:\t0000000000000000\nShdPnd:\t0000000000004100\n"),
				   &p), 0);
	assert_true(p.kill_pending);
	/* SIGTERM (bit 14) and SIGUSR1 (bit 9) pending: alive */
	memset(&p, 0, sizeof(p));
	assert_int_equal(parse_status(S(STATUS_HEAD STATUS_VM
					"SigPnd:\t0000000000004200\nShdPnd:\t0000000000000000\n"),
				   &p), 0);
	assert_false(p.kill_pending);
	/* a mask cut to nothing is a malformed file */
	memset(&p, 0, sizeof(p));
	assert_int_equal(parse_status(S(STATUS_HEAD STATUS_VM "ShdPnd:\t\n"), &p), -EBADMSG);
}

static void status_missing_uid(void **state)
{
	struct proc_info p = { 0 };

	(void)state;
	assert_int_equal(parse_status(S("Name:\tx\nState:\tS (sleeping)\nKthread:\t0\n" STATUS_VM),
				      &p), -EBADMSG);
	assert_int_equal(parse_status(S("Name:\tx\nUid:\t\n" STATUS_VM), &p), -EBADMSG);
	assert_int_equal(parse_status(S("Uid:\t4294967296\t0\t0\t0\n" STATUS_VM), &p), -EBADMSG);
	assert_int_equal(parse_status(S("Uid:\t4294967295\t0\t0\t0\n" STATUS_VM), &p), 0);
	assert_int_equal(p.uid, 4294967295u);
	assert_int_equal(parse_status(S(""), &p), -EBADMSG);
}

static void ll_values(void **state)
{
	long long v = 7;

	(void)state;
	assert_int_equal(parse_ll(S("0\n"), &v), 0);
	assert_true(v == 0);
	assert_int_equal(parse_ll(S("-1000\n"), &v), 0);
	assert_true(v == -1000);
	assert_int_equal(parse_ll(S("+17"), &v), 0);
	assert_true(v == 17);
	assert_int_equal(parse_ll(S("  42 \n"), &v), 0);
	assert_true(v == 42);
	assert_int_equal(parse_ll(S("9223372036854771712\n"), &v), 0);
	assert_true(v == 9223372036854771712LL);
	assert_int_equal(parse_ll(S("9223372036854775807"), &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(parse_ll(S("-9223372036854775808\n"), &v), 0);
	assert_true(v == LLONG_MIN);
	/* only len bytes count: what follows in memory is not read */
	assert_int_equal(parse_ll("12345", 2, &v), 0);
	assert_true(v == 12);
}

static void ll_errors(void **state)
{
	long long v = 7;

	(void)state;
	assert_int_equal(parse_ll(S("max\n"), &v), -ERANGE);
	assert_int_equal(parse_ll(S("max"), &v), -ERANGE);
	assert_int_equal(parse_ll(S("9223372036854775808"), &v), -ERANGE);
	assert_int_equal(parse_ll(S("-9223372036854775809"), &v), -ERANGE);
	assert_int_equal(parse_ll(S("18446744073709551616\n"), &v), -ERANGE);
	assert_int_equal(parse_ll(S("999999999999999999999999999999"), &v), -ERANGE);
	assert_int_equal(parse_ll(S("abc"), &v), -EBADMSG);
	assert_int_equal(parse_ll(S("12abc\n"), &v), -EBADMSG);
	assert_int_equal(parse_ll(S("1 2\n"), &v), -EBADMSG);
	assert_int_equal(parse_ll(S("-"), &v), -EBADMSG);
	assert_int_equal(parse_ll(S("+-1"), &v), -EBADMSG);
	assert_int_equal(parse_ll(S("\n"), &v), -EBADMSG);
	assert_int_equal(parse_ll(S(""), &v), -EBADMSG);
	assert_int_equal(parse_ll(S("0x10"), &v), -EBADMSG);
	assert_int_equal(parse_ll(S("5\n\n7"), &v), -EBADMSG);
}

static void meminfo_normal(void **state)
{
	static const char m[] = "MemTotal:       24683620 kB\nMemFree:        24509524 kB\n"
				"MemAvailable:   24432192 kB\nBuffers:             700 kB\n"
				"Cached:            47844 kB\nSwapCached:            0 kB\n"
				"SwapTotal:       1048572 kB\nSwapFree:         524288 kB\n"
				"Zswap:                 0 kB\nDirty:               12 kB\n"
				"AnonPages:        61440 kB\nMapped:            20480 kB\n"
				"HugePages_Total:       0\n";
	struct meminfo mi;

	(void)state;
	assert_int_equal(parse_meminfo(S(m), &mi), 0);
	assert_int_equal(mi.mem_total_kb, 24683620);
	assert_int_equal(mi.mem_available_kb, 24432192);
	assert_int_equal(mi.swap_total_kb, 1048572);
	assert_int_equal(mi.swap_free_kb, 524288);
	assert_int_equal(mi.anon_kb, 61440);
	assert_int_equal(mi.mapped_kb, 20480);
}

static void meminfo_partial_and_bad(void **state)
{
	struct meminfo mi;

	(void)state;
	memset(&mi, 0xff, sizeof(mi));
	assert_int_equal(parse_meminfo(S("MemTotal: 1000 kB\n"), &mi), 0);
	assert_int_equal(mi.mem_total_kb, 1000);
	/* absent fields are 0, not what the struct held */
	assert_int_equal(mi.mem_available_kb, 0);
	assert_int_equal(mi.swap_total_kb, 0);
	assert_int_equal(mi.swap_free_kb, 0);
	assert_int_equal(parse_meminfo(S("MemFree: 10 kB\nSwapTotal: 0 kB\n"), &mi), -EBADMSG);
	assert_int_equal(parse_meminfo(S("MemTotal:\n"), &mi), -EBADMSG);
	assert_int_equal(parse_meminfo(S("MemTotal: lots kB\n"), &mi), -EBADMSG);
	assert_int_equal(parse_meminfo(S("MemTotal: 1000 kB\nSwapFree: -5 kB\n"), &mi), -EBADMSG);
	assert_int_equal(parse_meminfo(S(""), &mi), -EBADMSG);
	assert_int_equal(parse_meminfo(S("MemTotal: 5"), &mi), 0);
	assert_int_equal(mi.mem_total_kb, 5);
}

static int cg(const char *text, char *out, size_t cap)
{
	const char *path = NULL;
	size_t len = 0;
	int r = parse_cgroup(text, strlen(text), &path, &len);

	if (r)
		return r;
	assert_non_null(path);
	assert_true(len < cap);
	memcpy(out, path, len);
	out[len] = '\0';
	return 0;
}

static void cgroup_lines(void **state)
{
	char p[256];

	(void)state;
	/* the hybrid layout of these machines: v1 memory among others, and a v2 line */
	assert_int_equal(cg("9:name=systemd:/\n8:pids:/\n6:freezer:/\n"
			    "4:memory:/process_api/b83e\n3:cpuset:/\n0::/\n", p, sizeof(p)), 0);
	assert_string_equal(p, "/process_api/b83e");
	assert_int_equal(cg("0::/user.slice\n4:memory:/x\n", p, sizeof(p)), 0);
	assert_string_equal(p, "/x");
	assert_int_equal(cg("4:memory:/x", p, sizeof(p)), 0);
	assert_string_equal(p, "/x");
	/* controllers mounted together */
	assert_int_equal(cg("5:cpu,memory:/both\n0::/\n", p, sizeof(p)), 0);
	assert_string_equal(p, "/both");
	assert_int_equal(cg("5:memory,cpu:/first\n", p, sizeof(p)), 0);
	assert_string_equal(p, "/first");
	/* pure v2 */
	assert_int_equal(cg("0::/y\n", p, sizeof(p)), 0);
	assert_string_equal(p, "/y");
	assert_int_equal(cg("0::/\n", p, sizeof(p)), 0);
	assert_string_equal(p, "/");
	/* a path may hold a colon */
	assert_int_equal(cg("4:memory:/a:b\n", p, sizeof(p)), 0);
	assert_string_equal(p, "/a:b");
}

static void cgroup_no_memory(void **state)
{
	char p[256];

	(void)state;
	assert_int_equal(cg("", p, sizeof(p)), -ENOENT);
	assert_int_equal(cg("3:cpuset:/\n2:cpuacct:/\n", p, sizeof(p)), -ENOENT);
	/* a word that only starts with "memory" is another controller */
	assert_int_equal(cg("7:memoryx:/no\n", p, sizeof(p)), -ENOENT);
	assert_int_equal(cg("7:xmemory:/no\n7:memor:/no\n", p, sizeof(p)), -ENOENT);
	assert_int_equal(cg("7:cpu,memoryx:/no\n0::/yes\n", p, sizeof(p)), 0);
	assert_string_equal(p, "/yes");
	/* "10::" is not the unified hierarchy; a line without two colons is skipped */
	assert_int_equal(cg("10::/no\nmemory\n", p, sizeof(p)), -ENOENT);
	assert_int_equal(cg("garbage\n0:/\n", p, sizeof(p)), -ENOENT);
}

struct pids {
	pid_t v[16];
	int n;
	int stop_at;	/* stop (return 7) at this call, 1-based; 0 never */
};

static int collect(pid_t pid, void *ctx)
{
	struct pids *ps = ctx;

	assert_true(ps->n < 16);
	ps->v[ps->n++] = pid;
	return ps->n == ps->stop_at ? 7 : 0;
}

static void pid_list(void **state)
{
	struct pids ps = { .n = 0 };

	(void)state;
	assert_int_equal(parse_pid_list(S("1\n\n22\n333\n\n"), collect, &ps), 0);
	assert_int_equal(ps.n, 3);
	assert_int_equal(ps.v[0], 1);
	assert_int_equal(ps.v[1], 22);
	assert_int_equal(ps.v[2], 333);

	ps.n = 0;
	assert_int_equal(parse_pid_list(S("\n\n"), collect, &ps), 0);
	assert_int_equal(parse_pid_list(S(""), collect, &ps), 0);
	assert_int_equal(ps.n, 0);

	assert_int_equal(parse_pid_list(S("5\n6"), collect, &ps), 0);
	assert_int_equal(ps.n, 2);
	assert_int_equal(ps.v[1], 6);
}

static void pid_list_garbage(void **state)
{
	static const char *const bad[] = { "1\nabc\n", "1\n2x\n", "0\n", "-3\n", "4 \n",
					   " 4\n", "2147483648\n", "1\r\n" };
	struct pids ps = { .n = 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ps.n = 0;
		assert_int_equal(parse_pid_list(bad[i], strlen(bad[i]), collect, &ps), -EBADMSG);
	}
	/* the pids before the bad line were given, none after */
	ps.n = 0;
	assert_int_equal(parse_pid_list(S("8\n9\nx\n10\n"), collect, &ps), -EBADMSG);
	assert_int_equal(ps.n, 2);
	assert_int_equal(ps.v[1], 9);
}

static void pid_list_stop(void **state)
{
	struct pids ps = { .n = 0, .stop_at = 2 };

	(void)state;
	assert_int_equal(parse_pid_list(S("3\n4\n5\n6\n"), collect, &ps), 7);
	assert_int_equal(ps.n, 2);
	assert_int_equal(ps.v[1], 4);
}

/* statm: size and resident, the first two of its seven fields */
static void statm_fields(void **state)
{
	unsigned long size = 1, res = 1;
	const char *ok = "619 141 114 1 0 89 0\n";

	(void)state;
	assert_int_equal(parse_statm(ok, strlen(ok), &size, &res), 0);
	assert_int_equal(size, 619);
	assert_int_equal(res, 141);
	/* a kernel thread's: all zero */
	assert_int_equal(parse_statm("0 0 0 0 0 0 0\n", 14, &size, &res), 0);
	assert_int_equal(size, 0);
	assert_int_equal(res, 0);
	/* truncated, empty, garbage, a sign, past what fits: refused, outputs untouched */
	size = res = 7;
	assert_int_equal(parse_statm("619", 3, &size, &res), -EBADMSG);
	assert_int_equal(parse_statm("", 0, &size, &res), -EBADMSG);
	assert_int_equal(parse_statm("x 1", 3, &size, &res), -EBADMSG);
	assert_int_equal(parse_statm("-1 2", 4, &size, &res), -EBADMSG);
	assert_int_equal(parse_statm("1 99999999999999999999999", 25, &size, &res), -EBADMSG);
	assert_int_equal(size, 7);
	assert_int_equal(res, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statm_fields),
		cmocka_unit_test(stat_normal),
		cmocka_unit_test(stat_kthread),
		cmocka_unit_test(stat_comm_with_parens),
		cmocka_unit_test(stat_comm_too_long),
		cmocka_unit_test(stat_truncated),
		cmocka_unit_test(stat_missing_start_time),
		cmocka_unit_test(stat_non_numeric),
		cmocka_unit_test(stat_pid_zero),
		cmocka_unit_test(status_normal),
		cmocka_unit_test(status_zombie),
		cmocka_unit_test(status_kthread),
		cmocka_unit_test(status_truncated),
		cmocka_unit_test(status_missing_uid),
		cmocka_unit_test(status_kill_pending),
		cmocka_unit_test(ll_values),
		cmocka_unit_test(ll_errors),
		cmocka_unit_test(meminfo_normal),
		cmocka_unit_test(meminfo_partial_and_bad),
		cmocka_unit_test(cgroup_lines),
		cmocka_unit_test(cgroup_no_memory),
		cmocka_unit_test(pid_list),
		cmocka_unit_test(pid_list_garbage),
		cmocka_unit_test(pid_list_stop),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
