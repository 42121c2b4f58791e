/* events.h - the events socket: a unix stream socket any local user may connect to, on which
 * the daemon writes one JSON line per warning and kill, for desktop notifications (oomreaper
 * notify) and other listeners. Never waits: a subscriber that cannot take a line at once is
 * dropped; at most EVENTS_SUBSCRIBERS_MAX at a time. */
#ifndef OOMREAPER_EVENTS_H
#define OOMREAPER_EVENTS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define EVENTS_SUBSCRIBERS_MAX 8

struct events {
	int listen_fd;			/* -1: no events socket */
	int fds[EVENTS_SUBSCRIBERS_MAX];
	int n;
	unsigned long sent, dropped, refused;
	char path[PATH_MAX];
};

/* No socket: events_send() does nothing */
void events_none(struct events *e);

/*
 * Listens on path (its directory made, mode 0755, if missing; a socket left there by an
 * earlier run replaced; anything else refused), mode 0666, woken through epfd with tag.
 * Returns 0, or -errno with the reason in err.
 */
int events_open(struct events *e, const char *path, int epfd, uint64_t tag, char *err,
		size_t len);

/* A connection waits: accepted, or closed at once when every place is taken by a live one */
void events_accept(struct events *e);

/* line (n bytes, its newline included) to every subscriber, without waiting; one that cannot
 * take it whole at once is closed and counted */
void events_send(struct events *e, const char *line, size_t n);

/* Closes every connection and the socket, and removes its path */
void events_close(struct events *e);

#endif
