#!/usr/bin/python3
"""Figures of fusim runs, from their --out directories.

Writes each figure as PNG and SVG, and the table it is drawn from as CSV, into FIG_DIR:

    energy_components   the run's energy by component (report.json energy), one stacked bar per run
    energy_groups       energy per group (groups.csv energy_pj), one row of bars per run
    schedules           cycles, off-chip bytes and energy side by side, one bar per run
    roofline_LABEL      each group of a run against the arch's compute and DRAM roofs
    layer_cycles        cycles per layer (layers.csv), one row of bars per run
    dram_bandwidth      DRAM GB/s per epoch, per channel and in total (detailed DRAM model only)

A run is labelled by the search that made its schedule (report.json algorithm). Prints a table
of cycles, bytes and energy per run, with each run's energy relative to the first run's.

    /usr/bin/python3 scripts/plot_run.py OUT_DIR [OUT_DIR ...] --to FIG_DIR [--only energy,...]

Needs Debian's python3-matplotlib, python3-pandas and python3-yaml (scripts/install-deps.sh).
"""

import argparse
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")  # headless: no display in CI or over ssh
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from matplotlib.ticker import EngFormatter  # noqa: E402

FIGURES = ("energy", "schedules", "roofline", "layers", "bandwidth")
RUN_FILES = ("report.json", "layers.csv", "groups.csv", "arch.yaml")

# report.json energy components, in stacking order (they sum to energy.total_pj).
COMPONENTS = [
    ("pe_array_pj", "PE arrays"), ("registers_pj", "PE registers"),
    ("vector_unit_pj", "vector units"),
    ("input_buffer_pj", "input buffers"), ("weight_buffer_pj", "weight buffers"),
    ("output_buffer_pj", "output buffers"), ("shared_buffer_pj", "shared buffer"),
    ("interconnect_pj", "interconnect"), ("dram_pj", "DRAM"), ("leakage_pj", "leakage"),
]
# One colour per component in every figure, whichever components are drawn.
COMPONENT_COLOURS = dict(zip((k for k, _ in COMPONENTS), plt.get_cmap("tab10").colors))
TOTAL_COLOUR = plt.get_cmap("tab10").colors[9]  # a total, not any one component

# Same bytes from the same runs: a fixed SVG id salt, no dates, no software version stamps.
plt.rcParams.update({"svg.hashsalt": "fusim-plot-run", "svg.fonttype": "none",
                     "figure.dpi": 100, "savefig.dpi": 120, "font.size": 9})


class RunError(Exception):
    """A directory that is not a complete fusim --out directory."""


class Run:
    """One fusim --out directory: report.json, layers.csv, groups.csv and the resolved arch."""

    def __init__(self, path):
        if not os.path.isdir(path):
            raise RunError("%s: not a directory" % path)
        for f in RUN_FILES:
            if not os.path.isfile(os.path.join(path, f)):
                raise RunError("%s: no %s (not a fusim --out directory)" % (path, f))
        self.path = path
        try:
            with open(os.path.join(path, "report.json"), encoding="utf-8") as f:
                self.report = json.load(f)
            with open(os.path.join(path, "arch.yaml"), encoding="utf-8") as f:
                self.arch = yaml.safe_load(f)
            self.layers = pd.read_csv(os.path.join(path, "layers.csv"))
            self.groups = pd.read_csv(os.path.join(path, "groups.csv"))
        except (OSError, ValueError, yaml.YAMLError) as e:
            raise RunError("%s: %s" % (path, str(e).splitlines()[0]))
        for key in ("algorithm", "network", "arch", "cycles", "clock_mhz", "groups", "energy"):
            if key not in self.report:
                raise RunError("%s: report.json has no '%s'" % (path, key))
        if not self.report["energy"]:
            raise RunError("%s: report.json's energy is null" % path)
        self.label = self.report["algorithm"]

    def group_names(self):
        """fusim's own short names: the first layer, '..+N' for N more."""
        return [g["layers"][0] + ("..+%d" % (len(g["layers"]) - 1) if len(g["layers"]) > 1 else "")
                for g in self.report["groups"]]

    def peak_macs_per_cycle(self, cores):
        pe = self.arch["cores"]["pe_array"]
        return cores * pe["rows"] * pe["cols"]

    def dram_peak_bytes_per_cycle(self):
        """The arch loader's rule: the simple model's key, else bus_bytes x 2 per tck_ps."""
        d = self.arch["dram"]
        if "bytes_per_cycle_per_channel" in d:
            per_channel = d["bytes_per_cycle_per_channel"]
        else:
            per_channel = d["bus_bytes"] * 2.0 / d["tck_ps"] * 1e6 / self.arch["clock_mhz"]
        return per_channel * d["channels"]


def label_runs(runs):
    """Runs with the same search get their directory's name too, and then a number, so that no
    two look alike (labels name the bars and the files)."""
    searches = [r.report["algorithm"] for r in runs]
    for r in runs:
        if searches.count(r.label) > 1:
            r.label = "%s (%s)" % (r.label, os.path.basename(os.path.abspath(r.path)))
    labels = [r.label for r in runs]
    for n, r in enumerate(runs):
        if labels.count(r.label) > 1:
            r.label += " #%d" % (n + 1)


def subject(runs):
    """'network on arch' when the runs share them (the usual comparison), else 'several runs'."""
    pairs = {(r.report["network"], r.report["arch"]) for r in runs}
    return "%s on %s" % pairs.pop() if len(pairs) == 1 else "several networks or archs"


def file_label(label):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_")


def save(fig, table, to, stem):
    """PNG, SVG and the CSV behind the figure; returns the three paths."""
    paths = [os.path.join(to, stem + ext) for ext in (".png", ".svg", ".csv")]
    fig.savefig(paths[0], metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    table.to_csv(paths[2], index=False, float_format="%.3f")
    return paths


def joules(ax):
    ax.yaxis.set_major_formatter(EngFormatter(unit="J"))


def plot_energy_components(runs, to):
    rows = [dict(run=r.label, **{k: r.report["energy"].get(k, 0.0) for k, _ in COMPONENTS},
                 total_pj=r.report["energy"]["total_pj"]) for r in runs]
    table = pd.DataFrame(rows)
    drawn = [(k, name) for k, name in COMPONENTS if table[k].any()]
    zero = [name for k, name in COMPONENTS if not table[k].any()]
    fig, ax = plt.subplots(figsize=(2.2 + 1.3 * len(runs), 4.8), layout="constrained")
    bottom = pd.Series(0.0, index=table.index)
    for k, name in drawn:
        ax.bar(table["run"], table[k] * 1e-12, bottom=bottom * 1e-12, width=0.6, label=name,
               color=COMPONENT_COLOURS[k])
        bottom += table[k]
    for x, total in enumerate(table["total_pj"]):
        ax.annotate(EngFormatter(unit="J", places=2)(total * 1e-12), (x, total * 1e-12),
                    ha="center", va="bottom", xytext=(0, 2), textcoords="offset points")
    joules(ax)
    ax.set_ylabel("energy of the whole run")
    ax.set_xlabel("search (--fusion)" + ("\nzero in every run, not drawn: " + ", ".join(zero) if zero else ""))
    ax.margins(y=0.08)
    ax.legend(reversed(ax.get_legend_handles_labels()[0]), reversed([n for _, n in drawn]),
              loc="upper left", bbox_to_anchor=(1.0, 1.0), title="component")
    ax.set_title("Energy by component, %s\n(%s table)" % (subject(runs), runs[0].report["energy"]["table"]))
    return save(fig, table, to, "energy_components")


def group_table(r):
    t = pd.DataFrame({"run": r.label, "index": range(len(r.report["groups"])),
                      "group": r.group_names()})
    g = pd.DataFrame(r.report["groups"])
    return t.join(g[["cores", "cycles", "offchip_read_bytes", "offchip_write_bytes", "energy_pj"]])


def plot_energy_groups(runs, to):
    table = pd.concat([group_table(r) for r in runs], ignore_index=True)
    most = max(len(r.report["groups"]) for r in runs)
    fig, axes = plt.subplots(len(runs), 1, figsize=(max(7.0, 0.2 * most + 2), 2.6 * len(runs) + 0.9),
                             sharey=True, squeeze=False, layout="constrained")
    for ax, r in zip(axes[:, 0], runs):
        t = table[table["run"] == r.label]
        ax.bar(t["index"], t["energy_pj"] * 1e-12, color=TOTAL_COLOUR, width=0.7)
        ax.set_xticks(t["index"], t["group"], rotation=90, fontsize=6)
        ax.set_xlim(-0.6, most - 0.4)
        joules(ax)
        ax.set_ylabel("energy")
        ax.set_title("%s: %d groups, %s in all" % (r.label, len(t), EngFormatter(unit="J", places=2)(
            r.report["energy"]["total_pj"] * 1e-12)), fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("group, in execution order (first layer, ..+N more layers)")
    fig.suptitle("Energy per group, %s: each group's total (its cores' actions, its share of the "
                 "DRAM energy by bytes,\nleakage over its time); fusim reports no per-component "
                 "split per group" % subject(runs))
    return save(fig, table, to, "energy_groups")


def annotate_bars(ax, xs, values, fmt):
    for x, v in zip(xs, values):
        ax.annotate(fmt(v), (x, v), ha="center", va="bottom", xytext=(0, 2),
                    textcoords="offset points", fontsize=8)


def plot_schedules(runs, to):
    table = pd.DataFrame([{
        "run": r.label, "groups": len(r.report["groups"]), "cycles": r.report["cycles"],
        "roofline_cycles": r.report["roofline_cycles"],
        "offchip_read_bytes": r.report["offchip_read_bytes"],
        "offchip_write_bytes": r.report["offchip_write_bytes"],
        "compulsory_offchip_bytes": r.report["compulsory_offchip_bytes"],
        "energy_pj": r.report["energy"]["total_pj"]} for r in runs])
    xs = range(len(runs))
    ticks = ["%s\n%d groups" % (r, g) for r, g in zip(table["run"], table["groups"])]
    fig, (ac, ab, ae) = plt.subplots(1, 3, figsize=(3.0 + 2.4 * len(runs), 4.4), layout="constrained")

    ac.bar(xs, table["cycles"], width=0.6, color="tab:blue")
    annotate_bars(ac, xs, table["cycles"], lambda v: "{:,}".format(v))
    ac.axhline(table["roofline_cycles"].max(), color="black", ls="--", lw=1,
               label="roofline bound (report.json roofline_cycles)")
    ac.set_title("cycles")
    ac.yaxis.set_major_formatter(EngFormatter())

    total = table["offchip_read_bytes"] + table["offchip_write_bytes"]
    ab.bar(xs, table["offchip_read_bytes"], width=0.6, color="tab:orange", label="read")
    ab.bar(xs, table["offchip_write_bytes"], bottom=table["offchip_read_bytes"], width=0.6,
           color="tab:green", label="written")
    annotate_bars(ab, xs, total, EngFormatter(unit="B", places=2))
    ab.axhline(table["compulsory_offchip_bytes"].max(), color="black", ls="--", lw=1,
               label="off-chip floor (compulsory bytes)")
    ab.set_title("off-chip bytes (DRAM)")
    ab.yaxis.set_major_formatter(EngFormatter(unit="B"))

    ae.bar(xs, table["energy_pj"] * 1e-12, width=0.6, color=TOTAL_COLOUR)
    annotate_bars(ae, xs, table["energy_pj"] * 1e-12, EngFormatter(unit="J", places=2))
    ae.set_title("energy (all components)")
    joules(ae)

    for ax in (ac, ab, ae):
        ax.set_xticks(list(xs), ticks)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.3)  # headroom: the legends sit above the bars
    ac.legend(loc="upper right", fontsize=7)
    ab.legend(loc="upper right", fontsize=7)
    fig.suptitle("Schedules compared, %s (search = --fusion)" % subject(runs))
    return save(fig, table, to, "schedules")


def roofline_table(r):
    macs = dict(zip(r.layers["name"], r.layers["macs"]))
    t = group_table(r)
    t["macs"] = [sum(macs[name] for name in g["layers"]) for g in r.report["groups"]]
    t["offchip_bytes"] = t["offchip_read_bytes"] + t["offchip_write_bytes"]
    t["macs_per_byte"] = t["macs"] / t["offchip_bytes"].where(t["offchip_bytes"] > 0)
    t["macs_per_cycle"] = t["macs"] / t["cycles"].where(t["cycles"] > 0)
    t["peak_macs_per_cycle"] = [r.peak_macs_per_cycle(c) for c in t["cores"]]
    return t


def plot_roofline(r, to):
    table = roofline_table(r)
    drawn = table[(table["macs"] > 0) & (table["offchip_bytes"] > 0) & (table["cycles"] > 0)]
    bw = r.dram_peak_bytes_per_cycle()
    chip = r.peak_macs_per_cycle(r.arch["cores"]["count"])
    xmin = min(drawn["macs_per_byte"].min() if len(drawn) else 1.0, 1.0) / 2
    xmax = max(drawn["macs_per_byte"].max() if len(drawn) else 1.0, 4 * chip / bw) * 2
    fig, (ax, key) = plt.subplots(1, 2, figsize=(11.0, 6.5), width_ratios=[3.2, 1],
                                  layout="constrained")
    cores = sorted(table["cores"].unique(), reverse=True)
    colours = dict(zip(cores, plt.get_cmap("tab10").colors))
    for c in cores:
        peak = r.peak_macs_per_cycle(c)
        xs = [xmin, peak / bw, xmax]
        ax.plot(xs, [min(peak, x * bw) for x in xs], color=colours[c], lw=1.2,
                ls="-" if c == cores[0] else "--",
                label="roof on %d cores: %s MACs/cycle" % (c, "{:,}".format(peak)))
        pts = drawn[drawn["cores"] == c]
        ax.scatter(pts["macs_per_byte"], pts["macs_per_cycle"], color=colours[c], s=18, zorder=3,
                   label="groups on %d cores" % c)
    # Group numbers, not names, on the points: names of neighbouring groups overlap; the key
    # beside the plot names them.
    for i, (_, g) in enumerate(drawn.iterrows()):
        ax.annotate(str(g["index"]), (g["macs_per_byte"], g["macs_per_cycle"]), fontsize=6,
                    xytext=(3, 2 if i % 2 == 0 else -7), textcoords="offset points")
    nbytes = r.report["offchip_read_bytes"] + r.report["offchip_write_bytes"]
    if nbytes and r.report["cycles"]:
        ax.scatter([r.report["macs"] / nbytes], [r.report["macs"] / r.report["cycles"]],
                   marker="*", s=120, color="black", zorder=4, label="whole run")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(xmin, xmax)
    skipped = len(table) - len(drawn)
    ax.set_xlabel("operational intensity (MACs per off-chip byte)" + (
        "\n%d group(s) with no MACs (adds, pools) or no off-chip bytes not drawn (log axes)" % skipped if skipped else ""))
    ax.set_ylabel("achieved MACs per cycle (%g MHz clock)" % r.arch["clock_mhz"])
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title("DRAM roof %.4g bytes/cycle (%.4g GB/s); a group's MACs: its layers' (layers.csv: "
                 "PE array and vector unit,\nhalo recompute not counted) over its off-chip bytes "
                 "and over its cycles" % (bw, bw * r.arch["clock_mhz"] * 1e-3), fontsize=8)
    fig.suptitle("Roofline of the %s schedule's groups, %s" % (r.label, subject([r])))
    lines = ["%d  %s" % (g["index"], g["group"]) for _, g in drawn.iterrows()]
    per_column = 34
    key.axis("off")
    for col in range(0, len(lines), per_column):
        key.text(col // per_column * 0.5, 1.0, "\n".join(lines[col:col + per_column]),
                 va="top", fontsize=6, family="monospace", transform=key.transAxes)
    key.set_title("groups", fontsize=8, loc="left")
    return save(fig, table, to, "roofline_" + file_label(r.label))


def plot_layer_cycles(runs, to):
    table = pd.concat([r.layers[["index", "name", "unit", "cycles", "compute_cycles"]]
                       .assign(run=r.label) for r in runs], ignore_index=True)
    table = table[["run", "index", "name", "unit", "cycles", "compute_cycles"]]
    same = all(r.layers["name"].equals(runs[0].layers["name"]) for r in runs)
    most = max(len(r.layers) for r in runs)
    fig, axes = plt.subplots(len(runs), 1, figsize=(max(7.0, 0.17 * most + 2), 2.6 * len(runs) + 1.3),
                             sharex=same, sharey=True, squeeze=False, layout="constrained")
    for n, (ax, r) in enumerate(zip(axes[:, 0], runs)):
        t = table[table["run"] == r.label]
        ax.bar(t["index"], t["cycles"], width=0.8, color="tab:blue",
               label="cycles: first command's start to last command's end")
        ax.bar(t["index"], t["compute_cycles"], width=0.4, color="tab:orange",
               label="compute cycles: the busiest core's engine busy")
        ax.yaxis.set_major_formatter(EngFormatter())
        ax.set_ylabel("cycles")
        ax.set_title("%s: run %s cycles" % (r.label, "{:,}".format(r.report["cycles"])),
                     fontsize=9, loc="left")
        if not same or n == len(runs) - 1:
            ax.set_xticks(t["index"], t["name"], rotation=90, fontsize=6)
    axes[0, 0].legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel("layer, in network order")
    fig.suptitle("Cycles per layer, %s (layers of a fused group overlap in time, so a run's "
                 "layer cycles add up to more than its cycles)" % subject(runs))
    return save(fig, table, to, "layer_cycles")


def bandwidth_table(r):
    """GB/s per channel and epoch; the last epoch is cut at the run's end."""
    epoch = r.report["dram_epoch_cycles"]
    hz = r.report["clock_mhz"] * 1e6
    rows = []
    per_channel = [c["epoch_bytes"] for c in r.report["dram_channels"]]
    for i in range(max(len(b) for b in per_channel)):
        start = i * epoch
        length = max(1, min(epoch, r.report["cycles"] - start))
        got = [b[i] if i < len(b) else 0 for b in per_channel]
        for ch, nbytes in list(enumerate(got)) + [("total", sum(got))]:
            rows.append({"run": r.label, "channel": ch, "epoch": i, "start_cycle": start,
                         "cycles": length, "bytes": nbytes,
                         "gbytes_per_s": nbytes / (length / hz) / 1e9})
    return pd.DataFrame(rows)


def has_epochs(r):
    return r.report.get("dram_epoch_cycles", 0) > 0 and any(
        c.get("epoch_bytes") for c in r.report.get("dram_channels", []))


def plot_bandwidth(runs, to):
    with_epochs = [r for r in runs if has_epochs(r)]
    for r in runs:
        if r not in with_epochs:
            print("plot_run: %s: no DRAM epoch counters (dram_model %s; they come with the detailed "
                  "model), no bandwidth figure for it" % (r.path, r.report.get("dram_model", "?")))
    if not with_epochs:
        return []
    table = pd.concat([bandwidth_table(r) for r in with_epochs], ignore_index=True)
    fig, axes = plt.subplots(len(with_epochs), 1, figsize=(9.0, 2.8 * len(with_epochs) + 1.0),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    for ax, r in zip(axes[:, 0], with_epochs):
        t = table[table["run"] == r.label]
        hz = r.report["clock_mhz"] * 1e6
        for n, ch in enumerate(t["channel"].unique()):
            c = t[t["channel"] == ch]
            # One step per epoch, held to its end: append the last epoch's end point.
            x = list(c["start_cycle"] / hz * 1e6) + [(c["start_cycle"].iloc[-1] + c["cycles"].iloc[-1]) / hz * 1e6]
            y = list(c["gbytes_per_s"]) + [c["gbytes_per_s"].iloc[-1]]
            total = ch == "total"
            # Channels often carry the same bytes (interleaving): dashes keep each one visible.
            ax.step(x, y, where="post", lw=1.6 if total else 1.0, color="black" if total else None,
                    ls="-" if total else (0, (4, 2 * n + 1)),
                    label="total" if total else "channel %s" % ch)
        peak = r.dram_peak_bytes_per_cycle() * r.report["clock_mhz"] * 1e-3
        ax.axhline(peak, color="black", ls="--", lw=0.8, label="peak, all channels")
        ax.axhline(peak / r.arch["dram"]["channels"], color="grey", ls=":", lw=0.8,
                   label="peak, one channel")
        ax.set_ylabel("GB/s (10^9 B/s)")
        ax.set_title("%s: epochs of %s cycles (the last one cut at the run's end)"
                     % (r.label, "{:,}".format(r.report["dram_epoch_cycles"])),
                     fontsize=9, loc="left")
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    axes[-1, 0].set_xlabel("time (µs)")
    fig.suptitle("DRAM bandwidth over time, %s (report.json dram_channels[].epoch_bytes)"
                 % subject(with_epochs))
    return save(fig, table, to, "dram_bandwidth")


def summary(runs):
    """Cycles, bytes and energy per run, and energy ratios: the first run's over each (with the
    baseline first, each run's energy-efficiency gain) and each over the lowest."""
    energy = [r.report["energy"]["total_pj"] for r in runs]
    t = pd.DataFrame([{
        "run": r.label, "cycles": r.report["cycles"],
        "offchip_bytes": r.report["offchip_read_bytes"] + r.report["offchip_write_bytes"],
        "energy_uj": e * 1e-6, "first_run_energy_over_this": energy[0] / e,
        "energy_over_lowest": e / min(energy)} for r, e in zip(runs, energy)])
    return t.to_string(index=False, float_format=lambda v: "%.3f" % v)


def parse_only(text):
    only = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in only if s not in FIGURES]
    if bad or not only:
        raise argparse.ArgumentTypeError("unknown figure %s (choose from %s)" % (
            ", ".join(bad) or "''", ",".join(FIGURES)))
    return only


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", metavar="OUT_DIR", help="a fusim --out directory")
    ap.add_argument("--to", required=True, metavar="FIG_DIR", help="where the figures go (created)")
    ap.add_argument("--only", type=parse_only, default=list(FIGURES),
                    help="comma-separated subset of " + ",".join(FIGURES))
    args = ap.parse_args()
    try:
        runs = [Run(p) for p in args.runs]
        os.makedirs(args.to, exist_ok=True)
    except RunError as e:
        print("plot_run: error: %s" % e, file=sys.stderr)
        return 2
    except OSError as e:
        print("plot_run: error: %s: %s" % (e.filename, e.strerror), file=sys.stderr)
        return 2
    label_runs(runs)
    written = []
    if "energy" in args.only:
        written += plot_energy_components(runs, args.to) + plot_energy_groups(runs, args.to)
    if "schedules" in args.only:
        written += plot_schedules(runs, args.to)
    if "roofline" in args.only:
        for r in runs:
            written += plot_roofline(r, args.to)
    if "layers" in args.only:
        written += plot_layer_cycles(runs, args.to)
    if "bandwidth" in args.only:
        written += plot_bandwidth(runs, args.to)
    print(summary(runs))
    print("plot_run: wrote %d files to %s" % (len(written), args.to))
    return 0


if __name__ == "__main__":
    sys.exit(main())
