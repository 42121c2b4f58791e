"""End-to-end tests of the daemon's decisions under workloads it did not write: a burst that
ends, a dying process that still holds memory, a choice gone stale while the machine was busy,
the first fast fill of an idle scope. Each is a case where a userspace killer can do worse than
the kernel alone: kill where the kernel would kill nobody, or kill an innocent.

run.py imports this module and runs its tests with its harness (cgroups, helpers, cleanup);
the daemon is started through test_run's Daemon, which only ever watches cgroups made here.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from run import (Failure, Skip, check, freeze, helpers, hog, make_cgroup, make_freezer,
                 meminfo_kb, note, read_file, start_in, wait_for, write_file)
from test_kill import Watched, rss_kb, usage_bytes
from test_run import (MIB, Daemon, check_never_at_limit, daemon_test, grower, oom_cgroup,
                      oom_control)


def idle_scope_watched(idle_mb):
    """A 1 GiB test cgroup with the kernel's OOM killer off, an idle process of idle_mb MiB in
    it, and the daemon watching it: (cgroup, the idle one Watched, the Daemon)"""
    cg = oom_cgroup(1024)
    idle = Watched(hog(cg, idle_mb, comm="idle"))
    d = Daemon("--cgroup", cg)
    d.wait_started()
    time.sleep(0.5)
    return cg, idle, d


def check_nobody_killed(cg, d, watched, what):
    """No kill event, every watched process alive, the cgroup never at its limit; stops the
    daemon and notes the peak. Returns (peak, limit) in bytes."""
    kills = d.events("kill") + d.events("reap_dying")
    check(not kills, "killed although %s: %s; stderr %r" % (what, kills, d.err()[-800:]))
    check(all(w.alive() for w in watched), "a process died without a kill event")
    peak, limit = check_never_at_limit(cg)
    d.stop_cleanly()
    note("peak %d MiB of %d, mem_min %d MiB: no kill" % (peak // MIB, limit // MIB,
                                                         limit // MIB // 10))
    return peak, limit


@daemon_test
def test_burst_that_stops_kills_nobody():
    """An idle 850 MiB process in a 1 GiB cgroup, and a process that grows by 50 MiB at
    57 MiB/s and stops: the cgroup peaks ~60 MiB above mem_min (10 %), and the kernel alone
    would kill nobody. The predictive trigger must not kill either (it killed the idle process
    when it extrapolated the fill a second ahead from a rate averaged over two)."""
    cg, idle, d = idle_scope_watched(850)
    burst = grower(cg, 57, 50, comm="burst")
    b = Watched(burst.pid)
    check(wait_for(lambda: rss_kb(burst.pid) >= 49 * 1024, timeout=5),
          "the burst did not reach 50 MiB")
    time.sleep(3)
    check_nobody_killed(cg, d, [idle, b], "the burst stopped above mem_min")


@daemon_test
def test_dying_process_is_reaped_not_replaced():
    """A 600 MiB process SIGKILLed while frozen (it cannot exit, as one stuck in D state),
    then a grower fills the 1 GiB cgroup under mem_min. The kernel would pick the dying
    process (task_will_free_mem): the daemon must reap it, say so, and kill nobody else;
    its memory comes back while it is still stuck."""
    cg = oom_cgroup(1024)
    fz = make_freezer(cg)
    bystander = Watched(hog(cg, 50, comm="bystander"))
    p, _ = start_in(cg, "hog", 600, "--comm", "dying")
    write_file(os.path.join(fz, "cgroup.procs"), str(p.pid))
    freeze(fz)
    dying = Watched(p.pid)
    os.kill(p.pid, signal.SIGKILL)      # our own helper, in our own cgroup: stays in D
    time.sleep(0.2)
    check(dying.alive(), "the frozen process exited")
    d = Daemon("--cgroup", cg, "--mem-min", "15%")
    d.wait_started()
    g = grower(cg, 200, 300, comm="filler")
    filler = Watched(g.pid)
    ev = d.wait_event("reap_dying", timeout=10)
    check(ev["pid"] == p.pid, "reaped %r, want the dying process %d" % (ev, p.pid))
    reap = d.wait_event("reap", pid=p.pid)
    check(reap["outcome"] == "reaped", "reap of the dying process: %r" % reap)
    check(wait_for(lambda: usage_bytes(cg) < 700 * MIB, timeout=5),
          "usage still %d MiB after the reap" % (usage_bytes(cg) // MIB))
    time.sleep(1.5)
    check(not d.events("kill"), "killed an innocent for a dying process: %s" % d.events("kill"))
    check(bystander.alive() and filler.alive(), "the bystander or the filler died")
    check("already dying" in d.err(), "no line says the victim was already dying: %r"
          % d.err()[-800:])
    check_never_at_limit(cg)
    d.stop_cleanly()
    note("reaped the dying process %d ms after the trigger's sample (%s attempt(s)), usage "
         "now %d MiB; nobody else killed" % (ev["sample_to_kill_us"] // 1000, reap["attempts"],
                                            usage_bytes(cg) // MIB))


@daemon_test
def test_stale_choice_is_rechecked():
    """Choosing takes 1.5 s (OOMREAPER_TEST_STALL_MS, as on a loaded machine) after a burst
    pushed the cgroup under mem_min; the burst's process ends meanwhile and memory is back.
    The daemon must sample again before the signal and kill nobody, saying so (abort)."""
    cg = oom_cgroup(512)
    big = Watched(hog(cg, 200, comm="bystander"))
    d = Daemon("--cgroup", cg, "--mem-min", "40%", "--horizon", 0,
               env={"OOMREAPER_TEST_STALL_MS": "1500"})
    d.wait_started()
    g = grower(cg, 400, 150, comm="burst")
    check(wait_for(lambda: rss_kb(g.pid) >= 140 * 1024, timeout=5), "the burst did not grow")
    time.sleep(0.3)                     # the trigger fired; the choice is under way
    g.kill()                            # our own helper: the burst ends, memory comes back
    g.wait()
    ab = d.wait_event("abort", timeout=5)
    time.sleep(0.5)
    check(not d.events("kill"), "killed on a stale choice: %s" % d.events("kill"))
    check(big.alive(), "the bystander died")
    check(ab["choose_ms"] >= 1400, "abort after %d ms of choosing" % ab["choose_ms"])
    d.stop_cleanly()
    note("called off after %d ms of choosing: was '%s', now '%s'"
         % (ab["choose_ms"], ab["was"], ab["now"]))


def stress_ng(cg, *args):
    """stress-ng ARGS in cg (it joins before the exec, so all its memory is charged there);
    returns its Popen. The cleanup of cg ends it and its workers whatever happens."""
    exe = shutil.which("stress-ng")
    if not exe:
        raise Skip("NO stress-ng: the Makefile installs it (Debian package stress-ng)")
    script = 'echo $$ > "$0/cgroup.procs" || exit 125\nexec "$@"'
    p = subprocess.Popen(["/bin/sh", "-c", script, cg, exe] + [str(a) for a in args],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    helpers.append(p)
    return p


def idle_daemon(cg):
    """A daemon on cg whose start-up probe under-measured, as on a loaded machine
    (OOMREAPER_TEST_FILL_KBS: 150 MiB/s where stress-ng filled at 1-4.5 GB/s): an idle
    sample then comes once a second, and sampling paced by the probe alone comes too late."""
    d = Daemon("--cgroup", cg, env={"OOMREAPER_TEST_FILL_KBS": str(150 * 1024)})
    d.wait_started()
    time.sleep(2)                       # idle: sampled at its slowest
    return d


@daemon_test
def test_first_fast_fill_is_caught():
    """An idle 1 GiB cgroup with the kernel's OOM killer ON and a 50 MiB bystander; two processes
    fill 560 MiB each as fast as they can here (over 1 GB/s each: the 900 MiB to the limit in
    under half the idle second). The daemon, woken by the kernel at the band's edge (a v1 usage
    threshold) and at mem_min, must kill one before the kernel's OOM killer fires (oom_kill
    stays 0), and never the bystander."""
    cg = make_cgroup(limit_mb=1024)
    bystander = Watched(hog(cg, 50, comm="bystander"))
    d = idle_daemon(cg)
    gs = [grower(cg, 8000, 560, comm="fastfill") for _ in range(2)]
    k = d.wait_event("kill", timeout=10)
    ctl = oom_control(cg)
    check(ctl["oom_kill"] == 0, "the kernel's OOM killer fired before the daemon's kill: %r; "
          "kill %r" % (ctl, k))
    check(k["pid"] in [g.pid for g in gs], "killed %r, not a fast fill" % k)
    check(bystander.alive(), "the bystander was killed")
    trig = [t for t in d.events("trigger") if t["ts"] <= k["ts"]][-1]
    d.stop_cleanly()
    note("killed at %d MiB, kernel OOM kills 0; trigger: %s" % (k["rss_kb"] // 1024,
                                                                trig["reason"]))


@daemon_test
def test_stress_ng_vm_never_lets_the_kernel_kill():
    """The same idle cgroup, and stress-ng's vm stressor filling 1.2 GiB, restarted by
    stress-ng each time it dies, for 6 s: every fill is killed before the kernel's OOM killer
    fires (oom_kill stays 0), the bystander lives, and only stress-ng's workers die."""
    cg = make_cgroup(limit_mb=1024)
    bystander = Watched(hog(cg, 50, comm="bystander"))
    d = idle_daemon(cg)
    s = stress_ng(cg, "--vm", 1, "--vm-bytes", "1200M", "--vm-keep", "--timeout", "6s")
    try:
        s.wait(timeout=20)
    except subprocess.TimeoutExpired:
        raise Failure("stress-ng did not end within 20 s")
    kills = d.events("kill")
    ctl = oom_control(cg)
    check(kills, "no kill: stress-ng ran its 6 s; oom_control %r; stderr %r"
          % (ctl, d.err()[-800:]))
    check(ctl["oom_kill"] == 0, "the kernel's OOM killer fired %d time(s) beside %d kill(s) of "
          "the daemon; triggers %s" % (ctl["oom_kill"], len(kills),
                                       [t["reason"] for t in d.events("trigger")][:5]))
    check(bystander.alive(), "the bystander was killed")
    check(all(k["comm"].startswith("stress-ng") for k in kills), "killed %s"
          % [k["comm"] for k in kills])
    trig = d.events("trigger")
    d.stop_cleanly()
    note("%d fill(s) killed in 6 s, kernel OOM kills 0; first trigger: %s; sample to kill %s us"
         % (len(kills), trig[0]["reason"] if trig else "?",
            [k["sample_to_kill_us"] for k in kills][:6]))


@daemon_test
def test_lines_a_newcomer_understands():
    """What the daemon says, read as a newcomer would: the start line names its scope; no
    warning about its own oom_score_adj when no scope holds it; a SIGKILL after the grace has
    its own line, with the PID; the JSON trigger carries the time of the sample that fired
    (sample_ts, on the clock of ts); "no process can be chosen" says why."""
    cg = oom_cgroup(256)
    p, _ = start_in(cg, "hog", 150, "--ignore-term", "--comm", "stubborn")
    d = Daemon("--cgroup", cg, "--mem-min", "50%", "--grace", 300)
    k = d.wait_event("kill", timeout=10)
    check(k["pid"] == p.pid, "killed %r, want the stubborn hog %d" % (k, p.pid))
    err = d.err()
    start = [ln for ln in err.splitlines() if "started:" in ln]
    check(start and ("watching cgroup v1 " + cg) in start[0], "start line %r" % start)
    check("oom_score_adj -1000" not in err, "warned about its adj though the scope does not "
          "hold it: %r" % err[:400])
    marks = ["process %d (stubborn) sent SIGTERM" % p.pid,
             "process %d (stubborn) did not exit within its grace: SIGKILL" % p.pid]
    for m in marks:
        check(m in err, "no line %r in %r" % (m, err[-1200:]))
    trig = d.events("trigger")[0]
    check("sample_ts" in trig and trig["sample_ts"] <= trig["ts"] and
          trig["ts"] - trig["sample_ts"] < 5000, "trigger event %r" % trig)
    d.stop_cleanly()
    note("start: %r" % start[0][:160])
    note("grace: %r" % [ln for ln in err.splitlines() if "grace" in ln])

    # nobody to choose: the one hog is ignored by a rule
    cg = oom_cgroup(256)
    hog(cg, 150, comm="keeper")
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "keep.conf")
        write_file(conf, "[rule keep]\nmatch = comm\nregex = ^keeper$\naction = ignore\n")
        d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", "50%")
        check(wait_for(lambda: "no process can be chosen" in d.err(), timeout=10),
              "no 'no process can be chosen' line: %r" % d.err()[-800:])
        line = [ln for ln in d.err().splitlines() if "no process can be chosen" in ln][0]
        check("none of the" in line and "eligible" in line, "it does not say why: %r" % line)
        d.stop_cleanly()
        note("nobody: %r" % line.split(": ", 2)[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@daemon_test
def test_reload_into_dry_run_sends_no_sigkill():
    """SIGTERM sent with a 1.5 s grace to a hog that ignores it; within the grace the
    configuration is reloaded into dry run: when the grace ends nothing more is signalled (the
    spin model found the SIGKILL sent anyway), the hog lives, and the daemon says so."""
    cg = oom_cgroup(256)
    p, _ = start_in(cg, "hog", 150, "--ignore-term", "--comm", "stubborn")
    hogw = Watched(p.pid)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-conf-")
    try:
        conf = os.path.join(tmp, "o.conf")
        write_file(conf, "[oomreaper]\ngrace = 1500\n")
        d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", "50%")
        d.wait_event("term", timeout=10)
        write_file(conf, "[oomreaper]\ngrace = 1500\ndry_run = yes\n")
        d.p.send_signal(signal.SIGHUP)
        d.wait_event("reload", timeout=5)
        time.sleep(2.5)
        check(hogw.alive(), "the hog was killed after the reload into dry run; events %s"
              % [e["event"] for e in d.events()])
        check(not d.events("kill"), "a kill event: %s" % d.events("kill"))
        check("dry run now: no SIGKILL" in d.err(), "no line says why: %r" % d.err()[-600:])
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@daemon_test
def test_catch_up_bursts_are_not_extrapolated():
    """A 1 GiB cgroup: an idle 690 MiB process, a trickle at 40 MiB/s up to 100 MiB, and a
    burster at 40 MiB/s up to 90 MiB that is stopped 300 ms in every 400 (a process stalled by
    reclaim, I/O or a busy CPU) and so catches up 12 MiB at once when let go. All stop about
    40 MiB above mem_min: the kernel alone kills nobody. The predictive trigger extrapolated a
    catch-up (12 MiB in one 10 ms interval: 1.2 GiB/s, mem_min "50 ms away") and killed; it
    must go by the fill's pace since it began (~80 MiB/s) and kill nobody."""
    cg, idle, d = idle_scope_watched(690)
    trickle = grower(cg, 40, 100, comm="trickle")
    burster = grower(cg, 40, 90, comm="burster")
    watched = [idle, Watched(trickle.pid), Watched(burster.pid)]
    end = time.monotonic() + 4
    while time.monotonic() < end:
        time.sleep(0.1)
        if burster.poll() is not None:
            break
        burster.send_signal(signal.SIGSTOP)     # our own child, in our own cgroup
        time.sleep(0.3)
        burster.send_signal(signal.SIGCONT)
    burster.send_signal(signal.SIGCONT)
    time.sleep(2)
    peak, limit = check_nobody_killed(cg, d, watched, "the fill stops above mem_min")
    check(limit - peak < 2 * limit // 10, "the fill never reached the warning band (peak %d "
          "MiB of %d): this test proves nothing" % (peak >> 20, limit >> 20))


def write_pressure(path, some_us, full_us):
    """Rewrites a fixture's pressure/memory in place, at one length: the daemon holds it open
    and reads it with pread"""
    line = "some avg10=0.00 avg60=0.00 avg300=0.00 total=%020d\n" \
           "full avg10=0.00 avg60=0.00 avg300=0.00 total=%020d\n" % (some_us, full_us)
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, line.encode(), 0)
    finally:
        os.close(fd)


@daemon_test
def test_pressure_in_bursts_fires_the_psi_trigger():
    """`--psi some:20:2` against a thrash as the page cache makes one: the stall comes in
    bursts, 60 % of wall time for 150 ms, then none for 150 ms (30 % over any window). The
    machine's own PSI cannot be made so without thrashing everyone's machine, so the daemon
    reads a fixture /proc (`--proc`, in dry run): its meminfo the machine's with MemAvailable
    at 15 % (the warning band: samples every 10 ms), its pressure/memory written by this test
    from the clock. Measured per sampling interval, the quiet intervals kept resetting the
    count and the trigger never fired; over the window it must fire within 2-4 s, once."""
    root = tempfile.mkdtemp(prefix="oomreaper-e2e-psi-")
    try:
        total = meminfo_kb("MemTotal")
        lines = [("MemAvailable:   %d kB" % (total * 15 // 100)) if line.startswith(
            "MemAvailable:") else line for line in read_file("/proc/meminfo").splitlines()]
        write_file(os.path.join(root, "meminfo"), "\n".join(lines) + "\n")
        os.mkdir(os.path.join(root, "pressure"))
        pressure = os.path.join(root, "pressure", "memory")
        write_file(pressure, "")
        write_pressure(pressure, 0, 0)
        d = Daemon("--proc", root, "--dry-run", "--psi", "some:20:2")
        d.wait_started()
        t0 = time.monotonic()
        fired = None
        while time.monotonic() - t0 < 6:
            t = time.monotonic() - t0
            # 300 ms periods: stalled 60 % during the first 150 ms, not at all the last 150
            period, into = divmod(t, 0.3)
            stall = period * 0.09 + min(into, 0.15) * 0.6
            write_pressure(pressure, int(stall * 1e6), 0)
            if fired is None and d.events("trigger"):
                fired = t
            time.sleep(0.004)
        trig = d.events("trigger")
        check(trig, "no trigger in 6 s of 30 %% pressure against some:20:2; stderr %r"
              % d.err()[-800:])
        check(all(e.get("trigger") == "psi" for e in trig), "not the psi trigger: %s" % trig)
        check(1.8 <= fired <= 4.5, "fired %.1f s after the start, not once the window of 2 s "
              "was in" % fired)
        gaps = [b["ts"] - a["ts"] for a, b in zip(trig, trig[1:])]
        check(all(g >= 1900 for g in gaps), "fired again %s ms after: the next pressure kill "
              "needs a window of its own" % gaps)
        d.stop_cleanly()
        note("fired %.1f s after the start: %s" % (fired, trig[0].get("reason")))
    finally:
        shutil.rmtree(root, ignore_errors=True)
