#!/usr/bin/env bash
# Fuzzes fusim's input readers with libFuzzer (clang, ASan + UBSan; built by
# scripts/build-sanitize.sh). Each harness starts from its seeds, the shipped files
# (fuzz/seeds.sh), and keeps its corpus between runs.
#
# usage: scripts/fuzz.sh [-t SECONDS] [-j PARALLEL] [-s SEED] [-k] [HARNESS...]
#   -t SECONDS   fuzzing time per harness (default 60)
#   -j PARALLEL  harnesses run at the same time, one process each (default 2)
#   -s SEED      libFuzzer's random seed (default: a new one each run); CI's smoke run fixes it,
#                so that the same commit fuzzes the same inputs (as far as the time allows)
#   -k           keep going after a finding (libFuzzer fork mode), for long unattended runs
#   HARNESS      network arch program scalesim_topology scalesim_cfg run (default: all)
# Output in $FUSIM_FUZZ_OUT (default build-asan/fuzz-out/): HARNESS/corpus/, HARNESS/artifacts/
# (the inputs that failed: crash-*, timeout-*, oom-*, leak-*), HARNESS/log and HARNESS/cputime
# (user and system CPU seconds of the run). A finding's report and input are printed too (a CI
# log is all one may get). Exit status 1 when any harness found something; a
# finding is fixed and its input kept in fuzz/regressions/HARNESS/ (docs/limits-and-fuzzing.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=../fuzz/seeds.sh
. fuzz/seeds.sh

seconds=60
parallel=2
seed=""
keep_going=0
while getopts "t:j:s:k" opt; do
  case "$opt" in
    t) seconds=$OPTARG ;;
    j) parallel=$OPTARG ;;
    s) seed=$OPTARG ;;
    k) keep_going=1 ;;
    *) sed -n '2,17p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
harnesses=("$@")
[ "${#harnesses[@]}" -eq 0 ] && harnesses=(network arch program scalesim_topology scalesim_cfg run)

BUILD_DIR="${FUSIM_ASAN_BUILD_DIR:-build-asan}"
OUT="${FUSIM_FUZZ_OUT:-$BUILD_DIR/fuzz-out}"
[ "${FUSIM_FUZZ_NO_BUILD:-0}" = 1 ] || bash scripts/build-sanitize.sh

run_one() {
  local h=$1 dir="$OUT/$1"
  local bin="${FUSIM_FUZZ_BIN_DIR:-$BUILD_DIR/fuzz}/fuzz_$h"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # The seeds join the corpus (libFuzzer takes folders only; cp -n keeps what is there).
  for s in $(fuzz_seeds "$h"); do find "$s" -type f -exec cp -n {} "$dir/corpus/" \; ; done
  local opts=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
    -artifact_prefix="$dir/artifacts/" -print_final_stats=1)
  [ -f "fuzz/dict/$h.dict" ] && opts+=(-dict="fuzz/dict/$h.dict")
  [ -n "$seed" ] && opts+=(-seed="$seed")
  if [ "$keep_going" = 1 ]; then
    opts+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  /usr/bin/time -f "%U %S" -o "$dir/cputime" \
    nice -n 19 "$bin" "${opts[@]}" "$dir/corpus" >"$dir/log" 2>&1 || true
  local cpu found
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$dir/cputime")
  found=$(find "$dir/artifacts" -type f -newer "$dir/cputime.start" | wc -l)
  echo "fuzz: $h: ${cpu} CPU s, $(find "$dir/corpus" -type f | wc -l) corpus inputs," \
    "$found new finding(s)$([ "$found" -gt 0 ] && echo " in $dir/artifacts/ (log: $dir/log)")"
  if [ "$found" -gt 0 ]; then
    # The report (from the finding or the sanitizer's first line to libFuzzer's summary) and
    # each input, in hex.
    sed -n '/^fuzz finding\|^==[0-9]*==ERROR\|runtime error:/,/^SUMMARY/p' "$dir/log" | head -40 |
      sed "s/^/fuzz: $h: /"
    find "$dir/artifacts" -type f -newer "$dir/cputime.start" | while read -r f; do
      echo "fuzz: $h: input $f:"
      od -A d -t x1z -v "$f" | head -64 | sed "s/^/fuzz: $h:   /"
    done
  fi
}

for h in "${harnesses[@]}"; do
  fuzz_seeds "$h" >/dev/null || { echo "fuzz: unknown harness '$h'" >&2; exit 2; }
  mkdir -p "$OUT/$h"
  touch "$OUT/$h/cputime.start"
done
running=0
for h in "${harnesses[@]}"; do
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$h" &
  running=$((running + 1))
done
wait
status=0
for h in "${harnesses[@]}"; do
  if [ -n "$(find "$OUT/$h/artifacts" -type f -newer "$OUT/$h/cputime.start")" ]; then
    status=1
  fi
done
exit "$status"
