"""Resolution of side effects: how fast adverse events resolve (Kaplan-Meier).

One job: per event selection and group, the Kaplan-Meier median time to resolution and the
shares resolved by given hours, with patient-clustered intervals; an event unresolved at last
contact is censored there. Resolution times (``duration``, ``observed``) are those of
:mod:`outcomes.courses`, the curves those of :func:`outcomes.stats.survival.kaplan_meier` and the
event selections those of :mod:`outcomes.stats.grouping`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..._docs import FRAGMENTS, shared_doc
from ...courses import NO_EVENTS_TABLE, Courses, check_courses
from ...errors import AnalysisError
from .. import survival
from ..grouping import ANY, as_names, event_sets, group_slices
from ..result import Col, Result, compact_summary
from ..rows import count_distinct, estimate_dict, no_interval_row

__all__ = ["Resolution", "resolution", "RESOLUTION_COLUMNS", "AT_RISK_COLUMNS",
           "CURVE_COLUMNS"]

HOURS = "hours"
N_RESOLVED = "n_resolved"
N_CENSORED = "n_censored"
N_AT_RISK = "n_at_risk"
MEDIAN = "median_hours"
RESOLVED_BY = "resolved_by"

#: Columns of :attr:`Resolution.table` after the group columns.
RESOLUTION_COLUMNS = [Col.EVENT, Col.MEASURE, HOURS, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH,
                      Col.N, Col.N_PATIENTS, N_RESOLVED, N_CENSORED, N_AT_RISK, Col.METHOD]
#: Columns of ``Resolution.extra["at_risk"]`` after the group columns.
AT_RISK_COLUMNS = [Col.EVENT, HOURS, N_AT_RISK, "n_resolved_by", "n_censored_by"]
#: Columns of ``Resolution.extra["curve"]`` after the group columns.
CURVE_COLUMNS = [Col.EVENT, "time", N_AT_RISK, "n_events", N_CENSORED, "survival", "se",
                 "ci_low", "ci_high"]


@dataclass(frozen=True)
class Resolution(Result):
    """Time to resolution of side effects (Kaplan-Meier); see :func:`resolution`.

    Attributes
    ----------
    table : DataFrame
        The group columns, then :data:`RESOLUTION_COLUMNS`.
    extra : dict of DataFrame
        ``"at_risk"``: events still unresolved and followed at 0 h and at each of ``hours``
        (group columns, then :data:`AT_RISK_COLUMNS`); ``"curve"``: each Kaplan-Meier curve in
        full (group columns, then :data:`CURVE_COLUMNS`).
    hours : tuple of float
        The horizons of the ``resolved_by`` rows.
    by : tuple of str
        The group columns besides ``event``.
    """

    hours: tuple[float, ...] = ()
    by: tuple[str, ...] = field(default_factory=tuple)

    summary = compact_summary

    def plot(self, ax=None, *, event=None, threshold: float | None = None,
             horizon: float | None = None, **kwargs):
        """Share resolved against hours, with intervals and at-risk counts under the axis.

        See :func:`outcomes.plots.safety.plot_resolution`.
        """
        from ...plots.safety import plot_resolution

        return plot_resolution(self, ax=ax, event=event, threshold=threshold, horizon=horizon,
                               **kwargs)


def _check_hours(hours) -> tuple[float, ...]:
    try:
        arr = np.atleast_1d(np.asarray(hours, dtype=float))
    except (TypeError, ValueError):
        raise AnalysisError(f"hours must be numbers of hours after the session; got "
                            f"{hours!r}.") from None
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise AnalysisError(f"hours must be one or more finite numbers >= 0; got {hours!r}.")
    return tuple(float(x) for x in np.unique(arr))


def _km_rows(dur, obs, patient, hours, alpha):
    """Median and resolved-by rows, at-risk rows and the curve of one group."""
    n = int(dur.size)
    n_res = int(obs.sum())
    counts = {Col.N: n, Col.N_PATIENTS: count_distinct(patient), N_RESOLVED: n_res,
              N_CENSORED: n - n_res}
    note = ""
    try:
        km = survival.kaplan_meier(dur, obs, cluster=patient, alpha=alpha, unit_label="events")
    except AnalysisError as exc:  # e.g. several events all of one patient
        km = survival.kaplan_meier(dur, obs, alpha=alpha, variance="greenwood",
                                   unit_label="events")
        note = f"no interval: {exc}"
    rows = []
    med = km.median()
    rows.append({Col.MEASURE: MEDIAN, HOURS: math.nan, **estimate_dict(med), **counts,
                 N_AT_RISK: math.nan})
    cum = km.cumulative_at(hours)
    for h, est, lo, hi, nar in zip(hours, cum["cumulative"], cum["ci_low"], cum["ci_high"],
                                   cum["n_at_risk"], strict=True):
        method = f"1 - S(t) at {h:g} h: {km.method_}"
        if not np.isfinite(est):
            method += "; not estimable beyond the last follow-up time"
        rows.append({Col.MEASURE: RESOLVED_BY, HOURS: h, Col.ESTIMATE: float(est),
                     Col.CI_LOW: float(lo), Col.CI_HIGH: float(hi), **counts,
                     N_AT_RISK: int(nar), Col.METHOD: method})
    if note:
        for r in rows:
            r[Col.CI_LOW] = r[Col.CI_HIGH] = math.nan
            r[Col.METHOD] = note
    t = km.table_
    times = np.asarray([0.0, *[h for h in hours if h != 0.0]])
    cum_ev = np.r_[0, np.cumsum(t["n_events"].to_numpy())]
    cum_ce = np.r_[0, np.cumsum(t["n_censored"].to_numpy())]
    k = np.searchsorted(t["time"].to_numpy(), times, side="right")
    at_risk = pd.DataFrame({HOURS: times, N_AT_RISK: km.at_risk(times),
                            "n_resolved_by": cum_ev[k], "n_censored_by": cum_ce[k]})
    curve = t.copy()
    if note:
        curve["ci_low"] = np.nan
        curve["ci_high"] = np.nan
    return rows, at_risk, curve


#: The dtypes of the result table's fixed columns.
_TABLE_TYPES = {Col.EVENT: "str", Col.MEASURE: "str", Col.N: "int64", Col.N_PATIENTS: "int64",
                N_RESOLVED: "int64", N_CENSORED: "int64", Col.METHOD: "str"}


def _no_estimate_rows(key: dict, label: str, hours: tuple[float, ...], reason: str) -> list[dict]:
    """The median and every ``resolved_by`` row of a group with nothing to time: no estimate,
    ``reason`` as the method."""
    return [{**key, Col.EVENT: label, Col.MEASURE: measure, HOURS: h, **no_interval_row(reason),
             N_RESOLVED: 0, N_CENSORED: 0, N_AT_RISK: math.nan}
            for measure, h in [(MEDIAN, math.nan), *[(RESOLVED_BY, h) for h in hours]]]


def _nothing_to_time(hours: tuple[float, ...], strata: list[str],
                     recorded: bool = True) -> Resolution:
    """The well-formed result of a bundle without accepted adverse events: one row per measure,
    no estimate, and the reason in ``method`` and ``notes`` (``recorded`` False: the bundle
    has no adverse-events table at all)."""
    reason = "no accepted adverse events" if recorded else NO_EVENTS_TABLE
    rows = _no_estimate_rows({c: None for c in strata}, ANY, hours, reason)
    table = pd.DataFrame(rows, columns=[*strata, *RESOLUTION_COLUMNS]).astype(_TABLE_TYPES)
    empty = {"at_risk": pd.DataFrame(columns=[*strata, *AT_RISK_COLUMNS]),
             "curve": pd.DataFrame(columns=[*strata, *CURVE_COLUMNS])}
    return Resolution(table=table, extra=empty, title="Time to resolution of side effects",
                      notes=("The bundle has no accepted adverse events to time (its "
                             "adverse-events table has no accepted row)." if recorded else
                             f"Nothing to time: {NO_EVENTS_TABLE}."),
                      hours=hours, by=tuple(strata))


@shared_doc(**FRAGMENTS)
def resolution(
    courses: Courses,
    *,
    events=None,
    by="event",
    hours: Sequence[float] = (24, 48, 72, 168),
    alpha: float = 0.05,
) -> Resolution:
    """Time to resolution of side effects: Kaplan-Meier median and shares resolved by hours.

    Parameters
    ----------
    {courses}
    events : None, str, sequence or mapping, optional
        Which events (see :func:`~outcomes.stats.grouping.event_sets`): by default every event
        type present, each on its own. ``"erythema+oedema+pain"`` or ``{"swelling and co.":
        ["erythema", "oedema", "pain"]}`` pools several types into one curve.
    by : str or sequence of str, default "event"
        ``"event"`` gives one curve per event selection; other columns of ``courses.events``
        (``"severity"``, ``"setting"``, ``"condition"``, ``"fitzpatrick"``...) split further.
        Without ``"event"`` every selected event is pooled into one curve per group.
    hours : sequence of float, default (24, 48, 72, 168)
        Horizons for the shares resolved.
    {alpha}

    Returns
    -------
    Resolution
        ``.table``: per group and event selection, one ``median_hours`` row and one
        ``resolved_by`` row per horizon, with columns

        <group columns> : the ``by`` columns other than ``event``;
        event : str
            The selection's label.
        measure : {"median_hours", "resolved_by"}
            Kaplan-Meier median time to resolution (hours after the session), or the share
            resolved by ``hours``.
        hours : float
            The horizon of a ``resolved_by`` row (NaN for the median).
        estimate, ci_low, ci_high : float
            The median with its Brookmeyer-Crowley interval (``ci_high`` is ``inf`` when the
            curve does not close it; the estimate NaN when fewer than half resolved within
            follow-up), or ``1 - S(hours)`` with its pointwise log-log interval (NaN beyond the
            last follow-up time).
        n : int
            Events in the curve.
        n_patients : int
            Distinct patients behind them (the clusters).
        n_resolved, n_censored : int
            Events resolved, and unresolved at last contact (censored there).
        n_at_risk : float
            Events still unresolved and followed at ``hours`` (NaN for the median).
        method : str
            The estimator and interval in words, with events and patients.

        ``.extra["at_risk"]``: group columns, ``event``, ``hours`` (0 and each horizon),
        ``n_at_risk``, ``n_resolved_by`` and ``n_censored_by`` (cumulative counts up to and
        including that hour). ``.extra["curve"]``: group columns, ``event`` and the full
        Kaplan-Meier table (``time``, ``n_at_risk``, ``n_events``, ``n_censored``,
        ``survival``, ``se``, ``ci_low``, ``ci_high``; intervals are for S, not 1 - S).

    Raises
    ------
    AnalysisError
        If ``courses`` is not a :class:`~outcomes.courses.Courses`, there are no adverse
        events, ``events`` names an unknown type, a ``by`` column does not exist, or ``hours``
        are not non-negative numbers.

    Notes
    -----
    The resolution time of an event is ``resolved_hours``; an event unresolved at
    ``last_contact_hours`` is censored there (``courses.events.duration`` and ``observed``).
    With ``n_j`` events unresolved and followed just before ``t_j`` and ``d_j`` resolving at
    it, ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)``, and the share resolved by H hours is
    ``1 - S(H)`` (an event resolving at exactly H counts as resolved by H). Its variance is
    the patient-clustered infinitesimal-jackknife (sandwich) variance ``sum_g U_g(t)^2`` when
    a patient has several events (Greenwood's otherwise), with a log-log pointwise interval;
    the median's interval inverts those pointwise intervals (Brookmeyer & Crowley 1982). See
    :func:`outcomes.stats.survival.kaplan_meier`. Censored events are never dropped nor counted as
    unresolved: they leave the risk set at their last contact.

    Examples
    --------
    >>> from outcomes import build_courses, load_sample, resolution
    >>> courses = build_courses(load_sample())
    >>> r = resolution(courses, events=["erythema", "erythema+oedema+pain"])
    >>> r.table[["event", "measure", "hours", "estimate", "n"]].round(3).head(3)
          event       measure  hours  estimate     n
    0  erythema  median_hours    NaN    25.000  1049
    1  erythema   resolved_by   24.0     0.490  1049
    2  erythema   resolved_by   48.0     0.911  1049
    >>> ax = r.plot(event="erythema", threshold=0.9, horizon=48)
    """
    check_courses(courses)
    hours = _check_hours(hours)
    by = as_names(by)
    ev = courses.events
    if len(ev) == 0:
        return _nothing_to_time(hours, [b for b in by if b != Col.EVENT],
                                courses.events_recorded)
    strata = [b for b in by if b != Col.EVENT]
    missing = [b for b in strata if b not in ev.columns]
    if missing:
        raise AnalysisError(f"by: {missing} are not columns of courses.events; use 'event' and "
                            f"columns such as {Col.SEVERITY!r}, {Col.SETTING!r}, "
                            f"{Col.CONDITION!r}, {Col.FITZPATRICK!r}.")
    sets = event_sets(events, ev, include_any=False)
    if Col.EVENT not in by:
        pooled = np.zeros(len(ev), dtype=bool)
        for m in sets.values():
            pooled |= m
        label = ANY if events is None else "+".join(sets)
        sets = {label: pooled}
    dur_all = ev[Col.DURATION].to_numpy(dtype=float)
    obs_all = ev[Col.OBSERVED].to_numpy(dtype=bool)
    patient_all = pd.factorize(ev[Col.PATIENT_ID])[0]
    timed = np.isfinite(dur_all)
    n_untimed = int((~timed).sum())
    keys, _, order, bounds = group_slices(ev, strata)

    rows, risk, curves = [], [], []
    for label, emask in sets.items():
        m_sorted = (emask & timed)[order]
        for j in range(len(keys)):
            idx = order[bounds[j]:bounds[j + 1]][m_sorted[bounds[j]:bounds[j + 1]]]
            key = {c: keys[c].iloc[j] for c in strata}
            if idx.size == 0:
                if len(keys) > 1:
                    continue
                rows.extend(_no_estimate_rows(key, label, hours, "no events"))
                continue
            r, a, c = _km_rows(dur_all[idx], obs_all[idx], patient_all[idx], hours, alpha)
            rows.extend({**key, Col.EVENT: label, **x} for x in r)
            for frame in (a, c):
                frame.insert(0, Col.EVENT, label)
                for col in reversed(strata):
                    frame.insert(0, col, key[col])
            risk.append(a)
            curves.append(c)

    table = pd.DataFrame(rows, columns=[*strata, *RESOLUTION_COLUMNS]).astype(_TABLE_TYPES)
    at_risk = (pd.concat(risk, ignore_index=True) if risk
               else pd.DataFrame(columns=[*strata, *AT_RISK_COLUMNS]))
    curve = (pd.concat(curves, ignore_index=True) if curves
             else pd.DataFrame(columns=[*strata, *CURVE_COLUMNS]))
    for frame in (table, at_risk, curve):
        for col in strata:
            if isinstance(ev[col].dtype, pd.CategoricalDtype):
                frame[col] = frame[col].astype(ev[col].dtype)
    notes = ("Kaplan-Meier estimates: an event unresolved at last contact is censored there. "
             "Intervals 95%, clustered by patient (infinitesimal-jackknife variance) when a "
             "patient has several events.")
    if n_untimed:
        notes += f" {n_untimed} events without a resolution or last-contact time left out."
    return Resolution(table=table, extra={"at_risk": at_risk, "curve": curve},
                      title="Time to resolution of side effects", notes=notes, hours=hours,
                      by=tuple(strata))
