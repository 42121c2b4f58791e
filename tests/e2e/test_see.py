"""End-to-end tests of what the daemon shows of itself: `oomreaper status` over its socket,
`oomreaper top` in a real terminal (tmux), and its Prometheus metrics file scraped by a real
node_exporter.

run.py imports this module and runs its tests with its harness (cgroups, helpers, cleanup);
every daemon is started through test_run's Daemon, which only ever watches cgroups made here.
The clients of these tests connect only to the sockets of the daemons they started.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

from run import (OOMREAPER, Failure, Skip, check, hog, made_cgroups, make_cgroup, note,
                 read_file, run_tool, tool_result, wait_for, write_file)
from test_kill import Watched
from test_run import (MIB, Daemon, bad_config_run, check_never_at_limit, daemon_test, grower,
                      oom_cgroup)

REQUEST = b"snapshot\n"


def status(sock, *args, timeout=15):
    """`oomreaper status --socket SOCK ARGS`: its Result."""
    argv = ["status", "--socket", sock] + list(args)
    p = subprocess.run([OOMREAPER] + argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    return tool_result(argv, p.returncode, p.stdout, p.stderr)


def status_json(sock):
    r = status(sock, "--json")
    check(r.rc == 0, "status --json: " + r.describe())
    try:
        return json.loads(r.out)
    except ValueError as e:
        raise Failure("status --json: invalid JSON (%s): %r" % (e, r.out[:500]))


def watched_daemon(cg, *args, **kw):
    """A daemon on cg serving its status at a socket of its own directory: (daemon, socket)."""
    d = Daemon("--cgroup", cg, *args, **kw)
    args = [str(a) for a in args]
    sock = (args[args.index("--socket") + 1] if "--socket" in args
            else os.path.join(d.dir, "socket"))
    d.wait_started()
    check(os.path.exists(sock), "no socket at %s: %s" % (sock, d.err()[-800:]))
    mode = os.stat(sock).st_mode & 0o777
    check(mode == 0o600, "socket %s has mode %o, want 600" % (sock, mode))
    return d, sock


def memcg_available_bytes(cg):
    """limit - (usage - inactive_file), as the daemon counts a v1 cgroup's available memory."""
    limit = int(read_file(os.path.join(cg, "memory.limit_in_bytes")))
    usage = int(read_file(os.path.join(cg, "memory.usage_in_bytes")))
    stat = dict(line.split() for line in read_file(os.path.join(cg, "memory.stat")).splitlines())
    return limit - (usage - int(stat.get("total_inactive_file", 0)))


def scope_of(data, cg):
    found = [s for s in data["scopes"] if s["path"] == cg]
    check(len(found) == 1, "no scope %s in %s" % (cg, [s["path"] for s in data["scopes"]]))
    return found[0]


def kill_a_grower(d, cg, rate=300):
    """A grower in cg until the daemon kills it: (its pid, the kill event)."""
    g = grower(cg, rate, 2000)
    w = Watched(g.pid)
    kill = d.wait_event("kill", timeout=20)
    check(kill["pid"] == g.pid, "killed %r, want the grower %d" % (kill, g.pid))
    check(wait_for(w.gone, timeout=5), "the grower %d is still there" % g.pid)
    return g.pid, kill


@daemon_test
def test_status_shows_the_daemons_scope_and_its_kill():
    """status against a daemon on a 256 MiB cgroup: text and --json name the scope, its total
    is the cgroup's limit, available is the cgroup's (limit - usage + inactive file, within
    8 MiB), the levels are 5 % / 10 % / 20 % of it, no kill yet; after a grower is killed, the
    kill is counted under the trigger that fired, and the last kill names the grower, with its
    sample-to-kill time and its exit or reap."""
    cg = oom_cgroup(256)
    hog(cg, 20)
    d, sock = watched_daemon(cg)
    time.sleep(1.2)     # a sample or two of the hog
    data = status_json(sock)
    sc = scope_of(data, cg)
    check(data["pid"] == d.pid, "status of pid %s, want %d" % (data["pid"], d.pid))
    check(sc["kind"] == "cgroup-v1", "kind %r" % sc["kind"])
    check(sc["total_bytes"] == 256 * MIB, "total %d, want %d" % (sc["total_bytes"], 256 * MIB))
    avail = memcg_available_bytes(cg)
    check(abs(sc["available_bytes"] - avail) < 8 * MIB, "available %d, the cgroup's %d"
          % (sc["available_bytes"], avail))
    lv = sc["levels"]
    for key, pct in (("mem_kill_bytes", 5), ("mem_min_bytes", 10), ("band_bytes", 20)):
        want = 256 * MIB * pct // 100
        check(abs(lv[key] - want) <= 1024, "%s %d, want %d" % (key, lv[key], want))
    check(sc["kills_total"] == 0 and sc["last_kill"] is None and data["kills"] == 0,
          "kills before any: %r" % sc)
    check(data["rss_kb"] > 0 and data["uptime_s"] > 0, "rss/uptime: %r" % data)
    text = status(sock)
    check(text.rc == 0 and cg in text.out and "available" in text.out
          and "last kill: none" in text.out, "status text: " + text.describe() + text.out)

    pid, kill = kill_a_grower(d, cg)
    trig = d.events("trigger")[0]["trigger"]
    check(wait_for(lambda: d.events("exit", pid=pid) or d.events("reap", pid=pid)),
          "neither exit nor reap of %d" % pid)
    time.sleep(0.3)

    def settled():
        last = scope_of(status_json(sock), cg)["last_kill"]
        return last and (last["exited_ms"] >= 0 or last["reaped_ms"] >= 0)
    check(wait_for(settled, timeout=5), "the last kill never showed its exit or reap")
    data = status_json(sock)
    sc = scope_of(data, cg)
    last = sc["last_kill"]
    check(sc["kills_total"] == 1 and sc["kills"][trig] == 1 and data["kills"] == 1,
          "kills after one by %s: %r" % (trig, sc["kills"]))
    check(last["pid"] == pid and last["comm"] == "grow" and last["trigger"] == trig,
          "last kill %r, want %d (grow) by %s" % (last, pid, trig))
    check(last["sample_to_kill_us"] == kill["sample_to_kill_us"],
          "sample_to_kill_us %d, the kill event's %d" % (last["sample_to_kill_us"],
                                                          kill["sample_to_kill_us"]))
    check(data["recent_kills"] and data["recent_kills"][0]["pid"] == pid,
          "recent kills %r" % data["recent_kills"])
    text = status(sock)
    check(text.rc == 0 and "last kill: %d (grow) %s" % (pid, trig) in text.out,
          "status text after the kill: " + text.out)
    check_never_at_limit(cg)
    d.stop_cleanly()
    check(not os.path.exists(sock), "the socket %s outlived its daemon" % sock)
    note("last kill: %r" % last)


@daemon_test
def test_status_shows_the_victim_chosen_ahead():
    """A grower at 50 MiB/s stops at 215 MiB in a 256 MiB cgroup, in the warning band (under
    51.2 MiB available, above mem_min's 25.6) beside a 10 MiB hog: status shows the grower as
    the victim chosen ahead, with its badness and its lead over the hog, the state "warning
    band", and nobody killed."""
    cg = oom_cgroup(256)
    small = hog(cg, 10)
    # no horizon: the grower stops 5 MiB above mem_min, and a fill rate still counting its
    # growth (a loaded machine samples late) would predict the crossing and kill it
    d, sock = watched_daemon(cg, "--horizon", 0)
    g = grower(cg, 50, 215)
    ahead = []

    def chosen():
        sc = scope_of(status_json(sock), cg)
        ahead[:] = [sc]
        return (sc["victim_ahead"] is not None and sc["victim_ahead"]["pid"] == g.pid
                and sc["state"] == "warning band")
    check(wait_for(chosen, timeout=15, step=0.2), "no victim chosen ahead in the warning band: "
          "%r" % ahead)
    sc = ahead[0]
    v = sc["victim_ahead"]
    check(v["comm"] == "grow" and v["badness"] > 0, "victim ahead %r" % v)
    check(v["lead"] is None or 0 < v["lead"] <= v["badness"], "lead %r" % v)
    check(sc["state"] == "warning band" and sc["available_bytes"] < sc["levels"]["band_bytes"],
          "state %r, available %d" % (sc["state"], sc["available_bytes"]))
    check(not d.events("kill"), "killed: %r" % d.events("kill"))
    text = status(sock).out
    check("victim ahead: %d (grow) badness %d" % (g.pid, v["badness"]) in text or
          "victim ahead: %d (grow)" % g.pid in text, "status text: " + text)
    d.stop_cleanly()
    note("victim ahead %r beside hog %d" % (v, small))


def hostile_clients(sock):
    """A client that asks and never reads, one that sends garbage, one that sends half a
    request and stalls, and 100 that connect at once and say nothing: their sockets."""
    held = []
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.connect(sock)
    s.sendall(REQUEST)
    held.append(s)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(b"\x00\xff garbage \x1b[2J" * 8 + b"\n")
    held.append(s)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(b"snap")
    held.append(s)
    for _ in range(100):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(sock)
        except BlockingIOError:
            pass
        held.append(s)
    return held


def kill_time(with_clients):
    """A daemon on a 384 MiB cgroup, a grower at 300 MiB/s, with or without hostile clients
    on its socket through the fill: the kill's sample_to_kill_us, after checking that the
    cgroup never reached its limit."""
    cg = oom_cgroup(384)
    d, sock = watched_daemon(cg)
    held = hostile_clients(sock) if with_clients else []
    try:
        _, kill = kill_a_grower(d, cg)
        check_never_at_limit(cg)
        if with_clients:
            # still serving, the hostile ones still connected
            data = status_json(sock)
            check(scope_of(data, cg)["kills_total"] == 1, "status after the kill: %r" % data)
            held += hostile_clients(sock)
            check(status(sock).rc == 0, "no answer to a good client among 100 idle ones")
        check(d.p.poll() is None, "the daemon ended: " + d.err()[-800:])
    finally:
        for s in held:
            s.close()
    d.stop_cleanly()
    return kill["sample_to_kill_us"]


@daemon_test
def test_hostile_status_clients_do_not_delay_a_kill():
    """A client that asks and never reads, one that sends garbage, one that stalls half-way
    and 100 that connect at once and say nothing: the daemon still kills a grower before the
    cgroup's limit, its sample-to-kill time stays under 100 ms (measured beside a run without
    them), and it still answers a good client, during the flood and after it."""
    quiet = kill_time(False)
    hostile = kill_time(True)
    note("sample to kill: %d us without clients, %d us with 103 hostile ones" % (quiet, hostile))
    check(0 <= hostile < 100000, "sample to kill %d us with hostile clients (%d without)"
          % (hostile, quiet))


def cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    f = read_file("/proc/%d/stat" % pid).rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


@daemon_test
def test_status_socket_out_of_fds_does_not_spin():
    """The daemon's open-file limit lowered (prlimit) to 3 above what it holds: 20 clients that
    connect and say nothing exhaust it, and accept(2) fails with EMFILE while the listening
    socket stays readable. The daemon does not spin on it (under 0.3 s of CPU in 2 s), and once
    the clients are gone a good client is answered again."""
    if not shutil.which("prlimit"):
        raise Skip("NO PRLIMIT (util-linux)")
    cg = oom_cgroup(128)
    d, sock = watched_daemon(cg)
    held = len(os.listdir("/proc/%d/fd" % d.pid))
    r = subprocess.run(["prlimit", "--pid", str(d.pid), "--nofile=%d:%d" % (held + 3, held + 3)],
                       capture_output=True, text=True)
    check(r.returncode == 0, "prlimit: %s" % r.stderr)
    clients = []
    try:
        for _ in range(20):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock)
            clients.append(s)
        time.sleep(0.5)
        before = cpu_seconds(d.pid)
        time.sleep(2)
        spent = cpu_seconds(d.pid) - before
    finally:
        for s in clients:
            s.close()
    note("%d fds held, limit %d: %.2f s of CPU in 2 s with 20 idle clients" % (held, held + 3,
                                                                           spent))
    check(spent < 0.3, "the daemon spent %.2f s of CPU in 2 s: it spins on its listening socket"
          % spent)
    check(wait_for(lambda: status(sock).rc == 0, timeout=5, step=0.5),
          "no answer once the clients were gone: " + status(sock).describe())
    check(d.p.poll() is None, "the daemon ended: " + d.err()[-800:])
    d.stop_cleanly()


@daemon_test
def test_status_errors_are_clear():
    """status with no daemon: exit 1 and the socket named; a client of another user, the
    socket's mode opened wide, is not answered (SO_PEERCRED); a second daemon on a served
    socket, or on a path that is a regular file: exit 2 with the reason, nothing started;
    socket = no: no socket; a socket left by a daemon that died is taken over."""
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-see-")
    try:
        missing = os.path.join(tmp, "none")
        r = status(missing)
        check(r.rc == 1 and missing in r.err and "oomreaper run" in r.err,
              "status without a daemon: " + r.describe())
        cg = oom_cgroup(128)
        d, sock = watched_daemon(cg)
        if shutil.which("setpriv"):
            # the mode opened wide: the daemon still answers only root and its own user
            os.chmod(d.dir, 0o755)
            os.chmod(sock, 0o666)
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                OOMREAPER, "status", "--socket", sock], capture_output=True,
                               text=True, timeout=15)
            check(p.returncode == 1 and "without an answer" in p.stderr,
                  "status as nobody: exit %d, %r" % (p.returncode, p.stderr))
            os.chmod(sock, 0o600)
        second = Daemon("--cgroup", cg, "--socket", sock, log_json=False)
        second.p.wait(timeout=10)
        r = second.stop()
        check(r.rc == 2 and "another oomreaper" in r.err, "second daemon: " + r.describe())
        check(status(sock).rc == 0, "the first daemon's socket was taken")
        d.stop_cleanly()
        plain = os.path.join(tmp, "plain")
        write_file(plain, "x")
        third = Daemon("--cgroup", cg, "--socket", plain, log_json=False)
        third.p.wait(timeout=10)
        r = third.stop()
        check(r.rc == 2 and "not a socket" in r.err and read_file(plain) == "x",
              "socket at a regular file: " + r.describe())
        # a dead daemon's socket: bound, never listened on, as after a SIGKILL
        stale = os.path.join(tmp, "stale")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(stale)
        s.close()
        d, _ = watched_daemon(cg, "--socket", stale)
        check(status(stale).rc == 0, "the stale socket was not taken over: " + d.err())
        d.stop_cleanly()
        d = Daemon("--cgroup", cg, "--socket", "no")
        d.wait_started()
        check(not os.path.exists(os.path.join(d.dir, "socket")), "a socket with socket = no")
        d.stop_cleanly()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@daemon_test
def test_status_and_top_usage():
    """status and top: --help exits 0 with their usage; an unknown option or an extra argument
    exits 2 with a message; run refuses a relative socket, a socket path too long for a unix
    socket and a metrics file not named *.prom, with status 2 and the reason, before starting."""
    for cmd in ("status", "top"):
        r = run_tool(cmd, "--help")
        check(r.rc == 0 and r.out.startswith("Usage: oomreaper %s" % cmd) and not r.err,
              "%s --help: %s" % (cmd, r.describe()))
        for bad, says in ((["--bogus"], "Usage"), (["extra"], "unexpected argument 'extra'")):
            r = run_tool(cmd, *bad)
            check(r.rc == 2 and says in r.err and not r.out, "%s %s: %s" % (cmd, bad,
                                                                           r.describe()))
    cg = oom_cgroup(64)
    for args, says in ((["--socket", "rel/sock"], "want an absolute path"),
                       (["--socket", "/" + "s" * 120], "107 bytes"),
                       (["--metrics-file", "/tmp/oomreaper.txt"], "ending in .prom")):
        r = bad_config_run("--cgroup", cg, *args)
        check(r.rc == 2 and says in r.err, "run %s: %s" % (args, r.describe()))


# ---------------------------------------------------------------------------------------------
# top, in a real terminal


def tmux(*args):
    return subprocess.run(["tmux"] + list(args), capture_output=True, text=True, timeout=10)


@daemon_test
def test_top_draws_the_scope_and_quits_on_q_and_sigint():
    """top in a 120x40 tmux pane: the screen shows the daemon's scope, its total and its
    levels and the bar, and the scope's largest candidate (a 30 MiB hog); q quits with status 0 and gives the screen back; a second top quits
    on Ctrl-C (SIGINT) with status 0 too."""
    if not shutil.which("tmux"):
        raise Skip("NO TMUX: install tmux (the Makefile's DEBS) to test top")
    cg = oom_cgroup(256)
    big = hog(cg, 30)
    d, sock = watched_daemon(cg)
    name = "oomreaper-e2e-top-%d" % os.getpid()
    # the second top starts on Enter, once the first one's exit has been read
    script = ("%s top --socket %s; echo top-q-$?; read go; %s top --socket %s; echo top-c-$?; "
              "sleep 60" % (OOMREAPER, sock, OOMREAPER, sock))
    r = tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", "bash", "-c", script)
    check(r.returncode == 0, "tmux new-session: %s" % r.stderr)
    try:
        def screen():
            return tmux("capture-pane", "-p", "-t", name).stdout

        check(wait_for(lambda: cg[-40:] in screen(), timeout=10),
              "top never showed the scope: %r" % screen())
        shown = screen()
        check("of 256.0 MiB" in shown and "mem_kill 12.8, mem_min 25.6, band 51.2" in shown
              and "[" in shown and "M" in shown and "largest:  %d (hog)" % big in shown,
              "top's numbers: %r" % shown)
        tmux("send-keys", "-t", name, "q")
        check(wait_for(lambda: "top-q-0" in screen(), timeout=5),
              "top did not quit on q: %r" % screen())
        tmux("send-keys", "-t", name, "Enter")
        check(wait_for(lambda: cg[-40:] in screen(), timeout=10),
              "the second top did not start: %r" % screen())
        tmux("send-keys", "-t", name, "C-c")
        check(wait_for(lambda: "top-c-0" in screen(), timeout=5),
              "top did not quit on SIGINT: %r" % screen())
        note("top's screen: %r" % shown.strip().splitlines()[:8])
    finally:
        tmux("kill-session", "-t", name)
    d.stop_cleanly()


# ---------------------------------------------------------------------------------------------
# Prometheus: the metrics file scraped by a real node_exporter

EXPORTER = "prometheus-node-exporter"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def prom_label(value):
    """A label value as the exposition format writes it."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def prom_samples(text):
    """The samples of an exposition page: {(name, frozenset of (label, value))}: value}, the
    label values unescaped; node_exporter sorts labels and writes numbers its own way."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        labels = frozenset((k, re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n"
                                      else e.group(1), v))
                           for k, v in LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def sample(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return r.read().decode("utf-8", "replace")


def start_exporter(directory):
    """A real node_exporter on 127.0.0.1 whose textfile collector reads directory, answering:
    (its Popen, its port). Skips the test when it is not installed."""
    exporter = shutil.which(EXPORTER)
    if not exporter:
        raise Skip("NO NODE EXPORTER: install prometheus-node-exporter (the Makefile's DEBS) "
                   "to test the metrics file")
    port = free_port()
    ex = subprocess.Popen([exporter, "--web.listen-address=127.0.0.1:%d" % port,
                           "--collector.textfile.directory=" + directory,
                           "--collector.disable-defaults", "--collector.textfile"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    page = []

    def scraped():
        try:
            page[:] = [scrape(port)]
            return True
        except OSError:
            return ex.poll() is not None
    if not (wait_for(scraped, timeout=15) and page):
        why = ex.stderr.read().decode()[-800:] if ex.poll() is not None else "running"
        stop_exporter(ex)
        raise Failure("node_exporter never answered: %s" % why)
    return ex, port


def stop_exporter(ex):
    ex.terminate()      # our own child
    try:
        ex.wait(timeout=5)
    except subprocess.TimeoutExpired:
        ex.kill()
        ex.wait()


@daemon_test
def test_metrics_scraped_by_node_exporter_after_a_kill():
    """A daemon on a cgroup whose name holds a quote and a backslash writes --metrics-file
    into a directory a real node_exporter's textfile collector reads: after a grower is
    killed, the scraped page holds oomreaper_kills_total for that scope (the label escaped)
    and trigger at 1, the sample-to-kill histogram with one observation, the levels, the
    build info, and node_textfile_scrape_error 0; no temporary file is left beside it; every
    metric contrib/grafana-dashboard.json queries is on the page."""
    parent = make_cgroup()
    cg = os.path.join(parent, 'odd"name\\x')
    os.mkdir(cg)
    made_cgroups.append(cg)
    write_file(os.path.join(cg, "memory.limit_in_bytes"), str(384 * MIB))
    write_file(os.path.join(cg, "memory.oom_control"), "1")
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-prom-")
    prom = os.path.join(tmp, "oomreaper.prom")
    ex = None
    try:
        ex, port = start_exporter(tmp)
        d, sock = watched_daemon(cg, "--metrics-file", prom)
        check(wait_for(lambda: os.path.exists(prom), timeout=5), "no metrics file")
        pid, kill = kill_a_grower(d, cg)
        trig = d.events("trigger")[0]["trigger"]
        want = 'oomreaper_kills_total{scope="%s",trigger="%s"} 1' % (prom_label(cg), trig)
        check(wait_for(lambda: want in read_file(prom), timeout=3),
              "the metrics file never counted the kill: %r" % read_file(prom)[:1500])
        page = scrape(port)
        got = prom_samples(page)
        for name, labels, value in (
                ("oomreaper_kills_total", {"scope": cg, "trigger": trig}, 1),
                ("oomreaper_sample_to_kill_seconds_count", {}, 1),
                ("oomreaper_select_seconds_count", {}, 1),
                ("oomreaper_level_bytes", {"scope": cg, "level": "mem_min"}, 384 * MIB // 10),
                ("oomreaper_total_bytes", {"scope": cg}, 384 * MIB),
                ("oomreaper_build_info", {"version": status_json(sock)["version"]}, 1),
                ("oomreaper_reap_failures_total", {"reason": "unable"}, 0),
                ("oomreaper_victims_stuck_total", {}, 0),
                ("node_textfile_scrape_error", {}, 0)):
            # levels are whole kB
            check(sample(got, name, **labels) is not None and
                  abs(sample(got, name, **labels) - value) < 1024, "the scraped page has %s%r = %r, "
                  "want %r:\n%s" % (name, labels, sample(got, name, **labels), value,
                                    page[-3000:]))
        start = sample(got, "oomreaper_start_time_seconds")
        check(start and abs(start - time.time()) < 120, "start time %r" % start)
        s2k = sample(got, "oomreaper_sample_to_kill_seconds_sum")
        check(abs(s2k - kill["sample_to_kill_us"] / 1e6) < 1e-6, "sample to kill sum %r, the "
              "kill event's %d us" % (s2k, kill["sample_to_kill_us"]))
        # the Grafana dashboard asks only for what the daemon writes
        dash = os.path.join(os.path.dirname(__file__), "..", "..", "contrib",
                            "grafana-dashboard.json")
        names = {n for p in json.load(open(dash))["panels"] for t in p["targets"]
                 for n in re.findall(r"oomreaper_[a-z_]+", t["expr"])}
        written = {name for name, _ in got}
        check(names and names <= written, "the dashboard asks for %s, not written"
              % sorted(names - written))
        check(os.listdir(tmp) == ["oomreaper.prom"], "beside the metrics file: %s"
              % os.listdir(tmp))
        check_never_at_limit(cg)
        d.stop_cleanly()
        note("scraped: %s" % [ln for ln in page.splitlines()
                              if ln.startswith("oomreaper_kills_total") and ln.endswith(" 1")
                              or ln.startswith("oomreaper_sample_to_kill_seconds_sum")])
    finally:
        if ex:
            stop_exporter(ex)
        shutil.rmtree(tmp, ignore_errors=True)
