# The shell tests' check: `check NAME COMMAND...` runs COMMAND and prints "ok   NAME" or
# "FAIL NAME", counting both; `check_summary` prints the counts and fails when any check did.
# Sourced by tests/cli/test_scalesim_convert.sh, tests/scripts/test_plots.sh and
# tests/scripts/test_sweep.sh.
pass=0
fail=0
check() {  # name, command...
  local name=$1
  shift
  if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}
check_summary() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
