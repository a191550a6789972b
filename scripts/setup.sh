#!/usr/bin/env bash
# Installs everything Distillery needs on a fresh Debian 12 machine. Idempotent; run as root (or with sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git clang-format file dpkg-dev
  desktop-file-utils appstream man-db bash-completion
  qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools linguist-qt6 libgl1-mesa-dev
  libqcustomplot-dev libqcustomplot2.1-qt6
  libtorch-dev libgloo-dev python3-torch python3-torchvision python3-numpy
  libopenblas0-pthread
  libjemalloc2 libtcmalloc-minimal4
  libopencv-dev libyaml-cpp-dev nlohmann-json3-dev zlib1g-dev libonnx-dev libprotobuf-dev protobuf-compiler
  dataset-fashion-mnist
  xvfb xauth fonts-wqy-microhei qt6-translations-l10n
)

# Node.js runs onnxruntime for `distillery-cli export --verify`; any node/npm on PATH will do (e.g. NodeSource's).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The reference BLAS that libtorch-dev pulls in runs sgemm ~25x slower than OpenBLAS; make sure the
# alternatives point at OpenBLAS even when the reference one was installed later.
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
  target=$(update-alternatives --list "$alt" 2>/dev/null | grep -m1 openblas-pthread || true)
  if [ -n "$target" ]; then $SUDO update-alternatives --set "$alt" "$target" >/dev/null; fi
done

# onnxruntime-node, pinned in scripts/ort/package.json, for checking exported ONNX files. --ignore-scripts: the
# CPU binaries ship inside the package; its install script would only download CUDA ones.
ORT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ort"
want=$(node -p "require('$ORT_DIR/package.json').dependencies['onnxruntime-node']")
have=$(node -p "try { require('$ORT_DIR/node_modules/onnxruntime-node/package.json').version } catch (e) { '' }")
if [ "$want" != "$have" ]; then
  echo "setup: installing onnxruntime-node $want in $ORT_DIR"
  (cd "$ORT_DIR" && npm install --ignore-scripts --no-audit --no-fund)
fi

echo "setup: done"
