/* cmd_list.c - `oomreaper list`: the candidates of a scope, ranked as the kernel would */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgrank.h"
#include "cli.h"
#include "cmds.h"
#include "config.h"
#include "json.h"
#include "scan.h"
#include "select.h"
#include "survey.h"
#include "text.h"

static void usage(FILE *f)
{
	fputs("Usage: oomreaper list [--cgroup PATH] [--all] [--json] [-n N] [--policy P]\n"
	      "                      [--proc DIR]\n"
	      "\n"
	      "Ranks the processes of a scope by the kernel's OOM badness, biggest first.\n"
	      "\n"
	      "  -c, --cgroup PATH  scope: a cgroup v1 memory or v2 directory and its descendants\n"
	      "                     (default: the whole machine)\n"
	      "  -a, --all          also list the processes that cannot be chosen, with the reason\n"
	      "  -j, --json         one JSON object instead of a table\n"
	      "  -n, --count N      at most N rows\n"
	      "      --policy P     largest (default): processes; largest-cgroup: the units that\n"
	      "                     policy ranks, leaf cgroups whole and processes alone\n"
	      "      --proc DIR     read processes from DIR instead of /proc (a fixture or copy;\n"
	      "                     address-space sharing cannot be told there)\n"
	      "  -h, --help         this text\n",
	      f);
}

/* Writes the pids of p's group other than p, comma separated, into buf. */
static const char *sharers(const struct proc_table *t, const struct proc_info *p, char *buf,
			   size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int j = p->group; j >= 0 && p->group_size > 1; j = t->procs[j].group_next) {
		if (t->procs[j].pid == p->pid)
			continue;
		int w = snprintf(buf + o, len - o, "%s%d", o ? "," : "", (int)t->procs[j].pid);

		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
	return buf;
}

static void print_json_proc(const struct survey *sv, const struct proc_info *p, bool first)
{
	const struct proc_table *t = &sv->table;
	char reason[256];

	printf("%s\n    {\"pid\": %d, \"comm\": ", first ? "" : ",", (int)p->pid);
	json_string(stdout, p->comm, strlen(p->comm));
	printf(", \"state\": \"%c\", \"ppid\": %d, \"start_time\": %llu, \"eligible\": %s, "
	       "\"reason\": ",
	       p->state ? p->state : '?', (int)p->ppid, p->start_time,
	       p->excl == EXCL_NONE ? "true" : "false");
	if (p->excl == EXCL_NONE) {
		fputs("null", stdout);
	} else {
		exclusion_describe(p, reason, sizeof(reason));
		json_string(stdout, reason, strlen(reason));
	}
	if (p->excl == EXCL_NONE)
		printf(", \"badness\": %ld", p->badness);
	else
		fputs(", \"badness\": null", stdout);
	printf(", \"score\": %ld, \"kernel_score\": ", p->score);
	if (p->kernel_score >= 0)
		printf("%ld", p->kernel_score);
	else
		fputs("null", stdout);
	printf(", \"oom_score_adj\": %d, \"total_vm_kb\": %lu, \"rss_anon_kb\": %lu, "
	       "\"rss_file_kb\": %lu, \"rss_shmem_kb\": %lu, \"swap_kb\": %lu, "
	       "\"pgtables_kb\": %lu, \"uid\": %u, \"kthread\": %s, \"vfork_child\": %s, "
	       "\"cgroup\": ",
	       p->oom_score_adj, p->total_vm_kb, p->rss_anon_kb, p->rss_file_kb, p->rss_shmem_kb,
	       p->swap_kb, p->pgtables_kb, (unsigned)p->uid,
	       p->flags & PF_KTHREAD ? "true" : "false", p->vfork_child ? "true" : "false");
	if (p->cgroup)
		json_string(stdout, p->cgroup, strlen(p->cgroup));
	else
		fputs("null", stdout);
	if (p->cgroup) {
		struct identity id;

		/* what a malformed part would have given stays out; the rest is known */
		identity_parse(p->cgroup, &id);
		json_identity(stdout, &id);
	}
	fputs(", \"shares_mm_with\": [", stdout);
	bool any = false;

	for (int j = p->group; j >= 0 && p->group_size > 1; j = t->procs[j].group_next) {
		if (t->procs[j].pid == p->pid)
			continue;
		printf("%s%d", any ? ", " : "", (int)t->procs[j].pid);
		any = true;
	}
	fputs("]}", stdout);
}

static void print_json(const struct survey *sv, const char *scope, bool all, int limit)
{
	bool first = true;
	int rows = 0;

	fputs("{\"scope\": ", stdout);
	json_string(stdout, scope, strlen(scope));
	printf(", \"totalpages\": %lu, \"global_totalpages\": %lu, \"page_kb\": %lu, "
	       "\"processes\": [",
	       sv->ctx.totalpages, sv->ctx.global_totalpages, sv->ctx.page_kb);
	for (int k = 0; k < sv->table.n && rows < limit; k++) {
		const struct proc_info *p = &sv->table.procs[sv->order[k]];

		if (!all && p->excl != EXCL_NONE)
			break;
		print_json_proc(sv, p, first);
		first = false;
		rows++;
	}
	fputs("\n]}\n", stdout);
}

/*
 * comm, cleaned (text.h), in the COMM column: cut to its 16 bytes at a character's end and
 * padded to 16 columns (a UTF-8 character takes one), so a row stays one aligned line
 */
static void print_comm(const char *comm)
{
	char buf[17];
	int cols = 0;

	text_cleaned(comm, buf, sizeof(buf));
	for (const char *c = buf; *c; c++)
		cols += ((unsigned char)*c & 0xc0) != 0x80;
	printf("%s%*s", buf, 16 - cols, "");
}

static void print_row(const struct survey *sv, const struct proc_info *p, bool follower,
		      bool all)
{
	char rss[16], swap[16], pte[16], shares[128], reason[256];

	printf("%8d ", (int)p->pid);
	print_comm(p->comm);
	if (p->excl == EXCL_NONE)
		printf(" %12ld %5ld %5d", p->badness, p->score, p->oom_score_adj);
	else
		printf(" %12s %5s %5d", "-", "-", p->oom_score_adj);
	if (follower)
		printf(" %7s %7s %7s", "shared", "", "");
	else
		printf(" %7s %7s %7s", cli_size(p->rss_anon_kb + p->rss_file_kb + p->rss_shmem_kb,
					     rss, sizeof(rss)),
		       cli_size(p->swap_kb, swap, sizeof(swap)),
		       cli_size(p->pgtables_kb, pte, sizeof(pte)));
	printf(" %-12s", sharers(&sv->table, p, shares, sizeof(shares)));
	if (all && p->excl != EXCL_NONE)
		printf(" %s", exclusion_describe(p, reason, sizeof(reason)));
	putchar('\n');
}

static void print_table(const struct survey *sv, const char *scope, bool all, int limit)
{
	const struct proc_table *t = &sv->table;
	bool *shown = calloc((size_t)t->n + 1, sizeof(bool));
	int rows = 0;

	if (!shown)
		return;
	printf("scope %s: totalpages %lu, %d candidates of %d processes\n", scope,
	       sv->ctx.totalpages, sv->eligible, t->n);
	printf("%8s %-16s %12s %5s %5s %7s %7s %7s %-12s%s\n", "PID", "COMM", "BADNESS", "SCORE",
	       "ADJ", "RSS", "SWAP", "PGTBL", "SHARES", all ? " REASON" : "");
	for (int k = 0; k < t->n && rows < limit; k++) {
		int i = sv->order[k];
		const struct proc_info *p = &t->procs[i];

		if (shown[i] || (!all && p->excl != EXCL_NONE))
			continue;
		print_row(sv, p, false, all);
		shown[i] = true;
		rows++;
		/* one address space, one entry: its other members follow, memory counted once */
		for (int j = p->group; j >= 0 && p->group_size > 1 && rows < limit;
		     j = t->procs[j].group_next) {
			if (shown[j] || (!all && t->procs[j].excl != EXCL_NONE))
				continue;
			print_row(sv, &t->procs[j], true, all);
			shown[j] = true;
			rows++;
		}
	}
	free(shown);
}

/*
 * Policy largest-cgroup's ranking of the survey's processes: leaf cgroups whole, the others'
 * processes alone, best first, as the kill would choose (without its rules). Returns 0, or
 * -ENOMEM.
 */
static int print_cgroups(const struct cli *c, const struct survey *sv, const char *scope,
			 bool json, int limit)
{
	int n = sv->table.n;
	struct cg_cand *cand = calloc((size_t)n + 1, sizeof(*cand));
	struct cg_unit *u = malloc(sizeof(*u) * ((size_t)n + 1));
	int *order = malloc(sizeof(int) * ((size_t)n + 1));
	char rss[16], comm[COMM_CLEAN_LEN];

	if (!cand || !u || !order) {
		free(cand);
		free(u);
		free(order);
		return -ENOMEM;
	}
	select_cg_cands(c->proc_fd, &c->scope, &sv->table, cand);
	int k = cg_rank(cand, n, u, order);

	if (json) {
		fputs("{\"scope\": ", stdout);
		json_string(stdout, scope, strlen(scope));
		printf(", \"policy\": \"largest-cgroup\", \"units\": [");
	} else {
		printf("scope %s: policy largest-cgroup, %d units of %d processes\n", scope, k, n);
		printf("%4s %12s %6s %6s %7s %8s %-16s %s\n", "RANK", "BADNESS", "PROCS",
		       "ELIG", "RSS", "BEST", "COMM", "CGROUP (KILL)");
	}
	for (int i = 0; i < k && i < limit; i++) {
		const struct proc_info *b = cand[u[i].best].p;
		const char *how = u[i].single == CG_WHOLE ? "whole"
							  : cg_single_reason(u[i].single);

		if (json) {
			printf("%s\n    {\"cgroup\": ", i ? "," : "");
			if (u[i].cgroup)
				json_string(stdout, u[i].cgroup, strlen(u[i].cgroup));
			else
				fputs("null", stdout);
			printf(", \"whole\": %s, \"alone\": ", u[i].single == CG_WHOLE ? "true"
										 : "false");
			if (u[i].single == CG_WHOLE)
				fputs("null", stdout);
			else
				json_string(stdout, how, strlen(how));
			printf(", \"members\": %d, \"eligible\": %d, \"badness\": %ld, "
			       "\"rss_kb\": %lu, \"best_pid\": %d, \"best_comm\": ", u[i].members,
			       u[i].eligible, u[i].badness, u[i].rss_kb, (int)b->pid);
			json_string(stdout, b->comm, strlen(b->comm));
			putchar('}');
			continue;
		}
		printf("%4d %12ld %6d %6d %7s %8d %-16s %s (%s)\n", i + 1, u[i].badness,
		       u[i].members, u[i].eligible, cli_size(u[i].rss_kb, rss, sizeof(rss)),
		       (int)b->pid, text_cleaned(b->comm, comm, sizeof(comm)),
		       u[i].cgroup ? u[i].cgroup : "-", how);
	}
	if (json)
		fputs("\n]}\n", stdout);
	select_cg_cands_free(cand, n);
	free(u);
	free(order);
	return 0;
}

int cmd_list(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' }, { "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },	    { "count", required_argument, NULL, 'n' },
		{ "proc", required_argument, NULL, 'P' },   { "help", no_argument, NULL, 'h' },
		{ "policy", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = prog, .proc_fd = -1 };
	bool all = false, json = false;
	enum policy policy = POLICY_LARGEST;
	int limit = INT_MAX, o;

	while ((o = getopt_long(argc, argv, "c:ajn:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': c.cgroup = optarg; break;
		case 'a': all = true; break;
		case 'j': json = true; break;
		case 'P': c.proc_root = optarg; break;
		case 'O':
			if (parse_policy(optarg, &policy) || policy == POLICY_FASTEST_GROWING) {
				cli_error(&c, "list: --policy wants largest or largest-cgroup, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (cli_parse_count(optarg, &limit)) {
				cli_error(&c, "list: -n wants a count, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error(&c, "list: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	int r = cli_open(&c);

	if (r)
		return r;
	struct survey sv;
	char scope[PATH_MAX + 32];

	/* the table shows neither the cgroup nor the kernel's own score: JSON does */
	r = survey_take_what(&sv, &c.scope, c.proc_fd, c.self, scan_default_threads(), c.same_mm,
			     NULL, SCAN_DETAIL | (json ? SCAN_CGROUP | SCAN_SCORE : 0));
	if (r) {
		cli_error(&c, "list: cannot read the processes of %s: %s",
			  scope_name(&c.scope, scope, sizeof(scope)), strerror(-r));
		cli_close(&c);
		return EXIT_NOTHING;
	}
	scope_name(&c.scope, scope, sizeof(scope));
	if (policy == POLICY_LARGEST_CGROUP)
		r = print_cgroups(&c, &sv, scope, json, limit);
	else if (json)
		print_json(&sv, scope, all, limit);
	else
		print_table(&sv, scope, all, limit);
	survey_free(&sv);
	cli_close(&c);
	return r ? EXIT_NOTHING : 0;
}
