"""``outcomes dashboard``: the clinician dashboard as a local web app."""

from __future__ import annotations

import argparse

from . import whole_number

NAME = "dashboard"
HELP = "open the clinician dashboard of a bundle in the web browser"
DESCRIPTION = """\
Serve the clinician dashboard of a bundle as a local web app: filters by condition, setting,
skin type, clinic and dates; the claims with their verdicts; the dose-response and side-effect
plots; an export of what is shown (claims table as CSV and XLSX, plots as PNG). No code is shown.

The app runs on this computer only (127.0.0.1) until Ctrl-C. Everything it shows and exports
follows the release rules: counts from 1 to MIN_CELL-1 are shown as <MIN_CELL, and a filter
leaving fewer than MIN_CELL patients shows a message instead of results.

Needs the 'notebooks' extra (pip install 'outcomes[notebooks]'), which brings Voilà.

Examples:
  outcomes dashboard data/sample
  outcomes dashboard data/sample --port 8866 --no-browser --min-cell 10
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from . import BUNDLE_HELP

    p.add_argument("path", metavar="PATH", help=BUNDLE_HELP)
    p.add_argument("--port", type=whole_number(1, "a port number"), metavar="N",
                   help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--claims", metavar="FILE",
                   help="a TOML file changing thresholds or adding claims of the known kinds")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open the web browser (print the address only)")
    p.add_argument("--min-cell", type=whole_number(1), default=5, metavar="N",
                   help="smallest count shown; 1..N-1 are shown as <N, and a filter leaving "
                        "fewer than N patients shows a message (default 5)")


def run(args: argparse.Namespace) -> int:
    from ..app.serve import serve

    return serve(args.path, port=args.port, claims=args.claims, min_cell=args.min_cell,
                 open_browser=not args.no_browser)
