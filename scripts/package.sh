#!/usr/bin/env bash
# Sets everything up, builds Distillery and makes its Debian package: build/distillery_VERSION_ARCH.deb.
# Install it with: sudo apt install ./build/distillery_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
(cd build && cpack -G DEB)
ls -l build/distillery_*.deb
