#!/usr/bin/env bash
# scripts/install-deps.sh where it cannot install: a fake dpkg-query reports two packages
# missing, and the PATH holds no sudo and no apt-get (not root: a fake id says uid 1000; then
# root without apt-get). Each time the script must list the missing packages and exit 1
# without trying to install; --check must list them and exit 1 too, and exit 0 when nothing
# is missing.
# Usage: test_install_deps.sh SOURCE_DIR
set -euo pipefail
src="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0

mkdir -p "$tmp/bin"
for tool in grep cat; do ln -s "$(command -v "$tool")" "$tmp/bin/$tool"; done
cat >"$tmp/bin/dpkg-query" <<'FAKE'
#!/bin/bash
# The last argument is the package; FAKE_MISSING lists those reported not installed.
pkg="${!#}"
for m in $FAKE_MISSING; do [ "$m" = "$pkg" ] && exit 1; done
printf 'install ok installed'
FAKE
cat >"$tmp/bin/id" <<'FAKE'
#!/bin/bash
echo "${FAKE_UID:-1000}"
FAKE
chmod +x "$tmp/bin/dpkg-query" "$tmp/bin/id"

expect() {  # NAME WANT_RC WANT_TEXT [ENV...]
  local name="$1" want_rc="$2" want="$3"
  shift 3
  local rc=0
  env -i PATH="$tmp/bin" "$@" /bin/bash "$src/scripts/install-deps.sh" ${ARGS:-} \
    >"$tmp/out" 2>&1 || rc=$?
  if [ "$rc" -ne "$want_rc" ] || ! grep -q -- "$want" "$tmp/out"; then
    echo "FAIL  $name: exit $rc (wanted $want_rc), output:"
    cat "$tmp/out"
    fail=1
  else
    echo "PASS  $name"
  fi
}

missing="libsystemc-dev python3-onnx"
expect "not root, no sudo: lists what is missing" 1 \
  "missing Debian packages: libsystemc-dev python3-onnx" FAKE_MISSING="$missing"
expect "not root, no sudo: says why it cannot install" 1 "sudo is not available" \
  FAKE_MISSING="$missing"
expect "root without apt-get: lists what is missing" 1 \
  "missing Debian packages: libsystemc-dev python3-onnx" FAKE_MISSING="$missing" FAKE_UID=0
expect "root without apt-get: says why" 1 "no apt-get here" FAKE_MISSING="$missing" FAKE_UID=0
ARGS=--check expect "--check lists what is missing" 1 \
  "missing Debian packages: libsystemc-dev python3-onnx" FAKE_MISSING="$missing" FAKE_UID=0
ARGS=--check expect "--check with nothing missing" 0 "nothing to do" FAKE_MISSING=""
exit "$fail"
