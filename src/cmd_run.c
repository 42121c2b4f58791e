/* cmd_run.c - `oomreaper run` and `oomreaper check-config`: the daemon's command line */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "daemon.h"
#include "rules.h"

static void usage(FILE *f)
{
	fputs("Usage: oomreaper run [--config FILE] [--cgroup PATH] [--mem-min N%|SIZE]\n"
	      "                     [--mem-kill N%|SIZE] [--swap-min N%|SIZE]\n"
	      "                     [--psi some|full:PCT:SECONDS] [--horizon S] [--grace MS]\n"
	      "                     [--deadline S]\n"
	      "                     [--policy largest|fastest-growing|largest-cgroup]\n"
	      "                     [--group-kill no|leaf|scope] [--qos-order yes|no]\n"
	      "                     [--dry-run] [--log-json FILE|-] [--socket PATH|no]\n"
	      "                     [--metrics-file FILE.prom] [--events-socket PATH]\n"
	      "\n"
	      "Watches memory and acts before the machine thrashes: when a scope runs short, its\n"
	      "victim is chosen as the kernel would, killed through pidfds and reaped.\n"
	      "\n"
	      "  -C, --config FILE  the configuration (default " CONFIG_DEFAULT_PATH
	      ", if it exists)\n"
	      "  -c, --cgroup PATH  watch only this cgroup (v1 memory or v2), with the limits below\n"
	      "      --mem-min L    kill when available memory is under L (default 10%)\n"
	      "      --mem-kill L   SIGKILL at once under L (default 5%)\n"
	      "      --swap-min L   kill when free swap is under L and memory is low (default 10%)\n"
	      "      --psi K:P:S    kill when memory pressure (some or full) is over P% for S s\n"
	      "      --horizon S    kill when the fill rate reaches mem-min within S s (default 0.1)\n"
	      "  -g, --grace MS     SIGTERM first, SIGKILL after MS (default 0: SIGKILL)\n"
	      "  -d, --deadline S   a victim not gone or reaped by then no longer blocks (default 5)\n"
	      "      --policy P     largest (the kernel's badness), fastest-growing, or\n"
	      "                     largest-cgroup (the leaf cgroup whose processes weigh\n"
	      "                     most together, killed whole)\n"
	      "      --group-kill G no: the victim and its sharers (default); leaf: every process\n"
	      "                     of the victim's own cgroup; scope: of the --cgroup scope\n"
	      "      --qos-order yes|no  a pod's QoS class first: BestEffort, Burstable,\n"
	      "                     Guaranteed, then processes in no pod (default no)\n"
	      "  -n, --dry-run      everything but the signals: says what it would kill\n"
	      "      --log-json F   also write JSON Lines events to F (- for stdout)\n"
	      "      --socket PATH  serve oomreaper status and top there (default\n"
	      "                     $RUNTIME_DIRECTORY/socket or /run/oomreaper/socket; no: none)\n"
	      "      --metrics-file F\n"
	      "                     write Prometheus metrics to F (node_exporter's textfile\n"
	      "                     collector) each second and after each event\n"
	      "      --events-socket PATH\n"
	      "                     offer warnings and kills on a unix socket at PATH, for\n"
	      "                     `oomreaper notify` (desktop notifications)\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "SIGHUP reloads the configuration; SIGTERM and SIGINT stop.\n",
	      f);
}

/* Long options that are settings: where each goes in the configuration */
static const struct {
	const char *opt;
	const char *section;
	const char *key;
} settings[] = {
	{ "mem-min", "scope", "mem_min" },	{ "mem-kill", "scope", "mem_kill" },
	{ "swap-min", "scope", "swap_min" },	{ "psi", "scope", "psi" },
	{ "horizon", "scope", "horizon" },	{ "grace", "oomreaper", "grace" },
	{ "deadline", "oomreaper", "deadline" }, { "policy", "oomreaper", "policy" },
	{ "log-json", "oomreaper", "log_json" }, { "reap-delay", "oomreaper", "reap_delay" },
	{ "group-kill", "scope", "group_kill" },
	{ "qos-order", "scope", "qos_order" },
	{ "socket", "oomreaper", "socket" },	{ "metrics-file", "oomreaper", "metrics_file" },
	{ "events-socket", "oomreaper", "events_socket" },
};

#define NSETTINGS (int)(sizeof(settings) / sizeof(settings[0]))

int cmd_run(const char *prog, int argc, char **argv)
{
	struct option opts[NSETTINGS + 6] = {
		{ "config", required_argument, NULL, 'C' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "proc", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
	};
	static struct daemon_args a;
	static struct config conf;
	struct cli c = { .prog = prog, .proc_fd = -1 };
	bool dry_run = false;
	char err[512];
	int o, idx;

	/* static for its size and for the daemon, which keeps it; a second call (the argument
	 * parser's fuzz target) must not find the first's settings in it */
	a = (struct daemon_args){ 0 };
	for (int i = 0; i < NSETTINGS; i++)
		opts[5 + i] = (struct option){ settings[i].opt, required_argument, NULL, 1000 + i };
	while ((o = getopt_long(argc, argv, "C:c:ng:d:h", opts, &idx)) != -1) {
		switch (o) {
		case 'C':
			a.config_path = optarg;
			a.config_given = true;
			break;
		case 'c': a.cgroup = optarg; break;
		case 'n': dry_run = true; break;
		case 'P': c.proc_root = optarg; break;
		case 'g': o = 1000 + 5; goto setting;
		case 'd': o = 1000 + 6; goto setting;
		case 'h': usage(stdout); return 0;
		default:
			if (o < 1000) {
				usage(stderr);
				return EXIT_USAGE;
			}
setting:
			if (a.nov == DAEMON_MAX_OVERRIDES) {
				cli_error(&c, "run: too many settings");
				return EXIT_USAGE;
			}
			a.ov[a.nov++] = (struct override){ settings[o - 1000].opt,
							   settings[o - 1000].section,
							   settings[o - 1000].key, optarg };
		}
	}
	if (optind < argc) {
		cli_error(&c, "run: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (dry_run && a.nov < DAEMON_MAX_OVERRIDES)
		a.ov[a.nov++] = (struct override){ "dry-run", "oomreaper", "dry_run", "yes" };
	if (daemon_config(&a, &conf, err, sizeof(err))) {
		cli_error(&c, "%s", err);
		return EXIT_USAGE;
	}
	rules_warn(&conf, stderr);
	int r = cli_open(&c);

	if (r) {
		/* what the file's rules compiled */
		config_free(&conf);
		return r;
	}
	r = daemon_run(&c, &a, &conf);
	config_free(&conf);
	cli_close(&c);
	return r;
}

int cmd_check_config(const char *prog, int argc, char **argv)
{
	struct cli c = { .prog = prog };
	static struct config conf;
	char err[512];

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: oomreaper check-config FILE\n\nChecks a configuration file and "
		       "prints what it sets, defaults included.\n");
		return 0;
	}
	if (argc != 2) {
		cli_error(&c, "check-config: wants one FILE");
		return EXIT_USAGE;
	}
	if (config_load(&conf, argv[1], err, sizeof(err))) {
		cli_error(&c, "%s", err);
		return EXIT_USAGE;
	}
	/* levels of different units only compare at a scope's memory: this machine's */
	c.proc_root = "/proc";
	c.proc_fd = open(c.proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.proc_fd >= 0 && daemon_check_levels(&c, &conf, err, sizeof(err))) {
		cli_error(&c, "%s", err);
		close(c.proc_fd);
		config_free(&conf);
		return EXIT_USAGE;
	}
	if (c.proc_fd >= 0)
		close(c.proc_fd);
	rules_warn(&conf, stderr);
	printf("# %s: ok\n", argv[1]);
	config_print(&conf, stdout);
	config_free(&conf);
	return 0;
}
