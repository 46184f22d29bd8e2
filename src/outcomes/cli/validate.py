"""``outcomes validate PATH [--rejects DIR]``: check a bundle against the data contract."""

from __future__ import annotations

import argparse
import warnings
from typing import TYPE_CHECKING

from ..errors import DataQualityWarning
from . import EXIT_INPUT, EXIT_OK, add_bundle_argument, add_engine_arguments, whole_number

if TYPE_CHECKING:  # the loader (pandas, pyarrow) is imported by the functions that run
    from ..bundle.log import SessionLog

NAME = "validate"
HELP = "check a bundle against the data contract; list quarantined rows and blanked values"
DESCRIPTION = """\
Read an anonymised session-log bundle (a folder of sessions/assessments/adverse_events as CSV or
Parquet, or an .xlsx workbook with sheets of those names) and check it against the data
contract. Prints, per table, how many rows were read, accepted, quarantined and warned about,
the SHA-256 of each input file, and the first problems found. Row numbers are spreadsheet rows
(the header is row 1). The input files are never changed. The output is internal (exact counts,
row numbers and values), for the clinic's own staff: its first line says so.

With --rejects DIR, writes DIR/<table>_rejects.csv (the quarantined rows, with their row number
and every reason) and DIR/warnings.csv (every blanked value and ignored column).

Examples:
  outcomes validate data/sample
  outcomes validate clinic_export.xlsx --rejects rejects/

exit status:
  0  every row was accepted (values may have been blanked, with warnings)
  1  rows were quarantined, or the bundle could not be read
  2  usage error
"""

DEFAULT_SHOWN = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``PATH``, ``--rejects DIR``, ``--scales TOML``, ``--show N`` and the engine."""
    add_bundle_argument(parser)
    parser.add_argument("--rejects", metavar="DIR",
                        help="write <table>_rejects.csv and warnings.csv into this folder")
    parser.add_argument("--scales", metavar="TOML",
                        help="extra outcome scales to check assessment scores against")
    parser.add_argument("--show", type=whole_number(0), default=DEFAULT_SHOWN, metavar="N",
                        help=f"problems to list (default {DEFAULT_SHOWN})")
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Validate ``args.path``, print the report, write the rejects if asked.

    Returns
    -------
    int
        0 when every row was accepted, 1 when rows were quarantined, 2 when the rejects folder
        cannot be written. An unreadable bundle raises (the dispatcher prints it, exit 1).
    """
    from ..bundle.load import load_bundle

    engine = "memory" if args.mapping is not None else args.engine
    if engine != "memory":
        from ..engine.choose import choose_engine  # not the engines themselves

        engine = choose_engine(args.path, engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # reported below, in full
        if engine == "memory":
            log = load_bundle(args.path, scales=args.scales, mapping=args.mapping)
        else:
            from ..engine.run import load_courses

            log, _ = load_courses(args.path, engine=engine, scheduler=args.scheduler,
                                  scales=args.scales, workdir=args.workdir,
                                  workers=args.workers, courses=False)
    print(report(log, shown=args.show))
    if args.rejects:  # a folder that cannot be written: OutputError, exit 2 (the dispatcher)
        from ..output.export import save_rejects

        written = save_rejects(log, args.rejects)
        print("Written: " + ", ".join(p.name for p in written))
    return EXIT_INPUT if log.n_quarantined else EXIT_OK


def report(log: SessionLog, shown: int = DEFAULT_SHOWN) -> str:
    """The plain-text report of a validated bundle: counts, checksums, first problems.

    Parameters
    ----------
    log : SessionLog
        A loaded bundle.
    shown : int
        How many problems to list before "and N more".

    Returns
    -------
    str
    """
    from .._docs import INTERNAL_NOTICE

    lines = [INTERNAL_NOTICE, f"Bundle {log.source}", "", log.counts.to_string(), ""]
    if log.missing_tables:
        lines += [log.missing_text(), ""]
    lines.append("Input files (SHA-256):")
    width = max((len(name) for name in log.checksums), default=0)
    lines += [f"  {name:<{width}}  {digest}" for name, digest in log.checksums.items()]
    problems = problem_lines(log)
    lines.append("")
    if not problems:
        lines.append("No problems: every row was accepted and no value was blanked.")
        return "\n".join(lines)
    lines.append(_verdict(log))
    lines.append("Row numbers are spreadsheet rows (the header is row 1).")
    lines += [f"  {p}" for p in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"  and {len(problems) - shown} more")
    return "\n".join(lines)


def _verdict(log: SessionLog) -> str:
    from ..bundle.schema import Col

    quarantined = log.n_quarantined
    blanked = int((log.warnings[Col.ROW] > 1).sum())
    ignored = len(log.warnings) - blanked
    parts = []
    if quarantined:
        parts.append(f"{quarantined} row(s) quarantined (left out of every statistic)")
    if blanked:
        parts.append(f"{blanked} value(s) left blank")
    if ignored:
        parts.append(f"{ignored} column(s) ignored")
    return "Problems: " + ", ".join(parts) + "."


def problem_lines(log: SessionLog) -> list[str]:
    """One line per quarantined row, then one per warning, each naming file and row.

    Parameters
    ----------
    log : SessionLog
        A loaded bundle.

    Returns
    -------
    list of str
        For example ``sessions.csv row 7 quarantined: session_date: ...``.
    """
    from ..bundle.schema import TABLES, Col

    lines = []
    for table in TABLES:
        rejects = log.rejects.get(table)
        if rejects is None or rejects.empty:
            continue
        where = _where(log, table)
        lines += [
            f"{where} row {row} quarantined: {reason}"
            for row, reason in zip(rejects[Col.ROW], rejects[Col.REASON], strict=True)
        ]
    for table, row, message in zip(log.warnings[Col.TABLE], log.warnings[Col.ROW],
                                   log.warnings[Col.MESSAGE], strict=True):
        lines.append(f"{_where(log, table)} row {row}, {message}")
    return lines


def _where(log: SessionLog, table: str) -> str:
    """How to name a table's file: ``sessions.csv``, or ``book.xlsx, sheet sessions``."""
    if table in log.table_sources:
        return log.table_sources[table]
    for name in log.checksums:
        if name.rsplit(".", 1)[0].lower() == table:
            return name
    if log.source.lower().endswith(".xlsx"):
        return f"{log.source}, sheet {table}"
    return table
