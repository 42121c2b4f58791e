/* test_text.c - the one cleaner of comm and paths, and the log line builders on top of it:
 * a line stays one line, valid UTF-8, valid JSON, and keeps its figures, whatever the input */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_log.h"
#include "report.h"
#include "text.h"
#include "watch.h"

static void check(const char *in, size_t len, const char *want)
{
	char out[128];

	memset(out, 'Z', sizeof(out));
	assert_int_equal(text_clean(in, len, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

#define CHECK(lit, want) check(lit, sizeof(lit) - 1, want)

static void printable_as_is(void **state)
{
	(void)state;
	CHECK("bash", "bash");
	CHECK("a) (b", "a) (b");
	CHECK("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	CHECK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
}

/* a newline would forge a second log line; ESC, CSI (8-bit, and as the C1 code point
 * U+009B) would drive the terminal */
static void controls_escaped(void **state)
{
	(void)state;
	CHECK("a\nb", "a\\x0ab");
	CHECK("\x1b[2J", "\\x1b[2J");
	CHECK("\t\r\x7f", "\\x09\\x0d\\x7f");
	CHECK("\x9b" "2J", "\\x9b2J");
	CHECK("\xc2\x9b" "2J", "\\xc2\\x9b2J");
	CHECK("\xc2\x85", "\\xc2\\x85");
	/* U+00A0, the first code point past C1, is printable */
	CHECK("\xc2\xa0", "\xc2\xa0");
	check("a\0b", 3, "a\\x00b");
}

/* the escape's own backslash is escaped: "\x1b" typed into a comm is not an ESC shown */
static void backslash_doubled(void **state)
{
	(void)state;
	CHECK("\\x1b", "\\\\x1b");
}

static void invalid_utf8_escaped(void **state)
{
	(void)state;
	CHECK("\xff", "\\xff");
	CHECK("\xc3", "\\xc3");
	CHECK("\xc3(", "\\xc3(");
	CHECK("\xe2\x82", "\\xe2\\x82");
	CHECK("\xc0\xaf", "\\xc0\\xaf");		/* overlong '/' */
	CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");	/* a surrogate */
	CHECK("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");	/* past U+10FFFF */
}

/* Every byte alone, and every pair: the output is printable ASCII or valid UTF-8 above C1 */
static void every_byte_and_pair(void **state)
{
	char in[2], out[16];

	(void)state;
	for (int a = 0; a < 256; a++)
		for (int b = -1; b < 256; b++) {
			size_t len = b < 0 ? 1 : 2;

			in[0] = (char)a;
			in[1] = (char)b;
			text_clean(in, len, out, sizeof(out));
			for (const unsigned char *p = (const unsigned char *)out; *p;) {
				size_t n = utf8_len(p, p + strlen((const char *)p));

				assert_true(n > 0);
				assert_true(n > 1 || (*p >= 0x20 && *p < 0x7f));
				assert_false(n == 2 && p[0] == 0xc2 && p[1] < 0xa0);
				p += n;
			}
		}
}

/* A cut keeps whole characters and escapes, and says what the whole needs */
static void cut_at_whole_pieces(void **state)
{
	static const char in[] = "a\n\xc3\xa9\\";	/* a \x0a é \\ : 1 + 4 + 2 + 2 = 9 bytes */
	static const size_t whole[] = { 0, 1, 1, 1, 1, 5, 5, 7, 7, 9 };
	char out[16];

	(void)state;
	for (size_t cap = 1; cap <= 10; cap++) {
		memset(out, 'Z', sizeof(out));
		assert_int_equal(text_clean(in, sizeof(in) - 1, out, cap), 9);
		assert_int_equal(strlen(out), whole[cap - 1]);
		assert_memory_equal(out, "a\\x0a\xc3\xa9\\\\", whole[cap - 1]);
		assert_int_equal(out[cap], 'Z');
	}
	assert_int_equal(text_clean(in, sizeof(in) - 1, NULL, 0), 9);
}

static void tail_that_fits(void **state)
{
	static const char in[] = "/a\n\xc3\xa9/b";	/* / a \x0a é / b: 1 1 4 2 1 1 */

	(void)state;
	assert_int_equal(text_clean_tail(in, sizeof(in) - 1, 100), 0);
	assert_int_equal(text_clean_tail(in, sizeof(in) - 1, 10), 0);
	assert_int_equal(text_clean_tail(in, sizeof(in) - 1, 9), 1);
	assert_int_equal(text_clean_tail(in, sizeof(in) - 1, 8), 2);
	/* never inside é: from it (4 bytes) or past it (2) */
	assert_int_equal(text_clean_tail(in, sizeof(in) - 1, 4), 3);
	assert_int_equal(text_clean_tail(in, sizeof(in) - 1, 3), 5);
	assert_int_equal(text_clean_tail(in, sizeof(in) - 1, 0), 7);
}

/* ---- the line builders ---- */

/* Whether s is one JSON object of string and number members, as the daemon writes them */
static bool valid_json_line(const char *s)
{
	bool in = false;

	if (*s++ != '{')
		return false;
	for (; *s; s++) {
		if (*s == '\n')
			return false;
		if (!in) {
			if (*s == '"')
				in = true;
			else if (*s == '}')
				return !s[1];
			continue;
		}
		if ((unsigned char)*s < 0x20)
			return false;
		if (*s == '"') {
			in = false;
		} else if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdef", s[i]) || !s[i])
						return false;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return false;
			}
		}
	}
	return false;
}

/* A path of n bytes made of unit, repeated */
static void fill(char *buf, size_t n, const char *unit)
{
	size_t u = strlen(unit);

	for (size_t i = 0; i < n; i++)
		buf[i] = unit[i % u];
	buf[n] = '\0';
}

/*
 * JSON events with scope paths of every length up to 1200 bytes, of backslashes, quotes,
 * control bytes and multi-byte characters: every line is one valid object, whatever cut
 * was needed, and the members after the path are all there.
 */
static void json_event_always_valid(void **state)
{
	static const char *const units[] = { "\\", "\"", "\x01", "\xc3\xa9", "a\\\"\x1f\xe2\x82\xac",
					     "/kubepods/burstable/pod" };
	char path[1300];
	/* no JSON log: jend() makes the line and writes it nowhere */
	static struct daemon dmn = { .log_fd = -1 };

	(void)state;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		for (size_t n = 0; n <= 1200; n++) {
			struct line l;

			fill(path, n, units[u]);
			jbegin(&l, "kill");
			jstr(&l, "scope", path);
			jnum(&l, "pid", 4242);
			jstr(&l, "comm", "hog\n\xff");
			jnum(&l, "badness", -9223372036854775807LL - 1);
			jend(&dmn, &l);
			assert_true(valid_json_line(line_text(&l)));
			/* a value takes 512 bytes at most: the members after it always fit */
			assert_non_null(strstr(line_text(&l), "\"badness\": -92233"));
			assert_non_null(strstr(line_text(&l), "\"comm\": \"hog\\n\\u00ff\""));
		}
}

/* The kernel's kill line after a scope path of any length keeps every figure, to the last */
static void kill_line_keeps_its_figures(void **state)
{
	struct proc_info p = { .pid = 4194304, .total_vm_kb = 123456789012ULL,
			       .rss_anon_kb = 1, .rss_file_kb = 2, .rss_shmem_kb = 3,
			       .uid = 4294967294U, .pgtables_kb = 448, .oom_score_adj = -999 };
	char path[PATH_MAX];

	(void)state;
	memcpy(p.comm, "\x1b[2J\n\x9b\xc3\xa9\\abcdefgh", 15);
	p.comm[15] = '\0';
	for (size_t n = 1; n < 2000; n += 7) {
		struct line k, l;

		fill(path, n, "/kubepods.slice/\xc3\xa9\x01");
		line_init(&k);
		report_killed(&k, &p);
		line_init(&l);
		line_str(&l, "oomreaper: ");
		line_path(&l, path, k.n + 2);
		line_str(&l, ": ");
		line_str(&l, line_text(&k));
		const char *t = line_text(&l);
		size_t len = strlen(t);

		assert_non_null(strstr(t, " UID:4294967294 pgtables:448kB oom_score_adj:-999"));
		assert_string_equal(t + len - strlen("oom_score_adj:-999"), "oom_score_adj:-999");
		assert_null(strchr(t, '\n'));
		assert_null(strchr(t, '\x1b'));
		assert_non_null(strstr(t, "(\\x1b[2J\\x0a\\x9b\xc3\xa9\\\\abcdef)"));
		/* cut at its start when long, never inside a character or an escape */
		if (n > 1000)
			assert_memory_equal(t, "oomreaper: ...", 14);
		/* a kubepods path of ~400 bytes stays whole, cleaned */
		if (n < 400) {
			char whole[4 * 400];

			assert_non_null(strstr(t, text_cleaned(path, whole, sizeof(whole))));
		}
		for (const unsigned char *q = (const unsigned char *)t; *q;) {
			size_t m = utf8_len(q, q + strlen((const char *)q));

			assert_true(m > 0);
			q += m;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(printable_as_is),
		cmocka_unit_test(controls_escaped),
		cmocka_unit_test(backslash_doubled),
		cmocka_unit_test(invalid_utf8_escaped),
		cmocka_unit_test(every_byte_and_pair),
		cmocka_unit_test(cut_at_whole_pieces),
		cmocka_unit_test(tail_that_fits),
		cmocka_unit_test(json_event_always_valid),
		cmocka_unit_test(kill_line_keeps_its_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
