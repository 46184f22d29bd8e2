"""Claims: the documents' promises turned into verdicts from a clinic's own data.

:func:`evaluate_claims` estimates what each claim of the catalogue (``claims.toml``) is about,
with a patient-clustered 95% interval, and judges it by the claim's rule
(:mod:`outcomes.claims.verdicts`). The estimand keys are declared in
:data:`outcomes.claims.registry.REGISTRY`; each is implemented here by one small function built
from the definitions of :mod:`outcomes.courses` and the estimators of
:mod:`outcomes.stats.intervals` and :mod:`outcomes.stats.survival` — nothing is re-implemented
beside them. The verdicts come back as a :class:`~outcomes.claims.result.ClaimsResult`.

Every unit an estimate leaves out is counted with its reason (``details["left_out"]``), and
``n`` counts the units a claim rests on even when they are too few for an interval. The four
comparative claims report the crude, the adjusted and (mean differences) the equal-sessions
estimate (:mod:`outcomes.claims.compare`), their verdict resting on the one the catalogue names,
and need at least ``min_group_patients`` patients per group and, for an event rate,
``min_events`` events. Beside the verdicts stand two sensitivity views
(:mod:`outcomes.claims.sensitivity`).

Practice recommendations are audited (:func:`outcomes.audit.adherence.adherence`), not given a
verdict; the conflicts between documents, which put both side by side, are drawn up by
:mod:`outcomes.analysis`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pandas as pd

from ..bundle.log import SessionLog
from ..bundle.schema import SESSIONS, vocabulary
from ..courses import Courses, Undefined, build_courses, flag_column, ids_in
from ..errors import AnalysisError
from ..stats import intervals
from ..stats.result import Col
from ..stats.survival import kaplan_meier
from .catalogue import load_catalogue
from .compare import Basis, Comparison, compare, e_value
from .model import Catalogue, Claim
from .result import (
    CLAIM_COLUMNS,
    COMPARISON_COLUMNS,
    SENSITIVITY_COLUMNS,
    ClaimsResult,
    estimate_text,
)
from .sensitivity import sensitivity_table
from .verdicts import Verdict, decide

__all__ = ["evaluate_claims", "evaluate_claim", "ESTIMATORS", "How", "Finding"]


@dataclass(frozen=True)
class How:
    """How the estimators run: the interval level, the claim's basis, the onset view."""

    #: One minus the confidence level of every interval.
    alpha: float = 0.05
    #: The estimate a comparative verdict rests on (the claim's ``estimand_basis``).
    basis: str = Basis.ADJUSTED.value
    #: Resolution times measured from the event's onset rather than from the session.
    from_onset: bool = False


@dataclass(frozen=True)
class Short:
    """A count a verdict needs at least so many of: how many there are, what they are, and the
    catalogue field that sets the least (``min_group_patients`` or ``min_events``)."""

    count: int | float
    what: str
    field: str


@dataclass(frozen=True)
class Finding:
    """What an estimator found: an estimate, or why there is none; extra numbers to report."""

    estimate: intervals.Estimate | None = None
    reason: str = ""
    #: True when the units exist but give no usable estimate (then the verdict is inconclusive,
    #: not not_testable, which is kept for data lacking a column or any unit).
    undecidable: bool = False
    details: dict = field(default_factory=dict)
    table: pd.DataFrame | None = None
    #: Units and patients there are, whether or not an estimate could be made of them.
    n_units: int = 0
    n_patients: int = 0
    #: Units left out of the estimate, counted by reason.
    left_out: dict = field(default_factory=dict)
    #: Counts the verdict needs at least so many of (comparative claims).
    needs: tuple[Short, ...] = ()
    #: Why the verdict is inconclusive although there is an estimate (empty otherwise).
    withhold: str = ""
    #: The estimate the verdict rests on, in words; and its E-value.
    basis: str = ""
    e_value: float = np.nan
    #: The estimates of a comparison by basis (comparative claims).
    comparison: Comparison | None = None


# ------------------------------------------------------------------------------ helpers
def _condition(frame: pd.DataFrame, params) -> pd.DataFrame:
    cond = params.get("condition")
    return frame if cond is None else frame[frame[Col.CONDITION] == cond]


def _where(params, what: str) -> str:
    cond = params.get("condition")
    return f"{what} of {cond}" if cond else what


def _counts(reasons) -> dict[str, int]:
    """Reasons (``""`` for none) counted, most frequent first."""
    r = pd.Series(np.asarray(reasons, dtype=object))
    r = r[r.notna() & (r != "")]
    return {str(k): int(v) for k, v in r.value_counts().items()}


def _merge_counts(*parts: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for k, v in part.items():
            out[k] = out.get(k, 0) + v
    return out


def _nothing(what: str, left_out: dict[str, int]) -> str:
    """Why there is no estimate: no ``what``, and the units left out with their reasons."""
    if not left_out:
        return f"no {what}"
    listed = "; ".join(f"{n} {reason}" for reason, n in left_out.items())
    return f"no {what} (left out: {listed})"


def _failed(exc: Exception, units: pd.DataFrame, **kw) -> Finding:
    """The units exist but give no interval: inconclusive, with the units and patients."""
    return Finding(reason=str(exc), undecidable=True, n_units=len(units),
                   n_patients=int(units[Col.PATIENT_ID].nunique()), **kw)


def _attempt(make: Callable[[], intervals.Estimate], units: pd.DataFrame, **kw) -> Finding:
    """The finding of ``make()``, with the units and patients counted; :func:`_failed` when
    ``make`` finds them too few for an interval."""
    try:
        return Finding(make(), n_units=len(units),
                       n_patients=int(units[Col.PATIENT_ID].nunique()), **kw)
    except AnalysisError as exc:
        return _failed(exc, units, **kw)


def _session_exposure(sessions: pd.DataFrame, params) -> pd.Series:
    """1 exposed, 0 reference, NA neither, per session (registry.py, "Groups")."""
    column = params["column"]
    exposed, reference = list(params["exposed"]), params.get("reference")
    if column == Col.CONTRAINDICATIONS:
        flags = sessions[[flag_column(x) for x in exposed]].to_numpy().any(axis=1)
        is_exp = pd.Series(flags, index=sessions.index)
        if reference is None:
            is_ref = ~is_exp
        else:
            is_ref = pd.Series(sessions[[flag_column(x) for x in reference]].to_numpy().any(axis=1),
                               index=sessions.index) & ~is_exp
    else:
        values = sessions[column]
        is_exp = _among(values, exposed)
        if reference is None:
            is_ref = ~is_exp & values.notna().to_numpy()
        else:
            is_ref = _among(values, list(reference)) & ~is_exp
    out = pd.Series(pd.NA, index=sessions.index, dtype="Int8")
    out[np.asarray(is_ref)] = 0
    out[np.asarray(is_exp)] = 1
    return out


def _among(values: pd.Series, labels: list) -> np.ndarray:
    """Per row, whether its value is one of ``labels`` (a categorical by its codes)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        wanted = values.cat.categories.get_indexer(pd.Index(labels, dtype=object))
        return np.isin(values.cat.codes.to_numpy(), wanted[wanted >= 0])
    return values.astype("object").isin(labels).to_numpy()


def _session_reasons(sessions: pd.DataFrame, exposure: pd.Series, params) -> pd.Categorical:
    """Why each session is in neither group (``""`` when it is in one), as codes of the three
    texts (no Python string per session)."""
    column = params["column"]
    recorded = sessions[column].notna().to_numpy()
    why = np.where(recorded, 1, 2)
    codes = np.where(exposure.isna().to_numpy(), why, 0)
    return pd.Categorical.from_codes(codes, categories=pd.Index(
        ["", f"{column} in neither group", f"{column} not recorded"], dtype=object))


def _course_exposure(courses: Courses, params) -> tuple[pd.Series, pd.Series]:
    """Per course (indexed by course_id): 1 exposed, 0 reference or NA; and why NA.

    For ``contraindications`` a course is exposed when any session is (registry.py, "Groups");
    for a vocabulary column a course with sessions in both groups is in neither (``mixed
    <column>``)."""
    s = courses.sessions
    e = _session_exposure(s, params).to_numpy(dtype=float, na_value=np.nan)
    course = s[Col.COURSE_ID].to_numpy()
    known = s[params["column"]].notna().to_numpy()
    if np.any(course[1:] < course[:-1]):  # sessions are in course order (build_courses)
        order = np.argsort(course, kind="stable")
        course, e, known = course[order], e[order], known[order]
    starts = np.flatnonzero(np.diff(course, prepend=course[:1] - 1) != 0)
    index = pd.Index(course[starts], name=Col.COURSE_ID)
    low = np.fmin.reduceat(e, starts) if len(e) else e  # NaN: no session in a group
    high = np.fmax.reduceat(e, starts) if len(e) else e
    known = np.logical_or.reduceat(known, starts) if len(e) else known
    why = pd.Series(np.where(known, f"{params['column']} in neither group",
                             f"{params['column']} not recorded"), index=index, dtype=object)
    high = pd.Series(high, index=index).astype("Int8")
    if params["column"] == Col.CONTRAINDICATIONS:
        value = high
    else:
        # as pandas' groupby of the values did: a course with none recorded (NaN != NaN)
        # counts as mixed too
        mixed = low != high.to_numpy(dtype=float, na_value=np.nan)
        value = high.mask(mixed)
        why[mixed] = f"mixed {params['column']}"
    why[value.notna().to_numpy()] = ""
    return value, why


def _missing_column(log: SessionLog, params) -> str:
    column = params.get("column")
    if column and not log.has_column(SESSIONS.name, column):
        return f"the sessions table has no column '{column}'"
    return ""


def _labels(params) -> tuple[str, str]:
    exposed = "/".join(map(str, params["exposed"]))
    reference = params.get("reference")
    return exposed, ("/".join(map(str, reference)) if reference else "the rest")


def _group_words(params) -> tuple[str, str]:
    """The groups as a reason names them: ``flagged``/``unflagged`` for contraindications."""
    if params.get("reference") is None:
        if params["column"] == Col.CONTRAINDICATIONS:
            return "flagged", "unflagged"
        return _labels(params)[0], "other"
    return _labels(params)


@dataclass(frozen=True)
class _Groups:
    """The units of a comparison in the exposed (1) or reference (0) group, with their labels."""

    units: pd.DataFrame
    group: np.ndarray
    exposed: str
    reference: str
    words: tuple[str, str]
    left_out: dict

    @classmethod
    def of(cls, units: pd.DataFrame, exposure: pd.Series, why, params) -> _Groups:
        """Keep the ``units`` whose ``exposure`` (1, 0 or NA, aligned with them) is not NA; count
        the others by ``why`` (aligned too)."""
        group = exposure.to_numpy()
        keep = ~pd.isna(group)
        left = _counts(np.asarray(why[~keep], dtype=object))
        kept = units if keep.all() else units[keep]  # no copy of a frame kept whole
        return cls(kept, group[keep].astype(int), *_labels(params), _group_words(params), left)

    def nothing(self, what: str) -> Finding | None:
        """The finding when a group has no units (not testable, the units there are counted),
        or None."""
        if reason := self.empty(what):
            return Finding(reason=reason, left_out=self.left_out, n_units=len(self.units),
                           n_patients=int(self.units[Col.PATIENT_ID].nunique()))
        return None

    def empty(self, what: str) -> str:
        """Why there is nothing to compare (a group without units), or empty."""
        n_exposed, n_reference = int((self.group == 1).sum()), int((self.group == 0).sum())
        if n_exposed and n_reference:
            return ""
        return (f"no {what} in one of the groups ({self.exposed}: {n_exposed}, "
                f"{self.reference}: {n_reference})")

    def patients(self) -> tuple[Short, ...]:
        """The patients of each group, as counts a verdict needs at least so many of."""
        ids = pd.factorize(self.units[Col.PATIENT_ID])[0]  # codes: no Python string per unit
        return tuple(Short(int(pd.unique(ids[self.group == g]).size), f"{word} patients",
                           "min_group_patients")
                     for g, word in ((1, self.words[0]), (0, self.words[1])))


_COURSE_CONFOUNDERS = (Col.CONDITION, Col.BASELINE_SEVERITY, Col.FITZPATRICK, Col.AGE_BAND,
                       Col.SETTING)
_SESSION_CONFOUNDERS = (Col.CONDITION, Col.SETTING, Col.FITZPATRICK, Col.AGE_BAND)


def _confounders(columns, params) -> list[str]:
    """What differs between the groups before treatment, but for the exposure itself."""
    return [c for c in columns if c != params["column"]]


def _compared(finding_kw: dict, y, g: _Groups, crude: intervals.Estimate, how: How, *,
              confounders, contrast: str, unit_label: str, equal_sessions: bool = False,
              e_ratio: bool, sd: float | None = None) -> Finding:
    """The finding of a comparison: its estimates by basis; the verdict's (``how.basis``) in
    the row, the others and its E-value beside it."""
    comparison = compare(y, g.group, g.units, g.units[Col.PATIENT_ID], crude=crude,
                         confounders=confounders, contrast=contrast, alpha=how.alpha,
                         unit_label=unit_label, equal_sessions=equal_sessions)
    basis = Basis(how.basis)
    details = dict(finding_kw.pop("details", {}))
    for b, e in comparison.estimates.items():
        details[b.value] = _text(e)
    for b, why in comparison.failures.items():
        details[b.value] = why
    if basis is not Basis.CRUDE:
        details["adjusted_for"] = ", ".join(comparison.adjusted_for.get(basis, ())) or "nothing"
    chosen = comparison.estimates.get(basis)
    withhold = ""
    words = comparison.words(basis)
    if chosen is None:  # the basis could not be computed: the crude shown, no verdict
        withhold = comparison.failures[basis]
        chosen, words = crude, f"crude (the {basis.value} estimate could not be computed)"
    e_basis = chosen
    if e_ratio and contrast == "difference":  # the E-value of a risk difference: its ratio
        ratio = compare(y, g.group, g.units, g.units[Col.PATIENT_ID], crude=crude,
                        confounders=confounders if basis is not Basis.CRUDE else (),
                        contrast="ratio", alpha=how.alpha, unit_label=unit_label)
        e_basis = ratio.estimates.get(Basis.ADJUSTED)
        details["e_value_of"] = "the risk ratio on the same basis"
    point, bound = e_value(e_basis, ratio=e_ratio, sd=sd)
    if np.isfinite(bound):
        details["e_value_ci"] = float(bound)
    return Finding(chosen, details=details, withhold=withhold, basis=words, e_value=point,
                   comparison=comparison, n_units=len(g.units),
                   n_patients=int(g.units[Col.PATIENT_ID].nunique()), **finding_kw)


# ------------------------------------------------------------------------------ estimators
def _km_median_sessions_to_band(log, courses: Courses, params, how: How) -> Finding:
    c = _condition(courses.courses, params)
    t = _condition(courses.sessions_to_band(params["band"]), params)
    out = ~c[Col.COURSE_ID].isin(t[Col.COURSE_ID]).to_numpy()
    left = _counts(c.loc[out, Col.FINAL_MISSING].replace("", Undefined.NO_ASSESSMENT))
    if len(t) == 0:
        return Finding(reason=_nothing(
            f"{_where(params, 'courses')} with an improvement after a session", left),
            left_out=left)
    km = kaplan_meier(t[Col.DURATION], t[Col.OBSERVED], cluster=t[Col.PATIENT_ID],
                      unit_label="courses", alpha=how.alpha)
    details = {"courses_reaching_band": int(t[Col.OBSERVED].sum())}
    return _attempt(km.median, t, details=details, table=km.table_, left_out=left)


def _share_band_after_session(log, courses: Courses, params, how: How) -> Finding:
    k, band = int(params["session"]), params["band"]
    c = _condition(courses.courses, params)
    d = _condition(courses.dose, params)
    d = d[d[Col.AFTER_SESSION] == k]
    defined = d[Col.IMPROVEMENT].notna().to_numpy()
    no_point = int((~c[Col.COURSE_ID].isin(d[Col.COURSE_ID])).sum())
    left = _merge_counts(_counts(d.loc[~defined, Col.UNDEFINED]),
                         {f"no assessment after session {k}": no_point} if no_point else {})
    d = d[defined]
    if len(d) == 0:
        return Finding(reason=_nothing(
            f"{_where(params, 'courses')} with an improvement after session {k}", left),
            left_out=left)
    y = d[Col.IMPROVEMENT].to_numpy() >= courses.bands[band]
    return _attempt(lambda: intervals.proportion(y, cluster=d[Col.PATIENT_ID],
                                                 unit_label="courses", alpha=how.alpha), d,
                    details={"mean_improvement": float(d[Col.IMPROVEMENT].mean())},
                    left_out=left)


def _resolution_times(courses: Courses, params, how: How) -> tuple[pd.DataFrame, dict]:
    """The events of the claim's kinds with a time, from the session or from onset; and the
    events left out, counted."""
    e = courses.events
    cond = params.get("condition")
    kinds = e[Col.EVENT].isin(list(params["events"])).to_numpy()
    if cond is not None:
        kinds &= (e[Col.CONDITION] == cond).to_numpy()
    timed = e[Col.DURATION].notna().to_numpy()
    untimed = int((kinds & ~timed).sum())
    left = {"no resolution or last-contact time": untimed} if untimed else {}
    e = e[kinds & timed]
    if how.from_onset:
        onset = e[Col.ONSET_HOURS].fillna(0.0).to_numpy(float)
        e = e.assign(**{Col.DURATION: np.maximum(e[Col.DURATION].to_numpy(float) - onset, 0.0)})
    return e, left


def _km_share_resolved_by(log, courses: Courses, params, how: How) -> Finding:
    e, left = _resolution_times(courses, params, how)
    kinds = list(params["events"])
    if len(e) == 0:
        where = f" after sessions of {params['condition']}" if params.get("condition") else ""
        return Finding(reason=_nothing(f"{'/'.join(kinds)} events{where}", left), left_out=left)
    km = kaplan_meier(e[Col.DURATION], e[Col.OBSERVED], cluster=e[Col.PATIENT_ID],
                      unit_label="events", alpha=how.alpha)
    hours = float(params["hours"])
    details = {}
    for h in params.get("also_report_hours", ()):
        details[f"resolved_by_{float(h):g}h"] = _text_or_reason(
            lambda h=h: km.estimate_at(float(h), cumulative=True, interval="logit"))
    if params.get("report_median"):
        details["median_hours"] = _text_or_reason(km.median)
    details["censored"] = int((~e[Col.OBSERVED]).sum())
    if how.from_onset:
        details["measured_from"] = "onset"
    # the logit interval keeps both one-sided levels near S = 0.1 (survival.KMResult.logit_at)
    return _attempt(lambda: km.estimate_at(hours, cumulative=True, interval="logit"), e,
                    details=details,
                    table=km.table_, left_out=left)


def _risk_difference_notable(log, courses: Courses, params, how: How) -> Finding:
    if reason := _missing_column(log, params):
        return Finding(reason=reason)
    c = _condition(courses.courses, params)
    value, why = _course_exposure(courses, params)
    g = _Groups.of(c, value.reindex(c[Col.COURSE_ID]), why.reindex(c[Col.COURSE_ID]), params)
    if none := g.nothing("courses"):
        return none
    c = g.units
    y = c[Col.NOTABLE].to_numpy()
    by_value = _share_by_value(c, params["column"], Col.NOTABLE)
    needs = (*g.patients(), Short(int(y.sum()), "courses with a notable adverse event",
                                  "min_events"))
    kw = dict(details={"groups": f"{g.exposed} minus {g.reference}"}, table=by_value,
              left_out=g.left_out, needs=needs)
    try:
        crude = intervals.proportion_difference(y, g.group, cluster=c[Col.PATIENT_ID],
                                                levels=(1, 0), unit_label="courses",
                                                alpha=how.alpha)
    except AnalysisError as exc:
        return _failed(exc, c, **kw)
    return _compared(kw, y.astype(float), g, crude, how,
                     confounders=_confounders(_COURSE_CONFOUNDERS, params),
                     contrast="difference", unit_label="courses", e_ratio=True)


def _share_by_value(c: pd.DataFrame, column: str, outcome: str) -> pd.DataFrame:
    rows = []
    for value, part in c.groupby(column, observed=True):
        y = part[outcome].to_numpy()
        try:
            e = intervals.proportion(y, cluster=part[Col.PATIENT_ID],
                                     unit_label="courses").to_dict()
        except AnalysisError as exc:  # e.g. every course of the group from one patient
            e = {"estimate": float(y.mean()), "ci_low": np.nan, "ci_high": np.nan,
                 "n": len(y), "n_clusters": int(part[Col.PATIENT_ID].nunique()),
                 "method": f"no interval: {exc}"}
        rows.append({column: value, **e})
    return pd.DataFrame(rows)


def _expected_events(y: np.ndarray, group: np.ndarray) -> float:
    """Events the exposed sessions would have at the overall rate: all events times the
    exposed share of sessions, to one decimal.

    The risk ratio's event minimum counts these, not the exposed sessions' own events: a
    verdict given only when the exposed group happened to have many events would rest on the
    bundles whose ratio is high by chance (at 40 patients under no effect, the log ratio of those
    with 5 exposed events or more averaged +0.50 against -0.11 over all), while the expected
    count depends on the outcome only through the total, which says nothing about the ratio.

    >>> _expected_events(np.array([1, 0, 0, 1, 1, 0]), np.array([1, 1, 0, 0, 0, 0]))
    1.0
    """
    return round(float(np.sum(y)) * float(np.mean(group == 1)), 1)


def _risk_ratio_events(log, courses: Courses, params, how: How) -> Finding:
    if reason := _missing_column(log, params):
        return Finding(reason=reason)
    s = _condition(courses.sessions, params)
    exposure = _session_exposure(s, params)
    g = _Groups.of(s, exposure, _session_reasons(s, exposure, params), params)
    if none := g.nothing("sessions"):
        return none
    s, group = g.units, g.group
    kinds = "/".join(params["events"])
    ev = courses.events
    hit = ev.loc[ev[Col.EVENT].isin(list(params["events"])).to_numpy(), Col.SESSION_ID]
    y = ids_in(s[Col.SESSION_ID], hit)
    details = {"groups": f"{g.exposed} over {g.reference}",
               "share_exposed": float(y[group == 1].mean()),
               "share_reference": float(y[group == 0].mean()),
               "sessions_exposed": int((group == 1).sum())}
    needs = (*g.patients(),
             Short(_expected_events(y, group), f"{g.words[0]} sessions expected to be followed "
                   f"by {kinds} at the overall rate", "min_events"),
             Short(int(y.sum()), f"sessions followed by {kinds}", "min_events"))
    kw = dict(details=details, left_out=g.left_out, needs=needs)
    for level, label in ((1, g.exposed), (0, g.reference)):
        if not y[group == level].any():
            return Finding(reason=f"no {kinds} event after any of the "
                                  f"{int((group == level).sum())} sessions of {label}, so the "
                                  "risk ratio has no finite interval", undecidable=True,
                           n_units=len(s), n_patients=int(s[Col.PATIENT_ID].nunique()), **kw)
    try:
        crude = intervals.risk_ratio(y, group, cluster=s[Col.PATIENT_ID], levels=(1, 0),
                                     unit_label="sessions", alpha=how.alpha)
    except AnalysisError as exc:
        return _failed(exc, s, **kw)
    return _compared(kw, y.astype(float), g, crude, how,
                     confounders=_confounders(_SESSION_CONFOUNDERS, params),
                     contrast="ratio", unit_label="sessions", e_ratio=True)


def _final(courses: Courses, params) -> tuple[pd.DataFrame, dict]:
    c = _condition(courses.courses, params)
    has = c["final_improvement"].notna().to_numpy()
    return c[has], _counts(c.loc[~has, Col.FINAL_MISSING])


def _mean_final_improvement(log, courses: Courses, params, how: How) -> Finding:
    c, left = _final(courses, params)
    if len(c) == 0:
        return Finding(reason=_nothing(f"{_where(params, 'courses')} with a final improvement",
                                       left), left_out=left)
    y = c["final_improvement"].to_numpy()
    return _attempt(lambda: intervals.mean(y, cluster=c[Col.PATIENT_ID], unit_label="courses",
                                           alpha=how.alpha, skew=True), c, left_out=left)


def _mean_final_improvement_difference(log, courses: Courses, params, how: How) -> Finding:
    if reason := _missing_column(log, params):
        return Finding(reason=reason)
    c, undefined = _final(courses, params)
    value, why = _course_exposure(courses, params)
    g = _Groups.of(c, value.reindex(c[Col.COURSE_ID]), why.reindex(c[Col.COURSE_ID]), params)
    left = _merge_counts(undefined, g.left_out)
    if none := g.nothing("courses with a final improvement"):
        return replace(none, left_out=left)
    y, group = g.units["final_improvement"].to_numpy(float), g.group
    details = {"groups": f"{g.exposed} minus {g.reference}",
               "mean_exposed": float(y[group == 1].mean()),
               "mean_reference": float(y[group == 0].mean())}
    kw = dict(details=details, left_out=left, needs=g.patients())
    try:
        crude = intervals.mean_difference(y, group, cluster=g.units[Col.PATIENT_ID],
                                          levels=(1, 0), unit_label="courses", alpha=how.alpha)
    except AnalysisError as exc:
        return _failed(exc, g.units, **kw)
    sd = float(np.std(y, ddof=1)) if len(y) > 1 else None
    return _compared(kw, y, g, crude, how,
                     confounders=_confounders(_COURSE_CONFOUNDERS, params),
                     contrast="difference", unit_label="courses", equal_sessions=True,
                     e_ratio=False, sd=sd)


def _mean_followup_minus_end(log, courses: Courses, params, how: How) -> Finding:
    c = _condition(courses.courses, params)
    both = (c["follow_up_improvement"].notna() & c["end_improvement"].notna()).to_numpy()
    why = np.where(c[Col.FINAL_MISSING] != "", c[Col.FINAL_MISSING],
                   "no end-of-treatment and follow-up improvement both")
    left = _counts(why[~both])
    c = c[both]
    if len(c) == 0:
        return Finding(reason=_nothing(f"{_where(params, 'courses')} with both an "
                                       "end-of-treatment and a follow-up assessment", left),
                       left_out=left)
    diff = (c["follow_up_improvement"] - c["end_improvement"]).to_numpy()
    # no skewness correction: a difference of two assessments of one improvement is symmetric
    # when nothing is gained late, and a noisy skewness only moves the interval about
    return _attempt(lambda: intervals.mean(diff, cluster=c[Col.PATIENT_ID], unit_label="courses",
                                           alpha=how.alpha), c, left_out=left)


def _session_summary(statistic: Callable[..., intervals.Estimate]) -> Callable[..., Finding]:
    """The estimator of ``statistic`` (mean, median) of a numeric session column."""
    def estimate(log, courses: Courses, params, how: How) -> Finding:
        column = params["column"]
        if not log.has_column(SESSIONS.name, column):
            return Finding(reason=f"the sessions table has no column '{column}'")
        s = _condition(courses.sessions, params)
        recorded = s[column].notna().to_numpy()
        left = {f"{column} not recorded": int((~recorded).sum())} if (~recorded).any() else {}
        s = s[recorded]
        if len(s) == 0:
            return Finding(reason=f"no {_where(params, 'sessions')} record {column}",
                           left_out=left)
        return _attempt(lambda: statistic(s[column].to_numpy(float), cluster=s[Col.PATIENT_ID],
                                          unit_label="sessions", alpha=how.alpha), s,
                        left_out=left)
    return estimate


#: Estimand key -> function(log, courses, parameters, how) -> Finding.
ESTIMATORS: dict[str, Callable[..., Finding]] = {
    "km_median_sessions_to_band": _km_median_sessions_to_band,
    "share_band_after_session": _share_band_after_session,
    "km_share_resolved_by": _km_share_resolved_by,
    "risk_difference_notable": _risk_difference_notable,
    "risk_ratio_events": _risk_ratio_events,
    "mean_final_improvement": _mean_final_improvement,
    "mean_final_improvement_difference": _mean_final_improvement_difference,
    "mean_followup_minus_end": _mean_followup_minus_end,
    # one-sample means: skewness-corrected (pain, improvements are skewed; intervals.mean)
    "mean_session_value": _session_summary(partial(intervals.mean, skew=True)),
    "median_session_value": _session_summary(intervals.median),
}


def _text_or_reason(make: Callable[[], intervals.Estimate]) -> str:
    try:
        return _text(make())
    except AnalysisError as exc:
        return f"no interval: {exc}"


def _text(e: intervals.Estimate) -> str:
    return estimate_text(e.estimate, e.ci_low, e.ci_high)


# ------------------------------------------------------------------------------ evaluation
def _unmet_needs(log: SessionLog, claim: Claim) -> list[str]:
    missing = []
    for need in claim.needs:
        table, _, column = need.partition(".")
        if table in log.missing_tables:
            missing.append(f"the bundle has no {table} table")
        elif column and not log.has_column(table, column):
            missing.append(f"the {table} table has no column '{column}'")
    return sorted(set(missing))


def _row(claim: Claim, verdict: Verdict, finding: Finding | None, reason: str) -> dict:
    e = finding.estimate if finding else None
    details = dict(finding.details) if finding else {}
    if finding is not None and finding.left_out:
        details["left_out"] = dict(finding.left_out)
    return {
        "id": claim.id,
        "statement": claim.statement,
        "verdict": verdict.value,
        "estimate": e.estimate if e else np.nan,
        "ci_low": e.ci_low if e else np.nan,
        "ci_high": e.ci_high if e else np.nan,
        "n": e.n if e else (finding.n_units if finding else 0),
        "n_patients": e.n_clusters if e else (finding.n_patients if finding else 0),
        "unit": claim.unit,
        "rule": claim.rule.value,
        "threshold": claim.threshold if claim.threshold is not None else np.nan,
        "low": claim.low if claim.low is not None else np.nan,
        "high": claim.high if claim.high is not None else np.nan,
        "strict": claim.strict,
        "method": e.method if e else "",
        "reason": reason,
        "details": details,
        "sources": [{"document": s.document, "quote": s.quote} for s in claim.sources],
        "basis": finding.basis if finding else "",
        "e_value": finding.e_value if finding else np.nan,
    }


def _short(claim: Claim, finding: Finding) -> str:
    """What a verdict lacks of the least information the claim needs (empty when nothing)."""
    least = {"min_group_patients": claim.min_group_patients, "min_events": claim.min_events}
    return "; ".join(f"{need.count} {need.what}; at least {least[need.field]} are needed"
                     for need in finding.needs if need.count < least[need.field])


def evaluate_claim(log: SessionLog, courses: Courses, claim: Claim, *,
                   alpha: float = 0.05, from_onset: bool = False) -> tuple[dict, Finding | None]:
    """Evaluate one claim; return its result row and the estimator's finding.

    ``alpha`` is one minus the confidence level of its interval; ``from_onset`` measures
    resolution times from the event's onset (a sensitivity view).
    """
    if unmet := _unmet_needs(log, claim):
        return _row(claim, Verdict.NOT_TESTABLE, None, "; ".join(unmet)), None
    how = How(alpha=alpha, basis=claim.estimand_basis or Basis.ADJUSTED.value,
              from_onset=from_onset)
    try:
        finding = ESTIMATORS[claim.estimand](log, courses, claim.parameters, how)
    except AnalysisError as exc:  # units exist but too few for an interval
        finding = Finding(reason=str(exc), undecidable=True)
    if finding.estimate is None:
        verdict = Verdict.INCONCLUSIVE if finding.undecidable else Verdict.NOT_TESTABLE
        reason = "; ".join(x for x in (_short(claim, finding), finding.reason) if x)
        return _row(claim, verdict, finding, reason), finding
    if withheld := _short(claim, finding) or finding.withhold:
        return _row(claim, Verdict.INCONCLUSIVE, finding, withheld), finding
    e = finding.estimate
    decision = decide(e.ci_low, e.ci_high, claim.rule, low=claim.low, high=claim.high,
                      threshold=claim.threshold, strict=claim.strict, n=e.n,
                      min_units=claim.min_units, unit=claim.unit)
    return _row(claim, decision.verdict, finding, decision.reason), finding


def _comparisons(findings: dict[str, Finding]) -> pd.DataFrame:
    """One row per comparative claim and basis (:data:`COMPARISON_COLUMNS`)."""
    parts = [f.comparison.frame().assign(id=claim_id) for claim_id, f in findings.items()
             if f is not None and f.comparison is not None]
    if not parts:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    return pd.concat(parts, ignore_index=True)[COMPARISON_COLUMNS]


def evaluate_claims(
    log: SessionLog,
    *,
    catalogue: Catalogue | str | None = None,
    conditions: Iterable[str] | None = None,
    courses: Courses | None = None,
    sensitivity: bool = True,
) -> ClaimsResult:
    """Evaluate every claim of the catalogue against a bundle.

    Parameters
    ----------
    log : SessionLog
        A loaded bundle (:func:`outcomes.load_bundle`).
    catalogue : Catalogue or path, optional
        The claims catalogue; a path is read with :func:`outcomes.load_catalogue` (the built-in
        catalogue changed or extended by that file). Default: the built-in catalogue.
    conditions : iterable of str, optional
        Restrict the data to these conditions; claims about other conditions are left out.
    courses : Courses, optional
        Courses already built from ``log`` restricted to ``conditions`` (saves rebuilding them).
    sensitivity : bool, default True
        Also evaluate the claims in the sensitivity views (``sensitivity``; about half the
        time of the call). False leaves ``sensitivity`` empty, for a view that does not show
        them (the dashboard).

    Returns
    -------
    ClaimsResult
        ``table`` has one row per claim with the columns of
        :data:`~outcomes.claims.result.CLAIM_COLUMNS`:

        - ``id``, ``statement``: the claim.
        - ``verdict``: ``supported``, ``contradicted``, ``inconclusive`` or ``not_testable``.
        - ``estimate``, ``ci_low``, ``ci_high``: the estimate and its 95% interval (NaN when not
          testable; an infinite bound when the data do not bound it). For a comparative claim,
          the estimate its verdict rests on (``basis``).
        - ``n``, ``n_patients``: units the claim rests on (``unit``: courses, sessions or
          events) and the patients they come from — counted even when they are too few for an
          interval.
        - ``rule``, ``threshold``, ``low``, ``high``, ``strict``: the claim's rule.
        - ``method``: the estimator and interval, with the clustering used.
        - ``reason``: why inconclusive or not testable, in plain words (empty otherwise); for
          a comparative claim with too few patients in a group or too few events, what is
          short ("3 flagged patients; at least 10 are needed").
        - ``details``: further numbers reported with the claim (dict): ``left_out`` counts the
          units left out of the estimate by reason; a comparative claim gives its ``crude``,
          ``adjusted`` and (mean differences) ``equal_sessions`` estimates as text, what the
          adjusted one is ``adjusted_for``, and ``e_value_ci``.
        - ``sources``: the documents and exact quotes making the claim (list of dicts).
        - ``basis``: for a comparative claim, the estimate the verdict rests on, in words
          (``"adjusted for condition, baseline severity, ..."``); empty otherwise.
        - ``e_value``: for a comparative claim, the E-value of that estimate (NaN otherwise).

        ``comparisons`` has every estimate of each comparative claim, by basis; ``sensitivity``
        the verdicts at a family-wise level and the resolution times from onset
        (:mod:`outcomes.claims.sensitivity`).

    Examples
    --------
    >>> import outcomes
    >>> result = outcomes.evaluate_claims(outcomes.load_sample())
    >>> result.table[["id", "verdict", "estimate", "ci_low", "ci_high"]].round(2).head(3)
                            id       verdict  estimate  ci_low  ci_high
    0  acne-scars-4-6-sessions  inconclusive      5.00    3.00     6.00
    1   single-session-visible  inconclusive      0.55    0.49     0.61
    2           redness-24-48h  inconclusive      0.91    0.89     0.93
    """
    if not isinstance(catalogue, Catalogue):
        catalogue = load_catalogue(catalogue)
    claims = list(catalogue.claims)
    if conditions is not None:
        conditions = [conditions] if isinstance(conditions, str) else list(conditions)
        unknown = sorted(set(conditions) - set(vocabulary("condition")))
        if unknown:
            raise AnalysisError(f"unknown conditions {unknown}; conditions are "
                                f"{vocabulary('condition')}")
        log = log.filter(condition=conditions)
        claims = [c for c in claims
                  if c.parameters.get("condition") in (None, *conditions)]
    if courses is None:
        courses = build_courses(log, bands=dict(catalogue.bands))
    rows, supporting, findings = [], {}, {}
    for claim in claims:
        row, finding = evaluate_claim(log, courses, claim)
        rows.append(row)
        findings[claim.id] = finding
        if finding is not None and finding.table is not None:
            supporting[claim.id] = finding.table
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    views = (sensitivity_table(log, courses, claims, table,
                               lambda claim, **kw: evaluate_claim(log, courses, claim, **kw)[0])
             if sensitivity else pd.DataFrame(columns=SENSITIVITY_COLUMNS))
    return ClaimsResult(table=table, catalogue=catalogue, supporting=supporting, courses=courses,
                        comparisons=_comparisons(findings), sensitivity=views)
