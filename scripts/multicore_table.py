#!/usr/bin/python3
"""Multi-core mapping and core-count tuning on configs/mlu.yaml, from real runs (docs/multicore.md).

For each network: the cycles of the layer-by-layer baseline (--fusion none: all cores, fewer for a
layer the estimate says is 5 % faster there), the
best core count per layer without fusion (--fusion none --cores auto), fusion on all cores
without core tuning (--cores 32), the DLFusion tuner (--fusion dlfusion), fusion with a core
count per group (the default search), the same with every feature map through DRAM
(--shared-fmaps off), the same without weight prefetch (--prefetch-weights off), Optimus's
memory-first objective (--objective bytes), the reduced oracle (the default search judged by
simulation, --judge simulation), and the oracle judging only the cost model's 64 best
partitions (--judge-best 64), which stands in for the reduced one where that does not finish;
speed-ups over the baseline, the tuner's and the default's gap to the oracle, how far the
default is from the roofline bound, and the search times (the summary's). A second table gives
how close the cost model's cycle estimate comes to the simulated cycles, group by group, over
every run made.

    /usr/bin/python3 scripts/multicore_table.py [--fusim build/app/fusim] [--docs] [--nets a,b]
        [--oracle-seconds S]

--docs replaces the tables between the multicore markers of docs/multicore.md. The oracle
simulates every candidate group on every core count: about an hour for the seven networks on
two busy cores, most of it GoogLeNet's. --reuse-oracle takes the oracle's cycles and search
times from the tables already in docs/multicore.md instead, after checking that the default
search still gives the cycles those tables give for every network (the oracle depends on the
simulator, the cost model's bytes and the searches' candidates, not on the other columns, e.g.
the DLFusion tuner's); the text then says so, and the accuracy table has no oracle row.
"""

import argparse
import json
import os
import re
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
    ("dlfusion", ["--fusion", "dlfusion"]),
    ("fused, cores auto", []),
    ("fused, fmaps via DRAM", ["--shared-fmaps", "off"]),
    ("fused, no weight prefetch", ["--prefetch-weights", "off"]),
    ("fused, objective bytes", ["--objective", "bytes"]),
    ("oracle", ["--judge", "simulation"]),
    ("oracle, best 64", ["--judge", "simulation", "--judge-best", "64"]),
]
SEARCH_TIME = re.compile(r"(?:evaluated|simulated) in ([0-9.]+) s\)")


def run(fusim, net, extra, timeout=None):
    """report.json, the wall time of the whole run and the search's own time (the summary's);
    None when the run took longer than `timeout` seconds."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        try:
            p = subprocess.run([fusim, "--arch", os.path.join(ROOT, "configs/mlu.yaml"),
                                "--net", os.path.join(ROOT, "workloads", net + ".yaml"),
                                "--out", os.path.join(out, "r")] + extra,
                               check=True, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        wall = time.perf_counter() - start
        m = SEARCH_TIME.search(p.stdout)
        with open(os.path.join(out, "r", "report.json")) as f:
            return json.load(f), wall, float(m.group(1)) if m else 0.0


def previous_tables():
    """The first two tables of the multicore block of docs/multicore.md, as DataFrames."""
    with open(os.path.join(ROOT, "docs/multicore.md"), encoding="utf-8") as f:
        block = f.read().split("<!-- multicore:begin", 1)[1].split("<!-- multicore:end", 1)[0]
    tables, current = [], []
    for line in block.splitlines() + [""]:
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif current:
            tables.append(pd.DataFrame(current[2:], columns=current[0]))
            current = []
    return tables[0].set_index("network"), tables[1].set_index("network")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build/app/fusim"))
    ap.add_argument("--docs", action="store_true")
    ap.add_argument("--nets", default=",".join(NETS), help="comma-separated workload names")
    ap.add_argument("--reuse-oracle", action="store_true",
                    help="the oracle's figures from docs/multicore.md (checked, see above)")
    ap.add_argument("--oracle-seconds", type=float, default=None,
                    help="stop an oracle run after this many seconds (its cells are then -)")
    a = ap.parse_args()
    unfinished, stand_in, agree = [], [], []
    if a.reuse_oracle:
        old_cycles, old_compare = previous_tables()
    rows, ratios = [], []
    for net in a.nets.split(","):
        row = {"network": net}
        for name, extra in RUNS:
            if name == "oracle" and a.reuse_oracle:
                if int(old_cycles.loc[net, "fused, cores auto"]) != row["fused, cores auto"]:
                    sys.exit("--reuse-oracle: %s's default search gives %d cycles, the tables "
                             "%s: the oracle must run again" %
                             (net, row["fused, cores auto"], old_cycles.loc[net, "fused, cores auto"]))
                old = old_cycles.loc[net, "oracle"]
                if old == "-" or old.endswith("*"):  # it did not finish last time either
                    unfinished.append(net)
                    row["oracle"] = row["oracle search s"] = float("nan")
                    continue
                row["oracle"] = int(old_cycles.loc[net, "oracle"])
                row["oracle search s"] = float(old_compare.loc[net, "oracle search s"])
                continue
            got = run(a.fusim, net, extra, a.oracle_seconds if name == "oracle" else None)
            if got is None:
                unfinished.append(net)
                row["oracle"] = row["oracle search s"] = float("nan")
                continue
            rep, wall, search = got
            row[name] = rep["cycles"]
            if name == "fused, cores auto":
                row["x of roofline"] = rep["x_of_roofline"]
                row["wall s"] = wall
                row["search s"] = search
            elif name in ("dlfusion", "oracle", "oracle, best 64"):
                row[name + " search s"] = search
            for g in rep["groups"]:
                if g["predicted_cycles"] == 0:  # a concat assembled in place: no kernel
                    continue
                ratios.append({"run": name, "network": net,
                               "ratio": g["cycles"] / g["predicted_cycles"]})
        # Where the oracle did not finish, the one over the best 64 partitions stands in.
        if pd.isna(row["oracle"]):
            row["oracle"] = row["oracle, best 64"]
            row["oracle search s"] = row["oracle, best 64 search s"]
            stand_in.append(net)
        else:
            agree.append(row["oracle"] == row["oracle, best 64"])
        base = row["baseline"]
        row["speed-up none auto"] = base / row["none, cores auto"]
        row["speed-up fused auto"] = base / row["fused, cores auto"]
        row["speed-up dlfusion"] = base / row["dlfusion"]
        row["speed-up oracle"] = base / row["oracle"]
        # How much slower than the oracle, in per cent (negative: faster, see docs).
        row["dlfusion vs oracle %"] = 100.0 * (row["dlfusion"] / row["oracle"] - 1)
        row["default vs oracle %"] = 100.0 * (row["fused, cores auto"] / row["oracle"] - 1)
        rows.append(row)
        print(net, "done", file=sys.stderr)
    df = pd.DataFrame(rows)
    # Whole cycles; a stand-in marked *.
    df["oracle"] = [("%d *" if n in stand_in else "%d") % c
                    for n, c in zip(df["network"], df["oracle"])]
    df["oracle, best 64"] = df["oracle, best 64"].astype("Int64")
    cycles = df[["network", "baseline", "none, cores auto", "fused, 32 cores", "dlfusion",
                 "fused, cores auto", "fused, fmaps via DRAM", "fused, no weight prefetch",
                 "fused, objective bytes",
                 "oracle", "oracle, best 64", "x of roofline"]]
    compare = df[["network", "speed-up none auto", "speed-up dlfusion", "speed-up fused auto",
                  "speed-up oracle", "dlfusion vs oracle %", "default vs oracle %",
                  "dlfusion search s", "search s", "oracle search s", "wall s"]].rename(
        columns={"search s": "default search s", "wall s": "default wall s"})
    r = pd.DataFrame(ratios)
    acc = r.groupby("run", sort=False)["ratio"].agg(
        groups="count", median="median",
        p10=lambda s: s.quantile(0.1), p90=lambda s: s.quantile(0.9),
        within_10pct=lambda s: ((s - 1).abs() <= 0.1).mean()).reset_index()
    reused = ("The oracle's cycles and search times are those of the previous full run "
              "(`--reuse-oracle`: the default search's cycles are unchanged since).\n\n"
              if a.reuse_oracle else "")
    if unfinished:
        limit = ("%g s (`--oracle-seconds`)" % a.oracle_seconds if a.oracle_seconds
                 else "the previous full run's time limit")
        reused += ("The oracle did not finish within %s on %s: its cells (marked *) are the "
                   "oracle over the cost model's 64 best partitions (`--judge-best 64`), which "
                   "gives the oracle's cycles on %d of the %d networks where both finish.\n\n" %
                   (limit, ", ".join(unfinished), sum(agree), len(agree)))
    elif agree:
        reused += ("The oracle over the cost model's 64 best partitions (`--judge-best 64`) gives "
                   "the oracle's cycles on %d of %d networks.\n\n" % (sum(agree), len(agree)))
    text = (reused + "Cycles on configs/mlu.yaml (batch 1, detailed DRAM; fmaps via DRAM: "
            "`--shared-fmaps off`; no weight prefetch: `--prefetch-weights off`):\n\n" +
            markdown_table(cycles, 2) +
            "\nSpeed-ups over the baseline, gaps to the oracle and search times (seconds, as "
            "the summary prints them; wall: the whole default run):\n\n" +
            markdown_table(compare, 2) +
            "\nSimulated over predicted cycles per group (`cycles` / `predicted_cycles` in "
            "report.json), over the runs above:\n\n" + markdown_table(acc, 2))
    print(text)
    if a.docs:
        replace_block("docs/multicore.md", "multicore", "scripts/multicore_table.py --docs", text)


if __name__ == "__main__":
    main()
