"""End-to-end tests of containers and Kubernetes: real v1 memory cgroups named as kubelet names
them (cgroupfs and systemd drivers) below a test cgroup, hogs in them with the oom_score_adj
kubelet gives each QoS class, and what list, explain and the daemon make of them; and the
DaemonSet of deploy/kubernetes, parsed and checked.

kubelet gives Guaranteed pods -997, which cannot be set here (no CAP_SYS_RESOURCE: an
oom_score_adj can only be raised): BestEffort's 1000 and a Burstable 500 stand for the order.

run.py imports this module and runs its tests on its harness; every daemon is test_run's Daemon
on a cgroup made here, inside daemon_test, which stops it whatever happens. The cgroups named
like kubelet's are made inside a test cgroup and registered with the harness, which empties
and removes them, children first.
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid

import run
import test_see
from run import (Failure, check, hog, note, read_json, run_tool, test, wait_for,
                 write_file)
from test_kill import Watched
from test_run import Daemon, daemon_test, grower, oom_cgroup, run_check

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DAEMONSET = os.path.join(TOP, "deploy", "kubernetes", "daemonset.yaml")


def nested(parent, *names):
    """parent/names[0]/names[1]/..., each made and registered for the harness's cleanup."""
    path = parent
    for name in names:
        path = os.path.join(path, name)
        if not os.path.isdir(path):
            os.mkdir(path)
            run.made_cgroups.append(path)
    return path


def new_pod():
    return str(uuid.uuid4()), secrets.token_hex(32)


def cgroupfs_container(cg, qos, uid, cid):
    """kubelet's cgroupfs driver: kubepods/[burstable|besteffort/]pod<UID>/<ID>"""
    return nested(cg, "kubepods", *([qos] if qos != "guaranteed" else []), "pod" + uid, cid)


def systemd_container(cg, qos, uid, cid):
    """kubelet's systemd driver with containerd: kubepods.slice/kubepods-<qos>.slice/
    kubepods-<qos>-pod<UID_>.slice/cri-containerd-<ID>.scope"""
    u = uid.replace("-", "_")
    if qos == "guaranteed":
        return nested(cg, "kubepods.slice", "kubepods-pod%s.slice" % u,
                      "cri-containerd-%s.scope" % cid)
    return nested(cg, "kubepods.slice", "kubepods-%s.slice" % qos,
                  "kubepods-%s-pod%s.slice" % (qos, u), "cri-containerd-%s.scope" % cid)


def first_kill(cg, *args):
    """A daemon on cg with args and mem_min 50 % (which the test's hogs breach): its first kill
    event; exactly one kill within a second after it."""
    d = Daemon("--cgroup", cg, "--mem-min", "50%", *args)
    kill = d.wait_event("kill", timeout=15)
    time.sleep(1)
    check(len(d.events("kill")) == 1, "more than one kill: %s" % d.events("kill"))
    d.stop_cleanly()
    return kill


@daemon_test
def test_besteffort_pod_chosen_by_kubelet_adj_and_named():
    """Two pods of equal size in kubelet's cgroupfs layout, BestEffort at oom_score_adj 1000 and
    Burstable at 500: the kernel's badness alone orders them by QoS, and the daemon kills the
    BestEffort one; its kill event names the pod's UID, its container's ID and its class, as
    `kill --dry-run --json` does.
    `list --json` and `explain` (text and --json) say the same of each; a cgroup named like a
    pod without its UID is said to be one, no pod is made up for it, nothing crashes."""
    cg = oom_cgroup(128)
    be_uid, be_cid = new_pod()
    bu_uid, bu_cid = new_pod()
    be = Watched(hog(cgroupfs_container(cg, "besteffort", be_uid, be_cid), 40, adj=1000))
    bu = Watched(hog(cgroupfs_container(cg, "burstable", bu_uid, bu_cid), 40, adj=500))
    bad = Watched(hog(nested(cg, "kubepods", "besteffort", "pod", secrets.token_hex(32)), 4,
                      adj=1000))

    data = read_json("--cgroup", cg)
    procs = {p["pid"]: p for p in data["processes"]}
    check(data["processes"][0]["pid"] == be.pid, "list ranks %s first, not the BestEffort "
          "pod's %d" % (data["processes"][0]["pid"], be.pid))
    for w, uid, cid, qos in ((be, be_uid, be_cid, "besteffort"),
                             (bu, bu_uid, bu_cid, "burstable")):
        p = procs.get(w.pid, {})
        got = (p.get("pod_uid"), p.get("container_id"), p.get("qos_class"))
        check(got == (uid, cid, qos), "list --json of %d: %r, want %r" % (w.pid, got,
                                                                          (uid, cid, qos)))
        check("unit" not in p, "a unit for a cgroupfs container: %r" % p.get("unit"))
    p = procs.get(bad.pid, {})
    check(not any(k in p for k in ("pod_uid", "qos_class", "container_id")),
          "a pod made up for a cgroup 'pod' without a UID: %r" % p)
    r = run_tool("explain", bad.pid, "--cgroup", cg)
    check(r.rc == 0 and "identity     a pod cgroup without its UID" in r.out,
          "explain of the UID-less pod: " + r.describe() + " " + r.out)
    r = run_tool("explain", be.pid, "--cgroup", cg)
    want = "identity     pod %s (besteffort), container %s" % (be_uid, be_cid)
    check(r.rc == 0 and want in r.out and "chosen       yes" in r.out,
          "explain of the BestEffort pod: %s, want %r in %r" % (r.describe(), want, r.out))
    r = run_tool("explain", bu.pid, "--cgroup", cg, "--json")
    check(r.rc == 0, r.describe())
    j = json.loads(r.out)
    got = (j.get("pod_uid"), j.get("container_id"), j.get("qos_class"), j.get("chosen"))
    check(got == (bu_uid, bu_cid, "burstable", False), "explain --json of the Burstable pod: "
          "%r" % j)

    r = run_tool("kill", "--cgroup", cg, "--dry-run", "--json")
    check(r.rc == 0, r.describe())
    v = json.loads(r.out)["victims"][0]
    got = (v["pid"], v.get("pod_uid"), v.get("container_id"), v.get("qos_class"))
    check(got == (be.pid, be_uid, be_cid, "besteffort"), "kill --dry-run --json: %r" % v)

    kill = first_kill(cg)
    got = (kill["pid"], kill.get("pod_uid"), kill.get("container_id"), kill.get("qos_class"))
    check(got == (be.pid, be_uid, be_cid, "besteffort"),
          "kill event %r, want the BestEffort pod %r" % (kill, (be.pid, be_uid, be_cid)))
    check(wait_for(be.gone, timeout=10) and bu.alive(), "BestEffort gone %s, Burstable alive "
          "%s" % (be.gone(), bu.alive()))


@daemon_test
def test_kill_names_its_pod_in_status_and_metrics_without_a_json_log():
    """A daemon with no --log-json (nothing asks it for events) on a cgroup holding a
    BestEffort pod in kubelet's cgroupfs layout, whose hog breaches mem_min: once it is killed,
    `status --json` gives its pod UID, container ID and QoS class in the scope's last kill and
    in the recent kills, the text status names them on the last kill's line, and a real
    node_exporter scraping the daemon's metrics file holds
    oomreaper_recent_kill_timestamp_seconds with those labels and the kill's time, the page
    read without error."""
    cg = oom_cgroup(128)
    uid, cid = new_pod()
    pid = hog(cgroupfs_container(cg, "besteffort", uid, cid), 80, adj=1000)
    w = Watched(pid)
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-k8s-prom-")
    prom = os.path.join(tmp, "oomreaper.prom")
    ex = None
    try:
        ex, port = test_see.start_exporter(tmp)
        before = time.time()
        d = Daemon("--cgroup", cg, "--mem-min", "50%", "--metrics-file", prom,
                   log_json=False)
        sock = os.path.join(d.dir, "socket")
        check(wait_for(lambda: "started:" in d.err() and os.path.exists(sock), timeout=10),
              "the daemon never started: %s" % d.err()[-800:])
        check(wait_for(w.gone, timeout=15), "the BestEffort hog %d was not killed: %s"
              % (pid, d.err()[-800:]))
        last = []

        def killed():
            last[:] = [test_see.scope_of(test_see.status_json(sock), cg)["last_kill"]]
            return last[0] is not None
        check(wait_for(killed, timeout=5), "status never showed the kill")
        want = {"pid": pid, "pod_uid": uid, "container_id": cid, "qos_class": "besteffort"}
        got = {k: last[0].get(k) for k in want}
        check(got == want and "unit" not in last[0], "status --json's last kill %r, want %r"
              % (last[0], want))
        recent = test_see.status_json(sock)["recent_kills"]
        check(recent and {k: recent[0].get(k) for k in want} == want,
              "status --json's recent kills %r" % recent)
        text = test_see.status(sock)
        line = [ln for ln in text.out.splitlines() if "last kill: %d (hog)" % pid in ln]
        check(text.rc == 0 and line and "pod_uid %s" % uid in line[0]
              and "container_id %s" % cid in line[0] and "qos_class besteffort" in line[0],
              "status text: %s %r" % (text.describe(), text.out))
        labels = {"scope": cg, "pid": str(pid), "comm": "hog", "pod_uid": uid,
                  "container_id": cid, "qos_class": "besteffort"}
        name = "oomreaper_recent_kill_timestamp_seconds"
        got = []

        def scraped():
            got[:] = [test_see.prom_samples(test_see.scrape(port))]
            return test_see.sample(got[0], name, **labels) is not None
        check(wait_for(scraped, timeout=5), "the scraped page has no %s%r: %r"
              % (name, labels, [k for k in got[0] if k[0] == name] if got else None))
        at = test_see.sample(got[0], name, **labels)
        check(before <= at <= time.time(), "kill time %r, the test ran from %r" % (at, before))
        check(test_see.sample(got[0], "node_textfile_scrape_error") == 0,
              "node_textfile_scrape_error is not 0")
        check(not os.path.exists(d.json_path), "a JSON log was written: %s" % d.json_path)
        d.stop_cleanly()
        note("last kill %r; scraped %s = %r" % (last[0], name, at))
    finally:
        if ex:
            test_see.stop_exporter(ex)
        shutil.rmtree(tmp, ignore_errors=True)


@daemon_test
def test_victim_chosen_ahead_names_its_pod_in_status():
    """A grower in a Burstable pod (kubelet's systemd layout) stops in the warning band of a
    256 MiB cgroup watched by a daemon with no --log-json: status (--json and text) names the
    victim chosen ahead with its pod UID, container ID and QoS class, and nobody is killed."""
    cg = oom_cgroup(256)
    uid, cid = new_pod()
    # no horizon, as test_see's test of the victim chosen ahead: a prediction may kill it
    d = Daemon("--cgroup", cg, "--horizon", 0, log_json=False)
    sock = os.path.join(d.dir, "socket")
    check(wait_for(lambda: "started:" in d.err() and os.path.exists(sock), timeout=10),
          "the daemon never started: %s" % d.err()[-800:])
    g = grower(systemd_container(cg, "burstable", uid, cid), 50, 215)
    ahead = []

    # in the band, where the grower stops: a victim chosen on its way there is dropped when
    # the state moves (the text status read next saw none)
    def chosen():
        sc = test_see.scope_of(test_see.status_json(sock), cg)
        ahead[:] = [sc["victim_ahead"]]
        return (sc["victim_ahead"] is not None and sc["victim_ahead"]["pid"] == g.pid
                and sc["state"] == "warning band")
    check(wait_for(chosen, timeout=15, step=0.2), "no victim chosen ahead: %r" % ahead)
    want = {"pod_uid": uid, "container_id": cid, "qos_class": "burstable"}
    got = {k: ahead[0].get(k) for k in want}
    check(got == want, "victim ahead %r, want %r" % (ahead[0], want))
    text = test_see.status(sock).out
    line = [ln for ln in text.splitlines() if "victim ahead: %d (grow)" % g.pid in ln]
    check(line and "pod_uid %s" % uid in line[0] and "qos_class burstable" in line[0],
          "status text: " + text)
    check(g.poll() is None and "Killed process" not in d.err(), "killed: %s" % d.err()[-800:])
    d.stop_cleanly()
    note("victim ahead %r" % ahead[0])


def qos_order_kill(how):
    """A bigger Burstable pod (60 MiB) and a smaller BestEffort one (30 MiB), both at
    oom_score_adj 500, in kubelet's systemd layout: the daemon's first victim, and both."""
    cg = oom_cgroup(160)
    bu_uid, bu_cid = new_pod()
    be_uid, be_cid = new_pod()
    bu = Watched(hog(systemd_container(cg, "burstable", bu_uid, bu_cid), 60, adj=500))
    be = Watched(hog(systemd_container(cg, "besteffort", be_uid, be_cid), 30, adj=500))
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-k8s-")
    try:
        args = []
        if how == "config":
            conf = os.path.join(tmp, "qos.conf")
            write_file(conf, "[global]\nqos_order = yes\n")
            r = run_check(conf)
            check(r.rc == 0 and "qos_order = yes" in r.out, "check-config: " + r.describe())
            args = ["--config", conf]
        elif how == "flag":
            args = ["--qos-order", "yes"]
        kill = first_kill(cg, *args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return kill, bu, be, (bu_uid, be_uid, be_cid)


@daemon_test
def test_qos_order_kills_smaller_besteffort_before_bigger_burstable():
    """Equal oom_score_adj: by badness the bigger Burstable pod is killed; with qos_order = yes
    ([global] of a file, or --qos-order yes) the smaller BestEffort one is, and its event
    names it (systemd driver: the UID's underscores back to dashes, the unit its scope)."""
    kill, bu, be, (bu_uid, _, _) = qos_order_kill(None)
    check(kill["pid"] == bu.pid and kill.get("qos_class") == "burstable" and
          kill.get("pod_uid") == bu_uid, "without qos_order: killed %r, want the Burstable "
          "pod %d" % (kill, bu.pid))
    for how in ("config", "flag"):
        kill, bu, be, (_, be_uid, be_cid) = qos_order_kill(how)
        check(kill["pid"] == be.pid, "qos_order by %s: killed %r, want the BestEffort pod %d "
              "(the Burstable one is %d)" % (how, kill, be.pid, bu.pid))
        got = (kill.get("pod_uid"), kill.get("container_id"), kill.get("qos_class"),
               kill.get("unit"))
        want = (be_uid, be_cid, "besteffort", "cri-containerd-%s.scope" % be_cid)
        check(got == want, "kill event names %r, want %r" % (got, want))
        check(bu.alive(), "the Burstable pod was killed too")


@daemon_test
def test_rules_match_qos_and_unit():
    """[rule] match = qos: `ignore` on ^besteffort$ spares the biggest pod, the Burstable one is
    killed. match = unit: `prefer` 500 on a process in batch.service makes it the victim over a
    bigger one in web.service."""
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-k8s-")
    try:
        conf = os.path.join(tmp, "qos.conf")
        write_file(conf, "[rule spare-besteffort]\nmatch = qos\nregex = ^besteffort$\n"
                         "action = ignore\n")
        cg = oom_cgroup(160)
        be = Watched(hog(cgroupfs_container(cg, "besteffort", *new_pod()), 60, adj=500))
        bu = Watched(hog(cgroupfs_container(cg, "burstable", *new_pod()), 30, adj=500))
        kill = first_kill(cg, "--config", conf)
        check(kill["pid"] == bu.pid and kill.get("qos_class") == "burstable",
              "qos rule: killed %r, want the Burstable pod %d" % (kill, bu.pid))
        check(be.alive(), "the ignored BestEffort pod was killed")

        write_file(conf, "[rule batch-first]\nmatch = unit\nregex = ^batch\\.service$\n"
                         "action = prefer\nweight = 500\n")
        cg = oom_cgroup(160)
        web = Watched(hog(nested(cg, "system.slice", "web.service"), 60))
        batch = Watched(hog(nested(cg, "system.slice", "batch.service"), 30))
        kill = first_kill(cg, "--config", conf)
        check(kill["pid"] == batch.pid and kill.get("unit") == "batch.service",
              "unit rule: killed %r, want %d in batch.service" % (kill, batch.pid))
        check(web.alive(), "web.service's process was killed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The DaemonSet


# The fields of the Kubernetes API (core/v1, v1.30) a typo would turn into a silent no-op
POD_KEYS = {"hostPID", "hostNetwork", "hostIPC", "priorityClassName", "tolerations",
            "containers", "initContainers", "volumes", "serviceAccountName",
            "automountServiceAccountToken", "enableServiceLinks", "nodeSelector", "affinity",
            "terminationGracePeriodSeconds", "securityContext", "dnsPolicy"}
CONTAINER_KEYS = {"name", "image", "imagePullPolicy", "command", "args", "env", "ports",
                  "securityContext", "resources", "livenessProbe", "readinessProbe",
                  "startupProbe", "volumeMounts", "workingDir"}
SECURITY_KEYS = {"privileged", "runAsUser", "runAsGroup", "runAsNonRoot",
                 "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities",
                 "seccompProfile", "appArmorProfile", "procMount", "seLinuxOptions"}


def load_manifest():
    try:
        import yaml
    except ImportError:
        raise Failure("python3-yaml is missing (make deps installs it)")
    with open(DAEMONSET) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    kinds = {}
    for d in docs:
        kinds.setdefault(d.get("kind"), []).append(d)
    return docs, kinds


@test
def test_daemonset_manifest_runs_the_daemon_safely():
    """deploy/kubernetes/daemonset.yaml parses; its DaemonSet runs with hostPID (the host's
    processes in the container's own /proc, and no --proc, which would turn kcmp off),
    capabilities instead of privileged (KILL, SYS_PTRACE, DAC_READ_SEARCH, IPC_LOCK,
    SYS_RESOURCE, everything else dropped), /sys/fs/cgroup mounted from the host read-write
    (cgroup.kill, the freezer), priorityClassName system-node-critical, a toleration of every
    taint, a memory request equal to its limit and no CPU limit, a liveness probe on
    `oomreaper status`; its ConfigMap holds a configuration that `oomreaper check-config`
    accepts, at the path the container reads."""
    docs, kinds = load_manifest()
    check(len(kinds.get("DaemonSet", [])) == 1 and len(kinds.get("ConfigMap", [])) == 1,
          "want one DaemonSet and one ConfigMap, have %s" % sorted(kinds, key=str))
    ds = kinds["DaemonSet"][0]
    pod = ds["spec"]["template"]["spec"]
    check(ds["spec"]["selector"]["matchLabels"].items() <=
          ds["spec"]["template"]["metadata"]["labels"].items(),
          "the selector does not match the template's labels")
    check(pod.get("hostPID") is True, "hostPID is not true")
    check(pod.get("priorityClassName") == "system-node-critical",
          "priorityClassName %r" % pod.get("priorityClassName"))
    check({"operator": "Exists"} in pod.get("tolerations", []),
          "no toleration of every taint: %r" % pod.get("tolerations"))
    containers = pod["containers"]
    check(len(containers) >= 1, "no container")
    c = [c for c in containers if c["name"] == "oomreaper"][0]
    sc = c.get("securityContext", {})
    check(sc.get("privileged") is not True, "privileged")
    caps = sc.get("capabilities", {})
    check(caps.get("drop") == ["ALL"], "capabilities not dropped first: %r" % caps)
    need = {"KILL", "SYS_PTRACE", "DAC_READ_SEARCH", "IPC_LOCK", "SYS_RESOURCE"}
    check(need <= set(caps.get("add", [])), "capabilities %r lack %r" % (
        caps.get("add"), sorted(need - set(caps.get("add", [])))))
    check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation not false")
    check(sc.get("readOnlyRootFilesystem") is True, "root filesystem writable")
    vols = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}

    def host(path, writable):
        m = [m for m in mounts.values() if vols[m["name"]].get("hostPath", {}).get("path") ==
             path]
        check(m, "%s is not mounted from the host" % path)
        check(bool(m[0].get("readOnly")) != writable, "%s is %s" % (
            path, "read-only" if writable else "writable"))
        return m[0]
    cg = host("/sys/fs/cgroup", True)
    check(cg["mountPath"] == "/sys/fs/cgroup", "the host's cgroups at %s" % cg["mountPath"])
    res = c.get("resources", {})
    check("memory" in res.get("requests", {}) and "cpu" in res.get("requests", {}),
          "no requests: %r" % res)
    check("cpu" not in res.get("limits", {}), "a CPU limit would throttle the selection at "
          "the kill: %r" % res)
    check(res["requests"]["memory"] == res["limits"]["memory"],
          "memory request %s and limit %s differ: a limit above the request makes the pod "
          "Burstable" % (res["requests"]["memory"], res["limits"]["memory"]))
    probe = c.get("livenessProbe", {}).get("exec", {}).get("command", [])
    check(probe[:2] == ["/oomreaper", "status"] or probe[:2] == ["oomreaper", "status"],
          "liveness probe %r" % probe)
    # the probe asks the daemon's socket, made in /run/oomreaper: on a read-only root it
    # needs a writable volume there, or status never answers and the pod restarts for ever
    run = mounts.get("/run/oomreaper")
    check(run is not None and "emptyDir" in vols[run["name"]] and not run.get("readOnly"),
          "no writable volume at /run/oomreaper for the status socket the probe asks")
    check(c["command"][0].endswith("oomreaper") and "run" in c["command"] + c.get("args", []),
          "the container does not run `oomreaper run`: %r" % c["command"])
    argv = c["command"] + c.get("args", [])
    check("--config" in argv, "no --config: %r" % argv)
    check("--proc" not in argv, "--proc turns address-space sharing (kcmp) off: %r" % argv)
    conf_path = argv[argv.index("--config") + 1]
    cm = kinds["ConfigMap"][0]
    cm_mount = [m for m in c["volumeMounts"] if vols[m["name"]].get("configMap", {})
                .get("name") == cm["metadata"]["name"]]
    check(cm_mount, "the ConfigMap is not mounted")
    key = os.path.relpath(conf_path, cm_mount[0]["mountPath"])
    check(key in cm["data"], "%s is not a key of the ConfigMap (%r)" % (key, list(cm["data"])))
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-k8s-")
    try:
        path = os.path.join(tmp, key)
        write_file(path, cm["data"][key])
        r = run_check(path)
        check(r.rc == 0 and r.err.strip() == "", "check-config of the ConfigMap's %s: %s"
              % (key, r.describe()))
        note(" ".join(l for l in r.out.splitlines() if "qos_order" in l or "mem_min" in l))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for d in docs:
        ns = d["metadata"].get("namespace")
        check(d["kind"] in ("Namespace", "ServiceAccount") or ns == "kube-system" or
              ns == ds["metadata"].get("namespace"), "%s in namespace %r" % (d["kind"], ns))
    # no API server here to validate against: the keys used, against the API's (v1.30)
    for what, obj, known in (("pod spec", pod, POD_KEYS), ("container", c, CONTAINER_KEYS),
                             ("securityContext", sc, SECURITY_KEYS)):
        check(set(obj) <= known, "unknown %s keys %r" % (what, sorted(set(obj) - known)))


def elf_interpreter(path):
    """The PT_INTERP of a 64-bit little-endian ELF file (its dynamic loader), or None."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    check(data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1,
          "%s is not a 64-bit little-endian ELF file" % path)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data,
                                                                  phoff + i * phentsize)
        if p_type == 3:     # PT_INTERP
            return data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    return None


@test
def test_static_binary_runs_without_a_loader():
    """The binary the Containerfile puts in an image FROM scratch (meson -Dstatic=true, which
    make check builds into build-static): no dynamic loader (no PT_INTERP), and it runs:
    `list --help` exits 0 with its usage, `check-config` of the ConfigMap's file exits 0."""
    path = os.environ.get("OOMREAPER_STATIC") or os.path.join(TOP, "build-static", "oomreaper")
    check(os.access(path, os.X_OK), "no static binary at %s (make static builds it)" % path)
    interp = elf_interpreter(path)
    check(interp is None, "%s asks for a dynamic loader: %s" % (path, interp))
    p = subprocess.run([path, "list", "--help"], capture_output=True, timeout=30)
    check(p.returncode == 0 and p.stdout.startswith(b"Usage: oomreaper list"),
          "static list --help: exit %d, %r" % (p.returncode, p.stdout[:200] + p.stderr[:200]))
    _, kinds = load_manifest()
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-k8s-")
    try:
        conf = os.path.join(tmp, "oomreaper.conf")
        write_file(conf, kinds["ConfigMap"][0]["data"]["oomreaper.conf"])
        p = subprocess.run([path, "check-config", conf], capture_output=True, timeout=30)
        check(p.returncode == 0, "static check-config: exit %d, %r" % (p.returncode,
                                                                       p.stderr[:300]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    note("%s: %d bytes, statically linked" % (path, os.path.getsize(path)))
