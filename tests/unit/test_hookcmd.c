/* test_hookcmd.c - a hook's command line split into words, and written back (hookcmd.h) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "hookcmd.h"

static void words_of(const char *s, int argc, const char *const *want)
{
	struct hook_cmd h;
	char err[128], *argv[HOOK_ARGS_MAX + 1];

	assert_int_equal(hook_cmd_parse(s, &h, err, sizeof(err)), 0);
	assert_int_equal(h.argc, argc);
	hook_cmd_argv(&h, argv);
	for (int i = 0; i < argc; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[argc]);
}

static void splits_words_with_quotes(void **state)
{
	(void)state;
	words_of("/bin/true", 1, (const char *[]){ "/bin/true" });
	words_of("  /usr/bin/logger\t-t  oom  ", 3,
		 (const char *[]){ "/usr/bin/logger", "-t", "oom" });
	words_of("/x 'two words' \"say \\\"hi\\\" \\\\ \\n\" a\\ b ''", 5,
		 (const char *[]){ "/x", "two words", "say \"hi\" \\ \\n", "a b", "" });
	/* no shell: its characters are only bytes */
	words_of("/x $HOME;rm `id` |", 4, (const char *[]){ "/x", "$HOME;rm", "`id`", "|" });
	words_of("/x it\\'s' quoted'", 2, (const char *[]){ "/x", "it's quoted" });
}

static void refuses_what_it_cannot_run(void **state)
{
	static const char *const bad[] = { "", "   ", "logger -t oom", "./hook", "/x 'open",
					   "/x \"open", "/x end\\" };
	struct hook_cmd h;
	char err[128], big[HOOK_CMD_MAX + 16], many[40 * 3 + 8];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(hook_cmd_parse(bad[i], &h, err, sizeof(err)), -EINVAL);
		assert_true(err[0]);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = 0;
	assert_int_equal(hook_cmd_parse(big, &h, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "the command is too long");
	strcpy(many, "/x");
	for (int i = 0; i < 40; i++)
		strcat(many, " a");
	assert_int_equal(hook_cmd_parse(many, &h, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "more than 32 words");
}

/* What check-config prints is read back as the same words */
static void formats_back_to_the_same_words(void **state)
{
	static const char *const cmds[] = { "/bin/true", "/x 'two words' it\\'s \"a\\\"b\" ''" };
	struct hook_cmd h, back;
	char err[128], out[2 * HOOK_CMD_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(hook_cmd_parse(cmds[i], &h, err, sizeof(err)), 0);
		hook_cmd_format(&h, out, sizeof(out));
		assert_int_equal(hook_cmd_parse(out, &back, err, sizeof(err)), 0);
		assert_int_equal(back.argc, h.argc);
		for (int k = 0; k < h.argc; k++)
			assert_string_equal(back.buf + back.off[k], h.buf + h.off[k]);
	}
}

/* The keys in the configuration: per scope, and the timeout in [oomreaper] */
static void config_keys(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.hook_timeout_ms, 10000);
	assert_int_equal(c.scopes[0].warn_exec.argc, 0);
	assert_int_equal(config_set(&c, "global", "warn_exec", "/bin/logger -t 'oom warn'", err,
				    sizeof(err)), 0);
	assert_int_equal(c.scopes[0].warn_exec.argc, 3);
	assert_int_equal(config_set(&c, "cgroup /sys/fs/cgroup/memory/x", "post_kill_exec",
				    "/bin/true", err, sizeof(err)), 0);
	assert_int_equal(c.nscopes, 2);
	assert_int_equal(c.scopes[1].post_kill_exec.argc, 1);
	assert_int_equal(c.scopes[1].warn_exec.argc, 0);
	assert_int_equal(config_set(&c, "oomreaper", "hook_timeout", "2.5", err, sizeof(err)), 0);
	assert_int_equal(c.hook_timeout_ms, 2500);
	assert_int_equal(config_set(&c, "oomreaper", "hook_timeout", "0", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(config_set(&c, "global", "post_kill_exec", "notify-send hi", err,
				    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "post_kill_exec = 'notify-send hi': the program must be an "
				    "absolute path"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_words_with_quotes),
		cmocka_unit_test(refuses_what_it_cannot_run),
		cmocka_unit_test(formats_back_to_the_same_words),
		cmocka_unit_test(config_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
