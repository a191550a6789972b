#!/usr/bin/python3
"""The data-free row of docs/RESULTS.md: a ResNet-8 student that never sees a Fashion-MNIST training image, taught
by the shipped ResNet-20 through a conditional generator (resources/recipes/fmnist_data_free.yaml), against the
same student trained alone on real images for the same number of steps (the first steps x 128 training images,
seen once, the same schedule). Every finished run's numbers go to docs/results/data_free.json, so that the
script continues in a fresh checkout and skips what is recorded.

  /usr/bin/python3 scripts/data_free_results.py [--seeds 0 1 2] [--epochs 2] [--steps-per-epoch 200]
                                                [--threads 2] [--report-only]

Runs go to runs/data_free/; the table replaces the part of docs/RESULTS.md between <!-- data-free:begin -->
and <!-- data-free:end -->."""
import argparse
import json
import os
import re
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("DISTILLERY_CLI", os.path.join(ROOT, "build", "app", "distillery-cli"))
LEDGER = os.path.join(ROOT, "docs", "results", "data_free.json")


def load_ledger():
    return json.load(open(LEDGER)) if os.path.exists(LEDGER) else {}


def save_ledger(ledger):
    tmp = LEDGER + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ledger, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, LEDGER)


def final_top1(run_dir):
    s = json.load(open(os.path.join(run_dir, "summary.json")))
    if s.get("status") != "finished":
        raise SystemExit(f"{run_dir}: {s.get('status')} ({s.get('message', '')})")
    return s["final"]["top1"], s.get("wall_seconds", 0.0)


def run(cmd, log):
    with open(log, "a") as f:
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--steps-per-epoch", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--report-only", action="store_true")
    a = ap.parse_args()
    steps = a.epochs * a.steps_per_epoch
    setting = f"{a.epochs}x{a.steps_per_epoch}"
    ledger = load_ledger()
    out = os.path.join(ROOT, "runs", "data_free", setting)
    os.makedirs(out, exist_ok=True)
    for seed in a.seeds:
        for kind in ("data_free", "alone"):
            key = f"{setting}/{kind}/s{seed}"
            if key in ledger or a.report_only:
                continue
            run_dir = os.path.join(out, f"{kind}_s{seed}")
            subprocess.run(["rm", "-rf", run_dir], check=True)
            if kind == "data_free":
                cmd = [CLI, "train", os.path.join(ROOT, "resources/recipes/fmnist_data_free.yaml"), "--out", run_dir,
                       "--threads", str(a.threads), "--set", f"seed={seed}", "--set", f"train.epochs={a.epochs}",
                       "--set", f"data_free.steps_per_epoch={a.steps_per_epoch}"]
            else:
                # The same student, steps and schedule on real images: the first steps x 128, seen once.
                cmd = [CLI, "train", os.path.join(ROOT, "resources/recipes/fmnist_student.yaml"), "--out", run_dir,
                       "--threads", str(a.threads), "--set", f"seed={seed}", "--set", "train.epochs=1",
                       "--set", f"data.subset={steps * 128}", "--no-baseline"]
            print("==", key, flush=True)
            run(cmd, run_dir + ".log")
            top1, wall = final_top1(run_dir)
            entry = {"top1": top1, "wall_seconds": round(wall, 1)}
            if kind == "data_free":
                g = json.loads(subprocess.run([CLI, "generate", run_dir, "--out", run_dir + ".png", "--json",
                                               "--per-class", "16", "--threads", str(a.threads)],
                                              check=True, capture_output=True, text=True).stdout)
                entry.update({k: round(g[k], 4) for k in
                              ("teacher_agreement", "student_agreement", "mean_gap", "log_var_gap")})
            ledger[key] = entry
            save_ledger(ledger)
    report(ledger, setting, steps)


def report(ledger, setting, steps):
    def stats(kind, field="top1"):
        v = [e[field] for k, e in sorted(ledger.items()) if k.startswith(f"{setting}/{kind}/")]
        if not v:
            return None, 0
        return (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0), len(v)
    (df, n_df), (alone, n_alone) = stats("data_free"), stats("alone")
    if not df or not alone:
        print("nothing recorded yet for", setting)
        return
    agree, _ = stats("data_free", "teacher_agreement")
    gap, _ = stats("data_free", "mean_gap")
    lvg, _ = stats("data_free", "log_var_gap")
    rows = [
        "| student (ResNet-8) | training images | top-1 (%) | Δ |",
        "|---|---|---|---|",
        f"| alone, {steps} steps on real images ({n_alone} seeds) | {steps * 128:,} real | "
        f"{alone[0]:.2f} ± {alone[1]:.2f} | |",
        f"| data-free KD from ResNet-20 (92.21), {steps} steps ({n_df} seeds) | none (generated) | "
        f"{df[0]:.2f} ± {df[1]:.2f} | {df[0] - alone[0]:+.2f} |",
    ]
    text = "\n".join(rows) + "\n\n" + (
        f"Generated images after training: the teacher sees the class asked for in {100 * agree[0]:.1f} % of "
        f"them; their batch statistics are {gap[0]:.3f} running standard deviations from the teacher's "
        f"batch-norm means and {lvg[0]:.3f} from its variances (log ratio), averaged over its 19 batch norms.\n")
    path = os.path.join(ROOT, "docs", "RESULTS.md")
    doc = open(path).read()
    begin, end = "<!-- data-free:begin -->", "<!-- data-free:end -->"
    block = f"{begin}\n{text}{end}"
    doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: block, doc, flags=re.S) if begin in doc \
        else doc.rstrip("\n") + "\n\n" + block + "\n"
    with open(path + ".tmp", "w") as f:
        f.write(doc)
    os.replace(path + ".tmp", path)
    print(text)


if __name__ == "__main__":
    main()
