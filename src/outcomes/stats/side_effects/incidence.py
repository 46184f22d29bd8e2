"""Side effects: how often they happen (incidence) and how fast they resolve (resolution).

One job: summarise the adverse events of a bundle per session or per course, with
patient-clustered intervals. Courses, sessions, spacing, resolution times (``duration``,
``observed``) and the notable flag are those of :mod:`outcomes.courses`; intervals come from
:mod:`outcomes.intervals` and Kaplan-Meier curves from :mod:`outcomes.survival`.

The binning helpers (:func:`cut`, :data:`DEPTH_BINS`, :data:`SPACING_BINS`) and the event
selection (:func:`event_sets`) are shared with :mod:`outcomes.stats.spacing` and
:mod:`outcomes.stats.skin_type`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..bundle.schema import vocabulary
from ..courses import Courses
from ..errors import AnalysisError
from . import intervals, survival
from .intervals import _NOMINAL, _units, _wilson_words
from .result import Col, Result

__all__ = [
    "Incidence",
    "Resolution",
    "incidence",
    "resolution",
    "cut",
    "bin_labels",
    "session_key",
    "compact_summary",
    "event_sets",
    "DEPTH_BINS",
    "SPACING_BINS",
    "DEPTH_BIN",
    "ANY",
    "NOTABLE",
    "INCIDENCE_COLUMNS",
    "RESOLUTION_COLUMNS",
    "AT_RISK_COLUMNS",
    "CURVE_COLUMNS",
]

#: Edges (mm) of the needle-depth bins: < 0.5, 0.5-1.0, 1.0-1.5, 1.5-2.0, >= 2.0.
DEPTH_BINS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
#: Edges (days) of the spacing bins: < 14, 14-20, 21-31, 32-45, 46-90, > 90.
SPACING_BINS: tuple[int, ...] = (14, 21, 32, 46, 91)
#: Name of the binned needle-depth column (``by`` accepts it or ``needle_depth_mm``).
DEPTH_BIN = "depth_bin"
#: Event selection meaning every adverse event.
ANY = "any"
#: Event selection meaning every notable adverse event (claims catalogue definition).
NOTABLE = "notable"

N_PATIENTS = "n_patients"
N_EVENTS = "n_events"
N_WITH_EVENT = "n_with_event"
MEASURE = "measure"
HOURS = "hours"
N_RESOLVED = "n_resolved"
N_CENSORED = "n_censored"
N_AT_RISK = "n_at_risk"
MEDIAN = "median_hours"
RESOLVED_BY = "resolved_by"

#: Columns of :attr:`Incidence.table` after the group columns.
INCIDENCE_COLUMNS = [Col.EVENT, N_EVENTS, N_WITH_EVENT, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH,
                     Col.N, N_PATIENTS, Col.METHOD]
#: Columns of :attr:`Resolution.table` after the group columns.
RESOLUTION_COLUMNS = [Col.EVENT, MEASURE, HOURS, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH, Col.N,
                      N_PATIENTS, N_RESOLVED, N_CENSORED, N_AT_RISK, Col.METHOD]
#: Columns of ``Resolution.extra["at_risk"]`` after the group columns.
AT_RISK_COLUMNS = [Col.EVENT, HOURS, N_AT_RISK, "n_resolved_by", "n_censored_by"]
#: Columns of ``Resolution.extra["curve"]`` after the group columns.
CURVE_COLUMNS = [Col.EVENT, "time", N_AT_RISK, "n_events", N_CENSORED, "survival", "se",
                 "ci_low", "ci_high"]

# by-names that are binned versions of a numeric session column: alias -> (source, edges kw)
_BINNED = {
    DEPTH_BIN: Col.NEEDLE_DEPTH_MM,
    Col.NEEDLE_DEPTH_MM: Col.NEEDLE_DEPTH_MM,
    Col.SPACING_BIN: Col.SPACING_DAYS,
    Col.SPACING_DAYS: Col.SPACING_DAYS,
}
# strata that belong to the event rather than to the session or course
_EVENT_SIDE = (Col.SEVERITY,)


# =========================================================================== shared helpers
def check_courses(courses) -> None:
    """Raise :class:`AnalysisError` unless ``courses`` is a non-empty :class:`Courses`."""
    if not isinstance(courses, Courses):
        raise AnalysisError(f"courses must be the Courses of outcomes.build_courses(log); got "
                            f"{type(courses).__name__}.")
    if len(courses.sessions) == 0:
        raise AnalysisError("courses: the bundle has no accepted sessions.")


def _number(x: float) -> str:
    return f"{x:.1f}" if round(x, 1) == x else f"{x:g}"


def _check_edges(edges, name: str, integer: bool) -> tuple:
    try:
        arr = np.asarray(edges, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise AnalysisError(f"{name} must be a sequence of numbers (bin edges); got "
                            f"{edges!r}.") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise AnalysisError(f"{name} must be finite, strictly increasing bin edges (at least "
                            f"one); got {list(np.atleast_1d(edges))!r}.")
    if integer and np.any(arr != np.round(arr)):
        raise AnalysisError(f"{name} are whole days; got {list(arr)!r}.")
    return tuple(int(x) for x in arr) if integer else tuple(float(x) for x in arr)


def bin_labels(edges: Sequence[float], integer: bool = False) -> list[str]:
    """Labels of the bins ``(-inf, e0), [e0, e1), ..., [e_last, inf)``.

    Parameters
    ----------
    edges : sequence of float
        Strictly increasing inner edges.
    integer : bool, default False
        Whole-number values (days): a bin ``[a, b)`` is labelled ``"a–(b-1)"`` and the last one
        ``"> e_last - 1"``; otherwise ``"a–b"`` (lower end included, upper excluded) and
        ``">= e_last"``.

    Returns
    -------
    list of str
        ``len(edges) + 1`` labels, lowest bin first.

    Examples
    --------
    >>> bin_labels((14, 21, 32, 46, 91), integer=True)
    ['< 14', '14–20', '21–31', '32–45', '46–90', '> 90']
    >>> bin_labels((0.5, 1.0, 1.5, 2.0))
    ['< 0.5', '0.5–1.0', '1.0–1.5', '1.5–2.0', '>= 2.0']
    """
    e = list(edges)
    if integer:
        middle = [f"{a}" if b - 1 == a else f"{a}–{b - 1}" for a, b in zip(e[:-1], e[1:],
                                                                           strict=True)]
        return [f"< {e[0]}", *middle, f"> {e[-1] - 1}"]
    middle = [f"{_number(a)}–{_number(b)}" for a, b in zip(e[:-1], e[1:], strict=True)]
    return [f"< {_number(e[0])}", *middle, f">= {_number(e[-1])}"]


def cut(values, edges: Sequence[float], integer: bool = False,
        name: str = "edges") -> pd.Categorical:
    """Bin ``values`` into ``(-inf, e0), [e0, e1), ..., [e_last, inf)``; missing stays missing.

    Parameters
    ----------
    values : array_like of float
    edges : sequence of float
        Strictly increasing inner edges (:data:`DEPTH_BINS`, :data:`SPACING_BINS`).
    integer : bool, default False
        Label the bins as whole numbers (days); see :func:`bin_labels`.
    name : str
        Name of the parameter the edges came from (for error messages).

    Returns
    -------
    Categorical
        Ordered, with every bin label as a category (lowest first).

    Examples
    --------
    >>> list(cut([3, 14, 20, 21, 95, np.nan], SPACING_BINS, integer=True))
    ['< 14', '14–20', '14–20', '21–31', '> 90', nan]
    """
    e = _check_edges(edges, name, integer)
    v = np.asarray(values, dtype=float)
    codes = np.searchsorted(np.asarray(e, dtype=float), v, side="right")
    codes[np.isnan(v)] = -1
    return pd.Categorical.from_codes(codes, categories=bin_labels(e, integer), ordered=True)


def event_sets(events, table: pd.DataFrame, *, include_any: bool) -> dict[str, np.ndarray]:
    """Resolve an ``events`` selection into ``{label: boolean mask over table rows}``.

    Parameters
    ----------
    events : None, str, sequence or mapping
        ``None``: every event type present in ``table`` (vocabulary order), preceded by
        ``"any"`` when ``include_any``. A str: one selection. A sequence: each element
        separately. A mapping ``{label: selection}``: each selection under its label. A
        selection is an event type (``"erythema"``), ``"any"`` (every event), ``"notable"``
        (notable events), a list of those (pooled), or a ``+``-joined string
        (``"erythema+oedema+pain"``, pooled).
    table : DataFrame
        The events (``courses.events``): columns ``event`` and ``notable``.
    include_any : bool
        With ``events=None``, add the ``"any"`` selection first.

    Returns
    -------
    dict of str to ndarray of bool

    Raises
    ------
    AnalysisError
        An unknown event type, or an empty selection.
    """
    vocab = vocabulary("event")
    kinds = pd.Categorical(table[Col.EVENT], categories=vocab).codes  # -1: not in vocabulary
    code = {k: i for i, k in enumerate(vocab)}
    notable = table[Col.NOTABLE].to_numpy(dtype=bool)

    def members(spec) -> np.ndarray:
        if isinstance(spec, str):
            names = spec.split("+") if "+" in spec else [spec]
        else:
            names = list(spec)
        names = [str(x).strip() for x in names]
        unknown = [x for x in names if x not in vocab and x not in (ANY, NOTABLE)]
        if unknown or not names:
            raise AnalysisError(f"events: {unknown or names!r} are not event types; use event "
                                f"types of the vocabulary {vocab}, {ANY!r} or {NOTABLE!r}, "
                                f"alone, in a list, or joined with '+'.")
        mask = np.isin(kinds, [code[x] for x in names if x in code])
        if ANY in names:
            mask = np.ones(len(kinds), dtype=bool)
        if NOTABLE in names:
            mask = mask | notable
        return mask

    if events is None:
        present = np.bincount(kinds[kinds >= 0], minlength=len(vocab)) > 0
        out = {ANY: np.ones(len(kinds), dtype=bool)} if include_any else {}
        out.update({k: kinds == i for i, k in enumerate(vocab) if present[i]})
        return out
    if isinstance(events, str):
        return {events: members(events)}
    if isinstance(events, Mapping):
        if not events:
            raise AnalysisError("events: an empty mapping selects nothing; pass None for all.")
        return {str(label): members(spec) for label, spec in events.items()}
    if isinstance(events, Sequence):
        if not events:
            raise AnalysisError("events: an empty list selects nothing; pass None for all.")
        return {x if isinstance(x, str) else "+".join(map(str, x)): members(x) for x in events}
    raise AnalysisError(f"events must be None, an event type, a list of them or a mapping "
                        f"{{label: types}}; got {type(events).__name__}.")


def session_key(frame: pd.DataFrame) -> np.ndarray:
    """An int64 key of each row's session: ``course_id * 2**24 + session_number``.

    ``courses.sessions`` and ``courses.events`` both carry ``course_id`` and
    ``session_number``; matching on this key is a fast integer hash join (text session ids
    are much slower to match on a million rows).
    """
    return (frame[Col.COURSE_ID].to_numpy(dtype=np.int64) * np.int64(1 << 24)
            + frame[Col.SESSION_NUMBER].to_numpy(dtype=np.int64))


def count_distinct(codes: np.ndarray) -> int:
    """Number of distinct values of non-negative integer ``codes`` (e.g. patient codes)."""
    return int(np.count_nonzero(np.bincount(codes))) if codes.size else 0


def _as_tuple(by, name: str = "by") -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    try:
        out = tuple(by)
    except TypeError:
        raise AnalysisError(f"{name} must be a column name or a sequence of them; got "
                            f"{by!r}.") from None
    bad = [x for x in out if not isinstance(x, str)]
    if bad:
        raise AnalysisError(f"{name} must hold column names (str); got {bad!r}.")
    return out


def estimate_row(fn: Callable, point: Callable, y: np.ndarray, cluster: np.ndarray,
                 units: str, alpha: float) -> dict:
    """One :mod:`outcomes.intervals` estimate as a dict of the tidy columns.

    When the estimator cannot give an interval (too few units or patients) the point estimate
    ``point(y)`` is kept, the interval is NaN and ``method`` says why; with no unit at all
    every number is NaN.
    """
    n = int(y.size)
    if n == 0:
        return {Col.ESTIMATE: math.nan, Col.CI_LOW: math.nan, Col.CI_HIGH: math.nan, Col.N: 0,
                N_PATIENTS: 0, Col.METHOD: f"no {units}"}
    try:
        e = fn(y, cluster=cluster, alpha=alpha, unit_label=units)
    except AnalysisError as exc:
        return {Col.ESTIMATE: float(point(y)), Col.CI_LOW: math.nan, Col.CI_HIGH: math.nan,
                Col.N: n, N_PATIENTS: count_distinct(np.asarray(cluster)),
                Col.METHOD: f"no interval: {exc}"}
    return {Col.ESTIMATE: e.estimate, Col.CI_LOW: e.ci_low, Col.CI_HIGH: e.ci_high, Col.N: e.n,
            N_PATIENTS: e.n_clusters, Col.METHOD: e.method}


def estimate_dict(e: intervals.Estimate) -> dict:
    """An :class:`~outcomes.intervals.Estimate` as a dict of the tidy columns."""
    return {Col.ESTIMATE: e.estimate, Col.CI_LOW: e.ci_low, Col.CI_HIGH: e.ci_high, Col.N: e.n,
            N_PATIENTS: e.n_clusters, Col.METHOD: e.method}


def group_slices(frame: pd.DataFrame, cols: list[str]):
    """Groups of ``frame`` by ``cols`` (missing values form their own group).

    Returns ``(keys, order, bounds)``: ``keys`` a DataFrame of group values (one row per group,
    in sorted order with missing last), ``order`` the row positions sorted by group and
    ``bounds`` the ``len(keys) + 1`` offsets into ``order``. Group j is
    ``order[bounds[j]:bounds[j + 1]]``.
    """
    n = len(frame)
    if not cols:
        return pd.DataFrame(index=[0]), np.arange(n), np.array([0, n])
    g = frame.groupby(cols, observed=True, dropna=False, sort=True)
    codes = g.ngroup().to_numpy()
    keys = g.size().index.to_frame(index=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(keys)))]
    return keys, order, bounds


class GroupedShares:
    """Patient-clustered Wilson shares of many 0/1 vectors over one fixed grouping, vectorised.

    The same estimator as :func:`outcomes.intervals.proportion` (and the same words in
    ``method``), computed for every group at once from per-(group, patient) sums, so that
    incidence by many event types and groups on a million sessions takes one ``bincount`` per
    event type instead of one pass per group. ``tests/test_side_effects.py`` checks it equals
    :func:`~outcomes.intervals.proportion` group by group.

    Parameters
    ----------
    group : ndarray of int
        Group code (0 .. n_groups - 1) of each unit.
    n_groups : int
    patient : ndarray of int
        Patient code (>= 0) of each unit.

    Notes
    -----
    The share, design effect and effective n come from ``intervals._effective_n``, the same
    core :func:`~outcomes.intervals.proportion` uses; the interval is
    :func:`outcomes.intervals.wilson` for ``p n_eff`` of ``n_eff``. Several units of one
    patient only: no interval.
    """

    def __init__(self, group: np.ndarray, n_groups: int, patient: np.ndarray):
        width = np.int64(int(patient.max()) + 1 if patient.size else 1)
        key = group.astype(np.int64) * width + patient.astype(np.int64)
        self.cell, uniques = pd.factorize(key)
        self.cell_group = (np.asarray(uniques, dtype=np.int64) // width).astype(np.int64)
        self.n_cell = np.bincount(self.cell, minlength=uniques.size).astype(float)
        self.n_groups = n_groups

    def rows(self, y: np.ndarray, alpha: float, unit_label: str) -> list[dict]:
        """One dict of the tidy columns per group for the 0/1 vector ``y`` (one per unit)."""
        y_cell = np.bincount(self.cell, weights=y, minlength=self.n_cell.size)
        p, n, G, n_eff, deff, single, nominal = intervals._effective_n(
            y_cell, self.n_cell, self.cell_group, self.n_groups)
        ok = (n > 0) & (single | (G >= 2))
        low = np.full(self.n_groups, np.nan)
        high = np.full(self.n_groups, np.nan)
        if ok.any():
            low[ok], high[ok] = intervals.wilson(p[ok] * n_eff[ok], n_eff[ok], alpha)
        out = []
        for j in range(self.n_groups):
            nj, gj = int(n[j]), int(G[j])
            if nj == 0:
                out.append({Col.ESTIMATE: math.nan, Col.CI_LOW: math.nan, Col.CI_HIGH: math.nan,
                            Col.N: 0, N_PATIENTS: 0, Col.METHOD: f"no {unit_label}"})
                continue
            if ok[j]:
                words = _wilson_words(float(n_eff[j]), float(deff[j]),
                                      _NOMINAL if nominal[j] else "", bool(single[j]))
                method = f"{words} ({_units(nj, gj, bool(single[j]), unit_label, 'patients')})"
            else:
                method = (f"no interval: proportion: a cluster-robust interval needs at least 2 "
                          f"clusters; got {gj} cluster with {nj} units.")
            out.append({Col.ESTIMATE: float(p[j]), Col.CI_LOW: float(low[j]),
                        Col.CI_HIGH: float(high[j]), Col.N: nj, N_PATIENTS: gj,
                        Col.METHOD: method})
        return out


def _typed_keys(keys: pd.DataFrame, source: pd.DataFrame, n_rows: int, reps: int,
                cols: list[str]) -> pd.DataFrame:
    """Repeat the group-key rows, keeping each column's dtype (categoricals stay ordered)."""
    out = {}
    for col in cols:
        values = keys[col].to_numpy()
        rep = np.tile(values, reps) if reps > 1 else values
        out[col] = pd.array(rep, dtype=source[col].dtype) if len(rep) else \
            pd.Series([], dtype=source[col].dtype)
    return pd.DataFrame(out, index=range(n_rows))


def compact_summary(result: Result) -> str:
    """Plain text: title, the table without its ``method`` column, the methods once, notes.

    Methods are listed once each, without the per-row counts of units and patients (those are
    the table's ``n`` and ``n_patients`` columns).
    """
    t = result.table
    body = t.drop(columns=[Col.METHOD]) if Col.METHOD in t.columns else t
    with pd.option_context("display.width", 160, "display.max_columns", 30,
                           "display.float_format", "{:.3g}".format):
        text = body.to_string(index=False) if len(body) else "(no rows)"
    methods = []
    if Col.METHOD in t.columns and len(t):
        short = (t[Col.METHOD].astype(str)
                 .str.replace(r"^1 - S\(t\) at [0-9.]+ h: ", "", regex=True)
                 .str.replace(r" \([^()]*\)$", "", regex=True)
                 .str.replace(r"(effective n|design effect|correlation|on|t,|IV–VI:|I–III:) "
                              r"[0-9][0-9.]*", r"\1 …", regex=True))
        methods = list(dict.fromkeys(short))
    lines = [result.title, text]
    if methods:
        lines += ["", "Methods:"] + [f"- {m}" for m in methods]
    if result.notes:
        lines += ["", result.notes]
    return "\n".join(x for x in lines if x is not None)


# =========================================================================== incidence
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
        from ..plots.safety import plot_incidence

        return plot_incidence(self, ax=ax, **kwargs)


def _units_frame(courses: Courses, per: str, by: tuple[str, ...], depth_bins, spacing_bins):
    """The unit table (sessions or courses) with the group columns; names of both sides."""
    unit_cols, event_cols, out_cols = [], [], []
    if per == "session":
        src = courses.sessions
        data = {}
        for b in by:
            if b == Col.EVENT:
                continue
            if b in _EVENT_SIDE:
                event_cols.append(b)
                out_cols.append(b)
                continue
            if b in _BINNED:
                source = _BINNED[b]
                if source == Col.NEEDLE_DEPTH_MM:
                    data[DEPTH_BIN] = cut(src[source].to_numpy(dtype=float, na_value=np.nan),
                                          depth_bins, False, "depth_bins")
                    name = DEPTH_BIN
                else:
                    data[Col.SPACING_BIN] = cut(src[source].to_numpy(dtype=float,
                                                                     na_value=np.nan),
                                                spacing_bins, True, "spacing_bins")
                    name = Col.SPACING_BIN
            elif b in src.columns:
                data[b] = src[b].array
                name = b
            else:
                raise AnalysisError(
                    f"by: {b!r} is not a session column; use {Col.SEVERITY!r}, "
                    f"{DEPTH_BIN!r} (needle depth, binned), {Col.SPACING_BIN!r} (binned), "
                    f"{Col.SESSION_NUMBER!r} or a column of courses.sessions such as "
                    f"{Col.SETTING!r}, {Col.CONDITION!r}, {Col.FITZPATRICK!r}.")
            if name not in unit_cols:
                unit_cols.append(name)
                out_cols.append(name)
        units = pd.DataFrame(data, index=range(len(src)))
        unit_key = session_key(src)
        event_key = session_key(courses.events)
    else:
        src = courses.courses
        data = {}
        for b in by:
            if b == Col.EVENT:
                continue
            if b in _EVENT_SIDE:
                event_cols.append(b)
                out_cols.append(b)
                continue
            if b not in src.columns:
                session_level = b in _BINNED or b in courses.sessions.columns
                hint = (" is a session attribute: use per='session' to group by it"
                        if session_level else " is not a course column")
                raise AnalysisError(f"by: {b!r}{hint}; per='course' groups by columns of "
                                    f"courses.courses such as {Col.CONDITION!r}, "
                                    f"{Col.SETTING!r}, {Col.FITZPATRICK!r}, or "
                                    f"{Col.SEVERITY!r}.")
            if b not in unit_cols:
                data[b] = src[b].array
                unit_cols.append(b)
                out_cols.append(b)
        units = pd.DataFrame(data, index=range(len(src)))
        unit_key = src[Col.COURSE_ID].to_numpy()
        event_key = courses.events[Col.COURSE_ID].to_numpy()
    pos = pd.Index(unit_key).get_indexer(event_key)
    patient = pd.factorize(src[Col.PATIENT_ID])[0]
    return units, patient, unit_cols, event_cols, out_cols, pos


def incidence(
    courses: Courses,
    by=(),
    per: str = "session",
    events=None,
    *,
    depth_bins: Sequence[float] = DEPTH_BINS,
    spacing_bins: Sequence[int] = SPACING_BINS,
    alpha: float = 0.05,
) -> Incidence:
    """Share of sessions (or courses) with at least one adverse event, by event type and group.

    Parameters
    ----------
    courses : Courses
        From :func:`outcomes.build_courses`. Not modified.
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
        Which events (see :func:`event_sets`): by default ``"any"`` (any adverse event) and then
        every event type present, each separately. ``{"bleeding_or_bruising": ["bleeding",
        "bruising"]}`` pools types under one label; ``"notable"`` selects notable events.
    depth_bins : sequence of float, default (0.5, 1.0, 1.5, 2.0)
        Needle-depth bin edges in mm: ``< 0.5, 0.5–1.0, 1.0–1.5, 1.5–2.0, >= 2.0`` (lower end
        included).
    spacing_bins : sequence of int, default (14, 21, 32, 46, 91)
        Spacing bin edges in days: ``< 14, 14–20, 21–31, 32–45, 46–90, > 90``.
    alpha : float, default 0.05
        One minus the confidence level.

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
        If ``courses`` is not a non-empty :class:`~outcomes.courses.Courses`, ``per`` is not
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
    (:func:`outcomes.intervals.proportion`). Grouping by severity splits the numerator only: the
    denominator is still every unit of the group, so the severities of one event type need not
    add up to the type's incidence (a session with a mild and a moderate erythema counts in
    both).

    Examples
    --------
    >>> from outcomes import build_courses, incidence, load_bundle          # doctest: +SKIP
    >>> courses = build_courses(load_bundle("data/sample"))                  # doctest: +SKIP
    >>> incidence(courses, by="setting", events=["erythema", "notable"])     # doctest: +SKIP
    >>> incidence(courses, by="depth_bin", per="session").plot()            # doctest: +SKIP
    """
    check_courses(courses)
    if per not in ("session", "course"):
        raise AnalysisError(f"per must be 'session' or 'course'; got {per!r}.")
    by = _as_tuple(by)
    units, patient, unit_cols, event_cols, out_cols, pos = _units_frame(
        courses, per, by, depth_bins, spacing_bins)
    ev = courses.events
    sets = event_sets(events, ev, include_any=True)
    unit_word = "sessions" if per == "session" else "courses"
    n_units = len(units)
    keys, order, bounds = group_slices(units, unit_cols)
    group = np.empty(n_units, dtype=np.int64)
    group[order] = np.repeat(np.arange(len(keys)), np.diff(bounds))
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
            block[N_WITH_EVENT] = np.bincount(group, weights=y, minlength=len(keys))
            block.insert(0, Col.EVENT, label)
            if level is not None:
                block.insert(0, Col.SEVERITY, level)
            blocks.append(block)
    body = pd.concat(blocks, ignore_index=True)
    reps = len(sets) * len(strata)
    key_frame = _typed_keys(keys, units, len(body), reps, unit_cols)
    table = pd.concat([key_frame, body], axis=1)
    if event_cols:
        table[Col.SEVERITY] = table[Col.SEVERITY].astype(
            pd.CategoricalDtype(vocabulary("severity"), ordered=True))
    table = table[[*out_cols, *INCIDENCE_COLUMNS]].astype(
        {Col.EVENT: "str", N_EVENTS: "int64", N_WITH_EVENT: "int64", Col.N: "int64",
         N_PATIENTS: "int64", Col.METHOD: "str"})
    if not unit_cols:
        table = table.reset_index(drop=True)
    notes = (f"Incidence per {per}: share of {unit_word} with at least one event of the "
             f"selection; denominators are every accepted {per} of the group "
             f"({n_units} in all). 95% Wilson intervals with a patient-clustered effective n.")
    return Incidence(table=table, title=f"Adverse-event incidence per {per}", notes=notes,
                     per=per, by=tuple(out_cols))


# =========================================================================== resolution
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
        from ..plots.safety import plot_resolution

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
    counts = {Col.N: n, N_PATIENTS: count_distinct(patient), N_RESOLVED: n_res,
              N_CENSORED: n - n_res}
    note = ""
    try:
        km = survival.kaplan_meier(dur, obs, patient, alpha, unit_label="events")
    except AnalysisError as exc:  # e.g. several events all of one patient
        km = survival.kaplan_meier(dur, obs, None, alpha, variance="greenwood",
                                   unit_label="events")
        note = f"no interval: {exc}"
    rows = []
    med = km.median()
    rows.append({MEASURE: MEDIAN, HOURS: math.nan, **estimate_dict(med), **counts,
                 N_AT_RISK: math.nan})
    cum = km.cumulative_at(hours)
    for h, est, lo, hi, nar in zip(hours, cum["cumulative"], cum["ci_low"], cum["ci_high"],
                                   cum["n_at_risk"], strict=True):
        method = f"1 - S(t) at {h:g} h: {km.method_}"
        if not np.isfinite(est):
            method += "; not estimable beyond the last follow-up time"
        rows.append({MEASURE: RESOLVED_BY, HOURS: h, Col.ESTIMATE: float(est),
                     Col.CI_LOW: float(lo), Col.CI_HIGH: float(hi), **counts,
                     N_AT_RISK: int(nar), Col.METHOD: method})
    if note:
        for r in rows:
            r[Col.CI_LOW] = r[Col.CI_HIGH] = math.nan
            r[Col.METHOD] = note
    for r in rows:
        r[Col.N], r[N_PATIENTS] = counts[Col.N], counts[N_PATIENTS]
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


def resolution(
    courses: Courses,
    events=None,
    by="event",
    hours: Sequence[float] = (24, 48, 72, 168),
    *,
    alpha: float = 0.05,
) -> Resolution:
    """Time to resolution of side effects: Kaplan-Meier median and shares resolved by hours.

    Parameters
    ----------
    courses : Courses
        From :func:`outcomes.build_courses`. Not modified.
    events : None, str, sequence or mapping, optional
        Which events (see :func:`event_sets`): by default every event type present, each on
        its own. ``"erythema+oedema+pain"`` or ``{"swelling and co.": ["erythema", "oedema",
        "pain"]}`` pools several types into one curve.
    by : str or sequence of str, default "event"
        ``"event"`` gives one curve per event selection; other columns of ``courses.events``
        (``"severity"``, ``"setting"``, ``"condition"``, ``"fitzpatrick"``...) split further.
        Without ``"event"`` every selected event is pooled into one curve per group.
    hours : sequence of float, default (24, 48, 72, 168)
        Horizons for the shares resolved.
    alpha : float, default 0.05
        One minus the confidence level.

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
    :func:`outcomes.survival.kaplan_meier`. Censored events are never dropped nor counted as
    unresolved: they leave the risk set at their last contact.

    Examples
    --------
    >>> from outcomes import build_courses, load_bundle, resolution        # doctest: +SKIP
    >>> courses = build_courses(load_bundle("data/sample"))                 # doctest: +SKIP
    >>> r = resolution(courses, events=["erythema", "erythema+oedema+pain"])  # doctest: +SKIP
    >>> r.plot(event="erythema", threshold=0.9, horizon=48)                 # doctest: +SKIP
    """
    check_courses(courses)
    hours = _check_hours(hours)
    by = _as_tuple(by)
    ev = courses.events
    if len(ev) == 0:
        raise AnalysisError("resolution: the bundle has no accepted adverse events to time.")
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
    if strata:
        keys, order, bounds = group_slices(ev[strata], strata)
    else:
        keys, order, bounds = group_slices(ev, [])

    rows, risk, curves = [], [], []
    for label, emask in sets.items():
        m_sorted = (emask & timed)[order]
        for j in range(len(keys)):
            idx = order[bounds[j]:bounds[j + 1]][m_sorted[bounds[j]:bounds[j + 1]]]
            key = {c: keys[c].iloc[j] for c in strata}
            if idx.size == 0:
                if len(keys) > 1:
                    continue
                for measure, h in [(MEDIAN, math.nan), *[(RESOLVED_BY, h) for h in hours]]:
                    rows.append({**key, Col.EVENT: label, MEASURE: measure, HOURS: h,
                                 Col.ESTIMATE: math.nan, Col.CI_LOW: math.nan,
                                 Col.CI_HIGH: math.nan, Col.N: 0, N_PATIENTS: 0, N_RESOLVED: 0,
                                 N_CENSORED: 0, N_AT_RISK: math.nan, Col.METHOD: "no events"})
                continue
            r, a, c = _km_rows(dur_all[idx], obs_all[idx], patient_all[idx], hours, alpha)
            rows.extend({**key, Col.EVENT: label, **x} for x in r)
            for frame in (a, c):
                frame.insert(0, Col.EVENT, label)
                for col in reversed(strata):
                    frame.insert(0, col, key[col])
            risk.append(a)
            curves.append(c)

    table = pd.DataFrame(rows, columns=[*strata, *RESOLUTION_COLUMNS])
    table = table.astype({Col.EVENT: "str", MEASURE: "str", Col.N: "int64", N_PATIENTS: "int64",
                          N_RESOLVED: "int64", N_CENSORED: "int64", Col.METHOD: "str"})
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
