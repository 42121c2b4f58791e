/* notify.c - sd_notify without libsystemd: one datagram to an AF_UNIX socket */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <time.h>
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

int notify_reloading(void)
{
	struct timespec ts;
	char text[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(text, sizeof(text), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000);
	return notify(text);
}

bool notify_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (!js || sscanf(js, "%llu:%llu%n", &dev, &ino, &end) != 2 || js[end])
		return false;
	/* a child started with the variable but another stderr (a shell's redirection) is not
	 * the journal's */
	return fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}
