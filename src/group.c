/* group.c - the daemon's group kill: memory.oom.group in userspace, per scope */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgrank.h"
#include "cli.h"
#include "daemon_log.h"
#include "group.h"
#include "sys.h"
#include "watch.h"

void group_choice(struct daemon *dmn, struct watch *w, struct slot *s)
{
	const struct choice_cgroup *cg = &slot_note(dmn, s)->cg;
	struct group_state *gs = &w->group;

	gs->how = GROUP_KILL_NO;
	gs->victim = &s->v;
	gs->by_policy = w->sel.policy == POLICY_LARGEST_CGROUP;
	gs->whole = gs->by_policy && cg->whole;
	gs->cg_single = cg->single;
	gs->cg_members = cg->members;
	gs->cg_units = cg->units;
	gs->cg_badness = cg->badness;
	gs->cg_rss_kb = cg->rss_kb;
}

bool group_wanted(const struct watch *w)
{
	return w->conf->group_kill != GROUP_KILL_NO || w->group.whole;
}

int group_reserve(struct daemon *dmn)
{
	if (dmn->group_pids)
		return 0;
	dmn->group_pids = malloc(sizeof(*dmn->group_pids) * GROUP_PIDS_ROUND);
	return dmn->group_pids ? 0 : -ENOMEM;
}

/*
 * The cgroup to kill with the victim: the scope's, or the victim's own (leaf), opened into
 * dmn->group_leaf. mm/memcontrol.c mem_cgroup_get_oom_group() gives the victim's memcg (or
 * its highest ancestor with memory.oom.group set, up to the OOM domain), and never the root
 * nor a memcg outside the domain the victim was moved out of: neither is ours to kill whole.
 * Returns the scope to kill, or NULL with w->group.alone set.
 */
static const struct scope *group_target(struct daemon *dmn, struct watch *w, struct slot *s)
{
	const char *within = w->scope.kind == SCOPE_GLOBAL ? NULL : w->scope.path;
	const char *chosen = slot_note(dmn, s)->cg.path;
	pid_t pid = s->v.chosen.pid;
	int r;

	if (w->conf->group_kill == GROUP_KILL_SCOPE && !w->group.whole) {
		/* refused for the whole machine at load (group_kill_check()); kept here too */
		if (w->scope.kind == SCOPE_GLOBAL) {
			snprintf(w->group.alone, sizeof(w->group.alone),
				 "group_kill = scope is refused for the whole machine");
			return NULL;
		}
		return &w->scope;
	}
	scope_close(&dmn->group_leaf);
	r = cgroup_leaf_open(dmn->cli->proc_fd, pid, w->scope.kind, within, dmn->group_pids,
			     GROUP_PIDS_ROUND, &dmn->group_leaf);
	if (r) {
		snprintf(w->group.alone, sizeof(w->group.alone), "%s", cgroup_leaf_refused(r));
		return NULL;
	}
	/* the cgroup ranked, not one the victim moved to since: that one was not weighed */
	if (w->group.whole && strcmp(dmn->group_leaf.path, chosen)) {
		scope_close(&dmn->group_leaf);
		snprintf(w->group.alone, sizeof(w->group.alone), "it moved to another cgroup "
			 "after the choice, which weighed its cgroup then");
		return NULL;
	}
	return &dmn->group_leaf;
}

const struct scope *group_prepare(struct daemon *dmn, struct watch *w, struct slot *s)
{
	struct group_state *gs = &w->group;
	const struct scope *target;

	gs->how = gs->whole ? GROUP_KILL_LEAF : w->conf->group_kill;
	gs->victim = &s->v;
	gs->alone[0] = '\0';
	gs->size = s->v.n;
	gs->nspared = gs->left = gs->unheld = 0;
	gs->freed_early_kb = 0;
	gs->cgroup[0] = '\0';
	gs->dry = false;
	if (!dmn->group_pids) {
		snprintf(gs->alone, sizeof(gs->alone), "no room was made for a group kill");
		return NULL;
	}
	target = group_target(dmn, w, s);
	if (target)
		scope_name(target, gs->cgroup, sizeof(gs->cgroup));
	return target;
}

void group_kill_victim(struct daemon *dmn, struct watch *w, struct slot *s,
		       const struct scope *target)
{
	struct group_state *gs = &w->group;
	struct spared spared[GROUP_SPARED_SHOWN];
	struct group_kill g = { .self = dmn->cli->self, .deadline_ms = dmn->conf->deadline_ms,
				.victims = &s->v, .nv = 1, .pids = dmn->group_pids,
				.pids_cap = GROUP_PIDS_ROUND, .spared = spared,
				.spared_cap = GROUP_SPARED_SHOWN };
	long long t = now_ns();
	int r = cgroup_kill(target, dmn->cli->proc_fd, &g);

	gs->kill_us = (now_ns() - t) / 1000;
	if (target == &dmn->group_leaf)
		scope_close(&dmn->group_leaf);
	if (r < 0) {
		snprintf(gs->alone, sizeof(gs->alone), "the cgroup kill failed: %s",
			 strerror(-r));
		return;
	}
	gs->size = g.killed > s->v.n ? g.killed : s->v.n;
	gs->nspared = g.nspared;
	gs->left = g.left;
	gs->unheld = g.unheld;
	gs->freed_early_kb = g.freed_kb;
	memcpy(gs->spared, spared, sizeof(spared));
}

/* "PID (comm): reason, ..." of the first spared processes, "..." when there were more */
static void line_spared(struct line *l, const struct group_state *gs)
{
	char reason[64];

	for (int i = 0; i < gs->nspared && i < GROUP_SPARED_SHOWN; i++) {
		struct proc_info p = { .excl = gs->spared[i].why };

		line_str(l, i ? ", " : "");
		line_long(l, gs->spared[i].pid);
		line_str(l, " (");
		line_comm(l, gs->spared[i].comm);
		line_str(l, "): ");
		line_str(l, exclusion_describe(&p, reason, sizeof(reason)));
	}
	if (gs->nspared > GROUP_SPARED_SHOWN)
		line_str(l, ", ...");
}

/* What the group is killed for: "group_kill = leaf", or "policy = largest-cgroup (N
 * processes, badness B, K kB resident)", the cgroup as the ranking weighed it */
static void line_by(struct line *l, const struct group_state *gs)
{
	if (!gs->whole) {
		line_str(l, "group_kill = ");
		line_str(l, group_kill_name(gs->how));
		return;
	}
	line_str(l, "policy = largest-cgroup (");
	line_long(l, gs->cg_members);
	line_str(l, " processes, badness ");
	line_long(l, gs->cg_badness);
	line_str(l, ", ");
	line_ulong(l, gs->cg_rss_kb);
	line_str(l, " kB resident)");
}

void group_would_kill(struct daemon *dmn, struct watch *w, struct slot *s)
{
	const struct scope *target = group_prepare(dmn, w, s);

	w->group.dry = true;
	if (!target)
		return;
	int n = scope_pids_into(target, dmn->group_pids, GROUP_PIDS_ROUND, 0);

	if (target == &dmn->group_leaf)
		scope_close(&dmn->group_leaf);
	w->group.size = n > 0 ? n : 0;
}

void group_say(const struct watch *w)
{
	const struct group_state *gs = &w->group;
	struct line l;

	if (gs->how == GROUP_KILL_NO)
		return;
	line_init(&l);
	line_str(&l, "oomreaper: ");
	if (gs->alone[0]) {
		line_str(&l, gs->whole ? "policy = largest-cgroup" : "group_kill = ");
		line_str(&l, gs->whole ? "" : group_kill_name(gs->how));
		line_str(&l, gs->dry ? ": would kill the victim alone: "
				     : ": killed the victim alone: ");
		line_str(&l, gs->alone);
		line_write(&l, 2);
		return;
	}
	if (gs->dry) {
		line_str(&l, "Tasks in ");
		line_str(&l, gs->cgroup);
		line_str(&l, " would be killed due to ");
		line_by(&l, gs);
		line_str(&l, ": ");
		line_long(&l, gs->size);
		line_str(&l, " processes, but those it spares");
		line_write(&l, 2);
		return;
	}
	/* mem_cgroup_print_oom_group()'s words, then what came of it */
	line_str(&l, "Tasks in ");
	line_str(&l, gs->cgroup);
	line_str(&l, " were killed due to ");
	line_by(&l, gs);
	line_str(&l, ": ");
	line_long(&l, gs->size);
	line_str(&l, " processes, ");
	line_long(&l, gs->nspared);
	line_str(&l, " spared");
	if (gs->nspared) {
		line_str(&l, " (");
		line_spared(&l, gs);
		line_str(&l, ")");
	}
	if (gs->unheld) {
		line_str(&l, "; ");
		line_long(&l, gs->unheld);
		line_str(&l, " killed without room to reap them");
	}
	if (gs->left) {
		line_str(&l, "; ");
		line_long(&l, gs->left);
		line_str(&l, " could not be held: left alive");
	}
	line_write(&l, 2);
}

void group_say_freed(const struct watch *w, const struct victim *v)
{
	const struct group_state *gs = &w->group;
	struct line l;

	if (gs->how == GROUP_KILL_NO || gs->victim != v || gs->alone[0])
		return;
	line_init(&l);
	line_str(&l, "oomreaper: the group of ");
	line_long(&l, gs->size);
	line_str(&l, " processes of ");
	line_str(&l, gs->cgroup);
	line_str(&l, ": ");
	line_ulong(&l, group_freed_kb(gs, v));
	line_str(&l, " kB freed by their exits and reaps");
	line_write(&l, 2);
}

unsigned long group_freed_kb(const struct group_state *g, const struct victim *v)
{
	/* the reaper writes the members' freed flags before it sets reap_done */
	bool said = atomic_load_explicit(&v->reap_done, memory_order_acquire);
	unsigned long kb = g->freed_early_kb;

	/* the victim's address space at its figures of the kill event (re-read when it was
	 * chosen ahead); its sharers' is the same one, counted once */
	for (int i = 0; i < v->n; i++)
		if (v->m[i].gone || (said && v->m[i].freed))
			kb += i ? v->m[i].rss_kb
				: v->chosen.rss_anon_kb + v->chosen.rss_file_kb +
					  v->chosen.rss_shmem_kb;
	return kb;
}

void group_json(struct line *l, const struct watch *w, const struct victim *v)
{
	const struct group_state *gs = &w->group;

	if (gs->victim != v)
		return;
	if (gs->by_policy) {
		jstr(l, "policy", "largest-cgroup");
		jnum(l, "cgroup_members", gs->cg_members);
		jnum(l, "cgroup_badness", gs->cg_badness);
		jnum(l, "cgroup_rss_kb", (long long)gs->cg_rss_kb);
		jnum(l, "cgroup_units", gs->cg_units);
		if (!gs->whole)
			jstr(l, "cgroup_alone", cg_single_reason((enum cg_single)gs->cg_single));
	}
	if (gs->how == GROUP_KILL_NO)
		return;
	jstr(l, "group_kill", group_kill_name(gs->how));
	if (gs->alone[0]) {
		jstr(l, "group_alone", gs->alone);
		return;
	}
	jstr(l, "group_cgroup", gs->cgroup);
	jnum(l, "group_size", gs->size);
	/* a dry run's group is counted, not killed */
	if (gs->dry)
		return;
	jnum(l, "group_spared", gs->nspared);
	if (gs->nspared) {
		struct line sp;

		/* the first few, as the human line names them */
		line_init(&sp);
		line_spared(&sp, gs);
		jstr(l, "group_spared_first", line_text(&sp));
	}
	jnum(l, "group_unheld", gs->unheld);
	jnum(l, "group_kill_us", gs->kill_us);
	jnum(l, "group_left_alive", gs->left);
	jnum(l, "group_freed_kb", (long long)group_freed_kb(gs, v));
}
