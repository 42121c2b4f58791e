"""End-to-end tests of `oomreaper kill`: real victims in cgroups the tests make, frozen with the
cgroup v1 freezer where a victim must stay stuck (in state D, holding its memory, as a
victim blocked on a lock is in the kernel's "mm, oom: introduce oom reaper", Linux 4.6), the
reap measured from outside.

run.py imports this module and runs its tests with its harness: the same cgroups, helpers,
cleanup and one line per test. Safety, on top of the harness's: every `oomreaper kill` goes
through oom_kill(), which refuses to run one that is not a dry run and names neither a --pid
inside a cgroup made here nor a --cgroup made here (a global kill would kill a process of this
machine's session); the few usage cases that name another pid are refused by the binary before
anything is chosen, and say so with unsafe_ok.
"""

import json
import os
import select
import signal
import subprocess
import time

from run import (OOMREAPER, Failure, Skip, by_pid, check, cgroup_procs, cgroups_of, freeze, hog,
                 kill_member, made_cgroups, make_cgroup, make_freezer, note, read_file,
                 own_unified_cgroup, read_json, run_tool, start_in, test, thaw, tool_result,
                 wait_for, write_file)

MIB = 1 << 20
# A pid no process can ever have: above PID_MAX_LIMIT (4 M), whatever pid_max says
NEVER_A_PID = 4194305


# ---------------------------------------------------------------------------------------------
# Running `oomreaper kill`, safely


def kill_is_safe(args):
    """Whether a kill with these arguments can only signal processes of cgroups made here."""
    args = [str(a) for a in args]
    if "--dry-run" in args or "-n" in args:
        return True
    if "--pid" in args:
        pid = int(args[args.index("--pid") + 1])
        return bool(cgroups_of(pid) & set(made_cgroups))
    if "--cgroup" in args:
        return args[args.index("--cgroup") + 1] in made_cgroups
    return False


def oom_kill(*args, env=None, timeout=30, unsafe_ok=False):
    """Runs `oomreaper kill ARGS` with the test hooks in env; refuses a kill that could reach
    outside the test cgroups."""
    check(unsafe_ok or kill_is_safe(args), "refused to run kill %s: not inside a test cgroup"
          % " ".join(map(str, args)))
    return run_tool("kill", *args, env=env, timeout=timeout)


def start_kill(*args, env=None):
    """Starts `oomreaper kill ARGS` in the background (same safety rule); finish_kill ends it."""
    check(kill_is_safe(args), "refused to start kill %s" % " ".join(map(str, args)))
    args = ["kill"] + [str(a) for a in args]
    p = subprocess.Popen([OOMREAPER] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(os.environ, **(env or {})))
    p.tool_args = args
    return p


def finish_kill(p, timeout=30):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()    # our own child, the binary under test
        p.communicate()
        raise Failure("oomreaper %s took more than %d s" % (" ".join(p.tool_args), timeout))
    return tool_result(p.tool_args, p.returncode, out, err)


def kill_json(r):
    """The JSON object of a `kill --json` run."""
    try:
        data = json.loads(r.out)
    except ValueError as e:
        raise Failure("kill --json: invalid JSON (%s): %r; %s" % (e, r.out[:300], r.describe()))
    check(isinstance(data.get("victims"), list) and data["victims"], "no victims: %r" % r.out)
    return data


def in_pause(pid):
    """Whether oomreaper (pid) sleeps in its OOMREAPER_TEST_PAUSE_MS window: poll(NULL, 0, ms),
    system call 7 with nfds 0, the only such call it makes."""
    try:
        return read_file("/proc/%d/syscall" % pid).startswith("7 0x0 0x0 ")
    except OSError:
        return False


def wait_in_pause(p):
    check(wait_for(lambda: in_pause(p.pid) or p.poll() is not None, timeout=10),
          "oomreaper never reached its test pause")
    if p.poll() is not None:
        r = finish_kill(p)
        raise Failure("oomreaper ended before its test pause: " + r.describe() + r.out)


# ---------------------------------------------------------------------------------------------
# Victims and what is left of them


class Watched:
    """A process held by a pidfd: gone (exited, a zombie counts) cannot be mistaken for a
    newcomer that reused its pid."""

    def __init__(self, pid):
        self.pid = pid
        self.fd = os.pidfd_open(pid)

    def gone(self):
        r, _, _ = select.select([self.fd], [], [], 0)
        return bool(r)

    def alive(self):
        return not self.gone()

    def __del__(self):
        os.close(self.fd)


def status_field(pid, key):
    for line in read_file("/proc/%d/status" % pid).splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return None


def rss_kb(pid):
    v = status_field(pid, "VmRSS")
    return int(v.split()[0]) if v else 0


def usage_bytes(memcg):
    return int(read_file(os.path.join(memcg, "memory.usage_in_bytes")))


def sigkill_pending(pid):
    """Whether pid has a SIGKILL pending for its thread group."""
    try:
        return bool(int(status_field(pid, "ShdPnd"), 16) & (1 << (signal.SIGKILL - 1)))
    except (OSError, TypeError, ValueError):
        return False


def into(freezer):
    """start_in's before: join freezer too, before the exec (children made later follow)."""
    return 'echo $$ > "%s/cgroup.procs" &&' % freezer


def frozen_hog(cg, fz, mb, *args):
    """A hog of mb MiB in cg, moved once ready into the freezer cgroup fz, which is then frozen
    (or already was, with earlier victims in it)."""
    p, _ = start_in(cg, "hog", mb, *args)
    write_file(os.path.join(fz, "cgroup.procs"), str(p.pid))
    freeze(fz)
    check(status_field(p.pid, "State").startswith("D"), "frozen hog %d in state %s"
          % (p.pid, status_field(p.pid, "State")))
    return p.pid


def lines_of(text, *marks):
    """The indexes of the first lines holding each mark (None when absent)."""
    lines = text.splitlines()
    return [next((i for i, line in enumerate(lines) if mark in line), None) for mark in marks]


# ---------------------------------------------------------------------------------------------
# The tests


def check_reaped_while_frozen(pid, cg, size, before, r, data):
    """The victim pid of size bytes, frozen: kill said reaped, and right now it is still in
    state D with almost nothing resident while cg's usage fell by 90 % of its size."""
    usage_after = usage_bytes(cg)
    state, rss = status_field(pid, "State"), rss_kb(pid)
    v = data["victims"][0]
    check(r.rc == 0 and v["pid"] == pid and v["reap"] == "reaped",
          "victim %d: %r; %s" % (pid, v, r.describe()))
    check(state.startswith("D"), "victim %d is %s right after the reap, not stuck in D"
          % (pid, state))
    check(rss < 5 * 1024, "victim %d still has VmRSS %d kB after its reap" % (pid, rss))
    check(before - usage_after >= 0.9 * size, "memory.usage_in_bytes fell by %d MiB only, the "
          "victim had %d MiB" % ((before - usage_after) // MIB, size // MIB))
    return v, (before - usage_after) // MIB


@test
def test_frozen_victim_is_reaped():
    """A 300 MiB victim frozen by the v1 freezer, so that it cannot exit: `kill --pid` reaps
    it while it stays stuck in D: its VmRSS near zero, its cgroup's usage down by its size;
    it ends when thawed. Through the scope, `kill --cgroup` chooses it over a smaller process,
    which survives."""
    cg = make_cgroup()
    fz = make_freezer(cg)
    pid = frozen_hog(cg, fz, 300)
    victim = Watched(pid)
    size, before = rss_kb(pid) * 1024, usage_bytes(cg)
    r = oom_kill("--pid", pid, "--deadline", 1, "--json")
    v, freed = check_reaped_while_frozen(pid, cg, size, before, r, kill_json(r))
    check(victim.alive(), "the frozen victim is gone before the thaw")
    thaw(fz)
    check(wait_for(victim.gone), "victim %d still there after the thaw" % pid)
    note("--pid: 300 MiB frozen victim reaped %d ms after the kill (%d attempt(s)), cgroup "
         "usage down %d MiB while it stayed in D" % (v["kill_to_reaped_ms"], v["reap_attempts"],
                                                      freed))

    pid = frozen_hog(cg, fz, 300)
    big, small = Watched(pid), Watched(hog(cg, 20))
    size, before = rss_kb(pid) * 1024, usage_bytes(cg)
    r = oom_kill("--cgroup", cg, "--deadline", 1, "--json")
    v, freed = check_reaped_while_frozen(pid, cg, size, before, r, kill_json(r))
    check(small.alive() and status_field(small.pid, "State")[0] in "SR",
          "the smaller process %d did not survive" % small.pid)
    thaw(fz)
    check(wait_for(big.gone), "victim %d still there after the thaw" % pid)
    check(small.alive(), "the smaller process %d is gone" % small.pid)
    note("--cgroup: chose the 300 MiB hog over a 20 MiB one, reaped %d ms after the kill"
         % v["kill_to_reaped_ms"])


@test
def test_grace_escalates_to_sigkill():
    """--grace 300: SIGTERM first; a victim that ignores it gets SIGKILL once the grace is
    spent (the lines in that order, the command lasting at least the grace); a victim that
    exits on SIGTERM gets no SIGKILL."""
    cg = make_cgroup()
    p, _ = start_in(cg, "hog", 10, "--ignore-term")
    stubborn = Watched(p.pid)
    t = time.monotonic()
    r = oom_kill("--pid", p.pid, "--grace", 300)
    took = time.monotonic() - t
    term, killed = lines_of(r.out, "sent SIGTERM to process %d" % p.pid,
                            "Killed process %d (hog)" % p.pid)
    check(r.rc == 0 and term is not None and killed is not None and term < killed,
          "want the SIGTERM line, then the Killed line: %s %r" % (r.describe(), r.out))
    check(wait_for(stubborn.gone), "the process that ignores SIGTERM is still there")
    check(took >= 0.3, "kill --grace 300 returned after %.0f ms, before the grace was spent"
          % (took * 1000))

    polite = Watched(hog(cg, 10))
    r = oom_kill("--pid", polite.pid, "--grace", 5000)
    check(r.rc == 0 and "exited on SIGTERM" in r.out and "Killed process" not in r.out,
          "a victim that exits on SIGTERM: %s %r" % (r.describe(), r.out))
    check(wait_for(polite.gone), "the victim that exits on SIGTERM is still there")
    note("SIGTERM ignored: SIGKILL after the 300 ms grace, the command took %.0f ms"
         % (took * 1000))


@test
def test_sharers_killed_and_reaped_together():
    """Killing one of two processes sharing an address space (CLONE_VM) kills both: both in
    members, both gone, the memory reaped or back on exit. Frozen, both are reaped while
    still stuck."""
    cg = make_cgroup()
    _, (a, b) = start_in(cg, "sharers", 50)
    wa, wb = Watched(a), Watched(b)
    r = oom_kill("--pid", b, "--json")
    v = kill_json(r)["victims"][0]
    check(r.rc == 0 and sorted(v["members"]) == sorted([a, b]),
          "members %r, want %s; %s" % (v["members"], [a, b], r.describe()))
    check(v["reap"] in ("reaped", "exited"), "reap %r" % v["reap"])
    check(wait_for(lambda: wa.gone() and wb.gone()), "a sharer survived: %d %s, %d %s"
          % (a, wa.alive(), b, wb.alive()))
    note("running pair: reap %s" % v["reap"])

    fz = make_freezer(cg)
    _, (a, b) = start_in(cg, "sharers", 50, before=into(fz))
    freeze(fz)
    wa, wb = Watched(a), Watched(b)
    r = oom_kill("--pid", a, "--json", "--deadline", 1)
    v = kill_json(r)["victims"][0]
    check(r.rc == 0 and sorted(v["members"]) == sorted([a, b]) and v["reap"] == "reaped",
          "frozen pair: %r; %s" % (v, r.describe()))
    for pid in (a, b):
        check(status_field(pid, "State").startswith("D") and rss_kb(pid) < 5 * 1024,
              "frozen sharer %d after the reap: %s, VmRSS %d kB"
              % (pid, status_field(pid, "State"), rss_kb(pid)))
    thaw(fz)
    check(wait_for(lambda: wa.gone() and wb.gone()), "a frozen sharer survived the thaw")
    note("frozen pair reaped %d ms after the kill" % v["kill_to_reaped_ms"])


PAUSE = {"OOMREAPER_TEST_PAUSE_MS": "3000"}


@test
def test_victim_gone_before_kill():
    """A victim that exits (killed and reaped by us) between its choice and the kill: exit 1,
    says it exited before the kill, and nothing else in its cgroup was signalled."""
    cg = make_cgroup()
    bystander = Watched(hog(cg, 5))
    p, _ = start_in(cg, "hog", 20)
    k = start_kill("--pid", p.pid, env=PAUSE)
    wait_in_pause(k)
    kill_member(p.pid, cg)
    p.wait(timeout=5)
    r = finish_kill(k)
    check(r.rc == 1 and "%d (hog) exited before the kill; nothing signalled" % p.pid in r.out,
          "%s %r" % (r.describe(), r.out))
    check("Killed" not in r.out, "a kill was reported: %r" % r.out)
    check(bystander.alive() and not sigkill_pending(bystander.pid),
          "the bystander %d was signalled" % bystander.pid)


@test
def test_victim_moved_out_of_the_scope_before_the_kill_is_not_signalled():
    """`kill --cgroup A`: a 60 MiB hog and a 20 MiB one in A; the larger is chosen, then moved
    to cgroup B between the choice and the kill (as it may be while a selection over thousands
    of processes takes a second). It is no longer A's to kill, as the kernel's memcg OOM
    killer walks A's tasks when it runs: kill says so, chooses again and kills the hog still in
    A. It once signalled the victim wherever it had gone (the daemon checked; kill did not)."""
    a, b = make_cgroup(), make_cgroup()
    mover, stayer = Watched(hog(a, 60)), Watched(hog(a, 20))
    k = start_kill("--cgroup", a, env=PAUSE)
    wait_in_pause(k)
    write_file(os.path.join(b, "cgroup.procs"), str(mover.pid))
    check(mover.pid not in cgroup_procs(a), "%d is still in %s" % (mover.pid, a))
    r = finish_kill(k)
    check("process %d (hog) has left the scope since it was chosen; nothing signalled"
          % mover.pid in r.out, "%s %r" % (r.describe(), r.out))
    check(r.rc == 0 and wait_for(stayer.gone), "the hog %d still in %s was not killed: %s %r"
          % (stayer.pid, a, r.describe(), r.out))
    check(mover.alive() and not sigkill_pending(mover.pid),
          "the hog %d moved out to %s was signalled: %r" % (mover.pid, b, r.out))


def take_pid(pid, cg):
    """Starts a hog in cg that gets pid, by writing pid - 1 to ns_last_pid just before the
    fork. Returns its Popen, or None when another fork took the pid first."""
    write_file("/proc/sys/kernel/ns_last_pid", str(pid - 1))
    p, _ = start_in(cg, "hog", 1)
    return p if p.pid == pid else None


@test
def test_pid_reuse_is_not_signalled():
    """A victim whose pid is taken by an innocent process between the choice and the kill
    (forced through ns_last_pid): kill says the pid names another process, signals nothing,
    exits 1, and the innocent lives."""
    if not os.access("/proc/sys/kernel/ns_last_pid", os.W_OK):
        raise Skip("PID REUSE NOT TESTED: /proc/sys/kernel/ns_last_pid is not writable")
    cg = make_cgroup()
    raced = []
    for attempt in range(5):
        p, _ = start_in(cg, "hog", 20)
        pid = p.pid
        k = start_kill("--pid", pid, env=PAUSE)
        wait_in_pause(k)
        kill_member(pid, cg)
        p.wait(timeout=5)
        try:
            innocent = take_pid(pid, cg)
        except OSError as e:
            finish_kill(k)
            raise Skip("PID REUSE NOT TESTED: cannot write ns_last_pid: %s" % e)
        r = finish_kill(k)
        if innocent is None:
            # another fork of this machine took the pid: whoever has it was not signalled
            # either (its start time differs), but it is not ours to check; try again
            raced.append(pid)
            continue
        check(r.rc == 1 and "%d (hog): its pid now names another process; nothing signalled"
              % pid in r.out, "%s %r" % (r.describe(), r.out))
        check("Killed" not in r.out, "a kill was reported: %r" % r.out)
        check(innocent.poll() is None and not sigkill_pending(pid),
              "the innocent process %d that reused the pid was signalled" % pid)
        if raced:
            note("another fork took the pid first %d time(s): %s" % (len(raced), raced))
        return
    raise Skip("PID REUSE NOT TESTED: another fork took the pid each of 5 times: %s" % raced)


@test
def test_stuck_reap_returns_by_deadline():
    """Reaps that cannot succeed, staged through OOMREAPER_TEST_MRELEASE on a frozen victim
    with --deadline 1: a mmap lock that stays taken is "unable to reap" and "stuck", exit 1; a
    reap that hangs still lets the command return, "stuck", exit 1; a kernel without
    process_mrelease is said once, and a running victim then ends with exit 0 on its exit."""
    cg = make_cgroup()
    fz = make_freezer(cg)
    eagain = {"OOMREAPER_TEST_MRELEASE": "eagain"}
    pid = frozen_hog(cg, fz, 50)
    r = oom_kill("--pid", pid, "--deadline", 1, env=eagain)
    unable, stuck = ("unable to reap pid:%d (hog)" % pid in r.out,
                     "process %d (hog) is stuck" % pid in r.out)
    eagain_problem = None
    if r.rc == 1 and stuck and not unable:
        # tell a verdict that never comes from one that comes after the deadline
        pid = frozen_hog(cg, fz, 50)
        later = oom_kill("--pid", pid, "--deadline", 2, "--json", env=eagain)
        v = kill_json(later)["victims"][0]
        eagain_problem = (
            "eagain, --deadline 1: exit 1 and the is-stuck line, but no unable-to-reap line: "
            "the command returned at the deadline before the reaper's 10 attempts 100 ms apart "
            "had ended, so that outcome is never reported (with --deadline 2 the line %s, reap "
            "%r after %d attempts): %r" % ("comes" if "unable to reap pid:%d" % pid in later.err
                                           else "is missing too", v["reap"],
                                           v["reap_attempts"], r.out))
    else:
        check(r.rc == 1 and unable and stuck, "eagain: want the unable-to-reap and is-stuck "
              "lines: %s %r" % (r.describe(), r.out))

    pid = frozen_hog(cg, fz, 50)
    t = time.monotonic()
    r = oom_kill("--pid", pid, "--deadline", 1, env={"OOMREAPER_TEST_MRELEASE": "hang"},
                 timeout=10)
    took = time.monotonic() - t
    check(r.rc == 1 and "process %d (hog) is stuck" % pid in r.out,
          "hang: %s %r" % (r.describe(), r.out))
    note("a reap hung for ever: the command returned after %.1f s (--deadline 1)" % took)

    thaw(fz)
    enosys = {"OOMREAPER_TEST_MRELEASE": "enosys"}
    running = Watched(hog(cg, 50))
    r = oom_kill("--pid", running.pid, "--deadline", 1, env=enosys)
    check(r.rc == 0 and r.out.count("process_mrelease is not supported") == 1
          and "process %d (hog) exited" % running.pid in r.out,
          "enosys, running victim: %s %r" % (r.describe(), r.out))
    check(wait_for(running.gone), "the running victim is still there")

    # a whole cgroup of three, each reaped apart: the kernel's lack is still said once
    three = make_cgroup()
    procs = [Watched(hog(three, 10)) for _ in range(3)]
    r = oom_kill("--cgroup", three, "--kill-cgroup", "--deadline", 1, env=enosys)
    check(r.rc == 0 and r.out.count("process_mrelease is not supported") == 1,
          "enosys, three victims: %s %r" % (r.describe(), r.out))
    check(wait_for(lambda: all(w.gone() for w in procs)), "a victim of the cgroup survived")
    # the rest held: now the eagain case's failure, if any
    check(not eagain_problem, eagain_problem)


def read_line(p, timeout):
    """The next line p writes within timeout seconds, or None."""
    r, _, _ = select.select([p.stdout], [], [], timeout)
    return p.stdout.readline().decode().strip() if r else None


def robust_victim(cg, fz, mb):
    """The robust helper: a victim holding a robust mutex, frozen, and a survivor waiting on
    it. Returns (helper Popen, victim pid, survivor pid)."""
    p, (victim, survivor) = start_in(cg, "robust", mb)
    write_file(os.path.join(fz, "cgroup.procs"), str(victim))
    freeze(fz)
    check(status_field(victim, "State").startswith("D"), "robust victim not frozen")
    return p, victim, survivor


@test
def test_robust_futex_holder_released_before_reap():
    """A victim holding a robust mutex that another process waits on: the reaper waits
    (--reap-delay 3000) instead of reaping, so that the victim's exit can release the mutex
    from its robust list; thawed, it exits, the waiter gets EOWNERDEAD, and the reap is
    "exited" with robust_wait true."""
    cg = make_cgroup()
    fz = make_freezer(cg)
    p, victim, survivor = robust_victim(cg, fz, 100)
    w = Watched(victim)
    k = start_kill("--pid", victim, "--json", "--reap-delay", 3000)
    check(wait_for(lambda: sigkill_pending(victim) or k.poll() is not None, timeout=10),
          "no SIGKILL reached the victim")
    time.sleep(0.5)
    thaw(fz)
    line = read_line(p, 5)
    r = finish_kill(k)
    check(line == "EOWNERDEAD", "the waiter said %r after the victim's exit, want EOWNERDEAD"
          % line)
    check(w.gone(), "the victim is still there")
    v = kill_json(r)["victims"][0]
    check(r.rc == 0 and v["robust_wait"] is True and v["reap"] == "exited",
          "want robust_wait true and reap exited: %r; %s" % (v, r.describe()))
    note("thawed 0.5 s after the kill: exited %d ms after the kill, the waiter got EOWNERDEAD"
         % v["kill_to_exited_ms"])


@test
def test_no_robust_futex_reaped_at_once():
    """A frozen victim holding no robust mutex is reaped at once (robust_wait false), without
    the delay. And the hazard the delay prevents, shown on a frozen holder with --reap-delay 0:
    reaped, then thawed, its robust list is gone with its memory and the waiter is never told
    the owner died."""
    cg = make_cgroup()
    fz = make_freezer(cg)
    pid = frozen_hog(cg, fz, 100)
    r = oom_kill("--pid", pid, "--json", "--deadline", 1)
    v = kill_json(r)["victims"][0]
    check(r.rc == 0 and v["robust_wait"] is False and v["reap"] == "reaped",
          "a victim without robust mutex: %r; %s" % (v, r.describe()))
    check(0 <= v["kill_to_reaped_ms"] < 2000, "reaped %d ms after the kill: it waited the "
          "robust-futex delay" % v["kill_to_reaped_ms"])
    note("no robust mutex: reaped %d ms after the kill" % v["kill_to_reaped_ms"])
    thaw(fz)

    cg = make_cgroup()
    fz = make_freezer(cg)
    p, victim, survivor = robust_victim(cg, fz, 100)
    w = Watched(victim)
    r = oom_kill("--pid", victim, "--json", "--reap-delay", 0, "--deadline", 1)
    v = kill_json(r)["victims"][0]
    check(r.rc == 0 and v["reap"] == "reaped", "--reap-delay 0, robust holder: %r; %s"
          % (v, r.describe()))
    thaw(fz)
    check(wait_for(w.gone), "the reaped robust holder did not end when thawed")
    line = read_line(p, 1)
    check(line != "EOWNERDEAD", "the waiter got EOWNERDEAD although the holder's robust list "
          "was reaped before its exit")
    note("the hazard the delay prevents: --reap-delay 0 reaped the holder (robust_wait %s) %d ms "
         "after the kill; thawed, it exited, and the waiter %d, still %s, was not told within "
         "1 s (said %r)" % (v["robust_wait"], v["kill_to_reaped_ms"], survivor,
                            status_field(survivor, "State"), line))


@test
def test_kill_cgroup_v1_kills_all():
    """--kill-cgroup on a v1 memory cgroup of three processes and a child cgroup of one, with
    matching freezer cgroups: all four killed, the cgroups emptied and left thawed; a dry run
    says four and kills nothing; without --cgroup it is bad usage."""
    cg = make_cgroup()
    sub = make_cgroup(parent=cg)
    fz, fzsub = make_freezer(cg), make_freezer(sub)
    procs = [Watched(start_in(cg, "hog", 10, before=into(fz))[0].pid) for _ in range(3)]
    procs.append(Watched(start_in(sub, "hog", 10, before=into(fzsub))[0].pid))

    r = oom_kill("--kill-cgroup", unsafe_ok=True)
    check(r.rc == 2 and "--kill-cgroup" in r.err, "--kill-cgroup without --cgroup: "
          + r.describe())
    r = oom_kill("--cgroup", cg, "--kill-cgroup", "--dry-run")
    check(r.rc == 0 and "4 processes" in r.out, "dry run: %s %r" % (r.describe(), r.out))
    check(all(w.alive() and not sigkill_pending(w.pid) for w in procs),
          "the dry run signalled something")

    r = oom_kill("--cgroup", cg, "--kill-cgroup")
    check(r.rc == 0 and "killed 4 processes" in r.out, "%s %r" % (r.describe(), r.out))
    check(wait_for(lambda: all(w.gone() for w in procs)), "survivors: %s"
          % [w.pid for w in procs if w.alive()])
    check(wait_for(lambda: not cgroup_procs(cg) and not cgroup_procs(sub)),
          "cgroups not empty: %s %s" % (cgroup_procs(cg), cgroup_procs(sub)))
    states = [read_file(os.path.join(f, "freezer.state")).strip() for f in (fz, fzsub)]
    check(states == ["THAWED", "THAWED"], "freezer cgroups left %s" % states)


@test
def test_kill_cgroup_v2_uses_cgroup_kill():
    """--kill-cgroup on a cgroup v2 directory: one write to cgroup.kill kills the subtree
    (two processes and one in a child cgroup); all gone, reaped or exited, the cgroup empty."""
    parent = own_unified_cgroup()
    mem = make_cgroup()
    v2 = make_cgroup(parent=parent)
    sub = make_cgroup(parent=v2)
    into_v2 = lambda d: 'echo $$ > "%s/cgroup.procs" &&' % d
    procs = [Watched(start_in(mem, "hog", 10, before=into_v2(v2))[0].pid) for _ in range(2)]
    procs.append(Watched(start_in(mem, "hog", 10, before=into_v2(sub))[0].pid))
    check(set(cgroup_procs(v2)) | set(cgroup_procs(sub)) == {w.pid for w in procs},
          "v2 members %s %s" % (cgroup_procs(v2), cgroup_procs(sub)))
    r = oom_kill("--cgroup", v2, "--kill-cgroup", "--json")
    check(r.rc == 0 and "killed 3 processes of cgroup v2 " + v2 in r.err,
          "%s %r" % (r.describe(), r.err))
    data = kill_json(r)
    check(sorted(data["victims"][0]["members"]) == sorted(w.pid for w in procs),
          "members %r" % data["victims"][0]["members"])
    check(wait_for(lambda: all(w.gone() for w in procs)), "survivors: %s"
          % [w.pid for w in procs if w.alive()])
    check(wait_for(lambda: not cgroup_procs(v2) and not cgroup_procs(sub)),
          "v2 cgroups not empty: %s %s" % (cgroup_procs(v2), cgroup_procs(sub)))


@test
def test_kill_dry_run_signals_nothing():
    """kill --dry-run names the top process and its sharers and how long choosing took, and
    signals nothing; with --json, valid JSON with dry_run true."""
    cg = make_cgroup()
    _, (a, b) = start_in(cg, "sharers", 80)
    procs = [Watched(a), Watched(b), Watched(hog(cg, 20))]
    r = oom_kill("--cgroup", cg, "--dry-run")
    check(r.rc == 0, r.describe())
    top, other = (a, b) if "would kill %d (sharers)" % a in r.out else (b, a)
    check("would kill %d (sharers)" % top in r.out and "with its sharers %d (sharers)" % other
          in r.out and "choosing took" in r.out, "dry run said %r" % r.out)
    r = oom_kill("--cgroup", cg, "--dry-run", "--json")
    data = kill_json(r)
    v = data["victims"][0]
    check(r.rc == 0 and data["dry_run"] is True and v["pid"] in (a, b)
          and sorted(v["members"]) == sorted([a, b]), "dry run JSON %r" % data)
    time.sleep(0.1)
    check(all(w.alive() and not sigkill_pending(w.pid) for w in procs),
          "a dry run signalled something")


@test
def test_dying_victim_not_chosen_again():
    """A victim already dying (SIGKILL pending, stuck frozen) is not eligible, "already
    dying", and the next kill chooses the smaller live process."""
    cg = make_cgroup()
    fz = make_freezer(cg)
    big = frozen_hog(cg, fz, 100)
    small = hog(cg, 20)
    kill_member(big, cg)
    check(wait_for(lambda: sigkill_pending(big)), "no SIGKILL pending on the frozen hog")
    procs = by_pid(read_json("--cgroup", cg, "--all"))
    check(big in procs and not procs[big]["eligible"]
          and (procs[big]["reason"] or "").startswith("already dying"),
          "the dying hog: %r" % procs.get(big))
    r = oom_kill("--cgroup", cg, "--dry-run")
    check(r.rc == 0 and "would kill %d (hog)" % small in r.out, "%s %r" % (r.describe(), r.out))
    note("the dying one is listed as %r" % procs[big]["reason"])


KILL_BAD_USAGE = [
    # (arguments, exit status, what stderr must say)
    (["--grace", "x"], 2, "--grace wants milliseconds"),
    (["--deadline", "0"], 2, "--deadline wants seconds"),
    (["--deadline", "abc"], 2, "--deadline wants seconds"),
    (["--pid", "0"], 2, "--pid wants a PID"),
    (["extra-arg"], 2, "unexpected argument"),
    (["--pid", "1"], 1, "cannot be chosen: init"),
    (["--pid", NEVER_A_PID], 1, "no process %d" % NEVER_A_PID),
]


@test
def test_kill_bad_usage():
    """kill with bad arguments: exit 2 and a message; init or a pid nobody has: exit 1. None
    of these gets as far as choosing; each also names a test cgroup as its scope, so that even
    a parser that let one through could reach nothing else."""
    cg = make_cgroup()
    bystander = Watched(hog(cg, 1))
    problems = []
    for args, rc, says in KILL_BAD_USAGE:
        r = oom_kill(*args, "--cgroup", cg, unsafe_ok=True)
        if r.rc != rc or says not in r.err or "Killed" in r.out:
            problems.append("%s: exit %d, stderr %r, stdout %r" % (args, r.rc, r.err[:200],
                                                                   r.out[:100]))
    check(not problems, "; ".join(problems))
    check(bystander.alive(), "a bad usage killed the bystander")
