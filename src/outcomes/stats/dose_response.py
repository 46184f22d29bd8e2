"""Dose response: improvement after each session, the gain of each extra session, and the
number of sessions until a band of improvement (Kaplan-Meier).

One job: how outcomes grow with the number of sessions, per condition, with patient-clustered
intervals. The assessment after session k, the end of treatment (after session K) and the
sessions-to-band durations are those of :mod:`outcomes.courses`; this module only summarises
them.

Courses that go on to session 6 are self-selected (they may be the ones that were not yet
satisfied, or the ones that were doing well), so every curve carries its number of courses at
each k, and ``min_sessions=k`` restricts everything to courses that completed at least k
sessions (the completers view).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..courses import check_courses
from ..errors import AnalysisError
from .by_condition import (
    ALL,
    condition_codes,
    mean_row,
    present_conditions,
    select_conditions,
    wide_table,
)
from .result import Col, Result
from .rows import count_distinct, estimate_dict, no_interval_row
from .survival import TABLE_COLUMNS as KM_COLUMNS
from .survival import kaplan_meier

__all__ = ["DoseResponse", "dose_response", "TABLE_COLUMNS", "AT_RISK_COLUMNS",
           "IMPROVEMENT", "GAIN"]

#: Measure: mean improvement after session k.
IMPROVEMENT = "improvement"
#: Measure: mean within-course gain of session k, improvement(k) - improvement(k - 1).
GAIN = "gain"
SESSION = Col.AFTER_SESSION
#: Columns of :attr:`DoseResponse.table`, in order.
TABLE_COLUMNS = [Col.CONDITION, Col.MEASURE, SESSION, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH, Col.N,
                 Col.N_PATIENTS, Col.METHOD]
#: Columns of the ``at_risk`` extra table, in order.
AT_RISK_COLUMNS = [Col.CONDITION, SESSION, "n_courses", "n_assessed", "n_at_risk", "n_reached",
                   "n_censored"]


def reached_by_measure(band: str) -> str:
    """Measure name of the Kaplan-Meier share of courses that reached ``band`` by session k."""
    return f"reached_{band}_by"


def median_measure(band: str) -> str:
    """Measure name of the Kaplan-Meier median number of sessions until ``band``."""
    return f"median_sessions_to_{band}"


@dataclass(frozen=True)
class DoseResponse(Result):
    """Improvement by session number per condition; see :func:`dose_response`.

    Attributes
    ----------
    table : DataFrame
        One row per (condition, measure, session); columns in :data:`TABLE_COLUMNS`.
    extra : dict of DataFrame
        ``"at_risk"`` (columns :data:`AT_RISK_COLUMNS`) and ``"km"`` (the Kaplan-Meier tables).
    band : str
        The band of the sessions-to-band curve.
    threshold : float
        Its lowest improvement.
    min_sessions : int or None
        The completers restriction applied, if any.
    """

    band: str = "major"
    threshold: float = 0.5
    min_sessions: int | None = None
    bands: dict[str, float] = field(default_factory=dict)

    @property
    def reached_measure(self) -> str:
        """Measure name of the Kaplan-Meier curve rows (e.g. ``reached_major_by``)."""
        return reached_by_measure(self.band)

    @property
    def median_measure(self) -> str:
        """Measure name of the median rows (e.g. ``median_sessions_to_major``)."""
        return median_measure(self.band)

    def conditions(self) -> list[str]:
        """Conditions of the table, in order (``all`` last when present)."""
        return list(dict.fromkeys(self.table[Col.CONDITION]))

    def curve(self, measure: str = IMPROVEMENT, condition: str | None = None) -> pd.DataFrame:
        """Rows of one measure (and optionally one condition), by session."""
        t = self.table[self.table[Col.MEASURE] == measure]
        if condition is not None:
            t = t[t[Col.CONDITION] == condition]
        return t.reset_index(drop=True)

    def medians(self) -> pd.DataFrame:
        """The median number of sessions to the band, one row per condition."""
        return self.curve(self.median_measure).drop(columns=[SESSION])

    def wide(self, measure: str = IMPROVEMENT) -> pd.DataFrame:
        """One row per session k, one text column per condition: ``estimate (low to high)``."""
        t = self.curve(measure)
        w = wide_table(t.assign(**{Col.MEASURE: t[Col.CONDITION]}), [SESSION], self.conditions())
        return w

    def summary(self) -> str:
        """Plain text: improvement and gain by session, medians, courses at each session."""
        with pd.option_context("display.width", 160, "display.max_columns", 30):
            parts = [
                self.title,
                "Mean improvement after session k (95% CI):",
                self.wide(IMPROVEMENT).to_string(index=False),
                "",
                "Mean gain of session k, improvement(k) - improvement(k-1) (95% CI):",
                self.wide(GAIN).to_string(index=False),
                "",
                f"Share of courses that reached {self.band} (>= {self.threshold:g}) by session k "
                f"(Kaplan-Meier, 95% CI):",
                self.wide(self.reached_measure).to_string(index=False),
                "",
                f"Median sessions to {self.band}:",
                wide_table(self.medians().assign(**{Col.MEASURE: "median"}), [Col.CONDITION],
                           ["median"]).to_string(index=False),
                "",
                "Courses at each session k: with at least k sessions, assessed after k, at risk "
                "of first reaching the band at k, reaching it, censored at k:",
                self.extra["at_risk"].to_string(index=False),
                "",
                self.notes,
            ]
        return "\n".join(p for p in parts if p is not None)

    def plot(self, ax=None, kind: str = "improvement", **kwargs):
        """Plot the result.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        kind : {"improvement", "gain", "sessions_to_band"}
            Mean improvement after session k, the gain of each session (both
            :func:`outcomes.plots.outcomes.plot_dose_response`), or the Kaplan-Meier curve of
            sessions to the band with the numbers at risk
            (:func:`outcomes.plots.outcomes.plot_sessions_to_band`).
        **kwargs
            Passed to the plot function (e.g. ``conditions=[...]``).

        Returns
        -------
        matplotlib Axes
        """
        from ..plots.outcomes import plot_dose_response, plot_sessions_to_band

        if kind in (IMPROVEMENT, GAIN):
            return plot_dose_response(self, ax=ax, measure=kind, **kwargs)
        if kind in ("sessions_to_band", "km", "survival"):
            return plot_sessions_to_band(self, ax=ax, **kwargs)
        raise AnalysisError(f"kind must be 'improvement', 'gain' or 'sessions_to_band'; got "
                            f"{kind!r}.")


# --------------------------------------------------------------------------- helpers
def _check_min_sessions(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise AnalysisError(f"min_sessions must be a whole number >= 1 (courses that completed "
                            f"at least that many sessions), or None; got {value!r}.")
    return int(value)


def _gains(course: np.ndarray, k: np.ndarray, imp: np.ndarray) -> np.ndarray:
    """Within-course ``improvement(k) - improvement(k-1)``, ``improvement(0) = 0``.

    Rows are sorted by course then k. NaN where the course has no improvement after k - 1.
    """
    prev_same = np.r_[False, course[1:] == course[:-1]]
    prev_k = np.r_[-1, k[:-1]]
    prev_imp = np.r_[np.nan, imp[:-1]]
    consecutive = prev_same & (prev_k == k - 1)
    return np.where(k == 1, imp, np.where(consecutive, imp - prev_imp, np.nan))


def _by_session(values, k, patient, measure, name, units) -> list[dict]:
    """Clustered mean of ``values`` at each k (rows with NaN values left out)."""
    ok = ~np.isnan(values)
    values, k, patient = values[ok], k[ok], patient[ok]
    if not values.size:
        return []
    order = np.argsort(k.astype(np.int16), kind="stable")  # radix sort: k is small
    ks, starts = np.unique(k[order], return_index=True)
    ends = np.r_[starts[1:], order.size]
    rows = []
    for kk, a, b in zip(ks, starts, ends, strict=True):
        idx = order[a:b]
        rows.append({Col.CONDITION: name, Col.MEASURE: measure, SESSION: int(kk),
                     **mean_row(values[idx], patient[idx], units)})
    return rows


def _n_distinct_at_risk(duration: np.ndarray, patient: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Distinct patients with at least one course at risk (duration >= k) at each k."""
    # a patient is at risk at k while k <= their longest duration
    longest = np.sort(pd.Series(duration).groupby(patient).max().to_numpy())
    return longest.size - np.searchsorted(longest, ks, side="left")


def _km_rows(sb: pd.DataFrame, mask, patient, name, band, units):
    """KM rows (per k and the median), the at-risk counts and the KM table of one group."""
    dur = sb[Col.DURATION].to_numpy(dtype=float)[mask]
    obs = sb[Col.OBSERVED].to_numpy(dtype=bool)[mask]
    pat = patient[mask]
    measure = reached_by_measure(band)
    median = {Col.CONDITION: name, Col.MEASURE: median_measure(band), SESSION: pd.NA}
    if dur.size == 0:
        empty = no_interval_row("no course with an improvement after a session")
        return [], {**median, **empty}, None, None
    try:
        km = kaplan_meier(dur, obs, cluster=pat, unit_label=units)
    except AnalysisError as exc:  # e.g. several courses, all of one patient
        empty = no_interval_row(f"no estimate: {exc}", n=dur.size, n_patients=count_distinct(pat))
        return [], {**median, **empty}, None, None
    ks = np.arange(1, int(dur.max()) + 1)
    cum = km.cumulative_at(ks)
    n_pat = _n_distinct_at_risk(dur, pat, ks)
    method = f"{km.method_}; n = {units} at risk at session k"
    rows = [
        {Col.CONDITION: name, Col.MEASURE: measure, SESSION: int(k), Col.ESTIMATE: float(e),
         Col.CI_LOW: float(lo), Col.CI_HIGH: float(hi), Col.N: int(n), Col.N_PATIENTS: int(p),
         Col.METHOD: method}
        for k, e, lo, hi, n, p in zip(ks, cum["cumulative"], cum["ci_low"], cum["ci_high"],
                                      cum["n_at_risk"], n_pat, strict=True)
    ]
    med = {**median, **estimate_dict(km.median())}
    kmt = km.to_frame()
    kmt.insert(0, Col.CONDITION, name)
    kmt[Col.METHOD] = km.method_
    ik = ks.astype(np.int64)
    events = np.bincount(dur[obs].astype(np.int64), minlength=ik[-1] + 1)[ik]
    censored = np.bincount(dur[~obs].astype(np.int64), minlength=ik[-1] + 1)[ik]
    counts = pd.DataFrame({SESSION: ik, "n_at_risk": km.at_risk(ks), "n_reached": events,
                           "n_censored": censored})
    return rows, med, kmt, counts


# --------------------------------------------------------------------------- the analysis
def dose_response(
    courses,
    *,
    condition=None,
    min_sessions: int | None = None,
    band: str = "major",
    max_sessions: int | None = None,
) -> DoseResponse:
    """Improvement after each session, gain of each extra session, and sessions to a band.

    Parameters
    ----------
    courses : Courses
        From :func:`outcomes.build_courses`. Not modified.
    condition : str or list of str, optional
        Conditions to analyse (default: every condition with courses). When more than one is
        analysed, an ``all`` group pools them.
    min_sessions : int, optional
        Completers view: keep only courses that completed at least this many sessions (their
        curves are not shaped by courses dropping out before ``min_sessions``).
    band : str, default "major"
        The band of the sessions-to-band curve (a band of ``courses.bands``).
    max_sessions : int, optional
        Report sessions k up to this number only (default: up to the longest course).

    Returns
    -------
    DoseResponse
        ``.table``: one row per (condition, measure, after_session), conditions in vocabulary
        order then ``all``; columns:

        condition : str
            A condition, or ``"all"`` (the selected conditions pooled).
        measure : str
            - ``improvement``: mean improvement after session k (the assessment after session
              k; after the last session K, the end-of-treatment assessment) over courses
              assessed there;
            - ``gain``: mean within-course gain of session k,
              ``improvement(k) - improvement(k-1)`` with ``improvement(0) = 0``, over courses
              assessed after both k - 1 and k;
            - ``reached_<band>_by`` (e.g. ``reached_major_by``): Kaplan-Meier share of
              courses whose improvement had reached the band by session k, ``1 - S(k)``;
            - ``median_sessions_to_<band>``: Kaplan-Meier median number of sessions until the
              band (``after_session`` is missing on this row).
        after_session : Int64
            Session number k (1 = after the first session).
        estimate : float
            The mean, the share or the median number of sessions. For the share, NaN after
            the last session at which some course is still followed.
        ci_low, ci_high : float
            95% interval clustered by patient: CR2 t interval for means, log-log
            cluster-robust (infinitesimal-jackknife) pointwise interval for the Kaplan-Meier
            share, Brookmeyer-Crowley for the median (``ci_high`` may be ``inf``: not closed
            within the follow-up). NaN when the data cannot give one (``method`` says why).
        n : int
            Courses the estimate rests on: courses assessed after session k (``improvement``),
            courses assessed after k - 1 and k (``gain``), courses still at risk at k, i.e.
            without the band before k and assessed after k or later (``reached_<band>_by``),
            all courses of the curve (median).
        n_patients : int
            Distinct patients behind those courses.
        method : str
            The interval method in words, with courses and patients.

        ``.extra["at_risk"]``: for each condition and session k: ``n_courses`` (courses with at
        least k sessions), ``n_assessed`` (courses with an improvement after session k),
        ``n_at_risk`` (Kaplan-Meier risk set at k), ``n_reached`` (courses first reaching the
        band at k), ``n_censored`` (courses whose last assessment, without the band, is after
        session k).

        ``.extra["km"]``: the Kaplan-Meier table of each condition: ``condition``, then the
        columns of :attr:`outcomes.stats.survival.KMResult.table_` (``time`` = session count), then
        ``method``.

    Raises
    ------
    AnalysisError
        If ``courses`` is not a Courses, a condition has no courses,
        ``band`` is not a band of ``courses``, or ``min_sessions``/``max_sessions`` is not a
        whole number >= 1.

    Notes
    -----
    Improvement of course i after session k is ``y_ik``; the mean over the ``N_k`` courses
    assessed there, from ``G_k`` patients, has the CR2 variance
    ``sum_g (sum_{i in g} (y_ik - ybar_k))^2 / (N_k^2 (1 - n_g/N_k))`` and a t interval on its
    Bell-McCaffrey degrees of freedom (:func:`outcomes.stats.intervals.mean`). The gain is the same
    mean of ``y_ik - y_i,k-1``: a paired, within-course difference, so it is not the
    difference of the two curves when different courses are assessed at k - 1 and k.

    Sessions to the band: each course's duration is the first k whose improvement reaches the
    band (event) or, failing that, its last assessed k (censored);
    ``S(k) = prod_{j <= k} (1 - d_j / n_j)`` with ``n_j`` courses at risk and ``d_j`` reaching
    the band at j. Intervals use the cluster-robust variance of :func:`outcomes.stats.survival.
    kaplan_meier` (Greenwood when every patient has one course).

    Examples
    --------
    >>> from outcomes import build_courses, dose_response, load_sample
    >>> courses = build_courses(load_sample())
    >>> dr = dose_response(courses)
    >>> dr.medians()[["condition", "estimate", "ci_low", "ci_high"]].head(3)
            condition  estimate  ci_low  ci_high
    0      acne_scars       5.0     3.0      6.0
    1  surgical_scars       NaN     2.0      inf
    2        wrinkles      10.0     7.0      inf
    >>> ax = dr.plot(kind="sessions_to_band")
    >>> completers = dose_response(courses, min_sessions=4)
    >>> completers.notes.split(".")[0]
    'Completers view: courses with at least 4 sessions only'
    """
    check_courses(courses)
    min_sessions = _check_min_sessions(min_sessions)
    if max_sessions is not None:
        max_sessions = _check_min_sessions(max_sessions)
    if band not in courses.bands:
        raise AnalysisError(f"band must be one of the bands of the courses "
                            f"{list(courses.bands)}; got {band!r}.")
    c = courses.courses
    available = present_conditions(c[Col.CONDITION])
    selected = select_conditions(available, condition)
    order = {name: i for i, name in enumerate(available)}
    selected = sorted(dict.fromkeys(selected), key=order.__getitem__)
    units = "courses"

    # one patient code per patient, shared by every table
    codes = pd.Series(np.arange(len(c)), index=c[Col.COURSE_ID].to_numpy())
    patient_of_course = pd.factorize(c[Col.PATIENT_ID])[0]
    n_sessions_all = c[Col.N_SESSIONS].to_numpy()
    course_cond = condition_codes(c[Col.CONDITION], selected)
    keep_course = course_cond >= 0
    if min_sessions is not None:
        keep_course &= n_sessions_all >= min_sessions

    # improvement after session k and gains (dose is sorted by course, then k)
    d = courses.dose
    pos = codes.reindex(d[Col.COURSE_ID].to_numpy()).to_numpy()
    dk = d[Col.AFTER_SESSION].to_numpy(dtype=np.int64)
    imp = d[Col.IMPROVEMENT].to_numpy(dtype=float)
    has = ~np.isnan(imp)
    gain = np.full(imp.shape, np.nan)
    gain[has] = _gains(d[Col.COURSE_ID].to_numpy()[has], dk[has], imp[has])
    keep_dose = keep_course[pos]
    if max_sessions is not None:
        keep_dose &= dk <= max_sessions
    d_cond = course_cond[pos]
    d_pat = patient_of_course[pos]

    # sessions to the band
    sb = courses.sessions_to_band(band)
    sb_pos = codes.reindex(sb[Col.COURSE_ID].to_numpy()).to_numpy()
    keep_sb = keep_course[sb_pos]
    sb_cond = course_cond[sb_pos]
    sb_pat = patient_of_course[sb_pos]
    if max_sessions is not None:  # follow each course up to max_sessions at most
        dur = sb[Col.DURATION].to_numpy(dtype=float)
        beyond = dur > max_sessions
        sb = sb.assign(**{Col.DURATION: np.minimum(dur, max_sessions),
                          Col.OBSERVED: sb[Col.OBSERVED].to_numpy() & ~beyond})

    groups = [(name, course_cond == i, d_cond == i, sb_cond == i)
              for i, name in enumerate(selected)]
    if len(selected) != 1:  # several conditions pooled; or none (no course): rows saying so
        groups.append((ALL, np.ones(len(c), bool), np.ones(len(d), bool),
                       np.ones(len(sb), bool)))

    rows, medians, km_tables, at_risk = [], [], [], []
    for name, mc, md, ms in groups:
        md = md & keep_dose
        ms = ms & keep_sb
        mc = mc & keep_course
        improvement_rows = _by_session(imp[md], dk[md], d_pat[md], IMPROVEMENT, name, units)
        rows += improvement_rows
        # the gain of session 1 is improvement(1) - 0: the same rows, computed once
        rows += [{**r, Col.MEASURE: GAIN} for r in improvement_rows if r[SESSION] == 1]
        later = md & (dk > 1)
        rows += _by_session(gain[later], dk[later], d_pat[later], GAIN, name, units)
        km_rows, med, kmt, counts = _km_rows(sb, ms, sb_pat, name, band, units)
        rows += km_rows
        medians.append(med)
        if kmt is not None:
            km_tables.append(kmt)
        # courses with at least k sessions, and assessed after k
        last_k = int(n_sessions_all[mc].max()) if mc.any() else 0
        if md.any():
            last_k = max(last_k, int(dk[md].max()))
        if counts is not None:
            last_k = max(last_k, int(counts[SESSION].max()))
        if max_sessions is not None:
            last_k = min(last_k, max_sessions)
        ks = np.arange(1, last_k + 1)
        nsess = np.sort(n_sessions_all[mc])
        n_courses = nsess.size - np.searchsorted(nsess, ks, side="left")
        assessed = np.bincount(dk[md & has], minlength=last_k + 1)[1:last_k + 1]
        ar = pd.DataFrame({Col.CONDITION: name, SESSION: ks, "n_courses": n_courses,
                           "n_assessed": assessed})
        if counts is None:
            counts = pd.DataFrame({SESSION: ks, "n_at_risk": 0, "n_reached": 0,
                                   "n_censored": 0})
        ar = ar.merge(counts, on=SESSION, how="left").fillna(
            {"n_at_risk": 0, "n_reached": 0, "n_censored": 0})
        at_risk.append(ar)

    table = pd.DataFrame(rows + medians, columns=TABLE_COLUMNS)
    rank = {m: i for i, m in enumerate(
        [IMPROVEMENT, GAIN, reached_by_measure(band), median_measure(band)])}
    cond_rank = {name: i for i, (name, *_rest) in enumerate(groups)}
    table = table.astype({Col.CONDITION: "str", Col.MEASURE: "str", SESSION: "Int64",
                          Col.N: "int64", Col.N_PATIENTS: "int64", Col.METHOD: "str",
                          Col.ESTIMATE: float, Col.CI_LOW: float, Col.CI_HIGH: float})
    table = table.sort_values(
        [Col.CONDITION, Col.MEASURE, SESSION],
        key=lambda s: (s.map(cond_rank) if s.name == Col.CONDITION
                       else s.map(rank) if s.name == Col.MEASURE else s),
        kind="stable", na_position="last", ignore_index=True)
    at_risk_table = pd.concat(at_risk, ignore_index=True).astype(
        {Col.CONDITION: "str", SESSION: "int64", "n_courses": "int64", "n_assessed": "int64",
         "n_at_risk": "int64", "n_reached": "int64", "n_censored": "int64"})[AT_RISK_COLUMNS]
    km_table = (pd.concat(km_tables, ignore_index=True) if km_tables else
                pd.DataFrame(columns=[Col.CONDITION, *KM_COLUMNS, Col.METHOD]))

    threshold = float(courses.bands[band])
    view = (f"Completers view: courses with at least {min_sessions} sessions only. "
            if min_sessions else "")
    notes = (f"{view}Intervals are 95%, clustered by patient. Courses continuing to later "
             f"sessions are self-selected: read each point with its number of courses "
             f"(extra['at_risk']). The {band} band is an improvement >= {threshold:g}.")
    title = "Dose response: improvement by number of sessions"
    return DoseResponse(table=table, extra={"at_risk": at_risk_table, "km": km_table},
                        title=title, notes=notes, band=band, threshold=threshold,
                        min_sessions=min_sessions, bands=dict(courses.bands))
