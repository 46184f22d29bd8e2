"""Benchmark step: the quality audit of the bundle (after loading it), and writing its files.

``seconds`` is :func:`outcomes.audit.run.audit` alone (courses, checks, adherence, signals);
``courses_seconds`` the part of it spent building courses, ``checks_seconds`` /
``adherence_seconds`` / ``signals_seconds`` the audit's own parts, and ``write_seconds``
writing ``audit.html``, ``audit.json`` and ``audit.xlsx`` into a temporary folder.
"""

from __future__ import annotations

import tempfile

from common import main


def run(step) -> None:
    from outcomes.audit.adherence import adherence
    from outcomes.audit.config import load_audit_config
    from outcomes.audit.quality import quality_checks
    from outcomes.audit.run import audit
    from outcomes.audit.signals import safety_signals
    from outcomes.courses import build_courses
    from outcomes.report.audit import write_audit

    log = step.load()
    with step.timer():
        audited = audit(log)
    config = load_audit_config()
    with step.timer("courses_seconds"):
        courses = build_courses(log)
    with step.timer("checks_seconds"):
        quality_checks(log, courses, thresholds=config.thresholds,
                       spacing_days=config.spacing_days,
                       finished_after_days=config.finished_after_days)
    with step.timer("adherence_seconds"):
        adherence(courses, log=log)
    with step.timer("signals_seconds"):
        safety_signals(courses, ceilings=config.ceilings, depth_edges=config.depth_edges,
                       dimensions=config.dimensions, alpha=1 - config.confidence,
                       min_units=config.min_units)
    with tempfile.TemporaryDirectory() as out, step.timer("write_seconds"):
        write_audit(audited, out)
    step.result["sessions"] = int(log.counts.loc["sessions", "read"])
    step.result["checks_failed"] = int((~audited.checks["passed"]).sum())


if __name__ == "__main__":
    main(run)
