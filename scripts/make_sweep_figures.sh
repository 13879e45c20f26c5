#!/usr/bin/env bash
# The figures of docs/sweeps.md: the example sweeps of configs/sweeps/ (MobileNetV2 on
# configs/mlu.yaml by buffer size, and by cores x DRAM channels) run by scripts/sweep.py and drawn
# by scripts/sweep_plots.py into docs/figures/sweeps/NAME/.
# Usage: scripts/make_sweep_figures.sh [-j N]   (after scripts/build.sh; fusim is
# $FUSIM_BUILD_DIR/app/fusim, build/app/fusim by default, as for the other scripts)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fusim="${FUSIM_BUILD_DIR:-build}/app/fusim"
if [ ! -x "$fusim" ]; then
  echo "make_sweep_figures: $fusim not found; build first with scripts/build.sh" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in mlu_buffers mlu_cores; do
  /usr/bin/python3 scripts/sweep.py "configs/sweeps/$name.yaml" --out "$tmp/$name" --fusim "$fusim" "$@"
  # A figure this command no longer makes must not stay behind looking current.
  rm -rf "docs/figures/sweeps/$name"
  MPLBACKEND=Agg /usr/bin/python3 scripts/sweep_plots.py "$tmp/$name" --to "docs/figures/sweeps/$name"
done
