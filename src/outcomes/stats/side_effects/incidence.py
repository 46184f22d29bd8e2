"""Incidence of side effects: the share of sessions (or courses) with at least one adverse event.

One job: per event selection and group (setting, needle depth, spacing, severity...), the share of
units with an event, with a patient-clustered Wilson interval for every group at once. Courses,
sessions, spacing and the notable flag are those of :mod:`outcomes.courses`; the groups and event
selections those of :mod:`outcomes.stats.grouping`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._docs import FRAGMENTS, shared_doc
from ...bundle.schema import vocabulary
from ...courses import NO_EVENTS_TABLE, Courses, check_courses
from ...errors import AnalysisError
from ..grouping import (
    DEPTH_BIN,
    DEPTH_BINS,
    SPACING_BINS,
    as_names,
    cut,
    event_sets,
    group_slices,
    session_key,
    typed_keys,
)
from ..result import Col, Result, compact_summary
from ..rows import GroupedShares

__all__ = ["Incidence", "incidence", "INCIDENCE_COLUMNS"]

#: Adverse-event rows of the selection in a group's units.
N_EVENTS = "n_events"
#: Columns of :attr:`Incidence.table` after the group columns.
INCIDENCE_COLUMNS = [Col.EVENT, N_EVENTS, Col.N_WITH_EVENT, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH,
                     Col.N, Col.N_PATIENTS, Col.METHOD]

# by-names that are binned versions of a numeric session column: alias -> source column
_BINNED = {
    DEPTH_BIN: Col.NEEDLE_DEPTH_MM,
    Col.NEEDLE_DEPTH_MM: Col.NEEDLE_DEPTH_MM,
    Col.SPACING_BIN: Col.SPACING_DAYS,
    Col.SPACING_DAYS: Col.SPACING_DAYS,
}
# strata that belong to the event rather than to the session or course
_EVENT_SIDE = (Col.SEVERITY,)


@dataclass(frozen=True)
class Incidence(Result):
    """Incidence of adverse events per session or per course; see :func:`incidence`.

    Attributes
    ----------
    table : DataFrame
        One row per (group..., [severity,] event); the group columns, then
        :data:`INCIDENCE_COLUMNS`.
    per : {"session", "course"}
        The unit of the denominator.
    by : tuple of str
        The group columns (as in the table).
    """

    per: str = "session"
    by: tuple[str, ...] = ()

    summary = compact_summary

    def plot(self, ax=None, **kwargs):
        """Dot-and-interval plot of the incidence per event (and group).

        See :func:`outcomes.plots.safety.plot_incidence`.
        """
        from ...plots.safety import plot_incidence

        return plot_incidence(self, ax=ax, **kwargs)


def _session_column(sessions: pd.DataFrame, b: str, depth_bins, spacing_bins):
    """Name and values of the group column ``b`` of the sessions (binned where ``b`` asks)."""
    source = _BINNED.get(b)
    if source == Col.NEEDLE_DEPTH_MM:
        return DEPTH_BIN, cut(sessions[source].to_numpy(dtype=float, na_value=np.nan),
                              depth_bins, False, "depth_bins")
    if source == Col.SPACING_DAYS:
        return Col.SPACING_BIN, cut(sessions[source].to_numpy(dtype=float, na_value=np.nan),
                                    spacing_bins, True, "spacing_bins")
    if b in sessions.columns:
        return b, sessions[b].array
    raise AnalysisError(
        f"by: {b!r} is not a session column; use {Col.SEVERITY!r}, "
        f"{DEPTH_BIN!r} (needle depth, binned), {Col.SPACING_BIN!r} (binned), "
        f"{Col.SESSION_NUMBER!r} or a column of courses.sessions such as "
        f"{Col.SETTING!r}, {Col.CONDITION!r}, {Col.FITZPATRICK!r}.")


def _course_column(courses: Courses, b: str):
    """Name and values of the group column ``b`` of the courses."""
    if b in courses.courses.columns:
        return b, courses.courses[b].array
    session_level = b in _BINNED or b in courses.sessions.columns
    hint = (" is a session attribute: use per='session' to group by it"
            if session_level else " is not a course column")
    raise AnalysisError(f"by: {b!r}{hint}; per='course' groups by columns of "
                        f"courses.courses such as {Col.CONDITION!r}, "
                        f"{Col.SETTING!r}, {Col.FITZPATRICK!r}, or "
                        f"{Col.SEVERITY!r}.")


def _units_frame(courses: Courses, per: str, by: tuple[str, ...], depth_bins, spacing_bins):
    """The unit table (sessions or courses) with the group columns; names of both sides."""
    src = courses.sessions if per == "session" else courses.courses
    data, event_cols, out_cols = {}, [], []
    for b in by:
        if b == Col.EVENT:
            continue
        if b in _EVENT_SIDE:
            event_cols.append(b)
            out_cols.append(b)
            continue
        name, values = (_session_column(src, b, depth_bins, spacing_bins) if per == "session"
                        else _course_column(courses, b))
        if name not in data:
            data[name] = values
            out_cols.append(name)
    units = pd.DataFrame(data, index=range(len(src)))
    if per == "session":
        unit_key, event_key = session_key(src), session_key(courses.events)
    else:
        unit_key = src[Col.COURSE_ID].to_numpy()
        event_key = courses.events[Col.COURSE_ID].to_numpy()
    pos = pd.Index(unit_key).get_indexer(event_key)
    patient = pd.factorize(src[Col.PATIENT_ID])[0]
    return units, patient, list(data), event_cols, out_cols, pos


@shared_doc(**FRAGMENTS)
def incidence(
    courses: Courses,
    *,
    by=(),
    per: str = "session",
    events=None,
    depth_bins: Sequence[float] = DEPTH_BINS,
    spacing_bins: Sequence[int] = SPACING_BINS,
    alpha: float = 0.05,
) -> Incidence:
    """Share of sessions (or courses) with at least one adverse event, by event type and group.

    Parameters
    ----------
    {courses}
    by : str or sequence of str, default ()
        Group columns. With ``per="session"``: ``"severity"`` (of the event), ``"setting"``,
        ``"depth_bin"`` (or ``"needle_depth_mm"``: needle depth binned by ``depth_bins``),
        ``"session_number"``, ``"spacing_bin"`` (or ``"spacing_days"``: binned by
        ``spacing_bins``), or any other column of ``courses.sessions`` (``"condition"``,
        ``"device"``, ``"fitzpatrick"``...). With ``per="course"``: ``"severity"`` or any column
        of ``courses.courses`` (``"condition"``, ``"setting"``, ``"fitzpatrick"``...).
        ``"event"`` is always a column and may be left out.
    per : {"session", "course"}, default "session"
        The unit: a session (or course) counts once when it has at least one event of the
        selection, whatever the number of such events.
    events : None, str, sequence or mapping, optional
        Which events (see :func:`~outcomes.stats.grouping.event_sets`): by default ``"any"``
        (any adverse event) and then every event type present, each separately.
        ``{"bleeding_or_bruising": ["bleeding", "bruising"]}`` pools types under one label;
        ``"notable"`` selects notable events.
    depth_bins : sequence of float, default (0.5, 1.0, 1.5, 2.0)
        Needle-depth bin edges in mm: ``< 0.5, 0.5–1.0, 1.0–1.5, 1.5–2.0, >= 2.0`` (lower end
        included).
    spacing_bins : sequence of int, default (14, 21, 32, 46, 91)
        Spacing bin edges in days: ``< 14, 14–20, 21–31, 32–45, 46–90, > 90``.
    {alpha}

    Returns
    -------
    Incidence
        ``.table``: one row per group, severity (when asked) and event selection, with columns

        <group columns> : as in ``by`` (binned columns named ``depth_bin`` and ``spacing_bin``,
            ordered categoricals; a missing value, e.g. unknown depth or the first session's
            spacing, forms its own group);
        event : str
            The event selection's label (``any``, an event type, or a label of ``events``).
        n_events : int
            Adverse-event rows of the selection in the group's units.
        n_with_event : int
            Units with at least one such event (the numerator).
        estimate : float
            ``n_with_event / n``.
        ci_low, ci_high : float
            95% Wilson interval with the patient-clustered effective sample size; NaN (and
            ``method`` says why) for a group whose several units all come from one patient.
        n : int
            Units in the group: every accepted session (course) of it, with or without an
            event (a session with no event row had none).
        n_patients : int
            Distinct patients behind those units (the clusters).
        method : str
            The interval method in words, with units and patients.

    Raises
    ------
    AnalysisError
        If ``courses`` is not a :class:`~outcomes.courses.Courses`, ``per`` is not
        ``"session"`` or ``"course"``, a ``by`` column does not exist for that unit, bin edges
        are not increasing, or ``events`` names an unknown type.

    Notes
    -----
    For a group with units i = 1..n from patients g = 1..G, ``y_i = 1`` when unit i had at
    least one event of the selection (and of the severity, when grouped by it)::

        p = sum_i y_i / n
        V = G/(G-1) * sum_g (Y_g - p n_g)^2 / n^2          (Y_g, n_g: patient g's sums)
        deff = V / (p(1-p)/(n-1)),   n_eff = min(n, n / deff)

    and the interval is Wilson's for ``p * n_eff`` successes in ``n_eff`` trials
    (:func:`outcomes.stats.intervals.proportion`). Grouping by severity splits the numerator
    only: the denominator is still every unit of the group, so the severities of one event type
    need not add up to the type's incidence (a session with a mild and a moderate erythema counts in
    both).

    Examples
    --------
    >>> from outcomes import build_courses, incidence, load_sample
    >>> courses = build_courses(load_sample())
    >>> result = incidence(courses, by="setting", events=["erythema", "notable"])
    >>> result.table[["setting", "event", "n_with_event", "n", "estimate"]].round(3)
            setting     event  n_with_event     n  estimate
    0  professional  erythema           838  1125     0.745
    1          home  erythema           211   456     0.463
    2  professional   notable           169  1125     0.150
    3          home   notable            48   456     0.105
    >>> ax = incidence(courses, by="depth_bin", per="session").plot()
    """
    check_courses(courses)
    if per not in ("session", "course"):
        raise AnalysisError(f"per must be 'session' or 'course'; got {per!r}.")
    by = as_names(by)
    units, patient, unit_cols, event_cols, out_cols, pos = _units_frame(
        courses, per, by, depth_bins, spacing_bins)
    if not courses.events_recorded:  # not the same as no side effect: nothing to count
        table = pd.DataFrame(columns=[*out_cols, *INCIDENCE_COLUMNS]).astype(
            {Col.EVENT: "str", N_EVENTS: "int64", Col.N_WITH_EVENT: "int64", Col.N: "int64",
             Col.N_PATIENTS: "int64", Col.METHOD: "str"})
        return Incidence(table=table, title=f"Adverse-event incidence per {per}",
                         notes=f"No incidence: {NO_EVENTS_TABLE}.", per=per,
                         by=tuple(out_cols))
    ev = courses.events
    sets = event_sets(events, ev, include_any=True)
    unit_word = "sessions" if per == "session" else "courses"
    n_units = len(units)
    keys, group, _, _ = group_slices(units, unit_cols)
    shares = GroupedShares(group, len(keys), patient)

    if event_cols:  # only severity: its levels present among the events, vocabulary order
        sev = ev[Col.SEVERITY].astype(str).to_numpy()
        levels = [s for s in vocabulary("severity") if s in set(sev)] or vocabulary("severity")
        strata = [(lev, sev == lev) for lev in levels]
    else:
        strata = [(None, np.ones(len(ev), dtype=bool))]

    blocks = []
    for label, emask in sets.items():
        for level, smask in strata:
            p = pos[emask & smask]
            counts = np.bincount(p, minlength=n_units)
            y = (counts > 0).astype(float)
            block = pd.DataFrame(shares.rows(y, alpha, unit_word))
            block[N_EVENTS] = np.bincount(group, weights=counts, minlength=len(keys))
            block[Col.N_WITH_EVENT] = np.bincount(group, weights=y, minlength=len(keys))
            block.insert(0, Col.EVENT, label)
            if level is not None:
                block.insert(0, Col.SEVERITY, level)
            blocks.append(block)
    body = pd.concat(blocks, ignore_index=True)
    reps = len(sets) * len(strata)
    key_frame = typed_keys(keys, units, len(body), reps, unit_cols)
    table = pd.concat([key_frame, body], axis=1)
    if event_cols:
        table[Col.SEVERITY] = table[Col.SEVERITY].astype(
            pd.CategoricalDtype(vocabulary("severity"), ordered=True))
    table = table[[*out_cols, *INCIDENCE_COLUMNS]].astype(
        {Col.EVENT: "str", N_EVENTS: "int64", Col.N_WITH_EVENT: "int64", Col.N: "int64",
         Col.N_PATIENTS: "int64", Col.METHOD: "str"})
    if not unit_cols:
        table = table.reset_index(drop=True)
    notes = (f"Incidence per {per}: share of {unit_word} with at least one event of the "
             f"selection; denominators are every accepted {per} of the group "
             f"({n_units} in all). 95% Wilson intervals with a patient-clustered effective n.")
    return Incidence(table=table, title=f"Adverse-event incidence per {per}", notes=notes,
                     per=per, by=tuple(out_cols))


