"""End-to-end tests of what users read and type: the man pages render without a warning and
name every flag the parser takes and every key of the configuration, and the bash completion,
made from the parser's tables, completes commands, flags and their values.

The flags and keys are read from the option tables of src/ by completion/cli_options.py (the
same reading the build makes the completion from), and that reading is held against the
binary itself: every flag `oomreaper CMD --help` shows and every key `check-config` prints is
in it, and the binary accepts every flag it names.

run.py imports this module and runs its tests with its harness. Nothing here signals anything.
"""

import json
import os
import re
import shutil
import subprocess
import sys

from run import OOMREAPER, Failure, check, run_tool, test, write_file

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The build the binary under test comes from: the man pages and the completion are built there
BUILD = os.path.dirname(OOMREAPER)
PAGES = ("oomreaper.8", "oomreaper.conf.5")


def cli_spec():
    """The commands, flags and configuration keys the parser's tables hold."""
    p = subprocess.run([sys.executable, os.path.join(TOP, "completion", "cli_options.py"),
                        os.path.join(TOP, "src"), "json"], capture_output=True, text=True)
    check(p.returncode == 0, "cli_options.py: exit %d: %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


def built(path):
    """A file of the build; a failure when it is not there (make deps installs scdoc)."""
    full = os.path.join(BUILD, path)
    check(os.path.isfile(full), "%s was not built (is scdoc installed? make deps installs it)"
          % full)
    return full


def sections(text, level):
    """{heading: body} of the scdoc source's headings of level ('#' or '##')."""
    out, head = {}, None
    for line in text.splitlines():
        m = re.match(r'^(#+) (.*)$', line)
        if m and len(m.group(1)) <= len(level):
            head = m.group(2) if m.group(1) == level else None
            if head is not None:
                out[head] = ""
            continue
        if head is not None:
            out[head] += line + "\n"
    return out


def documented(body, word):
    """Whether an scdoc body names word in bold, as a flag or key is written (*--grace*)."""
    return re.search(r'\*' + re.escape(word) + r'\*', body) is not None


@test
def test_man_pages_render_without_warnings():
    """Both man pages, as built, render with man-db at 80 columns with no warning from groff
    (man --warnings), and say what they are."""
    if not shutil.which("man"):
        raise Failure("man is not installed (make deps installs man-db)")
    for page in PAGES:
        p = subprocess.run(["man", "--warnings", "-l", built(os.path.join("docs", page))],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
        check(p.returncode == 0 and not p.stderr.strip(),
              "man --warnings -l %s: exit %d, %r" % (page, p.returncode, p.stderr[:600]))
        check(p.stdout.startswith(page.rsplit(".", 1)[0] + "(") and "NAME" in p.stdout,
              "man -l %s: %r" % (page, p.stdout[:200]))


@test
def test_man_pages_name_every_flag_and_key():
    """oomreaper(8) names each flag of each command in that command's section (or in COMMON
    OPTIONS, or OPTIONS for the program's own), and oomreaper.conf(5) each key of each
    section of the configuration in that section's part."""
    spec = cli_spec()
    with open(os.path.join(TOP, "docs", "oomreaper.8.scd")) as f:
        page8 = f.read()
    with open(os.path.join(TOP, "docs", "oomreaper.conf.5.scd")) as f:
        page5 = f.read()
    top, sub = sections(page8, "#"), sections(page8, "##")
    missing = []
    for flag in spec["program"]["flags"]:
        if not documented(top.get("OPTIONS", ""), flag):
            missing.append("oomreaper(8) OPTIONS: %s" % flag)
    for cmd, c in spec["commands"].items():
        body = sub.get("oomreaper " + cmd)
        if body is None:
            missing.append("oomreaper(8): no section '## oomreaper %s'" % cmd)
            continue
        for flag in list(c["flags"]) + list(c["short"]):
            if not (documented(body, flag) or documented(top.get("COMMON OPTIONS", ""), flag)):
                missing.append("oomreaper(8) %s: %s" % (cmd, flag))
    parts = sections(page5, "##")
    for section, keys in spec["config"].items():
        # "[global] and [cgroup PATH]" is the part of both; a section the page does not know
        # (a key outside set_main, set_scope, set_rule) must be named somewhere in the page
        name = "[" + section.split(" ")[0]
        body = "".join(b for h, b in parts.items() if name in h) or page5
        for key in keys:
            if not documented(body, key):
                missing.append("oomreaper.conf(5) [%s]: %s" % (section, key))
    check(not missing, "not in the man pages: " + "; ".join(missing))


@test
def test_option_tables_read_are_the_binarys():
    """What cli_options.py reads from src/ is what the binary takes: its commands are those
    `oomreaper --help` lists, every flag a command's --help shows is among that command's,
    the binary accepts each flag it names (no "unrecognized option"), and every key
    `check-config` prints is among the configuration's keys."""
    spec = cli_spec()
    problems = []
    r = run_tool("--help")
    listed = set(re.findall(r'^  ([a-z][a-z-]+)\b', r.out, re.M))
    if listed != set(spec["commands"]):
        problems.append("oomreaper --help lists %s, the tables %s"
                        % (sorted(listed), sorted(spec["commands"])))
    every = set(spec["program"]["flags"]).union(*(c["flags"] for c in spec["commands"].values()))
    for flag in set(re.findall(r'(?<![\w-])(--[a-z][a-z-]+)', r.out)) - every:
        problems.append("oomreaper --help shows %s, not read from the tables" % flag)
    for cmd, c in spec["commands"].items():
        r = run_tool(cmd, "--help")
        if r.rc != 0:
            problems.append("%s --help: exit %d" % (cmd, r.rc))
        for flag in set(re.findall(r'(?<![\w-])(--[a-z][a-z-]+)', r.out)):
            if flag not in c["flags"]:
                problems.append("%s --help shows %s, not read from the tables" % (cmd, flag))
        for flag, arg in c["flags"].items():
            if flag == "--help":
                continue
            # --help stops the parse once the flag is taken: nothing runs
            r = run_tool(cmd, flag + "=x" if arg else flag, "--help")
            if "unrecognized option" in r.err or "unknown option" in r.err:
                problems.append("%s %s: %s" % (cmd, flag, r.err.strip()[:120]))
    conf = os.path.join(BUILD, "test-docs.conf")
    write_file(conf, "[rule r]\nmatch = exe\nregex = ^/x$\naction = avoid\nweight = 1\n"
               "users = 0\n")
    try:
        r = run_tool("check-config", conf)
    finally:
        os.unlink(conf)
    check(r.rc == 0, r.describe())
    keys = {k for ks in spec["config"].values() for k in ks}
    for key in re.findall(r'^([a-z_]+) = ', r.out, re.M):
        if key not in keys:
            problems.append("check-config prints %s, not read from config.c" % key)
    check(not problems, "; ".join(problems))


def complete(words):
    """What the built bash completion offers for the command line words, the last being
    the word under the cursor."""
    script = built(os.path.join("completion", "oomreaper"))
    line = " ".join("'%s'" % w for w in words)
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                        'source "$1"; COMP_WORDS=(%s); COMP_CWORD=%d; _oomreaper; '
                        'printf "%%s\\n" "${COMPREPLY[@]}"' % (line, len(words) - 1),
                        "complete", script], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and not p.stderr, "bash: exit %d, %r" % (p.returncode, p.stderr))
    return [w for w in p.stdout.split("\n") if w]


@test
def test_bash_completion_completes_commands_and_flags():
    """`oomreaper k<TAB>` is kill; `oomreaper <TAB>` every command; `oomreaper kill --<TAB>`
    exactly kill's flags and `run --<TAB>` run's, as the tables hold them; a flag's value
    (--policy, --cgroup's directories, -c's) and explain's PID are completed."""
    spec = cli_spec()
    problems = []

    def want(words, expect):
        got = complete(words)
        if sorted(got) != sorted(expect):
            problems.append("%s<TAB>: %s, want %s" % (" ".join(words), got, sorted(expect)))

    want(["oomreaper", "k"], ["kill"])
    want(["oomreaper", "c"], ["check-config"])
    want(["oomreaper", ""], list(spec["commands"]) + list(spec["program"]["flags"]))
    for cmd in spec["commands"]:
        want(["oomreaper", cmd, "--"], list(spec["commands"][cmd]["flags"]))
    want(["oomreaper", "kill", "--d"], ["--deadline", "--dry-run"])
    want(["oomreaper", "run", "--dry-run", "--policy", ""],
         ["largest", "fastest-growing", "largest-cgroup"])
    want(["oomreaper", "run", "--policy", "f"], ["fastest-growing"])
    parent = os.path.dirname(os.path.abspath(BUILD))
    name = os.path.basename(os.path.abspath(BUILD))
    want(["oomreaper", "list", "--cgroup", os.path.join(parent, name)],
         [os.path.join(parent, n) for n in os.listdir(parent)
          if n.startswith(name) and os.path.isdir(os.path.join(parent, n))])
    want(["oomreaper", "list", "-c", os.path.join(parent, name)],
         [os.path.join(parent, n) for n in os.listdir(parent)
          if n.startswith(name) and os.path.isdir(os.path.join(parent, n))])
    # a value that is not a file is not completed as one, nor as a flag
    want(["oomreaper", "kill", "--grace", ""], [])
    pid = str(os.getpid())
    got = complete(["oomreaper", "explain", pid])
    if pid not in got:
        problems.append("explain %s<TAB>: %s, want it among them" % (pid, got[:10]))
    check(not problems, "; ".join(problems))


def zsh_complete(lines):
    """{line: the matches the built zsh completion offers for it, each once}, from one zsh
    (tests/e2e/zsh_complete.zsh)."""
    if not shutil.which("zsh"):
        raise Failure("zsh is not installed (make deps installs it)")
    built(os.path.join("completion", "_oomreaper"))
    p = subprocess.run(["zsh", "-f", os.path.join(os.path.dirname(__file__), "zsh_complete.zsh"),
                        os.path.join(BUILD, "completion")] + lines,
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0 and not p.stderr, "zsh: exit %d, %r" % (p.returncode,
                                                                     p.stderr[:300]))
    out, line = {}, None
    for text in p.stdout.split("\n"):
        if text.startswith("= "):
            line = text[2:]
            out[line] = []
        elif line is not None:
            out[line] = sorted(set(out[line] + re.findall(r'<([^>]*)>', text)))
    return out


@test
def test_zsh_completion_completes_commands_and_flags():
    """In a real zsh (compinit, in a pseudo-terminal): `oomreaper k<TAB>` is kill,
    `oomreaper kill --<TAB>` exactly kill's flags, `run --policy <TAB>` the two policies,
    `list -c DIR<TAB>` directories, and `explain PID<TAB>` any process's PID."""
    spec = cli_spec()
    parent = os.path.dirname(os.path.abspath(BUILD))
    name = os.path.basename(os.path.abspath(BUILD))
    pid = str(os.getpid())
    wants = [
        ("oomreaper k", ["kill"]),
        ("oomreaper ", list(spec["commands"])),
        ("oomreaper -", list(spec["program"]["flags"]) + list(spec["program"]["short"])),
        ("oomreaper run --policy ", ["largest", "fastest-growing", "largest-cgroup"]),
        ("oomreaper run --dry-run --policy f", ["fastest-growing"]),
        ("oomreaper list -c " + os.path.join(parent, name),
         [n for n in os.listdir(parent) if n.startswith(name)
          and os.path.isdir(os.path.join(parent, n))]),
    ] + [("oomreaper %s --" % cmd, list(c["flags"])) for cmd, c in spec["commands"].items()]
    got = zsh_complete([w[0] for w in wants] + ["oomreaper explain " + pid])
    problems = ["%s<TAB>: %s, want %s" % (line, got.get(line), sorted(set(expect)))
                for line, expect in wants if got.get(line) != sorted(set(expect))]
    if pid not in got.get("oomreaper explain " + pid, []):
        problems.append("explain %s<TAB>: %s, want it among them"
                        % (pid, got.get("oomreaper explain " + pid)))
    check(not problems, "; ".join(problems))
