#!/usr/bin/python3
"""Throughput of scripts/sweep.py (docs/sweeps.md): points per second, and the runner's own cost.

    /usr/bin/python3 bench/sweep_bench.py [--runs 3] [--fusim PATH]

Each case run --runs times (a sweep into a fresh directory), the median wall time quoted:
  - configs/sweeps/mlu_cores.yaml (MobileNetV2 on mlu.yaml, 48 points) with -j 1, -j 2,
    --in-process -j 2 and --dask-local 2 (the cluster's start included);
  - mlu_cores's grid x kernel_launch_cycles 1000..4000 (192 points), -j 2 and --in-process -j 2;
  - a sweep of 200 tiny_chain points on mlu.yaml (cores.count 1..5 x kernel_launch_cycles
    1000..1019 x none, optimal), -j 1;
  - the points of both, fusim alone, run one after the other by this script: the tiny sweep's
    time over fusim alone, over 200, is the runner's overhead per point;
  - the tiny sweep re-run with every point done (nothing to run): the runner's fixed cost
    (Python, pandas, the spec, the table).
A measurement of the machine it runs on; run it on an otherwise idle machine.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import sweep  # noqa: E402
from docs_table import markdown_table  # noqa: E402


def wall(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fusim", default=sweep.default_fusim())
    args = ap.parse_args()
    fusim = os.path.abspath(args.fusim)
    runner = [sys.executable, os.path.join(ROOT, "scripts", "sweep.py")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tiny = os.path.join(tmp, "tiny.yaml")
        with open(tiny, "w", encoding="utf-8") as f:
            f.write("arch: %s\nnets: [%s]\nfusion: [none, optimal]\nvary:\n"
                    "  cores.count: [1, 2, 3, 4, 5]\n  kernel_launch_cycles: [%s]\n"
                    % (os.path.join(ROOT, "configs", "mlu.yaml"),
                       os.path.join(ROOT, "workloads", "tiny_chain.yaml"),
                       ", ".join(str(c) for c in range(1000, 1020))))
        mlu = os.path.join(ROOT, "configs", "sweeps", "mlu_cores.yaml")
        # The same grid four times over (kernel_launch_cycles 1000 to 4000): 192 points, where
        # the runner's start weighs less.
        long = os.path.join(tmp, "mlu_cores_x4.yaml")
        with open(long, "w", encoding="utf-8") as f:
            f.write("arch: %s\nnets: [%s]\nfusion: [none, optimal]\nvary:\n"
                    "  cores.count: [1, 2, 4, 8, 16, 32]\n  dram.channels: [1, 2, 4, 8]\n"
                    "  kernel_launch_cycles: [1000, 2000, 3000, 4000]\n"
                    % (os.path.join(ROOT, "configs", "mlu.yaml"),
                       os.path.join(ROOT, "workloads", "mobilenetv2.yaml")))
        cases = [("mobilenetv2 mlu_cores, -j 1", mlu, ["-j", "1"]),
                 ("mobilenetv2 mlu_cores, -j 2", mlu, ["-j", "2"]),
                 ("mobilenetv2 mlu_cores, --in-process -j 2", mlu, ["--in-process", "-j", "2"]),
                 ("mobilenetv2 mlu_cores, --dask-local 2", mlu, ["--dask-local", "2"]),
                 ("mobilenetv2 mlu_cores x 4 launch cycles, -j 2", long, ["-j", "2"]),
                 ("mobilenetv2 mlu_cores x 4 launch cycles, --in-process -j 2", long,
                  ["--in-process", "-j", "2"]),
                 ("tiny_chain x 200, -j 1", tiny, ["-j", "1"])]
        for c, (name, spec, extra) in enumerate(cases):
            n = len(sweep.load_spec(spec)["points"])
            times = []
            for i in range(args.runs):
                out = os.path.join(tmp, "out-%d-%d" % (c, i))
                times.append(wall(runner + [spec, "--out", out, "--fusim", fusim] + extra))
            t = statistics.median(times)
            rows.append({"what": "sweep.py: " + name, "points": n, "median s": t,
                         "points/s": n / t, "ms/point": 1000 * t / n})
        # The same points, fusim alone, one after the other.
        for name, spec in (("mobilenetv2 mlu_cores", mlu), ("tiny_chain x 200", tiny)):
            points = sweep.load_spec(spec)["points"]
            times = []
            for i in range(args.runs):
                t0 = time.perf_counter()
                for p in points:
                    # As sweep.py runs a point: without the program in --out.
                    subprocess.run([fusim] + p["args"] +
                                   ["--out", os.path.join(tmp, "alone", p["id"]),
                                    "--out-program", "off"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   check=True)
                times.append(time.perf_counter() - t0)
            t = statistics.median(times)
            rows.append({"what": "fusim alone: %s, one after the other" % name,
                         "points": len(points), "median s": t, "points/s": len(points) / t,
                         "ms/point": 1000 * t / len(points)})
        # Nothing to run: every point of the last tiny sweep is ok already.
        done = os.path.join(tmp, "out-%d-0" % (len(cases) - 1))
        t = statistics.median(wall(runner + [tiny, "--out", done, "--fusim", fusim])
                              for _ in range(args.runs))
        rows.append({"what": "sweep.py: tiny_chain x 200 re-run, every point done",
                     "points": 0, "median s": t, "points/s": float("nan"),
                     "ms/point": float("nan")})
    df = pd.DataFrame(rows)
    print(re.sub(r"\| nan(?= \|)", "|  ", markdown_table(df, decimals=2)))
    sweep_tiny = df.loc[df["what"] == "sweep.py: tiny_chain x 200, -j 1", "median s"].iloc[0]
    alone = df.loc[df["what"] == "fusim alone: tiny_chain x 200, one after the other",
                   "median s"].iloc[0]
    fixed = df["median s"].iloc[-1]
    print("\nrunner: %.2f s fixed per run (nothing to do); %.1f ms per point over fusim alone "
          "(the tiny sweep's %.2f s, less the fixed cost, against fusim alone's %.2f s, over 200)"
          % (fixed, 1000 * (sweep_tiny - fixed - alone) / 200, sweep_tiny, alone))


if __name__ == "__main__":
    main()
