/* test_config.c - the configuration file: what it accepts, and the file:line of what not */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "rules.h"

static char path[64];

/* Writes text to a temporary file; returns its path */
static const char *conf(const char *text)
{
	snprintf(path, sizeof(path), "/tmp/oomreaper-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Loads text; returns the error message ("" when it loaded) */
static const char *load(struct config *c, const char *text, int *r)
{
	static char err[512];

	err[0] = '\0';
	*r = config_load(c, conf(text), err, sizeof(err));
	unlink(path);
	return err;
}

static void defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.nscopes, 1);
	assert_string_equal(c.scopes[0].cgroup, "");
	assert_true(c.scopes[0].th.mem_min.percent);
	assert_true(c.scopes[0].th.mem_min.value == 10);
	assert_true(c.scopes[0].th.mem_kill.value == 5);
	assert_false(c.scopes[0].th.psi);
	assert_int_equal(c.deadline_ms, 5000);
	assert_int_equal(c.reap_delay_ms, 2000);
	assert_false(c.dry_run);
}

static void full_file(void **state)
{
	struct config c;
	int r;
	const char *err = load(&c,
			       "; a comment\n"
			       "[oomreaper]\n"
			       "dry_run = yes\n"
			       "grace = 300   ; ms\n"
			       "deadline = 2.5\n"
			       "policy = fastest-growing\n"
			       "log_json = -\n"
			       "\n[global]\nmem_min = 8%\nmem_kill = 1G\npsi = full:60:30\n"
			       "horizon = 0.5\n"
			       "[cgroup /sys/fs/cgroup/memory/jobs]\nmem_min = 256M\n"
			       "[rule browsers]\nmatch = comm\nregex = ^(chrome|firefox)$\n"
			       "action = prefer\nweight = 300\n"
			       "[rule root]\nmatch = user\nregex = ^root$\naction = avoid\n",
			       &r);

	(void)state;
	assert_string_equal(err, "");
	assert_int_equal(r, 0);
	assert_true(c.dry_run);
	assert_int_equal(c.grace_ms, 300);
	assert_int_equal(c.deadline_ms, 2500);
	assert_int_equal(c.policy, POLICY_FASTEST_GROWING);
	assert_string_equal(c.log_json, "-");
	assert_int_equal(c.nscopes, 2);
	assert_true(c.scopes[0].th.mem_min.value == 8);
	assert_false(c.scopes[0].th.mem_kill.percent);
	assert_true(c.scopes[0].th.mem_kill.value == 1024 * 1024);
	assert_true(c.scopes[0].th.psi && c.scopes[0].th.psi_full);
	assert_true(c.scopes[0].th.psi_pct == 60 && c.scopes[0].th.psi_secs == 30);
	assert_true(c.scopes[0].th.horizon_s == 0.5);
	assert_string_equal(c.scopes[1].cgroup, "/sys/fs/cgroup/memory/jobs");
	assert_true(c.scopes[1].th.mem_min.value == 256 * 1024);
	/* a scope takes the defaults for what it does not say */
	assert_true(c.scopes[1].th.swap_min.percent && c.scopes[1].th.swap_min.value == 10);
	/* but a mem_kill it does not say is half its mem_min, in mem_min's unit */
	assert_true(!c.scopes[1].th.mem_kill.percent && c.scopes[1].th.mem_kill.value == 128 * 1024);
	assert_int_equal(c.nrules, 2);
	assert_int_equal(c.rules[0].weight, 300);
	assert_true(pattern_match(&c.rules[0].re, "firefox", 7, true));
	assert_false(pattern_match(&c.rules[0].re, "firefox-bin", 11, true));
	/* user rules are resolved to uids when loaded */
	assert_int_equal(c.rules[1].field, RULE_USER);
	assert_int_equal(c.rules[1].nuids, 1);
	assert_int_equal(c.rules[1].uids[0], 0);
	config_free(&c);
}

/* Every error names the file, the line, the key and the value */
static void errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* after "PATH:" */
	} cases[] = {
		{ "[oomreaper]\ngrace = 300\nbogus = 1\n", "3: unknown key 'bogus' (= '1') in [oomreaper]" },
		{ "[global]\nmem_min = ten\n", "2: mem_min = 'ten': want a share" },
		{ "[global]\nmem_min = 120%\n", "2: mem_min = '120%'" },
		{ "[global]\nmem_min = -5%\n", "2: mem_min = '-5%'" },
		{ "[global]\nmem_min = 12Q\n", "2: mem_min = '12Q'" },
		{ "[global]\npsi = full:60\n", "2: psi = 'full:60'" },
		{ "[global]\npsi = half:60:30\n", "2: psi = 'half:60:30'" },
		{ "[oomreaper]\ndeadline = 0\n", "2: deadline = '0'" },
		{ "[oomreaper]\ngrace = 1.5\n", "2: grace = '1.5'" },
		{ "[oomreaper]\ndry_run = maybe\n", "2: dry_run = 'maybe'" },
		{ "[oomreaper]\npolicy = random\n", "2: policy = 'random'" },
		{ "\n[rule x]\nmatch = comm\nregex = ([a-z\n", "4: regex = '([a-z'" },
		{ "[rule x]\nmatch = pid\n", "2: match = 'pid'" },
		{ "[rule x]\naction = kill\n", "2: action = 'kill'" },
		{ "[rule x]\nweight = 5000\n", "2: weight = '5000'" },
		{ "[global]\nmem_min = 5%\n\n[sideways]\nx = 1\n", "4: unknown section [sideways]" },
		/* an empty section of a wrong name is caught too, though inih never reports it */
		{ "[global]\n[nothing]\n", "2: unknown section [nothing]" },
		{ "[cgroup relative/path]\nmem_min = 5%\n", "1: unknown section [cgroup relative" },
		{ "mem_min = 5%\n", "1: 'mem_min' outside any section" },
		{ "[global]\nthis line has no equals sign\n", "2: not a 'key = value' line" },
		{ "[global]\nmem_min = 5%\nmem_kill = 10%\n",
		  "3: [global]: mem_kill = 10% is above mem_min = 5%" },
		{ "[global]\nmem_kill = 1G\nmem_min = 512M\n",
		  "2: [global]: mem_kill = 1G is above mem_min = 512M" },
		{ "[global]\nmem_min = 99999999999999999999G\n",
		  "2: mem_min = '99999999999999999999G': out of range" },
		{ "[global]\nmem_min = 2000000T\n", "2: mem_min = '2000000T': out of range" },
		{ "[global]\nmem_min = 0x1p1000G\n", "2: mem_min = '0x1p1000G': want a share" },
		{ "[global]\nmem_min = 1e3M\n", "2: mem_min = '1e3M': want a share" },
		{ "[global]\nmem_min = inf\n", "2: mem_min = 'inf': want a share" },
		{ "[global]\nmem_min = +5%\n", "2: mem_min = '+5%': want a share" },
		{ "[global]\nmem_min = 5%\n[global] x\n", "3: text after the section header's ']'" },
		{ "[global]\n= 5%\n", "2: '= 5%' has no key" },
		{ "[rule x]\nmatch = comm\n", " [rule x] has no regex" },
	};
	struct config c;
	int r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *err = load(&c, cases[i].text, &r);
		char want[600];

		snprintf(want, sizeof(want), "%s:%s", path, cases[i].want);
		if (strncmp(err, want, strlen(want))) {
			print_error("case %zu: got '%s', want '%s...'\n", i, err, want);
			fail();
		}
		assert_int_equal(r, -EINVAL);
		config_free(&c);
	}
}

/*
 * The rules' keys: exe and uid to match, users to limit a rule; what needs backtracking or
 * would blow up is refused at its line; ignore and avoid on what a process chooses warn.
 */
static void rule_keys(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* after "PATH:" */
	} bad[] = {
		{ "[rule x]\nmatch = comm\n\nregex = (a*)*\\1b\n", "4: regex = '(a*)*\\1b': at byte 7: "
		  "back-reference \\1" },
		{ "[rule x]\nregex = (a{100}){100}\n", "2: regex = '(a{100}){100}': at byte " },
		{ "[rule x]\nregex = a\nusers = root, no-such-user\n", "3: users = 'root, "
		  "no-such-user': no user 'no-such-user'" },
		{ "[rule x]\nregex = a\nusers = ,\n", "3: users = ','" },
	};
	struct config c;
	int r;
	char out[1024] = "", want_line[600];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *err = load(&c, bad[i].text, &r);
		char want[600];

		snprintf(want, sizeof(want), "%s:%s", path, bad[i].want);
		if (strncmp(err, want, strlen(want)))
			fail_msg("case %zu: got '%s', want '%s...'", i, err, want);
		assert_int_equal(r, -EINVAL);
	}
	const char *err = load(&c, "[rule sshd]\nmatch = exe\nregex = ^/usr/sbin/sshd$\n"
			       "action = ignore\n"
			       "[rule named]\nmatch = comm\nregex = ^sshd$\naction = ignore\n"
			       "[rule mine]\n\nmatch = cmdline\nregex = batch\naction = avoid\n"
			       "users = root 65534\n"
			       "[rule nobody]\nmatch = uid\nregex = ^65534$\n", &r);

	assert_string_equal(err, "");
	assert_int_equal(c.nrules, 4);
	assert_int_equal(c.rules[0].field, RULE_EXE);
	assert_int_equal(c.rules[3].field, RULE_UID);
	assert_int_equal(c.rules[2].nonly, 2);
	assert_int_equal(c.rules[2].only[0], 0);
	assert_int_equal(c.rules[2].only[1], 65534);
	assert_int_equal(c.rules[2].line, 11);
	/* only the comm rule warns: exe is not the process's to choose, and users = limits */
	assert_null(rule_gameable(&c.rules[0]));
	assert_non_null(rule_gameable(&c.rules[1]));
	assert_null(rule_gameable(&c.rules[2]));
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");

	rules_warn(&c, f);
	fclose(f);
	snprintf(want_line, sizeof(want_line), "%s:6: warning: [rule named] ignores, but matches "
		 "only on comm", path);
	if (strncmp(out, want_line, strlen(want_line)) || strchr(out, '\n') != out + strlen(out) - 1)
		fail_msg("warnings '%s', want one line '%s...'", out, want_line);
	config_free(&c);
}

/* The example installed with the program parses, and says what the defaults are */
static void example_file(void **state)
{
	struct config c, d;
	char err[512];

	(void)state;
	assert_int_equal(config_load(&c, FIXTURES "/../../contrib/oomreaper.conf", err,
				     sizeof(err)), 0);
	config_defaults(&d);
	assert_int_equal(c.nscopes, 1);
	const struct thresholds *a = &c.scopes[0].th, *b = &d.scopes[0].th;

	assert_true(a->mem_min.percent == b->mem_min.percent && a->mem_min.value == b->mem_min.value);
	assert_true(a->mem_kill.percent == b->mem_kill.percent &&
		    a->mem_kill.value == b->mem_kill.value);
	assert_true(a->swap_min.percent == b->swap_min.percent &&
		    a->swap_min.value == b->swap_min.value);
	assert_true(a->psi == b->psi && a->horizon_s == b->horizon_s);
	assert_int_equal(c.deadline_ms, d.deadline_ms);
	assert_int_equal(c.reap_delay_ms, d.reap_delay_ms);
	assert_int_equal(c.grace_ms, d.grace_ms);
	assert_int_equal(c.nrules, 0);
	config_free(&c);
}

static void unreadable_file(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	assert_int_equal(config_load(&c, "/nonexistent/oomreaper.conf", err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/oomreaper.conf: No such file or directory");
	assert_int_equal(config_load(&c, "/tmp", err, sizeof(err)) < 0, 1);
}

static void levels_and_psi(void **state)
{
	struct level l;
	struct thresholds t = thresholds_default();

	(void)state;
	assert_int_equal(parse_level("10%", &l), 0);
	assert_true(l.percent && l.value == 10);
	assert_int_equal(parse_level("2.5%", &l), 0);
	assert_true(l.value == 2.5);
	assert_int_equal(parse_level("512M", &l), 0);
	assert_true(!l.percent && l.value == 512 * 1024);
	assert_int_equal(parse_level("2G", &l), 0);
	assert_true(l.value == 2 * 1024 * 1024);
	assert_int_equal(parse_level("2GiB", &l), 0);
	assert_int_equal(parse_level("64k", &l), 0);
	assert_true(l.value == 64);
	assert_int_equal(parse_level("1048576", &l), 0);	/* bytes */
	assert_true(l.value == 1024);
	assert_int_equal(parse_level("", &l), -EINVAL);
	assert_int_equal(parse_level("%", &l), -EINVAL);
	assert_int_equal(parse_level("5 %", &l), -EINVAL);
	assert_int_equal(parse_level(" 5%", &l), -EINVAL);
	assert_int_equal(parse_level("nan%", &l), -EINVAL);
	assert_int_equal(parse_level("1GG", &l), -EINVAL);
	/* strtod() took these, and the double overflowed the level into a wrapped number */
	assert_int_equal(parse_level("99999999999999999999G", &l), -ERANGE);
	assert_int_equal(parse_level("18446744073709551616", &l), -ERANGE);
	assert_int_equal(parse_level("0x1p1000G", &l), -EINVAL);
	assert_int_equal(parse_level("0x10M", &l), -EINVAL);
	assert_int_equal(parse_level("1e30", &l), -EINVAL);
	assert_int_equal(parse_level("infinity", &l), -EINVAL);
	assert_int_equal(parse_level("100.5%", &l), -ERANGE);
	assert_int_equal(parse_level("1048577T", &l), -ERANGE);
	assert_int_equal(parse_level("1048576T", &l), 0);
	assert_true(l.value == (double)LEVEL_MAX_KB);
	assert_int_equal(parse_level(".5%", &l), 0);
	assert_true(l.percent && l.value == 0.5);
	assert_int_equal(parse_level("0.5G", &l), 0);
	assert_true(l.value == 512 * 1024);
	assert_int_equal(parse_psi("some:10:2", &t), 0);
	assert_true(t.psi && !t.psi_full && t.psi_pct == 10 && t.psi_secs == 2);
	assert_int_equal(parse_psi("off", &t), 0);
	assert_false(t.psi);
	assert_int_equal(parse_psi("full:0:2", &t), -EINVAL);
	assert_int_equal(parse_psi("full:50:2x", &t), -EINVAL);
	assert_int_equal(parse_psi("full:101:2", &t), -EINVAL);
}

static void command_line_settings(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "scope", "mem_min", "20%", err, sizeof(err)), 0);
	assert_true(c.scopes[0].th.mem_min.value == 20);
	assert_int_equal(config_set(&c, "oomreaper", "grace", "100", err, sizeof(err)), 0);
	assert_int_equal(c.grace_ms, 100);
	assert_int_equal(config_set(&c, "scope", "mem_min", "x", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "mem_min = 'x': want a share like 10% or a size like 512M "
				 "(decimal)");
}

/* group_kill: no, leaf or scope in a scope; scope refused for the whole machine with its line,
 * from the file and from the flag (group_kill_check(), which daemon_config() runs after
 * --cgroup); printed back by check-config */
static void group_kill_keys(void **state)
{
	struct config c;
	const char *err;
	char buf[512];
	int r;

	(void)state;
	err = load(&c, "[global]\ngroup_kill = leaf\n[cgroup /sys/fs/cgroup/memory/a]\n"
		       "group_kill = scope\n[cgroup /sys/fs/cgroup/memory/b]\nmem_min = 5%\n", &r);
	assert_int_equal(r, 0);
	assert_string_equal(err, "");
	assert_int_equal(c.nscopes, 3);
	assert_int_equal(c.scopes[0].group_kill, GROUP_KILL_LEAF);
	assert_int_equal(c.scopes[1].group_kill, GROUP_KILL_SCOPE);
	assert_int_equal(c.scopes[2].group_kill, GROUP_KILL_NO);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	config_print(&c, f);
	fclose(f);
	assert_non_null(strstr(out, "[global]\nmem_min = 10%\n"));
	assert_non_null(strstr(out, "group_kill = leaf\nqos_order = no\n\n"
				     "[cgroup /sys/fs/cgroup/memory/a]"));
	assert_non_null(strstr(out, "group_kill = scope\n"));
	free(out);
	config_free(&c);

	err = load(&c, "[global]\nmem_min = 10%\ngroup_kill = scope\n", &r);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, ":3: [global]: group_kill = scope would kill every process of "
				    "the machine: refused"));
	err = load(&c, "[global]\ngroup_kill = all\n", &r);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, ":2: group_kill = 'all': want no, leaf or scope"));
	err = load(&c, "[global]\ngroup_kill = Leaf\n", &r);
	assert_int_equal(r, -EINVAL);

	/* the flag: refused for the global scope, taken once --cgroup names one */
	config_defaults(&c);
	assert_int_equal(config_set(&c, "scope", "group_kill", "scope", buf, sizeof(buf)), 0);
	assert_int_equal(group_kill_check(&c, &c.scopes[0], buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "--group-kill: [global]: group_kill = scope would kill every "
				 "process of the machine: refused (leaf kills the victim's own cgroup; "
				 "scope is for a [cgroup PATH] or --cgroup)");
	snprintf(c.scopes[0].cgroup, sizeof(c.scopes[0].cgroup), "/sys/fs/cgroup/memory/x");
	assert_int_equal(group_kill_check(&c, &c.scopes[0], buf, sizeof(buf)), 0);
	assert_int_equal(config_set(&c, "scope", "group_kill", "no", buf, sizeof(buf)), 0);
	assert_int_equal(c.scopes[0].group_kill, GROUP_KILL_NO);

	enum group_kill_mode g;

	assert_int_equal(parse_group_kill("leaf", &g), 0);
	assert_int_equal(g, GROUP_KILL_LEAF);
	assert_int_equal(parse_group_kill("", &g), -EINVAL);
	assert_int_equal(parse_group_kill("scope ", &g), -EINVAL);
	assert_string_equal(group_kill_name(GROUP_KILL_SCOPE), "scope");
}

/* "10\0%" was read as "10": 10 bytes where 10 % was meant */
static void nul_byte_refused(void **state)
{
	static const char text[] = "[global]\nmem_min = 10\0%\n";
	struct config c;
	char err[512];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/oomreaper-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -EINVAL);
	unlink(path);
	assert_non_null(strstr(err, ":2: a NUL byte in the line"));
}

/* Lines up to CONFIG_MAX_LINE bytes are whole lines: a 300-byte cgroup path, a 250-byte
 * regex (a rule's own limit is 255), and the line numbers after them stay true; a longer
 * line is refused by its number */
static void long_lines(void **state)
{
	char text[3 * CONFIG_MAX_LINE], cg[300], re[251];
	struct config c;
	int r;

	(void)state;
	memset(cg, 'k', sizeof(cg) - 1);
	cg[0] = '/';
	cg[sizeof(cg) - 1] = '\0';
	/* long in bytes, short in the matcher's positions (pattern.h): one bracket expression */
	memset(re, 'a', sizeof(re) - 2);
	memcpy(re, "^[", 2);
	memcpy(re + sizeof(re) - 4, "]+$", 4);
	snprintf(text, sizeof(text), "[cgroup %s]\nmem_min = 5%%\n[rule long]\nregex = %s\n"
		 "[global]\nmem_min = 5%%\nbogus = 1\n", cg, re);
	const char *err = load(&c, text, &r);

	assert_non_null(strstr(err, ":7: unknown key 'bogus'"));
	config_free(&c);
	snprintf(text, sizeof(text), "[cgroup %s]\nmem_min = 5%%\n[rule long]\nregex = %s\n", cg,
		 re);
	err = load(&c, text, &r);
	assert_string_equal(err, "");
	assert_int_equal(c.nscopes, 2);
	assert_string_equal(c.scopes[1].cgroup, cg);
	assert_string_equal(c.rules[0].pattern, re);
	config_free(&c);

	/* exactly CONFIG_MAX_LINE bytes: taken; one more: refused, with the right line */
	int head = snprintf(text, sizeof(text), "[oomreaper]\n; x\nlog_json = ");
	int pad = CONFIG_MAX_LINE - (int)strlen("log_json = ");

	memset(text + head, 'p', (size_t)pad);
	strcpy(text + head + pad, "\n");
	err = load(&c, text, &r);
	assert_string_equal(err, "");
	memset(text + head, 'p', (size_t)pad + 1);
	strcpy(text + head + pad + 1, "\n");
	err = load(&c, text, &r);
	assert_non_null(strstr(err, ":3: a line of 4097 bytes: at most 4096"));
}

/* Levels of different units compare at the scope's total; sizes above it are refused */
static void levels_against_the_total(void **state)
{
	struct config c;
	char err[512];
	struct scope_conf *s = &c.scopes[0];

	(void)state;
	config_defaults(&c);
	/* 1 % of 8 GiB is 82 MiB: a mem_kill of 20G is above it */
	assert_int_equal(config_set(&c, "scope", "mem_min", "1%", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "scope", "mem_kill", "20G", err, sizeof(err)), 0);
	assert_int_equal(thresholds_check(&c, s, 0, err, sizeof(err)), 0);
	assert_int_equal(thresholds_check(&c, s, 8ULL << 20, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--mem-kill: [global]: mem_kill = 20G is above the scope's "
				 "memory, 8G");
	assert_int_equal(config_set(&c, "scope", "mem_kill", "100M", err, sizeof(err)), 0);
	assert_int_equal(thresholds_check(&c, s, 8ULL << 20, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--mem-kill: [global]: mem_kill = 100M is above mem_min = 1% "
				 "of the scope's 8G");
	assert_int_equal(thresholds_check(&c, s, 16ULL << 20, err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "scope", "mem_min", "9G", err, sizeof(err)), 0);
	assert_int_equal(thresholds_check(&c, s, 8ULL << 20, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--mem-min: [global]: mem_min = 9G is above the scope's "
				 "memory, 8G");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(full_file),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(rule_keys),
		cmocka_unit_test(example_file),
		cmocka_unit_test(unreadable_file),
		cmocka_unit_test(levels_and_psi),
		cmocka_unit_test(command_line_settings),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(nul_byte_refused),
		cmocka_unit_test(levels_against_the_total),
		cmocka_unit_test(group_kill_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
