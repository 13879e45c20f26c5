#!/usr/bin/env bash
# --out DIR and --schedule-out FILE are all or nothing (docs/usage.md): whatever happens to a run
# (SIGTERM or SIGKILL at any moment, a full disk, an unwritable standard output), DIR afterwards
# holds every file of one complete run, the previous one or the new one, never a mix of the two,
# and FILE is the previous program or the new one, whole.
#   - kills: a run of a large network (a few MB of --out) over a previous run's DIR, killed at
#     random moments, half of them once the files are being written (the temporary directory
#     has its first file); DIR is compared with reference copies of the two complete runs;
#   - a full disk: RLIMIT_FSIZE (ulimit -f, what a test can set without root) at sizes from one
#     block to just under the largest file: every write past it fails (EFBIG), fusim exits 2
#     with one line, DIR and FILE are the previous run's, and no temporary file is left behind;
#   - standard output on /dev/full: exit 2, DIR untouched.
# The verdict does not depend on the machine's speed, only how many kills land while writing.
# usage: test_out_atomic.sh FUSIM_BINARY SOURCE_DIR [TRIES]
set -u

if [ $# -lt 2 ]; then
  echo "usage: $0 FUSIM_BINARY SOURCE_DIR [TRIES]" >&2
  exit 2
fi
FUSIM=$1
SRC=$2
TRIES=${3:-20}
ARCH="$SRC/configs/systolic32.yaml"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fusim_atomic.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
pass() {
  passed=$((passed + 1))
}
fail() {
  echo "FAIL  $1: $2"
  failed=$((failed + 1))
}

# Two runs whose every file differs: another network, another clock (so arch.yaml differs too).
/usr/bin/python3 "$SRC/scripts/gen_synthetic.py" chain --layers 1500 --channels 16 --size 32 \
  -o "$TMP/net_old.yaml" || exit 1
/usr/bin/python3 "$SRC/scripts/gen_synthetic.py" chain --layers 1500 --channels 16 --size 24 \
  -o "$TMP/net_new.yaml" || exit 1
OLD=(--arch "$ARCH" --net "$TMP/net_old.yaml" --fusion none -p clock_mhz=1000 --quiet)
NEW=(--arch "$ARCH" --net "$TMP/net_new.yaml" --fusion none -p clock_mhz=800 --quiet)

"$FUSIM" "${OLD[@]}" --out "$TMP/ref_old" --schedule-out "$TMP/ref_old.yaml" || exit 1
start=$(date +%s%N)
"$FUSIM" "${NEW[@]}" --out "$TMP/ref_new" --schedule-out "$TMP/ref_new.yaml" || exit 1
run_ms=$((($(date +%s%N) - start) / 1000000 + 1))
if diff -rq "$TMP/ref_old" "$TMP/ref_new" | grep -q '^Only in'; then
  echo "the two reference runs do not write the same files" >&2
  exit 1
fi
for f in "$TMP"/ref_old/*; do
  if cmp -s "$f" "$TMP/ref_new/$(basename "$f")"; then
    echo "the two reference runs write the same $(basename "$f"): a mix would not show" >&2
    exit 1
  fi
done
echo "references: $(du -sk "$TMP/ref_new" | cut -f1) KiB of --out, a run takes ${run_ms} ms here"

W="$TMP/w"
# state DIR: "old", "new", "none" (missing) or "mix: ..." for anything else.
state() {
  if [ ! -e "$1" ]; then
    echo none
  elif diff -r "$TMP/ref_old" "$1" >/dev/null 2>&1; then
    echo old
  elif diff -r "$TMP/ref_new" "$1" >/dev/null 2>&1; then
    echo new
  else
    echo "mix: $(diff -rq "$TMP/ref_old" "$1" 2>&1 | head -n 3 | tr '\n' ';')"
  fi
}
file_state() {
  if [ ! -e "$1" ]; then
    echo none
  elif cmp -s "$TMP/ref_old.yaml" "$1"; then
    echo old
  elif cmp -s "$TMP/ref_new.yaml" "$1"; then
    echo new
  else
    echo "mix: $(wc -c <"$1") bytes"
  fi
}
# No temporary file or directory of fusim's is left in $W.
no_temps() {
  local left
  left=$(find "$W" -maxdepth 1 -name '.*.fusim-*' | head -n 3)
  [ -z "$left" ] || fail "$1" "temporary files left: $left"
  [ -n "$left" ] || pass
}

# --- kills at random moments ---------------------------------------------------------------------

declare -A seen=()
while_writing=0
for ((i = 0; i < TRIES; i++)); do
  rm -rf "$W"
  mkdir -p "$W"
  # One try in four writes into a directory that does not exist yet.
  had=old
  if [ $((i % 4)) -eq 3 ]; then
    had=none
  else
    cp -r "$TMP/ref_old" "$W/d"
    cp "$TMP/ref_old.yaml" "$W/s.yaml"
  fi
  sig=TERM
  [ $((i % 2)) -eq 1 ] && sig=KILL
  "$FUSIM" "${NEW[@]}" --out "$W/d" --schedule-out "$W/s.yaml" >/dev/null 2>"$W/err" &
  pid=$!
  if [ $((i % 3)) -eq 0 ]; then
    # Anywhere in the run.
    delay_ms=$((RANDOM % run_ms))
  else
    # Once the files are being written: the first is in the temporary directory.
    while kill -0 "$pid" 2>/dev/null; do
      compgen -G "$W/.d.fusim-*/report.json" >/dev/null && break
      sleep 0.002
    done
    delay_ms=$((RANDOM % (run_ms / 3 + 1)))
  fi
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  compgen -G "$W/.d.fusim-*/report.json" >/dev/null && while_writing=$((while_writing + 1))
  kill -s "$sig" "$pid" 2>/dev/null
  { wait "$pid"; } 2>/dev/null
  rc=$?
  s=$(state "$W/d")
  f=$(file_state "$W/s.yaml")
  seen["${s%%:*}"]=$((${seen["${s%%:*}"]:-0} + 1))
  name="try $i (SIG$sig after ${delay_ms} ms, exit $rc)"
  if [[ "$s" == mix* ]] || [[ "$f" == mix* ]]; then
    fail "$name" "--out is $s, --schedule-out is $f"
  elif [ "$s" = none ] && [ "$had" != none ]; then
    fail "$name" "--out DIR is gone"
  elif [ "$f" = none ] && [ "$had" != none ]; then
    fail "$name" "--schedule-out FILE is gone"
  elif [ "$rc" -eq 0 ] && { [ "$s" != new ] || [ "$f" != new ]; }; then
    fail "$name" "exit 0 but --out is $s and --schedule-out is $f"
  else
    pass
  fi
done
summary=""
for k in "${!seen[@]}"; do summary+="$k ${seen[$k]}, "; done
echo "kills: $TRIES runs killed; --out afterwards: ${summary%, }; $while_writing of them while files were in fusim's temporary directory"

# A run that completes removes what the killed runs left beside DIR and FILE.
"$FUSIM" "${NEW[@]}" --out "$W/d" --schedule-out "$W/s.yaml" >/dev/null 2>"$W/err"
if [ $? -eq 0 ] && [ "$(state "$W/d")" = new ] && [ "$(file_state "$W/s.yaml")" = new ]; then
  pass
else
  fail "a run after the kills" "exit or files wrong: $(head -c 300 "$W/err")"
fi
no_temps "a run after the kills cleans up the killed runs' temporary files"

# --- a full disk (RLIMIT_FSIZE) ------------------------------------------------------------------

largest_kb=$(($(wc -c <"$TMP/ref_new/schedule.yaml") / 1024))
for limit in 1 64 $((largest_kb - 1)); do
  for outputs in both out file; do
    rm -rf "$W"
    mkdir -p "$W"
    cp -r "$TMP/ref_old" "$W/d"
    cp "$TMP/ref_old.yaml" "$W/s.yaml"
    args=()
    [ "$outputs" != file ] && args+=(--out "$W/d")
    [ "$outputs" != out ] && args+=(--schedule-out "$W/s.yaml")
    (
      ulimit -f "$limit"
      exec "$FUSIM" "${NEW[@]}" "${args[@]}" >/dev/null 2>"$W/err"
    )
    rc=$?
    name="ulimit -f $limit, $outputs"
    lines=$(grep -c '' "$W/err")
    if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q 'File too large' "$W/err"; then
      fail "$name" "exit $rc (expected 2 and one line naming EFBIG): $(head -c 300 "$W/err")"
    elif [ "$(state "$W/d")" != old ] || [ "$(file_state "$W/s.yaml")" != old ]; then
      fail "$name" "--out is $(state "$W/d"), --schedule-out is $(file_state "$W/s.yaml")"
    else
      pass
    fi
    no_temps "$name"
  done
done

# --- standard output on /dev/full ----------------------------------------------------------------

if [ -w /dev/full ]; then
  rm -rf "$W"
  mkdir -p "$W"
  cp -r "$TMP/ref_old" "$W/d"
  "$FUSIM" --arch "$ARCH" --net "$TMP/net_new.yaml" --fusion none --out "$W/d" \
    >/dev/full 2>"$W/err"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q '^fusim: error: standard output: cannot write' "$W/err" &&
    [ "$(state "$W/d")" = old ]; then
    pass
  else
    fail "stdout on /dev/full" "exit $rc, --out $(state "$W/d"): $(head -c 300 "$W/err")"
  fi
  no_temps "stdout on /dev/full"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
