#!/usr/bin/env bash
# Same inputs, same bytes out, across processes: each pair below runs twice, each run in its own
# process, with --out and --schedule-out; report.json, the schedule and every other file written
# must be byte-identical between the two runs. (The end-to-end Catch test checks the same within
# one process; this catches anything that depends on addresses, the environment or the clock.)
# The pairs: every shipped workload on mlu.yaml and eyeriss.yaml (32 cores with layerwise groups
# and prefetch; one core), every shipped config with the workloads of the sanitizers' sample
# (tests/test_util.h, sanitizer_workloads: every kind of layer and group, ARCHON's fused blocks,
# input-centric pairs), and SCALE-Sim's shipped topologies on its .cfg. Not every workload on
# every config (132 pairs, 47 s in Release): the big networks on the ARCHON configs were most of
# that time and take the code paths the sample takes there; golden_cycles runs every pair in its
# own process and compares its cycles and bytes with the table, so a pair whose figures depended
# on the process would fail there too.
# usage: test_determinism.sh FUSIM_BINARY SOURCE_DIR [sanitize]
# With `sanitize` (the ASan + UBSan build) the sample on every config only (CI's time).
set -u
FUSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd) || exit 2
MODE=${3:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fusim_determinism.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# The sample, read from test_util.h so that the two lists cannot drift apart.
sample=$(sed -n '/sanitizer_workloads() {/,/};/p' "$SRC/tests/test_util.h" |
  grep -o '"[A-Za-z0-9_.-]*\.yaml"' | tr -d '"')
n_sample=0
for name in $sample; do
  if [ ! -f "$SRC/workloads/$name" ]; then
    echo "FAIL  the sample names $name, which is not in workloads/"
    exit 1
  fi
  n_sample=$((n_sample + 1))
done
if [ "$n_sample" -lt 5 ]; then
  echo "FAIL  read $n_sample workloads of the sample from tests/test_util.h"
  exit 1
fi

pairs=()
for arch in "$SRC"/configs/*.yaml; do
  for net in "$SRC"/workloads/*.yaml; do
    in_sample=0
    case " $(echo $sample) " in *" $(basename "$net") "*) in_sample=1 ;; esac
    if [ "$in_sample" = 1 ]; then
      pairs+=("$arch|$net")
    elif [ "$MODE" != sanitize ]; then
      case "$(basename "$arch")" in mlu.yaml | eyeriss.yaml) pairs+=("$arch|$net") ;; esac
    fi
  done
done
for net in "$SRC"/tests/data/scalesim/*.csv; do pairs+=("$SRC/tests/data/scalesim/scale.cfg|$net"); done

# The one measured figure: the search's wall time on the summary's groups line.
WALL_TIME='s/evaluated in [0-9.]* s)/evaluated in (time) s)/'
failed=0
n=0
for pair in "${pairs[@]}"; do
  arch=${pair%|*}
  net=${pair#*|}
  name="$(basename "$arch" | sed 's/\.[a-z]*$//') x $(basename "$net" | sed 's/\.[a-z]*$//')"
  for run in 1 2; do
    # A different working directory and environment size per run moves stack and heap addresses.
    mkdir -p "$TMP/run$run"
    (cd "$TMP/run$run" && env "FUSIM_DETERMINISM_PAD=$(head -c $((run * 4000)) /dev/zero | tr '\0' x)" \
      "$FUSIM" --arch "$arch" --net "$net" --out "$TMP/run$run/out" \
      --schedule-out "$TMP/run$run/schedule.yaml" >"$TMP/run$run/stdout" 2>"$TMP/run$run/stderr")
    rc=$?
    if [ "$rc" -ne 0 ]; then
      echo "FAIL  $name: run $run exited $rc: $(head -c 300 "$TMP/run$run/stderr")"
      failed=1
      continue 2
    fi
  done
  if [ ! -s "$TMP/run1/out/report.json" ] || [ ! -s "$TMP/run1/schedule.yaml" ]; then
    echo "FAIL  $name: report.json or the schedule is missing"
    failed=1
  elif ! diff -r "$TMP/run1/out" "$TMP/run2/out" >/dev/null ||
    ! cmp -s "$TMP/run1/schedule.yaml" "$TMP/run2/schedule.yaml" ||
    ! cmp -s <(sed "$WALL_TIME" "$TMP/run1/stdout") <(sed "$WALL_TIME" "$TMP/run2/stdout"); then
    echo "FAIL  $name: the two runs differ:"
    diff -r "$TMP/run1" "$TMP/run2" | head -n 5
    failed=1
  else
    n=$((n + 1))
  fi
  rm -rf "$TMP/run1" "$TMP/run2"
done
echo "determinism: $n of ${#pairs[@]} runs byte-identical (report.json, schedule, all --out files, stdout but the search's wall time)"
exit "$failed"
