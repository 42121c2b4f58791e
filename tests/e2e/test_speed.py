"""End-to-end tests of the fast paths: the victim chosen ahead among equals, and the
selection's cheap bounds (statm) choosing what the full survey chooses.

run.py imports this module and runs its tests with its harness: the same cgroups, helpers and
cleanup. Every daemon is started through test_run's Daemon (a test --cgroup or --dry-run
only), every kill is a --dry-run or names a cgroup made here.
"""

import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

import run
from run import (cgroup_procs, check, hog, kill_member, make_cgroup, note, read_json, run_tool,
                 start_in, test, wait_for, write_file)
from test_kill import kill_json
from test_run import Daemon, daemon_test

MIB = 1 << 20


def badness_of(cg, pids):
    data = read_json("--cgroup", cg, "--all")
    by = {p["pid"]: p for p in data["processes"]}
    return {pid: by[pid]["badness"] for pid in pids if pid in by}


def tied_twins(need_tie=True):
    """Seven twins of 24 MiB in a 400 MiB cgroup of their own, the kernel's OOM killer off in
    it: (the cgroup, the pids at the top badness, oldest first, that badness, all badness).
    need_tie: at least two at the top (a twin or two may differ by a page)."""
    cg = make_cgroup(limit_mb=400)
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    parent, kids = start_in(cg, "twins", 6, 24)
    pids = [parent.pid] + kids
    time.sleep(0.3)
    bad = badness_of(cg, pids)
    top = max(bad.values())
    tied = [pid for pid in pids if bad.get(pid) == top]
    check(len(tied) >= 2 or not need_tie, "the twins do not tie: %s" % bad)
    return cg, tied, top, bad


CONF = "[oomreaper]\ndeadline = 1\n\n[global]\nmem_min = %s\nmem_kill = 100M\nhorizon = 0\n"


def band_daemon(cg, tmp, wait_s):
    """The daemon on cg with mem_min 150M (its configuration in tmp), wait_s s in the warning
    band without a kill: (the Daemon, its configuration file)"""
    conf = os.path.join(tmp, "oomreaper.conf")
    write_file(conf, CONF % "150M")
    d = Daemon("--config", conf, "--cgroup", cg)
    d.wait_started()
    time.sleep(wait_s)
    check(not d.events("kill"), "killed in the warning band: %s" % d.events("kill"))
    return d, conf


@daemon_test
def test_tied_candidates_kill_the_one_chosen_ahead():
    """Seven equal processes of 24 MiB (tests/helpers/twins: forks of one image, the same pages
    touched: their badness ties) in a 400 MiB cgroup, the daemon's mem_min 150M: in the
    warning band it chooses a victim ahead, which leads the others by nothing. Then a reload
    raises mem_min above what is available, no process growing: the trigger fires, and the
    kill is the victim chosen ahead ("ahead": 1), not a new selection, and it is the youngest
    of the tied, as select_bad_process() keeps the last of equals. Before the fix a lead of 0
    threw the choice away at every sample and at the trigger."""
    cg, tied, top, bad = tied_twins()
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        # a few samples in the warning band: the choice made ahead, and kept
        d, conf = band_daemon(cg, tmp, 1.5)
        write_file(conf, CONF % "300M")
        d.p.send_signal(signal.SIGHUP)
        kill = d.wait_event("kill", timeout=10)
        check(kill.get("ahead") == 1, "the kill was chosen at the trigger, not ahead: %r; %d "
              "of the 7 tie at badness %d (%s)" % (kill, len(tied), top, bad))
        check(kill["pid"] == tied[-1], "killed %d, want the youngest of the tied %s"
              % (kill["pid"], tied))
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    note("%d of 7 twins tied at badness %d; killed %d, chosen ahead, sample_to_kill_us %d"
         % (len(tied), top, kill["pid"], kill["sample_to_kill_us"]))


@daemon_test
def test_tied_victim_chosen_ahead_kept_while_memory_goes_to_no_process():
    """Seven equal processes of 24 MiB (twins: their badness ties, the youngest leads by 0) in
    a 400 MiB cgroup (a twin may differ by a page: the top leads by 8 pages at most), the
    daemon's mem_min 150M: in the warning band it chooses a victim ahead. Then a grower in
    the cgroup takes 200 MiB at 100 MiB/s as a memfd it never maps (grow --unmapped): the
    cgroup crosses mem_min while no process's badness grows, and the
    kill is the victim chosen ahead ("ahead": 1), its re-check a few reads, not a selection
    of every process. Before the fix every page taken counted as growth someone might have
    made, a lead of 0 was passed at once, and the victim was chosen again at the trigger."""
    cg, tied, top, bad = tied_twins(need_tie=False)
    lead = top - max(b for pid, b in bad.items() if pid != tied[-1])
    check(lead <= 8, "a twin leads by %d pages: %s" % (lead, bad))
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        d, _ = band_daemon(cg, tmp, 0.5)
        grower, _ = start_in(cg, "grow", 100, 200, "--unmapped")
        kill = d.wait_event("kill", timeout=10)
        kill_member(grower.pid, cg)
        check(kill.get("ahead") == 1, "the kill was chosen at the trigger, not ahead: %r; %d "
              "of the 7 tie at badness %d (%s)" % (kill, len(tied), top, bad))
        check(kill["pid"] == tied[-1], "killed %d, want the youngest of the tied %s"
              % (kill["pid"], tied))
        check(kill["pid"] != grower.pid, "killed the grower, whose badness is a twin's fraction")
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    note("%d of 7 twins at the top badness %d, a lead of %d; killed %d, chosen ahead, "
         "sample_to_kill_us %d, select_us %d" % (len(tied), top, lead, kill["pid"],
                                                 kill["sample_to_kill_us"], kill["select_us"]))


def survey_top(cg):
    """The survey's (`list --all`) first eligible process of cg, and its badness."""
    data = read_json("--cgroup", cg, "--all")
    ranked = [p for p in data["processes"] if p["reason"] is None]
    check(ranked, "no candidate in %s" % cg)
    return ranked[0]["pid"], ranked[0]["badness"], data


def fast_choice(cg):
    """What `kill --cgroup cg --dry-run --json` chooses: (pid, badness)."""
    r = run_tool("kill", "--cgroup", cg, "--dry-run", "--json")
    check(r.rc == 0, r.describe())
    v = kill_json(r)["victims"][0]
    return v["pid"], v["badness"]


def same_choice(cg, what):
    """The fast selection and the survey agree on cg, three times over."""
    for _ in range(3):
        want, bad, data = survey_top(cg)
        got, got_bad = fast_choice(cg)
        check(got == want and got_bad == bad, "%s: kill --dry-run chose %d (badness %d), the "
              "survey %d (badness %d)" % (what, got, got_bad, want, bad))
    return want, bad, data


@test
def test_fast_selection_matches_survey_on_ties():
    """61 equal processes (twins 60 6: forks of one image, 6 MiB each, their badness tied),
    more than the selection looks at on its threads at once: `kill --dry-run` chooses the
    survey's victim, the youngest of the tied, as select_bad_process() keeps the last of
    equals; the closer looks (statm, status, stat) pass over the others without judging each."""
    cg = make_cgroup(limit_mb=1024)
    parent, kids = start_in(cg, "twins", 60, 6)
    time.sleep(0.3)
    want, bad, data = same_choice(cg, "60 twins")
    tied = [p["pid"] for p in data["processes"] if p["badness"] == bad]
    check(len(tied) > 10, "the twins do not tie: %s" % [(p["pid"], p["badness"]) for p in
                                                       data["processes"]])
    # the youngest of those at the top (a twin or two may differ by a page)
    top = [pid for pid in kids if pid in tied]
    check(top and want == top[-1], "chose %d, want the youngest tied twin %s" % (want, top))
    note("%d tied at badness %d; both chose %d" % (len(tied), bad, want))


@test
def test_fast_selection_matches_survey_on_mixed_set():
    """60 small twins (2 MiB), a 40 MiB hog, and an 8 MiB one at oom_score_adj 500 (in a 400
    MiB cgroup its adj weighs 200 MiB): `kill --dry-run` chooses as the survey does, the adj
    one; then, that one gone, the 40 MiB hog; the small ones passed over by their statm."""
    cg = make_cgroup(limit_mb=400)
    start_in(cg, "twins", 60, 2)
    big = hog(cg, 40)
    lifted = hog(cg, 8, adj=500)
    time.sleep(0.3)
    want, _, _ = same_choice(cg, "mixed")
    check(want == lifted, "chose %d, want the hog at adj 500 %d" % (want, lifted))
    kill_member(lifted, cg)
    check(wait_for(lambda: lifted not in cgroup_procs(cg)), "the adj 500 hog is still there")
    want, _, _ = same_choice(cg, "mixed, without the adj one")
    check(want == big, "chose %d, want the 40 MiB hog %d" % (want, big))


@test
def test_fast_selection_finds_older_larger_among_equal_scores():
    """An 8 MiB hog, then 60 twins of 2 MiB started after it: all score 666 (the kernel's
    quantum is tens of MiB), the walk's first winner is the youngest twin, and the hog, older
    and larger, must still be found among the 60 the selection looks at on its threads:
    `kill --dry-run` chooses it, as the survey does."""
    cg = make_cgroup(limit_mb=400)
    big = hog(cg, 8)
    start_in(cg, "twins", 60, 2)
    time.sleep(0.3)
    want, bad, data = same_choice(cg, "hog and twins")
    check(want == big, "chose %d, want the 8 MiB hog %d" % (want, big))
    scores = set(p["kernel_score"] for p in data["processes"] if p["reason"] is None)
    note("kernel scores %s; chose the hog, badness %d" % (sorted(scores), bad))


def late_twins(cg, n, mb):
    """`twins 0 mb late` in cg (it joins before its exec), then n twins from it, "next": (its
    Popen, their pids, oldest first); its stdin stays open for more_twin()."""
    script = 'echo $$ > "$0/cgroup.procs" || exit 125\nexec "$@"'
    p = subprocess.Popen(["/bin/sh", "-c", script, cg, os.path.join(run.HELPERS, "twins"),
                          "0", str(mb), "late"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run.helpers.append(p)
    twins_line(p, "ready")
    return p, [more_twin(p, "next") for _ in range(n)]


def twins_line(p, want):
    """The next line the twins p print, which must start with want"""
    ready, _, _ = select.select([p.stdout], [], [], 20)
    line = p.stdout.readline().decode() if ready else ""
    check(line.startswith(want), "twins said %r, not %s (stderr %r)"
          % (line, want, p.stderr.read().decode() if p.poll() is not None else ""))
    return line


def more_twin(p, at):
    """One more twin of p, 30 ms after the last: "next" where the kernel puts it, "low" at the
    highest free pid below all of its children's, or at a pid. Returns its pid."""
    p.stdin.write(("%s\n" % at).encode())
    p.stdin.flush()
    return int(twins_line(p, "forked").split()[1])


@test
def test_tie_goes_to_the_youngest_not_the_highest_pid():
    """40 equal processes (twins 0 4 late, then 40 more), then one more, 30 ms later, at a pid below all of theirs
    (clone3() set_tid): the youngest of the tied is not the one of the highest pid. `kill
    --dry-run` chooses it, as the survey does: select_bad_process() keeps the last of equals in
    the task list, the order processes were made in, which the start time follows and the pid
    does not once pids wrap. A short cut that broke the tie by pid (no stat read) chooses the
    twin of the highest pid."""
    cg = make_cgroup(limit_mb=1024)
    twins, kids = late_twins(cg, 40, 4)
    young = more_twin(twins, "low")
    check(young < min(kids), "the late twin %d is not below the others %s" % (young, kids))
    time.sleep(0.3)
    want, bad, data = same_choice(cg, "40 twins and a late one below them")
    tied = [p["pid"] for p in data["processes"] if p["badness"] == bad]
    check(young in tied and max(tied) > young, "the late twin %d does not tie a twin of a "
          "higher pid: %s" % (young, [(p["pid"], p["badness"]) for p in data["processes"]]))
    check(want == young, "chose %d, want the youngest tied twin %d" % (want, young))
    note("%d tied at badness %d; both chose %d, the youngest, below %d"
         % (len(tied), bad, want, max(tied)))


def short_dry_daemon(cg, mem_min, mem_kill):
    """A dry-run daemon on cg with mem_min and mem_kill above what cg has left: a would_kill
    every second (deadline 1, thresholds only). Returns it and the directory of its
    configuration, for the caller to remove."""
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "oomreaper.conf")
        write_file(conf, "[oomreaper]\ndeadline = 1\n\n[global]\nmem_min = %s\n"
                   "mem_kill = %s\nhorizon = 0\n" % (mem_min, mem_kill))
        return Daemon("--dry-run", "--config", conf, "--cgroup", cg), tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@daemon_test
def test_daemon_tie_goes_to_a_pid_taken_again_by_a_younger_twin():
    """The daemon (dry run, deadline 1 s: a would_kill a second) on 40 twins of 4 MiB in a 400
    MiB cgroup, always under mem_kill: its selections hold each oom_score file, and the start
    time of a process read once through its held file. Then the oldest twin is killed and a
    new twin takes its pid again (clone3() set_tid), 30 ms after all: the youngest, so the
    next would_kill names it. A start time kept with the pid rather than with the file
    (the file of the process that died answers ESRCH) would give the new twin the old one's
    and keep choosing the youngest of before."""
    cg = make_cgroup(limit_mb=400)
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    twins, kids = late_twins(cg, 40, 4)
    d, tmp = short_dry_daemon(cg, "390M", "380M")
    try:
        first = d.wait_event("would_kill", timeout=10)
        check(first["pid"] == kids[-1], "would kill %d first, want the youngest twin %d"
              % (first["pid"], kids[-1]))
        # a second selection, through the files held by the first
        check(wait_for(lambda: len(d.events("would_kill")) >= 2, timeout=10),
              "no second would_kill")
        old = kids[0]
        kill_member(old, cg)
        check(wait_for(lambda: old not in cgroup_procs(cg)), "the oldest twin is still there")
        again = more_twin(twins, old)
        check(again == old, "the new twin took %d, not %d" % (again, old))
        seen = len(d.events("would_kill"))
        check(wait_for(lambda: len(d.events("would_kill")) >= seen + 2, timeout=10),
              "no would_kill after the new twin")
        last = d.events("would_kill")[-1]
        want, bad, data = survey_top(cg)
        tied = [p["pid"] for p in data["processes"] if p["badness"] == bad]
        check(want == again and len(tied) > 10, "the survey ranks %d first (badness %d), not "
              "the new twin %d tied with the others: %s" % (
                  want, bad, again, [(p["pid"], p["badness"]) for p in data["processes"]]))
        check(last["pid"] == again, "would kill %d, want the new twin %d at a pid taken again"
              % (last["pid"], again))
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    note("would kill %d first, then the twin at its pid taken again %d, %d tied at badness %d"
         % (first["pid"], again, len(tied), bad))


@daemon_test
def test_start_already_short_kills_the_warm_choice():
    """A 64 MiB hog in a 200 MiB cgroup, the daemon started with mem_min 160M: memory is short
    at its first sample. The selection it makes once started (to make the kill path resident)
    is kept as the victim chosen ahead, so the first kill is that one ("ahead": 1), not a
    second selection; before, start-up's selection was thrown away and the trigger chose
    again."""
    cg = make_cgroup(limit_mb=200)
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    h = hog(cg, 64)
    d = Daemon("--cgroup", cg, "--mem-min", "160M", "--mem-kill", "100M", "--horizon", "0")
    kill = d.wait_event("kill", timeout=15)
    check(kill["pid"] == h, "killed %r, want the hog %d" % (kill, h))
    check(kill.get("ahead") == 1, "the first kill was chosen again at the trigger: %r" % kill)
    d.stop_cleanly()
    note("killed the hog chosen at start-up, sample_to_kill_us %d" % kill["sample_to_kill_us"])
