"""End-to-end tests of the daemon under systemd's eyes, without systemd: stderr taken for the
journal's stream (JOURNAL_STREAM naming the test's stderr file, as systemd names the socket it
connects), and NOTIFY_SOCKET, a datagram socket bound here, as systemd's notify socket.

run.py imports this module and runs its tests with its harness; every daemon is started by
test_run's Daemon, in a cgroup made here, and stopped by daemon_test.
"""

import os
import re
import signal
import socket
import tempfile
import time

from run import Failure, check, hog, note, wait_for
from test_run import Daemon, daemon_test, grower, notify_socket, oom_cgroup

# sd-daemon(3)'s prefixes: what the journal files a line under
PRIO = {"err": "<3>", "warning": "<4>", "notice": "<5>", "info": "<6>"}


def lines_of(text):
    return [line for line in text.split("\n") if line]


def with_prefix(lines, prefix, pattern):
    """The lines that start with prefix and match pattern (after it)"""
    return [line for line in lines if line.startswith(prefix) and
            re.search(pattern, line[len(prefix):])]


@daemon_test
def test_journal_lines_carry_their_priority():
    """stderr is the journal's stream (JOURNAL_STREAM is its device:inode): every line starts
    with its syslog priority: the start <6>, the trigger <4>, the kill of a grower in a 256 MiB
    cgroup and its reap (or its exit, when it was quicker) <5>, a refused reload <3>, stopping
    <6>. With JOURNAL_STREAM naming another file, no line has a prefix."""
    cg = oom_cgroup(256)
    bad = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    try:
        d = Daemon("--cgroup", cg, journal=True)
        d.wait_started()
        g = grower(cg, 200, 2000)
        kill = d.wait_event("kill", timeout=15)
        check(kill["pid"] == g.pid, "killed %r, want the grower %d" % (kill, g.pid))
        check(wait_for(lambda: with_prefix(lines_of(d.err()), PRIO["notice"],
                                           r"reaped process|exited before its reap|"
                                           r"exited \d+ ms after"),
                       timeout=10), "no reap line at <5>: %r" % d.err()[-1500:])
        # a reload refused: the daemon was given --config of a file that has gone bad
        d2 = Daemon("--cgroup", cg, "--config", bad.name, journal=True)
        d2.wait_started()
        bad.write("[oomreaper]\nno_such_key = 1\n")
        bad.flush()
        d2.p.send_signal(signal.SIGHUP)
        check(wait_for(lambda: with_prefix(lines_of(d2.err()), PRIO["err"], "reload failed"),
                       timeout=10), "no reload failure at <3>: %r" % d2.err()[-800:])
        d2.stop_cleanly()
        d.stop_cleanly()
        lines = lines_of(d.err())
        bare = [line for line in lines if not re.match(r"<[0-7]>oomreaper: ", line)]
        check(not bare, "lines without a priority: %r" % bare)
        for prio, pattern in (("info", r"^oomreaper: started: "),
                              ("warning", r"^oomreaper: cgroup v1 [^:]*: [a-z_]+: "),
                              ("notice", r": Killed process %d \(grow\) total-vm:" % g.pid),
                              ("notice", r"reaped process %d|process %d \(grow\) exited"
                                         % (g.pid, g.pid)),
                              ("info", r"^oomreaper: stopping$")):
            check(with_prefix(lines, PRIO[prio], pattern), "no %s line %r at %s in %r"
                  % (prio, pattern, PRIO[prio], lines))
        note("%d lines, each with its priority; e.g. %r" % (
            len(lines), with_prefix(lines, PRIO["notice"], "Killed process")[0][:90]))
        # another stderr than the one JOURNAL_STREAM names: no prefix
        d3 = Daemon("--dry-run", "--cgroup", cg, env={"JOURNAL_STREAM": "1:1"})
        d3.wait_started()
        r = d3.stop_cleanly()
        check(r.err.startswith("oomreaper: started"), "prefix without the journal: %r"
              % r.err[:200])
    finally:
        os.unlink(bad.name)


def datagrams(sock, seconds, stop=None):
    """The datagrams received within seconds, each (arrival time, text), up to the first that
    satisfies stop"""
    got = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            got.append((time.monotonic(), sock.recv(4096).decode()))
        except socket.timeout:
            break
        if stop and stop(got[-1][1]):
            break
    return got


def until(sock, pred, timeout, what):
    """Datagrams received until one satisfies pred; a Failure after timeout s"""
    got = datagrams(sock, timeout, pred)
    if not got or not pred(got[-1][1]):
        raise Failure("no %s within %g s; got %r" % (what, timeout, [g for _, g in got]))
    return got


STATUS = re.compile(r"^STATUS=cgroup v1 (\S+): available ([0-9.]+ [kMG]i?B), "
                    r"mem_min ([0-9.]+ [kMG]i?B); (\d+) kills?$")


@daemon_test
def test_notify_status_reload_and_stopping():
    """NOTIFY_SOCKET: after READY=1, STATUS= says the scope's available memory, its mem_min and
    the kills ("cgroup v1 PATH: available 250.1 MiB, mem_min 25.6 MiB; 0 kills"); while a grower
    changes it, it is sent at most once a second; after a kill it says 1 kill. SIGHUP:
    RELOADING=1 with MONOTONIC_USEC=, then READY=1. SIGTERM: STOPPING=1."""
    cg = oom_cgroup(256)
    hog(cg, 1)
    with notify_socket() as (sock, path):
        d = Daemon("--cgroup", cg, env={"NOTIFY_SOCKET": path})
        until(sock, lambda g: g == "READY=1", 10, "READY=1")
        first = until(sock, lambda g: g.startswith("STATUS="), 5, "STATUS=")[-1][1]
        m = STATUS.match(first)
        check(m and m.group(1) == cg and m.group(3) == "25.6 MiB" and m.group(4) == "0",
              "STATUS %r, want cgroup v1 %s: available ..., mem_min 25.6 MiB; 0 kills"
              % (first, cg))
        # a fill the sampling sees change at every sample: STATUS at most once a second
        grower(cg, 40, 150)
        got = datagrams(sock, 4)
        times = [t for t, g in got if g.startswith("STATUS=")]
        check(len(times) >= 2, "STATUS while memory changes: %r" % [g for _, g in got])
        gaps = [b - a for a, b in zip(times, times[1:])]
        check(min(gaps) >= 0.9, "STATUS gaps %s s: more often than once a second" % gaps)
        note("while filling: %d STATUS in 4 s, %.2f..%.2f s apart, last %r"
             % (len(times), min(gaps), max(gaps), [g for _, g in got][-1]))
        d.p.send_signal(signal.SIGHUP)
        got = until(sock, lambda g: g == "READY=1", 10, "READY=1 after the reload")
        texts = [g for _, g in got]
        reloading = [g for g in texts if g.startswith("RELOADING=1\n")]
        check(reloading and re.match(r"^RELOADING=1\nMONOTONIC_USEC=\d+$", reloading[0]),
              "before READY=1: %r, want RELOADING=1 with MONOTONIC_USEC=" % texts)
        usec = int(reloading[0].split("=")[-1])
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        check(0 <= now - usec < 10_000_000, "MONOTONIC_USEC=%d, now %d" % (usec, now))
        # a kill: the grower past mem_min
        g = grower(cg, 200, 2000)
        d.wait_event("kill", timeout=15)
        status = until(sock, lambda t: t.endswith("; 1 kill"), 5, "STATUS with 1 kill")[-1][1]
        d.p.send_signal(signal.SIGTERM)
        until(sock, lambda t: t == "STOPPING=1", 5, "STOPPING=1")
        d.stop_cleanly()
        note("after the kill of %d: %r" % (g.pid, status))
