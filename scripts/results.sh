#!/usr/bin/env bash
# Runs the experiments behind docs/RESULTS.md into runs/results/ and regenerates the document.
# Finished runs are skipped, so the script can be stopped and started again.
#   bash scripts/results.sh [all|tune-fmnist|tune-fmnist-at|tune-scenes|fmnist|scenes|report] [--seeds "0 1 2"] [--epochs N]
#                           [--threads N] [--set key=value]...   (--set applies to the student runs)
# The parts can run side by side (e.g. fmnist and scenes with --threads 1 each on a 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"; shift || true
seeds="0 1 2"; epochs=2; threads=2; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --set) extra+=(--set "$2"); shift 2 ;;
    *) echo "results.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
CLI=./build/app/distillery-cli
OUT=runs/results

run() {  # run NAME RECIPE [--set ...]
  local name="$1" recipe="$2"; shift 2
  local dir="$OUT/$name"
  if [ -f "$dir/summary.json" ] && grep -q '"status": "finished"' "$dir/summary.json"; then return 0; fi
  rm -rf "$dir"
  echo "== $name"
  "$CLI" train "$recipe" --out "$dir" --threads "$threads" "$@"
}

students() {  # students PREFIX RECIPE...
  local prefix="$1"; shift
  for recipe in "$@"; do
    local base; base=$(basename "$recipe" .yaml)
    for s in $seeds; do
      run "$base-s$s" "$recipe" --set seed="$s" --set train.epochs="$epochs" ${extra[@]+"${extra[@]}"}
    done
  done
}

# Tuning on a validation split carved from train (data.holdout), never on the test split.
if [ "$what" = tune-fmnist ] || [ "$what" = all ]; then
  for w in 10 50; do for tau in 1 4; do
    run "tune-fmnist_cwd-w$w-t$tau" resources/recipes/fmnist_cwd.yaml --set data.holdout=10000 \
      --set train.epochs=1 --set losses.1.weight=$w --set losses.1.tau=$tau
  done; done
fi
# AT: METHODS.md's per-pair weight 1000/2 with the sum-over-H·W formula swamps the task loss; try smaller ones.
if [ "$what" = tune-fmnist-at ] || [ "$what" = all ]; then
  for w in 1 5 50 500; do
    run "tune-fmnist_at-w$w" resources/recipes/fmnist_at.yaml --set data.holdout=10000 \
      --set train.epochs=1 --set losses.1.weight=$w --set losses.2.weight=$w
  done
fi
if [ "$what" = tune-scenes ] || [ "$what" = all ]; then
  for w in 1 3 10; do
    run "tune-scenes_cwd-w$w" resources/recipes/scenes_cwd.yaml --set data.holdout=2000 \
      --set train.epochs=1 --set losses.1.weight=$w
  done
fi
if [ "$what" = fmnist ] || [ "$what" = all ]; then
  students fmnist resources/recipes/fmnist_{student,kd,fitnet,at,cwd}.yaml
fi
if [ "$what" = scenes ] || [ "$what" = all ]; then
  students scenes resources/recipes/scenes_{student,pixel_kd,pair_kd,cwd,cwd_features}.yaml
fi
/usr/bin/python3 scripts/make_results.py "$OUT" docs/RESULTS.md
