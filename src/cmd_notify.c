/* cmd_notify.c - `oomreaper notify`: the session side of desktop notifications. Connects to
 * the daemon's events socket (events.h) and shows each warning and kill through the desktop's
 * notification server (org.freedesktop.Notifications), with notify-send or a command given.
 * It runs as the logged-in user, in the session (contrib/oomreaper-notify.service): the system
 * daemon needs no way into anyone's session (docs/design.md: Desktop notifications). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "text.h"

#define NOTIFY_DEFAULT_SOCKET "/run/oomreaper/events.sock"
/* How often to try again while the daemon's socket is not there */
#define RECONNECT_S 2

extern char **environ;

static void usage(FILE *f)
{
	fputs("Usage: oomreaper notify [--socket PATH] [--command PROG] [--once]\n"
	      "\n"
	      "Shows the daemon's warnings and kills as desktop notifications. Run it in the\n"
	      "user's session (contrib/oomreaper-notify.service); the daemon offers its events\n"
	      "when it is given an events socket (events_socket = PATH, oomreaper.conf(5)).\n"
	      "\n"
	      "  -s, --socket PATH   the daemon's events socket (default " NOTIFY_DEFAULT_SOCKET ")\n"
	      "  -c, --command PROG  run PROG SUMMARY BODY URGENCY instead of notify-send\n"
	      "      --once          stop after the first notification\n"
	      "  -h, --help          this text\n",
	      f);
}

/*
 * The string value of "key" in a JSON line the daemon wrote (daemon_log.c: jstr), unescaped
 * into out; \uXXXX of a control byte back to that byte. Returns false when it is not there.
 */
static bool json_str(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(line, pat);
	if (!p || !cap)
		return false;
	for (p += strlen(pat); *p && *p != '"' && n + 1 < cap; p++) {
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		p++;
		if (*p == 'u' && strlen(p) >= 5) {
			char hex[5] = { p[1], p[2], p[3], p[4], 0 };

			out[n++] = (char)strtol(hex, NULL, 16);
			p += 4;
		} else if (*p == 'n') {
			out[n++] = '\n';
		} else if (*p == 't') {
			out[n++] = '\t';
		} else if (*p) {
			out[n++] = *p;
		} else {
			break;
		}
	}
	out[n] = 0;
	return true;
}

static long long json_num(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	return p ? atoll(p + strlen(pat)) : -1;
}

/* s cleaned (text.h) and with the notification markup's <, > and & as entities (the
 * Desktop Notifications spec lets a server read markup in the body) */
static void safe_text(const char *s, char *out, size_t cap)
{
	char clean[1024];
	size_t n = 0;

	text_cleaned(s, clean, sizeof(clean));
	for (const char *p = clean; *p && n + 6 < cap; p++) {
		const char *ent = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : NULL;

		if (ent) {
			memcpy(out + n, ent, strlen(ent));
			n += strlen(ent);
		} else {
			out[n++] = *p;
		}
	}
	out[n] = 0;
}

/* One event line into a notification's summary, body and urgency; false for other events */
static bool compose(const char *line, char *summary, size_t slen, char *body, size_t blen,
		    const char **urgency)
{
	char event[32], scope[512], comm[64], reason[256], s_scope[1024], s_comm[128],
		s_reason[512];
	long long pid = json_num(line, "pid"), rss = json_num(line, "rss_kb");

	if (!json_str(line, "event", event, sizeof(event)))
		return false;
	if (!json_str(line, "scope", scope, sizeof(scope)))
		scope[0] = 0;
	if (!json_str(line, "comm", comm, sizeof(comm)))
		comm[0] = 0;
	if (!json_str(line, "reason", reason, sizeof(reason)))
		reason[0] = 0;
	safe_text(scope, s_scope, sizeof(s_scope));
	safe_text(comm, s_comm, sizeof(s_comm));
	safe_text(reason, s_reason, sizeof(s_reason));
	if (!strcmp(event, "kill") || !strcmp(event, "would_kill")) {
		bool dry = event[0] == 'w';

		snprintf(summary, slen, "oomreaper %s %s (%lld)", dry ? "would kill" : "killed",
			 s_comm, pid);
		snprintf(body, blen, "%s %s (%lld, %lld MiB) to free memory in %s: %s",
			 dry ? "Dry run: it would have killed" : "It killed", s_comm, pid,
			 rss > 0 ? rss / 1024 : 0, s_scope, s_reason);
		*urgency = "critical";
		return true;
	}
	if (!strcmp(event, "warn")) {
		snprintf(summary, slen, "Memory is running low");
		if (pid > 0)
			snprintf(body, blen, "%s: %s. If it runs out, %s (%lld) is the next to be "
					     "killed.", s_scope, s_reason, s_comm, pid);
		else
			snprintf(body, blen, "%s: %s.", s_scope, s_reason);
		*urgency = "normal";
		return true;
	}
	return false;
}

/* Shows one notification: notify-send, or the command given; waits for it */
static void show(const char *command, const char *summary, const char *body, const char *urgency)
{
	char *argv_send[] = { "notify-send", "-a", "oomreaper", "-u", (char *)urgency,
			      "-i", "dialog-warning", (char *)summary, (char *)body, NULL };
	char *argv_cmd[] = { (char *)command, (char *)summary, (char *)body, (char *)urgency,
			     NULL };
	char **argv = command ? argv_cmd : argv_send;
	pid_t pid;
	int status, r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

	printf("%s: %s\n", summary, body);
	fflush(stdout);
	if (r) {
		fprintf(stderr, "oomreaper notify: cannot run %s: %s\n", argv[0], strerror(r));
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "oomreaper notify: %s failed (status %d)\n", argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Reads the events of one connection until it ends; returns 1 after a notification when
 * once, else 0 */
static int follow(int fd, const char *command, bool once)
{
	char buf[8192];
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		n += (size_t)r;
		buf[n] = 0;
		char *start = buf, *nl;

		while ((nl = strchr(start, '\n'))) {
			char summary[256], body[2048];
			const char *urgency;

			*nl = 0;
			if (compose(start, summary, sizeof(summary), body, sizeof(body), &urgency)) {
				show(command, summary, body, urgency);
				if (once)
					return 1;
			}
			start = nl + 1;
		}
		n -= (size_t)(start - buf);
		memmove(buf, start, n);
		/* a line longer than the buffer is none of the daemon's: dropped */
		if (n == sizeof(buf) - 1)
			n = 0;
	}
}

int cmd_notify(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "command", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = prog, .proc_fd = -1 };
	const char *path = NOTIFY_DEFAULT_SOCKET, *command = NULL;
	bool once = false, said = false;
	int o;

	while ((o = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': path = optarg; break;
		case 'c': command = optarg; break;
		case 'o': once = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error(&c, "notify: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		cli_error(&c, "notify: --socket %s: path too long", path);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = connect_to(path);

		if (fd < 0) {
			/* the daemon not started yet, or restarting: said once, tried again */
			if (!said)
				fprintf(stderr, "oomreaper notify: waiting for %s: %s\n", path,
					strerror(-fd));
			said = true;
			sleep(RECONNECT_S);
			continue;
		}
		fprintf(stderr, "oomreaper notify: listening on %s\n", path);
		said = false;
		int done = follow(fd, command, once);

		close(fd);
		if (done)
			return 0;
		fprintf(stderr, "oomreaper notify: %s closed; trying again\n", path);
	}
}
