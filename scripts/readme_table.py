"""Replaces a generated block of README.md: the text between the markers
<!-- NAME:begin (COMMAND) --> and <!-- NAME:end -->. Used by the scripts that make the
README's tables (fusion_table.py, dram_gap.py) with --readme. Standard library only."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def replace_block(name, command, text):
    begin = "<!-- %s:begin (%s) -->" % (name, command)
    end = "<!-- %s:end -->" % name
    path = os.path.join(ROOT, "README.md")
    with open(path, encoding="utf-8") as f:
        readme = f.read()
    if begin not in readme or end not in readme:
        sys.exit("%s: the %s markers are missing" % (path, name))
    head, rest = readme.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + begin + "\n" + text + end + tail)
