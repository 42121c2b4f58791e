/* report.h - the kill and reap lines, in the kernel's words, made without allocation */
#ifndef OOMREAPER_REPORT_H
#define OOMREAPER_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

/*
 * A line assembled in a fixed buffer: the kill path may not call malloc or take stdio's
 * locks, since it must work when the machine has no memory left. Text past the buffer is
 * cut, never overflowed.
 */
struct line {
	/* a kubepods cgroup path (~400 bytes) and the kill line after it, whole */
	char buf[1024];
	size_t n;
};

void line_init(struct line *l);
void line_str(struct line *l, const char *s);
/* Bytes that may still be appended while keeping keep of them free */
size_t line_room(const struct line *l, size_t keep);
/* comm, cleaned (text.h): no byte of it can break the line or act on a terminal */
void line_comm(struct line *l, const char *comm);
/* A path (or any text a process or a file chose), cleaned; when it does not fit with keep
 * bytes left free, "..." and as much of its end as fits */
void line_path(struct line *l, const char *path, size_t keep);
void line_long(struct line *l, long long v);
void line_ulong(struct line *l, unsigned long long v);
/* s as the inside of a JSON string, escaped, cut at an escape's or a character's end to
 * leave keep bytes free */
void line_json_str(struct line *l, const char *s, size_t keep);
/* The line so far as a C string (without the newline line_write adds) */
const char *line_text(struct line *l);
/* Appends '\n' and writes the line to fd with write(2), short writes and EINTR retried.
 * Returns 0, or -errno of the write that failed (-EIO when it wrote nothing). */
int line_write(struct line *l, int fd);

/*
 * A line's syslog priority, which the journal files it under (journalctl -p) when stderr is
 * the journal: sd-daemon(3)'s "<N>" prefix. The kernel's OOM killer says its kill and reap
 * at KERN_ERR and KERN_INFO; here a kill or a reap is a notice, what the daemon is told but
 * cannot do (a bad reload) an error, what may go wrong (memory short, a victim not reaped) a
 * warning, the rest information.
 */
enum line_prio {
	PRIO_ERR = 3,
	PRIO_WARNING = 4,
	PRIO_NOTICE = 5,
	PRIO_INFO = 6,
};

/* Whether line_say() starts lines with "<N>". Set once at start-up, before any thread starts:
 * it describes stderr, which every thread writes to. */
void line_prio_prefix(bool on);
/* line_write() to fd, after "<prio>" when the prefix is on, in the same write(2): a line of
 * the reaper's thread never lands between a prefix and its line */
int line_say(struct line *l, int fd, enum line_prio prio);

/*
 * "Killed process PID (comm) total-vm:…kB, anon-rss:…kB, file-rss:…kB, shmem-rss:…kB,
 * UID:… pgtables:…kB oom_score_adj:…": __oom_kill_process()'s line, with the fields read
 * at selection.
 */
void report_killed(struct line *l, const struct proc_info *p);

#endif
