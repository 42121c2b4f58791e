/* watch.h - what acts on the daemon's state (daemon_state.h): a scope's course from sample to
 * kill (watch.c), a scope followed as it changes (follow.c), its scope opened and closed and the
 * configuration reloaded (daemon.c). The daemon's own files and its tests include it. */
#ifndef OOMREAPER_WATCH_H
#define OOMREAPER_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon_state.h"

/* --- watch.c: a scope's course from sample to kill ------------------------------------- */

/* What a daemon's watches do to the world: the real sample, selection, signal and reaper */
extern const struct watch_ops watch_ops_live;

/* Takes a free victim slot, its room kept; NULL when every one is in use */
struct slot *slot_take(struct daemon *dmn);
/* Chooses the scope's victim and holds it in a slot; NULL, with w->why, when nobody can be */
struct slot *watch_choose(struct daemon *dmn, struct watch *w, long *others_bound);
/* Samples the scope, decides, and chooses ahead, kills or waits as the decision says */
void watch_tick(struct daemon *dmn, struct watch *w, long long now);
/* The victim in flight between samples: its exit, its reap, its grace and deadline */
void watch_follow(struct daemon *dmn, struct watch *w, long long now);
/* Lets go of the v1 usage thresholds (a watch closed, or armed again) */
void watch_disarm_levels(struct daemon *dmn, struct watch *w);
/* Lets the victim chosen ahead go */
void watch_drop_ready(struct daemon *dmn, struct watch *w);

/*
 * The selection made once started (and after a reload) so that what a kill uses is resident:
 * its victim kept as chosen ahead, against a sample taken now, so that a first sample already
 * short kills at the cost of a re-check, not of a second selection. The first sample that
 * finds memory plentiful lets it go. Nothing when the scope is gone or has a victim chosen.
 */
void watch_warm(struct daemon *dmn, struct watch *w);
/* Lets a victim go: at once, or once the reaper is done with it */
void slot_release(struct daemon *dmn, struct slot *s);
/* Makes the victim slots' room for a group's members, before any is chosen (kill.h) */
void slots_reserve(struct daemon *dmn);
/* Frees the victims the reaper has finished with since */
void slots_sweep(struct daemon *dmn);
/* Whether a victim is on its way: a rehearsal would queue behind it at the reaper */
bool slots_in_flight(struct daemon *dmn);

/* --- daemon.c: a watch's scope, opened and closed as the configuration or the cgroup
 * comes and goes -------------------------------------------------------------------------- */

/* Opens w's scope (w->conf), its files and its kernel events; idx: its place in dmn.w.
 * Returns 0, or -errno with the reason in err */
int watch_open_scope(struct daemon *dmn, struct watch *w, int idx, char *err, size_t len);
/* Closes them; the victims and the selector stay */
void watch_close_scope(struct daemon *dmn, struct watch *w);
/* Opens every scope of dmn->conf into dmn->w, the levels checked against each scope's memory
 * now. Returns 0, or -errno with the scope and the reason in err, nothing left open */
int daemon_open_watches(struct daemon *dmn, char *err, size_t len);
/* Closes every watch, letting its victims go */
void daemon_close_watches(struct daemon *dmn);
/* SIGHUP: loads the configuration again (dmn->args) and opens its scopes beside the running
 * ones; a scope kept (matched by path) keeps its victim in flight, its victim chosen ahead and
 * its fill history. A configuration or a scope refused keeps the running one, said why */
void daemon_reload(struct daemon *dmn);

/* --- follow.c: a scope followed as it changes -------------------------------------------- */

/*
 * Samples the scope. A changed limit is logged and the fill history and the victim chosen
 * ahead are brought to it; a removed cgroup is said gone once, closed, and waited for until
 * its path comes back, then watched afresh. Returns 0, or -errno when there is no sample.
 */
int watch_sample(struct daemon *dmn, struct watch *w, struct sample *smp);

#endif
