/* cmd_kill.c - `oomreaper kill`: one OOM kill now, the userspace SysRq-f, then the reap */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgkill.h"
#include "cgrank.h"
#include "cli.h"
#include "cmds.h"
#include "config.h"
#include "json.h"
#include "reap.h"
#include "report.h"
#include "scan.h"
#include "select.h"
#include "sys.h"
#include "text.h"

/* How often a victim that changes under us (exits, pid reused) is chosen again */
#define KILL_TRIES 3
/* After the reap, how long to wait for the exit so its time can be reported */
#define EXIT_WAIT_MS 1000
/* After the exit, how long to wait for the reaper's word before returning without it; and
 * how long before the deadline the reaper must give it */
#define REAP_WORD_WAIT_MS 200
/* Exits waited for in one poll; the others are looked at every 50 ms round */
#define AWAIT_POLL_MAX 256
/* Spared processes of a whole-cgroup kill named one by one; past this, counted */
#define SPARED_MAX 32

struct kill_opts {
	pid_t pid;		/* --pid, or 0 */
	bool dry_run, json;
	enum group_kill_mode group;	/* --group-kill; --kill-cgroup is scope */
	enum policy policy;	/* --policy */
	int grace_ms;		/* SIGTERM first, SIGKILL after; 0 for none */
	int deadline_ms;	/* a victim neither gone nor reaped by then is stuck */
	int reap_delay_ms;
};

/* Storage for the kill path, made before anything is chosen (docs/design.md,
 * invariant 3) */
static struct victim victims[REAP_QUEUE_LEN];
static pid_t *group_pids;	/* a whole-cgroup kill's rounds of pids */
static int group_pids_cap;
static struct reaper reaper;
static char stdout_buf[1 << 16];

static void usage(FILE *f)
{
	fputs("Usage: oomreaper kill [--cgroup PATH] [--pid PID] [--dry-run] [--grace MS]\n"
	      "                      [--deadline S] [--group-kill no|leaf|scope] [--kill-cgroup]\n"
	      "                      [--policy largest|largest-cgroup] [--reap-delay MS]\n"
	      "                      [--json]\n"
	      "\n"
	      "One OOM kill now: the top candidate of the scope (or PID) and every process\n"
	      "sharing its memory, through pidfds; then its memory is reaped with\n"
	      "process_mrelease(2) without waiting for it to exit.\n"
	      "\n"
	      "  -c, --cgroup PATH   scope: a cgroup v1 memory or v2 directory (default: global)\n"
	      "  -p, --pid PID       kill this process (and its sharers) instead of choosing\n"
	      "  -n, --dry-run       say what would be killed and how long choosing took\n"
	      "  -g, --grace MS      SIGTERM first; SIGKILL after MS if it has not exited\n"
	      "  -d, --deadline S    give up waiting after S seconds: the victim is stuck\n"
	      "                      (default 5)\n"
	      "      --group-kill G  no: the victim and its sharers (default); leaf: and every\n"
	      "                      process of the victim's own cgroup; scope: every process\n"
	      "                      of the --cgroup scope\n"
	      "  -k, --kill-cgroup   --group-kill scope\n"
	      "      --policy P      largest: the process of highest badness (the kernel's,\n"
	      "                      the default); largest-cgroup: the leaf cgroup below the\n"
	      "                      scope whose processes' badness sums highest, killed whole\n"
	      "      --reap-delay MS wait for a victim holding robust futexes before reaping\n"
	      "                      (default 2000)\n"
	      "  -j, --json          one JSON object on stdout; the log lines go to stderr\n"
	      "      --proc DIR      read processes from DIR instead of /proc\n"
	      "  -h, --help          this text\n"
	      "\n"
	      "Exit status: 0 killed (and reaped or gone), 1 nothing could be killed, a process\n"
	      "was left alive, or the victim is stuck, 2 bad usage.\n",
	      f);
}

static void say(int fd, const char *a, const struct member *m, const char *b, long long ms)
{
	struct line l;

	line_init(&l);
	line_str(&l, a);
	if (m) {
		line_long(&l, m->pid);
		line_str(&l, " (");
		line_comm(&l, m->comm);
		line_str(&l, ")");
	}
	line_str(&l, b);
	if (ms >= 0) {
		line_long(&l, ms);
		line_str(&l, " ms after the kill");
	}
	line_write(&l, fd);
}

static long long ms_since(long long t0, long long t)
{
	return t0 && t ? (t - t0) / 1000000 : -1;
}

/* Members neither signalled nor gone: a kill that leaves them is no success */
static int left_alive(const struct victim *v)
{
	int n = 0;

	for (int i = 0; i < v->n; i++)
		n += !v->m[i].killed && !v->m[i].gone;
	return n;
}


/*
 * Waits until the victims' memory is back: every member exited, or the address space
 * reaped. Waits a little more for the other event so that both times can be reported, but
 * never past the deadline and never on a reaper that is stuck (docs/design.md, invariant
 * 4).
 * Returns true when the memory is back; false when a victim is stuck (reported).
 */
static bool await_victims(struct victim *v, int nv, int deadline_ms, int fd)
{
	struct pollfd pfd[AWAIT_POLL_MAX + 1];
	long long t0 = v[0].t_kill ? v[0].t_kill : now_ns();
	long long deadline = t0 + (long long)deadline_ms * 1000000;
	long long back_at = 0;

	for (;;) {
		bool gone = true, reaped = true, done = true;
		int n = 0;

		for (int k = 0; k < nv; k++) {
			bool d = atomic_load_explicit(&v[k].reap_done, memory_order_acquire);
			bool g = victim_poll_gone(&v[k]);

			gone &= g;
			done &= d;
			reaped &= g || (d && v[k].reap_outcome == REAP_REAPED);
		}
		long long now = now_ns();

		if (gone && done)
			return true;
		/* the memory is back: give the other event a moment to be seen */
		if (gone || reaped) {
			if (!back_at)
				back_at = now;
			if (now - back_at > (long long)(gone ? REAP_WORD_WAIT_MS : EXIT_WAIT_MS) *
						    1000000)
				return true;
		}
		if (now >= deadline) {
			if (reaped)
				return true;
			for (int k = 0; k < nv; k++)
				if (!v[k].t_exited && v[k].reap_outcome != REAP_REAPED)
					say(fd, "oomreaper: process ", &v[k].m[0],
					    " is stuck: neither gone nor reaped ",
					    ms_since(v[k].t_kill, now));
			return false;
		}
		for (int k = 0; k < nv; k++)
			for (int i = 0; i < v[k].n; i++)
				if (!v[k].m[i].gone && v[k].m[i].pidfd >= 0 && n < AWAIT_POLL_MAX)
					pfd[n++] = (struct pollfd){ .fd = v[k].m[i].pidfd,
								    .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = reaper.done_fd, .events = POLLIN };
		long long left = (deadline - now) / 1000000 + 1;

		if (poll(pfd, (nfds_t)n, left > 50 ? 50 : (int)left) > 0) {
			uint64_t c;

			if (pfd[n - 1].revents && read(reaper.done_fd, &c, sizeof(c)) < 0) {
				/* EAGAIN: another wake-up drained it; the flags are the truth */
			}
		}
	}
}

/* Says why pid cannot be chosen, as `explain` would */
static int refuse(struct cli *c, struct proc_info *p)
{
	char why[256], scope[PATH_MAX + 32], comm[COMM_CLEAN_LEN];

	if (p->excl == EXCL_VANISHED) {
		cli_error(c, "kill: no process %d", (int)p->pid);
		return EXIT_NOTHING;
	}
	if (p->excl == EXCL_OUT_OF_SCOPE)
		cli_error(c, "kill: process %d cannot be chosen: not in the scope %s", (int)p->pid,
			  scope_name(&c->scope, scope, sizeof(scope)));
	else
		cli_error(c, "kill: process %d (%s) cannot be chosen: %s", (int)p->pid,
			  text_cleaned(p->comm, comm, sizeof(comm)),
			  exclusion_describe(p, why, sizeof(why)));
	return EXIT_NOTHING;
}

/* Where pid is when chosen, for the check before the signal (victim_moved_out()); "" unknown */
static void note_where(const struct cli *c, pid_t pid, char *was, size_t len)
{
	if (victim_cgroup_path(c->proc_fd, c->scope.kind, pid, was, len) != 0)
		was[0] = 0;
}

/*
 * Chooses the victim, --pid's or the scope's top, and gathers its group into v: the one
 * judgement (select_judge), which the selection also applies to its winner. Returns 0, or
 * an exit status.
 */
static int choose(struct cli *c, struct selector *sel, const struct kill_opts *o,
		  struct victim *v, long long *took_ns, int *scanned, struct choice_cgroup *cg,
		  char *was, size_t was_len)
{
	long long t = now_ns();
	struct proc_info p;
	pid_t pinned = 0;
	int r;

	memset(cg, 0, sizeof(*cg));
	if (o->pid) {
		int n = select_all_pids(sel);
		const pid_t *all = selector_pids(sel);

		r = n < 0 ? n : select_judge(sel, &c->scope, o->pid, all, n, &p, v);
		if (r > 0)
			return refuse(c, &p);
		note_where(c, o->pid, was, was_len);
		*scanned = 1;
	} else {
		struct choice ch;

		/* its check of the winner gathers the group into v */
		sel->group = v;
		r = select_victim(sel, &c->scope, &ch);
		sel->group = NULL;
		if (!r && !ch.found) {
			cli_error(c, "kill: no process can be chosen");
			return EXIT_NOTHING;
		}
		/* where it was when chosen: the kill checks it is still there (victim_moved_out) */
		if (!r)
			note_where(c, ch.victim.pid, was, was_len);
		/* a cgroup's selection leaves its members in selector_pids(): list everyone
		 * again, unless the selection's check gathered the group already */
		int n = r ? r : victim_gathered(v, &ch.victim) ? 0 : select_all_pids(sel);
		const pid_t *all = selector_pids(sel);

		r = n < 0 ? n : victim_gather(v, sel, &ch.victim, all, n, &pinned);
		if (r == -EPERM) {
			/* the selection checked it: it changed since */
			p = ch.victim;
			p.excl = EXCL_SHARES_PROTECTED;
			p.excl_pid = pinned;
			return refuse(c, &p);
		}
		*scanned = ch.scanned;
		*cg = ch.cg;
	}
	if (r == -ENOMEM) {
		cli_error(c, "kill: no room for the processes sharing the victim's memory; nothing "
			     "killed");
		return EXIT_NOTHING;
	}
	if (r < 0) {
		cli_error(c, "kill: cannot read the processes: %s", strerror(-r));
		return EXIT_NOTHING;
	}
	*took_ns = now_ns() - t;
	/* for --json: its pod, container and unit, read before the kill */
	scan_identity(c->proc_fd, v->m[0].pid, &v->id);
	return 0;
}

/* The kill as JSON; g: a whole-cgroup kill's, or NULL; cg: the policy's cgroup */
static void print_json(const struct kill_opts *o, const struct victim *v, int nv,
		       long long took_ns, bool done, const struct group_kill *g,
		       const struct choice_cgroup *cg)
{
	printf("{\"dry_run\": %s, \"choose_ms\": %.3f, \"victims\": [",
	       o->dry_run ? "true" : "false", (double)took_ns / 1e6);
	for (int k = 0; k < nv; k++) {
		const struct victim *x = &v[k];
		/* the reaper writes its fields until it sets reap_done: read them only after */
		bool said = atomic_load_explicit(&x->reap_done, memory_order_acquire);

		printf("%s{\"pid\": %d, \"comm\": ", k ? ", " : "", (int)x->chosen.pid);
		json_string(stdout, x->chosen.comm, strlen(x->chosen.comm));
		printf(", \"badness\": %ld, \"members\": [", x->chosen.badness);
		for (int i = 0; i < x->n; i++)
			printf("%s%d", i ? ", " : "", (int)x->m[i].pid);
		printf("], \"left_alive\": %d", o->dry_run ? 0 : left_alive(x));
		json_identity(stdout, &x->id);
		printf(", \"reap\": \"%s\", \"reap_attempts\": %d, \"robust_wait\": %s, "
		       "\"kill_to_reaped_ms\": %lld, \"kill_to_exited_ms\": %lld, "
		       "\"now_anon_kb\": %lu, \"now_file_kb\": %lu, \"now_shmem_kb\": %lu}",
		       o->dry_run ? "none" : said ? reap_outcome_name(x->reap_outcome) : "pending",
		       said ? x->reap_attempts : 0, said && x->robust_wait ? "true" : "false",
		       said ? ms_since(x->t_kill, x->t_reaped) : -1, ms_since(x->t_kill, x->t_exited),
		       said ? x->now_anon_kb : 0, said ? x->now_file_kb : 0,
		       said ? x->now_shmem_kb : 0);
	}
	printf("]");
	if (g) {
		int shown = g->nspared < g->spared_cap ? g->nspared : g->spared_cap;

		printf(", \"spared\": [");
		for (int i = 0; i < shown; i++) {
			printf("%s{\"pid\": %d, \"comm\": ", i ? ", " : "", (int)g->spared[i].pid);
			json_string(stdout, g->spared[i].comm, strlen(g->spared[i].comm));
			printf(", \"reason\": \"%s\"}", exclusion_reason(g->spared[i].why));
		}
		printf("], \"n_spared\": %d, \"left_alive\": %d", g->nspared, g->left);
	}
	if (o->policy == POLICY_LARGEST_CGROUP && !o->pid) {
		printf(", \"policy\": \"largest-cgroup\", \"cgroup_whole\": %s, \"cgroup\": ",
		       cg->whole ? "true" : "false");
		json_string(stdout, cg->path, strlen(cg->path));
		printf(", \"cgroup_members\": %d, \"cgroup_eligible\": %d, \"cgroup_badness\": %ld, "
		       "\"cgroup_rss_kb\": %lu, \"cgroup_alone\": \"%s\", \"units\": %d",
		       cg->members, cg->eligible, cg->badness, cg->rss_kb,
		       cg->whole ? "" : cg_single_reason((enum cg_single)cg->single), cg->units);
	}
	printf(", \"done\": %s}\n", done ? "true" : "false");
	fflush(stdout);
}

static int parse_opts(struct cli *c, struct kill_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "grace", required_argument, NULL, 'g' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "kill-cgroup", no_argument, NULL, 'k' },
		{ "group-kill", required_argument, NULL, 'G' },
		{ "policy", required_argument, NULL, 'O' },
		{ "reap-delay", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "proc", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	char *end;
	double secs;

	while ((opt = getopt_long(argc, argv, "c:p:ng:d:kjh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': c->cgroup = optarg; break;
		case 'n': o->dry_run = true; break;
		case 'k': o->group = GROUP_KILL_SCOPE; break;
		case 'G':
			if (parse_group_kill(optarg, &o->group)) {
				cli_error(c, "kill: --group-kill wants no, leaf or scope, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'O':
			/* fastest-growing needs a size from an earlier look: not for one kill */
			if (parse_policy(optarg, &o->policy) || o->policy == POLICY_FASTEST_GROWING) {
				cli_error(c, "kill: --policy wants largest or largest-cgroup, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': o->json = true; break;
		case 'P': c->proc_root = optarg; break;
		case 'p':
			if (cli_parse_pid(optarg, &o->pid)) {
				cli_error(c, "kill: --pid wants a PID, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'g':
		case 'R':
			if (cli_parse_count(optarg, opt == 'g' ? &o->grace_ms : &o->reap_delay_ms)) {
				cli_error(c, "kill: --%s wants milliseconds, not '%s'",
					  opt == 'g' ? "grace" : "reap-delay", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(secs) || secs <= 0 ||
			    secs > 86400) {
				cli_error(c, "kill: --deadline wants seconds (0 < S <= 86400), not "
					  "'%s'", optarg);
				return EXIT_USAGE;
			}
			o->deadline_ms = (int)(secs * 1000);
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error(c, "kill: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->group == GROUP_KILL_SCOPE && (!c->cgroup || o->pid)) {
		cli_error(c, "kill: --group-kill scope (--kill-cgroup) kills the --cgroup scope: give "
			     "--cgroup, not --pid");
		return EXIT_USAGE;
	}
	return 0;
}

/* Start-up: everything the kill path needs, before anything is chosen */
static int start_up(struct cli *c, const struct kill_opts *o, struct selector *sel)
{
	struct reap_opts ro;

	setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
	/* a killer paged out when memory is short cannot run: lock what it touches */
	if (!o->dry_run && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
		cli_error(c, "kill: warning: mlockall: %s (may stall when memory is short)",
			  strerror(errno));
	sel->proc_fd = c->proc_fd;
	sel->self = c->self;
	sel->threads = scan_default_threads();
	sel->same_mm = c->same_mm;
	sel->policy = o->policy;
	/* the selection's buffers, sized to this machine now, before anything is chosen */
	if (selector_reserve(sel) < 0)
		cli_error(c, "kill: warning: cannot list processes");
	/* and room for a victim's group, or a cgroup, of every process there is */
	group_pids_cap = selector_room(sel);
	if (group_pids_cap < 64)
		group_pids_cap = 64;
	group_pids = malloc(sizeof(*group_pids) * (size_t)group_pids_cap);
	if (!group_pids || victim_reserve(&victims[0], selector_room(sel))) {
		cli_error(c, "kill: cannot allocate room for the victims");
		return EXIT_NOTHING;
	}
	if (o->dry_run)
		return 0;
	reap_opts_default(&ro, c->proc_fd);
	ro.report_fd = o->json ? 2 : 1;
	ro.delay_ms = o->reap_delay_ms;
	/* test hooks: a kernel before 5.15, a mmap lock that stays taken, a reap that hangs */
	if (reap_opts_test_hook(&ro)) {
		cli_error(c, "kill: OOMREAPER_TEST_MRELEASE wants enosys, eagain or hang");
		return EXIT_USAGE;
	}
	int r = reaper_start(&reaper, &ro);

	if (r)
		cli_error(c, "kill: cannot start the reaper thread: %s", strerror(-r));
	return r ? EXIT_NOTHING : 0;
}

/* Says whom a whole-cgroup kill spared, and why */
static void say_spared(int fd, const struct group_kill *g)
{
	char reason[64], why[72];
	int shown = g->nspared < g->spared_cap ? g->nspared : g->spared_cap;

	for (int i = 0; i < shown; i++) {
		struct proc_info p = { .excl = g->spared[i].why };
		struct member m = { .pid = g->spared[i].pid };

		memcpy(m.comm, g->spared[i].comm, sizeof(m.comm));
		snprintf(why, sizeof(why), ": %s", exclusion_describe(&p, reason, sizeof(reason)));
		say(fd, "oomreaper: spared process ", &m, why, -1);
	}
	if (g->nspared > shown) {
		struct line l;

		line_init(&l);
		line_str(&l, "oomreaper: spared ");
		line_long(&l, g->nspared - shown);
		line_str(&l, " more processes");
		line_write(&l, fd);
	}
}

/* "killed N processes of NAME", and those left alive or not held for the reap */
static void say_group(int fd, const struct group_kill *g, const char *name)
{
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: killed ");
	line_long(&l, g->killed);
	line_str(&l, " processes of ");
	line_str(&l, name);
	line_write(&l, fd);
	if (g->unheld) {
		line_init(&l);
		line_str(&l, "oomreaper: ");
		line_long(&l, g->unheld);
		line_str(&l, " of them without room to hold them for the reap");
		line_write(&l, fd);
	}
	if (g->left) {
		line_init(&l);
		line_str(&l, "oomreaper: ");
		line_long(&l, g->left);
		line_str(&l, " processes of ");
		line_str(&l, name);
		line_str(&l, " could not be held: left alive");
		line_write(&l, fd);
	}
}

/*
 * --group-kill leaf, after the victim's SIGKILL: the rest of its own cgroup (leaf, opened
 * before the signal), into the victims after it (victims[0] keeps the victim and its
 * sharers). Returns how many victims hold members (at least 1); *g is what it did.
 */
static int kill_leaf(struct cli *c, const struct kill_opts *o, struct scope *leaf, int fd,
		     struct group_kill *g)
{
	static struct spared spared[SPARED_MAX];
	char name[PATH_MAX + 32];

	*g = (struct group_kill){ .self = c->self, .deadline_ms = o->deadline_ms,
				  .victims = victims, .nv = REAP_QUEUE_LEN, .pids = group_pids,
				  .pids_cap = group_pids_cap, .spared = spared,
				  .spared_cap = SPARED_MAX };
	scope_name(leaf, name, sizeof(name));
	int used = cgroup_kill(leaf, c->proc_fd, g);

	scope_close(leaf);
	if (used < 0) {
		cli_error(c, "kill: %s: %s; the victim was killed alone", name, strerror(-used));
		return 1;
	}
	say_spared(fd, g);
	say_group(fd, g, name);
	return used ? used : 1;
}

static int kill_whole_cgroup(struct cli *c, const struct kill_opts *o, int fd)
{
	static struct spared spared[SPARED_MAX];
	char name[PATH_MAX + 32];
	struct group_kill g = { .self = c->self, .deadline_ms = o->deadline_ms,
				.victims = victims, .nv = REAP_QUEUE_LEN, .pids = group_pids,
				.pids_cap = group_pids_cap, .spared = spared,
				.spared_cap = SPARED_MAX };

	scope_name(&c->scope, name, sizeof(name));
	if (o->dry_run) {
		pid_t *pids = NULL;
		int n = scope_pids(&c->scope, c->proc_fd, &pids), nspared = 0;

		for (int i = 0; i < n; i++) {
			struct proc_info p;
			enum exclusion e;

			memset(&p, 0, sizeof(p));
			/* the rule cgroup_kill() applies, without the pidfds */
			if (scan_proc(c->proc_fd, pids[i], SCAN_DETAIL, &p) == 0 &&
			    cgroup_kill_spares(&p, c->self, &e))
				nspared++;
		}
		free(pids);
		if (n < 0) {
			cli_error(c, "kill: %s: %s", name, strerror(-n));
			return EXIT_NOTHING;
		}
		printf("would kill the %d processes of %s", n - nspared, name);
		if (nspared)
			printf(", sparing %d (init, oom_score_adj -1000 or oomreaper)", nspared);
		putchar('\n');
		return n > nspared ? 0 : EXIT_NOTHING;
	}
	int used = cgroup_kill(&c->scope, c->proc_fd, &g);

	if (used < 0) {
		cli_error(c, "kill: %s: %s", name, strerror(-used));
		return EXIT_NOTHING;
	}
	say_spared(fd, &g);
	if (!g.killed) {
		cli_error(c, "kill: no process to kill in %s", name);
		return EXIT_NOTHING;
	}
	say_group(fd, &g, name);
	for (int k = 0; k < used; k++) {
		victims[k].reap_by = victims[k].t_kill +
				     ((long long)o->deadline_ms - REAP_WORD_WAIT_MS) * 1000000;
		reaper_submit(&reaper, &victims[k]);
	}
	bool ok = await_victims(victims, used, o->deadline_ms, fd);

	if (victims[0].t_exited)
		say(fd, "oomreaper: the first victims exited", NULL, ", ",
		    ms_since(victims[0].t_kill, victims[0].t_exited));
	if (o->json)
		print_json(o, victims, used, 0, ok && !g.left, &g, NULL);
	return ok && !g.left ? 0 : EXIT_NOTHING;
}

/*
 * --group-kill leaf: opens the victim's own cgroup into leaf, before any signal. Returns 0,
 * or -errno, said (the victim is then killed alone).
 */
static int open_leaf(struct cli *c, const struct victim *v, struct scope *leaf)
{
	int e = cgroup_leaf_open(c->proc_fd, v->chosen.pid, c->scope.kind,
				 c->scope.kind == SCOPE_GLOBAL ? NULL : c->scope.path, group_pids,
				 group_pids_cap, leaf);

	if (e)
		cli_error(c, "kill: --group-kill leaf: the victim is killed alone: %s",
			  cgroup_leaf_refused(e));
	return e;
}

/*
 * Policy largest-cgroup: opens the cgroup chosen to be killed whole, before any signal: the
 * victim's own cgroup still, or nothing is killed (it moved since it was chosen, and its
 * new cgroup was not). Returns 0, or -errno, said.
 */
static int open_chosen(struct cli *c, const struct victim *v, const struct choice_cgroup *cg,
		       struct scope *leaf)
{
	int e = cgroup_leaf_open(c->proc_fd, v->chosen.pid, c->scope.kind,
				 c->scope.kind == SCOPE_GLOBAL ? NULL : c->scope.path, group_pids,
				 group_pids_cap, leaf);

	if (!e && strcmp(leaf->path, cg->path)) {
		scope_close(leaf);
		e = -EXDEV;
	}
	if (e)
		cli_error(c, "kill: policy largest-cgroup: %s is no longer the victim's cgroup, or "
			     "cannot be opened: %s; nothing signalled", cg->path,
			  e == -EXDEV ? "it moved" : cgroup_leaf_refused(e));
	return e;
}

/* The group a --group-kill leaf would kill with the victim, counted, for a dry run */
static void say_dry_run_leaf(struct cli *c, const struct victim *v)
{
	struct scope leaf = { .dir_fd = -1 };
	char name[PATH_MAX + 32];

	if (open_leaf(c, v, &leaf))
		return;
	int n = scope_pids_into(&leaf, group_pids, group_pids_cap, 0);

	printf("and the %d processes of %s (--group-kill leaf), but those it spares\n", n,
	       scope_name(&leaf, name, sizeof(name)));
	scope_close(&leaf);
}

/*
 * Policy largest-cgroup: the cgroup chosen, killed whole ("cgroup v1 PATH: N processes, M
 * eligible, badness B, K kB"), or why the victim stands alone
 */
static void say_cgroup(int fd, const struct kill_opts *o, const struct choice_cgroup *cg,
		       enum scope_kind kind)
{
	struct line l;

	if (o->policy != POLICY_LARGEST_CGROUP || o->pid)
		return;
	line_init(&l);
	line_str(&l, "oomreaper: policy largest-cgroup: ");
	if (!cg->whole) {
		line_str(&l, o->dry_run ? "would kill the victim alone: " : "the victim is killed "
									     "alone: ");
		line_str(&l, cg_single_reason((enum cg_single)cg->single));
		if (cg->path[0]) {
			line_str(&l, " (");
			line_str(&l, cg->path);
			line_str(&l, ")");
		}
		line_write(&l, fd);
		return;
	}
	line_str(&l, o->dry_run ? "would kill cgroup " : "killing cgroup ");
	line_str(&l, kind == SCOPE_CGROUP_V2 ? "v2 " : "v1 ");
	line_str(&l, cg->path);
	line_str(&l, " whole: ");
	line_long(&l, cg->members);
	line_str(&l, " processes, ");
	line_long(&l, cg->eligible);
	line_str(&l, " eligible, badness ");
	line_long(&l, cg->badness);
	line_str(&l, ", ");
	line_ulong(&l, cg->rss_kb);
	line_str(&l, " kB resident; first of ");
	line_long(&l, cg->units);
	line_str(&l, " units ranked");
	line_write(&l, fd);
}

static void say_dry_run(const struct victim *v, long long took_ns, int scanned)
{
	char rss[16], comm[COMM_CLEAN_LEN];
	const struct proc_info *p = &v->chosen;

	printf("would kill %d (%s) badness %ld oom_score_adj %d rss %s", (int)p->pid,
	       text_cleaned(p->comm, comm, sizeof(comm)),
	       p->badness, p->oom_score_adj,
	       cli_size(p->rss_anon_kb + p->rss_file_kb + p->rss_shmem_kb, rss, sizeof(rss)));
	for (int i = 1; i < v->n; i++)
		printf("%s%d (%s)", i == 1 ? ", with its sharers " : ", ", (int)v->m[i].pid,
		       text_cleaned(v->m[i].comm, comm, sizeof(comm)));
	printf("\nchoosing took %.3f ms over %d processes\n", (double)took_ns / 1e6, scanned);
}

int cmd_kill(const char *prog, int argc, char **argv)
{
	struct cli c = { .prog = prog, .proc_fd = -1 };
	struct kill_opts o = { .deadline_ms = 5000, .reap_delay_ms = 2000 };
	struct selector sel = { .proc_fd = -1 };
	struct victim *v = &victims[0];
	struct scope leaf = { .dir_fd = -1 };
	struct group_kill g = { 0 }, *gk = NULL;
	static struct choice_cgroup cg;
	long long took = 0;
	static char was[PATH_MAX];
	int scanned = 0, used = 1, r = parse_opts(&c, &o, argc, argv);

	if (r)
		return r < 0 ? 0 : r;
	r = cli_open(&c);
	if (r)
		return r;
	r = start_up(&c, &o, &sel);
	if (r)
		goto out;
	int fd = o.json ? 2 : 1;

	if (o.group == GROUP_KILL_SCOPE) {
		r = kill_whole_cgroup(&c, &o, fd);
		goto out;
	}
	for (int tries = 1;; tries++) {
		r = choose(&c, &sel, &o, v, &took, &scanned, &cg, was, sizeof(was));
		if (r)
			goto out;
		if (o.dry_run) {
			if (o.json)
				print_json(&o, v, 1, took, false, NULL, &cg);
			else
				say_dry_run(v, took, scanned);
			if (!o.json && o.group == GROUP_KILL_LEAF && !cg.whole)
				say_dry_run_leaf(&c, v);
			if (!o.json)
				say_cgroup(1, &o, &cg, c.scope.kind == SCOPE_GLOBAL
							 ? scope_memory_kind() : c.scope.kind);
			r = 0;
			goto out;
		}
		/* test hook: a window between the choice and the kill, for a test to stage a
		 * victim that exits, or whose pid is reused, in between */
		const char *pause_ms = getenv("OOMREAPER_TEST_PAUSE_MS");

		if (pause_ms)
			poll(NULL, 0, atoi(pause_ms));
		int e = victim_open(v, c.proc_fd);

		/* held now: the last look before the signal, at where it is */
		if (!e && victim_moved_out(c.proc_fd, c.scope.kind, was, &v->m[0])) {
			victim_close(v);
			say(fd, "oomreaper: process ", &v->m[0],
			    " has left the scope since it was chosen; nothing signalled", -1);
			if (o.pid || tries == KILL_TRIES) {
				r = EXIT_NOTHING;
				goto out;
			}
			continue;
		}
		if (!e)
			break;
		if (e != -ESTALE && e != -ESRCH) {
			char comm[COMM_CLEAN_LEN];

			/* a group killed in part keeps its memory: kill none of it */
			cli_error(&c, "kill: cannot hold every process sharing the memory of %d (%s): "
				      "%s; nothing signalled", (int)v->chosen.pid,
				  text_cleaned(v->chosen.comm, comm, sizeof(comm)), strerror(-e));
			r = EXIT_NOTHING;
			goto out;
		}
		/* it changed between the choice and the kill: nothing was signalled */
		say(fd, "oomreaper: process ", &v->m[0],
		    e == -ESTALE ? ": its pid now names another process; nothing signalled"
				 : " exited before the kill; nothing signalled", -1);
		if (o.pid || tries == KILL_TRIES) {
			r = EXIT_NOTHING;
			goto out;
		}
	}
	/* its cgroup while it lives: an exited task shows the root in /proc/PID/cgroup */
	if (cg.whole) {
		if (open_chosen(&c, v, &cg, &leaf)) {
			r = EXIT_NOTHING;
			goto out;
		}
	} else if (o.group == GROUP_KILL_LEAF) {
		open_leaf(&c, v, &leaf);
	}
	if (o.grace_ms) {
		victim_signal(v, SIGTERM);
		say(fd, "oomreaper: sent SIGTERM to process ", &v->m[0], ", SIGKILL on a timer",
		    -1);
		long long end = v->t_term + (long long)o.grace_ms * 1000000;

		while (!victim_poll_gone(v) && now_ns() < end) {
			struct pollfd p = { .fd = v->m[0].pidfd, .events = POLLIN };

			poll(&p, 1, 10);
		}
		if (v->t_exited) {
			say(fd, "oomreaper: process ", &v->m[0], " exited on SIGTERM after ",
			    -1);
			r = 0;
			goto out_json;
		}
	}
	victim_signal(v, SIGKILL);
	struct line l;

	line_init(&l);
	line_str(&l, "oomreaper: ");
	report_killed(&l, &v->chosen);
	line_write(&l, fd);
	say_cgroup(fd, &o, &cg, leaf.dir_fd >= 0 ? leaf.kind : c.scope.kind);
	for (int i = 1; i < v->n; i++)
		say(fd, "oomreaper: killed process ", &v->m[i], v->m[i].killed || v->m[i].gone
		    ? ", which shares its memory" : ", which shares its memory: not signalled, "
						      "left alive", -1);
	/* the rest of its own cgroup, as oom_kill_process() kills the oom_group after it */
	if (leaf.dir_fd >= 0) {
		used = kill_leaf(&c, &o, &leaf, fd, &g);
		gk = &g;
	}
	for (int k = 0; k < used; k++) {
		/* the reaper's word must come before the deadline ends the wait for it */
		victims[k].reap_by = victims[k].t_kill +
				     ((long long)o.deadline_ms - REAP_WORD_WAIT_MS) * 1000000;
		if (reaper_submit(&reaper, &victims[k]))
			cli_error(&c, "kill: the reaper's queue is full");
	}
	bool ok = await_victims(victims, used, o.deadline_ms, fd);

	if (v->t_exited)
		say(fd, "oomreaper: process ", &v->m[0], " exited ",
		    ms_since(v->t_kill, v->t_exited));
	/* its memory stays while a sharer lives: a kill in part is no success */
	r = ok && !left_alive(v) && !(gk && gk->left) ? 0 : EXIT_NOTHING;
out_json:
	if (o.json)
		print_json(&o, victims, used, took, r == 0, gk, &cg);
out:
	scope_close(&leaf);
	for (int k = 1; k < used; k++)
		victim_close(&victims[k]);
	victim_close(v);
	selector_free(&sel);
	free(group_pids);
	group_pids = NULL;
	cli_close(&c);
	return r;
}
