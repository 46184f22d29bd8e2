"""The quality audit: data-quality checks, adherence to practice recommendations, safety signals.

:func:`audit` runs, on one loaded bundle,

* the data-quality checks of :mod:`outcomes.audit.quality` (conformance, completeness,
  plausibility; Kahn et al. 2016), each against a threshold;
* the practice recommendations of the claims catalogue (:mod:`outcomes.audit.adherence`):
  reported, and optionally given a least share that must adhere;
* the safety signals of :mod:`outcomes.audit.signals`: notable adverse-event rates per clinic,
  operator, device and needle-depth band against the overall rate and a ceiling; a group of the
  configured ``flag_dimensions`` whose whole interval lies above the ceiling fails the gate
  check ``signals.above_ceiling``;
* the provider monitoring of :mod:`outcomes.audit.monitoring`: funnel plots (Spiegelhalter 2005)
  and risk-adjusted CUSUM charts (Steiner et al. 2000) per clinic, operator and device; a
  provider of the ``[monitoring] gate_dimensions`` in alarm fails ``monitoring.funnel_alarm``,
  one whose chart signalled fails ``monitoring.cusum_signal``.

A check's status is DataQualityDashboard's: ``pass``, ``fail``, ``not_applicable`` (nothing to
check: no table, column or unit; it passes) or ``is_error`` (it could not run; it fails).

Thresholds, plausible ranges and ceilings come from ``audit.toml``, changed by a user file of the
same shape (:func:`outcomes.audit.config.load_audit_config`). The result
(:class:`~outcomes.audit.result.AuditResult`) passes when every check passes; the command line
then exits 0, else 3, so a scheduler can alert. Its files (``audit.html``, ``audit.json``,
``audit.xlsx``) are written by :func:`outcomes.report.audit.write_audit`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from numpy.linalg import LinAlgError

from ..bundle.log import SessionLog
from ..bundle.schema import TABLES
from ..claims.catalogue import Catalogue, load_catalogue
from ..courses import Courses, build_courses
from ..validators import Where
from .adherence import Adherence, adherence
from .config import CUSUM_GATE, FUNNEL_GATE, GATE, GATE_ID, AuditConfig, load_audit_config
from .monitoring import Monitoring, monitoring
from .quality import AT_LEAST, CHECK_COLUMNS, Check, check_row, error_row, quality_checks
from .result import AuditResult
from .signals import Signals, safety_signals

__all__ = ["audit"]


def _gate_row(signals: Signals, config: AuditConfig) -> dict:
    t = signals.table
    m = t["dimension"].isin(config.flag_dimensions)
    groups = t.loc[m, ["dimension", "group"]].drop_duplicates()
    flagged = t.loc[m & t["above_ceiling"].astype(bool), ["dimension", "group"]].drop_duplicates()
    return check_row(GATE, len(flagged), len(groups), config.thresholds[GATE_ID])


def _monitoring_rows(mon: Monitoring | None, config: AuditConfig,
                     error: str | None) -> list[dict]:
    """The funnel and CUSUM gates over the providers of ``gate_dimensions``: ``is_error`` when
    the monitoring could not run, ``not_applicable`` when there is no provider."""
    th = config.thresholds
    if mon is None:
        return [error_row(FUNNEL_GATE, th[FUNNEL_GATE.id], error or "unknown error"),
                error_row(CUSUM_GATE, th[CUSUM_GATE.id], error or "unknown error")]
    gate = config.monitoring.get("gate_dimensions", ())
    f = mon.funnel.table
    f = f[f["dimension"].isin(gate) & f["estimate"].notna()]
    harm = (((f["indicator"] == "notable_per_session") & (f["status"] == "alarm_high"))
            | ((f["indicator"] == "final_improvement") & (f["status"] == "alarm_low")))
    keys = ["dimension", "group"]
    providers = len(f[keys].drop_duplicates())
    alarmed = len(f.loc[harm, keys].drop_duplicates())
    c = mon.cusum.table
    c = c[c["dimension"].isin(gate)]
    return [check_row(FUNNEL_GATE, alarmed, providers, th[FUNNEL_GATE.id]),
            check_row(CUSUM_GATE, int((c["signals"] > 0).sum()), len(c), th[CUSUM_GATE.id])]


def _adherence_rows(result: Adherence, config: AuditConfig, catalogue: Catalogue) -> list[dict]:
    known = [r.id for r in catalogue.recommendations]
    rows = []
    table = result.table.set_index("recommendation")
    for rec, minimum in config.adherence_minimum.items():
        if rec not in known:
            raise Where(config.files[-1]).error(
                f'[adherence.minimum] "{rec}"',
                f"a recommendation id of the catalogue: {', '.join(known)}", rec)
        r = table.loc[rec]
        chk = Check(f"adherence.{rec}", "adherence", "", r["unit"],
                    f"{r['unit']} following the recommendation {rec!r}: {r['statement']}",
                    AT_LEAST)
        rows.append(check_row(chk, int(r["adherent"]), int(r["n"]), minimum))
    return rows


def audit(
    log: SessionLog,
    *,
    config: AuditConfig | str | Path | Mapping | None = None,
    catalogue: Catalogue | None = None,
    courses: Courses | None = None,
) -> AuditResult:
    """Audit a bundle: data quality, adherence to practice recommendations, safety signals.

    Parameters
    ----------
    log : SessionLog
        The loaded bundle (:func:`outcomes.load_bundle`).
    config : AuditConfig, str, Path or Mapping, optional
        Settings: an :class:`~outcomes.audit.config.AuditConfig`, or a TOML file (or nested
        mapping) changing the built-in ``audit.toml`` (see
        :func:`~outcomes.audit.config.load_audit_config`).
    catalogue : Catalogue, optional
        The claims catalogue whose recommendations are audited (default: the built-in one).
    courses : Courses, optional
        ``build_courses(log)``, when already built.

    Returns
    -------
    AuditResult
        ``checks`` (with ``passed``), ``adherence``, ``signals``, ``passed``, ``summary()``,
        ``tables()``; :func:`outcomes.report.audit.write_audit` writes its files.

    Raises
    ------
    ConfigError
        If the configuration is malformed or names an unknown recommendation.

    Examples
    --------
    >>> from outcomes import audit, load_sample
    >>> result = audit(load_sample())
    >>> result.passed  # the sample has faults and a clinic above the ceiling, on purpose
    False
    >>> result.failed["id"].tolist()
    ['adverse_events.required_conformant', 'adverse_events.session_unknown',
     'sessions.duplicate_id', 'signals.above_ceiling', 'monitoring.funnel_alarm',
     'monitoring.cusum_signal']
    """
    cfg = config if isinstance(config, AuditConfig) else load_audit_config(config)
    catalogue = load_catalogue() if catalogue is None else catalogue
    courses = build_courses(log) if courses is None else courses
    checks = quality_checks(log, courses, thresholds=cfg.thresholds,
                            spacing_days=cfg.spacing_days,
                            finished_after_days=cfg.finished_after_days)
    adh = adherence(courses, catalogue=catalogue, log=log)
    sig = safety_signals(courses, ceilings=cfg.ceilings, depth_edges=cfg.depth_edges,
                         dimensions=cfg.dimensions, alpha=1.0 - cfg.confidence,
                         min_units=cfg.min_units)
    mo = cfg.monitoring
    mon, error = None, None
    try:
        mon = monitoring(courses, method=mo["overdispersion"], min_groups=mo["min_groups"],
                         odds_ratio=mo["odds_ratio"], false_alarm=mo["false_alarm"],
                         scope=mo["false_alarm_scope"],
                         simulations=mo["simulations"], seed=mo["seed"],
                         funnel_dimensions=mo["funnel_dimensions"],
                         cusum_dimensions=mo["cusum_dimensions"])
    except (ValueError, ArithmeticError, LinAlgError) as exc:  # reported as "is_error"
        error = f"{type(exc).__name__}: {exc}"
    extra = [_gate_row(sig, cfg), *_monitoring_rows(mon, cfg, error),
             *_adherence_rows(adh, cfg, catalogue)]
    checks = pd.concat([checks, pd.DataFrame(extra, columns=CHECK_COLUMNS)], ignore_index=True)
    counts = log.counts.reindex(list(TABLES)).fillna(0).astype("int64")
    return AuditResult(checks=checks, adherence=adh, signals=sig, counts=counts, monitoring=mon,
                       checksums=dict(log.checksums), source=log.source, config=cfg,
                       missing_tables=tuple(log.missing_tables))
