/* test_json.c - JSON string escaping: any comm, any bytes, always valid JSON and UTF-8 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* Escapes len bytes of in, checks the returned length against the output, compares. */
static void check(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n;

	memset(out, 'Z', sizeof(out));
	n = json_escape(in, len, out, sizeof(out));
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

#define CHECK(lit, want) check(lit, sizeof(lit) - 1, want)

static void plain_ascii(void **state)
{
	(void)state;
	CHECK("", "");
	CHECK("bash", "bash");
	CHECK("kworker/0:1-events", "kworker/0:1-events");
	CHECK(" ~!@#$%^&*()_+{}|:<>?`-=[];',./", " ~!@#$%^&*()_+{}|:<>?`-=[];',./");
}

static void quote_and_backslash(void **state)
{
	(void)state;
	CHECK("\"", "\\\"");
	CHECK("\\", "\\\\");
	CHECK("a\"b\\c", "a\\\"b\\\\c");
	CHECK("\\\"", "\\\\\\\"");
}

static void named_controls(void **state)
{
	(void)state;
	CHECK("a\nb", "a\\nb");
	CHECK("\t", "\\t");
	CHECK("\r\n", "\\r\\n");
}

static void other_controls(void **state)
{
	(void)state;
	CHECK("\x01", "\\u0001");
	CHECK("\x1f", "\\u001f");
	CHECK("\x7f", "\\u007f");
	CHECK("\x08\x0c", "\\u0008\\u000c");
	CHECK("a\x1b[0m", "a\\u001b[0m");
	/* a NUL inside len is a byte like the others, not the end */
	check("a\0b", 3, "a\\u0000b");
}

static void valid_utf8(void **state)
{
	(void)state;
	CHECK("caf\xc3\xa9", "caf\xc3\xa9");			/* é, 2 bytes */
	CHECK("\xc2\x80", "\xc2\x80");				/* U+0080, smallest 2-byte */
	CHECK("\xe2\x82\xac 5", "\xe2\x82\xac 5");		/* €, 3 bytes */
	CHECK("\xef\xbf\xbf", "\xef\xbf\xbf");			/* U+FFFF */
	CHECK("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!");	/* 😀, 4 bytes */
	CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");		/* U+10FFFF, the last */
	CHECK("\xed\x9f\xbf", "\xed\x9f\xbf");			/* U+D7FF, just below surrogates */
}

static void invalid_utf8(void **state)
{
	(void)state;
	CHECK("\x80", "\\u0080");				/* lone continuation */
	CHECK("\xff", "\\u00ff");
	CHECK("\xfe", "\\u00fe");
	CHECK("\xc0\x80", "\\u00c0\\u0080");			/* overlong NUL */
	CHECK("\xc1\xbf", "\\u00c1\\u00bf");			/* overlong '\x7f' */
	CHECK("\xe0\x80\xaf", "\\u00e0\\u0080\\u00af");		/* overlong '/' */
	CHECK("\xf0\x80\x80\xaf", "\\u00f0\\u0080\\u0080\\u00af");
	CHECK("\xe2\x82", "\\u00e2\\u0082");			/* truncated at the end */
	CHECK("\xe2\x82" "A", "\\u00e2\\u0082A");		/* truncated by a new char */
	CHECK("\xed\xa0\x80", "\\u00ed\\u00a0\\u0080");		/* surrogate U+D800 */
	CHECK("\xed\xbf\xbf", "\\u00ed\\u00bf\\u00bf");		/* surrogate U+DFFF */
	CHECK("\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080");	/* past U+10FFFF */
	CHECK("\xf8\x88\x80\x80\x80", "\\u00f8\\u0088\\u0080\\u0080\\u0080");
	/* a bad byte does not swallow the valid character after it */
	CHECK("\xc3\xc3\xa9", "\\u00c3\xc3\xa9");
	CHECK("\xf0\x9f\x98", "\\u00f0\\u009f\\u0098");
}

static void small_cap(void **state)
{
	static const char in[] = "ab\"cd\x01";	/* escapes to ab\"cd\u0001: 12 bytes */
	/* what each cap may hold: whole escapes only, never half of \" or \u0001 */
	static const size_t whole[] = { 0, 1, 2, 2, 4, 5, 6, 6, 6, 6, 6, 6, 12 };
	char out[32];

	(void)state;
	/* with no room at all nothing is written, and the length is still told */
	assert_int_equal(json_escape(in, sizeof(in) - 1, NULL, 0), 12);
	for (size_t cap = 1; cap <= 13; cap++) {
		memset(out, 'Z', sizeof(out));
		assert_int_equal(json_escape(in, sizeof(in) - 1, out, cap), 12);
		assert_int_equal(strlen(out), whole[cap - 1]);
		assert_memory_equal(out, "ab\\\"cd\\u0001", whole[cap - 1]);
		/* nothing past cap is touched */
		assert_int_equal(out[cap], 'Z');
	}
	memset(out, 'Z', sizeof(out));
	assert_int_equal(json_escape(in, sizeof(in) - 1, out, sizeof(out)), 12);
	assert_string_equal(out, "ab\\\"cd\\u0001");
}

/* A cut never leaves a lone backslash, whatever escape straddles the cut: every cap on a
 * string of backslashes, quotes and a multi-byte character */
static void cut_never_splits_an_escape(void **state)
{
	static const char in[] = "\\\\\"\xc3\xa9\\\x01\\";
	char out[64];

	(void)state;
	for (size_t cap = 1; cap < sizeof(out); cap++) {
		size_t n;

		json_escape(in, sizeof(in) - 1, out, cap);
		n = strlen(out);
		/* a run of backslashes at the end is whole escapes: even */
		size_t run = 0;

		while (run < n && out[n - 1 - run] == '\\')
			run++;
		assert_int_equal(run % 2, 0);
		/* and the end is no partial \u00XX or UTF-8 sequence */
		for (size_t i = 0; i < n; i++)
			if (out[i] == '\\' && out[i + 1] == 'u')
				assert_true(i + 6 <= n);
		if (n)
			assert_true((unsigned char)out[n - 1] != 0xc3);
	}
}

/* Every byte value alone: the output holds only printable ASCII or the byte's valid form */
static void every_byte(void **state)
{
	(void)state;
	for (int b = 0; b < 256; b++) {
		char in = (char)b, out[16];
		size_t n = json_escape(&in, 1, out, sizeof(out));

		assert_int_equal(n, strlen(out));
		if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
			assert_int_equal(n, 1);
			assert_int_equal((unsigned char)out[0], b);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			assert_true(out[i] >= 0x20 && out[i] < 0x7f);
		if (n == 6) {
			char want[8];

			snprintf(want, sizeof(want), "\\u%04x", b);
			assert_string_equal(out, want);
		} else {
			assert_int_equal(n, 2);
			assert_int_equal(out[0], '\\');
		}
	}
}

static char *written(const char *in, size_t len, size_t *size)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, size);

	assert_non_null(f);
	json_string(f, in, len);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void string_to_file(void **state)
{
	size_t size;
	char *s;

	(void)state;
	s = written("a\"\xff", 3, &size);
	assert_string_equal(s, "\"a\\\"\\u00ff\"");
	free(s);

	/* longer than json_string's stack buffer: the whole string, not a cut one */
	char in[200];

	memset(in, '\x01', sizeof(in));
	s = written(in, sizeof(in), &size);
	assert_int_equal(size, 2 + 6 * sizeof(in));
	assert_int_equal(s[0], '"');
	assert_int_equal(s[size - 1], '"');
	assert_memory_equal(s + 1, "\\u0001", 6);
	assert_memory_equal(s + size - 7, "\\u0001", 6);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_ascii),
		cmocka_unit_test(quote_and_backslash),
		cmocka_unit_test(named_controls),
		cmocka_unit_test(other_controls),
		cmocka_unit_test(valid_utf8),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(small_cap),
		cmocka_unit_test(cut_never_splits_an_escape),
		cmocka_unit_test(every_byte),
		cmocka_unit_test(string_to_file),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
