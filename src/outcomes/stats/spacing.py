"""Spacing between sessions: improvement per session and side-effect rate by spacing bin.

One job: show what the days since the previous session of a course go with. For every session
k >= 2 of a course, its spacing (days since session k - 1) is binned; per bin (and condition and
setting) this module reports

- the mean **improvement gain** of the session, ``improvement(k) - improvement(k-1)``, from the
  course's assessments after sessions k - 1 and k (:attr:`outcomes.courses.Courses.dose`: the
  assessment after session K is the end of treatment), and
- the **side-effect rate**: the share of those sessions with at least one adverse event (any, or
  notable, or another selection).

Sessions, spacing, improvement and events are those of :mod:`outcomes.courses`; the intervals
are those of :mod:`outcomes.stats.intervals`, clustered by patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._docs import FRAGMENTS, shared_doc
from ..courses import NO_EVENTS_TABLE, Courses, check_courses
from ..errors import AnalysisError
from . import intervals
from .grouping import (
    ANY,
    SPACING_BINS,
    as_names,
    cut,
    event_sets,
    group_slices,
    session_key,
    typed_keys,
)
from .result import Col, Result, compact_summary
from .rows import GroupedShares, estimate_row

__all__ = ["Spacing", "spacing", "GAIN", "RATE", "SPACING_COLUMNS"]

#: Measure: mean improvement gained by a session, improvement(k) - improvement(k-1).
GAIN = "improvement_gain"
#: Measure: share of sessions with at least one adverse event of the selection.
RATE = "side_effect_rate"
#: Columns of :attr:`Spacing.table` after ``spacing_bin`` and the ``by`` columns.
SPACING_COLUMNS = [Col.MEASURE, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH, Col.N, Col.N_PATIENTS,
                   Col.N_WITH_EVENT, Col.METHOD]


@dataclass(frozen=True)
class Spacing(Result):
    """Improvement gain and side-effect rate per spacing bin; see :func:`spacing`.

    Attributes
    ----------
    table : DataFrame
        ``spacing_bin``, the ``by`` columns, then :data:`SPACING_COLUMNS`.
    bins : tuple of int
        The inner bin edges (days).
    by : tuple of str
        The group columns besides ``spacing_bin``.
    events : str
        Label of the event selection of the side-effect rate.
    events_recorded : bool
        False when the bundle had no adverse-events table: no side-effect rate is given.
    """

    bins: tuple[int, ...] = SPACING_BINS
    by: tuple[str, ...] = ()
    events: str = ANY
    events_recorded: bool = True

    summary = compact_summary

    def plot(self, ax=None, *, measure: str = GAIN, **kwargs):
        """Heatmap of ``measure`` by spacing bin (columns) and group (rows), annotated with n.

        See :func:`outcomes.plots.safety.plot_spacing`.
        """
        from ..plots.safety import plot_spacing

        return plot_spacing(self, ax=ax, measure=measure, **kwargs)


def _gains(courses: Courses) -> pd.DataFrame:
    """``course_id``, ``session_number`` (k >= 2) and ``gain`` where k - 1 and k are assessed."""
    d = courses.dose
    course = d[Col.COURSE_ID].to_numpy()
    k = d[Col.AFTER_SESSION].to_numpy(dtype=np.int64)
    imp = d[Col.IMPROVEMENT].to_numpy(dtype=float)
    # dose is sorted by course then k; a gain needs the previous row to be k - 1 of the course
    prev_ok = np.r_[False, (course[1:] == course[:-1]) & (k[1:] == k[:-1] + 1)]
    prev_imp = np.r_[np.nan, imp[:-1]]
    keep = prev_ok & np.isfinite(imp) & np.isfinite(prev_imp) & (k >= 2)
    return pd.DataFrame({Col.COURSE_ID: course[keep], Col.SESSION_NUMBER: k[keep],
                         "gain": (imp - prev_imp)[keep]})


@shared_doc(**FRAGMENTS)
def spacing(
    courses: Courses,
    *,
    bins: Sequence[int] = SPACING_BINS,
    by=(Col.CONDITION, Col.SETTING),
    events=ANY,
    alpha: float = 0.05,
) -> Spacing:
    """Improvement per session and side-effect rate per session, by spacing bin.

    Parameters
    ----------
    {courses}
    bins : sequence of int, default (14, 21, 32, 46, 91)
        Inner edges (days) of the spacing bins ``< 14, 14–20, 21–31, 32–45, 46–90, > 90``; a
        bin includes its lower edge.
    by : str or sequence of str, default ("condition", "setting")
        Further group columns of ``courses.sessions`` (the session's own condition and
        setting); ``()`` pools them.
    events : str, sequence or mapping, default "any"
        The events counted by the side-effect rate, as one selection (see
        :func:`outcomes.stats.grouping.event_sets`): ``"any"``, ``"notable"``, an event
        type, or several pooled (``"bleeding+bruising"``).
    {alpha}

    Returns
    -------
    Spacing
        ``.table``: one row per spacing bin, group and measure that has at least one session,
        with columns

        spacing_bin : ordered categorical
            The bin of the session's spacing (days since the previous session of the course).
        <by columns> : the session's condition, setting...
        measure : {"improvement_gain", "side_effect_rate"}
            ``improvement_gain``: mean of ``improvement(k) - improvement(k-1)`` over sessions k
            whose course was assessed after both k - 1 and k. ``side_effect_rate``: share of
            sessions with at least one adverse event of ``events``.
        estimate : float
            The mean gain (share of the possible improvement) or the share of sessions.
        ci_low, ci_high : float
            95% interval clustered by patient: a t interval with the CR2 cluster-robust
            standard error and Bell-McCaffrey df for gains, Wilson with the cluster-adjusted
            effective n for rates; NaN when the group's sessions all come from one patient
            (``method`` says so).
        n : int
            Sessions the estimate rests on.
        n_patients : int
            Distinct patients behind them.
        n_with_event : Int64
            Sessions with an event (rates; missing for gains).
        method : str
            The interval method in words, with sessions and patients.

    Raises
    ------
    AnalysisError
        If ``courses`` is not a :class:`~outcomes.courses.Courses`, ``bins`` are not
        increasing whole days, a ``by`` column is not a session column, or ``events`` is not a
        single known selection.

    Notes
    -----
    The first session of a course has no spacing and is left out of both measures. A session
    k >= 2 gives a gain when the course has an improvement after session k - 1 and after k
    (``courses.dose``); the gain of the session is attributed to its own spacing (the wait
    before it). For gains ``y_i`` of N sessions from G patients with ``e_g`` the sum of
    ``y_i - ybar`` over patient g's ``n_g`` sessions::

        ybar +/- t_df sqrt(sum_g e_g^2 / (1 - n_g/N)) / N

    (CR2, ``df`` Bell-McCaffrey's; :func:`outcomes.stats.intervals.mean`, with its floor at 30
    patients or fewer).

    For rates, the Wilson interval with ``n_eff = n / deff``
    (:func:`outcomes.stats.intervals.proportion`).

    The bins show association, not the effect of spacing: patients, conditions and clinics that
    space sessions differently differ in other ways too.

    Examples
    --------
    >>> from outcomes import build_courses, load_sample, spacing
    >>> courses = build_courses(load_sample())
    >>> pooled = spacing(courses, by=())  # every condition and setting together
    >>> pooled.table[["spacing_bin", "measure", "estimate", "n"]].round(3).head(4)
      spacing_bin           measure  estimate    n
    0        < 14  improvement_gain     0.021  135
    1        < 14  side_effect_rate     0.773  304
    2       14–20  improvement_gain     0.052   38
    3       14–20  side_effect_rate     0.768   69
    >>> ax = spacing(courses).plot(measure="side_effect_rate")
    """
    check_courses(courses)
    by = tuple(b for b in as_names(by) if b != Col.SPACING_BIN)
    s = courses.sessions
    missing = [b for b in by if b not in s.columns]
    if missing:
        raise AnalysisError(f"by: {missing} are not columns of courses.sessions; use columns "
                            f"such as {Col.CONDITION!r}, {Col.SETTING!r}, {Col.DEVICE!r} or "
                            f"() to pool.")
    if isinstance(events, Sequence) and not isinstance(events, str):
        events = "+".join(map(str, events))
    sets = event_sets(events, courses.events, include_any=False)
    if len(sets) != 1:
        raise AnalysisError(f"events: the side-effect rate counts one selection; got "
                            f"{list(sets)}. Pool types with '+' or a list.")
    label, emask = next(iter(sets.items()))

    spaced = s[Col.SESSION_NUMBER].to_numpy() >= 2
    n_first = int((~spaced).sum())
    sub = s.loc[spaced, [Col.COURSE_ID, Col.PATIENT_ID, Col.SESSION_NUMBER, Col.SPACING_DAYS,
                         *by]]
    cols = [Col.SPACING_BIN, *by]
    units = pd.DataFrame({Col.SPACING_BIN: cut(sub[Col.SPACING_DAYS].to_numpy(dtype=float),
                                               bins, True, "bins"),
                          **{b: sub[b].array for b in by}})
    patient_all = pd.factorize(sub[Col.PATIENT_ID])[0]
    edges = tuple(int(x) for x in bins)

    # side-effect rate per session
    # improvement gain per session, joined to the session's spacing and groups
    gains = _gains(courses)
    sub_index = pd.Index(session_key(sub))
    pos = sub_index.get_indexer(session_key(gains))
    gains = gains[pos >= 0]
    gain_units = units.iloc[pos[pos >= 0]].reset_index(drop=True)
    gain_patient = patient_all[pos[pos >= 0]]
    had = np.zeros(len(sub))
    where = sub_index.get_indexer(session_key(courses.events)[emask])
    had[where[where >= 0]] = 1.0
    gain_values = gains["gain"].to_numpy()

    frames = []
    for measure, frame, values, patients in (
        (GAIN, gain_units, gain_values, gain_patient),
        (RATE, units, had, patient_all),
    ):
        if len(frame) == 0 or (measure == RATE and not courses.events_recorded):
            continue
        keys, group, order, bounds = group_slices(frame, cols)
        if measure == RATE:  # every group at once, as outcomes.stats.intervals.proportion
            rows = GroupedShares(group, len(keys), patients).rows(values, alpha, "sessions")
            n_with = np.bincount(group, weights=values, minlength=len(keys)).astype(np.int64)
            for row, x in zip(rows, n_with, strict=True):
                row[Col.N_WITH_EVENT] = int(x)
        else:  # means: outcomes.stats.intervals.mean group by group
            patient = patients[order]
            v = values[order]
            rows = []
            for j in range(len(keys)):
                a, b = bounds[j], bounds[j + 1]
                row = estimate_row(intervals.mean, np.mean, v[a:b], patient[a:b], "sessions",
                                   alpha=alpha)
                row[Col.N_WITH_EVENT] = pd.NA
                rows.append(row)
        body = pd.DataFrame(rows)
        body.insert(0, Col.MEASURE, measure)
        key_frame = typed_keys(keys, frame, len(keys), 1, cols)
        frames.append(pd.concat([key_frame, body], axis=1))
    if frames:
        table = pd.concat(frames, ignore_index=True)
        table = table[table[Col.SPACING_BIN].notna()]
        table = table.sort_values([*cols, Col.MEASURE], kind="stable", na_position="last")
    else:
        table = pd.DataFrame(columns=[*cols, *SPACING_COLUMNS])
    table = table[[*cols, *SPACING_COLUMNS]].reset_index(drop=True).astype(
        {Col.MEASURE: "str", Col.N: "int64", Col.N_PATIENTS: "int64", Col.N_WITH_EVENT: "Int64",
         Col.METHOD: "str"})
    table[Col.SPACING_BIN] = table[Col.SPACING_BIN].astype(units[Col.SPACING_BIN].dtype)
    notes = (f"Sessions 2 onwards by days since the previous session of the course "
             f"({n_first} first sessions have no spacing and are left out). Improvement gain: "
             f"improvement after session k minus after session k - 1 ({len(gain_values)} "
             f"sessions with both); side-effect rate: "
             + (f"share of sessions with at least one '{label}' event" if courses.events_recorded
                else f"none, {NO_EVENTS_TABLE}")
             + ". 95% intervals clustered by patient. Association, not effect.")
    return Spacing(table=table, title="Spacing between sessions", notes=notes, bins=edges,
                   by=by, events=label, events_recorded=courses.events_recorded)
