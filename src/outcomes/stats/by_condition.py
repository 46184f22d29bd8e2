"""Outcomes by condition: courses, sessions, baseline, final improvement and bands reached.

One job: describe, per condition, what the courses of a bundle achieved, with patient-clustered
intervals (a patient may give several courses). The definitions of course, baseline, final
improvement and bands are those of :mod:`outcomes.courses`; this module only summarises them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._docs import FRAGMENTS, shared_doc
from ..courses import Courses, band_column, check_courses
from ..errors import AnalysisError
from . import intervals
from .result import Col, Result
from .rows import count_distinct, estimate_row, no_interval_row

__all__ = ["ByCondition", "outcomes_by_condition", "ALL", "TABLE_COLUMNS"]

#: Label of the row that pools every condition.
ALL = "all"
#: Columns of :attr:`ByCondition.table`, in order.
TABLE_COLUMNS = [Col.CONDITION, Col.MEASURE, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH, Col.N,
                 Col.N_PATIENTS, Col.METHOD]
#: Columns of the ``baseline`` extra table, in order.
BASELINE_COLUMNS = [Col.CONDITION, Col.SCALE, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH, Col.N,
                    Col.N_PATIENTS, Col.METHOD]
FINAL = "final_improvement"


def reached_measure(band: str) -> str:
    """Name of the measure "share of courses whose final improvement reached ``band``"."""
    return f"reached_{band}"


# --------------------------------------------------------------------------- shared helpers
def mean_row(y, cluster, units="courses") -> dict:
    """Clustered mean (:func:`outcomes.stats.intervals.mean`) as a tidy row."""
    return estimate_row(intervals.mean, np.mean, y, cluster, units)


def median_row(y, cluster, units="courses") -> dict:
    """Clustered median (:func:`outcomes.stats.intervals.median`, Woodruff) as a tidy row."""
    return estimate_row(intervals.median, np.median, y, cluster, units)


def proportion_row(y, cluster, units="courses") -> dict:
    """Clustered share (:func:`outcomes.stats.intervals.proportion`) as a tidy row."""
    return estimate_row(intervals.proportion, np.mean, y.astype(float), cluster, units)


def count_row(n_units: int, value: int, n_patients: int, what: str) -> dict:
    """An exact count (no interval)."""
    return no_interval_row(f"count of {what}", n=n_units, n_patients=n_patients,
                           estimate=float(value))


def present_conditions(conditions: pd.Series) -> list[str]:
    """Conditions present in ``conditions``, in vocabulary order (categorical) or sorted."""
    if isinstance(conditions.dtype, pd.CategoricalDtype):
        present = set(conditions.dropna().astype(str).unique())
        return [str(c) for c in conditions.cat.categories if str(c) in present]
    return sorted(conditions.dropna().astype(str).unique())


def condition_codes(conditions: pd.Series, names: list[str]) -> np.ndarray:
    """Position of each row's condition in ``names`` (-1 when not there), as int64."""
    if isinstance(conditions.dtype, pd.CategoricalDtype):
        cats = [str(x) for x in conditions.cat.categories]
        lookup = np.array([names.index(x) if x in names else -1 for x in cats] + [-1])
        return lookup[conditions.cat.codes.to_numpy()].astype(np.int64)
    codes, uniques = pd.factorize(conditions.astype(str))
    lookup = np.array([names.index(x) if x in names else -1 for x in uniques] + [-1])
    return lookup[codes].astype(np.int64)


def select_conditions(available: list[str], condition) -> list[str]:
    """Validate ``condition`` (None, a name or a list of names) against ``available``."""
    if condition is None:
        return list(available)
    wanted = [condition] if isinstance(condition, str) else list(condition)
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise AnalysisError(f"condition: {unknown} have no courses in these data; conditions "
                            f"with courses are {available}.")
    if not wanted:
        raise AnalysisError("condition: an empty list selects nothing; pass None for all.")
    return wanted


def no_final_reason(courses: Courses, m: np.ndarray) -> str:
    """Why none of the courses ``m`` (a mask of ``courses.courses``) has a final improvement."""
    if "assessments" in courses.missing_tables:
        return "no course with a final improvement: the bundle has no assessments table"
    c = courses.courses
    assessed = c[Col.COURSE_ID].isin(courses.points[Col.COURSE_ID]).to_numpy() & m
    if not assessed.any():
        return "no course with a final improvement: no course has an assessment"
    if not (m & c[Col.BASELINE].notna().to_numpy()).any():
        return ("no course with a final improvement: no course has a baseline assessment "
                "(on or before its first session) or a change-scale score")
    return ("no course with a final improvement: no assessment after a baseline, or every "
            "baseline already at its scale's best (no room to improve)")


def check_bands(bands) -> dict[str, float]:
    """Validate a ``{name: threshold}`` mapping of improvement bands."""
    if not isinstance(bands, dict) or not bands:
        raise AnalysisError(f"bands must be a non-empty dict {{name: lowest improvement}}, e.g. "
                            f"{{'major': 0.5}}; got {bands!r}.")
    out = {}
    for name, value in bands.items():
        try:
            out[str(name)] = float(value)
        except (TypeError, ValueError):
            raise AnalysisError(f"bands[{name!r}] must be a number; got {value!r}.") from None
        if not math.isfinite(out[str(name)]):
            raise AnalysisError(f"bands[{name!r}] must be finite; got {value!r}.")
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


def _format(est: float, low: float, high: float, count: bool) -> str:
    if math.isnan(est):
        return "-"
    if count:
        return f"{est:.0f}"
    text = f"{est:.3g}"
    if not (math.isnan(low) or math.isnan(high)):
        text += f" ({low:.3g} to {high:.3g})"
    return text


def wide_table(table: pd.DataFrame, index: list[str], measures: list[str]) -> pd.DataFrame:
    """Estimates with intervals as text, one row per ``index`` and one column per measure."""
    t = table[table[Col.MEASURE].isin(measures)]
    counts = t[Col.METHOD].str.startswith("count of").to_numpy()
    text = [_format(e, lo, hi, c) for e, lo, hi, c in zip(
        t[Col.ESTIMATE], t[Col.CI_LOW], t[Col.CI_HIGH], counts, strict=True)]
    w = t.assign(_text=text).pivot(index=index, columns=Col.MEASURE, values="_text")
    order = list(dict.fromkeys(t[index[0]]))
    w = w.reindex(columns=[m for m in measures if m in w.columns])
    if len(index) == 1:
        w = w.reindex(order)
    w.columns.name = None
    return w.reset_index()


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class ByCondition(Result):
    """Outcomes of courses per condition; see :func:`outcomes_by_condition`.

    Attributes
    ----------
    table : DataFrame
        One row per (condition, measure); columns in :data:`TABLE_COLUMNS`.
    extra : dict of DataFrame
        ``"baseline"``: mean baseline score per (condition, primary scale).
    bands : dict
        The improvement bands used (name -> lowest improvement).
    """

    bands: dict[str, float] = field(default_factory=dict)

    def measures(self) -> list[str]:
        """The measures of :attr:`table`, in order."""
        return list(dict.fromkeys(self.table[Col.MEASURE]))

    def wide(self) -> pd.DataFrame:
        """One row per condition, one text column per measure: ``estimate (ci_low to ci_high)``."""
        return wide_table(self.table, [Col.CONDITION], self.measures())

    def summary(self) -> str:
        """Plain text: the wide table, the baselines per scale, and the methods used."""
        with pd.option_context("display.width", 160, "display.max_columns", 30):
            body = self.wide().to_string(index=False)
            base = self.extra["baseline"]
            base_text = wide_table(base.assign(**{Col.MEASURE: "baseline"}),
                                   [Col.CONDITION, Col.SCALE], ["baseline"]).to_string(index=False)
        t = self.table[~self.table[Col.METHOD].str.startswith("count of")]
        methods = sorted(set(t[Col.METHOD].str.replace(r" \([^()]*\)$", "", regex=True)))
        lines = [self.title, body, "", "Baseline score per primary scale (mean, 95% CI):",
                 base_text, "", "Methods: " + "; ".join(methods), self.notes]
        return "\n".join(x for x in lines if x is not None)

    def plot(self, ax=None, measure: str = "final_improvement_mean", **kwargs):
        """Dot-and-interval plot per condition with the band thresholds drawn.

        See :func:`outcomes.plots.outcomes.plot_by_condition`.
        """
        from ..plots.outcomes import plot_by_condition

        return plot_by_condition(self, ax=ax, measure=measure, **kwargs)


# --------------------------------------------------------------------------- the analysis
@shared_doc(**FRAGMENTS)
def outcomes_by_condition(courses: Courses, *,
                          bands: dict[str, float] | None = None) -> ByCondition:
    """Courses, sessions, final improvement and bands reached, per condition and overall.

    Parameters
    ----------
    {courses}
    bands : dict, optional
        Improvement bands ``{name: lowest improvement}``; default the bands of ``courses``
        (visible 0.10, considerable 0.25, major 0.50 unless configured otherwise).

    Returns
    -------
    ByCondition
        ``.table``, one row per (condition, measure), conditions in vocabulary order then
        ``all`` (every course pooled), with columns:

        condition : str
            A condition with at least one course, or ``"all"``.
        measure : str
            One of

            - ``n_courses``: number of courses (exact count, no interval);
            - ``n_patients``: number of distinct patients (exact count);
            - ``n_with_baseline``: courses with a baseline (exact count);
            - ``n_with_final``: courses with a final improvement (exact count);
            - ``sessions_mean``: mean sessions per course (K);
            - ``sessions_median``: median sessions per course;
            - ``final_improvement_mean``: mean final improvement (share of the possible
              improvement achieved, 1 = best score reached) over courses with one;
            - ``final_improvement_median``: its median;
            - ``reached_<band>`` for each band (e.g. ``reached_visible``, ``reached_considerable``,
              ``reached_major``): share of courses with a final improvement at or above the
              band's threshold, among courses with a final improvement.
        estimate : float
            The count, mean, median or share.
        ci_low, ci_high : float
            95% interval, clustered by patient; NaN for counts and where no interval can be
            computed (fewer than 2 courses or all from one patient: ``method`` says so).
            A median's bound may be ``-inf``/``inf`` when too few courses bound it.
        n : int
            Courses the estimate rests on (all courses of the condition for counts and
            sessions; courses with a final improvement for improvement and bands).
        n_patients : int
            Distinct patients behind those courses (the clusters of the interval).
        method : str
            The interval method in words with the courses and patients it rests on.

        ``.extra["baseline"]``: the mean baseline score per (condition, primary scale), with
        columns ``condition, scale, estimate, ci_low, ci_high, n, n_patients, method`` (scores
        on different scales are never pooled; there is no ``all`` row).

    Raises
    ------
    AnalysisError
        If ``courses`` is not a :class:`~outcomes.courses.Courses`, or a band
        threshold is not a number.

    Notes
    -----
    With ``y_i`` a course's value, ``N`` courses from ``G`` patients, and ``e_g`` the sum of
    ``y_i - ybar`` over patient g's courses:

    - means: ``ybar +/- t_df sqrt(sum_g e_g^2 / (1 - n_g/N)) / N`` (CR2 sandwich on
      Bell-McCaffrey df, as R's clubSandwich; :func:`outcomes.stats.intervals.mean`);
    - shares: Wilson interval with the effective sample size ``N / deff`` where
      ``deff = V_cluster / V_independent`` (:func:`outcomes.stats.intervals.proportion`);
    - medians: Woodruff's interval, the cluster-adjusted interval of the share of courses at or
      below the median mapped back through the empirical distribution.

    A course reached a band when its final improvement (follow-up, else end of treatment, else
    the latest after any session) is at least the band's threshold.

    Examples
    --------
    >>> from outcomes import build_courses, load_sample, outcomes_by_condition
    >>> result = outcomes_by_condition(build_courses(load_sample()))
    >>> result.wide()[["condition", "n_courses", "final_improvement_mean"]].head(3)
            condition n_courses  final_improvement_mean
    0      acne_scars        98  0.482 (0.432 to 0.531)
    1  surgical_scars        13  0.286 (0.166 to 0.406)
    2        wrinkles        75   0.29 (0.258 to 0.323)
    >>> ax = result.plot()
    """
    check_courses(courses)
    bands = check_bands(dict(courses.bands) if bands is None else bands)
    c = courses.courses
    cond = c[Col.CONDITION]
    conditions = present_conditions(cond)
    cond_code = condition_codes(cond, conditions)
    patient = pd.factorize(c[Col.PATIENT_ID])[0]
    n_sessions = c[Col.N_SESSIONS].to_numpy(dtype=float)
    final = c[FINAL].to_numpy(dtype=float)
    baseline = c[Col.BASELINE].to_numpy(dtype=float)
    reached = {}
    for name, threshold in bands.items():
        column = band_column(name)
        if column in c and courses.bands.get(name) == threshold:
            reached[name] = c[column].to_numpy(dtype=float, na_value=np.nan)
        else:  # a band of the caller's: the same rule on the final improvement
            reached[name] = np.where(np.isnan(final), np.nan, final >= threshold)

    groups = [(name, cond_code == i) for i, name in enumerate(conditions)]
    groups.append((ALL, np.ones(len(c), dtype=bool)))
    rows = []
    for name, m in groups:
        pat = patient[m]
        has_final = m & ~np.isnan(final)
        fp = patient[has_final]
        n = int(m.sum())
        n_pat = count_distinct(pat)
        measures = {
            "n_courses": count_row(n, n, n_pat, "courses"),
            "n_patients": count_row(n, n_pat, n_pat, "distinct patients"),
            "n_with_baseline": count_row(n, int((m & ~np.isnan(baseline)).sum()), n_pat,
                                         "courses with a baseline"),
            "n_with_final": count_row(n, int(has_final.sum()), n_pat,
                                      "courses with a final improvement"),
            "sessions_mean": mean_row(n_sessions[m], pat),
            "sessions_median": median_row(n_sessions[m], pat),
            "final_improvement_mean": mean_row(final[has_final], fp),
            "final_improvement_median": median_row(final[has_final], fp),
        }
        for band, values in reached.items():
            measures[reached_measure(band)] = proportion_row(values[has_final], fp)
        if n and not has_final.any():  # say why, rather than "no courses"
            why = no_final_reason(courses, m)
            for measure in ("final_improvement_mean", "final_improvement_median",
                            *map(reached_measure, reached)):
                measures[measure][Col.METHOD] = why
        for measure, row in measures.items():
            rows.append({Col.CONDITION: name, Col.MEASURE: measure, **row})
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    table = table.astype({Col.CONDITION: "str", Col.MEASURE: "str", Col.N: "int64",
                          Col.N_PATIENTS: "int64", Col.METHOD: "str"})

    base_rows = []
    has_base = np.flatnonzero(~np.isnan(baseline) & (cond_code >= 0))
    scale_code, scales = pd.factorize(c[Col.SCALE].to_numpy()[has_base], sort=True)
    # one cell per (condition, scale) with a baseline, conditions in order, scales sorted
    cell = cond_code[has_base] * (len(scales) + 1) + scale_code
    order = np.argsort(cell, kind="stable")
    cells, starts = np.unique(cell[order], return_index=True)
    pieces = np.split(order, starts[1:]) if cells.size else []
    for value, idx in zip(cells, pieces, strict=True):
        rows_at = has_base[idx]
        name = conditions[value // (len(scales) + 1)]
        base_rows.append({Col.CONDITION: name, Col.SCALE: str(scales[value % (len(scales) + 1)]),
                          **mean_row(baseline[rows_at], patient[rows_at])})
    base = pd.DataFrame(base_rows, columns=BASELINE_COLUMNS).astype(
        {Col.CONDITION: "str", Col.SCALE: "str", Col.N: "int64", Col.N_PATIENTS: "int64",
         Col.METHOD: "str"})

    notes = ("Intervals are 95%, clustered by patient. Improvement is the share of the possible "
             "improvement achieved; bands: "
             + ", ".join(f"{k} >= {v:g}" for k, v in bands.items()) + ".")
    return ByCondition(table=table, extra={"baseline": base},
                       title="Outcomes by condition", notes=notes, bands=bands)
