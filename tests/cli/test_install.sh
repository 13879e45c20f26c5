#!/usr/bin/env bash
# cmake --install into a temporary prefix, then the main command run from another directory
# with the paths the README gives (configs/mlu.yaml, workloads/mobilenetv2.yaml): the installed
# fusim finds them in PREFIX/share/fusim. Also: --version names the commit; report.json records
# the options as given; the configure step alone succeeds with FUSIM_WERROR off by default.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
src="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # NAME COMMAND...
  local name="$1"
  shift
  if "$@" >"$tmp/check.out" 2>&1; then
    echo "PASS  $name"
  else
    echo "FAIL  $name"
    cat "$tmp/check.out"
    fail=1
  fi
}

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log"
  exit 1
}
fusim="$tmp/prefix/bin/fusim"
check "the binary, configs, workloads and scripts are installed" \
  test -x "$fusim" -a -f "$tmp/prefix/share/fusim/configs/mlu.yaml" \
  -a -f "$tmp/prefix/share/fusim/workloads/mobilenetv2.yaml" \
  -a -f "$tmp/prefix/share/fusim/scripts/onnx_to_fusim.py" \
  -a -f "$tmp/prefix/share/doc/fusim/LICENSE"

mkdir -p "$tmp/elsewhere"
check "the main command runs from another directory" \
  bash -c "cd '$tmp/elsewhere' && '$fusim' --arch configs/mlu.yaml --net workloads/mobilenetv2.yaml --quiet --out out"
check "report.json records the options as given and the commit" \
  /usr/bin/python3 -c "
import json, sys
r = json.load(open('$tmp/elsewhere/out/report.json'))
o = r['options']
assert o['arch'] == 'configs/mlu.yaml' and o['net'] == 'workloads/mobilenetv2.yaml', o
assert o['fusion'] == 'optimal' and o['judge'] == 'cost' and o['overrides'] == [], o
assert r['fusim_commit'], r['fusim_commit']
"
check "--version names the version and the commit" \
  bash -c "'$fusim' --version | grep -E '^fusim [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{12}(-dirty)?|unknown\)$'"
check "a file that is neither here nor installed is named as given" \
  bash -c "cd '$tmp/elsewhere'; '$fusim' --arch configs/nope.yaml --net workloads/mobilenetv2.yaml 2>&1 | grep -q 'configs/nope.yaml'"

# A user's configure: no FUSIM_WERROR given means warnings are not errors.
check "cmake configures alone, FUSIM_WERROR off by default" \
  bash -c "cmake -S '$src' -B '$tmp/configure' -DFUSIM_BUILD_TESTS=OFF >/dev/null && grep -q '^FUSIM_WERROR:BOOL=OFF' '$tmp/configure/CMakeCache.txt'"
exit "$fail"
