"""Replaces a generated block of a docs page: the text between the markers
<!-- NAME:begin (COMMAND) --> and <!-- NAME:end -->, so the page says which command made the
block. Used with --docs by the scripts that make the docs' tables (fusion_table.py writes
docs/fusion.md, dram_gap.py and dram_vs_dramsim3.py docs/dram.md). Standard library only."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def replace_block(page, name, command, text):
    """page: a path relative to the repository root, e.g. "docs/fusion.md"."""
    begin = "<!-- %s:begin (%s) -->" % (name, command)
    end = "<!-- %s:end -->" % name
    path = os.path.join(ROOT, page)
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    if begin not in doc or end not in doc:
        sys.exit("%s: the %s markers are missing" % (path, name))
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + begin + "\n" + text + end + tail)


def markdown_table(df, decimals=4):
    """A pandas DataFrame as a Markdown table (pandas' own to_markdown needs tabulate, which
    Debian 12 does not install with pandas): reals with `decimals` places, numbers right-aligned."""
    def cell(v):
        if v is None or type(v).__name__ == "NAType":  # pandas' missing value
            return "-"
        if isinstance(v, float):
            return "-" if v != v else "%.*f" % (decimals, v)  # NaN: not measured
        return str(v)
    numeric = [pd_is_number(df[c]) for c in df.columns]
    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |",
             "| " + " | ".join("---:" if n else "---" for n in numeric) + " |"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def pd_is_number(series):
    return series.dtype.kind in "iuf"
