#!/usr/bin/python3
"""The multi-stage table of docs/RESULTS.md, run through `distillery-cli pipeline`:
- born-again networks: ResNet-8 alone (generation 1), then generations 2 and 3 each distilled (KD) from the one
  before;
- a teacher-assistant chain (TAKD): WRN-40-2 (trained here, runs/classics/teachers/wrn_40_2) → ResNet-20
  assistant → ResNet-8, against ResNet-8 distilled from WRN-40-2 directly.
Seeds 0, 1, 2 at a short schedule; finished stages are skipped, so the script can be stopped and run again.

  /usr/bin/python3 scripts/pipeline_results.py [--seeds 0 1 2] [--epochs 1] [--report-only]

Runs go to runs/pipelines/; the table replaces the part of docs/RESULTS.md between <!-- pipelines:begin -->
and <!-- pipelines:end -->."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("DISTILLERY_CLI", os.path.join(ROOT, "build", "app", "distillery-cli"))
OUT = os.path.join(ROOT, "runs", "pipelines")
WRN = os.path.join(ROOT, "runs", "classics", "teachers", "wrn_40_2")
RECIPES = os.path.join(ROOT, "resources", "recipes")
STUDENT, KD = os.path.join(RECIPES, "fmnist_student.yaml"), os.path.join(RECIPES, "fmnist_kd.yaml")


def best(run):
    path = os.path.join(run, "summary.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        s = json.load(f)
    return s["final"]["top1"] if s.get("status") == "finished" else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--report-only", action="store_true")
    a = p.parse_args()
    os.makedirs(OUT, exist_ok=True)
    rows = {}
    for seed in a.seeds:
        common = f"set: [seed={seed}, train.epochs={a.epochs}]\n"
        files = {
            "ban": f"name: ban-s{seed}\n{common}generations: 3\nfirst: {STUDENT}\nthen: {KD}\n"
                   "# later generations: fmnist_kd's student (ResNet-8), taught by the generation before\n",
            "takd": f"name: takd-s{seed}\n{common}stages:\n"
                    f"  - {{name: assistant, recipe: {KD}, set: {{model.arch: resnet20, teacher.arch: wrn_40_2, "
                    f"teacher.checkpoint: {WRN}}}}}\n"
                    f"  - {{name: student, recipe: {KD}}}\n",
            "direct": f"name: direct-s{seed}\n{common}stages:\n"
                      f"  - {{name: student, recipe: {KD}, set: {{teacher.arch: wrn_40_2, "
                      f"teacher.checkpoint: {WRN}}}}}\n",
        }
        for key, text in files.items():
            path = os.path.join(OUT, f"{key}-s{seed}.yaml")
            with open(path, "w") as f:
                f.write(text)
            out = os.path.join(OUT, f"{key}-s{seed}")
            if not a.report_only:
                print("==", out, flush=True)
                cmd = [CLI, "resume", out] if os.path.exists(os.path.join(out, "pipeline.yaml")) else \
                    [CLI, "pipeline", path, "--out", out]
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            stages = {"ban": ["gen1", "gen2", "gen3"], "takd": ["assistant", "student"], "direct": ["student"]}[key]
            for stage in stages:
                v = best(os.path.join(out, stage))
                if v is not None:
                    rows.setdefault((key, stage), []).append(v)

    def ms(values):
        if not values:
            return "–"
        s = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.2f} ± {s:.2f} ({len(values)} seeds)"

    labels = [
        (("ban", "gen1"), "born-again: ResNet-8, generation 1 (alone)"),
        (("ban", "gen2"), "born-again: generation 2 (KD from generation 1)"),
        (("ban", "gen3"), "born-again: generation 3 (KD from generation 2)"),
        (("direct", "student"), "WRN-40-2 → ResNet-8 directly (KD)"),
        (("takd", "assistant"), "TAKD: WRN-40-2 → ResNet-20 assistant (KD)"),
        (("takd", "student"), "TAKD: → ResNet-8 (KD from the assistant)"),
    ]
    lines = [f"`distillery-cli pipeline`, the shipped `fmnist_student`/`fmnist_kd` recipes (KD τ = 4, weight 1) at "
             f"{a.epochs} epoch(s) per stage, seeds {', '.join(map(str, a.seeds))}; final-epoch top-1. WRN-40-2 "
             f"teacher: 92.72 % (trained here).", "",
             "| stage | top-1 (%) |", "|---|---|"]
    for key, label in labels:
        lines.append(f"| {label} | {ms(rows.get(key, []))} |")
    table = "\n".join(lines)
    print(table)
    doc = os.path.join(ROOT, "docs", "RESULTS.md")
    text = open(doc).read()
    begin, end = "<!-- pipelines:begin -->", "<!-- pipelines:end -->"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: begin + "\n" + table + "\n" + end, text,
                      flags=re.S)
    else:
        text += "\n" + begin + "\n" + table + "\n" + end + "\n"
    with open(doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
