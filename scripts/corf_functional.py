#!/usr/bin/python3
"""Complex-operator fusion (CORF) computed on numbers: input-centric execution of a fused pair.

CORF (HPCC 2022) fuses two complex operators (conv -> conv, GEMM -> GEMM) by running the second
input-centric: each tile of the intermediate tensor, once produced, is scattered into the
partial sums of the consumer's outputs and dropped,

    out[k, p - d] += w[k, c, d] * in[c, p]        (every tap d of every input pixel p),

so only a band of the consumer's partial sums stays on chip, never the intermediate's halo.
This tool runs that loop order with numpy (float64) on random data and checks it against the
plain layer-by-layer computation, and measures what the loop keeps and does:

- conv pair x -> conv1 -> ReLU -> conv2 (any kernels, strides, paddings): the intermediate y is
  produced `--rows` rows at a time (conv1 output-centric from x), each row scattered into z's
  partial sums; a z row is stored once its last contributing y row is done. Measured: the most
  z rows live at once, and the MACs of the scatter (in-bounds taps only). Model (what a cost
  model would charge): a tile of y rows [a, a + h) holds live every z row whose contributing y
  rows [max(0, i s - p), min(H1, i s - p + r)) overlap [a, H1) and start below a + h;
- GEMM pair X -> W1 -> GELU -> W2 (a transformer's FFN): Y made in tiles of `--bm` rows x
  `--bn` columns, each tile multiplied into Z's partial sums of its rows and dropped; model:
  bm x N2 partial sums live;
- attention's Q K^T -> softmax -> x V: the softmax needs a whole row of scores before it can
  normalise it, so the tiles are query rows with every key (the row complete in one tile);
  checked as the others.

Not the simulator: fusim's cost model and simulator do not run input-centric groups yet (issue
20; docs/fusion.md says what exists). tests/scripts/test_corf_functional.py holds the loops to
the plain computation and the footprints to the model.

    /usr/bin/python3 scripts/corf_functional.py                 # the default pairs, a table
    /usr/bin/python3 scripts/corf_functional.py --rows 2 --seed 3
    /usr/bin/python3 scripts/corf_functional.py --docs          # rewrites docs/fusion.md's table
"""

import argparse
import math
import signal
import sys

import numpy as np
import pandas as pd


def conv2d(x, w, stride, pad):
    """Plain output-centric conv: x [C, H, W], w [K, C, r, r] -> [K, Ho, Wo]."""
    c, h, wd = x.shape
    k, _, r, _ = w.shape
    xp = np.zeros((c, h + 2 * pad, wd + 2 * pad))
    xp[:, pad:pad + h, pad:pad + wd] = x
    ho, wo = (h + 2 * pad - r) // stride + 1, (wd + 2 * pad - r) // stride + 1
    out = np.zeros((k, ho, wo))
    for i in range(r):
        for j in range(r):
            patch = xp[:, i:i + stride * ho:stride, j:j + stride * wo:stride]
            out += np.einsum("kc,chw->khw", w[:, :, i, j], patch)
    return out


def contributors(i, stride, pad, r, rows_in):
    """Input rows [lo, hi) whose taps reach output row i."""
    return max(0, i * stride - pad), min(rows_in, i * stride - pad + r)


def psum_rows_model(rows_out, rows_in, stride, pad, r, h):
    """Most output rows with live partial sums over tiles of h input rows (the model)."""
    spans = [contributors(i, stride, pad, r, rows_in) for i in range(rows_out)]
    best = 0
    for a in range(0, rows_in, h):
        b = min(rows_in, a + h)
        best = max(best, sum(1 for lo, hi in spans if lo < b and hi > a and hi > lo))
    return best


def conv_pair_input_centric(x, w1, s1, p1, w2, s2, p2, h):
    """conv1 output-centric in tiles of h rows of y, ReLU, then each y row scattered into z's
    partial sums (input-centric conv2). Returns z, the most z rows live, the scatter's MACs."""
    y_rows = (x.shape[1] + 2 * p1 - w1.shape[2]) // s1 + 1
    k2, c2, r2, _ = w2.shape
    y_cols = (x.shape[2] + 2 * p1 - w1.shape[3]) // s1 + 1
    ho = (y_rows + 2 * p2 - r2) // s2 + 1
    wo = (y_cols + 2 * p2 - r2) // s2 + 1
    z = np.zeros((k2, ho, wo))
    last = [contributors(i, s2, p2, r2, y_rows)[1] - 1 for i in range(ho)]
    live, most, macs = set(), 0, 0
    y_all = np.maximum(conv2d(x, w1, s1, p1), 0.0)  # the tiles below are its rows, in order
    for a in range(0, y_rows, h):
        b = min(y_rows, a + h)
        tile = y_all[:, a:b, :]  # produced now (output-centric conv1 over its x rows)
        for q in range(b - a):
            p = a + q  # intermediate row p: its taps d reach z row (p + p2 - d) / s2
            for d in range(r2):
                num = p + p2 - d
                if num % s2:
                    continue
                i = num // s2
                if not 0 <= i < ho:
                    continue
                live.add(i)
                for e in range(r2):  # columns: the same scatter along the width
                    for col in range(y_cols):
                        cn = col + p2 - e
                        if cn % s2 or not 0 <= cn // s2 < wo:
                            continue
                        z[:, i, cn // s2] += w2[:, :, d, e] @ tile[:, q, col]
                        macs += k2 * c2
        most = max(most, len(live))
        # z rows whose last contributor is done are complete: stored, their partial sums freed.
        live = {i for i in live if last[i] >= b}
    return z, most, macs


def conv_macs(k, c, r, stride, pad, rows_in, cols_in):
    """MACs of a conv counting in-bounds taps only (what a scatter performs)."""
    def taps(n_in):
        n_out = (n_in + 2 * pad - r) // stride + 1
        return sum(min(n_in, i * stride - pad + r) - max(0, i * stride - pad) for i in range(n_out))
    return k * c * taps(rows_in) * taps(cols_in)


def gelu(v):
    return 0.5 * v * (1.0 + np.vectorize(math.erf)(v / np.sqrt(2.0)))


def gemm_pair_input_centric(x, w1, w2, bm, bn):
    """Y = GELU(X W1) in bm x bn tiles, each multiplied into Z's partial sums and dropped.
    Returns Z, the MACs done and the most rows of Z's partial sums live at once."""
    m, n2 = x.shape[0], w2.shape[1]
    z = np.zeros((m, n2))
    macs = most = 0
    for a in range(0, m, bm):
        psum = np.zeros((min(m, a + bm) - a, n2))
        most = max(most, psum.shape[0])
        for j in range(0, w1.shape[1], bn):
            y = gelu(x[a:a + bm] @ w1[:, j:j + bn])
            psum += y @ w2[j:j + bn]
            macs += y.shape[0] * x.shape[1] * y.shape[1] + y.shape[0] * y.shape[1] * n2
        z[a:a + bm] = psum
    return z, macs, most


def attention_by_query_rows(q, k, v, bm):
    """softmax(Q K^T / sqrt(d)) V in tiles of bm query rows, each row of scores whole.
    Returns the output, the MACs done and the most query rows of scores live at once."""
    out = np.zeros((q.shape[0], v.shape[1]))
    macs = most = 0
    for a in range(0, q.shape[0], bm):
        s = q[a:a + bm] @ k.T / np.sqrt(q.shape[1])
        macs += s.shape[0] * q.shape[1] * s.shape[1]
        most = max(most, s.shape[0])
        s = np.exp(s - s.max(axis=1, keepdims=True))
        out[a:a + bm] = (s / s.sum(axis=1, keepdims=True)) @ v
        macs += s.shape[0] * s.shape[1] * v.shape[1]
    return out, macs, most


def conv_case(name, c0, c1, c2, size, r1, s1, p1, r2, s2, p2, h, rng):
    x = rng.standard_normal((c0, size, size))
    w1 = rng.standard_normal((c1, c0, r1, r1)) / np.sqrt(c0 * r1 * r1)
    w2 = rng.standard_normal((c2, c1, r2, r2)) / np.sqrt(c1 * r2 * r2)
    plain = conv2d(np.maximum(conv2d(x, w1, s1, p1), 0.0), w2, s2, p2)
    z, most, macs = conv_pair_input_centric(x, w1, s1, p1, w2, s2, p2, h)
    rows1 = (size + 2 * p1 - r1) // s1 + 1
    return {
        "pair": name, "rows per tile": h,
        "max abs difference": float(np.abs(z - plain).max()),
        "loop MACs": macs, "plain MACs": conv_macs(c2, c1, r2, s2, p2, rows1, rows1),
        "live psum rows": most,
        "model": psum_rows_model(plain.shape[1], rows1, s2, p2, r2, h),
        "psum bytes (int32)": most * plain.shape[2] * c2 * 4,
    }


def gemm_case(name, m, k, n1, n2, bm, bn, rng):
    x = rng.standard_normal((m, k))
    w1 = rng.standard_normal((k, n1)) / np.sqrt(k)
    w2 = rng.standard_normal((n1, n2)) / np.sqrt(n1)
    plain = gelu(x @ w1) @ w2
    z, macs, most = gemm_pair_input_centric(x, w1, w2, bm, bn)
    return {
        "pair": name, "rows per tile": bm,
        "max abs difference": float(np.abs(z - plain).max()),
        "loop MACs": macs, "plain MACs": m * k * n1 + m * n1 * n2,
        "live psum rows": most, "model": min(bm, m), "psum bytes (int32)": most * n2 * 4,
    }


def attention_case(name, s, d, bm, rng):
    q, k, v = (rng.standard_normal((s, d)) for _ in range(3))
    sc = q @ k.T / np.sqrt(d)
    e = np.exp(sc - sc.max(axis=1, keepdims=True))
    plain = (e / e.sum(axis=1, keepdims=True)) @ v
    out, macs, most = attention_by_query_rows(q, k, v, bm)
    return {
        "pair": name, "rows per tile": bm,
        "max abs difference": float(np.abs(out - plain).max()),
        "loop MACs": macs, "plain MACs": 2 * s * s * d,
        "live psum rows": most, "model": min(bm, s), "psum bytes (int32)": most * d * 4,
    }


def cases(rows, seed):
    rng = np.random.default_rng(seed)
    h = rows
    return [
        conv_case("conv 3x3 -> 3x3, 16x16", 4, 8, 8, 16, 3, 1, 1, 3, 1, 1, h, rng),
        conv_case("conv 1x1 -> 3x3, 16x16", 8, 8, 4, 16, 1, 1, 0, 3, 1, 1, h, rng),
        conv_case("conv 3x3 -> 1x1, 16x16", 4, 8, 8, 16, 3, 1, 1, 1, 1, 0, h, rng),
        conv_case("conv 3x3 -> 3x3 stride 2, 15x15", 4, 6, 6, 15, 3, 1, 1, 3, 2, 1, h, rng),
        conv_case("conv 5x5 -> 3x3 pad 0, 12x12", 3, 4, 4, 12, 5, 1, 2, 3, 1, 0, h, rng),
        gemm_case("FFN gemm -> GELU -> gemm (S 32, 16 -> 64 -> 16)", 32, 16, 64, 16, 8, 16, rng),
        attention_case("attention QK^T -> softmax -> xV (S 32, d 8)", 32, 8, 8, rng),
    ]


def main(argv=None):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=4, help="intermediate rows per tile (>= 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--docs", action="store_true",
                    help="rewrite the table in docs/fusion.md (the defaults, and rows 1 and 4)")
    args = ap.parse_args(argv)
    if args.rows < 1:
        ap.error("--rows must be at least 1")
    table = pd.DataFrame(cases(args.rows, args.seed))
    print(table.to_string(index=False))
    if args.docs:
        import docs_table  # noqa: PLC0415 - only --docs needs it (scripts/docs_table.py)
        both = pd.concat([pd.DataFrame(cases(1, args.seed)), table]).drop_duplicates()
        both["max abs difference"] = both["max abs difference"].map(lambda v: "%.1e" % v)
        docs_table.replace_block("docs/fusion.md", "corf-functional",
                                 "/usr/bin/python3 scripts/corf_functional.py --docs",
                                 docs_table.markdown_table(both))
    bad = table[(table["max abs difference"] > 1e-9) | (table["loop MACs"] != table["plain MACs"])
                | (table["live psum rows"] != table["model"])]
    if len(bad):
        print("corf_functional: %d pair(s) disagree" % len(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
