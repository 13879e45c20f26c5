#!/usr/bin/env bash
# Runs the ONNX importer tests with Debian's Python.
# Usage: tests/scripts/run_onnx_tests.sh [FUSIM_BIN]   (without it, the fusim run is skipped)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
FUSIM_BIN="${1:-}" /usr/bin/python3 "$here/test_onnx_import.py" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
run=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p' "$log" | tail -n 1)
bad=$(grep -cE '^(FAIL|ERROR): ' "$log")
skipped=$(grep -cE ' \.\.\. skipped' "$log")
run=${run:-0}
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$((run - bad - skipped)) passed, $bad failed"
exit "$rc"
