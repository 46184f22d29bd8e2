"""Provider monitoring as national clinical audits run it: the funnel plots and the risk-adjusted
CUSUM charts of a bundle, on one case-mix model.

:func:`monitoring` derives, once, whether a notable adverse event followed each session (the
``notable`` column of :attr:`outcomes.courses.Courses.events`), each session's case-mix risk
(:mod:`outcomes.audit.casemix`), and each course's expected final improvement and its provider
per dimension (clinic: the course's; operator and device: the one that gave most of its
sessions, the earliest on a tie), then runs :func:`outcomes.audit.funnel.funnel` and
:func:`outcomes.audit.cusum.cusum`. A bundle without an adverse-event table has no rate to
monitor: both results are empty and say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..courses import NO_EVENTS_TABLE, Courses
from ..stats.result import Col
from .casemix import course_expected, session_risk
from .cusum import CUSUM_COLUMNS, CUSUM_SIGNAL_COLUMNS, Cusum, cusum
from .funnel import FUNNEL_COLUMNS, FUNNEL_DIMENSIONS, Funnel, funnel
from .signals import _isin, patient_codes

__all__ = ["Monitoring", "monitoring"]

FINAL = "final_improvement"


@dataclass(frozen=True)
class Monitoring:
    """The funnel plots and CUSUM charts of one bundle.

    Attributes
    ----------
    funnel : Funnel
    cusum : Cusum
    """

    funnel: Funnel
    cusum: Cusum

    def summary(self) -> str:
        """The funnel's and the CUSUM's summaries."""
        return self.funnel.summary() + "\n" + self.cusum.summary()


def _course_providers(sessions: pd.DataFrame, courses: pd.DataFrame, dims) -> pd.DataFrame:
    out = courses[[Col.COURSE_ID, *[d for d in (Col.CLINIC_ID,) if d in courses.columns]]].copy()
    for dim in dims:
        if dim == Col.CLINIC_ID and dim in courses.columns or dim not in sessions.columns:
            continue
        s = sessions[[Col.COURSE_ID, dim]].dropna()
        if s.empty:
            out[dim] = pd.NA
            continue
        counts = s.astype({dim: "str"}).groupby([Col.COURSE_ID, dim], sort=False).size()
        counts = counts.reset_index(name="k").sort_values("k", ascending=False, kind="stable")
        modal = counts.drop_duplicates(Col.COURSE_ID).set_index(Col.COURSE_ID)[dim]
        out[dim] = out[Col.COURSE_ID].map(modal)
    return out


def monitoring(courses: Courses, *, method: str = "additive", min_groups: int = 10,
               odds_ratio: float = 2.0, false_alarm: float = 0.05, scope: str = "dimension",
               simulations: int = 1000,
               seed: int = 20001, funnel_dimensions=FUNNEL_DIMENSIONS,
               cusum_dimensions=(Col.CLINIC_ID, Col.OPERATOR_ID)) -> Monitoring:
    """Funnel plots and risk-adjusted CUSUM of a bundle's providers.

    Parameters
    ----------
    courses : Courses
        ``build_courses(log)``.
    method : {"additive", "multiplicative", "none"}
        Overdispersion correction of the funnel limits.
    min_groups : int
        Fewest providers with which an overdispersion is estimated.
    odds_ratio, false_alarm, scope, simulations, seed
        The CUSUM's settings (:func:`outcomes.audit.cusum.cusum`).
    funnel_dimensions, cusum_dimensions : sequence of str

    Returns
    -------
    Monitoring

    Examples
    --------
    >>> from outcomes import build_courses, load_sample
    >>> m = monitoring(build_courses(load_sample()), simulations=200)
    >>> a = m.funnel.alarms
    >>> sorted(a.loc[a["dimension"] == "clinic_id", "group"].unique())
    ['C05']
    """
    s = courses.sessions
    if not courses.events_recorded:
        note = f"No funnel plot or CUSUM can be computed: {NO_EVENTS_TABLE}."
        f = Funnel(pd.DataFrame({c: pd.Series(dtype=object) for c in FUNNEL_COLUMNS}),
                   notes=note)
        c = Cusum(pd.DataFrame({c: pd.Series(dtype=object) for c in CUSUM_COLUMNS}),
                  pd.DataFrame(columns=CUSUM_SIGNAL_COLUMNS), notes=note)
        return Monitoring(f, c)
    ev = courses.events
    y = _isin(s[Col.SESSION_ID], ev.loc[ev[Col.NOTABLE].to_numpy(dtype=bool), Col.SESSION_ID])
    codes = patient_codes(courses)
    patient = codes[s[Col.COURSE_ID].to_numpy().astype(np.int64)]
    risk = session_risk(s, y)
    c = courses.courses
    c = c[c[FINAL].notna()] if FINAL in c.columns else c.iloc[:0]
    course_table = None
    course_patient = None
    if len(c):
        fit, _ = course_expected(c, c[FINAL].to_numpy(float))
        course_table = _course_providers(s, c, funnel_dimensions)
        course_table[FINAL] = c[FINAL].to_numpy(float)
        course_table["expected"] = fit
        course_patient = codes[c[Col.COURSE_ID].to_numpy().astype(np.int64)]
    f = funnel(s, y, risk, patient, courses=course_table, course_patient=course_patient,
               dimensions=funnel_dimensions, method=method, min_groups=min_groups)
    cu = cusum(s, y, risk, dimensions=cusum_dimensions, odds_ratio=odds_ratio,
               false_alarm=false_alarm, scope=scope, simulations=simulations, seed=seed)
    return Monitoring(f, cu)
