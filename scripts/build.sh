#!/usr/bin/env bash
# Installs dependencies, then configures and builds fusim (Release) in build/
# (or in $FUSIM_BUILD_DIR). Quiet on success; on failure shows the compiler output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

BUILD_DIR="${FUSIM_BUILD_DIR:-build}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if ! cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1; then
  cat "$log" >&2
  echo "build: cmake configure failed (see above)" >&2
  exit 1
fi
# Extra arguments go to cmake --build (e.g. --target fusim).
if ! cmake --build "$BUILD_DIR" -j2 "$@" >"$log" 2>&1; then
  # Show the errors, not the progress lines.
  grep -v -E '^\[ *[0-9]+%\]' "$log" >&2 || cat "$log" >&2
  echo "build: compilation failed (see above)" >&2
  exit 1
fi
echo "build: fusim built (Release) in $BUILD_DIR/"
