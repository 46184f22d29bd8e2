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
from ..courses import Courses, Undefined, build_courses, ids_in
from ..errors import AnalysisError
from ..stats import intervals
from ..stats.result import Col
from ..stats.survival import kaplan_meier
from .catalogue import load_catalogue
from .compare import Basis, Comparison, Fitted, e_value, fit_comparison
from .groups import Groups, Short, course_exposure, session_exposure, session_reasons
from .groups import counts as _counts
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
    #: What the estimators keep between the evaluations of one :func:`evaluate_claims` call
    #: (:func:`_kept`); None keeps nothing.
    kept: dict | None = field(default=None, compare=False, repr=False)


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


def _kept(how: How, what: str, params, make: Callable[[], object]):
    """``make()``, made once per :func:`evaluate_claims` call for the same estimator
    (``what``), parameters, basis and onset view.

    The family-wise view asks every estimator again at another level; what ``make`` returns
    must not depend on the level (units and patients counted, arrays, fits before their
    quantile), and holds no frame of units (the call keeps it to its end)."""
    if how.kept is None:
        return make()
    key = (what, repr(sorted(params.items())), how.basis, how.from_onset)
    if key not in how.kept:
        how.kept[key] = make()
    return how.kept[key]


@dataclass(frozen=True)
class _Units:
    """The units an estimate rests on, counted once: how many, their patients, and the
    patients coded for the estimators (:class:`~outcomes.stats.intervals.Clusters`)."""

    n: int
    patients: int
    cluster: object

    @classmethod
    def of(cls, units: pd.DataFrame) -> _Units:
        ids = units[Col.PATIENT_ID]
        try:
            c = intervals.Clusters.of(ids)
        except AnalysisError:  # a missing patient: the estimator says so itself
            return cls(len(units), int(ids.nunique()), ids)
        return cls(len(units), c.count, c)

    def attempt(self, make: Callable[[], intervals.Estimate], **kw) -> Finding:
        """The finding of ``make()``; inconclusive when it finds the units too few."""
        try:
            return Finding(make(), n_units=self.n, n_patients=self.patients, **kw)
        except AnalysisError as exc:
            return Finding(reason=str(exc), undecidable=True, n_units=self.n,
                           n_patients=self.patients, **kw)


def _missing_column(log: SessionLog, params) -> str:
    column = params.get("column")
    if column and not log.has_column(SESSIONS.name, column):
        return f"the sessions table has no column '{column}'"
    return ""


def _nothing_to_compare(g: Groups, what: str) -> Finding | None:
    """The finding when a group has no units (not testable, the units there are counted),
    or None."""
    if reason := g.empty(what):
        return Finding(reason=reason, left_out=g.left_out, n_units=len(g.units),
                       n_patients=int(g.units[Col.PATIENT_ID].nunique()))
    return None


_COURSE_CONFOUNDERS = (Col.CONDITION, Col.BASELINE_SEVERITY, Col.FITZPATRICK, Col.AGE_BAND,
                       Col.SETTING)
_SESSION_CONFOUNDERS = (Col.CONDITION, Col.SETTING, Col.FITZPATRICK, Col.AGE_BAND)


def _confounders(columns, params) -> list[str]:
    """What differs between the groups before treatment, but for the exposure itself."""
    return [c for c in columns if c != params["column"]]


@dataclass(frozen=True)
class _Comparing:
    """A comparison before its level: the crude estimator, the adjusted fits and what the
    finding reports beside them (:func:`_comparing`, :func:`_compared`)."""

    crude: Callable[[float], intervals.Estimate]
    alpha: float
    first: intervals.Estimate
    fits: Fitted
    ratio: Fitted | None
    units: _Units
    kw: dict
    contrast: str
    e_ratio: bool
    sd: float | None = None


def _comparing(kw: dict, y, g: Groups, units: _Units, crude, how: How, *, confounders,
               contrast: str, unit_label: str, equal_sessions: bool = False, e_ratio: bool,
               sd: float | None = None) -> _Comparing | Finding:
    """The crude estimate at ``how.alpha`` (inconclusive when the units are too few for it) and
    the adjusted fits of a comparison of the groups ``g``."""
    try:
        first = crude(how.alpha)
    except AnalysisError as exc:
        return Finding(reason=str(exc), undecidable=True, n_units=units.n,
                       n_patients=units.patients, **kw)
    kept: dict = {}  # the covariates of these units, made once for every fit of them
    fits = fit_comparison(y, g.group, g.units, units.cluster, confounders=confounders,
                          contrast=contrast, unit_label=unit_label,
                          equal_sessions=equal_sessions, kept=kept)
    ratio = None
    if e_ratio and contrast == "difference":  # the E-value of a risk difference: its ratio
        ratio = fit_comparison(y, g.group, g.units, units.cluster,
                               confounders=confounders if how.basis != Basis.CRUDE else (),
                               contrast="ratio", unit_label=unit_label, kept=kept)
    return _Comparing(crude, how.alpha, first, fits, ratio, units, kw, contrast, e_ratio, sd)


def _compared(c: _Comparing | Finding, how: How) -> Finding:
    """The finding of a comparison at ``how.alpha``: its estimates by basis; the verdict's
    (``how.basis``) in the row, the others and its E-value beside it."""
    if isinstance(c, Finding):
        return c
    kw = dict(c.kw)
    try:
        crude = c.first if how.alpha == c.alpha else c.crude(how.alpha)
    except AnalysisError as exc:
        return Finding(reason=str(exc), undecidable=True, n_units=c.units.n,
                       n_patients=c.units.patients, **kw)
    comparison = c.fits.at(how.alpha, crude)
    basis = Basis(how.basis)
    details = dict(kw.pop("details", {}))
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
    if c.ratio is not None:
        e_basis = c.ratio.at(how.alpha, crude).estimates.get(Basis.ADJUSTED)
        details["e_value_of"] = "the risk ratio on the same basis"
    point, bound = e_value(e_basis, ratio=c.e_ratio, sd=c.sd)
    if np.isfinite(bound):
        details["e_value_ci"] = float(bound)
    return Finding(chosen, details=details, withhold=withhold, basis=words, e_value=point,
                   comparison=comparison, n_units=c.units.n, n_patients=c.units.patients, **kw)


# ------------------------------------------------------------------------------ estimators
def _km_median_sessions_to_band(log, courses: Courses, params, how: How) -> Finding:
    def fit():
        c = _condition(courses.courses, params)
        t = _condition(courses.sessions_to_band(params["band"]), params)
        out = ~c[Col.COURSE_ID].isin(t[Col.COURSE_ID]).to_numpy()
        left = _counts(c.loc[out, Col.FINAL_MISSING].replace("", Undefined.NO_ASSESSMENT))
        if len(t) == 0:
            return Finding(reason=_nothing(
                f"{_where(params, 'courses')} with an improvement after a session", left),
                left_out=left)
        units = _Units.of(t)
        km = kaplan_meier(t[Col.DURATION], t[Col.OBSERVED], cluster=units.cluster,
                          unit_label="courses", alpha=how.alpha)
        return km, units, {"courses_reaching_band": int(t[Col.OBSERVED].sum())}, left

    fitted = _kept(how, "km_median_sessions_to_band", params, fit)
    if isinstance(fitted, Finding):
        return fitted
    km, units, details, left = fitted
    km = km.at_level(how.alpha)
    return units.attempt(km.median, details=dict(details), table=km.table_, left_out=left)


def _share_band_after_session(log, courses: Courses, params, how: How) -> Finding:
    def prepare():
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
        return y, _Units.of(d), {"mean_improvement": float(d[Col.IMPROVEMENT].mean())}, left

    prepared = _kept(how, "share_band_after_session", params, prepare)
    if isinstance(prepared, Finding):
        return prepared
    y, units, details, left = prepared
    return units.attempt(lambda: intervals.proportion(y, cluster=units.cluster,
                                                      unit_label="courses", alpha=how.alpha),
                         details=dict(details), left_out=left)


def _resolution_times(courses: Courses, params, how: How) -> tuple[pd.DataFrame, dict]:
    """The events of the claim's kinds with a time, from the session or from onset (only the
    columns the curve needs: at 20M sessions a copy of every column is gigabytes); and the
    events left out, counted."""
    e = courses.events
    cond = params.get("condition")
    kinds = e[Col.EVENT].isin(list(params["events"])).to_numpy()
    if cond is not None:
        kinds &= (e[Col.CONDITION] == cond).to_numpy()
    timed = e[Col.DURATION].notna().to_numpy()
    untimed = int((kinds & ~timed).sum())
    left = {"no resolution or last-contact time": untimed} if untimed else {}
    chosen = kinds & timed
    onset = e[Col.ONSET_HOURS].to_numpy(float)[chosen] if how.from_onset else None
    e = e.loc[chosen, [Col.PATIENT_ID, Col.DURATION, Col.OBSERVED]]
    if onset is not None:  # the onset's missing hours as 0, as fillna(0.0) makes them
        onset[np.isnan(onset)] = 0.0
        e[Col.DURATION] = np.maximum(e[Col.DURATION].to_numpy(float) - onset, 0.0)
    return e, left


def _km_share_resolved_by(log, courses: Courses, params, how: How) -> Finding:
    def fit():
        e, left = _resolution_times(courses, params, how)
        if len(e) == 0:
            where = f" after sessions of {params['condition']}" if params.get("condition") else ""
            return Finding(reason=_nothing(f"{'/'.join(params['events'])} events{where}", left),
                           left_out=left)
        units = _Units.of(e)
        km = kaplan_meier(e[Col.DURATION], e[Col.OBSERVED], cluster=units.cluster,
                          unit_label="events", alpha=how.alpha)
        return km, units, int((~e[Col.OBSERVED]).sum()), left

    fitted = _kept(how, "km_share_resolved_by", params, fit)
    if isinstance(fitted, Finding):
        return fitted
    km, units, censored, left = fitted
    km = km.at_level(how.alpha)
    hours = float(params["hours"])
    details = {}
    for h in params.get("also_report_hours", ()):
        details[f"resolved_by_{float(h):g}h"] = _text_or_reason(
            lambda h=h: km.estimate_at(float(h), cumulative=True, interval="logit"))
    if params.get("report_median"):
        details["median_hours"] = _text_or_reason(km.median)
    details["censored"] = censored
    if how.from_onset:
        details["measured_from"] = "onset"
    # the logit interval keeps both one-sided levels near S = 0.1 (survival.KMResult.logit_at)
    return units.attempt(lambda: km.estimate_at(hours, cumulative=True, interval="logit"),
                         details=details, table=km.table_, left_out=left)


def _risk_difference_notable(log, courses: Courses, params, how: How) -> Finding:
    def prepare():
        if reason := _missing_column(log, params):
            return Finding(reason=reason)
        c = _condition(courses.courses, params)
        value, why = course_exposure(courses, params)
        g = Groups.of(c, value.reindex(c[Col.COURSE_ID]), why.reindex(c[Col.COURSE_ID]), params)
        if none := _nothing_to_compare(g, "courses"):
            return none
        y = g.units[Col.NOTABLE].to_numpy()
        units, group = _Units.of(g.units), g.group
        needs = (*g.patients(units.cluster), Short(int(y.sum()), "courses with a notable "
                                                   "adverse event", "min_events"))
        kw = dict(details={"groups": f"{g.exposed} minus {g.reference}"},
                  table=_share_by_value(g.units, params["column"], Col.NOTABLE),
                  left_out=g.left_out, needs=needs)
        crude = partial(intervals.proportion_difference, y, group, cluster=units.cluster,
                        levels=(1, 0), unit_label="courses")
        return _comparing(kw, y.astype(float), g, units, lambda a: crude(alpha=a), how,
                          confounders=_confounders(_COURSE_CONFOUNDERS, params),
                          contrast="difference", unit_label="courses", e_ratio=True)

    return _compared(_kept(how, "risk_difference_notable", params, prepare), how)


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
    def prepare():
        if reason := _missing_column(log, params):
            return Finding(reason=reason)
        s = _condition(courses.sessions, params)
        exposure = session_exposure(s, params)
        g = Groups.of(s, exposure, session_reasons(s, exposure, params), params)
        if none := _nothing_to_compare(g, "sessions"):
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
        units = _Units.of(s)
        needs = (*g.patients(units.cluster),
                 Short(_expected_events(y, group), f"{g.words[0]} sessions expected to be "
                       f"followed by {kinds} at the overall rate", "min_events"),
                 Short(int(y.sum()), f"sessions followed by {kinds}", "min_events"))
        kw = dict(details=details, left_out=g.left_out, needs=needs)
        for level, label in ((1, g.exposed), (0, g.reference)):
            if not y[group == level].any():
                return Finding(reason=f"no {kinds} event after any of the "
                                      f"{int((group == level).sum())} sessions of {label}, so "
                                      "the risk ratio has no finite interval", undecidable=True,
                               n_units=units.n, n_patients=units.patients, **kw)
        crude = partial(intervals.risk_ratio, y, group, cluster=units.cluster, levels=(1, 0),
                        unit_label="sessions")
        return _comparing(kw, y.astype(float), g, units, lambda a: crude(alpha=a), how,
                          confounders=_confounders(_SESSION_CONFOUNDERS, params),
                          contrast="ratio", unit_label="sessions", e_ratio=True)

    return _compared(_kept(how, "risk_ratio_events", params, prepare), how)


def _final(courses: Courses, params) -> tuple[pd.DataFrame, dict]:
    c = _condition(courses.courses, params)
    has = c["final_improvement"].notna().to_numpy()
    return c[has], _counts(c.loc[~has, Col.FINAL_MISSING])


def _mean_final_improvement(log, courses: Courses, params, how: How) -> Finding:
    def prepare():
        c, left = _final(courses, params)
        if len(c) == 0:
            return Finding(reason=_nothing(f"{_where(params, 'courses')} with a final "
                                           "improvement", left), left_out=left)
        # a copy: a view would keep every float column of the courses with an improvement
        return c["final_improvement"].to_numpy(copy=True), _Units.of(c), left

    prepared = _kept(how, "mean_final_improvement", params, prepare)
    if isinstance(prepared, Finding):
        return prepared
    y, units, left = prepared
    return units.attempt(lambda: intervals.mean(y, cluster=units.cluster, unit_label="courses",
                                                alpha=how.alpha, skew=True), left_out=left)


def _mean_final_improvement_difference(log, courses: Courses, params, how: How) -> Finding:
    def prepare():
        if reason := _missing_column(log, params):
            return Finding(reason=reason)
        c, undefined = _final(courses, params)
        value, why = course_exposure(courses, params)
        g = Groups.of(c, value.reindex(c[Col.COURSE_ID]), why.reindex(c[Col.COURSE_ID]), params)
        left = _merge_counts(undefined, g.left_out)
        if none := _nothing_to_compare(g, "courses with a final improvement"):
            return replace(none, left_out=left)
        y, group = g.units["final_improvement"].to_numpy(float), g.group
        details = {"groups": f"{g.exposed} minus {g.reference}",
                   "mean_exposed": float(y[group == 1].mean()),
                   "mean_reference": float(y[group == 0].mean())}
        units = _Units.of(g.units)
        kw = dict(details=details, left_out=left, needs=g.patients(units.cluster))
        crude = partial(intervals.mean_difference, y, group, cluster=units.cluster,
                        levels=(1, 0), unit_label="courses")
        sd = float(np.std(y, ddof=1)) if len(y) > 1 else None
        return _comparing(kw, y, g, units, lambda a: crude(alpha=a), how,
                          confounders=_confounders(_COURSE_CONFOUNDERS, params),
                          contrast="difference", unit_label="courses", equal_sessions=True,
                          e_ratio=False, sd=sd)

    return _compared(_kept(how, "mean_final_improvement_difference", params, prepare), how)


def _mean_followup_minus_end(log, courses: Courses, params, how: How) -> Finding:
    def prepare():
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
        return (c["follow_up_improvement"] - c["end_improvement"]).to_numpy(), _Units.of(c), left

    prepared = _kept(how, "mean_followup_minus_end", params, prepare)
    if isinstance(prepared, Finding):
        return prepared
    diff, units, left = prepared
    # no skewness correction: a difference of two assessments of one improvement is symmetric
    # when nothing is gained late, and a noisy skewness only moves the interval about
    return units.attempt(lambda: intervals.mean(diff, cluster=units.cluster,
                                                unit_label="courses", alpha=how.alpha),
                         left_out=left)


def _session_summary(name: str,
                     statistic: Callable[..., intervals.Estimate]) -> Callable[..., Finding]:
    """The estimator of ``statistic`` (``name``: mean, median) of a numeric session column."""
    def estimate(log, courses: Courses, params, how: How) -> Finding:
        column = params["column"]

        def prepare():
            if not log.has_column(SESSIONS.name, column):
                return Finding(reason=f"the sessions table has no column '{column}'")
            s = _condition(courses.sessions, params)
            recorded = s[column].notna().to_numpy()
            left = ({f"{column} not recorded": int((~recorded).sum())} if (~recorded).any()
                    else {})
            s = s.loc[recorded, [Col.PATIENT_ID, column]]  # kept: only what is estimated
            if len(s) == 0:
                return Finding(reason=f"no {_where(params, 'sessions')} record {column}",
                               left_out=left)
            return s[column].to_numpy(float), _Units.of(s), left

        prepared = _kept(how, f"{name}_session_value", params, prepare)
        if isinstance(prepared, Finding):
            return prepared
        y, units, left = prepared
        return units.attempt(lambda: statistic(y, cluster=units.cluster, unit_label="sessions",
                                               alpha=how.alpha), left_out=left)
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
    "mean_session_value": _session_summary("mean", partial(intervals.mean, skew=True)),
    "median_session_value": _session_summary("median", intervals.median),
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
                   alpha: float = 0.05, from_onset: bool = False,
                   kept: dict | None = None) -> tuple[dict, Finding | None]:
    """Evaluate one claim; return its result row and the estimator's finding.

    ``alpha`` is one minus the confidence level of its interval; ``from_onset`` measures
    resolution times from the event's onset (a sensitivity view). ``kept``, a dict given to
    every evaluation of the same ``log`` and ``courses`` (and only to those), keeps what the
    estimators made before their level, so that asking again at another level does not
    select, count or fit the units again.
    """
    if unmet := _unmet_needs(log, claim):
        return _row(claim, Verdict.NOT_TESTABLE, None, "; ".join(unmet)), None
    how = How(alpha=alpha, basis=claim.estimand_basis or Basis.ADJUSTED.value,
              from_onset=from_onset, kept=kept)
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
        Also evaluate the claims in the sensitivity views (``sensitivity``). The family-wise
        view reuses the units and fits of the 95% pass (only the quantiles change), so it
        costs a few per cent of the call; the onset view fits the resolution curves again.
        False leaves ``sensitivity`` empty, for a view that does not show them (the
        dashboard).

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
    kept: dict = {}  # this bundle's fits before their level, for the family-wise view
    for claim in claims:
        row, finding = evaluate_claim(log, courses, claim, kept=kept)
        rows.append(row)
        findings[claim.id] = finding
        if finding is not None and finding.table is not None:
            supporting[claim.id] = finding.table
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    # the views reuse what the estimators kept, not the dose table (made again when asked)
    courses.__dict__.pop("dose", None)

    def again(claim: Claim, **kw) -> dict:
        if kw.get("from_onset"):  # the onset view comes after the family-wise one, and
            kept.clear()  # fits every curve once: what the estimators kept is let go
            return evaluate_claim(log, courses, claim, **kw)[0]
        return evaluate_claim(log, courses, claim, kept=kept, **kw)[0]

    views = (sensitivity_table(log, courses, claims, table, again)
             if sensitivity else pd.DataFrame(columns=SENSITIVITY_COLUMNS))
    return ClaimsResult(table=table, catalogue=catalogue, supporting=supporting, courses=courses,
                        comparisons=_comparisons(findings), sensitivity=views)
