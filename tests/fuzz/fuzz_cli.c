/*
 * fuzz_cli.c - the argument parsing of each subcommand, without running it: cli_open(), where
 * every command but check-config starts to act, is wrapped (-Wl,--wrap) to stop there; a
 * --config or check-config FILE is read only below tests/ or contrib/ (the corpus names
 * those), never a path the fuzzer made up (/proc/kmsg, a FIFO: a read that blocks or takes).
 * Input: the subcommand's index in one byte, then its arguments cut at NUL bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "config.h"
#include "fuzz.h"

#define MAX_ARGS 64

/* Where a parse that got through would start the command: stop, with a status of its own */
#define PARSED 99

int __wrap_cli_open(struct cli *c);
int __real_config_load(struct config *c, const char *path, char *err, size_t errlen);
int __wrap_config_load(struct config *c, const char *path, char *err, size_t errlen);

int __wrap_cli_open(struct cli *c)
{
	(void)c;
	return PARSED;
}

int __wrap_config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	bool ours = (!strncmp(path, "tests/", 6) || !strncmp(path, "contrib/", 8)) &&
		    !strstr(path, "..");

	if (ours)
		return __real_config_load(c, path, err, errlen);
	config_defaults(c);
	snprintf(err, errlen, "%s: %s", path, strerror(ENOENT));
	return -ENOENT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *name;
		int (*run)(const char *prog, int argc, char **argv);
	} cmds[] = {
		{ "list", cmd_list },   { "explain", cmd_explain },
		{ "kill", cmd_kill },   { "run", cmd_run },
		{ "check-config", cmd_check_config },
	};
	char *argv[MAX_ARGS + 2];
	const uint8_t *part;
	size_t pos = 1;
	long len;
	int argc = 1;

	if (!size)
		return 0;
	int k = data[0] % (int)(sizeof(cmds) / sizeof(cmds[0]));

	argv[0] = strdup(cmds[k].name);
	while (argc < MAX_ARGS && (len = fuzz_part(data, size, &pos, &part)) >= 0)
		argv[argc++] = fuzz_cstr(part, (size_t)len);
	argv[argc] = NULL;
	/* getopt's state starts afresh: optind 0 makes glibc reinitialise it */
	optind = 0;
	opterr = 1;
	int r = cmds[k].run("oomreaper", argc, argv);

	FUZZ_CHECK(r == 0 || r == EXIT_NOTHING || r == EXIT_USAGE || r == PARSED,
		   "%s: status %d", cmds[k].name, r);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
