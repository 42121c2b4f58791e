"""End-to-end tests of `oomreaper run`, the daemon: real growers filling cgroups the tests make
(cgroup v1 memory, with the kernel's OOM killer switched off through memory.oom_control, so
that only the daemon can save them), the daemon's JSON events read from its --log-json file.

run.py imports this module and runs its tests with its harness: the same cgroups, helpers,
cleanup and one line per test. Safety, on top of the harness's: every daemon is started by
Daemon, which refuses one that neither names a --cgroup made here nor is a --dry-run (a daemon
on the whole machine would kill this machine's session); every test of this module runs in
daemon_test, which stops every daemon it started (SIGTERM, then SIGKILL after a few seconds)
and thaws the freezers before the harness removes the cgroups, whatever happened.
"""

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from run import (MEMORY_ROOT, OOMREAPER, UNIFIED_ROOT, Failure, check, hog, make_cgroup,
                 make_freezer, made_cgroups, note, own_unified_cgroup, read_file, start_in, test,
                 thaw, thaw_all, tool_result, wait_for, write_file)
from test_kill import Watched, frozen_hog, rss_kb, usage_bytes

MIB = 1 << 20
# How long a daemon may take to stop on SIGTERM before it gets SIGKILL
STOP_TIMEOUT = 5


# ---------------------------------------------------------------------------------------------
# Cgroups the daemon watches


def oom_cgroup(limit_mb, parent=None):
    """A test cgroup limited to limit_mb MiB with the kernel's OOM killer off
    (memory.oom_control = 1): at its limit its tasks would hang, not be killed, so reaching it
    is the daemon's failure, visible as under_oom 1."""
    cg = make_cgroup(parent=parent, limit_mb=limit_mb)
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    return cg


def oom_control(cg):
    """memory.oom_control as {key: int}: oom_kill_disable, under_oom, oom_kill."""
    return {k: int(v) for k, v in (line.split() for line in
                                   read_file(os.path.join(cg, "memory.oom_control"))
                                   .splitlines())}


def cg_number(cg, name):
    return int(read_file(os.path.join(cg, name)))


def check_never_at_limit(cg):
    """The cgroup never reached its limit: under_oom 0 and its peak below the limit. Returns
    (peak, limit) in bytes."""
    peak, limit = cg_number(cg, "memory.max_usage_in_bytes"), cg_number(
        cg, "memory.limit_in_bytes")
    ctl = oom_control(cg)
    check(ctl["under_oom"] == 0, "%s is under OOM: %r" % (cg, ctl))
    check(peak < limit, "%s reached its limit: peak %d of %d bytes" % (cg, peak, limit))
    return peak, limit


def grower(cg, rate, max_mb, comm=None):
    """A grow helper in cg filling at rate MiB/s up to max_mb MiB; returns its Popen."""
    p, _ = start_in(cg, "grow", rate, max_mb, *(["--comm", comm] if comm else []))
    return p


# ---------------------------------------------------------------------------------------------
# The daemon, safely

daemons = []    # every Daemon started and not yet stopped


def daemon_is_safe(args):
    """Whether a daemon with these arguments can only signal processes of cgroups made here."""
    args = [str(a) for a in args]
    if "--dry-run" in args or "-n" in args:
        return True
    for flag in ("--cgroup", "-c"):
        if flag in args:
            return args[args.index(flag) + 1] in made_cgroups
    return False


class Daemon:
    """`oomreaper run ARGS` in the background, its stderr in a file (a pipe left unread would
    block its write(2)s), its JSON events in another (--log-json, unless args set one).
    in_cgroup: a test cgroup the daemon joins before its exec; stdout: a file for its stdout
    instead of the test's own (/dev/full, say); journal: JOURNAL_STREAM names its stderr file, as
systemd names the journal's stream it connects a service's stderr to."""

    def __init__(self, *args, env=None, in_cgroup=None, log_json=True, binary=OOMREAPER,
                 stdout=None, journal=False):
        args = [str(a) for a in args]
        check(daemon_is_safe(args), "refused to start run %s: neither a test --cgroup nor a "
              "--dry-run" % " ".join(args))
        self.dir = tempfile.mkdtemp(prefix="oomreaper-e2e-run-")
        self.json_path = os.path.join(self.dir, "events.jsonl")
        if log_json:
            args += ["--log-json", self.json_path]
        # its status socket in its own directory, never the machine's default place
        if "--socket" not in args:
            args += ["--socket", os.path.join(self.dir, "socket")]
        self.args = ["run"] + args
        self.err_path = os.path.join(self.dir, "stderr")
        self.out_path = os.path.join(self.dir, "stdout")
        cmd = [binary] + self.args
        if in_cgroup:
            check(in_cgroup in made_cgroups, "refused to start a daemon in %s" % in_cgroup)
            cmd = ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', in_cgroup] + cmd
        if stdout:
            open(self.out_path, "wb").close()   # what stop() reads: empty
        with open(self.err_path, "wb") as err, open(stdout or self.out_path, "wb") as out:
            env = dict(os.environ, **(env or {}))
            if journal:
                st = os.fstat(err.fileno())
                env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
            self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                      env=env)
        self.pid = self.p.pid
        self.result = None
        daemons.append(self)

    def err(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def events(self, kind=None, **match):
        """The JSON events so far (of that kind, with those fields), in the order written."""
        try:
            with open(self.json_path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        evs = []
        for line in lines:
            try:
                e = json.loads(line)
            except ValueError:
                raise Failure("invalid JSON event %r in %s" % (line, self.json_path))
            if (kind is None or e.get("event") == kind) and all(
                    e.get(k) == v for k, v in match.items()):
                evs.append(e)
        return evs

    def wait_event(self, kind, timeout=10, **match):
        """The first event of that kind (and fields) within timeout s; a Failure otherwise,
        or at once when the daemon ended."""
        found = []

        def seen():
            found[:] = self.events(kind, **match)
            return bool(found) or self.p.poll() is not None
        wait_for(seen, timeout=timeout)
        if not found:
            raise Failure("no %s event %s within %g s (daemon %s); events %s; stderr %r"
                          % (kind, match or "", timeout, "running" if self.p.poll() is None
                             else "ended with %d" % self.p.returncode,
                             [e["event"] for e in self.events()], self.err()[-1500:]))
        return found[0]

    def wait_started(self):
        return self.wait_event("start")

    def stop(self, sig=signal.SIGTERM):
        """Stops the daemon (sig, then SIGKILL after STOP_TIMEOUT s) and returns its Result.
        A Failure when it needed the SIGKILL."""
        if self.result:
            return self.result
        killed = False
        if self.p.poll() is None:
            self.p.send_signal(sig)     # our own child: the binary under test
            try:
                self.p.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                killed = True
        if self in daemons:
            daemons.remove(self)
        with open(self.out_path, "rb") as f:
            out = f.read()
        with open(self.err_path, "rb") as f:
            err = f.read()
        self.result = tool_result(self.args, self.p.returncode if not killed else 0, out, err)
        check(not killed, "the daemon did not stop within %d s of signal %d: %s"
              % (STOP_TIMEOUT, sig, self.result.describe()))
        return self.result

    def stop_cleanly(self):
        """SIGTERM: exit status 0 and a stop event."""
        r = self.stop()
        check(r.rc == 0, "daemon stopped with: " + r.describe())
        if os.path.exists(self.json_path):
            check(self.events("stop"), "no stop event: %s" % [e["event"] for e in
                                                              self.events()])
        return r

    def cleanup(self):
        try:
            self.stop()
        except Failure:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_all_daemons():
    for d in list(daemons):
        d.cleanup()


atexit.register(stop_all_daemons)


def daemon_test(fn):
    """A test of this module: every daemon it started is stopped and every freezer thawed
    before the harness removes the cgroups, whatever happened."""
    def wrapper():
        try:
            fn()
        finally:
            stop_all_daemons()
            thaw_all()
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return test(wrapper)


def bad_config_run(*args, env=None):
    """A run that must stop at once, before it starts (bad usage): still only ever with a
    test --cgroup or --dry-run, and stopped if it does start."""
    d = Daemon(*args, env=env, log_json=False)
    try:
        d.p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    return d.stop()


def ms_apart(a, b):
    return b["ts"] - a["ts"]


# ---------------------------------------------------------------------------------------------
# The tests


@daemon_test
def test_daemon_kills_hog_before_cgroup_limit():
    """A 512 MiB cgroup (kernel OOM killer off), a 50 MiB bystander, a grower at 300 MiB/s
    towards 2000 MiB: the daemon kills the grower (kill event), its memory comes back (reaped
    or exited), the cgroup never reaches its limit (under_oom 0, peak < limit), the bystander
    lives; SIGTERM: exit 0 and a stop event."""
    cg = oom_cgroup(512)
    bystander = Watched(hog(cg, 50))
    d = Daemon("--cgroup", cg)
    d.wait_started()
    g = grower(cg, 300, 2000)
    grown = Watched(g.pid)
    kill = d.wait_event("kill", timeout=15)
    check(kill["pid"] == g.pid and kill["comm"] == "grow", "killed %r, want the grower %d"
          % (kill, g.pid))
    trig = d.events("trigger")
    check(trig, "no trigger event before the kill")
    check(wait_for(grown.gone, timeout=5), "the grower %d is still there" % g.pid)
    check(wait_for(lambda: d.events("reap", pid=g.pid) or d.events("exit", pid=g.pid)),
          "neither a reap nor an exit event for %d: %s" % (g.pid, d.events()))
    exits, reaps = d.events("exit", pid=g.pid), d.events("reap", pid=g.pid)
    time.sleep(0.3)
    peak, limit = check_never_at_limit(cg)
    check(bystander.alive(), "the bystander %d was killed" % bystander.pid)
    check(len(d.events("kill")) == 1, "more than one kill: %s" % d.events("kill"))
    d.stop_cleanly()
    note("trigger %s: %s" % (trig[0]["trigger"], trig[0]["reason"]))
    note("killed at rss %d MiB, sample_to_kill_us %d; then %s; peak %d MiB of %d, %d MiB "
         "to spare" % (kill["rss_kb"] // 1024, kill["sample_to_kill_us"],
                       ", ".join(["reap %s%s" % (e["outcome"], " %d ms after the kill" % e["ms"]
                                                  if e["ms"] >= 0 else "") for e in reaps]
                                 + ["exit %d ms after the kill" % e["ms"] for e in exits]),
                       peak // MIB, limit // MIB, (limit - peak) // MIB))


@daemon_test
def test_two_hogs_two_kills_in_order():
    """Two growers (200 and 150 MiB/s) in a 512 MiB cgroup: exactly two kills, one of each,
    the second only after the first victim's exit or reap (never two at once); the bystander
    lives; the cgroup never reaches its limit."""
    cg = oom_cgroup(512)
    bystander = Watched(hog(cg, 50))
    d = Daemon("--cgroup", cg)
    d.wait_started()
    a, b = grower(cg, 200, 2000), grower(cg, 150, 2000)
    wa, wb = Watched(a.pid), Watched(b.pid)
    check(wait_for(lambda: len(d.events("kill")) >= 2, timeout=20),
          "not two kills: %s; stderr %r" % (d.events("kill"), d.err()[-1500:]))
    check(wait_for(lambda: wa.gone() and wb.gone()), "a grower survived")
    time.sleep(1.5)     # room for a third kill, which must not come
    evs = d.events()
    kills = [e for e in evs if e["event"] == "kill"]
    check(len(kills) == 2, "%d kills: %s" % (len(kills), kills))
    check({k["pid"] for k in kills} == {a.pid, b.pid}, "killed %s, want the growers %s"
          % ([k["pid"] for k in kills], [a.pid, b.pid]))
    first, second = kills
    i_second = evs.index(second)
    back = [e for e in evs[:i_second] if e["event"] in ("exit", "reap")
            and e["pid"] == first["pid"]]
    check(back, "the second kill came before the first victim's exit or reap: %s" % evs)
    check(second["ts"] >= back[0]["ts"], "second kill at %d, first victim back at %d"
          % (second["ts"], back[0]["ts"]))
    peak, limit = check_never_at_limit(cg)
    check(bystander.alive(), "the bystander %d was killed" % bystander.pid)
    d.stop_cleanly()
    note("kill %d (%d MiB), %s %d ms later, kill %d (%d MiB) %d ms after the first; peak %d "
         "MiB of %d" % (first["pid"], first["rss_kb"] // 1024, back[0]["event"],
                        ms_apart(first, back[0]), second["pid"], second["rss_kb"] // 1024,
                        ms_apart(first, second), peak // MIB, limit // MIB))


@daemon_test
def test_stuck_victim_moves_on_only_if_short():
    """A frozen 200 MiB hog pushing a 256 MiB cgroup under mem_min (30 %): killed and reaped
    while frozen, the memory back, and the bystander is not killed after it. With every reap
    failing (OOMREAPER_TEST_MRELEASE=eagain, a mmap lock that stays taken) and --deadline 1:
    stuck after about a second, and the cgroup still short, the next victim is killed."""
    cg = oom_cgroup(256)
    fz = make_freezer(cg)
    bystander = Watched(hog(cg, 20))
    pid = frozen_hog(cg, fz, 200)
    frozen = Watched(pid)
    before = usage_bytes(cg)
    d = Daemon("--cgroup", cg, "--mem-min", "30%", "--deadline", 1)
    kill = d.wait_event("kill")
    check(kill["pid"] == pid, "killed %r, want the frozen hog %d" % (kill, pid))
    reap = d.wait_event("reap", pid=pid)
    check(reap["outcome"] == "reaped", "reap %r" % reap)
    check(wait_for(lambda: usage_bytes(cg) < before - 150 * MIB),
          "usage %d MiB after the reap, %d MiB before" % (usage_bytes(cg) // MIB, before // MIB))
    check(frozen.alive() and rss_kb(pid) < 5 * 1024, "the frozen victim: alive %s, VmRSS %d kB"
          % (frozen.alive(), rss_kb(pid) if frozen.alive() else -1))
    time.sleep(2)       # past the deadline: a daemon that moved on anyway would kill now
    check(len(d.events("kill")) == 1 and bystander.alive(),
          "killed again although memory was back: %s" % d.events("kill"))
    check(not d.events("stuck"), "a reaped victim was called stuck: %s" % d.events("stuck"))
    d.stop_cleanly()
    thaw(fz)
    check(wait_for(frozen.gone), "the reaped victim did not end when thawed")
    note("reaped %d ms after the kill (%d attempt(s)), usage %d -> %d MiB; no second kill in 2 s"
         % (reap["ms"], reap["attempts"], before // MIB, usage_bytes(cg) // MIB))

    pid = frozen_hog(cg, fz, 200)
    frozen = Watched(pid)
    d = Daemon("--cgroup", cg, "--mem-min", "30%", "--deadline", 1,
               env={"OOMREAPER_TEST_MRELEASE": "eagain"})
    kill = d.wait_event("kill")
    check(kill["pid"] == pid, "killed %r, want the frozen hog %d" % (kill, pid))
    stuck = d.wait_event("stuck", timeout=5, pid=pid)
    nxt = d.wait_event("kill", timeout=5, pid=bystander.pid)
    check(800 <= ms_apart(kill, stuck) <= 2500, "stuck %d ms after the kill, --deadline 1"
          % ms_apart(kill, stuck))
    check(nxt["ts"] >= stuck["ts"], "the next kill came before the stuck verdict")
    check(wait_for(bystander.gone), "the next victim %d is still there" % bystander.pid)
    reap = d.events("reap", pid=pid)
    d.stop_cleanly()
    thaw(fz)
    check(wait_for(frozen.gone), "the stuck victim did not end when thawed")
    note("eagain: stuck %d ms after the kill, the next victim (the bystander) killed %d ms "
         "after that; the stuck one's reap: %s" % (ms_apart(kill, stuck), ms_apart(stuck, nxt),
                                                   reap[0]["outcome"] if reap else "no event"))


# The limit of the daemon's own cgroup in test_daemon_in_tight_cgroup_keeps_working, unless
# OOMREAPER_E2E_DAEMON_LIMIT_MB says another (to look for the smallest that works). Measured
# watching a cgroup scope: the release binary worked down to a 1 MiB limit (peak 0.7-1.0 MiB),
# so 4 MiB leaves it room; the ASan build peaks at 18 MiB (its leak check at the exit), died
# of the kernel's OOM killer at 16 MiB and worked at 24, so 32.
DAEMON_LIMIT_MB = int(os.environ.get("OOMREAPER_E2E_DAEMON_LIMIT_MB", "0")) or None


def binary_is_sanitized():
    """Whether the binary under test was built with AddressSanitizer (it then needs far more
    memory: shadow pages, quarantine)."""
    try:
        with open(OOMREAPER, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


@daemon_test
def test_daemon_in_tight_cgroup_keeps_working():
    """The daemon inside a memory cgroup of its own with a tight limit, watching another test
    cgroup where a grower fills 512 MiB: the kill comes in time, and the daemon's cgroup shows
    no OOM (oom_kill 0, not under OOM); its peak usage is printed."""
    limit = DAEMON_LIMIT_MB or (32 if binary_is_sanitized() else 4)
    home = make_cgroup(limit_mb=limit)
    cg = oom_cgroup(512)
    bystander = Watched(hog(cg, 50))
    d = Daemon("--cgroup", cg, in_cgroup=home)
    d.wait_started()
    check(d.pid in [int(x) for x in read_file(os.path.join(home, "cgroup.procs")).split()],
          "the daemon is not in its cgroup")
    g = grower(cg, 300, 2000)
    kill = d.wait_event("kill", timeout=15)
    check(kill["pid"] == g.pid, "killed %r, want the grower %d" % (kill, g.pid))
    peak, lim = check_never_at_limit(cg)
    check(bystander.alive(), "the bystander was killed")
    # after the stop: its exit (a sanitizer's leak check, say) counts too
    d.stop_cleanly()
    ctl = oom_control(home)
    failcnt = cg_number(home, "memory.failcnt")
    own_peak = cg_number(home, "memory.max_usage_in_bytes")
    check(ctl["oom_kill"] == 0 and ctl["under_oom"] == 0,
          "the daemon's cgroup had an OOM: %r" % ctl)
    note("daemon in a %d MiB cgroup (%s binary): its peak %.1f MiB, failcnt %d, oom_kill %d; "
         "the watched cgroup peaked at %d MiB of %d" % (
             limit, "ASan" if binary_is_sanitized() else "release", own_peak / MIB, failcnt,
             ctl["oom_kill"], peak // MIB, lim // MIB))


def status_kb(pid, key):
    for line in read_file("/proc/%d/status" % pid).splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise Failure("no %s in /proc/%d/status" % (key, pid))


def children_of(pid):
    kids = []
    for tid in os.listdir("/proc/%d/task" % pid):
        kids += read_file("/proc/%d/task/%s/children" % (pid, tid)).split()
    return kids


# What the release daemon may keep resident once started, kB: it was 2,050-2,230 before it
# dropped start-up's pages (src/resident.h), and 810-1,070 since, the spread being where
# ASLR puts libc against the kernel's 64 kB fault-around windows; on a later kernel build of
# these machines (6.18.44-fc-v1045) the same binary keeps 1,290-1,420 and today's 1,310-1,510
# (an empty cgroup, 6 starts each): the bound sits between those and what keeping start-up's
# pages costs, a regression bound, not the goal (bench/RESULTS.md has the figures)
RELEASE_RSS_BOUND_KB = 1800


@daemon_test
def test_start_rehearses_the_kill_path():
    """At start the daemon kills a child of its own through the whole kill path (pidfd,
    SIGKILL, the reaper) and says how it went; the child is gone, nothing else is signalled;
    its memory is locked. The release binary (when built) also drops the pages start-up
    touched: its VmRSS stays under RELEASE_RSS_BOUND_KB."""
    cg = make_cgroup()
    bystander = Watched(hog(cg, 10))
    binaries = [OOMREAPER]
    release = os.path.normpath(os.path.join(os.environ.get("HELPERS", ""), "..", "..",
                                            "oomreaper"))
    if os.environ.get("HELPERS") and os.access(release, os.X_OK) and release != OOMREAPER:
        binaries.append(release)
    for binary in binaries:
        d = Daemon("--cgroup", cg, binary=binary)
        start = d.wait_started().get("resident", "")
        check(re.search(r"kill path rehearsed on a child: killed(, exited before its reap,)?"
                        r"( and reaped)? in \d+ us", start), "start: %r" % start)
        dropped = re.search(r"resident: (\d+) kB of start-up's file pages dropped", start)
        check(dropped and int(dropped.group(1)) > 0, "start: %r" % start)
        time.sleep(0.5)
        check(not children_of(d.pid), "children left: %s" % children_of(d.pid))
        rss, locked = status_kb(d.pid, "VmRSS"), status_kb(d.pid, "VmLck")
        sanitized = binary == OOMREAPER and binary_is_sanitized()
        # AddressSanitizer makes mlock and mlockall do nothing
        check(locked > 0 or sanitized, "nothing locked")
        if binary == release:
            check(rss < RELEASE_RSS_BOUND_KB, "release VmRSS %d kB" % rss)
        check(not d.events("kill"), "killed: %s" % d.events("kill"))
        d.stop_cleanly()
        note("%s: VmRSS %d kB, VmLck %d kB; %s" % (
            "ASan" if sanitized else "release", rss,
            locked, start))
    check(bystander.alive(), "the bystander was signalled")


BAD_CONFIGS = [
    # (name, the file's text, its bad line, what the message must hold)
    ("unknown key", "[oomreaper]\ngrace = 0\nfrobnicate = 7\n", 3, ["frobnicate", "7"]),
    ("bad value", "[oomreaper]\n\n[global]\nmem_min = 10%\nmem_kill = lots\n", 5,
     ["mem_kill", "lots"]),
    ("bad regex", "[rule r]\nmatch = comm\nregex = ^(hog\naction = ignore\n", 3,
     ["regex", "^(hog"]),
    ("bad section", "[oomreaper]\ndeadline = 2\n[bogus]\nx = 1\n", 3, ["bogus"]),
]


@daemon_test
def test_bad_config_exit_2():
    """Configuration files with an unknown key, a bad value, a bad regex, a bad section, and a
    path that cannot be read (absent, a directory): `run --config F` and `check-config F`
    exit 2 with F:LINE:, the key and the value on stderr, and the daemon never starts."""
    cg = make_cgroup()
    bystander = Watched(hog(cg, 1))
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    problems = []
    try:
        cases = []
        for name, text, line, says in BAD_CONFIGS:
            path = os.path.join(tmp, name.replace(" ", "-") + ".conf")
            write_file(path, text)
            cases.append((name, path, "%s:%d: " % (path, line), says))
        cases.append(("absent", os.path.join(tmp, "absent.conf"),
                      os.path.join(tmp, "absent.conf") + ": ", ["No such file"]))
        cases.append(("directory", tmp, tmp + ": ", ["Is a directory"]))
        for name, path, prefix, says in cases:
            runs = [("run", bad_config_run("--config", path, "--cgroup", cg)),
                    ("check-config", run_check(path))]
            for how, r in runs:
                missing = [s for s in [prefix] + says if s not in r.err]
                if r.rc != 2 or missing or "started" in r.err or r.out.strip():
                    problems.append("%s, %s: exit %d, missing %s in stderr %r, stdout %r"
                                    % (name, how, r.rc, missing, r.err.strip(), r.out[:100]))
        note("e.g. %r" % run_check(cases[0][1]).err.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(bystander.alive(), "a bad configuration killed the bystander")
    check(not problems, "; ".join(problems))


def run_check(path):
    """`check-config path` (no daemon: nothing to keep safe)."""
    p = subprocess.run([OOMREAPER, "check-config", path], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10)
    return tool_result(["check-config", path], p.returncode, p.stdout, p.stderr)


GOOD_CONF = "[oomreaper]\ndeadline = 1\n\n[global]\nmem_min = %s\n"


@daemon_test
def test_sighup_bad_config_keeps_running():
    """A dry-run daemon on a test cgroup: a file rewritten with a bad key and SIGHUP: reload
    refused, the running configuration kept (its mem_min still in force), a reload event
    with the reason; a good file with a higher mem_min and SIGHUP: "configuration reloaded",
    and the new mem_min fires; SIGTERM: exit 0."""
    cg = oom_cgroup(512)
    h = Watched(hog(cg, 100))
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "oomreaper.conf")
        write_file(conf, GOOD_CONF % "10%")
        d = Daemon("--config", conf, "--dry-run", "--cgroup", cg)
        d.wait_started()
        # the refused file would fire at once: 90 % of 512 MiB is more than is available
        write_file(conf, GOOD_CONF % "90%" + "frobnicate = yes\n")
        d.p.send_signal(signal.SIGHUP)
        refused = d.wait_event("reload")
        check(refused["reason"] != "ok" and "frobnicate" in refused["reason"],
              "the reload of a bad file: %r" % refused)
        check(wait_for(lambda: "reload failed, keeping the running configuration" in d.err()),
              "stderr does not say the reload failed: %r" % d.err())
        check(conf + ":6:" in d.err(), "the refusal does not name %s:6: %r" % (conf, d.err()))
        time.sleep(1.5)
        check(d.p.poll() is None, "the daemon ended after a bad reload: %r" % d.err())
        check(not d.events("would_kill"), "the refused configuration's mem_min acted: %s"
              % d.events("would_kill"))

        write_file(conf, GOOD_CONF % "90%")
        d.p.send_signal(signal.SIGHUP)
        ok = d.wait_event("reload", reason="ok")
        check("configuration reloaded" in d.err(), "stderr: %r" % d.err())
        would = d.wait_event("would_kill", timeout=5)
        check(would["pid"] == h.pid, "would kill %r, want the hog %d" % (would, h.pid))
        check(h.alive(), "a dry run killed the hog")
        d.stop_cleanly()
        note("refused: %r; reloaded, then would kill %d ms later" % (refused["reason"],
                                                                     ms_apart(ok, would)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@daemon_test
def test_dry_run_signals_nothing():
    """`run --dry-run` on the whole machine (make run's command) for 2 s starts and stops
    cleanly. `run --dry-run --cgroup CG`, mem_min 50 % of 512 MiB, a 20 MiB bystander and a
    grower capped at 300 MiB: a would_kill event names the grower, no kill event, everything
    alive."""
    t = time.monotonic()
    d = Daemon("--dry-run")
    d.wait_started()
    check("DRY RUN" in d.events("start")[0]["reason"], "start: %r" % d.events("start"))
    time.sleep(2)
    check(d.p.poll() is None, "the whole-machine dry run ended: %r" % d.err())
    r = d.stop_cleanly()
    check(not d.events("kill"), "a dry run killed: %s" % d.events("kill"))
    note("whole machine: ran %.1f s, %d would_kill, stderr %r"
         % (time.monotonic() - t, len(d.events("would_kill")),
            r.err.splitlines()[0] if r.err else ""))

    cg = oom_cgroup(512)
    bystander = Watched(hog(cg, 20))
    # --horizon 0: mem_min alone fires, when the grower has 230 MiB or so, ten times the
    # bystander: no doubt which is the victim. (With the predictive trigger, a 300 MiB/s fill
    # in a warning band that is the whole cgroup fires at its first measured step, when the
    # bystander may rightly still be the larger.)
    d = Daemon("--dry-run", "--cgroup", cg, "--mem-min", "50%", "--horizon", 0)
    d.wait_started()
    g = grower(cg, 300, 300)
    would = d.wait_event("would_kill", timeout=10)
    grown_mb = rss_kb(g.pid) // 1024
    trig = d.events("trigger")[-1]
    time.sleep(1)
    check(not d.events("kill") and not d.events("term"), "a dry run signalled: %s"
          % (d.events("kill") + d.events("term")))
    check(g.poll() is None and bystander.alive(), "a dry run killed something")
    check(would["pid"] == g.pid, "would kill %s %d (%d MiB), want the grower %d (%d MiB by "
          "then), at %s: %s" % (would["comm"], would["pid"], would["rss_kb"] // 1024, g.pid,
                                grown_mb, trig["trigger"], trig["reason"]))
    check("would kill process %d (grow)" % g.pid in d.err(), "stderr %r" % d.err()[-800:])
    d.stop_cleanly()
    note("cgroup: would kill the grower at %d MiB (%s: %s)" % (would["rss_kb"] // 1024,
                                                               trig["trigger"], trig["reason"]))


def policy_kill(policy, grower_first=False):
    """A 200 MiB static hog and a grower at 100 MiB/s from nothing in a 512 MiB cgroup,
    mem_min 30 % (so that the kill comes while the grower is still the smaller), the grower
    started after the daemon (or before it, so that its start-up selection saw it): returns
    (the kill event, hog pid, grower pid, the grower's MiB at the kill)."""
    cg = oom_cgroup(512)
    static = hog(cg, 200, comm="static")
    g = grower(cg, 100, 2000, comm="grower") if grower_first else None
    d = Daemon("--cgroup", cg, "--mem-min", "30%", *(["--policy", policy] if policy else []))
    d.wait_started()
    g = g or grower(cg, 100, 2000, comm="grower")
    kill = d.wait_event("kill", timeout=15)
    grown_mb = rss_kb(g.pid) // 1024 if kill["pid"] != g.pid else kill["rss_kb"] // 1024
    time.sleep(0.3)
    check_never_at_limit(cg)
    check(len(d.events("kill")) == 1, "more than one kill: %s" % d.events("kill"))
    d.stop_cleanly()
    return kill, static, g.pid, grown_mb


@daemon_test
def test_policy_fastest_growing():
    """A static 200 MiB hog and a grower at 100 MiB/s started after the daemon, killed while
    still the smaller: the default policy (largest) kills the static hog; --policy
    fastest-growing kills the grower."""
    kill, static, g, grown = policy_kill(None)
    check(kill["pid"] == static, "largest killed %s (%d MiB), want the static hog %d"
          % (kill["comm"], kill["rss_kb"] // 1024, static))
    kill, static, g, grown = policy_kill("fastest-growing")
    if kill["pid"] != g:
        # tell the cases apart: a grower the daemon's start-up selection saw as well?
        seen, _, g2, _ = policy_kill("fastest-growing", grower_first=True)
        raise Failure("fastest-growing killed %s (%d MiB), not the grower %d (100 MiB/s, "
                      "%d MiB at the kill), new since the daemon's last selection; with the "
                      "grower started before the daemon, it killed %s" % (
                          kill["comm"], kill["rss_kb"] // 1024, g, grown,
                          "the grower" if seen["pid"] == g2 else seen["comm"]))
    note("largest: the 200 MiB hog; fastest-growing: the grower, at %d MiB" % grown)


RULES_CONF = "[oomreaper]\ndeadline = 1\n\n[rule %s]\nmatch = comm\nregex = %s\naction = %s\n"


def rules_run(text, *sizes):
    """Hogs of the given (comm, MiB) in a 512 MiB cgroup and a daemon with the rules of text
    and mem_min 50 % (which they breach): returns the first kill event, {comm: Watched}."""
    cg = oom_cgroup(512)
    procs = {comm: Watched(hog(cg, mb, comm=comm)) for comm, mb in sizes}
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "rules.conf")
        write_file(conf, text)
        d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", "50%")
        kill = d.wait_event("kill")
        time.sleep(1)
        check(len(d.events("kill")) == 1, "more than one kill: %s" % d.events("kill"))
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return kill, procs


@daemon_test
def test_rules():
    """[rule] sections: `ignore` on the comm of the largest hog: the next one is killed and
    the ignored one lives; `prefer` with weight 500 on a smaller hog: it is killed first."""
    kill, procs = rules_run(RULES_CONF % ("spare", "^bigone$", "ignore"),
                            ("bigone", 200), ("middle", 100), ("small", 20))
    check(kill["comm"] == "middle" and kill["pid"] == procs["middle"].pid,
          "ignore: killed %r, want middle" % kill)
    check(wait_for(procs["middle"].gone), "middle survived")
    check(procs["bigone"].alive() and procs["small"].alive(), "ignore: another was killed")

    kill, procs = rules_run(RULES_CONF % ("first", "^small$", "prefer") + "weight = 500\n",
                            ("bigone", 200), ("small", 80))
    check(kill["comm"] == "small" and kill["pid"] == procs["small"].pid,
          "prefer: killed %r, want small" % kill)
    check(procs["bigone"].alive(), "prefer: the big one was killed")
    note("prefer weight 500: the 80 MiB hog's badness %d pages beat the 200 MiB one"
         % kill["badness"])


def recv_until(sock, want, timeout):
    """Datagrams received until one holds want; returns them all. A Failure on timeout."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            break
        got.append(data)
        if want in data.split("\n"):
            return got
    raise Failure("no %s datagram within %g s; got %r" % (want, timeout, got))


@contextlib.contextmanager
def notify_socket():
    """A datagram socket bound in a directory of its own, for NOTIFY_SOCKET: (socket, path);
    both gone after"""
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-notify-")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        path = os.path.join(tmp, "notify")
        sock.bind(path)
        yield sock, path
    finally:
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)


@daemon_test
def test_notify_socket():
    """NOTIFY_SOCKET (a datagram socket bound here) and WATCHDOG_USEC=200000: READY=1, then
    WATCHDOG=1 datagrams at least every 200 ms; SIGTERM: STOPPING=1 and exit 0."""
    cg = make_cgroup()
    hog(cg, 1)
    with notify_socket() as (sock, path):
        d = Daemon("--dry-run", "--cgroup", cg,
                   env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})
        t0 = time.monotonic()
        got = recv_until(sock, "READY=1", 10)
        ready = time.monotonic()
        check(not any("WATCHDOG=1" in g for g in got[:-1]), "WATCHDOG=1 before READY=1: %r"
              % got)
        dogs = []
        while len(dogs) < 5:
            recv_until(sock, "WATCHDOG=1", 0.5)
            dogs.append(time.monotonic())
        gaps = [b - a for a, b in zip(dogs, dogs[1:])]
        check(max(gaps) < 0.2, "WATCHDOG=1 gaps %s s, WATCHDOG_USEC 200000" % gaps)
        d.p.send_signal(signal.SIGTERM)
        recv_until(sock, "STOPPING=1", 5)
        d.stop_cleanly()
        note("READY=1 %.0f ms after the start (%r); WATCHDOG=1 every %.0f..%.0f ms"
             % ((ready - t0) * 1000, got[-1], min(gaps) * 1000, max(gaps) * 1000))


@daemon_test
def test_psi_and_swap_flags():
    """--psi full:60:30 and --swap-min 10% are accepted (the daemon starts and stops cleanly);
    --psi bogus and --mem-min 120% exit 2 naming the flag; check-config prints the effective
    values of a file that sets them."""
    cg = make_cgroup()
    hog(cg, 1)
    problems = []
    for args in (["--psi", "full:60:30"], ["--swap-min", "10%"], ["--psi", "some:10:2"]):
        d = Daemon("--dry-run", "--cgroup", cg, *args)
        try:
            d.wait_started()
            d.stop_cleanly()
        except Failure as e:
            problems.append("%s: %s" % (args, e))
    for args, flag in ((["--psi", "bogus"], "--psi"), (["--psi", "full:160:30"], "--psi"),
                       (["--mem-min", "120%"], "--mem-min"), (["--swap-min", "x"],
                                                              "--swap-min")):
        r = bad_config_run("--dry-run", "--cgroup", cg, *args)
        if r.rc != 2 or flag not in r.err or args[1] not in r.err or "started" in r.err:
            problems.append("%s: %s" % (args, r.describe()))
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "levels.conf")
        write_file(conf, "[global]\npsi = full:60:30\nswap_min = 10%\nmem_min = 256M\n")
        r = run_check(conf)
        # a mem_kill not given is half of mem_min
        for line in ("psi = full:60:30", "swap_min = 10%", "mem_min = 256M",
                     "mem_kill = 128M", "policy = largest"):
            if r.rc != 0 or line not in r.out.splitlines():
                problems.append("check-config: no line %r in %r (%s)" % (line, r.out,
                                                                         r.describe()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(not problems, "; ".join(problems))


@daemon_test
def test_daemon_on_empty_cgroup():
    """A daemon watching an empty cgroup (its start-up selection finds nobody) runs and stops
    cleanly, without a sanitizer report: an empty member list is still a list."""
    cg = oom_cgroup(256)
    d = Daemon("--cgroup", cg)
    d.wait_started()
    time.sleep(1)
    r = d.stop_cleanly()
    check(not d.events("kill"), "killed in an empty cgroup: %s" % d.events("kill"))
    note("stderr %r" % r.err.strip().splitlines()[-1])


@daemon_test
def test_unwatchable_cgroup_refused():
    """--cgroup on a cgroup v2 directory without the memory controller (as here), or on a root
    cgroup (v1 memory, v2), whose figures would be the whole machine's: exit 2 with the reason,
    never started."""
    v2 = make_cgroup(parent=own_unified_cgroup())
    check(not os.path.exists(os.path.join(v2, "memory.current")),
          "%s has the memory controller: nothing to test here" % v2)
    # a member, so that a daemon that wrongly starts has someone to choose
    start_in(make_cgroup(), "hog", 10, before='echo $$ > "%s/cgroup.procs" &&' % v2)
    problems = []
    cases = [(["--cgroup", v2], "memory.current"),
             (["--dry-run", "--cgroup", UNIFIED_ROOT], "memory.current"),
             (["--dry-run", "--cgroup", MEMORY_ROOT], "root memory cgroup")]
    for args, says in cases:
        r = bad_config_run(*args)
        if r.rc != 2 or says not in r.err or "machine's" not in r.err or "started" in r.err:
            problems.append("%s: %s" % (args, r.describe()))
    check(not problems, "; ".join(problems))
    note(bad_config_run("--cgroup", v2).err.strip())


# ---------------------------------------------------------------------------------------------
# Scopes that change under the daemon: limits, reloads, removal


def set_limit(cg, mb):
    """Sets cg's memory limit and memory+swap limit to mb MiB, in the order the kernel accepts
    (memsw may never be below the limit)."""
    limit = str(mb << 20)
    memsw = os.path.join(cg, "memory.memsw.limit_in_bytes")
    has_memsw = os.path.exists(memsw)
    if has_memsw and mb << 20 > cg_number(cg, "memory.limit_in_bytes"):
        write_file(memsw, limit)
    write_file(os.path.join(cg, "memory.limit_in_bytes"), limit)
    if has_memsw:
        write_file(memsw, limit)


@daemon_test
def test_daemon_follows_cgroup_limit_changes():
    """A 256 MiB cgroup holding a 170 MiB hog, watched with --mem-min 20 %: its limit raised
    to 2 GiB, then a 50 MiB hog started: nothing is killed (1.8 GiB are free), and a
    scope_limit event says 2048 MiB. The limit lowered to 256 MiB again (usage 220 MiB, under
    mem_min of the new limit): the 170 MiB hog is killed, the 50 MiB one lives."""
    cg = oom_cgroup(256)
    big = Watched(hog(cg, 170))
    d = Daemon("--cgroup", cg, "--mem-min", "20%")
    d.wait_started()
    set_limit(cg, 2048)
    time.sleep(1.5)     # a sample or more: the idle daemon samples once a second
    small = Watched(hog(cg, 50))
    time.sleep(2.5)
    check(not d.events("kill"), "killed with %d MiB free of 2 GiB: %s; stderr %r"
          % ((2048 * MIB - usage_bytes(cg)) // MIB, d.events("kill"), d.err()[-800:]))
    check(big.alive() and small.alive(), "a hog died with the limit raised")
    raised = d.wait_event("scope_limit", timeout=1, limit_kb=2048 * 1024)
    set_limit(cg, 256)
    lowered = d.wait_event("scope_limit", timeout=5, limit_kb=256 * 1024)
    kill = d.wait_event("kill", timeout=5)
    check(kill["pid"] == big.pid, "killed %r, want the 170 MiB hog %d" % (kill, big.pid))
    check(wait_for(big.gone), "the 170 MiB hog is still there")
    time.sleep(0.5)
    check(small.alive() and len(d.events("kill")) == 1, "more than one kill: %s"
          % d.events("kill"))
    check_never_at_limit(cg)
    d.stop_cleanly()
    note("raised: %r; lowered: %r, then killed %s (%d MiB) %d ms later" % (
        {k: raised[k] for k in ("limit_kb", "was_kb", "totalpages")},
        {k: lowered[k] for k in ("limit_kb", "was_kb", "totalpages")}, kill["comm"],
        kill["rss_kb"] // 1024, ms_apart(lowered, kill)))


RELOAD_CONF = "[oomreaper]\ndeadline = %d\n\n[global]\nmem_min = 30%%\n"


@daemon_test
def test_reload_keeps_victim_in_flight():
    """A frozen 200 MiB hog pushing a 256 MiB cgroup under mem_min is killed; its reap fails
    (OOMREAPER_TEST_MRELEASE=eagain), so it stays in flight until its deadline (4 s). A SIGHUP
    meanwhile reloads the configuration, and the scope (the same path) keeps its victim: no
    second kill before the stuck verdict at the deadline, and the bystander dies only after
    that."""
    cg = oom_cgroup(256)
    fz = make_freezer(cg)
    bystander = Watched(hog(cg, 20))
    pid = frozen_hog(cg, fz, 200)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "oomreaper.conf")
        write_file(conf, RELOAD_CONF % 4)
        d = Daemon("--config", conf, "--cgroup", cg,
                   env={"OOMREAPER_TEST_MRELEASE": "eagain"})
        kill = d.wait_event("kill")
        check(kill["pid"] == pid, "killed %r, want the frozen hog %d" % (kill, pid))
        # a real change of file: a rule that matches nobody
        write_file(conf, RELOAD_CONF % 4 + "\n[rule none]\nmatch = comm\nregex = ^nobody$\n"
                   "action = avoid\nweight = 100\n")
        d.p.send_signal(signal.SIGHUP)
        reload = d.wait_event("reload", reason="ok")
        wait_for(lambda: d.events("stuck", pid=pid) or len(d.events("kill")) > 1, timeout=8)
        stuck = d.events("stuck", pid=pid)
        kills = d.events("kill")
        early = [k for k in kills[1:] if not stuck or k["ts"] < stuck[0]["ts"]]
        check(not early, "a second kill %d ms after the reload, before the first victim's "
              "deadline: %s" % (ms_apart(reload, early[0]) if early else 0, kills))
        stuck = d.wait_event("stuck", timeout=1, pid=pid)
        check(3000 <= ms_apart(kill, stuck) <= 6000, "stuck %d ms after the kill, deadline 4 s"
              % ms_apart(kill, stuck))
        nxt = d.wait_event("kill", timeout=5, pid=bystander.pid)
        check(wait_for(bystander.gone), "the next victim %d is still there" % bystander.pid)
        d.stop_cleanly()
        note("killed, reloaded %d ms later, stuck %d ms after the kill, the next kill %d ms "
             "after that" % (ms_apart(kill, reload), ms_apart(kill, stuck),
                             ms_apart(stuck, nxt)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        thaw(fz)


@daemon_test
def test_failed_reload_frees_its_config():
    """A dry-run daemon reloads a file whose rule compiles but whose next line is bad
    (refused), then a good file with a rule: it stops cleanly, and the sanitizer build's leak
    check finds nothing (the refused file's compiled regex was freed)."""
    cg = make_cgroup()
    hog(cg, 1)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "oomreaper.conf")
        rule = "[rule r]\nmatch = comm\nregex = ^(a|b)+c$\naction = avoid\nweight = 1\n"
        write_file(conf, GOOD_CONF % "10%")
        d = Daemon("--config", conf, "--dry-run", "--cgroup", cg)
        d.wait_started()
        write_file(conf, GOOD_CONF % "10%" + rule + "frobnicate = 1\n")
        d.p.send_signal(signal.SIGHUP)
        refused = d.wait_event("reload")
        check(refused["reason"] != "ok" and "frobnicate" in refused["reason"], "%r" % refused)
        write_file(conf, GOOD_CONF % "10%" + rule)
        d.p.send_signal(signal.SIGHUP)
        d.wait_event("reload", reason="ok")
        r = d.stop_cleanly()
        note("sanitized binary: %s; refused: %r; stderr ends %r" % (
            binary_is_sanitized(), refused["reason"], r.err.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@daemon_test
def test_removed_cgroup_is_watched_again():
    """A watched 256 MiB cgroup is removed: one scope_gone event and one "removed" line; a
    SIGHUP meanwhile reloads (the scope goes on waiting). It is made again at the same path
    (256 MiB, the kernel's OOM killer off): a scope_back event, and a grower at 150 MiB/s in it
    is killed before the limit; the bystander lives."""
    cg = oom_cgroup(256)
    d = Daemon("--cgroup", cg)
    d.wait_started()
    os.rmdir(cg)
    time.sleep(1.5)     # a sample or more: the idle daemon samples once a second
    d.p.send_signal(signal.SIGHUP)
    wait_for(lambda: d.events("reload"), timeout=3)
    made = time.time()
    os.mkdir(cg)
    set_limit(cg, 256)
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    time.sleep(0.5)
    bystander = Watched(hog(cg, 20))
    g = grower(cg, 150, 2000)

    def done():
        return d.events("kill") or oom_control(cg)["under_oom"]
    wait_for(done, timeout=10)
    ctl = oom_control(cg)
    check(ctl["under_oom"] == 0 and d.events("kill"),
          "the cgroup made again was not watched: %r, peak %d MiB of 256, kills %s"
          % (ctl, cg_number(cg, "memory.max_usage_in_bytes") // MIB, d.events("kill")))
    gone, back = d.wait_event("scope_gone", timeout=1), d.wait_event("scope_back", timeout=1)
    reload = d.wait_event("reload", timeout=1)
    check(reload["reason"] == "ok", "the reload while the cgroup was gone: %r" % reload)
    kill = d.events("kill")[0]
    check(kill["pid"] == g.pid, "killed %r, want the grower %d" % (kill, g.pid))
    time.sleep(0.3)
    check_never_at_limit(cg)
    check(bystander.alive(), "the bystander was killed")
    check(len(d.events("scope_gone")) == 1 and len(d.events("scope_back")) == 1,
          "gone %s, back %s" % (d.events("scope_gone"), d.events("scope_back")))
    r = d.stop_cleanly()
    removed = [line for line in r.err.splitlines() if "removed" in line]
    check(len(removed) == 1, "the removal said %d times: %r" % (len(removed), removed))
    note("%r; back %d ms after the mkdir; killed the grower at %d MiB"
         % (removed[0], back["ts"] - made * 1000, kill["rss_kb"] // 1024))
