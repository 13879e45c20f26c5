#!/usr/bin/python3
"""How far the detailed and the simple DRAM models are apart, in cycles.

For every workloads/*.yaml on every configs/*.yaml that names a dram.preset and not
`model: simple` (those run the detailed model), and on variants of mlu.yaml with the other
presets (LPDDR4 also with a DMA window of 128 outstanding bursts), with the
layer-by-layer schedule (none) and the default search
(optimal), runs fusim twice, as configured and with -p dram.model=simple, and
prints a Markdown table: cycles of each, the gap (detailed - simple) / simple,
and the detailed model's achieved bandwidth, row-hit rate, and the bytes its bursts carried
for each byte asked for (the bursts of report.json's dram_channels, reads + writes, times the
preset's burst bytes, over their bytes_read + bytes_written: 1.00 when every piece fills its
bursts). The other configs
run the simple model only and are listed as such. With --docs, the
table replaces the one between the dram-gap markers in docs/dram.md.

    scripts/build.sh && /usr/bin/python3 scripts/dram_gap.py [--docs]

Standard library only; run with /usr/bin/python3.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

from docs_table import replace_block

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, config file, extra -p overrides): variants of mlu.yaml with the other presets.
VARIANTS = [
    ("mlu HBM2 x8", "configs/mlu.yaml", ["dram.preset=HBM2", "dram.channels=8"]),
    ("mlu LPDDR4-3200 x16", "configs/mlu.yaml", ["dram.preset=LPDDR4-3200", "dram.channels=16"]),
    # LPDDR4's 32-byte bursts: a DMA window of 64 bursts is only 2 KiB; twice the window.
    ("mlu LPDDR4-3200 x16, 128 outstanding", "configs/mlu.yaml",
     ["dram.preset=LPDDR4-3200", "dram.channels=16", "cores.dma.outstanding_bursts=128"]),
]


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def dram_keys(path):
    """The keys and values (as text, comments dropped) written inside an arch file's dram map,
    the first of each name: a plain text reading of the file, standard library only."""
    keys = {}
    in_dram = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if re.match(r"^dram\s*:", line):
                in_dram = True
            elif re.match(r"^\S", line):
                in_dram = False
            elif in_dram:
                m = re.match(r"^\s+(\w+)\s*:\s*([^#]*)", line)
                if m:
                    keys.setdefault(m.group(1), m.group(2).strip())
    return keys


def runs_detailed(path):
    """True when the config's dram map names a preset and does not ask for the simple model: the
    configs that run the detailed model."""
    keys = dram_keys(os.path.join(REPO, path))
    return "preset" in keys and keys.get("model") != "simple"


SCHEDULES = ["none", "optimal"]


def run(fusim, arch, net, fusion, overrides):
    with tempfile.TemporaryDirectory() as out:
        argv = [fusim, "--arch", arch, "--net", net, "--fusion", fusion, "--quiet", "--out", out,
                "--out-program", "off"]
        for o in overrides:
            argv += ["-p", o]
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("dram_gap: fusim failed: %s\n%s" % (" ".join(argv), proc.stderr))
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
        report["burst_bytes"] = burst_bytes(os.path.join(out, "arch.yaml"))
        return report


def burst_bytes(arch_yaml):
    """bus_bytes x burst_length of the arch.yaml fusim --out writes (every key resolved), or 0
    when its dram map has none."""
    keys = dram_keys(arch_yaml)
    return int(keys.get("bus_bytes") or 0) * int(keys.get("burst_length") or 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default=os.environ.get("FUSIM_BUILD_DIR", "build"))
    ap.add_argument("--filter", default="", help="only rows whose 'workload config' contains this")
    ap.add_argument("--docs", action="store_true", help="rewrite the table in docs/dram.md")
    args = ap.parse_args()
    build = args.build_dir if os.path.isabs(args.build_dir) else os.path.join(REPO, args.build_dir)
    fusim = os.path.join(build, "app", "fusim")
    if not os.access(fusim, os.X_OK):
        sys.exit("dram_gap: %s not found; build first with scripts/build.sh" % fusim)

    nets = sorted(os.path.join("workloads", f) for f in os.listdir(os.path.join(REPO, "workloads"))
                  if f.endswith(".yaml"))
    archs = sorted(os.path.join("configs", f) for f in os.listdir(os.path.join(REPO, "configs"))
                   if f.endswith(".yaml"))
    cases = [(stem(a), a, []) for a in archs if runs_detailed(a)] + VARIANTS
    simple_only = [stem(a) for a in archs if not runs_detailed(a)]

    lines = ["| workload | config | schedule | detailed cycles | simple cycles | gap | detailed GB/s "
             "| row-hit rate | burst bytes / bytes |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    if not args.docs:
        print("\n".join(lines))
    for label, arch, overrides in cases:
        for net in nets:
            if args.filter not in "%s %s" % (stem(net), label):
                continue
            for fusion in SCHEDULES:
                d = run(fusim, arch, net, fusion, overrides)
                s = run(fusim, arch, net, fusion, overrides + ["dram.model=simple"])
                hits = sum(c["row_hits"] for c in d["dram_channels"])
                total = hits + sum(c["row_misses"] + c["row_conflicts"] for c in d["dram_channels"])
                nbytes = d["offchip_read_bytes"] + d["offchip_write_bytes"]
                gbs = nbytes / d["seconds"] / 1e9 if d["seconds"] > 0 else 0.0
                bursts = sum(c["reads"] + c["writes"] for c in d["dram_channels"])
                asked = sum(c["bytes_read"] + c["bytes_written"] for c in d["dram_channels"])
                carried = bursts * d["burst_bytes"] / asked if asked else 0.0
                lines.append("| %s | %s | %s | %s | %s | %+.1f %% | %.1f | %s | %s |" % (
                    stem(net), label, fusion, "{:,}".format(d["cycles"]),
                    "{:,}".format(s["cycles"]), 100.0 * (d["cycles"] - s["cycles"]) / s["cycles"],
                    gbs, "%.1f %%" % (100.0 * hits / total) if total else "-",
                    "%.2f" % carried if asked else "-"))
                if not args.docs:
                    print(lines[-1])
                    sys.stdout.flush()
    tail = ("\nSimple model only (no dram.preset, or `model: simple`): %s.\n" % ", ".join(simple_only)
            if simple_only else "")
    if args.docs:
        replace_block("docs/dram.md", "dram-gap-table", "scripts/dram_gap.py --docs", "\n".join(lines) + "\n" + tail)
    else:
        sys.stdout.write(tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
