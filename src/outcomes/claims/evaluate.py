"""Claims: the documents' promises turned into verdicts from a clinic's own data.

:func:`evaluate_claims` estimates what each claim of the catalogue (``claims.toml``) is about,
with a patient-clustered 95% interval, and judges it by the claim's rule
(:mod:`outcomes.claims.verdicts`). The estimand keys are declared in
:data:`outcomes.claims.registry.REGISTRY`; each is implemented here by one small function built
from the definitions of :mod:`outcomes.courses` and the estimators of
:mod:`outcomes.stats.intervals` and :mod:`outcomes.stats.survival` — nothing is re-implemented
beside them. The verdicts come back as a :class:`~outcomes.claims.result.ClaimsResult`.

Practice recommendations are audited (:func:`outcomes.audit.adherence.adherence`), not given a
verdict; the conflicts between documents, which put both side by side, are drawn up by
:mod:`outcomes.analysis`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..bundle.log import SessionLog
from ..bundle.schema import SESSIONS, vocabulary
from ..courses import Courses, build_courses, flag_column
from ..errors import AnalysisError
from ..stats import intervals
from ..stats.result import Col
from ..stats.survival import kaplan_meier
from .catalogue import load_catalogue
from .model import Catalogue, Claim
from .result import CLAIM_COLUMNS, ClaimsResult, estimate_text
from .verdicts import Verdict, decide

__all__ = ["evaluate_claims", "ESTIMATORS"]


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


# ------------------------------------------------------------------------------ helpers
def _condition(frame: pd.DataFrame, params) -> pd.DataFrame:
    cond = params.get("condition")
    return frame if cond is None else frame[frame[Col.CONDITION] == cond]


def _where(params, what: str) -> str:
    cond = params.get("condition")
    return f"{what} of {cond}" if cond else what


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
        values = sessions[column].astype("object")
        is_exp = values.isin(exposed)
        if reference is None:
            is_ref = ~is_exp & values.notna()
        else:
            is_ref = values.isin(list(reference)) & ~is_exp
    out = pd.Series(pd.NA, index=sessions.index, dtype="Int8")
    out[is_ref.to_numpy()] = 0
    out[is_exp.to_numpy()] = 1
    return out


def _course_exposure(courses: Courses, params) -> pd.Series:
    """Per course (indexed by course_id): 1 if any session exposed, else 0 if any reference."""
    s = courses.sessions
    g = pd.DataFrame({Col.COURSE_ID: s[Col.COURSE_ID].to_numpy(),
                      "e": _session_exposure(s, params).to_numpy()})
    by = g.groupby(Col.COURSE_ID)["e"].max()  # NA skipped: 1 beats 0
    return by


def _missing_column(log: SessionLog, params) -> str:
    column = params.get("column")
    if column and not log.has_column(SESSIONS.name, column):
        return f"the sessions table has no column '{column}'"
    return ""


def _labels(params) -> tuple[str, str]:
    exposed = "/".join(map(str, params["exposed"]))
    reference = params.get("reference")
    return exposed, ("/".join(map(str, reference)) if reference else "the rest")


@dataclass(frozen=True)
class _Groups:
    """The units of a comparison in the exposed (1) or reference (0) group, with their labels."""

    units: pd.DataFrame
    group: np.ndarray
    exposed: str
    reference: str

    @classmethod
    def of(cls, units: pd.DataFrame, exposure: pd.Series, params) -> _Groups:
        """Keep the ``units`` whose ``exposure`` (1, 0 or NA, aligned with them) is not NA."""
        group = exposure.to_numpy()
        keep = ~pd.isna(group)
        return cls(units[keep], group[keep].astype(int), *_labels(params))

    def empty(self, what: str) -> str:
        """Why there is nothing to compare (a group without units), or empty."""
        n_exposed, n_reference = int((self.group == 1).sum()), int((self.group == 0).sum())
        if n_exposed and n_reference:
            return ""
        return (f"no {what} in one of the groups ({self.exposed}: {n_exposed}, "
                f"{self.reference}: {n_reference})")


# ------------------------------------------------------------------------------ estimators
def _km_median_sessions_to_band(log, courses: Courses, params) -> Finding:
    t = _condition(courses.sessions_to_band(params["band"]), params)
    if len(t) == 0:
        return Finding(reason=f"no {_where(params, 'courses')} with an improvement after a session")
    km = kaplan_meier(t[Col.DURATION], t[Col.OBSERVED], cluster=t[Col.PATIENT_ID],
                      unit_label="courses")
    med = km.median()
    details = {"courses_reaching_band": int(t[Col.OBSERVED].sum())}
    return Finding(med, details=details, table=km.table_)


def _share_band_after_session(log, courses: Courses, params) -> Finding:
    k, band = int(params["session"]), params["band"]
    d = _condition(courses.dose, params)
    d = d[(d[Col.AFTER_SESSION] == k) & d[Col.IMPROVEMENT].notna()]
    if len(d) == 0:
        return Finding(
            reason=f"no {_where(params, 'courses')} with an assessment after session {k}")
    y = d[Col.IMPROVEMENT].to_numpy() >= courses.bands[band]
    est = intervals.proportion(y, cluster=d[Col.PATIENT_ID], unit_label="courses")
    return Finding(est, details={"mean_improvement": float(d[Col.IMPROVEMENT].mean())})


def _km_share_resolved_by(log, courses: Courses, params) -> Finding:
    e = _condition(courses.events, params)
    kinds = list(params["events"])
    e = e[e[Col.EVENT].isin(kinds) & e[Col.DURATION].notna()]
    if len(e) == 0:
        return Finding(reason=f"no {'/'.join(kinds)} events" + (
            f" after sessions of {params['condition']}" if params.get("condition") else ""))
    km = kaplan_meier(e[Col.DURATION], e[Col.OBSERVED], cluster=e[Col.PATIENT_ID],
                      unit_label="events")
    hours = float(params["hours"])
    also = [float(h) for h in params.get("also_report_hours", ())]
    est = km.estimate_at(hours, cumulative=True)
    details = {f"resolved_by_{h:g}h": _text(km.estimate_at(h, cumulative=True)) for h in also}
    if params.get("report_median"):
        details["median_hours"] = _text(km.median())
    details["censored"] = int((~e[Col.OBSERVED]).sum())
    return Finding(est, details=details, table=km.table_)


def _risk_difference_notable(log, courses: Courses, params) -> Finding:
    if reason := _missing_column(log, params):
        return Finding(reason=reason)
    c = _condition(courses.courses, params)
    g = _Groups.of(c, _course_exposure(courses, params).reindex(c[Col.COURSE_ID]), params)
    if reason := g.empty("courses"):
        return Finding(reason=reason)
    c = g.units
    est = intervals.proportion_difference(c[Col.NOTABLE].to_numpy(), g.group,
                                          cluster=c[Col.PATIENT_ID],
                                          levels=(1, 0), unit_label="courses")
    by_value = _share_by_value(c, params["column"], Col.NOTABLE)
    return Finding(est, details={"groups": f"{g.exposed} minus {g.reference}"}, table=by_value)


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


def _risk_ratio_events(log, courses: Courses, params) -> Finding:
    if reason := _missing_column(log, params):
        return Finding(reason=reason)
    s = _condition(courses.sessions, params)
    g = _Groups.of(s, _session_exposure(s, params), params)
    if reason := g.empty("sessions"):
        return Finding(reason=reason)
    s, group, exp_label, ref_label = g.units, g.group, g.exposed, g.reference
    kinds = list(params["events"])
    ev = courses.events
    hit = ev.loc[ev[Col.EVENT].isin(kinds), Col.SESSION_ID].unique()
    y = s[Col.SESSION_ID].isin(hit).to_numpy()
    details = {"groups": f"{exp_label} over {ref_label}",
               "share_exposed": float(y[group == 1].mean()),
               "share_reference": float(y[group == 0].mean()),
               "sessions_exposed": int((group == 1).sum())}
    for g, label in ((1, exp_label), (0, ref_label)):
        if not y[group == g].any():
            return Finding(reason=f"no {'/'.join(kinds)} event after any of the "
                                  f"{int((group == g).sum())} sessions of {label}, so the risk "
                                  "ratio has no finite interval", details=details,
                           undecidable=True)
    est = intervals.risk_ratio(y, group, cluster=s[Col.PATIENT_ID], levels=(1, 0),
                               unit_label="sessions")
    return Finding(est, details=details)


def _final(courses: Courses, params) -> pd.DataFrame:
    c = _condition(courses.courses, params)
    return c[c["final_improvement"].notna()]


def _mean_final_improvement(log, courses: Courses, params) -> Finding:
    c = _final(courses, params)
    if len(c) == 0:
        return Finding(reason=f"no {_where(params, 'courses')} with a final improvement")
    est = intervals.mean(c["final_improvement"].to_numpy(), cluster=c[Col.PATIENT_ID],
                         unit_label="courses")
    return Finding(est)


def _mean_final_improvement_difference(log, courses: Courses, params) -> Finding:
    if reason := _missing_column(log, params):
        return Finding(reason=reason)
    c = _final(courses, params)
    g = _Groups.of(c, _course_exposure(courses, params).reindex(c[Col.COURSE_ID]), params)
    if reason := g.empty("courses with a final improvement"):
        return Finding(reason=reason)
    y, group = g.units["final_improvement"], g.group
    est = intervals.mean_difference(y.to_numpy(), group, cluster=g.units[Col.PATIENT_ID],
                                    levels=(1, 0), unit_label="courses")
    details = {"groups": f"{g.exposed} minus {g.reference}",
               "mean_exposed": float(y[group == 1].mean()),
               "mean_reference": float(y[group == 0].mean())}
    return Finding(est, details=details)


def _mean_followup_minus_end(log, courses: Courses, params) -> Finding:
    c = _condition(courses.courses, params)
    c = c[c["follow_up_improvement"].notna() & c["end_improvement"].notna()]
    if len(c) == 0:
        return Finding(reason=f"no {_where(params, 'courses')} with both an end-of-treatment "
                              "and a follow-up assessment")
    diff = (c["follow_up_improvement"] - c["end_improvement"]).to_numpy()
    return Finding(intervals.mean(diff, cluster=c[Col.PATIENT_ID], unit_label="courses"))


def _session_values(log, courses: Courses, params):
    column = params["column"]
    if not log.has_column(SESSIONS.name, column):
        return None, f"the sessions table has no column '{column}'"
    s = _condition(courses.sessions, params)
    s = s[s[column].notna()]
    if len(s) == 0:
        return None, f"no {_where(params, 'sessions')} record {column}"
    return s, ""


def _session_summary(statistic: Callable[..., intervals.Estimate]) -> Callable[..., Finding]:
    """The estimator of ``statistic`` (mean, median) of a numeric session column."""
    def estimate(log, courses: Courses, params) -> Finding:
        s, reason = _session_values(log, courses, params)
        if s is None:
            return Finding(reason=reason)
        return Finding(statistic(s[params["column"]].to_numpy(float), cluster=s[Col.PATIENT_ID],
                                 unit_label="sessions"))
    return estimate


#: Estimand key -> function(log, courses, parameters) -> Finding.
ESTIMATORS: dict[str, Callable[..., Finding]] = {
    "km_median_sessions_to_band": _km_median_sessions_to_band,
    "share_band_after_session": _share_band_after_session,
    "km_share_resolved_by": _km_share_resolved_by,
    "risk_difference_notable": _risk_difference_notable,
    "risk_ratio_events": _risk_ratio_events,
    "mean_final_improvement": _mean_final_improvement,
    "mean_final_improvement_difference": _mean_final_improvement_difference,
    "mean_followup_minus_end": _mean_followup_minus_end,
    "mean_session_value": _session_summary(intervals.mean),
    "median_session_value": _session_summary(intervals.median),
}


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
    return {
        "id": claim.id,
        "statement": claim.statement,
        "verdict": verdict.value,
        "estimate": e.estimate if e else np.nan,
        "ci_low": e.ci_low if e else np.nan,
        "ci_high": e.ci_high if e else np.nan,
        "n": e.n if e else 0,
        "n_patients": e.n_clusters if e else 0,
        "unit": claim.unit,
        "rule": claim.rule.value,
        "threshold": claim.threshold if claim.threshold is not None else np.nan,
        "low": claim.low if claim.low is not None else np.nan,
        "high": claim.high if claim.high is not None else np.nan,
        "strict": claim.strict,
        "method": e.method if e else "",
        "reason": reason,
        "details": dict(finding.details) if finding else {},
        "sources": [{"document": s.document, "quote": s.quote} for s in claim.sources],
    }


def evaluate_claim(log: SessionLog, courses: Courses, claim: Claim) -> tuple[dict, Finding | None]:
    """Evaluate one claim; return its result row and the estimator's finding."""
    if unmet := _unmet_needs(log, claim):
        return _row(claim, Verdict.NOT_TESTABLE, None, "; ".join(unmet)), None
    try:
        finding = ESTIMATORS[claim.estimand](log, courses, claim.parameters)
    except AnalysisError as exc:  # units exist but too few for an interval
        finding = Finding(reason=str(exc), undecidable=True)
    if finding.estimate is None:
        verdict = Verdict.INCONCLUSIVE if finding.undecidable else Verdict.NOT_TESTABLE
        return _row(claim, verdict, finding, finding.reason), finding
    e = finding.estimate
    decision = decide(e.ci_low, e.ci_high, claim.rule, low=claim.low, high=claim.high,
                      threshold=claim.threshold, strict=claim.strict, n=e.n,
                      min_units=claim.min_units, unit=claim.unit)
    return _row(claim, decision.verdict, finding, decision.reason), finding


def evaluate_claims(
    log: SessionLog,
    *,
    catalogue: Catalogue | str | None = None,
    conditions: Iterable[str] | None = None,
    courses: Courses | None = None,
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

    Returns
    -------
    ClaimsResult
        ``table`` has one row per claim with the columns of
        :data:`~outcomes.claims.result.CLAIM_COLUMNS`:

        - ``id``, ``statement``: the claim.
        - ``verdict``: ``supported``, ``contradicted``, ``inconclusive`` or ``not_testable``.
        - ``estimate``, ``ci_low``, ``ci_high``: the estimate and its 95% interval (NaN when not
          testable; an infinite bound when the data do not bound it).
        - ``n``, ``n_patients``: units the estimate rests on (``unit``: courses, sessions or
          events) and the patients they come from.
        - ``rule``, ``threshold``, ``low``, ``high``, ``strict``: the claim's rule.
        - ``method``: the estimator and interval, with the clustering used.
        - ``reason``: why inconclusive or not testable, in plain words (empty otherwise).
        - ``details``: further numbers reported with the claim (dict).
        - ``sources``: the documents and exact quotes making the claim (list of dicts).

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
    rows, supporting = [], {}
    for claim in claims:
        row, finding = evaluate_claim(log, courses, claim)
        rows.append(row)
        if finding is not None and finding.table is not None:
            supporting[claim.id] = finding.table
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    return ClaimsResult(table=table, catalogue=catalogue, supporting=supporting, courses=courses)
