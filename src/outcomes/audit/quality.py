"""Data-quality checks of a bundle, in the harmonized terminology of Kahn et al. (2016).

Every check counts units (rows read, sessions, courses, values) meeting a condition and compares
the percentage with a threshold. Categories follow Kahn MG et al., "A harmonized data quality
assessment terminology and framework for the secondary use of electronic health record data",
eGEMs 4(1):1244, 2016:

conformance
    Do values follow the contract? *value* (types, vocabularies, ranges), *relational* (keys
    between tables).
completeness
    Are the values and records an analysis needs there (baseline and end-of-treatment
    assessments, resolution or last contact of side effects)?
plausibility
    Are values believable? *uniqueness* (duplicates), *atemporal* (ranges of measurements),
    *temporal* (spacing of sessions).

Quarantined rows never vanish: checks on rows read count them as failures, using the loader's
``counts`` and ``rejects`` (the rows as read, with their original text).

The checks, their thresholds and the plausible spacing are set in ``audit.toml``;
:func:`quality_checks` takes them as plain arguments, so this module reads no files.
Courses, baseline, end of treatment and follow-up are those of :mod:`outcomes.courses`, never
re-defined here. Everything is vectorised; nothing loops over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._docs import FRAGMENTS, shared_doc
from ..bundle.log import SessionLog
from ..bundle.schema import SESSIONS, TABLES, aliases, load_scales, vocabulary
from ..courses import FOLLOW_UP_DAYS, Courses, Point
from ..stats.result import Col

__all__ = [
    "Check",
    "CHECKS",
    "CHECK_COLUMNS",
    "AT_LEAST",
    "AT_MOST",
    "PASS",
    "FAIL",
    "NOT_APPLICABLE",
    "IS_ERROR",
    "STATUSES",
    "error_row",
    "quality_checks",
    "check_row",
    "decide_check",
]

AT_LEAST, AT_MOST = "at_least", "at_most"
PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not_applicable"
#: Status of a check that could not run (DataQualityDashboard's "Is Error"); it does not pass.
IS_ERROR = "is_error"
#: Every status, DataQualityDashboard's Passed, Failed, Not Applicable and Is Error.
STATUSES = (PASS, FAIL, NOT_APPLICABLE, IS_ERROR)

#: Columns of every checks table, in this order.
CHECK_COLUMNS = [
    "id", "category", "subcategory", "table", "description", "numerator", "denominator",
    "percentage", "threshold", "direction", "status", "passed",
]


@dataclass(frozen=True)
class Check:
    """One data-quality check: what it counts, and which way its threshold goes.

    Attributes
    ----------
    id : str
        Stable identifier, ``<table>.<what>`` (the key of its threshold in ``audit.toml``).
    category, subcategory : str
        Kahn et al. (2016) category (``conformance``, ``completeness``, ``plausibility``) and
        subcategory (``value``, ``relational``, ``uniqueness``, ``atemporal``, ``temporal``, or
        empty).
    table : str
        The unit counted: ``sessions``, ``assessments``, ``adverse_events`` or ``courses``.
    description : str
        What the numerator counts, and of what (the denominator).
    direction : {"at_least", "at_most"}
        The check passes when the percentage is at least (or at most) its threshold.
    needs : tuple of str
        Input tables the check needs; when the bundle has none of one, the check counts
        nothing and is ``not_applicable``.
    """

    id: str
    category: str
    subcategory: str
    table: str
    description: str
    direction: str
    needs: tuple[str, ...] = ()


def _required(table: str) -> Check:
    return Check(
        f"{table}.required_conformant", "conformance", "value", table,
        f"{table} rows read that were accepted (required fields present and conformant); "
        "quarantined rows are failures", AT_LEAST, (table,))


def _vocab(table: str) -> Check:
    return Check(
        f"{table}.vocabulary_conformant", "conformance", "value", table,
        f"{table} rows read whose every vocabulary value (required or optional) is blank or "
        "in the contract's vocabulary", AT_LEAST, (table,))


def _blanked(table: str) -> Check:
    return Check(
        f"{table}.optional_blanked", "conformance", "value", table,
        f"{table} rows read with an optional value left blank by the loader because it was "
        "out of range or not understood (a warning)", AT_MOST, (table,))


def _complete(id: str, description: str, direction: str, *, needs: str = "assessments") -> Check:
    """A completeness check of the table its id starts with, on a table it needs."""
    return Check(id, "completeness", "", id.partition(".")[0], description, direction, (needs,))


def _range(column: str, what: str) -> Check:
    spec = SESSIONS.column(column)
    lo = "(" if spec.low_open else "["
    hi = ")" if spec.high_open else "]"
    return Check(
        f"sessions.{what}_plausible", "plausibility", "atemporal", "sessions",
        f"{column} values given in the input that lie in {lo}{spec.low:g}, {spec.high:g}{hi} "
        "(out-of-range values were blanked by the loader)", AT_LEAST)


#: Every data-quality check, in report order.
CHECKS: tuple[Check, ...] = (
    *(_required(t) for t in TABLES),
    *(_vocab(t) for t in TABLES),
    *(_blanked(t) for t in TABLES),
    Check("adverse_events.session_unknown", "conformance", "relational", "adverse_events",
          "adverse-event rows read whose session_id names no accepted session (unknown, or "
          "quarantined)", AT_MOST, ("adverse_events",)),
    Check("assessments.no_course", "conformance", "relational", "assessments",
          "accepted assessments whose (patient_id, condition) matches no course", AT_MOST,
          ("assessments",)),
    _complete("sessions.course_baseline",
              "accepted sessions whose course has a baseline assessment on its primary scale "
              "(or is assessed on a change scale such as GAIS, which needs none)", AT_LEAST),
    _complete("adverse_events.resolution_recorded",
              "adverse-event rows read with resolved_hours or last_contact_hours", AT_LEAST,
              needs="adverse_events"),
    _complete("courses.end_or_follow_up",
              "finished courses (last session at least `finished_after_days` before the "
              "bundle's latest date) with an end-of-treatment or follow-up assessment", AT_LEAST),
    _complete("courses.end_within_56_days",
              f"finished courses assessed after their last session whose first such assessment "
              f"came within {FOLLOW_UP_DAYS} days (an end-of-treatment assessment)", AT_LEAST),
    _complete("courses.single_session_unassessed",
              "finished courses with a single session and no assessment at all", AT_MOST),
    Check("sessions.duplicate_id", "plausibility", "uniqueness", "sessions",
          "session rows quarantined for repeating a session_id: a later exact copy of a row, or "
          "every row of a session_id used with different values", AT_MOST),
    Check("sessions.duplicate_visit", "plausibility", "uniqueness", "sessions",
          "accepted sessions with the same patient, condition and date as another accepted "
          "session", AT_MOST),
    Check("sessions.spacing_plausible", "plausibility", "temporal", "sessions",
          "accepted sessions after the first of their course whose spacing lies strictly "
          "between `spacing_min_days` and `spacing_max_days`", AT_LEAST),
    _range(Col.NEEDLE_DEPTH_MM, "depth"),
    _range(Col.DURATION_MIN, "duration"),
    _range(Col.PAIN_VAS, "pain"),
)

_BY_ID = {c.id: c for c in CHECKS}


def decide_check(numerator: int, denominator: int, threshold: float, direction: str):
    """Percentage, status and pass/fail of one check.

    Parameters
    ----------
    numerator, denominator : int
        Units meeting the check's condition, and units it applies to.
    threshold : float
        Percentage (0-100).
    direction : {"at_least", "at_most"}

    Returns
    -------
    tuple
        ``(percentage, status, passed)``: percentage is NaN and status ``not_applicable`` (a
        pass) when the denominator is 0.

    Examples
    --------
    >>> decide_check(99, 100, 99.5, "at_least")
    (99.0, 'fail', False)
    """
    if denominator <= 0:
        return float("nan"), NOT_APPLICABLE, True
    pct = 100.0 * numerator / denominator
    ok = pct >= threshold if direction == AT_LEAST else pct <= threshold
    return pct, (PASS if ok else FAIL), bool(ok)


def check_row(check: Check, numerator: int, denominator: int, threshold: float) -> dict:
    """One row of a checks table (see :data:`CHECK_COLUMNS`)."""
    pct, status, passed = decide_check(numerator, denominator, threshold, check.direction)
    return {
        "id": check.id, "category": check.category, "subcategory": check.subcategory,
        "table": check.table, "description": check.description, "numerator": int(numerator),
        "denominator": int(denominator), "percentage": pct, "threshold": float(threshold),
        "direction": check.direction, "status": status, "passed": passed,
    }


def error_row(check: Check, threshold: float, reason: str) -> dict:
    """The row of a check that could not run: status ``is_error``, not passed, no counts;
    the reason is appended to the description."""
    row = check_row(check, 0, 0, threshold)
    row.update(description=f"{check.description} [could not run: {reason}]",
               status=IS_ERROR, passed=False)
    return row


# ---------------------------------------------------------------------------- helpers
def _count(log: SessionLog, table: str, column: str) -> int:
    if table in log.missing_tables or table not in log.counts.index:
        return 0
    return int(log.counts.loc[table, column])


def _rejects(log: SessionLog, table: str) -> pd.DataFrame:
    df = log.rejects.get(table)
    if df is None:
        return pd.DataFrame({Col.ROW: pd.Series(dtype="int64")})
    return df


def _text(df: pd.DataFrame, column: str) -> pd.Series:
    """Raw text of a rejects column, stripped; blank (or absent) -> NA."""
    if column not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="str")
    s = df[column].astype("str").str.strip()
    return s.where(s.notna() & (s != ""), pd.NA)


def _allowed(kind: str, name: str | None) -> set[str]:
    if kind == "scale":
        return set(load_scales())
    values = set(vocabulary(name))
    return values | set(aliases(name))


def _vocab_bad_rows(log: SessionLog, table: str) -> set:
    """Spreadsheet rows of ``table`` holding a value outside a vocabulary."""
    spec = TABLES[table]
    columns = [c for c in spec.columns if c.kind in ("vocabulary", "list", "scale")]
    names = {c.name for c in columns}
    w = log.warnings
    bad = set()
    if len(w):
        m = (w[Col.TABLE].astype(str) == table) & w[Col.COLUMN].astype(str).isin(names)
        bad |= set(pd.to_numeric(w.loc[m, Col.ROW]).astype("int64").tolist())
    rj = _rejects(log, table)
    if len(rj):
        scales = set(log.scales) if table == "assessments" else set()
        flag = np.zeros(len(rj), dtype=bool)
        for c in columns:
            text = _text(rj, c.name)
            allowed = scales if c.kind == "scale" else _allowed(c.kind, c.vocabulary)
            folded = {a.casefold() for a in allowed}
            if c.kind == "list":  # items separated by ';' or ',', or the word 'none'
                given = text.dropna()
                if not len(given):
                    continue
                items = given.str.split(r"[;,]", regex=True).explode().astype("str").str.strip()
                items = items[items.notna() & (items != "")]
                off = ~items.str.casefold().isin(folded | {"none"})
                hit = off.groupby(level=0).any().reindex(rj.index, fill_value=False)
                flag |= hit.to_numpy(dtype=bool)
            else:
                off = text.notna() & ~text.str.casefold().isin(folded)
                flag |= off.fillna(False).to_numpy(dtype=bool)
        bad |= set(pd.to_numeric(rj[Col.ROW]).astype("int64")[flag].tolist())
    return bad


def _warned(log: SessionLog, table: str, column: str) -> int:
    """Accepted rows of ``table`` whose ``column`` was blanked with a warning."""
    w = log.warnings
    if not len(w):
        return 0
    m = (w[Col.TABLE].astype(str) == table) & (w[Col.COLUMN].astype(str) == column)
    rows = pd.to_numeric(w.loc[m, Col.ROW]).astype("int64")
    accepted = log.table(table)[Col.ROW].to_numpy()
    return int(rows[rows.isin(accepted)].nunique())


def _bundle_end(log: SessionLog) -> pd.Timestamp | None:
    dates = [log.sessions[Col.SESSION_DATE].max()]
    if len(log.assessments):
        dates.append(log.assessments[Col.ASSESSMENT_DATE].max())
    dates = [d for d in dates if pd.notna(d)]
    return max(dates) if dates else None


def _course_keys(*frames: pd.DataFrame) -> list[np.ndarray]:
    """An int64 key per row of each frame, equal exactly when (patient_id, condition) are."""
    patients = pd.concat([f[Col.PATIENT_ID].astype("str") for f in frames], ignore_index=True)
    codes = pd.factorize(patients)[0].astype(np.int64)
    conditions = vocabulary("condition")
    out, start = [], 0
    for f in frames:
        cond = np.asarray(pd.Categorical(f[Col.CONDITION], categories=conditions).codes)
        out.append(codes[start:start + len(f)] * (len(conditions) + 1) + cond + 1)
        start += len(f)
    return out


def _matches(a: pd.DataFrame, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``a``: does a row of ``b`` have its (patient_id, condition)? And per row of
    ``b``, of ``a``?"""
    if not (len(a) and len(b)):
        return np.zeros(len(a), dtype=bool), np.zeros(len(b), dtype=bool)
    ka, kb = _course_keys(a, b)
    return np.isin(ka, kb), np.isin(kb, ka)


def finished_courses(log: SessionLog, courses: Courses, after_days: int) -> pd.Series:
    """Boolean per course (aligned with ``courses.courses``): last session at least
    ``after_days`` days before the latest date of the bundle (sessions and assessments)."""
    end = _bundle_end(log)
    c = courses.courses
    if end is None:
        return pd.Series(False, index=c.index)
    return (end - c[Col.LAST_DATE]).dt.days >= after_days


# ---------------------------------------------------------------------------- the checks
@shared_doc(**FRAGMENTS)
def quality_checks(
    log: SessionLog,
    courses: Courses,
    *,
    thresholds: dict[str, float],
    spacing_days: tuple[float, float] = (0, 365),
    finished_after_days: int = FOLLOW_UP_DAYS,
) -> pd.DataFrame:
    """Run every data-quality check of :data:`CHECKS` on a bundle.

    Parameters
    ----------
    log : SessionLog
        The loaded bundle (accepted tables, rejects, warnings and counts).
    {courses_of_log}
    thresholds : dict of str to float
        Threshold (percentage, 0-100) of every check id.
    spacing_days : (float, float)
        Plausible spacing, exclusive bounds, in days.
    finished_after_days : int
        A course counts as finished when its last session is at least this many days before the
        bundle's latest date; completeness of end-of-treatment assessments is judged on those.

    Returns
    -------
    DataFrame
        One row per check, columns :data:`CHECK_COLUMNS`: ``id``, ``category``,
        ``subcategory``, ``table``, ``description``, ``numerator`` (units meeting the
        description), ``denominator`` (units checked), ``percentage`` (100 x numerator /
        denominator; NaN when there are none), ``threshold`` (percentage), ``direction``
        (``at_least`` / ``at_most``), ``status`` (``pass``, ``fail`` or ``not_applicable`` when
        the denominator is 0, or the bundle has no table the check needs) and ``passed``
        (bool; not-applicable checks pass).

    Raises
    ------
    KeyError
        If a check id has no threshold (the audit configuration supplies them all).
    """
    nums: dict[str, tuple[int, int]] = {}
    s = courses.sessions
    c = courses.courses

    for t in TABLES:
        read = _count(log, t, "read")
        nums[f"{t}.required_conformant"] = (_count(log, t, "accepted"), read)
        nums[f"{t}.vocabulary_conformant"] = (read - len(_vocab_bad_rows(log, t)), read)
        nums[f"{t}.optional_blanked"] = (_count(log, t, "warned"), read)

    # relational conformance
    accepted_ids = pd.Index(log.sessions[Col.SESSION_ID].astype("str"))
    rj = _rejects(log, "adverse_events")
    unknown = _text(rj, Col.SESSION_ID)
    n_unknown = int((~unknown.isin(accepted_ids)).sum()) if len(rj) else 0
    nums["adverse_events.session_unknown"] = (n_unknown, _count(log, "adverse_events", "read"))
    a = log.assessments
    matched, assessed = _matches(a, c)  # assessments with a course; courses assessed
    n_orphan = int((~matched).sum())
    nums["assessments.no_course"] = (n_orphan, len(a))

    # completeness
    change = [name for name, sc in log.scales.items() if sc.kind == "change"]
    has_base = c[Col.BASELINE].notna() | c[Col.SCALE].astype("str").isin(change)
    per_session = has_base.to_numpy()[s[Col.COURSE_ID].to_numpy()] if len(c) else []
    nums["sessions.course_baseline"] = (int(np.sum(per_session)), len(s))

    e = log.adverse_events
    ok_e = int((e[Col.RESOLVED_HOURS].notna() | e[Col.LAST_CONTACT_HOURS].notna()).sum())
    if len(rj):
        ok_e += int((_text(rj, Col.RESOLVED_HOURS).notna()
                     | _text(rj, Col.LAST_CONTACT_HOURS).notna()).sum())
    nums["adverse_events.resolution_recorded"] = (ok_e, _count(log, "adverse_events", "read"))

    finished = finished_courses(log, courses, finished_after_days).to_numpy()
    p = courses.points
    ids = c[Col.COURSE_ID]
    has_end = ids.isin(p.loc[p[Col.POINT] == Point.END, Col.COURSE_ID]).to_numpy()
    has_fu = ids.isin(p.loc[p[Col.POINT] == Point.FOLLOW_UP, Col.COURSE_ID]).to_numpy()
    after = has_end | has_fu
    nums["courses.end_or_follow_up"] = (int((finished & after).sum()), int(finished.sum()))
    nums["courses.end_within_56_days"] = (int((finished & has_end).sum()),
                                          int((finished & after).sum()))
    single = (c[Col.N_SESSIONS].to_numpy() == 1) & ~assessed & finished
    nums["courses.single_session_unassessed"] = (int(single.sum()), int(finished.sum()))

    # uniqueness
    rs = _rejects(log, "sessions")
    rid = _text(rs, Col.SESSION_ID)
    if len(rs):
        all_ids = pd.concat([rid.dropna(), pd.Series(accepted_ids)], ignore_index=True)
        counts = all_ids.value_counts()
        n_dup_id = int(rid.map(counts).fillna(0).gt(1).sum())
    else:
        n_dup_id = 0
    nums["sessions.duplicate_id"] = (n_dup_id, _count(log, "sessions", "read"))
    # sessions of a course are in date order: a same-day visit is a spacing of 0 days
    same_day = s[Col.SPACING_DAYS].to_numpy(dtype=float) == 0
    involved = same_day | np.append(same_day[1:], False)
    nums["sessions.duplicate_visit"] = (int(involved.sum()), len(s))

    # plausibility
    spacing = s[Col.SPACING_DAYS].to_numpy(dtype=float)
    later = ~np.isnan(spacing)
    lo, hi = spacing_days
    ok = later & (spacing > lo) & (spacing < hi)
    nums["sessions.spacing_plausible"] = (int(ok.sum()), int(later.sum()))
    for column, what in ((Col.NEEDLE_DEPTH_MM, "depth"), (Col.DURATION_MIN, "duration"),
                         (Col.PAIN_VAS, "pain")):
        good = int(log.sessions[column].notna().sum())
        nums[f"sessions.{what}_plausible"] = (good, good + _warned(log, "sessions", column))

    missing = set(log.missing_tables)
    rows = [check_row(chk, *((0, 0) if missing & set(chk.needs) else nums[chk.id]),
                      thresholds[chk.id]) for chk in CHECKS]
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
