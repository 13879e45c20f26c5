#!/usr/bin/env bash
# Installs dependencies, builds, then runs the test suite; exits with ctest's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/build.sh
status=0
ctest --test-dir "${FUSIM_BUILD_DIR:-build}" --output-on-failure --no-tests=error -j2 || status=$?
exit "$status"
