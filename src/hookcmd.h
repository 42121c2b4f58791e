/* hookcmd.h - pure: a hook's command line (warn_exec, post_kill_exec), split into its words
 * once, when the configuration is loaded, so that running it later needs no parsing and no
 * allocation */
#ifndef OOMREAPER_HOOKCMD_H
#define OOMREAPER_HOOKCMD_H

#include <stdbool.h>
#include <stddef.h>

/* The longest command, its words and their NULs together, and the most words it may have */
#define HOOK_CMD_MAX 1024
#define HOOK_ARGS_MAX 32

/*
 * A command: its words one after the other in buf, each ended by a NUL, word k at off[k].
 * Offsets, not pointers: a configuration may be copied. argc 0: no hook.
 */
struct hook_cmd {
	char buf[HOOK_CMD_MAX];
	short off[HOOK_ARGS_MAX];
	int argc;
};

/*
 * Splits s into words, no shell: words are separated by spaces or tabs; within '...' every
 * byte stands for itself; within "..." a backslash makes the next " or \ literal; elsewhere
 * a backslash makes the next byte literal. The first word must be an absolute path (no
 * PATH search). Returns 0, or -EINVAL with the reason in err (an unended quote, a relative
 * program, too long, too many words, empty).
 */
int hook_cmd_parse(const char *s, struct hook_cmd *h, char *err, size_t len);

/* Points argv[0..argc-1] at h's words and argv[argc] at NULL; argv has HOOK_ARGS_MAX + 1 */
void hook_cmd_argv(const struct hook_cmd *h, char **argv);

/* Writes the command back as the file would hold it, each word quoted, into out (len). */
void hook_cmd_format(const struct hook_cmd *h, char *out, size_t len);

#endif
