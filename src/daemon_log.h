/* daemon_log.h - what the daemon says: human lines on stderr, JSON lines on its log
 * (daemon->log_fd), made in fixed buffers and written with write(2), no stdio: they are said
 * on the kill path, when memory may be short */
#ifndef OOMREAPER_DAEMON_LOG_H
#define OOMREAPER_DAEMON_LOG_H

#include <stddef.h>

#include "report.h"

struct daemon;
struct decision;
struct slot;
struct victim;
struct watch;

/*
 * The daemon's human lines go to stderr with line_say() (report.h), each at the priority its
 * caller names: a kill or a reap PRIO_NOTICE, memory short or a victim not reaped
 * PRIO_WARNING, a reload refused PRIO_ERR, the rest PRIO_INFO.
 */

/* "oomreaper: ABC" on stderr, each part cleaned (text.h); b and c may be NULL */
void log_line(enum line_prio prio, const char *a, const char *b, const char *c);
/* Opens --log-json's file (see daemon_log.c); the fd, or -errno with the reason in err */
int log_open(const char *path, char *err, size_t len);
/* "stopping", and how many JSON lines could not be written, if any */
void say_stopping(struct daemon *dmn);
/* "oomreaper: A B; what settle() said", or without the last part when it said nothing */
void log_settled(enum line_prio prio, const char *a, const char *b, struct line *settled);
/* A JSON event: jbegin(), then jstr() and jnum() fields, then jend() writes it */
void jbegin(struct line *l, const char *event);
void jstr(struct line *l, const char *key, const char *val);
void jnum(struct line *l, const char *key, long long val);
void jend(struct daemon *dmn, struct line *l);
void jevent(struct daemon *dmn, const char *event, const char *scope, const char *reason);
void jvictim(struct daemon *dmn, const char *event, const struct watch *w, const struct victim *v,
	     const char *extra_key, long long extra);
/* From the sample that fired to the SIGKILL, in us; -1 when a timer, not a sample, sent it */
long long sample_to_kill_us(const struct watch *w, const struct victim *v);
void say_trigger(struct daemon *dmn, const struct watch *w, const struct decision *d);
void say_killed(struct daemon *dmn, const struct watch *w, const struct slot *s);
/* The scope entered its warning band: said on the events socket (s: the victim chosen ahead,
 * or NULL) */
void say_warning(struct daemon *dmn, const struct watch *w, const struct slot *s,
		 const struct decision *d);
/* "oomreaper: SCOPE: process PID (comm) WHAT" */
void say_process(const struct watch *w, const struct slot *s, enum line_prio prio,
		 const char *what);
void say_reaping_dying(struct daemon *dmn, const struct watch *w, const struct slot *s);
void say_abort(struct daemon *dmn, const struct watch *w, const struct slot *s, const char *was,
	       long long ms, const struct decision *now);
void say_would_kill(struct daemon *dmn, const struct watch *w, const struct slot *s);
void say_exited(struct daemon *dmn, const struct watch *w, const struct slot *s);
void say_reaped(struct daemon *dmn, const struct watch *w, const struct slot *s);
/* "STATUS=global: available 21.3 GiB, mem_min 2.3 GiB; 2 kills": each scope's newest sample
 * and level, and the kills so far, for systemctl status (sd_notify(3)) */
void status_text(struct daemon *dmn, struct line *l);

#endif
