"""The estimand and check keys of the claims catalogue: every one the package knows, declared once.

How a claim is estimated, and how a recommendation is audited, is named by a key. Each key, with
its parameters (and the kind of value each takes), the unit its ``n`` counts and the data it
needs, is declared here, in :data:`REGISTRY`; :mod:`outcomes.claims.catalogue` validates entries
against it, :mod:`outcomes.claims.evaluate` implements the estimands and
:mod:`outcomes.audit.adherence` the checks. Nothing else re-states them.

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
exposed and, for a vocabulary column, not blank). For ``contraindications`` a course is exposed
("flagged") when any of its sessions is, otherwise reference. For a vocabulary column a course
whose sessions fall in both groups (a course mixing professional and home sessions) is in
neither: it is left out and counted as ``mixed <column>`` (``mixed setting``). Every unit an
estimate leaves out is counted with its reason in the claim's ``details["left_out"]``.

Comparative estimands and what a verdict on them needs
------------------------------------------------------
``mean_final_improvement_difference``, ``risk_difference_notable`` and ``risk_ratio_events``
compare two groups (:data:`COMPARATIVE`). A claim using one may set

``min_group_patients`` (default 10)
    the fewest patients each group must have; with fewer the verdict is ``inconclusive`` and the
    reason names the group that is short ("3 flagged patients; at least 10 are needed").
``min_events`` (default 5, event-rate estimands only: :data:`EVENT_RATE`)
    the fewest events a verdict needs. For the risk ratio: the events the exposed sessions
    would have at the overall rate (all events times the exposed share of sessions), and events
    overall. Not the exposed sessions' own events: a verdict given only when those happened to
    be many would rest on the bundles whose ratio is high by chance (a false "more likely"
    under no effect), while the expected count depends on the outcome only through the total.
    For the risk difference of a notable event: courses with one overall, since a claim that
    the exposed group is as safe is carried by the groups' sizes, and a requirement on the
    exposed group's events would bar the very verdict it tests.
``estimand_basis`` (default ``"adjusted"``)
    which estimate the verdict rests on: ``"adjusted"`` for what differs between the groups
    before treatment (regression standardisation over condition, baseline severity, Fitzpatrick
    type, age band, and setting where it is not the exposure), ``"crude"``, or — for the mean
    difference of final improvement only — ``"equal_sessions"``: adjusted, and at an equal
    number of sessions (a mediator, not a confounder). All are reported in ``details``.

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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..bundle.schema import TABLES
from ..stats.result import Col

__all__ = ["UNITS", "PARAM_KINDS", "Param", "Method", "REGISTRY", "ESTIMANDS", "CHECKS",
           "COMPARATIVE", "EVENT_RATE", "BASES", "MIN_GROUP_PATIENTS", "MIN_EVENTS"]

#: Comparative estimand key -> the bases a verdict may rest on (the first is the default).
COMPARATIVE: dict[str, tuple[str, ...]] = {
    "mean_final_improvement_difference": ("adjusted", "crude", "equal_sessions"),
    "risk_difference_notable": ("adjusted", "crude"),
    "risk_ratio_events": ("adjusted", "crude"),
}
#: The comparative estimands that count events (``min_events`` applies to them).
EVENT_RATE = ("risk_difference_notable", "risk_ratio_events")
#: Every basis a comparative verdict can rest on.
BASES = ("adjusted", "crude", "equal_sessions")
#: Default fewest patients per compared group, and events of an event-rate claim.
MIN_GROUP_PATIENTS = 10
MIN_EVENTS = 5

#: Units a claim's or recommendation's ``n`` can count.
UNITS = ("courses", "sessions", "events", "patients")

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
