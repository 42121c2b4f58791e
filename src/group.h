/* group.h - the daemon's group kill (group_kill = leaf | scope): the cgroup killed with the
 * victim (cgkill.c does the kill), and what is said of it. The state lives in each watch
 * (daemon_state.h), the buffers in the daemon, made at start-up. */
#ifndef OOMREAPER_GROUP_H
#define OOMREAPER_GROUP_H

#include <limits.h>

#include "cgkill.h"
#include "config.h"

struct daemon;
struct line;
struct slot;
struct watch;

/* Pids a round of a group kill lists at most; a larger cgroup takes more rounds (cgkill.c) */
#define GROUP_PIDS_ROUND 4096
/* Spared processes named in what is said; the others are counted */
#define GROUP_SPARED_SHOWN 4

/* The group kill of a scope's victim in flight */
struct group_state {
	enum group_kill_mode how;		/* GROUP_KILL_NO: the victim was killed alone */
	const struct victim *victim;	/* whose group this is */
	char cgroup[PATH_MAX + 16];	/* the cgroup killed, as scope_name() says it */
	int size;			/* processes killed, the victim and its sharers included */
	int nspared, left, unheld;
	struct spared spared[GROUP_SPARED_SHOWN];
	unsigned long freed_early_kb;	/* members that exited while the kill went on */
	char alone[192];		/* why the victim was killed without its group, or "" */
	bool dry;			/* a dry run's: counted, not killed */
	long long kill_us;		/* the cgroup kill's time, after the victim's SIGKILL */
	/* policy largest-cgroup: the victim's cgroup as the ranking weighed it (cgrank.h) */
	bool by_policy;			/* the victim was chosen by policy largest-cgroup */
	bool whole;			/* ... and its cgroup is killed whole (how: leaf) */
	int cg_single, cg_members, cg_units;
	long cg_badness;
	unsigned long cg_rss_kb;
};

/*
 * Before group_prepare(), for every kill and would-be kill of w: what policy largest-cgroup
 * said of s's victim (slot_note()'s cg), a whole cgroup to kill or why it stands alone; under
 * another policy, nothing. Pure.
 */
void group_choice(struct daemon *dmn, struct watch *w, struct slot *s);

/* Whether s's victim is to be killed with a group: w's group_kill, or its cgroup whole */
bool group_wanted(const struct watch *w);

/* Makes the room a group kill uses (its pids): at start-up. Returns 0 or -ENOMEM. */
int group_reserve(struct daemon *dmn);

/*
 * Before the victim in slot s is signalled: the cgroup to kill with it, as w's group_kill
 * says, opened (a task that has exited shows the root cgroup). The victim's own cgroup
 * (leaf) is mem_cgroup_get_oom_group()'s: never the root, never outside the scope. Starts
 * w->group afresh. Returns the cgroup, or NULL when the victim is to be killed alone
 * (w->group.alone says why).
 */
const struct scope *group_prepare(struct daemon *dmn, struct watch *w, struct slot *s);

/* After the victim's SIGKILL: kills the rest of target (group_prepare()'s) into s's room,
 * and fills w->group */
void group_kill_victim(struct daemon *dmn, struct watch *w, struct slot *s,
		       const struct scope *target);

/* A dry run's group: the cgroup group_prepare() finds, its processes counted (group_size),
 * nothing signalled; w->group.dry is set */
void group_would_kill(struct daemon *dmn, struct watch *w, struct slot *s);

/* The human lines of a group kill, after the victim's kill line */
void group_say(const struct watch *w);

/* "the group of N processes of CGROUP: K kB freed", once its memory is back or its deadline
 * passed */
void group_say_freed(const struct watch *w, const struct victim *v);

/* The group's fields of a JSON event about v, when v's kill was a group kill */
void group_json(struct line *l, const struct watch *w, const struct victim *v);

/*
 * The memory a group kill freed: the resident size, when held, of every member that has
 * exited or been reaped, and of those that exited during the kill. Pure.
 */
unsigned long group_freed_kb(const struct group_state *g, const struct victim *v);

#endif
