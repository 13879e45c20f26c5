#!/usr/bin/python3
"""The energy table of docs/energy.md: every shipped CNN on every shipped config, layer by layer
(--fusion none) against the default search (optimal), with each run's energy by component as
fusim reports it in report.json, and the energy-efficiency gain of fusion (none's energy over
optimal's), to set beside Optimus's 1.86x-3.66x.

    scripts/build.sh && /usr/bin/python3 scripts/energy_table.py [--docs] [--nets a,b] [-j N]

With --docs the table replaces the block between the energy-table markers in docs/energy.md.
Runs in parallel (-j, default 2), with a progress bar (tqdm). Needs build/app/fusim.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

import pandas as pd
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docs_table import ROOT, markdown_table, replace_block  # noqa: E402

FUSIM = os.path.join(ROOT, "build", "app", "fusim")
NETS = ["alexnet", "vgg16", "resnet50", "googlenet", "mobilenetv1", "mobilenetv2", "squeezenet"]
CONFIGS = ["mlu", "eyeriss", "systolic32"]
SEARCHES = ["none", "optimal"]
# report.json's energy fields, in the table's order and with its column names.
PARTS = [("pe_array_pj", "PE"), ("registers_pj", "PE regs"), ("vector_unit_pj", "vector"),
         ("input_buffer_pj", "in buf"), ("weight_buffer_pj", "wt buf"),
         ("output_buffer_pj", "out buf"), ("dram_pj", "DRAM")]


def run(net, config, search, tmp):
    out = os.path.join(tmp, "%s@%s@%s" % (net, config, search))
    cmd = [FUSIM, "--arch", os.path.join(ROOT, "configs", config + ".yaml"),
           "--net", os.path.join(ROOT, "workloads", net + ".yaml"),
           "--fusion", search, "--quiet", "--out", out, "--out-program", "off"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        r = json.load(f)
    e = r["energy"]
    row = {"network": net, "config": config, "search": search, "cycles": r["cycles"],
           "DRAM MB": (r["offchip_read_bytes"] + r["offchip_write_bytes"]) / 1e6,
           "energy uJ": e["total_pj"] / 1e6, "DRAM energy from": e["dram_from"]}
    for key, name in PARTS:
        row[name + " %"] = 100.0 * e[key] / e["total_pj"] if e["total_pj"] > 0 else 0.0
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", action="store_true", help="rewrite the table in docs/energy.md")
    ap.add_argument("--nets", default=",".join(NETS), help="comma-separated workload names")
    ap.add_argument("-j", type=int, default=2, help="runs at once")
    args = ap.parse_args()
    if not os.access(FUSIM, os.X_OK):
        sys.exit("energy_table: %s is missing: run scripts/build.sh first" % FUSIM)
    jobs = [(n, c, s) for n in args.nets.split(",") for c in CONFIGS for s in SEARCHES]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as pool:
        futures = [pool.submit(run, n, c, s, tmp) for n, c, s in jobs]
        for f in tqdm(concurrent.futures.as_completed(futures), total=len(futures),
                      desc="runs", file=sys.stderr):
            rows.append(f.result())
    df = pd.DataFrame(rows)
    order = {n: i for i, n in enumerate(NETS)}
    df["_n"] = df["network"].map(order)
    df["_c"] = df["config"].map({c: i for i, c in enumerate(CONFIGS)})
    df = df.sort_values(["_n", "_c", "search"]).drop(columns=["_n", "_c"])
    # Fusion's energy-efficiency gain: none's energy over optimal's, per network and config.
    piv = df.pivot_table(index=["network", "config"], columns="search", values="energy uJ")
    gain = (piv["none"] / piv["optimal"]).rename("none / optimal energy")
    df = df.merge(gain.reset_index(), on=["network", "config"])
    df.loc[df["search"] != "optimal", "none / optimal energy"] = float("nan")
    text = markdown_table(df.round(2), decimals=2).replace("| nan |", "|  |")
    print(text)
    print("fusion's energy-efficiency gain (none / optimal): median %.2fx, range %.2fx-%.2fx "
          "over %d network x config pairs" % (gain.median(), gain.min(), gain.max(), len(gain)))
    if args.docs:
        summary = ("\nFusion's energy-efficiency gain (none's energy over optimal's): median "
                   "%.2fx, from %.2fx to %.2fx over the %d network x config pairs.\n"
                   % (gain.median(), gain.min(), gain.max(), len(gain)))
        replace_block("docs/energy.md", "energy-table",
                      "/usr/bin/python3 scripts/energy_table.py --docs", text + summary)


if __name__ == "__main__":
    main()
