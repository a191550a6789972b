#!/usr/bin/env bash
# Imported models: the engine's forward pass against onnxruntime running the same ONNX file, side by side in
# one invocation (alternating rounds), 2 threads each. Prints one JSON line per model; the numbers go into
# docs/BENCHMARKS.md ("Imported models"). Needs a built tree and scripts/setup.sh's onnxruntime-node.
#   bash bench/run_import_benchmark.sh [--threads N] [--batch B]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2; batch=64
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    *) echo "run_import_benchmark.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/make_import_models.py "$tmp" >/dev/null 2>&1
for model in resnet18 mobilenet_v2; do
  ./build/bench/distillery-bench import "$tmp/$model.onnx" --batch "$batch" --threads "$threads" --iters 30 --rounds 3
done
