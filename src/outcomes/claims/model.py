"""The claims catalogue as objects: claims, recommendations, conflicts, and the catalogue of them.

Frozen dataclasses, built by :func:`outcomes.claims.catalogue.load_catalogue` from ``claims.toml``
(and a user's file) once every field is validated; what each estimand or check key means is in
:mod:`outcomes.claims.registry`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ..validators import is_number, number_text
from .registry import MIN_EVENTS, MIN_GROUP_PATIENTS, REGISTRY, Method
from .verdicts import Rule

__all__ = ["Parameters", "Source", "Claim", "Recommendation", "Conflict", "Catalogue",
           "FRAME_COLUMNS"]


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
    """A parameter or bound as text: numbers as :func:`~outcomes.validators.number_text` writes
    them, anything else as it is."""
    return number_text(value) if isinstance(value, bool) or is_number(value) else str(value)


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
        Key of :data:`~outcomes.claims.registry.ESTIMANDS` naming what is estimated.
    parameters : Parameters
        The estimand's parameters.
    rule : Rule
        How the interval is judged against the claim (``range``, ``at_least`` or ``at_most``).
    low, high : float or None
        Bounds of a ``range`` rule.
    threshold : float or None
        Threshold of an ``at_least`` or ``at_most`` rule.
    strict : bool
        Supported only if the interval clears the threshold strictly.
    min_units : int
        Fewer units than this gives ``inconclusive``.
    min_group_patients : int
        Comparative claims: fewer patients than this in either group gives ``inconclusive``.
    min_events : int
        Event-rate claims: fewer events than this gives ``inconclusive``
        (:mod:`outcomes.claims.registry`, "Comparative estimands").
    estimand_basis : str
        Comparative claims: the estimate the verdict rests on (``adjusted``, ``crude`` or
        ``equal_sessions``); empty for the others.
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
    rule: Rule
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
    min_group_patients: int = MIN_GROUP_PATIENTS
    min_events: int = MIN_EVENTS
    estimand_basis: str = ""

    @property
    def method(self) -> Method:
        """The registry entry of :attr:`estimand`."""
        return REGISTRY[self.estimand]

    @property
    def rule_text(self) -> str:
        """The rule in words, e.g. ``"range [4, 6]"`` or ``"at least 0 (strict)"``."""
        if self.rule is Rule.RANGE:
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
        Key of :data:`~outcomes.claims.registry.CHECKS` naming the audit.
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
    "estimand_basis", "min_group_patients", "min_events",
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

    # claim(), recommendation() and conflict() raise ConfigError for an unknown id; the message
    # lists the known ones.
    def claim(self, id: str) -> Claim:
        """Return the claim ``id`` (:class:`~outcomes.errors.ConfigError` if there is none)."""
        return self._find(self.claims, id, "claim")

    def recommendation(self, id: str) -> Recommendation:
        """Return the recommendation ``id`` (:class:`~outcomes.errors.ConfigError` if none)."""
        return self._find(self.recommendations, id, "recommendation")

    def conflict(self, id: str) -> Conflict:
        """Return the conflict ``id`` (:class:`~outcomes.errors.ConfigError` if there is none)."""
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
            - ``estimand_basis`` : for a comparative claim, the estimate its verdict rests on
              (``adjusted``, ``crude`` or ``equal_sessions``); empty otherwise.
            - ``min_group_patients``, ``min_events`` : the least information a comparative
              verdict needs (patients per group; events, for an event-rate claim).

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
                "rule": c.rule.value,
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
                "estimand_basis": c.estimand_basis,
                "min_group_patients": c.min_group_patients,
                "min_events": c.min_events,
            }
            for c in self.claims
        ]
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        return frame.astype({"low": "float64", "high": "float64", "threshold": "float64",
                             "strict": "bool", "min_units": "int64", "n_sources": "int64",
                             "min_group_patients": "int64", "min_events": "int64"})
