#!/usr/bin/env bash
# Large networks load, schedule and simulate within stated time and memory:
#   a 10,000-layer chain of 3x3 convs and a 2,000-layer DAG of 6-branch blocks (concat and
#   residual add), both from scripts/gen_synthetic.py, on configs/mlu.yaml (32 cores).
# Bounds (Release build, one core of a small shared machine; measured ~2 s / 400 MB and
# ~0.2 s / 60 MB with --fusion none, 1.4 s / 110 MB and 0.3 s / 30 MB with online): chain 20 s
# and 1 GiB, DAG 10 s and 512 MiB; optimal 30 s, finished or refused. Under the sanitizers (third
# argument "sanitize") the time bounds are 5x and the memory bounds 4x.
# usage: test_large_networks.sh FUSIM_BINARY SOURCE_DIR [sanitize]
set -u
FUSIM=$1
SRC=$2
SLOW=1
MEM=1
if [ "${3:-}" = sanitize ]; then
  SLOW=5
  MEM=4
fi

# The scheduling algorithms to hold to the bounds; adding one is a one-word change here.
FUSIONS="none online"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fusim_large.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 "$SRC/scripts/gen_synthetic.py" chain --layers 10000 -o "$TMP/chain.yaml" || exit 1
/usr/bin/python3 "$SRC/scripts/gen_synthetic.py" dag --layers 2000 --branches 6 -o "$TMP/dag.yaml" ||
  exit 1

failed=0
# check NAME NET MAX_SECONDS MAX_MIB
check() {
  local name=$1 net=$2 max_s=$(($3 * SLOW)) max_mib=$(($4 * MEM))
  for fusion in $FUSIONS; do
    local out="$TMP/out_${name}_$fusion"
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$FUSIM" --arch "$SRC/configs/mlu.yaml" --net "$net" \
      --fusion "$fusion" --quiet --out "$out" 2>"$TMP/err"
    local rc=$?
    read -r secs kib <"$TMP/time" 2>/dev/null || { secs=0; kib=0; }
    local mib=$((kib / 1024))
    if [ "$rc" -ne 0 ]; then
      echo "FAIL  $name --fusion $fusion: exit $rc: $(head -c 300 "$TMP/err")"
      failed=1
      continue
    fi
    # The run's layers must all be in the report.
    local layers
    layers=$(grep -c '"name"' "$out/report.json")
    if awk -v s="$secs" -v m="$max_s" 'BEGIN { exit !(s > m) }' || [ "$mib" -gt "$max_mib" ]; then
      echo "FAIL  $name --fusion $fusion: ${secs} s, ${mib} MiB (bounds ${max_s} s, ${max_mib} MiB)"
      failed=1
    else
      echo "PASS  $name --fusion $fusion: ${secs} s, ${mib} MiB (bounds ${max_s} s, ${max_mib} MiB)"
    fi
    [ "$layers" -ge 1 ] || { echo "FAIL  $name: empty report"; failed=1; }
  done
}
check chain_10000 "$TMP/chain.yaml" 20 1024
check dag_2000 "$TMP/dag.yaml" 10 512

# optimal bounds itself: it finishes the chain, and on the wide DAG it either finishes or gives
# up with one clear line (it stops after a fixed number of candidate groups), never for hours.
# (Release only: under the sanitizers the same search code runs ~10x slower and adds nothing.)
[ "$SLOW" -gt 1 ] && exit "$failed"
for name in chain dag; do
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$FUSIM" --arch "$SRC/configs/mlu.yaml" \
    --net "$TMP/$name.yaml" --fusion optimal --quiet 2>"$TMP/err"
  rc=$?
  # time(1) puts "Command exited with non-zero status" first when the run fails.
  read -r secs kib < <(tail -n 1 "$TMP/time") 2>/dev/null || { secs=0; kib=0; }
  max_s=$((30 * SLOW))
  if [ "$rc" -ne 0 ] && ! grep -q "optimal gives up: more than" "$TMP/err"; then
    echo "FAIL  $name --fusion optimal: exit $rc: $(head -c 300 "$TMP/err")"
    failed=1
  elif awk -v s="$secs" -v m="$max_s" 'BEGIN { exit !(s > m) }'; then
    echo "FAIL  $name --fusion optimal: ${secs} s (bound ${max_s} s)"
    failed=1
  else
    echo "PASS  $name --fusion optimal: exit $rc in ${secs} s, $((kib / 1024)) MiB$([ "$rc" -ne 0 ] && echo ": $(head -c 120 "$TMP/err")")"
  fi
done
exit "$failed"
