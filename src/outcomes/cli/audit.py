"""``outcomes audit PATH --out DIR``: data quality, protocol adherence and safety signals."""

from __future__ import annotations

import argparse
import sys
import warnings

from ..errors import ConfigError, DataQualityWarning
from . import EXIT_USAGE, add_bundle_argument, whole_number

NAME = "audit"
HELP = "audit data quality, adherence to practice recommendations and safety signals"
DESCRIPTION = """\
Audit an anonymised session-log bundle and write DIR/audit.html (self-contained),
DIR/audit.json (machine-readable) and DIR/audit.xlsx (with CSV copies).

The audit runs data-quality checks (conformance, completeness, plausibility), measures
adherence to the practice recommendations of the claims catalogue (overall, per clinic and
per operator, with the non-adherent session ids) and looks for safety signals (notable
adverse-event rates per clinic, operator, device and needle depth against a ceiling).
Thresholds and ceilings are those of the package's audit.toml, changed by --config.

Two audiences. By default the audit is internal, for the clinic's own auditor: exact counts
and percentages (data-quality reasons and check numerators included) and the non-adherent
sessions listed by id; every file says so on its first line, sheet or heading ("Internal: exact
small counts and session identifiers - do not share outside the clinic."). With --release the
files may leave the clinic: counts from 1 to MIN_CELL-1 are shown as "<MIN_CELL", cells that
would give them back (by subtraction, from a total or from another table) as "*", estimates
resting on fewer units or giving a small count back are withheld, counts are taken out of text,
no session is listed, and every suppression is listed in the workbook and tables/suppressions.csv.

exit status:
  0  every check passed its threshold
  1  the bundle could not be read (nothing is written)
  2  usage error, or a malformed --config file
  3  at least one check failed, a funnel alarm or a CUSUM signal sounded (the files are
     written; a scheduler can alert; the thresholds of monitoring.* in --config decide)

Re-scoring: --rescore AUDIT_JSON re-decides the checks of a stored audit.json against the
thresholds of --config, without the data, and writes DIR/audit_rescored.json (exit status
as above).

Examples:
  outcomes audit data/sample --out build/audit
  outcomes audit data/sample --out build/audit-release --release --min-cell 10
  outcomes audit clinic_export.xlsx --out audit/2026-11 --config audit.toml
  outcomes audit --rescore audit/2026-11/audit.json --config stricter.toml --out audit/re
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bundle_argument(parser, required=False)
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    parser.add_argument("--config", metavar="TOML",
                        help="audit settings changing the built-in audit.toml")
    parser.add_argument("--release", action="store_true",
                        help="write a release to share outside the clinic (small counts hidden, "
                             "no session listed); default: the internal audit, exact")
    parser.add_argument("--min-cell", type=whole_number(1), default=5, metavar="N",
                        help="with --release: smallest count shown; 1..N-1 are shown as <N "
                             "(default 5)")
    parser.add_argument("--scales", metavar="TOML",
                        help="extra outcome scales to check assessment scores against")
    parser.add_argument("--quiet", action="store_true", help="print only the verdict line")
    parser.add_argument("--rescore", metavar="AUDIT_JSON",
                        help="re-score a stored audit.json against --config (no PATH needed)")


def _rescore(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from ..audit.rescore import rescore

    try:
        data = json.loads(Path(args.rescore).read_text("utf-8"))
        new = rescore(data, args.config)
    except (OSError, json.JSONDecodeError, ConfigError) as exc:
        print(f"outcomes audit: --rescore {args.rescore}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "audit_rescored.json"
    path.write_text(json.dumps(new, indent=2, ensure_ascii=False, allow_nan=False), "utf-8")
    checks = new["checks"]
    n_failed = sum(not c["passed"] for c in checks)
    print(f"audit {'PASSED' if new['passed'] else 'FAILED'} (re-scored): "
          f"{len(checks) - n_failed} of {len(checks)} checks pass")
    if not args.quiet:
        for c in checks:
            if not c["passed"]:
                print(f"  failed: {c['id']} ({c['status']})")
        print(f"written: {path.name}")
    return int(new["exit_status"])


def run(args: argparse.Namespace) -> int:
    from ..audit.config import load_audit_config
    from ..audit.run import audit
    from ..bundle.load import load_bundle
    from ..report.audit import write_audit

    if args.rescore:
        return _rescore(args)
    if args.path is None:
        print("outcomes audit: give the bundle PATH, or --rescore AUDIT_JSON", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = load_audit_config(args.config)
    except ConfigError as exc:
        print(f"outcomes audit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # the audit reports them
        log = load_bundle(args.path, scales=args.scales, mapping=args.mapping)
    try:
        result = audit(log, config=config)
    except ConfigError as exc:  # e.g. an adherence minimum naming an unknown recommendation
        print(f"outcomes audit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    written = write_audit(result, args.out, min_cell=args.min_cell, release=args.release)
    checks = result.checks
    n_failed = int((~checks["passed"]).sum())
    verdict = "PASSED" if result.passed else "FAILED"
    print(f"audit {verdict}: {len(checks) - n_failed} of {len(checks)} checks pass")
    if not args.quiet:
        for r in result.failed.itertuples(index=False):
            print(f"  failed: {r.id} ({r.description})")
        for dim in config.flag_dimensions:
            for group in result.signals.flagged_groups(dim):
                print(f"  safety signal: {dim} {group} above the ceiling")
        if result.monitoring is not None:
            for r in result.monitoring.funnel.alarms.itertuples(index=False):
                print(f"  funnel alarm: {r.dimension} {r.group} ({r.indicator}, {r.status})")
            for r in result.monitoring.cusum.flagged.itertuples(index=False):
                print(f"  CUSUM signal: {r.dimension} {r.group} ({r.signals} signal(s))")
        print("written: " + ", ".join(sorted(p.name for p in written.values())))
    return result.exit_status
