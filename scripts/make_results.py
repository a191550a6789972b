#!/usr/bin/python3
"""Writes docs/RESULTS.md from run folders (summary.json + metrics.jsonl); nothing in it is typed by hand.
Usage: scripts/make_results.py RUNS_DIR OUT.md"""
import collections
import datetime
import json
import math
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENE_CLASSES = ["background", "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"]

FMNIST = [("fmnist_student", "student alone"), ("fmnist_kd", "+ KD (logits, τ 4)"),
          ("fmnist_fitnet", "+ FitNets (stage 3)"), ("fmnist_at", "+ AT (stages 2, 3)"),
          ("fmnist_cwd", "+ CWD (stage 3 features)")]
SCENES = [("scenes_student", "student alone"), ("scenes_pixel_kd", "+ pixel-wise KD (logits)"),
          ("scenes_pair_kd", "+ pair-wise KD (stage 3)"), ("scenes_cwd", "+ CWD on logits"),
          ("scenes_cwd_features", "+ CWD on features (stage 3)")]


def recipe_value(path, key):
    """A scalar from a run's resolved recipe.yaml (flat `key: value` lines are enough here)."""
    try:
        with open(os.path.join(path, "recipe.yaml")) as f:
            for line in f:
                m = re.match(rf"\s*{key}:\s*(\S+)", line)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return None


def load_run(path):
    with open(os.path.join(path, "summary.json")) as f:
        summary = json.load(f)
    summary["path"] = path
    final_step, val = -1, {}
    with open(os.path.join(path, "metrics.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r["split"] != "val":
                continue
            if r["step"] > final_step:
                final_step, val = r["step"], {}
            val[r["name"]] = r["value"]
    summary["final_val"] = val
    return summary


def mean_pm(values):
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def fmt_count(n):
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.0f}K"


def group(runs_dir):
    groups = collections.defaultdict(list)
    tuning = []
    if not os.path.isdir(runs_dir):
        return groups, tuning
    for name in sorted(os.listdir(runs_dir)):
        path = os.path.join(runs_dir, name)
        if not os.path.isfile(os.path.join(path, "summary.json")):
            continue
        run = load_run(path)
        if run.get("status") != "finished":
            continue
        if name.startswith("tune-"):
            tuning.append((name, run))
            continue
        m = re.match(r"(.+)-s(\d+)$", name)
        if m:
            groups[m.group(1)].append(run)
    return groups, tuning


def teacher(path):
    return load_run(os.path.join(ROOT, path)) if os.path.isfile(os.path.join(ROOT, path, "summary.json")) else None


QUANT_ROWS = [("ptq", "PTQ int8, min–max observer"), ("ptq-percentile", "PTQ int8, percentile 99.99 observer"),
              ("ptq-mse", "PTQ int8, MSE observer"), ("qat-kd", "QAT+KD int8 (recipe's teacher and CWD term)"),
              ("qat-self", "QAT int8, self-teaching (own fp32 copy as teacher)"),
              ("mixed-ptq", "mixed precision PTQ at the budget"),
              ("mixed-qat-kd", "mixed precision QAT+KD at the budget")]


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def quant_sections(lines):
    qdir = os.path.join(ROOT, "runs", "quant")
    if not os.path.isdir(qdir):
        return
    lines.extend(["## Quantization and export", "",
                  "Made by `bash scripts/quant_results.sh` from the seed-0 CWD students above "
                  "(`distillery-cli quantize` / `export --verify`). Weights int8 symmetric per output channel "
                  "(or the layer's width for mixed precision), activations uint8 per tensor; BatchNorm folded. "
                  "*simulated* is the fake-quantized model in the engine, *LibTorch int8* the same model on "
                  "LibTorch's int8 kernels (oneDNN), *agreement* the share of predictions (pixels for "
                  "segmentation) where the two agree. QAT runs one epoch at 1 % of the student's learning rate. "
                  "Sizes: weights at their bit width (engine) and the ONNX file on disk.", ""])
    for task, title in (("fmnist", "Fashion-MNIST student (resnet8, CWD): top-1 %"),
                        ("scenes", "Fashion-Scenes student (resnet8/fcn, CWD on logits): mIoU %")):
        ptq = read_json(os.path.join(qdir, f"{task}-ptq", "quantization.json"))
        if not ptq:
            continue
        fp32_card = read_json(os.path.join(qdir, "exports", f"{task}-fp32.card.json"))
        lines.extend([f"### {title}", "",
                      "| model | simulated | LibTorch int8 | agreement | Δ vs fp32 | weights | ONNX file | BOPs |",
                      "|---|---|---|---|---|---|---|---|"])
        fp32_file = fp32_card["file_size_bytes"] if fp32_card else None
        lines.append(f"| fp32 student | {ptq['fp32_metric']:.2f} | — | — | — | {ptq['fp32_size_bytes'] / 1024:.1f} KiB | "
                     + (f"{fp32_file / 1024:.1f} KiB" if fp32_file else "—")
                     + f" | {ptq['fp32_bops'] / 1e9:.2f} G |")
        for key, label in QUANT_ROWS:
            q = read_json(os.path.join(qdir, f"{task}-{key}", "quantization.json"))
            if not q:
                lines.append(f"| {label} | not run | | | | | | |")
                continue
            card = read_json(os.path.join(qdir, "exports", f"{task}-{key}.card.json"))
            size = ""
            if card and fp32_file:
                size = f"{card['file_size_bytes'] / 1024:.1f} KiB ({card['file_size_bytes'] / fp32_file:.2f}×)"
            widths = sorted({l["weight_bits"] for l in q["layers"]}, reverse=True)
            lines.append(f"| {label} (w {'/'.join(map(str, widths))}) | {q['simulated_metric']:.2f} | "
                         f"{q['int8_metric']:.2f} | {q['int8_agreement']:.2f} % | "
                         f"{q['simulated_metric'] - ptq['fp32_metric']:+.2f} | {q['size_bytes'] / 1024:.1f} KiB | "
                         f"{size or '—'} | {q['bops'] / 1e9:.2f} G |")
        lines.append("")
        mixed = read_json(os.path.join(qdir, f"{task}-mixed-ptq", "quantization.json"))
        if mixed:
            budget = recipe_value(os.path.join(qdir, f"{task}-mixed-qat-kd"), "budget") or "see quant_results.sh"
            lines.extend([f"Mixed precision: bits chosen per layer from the measured sensitivity (increase of "
                          f"KL(fp32 ‖ quantized) on 8 calibration batches when only that layer is at 6/4/2 bits) "
                          f"under the budget `{budget}`:", "",
                          "| layer | params | MACs | sensitivity @6 | @4 | @2 | bits chosen |", "|---|---|---|---|---|---|---|"])
            for l in mixed["layers"]:
                sens = l.get("sensitivity", {})
                lines.append(f"| {l['name']} | {l['params']} | {fmt_count(l['macs'])} | "
                             + " | ".join(f"{sens[b]:.5f}" if b in sens else "—" for b in ("6", "4", "2"))
                             + f" | {l['weight_bits']} |")
            lines.append("")
        # Verification in runtimes Distillery did not write.
        rows = []
        for key in ["fp32"] + [k for k, _ in QUANT_ROWS]:
            card = read_json(os.path.join(qdir, "exports", f"{task}-{key}.card.json"))
            if not card or not card.get("verification"):
                continue
            v = card["verification"]
            for c in v.get("comparisons", []):
                rows.append(f"| {task}-{key}.onnx | {c['runtime']} {c.get('version', '')} | {c['reference']} | "
                            f"{c['max_abs_diff']:.2e} | {c['agreement_percent']:.2f} % | "
                            f"{v['metrics'].get(c['runtime'], float('nan')):.2f} | {'yes' if v.get('passed') else 'NO'} |")
        if rows:
            lines.extend(["Exported files run in onnxruntime (npm `onnxruntime-node`) and OpenCV DNN (fp32), "
                          "on the whole test split (Fashion-MNIST 10 000 images, Fashion-Scenes 2 000 scenes):", "",
                          "| file | runtime | compared with | max abs logit diff | top-1 agreement | runtime's metric | targets met |",
                          "|---|---|---|---|---|---|---|"] + rows + [""])


def verify_section(lines):
    """The engine changed for speed (teacher BN folded, channels-last): the same runs again, next to the ones above."""
    vdir = os.path.join(ROOT, "runs", "verify")
    rdir = os.path.join(ROOT, "runs", "results")
    if not os.path.isdir(vdir):
        return
    rows = []
    for key in ("fmnist_student", "fmnist_cwd", "scenes_cwd"):
        before, after = [], []
        for seed in range(3):
            for d, out in ((rdir, before), (vdir, after)):
                path = os.path.join(d, f"{key}-s{seed}")
                if os.path.isfile(os.path.join(path, "summary.json")):
                    r = load_run(path)
                    if r.get("status") == "finished":
                        out.append(r["final_val"][r.get("main_metric", "top1")])
        if after:
            rows.append(f"| {key} | {mean_pm(before)} | {mean_pm(after)} | {len(after)} |")
    if rows:
        lines.extend(["## Engine speed changes leave the results in place", "",
                      "After the speed work of the benchmark (frozen teacher's BatchNorm folded into its convolutions, "
                      "channels-last weights and inputs, feature maps kept in the heap), the same recipes and seeds were trained again "
                      "(`runs/verify`); the tables above were made before the change.", "",
                      "| recipe | before (seeds 0–2) | after | seeds after |", "|---|---|---|---|"] + rows + [""])


def main():
    runs_dir, out = sys.argv[1], sys.argv[2]
    groups, tuning = group(runs_dir)
    lines = ["# Results", "",
             f"Generated by `scripts/make_results.py` from the run folders in `{os.path.relpath(runs_dir, ROOT)}` "
             f"({datetime.date.today().isoformat()}); rerun `bash scripts/results.sh` to reproduce. "
             "Every student of a table uses the same epochs, schedule and data; numbers are the final epoch's "
             "metric on the test split (never the best epoch, which would select on test), mean ± standard "
             "deviation over seeds.", ""]

    def section(title, rows, metric, teacher_path, teacher_desc):
        lines.extend([f"## {title}", ""])
        t = teacher(teacher_path)
        epochs = sorted({r["epochs"] for key, _ in rows for r in groups.get(key, [])})
        lines.append(f"| model | {metric} | seeds | epochs | params | MACs |")
        lines.append("|---|---|---|---|---|---|")
        if t:
            lines.append(f"| teacher: {teacher_desc} | {t['final_val'].get(metric, float('nan')):.2f} | 1 | "
                         f"{t['epochs']} | {fmt_count(t['params'])} | {fmt_count(t['macs'])} |")
        for key, label in rows:
            runs = groups.get(key, [])
            if not runs:
                lines.append(f"| {label} | not run | 0 | | | |")
                continue
            vals = [r["final_val"][metric] for r in runs]
            s = runs[0]["student"]
            lines.append(f"| {s['arch']}{'/' + s['head'] if s.get('head') else ''} {label} | {mean_pm(vals)} | "
                         f"{len(runs)} | {runs[0]['epochs']} | {fmt_count(s['params'])} | {fmt_count(s['macs'])} |")
        lines.append("")
        return epochs

    section("Fashion-MNIST (60 000 train / 10 000 test): top-1 %", FMNIST, "top1", "resources/teachers/fmnist_resnet20",
            "resnet20")

    scene_runs = [r for key, _ in SCENES for r in groups.get(key, [])]
    t = teacher("resources/teachers/scenes_psp_resnet20")
    sizes = ""
    if scene_runs:
        sizes = (f"students train on {recipe_value(scene_runs[0]['path'], 'train_scenes')} scenes"
                 + (f", the teacher on {recipe_value(t['path'], 'train_scenes')}" if t else "")
                 + f"; {recipe_value(scene_runs[0]['path'], 'val_scenes')} val scenes, ")
    section(f"Fashion-Scenes ({sizes}64×64, 11 classes): mIoU %", SCENES, "miou",
            "resources/teachers/scenes_psp_resnet20", "resnet20/psp")
    # Per-class IoU, mean over seeds.
    header = "| model | " + " | ".join(SCENE_CLASSES) + " |"
    lines.extend(["Per-class IoU % (mean over seeds):", "", header, "|---" * (len(SCENE_CLASSES) + 1) + "|"])
    rows = []
    t = teacher("resources/teachers/scenes_psp_resnet20")
    if t:
        rows.append(("teacher resnet20/psp", [t]))
    rows += [(label, groups.get(key, [])) for key, label in SCENES]
    for label, runs in rows:
        if not runs:
            continue
        cells = []
        for c in range(len(SCENE_CLASSES)):
            v = [r["final_val"].get(f"iou/{c}") for r in runs]
            v = [x for x in v if x is not None and not (isinstance(x, float) and math.isnan(x))]
            cells.append(f"{statistics.mean(v):.1f}" if v else "—")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")

    # How much each distillation term weighs at the end of training: a term that is a sliver of the total
    # barely steers the student, which explains a method that does not beat the student alone.
    lines.extend(["## Loss terms at the end of training (weighted, mean of the last five logged steps, seed 0)", "",
                  "| student | task | distillation term(s) | distillation share of the total |", "|---|---|---|---|"])
    for key, label in FMNIST + SCENES:
        runs = [r for r in groups.get(key, []) if r["path"].endswith("-s0")]
        if not runs or len(runs[0]["loss_terms"]) < 2:
            continue
        series = collections.defaultdict(list)
        with open(os.path.join(runs[0]["path"], "metrics.jsonl")) as f:
            for line in f:
                r = json.loads(line)
                if r["split"] == "train" and r["name"].startswith("loss/"):
                    series[r["name"][5:]].append(r["value"])
        end = {k: statistics.mean(v[-5:]) for k, v in series.items() if v}
        kd = {k: v for k, v in end.items() if k not in ("task", "total")}
        share = sum(kd.values()) / end["total"] if end.get("total") else float("nan")
        lines.append(f"| {key} | {end.get('task', float('nan')):.3f} | "
                     + ", ".join(f"{k} {v:.3f}" for k, v in kd.items()) + f" | {100 * share:.0f} % |")
    lines.append("")

    if tuning:
        lines.extend(["## Tuning (validation split carved from train with `data.holdout`, one seed, one epoch)", "",
                      "| run | loss terms | metric on the held-out split |", "|---|---|---|"])
        for name, run in tuning:
            metric = run.get("main_metric", "top1")
            lines.append(f"| {name} | {', '.join(run['loss_terms'])} | {metric} {run['final_val'].get(metric, float('nan')):.2f} |")
        lines.append("")
    verify_section(lines)
    quant_sections(lines)
    notes = os.path.join(ROOT, "docs", "RESULTS_NOTES.md")
    if os.path.isfile(notes):
        with open(notes) as f:
            lines.extend([f.read().rstrip(), ""])
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
