#!/usr/bin/python3
"""Writes the "imported teacher" section of docs/RESULTS.md from runs/import (scripts/import_results.sh).
The section sits between <!-- import:begin --> and <!-- import:end --> and is replaced in place.
    /usr/bin/python3 scripts/import_results.py RUNS_DIR RESULTS_MD"""
import glob
import json
import os
import statistics
import sys


def final_metric(run, metric="top1"):
    last = None
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r["split"] == "val" and r["name"] == metric:
                last = r["value"]
    return last


def summary(run):
    with open(os.path.join(run, "summary.json")) as f:
        return json.load(f)


def mean_pm(values):
    if len(values) == 1:
        return "%.2f" % values[0]
    return "%.2f ± %.2f" % (statistics.mean(values), statistics.stdev(values))


def main():
    runs, doc = sys.argv[1], sys.argv[2]
    card_path = "resources/teachers/fmnist_vgg_torch.json"
    card = json.load(open(card_path)) if os.path.exists(card_path) else {}
    teacher_eval = json.load(open(os.path.join(runs, "teacher_eval.json")))["metrics"]["top1"]
    lines = ["<!-- import:begin -->", "## Fashion-MNIST with an imported teacher (ONNX from PyTorch): top-1 %", "",
             "The teacher is `resources/teachers/fmnist_vgg_torch.onnx`, a VGG-style CNN written and trained in "
             "plain PyTorch (`scripts/train_onnx_teacher.py`, %s epochs) and exported with `torch.onnx.export`; "
             "the students import it as the file itself (`teacher: {onnx: ...}`). Same data, transforms and "
             "schedule for every student (the recipes' 3 epochs); final epoch on the test split, mean ± std "
             "over 3 seeds." % card.get("epochs", "?"), "",
             "| model | top1 | Δ vs alone | seeds | epochs | params | MACs |", "|---|---|---|---|---|---|---|"]
    lines.append("| teacher: VGG-style CNN (PyTorch, imported) | %.2f (PyTorch: %.2f) | | 1 | %s | %s | |" % (
        teacher_eval, card.get("test_top1", float("nan")), card.get("epochs", "?"),
        "%dK" % round(card.get("params", 0) / 1000)))
    rows = [("fmnist_student", "resnet8 student alone"), ("fmnist_onnx_kd", "resnet8 + KD from the imported teacher (τ 4)"),
            ("fmnist_onnx_cwd", "resnet8 + CWD from the imported teacher (stage 3)")]
    base = None
    for key, label in rows:
        dirs = sorted(glob.glob(os.path.join(runs, key + "-s*")))
        done = [d for d in dirs if os.path.exists(os.path.join(d, "summary.json")) and
                summary(d).get("status") == "finished"]
        if not done:
            continue
        values = [final_metric(d) for d in done]
        s = summary(done[0])
        mean = statistics.mean(values)
        if base is None:
            base = mean
        delta = "" if key == "fmnist_student" else "%+.2f" % (mean - base)
        lines.append("| %s | %s | %s | %d | %d | %dK | %.2fM |" % (label, mean_pm(values), delta, len(values),
                                                              s["epochs"], round(s["params"] / 1000), s["macs"] / 1e6))
    def tune_key(d):
        name = os.path.basename(d)
        return (float(name.split("-w")[1].split("-")[0]), float(name.split("-t")[-1]))

    tune = sorted(glob.glob(os.path.join(runs, "tune-*")), key=tune_key)
    if tune:
        lines += ["", "CWD weight × τ on 10 000 training images held out from train (one epoch, one seed):", "",
                  "| weight | τ | held-out top1 |", "|---|---|---|"]
        for d in tune:
            name = os.path.basename(d)
            w = name.split("-w")[1].split("-")[0]
            t = name.split("-t")[-1]
            lines.append("| %s | %s | %.2f |" % (w, t, final_metric(d)))
    lines += ["", "Reproduce: `bash scripts/import_results.sh`.", "<!-- import:end -->"]
    text = open(doc).read()
    section = "\n".join(lines)
    if "<!-- import:begin -->" in text:
        head, rest = text.split("<!-- import:begin -->", 1)
        tail = rest.split("<!-- import:end -->", 1)[1]
        text = head + section + tail
    else:
        marker = "\n## Fashion-Scenes"
        i = text.find(marker)
        text = text[:i] + "\n" + section + "\n" + text[i:] if i >= 0 else text + "\n" + section + "\n"
    with open(doc + ".tmp", "w") as f:
        f.write(text)
    os.replace(doc + ".tmp", doc)
    print("wrote the import section of", doc)


if __name__ == "__main__":
    main()
