"""End-to-end tests of the daemon's group kill (`run --group-kill no|leaf|scope`, the
`group_kill` key): real cgroup v1 memory cgroups made here, with the kernel's OOM killer off
(test_run.oom_cgroup), a grower that fires the kill, and the members of its group beside it.

What cannot be staged here: a process with oom_score_adj -1000 (lowering it needs
CAP_SYS_RESOURCE) and init in a test cgroup; the rule that spares them is group_kill_spares(),
tested on fixtures (tests/unit/test_rules.c), and the spare of oomreaper's own children on a
fixture cgroup (tests/unit/test_group.c). Sparing oomreaper itself is tested here: the daemon
runs inside the cgroup it kills. cgroup v2's cgroup.kill needs a v2 memory controller, which
this machine lacks: tests/unit/test_group.c covers its path on a fixture directory.
"""

import os
import re
import tempfile
import time

from run import (check, hog, make_cgroup, make_freezer, note, read_file, reap_children,
                 start_in, thaw, wait_for)
from test_kill import Watched, frozen_hog, kill_json, oom_kill, rss_kb, usage_bytes
from test_run import (Daemon, bad_config_run, daemon_test, grower, oom_cgroup)

MIB = 1 << 20


def procs_of(cg):
    """Every pid of cg and of the cgroups below it."""
    pids = []
    for d, _, _ in os.walk(cg):
        try:
            pids += [int(x) for x in read_file(os.path.join(d, "cgroup.procs")).split()]
        except FileNotFoundError:
            pass
    return pids


def emptied(cg, timeout=10):
    """Whether cg's subtree becomes empty (orphans handed to us are reaped meanwhile)."""
    def empty():
        reap_children()
        return not procs_of(cg)
    return wait_for(empty, timeout=timeout)


def memory_back(d, pid, timeout=10):
    """The exit or reap event of the victim pid that carries the group's freed memory."""
    check(wait_for(lambda: d.events("exit", pid=pid) or d.events("reap", pid=pid),
                   timeout=timeout), "neither an exit nor a reap event for %d: %s; %r"
          % (pid, d.events(), d.err()[-1500:]))
    evs = d.events("exit", pid=pid) + d.events("reap", pid=pid)
    return max(evs, key=lambda e: e.get("group_freed_kb", 0))


def leaf_layout(limit_mb=512, hogs=4, hog_mb=10):
    """A scope cgroup; below it the leaf, with `hogs` hogs (the grower joins later), and a
    sibling with a bystander. Returns (scope, leaf, sibling, hog Watched, bystander Watched)."""
    cg = oom_cgroup(limit_mb)
    leaf = make_cgroup(parent=cg)
    sibling = make_cgroup(parent=cg)
    members = [Watched(hog(leaf, hog_mb)) for _ in range(hogs)]
    bystander = Watched(hog(sibling, 30))
    return cg, leaf, sibling, members, bystander


@daemon_test
def test_group_kill_leaf_kills_the_victims_own_cgroup():
    """--group-kill leaf: the grower and the 4 hogs of its own cgroup (5 processes) are killed
    and their cgroup emptied; the bystander of the sibling cgroup lives. The kill event names
    the cgroup and a group of 5; the exit or reap event's freed memory is the sum of the 5
    members' resident sizes; the log says "Tasks in ... were killed due to group_kill"."""
    cg, leaf, sibling, members, bystander = leaf_layout()
    hog_kb = sum(rss_kb(w.pid) for w in members)
    d = Daemon("--cgroup", cg, "--group-kill", "leaf")
    d.wait_started()
    g = grower(leaf, 300, 2000)
    grown = Watched(g.pid)
    kill = d.wait_event("kill", timeout=15)
    check(kill["pid"] == g.pid, "killed %r, want the grower %d" % (kill, g.pid))
    check(kill.get("group_kill") == "leaf" and kill.get("group_cgroup") == "cgroup v1 " + leaf
          and kill.get("group_size") == 5 and kill.get("group_spared") == 0,
          "kill event %r, want a group of 5 in %s" % (kill, leaf))
    check(wait_for(lambda: grown.gone() and all(w.gone() for w in members)),
          "survivors of the leaf: %s" % [w.pid for w in members + [grown] if w.alive()])
    check(emptied(leaf), "the leaf still holds %s" % procs_of(leaf))
    back = memory_back(d, g.pid)
    freed = back.get("group_freed_kb", -1)
    want = kill["rss_kb"] + hog_kb
    check(abs(freed - want) <= want // 10, "freed %d kB, want about %d (the grower's %d + the "
          "hogs' %d)" % (freed, want, kill["rss_kb"], hog_kb))
    time.sleep(0.5)
    check(bystander.alive(), "the bystander %d of the sibling cgroup was killed"
          % bystander.pid)
    check(len(d.events("kill")) == 1, "more than one kill: %s" % d.events("kill"))
    err = d.err()
    check("Tasks in cgroup v1 %s were killed due to group_kill = leaf: 5 processes" % leaf
          in err, "no group line in %r" % err[-1500:])
    check("the group of 5 processes of cgroup v1 %s: %d kB freed" % (leaf, freed) in err,
          "no freed line in %r" % err[-1500:])
    d.stop_cleanly()
    note("group of 5 killed in %s in %d us after the victim; %s freed %d kB of %d resident "
         "at the kill" % (os.path.basename(leaf), kill["group_kill_us"], back["event"], freed,
                          want))


@daemon_test
def test_group_kill_scope_kills_the_whole_subtree():
    """--group-kill scope: every process of the scope's subtree (the grower and 2 hogs in the
    leaf, a bystander in the sibling, a hog in the scope's own cgroup: 5) is killed, and the
    whole subtree emptied."""
    cg, leaf, sibling, members, bystander = leaf_layout(hogs=2)
    top = Watched(hog(cg, 10))
    d = Daemon("--cgroup", cg, "--group-kill", "scope")
    d.wait_started()
    g = grower(leaf, 300, 2000)
    kill = d.wait_event("kill", timeout=15)
    check(kill["pid"] == g.pid and kill.get("group_kill") == "scope" and
          kill.get("group_cgroup") == "cgroup v1 " + cg and kill.get("group_size") == 5,
          "kill event %r, want the grower %d and a group of 5 in %s" % (kill, g.pid, cg))
    everyone = members + [bystander, top, Watched(g.pid)]
    check(wait_for(lambda: all(w.gone() for w in everyone)), "survivors of the scope: %s"
          % [w.pid for w in everyone if w.alive()])
    check(emptied(cg), "the scope still holds %s" % procs_of(cg))
    d.stop_cleanly()


@daemon_test
def test_group_kill_no_kills_only_the_victim():
    """--group-kill no (and the default): the grower alone is killed, the hogs of its own
    cgroup live, and the kill event carries no group."""
    for args in (["--group-kill", "no"], []):
        cg, leaf, sibling, members, bystander = leaf_layout(hogs=2)
        d = Daemon("--cgroup", cg, *args)
        d.wait_started()
        g = grower(leaf, 300, 2000)
        kill = d.wait_event("kill", timeout=15)
        check(kill["pid"] == g.pid and "group_kill" not in kill and "group_size" not in kill,
              "%s: kill event %r" % (args, kill))
        check(wait_for(Watched(g.pid).gone), "the grower lives")
        time.sleep(0.5)
        check(all(w.alive() for w in members + [bystander]), "%s: a bystander was killed"
              % args)
        d.stop_cleanly()


@daemon_test
def test_group_kill_empties_a_forking_leaf():
    """A bounded fork bomb (up to 600 processes, forking while they are killed) beside the
    grower in the leaf: the group kill goes round until the leaf is empty, though the group
    is far larger than the room a victim holds (64): the members that exit give their places,
    the others are killed without being held. The sibling's bystander lives."""
    cg, leaf, sibling, members, bystander = leaf_layout(hogs=0)
    start_in(leaf, "forker", 600)
    check(wait_for(lambda: len(procs_of(leaf)) >= 100, timeout=10),
          "the forker made only %d processes" % len(procs_of(leaf)))
    d = Daemon("--cgroup", cg, "--group-kill", "leaf")
    d.wait_started()
    g = grower(leaf, 300, 2000)
    kill = d.wait_event("kill", timeout=20)
    check(kill["pid"] == g.pid, "killed %r, want the grower %d" % (kill, g.pid))
    check(emptied(leaf, timeout=15), "the leaf still holds %d processes; kill %r; %r"
          % (len(procs_of(leaf)), kill, d.err()[-1000:]))
    # each process counted once, however many rounds saw it dying
    check(100 <= kill.get("group_size", 0) <= 600 and kill.get("group_left_alive") == 0,
          "kill event %r" % kill)
    time.sleep(0.3)
    check(bystander.alive(), "the bystander was killed")
    d.stop_cleanly()
    note("a forking leaf of %d processes emptied in %d ms, %d of them killed without room to "
         "hold them" % (kill["group_size"], kill["group_kill_us"] // 1000,
                        kill.get("group_unheld", 0)))


@daemon_test
def test_group_kill_reaps_a_frozen_member():
    """A 150 MiB hog frozen (v1 freezer) in a cgroup below the leaf: the group kill kills it
    with the grower, the reaper frees its memory while it is still frozen (its cgroup's usage
    falls), the scope is not blocked past the deadline; once thawed it exits."""
    cg = oom_cgroup(512)
    leaf = make_cgroup(parent=cg)
    sub = make_cgroup(parent=leaf)
    fz = make_freezer(sub)
    frozen = Watched(frozen_hog(sub, fz, 150))
    d = Daemon("--cgroup", cg, "--group-kill", "leaf", "--deadline", 2)
    d.wait_started()
    g = grower(leaf, 300, 2000)
    kill = d.wait_event("kill", timeout=15)
    check(kill["pid"] == g.pid and kill.get("group_size") == 2, "kill event %r" % kill)
    check(wait_for(lambda: usage_bytes(sub) < 20 * MIB, timeout=5),
          "the frozen member's memory stayed: %d MiB" % (usage_bytes(sub) // MIB))
    check(frozen.alive(), "the frozen member exited while frozen")
    reap = d.wait_event("reap", pid=g.pid)
    check(reap["outcome"] == "reaped", "reap event %r" % reap)
    held = usage_bytes(sub)
    # the reaper's line for the member: its own size, not the victim's nor 0
    m = re.search(r"reaped process %d \(hog\), now anon-rss:\d+kB.* freed (\d+)kB"
                  % frozen.pid, d.err())
    check(m and int(m.group(1)) > 140 * 1024, "reap line of the frozen member: %r"
          % d.err()[-1500:])
    want = kill["rss_kb"] + 150 * 1024
    check(abs(reap.get("group_freed_kb", 0) - want) <= want // 10,
          "reap event %r, want about %d kB freed" % (reap, want))
    thaw(fz)
    check(wait_for(frozen.gone), "the thawed member did not exit")
    check(emptied(leaf), "the leaf still holds %s" % procs_of(leaf))
    d.stop_cleanly()
    note("frozen member's cgroup down to %d MiB before its thaw; reap %r"
         % (held // MIB, {k: reap[k] for k in ("outcome", "ms", "group_freed_kb")
                                       if k in reap}))


@daemon_test
def test_group_kill_spares_the_daemon_in_its_leaf():
    """The daemon itself runs in the leaf it kills: the grower and the 2 hogs there are killed,
    the daemon is spared and says so, and keeps running."""
    cg, leaf, sibling, members, bystander = leaf_layout(hogs=2)
    d = Daemon("--cgroup", cg, "--group-kill", "leaf", in_cgroup=leaf)
    d.wait_started()
    g = grower(leaf, 300, 2000)
    kill = d.wait_event("kill", timeout=15)
    check(kill["pid"] == g.pid and kill.get("group_size") == 3 and
          kill.get("group_spared") == 1 and "%d (oomreaper): oomreaper itself" % d.pid
          in kill.get("group_spared_first", ""), "kill event %r" % kill)
    check(wait_for(lambda: all(w.gone() for w in members)), "a hog of the leaf lives")
    check(d.p.poll() is None, "the daemon died")
    check("1 spared (%d (oomreaper): oomreaper itself)" % d.pid in d.err(),
          "no spared line: %r" % d.err()[-1500:])
    d.stop_cleanly()


@daemon_test
def test_group_kill_dry_run_names_the_group_and_kills_nothing():
    """--dry-run --group-kill leaf: the would_kill event and the log name the grower's cgroup
    and its 5 processes; nobody is signalled."""
    cg, leaf, sibling, members, bystander = leaf_layout(hogs=4, hog_mb=20)
    d = Daemon("--dry-run", "--cgroup", cg, "--group-kill", "leaf")
    d.wait_started()
    g = grower(leaf, 300, 400)
    would = d.wait_event("would_kill", timeout=15)
    check(would["pid"] == g.pid and would.get("group_kill") == "leaf" and
          would.get("group_cgroup") == "cgroup v1 " + leaf and would.get("group_size") == 5,
          "would_kill event %r" % would)
    check("Tasks in cgroup v1 %s would be killed due to group_kill = leaf: 5 processes" % leaf
          in d.err(), "no dry group line: %r" % d.err()[-1500:])
    time.sleep(0.3)
    check(all(w.alive() for w in members + [bystander, Watched(g.pid)]),
          "the dry run killed")
    check(not d.events("kill"), "a kill event in a dry run")
    d.stop_cleanly()


@daemon_test
def test_group_kill_scope_refused_for_the_whole_machine():
    """group_kill = scope for the whole machine is refused at load, exit 2, with the reason:
    --group-kill scope without --cgroup, and [global] group_kill = scope in a file (with its
    line); a bad value is refused too. With --cgroup, scope is taken."""
    r = bad_config_run("--dry-run", "--group-kill", "scope")
    check(r.rc == 2 and "--group-kill: [global]: group_kill = scope would kill every process "
          "of the machine: refused" in r.err, r.describe())
    r = bad_config_run("--dry-run", "--group-kill", "all")
    check(r.rc == 2 and "group_kill = 'all': want no, leaf or scope" in r.err, r.describe())
    with tempfile.TemporaryDirectory(prefix="oomreaper-e2e-group-") as tmp:
        conf = os.path.join(tmp, "scope.conf")
        with open(conf, "w") as f:
            f.write("[global]\nmem_min = 10%\ngroup_kill = scope\n")
        r = bad_config_run("--dry-run", "--config", conf)
        check(r.rc == 2 and "%s:3: [global]: group_kill = scope" % conf in r.err,
              r.describe())
        cg = oom_cgroup(256)
        with open(conf, "w") as f:
            f.write("[cgroup %s]\ngroup_kill = scope\n" % cg)
        d = Daemon("--dry-run", "--config", conf)
        d.wait_started()
        d.stop_cleanly()


@daemon_test
def test_kill_group_kill_leaf_kills_the_victims_cgroup():
    """`kill --cgroup SCOPE --group-kill leaf`: the top process (a 60 MiB hog) and the 2 others
    of its own cgroup are killed and reaped or gone; the sibling's hog lives. The dry run names the cgroup and kills nothing;
    --group-kill bad is bad usage; --kill-cgroup stays scope's alias."""
    cg = make_cgroup()
    leaf = make_cgroup(parent=cg)
    sibling = make_cgroup(parent=cg)
    top = Watched(hog(leaf, 60))
    members = [Watched(hog(leaf, 10)) for _ in range(2)]
    bystander = Watched(hog(sibling, 30))
    r = oom_kill("--cgroup", cg, "--group-kill", "bad")
    check(r.rc == 2 and "--group-kill wants no, leaf or scope, not 'bad'" in r.err,
          r.describe())
    r = oom_kill("--cgroup", cg, "--group-kill", "leaf", "--dry-run")
    check(r.rc == 0 and "would kill %d (hog)" % top.pid in r.out and
          "and the 3 processes of cgroup v1 %s (--group-kill leaf)" % leaf in r.out,
          "%s %r" % (r.describe(), r.out))
    check(all(w.alive() for w in members + [top]), "the dry run killed")
    r = oom_kill("--cgroup", cg, "--group-kill", "leaf", "--json")
    check(r.rc == 0 and "killed 3 processes of cgroup v1 %s" % leaf in r.err,
          "%s %r" % (r.describe(), r.err))
    data = kill_json(r)
    # those that exited during the kill gave their places up: the victim stays
    held = data["victims"][0]["members"]
    check(held[0] == top.pid and set(held) <= {w.pid for w in [top] + members}
          and data["n_spared"] == 0 and data["left_alive"] == 0, "json %r" % data)
    check(wait_for(lambda: all(w.gone() for w in [top] + members)), "a member of the leaf "
          "lives")
    check(bystander.alive(), "the sibling's hog was killed")
    r = oom_kill("--cgroup", cg, "--kill-cgroup", "--dry-run")
    check(r.rc == 0 and "would kill the 1 processes of cgroup v1 %s" % cg in r.out,
          "%s %r" % (r.describe(), r.out))
