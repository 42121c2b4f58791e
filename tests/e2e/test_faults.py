"""End-to-end tests through the fault seam: tests/faults/faults.c, an LD_PRELOAD shim that
makes reads of chosen /proc and cgroup files fail (EIO, EINTR, EAGAIN, ENOMEM, at a rate) and
writes of the JSON log fail (ENOSPC). The binary under test runs with it, against real
processes in cgroups made here; the shim's report (OOMREAPER_FAULT_REPORT) proves the faults
did happen, so a test cannot pass on a seam that injected nothing.

run.py imports this module and runs its tests with its harness; daemons are started and
stopped by test_run's Daemon and daemon_test, with its safety: only a --cgroup made here.
The shim is loaded ahead of an ASan binary's runtime: the tests set verify_asan_link_order=0.
"""

import json
import os
import re
import shutil
import tempfile

from run import (HELPERS, Failure, check, hog, make_cgroup, note, run_tool, test, wait_for)
from test_kill import Watched
from test_run import Daemon, check_never_at_limit, daemon_test, grower, oom_cgroup

SHIM = os.path.join(os.path.dirname(HELPERS), "faults", "faults.so")
# The read errors of a file that a process or the kernel makes fail now and then
READ_ERRNOS = ("EIO", "EINTR", "EAGAIN", "ENOMEM")
ERRNO_TEXT = {"EIO": "Input/output error", "EAGAIN": "Resource temporarily unavailable",
              "ENOMEM": "Cannot allocate memory"}


class Faults:
    """The environment that loads the shim with these settings (read=PATTERNS, rate=PCT,
    read_errno=NAME, write=PATTERNS, ...), and what it reported at exit."""

    def __init__(self, **settings):
        check(os.path.isfile(SHIM), "no fault shim at %s (tests/faults, built by make)" % SHIM)
        self.dir = tempfile.mkdtemp(prefix="oomreaper-e2e-faults-")
        self.report = os.path.join(self.dir, "report")
        asan = os.environ.get("ASAN_OPTIONS", "")
        self.env = {"LD_PRELOAD": SHIM, "OOMREAPER_FAULT_REPORT": self.report,
                    "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
        self.env.update({"OOMREAPER_FAULT_" + k.upper(): str(v) for k, v in settings.items()})

    def counts(self):
        """{"reads": N, "reads_failed": N, "writes": N, "writes_failed": N}, summed over the
        processes that reported."""
        total = {"reads": 0, "reads_failed": 0, "writes": 0, "writes_failed": 0}
        try:
            text = open(self.report).read()
        except FileNotFoundError:
            return total
        for m in re.finditer(r"reads (\d+) failed (\d+) writes (\d+) failed (\d+)", text):
            for k, v in zip(("reads", "reads_failed", "writes", "writes_failed"), m.groups()):
                total[k] += int(v)
        return total

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def per_errno(body, name):
    """One daemon test of body(ERRNO) for each errno of READ_ERRNOS, named name % errno."""
    for e in READ_ERRNOS:
        def fn(e=e):
            body(e)
        fn.__name__, fn.__doc__ = name % e.lower(), body.__doc__
        globals()[fn.__name__] = daemon_test(fn)


@test
def test_unreadable_status_is_skipped_with_its_reason():
    """Two hogs, 120 and 40 MiB, in a cgroup; every read of the big one's /proc/PID/status
    fails with EIO, EAGAIN or ENOMEM: `list --all` shows it, not eligible, with the reason
    (the file and the error), and `kill --dry-run` chooses the small one; neither crashes.
    With EINTR (retried) the big one is read and chosen. With every status unreadable,
    `kill --dry-run` says that no process can be chosen, exit 1."""
    cg = make_cgroup(limit_mb=512)
    big, small = hog(cg, 120), hog(cg, 40)
    for e in READ_ERRNOS:
        # EINTR at every read would be retried for ever: half of them. Seed 4: each process's
        # first draw fails and its second does not, so that the one read of status (a
        # single_open() file, read once) fails once and is retried; seed 1's first draw passed
        # it, and only the read to EOF that read_once_at() no longer makes had failed
        f = Faults(read="/proc/%d/status" % big, read_errno=e, rate=50 if e == "EINTR" else 100,
                   seed=4)
        try:
            r = run_tool("list", "--all", "--json", "--cgroup", cg, env=f.env)
            check(r.rc == 0, r.describe())
            procs = {p["pid"]: p for p in json.loads(r.out)["processes"]}
            check(big in procs and small in procs, "list lost a hog: %r" % sorted(procs))
            t = run_tool("list", "--all", "--cgroup", cg, env=f.env)
            check(t.rc == 0, t.describe())
            row = [line for line in t.out.splitlines() if line.split()[:1] == [str(big)]]
            check(row, "no row of %d: %r" % (big, t.out[-600:]))
            k = run_tool("kill", "--dry-run", "--json", "--cgroup", cg, env=f.env)
            check(k.rc == 0, k.describe())
            chosen = re.search(r'"pid": (\d+)', k.out)
            check(chosen, "kill --dry-run chose nobody: %s" % k.describe())
            n = f.counts()
            check(n["reads_failed"] > 0, "%s: the shim failed no read: %r" % (e, n))
            if e == "EINTR":
                check(procs[big]["eligible"], "EINTR is retried: %r" % procs[big])
                check(int(chosen.group(1)) == big, "EINTR: chose %s, want %d"
                      % (chosen.group(1), big))
                continue
            want = "unreadable /proc/%d/status: %s" % (big, ERRNO_TEXT[e])
            check(not procs[big]["eligible"], "%s: the unreadable %d is eligible: %r"
                  % (e, big, procs[big]))
            check(want in row[0], "%s: want %r in the row %r" % (e, want, row[0]))
            check(int(chosen.group(1)) == small, "%s: kill --dry-run chose %s, want %d"
                  % (e, chosen.group(1), small))
        finally:
            f.close()
    f = Faults(read="/proc/[0-9]*/status", read_errno="EIO")
    try:
        k = run_tool("kill", "--dry-run", "--cgroup", cg, env=f.env)
        check(k.rc == 1 and "no process can be chosen" in k.err, k.describe())
        check(f.counts()["reads_failed"] > 0, "the shim failed no read")
    finally:
        f.close()


@daemon_test
def test_json_log_enospc_is_said_once_and_counted_while_killing():
    """The daemon's --log-json file fails every write with ENOSPC (the shim, on that path),
    while a grower fills its 512 MiB cgroup: the grower is still killed before the limit,
    the failure is said once on stderr with its reason, and at the stop the count of lost
    lines is exactly the number of writes that failed."""
    cg = oom_cgroup(512)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-enospc-")
    log = os.path.join(tmp, "events.jsonl")
    f = Faults(write=log)
    try:
        d = Daemon("--cgroup", cg, "--log-json", log, log_json=False, env=f.env)
        check(wait_for(lambda: "started" in d.err() or d.p.poll() is not None, timeout=20),
              "no start: %r" % d.err()[-300:])
        g = grower(cg, 300, 2000)
        grown = Watched(g.pid)
        check(wait_for(grown.gone, timeout=20), "the grower %d was not killed: %r"
              % (g.pid, d.err()[-800:]))
        check("Killed process %d (grow)" % g.pid in d.err(), "no kill line: %r"
              % d.err()[-800:])
        check_never_at_limit(cg)
        r = d.stop_cleanly()
        said = "cannot write the JSON log: No space left on device"
        check(r.err.count(said) == 1, "want %r once in stderr %r" % (said, r.err[-800:]))
        lost = re.search(r"stopping; (\d+) JSON log line\(s\) could not be written", r.err)
        n = f.counts()
        check(lost, "no count of the lost lines: %r" % r.err[-400:])
        check(n["writes_failed"] >= 3, "the shim failed %d writes" % n["writes_failed"])
        # the stop line is said after the stop event's write: every failure is counted
        check(int(lost.group(1)) == n["writes_failed"], "said %s lost, the shim failed %d"
              % (lost.group(1), n["writes_failed"]))
        check(os.path.getsize(log) == 0, "the log was written to: %d bytes"
              % os.path.getsize(log))
        note("%d JSON lines lost, said once" % n["writes_failed"])
    finally:
        f.close()
        shutil.rmtree(tmp, ignore_errors=True)




def grower_killed_through(errno_name, files, seed):
    """A 512 MiB cgroup (kernel OOM killer off), a 50 MiB bystander, a grower at 300 MiB/s;
    30 % of the daemon's reads of files (patterns; CG stands for the cgroup) fail with
    errno_name: it kills the grower, once, never the bystander, before the cgroup reaches
    its limit, says nothing of each failed read, and stops cleanly."""
    cg = oom_cgroup(512)
    f = Faults(read=files.replace("CG", cg), rate=30, read_errno=errno_name, seed=seed)
    try:
        bystander = Watched(hog(cg, 50))
        d = Daemon("--cgroup", cg, env=f.env)
        d.wait_started()
        g = grower(cg, 300, 2000)
        grown = Watched(g.pid)
        kill = d.wait_event("kill", timeout=20)
        check(kill["pid"] == g.pid, "killed %r, want the grower %d" % (kill, g.pid))
        check(wait_for(grown.gone, timeout=5), "the grower %d is still there" % g.pid)
        check_never_at_limit(cg)
        check(bystander.alive(), "the bystander %d was killed" % bystander.pid)
        check(len(d.events("kill")) == 1, "more than one kill: %s" % d.events("kill"))
        r = d.stop_cleanly()
        n = f.counts()
        check(n["reads_failed"] > 0, "the shim failed no read: %r" % n)
        lines = r.err.count("\n")
        check(lines < 200, "%d lines on stderr for %d failed reads: %r"
              % (lines, n["reads_failed"], r.err[-600:]))
        note("%s: %d of %d reads failed; killed at rss %d MiB, sample_to_kill_us %d; "
             "%d stderr lines" % (errno_name, n["reads_failed"], n["reads"],
                                  kill["rss_kb"] // 1024, kill["sample_to_kill_us"], lines))
    finally:
        f.close()


def kills_through_cgroup_read_faults(errno_name):
    """The grower is killed before the limit while 30 % of the daemon's reads of the
    cgroup's memory.stat and memory.usage_in_bytes fail with errno_name (a failed sample is
    taken again at once, not a second later)."""
    grower_killed_through(errno_name, "CG/memory.stat:CG/memory.usage_in_bytes", 7)


def kills_through_proc_read_faults(errno_name):
    """The grower, never the bystander, is killed while 30 % of the daemon's reads of
    /proc/PID/stat and /proc/PID/status fail with errno_name (such a read is tried again)."""
    grower_killed_through(errno_name, "/proc/[0-9]*/stat:/proc/[0-9]*/status", 11)


per_errno(kills_through_cgroup_read_faults, "test_daemon_kills_through_%s_on_cgroup_reads")
per_errno(kills_through_proc_read_faults,
          "test_daemon_kills_the_grower_through_%s_on_proc_reads")
