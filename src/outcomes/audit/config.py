"""The audit's settings: ``audit.toml`` (every field commented there), changed by a user's file.

:func:`load_audit_config` reads the built-in ``audit.toml``, applies a user's file (or nested
mapping) of the same shape onto it, refusing unknown sections and keys, and validates every
value into an :class:`AuditConfig`. A message names the file and key, what was expected and what
came in (:class:`outcomes.validators.Where`).
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..validators import Where, is_number, read_toml
from .quality import AT_MOST, CHECKS, Check
from .signals import DIMENSIONS

__all__ = ["AuditConfig", "load_audit_config", "GATE", "GATE_ID", "FUNNEL_GATE", "CUSUM_GATE",
           "GATES"]

#: Id of the safety gate check.
GATE_ID = "signals.above_ceiling"
#: The safety gate: a check beside the data-quality ones, with its threshold in ``[checks]``.
GATE = Check(
    GATE_ID, "safety", "", "groups",
    "groups of the flag dimensions (see [signals] flag_dimensions) whose notable adverse-event "
    "rate interval, per session or per course, lies entirely above the ceiling", AT_MOST)
#: The funnel gate: providers of the [monitoring] gate_dimensions in alarm (beyond 99.8%).
FUNNEL_GATE = Check(
    "monitoring.funnel_alarm", "safety", "", "providers",
    "providers of the gate dimensions (see [monitoring] gate_dimensions) whose risk-adjusted "
    "notable adverse-event rate lies above its 99.8% funnel limit, or whose mean final "
    "improvement lies below it", AT_MOST)
#: The CUSUM gate: providers of the gate dimensions whose chart signalled.
CUSUM_GATE = Check(
    "monitoring.cusum_signal", "safety", "", "providers",
    "providers of the gate dimensions (see [monitoring] gate_dimensions) whose risk-adjusted "
    "CUSUM of notable adverse events crossed its control limit", AT_MOST)
#: Every check beside the data-quality ones, with a threshold in ``[checks]``.
GATES = (GATE, FUNNEL_GATE, CUSUM_GATE)
_OVERDISPERSION = ("additive", "multiplicative", "none")
_MONITORED = ("clinic_id", "operator_id", "device")
_BUILTIN = "audit.toml"
_SECTIONS = {
    "checks": "thresholds of the checks",
    "plausibility": "plausible values",
    "signals": "safety-signal settings",
    "adherence": "adherence minimums",
    "monitoring": "funnel-plot and CUSUM settings",
}
_KEYS = {
    "plausibility": ("spacing_min_days", "spacing_max_days", "finished_after_days"),
    "signals": ("ceiling_per_session", "ceiling_per_course", "min_units", "confidence",
                "depth_edges_mm", "dimensions", "flag_dimensions"),
    "adherence": ("minimum",),
    "monitoring": ("overdispersion", "min_groups", "funnel_dimensions", "cusum_dimensions",
                   "gate_dimensions", "odds_ratio", "false_alarm", "false_alarm_scope",
                   "simulations", "seed"),
}


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
    monitoring : dict
        The ``[monitoring]`` settings: ``overdispersion`` (additive, multiplicative or none),
        ``min_groups``, ``funnel_dimensions``, ``cusum_dimensions``, ``gate_dimensions``,
        ``odds_ratio``, ``false_alarm``, ``false_alarm_scope``, ``simulations``, ``seed``.
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
    monitoring: dict = field(default_factory=dict)

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
            "monitoring": {k: list(v) if isinstance(v, tuple) else v
                           for k, v in self.monitoring.items()},
        }


def _number(where: Where, key: str, value: Any, low=-math.inf, high=math.inf,
            expected: str | None = None, low_open=False, high_open=False) -> float:
    ok = is_number(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high)
    if not ok:
        raise where.error(key, expected or f"a number between {low:g} and {high:g}", value)
    return float(value)


def _whole(where: Where, key: str, value: Any, low: int, expected: str) -> int:
    if not (is_number(value) and float(value).is_integer() and value >= low):
        raise where.error(key, expected, value)
    return int(value)


def _names(where: Where, key: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if (not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            or not set(value) <= set(allowed) or len(set(value)) != len(value)):
        raise where.error(key, f"a list of distinct names among {', '.join(allowed)}", value)
    return tuple(value)


@cache
def _builtin_text() -> str:
    return resources.files(__package__).joinpath(_BUILTIN).read_text("utf-8")


def _merge(base: dict, user: Mapping, where: Where) -> None:
    """Apply a user's settings onto ``base`` in place, refusing unknown sections and keys."""
    known_checks = [c.id for c in (*CHECKS, *GATES)]
    for section, value in user.items():
        if section not in _SECTIONS:
            raise where.error(f"[{section}]", "one of the sections "
                              + ", ".join(f"[{s}]" for s in _SECTIONS), section)
        if not isinstance(value, Mapping):
            raise where.error(f"[{section}]", f"a table of {_SECTIONS[section]}", value)
        for key, item in value.items():
            if section == "checks":
                if key not in known_checks:
                    raise where.error(f'[checks] "{key}"', "a check id: " + ", ".join(known_checks),
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


def _validate(data: dict, files: tuple[str, ...], where: Where) -> AuditConfig:
    checks = data.get("checks", {})
    thresholds = {}
    for c in (*CHECKS, *GATES):
        if c.id not in checks:
            raise where.error(f'[checks] "{c.id}"', "a threshold (percentage 0-100)")
        thresholds[c.id] = _number(where, f'[checks] "{c.id}"', checks[c.id], 0, 100,
                                   "a percentage between 0 and 100")
    pl = data.get("plausibility", {})
    lo = _number(where, "[plausibility] spacing_min_days", pl.get("spacing_min_days"), 0,
                 expected="a number of days >= 0")
    hi = _number(where, "[plausibility] spacing_max_days", pl.get("spacing_max_days"), lo,
                 low_open=True, expected=f"a number of days above spacing_min_days ({lo:g})")
    fin = _whole(where, "[plausibility] finished_after_days", pl.get("finished_after_days"), 0,
                 "a whole number of days >= 0")
    sg = data.get("signals", {})
    ceilings = {
        "sessions": _number(where, "[signals] ceiling_per_session", sg.get("ceiling_per_session"),
                            0, 1, "a share between 0 and 1 (e.g. 0.10)", low_open=True,
                            high_open=True),
        "courses": _number(where, "[signals] ceiling_per_course", sg.get("ceiling_per_course"),
                           0, 1, "a share between 0 and 1 (e.g. 0.25)", low_open=True,
                           high_open=True),
    }
    min_units = _whole(where, "[signals] min_units", sg.get("min_units"), 1,
                       "a whole number >= 1")
    confidence = _number(where, "[signals] confidence", sg.get("confidence"), 0.5, 1,
                         "a confidence level between 0.5 and 1 (e.g. 0.95)", high_open=True)
    edges = sg.get("depth_edges_mm")
    if (not isinstance(edges, list) or len(edges) < 2 or not all(is_number(e) for e in edges)
            or any(b <= a for a, b in zip(edges, edges[1:], strict=False)) or edges[0] < 0):
        raise where.error("[signals] depth_edges_mm",
                          "a list of at least two increasing depths in mm (>= 0)", edges)
    dims = _names(where, "[signals] dimensions", sg.get("dimensions"), DIMENSIONS)
    flag = _names(where, "[signals] flag_dimensions", sg.get("flag_dimensions"), dims)
    minimum = {}
    for rec, value in data.get("adherence", {}).get("minimum", {}).items():
        minimum[rec] = _number(where, f'[adherence.minimum] "{rec}"', value, 0, 100,
                               "a percentage between 0 and 100")
    monitoring = _monitoring(data.get("monitoring", {}), where)
    return AuditConfig(
        monitoring=monitoring, thresholds=thresholds, spacing_days=(lo, hi),
        finished_after_days=fin,
        ceilings=ceilings, min_units=min_units, confidence=confidence,
        depth_edges=tuple(float(e) for e in edges),
        dimensions=dims, flag_dimensions=flag, adherence_minimum=minimum, files=files)


def _choice(where: Where, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise where.error(key, "one of " + ", ".join(allowed), value)
    return value


def _monitoring(mo: dict, where: Where) -> dict:
    od = _choice(where, "[monitoring] overdispersion", mo.get("overdispersion"), _OVERDISPERSION)
    funnel_dims = _names(where, "[monitoring] funnel_dimensions", mo.get("funnel_dimensions"),
                         _MONITORED)
    cusum_dims = _names(where, "[monitoring] cusum_dimensions", mo.get("cusum_dimensions"),
                        _MONITORED[:2])
    gate = _names(where, "[monitoring] gate_dimensions", mo.get("gate_dimensions"), _MONITORED)
    return {
        "overdispersion": od,
        "min_groups": _whole(where, "[monitoring] min_groups", mo.get("min_groups"), 2,
                             "a whole number >= 2"),
        "funnel_dimensions": funnel_dims, "cusum_dimensions": cusum_dims,
        "gate_dimensions": gate,
        "odds_ratio": _number(where, "[monitoring] odds_ratio", mo.get("odds_ratio"), 1,
                              expected="an odds ratio above 1 (e.g. 2)", low_open=True),
        "false_alarm": _number(where, "[monitoring] false_alarm", mo.get("false_alarm"), 0, 1,
                               "a probability between 0 and 1 (e.g. 0.05)", low_open=True,
                               high_open=True),
        "false_alarm_scope": _choice(where, "[monitoring] false_alarm_scope",
                                     mo.get("false_alarm_scope"), ("dimension", "provider")),
        "simulations": _whole(where, "[monitoring] simulations", mo.get("simulations"), 20,
                              "a whole number >= 20"),
        "seed": _whole(where, "[monitoring] seed", mo.get("seed"), 0, "a whole number >= 0"),
    }


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
            user, name = read_toml(path, what="audit configuration", shape=_BUILTIN), path.name
        _merge(data, user, Where(name))
        files = (_BUILTIN, name)
    return _validate(data, files, Where(files[-1]))
