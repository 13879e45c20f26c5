#!/usr/bin/python3
"""The layer-by-layer baseline uses the machine: on configs/mlu.yaml, `--fusion none` with
`--cores` 1, 2, 4, ..., 32 takes fewer cycles at every doubling, on networks whose time is the
weights' DRAM stream (VGG-16, AlexNet: every core streams its slice of fc6 and fc7, and the
slices of a power-of-two matrix meet in the DRAM's banks unless they are hashed,
docs/dram.md), on ResNet-50 and on MobileNetV2. Before `dram.address_hash`, VGG-16's fc7 on 32
cores took over twice its time on one core, and AlexNet's 8 cores were slower than its 4.

Usage: test_baseline_scaling.py FUSIM ROOT (ctest passes both). Standard library only."""

import json
import os
import subprocess
import sys
import tempfile

NETWORKS = ("vgg16", "alexnet", "resnet50", "mobilenetv2")
CORES = (1, 2, 4, 8, 16, 32)


def cycles(fusim, root, net, cores, tmp):
    out = os.path.join(tmp, "%s_%d" % (net, cores))
    p = subprocess.run([fusim, "--arch", os.path.join(root, "configs", "mlu.yaml"),
                        "--net", os.path.join(root, "workloads", net + ".yaml"),
                        "--fusion", "none", "--cores", str(cores), "--quiet", "--out", out],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        sys.exit("%s on %d cores: exit %d: %s" % (net, cores, p.returncode, p.stderr.strip()))
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)["cycles"]


def main():
    fusim, root = sys.argv[1], sys.argv[2]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for net in NETWORKS:
            row = [cycles(fusim, root, net, c, tmp) for c in CORES]
            print("%-12s %s" % (net, " ".join("%d:%d" % cc for cc in zip(CORES, row))))
            for (c0, a), (c1, b) in zip(zip(CORES, row), zip(CORES[1:], row[1:])):
                if b >= a:
                    failures.append("%s: %d cycles on %d cores, %d on %d" % (net, b, c1, a, c0))
    for f in failures:
        print("FAIL " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
