/* events.c - the events socket (events.h) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "events.h"

void events_none(struct events *e)
{
	/* not memset: its path (4 kB) stays untouched when there is no socket */
	e->listen_fd = -1;
	e->n = 0;
	e->sent = e->dropped = e->refused = 0;
	e->path[0] = 0;
}

/* Makes the directory of path if it is missing (one level: /run/oomreaper) */
static void make_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		/* bind() says why */
	}
}

int events_open(struct events *e, const char *path, int epfd, uint64_t tag, char *err,
		size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	struct stat st;
	int fd, r;

	events_none(e);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, len, "%s: path too long for a unix socket (at most %zu bytes)", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	make_dir_of(path);
	/* an earlier run's socket is replaced; a file of another kind is not ours to remove */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, len, "%s: exists and is not a socket: refused", path);
			return -EEXIST;
		}
		unlink(path);
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, EVENTS_SUBSCRIBERS_MAX) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		snprintf(err, len, "%s: %s", path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	e->listen_fd = fd;
	snprintf(e->path, sizeof(e->path), "%s", path);
	return 0;
}

static void drop(struct events *e, int i)
{
	close(e->fds[i]);
	e->fds[i] = e->fds[--e->n];
}

/* Closes the subscribers that hung up: they are only written to, so only a poll tells */
static void drop_gone(struct events *e)
{
	for (int i = e->n - 1; i >= 0; i--) {
		struct pollfd p = { .fd = e->fds[i], .events = POLLRDHUP };

		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			drop(e, i);
	}
}

void events_accept(struct events *e)
{
	int fd;

	while ((fd = accept4(e->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (e->n == EVENTS_SUBSCRIBERS_MAX)
			drop_gone(e);
		if (e->n == EVENTS_SUBSCRIBERS_MAX) {
			e->refused++;
			close(fd);
			continue;
		}
		/* what it sends is never read: at most its socket's buffer, then its writes wait */
		e->fds[e->n++] = fd;
	}
}

void events_send(struct events *e, const char *line, size_t n)
{
	for (int i = e->n - 1; i >= 0; i--) {
		ssize_t w = send(e->fds[i], line, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w == (ssize_t)n) {
			e->sent++;
			continue;
		}
		/* a line in part would garble the next: a slow subscriber is let go */
		e->dropped++;
		drop(e, i);
	}
}

void events_close(struct events *e)
{
	while (e->n)
		drop(e, e->n - 1);
	if (e->listen_fd < 0)
		return;
	close(e->listen_fd);
	e->listen_fd = -1;
	unlink(e->path);
}
