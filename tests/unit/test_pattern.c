/* test_pattern.c - the rules' matcher: the same answers as regexec(3), in linear time */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pattern.h"

static struct pattern pat;

/* What glibc says of pattern on text (REG_EXTENDED | REG_NOSUB), or -1 if it refuses it */
static int glibc_says(const char *pattern, const char *text)
{
	regex_t re;
	int r;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
		return -1;
	r = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return r;
}

static bool ours(const char *pattern, const char *text)
{
	char err[256];

	if (pattern_compile(&pat, pattern, err, sizeof(err)))
		fail_msg("'%s' refused: %s", pattern, err);
	return pattern_match(&pat, text, strlen(text), true);
}

static void agree(const char *pattern, const char *text)
{
	int want = glibc_says(pattern, text);

	assert_int_not_equal(want, -1);
	if (ours(pattern, text) != want)
		fail_msg("'%s' on '%s': glibc %d, ours %d", pattern, text, want, !want);
}

/* The patterns rules are written with, on the texts they meet */
static void same_as_glibc(void **state)
{
	static const char *const patterns[] = {
		"^sshd$", "sshd", "^(sshd|systemd-journal|postgres)$", "^/usr/s?bin/", "\\.service$",
		"^$", "", "a|", "x*", "^a*$", "(ab|a)(bc|c)", "a{2,3}b", "a{2}", "a{0}b", "a{,2}$",
		"(a|b){3,}$", "[[:digit:]]+", "[^/]+$", "[a-c-]x", "[]a]", "[^]a]", "\\w+\\s\\S",
		"\\W", "a.c", "(a*)*b", "(a|aa)*c", "^(x|y)+|z$", "^a|b$|^c$", "(()|a)+b", "a**",
		"a+?", "((a{1,2}){2}){2}$", "[.]", "\\.\\*\\[\\(", "^ab|cd", "python3 -m http\\.server$",
	};
	static const char *const texts[] = {
		"", "sshd", "xsshd", "sshdx", "postgres", "/usr/sbin/sshd", "/usr/bin/x", "a.service",
		"aaab", "aab", "abc", "ab", "b", "aaaa", "aaaaaaaaaa", "abab", "ba", "cab", "123",
		"x/y/z", "c-x", "]", "a", "foo bar", "!", "axc", "aaaaaaaaaaaaaaaaaaaaaaac", "yz",
		"zz", "x", "c", "*", ".*[(", "python3 -m http.server", "cd",
	};

	(void)state;

	for (size_t i = 0; i < sizeof(patterns) / sizeof(*patterns); i++)
		for (size_t j = 0; j < sizeof(texts) / sizeof(*texts); j++)
			agree(patterns[i], texts[j]);
}

/* Random patterns over a small alphabet: wherever ours compiles one, glibc must agree */
static void random_patterns_agree(void **state)
{
	static const char *const bits[] = {
		"a", "b", ".", "[ab]", "[^a]", "(", ")", "|", "*", "+", "?", "{2}", "{1,2}", "{0,}",
		"^", "$", "\\.", "ab", "(a|b)",
	};
	char pattern[64], text[24];
	int compared = 0;

	(void)state;
	srand(12);
	for (int round = 0; round < 20000; round++) {
		char err[128];
		int len = 1 + rand() % 7;

		pattern[0] = '\0';
		for (int k = 0; k < len; k++)
			strcat(pattern, bits[rand() % (int)(sizeof(bits) / sizeof(*bits))]);
		if (pattern_compile(&pat, pattern, err, sizeof(err)))
			continue;
		for (int t = 0; t < 8; t++) {
			int n = rand() % 12;

			for (int k = 0; k < n; k++)
				text[k] = "ab.c"[rand() % 4];
			text[n] = '\0';
			int want = glibc_says(pattern, text);

			if (want < 0)
				break;
			if (pattern_match(&pat, text, (size_t)n, true) != want)
				fail_msg("'%s' on '%s': glibc %d, ours %d", pattern, text, want, !want);
			compared++;
		}
	}
	print_message("# %d random pattern/text pairs agree with glibc\n", compared);
	assert_true(compared > 10000);
}

static void refused(const char *pattern, const char *why)
{
	char err[256];

	assert_int_equal(pattern_compile(&pat, pattern, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s': %s, want '%s'", pattern, err, why);
}

/* Back-references and what would blow up: refused, with the reason, at once */
static void refuses_what_needs_backtracking_or_blows_up(void **state)
{
	char longest[PATTERN_MAX_LEN + 2];
	struct timespec a, b;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	refused("(a*)*\\1b", "back-reference \\1");
	refused("a\\bc", "escape \\b is not supported");
	refused("(a", "'(' without its ')'");
	refused("a)", "')' without its '('");
	refused("[ab", "'[' without its ']'");
	refused("*a", "nothing to repeat");
	refused("a^b", "'^' only at the start");
	refused("a$b", "'$' only at the end");
	refused("(a$)", "'$' only at the end");
	refused("a{3,2}", "the most is below the least");
	refused("a{256}", "a count above 255");
	refused("a{2", "without its '}'");
	refused("[z-a]", "backwards");
	refused("[[:nosuch:]]", "unknown character class");
	refused("[[=a=]]", "not supported");
	refused("a\\", "at the end");
	refused("a{100}b{100}", "more than 128 characters");
	refused("(((a{9}){9}){9}){9}", "more than 128 characters");
	refused("((((){255}){255}){255}){255}", "too many repetitions");
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	refused(longest, "longer than 255 bytes");
	/* glibc takes over a minute and 870 MB on this one; here it is a star of a star */
	assert_true(ours("(a*++++++++++++++++)*b", "aaab"));
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 100000000L);
}

/* A text cut short: '$' does not match at the cut, '^' and unanchored patterns still do */
static void dollar_never_matches_a_cut(void **state)
{
	char err[64];

	(void)state;
	assert_int_equal(pattern_compile(&pat, "--safe$", err, sizeof(err)), 0);
	assert_true(pattern_match(&pat, "x --safe", 8, true));
	assert_false(pattern_match(&pat, "x --safe", 8, false));
	assert_int_equal(pattern_compile(&pat, "^x|safe", err, sizeof(err)), 0);
	assert_true(pattern_match(&pat, "y --safe", 8, false));
	assert_int_equal(pattern_compile(&pat, "^$", err, sizeof(err)), 0);
	assert_true(pattern_match(&pat, "", 0, true));
	assert_false(pattern_match(&pat, "", 0, false));
}

/* The worst pattern on a long text: linear, where glibc's backtracking is exponential */
static void linear_on_a_long_text(void **state)
{
	static char text[1 << 20];
	struct timespec a, b;
	char err[64];

	(void)state;
	memset(text, 'a', sizeof(text));
	assert_int_equal(pattern_compile(&pat, "(a|aa|.a|a.)*(a*)*[b-z]$", err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_false(pattern_match(&pat, text, sizeof(text), true));
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);

	print_message("# 1 MiB of 'a' against a pattern of %d positions: %ld us\n", pat.npos,
		      ns / 1000);
	/* well under a second even in a sanitized build: about 1 ns a byte and position */
	assert_true(ns < 2000000000L);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_glibc),
		cmocka_unit_test(random_patterns_agree),
		cmocka_unit_test(refuses_what_needs_backtracking_or_blows_up),
		cmocka_unit_test(dollar_never_matches_a_cut),
		cmocka_unit_test(linear_on_a_long_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
