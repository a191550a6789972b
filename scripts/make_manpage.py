#!/usr/bin/env python3
"""Writes a man page (roff, section 1) for distillery-cli or distillery from the program's own help text, so the
page says exactly what --help says.

    make_manpage.py PROGRAM OUT.1          (PROGRAM: the built distillery-cli or distillery)

For distillery-cli the page has the overview, then one subsection per command ('distillery-cli help CMD'); the
commands are read from the overview's "commands:" list. The workbench's page is its Qt --help. Both pages add
the environment variables, files and exit status the help text refers to.
"""
import datetime
import os
import re
import subprocess
import sys

ENVIRONMENT = [
    ("DISTILLERY_THREADS", "Caps the CPU threads of every run (tests, sanitizer builds)."),
    ("DISTILLERY_RESOURCES_DIR", "A folder with recipes/ and teachers/ used instead of the shipped ones."),
    ("DISTILLERY_ORT_DIR", "The onnxruntime checker's folder (run.js and node_modules) used by --verify."),
    ("DISTILLERY_NODE", "The Node.js program that runs the onnxruntime checker (default: node)."),
    ("DISTILLERY_TEACHER_CACHE", "The shared teacher cache's folder, or off (see distillery-cli cache)."),
    ("DISTILLERY_TEACHER_CACHE_SIZE", "Size bound of the shared teacher cache, e.g. 20G (default 8G)."),
]
FILES = [
    ("/usr/share/distillery/resources/recipes", "The shipped recipes (list them with distillery-cli recipes)."),
    ("/usr/share/distillery/resources/teachers", "The shipped teacher runs and ONNX teachers the recipes use."),
    ("/usr/share/distillery/ort", "The onnxruntime checker of export --verify and models --verify."),
    ("/usr/share/distillery/doc", "The documentation (also under Help > Documentation in the workbench)."),
]


def run(program, *args):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([program, *args], capture_output=True, text=True, env=env, timeout=120)
    if out.returncode != 0:
        sys.exit(f"make_manpage: {program} {' '.join(args)} exited {out.returncode}: {out.stderr.strip()}")
    return out.stdout


def escape(line):
    """One line of help text as roff: backslashes and hyphens escaped, no line starting with a control character."""
    line = line.replace("\\", "\\e").replace("-", "\\-")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def verbatim(text):
    lines = [escape(l.rstrip()) for l in text.strip("\n").splitlines()]
    return ".nf\n" + "\n".join(l if l else "" for l in lines) + "\n.fi\n"


def section(title):
    return f".SH {title}\n"


def common_tail(name):
    out = section("ENVIRONMENT")
    for var, text in ENVIRONMENT:
        out += f".TP\n.B {var}\n{escape(text)}\n"
    out += section("FILES")
    for path, text in FILES:
        out += f".TP\n.I {escape(path)}\n{escape(text)}\n"
    other = "distillery" if name == "distillery-cli" else "distillery-cli"
    out += section("SEE ALSO") + f".BR {other} (1)\n"
    return out


def cli_page(program, version):
    overview = run(program, "--help")
    lines = overview.splitlines()
    # "Distillery: train and distil ..." : the one-line description after the usage line.
    summary = next((l for l in lines[1:] if l.strip()), "").split(": ", 1)[-1].rstrip(".")
    commands, in_list = [], False
    for line in lines:
        if line.strip() == "commands:":
            in_list = True
            continue
        if in_list:
            if not line.strip():
                break
            m = re.match(r"^  ([a-z][a-z0-9-]*)\b", line)
            if m:
                commands.append(m.group(1))
    if not commands:
        sys.exit("make_manpage: no 'commands:' list in distillery-cli --help")
    page = header("distillery-cli", version, summary)
    page += section("SYNOPSIS") + ".B distillery-cli\n.I COMMAND\n[\\fIOPTIONS\\fR]\n"
    page += section("DESCRIPTION") + verbatim(overview)
    page += section("COMMANDS")
    for command in commands:
        page += f".SS {command}\n" + verbatim(run(program, "help", command))
    page += section("EXIT STATUS")
    page += (".TP\n.B 0\ndone\n.TP\n.B 1\nthe run, quantization, export or check failed although its input "
             "was valid\n.TP\n.B 2\nbad input: a file, field or value that is not what was expected, named "
             "in one line on standard error\n.TP\n.B 130\ncancelled (Ctrl\\-C); the run can be continued with "
             "resume\n")
    return page + common_tail("distillery-cli")


def gui_page(program, version):
    text = run(program, "--help")
    summary = text.splitlines()[1].strip() if len(text.splitlines()) > 1 else "the Distillery workbench"
    # Qt prints the program's path in the usage line; the page shows its name.
    text = re.sub(r"^Usage: \S+", "Usage: distillery", text, count=1)
    page = header("distillery", version, summary)
    page += section("SYNOPSIS") + ".B distillery\n[\\fIOPTIONS\\fR] [\\fIPROJECT\\fR]\n"
    page += section("DESCRIPTION")
    page += ("The Qt workbench of Distillery: pick or import a teacher and a student, a data set and a recipe "
             "of distillation terms, train with the LibTorch engine, watch every loss term and the teacher's "
             "and student's channel maps live, then quantize and export the student. The same YAML recipes "
             "drive\n.BR distillery\\-cli (1).\n")
    page += section("OPTIONS") + verbatim(text)
    return page + common_tail("distillery")


def header(name, version, summary):
    date = datetime.datetime.utcfromtimestamp(
        int(os.environ.get("SOURCE_DATE_EPOCH", datetime.datetime.utcnow().timestamp()))).strftime("%Y-%m-%d")
    return (f'.TH {name.upper()} 1 "{date}" "Distillery {version}" "User Commands"\n'
            f".SH NAME\n{escape(name)} \\- {escape(summary[0].lower() + summary[1:])}\n")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    program, out = sys.argv[1], sys.argv[2]
    version = run(program, "--version").split()[-1]
    name = os.path.basename(program)
    page = cli_page(program, version) if name == "distillery-cli" else gui_page(program, version)
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
