#!/usr/bin/env bash
# Sets everything up, builds, and distils the shipped Fashion-MNIST CWD demo (ResNet-20 teacher -> ResNet-8).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
out="runs/fmnist_cwd-$(date +%Y%m%d-%H%M%S)"
./build/app/distillery-cli train resources/recipes/fmnist_cwd.yaml --out "$out" "$@"
echo "Inspect the student's last stage with:"
echo "  ./build/app/distillery-cli inspect $out --tap stage3 --out $out/stage3"
