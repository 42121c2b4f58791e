"""End-to-end tests of the install: `meson setup` with a prefix, `meson install --destdir`, and
the installed systemd unit read as systemd reads it (systemd-analyze), for two prefixes.

run.py imports this module and runs its tests with its harness. Nothing here starts the daemon
or signals anything: it builds the binary in a temporary directory and installs it into
another, both removed when the test ends.
"""

import os
import re
import shutil
import subprocess
import tempfile

from run import Failure, check, note, test

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# systemd-oomd's own unit is rated 2.0: ours must be as closed (`--threshold` is in tenths)
EXPOSURE_MAX = 2.0


def sh(*args, cwd=None, timeout=300):
    """Runs a command; its stdout, or a Failure with its output when it fails."""
    p = subprocess.run([str(a) for a in args], cwd=cwd, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode:
        raise Failure("%s: exit %d: %s%s" % (" ".join(str(a) for a in args), p.returncode,
                                             p.stdout[-1500:], p.stderr[-1500:]))
    return p.stdout + p.stderr


def unit_entries(path):
    """The unit file's KEY=VALUE lines as (key, value), in order; comments left out."""
    with open(path) as f:
        return [tuple(line.rstrip("\n").split("=", 1)) for line in f
                if "=" in line and not line.startswith((";", "#"))]


def installed(build, destdir):
    """meson install of the build into destdir; the paths it installed, relative to destdir"""
    sh("meson", "install", "-C", build, "--no-rebuild", "--destdir", destdir)
    got = []
    for d, _, files in os.walk(destdir):
        got += ["/" + os.path.relpath(os.path.join(d, f), destdir) for f in files]
    return got


def setup(tmp, prefix, *options):
    """A build of what is installed (the binary, the man pages, the completion), configured
    for prefix; its directory"""
    build = os.path.join(tmp, "build" + prefix.replace("/", "-"))
    # plain: no optimisation, the quickest build; no tests or benchmarks: none is installed
    sh("meson", "setup", build, TOP, "-Dbuildtype=plain", "-Dtests=false", "--prefix=" + prefix,
       *options)
    sh("ninja", "-C", build)
    return build


def check_prefix(tmp, prefix, sysconfdir):
    """Sets up, builds and installs with this prefix, and checks the unit against what was
    installed; the exposure of the installed unit"""
    build = setup(tmp, prefix)
    dest = os.path.join(tmp, "root" + prefix.replace("/", "-"))
    files = installed(build, dest)
    binary, conf = prefix + "/bin/oomreaper", sysconfdir + "/oomreaper.conf"
    check(binary in files and conf in files, "%s: want %s and %s installed, got %s"
          % (prefix, binary, conf, files))
    units = [f for f in files if f.endswith("/oomreaper.service")]
    check(len(units) == 1, "%s: want one oomreaper.service, got %s" % (prefix, units))
    unitdir = sh("pkg-config", "--variable=systemdsystemunitdir", "systemd").strip()
    check(os.path.dirname(units[0]) == unitdir, "%s: unit in %s, systemd reads %s"
          % (prefix, units[0], unitdir))
    unit = dest + units[0]
    entries = dict(unit_entries(unit))
    start = entries.get("ExecStart", "")
    check(start == "%s run --config %s" % (binary, conf), "%s: ExecStart=%s, want %s run "
          "--config %s" % (prefix, start, binary, conf))
    check("ConditionPathExists" not in entries, "%s: a condition skips the service: %s"
          % (prefix, entries.get("ConditionPathExists")))
    check(entries.get("Documentation") == "man:oomreaper(8) man:oomreaper.conf(5)",
          "Documentation=%s" % entries.get("Documentation"))
    # The installed binary runs, and its installed configuration is good
    sh(dest + binary, "check-config", dest + conf)
    # systemd reads it as written (every key known, the binary there), in the installed root;
    # /bin/sh (ExecReload) is the system's, which a package's root does not hold
    os.makedirs(dest + "/bin", exist_ok=True)
    shutil.copy("/bin/sh", dest + "/bin/sh")
    sh("systemd-analyze", "verify", "--man=no", "--root=" + dest, unit)
    sec = sh("systemd-analyze", "security", "--offline=yes",
             "--threshold=%d" % (EXPOSURE_MAX * 10), unit)
    m = re.search(r"Overall exposure level for oomreaper.service: ([0-9.]+)", sec)
    check(m and float(m.group(1)) <= EXPOSURE_MAX, "exposure: %s" % sec[-300:])
    return float(m.group(1))


@test
def test_install_unit_points_at_installed_files():
    """meson setup, then meson install --destdir with --prefix=/usr and with --prefix=/opt/x:
    each time the unit goes to systemd's unit directory (pkg-config systemd), its ExecStart
    runs the installed binary with the installed configuration (/etc/oomreaper.conf under /usr,
    /opt/x/etc/oomreaper.conf under /opt/x), it has no PSI condition, names the man pages,
    systemd-analyze verify accepts it in the installed root, its exposure is at most 2.0, and
    the installed binary accepts the installed configuration. -Dsystemdsystemunitdir=no
    installs no unit."""
    tmp = tempfile.mkdtemp(prefix="oomreaper-e2e-install-")
    try:
        exposure = check_prefix(tmp, "/usr", "/etc")
        check_prefix(tmp, "/opt/x", "/opt/x/etc")
        build = setup(tmp, "/srv/nounit", "-Dsystemdsystemunitdir=no")
        files = installed(build, os.path.join(tmp, "nounit"))
        check(not any(f.endswith(".service") for f in files), "-Dsystemdsystemunitdir=no "
              "installed %s" % files)
        note("exposure %.1f (systemd-analyze security --offline=yes)" % exposure)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
