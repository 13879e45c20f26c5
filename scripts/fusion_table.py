#!/usr/bin/python3
"""Off-chip traffic of each fusion search on every shipped network, for on-chip buffers of
64 KiB to 2 MiB, from real fusim runs; prints a Markdown table, or with --docs replaces the
table between the fusion-table markers in docs/fusion.md.

The arch is configs/mlu.yaml with one core (Optimus models one accelerator) and a total on-chip
buffer of S bytes split input S/4, weight S/2, output S/4, and no feature maps kept in the
shared buffer (--shared-fmaps off: Optimus's accelerator has only those buffers); the searches
minimise off-chip bytes (--objective bytes, Optimus's memory-optimal objective).

    /usr/bin/python3 scripts/fusion_table.py [--fusim build/app/fusim] [--docs]
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
from docs_table import replace_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALGORITHMS = ["none", "dnnvm", "efficient-s", "online", "optimal"]
SIZES_KIB = [64, 128, 256, 512, 1024, 2048]


def run(fusim, net, kib, algorithm):
    size = kib * 1024
    with tempfile.TemporaryDirectory() as out:
        cmd = [fusim, "--arch", os.path.join(ROOT, "configs/mlu.yaml"), "--net", net,
               "--fusion", algorithm, "--objective", "bytes", "--shared-fmaps", "off",
               "--quiet", "--out", out, "--out-program", "off",
               "-p", "cores.count=1",
               "-p", f"cores.buffers.input.capacity_bytes={size // 4}",
               "-p", f"cores.buffers.weight.capacity_bytes={size // 2}",
               "-p", f"cores.buffers.output.capacity_bytes={size // 4}"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            return None, p.stderr.strip().replace(ROOT + os.sep, "")
        with open(os.path.join(out, "report.json")) as f:
            r = json.load(f)
    return r, None


def mb(x):
    return f"{x / 1e6:.2f}"


def reduction(optimal, other):
    return f"{100.0 * (other - optimal) / other:.0f} %" if other else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build/app/fusim"))
    ap.add_argument("--docs", action="store_true", help="rewrite the table in docs/fusion.md")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    nets = sorted(os.path.join(ROOT, "workloads", f) for f in os.listdir(os.path.join(ROOT, "workloads"))
                  if f.endswith(".yaml") and not f.startswith("tiny_"))
    jobs = [(n, k, a) for n in nets for k in SIZES_KIB for a in ALGORITHMS]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(zip(jobs, pool.map(lambda j: run(args.fusim, *j), jobs)))
    lines = [
        "| network | buffer | none | dnnvm | efficient-s | online | optimal | floor "
        "| optimal vs none | vs dnnvm | vs efficient-s | vs online |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    errors = []
    savings = {a: [] for a in ["none", "dnnvm", "efficient-s", "online"]}
    for n in nets:
        for k in SIZES_KIB:
            total = {}
            floor = None
            for a in ALGORITHMS:
                r, err = results[(n, k, a)]
                if r is None:
                    errors.append(f"{os.path.basename(n)} {k} KiB {a}: {err}")
                    continue
                total[a] = r["offchip_read_bytes"] + r["offchip_write_bytes"]
                floor = r["compulsory_offchip_bytes"]
            name = os.path.basename(n)[:-5]
            size = f"{k} KiB" if k < 1024 else f"{k // 1024} MiB"
            cells = [mb(total[a]) if a in total else "n/a" for a in ALGORITHMS]
            opt = total.get("optimal")
            reds = [reduction(opt, total[a]) if opt is not None and a in total else "-"
                    for a in ["none", "dnnvm", "efficient-s", "online"]]
            for a in savings:
                if opt is not None and a in total and total[a]:
                    savings[a].append(100.0 * (total[a] - opt) / total[a])
            lines.append(f"| {name} | {size} | " + " | ".join(cells) +
                         f" | {mb(floor) if floor else '-'} | " + " | ".join(reds) + " |")
    table = "\n".join(lines) + "\n"
    summary = []
    for a, v in savings.items():
        if v:
            v = sorted(v)
            summary.append(f"`{a}` {v[0]:.0f}-{v[-1]:.0f} % (median {v[len(v) // 2]:.0f} %)")
    table += "\nFewer off-chip bytes with `optimal` than with: " + "; ".join(summary) + ".\n"
    if errors:
        table += "\nRuns that failed (n/a above):\n\n" + "\n".join(f"- {e}" for e in errors) + "\n"
    if not args.docs:
        sys.stdout.write(table)
        return 0
    replace_block("docs/fusion.md", "fusion-table", "scripts/fusion_table.py --docs", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
