#!/usr/bin/python3
"""Fusing complex operators or not (--fusion-policy simple | complex, CORF): cycles and off-chip
bytes of pairs of complex operators and of the shipped networks, from real fusim runs; prints
Markdown tables, or with --docs replaces the block between the fusion-policy markers in
docs/fusion.md.

For each workload on configs/mlu.yaml and configs/eyeriss.yaml: layer by layer (`--fusion
none`), then the default search (`optimal`) under `--fusion-policy simple` (a conv, fc or gemm
fuses only with the cheaper layers after it, as TVM's default) and under `complex` (the
default: any group), and under `complex` with `--input-centric off` (no pair of complex
operators run input-centric: what CORF's execution adds). The pairs are written here: conv
pairs 3x3->3x3, 1x1->3x3 and 3x3->1x1 at three sizes, a 3x3->3x3 pair with a 1,024-channel
consumer (whose partial sums do not fit on chip), and BERT-base's FFN (gemm -> GELU -> gemm) and
attention (QK^T -> softmax -> xV, 12 heads) at sequence lengths 128 and 512. Each pair with an
input-centric pair also runs as one input-centric group, forced by a schedule file without
commands (`--schedule-in`; on the most cores of the config, halving until the group fits), to
show what CORF's execution costs where the search would not pick it, partial sums spilled
included.

    /usr/bin/python3 scripts/policy_table.py [--fusim build/app/fusim] [--docs] [-j N]
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

import pandas as pd
import yaml

from docs_table import markdown_table, replace_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = ["mlu", "eyeriss"]
# Every shipped network (workloads/*.yaml) but the two tiny test graphs and BERT-base's single
# layer (bert_base holds twelve of them).
NOT_NETS = {"tiny_chain", "tiny_dag", "bert_base_layer"}
NETS = sorted(os.path.splitext(f)[0] for f in os.listdir(os.path.join(ROOT, "workloads"))
              if f.endswith(".yaml") and os.path.splitext(f)[0] not in NOT_NETS)
RUNS = [("none", ["--fusion", "none"]),
        ("simple", ["--fusion", "optimal", "--fusion-policy", "simple"]),
        ("complex", ["--fusion", "optimal", "--fusion-policy", "complex"]),
        ("complex, tiled", ["--fusion", "optimal", "--fusion-policy", "complex",
                            "--input-centric", "off"])]


def conv(name, k, channels, act=True):
    layer = {"name": name, "type": "conv", "out_channels": channels, "kernel": k,
             "padding": k // 2, "bias": True}
    if act:
        layer["activation"] = "relu"
    return layer


def pairs():
    """The pair workloads: name -> network (fusim's format)."""
    out = {}
    for c, h in [(64, 56), (128, 28), (256, 14)]:
        for ka, kb in [(3, 3), (1, 3), (3, 1)]:
            name = f"conv{ka}x{ka}-{kb}x{kb} {c}x{h}x{h}"
            out[name] = {"name": f"pair_conv{ka}{kb}_{c}", "inputs": [{"name": "x", "shape": [c, h, h]}],
                         "layers": [conv("a", ka, c), conv("b", kb, c, act=False)]}
    out["conv3x3-3x3 64x56x56 -> 1024"] = {
        "name": "pair_conv33_64_wide", "inputs": [{"name": "x", "shape": [64, 56, 56]}],
        "layers": [conv("a", 3, 64), conv("b", 3, 1024, act=False)]}
    for s in [128, 512]:
        out[f"bert ffn S={s}"] = {
            "name": f"pair_ffn_{s}", "inputs": [{"name": "x", "shape": [768, s, 1]}],
            "layers": [{"name": "ffn_in", "type": "gemm", "m": s, "n": 3072, "k": 768,
                        "bias": True, "activation": "gelu"},
                       {"name": "ffn_out", "type": "gemm", "m": s, "n": 768, "k": 3072,
                        "bias": True}]}
        out[f"bert attention S={s}"] = {
            "name": f"pair_attention_{s}",
            "inputs": [{"name": n, "shape": [768, s, 1]} for n in ("q", "k", "v")],
            "layers": [{"name": "scores", "type": "gemm", "inputs": ["q", "k"], "m": s, "n": s,
                        "k": 64, "heads": 12, "transpose_b": True},
                       {"name": "softmax", "type": "softmax", "groups": 12, "scale": 0.125},
                       {"name": "context", "type": "gemm", "inputs": ["softmax", "v"], "m": s,
                        "n": 64, "k": s, "heads": 12}]}
    return out


def run(fusim, net, config, args, refused_ok=False):
    with tempfile.TemporaryDirectory() as out:
        cmd = [fusim, "--arch", os.path.join(ROOT, "configs", config + ".yaml"), "--net", net,
               "--quiet", "--out", out, "--out-program", "off"] + args
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode == 2 and refused_ok:
            return None
        if p.returncode != 0:
            raise SystemExit(f"policy_table: {' '.join(cmd)} failed: {p.stderr.strip()}")
        with open(os.path.join(out, "report.json")) as f:
            r = json.load(f)
    groups = r["groups"]
    mappings = sorted({g["mapping"] for g in groups if len(g["layers"]) > 1})
    return {"cycles": r["cycles"],
            "MB": (r["offchip_read_bytes"] + r["offchip_write_bytes"]) / 1e6,
            "psum MB": (r["offchip_psum_read_bytes"] + r["offchip_psum_write_bytes"]) / 1e6,
            "groups": len(groups), "mappings": "+".join(mappings) or "-",
            "cores": max(g["cores"] for g in groups)}


def forced_input_centric(fusim, tmp, net, config):
    """The pair `net` (fusim's format) as one input-centric group, on the most cores of the
    config it fits (halving from all of them), or None when it fits none."""
    with open(os.path.join(ROOT, "configs", config + ".yaml")) as f:
        cores = yaml.safe_load(f)["cores"]["count"]
    path = os.path.join(tmp, f"{net['name']}.{config}.groups.yaml")
    while cores >= 1:
        with open(path, "w") as f:
            yaml.safe_dump({"network": net["name"], "algorithm": "input-centric, forced",
                            "groups": [{"cores": cores, "mapping": "input-centric",
                                        "layers": [l["name"] for l in net["layers"]]}]},
                           f, sort_keys=False)
        r = run(fusim, os.path.join(tmp, net["name"] + ".yaml"), config,
                ["--schedule-in", path], refused_ok=True)
        if r is not None:
            return r
        cores //= 2
    return None


def table(results, forced, names):
    rows = []
    for name in names:
        for config in CONFIGS:
            r = {k: results[(name, config, k)] for k, _ in RUNS}
            rows.append({
                "workload": name, "config": config,
                "none cycles": r["none"]["cycles"],
                "simple cycles": r["simple"]["cycles"],
                "complex cycles": r["complex"]["cycles"],
                "complex vs simple %": 100.0 * (r["simple"]["cycles"] / r["complex"]["cycles"] - 1),
                "no input-centric cycles": r["complex, tiled"]["cycles"],
                "input-centric gain %":
                    100.0 * (r["complex, tiled"]["cycles"] / r["complex"]["cycles"] - 1),
                "none MB": r["none"]["MB"], "simple MB": r["simple"]["MB"],
                "complex MB": r["complex"]["MB"],
                "simple groups": r["simple"]["groups"], "complex groups": r["complex"]["groups"],
                "complex fused as": r["complex"]["mappings"]})
        for row in rows[-len(CONFIGS):]:
            f = forced.get((name, row["config"]))
            row["forced input-centric cycles"] = f["cycles"] if f else "-"
            row["forced cores"] = f["cores"] if f else "-"
            row["forced MB"] = f["MB"] if f else "-"
            row["forced psum spilled MB"] = f["psum MB"] if f else "-"
    return pd.DataFrame(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build/app/fusim"))
    ap.add_argument("--docs", action="store_true", help="rewrite the block in docs/fusion.md")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, net in pairs().items():
            path = os.path.join(tmp, net["name"] + ".yaml")
            with open(path, "w") as f:
                yaml.safe_dump(net, f, sort_keys=False)
            files[name] = path
        for n in NETS:
            files[n] = os.path.join(ROOT, "workloads", n + ".yaml")
        jobs = [(name, config, k, a) for name in files for config in CONFIGS for k, a in RUNS]
        # The pairs with an input-centric pair (not attention: its gemms have no weights).
        forced_jobs = [(name, config) for name, net in pairs().items() for config in CONFIGS
                       if not name.startswith("bert attention")]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            done = pool.map(lambda j: run(args.fusim, files[j[0]], j[1], j[3]), jobs)
            results = {(j[0], j[1], j[2]): r for j, r in zip(jobs, done)}
            nets = pairs()
            done = pool.map(lambda j: forced_input_centric(args.fusim, tmp, nets[j[0]], j[1]),
                            forced_jobs)
            forced = dict(zip(forced_jobs, done))
    pair_names = [n for n in files if n not in NETS]
    pair_table = table(results, forced, pair_names)
    net_table = table(results, forced, NETS).drop(
        columns=["forced input-centric cycles", "forced cores", "forced MB",
                 "forced psum spilled MB"])
    text = ("Pairs of complex operators (cycles; off-chip MB; groups of `optimal`; how its "
            "fused groups ran; the pair forced to run as one input-centric group):\n\n" +
            markdown_table(pair_table, 2) +
            "\nShipped networks:\n\n" + markdown_table(net_table, 2))
    if not args.docs:
        sys.stdout.write(text)
        return 0
    replace_block("docs/fusion.md", "fusion-policy", "scripts/policy_table.py --docs", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
