#!/usr/bin/python3
"""Parameter sweeps of fusim: one fusim run per point of a spec's grid, a table of the results.

    /usr/bin/python3 scripts/sweep.py SPEC.yaml --out DIR [-j N] [--dask ADDRESS | --dask-local N]
    /usr/bin/python3 scripts/sweep.py SPEC.yaml --out DIR --emit-slurm SLURM_DIR
    /usr/bin/python3 scripts/sweep.py SPEC.yaml --out DIR --point-index I     (one point: Slurm)
    /usr/bin/python3 scripts/sweep.py SPEC.yaml --out DIR --merge             (after --point-index)
    /usr/bin/python3 scripts/sweep.py SPEC.yaml --out DIR --in-process        (the Python module)

The spec (YAML; paths in it are relative to the spec file's directory):

    arch: ../mlu.yaml                  # the base arch (required)
    nets: [../../workloads/mobilenetv2.yaml]   # networks (required, a non-empty list)
    fusion: [none, optimal]            # searches (default: [optimal])
    vary:                              # -p keys, each a list: the cartesian product of them all
      cores.count: [1, 2, 4]
    zip:                               # -p keys whose equal-length lists vary together
      cores.buffers.input.capacity_bytes: [65536, 131072]
      cores.buffers.weight.capacity_bytes: [65536, 131072]
    objective: cycles                  # optional: fusim --objective
    args: [--max-group-layers, "8"]    # optional: more fusim arguments, the same for every point

Each point runs `fusim --arch A --net N --fusion F [-p K=V ...] --out DIR/points/ID --out-program
off` (on with --keep-programs) in a subprocess; ID is a short hash of the point's own parameters,
so it does not change when the spec gains values. DIR/results.csv gets one row per finished point,
sorted by id, rewritten atomically as points finish (at most every half second, and at the end); a
re-run skips the points whose row says ok and runs the others again. docs/sweeps.md says all of
it. Exit status: 0 every point ok, 1 some point failed (its row has fusim's error line), 2 a bad
spec or option (one line on stderr).
"""

import argparse
import concurrent.futures
import hashlib
import itertools
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pandas as pd
import yaml
from tqdm import tqdm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC_KEYS = ("arch", "nets", "fusion", "vary", "zip", "objective", "args")
# Options the runner sets itself, which `args:` may not give.
RUNNER_OPTIONS = ("--arch", "--net", "--fusion", "--out", "--out-program", "--quiet", "-p",
                  "--objective", "--schedule-in", "--schedule-out", "--trace", "--convert-only",
                  "--help", "--version", "-h")
# results.csv's columns after the varied keys (report.json's fields, energy.total_pj as energy_pj).
RESULT_COLUMNS = ["net", "fusion", "status", "cycles", "seconds", "offchip_read_bytes",
                  "offchip_write_bytes", "mac_utilisation", "search_seconds", "energy_pj",
                  "pe_count", "sram_bytes", "out"]
REPORT_FIELDS = ["cycles", "seconds", "offchip_read_bytes", "offchip_write_bytes",
                 "mac_utilisation", "pe_count", "sram_bytes"]
WRITE_SECONDS = 0.5  # results.csv is rewritten after a finished point at most this often
# The search's wall time is only in the summary on stdout, not in report.json.
SEARCH_RE = re.compile(r"(?:evaluated|simulated) in ([0-9.]+) s")


class OneLineParser(argparse.ArgumentParser):
    """argparse's errors as one line (no usage block), exit 2."""

    def error(self, message):
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))


class SpecError(Exception):
    """A bad spec or option: one line, exit 2."""


def default_fusim():
    """$FUSIM_BUILD_DIR/app/fusim (build/ by default), relative to the repository root."""
    return os.path.join(ROOT, os.environ.get("FUSIM_BUILD_DIR", "build"), "app", "fusim")


def scalar_text(value):
    """A YAML scalar as -p KEY=VALUE takes it; None for anything else (a list, a mapping)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return value if isinstance(value, str) else repr(value)
    return None


def load_spec(path):
    """The spec as a dict of checked values, arch and net paths resolved against its directory."""
    def bad(key, what):
        return SpecError("%s: key '%s': %s" % (path, key, what))

    try:
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f)
    except OSError as e:
        raise SpecError("%s: %s" % (path, e.strerror))
    except yaml.YAMLError as e:
        raise SpecError("%s: not valid YAML: %s" % (path, " ".join(str(e).split())))
    if not isinstance(raw, dict):
        raise SpecError("%s: expected a mapping of %s" % (path, ", ".join(SPEC_KEYS)))
    for key in raw:
        if key not in SPEC_KEYS:
            raise bad(key, "unknown key (expected one of %s)" % ", ".join(SPEC_KEYS))
    for key in ("arch", "nets"):
        if key not in raw:
            raise bad(key, "missing (required)")
    here = os.path.dirname(os.path.abspath(path))
    spec = {"path": path}

    def string(key, value):
        if not isinstance(value, str) or not value:
            raise bad(key, "expected a non-empty string, got %r" % (value,))
        return value

    def string_list(key, value):
        if not isinstance(value, list) or not value:
            raise bad(key, "expected a non-empty list, got %r" % (value,))
        items = [string("%s[%d]" % (key, i), v) for i, v in enumerate(value)]
        if len(set(items)) != len(items):
            raise bad(key, "a value given twice")
        return items

    def existing(key, rel):
        full = os.path.normpath(os.path.join(here, rel))
        if not os.path.isfile(full):
            raise bad(key, "no file %s (paths are relative to the spec's directory)" % full)
        return full

    spec["arch"] = string("arch", raw["arch"])
    spec["arch_path"] = existing("arch", spec["arch"])
    spec["nets"] = string_list("nets", raw["nets"])
    spec["net_paths"] = {n: existing("nets[%d]" % i, n) for i, n in enumerate(spec["nets"])}
    spec["fusion"] = string_list("fusion", raw.get("fusion", ["optimal"]))
    spec["objective"] = string("objective", raw["objective"]) if "objective" in raw else None
    args = raw.get("args", [])
    if not isinstance(args, list):
        raise bad("args", "expected a list of fusim arguments, got %r" % (args,))
    spec["args"] = []
    for i, a in enumerate(args):
        text = scalar_text(a)
        if text is None:
            raise bad("args[%d]" % i, "expected a string or number, got %r" % (a,))
        if text.split("=", 1)[0] in RUNNER_OPTIONS:
            raise bad("args[%d]" % i, "%s is set by the sweep runner" % text)
        spec["args"].append(text)

    # Axes: each vary key is one axis; the zip keys together are one more.
    axes = []
    keys = []
    for section in ("vary", "zip"):
        table = raw.get(section) or {}
        if not isinstance(table, dict):
            raise bad(section, "expected a mapping of -p keys to lists, got %r" % (table,))
        columns = []
        for key, values in table.items():
            where = "%s.%s" % (section, key)
            if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\[\]]*", key):
                raise bad(where, "not a -p key path (such as cores.count)")
            if key in keys:
                raise bad(where, "varied twice (in vary and zip)")
            if key in ["id"] + RESULT_COLUMNS:
                raise bad(where, "the name of a results.csv column, not an arch key")
            if not isinstance(values, list) or not values:
                raise bad(where, "expected a non-empty list of values, got %r" % (values,))
            texts = []
            for i, v in enumerate(values):
                t = scalar_text(v)
                if t is None:
                    raise bad("%s[%d]" % (where, i), "expected a scalar, got %r" % (v,))
                texts.append(t)
            if section == "vary" and len(set(texts)) != len(texts):
                raise bad(where, "a value given twice")
            keys.append(key)
            columns.append((key, texts))
        if section == "vary":
            axes.extend([[c] for c in columns])
        elif columns:
            lengths = {k: len(v) for k, v in columns}
            if len(set(lengths.values())) != 1:
                raise bad("zip", "lists of unequal length (%s)" % ", ".join(
                    "%s: %d" % kv for kv in lengths.items()))
            rows = list(zip(*(v for _, v in columns)))
            if len(set(rows)) != len(rows):
                raise bad("zip", "a row of values given twice")
            axes.append(columns)
    spec["keys"] = keys
    spec["axes"] = [[k for k, _ in axis] for axis in axes]
    spec["points"] = make_points(spec, axes)
    return spec


def make_points(spec, axes):
    """Every point, in the spec's order: nets, then fusion, then the axes (vary, then zip)."""
    axis_choices = [list(zip(*(vals for _, vals in axis))) for axis in axes]
    points = []
    for net, fusion in itertools.product(spec["nets"], spec["fusion"]):
        for combo in itertools.product(*axis_choices):
            overrides = []
            for axis, values in zip(axes, combo):
                overrides.extend(zip((k for k, _ in axis), values))
            canon = {"arch": spec["arch"], "net": net, "fusion": fusion,
                     "p": [list(kv) for kv in overrides]}
            if spec["objective"] is not None:
                canon["objective"] = spec["objective"]
            if spec["args"]:
                canon["args"] = spec["args"]
            text = json.dumps(canon, sort_keys=True, separators=(",", ":"))
            pid = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
            cmd = ["--arch", spec["arch_path"], "--net", spec["net_paths"][net],
                   "--fusion", fusion]
            for k, v in overrides:
                cmd += ["-p", "%s=%s" % (k, v)]
            if spec["objective"] is not None:
                cmd += ["--objective", spec["objective"]]
            cmd += spec["args"]
            points.append({"id": pid, "net": net, "fusion": fusion, "params": dict(overrides),
                           "args": cmd})
    ids = [p["id"] for p in points]
    if len(set(ids)) != len(ids):
        raise SpecError("%s: two points with the same parameters" % spec["path"])
    return points


def run_point(fusim, point, out_root):
    """Runs one point; returns its results.csv row as strings (values as fusim wrote them).
    The same function serves -j, Dask and Slurm's --point-index."""
    rel = os.path.join("points", point["id"])
    row = {"id": point["id"], **point["params"], "net": point["net"], "fusion": point["fusion"]}
    row.update({c: "" for c in RESULT_COLUMNS[2:]})  # a failed point's stay empty
    # The program (schedule.yaml) is most of what --out writes (149 MB for ViT-B/16 on
    # archon.yaml) and of the time it takes: a point keeps it only when the sweep asks.
    cmd = [fusim] + point["args"] + ["--out", os.path.join(out_root, rel), "--out-program",
                                     "on" if point.get("keep_program") else "off"]
    try:
        # No --quiet: the search's seconds are only in the summary.
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except OSError as e:
        row["status"] = "cannot run %s: %s" % (fusim, e.strerror)
        return row
    if r.returncode != 0:
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        if lines:
            row["status"] = lines[-1].strip()
        elif r.returncode < 0:
            row["status"] = "fusim killed by signal %d" % -r.returncode
        else:
            row["status"] = "fusim exited %d" % r.returncode
        return row
    try:
        with open(os.path.join(out_root, rel, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
        for k in REPORT_FIELDS:
            row[k] = json.dumps(report[k])
        row["energy_pj"] = json.dumps(report["energy"]["total_pj"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        row["status"] = "unreadable report.json: %s" % e
        return row
    m = SEARCH_RE.search(r.stdout)
    row["search_seconds"] = m.group(1) if m else ""
    row["status"] = "ok"
    row["out"] = rel
    return row


def in_process_call(point):
    """fusim.run's arguments for a point (the options make_points writes), or SpecError for an
    option the Python API does not take."""
    kw = {"overrides": {}}
    args = point["args"]
    i = 0
    while i < len(args):
        opt, val = args[i], args[i + 1] if i + 1 < len(args) else None
        if opt == "-p" and val is not None and "=" in val:
            k, v = val.split("=", 1)
            kw["overrides"][k] = v
        elif opt in ("--arch", "--net", "--fusion", "--objective", "--cores") and val is not None:
            kw[opt[2:]] = val
        else:
            raise SpecError("--in-process: fusim's option %s has no place in the Python API; "
                            "run without --in-process" % opt)
        i += 2
    return kw


def run_point_in_process(module, point, out_root):
    """run_point's row, through the Python API in this process (fusim.run): the same values, but
    no search_seconds (the report does not have it) and only report.json in the point's
    directory."""
    rel = os.path.join("points", point["id"])
    row = {"id": point["id"], **point["params"], "net": point["net"], "fusion": point["fusion"]}
    row.update({c: "" for c in RESULT_COLUMNS[2:]})
    kw = in_process_call(point)
    try:
        report = module.run(kw.pop("arch"), kw.pop("net"), **kw)
    except module.InputError as e:
        row["status"] = "fusim: error: %s" % e
        return row
    except Exception as e:  # noqa: BLE001 - fusim's internal errors, as the binary prints them
        row["status"] = "fusim: internal error: %s" % e
        return row
    os.makedirs(os.path.join(out_root, rel), exist_ok=True)
    with open(os.path.join(out_root, rel, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    for k in REPORT_FIELDS:
        row[k] = json.dumps(report[k])
    row["energy_pj"] = json.dumps(report["energy"]["total_pj"])
    row["status"] = "ok"
    row["out"] = rel
    return row


_worker_module = None


def _worker_init(fusim):
    """A --in-process -j worker: loads the module once for all its points."""
    global _worker_module
    _worker_module = load_module(fusim)


def _worker_point(point, out_root):
    return run_point_in_process(_worker_module, point, out_root)


def load_module(fusim):
    """The fusim Python module beside the binary's build (BUILD/python), or SpecError."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(fusim)))
    sys.path.insert(0, os.path.join(build, "python"))
    try:
        import fusim as module  # noqa: PLC0415 - only this mode needs it
    except ImportError as e:
        raise SpecError("--in-process: no fusim Python module in %s/python (scripts/build.sh "
                        "builds it): %s" % (build, e))
    return module


class Table:
    """DIR/results.csv: the spec's rows by id, rewritten whole (a temporary file, os.replace)."""

    def __init__(self, spec, out):
        self.path = os.path.join(out, "results.csv")
        self.columns = ["id"] + spec["keys"] + RESULT_COLUMNS
        self.wanted = {p["id"] for p in spec["points"]}
        self.rows = {}
        if os.path.exists(self.path):
            try:
                old = pd.read_csv(self.path, dtype=str, keep_default_na=False)
            except (OSError, ValueError) as e:
                raise SpecError("%s: unreadable: %s" % (self.path, str(e).splitlines()[0]))
            if "id" not in old.columns or "status" not in old.columns:
                raise SpecError("%s: not a sweep table (no id or status column)" % self.path)
            dropped = 0
            for rec in old.to_dict("records"):
                if rec["id"] in self.wanted and set(self.columns) <= set(rec):
                    self.rows[rec["id"]] = {c: rec[c] for c in self.columns}
                else:
                    dropped += 1
            if dropped:
                print("sweep: %s: %d row(s) of points not in this spec left out of the table"
                      % (self.path, dropped), file=sys.stderr)

    def done(self, pid):
        row = self.rows.get(pid)
        return row is not None and row["status"] == "ok"

    def add(self, row):
        self.rows[row["id"]] = row

    def write(self):
        df = pd.DataFrame([self.rows[k] for k in sorted(self.rows)], columns=self.columns)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = "%s.tmp-%d" % (self.path, os.getpid())
        df.to_csv(tmp, index=False)
        os.replace(tmp, self.path)


def write_axes(spec, out):
    """DIR/sweep.yaml: what was varied and how, for scripts/sweep_plots.py."""
    os.makedirs(out, exist_ok=True)
    doc = {"spec": os.path.abspath(spec["path"]), "arch": spec["arch"], "nets": spec["nets"],
           "fusion": spec["fusion"], "axes": spec["axes"]}
    tmp = os.path.join(out, ".sweep.yaml.tmp-%d" % os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    os.replace(tmp, os.path.join(out, "sweep.yaml"))


def run_all(spec, out, fusim, args):
    table = Table(spec, out)
    todo = [p for p in spec["points"] if not table.done(p["id"])]
    skipped = len(spec["points"]) - len(todo)
    finished = 0
    last_write = 0.0

    def record(row, bar):
        nonlocal finished, last_write
        table.add(row)
        finished += 1
        stop = args.stop_after is not None and finished >= args.stop_after
        # The table is rewritten whole: at most every WRITE_SECONDS, so that a sweep of
        # thousands of quick points does not spend its time rewriting it.
        if time.monotonic() - last_write >= WRITE_SECONDS or stop:
            table.write()
            last_write = time.monotonic()
        bar.update(1)
        if stop:
            # Test hook: die as a killed sweep would, right after a table write.
            os.kill(os.getpid(), signal.SIGKILL)

    client = cluster = None
    if args.dask or args.dask_local:
        try:
            import distributed
        except ImportError:
            raise SpecError("--dask needs Python's distributed (Debian: python3-distributed; "
                            "scripts/install-deps.sh)")
        if args.dask_local:
            cluster = distributed.LocalCluster(
                n_workers=args.dask_local, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None)
            client = distributed.Client(cluster)
        else:
            try:
                client = distributed.Client(args.dask, timeout="10s")
            except (OSError, ValueError) as e:
                raise SpecError("--dask %s: cannot connect: %s" % (args.dask, e))
    module = load_module(fusim) if args.in_process and args.j == 1 else None
    in_pool = args.in_process and args.j > 1
    write_axes(spec, out)
    try:
        bar = tqdm(total=len(todo), desc="points", unit="pt", file=sys.stderr)
        with bar:
            if module is not None:
                # One point at a time: the module runs in this process and holds its lock.
                for p in todo:
                    record(run_point_in_process(module, p, out), bar)
            elif in_pool:
                # -j worker processes, each loading the module once (one simulation at a time
                # per process): no process start per point.
                pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=args.j, initializer=_worker_init, initargs=(fusim,))
                try:
                    futures = [pool.submit(_worker_point, p, out) for p in todo]
                    for f in concurrent.futures.as_completed(futures):
                        record(f.result(), bar)
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)
            elif client is not None:
                try:
                    futures = [client.submit(run_point, fusim, p, os.path.abspath(out),
                                             pure=False, key="point-" + p["id"]) for p in todo]
                    for f in distributed.as_completed(futures):
                        record(f.result(), bar)
                finally:
                    client.close()
                    if cluster is not None:
                        cluster.close()
            else:
                pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.j)
                try:
                    futures = [pool.submit(run_point, fusim, p, out) for p in todo]
                    for f in concurrent.futures.as_completed(futures):
                        record(f.result(), bar)
                finally:
                    # On Ctrl-C, start no more points (fusim gets the SIGINT too).
                    pool.shutdown(wait=True, cancel_futures=True)
    finally:
        table.write()  # also on Ctrl-C: the rows recorded since the last write
    return table, skipped


def emit_slurm(spec, out, fusim, slurm_dir, keep_programs=False):
    """SLURM_DIR/sweep.sbatch (a job array, one task per point) and SLURM_DIR/merge.sbatch."""
    n = len(spec["points"])
    os.makedirs(slurm_dir, exist_ok=True)
    me = os.path.abspath(__file__)
    base = [sys.executable, me, os.path.abspath(spec["path"]), "--out", os.path.abspath(out),
            "--fusim", os.path.abspath(fusim)] + (["--keep-programs"] if keep_programs else [])
    logs = os.path.join(os.path.abspath(out), "slurm")
    task = " ".join(shlex.quote(a) for a in base) + ' --point-index "$SLURM_ARRAY_TASK_ID"'
    merge = " ".join(shlex.quote(a) for a in base + ["--merge"])
    head = "#!/bin/bash\n# Made by %s for %s; %d points.\n" % (
        " ".join(shlex.quote(a) for a in ["scripts/sweep.py", spec["path"], "--emit-slurm",
                                           slurm_dir]), spec["path"], n)
    array = (head + "#SBATCH --job-name=fusim-sweep\n#SBATCH --array=0-%d\n"
             "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n#SBATCH --output=%s/%%A_%%a.log\n"
             "set -euo pipefail\nmkdir -p %s\n%s\n"
             % (n - 1, shlex.quote(logs), shlex.quote(logs), task))
    merge_job = (head + "#SBATCH --job-name=fusim-sweep-merge\n#SBATCH --ntasks=1\n"
                 "#SBATCH --output=%s/merge-%%j.log\nset -euo pipefail\n%s\n"
                 % (shlex.quote(logs), merge))
    paths = []
    for name, text in (("sweep.sbatch", array), ("merge.sbatch", merge_job)):
        p = os.path.join(slurm_dir, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(p, 0o755)
        paths.append(p)
    os.makedirs(logs, exist_ok=True)
    print("sweep: %d points; submit with:\n  jobid=$(sbatch --parsable %s)\n"
          "  sbatch --dependency=afterany:$jobid %s"
          % (n, shlex.quote(paths[0]), shlex.quote(paths[1])))


def run_one(spec, out, fusim, index):
    """Slurm's per-task command: point `index` (the spec's order), its row in DIR/parts/ID.csv."""
    if not 0 <= index < len(spec["points"]):
        raise SpecError("--point-index %d: the spec has points 0 to %d"
                        % (index, len(spec["points"]) - 1))
    point = spec["points"][index]
    row = run_point(fusim, point, out)
    parts = os.path.join(out, "parts")
    os.makedirs(parts, exist_ok=True)
    tmp = os.path.join(parts, ".%s.csv.tmp-%d" % (point["id"], os.getpid()))
    pd.DataFrame([row], columns=["id"] + spec["keys"] + RESULT_COLUMNS).to_csv(tmp, index=False)
    os.replace(tmp, os.path.join(parts, point["id"] + ".csv"))
    print("sweep: point %d (%s): %s" % (index, point["id"], row["status"]))
    return row["status"] == "ok"


def merge(spec, out):
    """results.csv from DIR/parts/*.csv (and an earlier results.csv); a part replaces a row."""
    table = Table(spec, out)
    parts = os.path.join(out, "parts")
    n = 0
    for p in spec["points"]:
        f = os.path.join(parts, p["id"] + ".csv")
        if os.path.isfile(f):
            rec = pd.read_csv(f, dtype=str, keep_default_na=False).to_dict("records")[0]
            table.add({c: rec[c] for c in table.columns})
            n += 1
    write_axes(spec, out)
    table.write()
    missing = len(spec["points"]) - len(table.rows)
    print("sweep: merged %d part(s) into %s; %d point(s) have no row yet"
          % (n, table.path, missing))
    return table


def main():
    ap = OneLineParser(
        prog="sweep", description=__doc__.split("\n\n")[0],
        epilog="exit status: 0 every point ok, 1 some point failed or has no row, "
               "2 a bad spec or option")
    ap.add_argument("spec", help="the sweep spec (YAML)")
    ap.add_argument("--out", required=True, help="the sweep's directory (results.csv, points/)")
    ap.add_argument("-j", type=int, default=1, help="points at once, locally (default 1)")
    ap.add_argument("--fusim", default=default_fusim(),
                    help="fusim binary (default: $FUSIM_BUILD_DIR/app/fusim, build/ by default)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--dask", metavar="ADDRESS", help="run on this Dask scheduler")
    mode.add_argument("--dask-local", type=int, metavar="N",
                      help="run on a local Dask cluster of N worker processes (loopback)")
    mode.add_argument("--emit-slurm", metavar="DIR",
                      help="write a Slurm job array (DIR/sweep.sbatch) and its merge job "
                           "(DIR/merge.sbatch), run nothing")
    mode.add_argument("--point-index", type=int, metavar="I",
                      help="run point I only, its row into DIR/parts/ (a Slurm array task)")
    mode.add_argument("--merge", action="store_true",
                      help="build results.csv from DIR/parts/ (after --point-index runs)")
    mode.add_argument("--in-process", action="store_true",
                      help="run the points through fusim's Python module (BUILD/python) instead "
                           "of a fusim process each: in this process, or with -j N in N worker "
                           "processes that each load the module once")
    ap.add_argument("--keep-programs", action="store_true",
                    help="keep each point's program (schedule.yaml) in its directory; by default "
                         "fusim runs with --out-program off (the program is most of the bytes)")
    ap.add_argument("--stop-after", type=int, metavar="N", help=argparse.SUPPRESS)  # test hook
    args = ap.parse_args()
    try:
        if args.j < 1:
            raise SpecError("-j %d: expected 1 or more" % args.j)
        if args.dask_local is not None and args.dask_local < 1:
            raise SpecError("--dask-local %d: expected 1 or more workers" % args.dask_local)
        if not args.out:
            raise SpecError("--out: an empty path")
        spec = load_spec(args.spec)
        if args.keep_programs and args.in_process:
            raise SpecError("--keep-programs: the Python module writes no program (only "
                            "report.json); run without --in-process")
        for p in spec["points"]:
            p["keep_program"] = args.keep_programs
        needs_fusim = not args.merge
        if needs_fusim and not (os.path.isfile(args.fusim) and os.access(args.fusim, os.X_OK)):
            raise SpecError("%s: no fusim binary there (scripts/build.sh; or --fusim, "
                            "FUSIM_BUILD_DIR)" % args.fusim)
        if args.emit_slurm:
            emit_slurm(spec, args.out, args.fusim, args.emit_slurm, args.keep_programs)
            return 0
        if args.point_index is not None:
            return 0 if run_one(spec, args.out, os.path.abspath(args.fusim),
                                args.point_index) else 1
        if args.merge:
            table = merge(spec, args.out)
            skipped = None
        else:
            table, skipped = run_all(spec, args.out, os.path.abspath(args.fusim), args)
    except SpecError as e:
        print("sweep: error: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sweep: interrupted; results.csv holds the points finished so far (re-run the "
              "same command to go on)", file=sys.stderr)
        return 130
    statuses = [r["status"] for r in table.rows.values()]
    failed = sum(s != "ok" for s in statuses)
    missing = len(spec["points"]) - len(statuses)
    print("sweep: %d points: %d ok, %d failed%s%s; %s"
          % (len(spec["points"]), len(statuses) - failed, failed,
             "" if skipped is None else " (%d ok already, not rerun)" % skipped,
             ", %d without a row" % missing if missing else "", table.path))
    return 0 if failed == 0 and missing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
