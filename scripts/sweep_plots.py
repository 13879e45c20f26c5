#!/usr/bin/python3
"""Figures of a sweep, from its directory (scripts/sweep.py --out DIR: results.csv, sweep.yaml).

Writes each figure as PNG and SVG, and the table it is drawn from as CSV, into FIG_DIR
(DIR/figures by default), from the points whose status is ok:

    pareto_bytes    cycles against off-chip bytes (read + written), a panel per network, a marker
                    per search; the Pareto front (no other point has both fewer) joined by a line
    pareto_energy   the same against energy (report.json energy.total_pj)
    pareto_sram     the same against on-chip SRAM bytes, an area proxy (report.json sram_bytes)
    pareto_pes      the same against processing elements, an area proxy (report.json pe_count)
    heatmap         cycles over the two swept axes, a panel per network and search (when the
                    sweep has exactly two axes of more than one value; a zip group is one axis)
    speedup         cycles of fusion none over fusion optimal against the swept buffer size (an
                    axis with a capacity_bytes key; when both searches ran)
    by_axis         cycles and off-chip bytes against the one swept axis, a line per network and
                    search (when the sweep has exactly one axis of more than one value)

    /usr/bin/python3 scripts/sweep_plots.py DIR [--to FIG_DIR]

Exit status 2, one line, for a directory that is not a sweep's or has no ok point.
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # headless
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from matplotlib.ticker import EngFormatter  # noqa: E402

# Same bytes from the same table: a fixed SVG id salt, no dates, no software version stamps.
plt.rcParams.update({"svg.hashsalt": "fusim-sweep-plots", "svg.fonttype": "none",
                     "figure.dpi": 100, "savefig.dpi": 120, "font.size": 9})
MARKERS = "osD^v<>pX*"


class OneLineParser(argparse.ArgumentParser):
    """argparse's errors as one line (no usage block), exit 2."""

    def error(self, message):
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))


class SweepError(Exception):
    """A directory that is not a finished sweep's."""


def load(path):
    """The ok rows of DIR/results.csv (numbers as numbers) and DIR/sweep.yaml's axes."""
    table = os.path.join(path, "results.csv")
    meta = os.path.join(path, "sweep.yaml")
    for f in (table, meta):
        if not os.path.isfile(f):
            raise SweepError("%s: no such file (not a scripts/sweep.py --out directory)" % f)
    try:
        df = pd.read_csv(table, dtype={"id": str, "net": str, "fusion": str, "status": str},
                         keep_default_na=False, na_values=[""])
        with open(meta, encoding="utf-8") as f:
            axes = yaml.safe_load(f)["axes"]
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as e:
        raise SweepError("%s: %s" % (path, str(e).splitlines()[0]))
    df = df[df["status"] == "ok"].copy()
    if df.empty:
        raise SweepError("%s: no point with status ok" % table)
    for key in [k for axis in axes for k in axis]:
        df[key] = pd.to_numeric(df[key], errors="ignore")
    df["net_name"] = df["net"].map(lambda n: os.path.splitext(os.path.basename(n))[0])
    df["offchip_bytes"] = df["offchip_read_bytes"] + df["offchip_write_bytes"]
    # Axes with one value are no axis for a figure.
    axes = [a for a in axes if df[a[0]].nunique() > 1]
    return df, axes


def save(fig, table, to, stem):
    fig.savefig(os.path.join(to, stem + ".png"), metadata={"Software": None})
    fig.savefig(os.path.join(to, stem + ".svg"), metadata={"Date": None, "Creator": None})
    plt.close(fig)
    table.to_csv(os.path.join(to, stem + ".csv"), index=False)
    print("sweep_plots: %s.{png,svg,csv}" % os.path.join(to, stem))


def pareto_mask(x, y):
    """True for the points no other point beats in both x and y (ties: not beaten)."""
    keep = []
    for xi, yi in zip(x, y):
        keep.append(not any((xj <= xi and yj <= yi) and (xj < xi or yj < yi)
                            for xj, yj in zip(x, y)))
    return keep


def axis_label(axis):
    return axis[0] if len(axis) == 1 else "%s (+ %d zipped)" % (axis[0], len(axis) - 1)


def binary_bytes(v, _pos=None):
    """64 KiB, 4 MiB: buffer sizes as the arch's powers of two."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= size:
            return "%g %s" % (v / size, unit)
    return "%g B" % v


def pareto(df, axes, to, metric, label, stem):
    nets = sorted(df["net_name"].unique())
    fusions = sorted(df["fusion"].unique())
    fig, panels = plt.subplots(1, len(nets), figsize=(5 * len(nets), 4), squeeze=False)
    parts = []
    for ax, net in zip(panels[0], nets):
        d = df[df["net_name"] == net].sort_values("id").copy()
        d["pareto"] = pareto_mask(list(d["cycles"]), list(d[metric]))
        for i, f in enumerate(fusions):
            s = d[d["fusion"] == f]
            ax.scatter(s["cycles"], s[metric], marker=MARKERS[i % len(MARKERS)], label=f,
                       alpha=0.8)
        front = d[d["pareto"]].sort_values(["cycles", metric])
        ax.step(front["cycles"], front[metric], where="post", color="black", linewidth=1,
                label="Pareto front")
        ax.set_title(net)
        ax.set_xlabel("cycles")
        ax.set_ylabel(label)
        ax.xaxis.set_major_formatter(EngFormatter())
        ax.yaxis.set_major_formatter(EngFormatter())
        ax.legend()
        parts.append(d)
    fig.tight_layout()
    cols = ["id", "net_name", "fusion"] + [k for a in axes for k in a] + ["cycles", metric,
                                                                          "pareto"]
    save(fig, pd.concat(parts)[cols].rename(columns={"net_name": "net"}), to, stem)


def heatmap(df, axes, to):
    (xa, ya) = axes
    x, y = xa[0], ya[0]
    combos = sorted(df.groupby(["net_name", "fusion"]).groups)
    fig, panels = plt.subplots(1, len(combos), figsize=(4.5 * len(combos), 4), squeeze=False)
    for ax, (net, f) in zip(panels[0], combos):
        d = df[(df["net_name"] == net) & (df["fusion"] == f)]
        grid = d.pivot_table(index=y, columns=x, values="cycles", aggfunc="first")
        im = ax.imshow(grid.values, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns], rotation=45)
        ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
        for (r, c), v in pd.DataFrame(grid.values).stack().items():
            ax.text(c, r, EngFormatter(places=2)(v), ha="center", va="center", fontsize=7,
                    color="white")
        ax.set_xlabel(axis_label(xa))
        ax.set_ylabel(axis_label(ya))
        ax.set_title("%s, %s: cycles" % (net, f))
        fig.colorbar(im, ax=ax, format=EngFormatter())
    fig.tight_layout()
    table = df[["net_name", "fusion", x, y, "cycles"]].rename(columns={"net_name": "net"})
    save(fig, table.sort_values(["net", "fusion", x, y]), to, "heatmap")


def speedup(df, axes, to):
    buf = next(a for a in axes if any("capacity_bytes" in k for k in a))
    x = buf[0]
    others = [a[0] for a in axes if a is not buf]
    keys = ["net_name"] + others + [x]
    none = df[df["fusion"] == "none"].set_index(keys)["cycles"]
    opt = df[df["fusion"] == "optimal"].set_index(keys)["cycles"]
    table = pd.DataFrame({"cycles_none": none, "cycles_optimal": opt}).dropna().reset_index()
    if table.empty:
        return
    table["speedup"] = table["cycles_none"] / table["cycles_optimal"]
    table = table.sort_values(keys)
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, d in table.groupby(["net_name"] + others if others else "net_name"):
        label = label if isinstance(label, tuple) else (label,)
        name = ", ".join([label[0]] + ["%s=%s" % kv for kv in zip(others, label[1:])])
        ax.plot(d[x], d["speedup"], marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(table[x].unique()))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(binary_bytes))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xlabel(axis_label(buf))
    ax.set_ylabel("speedup of fusion (cycles none / optimal)")
    ax.legend()
    fig.tight_layout()
    save(fig, table.rename(columns={"net_name": "net"}), to, "speedup")


def by_axis(df, axes, to):
    (axis,) = axes
    x = axis[0]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    d = df.sort_values(["net_name", "fusion", x])
    for (net, f), s in d.groupby(["net_name", "fusion"]):
        a1.plot(s[x], s["cycles"], marker="o", label="%s, %s" % (net, f))
        a2.plot(s[x], s["offchip_bytes"], marker="o", label="%s, %s" % (net, f))
    numeric = pd.api.types.is_numeric_dtype(d[x])
    for ax, what in ((a1, "cycles"), (a2, "off-chip bytes")):
        if numeric and d[x].min() > 0 and d[x].max() / d[x].min() >= 8:
            ax.set_xscale("log", base=2)
            ax.set_xticks(sorted(d[x].unique()))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
                binary_bytes if "bytes" in x else lambda v, _p=None: "%g" % v))
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.yaxis.set_major_formatter(EngFormatter())
        ax.set_xlabel(axis_label(axis))
        ax.set_ylabel(what)
        ax.legend()
    fig.tight_layout()
    table = d[["net_name", "fusion", x, "cycles", "offchip_bytes"]].rename(
        columns={"net_name": "net"})
    save(fig, table, to, "by_axis")


def main():
    ap = OneLineParser(prog="sweep_plots", description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="a sweep's --out directory")
    ap.add_argument("--to", help="where the figures go (default: DIR/figures)")
    args = ap.parse_args()
    try:
        df, axes = load(args.dir)
    except SweepError as e:
        print("sweep_plots: error: %s" % e, file=sys.stderr)
        return 2
    to = args.to or os.path.join(args.dir, "figures")
    os.makedirs(to, exist_ok=True)
    pareto(df, axes, to, "offchip_bytes", "off-chip bytes (read + written)", "pareto_bytes")
    pareto(df, axes, to, "energy_pj", "energy (pJ)", "pareto_energy")
    # Area proxies: what the design spends silicon on (report.json pe_count, sram_bytes).
    pareto(df, axes, to, "sram_bytes", "on-chip SRAM (bytes, all cores and the shared buffer)",
           "pareto_sram")
    pareto(df, axes, to, "pe_count", "processing elements (cores x PE rows x columns)",
           "pareto_pes")
    if len(axes) == 2:
        heatmap(df, axes, to)
    if len(axes) == 1:
        by_axis(df, axes, to)
    if any("capacity_bytes" in k for a in axes for k in a) and \
            {"none", "optimal"} <= set(df["fusion"]):
        speedup(df, axes, to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
