#!/usr/bin/env bash
# Configures and builds the AddressSanitizer + UndefinedBehaviorSanitizer configuration with clang
# in build-asan/ (or $FUSIM_ASAN_BUILD_DIR): the whole test suite, fusim and the fuzz harnesses
# as libFuzzer binaries (FUSIM_FUZZ=ON). Quiet on success; on failure shows the compiler output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

BUILD_DIR="${FUSIM_ASAN_BUILD_DIR:-build-asan}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if ! cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DFUSIM_FUZZ=ON >"$log" 2>&1; then
  cat "$log" >&2
  echo "build-sanitize: cmake configure failed (see above)" >&2
  exit 1
fi
if ! cmake --build "$BUILD_DIR" -j2 "$@" >"$log" 2>&1; then
  grep -v -E '^\[ *[0-9]+%\]' "$log" >&2 || cat "$log" >&2
  echo "build-sanitize: compilation failed (see above)" >&2
  exit 1
fi
echo "build-sanitize: fusim, tests and fuzzers built with ASan + UBSan in $BUILD_DIR/"
