#!/usr/bin/python3
"""fusim's detailed DRAM model against DRAMSim3 on identical access streams.

Runs every stream below through both simulators and prints (or, with --docs, writes into
docs/dram.md between the dramsim3-table markers) a Markdown table: bandwidth as % of the
channel's peak, row-hit rate and mean read latency of each, under fusim's default address
mapping and under DRAMSim3's default one (row:channel:rank:bank:bankgroup:column).

Setup, aligned on one DDR4-3200 channel of one rank (fusim's DDR4-3200 preset; DRAMSim3's
configs/DDR4_8Gb_x8_3200.ini with channel_size 8192 MB, i.e. one rank of 8 x8 devices, and the
address mapping of the case): the same timings and 8 KiB page, refresh on in both.
- DRAMSim3: its trace frontend (dramsim3main -t TRACE), one line per 64-byte burst, in the
  order the stream gives; every line at cycle 0 (its trace CPU then adds one per cycle while the
  queue has room, in order), or at its own cycle for the unloaded latency stream.
- fusim: a --schedule-in program of loads and stores of a one-layer network on an arch whose
  clock_mhz is the DRAM clock (1600 MHz, so cycles are DRAM cycles), with no interconnect
  latency, no kernel launch overhead, and DMA windows that hold a whole transfer (so a transfer's
  bursts all wait at the controller, as the trace's do).
- Bandwidth: over whole epochs of 1,000 cycles up to the last one in which data moved (that last,
  partial one excluded), bytes moved / time, over the peak 16 B per cycle; the same measure for
  both (fusim's dram_channels[].epoch_bytes, DRAMSim3's epoch read and write commands).
- Row-hit rate: column commands that found their row open / all column commands.
- Read latency: mean, in DRAM cycles, from a read's entry into the controller's read queue to the
  end of its data (fusim: dram_channels[].read_latency_mean; DRAMSim3: average_read_latency).

Usage (DRAMSim3 is not fetched or built by this script; build it once with CMake):
    git clone https://github.com/umd-memsys/DRAMsim3 /tmp/DRAMsim3   # or any snapshot
    cmake -S /tmp/DRAMsim3 -B /tmp/DRAMsim3/build -DCMAKE_BUILD_TYPE=Release
    cmake --build /tmp/DRAMsim3/build -j2
    scripts/build.sh && /usr/bin/python3 scripts/dram_vs_dramsim3.py \\
        --dramsim3 /tmp/DRAMsim3 [--docs]

--dramsim3 is the DRAMSim3 source tree (its build/dramsim3main and configs/ are used) or the
dramsim3main binary itself (then configs/ is looked for next to its build directory, or give
--dramsim3-config). Needs pandas and PyYAML (Debian: python3-pandas, python3-yaml).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import pandas as pd
import yaml

from docs_table import replace_block

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BURST = 64            # bytes per burst (64-bit bus, BL8)
PEAK = 16.0           # bytes per DRAM cycle (64 B per 4 cycles)
EPOCH = 1000          # DRAM cycles per epoch of the bandwidth measure
CLOCK_MHZ = 1600      # DDR4-3200: tCK 0.625 ns
FUSIM_DEFAULT_MAPPING = "row:bank:rank:column:bankgroup:channel"
DRAMSIM3_MAPPING = "row:channel:rank:bank:bankgroup:column"
MAPPINGS = [("fusim", FUSIM_DEFAULT_MAPPING), ("DRAMSim3", DRAMSIM3_MAPPING)]
DRAMSIM3_FIELD = {"row": "ro", "channel": "ch", "rank": "ra", "bank": "ba", "bankgroup": "bg",
                  "column": "co"}

KiB = 1024
MiB = 1024 * 1024
WRITE_BASE = 1 << 32  # the mixes' write region: 4 GiB up, away from the read region


# --- streams --------------------------------------------------------------------------------
# A stream: per core, a list of transfers {op: load|store, addr, bytes[, piece, stride]}; the
# bursts of a core's transfers reach memory in list order; cores interleave transfer by
# transfer. `chained`: each core's transfers run one after another (a store waits for the load
# before it, a load for the store before it, which is done once the write queue holds its
# writes), so a core's read:write mix holds over time.
# `spacing`: the unloaded stream, one single-burst read every `spacing` cycles.

def xfer(op, addr, nbytes, piece=None, stride=None):
    t = {"op": op, "addr": addr, "bytes": nbytes}
    if piece is not None:
        t["piece"], t["stride"] = piece, stride
    return t


def sequential(total):
    return {"cores": [[xfer("load", 0, total)]]}


def strided(piece, stride, count):
    return {"cores": [[xfer("load", 0, piece * count, piece, stride)]]}


def random_reads(cores, per_core, seed=1):
    rng = random.Random(seed)
    space = 8 << 30  # one rank: 8 GiB
    return {"cores": [[xfer("load", rng.randrange(space // BURST) * BURST, BURST)
                       for _ in range(per_core)] for _ in range(cores)]}


def mix(cores, read_chunk, write_chunk, chunks):
    """A read region and a write region, each read or written in order, chunk by chunk: read
    chunk j, then write chunk j. Chunk j goes to core j mod cores (so that one core's wait for its
    load to finish does not stall the stream); each core alternates its read and write chunks."""
    out = [[] for _ in range(cores)]
    for j in range(chunks):
        out[j % cores].append(xfer("load", j * read_chunk, read_chunk))
        out[j % cores].append(xfer("store", WRITE_BASE + j * write_chunk, write_chunk))
    return {"cores": out, "chained": True}


def unloaded(count, spacing, seed=2):
    rng = random.Random(seed)
    space = 8 << 30
    return {"cores": [[xfer("load", rng.randrange(space // BURST) * BURST, BURST)
                       for _ in range(count)]], "spacing": spacing}


STREAMS = [
    ("sequential reads, 16 MiB", lambda: sequential(16 * MiB)),
    ("strided reads, 64 B every 256 B", lambda: strided(BURST, 256, 65536)),
    ("strided reads, 64 B every 8 KiB (16,384 reads)", lambda: strided(BURST, 8 * KiB, 16384)),
    ("random 64 B reads, 64 cores x 512", lambda: random_reads(64, 512)),
    ("read:write 1:1 in 64 KiB chunks", lambda: mix(2, 64 * KiB, 64 * KiB, 128)),
    ("read:write 2:1 in 4/2 KiB chunks", lambda: mix(2, 4 * KiB, 2 * KiB, 2048)),
    ("unloaded reads, one every 500 cycles", lambda: unloaded(1000, 500)),
]


def bursts(t):
    """The 64-byte burst addresses of a transfer, in order."""
    out = []
    if "piece" in t:
        for p in range(t["bytes"] // t["piece"]):
            a = t["addr"] + p * t["stride"]
            out.extend(range(a - a % BURST, a + t["piece"], BURST))
    else:
        a = t["addr"]
        out.extend(range(a - a % BURST, a + t["bytes"], BURST))
    return out


def trace_lines(stream):
    lines = []
    cores = stream["cores"]
    if "spacing" in stream:
        for i, t in enumerate(cores[0]):
            for a in bursts(t):
                lines.append("0x%x %s %d" % (a, "WRITE" if t["op"] == "store" else "READ",
                                             i * stream["spacing"]))
        return lines
    for i in range(max(len(c) for c in cores)):
        for c in cores:
            if i < len(c):
                kind = "WRITE" if c[i]["op"] == "store" else "READ"
                lines.extend("0x%x %s 0" % (a, kind) for a in bursts(c[i]))
    return lines


# --- fusim ----------------------------------------------------------------------------------

NETWORK = """name: dram_stream
inputs:
  - name: x
    shape: [16, 8, 8]
layers:
  - name: l
    type: conv
    out_channels: 16
    kernel: 1
    bias: false
"""


def fusim_arch(cores, mapping):
    dram = {"preset": "DDR4-3200", "channels": 1, "ranks": 1, "address_mapping": mapping,
            "epoch_cycles": EPOCH}
    big = {"capacity_bytes": 64 * MiB, "banks": 1, "bytes_per_cycle": 1e6}
    return {
        "name": "dram_vs_dramsim3", "clock_mhz": CLOCK_MHZ, "data_width_bits": 8,
        "kernel_launch_cycles": 0,
        "cores": {"count": cores, "engines": ["pe_array", "vector_unit"],
                  "pe_array": {"rows": 8, "cols": 8},
                  "vector_unit": {"lanes": 1, "latency_cycles": 0},
                  "dma": {"outstanding_bursts": 65536},
                  "buffers": {"input": big, "weight": big, "output": big}},
        "interconnect": {"bytes_per_cycle": 1e6, "latency_cycles": 0},
        "dram": dram,
    }


def fusim_program(stream):
    cores = []
    for lst in stream["cores"]:
        cmds = []
        if "spacing" in stream:
            # Computes of `spacing` cycles back to back on the vector unit; load i waits for the
            # i-th, so it issues at i * spacing.
            for i in range(len(lst)):
                cmds.append({"op": "compute", "layer": "l", "bytes": 1, "unit": "vector",
                             "ops": stream["spacing"] if i else 0})
        base = len(cmds)
        for i, t in enumerate(lst):
            c = {"op": t["op"], "layer": "l", "addr": t["addr"], "bytes": t["bytes"]}
            c.update({"kind": "ifmap", "buffer": "input"} if t["op"] == "load"
                     else {"kind": "ofmap", "buffer": "output"})
            if "piece" in t:
                c["piece"], c["stride"] = t["piece"], t["stride"]
            deps = []
            if "spacing" in stream:
                deps.append(i)
            if stream.get("chained"):
                if t["op"] == "store" and i >= 1:
                    deps.append(base + i - 1)
                if t["op"] == "load" and i >= 1:
                    deps.append(base + i - 1)  # the store before it
            if deps:
                c["deps"] = deps
            cmds.append(c)
        cmds.append({"op": "sync"})
        cores.append({"commands": cmds})
    return {"network": "dram_stream", "algorithm": "none",
            "groups": [{"cores": len(cores), "layers": ["l"]}], "cores": cores}


def run_fusim(fusim, stream, mapping, tmp, overrides=()):
    ncores = len(stream["cores"])
    arch = os.path.join(tmp, "arch.yaml")
    net = os.path.join(tmp, "net.yaml")
    prog = os.path.join(tmp, "program.yaml")
    out = os.path.join(tmp, "out")
    with open(arch, "w") as f:
        yaml.safe_dump(fusim_arch(ncores, mapping), f)
    with open(net, "w") as f:
        f.write(NETWORK)
    with open(prog, "w") as f:
        yaml.safe_dump(fusim_program(stream), f, default_flow_style=None, width=200)
    argv = [fusim, "--arch", arch, "--net", net, "--schedule-in", prog, "--quiet", "--out", out]
    for o in overrides:
        argv += ["-p", o]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("dram_vs_dramsim3: fusim failed: %s\n%s" % (" ".join(argv), proc.stderr))
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    ch = rep["dram_channels"][0]
    cols = ch["reads"] + ch["writes"]
    return {"bw": bandwidth(ch["epoch_bytes"]),
            "hits": 100.0 * ch["row_hits"] / cols if cols else float("nan"),
            "lat": ch.get("read_latency_mean", float("nan"))}


def bandwidth(epoch_bytes):
    """% of peak over the whole epochs before the last one in which data moved."""
    last = max((i for i, b in enumerate(epoch_bytes) if b > 0), default=0)
    if last == 0:
        return 100.0 * epoch_bytes[0] / (EPOCH * PEAK) if epoch_bytes else float("nan")
    return 100.0 * sum(epoch_bytes[:last]) / (last * EPOCH * PEAK)


# --- DRAMSim3 -------------------------------------------------------------------------------

def dramsim3_config(template, mapping, out):
    code = "".join(DRAMSIM3_FIELD[f] for f in mapping.split(":"))
    lines = []
    with open(template) as f:
        for line in f:
            key = line.split("=")[0].strip()
            if key == "channel_size":
                line = "channel_size = 8192\n"   # one rank of 8 x8 8 Gb devices
            elif key == "address_mapping":
                line = "address_mapping = %s\n" % code
            elif key == "epoch_period":
                line = "epoch_period = %d\n" % EPOCH
            elif key == "output_level":
                line = "output_level = 1\n"
            lines.append(line)
    with open(out, "w") as f:
        f.writelines(lines)


def run_dramsim3(binary, template, stream, mapping, tmp):
    cfg = os.path.join(tmp, "dramsim3.ini")
    trace = os.path.join(tmp, "trace.txt")
    dramsim3_config(template, mapping, cfg)
    lines = trace_lines(stream)
    with open(trace, "w") as f:
        f.write("\n".join(lines) + "\n")
    last_cycle = max(int(l.split()[2]) for l in lines)
    cycles = last_cycle + len(lines) * 4 * 4 + 20 * EPOCH
    while True:
        outdir = os.path.join(tmp, "ds3")
        os.makedirs(outdir, exist_ok=True)
        for name in os.listdir(outdir):
            os.remove(os.path.join(outdir, name))
        proc = subprocess.run([binary, cfg, "-c", str(cycles), "-t", trace, "-o", outdir],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("dram_vs_dramsim3: DRAMSim3 failed:\n%s%s" % (proc.stdout, proc.stderr))
        with open(os.path.join(outdir, "dramsim3epoch.json")) as f:
            epochs = json.load(f)
        cmds = [e["num_read_cmds"] + e["num_write_cmds"] for e in epochs]
        # Finished when the trace is consumed and the last epochs moved nothing (writes the
        # controller keeps in its buffer (8 or fewer) never drain; they are left out).
        if len(cmds) >= 3 and cmds[-1] == 0 and cmds[-2] == 0:
            break
        cycles *= 2
    with open(os.path.join(outdir, "dramsim3.json")) as f:
        final = json.load(f)
    final = final["0"] if "0" in final else final
    cols = final["num_read_cmds"] + final["num_write_cmds"]
    hits = final["num_read_row_hits"] + final["num_write_row_hits"]
    return {"bw": bandwidth([c * BURST for c in cmds]),
            "hits": 100.0 * hits / cols if cols else float("nan"),
            "lat": final["average_read_latency"]}


# --- table ----------------------------------------------------------------------------------

def markdown(df):
    """A pandas DataFrame as a Markdown table (text columns left, numbers right)."""
    cols = list(df.columns)
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in cols]
    fmt = {c: (lambda v: "-" if pd.isna(v) else "%.1f" % v) for c in cols}
    lines = ["| " + " | ".join(cols) + " |",
             "| " + " | ".join("---:" if n else "---" for n in numeric) + " |"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(fmt[c](row[c]) if n else str(row[c])
                                       for c, n in zip(cols, numeric)) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dramsim3", required=True,
                    help="DRAMSim3 source tree with build/dramsim3main, or the binary")
    ap.add_argument("--dramsim3-config", help="DDR4_8Gb_x8_3200.ini (default: from the tree)")
    ap.add_argument("--build-dir", default=os.environ.get("FUSIM_BUILD_DIR", "build"))
    ap.add_argument("--filter", default="", help="only streams whose name contains this")
    ap.add_argument("-p", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="an arch override for fusim's runs (repeatable), e.g. "
                         "-p dram.write_drain=batch")
    ap.add_argument("--docs", action="store_true", help="rewrite the table in docs/dram.md")
    args = ap.parse_args()

    build = args.build_dir if os.path.isabs(args.build_dir) else os.path.join(REPO, args.build_dir)
    fusim = os.path.join(build, "app", "fusim")
    if not os.access(fusim, os.X_OK):
        sys.exit("dram_vs_dramsim3: %s not found; build first with scripts/build.sh" % fusim)
    ds3 = os.path.abspath(args.dramsim3)
    if os.path.isdir(ds3):
        tree, binary = ds3, os.path.join(ds3, "build", "dramsim3main")
    else:
        binary = ds3
        tree = os.path.dirname(os.path.dirname(binary))
    template = args.dramsim3_config or os.path.join(tree, "configs", "DDR4_8Gb_x8_3200.ini")
    if not os.access(binary, os.X_OK):
        sys.exit("dram_vs_dramsim3: no DRAMSim3 binary at %s (build it with CMake first)" % binary)
    if not os.path.isfile(template):
        sys.exit("dram_vs_dramsim3: no %s (give --dramsim3-config)" % template)

    rows = []
    for name, make in STREAMS:
        if args.filter not in name:
            continue
        stream = make()
        for label, mapping in MAPPINGS:
            with tempfile.TemporaryDirectory() as tmp:
                f = run_fusim(fusim, stream, mapping, tmp, args.overrides)
                d = run_dramsim3(binary, template, stream, mapping, tmp)
            loaded = "spacing" not in stream
            rows.append({
                "stream": name, "mapping": label,
                "fusim % of peak": f["bw"] if loaded else float("nan"),
                "DRAMSim3 % of peak": d["bw"] if loaded else float("nan"),
                "difference (points)": f["bw"] - d["bw"] if loaded else float("nan"),
                "fusim row hits %": f["hits"], "DRAMSim3 row hits %": d["hits"],
                "fusim read latency": f["lat"], "DRAMSim3 read latency": d["lat"]})
            if not args.docs:
                r = rows[-1]
                print("%-45s %-9s bw %5.1f / %5.1f  hits %5.1f / %5.1f  lat %6.1f / %6.1f" % (
                    name, label, r["fusim % of peak"], r["DRAMSim3 % of peak"],
                    r["fusim row hits %"], r["DRAMSim3 row hits %"], r["fusim read latency"],
                    r["DRAMSim3 read latency"]), flush=True)
    df = pd.DataFrame(rows)
    table = markdown(df)
    if args.docs:
        replace_block("docs/dram.md", "dramsim3-table",
                      "scripts/dram_vs_dramsim3.py --dramsim3 DIR --docs", table)
    else:
        sys.stdout.write("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
