/* notify.c - sd_notify without libsystemd: one datagram to an AF_UNIX socket */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* $NOTIFY_SOCKET, looked up once: the environment is read at start-up, not in the loop */
static const char *socket_path(void)
{
	static const char *path;
	static bool looked;

	if (!looked) {
		path = getenv("NOTIFY_SOCKET");
		looked = true;
	}
	return path;
}

void notify_init(void)
{
	socket_path();
}

int notify(const char *text)
{
	const char *path = socket_path();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	/* '@' names a socket in the abstract namespace: a leading NUL */
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	ssize_t r = sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	int e = r < 0 ? -errno : 0;

	close(fd);
	return e;
}

long notify_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");

	if (!usec || (pid && atol(pid) != (long)getpid()))
		return 0;
	return atol(usec) / 1000;
}
