#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs the whole test suite:
#   0. the Release build scripts/run.sh makes (-O3 finds warnings -O0 does
#      not, and every warning is an error), and the hostile-input tests
#      (label `hostile`) on it;
#   1. the threaded tests (ctest label `threads`) under ThreadSanitizer;
#   2. every test under AddressSanitizer + UndefinedBehaviorSanitizer,
#      including the QEMU end-to-end run (label `qemu`, a few minutes: it
#      cross-builds an arm64 host and boots it under qemu-system-aarch64).
# The last lines printed are ctest's summary of step 2.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh test qemu

jobs=$(nproc 2>/dev/null || echo 2)

build() { # dir build-type sanitizers
	cmake -S . -B "$1" -DCMAKE_BUILD_TYPE="$2" -DRMEB_SANITIZE="$3" -DRMEB_TESTS=all >/dev/null
	cmake --build "$1" -j "$jobs" >/dev/null
}

echo "== Release build, tests included (scripts/run.sh builds rme-bench this way)"
build build-release-check Release ""
# The hostile-input tests also run here: a sanitizer binary cannot start
# under an address-space rlimit, so only this build exercises the memory
# refusals under RLIMIT_AS (hostile.run skips those cases under ASan).
ctest --test-dir build-release-check -L hostile --output-on-failure -j "$jobs"

echo "== ThreadSanitizer build: threaded tests"
build build-tsan Debug thread
# TSan needs ASLR entropy it can handle; setarch -R keeps old kernels happy.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	setarch "$(uname -m)" -R ctest --test-dir build-tsan -L threads \
	--output-on-failure -j "$jobs"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build: all tests"
build build-asan Debug "address,undefined"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
	ctest --test-dir build-asan --output-on-failure -j "$jobs"
