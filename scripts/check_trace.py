#!/usr/bin/python3
"""Checks a fusim --trace file against the Chrome trace-event format (the JSON Object Format:
an object whose "traceEvents" is a list of events) and against what fusim promises of it:

  - every event has a known phase (X complete, C counter, M metadata) and the fields that
    phase needs, with the right types (pid and tid integers, ts and dur numbers >= 0, a name);
  - counter events carry numeric series; metadata events name processes and threads;
  - on each track (pid, tid), complete events are in time order and do not overlap;
  - every track that has events is named (thread_name), every process too (process_name).

    /usr/bin/python3 scripts/check_trace.py TRACE.json

Prints one line per problem (at most 20) and exits 1 when there is any, else prints a summary
and exits 0. Standard library only."""

import json
import sys
from collections import defaultdict

PHASES = {"X", "C", "M"}
METADATA = {"process_name", "thread_name", "process_sort_index", "thread_sort_index"}


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check(doc):
    problems = []
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["the top level is not an object with a traceEvents list"]
    spans = defaultdict(list)
    named_threads, named_processes, used_threads, used_processes = set(), set(), set(), set()
    for i, e in enumerate(doc["traceEvents"]):
        where = "event %d" % i
        if not isinstance(e, dict):
            problems.append("%s: not an object" % where)
            continue
        ph = e.get("ph")
        if ph not in PHASES:
            problems.append("%s: phase %r is not one fusim writes (X, C, M)" % (where, ph))
            continue
        if not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int):
            problems.append("%s: pid and tid must be integers" % where)
            continue
        if not isinstance(e.get("name"), str) or not e["name"]:
            problems.append("%s: no name" % where)
        track = (e["pid"], e["tid"])
        if ph == "M":
            if e["name"] not in METADATA or not isinstance(e.get("args"), dict):
                problems.append("%s: metadata %r without args" % (where, e.get("name")))
            elif e["name"] == "thread_name":
                named_threads.add(track)
            elif e["name"] == "process_name":
                named_processes.add(e["pid"])
            continue
        if not number(e.get("ts")) or e["ts"] < 0:
            problems.append("%s: ts must be a number >= 0" % where)
            continue
        used_processes.add(e["pid"])
        if ph == "C":
            args = e.get("args")
            if not isinstance(args, dict) or not args or not all(number(v) for v in args.values()):
                problems.append("%s: a counter needs numeric args" % where)
            continue
        if not number(e.get("dur")) or e["dur"] < 0:
            problems.append("%s: dur must be a number >= 0" % where)
            continue
        used_threads.add(track)
        spans[track].append((e["ts"], e["ts"] + e["dur"], i))
    for track, s in sorted(spans.items()):
        for (a0, a1, i), (b0, _, j) in zip(s, s[1:]):
            if b0 < a0:
                problems.append("track %s: event %d starts before event %d" % (track, j, i))
            elif b0 < a1 - 1e-6:
                problems.append("track %s: event %d overlaps event %d" % (track, j, i))
    for track in sorted(used_threads - named_threads):
        problems.append("track %s has events but no thread_name" % (track,))
    for pid in sorted(used_processes - named_processes):
        problems.append("process %d has events but no process_name" % pid)
    return problems, spans


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_trace.py TRACE.json")
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("check_trace: %s: %s" % (sys.argv[1], e))
        sys.exit(1)
    result = check(doc)
    if isinstance(result, list):
        problems, spans = result, {}
    else:
        problems, spans = result
    for p in problems[:20]:
        print("check_trace: %s: %s" % (sys.argv[1], p))
    if problems:
        sys.exit(1)
    print("check_trace: %s: %d events, %d tracks of spans, all in order and apart"
          % (sys.argv[1], len(doc["traceEvents"]), len(spans)))


if __name__ == "__main__":
    main()
