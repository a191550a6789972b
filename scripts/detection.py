#!/usr/bin/python3
"""The detection table of docs/RESULTS.md (issue 11): the shipped CenterNet/ResNet-20 teacher, the ResNet-8
student alone, and the student distilled with CWD on the neck, FGD and pixel-wise KD on the heat maps (the
shipped recipes resources/recipes/det_*.yaml), each over several seeds; then the CWD student quantized by QAT
with its CWD terms against fp32. Finished runs are skipped and unfinished ones resumed, so the script can be
stopped and run again.

  /usr/bin/python3 scripts/detection.py [--seeds 0 1 2] [--epochs 8] [--qat-epochs 1] [--report-only]

Runs go to runs/det/; the table replaces the part of docs/RESULTS.md between <!-- detection:begin --> and
<!-- detection:end --> (appended when the markers are missing)."""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# DISTILLERY_CLI: a copy of the binary, so that the tree can be rebuilt while a sweep runs.
CLI = os.environ.get("DISTILLERY_CLI", os.path.join(ROOT, "build", "app", "distillery-cli"))
RUNS = os.path.join(ROOT, "runs", "det")
TEACHER = os.path.join(ROOT, "resources", "teachers", "det_centernet_resnet20")
METHODS = [
    ("student", "student alone", "resources/recipes/det_student.yaml"),
    ("cwd", "+CWD (neck, τ 1, weight 10 → 1)", "resources/recipes/det_cwd.yaml"),
    ("fgd", "+FGD (neck, weight 100)", "resources/recipes/det_fgd.yaml"),
    ("pixel_kd", "+pixel-wise KD (heat maps, τ 2)", "resources/recipes/det_pixel_kd.yaml"),
]
METRICS = ["ap", "ap50", "ap75", "ap_small", "ap_medium"]
LABELS = {"ap": "AP", "ap50": "AP50", "ap75": "AP75", "ap_small": "AP small", "ap_medium": "AP medium"}


def summary(folder):
    try:
        with open(os.path.join(folder, "summary.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def finished(folder):
    s = summary(folder)
    return s is not None and s.get("status") == "finished"


def run(args):
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def train(recipe, folder, seed, epochs):
    if finished(folder):
        return
    if os.path.isdir(os.path.join(folder, "checkpoints")):
        run([CLI, "resume", folder])
        return
    args = [CLI, "train", os.path.join(ROOT, recipe), "--out", folder, "--set", f"seed={seed}",
            "--set", f"train.epochs={epochs}"]
    if "student" not in recipe:  # distillation: the shipped teacher, wherever this checkout is
        args += ["--set", f"teacher.checkpoint={TEACHER}"]
    run(args)


def evaluate(folder, which="best"):
    out = subprocess.run([CLI, "eval", folder, "--checkpoint", which, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["metrics"]


def final_metrics(folder):
    """The last epoch's validation metrics (metrics.jsonl), as the tables report the final epoch."""
    last = {}
    with open(os.path.join(folder, "metrics.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r.get("split") == "val" and r.get("epoch"):
                last.setdefault(r["epoch"], {})[r["name"]] = r["value"]
    return last[max(last)] if last else {}


def mean_std(values):
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def report(seeds, qat_folder):
    rows = []
    teacher = summary(TEACHER) or {}
    tm = evaluate(TEACHER) if os.path.isdir(TEACHER) else {}
    rows.append("| model | seeds | " + " | ".join(LABELS[m] for m in METRICS) +
                " | Δ AP over the student alone (same seeds) |")
    rows.append("|---|---|" + "---|" * (len(METRICS) + 1))
    rows.append("| teacher: CenterNet / ResNet-20 (shipped, best checkpoint) | 0 | " +
                " | ".join(f"{tm.get(m, float('nan')):.2f}" for m in METRICS) + " | |")
    alone = {s: final_metrics(os.path.join(RUNS, "student", f"seed{s}")) for s in seeds
             if finished(os.path.join(RUNS, "student", f"seed{s}"))}
    for key, label, _ in METHODS:
        got = {s: final_metrics(os.path.join(RUNS, key, f"seed{s}")) for s in seeds
               if finished(os.path.join(RUNS, key, f"seed{s}"))}
        if not got:
            rows.append(f"| {label} | – | " + " | ".join("–" for _ in METRICS) + " | |")
            continue
        # The gain is paired by seed: each seed's run against the student alone with the same seed.
        paired = [got[s]["ap"] - alone[s]["ap"] for s in got if s in alone]
        delta = "" if key == "student" or not paired else \
            f"{statistics.mean(paired):+.2f} ({', '.join(f'{d:+.2f}' for d in paired)})"
        rows.append(f"| {label} | {', '.join(str(s) for s in sorted(got))} | " +
                    " | ".join(mean_std([g[m] for g in got.values() if m in g]) for m in METRICS) +
                    f" | {delta} |")
    if qat_folder and finished(qat_folder):
        with open(os.path.join(qat_folder, "quantization.json")) as f:
            q = json.load(f)
        rows.append("")
        rows.append(f"QAT with the recipe's CWD terms ({os.path.relpath(qat_folder, ROOT)}): AP fp32 "
                    f"{q.get('fp32_metric', float('nan')):.2f}, simulated int8 {q.get('simulated_metric', float('nan')):.2f}, "
                    f"LibTorch int8 {q.get('int8_metric', float('nan')):.2f}.")
    return "\n".join(rows) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--qat-epochs", type=int, default=1)
    p.add_argument("--report-only", action="store_true")
    a = p.parse_args()
    qat = os.path.join(RUNS, "cwd", "seed0-qat")
    if not a.report_only:
        # Seed-major (every method's first seed before any second one), and the QAT row as soon as its fp32
        # student exists, so that a sweep stopped early leaves a complete first column.
        for seed in a.seeds:
            for key, _, recipe in METHODS:
                train(recipe, os.path.join(RUNS, key, f"seed{seed}"), seed, a.epochs)
            if not finished(qat) and finished(os.path.join(RUNS, "cwd", "seed0")):
                if os.path.isdir(os.path.join(qat, "checkpoints")):
                    run([CLI, "resume", qat])
                else:
                    run([CLI, "quantize", os.path.join(RUNS, "cwd", "seed0"), "--out", qat, "--method", "qat",
                         "--teacher", "recipe", "--epochs", str(a.qat_epochs)])
    table = report(a.seeds, qat)
    print(table)
    path = os.path.join(ROOT, "docs", "RESULTS.md")
    with open(path) as f:
        text = f.read()
    begin, end = "<!-- detection:begin -->", "<!-- detection:end -->"
    block = begin + "\n" + table + end
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
