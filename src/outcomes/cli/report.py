"""``outcomes report``: the HTML report, the workbook and CSVs (and a PDF)."""

from __future__ import annotations

import argparse
import sys

from . import add_bundle_argument, whole_number

NAME = "report"
HELP = "write report.html, tables.xlsx and tables/*.csv for a bundle"
DESCRIPTION = """\
Analyse a bundle and write, into DIR:
  report.html     one self-contained file: summary, claims with verdicts and sources, outcomes,
                  dose-response, spacing, side effects, skin types, data quality, methods and
                  provenance
  tables.xlsx     every table, one sheet each, with a README sheet
  tables/*.csv    the same tables as CSV
  report.pdf      with --pdf: the same report typeset for A4 (needs the 'pdf' extra:
                  pip install 'outcomes[pdf]')
  report.docx     with --docx: the same report as a Word document (needs the 'docx' extra)

A report is a release, meant to leave the clinic: all its files are protected together. Counts
from 1 to MIN_CELL-1 are shown as <MIN_CELL; cells that would give them back (by subtraction,
from a total, from another table sharing the count, along an at-risk chain) as *; estimates
resting on fewer units or giving a small count back are withheld; counts are taken out of text;
at-risk tables stop below MIN_CELL and figures draw only what the tables show. Every
suppression is listed in tables.xlsx (sheet suppressions) and tables/suppressions.csv. No
patient-level rows are written unless --include-patient-rows is given.

Example:
  outcomes report data/sample --out build/report
"""


#: What :func:`run` imports in a thread while the bundle is read.
_REPORT_MODULES = ("outcomes.claims.catalogue", "outcomes.courses", "outcomes.report.write")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_bundle_argument(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    p.add_argument("--claims", metavar="FILE",
                   help="a TOML file changing thresholds or adding claims of the known kinds")
    p.add_argument("--condition", nargs="+", metavar="CONDITION",
                   help="restrict the analysis to these conditions")
    p.add_argument("--min-cell", type=whole_number(1), default=5, metavar="N",
                   help="smallest count shown in the release; 1..N-1 are shown as <N "
                        "(default 5)")
    p.add_argument("--pdf", action="store_true", help="also write report.pdf")
    p.add_argument("--docx", action="store_true", help="also write report.docx")
    p.add_argument("--include-patient-rows", action="store_true",
                   help="also export the patient-level course table (pseudonymous ids)")
    p.add_argument("--scales", metavar="FILE", help="a TOML file declaring further outcome scales")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from ..bundle.load import import_in_background, load_bundle
    from ..bundle.memory import release_memory

    # the analyses' and the report's modules (a second) imported while the files are parsed
    importing = import_in_background(_REPORT_MODULES)
    try:
        log = load_bundle(args.path, scales=args.scales, mapping=args.mapping)
    finally:
        if importing is not None:
            importing.join()
    release_memory()  # what parsing freed (a third of the memory at 1M) before the analyses
    from ..claims.catalogue import load_catalogue
    from ..courses import build_courses
    from ..engine.run import without_rows
    from ..report.write import write_report

    catalogue = load_catalogue(args.claims)
    # the analyses read the courses and the log's counts, rejects, warnings and columns: the
    # accepted rows are let go once the courses are built
    courses = build_courses(log.filter(condition=args.condition) if args.condition else log,
                            bands=dict(catalogue.bands))
    log = without_rows(log)
    release_memory()
    result = write_report(
        log, args.out, catalogue=catalogue, conditions=args.condition,
        min_cell=args.min_cell, pdf=args.pdf, docx=args.docx,
        include_patient_rows=args.include_patient_rows,
        command=["outcomes", *sys.argv[1:]] if sys.argv and "outcomes" in sys.argv[0] else None,
        quiet=args.quiet, keep_results=False, courses=courses,
    )
    counts = result.verdicts
    extra = [str(p) for p in (result.pdf, result.docx) if p]
    print(f"Wrote {result.html}, {result.xlsx} and {len(result.csv)} CSV files"
          + "".join(f" and {p}" for p in extra))
    print("Claims: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    if log.n_quarantined:
        print(f"{log.n_quarantined} input rows were quarantined and left out "
              "(see the report's data-quality section).")
    return 0
