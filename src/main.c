/* main.c - oomreaper: a userspace OOM killer with a memory reaper */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"

#ifndef OOMREAPER_VERSION
#define OOMREAPER_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fputs("Usage: oomreaper COMMAND [OPTIONS]\n"
	      "\n"
	      "A userspace OOM killer with a memory reaper.\n"
	      "\n"
	      "Commands:\n"
	      "  list [--cgroup PATH] [--all] [--json] [-n N]\n"
	      "                     rank the processes of a scope by the kernel's OOM badness\n"
	      "  explain PID [--cgroup PATH] [--json]\n"
	      "                     show how a process's badness is made up and whether it\n"
	      "                     would be chosen\n"
	      "  kill [--cgroup PATH] [--pid PID] [--dry-run] [--grace MS] [--deadline S]\n"
	      "       [--group-kill no|leaf|scope] [--kill-cgroup] [--json]\n"
	      "                     one OOM kill now, with the reap of the victim's memory\n"
	      "  run [--config FILE] [--cgroup PATH] [--dry-run] [...]\n"
	      "                     the daemon: watch memory, kill before the machine thrashes\n"
	      "  check-config FILE  check a configuration file\n"
	      "  status [--json] [--socket PATH]\n"
	      "                     what the running daemon sees: scopes, levels, victims, kills\n"
	      "  top [--socket PATH]\n"
	      "                     the same, live in the terminal (q quits)\n"
	      "  notify [--socket PATH]\n"
	      "                     in a desktop session: show the daemon's warnings and kills\n"
	      "                     as notifications\n"
	      "\n"
	      "  -h, --help         this text ('oomreaper COMMAND --help' for a command's)\n"
	      "  -V, --version      the version\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const char *prog, int argc, char **argv);
	} cmds[] = {
		{ "list", cmd_list },
		{ "explain", cmd_explain },
		{ "kill", cmd_kill },
		{ "run", cmd_run },
		{ "check-config", cmd_check_config },
		{ "status", cmd_status },
		{ "top", cmd_top },
		{ "notify", cmd_notify },
	};
	const char *prog = "oomreaper";

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("oomreaper %s\n", OOMREAPER_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(prog, argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s' (see '%s --help')\n", prog, argv[1], prog);
	return EXIT_USAGE;
}
