"""The claims catalogue: published claims and practice recommendations, as validated data.

The catalogue itself is a data file, ``claims.toml``: one entry per effect claim and per
practice recommendation of the source documents, each quoting its sources by file name, plus the
places where the documents disagree. This module reads it into frozen dataclasses and lets a user
change or extend it with a TOML file of the same shape (:func:`load_catalogue`).

How a claim is estimated, and how a recommendation is audited, is named by a key: every key the
package knows, with its parameters, the unit its ``n`` counts and the data it needs, is declared
once, in :data:`REGISTRY`. The evaluation and audit modules implement those keys; nothing else
re-states them.

Estimand keys (effect claims)
-----------------------------
Improvement, bands, baseline, "after session k", end of treatment, follow-up and final are defined
in the design notes (claims.md, "Words used below"). Every estimand takes an optional ``condition``
restricting it to courses (or their sessions and events) of that condition.

``km_median_sessions_to_band`` (courses)
    Kaplan-Meier median number of sessions until the first assessment after a session whose
    improvement reaches ``band``; a course that ends without it is censored at its last assessed
    session. Parameters: ``band``; ``condition``.
``share_band_after_session`` (courses)
    Among courses with an assessment after session ``session``, the share whose improvement there
    reaches ``band``. Parameters: ``session``, ``band``; ``condition``.
``km_share_resolved_by`` (events)
    Kaplan-Meier share of the adverse events of kind ``events`` resolved by ``hours`` after the
    session, ``1 - S(hours)``; an unresolved event is censored at ``last_contact_hours``.
    Parameters: ``events``, ``hours``; ``also_report_hours`` (more times to report, no verdict),
    ``report_median`` (also report the KM median resolution time); ``condition``.
``risk_difference_notable`` (courses)
    Share of courses with a notable adverse event among ``exposed`` courses minus that among
    ``reference`` courses (all other courses when ``reference`` is absent), with the share per value
    of ``column`` beside it. Parameters: ``column``, ``exposed``; ``reference``; ``condition``.
``risk_ratio_events`` (sessions)
    Share of sessions followed by one of ``events``, ``exposed`` sessions divided by ``reference``
    sessions (all others when ``reference`` is absent). Parameters: ``events``, ``column``,
    ``exposed``; ``reference``; ``condition``.
``mean_final_improvement`` (courses)
    Mean final improvement of the courses. Parameters: ``condition`` (required).
``mean_final_improvement_difference`` (courses)
    Mean final improvement of ``exposed`` courses minus that of ``reference`` courses (all
    others when ``reference`` is absent). Parameters: ``column``, ``exposed``; ``reference``;
    ``condition``.
``mean_followup_minus_end`` (courses)
    Among courses with both, the mean of follow-up improvement minus end-of-treatment improvement.
    Parameters: ``condition``.
``mean_session_value`` (sessions)
    Mean of the numeric session column ``column`` over sessions where it is recorded.
    Parameters: ``column``; ``condition``.
``median_session_value`` (sessions)
    Median of the numeric session column ``column`` over sessions where it is recorded.
    Parameters: ``column``; ``condition``.

Groups (``column``, ``exposed``, ``reference``): ``column`` is a session column with a vocabulary
(``setting``, ``fitzpatrick``, ``device``, ``contraindications``...). A session is exposed when
its value is one of ``exposed`` (for the list column ``contraindications``: when it lists one of
them), and reference when it is one of ``reference`` (or, without ``reference``, when it is not
exposed and, for a vocabulary column, not blank). A course is exposed when any of its sessions is;
otherwise reference when any of its sessions is; courses in neither group are left out.

Check keys (practice recommendations)
-------------------------------------
``spacing_within`` (sessions)
    Share of sessions after the first of their course whose spacing lies within ``days``
    (inclusive).
    Parameters: ``days``; ``setting``, ``condition``.
``course_sessions_and_spacing`` (courses)
    Share of courses whose number of sessions lies within ``sessions`` and every spacing within
    ``days``. Parameters: ``sessions``, ``days``; ``condition``, ``setting``.
``no_contraindicated_sessions`` (sessions)
    Share of sessions that list none of ``contraindications``. Parameters: ``contraindications``.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ..bundle.schema import TABLES, vocabulary
from ..errors import ConfigError
from ..stats.result import Col

__all__ = [
    "Param",
    "Method",
    "REGISTRY",
    "ESTIMANDS",
    "CHECKS",
    "RULES",
    "UNITS",
    "FRAME_COLUMNS",
    "Parameters",
    "Source",
    "Claim",
    "Recommendation",
    "Conflict",
    "Catalogue",
    "load_catalogue",
]

# ------------------------------------------------------------------------------------------------
# Registry: every estimand and check key, its parameters, unit and needs. Defined once, here.
# ------------------------------------------------------------------------------------------------

#: Units a claim's or recommendation's ``n`` can count.
UNITS = ("courses", "sessions", "events", "patients")

#: Verdict rules and the bound fields each uses.
RULES: dict[str, tuple[str, ...]] = {
    "range": ("low", "high"),
    "at_least": ("threshold",),
    "at_most": ("threshold",),
}

#: Parameter kinds and what each accepts (used in messages).
PARAM_KINDS: dict[str, str] = {
    "condition": "a condition of the vocabulary",
    "setting": "a setting of the vocabulary",
    "band": "the name of an improvement band ([bands])",
    "session": "a whole session number >= 1",
    "events": "a non-empty list of adverse-event names of the vocabulary",
    "hours": "a number of hours > 0",
    "hours_list": "a list of numbers of hours > 0",
    "flag": "true or false",
    "group_column": "a session column with a vocabulary",
    "group_values": "a non-empty list of values of the vocabulary of `column`",
    "number_column": "a numeric session column",
    "day_range": "two numbers of days [low, high], 0 <= low <= high",
    "count_range": "two whole numbers [low, high], 1 <= low <= high",
    "contraindications": "a non-empty list of contraindications of the vocabulary",
}


@dataclass(frozen=True)
class Param:
    """One parameter of an estimand or check.

    Attributes
    ----------
    kind : str
        A key of :data:`PARAM_KINDS`: how the value is validated.
    required : bool
        Whether every entry using the key must give it.
    description : str
        What the parameter means.
    """

    kind: str
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class Method:
    """An estimand (for effect claims) or a check (for recommendations) the package implements.

    Attributes
    ----------
    key : str
        The key entries name in their ``estimand`` or ``check`` field.
    kind : {"estimand", "check"}
        Which entries may use it.
    unit : str
        What the result's ``n`` counts (one of :data:`UNITS`).
    description : str
        What is estimated or audited.
    parameters : Mapping[str, Param]
        The parameters it takes.
    needs : tuple of str
        Data it always needs, as ``"table"`` or ``"table.column"``; a ``column`` parameter adds
        ``"sessions.<column>"`` (see :meth:`needs_for`).
    """

    key: str
    kind: str
    unit: str
    description: str
    parameters: Mapping[str, Param]
    needs: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required parameters."""
        return tuple(name for name, p in self.parameters.items() if p.required)

    def needs_for(self, parameters: Mapping[str, Any]) -> tuple[str, ...]:
        """Return the data an entry with these ``parameters`` needs.

        Parameters
        ----------
        parameters : Mapping
            Validated parameters of an entry using this method.

        Returns
        -------
        tuple of str
            :attr:`needs`, plus ``"sessions.<column>"`` when a ``column`` parameter is given.
        """
        extra: tuple[str, ...] = ()
        if "column" in parameters:
            extra = (f"{TABLES['sessions'].name}.{parameters['column']}",)
        return tuple(dict.fromkeys((*self.needs, *extra)))


_CONDITION = Param("condition", False, "restrict to courses (sessions, events) of this condition")
_BAND = Param("band", True, "improvement band to reach (a name of [bands])")
_EVENTS = Param("events", True, "adverse-event kinds counted")
_COLUMN = Param("group_column", True, "session column defining the groups")
_EXPOSED = Param("group_values", True, "values of `column` making the exposed group")
_REFERENCE = Param("group_values", False, "values of `column` making the reference group; "
                                          "absent: all other units")
_VALUE_COLUMN = Param("number_column", True, "numeric session column summarised")

_ASSESSMENTS = (TABLES["assessments"].name,)
_ADVERSE = (TABLES["adverse_events"].name,)
_SESSIONS = (TABLES["sessions"].name,)


def _method(key, kind, unit, description, parameters, needs=()) -> tuple[str, Method]:
    return key, Method(key, kind, unit, description, dict(parameters), tuple(needs))


#: Every estimand and check key the package knows: the one place they are declared.
REGISTRY: dict[str, Method] = dict(
    [
        _method(
            "km_median_sessions_to_band", "estimand", "courses",
            "Kaplan-Meier median number of sessions until the first assessment after a session "
            "reaching `band`; a course ending without it is censored at its last assessed session.",
            {"band": _BAND, "condition": _CONDITION},
            _ASSESSMENTS,
        ),
        _method(
            "share_band_after_session", "estimand", "courses",
            "Among courses with an assessment after session `session`, the share whose improvement "
            "there reaches `band`.",
            {"session": Param("session", True, "the session after which improvement is read"),
             "band": _BAND, "condition": _CONDITION},
            _ASSESSMENTS,
        ),
        _method(
            "km_share_resolved_by", "estimand", "events",
            "Kaplan-Meier share of `events` resolved by `hours` after the session (1 - S(hours)); "
            "unresolved events are censored at last_contact_hours.",
            {"events": _EVENTS,
             "hours": Param("hours", True, "hours after the session the verdict is read at"),
             "also_report_hours": Param("hours_list", False, "more times reported, no verdict"),
             "report_median": Param("flag", False, "also report the KM median resolution time"),
             "condition": _CONDITION},
            # last_contact_hours is not needed as such: a bundle where every event resolved may
            # lack it, and the loader quarantines an unresolved event without it.
            (f"{_ADVERSE[0]}.{Col.RESOLVED_HOURS}",),
        ),
        _method(
            "risk_difference_notable", "estimand", "courses",
            "Share of courses with a notable adverse event, `exposed` minus `reference` courses "
            "(risk difference), with the share per value of `column` beside it.",
            {"column": _COLUMN, "exposed": _EXPOSED, "reference": _REFERENCE,
             "condition": _CONDITION},
            _ADVERSE,
        ),
        _method(
            "risk_ratio_events", "estimand", "sessions",
            "Share of sessions followed by one of `events`, `exposed` divided by `reference` "
            "sessions (risk ratio).",
            {"events": _EVENTS, "column": _COLUMN, "exposed": _EXPOSED, "reference": _REFERENCE,
             "condition": _CONDITION},
            _ADVERSE,
        ),
        _method(
            "mean_final_improvement", "estimand", "courses",
            "Mean final improvement of the courses of `condition`.",
            {"condition": Param("condition", True, "the condition treated")},
            _ASSESSMENTS,
        ),
        _method(
            "mean_final_improvement_difference", "estimand", "courses",
            "Mean final improvement, `exposed` minus `reference` courses.",
            {"column": _COLUMN, "exposed": _EXPOSED, "reference": _REFERENCE,
             "condition": _CONDITION},
            _ASSESSMENTS,
        ),
        _method(
            "mean_followup_minus_end", "estimand", "courses",
            "Among courses with end-of-treatment and follow-up assessments, the mean of follow-up "
            "minus end-of-treatment improvement.",
            {"condition": _CONDITION},
            _ASSESSMENTS,
        ),
        _method(
            "mean_session_value", "estimand", "sessions",
            "Mean of the numeric session column `column` over sessions recording it.",
            {"column": _VALUE_COLUMN, "condition": _CONDITION},
        ),
        _method(
            "median_session_value", "estimand", "sessions",
            "Median of the numeric session column `column` over sessions recording it.",
            {"column": _VALUE_COLUMN, "condition": _CONDITION},
        ),
        _method(
            "spacing_within", "check", "sessions",
            "Share of sessions after the first of their course whose spacing lies within `days` "
            "(inclusive); the others are listed by session id.",
            {"days": Param("day_range", True, "allowed spacing in days, inclusive"),
             "setting": Param("setting", False, "only sessions of this setting"),
             "condition": _CONDITION},
            _SESSIONS,
        ),
        _method(
            "course_sessions_and_spacing", "check", "courses",
            "Share of courses whose number of sessions lies within `sessions` and every spacing "
            "within `days`; the sessions of the others are listed by session id.",
            {"sessions": Param("count_range", True, "allowed number of sessions, inclusive"),
             "days": Param("day_range", True, "allowed spacing in days, inclusive"),
             "condition": _CONDITION,
             "setting": Param("setting", False, "only courses of this setting")},
            _SESSIONS,
        ),
        _method(
            "no_contraindicated_sessions", "check", "sessions",
            "Share of sessions listing none of `contraindications`; the others are listed by "
            "session id.",
            {"contraindications": Param("contraindications", True,
                                        "contraindications that should prevent a session")},
            (f"{_SESSIONS[0]}.{Col.CONTRAINDICATIONS}",),
        ),
    ]
)
#: The estimand keys of :data:`REGISTRY` (a view, for convenience).
ESTIMANDS: dict[str, Method] = {k: m for k, m in REGISTRY.items() if m.kind == "estimand"}
#: The check keys of :data:`REGISTRY` (a view, for convenience).
CHECKS: dict[str, Method] = {k: m for k, m in REGISTRY.items() if m.kind == "check"}

# ------------------------------------------------------------------------------------------------
# The catalogue's objects
# ------------------------------------------------------------------------------------------------


class Parameters(Mapping):
    """Read-only, hashable mapping of an entry's parameters (lists are stored as tuples)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None):
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._data.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"Parameters({self._data!r})"

    def __getstate__(self):
        return self._data

    def __setstate__(self, state):
        self._data = state

    def to_text(self) -> str:
        """Return the parameters as ``key=value; ...`` (lists joined with commas)."""
        return "; ".join(
            f"{k}={','.join(map(_fmt, v)) if isinstance(v, tuple) else _fmt(v)}"
            for k, v in self._data.items()
        )


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Source:
    """A passage of a source document.

    Attributes
    ----------
    document : str
        File name of the document (in ``docs/sources/``).
    quote : str
        The exact passage (but for whitespace and list bullets).
    """

    document: str
    quote: str


@dataclass(frozen=True)
class Claim:
    """An effect claim of the documents and how to test it.

    Attributes
    ----------
    id : str
        Stable identifier.
    statement : str
        The claim in plain words.
    estimand : str
        Key of :data:`ESTIMANDS` naming what is estimated.
    parameters : Parameters
        The estimand's parameters.
    rule : {"range", "at_least", "at_most"}
        How the interval is judged against the claim.
    low, high : float or None
        Bounds of a ``range`` rule.
    threshold : float or None
        Threshold of an ``at_least`` or ``at_most`` rule.
    strict : bool
        Supported only if the interval clears the threshold strictly.
    min_units : int
        Fewer units than this gives ``inconclusive``.
    unit : str
        What ``n`` counts (the estimand's unit).
    needs : tuple of str
        Tables and columns (``"table"`` or ``"table.column"``) the claim needs; without one it is
        ``not_testable``.
    sources : tuple of Source
        The passages making the claim.
    note : str
        Free remarks.
    origin : str
        ``"built-in"``, the user file that added it, or which fields a user file changed.
    """

    id: str
    statement: str
    estimand: str
    parameters: Parameters
    rule: str
    low: float | None
    high: float | None
    threshold: float | None
    strict: bool
    min_units: int
    unit: str
    needs: tuple[str, ...]
    sources: tuple[Source, ...]
    note: str = ""
    origin: str = "built-in"

    @property
    def method(self) -> Method:
        """The registry entry of :attr:`estimand`."""
        return REGISTRY[self.estimand]

    @property
    def rule_text(self) -> str:
        """The rule in words, e.g. ``"range [4, 6]"`` or ``"at least 0 (strict)"``."""
        if self.rule == "range":
            text = f"range [{_fmt(self.low)}, {_fmt(self.high)}]"
        else:
            text = f"{self.rule.replace('_', ' ')} {_fmt(self.threshold)}"
        return text + (" (strict)" if self.strict else "")


@dataclass(frozen=True)
class Recommendation:
    """A practice recommendation of the documents and how to audit it.

    Attributes
    ----------
    id : str
        Stable identifier.
    statement : str
        The recommendation in plain words.
    check : str
        Key of :data:`CHECKS` naming the audit.
    parameters : Parameters
        The check's parameters.
    unit : str
        What ``n`` counts (the check's unit).
    needs : tuple of str
        Tables and columns the audit needs.
    sources : tuple of Source
        The passages making the recommendation.
    note : str
        Free remarks.
    origin : str
        ``"built-in"``, the user file that added it, or which fields a user file changed.
    """

    id: str
    statement: str
    check: str
    parameters: Parameters
    unit: str
    needs: tuple[str, ...]
    sources: tuple[Source, ...]
    note: str = ""
    origin: str = "built-in"

    @property
    def method(self) -> Method:
        """The registry entry of :attr:`check`."""
        return REGISTRY[self.check]


@dataclass(frozen=True)
class Conflict:
    """A point on which the documents disagree.

    Attributes
    ----------
    id : str
        Stable identifier.
    topic : str
        What the disagreement is about.
    entries : tuple of (str or Source)
        The sides: claim or recommendation ids, or quotes of statements that are not claims.
    note : str
        Who says what.
    """

    id: str
    topic: str
    entries: tuple[str | Source, ...]
    note: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        """The claim and recommendation ids among :attr:`entries`."""
        return tuple(e for e in self.entries if isinstance(e, str))


#: Columns of :meth:`Catalogue.to_frame`, in order.
FRAME_COLUMNS = (
    "id", "statement", "estimand", "parameters", "rule", "low", "high", "threshold", "strict",
    "rule_text", "min_units", "unit", "needs", "documents", "n_sources", "origin",
)


@dataclass(frozen=True, repr=False)
class Catalogue:
    """The claims, recommendations and conflicts in force.

    Iterating over a catalogue yields its claims; ``len`` counts them; ``id in catalogue`` looks
    for a claim or recommendation id.

    Attributes
    ----------
    claims : tuple of Claim
        Effect claims, built-in ones first, in file order.
    recommendations : tuple of Recommendation
        Practice recommendations.
    conflicts : tuple of Conflict
        Where the documents disagree.
    bands : Parameters
        Improvement bands, name -> least improvement (share of the possible improvement).
    files : tuple of str
        Names of the files read (``"claims.toml"``, then the user's file, if any).
    """

    claims: tuple[Claim, ...]
    recommendations: tuple[Recommendation, ...]
    conflicts: tuple[Conflict, ...]
    bands: Parameters
    files: tuple[str, ...] = ("claims.toml",)

    def __iter__(self) -> Iterator[Claim]:
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    def __contains__(self, id: object) -> bool:
        return any(e.id == id for e in (*self.claims, *self.recommendations))

    def __repr__(self) -> str:
        return (f"Catalogue({len(self.claims)} claims, "
                f"{len(self.recommendations)} recommendations, {len(self.conflicts)} conflicts; "
                f"files: {', '.join(self.files)})")

    def _find(self, entries, id: str, what: str):
        for entry in entries:
            if entry.id == id:
                return entry
        known = ", ".join(e.id for e in entries)
        raise ConfigError(f"There is no {what} {id!r} in the catalogue ({', '.join(self.files)}); "
                          f"known ids: {known}.")

    def claim(self, id: str) -> Claim:
        """Return the claim ``id``.

        Raises
        ------
        ConfigError
            If there is no such claim (the message lists the known ids).
        """
        return self._find(self.claims, id, "claim")

    def recommendation(self, id: str) -> Recommendation:
        """Return the recommendation ``id``.

        Raises
        ------
        ConfigError
            If there is no such recommendation (the message lists the known ids).
        """
        return self._find(self.recommendations, id, "recommendation")

    def conflict(self, id: str) -> Conflict:
        """Return the conflict ``id``.

        Raises
        ------
        ConfigError
            If there is no such conflict (the message lists the known ids).
        """
        return self._find(self.conflicts, id, "conflict")

    def to_frame(self) -> pd.DataFrame:
        """Return the claims as a tidy table, one row per claim.

        Returns
        -------
        pandas.DataFrame
            Columns, in order:

            - ``id`` : claim id.
            - ``statement`` : the claim in plain words.
            - ``estimand`` : estimand key.
            - ``parameters`` : the estimand's parameters as ``key=value; ...`` text.
            - ``rule`` : ``range``, ``at_least`` or ``at_most``.
            - ``low``, ``high`` : bounds of a range rule (NaN otherwise).
            - ``threshold`` : threshold of an at-least or at-most rule (NaN otherwise).
            - ``strict`` : whether the threshold must be cleared strictly.
            - ``rule_text`` : the rule in words, e.g. ``range [4, 6]``.
            - ``min_units`` : fewest units for a verdict other than inconclusive.
            - ``unit`` : what ``n`` counts.
            - ``needs`` : tables and columns needed, joined with ``"; "``.
            - ``documents`` : source document file names, joined with ``"; "``.
            - ``n_sources`` : number of quoted passages.
            - ``origin`` : ``built-in``, or the user file that added or changed the claim.

        Examples
        --------
        >>> from outcomes import load_catalogue
        >>> frame = load_catalogue().to_frame()
        >>> frame.set_index("id").loc["minimal-pain", "rule_text"]
        'at most 3'
        >>> list(frame.columns[:5])
        ['id', 'statement', 'estimand', 'parameters', 'rule']
        """
        rows = [
            {
                "id": c.id,
                "statement": c.statement,
                "estimand": c.estimand,
                "parameters": c.parameters.to_text(),
                "rule": c.rule,
                "low": math.nan if c.low is None else c.low,
                "high": math.nan if c.high is None else c.high,
                "threshold": math.nan if c.threshold is None else c.threshold,
                "strict": c.strict,
                "rule_text": c.rule_text,
                "min_units": c.min_units,
                "unit": c.unit,
                "needs": "; ".join(c.needs),
                "documents": "; ".join(dict.fromkeys(s.document for s in c.sources)),
                "n_sources": len(c.sources),
                "origin": c.origin,
            }
            for c in self.claims
        ]
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        return frame.astype({"low": "float64", "high": "float64", "threshold": "float64",
                             "strict": "bool", "min_units": "int64", "n_sources": "int64"})


# ------------------------------------------------------------------------------------------------
# Reading and validation
# ------------------------------------------------------------------------------------------------

_BUILTIN = "claims.toml"
_SECTIONS = {"claims": "claim", "recommendations": "recommendation", "conflicts": "conflict"}
_TOP_LEVEL = ("bands", *_SECTIONS)
_CLAIM_FIELDS = ("id", "statement", "estimand", "parameters", "rule", "low", "high", "threshold",
                 "strict", "min_units", "unit", "needs", "sources", "note")
_RECOMMENDATION_FIELDS = ("id", "statement", "check", "parameters", "unit", "needs", "sources",
                          "note")
_CONFLICT_FIELDS = ("id", "topic", "entries", "note")
_SOURCE_FIELDS = ("document", "quote")
_BOUND_FIELDS = ("low", "high", "threshold")
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_DEFAULT_MIN_UNITS = 10
_FILE_KEY = "__file__"
_CHANGED_KEY = "__changed__"


def _show(value: Any) -> str:
    names = {bool: "true/false", int: "integer", float: "number", str: "text", list: "list",
             dict: "table"}
    return f"{value!r} ({names.get(type(value), type(value).__name__)})"


_NOTHING = object()


class _Where:
    """Where a value came from, to build messages: file, section, entry id."""

    def __init__(self, file: str, section: str, entry: str):
        self.file, self.section, self.entry = file, section, entry

    def error(self, field: str, expected: str, got: Any = _NOTHING, *, show: bool = True,
              fix: str = "") -> ConfigError:
        """Return a ConfigError naming file, entry and field, what was expected and what came."""
        if not show:
            got_text = ""
        elif got is _NOTHING:
            got_text = "; got nothing"
        else:
            got_text = f"; got {_show(got)}"
        tail = f" {fix}" if fix else ""
        return ConfigError(f"{self.file}, {self.section} {self.entry!r}, field {field!r}: "
                           f"expected {expected}{got_text}.{tail}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(raw: Mapping, name: str, where: _Where, *, required: bool = True) -> str:
    if name not in raw:
        if required:
            raise where.error(name, "a text", fix=f"Add {name} = \"...\".")
        return ""
    value = raw[name]
    if not isinstance(value, str) or (required and not value.strip()):
        raise where.error(name, "a non-empty text" if required else "a text", value)
    return value


def _number(raw: Mapping, name: str, where: _Where) -> float:
    value = raw[name]
    if not _is_number(value):
        raise where.error(name, "a number", value, fix="Write it without quotes, e.g. 0.5.")
    return float(value)


def _check_fields(raw: Mapping, allowed: tuple[str, ...], where: _Where) -> None:
    for name in raw:
        if name.startswith("__"):
            continue
        if name not in allowed:
            raise where.error(name, f"one of the fields {', '.join(allowed)}", name, show=False,
                              fix="Remove or rename it.")


def _sources(raw: Mapping, where: _Where) -> tuple[Source, ...]:
    value = raw.get("sources", [])
    if not isinstance(value, list):
        raise where.error("sources", "a list of {document, quote} tables", value)
    return tuple(_source(item, where, "sources") for item in value)


def _source(item: Any, where: _Where, field_name: str) -> Source:
    if not isinstance(item, dict):
        raise where.error(field_name, "a {document = ..., quote = ...} table", item)
    for name in item:
        if name not in _SOURCE_FIELDS:
            raise where.error(f"{field_name}.{name}", "only the fields document and quote", name,
                              show=False)
    for name in _SOURCE_FIELDS:
        if not isinstance(item.get(name), str) or not item[name].strip():
            raise where.error(f"{field_name}.{name}", "a non-empty text",
                              item.get(name, _NOTHING))
    return Source(item["document"], item["quote"])


def _vocabulary_of(column: str) -> str | None:
    col = TABLES["sessions"].column(column)
    return col.vocabulary if col.kind in ("vocabulary", "list") else None


def _one_of(value: Any, allowed: list[str], where: _Where, name: str, what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise where.error(name, f"{what}, one of {', '.join(allowed)}", value)
    return value


def _list_of(value: Any, allowed: list, where: _Where, name: str, what: str) -> tuple:
    if not isinstance(value, list) or not value:
        raise where.error(name, f"a non-empty list of {what}", value)
    for item in value:
        if isinstance(item, bool) or item not in allowed:
            raise where.error(name, f"{what}, each one of {', '.join(map(str, allowed))}", item)
    return tuple(value)


def _range(value: Any, where: _Where, name: str, *, whole: bool) -> tuple:
    expected = PARAM_KINDS["count_range" if whole else "day_range"]
    ok = (isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))
          and (not whole or all(float(v).is_integer() for v in value)))
    if not ok or value[0] > value[1] or value[0] < (1 if whole else 0):
        raise where.error(name, expected, value)
    return tuple(int(v) for v in value) if whole else tuple(float(v) for v in value)


def _param_value(name: str, param: Param, value: Any, params: Mapping, bands: Mapping,
                 where: _Where) -> Any:
    """Validate one parameter value; return it in its stored form."""
    field_name = f"parameters.{name}"
    kind = param.kind
    if kind in ("condition", "setting"):
        return _one_of(value, vocabulary(kind), where, field_name, f"a {kind}")
    if kind == "band":
        return _one_of(value, list(bands), where, field_name, "an improvement band")
    if kind == "events":
        return _list_of(value, vocabulary("event"), where, field_name, "adverse-event names")
    if kind == "contraindications":
        return _list_of(value, vocabulary("contraindication"), where, field_name,
                        "contraindications")
    if kind == "session":
        if not _is_number(value) or not float(value).is_integer() or value < 1:
            raise where.error(field_name, PARAM_KINDS[kind], value)
        return int(value)
    if kind == "hours":
        if not _is_number(value) or value <= 0:
            raise where.error(field_name, PARAM_KINDS[kind], value)
        return float(value)
    if kind == "hours_list":
        if not isinstance(value, list) or not all(_is_number(v) and v > 0 for v in value):
            raise where.error(field_name, PARAM_KINDS[kind], value)
        return tuple(float(v) for v in value)
    if kind == "flag":
        if not isinstance(value, bool):
            raise where.error(field_name, PARAM_KINDS[kind], value)
        return value
    if kind in ("group_column", "number_column"):
        sessions = TABLES["sessions"]
        if kind == "group_column":
            allowed = [c.name for c in sessions.columns if c.kind in ("vocabulary", "list")]
        else:
            allowed = [c.name for c in sessions.columns if c.kind == "number"]
        return _one_of(value, allowed, where, field_name, PARAM_KINDS[kind])
    if kind == "group_values":
        column = params.get("column")
        vocab = _vocabulary_of(column) if column else None
        if vocab is None:  # the column itself is reported first, by the caller's order
            raise where.error(field_name, "a `column` parameter naming a session column with "
                              "a vocabulary", value)
        return _list_of(value, vocabulary(vocab), where, field_name, f"values of {column}")
    if kind in ("day_range", "count_range"):
        return _range(value, where, field_name, whole=kind == "count_range")
    raise AssertionError(f"parameter kind {kind!r} has no validator")  # registry bug


def _parameters(raw: Mapping, method: Method, bands: Mapping, where: _Where) -> Parameters:
    given = raw.get("parameters", {})
    if not isinstance(given, dict):
        raise where.error("parameters", "a table such as { condition = \"wrinkles\" }", given)
    for name in given:
        if name not in method.parameters:
            raise where.error(f"parameters.{name}",
                              f"a parameter of {method.key}: {', '.join(method.parameters)}",
                              name, show=False, fix="Remove or rename it.")
    for name in method.required:
        if name not in given:
            raise where.error(f"parameters.{name}",
                              f"a value ({PARAM_KINDS[method.parameters[name].kind]}), required "
                              f"by {method.key}")
    # validate `column` before the values that depend on it
    order = sorted(given, key=lambda n: n != "column")
    out: dict[str, Any] = {}
    for name in order:
        out[name] = _param_value(name, method.parameters[name], given[name], given, bands, where)
    return Parameters({name: out[name] for name in given})


def _needs(raw: Mapping, method: Method, params: Parameters, where: _Where) -> tuple[str, ...]:
    value = raw.get("needs", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error("needs", "a list of \"table\" or \"table.column\" texts", value)
    for item in value:
        table, _, column = item.partition(".")
        if table not in TABLES:
            raise where.error("needs", f"a table of {', '.join(TABLES)} (or table.column)", item)
        if column and column not in TABLES[table].names:
            raise where.error("needs", f"a column of {table}: {', '.join(TABLES[table].names)}",
                              item)
    return tuple(dict.fromkeys((*value, *method.needs_for(params))))


def _unit(raw: Mapping, method: Method, where: _Where) -> str:
    value = raw.get("unit", method.unit)
    if value != method.unit:
        raise where.error("unit", f"{method.unit!r}, the unit {method.key} counts", value)
    return value


def _method_of(raw: Mapping, key_field: str, known: dict[str, Method], where: _Where) -> Method:
    key = raw.get(key_field, _NOTHING)
    if not isinstance(key, str) or key not in known:
        raise where.error(key_field, f"one of {', '.join(known)}", key)
    return known[key]


def _origin(raw: Mapping) -> str:
    file = raw.get(_FILE_KEY, _BUILTIN)
    changed = raw.get(_CHANGED_KEY)
    if file == _BUILTIN:
        return "built-in"
    if changed is None:
        return file
    return f"built-in, changed in {file} ({', '.join(changed)})"


def _claim(raw: Mapping, bands: Mapping, where: _Where) -> Claim:
    _check_fields(raw, _CLAIM_FIELDS, where)
    statement = _text(raw, "statement", where)
    method = _method_of(raw, "estimand", ESTIMANDS, where)
    params = _parameters(raw, method, bands, where)
    rule = raw.get("rule")
    if rule not in RULES:
        raise where.error("rule", f"one of {', '.join(RULES)}", raw.get("rule", _NOTHING))
    bounds: dict[str, float | None] = dict.fromkeys(_BOUND_FIELDS)
    for name in _BOUND_FIELDS:
        if name in raw and name not in RULES[rule]:
            raise where.error(name, f"only {' and '.join(RULES[rule])} with rule {rule!r}",
                              name, show=False, fix=f"Remove {name}.")
    for name in RULES[rule]:
        if name not in raw:
            raise where.error(name, f"a number (rule {rule!r} needs {' and '.join(RULES[rule])})")
        bounds[name] = _number(raw, name, where)
    if rule == "range" and bounds["low"] > bounds["high"]:
        raise where.error("low", f"low <= high (high is {_fmt(bounds['high'])})", raw["low"])
    strict = raw.get("strict", False)
    if not isinstance(strict, bool):
        raise where.error("strict", "true or false", strict)
    min_units = raw.get("min_units", _DEFAULT_MIN_UNITS)
    if not _is_number(min_units) or not float(min_units).is_integer() or min_units < 1:
        raise where.error("min_units", "a whole number >= 1", min_units)
    return Claim(
        id=raw["id"], statement=statement, estimand=method.key, parameters=params, rule=rule,
        low=bounds["low"], high=bounds["high"], threshold=bounds["threshold"], strict=strict,
        min_units=int(min_units), unit=_unit(raw, method, where),
        needs=_needs(raw, method, params, where), sources=_sources(raw, where),
        note=_text(raw, "note", where, required=False), origin=_origin(raw),
    )


def _recommendation(raw: Mapping, bands: Mapping, where: _Where) -> Recommendation:
    _check_fields(raw, _RECOMMENDATION_FIELDS, where)
    statement = _text(raw, "statement", where)
    method = _method_of(raw, "check", CHECKS, where)
    params = _parameters(raw, method, bands, where)
    return Recommendation(
        id=raw["id"], statement=statement, check=method.key, parameters=params,
        unit=_unit(raw, method, where), needs=_needs(raw, method, params, where),
        sources=_sources(raw, where), note=_text(raw, "note", where, required=False),
        origin=_origin(raw),
    )


def _conflict(raw: Mapping, known_ids: set[str], where: _Where) -> Conflict:
    _check_fields(raw, _CONFLICT_FIELDS, where)
    topic = _text(raw, "topic", where)
    value = raw.get("entries")
    if not isinstance(value, list) or len(value) < 2:
        raise where.error("entries", "a list of at least two claim or recommendation ids or "
                          "{document, quote} tables", raw.get("entries", _NOTHING))
    entries: list[str | Source] = []
    for item in value:
        if isinstance(item, str):
            if item not in known_ids:
                raise where.error("entries", "ids of claims or recommendations of the catalogue",
                                  item, fix="Check the spelling, or quote the statement as "
                                            "{ document = ..., quote = ... }.")
            entries.append(item)
        else:
            entries.append(_source(item, where, "entries"))
    return Conflict(raw["id"], topic, tuple(entries), _text(raw, "note", where, required=False))


def _bands(data: Mapping, file: str) -> dict[str, float]:
    value = data.get("bands", {})
    if not isinstance(value, dict):
        raise ConfigError(f"{file}, [bands]: expected a table of name = least improvement; "
                          f"got {_show(value)}.")
    for name, threshold in value.items():
        if not _is_number(threshold) or threshold <= 0:
            raise ConfigError(f"{file}, [bands], band {name!r}: expected a number > 0 (a share "
                              f"of the possible improvement, e.g. 0.25); got {_show(threshold)}.")
    return {name: float(t) for name, t in value.items()}


def _entry_id(raw: Any, section: str, index: int, file: str) -> str:
    label = f"{_SECTIONS[section]} number {index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}, [[{section}]] {label}: expected a table of fields; "
                          f"got {_show(raw)}.")
    if "id" not in raw:
        raise ConfigError(f"{file}, [[{section}]] {label}, field 'id': expected a text id; got "
                          f"nothing. Add id = \"...\" (lower case, digits, '-', '_', '.').")
    value = raw["id"]
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        raise ConfigError(f"{file}, [[{section}]] {label}, field 'id': expected a text of lower "
                          f"case letters, digits, '-', '_' or '.'; got {_show(value)}.")
    return value


def _sections(data: Mapping, file: str) -> dict[str, list[dict]]:
    for key in data:
        if key not in _TOP_LEVEL:
            raise ConfigError(f"{file}: unknown top-level key {key!r}; expected only "
                              f"{', '.join(_TOP_LEVEL)} ([bands], [[claims]], [[recommendations]], "
                              f"[[conflicts]]).")
    out: dict[str, list[dict]] = {}
    for section in _SECTIONS:
        value = data.get(section, [])
        if not isinstance(value, list):
            raise ConfigError(f"{file}: expected {section} as [[{section}]] entries; got "
                              f"{_show(value)}.")
        seen: set[str] = set()
        for index, raw in enumerate(value):
            entry_id = _entry_id(raw, section, index, file)
            if entry_id in seen:
                raise ConfigError(f"{file}, {_SECTIONS[section]} {entry_id!r}, field 'id': "
                                  f"expected a unique id; got {entry_id!r} twice in "
                                  f"[[{section}]].")
            seen.add(entry_id)
        out[section] = value
    return out


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"The claims file {path.name} does not exist; expected a TOML file "
                          f"of the shape of the package's claims.toml.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the claims file {path.name}: {exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The claims file {path.name} is not valid TOML: {exc}.") from None


@cache
def _builtin_data() -> dict:
    text = resources.files(__package__).joinpath(_BUILTIN).read_text("utf-8")
    return tomllib.loads(text)


def _merge(base: dict[str, list[dict]], user: dict[str, list[dict]], file: str) -> None:
    """Apply a user's entries to the built-in ones, in place."""
    index = {section: {raw["id"]: raw for raw in entries} for section, entries in base.items()}
    for section, entries in user.items():
        for raw in entries:
            entry_id = raw["id"]
            elsewhere = [s for s in _SECTIONS if s != section and entry_id in index[s]]
            if elsewhere:
                raise ConfigError(
                    f"{file}, {_SECTIONS[section]} {entry_id!r}, field 'id': expected an id not "
                    f"already used; {entry_id!r} names a built-in {_SECTIONS[elsewhere[0]]}.")
            if entry_id not in index[section]:
                added = {**raw, _FILE_KEY: file}
                base[section].append(added)
                index[section][entry_id] = added
                continue
            target = index[section][entry_id]
            changed = [name for name in raw if name != "id"]
            if "rule" in raw and raw["rule"] != target.get("rule"):
                for name in _BOUND_FIELDS:
                    if name not in raw:
                        target.pop(name, None)
            for key_field in ("estimand", "check"):
                if key_field in raw and raw[key_field] != target.get(key_field):
                    for name in ("parameters", "unit", "needs"):
                        target.pop(name, None)
            for name in changed:
                if (name == "parameters" and isinstance(raw[name], dict)
                        and isinstance(target.get(name), dict)):
                    target[name] = {**target[name], **raw[name]}
                else:
                    target[name] = raw[name]
            target[_FILE_KEY] = file
            target[_CHANGED_KEY] = tuple(dict.fromkeys((*target.get(_CHANGED_KEY, ()), *changed)))


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Return the claims catalogue: the built-in one, changed or extended by a user file.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file of the shape of the package's ``claims.toml``. An entry whose ``id`` is already
        in the catalogue changes only the fields it gives (``parameters`` are merged key by key; a
        new ``rule`` drops the old bounds; a new ``estimand`` or ``check`` drops the old
        parameters). An entry with a new id adds a claim, recommendation or conflict; a new claim
        must name an estimand key of :data:`ESTIMANDS`, a new recommendation a check key of
        :data:`CHECKS`. ``[bands]`` changes or adds improvement bands.

    Returns
    -------
    Catalogue
        The validated catalogue.

    Raises
    ------
    ConfigError
        If the file cannot be read or is malformed. The message names the file, the entry id and
        the field, what was expected and what came in: an unknown field, rule, estimand or check
        key; low above high; a missing or non-numeric threshold; an unknown condition, event,
        column or value in the parameters; a duplicate id; a conflict naming an unknown id.

    Examples
    --------
    >>> from outcomes import load_catalogue
    >>> catalogue = load_catalogue()
    >>> catalogue.claim("minimal-pain").rule_text
    'at most 3'
    >>> len(catalogue.recommendations), len(catalogue.conflicts)
    (5, 5)

    A user file that relaxes one threshold::

        [[claims]]
        id = "minimal-pain"
        threshold = 4
    """
    data = copy.deepcopy(_builtin_data())
    files = [_BUILTIN]
    sections = _sections(data, _BUILTIN)
    bands = _bands(data, _BUILTIN)
    if path is not None:
        path = Path(path)
        user = _read_toml(path)
        user_sections = _sections(user, path.name)
        bands.update(_bands(user, path.name))
        _merge(sections, {s: copy.deepcopy(v) for s, v in user_sections.items()}, path.name)
        files.append(path.name)

    def where(raw: Mapping, section: str) -> _Where:
        return _Where(raw.get(_FILE_KEY, _BUILTIN), _SECTIONS[section], raw["id"])

    claims = tuple(_claim(raw, bands, where(raw, "claims")) for raw in sections["claims"])
    recommendations = tuple(_recommendation(raw, bands, where(raw, "recommendations"))
                            for raw in sections["recommendations"])
    known_ids = {c.id for c in claims} | {r.id for r in recommendations}
    clash = {c.id for c in claims} & {r.id for r in recommendations}
    if clash:
        entry_id = sorted(clash)[0]
        raw = next(r for r in sections["recommendations"] if r["id"] == entry_id)
        raise where(raw, "recommendations").error(
            "id", "an id not already used by a claim", entry_id)
    conflicts = tuple(_conflict(raw, known_ids, where(raw, "conflicts"))
                      for raw in sections["conflicts"])
    return Catalogue(claims, recommendations, conflicts, Parameters(bands), tuple(files))

