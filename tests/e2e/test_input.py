"""End-to-end tests of what oomreaper does with hostile input: logs that stay true (the JSON log
never reached through a symlink, its write failures said; JSON lines always valid and kill
lines whole with the longest cgroup paths), comm escaped wherever it is printed, numbers and
lines of the configuration checked to the letter.

run.py imports this module and runs its tests with its harness; the daemons are started by
test_run's Daemon, which only ever runs on a cgroup made here or in --dry-run.
"""

import os
import re
import shutil
import signal
import tempfile

from run import (OOMREAPER, Failure, check, explain, hog, made_cgroups, make_cgroup, note,
                 run_tool, wait_for, write_file)
from test_run import Daemon, bad_config_run, daemon_test, grower, oom_cgroup, run_check
from test_kill import Watched

# A comm that would forge a line, clear the terminal (ESC [ 2 J) and pass an 8-bit CSI and
# a byte that is not UTF-8: 15 bytes, all the kernel keeps
FORGING_COMM = b"a\nPID 1 (x)\x1b[2J"
CSI_COMM = b"b\x9b2J\xff"


def cleaned(comm):
    """What the one cleaner (src/text.c) makes of comm: controls, C1 and bytes that are not
    UTF-8 as \\xHH, a backslash doubled."""
    out, i = "", 0
    while i < len(comm):
        for n in (4, 3, 2, 1):
            try:
                ch = comm[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                break
        else:
            ch = None
        if ch is None or ord(ch) < 0x20 or 0x7f <= ord(ch) < 0xa0:
            out += "\\x%02x" % comm[i]
            i += 1
        else:
            out += "\\\\" if ch == "\\" else ch
            i += len(ch.encode("utf-8"))
    return out


def long_cgroup(parent, length, unit):
    """Nested cgroups below parent, named of unit repeated (up to 200 bytes each), until the
    path is at least length bytes long; each is removed by the harness's cleanup."""
    path = parent
    while len(path) < length:
        name = (unit * (200 // len(unit) + 1))[:min(200, length - len(path))]
        path = os.path.join(path, name)
        os.mkdir(path)
        made_cgroups.append(path)
    return path


# ---------------------------------------------------------------------------------------------
# The JSON log's file


@daemon_test
def test_log_json_refuses_symlinks_and_files_of_others():
    """In a sticky world-writable directory (as /tmp): a symlink another user planted there
    towards a root-only file, a hard link to it, a FIFO, and a file of another user are each
    refused as --log-json (exit 2, the path and the reason, nothing started), and the root-only
    file is untouched; a new file is made (mode 0640) and an existing file of root's appended
    to."""
    cg = make_cgroup()
    hog(cg, 1)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-log-")
    try:
        os.chmod(tmp, 0o1777)
        target = os.path.join(tmp, "root-only")
        write_file(target, "secret\n")
        os.chmod(target, 0o600)
        link = os.path.join(tmp, "events.jsonl")
        os.symlink(target, link)
        os.lchown(link, 65534, 65534)
        hard = os.path.join(tmp, "hard.jsonl")
        os.link(target, hard)
        fifo = os.path.join(tmp, "fifo.jsonl")
        os.mkfifo(fifo)
        foreign = os.path.join(tmp, "foreign.jsonl")
        write_file(foreign, "")
        os.chown(foreign, 65534, 65534)
        problems = []
        for path, says in ((link, "a symlink: refused"), (hard, "has other hard links"),
                           (fifo, "not a regular file"), (foreign, "owned by another user")):
            r = bad_config_run("--cgroup", cg, "--dry-run", "--log-json", path)
            if r.rc != 2 or "--log-json %s: %s" % (path, says) not in r.err or \
                    "started" in r.err:
                problems.append("%s: exit %d, stderr %r" % (os.path.basename(path), r.rc,
                                                            r.err[-300:]))
        with open(target) as f:
            check(f.read() == "secret\n", "the root-only file was written through a link")
        check(not problems, "; ".join(problems))

        new = os.path.join(tmp, "new.jsonl")
        own = os.path.join(tmp, "own.jsonl")
        write_file(own, '{"event": "earlier"}\n')
        for path in (new, own):
            d = Daemon("--cgroup", cg, "--dry-run", "--log-json", path, log_json=False)
            check(wait_for(lambda: "started" in d.err() or d.p.poll() is not None, timeout=20),
                  "no start with --log-json %s: %r" % (path, d.err()[-300:]))
            d.stop_cleanly()
            with open(path) as f:
                lines = f.read().splitlines()
            events = [line for line in lines if '"event": "start"' in line]
            check(events, "no start event in %s: %r" % (path, lines))
        check(os.stat(new).st_mode & 0o777 == 0o640, "new log mode %o" % os.stat(new).st_mode)
        with open(own) as f:
            check(f.readline() == '{"event": "earlier"}\n', "the existing log was not appended")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@daemon_test
def test_log_json_write_failure_is_said_once_and_counted():
    """--log-json - with stdout on /dev/full (every write ENOSPC): the daemon says once on
    stderr that the JSON log cannot be written and why, keeps running (a SIGHUP reload
    still works), and when stopped says how many lines were lost (start, reload, stop: 3,
    and any trigger's)."""
    cg = make_cgroup(limit_mb=256)
    hog(cg, 1)
    d = Daemon("--cgroup", cg, "--dry-run", "--log-json", "-", log_json=False,
               stdout="/dev/full")
    check(wait_for(lambda: "started" in d.err() or d.p.poll() is not None, timeout=20),
          "no start: %r" % d.err()[-300:])
    d.p.send_signal(signal.SIGHUP)
    check(wait_for(lambda: "configuration reloaded" in d.err() or d.p.poll() is not None,
                   timeout=20), "no reload: %r" % d.err()[-500:])
    r = d.stop_cleanly()
    said = "cannot write the JSON log: No space left on device"
    check(r.err.count(said) == 1, "want %r once in stderr %r" % (said, r.err[-800:]))
    lost = re.search(r"stopping; (\d+) JSON log line\(s\) could not be written", r.err)
    check(lost and int(lost.group(1)) >= 3, "no count of the lost lines: %r" % r.err[-400:])


@daemon_test
def test_log_json_past_the_file_size_limit_is_counted_not_fatal():
    """A daemon under RLIMIT_FSIZE (ulimit -f 4: 2 KiB) whose JSON log already holds 2 KiB:
    each JSON write is EFBIG, said once and counted; not a SIGXFSZ that ends the daemon."""
    cg = make_cgroup(limit_mb=256)
    hog(cg, 1)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-fsize-")
    try:
        log = os.path.join(tmp, "full.jsonl")
        write_file(log, ('{"event": "earlier", "pad": "%s"}\n' % ("x" * 2000))[:2048])
        wrapper = os.path.join(tmp, "limited")
        write_file(wrapper, '#!/bin/sh\nulimit -f 4 || exit 125\nexec "$0.real" "$@"\n')
        os.chmod(wrapper, 0o755)
        os.symlink(OOMREAPER, wrapper + ".real")
        d = Daemon("--cgroup", cg, "--dry-run", "--log-json", log, log_json=False,
                   binary=wrapper)
        check(wait_for(lambda: "started" in d.err() or d.p.poll() is not None, timeout=20),
              "no start: exit %r, stderr %r" % (d.p.poll(), d.err()[-300:]))
        said = "cannot write the JSON log: File too large"
        wait_for(lambda: said in d.err() or d.p.poll() is not None, timeout=5)
        check(d.p.poll() is None, "the daemon ended: status %r" % d.p.poll())
        r = d.stop_cleanly()
        check(r.err.count(said) == 1, "want %r once in stderr %r" % (said, r.err[-600:]))
        check(os.path.getsize(log) == 2048, "the log grew past the limit")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Lines that stay true


@daemon_test
def test_kill_line_keeps_its_figures_with_a_long_cgroup_path():
    """A cgroup whose path is ~800 bytes (kubepods paths are ~400), with a run of 200
    backslashes (systemd writes '-' as \\x2d in unit names) right where the old JSON builder
    cut its 255 bytes of escape, and a grower whose comm holds a newline, ESC [ 2 J and an
    8-bit CSI: every JSON event parses, with every member (the scope cut to 512 bytes at
    most); the human kill line is one line that ends with the kernel's last fields (UID,
    pgtables, oom_score_adj), its path shortened at its start; no byte of stderr is a control
    byte or invalid UTF-8."""
    base = make_cgroup()
    # escaped, the run starts at an even offset of the scope string: its pairs then end at
    # 249, where the old cut of 255 bytes went back to, leaving half of one
    before = len("cgroup v1 ") + len(base) + 1
    check(before < 240, "the test's own cgroup path is too long (%d bytes)" % before)
    slashes = os.path.join(base, "x" * (before % 2) + "\\" * 200)
    os.mkdir(slashes)
    made_cgroups.append(slashes)
    pods = long_cgroup(slashes, 770, "kubepods-burstable-pod0f4d2c1e-")
    cg = oom_cgroup(256, parent=pods)
    check(len(cg) > 790, "path only %d bytes" % len(cg))
    bystander = Watched(hog(cg, 1))
    d = Daemon("--cgroup", cg, "--horizon", "0")
    d.wait_started()
    comm = b"g\n\x1b[2J\x9bz"
    g = grower(cg, 150, 1000, comm=comm)
    kill = d.wait_event("kill", timeout=20)
    check(kill["pid"] == g.pid, "killed %r, want the grower %d" % (kill, g.pid))
    check(kill["comm"] == comm.decode("latin-1"), "JSON comm %r" % kill["comm"])
    scope = "cgroup v1 " + cg
    check(scope.startswith(kill["scope"]) and 100 < len(kill["scope"].encode()) <= 512,
          "JSON scope %r is no cut of %r" % (kill["scope"][:80], scope[:80]))
    check(wait_for(Watched(g.pid).gone, timeout=5), "the grower is still there")
    check(bystander.alive(), "the bystander was killed")
    d.events()      # every line parses, or a Failure names it
    r = d.stop_cleanly()
    with open(d.err_path, "rb") as f:
        raw = f.read()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Failure("stderr is not UTF-8: %s" % e)
    bad = sorted({b for b in raw if b < 0x20 and b != 0x0a or b == 0x7f})
    check(not bad and b"\xc2\x9b" not in raw, "control bytes in stderr: %r" % bad)
    lines = [line for line in r.err.splitlines() if "Killed process %d " % g.pid in line]
    check(len(lines) == 1, "kill lines: %r" % lines)
    line = lines[0]
    check(line.startswith("oomreaper: ...") and line.endswith(" oom_score_adj:0"),
          "kill line cut: %r" % line[-200:])
    check("(%s) total-vm:" % cleaned(comm) in line and " UID:0 pgtables:" in line,
          "kill line %r" % line[-250:])
    note("%d-byte path; kill line of %d bytes: %s" % (len(cg), len(line.encode()),
                                                     line[:60] + "..." + line[-90:]))


@daemon_test
def test_comm_is_escaped_in_explain_and_kill():
    """A comm with a newline and ESC [ 2 J (it would forge a "PID 1" line and clear the
    terminal) and one with an 8-bit CSI and a byte that is not UTF-8: `explain` and
    `kill --dry-run` print them escaped (\\xHH), on the lines they belong to."""
    cg = make_cgroup()
    forger = hog(cg, 30, comm=FORGING_COMM)
    r = explain(forger, "--cgroup", cg)
    check(r.rc == 0, r.describe())
    first = r.out.splitlines()[0]
    want = "PID %d (%s), scope cgroup v1 %s" % (forger, cleaned(FORGING_COMM), cg)
    check(first == want, "explain's first line %r, want %r" % (first, want))
    check("\x1b" not in r.out and not any(line.startswith("PID 1 ")
                                            for line in r.out.splitlines()),
          "explain passed the comm raw: %r" % r.out[:300])
    r = run_tool("kill", "--cgroup", cg, "--dry-run")
    check(r.rc == 0, r.describe())
    want = "would kill %d (%s) badness" % (forger, cleaned(FORGING_COMM))
    check(r.out.startswith(want) and "\x1b" not in r.out and len(r.out.splitlines()) == 2,
          "kill --dry-run: %r, want %r..." % (r.out, want))
    csi = hog(cg, 60, comm=CSI_COMM)
    # run_tool fails on output that is not UTF-8: the raw 0x9b and 0xff would be
    r = run_tool("kill", "--cgroup", cg, "--dry-run")
    want = "would kill %d (%s) badness" % (csi, cleaned(CSI_COMM))
    check(r.rc == 0 and r.out.startswith(want), "kill --dry-run: %r, want %r..." % (r.out, want))
    r = explain(csi, "--cgroup", cg)
    check(r.rc == 0 and r.out.startswith("PID %d (%s)" % (csi, cleaned(CSI_COMM))),
          r.describe() + r.out[:200])
    check("ranks first" not in r.out, r.out)
    r = explain(forger, "--cgroup", cg)
    check("chosen       no: %d (%s) ranks first" % (csi, cleaned(CSI_COMM)) in r.out, r.out)


# ---------------------------------------------------------------------------------------------
# Numbers and lines of the configuration


@daemon_test
def test_bad_levels_are_refused_with_file_line_key_and_value():
    """Levels that passed and turned protection off: 99999999999999999999G and 0x1p1000G
    (the double overflowed), 10<NUL>% (read as 10 bytes), 1 % with mem_kill 20M in a 256 MiB
    cgroup (a mem_kill above mem_min across units), mem_min 1G above the cgroup's 256 MiB.
    `check-config` (for what it can tell without the cgroup), `run --config` and the same
    levels as flags exit 2 with FILE:LINE (or the flag), the key and the value; nothing
    starts. A SIGHUP to such a file is refused and the daemon keeps running."""
    cg = make_cgroup(limit_mb=256)
    bystander = Watched(hog(cg, 1))
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-levels-")
    problems = []
    try:
        cases = [
            ("huge", "[global]\nmem_min = 99999999999999999999G\n", True,
             ":2: mem_min = '99999999999999999999G': out of range"),
            ("hexfloat", "[global]\nmem_min = 0x1p1000G\n", True,
             ":2: mem_min = '0x1p1000G': want a share"),
            ("nul", "[global]\nmem_min = 10\0%\n", True, ":2: a NUL byte in the line"),
            ("units", "[global]\nmem_min = 1%\nmem_kill = 20M\n", False,
             ":3: [cgroup %s]: mem_kill = 20M is above mem_min = 1%% of the scope's 256M" % cg),
            ("above", "[global]\nmem_min = 1G\n", False,
             ":2: [cgroup %s]: mem_min = 1G is above the scope's memory, 256M" % cg),
        ]
        for name, text, static, says in cases:
            path = os.path.join(tmp, name + ".conf")
            write_file(path, text)
            runs = [("run", bad_config_run("--config", path, "--cgroup", cg))]
            if static:
                runs.append(("check-config", run_check(path)))
            for how, r in runs:
                if r.rc != 2 or path + says not in r.err or "started" in r.err:
                    problems.append("%s, %s: exit %d, stderr %r, want %r" % (
                        name, how, r.rc, r.err.strip()[-300:], path + says))
        for flags, says in (
                (["--mem-min", "99999999999999999999G"],
                 "--mem-min: mem_min = '99999999999999999999G': out of range"),
                (["--mem-min", "0x1p1000G"], "--mem-min: mem_min = '0x1p1000G': want a share"),
                (["--mem-min", "1%", "--mem-kill", "20M"],
                 "--mem-kill: [cgroup %s]: mem_kill = 20M is above mem_min = 1%%" % cg),
                (["--mem-min", "1G"], "--mem-min: [cgroup %s]: mem_min = 1G is above" % cg)):
            r = bad_config_run("--config", "/dev/null", "--cgroup", cg, *flags)
            if r.rc != 2 or says not in r.err or "started" in r.err:
                problems.append("%s: exit %d, stderr %r, want %r" % (" ".join(flags), r.rc,
                                                                     r.err.strip()[-300:], says))
        check(not problems, "; ".join(problems))
        # a reload to such a file is refused, the running levels kept
        path = os.path.join(tmp, "reload.conf")
        write_file(path, "[global]\nmem_min = 10%\nmem_kill = 5%\n")
        d = Daemon("--config", path, "--cgroup", cg, "--dry-run")
        d.wait_started()
        write_file(path, "[global]\nmem_min = 1%\nmem_kill = 20M\n")
        d.p.send_signal(signal.SIGHUP)
        says = "reload failed, keeping the running configuration: %s:3: [cgroup %s]: " \
               "mem_kill = 20M is above mem_min = 1%%" % (path, cg)
        check(wait_for(lambda: says in d.err() or d.p.poll() is not None, timeout=10),
              "no refused reload: %r" % d.err()[-600:])
        check(d.p.poll() is None, "the daemon ended on a bad reload")
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(bystander.alive(), "a bad level killed the bystander")


@daemon_test
def test_long_config_lines_work_and_longer_are_refused():
    """A [cgroup /PATH] header of a real 300-byte cgroup path and a 230-byte regex (libinih
    split both at 200 bytes: "without its ']'", "not a 'key = value' line"): check-config
    takes them, shows them whole, and counts the lines after them right; a dry-run daemon
    starts on the file. A line of 5000 bytes is refused with its length and its number."""
    base = make_cgroup()
    cg = long_cgroup(base, 300, "kubepods-besteffort-pod5e3b9c1a-")
    hog(cg, 1)
    # long in bytes, within the matcher's 128 positions (src/pattern.h)
    regex = "^(" + "|".join("w[%s]%02d" % ("0123456789abcdef" * 2, i) for i in range(6)) + ")$"
    check(len(regex) > 200, "regex of %d bytes" % len(regex))
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-lines-")
    try:
        text = ("[oomreaper]\ndeadline = 1\n\n[cgroup %s]\nmem_min = 10%%\n\n[rule workers]\n"
                "match = comm\nregex = %s\naction = avoid\n" % (cg, regex))
        good = os.path.join(tmp, "good.conf")
        write_file(good, text)
        r = run_check(good)
        check(r.rc == 0 and "[cgroup %s]\n" % cg in r.out and "regex = %s\n" % regex in r.out,
              "check-config: exit %d, stderr %r, stdout %r" % (r.rc, r.err[-300:], r.out[-600:]))
        bad = os.path.join(tmp, "bad.conf")
        write_file(bad, text + "bogus = 1\n")
        r = run_check(bad)
        check(r.rc == 2 and "%s:11: unknown key 'bogus'" % bad in r.err,
              "a key after the long lines: exit %d, stderr %r" % (r.rc, r.err[-300:]))
        longer = os.path.join(tmp, "longer.conf")
        write_file(longer, "[oomreaper]\nlog_json = %s\n" % ("x" * 4989))
        r = run_check(longer)
        check(r.rc == 2 and "%s:2: a line of 5000 bytes: at most 4096" % longer in r.err,
              "a 5000-byte line: exit %d, stderr %r" % (r.rc, r.err[-300:]))
        d = Daemon("--config", good, "--dry-run")
        d.wait_started()
        r = d.stop_cleanly()
        # the start line names the scopes; a path this long is shortened in it
        check("watching global, cgroup v1 " + cg[:120] in r.err,
              "the daemon did not watch the long cgroup: %r" % r.err[-400:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
