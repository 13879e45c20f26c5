#!/usr/bin/env bash
# Installs dependencies, builds, then runs the test suite twice: in the Release build (build/)
# and in the AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/, clang), and then
# fuzzes each input reader for a few seconds (FUSIM_FUZZ_SMOKE_SECONDS, default 5; 0 skips it).
# Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/build.sh
status=0
ctest --test-dir "${FUSIM_BUILD_DIR:-build}" --output-on-failure --no-tests=error -j2 || status=$?

bash scripts/build-sanitize.sh
echo "test: the whole suite again under ASan + UBSan"
ctest --test-dir "${FUSIM_ASAN_BUILD_DIR:-build-asan}" --output-on-failure --no-tests=error -j2 ||
  status=$?

smoke="${FUSIM_FUZZ_SMOKE_SECONDS:-5}"
if [ "$smoke" != 0 ]; then
  echo "test: fuzz smoke, ${smoke} s per harness"
  FUSIM_FUZZ_NO_BUILD=1 FUSIM_FUZZ_OUT="${FUSIM_ASAN_BUILD_DIR:-build-asan}/fuzz-smoke" \
    bash scripts/fuzz.sh -t "$smoke" -j 2 || status=$?
fi
exit "$status"
