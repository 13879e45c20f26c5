#!/usr/bin/env bash
# scripts/plot_run.py on two small runs (tiny_chain on mlu: detailed DRAM, so every figure is
# drawn): each expected PNG, SVG and CSV exists and is not empty, a second run writes the same
# bytes, and a directory that is not a fusim --out directory is refused with exit 2.
# Usage: tests/scripts/test_plots.sh FUSIM_BIN [SOURCE_DIR]
set -u
fusim=$1
src=$(cd "${2:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MPLBACKEND=Agg MPLCONFIGDIR="$tmp/mpl"  # headless; no writes to the user's config
# shellcheck source=../check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
for search in none optimal; do
  "$fusim" --arch "$src/configs/mlu.yaml" --net "$src/workloads/tiny_chain.yaml" --fusion "$search" \
    --quiet --out "$tmp/$search" || { echo "FAIL fusim --fusion $search"; exit 1; }
done
plot="$src/scripts/plot_run.py"
check "plot_run.py exits 0" /usr/bin/python3 "$plot" "$tmp/none" "$tmp/optimal" --to "$tmp/fig"
for stem in energy_components energy_groups schedules roofline_none roofline_optimal layer_cycles \
  dram_bandwidth; do
  for ext in png svg csv; do
    check "$stem.$ext is written and not empty" test -s "$tmp/fig/$stem.$ext"
  done
done
/usr/bin/python3 "$plot" "$tmp/none" "$tmp/optimal" --to "$tmp/fig2" >/dev/null
check "a rerun writes the same bytes" diff -r "$tmp/fig" "$tmp/fig2"
/usr/bin/python3 "$plot" "$tmp/none" --to "$tmp/fig3" --only roofline >/dev/null
check "--only roofline writes the roofline only" test "$(ls "$tmp/fig3")" = \
  "$(printf 'roofline_none.csv\nroofline_none.png\nroofline_none.svg')"
/usr/bin/python3 "$plot" "$tmp/missing" --to "$tmp/fig4" 2>"$tmp/err"
check "a missing directory: exit 2" test $? -eq 2
check "  with one line naming it" test "$(wc -l <"$tmp/err")" -eq 1 -a -n "$(grep -F "$tmp/missing" "$tmp/err")"
/usr/bin/python3 "$plot" "$tmp" --to "$tmp/fig4" 2>/dev/null
check "a directory without report.json: exit 2" test $? -eq 2
check_summary
