#!/usr/bin/env bash
# Data-parallel scaling on this machine: the same recipe on 1 process x T threads against P processes x T/P
# threads (distillery-cli train --nproc), side by side, alternating, two rounds each (the faster counts), and
# the time each step waits for the other ranks' gradients. Prints a Markdown table for docs/DISTRIBUTED.md.
#   bash bench/run_distributed_benchmark.sh [--steps N] [--threads T] [--nproc P] [--recipe NAME] [--sync-bn]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=150; threads=2; nproc=2; recipe=fmnist_cwd; warm=15; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --nproc) nproc="$2"; shift 2 ;;
    --recipe) recipe="$2"; shift 2 ;;
    --sync-bn) extra=(--set train.sync_bn=true); shift ;;
    *) echo "run_distributed_benchmark.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
CLI=./build/app/distillery-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DISTILLERY_TEACHER_CACHE=off
total=$((steps + warm))
run() {  # name extra-args...
  local name=$1; shift
  "$CLI" train "$recipe" --out "$tmp/$name" --threads "$threads" --max-steps "$total" --no-baseline \
    --set train.log_every=1 --set train.checkpoint_every=0 "${extra[@]}" "$@" > "$tmp/$name.log" 2>&1
}
for round in 1 2; do
  echo "round $round: 1 process x $threads threads ..." >&2
  run "one_$round"
  echo "round $round: $nproc processes x $((threads / nproc)) threads ..." >&2
  run "many_$round" --nproc "$nproc"
done
/usr/bin/python3 - "$tmp" "$warm" "$steps" "$threads" "$nproc" "$recipe" <<'EOF'
import json, sys, statistics
tmp, warm, steps, threads, nproc, recipe = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]

def measure(run):
    ips, wait = [], []
    for line in open(f"{tmp}/{run}/metrics.jsonl"):
        r = json.loads(line)
        if r["split"] != "train" or r["step"] <= warm:
            continue
        if r["name"] == "images_per_second":
            ips.append(r["value"])
        elif r["name"] == "gradient_wait_ms":
            wait.append(r["value"])
    return statistics.mean(ips), (statistics.mean(wait) if wait else None)

def best(prefix):
    runs = [measure(f"{prefix}_{k}") for k in (1, 2)]
    return max(runs, key=lambda m: m[0])

one, many = best("one"), best("many")
recipe_text = open(f"{tmp}/one_1/recipe.yaml").read()
global_batch = next(int(l.split(":")[1]) for l in recipe_text.splitlines() if l.strip().startswith("batch_size:"))
step_ms = 1000.0 * global_batch / many[0]
print(f"| configuration | images/s | step (ms) | waiting for gradients (ms per step) |")
print(f"|---|---|---|---|")
print(f"| 1 process x {threads} threads | {one[0]:.0f} | {1000.0 * global_batch / one[0]:.1f} | - |")
print(f"| {nproc} processes x {threads // nproc} thread{'s' if threads // nproc > 1 else ''} | {many[0]:.0f} | {step_ms:.1f} | {many[1]:.2f} ({100.0 * many[1] / step_ms:.1f} % of the step) |")
sync = "sync_bn: true" in recipe_text
print(f"\n{nproc} processes ÷ 1 process: **{many[0] / one[0]:.2f}x** ({recipe}{', synchronised batch norm' if sync else ''}, global batch {global_batch}, {steps} timed steps after {warm}).")
EOF
