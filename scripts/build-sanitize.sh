#!/usr/bin/env bash
# Configures and builds the AddressSanitizer + UndefinedBehaviorSanitizer configuration with clang
# in build-asan/ (or $FUSIM_ASAN_BUILD_DIR): the whole test suite, fusim and the fuzz harnesses
# as libFuzzer binaries (FUSIM_FUZZ=ON). Quiet on success; on failure shows the compiler output.
# Extra arguments go to cmake --build, as with scripts/build.sh, which does the work.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUSIM_BUILD_DIR="${FUSIM_ASAN_BUILD_DIR:-build-asan}" \
  FUSIM_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DFUSIM_FUZZ=ON" \
  FUSIM_BUILD_WHAT="fusim, tests and fuzzers with ASan + UBSan" \
  exec bash scripts/build.sh "$@"
