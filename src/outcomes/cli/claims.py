"""``outcomes claims``: one verdict per claim of the catalogue."""

from __future__ import annotations

import argparse
import json
import sys

from . import add_bundle_argument, add_engine_arguments, whole_number

NAME = "claims"
HELP = "test the documents' claims against a bundle: one verdict per claim"
DESCRIPTION = """\
Estimate what each claim of the catalogue is about, with a patient-clustered 95% interval, and
say whether the bundle supports it, contradicts it, cannot tell (inconclusive), or lacks the data
to test it (not_testable, with the missing table or column named).

Without --release the output is internal: exact counts, however small, for the clinic's own
staff (its first line says so; for json and csv that line goes to standard error). With
--release it may leave the clinic: counts from 1 to MIN_CELL-1 are shown as <MIN_CELL, estimates
resting on fewer units or giving a small count back are withheld, and counts are taken out of
the method, reason and details text.

Examples:
  outcomes claims data/sample
  outcomes claims data/sample --format json --release > claims.json
  outcomes claims data/sample --claims my_thresholds.toml --condition acne_scars wrinkles
  outcomes claims big_bundle --engine partitioned
  outcomes claims /shared/registry --engine dask --scheduler tcp://10.0.0.5:8786 \\
      --workdir /shared/tmp
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_bundle_argument(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table (readable in a terminal, the default), json (an array, one object "
                        "per claim) or csv")
    p.add_argument("--claims", metavar="FILE",
                   help="a TOML file changing thresholds or adding claims of the known kinds")
    p.add_argument("--condition", nargs="+", metavar="CONDITION",
                   help="restrict the data (and the condition-specific claims) to these conditions")
    p.add_argument("--scales", metavar="FILE", help="a TOML file declaring further outcome scales")
    p.add_argument("--release", action="store_true",
                   help="protect the output for sharing outside the clinic (small counts hidden)")
    p.add_argument("--min-cell", type=whole_number(1), default=5, metavar="N",
                   help="with --release: smallest count shown; 1..N-1 are shown as <N "
                        "(default 5)")
    add_engine_arguments(p)


def run(args: argparse.Namespace) -> int:
    # evaluate_bundle imports the statistics (and pandas) while the files are read
    from ..engine import evaluate_bundle

    if args.mapping is not None:  # a clinic's own export: read in memory, through its mapping
        from ..bundle.load import load_bundle
        from ..claims.evaluate import evaluate_claims

        log = load_bundle(args.path, scales=args.scales, mapping=args.mapping)
        result = evaluate_claims(log, catalogue=args.claims, conditions=args.condition)
    else:
        log, result = evaluate_bundle(args.path, engine=args.engine, scheduler=args.scheduler,
                               catalogue=args.claims, conditions=args.condition,
                               scales=args.scales, workdir=args.workdir,
                               workers=args.workers, keep="claims")
    from ..output.export import INTERNAL_NOTICE
    from ..output.safety import neutralise_formulas

    if args.release:
        return _release(result, args)
    if args.format in ("json", "csv"):  # stdout stays machine-readable; the notice goes first
        print(INTERNAL_NOTICE, file=sys.stderr)
    if args.format == "json":
        print(result.to_json())
    elif args.format == "csv":
        neutralise_formulas(result.flat()).to_csv(sys.stdout, index=False)
    else:
        print(INTERNAL_NOTICE)
        print(result.to_text(width=100))
        if log.n_quarantined:
            print(f"\nNote: {log.n_quarantined} input rows were quarantined and left out; "
                  "run 'outcomes validate' to see why.")
    return 0


def _release(result, args) -> int:
    """The claims as they may leave the clinic (one release: the claims table)."""
    from ..output.safety import neutralise_formulas
    from ..report.relations import CLAIMS_RULES, release_of

    published = release_of({"claims": result.flat()}, {"claims": CLAIMS_RULES},
                           args.min_cell).publish()
    table = published.tables["claims"]
    if args.format == "json":
        records = json.loads(table.to_json(orient="records", force_ascii=False))
        print(json.dumps({"min_cell": args.min_cell, "claims": records,
                          "suppressions": json.loads(published.suppressions.to_json(
                              orient="records", force_ascii=False))},
                         indent=2, ensure_ascii=False))
    elif args.format == "csv":
        neutralise_formulas(table).to_csv(sys.stdout, index=False)
    else:
        cols = [c for c in ("id", "verdict", "estimate", "ci_low", "ci_high", "n", "reason")
                if c in table]
        print(table[cols].to_string(index=False))
        print(f"\n{len(published.suppressions)} cells suppressed (counts from 1 to "
              f"{args.min_cell - 1} shown as <{args.min_cell}).")
    return 0
