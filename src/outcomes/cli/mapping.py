"""``outcomes mapping PATH --out clinic.toml``: draft a mapping of a clinic's own export."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import EXIT_OK, EXIT_USAGE

NAME = "mapping"
HELP = "draft a mapping of a clinic's own export (headers, words, dates) to the data contract"
DESCRIPTION = """\
Read the headers and distinct values of an export (a folder of CSV, Parquet or .xlsx files, or
one .xlsx workbook) and write a mapping of it to the data contract: which file or sheet is which
table, which header is which column, which of the export's words is which contract word, the
format of each date column and the unit of each measured one. What the export shows plainly
(exact and near names, words near the contract's, a date format that alone reads every value) is
filled in; everything else is a commented TODO line naming the candidates, for you to confirm.
The export is only read.

Then load the export through it with --mapping FILE on validate, claims, report or audit.

Examples:
  outcomes mapping clinic_export/ --out clinic.toml
  outcomes validate clinic_export/ --mapping clinic.toml
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="PATH", help="the export: a folder of tables, or a workbook")
    p.add_argument("--out", required=True, metavar="FILE", help="the mapping to write (.toml)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace) -> int:
    import sys

    from ..bundle.draft import draft_mapping

    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"outcomes mapping: {out.name} exists already; give --force to replace it.",
              file=sys.stderr)
        return EXIT_USAGE
    draft = draft_mapping(args.path)
    try:
        out.write_text(draft.text, encoding="utf-8")
    except OSError as exc:
        print(f"outcomes mapping: cannot write {out.name}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_USAGE
    filled = sum(len(c) for c in draft.columns.values())
    tables = ", ".join(f"{t} <- {s}" for t, s in draft.tables.items()) or "none"
    print(f"Wrote {out}: tables {tables}; {filled} columns filled in, {draft.todo} TODO "
          "line(s) to confirm.")
    return EXIT_OK
