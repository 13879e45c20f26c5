#!/usr/bin/env bash
# Installs dependencies, builds, then runs the test suite twice: in the Release build (build/)
# and in the AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/, clang), and then
# fuzzes each input reader for a few seconds (FUSIM_FUZZ_SMOKE_SECONDS, default 5; 0 skips it)
# from a fixed seed (FUSIM_FUZZ_SMOKE_SEED, default 1), so that a commit fuzzes the same inputs
# each run.
# Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Each phase's wall time and the CPU time of its processes (user + system), for CI's budget.
phase_name=""
phase_wall=0
phase_cpu=0
children_cpu() {  # CPU seconds x 100 of this shell's finished children (/proc: utime of children)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($16 + $17) * 100 / hz }' "/proc/$$/stat"
}
phase() {
  if [ -n "$phase_name" ]; then
    local cpu=$(($(children_cpu) - phase_cpu))
    printf 'test: %s took %d s (CPU %d.%02d s)\n' "$phase_name" $((SECONDS - phase_wall)) \
      $((cpu / 100)) $((cpu % 100))
  fi
  phase_name="$1"
  phase_wall=$SECONDS
  phase_cpu=$(children_cpu)
}

phase "Release build"
bash scripts/build.sh
status=0
phase "Release suite"
ctest --test-dir "${FUSIM_BUILD_DIR:-build}" --output-on-failure --no-tests=error -j2 || status=$?

phase "ASan + UBSan build"
bash scripts/build-sanitize.sh
echo "test: the whole suite again under ASan + UBSan"
phase "ASan + UBSan suite"
ctest --test-dir "${FUSIM_ASAN_BUILD_DIR:-build-asan}" --output-on-failure --no-tests=error -j2 ||
  status=$?

smoke="${FUSIM_FUZZ_SMOKE_SECONDS:-5}"
if [ "$smoke" != 0 ]; then
  echo "test: fuzz smoke, ${smoke} s per harness"
  phase "fuzz smoke"
  FUSIM_FUZZ_NO_BUILD=1 FUSIM_FUZZ_OUT="${FUSIM_ASAN_BUILD_DIR:-build-asan}/fuzz-smoke" \
    bash scripts/fuzz.sh -t "$smoke" -j 2 -s "${FUSIM_FUZZ_SMOKE_SEED:-1}" || status=$?
fi
phase ""
echo "test: all phases took $SECONDS s"
exit "$status"
