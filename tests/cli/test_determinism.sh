#!/usr/bin/env bash
# Same inputs, same bytes out, across processes: every shipped workload on every shipped config
# (and SCALE-Sim's shipped topologies on its .cfg) runs twice, each run in its own process, with
# --out and --schedule-out; report.json, the schedule and every other file written must be
# byte-identical between the two runs. (The end-to-end Catch test checks the same within one
# process; this catches anything that depends on addresses, the environment or the clock.)
# usage: test_determinism.sh FUSIM_BINARY SOURCE_DIR [sanitize]
# With `sanitize` (the ASan + UBSan build) the workloads of 500 M MACs or more are left out
# (CI's time, as in the end-to-end tests); Release runs all.
set -u
FUSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd) || exit 2
MODE=${3:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fusim_determinism.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

pairs=()
skipped=0
for arch in "$SRC"/configs/*.yaml; do
  for net in "$SRC"/workloads/*.yaml; do
    # Under the sanitizers the workloads under 500 M MACs, as the end-to-end tests
    # (tests/test_util.h, runs_every_workload): these are the shipped ones above it.
    if [ "$MODE" = sanitize ]; then
      case "$(basename "$net")" in
        alexnet.yaml | bert_base.yaml | bert_base_layer.yaml | densenet121.yaml | googlenet.yaml | \
          mobilenetv1.yaml | resnet18.yaml | resnet50.yaml | squeezenet.yaml | vgg16.yaml | \
          vit_b16.yaml)
          skipped=$((skipped + 1))
          continue
          ;;
      esac
    fi
    pairs+=("$arch|$net")
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
[ "$skipped" -gt 0 ] && echo "determinism: $skipped large network x mlu.yaml pairs left to the Release suite"
exit "$failed"
