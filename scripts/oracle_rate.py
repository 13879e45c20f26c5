#!/usr/bin/python3
"""How fast `--fusion oracle` scores partitions, from real fusim runs: the search time of
several small networks (medians over --runs runs) against the partitions oracle counts before it
starts (docs/fusion.md). Prints a Markdown table, or with --docs replaces the table between the
oracle-rate markers in docs/fusion.md. The limit on partitions (oracle_max_partitions in
scheduler/search/search.h) is chosen from these rates.

Each network runs on configs/systolic32.yaml with 64 MiB buffers (every group fits, so oracle
scores every partition it counted: the slowest case), and on systolic32.yaml and mlu.yaml as
shipped (groups that do not fit are skipped, with all they would lead to).

    /usr/bin/python3 scripts/oracle_rate.py [--fusim build/app/fusim] [--runs 5] [--docs]

The networks: synthetic chains of 3x3 convs (scripts/gen_synthetic.py chain), one DAG of
scripts/gen_synthetic.py dag (a stem, three branches, concat, 1x1 conv, residual add), and
windows of consecutive layers of Inception-v3's Mixed_5b..5d blocks (written here: four branches
of 1x1, 1x1-5x5, 1x1-3x3-3x3 and 3x3 average pool-1x1 convs joined by a concat; a layer whose
producer is outside the window reads a network input of that shape). Standard library only.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from docs_table import replace_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIG = 64 * 1024 * 1024
ARCHES = [
    ("systolic32, 64 MiB buffers", "configs/systolic32.yaml",
     [f"cores.buffers.{b}.capacity_bytes={BIG}" for b in ("input", "weight", "output")]),
    ("systolic32", "configs/systolic32.yaml", []),
    ("mlu", "configs/mlu.yaml", []),
]


def inception_v3_window(first, count):
    """Layers first .. first+count-1 of Inception-v3's Mixed_5b, 5c and 5d (9 layers each)."""
    layers, prev, cin = [], "x", 192
    for block, pool_features in (("5b", 32), ("5c", 64), ("5d", 64)):
        p = f"m{block}_"
        layers += [(p + "1x1", "conv", [prev], 64, 1),
                   (p + "5x5_1", "conv", [prev], 48, 1),
                   (p + "5x5_2", "conv", [p + "5x5_1"], 64, 5),
                   (p + "dbl_1", "conv", [prev], 64, 1),
                   (p + "dbl_2", "conv", [p + "dbl_1"], 96, 3),
                   (p + "dbl_3", "conv", [p + "dbl_2"], 96, 3),
                   (p + "pool", "pool", [prev], cin, 3),
                   (p + "pool_proj", "conv", [p + "pool"], pool_features, 1),
                   (p + "cat", "concat", [p + "1x1", p + "5x5_2", p + "dbl_3", p + "pool_proj"],
                    224 + pool_features, 0)]
        prev, cin = p + "cat", 224 + pool_features
    channels = {"x": 192}
    channels.update({name: c for name, _, _, c, _ in layers})
    window = layers[first:first + count]
    inside = {name for name, *_ in window}
    inputs, body = [], []
    for name, kind, ins, c, k in window:
        inputs += [i for i in ins if i not in inside and i not in inputs]
        if kind == "conv":
            body.append(f"  - {{name: {name}, type: conv, inputs: [{', '.join(ins)}], "
                        f"out_channels: {c}, kernel: {k}, padding: {k // 2}, activation: relu}}")
        elif kind == "pool":
            body.append(f"  - {{name: {name}, type: pool, inputs: [{', '.join(ins)}], mode: avg, "
                        f"kernel: 3, stride: 1, padding: 1}}")
        else:
            body.append(f"  - {{name: {name}, type: concat, inputs: [{', '.join(ins)}]}}")
    head = [f"name: inception_v3_{first}_{count}", "inputs:"]
    head += [f"  - {{name: {i}, shape: [{channels[i]}, 35, 35]}}" for i in inputs]
    return "\n".join(head + ["layers:"] + body) + "\n"


def networks(tmp):
    """(label, layers, path) of each network measured."""
    out = []
    gen = os.path.join(ROOT, "scripts", "gen_synthetic.py")
    for label, args, layers in [("chain of 16", ["chain", "--layers", "16"], 16),
                                ("chain of 20", ["chain", "--layers", "20"], 20),
                                ("chain of 22", ["chain", "--layers", "22"], 22),
                                ("synthetic DAG, 16 layers, 3 branches",
                                 ["dag", "--layers", "16", "--branches", "3"], 16)]:
        path = os.path.join(tmp, "_".join(args) + ".yaml")
        subprocess.run([sys.executable, gen] + args + ["-o", path], check=True)
        out.append((label, layers, path))
    for first, count in [(0, 12), (4, 14), (2, 14)]:
        path = os.path.join(tmp, f"inception_v3_{first}_{count}.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(inception_v3_window(first, count))
        out.append((f"Inception-v3, layers {first + 1}-{first + count} of Mixed_5b-5d", count,
                    path))
    return out


SEARCH = re.compile(r"search: ([\d,]+) candidate groups and ([\d,]+) partitions evaluated "
                    r"in ([\d.]+) s")


def run(fusim, net, arch, overrides):
    cmd = [fusim, "--arch", os.path.join(ROOT, arch), "--net", net, "--fusion", "oracle"]
    for o in overrides:
        cmd += ["-p", o]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {p.stderr.strip()}")
    m = SEARCH.search(p.stdout)
    if not m:
        sys.exit(f"{' '.join(cmd)}: no search line in its summary")
    return int(m.group(2).replace(",", "")), float(m.group(3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build/app/fusim"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--docs", action="store_true", help="rewrite the table in docs/fusion.md")
    args = ap.parse_args()
    with open(os.path.join(ROOT, "scheduler/search/search.h"), encoding="utf-8") as f:
        header = f.read()
    limit = int(re.search(r"kOracleMaxPartitions = (\d+);", header).group(1))
    assumed = int(re.search(r"kOraclePartitionsPerSecond = (\d+);", header).group(1))
    lines = ["| network | layers | partitions counted | arch | partitions scored "
             "| seconds (median) | counted per second |",
             "| --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, layers, net in networks(tmp):
            counted = None
            for arch_label, arch, overrides in ARCHES:
                results = [run(args.fusim, net, arch, overrides) for _ in range(args.runs)]
                scored = results[0][0]
                seconds = statistics.median(s for _, s in results)
                if counted is None:  # the first arch fits every group: scored == counted
                    counted = scored
                rate = counted / seconds if seconds > 0 else float("inf")
                rates.append((rate, label, arch_label))
                lines.append(f"| {label} | {layers} | {counted:,} | {arch_label} | {scored:,} "
                             f"| {seconds:.3f} | {rate:,.0f} |")
    table = "\n".join(lines) + "\n"
    slowest = min(rates)
    table += (f"\nMedians of {args.runs} runs each. Slowest: {slowest[0]:,.0f} counted partitions "
              f"a second ({slowest[1]}, {slowest[2]}); fastest {max(rates)[0]:,.0f}. At the "
              f"slowest rate the limit of {limit:,} partitions is {limit / slowest[0]:.1f} s of "
              f"search; the refusal assumes {assumed:,} a second "
              f"(kOraclePartitionsPerSecond), {limit / assumed:.1f} s.\n")
    if not args.docs:
        sys.stdout.write(table)
        return 0
    replace_block("docs/fusion.md", "oracle-rate", "scripts/oracle_rate.py --docs", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
