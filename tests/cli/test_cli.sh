#!/usr/bin/env bash
# The command-line contract of fusim, checked on the real executable:
#   - --help, --version and no arguments at all exit 0; --help (and no arguments) print the usage,
#     every registered search and examples that run; a good run exits 0, prints a "cycles" line
#     and nothing on stderr; --opt=VALUE is --opt VALUE;
#   - every bad input exits 2 and prints exactly one line on stderr, "fusim: error: ...", naming
#     the file (or the option) at fault, and nothing on stdout;
#   - --out writes its six files, --schedule-out / --schedule-in round-trip, runs are repeatable;
#   - --out is replaced as a whole or not at all, output paths are checked before inputs are read,
#     empty paths, repeated --arch/--net/--fusion, an output that is an input, stdout write
#     errors and multi-document YAML are refused (the kills and the full disk: test_out_atomic.sh).
# usage: test_cli.sh FUSIM_BINARY SOURCE_DIR
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 FUSIM_BINARY SOURCE_DIR" >&2
  exit 2
fi
FUSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") || exit 2  # absolute: examples run elsewhere
SRC=$(cd "$2" && pwd) || exit 2  # absolute: temp arch files name a base file in it
ARCH="$SRC/configs/mlu.yaml"
NET="$SRC/workloads/mobilenetv2.yaml"
SMALL_ARCH="$SRC/configs/systolic32.yaml"
SMALL_NET="$SRC/workloads/tiny_chain.yaml"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fusim_cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
pass() {
  echo "PASS  $1"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL  $1: $2"
  failed=$((failed + 1))
}

# run ARGS...: runs fusim; sets rc, and leaves stdout/stderr in $TMP/out and $TMP/err.
run() {
  "$FUSIM" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
}

# The summary's cycles line ("  cycles   1,234"), not the group table header.
cycles_line() {
  grep -E '^[[:space:]]*cycles[[:space:]]' "$1" | head -n 1
}

# expect_ok NAME ARGS...: exit 0 and an empty stderr.
expect_ok() {
  local name=$1
  shift
  run "$@"
  if [ "$rc" -ne 0 ]; then
    fail "$name" "exit code $rc, stderr: $(head -c 300 "$TMP/err")"
  elif [ -s "$TMP/err" ]; then
    fail "$name" "stderr is not empty: $(head -c 300 "$TMP/err")"
  else
    pass "$name"
  fi
}

# expect_error NAME MENTION ARGS...: exit 2, nothing on stdout, exactly one line on stderr that
# starts with "fusim: error: " and contains MENTION (the file or option at fault).
expect_error() {
  local name=$1 mention=$2
  shift 2
  run "$@"
  local lines first
  lines=$(grep -c '' "$TMP/err")
  first=$(head -n 1 "$TMP/err")
  if [ "$rc" -ne 2 ]; then
    fail "$name" "exit code $rc (expected 2), stderr: $(head -c 300 "$TMP/err")"
  elif [ "$lines" -ne 1 ]; then
    fail "$name" "$lines lines on stderr (expected 1): $(head -c 300 "$TMP/err")"
  elif [ "$(tail -c 1 "$TMP/err" | od -An -tx1 | tr -d ' ')" != "0a" ]; then
    fail "$name" "the stderr line does not end with a newline"
  elif [ "${first#fusim: error: }" = "$first" ]; then
    fail "$name" "stderr does not start with 'fusim: error: ': $first"
  elif [[ "$first" != *"$mention"* ]]; then
    fail "$name" "stderr does not mention '$mention': $first"
  elif [ -s "$TMP/out" ]; then
    fail "$name" "stdout is not empty: $(head -c 300 "$TMP/out")"
  else
    pass "$name"
  fi
}

if [ ! -x "$FUSIM" ]; then
  fail "binary" "$FUSIM is not an executable"
  echo "$passed passed, $failed failed"
  exit 1
fi

# --- help and version ----------------------------------------------------------------------------

run --help
if [ "$rc" -eq 0 ] && grep -q -- '--arch' "$TMP/out" && [ ! -s "$TMP/err" ]; then
  pass "--help exits 0 and prints the usage"
else
  fail "--help exits 0 and prints the usage" "exit code $rc"
fi
cp "$TMP/out" "$TMP/help.txt"

# Every option the usage has always offered is still there.
for o in --arch --net --scalesim-depthwise -p --fusion --objective --max-group-layers --out \
  --schedule-out --schedule-in --quiet --convert-only --help --version; do
  if grep -Eq -- "^  (-h, )?$o( |$)" "$TMP/help.txt"; then
    pass "--help lists $o"
  else
    fail "--help lists $o" "not at the start of a line in the options"
  fi
done

# The searches --help lists are the ones --fusion accepts (the unknown-name error names them).
run --arch "$ARCH" --net "$NET" --fusion magic
searches=$(sed -n 's/.*choose one of: \(.*\))$/\1/p' "$TMP/err" | tr -d ',')
if [ -n "$searches" ]; then
  pass "the unknown --fusion error lists the searches ($searches)"
else
  fail "the unknown --fusion error lists the searches" "$(head -c 300 "$TMP/err")"
fi
for s in $searches; do
  if grep -Eq "^  $s  " "$TMP/help.txt"; then
    pass "--help describes the search $s"
  else
    fail "--help describes the search $s" "no line '  $s  ...'"
  fi
done

# The examples in --help: the main command, a sweep point with -p and --out, a SCALE-Sim input.
for e in "fusim --arch configs/mlu.yaml --net workloads/mobilenetv2.yaml" "-p cores.count=16" \
  "--out " "scalesim/scale.cfg"; do
  if grep -q -- "$e" "$TMP/help.txt"; then
    pass "--help shows an example with '$e'"
  else
    fail "--help shows an example with '$e'" "not found"
  fi
done

# ...and each runs as shown, from a folder that looks like the source tree.
mkdir -p "$TMP/examples"
for d in configs workloads tests; do ln -s "$SRC/$d" "$TMP/examples/$d"; done
n=0
# An example is a line "    fusim ...", continued by lines ending in a backslash.
awk '/^    fusim / { cmd = $0; while (cmd ~ /\\$/ && (getline next_line) > 0) {
       sub(/ *\\$/, "", cmd); sub(/^ +/, " ", next_line); cmd = cmd next_line }
     sub(/^ +fusim /, "", cmd); print cmd }' "$TMP/help.txt" >"$TMP/examples.txt"
while IFS= read -r args; do
  n=$((n + 1))
  # shellcheck disable=SC2086  # the example's words, as a shell would split them
  (cd "$TMP/examples" && "$FUSIM" $args >"$TMP/out" 2>"$TMP/err")
  rc=$?
  if [ "$rc" -eq 0 ] && [ ! -s "$TMP/err" ]; then
    pass "--help example $n runs: fusim $args"
  else
    fail "--help example $n runs: fusim $args" "exit code $rc, $(head -c 300 "$TMP/err")"
  fi
done <"$TMP/examples.txt"
if [ "$n" -ge 3 ]; then
  pass "--help shows $n examples"
else
  fail "--help shows at least 3 examples" "found $n"
fi

# No arguments: the same usage, on stdout, exit 0 (asking what fusim is, not a bad run).
run
if [ "$rc" -eq 0 ] && [ ! -s "$TMP/err" ] && cmp -s "$TMP/out" "$TMP/help.txt"; then
  pass "no arguments print the usage and exit 0"
else
  fail "no arguments print the usage and exit 0" "exit code $rc, stderr: $(head -c 300 "$TMP/err")"
fi

run --version
if [ "$rc" -eq 0 ] && grep -Eq '^fusim [0-9]+\.[0-9]+' "$TMP/out" && [ ! -s "$TMP/err" ]; then
  pass "--version exits 0 and prints the version"
else
  fail "--version exits 0 and prints the version" "exit code $rc, stdout: $(head -c 100 "$TMP/out")"
fi

# --- the main example ----------------------------------------------------------------------------

expect_ok "main example exits 0 with an empty stderr" --arch "$ARCH" --net "$NET"
main_cycles=$(cycles_line "$TMP/out")
if [ -n "$main_cycles" ] && [[ "$main_cycles" =~ [0-9] ]]; then
  pass "main example prints a cycles line ($(echo "$main_cycles" | tr -s " "))"
else
  fail "main example prints a cycles line" "stdout: $(head -c 300 "$TMP/out")"
fi

expect_ok "--arch=FILE --net=FILE exits 0" --arch="$ARCH" --net="$NET"
if [ "$(cycles_line "$TMP/out")" = "$main_cycles" ]; then
  pass "--arch=FILE --net=FILE gives the main example's cycles"
else
  fail "--arch=FILE --net=FILE gives the main example's cycles" "'$(cycles_line "$TMP/out")'"
fi

expect_ok "--quiet exits 0" --arch "$ARCH" --net "$NET" --quiet
if [ ! -s "$TMP/out" ]; then
  pass "--quiet prints nothing on stdout"
else
  fail "--quiet prints nothing on stdout" "stdout: $(head -c 300 "$TMP/out")"
fi

# --- --out -----------------------------------------------------------------------------------------

expect_ok "--out run exits 0" --arch "$ARCH" --net "$NET" --out "$TMP/out1" --quiet
for f in report.json layers.csv groups.csv arch.yaml network.yaml schedule.yaml; do
  if [ -s "$TMP/out1/$f" ]; then
    pass "--out writes $f"
  else
    fail "--out writes $f" "missing or empty: $TMP/out1/$f"
  fi
done

expect_ok "second --out run exits 0" --arch "$ARCH" --net "$NET" --out "$TMP/out2" --quiet
if cmp -s "$TMP/out1/report.json" "$TMP/out2/report.json"; then
  pass "two runs give byte-identical report.json"
else
  fail "two runs give byte-identical report.json" "$(diff "$TMP/out1/report.json" \
    "$TMP/out2/report.json" | head -n 5)"
fi

# The arch written by --out loads again and gives the same result.
expect_ok "--out arch.yaml loads again" --arch "$TMP/out1/arch.yaml" --net "$NET"
if [ "$(cycles_line "$TMP/out")" = "$main_cycles" ]; then
  pass "--out arch.yaml reproduces the cycles"
else
  fail "--out arch.yaml reproduces the cycles" "'$(cycles_line "$TMP/out")' vs '$main_cycles'"
fi

# A bad --out (a path through a regular file) is bad input, exit 2, with one line naming the
# path and the operating system's reason; with --convert-only too, which creates the directory
# itself.
: >"$TMP/a_file"
expect_error "--out through a file" "$TMP/a_file/sub: key '--out': cannot create the output directory: " \
  --arch "$SMALL_ARCH" --net "$SMALL_NET" --out "$TMP/a_file/sub" --quiet
expect_error "--convert-only --out through a file" \
  "$TMP/a_file/sub: key '--out': cannot create the output directory: " \
  --arch "$SMALL_ARCH" --convert-only --out "$TMP/a_file/sub"
expect_error "--convert-only --out names the reason" "Not a directory" \
  --net "$SMALL_NET" --convert-only --out "$TMP/a_file/sub"

# --out replaces the directory as a whole (docs/usage.md): a failed run leaves it untouched, a
# directory with files fusim does not write is refused, and no temporary file stays behind.
SA=(--arch "$SMALL_ARCH" --net "$SMALL_NET" --quiet)
# same_dir NAME DIR REF: DIR holds exactly REF's files, byte for byte, and nothing fusim left.
same_dir() {
  if ! diff -r "$2" "$3" >/dev/null; then
    fail "$1" "$2 differs from $3: $(diff -rq "$2" "$3" | head -n 2 | tr '\n' ';')"
  elif [ -n "$(find "$(dirname "$2")" -maxdepth 1 -name '.*.fusim-*')" ]; then
    fail "$1" "temporary files left beside $2"
  else
    pass "$1"
  fi
}
expect_ok "--out small run" "${SA[@]}" --out "$TMP/small"
cp -r "$TMP/small" "$TMP/small_ref"
expect_error "a failed run" "-p cores.count=0" "${SA[@]}" --out "$TMP/small" -p cores.count=0 \
  --fusion none
same_dir "a failed run leaves --out untouched" "$TMP/small" "$TMP/small_ref"
expect_ok "--out over a previous run" "${SA[@]}" --out "$TMP/small" --fusion none
if [ -z "$(find "$TMP" -maxdepth 1 -name '.small.fusim-*')" ] && ! cmp -s \
  "$TMP/small/report.json" "$TMP/small_ref/report.json"; then
  pass "--out over a previous run replaces it and leaves no temporary directory"
else
  fail "--out over a previous run replaces it and leaves no temporary directory" "$(ls -A "$TMP")"
fi
cp -r "$TMP/small_ref" "$TMP/small_user"
: >"$TMP/small_user/notes.txt"
cp -r "$TMP/small_user" "$TMP/small_user_ref"
expect_error "--out with a file fusim does not write" "holds 'notes.txt'" "${SA[@]}" \
  --out "$TMP/small_user"
same_dir "--out with a file fusim does not write is untouched" "$TMP/small_user" \
  "$TMP/small_user_ref"
cp -r "$TMP/small_ref" "$TMP/small_dir"
rm "$TMP/small_dir/layers.csv" && mkdir "$TMP/small_dir/layers.csv"
cp -r "$TMP/small_dir" "$TMP/small_dir_ref"
expect_error "--out where layers.csv is a directory" "holds 'layers.csv', which is not a regular file" \
  "${SA[@]}" --out "$TMP/small_dir"
same_dir "--out where layers.csv is a directory is untouched" "$TMP/small_dir" "$TMP/small_dir_ref"
# --convert-only replaces the directory too: no report of an earlier run beside the new YAML.
cp -r "$TMP/small_ref" "$TMP/conv"
expect_ok "--convert-only over a previous run" --net "$SMALL_NET" --convert-only --out "$TMP/conv"
if [ "$(ls -A "$TMP/conv")" = network.yaml ]; then
  pass "--convert-only over a previous run leaves network.yaml alone"
else
  fail "--convert-only over a previous run leaves network.yaml alone" "$(ls -A "$TMP/conv" | tr '\n' ' ')"
fi

# --out-program off: the same run's files but the program, over a directory that held one.
cp -r "$TMP/small_ref" "$TMP/noprog"
expect_ok "--out-program off" "${SA[@]}" --out "$TMP/noprog" --out-program off
cp -r "$TMP/small_ref" "$TMP/noprog_ref" && rm "$TMP/noprog_ref/schedule.yaml"
same_dir "--out-program off writes every file but schedule.yaml, the same bytes" "$TMP/noprog" \
  "$TMP/noprog_ref"
expect_error "--out-program without --out" "key '--out-program': applies only with --out DIR" \
  "${SA[@]}" --out-program off
expect_error "--out-program with --convert-only" \
  "key '--out-program': does not apply with --convert-only" \
  --net "$SMALL_NET" --convert-only --out "$TMP/conv" --out-program off
expect_error "--out-program takes on or off" "key '--out-program': expects on or off" \
  "${SA[@]}" --out "$TMP/noprog" --out-program no

# Output paths are checked before any input is read (so before the search and the simulation):
# with an --out or --schedule-out that cannot be written and a --net that does not exist, the
# error is the output's.
expect_error "an unwritable --out fails before the inputs are read" "$TMP/a_file/sub: key '--out'" \
  --arch "$SMALL_ARCH" --net "$TMP/no_such_net.yaml" --out "$TMP/a_file/sub"
expect_error "an unwritable --schedule-out fails before the inputs are read" \
  "$TMP/no_such_dir/p.yaml: key '--schedule-out'" \
  --arch "$SMALL_ARCH" --net "$TMP/no_such_net.yaml" --schedule-out "$TMP/no_such_dir/p.yaml"
expect_error "--schedule-out a directory" "$TMP/small: key '--schedule-out': is a directory" \
  --arch "$SMALL_ARCH" --net "$TMP/no_such_net.yaml" --schedule-out "$TMP/small"
if [ "$(id -u)" -ne 0 ]; then  # root writes anywhere
  mkdir -p "$TMP/readonly" && chmod 555 "$TMP/readonly"
  expect_error "a read-only --out parent fails before the inputs are read" \
    "$TMP/readonly/out: key '--out'" \
    --arch "$SMALL_ARCH" --net "$TMP/no_such_net.yaml" --out "$TMP/readonly/out"
  chmod 755 "$TMP/readonly"
fi

# Standard output that cannot be written is an error.
if [ -w /dev/full ]; then
  "$FUSIM" "${SA[@]/--quiet/--fusion=none}" >/dev/full 2>"$TMP/err"
  rc=$?
  if [ "$rc" -eq 2 ] && [ "$(cat "$TMP/err")" = \
    "fusim: error: standard output: cannot write: No space left on device" ]; then
    pass "a summary written to /dev/full exits 2"
  else
    fail "a summary written to /dev/full exits 2" "exit $rc: $(head -c 300 "$TMP/err")"
  fi
  "$FUSIM" --help >/dev/full 2>"$TMP/err"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q "standard output" "$TMP/err"; then
    pass "--help written to /dev/full exits 2"
  else
    fail "--help written to /dev/full exits 2" "exit $rc: $(head -c 300 "$TMP/err")"
  fi
fi

# --- command-line rules ----------------------------------------------------------------------------

for o in --out --schedule-out --schedule-in; do
  expect_error "$o '' is refused" "key '$o': expects a path, not an empty string" \
    "${SA[@]}" "$o" ""
done
expect_error "--arch '' is refused" "key '--arch': expects a path, not an empty string" \
  --arch "" --net "$SMALL_NET"
expect_error "--net '' is refused" "key '--net': expects a path, not an empty string" \
  --arch "$SMALL_ARCH" --net ""
expect_error "--arch twice" "key '--arch': given more than once" "${SA[@]}" --arch "$ARCH"
expect_error "--net twice" "key '--net': given more than once" "${SA[@]}" --net "$NET"
expect_error "--fusion twice" "key '--fusion': given more than once ('none', 'dnnvm')" \
  "${SA[@]}" --fusion none --fusion dnnvm
expect_error "--fusion with --schedule-in" "key '--fusion': does not apply with --schedule-in" \
  "${SA[@]}" --fusion none --schedule-in "$TMP/no_such_prog.yaml"
expect_error "--input-centric with --schedule-in" \
  "key '--input-centric': does not apply with --schedule-in" \
  "${SA[@]}" --input-centric off --schedule-in "$TMP/no_such_prog.yaml"
expect_error "--input-centric takes on or off" "key '--input-centric': expects on or off" \
  "${SA[@]}" --input-centric maybe
cp "$SMALL_NET" "$TMP/net_copy.yaml"
expect_error "--schedule-out is the --net file" "key '--schedule-out': is also the --net input" \
  --arch "$SMALL_ARCH" --net "$TMP/net_copy.yaml" --schedule-out "$TMP/net_copy.yaml"
expect_error "--schedule-out is the --net file by another path" "is also the --net input" \
  --arch "$SMALL_ARCH" --net "$TMP/net_copy.yaml" --schedule-out "$TMP/./small/../net_copy.yaml"
ln "$TMP/net_copy.yaml" "$TMP/net_link.yaml"
expect_error "--schedule-out is a hard link to the --net file" "is also the --net input" \
  --arch "$SMALL_ARCH" --net "$TMP/net_copy.yaml" --schedule-out "$TMP/net_link.yaml"
expect_error "--schedule-out is the --arch file" "is also the --arch input" \
  --arch "$TMP/small/arch.yaml" --net "$SMALL_NET" --schedule-out "$TMP/small/arch.yaml"
if cmp -s "$SMALL_NET" "$TMP/net_copy.yaml"; then
  pass "a refused --schedule-out leaves the input alone"
else
  fail "a refused --schedule-out leaves the input alone" "$TMP/net_copy.yaml changed"
fi
expect_error "--out holds the --arch file" "$TMP/small: key '--out': holds the --arch input" \
  --arch "$TMP/small/arch.yaml" --net "$SMALL_NET" --out "$TMP/small"
expect_error "--schedule-out inside --out" "key '--schedule-out': is inside --out" \
  "${SA[@]}" --out "$TMP/small" --schedule-out "$TMP/small/p.yaml"

# A YAML file with several documents: fusim would read the first and ignore the rest.
{ cat "$SMALL_NET"; echo "---"; cat "$SMALL_NET"; } >"$TMP/two_docs.yaml"
expect_error "a network with two YAML documents" "$TMP/two_docs.yaml:" \
  --arch "$SMALL_ARCH" --net "$TMP/two_docs.yaml"
expect_error "two YAML documents are named" "holds more than one YAML document" \
  --arch "$SMALL_ARCH" --net "$TMP/two_docs.yaml"
printf 'base: %s\n---\nname: other\n' "$SMALL_ARCH" >"$TMP/two_docs_arch.yaml"
{ cat "$TMP/small/schedule.yaml"; echo "---"; } >"$TMP/two_docs_prog.yaml"
expect_error "a program with two YAML documents" "$TMP/two_docs_prog.yaml" \
  "${SA[@]}" --schedule-in "$TMP/two_docs_prog.yaml"
expect_error "an arch with two YAML documents" "$TMP/two_docs_arch.yaml:2: holds more than one YAML document" \
  --arch "$TMP/two_docs_arch.yaml" --net "$SMALL_NET"

# --- --schedule-out / --schedule-in ---------------------------------------------------------------

expect_ok "--schedule-out exits 0" --arch "$ARCH" --net "$NET" --schedule-out "$TMP/prog.yaml"
out_cycles=$(cycles_line "$TMP/out")
if [ -s "$TMP/prog.yaml" ]; then
  pass "--schedule-out writes the program"
else
  fail "--schedule-out writes the program" "missing or empty: $TMP/prog.yaml"
fi
expect_ok "--schedule-in exits 0" --arch "$ARCH" --net "$NET" --schedule-in "$TMP/prog.yaml" \
  --schedule-out "$TMP/prog2.yaml"
in_cycles=$(cycles_line "$TMP/out")
if [ -n "$in_cycles" ] && [ "$in_cycles" = "$out_cycles" ] && [ "$in_cycles" = "$main_cycles" ]
then
  pass "--schedule-in reproduces the cycles line"
else
  fail "--schedule-in reproduces the cycles line" "'$in_cycles' vs '$out_cycles'"
fi
if cmp -s "$TMP/prog.yaml" "$TMP/prog2.yaml"; then
  pass "a replayed program is written back byte-identical"
else
  fail "a replayed program is written back byte-identical" "$TMP/prog.yaml != $TMP/prog2.yaml"
fi

# --- bad inputs ------------------------------------------------------------------------------------

expect_error "missing net file" "$TMP/no_such_net.yaml" \
  --arch "$ARCH" --net "$TMP/no_such_net.yaml"
expect_error "missing arch file" "$TMP/no_such_arch.yaml" \
  --arch "$TMP/no_such_arch.yaml" --net "$NET"
expect_error "net is a directory" "$TMP" --arch "$ARCH" --net "$TMP"

cat >"$TMP/malformed.yaml" <<'EOF'
name: malformed
inputs:
  - name: image
    shape: [3, 16, 16
layers:
  - name: fc
    type: fc
    out_features: 10
EOF
expect_error "malformed YAML" "$TMP/malformed.yaml:" --arch "$ARCH" --net "$TMP/malformed.yaml"

cat >"$TMP/toplist.yaml" <<'EOF'
- name: not_a_map
EOF
expect_error "top level not a mapping" "$TMP/toplist.yaml" --arch "$ARCH" --net "$TMP/toplist.yaml"

cat >"$TMP/unknown_key.yaml" <<'EOF'
name: unknown_key
inputs:
  - name: image
    shape: [3, 16, 16]
layers:
  - name: conv1
    type: conv
    out_channels: 8
    kernel: 3
    paddding: 1
EOF
expect_error "unknown key in the net" "$TMP/unknown_key.yaml:10:" \
  --arch "$ARCH" --net "$TMP/unknown_key.yaml"
expect_error "unknown key names the key" "layers[0].paddding" \
  --arch "$ARCH" --net "$TMP/unknown_key.yaml"

cat >"$TMP/cycle.yaml" <<'EOF'
name: cycle
inputs:
  - name: image
    shape: [3, 16, 16]
layers:
  - name: stem
    type: conv
    out_channels: 8
    kernel: 3
    padding: 1
  - name: a
    type: add
    inputs: [stem, b]
  - name: b
    type: add
    inputs: [stem, a]
EOF
expect_error "cycle in the net" "$TMP/cycle.yaml" --arch "$ARCH" --net "$TMP/cycle.yaml"

cat >"$TMP/bad_arch.yaml" <<EOF
base: $SMALL_ARCH
cores:
  pe_array:
    dataflow: row_stationary
EOF
expect_error "bad value in the arch" "$TMP/bad_arch.yaml:4:" \
  --arch "$TMP/bad_arch.yaml" --net "$SMALL_NET"

cat >"$TMP/missing_base.yaml" <<EOF
base: $TMP/no_such_base.yaml
EOF
expect_error "missing base file" "$TMP/missing_base.yaml:1:" \
  --arch "$TMP/missing_base.yaml" --net "$SMALL_NET"

expect_error "unknown option" "--bogus" --arch "$ARCH" --net "$NET" --bogus
expect_error "missing --net" "--net" --arch "$ARCH"
expect_error "missing --arch" "--arch" --net "$NET"
expect_error "option without its value" "--net" --arch "$ARCH" --net
expect_error "option=VALUE without its value" "--net" --arch "$ARCH" --net=
expect_error "an argument that is no option" "'extra.yaml'" --arch "$ARCH" --net "$NET" extra.yaml
expect_error "-p takes one KEY=VALUE" "'dram.channels=2'" \
  --arch "$ARCH" --net "$NET" -p cores.count=16 dram.channels=2
expect_error "unknown --fusion" "--fusion" --arch "$ARCH" --net "$NET" --fusion magic
expect_error "unknown --fusion=NAME" "unknown algorithm 'magic'" --arch "$ARCH" --net "$NET" \
  --fusion=magic
expect_error "--fusion oracle on too many partitions" "more than 5000000 partitions" \
  --arch "$ARCH" --net "$NET" --fusion oracle
expect_error "unknown --objective" "--objective" --arch "$ARCH" --net "$NET" --objective time
expect_error "--max-group-layers 0" "--max-group-layers" --arch "$ARCH" --net "$NET" \
  --max-group-layers 0
expect_error "--max-group-layers not a number" "'4x'" --arch "$ARCH" --net "$NET" \
  --max-group-layers 4x
expect_error "--judge-best -1" "--judge-best" --arch "$ARCH" --net "$NET" --judge simulation \
  --judge-best -1
expect_error "--judge-best without --judge simulation" "applies only with --judge simulation" \
  --arch "$ARCH" --net "$NET" --judge-best 4
expect_error "--judge-best with a search that ranks no partitions" "not 'online'" \
  --arch "$ARCH" --net "$NET" --judge simulation --judge-best 4 --fusion online
expect_error "-p with an unknown key" "-p cores.colums=4" \
  --arch "$ARCH" --net "$NET" -p cores.colums=4
expect_error "-p without '='" "-p cores.count" --arch "$ARCH" --net "$NET" -p cores.count
expect_error "-p cores.count=0" "-p cores.count=0" --arch "$ARCH" --net "$NET" -p cores.count=0
expect_error "-p with a malformed value" "-p cores.count=[4" \
  --arch "$ARCH" --net "$NET" -p 'cores.count=[4'
expect_error "a buffer too small for any tile" "$SMALL_ARCH" \
  --arch "$SMALL_ARCH" --net "$SMALL_NET" -p cores.buffers.weight.capacity_bytes=16
expect_error "missing --schedule-in file" "$TMP/no_such_prog.yaml" \
  --arch "$ARCH" --net "$NET" --schedule-in "$TMP/no_such_prog.yaml"

# A program for another arch: the core count does not match.
expect_error "program for another core count" "$TMP/prog.yaml" \
  --arch "$ARCH" --net "$NET" -p cores.count=16 --schedule-in "$TMP/prog.yaml"
# A program that names a layer the network does not have.
sed 's/layer: "\([^"]*\)"/layer: "no_such_layer"/' "$TMP/prog.yaml" >"$TMP/prog_bad.yaml"
expect_error "program naming an unknown layer" "$TMP/prog_bad.yaml:" \
  --arch "$ARCH" --net "$NET" --schedule-in "$TMP/prog_bad.yaml"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
