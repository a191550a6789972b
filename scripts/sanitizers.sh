#!/usr/bin/env bash
# The sanitizer runs of CI (scripts/test.sh runs this after the main build and tests):
#  - AddressSanitizer + UndefinedBehaviorSanitizer: the core suites (including the CLI's end-to-end tests, which
#    run the instrumented distillery-cli) and the reader fuzzer;
#  - ThreadSanitizer: the trainer suite and the engine bridge's widget test (threads, observers, queued signals).
# Every report fails the run. LibTorch, Qt, OpenCV and protobuf are not instrumented: leaks that start inside
# them are suppressed (tests/sanitizers/lsan.supp), and intra-op threads are capped at one under
# ThreadSanitizer (OpenMP's runtime is not instrumented, so its parallel regions would only produce noise).
#   bash scripts/sanitizers.sh [asan|tsan|all]
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
jobs="$(nproc)"
supp="$PWD/tests/sanitizers"
# The fuzzer's time under ASan (its only run in CI).
fuzz_seconds="${DISTILLERY_SANITIZER_FUZZ_SECONDS:-45}"
# -O1 with line tables only: sanitizer reports keep file:line, and the instrumented builds take half the time.
flags="-O1 -g1"

if [ "$what" = asan ] || [ "$what" = all ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" \
    -DDISTILLERY_BUILD_GUI=OFF -DDISTILLERY_WARNINGS_AS_ERRORS="${DISTILLERY_WARNINGS_AS_ERRORS:-ON}" \
    -DDISTILLERY_SANITIZE=address,undefined -DDISTILLERY_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
  cmake --build build-asan --target distillery_core_tests distillery-cli distillery_fuzz -j "$jobs"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_odr_violation=0:allocator_may_return_null=1"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
  # Two suites at a time, one intra-op thread each: the instrumented processes spend much of their time in
  # single-threaded start-up and in the kernel (page faults), which then overlap. Measured here: 10.4 min
  # against 16 min one suite at a time with two threads.
  DISTILLERY_THREADS=1 OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -R '^(core\.|fuzz\.)'
fi

if [ "$what" = tsan ] || [ "$what" = all ]; then
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" \
    -DDISTILLERY_SANITIZE=thread >/dev/null
  cmake --build build-tsan --target distillery_trainer_tests test_engine_bridge -j "$jobs"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
  export DISTILLERY_THREADS=1 OMP_NUM_THREADS=1
  QT_QPA_PLATFORM=offscreen ctest --test-dir build-tsan --output-on-failure -R '^(tsan\.trainer|widgets\.test_engine_bridge)$'
fi
echo "sanitizers: clean"
