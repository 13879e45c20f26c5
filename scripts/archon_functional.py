#!/usr/bin/python3
"""The ARCHON fused dataflow computed on numbers: one inverted-bottleneck block, unfused and fused.

Olyaiy, Ng and Lis (ICS 2021, "Accelerating DNNs inference with predictive layer fusion") run a
block (1x1 expand C->K, ReLU, 3x3 depthwise, ReLU, 1x1 project K->M; batch norm folded into
each layer as a bias) as one pixel-dependent 3x3 convolution C->M:

    y[m,p] = sum_{c,r,s} x[c, p+(r,s)] Weff_p[m,c,r,s] + bias_p[m]
    Weff_p[m,c,r,s] = sum_{k: g2[k,p] = 1, g1[k,p+(r,s)] = 1} F[m,k,c,r,s]
    F[m,k,c,r,s] = W2[m,k] Wd[k,r,s] W1[k,c]              (precomputed, pruned offline)
    bias_p[m] = b2[m] + sum_{k: g2[k,p] = 1} W2[m,k] (bd[k] + b1[k] sum_{r,s: g1[k,p+(r,s)] = 1} Wd[k,r,s])

g1 and g2 are the ReLU masks of the expand and depthwise layers (1 where the value before the
ReLU is positive; 0 in the padding). This tool computes both forms with numpy (float64) on
random weights and inputs and reports how far apart they are:

- with the true masks and no pruning the two agree to rounding (the identity above);
- with masks from the cheap shadow path (ternary weights, threshold 0.7 mean|w| as in ternary
  weight networks, and inputs fake-quantised to 4 bits over [-6, 6], as in the authors'
  compstruct/fusion-ml-models), the mismatch rate of each mask and the output error;
- with F pruned to a kept fraction (--keep; the ICS'21 artifact uses 0.014 for FusioNet), the
  output error that pruning alone causes.

It also counts the work per output pixel from the computation itself: multiplications unfused
(K C/g s^2 + 9 K + M K/g for pointwise layers of g groups and stride s, on an input of even
size) and fused (one per (m, c, r, s) that a kept F entry feeds: 9 C M/g without pruning), the
additions that build Weff_p (one per surviving F entry whose two
mask bits are set), the mask ANDs (9 K) and the shadow path's additions (ternary weights:
additions, not multiplications). `--fusionet` prints the closed forms for FusioNet's 16
blocks instead. Not in the simulator's hot path; tests/scripts/test_archon_functional.py holds
it to the identity.

    /usr/bin/python3 scripts/archon_functional.py --c 16 --m 16 --k 128 --size 8
    /usr/bin/python3 scripts/archon_functional.py --fusionet
    /usr/bin/python3 scripts/archon_functional.py --docs    # rewrites docs/archon.md's tables
"""

import argparse
import signal
import sys

import numpy as np
import pandas as pd

Q4_MIN, Q4_MAX, Q4_BITS = -6.0, 6.0, 4


def grouped(rows, cols, groups, rng):
    """A dense [rows, cols] matrix of a 1x1 conv with `groups` groups (zero across groups)."""
    w = np.zeros((rows, cols))
    rg, cg = rows // groups, cols // groups
    for g in range(groups):
        w[g * rg:(g + 1) * rg, g * cg:(g + 1) * cg] = rng.standard_normal((rg, cg)) / np.sqrt(cg)
    return w


def make_block(c, m, k, groups, rng):
    """Random weights and folded-batch-norm biases of one block."""
    for n, name in ((c, "C"), (m, "M"), (k, "K")):
        if n % groups:
            raise ValueError("%s = %d is not a multiple of groups = %d" % (name, n, groups))
    return {
        "w1": grouped(k, c, groups, rng), "b1": 0.1 * rng.standard_normal(k),
        "wd": rng.standard_normal((k, 3, 3)) / 3.0, "bd": 0.1 * rng.standard_normal(k),
        "w2": grouped(m, k, groups, rng), "b2": 0.1 * rng.standard_normal(m),
        "groups": groups,
    }


def windows(t, stride, out_h, out_w):
    """t [ch, H, W] zero-padded by 1: [ch, out_h, out_w, 3, 3], the 3x3 window of each output."""
    p = np.pad(t, ((0, 0), (1, 1), (1, 1)))
    win = np.empty(t.shape[:1] + (out_h, out_w, 3, 3))
    for r in range(3):
        for s in range(3):
            win[:, :, :, r, s] = p[:, r:r + stride * (out_h - 1) + 1:stride,
                                   s:s + stride * (out_w - 1) + 1:stride]
    return win


def out_size(n, stride):
    return (n - 1) // stride + 1


def depthwise(h, wd, stride):
    oh, ow = out_size(h.shape[1], stride), out_size(h.shape[2], stride)
    return np.einsum("kijrs,krs->kij", windows(h, stride, oh, ow), wd)


def unfused(x, blk, stride):
    """The block layer by layer: y [M, Ho, Wo] and the true masks g1 [K, H, W], g2 [K, Ho, Wo]."""
    a = np.einsum("kc,cij->kij", blk["w1"], x) + blk["b1"][:, None, None]
    b = depthwise(np.maximum(a, 0), blk["wd"], stride) + blk["bd"][:, None, None]
    y = np.einsum("mk,kij->mij", blk["w2"], np.maximum(b, 0)) + blk["b2"][:, None, None]
    return y, a > 0, b > 0


def fused_weights(blk, keep):
    """F [M, K, C, 3, 3], its smallest entries zeroed so that a fraction `keep` of the non-zero
    ones stays (ties at the threshold kept)."""
    f = np.einsum("mk,krs,kc->mkcrs", blk["w2"], blk["wd"], blk["w1"])
    if keep < 1.0:
        mags = np.abs(f[f != 0])
        n_keep = max(1, int(round(keep * mags.size)))
        threshold = np.partition(mags, mags.size - n_keep)[mags.size - n_keep]
        f = np.where(np.abs(f) >= threshold, f, 0.0)
    return f


def fused(x, blk, f, g1, g2, stride):
    """The block as one pixel-dependent 3x3 conv; returns y and the work counted while doing it."""
    _, oh, ow = g2.shape
    g1w = windows(g1.astype(float), stride, oh, ow)          # [K, Ho, Wo, 3, 3]
    act = g1w * g2.astype(float)[:, :, :, None, None]        # both mask bits of (k, p, r, s)
    weff = np.einsum("mkcrs,kijrs->ijmcrs", f, act)          # Weff_p
    y = np.einsum("ijmcrs,cijrs->mij", weff, windows(x, stride, oh, ow))
    # bias_p: the folded biases through the masks (b1 enters only where g1 is set).
    through = blk["bd"][:, None, None] + blk["b1"][:, None, None] * np.einsum(
        "kijrs,krs->kij", g1w, blk["wd"])
    y += np.einsum("mk,kij->mij", blk["w2"], g2 * through) + blk["b2"][:, None, None]
    pixels = oh * ow
    alive = (f != 0).astype(float)
    counts = {
        # Each (m, c, r, s) that any kept F entry feeds is one multiplication by x per pixel,
        # whatever the masks (a PE multiplies the Weff_p it built, zero or not).
        "fused_mults": int(np.count_nonzero(np.any(f != 0, axis=1))),
        "build_adds": np.einsum("mkcrs,kijrs->", alive, act) / pixels,
        "mask_ands": 9 * g2.shape[0],
    }
    return y, counts


def ternarize(w):
    """Ternary weights as the authors train them: sign where |w| > 0.7 mean|w|, times alpha."""
    threshold = 0.7 * np.abs(w).mean()
    t = np.sign(w) * (np.abs(w) > threshold)
    alpha = np.abs(w[t != 0]).mean() if np.any(t) else 0.0
    return t, alpha


def quantise4(x):
    """tf.quantization.fake_quant_with_min_max_args(x, min=-6, max=6, num_bits=4)."""
    step = (Q4_MAX - Q4_MIN) / (2 ** Q4_BITS - 1)
    return np.round((np.clip(x, Q4_MIN, Q4_MAX) - Q4_MIN) / step) * step + Q4_MIN


def predict_masks(x, blk, stride):
    """The shadow path: g1 from ternary W1 on 4-bit x, g2 from ternary Wd on 4-bit ReLU(a').
    Returns the masks and its additions per output pixel (one per non-zero ternary weight)."""
    t1, a1 = ternarize(blk["w1"][blk["w1"] != 0])
    w1t = np.zeros_like(blk["w1"])
    w1t[blk["w1"] != 0] = t1
    a = a1 * np.einsum("kc,cij->kij", w1t, quantise4(x)) + blk["b1"][:, None, None]
    td, ad = ternarize(blk["wd"])
    b = ad * depthwise(quantise4(np.maximum(a, 0)), td, stride) + blk["bd"][:, None, None]
    pixels_in, pixels_out = a.shape[1] * a.shape[2], b.shape[1] * b.shape[2]
    adds = (np.count_nonzero(w1t) * pixels_in + np.count_nonzero(td) * pixels_out) / pixels_out
    return a > 0, b > 0, adds


def closed_form(c, m, k, groups, stride=1):
    """Multiplications per output pixel: unfused K (C/g s^2 + 9 + M/g) (the expand layer runs
    at the input's resolution, s^2 of its pixels per output pixel), fused 9 C M/g."""
    unf = k * (c // groups * stride * stride + 9 + m // groups)
    fus = 9 * c * m // groups
    return unf, fus


def run_block(c, m, k, size, stride, groups, keep, seed):
    """One block at size x size: the three comparisons and the counts, as a dict."""
    rng = np.random.default_rng(seed)
    blk = make_block(c, m, k, groups, rng)
    x = rng.standard_normal((c, size, size))
    y, g1, g2 = unfused(x, blk, stride)
    scale = np.abs(y).max()
    f_all = fused_weights(blk, 1.0)
    y_true, counts = fused(x, blk, f_all, g1, g2, stride)
    p1, p2, pred_adds = predict_masks(x, blk, stride)
    y_pred, _ = fused(x, blk, f_all, p1, p2, stride)
    f_kept = fused_weights(blk, keep)
    y_pruned, pruned_counts = fused(x, blk, f_kept, g1, g2, stride)
    unf, fus = closed_form(c, m, k, groups, stride)
    rel = lambda a: float(np.linalg.norm(a - y) / np.linalg.norm(y))  # noqa: E731
    return {
        "C": c, "M": m, "K": k, "groups": groups, "stride": stride, "size": size,
        "max_abs_error_true_masks": float(np.abs(y_true - y).max() / scale),
        "g1_survival": float(g1.mean()), "g2_survival": float(g2.mean()),
        "g1_mismatch": float((p1 != g1).mean()), "g2_mismatch": float((p2 != g2).mean()),
        "rel_error_predicted_masks": rel(y_pred),
        "keep": keep, "rel_error_pruned": rel(y_pruned),
        "unfused_mults_closed_form": unf,
        "unfused_mults_counted": (np.count_nonzero(blk["w1"]) * size * size
                                  + 9 * k * y.shape[1] * y.shape[2]
                                  + np.count_nonzero(blk["w2"]) * y.shape[1] * y.shape[2])
        / (y.shape[1] * y.shape[2]),
        "fused_mults_closed_form": fus,
        "fused_mults_counted": counts["fused_mults"],
        "fused_mults_counted_pruned": pruned_counts["fused_mults"],
        "build_adds": counts["build_adds"], "build_adds_pruned": pruned_counts["build_adds"],
        "mask_ands": counts["mask_ands"], "predict_adds": pred_adds,
    }


# FusioNet for CIFAR-10 (compstruct/fusion-ml-models, cifar10/fusionet): (C, M, expansion,
# stride, input size) of its 16 blocks; pointwise layers in 4 groups; K = C x expansion.
FUSIONET = [(32, 32, 74, 1, 32)] * 3 + [(32, 64, 74, 2, 32)] + [(64, 64, 37, 1, 16)] * 3 + \
    [(64, 96, 37, 2, 16)] + [(96, 96, 36, 1, 8)] * 7 + [(96, 160, 36, 1, 8)]


def fusionet_table():
    rows = []
    for i, (c, m, e, s, size) in enumerate(FUSIONET, 1):
        k = c * e
        for g in (1, 4):
            unf, fus = closed_form(c, m, k, g, s)
            rows.append({"block": i, "C": c, "M": m, "K": k, "stride": s, "input": size,
                         "groups": g, "unfused_mults_per_pixel": unf,
                         "fused_mults_per_pixel": fus, "ratio": round(unf / fus, 2)})
    return pd.DataFrame(rows)


# Reduced blocks for the docs' functional table: FusioNet's shapes with K cut so that the
# fused form (P M K C 9 multiply-adds to build every Weff_p) runs in seconds.
DOCS_BLOCKS = [(16, 16, 128, 8, 1, 1), (32, 32, 256, 8, 1, 4), (32, 64, 256, 8, 2, 4),
               (48, 80, 192, 4, 1, 4)]


def write_docs():
    import docs_table  # noqa: PLC0415 - only --docs needs it (scripts/docs_table.py)
    cmd = "scripts/archon_functional.py --docs"
    docs_table.replace_block("docs/archon.md", "archon-fusionet", cmd,
                             docs_table.markdown_table(fusionet_table(), decimals=2))
    rows = [run_block(c, m, k, size, s, g, 0.014, 0) for c, m, k, size, s, g in DOCS_BLOCKS]
    df = pd.DataFrame(rows)[["C", "M", "K", "groups", "stride", "size",
                             "max_abs_error_true_masks", "g1_mismatch", "g2_mismatch",
                             "rel_error_predicted_masks", "rel_error_pruned",
                             "unfused_mults_counted", "fused_mults_counted",
                             "fused_mults_counted_pruned", "build_adds", "build_adds_pruned",
                             "predict_adds"]]
    df["max_abs_error_true_masks"] = df["max_abs_error_true_masks"].map("%.1e".__mod__)
    for col in ("g1_mismatch", "g2_mismatch", "rel_error_predicted_masks", "rel_error_pruned"):
        df[col] = df[col].map("%.3f".__mod__)
    df["unfused_mults_counted"] = df["unfused_mults_counted"].astype(int)
    docs_table.replace_block("docs/archon.md", "archon-functional", cmd,
                             docs_table.markdown_table(df, decimals=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--c", type=int, default=16, help="block input channels C")
    ap.add_argument("--m", type=int, default=16, help="block output channels M")
    ap.add_argument("--k", type=int, default=128, help="expanded channels K")
    ap.add_argument("--size", type=int, default=8, help="input height and width")
    ap.add_argument("--stride", type=int, default=1, choices=(1, 2))
    ap.add_argument("--groups", type=int, default=1, help="groups of both pointwise layers")
    ap.add_argument("--keep", type=float, default=0.014,
                    help="kept fraction of F's non-zero entries (0.014: the ICS'21 artifact)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fusionet", action="store_true",
                    help="print the closed forms for FusioNet's blocks instead")
    ap.add_argument("--docs", action="store_true", help="rewrite docs/archon.md's two tables")
    args = ap.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # | head
    if args.docs:
        write_docs()
        return 0
    if args.fusionet:
        print(fusionet_table().to_string(index=False))
        return 0
    if min(args.c, args.m, args.k, args.size, args.groups) < 1 or not 0 < args.keep <= 1:
        print("archon_functional: C, M, K, size and groups must be positive and 0 < keep <= 1",
              file=sys.stderr)
        return 2
    try:
        row = run_block(args.c, args.m, args.k, args.size, args.stride, args.groups, args.keep,
                        args.seed)
    except ValueError as e:
        print("archon_functional: %s" % e, file=sys.stderr)
        return 2
    for key, value in row.items():
        print("%-28s %s" % (key, value if isinstance(value, int) else "%.6g" % value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
