#!/usr/bin/python3
"""Benchmark fusim: wall time and peak RSS for every workload x config.

Runs build/app/fusim (it builds nothing; run scripts/build.sh first) N times for
each workloads/*.yaml x configs/*.yaml pair, prints a table (median/min/max wall
ms, peak RSS, simulated cycles, DRAM model) and checks the performance target:
MobileNetV2 on mlu.yaml (detailed DRAM model), median wall < 1 s and peak RSS
< 200 MB. For every pair that runs the detailed DRAM model, it then runs the
same pair with -p dram.model=simple and prints the cost of the detailed model
(wall-time ratio) and how far the two models' cycles are apart.

Then the large networks (--large, on by default without --filter): a 10,000-layer chain and a
2,000-layer DAG from scripts/gen_synthetic.py on mlu.yaml with --fusion none, online and
optimal, median wall and peak RSS against the time bounds tests/scale/test_large_networks.sh
does not judge (it checks results and memory only, which do not depend on the machine's load).

Exit status: 0 when every fusim run succeeded (even if the target is missed:
this is a report), 1 when a fusim run failed or the build is missing/not Release.

Standard library only; run with /usr/bin/python3.
"""

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TARGET_NET = "mobilenetv2"
TARGET_ARCH = "mlu"
TARGET_WALL_S = 1.0
TARGET_RSS_MB = 200.0

CYCLES_RE = re.compile(r"^\s*cycles\s+([\d,]+)\s*$", re.MULTILINE)
SEARCH_RE = re.compile(r"search: ([\d,]+) candidate groups evaluated in ([\d.]+) s")

# The fusion search target (issue 3): optimal on these networks in under 1 s each.
SEARCH_NETS = ["googlenet", "resnet50"]
SEARCH_TARGET_S = 1.0
MODEL_RE = re.compile(r"^\s*DRAM\s+(\w+) model", re.MULTILINE)


def build_type(build_dir):
    cache = os.path.join(build_dir, "CMakeCache.txt")
    try:
        with open(cache, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        return None
    return ""


def pin_prefix():
    """Returns (argv prefix, description) pinning the child to one core."""
    taskset = shutil.which("taskset")
    if not taskset:
        return [], "not pinned (taskset not found)"
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        allowed = [0]
    cpu = 0 if (not allowed or 0 in allowed) else allowed[0]
    return [taskset, "-c", str(cpu)], "pinned to CPU %d with taskset -c %d" % (cpu, cpu)


def run_once(argv):
    """Runs argv once; returns (exit code, wall seconds, peak RSS KiB, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=REPO)
        _, status, rusage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
        out.seek(0)
        err.seek(0)
        return (proc.returncode, wall, rusage.ru_maxrss,  # ru_maxrss is KiB on Linux
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def search_times(prefix, fusim, archs, runs):
    """Times --fusion optimal's search (as fusim reports it) on SEARCH_NETS; returns failures."""
    print("\nfusion search: --fusion optimal, search time as fusim prints it, median of %d" % runs)
    fmt = "%-14s %-12s %12s %12s %12s"
    print(fmt % ("workload", "config", "median s", "max s", "groups"))
    ok = True
    for net in SEARCH_NETS:
        for arch in archs:
            argv = prefix + [fusim, "--arch", arch, "--net", "workloads/%s.yaml" % net,
                             "--fusion", "optimal"]
            times, groups = [], ""
            for _ in range(runs):
                code, _, _, out, err = run_once(argv)
                m = SEARCH_RE.search(out)
                if code != 0 or not m:
                    print("bench: optimal failed on %s x %s: %s" % (net, arch, err.strip()),
                          file=sys.stderr)
                    return False
                groups = m.group(1)
                times.append(float(m.group(2)))
            med = statistics.median(times)
            ok = ok and med < SEARCH_TARGET_S
            print(fmt % (net, stem(arch), "%.3f" % med, "%.3f" % max(times), groups))
    print("%s  optimal search median < %.1f s on %s" % ("PASS" if ok else "FAIL", SEARCH_TARGET_S,
                                                         ", ".join(SEARCH_NETS)))
    return True


def measure(argv, runs, failed, net, arch):
    """Runs argv `runs` times; returns (walls, peak MiB, cycles, DRAM model), walls None on failure."""
    walls, rss, cycles, model = [], [], None, None
    for _ in range(runs):
        code, wall, maxrss_kib, out, err = run_once(argv)
        if code != 0:
            failed.append((net, arch, code, err))
            return None, None, None, None
        walls.append(wall)
        rss.append(maxrss_kib)
        m = CYCLES_RE.search(out)
        c = int(m.group(1).replace(",", "")) if m else None
        if cycles is not None and c != cycles:
            print("bench: warning: %s on %s: cycles differ between runs (%s vs %s)"
                  % (net, arch, cycles, c), file=sys.stderr)
        cycles = c
        mm = MODEL_RE.search(out)
        model = mm.group(1) if mm else None
    return walls, max(rss) / 1024.0, cycles, model


# Large networks: (name, gen_synthetic.py arguments, {fusion: median wall bound in seconds}).
# optimal finishes the chain and finishes or refuses the DAG with one line ("gives up").
LARGE_NETS = [
    ("chain_10000", ["chain", "--layers", "10000"], {"none": 20.0, "online": 20.0, "optimal": 30.0}),
    ("dag_2000", ["dag", "--layers", "2000", "--branches", "6"],
     {"none": 10.0, "online": 10.0, "optimal": 30.0}),
]


def large_networks(prefix, fusim, runs):
    """Times the large synthetic networks; returns False when a run failed."""
    print("\nlarge networks on mlu.yaml, median of %d (the bounds of tests/scale, measured here)"
          % runs)
    fmt = "%-12s %-8s %10s %10s %12s %10s"
    print(fmt % ("network", "fusion", "median s", "max s", "peak RSS MB", "bound s"))
    ok_all, ran = True, True
    with tempfile.TemporaryDirectory() as tmp:
        for name, gen_args, bounds in LARGE_NETS:
            net = os.path.join(tmp, name + ".yaml")
            subprocess.run([sys.executable, os.path.join(REPO, "scripts", "gen_synthetic.py")]
                           + gen_args + ["-o", net], check=True, stdout=subprocess.DEVNULL)
            for fusion, bound in bounds.items():
                argv = prefix + [fusim, "--arch", "configs/mlu.yaml", "--net", net,
                                 "--fusion", fusion, "--quiet"]
                walls, rss, refused = [], [], False
                for _ in range(runs):
                    code, wall, maxrss_kib, _, err = run_once(argv)
                    refused = code != 0 and fusion == "optimal" and "gives up" in err
                    if code != 0 and not refused:
                        print("bench: %s --fusion %s failed: %s" % (name, fusion, err.strip()),
                              file=sys.stderr)
                        ran = False
                        break
                    walls.append(wall)
                    rss.append(maxrss_kib / 1024.0)
                if not walls:
                    continue
                med = statistics.median(walls)
                ok = med < bound
                ok_all = ok_all and ok
                print(fmt % (name, fusion, "%.2f" % med, "%.2f" % max(walls), "%.0f" % max(rss),
                             "%.0f" % bound) + ("  refused (gives up)" if refused else "")
                      + ("" if ok else "  OVER"))
                sys.stdout.flush()
    print("%s  large networks within their time bounds" % ("PASS" if ok_all else "FAIL"))
    return ran


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per workload x config (default 5)")
    ap.add_argument("--filter", default="",
                    help="only pairs whose 'workload config' (file stems) contains SUBSTR")
    ap.add_argument("--csv", metavar="FILE", help="also write the table to FILE as CSV")
    ap.add_argument("--large-runs", type=int, default=3,
                    help="runs per large network and search (default 3; 0 skips them)")
    ap.add_argument("--build-dir", default=os.environ.get("FUSIM_BUILD_DIR", "build"),
                    help="build directory (default $FUSIM_BUILD_DIR or build)")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    build_dir = args.build_dir if os.path.isabs(args.build_dir) else os.path.join(REPO, args.build_dir)
    fusim = os.path.join(build_dir, "app", "fusim")
    if not os.access(fusim, os.X_OK):
        print("bench: %s not found; build it first with: bash scripts/build.sh" % fusim, file=sys.stderr)
        return 1
    bt = build_type(build_dir)
    if bt != "Release":
        print("bench: %s is a %s build, not Release; timings would be meaningless.\n"
              "bench: rebuild with: bash scripts/build.sh" % (build_dir, repr(bt) if bt else "non-Release"),
              file=sys.stderr)
        return 1

    nets = sorted(os.path.join("workloads", f) for f in os.listdir(os.path.join(REPO, "workloads"))
                  if f.endswith(".yaml"))
    archs = sorted(os.path.join("configs", f) for f in os.listdir(os.path.join(REPO, "configs"))
                   if f.endswith(".yaml"))
    pairs = [(n, a) for n in nets for a in archs if args.filter in "%s %s" % (stem(n), stem(a))]
    if not pairs:
        print("bench: no workload x config pair matches --filter %r" % args.filter, file=sys.stderr)
        return 1

    prefix, pin_desc = pin_prefix()
    print("fusim bench: %s, %d run(s) per pair, %d pair(s), %s" % (
        os.path.relpath(fusim, REPO), args.runs, len(pairs), pin_desc))
    print("peak RSS in MiB (ru_maxrss via wait4); wall time includes process start-up")
    print()

    header = ["workload", "config", "median_ms", "min_ms", "max_ms", "peak_rss_mb", "cycles",
              "dram_model"]
    fmt = "%-14s %-12s %10s %10s %10s %12s %14s"
    print(fmt % ("workload", "config", "median ms", "min ms", "max ms", "peak RSS MB", "cycles"))
    print(fmt % ("-" * 14, "-" * 12, "-" * 10, "-" * 10, "-" * 10, "-" * 12, "-" * 14))

    rows = []
    failed = []
    results = {}
    detailed = []  # (net, arch, median s, cycles) of pairs on the detailed DRAM model
    for net, arch in pairs:
        argv = prefix + [fusim, "--arch", arch, "--net", net]
        walls, peak_mb, cycles, model = measure(argv, args.runs, failed, net, arch)
        if walls is None:
            print(fmt % (stem(net), stem(arch), "FAILED", "", "", "", ""))
            continue
        med, lo, hi = statistics.median(walls), min(walls), max(walls)
        results[(stem(net), stem(arch))] = (med, peak_mb)
        if model == "detailed":
            detailed.append((net, arch, med, cycles))
        row = [stem(net), stem(arch), "%.1f" % (med * 1e3), "%.1f" % (lo * 1e3), "%.1f" % (hi * 1e3),
               "%.1f" % peak_mb, "" if cycles is None else str(cycles), model or "?"]
        rows.append(row)
        print(fmt % (row[0], row[1], row[2], row[3], row[4], row[5],
                     "?" if cycles is None else "{:,}".format(cycles)) + "  " + row[7])
        sys.stdout.flush()

    if detailed:
        print("\ncost of the detailed DRAM model: the same pairs with -p dram.model=simple")
        cfmt = "%-14s %-12s %12s %12s %8s %14s %14s %8s"
        print(cfmt % ("workload", "config", "detailed ms", "simple ms", "ratio",
                      "detailed cyc", "simple cyc", "gap %"))
        print(cfmt % ("-" * 14, "-" * 12, "-" * 12, "-" * 12, "-" * 8, "-" * 14, "-" * 14, "-" * 8))
        for net, arch, med_d, cyc_d in detailed:
            argv = prefix + [fusim, "--arch", arch, "--net", net, "-p", "dram.model=simple"]
            walls, _, cyc_s, _ = measure(argv, args.runs, failed, net, arch)
            if walls is None:
                continue
            med_s = statistics.median(walls)
            gap = "" if not cyc_d or not cyc_s else "%+.1f" % (100.0 * (cyc_d - cyc_s) / cyc_s)
            print(cfmt % (stem(net), stem(arch), "%.1f" % (med_d * 1e3), "%.1f" % (med_s * 1e3),
                          "%.1fx" % (med_d / med_s), "{:,}".format(cyc_d or 0),
                          "{:,}".format(cyc_s or 0), gap))
            sys.stdout.flush()

    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        print("\nwrote %s" % args.csv)

    print("\ntarget: %s on %s.yaml, median wall < %.1f s and peak RSS < %.0f MB"
          % (TARGET_NET, TARGET_ARCH, TARGET_WALL_S, TARGET_RSS_MB))
    key = (TARGET_NET, TARGET_ARCH)
    if key in results:
        med, peak_mb = results[key]
        print("%s  wall  median %.3f s (target < %.1f s)"
              % ("PASS" if med < TARGET_WALL_S else "FAIL", med, TARGET_WALL_S))
        print("%s  rss   peak %.1f MB (target < %.0f MB)"
              % ("PASS" if peak_mb < TARGET_RSS_MB else "FAIL", peak_mb, TARGET_RSS_MB))
    elif any(stem(n) == TARGET_NET and stem(a) == TARGET_ARCH for n, a in pairs):
        print("FAIL  %s on %s did not run successfully" % key)
    else:
        print("SKIP  %s on %s not selected (--filter %r)" % (key + (args.filter,)))

    if not args.filter and not search_times(prefix, fusim, archs, args.runs):
        failed.append(("(search)", "", 1, "optimal search failed"))
    if not args.filter and args.large_runs > 0 and not large_networks(prefix, fusim,
                                                                        args.large_runs):
        failed.append(("(large networks)", "mlu", 1, "a large-network run failed"))

    for net, arch, code, err in failed:
        print("\nbench: fusim failed (exit %d): --arch %s --net %s\n%s"
              % (code, arch, net, err.rstrip() or "(no stderr)"), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
