#!/usr/bin/env bash
# Runs a fuzz harness once on each of its seed inputs (fuzz/seeds.sh) and each input it ever
# failed on (fuzz/regressions/HARNESS/). Every one must pass.
# usage: replay.sh SOURCE_DIR HARNESS_NAME HARNESS_BINARY
set -euo pipefail
src=$1
name=$2
binary=$3
# shellcheck source=../../fuzz/seeds.sh
. "$src/fuzz/seeds.sh"
files=()
for p in $(fuzz_seeds "$name") "fuzz/regressions/$name"; do
  [ -e "$src/$p" ] || continue
  while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$src/$p" -type f -print0 | sort -z)
done
echo "replay: $name on ${#files[@]} input(s)"
[ "${#files[@]}" -eq 0 ] && exit 0
# A libFuzzer binary runs files named on its command line once each; the plain build does too.
exec "$binary" "${files[@]}"
