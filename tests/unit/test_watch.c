/* test_watch.c - a scope's course (watch.c) driven on a series of samples: the sample, the
 * choice, the signal and the hand-off to the reaper are the test's (struct watch_ops), so that
 * what is proven is the watch's own rule: one victim in flight per scope, until it has exited,
 * been reaped or passed its deadline, and across a reload.
 *
 * The victims are children of the test blocked on a pipe: nothing is signalled (the fake
 * signal only records it); a victim "exits" when the test closes its pipe. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "daemon_log.h"
#include "rank.h"
#include "scan.h"
#include "sys.h"
#include "watch.h"

#define KIDS_MAX 8
/* The scope's memory, and what is available in and below the band (10 % / 5 % defaults) */
#define TOTAL_KB 1000000ULL
#define PLENTY_KB 500000ULL
#define SHORT_KB 20000ULL

struct fake {
	unsigned long long avail_kb;	/* what the next sample reads */
	int chosen;			/* victims chosen (fake_choose) */
	int sigkills, sigterms;
	int submitted;
	pid_t kid[KIDS_MAX];		/* victim i is kid[i], blocked reading its pipe */
	int pipe_w[KIDS_MAX];
	struct slot *slot[KIDS_MAX];
	bool lead_zero;			/* fake_choose: the victim leads the others by nothing */
	const char *cgroup;		/* fake_choose: the victim's cgroup, as note_choice() notes
					 * it */
	int known_at_signal;		/* signals sent to a victim whose identity was parsed */
	bool has_held;			/* what the next sample says processes hold */
	unsigned long long held_kb;
	long lead_kb;			/* fake_choose: the victim leads the others by this */
	unsigned long long then_kb[4];	/* what the samples after the next one read, in turn */
	unsigned long long then_held_kb[4];	/* and what processes hold then */
	int n_then, at_then;
};

struct fixture {
	struct daemon dmn;
	struct config conf;
	struct daemon_args args;
	struct cli cli;
	char path[64];			/* the configuration file */
};

static struct fake fk;

/* A victim of our own: a child that exits when its pipe is closed, never signalled */
static pid_t spawn_kid(int *write_end)
{
	int p[2];
	char c;

	if (pipe(p))
		return -1;
	pid_t pid = fork();

	if (pid == 0) {
		/* the other victims' pipes are theirs to close: held here, they would never end */
		for (int i = 0; i < KIDS_MAX; i++)
			if (fk.kid[i])
				close(fk.pipe_w[i]);
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	*write_end = p[1];
	return pid;
}

/* Victim i exits, and is waited for (a pidfd stays readable once its process is reaped) */
static void kid_exits(int i)
{
	close(fk.pipe_w[i]);
	fk.pipe_w[i] = -1;
	waitpid(fk.kid[i], NULL, 0);
	fk.kid[i] = 0;
}

static int fake_sample(struct daemon *dmn, struct watch *w, struct sample *smp)
{
	(void)dmn, (void)w;
	memset(smp, 0, sizeof(*smp));
	smp->t_ns = now_ns();
	smp->total_kb = TOTAL_KB;
	smp->avail_kb = fk.avail_kb;
	smp->held_kb = fk.held_kb;
	if (fk.at_then < fk.n_then) {
		fk.avail_kb = fk.then_kb[fk.at_then];
		fk.held_kb = fk.then_held_kb[fk.at_then++];
	}
	smp->has_held = fk.has_held;
	return 0;
}

/* As watch_choose() leaves it: a slot holding the victim by its pidfd */
static struct slot *fake_choose(struct daemon *dmn, struct watch *w, long *others_bound)
{
	struct slot *s;
	struct proc_info p = { .start_time = 1 };
	int i = fk.chosen;

	if (i >= KIDS_MAX || !(s = slot_take(dmn))) {
		snprintf(w->why, sizeof(w->why), "fixture: no victim left");
		return NULL;
	}
	p.pid = fk.kid[i] = spawn_kid(&fk.pipe_w[i]);
	assert_true(p.pid > 0);
	snprintf(p.comm, sizeof(p.comm), "victim%c", (char)('0' + i));
	victim_reset(&s->v, &p);
	assert_int_equal(victim_add(&s->v, &p), 0);
	s->v.m[0].pidfd = sys_pidfd_open(p.pid);
	assert_true(s->v.m[0].pidfd >= 0);
	s->v.gathered = true;
	snprintf(slot_note(dmn, s)->cgroup, sizeof(slot_note(dmn, s)->cgroup), "%s",
		 fk.cgroup ? fk.cgroup : "");
	fk.slot[i] = s;
	fk.chosen++;
	*others_bound = LONG_MAX;
	if (fk.lead_zero || fk.lead_kb) {
		/* another candidate as large as the victim, which lost the tie to it */
		struct proc_info q;

		memset(&q, 0, sizeof(q));
		assert_int_equal(scan_proc(dmn->cli->proc_fd, p.pid, SCAN_DETAIL, &q), 0);
		*others_bound = oom_badness_of(oom_points(&q, w->scope.page_kb), q.oom_score_adj,
					       w->scope.totalpages) -
				fk.lead_kb / (long)w->scope.page_kb;
		s->v.m[0].start_time = q.start_time;
	}
	return s;
}

/* victim_signal()'s bookkeeping, without the signal */
static int fake_signal(struct victim *v, int sig)
{
	fk.known_at_signal += v->id.pod_uid[0] != 0;
	if (sig == SIGKILL) {
		fk.sigkills++;
		v->t_kill = now_ns();
		for (int i = 0; i < v->n; i++)
			v->m[i].killed = true;
	} else {
		fk.sigterms++;
		v->t_term = now_ns();
	}
	v->unsignalled = 0;
	return v->n;
}

static int fake_submit(struct reaper *r, struct victim *v)
{
	(void)r, (void)v;
	fk.submitted++;
	return 0;
}

static const struct watch_ops fake_ops = {
	.sample = fake_sample,
	.choose = fake_choose,
	.signal = fake_signal,
	.submit = fake_submit,
};

static void write_conf(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A daemon watching the whole machine with the default levels, deadline 5 s, no grace */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct daemon *dmn = &fx->dmn;
	char err[512];

	memset(&fk, 0, sizeof(fk));
	fk.avail_kb = PLENTY_KB;
	snprintf(fx->path, sizeof(fx->path), "/tmp/test_watch.%d.conf", (int)getpid());
	write_conf(fx->path, "[oomreaper]\ndeadline = 5\ngrace = 0\n");
	fx->cli.prog = "test_watch";
	fx->args.config_path = fx->path;
	fx->args.config_given = true;
	if (cli_open(&fx->cli) || daemon_config(&fx->args, &fx->conf, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	dmn->ops = &fake_ops;
	dmn->cli = &fx->cli;
	dmn->args = &fx->args;
	dmn->conf = dmn->first_conf = &fx->conf;
	dmn->log_fd = -1;
	dmn->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dmn->epfd < 0 || daemon_open_watches(dmn, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	slots_reserve(dmn);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct daemon *dmn = &fx->dmn;

	daemon_close_watches(dmn);
	/* the fake reaper is done with every victim: their pidfds are closed */
	for (int i = 0; i < POOL; i++)
		atomic_store(&dmn->pool[i].v.reap_done, true);
	slots_sweep(dmn);
	for (int i = 0; i < KIDS_MAX; i++)
		if (fk.kid[i])
			kid_exits(i);
	if (dmn->conf != dmn->first_conf)
		config_free(dmn->conf);
	config_free(dmn->first_conf);
	for (int i = 0; i < POOL; i++)
		victim_free(&dmn->pool[i].v);
	close(dmn->epfd);
	cli_close(&fx->cli);
	unlink(fx->path);
	free(fx);
	return 0;
}

/* One sample reading avail_kb, at now */
static void tick(struct daemon *dmn, unsigned long long avail_kb, long long now)
{
	fk.avail_kb = avail_kb;
	watch_tick(dmn, &dmn->w[0], now);
	slots_sweep(dmn);
}

/* A sample under mem_kill at t, after which chosen victims have been chosen in all */
static void short_tick(struct daemon *dmn, long long t, int chosen)
{
	tick(dmn, SHORT_KB, t);
	assert_int_equal(fk.chosen, chosen);
}

/* Memory short: the first sample under mem_kill kills; ten more while it is in flight kill
 * nobody else; once it has exited, the next short sample chooses the next victim */
static void inflight_blocks_until_exit(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	long long t = now_ns();

	tick(dmn, PLENTY_KB, t);
	assert_int_equal(fk.chosen, 0);
	short_tick(dmn, t, 1);
	assert_int_equal(fk.sigkills, 1);
	assert_int_equal(fk.submitted, 1);
	assert_ptr_equal(dmn->w[0].inflight, fk.slot[0]);
	for (int i = 1; i <= 10; i++)
		short_tick(dmn, t + i * 100000000LL, 1);
	assert_int_equal(fk.sigkills, 1);
	kid_exits(0);
	short_tick(dmn, t + 1100000000LL, 2);
	assert_int_equal(fk.sigkills, 2);
	assert_ptr_equal(dmn->w[0].inflight, fk.slot[1]);
}

/* STATUS=: the scope's newest sample against its mem_min, in sizes for people, and the kills:
 * nothing before the first sample, the figures after it, "1 kill" once one was made */
static void status_says_memory_and_kills(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	long long t = now_ns();
	struct line l;

	status_text(dmn, &l);
	assert_string_equal(line_text(&l), "STATUS=global: not sampled yet; 0 kills");
	tick(dmn, PLENTY_KB, t);
	status_text(dmn, &l);
	/* 500,000 kB and 10 % of 1,000,000 kB */
	assert_string_equal(line_text(&l),
			    "STATUS=global: available 488.3 MiB, mem_min 97.7 MiB; 0 kills");
	short_tick(dmn, t + 100000000LL, 1);
	status_text(dmn, &l);
	assert_string_equal(line_text(&l),
			    "STATUS=global: available 19.5 MiB, mem_min 97.7 MiB; 1 kill");
	tick(dmn, 2 * 1024 * 1024 + 104858, t + 200000000LL);
	status_text(dmn, &l);
	assert_string_equal(line_text(&l),
			    "STATUS=global: available 2.1 GiB, mem_min 97.7 MiB; 1 kill");
}

/* A victim chosen ahead that leads the others by nothing (a tie it won) is kept from one
 * sample in the warning band to the next, not chosen again at every one */
static void tie_chosen_ahead_is_kept(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	long long t = now_ns();

	fk.lead_zero = true;
	for (int i = 0; i < 5; i++)
		tick(dmn, (PLENTY_KB + SHORT_KB) / 4, t + i * 100000000LL);
	assert_int_equal(fk.chosen, 1);
	assert_ptr_equal(dmn->w[0].ready, fk.slot[0]);
	assert_int_equal(fk.sigkills, 0);
}

/*
 * A trigger fires on a fast fill predicted to cross mem_min before the next sample; choosing
 * then takes long (a loaded machine: the test stall), and
 * the sample taken again says memory is only in the warning band: the victim is kept as
 * chosen ahead. Processes took 200,000 kB meanwhile (what they hold), and 100 kB after it.
 * At the next trigger the victim leads the others by 1,000 kB: less than what was taken since
 * it was chosen, so another may have grown past it, and it is chosen again. Marked with the
 * second sample alone, it kept its lead (100 kB taken "since") and was killed in the place of
 * a grower that had passed it (CI saw that: the frozen hog of test_group_kill_reaps_a_frozen_
 * member killed with the grower twice its size).
 */
static void kept_after_abort_counts_what_was_taken_while_choosing(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	struct timespec ms5 = { 0, 5000000 };

	fk.lead_kb = 1000;
	fk.has_held = true;
	fk.held_kb = 100000;
	tick(dmn, PLENTY_KB, now_ns());
	nanosleep(&ms5, NULL);
	tick(dmn, 480000, now_ns());
	nanosleep(&ms5, NULL);
	/* the fill is fast: the trigger fires on this sample, 1,000 kB above mem_min; choosing
	 * takes 300 ms, and the sample taken again finds the fill stopped there (the warning
	 * band), 200,000 kB more held */
	dmn->test_stall_ms = 300;
	fk.then_kb[0] = 101000;
	fk.then_held_kb[0] = 300000;
	fk.then_kb[1] = SHORT_KB;
	fk.then_held_kb[1] = 300100;
	fk.n_then = 2;
	tick(dmn, 101000, now_ns());
	dmn->test_stall_ms = 0;
	/* chosen at the trigger (after one chosen ahead, maybe, as the fill began), not
	 * killed, kept */
	int chosen = fk.chosen;

	assert_true(chosen >= 1);
	assert_int_equal(fk.sigkills, 0);
	assert_ptr_equal(dmn->w[0].ready, fk.slot[chosen - 1]);
	nanosleep(&ms5, NULL);
	tick(dmn, SHORT_KB, now_ns());
	assert_int_equal(fk.sigkills, 1);
	/* chosen again: not the victim chosen before the memory went */
	assert_int_equal(fk.chosen, chosen + 1);
	assert_ptr_equal(dmn->w[0].inflight, fk.slot[chosen]);
}

#define POD_UID "0856cde3-94d8-4e00-bd2e-a6f42d63ecff"
#define POD_CID "d98cdf47b496d9bee0e9d0e3b4408d4885322279ae08318624713c0d523c6e07"

/* A victim's pod, container and class, whether a JSON log is written or not (none here): one
 * chosen ahead has them at once, for status; one chosen at the trigger only once its SIGKILL
 * is sent, and before its kill is counted */
static void victims_identified(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	long long t = now_ns();

	fk.cgroup = "/kubepods/besteffort/pod" POD_UID "/" POD_CID;
	tick(dmn, (PLENTY_KB + SHORT_KB) / 4, t);
	assert_non_null(dmn->w[0].ready);
	assert_string_equal(dmn->w[0].ready->v.id.pod_uid, POD_UID);
	assert_int_equal(dmn->w[0].ready->v.id.qos, QOS_BESTEFFORT);
	watch_drop_ready(dmn, &dmn->w[0]);
	slots_sweep(dmn);
	short_tick(dmn, t + 100000000LL, 2);
	assert_int_equal(fk.sigkills, 1);
	assert_int_equal(fk.known_at_signal, 0);
	assert_string_equal(dmn->w[0].inflight->v.id.container_id, POD_CID);
	assert_string_equal(dmn->w[0].st.last.id.pod_uid, POD_UID);
	assert_string_equal(dmn->w[0].st.last.id.container_id, POD_CID);
	assert_int_equal(dmn->w[0].st.last.id.qos, QOS_BESTEFFORT);
	assert_string_equal(stats_recent(&dmn->stats, 0)->id.pod_uid, POD_UID);
}

/* Victims that lead by nothing, samples that say what processes hold, and the predictive
 * trigger off (the samples' own clock is the real one, microseconds apart) */
static void tie_held(struct daemon *dmn)
{
	fk.lead_zero = true;
	fk.has_held = true;
	fk.held_kb = 300000;
	((struct scope_conf *)dmn->w[0].conf)->th.horizon_s = 0;
}

/* The band, from its top to just over mem_min, in five samples 100 ms apart from t */
static void band_ticks(struct daemon *dmn, long long t)
{
	for (int i = 0; i < 5; i++)
		tick(dmn, 190000 - (unsigned long long)i * 20000, t + i * 100000000LL);
}

/* A tie chosen ahead is kept while the memory taken goes to no process (what processes hold
 * does not grow: a memfd filled, say), and it is the one killed when the trigger fires */
static void tie_kept_while_memory_goes_to_no_process(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	long long t = now_ns();

	tie_held(dmn);
	band_ticks(dmn, t);
	assert_int_equal(fk.chosen, 1);
	assert_ptr_equal(dmn->w[0].ready, fk.slot[0]);
	short_tick(dmn, t + 500000000LL, 1);
	assert_int_equal(fk.sigkills, 1);
	assert_ptr_equal(dmn->w[0].inflight, fk.slot[0]);
	assert_true(fk.slot[0]->ahead);
}

/* The same, but what processes hold grows with the memory taken: one of them may have grown
 * past the tie, which is chosen again at the next sample; and without the held figure (a
 * tree without memory.stat), every page taken counts */
static void tie_chosen_again_when_held_grows(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	long long t = now_ns();

	tie_held(dmn);
	tick(dmn, 190000, t);
	assert_int_equal(fk.chosen, 1);
	/* more than the victim, a child just forked, can grow by touching its pages */
	fk.held_kb += 40000;
	tick(dmn, 170000, t + 100000000LL);
	assert_int_equal(fk.chosen, 2);
	fk.has_held = false;
	tick(dmn, 150000, t + 200000000LL);
	assert_int_equal(fk.chosen, 3);
}

/* A victim reaped (the reaper's word, REAP_REAPED) no longer blocks, though it lives on */
static void inflight_blocks_until_reaped(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	long long t = now_ns();

	short_tick(dmn, t, 1);
	short_tick(dmn, t + 100000000LL, 1);
	fk.slot[0]->v.reap_outcome = REAP_REAPED;
	atomic_store(&fk.slot[0]->v.reap_done, true);
	/* reaped, not exited: its pages may not all be uncharged yet (watch.c REAP_SETTLE_NS),
	 * so the scope stays blocked a while, then the next short sample kills again */
	short_tick(dmn, t + 200000000LL, 1);
	short_tick(dmn, t + 250000000LL, 1);
	short_tick(dmn, t + 300000000LL, 2);
	/* the reaped victim, still alive, is never chosen again (MMF_OOM_SKIP) */
	assert_true(victims_done_has(&dmn->done, fk.kid[0], 1));
}

/* A victim that neither exits nor is reaped blocks its scope until its deadline (5 s), and
 * not a moment longer: the kernel's livelock, which a timer ends */
static void inflight_blocks_until_deadline(void **state)
{
	struct daemon *dmn = &((struct fixture *)*state)->dmn;
	long long t = now_ns();

	short_tick(dmn, t, 1);
	short_tick(dmn, t + 4900000000LL, 1);
	assert_non_null(dmn->w[0].inflight);
	short_tick(dmn, t + 5000000000LL, 2);
	assert_ptr_equal(dmn->w[0].inflight, fk.slot[1]);
	assert_true(victims_done_has(&dmn->done, fk.kid[0], 1));
}

/* A victim killed, then a reload with the file now holding text: the watch of the scope,
 * new or kept, still has that victim in flight */
static void reload_with_victim(struct fixture *fx, const char *text, long long t)
{
	struct daemon *dmn = &fx->dmn;

	short_tick(dmn, t, 1);
	write_conf(fx->path, text);
	daemon_reload(dmn);
	assert_int_equal(dmn->nw, 1);
	assert_ptr_equal(dmn->w[0].inflight, fk.slot[0]);
	assert_int_equal(fk.slot[0]->state, SLOT_INFLIGHT);
}

/* A reload (SIGHUP) while a victim is in flight: the new watch of the same scope keeps it,
 * so memory still short kills nobody else until it has exited */
static void reload_keeps_victim_in_flight(void **state)
{
	struct fixture *fx = *state;
	struct daemon *dmn = &fx->dmn;
	long long t = now_ns();

	reload_with_victim(fx, "[oomreaper]\ndeadline = 6\ngrace = 0\n", t);
	assert_ptr_not_equal(dmn->conf, dmn->first_conf);
	assert_int_equal(dmn->conf->deadline_ms, 6000);
	for (int i = 1; i <= 5; i++)
		short_tick(dmn, t + i * 100000000LL, 1);
	kid_exits(0);
	short_tick(dmn, t + 600000000LL, 2);
}

/* A reload that is refused (a bad file) keeps the running configuration, watch and victim */
static void failed_reload_keeps_victim_in_flight(void **state)
{
	struct fixture *fx = *state;
	struct daemon *dmn = &fx->dmn;
	long long t = now_ns();

	reload_with_victim(fx, "[oomreaper]\ndeadline = soon\n", t);
	assert_ptr_equal(dmn->conf, dmn->first_conf);
	short_tick(dmn, t + 100000000LL, 1);
}

/* What status and the metrics show follows the watch: its last sample, each kill counted once
 * under its trigger, the victim's exit, a stuck victim; a reload keeps the scope's counts */
static void counted_for_status(void **state)
{
	struct fixture *fx = *state;
	struct daemon *dmn = &fx->dmn;
	long long t = now_ns();

	tick(dmn, PLENTY_KB, t);
	assert_int_equal(dmn->w[0].st.avail_kb, PLENTY_KB);
	assert_int_equal(dmn->w[0].st.verdict, VERDICT_OK);
	assert_int_equal(dmn->stats.kills, 0);
	short_tick(dmn, t + 100000000LL, 1);
	short_tick(dmn, t + 200000000LL, 1);		/* in flight: not counted again */
	assert_int_equal(dmn->stats.kills, 1);
	assert_int_equal(dmn->w[0].st.kills[TRIG_MEM_KILL], 1);
	assert_int_equal(dmn->w[0].st.last.pid, fk.kid[0]);
	assert_int_equal(dmn->w[0].st.last.trigger, TRIG_MEM_KILL);
	assert_true(dmn->w[0].st.last.sample_to_kill_us >= 0);
	assert_int_equal(dmn->w[0].st.last.exited_ms, -1);
	kid_exits(0);
	short_tick(dmn, t + 300000000LL, 2);
	assert_int_equal(dmn->stats.kills, 2);
	assert_int_equal(stats_recent(&dmn->stats, 0)->pid, fk.kid[1]);
	assert_true(stats_recent(&dmn->stats, 1)->exited_ms >= 0);
	write_conf(fx->path, "[oomreaper]\ndeadline = 1\n");
	daemon_reload(dmn);
	assert_int_equal(dmn->w[0].st.kills[TRIG_MEM_KILL], 2);
	/* the second victim neither exits nor is reaped: stuck at its deadline (5 s, set when
	 * it was killed) */
	short_tick(dmn, t + 5400000000LL, 3);
	assert_int_equal(dmn->stats.stuck, 1);
	assert_int_equal(dmn->w[0].st.stuck, 1);
	assert_int_equal(dmn->stats.kills, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(status_says_memory_and_kills, setup, teardown),
		cmocka_unit_test_setup_teardown(inflight_blocks_until_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(counted_for_status, setup, teardown),
		cmocka_unit_test_setup_teardown(tie_chosen_ahead_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(victims_identified, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_after_abort_counts_what_was_taken_while_choosing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(tie_kept_while_memory_goes_to_no_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(tie_chosen_again_when_held_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(inflight_blocks_until_reaped, setup, teardown),
		cmocka_unit_test_setup_teardown(inflight_blocks_until_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_keeps_victim_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_reload_keeps_victim_in_flight, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
