#!/usr/bin/python3
"""The Python API (python/fusim_module.cpp): fusim.run gives the same report as the command
line's report.json, for several searches and overrides; bad input raises fusim.InputError with
the file, line and key the command line names.

    PYTHONPATH=build/python /usr/bin/python3 tests/python/test_python_api.py FUSIM SOURCE_DIR
"""

import json
import os
import subprocess
import sys
import tempfile

import fusim

FUSIM, SRC = sys.argv[1], sys.argv[2]
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok else ": " + detail))
    failures += 0 if ok else 1


def cli_report(arch, net, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        subprocess.run([FUSIM, "--arch", arch, "--net", net, "--quiet", "--out", out] + args,
                       check=True)
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            return json.load(f)


mlu = os.path.join(SRC, "configs", "mlu.yaml")
cases = [
    ("tiny_chain", "none", {}, None),
    ("tiny_chain", "optimal", {"cores.count": 4}, None),
    ("mobilenetv2", "optimal", {}, None),
    ("mobilenetv2", "dlfusion", {"energy.table": "archon-ics21"}, 8),
]
for net, fusion, overrides, cores in cases:
    path = os.path.join(SRC, "workloads", net + ".yaml")
    args = ["--fusion", fusion]
    for k, v in overrides.items():
        args += ["-p", "%s=%s" % (k, v)]
    if cores is not None:
        args += ["--cores", str(cores)]
    got = fusim.run(mlu, path, overrides=overrides, fusion=fusion, cores=cores)
    want = cli_report(mlu, path, args)
    check("%s %s %s: the same report as the command line" % (net, fusion, overrides or ""),
          got == want, "cycles %s vs %s" % (got.get("cycles"), want.get("cycles")))

# The on/off options, as keyword arguments.
mnv2 = os.path.join(SRC, "workloads", "mobilenetv2.yaml")
for kw, flag in [("shared_fmaps", "--shared-fmaps"), ("prefetch_weights", "--prefetch-weights"),
                 ("input_centric", "--input-centric")]:
    got = fusim.run(mlu, mnv2, **{kw: False})
    want = cli_report(mlu, mnv2, [flag, "off"])
    check("%s=False is %s off" % (kw, flag), got == want,
          "cycles %s vs %s" % (got.get("cycles"), want.get("cycles")))

got = fusim.run(mlu, mnv2, fusion_policy="simple")
want = cli_report(mlu, mnv2, ["--fusion-policy", "simple"])
check("fusion_policy='simple' is --fusion-policy simple", got == want,
      "cycles %s vs %s" % (got.get("cycles"), want.get("cycles")))

tiny = os.path.join(SRC, "workloads", "tiny_chain.yaml")
try:
    fusim.run(mlu, tiny, overrides={"cores.count": 0})
    check("a bad override raises", False, "no exception")
except fusim.InputError as e:
    check("a bad override raises InputError naming its key",
          e.key == "cores.count" and isinstance(e, ValueError) and e.message, repr(e.key))
try:
    fusim.run(os.path.join(SRC, "configs", "missing.yaml"), tiny)
    check("a missing file raises", False, "no exception")
except fusim.InputError as e:
    check("a missing file raises InputError naming it", e.file.endswith("missing.yaml"), e.file)
try:
    fusim.run(mlu, tiny, fusion="no-such-search")
    check("an unknown search raises", False, "no exception")
except fusim.InputError as e:
    check("an unknown search raises InputError on --fusion", e.key == "--fusion", e.key)
with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w", encoding="utf-8") as f:
        f.write("name: x\nclock_mhz: 1000\ncores:\n  count: 2\n  bogus: 1\n")
    try:
        fusim.run(bad, tiny)
        check("an unknown arch key raises", False, "no exception")
    except fusim.InputError as e:
        check("an unknown arch key raises InputError with file, line and key",
              e.file == bad and e.line == 5 and e.key == "cores.bogus", "%s:%s %s" % (e.file, e.line, e.key))
sys.exit(1 if failures else 0)
