/* serve.h - the daemon's status socket: a unix stream socket that hands each client one
 * snapshot (stats.h), served after the scopes' own work in each loop turn, non-blocking, in
 * buffers made at start-up, so that no client can delay a kill */
#ifndef OOMREAPER_SERVE_H
#define OOMREAPER_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "stats.h"

/* Clients served at once; one more evicts the oldest that has not asked yet */
#define SERVE_MAX_CLIENTS 8
/* Connections accepted in one turn of the loop: the rest wait for the next turns */
#define SERVE_ACCEPTS_PER_TURN 32
/* A client that has not asked within this long is dropped */
#define SERVE_DEADLINE_NS 1000000000LL
/* What a client sends: one line */
#define SERVE_REQUEST "snapshot\n"
/* The default socket, where systemd's RuntimeDirectory= does not give one */
#define SERVE_DEFAULT_DIR "/run/oomreaper"

struct serve_client {
	int fd;				/* -1: free */
	long long deadline;
	char in[16];
	size_t in_n;
};

struct server {
	int fd;				/* the listening socket; -1 when not serving */
	char path[108];			/* sizeof(sun_path) */
	dev_t dev;
	ino_t ino;			/* the socket file we made: removed at exit only if ours */
	int epfd;
	unsigned long long tag;		/* epoll data of the sockets */
	bool pending;			/* epoll said a socket is ready */
	long long resume_at;		/* out of fds: listening again then; 0 listening */
	int nclients;
	struct serve_client c[SERVE_MAX_CLIENTS];
	struct snapshot *out;		/* mapped at start-up, its pages touched at the first
					 * answer: filled per answer */
	unsigned long long served, dropped;
};

/*
 * The socket's path: given (config socket =), else $RUNTIME_DIRECTORY/socket (its first
 * directory), else SERVE_DEFAULT_DIR/socket. "" when the setting says no. Returns 0, or
 * -ENAMETOOLONG.
 */
int serve_path(const char *setting, char *out, size_t len);
/*
 * Listens on path (mode 0600, the directory made 0755 where it is SERVE_DEFAULT_DIR or the
 * runtime directory): a stale socket left by a daemon that died is replaced, a live one or
 * any other file refused. Its sockets go into epfd with tag. Returns 0, or -errno with the
 * reason in err.
 */
int serve_open(struct server *s, const char *path, int epfd, unsigned long long tag, char *err,
	       size_t len);
/* Accepts, reads requests and answers them; each answer is made by fill(ctx, snapshot) */
void serve_turn(struct server *s, long long now, void (*fill)(void *ctx, struct snapshot *snap),
		void *ctx);
/* Whether serve_turn() has anything to do: a socket ready, a client held, or listening to
 * resume. Inline, so that an idle loop does not touch serve.c's code */
static inline bool serve_busy(const struct server *s)
{
	return s->pending || s->nclients || s->resume_at;
}

/* Closes every socket and removes the socket file if it is still ours */
void serve_close(struct server *s);

#endif
