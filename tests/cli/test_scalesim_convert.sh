#!/usr/bin/env bash
# The SCALE-Sim converter: the YAML it writes simulates exactly as the SCALE-Sim files do.
# Args: $1 = fusim binary, $2 = source dir.
set -u
fusim=$1
src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=../check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
d=$src/tests/data/scalesim
for topo in mobilenet Resnet18 gpt2_mnk; do
  for dw in "" "--depthwise"; do
    out=$tmp/$topo$dw
    /usr/bin/python3 "$src/scripts/scalesim_to_fusim.py" --fusim "$fusim" --cfg "$d/scale.cfg" \
      --topology "$d/$topo.csv" $dw -o "$out" >/dev/null
    flag=""
    [ -n "$dw" ] && flag="--scalesim-depthwise"
    direct=$("$fusim" --arch "$d/scale.cfg" --net "$d/$topo.csv" $flag | grep -E 'cycles|off-chip')
    converted=$("$fusim" --arch "$out/arch.yaml" --net "$out/network.yaml" | grep -E 'cycles|off-chip')
    check "$topo$dw: converted YAML gives the same cycles and bytes" test -n "$direct" -a "$direct" = "$converted"
  done
done
check_summary
