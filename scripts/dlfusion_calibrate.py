#!/usr/bin/python3
"""Calibrates the DLFusion tuner (--fusion dlfusion) for one architecture by running synthesised
layers through fusim itself, as DLFusion (Liu et al., 2020) profiled synthesised layers on the
MLU100.

  dlfusion_calibrate.py --fusim build/app/fusim --arch configs/mlu.yaml \\
      -o configs/dlfusion/mlu100.yaml
  dlfusion_calibrate.py --fusim build/app/fusim --docs      # the table of docs/dlfusion.md

The grid: per layer, its operation count (PE-array MACs, or vector-unit operations for
depthwise, pooling and element-wise layers) in buckets of factor 4 and its output channels in
buckets of factor 2 (the `*_edges` lists: bucket i holds [edge i, edge i+1), the last one is
open; values below the first edge fall in bucket 0). For every cell, at twice the bucket's lower
edge of operations and the bucket's channel count C:
  - single layers, one kind each, run with `--fusion none --cores N` for every N of
    `core_counts` (the cycles per core count and the best): `layer`, a 3x3 conv C->C (padding 1;
    1x1 when a 3x3 would need less than one pixel); `depthwise`, a 3x3 depthwise conv; `pool`, a
    3x3 stride-2 max pool; `eltwise`, an add of two CxHxW inputs. The tuner picks the row of a
    layer's kind (dense convs, FC and the rest take `layer`).
  - `conv_conv`: two 3x3 (or 1x1) convs one after the other; `bottleneck`: a 1x1 expand C->4C, a
    3x3 depthwise and a 1x1 project 4C->C (the cell's MACs are those per layer, on average). Each
    chain is run unfused (`--fusion none --cores N`; its best is the sum over layers of each
    layer's best core count) and fused (`--fusion optimal --cores N --max-group-layers K` under
    the default cycles objective; fused at N only when report.json's groups are one group of the
    whole chain on N cores, else null at N), and the cell says whether the fused chain, on its
    best core count, beat the unfused one.
A cell whose layer cannot be built (fewer MACs than one pixel of the channels, or an input over
MAX_SIDE pixels a side or MAX_ELEMENTS elements) or whose every run failed is left out; the tuner takes the nearest cell
of the same channel bucket. Needs yaml (python3-yaml).
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
CHANNEL_EDGES = [16, 32, 64, 128, 256, 512, 1024]
MAX_SIDE = 512
MAX_ELEMENTS = 1 << 22  # per input tensor (VGG's largest map is 64x224x224 = 3.2 M)
EXPAND = 4  # bottleneck expansion factor
SINGLES = ["layer", "depthwise", "pool", "eltwise"]  # single-layer kinds
CHAINS = ["conv_conv", "bottleneck"]
DOC_NETS = ["mobilenetv2", "resnet50", "vgg16", "alexnet", "googlenet", "mobilenetv1",
            "squeezenet"]


def side_for(macs, per_pixel):
    """The square side whose pixels times per_pixel come closest to macs, or None."""
    side = round(math.sqrt(macs / per_pixel))
    return side if 1 <= side <= MAX_SIDE else None


def conv(name, cin, channels, kernel, groups=1):
    pad = kernel // 2
    g = f", groups: {groups}" if groups > 1 else ""
    return (f"  - {{name: {name}, type: conv, out_channels: {channels}, kernel: {kernel}, "
            f"padding: {pad}{g}, bias: false, activation: relu}}")


def network(name, c, side, layers, inputs=("x",)):
    if c * side * side > MAX_ELEMENTS:
        return None
    head = [f"name: {name}", "inputs:"]
    for i in inputs:
        head += [f"  - name: {i}", f"    shape: [{c}, {side}, {side}]"]
    return "\n".join(head + ["layers:"] + layers) + "\n"


def cell_networks(macs, c):
    """The cell's synthesised networks: {kind: yaml text} (kinds that cannot be built left out).
    `macs` is the operation count per layer: PE-array MACs, or vector-unit operations for
    depthwise, pooling and element-wise layers (as the tuner counts them)."""
    nets = {}
    kernel = 3
    side = side_for(macs, 9 * c * c)
    if side is None:
        kernel, side = 1, side_for(macs, c * c)
    if side is not None:
        nets["layer"] = network("cal_layer", c, side, [conv("l0", c, c, kernel)])
        nets["conv_conv"] = network("cal_conv_conv", c, side,
                                    [conv("l0", c, c, kernel), conv("l1", c, c, kernel)])
    # 3x3 depthwise, stride 1: 9C operations per pixel.
    side = side_for(macs, 9 * c)
    if side is not None:
        nets["depthwise"] = network("cal_depthwise", c, side, [conv("dw", c, c, 3, groups=c)])
    # 3x3 max pool, stride 2, padding 1: 9C operations per output pixel, the input twice as wide.
    side = side_for(macs, 9 * c)
    if side is not None and 2 * side <= MAX_SIDE:
        nets["pool"] = network("cal_pool", c, 2 * side, [
            "  - {name: p0, type: pool, mode: max, kernel: 3, stride: 2, padding: 1}"])
    # Element-wise add of two inputs: C operations per pixel.
    side = side_for(macs, c)
    if side is not None:
        nets["eltwise"] = network("cal_eltwise", c, side,
                                  ["  - {name: a0, type: add, inputs: [x, y]}"], ("x", "y"))
    # 1x1 C->4C, 3x3 dw 4C, 1x1 4C->C: per pixel 4C*C + 36C + 4C*C MACs over three layers.
    e = EXPAND * c
    side = side_for(3 * macs, 2 * e * c + 9 * e)
    if side is not None:
        nets["bottleneck"] = network("cal_bottleneck", c, side,
                                     [conv("expand", c, e, 1), conv("dw", e, e, 3, groups=e),
                                      conv("project", e, c, 1)])
    return {kind: text for kind, text in nets.items() if text is not None}


def run_fusim(fusim, arch, net_text, args, quiet=True):
    """report.json of one run, or None when fusim refused it; without `quiet`, with the search's
    seconds from the summary (report.json does not hold them) as "search_seconds"."""
    with tempfile.TemporaryDirectory() as tmp:
        net = os.path.join(tmp, "net.yaml")
        with open(net, "w") as f:
            f.write(net_text)
        out = os.path.join(tmp, "out")
        r = subprocess.run([fusim, "--arch", arch, "--net", net, "--out", out] +
                           (["--quiet"] if quiet else []) + args, capture_output=True, text=True)
        if r.returncode != 0:
            return None
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        if not quiet:
            m = re.search(r"evaluated in ([0-9.]+) s", r.stdout)
            rep["search_seconds"] = float(m.group(1)) if m else 0.0
        return rep


def measure(fusim, arch, cores, kind, text):
    """Cycles per core count: unfused totals and per-group cycles, and fused totals."""
    none, groups, fused = {}, {}, {}
    n_layers = text.count("  - {name: ")
    for n in cores:
        rep = run_fusim(fusim, arch, text, ["--fusion", "none", "--cores", str(n)])
        if rep is not None:
            none[n] = rep["cycles"]
            groups[n] = [g["cycles"] for g in rep["groups"]]
        if kind in CHAINS:
            # The default (cycles) objective on N cores; fused at N only when the search made one
            # group of the whole chain (fusim has no "fuse these" switch).
            rep = run_fusim(fusim, arch, text,
                            ["--fusion", "optimal", "--cores", str(n),
                             "--max-group-layers", str(n_layers)])
            g = rep["groups"] if rep is not None else []
            if len(g) == 1 and len(g[0]["layers"]) == n_layers and g[0]["cores"] == n:
                fused[n] = rep["cycles"]
    return none, groups, fused


def calibrate(fusim, arch, jobs, macs_buckets=None):
    with open(arch) as f:
        arch_doc = yaml.safe_load(f)
    core_count = arch_doc.get("cores", {}).get("count", 1)
    cores = [n for n in CORE_COUNTS if n < core_count] + [core_count]
    work = []
    for mi, m in enumerate(MACS_EDGES[:macs_buckets]):
        for ci, c in enumerate(CHANNEL_EDGES):
            for kind, text in cell_networks(2 * m, c).items():
                work.append((mi, ci, kind, text))
    cells = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(measure, fusim, arch, cores, kind, text): (mi, ci, kind)
                   for mi, ci, kind, text in work}
        for fut in concurrent.futures.as_completed(futures):
            mi, ci, kind = futures[fut]
            none, groups, fused = fut.result()
            if not none:
                continue
            entry = {"macs_bucket": mi, "channels_bucket": ci}
            if kind in SINGLES:
                entry["cycles"] = [none.get(n) for n in cores]
                entry["best_cores"] = min(none, key=lambda n: (none[n], n))
            else:
                # Unfused: every layer on its own best core count.
                per_layer = [min(groups[n][i] for n in groups)
                             for i in range(len(next(iter(groups.values()))))]
                entry["unfused_cycles"] = sum(per_layer)
                entry["fused_cycles"] = [fused.get(n) for n in cores]
                if fused:
                    entry["best_cores"] = min(fused, key=lambda n: (fused[n], n))
                    entry["fuse"] = fused[entry["best_cores"]] < entry["unfused_cycles"]
                else:
                    entry["best_cores"] = None
                    entry["fuse"] = False
            cells.setdefault(kind, []).append(entry)
    for kind in cells:
        cells[kind].sort(key=lambda e: (e["channels_bucket"], e["macs_bucket"]))
    return cores, cells, arch_doc.get("name", os.path.splitext(os.path.basename(arch))[0])


def write_table(path, command, name, cores, cells):
    table = {"arch": name, "core_counts": cores, "macs_edges": MACS_EDGES,
             "channels_edges": CHANNEL_EDGES}
    for kind in SINGLES + CHAINS:
        table[kind] = cells.get(kind, [])
    header = ("# DLFusion calibration of arch '%s' (docs/dlfusion.md): synthesised layers and\n"
              "# chains run through fusim. Generated; do not edit by hand. Regenerate with\n"
              "#   %s\n" % (name, command))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(header + yaml.safe_dump(table, sort_keys=False, default_flow_style=None,
                                        width=100))


def docs_table(fusim, jobs):
    """The comparison block of docs/dlfusion.md on configs/mlu.yaml."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import docs_table as dt  # noqa: E402 (scripts/ is not a package)
    import time

    arch = os.path.join(ROOT, "configs/mlu.yaml")
    runs = [(net, fusion) for net in DOC_NETS for fusion in ["none", "dlfusion", "optimal"]]

    def one(case):
        net, fusion = case
        with open(os.path.join(ROOT, "workloads", net + ".yaml")) as f:
            text = f.read()
        start = time.monotonic()
        rep = run_fusim(fusim, arch, text, ["--fusion", fusion], quiet=False)
        wall = time.monotonic() - start
        if rep is None:
            sys.exit(f"dlfusion_calibrate: {net} --fusion {fusion} failed")
        return case, rep, wall

    res = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for case, rep, wall in pool.map(one, runs):
            res[case] = (rep, wall)
    lines = ["| network | none (all cores) | dlfusion | optimal | dlfusion vs none | optimal vs none "
             "| dlfusion vs optimal | dlfusion groups | optimal groups | dlfusion search s "
             "| optimal search s | dlfusion wall s | optimal wall s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
             "| ---: |"]
    gaps, speedups = [], []
    for net in DOC_NETS:
        (n, _), (d, dw), (o, ow) = (res[(net, f)] for f in ["none", "dlfusion", "optimal"])
        gap = d["cycles"] / o["cycles"] - 1
        gaps.append(gap)
        speedups.append(n["cycles"] / d["cycles"])
        lines.append("| %s | %s | %s | %s | %.2fx | %.2fx | %+.1f %% | %d | %d | %.3f | %.3f | "
                     "%.2f | %.2f |" % (
                         net, f"{n['cycles']:,}", f"{d['cycles']:,}", f"{o['cycles']:,}",
                         n["cycles"] / d["cycles"], n["cycles"] / o["cycles"], 100 * gap,
                         len(d["groups"]), len(o["groups"]), d["search_seconds"],
                         o["search_seconds"], dw, ow))
    text = "\n".join(lines) + "\n\n"
    text += ("dlfusion over none: %.2fx-%.2fx; dlfusion's cycles over optimal's: %+.1f %% to "
             "%+.1f %%.\n" % (min(speedups), max(speedups), 100 * min(gaps), 100 * max(gaps)))
    dt.replace_block("docs/dlfusion.md", "dlfusion",
                     "/usr/bin/python3 scripts/dlfusion_calibrate.py --fusim build/app/fusim "
                     "--docs", text)
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
    a = ap.parse_args()
    if a.docs:
        docs_table(a.fusim, a.jobs)
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
        a.output, ", ".join("%d %s" % (len(cells.get(k, [])), k) for k in SINGLES + CHAINS)))


if __name__ == "__main__":
    main()
