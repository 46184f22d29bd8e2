"""Side effects by skin type: notable adverse events and PIH per course, Fitzpatrick I to VI.

One job: test "safe for all skin types" with the data. Per course (a patient's sessions for one
condition) the share with a notable adverse event and the share with post-inflammatory
hyperpigmentation (PIH), by Fitzpatrick type I…VI, by the groups I–III and IV–VI, and the risk
difference IV–VI minus I–III. The course's type, its ``notable`` and ``pih`` flags are those
of :mod:`outcomes.courses`; the intervals are those of :mod:`outcomes.stats.intervals`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._docs import FRAGMENTS, shared_doc
from ..bundle.schema import vocabulary
from ..courses import NO_EVENTS_TABLE, Courses, check_courses
from ..errors import AnalysisError
from . import intervals
from .result import Col, Result, compact_summary
from .rows import count_distinct, estimate_dict, estimate_row, no_interval_row

__all__ = ["SkinType", "skin_type", "LIGHT", "DARK", "UNKNOWN", "DIFFERENCE", "GROUPS",
           "SKIN_TYPE_COLUMNS"]

#: Label of Fitzpatrick types I–III pooled.
LIGHT = "I–III"
#: Label of Fitzpatrick types IV–VI pooled.
DARK = "IV–VI"
#: Label of courses whose Fitzpatrick type is not known.
UNKNOWN = "unknown"
#: Label of the risk-difference row.
DIFFERENCE = f"{DARK} minus {LIGHT}"
#: The two groups compared, with their types.
GROUPS = {LIGHT: ("I", "II", "III"), DARK: ("IV", "V", "VI")}

OUTCOME = "outcome"
GROUP = "group"
LEVEL = "level"
#: Columns of :attr:`SkinType.table`, in order.
SKIN_TYPE_COLUMNS = [OUTCOME, GROUP, LEVEL, Col.N_WITH_EVENT, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH,
                     Col.N, Col.N_PATIENTS, Col.METHOD]

_OUTCOME_WORDS = {Col.NOTABLE: "a notable adverse event", "pih": "PIH"}


@dataclass(frozen=True)
class SkinType(Result):
    """Notable adverse events and PIH per course by skin type; see :func:`skin_type`.

    Attributes
    ----------
    table : DataFrame
        Columns :data:`SKIN_TYPE_COLUMNS`; per outcome, rows for types I…VI, the groups
        I–III and IV–VI, unknown type, and the difference IV–VI minus I–III.
    """

    summary = compact_summary

    def difference(self, outcome: str = Col.NOTABLE) -> pd.Series:
        """The risk-difference row (IV–VI minus I–III) of ``outcome``."""
        t = self.table
        rows = t[(t[OUTCOME] == outcome) & (t[LEVEL] == "difference")]
        if rows.empty:
            raise AnalysisError(f"difference: no outcome {outcome!r}; outcomes are "
                                f"{sorted(set(t[OUTCOME]))}.")
        return rows.iloc[0]

    def plot(self, ax=None, *, outcome: str | None = None, threshold: float | None = None,
             **kwargs):
        """Forest plot of the risk by type and group, with the group difference.

        See :func:`outcomes.plots.safety.plot_skin_type`.
        """
        from ..plots.safety import plot_skin_type

        return plot_skin_type(self, ax=ax, outcome=outcome, threshold=threshold, **kwargs)


@shared_doc(**FRAGMENTS)
def skin_type(courses: Courses, *, outcomes=(Col.NOTABLE, "pih"),
              alpha: float = 0.05) -> SkinType:
    """Share of courses with a notable adverse event, and with PIH, by Fitzpatrick type.

    Parameters
    ----------
    {courses}
    outcomes : sequence of str, default ("notable", "pih")
        Boolean columns of ``courses.courses`` to report: ``notable`` (any notable adverse
        event in the course: moderate or severe, or PIH, hypopigmentation, infection or
        scarring) and ``pih`` (any PIH event).
    {alpha}

    Returns
    -------
    SkinType
        ``.table``, per outcome: one row for each type I…VI (present or not), for I–III,
        IV–VI, unknown type, and the difference; columns

        outcome : str
            ``notable`` or ``pih`` (or another column named in ``outcomes``).
        group : str
            ``I`` … ``VI``, ``I–III``, ``IV–VI``, ``unknown`` or ``IV–VI minus I–III``.
        level : {"type", "group", "unknown", "difference"}
            What the row is.
        n_with_event : int
            Courses with the outcome (for the difference: in both groups together).
        estimate : float
            Share of courses with the outcome; for the difference, share in IV–VI minus share
            in I–III. NaN with no course.
        ci_low, ci_high : float
            95% interval: Wilson with a patient-clustered effective n for shares; Newcombe's
            hybrid score interval built from those for the difference. NaN (``method`` says
            why) when no interval can be given.
        n : int
            Courses (for the difference: in both groups).
        n_patients : int
            Distinct patients behind them (the clusters).
        method : str
            The interval method in words, with courses and patients.

    Raises
    ------
    AnalysisError
        If ``courses`` is not a :class:`~outcomes.courses.Courses` or an outcome is
        not a column of ``courses.courses``.

    Notes
    -----
    A course's type is the first known type among its sessions. Courses of unknown type are
    counted on their own row and left out of both groups and of the difference.

    Shares: ``p = x / n`` with the Wilson interval for ``p n_eff`` of ``n_eff`` courses,
    ``n_eff = n / deff`` and ``deff`` the ratio of the patient-clustered (CR2) variance of
    ``p`` to ``p(1-p)/(n-1)`` (:func:`outcomes.stats.intervals.proportion`).

    Difference ``d = p_dark - p_light`` (Newcombe 1998, method 10, from the two Wilson
    intervals ``(l, u)``)::

        low  = d - sqrt((p_dark - l_dark)^2 + (u_light - p_light)^2)
        high = d + sqrt((u_dark - p_dark)^2 + (p_light - l_light)^2)

    with a correlation term when some patient has courses in both groups
    (:func:`outcomes.stats.intervals.proportion_difference`).

    Examples
    --------
    >>> from outcomes import build_courses, load_sample, skin_type
    >>> result = skin_type(build_courses(load_sample()))
    >>> d = result.difference("notable")
    >>> d["group"], d[["estimate", "ci_low", "ci_high"]].astype(float).round(3).tolist()
    ('IV–VI minus I–III', [0.123, 0.017, 0.226])
    >>> ax = result.plot(outcome="notable", threshold=0.05)
    """
    check_courses(courses)
    c = courses.courses
    if isinstance(outcomes, str):
        outcomes = (outcomes,)
    outcomes = tuple(outcomes)
    bad = [o for o in outcomes if o not in c.columns]
    if bad or not outcomes:
        raise AnalysisError(f"outcomes: {bad or list(outcomes)!r} are not course columns; use "
                            f"{Col.NOTABLE!r} and/or 'pih'.")
    type_names = vocabulary("fitzpatrick")
    code = pd.Categorical(c[Col.FITZPATRICK],
                          categories=type_names).codes  # 0..5, -1 unknown
    known = code >= 0
    patient = pd.factorize(c[Col.PATIENT_ID])[0]
    # 1 = IV–VI (dark), 0 = I–III (light), -1 unknown
    dark_codes = [type_names.index(t) for t in GROUPS[DARK]]
    group = np.where(known, np.isin(code, dark_codes).astype(np.int8), np.int8(-1))

    rows = []
    for outcome in outcomes:
        try:
            y = c[outcome].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise AnalysisError(f"outcomes: column {outcome!r} is not true/false.") from None
        if np.isnan(y).any():
            raise AnalysisError(f"outcomes: column {outcome!r} has missing values.")
        cells = [(t, "type", code == i) for i, t in enumerate(type_names)]
        cells += [(LIGHT, "group", group == 0), (DARK, "group", group == 1),
                  (UNKNOWN, "unknown", ~known)]
        for label, level, m in cells:
            if not courses.events_recorded:  # no event recorded is not no event
                row = no_interval_row(NO_EVENTS_TABLE, n=int(m.sum()),
                                      n_patients=count_distinct(patient[m]))
            else:
                row = estimate_row(intervals.proportion, np.mean, y[m], patient[m], "courses",
                                   alpha=alpha)
            if row[Col.N] == 0:
                row[Col.METHOD] = "no courses"
            rows.append({OUTCOME: outcome, GROUP: label, LEVEL: level,
                         Col.N_WITH_EVENT: int(y[m].sum()), **row})
        both = known
        difference = (_difference(y[both], group[both], patient[both], alpha)
                      if courses.events_recorded else
                      no_interval_row(NO_EVENTS_TABLE, n=int(both.sum()),
                                      n_patients=count_distinct(patient[both])))
        rows.append({OUTCOME: outcome, GROUP: DIFFERENCE, LEVEL: "difference",
                     Col.N_WITH_EVENT: int(y[both].sum()), **difference})
    table = pd.DataFrame(rows, columns=SKIN_TYPE_COLUMNS).astype(
        {OUTCOME: "str", GROUP: "str", LEVEL: "str", Col.N_WITH_EVENT: "int64", Col.N: "int64",
         Col.N_PATIENTS: "int64", Col.METHOD: "str"})
    n_unknown = int((~known).sum())
    words = " and ".join(_OUTCOME_WORDS.get(o, o) for o in outcomes)
    if not courses.events_recorded:
        words = f"{words} (none estimated: {NO_EVENTS_TABLE})"
    notes = (f"Share of courses with {words}, by Fitzpatrick type; 95% intervals clustered by "
             f"patient (Wilson with effective n; Newcombe for the difference {DIFFERENCE}). "
             f"{n_unknown} of {len(c)} courses have no known type and are counted apart.")
    return SkinType(table=table, title="Side effects by skin type (per course)", notes=notes)


def _difference(y: np.ndarray, dark: np.ndarray, patient: np.ndarray, alpha: float) -> dict:
    """Risk difference DARK minus LIGHT (``dark`` 1 or 0) as a dict of the tidy columns."""
    n = int(y.size)
    n_pat = count_distinct(patient)
    in_dark = dark == 1
    in_light = ~in_dark
    if not (in_dark.any() and in_light.any()):
        missing = DARK if not in_dark.any() else LIGHT
        return no_interval_row(f"no courses of types {missing}: no difference", n=n,
                               n_patients=n_pat)
    try:
        e = intervals.proportion_difference(y, in_dark, cluster=patient, alpha=alpha,
                                            levels=(True, False), unit_label="courses")
    except AnalysisError as exc:
        d = float(y[in_dark].mean() - y[in_light].mean())
        return no_interval_row(f"no interval: {exc}", n=n, n_patients=n_pat, estimate=d)
    # the groups were passed as True (IV–VI) / False (I–III): name them in the method
    method = (e.method.replace("True minus False", DIFFERENCE)
              .replace("True: ", f"{DARK}: ").replace("False: ", f"{LIGHT}: "))
    return {**estimate_dict(e), Col.METHOD: method}
