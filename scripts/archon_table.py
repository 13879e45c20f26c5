#!/usr/bin/python3
"""ARCHON in fusim against the authors' numbers: per FusioNet block and per network.

Runs fusim (build/app/fusim, or --fusim) on configs/archon.yaml, where the inverted-bottleneck
blocks run on the fused-bottleneck engine, and on configs/archon_dense.yaml, the study's dense
Eyeriss-like baseline, where every layer runs on its own, and reads layers.csv and report.json:

- per FusioNet block: the multiplications of its three layers unfused (the dense run's) and of
  the fused block (the ARCHON run's), each against its closed form (K (C/g s^2 + 9 + M/g) and
  9 C M/g per output pixel), the ratio, the fused block's additions, its simulated cycles on
  ARCHON by phase and in all against the authors' phases and their sum
  (tests/data/archon_fusionet_phases.csv, from compstruct/fusion-timeloop-model);
- per network: cycles and off-chip bytes on ARCHON and on the dense baseline, and cycles of its
  pruned copy (every conv's and fc's `weight_density` 0.2: 80 % of the weights pruned, the
  artifact's SPARSITY) on the sparse baseline, configs/archon_sparse.yaml.

    /usr/bin/python3 scripts/archon_table.py            # prints the tables
    /usr/bin/python3 scripts/archon_table.py --docs     # rewrites docs/archon.md's tables
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import pandas as pd
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import docs_table  # noqa: E402 - scripts/docs_table.py

# The CIFAR-10 networks of the study, then two ImageNet ones whose blocks the rewrite must leave
# alone (MobileNetV2's ReLU6, ShuffleNetV2's units have no expansion).
NETWORKS = ["fusionet", "mobilenetv2_cifar_mod", "mobilenetv2_cifar", "mnasnet_cifar",
            "shufflenet_cifar", "mobilenetv2", "shufflenetv2"]
CIFAR = {"fusionet", "mobilenetv2_cifar_mod", "mobilenetv2_cifar", "mnasnet_cifar",
         "shufflenet_cifar"}
GROUPS = 4  # FusioNet's pointwise groups
PRUNED_DENSITY = 0.2  # the artifact's sparse baseline prunes 80 % of the weights


def pruned(net, tmp):
    """A copy of workloads/NET.yaml with every conv's and fc's weights pruned to PRUNED_DENSITY."""
    with open(os.path.join(ROOT, "workloads", net + ".yaml"), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for layer in doc["layers"]:
        if layer["type"] in ("conv", "fc"):
            layer["weight_density"] = PRUNED_DENSITY
    path = os.path.join(tmp, net + "_pruned.yaml")
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return path


def run(fusim, config, net, out):
    path = net if net.endswith(".yaml") else os.path.join(ROOT, "workloads", net + ".yaml")
    subprocess.run([fusim, "--arch", os.path.join(ROOT, "configs", config + ".yaml"),
                    "--net", path, "--quiet", "--out", out, "--out-program", "off"], check=True,
                   stdin=subprocess.DEVNULL)
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    layers = pd.read_csv(os.path.join(out, "layers.csv"), skipinitialspace=True)
    return report, layers


def reference():
    rows = []
    with open(os.path.join(ROOT, "tests", "data", "archon_fusionet_phases.csv"),
              encoding="utf-8") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            rows.append({k: int(v) for k, v in row.items()})
    return rows


def block_table(fusim, tmp):
    _, fused = run(fusim, "archon", "fusionet", os.path.join(tmp, "a"))
    _, dense = run(fusim, "archon_dense", "fusionet", os.path.join(tmp, "d"))
    by_name = dense.set_index("name")
    out = []
    for ref in reference():
        b = ref["block"]
        c, k, m, size, s = ref["C"], ref["K"], ref["M"], ref["out"], ref["stride"]
        pixels = size * size
        names = ["b%d_expand" % b, "b%d_dw" % b, "b%d_project" % b]
        row = fused[fused["name"] == "+".join(names)].iloc[0]
        unfused = int(sum(by_name.loc[n, "multiplications"] for n in names))
        authors = ref["predict_expand"] + ref["predict_depthwise"] + ref["main"]
        out.append({
            "block": b, "C": c, "K": k, "M": m, "out": size, "stride": s,
            "mults_unfused": unfused,
            "closed_form_unfused": k * (c // GROUPS * s * s + 9 + m // GROUPS) * pixels,
            "mults_fused": int(row["multiplications"]),
            "closed_form_fused": 9 * c * m // GROUPS * pixels,
            "ratio": unfused / int(row["multiplications"]),
            "adds_fused": int(row["additions"]),
            "predict_expand": int(row["predict_expand_cycles"]),
            "authors_predict_expand": ref["predict_expand"],
            "predict_depthwise": int(row["predict_depthwise_cycles"]),
            "authors_predict_depthwise": ref["predict_depthwise"],
            "main": int(row["fused_main_cycles"]),
            "authors_main": ref["main"],
            "archon_cycles": int(row["compute_cycles"]),
            "authors_cycles": authors,
            "difference": (int(row["compute_cycles"]) - authors) / authors,
        })
    return pd.DataFrame(out)


def network_table(fusim, tmp):
    out = []
    for net in NETWORKS:
        r = {"network": net}
        for config in ("archon", "archon_dense"):
            report, layers = run(fusim, config, net, os.path.join(tmp, config + net))
            r[config + "_cycles"] = report["cycles"]
            r[config + "_offchip_MB"] = (report["offchip_read_bytes"] +
                                         report["offchip_write_bytes"]) / 1e6
            if config == "archon":
                r["fused_blocks"] = int((layers["type"] == "fused_bottleneck").sum())
        report, _ = run(fusim, "archon_sparse", pruned(net, tmp), os.path.join(tmp, "s" + net))
        r["archon_sparse_pruned_cycles"] = report["cycles"]
        out.append(r)
    df = pd.DataFrame(out)
    fusionet_archon = df.loc[df["network"] == "fusionet", "archon_cycles"].iloc[0]
    for base in ("archon_dense", "archon_sparse_pruned"):
        df["fusionet_vs_" + base] = [
            c / fusionet_archon if n in CIFAR else float("nan")
            for n, c in zip(df["network"], df[base + "_cycles"])]
    return df[["network", "fused_blocks", "archon_cycles", "archon_dense_cycles",
               "archon_sparse_pruned_cycles", "fusionet_vs_archon_dense",
               "fusionet_vs_archon_sparse_pruned", "archon_offchip_MB",
               "archon_dense_offchip_MB"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fusim", default=os.path.join(ROOT, "build", "app", "fusim"))
    ap.add_argument("--docs", action="store_true", help="rewrite docs/archon.md's tables")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        blocks = block_table(args.fusim, tmp)
        nets = network_table(args.fusim, tmp)
    if args.docs:
        cmd = "scripts/archon_table.py --docs"
        docs_table.replace_block("docs/archon.md", "archon-blocks", cmd,
                                 docs_table.markdown_table(blocks, decimals=3))
        docs_table.replace_block("docs/archon.md", "archon-networks", cmd,
                                 docs_table.markdown_table(nets, decimals=2))
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(blocks.to_string(index=False))
            print()
            print(nets.to_string(index=False))


if __name__ == "__main__":
    main()
