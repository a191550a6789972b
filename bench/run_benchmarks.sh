#!/usr/bin/env bash
# Measures the engine against the same recipe in PyTorch (Debian's python3-torch, the same LibTorch 1.13),
# side by side in one invocation, and writes docs/BENCHMARKS.md (bench/write_benchmarks.py). Needs a built tree
# (scripts/build.sh). About 30 minutes on 2 cores; run nothing else meanwhile.
#   bash bench/run_benchmarks.sh [--steps N] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=150; threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "run_benchmarks.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
B=./build/bench/distillery-bench
PY=/usr/bin/python3
tmp=$(mktemp -d)
# Measurements are kept when a step fails (the folder is named), removed when the report is written.
trap 'if [ $? -ne 0 ]; then echo "run_benchmarks.sh: failed; measurements so far are in $tmp" >&2; else rm -rf "$tmp"; fi' EXIT
warm=15
# Timings never read or fill the user's shared teacher cache.
export DISTILLERY_TEACHER_CACHE=off

echo "sgemm (reference BLAS, before setup's OpenBLAS) ..."
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas "$B" sgemm 2048 --threads "$threads" > "$tmp/sgemm_ref.json"
echo "sgemm (OpenBLAS) ..."
"$B" sgemm 2048 --threads "$threads" > "$tmp/sgemm_openblas.json"
echo "warm oneDNN convolution ..."
"$B" conv --threads "$threads" > "$tmp/conv_fp32.json"
# bf16 rows only where the CPU computes bf16 natively (elsewhere both sides would emulate it, slowly).
precisions=(fp32)
if grep -qE '(avx512_bf16|amx_bf16)' /proc/cpuinfo; then
  precisions+=(bf16)
  "$B" conv --bf16 --threads "$threads" > "$tmp/conv_bf16.json"
fi
# The PyTorch side in every configuration a competent user would try (DataLoader workers 0/1/2, precision,
# memory format, and below the allocator); its best at each precision is the baseline. Engine and PyTorch runs alternate so that a slow
# phase of the machine hits both; the faster of two rounds counts.
for round in 1 2; do
  for precision in "${precisions[@]}"; do
    engine=(--set "precision=$precision")
    if [ "$precision" = bf16 ]; then engine+=(--set teacher.precision=bf16); fi
    echo "round $round: engine CWD distillation, $precision ..."
    "$B" train resources/recipes/fmnist_cwd.yaml --steps "$steps" --warmup $warm --threads "$threads" "${engine[@]}" > "$tmp/cpp_cwd_${precision}_$round.json"
    echo "round $round: engine CWD distillation, $precision student, int8 teacher ..."
    "$B" train resources/recipes/fmnist_cwd.yaml --steps "$steps" --warmup $warm --threads "$threads" --set "precision=$precision" --set teacher.precision=int8 > "$tmp/cpp_cwd_int8t_${precision}_$round.json"
    echo "round $round: engine student alone, $precision ..."
    "$B" train resources/recipes/fmnist_student.yaml --steps "$steps" --warmup $warm --threads "$threads" --set "precision=$precision" > "$tmp/cpp_student_${precision}_$round.json"
    flag=()
    if [ "$precision" = bf16 ]; then flag=(--bf16); fi
    for layout in nchw nhwc; do
      cl=()
      if [ "$layout" = nhwc ]; then cl=(--channels-last); fi
      for workers in 0 1 2; do
        echo "round $round: PyTorch CWD distillation, $precision, $workers workers, $layout ..."
        "$PY" bench/pytorch_cwd.py --steps "$steps" --warmup $warm --threads "$threads" --workers "$workers" "${flag[@]}" "${cl[@]}" > "$tmp/py_cwd_${precision}_w${workers}_${layout}_$round.json"
      done
      for workers in 0 1; do
        echo "round $round: PyTorch student alone, $precision, $workers workers, $layout ..."
        "$PY" bench/pytorch_cwd.py --student-only --steps "$steps" --warmup $warm --threads "$threads" --workers "$workers" "${flag[@]}" "${cl[@]}" > "$tmp/py_student_${precision}_w${workers}_${layout}_$round.json"
      done
    done
  done
done
# RepDistiller's pair at 32x32 (ResNet-32x4 -> ResNet-8x4), where compute dominates: an untrained teacher
# checkpoint (speed does not depend on the weights), then the engine and PyTorch at each precision. Fewer
# steps (each is ~1 s) and DataLoader workers 0 and 1 only (2 oversubscribe 2 cores, as the grid above shows).
pair=bench/recipes/fmnist32_cwd_resnet32x4_resnet8x4.yaml
./build/app/distillery-cli train bench/recipes/fmnist32_resnet32x4.yaml --out "$tmp/r32x4" --max-steps 1 --subset 128 --threads "$threads" > /dev/null
for round in 1 2; do
  for precision in "${precisions[@]}"; do
    echo "round $round: engine ResNet-32x4 -> ResNet-8x4, $precision ..."
    "$B" train "$pair" --steps 24 --warmup 4 --threads "$threads" --set "teacher.checkpoint=$tmp/r32x4" --set "precision=$precision" --set "teacher.precision=$precision" > "$tmp/cpp_pair_${precision}_$round.json"
    echo "round $round: engine ResNet-32x4 -> ResNet-8x4, $precision student, int8 teacher ..."
    "$B" train "$pair" --steps 24 --warmup 4 --threads "$threads" --set "teacher.checkpoint=$tmp/r32x4" --set "precision=$precision" --set teacher.precision=int8 > "$tmp/cpp_pair_int8t_${precision}_$round.json"
    flag=()
    if [ "$precision" = bf16 ]; then flag=(--bf16); fi
    for layout in nchw nhwc; do
      cl=()
      if [ "$layout" = nhwc ]; then cl=(--channels-last); fi
      for workers in 0 1; do
        echo "round $round: PyTorch ResNet-32x4 -> ResNet-8x4, $precision, $workers workers, $layout ..."
        "$PY" bench/pytorch_cwd.py --pair resnet32x4-resnet8x4 --steps 24 --warmup 4 --threads "$threads" --workers "$workers" "${flag[@]}" "${cl[@]}" > "$tmp/py_pair_${precision}_w${workers}_${layout}_$round.json"
      done
    done
  done
done
# The allocator, which the grid above leaves at glibc's default: PyTorch's CPU tuning guides preload tcmalloc or
# jemalloc, and the engine sets glibc's own thresholds at start-up (core/evaluate.cpp). Each best configuration
# of the grid runs again with each of them (page faults of freed and re-mapped feature maps can cost 40 % of a
# step on a VM); the best of all is the baseline.
L=/usr/lib/x86_64-linux-gnu
allocators=(glibc-tuned)
[ -e "$L/libtcmalloc_minimal.so.4" ] && allocators+=(tcmalloc)
[ -e "$L/libjemalloc.so.2" ] && allocators+=(jemalloc)
with_allocator() {  # with_allocator NAME COMMAND...
  case "$1" in
    glibc-tuned) shift; GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824 "$@" ;;
    tcmalloc) shift; LD_PRELOAD="$L/libtcmalloc_minimal.so.4" "$@" ;;
    # Intel's recommended settings for PyTorch: keep freed pages instead of returning them.
    jemalloc) shift; LD_PRELOAD="$L/libjemalloc.so.2" \
      MALLOC_CONF=oversize_threshold:1,background_thread:true,metadata_thp:auto,dirty_decay_ms:9000000000,muzzy_decay_ms:9000000000 "$@" ;;
  esac
}
best_config() {  # best_config PREFIX: "WORKERS LAYOUT" of the fastest grid configuration with that prefix
  "$PY" - "$tmp" "$1" <<'PY'
import glob, json, os, re, sys
tmp, prefix = sys.argv[1:]
best = {}
for path in glob.glob(os.path.join(tmp, prefix + "_w*_*_[12].json")):
    m = re.fullmatch(re.escape(prefix) + r"_w(\d)_(nchw|nhwc)_[12]\.json", os.path.basename(path))
    if m:
        ips = json.loads(open(path).read().strip().splitlines()[-1])["images_per_second"]
        best[m.groups()] = max(best.get(m.groups(), 0), ips)
print(*max(best, key=best.get))
PY
}
# The engine's side of a measurement, as in the grid above (run again beside the allocator runs, so that every
# ratio compares runs made in the same minutes: this VM's speed drifts by up to 30 % over an hour).
engine_run() {  # engine_run KIND PRECISION
  local e=(--set "precision=$2")
  case "$1" in
    cwd)
      if [ "$2" = bf16 ]; then e+=(--set teacher.precision=bf16); fi
      "$B" train resources/recipes/fmnist_cwd.yaml --steps "$steps" --warmup $warm --threads "$threads" "${e[@]}" ;;
    cwd_int8t) "$B" train resources/recipes/fmnist_cwd.yaml --steps "$steps" --warmup $warm --threads "$threads" "${e[@]}" --set teacher.precision=int8 ;;
    student) "$B" train resources/recipes/fmnist_student.yaml --steps "$steps" --warmup $warm --threads "$threads" "${e[@]}" ;;
    pair) "$B" train "$pair" --steps 24 --warmup 4 --threads "$threads" --set "teacher.checkpoint=$tmp/r32x4" "${e[@]}" --set "teacher.precision=$2" ;;
    pair_int8t) "$B" train "$pair" --steps 24 --warmup 4 --threads "$threads" --set "teacher.checkpoint=$tmp/r32x4" "${e[@]}" --set teacher.precision=int8 ;;
  esac
}
for precision in "${precisions[@]}"; do
  flag=()
  if [ "$precision" = bf16 ]; then flag=(--bf16); fi
  for kind in cwd student pair; do
    read -r workers layout < <(best_config "py_${kind}_${precision}")
    cl=()
    if [ "$layout" = nhwc ]; then cl=(--channels-last); fi
    case "$kind" in
      cwd) what=(--steps "$steps" --warmup $warm) ;;
      student) what=(--student-only --steps "$steps" --warmup $warm) ;;
      pair) what=(--pair resnet32x4-resnet8x4 --steps 24 --warmup 4) ;;
    esac
    engine_kinds=("$kind")
    if [ "$kind" != student ]; then engine_kinds+=("${kind}_int8t"); fi
    for round in 1 2; do
      for ek in "${engine_kinds[@]}"; do
        echo "round $round: engine $ek, $precision (beside the allocator runs) ..."
        engine_run "$ek" "$precision" > "$tmp/cpp_${ek}_${precision}_beside_$round.json"
      done
      for alloc in "${allocators[@]}"; do
        echo "round $round: PyTorch $kind, $precision, $workers workers, $layout, $alloc ..."
        with_allocator "$alloc" "$PY" bench/pytorch_cwd.py "${what[@]}" --threads "$threads" --workers "$workers" "${flag[@]}" "${cl[@]}" > "$tmp/py_${kind}_${precision}_w${workers}_${layout}_${alloc}_$round.json"
      done
    done
  done
done
# Deterministic pipeline (no random crop/flip): the engine caches the teacher's outputs during the first
# epoch; time steps from the second epoch on (6 400 images = 50 steps per epoch).
det=(--set data.subset=6400 --set train.epochs=10 --set "transforms.train=[{normalize: {mean: [0.2860], std: [0.3530]}}]")
for round in 1 2; do
  echo "round $round: engine CWD distillation, deterministic pipeline ..."
  "$B" train resources/recipes/fmnist_cwd.yaml --steps 100 --warmup 60 --threads "$threads" "${det[@]}" > "$tmp/cpp_cwd_det_$round.json"
  echo "round $round: engine student alone, deterministic pipeline ..."
  "$B" train resources/recipes/fmnist_student.yaml --steps 100 --warmup 60 --threads "$threads" "${det[@]}" > "$tmp/cpp_student_det_$round.json"
done

"$PY" bench/write_benchmarks.py "$tmp" "$steps" "$threads" "${precisions[*]}"
