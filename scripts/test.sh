#!/usr/bin/env bash
# Sets everything up, builds from a clean build folder (warnings are errors in the project's own code), runs the
# whole test suite through CTest: the widget, package and shell tests in that build, then the sanitizer runs
# (scripts/sanitizers.sh: ASan+UBSan over every core suite, the CLI end-to-end tests and the reader fuzzer; TSan
# over the trainer and the engine bridge). The core suites and the fuzzer run once, instrumented: running them
# in the plain build as well cost CI 10 minutes, compiling them there another five; the instrumented build
# compiles them with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf build build-asan build-tsan
bash scripts/build.sh -DDISTILLERY_WARNINGS_AS_ERRORS=ON -DDISTILLERY_BUILD_CORE_SUITES=OFF
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build --output-on-failure
bash scripts/sanitizers.sh all
