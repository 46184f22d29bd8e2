"""Who is in the data and how they got into each claim: Table 1 of the cohort and the data flow.

Three tables, released with the report's others (their relations are in :data:`COHORT_RULES`,
so the release hides a small count here and wherever it repeats):

- ``cohort`` — patients, courses and sessions by condition, with an ``all`` row;
- ``characteristics`` — courses and sessions by age band, sex, Fitzpatrick type and setting
  (of the course) and device (of the session), each with an ``all`` row;
- ``flow`` — the data's path, STROBE-style: session rows read, accepted, courses, courses with
  a baseline, courses with a final improvement, then the units each claim rests on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..courses import Courses
from ..output.release import Link, Sum
from ..stats.result import Col

__all__ = ["report_tables", "cohort_table", "characteristics_table", "flow_table", "COHORT_RULES",
           "COHORT_DESCRIPTIONS", "CHARACTERISTICS", "ALL", "NOT_RECORDED"]

#: The total row of the cohort tables.
ALL = "all"
#: The level of a characteristic that was not recorded.
NOT_RECORDED = "not_recorded"
#: Characteristics of Table 1: column -> whether it is read from the sessions (else the courses).
CHARACTERISTICS = {"age_band": False, "sex": False, "fitzpatrick": False, "setting": False,
                   "device": True}
#: Order of the levels of each characteristic (others after these, alphabetically).
_ORDER = {"age_band": ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
          "sex": ["F", "M", "X"], "fitzpatrick": ["I", "II", "III", "IV", "V", "VI"],
          "setting": ["professional", "home"],
          "device": ["pen", "roller", "rf_microneedling", "other"]}

#: Steps of the data flow, in order.
FLOW_STEPS = ("read", "accepted", "courses", "with_baseline", "with_final", "claim")

#: What each table holds (the workbook's README).
COHORT_DESCRIPTIONS = {
    "cohort": "Table 1: patients, courses and sessions by condition (all: the whole cohort)",
    "characteristics": "Table 1: courses and sessions by age band, sex, Fitzpatrick type, "
                       "setting (of the course) and device (of the session)",
    "flow": "The data's path: session rows read and accepted, courses, with a baseline, with "
            "a final improvement, and the units each claim rests on",
}

_COUNTS = ["n_patients", "n_courses", "n_sessions"]

#: Per table, the keyword arguments of :meth:`outcomes.output.release.Release.add`.
COHORT_RULES: dict[str, dict] = {
    "cohort": dict(count_columns=_COUNTS, unit_column=None, rules=[
        Sum("condition", ALL, counts=["n_courses", "n_sessions"]),
        Link("n_courses", "by_condition", "estimate", on={"condition": "condition"},
             other_where={"measure": "n_courses"}),
        Link("n_patients", "by_condition", "estimate", on={"condition": "condition"},
             other_where={"measure": "n_patients"}),
        Link("n_sessions", "input", "n_accepted", where={"condition": ALL},
             other_where={"table": "sessions"})]),
    "characteristics": dict(count_columns=["n_courses", "n_sessions"], unit_column=None, rules=[
        Sum("level", ALL, by="characteristic", counts=["n_courses", "n_sessions"]),
        Link("n_courses", "cohort", "n_courses", where={"level": ALL},
             other_where={"condition": ALL}),
        Link("n_sessions", "cohort", "n_sessions", where={"level": ALL},
             other_where={"condition": ALL})]),
    "flow": dict(count_columns=["n"], unit_column=None, rules=[
        Link("n", "input", "n_read", where={"step": "read"}, other_where={"table": "sessions"}),
        Link("n", "input", "n_accepted", where={"step": "accepted"},
             other_where={"table": "sessions"}),
        Link("n", "cohort", "n_courses", where={"step": "courses"},
             other_where={"condition": ALL}),
        Link("n", "claims", "n", on={"id": "id"}, where={"step": "claim"})]),
}


def cohort_table(courses: Courses) -> pd.DataFrame:
    """Patients, courses and sessions by condition, the whole cohort last (``all``).

    Examples
    --------
    >>> import outcomes
    >>> from outcomes.courses import build_courses
    >>> t = cohort_table(build_courses(outcomes.load_sample()))
    >>> list(t.columns), t["condition"].iloc[-1]
    (['condition', 'n_patients', 'n_courses', 'n_sessions'], 'all')
    >>> int(t["n_sessions"].iloc[:-1].sum()) == int(t["n_sessions"].iloc[-1])
    True
    """
    c, s = courses.courses, courses.sessions
    rows = []
    for condition in sorted(c[Col.CONDITION].dropna().unique()):
        cc = c[c[Col.CONDITION] == condition]
        rows.append({Col.CONDITION: condition, "n_patients": cc[Col.PATIENT_ID].nunique(),
                     "n_courses": len(cc),
                     "n_sessions": int((s[Col.CONDITION] == condition).sum())})
    rows.append({Col.CONDITION: ALL, "n_patients": c[Col.PATIENT_ID].nunique(),
                 "n_courses": len(c), "n_sessions": len(s)})
    return pd.DataFrame(rows, columns=[Col.CONDITION, *_COUNTS])


def _levels(values, column: str) -> list:
    """The levels of ``column`` seen in ``values`` (missing values left out): the known ones in
    their order, then the others as text, alphabetically."""
    seen = list(values)
    order = _ORDER.get(column, [])
    return [v for v in order if v in seen] + sorted(str(v) for v in seen if v not in order)


def _coded(values: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes of ``values`` (-1 where missing) and the distinct values they stand for."""
    codes, uniques = pd.factorize(values)
    return np.asarray(codes), list(pd.Series(uniques).astype(object))


def characteristics_table(courses: Courses) -> pd.DataFrame:
    """Courses and sessions by each characteristic of Table 1 and its levels.

    Age band, sex, Fitzpatrick type and setting are those of the course (its first session);
    the device is the session's, so a course treated with two devices counts under both
    (``n_courses`` is then the courses with a session on that device, and does not add up).

    Examples
    --------
    >>> import outcomes
    >>> from outcomes.courses import build_courses
    >>> t = characteristics_table(build_courses(outcomes.load_sample()))
    >>> list(t.columns)
    ['characteristic', 'level', 'n_courses', 'n_sessions']
    >>> sorted(t["characteristic"].unique())
    ['age_band', 'device', 'fitzpatrick', 'setting', 'sex']
    """
    c, s = courses.courses, courses.sessions
    # each session's course (its row of c), and each course's number of sessions
    course_codes, _ = _coded(s["course_id"])
    n_course_codes = int(course_codes.max()) + 1 if len(course_codes) else 0
    ids = pd.Index(c["course_id"])
    per_course = None
    if ids.is_unique:
        row = ids.get_indexer(s["course_id"])
        per_course = np.bincount(row[row >= 0], minlength=len(c))
    rows = []
    for column, per_session in CHARACTERISTICS.items():
        source = s if per_session else c
        if column not in source:
            continue
        codes, uniques = _coded(source[column])
        for level in [*_levels(uniques, column), NOT_RECORDED]:
            # the codes of the values equal to the level (as ``values == level`` compares)
            match = [-1] if level == NOT_RECORDED else [i for i, v in enumerate(uniques)
                                                        if v == level]
            hit = np.isin(codes, match)
            if per_session:
                mine = course_codes[hit]
                n_courses = int(np.count_nonzero(np.bincount(mine[mine >= 0],
                                                             minlength=n_course_codes)))
                n_sessions = int(np.count_nonzero(hit))
            else:
                n_courses = int(np.count_nonzero(hit))
                if per_course is not None:
                    n_sessions = int(per_course[hit].sum())
                else:  # a course id on several rows: its sessions counted once
                    n_sessions = int(s["course_id"].isin(set(c.loc[hit, "course_id"])).sum())
            if level == NOT_RECORDED and n_courses == 0 and n_sessions == 0:
                continue
            rows.append({"characteristic": column, "level": level, "n_courses": n_courses,
                         "n_sessions": n_sessions})
        rows.append({"characteristic": column, "level": ALL, "n_courses": len(c),
                     "n_sessions": len(s)})
    return pd.DataFrame(rows, columns=["characteristic", "level", "n_courses", "n_sessions"])


def flow_table(courses: Courses, input_table: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """The data's path from the rows read to the units of each claim.

    Parameters
    ----------
    courses : Courses
    input_table : DataFrame
        The report's ``input`` table (rows read and accepted per table).
    claims : DataFrame
        The claims table (``id``, ``n``, ``unit``).

    Returns
    -------
    DataFrame
        ``step`` (one of :data:`FLOW_STEPS`), ``id`` (the claim's id on claim rows), ``n`` and
        ``unit``.

    Examples
    --------
    >>> import outcomes
    >>> from outcomes.courses import build_courses
    >>> import pandas as pd
    >>> inp = pd.DataFrame({"table": ["sessions"], "n_read": [12], "n_accepted": [10]})
    >>> cl = pd.DataFrame({"id": ["a"], "n": [4], "unit": ["courses"]})
    >>> flow_table(build_courses(outcomes.load_sample()), inp, cl)["step"].tolist()
    ['read', 'accepted', 'courses', 'with_baseline', 'with_final', 'claim']
    """
    c = courses.courses
    sessions = input_table[input_table["table"] == "sessions"]
    read = int(sessions["n_read"].iloc[0]) if len(sessions) else len(courses.sessions)
    accepted = int(sessions["n_accepted"].iloc[0]) if len(sessions) else len(courses.sessions)
    baseline = int(c["baseline"].notna().sum()) if "baseline" in c else 0
    final = int(c["final_improvement"].notna().sum()) if "final_improvement" in c else 0
    rows = [("read", "", read, "sessions"), ("accepted", "", accepted, "sessions"),
            ("courses", "", len(c), "courses"), ("with_baseline", "", baseline, "courses"),
            ("with_final", "", final, "courses")]
    for row in claims.itertuples():
        n = pd.to_numeric(pd.Series([row.n]), errors="coerce").iloc[0]
        rows.append(("claim", row.id, 0 if pd.isna(n) else int(n), row.unit))
    return pd.DataFrame(rows, columns=["step", "id", "n", "unit"])


def report_tables(results, *, include_patient_rows: bool = False) -> dict[str, pd.DataFrame]:
    """The report's tables: :meth:`outcomes.analysis.Results.tables` with Table 1 and the flow
    after ``input`` (what :func:`~outcomes.report.relations.report_release` releases)."""
    tables = results.tables(include_patient_rows=include_patient_rows)
    ours = {"cohort": cohort_table(results.courses),
            "characteristics": characteristics_table(results.courses),
            "flow": flow_table(results.courses, tables["input"], tables["claims"])}
    out = {}
    for name, table in tables.items():
        out[name] = table
        if name == "input":
            out.update(ours)
    out.update({k: v for k, v in ours.items() if k not in out})
    return out
