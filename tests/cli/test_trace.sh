#!/usr/bin/env bash
# --trace FILE: the trace of MobileNetV2 on mlu.yaml (detailed DRAM) and of tiny_chain on
# eyeriss.yaml (simple DRAM) passes scripts/check_trace.py (the trace-event format; spans in
# order and apart on every track); the trace has the tracks docs/trace.md names; two runs write
# the same bytes; --trace is refused where it would replace an input or sit inside --out.
# Usage: test_trace.sh FUSIM SOURCE_DIR
set -euo pipefail
fusim="$1"
src="$2"
py=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # NAME COMMAND...
  local name="$1"
  shift
  if "$@" >"$tmp/log" 2>&1; then
    echo "ok    $name"
  else
    echo "FAIL  $name"
    cat "$tmp/log"
    fail=1
  fi
}

"$fusim" --arch "$src/configs/mlu.yaml" --net "$src/workloads/mobilenetv2.yaml" --quiet \
  --trace "$tmp/a.json" --out "$tmp/a_out"
check "mlu.yaml trace is valid" "$py" "$src/scripts/check_trace.py" "$tmp/a.json"
check "it has the groups, core engines, DRAM channels and interconnect" "$py" -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"].endswith("_name")}
need = {"groups", "cores", "DRAM", "interconnect", "core 0 load", "core 31 compute",
        "core 31 store", "core 31 prefetch", "core 30 prefetch", "channel 3 data bus"}
assert "core 29 prefetch" not in names  # mlu.yaml: two prefetch engines
assert need <= names, need - names
assert any(e["ph"] == "C" and e["name"] == "channel 0 GB/s" for e in ev)
assert any(e["ph"] == "C" and e["name"] == "interconnect GB/s" for e in ev)
groups = [e for e in ev if e["ph"] == "X" and e["pid"] == 1]
report = json.load(open(sys.argv[2]))
assert len(groups) == len(report["groups"]), (len(groups), len(report["groups"]))
' "$tmp/a.json" "$tmp/a_out/report.json"
"$fusim" --arch "$src/configs/mlu.yaml" --net "$src/workloads/mobilenetv2.yaml" --quiet \
  --trace "$tmp/b.json"
check "two runs write the same trace" cmp "$tmp/a.json" "$tmp/b.json"
"$fusim" --arch "$src/configs/eyeriss.yaml" --net "$src/workloads/tiny_chain.yaml" --quiet \
  --trace "$tmp/c.json"
check "eyeriss.yaml (simple DRAM) trace is valid" "$py" "$src/scripts/check_trace.py" "$tmp/c.json"

refused() {  # NAME WANT_TEXT ARGS...
  local name="$1" want="$2"
  shift 2
  local rc=0
  "$fusim" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" = 2 ] && grep -q -- "$want" "$tmp/err"; then
    echo "ok    $name"
  else
    echo "FAIL  $name (exit $rc)"
    cat "$tmp/err"
    fail=1
  fi
}
cp "$src/workloads/tiny_chain.yaml" "$tmp/net.yaml"
refused "--trace over the network input" "is also the --net input" \
  --arch "$src/configs/mlu.yaml" --net "$tmp/net.yaml" --trace "$tmp/net.yaml"
refused "--trace inside --out" "is inside --out" \
  --arch "$src/configs/mlu.yaml" --net "$tmp/net.yaml" --out "$tmp/o" --trace "$tmp/o/t.json"
refused "--trace ''" "expects a path" \
  --arch "$src/configs/mlu.yaml" --net "$tmp/net.yaml" --trace ""
exit "$fail"
