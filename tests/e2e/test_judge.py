"""End-to-end tests of the one judgement and the one kill sequence: `kill --pid` refuses what
the selection would never choose (a process outside the --cgroup scope, a vfork child), a
group of any size is killed whole or not at all, the selection passes over a victim the kill
would refuse (a sharer of an `ignore`d process) for the next one, and the whole-cgroup kill
spares oomreaper itself, and the daemon kills no victim that has left its scope since it was
chosen.

run.py imports this module and runs its tests with its harness. Safety as in test_kill.py
(every kill through oom_kill, or checked by kill_is_safe) and test_run.py (every daemon through
Daemon, a dry run or on a test cgroup); the one kill started by hand runs inside the test cgroup
it kills, and it is that cgroup it names.
"""

import json
import os
import resource
import shutil
import subprocess
import tempfile
import time

from run import (OOMREAPER, Failure, cgroup_procs, check, explain, hog, make_cgroup,
                 make_freezer, note, start_in, state_of, test, tool_result, wait_for,
                 write_file)
from test_kill import (Watched, into, kill_is_safe, kill_json, oom_kill, sigkill_pending,
                       usage_bytes)
from test_run import Daemon, daemon_test

MIB = 1 << 20


@test
def test_kill_pid_outside_cgroup_refused():
    """kill --cgroup X --pid P, P a process of another cgroup: exit 1, "not in the scope", P
    neither killed nor signalled (as explain P --cgroup X refuses it); the same in a dry run.
    P inside X is killed."""
    x, y = make_cgroup(), make_cgroup()
    inside, outside = Watched(hog(x, 10)), Watched(hog(y, 10))
    r = explain(outside.pid, "--cgroup", x)
    check(r.rc == 1 and "no process %d" % outside.pid in r.err, "explain: " + r.describe())
    r = oom_kill("--cgroup", x, "--pid", outside.pid, "--dry-run")
    check(r.rc == 1 and "not in the scope" in r.err and "would kill" not in r.out,
          "dry run: %s %r" % (r.describe(), r.out))
    r = oom_kill("--cgroup", x, "--pid", outside.pid)
    check(r.rc == 1 and "process %d cannot be chosen: not in the scope cgroup v1 %s"
          % (outside.pid, x) in r.err, "%s %r" % (r.describe(), r.out))
    time.sleep(0.1)
    check(outside.alive() and not sigkill_pending(outside.pid), "the process outside the "
          "scope was signalled")
    check(inside.alive(), "the process inside the scope was killed instead")
    r = oom_kill("--cgroup", x, "--pid", inside.pid)
    check(r.rc == 0 and wait_for(inside.gone), "the process inside: %s" % r.describe())


@test
def test_kill_pid_vfork_child_refused():
    """kill --pid of a child held in vfork: exit 1, "vfork child", as the selection never
    chooses it (its memory is its parent's, judged on the parent's own oom_score_adj);
    neither it nor its parent signalled."""
    cg = make_cgroup()
    _, (parent, child) = start_in(cg, "vforker", 20)
    check(wait_for(lambda: state_of(parent) == "D"), "vfork parent not in state D")
    wp, wc = Watched(parent), Watched(child)
    r = oom_kill("--cgroup", cg, "--pid", child)
    check(r.rc == 1 and "process %d (vforker) cannot be chosen: vfork child" % child in r.err,
          "%s %r" % (r.describe(), r.out))
    time.sleep(0.1)
    check(wc.alive() and wp.alive() and not sigkill_pending(child)
          and not sigkill_pending(parent), "the vfork pair was signalled")
    # the parent is the one to choose: it and its child die together
    r = oom_kill("--cgroup", cg, "--pid", parent, "--json")
    v = kill_json(r)["victims"][0]
    check(r.rc == 0 and sorted(v["members"]) == sorted([parent, child]),
          "the parent: %r; %s" % (v, r.describe()))
    check(wait_for(lambda: wp.gone() and wc.gone()), "the vfork pair survived")


SHARERS = 100


@test
def test_hundred_sharers_killed_whole():
    """One address space of 100 processes (CLONE_VM): kill --pid one of them takes all 100 as
    members, kills them all (none left alive), exit 0, and the 50 MiB comes back; more than
    the 64 a victim once held."""
    cg = make_cgroup(limit_mb=512)
    _, pids = start_in(cg, "sharers", 50, SHARERS)
    check(len(pids) == SHARERS, "sharers made %d processes" % len(pids))
    procs = [Watched(p) for p in pids]
    before = usage_bytes(cg)
    r = oom_kill("--cgroup", cg, "--pid", pids[0], "--json")
    v = kill_json(r)["victims"][0]
    alive = lambda: [w.pid for w in procs if w.alive()]
    check(wait_for(lambda: not alive()), "%d of %d sharers left alive: %s..."
          % (len(alive()), SHARERS, alive()[:5]))
    check(r.rc == 0 and len(v["members"]) == SHARERS and sorted(v["members"]) == sorted(pids)
          and v.get("left_alive") == 0, "exit %d, %d members, left_alive %r; %s"
          % (r.rc, len(v["members"]), v.get("left_alive"), r.describe()))
    check(wait_for(lambda: usage_bytes(cg) < before - 40 * MIB), "memory still charged: %d "
          "MiB of %d" % (usage_bytes(cg) // MIB, before // MIB))
    note("%d members, reap %s, %d -> %d MiB charged" % (len(v["members"]), v["reap"],
                                                      before // MIB, usage_bytes(cg) // MIB))


def limited_nofile(n):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return set_limit


@test
def test_group_too_large_to_hold_is_not_killed_in_part():
    """100 sharers, and kill run with RLIMIT_NOFILE 48, so that it cannot hold a pidfd on each:
    it kills none of them (a group killed in part keeps its memory), says so, exit 1."""
    cg = make_cgroup(limit_mb=512)
    _, pids = start_in(cg, "sharers", 10, SHARERS)
    procs = [Watched(p) for p in pids]
    args = ["--cgroup", cg, "--pid", str(pids[0])]
    check(kill_is_safe(args), "refused to run kill %s" % args)
    p = subprocess.run([OOMREAPER, "kill"] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30, preexec_fn=limited_nofile(48))
    r = tool_result(["kill"] + args, p.returncode, p.stdout, p.stderr)
    check(r.rc == 1 and "cannot hold every process sharing the memory of %d" % pids[0] in r.err
          and "nothing signalled" in r.err, "%s %r" % (r.describe(), r.out))
    time.sleep(0.1)
    hit = [w.pid for w in procs if w.gone() or sigkill_pending(w.pid)]
    check(not hit, "%d sharers signalled: %s" % (len(hit), hit[:5]))


# keeper is ignored; its sharer and the hog "other" are preferred by the most a rule can give,
# which with oom_score_adj 1000 puts them above any process of the machine, whatever runs on it
KEEP_CONF = ("[oomreaper]\ndeadline = 1\n\n[rule keep]\nmatch = comm\nregex = ^keeper$\n"
             "action = ignore\n\n[rule first]\nmatch = comm\nregex = ^(sharers|other)$\n"
             "action = prefer\nweight = 1000\n")


def sharer_of_ignored_passed_over(cg):
    """The daemon on cg, where keeper (ignored by a rule) and its CLONE_VM sharer rank first
    and a hog second, chooses the hog: the sharer's kill would free nothing while keeper lives.
    Returns keeper's pid."""
    _, (keeper, sharer) = start_in(cg, "sharers", 200, 2, "keeper")
    other = hog(cg, 50, adj=1000, comm="other")
    for pid in (keeper, sharer):
        write_file("/proc/%d/oom_score_adj" % pid, "1000")
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "keep.conf")
        write_file(conf, KEEP_CONF)
        # mem_min 99 %: the trigger fires at once, on this machine as it is
        d = Daemon("--config", conf, "--cgroup", cg, "--dry-run", "--mem-min", "99%",
                   "--horizon", 0)
        d.wait_started()
        would = d.wait_event("would_kill", timeout=10)
        check(would["pid"] == other, "would kill %s %d, want the hog %d (keeper %d, its "
              "sharer %d)" % (would["comm"], would["pid"], other, keeper, sharer))
        check("no process can be chosen" not in d.err(), "stderr: %r" % d.err()[-600:])
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return keeper


@daemon_test
def test_sharer_of_ignored_process_passed_over():
    """A dry run with `ignore ^keeper$`: keeper's CLONE_VM sharer ranks first (oom_score_adj
    1000 and a prefer rule), and killing it would not free keeper's memory, so the kill would
    refuse it. The daemon chooses the next candidate (a hog, also preferred, smaller) in the
    same pass, instead of "no process can be chosen". The test's own cgroup is the scope: on
    the whole machine another session's adj-1000 process of more memory would rank first."""
    sharer_of_ignored_passed_over(make_cgroup())


@daemon_test
def test_sharer_check_sees_processes_past_the_first_room():
    """The same with 1,500 sleepers of the test's started first, so that the machine has more
    processes than the daemon's first listing of /proc has room for (1,024) and keeper comes
    after them in it. That listing once grew its buffers and returned them with only the first
    1,024 pids written: keeper went unseen, and the daemon's first choice was the sharer (seen
    failing on every run before the fix, and on a machine busy with other sessions' processes
    in the test above)."""
    many = make_cgroup()
    start_in(many, "forker", 1501)
    check(wait_for(lambda: len(cgroup_procs(many)) >= 1500, timeout=60),
          "forker made %d of 1,500 sleepers" % len(cgroup_procs(many)))
    keeper = sharer_of_ignored_passed_over(make_cgroup())
    before = sum(1 for e in os.listdir("/proc") if e.isdigit() and int(e) < keeper)
    # a pid wrap may have put keeper early in /proc's order: then this run shows less
    note("%d processes listed before keeper in /proc" % before)


@test
def test_kill_cgroup_spares_oomreaper_itself():
    """`kill --kill-cgroup` run from inside the cgroup it kills (memory and freezer): it spares
    itself, says so ("spared process PID (oomreaper): oomreaper itself", and in the JSON),
    kills the two hogs there, does not freeze itself, and exits 0. (A -1000 process, which it
    spares as well, cannot be made on this machine: a unit test covers it on a fixture.)"""
    cg = make_cgroup()
    fz = make_freezer(cg)
    procs = [Watched(start_in(cg, "hog", 10, before=into(fz))[0].pid) for _ in range(2)]
    args = ["kill", "--cgroup", cg, "--kill-cgroup", "--json", "--deadline", "3"]
    check(kill_is_safe(args[1:]), "refused to run %s" % args)
    script = 'echo $$ > "$0/cgroup.procs" && echo $$ > "$1/cgroup.procs" && shift && exec "$@"'
    p = subprocess.Popen(["/bin/sh", "-c", script, cg, fz, OOMREAPER] + args,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        write_file(os.path.join(fz, "freezer.state"), "THAWED")
        p.kill()    # our own child, in the test cgroup
        out, err = p.communicate()
        check(False, "kill --kill-cgroup from inside its cgroup did not end: %r" % err[-400:])
    check(p.returncode >= 0, "kill --kill-cgroup from inside its cgroup died of signal %d"
          % -p.returncode)
    r = tool_result(args, p.returncode, out, err)
    try:
        data = json.loads(r.out)
    except ValueError:
        raise Failure("no JSON: %s %r %r" % (r.describe(), r.out, r.err))
    check(r.rc == 0 and "spared process %d (oomreaper): oomreaper itself" % p.pid in r.err
          and "killed 2 processes" in r.err, "%s %r" % (r.describe(), r.err))
    check([(s["pid"], s["reason"]) for s in data.get("spared", [])]
          == [(p.pid, "oomreaper itself")], "spared %r" % data.get("spared"))
    check(wait_for(lambda: all(w.gone() for w in procs)), "hogs survived")


def wait_chosen_ahead(sock, cg, pid, timeout=15):
    """Waits until the daemon serving sock has pid as cg's victim chosen ahead."""
    from test_see import scope_of, status_json
    seen = []

    def chosen():
        sc = scope_of(status_json(sock), cg)
        seen[:] = [sc["victim_ahead"]]
        return sc["victim_ahead"] is not None and sc["victim_ahead"]["pid"] == pid
    check(wait_for(chosen, timeout=timeout, step=0.1), "victim chosen ahead %r, want %d"
          % (seen, pid))


@daemon_test
def test_victim_chosen_ahead_then_moved_out_is_not_killed():
    """A dry run on cgroup A (mem_min 50 MiB, limit 80 MiB above its use: the warning band): a
    150 MiB hog and a 70 MiB one in A, and the daemon chooses the larger ahead. It is then
    moved to cgroup B (v1: its charge stays in A), and a 45 MiB hog started in A takes A past
    mem_min: the trigger's victim is the 70 MiB hog still in A, not the one moved out, which
    the kernel's memcg OOM killer would no longer see either (mem_cgroup_scan_tasks() walks A's
    tasks). The daemon once killed the victim chosen ahead as it was: alive, the same process,
    eligible, its lead over the others larger than the memory taken since, but not asked
    whether it was still in the scope."""
    from test_run import set_limit
    from test_see import watched_daemon
    a, b = make_cgroup(limit_mb=1024), make_cgroup()
    write_file(os.path.join(a, "memory.oom_control"), "1")
    mover, stayer = hog(a, 150), hog(a, 70)
    # set before the daemon starts: a limit that changes drops the victim chosen ahead
    set_limit(a, usage_bytes(a) // MIB + 80)
    d, sock = watched_daemon(a, "--dry-run", "--mem-min", "50M", "--horizon", 0)
    wait_chosen_ahead(sock, a, mover)
    write_file(os.path.join(b, "cgroup.procs"), str(mover))
    check(mover not in cgroup_procs(a), "%d is still in %s" % (mover, a))
    filler = hog(a, 45)
    would = d.wait_event("would_kill", timeout=10)
    check(would["pid"] == stayer, "would kill %s %d, want %d still in %s (or the filler %d), "
          "not %d moved out to %s" % (would["comm"], would["pid"], stayer, a, filler, mover, b))
    d.stop_cleanly()


@daemon_test
def test_victim_moved_out_while_choosing_stalls_is_not_killed():
    """A dry run on cgroup A whose trigger fires at once (mem_min 99 %), where choosing takes
    1.5 s more (OOMREAPER_TEST_STALL_MS, as on a loaded machine): a 150 MiB hog and a 70 MiB
    one; the larger is chosen, then moved to cgroup B while the stall lasts. It is not the
    scope's victim by the time of the signal: the daemon says so and chooses again, the hog
    still in A. (The stall comes after the choice, before the kill; once the victim was
    signalled whatever had become of its cgroup.)"""
    a, b = make_cgroup(limit_mb=512), make_cgroup()
    write_file(os.path.join(a, "memory.oom_control"), "1")
    mover, stayer = hog(a, 150), hog(a, 70)
    d = Daemon("--cgroup", a, "--dry-run", "--mem-min", "99%", "--horizon", 0,
               env={"OOMREAPER_TEST_STALL_MS": "1500"})
    d.wait_started()
    # its first sample fires the trigger: the stall follows the choice (a trigger event is
    # written only with the kill)
    time.sleep(0.5)
    write_file(os.path.join(b, "cgroup.procs"), str(mover))
    would = d.wait_event("would_kill", timeout=15)
    check(would["pid"] == stayer, "would kill %s %d, want %d still in %s, not %d moved out to "
          "%s while choosing stalled" % (would["comm"], would["pid"], stayer, a, mover, b))
    check("process %d (hog) has left the scope since it was chosen" % mover in d.err(),
          "stderr %r" % d.err()[-800:])
    d.stop_cleanly()


def lines_of(total):
    """Lines of pids no machine has (past any pid_max, 4,194,304) making exactly total bytes."""
    tens = 0
    while (total - 10 * tens) % 9:
        tens += 1
    return b"999999999\n" * tens + b"99999999\n" * ((total - 10 * tens) // 9)


@test
def test_cgroup_procs_past_a_mebibyte_is_read_whole():
    """A cgroup whose cgroup.procs is larger than the mebibyte read at once (some 150,000
    processes; here a v1 cgroup made by hand, as the fixture /proc trees are): the lines past
    it are read, and none is cut into another pid. The listing once stopped at the mebibyte
    and took the digits before the cut for a whole pid: a line H999 cut after H named the hog
    H, a process of another cgroup, which `kill --cgroup --dry-run` chose, and the hog G listed
    past the cut went unseen."""
    far, near = make_cgroup(), make_cgroup()
    h, g = hog(far, 30), hog(near, 20)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-procs-")
    try:
        write_file(os.path.join(tmp, "memory.limit_in_bytes"), str(1 << 40))
        cut = (1 << 20) - 1             # what one read of it took
        text = lines_of(cut - len(str(h))) + b"%d999\n" % h
        text += lines_of(4096) + b"%d\n" % g + lines_of(4096)
        with open(os.path.join(tmp, "cgroup.procs"), "wb") as f:
            f.write(text)
        r = oom_kill("--cgroup", tmp, "--dry-run", "--json")
        check(r.rc == 0, "kill: " + r.describe())
        chosen = [v["pid"] for v in kill_json(r)["victims"]]
        check(chosen == [g], "would kill %r, want the hog %d listed past the first mebibyte, "
              "not %d of another cgroup" % (chosen, g, h))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
