#!/usr/bin/env bash
# fusim runs whatever stack `ulimit -s` gives its main thread: the run is on a thread with a
# stack of its own (app/large_stack.h). With a 64 KiB main stack (it once crashed reading its
# first file), tiny_dag writes the same files as with the default stack, and a 480-level nested
# YAML value (yaml-cpp recurses per level: more than 128 KiB of stack) is one error line, exit 2.
# usage: test_small_stack.sh FUSIM_BINARY SOURCE_DIR
set -u
FUSIM=$1
SRC=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fusim_stack.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
RUN=(--arch "$SRC/configs/systolic32.yaml" --net "$SRC/workloads/tiny_dag.yaml" --quiet)

failed=0
"$FUSIM" "${RUN[@]}" --out "$TMP/ref" || exit 1
for kib in 64 32; do
  (
    ulimit -s "$kib" || exit 3
    exec "$FUSIM" "${RUN[@]}" --out "$TMP/small$kib" 2>"$TMP/err"
  )
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL  ulimit -s $kib: exit $rc: $(head -c 300 "$TMP/err")"
    failed=1
    continue
  fi
  for f in layers.csv groups.csv schedule.yaml arch.yaml network.yaml; do
    if ! cmp -s "$TMP/ref/$f" "$TMP/small$kib/$f"; then
      echo "FAIL  ulimit -s $kib: $f differs from the default stack's"
      failed=1
    fi
  done
  [ "$failed" = 0 ] && echo "PASS  ulimit -s $kib: tiny_dag, the same files"
done

/usr/bin/python3 -c "
d = 480
open('$TMP/deep.yaml', 'w').write('name: deep\nbatch: ' + '[' * d + '1' + ']' * d + '\nlayers: []\n')"
(
  ulimit -s 64 || exit 3
  exec "$FUSIM" --arch "$SRC/configs/systolic32.yaml" --net "$TMP/deep.yaml" 2>"$TMP/err"
)
rc=$?
if [ "$rc" -ne 2 ] || [ "$(grep -c '' "$TMP/err")" -ne 1 ] || ! grep -q "key 'batch'" "$TMP/err"; then
  echo "FAIL  ulimit -s 64, a 480-level nested value: exit $rc (expected 2 and one line): $(head -c 300 "$TMP/err")"
  failed=1
else
  echo "PASS  ulimit -s 64, a 480-level nested value: $(cat "$TMP/err")"
fi
exit "$failed"
