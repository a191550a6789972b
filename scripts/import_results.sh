#!/usr/bin/env bash
# The imported-teacher rows of docs/RESULTS.md: ResNet-8 alone, and distilled with KD and with CWD from the
# shipped ONNX teacher (a CNN trained in PyTorch, resources/teachers/fmnist_vgg_torch.onnx), 3 seeds at the
# recipes' schedule; CWD's weight and tau tuned first on a split held out from train. Runs go to runs/import/
# (finished ones are skipped: stop and start again at will); then the section is rewritten in RESULTS.md.
#   bash scripts/import_results.sh [all|tune|students|report] [--seeds "0 1 2"] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"; [ $# -gt 0 ] && shift
seeds="0 1 2"; threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "import_results.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
CLI=./build/app/distillery-cli
OUT=runs/import

run() {  # run NAME RECIPE [--set ...]
  local name="$1" recipe="$2"; shift 2
  local dir="$OUT/$name"
  if [ -f "$dir/summary.json" ] && grep -q '"status": "finished"' "$dir/summary.json"; then return 0; fi
  if [ -f "$dir/checkpoints/last.pt" ]; then
    echo "== $name (resuming)"; "$CLI" resume "$dir" --threads "$threads"; return 0
  fi
  rm -rf "$dir"
  echo "== $name"
  "$CLI" train "$recipe" --out "$dir" --threads "$threads" "$@"
}

# The teacher's own accuracy, as the engine measures the imported file.
mkdir -p "$OUT"
[ -f "$OUT/teacher_eval.json" ] || "$CLI" eval resources/teachers/fmnist_vgg_torch.onnx \
  --data resources/recipes/fmnist_student.yaml --json > "$OUT/teacher_eval.json"
if [ "$what" = tune ] || [ "$what" = all ]; then
  for w in 10 50 200; do for tau in 1 4; do
    run "tune-onnx_cwd-w$w-t$tau" resources/recipes/fmnist_onnx_cwd.yaml --set data.holdout=10000 \
      --set train.epochs=1 --set losses.1.weight=$w --set losses.1.tau=$tau
  done; done
fi
if [ "$what" = students ] || [ "$what" = all ]; then
  for recipe in fmnist_student fmnist_onnx_kd fmnist_onnx_cwd; do
    for s in $seeds; do
      run "$recipe-s$s" "resources/recipes/$recipe.yaml" --set seed="$s"
    done
  done
fi
/usr/bin/python3 scripts/import_results.py "$OUT" docs/RESULTS.md
