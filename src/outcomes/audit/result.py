"""What the audit found (:class:`AuditResult`) and the layout of its machine-readable form.

The result answers the package's result protocol: :meth:`~AuditResult.summary`,
:meth:`~AuditResult.plot`, :meth:`~AuditResult.to_frame` (the checks),
:meth:`~AuditResult.tables` (every table, exact) and ``_repr_html_``. Its tables are exact: the
files written with the small-count disclosure rules are :func:`outcomes.report.audit.write_audit`'s
job, which builds ``audit.json`` with :func:`audit_data` from the disclosed tables.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._docs import FRAGMENTS, INTERNAL_NOTICE, shared_doc
from .._version import __version__
from .adherence import Adherence
from .config import AuditConfig
from .monitoring import Monitoring
from .quality import AT_LEAST
from .signals import Signals

__all__ = ["AuditResult", "audit_data", "INTERNAL_NOTICE", "JSON_SCHEMA_VERSION", "EXIT_PASSED",
           "EXIT_FAILED"]

#: Identifier of the layout of ``audit.json`` (changes when the layout changes).
JSON_SCHEMA_VERSION = "outcomes.audit/1"
EXIT_PASSED, EXIT_FAILED = 0, 3


@dataclass(frozen=True)
class AuditResult:
    """What the audit found.

    Attributes
    ----------
    checks : DataFrame
        One row per check, columns :data:`outcomes.audit.quality.CHECK_COLUMNS`: the
        data-quality checks, the safety gate ``signals.above_ceiling`` and any adherence minimum
        (``adherence.<recommendation id>``).
    adherence : Adherence
        Adherence to the practice recommendations (overall, per clinic, per operator,
        non-adherent session ids).
    signals : Signals
        Notable adverse-event rates per group with intervals and flags.
    counts : DataFrame
        Rows read, accepted, quarantined and warned per input table.
    checksums : dict of str to str
        SHA-256 of each input file.
    source : str
        Name of the bundle.
    config : AuditConfig
        The settings used.
    missing_tables : tuple of str
        Optional tables the bundle did not have.
    monitoring : Monitoring or None
        Funnel plots and CUSUM charts per provider (None when they could not run: their
        checks say why).
    """

    checks: pd.DataFrame
    adherence: Adherence
    signals: Signals
    counts: pd.DataFrame
    checksums: dict[str, str]
    source: str
    config: AuditConfig
    missing_tables: tuple[str, ...] = ()
    monitoring: Monitoring | None = None

    @property
    def passed(self) -> bool:
        """True when every check passes its threshold."""
        return bool(self.checks["passed"].all())

    @property
    def exit_status(self) -> int:
        """0 when the audit passed, 3 when a check failed (the command line's exit status)."""
        return EXIT_PASSED if self.passed else EXIT_FAILED

    @property
    def failed(self) -> pd.DataFrame:
        """The checks that failed."""
        return self.checks[~self.checks["passed"]].reset_index(drop=True)

    def summary(self) -> str:
        """Plain-text summary: verdict, failed checks, flagged groups, adherence."""
        n, bad = len(self.checks), len(self.failed)
        head = (f"Audit of {self.source or '(unnamed bundle)'}: "
                + ("PASSED" if self.passed else "FAILED")
                + f" ({n - bad} of {n} checks pass)")
        lines = [head]
        for r in self.failed.itertuples(index=False):
            word = "at least" if r.direction == AT_LEAST else "at most"
            lines.append(f"  FAIL {r.id}: {r.percentage:.2f}% ({r.numerator} of "
                         f"{r.denominator}); threshold {word} {r.threshold:g}%")
        lines.append(self.signals.summary())
        lines.append(self.adherence.summary())
        if self.monitoring is not None:
            lines.append(self.monitoring.summary())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"AuditResult({self.source!r}, {'passed' if self.passed else 'failed'}, "
                f"{len(self.failed)} of {len(self.checks)} checks failed)")

    def _repr_html_(self) -> str:
        return ("<pre>" + html.escape(self.summary()) + "</pre>"
                + self.checks.to_html(index=False, float_format="{:.3g}".format))

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the checks table (one row per check, with ``passed``)."""
        return self.checks.copy()

    @shared_doc(**FRAGMENTS)
    def plot(self, ax=None):
        """The notable adverse-event rate per session of each clinic, with intervals, the
        ceiling and the overall rate (:meth:`outcomes.audit.signals.Signals.plot`).

        {plot_ax}
        """
        return self.signals.plot(ax)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the audit, exact (copies).

        Returns
        -------
        dict of str to DataFrame
            ``counts`` (input rows per table, a ``table`` column), ``checks``, ``adherence``,
            ``adherence_by_clinic``, ``adherence_by_operator``, ``nonadherent_sessions`` and
            ``signals``, and with the monitoring ``funnel`` (one row per indicator, dimension
            and provider), ``cusum`` (one row per provider) and ``cusum_signals`` (one row per
            signal). The same tables with the small-count disclosure rules applied are
            :func:`outcomes.report.audit.audit_tables`'.
        """
        counts = self.counts.copy()
        counts.index.name = "table"
        return {
            "counts": counts.reset_index(),
            "checks": self.checks.copy(),
            "adherence": self.adherence.table.copy(),
            "adherence_by_clinic": self.adherence.by_clinic.copy(),
            "adherence_by_operator": self.adherence.by_operator.copy(),
            "nonadherent_sessions": self.adherence.nonadherent.copy(),
            "signals": self.signals.table.copy(),
            **self._monitoring_tables(),
        }

    def _monitoring_tables(self) -> dict[str, pd.DataFrame]:
        if self.monitoring is None:
            return {}
        return {"funnel": self.monitoring.funnel.table.copy(),
                "cusum": self.monitoring.cusum.table.copy(),
                "cusum_signals": self.monitoring.cusum.signals.copy()}

    def to_dict(self) -> dict:
        """The audit as plain JSON-able data, exact: :func:`audit_data` of :meth:`tables`.

        ``audit.json``, written by :func:`outcomes.report.audit.write_audit`, has the same
        layout with the small-count disclosure rules applied.
        """
        return audit_data(self, self.tables())

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def audit_data(result: AuditResult, tables: dict[str, pd.DataFrame], *,
               min_cell: int | None = None) -> dict:
    """The audit as plain JSON-able data (the layout of ``audit.json``).

    Parameters
    ----------
    result : AuditResult
    tables : dict of str to DataFrame
        ``result.tables()``, or the same disclosed (with a ``suppressions`` table).
    min_cell : int, optional
        The smallest count shown in ``tables`` (None: exact), recorded as ``min_cell``.

    Returns
    -------
    dict
        Keys: ``schema``, ``outcomes_version``, ``source``, ``passed``, ``exit_status``,
        ``min_cell``, ``input`` (``counts`` per table, ``checksums``, ``missing_tables``),
        ``config`` (the settings used), ``checks`` (one object per check, the columns of
        :data:`outcomes.audit.quality.CHECK_COLUMNS`), ``adherence`` (``recommendations``,
        ``by_clinic``, ``by_operator``, ``nonadherent_sessions``: recommendation id -> list of
        session ids), ``signals`` (``ceilings``, ``rows``, ``flagged``), ``suppressions``
        (cells hidden by the disclosure rules; empty when exact), ``audience`` (``internal``
        when exact, else ``release``) and ``notice`` (the internal notice, or null). A release
        (no ``nonadherent_sessions`` table) lists no session id. Missing numbers are ``null``.
    """
    ids = {rec: [] for rec in result.adherence.table["recommendation"]}
    listing = tables.get("nonadherent_sessions")
    if listing is None:  # a release lists no session
        ids = {}
    else:
        for rec, group in listing.groupby("recommendation", sort=False):
            ids[rec] = group["session_id"].astype(str).tolist()
    flagged = result.signals.flagged
    return {
        "schema": JSON_SCHEMA_VERSION,
        "outcomes_version": __version__,
        "source": result.source,
        "passed": result.passed,
        "exit_status": result.exit_status,
        "min_cell": min_cell,
        "audience": "internal" if min_cell is None else "release",
        "notice": INTERNAL_NOTICE if min_cell is None else None,
        "input": {
            "counts": {r["table"]: {k: v for k, v in r.items() if k != "table"}
                       for r in _records(tables["counts"])},
            "checksums": dict(result.checksums),
            "missing_tables": list(result.missing_tables),
        },
        "config": result.config.to_dict(),
        "checks": _records(tables["checks"]),
        "adherence": {
            "recommendations": _records(tables["adherence"]),
            "by_clinic": _records(tables["adherence_by_clinic"]),
            "by_operator": _records(tables["adherence_by_operator"]),
            "nonadherent_sessions": ids,
        },
        "signals": {
            "ceilings": dict(result.config.ceilings),
            "rows": _records(tables["signals"]),
            "flagged": _records(flagged[["unit", "dimension", "group"]]),
        },
        "monitoring": {name: _records(tables[name]) for name in ("funnel", "cusum",
                                                                 "cusum_signals")
                       if name in tables},
        "suppressions": _records(tables["suppressions"]) if "suppressions" in tables else [],
    }


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-able dicts: NaN/NA -> None, numpy scalars -> Python."""
    out = []
    for row in df.astype(object).where(df.notna(), None).to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        v = float(v)
        return v if math.isfinite(v) else None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return v if isinstance(v, int | str) else str(v)
