#!/usr/bin/python3
"""Calibrates the DLFusion tuner (--fusion dlfusion) for one architecture by running synthesised
layers through fusim itself, as DLFusion (Liu et al., 2020) profiled synthesised layers on the
MLU100.

  dlfusion_calibrate.py --fusim build/app/fusim --arch configs/mlu.yaml \\
      -o configs/dlfusion/mlu100.yaml
  dlfusion_calibrate.py --fusim build/app/fusim --docs      # the table of docs/dlfusion.md

The grid: per layer, its operation count (PE-array MACs, or vector-unit operations for
depthwise, pooling and element-wise layers) in buckets of factor 4 and its channels in buckets of
factor 2 (the `*_edges` lists: bucket i holds [edge i, edge i+1), the last one is open; values
below the first edge fall in bucket 0). For every cell, at twice the bucket's lower edge of
operations and the bucket's channel count C, one synthesised layer of each kind (cell_networks:
`layer` a 3x3 conv C->C, `pointwise` a 1x1 conv C->C, `depthwise` a 3x3 depthwise conv, `pool` a
3x3 max pool, `eltwise` an add, `fc` ops/C inputs to C outputs) and its fused cell (none for fc):
for `pointwise` and `eltwise` a chain of CHAIN such layers; for the kinds with a 3x3 window
(`layer`, `depthwise`, `pool`, stride 1) the layer followed by a 1x1 conv C->C/RATIO, as it leads
a bottleneck's group, measured against that 1x1 conv alone on the same input:
  - each single layer runs with `--fusion none --cores N` for every N of `core_counts`;
  - each fused cell with `--fusion optimal --cores N --max-group-layers CHAIN --shared-fmaps
    off` (the default cycles objective), kept at N only when report.json's groups are one group
    of all its layers on N cores, else null at N; a window layer's cell holds the group's cycles
    less the 1x1 conv's alone (its marginal cycles, at least 1), null unless both ran as one
    group on N. With the maps through DRAM, as the tuner's charge for a group's boundary maps
    assumes (docs/dlfusion.md says why).
A cell whose layer cannot be built (fewer operations than one pixel of the channels, an input
over MAX_SIDE pixels a side or MAX_ELEMENTS elements, an fc of over MAX_FC_WEIGHTS weights) or
whose every run failed is left out; the tuner interpolates between the measured cells. Needs
yaml (python3-yaml).
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE_COUNTS = [1, 2, 4, 8, 16, 32]
MACS_EDGES = [4 ** k for k in range(8, 16)]  # 65,536 .. 1,073,741,824
CHANNEL_EDGES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
MAX_SIDE = 512
MAX_ELEMENTS = 1 << 22  # per input tensor (VGG's largest map is 64x224x224 = 3.2 M)
MAX_FC_WEIGHTS = 1 << 27  # per fc layer (VGG's fc6 has 102.8 M; larger ones take minutes each)
CHAIN = 3  # layers of a fused chain
RATIO = 4  # the 1x1 conv after a 3x3 layer's fused cell narrows C to C/RATIO channels
SINGLES = ["layer", "pointwise", "depthwise", "pool", "eltwise", "fc"]  # single-layer kinds
FUSED = ["fused_layer", "fused_pointwise", "fused_depthwise", "fused_pool", "fused_eltwise"]
DOC_NETS = ["mobilenetv2", "resnet50", "vgg16", "alexnet", "googlenet", "mobilenetv1",
            "squeezenet"]


def side_for(macs, per_pixel):
    """The square side whose pixels times per_pixel come closest to macs, or None."""
    side = round(math.sqrt(macs / per_pixel))
    return side if 1 <= side <= MAX_SIDE else None


def conv(name, channels, kernel, groups=1, inputs=None):
    pad = kernel // 2
    g = f", groups: {groups}" if groups > 1 else ""
    i = f", inputs: [{inputs}]" if inputs else ""
    return (f"  - {{name: {name}, type: conv, out_channels: {channels}, kernel: {kernel}, "
            f"padding: {pad}{g}, bias: false, activation: relu{i}}}")


def network(name, shape, layers, inputs=("x",)):
    if math.prod(shape) > MAX_ELEMENTS:
        return None
    head = [f"name: {name}", "inputs:"]
    for i in inputs:
        head += [f"  - name: {i}", f"    shape: [{', '.join(str(d) for d in shape)}]"]
    return "\n".join(head + ["layers:"] + layers) + "\n"


def cell_networks(macs, c):
    """The cell's synthesised networks: {kind: (yaml text, operations per layer)} (kinds that
    cannot be built left out). `macs` is the operation count per layer: PE-array MACs, or
    vector-unit operations for depthwise, pooling and element-wise layers (as the tuner counts
    them). Each single kind has a fused kind, CHAIN such layers one after the other (fc none)."""
    nets = {}

    def both(kind, shape, ops, make):
        nets[kind] = (network("cal_" + kind, shape, [make(0, "x")]), ops)
        chain = [make(k, "l%d" % (k - 1) if k else "x") for k in range(CHAIN)]
        nets["fused_" + kind] = (network("cal_fused_" + kind, shape, chain), ops)

    def leading(kind, side, ops, layer):
        """The fused kind of a layer with a 3x3 window: `layer` (named l0) followed by a 1x1
        conv C -> C/RATIO in one group, as it leads a bottleneck's group, and the 1x1 conv
        alone, the base its marginal cycles are measured against (same input and output)."""
        nets[kind] = (network("cal_" + kind, [c, side, side], [layer]), ops)
        pw = ("  - {name: l1, type: conv, out_channels: %d, kernel: 1, bias: false, "
              "activation: relu}" % max(1, c // RATIO))
        shape = [c, side, side]
        nets["fused_" + kind] = (network("cal_fused_" + kind, shape, [layer, pw]), ops,
                                 network("cal_base_" + kind, shape, [pw.replace("l1", "l0")]))

    # 3x3 conv C->C, padding 1: 9C^2 MACs per pixel.
    side = side_for(macs, 9 * c * c)
    if side is not None:
        leading("layer", side, 9 * c * c * side * side, conv("l0", c, 3))
    # 1x1 conv C->C: C^2 MACs per pixel.
    side = side_for(macs, c * c)
    if side is not None:
        both("pointwise", [c, side, side], c * c * side * side,
             lambda k, i: conv("l%d" % k, c, 1))
    # 3x3 depthwise, stride 1: 9C operations per pixel.
    side = side_for(macs, 9 * c)
    if side is not None:
        leading("depthwise", side, 9 * c * side * side, conv("l0", c, 3, groups=c))
    # 3x3 max pool, stride 2, padding 1: 9C operations per output pixel, the input twice as
    # wide; fused, stride 1 (the map keeps its size).
    if side is not None and 2 * side <= MAX_SIDE:
        leading("pool", side, 9 * c * side * side,
                "  - {name: l0, type: pool, mode: max, kernel: 3, stride: 1, padding: 1}")
        nets["pool"] = (network("cal_pool", [c, 2 * side, 2 * side], [
            "  - {name: l0, type: pool, mode: max, kernel: 3, stride: 2, padding: 1}"]),
            9 * c * side * side)
    # Element-wise add of two inputs: C operations per pixel; fused, each adds y to the last.
    side = side_for(macs, c)
    if side is not None:
        both("eltwise", [c, side, side], c * side * side,
             lambda k, i: "  - {name: l%d, type: add, inputs: [%s, y]}" % (k, i))
        for kind in ["eltwise", "fused_eltwise"]:
            text, ops = nets[kind]
            nets[kind] = (text and text.replace(
                "layers:", "  - name: y\n    shape: [%d, %d, %d]\nlayers:" % (c, side, side)),
                ops)
    # Fully connected, macs/C inputs to C outputs.
    inputs = round(macs / c)
    if inputs >= 1 and inputs * c <= MAX_FC_WEIGHTS:
        nets["fc"] = (network("cal_fc", [inputs, 1, 1], [
            "  - {name: l0, type: fc, out_features: %d, bias: false}" % c]), inputs * c)
    return {kind: v for kind, v in nets.items() if all(x is not None for x in v)}


def run_fusim(fusim, arch, net_text, args, quiet=True, timeout=None):
    """report.json of one run, or None when fusim refused it (or ran over `timeout` seconds);
    without `quiet`, with the search's seconds from the summary (report.json does not hold them)
    as "search_seconds"."""
    with tempfile.TemporaryDirectory() as tmp:
        net = os.path.join(tmp, "net.yaml")
        with open(net, "w") as f:
            f.write(net_text)
        out = os.path.join(tmp, "out")
        try:
            r = subprocess.run([fusim, "--arch", arch, "--net", net, "--out", out,
                                "--out-program", "off"] +
                               (["--quiet"] if quiet else []) + args, capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if r.returncode != 0:
            return None
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        if not quiet:
            m = re.search(r"(?:evaluated|simulated) in ([0-9.]+) s", r.stdout)
            rep["search_seconds"] = float(m.group(1)) if m else 0.0
        return rep


def fused_cycles(fusim, arch, n, text):
    """The cycles of the chain `text` when the search (`--fusion optimal --cores N
    --max-group-layers CHAIN --shared-fmaps off`, the default cycles objective) ran it as one
    group of all its layers on n cores, else None (fusim has no "fuse these" switch)."""
    rep = run_fusim(fusim, arch, text, ["--fusion", "optimal", "--cores", str(n),
                                        "--max-group-layers", str(CHAIN),
                                        "--shared-fmaps", "off"])
    layers = text.count("- {name:")
    g = rep["groups"] if rep is not None else []
    if len(g) == 1 and len(g[0]["layers"]) == layers and g[0]["cores"] == n:
        return rep["cycles"]
    return None


def measure(fusim, arch, cores, kind, text, base=None):
    """Cycles per core count: a single layer's with `--fusion none --cores N`; a chain's fused
    (fused_cycles); with a `base` chain, the chain's less the base's, both fused (at least 1)."""
    out = {}
    for n in cores:
        if kind in SINGLES:
            rep = run_fusim(fusim, arch, text, ["--fusion", "none", "--cores", str(n)])
            if rep is not None:
                out[n] = rep["cycles"]
            continue
        cy = fused_cycles(fusim, arch, n, text)
        if cy is not None and base is not None:
            b = fused_cycles(fusim, arch, n, base)
            cy = None if b is None else max(1, cy - b)
        if cy is not None:
            out[n] = cy
    return out


def calibrate(fusim, arch, jobs, macs_buckets=None):
    with open(arch) as f:
        arch_doc = yaml.safe_load(f)
    core_count = arch_doc.get("cores", {}).get("count", 1)
    cores = [n for n in CORE_COUNTS if n < core_count] + [core_count]
    work = []
    for mi, m in enumerate(MACS_EDGES[:macs_buckets]):
        for ci, c in enumerate(CHANNEL_EDGES):
            for kind, (text, ops, *base) in cell_networks(2 * m, c).items():
                work.append((mi, ci, kind, text, ops, base[0] if base else None))
    cells = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(measure, fusim, arch, cores, kind, text, base): (mi, ci, kind, ops)
                   for mi, ci, kind, text, ops, base in work}
        for fut in concurrent.futures.as_completed(futures):
            mi, ci, kind, ops = futures[fut]
            cycles = fut.result()
            if not cycles:
                continue
            cells.setdefault(kind, []).append({
                "macs_bucket": mi, "channels_bucket": ci, "ops": ops,
                "best_cores": min(cycles, key=lambda n: (cycles[n], n)),
                "cycles": [cycles.get(n) for n in cores]})
    for kind in cells:
        cells[kind].sort(key=lambda e: (e["channels_bucket"], e["macs_bucket"]))
    return cores, cells, arch_doc.get("name", os.path.splitext(os.path.basename(arch))[0])


def write_table(path, command, name, cores, cells):
    table = {"arch": name, "core_counts": cores, "macs_edges": MACS_EDGES,
             "channels_edges": CHANNEL_EDGES, "chain_layers": CHAIN, "bottleneck_ratio": RATIO}
    for kind in SINGLES + FUSED:
        table[kind] = cells.get(kind, [])
    header = ("# DLFusion calibration of arch '%s' (docs/dlfusion.md): synthesised layers and\n"
              "# chains run through fusim. Generated; do not edit by hand. Regenerate with\n"
              "#   %s\n" % (name, command))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(header + yaml.safe_dump(table, sort_keys=False, default_flow_style=None,
                                        width=100))


# The runs of the docs' table: (column, fusim arguments); the oracle is the reduced one of
# issue 14, `optimal` judged by simulating each candidate group and core count alone; where it
# does not finish, the one judging only the cost model's BEST best partitions stands in.
BEST = 64
DOC_RUNS = [("none", ["--fusion", "none"]), ("dlfusion", ["--fusion", "dlfusion"]),
            ("optimal", ["--fusion", "optimal"]),
            ("oracle", ["--fusion", "optimal", "--judge", "simulation"]),
            ("best", ["--fusion", "optimal", "--judge", "simulation", "--judge-best", str(BEST)])]


ORACLE_TIMEOUT = 600  # seconds; GoogLeNet's oracle (thousands of candidate groups) runs longer


def docs_table(fusim, jobs, nets):
    """The comparison block of docs/dlfusion.md on configs/mlu.yaml. An oracle run over
    ORACLE_TIMEOUT seconds is stopped and shown as not finished."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import docs_table as dt  # noqa: E402 (scripts/ is not a package)

    arch = os.path.join(ROOT, "configs/mlu.yaml")
    runs = [(net, col, args) for net in nets for col, args in DOC_RUNS]

    def one(case):
        net, col, args = case
        with open(os.path.join(ROOT, "workloads", net + ".yaml")) as f:
            text = f.read()
        oracle = col == "oracle"
        rep = run_fusim(fusim, arch, text, args, quiet=False,
                        timeout=ORACLE_TIMEOUT if oracle else None)
        if rep is None and not oracle:
            sys.exit(f"dlfusion_calibrate: {net} {' '.join(args)} failed")
        return (net, col), rep

    res = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for key, rep in pool.map(one, runs):
            res[key] = rep
    lines = ["| network | none (baseline) | dlfusion | optimal | oracle | dlfusion vs oracle "
             "| optimal vs oracle | dlfusion vs none | dlfusion groups | oracle groups "
             "| dlfusion search s | optimal search s | oracle search s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
             "| ---: |"]
    gaps, ratios, unfinished, agree = [], [], [], []
    for net in nets:
        n, d, o, full, best = (res[(net, col)] for col, _ in DOC_RUNS)
        if best is None:
            sys.exit(f"dlfusion_calibrate: {net}'s oracle over {BEST} partitions did not finish")
        if full is None:  # the stand-in, marked
            unfinished.append(net)
            r, mark = best, " *"
        else:
            agree.append(best["cycles"] == full["cycles"])
            r, mark = full, ""
        gap = d["cycles"] / r["cycles"] - 1
        gaps.append(gap)
        ratios.append(d["search_seconds"] / r["search_seconds"])
        lines.append("| %s | %s | %s | %s | %s%s | %+.1f %% | %+.1f %% | %.2fx | %d | %d | %.3f | "
                     "%.3f | %.1f%s |" % (
                         net, f"{n['cycles']:,}", f"{d['cycles']:,}", f"{o['cycles']:,}",
                         f"{r['cycles']:,}", mark, 100 * gap,
                         100 * (o["cycles"] / r["cycles"] - 1), n["cycles"] / d["cycles"],
                         len(d["groups"]), len(r["groups"]), d["search_seconds"],
                         o["search_seconds"], r["search_seconds"], mark))
    text = "\n".join(lines) + "\n\n"
    if unfinished:
        text += ("\\* The oracle did not finish within %d s on %s; its cells are the oracle "
                 "judging only the cost model's %d best partitions (`--judge-best %d`), which "
                 "gives the oracle's cycles on %d of the %d networks where both finish.\n\n" % (
                     ORACLE_TIMEOUT, ", ".join(unfinished), BEST, BEST, sum(agree), len(agree)))
    elif agree:
        text += ("The oracle judging only the cost model's %d best partitions (`--judge-best "
                 "%d`) gives the oracle's cycles on %d of %d networks.\n\n" % (
                     BEST, BEST, sum(agree), len(agree)))
    if gaps:
        text += ("dlfusion's cycles over the oracle's: %+.1f %% to %+.1f %%, within 5 %% on %d of "
                 "%d; its search time at most %.1f %% of the oracle's." % (
                     100 * min(gaps), 100 * max(gaps), sum(g <= 0.05 for g in gaps), len(gaps),
                     100 * max(ratios)))
    text += "\n"
    command = "/usr/bin/python3 scripts/dlfusion_calibrate.py --fusim build/app/fusim --docs"
    if nets != DOC_NETS:
        command += " --nets " + ",".join(nets)
    dt.replace_block("docs/dlfusion.md", "dlfusion", command, text)
    print(text, end="")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build/app/fusim"))
    ap.add_argument("--arch", help="architecture to calibrate")
    ap.add_argument("-o", "--output", help="calibration file to write")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--macs-buckets", type=int, metavar="K",
                    help="measure only the K smallest operation-count buckets (a smaller grid; "
                         "the tuner takes the nearest measured cell above them)")
    ap.add_argument("--docs", action="store_true", help="regenerate docs/dlfusion.md's table")
    ap.add_argument("--nets", default=",".join(DOC_NETS),
                    help="with --docs: the networks (workloads/NAME.yaml), comma-separated")
    a = ap.parse_args()
    if a.docs:
        docs_table(a.fusim, a.jobs, a.nets.split(","))
        return
    if not a.arch or not a.output:
        ap.error("--arch and -o are required (or --docs)")
    command = ("/usr/bin/python3 scripts/dlfusion_calibrate.py --fusim build/app/fusim --arch %s "
               "-o %s" % (os.path.relpath(a.arch, ROOT), os.path.relpath(a.output, ROOT)))
    if a.macs_buckets:
        command += " --macs-buckets %d" % a.macs_buckets
    cores, cells, name = calibrate(a.fusim, a.arch, a.jobs, a.macs_buckets)
    write_table(a.output, command, name, cores, cells)
    print("dlfusion_calibrate: wrote %s (%s cells)" % (
        a.output, ", ".join("%d %s" % (len(cells.get(k, [])), k) for k in SINGLES + FUSED)))


if __name__ == "__main__":
    main()
