#!/usr/bin/env bash
# Sets everything up, builds, and opens the Distillery workbench. Its welcome page runs the shipped
# Fashion-MNIST CWD demo with one click. Without a display, runs the same demo in the command-line tool.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec ./build/app/gui/distillery "$@"
fi
echo "run.sh: no display; distilling the Fashion-MNIST CWD demo in the command-line tool instead" >&2
out="runs/fmnist_cwd-$(date +%Y%m%d-%H%M%S)"
exec ./build/app/distillery-cli train resources/recipes/fmnist_cwd.yaml --out "$out"
