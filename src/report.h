/* report.h - the kill and reap lines, in the kernel's words, made without allocation */
#ifndef OOMREAPER_REPORT_H
#define OOMREAPER_REPORT_H

#include <stddef.h>

#include "kill.h"

/*
 * A line assembled in a fixed buffer: the kill path may not call malloc or take stdio's
 * locks, since it must work when the machine has no memory left (DESIGN invariant 3).
 * Text past the buffer is cut, never overflowed.
 */
struct line {
	char buf[512];
	size_t n;
};

void line_init(struct line *l);
void line_str(struct line *l, const char *s);
/* comm with bytes that would break a log line (control bytes) shown as '?' */
void line_comm(struct line *l, const char *comm);
void line_long(struct line *l, long long v);
void line_ulong(struct line *l, unsigned long long v);
/* s as the inside of a JSON string (escaped; cut to 255 bytes of escape) */
void line_json_str(struct line *l, const char *s);
/* The line so far as a C string (without the newline line_write adds) */
const char *line_text(struct line *l);
/* Appends '\n' and writes the line to fd with write(2), whole or not at all retried. */
void line_write(struct line *l, int fd);

/*
 * "Killed process PID (comm) total-vm:…kB, anon-rss:…kB, file-rss:…kB, shmem-rss:…kB,
 * UID:… pgtables:…kB oom_score_adj:…": __oom_kill_process()'s line, with the fields read
 * at selection.
 */
void report_killed(struct line *l, const struct proc_info *p);

#endif
