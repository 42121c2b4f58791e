/* test_report.c - a line as said to stderr (line_say): with the journal's "<N>" priority
 * prefix when it is on, bare when not, and whole either way, the longest line too */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report.h"

/* What line_say() wrote through a pipe, NUL-terminated, in buf; its length */
static size_t said(struct line *l, enum line_prio prio, char *buf, size_t len)
{
	int p[2];
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(line_say(l, p[1], prio), 0);
	close(p[1]);
	n = read(p[0], buf, len - 1);
	close(p[0]);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
}

static void prefix_only_when_on(void **state)
{
	struct line l;
	char buf[2048];

	(void)state;
	line_init(&l);
	line_str(&l, "oomreaper: stopping");
	said(&l, PRIO_INFO, buf, sizeof(buf));
	assert_string_equal(buf, "oomreaper: stopping\n");
	line_prio_prefix(true);
	said(&l, PRIO_INFO, buf, sizeof(buf));
	assert_string_equal(buf, "<6>oomreaper: stopping\n");
	said(&l, PRIO_ERR, buf, sizeof(buf));
	assert_string_equal(buf, "<3>oomreaper: stopping\n");
	said(&l, PRIO_WARNING, buf, sizeof(buf));
	assert_string_equal(buf, "<4>oomreaper: stopping\n");
	said(&l, PRIO_NOTICE, buf, sizeof(buf));
	assert_string_equal(buf, "<5>oomreaper: stopping\n");
	line_prio_prefix(false);
}

/* A full line (1023 bytes) keeps its last byte: the prefix is written beside it, not in it */
static void full_line_whole_after_prefix(void **state)
{
	struct line l;
	char buf[2048], text[sizeof(l.buf) + 16];

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 2] = 'Z';
	text[sizeof(text) - 1] = '\0';
	line_init(&l);
	line_str(&l, text);
	assert_int_equal(l.n, sizeof(l.buf) - 1);
	line_prio_prefix(true);
	size_t n = said(&l, PRIO_NOTICE, buf, sizeof(buf));

	line_prio_prefix(false);
	assert_int_equal(n, 3 + sizeof(l.buf));
	assert_memory_equal(buf, "<5>xxx", 6);
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(buf[n - 2], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefix_only_when_on),
		cmocka_unit_test(full_line_whole_after_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
