#!/usr/bin/python3
"""How the DRAM's address hash serves many weight streams, over the strides between them.

One fc layer of 4,096 outputs and N inputs, run alone on the 32 cores of configs/mlu.yaml
(`--fusion none --cores 32`): each core streams its slice of the weights, 128 output channels
of N weights and a bias, (N + 1) x 128 bytes, so the 32 streams start one slice apart. For
every N and every dram.address_hash (none, xor, mix), prints the bytes moved off chip per cycle
(the four channels' peak is 102.4) and the row conflicts, as a Markdown table (fusim
interleaves these weights by channel over the cores: docs/dram.md). Then the same streams
through the DRAM controller alone
(build/app/fusim_dram_streams: no compute, no interconnect), with each core's slice contiguous,
one after the other, and interleaved in 1 KiB turns.
With --docs, the tables replace those between the dram-strides markers in docs/dram.md.

    scripts/build.sh && /usr/bin/python3 scripts/dram_strides.py [--docs]

Runs 3 x 15 fusim runs and 15 of fusim_dram_streams, two at a time (about a minute on two
cores).
"""

import argparse
import concurrent.futures
import json
import os
import random
import subprocess
import sys
import tempfile

import pandas as pd
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docs_table  # noqa: E402 - scripts/docs_table.py

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HASHES = ["none", "xor", "mix"]
CHUNKS = [0, 1024]  # fusim_dram_streams' layouts: contiguous slices, 1 KiB turns
OUTPUTS = 4096
# Powers of two (slices a whole number of 512 KiB bank periods: 4,096 inputs), the fc inputs
# of the shipped networks (9,216 AlexNet, 25,088 VGG), and sizes in between.
INPUTS = [4096, 6144, 8192, 9216, 10240, 12544, 16384, 20480, 24576, 25088, 25600, 32768,
          36864, 40960, 50176]


def write_net(work, inputs):
    with open(os.path.join(work, "fc%d.yaml" % inputs), "w", encoding="utf-8") as f:
        yaml.safe_dump({"name": "fc%d" % inputs,
                        "inputs": [{"name": "x", "shape": [inputs, 1, 1]}],
                        "layers": [{"name": "fc", "type": "fc", "out_features": OUTPUTS,
                                    "bias": True}]}, f, sort_keys=False)


def run(fusim, work, inputs, hash_):
    net = os.path.join(work, "fc%d.yaml" % inputs)
    out = os.path.join(work, "out-%d-%s" % (inputs, hash_))
    subprocess.run([fusim, "--arch", os.path.join(REPO, "configs/mlu.yaml"), "--net", net,
                    "--fusion", "none", "--cores", "32", "-p", "dram.address_hash=" + hash_,
                    "--out", out, "--out-program", "off", "--quiet"], check=True)
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        r = json.load(f)
    moved = r["offchip_read_bytes"] + r["offchip_write_bytes"]
    conflicts = sum(c["row_conflicts"] for c in r["dram_channels"])
    return inputs, hash_, moved / r["cycles"], conflicts


def run_alone(streams_tool, inputs, hashes):
    """fusim_dram_streams: the same streams through the DRAM controller alone, each core's slice
    contiguous and interleaved in 1 KiB turns, under every hash."""
    out = subprocess.run([streams_tool, "--arch", os.path.join(REPO, "configs/mlu.yaml"),
                          "--hash", ",".join(hashes), "--chunk", ",".join(map(str, CHUNKS)),
                          str(inputs)], check=True, capture_output=True, text=True).stdout
    cells = [c.strip() for c in out.strip().splitlines()[-1].strip("|").split("|")]
    rates = iter(float(c) for c in cells[1:])
    return inputs, {(h, k): next(rates) for h in hashes for k in CHUNKS}


def layout(chunk):
    return "contiguous" if chunk == 0 else "%d B turns" % chunk


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fusim", default=os.path.join(REPO, "build/app/fusim"))
    ap.add_argument("--docs", action="store_true", help="write the table into docs/dram.md")
    ap.add_argument("--inputs", type=lambda t: [int(x) for x in t.split(",")], default=INPUTS,
                    help="the fc's input counts, comma-separated (default: %(default)s)")
    ap.add_argument("--hashes", type=lambda t: t.split(","), default=HASHES,
                    help="the dram.address_hash values, comma-separated (default: %(default)s)")
    ap.add_argument("--random", type=int, metavar="N",
                    help="instead of --inputs: N input counts drawn at random (seed 7), multiples "
                         "of 64 from 4,096 to 51,200")
    args = ap.parse_args()
    if args.random:
        rng = random.Random(7)
        args.inputs = [rng.randrange(4096, 51200, 64) for _ in range(args.random)]
    if args.docs and (args.inputs != INPUTS or args.hashes != HASHES):
        sys.exit("--docs writes the default inputs and hashes only")
    rows, alone = {}, {}
    streams_tool = os.path.join(os.path.dirname(args.fusim), "fusim_dram_streams")
    with tempfile.TemporaryDirectory() as work, \
            concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for n in args.inputs:
            write_net(work, n)
        jobs = [pool.submit(run, args.fusim, work, n, h) for n in args.inputs for h in args.hashes]
        jobs_alone = [pool.submit(run_alone, streams_tool, n, args.hashes) for n in args.inputs]
        for j in jobs:
            n, h, rate, conflicts = j.result()
            rows.setdefault(n, {})[h] = (rate, conflicts)
        for j in jobs_alone:
            n, rates = j.result()
            alone[n] = rates
    table = pd.DataFrame([
        {"inputs": "{:,}".format(n),
         "slice per core (bytes)": "{:,}".format((n + 1) * OUTPUTS // 32),
         **{"%s B/cycle" % h: round(rows[n][h][0], 1) for h in args.hashes},
         **{"%s row conflicts" % h: "{:,}".format(rows[n][h][1]) for h in args.hashes}}
        for n in args.inputs])
    table_alone = pd.DataFrame([
        {"inputs": "{:,}".format(n),
         **{"%s, %s" % (h, layout(k)): round(alone[n][(h, k)], 1)
            for h in args.hashes for k in CHUNKS}}
        for n in args.inputs])

    def stats(label, rates):
        r = pd.Series(rates)
        return {"run": label, "min B/cycle": round(r.min(), 1),
                "median B/cycle": round(float(r.median()), 1), "max B/cycle": round(r.max(), 1)}
    summary = pd.DataFrame(
        [stats("fusim, " + h, [rows[n][h][0] for n in args.inputs]) for h in args.hashes] +
        [stats("controller alone, %s, %s" % (h, layout(k)), [alone[n][(h, k)] for n in args.inputs])
         for h in args.hashes for k in CHUNKS])
    text = (docs_table.markdown_table(table, 1) + "\n" +
            "The same streams through the DRAM controller alone (`fusim_dram_streams`), in bytes "
            "per cycle:\n\n" + docs_table.markdown_table(table_alone, 1) + "\n" +
            docs_table.markdown_table(summary, 1))
    print(text)
    if args.docs:
        docs_table.replace_block("docs/dram.md", "dram-strides",
                                 "/usr/bin/python3 scripts/dram_strides.py --docs", text)


if __name__ == "__main__":
    main()
