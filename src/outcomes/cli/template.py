"""``outcomes template --out clinic_log.xlsx``: a data-entry workbook with drop-downs."""

from __future__ import annotations

import argparse

from . import EXIT_OK

NAME = "template"
HELP = "write a data-entry workbook: the contract's sheets and headers, drop-downs, limits"
DESCRIPTION = """\
Write an .xlsx workbook to keep a clinic's log in by hand: the sheets sessions, assessments and
adverse_events with the contract's headers, a drop-down for every vocabulary column, date cells
for dates, the contract's limits on numbers, the age_band cells as text (so 65+ stays 65+), and
an instructions sheet. A filled template loads as it is: outcomes validate clinic_log.xlsx.

Example:
  outcomes template --out clinic_log.xlsx
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="FILE", help="the workbook to write (.xlsx)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace) -> int:
    from ..bundle.template import write_template

    written = write_template(args.out, overwrite=args.force)  # OutputError: exit 2
    print(f"Wrote {written}: fill in the sheets, then run 'outcomes validate {written.name}'.")
    return EXIT_OK
