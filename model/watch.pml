/*
 * model/watch.pml - one scope's course in oomreaper's daemon, and the reaper's queue, for spin.
 *
 * What is modelled, and from where (README.md, "The model, checked by spin", maps the names
 * here to src/; docs/design.md, "Invariants", says what must hold):
 *   watcher  the daemon's loop for one scope (daemon.c daemon_run, watch.c watch_tick): sample
 *            and decide (any verdict, abstracted), choose ahead in the warning band
 *            (preselect), kill (act, sigkill), follow the victim in flight (watch_follow), free
 *            the reaper's slots (slots_sweep), and SIGHUP's reload (daemon.c reload)
 *   reaper   the reaper thread (reap.c reaper_main, reap_victim, reap_member): a bounded queue,
 *            process_mrelease with RETRIES attempts, its word given by the victim's deadline
 *   world    (world_step, inside the watcher's turns) the processes: they exit, their pids
 *            are reused by new processes of any kind, a SIGKILLed one may be stuck for ever
 *            (frozen, in D state); and SIGHUP, at any turn, any number of times
 *   clock    time passing: a victim's deadline, SIGTERM's grace, a scope's quiet time
 *
 * Ground truth (the mm_* arrays) is kept apart from the daemon's own bookkeeping, so that a
 * daemon that forgets a victim cannot also forget that it is still in flight.
 *
 * Deliberately broken variants, each of which spin must reject (model/check runs them):
 *   RELOAD_FORGETS     reload closes and reopens the scope, dropping its victim in flight and
 *                      its quiet time: exactly what reload() did before it kept them
 *   NO_INFLIGHT_CHECK  watch_tick acts while a victim is in flight
 *   NO_IDENTITY_CHECK  victim_open keeps a pidfd without comparing the start time
 *   NO_DEADLINE        watch_follow never gives up on a victim that is neither gone nor reaped
 *   QUEUE_BLOCKS       the killer waits for room in the reaper's queue
 *   FREE_UNDER_REAPER  slot_release frees a slot the reaper has not finished with
 * and one that is not a variant but a question left open, outside model/check:
 *   RELOAD_DRY_RUN     a reload may switch dry run: the code sends a grace's SIGKILL after it
 *
 * Limits of the model: one scope; two pids, the second reused once; a reap queue of one; a
 * process's protection (pid 1, kthread, oomreaper itself, oom_score_adj -1000, an ignore
 * rule) and membership of the scope are fixed for its life (a migration or an adj written
 * between the last check and the signal is not modelled); an address space is shared only by
 * pids 0 and 1, from the start (no CLONE_VM fork later); dry run does not change across
 * reloads (but with RELOAD_DRY_RUN); the scope stays in every configuration (matched by path)
 * and on the machine; the rehearsal (resident.c), the robust futex wait and the bound of
 * dmn.done are left out; ranking is abstracted: any eligible process may be the best.
 */

#define NP	2		/* pids */
#define NG	2		/* processes per pid: the first, and one that reuses its pid */
#define POOL	2		/* watch.h POOL (2 a scope): one chosen ahead, one in flight */
#define QLEN	1		/* reap.h REAP_QUEUE_LEN (16): as there, it fills before POOL runs out */
#ifndef RETRIES
#define RETRIES	10		/* reap_opts_default(): MAX_OOM_REAP_RETRIES of oom_reap_task() */
#endif
#define NONE	255

mtype = { FREE, READY, INFLIGHT, DRAINING };		/* enum slot_state */
mtype = { PENDING, REAPED, EXITED, UNABLE, REFUSED };	/* enum reap_outcome */
mtype = { TERM, KILL };

/* --- the world: pid i holds process (i, gen[i]) ------------------------------------------ */
bool alive[NP];
byte gen[NP];
bool prot[NP];		/* never to be signalled: init, kthread, ourselves, -1000, ignored */
bool insc[NP];		/* a member of the watched scope */
byte mm[NP];		/* its address space: 1 + pid + gen (1, 2, 3); 0 and 1 may share 1 */
bool dying[NP];		/* SIGKILL delivered */
bool stuck[NP];		/* SIGKILLed, and will never exit (frozen) */
bool done[NP];		/* let go while alive (reaped, past its deadline): dmn.done */

/* --- ground truth, per address space (ids 1..3) ------------------------------------------ */
bool mm_vic[4];		/* its owner was signalled as the scope's victim */
bool mm_killed[4];	/* SIGKILL sent: its deadline runs */
bool mm_dl[4];		/* its deadline passed */
bool mm_reaped[4];	/* process_mrelease freed it */

#define HOLDS(i, m)	(alive[i] && mm[i] == (m))
#define MM_LIVE(m)	(HOLDS(0, m) || HOLDS(1, m))
/* a victim in flight: signalled, and its memory neither back (exit, reap) nor given up on */
#define GT_INFLIGHT(m)	(mm_vic[m] && MM_LIVE(m) && !mm_reaped[m] && !mm_dl[m])
#define OTHER_INFLIGHT(x) \
	(((x) != 1 && GT_INFLIGHT(1)) || ((x) != 2 && GT_INFLIGHT(2)) || \
	 ((x) != 3 && GT_INFLIGHT(3)))

/* --- the daemon: its victims (struct slot), its scope (struct watch), its configuration --- */
mtype sl_state[POOL];
byte sl_fd[POOL * NP];	/* the pidfd slot s holds on pid j: the generation it opened + 1 */
byte sl_m0[POOL];	/* the chosen process: v.m[0] */
byte sl_mm[POOL];	/* its address space, as read when it was chosen */
bool sl_submitted[POOL], sl_done[POOL], sl_exit_logged[POOL];
bool sl_reaped[POOL];	/* v.reap_outcome == REAP_REAPED, once sl_done */

byte w_ready = NONE;	/* w->ready */
byte w_inflight = NONE;	/* w->inflight */
bool w_escalate;	/* w->escalate_at != 0: SIGKILL due after SIGTERM's grace */
bool w_quiet;		/* now < w->quiet_until */
bool grace_up;		/* now >= w->escalate_at */
bool dry_run, grace;	/* conf->dry_run, conf->grace_ms != 0 */

chan reapq = [QLEN] of { byte };	/* reaper.queue */

#define FD_LIVE(s, j)	(sl_fd[(s) * NP + (j)] != 0 && alive[j] && \
			 gen[j] + 1 == sl_fd[(s) * NP + (j)])
/* victim_poll_gone(): every member's pidfd readable (a zombie counts) */
#define GONE(s)		(!FD_LIVE(s, 0) && !FD_LIVE(s, 1))
/* a reload kept the victim in flight of address space m */
#define KEPT(m)		(!GT_INFLIGHT(m) || (w_inflight != NONE && sl_mm[w_inflight] == (m)))
#define ALL_KEPT	(KEPT(1) && KEPT(2) && KEPT(3))
/* process_mrelease() refuses (EINVAL) an mm a live process holds without SIGKILL */
#define UNKILLED_HOLDER(m) ((HOLDS(0, m) && !dying[0]) || (HOLDS(1, m) && !dying[1]))
/* select_exclusion(): who the scan may return. A dying process may be chosen (its memory is
 * what the reaper is for), unless it was let go already: the kernel's MMF_OOM_SKIP. Whether a
 * sharer is protected is the group's check (select_group(), victim_gather()) */
#define ELIGIBLE(i)	(alive[i] && !prot[i] && !(dying[i] && done[i]))
#define CANDIDATE(i)	(ELIGIBLE(i) && insc[i])

/* A process is born at pid i: of any kind, in the scope or not */
inline born(i)
{
	alive[i] = true;
	dying[i] = false;
	stuck[i] = false;
	mm[i] = 1 + i + gen[i];
	if
	:: prot[i] = true
	:: prot[i] = false
	fi;
	if
	:: insc[i] = true
	:: insc[i] = false
	fi
}

/* Process i exits. What no one can ask of it any more is forgotten, so that states that
 * differ only there are one: its kind, and once its address space has no holder left, that
 * address space's ground truth (an address space never comes back) */
inline died(i)
{
	alive[i] = false;
	prot[i] = false;
	insc[i] = false;
	dying[i] = false;
	done[i] = false;
	m = mm[i];
	mm[i] = 0;
	if
	:: !MM_LIVE(m) ->
		mm_vic[m] = false;
		mm_killed[m] = false;
		mm_dl[m] = false;
		mm_reaped[m] = false
	:: else -> skip
	fi;
	m = 0
}

/* A process exits, or a new one reuses a pid: the world moves on */
#define EXIT(i)		:: atomic { alive[i] && !stuck[i] -> died(i) }
#define REUSE(i)	:: atomic { gen[i] + 1 < NG && (!alive[i] || !stuck[i]) -> \
				if \
				:: alive[i] -> died(i) \
				:: else -> skip \
				fi; \
				gen[i]++; \
				born(i) }

inline world_step()
{
	if
	:: skip
	EXIT(0)
	EXIT(1)
	REUSE(1)
	fi
}

/* --- kill.c ------------------------------------------------------------------------------ */

/* victim_signal(): sig to every member through its pidfd; a gone one gets nothing */
inline victim_signal(s, sig)
{
	j = 0;
	do
	:: j == NP -> break
	:: j < NP ->
		if
		:: FD_LIVE(s, j) ->
			assert(!prot[j]);	/* never a protected process */
			assert(!dry_run);	/* nothing in dry run */
			/* the chosen one is the scope's; a sharer dies with it wherever it is,
			 * as __oom_kill_process() kills every process sharing the mm */
			assert(insc[j] && j == sl_m0[s] || mm[j] == sl_mm[s]);
			if
			:: sig == KILL && !dying[j] ->
				dying[j] = true;
				if
				:: stuck[j] = true
				:: skip
				fi
			:: else -> skip
			fi
		:: else -> skip
		fi;
		j++
	od
}

/* --- watch.c ----------------------------------------------------------------------------- */

inline slot_take(s)
{
	if
	:: sl_state[0] == FREE -> s = 0
	:: sl_state[0] != FREE && sl_state[1] == FREE -> s = 1
	:: else -> s = NONE
	fi;
	if
	:: s != NONE ->
		/* a slot is never taken again while the reaper may still read it */
		assert(!sl_submitted[s] || sl_done[s]);
		sl_state[s] = READY;
		sl_fd[s * NP] = 0;
		sl_fd[s * NP + 1] = 0;
		sl_submitted[s] = false;
		sl_done[s] = false;
		sl_exit_logged[s] = false;
		sl_reaped[s] = false
	:: else -> skip
	fi
}

/* slot_release(): at once, or DRAINING while the reaper may still read it. A free slot keeps
 * sl_submitted and sl_done, which slot_take() checks */
inline slot_release(s)
{
	if
#ifndef FREE_UNDER_REAPER
	:: sl_submitted[s] && !sl_done[s] -> sl_state[s] = DRAINING
#endif
	:: else ->
		sl_fd[s * NP] = 0;
		sl_fd[s * NP + 1] = 0;
		sl_m0[s] = 0;
		sl_mm[s] = 0;
		sl_exit_logged[s] = false;
		sl_reaped[s] = false;
		sl_state[s] = FREE
	fi
}

inline slots_sweep()
{
	if
	:: sl_state[0] == DRAINING -> slot_release(0)
	:: else -> skip
	fi;
	if
	:: sl_state[1] == DRAINING -> slot_release(1)
	:: else -> skip
	fi
}

inline watch_drop_ready()
{
	if
	:: w_ready != NONE -> slot_release(w_ready); w_ready = NONE
	:: else -> skip
	fi
}

/*
 * choose(): select_victim() reads the scope, victim_gather() finds the sharers (refusing a
 * protected one), victim_open() opens a pidfd on each and re-checks its start time; three
 * tries. Processes exit and pids are reused between the scan and the pidfds (world_step).
 */
inline choose(r)
{
	r = NONE;
	tries = 0;
	do
	:: tries == 3 -> break
	:: tries < 3 ->
		tries++;
		slot_take(r);
		if
		:: r == NONE -> break		/* "every victim slot is in use" */
		:: else -> skip
		fi;
		if
		:: CANDIDATE(0) -> c = 0
		:: CANDIDATE(1) -> c = 1
		:: else -> c = NONE
		fi;
		if
		:: c == NONE -> slot_release(r); r = NONE; break
		:: else -> skip
		fi;
		cg = gen[c];
		cm = mm[c];
		world_step();
		/* victim_gather(): kcmp against the process at pid c now, /proc for each sharer */
		sl_m0[r] = c;
		sl_mm[r] = cm;
		pinned = false;
		sl_fd[r * NP + c] = cg + 1;
		j = 0;
		do
		:: j == NP -> break
		:: j < NP ->
			if
			:: j != c && alive[j] && alive[c] && mm[j] == mm[c] ->
				pinned = pinned || prot[j];
				sl_fd[r * NP + j] = gen[j] + 1
			:: else -> skip
			fi;
			j++
		od;
		/* victim_open(): pidfd_open, then the start time read again must match */
		ok = !pinned;
		j = 0;
		do
		:: j == NP || pinned -> break
		:: j < NP && !pinned ->
			if
			:: sl_fd[r * NP + j] == 0 -> skip
#ifdef NO_IDENTITY_CHECK
			:: sl_fd[r * NP + j] != 0 && alive[j] -> sl_fd[r * NP + j] = gen[j] + 1
#else
			:: sl_fd[r * NP + j] != 0 && alive[j] && gen[j] + 1 == sl_fd[r * NP + j] ->
				skip
#endif
			:: else ->
				sl_fd[r * NP + j] = 0;
				ok = ok && j != c
			fi;
			j++
		od;
		if
		:: ok -> break
		:: else -> slot_release(r); r = NONE
		fi
	od
}

/* still_good() and ready_fresh(): alive, the same process, not dying, chosen recently */
inline ready_fresh(s)
{
	ok = FD_LIVE(s, sl_m0[s]) && ELIGIBLE(sl_m0[s]);
	if
	:: ok -> skip
	:: ok -> ok = false	/* too old, or the band deepened: someone may have grown past it */
	:: else -> skip
	fi
}

inline preselect()
{
	t = NONE;
	if
	:: w_ready != NONE -> ready_fresh(w_ready)
	:: else -> ok = false
	fi;
	if
	:: !ok ->
		watch_drop_ready();
		choose(t);
		w_ready = t
	:: else -> skip
	fi
}

inline sigkill(s)
{
	victim_signal(s, KILL);
	mm_killed[sl_mm[s]] = true;	/* t_kill: w->deadline and v.reap_by run from now */
#ifdef QUEUE_BLOCKS
	reapq!s;
	sl_submitted[s] = true;
#else
	/* reaper_submit(): -EBUSY on a full queue, never a wait */
	if
	:: nfull(reapq) -> reapq!s; sl_submitted[s] = true
	:: full(reapq) -> skip	/* "the reaper's queue is full: ... is not reaped" */
	fi;
#endif
	w_escalate = false
}

/* act(): a trigger fired; term: mem_min's verdict, which honours the grace */
inline act(term)
{
	t = NONE;
	if
	:: w_ready != NONE ->
		ready_fresh(w_ready);
		if
		:: ok -> t = w_ready
		:: else -> skip
		fi
	:: else -> skip
	fi;
	if
	:: t == NONE -> watch_drop_ready(); choose(t)
	:: else -> skip
	fi;
	w_ready = NONE;
	/* still_short(): choosing took long, and a new sample says memory is no longer short;
	 * the victim is kept as chosen ahead (still in the warning band) or let go */
	if
	:: t != NONE -> w_ready = t; t = NONE; ok = true
	:: t != NONE -> slot_release(t); t = NONE; ok = true
	:: true -> ok = false
	fi;
	if
	:: ok -> skip
	:: !ok && t == NONE -> w_quiet = true		/* nobody: NOTHING_PAUSE */
	:: !ok && t != NONE && dry_run ->	/* would kill: it blocks until its deadline */
		w_quiet = true;
		slot_release(t)
	:: !ok && t != NONE && !dry_run ->
		sl_state[t] = INFLIGHT;
		w_inflight = t;
		assert(!OTHER_INFLIGHT(sl_mm[t]));	/* never two victims in flight */
		mm_vic[sl_mm[t]] = true;
		if
		:: grace && term && !dying[sl_m0[t]] ->	/* a dying one needs no warning */
			victim_signal(t, TERM);
			grace_up = false;
			w_escalate = true
		:: else -> sigkill(t)		/* a dying one gets it again: harmless */
		fi
	fi
}

/* done_with(): a victim let go while it lives is never chosen again (MMF_OOM_SKIP) */
inline done_with(s)
{
	if
	:: FD_LIVE(s, 0) -> done[0] = true
	:: else -> skip
	fi;
	if
	:: FD_LIVE(s, 1) -> done[1] = true
	:: else -> skip
	fi
}

/* watch_follow(): the victim in flight, until it is gone, reaped, or past its deadline */
inline watch_follow()
{
	s = w_inflight;
	if
	:: s != NONE ->
		if
		:: !sl_exit_logged[s] && GONE(s) -> sl_exit_logged[s] = true
		:: else -> skip
		fi;
		if
		:: w_escalate && sl_exit_logged[s] ->
			w_inflight = NONE;
			w_escalate = false;
			slot_release(s)
		:: w_escalate && !sl_exit_logged[s] && grace_up -> sigkill(s)
		:: w_escalate && !sl_exit_logged[s] && !grace_up -> skip
		:: !w_escalate && (sl_exit_logged[s] ||
				   sl_submitted[s] && sl_done[s] && sl_reaped[s]) ->
			w_inflight = NONE;
			done_with(s);
			slot_release(s)
#ifndef NO_DEADLINE
		:: !w_escalate && !(sl_exit_logged[s] ||
				    sl_submitted[s] && sl_done[s] && sl_reaped[s]) &&
		   mm_dl[sl_mm[s]] ->
			/* "stuck: neither gone nor reaped by the deadline; moving on" */
			w_inflight = NONE;
			done_with(s);
			slot_release(s)
#endif
		:: else -> skip
		fi
	:: else -> skip
	fi
}

inline watch_tick()
{
	watch_follow();
	/* sample_scope() and decide(): any verdict */
	if
	:: true -> watch_drop_ready()			/* VERDICT_OK, !prepare */
#ifdef NO_INFLIGHT_CHECK
	:: !w_quiet ->
#else
	:: w_inflight == NONE && !w_quiet ->
#endif
		if
		:: preselect()			/* VERDICT_WARN, or VERDICT_OK and prepare */
		:: grace -> act(true)		/* VERDICT_TERM: without a grace, as KILL */
		:: act(false)			/* VERDICT_KILL */
		fi
	:: else -> skip	/* a victim on its way out, or quiet: its memory is on its way back */
	fi
}

/* --- daemon.c ---------------------------------------------------------------------------- */

/* close_watch() and open_watches(), as reload() ran them on every scope */
inline close_and_reopen()
{
	watch_drop_ready();
	if
	:: w_inflight != NONE -> slot_release(w_inflight); w_inflight = NONE
	:: else -> skip
	fi;
	w_escalate = false;
	w_quiet = false
}

/*
 * reload(): a bad file keeps the running configuration; a good one may change the scope's
 * settings, and the scope, matched by its path, keeps its victim in flight, its choice and
 * its quiet time
 */
inline reload()
{
	/* a refused file changes nothing: the same as no reload, not modelled apart */
	grace = !grace;		/* a new configuration; its grace is what may differ */
#ifdef RELOAD_DRY_RUN
	/* not in model/check: spin finds that a SIGTERM's grace begun before a reload into
	 * dry run still ends in a SIGKILL (watch_follow() -> sigkill() asks no dry_run) */
	if
	:: dry_run = !dry_run
	:: skip
	fi;
#endif
#ifdef RELOAD_FORGETS
	close_and_reopen();
#endif
	assert(ALL_KEPT)	/* a reload never loses a victim in flight */
}

proctype watcher()
{
	byte s, t, c, cg, cm, j, m, tries;
	bool ok, pinned;

	/*
	 * One turn of daemon_run()'s loop a step: the reaper and time move between turns; the
	 * processes move at the start of a turn and inside it, where the daemon reads them
	 * again (world_step); SIGHUP may come at any turn, any number of times.
	 */
	do
	:: atomic {
		world_step();
		watch_tick();
		slots_sweep();
		if
		:: reload()
		:: skip
		fi;
		s = 0; t = 0; c = 0; cg = 0; cm = 0; j = 0; tries = 0; ok = false; pinned = false
	   }
	od
}

/* --- reap.c ------------------------------------------------------------------------------ */

proctype reaper()
{
	byte s, k, j, a, m;
	mtype o;
	bool fin, out;	/* out: the outcome is REAP_REAPED */

end_idle:
	do
	:: reapq?<s> ->
		atomic {
			/* the slot is the victim the killer queued, and still held for us */
			assert(sl_state[s] != FREE && sl_submitted[s] && !sl_done[s]);
			m = sl_mm[s];
			out = false
		};
		/*
		 * reap_victim(): m[0] first, and the first member still holding the mm reaps it
		 * for all; reap_member(): up to RETRIES attempts of process_mrelease, one a step
		 */
		do
		:: fin -> break
		:: atomic { !fin ->
			j = (sl_m0[s] + k) % NP;
			if
			:: k == NP -> fin = true
			:: k < NP && sl_fd[s * NP + j] == 0 -> k++
			:: k < NP && sl_fd[s * NP + j] != 0 ->
				a++;
				o = PENDING;
				if
				:: !FD_LIVE(s, j) -> o = EXITED			/* ESRCH */
				:: FD_LIVE(s, j) && UNKILLED_HOLDER(m) -> o = REFUSED	/* EINVAL */
				:: FD_LIVE(s, j) && !UNKILLED_HOLDER(m) ->
					if
					:: mm_reaped[m] = true; o = REAPED
					:: o = REFUSED				/* a core dump */
					:: mm_dl[m] -> o = UNABLE		/* past reap_by */
					:: !mm_dl[m] -> skip			/* EAGAIN, EINTR */
#ifndef NO_HANG
					:: true -> end_hang: false	/* on the mmap lock, for ever */
#endif
					fi
				fi;
				if
				:: o == EXITED -> k++; a = 0		/* the next member */
				:: o != EXITED && o != PENDING -> out = o == REAPED; fin = true
				:: o == PENDING && a == RETRIES -> fin = true	/* REAP_UNABLE */
				:: else -> skip
				fi
			fi;
			j = 0;
			o = 0
		   }
		od;
		atomic {
			assert(sl_state[s] != FREE);
			sl_reaped[s] = out;
			sl_done[s] = true;	/* the last the reaper reads or writes of it */
			reapq?_;		/* and only now its place in the queue is free */
			s = 0; k = 0; a = 0; m = 0; out = false; fin = false
		}
	od
}

/* --- the world, time and signals ---------------------------------------------------------- */

/* Deadlines pass in any order: more freedom than time gives, never less */
#define EXPIRE(m)	:: atomic { mm_killed[m] && !mm_dl[m] -> mm_dl[m] = true }

proctype clock()
{
end_clock:
	do
	:: atomic { w_escalate && !grace_up -> grace_up = true }
	:: atomic { w_quiet -> w_quiet = false }
	EXPIRE(1)
	EXPIRE(2)
	EXPIRE(3)
	od
}

init
{
	atomic {
		/* 0 is a candidate; 1 is of any kind, and may share 0's memory */
		alive[0] = true;
		insc[0] = true;
		mm[0] = 1;
		born(1);
		if
		:: mm[1] = mm[0]	/* CLONE_VM without CLONE_THREAD */
		:: skip
		fi;
		if
		:: dry_run = true
		:: dry_run = false
		fi;
		if
		:: grace = true
		:: grace = false
		fi;
		sl_state[0] = FREE;
		sl_state[1] = FREE;
		run watcher();
		run reaper();
		run clock()
	}
}

/* Every victim ends: the scope is unblocked once it is gone, reaped or past its deadline */
ltl victim_ends { [] ((w_inflight != NONE) -> <> (w_inflight == NONE)) }
