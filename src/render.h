/* render.h - a snapshot of the daemon (stats.h) as people and programs read it: the text and
 * the JSON of `oomreaper status`, and the Prometheus text exposition of the metrics file */
#ifndef OOMREAPER_RENDER_H
#define OOMREAPER_RENDER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "stats.h"

/*
 * Output into a fixed buffer: written to fd (write(2), no stdio) each time it fills, or,
 * with fd -1, cut where it ends (cut is then set). No allocation.
 */
struct out {
	char *buf;
	size_t cap, n;
	int fd;
	int err;			/* -errno of the first write that failed, else 0 */
	bool cut;
};

void out_init(struct out *o, char *buf, size_t cap, int fd);
void out_str(struct out *o, const char *s);
void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes what is held to fd. Returns 0, or -errno of the first failed write */
int out_flush(struct out *o);

/* The daemon's own memory, as the client reads it from /proc/PID/status; -1 unknown */
struct snap_self {
	long long rss_kb, locked_kb;
};

/* Checks a snapshot received from a daemon: NULL, or why it cannot be read */
const char *snapshot_check(const struct snapshot *s, size_t len);

void render_text(struct out *o, const struct snapshot *s, const struct snap_self *me);
void render_json(struct out *o, const struct snapshot *s, const struct snap_self *me);
/* The Prometheus metrics (node_exporter's textfile collector reads them) */
void render_metrics(struct out *o, const struct snapshot *s);
/* A scope's label: its cgroup path, or "global" */
const char *snap_scope_label(const struct snap_scope *sc);
/* s as a Prometheus label value, inside its quotes: cleaned (text.h), then \\ \" \n escaped */
void out_prom_label(struct out *o, const char *s);
/* s as a JSON string, with its quotes */
void out_json_str(struct out *o, const char *s);
/* s cleaned for a terminal (text.h) */
void out_clean(struct out *o, const char *s);

#endif
