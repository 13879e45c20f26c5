#!/usr/bin/python3
"""Multi-core mapping and core-count tuning on configs/mlu.yaml, from real runs (docs/multicore.md).

For each network: the cycles of the layer-by-layer baseline on all cores (--fusion none), the
best core count per layer without fusion (--fusion none --cores auto), fusion on all cores
without core tuning (--cores 32), fusion with a core count per group (the default search), and
Optimus's memory-first objective (--objective bytes); speed-ups over the baseline, how far the
default is from the roofline bound, and its wall time. A second table gives how close the cost
model's cycle estimate comes to the simulated cycles, group by group, over every run made.

    /usr/bin/python3 scripts/multicore_table.py [--fusim build/app/fusim] [--docs]

--docs replaces the tables between the multicore markers of docs/multicore.md.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import pandas as pd

from docs_table import ROOT, markdown_table, replace_block

NETS = ["mobilenetv2", "resnet50", "vgg16", "alexnet", "googlenet", "mobilenetv1", "squeezenet"]
RUNS = [  # column, extra options
    ("baseline", ["--fusion", "none"]),
    ("none, cores auto", ["--fusion", "none", "--cores", "auto"]),
    ("fused, 32 cores", ["--cores", "32"]),
    ("fused, cores auto", []),
    ("fused, objective bytes", ["--objective", "bytes"]),
]


def run(fusim, net, extra):
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([fusim, "--arch", os.path.join(ROOT, "configs/mlu.yaml"),
                        "--net", os.path.join(ROOT, "workloads", net + ".yaml"),
                        "--quiet", "--out", os.path.join(out, "r")] + extra,
                       check=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        with open(os.path.join(out, "r", "report.json")) as f:
            return json.load(f), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build/app/fusim"))
    ap.add_argument("--docs", action="store_true")
    a = ap.parse_args()
    rows, ratios = [], []
    for net in NETS:
        row = {"network": net}
        for name, extra in RUNS:
            rep, wall = run(a.fusim, net, extra)
            row[name] = rep["cycles"]
            if name == "fused, cores auto":
                row["x of roofline"] = rep["x_of_roofline"]
                row["wall s"] = wall
            for g in rep["groups"]:
                if g["predicted_cycles"] == 0:  # a concat assembled in place: no kernel
                    continue
                ratios.append({"run": name, "network": net,
                               "ratio": g["cycles"] / g["predicted_cycles"]})
        base = row["baseline"]
        row["speed-up none auto"] = base / row["none, cores auto"]
        row["speed-up fused auto"] = base / row["fused, cores auto"]
        rows.append(row)
        print(net, "done", file=sys.stderr)
    df = pd.DataFrame(rows)[["network", "baseline", "none, cores auto", "fused, 32 cores",
                             "fused, cores auto", "fused, objective bytes", "speed-up none auto",
                             "speed-up fused auto", "x of roofline", "wall s"]]
    r = pd.DataFrame(ratios)
    acc = r.groupby("run", sort=False)["ratio"].agg(
        groups="count", median="median",
        p10=lambda s: s.quantile(0.1), p90=lambda s: s.quantile(0.9),
        within_10pct=lambda s: ((s - 1).abs() <= 0.1).mean()).reset_index()
    text = ("Cycles on configs/mlu.yaml (batch 1, detailed DRAM):\n\n" + markdown_table(df, 2) +
            "\nSimulated over predicted cycles per group (`cycles` / `predicted_cycles` in "
            "report.json), over the runs above:\n\n" + markdown_table(acc, 2))
    print(text)
    if a.docs:
        replace_block("docs/multicore.md", "multicore", "scripts/multicore_table.py --docs", text)


if __name__ == "__main__":
    main()
