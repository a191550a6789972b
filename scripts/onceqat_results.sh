#!/usr/bin/env bash
# Once-QAT on Fashion-MNIST (docs/RESULTS.md, "Once-QAT"): a ResNet-8 trained alone for 3 epochs
# (fmnist_student.yaml) is the fp32 source; then, for seeds 0-2, one vertical-layered model for 8/6/4/2 bits
# (one epoch over the first 20 000 training images, the student's own fp32 copy as teacher) against four
# dedicated QAT runs at the same schedule, one per width, and PTQ at each width. Runs go to runs/onceqat/;
# finished runs are skipped, so the script can be stopped and run again.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI="${DISTILLERY_CLI:-./build/app/distillery-cli}"
done_run() { [ -f "$1/summary.json" ] && grep -q '"status": "finished"' "$1/summary.json"; }
src=runs/onceqat/source
if ! done_run $src; then
  rm -rf $src
  echo "== $src"
  "$CLI" train resources/recipes/fmnist_student.yaml --out $src --no-baseline > /dev/null
fi
for b in 8 6 4 2; do
  dir=runs/onceqat/ptq/w$b
  [ -f "$dir/quantization.json" ] && continue
  rm -rf "$dir"
  echo "== $dir"
  "$CLI" quantize $src --out "$dir" --bits $b > /dev/null
done
for s in 0 1 2; do
  dir=runs/onceqat/once/s$s
  if ! done_run "$dir" || [ ! -f "$dir/quantization.json" ]; then
    rm -rf "$dir"
    echo "== $dir"
    "$CLI" quantize $src --out "$dir" --method qat --teacher self --epochs 1 --subset 20000 --seed $s \
      --vertical 8,6,4,2 > /dev/null
  fi
  for b in 8 6 4 2; do
    dir=runs/onceqat/qat/w$b-s$s
    if done_run "$dir" && [ -f "$dir/quantization.json" ]; then continue; fi
    rm -rf "$dir"
    echo "== $dir"
    "$CLI" quantize $src --out "$dir" --method qat --teacher self --epochs 1 --subset 20000 --seed $s \
      --bits $b > /dev/null
  done
done
/usr/bin/python3 - <<'PY'
import json, statistics
def q(d):
    return json.load(open(d + "/quantization.json"))
ms = lambda v: f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f}"
src = json.load(open("runs/onceqat/source/summary.json"))["final"]["top1"]
print(f"fp32 source (ResNet-8, 3 epochs): {src:.2f}\n")
print("| weights | PTQ | dedicated QAT, one model per width (3 seeds) | once-QAT, one model for all (3 seeds) | "
      "once − dedicated | once-QAT on LibTorch int8 kernels |")
print("|---|---|---|---|---|---|")
for b in (8, 6, 4, 2):
    ptq = q(f"runs/onceqat/ptq/w{b}")["simulated_metric"]
    ded = [q(f"runs/onceqat/qat/w{b}-s{s}")["simulated_metric"] for s in range(3)]
    once = [next(v for v in q(f"runs/onceqat/once/s{s}")["vertical"] if v["bits"] == b) for s in range(3)]
    sim = [v["simulated_metric"] for v in once]
    i8 = [v["int8_metric"] for v in once]
    print(f"| {b} bit | {ptq:.2f} | {ms(ded)} | {ms(sim)} | {statistics.mean(sim) - statistics.mean(ded):+.2f} | "
          f"{ms(i8)} |")
size = [next(v for v in q("runs/onceqat/once/s0")["vertical"] if v["bits"] == b)["size_bytes"] for b in (8, 6, 4, 2)]
print("\nweights at 8/6/4/2 bits: " + " / ".join(f"{x / 1000:.1f} KB" for x in size) +
      f"; four dedicated models: {sum(size) / 1000:.1f} KB, the one vertical model: {size[0] / 1000:.1f} KB")
PY
