/* cmd_explain.c - `oomreaper explain PID`: the badness arithmetic, step by step */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "identity.h"
#include "json.h"
#include "scan.h"
#include "select.h"
#include "survey.h"
#include "text.h"

static void usage(FILE *f)
{
	fputs("Usage: oomreaper explain PID [--cgroup PATH] [--json] [--proc DIR]\n"
	      "\n"
	      "Shows how the kernel's OOM badness of PID is made up, where it ranks in its\n"
	      "scope, which processes share its memory, and whether it would be chosen.\n"
	      "\n"
	      "  -c, --cgroup PATH  scope: a cgroup v1 memory or v2 directory (default: global)\n"
	      "  -j, --json         one JSON object instead of the text\n"
	      "      --proc DIR     read processes from DIR instead of /proc\n"
	      "  -h, --help         this text\n",
	      f);
}

/*
 * Whether p would be chosen, from the one judgement (judged: select_judge) and the selection
 * (ch), as `kill` would do it; why, in why (after "yes" or "no"); its rank among the
 * candidates in *rank (0 when it is none of them).
 */
static bool verdict(const struct survey *sv, struct proc_info *p, const struct proc_info *judged,
		    const struct choice *ch, char *why, size_t len, int *rank)
{
	const struct proc_table *t = &sv->table;
	char reason[256], comm[COMM_CLEAN_LEN];

	*rank = 0;
	/* the judgement sees what the survey of the scope cannot: a sharer outside it, say */
	if (p->excl == EXCL_NONE && judged->excl != EXCL_NONE) {
		p->excl = judged->excl;
		p->excl_pid = judged->excl_pid;
		p->rule = judged->rule;
	}
	if (p->excl != EXCL_NONE) {
		snprintf(why, len, ": %s", exclusion_describe(p, reason, sizeof(reason)));
		return false;
	}
	for (int k = 0; k < sv->eligible; k++)
		if (&t->procs[sv->order[k]] == p)
			*rank = k + 1;
	int ti = ch->found ? table_find(t, ch->victim.pid) : -1;
	const struct proc_info *top = ti >= 0 ? &t->procs[ti] : NULL;

	if (top == p) {
		snprintf(why, len, ": it would be the victim%s",
			 p->group_size > 1 ? ", and every process sharing its memory with it" : "");
		return true;
	}
	if (top && top->group == p->group) {
		snprintf(why, len, ", with %d (%s), which ranks first and shares its memory",
			 (int)top->pid, text_cleaned(top->comm, comm, sizeof(comm)));
		return true;
	}
	if (ch->found)
		snprintf(why, len, ": %d (%s) ranks first with badness %ld", (int)ch->victim.pid,
			 text_cleaned(ch->victim.comm, comm, sizeof(comm)), ch->victim.badness);
	else
		snprintf(why, len, ": the selection chose nobody");
	return false;
}

/* "pod UID (class), container ID, unit U", what of it is known, into buf (len > 64) */
static const char *identity_text(const struct proc_info *p, char *buf, size_t len)
{
	struct identity id;
	size_t o = 0;

	if (!p->cgroup) {
		snprintf(buf, len, "not known (its cgroup file could not be read)");
		return buf;
	}
	buf[0] = '\0';
	/* a malformed part is said; what it would have given stays out */
	if (identity_parse(p->cgroup, &id))
		o += (size_t)snprintf(buf + o, len - o, "%s; ", id.why);
	if (id.pod_uid[0] && o < len)
		o += (size_t)snprintf(buf + o, len - o, "pod %s (%s), ", id.pod_uid,
				      qos_name(id.qos));
	if (id.container_id[0] && o < len)
		o += (size_t)snprintf(buf + o, len - o, "container %s, ", id.container_id);
	if (id.unit[0] && o < len)
		o += (size_t)snprintf(buf + o, len - o, "unit %s, ", id.unit);
	if (o >= len)
		return buf;
	if (o >= 2 && buf[o - 2] == ',')
		buf[o - 2] = '\0';
	else
		snprintf(buf + o, len - o, "no pod, container or unit");
	return buf;
}

/* The same as one JSON object: the figures, the verdict, the identity */
static void explain_json(const struct survey *sv, struct proc_info *p,
			 const struct proc_info *judged, const struct choice *ch, const char *scope)
{
	char why[512];
	int rank;
	bool chosen = verdict(sv, p, judged, ch, why, sizeof(why), &rank);
	struct identity id;

	printf("{\"pid\": %d, \"comm\": ", (int)p->pid);
	json_string(stdout, p->comm, strlen(p->comm));
	fputs(", \"scope\": ", stdout);
	json_string(stdout, scope, strlen(scope));
	printf(", \"oom_score_adj\": %d, \"uid\": %u, \"points\": %ld, \"totalpages\": %lu",
	       p->oom_score_adj, (unsigned)p->uid, p->points, sv->ctx.totalpages);
	if (p->excl == EXCL_NONE)
		printf(", \"badness\": %ld, \"score\": %ld, \"rank\": %d", p->badness, p->score,
		       rank);
	printf(", \"chosen\": %s, \"why\": ", chosen ? "true" : "false");
	/* without the ": " or ", " that joins it to "yes" or "no" in the text */
	json_string(stdout, why + 2, strlen(why + 2));
	fputs(", \"cgroup\": ", stdout);
	if (p->cgroup) {
		json_string(stdout, p->cgroup, strlen(p->cgroup));
		identity_parse(p->cgroup, &id);
		json_identity(stdout, &id);
	} else {
		fputs("null", stdout);
	}
	fputs("}\n", stdout);
}

/*
 * p's arithmetic from the survey; whether it may be chosen from the one judgement (judged:
 * select_judge), and whether it would be from the selection (ch), as `kill` would do it.
 */
static void explain(const struct survey *sv, struct proc_info *p, const struct proc_info *judged,
		    const struct choice *ch, const char *scope)
{
	const struct proc_table *t = &sv->table;
	const struct rank_ctx *c = &sv->ctx;
	unsigned long pk = c->page_kb;
	unsigned long rss = p->rss_anon_kb + p->rss_file_kb + p->rss_shmem_kb;
	char reason[256], comm[COMM_CLEAN_LEN], path[4 * PATH_MAX], why[512], idtext[1024];
	int rank;

	printf("PID %d (%s), scope %s\n", (int)p->pid, text_cleaned(p->comm, comm, sizeof(comm)),
	       text_cleaned(scope, path, sizeof(path)));
	printf("  oom_score_adj %d, uid %u, state %c, ppid %d\n", p->oom_score_adj,
	       (unsigned)p->uid, p->state, (int)p->ppid);
	printf("  identity     %s\n", text_cleaned(identity_text(p, idtext, sizeof(idtext)), path,
						     sizeof(path)));
	if (p->excl == EXCL_VANISHED || p->excl == EXCL_UNREADABLE) {
		printf("  chosen       no: %s\n", exclusion_describe(p, reason, sizeof(reason)));
		return;
	}
	printf("  rss          anon %lu kB + file %lu kB + shmem %lu kB = %lu pages\n",
	       p->rss_anon_kb, p->rss_file_kb, p->rss_shmem_kb, rss / pk);
	printf("  swap         %lu kB = %lu pages\n", p->swap_kb, p->swap_kb / pk);
	printf("  page tables  %lu kB = %lu pages\n", p->pgtables_kb, p->pgtables_kb / pk);
	printf("  points       %lu + %lu + %lu = %ld pages\n", rss / pk, p->swap_kb / pk,
	       p->pgtables_kb / pk, p->points);
	long adj = (long)p->oom_score_adj * (long)(c->totalpages / 1000);

	printf("  adj          %d * (totalpages %lu / 1000) = %ld\n", p->oom_score_adj,
	       c->totalpages, adj);
	printf("  badness      %ld + %ld = %ld\n", p->points, adj, p->points + adj);
	long gb = oom_badness_of(p->points, p->oom_score_adj, c->global_totalpages);

	/* oom_score uses the global totalpages, and is 0 for whoever cannot be chosen */
	if (p->excl == EXCL_NONE)
		printf("  score        (1000 + %ld * 1000 / %lu) * 2 / 3 = %ld", gb,
		       c->global_totalpages, p->score);
	else
		printf("  score        0, as it cannot be chosen (else %ld)",
		       oom_score_of(gb, c->global_totalpages));
	if (p->kernel_score >= 0)
		printf("   (kernel's oom_score: %ld)", p->kernel_score);
	putchar('\n');

	printf("  shares mm    ");
	if (p->group_size < 2)
		printf("with no other process");
	for (int j = p->group, any = 0; j >= 0 && p->group_size > 1; j = t->procs[j].group_next) {
		const struct proc_info *q = &t->procs[j];

		if (q->pid == p->pid)
			continue;
		printf("%s%d (%s)%s", any++ ? ", " : "", (int)q->pid,
		       text_cleaned(q->comm, comm, sizeof(comm)),
		       q->pid == p->ppid ? " its parent" : q->ppid == p->pid ? " its child" : "");
	}
	putchar('\n');

	bool chosen = verdict(sv, p, judged, ch, why, sizeof(why), &rank);

	if (rank)
		printf("  rank         %d of %d candidates\n", rank, sv->eligible);
	printf("  chosen       %s%s\n", chosen ? "yes" : "no", why);
	/* the same walk's runner-up as the daemon's kill event gives (select.h) */
	if (ch->found && ch->has_runner_up)
		printf("  runner-up    %d (%s) badness %ld, margin %ld behind the victim\n",
		       (int)ch->runner_up.pid, text_cleaned(ch->runner_up.comm, comm, sizeof(comm)),
		       ch->runner_up.badness, ch->victim.badness - ch->runner_up.badness);
	else if (ch->found)
		printf("  runner-up    none: no other candidate\n");
}

int cmd_explain(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "proc", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = prog, .proc_fd = -1 };
	pid_t pid;
	bool json = false;
	int o;

	while ((o = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': c.cgroup = optarg; break;
		case 'j': json = true; break;
		case 'P': c.proc_root = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error(&c, "explain: wants one PID");
		return EXIT_USAGE;
	}
	if (cli_parse_pid(argv[optind], &pid)) {
		cli_error(&c, "explain: '%s' is not a PID", argv[optind]);
		return EXIT_USAGE;
	}
	int r = cli_open(&c);

	if (r)
		return r;
	struct survey sv;
	char scope[PATH_MAX + 32];

	scope_name(&c.scope, scope, sizeof(scope));
	r = survey_take(&sv, &c.scope, c.proc_fd, c.self, scan_default_threads(), c.same_mm,
			NULL);
	if (r) {
		cli_error(&c, "explain: cannot read the processes of %s: %s", scope,
			  strerror(-r));
		cli_close(&c);
		return EXIT_NOTHING;
	}
	int i = table_find(&sv.table, pid);
	struct selector sel = { .proc_fd = c.proc_fd, .self = c.self,
				.threads = scan_default_threads(),
				.same_mm = c.same_mm ? c.same_mm : kcmp_vm };
	struct proc_info judged;
	struct choice ch;

	if (i < 0) {
		cli_error(&c, "explain: no process %d in scope %s", (int)pid, scope);
		r = EXIT_NOTHING;
	} else {
		int n = select_all_pids(&sel);
		const pid_t *all = selector_pids(&sel);

		/* what `kill --pid` and `kill` would make of it: the same calls */
		r = n < 0 ? n : select_judge(&sel, &c.scope, pid, all, n, &judged, NULL);
		if (r >= 0)
			r = select_victim(&sel, &c.scope, &ch);
		if (r < 0) {
			cli_error(&c, "explain: cannot read the processes of %s: %s", scope,
				  strerror(-r));
			r = EXIT_NOTHING;
		} else {
			if (json)
				explain_json(&sv, &sv.table.procs[i], &judged, &ch, scope);
			else
				explain(&sv, &sv.table.procs[i], &judged, &ch, scope);
			r = 0;
		}
	}
	selector_free(&sel);
	survey_free(&sv);
	cli_close(&c);
	return r;
}
