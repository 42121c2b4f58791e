"""What becomes of a choice: a victim moved to another cgroup between its choice and its kill
(victim_moved_out(): below the cgroup it was chosen in it has not left; outside a cgroup
namespace's root it has), and a cgroup selection that reads each member's status and adj first
when it holds no oom_score file (status_first()) against the survey and the daemon's later
selections, which read the oom_score files it holds (selector_hold_now()).

run.py imports this module and runs its tests on its harness. Every kill names a cgroup made
here (or is a --dry-run), every daemon is a dry run or watches a cgroup made here.
"""

import os
import shutil
import subprocess
import tempfile
import time

from run import (OOMREAPER, Skip, by_pid, cgroup_procs, check, hog, kill_member,
                 made_cgroups, make_cgroup, note, read_file, read_json, run_tool, start_in,
                 test, wait_for, write_file, zombie_maker)
from test_kill import (PAUSE, Watched, finish_kill, kill_json, sigkill_pending, start_kill,
                       wait_in_pause)
from test_run import Daemon, daemon_test
from test_speed import short_dry_daemon


# ---------------------------------------------------------------------------------------------
# kill --cgroup: where the victim is at the signal


@test
def test_kill_pid_moved_within_the_scope_is_killed():
    """`kill --cgroup A --pid P`, P a 40 MiB hog in A; between the choice and the kill P is
    moved into A/child, a cgroup of A's subtree: it is still A's to kill (the memcg OOM killer
    of A walks A's subtree, mem_cgroup_scan_tasks(), and the selection lists A's subtree), so
    the kill must go ahead."""
    a = make_cgroup()
    child = make_cgroup(parent=a)
    p = Watched(hog(a, 40))
    k = start_kill("--cgroup", a, "--pid", p.pid, env=PAUSE)
    wait_in_pause(k)
    write_file(os.path.join(child, "cgroup.procs"), str(p.pid))
    check(p.pid in cgroup_procs(child), "%d is not in %s" % (p.pid, child))
    r = finish_kill(k)
    check(r.rc == 0 and wait_for(p.gone), "P moved into A/child, still in the scope, was not "
          "killed: %s %r" % (r.describe(), r.out))


@test
def test_kill_cgroup_victim_moved_into_a_child_has_not_left():
    """`kill --cgroup A`: a 60 MiB hog and a 20 MiB one in A; the larger, chosen, is moved into
    A/child between the choice and the kill. It has not left the scope: kill must not say it
    has, nor choose again (a second selection, a second pause here), and must kill it."""
    a = make_cgroup()
    child = make_cgroup(parent=a)
    mover, stayer = Watched(hog(a, 60)), Watched(hog(a, 20))
    t = time.monotonic()
    k = start_kill("--cgroup", a, env=PAUSE)
    wait_in_pause(k)
    write_file(os.path.join(child, "cgroup.procs"), str(mover.pid))
    r = finish_kill(k)
    took = time.monotonic() - t
    check(r.rc == 0 and wait_for(mover.gone), "the hog moved into A/child was not killed: %s "
          "%r" % (r.describe(), r.out))
    check(stayer.alive(), "the 20 MiB hog was killed too: %r" % r.out)
    check("has left the scope" not in r.out, "kill says the hog moved into A/child (inside "
          "the scope) left it, and chose again (%.1f s, pause 3 s each): %r" % (took, r.out))


# ---------------------------------------------------------------------------------------------
# kill --cgroup --dry-run (status first) against the survey


def stopped_in(pid, nr):
    """Whether pid sits in system call nr (its /proc/PID/syscall)"""
    try:
        return read_file("/proc/%d/syscall" % pid).split()[0] == str(nr)
    except (OSError, IndexError):
        return False


def survey_order(cg):
    data = read_json("--cgroup", cg, "--all")
    return [p for p in data["processes"] if p["reason"] is None], data


def fast_choice(cg):
    r = run_tool("kill", "--cgroup", cg, "--dry-run", "--json")
    check(r.rc == 0, r.describe() + r.out)
    v = kill_json(r)["victims"][0]
    return v["pid"], v["badness"], v["members"]


@test
def test_status_first_matches_survey_kill_by_kill():
    """One cgroup of 1 GiB holding (no -1000: lowering an adj needs CAP_SYS_RESOURCE, which
    this machine's root lacks): a 2 MiB hog at adj 1000, a 150 MiB vforker (the parent in D,
    the vfork child borrowing its mm), a zombie
    beside a 30 MiB hog, a 90 MiB CLONE_VM pair, a hog of 90 MiB (tying the pair's first?),
    twins (12 of 6 MiB). Over and over: `kill --cgroup --dry-run` (status first) chooses what
    `list --all` ranks first (pid and badness), then that victim and its group are killed by
    the test, until nobody eligible is left."""
    cg = make_cgroup(limit_mb=1024)
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    hog(cg, 2, adj=1000)
    start_in(cg, "vforker", 150)
    zombie_maker(cg, 30)
    start_in(cg, "sharers", 90)
    hog(cg, 90)
    start_in(cg, "twins", 12, 6)
    time.sleep(0.3)
    rounds = []
    for _ in range(25):
        ranked, data = survey_order(cg)
        if not ranked:
            break
        want, bad = ranked[0]["pid"], ranked[0]["badness"]
        got, got_bad, members = fast_choice(cg)
        ranked2, _ = survey_order(cg)
        check(ranked2 and ranked2[0]["pid"] == want, "the survey moved under the test")
        check(got == want and got_bad == bad, "round %d: kill --dry-run chose %d (badness %d), "
              "the survey %d (badness %d): %s" % (len(rounds), got, got_bad, want, bad,
                                                  [(p["pid"], p["comm"], p["badness"])
                                                   for p in ranked[:5]]))
        rounds.append((got, ranked[0]["comm"]))
        for pid in members:
            kill_member(pid, cg)
        check(wait_for(lambda: not set(members) & set(by_pid(read_json("--cgroup", cg,
                                                                      "--all")))),
              "the victim %s is still there" % members)
    note("rounds agreed: %s" % rounds)


@test
def test_status_first_tie_goes_to_the_youngest_with_adj():
    """Twins (8 of 4 MiB), each raised to oom_score_adj 1000 once forked: their badness ties at
    a full cgroup's worth above their size. kill --dry-run (status first) chooses what the
    survey ranks first, the youngest of the tied."""
    cg = make_cgroup(limit_mb=1024)
    parent, kids = start_in(cg, "twins", 8, 4)
    for pid in kids + [parent.pid]:
        write_file("/proc/%d/oom_score_adj" % pid, "1000")
    time.sleep(0.3)
    ranked, _ = survey_order(cg)
    got, got_bad, _ = fast_choice(cg)
    tied = [p["pid"] for p in ranked if p["badness"] == ranked[0]["badness"]]
    check(got == ranked[0]["pid"] and got_bad == ranked[0]["badness"],
          "kill --dry-run chose %d (%d), the survey %d (%d): %s"
          % (got, got_bad, ranked[0]["pid"], ranked[0]["badness"],
             [(p["pid"], p["badness"]) for p in ranked[:6]]))
    note("both chose %d; %d tied; kids %s" % (got, len(tied), kids))


# ---------------------------------------------------------------------------------------------
# The daemon: its first selection (status first) and its later ones (held oom_score files)


RULES = ("[oomreaper]\ndeadline = 1\n\n[global]\nmem_min = 390M\nmem_kill = 380M\n"
         "horizon = 0\n\n"
         "[rule spare]\nmatch = comm\nregex = ^sharers$\naction = ignore\n\n"
         "[rule first]\nmatch = comm\nregex = ^lifted$\naction = prefer\nweight = 100\n\n"
         "[rule later]\nmatch = comm\nregex = ^heavy$\naction = avoid\nweight = 300\n")


@daemon_test
def test_daemon_first_and_later_selections_agree_with_rules():
    """A daemon (dry run) on a 400 MiB cgroup always under mem_kill, with rules: ignore comm
    sharers, prefer comm lifted by 100, avoid comm heavy by 300. In the cgroup: `bigshare`, 120
    MiB, sharing its mm with `sharers` (ignored), moved to another cgroup; `heavy`, 100 MiB
    (avoided: 100 - 120 = -20 MiB); `lifted`, 20 MiB (+40 MiB = 60); `plain`, 50 MiB. The
    right victim is `lifted`, at the daemon's first would_kill (status first) and every one
    after (the held oom_score files)."""
    cg = make_cgroup(limit_mb=400)
    other = make_cgroup()
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    _, (first, second) = start_in(cg, "sharers", 120, 2, "bigshare")
    write_file(os.path.join(other, "cgroup.procs"), str(second))
    heavy = hog(cg, 100, comm="heavy")
    lifted = hog(cg, 20, comm="lifted")
    plain = hog(cg, 50, comm="plain")
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "oomreaper.conf")
        write_file(conf, RULES)
        d = Daemon("--dry-run", "--config", conf, "--cgroup", cg)
        check(wait_for(lambda: len(d.events("would_kill")) >= 4, timeout=15),
              "fewer than 4 would_kill: %s" % d.events())
        seen = [(e["pid"], e.get("comm")) for e in d.events("would_kill")]
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    names = {first: "bigshare", heavy: "heavy", lifted: "lifted", plain: "plain"}
    check(all(pid == lifted for pid, _ in seen), "would kill %s, want lifted %d every time"
          % ([(pid, names.get(pid, c)) for pid, c in seen], lifted))
    note("would_kill: %s" % seen[:6])


@daemon_test
def test_daemon_selections_agree_with_survey():
    """A daemon (dry run, deadline 1 s) on a 1 GiB cgroup always under mem_kill, holding (no
    -1000 here: no CAP_SYS_RESOURCE): a 150 MiB vforker, a zombie beside a 30 MiB hog, a 90 MiB
    CLONE_VM pair, a 90 MiB hog, 12 twins of 6 MiB, and a 2 MiB hog at adj 1000 (the
    victim). Its first would_kill (status first) and each later one (held oom_score files)
    name the survey's first; then, the adj 1000 hog killed by the test, the next ones name the
    survey's new first."""
    cg = make_cgroup(limit_mb=1024)
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    start_in(cg, "vforker", 150)
    zombie_maker(cg, 30)
    start_in(cg, "sharers", 90)
    hog(cg, 90)
    start_in(cg, "twins", 12, 6)
    lifted = hog(cg, 2, adj=1000)
    time.sleep(0.3)
    ranked, _ = survey_order(cg)
    check(ranked[0]["pid"] == lifted, "the survey ranks %r first" % ranked[0])
    d, conf = short_dry_daemon(cg, "1020M", "1010M")
    try:
        check(wait_for(lambda: len(d.events("would_kill")) >= 3, timeout=15),
              "fewer than 3 would_kill: %s" % [e["event"] for e in d.events()])
        before = [e["pid"] for e in d.events("would_kill")]
        kill_member(lifted, cg)
        check(wait_for(lambda: lifted not in cgroup_procs(cg)), "the adj 1000 hog is there")
        ranked, _ = survey_order(cg)
        n = len(d.events("would_kill"))
        check(wait_for(lambda: len(d.events("would_kill")) >= n + 3, timeout=15),
              "fewer than 3 would_kill after the kill")
        after = [e["pid"] for e in d.events("would_kill")[n + 1:]]
        d.stop_cleanly()
    finally:
        shutil.rmtree(conf, ignore_errors=True)
    check(all(pid == lifted for pid in before), "would kill %s, want %d each time"
          % (before, lifted))
    check(all(pid == ranked[0]["pid"] for pid in after), "then would kill %s, the survey "
          "ranks %d (%s) first: %s" % (after, ranked[0]["pid"], ranked[0]["comm"],
                                       [(p["pid"], p["comm"], p["badness"])
                                        for p in ranked[:4]]))
    note("would kill %s, then %s" % (before, after))


@test
def test_status_first_under_churn_chooses_the_hog():
    """A 60 MiB hog and a 30 MiB one in a cgroup where two shell loops fork and exit /bin/true
    without pause (processes exiting while the selection reads their status, zombies for a
    moment): `kill --dry-run` chooses the 60 MiB hog every time, 40 times."""
    cg = make_cgroup(limit_mb=1024)
    loop = "( while :; do /bin/true; done ) &"
    start_in(cg, "hog", 1, before=loop + "\n" + loop)
    big = hog(cg, 60)
    hog(cg, 30)
    time.sleep(0.2)
    chosen = []
    for _ in range(40):
        got, _, _ = fast_choice(cg)
        chosen.append(got)
    check(all(pid == big for pid in chosen), "chose %s, want the hog %d every time"
          % ([pid for pid in chosen if pid != big], big))
    note("40 choices under churn, all %d" % big)


@daemon_test
def test_daemon_tie_to_the_youngest_below_the_others_first_and_later():
    """40 twins of 4 MiB, then one more 30 ms later at a pid below all of theirs: the youngest
    of the tied is not the one of the highest pid. A daemon (dry run, always under mem_kill)
    names it at its first would_kill (status first, start times read from stat) and at each
    later one (held oom_score files, start times kept with them)."""
    from test_speed import late_twins, more_twin
    cg = make_cgroup(limit_mb=400)
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    twins, kids = late_twins(cg, 40, 4)
    young = more_twin(twins, "low")
    check(young < min(kids), "the late twin %d is not below %s" % (young, kids))
    time.sleep(0.3)
    ranked, _ = survey_order(cg)
    check(ranked[0]["pid"] == young, "the survey ranks %r first, not %d" % (ranked[0], young))
    d, tmp = short_dry_daemon(cg, "390M", "380M")
    try:
        check(wait_for(lambda: len(d.events("would_kill")) >= 4, timeout=15),
              "fewer than 4 would_kill")
        seen = [e["pid"] for e in d.events("would_kill")]
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(all(pid == young for pid in seen), "would kill %s, want the youngest %d each time"
          % (seen, young))
    note("would kill %s" % seen)


@daemon_test
def test_daemon_victim_moved_into_a_child_is_killed_at_once():
    """The daemon on A (400 MiB, short at once: mem_kill 280M with 140 MiB in use), choosing
    made 3 s slow (OOMREAPER_TEST_STALL_MS): its victim, the 120 MiB hog, is moved into
    A/child during the stall. It has not left the scope: the daemon must kill it then, not say
    it left and choose again."""
    a = make_cgroup(limit_mb=400)
    write_file(os.path.join(a, "memory.oom_control"), "1")
    child = make_cgroup(parent=a)
    victim, small = Watched(hog(a, 120)), Watched(hog(a, 20))
    d = Daemon("--cgroup", a, "--mem-min", "300M", "--mem-kill", "280M", "--horizon", "0",
               env={"OOMREAPER_TEST_STALL_MS": "3000"})
    check(wait_for(lambda: stopped_in(d.pid, 230) or stopped_in(d.pid, 35), timeout=15),
          "the daemon never stalled")
    write_file(os.path.join(child, "cgroup.procs"), str(victim.pid))
    kill = d.wait_event("kill", timeout=15)
    err = d.err()
    d.stop_cleanly()
    check(kill["pid"] == victim.pid and small.alive(), "killed %r" % kill)
    check("has left the scope" not in err, "the daemon says the hog moved into A/child left "
          "the scope, and chose again: %r" % [line for line in err.splitlines()
                                              if "left the scope" in line or "killed" in line])


@daemon_test
def test_daemon_start_holds_the_oom_score_files():
    """daemon.c's warm_watches(): "One selection per scope grows the buffers and opens the files
    a selection needs, so that the first one under pressure allocates as little as the later
    ones". A daemon (dry run) on a cgroup of 41 processes, not short: once started, it holds
    an oom_score file of each member; else its first selection under pressure (a fill that
    crosses the warning band between two samples) opens them all, at the kill."""
    cg = make_cgroup(limit_mb=1024)
    start_in(cg, "twins", 40, 2)
    members = cgroup_procs(cg)
    d = Daemon("--dry-run", "--cgroup", cg, "--mem-min", "100M", "--mem-kill", "50M")
    d.wait_started()
    time.sleep(0.3)
    held = 0
    for f in os.listdir("/proc/%d/fd" % d.pid):
        try:
            held += os.readlink("/proc/%d/fd/%s" % (d.pid, f)).endswith("/oom_score")
        except OSError:
            pass
    d.stop_cleanly()
    check(held >= len(members), "after start the daemon holds %d oom_score files, for %d "
          "members" % (held, len(members)))
    note("%d oom_score files held for %d members" % (held, len(members)))


@test
def test_victim_moved_out_of_a_cgroup_namespace_is_not_signalled():
    """`kill --cgroup A` run in a cgroup namespace rooted at R (unshare -C, as in a container
    with a private cgroup namespace), A below R: a 60 MiB hog and a 20 MiB one in A. Between
    the choice and the kill the 60 MiB one is moved to B, outside R: its /proc/PID/cgroup line
    then reads "/../B", which cgroup_of_process() refuses (-EBADMSG), so its key is 0,
    "unknown", and victim_moved_out() says it has not moved. It is outside the scope: it
    must not be signalled."""
    if not shutil.which("unshare"):
        raise Skip("no unshare")
    r_root = make_cgroup()
    a = make_cgroup(parent=r_root)
    b = make_cgroup()
    mover, stayer = Watched(hog(a, 60)), Watched(hog(a, 20))
    check(a in made_cgroups, "not a test cgroup")
    args = ["kill", "--cgroup", a]
    script = 'echo $$ > "$0/cgroup.procs" || exit 125\nexec unshare -C "$@"'
    p = subprocess.Popen(["/bin/sh", "-c", script, r_root, OOMREAPER] + args,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(os.environ, **PAUSE))
    p.tool_args = args
    wait_in_pause(p)
    write_file(os.path.join(b, "cgroup.procs"), str(mover.pid))
    # the line as the kill reads it, from inside its cgroup namespace
    seen = subprocess.run(["nsenter", "--cgroup", "--target", str(p.pid), "cat",
                           "/proc/%d/cgroup" % mover.pid], capture_output=True).stdout.decode()
    seen = [line for line in seen.splitlines() if ":memory:" in line]
    r = finish_kill(p)
    check(mover.alive() and not sigkill_pending(mover.pid), "the hog %d moved out of the "
          "namespace's root to B was signalled: %s %r (as the kill sees it: %r)"
          % (mover.pid, r.describe(), r.out, seen))
    check(r.rc == 0 and wait_for(stayer.gone), "the hog still in A was not killed: %s %r"
          % (r.describe(), r.out))
