"""``outcomes simulate``: write a simulated session-log bundle whose truth is known."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import checked, whole_number

NAME = "simulate"
HELP = "write a simulated session-log bundle (known truth, optional data-entry faults)"
DESCRIPTION = """\
Write a bundle of the three tables (sessions, assessments, adverse_events) drawn from the
simulator: patients with one or two conditions, professional and home courses, outcome
assessments and side effects from a model whose parameters rest on published figures. No public
per-patient microneedling data set exists; simulated bundles let you try the package, test it
and benchmark it. The same seed and options always give the same files.

With --fault-rate above 0, a small share of rows get realistic data-entry faults of every kind
the loader must catch (non-ISO or impossible dates, unknown vocabulary values, scores outside
their scale, unresolved events without a last contact, resolution before onset, events naming no
session, conflicting duplicate session ids, out-of-range duration, pain or depth). --faults FILE
writes what was injected (table, row, column, kind, expect) as CSV, outside the bundle.

The defaults (seed 20241118, 300 patients, fault rate 0.01, CSV) reproduce data/sample.
An existing folder that is not empty is never written into unless you give --force; then the
bundle's own files are replaced and anything else in the folder is left alone.

Examples:
  outcomes simulate --out my_bundle
  outcomes simulate --out big --seed 7 --patients 190000 --format parquet --fault-rate 0
  outcomes simulate --out data/sample --seed 20241118 --patients 300 --force
"""

SAMPLE_SEED = 20241118
SAMPLE_PATIENTS = 300
SAMPLE_FAULT_RATE = 0.01
EXIT_OK, EXIT_USAGE = 0, 2


#: The argparse type of ``--fault-rate``.
_rate = checked(float, lambda value: 0 <= value <= 0.5, "a share between 0 and 0.5")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder to write the bundle into (created if needed)")
    p.add_argument("--seed", type=int, default=SAMPLE_SEED, metavar="N",
                   help=f"seed of the random generator (default {SAMPLE_SEED}, as data/sample)")
    p.add_argument("--patients", type=whole_number(1, "a number of patients"),
                   default=SAMPLE_PATIENTS, metavar="N",
                   help=f"number of patients (default {SAMPLE_PATIENTS}; about 5.3 sessions "
                        "each, so 190000 give about 1,000,000 sessions)")
    p.add_argument("--format", choices=("csv", "parquet", "xlsx"), default="csv",
                   help="csv (the default): one file per table; parquet: one file per table; "
                        "xlsx: one workbook bundle.xlsx with a sheet per table")
    p.add_argument("--sep", choices=(",", ";"), default=",", metavar="SEP",
                   help="CSV separator, ',' (the default) or ';' (then numbers get decimal commas)")
    p.add_argument("--fault-rate", type=_rate, default=SAMPLE_FAULT_RATE, metavar="X",
                   help=f"share of rows with an injected data-entry fault, 0 to 0.5 (default "
                        f"{SAMPLE_FAULT_RATE}, as data/sample; 0 for a clean bundle)")
    p.add_argument("--faults", metavar="FILE",
                   help="also write the injected faults (the ground truth for the loader) to "
                        "this CSV file; keep it outside the bundle folder")
    p.add_argument("--force", action="store_true",
                   help="write into a folder that is not empty, replacing the bundle's files")


def run(args: argparse.Namespace) -> int:
    from ..bundle.schema import TABLES
    from ..bundle.write import BUNDLE_FORMATS, WORKBOOK_NAME, write_bundle
    from ..output.folder import OutputSet
    from ..simulate.draw import simulate

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"outcomes simulate: {out} is a file, not a folder; give a folder for --out.",
              file=sys.stderr)
        return EXIT_USAGE
    if out.is_dir() and any(out.iterdir()) and not args.force:
        print(f"outcomes simulate: the folder {out} is not empty; nothing was written. Give an "
              "empty or new folder, or add --force to replace the bundle's files in it.",
              file=sys.stderr)
        return EXIT_USAGE
    if args.faults and out.is_dir() and Path(args.faults).resolve().parent == out.resolve():
        print("outcomes simulate: --faults must be outside the bundle folder (the loader would "
              "not expect it there).", file=sys.stderr)
        return EXIT_USAGE
    tables, faults = simulate(args.patients, args.seed, fault_rate=args.fault_rate,
                              return_faults=True)
    # written as one set: the bundle files of any format that this run does not write again
    # are removed (another format's files would make the bundle ambiguous)
    output = OutputSet(out, known=[*(f"{name}.{fmt}" for name in TABLES for fmt in BUNDLE_FORMATS
                                     if fmt != "xlsx"), WORKBOOK_NAME])
    with output as staging:
        staged = write_bundle(tables, staging, format=args.format, sep=args.sep)
    written = [output.final(p) for p in staged]
    removed = output.removed
    if args.faults:
        Path(args.faults).parent.mkdir(parents=True, exist_ok=True)
        faults.to_csv(args.faults, index=False, lineterminator="\n")
    rows = ", ".join(f"{len(tables[name]):,} {name}" for name in TABLES)
    print(f"Wrote {rows} rows for {args.patients:,} patients (seed {args.seed}) to {out}: "
          + ", ".join(p.name for p in written) + ".")
    if removed:
        print("Removed the previous bundle files of another format: " + ", ".join(removed) + ".")
    if len(faults):
        quarantine = int((faults["expect"] == "quarantine").sum())
        warning = int((faults["expect"] == "warning").sum())
        print(f"Injected data-entry faults: {quarantine} rows to quarantine (with the events of "
              f"faulty sessions) and {warning} values to blank with a warning"
              + (f"; listed in {args.faults}." if args.faults else "."))
    return EXIT_OK
