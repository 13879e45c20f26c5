#!/usr/bin/env bash
# scripts/sweep.py on a tiny sweep (tiny_chain on mlu, cores.count 1, 2 and 0 x fusion none and
# optimal: 6 points, the two with 0 cores refused by fusim): -j 2 and --dask-local 2 write the
# same table; the points' directories hold no program unless --keep-programs; a sweep killed after
# two points (a test hook), or by SIGKILL once its first row is written, and re-run completes with
# each id once; the refused points carry fusim's error line and the others complete; the Slurm job
# array passes bash -n and its tasks run locally, then merged, give the same table; bad specs exit
# 2 with one line; the figures of scripts/sweep_plots.py are written. Tables are compared without
# search_seconds (the search's wall time).
# Usage: tests/scripts/test_sweep.sh FUSIM_BIN [SOURCE_DIR]
set -u
fusim=$1
src=$(cd "${2:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MPLBACKEND=Agg MPLCONFIGDIR="$tmp/mpl"
sweep() { /usr/bin/python3 "$src/scripts/sweep.py" "$@" --fusim "$fusim"; }
# shellcheck source=../check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
# A results.csv without its wall-time column, rows as they are (already sorted by id).
strip() {
  /usr/bin/python3 -c 'import sys, pandas as pd
pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False).drop(columns=["search_seconds"]) \
  .to_csv(sys.stdout, index=False)' "$1"
}
same_table() { diff <(strip "$1") <(strip "$2") >/dev/null; }
one_line() { test "$(wc -l <"$1")" -eq 1; }

# The spec beside copies of its inputs: its paths are relative to its directory.
mkdir -p "$tmp/spec"
cp "$src/configs/mlu.yaml" "$tmp/spec/arch.yaml"
cp "$src/workloads/tiny_chain.yaml" "$tmp/spec/net.yaml"
spec="$tmp/spec/tiny.yaml"
cat >"$spec" <<'EOF'
arch: arch.yaml
nets: [net.yaml]
fusion: [none, optimal]
vary:
  cores.count: [1, 2, 0]
EOF

sweep "$spec" --out "$tmp/j2" -j 2 >"$tmp/j2.log" 2>/dev/null
check "-j 2: exit 1 (two points failed)" test $? -eq 1
check "  6 rows, 4 ok" test "$(strip "$tmp/j2/results.csv" | tail -n +2 | wc -l)" -eq 6 \
  -a "$(grep -c ',ok,' "$tmp/j2/results.csv")" -eq 4
"$fusim" --arch "$tmp/spec/arch.yaml" --net "$tmp/spec/net.yaml" -p cores.count=0 2>"$tmp/err0" >/dev/null
check "  a refused point's status is fusim's error line" \
  test "$(grep -cF "\"$(cat "$tmp/err0")\"" "$tmp/j2/results.csv")" -eq 2
check "  each ok point's --out directory has its report.json" \
  test "$(ls "$tmp"/j2/points/*/report.json | wc -l)" -eq 4
check "  and not its program (--out-program off)" \
  test -z "$(find "$tmp/j2/points" -name schedule.yaml)"
sweep "$spec" --out "$tmp/progs" -j 2 --keep-programs >/dev/null 2>&1
check "--keep-programs: each ok point keeps its program" \
  test "$(ls "$tmp"/progs/points/*/schedule.yaml | wc -l)" -eq 4
check "  the same table as without" same_table "$tmp/j2/results.csv" "$tmp/progs/results.csv"
sweep "$spec" --out "$tmp/progs_inproc" --in-process --keep-programs >/dev/null 2>"$tmp/err"
rc=$?
check "--keep-programs with --in-process: exit 2, one line" \
  eval 'test $rc -eq 2 && one_line "$tmp/err" && grep -q -- "--keep-programs" "$tmp/err"'

sweep "$spec" --out "$tmp/dask" --dask-local 2 >/dev/null 2>&1
check "--dask-local 2: exit 1" test $? -eq 1
check "  the same table as -j 2" same_table "$tmp/j2/results.csv" "$tmp/dask/results.csv"

# In process, through the Python module beside the binary (built by scripts/build.sh).
if ls "$(dirname "$(dirname "$fusim")")"/python/fusim*.so >/dev/null 2>&1; then
  sweep "$spec" --out "$tmp/inproc" --in-process >/dev/null 2>&1
  check "--in-process: exit 1" test $? -eq 1
  check "  the same table as -j 2" same_table "$tmp/j2/results.csv" "$tmp/inproc/results.csv"
  sweep "$spec" --out "$tmp/inproc2" --in-process -j 2 >/dev/null 2>&1
  check "--in-process -j 2 (two worker processes): exit 1" test $? -eq 1
  check "  the same table as -j 2" same_table "$tmp/j2/results.csv" "$tmp/inproc2/results.csv"
else
  # The sanitized build has none (an ASan module would need the runtime preloaded into
  # Python); scripts/build.sh's Release build always has it, and python_api tests it there.
  echo "skip  --in-process: this build has no Python module"
fi

sweep "$spec" --out "$tmp/killed" -j 1 --stop-after 2 >/dev/null 2>&1
check "a sweep killed after two points (SIGKILL)" test $? -eq 137
check "  left a table of two rows" test "$(strip "$tmp/killed/results.csv" | wc -l)" -eq 3
sweep "$spec" --out "$tmp/killed" -j 2 >"$tmp/resume.log" 2>/dev/null
check "  a re-run skips them" grep -q '(2 ok already, not rerun)' "$tmp/resume.log"
check "  and completes: the same table as -j 2" same_table "$tmp/j2/results.csv" "$tmp/killed/results.csv"
check "  each id once" test -z "$(cut -d, -f1 "$tmp/killed/results.csv" | sort | uniq -d)"
sweep "$spec" --out "$tmp/killed" -j 2 >"$tmp/rerun.log" 2>/dev/null
check "a third run reruns the failed points only" grep -q '4 ok, 2 failed (4 ok already' "$tmp/rerun.log"

# A real kill at a moment the test does not choose: SIGKILL once the first row is in the table.
sed 's/cores.count: \[1, 2, 0\]/cores.count: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]/' \
  "$spec" >"$tmp/spec/many.yaml"
# exec: $! is then the sweep's own process (a function run with & would be a subshell, and
# SIGKILL would leave the sweep running on behind it).
(exec /usr/bin/python3 "$src/scripts/sweep.py" "$tmp/spec/many.yaml" --out "$tmp/many" -j 1 \
  --fusim "$fusim" >/dev/null 2>&1) &
pid=$!
for _ in $(seq 200); do
  [ "$(cat "$tmp/many/results.csv" 2>/dev/null | wc -l)" -ge 2 ] && break
  sleep 0.02
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
rows=$(($(wc -l <"$tmp/many/results.csv") - 1))
check "a sweep killed (SIGKILL) after its first row left a valid table ($rows of 32 rows)" \
  eval 'test "$rows" -ge 1 -a "$rows" -lt 32 && strip "$tmp/many/results.csv" >/dev/null'
check "  and the sweep is gone" eval '! pgrep -f "sweep.py $tmp/spec/many.yaml" >/dev/null'
sleep 0.2  # the fusim it was waiting for ends on its own
sweep "$tmp/spec/many.yaml" --out "$tmp/many" -j 2 >/dev/null 2>&1
check "  a re-run completes: 32 rows, each id once" \
  eval 'test "$(cut -d, -f1 "$tmp/many/results.csv" | tail -n +2 | sort -u | wc -l)" -eq 32 -a \
    "$(wc -l <"$tmp/many/results.csv")" -eq 33'

sweep "$spec" --out "$tmp/slurm_out" --emit-slurm "$tmp/slurm" >/dev/null
check "--emit-slurm: an array of 6 tasks" grep -qx '#SBATCH --array=0-5' "$tmp/slurm/sweep.sbatch"
check "  sweep.sbatch passes bash -n" bash -n "$tmp/slurm/sweep.sbatch"
check "  merge.sbatch passes bash -n" bash -n "$tmp/slurm/merge.sbatch"
SLURM_ARRAY_TASK_ID=0 bash "$tmp/slurm/sweep.sbatch" >/dev/null 2>&1
bash "$tmp/slurm/merge.sbatch" >/dev/null 2>&1
check "  task 0 and the merge: exit 1 (5 points without a row)" test $? -eq 1
check "  task 0's row is the local runner's" \
  test "$(strip "$tmp/slurm_out/results.csv" | tail -1)" = \
       "$(strip "$tmp/j2/results.csv" | grep "^$(tail -1 "$tmp/slurm_out/results.csv" | cut -d, -f1),")"
for i in 1 2 3 4 5; do SLURM_ARRAY_TASK_ID=$i bash "$tmp/slurm/sweep.sbatch" >/dev/null 2>&1; done
bash "$tmp/slurm/merge.sbatch" >/dev/null 2>&1
check "  every task and the merge: the same table as -j 2" \
  same_table "$tmp/j2/results.csv" "$tmp/slurm_out/results.csv"

bad() {  # name, spec text, what the error must name
  printf '%s\n' "$2" >"$tmp/spec/bad.yaml"
  sweep "$tmp/spec/bad.yaml" --out "$tmp/bad" >/dev/null 2>"$tmp/err"
  check "$1: exit 2" test $? -eq 2
  want=$3
  check "  one line naming the spec and $3" \
    eval 'one_line "$tmp/err" && grep -qF "$tmp/spec/bad.yaml" "$tmp/err" && grep -qF "$want" "$tmp/err"'
}
bad "an unknown key" $'arch: arch.yaml\nnets: [net.yaml]\nvaryy: {cores.count: [1]}' "'varyy'"
bad "a value that is not a list" $'arch: arch.yaml\nnets: [net.yaml]\nvary: {cores.count: 4}' \
  "'vary.cores.count'"
bad "zip lists of unequal length" \
  $'arch: arch.yaml\nnets: [net.yaml]\nzip: {cores.count: [1, 2], dram.channels: [1]}' "'zip'"
bad "a missing arch file" $'arch: nope.yaml\nnets: [net.yaml]' "'arch'"
check "  and no sweep directory made" test ! -e "$tmp/bad"

/usr/bin/python3 "$src/scripts/sweep_plots.py" "$tmp/j2" --to "$tmp/fig" >/dev/null
check "sweep_plots.py: exit 0" test $? -eq 0
for stem in pareto_bytes pareto_energy pareto_sram pareto_pes by_axis; do
  for ext in png svg csv; do
    check "  $stem.$ext is written and not empty" test -s "$tmp/fig/$stem.$ext"
  done
done
/usr/bin/python3 "$src/scripts/sweep_plots.py" "$tmp/spec" 2>"$tmp/err"
rc=$?
check "  a directory that is not a sweep's: exit 2, one line" \
  eval 'test $rc -eq 2 && one_line "$tmp/err"'
check_summary
