"""End-to-end tests of what the daemon tells and runs around a kill (issue 14): the kill
event's account of the choice and the trigger, the hooks (warn_exec, post_kill_exec), and the
desktop notifications through the events socket. The daemons are test_run's Daemon: only ever
on a cgroup made here or in a dry run, stopped whatever happens."""

import os
import re
import signal
import time

MIB = 1 << 20

from run import check, explain, hog, note, wait_for
from test_run import Daemon, daemon_test, grower, oom_cgroup


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


# ---------------------------------------------------------------------------------------------
# Hooks


def hook_script(d, name, body):
    """An executable /bin/sh script d/name running body; returns its path."""
    path = os.path.join(d.dir if hasattr(d, "dir") else d, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


def hook_config(path, scope_keys, timeout=None):
    """A configuration file: [oomreaper] hook_timeout, [global] the hook keys (the daemon's
    --cgroup takes the first scope's settings, hooks included)."""
    with open(path, "w") as f:
        f.write("[oomreaper]\n")
        if timeout is not None:
            f.write("hook_timeout = %s\n" % timeout)
        f.write("[global]\n")
        for k, v in scope_keys.items():
            f.write("%s = %s\n" % (k, v))
    return path


def hook_lines(d, what):
    return [l for l in d.err().splitlines() if re.match(r"oomreaper: hook\[\d+\]: " + what, l)]


def gone_or_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def tmpdir():
    import tempfile
    return tempfile.mkdtemp(prefix="oomreaper-e2e-hook-")


@daemon_test
def test_post_kill_hook_sees_the_kill_in_its_environment():
    """post_kill_exec with two arguments (one quoted, with a space): after the kill of the
    largest of two hogs (its comm holding a tab), the hook runs once with exactly its
    arguments and an environment of oomreaper's variables only: OOMREAPER_EVENT kill, the
    scope, the trigger, the victim's pid, comm (cleaned: the tab as \\x09), uid, RSS, cgroup,
    available memory and levels, the outcome; its output goes into the daemon's log."""
    import shutil
    t = tmpdir()
    try:
        hook = hook_script(t, "env-hook", 'env > "$1/env.$$"; printf "%s\\n" "$@" > "$1/args.$$"'
                           '; echo "hello from the hook"')
        conf = hook_config(os.path.join(t, "conf"),
                           {"post_kill_exec": "%s %s 'two words'" % (hook, t)})
        cg = oom_cgroup(512)
        big = hog(cg, 200, comm="ev\til")
        hog(cg, 100, comm="second")
        d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", "70%", "--horizon", 0)
        kill = d.wait_event("kill", timeout=10)
        check(kill["pid"] == big, "killed %r, want %d" % (kill, big))
        check(wait_for(lambda: any(f.startswith("env.") for f in os.listdir(t)), timeout=10),
              "the hook wrote nothing; stderr %r" % d.err()[-1500:])
        check(wait_for(lambda: hook_lines(d, "exited with status 0"), timeout=5),
              "no exit line: %r" % d.err()[-1500:])
        envs = [f for f in os.listdir(t) if f.startswith("env.")]
        check(len(envs) == 1, "the hook ran %d times, want 1: %s" % (len(envs), envs))
        with open(os.path.join(t, envs[0])) as f:
            env = dict(l.split("=", 1) for l in f.read().splitlines() if "=" in l)
        with open(os.path.join(t, "args." + envs[0][4:])) as f:
            args = f.read().splitlines()
        d.stop_cleanly()
        check(args == [t, "two words"], "arguments %r" % args)
        want = {"OOMREAPER_EVENT": "kill", "OOMREAPER_PID": str(big),
                "OOMREAPER_COMM": "ev\\x09il", "OOMREAPER_UID": "0",
                "OOMREAPER_TRIGGER": kill["trigger"]}
        for k, v in want.items():
            check(env.get(k) == v, "%s=%r, want %r; env %r" % (k, env.get(k), v, env))
        check(cg.endswith(env["OOMREAPER_SCOPE"].split(" ", 2)[-1]), "scope %r" % env)
        check(cg.endswith(env["OOMREAPER_CGROUP"]), "cgroup %r" % env)
        check(abs(int(env["OOMREAPER_RSS_KB"]) - kill["rss_kb"]) < 1024, "rss %r" % env)
        check(int(env["OOMREAPER_AVAILABLE_KB"]) < int(env["OOMREAPER_MEM_MIN_KB"]),
              "figures %r" % env)
        check(env.get("OOMREAPER_OUTCOME") in ("exited", "reaped"), "outcome %r" % env)
        extra = set(env) - set(k for k in env if k.startswith("OOMREAPER_")) - {"PATH", "PWD",
                                                                                 "SHLVL", "_"}
        check(not extra, "the daemon's environment leaked into the hook: %s" % sorted(extra))
        check(hook_lines(d, "hello from the hook"), "the hook's output is not in the log")
        note("hook env: %s" % " ".join("%s=%s" % (k[10:], v) for k, v in sorted(env.items())
                                       if k.startswith("OOMREAPER_")))
    finally:
        shutil.rmtree(t, ignore_errors=True)


@daemon_test
def test_hook_past_its_timeout_is_killed_and_reaped():
    """hook_timeout 1 s, a post_kill hook that starts a sleep of 60 s and waits for it: the
    daemon kills the hook and what it started (its session) a second after, says so, and
    reaps it: neither is left, not even as a zombie."""
    import shutil
    t = tmpdir()
    try:
        hook = hook_script(t, "slow-hook", 'sleep 60 & echo $! > "%s/sleep.pid"; echo $$ > '
                           '"%s/hook.pid"; wait' % (t, t))
        conf = hook_config(os.path.join(t, "conf"), {"post_kill_exec": hook}, timeout=1)
        cg = oom_cgroup(512)
        hog(cg, 200)
        d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", "70%", "--horizon", 0)
        d.wait_event("kill", timeout=10)
        check(wait_for(lambda: os.path.exists(os.path.join(t, "hook.pid")), timeout=10),
              "the hook did not start: %r" % d.err()[-1500:])
        t0 = time.monotonic()
        check(wait_for(lambda: hook_lines(d, "killed: still running after hook_timeout 1000 ms"),
                       timeout=10), "the hook was not killed: %r" % d.err()[-1500:])
        took = time.monotonic() - t0
        hook_pid = int(open(os.path.join(t, "hook.pid")).read())
        sleep_pid = int(open(os.path.join(t, "sleep.pid")).read())
        check(wait_for(lambda: not os.path.exists("/proc/%d" % hook_pid), timeout=5),
              "hook %d is still there (a zombie?)" % hook_pid)
        check(wait_for(lambda: gone_or_zombie(sleep_pid), timeout=5),
              "the hook's sleep %d lives on" % sleep_pid)
        check(d.p.poll() is None, "the daemon ended")
        d.stop_cleanly()
        note("killed %.1f s after it started" % took)
    finally:
        shutil.rmtree(t, ignore_errors=True)


def set_limit(cg, nbytes):
    with open(os.path.join(cg, "memory.limit_in_bytes"), "w") as f:
        f.write(str(nbytes))


@daemon_test
def test_warn_hook_once_per_band_entry():
    """mem_min 50 MiB (the warning band under 100 MiB available), a 100 MiB hog in a 512 MiB
    cgroup: the limit lowered to leave 80 MiB available (enter the band), kept 2 s (stay),
    raised back (leave), lowered again (enter): warn_exec ran twice, told the warning; nothing
    was killed."""
    import shutil
    t = tmpdir()
    try:
        hook = hook_script(t, "warn-hook", 'echo "$OOMREAPER_EVENT $OOMREAPER_TRIGGER '
                           '$OOMREAPER_AVAILABLE_KB $OOMREAPER_PID" >> "%s/warned"' % t)
        conf = hook_config(os.path.join(t, "conf"), {"warn_exec": hook})
        cg = oom_cgroup(512)
        h = hog(cg, 100)
        d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", "50M", "--horizon", 0)
        d.wait_started()

        def warned():
            try:
                with open(os.path.join(t, "warned")) as f:
                    return f.read().splitlines()
            except FileNotFoundError:
                return []
        usage = int(open(os.path.join(cg, "memory.usage_in_bytes")).read())
        for round_ in (1, 2):
            set_limit(cg, usage + 80 * MIB)         # enter
            check(wait_for(lambda: len(warned()) == round_, timeout=5),
                  "round %d: warned %r; stderr %r" % (round_, warned(), d.err()[-1500:]))
            time.sleep(2)                            # stay
            check(len(warned()) == round_, "warned again while in the band: %r" % warned())
            set_limit(cg, 512 * MIB)                # leave
            time.sleep(1.5)
        check(len(warned()) == 2, "warned %r, want 2" % warned())
        ev, trig, avail, pid = warned()[0].split(" ")
        check(ev == "warn" and trig == "warn" and 50 * 1024 < int(avail) < 100 * 1024,
              "told %r" % warned()[0])
        check(pid == str(h), "the victim chosen ahead: %r, want %d" % (pid, h))
        check(not d.events("kill"), "killed: %r" % d.events("kill"))
        d.stop_cleanly()
    finally:
        shutil.rmtree(t, ignore_errors=True)




@daemon_test
def test_hook_flooding_its_output_is_bounded():
    """A post_kill hook that writes 2 MB without a newline and 5,000 lines: its output in
    the log is at most 100 lines (cut at 256 bytes) and then counted; the next kill, of the
    second hog, comes at once after the first victim's exit, not after the hook."""
    import shutil
    t = tmpdir()
    try:
        hook = hook_script(t, "flood-hook", "head -c 2000000 /dev/zero | tr '\\0' x; "
                           "seq 5000; echo $$ > %s/done" % t)
        conf = hook_config(os.path.join(t, "conf"), {"post_kill_exec": hook}, timeout=30)
        cg = oom_cgroup(512)
        hog(cg, 200, comm="first")
        hog(cg, 150, comm="next")
        d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", "95%", "--horizon", 0)
        second = d.wait_event("kill", timeout=15, comm="next")
        first = d.events("kill", comm="first")[0]
        check(wait_for(lambda: hook_lines(d, "exited with status 0"), timeout=30),
              "the flooding hooks did not end: %r" % d.err()[-1500:])
        d.stop_cleanly()
        lines = [l for l in d.err().splitlines() if re.match(r"oomreaper: hook\[\d+\]: x", l)]
        per_hook = {}
        for l in lines:
            pid = l.split("]")[0]
            per_hook[pid] = per_hook.get(pid, 0) + 1
            check(len(l) < 300, "a line of %d bytes" % len(l))
        check(per_hook and max(per_hook.values()) <= 100, "lines per hook %r" % per_hook)
        check(hook_lines(d, r"exited with status 0 after \d+ ms; \d+ more line\(s\) of its "
                            r"output not written"), "no count: %r" % d.err()[-800:])
        gap = second["ts"] - first["ts"]
        check(gap < 2000, "the second kill came %d ms after the first" % gap)
        note("%d hook(s), %s lines logged; kills %d ms apart" % (len(per_hook), per_hook, gap))
    finally:
        shutil.rmtree(t, ignore_errors=True)


@daemon_test
def test_slow_hooks_do_not_delay_ten_kills():
    """Ten 30 MiB hogs in a 512 MiB cgroup with mem_min 95 %: ten kills in a row while the
    post_kill hook of each sleeps for 60 s (hook_timeout 10 s): all ten kills are done before
    the first hook ends (a kill that waited for a hook would wait 10 s), 4 hooks run at once
    and the other 6 are dropped and said so; at their timeout the 4 are killed and reaped
    (none left, not even as a zombie)."""
    import shutil
    t = tmpdir()
    try:
        hook = hook_script(t, "slow", 'echo $$ >> "%s/pids"; exec sleep 60' % t)
        conf = hook_config(os.path.join(t, "conf"), {"post_kill_exec": hook}, timeout=10)
        cg = oom_cgroup(512)
        for i in range(10):
            hog(cg, 30, comm="h%d" % i)
        d = Daemon("--config", conf, "--cgroup", cg, "--mem-min", "95%", "--horizon", 0)
        check(wait_for(lambda: len(d.events("kill")) == 10, timeout=20),
              "%d kills; stderr %r" % (len(d.events("kill")), d.err()[-1500:]))
        ended = hook_lines(d, "(exited|killed|ended)")
        check(not ended, "a hook ended before the tenth kill: %r" % ended)
        kills = d.events("kill")
        span = kills[-1]["ts"] - kills[0]["ts"]
        started, dropped = [], []

        def all_said():
            # the tenth victim's hook is due once it is gone: a moment after its kill
            started[:] = hook_lines(d, "started for kill")
            dropped[:] = [l for l in d.err().splitlines()
                          if "kill hook dropped: 4 hooks are running already" in l]
            return len(started) + len(dropped) == 10
        wait_for(all_said, timeout=5)
        check(len(started) == 4 and len(dropped) == 6, "started %d, dropped %d: %r"
              % (len(started), len(dropped), d.err()[-2000:]))
        check("(6 dropped so far)" in dropped[-1], "count: %r" % dropped[-1])
        check(wait_for(lambda: len(hook_lines(d, "killed: still running after hook_timeout "
                                                "10000 ms")) == 4, timeout=20),
              "the hooks were not killed: %r" % d.err()[-1500:])
        pids = [int(x) for x in open(os.path.join(t, "pids")).read().split()]
        check(wait_for(lambda: all(not os.path.exists("/proc/%d" % p) for p in pids),
                       timeout=5),
              "hooks left behind (zombies?): %s" % [p for p in pids
                                                    if os.path.exists("/proc/%d" % p)])
        d.stop_cleanly()
        note("ten kills in %d ms while 4 hooks of 60 s ran, 6 dropped" % span)
    finally:
        shutil.rmtree(t, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Desktop notifications: the events socket, `oomreaper notify`, a real notification server


DESKTOP_TOOLS = ("Xvfb", "dbus-daemon", "dunst", "dunstctl", "notify-send")


class Desktop:
    """A desktop of our own in a test cgroup: Xvfb, a private session bus, dunst on it. Its
    processes are children of ours, started in that cgroup; stop() ends them (pidfds)."""

    def __init__(self, cg, workdir):
        import subprocess
        self.procs = []
        self.cg = cg
        # a display number no X server holds (its socket and lock are not there)
        n = next(n for n in range(100 + os.getpid() % 400, 1000)
                 if not os.path.exists("/tmp/.X11-unix/X%d" % n)
                 and not os.path.exists("/tmp/.X%d-lock" % n))
        self.display = ":%d" % n
        self.x_log = os.path.join(workdir, "xvfb.log")
        with open(self.x_log, "wb") as log:
            self.x = self.start(["Xvfb", self.display, "-nolisten", "tcp", "-screen", "0",
                                 "640x480x24"], stderr=log)
        check(wait_for(lambda: os.path.exists("/tmp/.X11-unix/X%d" % n), timeout=20),
              "Xvfb did not start on %s: %r" % (self.display, open(self.x_log, "rb").read()[-800:]))
        p = self.start(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                        "--print-address=1"], stdout=subprocess.PIPE)
        check(wait_readable(p.stdout.fileno(), 20), "dbus-daemon gave no address")
        self.bus = p.stdout.readline().decode().strip()
        self.env = dict(os.environ, DISPLAY=self.display, DBUS_SESSION_BUS_ADDRESS=self.bus,
                        XDG_RUNTIME_DIR=workdir, HOME=workdir)
        self.dunst_log = os.path.join(workdir, "dunst.log")
        with open(self.dunst_log, "wb") as log:
            self.start(["dunst"], env=self.env, stderr=log)
        check(wait_for(lambda: self.ctl("is-paused").returncode == 0, timeout=20),
              "dunst did not come up on %s (display %s, Xvfb %s): %r %r" % (
                  self.bus, self.display, self.x.poll(), open(self.dunst_log, "rb").read()[-800:],
                  open(self.x_log, "rb").read()[-800:]))

    def start(self, argv, **kw):
        import subprocess
        script = 'echo $$ > "$0/cgroup.procs" || exit 125\nexec "$@"'
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        p = subprocess.Popen(["/bin/sh", "-c", script, self.cg] + argv,
                             stdin=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def ctl(self, *args):
        import subprocess
        return subprocess.run(["dunstctl"] + list(args), env=self.env, capture_output=True,
                              timeout=10)

    def history(self):
        """The notifications dunst has shown, closed first so that they are in its history:
        [(summary, body)]."""
        import json
        self.ctl("close-all")
        r = self.ctl("history")
        data = json.loads(r.stdout.decode() or "{}")
        out = []
        for n in (data.get("data") or [[]])[0]:
            out.append((n["summary"]["data"], n["body"]["data"]))
        return out

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.kill()            # our own child, in our test cgroup
                p.wait()


def wait_readable(fd, timeout):
    import select
    return bool(select.select([fd], [], [], timeout)[0])


@daemon_test
def test_kill_reaches_the_desktop_as_a_notification():
    """A real desktop: Xvfb, a private session bus, dunst (the notification server). The daemon
    offers its events on a socket (--events-socket); `oomreaper notify` in the session listens
    on it. (It shows the warning band's entry too, naming the victim chosen ahead.) A process
    growing to 300 MiB in a 512 MiB cgroup with mem_min 50 % is killed, and dunst has
    shown a notification whose summary names the process and its pid, and whose body says why
    (the trigger's figures and the scope)."""
    import shutil
    import subprocess
    from run import Skip, make_cgroup, OOMREAPER
    missing = [t for t in DESKTOP_TOOLS if not shutil.which(t)]
    if missing:
        raise Skip("no %s (Debian: xvfb dbus dunst libnotify-bin; make installs them)"
                   % ", ".join(missing))
    t = tmpdir()
    desk = None
    notifier = None
    try:
        desk = Desktop(make_cgroup(), t)
        sock = os.path.join(t, "events.sock")
        cg = oom_cgroup(512)
        d = Daemon("--cgroup", cg, "--mem-min", "50%", "--horizon", 0, "--events-socket", sock)
        d.wait_started()
        check(os.stat(sock).st_mode & 0o777 == 0o666, "socket mode %o" % os.stat(sock).st_mode)
        err_path = os.path.join(t, "notify.err")
        with open(err_path, "wb") as err:
            notifier = desk.start([OOMREAPER, "notify", "--socket", sock],
                                  env=desk.env, stdout=subprocess.PIPE, stderr=err)

        def notify_err():
            with open(err_path) as f:
                return f.read()
        check(wait_for(lambda: "listening on" in notify_err(), timeout=10),
              "notify did not connect: %r" % notify_err())
        # accepted by the daemon's loop (it wakes for the socket at once)
        time.sleep(0.3)
        victim = grower(cg, 200, 300, comm="memhog").pid
        kill = d.wait_event("kill", timeout=10)
        check(kill["pid"] == victim, "killed %r, want the hog %d" % (kill, victim))
        shown = []

        def killed_shown():
            shown[:] = desk.history()
            return [(s, b) for s, b in shown if "memhog (%d)" % victim in s]
        check(wait_for(killed_shown, timeout=15, step=0.3),
              "dunst shows no notification naming memhog (%d): %r; notify: %r"
              % (victim, shown, notify_err()))
        mine = killed_shown()
        summary, body = mine[0]
        check(summary == "oomreaper killed memhog (%d)" % victim, "summary %r" % summary)
        check(kill["trigger"] in body and "available" in body and cg.split("/")[-1] in body,
              "the body does not say why: %r" % body)
        d.stop_cleanly()
        note("dunst showed: %r / %r" % (summary, body))
    finally:
        if notifier and notifier.poll() is None:
            notifier.kill()
            notifier.wait()
        if desk:
            desk.stop()
        shutil.rmtree(t, ignore_errors=True)


@daemon_test
def test_idle_subscribers_never_delay_kills():
    """Eight clients connect to the events socket and never read, a ninth is closed at once
    (at most eight); then mem_min is raised to 95 % (a reload) over ten 30 MiB hogs in a
    512 MiB cgroup: they are killed one after the other all the same, within 10 s (about
    200 ms apart after a reload, with or without subscribers, on a quiet machine; a kill
    blocked on a subscriber would wait for ever)."""
    import shutil
    import socket
    t = tmpdir()
    clients = []
    try:
        sock = os.path.join(t, "events.sock")
        conf = os.path.join(t, "conf")
        with open(conf, "w") as f:
            f.write("[global]\nmem_min = 30%\nhorizon = 0\n")
        cg = oom_cgroup(512)
        for i in range(10):
            hog(cg, 30, comm="h%d" % i)
        d = Daemon("--config", conf, "--cgroup", cg, "--events-socket", sock)
        d.wait_started()
        for _ in range(9):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(sock)
            clients.append(c)
        clients[-1].settimeout(5)
        check(clients[-1].recv(100) == b"", "the ninth subscriber was not closed")
        # the first eight are held: nothing to read yet, and no end either
        clients[0].settimeout(0.3)
        try:
            data = clients[0].recv(100)
            check(False, "subscriber 1 was closed or sent %r" % data)
        except socket.timeout:
            pass
        with open(conf, "w") as f:
            f.write("[global]\nmem_min = 95%\nhorizon = 0\n")
        d.p.send_signal(signal.SIGHUP)      # our own child: the daemon under test
        check(wait_for(lambda: len(d.events("kill")) == 10, timeout=20),
              "%d kills; stderr %r" % (len(d.events("kill")), d.err()[-1500:]))
        kills = d.events("kill")
        span = kills[-1]["ts"] - kills[0]["ts"]
        check(span < 10000, "ten kills took %d ms" % span)
        d.stop_cleanly()
        note("ten kills in %d ms with 8 subscribers that never read (%s ms apart)"
             % (span, [b["ts"] - a["ts"] for a, b in zip(kills, kills[1:])]))
    finally:
        for c in clients:
            c.close()
        shutil.rmtree(t, ignore_errors=True)
