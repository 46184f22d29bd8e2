"""The quality audit: data-quality checks, adherence to practice recommendations, safety signals.

:func:`audit` runs, on one loaded bundle,

* the data-quality checks of :mod:`outcomes.quality` (conformance, completeness, plausibility;
  Kahn et al. 2016), each against a threshold;
* the practice recommendations of the claims catalogue (:mod:`outcomes.adherence`): reported,
  and optionally given a least share that must adhere;
* the safety signals of :mod:`outcomes.signals`: notable adverse-event rates per clinic,
  operator, device and needle-depth band against the overall rate and a ceiling; a group of the
  configured ``flag_dimensions`` whose whole interval lies above the ceiling fails the gate
  check ``signals.above_ceiling``.

Thresholds, plausible ranges and ceilings come from ``audit.toml`` (every field commented
there), changed by a user file of the same shape (:func:`load_audit_config`). The result
(:class:`AuditResult`) passes when every check passes; the command line then exits 0, else 3,
so a scheduler can alert.

Outputs (:meth:`AuditResult.write`): ``audit.html`` (self-contained), ``audit.json``
(machine-readable) and ``audit.xlsx`` (with CSV copies), under the same small-count disclosure
rules as the reports.
"""

from __future__ import annotations

import copy
import html
import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..bundle.log import SessionLog
from ..bundle.schema import TABLES
from ..claims.catalogue import Catalogue, load_catalogue
from ..courses import Courses, build_courses
from ..errors import ConfigError
from .adherence import Adherence, adherence
from .quality import AT_LEAST, AT_MOST, CHECK_COLUMNS, CHECKS, Check, check_row, quality_checks
from .signals import DIMENSIONS, Signals, safety_signals

__all__ = [
    "audit",
    "AuditResult",
    "AuditConfig",
    "load_audit_config",
    "GATE_ID",
    "JSON_SCHEMA_VERSION",
    "EXIT_PASSED",
    "EXIT_FAILED",
]

#: Id of the safety gate check.
GATE_ID = "signals.above_ceiling"
#: Identifier of the layout of ``audit.json`` (changes when the layout changes).
JSON_SCHEMA_VERSION = "outcomes.audit/1"
EXIT_PASSED, EXIT_FAILED = 0, 3

_GATE = Check(
    GATE_ID, "safety", "", "groups",
    "groups of the flag dimensions (see [signals] flag_dimensions) whose notable adverse-event "
    "rate interval, per session or per course, lies entirely above the ceiling", AT_MOST)
_BUILTIN = "audit.toml"
_SECTIONS = {
    "checks": "thresholds of the checks",
    "plausibility": "plausible values",
    "signals": "safety-signal settings",
    "adherence": "adherence minimums",
}


# ============================================================================ configuration
@dataclass(frozen=True)
class AuditConfig:
    """The audit's settings, validated (see ``audit.toml`` for every field).

    Attributes
    ----------
    thresholds : dict of str to float
        Threshold (percentage 0-100) of every check id, the gate included.
    spacing_days : (float, float)
        Plausible spacing, exclusive bounds.
    finished_after_days : int
        Days after its last session from which a course counts as finished.
    ceilings : dict of str to float
        Ceiling of the notable adverse-event rate, ``{"sessions": ..., "courses": ...}``.
    min_units : int
        Groups with fewer units are reported but never flagged.
    confidence : float
        Confidence level of the intervals.
    depth_edges : tuple of float
        Needle-depth band edges, mm.
    dimensions, flag_dimensions : tuple of str
        Dimensions reported, and those whose flagged groups fail the gate.
    adherence_minimum : dict of str to float
        Least percentage adhering, per recommendation id (only those listed are gated).
    files : tuple of str
        Names of the files read (``"audit.toml"``, then the user's file).
    """

    thresholds: dict[str, float]
    spacing_days: tuple[float, float]
    finished_after_days: int
    ceilings: dict[str, float]
    min_units: int
    confidence: float
    depth_edges: tuple[float, ...]
    dimensions: tuple[str, ...]
    flag_dimensions: tuple[str, ...]
    adherence_minimum: dict[str, float] = field(default_factory=dict)
    files: tuple[str, ...] = (_BUILTIN,)

    def to_dict(self) -> dict:
        """The settings as plain JSON-able values, in the layout of ``audit.toml``."""
        return {
            "files": list(self.files),
            "checks": dict(self.thresholds),
            "plausibility": {"spacing_min_days": self.spacing_days[0],
                             "spacing_max_days": self.spacing_days[1],
                             "finished_after_days": self.finished_after_days},
            "signals": {"ceiling_per_session": self.ceilings["sessions"],
                        "ceiling_per_course": self.ceilings["courses"],
                        "min_units": self.min_units,
                        "confidence": self.confidence,
                        "depth_edges_mm": list(self.depth_edges),
                        "dimensions": list(self.dimensions),
                        "flag_dimensions": list(self.flag_dimensions)},
            "adherence": {"minimum": dict(self.adherence_minimum)},
        }


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Where:
    def __init__(self, file: str):
        self.file = file

    def error(self, key: str, expected: str, got: Any = None, *,
              nothing: bool = False) -> ConfigError:
        came = "nothing" if nothing else _show(got)
        return ConfigError(f"Audit configuration {self.file}, key {key}: expected {expected}; "
                           f"got {came}.")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _number(where: _Where, key: str, value: Any, low=-math.inf, high=math.inf,
            expected: str | None = None, low_open=False, high_open=False) -> float:
    ok = _is_number(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high)
    if not ok:
        raise where.error(key, expected or f"a number between {low:g} and {high:g}", value)
    return float(value)


def _names(where: _Where, key: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if (not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            or not set(value) <= set(allowed) or len(set(value)) != len(value)):
        raise where.error(key, f"a list of distinct names among {', '.join(allowed)}", value)
    return tuple(value)


@cache
def _builtin_text() -> str:
    return resources.files(__package__).joinpath(_BUILTIN).read_text("utf-8")


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"The audit configuration {path.name} does not exist; expected a TOML "
                          f"file of the shape of the package's {_BUILTIN}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the audit configuration {path.name}: {exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The audit configuration {path.name} is not valid TOML: {exc}.") from None


_KEYS = {
    "plausibility": ("spacing_min_days", "spacing_max_days", "finished_after_days"),
    "signals": ("ceiling_per_session", "ceiling_per_course", "min_units", "confidence",
                "depth_edges_mm", "dimensions", "flag_dimensions"),
    "adherence": ("minimum",),
}


def _merge(base: dict, user: Mapping, where: _Where) -> None:
    """Apply a user's settings onto ``base`` in place, refusing unknown sections and keys."""
    known_checks = [c.id for c in CHECKS] + [GATE_ID]
    for section, value in user.items():
        if section not in _SECTIONS:
            raise where.error(f"[{section}]", "one of the sections "
                              + ", ".join(f"[{s}]" for s in _SECTIONS), section)
        if not isinstance(value, Mapping):
            raise where.error(f"[{section}]", f"a table of {_SECTIONS[section]}", value)
        for key, item in value.items():
            if section == "checks":
                if key not in known_checks:
                    raise where.error(f"[checks] {key!r}", "a check id: " + ", ".join(known_checks),
                                      key)
            elif key not in _KEYS[section]:
                raise where.error(f"[{section}] {key}",
                                  "one of " + ", ".join(_KEYS[section]), key)
            if section == "adherence":
                if not isinstance(item, Mapping):
                    raise where.error("[adherence.minimum]",
                                      "a table of recommendation id = least percentage", item)
                base[section][key] = {**base[section].get(key, {}), **item}
            else:
                base[section][key] = item


def _validate(data: dict, files: tuple[str, ...], where: _Where) -> AuditConfig:
    checks = data.get("checks", {})
    thresholds = {}
    for c in (*CHECKS, _GATE):
        if c.id not in checks:
            raise where.error(f"[checks] {c.id!r}", "a threshold (percentage 0-100)", nothing=True)
        thresholds[c.id] = _number(where, f"[checks] {c.id!r}", checks[c.id], 0, 100,
                                   "a percentage between 0 and 100")
    pl = data.get("plausibility", {})
    lo = _number(where, "[plausibility] spacing_min_days", pl.get("spacing_min_days"), 0,
                 expected="a number of days >= 0")
    hi = _number(where, "[plausibility] spacing_max_days", pl.get("spacing_max_days"), lo,
                 low_open=True, expected=f"a number of days above spacing_min_days ({lo:g})")
    fin = pl.get("finished_after_days")
    if not (_is_number(fin) and float(fin).is_integer() and fin >= 0):
        raise where.error("[plausibility] finished_after_days", "a whole number of days >= 0",
                          fin)
    sg = data.get("signals", {})
    ceilings = {
        "sessions": _number(where, "[signals] ceiling_per_session", sg.get("ceiling_per_session"),
                            0, 1, "a share between 0 and 1 (e.g. 0.10)", low_open=True,
                            high_open=True),
        "courses": _number(where, "[signals] ceiling_per_course", sg.get("ceiling_per_course"),
                           0, 1, "a share between 0 and 1 (e.g. 0.25)", low_open=True,
                           high_open=True),
    }
    min_units = sg.get("min_units")
    if not (_is_number(min_units) and float(min_units).is_integer() and min_units >= 1):
        raise where.error("[signals] min_units", "a whole number >= 1", min_units)
    confidence = _number(where, "[signals] confidence", sg.get("confidence"), 0.5, 1,
                         "a confidence level between 0.5 and 1 (e.g. 0.95)", high_open=True)
    edges = sg.get("depth_edges_mm")
    if (not isinstance(edges, list) or len(edges) < 2 or not all(_is_number(e) for e in edges)
            or any(b <= a for a, b in zip(edges, edges[1:], strict=False)) or edges[0] < 0):
        raise where.error("[signals] depth_edges_mm",
                          "a list of at least two increasing depths in mm (>= 0)", edges)
    dims = _names(where, "[signals] dimensions", sg.get("dimensions"), DIMENSIONS)
    flag = _names(where, "[signals] flag_dimensions", sg.get("flag_dimensions"), dims)
    minimum = {}
    for rec, value in data.get("adherence", {}).get("minimum", {}).items():
        minimum[rec] = _number(where, f"[adherence.minimum] {rec!r}", value, 0, 100,
                               "a percentage between 0 and 100")
    return AuditConfig(
        thresholds=thresholds, spacing_days=(lo, hi), finished_after_days=int(fin),
        ceilings=ceilings, min_units=int(min_units), confidence=confidence,
        depth_edges=tuple(float(e) for e in edges),
        dimensions=dims, flag_dimensions=flag, adherence_minimum=minimum, files=files)


def load_audit_config(config: str | Path | Mapping | None = None) -> AuditConfig:
    """Return the audit settings: the built-in ``audit.toml``, changed by the user's.

    Parameters
    ----------
    config : str, Path or Mapping, optional
        A TOML file of the shape of the package's ``audit.toml``, or the same as a nested
        mapping (``{"signals": {"ceiling_per_session": 0.05}}``). It changes only the keys it
        gives.

    Returns
    -------
    AuditConfig

    Raises
    ------
    ConfigError
        If the file cannot be read or is not TOML, or a section, key or value is not one the
        audit knows; the message names the file and key, what was expected and what came in.

    Examples
    --------
    >>> load_audit_config({"signals": {"ceiling_per_session": 0.05}}).ceilings["sessions"]
    0.05
    """
    data = tomllib.loads(_builtin_text())
    files: tuple[str, ...] = (_BUILTIN,)
    if config is not None:
        if isinstance(config, Mapping):
            user, name = copy.deepcopy(dict(config)), "(given as a mapping)"
        else:
            path = Path(config)
            user, name = _read(path), path.name
        _merge(data, user, _Where(name))
        files = (_BUILTIN, name)
        where = _Where(name)
    else:
        where = _Where(_BUILTIN)
    return _validate(data, files, where)


# ============================================================================ the result
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


@dataclass(frozen=True)
class AuditResult:
    """What the audit found.

    Attributes
    ----------
    checks : DataFrame
        One row per check, columns :data:`outcomes.quality.CHECK_COLUMNS`: the data-quality
        checks, the safety gate ``signals.above_ceiling`` and any adherence minimum
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
    """

    checks: pd.DataFrame
    adherence: Adherence
    signals: Signals
    counts: pd.DataFrame
    checksums: dict[str, str]
    source: str
    config: AuditConfig
    missing_tables: tuple[str, ...] = ()

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
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"AuditResult({self.source!r}, {'passed' if self.passed else 'failed'}, "
                f"{len(self.failed)} of {len(self.checks)} checks failed)")

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def tables(self, min_cell: int | None = None) -> dict[str, pd.DataFrame]:
        """Every table of the audit, disclosed when ``min_cell`` is given.

        Parameters
        ----------
        min_cell : int, optional
            Counts from 1 to ``min_cell - 1`` shown as ``"<min_cell"``, cells that would give
            them back by subtraction as ``"*"``, and estimates resting on fewer units withheld
            (:func:`outcomes.disclosure.disclose`). None: the exact tables.

        Returns
        -------
        dict of str to DataFrame
            ``counts`` (input rows per table), ``checks``, ``adherence``,
            ``adherence_by_clinic``, ``adherence_by_operator``, ``nonadherent_sessions``,
            ``signals`` and, when disclosed, ``suppressions`` (one row per hidden cell).
        """
        return _disclosed_tables(self, min_cell)

    # ---------------------------------------------------------------- machine-readable
    def to_dict(self, min_cell: int | None = None) -> dict:
        """The audit as plain JSON-able data (the layout of ``audit.json``).

        Parameters
        ----------
        min_cell : int, optional
            When given, counts from 1 to ``min_cell - 1`` are replaced by the text
            ``"<min_cell"`` (e.g. ``"<5"``), and shares resting on them by None, as in every
            output written to disk.

        Returns
        -------
        dict
            Keys: ``schema``, ``outcomes_version``, ``source``, ``passed``, ``exit_status``,
            ``min_cell``, ``input`` (``counts`` per table, ``checksums``, ``missing_tables``),
            ``config`` (the settings used), ``checks`` (one object per check, the columns of
            :data:`outcomes.quality.CHECK_COLUMNS`), ``adherence`` (``recommendations``,
            ``by_clinic``, ``by_operator``, ``nonadherent_sessions``: recommendation id ->
            list of session ids), ``signals`` (``ceilings``, ``rows``, ``flagged``),
            ``suppressions`` (cells hidden by the disclosure rules; empty without
            ``min_cell``). Missing numbers are ``null``.

        Examples
        --------
        >>> result = audit(load_bundle("data/sample"))          # doctest: +SKIP
        >>> result.to_dict(min_cell=5)["checks"][0]["id"]       # doctest: +SKIP
        'sessions.required_conformant'
        """
        return self._as_dict(self.tables(min_cell), min_cell)

    def _as_dict(self, t: dict[str, pd.DataFrame], min_cell: int | None) -> dict:
        nonadherent = self.adherence.nonadherent
        ids = {rec: [] for rec in self.adherence.table["recommendation"]}
        for rec, group in nonadherent.groupby("recommendation", sort=False):
            ids[rec] = group["session_id"].astype(str).tolist()
        flagged = self.signals.flagged
        return {
            "schema": JSON_SCHEMA_VERSION,
            "outcomes_version": __version__,
            "source": self.source,
            "passed": self.passed,
            "exit_status": self.exit_status,
            "min_cell": min_cell,
            "input": {
                "counts": {r["table"]: {k: v for k, v in r.items() if k != "table"}
                           for r in _records(t["counts"])},
                "checksums": dict(self.checksums),
                "missing_tables": list(self.missing_tables),
            },
            "config": self.config.to_dict(),
            "checks": _records(t["checks"]),
            "adherence": {
                "recommendations": _records(t["adherence"]),
                "by_clinic": _records(t["adherence_by_clinic"]),
                "by_operator": _records(t["adherence_by_operator"]),
                "nonadherent_sessions": ids,
            },
            "signals": {
                "ceilings": dict(self.config.ceilings),
                "rows": _records(t["signals"]),
                "flagged": _records(flagged[["unit", "dimension", "group"]]),
            },
            "suppressions": _records(t["suppressions"]) if "suppressions" in t else [],
        }

    def to_json(self, min_cell: int | None = None, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(min_cell), indent=indent, ensure_ascii=False,
                          allow_nan=False)

    def write(self, out_dir: str | Path, min_cell: int = 5) -> dict[str, Path]:
        """Write ``audit.html``, ``audit.json`` and ``audit.xlsx`` (with CSV copies).

        Parameters
        ----------
        out_dir : str or Path
            Output folder (created if needed).
        min_cell : int, default 5
            Counts from 1 to ``min_cell - 1`` are shown as ``<min_cell`` in every file.

        Returns
        -------
        dict of str to Path
            ``"html"``, ``"json"``, ``"xlsx"`` and the CSV files, by name.
        """
        return _write_outputs(self, Path(out_dir), min_cell)


# ============================================================================ the audit
def _gate_row(signals: Signals, config: AuditConfig) -> dict:
    t = signals.table
    m = t["dimension"].isin(config.flag_dimensions)
    groups = t.loc[m, ["dimension", "group"]].drop_duplicates()
    flagged = t.loc[m & t["above_ceiling"].astype(bool), ["dimension", "group"]].drop_duplicates()
    return check_row(_GATE, len(flagged), len(groups), config.thresholds[GATE_ID])


def _adherence_rows(result: Adherence, config: AuditConfig, catalogue: Catalogue) -> list[dict]:
    known = [r.id for r in catalogue.recommendations]
    rows = []
    table = result.table.set_index("recommendation")
    for rec, minimum in config.adherence_minimum.items():
        if rec not in known:
            raise ConfigError(f"Audit configuration {config.files[-1]}, key "
                              f"[adherence.minimum] {rec!r}: expected a recommendation id of the "
                              f"catalogue: {', '.join(known)}; got {rec!r}.")
        r = table.loc[rec]
        chk = Check(f"adherence.{rec}", "adherence", "", r["unit"],
                    f"{r['unit']} following the recommendation {rec!r}: {r['statement']}",
                    AT_LEAST)
        rows.append(check_row(chk, int(r["adherent"]), int(r["n"]), minimum))
    return rows


def audit(
    log: SessionLog,
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
        Settings: an :class:`AuditConfig`, or a TOML file (or nested mapping) changing the
        built-in ``audit.toml`` (see :func:`load_audit_config`).
    catalogue : Catalogue, optional
        The claims catalogue whose recommendations are audited (default: the built-in one).
    courses : Courses, optional
        ``build_courses(log)``, when already built.

    Returns
    -------
    AuditResult
        ``checks`` (with ``passed``), ``adherence``, ``signals``, ``passed``, ``summary()``,
        ``to_json()``, ``write(out_dir, min_cell)``.

    Raises
    ------
    ConfigError
        If the configuration is malformed or names an unknown recommendation.

    Examples
    --------
    >>> from outcomes import load_bundle, audit                     # doctest: +SKIP
    >>> result = audit(load_bundle("data/sample"))                   # doctest: +SKIP
    >>> result.passed, result.failed["id"].tolist()                  # doctest: +SKIP
    (True, [])
    """
    cfg = config if isinstance(config, AuditConfig) else load_audit_config(config)
    catalogue = load_catalogue() if catalogue is None else catalogue
    courses = build_courses(log) if courses is None else courses
    checks = quality_checks(log, courses, cfg.thresholds, cfg.spacing_days,
                            cfg.finished_after_days)
    adh = adherence(courses, catalogue, log=log)
    sig = safety_signals(courses, cfg.ceilings, cfg.depth_edges, cfg.dimensions,
                         alpha=1.0 - cfg.confidence, min_units=cfg.min_units)
    extra = [_gate_row(sig, cfg), *_adherence_rows(adh, cfg, catalogue)]
    checks = pd.concat([checks, pd.DataFrame(extra, columns=CHECK_COLUMNS)], ignore_index=True)
    counts = log.counts.reindex(list(TABLES)).fillna(0).astype("int64")
    return AuditResult(checks=checks, adherence=adh, signals=sig, counts=counts,
                       checksums=dict(log.checksums), source=log.source, config=cfg,
                       missing_tables=tuple(log.missing_tables))


# ============================================================================ outputs
#: Non-adherent sessions listed per recommendation in ``audit.html`` (all are in the CSV/JSON).
HTML_LISTED = 100
#: Non-adherent sessions written to ``audit.xlsx`` (all are in the CSV and JSON files).
XLSX_LISTED = 10_000

_STATUS_BADGES = {"pass": "badge badge-supported", "fail": "badge badge-contradicted",
                  "not_applicable": "badge badge-not_testable"}


def disclosure_rules() -> dict[str, dict]:
    """Per audit table, the keyword arguments of :func:`outcomes.disclosure.disclose`."""
    from ..output.disclosure import ColumnTotal

    adherent = ColumnTotal("n", ["adherent", "nonadherent"])
    groups = dict(count_columns=["n", "adherent", "nonadherent"], margins=adherent,
                  ratio_columns=["estimate"])
    return {
        "counts": dict(count_columns=["read", "accepted", "quarantined", "warned"],
                       margins=ColumnTotal("read", ["accepted", "quarantined"]),
                       unit_column=None),
        "checks": dict(count_columns=["numerator", "denominator"],
                       estimate_columns=["percentage"], ratio_columns=["percentage"],
                       unit_column="denominator"),
        "adherence": dict(count_columns=["n", "adherent", "nonadherent", "n_clusters"],
                          margins=adherent, ratio_columns=["estimate"]),
        "adherence_by_clinic": groups,
        "adherence_by_operator": groups,
        "nonadherent_sessions": dict(count_columns=[], estimate_columns=[], unit_column=None),
        "signals": dict(count_columns=["n", "events", "n_clusters"]),
    }


def _raw_tables(result: AuditResult) -> dict[str, pd.DataFrame]:
    counts = result.counts.copy()
    counts.index.name = "table"
    return {
        "counts": counts.reset_index(),
        "checks": result.checks,
        "adherence": result.adherence.table,
        "adherence_by_clinic": result.adherence.by_clinic,
        "adherence_by_operator": result.adherence.by_operator,
        "nonadherent_sessions": result.adherence.nonadherent,
        "signals": result.signals.table,
    }


def _disclosed_tables(result: AuditResult, min_cell: int | None) -> dict[str, pd.DataFrame]:
    raw = _raw_tables(result)
    if min_cell is None:
        return {k: v.copy() for k, v in raw.items()}
    from ..output.disclosure import SUPPRESSION_COLUMNS, disclose

    rules = disclosure_rules()
    out, suppressions = {}, []
    for name, table in raw.items():
        if name == "nonadherent_sessions":  # ids and reasons only: nothing to count
            out[name] = table.copy()
            continue
        d = disclose(table.reset_index(drop=True), min_cell, name=name, **rules[name])
        out[name] = d.table
        suppressions.append(d.suppressions)
    frames = [s for s in suppressions if len(s)]
    out["suppressions"] = (pd.concat(frames, ignore_index=True) if frames
                           else pd.DataFrame(columns=SUPPRESSION_COLUMNS))
    return out


def _pct(value: Any) -> Any:
    return round(float(value), 2) if _is_number(value) else value


def _render_html(result: AuditResult, t: dict[str, pd.DataFrame], min_cell: int) -> str:
    from ..output.html import Page

    verdict = "PASSED" if result.passed else "FAILED"
    checks = t["checks"]
    n_fail = int((~checks["passed"].astype(bool)).sum())
    page = Page(f"Quality audit: {result.source or 'bundle'}",
                subtitle=f"{verdict}: {len(checks) - n_fail} of {len(checks)} checks pass "
                         f"(outcomes {__version__})")
    mark = f"<{min_cell}"
    page.note(f"Counts from 1 to {min_cell - 1} are shown as {mark}, cells that would give "
              f"them back by subtraction as *, and estimates resting on fewer than {min_cell} "
              "units are left blank. Session, clinic and operator ids are the bundle's "
              "pseudonymous keys; no patient id or date is shown.")

    page.section("Verdict", "verdict")
    shown = ["id", "category", "description", "numerator", "denominator", "percentage",
             "threshold", "direction", "status"]
    if n_fail:
        page.paragraph("These checks missed their threshold (percentages of the denominator):")
        failed = checks.loc[~checks["passed"].astype(bool), shown].copy()
        failed["percentage"] = failed["percentage"].map(_pct)
        page.table(failed, caption="Failed checks", badges={"status": _STATUS_BADGES})
    else:
        page.paragraph("Every check passed its threshold.")

    page.section("Input", "input")
    page.table(t["counts"], caption="Rows per input table")
    if result.missing_tables:
        page.paragraph("Tables not in the bundle: " + ", ".join(result.missing_tables) + ".")
    if result.checksums:
        page.definition_list({f"SHA-256 of {k}": v for k, v in result.checksums.items()})

    page.section("Data-quality checks", "checks")
    page.paragraph("Categories of Kahn et al. (2016), a harmonized data quality assessment "
                   "terminology: conformance (values and keys follow the contract), "
                   "completeness (what analyses need is there), plausibility (values are "
                   "believable). Quarantined rows count as failures.")
    for category, group in checks.groupby("category", sort=False):
        table = group[shown].copy()
        table["percentage"] = table["percentage"].map(_pct)
        page.table(table, caption=f"{category.capitalize()} checks",
                   badges={"status": _STATUS_BADGES})

    page.section("Safety signals", "signals")
    cfg = result.config
    page.paragraph(
        "Notable adverse event: moderate or severe, or any PIH, hypopigmentation, infection or "
        f"scarring. Rates per session and per course with {cfg.confidence:.0%} Wilson "
        "intervals (effective n for clustering by patient). A group is flagged when its whole "
        f"interval lies above the ceiling ({cfg.ceilings['sessions']:.1%} per session, "
        f"{cfg.ceilings['courses']:.1%} per course); 'above overall' when it lies above the "
        "rate of all units.")
    sig = t["signals"]
    flagged = sig[sig["above_ceiling"].astype(bool)]
    if len(flagged):
        page.table(flagged, caption="Flagged groups")
    else:
        page.paragraph("No group's interval lies entirely above the ceiling.")
    above = sig[sig["above_overall"].astype(bool) & ~sig["above_ceiling"].astype(bool)]
    if len(above):
        page.table(above, caption="Groups above the overall rate (below the ceiling)")
    visible = result.signals.table[result.signals.table["n"] >= min_cell]
    for unit in ("sessions", "courses"):
        part = visible[(visible["unit"] == unit) & (visible["dimension"] == "clinic_id")]
        if len(part):
            ax = Signals(table=part.reset_index(drop=True)).plot(unit=unit)
            page.figure(ax, alt=f"Share of {unit} with a notable adverse event per clinic, "
                                "with intervals, the ceiling and the overall rate",
                        caption=f"Notable adverse events per {unit[:-1]}, by clinic (groups "
                                f"of at least {min_cell} {unit})")
    for dim in ("all", *cfg.dimensions):
        part = sig[sig["dimension"] == dim].drop(columns=["dimension"])
        if len(part):
            page.table(part, caption=f"Rates by {dim}" if dim != "all" else "Overall rates")

    page.section("Practice recommendations", "adherence")
    page.paragraph("Share of the sessions (or courses) each recommendation of the claims "
                   "catalogue applies to that follow it. Audited, never given a verdict; the "
                   "documents disagree on spacing, so no bundle can follow every one.")
    cols = [c for c in t["adherence"].columns if c not in ("check", "statement")]
    page.table(t["adherence"][cols], caption="Adherence, overall")
    page.table(t["adherence_by_clinic"], caption="Adherence per clinic")
    page.table(t["adherence_by_operator"], caption="Adherence per operator")
    nonadherent = t["nonadherent_sessions"]
    page.section("Sessions not following a recommendation", "nonadherent", level=3)
    page.paragraph(f"Up to {HTML_LISTED} per recommendation; audit_nonadherent_sessions.csv "
                   "and audit.json list them all.")
    for rec, group in nonadherent.groupby("recommendation", sort=False):
        page.table(group.drop(columns=["recommendation"]).head(HTML_LISTED), caption=rec)

    page.section("Settings", "settings")
    page.definition_list({
        "configuration files": ", ".join(cfg.files),
        "plausible spacing (days, exclusive)": f"{cfg.spacing_days[0]:g} to "
                                                f"{cfg.spacing_days[1]:g}",
        "course finished after (days)": cfg.finished_after_days,
        "needle-depth bands (mm)": ", ".join(f"{e:g}" for e in cfg.depth_edges),
        "flag dimensions": ", ".join(cfg.flag_dimensions),
        "adherence minimums": ", ".join(f"{k} {v:g}%" for k, v in
                                        cfg.adherence_minimum.items()) or "none",
        "smallest count shown": min_cell,
    })
    sup = t.get("suppressions")
    if sup is not None and len(sup):
        page.section("Suppressed cells", "suppressions", level=3)
        page.table(sup, caption="Cells hidden by the disclosure rules (never their values)")
    return page.render()


def _write_outputs(result: AuditResult, out_dir: Path, min_cell: int) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    t = result.tables(min_cell)
    written: dict[str, Path] = {}
    html_path = out_dir / "audit.html"
    html_path.write_text(_render_html(result, t, min_cell), encoding="utf-8")
    written["html"] = html_path
    json_path = out_dir / "audit.json"
    # compact: json's fast C encoder only runs without indent (the session id lists are long)
    json_path.write_text(json.dumps(result._as_dict(t, min_cell), ensure_ascii=False,
                                    allow_nan=False), encoding="utf-8")
    written["json"] = json_path
    written.update(_write_workbook(result, out_dir, min_cell))
    return written


_README = {
    "counts": "Rows read, accepted, quarantined and warned (an optional value blanked) per "
              "input table.",
    "checks": "One row per check: data quality (Kahn et al. 2016 categories), the safety gate "
              "and adherence minimums. numerator: units meeting the description; denominator: "
              "units checked; percentage = 100 x numerator / denominator; passed when the "
              "percentage is at least / at most (direction) the threshold.",
    "adherence": "One row per practice recommendation of the claims catalogue: units it applies "
                 "to (n), adherent, nonadherent, share adherent (estimate) with a 95% Wilson "
                 "interval, effective n for clustering by patient.",
    "adherence_by_clinic": "Adherence per clinic (a course counts once per clinic that gave one "
                           "of its sessions).",
    "adherence_by_operator": "Adherence per operator (a course counts once per operator that "
                             "gave one of its sessions).",
    "nonadherent_sessions": f"Sessions not following a recommendation, by pseudonymous session "
                            f"id, with the reason; the first {XLSX_LISTED:,} here, all of them "
                            f"in audit_nonadherent_sessions.csv.",
    "signals": "Notable adverse-event rates per session and per course, overall and per group, "
               "with 95% Wilson intervals (effective n for clustering by patient), the ceiling, "
               "and whether the interval lies entirely above the overall rate or the ceiling.",
}


def _neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcomes.safety.neutralise_formulas` for a long table: the rule of
    :func:`~outcomes.safety.neutralise_text` applied only to the cells that start with a
    formula character (found vectorised), so that millions of rows take well under a second."""
    from ..output.safety import FORMULA_PREFIXES, neutralise_text

    out = df.copy()
    for name in out.columns:
        col = out[name]
        if not (pd.api.types.is_string_dtype(col) or pd.api.types.is_object_dtype(col)):
            continue
        text = col.astype("str")
        risky = text.str.startswith(FORMULA_PREFIXES).to_numpy(dtype=bool, na_value=False)
        if risky.any():
            values = col.astype(object).to_numpy(copy=True)
            values[risky] = [neutralise_text(v) for v in values[risky]]
            out[name] = values
    return out


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """A long table as UTF-8 CSV (pyarrow's writer: about ten times pandas' speed)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    table = pa.Table.from_pandas(df, preserve_index=False)
    pcsv.write_csv(table, path)


def _write_workbook(result: AuditResult, out_dir: Path, min_cell: int) -> dict[str, Path]:
    """``audit.xlsx`` and ``tables/<name>.csv`` through :func:`outcomes.export.write_tables`;
    the full list of non-adherent sessions in ``audit_nonadherent_sessions.csv``."""
    import shutil
    import tempfile

    from ..output.export import write_tables

    raw = _raw_tables(result)
    written: dict[str, Path] = {}
    full = out_dir / "audit_nonadherent_sessions.csv"
    _write_csv(_neutralise(raw["nonadherent_sessions"]), full)
    written["nonadherent_csv"] = full
    raw["nonadherent_sessions"] = raw["nonadherent_sessions"].head(XLSX_LISTED)
    tmp = Path(tempfile.mkdtemp(prefix=".audit-", dir=out_dir))
    try:
        res = write_tables(raw, tmp, readme=_README, min_cell=min_cell,
                           options=disclosure_rules())
        xlsx = out_dir / "audit.xlsx"
        os.replace(res.xlsx, xlsx)
        written["xlsx"] = xlsx
        (out_dir / "tables").mkdir(exist_ok=True)
        for name, path in res.csv.items():
            target = out_dir / "tables" / path.name
            os.replace(path, target)
            written[f"{name}_csv"] = target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written
