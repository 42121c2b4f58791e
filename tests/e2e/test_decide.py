"""End-to-end tests of the daemon's decisions under workloads it did not write: a burst that
ends, a dying process that still holds memory, a choice gone stale while the machine was busy,
the first fast fill of an idle scope. Each is a case where a userspace killer can do worse than
the kernel alone: kill where the kernel would kill nobody, or kill an innocent.

run.py imports this module and runs its tests with its harness (cgroups, helpers, cleanup);
the daemon is started through test_run's Daemon, which only ever watches cgroups made here.
"""

import os
import signal
import time

from run import check, freeze, hog, make_freezer, note, start_in, wait_for, write_file
from test_kill import Watched, rss_kb, usage_bytes
from test_run import MIB, Daemon, check_never_at_limit, daemon_test, grower, oom_cgroup


@daemon_test
def test_burst_that_stops_kills_nobody():
    """An idle 850 MiB process in a 1 GiB cgroup, and a process that grows by 50 MiB at
    57 MiB/s and stops: the cgroup peaks ~60 MiB above mem_min (10 %), and the kernel alone
    would kill nobody. The predictive trigger must not kill either (it killed the idle process
    when it extrapolated the fill a second ahead from a rate averaged over two)."""
    cg = oom_cgroup(1024)
    idle = Watched(hog(cg, 850, comm="idle"))
    d = Daemon("--cgroup", cg)
    d.wait_started()
    time.sleep(0.5)
    burst = grower(cg, 57, 50, comm="burst")
    b = Watched(burst.pid)
    check(wait_for(lambda: rss_kb(burst.pid) >= 49 * 1024, timeout=5),
          "the burst did not reach 50 MiB")
    time.sleep(3)
    kills = d.events("kill") + d.events("reap_dying")
    check(not kills, "killed although the burst stopped above mem_min: %s; stderr %r"
          % (kills, d.err()[-800:]))
    check(idle.alive() and b.alive(), "a process died without a kill event")
    peak, limit = check_never_at_limit(cg)
    d.stop_cleanly()
    note("peak %d MiB of %d, mem_min %d MiB: no kill" % (peak // MIB, limit // MIB,
                                                         limit // MIB // 10))


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
