#!/usr/bin/python3
"""Writes synthetic networks in fusim's format, for scale and robustness tests.

  gen_synthetic.py chain --layers 10000 -o chain.yaml
  gen_synthetic.py dag --layers 2000 --branches 4 -o dag.yaml
  gen_synthetic.py densenet --layers 3 --blocks 2 --channels 64 --size 56 -o densenet.yaml

chain: N 3x3 convolutions (padding 1, ReLU) one after the other on a [C, H, W] input.
dag:   blocks of a 1x1 stem conv, `branches` parallel branches (1x1 conv, 3x3 conv, 3x3 max pool
       with stride 1, repeated in that order), a concat of the branches, a 1x1 conv back to C
       channels and a residual add with the block's input; the last block is cut so that the
       network has exactly N layers (its tail reads the last layer written).
densenet: DenseNet's dense connectivity: a 3x3 stem conv to C channels, then `blocks` dense
       blocks of N layers each; layer i of a block is a 3x3 conv (growth channels) of the concat
       of the block's input and every earlier layer's output, and the block's output is the
       concat of all of them. Between blocks a transition: a 1x1 conv to C channels and a 2x2
       average pool. 1 + 2*N*blocks + 2*(blocks-1) layers.
The same arguments give the same bytes.
"""
import argparse
import sys


def chain(n, c, h, w):
    out = [f"name: synthetic_chain_{n}", "inputs:", f"  - name: x", f"    shape: [{c}, {h}, {w}]",
           "layers:"]
    for i in range(n):
        out.append(f"  - {{name: conv{i}, type: conv, out_channels: {c}, kernel: 3, padding: 1, "
                   f"activation: relu}}")
    return out


def dag(n, branches, c, h, w):
    out = [f"name: synthetic_dag_{n}_{branches}", "inputs:", "  - name: x",
           f"    shape: [{c}, {h}, {w}]", "layers:"]
    layers = []
    prev = "x"  # the block input (a network input or the previous block's add)
    b = 0
    bc = max(1, c // branches)  # channels per branch
    while len(layers) < n:
        stem = f"b{b}_stem"
        block = [f"{{name: {stem}, type: conv, inputs: [{prev}], out_channels: {c}, kernel: 1, "
                 f"activation: relu}}"]
        names = []
        cat_channels = 0
        for k in range(branches):
            name = f"b{b}_br{k}"
            kind = k % 3
            if kind == 0:
                block.append(f"{{name: {name}, type: conv, inputs: [{stem}], out_channels: {bc}, "
                             f"kernel: 1, activation: relu}}")
                cat_channels += bc
            elif kind == 1:
                block.append(f"{{name: {name}, type: conv, inputs: [{stem}], out_channels: {bc}, "
                             f"kernel: 3, padding: 1, activation: relu}}")
                cat_channels += bc
            else:
                block.append(f"{{name: {name}, type: pool, inputs: [{stem}], mode: max, "
                             f"kernel: 3, stride: 1, padding: 1}}")
                cat_channels += c
            names.append(name)
        block.append(f"{{name: b{b}_cat, type: concat, inputs: [{', '.join(names)}]}}")
        block.append(f"{{name: b{b}_proj, type: conv, inputs: [b{b}_cat], out_channels: {c}, "
                     f"kernel: 1}}")
        block.append(f"{{name: b{b}_add, type: add, inputs: [{prev}, b{b}_proj], "
                     f"activation: relu}}")
        if prev == "x":  # the first block has no residual partner of the same shape
            block[-1] = f"{{name: b{b}_add, type: add, inputs: [{stem}, b{b}_proj], activation: relu}}"
        layers.extend(block)
        prev = f"b{b}_add"
        b += 1
    # Cut to exactly n layers: every kept layer reads only layers defined before it, and a cut
    # inside a block leaves branches that simply end the network.
    out.extend("  - " + l for l in layers[:n])
    return out


def densenet(n, blocks, growth, c, h, w):
    out = [f"name: synthetic_densenet_{blocks}x{n}", "inputs:", "  - name: x",
           f"    shape: [3, {h}, {w}]", "layers:",
           f"  - {{name: stem, type: conv, inputs: [x], out_channels: {c}, kernel: 3, "
           f"padding: 1, activation: relu}}"]
    prev = "stem"
    for b in range(blocks):
        if b > 0:
            out.append(f"  - {{name: t{b}_conv, type: conv, inputs: [{prev}], out_channels: {c}, "
                       f"kernel: 1, activation: relu}}")
            out.append(f"  - {{name: t{b}_pool, type: pool, inputs: [t{b}_conv], mode: avg, "
                       f"kernel: 2, stride: 2}}")
            prev = f"t{b}_pool"
        feats = [prev]
        reads = prev  # the first layer reads the block input itself
        for i in range(n):
            name = f"b{b}_l{i}"
            out.append(f"  - {{name: {name}, type: conv, inputs: [{reads}], out_channels: {growth}, "
                       f"kernel: 3, padding: 1, activation: relu}}")
            feats.append(name)
            reads = f"b{b}_cat{i}"
            out.append(f"  - {{name: {reads}, type: concat, inputs: [{', '.join(feats)}]}}")
        prev = reads
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kind", choices=["chain", "dag", "densenet"])
    p.add_argument("--layers", type=int, required=True, help="densenet: layers per dense block")
    p.add_argument("--blocks", type=int, default=2, help="densenet: dense blocks")
    p.add_argument("--growth", type=int, default=32, help="densenet: channels each layer adds")
    p.add_argument("--branches", type=int, default=4, help="dag: parallel branches per block")
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--size", type=int, default=16, help="input height and width")
    p.add_argument("-o", "--out", help="output file (default: stdout)")
    a = p.parse_args()
    if min(a.layers, a.branches, a.blocks, a.growth, a.channels, a.size) < 1:
        p.error("--layers, --branches, --blocks, --growth, --channels and --size must be positive")
    if a.kind == "chain":
        lines = chain(a.layers, a.channels, a.size, a.size)
    elif a.kind == "dag":
        lines = dag(a.layers, a.branches, a.channels, a.size, a.size)
    else:
        lines = densenet(a.layers, a.blocks, a.growth, a.channels, a.size, a.size)
    header = [f"# Generated by scripts/gen_synthetic.py {' '.join(sys.argv[1:])}"]
    text = "\n".join(header + lines) + "\n"
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
