#!/usr/bin/python3
"""The structured-pruning table of docs/RESULTS.md: the shipped ResNet-20 teacher pruned to half its parameters
(BN-scale ranking, the same share of every layer), its batch-norm statistics re-estimated, then recovered for a
short schedule three ways (fine-tuning on the labels, KD from the unpruned model, KD + CWD from it), 3 seeds.
Finished runs are skipped, so the script can be stopped and run again.

  /usr/bin/python3 scripts/prune_results.py [--seeds 0 1 2] [--epochs 1] [--budget params=50%] [--report-only]

Runs go to runs/prune/; the table replaces the part of docs/RESULTS.md between <!-- prune:begin --> and
<!-- prune:end -->."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("DISTILLERY_CLI", os.path.join(ROOT, "build", "app", "distillery-cli"))
TEACHER = os.path.join(ROOT, "resources", "teachers", "fmnist_resnet20")
OUT = os.path.join(ROOT, "runs", "prune")

VARIANTS = {
    "finetune": ("fine-tuning (labels only)", "train", ["{method: task, weight: 1.0}"]),
    "kd": ("KD from the unpruned model", "distill",
           ["{method: task, weight: 1.0}", "{method: kd, weight: 1.0, tau: 4}"]),
    "kd_cwd": ("KD + CWD (stage3) from the unpruned model", "distill",
               ["{method: task, weight: 1.0}", "{method: kd, weight: 1.0, tau: 4}",
                "{method: cwd, tap: stage3, weight: 50, tau: 1}"]),
}


def recipe(job, losses, pruned, seed, epochs):
    teacher = f"teacher: {{arch: resnet20, checkpoint: {TEACHER}}}\n" if job == "distill" else ""
    return f"""name: prune-recovery
job: {job}
seed: {seed}
data: {{dataset: fashion_mnist, root: /usr/share/datasets/fashion-mnist, workers: 2}}
transforms:
  train:
    - random_crop: {{size: 28, padding: 2}}
    - hflip: 0.5
    - normalize: {{mean: [0.2860], std: [0.3530]}}
  eval:
    - normalize: {{mean: [0.2860], std: [0.3530]}}
model: {{checkpoint: {pruned}}}
{teacher}losses: [{", ".join(losses)}]
optim: {{name: sgd, lr: 0.01, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4}}
schedule: {{name: cosine}}
train: {{epochs: {epochs}, batch_size: 128, eval_batch_size: 500}}
"""


def top1(run):
    with open(os.path.join(run, "summary.json")) as f:
        s = json.load(f)
    return s["final"]["top1"] if s.get("status") == "finished" else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--budget", default="params=50%")
    p.add_argument("--report-only", action="store_true")
    a = p.parse_args()
    os.makedirs(OUT, exist_ok=True)
    pruned = os.path.join(OUT, "resnet20-pruned.pt")
    report = os.path.join(OUT, "prune.json")
    if not a.report_only and not os.path.exists(report):
        out = subprocess.run([CLI, "prune", TEACHER, "--out", pruned, "--budget", a.budget, "--scope", "layer",
                              "--data", os.path.join(ROOT, "resources", "recipes", "fmnist_kd.yaml"), "--json"],
                             check=True, capture_output=True, text=True).stdout
        with open(report, "w") as f:
            f.write(out)
    with open(report) as f:
        pr = json.load(f)
    results = {}
    for key, (label, job, losses) in VARIANTS.items():
        for seed in a.seeds:
            run = os.path.join(OUT, key, f"s{seed}")
            if not os.path.exists(os.path.join(run, "summary.json")) or top1(run) is None:
                if a.report_only:
                    continue
                path = os.path.join(OUT, f"{key}-s{seed}.yaml")
                with open(path, "w") as f:
                    f.write(recipe(job, losses, pruned, seed, a.epochs))
                print("==", run, flush=True)
                cmd = [CLI, "resume", run] if os.path.exists(os.path.join(run, "checkpoints")) else \
                    [CLI, "train", path, "--out", run]
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            v = top1(run)
            if v is not None:
                results.setdefault(key, []).append(v)

    def ms(values):
        if not values:
            return "–"
        m = statistics.mean(values)
        s = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{m:.2f} ± {s:.2f}"

    base = statistics.mean(results["finetune"]) if results.get("finetune") else None
    m = pr["metric"]
    lines = [
        f"Pruned: the shipped ResNet-20 teacher, `distillery-cli prune --budget {a.budget} --scope layer "
        f"--criterion bn --data fmnist_kd`: {pr['params_before']:,} → {pr['params_after']:,} parameters "
        f"({100 * pr['params_after'] / pr['params_before']:.1f} %), {pr['macs_before'] / 1e6:.1f} M → "
        f"{pr['macs_after'] / 1e6:.1f} M MACs. Top-1 of the unpruned model {m['unpruned']:.2f} %, as cut "
        f"{m['pruned']:.2f} %, after re-estimating batch-norm statistics on 20 train batches "
        f"{m['recalibrated']:.2f} %. Recovery: {a.epochs} epoch(s), SGD lr 0.01 cosine, batch 128, "
        f"seeds {', '.join(map(str, a.seeds))}; final-epoch top-1.",
        "",
        "| recovery | top-1 (%) | Δ over fine-tuning |",
        "|---|---|---|",
    ]
    for key, (label, _, _) in VARIANTS.items():
        v = results.get(key, [])
        delta = f"{statistics.mean(v) - base:+.2f}" if v and base is not None and key != "finetune" else "–"
        lines.append(f"| {label} | {ms(v)} ({len(v)} seeds) | {delta} |")
    table = "\n".join(lines)
    print(table)
    doc = os.path.join(ROOT, "docs", "RESULTS.md")
    text = open(doc).read()
    begin, end = "<!-- prune:begin -->", "<!-- prune:end -->"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), begin + "\n" + table + "\n" + end, text, flags=re.S)
    else:
        text += "\n" + begin + "\n" + table + "\n" + end + "\n"
    with open(doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
