/* hookcmd.c - a hook's command line split into words at configuration load (hookcmd.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hookcmd.h"

static int fail(char *err, size_t len, const char *why)
{
	snprintf(err, len, "%s", why);
	return -EINVAL;
}

int hook_cmd_parse(const char *s, struct hook_cmd *h, char *err, size_t len)
{
	size_t n = 0;
	bool in_word = false;

	memset(h, 0, sizeof(*h));
	for (;;) {
		char c = *s++;
		char quote = 0;

		if (c == ' ' || c == '\t' || c == 0) {
			if (in_word) {
				if (n >= sizeof(h->buf))
					return fail(err, len, "the command is too long");
				h->buf[n++] = 0;
				in_word = false;
			}
			if (!c)
				break;
			continue;
		}
		if (!in_word) {
			if (h->argc == HOOK_ARGS_MAX)
				return fail(err, len, "more than 32 words");
			h->off[h->argc++] = (short)n;
			in_word = true;
		}
		if (c == '\'' || c == '"') {
			quote = c;
			for (;;) {
				c = *s++;
				if (!c)
					return fail(err, len, quote == '\'' ? "a ' without its end"
									 : "a \" without its end");
				if (c == quote)
					break;
				if (quote == '"' && c == '\\' && (*s == '"' || *s == '\\'))
					c = *s++;
				if (n >= sizeof(h->buf) - 1)
					return fail(err, len, "the command is too long");
				h->buf[n++] = c;
			}
			continue;
		}
		if (c == '\\') {
			if (!*s)
				return fail(err, len, "a \\ at the end");
			c = *s++;
		}
		if (n >= sizeof(h->buf) - 1)
			return fail(err, len, "the command is too long");
		h->buf[n++] = c;
	}
	if (!h->argc)
		return fail(err, len, "no program given");
	if (h->buf[0] != '/') {
		h->argc = 0;
		return fail(err, len, "the program must be an absolute path (no shell, no PATH "
				      "search)");
	}
	return 0;
}

void hook_cmd_argv(const struct hook_cmd *h, char **argv)
{
	for (int i = 0; i < h->argc; i++)
		argv[i] = (char *)h->buf + h->off[i];
	argv[h->argc] = NULL;
}

/* Appends c to out when it fits with the NUL */
static void put(char *out, size_t len, size_t *n, char c)
{
	if (*n + 1 < len)
		out[(*n)++] = c;
	out[*n] = 0;
}

void hook_cmd_format(const struct hook_cmd *h, char *out, size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	out[0] = 0;
	for (int i = 0; i < h->argc; i++) {
		if (i)
			put(out, len, &n, ' ');
		/* in '...' every byte stands for itself; a ' itself closes them, goes as \',
		 * and opens them again */
		put(out, len, &n, '\'');
		for (const char *p = h->buf + h->off[i]; *p; p++) {
			if (*p == '\'') {
				put(out, len, &n, '\'');
				put(out, len, &n, '\\');
				put(out, len, &n, '\'');
			}
			put(out, len, &n, *p);
		}
		put(out, len, &n, '\'');
	}
}
