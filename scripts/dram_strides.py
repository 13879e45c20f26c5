#!/usr/bin/python3
"""How the DRAM's address hash serves many weight streams, over the strides between them.

One fc layer of 4,096 outputs and N inputs, run alone on the 32 cores of configs/mlu.yaml
(`--fusion none --cores 32`): each core streams its slice of the weights, 128 output channels
of N weights and a bias, (N + 1) x 128 bytes, so the 32 streams start one slice apart. For
every N and every dram.address_hash (none, xor, mix), prints the bytes moved off chip per cycle
(the four channels' peak is 102.4) and the row conflicts, as a Markdown table. With --docs, the table replaces the one between
the dram-strides markers in docs/dram.md.

    scripts/build.sh && /usr/bin/python3 scripts/dram_strides.py [--docs]

Runs 3 x 15 simulations, two at a time (about 15 s on two cores).
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
                    "--out", out, "--quiet"], check=True)
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        r = json.load(f)
    moved = r["offchip_read_bytes"] + r["offchip_write_bytes"]
    conflicts = sum(c["row_conflicts"] for c in r["dram_channels"])
    return inputs, hash_, moved / r["cycles"], conflicts


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
    rows = {}
    with tempfile.TemporaryDirectory() as work, \
            concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for n in args.inputs:
            write_net(work, n)
        jobs = [pool.submit(run, args.fusim, work, n, h) for n in args.inputs for h in args.hashes]
        for j in jobs:
            n, h, rate, conflicts = j.result()
            rows.setdefault(n, {})[h] = (rate, conflicts)
    table = pd.DataFrame([
        {"inputs": "{:,}".format(n),
         "slice per core (bytes)": "{:,}".format((n + 1) * OUTPUTS // 32),
         **{"%s B/cycle" % h: round(rows[n][h][0], 1) for h in args.hashes},
         **{"%s row conflicts" % h: "{:,}".format(rows[n][h][1]) for h in args.hashes}}
        for n in args.inputs])
    summary = pd.DataFrame([{"hash": h,
                             "min B/cycle": round(min(rows[n][h][0] for n in args.inputs), 1),
                             "median B/cycle": round(float(pd.Series(
                                 [rows[n][h][0] for n in args.inputs]).median()), 1),
                             "max B/cycle": round(max(rows[n][h][0] for n in args.inputs), 1)}
                            for h in args.hashes])
    text = (docs_table.markdown_table(table, 1) + "\n" + docs_table.markdown_table(summary, 1))
    print(text)
    if args.docs:
        docs_table.replace_block("docs/dram.md", "dram-strides",
                                 "/usr/bin/python3 scripts/dram_strides.py --docs", text)


if __name__ == "__main__":
    main()
