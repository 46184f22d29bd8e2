"""The data contract, defined once: tables, columns, types, vocabularies and scales.

Column names are used through :class:`Col` everywhere in the package, never as scattered string
literals. Vocabularies and scales are data files (``vocabularies.toml``, ``scales.toml``)
read here; a user may add scales from a TOML file of the same shape.

The three tables of a bundle are described by :data:`TABLES`; each :class:`Column` says its type,
whether it is required and its allowed values or range. The loader (:mod:`outcomes.bundle.load`
and the checks it runs) applies these rules; nothing else in the package re-states them.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, ParameterError
from ..validators import read_toml

if TYPE_CHECKING:  # pandas is imported when a dtype is made (the readers need not wait for it)
    import pandas as pd

__all__ = [
    "Col",
    "ColumnKind",
    "CODED_KINDS",
    "Column",
    "Table",
    "TABLES",
    "SESSIONS",
    "ASSESSMENTS",
    "ADVERSE_EVENTS",
    "Scale",
    "vocabulary",
    "vocabulary_dtype",
    "load_scales",
    "NOTABLE_EVENTS",
    "NOTABLE_SEVERITIES",
]


class Col:
    """Column names of the input tables and of the loader's rejects and warnings, defined once.

    Courses add their derived names (:class:`outcomes.courses.CourseCol`) and the statistics
    their result names (:class:`outcomes.stats.result.ResultCol`); :class:`outcomes.Col` has all.
    """

    # sessions
    PATIENT_ID = "patient_id"
    SESSION_ID = "session_id"
    SESSION_DATE = "session_date"
    CONDITION = "condition"
    SETTING = "setting"
    CLINIC_ID = "clinic_id"
    OPERATOR_ID = "operator_id"
    DEVICE = "device"
    NEEDLE_DEPTH_MM = "needle_depth_mm"
    DURATION_MIN = "duration_min"
    NUMBING = "numbing"
    PAIN_VAS = "pain_vas"
    FITZPATRICK = "fitzpatrick"
    AGE_BAND = "age_band"
    SEX = "sex"
    CONTRAINDICATIONS = "contraindications"
    ADJUNCT = "adjunct"
    # assessments
    ASSESSMENT_DATE = "assessment_date"
    SCALE = "scale"
    SCORE = "score"
    RATER = "rater"
    # adverse events
    EVENT = "event"
    SEVERITY = "severity"
    ONSET_HOURS = "onset_hours"
    RESOLVED_HOURS = "resolved_hours"
    LAST_CONTACT_HOURS = "last_contact_hours"
    # added by the loader to rejects and warnings
    ROW = "row"
    REASON = "reason"
    TABLE = "table"
    COLUMN = "column"
    VALUE = "value"
    MESSAGE = "message"


class ColumnKind(StrEnum):
    """How the values of a contract column are parsed (a closed set; equal to its text)."""

    ID = "id"
    TEXT = "text"
    DATE = "date"
    VOCABULARY = "vocabulary"
    SCALE = "scale"
    NUMBER = "number"
    HOURS = "hours"
    BOOL = "bool"
    LIST = "list"


#: Kinds of column whose values repeat: read as codes into their distinct values, each distinct
#: value judged once.
CODED_KINDS = (ColumnKind.DATE, ColumnKind.VOCABULARY, ColumnKind.SCALE, ColumnKind.BOOL,
               ColumnKind.LIST)


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    Attributes
    ----------
    name : str
        Column name in the input.
    kind : ColumnKind
        How values are parsed (text is accepted and checked: ``"date"``).
    required : bool
        A bad or blank required value quarantines the row; a bad optional value is blanked
        with a warning.
    vocabulary : str or None
        Name of the vocabulary in ``vocabularies.toml`` (``vocabulary`` and ``list`` kinds).
    low, high : float
        Allowed range of a number (inclusive unless ``low_open``/``high_open``).
    """

    name: str
    kind: ColumnKind
    required: bool = False
    vocabulary: str | None = None
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    description: str = ""

    def __post_init__(self):
        object.__setattr__(self, "kind", ColumnKind(self.kind))


@dataclass(frozen=True)
class Table:
    """One table of a bundle: its name (also its file and sheet name) and its columns."""

    name: str
    columns: tuple[Column, ...]
    required_table: bool
    description: str = ""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


C = Col
K = ColumnKind
SESSIONS = Table(
    "sessions",
    (
        Column(C.PATIENT_ID, K.ID, True, description="pseudonymous patient key"),
        Column(C.SESSION_ID, K.ID, True, description="unique in the bundle"),
        Column(C.SESSION_DATE, K.DATE, True),
        Column(C.CONDITION, K.VOCABULARY, True, "condition"),
        Column(C.SETTING, K.VOCABULARY, True, "setting"),
        Column(C.CLINIC_ID, K.ID),
        Column(C.OPERATOR_ID, K.ID),
        Column(C.DEVICE, K.VOCABULARY, False, "device"),
        Column(C.NEEDLE_DEPTH_MM, K.NUMBER, low=0.1, high=3.0, description="millimetres"),
        Column(C.DURATION_MIN, K.NUMBER, low=0, high=240, low_open=True, high_open=True,
               description="minutes"),
        Column(C.NUMBING, K.BOOL, description="topical anaesthetic used"),
        Column(C.PAIN_VAS, K.NUMBER, low=0, high=10, description="0-10 during the procedure"),
        Column(C.FITZPATRICK, K.VOCABULARY, False, "fitzpatrick"),
        Column(C.AGE_BAND, K.VOCABULARY, False, "age_band"),
        Column(C.SEX, K.VOCABULARY, False, "sex"),
        Column(C.CONTRAINDICATIONS, K.LIST, False, "contraindication"),
        Column(C.ADJUNCT, K.VOCABULARY, False, "adjunct"),
    ),
    required_table=True,
    description="one row per treatment session",
)
ASSESSMENTS = Table(
    "assessments",
    (
        Column(C.PATIENT_ID, K.ID, True),
        Column(C.CONDITION, K.VOCABULARY, True, "condition"),
        Column(C.ASSESSMENT_DATE, K.DATE, True),
        Column(C.SCALE, K.SCALE, True, description="a scale of scales.toml"),
        Column(C.SCORE, K.NUMBER, True, description="within the scale's range"),
        Column(C.RATER, K.VOCABULARY, False, "rater"),
    ),
    required_table=False,
    description="one row per outcome assessment",
)
ADVERSE_EVENTS = Table(
    "adverse_events",
    (
        Column(C.SESSION_ID, K.ID, True, description="must name a session of the bundle"),
        Column(C.EVENT, K.VOCABULARY, True, "event"),
        Column(C.SEVERITY, K.VOCABULARY, True, "severity"),
        Column(C.ONSET_HOURS, K.NUMBER, low=0, description="hours after the session; blank = 0"),
        Column(C.RESOLVED_HOURS, K.HOURS, description="blank if not resolved by last contact"),
        Column(C.LAST_CONTACT_HOURS, K.HOURS, description="required when unresolved"),
    ),
    required_table=False,
    description="one row per side effect after a session",
)
TABLES: dict[str, Table] = {t.name: t for t in (SESSIONS, ASSESSMENTS, ADVERSE_EVENTS)}

#: Events that are notable whatever their severity (claims.md, "notable adverse event").
NOTABLE_EVENTS = ("pih", "hypopigmentation", "infection", "scarring")
#: Severities that make any event notable.
NOTABLE_SEVERITIES = ("moderate", "severe")


@cache
def _vocabularies() -> dict:
    text = resources.files(__package__).joinpath("vocabularies.toml").read_text("utf-8")
    return tomllib.loads(text)


def vocabulary(name: str) -> list[str]:
    """Return the allowed values of vocabulary ``name`` (in their defined order)."""
    return list(_vocabularies()[name])


def aliases(name: str) -> dict[str, str]:
    """Return accepted alternative spellings of vocabulary ``name`` (input -> value)."""
    return dict(_vocabularies().get("aliases", {}).get(name, {}))


def vocabulary_dtype(name: str) -> pd.CategoricalDtype:
    """Return the categorical dtype of vocabulary ``name`` (ordered where the contract says)."""
    import pandas as pd

    return pd.CategoricalDtype(vocabulary(name), ordered=name in _vocabularies()["ordered"])


@dataclass(frozen=True)
class Scale:
    """An outcome scale: its range, direction and how improvement is computed on it."""

    name: str
    low: float
    high: float
    better: str  # "lower" or "higher"
    kind: str  # "bounded", "relative" or "change"
    no_change: float | None = None
    conditions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def best(self) -> float:
        return self.low if self.better == "lower" else self.high


_SCALE_KINDS = ("bounded", "relative", "change")


def _parse_scales(data: dict, source: str) -> dict[str, Scale]:
    out: dict[str, Scale] = {}
    conditions = set(vocabulary("condition"))
    for name, spec in data.items():
        where = f"{source}, scale [{name}]"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: expected a table of fields (min, max, better, kind).")
        better = spec.get("better")
        kind = spec.get("kind", "bounded")
        if better not in ("lower", "higher"):
            raise ConfigError(
                f"{where}: field 'better' must be 'lower' or 'higher', got {better!r}.")
        if kind not in _SCALE_KINDS:
            raise ConfigError(f"{where}: field 'kind' must be one of {_SCALE_KINDS}, got {kind!r}.")
        try:
            low = float(spec.get("min", -math.inf))
            high = float(spec.get("max", math.inf))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: fields 'min' and 'max' must be numbers.") from None
        if not low < high:
            raise ConfigError(f"{where}: 'min' ({low}) must be below 'max' ({high}).")
        if kind in ("bounded", "change") and not (math.isfinite(low) and math.isfinite(high)):
            raise ConfigError(f"{where}: a {kind} scale needs both 'min' and 'max'.")
        no_change = spec.get("no_change")
        if kind == "change" and no_change is None:
            raise ConfigError(
                f"{where}: a change scale needs 'no_change' (the score for no change).")
        if no_change is not None:
            try:
                no_change = float(no_change)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{where}: field 'no_change' must be a number, got {no_change!r}.") from None
        conds = spec.get("conditions", [])
        if not isinstance(conds, list | tuple) or not all(isinstance(c, str) for c in conds):
            raise ConfigError(
                f"{where}: field 'conditions' must be a list of condition names, got {conds!r}.")
        conds = tuple(conds)
        unknown = [c for c in conds if c not in conditions]
        if unknown:
            raise ConfigError(
                f"{where}: unknown conditions {unknown}; allowed: {sorted(conditions)}.")
        out[name] = Scale(name, low, high, better, kind, no_change, conds)
    return out


@cache
def _builtin_scales() -> dict[str, Scale]:
    text = resources.files(__package__).joinpath("scales.toml").read_text("utf-8")
    return _parse_scales(tomllib.loads(text), "scales.toml")


def load_scales(path: str | Path | None = None) -> dict[str, Scale]:
    """Return the built-in scales, plus (or overridden by) those declared in ``path``.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file with one table per scale, of the shape of the package's ``scales.toml``.

    Raises
    ------
    ConfigError
        If the file cannot be read or a scale is malformed (the message names the scale and field).
    ParameterError
        If ``path`` is not a path.

    Examples
    --------
    >>> scales = load_scales()
    >>> scales["masi"].low, scales["masi"].high, scales["masi"].better
    (0.0, 48.0, 'lower')
    """
    scales = dict(_builtin_scales())
    if path is None:
        return scales
    if not isinstance(path, str | os.PathLike):
        raise ParameterError(
            f"load_scales(): path must be a TOML file path (str or Path), got "
            f"{type(path).__name__}.")
    path = Path(path)
    scales.update(_parse_scales(read_toml(path, what="scales file"), path.name))
    return scales
