#!/usr/bin/python3
"""Benchmark fusim on big batches and on every search (issue 17, section 4).

Two targets, each measured as the median wall time of --runs runs and the peak resident memory
(ru_maxrss via wait4) of the largest run:

  batch:  MobileNetV2 at batch 64 on configs/mlu.yaml with the detailed DRAM model, under each
          search of BATCH_SEARCHES: under 5 s and 300 MB each.
  all:    every workloads/*.yaml x configs/*.yaml x search fusim lists (--help) at batch 1:
          under 1 s each. A search that refuses a network (oracle on large ones) is listed as
          refused, not timed.

The batch is set by writing a copy of the network with `batch: N` (fusim has no batch option).
A run slower than --max-seconds is not repeated (its one time is the median). With --docs the
table replaces the one between the batch-bench markers in docs/testing.md. Needs a Release
build (scripts/build.sh); pinned to one core with taskset when it exists, like bench/bench.py.

    scripts/build.sh && /usr/bin/python3 bench/batch_bench.py [--runs 3] [--docs]

Exit status: 0 when every run succeeded or was refused (a missed target is reported, not an
error), 1 when a run failed or the build is missing. Standard library only.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from bench import REPO, build_type, pin_prefix, run_once, stem  # noqa: E402
from docs_table import replace_block  # noqa: E402

BATCH_NET = "mobilenetv2"
BATCH_ARCH = "mlu"
BATCH = 64
BATCH_SEARCHES = ["none", "optimal", "online", "dnnvm", "efficient-s"]
BATCH_WALL_S, BATCH_RSS_MB = 5.0, 300.0
ALL_WALL_S = 1.0
CYCLES_RE = re.compile(r"^\s*cycles\s+([\d,]+)\s*$", re.MULTILINE)


def searches(fusim):
    """The searches fusim --help lists."""
    out = subprocess.run([fusim, "--help"], capture_output=True, text=True, check=True).stdout
    block = out.split("searches (--fusion NAME):", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def with_batch(net, batch, tmp):
    """A copy of network `net` (a path relative to the repository) at `batch`."""
    with open(os.path.join(REPO, net), encoding="utf-8") as f:
        lines = [ln for ln in f.read().splitlines() if not ln.startswith("batch:")]
    at = next(i for i, ln in enumerate(lines) if ln.startswith("name:")) + 1
    lines.insert(at, "batch: %d" % batch)
    path = os.path.join(tmp, "%s_b%d.yaml" % (stem(net), batch))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def measure(argv, runs, max_seconds):
    """(status, median s, peak MiB, cycles); status 'ok', 'refused' or 'failed: ...'."""
    walls, rss, cycles = [], [], None
    for _ in range(runs):
        code, wall, maxrss_kib, out, err = run_once(argv)
        if code != 0:
            if "gives up" in err or "refuses" in err:
                return "refused", None, None, None
            return "failed: " + err.strip(), None, None, None
        walls.append(wall)
        rss.append(maxrss_kib / 1024.0)
        m = CYCLES_RE.search(out)
        cycles = int(m.group(1).replace(",", "")) if m else None
        if wall > max_seconds:
            break
    return "ok", statistics.median(walls), max(rss), cycles


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per case (default 3)")
    ap.add_argument("--max-seconds", type=float, default=20.0,
                    help="a run slower than this is not repeated (default 20)")
    ap.add_argument("--only", choices=["batch", "all"], help="run one of the two targets")
    ap.add_argument("--docs", action="store_true", help="rewrite the table in docs/testing.md")
    ap.add_argument("--build-dir", default=os.environ.get("FUSIM_BUILD_DIR", "build"))
    args = ap.parse_args()
    build_dir = os.path.join(REPO, args.build_dir)
    fusim = os.path.join(build_dir, "app", "fusim")
    if not os.access(fusim, os.X_OK) or build_type(build_dir) != "Release":
        print("batch_bench: no Release build at %s; run scripts/build.sh" % fusim, file=sys.stderr)
        return 1
    prefix, pin_desc = pin_prefix()
    fmt = "| %s | %s | %s | %s | %s | %s | %s |"
    lines = [fmt % ("workload", "config", "batch", "search", "median s", "peak RSS MB",
                    "cycles"),
             "| --- | --- | ---: | --- | ---: | ---: | ---: |"]
    summary, failed = [], False

    def case(net_path, net, arch, batch, fusion, wall_bound, rss_bound):
        nonlocal failed
        argv = prefix + [fusim, "--arch", "configs/%s.yaml" % arch, "--net", net_path,
                         "--fusion", fusion]
        status, med, rss, cycles = measure(argv, args.runs, args.max_seconds)
        if status == "ok":
            over = med >= wall_bound or (rss_bound is not None and rss >= rss_bound)
            row = (net, arch, batch, fusion, "%.2f" % med, "%.0f" % rss,
                   "{:,}".format(cycles) if cycles else "?")
            lines.append(fmt % row)
            print(" ".join(str(x) for x in row) + ("  OVER" if over else ""), flush=True)
            return not over
        if status == "refused":
            lines.append(fmt % (net, arch, batch, fusion, "refused", "", ""))
            print(net, arch, batch, fusion, "refused", flush=True)
            return True
        failed = True
        print("batch_bench: %s %s %s: %s" % (net, arch, fusion, status), file=sys.stderr)
        return False

    print("batch_bench: %s, median of %d run(s), %s" % (os.path.relpath(fusim, REPO), args.runs,
                                                       pin_desc), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "batch"):
            net_path = with_batch("workloads/%s.yaml" % BATCH_NET, BATCH, tmp)
            ok = all([case(net_path, BATCH_NET, BATCH_ARCH, BATCH, f, BATCH_WALL_S, BATCH_RSS_MB)
                      for f in BATCH_SEARCHES])
            summary.append("%s  %s batch %d on %s.yaml, detailed DRAM, every search of %s: "
                           "median < %.0f s and peak RSS < %.0f MB"
                           % ("PASS" if ok else "FAIL", BATCH_NET, BATCH, BATCH_ARCH,
                              ", ".join(BATCH_SEARCHES), BATCH_WALL_S, BATCH_RSS_MB))
        if args.only in (None, "all"):
            nets = sorted(f for f in os.listdir(os.path.join(REPO, "workloads"))
                          if f.endswith(".yaml"))
            archs = sorted(stem(f) for f in os.listdir(os.path.join(REPO, "configs"))
                           if f.endswith(".yaml"))
            ok = True
            for n in nets:
                for a in archs:
                    for f in searches(fusim):
                        ok = case("workloads/" + n, stem(n), a, 1, f, ALL_WALL_S, None) and ok
            summary.append("%s  every workload x config x search at batch 1: median < %.0f s"
                           % ("PASS" if ok else "FAIL", ALL_WALL_S))
    print("\n".join(summary))
    if args.docs:
        text = "\n".join(lines) + "\n\n" + "\n\n".join(summary) + "\n"
        replace_block("docs/testing.md", "batch-bench", "bench/batch_bench.py --docs", text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
