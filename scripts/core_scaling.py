#!/usr/bin/python3
"""Cycles against the core count on configs/mlu.yaml, from real runs (docs/multicore.md,
"More cores").

For every shipped network: the cycles of the layer-by-layer baseline (--fusion none) and of the
default search with `-p cores.count=N` for each N, the largest step up from one count to the
next (a run that gets slower with more cores), and the same for the baseline without the
weight prefetch (--prefetch-weights off), whose plan moves with the groups' times.

    /usr/bin/python3 scripts/core_scaling.py [--fusim build/app/fusim] [--docs] [--nets a,b]
        [--counts 8,16,32,64,128] [--block core-scaling] [-j 2]

--docs replaces the table between the markers of docs/multicore.md named by --block (the
powers of two in "core-scaling"; the counts around 32, a prime among them, in
"core-scaling-between", with --counts 24,28,30,31,32 --block core-scaling-between).
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from tqdm import tqdm

from docs_table import ROOT, markdown_table, replace_block

RUNS = [  # name, options
    ("none", ["--fusion", "none"]),
    ("none, no prefetch", ["--fusion", "none", "--prefetch-weights", "off"]),
    ("optimal", []),
]


def cycles(fusim, net, count, extra):
    with tempfile.TemporaryDirectory() as out:
        cmd = [fusim, "--arch", os.path.join(ROOT, "configs", "mlu.yaml"), "--net", net,
               "-p", "cores.count=%d" % count, "--out", out, "--out-program", "off",
               "--quiet"] + extra
        r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            sys.exit("core_scaling: %s failed: %s" % (" ".join(cmd), r.stderr.strip()))
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            return json.load(f)["cycles"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build", "app", "fusim"))
    ap.add_argument("--docs", action="store_true", help="write the table into docs/multicore.md")
    ap.add_argument("--nets", help="comma-separated workload names (default: every shipped one)")
    ap.add_argument("--counts", default="8,16,32,64,128")
    ap.add_argument("--block", default="core-scaling",
                    help="with --docs, the markers of docs/multicore.md to write between")
    ap.add_argument("-j", type=int, default=2, help="runs at once")
    a = ap.parse_args()
    counts = [int(c) for c in a.counts.split(",")]
    if a.nets:
        nets = [os.path.join(ROOT, "workloads", n + ".yaml") for n in a.nets.split(",")]
    else:
        nets = sorted(glob.glob(os.path.join(ROOT, "workloads", "*.yaml")))
    jobs = [(net, name, extra, c) for net in nets for name, extra in RUNS for c in counts]
    with ThreadPoolExecutor(a.j) as pool:
        got = list(tqdm(pool.map(lambda j: cycles(a.fusim, j[0], j[3], j[2]), jobs),
                        total=len(jobs), desc="core_scaling", file=sys.stderr))
    by = {(j[0], j[1], j[3]): c for j, c in zip(jobs, got)}
    rows = []
    for net in nets:
        for name, _ in RUNS:
            row = {"network": os.path.basename(net)[:-5], "search": name}
            values = [by[(net, name, c)] for c in counts]
            for c, v in zip(counts, values):
                row["%d cores" % c] = v
            steps = [values[i + 1] / values[i] - 1 for i in range(len(values) - 1)]
            worst = max(range(len(steps)), key=lambda i: steps[i])
            row["largest step up"] = ("%+.2f %% (%d -> %d)" % (100 * steps[worst], counts[worst],
                                                                counts[worst + 1])
                                      if steps[worst] > 0 else "none")
            row["_step"] = steps[worst]
            rows.append(row)
    df = pd.DataFrame(rows).drop(columns=["_step"])
    lines = []
    for name, _ in RUNS:
        mine = [r for r in rows if r["search"] == name]
        ups = sorted((r for r in mine if r["_step"] > 0), key=lambda r: -r["_step"])
        big = sum(1 for r in ups if r["_step"] > 0.005)
        worst = ("; the largest %s on %s" % (ups[0]["largest step up"], ups[0]["network"])
                 if ups else "")
        lines.append("- %s: slower with more cores on %d of %d networks, by more than 0.5 %% on "
                     "%d%s." % (name, len(ups), len(mine), big, worst))
    text = ("Cycles on configs/mlu.yaml with `-p cores.count=N` (batch 1; `none`: the "
            "layer-by-layer baseline; `optimal`: the default search):\n\n" + markdown_table(df) +
            "\n" + "\n".join(lines) + "\n")
    if a.docs:
        command = "/usr/bin/python3 scripts/core_scaling.py --docs"
        if a.block != "core-scaling":
            command += " --counts %s --block %s" % (a.counts, a.block)
        replace_block("docs/multicore.md", a.block, command, text)
    else:
        print(text)


if __name__ == "__main__":
    main()
