#!/usr/bin/env python3
"""End-to-end tests of oomreaper: the real binary against real processes and real cgroups.

Environment: OOMREAPER, the binary under test; HELPERS, the directory of the helper programs
(hog, sharers, vforker, robust, grow) that tests/helpers/ builds. The tests of `oomreaper kill` are in
test_kill.py, those of `oomreaper run` in test_run.py, and those of hostile input (logs,
comm, numbers, long lines) in test_input.py, next to this file, on the same harness.

Every test is a function named for the behaviour it proves. It prints one line, "ok NAME",
"FAIL NAME: reason" or "SKIP NAME: reason", sometimes followed by "# " notes; the last line is
"e2e: N passed, N failed, N skipped", and the exit status is 1 when anything failed.

Safety: the processes a test starts live in cgroups it made as children of this process's own
memory cgroup. Cleanup kills only pids listed in those cgroups' cgroup.procs (through a pidfd,
after re-checking that the process is still in that cgroup), waits until they are empty, and
removes them; a v1 freezer cgroup a test made is thawed before that and removed after. Nothing
outside them is ever signalled. This process is a child subreaper, so the
orphans of a helper (the second process of a CLONE_VM pair, say) come back to it to be reaped.
"""

import atexit
import itertools
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback

OOMREAPER = os.path.abspath(os.environ.get("OOMREAPER", "build/oomreaper"))
HELPERS = os.path.abspath(os.environ.get("HELPERS", "build/tests/helpers"))
PAGE = os.sysconf("SC_PAGE_SIZE")
PAGE_KB = PAGE // 1024
MIB_PAGES = (1 << 20) // PAGE
MEMORY_ROOT = "/sys/fs/cgroup/memory"
FREEZER_ROOT = "/sys/fs/cgroup/freezer"
UNIFIED_ROOT = "/sys/fs/cgroup/unified"

# The prefix of every cgroup these tests make, so that a leftover is easy to recognise
CGROUP_PREFIX = "oomreaper-e2e-%d-" % os.getpid()
# Numbers of the cgroups made: never reused, so that one a cleanup could not remove (its
# problem is reported) does not make every later test skip on "File exists"
cgroup_numbers = itertools.count()
# Reasons for which the kernel itself never chooses a process: its oom_score must be 0
KERNEL_EXCLUDED = ("init", "kernel thread", "oom_score_adj -1000", "no memory left",
                   "vfork child")
# What a sanitizer prints when it finds something: the run is then a failure, whatever its status
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Skip(Exception):
    """The test cannot run on this machine; the message says why."""


class Failure(Exception):
    """The binary did not behave as the test requires."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# ---------------------------------------------------------------------------------------------
# Running the binary


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    def describe(self):
        return "oomreaper %s: exit %d, stderr %r" % (" ".join(self.args), self.rc,
                                                      self.err[-400:])


def run_tool(*args, timeout=30, env=None):
    """Runs the binary under test (with env added to the environment). Its output must be
    UTF-8 and free of sanitizer reports."""
    args = [str(a) for a in args]
    try:
        p = subprocess.run([OOMREAPER] + args, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        raise Failure("oomreaper %s took more than %d s" % (" ".join(args), timeout))
    return tool_result(args, p.returncode, p.stdout, p.stderr)


def tool_result(args, rc, stdout, stderr):
    """The Result of a run of the binary that ended with status rc and wrote the bytes stdout
    and stderr; a Failure when it wrote invalid UTF-8, a sanitizer report, or died of a signal."""
    try:
        out = stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Failure("oomreaper %s wrote invalid UTF-8: %s" % (" ".join(args), e))
    err = stderr.decode("utf-8", "replace")
    r = Result(args, rc, out, err)
    for mark in SANITIZER_MARKS:
        check(mark not in err, "sanitizer report from " + r.describe())
    check(rc >= 0, "killed by signal %d: %s" % (-rc, r.describe()))
    return r


def read_json(*args):
    """`list --json ARGS`: must exit 0 with one valid JSON object; returns it."""
    r = run_tool("list", "--json", *args)
    check(r.rc == 0, r.describe())
    try:
        data = json.loads(r.out)
    except ValueError as e:
        raise Failure("list --json %s: invalid JSON (%s): %r" % (" ".join(args), e,
                                                                 r.out[:300]))
    check(isinstance(data.get("processes"), list), "no processes array: %r" % r.out[:300])
    return data


def by_pid(data):
    return {p["pid"]: p for p in data["processes"]}


def eligible_pids(data):
    """The eligible pids, in the order the binary ranks them."""
    return [p["pid"] for p in data["processes"] if p["eligible"]]


def points_of(p):
    """oom_badness()'s baseline from the fields the JSON shows: rss + swap + page tables."""
    return (p["rss_anon_kb"] + p["rss_file_kb"] + p["rss_shmem_kb"] + p["swap_kb"]
            + p["pgtables_kb"]) // PAGE_KB


def read_table(*args):
    """`list ARGS` as a table: returns {pid: row} with the columns cut at their fixed widths."""
    r = run_tool("list", *args)
    check(r.rc == 0, r.describe())
    lines = r.out.splitlines()
    check(len(lines) >= 2 and lines[0].startswith("scope "), "no table header: %r" % r.out[:300])
    rows, order = {}, []
    for line in lines[2:]:
        row = {"pid": int(line[0:8]), "comm": line[9:25].rstrip(),
               "badness": line[26:38].strip(), "score": line[39:44].strip(),
               "adj": line[45:50].strip(), "rss": line[51:58].strip(),
               "shares": line[75:87].strip(), "reason": line[88:].strip(), "line": line}
        rows[row["pid"]] = row
        order.append(row["pid"])
    return rows, order, r


def explain(pid, *args):
    return run_tool("explain", pid, *args)


# ---------------------------------------------------------------------------------------------
# cgroups and the processes in them

made_cgroups = []   # in the order made: children after their parents
made_freezers = []  # v1 freezer cgroups made, likewise (parents made on the way included)
helpers = []        # Popen objects of the helpers started


def own_memory_cgroup():
    """The directory of this process's cgroup v1 memory cgroup; Skip when there is none."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise Skip("cannot read /proc/self/cgroup: %s" % e)
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            d = MEMORY_ROOT + path.rstrip("/")
            if not os.path.isfile(os.path.join(d, "memory.limit_in_bytes")):
                raise Skip("NO CGROUP V1 MEMORY CONTROLLER at %s" % d)
            if not os.access(d, os.W_OK):
                raise Skip("memory cgroup %s is not writable here" % d)
            return d
    raise Skip("NO CGROUP V1 MEMORY CONTROLLER: no memory line in /proc/self/cgroup")


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


def read_file(path):
    with open(path) as f:
        return f.read()


def own_unified_cgroup():
    """The directory of this process's cgroup v2 cgroup; Skip when there is none."""
    for line in read_file("/proc/self/cgroup").splitlines():
        hier, controllers, path = line.split(":", 2)
        if hier == "0" and controllers == "":
            d = UNIFIED_ROOT + path.rstrip("/")
            if not os.path.isfile(os.path.join(d, "cgroup.procs")):
                raise Skip("NO CGROUP V2 HIERARCHY at %s" % d)
            return d
    raise Skip("NO CGROUP V2 HIERARCHY: no 0:: line in /proc/self/cgroup")


def make_cgroup(parent=None, limit_mb=None, limit_bytes=None):
    """Makes a test cgroup below parent (default: our own memory cgroup), with an optional
    memory limit that also caps memory+swap, so that its OOM budget is exactly the limit."""
    parent = parent or own_memory_cgroup()
    if limit_mb is not None:
        limit_bytes = limit_mb << 20
    path = os.path.join(parent, CGROUP_PREFIX + str(next(cgroup_numbers)))
    try:
        os.mkdir(path)
    except OSError as e:
        raise Skip("cannot make a cgroup in %s: %s" % (parent, e))
    made_cgroups.append(path)
    if limit_bytes is not None:
        limit = str(limit_bytes)
        write_file(os.path.join(path, "memory.limit_in_bytes"), limit)
        memsw = os.path.join(path, "memory.memsw.limit_in_bytes")
        if os.path.exists(memsw):
            write_file(memsw, limit)
    return path


def cgroup_procs(path):
    """The pids in path's cgroup.procs (its own members, not its children's)."""
    try:
        return [int(x) for x in read_file(os.path.join(path, "cgroup.procs")).split()]
    except FileNotFoundError:
        return []


def make_freezer(memcg):
    """Makes the v1 freezer cgroup of the same path as the memory cgroup memcg (the only link
    between v1 hierarchies, and the one cgkill.c follows), with the parents it lacks. Every
    freezer made is thawed first and removed last by the cleanup. Skip when there is none."""
    if not os.path.isfile(os.path.join(FREEZER_ROOT, "cgroup.procs")):
        raise Skip("NO CGROUP V1 FREEZER at %s" % FREEZER_ROOT)
    rel = os.path.relpath(memcg, MEMORY_ROOT)
    check(not rel.startswith(".."), "%s is not a v1 memory cgroup" % memcg)
    for attempt in range(5):
        path = FREEZER_ROOT
        try:
            for part in rel.split("/"):
                path = os.path.join(path, part)
                try:
                    os.mkdir(path)
                    made_freezers.append(path)
                except FileExistsError:
                    pass
            return path
        except FileNotFoundError:
            time.sleep(0.05)    # a parent shared with another run was removed meanwhile
        except OSError as e:
            raise Skip("cannot make a freezer cgroup %s: %s" % (path, e))
    raise Skip("cannot make the freezer cgroup of %s" % memcg)


def freezer_state(freezer):
    return read_file(os.path.join(freezer, "freezer.state")).strip()


def freeze(freezer, timeout=5):
    """Freezes freezer's tasks and waits until the kernel reports them FROZEN."""
    write_file(os.path.join(freezer, "freezer.state"), "FROZEN")
    check(wait_for(lambda: freezer_state(freezer) == "FROZEN", timeout=timeout),
          "%s did not freeze: %s" % (freezer, freezer_state(freezer)))


def thaw(freezer):
    write_file(os.path.join(freezer, "freezer.state"), "THAWED")


def thaw_all():
    """Thaws every freezer cgroup made: frozen tasks would stay stuck, SIGKILL or not."""
    for path in made_freezers:
        # not a parent made on the way: thawing it would thaw what others froze below it
        if not os.path.basename(path).startswith(CGROUP_PREFIX):
            continue
        try:
            thaw(path)
        except OSError:
            pass


def remove_freezers():
    """Removes the freezer cgroups made, children first, once their tasks are gone. A parent
    made on the way that another run uses as well is left to it."""
    problems = []
    while made_freezers:
        path = made_freezers.pop()
        for attempt in range(50):
            try:
                os.rmdir(path)
                break
            except FileNotFoundError:
                break
            except OSError as e:
                if not os.path.basename(path).startswith(CGROUP_PREFIX):
                    break
                if attempt == 49:
                    problems.append("rmdir %s: %s (tasks %s)" % (path, e, cgroup_procs(path)))
                time.sleep(0.02)
    return problems


def cgroups_of(pid):
    """The directories of pid's cgroup v1 memory cgroup and cgroup v2 cgroup; empty when it is
    gone."""
    try:
        text = read_file("/proc/%d/cgroup" % pid)
    except OSError:
        return set()
    dirs = set()
    for line in text.splitlines():
        hier, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            dirs.add(MEMORY_ROOT + path.rstrip("/"))
        if hier == "0" and controllers == "":
            dirs.add(UNIFIED_ROOT + path.rstrip("/"))
    return dirs


def start_in(cgroup, helper, *args, ready_timeout=20, before=""):
    """Starts HELPERS/helper ARGS inside cgroup (it joins before exec, so all its memory is
    charged there) and waits for its "ready" line. Returns (Popen, the numbers of that line).
    before: shell commands run in the cgroup just before the exec."""
    # on lines of their own: "A && B & exec C" would run A in the background, racing the exec
    script = 'echo $$ > "$0/cgroup.procs" || exit 125\n%s\nexec "$@"' % before
    p = subprocess.Popen(["/bin/sh", "-c", script, cgroup, os.path.join(HELPERS, helper)]
                         + [a if isinstance(a, bytes) else str(a) for a in args],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    helpers.append(p)
    ready, _, _ = select.select([p.stdout], [], [], ready_timeout)
    line = p.stdout.readline().decode() if ready else ""
    if not line.startswith("ready"):
        err = b""
        if p.poll() is not None:
            err = p.stderr.read()
        raise Failure("%s %s did not get ready (%r, stderr %r)" % (helper, " ".join(
            map(str, args)), line, err.decode("utf-8", "replace")))
    numbers = [int(x) for x in line.split()[1:]]
    check(p.pid in cgroup_procs(cgroup), "%s (pid %d) is not in %s" % (helper, p.pid, cgroup))
    return p, numbers


def hog(cgroup, mb, adj=None, comm=None):
    """A process of mb MiB resident (and the given oom_score_adj and comm) in cgroup; returns
    its pid."""
    args = [mb] + (["--adj", adj] if adj is not None else [])
    args += ["--comm", comm] if comm is not None else []
    p, _ = start_in(cgroup, "hog", *args)
    return p.pid


def kill_member(pid, cgroup):
    """SIGKILL pid through a pidfd, only if that process is still a member of cgroup."""
    try:
        fd = os.pidfd_open(pid)
    except (ProcessLookupError, OSError):
        return
    try:
        # checked after the pidfd is held: a reused pid cannot slip in between
        if cgroup in cgroups_of(pid):
            signal.pidfd_send_signal(fd, signal.SIGKILL)
    except ProcessLookupError:
        pass
    finally:
        os.close(fd)


def reap_children():
    """Reaps every child that has ended, orphans handed to us as subreaper included."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def empty_cgroup(path, timeout=10):
    """Kills the members of path until none is left. Returns whether it became empty."""
    deadline = time.monotonic() + timeout
    while True:
        pids = cgroup_procs(path)
        if not pids:
            return True
        if time.monotonic() > deadline:
            return False
        for pid in pids:
            kill_member(pid, path)
        time.sleep(0.01)
        reap_children()


def remove_cgroups():
    """Thaws every freezer cgroup made, empties and removes every cgroup made so far,
    children first, then the freezer cgroups."""
    problems = []
    thaw_all()
    while made_cgroups:
        path = made_cgroups.pop()
        if not os.path.isdir(path):
            continue
        if not empty_cgroup(path):
            problems.append("%s still has %s" % (path, cgroup_procs(path)))
            continue
        for attempt in range(50):
            try:
                os.rmdir(path)
                break
            except OSError as e:
                if attempt == 49:
                    problems.append("rmdir %s: %s" % (path, e))
                time.sleep(0.02)
    for p in helpers:
        for f in (p.stdout, p.stderr):
            if f:
                f.close()
        try:
            p.wait(timeout=0)   # reaped already, or still a zombie of ours
        except (subprocess.TimeoutExpired, ChildProcessError):
            pass
    helpers.clear()
    reap_children()
    return problems + remove_freezers()


def become_subreaper():
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("# warning: prctl(PR_SET_CHILD_SUBREAPER): %s"
              % os.strerror(ctypes.get_errno()))


def wait_for(cond, timeout=5, step=0.02):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def meminfo_kb(key):
    for line in read_file("/proc/meminfo").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def global_totalpages():
    return (meminfo_kb("MemTotal") + meminfo_kb("SwapTotal")) // PAGE_KB


def kernel_score(pid):
    try:
        return int(read_file("/proc/%d/oom_score" % pid))
    except (OSError, ValueError):
        return None


def state_of(pid):
    stat = read_file("/proc/%d/stat" % pid)
    return stat[stat.rindex(")") + 2]


# ---------------------------------------------------------------------------------------------
# The tests

TESTS = []
notes = []   # lines printed after the current test's verdict


def test(fn):
    TESTS.append(fn)
    return fn


def note(text):
    notes.append(text)


def tolerance(kernel):
    return max(2, kernel // 100)


def compare_with_kernel(data):
    """Holds every process of a `list --all --json` against the kernel: an eligible one's score
    against the kernel_score read with it and against /proc/PID/oom_score read now; one the
    kernel excludes by itself must have kernel score 0. Returns the mismatches by (pid, start
    time) and the figures."""
    mismatches = {}
    stats = {"compared": 0, "excluded_zero": 0, "not_compared": 0, "worst": 0,
             "worst_pid": None, "scores": set()}
    for p in data["processes"]:
        pid, k, key = p["pid"], p["kernel_score"], (p["pid"], p["start_time"])
        if p["eligible"]:
            if k is None:           # gone before its oom_score could be read
                stats["not_compared"] += 1
                continue
            now = kernel_score(pid)
            for kern in (k, now) if now is not None else (k,):
                dev = abs(p["score"] - kern)
                if dev > stats["worst"]:
                    stats["worst"], stats["worst_pid"] = dev, pid
                if dev > tolerance(kern):
                    mismatches[key] = ("pid %d (%s): score %d, kernel %d (badness %d, adj %d)"
                                       % (pid, p["comm"], p["score"], kern, p["badness"],
                                          p["oom_score_adj"]))
            stats["compared"] += 1
            stats["scores"].add(p["score"])
        elif p["reason"].startswith(KERNEL_EXCLUDED):
            if k is None:
                stats["not_compared"] += 1
            elif k != 0:
                mismatches[key] = ("pid %d (%s) excluded as %r, but the kernel scores it %d"
                                   % (pid, p["comm"], p["reason"], k))
            else:
                stats["excluded_zero"] += 1
        else:
            stats["not_compared"] += 1  # excluded by us alone (ourselves, protected sharers), gone
    return mismatches, stats


@test
def test_scores_match_kernel():
    """Every process of the machine: our score is the kernel's oom_score (within 1 % or 2),
    and what the kernel excludes on its own it scores 0."""
    cg = make_cgroup()
    ours = [hog(cg, 16), hog(cg, 64), hog(cg, 200), hog(cg, 48, adj=300), hog(cg, 24, adj=700),
            hog(cg, 8, adj=1000)]
    _, (vparent, vchild) = start_in(cg, "vforker", 32)
    _, (sparent, schild) = start_in(cg, "sharers", 32)
    ours += [vparent, sparent, schild]

    data = read_json("--all")
    mismatches, stats = compare_with_kernel(data)
    transient = 0
    if mismatches:
        # a process caught mid-change (an exec, a vfork that ends) differs once; a wrong
        # rule differs every time: only what a second scan confirms is a failure
        again, _ = compare_with_kernel(read_json("--all"))
        transient = len(set(mismatches) - set(again))
        mismatches = {key: msg for key, msg in mismatches.items() if key in again}
    check(not mismatches, "; ".join(list(mismatches.values())[:10]))
    procs = by_pid(data)
    for pid in ours:
        check(pid in procs and procs[pid]["eligible"], "our process %d is not eligible: %r"
              % (pid, procs.get(pid)))
        check(procs[pid]["kernel_score"] is not None, "no kernel score for %d" % pid)
    check(vchild in procs and procs[vchild]["kernel_score"] == 0
          and not procs[vchild]["eligible"], "vfork child %d: %r" % (vchild, procs.get(vchild)))
    scores = stats["scores"]
    check(len(scores) >= 5, "too few distinct scores to prove much: %s" % sorted(scores))
    check(stats["compared"] >= 9 and stats["excluded_zero"] >= 1, "compared %d, excluded %d"
          % (stats["compared"], stats["excluded_zero"]))
    note("%d eligible processes compared (scores %d..%d), max deviation %d (pid %s); "
         "%d excluded ones scored 0 by the kernel; %d not compared; %d transient mismatches"
         % (stats["compared"], min(scores), max(scores), stats["worst"], stats["worst_pid"],
            stats["excluded_zero"], stats["not_compared"], transient))


@test
def test_hog_badness_is_its_resident_size():
    """Badness counts the touched pages: a 100 MiB hog has about 100 MiB of points."""
    cg = make_cgroup()
    pid = hog(cg, 100)
    p = by_pid(read_json("--cgroup", cg))[pid]
    check(p["badness"] == points_of(p), "badness %d is not rss+swap+pgtables %d"
          % (p["badness"], points_of(p)))
    extra = p["badness"] - 100 * MIB_PAGES
    check(0 <= extra <= 4 * MIB_PAGES, "badness %d for 100 MiB (%d pages)"
          % (p["badness"], 100 * MIB_PAGES))


@test
def test_rank_by_size_in_cgroup():
    """Hogs of 90, 60 and 30 MiB rank 90, 60, 30, although the smallest is the youngest."""
    cg = make_cgroup()
    h90, h60, h30 = hog(cg, 90), hog(cg, 60), hog(cg, 30)
    data = read_json("--cgroup", cg)
    check(eligible_pids(data) == [h90, h60, h30],
          "order %s, want 90/60/30 MiB = %s" % (eligible_pids(data), [h90, h60, h30]))
    rows, order, _ = read_table("--cgroup", cg)
    check(order == [h90, h60, h30], "table order %s" % order)


@test
def test_raised_adj_reorders():
    """oom_score_adj 500 on the smallest of three hogs makes it first, by adj * totalpages/1000."""
    cg = make_cgroup()
    h90, h60 = hog(cg, 90), hog(cg, 60)
    h30 = hog(cg, 30, adj=500)
    data = read_json("--cgroup", cg)
    check(eligible_pids(data) == [h30, h90, h60],
          "order %s, want %s" % (eligible_pids(data), [h30, h90, h60]))
    p = by_pid(data)[h30]
    want = points_of(p) + 500 * (data["totalpages"] // 1000)
    check(p["oom_score_adj"] == 500 and p["badness"] == want,
          "badness %d, want points %d + 500 * (%d // 1000) = %d"
          % (p["badness"], points_of(p), data["totalpages"], want))


@test
def test_explain_top_is_chosen_and_other_is_not():
    """explain says "chosen yes" for the top of the cgroup and "no: TOP ranks first" for another."""
    cg = make_cgroup()
    big, small = hog(cg, 60), hog(cg, 20)
    top = explain(big, "--cgroup", cg)
    check(top.rc == 0, top.describe())
    check("rank         1 of 2 candidates" in top.out, "no rank 1 of 2: %r" % top.out)
    check("chosen       yes" in top.out, "top not chosen: %r" % top.out)
    other = explain(small, "--cgroup", cg)
    check(other.rc == 0, other.describe())
    want = "chosen       no: %d (hog) ranks first" % big
    check(want in other.out, "want %r in %r" % (want, other.out))


@test
def test_explain_pid_outside_scope_exit_1():
    """explain of a live process that is not in the --cgroup scope: exit 1 and says so."""
    cg = make_cgroup()
    hog(cg, 1)
    r = explain(os.getpid(), "--cgroup", cg)
    check(r.rc == 1 and "no process %d" % os.getpid() in r.err, r.describe())


@test
def test_explain_kernel_thread_and_init_not_chosen():
    """explain of init and of a kernel thread: never chosen, for the reason the kernel has."""
    data = read_json("--all")
    kthreads = [p["pid"] for p in data["processes"] if p["kthread"]]
    if not kthreads:
        raise Skip("no kernel thread visible in /proc (a pid namespace?)")
    r = explain(kthreads[0])
    check(r.rc == 0 and "chosen       no: kernel thread" in r.out, r.describe() + r.out)
    r = explain(1)
    check(r.rc == 0 and "chosen       no: init" in r.out, r.describe() + r.out)


@test
def test_clone_vm_pair_is_one_group():
    """Two processes sharing one address space (CLONE_VM, no CLONE_THREAD) are one group:
    each names the other, the memory is counted once, the table shows the second as shared."""
    cg = make_cgroup()
    _, (parent, child) = start_in(cg, "sharers", 40)
    alone = hog(cg, 10)
    procs = by_pid(read_json("--cgroup", cg, "--all"))
    a, b = procs.get(parent), procs.get(child)
    check(a and b, "pair %d/%d not listed: %s" % (parent, child, sorted(procs)))
    check(a["shares_mm_with"] == [child] and b["shares_mm_with"] == [parent],
          "shares_mm_with %r / %r" % (a["shares_mm_with"], b["shares_mm_with"]))
    check(procs[alone]["shares_mm_with"] == [], "a lone hog shares: %r" % procs[alone])
    check(a["eligible"] and b["eligible"], "pair not eligible: %r / %r" % (a["reason"],
                                                                          b["reason"]))
    check(a["badness"] == b["badness"] and a["total_vm_kb"] == b["total_vm_kb"],
          "badness %d / %d" % (a["badness"], b["badness"]))
    check(40 * MIB_PAGES <= a["badness"] < 60 * MIB_PAGES,
          "badness %d for one 40 MiB address space" % a["badness"])
    check(a["kernel_score"] == b["kernel_score"], "kernel scores differ: %r / %r"
          % (a["kernel_score"], b["kernel_score"]))

    rows, order, r = read_table("--cgroup", cg)
    check(parent in rows and child in rows, "pair not in the table: %r" % r.out)
    first, second = (parent, child) if order.index(parent) < order.index(child) else (child,
                                                                                       parent)
    check(order.index(second) == order.index(first) + 1, "pair not adjacent: %s" % order)
    check(rows[second]["rss"] == "shared", "follower row: %r" % rows[second]["line"])
    check(rows[first]["rss"] not in ("", "shared"), "leader row: %r" % rows[first]["line"])
    check(rows[first]["shares"] == str(second) and rows[second]["shares"] == str(first),
          "SHARES column: %r / %r" % (rows[first]["line"], rows[second]["line"]))


@test
def test_explain_sharer_is_chosen_with_its_group():
    """explain of the lower-ranked member of a CLONE_VM pair: it goes with the top one."""
    cg = make_cgroup()
    _, (parent, child) = start_in(cg, "sharers", 40)
    data = read_json("--cgroup", cg)
    top, other = eligible_pids(data)[0], ({parent, child} - {eligible_pids(data)[0]}).pop()
    r = explain(other, "--cgroup", cg)
    check(r.rc == 0, r.describe())
    want = "chosen       yes, with %d (sharers), which ranks first and shares its memory" % top
    check(want in r.out, "want %r in %r" % (want, r.out))
    check("shares mm    %d (sharers)" % top in r.out, "no sharer line: %r" % r.out)


@test
def test_vfork_child_not_chosen():
    """A child held in vfork is never chosen (its memory is its parent's); the parent is."""
    cg = make_cgroup()
    _, (parent, child) = start_in(cg, "vforker", 40)
    check(wait_for(lambda: state_of(parent) == "D"), "vfork parent not in state D")
    procs = by_pid(read_json("--cgroup", cg, "--all"))
    c, p = procs.get(child), procs.get(parent)
    check(c and p, "vforker pair %d/%d not listed" % (parent, child))
    check(not c["eligible"] and "vfork" in (c["reason"] or "") and c["vfork_child"],
          "child: eligible %r, reason %r, vfork_child %r" % (c["eligible"], c["reason"],
                                                            c["vfork_child"]))
    check(c["kernel_score"] == 0, "the kernel scores the vfork child %r" % c["kernel_score"])
    check(p["eligible"] and not p["vfork_child"] and p["state"] == "D",
          "parent: %r" % p)
    check(p["badness"] >= 40 * MIB_PAGES, "parent badness %d" % p["badness"])
    r = explain(child, "--cgroup", cg)
    check(r.rc == 0 and "chosen       no: vfork child" in r.out, r.describe() + r.out)


@test
def test_odd_comm_stays_valid():
    """A live comm holding ") (", a newline, a tab, quote, backslash, UTF-8 and a byte that is
    not UTF-8: stat is still parsed, the JSON stays valid and shows it, the table keeps one
    line per process, the comm escaped."""
    cg = make_cgroup()
    comm = b'a) (b\n\xc3\xa9\xff"\\\t'
    odd, plain = hog(cg, 20, comm=comm), hog(cg, 10)
    with open("/proc/%d/comm" % odd, "rb") as f:
        check(f.read() == comm + b"\n", "the kernel did not take the comm")
    procs = by_pid(read_json("--cgroup", cg, "--all"))
    want = 'a) (b\n\u00e9\u00ff"\\\t'
    check(procs[odd]["comm"] == want, "comm %r, want %r" % (procs[odd]["comm"], want))
    check(procs[odd]["eligible"] and procs[odd]["badness"] >= 20 * MIB_PAGES,
          "odd comm: %r" % procs[odd])
    rows, order, r = read_table("--cgroup", cg, "--all")
    check(order == [odd, plain], "table rows %s: %r" % (order, r.out))
    # the one cleaner's form (src/text.c), cut to the column's 16 bytes at an escape's end
    check(rows[odd]["comm"] == 'a) (b\\x0a\u00e9\\xff"', "table comm %r" % rows[odd]["comm"])


@test
def test_lists_itself_as_never_chosen():
    """The running oomreaper is listed as never chosen, for being itself."""
    data = read_json("--all")
    selves = [p for p in data["processes"] if p["reason"] == "oomreaper itself"]
    check(len(selves) == 1, "entries for itself: %r" % selves)
    check(selves[0]["ppid"] == os.getpid() and selves[0]["badness"] is None,
          "itself: %r" % selves[0])


@test
def test_cgroup_scope_uses_its_limit():
    """--cgroup lists that cgroup and its descendants only, and takes its limit as totalpages."""
    cg = make_cgroup(limit_mb=256)
    sub = make_cgroup(parent=cg)
    outside = make_cgroup()
    top = hog(cg, 20, adj=500)
    nested = hog(sub, 10)
    stranger = hog(outside, 10)
    data = read_json("--cgroup", cg, "--all")
    pids = set(by_pid(data))
    members = set(cgroup_procs(cg)) | set(cgroup_procs(sub))
    check(pids == members == {top, nested}, "listed %s, members %s, want %s"
          % (sorted(pids), sorted(members), sorted({top, nested})))
    check(stranger not in pids, "a process of another cgroup is listed")
    want_total = (256 << 20) // PAGE
    check(data["totalpages"] == want_total, "totalpages %d, want %d"
          % (data["totalpages"], want_total))
    check(data["global_totalpages"] == global_totalpages(), "global_totalpages %d, want %d"
          % (data["global_totalpages"], global_totalpages()))
    check(data["scope"] == "cgroup v1 " + cg, "scope %r" % data["scope"])
    p = by_pid(data)[top]
    want = points_of(p) + 500 * (want_total // 1000)
    check(p["badness"] == want, "badness %d, want %d + 500 * %d = %d"
          % (p["badness"], points_of(p), want_total // 1000, want))
    # oom_score stays the global figure whatever the scope
    check(abs(p["score"] - p["kernel_score"]) <= tolerance(p["kernel_score"]),
          "score %d, kernel %d" % (p["score"], p["kernel_score"]))
    check(eligible_pids(data) == [top, nested], "order %s" % eligible_pids(data))


@test
def test_nested_cgroup_ranked_by_ancestor_limit():
    """A cgroup without a limit of its own, below one limited to 256 MiB, can only meet the
    parent's OOM, where the kernel's totalpages is the parent's limit (mem_cgroup_get_max of
    the memcg over its limit). Ranking it with the global totalpages lets a small process with
    a raised adj outrank a big one that the kernel would kill first."""
    cg = make_cgroup(limit_mb=256)
    sub = make_cgroup(parent=cg)
    big, small = hog(sub, 100), hog(sub, 10, adj=10)
    want_total = (256 << 20) // PAGE
    whole = read_json("--cgroup", cg)
    check(eligible_pids(whole) == [big, small], "parent scope order %s" % eligible_pids(whole))
    data = read_json("--cgroup", sub)
    check(data["totalpages"] == want_total and eligible_pids(data) == [big, small],
          "--cgroup %s: totalpages %d, order %s (badness %s); want totalpages %d (its memory.stat "
          "hierarchical_memory_limit) and order %s as in its parent's OOM"
          % (os.path.basename(sub), data["totalpages"], eligible_pids(data),
             [p["badness"] for p in data["processes"]], want_total, [big, small]))


@test
def test_cgroup_limit_above_ram_is_no_limit():
    """A cgroup limit the machine cannot reach (twice RAM + swap) leaves totalpages global."""
    cg = make_cgroup(limit_bytes=2 * global_totalpages() * PAGE)
    pid = hog(cg, 10)
    data = read_json("--cgroup", cg)
    check(data["totalpages"] == data["global_totalpages"] == global_totalpages(),
          "totalpages %d, global %d" % (data["totalpages"], data["global_totalpages"]))
    check(eligible_pids(data) == [pid], "listed %s" % eligible_pids(data))


@test
def test_cgroup_v2_scope():
    """--cgroup on a cgroup v2 directory (here without the memory controller, so no limit of its
    own): its processes only, the global totalpages, "cgroup v2" as the scope."""
    parent = own_unified_cgroup()
    mem = make_cgroup()
    v2 = make_cgroup(parent=parent)
    outside = hog(mem, 10)
    big, small = (start_in(mem, "hog", mb, before='echo $$ > "%s/cgroup.procs" &&' % v2)[0].pid
                  for mb in (40, 20))
    check(set(cgroup_procs(v2)) == {big, small}, "v2 members %s" % cgroup_procs(v2))
    data = read_json("--cgroup", v2, "--all")
    check(data["scope"] == "cgroup v2 " + v2, "scope %r" % data["scope"])
    check(data["totalpages"] == global_totalpages(), "totalpages %d" % data["totalpages"])
    check([p["pid"] for p in data["processes"]] == [big, small],
          "listed %s, want %s (not %d)" % ([p["pid"] for p in data["processes"]],
                                          [big, small], outside))
    r = explain(small, "--cgroup", v2)
    want = "chosen       no: %d (hog) ranks first" % big
    check(r.rc == 0 and want in r.out, r.describe() + r.out)


def zombie_maker(cg, mb):
    """A hog of mb MiB in cg with a zombie child it never reaps: (the hog's pid, the zombie)"""
    p, _ = start_in(cg, "hog", mb, before="/bin/true & ")
    zs = []

    def find():
        kids = read_file("/proc/%d/task/%d/children" % (p.pid, p.pid)).split()
        zs[:] = [int(c) for c in kids if state_of(int(c)) == "Z"]
        return zs
    check(wait_for(find), "no zombie child of %d" % p.pid)
    return p.pid, zs[0]


@test
def test_zombie_not_chosen():
    """A live zombie (its parent never waits for it) is never chosen: nothing left to free,
    and the kernel scores it 0."""
    cg = make_cgroup()
    _, z = zombie_maker(cg, 5)
    procs = by_pid(read_json("--all"))
    check(z in procs, "zombie %d not listed" % z)
    q = procs[z]
    check(not q["eligible"] and q["reason"].startswith("no memory left") and q["state"] == "Z",
          "zombie: %r" % q)
    check(q["kernel_score"] == 0, "the kernel scores the zombie %r" % q["kernel_score"])
    r = explain(z)
    check(r.rc == 0 and "chosen       no: no memory left" in r.out, r.describe() + r.out)


@test
def test_global_scope_totalpages():
    """Without --cgroup, totalpages is RAM + swap in pages, as the kernel's global OOM has it."""
    data = read_json()
    check(data["scope"] == "global", "scope %r" % data["scope"])
    check(data["page_kb"] == PAGE_KB, "page_kb %d" % data["page_kb"])
    check(data["totalpages"] == data["global_totalpages"] == global_totalpages(),
          "totalpages %d / %d, want %d" % (data["totalpages"], data["global_totalpages"],
                                           global_totalpages()))
    check(all(p["eligible"] for p in data["processes"]), "excluded ones listed without --all")


@test
def test_count_limits_rows():
    """-n N shows at most N rows, the best ones."""
    cg = make_cgroup()
    pids = [hog(cg, 30), hog(cg, 20), hog(cg, 10)]
    check(eligible_pids(read_json("--cgroup", cg, "-n", 2)) == pids[:2], "-n 2")
    check(read_json("--cgroup", cg, "-n", 0)["processes"] == [], "-n 0")
    rows, order, _ = read_table("--cgroup", cg, "--count", 1)
    check(order == pids[:1], "table -n 1: %s" % order)


BAD_USAGE = [
    # (arguments, what stderr must say)
    ([], "Usage"),
    (["frobnicate"], "unknown command"),
    (["--bogus"], "unknown command"),
    (["list", "--bogus"], "bogus"),
    (["list", "extra"], "unexpected argument"),
    (["list", "-n", "x"], "-n wants a count"),
    (["list", "-n", "-1"], "-n wants a count"),
    (["list", "-n", "99999999999"], "-n wants a count"),
    (["list", "-n"], "requires an argument"),
    (["list", "--cgroup", "/nonexistent"], "/nonexistent"),
    (["list", "--cgroup", "/tmp"], "not a cgroup"),
    (["list", "--cgroup", "/etc/hostname"], "/etc/hostname"),
    (["list", "--proc", "/nonexistent"], "/nonexistent"),
    (["explain"], "wants one PID"),
    (["explain", "abc"], "'abc' is not a PID"),
    (["explain", "0"], "'0' is not a PID"),
    (["explain", "12abc"], "not a PID"),
    (["explain", "99999999999"], "not a PID"),
    (["explain", "1", "2"], "wants one PID"),
    (["explain", "--bogus", "1"], "bogus"),
    (["explain", "1", "--cgroup", "/tmp"], "not a cgroup"),
    (["explain", "1", "--cgroup", "/nonexistent"], "/nonexistent"),
]
# a cgroup v1 hierarchy of another controller is no memory cgroup either
if os.path.isdir("/sys/fs/cgroup/freezer"):
    BAD_USAGE.append((["list", "--cgroup", "/sys/fs/cgroup/freezer"], "not a cgroup"))


@test
def test_bad_arguments_exit_2():
    """Bad usage: exit 2, a message on stderr naming the problem, nothing on stdout."""
    problems = []
    for args, says in BAD_USAGE:
        r = run_tool(*args)
        if r.rc != 2 or says not in r.err or r.out:
            problems.append("%s: exit %d, stderr %r, stdout %r" % (args, r.rc, r.err[:200],
                                                                   r.out[:100]))
    check(not problems, "; ".join(problems))


@test
def test_explain_missing_pid_exit_1():
    """explain of a pid no process has: exit 1, and says so."""
    pid_max = int(read_file("/proc/sys/kernel/pid_max"))
    pid = next(p for p in range(pid_max - 1, 1, -1) if not os.path.exists("/proc/%d" % p))
    r = explain(pid)
    check(r.rc == 1 and "no process %d" % pid in r.err and not r.out, r.describe())


@test
def test_help_and_version_exit_0():
    """--help and --version, of the program and of each command: exit 0, text on stdout."""
    problems = []
    for args, says in [(["--help"], "Usage"), (["-h"], "Usage"), (["--version"], "oomreaper "),
                       (["-V"], "oomreaper "), (["list", "--help"], "Usage: oomreaper list"),
                       (["explain", "--help"], "Usage: oomreaper explain")]:
        r = run_tool(*args)
        if r.rc != 0 or not r.out.startswith(says) or r.err:
            problems.append("%s: exit %d, stdout %r, stderr %r" % (args, r.rc, r.out[:80],
                                                                   r.err[:80]))
    check(not problems, "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# Fixture /proc trees

FIXTURE_MEMINFO = ("MemTotal:        8000000 kB\nMemFree:         4000000 kB\n"
                   "MemAvailable:    6000000 kB\nSwapTotal:       2000000 kB\n"
                   "SwapFree:        2000000 kB\n")
FIXTURE_TOTALPAGES = (8000000 + 2000000) // PAGE_KB


def stat_line(pid, comm, state="S", ppid=1, flags=0x400000, start=1000):
    """A /proc/PID/stat line of 52 fields: flags is field 9, start time field 22."""
    fields = [str(ppid), str(pid), str(pid), "0", "-1", str(flags), "100", "0", "0", "0",
              "5", "3", "0", "0", "20", "0", "1", "0", str(start), "123456789", "2500"]
    fields += ["0"] * (52 - 3 - len(fields))
    return "%d (%s) %s %s\n" % (pid, comm, state, " ".join(fields))


def status_text(comm, anon_kb=0, file_kb=0, shmem_kb=0, swap_kb=0, pte_kb=0, mm=True,
                kthread=False, uid=0):
    """A /proc/PID/status as Linux 6.x writes it; without the Vm lines when mm is False."""
    s = "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nPid:\t1\nPPid:\t0\n" % comm
    s += "Uid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\n" % (uid, uid, uid, uid)
    if mm:
        rss = anon_kb + file_kb + shmem_kb
        s += ("VmPeak:\t%8d kB\nVmSize:\t%8d kB\nVmLck:\t       0 kB\nVmRSS:\t%8d kB\n"
              "RssAnon:\t%8d kB\nRssFile:\t%8d kB\nRssShmem:\t%8d kB\nVmData:\t    1000 kB\n"
              "VmPTE:\t%8d kB\nVmSwap:\t%8d kB\n"
              % (rss + 5000, rss + 4000, rss, anon_kb, file_kb, shmem_kb, pte_kb, swap_kb))
    s += "Threads:\t1\nKthread:\t%d\nCpus_allowed:\tf\n" % (1 if kthread else 0)
    return s


def make_proc_tree(root, procs, meminfo=FIXTURE_MEMINFO):
    """Writes a /proc-like tree: meminfo (unless None) and one directory per entry of procs,
    {name: {file: text or None (absent)}}."""
    os.makedirs(root, exist_ok=True)
    if meminfo is not None:
        write_file(os.path.join(root, "meminfo"), meminfo)
    for name, files in procs.items():
        d = os.path.join(root, str(name))
        os.mkdir(d)
        for fname, text in files.items():
            if text is not None:
                with open(os.path.join(d, fname), "wb") as f:
                    f.write(text.encode() if isinstance(text, str) else text)


def good_proc(pid, comm, anon_kb, adj=0, start=1000, **kw):
    score = (1000 + (anon_kb // PAGE_KB + adj * (FIXTURE_TOTALPAGES // 1000)) * 1000
             // FIXTURE_TOTALPAGES) * 2 // 3
    return {"stat": stat_line(pid, comm, start=start, **kw),
            "status": status_text(comm.split("\n")[0], anon_kb=anon_kb),
            "oom_score_adj": "%d\n" % adj, "oom_score": "%d\n" % score,
            "cgroup": "4:memory:/fixture\n0::/\n"}


def fixture_procs():
    """Good processes, processes the kernel excludes, and malformed ones (pid >= 200)."""
    procs = {
        100: good_proc(100, "big", 100 * 1024),
        101: good_proc(101, "medium", 50 * 1024),
        102: good_proc(102, "adjusted", 20 * 1024, adj=500),
        103: good_proc(103, "a) (b\nc", 10 * 1024),
        1: good_proc(1, "init", 12 * 1024, ppid=0),
        2: {"stat": stat_line(2, "kthreadd", ppid=0, flags=0x208040),
            "status": status_text("kthreadd", mm=False, kthread=True),
            "oom_score_adj": "0\n", "oom_score": "0\n", "cgroup": "0::/\n"},
        300: good_proc(300, "unkillable", 300 * 1024, adj=-1000),
        301: {"stat": stat_line(301, "zombie", state="Z"),
              "status": status_text("zombie", mm=False),
              "oom_score_adj": "0\n", "oom_score": "0\n", "cgroup": "0::/\n"},
    }
    procs[300]["oom_score"] = "0\n"
    good = good_proc(0, "x", 1024)
    bad = {
        # status cut short after VmSize: the memory counters are missing
        200: dict(good, stat=stat_line(200, "cutstatus"),
                  status=status_text("cutstatus", anon_kb=4096).split("RssAnon")[0]),
        201: dict(good, stat=stat_line(201, "garbageadj"), oom_score_adj="abc\n"),
        202: dict(good, stat=stat_line(202, "hugeadj"), oom_score_adj="5000\n"),
        203: dict(good, stat="203 (cutstat) S 1 203"),
        206: dict(good, stat=stat_line(206, "emptystatus"), status=""),
        207: dict(good, stat=stat_line(207, "badrss"),
                  status=status_text("badrss", anon_kb=4096).replace("RssAnon:\t    4096",
                                                                     "RssAnon:\t    zz")),
        208: dict(good, stat=stat_line(208, "binary"),
                  status=b"\xff\xfe\x00garbage\x00\n\x80\x81"),
        209: dict(good, stat="\n"),
        210: dict(good, stat=stat_line(210, "noclose").replace(")", "", 1)),
    }
    missing = {
        # a file that is absent: the process cannot be judged
        220: dict(good, stat=stat_line(220, "nostatus"), status=None),
        221: dict(good, stat=None),
        222: dict(good, stat=stat_line(222, "noadj"), oom_score_adj=None),
    }
    optional = {
        # oom_score and cgroup are for display only: without them a process is still judged
        230: dict(good_proc(230, "noscore", 5 * 1024), oom_score=None, cgroup=None),
        231: dict(good_proc(231, "badcgroup", 4 * 1024), cgroup="garbage", oom_score="x\n"),
    }
    procs.update(bad)
    procs.update(missing)
    procs.update(optional)
    # not processes: never listed
    for name in ("self", "abc", "0", "12x", "007"):
        procs[name] = good_proc(5, "notapid", 999 * 1024)
    return procs, sorted(bad), sorted(missing), sorted(optional)


def proc_fixture():
    d = tempfile.mkdtemp(prefix="oomreaper-e2e-proc-")
    atexit.register(lambda: subprocess.run(["rm", "-rf", d]))
    procs, bad, missing, optional = fixture_procs()
    make_proc_tree(d, procs)
    # a plain file with a pid's name: not a process directory
    write_file(os.path.join(d, "240"), "not a directory\n")
    return d, bad, missing, optional


@test
def test_fixture_bad_proc_no_crash():
    """Malformed /proc files: exit 0, valid JSON, each such process listed as not eligible
    with a reason starting "unreadable"; absent files likewise never make a process eligible."""
    d, bad, missing, optional = proc_fixture()
    data = read_json("--proc", d, "--all")
    procs = by_pid(data)
    problems = []
    for pid in bad:
        p = procs.get(pid)
        if not p or p["eligible"] or not (p["reason"] or "").startswith("unreadable"):
            problems.append("malformed %d: %r" % (pid, p and (p["eligible"], p["reason"])))
    for pid in missing:
        p = procs.get(pid)
        if not p or p["eligible"] or not (p["reason"] or "").startswith(("unreadable",
                                                                         "vanished")):
            problems.append("missing-file %d: %r" % (pid, p and (p["eligible"], p["reason"])))
    for pid in optional:
        p = procs.get(pid)
        if not p or not p["eligible"]:
            problems.append("display-only file absent %d: %r" % (pid, p and p["reason"]))
    check(not problems, "; ".join(problems))
    check(procs[230]["kernel_score"] is None and procs[230]["cgroup"] is None,
          "absent oom_score/cgroup shown as %r" % procs[230])
    check(procs[231]["kernel_score"] is None and procs[231]["cgroup"] is None,
          "garbage oom_score/cgroup shown as %r" % procs[231])
    want = {1, 2, 100, 101, 102, 103, 300, 301} | set(bad) | set(missing) | set(optional)
    check(set(procs) - {240} == want, "listed %s, want %s" % (sorted(procs), sorted(want)))
    reasons = {pid: procs[pid]["reason"] for pid in missing}
    note("absent stat/status/oom_score_adj are reported as: %s" % reasons)


@test
def test_fixture_stat_of_another_pid():
    """A directory whose stat names another pid (a broken or tampered tree) is listed under
    its directory's pid, as unreadable: the directory is the truth, as scan.c says."""
    d = tempfile.mkdtemp(prefix="oomreaper-e2e-proc-")
    atexit.register(lambda: subprocess.run(["rm", "-rf", d]))
    make_proc_tree(d, {100: good_proc(100, "big", 1024),
                       204: dict(good_proc(204, "x", 1024), stat=stat_line(999, "otherpid"))})
    procs = by_pid(read_json("--proc", d, "--all"))
    check(set(procs) == {100, 204}, "listed pids %s, want [100, 204] (999 is only named in "
          "204/stat)" % sorted(procs))
    check(not procs[204]["eligible"] and procs[204]["reason"].startswith(
        "unreadable /proc/204/stat"), "204: %r" % procs[204]["reason"])


@test
def test_fixture_plain_file_named_like_a_pid():
    """A plain file named like a pid in the /proc tree: skipped or unreadable, never eligible."""
    d, _, _, _ = proc_fixture()
    procs = by_pid(read_json("--proc", d, "--all"))
    check(240 not in procs or not procs[240]["eligible"], "file 240 eligible: %r"
          % procs.get(240))


@test
def test_fixture_good_ones_ranked():
    """The well-formed processes of a fixture tree are ranked with the exact kernel arithmetic,
    a comm holding ") (" and a newline included."""
    d, _, _, _ = proc_fixture()
    data = read_json("--proc", d)
    check(data["totalpages"] == FIXTURE_TOTALPAGES, "totalpages %d, want %d"
          % (data["totalpages"], FIXTURE_TOTALPAGES))
    check(eligible_pids(data) == [102, 100, 101, 103, 230, 231],
          "order %s" % eligible_pids(data))
    procs = by_pid(data)
    for pid, kb, adj in ((100, 100 * 1024, 0), (101, 50 * 1024, 0), (102, 20 * 1024, 500),
                         (103, 10 * 1024, 0)):
        want = kb // PAGE_KB + adj * (FIXTURE_TOTALPAGES // 1000)
        p = procs[pid]
        check(p["badness"] == want, "pid %d badness %d, want %d" % (pid, p["badness"], want))
        check(p["score"] == p["kernel_score"], "pid %d score %d, fixture's oom_score %d"
              % (pid, p["score"], p["kernel_score"]))
    check(procs[103]["comm"] == "a) (b\nc", "comm %r" % procs[103]["comm"])
    check(procs[100]["cgroup"] == "/fixture", "cgroup %r" % procs[100]["cgroup"])


@test
def test_fixture_kernel_exclusions():
    """init, a kernel thread, oom_score_adj -1000 and a zombie are never chosen, each for its
    named reason (the -1000 rule can only be tested here: lowering adj needs CAP_SYS_RESOURCE)."""
    d, _, _, _ = proc_fixture()
    procs = by_pid(read_json("--proc", d, "--all"))
    for pid, reason in ((1, "init"), (2, "kernel thread"), (300, "oom_score_adj -1000"),
                        (301, "no memory left")):
        p = procs.get(pid)
        check(p and not p["eligible"] and p["reason"].startswith(reason),
              "pid %d: %r" % (pid, p and p["reason"]))
        check(p["badness"] is None, "pid %d has badness %r" % (pid, p["badness"]))
    check(procs[2]["kthread"], "pid 2 not shown as a kernel thread")
    r = explain(300, "--proc", d)
    check(r.rc == 0 and "chosen       no: oom_score_adj -1000" in r.out, r.describe() + r.out)


@test
def test_fixture_table_one_line_per_process():
    """The table of a fixture with a newline in a comm keeps one line per process."""
    d, bad, missing, optional = proc_fixture()
    rows, order, r = read_table("--proc", d, "--all")
    json_pids = [p["pid"] for p in read_json("--proc", d, "--all")["processes"]]
    check(order == json_pids, "table rows %s, JSON %s" % (order, json_pids))
    check(rows[103]["comm"] == "a) (b\\x0ac", "comm shown as %r" % rows[103]["comm"])
    for pid in bad:
        check(rows[pid]["reason"].startswith("unreadable"), "row %r" % rows[pid]["line"])
    r = explain(103, "--proc", d)
    check(r.rc == 0 and "rank         4 of 6 candidates" in r.out, r.describe() + r.out)
    r = explain(200, "--proc", d)
    check(r.rc == 0 and "chosen       no: unreadable /proc/200/status" in r.out,
          r.describe() + r.out)


@test
def test_fixture_without_meminfo_exit_1():
    """A tree without meminfo, or with one lacking MemTotal: exit 1 with a message."""
    for name, meminfo in (("none", None), ("no MemTotal", "SwapTotal: 0 kB\n"),
                          ("garbage", "MemTotal: lots\n"), ("empty", "")):
        d = tempfile.mkdtemp(prefix="oomreaper-e2e-proc-")
        atexit.register(lambda d=d: subprocess.run(["rm", "-rf", d]))
        make_proc_tree(d, {100: good_proc(100, "big", 1024)}, meminfo=meminfo)
        for args in (["list", "--proc", d], ["list", "--json", "--proc", d],
                     ["explain", "100", "--proc", d]):
            r = run_tool(*args)
            check(r.rc == 1 and "meminfo" in r.err and not r.out,
                  "meminfo %s: %s, stdout %r" % (name, r.describe(), r.out[:100]))


# A machine running thousands of processes makes each scan take seconds under the sanitizers
CHURN_BUDGET = 20
CHURN_MIN_SCANS = 5


@test
def test_processes_vanishing_mid_scan():
    """While some 200 short-lived processes come and go, list always exits 0 with valid JSON."""
    cg = make_cgroup()
    # rounds of 200 processes living 0.1 to 0.5 s each, started as fast as sh can fork
    churn = ("while :; do i=0; while [ $i -lt 200 ]; do sleep 0.$((i % 5 + 1)) & "
             "i=$((i + 1)); done; wait; done")
    p = subprocess.Popen(["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec sh -c "$1"',
                          cg, churn], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    helpers.append(p)
    check(wait_for(lambda: len(cgroup_procs(cg)) > 20, timeout=10), "no churn in %s" % cg)
    vanished = seen = scans = 0
    deadline = time.monotonic() + CHURN_BUDGET
    # the whole machine 20 times; every fourth time also the cgroup, whose walk races too
    for i in range(20):
        if i >= CHURN_MIN_SCANS and time.monotonic() > deadline:
            note("stopped after %d scans of the machine: the %d s budget is spent (%d processes "
                 "on this machine)" % (i, CHURN_BUDGET, machine))
            break
        for args in [["--all"]] + ([["--cgroup", cg, "--all"]] if i % 4 == 0 else []):
            data = read_json(*args)
            if args == ["--all"]:
                machine = len(data["processes"])
            for q in data["processes"]:
                check(q["eligible"] or q["reason"], "excluded without reason: %r" % q)
                vanished += (q["reason"] or "").startswith("vanished")
            seen += len(data["processes"])
            scans += 1
    note("%d entries over %d scans, %d of them vanished during the scan"
         % (seen, scans, vanished))


# ---------------------------------------------------------------------------------------------
# The tests of `oomreaper kill` and of `oomreaper run` live in their own modules, on this
# harness: they import it as "run", which must be this module even when it runs as __main__

sys.modules.setdefault("run", sys.modules[__name__])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_kill  # noqa: E402,F401
import test_judge  # noqa: E402,F401
import test_run  # noqa: E402,F401
import test_decide  # noqa: E402,F401
import test_input  # noqa: E402,F401
import test_rules  # noqa: E402,F401
import test_faults  # noqa: E402,F401
import test_install  # noqa: E402,F401
import test_journal  # noqa: E402,F401
import test_docs  # noqa: E402,F401
import test_group  # noqa: E402,F401
import test_k8s  # noqa: E402,F401
import test_see  # noqa: E402,F401
import test_react  # noqa: E402,F401
import test_speed  # noqa: E402,F401
import test_cgpolicy  # noqa: E402,F401
import test_chosen  # noqa: E402,F401


# ---------------------------------------------------------------------------------------------


def main():
    for name, path in (("OOMREAPER", OOMREAPER), ("HELPERS", HELPERS)):
        if not os.path.exists(path):
            print("FAIL setup: %s=%s does not exist" % (name, path))
            print("e2e: 0 passed, 1 failed, 0 skipped")
            return 1
    become_subreaper()
    atexit.register(remove_cgroups)
    # a SIGTERM or SIGINT to the runner still removes what it made
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    only = set(sys.argv[1:])
    passed = failed = skipped = 0
    start = time.monotonic()
    for fn in TESTS:
        if only and fn.__name__ not in only:
            continue
        notes.clear()
        began = time.monotonic()
        try:
            try:
                fn()
            finally:
                leftovers = remove_cgroups()
            check(not leftovers, "cleanup: " + "; ".join(leftovers))
            print("ok %s" % fn.__name__)
            passed += 1
        except Skip as e:
            print("SKIP %s: %s" % (fn.__name__, e))
            skipped += 1
        except Failure as e:
            print("FAIL %s: %s" % (fn.__name__, e))
            failed += 1
        except Exception as e:
            print("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
            for line in traceback.format_exc().splitlines():
                print("#   " + line)
            failed += 1
        if time.monotonic() - began > 3:
            note("took %.1f s" % (time.monotonic() - began))
        for line in notes:
            print("#   " + line)
        sys.stdout.flush()
    print("# %.1f s" % (time.monotonic() - start))
    print("e2e: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
