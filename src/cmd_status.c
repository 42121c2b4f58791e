/* cmd_status.c - `oomreaper status`: asks the running daemon over its socket (serve.h) and
 * prints its snapshot as text or JSON; the client half `oomreaper top` shares */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "render.h"
#include "serve.h"

static void usage(FILE *f)
{
	fputs("Usage: oomreaper status [--json] [--socket PATH]\n"
	      "\n"
	      "Asks the running daemon (oomreaper run) what it sees: per scope its memory, levels,\n"
	      "fill rate, pressure, the victim chosen ahead, victims in flight and its kills.\n"
	      "\n"
	      "  -j, --json         one JSON object, with a \"scopes\" array\n"
	      "  -s, --socket PATH  the daemon's socket (default $RUNTIME_DIRECTORY/socket, else\n"
	      "                     " SERVE_DEFAULT_DIR "/socket)\n"
	      "  -h, --help         this text\n",
	      f);
}

int status_fetch(const char *path, struct snapshot *snap, char *err, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	size_t got = 0;
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, len, "%s: path too long for a unix socket", path);
		return -ENAMETOOLONG;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		snprintf(err, len, "cannot reach the daemon at %s: %s%s", path, strerror(e),
			 e == ENOENT || e == ECONNREFUSED
				 ? " (is oomreaper run running? its socket is set by --socket or "
				   "socket =)" : "");
		if (fd >= 0)
			close(fd);
		return -e;
	}
	/* a daemon that turned us away has closed already: EPIPE, as a read would see EOF */
	if (send(fd, SERVE_REQUEST, strlen(SERVE_REQUEST), MSG_NOSIGNAL) < 0 &&
	    errno != EPIPE && errno != ECONNRESET) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		close(fd);
		return -EIO;
	}
	for (;;) {
		ssize_t n = read(fd, (char *)snap + got, sizeof(*snap) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			break;
		if (n < 0) {
			snprintf(err, len, "%s: %s", path, errno == EAGAIN
				 ? "the daemon did not answer within 5 s" : strerror(errno));
			close(fd);
			return -EIO;
		}
		if (n == 0 || (got += (size_t)n) == sizeof(*snap))
			break;
	}
	close(fd);
	const char *why = got ? snapshot_check(snap, got)
			      : "the daemon closed the connection without an answer (it answers "
				"root and its own user only; or it was busy: try again)";

	if (why) {
		snprintf(err, len, "%s: %s", path, why);
		return -EPROTO;
	}
	return 0;
}

int status_first(const struct cli *c, const char *cmd, const char *sock, char *path, size_t len,
		 struct snapshot **snap)
{
	char err[512];

	*snap = NULL;
	if (serve_path(sock, path, len) || !path[0]) {
		cli_error(c, "%s: --socket %s: want the path of the daemon's socket", cmd, sock);
		return EXIT_USAGE;
	}
	*snap = malloc(sizeof(**snap));
	if (!*snap) {
		cli_error(c, "%s: %s", cmd, strerror(ENOMEM));
		return EXIT_NOTHING;
	}
	if (status_fetch(path, *snap, err, sizeof(err))) {
		cli_error(c, "%s: %s", cmd, err);
		free(*snap);
		*snap = NULL;
		return EXIT_NOTHING;
	}
	return 0;
}

/* "VmRSS:    1234 kB" of /proc/PID/status */
static long long status_kb(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

void status_self(pid_t pid, struct snap_self *me)
{
	char path[64], buf[4096];
	int fd;
	ssize_t n = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	me->rss_kb = status_kb(buf, "\nVmRSS:");
	me->locked_kb = status_kb(buf, "\nVmLck:");
}

int cmd_status(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cli c = { .prog = prog };
	const char *sock = NULL;
	char path[108], buf[8192];
	bool json = false;
	int o;

	while ((o = getopt_long(argc, argv, "js:h", opts, NULL)) != -1) {
		switch (o) {
		case 'j': json = true; break;
		case 's': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error(&c, "status: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	struct snapshot *snap;
	struct snap_self me;
	struct out out;
	int r = status_first(&c, "status", sock, path, sizeof(path), &snap);

	if (r)
		return r;
	status_self(snap->pid, &me);
	out_init(&out, buf, sizeof(buf), 1);
	if (json)
		render_json(&out, snap, &me);
	else
		render_text(&out, snap, &me);
	r = out_flush(&out);
	free(snap);
	if (r) {
		cli_error(&c, "status: stdout: %s", strerror(-r));
		return EXIT_NOTHING;
	}
	return 0;
}
