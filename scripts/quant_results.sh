#!/usr/bin/env bash
# Quantization experiments behind the "Quantization and export" sections of docs/RESULTS.md and
# docs/BENCHMARKS.md: for the Fashion-MNIST and Fashion-Scenes CWD students (runs/results/*_cwd-s0, made by
# scripts/results.sh): PTQ with each observer, QAT with the run's teacher (CWD terms) and self-teaching,
# mixed precision under a size / BOPs budget (PTQ and QAT), ONNX exports verified in onnxruntime and OpenCV
# DNN. Finished steps are skipped. Latencies are measured by bench/run_quant_benchmarks.sh (quiet machine).
#   bash scripts/quant_results.sh [--threads N]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    *) echo "quant_results.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
CLI=./build/app/distillery-cli
OUT=runs/quant
mkdir -p "$OUT/exports"

quant() {  # quant NAME SOURCE [quantize options]
  local name="$1" src="$2"; shift 2
  [ -f "$OUT/$name/quantization.json" ] && return 0
  rm -rf "${OUT:?}/$name"
  echo "== quantize $name"
  "$CLI" quantize "$src" --out "$OUT/$name" --threads "$threads" "$@"
}

export_run() {  # export_run NAME RUN FORMAT
  local name="$1" run="$2" format="$3" file="$OUT/exports/$1.onnx"
  if [ ! -f "$OUT/exports/$name.verify.txt" ]; then
    echo "== export $name ($format)"
    # Exit status 1 = a verification target missed: keep going, the text says which.
    "$CLI" export "$run" --format "$format" --out "$file" --verify --threads "$threads" \
      > "$OUT/exports/$name.verify.txt" || [ $? -eq 1 ]
    cat "$OUT/exports/$name.verify.txt"
  fi
}

for task in fmnist scenes; do
  src=runs/results/${task}_cwd-s0
  if [ ! -f "$src/checkpoints/best.pt" ]; then
    echo "quant_results.sh: $src is missing; run 'bash scripts/results.sh $task' first" >&2
    exit 2
  fi
  if [ "$task" = fmnist ]; then budget=size=55KB; else budget=bops=2.3G; fi
  quant "$task-ptq" "$src"
  quant "$task-ptq-percentile" "$src" --observer percentile
  quant "$task-ptq-mse" "$src" --observer mse
  quant "$task-qat-kd" "$src" --method qat --teacher recipe --epochs 1
  quant "$task-qat-self" "$src" --method qat --teacher self --epochs 1
  quant "$task-mixed-ptq" "$src" --budget "$budget"
  quant "$task-mixed-qat-kd" "$src" --method qat --teacher recipe --epochs 1 --budget "$budget"
  export_run "$task-fp32" "$src" onnx
  for q in ptq qat-kd mixed-qat-kd; do
    export_run "$task-$q" "$OUT/$task-$q" onnx-int8
  done
done
/usr/bin/python3 scripts/make_results.py runs/results docs/RESULTS.md
