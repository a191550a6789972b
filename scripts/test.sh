#!/usr/bin/env bash
# Sets everything up, builds from a clean build folder (warnings are errors in the project's own code), runs the
# whole test suite through CTest, then the sanitizer runs (scripts/sanitizers.sh: ASan+UBSan over the core
# suites, the CLI end-to-end tests and the reader fuzzer; TSan over the trainer and the engine bridge).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf build build-asan build-tsan
bash scripts/build.sh -DDISTILLERY_WARNINGS_AS_ERRORS=ON
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build --output-on-failure
bash scripts/sanitizers.sh all
