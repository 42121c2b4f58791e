"""End-to-end tests of policy largest-cgroup (`--policy largest-cgroup`, `policy =
largest-cgroup`): a storm cgroup of many small processes beside a bystander of 256 MiB in a
cgroup of its own, both below a parent cgroup made here and watched with `--cgroup PARENT`.
The kernel's ranking (policy largest) kills the bystander, the largest single process; the
cgroup ranking kills the storm whole and leaves the bystander alone.

A process with oom_score_adj -1000 cannot be staged here (lowering it needs CAP_SYS_RESOURCE):
its rule, that a cgroup holding one is not killed whole, is tested on a fixture /proc tree
(test_largest_cgroup_fixture_adj_min_cgroup_not_killed_whole) and in tests/unit/test_cgrank.c;
with real processes, by what protects the same way: oomreaper itself inside the storm cgroup,
and a process of it that an ignore rule protects.
"""

import json
import os
import subprocess
import tempfile
import time

from run import (OOMREAPER, check, cgroup_procs, good_proc, hog, make_cgroup, make_proc_tree,
                 note, run_tool, start_in, test, wait_for, FIXTURE_MEMINFO)
from test_kill import Watched, kill_json, kill_is_safe, oom_kill
from test_run import Daemon, daemon_test, grower, oom_cgroup

STORM = 200         # processes of the storm, besides its parent
STORM_MB = 4
BYSTANDER_MB = 256


def storm(cg, n=STORM, mb=STORM_MB):
    """The storm helper in cg: n children of mb MiB each, resident. Returns [Watched]."""
    p, _ = start_in(cg, "storm", n, mb, ready_timeout=60)
    pids = cgroup_procs(cg)
    check(len(pids) == n + 1, "the storm cgroup holds %d processes, want %d" % (len(pids), n + 1))
    return [Watched(pid) for pid in pids]


def layout(parent=None):
    """PARENT/storm (the storm) and PARENT/bystander (a 256 MiB hog). Returns (parent, storm
    cgroup, its [Watched], bystander cgroup, Watched bystander)."""
    parent = parent or make_cgroup()
    scg = make_cgroup(parent=parent)
    members = storm(scg)
    bcg = make_cgroup(parent=parent)
    bystander = Watched(hog(bcg, BYSTANDER_MB))
    return parent, scg, members, bcg, bystander


def alive(ws):
    return [w.pid for w in ws if w.alive()]


@test
def test_largest_cgroup_kills_the_storm_not_the_bystander():
    """`kill --cgroup PARENT` (policy largest) kills the bystander, the largest process, and
    leaves the storm; `kill --cgroup PARENT --policy largest-cgroup` then kills every process
    of the storm's cgroup and not the new bystander: the storm's 201 processes weigh more
    together. The JSON names the cgroup, its member count and memory."""
    parent, scg, members, bcg, bystander = layout()
    # `list --policy largest-cgroup` ranks the two cgroups as the kill will
    r = run_tool("list", "--json", "--cgroup", parent, "--policy", "largest-cgroup")
    check(r.rc == 0, r.describe())
    units = json.loads(r.out)["units"]
    check([(u["cgroup"], u["whole"], u["members"]) for u in units] ==
          [(scg, True, STORM + 1), (bcg, True, 1)], "list's units %r" % units)
    r = oom_kill("--cgroup", parent, "--json")
    data = kill_json(r)
    check(data["victims"][0]["pid"] == bystander.pid, "policy largest killed %r, want the "
          "bystander %d" % (data["victims"][0], bystander.pid))
    check(wait_for(bystander.gone), "the bystander lives")
    time.sleep(0.3)
    check(not [w for w in members if w.gone()], "policy largest killed storm members %s"
          % [w.pid for w in members if w.gone()])
    second = Watched(hog(bcg, BYSTANDER_MB))
    r = oom_kill("--cgroup", parent, "--policy", "largest-cgroup", "--json", timeout=60)
    data = kill_json(r)
    check(r.rc == 0, "kill --policy largest-cgroup: %s" % r.describe())
    check(data.get("policy") == "largest-cgroup" and data.get("cgroup_whole") is True and
          data.get("cgroup") == scg and data.get("cgroup_members") == STORM + 1,
          "JSON %r, want the storm cgroup %s whole, %d members"
          % ({k: v for k, v in data.items() if k != "victims"}, scg, STORM + 1))
    want_kb = STORM * STORM_MB * 1024
    check(data["cgroup_rss_kb"] >= want_kb, "the storm's memory %d kB, want at least %d"
          % (data["cgroup_rss_kb"], want_kb))
    check(wait_for(lambda: not alive(members), timeout=15), "storm members alive: %s"
          % alive(members)[:10])
    check(wait_for(lambda: not cgroup_procs(scg)), "the storm cgroup still holds %s"
          % cgroup_procs(scg))
    time.sleep(0.3)
    check(second.alive(), "policy largest-cgroup killed the bystander %d" % second.pid)
    check("policy largest-cgroup: killing cgroup v1 %s whole: %d processes" % (scg, STORM + 1)
          in r.err, "no cgroup line in %r" % r.err[-800:])
    note("storm of %d: %d kB resident, badness %d; chosen among %d units"
         % (STORM + 1, data["cgroup_rss_kb"], data["cgroup_badness"], data["units"]))


def kill_inside(cg, *args):
    """`oomreaper kill ARGS` run from inside the cgroup cg (it joins before its exec)."""
    check(kill_is_safe(args), "refused to run kill %s" % " ".join(map(str, args)))
    script = 'echo $$ > "$0/cgroup.procs" || exit 125\nexec "$@"'
    p = subprocess.run(["/bin/sh", "-c", script, cg, OOMREAPER, "kill"] + [str(a) for a in args],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@test
def test_largest_cgroup_spares_the_cgroup_oomreaper_is_in():
    """A cgroup that holds a process a kill must spare (here oomreaper itself, run from inside
    the storm cgroup; oom_score_adj -1000 and init alike) is not killed whole: its processes
    are ranked one by one, as the kernel would. The bystander, the largest of those, is killed
    alone, the storm lives, and the kill says why."""
    parent, scg, members, bcg, bystander = layout()
    rc, out, err = kill_inside(scg, "--cgroup", parent, "--policy", "largest-cgroup", "--json")
    data = json.loads(out)
    check(rc == 0 and data["victims"][0]["pid"] == bystander.pid,
          "rc %d, killed %r, want the bystander %d; %s" % (rc, data["victims"][0],
                                                           bystander.pid, err[-800:]))
    check(data["cgroup"] == bcg and data["cgroup_members"] == 1,
          "chose %r, want the bystander's cgroup %s" % (data, bcg))
    check(wait_for(bystander.gone), "the bystander lives")
    time.sleep(0.3)
    check(not [w for w in members if w.gone()], "storm members killed: %s"
          % [w.pid for w in members if w.gone()][:10])
    # with a bystander of 1 MiB a storm process is the largest: chosen alone, and said why
    second = Watched(hog(bcg, 1))
    rc, out, err = kill_inside(scg, "--cgroup", parent, "--policy", "largest-cgroup",
                               "--dry-run")
    check(rc == 0 and "would kill the victim alone: its cgroup holds a protected process (%s)"
          % scg in out, "dry run: rc %d, %r %r" % (rc, out, err[-500:]))
    check(second.alive() and not [w for w in members if w.gone()], "a dry run killed")


@daemon_test
def test_largest_cgroup_daemon_kills_the_storm_not_the_bystander():
    """`run --cgroup PARENT --policy largest-cgroup`: PARENT limited to 1,400 MiB, the storm
    (800 MiB) and the bystander (256 MiB) in it; a grower joins the storm and crosses the
    levels. Every process of the storm's cgroup is killed, the grower included, and the
    bystander lives; the kill event names the cgroup, its members and their memory."""
    parent = oom_cgroup(1400)
    parent, scg, members, bcg, bystander = layout(parent)
    d = Daemon("--cgroup", parent, "--policy", "largest-cgroup")
    d.wait_started()
    g = grower(scg, 200, 1000)
    kill = d.wait_event("kill", timeout=30)
    check(kill.get("group_kill") == "leaf" and kill.get("group_cgroup") == "cgroup v1 " + scg
          and kill.get("policy") == "largest-cgroup", "kill event %r, want the storm's cgroup %s"
          % (kill, scg))
    check(kill.get("cgroup_members", 0) >= STORM + 2 and
          kill.get("cgroup_rss_kb", 0) >= STORM * STORM_MB * 1024,
          "kill event %r: want %d members or more, %d kB or more"
          % (kill, STORM + 2, STORM * STORM_MB * 1024))
    everyone = members + [Watched(g.pid)] if os.path.exists("/proc/%d" % g.pid) else members
    check(wait_for(lambda: not alive(everyone), timeout=15), "storm members alive: %s"
          % alive(everyone)[:10])
    time.sleep(0.5)
    check(bystander.alive(), "the bystander %d was killed" % bystander.pid)
    check(len(d.events("kill")) == 1, "more than one kill: %s" % d.events("kill"))
    err = d.err()
    check("Tasks in cgroup v1 %s were killed due to policy = largest-cgroup" % scg in err,
          "no group line in %r" % err[-1500:])
    d.stop_cleanly()
    note("storm killed whole: %d processes, %d kB, group kill %d us"
         % (kill["group_size"], kill["cgroup_rss_kb"], kill["group_kill_us"]))


@daemon_test
def test_largest_cgroup_ignore_rule_protects_its_cgroup():
    """An ignore rule on one process of the storm cgroup protects the cgroup as -1000 would:
    the storm is not killed whole; its processes rank one by one, as under policy largest,
    and the bystander, the largest unit then (its own cgroup, whole), is killed."""
    parent = oom_cgroup(1400)
    parent, scg, members, bcg, bystander = layout(parent)
    keeper = Watched(hog(scg, 1, comm="cgkeeper"))
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write("[oomreaper]\npolicy = largest-cgroup\n\n[rule keeper]\nmatch = comm\n"
               "regex = ^cgkeeper$\naction = ignore\n")
    conf.close()
    try:
        d = Daemon("--config", conf.name, "--cgroup", parent)
        d.wait_started()
        g = grower(scg, 200, 1000)
        kill = d.wait_event("kill", timeout=30)
    finally:
        os.unlink(conf.name)
    check(kill["pid"] == bystander.pid and kill.get("group_cgroup") == "cgroup v1 " + bcg,
          "kill event %r: want the bystander %d, its cgroup whole" % (kill, bystander.pid))
    time.sleep(0.5)
    check(g.poll() is None, "the grower was killed")
    check(keeper.alive(), "the ignored process was killed")
    check(len([w for w in members if w.gone()]) == 0, "storm members killed: %s"
          % [w.pid for w in members if w.gone()][:10])
    d.stop_cleanly()


def fixture_cgroup_procs():
    """A /proc fixture: a storm cgroup of 10 x 40 MiB, a guarded cgroup of 20 x 40 MiB one of
    which has oom_score_adj -1000, a bystander of 150 MiB alone in its cgroup, init in the
    root."""
    procs = {1: good_proc(1, "init", 12 * 1024, ppid=0)}
    procs[1]["cgroup"] = "4:memory:/\n0::/\n"
    for i in range(10):
        procs[400 + i] = dict(good_proc(400 + i, "storm", 40 * 1024),
                              cgroup="4:memory:/fx/storm\n0::/\n")
    for i in range(20):
        procs[500 + i] = dict(good_proc(500 + i, "guarded", 40 * 1024,
                                        adj=-1000 if i == 0 else 0),
                              cgroup="4:memory:/fx/guarded\n0::/\n")
    procs[500]["oom_score"] = "0\n"
    procs[600] = dict(good_proc(600, "bystander", 150 * 1024), cgroup="4:memory:/fx/by\n0::/\n")
    return procs


@test
def test_largest_cgroup_fixture_adj_min_cgroup_not_killed_whole():
    """On a fixture /proc: the guarded cgroup (20 x 40 MiB) weighs most but holds a process of
    oom_score_adj -1000: it is not killed whole, and its members rank one by one. The storm
    cgroup (10 x 40 MiB) is chosen whole over the bystander (150 MiB); without the storm, the
    bystander, the largest unit left, is chosen and the guarded cgroup still not."""
    for with_storm in (True, False):
        d = tempfile.mkdtemp(prefix="oomreaper-e2e-cgproc-")
        procs = fixture_cgroup_procs()
        if not with_storm:
            procs = {k: v for k, v in procs.items() if not 400 <= k < 410}
        make_proc_tree(d, procs, meminfo=FIXTURE_MEMINFO)
        r = oom_kill("--proc", d, "--policy", "largest-cgroup", "--dry-run", "--json")
        subprocess.run(["rm", "-rf", d])
        data = kill_json(r)
        mount = "/sys/fs/cgroup/memory" if os.path.exists(
            "/sys/fs/cgroup/memory/memory.limit_in_bytes") else "/sys/fs/cgroup"
        cg, members, pids = ((mount + "/fx/storm", 10, range(400, 410)) if with_storm
                             else (mount + "/fx/by", 1, [600]))
        check(data.get("cgroup_whole") is True and data.get("cgroup") == cg and
              data.get("cgroup_members") == members and data["victims"][0]["pid"] in pids,
              "with storm %s: %r, want %s whole" % (with_storm, data, cg))
        # 20 units of the guarded cgroup, one by one (its -1000 process not among them)
        check(data["units"] == 19 + (2 if with_storm else 1), "units %d" % data["units"])
