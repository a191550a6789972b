#!/usr/bin/env bash
# Renders the workbench's main views to docs/screenshots/ from a shortened demo run, in English and in
# Simplified Chinese. Builds nothing (run scripts/build.sh first); needs xvfb-run (scripts/setup.sh).
#   bash scripts/screenshots.sh [OUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${DISTILLERY_GUI:-$ROOT/build/app/gui/distillery}"
OUT="${1:-$ROOT/docs/screenshots}"

if [ ! -x "$BIN" ]; then
  echo "screenshots: $BIN not found; build first (bash scripts/build.sh)" >&2
  exit 2
fi
mkdir -p "$OUT"

# The shipped CWD demo on a subset, so the tour takes a minute or two rather than the full run; the term
# balance sampled every 10 steps so that its short run still draws a curve.
SETS=(--set data.subset=4000 --set train.eval_batch_size=500 --set diagnostics.every=10)

run() {
  # A fixed screen and style keep the pictures comparable between machines.
  xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb QT_STYLE_OVERRIDE=Fusion \
    "$BIN" --screenshots "$OUT" "${SETS[@]}" "$@"
}

run --lang en
run --lang zh_CN
echo "screenshots: written to $OUT"
