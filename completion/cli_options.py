#!/usr/bin/env python3
"""The command line oomreaper accepts, read from its parser's own tables in src/.

    cli_options.py SRCDIR json   what was found: commands, their flags, config keys
    cli_options.py SRCDIR bash   the bash completion, made from it
    cli_options.py SRCDIR zsh    the zsh completion, made from it

The build makes the shell completion from this (meson.build), and the tests hold the man pages
to it (tests/e2e/test_docs.py), so neither can drift from the parser:

- the commands are main()'s table in src/main.c: { "list", cmd_list }, ...;
- a command's flags are the `struct option` entries of its function in src/cmd_*.c, of the
  functions of that file it calls (cmd_kill -> parse_opts) and of the file's tables of struct
  option these name, the entries it builds from a
  table of the file ((struct option){ settings[i].opt, required_argument, ... }), and the
  literal flags it compares an argument with (strcmp(argv[1], "--help"));
- the configuration keys are every strcmp(key, "...") of src/config.c, by the function they
  are in (set_main: [oomreaper]; set_scope: [global] and [cgroup PATH]; set_rule: [rule NAME]).
"""

import json
import os
import re
import sys

OPTION = re.compile(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(no|required|optional)_argument\s*,'
                    r'\s*NULL\s*,\s*(\'(.)\'\s*|[^}]*)\}')
BUILT = re.compile(r'\(struct option\)\s*\{\s*(\w+)\s*\[\s*\w+\s*\]\s*\.\s*(\w+)\s*,\s*'
                   r'(no|required|optional)_argument')
LITERAL = re.compile(r'strcmp\s*\(\s*argv\s*\[\s*\w+\s*\]\s*,\s*"(--?[a-zA-Z][a-z0-9-]*)"\s*\)')
OPTSTRING = re.compile(r'getopt_long\s*\([^,]*,[^,]*,\s*"([^"]*)"')
FUNC = re.compile(r'^(?:static\s+)?(?:const\s+)?[\w \*]+?\b(\w+)\s*\(([^;{]*)\)\s*\n\{', re.M)
KEY = re.compile(r'strcmp\s*\(\s*key\s*,\s*"([a-z_]+)"\s*\)')
SECTION_OF = {"set_main": ["oomreaper"], "set_scope": ["global", "cgroup PATH"],
              "set_rule": ["rule NAME"]}


def strip_comments(text):
    return re.sub(r'/\*.*?\*/', lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text, flags=re.S)


def functions(text):
    """{name: body} of every function defined at file scope (kernel style: '{' on its own line)."""
    out = {}
    for m in FUNC.finditer(text):
        depth, i = 0, m.end() - 1
        for j in range(i, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                out[m.group(1)] = text[i:j + 1]
                break
    return out


def file_tables(text):
    """{name: [field names]} of the file's static tables of anonymous structs."""
    out = {}
    for m in re.finditer(r'static const struct\s*\{([^}]*)\}\s*(\w+)\s*\[\s*\]', text):
        out[m.group(2)] = re.findall(r'(\w+)\s*;', m.group(1))
    return out


def table_rows(text, name):
    """The rows of table name, each a list of its string literals (None where not a string)."""
    m = re.search(r'\}\s*' + name + r'\s*\[\s*\]\s*=\s*\{(.*?)\n\};', text, re.S)
    if not m:
        return []
    return [[s.strip().strip('"') if s.strip().startswith('"') else None for s in row.split(",")]
            for row in re.findall(r'\{([^{}]*)\}', m.group(1))]


def command_flags(text, funcs, name):
    """The long flags ({flag: has_arg}), the short ones ({flag: has_arg}) and which long flag
    each short one is, where the table gives both ({"-c": "--cgroup"}), of function name."""
    seen, todo, body = set(), [name], ""
    while todo:
        f = todo.pop()
        if f in seen or f not in funcs:
            continue
        seen.add(f)
        body += funcs[f]
        todo += [g for g in re.findall(r'\b(\w+)\s*\(', funcs[f]) if g in funcs]
    # a table of struct option at file scope that the command names
    for m in re.finditer(r'^(?:static\s+)?(?:const\s+)?struct option\s+(\w+)\s*\[\s*\w*\s*\]'
                         r'\s*=\s*\{.*?\n\};', text, re.M | re.S):
        if re.search(r'\b' + m.group(1) + r'\b', body):
            body += m.group(0)
    flags, short, alias = {}, {}, {}
    for m in OPTION.finditer(body):
        flags["--" + m.group(1)] = m.group(2) != "no"
        if m.group(4):
            alias["-" + m.group(4)] = "--" + m.group(1)
    tables = file_tables(text)
    for m in BUILT.finditer(body):
        field = tables.get(m.group(1), []).index(m.group(2)) if m.group(2) in tables.get(
            m.group(1), []) else None
        for row in table_rows(text, m.group(1)) if field is not None else []:
            if field < len(row) and row[field]:
                flags["--" + row[field]] = m.group(3) != "no"
    for m in LITERAL.finditer(body):
        (flags if m.group(1).startswith("--") else short)[m.group(1)] = False
    for m in OPTSTRING.finditer(body):
        s = m.group(1)
        for i, ch in enumerate(s):
            if ch != ":":
                short["-" + ch] = i + 1 < len(s) and s[i + 1] == ":"
    return flags, short, {k: v for k, v in alias.items() if k in short}


def scan(src):
    """What the parser accepts: {"commands": {name: {"flags", "short", "alias"}},
    "program": {the same for main()}, "config": {section: [keys]}}."""
    def read(path):
        with open(os.path.join(src, path)) as f:
            return strip_comments(f.read())

    main = read("main.c")
    names = re.findall(r'\{\s*"([a-z][a-z-]*)"\s*,\s*(cmd_\w+)\s*\}', main)
    files = {}
    for fn in sorted(os.listdir(src)):
        if fn.startswith("cmd_") and fn.endswith(".c"):
            text = read(fn)
            for f in functions(text):
                files[f] = text
    out = {"commands": {}, "config": {}}
    for cmd, func in names:
        text = files.get(func)
        if text is None:
            raise SystemExit("cli_options.py: %s of '%s' is in no src/cmd_*.c" % (func, cmd))
        flags, short, alias = command_flags(text, functions(text), func)
        out["commands"][cmd] = {"flags": flags, "short": short, "alias": alias}
    flags, short, alias = command_flags(main, functions(main), "main")
    out["program"] = {"flags": flags, "short": short, "alias": alias}
    for func, body in functions(read("config.c")).items():
        for key in KEY.findall(body):
            for section in SECTION_OF.get(func, ["(" + func + ")"]):
                out["config"].setdefault(section, [])
                if key not in out["config"][section]:
                    out["config"][section].append(key)
    return out


# What the argument of a flag is, for completion: by the flag's name, since the tables say only
# whether it takes one
VALUES = {
    "--cgroup": "_oomreaper_dirs",
    "--proc": "_oomreaper_dirs",
    "--config": "_oomreaper_files",
    "--log-json": "_oomreaper_files",
    "--policy": "largest fastest-growing largest-cgroup",
}


def bash(spec):
    """The bash completion: commands, each command's flags, and their arguments' values."""
    cmds = spec["commands"]
    lines = [
        "# bash completion for oomreaper(8)",
        "# Made at build time by completion/cli_options.py from the option tables of src/: do not",
        "# edit, it is made again from them.",
        "",
        "_oomreaper_dirs() { compgen -d -- \"$1\"; }",
        "_oomreaper_files() { compgen -f -- \"$1\"; }",
        "",
        "_oomreaper()",
        "{",
        "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=",
        "\tlocal i flags values",
        "\tlocal IFS=$'\\n'",
        "",
        "\tfor ((i = 1; i < COMP_CWORD; i++)); do",
        "\t\tcase ${COMP_WORDS[i]} in",
        "\t\t-*) ;;",
        "\t\t*) cmd=${COMP_WORDS[i]}; break ;;",
        "\t\tesac",
        "\tdone",
        "\tif [[ -z $cmd ]]; then",
        "\t\tCOMPREPLY=($(IFS=' '; compgen -W '%s %s' -- \"$cur\"))" % (
            " ".join(cmds), " ".join(sorted(spec["program"]["flags"]))),
        "\t\treturn",
        "\tfi",
        "\tcase $cmd in",
    ]
    for name, c in cmds.items():
        takes = sorted([f for f, a in c["flags"].items() if a] +
                       [s for s, a in c["short"].items() if a])
        lines.append("\t%s)" % name)
        lines.append("\t\tflags='%s'" % " ".join(sorted(c["flags"])))
        if takes:
            lines.append("\t\tcase $prev in")
            lines.append("\t\t%s)" % "|".join(takes))
            lines.append("\t\t\tvalues=${prev}")
            lines.append("\t\t\t;;")
            lines.append("\t\tesac")
        lines.append("\t\t;;")
    lines.append("\t*) return ;;")
    lines.append("\tesac")
    # a short flag's value is completed as its long flag's, when the table maps one to the other
    lines.append("\tif [[ -n $values ]]; then")
    lines.append("\t\tcase $cmd:$prev in")
    for name, c in cmds.items():
        for s, a in sorted(c["short"].items()):
            long_ = c["alias"].get(s)
            if a and long_ in VALUES:
                lines.append("\t\t%s:%s) values=%s ;;" % (name, s, long_))
    lines.append("\t\tesac")
    lines.append("\t\tcase $values in")
    for flag, how in sorted(VALUES.items()):
        if how.startswith("_"):
            lines.append("\t\t%s) COMPREPLY=($(%s \"$cur\")) ;;" % (flag, how))
        else:
            lines.append("\t\t%s) COMPREPLY=($(IFS=' '; compgen -W '%s' -- \"$cur\")) ;;"
                         % (flag, how))
    lines.append("\t\tesac")
    lines.append("\t\treturn")
    lines.append("\tfi")
    lines.append("\tif [[ $cur == -* ]]; then")
    lines.append("\t\tCOMPREPLY=($(IFS=' '; compgen -W \"$flags\" -- \"$cur\"))")
    lines.append("\t\treturn")
    lines.append("\tfi")
    # the commands' operands: explain PID, check-config FILE
    lines.append("\tcase $cmd in")
    if "explain" in cmds:
        lines.append("\texplain) COMPREPLY=($(IFS=' '; compgen -W \"$(cd /proc && "
                     "echo [0-9]*)\" -- \"$cur\")) ;;")
    if "check-config" in cmds:
        lines.append("\tcheck-config) COMPREPLY=($(_oomreaper_files \"$cur\")) ;;")
    lines.append("\tesac")
    lines.append("}")
    lines.append("complete -o filenames -F _oomreaper oomreaper")
    return "\n".join(lines) + "\n"


# The same values for zsh's _arguments
ZSH_VALUES = {"_oomreaper_dirs": "_files -/", "_oomreaper_files": "_files"}


def zsh_action(flag):
    how = VALUES.get(flag)
    if how is None:
        return " "
    return ZSH_VALUES.get(how) or "(%s)" % how


def zsh(spec):
    """The zsh completion (#compdef): commands, each command's flags and their values."""
    cmds = spec["commands"]
    lines = [
        "#compdef oomreaper",
        "# zsh completion for oomreaper(8)",
        "# Made at build time by completion/cli_options.py from the option tables of src/: do not",
        "# edit, it is made again from them.",
        "",
        "_oomreaper() {",
        "\tlocal curcontext=$curcontext state line",
        "\t_arguments -C \\",
    ]
    for flag in sorted(spec["program"]["flags"]) + sorted(spec["program"]["short"]):
        lines.append("\t\t'(- *)%s' \\" % flag)
    lines.append("\t\t'1:command:(%s)' \\" % " ".join(cmds))
    lines.append("\t\t'*::argument:->argument'")
    lines.append("\t[[ $state == argument ]] || return")
    lines.append("\tcurcontext=\"${curcontext%:*:*}:oomreaper-$words[1]:\"")
    lines.append("\tcase $words[1] in")
    # any process's PID, not only the terminal's as _pids has them (ps)
    operands = {"explain": "'1:PID:{compadd -- /proc/<->(N:t)}'",
                "check-config": "'1:file:_files'"}
    for name, c in cmds.items():
        specs = []
        for flag, arg in sorted(c["flags"].items()):
            specs.append("'%s:%s:%s'" % (flag, flag[2:], zsh_action(flag)) if arg
                         else "'%s'" % flag)
        for short, arg in sorted(c["short"].items()):
            long_ = c["alias"].get(short)
            if arg:
                specs.append("'%s:%s:%s'" % (short, (long_ or short)[2:] or "value",
                                             zsh_action(long_)))
            else:
                specs.append("'%s'" % short)
        if name in operands:
            specs.append(operands[name])
        lines.append("\t%s)" % name)
        lines.append("\t\t_arguments -s \\")
        lines += ["\t\t\t%s \\" % sp for sp in specs[:-1]]
        lines.append("\t\t\t%s" % specs[-1])
        lines.append("\t\t;;")
    lines.append("\tesac")
    lines.append("}")
    lines.append("")
    lines.append("_oomreaper \"$@\"")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("json", "bash", "zsh"):
        sys.stderr.write("usage: cli_options.py SRCDIR json|bash|zsh\n")
        return 2
    spec = scan(sys.argv[1])
    if sys.argv[2] == "json":
        json.dump(spec, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(bash(spec) if sys.argv[2] == "bash" else zsh(spec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
