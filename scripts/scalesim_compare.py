#!/usr/bin/env python3
"""fusim against SCALE-Sim v2 on SCALE-Sim's own files: per-layer compute cycles, mapping
efficiency and compute utilisation for each topology in tests/data/scalesim/ with scale.cfg in
each dataflow (os, ws, is).

SCALE-Sim's side is its COMPUTE_REPORT.csv per run. Either run SCALE-Sim here (--scalesim SRC,
a scale-sim-v2 source tree; it runs under Debian's python3 with python3-numpy and python3-tqdm
and takes about an hour for the nine runs on 2 cores), or read reports collected before
(--reports DIR, files named TOPOLOGY_DATAFLOW.csv, as --write-reference stores them in
tests/data/scalesim/reference/, where the CTest test "SCALE-Sim's own reports" reads them).

    /usr/bin/python3 scripts/scalesim_compare.py --fusim build/app/fusim \\
        --reports tests/data/scalesim/reference --docs

SCALE-Sim's compute cycles of a layer are its Total Cycles less its Stall Cycles; fusim's are the
layer's compute_cycles in layers.csv (the PE array's busy cycles). SCALE-Sim reports the index of
a layer's last cycle, one less than the count, so fusim is one cycle above it per layer."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docs_table import ROOT, markdown_table, replace_block  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data", "scalesim")
TOPOLOGIES = [("mobilenet", "conv"), ("Resnet18", "conv"), ("gpt2_mnk", "gemm")]
DATAFLOWS = ["os", "ws", "is"]
COMMAND = ("/usr/bin/python3 scripts/scalesim_compare.py --fusim build/app/fusim "
           "--reports tests/data/scalesim/reference --docs")


def write_cfg(dataflow, directory):
    """scale.cfg with its Dataflow line set to `dataflow`."""
    path = os.path.join(directory, "scale_%s.cfg" % dataflow)
    with open(os.path.join(DATA, "scale.cfg"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        key = line.split(":")[0].split("=")[0].strip().lower()
        out.append("Dataflow : %s" % dataflow if key == "dataflow" else line)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return path


def read_report(path):
    """A COMPUTE_REPORT.csv (SCALE-Sim's layout: ', ' between values, a trailing comma)."""
    df = pd.read_csv(path, skipinitialspace=True)
    df = df.loc[:, [c for c in df.columns if not c.startswith("Unnamed")]]
    df.columns = [c.strip() for c in df.columns]
    return df


def run_scalesim(src, topology, kind, cfg, workdir):
    out = os.path.join(workdir, "scalesim_out")
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=src)
    subprocess.run(["/usr/bin/python3", os.path.join(src, "scalesim", "scale.py"), "-c", cfg, "-t",
                    os.path.join(DATA, topology + ".csv"), "-p", out, "-i", kind],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for dirpath, _, files in os.walk(out):
        if "COMPUTE_REPORT.csv" in files:
            return os.path.join(dirpath, "COMPUTE_REPORT.csv")
    sys.exit("scalesim_compare: SCALE-Sim wrote no COMPUTE_REPORT.csv under " + out)


def run_fusim(fusim, topology, cfg, workdir):
    out = os.path.join(workdir, "fusim_out")
    subprocess.run([fusim, "--arch", cfg, "--net", os.path.join(DATA, topology + ".csv"), "--out",
                    out, "--out-program", "off", "--quiet"], check=True)
    layers = pd.read_csv(os.path.join(out, "layers.csv"))
    report = read_report(os.path.join(out, "COMPUTE_REPORT.csv"))
    return layers, report


def compare(fusim_layers, fusim_report, scalesim_report):
    """One row of the table: network and worst-layer differences."""
    ss_compute = scalesim_report["Total Cycles"] - scalesim_report["Stall Cycles"]
    fu_compute = fusim_layers["compute_cycles"]
    if len(ss_compute) != len(fu_compute):
        sys.exit("scalesim_compare: %d layers in SCALE-Sim's report, %d in fusim's" %
                 (len(ss_compute), len(fu_compute)))
    layer_diff = (fu_compute.values - ss_compute.values) / ss_compute.values * 100
    worst = abs(layer_diff).argmax()
    return {
        "layers": len(ss_compute),
        "SCALE-Sim compute cycles": int(ss_compute.sum()),
        "fusim compute cycles": int(fu_compute.sum()),
        "network %": (fu_compute.sum() - ss_compute.sum()) / ss_compute.sum() * 100,
        "worst layer %": layer_diff[worst],
        "worst layer": fusim_layers["name"].iloc[worst],
        "mapping eff. max abs diff (points)": (fusim_report["Mapping Efficiency %"] -
                                             scalesim_report["Mapping Efficiency %"]).abs().max(),
        "compute util. max abs diff (points)": (fusim_report["Compute Util %"] -
                                              scalesim_report["Compute Util %"]).abs().max(),
        "SCALE-Sim stall cycles": int(scalesim_report["Stall Cycles"].sum()),
        "fusim stall cycles": int(fusim_report["Stall Cycles"].sum()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build", "app", "fusim"))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--scalesim", metavar="SRC", help="a scale-sim-v2 source tree to run")
    src.add_argument("--reports", metavar="DIR", help="TOPOLOGY_DATAFLOW.csv reports to read")
    ap.add_argument("--write-reference", action="store_true",
                    help="copy SCALE-Sim's reports into tests/data/scalesim/reference/")
    ap.add_argument("--docs", action="store_true", help="write the table into docs/importers.md")
    args = ap.parse_args()

    rows, missing = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for topology, kind in TOPOLOGIES:
            for dataflow in DATAFLOWS:
                work = os.path.join(tmp, "%s_%s" % (topology, dataflow))
                os.makedirs(work)
                cfg = write_cfg(dataflow, work)
                name = "%s_%s.csv" % (topology, dataflow)
                if args.scalesim:
                    report = run_scalesim(args.scalesim, topology, kind, cfg, work)
                else:
                    report = os.path.join(args.reports, name)
                    if not os.path.exists(report):
                        missing.append(name)
                        continue
                if args.write_reference:
                    dest = os.path.join(DATA, "reference")
                    os.makedirs(dest, exist_ok=True)
                    if os.path.abspath(report) != os.path.abspath(os.path.join(dest, name)):
                        shutil.copyfile(report, os.path.join(dest, name))
                layers, fusim_report = run_fusim(args.fusim, topology, cfg, work)
                row = {"topology": topology + ".csv", "dataflow": dataflow}
                row.update(compare(layers, fusim_report, read_report(report)))
                rows.append(row)
    table = pd.DataFrame(rows)
    text = markdown_table(table)
    if missing:
        text += "\nNo SCALE-Sim report yet for: " + ", ".join(missing) + ".\n"
    print(text)
    if args.docs:
        replace_block("docs/importers.md", "scalesim-compare", COMMAND, text)


if __name__ == "__main__":
    main()
