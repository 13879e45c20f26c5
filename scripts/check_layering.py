#!/usr/bin/python3
"""Checks that the source folders include each other one way only.

Reads every #include "..." of the libraries' sources (model/, io/, scheduler/, sim/, report/,
app/, python/), resolves it the way the build does (each library sees its own folder and those of the
libraries it links), and fails when
  - an include resolves to no file a library may see (it would reach past its layer), or
  - the folders (model/arch, scheduler/cost, sim/dram, ...) include each other in a cycle.
Prints the folder graph with -v. Standard library only; run by CTest (layering).
"""

import os
import re
import sys

# Each library's include path, in the order the compiler searches it (its CMake links).
SEES = {
    "model": ["model"],
    "io": ["io", "model"],
    "scheduler": ["scheduler", "io", "model"],
    "sim": ["sim", "model"],
    "report": ["report", "scheduler", "sim", "io", "model"],
    "app": ["app", "report", "scheduler", "sim", "io", "model"],
    "python": ["python", "app", "report", "scheduler", "sim", "io", "model"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def folder(path):
    """The folder a file belongs to: model/arch for model/arch/arch.h, sim for sim/simulate.cpp."""
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "."
    verbose = "-v" in sys.argv
    files = {}
    for lib in SEES:
        for dirpath, _, names in os.walk(os.path.join(root, lib)):
            for n in names:
                if n.endswith((".h", ".cpp")):
                    rel = os.path.relpath(os.path.join(dirpath, n), root)
                    files[rel] = lib
    problems = []
    edges = {}
    for path, lib in sorted(files.items()):
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            target = next((os.path.join(l, inc) for l in SEES[lib]
                           if os.path.join(l, inc) in files), None)
            if target is None:
                # A file beside the includer (report.h from report.cpp) or one of another library.
                beside = os.path.join(os.path.dirname(path), inc)
                if beside in files:
                    target = beside
                elif any(os.path.join(l, inc) in files for l in SEES):
                    problems.append(f"{path}: includes \"{inc}\", which {lib} does not link")
                continue
            a, b = folder(path), folder(target)
            if a != b:
                edges.setdefault(a, set()).add(b)
    # Cycles among folders: a depth-first search that reports each back edge's loop.
    state, stack = {}, []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(edges.get(u, ())):
            if state.get(v) == 1:
                problems.append("include cycle: " + " -> ".join(stack[stack.index(v):] + [v]))
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(edges):
        if u not in state:
            visit(u)
    if verbose:
        for u in sorted(edges):
            print(f"{u} -> {', '.join(sorted(edges[u]))}")
    for p in problems:
        print(p)
    print(f"layering: {len(files)} files, {len(edges)} folders that include others, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
