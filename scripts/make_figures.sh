#!/usr/bin/env bash
# The figures of docs/plots.md: MobileNetV2 on configs/mlu.yaml under --fusion none, optimal and
# dlfusion, drawn by scripts/plot_run.py into docs/figures/. Prints plot_run.py's table, whose
# energy ratios docs/plots.md quotes.
# Usage: scripts/make_figures.sh   (after scripts/build.sh; fusim is $FUSIM_BUILD_DIR/app/fusim,
# build/app/fusim by default, as for the other scripts)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fusim="${FUSIM_BUILD_DIR:-build}/app/fusim"
if [ ! -x "$fusim" ]; then
  echo "make_figures: $fusim not found; build first with scripts/build.sh" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
runs=()
for search in none optimal dlfusion; do
  "$fusim" --arch configs/mlu.yaml --net workloads/mobilenetv2.yaml --fusion "$search" --quiet \
    --out "$tmp/$search"
  runs+=("$tmp/$search")
done
# A figure this command no longer makes must not stay behind looking current.
rm -f docs/figures/*.png docs/figures/*.svg docs/figures/*.csv
MPLBACKEND=Agg /usr/bin/python3 scripts/plot_run.py "${runs[@]}" --to docs/figures
