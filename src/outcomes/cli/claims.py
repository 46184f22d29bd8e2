"""``outcomes claims``: one verdict per claim of the catalogue."""

from __future__ import annotations

import argparse
import sys

from . import add_bundle_argument

NAME = "claims"
HELP = "test the documents' claims against a bundle: one verdict per claim"
DESCRIPTION = """\
Estimate what each claim of the catalogue is about, with a patient-clustered 95% interval, and
say whether the bundle supports it, contradicts it, cannot tell (inconclusive), or lacks the data
to test it (not_testable, with the missing table or column named).

Examples:
  outcomes claims data/sample
  outcomes claims data/sample --format json > claims.json
  outcomes claims data/sample --claims my_thresholds.toml --condition acne_scars wrinkles
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


def run(args: argparse.Namespace) -> int:
    from ..bundle.load import load_bundle
    from ..claims.evaluate import evaluate_claims
    from ..output.safety import neutralise_formulas

    log = load_bundle(args.path, scales=args.scales, mapping=args.mapping)
    result = evaluate_claims(log, catalogue=args.claims, conditions=args.condition)
    if args.format == "json":
        print(result.to_json())
    elif args.format == "csv":
        neutralise_formulas(result.flat()).to_csv(sys.stdout, index=False)
    else:
        print(result.to_text(width=100))
        if log.n_quarantined:
            print(f"\nNote: {log.n_quarantined} input rows were quarantined and left out; "
                  "run 'outcomes validate' to see why.")
    return 0
