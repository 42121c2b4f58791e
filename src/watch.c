/* watch.c - a scope's course from sample to kill: decide, keep a victim chosen ahead in the
 * warning band, kill it when a trigger fires, follow it until its memory is back */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "daemon_log.h"
#include "parse.h"
#include "rank.h"
#include "readfile.h"
#include "scan.h"
#include "sys.h"
#include "watch.h"

/* A victim chosen ahead is chosen again when someone may have grown past it: when the memory
 * taken since exceeds its lead over every other candidate (select.h: others_bound), or, where
 * the selection gives no lead (fastest-growing), after a second or a tenth of the band */
#define PRESELECT_MAX_AGE_NS 1000000000LL
#define PRESELECT_DEEPEN 0.9
/* and in any case after this long: other things than memory change (an adj raised, a new
 * process started with a high one) */
#define PRESELECT_LEAD_MAX_AGE_NS 2000000000LL
/* After a trigger found nobody to choose, how long before selecting again */
#define NOTHING_PAUSE_NS 500000000LL
/* A victim chosen longer than this after the sample that fired is not killed before a new
 * sample says memory is still short: on a loaded machine choosing took seconds, and the
 * burst that fired the trigger had ended meanwhile */
#define RECHECK_AFTER_NS ((long long)SAMPLE_MIN_MS * 1000000)

/*
 * A victim reaped but not yet exited stays in flight this long at most, or until it exits.
 * Its own exit_mmap() may be unmapping beside the reaper: each frees (and uncharges from its
 * memcg) the pages it unmapped only when its mmu_gather is flushed, after the counters the
 * reap reads have fallen, so a sample taken at once can still count them. Seen: a second
 * victim killed 8 ms after the first was reaped (rss 0), its cgroup's usage not yet down.
 * A victim stuck in D state never exits: it blocks its scope no longer than this.
 */
#define REAP_SETTLE_NS 100000000LL

struct slot *slot_take(struct daemon *dmn)
{
	for (int i = 0; i < POOL; i++)
		if (dmn->pool[i].state == SLOT_FREE) {
			struct victim v = dmn->pool[i].v;

			/* the victim's room, made at start-up, stays with the slot */
			memset(&dmn->pool[i], 0, sizeof(dmn->pool[i]));
			dmn->pool[i].v.m = v.m;
			dmn->pool[i].v.cap = v.cap;
			dmn->pool[i].state = SLOT_READY;
			return &dmn->pool[i];
		}
	return NULL;
}

/* Lets a victim go: at once, or once the reaper is done with it */
void slot_release(struct daemon *dmn, struct slot *s)
{
	if (!s)
		return;
	/* its exit no longer concerns the loop (harmless when it was never watched) */
	if (s->v.n && s->v.m[0].pidfd >= 0)
		epoll_ctl(dmn->epfd, EPOLL_CTL_DEL, s->v.m[0].pidfd, NULL);
	if (s->submitted && !atomic_load_explicit(&s->v.reap_done, memory_order_acquire)) {
		s->state = SLOT_DRAINING;
		return;
	}
	victim_close(&s->v);
	s->state = SLOT_FREE;
}

void slots_reserve(struct daemon *dmn)
{
	/* the slots a kill takes first (slot_take() takes the lowest free one): one chosen ahead
	 * and one in flight per scope, and one draining at the reaper, get room for a group of
	 * VICTIM_MEMBERS_START; room that large for all 32 would be 100 kB of resident heap. The
	 * others, taken only while victims stuck at the reaper hold the first ones, get room for
	 * a small group, so that no kill starts from no room at all and allocates */
	int n = 2 * dmn->nw + 2, first = VICTIM_MEMBERS_START;

	for (int i = 0; i < dmn->nw; i++)
		if (dmn->w[i].conf->group_kill != GROUP_KILL_NO ||
		    dmn->conf->policy == POLICY_LARGEST_CGROUP)
			first = VICTIM_MEMBERS_GROUP;
	for (int i = 0; i < POOL; i++)
		victim_reserve(&dmn->pool[i].v, i < n ? first : VICTIM_MEMBERS_SPARE);
}

void slots_sweep(struct daemon *dmn)
{
	for (int i = 0; i < POOL; i++)
		if (dmn->pool[i].state == SLOT_DRAINING)
			slot_release(dmn, &dmn->pool[i]);
}

/* The victim in slot s has left the cgroup it was chosen in (victim_moved_out()) */
static bool moved_out(struct daemon *dmn, const struct watch *w, const struct slot *s)
{
	return victim_moved_out(dmn->cli->proc_fd, w->scope.kind, slot_note(dmn, s)->member_path,
				&s->v.m[0]);
}

/*
 * What the kill's event will say of the choice: how long it took, how many were judged, the
 * runner-up, and the victim's cgroup (read now, while choosing, not after the signal)
 */
static void note_choice(struct daemon *dmn, const struct watch *w, struct slot *s,
			const struct choice *ch)
{
	char path[32], buf[CGROUP_FILE_MAX];
	const char *cg;
	size_t len;
	ssize_t n = read_file_at(dmn->cli->proc_fd, pid_path(path, ch->victim.pid, "cgroup"), buf,
				 sizeof(buf));
	struct slot_note *note = slot_note(dmn, s);

	note->candidates = ch->candidates;
	note->scanned = ch->scanned;
	note->select_us = ch->select_us;
	note->has_runner_up = ch->has_runner_up;
	note->runner_up_pid = ch->runner_up.pid;
	note->runner_up_badness = ch->runner_up.badness;
	memcpy(note->runner_up_comm, ch->runner_up.comm, sizeof(note->runner_up_comm));
	note->fired.trigger = TRIG_NONE;
	if (victim_cgroup_path_of(buf, n, w->scope.kind, note->member_path,
				  sizeof(note->member_path)) != 0)
		note->member_path[0] = 0;
	note->cgroup[0] = 0;
	/* field by field: the path's room is touched only as far as it is used */
	note->cg.whole = ch->cg.whole;
	note->cg.single = ch->cg.single;
	note->cg.members = ch->cg.members;
	note->cg.eligible = ch->cg.eligible;
	note->cg.badness = ch->cg.badness;
	note->cg.rss_kb = ch->cg.rss_kb;
	note->cg.units = ch->cg.units;
	snprintf(note->cg.path, sizeof(note->cg.path), "%s", ch->cg.path);
	if (n > 0 && parse_cgroup(buf, (size_t)n, &cg, &len) == 0 && len < sizeof(note->cgroup)) {
		memcpy(note->cgroup, cg, len);
		note->cgroup[len] = 0;
	}
}

/*
 * The victim's pod, container, QoS class and unit (identity.h) for the events, status and the
 * metrics: parsed from the cgroup note_choice() read, no I/O and no allocation. A victim
 * chosen ahead gets it at once; one chosen at the trigger only after its signal, so that
 * nothing but the kill lies between the decision and the SIGKILL. The note holds the path of
 * the living victim: read after the signal, a v1 line says "/" once the victim is exiting
 * (proc_cgroup_show() for a PF_EXITING task).
 */
static void identify(struct daemon *dmn, struct slot *s)
{
	if (s->identified)
		return;
	identity_parse(slot_note(dmn, s)->cgroup, &s->v.id);
	s->identified = true;
}

/*
 * Chooses the scope's victim and holds it: its group gathered, every member's pidfd open
 * and its identity checked. Returns the slot, or NULL (with w->why) when nobody can be chosen.
 */
struct slot *watch_choose(struct daemon *dmn, struct watch *w, long *others_bound)
{
	struct choice ch;
	struct slot *s;
	pid_t pinned = 0, last = 0;
	int r;

	for (int tries = 0; tries < 3; tries++) {
		if (!(s = slot_take(dmn))) {
			snprintf(w->why, sizeof(w->why), "every victim slot is in use");
			return NULL;
		}
		/* the selection's check of its winner gathers the group into the slot */
		w->sel.group = &s->v;
		r = select_victim(&w->sel, &w->scope, &ch);
		w->sel.group = NULL;
		/* every process listed again only for a group the check did not gather: at
		 * 30,000 processes a listing of /proc is some 20 ms */
		int n = r || !ch.found ? -1 : victim_gathered(&s->v, &ch.victim) ? 0
					: select_all_pids(&w->sel);

		if (n < 0) {
			s->state = SLOT_FREE;
			if (r)
				snprintf(w->why, sizeof(w->why), "the selection failed: %s",
					 strerror(-r));
			else if (!ch.found)
				snprintf(w->why, sizeof(w->why), "none of the %d process(es) of the "
					 "scope is eligible (oomreaper list --all shows why)",
					 ch.scanned);
			else
				snprintf(w->why, sizeof(w->why), "the process list cannot be read");
			return NULL;
		}
		last = ch.victim.pid;
		const pid_t *all = selector_pids(&w->sel);
		int g = victim_gather(&s->v, &w->sel, &ch.victim, all, n, &pinned);

		if (g > 0 && victim_open(&s->v, dmn->cli->proc_fd) == 0) {
			*others_bound = ch.others_bound;
			note_choice(dmn, w, s, &ch);
			return s;
		}
		/* gone, reused, or pinned since the selection read it: choose again */
		s->state = SLOT_FREE;
	}
	if (pinned)
		snprintf(w->why, sizeof(w->why), "the top candidate %d shares its memory with "
			 "protected process %d, three times over", last, pinned);
	else
		snprintf(w->why, sizeof(w->why), "the top candidate %d was gone or its pid reused "
			 "by the kill, three times over", last);
	return NULL;
}

/*
 * Whether a victim chosen ahead is still a candidate: alive, the same process, eligible.
 * Its figures are brought up to date (the kill line reports them), and *badness is its
 * badness now.
 */
static bool still_good(struct daemon *dmn, const struct watch *w, struct slot *s, long *badness)
{
	struct proc_info p;
	struct pollfd pfd = { .fd = s->v.m[0].pidfd, .events = POLLIN };

	if (poll(&pfd, 1, 0) != 0)
		return false;
	memset(&p, 0, sizeof(p));
	if (scan_proc(dmn->cli->proc_fd, s->v.m[0].pid, SCAN_DETAIL, &p) ||
	    p.start_time != s->v.m[0].start_time || select_exclusion_now(&w->sel, &p) != EXCL_NONE ||
	    moved_out(dmn, w, s))
		return false;
	unsigned long t = w->scope.totalpages;

	p.points = oom_points(&p, w->scope.page_kb);
	p.badness = oom_badness_of(p.points, p.oom_score_adj, t) + p.rule_delta * (long)(t / 1000);
	p.kernel_score = -1;
	s->v.chosen = p;
	*badness = p.badness;
	return true;
}

void watch_drop_ready(struct daemon *dmn, struct watch *w)
{
	if (w->ready) {
		slot_release(dmn, w->ready);
		w->ready = NULL;
	}
}

/* The victim chosen ahead was chosen on smp, at `at` */
static void ready_mark(struct watch *w, const struct sample *smp, long long at)
{
	w->ready_at = at;
	w->ready_avail = smp->avail_kb;
	w->ready_held = smp->held_kb;
	w->ready_has_held = smp->has_held;
}

/*
 * The most any process's badness can have grown by since the victim was chosen ahead, in
 * pages: the memory taken since (a process started since grew from nothing). Where the
 * sample tells what processes hold (anonymous and mapped file pages), no more than their
 * growth and its page tables (pgtables_max_pages(), as the statm bound counts them): memory
 * taken as pages nobody maps (a tmpfs or memfd written, kernel memory, cache) raises nobody's
 * badness, and among candidates that tie it would throw the choice away at every sample.
 */
static long grown_bound(const struct watch *w, const struct sample *smp)
{
	unsigned long long pk = w->scope.page_kb;
	long taken = smp->avail_kb < w->ready_avail ? (long)((w->ready_avail - smp->avail_kb) / pk)
						    : 0;

	if (!smp->has_held || !w->ready_has_held)
		return taken;
	long held = smp->held_kb > w->ready_held ? (long)((smp->held_kb - w->ready_held) / pk) : 0;
	/* nothing mapped anew, no table made for it (pgtables_max_pages()'s slack is for
	 * tables outside the mappings, x86's LDT, which no fill of memory makes) */
	long bound = held ? held + pgtables_max_pages((unsigned long)held) : 0;

	return bound < taken ? bound : taken;
}

/*
 * Whether the victim chosen ahead is still the one: chosen recently, on a band not much
 * deeper than now, and the same process, alive and eligible. Otherwise someone else may have
 * grown past it since.
 */
static bool ready_fresh(struct daemon *dmn, const struct watch *w, const struct sample *smp,
			long long now)
{
	long badness;

	if (!w->ready || !still_good(dmn, w, w->ready, &badness))
		return false;
	if (w->ready_lead_bound == LONG_MAX)
		return now - w->ready_at < PRESELECT_MAX_AGE_NS &&
		       (double)smp->avail_kb >= (double)w->ready_avail * PRESELECT_DEEPEN;
	/* no one can have grown by more than that since the choice */
	long taken = grown_bound(w, smp);
	long others = w->ready_lead_bound > 0 ? w->ready_lead_bound : 0;

	/*
	 * A lead of 0 is still a lead: every other candidate of that badness lost the tie to it
	 * (rank_better(), the younger first, as select_bad_process() keeps the last of equals),
	 * and among equals any choice is right.
	 */
	return now - w->ready_at < PRESELECT_LEAD_MAX_AGE_NS && badness >= others + taken;
}

void watch_warm(struct daemon *dmn, struct watch *w)
{
	struct sample smp;
	struct choice warm;

	if (w->gone || w->ready || w->inflight)
		return;
	/* no word from the scope: warm without keeping what was chosen */
	if (dmn->ops->sample(dmn, w, &smp) || w->gone) {
		if (!w->gone)
			select_victim(&w->sel, &w->scope, &warm);
		return;
	}
	w->ready = dmn->ops->choose(dmn, w, &w->ready_lead_bound);
	if (w->ready)
		identify(dmn, w->ready);
	ready_mark(w, &smp, smp.t_ns);
}

/* In the warning band: keep the next victim chosen, so that the kill costs a re-check */
static void preselect(struct daemon *dmn, struct watch *w, const struct sample *smp, long long now)
{
	if (ready_fresh(dmn, w, smp, now))
		return;
	watch_drop_ready(dmn, w);
	w->ready = dmn->ops->choose(dmn, w, &w->ready_lead_bound);
	if (w->ready)
		identify(dmn, w->ready);
	ready_mark(w, smp, now);
}

/* Whether the victim was dying before we chose it: killed by someone else, or exiting */
static bool was_dying(const struct victim *v)
{
	return v->chosen.kill_pending || (v->chosen.flags & PF_EXITING);
}

static void sigkill(struct daemon *dmn, struct watch *w, struct slot *s, long long now,
		    const struct decision *d)
{
	/* one wake-up at its exit is all the loop needs */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT,
				  .data.u64 = EV_SCOPE | (uint64_t)(w - dmn->w) << 8 };

	/* the group's cgroup is looked up while the victim still lives: a task that has
	 * exited shows the root cgroup in /proc/PID/cgroup. Not for a victim that was dying
	 * already: the kernel kills nobody new for it */
	const struct scope *group = NULL;

	group_choice(dmn, w, s);
	if (group_wanted(w) && !was_dying(&s->v))
		group = group_prepare(dmn, w, s);
	/* a dying victim gets it again: harmless, and its sharers may not be dying */
	dmn->ops->signal(&s->v, SIGKILL);
	identify(dmn, s);
	/* counted once: a SIGKILL after SIGTERM's grace was counted at the SIGTERM */
	if (d)
		stats_kill(&dmn->stats, &w->st, (int)(w - dmn->w), &s->v,
			   sample_to_kill_us(w, &s->v), real_ms());
	/* the rest of its group, as oom_kill_process() kills the oom_group after the victim */
	if (group)
		group_kill_victim(dmn, w, s, group);
	if (d)
		say_trigger(dmn, w, d);
	if (was_dying(&s->v)) {
		say_reaping_dying(dmn, w, s);
	} else {
		say_killed(dmn, w, s);
		group_say(w);
	}
	s->v.reap_by = s->v.t_kill + (long long)dmn->conf->deadline_ms * 1000000;
	if (dmn->ops->submit(&dmn->reaper, &s->v) == 0)
		s->submitted = true;
	else
		log_line(PRIO_WARNING, "the reaper's queue is full: ", w->name,
			 " is not reaped");
	/* the victim's exit wakes the loop, so that the scope is sampled again at once */
	epoll_ctl(dmn->epfd, EPOLL_CTL_ADD, s->v.m[0].pidfd, &ev);
	w->escalate_at = 0;
	w->deadline = now + (long long)dmn->conf->deadline_ms * 1000000;
}

/*
 * Choosing took long after the sample that fired (smp): sample again, and say whether memory
 * is still short. *d becomes the new decision. When it is not, the victim is kept as chosen
 * ahead if the scope is still in the warning band, and the abort is said and counted.
 */
static bool still_short(struct daemon *dmn, struct watch *w, struct slot *s, long others_bound,
			struct decision *d, const struct sample *fired_smp, long long chosen_ns)
{
	struct sample smp;
	long long fired = w->fired_at;
	char was[sizeof(d->reason)];

	if (dmn->ops->sample(dmn, w, &smp) || w->gone)
		return true;	/* no word from the scope: act on the one we had */
	memcpy(was, d->reason, sizeof(was));
	decide(&w->dec, &w->conf->th, &smp, d);
	w->fired_at = smp.t_ns;
	if (d->verdict >= VERDICT_TERM)
		return true;
	dmn->aborts++;
	identify(dmn, s);
	say_abort(dmn, w, s, was, ms_between(fired, chosen_ns), d);
	if (d->verdict == VERDICT_WARN) {
		w->ready = s;
		/*
		 * Dated from the sample it was chosen after as well as this one, whichever
		 * counts more taken since: what others took while it was chosen, or while the
		 * daemon waited for a CPU, counts against its lead. Marked with this sample
		 * alone, a victim chosen when a grower was under it was kept a second later as
		 * the grower passed it, the memory taken in between unseen, and killed at the
		 * next trigger in the grower's place.
		 */
		ready_mark(w, &smp, fired_smp->t_ns);
		if (fired_smp->avail_kb > w->ready_avail)
			w->ready_avail = fired_smp->avail_kb;
		if (!fired_smp->has_held)
			w->ready_has_held = false;
		else if (fired_smp->held_kb < w->ready_held)
			w->ready_held = fired_smp->held_kb;
		w->ready_lead_bound = others_bound;
	} else {
		slot_release(dmn, s);
	}
	w->next_ns = smp.t_ns + (long long)d->next_ms * 1000000;
	return false;
}

/* Test hook (OOMREAPER_TEST_STALL_MS): choosing takes this long, as on a loaded machine */
static void test_stall(struct daemon *dmn)
{
	struct timespec ts = { dmn->test_stall_ms / 1000, dmn->test_stall_ms % 1000 * 1000000L };

	if (dmn->test_stall_ms)
		nanosleep(&ts, NULL);
}

/* A trigger fired in the scope: kill its victim, or say what would be killed */
static void act(struct daemon *dmn, struct watch *w, const struct sample *smp,
		const struct decision *fired, long long now)
{
	struct decision dd = *fired, *d = &dd;
	/* what choosing takes, for the select histogram (stats.h) */
	long long began = now_ns();
	/* chosen ahead in the warning band: a re-check of one process, not a scan */
	struct slot *s = ready_fresh(dmn, w, smp, now) ? w->ready : NULL;
	long bound = w->ready_lead_bound;

	if (s)
		s->ahead = true;
	if (!s) {
		watch_drop_ready(dmn, w);
		s = dmn->ops->choose(dmn, w, &bound);
	}
	w->ready = NULL;
	test_stall(dmn);
	long long chosen_ns = now_ns();

	if (s && chosen_ns - smp->t_ns > RECHECK_AFTER_NS &&
	    !still_short(dmn, w, s, bound, d, smp, chosen_ns))
		return;
	if (!s) {
		if (!w->said_nothing) {
			say_trigger(dmn, w, d);
			log_line(PRIO_WARNING, w->name, ": no process can be chosen: ",
				 w->why);
		}
		w->said_nothing = true;
		/* a selection every 10 ms that finds nobody is a busy loop: look again later */
		w->quiet_until = now + NOTHING_PAUSE_NS;
		return;
	}
	w->said_nothing = false;
	/* the last look before the signal: choosing, a stall or a re-check took time */
	if (moved_out(dmn, w, s)) {
		say_process(w, s, PRIO_NOTICE, "has left the scope since it was chosen: not killed; "
			    "choosing again");
		slot_release(dmn, s);
		w->next_ns = now;
		return;
	}
	slot_note(dmn, s)->fired = *d;
	if (dmn->conf->dry_run) {
		say_trigger(dmn, w, d);
		group_choice(dmn, w, s);
		if (group_wanted(w) && !was_dying(&s->v))
			group_would_kill(dmn, w, s);
		identify(dmn, s);
		say_would_kill(dmn, w, s);
		group_say(w);
		/* as a real victim would, it blocks the scope until its deadline */
		w->quiet_until = now + (long long)dmn->conf->deadline_ms * 1000000;
		slot_release(dmn, s);
		return;
	}
	s->state = SLOT_INFLIGHT;
	w->inflight = s;
	group_choice(dmn, w, s);
	w->st.pending_trigger = d->trigger;
	w->st.pending_select_us = (chosen_ns - began) / 1000;
	/* a dying victim needs no warning: it is on its way out already */
	if (dmn->conf->grace_ms && d->verdict == VERDICT_TERM && !was_dying(&s->v)) {
		dmn->ops->signal(&s->v, SIGTERM);
		identify(dmn, s);
		stats_kill(&dmn->stats, &w->st, (int)(w - dmn->w), &s->v, -1, real_ms());
		say_trigger(dmn, w, d);
		say_process(w, s, PRIO_NOTICE,
			    "sent SIGTERM: SIGKILL when its grace ends, unless it exits");
		jvictim(dmn, "term", w, &s->v, "grace_ms", dmn->conf->grace_ms);
		w->escalate_at = now + (long long)dmn->conf->grace_ms * 1000000;
		w->deadline = w->escalate_at + (long long)dmn->conf->deadline_ms * 1000000;
		return;
	}
	sigkill(dmn, w, s, now, d);
}

/*
 * A hook due (hooks.h): what it is told, copied now; it starts once the loop turn's scopes
 * are done. s: the victim, or for a warning the one chosen ahead (NULL: none); d: the
 * figures; outcome: what became of a victim, NULL for a warning.
 */
static void hook_due(struct daemon *dmn, const struct watch *w, const struct hook_cmd *cmd,
		     const char *event, const struct slot *s, const struct decision *d,
		     const char *outcome, long long now)
{
	static struct hook_event e;	/* 8 kB: not on the stack; copied by hooks_queue() */
	const struct victim *v = s ? &s->v : NULL;

	if (!cmd->argc)
		return;
	e.event = event;
	snprintf(e.scope, sizeof(e.scope), "%s", w->name);
	e.trigger = d->trigger != TRIG_NONE ? trigger_name(d->trigger) : "warn";
	e.avail_kb = d->avail_kb;
	e.total_kb = d->total_kb;
	e.min_kb = d->min_kb;
	e.kill_kb = d->kill_kb;
	e.outcome = outcome;
	e.pid = v ? v->chosen.pid : 0;
	e.cgroup[0] = 0;
	if (v) {
		memcpy(e.comm, v->chosen.comm, sizeof(e.comm));
		e.uid = (unsigned)v->chosen.uid;
		e.rss_kb = v->chosen.rss_anon_kb + v->chosen.rss_file_kb + v->chosen.rss_shmem_kb;
		snprintf(e.cgroup, sizeof(e.cgroup), "%s", slot_note(dmn, s)->cgroup);
	}
	e.ms = 0;
	if (v && outcome) {
		long long end = v->t_exited ? v->t_exited : v->t_reaped ? v->t_reaped : now;

		e.ms = (end - (v->t_kill ? v->t_kill : v->t_term)) / 1000000;
	}
	hooks_queue(&dmn->hooks, cmd, &e);
}

/* post_kill_exec, once a victim is let go: gone, reaped, or stuck past its deadline */
static void hook_post_kill(struct daemon *dmn, const struct watch *w, const struct slot *s,
			   const char *outcome, long long now)
{
	hook_due(dmn, w, &w->conf->post_kill_exec, "kill", s, &slot_note(dmn, s)->fired, outcome,
		 now);
}

/*
 * The kernel's MMF_OOM_SKIP: a victim let go while it still lives (reaped, or past its
 * deadline) is never chosen again, or a stuck one would be chosen for ever.
 */
static void done_with(struct daemon *dmn, struct slot *s)
{
	victim_poll_gone(&s->v);
	for (int i = 0; i < s->v.n; i++)
		if (!s->v.m[i].gone)
			victims_done_add(&dmn->done, s->v.m[i].pid, s->v.m[i].start_time);
}

/* Says what became of a victim: its exit, its reap */
static void report_progress(struct daemon *dmn, struct watch *w, struct slot *s)
{
	if (!s->exit_logged && victim_poll_gone(&s->v)) {
		s->exit_logged = true;
		say_exited(dmn, w, s);
		stats_exited(&dmn->stats, &w->st, &s->v);
	}
	if (s->submitted && !s->reap_logged &&
	    atomic_load_explicit(&s->v.reap_done, memory_order_acquire)) {
		s->reap_logged = true;
		say_reaped(dmn, w, s);
		stats_reaped(&dmn->stats, &w->st, &s->v);
	}
}

/*
 * The victim in flight: escalate after the grace; unblock the scope once its memory is back
 * (exited or reaped) or its deadline passed: oom_reap_task() sets MMF_OOM_SKIP once it has
 * reaped the mm or given up on it, so that a stuck victim does not block the killer for ever.
 */
void watch_follow(struct daemon *dmn, struct watch *w, long long now)
{
	struct slot *s = w->inflight;

	if (!s)
		return;
	report_progress(dmn, w, s);
	if (w->escalate_at) {
		if (s->exit_logged) {
			hook_post_kill(dmn, w, s, "exited", now);
			w->inflight = NULL;
			w->escalate_at = 0;
			slot_release(dmn, s);
		} else if (now >= w->escalate_at && dmn->conf->dry_run) {
			/* a reload into dry run while the grace ran: no signal from now on, and
			 * the victim no longer blocks its scope (invariant 1, docs/design.md) */
			say_process(w, s, PRIO_NOTICE,
				    "did not exit within its grace; dry run now: no SIGKILL");
			w->inflight = NULL;
			w->escalate_at = 0;
			slot_release(dmn, s);
		} else if (now >= w->escalate_at) {
			say_process(w, s, PRIO_NOTICE, "did not exit within its grace: SIGKILL");
			w->fired_at = 0;	/* a timer, not a sample, sent this one */
			sigkill(dmn, w, s, now, NULL);
		}
		return;
	}
	bool reaped = s->submitted && atomic_load_explicit(&s->v.reap_done, memory_order_acquire) &&
		      s->v.reap_outcome == REAP_REAPED;

	if (reaped && !s->exit_logged) {
		if (!s->reaped_at)
			s->reaped_at = now;
		if (now - s->reaped_at < REAP_SETTLE_NS) {
			if (w->next_ns > s->reaped_at + REAP_SETTLE_NS)
				w->next_ns = s->reaped_at + REAP_SETTLE_NS;
			return;
		}
	}
	if (s->exit_logged || reaped) {
		group_say_freed(w, &s->v);
		hook_post_kill(dmn, w, s, s->exit_logged ? "exited" : "reaped", now);
		w->inflight = NULL;
		done_with(dmn, s);
		slot_release(dmn, s);
		/* memory is back: look again now, the scope may still be short */
		w->next_ns = now;
		return;
	}
	if (now >= w->deadline) {
		say_process(w, s, PRIO_WARNING,
			    "stuck: neither gone nor reaped by the deadline; moving on");
		jvictim(dmn, "stuck", w, &s->v, "ms", ms_between(s->v.t_kill, now));
		group_say_freed(w, &s->v);
		stats_stuck(&dmn->stats, &w->st);
		hook_post_kill(dmn, w, s, "stuck", now);
		w->inflight = NULL;
		done_with(dmn, s);
		slot_release(dmn, s);
		w->next_ns = now;
	}
}

void watch_disarm_levels(struct daemon *dmn, struct watch *w)
{
	if (w->level_fd >= 0) {
		epoll_ctl(dmn->epfd, EPOLL_CTL_DEL, w->level_fd, NULL);
		close(w->level_fd);
	}
	w->level_fd = -1;
	w->levels_total_kb = 0;
	w->dec.wake_used_kb = 0;
}

/* Registers one usage threshold (bytes) of the v1 cgroup on efd. Returns 0 or -errno. */
static int v1_threshold(struct watch *w, int efd, unsigned long long bytes)
{
	char reg[64];
	int n = snprintf(reg, sizeof(reg), "%d %d %llu", efd, w->files.usage, bytes);
	int rfd = openat(w->scope.dir_fd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
	int r = rfd >= 0 && write(rfd, reg, (size_t)n) == n ? 0 : -errno;

	if (rfd >= 0)
		close(rfd);
	return r;
}

/*
 * A v1 cgroup: the kernel wakes the loop (an eventfd, cgroup.event_control) when the usage
 * crosses into the warning band and past mem_min, so that a fill as fast as the machine can
 * do is caught at the band's edge however seldom an idle scope is sampled. The levels follow
 * the scope's total: armed again when it changes. Without them, sampling paces itself.
 */
static void arm_levels(struct daemon *dmn, struct watch *w, const struct sample *smp)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = EV_SCOPE | (uint64_t)(w - dmn->w) << 8 };
	unsigned long long total = smp->total_kb;
	unsigned long long min_kb = level_kb(&w->conf->th.mem_min, total);

	if (w->scope.kind != SCOPE_CGROUP_V1 || w->files.usage < 0 || !smp->used_kb ||
	    (total == w->levels_total_kb && min_kb == w->levels_min_kb))
		return;
	watch_disarm_levels(dmn, w);
	w->levels_total_kb = total;
	w->levels_min_kb = min_kb;
	if (2 * min_kb >= total)
		return;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (efd < 0)
		return;
	if (v1_threshold(w, efd, (total - 2 * min_kb) * 1024) ||
	    v1_threshold(w, efd, (total - min_kb) * 1024) ||
	    epoll_ctl(dmn->epfd, EPOLL_CTL_ADD, efd, &ev)) {
		close(efd);
		return;
	}
	w->level_fd = efd;
	w->dec.wake_used_kb = total - 2 * min_kb;
}

/* A sample of w and what follows from it; *decided when it was sampled, d what was decided */
static void tick(struct daemon *dmn, struct watch *w, long long now, struct decision *dd,
		 bool *decided)
{
	struct sample smp;
	struct decision d;

	watch_follow(dmn, w, now);
	if (dmn->ops->sample(dmn, w, &smp)) {
		/* a read that failed (EIO, EAGAIN, ENOMEM) says nothing of the memory: try again
		 * at the fastest pace, as a second of blindness lets a 300 MiB/s fill reach the
		 * limit; only a removed cgroup, waited for, is looked at once a second */
		w->next_ns = now + (long long)(w->gone ? SAMPLE_MAX_MS : SAMPLE_MIN_MS) * 1000000;
		return;
	}
	arm_levels(dmn, w, &smp);
	decide(&w->dec, &w->conf->th, &smp, &d);
	stats_sample(&w->st, &smp, &d);
	*dd = d;
	*decided = true;
	w->next_ns = smp.t_ns + (long long)d.next_ms * 1000000;
	w->fired_at = smp.t_ns;
	if (d.verdict == VERDICT_OK) {
		if (!d.prepare) {
			watch_drop_ready(dmn, w);
			/* memory plentiful: hold what the next selection reads, if nothing is held */
			selector_hold_now(&w->sel, &w->scope);
		} else if (!w->inflight && now >= w->quiet_until)
			preselect(dmn, w, &smp, now);
		return;
	}
	/* oom_evaluate_task() aborts the scan while a victim's mm is not MMF_OOM_SKIP: while a
	 * victim is on its way out, its memory is on its way back (docs/design.md, invariant 5) */
	if (w->inflight || now < w->quiet_until) {
		if (w->next_ns > now + 50000000LL)
			w->next_ns = now + 50000000LL;
		return;
	}
	if (d.verdict == VERDICT_WARN) {
		preselect(dmn, w, &smp, now);
		return;
	}
	act(dmn, w, &smp, &d, now);
}

void watch_tick(struct daemon *dmn, struct watch *w, long long now)
{
	bool in_band = w->dec.warned, decided = false;
	struct decision d;

	tick(dmn, w, now, &d, &decided);
	/* warn_exec once per entry into the warning band (decide()'s hysteresis says when it
	 * is left), after the kill if a trigger fired at once; told the victim chosen ahead */
	if (decided && !in_band && w->dec.warned) {
		struct slot *s = w->ready ? w->ready : w->inflight;

		say_warning(dmn, w, s, &d);
		hook_due(dmn, w, &w->conf->warn_exec, "warn", s, &d, NULL, now);
	}
}

/* Whether a victim is on its way: a rehearsal would queue behind it at the reaper */
bool slots_in_flight(struct daemon *dmn)
{
	for (int i = 0; i < POOL; i++)
		if (dmn->pool[i].state == SLOT_INFLIGHT || dmn->pool[i].state == SLOT_DRAINING)
			return true;
	return false;
}

const struct watch_ops watch_ops_live = {
	.sample = watch_sample,
	.choose = watch_choose,
	.signal = victim_signal,
	.submit = reaper_submit,
};
