"""End-to-end tests of the [rule] sections against hostile processes and hostile patterns: a
rule costs nothing at kill time whatever the text it meets, and a process cannot make a rule
take it for another (comm, argv, a cmdline past what the rule reads, a mount namespace of its
own that shows a protected path as its exe).

run.py imports this module and runs its tests on its harness; every daemon is started by
test_run's Daemon (only ever on a cgroup made here) inside daemon_test, which stops it whatever
happens. Processes run as nobody live in the test's cgroups like the others, and are killed
and removed with them.
"""

import os
import shutil
import subprocess
import tempfile
import time

from run import (HELPERS, OOMREAPER, Failure, Skip, cgroup_procs, check, helpers, note,
                 read_file, start_in, test, tool_result, wait_for, write_file)
from test_kill import Watched
from test_run import Daemon, bad_config_run, daemon_test, oom_cgroup, run_check

NOBODY = 65534
HOG = os.path.join(HELPERS, "hog")


def conf_file(tmp, text):
    path = os.path.join(tmp, "rules.conf")
    write_file(path, text)
    return path


def as_nobody(*args):
    """The helper's command run as nobody (uid and gid 65534, no groups), through setpriv."""
    return ("/usr/bin/setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
            "--clear-groups") + args


def start(cg, *argv):
    """argv (an absolute program and its arguments) started in cg; waits for its "ready".
    Returns its pid, held by a Watched."""
    p, _ = start_in(cg, argv[0], *argv[1:])
    return Watched(p.pid)


def first_kill(cg, conf, mem_min="50%"):
    """A daemon on cg with conf and mem_min (which the test's hogs breach): its first kill
    event; exactly one kill within a second after it."""
    d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", mem_min)
    kill = d.wait_event("kill", timeout=15)
    time.sleep(1)
    check(len(d.events("kill")) == 1, "more than one kill: %s" % d.events("kill"))
    d.stop_cleanly()
    return kill, d


# ---------------------------------------------------------------------------------------------
# A rule costs nothing at kill time


@daemon_test
def test_backreference_rule_refused_at_its_line():
    """A rule `regex = (a*)*\\1b` (a back-reference: glibc's backtracking took 5.8 s from the
    sample to the SIGKILL against a process with 160 'a's in its argv): `check-config` and
    `run` exit 2 naming FILE:LINE, the regex and why; the daemon never starts and the hog
    that carries the 'a's lives."""
    cg = oom_cgroup(256)
    hog = start(cg, HOG, 20, "--tag", "a" * 160)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-rules-")
    try:
        conf = conf_file(tmp, "[oomreaper]\ndeadline = 1\n\n[rule slow]\nmatch = cmdline\n"
                              "regex = (a*)*\\1b\naction = ignore\n")
        want = "%s:6: regex = '(a*)*\\1b'" % conf
        for how, r in (("check-config", run_check(conf)),
                       ("run", bad_config_run("--config", conf, "--cgroup", cg))):
            check(r.rc == 2 and want in r.err and "back-reference" in r.err and
                  "started" not in r.err, "%s: exit %d, stderr %r, want %r" % (how, r.rc, r.err,
                                                                             want))
        note(run_check(conf).err.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(hog.alive(), "the hog was killed")


@test
def test_explosive_regex_checked_at_once():
    """`regex = (a*++++++++++++++++)*b` (glibc's regcomp ran over 60 s and took 870 MB on it)
    and counted repetitions that write out past the limit: check-config answers each within a
    second, under 64 MB, the first accepted, the others refused with FILE:LINE and why."""
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-rules-")
    cases = [("(a*++++++++++++++++)*b", 0, ""),
             ("((a{9}){9}){9}", 2, "more than 128 characters"),
             ("((((){255}){255}){255}){255}", 2, "too many repetitions")]
    try:
        for regex, rc, says in cases:
            conf = conf_file(tmp, "[rule x]\nmatch = cmdline\nregex = %s\n" % regex)
            began = time.monotonic()
            p = subprocess.Popen([OOMREAPER, "check-config", conf], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            # wait4: this child's own peak RSS (its output is far less than a pipe holds)
            while True:
                pid, status, usage = os.wait4(p.pid, os.WNOHANG)
                if pid or time.monotonic() - began > 10:
                    break
                time.sleep(0.005)
            if not pid:
                p.kill()
                p.wait()
                raise Failure("check-config on %r still running after 10 s" % regex)
            took = time.monotonic() - began
            p.returncode = os.waitstatus_to_exitcode(status)
            out, err = p.stdout.read(), p.stderr.read()
            p.stdout.close()
            p.stderr.close()
            maxrss_kb = usage.ru_maxrss
            r = tool_result(["check-config", conf], p.returncode, out, err)
            check(r.rc == rc and says in r.err, "%r: %s" % (regex, r.describe()))
            if rc:
                check("%s:3: regex = '%s'" % (conf, regex) in r.err, r.describe())
            check(took < 1, "%r: %.1f s" % (regex, took))
            check(maxrss_kb < 64 * 1024, "%r: check-config reached %d kB" % (regex, maxrss_kb))
            note("%r: exit %d in %.0f ms, peak RSS %d kB" % (regex, r.rc, took * 1000,
                                                              maxrss_kb))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Twenty rules on every key, the patterns glibc finds hardest among those it has without
# back-references, and texts made for them
HARD_RULES = "".join(
    "[rule r%d]\nmatch = %s\nregex = %s\naction = %s\n%s\n" % (i, field, regex, action, extra)
    for i, (field, regex, action, extra) in enumerate([
        ("cmdline", "(a*)*b", "avoid", "users = root"),
        ("cmdline", "(a|aa)*c$", "avoid", "users = root"),
        ("cmdline", "((a+)+)+b", "prefer", ""),
        ("cmdline", "(.?){60}b", "prefer", ""),
        ("cmdline", "(a{1,9}){1,9}b", "prefer", ""),
        ("cmdline", "^(a?){20}(a){20}$", "prefer", ""),
        ("comm", "^(x|y)+z$", "prefer", ""),
        ("comm", "[[:digit:]]{5}", "prefer", ""),
        ("cgroup", "(.*)*nomatch$", "avoid", "users = root"),
        ("cgroup", "^/(a|b|c|d)+/", "prefer", ""),
        ("exe", "^/usr/sbin/(sshd|cron|systemd-[a-z]+)$", "ignore", "users = root"),
        ("exe", "(a|aa)*c$", "prefer", ""),
        ("uid", "^(1|2|3)+$", "prefer", ""),
        ("user", "^nomatch$", "avoid", ""),
        ("cmdline", "(.*a){20}z", "prefer", ""),
        ("cmdline", "[^a]{3}x", "prefer", ""),
        ("cmdline", "\\w+\\s\\S+q$", "prefer", ""),
        ("comm", "(a*)*b", "prefer", ""),
        ("cgroup", "((x*)*)*y", "prefer", ""),
        ("cmdline", "(aa|a)+(bb|b)+c", "prefer", ""),
    ]))


# Processes besides the hogs in the hard rules' test: prefer rules may lift any of them, and
# judging them all at the kill was what cost seconds at 10,000
SLEEPERS = 2000


@daemon_test
def test_hard_rules_on_hostile_text_kill_at_once():
    """Twenty rules on every key (prefer rules among them, which may lift any process), with
    the patterns glibc's matcher finds hardest, 2,000 sleepers, and hogs whose argv holds 160
    'a's, 4 KiB of them, and 2 MB of them: the largest hog is killed, first by a daemon
    without rules, then (a new largest hog) by one with the twenty. From the sample that
    fired to the SIGKILL (the daemon's own sample_to_kill_us) the rules add under 50 ms, room
    for a busy machine: they add nothing measurable when idle. Judging every process at the
    kill added 220 ms here under the sanitizers, 4 s at 10,000 processes: the verdicts are
    judged ahead, off the kill path."""
    cg = oom_cgroup(4096)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-rules-")
    big_argv = [HOG, 70] + ["--tag", "a" * 100000] * 20
    try:
        # forks without an exec: 2,000 shell-started sleeps took over 20 s on a loaded machine
        start_in(cg, "forker", SLEEPERS + 1)
        check(wait_for(lambda: len(cgroup_procs(cg)) >= SLEEPERS, timeout=60),
              "forker made %d of %d sleepers" % (len(cgroup_procs(cg)), SLEEPERS))
        # 256 MiB of room past what the sleepers take (their kernel memory is charged here)
        usage = int(read_file(os.path.join(cg, "memory.usage_in_bytes")))
        write_file(os.path.join(cg, "memory.limit_in_bytes"), str(usage + (256 << 20)))
        small = start(cg, HOG, 40, "--tag", "a" * 160)
        middle = start(cg, HOG, 50, *(["--tag", "a" * 4000]))
        kills = []
        for text in ("", HARD_RULES):
            big = start(cg, *big_argv)
            conf = conf_file(tmp, "[oomreaper]\ndeadline = 1\n\n" + text)
            kill, _ = first_kill(cg, conf, mem_min="128M")
            check(kill["pid"] == big.pid, "killed %r, want the 70 MiB hog %d" % (kill,
                                                                                 big.pid))
            check(wait_for(big.gone), "the victim lives")
            kills.append(kill)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(small.alive() and middle.alive(), "another hog was killed")
    plain, ruled = (k["sample_to_kill_us"] for k in kills)
    note("%d processes, a 2 MB cmdline: sample to SIGKILL %d us without rules, %d us with "
         "twenty" % (SLEEPERS + 4, plain, ruled))
    check(ruled - plain < 50000, "the rules added %d us: %d us without, %d us with"
          % (ruled - plain, plain, ruled))


# ---------------------------------------------------------------------------------------------
# A rule a process cannot steer


@test
def test_check_config_warns_on_rules_a_process_steers():
    """An `ignore` rule on comm and an `avoid` rule on cmdline: check-config (exit 0) warns
    about each on stderr with FILE:LINE, naming why (a process sets its comm and writes its
    cmdline itself); rules on exe, cgroup, user, and a comm rule limited by `users =`, do not
    warn."""
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-rules-")
    try:
        conf = conf_file(tmp, "[rule named]\nmatch = comm\nregex = ^sshd$\naction = ignore\n"
                              "\n[rule argv]\nmatch = cmdline\nregex = postgres\n"
                              "action = avoid\nweight = 500\n"
                              "\n[rule safe]\nmatch = exe\nregex = ^/usr/sbin/sshd$\n"
                              "action = ignore\n"
                              "\n[rule mine]\nmatch = comm\nregex = ^sshd$\naction = ignore\n"
                              "users = root\n"
                              "\n[rule jobs]\nmatch = cgroup\nregex = ^/jobs/\naction = avoid\n"
                              "\n[rule admins]\nmatch = user\nregex = ^root$\naction = avoid\n")
        r = run_check(conf)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(r.rc == 0, r.describe())
    lines = r.err.strip().splitlines()
    want = ["%s:2: warning: [rule named] ignores, but matches only on comm" % conf,
            "%s:7: warning: [rule argv] avoids, but matches only on cmdline" % conf]
    check(len(lines) == 2 and all(l.startswith(w) for l, w in zip(lines, want)),
          "stderr %r, want two lines starting %r" % (r.err, want))
    note(lines[0])


def kill_with_exe_rule(cg, tmp, extra=""):
    """The first kill of a daemon on cg whose one rule ignores the processes that run the hog
    binary (match = exe), with the extra keys."""
    conf = conf_file(tmp, "[oomreaper]\ndeadline = 1\n\n[rule hog]\nmatch = exe\n"
                          "regex = ^%s$\naction = ignore\n%s" % (HOG, extra))
    return first_kill(cg, conf)[0]


def copy_of_hog(tmp):
    """A copy of the hog binary that nobody may run, in tmp (made searchable)."""
    os.chmod(tmp, 0o755)
    path = os.path.join(tmp, "hog")
    shutil.copy(HOG, path)
    os.chmod(path, 0o755)
    return path


@daemon_test
def test_exe_rule_not_claimed_by_comm_argv_or_a_copy():
    """`ignore` on `match = exe` (the hog binary's path) with `users = root`: root's hog, the
    largest, is ignored; nobody's copy of the binary, with the same comm and the real path as
    its argv[0], and nobody's run of the real binary (not root's) are not: the larger of them
    is killed."""
    cg = oom_cgroup(256)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-rules-")
    try:
        copy = copy_of_hog(tmp)
        root_hog = start(cg, HOG, 70)
        # the copy runs with argv[0] the real path: exec -a, through bash
        claims = start(cg, *as_nobody("/bin/bash", "-c", 'exec -a "$0" "$1" 60 --comm hog',
                                      HOG, copy))
        theirs = start(cg, *as_nobody(HOG, 30))
        kill = kill_with_exe_rule(cg, tmp, "users = root\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(kill["pid"] == claims.pid, "killed %r, want nobody's copy %d (root's %d, nobody's "
          "real hog %d)" % (kill, claims.pid, root_hog.pid, theirs.pid))
    check(root_hog.alive() and theirs.alive(), "another hog was killed")
    with open("/proc/%d/cmdline" % theirs.pid, "rb") as f:
        check(f.read().startswith(HOG.encode()), "nobody's hog is not the real binary")


@daemon_test
def test_exe_rule_not_fooled_by_a_mount_namespace():
    """nobody, in a user and mount namespace of its own, bind-mounts a copy of the hog over the
    hog's path and runs it there: /proc/PID/exe reads as the hog's path. An `ignore` rule on
    that path (no users =) ignores root's real hog, but not the impostor, the largest: it is
    the one killed."""
    cg = oom_cgroup(256)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-rules-")
    try:
        copy = copy_of_hog(tmp)
        real = start(cg, HOG, 60)
        userns = subprocess.run(as_nobody("/usr/bin/unshare", "-Urm", "/bin/true"),
                                capture_output=True)
        if userns.returncode:
            raise Skip("nobody cannot make a user namespace here: %r" % userns.stderr)
        fake = start(cg, *as_nobody("/usr/bin/unshare", "-Urm", "/bin/sh", "-c",
                                    'mount --bind "$0" "$1" && exec "$1" 80', copy, HOG))
        check(os.readlink("/proc/%d/exe" % fake.pid) == HOG, "the impostor's exe reads %r"
              % os.readlink("/proc/%d/exe" % fake.pid))
        kill = kill_with_exe_rule(cg, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(kill["pid"] == fake.pid, "killed %r, want the impostor %d (real hog %d)"
          % (kill, fake.pid, real.pid))
    check(real.alive(), "the real hog was killed")


@daemon_test
def test_long_cmdline_cannot_reach_an_end_anchored_rule():
    """An `ignore` rule ` --safe$` on cmdline. A hog whose cmdline is 2 MB long, cut by the
    rule's read (its first 4,096 bytes) right after " --safe", is not ignored: the cut is no
    end. Killed first as the largest; a hog whose short cmdline does end in " --safe" is
    ignored, though larger than the third. The daemon warns on stderr that the rule matches
    only on what a process writes itself."""
    cg = oom_cgroup(256)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-rules-")
    try:
        head = [HOG, "80", "--tag"]
        used = sum(len(a) + 1 for a in head)
        pad = "x" * (4095 - used - len(" --safe")) + " --safe"
        long_one = start(cg, *(head + [pad] + ["--tag", "y" * 100000] * 20))
        with open("/proc/%d/cmdline" % long_one.pid, "rb") as f:
            text = f.read()
        check(len(text) > 2000000 and text[:4095].endswith(b" --safe"),
              "cmdline of %d bytes, its first 4095 ending %r" % (len(text), text[4085:4095]))
        safe = start(cg, HOG, 60, "--tag", "z --safe")
        third = start(cg, HOG, 40)
        conf = conf_file(tmp, "[oomreaper]\ndeadline = 1\n\n[rule safe]\nmatch = cmdline\n"
                              "regex = --safe$\naction = ignore\n")
        kill, d = first_kill(cg, conf)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check("%s:5: warning: [rule safe] ignores, but matches only on cmdline" % conf in d.err(),
          "run did not warn: %r" % d.err()[-600:])
    check(kill["pid"] == long_one.pid, "killed %r, want the long one %d (safe %d, third %d)"
          % (kill, long_one.pid, safe.pid, third.pid))
    check(safe.alive() and third.alive(), "another hog was killed")


def exec_after_judged(*policy):
    """A shell judged by a daemon on a cgroup (a dry run, with policy's flags), which then
    execs the hog binary, 200 MiB, that an `ignore` rule on `match = exe` names, beside a
    70 MiB copy of the hog (another path). Returns (the would_kill event, the copy's pid,
    the hog's pid)."""
    from test_kill import usage_bytes
    from test_run import set_limit
    cg = oom_cgroup(1024)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-rules-")
    try:
        copy = start(cg, copy_of_hog(tmp), 70)
        wrapper = subprocess.Popen(
            ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" || exit 125\nread go\nexec "$@"',
             cg, HOG, "200"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        helpers.append(wrapper)
        check(wait_for(lambda: wrapper.pid in cgroup_procs(cg)), "the shell is not in %s" % cg)
        # 320 MiB left: the band (2 x 130 MiB) is reached only once the hog has grown
        set_limit(cg, usage_bytes(cg) // (1 << 20) + 320)
        conf = conf_file(tmp, "[oomreaper]\ndeadline = 1\n\n[rule hog]\nmatch = exe\n"
                              "regex = ^%s$\naction = ignore\n" % HOG)
        d = Daemon("--dry-run", "--config", conf, "--cgroup", cg, "--mem-min", "130M",
                   "--horizon", 0, *policy)
        d.wait_started()
        time.sleep(1.5)     # judged at start-up, and a refresh a second later
        wrapper.stdin.write(b"go\n")
        wrapper.stdin.flush()
        check(wrapper.stdout.readline().startswith(b"ready"), "the hog did not get ready")
        check(os.readlink("/proc/%d/exe" % wrapper.pid) == HOG, "the shell did not exec")
        would = d.wait_event("would_kill", timeout=10)
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return would, copy.pid, wrapper.pid


@daemon_test
def test_exe_rule_holds_for_a_process_that_execs_the_binary_after_it_was_judged():
    """`ignore` on `match = exe` (the hog binary's path): a shell waits in the cgroup while the
    daemon starts and judges it (no rule matches /bin/sh), then execs the hog, the largest. At
    the trigger the victim is the copy of the hog beside it: the hog is ignored as what it
    runs now. The daemon once kept each process's verdict, judged ahead, for as long as its
    pid and start time stayed, which an exec keeps: the hog was chosen as the shell it had
    been (a wrapper script that execs a service starts as a shell). The same under
    --policy fastest-growing, whose choice judges everyone from the memos and where the hog is
    the fastest grower, and under --policy largest-cgroup, where processes of the scope's own
    cgroup rank alone (its selection once checked the winner's sharers, not its verdict)."""
    for policy in ((), ("--policy", "fastest-growing"), ("--policy", "largest-cgroup")):
        would, copy, hog_pid = exec_after_judged(*policy)
        check(would["pid"] == copy, "%s: would kill %s %d, want the copy %d, not the hog %d "
              "that the rule ignores" % (" ".join(policy) or "largest", would["comm"],
                                         would["pid"], copy, hog_pid))
