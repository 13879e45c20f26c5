#!/usr/bin/env bash
# Installs the Debian packages fusim needs (build + Python scripts).
# Idempotent: when everything is already installed it only runs dpkg-query.
#
#   scripts/install-deps.sh           install what is missing (as root, or through sudo)
#   scripts/install-deps.sh --check   only list what is missing; exit 1 when anything is
#
# When it cannot install (not root and no sudo, or no apt-get: not Debian), it lists the missing
# packages and exits 1 without trying; docs/install.md gives the build without root or Debian.
set -euo pipefail

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  *) echo "install-deps: unknown argument '$1' (expected --check or nothing)" >&2; exit 2 ;;
esac

BUILD_PKGS=(g++ cmake make pkg-config libsystemc-dev libboost-graph-dev libyaml-cpp-dev catch2
            nlohmann-json3-dev libcli11-dev python3-dev python3-pybind11)
# The sanitizer build and the fuzzers: clang 14 and its runtimes (ASan, UBSan, libFuzzer).
SANITIZE_PKGS=(clang-14 libclang-rt-14-dev time)
SCRIPT_PKGS=(python3 python3-yaml python3-numpy python3-matplotlib python3-pandas python3-tqdm python3-onnx
             python3-distributed)

missing=()
for pkg in "${BUILD_PKGS[@]}" "${SANITIZE_PKGS[@]}" "${SCRIPT_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#BUILD_PKGS[@]} build, ${#SANITIZE_PKGS[@]} sanitizer and ${#SCRIPT_PKGS[@]} script packages already installed; nothing to do"
  exit 0
fi

cannot() {
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: $1" >&2
  exit 1
}
if [ "$check_only" -eq 1 ]; then
  cannot "run scripts/install-deps.sh without --check to install them"
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  cannot "not root and sudo is not available; install them as root with:
  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}
or build without root as docs/install.md says"
fi
if ! command -v apt-get >/dev/null 2>&1; then
  cannot "no apt-get here (not Debian?): install the equivalents with your package manager, or build without root as docs/install.md says"
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
