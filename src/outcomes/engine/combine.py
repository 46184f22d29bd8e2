"""Combining the buckets' claims courses one bucket at a time, each column filled in place.

With ``keep="claims"`` (``outcomes claims``) each bucket's task keeps only the columns the
claims read, with ids as integer codes (:func:`coded`), writes them to a file in its bucket's
folder (:func:`store`) and sends back only what the order of the combined rows needs
(:class:`Stored`: each course's patient and condition, the rows of each course, the events'
original row numbers). :func:`combined` then works out where every row of every bucket goes
— the order of :func:`~outcomes.courses.combine_courses` — allocates each column of the
combined tables once, and reads the buckets back one at a time, copying each bucket's rows to
their places before the next is read. So the combined rows are held once, beside one bucket:
neither the buckets' rows all at once nor the combined rows twice (a concatenation and its
reordering), as putting them one under the other would.

The result equals :func:`~outcomes.courses.combine_courses` of the buckets' coded courses with
their codes made global (patients in order of their ids over the whole bundle, sessions
numbered on from bucket to bucket), as :func:`combined_in_memory` computes it — which is
what is done when the buckets' tables do not have the same columns and types.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..bundle.codes import sorted_codes
from ..bundle.schema import Col
from ..courses import CourseCol, Courses, combine_courses, course_keys

__all__ = ["CATEGORIES", "TABLES", "Stored", "coded", "store", "combined", "combined_in_memory"]

#: The tables of :class:`~outcomes.courses.Courses` that are combined.
TABLES = ("sessions", "courses", "points", "events")
#: Text columns of the claims' courses held as categories (a handful of distinct values).
CATEGORIES = (CourseCol.POINT, CourseCol.UNDEFINED, CourseCol.FINAL_MISSING,
              Col.CONTRAINDICATIONS)


@dataclass(frozen=True)
class Stored:
    """One bucket's coded courses, written to ``path``, and what their order needs.

    ``patients`` are the bucket's patient ids, sorted (a pyarrow array: the codes of its
    ``patient_id`` columns index them); ``patient`` and ``condition`` the codes of each course;
    ``per_course`` the rows of each course in ``sessions`` and ``points``; ``rows`` the events'
    original row numbers; ``dtypes`` every table's columns and types; ``categories`` the
    categories of :data:`CATEGORIES` seen.
    """

    path: Path
    patients: object
    sizes: dict
    patient: np.ndarray
    condition: np.ndarray
    per_course: dict
    rows: np.ndarray
    dtypes: dict
    categories: dict
    unassigned: int
    bands: dict
    missing_tables: tuple


def coded(courses: Courses):
    """The slim courses in compact form: patient ids as int32 codes in order of the ids
    (with the sorted ids returned), session ids as int32 codes (-1 for an event whose session
    is not among the sessions), a few text columns as categories. The statistics see the same
    groups, orders and counts."""
    import pyarrow as pa

    # build_courses's patient ids are categoricals of the sorted ids, one set of categories
    # for the four tables: their codes are the codes in id order
    ids = courses.sessions[Col.PATIENT_ID]
    patients = pa.array(ids.cat.categories.to_numpy(dtype=object), type=pa.large_string())
    sessions = pd.Index(courses.sessions[Col.SESSION_ID])

    def code(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame[Col.PATIENT_ID] = frame[Col.PATIENT_ID].cat.codes.to_numpy().astype(np.int32)
        if Col.SESSION_ID in frame:
            frame[Col.SESSION_ID] = sessions.get_indexer(frame[Col.SESSION_ID]).astype(np.int32)
        for column in CATEGORIES:
            if column in frame and not isinstance(frame[column].dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype("category")
        return frame

    return replace(courses, **{n: code(getattr(courses, n)) for n in TABLES}), patients


def store(courses: Courses, patients, path: Path) -> Stored:
    """Write a bucket's :func:`coded` courses to ``path``; return what :func:`combined` needs
    of them."""
    path = Path(path)
    with open(path, "wb") as fh:
        pickle.dump(courses, fh, protocol=pickle.HIGHEST_PROTOCOL)
    c = courses.courses
    n = len(c)
    # a course's id is its position among the bucket's courses
    per_course = {name: np.bincount(getattr(courses, name)[CourseCol.COURSE_ID].to_numpy(
        dtype=np.int64), minlength=n).astype(np.int64) for name in ("sessions", "points")}
    categories = {}
    for column in CATEGORIES:
        seen = set()
        for name in TABLES:
            frame = getattr(courses, name)
            if column in frame:
                seen.update(frame[column].cat.categories)
        categories[column] = seen
    return Stored(path, patients, {name: len(getattr(courses, name)) for name in TABLES},
                  c[Col.PATIENT_ID].to_numpy(dtype=np.int64),
                  np.asarray(c[Col.CONDITION].cat.codes, dtype=np.int64), per_course,
                  courses.events[Col.ROW].to_numpy(dtype=np.int64),
                  {name: dict(getattr(courses, name).dtypes) for name in TABLES}, categories,
                  int(courses.unassigned_assessments), dict(courses.bands),
                  tuple(courses.missing_tables))


def _load(stored: Stored) -> Courses:
    with open(stored.path, "rb") as fh:
        courses = pickle.load(fh)
    stored.path.unlink()  # read once
    return courses


def _ranks(stored: list[Stored]) -> list[np.ndarray]:
    """Each bucket's patients by their rank among all (a patient in two buckets keeps one
    code)."""
    import pyarrow as pa

    every = pa.chunked_array([s.patients for s in stored]).combine_chunks()
    rank = sorted_codes(pd.Series(every.to_pandas()))[0].astype(np.int32)
    ends = np.cumsum([len(s.patients) for s in stored])
    return np.split(rank, ends[:-1])


def _categories(stored: list[Stored]) -> dict[str, list]:
    return {column: sorted(set().union(*(s.categories[column] for s in stored)))
            for column in CATEGORIES}


def _globally_coded(courses: Courses, local: np.ndarray, offset: int,
                    categories: dict[str, list]) -> Courses:
    """A bucket's coded courses with global patient codes (``local``: the global code of each
    of its patients), session codes ``offset`` on, and the categories of every bucket."""
    def glob(frame: pd.DataFrame) -> pd.DataFrame:
        # in place: the bucket's frames are this function's own (no second copy of them)
        frame[Col.PATIENT_ID] = local[frame[Col.PATIENT_ID].to_numpy()]
        if Col.SESSION_ID in frame:
            codes = frame[Col.SESSION_ID].to_numpy()
            frame[Col.SESSION_ID] = np.where(codes >= 0, codes + offset, -1).astype(np.int32)
        for column, cats in categories.items():
            if column in frame:
                frame[column] = frame[column].cat.set_categories(cats)
        return frame

    return replace(courses, **{n: glob(getattr(courses, n)) for n in TABLES})


def combined_in_memory(stored: list[Stored]) -> Courses:
    """:func:`~outcomes.courses.combine_courses` of the buckets' courses, all read at once."""
    ranks, categories = _ranks(stored), _categories(stored)
    offsets = np.concatenate([[0], np.cumsum([s.sizes["sessions"] for s in stored])])
    parts = [_globally_coded(_load(s), r, int(o), categories)
             for s, r, o in zip(stored, ranks, offsets[:-1], strict=True)]
    out = combine_courses(parts)  # the events in row order: their row numbers let go
    return _compact(replace(out, events=out.events.drop(columns=[Col.ROW])))


def _id_type(n: int) -> type:
    return np.int32 if n < np.iinfo(np.int32).max else np.int64


def _compact(courses: Courses) -> Courses:
    """Course ids and session numbers as int32 (while they fit): the same values."""
    kind = _id_type(len(courses.courses))
    tables = {}
    for name in TABLES:
        frame = getattr(courses, name)
        small = {CourseCol.COURSE_ID: kind}
        if CourseCol.AFTER_SESSION in frame and len(frame) and (
                frame[CourseCol.AFTER_SESSION].max() < np.iinfo(np.int32).max):
            small[CourseCol.AFTER_SESSION] = np.int32
        tables[name] = frame.astype({c: t for c, t in small.items() if c in frame})
    return replace(courses, **tables)


def _same_types(stored: list[Stored]) -> bool:
    """Whether every bucket's tables have the same columns and types (the categories of
    :data:`CATEGORIES` aside, made the same)."""
    for name in TABLES:
        seen = [s.dtypes[name] for s in stored if s.sizes[name]]
        for dtypes in seen[1:]:
            if list(dtypes) != list(seen[0]):
                return False
            for column, dtype in dtypes.items():
                if column not in CATEGORIES and dtype != seen[0][column]:
                    return False
    return True


def _event_rows(stored: list[Stored]) -> np.ndarray:
    """The events' original row numbers over every bucket, sorted."""
    rows = np.concatenate([s.rows for s in stored])
    if len(rows) and rows.max() < np.iinfo(np.int32).max:
        rows = rows.astype(np.int32)
    rows.sort()
    return rows


class _Column:
    """One column of a combined table, allocated once and filled bucket by bucket."""

    def __init__(self, values, n: int):
        self.dtype = values.dtype
        if isinstance(self.dtype, pd.CategoricalDtype):
            self.kind, self.data = "category", np.empty(n, dtype=values.cat.codes.dtype)
        elif isinstance(values.array, pd.arrays.BooleanArray | pd.arrays.IntegerArray
                        | pd.arrays.FloatingArray):
            self.kind = "masked"
            self.data = np.empty(n, dtype=values.array._data.dtype)
            self.mask = np.empty(n, dtype=bool)
        elif isinstance(self.dtype, np.dtype):
            self.kind, self.data = "numpy", np.empty(n, dtype=self.dtype)
        else:  # any other type: the buckets' values kept, put in place at the end
            self.kind, self.parts, self.at = "other", [], []

    def fill(self, where: np.ndarray, values: pd.Series) -> None:
        if self.kind == "category":
            self.data[where] = values.cat.codes.to_numpy()
        elif self.kind == "masked":
            self.data[where] = values.array._data
            self.mask[where] = values.array._mask
        elif self.kind == "numpy":
            self.data[where] = values.to_numpy()
        else:
            self.parts.append(values.reset_index(drop=True))
            self.at.append(where)

    def array(self):
        if self.kind == "category":
            return pd.Categorical.from_codes(self.data, dtype=self.dtype, validate=False)
        if self.kind == "masked":
            return type(pd.array([], dtype=self.dtype))(self.data, self.mask)
        if self.kind == "numpy":
            return self.data
        values = pd.concat(self.parts, ignore_index=True)
        return values.take(np.argsort(np.concatenate(self.at), kind="stable")).array


def _in_course_order(new_course: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a bucket's table in order of their (new) course, and the place of each of
    them in the combined table: its course's first place (``starts``) on, in the bucket's
    order within the course (a course is in one bucket only)."""
    order = np.argsort(new_course, kind="stable")
    course = new_course[order]
    n = len(course)
    first = np.ones(n, dtype=bool)
    first[1:] = course[1:] != course[:-1]
    run_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    return order, starts[course] + (np.arange(n) - run_start)


def combined(stored: list[Stored]) -> Courses:
    """The combined claims courses of the buckets' :class:`Stored` courses (module notes); the
    buckets' files are read once each, and removed."""
    event_rows = _event_rows(stored)
    if not _same_types(stored) or np.any(event_rows[1:] <= event_rows[:-1]):
        del event_rows
        return combined_in_memory(stored)
    ranks, categories = _ranks(stored), _categories(stored)
    # courses: in order of the patient's rank over the bundle and condition (combine_courses)
    keys = np.concatenate([course_keys(r[s.patient].astype(np.int64), s.condition)
                           for s, r in zip(stored, ranks, strict=True)])
    order = np.argsort(keys, kind="stable")
    del keys
    new_id = np.empty(len(order), dtype=np.int64)
    new_id[order] = np.arange(len(order))
    del order
    n_courses = len(new_id)
    course_off = np.concatenate([[0], np.cumsum([s.sizes["courses"] for s in stored])])
    session_off = np.concatenate([[0], np.cumsum([s.sizes["sessions"] for s in stored])])
    starts = {}
    for name in ("sessions", "points"):
        counts = np.zeros(n_courses, dtype=np.int64)
        for s, off in zip(stored, course_off[:-1], strict=True):
            counts[new_id[off: off + s.sizes["courses"]]] = s.per_course[name]
        starts[name] = np.concatenate([[0], np.cumsum(counts)[:-1]])
    totals = {name: sum(s.sizes[name] for s in stored) for name in TABLES}
    columns: dict[str, dict[str, _Column]] = {name: {} for name in TABLES}
    template: dict[str, pd.DataFrame] = {}  # each table's columns and types, without rows
    for s, local, c_off, s_off in zip(stored, ranks, course_off[:-1], session_off[:-1],
                                      strict=True):
        part = _globally_coded(_load(s), local, int(s_off), categories)
        ids = new_id[c_off: c_off + s.sizes["courses"]]
        for name in TABLES:
            frame = getattr(part, name)
            if name == "events":
                frame = frame.drop(columns=[Col.ROW])
            if name not in template or (len(frame) and not columns[name]):
                template[name] = frame.iloc[:0].copy()
            if not len(frame):
                continue
            course = ids[frame[CourseCol.COURSE_ID].to_numpy(dtype=np.int64)]
            take = None
            if name == "courses":
                where = ids
            elif name == "events":
                where = np.searchsorted(event_rows, s.rows)
            else:
                take, where = _in_course_order(course, starts[name])
            for column in frame.columns:
                if column == CourseCol.COURSE_ID and name != "events":
                    continue  # numbered at the end
                if column == CourseCol.COURSE_ID:
                    values = pd.Series(course.astype(_id_type(n_courses)))
                else:
                    values = frame[column] if take is None else frame[column].take(take)
                if column not in columns[name]:
                    columns[name][column] = _Column(values, totals[name])
                columns[name][column].fill(where, values)
                del values
        del part, frame
    del event_rows
    tables = {}
    for name in TABLES:
        frame = template[name]
        if not totals[name]:  # as combine_courses: the first bucket's columns, ids numbered
            tables[name] = frame.assign(**{CourseCol.COURSE_ID: np.zeros(0, np.int64)})
            continue
        data = {}
        for column in frame.columns:
            if column == CourseCol.COURSE_ID and name == "courses":
                data[column] = np.arange(n_courses, dtype=_id_type(n_courses))
            elif column == CourseCol.COURSE_ID and name != "events":
                data[column] = np.repeat(np.arange(n_courses, dtype=_id_type(n_courses)),
                                         np.diff(np.append(starts[name], totals[name])))
            else:
                data[column] = columns[name].pop(column).array()
        tables[name] = pd.DataFrame(data, columns=frame.columns, copy=False)
    first = stored[0]
    return _compact(Courses(tables["sessions"], tables["courses"], tables["points"],
                            tables["events"], first.bands, int(sum(s.unassigned for s in stored)),
                            first.missing_tables))
