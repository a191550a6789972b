#!/usr/bin/env bash
# Deep mutual learning on Fashion-MNIST (docs/RESULTS.md, "Deep mutual learning"): the shipped fmnist_dml recipe
# (two ResNet-8 peers, no teacher) at one epoch, 3 seeds; compare with the student alone at the same schedule
# (runs/hints/student, scripts/hint_results.py). Runs go to runs/dml/; finished runs are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI="${DISTILLERY_CLI:-./build/app/distillery-cli}"
for s in 0 1 2; do
  dir=runs/dml/s$s
  if [ -f "$dir/summary.json" ] && grep -q '"status": "finished"' "$dir/summary.json"; then continue; fi
  rm -rf "$dir"
  echo "== $dir"
  "$CLI" train resources/recipes/fmnist_dml.yaml --out "$dir" --set seed=$s --set train.epochs=1 --no-baseline > /dev/null
done
/usr/bin/python3 - <<'PY'
import json, statistics
def final(d, k):
    return json.load(open(d + "/summary.json"))["final"][k]
ms = lambda v: f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f}"
alone = [final(f"runs/hints/student/s{s}", "top1") for s in range(3)]
a = [final(f"runs/dml/s{s}", "top1") for s in range(3)]
b = [final(f"runs/dml/s{s}", "peer1/top1") for s in range(3)]
print("| ResNet-8 | top-1 % (3 seeds, 1 epoch) | Δ over alone |\n|---|---|---|")
print(f"| alone (`fmnist_student`) | {ms(alone)} | – |")
print(f"| DML, the student | {ms(a)} | {statistics.mean(a) - statistics.mean(alone):+.2f} |")
print(f"| DML, its peer | {ms(b)} | {statistics.mean(b) - statistics.mean(alone):+.2f} |")
PY
