#!/usr/bin/env bash
# Installs dependencies, builds, then simulates MobileNetV2 on the MLU config.
# Extra arguments are passed to fusim, e.g.  scripts/run-example.sh -p cores.count=16
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/build.sh --target fusim
exec "${FUSIM_BUILD_DIR:-build}/app/fusim" --arch configs/mlu.yaml --net workloads/mobilenetv2.yaml \
  --out out/mobilenetv2-mlu "$@"
