#!/usr/bin/env bash
# Installs dependencies, then configures and builds fusim (Release) in build/
# (or in $FUSIM_BUILD_DIR). Quiet on success; on failure shows the compiler output.
# scripts/build-sanitize.sh reuses it with FUSIM_CMAKE_ARGS (configure options replacing the
# Release build type) and FUSIM_BUILD_WHAT (what the success line says was built).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

BUILD_DIR="${FUSIM_BUILD_DIR:-build}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

read -r -a cmake_args <<<"${FUSIM_CMAKE_ARGS:--DCMAKE_BUILD_TYPE=Release -DFUSIM_PYTHON=ON}"
# Warnings are errors here and in CI (FUSIM_WERROR is off by default, for users' compilers).
if ! cmake -S . -B "$BUILD_DIR" "${cmake_args[@]}" -DFUSIM_WERROR=ON >"$log" 2>&1; then
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
echo "build: ${FUSIM_BUILD_WHAT:-fusim (Release)} built in $BUILD_DIR/"
