#!/usr/bin/python3
"""Snapshot fusim's outputs over every shipped workload x config x search, and compare snapshots.

A refactor that must not change results is checked with two snapshots, one from the binary
before the change and one after:

    /usr/bin/python3 scripts/compare_outputs.py snapshot --fusim OLD/fusim --dir /tmp/before
    /usr/bin/python3 scripts/compare_outputs.py snapshot --fusim build/app/fusim --dir /tmp/after
    /usr/bin/python3 scripts/compare_outputs.py compare /tmp/before /tmp/after

Each run writes `--out DIR/<net>@<arch>@<fusion>@<objective>/` plus the exit code and stderr.
`compare` holds report.json equal as parsed JSON (a JSON library may print a number
differently, the value may not change; the search's wall time is left out, it is measured, and so is
the commit the binary was built from),
and every other file (layers.csv, groups.csv, schedule.yaml, arch.yaml, exit code, stderr)
byte-identical. It prints one line per difference and exits 1 when there is any.
Standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OBJECTIVES = ["bytes", "cycles"]
# Measured, not a result, or the build's own identity (two builds compared differ in it by
# definition): left out of the comparison.
VOLATILE_KEYS = {"search_seconds", "wall_seconds", "fusim_commit"}


def registered_searches(fusim):
    """The --fusion names, as `fusim --help` lists them (the search registry)."""
    text = subprocess.run([fusim, "--help"], capture_output=True, text=True, check=True).stdout
    names, inside = [], False
    for line in text.splitlines():
        if line.startswith("searches (--fusion NAME):"):
            inside = True
        elif inside and line.strip():
            names.append(line.split()[0])
        elif inside:
            break
    if not names:
        sys.exit(f"compare_outputs: no searches listed by {fusim} --help")
    return names


def cases(fusions):
    nets = sorted(f for f in os.listdir(os.path.join(REPO, "workloads")) if f.endswith(".yaml"))
    archs = sorted(f for f in os.listdir(os.path.join(REPO, "configs")) if f.endswith(".yaml"))
    for net in nets:
        for arch in archs:
            for fusion in fusions:
                for objective in OBJECTIVES:
                    yield ("workloads/" + net, "configs/" + arch, fusion, objective)
    # SCALE-Sim's own files, read as SCALE-Sim reads them.
    sdir = "tests/data/scalesim"
    for net in ["mobilenet.csv", "Resnet18.csv", "gpt2_mnk.csv"]:
        for fusion in ["none", "optimal"]:
            yield (f"{sdir}/{net}", f"{sdir}/scale.cfg", fusion, "bytes")


def case_name(case):
    net, arch, fusion, objective = case
    base = lambda p: os.path.splitext(os.path.basename(p))[0]
    return f"{base(net)}@{base(arch)}@{fusion}@{objective}"


def run_case(fusim, root, case):
    net, arch, fusion, objective = case
    out = os.path.join(root, case_name(case))
    # fusim replaces --out as a whole and refuses a directory holding other files (exit.txt).
    shutil.rmtree(out, ignore_errors=True)
    cmd = [fusim, "--arch", arch, "--net", net, "--fusion", fusion, "--objective", objective,
           "--quiet", "--out", out]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "exit.txt"), "w", encoding="utf-8") as f:
        f.write(f"{proc.returncode}\n{proc.stderr}")
    return case_name(case), proc.returncode


def snapshot(args):
    fusim = os.path.abspath(args.fusim)
    os.makedirs(args.dir, exist_ok=True)
    fusions = args.fusions.split(",") if args.fusions else registered_searches(fusim)
    all_cases = list(cases(fusions))
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, rc in pool.map(lambda c: run_case(fusim, args.dir, c), all_cases):
            print(f"{name}: exit {rc}", flush=True)
    print(f"snapshot: {len(all_cases)} runs in {args.dir}")


def strip_volatile(value):
    if isinstance(value, dict):
        return {k: strip_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def json_diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'after' if k not in a else 'before'}")
            else:
                json_diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} vs {len(b)} entries")
        for i, (x, y) in enumerate(zip(a, b)):
            json_diff(x, y, f"{path}[{i}]", out)
    elif a != b and not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                         and a == b):
        out.append(f"{path}: {a!r} vs {b!r}")


def compare(args):
    diffs = 0
    names = sorted(set(os.listdir(args.before)) | set(os.listdir(args.after)))
    for name in names:
        da, db = os.path.join(args.before, name), os.path.join(args.after, name)
        if not os.path.isdir(da) or not os.path.isdir(db):
            print(f"{name}: only in {'after' if not os.path.isdir(da) else 'before'}")
            diffs += 1
            continue
        for f in sorted(set(os.listdir(da)) | set(os.listdir(db))):
            fa, fb = os.path.join(da, f), os.path.join(db, f)
            if not os.path.exists(fa) or not os.path.exists(fb):
                print(f"{name}/{f}: only in {'after' if not os.path.exists(fa) else 'before'}")
                diffs += 1
                continue
            if f.endswith(".json"):
                with open(fa, encoding="utf-8") as x, open(fb, encoding="utf-8") as y:
                    ja, jb = strip_volatile(json.load(x)), strip_volatile(json.load(y))
                out = []
                json_diff(ja, jb, "", out)
                for line in out[:5]:
                    print(f"{name}/{f}{line}")
                diffs += bool(out)
            else:
                with open(fa, "rb") as x, open(fb, "rb") as y:
                    if x.read() != y.read():
                        print(f"{name}/{f}: bytes differ")
                        diffs += 1
    print(f"compare: {len(names)} runs, {diffs} differing file(s)")
    return 1 if diffs else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot", help="run every case and keep the outputs")
    s.add_argument("--fusim", default=os.path.join(REPO, "build", "app", "fusim"))
    s.add_argument("--dir", required=True)
    s.add_argument("-j", "--jobs", type=int, default=2)
    s.add_argument("--fusions", help="comma-separated --fusion names (default: those `fusim "
                   "--help` lists; give them for a binary older than the search registry)")
    c = sub.add_parser("compare", help="compare two snapshots")
    c.add_argument("before")
    c.add_argument("after")
    args = p.parse_args()
    if args.cmd == "snapshot":
        snapshot(args)
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
