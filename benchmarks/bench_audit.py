"""Benchmark step: the quality audit of a bundle (after loading it), and writing its files.

``seconds`` is :func:`outcomes.audit` alone (courses, checks, adherence, signals);
``courses_seconds`` the part of it spent building courses, ``checks_seconds`` /
``adherence_seconds`` / ``signals_seconds`` the audit's own parts, and ``write_seconds``
writing ``audit.html``, ``audit.json`` and ``audit.xlsx`` into a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import main, timer  # noqa: E402


def run(bundle_dir: str) -> dict:
    import outcomes
    from outcomes.audit.adherence import adherence
    from outcomes.audit.config import load_audit_config
    from outcomes.audit.quality import quality_checks
    from outcomes.audit.signals import safety_signals
    from outcomes.courses import build_courses
    from outcomes.report.audit import write_audit

    warnings.simplefilter("ignore")
    result: dict = {}
    with timer(result, "load_seconds"):
        log = outcomes.load_bundle(bundle_dir)
    with timer(result, "seconds"):
        audited = outcomes.audit(log)
    config = load_audit_config()
    with timer(result, "courses_seconds"):
        courses = build_courses(log)
    with timer(result, "checks_seconds"):
        quality_checks(log, courses, thresholds=config.thresholds,
                       spacing_days=config.spacing_days,
                       finished_after_days=config.finished_after_days)
    with timer(result, "adherence_seconds"):
        adherence(courses, log=log)
    with timer(result, "signals_seconds"):
        safety_signals(courses, ceilings=config.ceilings, depth_edges=config.depth_edges,
                       dimensions=config.dimensions, alpha=1 - config.confidence,
                       min_units=config.min_units)
    with tempfile.TemporaryDirectory() as out, timer(result, "write_seconds"):
        write_audit(audited, out)
    result["sessions"] = int(log.counts.loc["sessions", "read"])
    result["checks_failed"] = int((~audited.checks["passed"]).sum())
    return result


if __name__ == "__main__":
    main(run)
