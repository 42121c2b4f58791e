/* serve.c - the status socket (serve.h): bounded work per turn, no allocation once started,
 * no wait on any client */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "serve.h"

int serve_path(const char *setting, char *out, size_t len)
{
	const char *rt = getenv("RUNTIME_DIRECTORY");
	int n;

	if (setting && setting[0]) {
		if (!strcmp(setting, "no")) {
			out[0] = '\0';
			return 0;
		}
		n = snprintf(out, len, "%s", setting);
	} else if (rt && rt[0] == '/') {
		/* systemd gives several directories separated by ':': the first is ours */
		size_t k = strcspn(rt, ":");

		n = snprintf(out, len, "%.*s/socket", (int)k, rt);
	} else {
		n = snprintf(out, len, SERVE_DEFAULT_DIR "/socket");
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int fail(char *err, size_t len, const char *path, const char *why, int e)
{
	snprintf(err, len, "status socket %s: %s", path, why ? why : strerror(e));
	return -e;
}

/* An existing file at path: a socket nobody listens on is a dead daemon's, and goes */
static int clear_stale(const char *path, char *err, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : fail(err, len, path, NULL, errno);
	if (!S_ISSOCK(st.st_mode))
		return fail(err, len, path, "exists and is not a socket: refused", EEXIST);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, len, path, NULL, errno);
	memcpy(a.sun_path, path, strlen(path) + 1);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	int e = errno;

	close(fd);
	/* EAGAIN: its backlog is full, so someone listens */
	if (r == 0 || e == EAGAIN)
		return fail(err, len, path, "another oomreaper is serving it", EADDRINUSE);
	if (e != ECONNREFUSED)
		return fail(err, len, path, NULL, e);
	if (unlink(path) < 0 && errno != ENOENT)
		return fail(err, len, path, NULL, errno);
	return 0;
}

int serve_open(struct server *s, const char *path, int epfd, unsigned long long tag, char *err,
	       size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	char dir[sizeof(s->path)];
	struct stat st;
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	for (int i = 0; i < SERVE_MAX_CLIENTS; i++)
		s->c[i].fd = -1;
	if (!path[0])
		return 0;
	if (strlen(path) >= sizeof(a.sun_path))
		return fail(err, len, path, "path too long for a unix socket (107 bytes)",
			    ENAMETOOLONG);
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');

	if (slash && slash != dir) {
		*slash = '\0';
		/* systemd makes the runtime directory; ours, where it does not, is made here */
		if (!strcmp(dir, SERVE_DEFAULT_DIR) && mkdir(dir, 0755) < 0 && errno != EEXIST)
			return fail(err, len, path, NULL, errno);
	}
	r = clear_stale(path, err, len);
	if (r)
		return r;
	/* mapped, not calloc'ed: its pages are resident only once an answer is made */
	s->out = mmap(NULL, sizeof(*s->out), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (s->out == MAP_FAILED)
		s->out = NULL;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!s->out || s->fd < 0) {
		r = s->out ? errno : ENOMEM;
		serve_close(s);
		return fail(err, len, path, NULL, r);
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	/* root only: made 0600, never briefly wider */
	mode_t old = umask(0177);

	r = bind(s->fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || listen(s->fd, 128) < 0 || stat(path, &st) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		r = errno;
		serve_close(s);
		return fail(err, len, path, NULL, r);
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->epfd = epfd;
	s->tag = tag;
	return 0;
}

static void drop(struct server *s, struct serve_client *c)
{
	close(c->fd);		/* leaves the epoll set with it */
	c->fd = -1;
	s->nclients--;
	s->dropped++;
}

/* Whether the peer is root or our own user: the mode says so, the credentials make sure */
static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 &&
	       (cr.uid == 0 || cr.uid == geteuid());
}

/* A free place for a new client: when there is none, the one connected longest goes */
static struct serve_client *place(struct server *s)
{
	struct serve_client *old = &s->c[0];

	for (int i = 0; i < SERVE_MAX_CLIENTS; i++) {
		if (s->c[i].fd < 0)
			return &s->c[i];
		if (s->c[i].deadline < old->deadline)
			old = &s->c[i];
	}
	drop(s, old);
	return old;
}

static void accept_some(struct server *s, long long now)
{
	for (int k = 0; k < SERVE_ACCEPTS_PER_TURN; k++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = s->tag };
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			/* out of fds or memory: the listening socket stays readable, and would
			 * wake the loop at once for ever; it is left out of epoll for a second */
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->fd, NULL);
			s->resume_at = now + SERVE_DEADLINE_NS;
		}
		if (fd < 0)
			return;
		if (!peer_allowed(fd) || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			s->dropped++;
			continue;
		}
		struct serve_client *c = place(s);

		*c = (struct serve_client){ .fd = fd, .deadline = now + SERVE_DEADLINE_NS };
		s->nclients++;
	}
}

/*
 * The whole answer in one send: the socket's buffer (net.core.wmem_default, 208 kB) holds it
 * whatever the client does. A client that cannot take it has filled nothing of ours: it is
 * dropped, never waited on.
 */
static void answer(struct server *s, struct serve_client *c, bool *filled,
		   void (*fill)(void *ctx, struct snapshot *snap), void *ctx)
{
	if (!*filled) {
		fill(ctx, s->out);
		*filled = true;
	}
	ssize_t w = send(c->fd, s->out, sizeof(*s->out), MSG_DONTWAIT | MSG_NOSIGNAL);

	if (w == (ssize_t)sizeof(*s->out))
		s->served++;
	drop(s, c);
	if (w == (ssize_t)sizeof(*s->out))
		s->dropped--;
}

void serve_turn(struct server *s, long long now, void (*fill)(void *ctx, struct snapshot *snap),
		void *ctx)
{
	bool filled = false;

	if (s->fd < 0)
		return;
	for (int i = 0; i < SERVE_MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0 && now >= s->c[i].deadline)
			drop(s, &s->c[i]);
	if (s->resume_at && now >= s->resume_at) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = s->tag };

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->fd, &ev) == 0)
			s->resume_at = 0;
	}
	if (!s->pending)
		return;
	s->pending = false;
	accept_some(s, now);
	for (int i = 0; i < SERVE_MAX_CLIENTS; i++) {
		struct serve_client *c = &s->c[i];

		if (c->fd < 0)
			continue;
		ssize_t n = read(c->fd, c->in + c->in_n, sizeof(c->in) - c->in_n);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			drop(s, c);
			continue;
		}
		c->in_n += (size_t)n;
		if (!memchr(c->in, '\n', c->in_n)) {
			/* a request is one short line: more without its end is not one */
			if (c->in_n == sizeof(c->in))
				drop(s, c);
			continue;
		}
		if (c->in_n == strlen(SERVE_REQUEST) && !memcmp(c->in, SERVE_REQUEST, c->in_n))
			answer(s, c, &filled, fill, ctx);
		else
			drop(s, c);
	}
}

void serve_close(struct server *s)
{
	struct stat st;

	for (int i = 0; i < SERVE_MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0) {
			close(s->c[i].fd);
			s->c[i].fd = -1;
		}
	if (s->fd >= 0)
		close(s->fd);
	/* another daemon may have replaced a socket it found dead: only ours goes */
	if (s->path[0] && stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	s->fd = -1;
	s->path[0] = '\0';
	if (s->out)
		munmap(s->out, sizeof(*s->out));
	s->out = NULL;
}
