"""Courses, assessment points and improvement, exactly as the claims catalogue defines them.

Definitions (``docs/definitions.md`` and the claims catalogue, "Words used below"):

course
    All sessions of one patient for one condition, in date order; session *k* is the k-th of its
    course; *K* is its last. **spacing**: days since the previous session of the course.
baseline
    The latest assessment of the course dated on or before its first session.
assessment after session k (k < K)
    The latest assessment dated after session k and on or before session k + 1.
end of treatment
    The first assessment dated after session K and before K's date + 56 days.
follow-up
    The latest assessment dated 56 days or more after session K.
final
    Follow-up if there is one, else end of treatment, else the latest assessment after any session.
improvement
    ``(baseline - score) / (baseline - best)`` on a bounded scale where lower is better (mirrored
    where higher is better); on an unbounded scale (hair density) the **log ratio** to baseline,
    ``log(score / baseline)`` where higher is better (``log(baseline / score)`` where lower is),
    so that a course from 1 to 181 hairs/cm² counts log 181 = 5.2 rather than a relative change of
    180 that would outweigh every other course (a log ratio of 0.10 is a gain of 10.5%); on a
    change scale (GAIS) ``(no_change - score) / (no_change - best)``, which needs no baseline.
    Bands: visible >= 0.10, considerable >= 0.25, major >= 0.50 (configurable).
    Where an improvement cannot be computed, :class:`Undefined` names why (no baseline, a
    baseline at the scale's best, a baseline or score of 0 on a log-ratio scale); the courses
    table carries the reason of a course without a final improvement (``final_missing``), so
    every course an estimate leaves out is counted with its reason.

Each course is assessed on one **primary scale**: among the scales it was assessed on, the one
typically used for its condition (``scales.toml``), then one with a usable baseline, then the one
with the most assessments. Several assessments of a course on one date and scale (for example by
two raters) are averaged.

All of this is vectorised: no Python loop runs over patients, courses or rows.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from ._docs import FRAGMENTS, shared_doc
from .bundle.codes import (
    as_text,
    id_categorical,
    ids_in,
    key_order,
    key_positions,
    shared_codes,
    sorted_codes,
    unique_keys,
)
from .bundle.log import SessionLog
from .bundle.schema import (
    NOTABLE_EVENTS,
    NOTABLE_SEVERITIES,
    Col,
    Scale,
    vocabulary,
    vocabulary_dtype,
)
from .errors import AnalysisError

__all__ = [
    "CourseCol",
    "Courses",
    "Undefined",
    "build_courses",
    "ids_in",
    "ID_COLUMNS",
    "combine_courses",
    "check_courses",
    "NO_EVENTS_TABLE",
    "DEFAULT_BANDS",
    "FOLLOW_UP_DAYS",
    "Point",
    "contraindication_flags",
    "flag_column",
]


class CourseCol:
    """Column names that courses add to the input (course, session number, improvement...)."""

    COURSE_ID = "course_id"
    SESSION_NUMBER = "session_number"
    N_SESSIONS = "n_sessions"
    SPACING_DAYS = "spacing_days"
    SPACING_BIN = "spacing_bin"
    FIRST_DATE = "first_date"
    LAST_DATE = "last_date"
    POINT = "point"
    AFTER_SESSION = "after_session"
    BASELINE = "baseline"
    IMPROVEMENT = "improvement"
    DURATION = "duration"
    OBSERVED = "observed"
    NOTABLE = "notable"
    UNDEFINED = "undefined"
    FINAL_MISSING = "final_missing"
    BASELINE_SEVERITY = "baseline_severity"


class Undefined:
    """Why an improvement is undefined: the reasons counted where a course is left out."""

    NO_BASELINE = "no baseline assessment"
    AT_BEST = "improvement undefined (baseline at the scale's best)"
    ZERO_BASELINE = "improvement undefined (baseline 0 on a log-ratio scale)"
    ZERO_SCORE = "improvement undefined (score 0 on a log-ratio scale)"
    NO_ASSESSMENT = "no assessment after a session"
    UNKNOWN_SCALE = "improvement undefined (scale not declared)"

#: Improvement bands (share of the possible improvement achieved), lowest first.
DEFAULT_BANDS: dict[str, float] = {"visible": 0.10, "considerable": 0.25, "major": 0.50}
#: Identifier columns: in the tables of :class:`Courses` categoricals of the sorted ids, with
#: one set of categories for all four tables (codes compare across them).
ID_COLUMNS = (Col.PATIENT_ID, Col.SESSION_ID, Col.CLINIC_ID, Col.OPERATOR_ID)
#: Days after the last session from which an assessment is a follow-up.
FOLLOW_UP_DAYS = 56


class Point:
    """Names of assessment points (values of the ``point`` column)."""

    BASELINE = "baseline"
    AFTER_SESSION = "after_session"
    END = "end_of_treatment"
    FOLLOW_UP = "follow_up"
    ALL = (BASELINE, AFTER_SESSION, END, FOLLOW_UP)


def flag_column(item: str) -> str:
    """Name of the boolean column flagging contraindication ``item`` (e.g. ``flag_pregnancy``)."""
    return f"flag_{item}"


def band_column(band: str) -> str:
    """Name of the boolean column saying an improvement reached ``band`` (e.g. ``major``)."""
    return f"reached_{band}"


def _days(values) -> np.ndarray:
    """Days since 1970-01-01 as int64 (NaT -> a very negative number) for any datetime unit."""
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64)


def contraindication_flags(contraindications: pd.Series) -> pd.DataFrame:
    """Return one boolean column per contraindication of the vocabulary.

    Parameters
    ----------
    contraindications : Series of str
        The loader's normalised ``;``-separated lists (NA when unknown).

    Returns
    -------
    DataFrame
        Same index; columns ``flag_<item>`` for every item of the ``contraindication``
        vocabulary; True where the list names the item (unknown lists give False).
    """
    codes, uniques = pd.factorize(contraindications, use_na_sentinel=True)
    items = vocabulary("contraindication")
    table = np.zeros((len(uniques) + 1, len(items)), dtype=bool)  # last row: NA
    for i, text in enumerate(uniques):
        named = set(str(text).split(";"))
        table[i] = [item in named for item in items]
    rows = table[np.where(codes < 0, len(uniques), codes)]
    columns = [flag_column(i) for i in items]
    return pd.DataFrame(rows, index=contraindications.index, columns=columns)


# ---------------------------------------------------------------------------- improvement
def _by_scale(scales) -> list[tuple[str, np.ndarray]]:
    """``(scale name, row mask)`` for each scale named, in order of first appearance.

    A categorical or ``str`` column is split by the codes pandas gives it (by its integer codes
    or arrow's hashing: no Python string is compared row by row).
    """
    if isinstance(getattr(scales, "dtype", None), pd.CategoricalDtype | pd.StringDtype):
        codes, names = pd.factorize(scales)  # a missing scale names none: it has no rows
        return [(str(name), codes == i) for i, name in enumerate(names)]
    names = np.asarray(scales.astype(str))
    return [(name, names == name) for name in pd.unique(names)]


def improvement(score, baseline, scales: pd.Series, scale_table: dict[str, Scale]) -> np.ndarray:
    """Improvement of ``score`` against ``baseline`` on each row's scale (see module notes).

    Parameters
    ----------
    score, baseline : array-like of float
        Scores; ``baseline`` is ignored on change scales.
    scales : Series of scale names
        The scale of each row.
    scale_table : dict
        Scale definitions (:func:`outcomes.bundle.schema.load_scales`).

    Returns
    -------
    ndarray of float
        NaN where it cannot be computed (no baseline; baseline already at the scale's best;
        a baseline or score of 0 on a log-ratio scale): :func:`undefined_reason` says why.
    """
    score = np.asarray(score, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    out = np.full(score.shape, np.nan)
    for name, m in _by_scale(scales):
        if name not in scale_table:
            continue
        sc = scale_table[name]
        s, b = score[m], baseline[m]
        sign = 1.0 if sc.better == "lower" else -1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            if sc.kind == "bounded":
                room = sign * (b - sc.best)
                val = sign * (b - s) / room
                val[~(room > 0)] = np.nan
            elif sc.kind == "relative":  # the log ratio to baseline (module notes)
                val = -sign * np.log(s / b)
                val[~((b > 0) & (s > 0))] = np.nan
            else:  # change scale: the score itself rates change
                val = sign * (sc.no_change - s) / (sign * (sc.no_change - sc.best))
        out[m] = val
    return out


def undefined_reason(score, baseline, scales: pd.Series,
                     scale_table: dict[str, Scale]) -> np.ndarray:
    """Why :func:`improvement` is undefined on each row (an :class:`Undefined` text), or ``""``.

    Parameters
    ----------
    score, baseline, scales, scale_table
        As for :func:`improvement`.

    Returns
    -------
    ndarray of str
        ``""`` where the improvement is defined.

    Examples
    --------
    >>> from outcomes.bundle.schema import load_scales
    >>> undefined_reason([1, 3], [1, 5], pd.Series(["wrinkle_severity"] * 2), load_scales())
    array(["improvement undefined (baseline at the scale's best)", ''], dtype=object)
    """
    codes = _undefined_codes(score, baseline, scales, scale_table,
                             improvement(score, baseline, scales, scale_table))
    return np.asarray(_REASONS, dtype=object)[codes]


#: The reasons of :func:`undefined_reason` by code (0: defined), then the one of a course
#: without any assessment after a session (a course's ``final_missing`` only).
_REASONS = ("", Undefined.NO_BASELINE, Undefined.AT_BEST, Undefined.ZERO_BASELINE,
            Undefined.ZERO_SCORE, Undefined.UNKNOWN_SCALE, Undefined.NO_ASSESSMENT)


def _undefined_codes(score, baseline, scales, scale_table: dict[str, Scale],
                     gain: np.ndarray) -> np.ndarray:
    """:func:`undefined_reason` as codes of :data:`_REASONS`, given the improvement ``gain``."""
    score = np.asarray(score, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    out = np.zeros(score.shape, dtype=np.int8)
    undefined = np.isnan(gain)
    for name, m in _by_scale(scales):
        m = m & undefined
        sc = scale_table.get(name)
        if sc is None:
            out[m] = _REASONS.index(Undefined.UNKNOWN_SCALE)
            continue
        b, s = baseline[m], score[m]
        why = np.full(b.shape, _REASONS.index(Undefined.NO_BASELINE), dtype=np.int8)
        if sc.kind == "bounded":
            why[~np.isnan(b)] = _REASONS.index(Undefined.AT_BEST)
        elif sc.kind == "relative":
            why[~np.isnan(b) & (b <= 0)] = _REASONS.index(Undefined.ZERO_BASELINE)
            why[~np.isnan(b) & (b > 0) & (s <= 0)] = _REASONS.index(Undefined.ZERO_SCORE)
        out[m] = why
    return out


def baseline_severity(baseline, scales: pd.Series, scale_table: dict[str, Scale]) -> np.ndarray:
    """How far a baseline lies from the scale's best, as a share of the scale's range.

    ``|baseline - best| / (high - low)`` on a bounded scale: 0 at the best, 1 at the worst, so
    that courses on different scales can be compared before treatment (an adjusted comparison's
    covariate). NaN on unbounded and change scales and without a baseline.

    Examples
    --------
    >>> from outcomes.bundle.schema import load_scales
    >>> baseline_severity([5.0, 1.0], pd.Series(["wrinkle_severity"] * 2), load_scales())
    array([0.5, 0. ])
    """
    b = np.asarray(baseline, dtype=float)
    out = np.full(b.shape, np.nan)
    for name, m in _by_scale(scales):
        sc = scale_table.get(name)
        if sc is not None and sc.kind == "bounded" and sc.high > sc.low:
            out[m] = np.abs(b[m] - sc.best) / (sc.high - sc.low)
    return out


# ---------------------------------------------------------------------------- result object
@dataclass(frozen=True)
class Courses:
    """Courses of a bundle with their sessions, assessment points, improvement and side effects.

    Build with :func:`build_courses`. All tables are tidy DataFrames; patient ids stay inside
    them and never reach an export unless the user asks.

    Attributes
    ----------
    sessions : DataFrame
        Accepted sessions in course order, plus ``course_id``, ``session_number`` (k),
        ``n_sessions`` (K), ``spacing_days`` (NaN for the first) and ``flag_<item>``
        contraindication columns.
    courses : DataFrame
        One row per course: ``course_id``, ``patient_id``, ``condition``, ``setting`` (NA when
        the course mixes settings), ``clinic_id`` (first session's), ``fitzpatrick`` (first known),
        ``n_sessions``, ``first_date``, ``last_date``, ``scale`` (primary), ``baseline``,
        ``improvement_after_1``, ``end_improvement``, ``follow_up_improvement``,
        ``final_improvement``, ``final_point``, ``final_missing`` (why there is no final
        improvement, :class:`Undefined`; ``""`` when there is one), ``baseline_severity``
        (:func:`baseline_severity`), ``reached_<band>`` for the final improvement
        (NA where there is no final improvement), ``notable`` (any notable adverse event),
        ``pih`` (any PIH event) and ``flag_<item>`` (flagged at any session).
    points : DataFrame
        One row per assessment point of a course: ``course_id``, ``patient_id``, ``condition``,
        ``point`` (baseline, after_session, end_of_treatment, follow_up), ``after_session`` (k for
        after-session points, K for end of treatment and follow-up, 0 for baseline),
        ``assessment_date``, ``days_after_last``, ``score``, ``improvement``, ``undefined``
        (why the improvement is undefined; ``""`` where it is defined and at baseline).
    events : DataFrame
        Accepted adverse events with their session's course and attributes, plus ``duration``
        (hours to resolution, or to last contact when censored), ``observed`` (resolved) and
        ``notable``.
    bands : dict
        Improvement bands used.
    unassigned_assessments : int
        Assessments on the primary scale that match no course or fall in no defined point.
    missing_tables : tuple of str
        Optional tables the bundle did not have (:attr:`outcomes.SessionLog.missing_tables`):
        without ``adverse_events`` no side effect was recorded at all, which is not the same as
        none having happened, so the side-effect statistics say so rather than count zeros.
    """

    sessions: pd.DataFrame
    courses: pd.DataFrame
    points: pd.DataFrame
    events: pd.DataFrame
    bands: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BANDS))
    unassigned_assessments: int = 0
    missing_tables: tuple[str, ...] = ()

    @property
    def events_recorded(self) -> bool:
        """False when the bundle had no adverse-events table (side effects not recorded)."""
        return "adverse_events" not in self.missing_tables

    @cached_property
    def dose(self) -> pd.DataFrame:
        """Improvement after session k for k = 1..K, one row per course and k assessed.

        The point after session K is the end-of-treatment assessment. Columns ``course_id``,
        ``patient_id``, ``condition``, ``after_session``, ``improvement``, ``undefined`` (why the
        improvement is undefined, :class:`Undefined`; ``""`` where it is defined),
        ``n_sessions``.
        """
        p = self.points
        keep = p[CourseCol.POINT].isin([Point.AFTER_SESSION, Point.END])
        cols = [CourseCol.COURSE_ID, Col.PATIENT_ID, Col.CONDITION, CourseCol.AFTER_SESSION,
                CourseCol.IMPROVEMENT, CourseCol.UNDEFINED]
        out = p.loc[keep, cols].merge(self.courses[[CourseCol.COURSE_ID, CourseCol.N_SESSIONS]],
                                      on=CourseCol.COURSE_ID, how="left")
        return out.sort_values([CourseCol.COURSE_ID, CourseCol.AFTER_SESSION], ignore_index=True)

    def sessions_to_band(self, band: str = "major") -> pd.DataFrame:
        """Sessions until the first improvement reaching ``band``, with censoring.

        For each course with at least one improvement after a session (after-session points,
        end of treatment and follow-up, the last two counting as after session K): ``duration``
        is the first k whose improvement reaches the band (``observed`` True), else the last
        assessed k (``observed`` False, censored there).

        Returns
        -------
        DataFrame
            ``course_id``, ``patient_id``, ``condition``, ``duration``, ``observed``.
        """
        threshold = self.bands[band]
        p = self.points
        keep = ((p[CourseCol.POINT] != Point.BASELINE).to_numpy()
                & p[CourseCol.IMPROVEMENT].notna().to_numpy())
        p = p.loc[keep, [CourseCol.COURSE_ID, CourseCol.AFTER_SESSION, CourseCol.IMPROVEMENT]]
        hit = p[CourseCol.IMPROVEMENT] >= threshold
        k = p[CourseCol.AFTER_SESSION].astype(float)
        g = pd.DataFrame({CourseCol.COURSE_ID: p[CourseCol.COURSE_ID].to_numpy(),
                          "k_hit": np.where(hit, k, np.inf), "k": k})
        agg = g.groupby(CourseCol.COURSE_ID, sort=True).agg(first_hit=("k_hit", "min"),
                                                      last=("k", "max"))
        observed = np.isfinite(agg["first_hit"].to_numpy())
        out = pd.DataFrame({
            CourseCol.COURSE_ID: agg.index.to_numpy(),
            CourseCol.DURATION: np.where(observed, agg["first_hit"], agg["last"]),
            CourseCol.OBSERVED: observed,
        })
        info = self.courses[[CourseCol.COURSE_ID, Col.PATIENT_ID, Col.CONDITION]]
        return info.merge(out, on=CourseCol.COURSE_ID, how="inner")

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`courses` (one row per course)."""
        return self.courses.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables, keyed by name, the course table first: ``"courses"``,
        ``"sessions"``, ``"points"`` and ``"events"``. They hold patient ids: pass them
        through :func:`outcomes.disclose` before they leave the clinic."""
        return {"courses": self.courses, "sessions": self.sessions, "points": self.points,
                "events": self.events}

    @shared_doc(**FRAGMENTS)
    def plot(self, ax=None, **kwargs):
        """Histogram of the number of sessions per course, stacked by condition.

        Parameters
        ----------
        {ax}
        **kwargs
            Passed to ``Axes.hist``.

        Returns
        -------
        matplotlib Axes
        """
        from matplotlib.ticker import MaxNLocator

        from .plots.outcomes import condition_style
        from .plots.style import axes

        ax = axes(ax)
        k = self.courses[CourseCol.N_SESSIONS].to_numpy()
        condition = self.courses[Col.CONDITION].astype(str).to_numpy()
        names = [x for x in vocabulary("condition") if x in set(condition)]
        if names:
            styles = [condition_style(x) for x in names]
            ax.hist([k[condition == x] for x in names], bins=np.arange(0.5, k.max() + 1.5),
                    stacked=True, color=[s["color"] for s in styles],
                    label=[s["label"] for s in styles], **kwargs)
            ax.legend(fontsize=7, frameon=False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("sessions per course")
        ax.set_ylabel("courses")
        return ax

    def summary(self) -> str:
        """Plain-text summary: courses, patients, sessions, assessment points, events."""
        c = self.courses
        lines = [
            f"{len(c)} courses of {c[Col.PATIENT_ID].nunique()} patients, "
            f"{len(self.sessions)} sessions, {len(self.points)} assessment points, "
            f"{len(self.events)} adverse events",
            f"courses with a final improvement: {int(c['final_improvement'].notna().sum())}",
        ]
        if self.unassigned_assessments:
            lines.append(f"assessments matching no course or point: {self.unassigned_assessments}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


#: Why side-effect statistics have no estimate when the bundle has no adverse-events table.
NO_EVENTS_TABLE = "the bundle has no adverse_events table (side effects were not recorded)"


def check_courses(courses) -> None:
    """Raise :class:`~outcomes.errors.AnalysisError` unless ``courses`` is a :class:`Courses`
    (the first argument of every analysis of :mod:`outcomes.stats`). Courses without a single
    course (every session quarantined) are accepted: each analysis then returns its empty,
    well-formed result, whose ``method`` column or notes say there is nothing to analyse."""
    if not isinstance(courses, Courses):
        raise AnalysisError(f"courses must be the Courses of outcomes.build_courses(log); got "
                            f"{type(courses).__name__}.")


# ---------------------------------------------------------------------------- building
def build_courses(log: SessionLog, *, bands: dict[str, float] | None = None) -> Courses:
    """Build courses, assessment points, improvement and event resolution times from a bundle.

    Parameters
    ----------
    log : SessionLog
        A loaded bundle (:func:`outcomes.load_bundle`).
    bands : dict, optional
        Improvement bands ``{name: lowest improvement}``; default :data:`DEFAULT_BANDS`.

    Returns
    -------
    Courses

    Examples
    --------
    >>> from outcomes import build_courses, load_sample
    >>> courses = build_courses(load_sample())
    >>> len(courses.courses), courses.unassigned_assessments
    (369, 6)
    >>> courses.courses[["condition", "final_improvement"]].head(3)
               condition  final_improvement
    0         acne_scars            0.40625
    1  hyperpigmentation            0.14400
    2         acne_scars                NaN
    """
    bands = dict(DEFAULT_BANDS if bands is None else bands)
    # ids as codes of the sorted distinct ids, those of the other tables found among them
    s = log.sessions
    patient = shared_codes(s[Col.PATIENT_ID], [log.assessments[Col.PATIENT_ID]])
    session = shared_codes(s[Col.SESSION_ID], [log.adverse_events[Col.SESSION_ID]])
    sessions, keys = _course_sessions(s, {Col.PATIENT_ID: patient[:2],
                                          Col.SESSION_ID: session[:2]})
    courses = _course_table(sessions)
    points, unassigned, coded = _assessment_points(log, sessions, courses, patient[2][0], keys)
    courses = _add_outcomes(courses, points, coded, bands)
    courses[CourseCol.BASELINE_SEVERITY] = baseline_severity(
        courses[CourseCol.BASELINE], courses[Col.SCALE], log.scales)
    events = _events(log.adverse_events, sessions, session[2][0])
    courses = _add_event_flags(courses, events)
    return Courses(sessions, courses, points, events, bands, unassigned,
                   tuple(log.missing_tables))


def combine_courses(parts: list[Courses]) -> Courses:
    """The courses of a bundle from those of its patient partitions, as :func:`build_courses`.

    Each part is :func:`build_courses` of the rows of some patients (every session and
    assessment of a patient, and the events of their sessions, in one part; the parts
    disjoint), with the input's row numbers in ``row``. The result equals
    :func:`build_courses` of the whole bundle: the same rows in the same order, with the same
    course ids (courses numbered in order of patient id and condition, sessions and points in
    their course's order, events in input row order), so that every statistic computed from it
    is the one of the whole.

    Parameters
    ----------
    parts : list of Courses
        At least one.

    Returns
    -------
    Courses

    Examples
    --------
    >>> from dataclasses import replace
    >>> from outcomes import load_sample
    >>> log = load_sample()
    >>> def part(patients):
    ...     s = log.sessions[log.sessions["patient_id"].isin(patients)]
    ...     a = log.assessments[log.assessments["patient_id"].isin(patients)]
    ...     e = log.adverse_events[log.adverse_events["session_id"].isin(s["session_id"])]
    ...     return replace(log, sessions=s, assessments=a, adverse_events=e)
    >>> ids = log.sessions["patient_id"].unique()
    >>> whole = combine_courses([build_courses(part(ids[i::2])) for i in (0, 1)])
    >>> whole.courses.equals(build_courses(log).courses)
    True
    """
    if not parts:
        raise AnalysisError("combine_courses() needs at least one part.")
    parts = _shared_ids(parts)
    sizes = np.array([len(p.courses) for p in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    courses = _concat([p.courses for p in parts])
    ids = courses[Col.PATIENT_ID]
    # integer patient ids (codes in order of the ids, as the partitioned engine gives them)
    # order the courses as the ids themselves would; categories are sorted: codes are ranks
    patient_codes = (ids.to_numpy(dtype=np.int64) if pd.api.types.is_integer_dtype(ids.dtype)
                     else _codes(ids))
    order = np.argsort(course_keys(patient_codes, _codes(courses[Col.CONDITION])),
                       kind="stable")
    new_id = np.empty(len(order), dtype=np.int64)
    new_id[order] = np.arange(len(order))
    courses = courses.take(order).reset_index(drop=True)
    courses[CourseCol.COURSE_ID] = np.arange(len(courses))

    def renumbered(frames: list[pd.DataFrame], by_row: bool = False) -> pd.DataFrame:
        ids = [new_id[f[CourseCol.COURSE_ID].to_numpy(dtype=np.int64) + off]
               for f, off in zip(frames, offsets, strict=True)]
        out = _concat(frames)
        out[CourseCol.COURSE_ID] = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        key = out[Col.ROW].to_numpy() if by_row else out[CourseCol.COURSE_ID].to_numpy()
        return out.take(np.argsort(key, kind="stable")).reset_index(drop=True)

    first = parts[0]
    return Courses(
        renumbered([p.sessions for p in parts]), courses,
        renumbered([p.points for p in parts]), renumbered([p.events for p in parts], True),
        first.bands, int(sum(p.unassigned_assessments for p in parts)), first.missing_tables)


def _shared_ids(parts: list[Courses]) -> list[Courses]:
    """The parts with each id column a categorical of one sorted set of categories (the union
    of the parts'), so that their tables can be put one under the other and codes compared."""
    columns = [c for c in ID_COLUMNS if all(
        c in p.sessions.columns and not pd.api.types.is_integer_dtype(p.sessions[c].dtype)
        for p in parts)]  # integer codes (the partitioned engine's) are made global there
    tables = ("sessions", "courses", "points", "events")
    new = [{name: getattr(p, name).copy(deep=False) for name in tables} for p in parts]
    for column in columns:
        own = [_as_ids(p.sessions[column]) for p in parts]
        every = pd.concat([pd.Series(ids.categories) for ids in own], ignore_index=True)
        codes, uniques = sorted_codes(every)
        categories = pd.Index(uniques.to_pandas(), dtype="str")
        ends = np.cumsum([len(ids.categories) for ids in own])
        for frames, ids, mapping in zip(new, own, np.split(codes, ends[:-1]), strict=True):
            to = np.append(mapping, -1)  # a missing id stays missing
            for frame in frames.values():
                if column in frame.columns:
                    local = pd.Categorical(frame[column], dtype=ids.dtype)
                    frame[column] = pd.Categorical.from_codes(
                        to[local.codes].astype(np.int32), categories=categories,
                        validate=False)
    return [replace(p, **frames) for p, frames in zip(parts, new, strict=True)]


def _as_ids(values: pd.Series) -> pd.Categorical:
    """An id column as the categorical :func:`build_courses` makes (it is one already)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array
    return id_categorical(*sorted_codes(values))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one under the other (those without rows left out, so dtypes stay)."""
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0].copy()
    return full[0].copy() if len(full) == 1 else pd.concat(full, ignore_index=True)


_N_CONDITIONS = 16  # room for the condition codes in a course key (10 conditions today)


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a categorical column (-1 for missing)."""
    return np.asarray(values.cat.codes, dtype=np.int64)


def course_keys(patient_codes: np.ndarray, condition_codes: np.ndarray) -> np.ndarray:
    """Integer key of each course: its patient's code, then its condition's (sorts as both)."""
    return patient_codes * _N_CONDITIONS + condition_codes


def _course_sessions(sessions: pd.DataFrame, known: dict[str, tuple[np.ndarray, pa.Array]]
                     ) -> tuple[pd.DataFrame, np.ndarray]:
    """Sessions in course order with course_id, k, K, spacing and flags, and each course's
    integer key (patient code, condition code); ``known``: the :func:`sorted_codes` of id
    columns already coded (the patient ids among them).

    Courses are numbered in order of (patient, condition); sessions of a course in date order
    (ties keep the input order). Integer codes are used throughout: sorting and grouping
    strings is what makes this slow on a million rows.
    """
    patient_codes = known[Col.PATIENT_ID][0]
    key = course_keys(patient_codes, _codes(sessions[Col.CONDITION]))
    days = _days(sessions[Col.SESSION_DATE])
    order = key_order(key, days)
    ids = {column: id_categorical(*(known[column] if column in known
                                    else sorted_codes(sessions[column])))
           for column in ID_COLUMNS if column in sessions.columns}
    s = sessions.assign(**ids).iloc[order].reset_index(drop=True)
    key, days = key[order], days[order]
    new_course = np.ones(len(s), dtype=bool)
    new_course[1:] = key[1:] != key[:-1]
    course = np.cumsum(new_course) - 1
    starts = np.flatnonzero(new_course)
    sizes = np.diff(np.append(starts, len(s)))
    s[CourseCol.COURSE_ID] = course
    s[CourseCol.SESSION_NUMBER] = np.arange(len(s)) - starts[course] + 1
    s[CourseCol.N_SESSIONS] = sizes[course]
    spacing = np.diff(days, prepend=days[:1]).astype(float)
    spacing[new_course] = np.nan
    s[CourseCol.SPACING_DAYS] = spacing
    flags = contraindication_flags(s[Col.CONTRAINDICATIONS])
    return pd.concat([s, flags], axis=1), key[starts]


def _first_known(column: pd.Series, starts: np.ndarray) -> pd.Series:
    """Per course (rows start at ``starts``), the first non-missing value of ``column``."""
    n = len(column)
    pos = np.where(column.notna().to_numpy(), np.arange(n), n)
    first = np.minimum.reduceat(pos, starts) if n else pos
    known = first < n
    values = column.take(np.where(known, first, 0)).reset_index(drop=True)
    return values.where(known)


def _course_table(s: pd.DataFrame) -> pd.DataFrame:
    course = s[CourseCol.COURSE_ID].to_numpy()
    starts = np.flatnonzero(np.diff(course, prepend=-1) != 0)
    ends = np.append(starts[1:], len(s))[: len(starts)] - 1
    c = pd.DataFrame({
        CourseCol.COURSE_ID: course[starts],
        Col.PATIENT_ID: s[Col.PATIENT_ID].take(starts).reset_index(drop=True),
        Col.CONDITION: s[Col.CONDITION].take(starts).reset_index(drop=True),
        CourseCol.N_SESSIONS: s[CourseCol.N_SESSIONS].to_numpy()[starts],
        CourseCol.FIRST_DATE: s[Col.SESSION_DATE].take(starts).to_numpy(),
        CourseCol.LAST_DATE: s[Col.SESSION_DATE].take(ends).to_numpy(),
    })
    if len(s):
        setting = _codes(s[Col.SETTING])
        single = np.minimum.reduceat(setting, starts) == np.maximum.reduceat(setting, starts)
        c[Col.SETTING] = s[Col.SETTING].take(starts).reset_index(drop=True).where(single)
    else:
        c[Col.SETTING] = s[Col.SETTING].iloc[:0]
    for column in (Col.CLINIC_ID, Col.FITZPATRICK, Col.AGE_BAND, Col.SEX):
        c[column] = _first_known(s[column], starts) if len(s) else s[column].iloc[:0]
    flag_cols = [flag_column(i) for i in vocabulary("contraindication")]
    if len(s):  # a course's flags: the bits of its sessions' flags or-ed together
        bits = np.packbits(s[flag_cols].to_numpy(), axis=1, bitorder="little")
        any_bits = np.bitwise_or.reduceat(bits, starts, axis=0)
        c[flag_cols] = np.unpackbits(any_bits, axis=1, count=len(flag_cols),
                                     bitorder="little").astype(bool)
    else:
        c[flag_cols] = np.zeros((0, len(flag_cols)), dtype=bool)
    return c


def _as_categorical(values: pd.Series) -> pd.Categorical:
    """A column as a Categorical (the loader's scale column is one already)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array
    return pd.Categorical(values.astype("str"))


def _primary_scale(course: np.ndarray, scale: pd.Categorical, condition: pd.Categorical,
                   pre: np.ndarray, scales: dict[str, Scale]) -> np.ndarray:
    """Code (of ``scale``'s categories) of the primary scale of each course, by course id
    (-1 for a course without assessments): among the scales a course was assessed on
    (``pre``: on or before its first session), the one typically used for its condition,
    then one with a usable baseline, then the one most assessed, then the first by name."""
    names = np.asarray(scale.categories.astype(str), dtype=object)
    codes = np.asarray(scale.codes, dtype=np.int64)
    known = codes >= 0
    key, inverse = unique_keys(course[known] * len(names) + codes[known],
                               (int(course.max(initial=-1)) + 1) * len(names))
    g_course, g_scale = key // len(names), key % len(names)
    n = np.bincount(inverse, minlength=len(key))
    g_pre = np.bincount(inverse, weights=pre[known], minlength=len(key)) > 0
    g_cond = np.zeros(len(key), dtype=np.int64)
    g_cond[inverse] = np.asarray(condition.codes)[known]  # one condition per course
    conditions = list(condition.categories.astype(str))
    table = np.full((len(names), len(conditions)), 99, dtype=np.int64)  # preference rank
    for name, sc in scales.items():
        for i, cond in enumerate(sc.conditions):
            if name in names and cond in conditions:
                table[list(names).index(name), conditions.index(cond)] = i
    change = np.isin(names, [m for m, sc in scales.items() if sc.kind == "change"])
    by_name = np.empty(len(names), dtype=np.int64)
    by_name[sorted(range(len(names)), key=lambda i: names[i])] = np.arange(len(names))
    unusable = ~(g_pre | change[g_scale])  # usable scales sort first
    order = np.lexsort((by_name[g_scale], -n, unusable, table[g_scale, g_cond], g_course))
    first = order[_ends(np.ones(len(order), dtype=bool), g_course[order], last=False)]
    out = np.full(int(course.max(initial=-1)) + 1, -1, dtype=np.int64)
    out[g_course[first]] = g_scale[first]
    return out


def _assessment_points(log: SessionLog, s: pd.DataFrame, c: pd.DataFrame,
                       a_patient: np.ndarray, c_key: np.ndarray):
    """The assessment points of the courses (``a_patient``: the code of each assessment's
    patient among the sessions' patients, -1 for none), the number of assessments that are
    not points, and columns of the points as codes for :func:`_add_outcomes`: the kind of
    each point (of :attr:`Point.ALL`), why its improvement is undefined (of :data:`_REASONS`)
    and its scale (a categorical)."""
    a = log.assessments
    empty = pd.DataFrame({
        CourseCol.COURSE_ID: pd.Series(dtype=int),
        Col.PATIENT_ID: pd.Series(dtype=c[Col.PATIENT_ID].dtype),
        Col.CONDITION: pd.Series(dtype=vocabulary_dtype("condition")),
        CourseCol.POINT: pd.Series(dtype="str"), CourseCol.AFTER_SESSION: pd.Series(dtype=int),
        Col.ASSESSMENT_DATE: pd.Series(dtype="datetime64[ns]"),
        "days_after_last": pd.Series(dtype=float), Col.SCALE: pd.Series(dtype="str"),
        Col.SCORE: pd.Series(dtype=float), CourseCol.IMPROVEMENT: pd.Series(dtype=float),
        CourseCol.UNDEFINED: pd.Series(dtype=object),
    })
    if len(a) == 0 or len(c) == 0:
        return empty, len(a), (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8),
                               pd.Categorical([], categories=[]))
    # the course of each assessment: (patient, condition) looked up by integer key
    a_key = course_keys(a_patient, _codes(a[Col.CONDITION]))
    pos, matched = key_positions(c_key, a_key)
    matched &= a_patient >= 0
    a = pd.DataFrame({
        CourseCol.COURSE_ID: c[CourseCol.COURSE_ID].to_numpy()[pos[matched]],
        Col.CONDITION: a[Col.CONDITION].array[matched],
        Col.ASSESSMENT_DATE: a[Col.ASSESSMENT_DATE].to_numpy()[matched],
        Col.SCALE: _as_categorical(a[Col.SCALE])[matched],
        Col.SCORE: a[Col.SCORE].to_numpy(dtype=float)[matched],
    }, copy=False)
    n_no_course = int((~matched).sum())
    a_course = a[CourseCol.COURSE_ID].to_numpy()
    pre = _days(a[Col.ASSESSMENT_DATE]) <= _days(c[CourseCol.FIRST_DATE])[a_course]
    primary = _primary_scale(a_course, a[Col.SCALE].array, a[Col.CONDITION].array, pre,
                             log.scales)
    a = a[a[Col.SCALE].cat.codes.to_numpy() == primary[a_course]]
    course, when, score, scale = _daily_means(a)
    # k = number of sessions of the course dated strictly before the assessment
    big = np.int64(1) << 22
    s_key = s[CourseCol.COURSE_ID].to_numpy().astype(np.int64) * big + _days(s[Col.SESSION_DATE])
    a_day = _days(when)
    start = np.searchsorted(s_key, course * big, side="left")
    k = np.searchsorted(s_key, course * big + a_day, side="left") - start
    n_sessions = c[CourseCol.N_SESSIONS].to_numpy()[course]
    after_last = (a_day - _days(c[CourseCol.LAST_DATE])[course]).astype(float)
    # rows are in (course, date) order, hence in (course, k) order: each point is the first or
    # the last row of a run of rows of one course (and k) meeting its condition
    at_last = k == n_sessions
    picks = [
        _ends(k == 0, course, last=True),
        _ends((k >= 1) & ~at_last, course * big + k, last=True),
        _ends(at_last & (after_last < FOLLOW_UP_DAYS), course, last=False),
        _ends(at_last & (after_last >= FOLLOW_UP_DAYS), course, last=True),
    ]
    rows = np.concatenate(picks)
    kind = np.repeat(np.arange(len(Point.ALL)), [len(x) for x in picks])
    key = (course[rows] * len(Point.ALL) + kind) * (int(k.max(initial=0)) + 1) + k[rows]
    order = np.argsort(key, kind="stable")  # (course, kind, k): one key, runs already sorted
    rows, kind = rows[order], kind[order]
    # assessments after the last session that are neither end of treatment nor follow-up
    # (later end-of-treatment candidates) are not points; nor are unused between-session ones.
    unassigned = n_no_course + int(len(course) - len(rows))
    ids, is_base = course[rows], kind == 0
    base = np.full(len(c), np.nan)
    base[ids[is_base]] = score[rows[is_base]]
    baseline = base[ids]
    point_score = score[rows]
    point_scale = pd.Series(scale[rows])
    gain = improvement(point_score, baseline, point_scale, log.scales)
    why = _undefined_codes(point_score, baseline, point_scale, log.scales, gain)
    gain[is_base] = np.nan
    why[is_base] = 0
    p = pd.DataFrame({
        CourseCol.COURSE_ID: c[CourseCol.COURSE_ID].to_numpy()[ids],
        Col.PATIENT_ID: c[Col.PATIENT_ID].array.take(ids),
        Col.CONDITION: c[Col.CONDITION].array.take(ids),
        CourseCol.POINT: as_text(pd.Categorical.from_codes(kind, categories=list(Point.ALL))),
        CourseCol.AFTER_SESSION: k[rows],
        Col.ASSESSMENT_DATE: when[rows],
        "days_after_last": np.where(is_base, np.nan, after_last[rows]),
        Col.SCALE: as_text(point_scale.array),
        Col.SCORE: point_score,
        CourseCol.IMPROVEMENT: gain,
        CourseCol.UNDEFINED: as_text(pd.Categorical.from_codes(why, categories=_REASONS)),
    }, copy=False)  # the columns as they are: not stacked into blocks (a copy of each)
    return p, unassigned, (kind, why, point_scale.array)


def _daily_means(a: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Categorical]:
    """Course, date, score and scale of each course's assessments in (course, date) order,
    several of one course on one date (all on one scale) averaged."""
    course = a[CourseCol.COURSE_ID].to_numpy().astype(np.int64)
    when = a[Col.ASSESSMENT_DATE].to_numpy()
    day = when.astype("datetime64[D]")
    # stable: ties keep the input order; dates (the usual) sorted as whole days, at once
    order = (key_order(course, day.astype(np.int64)) if (day == when).all()
             else np.lexsort((when, course)))
    course, when = course[order], when[order]
    score = a[Col.SCORE].to_numpy(dtype=float)[order]
    scale = a[Col.SCALE].array.take(order)
    new = np.ones(len(course), dtype=bool)
    new[1:] = (course[1:] != course[:-1]) | (when[1:] != when[:-1])
    first = np.flatnonzero(new)
    if len(first) < len(course):  # groupby's mean of the few dates assessed more than once
        group = np.cumsum(new) - 1
        many = np.flatnonzero(np.bincount(group) > 1)
        rows = np.isin(group, many)
        means = pd.Series(score[rows]).groupby(group[rows], sort=True).mean()
        score = score[first]
        score[many] = means.to_numpy()
    else:
        score = score[first]
    return course[first], when[first], score, scale.take(first)


def _ends(mask: np.ndarray, group: np.ndarray, *, last: bool) -> np.ndarray:
    """Rows of ``mask`` that are the last (or first) of their run of equal ``group`` among the
    rows of ``mask`` (``groupby(group).tail(1)`` / ``head(1)`` of sorted rows)."""
    rows = np.flatnonzero(mask)
    g = group[rows]
    edge = np.ones(len(rows), dtype=bool)
    if last:
        edge[:-1] = g[1:] != g[:-1]
    else:
        edge[1:] = g[1:] != g[:-1]
    return rows[edge]


def _add_outcomes(c: pd.DataFrame, p: pd.DataFrame,
                  coded: tuple[np.ndarray, np.ndarray, pd.Categorical],
                  bands: dict[str, float]) -> pd.DataFrame:
    """The courses with their scale, baseline, improvements and bands (course ids are the
    courses' positions, as :func:`_course_table` numbers them)."""
    c = c.copy()
    course = p[CourseCol.COURSE_ID].to_numpy()
    kind, reason, scales = coded
    gain = p[CourseCol.IMPROVEMENT].to_numpy(dtype=float)
    k = p[CourseCol.AFTER_SESSION].to_numpy()
    after = kind != 0  # points are in course order: a course's last of them is its latest

    def at(rows: np.ndarray) -> np.ndarray:
        """The row of ``p`` of each course among ``rows`` (one per course), -1 for none."""
        where = np.full(len(c), -1, dtype=np.int64)
        where[course[rows]] = rows
        return where

    def value(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        row = at(rows)
        return np.where(row >= 0, values[np.maximum(row, 0)] if len(values) else np.nan, np.nan)

    first_row = at(_ends(np.ones(len(p), dtype=bool), course, last=False))
    scale = np.asarray(scales.codes, dtype=np.int64)
    c[Col.SCALE] = as_text(pd.Categorical.from_codes(
        np.where(first_row >= 0, scale[np.maximum(first_row, 0)] if len(scale) else -1, -1),
        dtype=scales.dtype))
    c[CourseCol.BASELINE] = value(np.flatnonzero(kind == 0), p[Col.SCORE].to_numpy(dtype=float))
    end = value(np.flatnonzero(kind == 2), gain)
    first_after = value(np.flatnonzero((kind == 1) & (k == 1)), gain)
    # after session 1 of a one-session course is its end of treatment
    one = c[CourseCol.N_SESSIONS].to_numpy() == 1
    c["improvement_after_1"] = np.where(one, end, first_after)
    c["end_improvement"] = end
    follow = value(np.flatnonzero(kind == 3), gain)
    c["follow_up_improvement"] = follow
    latest = value(_ends(after & ~np.isnan(gain), course, last=True), gain)
    # final: follow-up, else end of treatment, else the latest improvement after a session
    final_kind = np.select([~np.isnan(follow), ~np.isnan(end), ~np.isnan(latest)], [3, 2, 1], -1)
    final = np.select([final_kind == 3, final_kind == 2, final_kind == 1],
                      [follow, end, latest], np.nan)
    c["final_improvement"] = final
    c["final_point"] = as_text(pd.Categorical.from_codes(final_kind, categories=list(Point.ALL)))
    # why a course has no final improvement: that of its latest point after a session (they
    # share one baseline), or that it has none
    why_row = at(_ends(after, course, last=True))
    why = np.where(why_row >= 0, reason[np.maximum(why_row, 0)] if len(p) else 0,
                   _REASONS.index(Undefined.NO_ASSESSMENT))
    c[CourseCol.FINAL_MISSING] = as_text(pd.Categorical.from_codes(
        np.where(np.isnan(final), why, 0), categories=_REASONS))
    final = pd.Series(final, index=c.index)
    for band, threshold in bands.items():
        reached = (final >= threshold).astype("boolean")
        reached[final.isna()] = pd.NA
        c[band_column(band)] = reached
    return c


def _events(e: pd.DataFrame, s: pd.DataFrame, code: np.ndarray) -> pd.DataFrame:
    """The events with their session's course and attributes (``code``: the code of each
    event's session among the sessions' ids, -1 for none)."""
    cols = [Col.SESSION_ID, CourseCol.COURSE_ID, Col.PATIENT_ID, Col.CONDITION, Col.SETTING,
            Col.SESSION_DATE, CourseCol.SESSION_NUMBER, CourseCol.SPACING_DAYS, Col.CLINIC_ID,
            Col.OPERATOR_ID, Col.DEVICE, Col.NEEDLE_DEPTH_MM, Col.FITZPATRICK]
    # the session of each event, by position (the loader guarantees it exists)
    sid = s[Col.SESSION_ID].array
    at = np.full(len(sid.categories) + 1, -1, dtype=np.int64)  # last: no session
    at[sid.codes] = np.arange(len(s))
    pos = at[code]
    e = e[pos >= 0].reset_index(drop=True)
    pos = pos[pos >= 0]
    e[Col.SESSION_ID] = sid.take(pos)  # the sessions' categorical: codes shared
    info = s[cols[1:]].take(pos).reset_index(drop=True)
    out = pd.concat([e, info], axis=1)
    resolved = out[Col.RESOLVED_HOURS].to_numpy(dtype=float)
    observed = ~np.isnan(resolved)
    out[CourseCol.DURATION] = np.where(observed, resolved,
                                       out[Col.LAST_CONTACT_HOURS].to_numpy(float))
    out[CourseCol.OBSERVED] = observed
    out[CourseCol.NOTABLE] = (
        out[Col.SEVERITY].isin(NOTABLE_SEVERITIES).to_numpy()
        | out[Col.EVENT].isin(NOTABLE_EVENTS).to_numpy()
    )
    return out


def _add_event_flags(c: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    c = c.copy()
    notable = events.loc[events[CourseCol.NOTABLE], CourseCol.COURSE_ID].unique()
    pih = events.loc[(events[Col.EVENT] == "pih").to_numpy(), CourseCol.COURSE_ID].unique()
    c[CourseCol.NOTABLE] = c[CourseCol.COURSE_ID].isin(notable).to_numpy()
    c["pih"] = c[CourseCol.COURSE_ID].isin(pih).to_numpy()
    return c
