#!/usr/bin/python3
"""Converts SCALE-Sim inputs (a .cfg architecture and/or a topology .csv) into fusim YAML.

    /usr/bin/python3 scripts/scalesim_to_fusim.py --cfg scale.cfg --topology mobilenet.csv -o DIR

writes DIR/arch.yaml and DIR/network.yaml. The reading is fusim's own (`fusim --convert-only`,
io/import/scalesim.cpp), so the YAML simulates exactly as the SCALE-Sim files do; this
script only finds the binary and passes the options on.
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cfg", help="SCALE-Sim architecture file (.cfg)")
    p.add_argument("--topology", help="SCALE-Sim topology file (.csv)")
    p.add_argument("-o", "--out", required=True, help="output directory")
    p.add_argument("--depthwise", action="store_true",
                   help="read one-filter rows as true depthwise layers (fusim --scalesim-depthwise)")
    p.add_argument("--fusim", default=os.environ.get(
        "FUSIM_BIN", os.path.join(ROOT, os.environ.get("FUSIM_BUILD_DIR", "build"), "app", "fusim")),
        help="the fusim binary (default: build/app/fusim; build it with scripts/build.sh)")
    a = p.parse_args()
    if not a.cfg and not a.topology:
        p.error("give --cfg, --topology or both")
    if not os.access(a.fusim, os.X_OK):
        sys.exit(f"scalesim_to_fusim: no fusim binary at {a.fusim}: run scripts/build.sh first")
    cmd = [a.fusim, "--convert-only", "--out", a.out]
    if a.cfg:
        cmd += ["--arch", a.cfg]
    if a.topology:
        cmd += ["--net", a.topology]
    if a.depthwise:
        cmd.append("--scalesim-depthwise")
    r = subprocess.run(cmd)
    if r.returncode == 0:
        written = [f for f, given in (("arch.yaml", a.cfg), ("network.yaml", a.topology)) if given]
        print("scalesim_to_fusim: wrote " + ", ".join(os.path.join(a.out, f) for f in written))
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
