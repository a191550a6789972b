#!/usr/bin/env bash
# Configures and builds Distillery into ./build (Release, Ninja, ccache when present). Extra arguments go to
# CMake's configure step, e.g. -DDISTILLERY_WARNINGS_AS_ERRORS=ON (as CI builds).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$(nproc)"
