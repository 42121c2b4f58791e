/* cmd_top.c - `oomreaper top`: the daemon's snapshot (cmd_status.c) drawn each second in the
 * terminal with plain ANSI escapes; q or SIGINT quits and gives the terminal back */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "render.h"
#include "scope.h"
#include "serve.h"
#include "share.h"
#include "survey.h"
#include "text.h"

/* Candidates shown per scope, read by top itself as `oomreaper list` reads them */
#define TOP_CANDIDATES 3

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs("Usage: oomreaper top [--socket PATH]\n"
	      "\n"
	      "What the running daemon sees, live: per scope a bar of available memory against\n"
	      "its levels (K mem_kill, M mem_min, | the warning band's edge), the victim chosen\n"
	      "ahead, victims in flight, and the recent kills. Refreshed each second; q quits.\n"
	      "\n"
	      "  -s, --socket PATH  the daemon's socket (as for oomreaper status)\n"
	      "  -h, --help         this text\n",
	      f);
}

/* Bar of width cells for a scope: '#' available, '.' taken, the levels marked on it */
static void bar(struct out *o, const struct snap_scope *sc, int width)
{
	const struct scope_stats *st = &sc->st;
	char cells[256];

	if (width > (int)sizeof(cells) - 1)
		width = (int)sizeof(cells) - 1;
	if (width < 10 || !st->total_kb)
		return;
	for (int i = 0; i < width; i++)
		cells[i] = (double)i < (double)st->avail_kb / (double)st->total_kb * width ? '#'
											    : '.';
	const struct {
		unsigned long long kb;
		char c;
	} marks[] = { { sc->band_kb, '|' }, { sc->mem_min_kb, 'M' }, { sc->mem_kill_kb, 'K' } };

	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
		int at = (int)((double)marks[m].kb / (double)st->total_kb * width);

		if (marks[m].kb && at >= 0 && at < width)
			cells[at] = marks[m].c;
	}
	cells[width] = '\0';
	/* red at or under mem_min, yellow in the band */
	out_str(o, st->avail_kb <= sc->mem_min_kb ? "\033[31m"
		   : st->avail_kb <= sc->band_kb  ? "\033[33m" : "\033[32m");
	out_printf(o, "  [%s]\033[0m\033[K\n", cells);
}

/* At most max bytes of s, cleaned, its end kept */
static void clean_tail(struct out *o, const char *s, size_t max)
{
	size_t at = text_clean_tail(s, strlen(s), max);

	if (at)
		out_str(o, "...");
	out_clean(o, s + at);
}

/*
 * The scope's largest candidates by the kernel's badness, read here as `oomreaper list` reads
 * them (the daemon's rules are not applied: its own choice is the "next victim" line). A
 * cgroup's members only, or every process for the machine: once a second, off the daemon.
 */
static void candidates(struct out *o, const struct snap_scope *sc, int proc_fd)
{
	struct scope scope;
	struct survey sv;

	if (proc_fd < 0 || sc->gone || scope_open(&scope, proc_fd, sc->path[0] ? sc->path : NULL))
		return;
	if (survey_take(&sv, &scope, proc_fd, getpid(), 1, kcmp_vm, NULL) == 0) {
		out_str(o, "  largest:");
		for (int i = 0; i < sv.eligible && i < TOP_CANDIDATES; i++) {
			const struct proc_info *p = &sv.table.procs[sv.order[i]];

			out_printf(o, "  %d (", (int)p->pid);
			out_clean(o, p->comm);
			out_printf(o, ") %ld %.0f MiB", p->badness,
				   (p->rss_anon_kb + p->rss_file_kb + p->rss_shmem_kb) / 1024.0);
		}
		if (!sv.eligible)
			out_str(o, " nobody can be chosen");
		out_str(o, "\033[K\n");
		survey_free(&sv);
	}
	scope_close(&scope);
}

static void draw(struct out *o, const struct snapshot *s, const struct snap_self *me, int cols,
		 int proc_fd)
{
	out_str(o, "\033[H");
	out_str(o, "\033[1moomreaper ");
	out_clean(o, s->version);
	out_printf(o, "\033[0m  pid %d  up %llds  RSS %lld kB, locked %lld kB  kills %llu  "
		      "stuck %llu%s  (q quits)\033[K\n", (int)s->pid, s->uptime_ms / 1000,
		   me->rss_kb, me->locked_kb, s->st.kills, s->st.stuck,
		   s->dry_run ? "  DRY RUN" : "");
	for (int i = 0; i < s->nscopes; i++) {
		const struct snap_scope *sc = &s->scopes[i];
		const struct scope_stats *st = &sc->st;
		unsigned long long kills = 0;

		for (int t = 0; t < STATS_TRIGGERS; t++)
			kills += st->kills[t];
		out_printf(o, "\033[K\n\033[1m%s ", sc->kind);
		if (sc->path[0])
			clean_tail(o, sc->path, cols > 40 ? (size_t)cols - 20 : 20);
		out_str(o, sc->gone ? "\033[0m (removed)\033[K\n" : "\033[0m\033[K\n");
		bar(o, sc, cols - 6);
		out_printf(o, "  available %.1f of %.1f MiB; mem_kill %.1f, mem_min %.1f, band %.1f "
			      "MiB\033[K\n", st->avail_kb / 1024.0, st->total_kb / 1024.0,
			   sc->mem_kill_kb / 1024.0, sc->mem_min_kb / 1024.0, sc->band_kb / 1024.0);
		out_printf(o, "  fill %.1f MiB/s", st->fill_kb_s / 1024.0);
		if (sc->has_psi)
			out_printf(o, "  PSI avg10 some %.2f%% full %.2f%%", sc->psi_some_pct,
				   sc->psi_full_pct);
		out_printf(o, "  kills %llu  stuck %llu\033[K\n", kills, st->stuck);
		out_str(o, "  next victim: ");
		if (sc->ahead.pid) {
			out_printf(o, "%d (", (int)sc->ahead.pid);
			out_clean(o, sc->ahead.comm);
			out_printf(o, ") badness %ld", sc->ahead.badness);
			if (sc->ahead.lead != LONG_MAX)
				out_printf(o, " lead %ld", sc->ahead.lead);
		} else {
			out_str(o, "- (chosen in the warning band)");
		}
		if (sc->inflight.pid) {
			out_printf(o, "  in flight: %d (", (int)sc->inflight.pid);
			out_clean(o, sc->inflight.comm);
			out_printf(o, ") %lld ms", sc->inflight.age_ms);
		}
		out_str(o, "\033[K\n");
		candidates(o, sc, proc_fd);
	}
	out_str(o, "\033[K\nrecent kills:\033[K\n");
	for (int i = 0; i < s->st.nrecent; i++) {
		const struct stats_kill *k = stats_recent(&s->st, i);

		out_printf(o, "  %lld s ago  %d (", (s->now_real_ms - k->at_ms) / 1000, (int)k->pid);
		out_clean(o, k->comm);
		out_printf(o, ")  %s", trigger_name(k->trigger));
		if (k->sample_to_kill_us >= 0)
			out_printf(o, "  sample to kill %lld us", k->sample_to_kill_us);
		if (k->exited_ms >= 0)
			out_printf(o, "  exited %lld ms", k->exited_ms);
		if (k->reaped_ms >= 0)
			out_printf(o, "  reaped %lld ms", k->reaped_ms);
		out_str(o, "\033[K\n");
	}
	if (!s->st.nrecent)
		out_str(o, "  none\033[K\n");
	out_str(o, "\033[J");
}

int cmd_top(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cli c = { .prog = prog };
	const char *sock = NULL;
	char path[108], err[512], buf[8192];
	struct termios was, raw;
	bool tty;
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error(&c, "top: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	struct snapshot *snap;

	/* the first answer before the screen is taken: an error reads as any other */
	rc = status_first(&c, "top", sock, path, sizeof(path), &snap);
	if (rc)
		return rc;
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	tty = tcgetattr(0, &was) == 0;
	if (tty) {
		raw = was;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	}
	struct out out;
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	out_init(&out, buf, sizeof(buf), 1);
	/* the alternate screen, the cursor hidden */
	out_str(&out, "\033[?1049h\033[?25l\033[2J");
	while (!stop) {
		struct winsize ws = { 0 };
		struct snap_self me;
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		char key[16];

		if (ioctl(1, TIOCGWINSZ, &ws) < 0 || ws.ws_col < 40)
			ws.ws_col = 80;
		status_self(snap->pid, &me);
		draw(&out, snap, &me, ws.ws_col, proc_fd);
		out_flush(&out);
		int n = poll(&pfd, 1, 1000);

		if (n > 0) {
			ssize_t k = read(0, key, sizeof(key));

			if (k <= 0 || memchr(key, 'q', (size_t)k) || memchr(key, 'Q', (size_t)k))
				break;
		}
		if (stop)
			break;
		if (status_fetch(path, snap, err, sizeof(err))) {
			rc = EXIT_NOTHING;
			break;
		}
	}
	out_str(&out, "\033[?25h\033[?1049l");
	out_flush(&out);
	if (tty)
		tcsetattr(0, TCSANOW, &was);
	if (proc_fd >= 0)
		close(proc_fd);
	if (rc)
		cli_error(&c, "top: %s", err);
	free(snap);
	return rc;
}
