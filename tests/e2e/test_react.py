"""End-to-end tests of what the daemon tells and runs around a kill (issue 14): the kill
event's account of the choice and the trigger, the hooks (warn_exec, post_kill_exec), and the
desktop notifications through the events socket. The daemons are test_run's Daemon: only ever
on a cgroup made here or in a dry run, stopped whatever happens."""

import os
import re
import time

from run import check, explain, hog, note
from test_run import Daemon, daemon_test, oom_cgroup


def three_hogs(cg):
    """200, 100 and 20 MiB hogs in cg: the victim, the runner-up and a third, far apart."""
    return (hog(cg, 200, comm="big"), hog(cg, 100, comm="second"), hog(cg, 20, comm="third"))


def explain_runner_up(pid, cg):
    """explain's runner-up line of pid in cg: (pid, comm, badness, margin)."""
    out = explain(pid, "--cgroup", cg).out
    m = re.search(r"runner-up +(\d+) \((.*)\) badness (-?\d+), margin (-?\d+)", out)
    check(m, "no runner-up line in explain: %r" % out)
    return int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))


def close(a, b, pct=2):
    return abs(a - b) <= max(abs(a), abs(b)) * pct / 100 + 2


def check_choice_fields(ev, big, second, cg):
    """The kill (or would_kill) event's account of the choice and of the trigger."""
    check(ev["pid"] == big, "victim %r, want big %d" % (ev, big))
    check(ev.get("runner_up_pid") == second and ev.get("runner_up_comm") == "second",
          "runner-up: %r, want second %d" % (ev, second))
    # judged: the walk reads in detail only who could still beat the victim or the
    # runner-up; the 20 MiB one could not
    check(2 <= ev["candidates"] <= 3 and ev["scanned"] == 3,
          "candidates %r of %r, want 2 or 3 of 3" % (ev.get("candidates"), ev.get("scanned")))
    check(ev["margin"] == ev["badness"] - ev["runner_up_badness"] and ev["margin"] > 0,
          "margin %r" % ev)
    check(0 < ev["select_us"] < 10000000, "select_us %r" % ev.get("select_us"))
    check(ev["trigger"] in ("mem_min", "mem_kill"), "trigger %r" % ev.get("trigger"))
    check(ev["available_kb"] < ev["mem_min_kb"] <= ev["total_kb"], "figures %r" % ev)
    check(ev["mem_kill_kb"] <= ev["mem_min_kb"], "levels %r" % ev)
    check(cg.endswith(ev["cgroup"]) and ev["cgroup"].count("/") > 1,
          "cgroup %r, want the end of %s" % (ev.get("cgroup"), cg))


@daemon_test
def test_kill_event_tells_the_choice_as_explain_does():
    """Three static hogs (200, 100, 20 MiB) in a 512 MiB cgroup whose mem_min (70 %) is
    already crossed. A dry run's would_kill event names big as the victim, second as the
    runner-up, 2 or 3 candidates judged of 3 processes, the margin, select_us, the trigger's figures and the victim's
    cgroup; `explain` of big gives the same runner-up and badness; then a real daemon's kill
    event says the same."""
    cg = oom_cgroup(512)
    big, second, _ = three_hogs(cg)
    d = Daemon("--dry-run", "--cgroup", cg, "--mem-min", "70%", "--horizon", 0)
    would = d.wait_event("would_kill", timeout=10)
    d.stop_cleanly()
    check_choice_fields(would, big, second, cg)
    pid, comm, badness, margin = explain_runner_up(big, cg)
    check(pid == would["runner_up_pid"] and comm == "second",
          "explain's runner-up %d (%s), the event's %d" % (pid, comm, would["runner_up_pid"]))
    check(close(badness, would["runner_up_badness"]) and close(margin, would["margin"]),
          "explain: badness %d margin %d; event %r" % (badness, margin, would))
    d = Daemon("--cgroup", cg, "--mem-min", "70%", "--horizon", 0)
    kill = d.wait_event("kill", timeout=10)
    d.stop_cleanly()
    check_choice_fields(kill, big, second, cg)
    check(kill["sample_to_kill_us"] >= 0, "sample_to_kill_us %r" % kill)
    note("select %d us over %d candidates, margin %d pages, available %d kB < mem_min %d kB"
         % (kill["select_us"], kill["candidates"], kill["margin"], kill["available_kb"],
            kill["mem_min_kb"]))
