"""Claims: the documents' promises turned into verdicts from a clinic's own data.

:func:`evaluate_claims` estimates what each claim of the catalogue (``claims.toml``) is about,
with a patient-clustered 95% interval, and judges it by the claim's rule (:mod:`outcomes.verdicts`).
The estimand keys are declared in :data:`outcomes.catalogue.REGISTRY`; each is implemented here by
one small function built from the definitions of :mod:`outcomes.courses` and the estimators of
:mod:`outcomes.intervals` and :mod:`outcomes.survival` — nothing is re-implemented beside them.

Practice recommendations are audited (:func:`outcomes.adherence.adherence`), not given a verdict;
conflicts between documents are shown side by side with what the data say.
"""

from __future__ import annotations

import html
import json
import math
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
from .catalogue import Catalogue, Claim, load_catalogue
from .verdicts import INCONCLUSIVE, NOT_TESTABLE, decide

__all__ = ["evaluate_claims", "ClaimsResult", "CLAIM_COLUMNS", "ESTIMATORS"]

#: Columns of :attr:`ClaimsResult.table`, in order.
CLAIM_COLUMNS = [
    "id", "statement", "verdict", "estimate", "ci_low", "ci_high", "n", "n_patients", "unit",
    "rule", "threshold", "low", "high", "strict", "method", "reason", "details", "sources",
]


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
    """1 exposed, 0 reference, NA neither, per session (catalogue.py, "Groups")."""
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
    details = {f"resolved_by_{h:g}h": _estimate_text(km.estimate_at(h, cumulative=True))
               for h in also}
    if params.get("report_median"):
        details["median_hours"] = _estimate_text(km.median())
    details["censored"] = int((~e[Col.OBSERVED]).sum())
    return Finding(est, details=details, table=km.table_)


def _risk_difference_notable(log, courses: Courses, params) -> Finding:
    if reason := _missing_column(log, params):
        return Finding(reason=reason)
    c = _condition(courses.courses, params)
    group = _course_exposure(courses, params).reindex(c[Col.COURSE_ID]).to_numpy()
    keep = ~pd.isna(group)
    c, group = c[keep], group[keep].astype(int)
    exp_label, ref_label = _labels(params)
    if (group == 1).sum() == 0 or (group == 0).sum() == 0:
        return Finding(reason=f"no courses in one of the groups ({exp_label}: "
                              f"{int((group == 1).sum())}, {ref_label}: {int((group == 0).sum())})")
    est = intervals.proportion_difference(c[Col.NOTABLE].to_numpy(), group,
                                          cluster=c[Col.PATIENT_ID], levels=(1, 0),
                                          unit_label="courses")
    by_value = _share_by_value(c, params["column"], Col.NOTABLE)
    return Finding(est, details={"groups": f"{exp_label} minus {ref_label}"}, table=by_value)


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
    group = _session_exposure(s, params).to_numpy()
    keep = ~pd.isna(group)
    s, group = s[keep], group[keep].astype(int)
    exp_label, ref_label = _labels(params)
    if (group == 1).sum() == 0 or (group == 0).sum() == 0:
        return Finding(reason=f"no sessions in one of the groups ({exp_label}: "
                              f"{int((group == 1).sum())}, {ref_label}: {int((group == 0).sum())})")
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
    group = _course_exposure(courses, params).reindex(c[Col.COURSE_ID]).to_numpy()
    keep = ~pd.isna(group)
    c, group = c[keep], group[keep].astype(int)
    exp_label, ref_label = _labels(params)
    if (group == 1).sum() == 0 or (group == 0).sum() == 0:
        return Finding(reason=f"no courses with a final improvement in one of the groups "
                              f"({exp_label}: {int((group == 1).sum())}, "
                              f"{ref_label}: {int((group == 0).sum())})")
    est = intervals.mean_difference(c["final_improvement"].to_numpy(), group,
                                    cluster=c[Col.PATIENT_ID], levels=(1, 0),
                                    unit_label="courses")
    details = {"groups": f"{exp_label} minus {ref_label}",
               "mean_exposed": float(c["final_improvement"][group == 1].mean()),
               "mean_reference": float(c["final_improvement"][group == 0].mean())}
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


def _mean_session_value(log, courses: Courses, params) -> Finding:
    s, reason = _session_values(log, courses, params)
    if s is None:
        return Finding(reason=reason)
    return Finding(intervals.mean(s[params["column"]].to_numpy(float), cluster=s[Col.PATIENT_ID],
                                  unit_label="sessions"))


def _median_session_value(log, courses: Courses, params) -> Finding:
    s, reason = _session_values(log, courses, params)
    if s is None:
        return Finding(reason=reason)
    return Finding(intervals.median(s[params["column"]].to_numpy(float), cluster=s[Col.PATIENT_ID],
                                    unit_label="sessions"))


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
    "mean_session_value": _mean_session_value,
    "median_session_value": _median_session_value,
}


def _estimate_text(e: intervals.Estimate) -> str:
    def f(x):
        return "∞" if math.isinf(x) else f"{x:.3g}"
    if e.estimate is None or (isinstance(e.estimate, float) and math.isnan(e.estimate)):
        return f"not reached (95% CI {f(e.ci_low)} to {f(e.ci_high)})"
    return f"{f(e.estimate)} (95% CI {f(e.ci_low)} to {f(e.ci_high)})"


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


def _row(claim: Claim, verdict: str, finding: Finding | None, reason: str) -> dict:
    e = finding.estimate if finding else None
    return {
        "id": claim.id,
        "statement": claim.statement,
        "verdict": verdict,
        "estimate": e.estimate if e else np.nan,
        "ci_low": e.ci_low if e else np.nan,
        "ci_high": e.ci_high if e else np.nan,
        "n": e.n if e else 0,
        "n_patients": e.n_clusters if e else 0,
        "unit": claim.unit,
        "rule": claim.rule,
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
        return _row(claim, NOT_TESTABLE, None, "; ".join(unmet)), None
    try:
        finding = ESTIMATORS[claim.estimand](log, courses, claim.parameters)
    except AnalysisError as exc:  # units exist but too few for an interval
        finding = Finding(reason=str(exc), undecidable=True)
    if finding.estimate is None:
        verdict = INCONCLUSIVE if finding.undecidable else NOT_TESTABLE
        return _row(claim, verdict, finding, finding.reason), finding
    e = finding.estimate
    verdict, reason = decide(e.ci_low, e.ci_high, claim.rule, low=claim.low, high=claim.high,
                             threshold=claim.threshold, strict=claim.strict, n=e.n,
                             min_units=claim.min_units)
    if reason.startswith("only"):
        reason = reason.replace("units", claim.unit)
    return _row(claim, verdict, finding, reason), finding


def evaluate_claims(
    log: SessionLog,
    catalogue: Catalogue | str | None = None,
    *,
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
        ``table`` has one row per claim with the columns of :data:`CLAIM_COLUMNS`:

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
    >>> import outcomes                                              # doctest: +SKIP
    >>> result = outcomes.evaluate_claims(outcomes.load_bundle("data/sample"))  # doctest: +SKIP
    >>> result.table[["id", "verdict", "estimate", "ci_low", "ci_high"]]        # doctest: +SKIP
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
    rows, findings = [], {}
    for claim in claims:
        row, finding = evaluate_claim(log, courses, claim)
        rows.append(row)
        if finding is not None and finding.table is not None:
            findings[claim.id] = finding.table
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    return ClaimsResult(table=table, catalogue=catalogue, tables=findings, courses=courses)


# ------------------------------------------------------------------------------ result
def _json_number(x):
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


@dataclass(frozen=True)
class ClaimsResult:
    """Verdicts for every claim, with the tables behind them.

    Attributes
    ----------
    table : DataFrame
        One row per claim (columns: :data:`CLAIM_COLUMNS`, see :func:`evaluate_claims`).
    catalogue : Catalogue
        The catalogue evaluated.
    tables : dict of str to DataFrame
        Per claim id, a supporting table (Kaplan–Meier table, shares by skin type...).
    courses : Courses
        The courses the claims were computed from.
    """

    table: pd.DataFrame
    catalogue: Catalogue
    tables: dict[str, pd.DataFrame]
    courses: Courses

    def to_frame(self) -> pd.DataFrame:
        """The claims table (a copy)."""
        return self.table.copy()

    def counts(self) -> pd.Series:
        """Number of claims per verdict."""
        from .verdicts import VERDICTS

        return self.table["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)

    def to_records(self) -> list[dict]:
        """One JSON-ready dict per claim: numbers as numbers, ``None`` where there is none."""
        out = []
        for row in self.table.to_dict("records"):
            rec = dict(row)
            for key in ("estimate", "ci_low", "ci_high", "threshold", "low", "high"):
                rec[key] = _json_number(rec[key])
            rec["n"], rec["n_patients"] = int(rec["n"]), int(rec["n_patients"])
            rec["strict"] = bool(rec["strict"])
            if rec["ci_high"] is None and row["ci_high"] == math.inf:
                rec["ci_high_unbounded"] = True
            out.append(rec)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """A JSON array, one object per claim (see :meth:`to_records`)."""
        return json.dumps(self.to_records(), indent=indent, ensure_ascii=False, default=str)

    def flat(self) -> pd.DataFrame:
        """The claims table with ``details`` and ``sources`` as text (for CSV and spreadsheets)."""
        t = self.table.copy()
        t["details"] = t["details"].map(
            lambda d: "; ".join(f"{k}: {v}" for k, v in d.items()))
        t["sources"] = t["sources"].map(
            lambda s: " · ".join(f"{x['document']}: \"{x['quote']}\"" for x in s))
        return t

    def to_csv(self, path=None, **kwargs):
        """Write (or return) the flat claims table as CSV, spreadsheet formulas neutralised."""
        from ..output.safety import neutralise_formulas

        return neutralise_formulas(self.flat()).to_csv(path, index=False, **kwargs)

    def to_text(self, width: int = 100) -> str:
        """A table readable in a terminal of ``width`` columns."""
        lines = []
        id_w = min(32, max(len(i) for i in self.table["id"]))
        head = f"{'claim':<{id_w}}  {'verdict':<13} {'estimate (95% CI)':<36} {'n':>6}"
        lines += [head, "-" * min(width, len(head) + 2)]
        for r in self.table.itertuples():
            if r.verdict == NOT_TESTABLE or (math.isnan(r.estimate) and math.isnan(r.ci_low)):
                est = "-"
            else:
                est = _estimate_text(intervals.Estimate(r.estimate, r.ci_low, r.ci_high, r.n,
                                                        r.n_patients, r.method))
            lines.append(f"{r.id[:id_w]:<{id_w}}  {r.verdict:<13} {est[:36]:<36} {r.n:>6}")
            if r.reason:
                lines.append(" " * (id_w + 2) + _wrap(r.reason, width - id_w - 2, id_w + 2))
        counts = ", ".join(f"{v}: {n}" for v, n in self.counts().items())
        lines += ["", counts]
        return "\n".join(lines)

    def summary(self) -> str:
        """Same as :meth:`to_text`."""
        return self.to_text()

    def conflicts(self) -> pd.DataFrame:
        """Where the documents disagree: each side with what the data say.

        Columns ``conflict``, ``topic``, ``side`` (a claim or recommendation id, or a quoted
        document), ``verdict``, ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``note``.
        """
        from ..audit.adherence import adherence

        by_id = self.table.set_index("id")
        recommendations = adherence(self.courses, catalogue=self.catalogue).table.set_index(
            "recommendation")
        rows = []
        for c in self.catalogue.conflicts:
            for entry in c.entries:
                row = {"conflict": c.id, "topic": c.topic, "note": c.note}
                if isinstance(entry, str):
                    row["side"] = entry
                    if entry in by_id.index:
                        r = by_id.loc[entry]
                        row.update(verdict=r["verdict"], estimate=r["estimate"],
                                   ci_low=r["ci_low"], ci_high=r["ci_high"], n=r["n"])
                    elif entry in recommendations.index:
                        r = recommendations.loc[entry]
                        row.update(verdict="recommendation (audited): share following it",
                                   estimate=r["estimate"], ci_low=r["ci_low"],
                                   ci_high=r["ci_high"], n=r["n"])
                    else:
                        row["verdict"] = "not evaluated (outside the conditions chosen)"
                else:
                    row["side"] = f"{entry.document}: \"{entry.quote}\""
                    row["verdict"] = "statement (no data can test it)"
                rows.append(row)
        cols = ["conflict", "topic", "side", "verdict", "estimate", "ci_low", "ci_high", "n",
                "note"]
        return pd.DataFrame(rows).reindex(columns=cols)

    def plot(self, ax=None, ids=None):
        """Forest plot of the claims: each estimate with its interval and the claimed range."""
        from ..plots.claims import claims_forest

        return claims_forest(self.table, ax=ax, ids=ids)

    def _repr_html_(self) -> str:
        from ..plots.style import VERDICT_COLOURS

        rows = []
        for r in self.table.itertuples():
            colour = VERDICT_COLOURS.get(r.verdict, "#777")
            est = "" if r.verdict == NOT_TESTABLE else html.escape(_estimate_text(
                intervals.Estimate(r.estimate, r.ci_low, r.ci_high, r.n, r.n_patients, r.method)))
            rows.append(
                f"<tr><td>{html.escape(r.id)}</td><td>{html.escape(r.statement)}</td>"
                f"<td><span style='background:{colour};color:#fff;padding:1px 6px;"
                f"border-radius:3px'>{html.escape(r.verdict)}</span></td><td>{est}</td>"
                f"<td>{r.n}</td><td>{html.escape(r.reason)}</td></tr>")
        head = ("<tr><th>claim</th><th>statement</th><th>verdict</th>"
                "<th>estimate (95% CI)</th><th>n</th><th>reason</th></tr>")
        return f"<table>{head}{''.join(rows)}</table>"


def _wrap(text: str, width: int, indent: int) -> str:
    import textwrap

    return ("\n" + " " * indent).join(textwrap.wrap(text, max(20, width)))

