#!/usr/bin/env bash
# IDD on Fashion-Scenes (docs/RESULTS.md, "Inter-class distance distillation"): the weight tuned on a split held
# out from train (1, 3, 10; one epoch), then 3 seeds at one epoch beside the student alone at the same schedule.
# Runs go to runs/idd/; finished runs are skipped.
#   bash scripts/idd_results.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLI="${DISTILLERY_CLI:-./build/app/distillery-cli}"
OUT=runs/idd
run() {  # run NAME RECIPE [--set ...]
  local name="$1" recipe="$2"; shift 2
  local dir="$OUT/$name"
  if [ -f "$dir/summary.json" ] && grep -q '"status": "finished"' "$dir/summary.json"; then return 0; fi
  rm -rf "$dir"
  echo "== $name"
  "$CLI" train "$recipe" --out "$dir" --no-baseline "$@" > /dev/null
}
miou() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['final']['miou'])" "$1/summary.json"; }
best=3; bestv=-1
for w in 1 3 10; do
  run "tune-w$w" resources/recipes/scenes_idd.yaml --set data.holdout=2000 --set train.epochs=1 --set losses.1.weight=$w
  v=$(miou "$OUT/tune-w$w")
  if /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$v" "$bestv"; then best=$w; bestv=$v; fi
done
echo "idd weight $best (held-out mIoU $bestv)"
for s in 0 1 2; do
  run "student-s$s" resources/recipes/scenes_student.yaml --set seed=$s --set train.epochs=1
  run "idd-s$s" resources/recipes/scenes_idd.yaml --set seed=$s --set train.epochs=1 --set losses.1.weight=$best
done
/usr/bin/python3 - "$OUT" "$best" <<'PY'
import json, os, statistics, sys
out, best = sys.argv[1], sys.argv[2]
def vals(prefix):
    v = []
    for s in range(3):
        p = os.path.join(out, f"{prefix}-s{s}", "summary.json")
        if os.path.exists(p):
            v.append(json.load(open(p))["final"]["miou"])
    return v
tune = {w: json.load(open(os.path.join(out, f"tune-w{w}", "summary.json")))["final"]["miou"] for w in (1, 3, 10)}
st, idd = vals("student"), vals("idd")
ms = lambda v: f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f}" if len(v) > 1 else "–"
print("| run | mIoU % (3 seeds, 1 epoch) |\n|---|---|")
print(f"| resnet8/fcn student alone | {ms(st)} |")
print(f"| + IDD on stage 3 (weight {best}, τ 0.1) | {ms(idd)} (Δ {statistics.mean(idd) - statistics.mean(st):+.2f}) |")
print("\nheld-out mIoU by weight: " + ", ".join(f"{w}: {v:.2f}" for w, v in tune.items()))
PY
