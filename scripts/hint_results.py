#!/usr/bin/python3
"""The hint-selection table of docs/RESULTS.md: FitNets and CWD from the shipped ResNet-20 teacher to ResNet-8 at
their default hint point (stage3) against the points `distillery-cli suggest-hints` proposes (3 cluster
centres), each term at the recipe's weight and with that weight split over the three terms, and the student
alone; 3 seeds, a short schedule. Finished runs are skipped, so the script can be stopped and run again.

  /usr/bin/python3 scripts/hint_results.py [--seeds 0 1 2] [--epochs 1] [--report-only]

Runs go to runs/hints/; the table replaces the part of docs/RESULTS.md between <!-- hints:begin --> and
<!-- hints:end -->."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("DISTILLERY_CLI", os.path.join(ROOT, "build", "app", "distillery-cli"))
OUT = os.path.join(ROOT, "runs", "hints")
RECIPES = os.path.join(ROOT, "resources", "recipes")


def top1(run):
    path = os.path.join(run, "summary.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        s = json.load(f)
    return s["final"]["top1"] if s.get("status") == "finished" else None


def weight_of(recipe, method):
    for line in open(recipe):
        m = re.search(r"method: %s\b.*weight: ([0-9.eE+-]+)" % method, line)
        if m:
            return float(m.group(1))
    raise SystemExit(f"{recipe}: no {method} term")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--report-only", action="store_true")
    a = p.parse_args()
    os.makedirs(OUT, exist_ok=True)
    variants = [("student", "ResNet-8 alone", os.path.join(RECIPES, "fmnist_student.yaml"), [])]
    hints = {}
    for method, base in (("fitnet", "fmnist_fitnet.yaml"), ("cwd", "fmnist_cwd.yaml")):
        recipe = os.path.join(RECIPES, base)
        hinted = os.path.join(OUT, f"{method}-hints.yaml")
        report = os.path.join(OUT, f"{method}-hints.json")
        if not os.path.exists(report):
            if a.report_only:
                continue
            out = subprocess.run([CLI, "suggest-hints", recipe, "--write", hinted, "--json"], check=True,
                                 capture_output=True, text=True).stdout
            with open(report, "w") as f:
                f.write(out)
        with open(report) as f:
            hints[method] = json.load(f)["hints"]
        w = weight_of(recipe, method)
        pairs = ", ".join(f"{h['teacher_tap']}→{h['student_tap']}" for h in hints[method])
        split = [s for i in range(len(hints[method])) for s in ("--set", f"losses.{i + 1}.weight={w / len(hints[method]):g}")]
        variants += [
            (f"{method}", f"{method} at stage3 (default), weight {w:g}", recipe, []),
            (f"{method}-hints", f"{method} at the suggested points ({pairs}), weight {w:g} each", hinted, []),
            (f"{method}-hints-split", f"{method} at the suggested points, weight {w / len(hints[method]):g} each "
                                      f"(the default's total)", hinted, split),
        ]
    results = {}
    for key, label, recipe, extra in variants:
        for seed in a.seeds:
            run = os.path.join(OUT, key, f"s{seed}")
            if top1(run) is None and not a.report_only:
                print("==", run, flush=True)
                if os.path.exists(os.path.join(run, "checkpoints")):
                    cmd = [CLI, "resume", run]
                else:
                    cmd = [CLI, "train", recipe, "--out", run, "--set", f"seed={seed}",
                           "--set", f"train.epochs={a.epochs}", "--no-baseline"] + extra
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            v = top1(run)
            if v is not None:
                results.setdefault(key, []).append(v)

    def ms(values):
        if not values:
            return "–"
        s = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.2f} ± {s:.2f} ({len(values)} seeds)"

    base = statistics.mean(results["student"]) if results.get("student") else None
    lines = [f"Shipped ResNet-20 teacher (92.21 %) → ResNet-8; the shipped recipes at {a.epochs} epoch(s), seeds "
             f"{', '.join(map(str, a.seeds))}; final-epoch top-1. Hint points from `suggest-hints` (256 "
             f"training samples, linear CKA + RBF CKA + RSA, 3 clusters).", "",
             "| student | top-1 (%) | Δ over the student alone |", "|---|---|---|"]
    for key, label, _, _ in variants:
        v = results.get(key, [])
        delta = f"{statistics.mean(v) - base:+.2f}" if v and base is not None and key != "student" else "–"
        lines.append(f"| {label} | {ms(v)} | {delta} |")
    table = "\n".join(lines)
    print(table)
    doc = os.path.join(ROOT, "docs", "RESULTS.md")
    text = open(doc).read()
    begin, end = "<!-- hints:begin -->", "<!-- hints:end -->"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: begin + "\n" + table + "\n" + end, text,
                      flags=re.S)
    else:
        text += "\n" + begin + "\n" + table + "\n" + end + "\n"
    with open(doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
