#!/usr/bin/python3
"""The golden table: whole-network cycles and off-chip bytes of every shipped workload x config.

Every workloads/*.yaml runs on every configs/*.yaml under the default search and objective
(no --fusion, no --objective), and report.json's `cycles`, `offchip_read_bytes` and
`offchip_write_bytes` are kept in tests/data/golden_cycles.csv. The CTest test `golden_cycles`
checks the table, so that a change of timing or traffic cannot pass unnoticed:

    /usr/bin/python3 scripts/golden_cycles.py --fusim build/app/fusim --check tests/data/golden_cycles.csv

prints every figure that changed (old, new, difference) and exits 1 when any did, or when a
workload or config was added or removed. A change that is meant to move the figures regenerates
the table and commits it with the change, so that the reviewed diff shows what moved:

    /usr/bin/python3 scripts/golden_cycles.py --fusim build/app/fusim --write tests/data/golden_cycles.csv

Standard library only.
"""

import argparse
import concurrent.futures
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURES = ["cycles", "offchip_read_bytes", "offchip_write_bytes"]
KEYS = ["workload", "config"]
HEADER = """\
# Golden whole-network figures: every workloads/*.yaml on every configs/*.yaml under the default
# search and objective, from report.json. Checked by the CTest test golden_cycles; a change that
# is meant to move them regenerates this file and the diff is reviewed with the change:
#   /usr/bin/python3 scripts/golden_cycles.py --fusim build/app/fusim --write tests/data/golden_cycles.csv
"""


def shipped(folder):
    return sorted(f for f in os.listdir(os.path.join(REPO, folder)) if f.endswith(".yaml"))


def run_one(fusim, workload, config, tmp):
    """report.json's figures for one pair, or an error string."""
    out = os.path.join(tmp, f"{workload}@{config}")
    cmd = [fusim, "--arch", os.path.join("configs", config), "--net",
           os.path.join("workloads", workload), "--quiet", "--out", out, "--out-program", "off"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        return f"exit {proc.returncode}: {proc.stderr.strip()}"
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    # Each run's outputs go as soon as they are read, and its program is not written (with them
    # all 132 runs' outputs take 810 MB: vit_b16's program on archon.yaml alone is 149 MB).
    shutil.rmtree(out)
    return {k: int(report[k]) for k in FIGURES}


def measure(fusim, jobs):
    """{(workload, config): figures} over every shipped pair; exits on a failed run."""
    pairs = [(w, c) for w in shipped("workloads") for c in shipped("configs")]
    with tempfile.TemporaryDirectory(prefix="fusim_golden.") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            results = dict(zip(pairs, pool.map(lambda p: run_one(fusim, *p, tmp), pairs)))
    failed = [f"{w} on {c}: {r}" for (w, c), r in results.items() if isinstance(r, str)]
    if failed:
        sys.exit("golden_cycles: runs failed:\n  " + "\n  ".join(failed))
    return results


def table_text(results):
    out = io.StringIO()
    out.write(HEADER)
    w = csv.writer(out, lineterminator="\n")
    w.writerow(KEYS + FIGURES)
    for (workload, config), fig in sorted(results.items()):
        w.writerow([workload, config] + [fig[k] for k in FIGURES])
    return out.getvalue()


def read_table(path):
    with open(path, encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {(r["workload"], r["config"]): {k: int(r[k]) for k in FIGURES} for r in rows}


def differences(golden, now):
    """One line per figure that changed, per pair added or removed."""
    lines = []
    for pair in sorted(set(golden) | set(now)):
        name = f"{pair[0]} on {pair[1]}"
        if pair not in now:
            lines.append(f"{name}: in the table, but no longer shipped")
        elif pair not in golden:
            lines.append(f"{name}: not in the table (new workload or config?)")
        else:
            for k in FIGURES:
                old, new = golden[pair][k], now[pair][k]
                if old != new:
                    rel = f", {100.0 * (new - old) / old:+.3g} %" if old else ""
                    lines.append(f"{name}: {k} {old} -> {new} ({new - old:+d}{rel})")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fusim", default=os.path.join(REPO, "build", "app", "fusim"))
    ap.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="CSV", help="measure and write the table")
    mode.add_argument("--check", metavar="CSV", help="measure and compare with the table")
    args = ap.parse_args()
    fusim = os.path.abspath(args.fusim)

    now = measure(fusim, args.jobs)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(table_text(now))
        print(f"golden_cycles: wrote {len(now)} rows to {args.write}")
        return 0
    lines = differences(read_table(args.check), now)
    if lines:
        print(f"golden_cycles: {len(lines)} difference(s) from {args.check}:")
        for line in lines:
            print("  " + line)
        print("If the change is intended, regenerate the table and review its diff:\n"
              "  /usr/bin/python3 scripts/golden_cycles.py --fusim build/app/fusim "
              "--write tests/data/golden_cycles.csv")
        return 1
    print(f"golden_cycles: all {len(now)} workload x config pairs match {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
