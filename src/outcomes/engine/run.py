"""Running the analysis on a partitioned bundle: one bucket at a time, or on a Dask cluster.

The **partitioned** engine splits the bundle by patient with DuckDB
(:mod:`outcomes.engine.partition`), then runs the existing kernels on each bucket — the loader
with every check of the data contract (:func:`~outcomes.bundle.load.load_raw`, the rows read
straight from the split) and
:func:`outcomes.build_courses` — and combines them. The **dask** engine runs the same bucket
function on a Dask distributed cluster (``scheduler`` an address such as
``tcp://10.0.0.5:8786``; without one a ``LocalCluster`` is started in this process).

What is combined, and how (exact in every case):

* **Rows of the analysis** — the courses, sessions, assessment points and adverse events of
  :class:`~outcomes.courses.Courses` — are combined by
  :func:`~outcomes.courses.combine_courses`: the buckets' rows one under the other, renumbered
  and ordered as :func:`~outcomes.courses.build_courses` orders those of the whole bundle. The
  statistics (every claim's estimate, interval and verdict, with their cluster-robust variances,
  Kaplan–Meier curves and medians) then run once on those rows, so they are the in-memory
  statistics themselves, not an approximation.
* **Counts** of the loader (rows read, accepted, quarantined, warned) are sums over the buckets
  (a row is in one bucket only); **rejects** and **warnings** are the buckets' ones, one under
  the other in order of the original row numbers (warnings about the header, the same in every
  bucket, once); the **checksums** are those of the original files.

The accepted tables themselves are not kept in the combined
:class:`~outcomes.bundle.log.SessionLog` (its ``sessions``, ``assessments`` and
``adverse_events`` have the columns and no rows): what the statistics need is in the courses.
So memory is bounded by one bucket's loading plus the analysis rows, not by the bundle.
With ``keep="claims"`` (``outcomes claims``) the analysis rows are only the columns the
claims read, with integer codes for the ids (:func:`slim_courses`, :data:`CLAIMS_COLUMNS`):
about a third of the memory of the full rows. Each bucket's task then writes them to a file in
its bucket's folder, and :func:`outcomes.engine.combine.combined` reads them back one bucket at
a time into columns allocated once: the combined rows are held once, beside one bucket.
"""

from __future__ import annotations

import os
import sys
import tempfile
import types
import warnings
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..bundle.load import load_raw, warn_summary
from ..bundle.log import SessionLog
from ..bundle.memory import release_memory
from ..bundle.schema import TABLES, Col, Scale, load_scales
from ..courses import (
    DEFAULT_BANDS,
    ID_COLUMNS,
    CourseCol,
    Courses,
    build_courses,
    combine_courses,
)
from ..errors import DataQualityWarning, ParameterError
from .choose import AUTO_BYTES, ENGINES, choose_engine
from .combine import Stored, coded, combined, store
from .partition import SESSIONS_PER_BUCKET, Partitioned, partition_bundle

__all__ = ["ENGINES", "AUTO_BYTES", "CLAIMS_COLUMNS", "PROCESS_SESSIONS", "choose_engine",
           "load_courses", "slim_courses", "claims_columns", "without_rows", "workers_for"]

#: The columns of each :class:`~outcomes.courses.Courses` table that the claims catalogue's
#: statistics read (estimands, their groups and confounders, sensitivity views), besides every
#: ``flag_<item>`` and reached-band column and each claim's own ``column``: what
#: ``keep="claims"`` keeps of each bucket's courses. ``row`` orders the combined events (and
#: is dropped then).
CLAIMS_COLUMNS = {
    "sessions": (CourseCol.COURSE_ID, Col.PATIENT_ID, Col.SESSION_ID, Col.CONDITION, Col.SETTING,
                 Col.FITZPATRICK, Col.AGE_BAND, Col.CONTRAINDICATIONS, Col.DURATION_MIN,
                 Col.PAIN_VAS),
    "courses": (CourseCol.COURSE_ID, Col.PATIENT_ID, Col.CONDITION, Col.SETTING,
                Col.FITZPATRICK, Col.AGE_BAND, CourseCol.N_SESSIONS,
                CourseCol.BASELINE_SEVERITY, "end_improvement", "follow_up_improvement",
                "final_improvement", CourseCol.FINAL_MISSING, CourseCol.NOTABLE),
    "points": (CourseCol.COURSE_ID, Col.PATIENT_ID, Col.CONDITION, CourseCol.POINT,
               CourseCol.AFTER_SESSION, CourseCol.IMPROVEMENT, CourseCol.UNDEFINED),
    "events": (Col.ROW, CourseCol.COURSE_ID, Col.PATIENT_ID, Col.SESSION_ID, Col.EVENT,
               Col.ONSET_HOURS, CourseCol.DURATION, CourseCol.OBSERVED),
}


@dataclass(frozen=True)
class _Task:
    split: Partitioned
    folder: Path
    scales: dict[str, Scale]
    conditions: tuple[str, ...] | None
    bands: dict[str, float] | None
    keep: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Part:
    log: SessionLog
    courses: Courses | None
    stored: Stored | None = None  # with keep: the bucket's courses, in a file (combine.store)


def _bucket(task: _Task) -> _Part:
    """Read one bucket from the split, load it (its rows keep their original row numbers),
    build its courses."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = load_raw(task.split.read_bucket(task.folder), scales=task.scales)
    courses = None
    if task.bands is not None:
        analysed = log.filter(condition=list(task.conditions)) if task.conditions else log
        courses = build_courses(analysed, bands=task.bands)
        if task.keep is not None:
            courses, patients = coded(slim_courses(courses, task.keep))
            task.folder.mkdir(parents=True, exist_ok=True)  # the bucket's own folder
            stored = store(courses, patients, task.folder / "claims_courses.pickle")
            part = _Part(without_rows(log), None, stored)
            del log, analysed, courses
            release_memory()
            return part
    return _Part(without_rows(log), courses)


def claims_columns(catalogue) -> tuple[str, ...]:
    """The extra columns the claims of ``catalogue`` name (their ``column`` parameters).

    >>> from outcomes.claims.catalogue import load_catalogue
    >>> "contraindications" in claims_columns(load_catalogue())
    True
    """
    return tuple(sorted({str(c.parameters["column"]) for c in catalogue.claims
                         if "column" in c.parameters}))


def slim_courses(courses: Courses, extra: Iterable[str] = ()) -> Courses:
    """The courses with only the columns the claims read (:data:`CLAIMS_COLUMNS`, every
    ``flag_``/``reached_`` column, and ``extra``), for an evaluation that keeps only the verdicts.

    >>> from outcomes import load_sample
    >>> c = slim_courses(build_courses(load_sample()))
    >>> "clinic_id" in c.sessions, "final_improvement" in c.courses
    (False, True)
    """
    extra = tuple(extra)

    def kept(name: str, frame: pd.DataFrame) -> pd.DataFrame:
        wanted = set(CLAIMS_COLUMNS[name]) | set(extra)
        return frame[[c for c in frame.columns if c in wanted
                      or str(c).startswith(("flag_", "reached_"))]]

    return replace(courses, **{name: kept(name, getattr(courses, name))
                               for name in CLAIMS_COLUMNS})


def without_rows(log: SessionLog) -> SessionLog:
    """The log with its tables' columns and none of their rows (counts, rejects, warnings and
    checksums kept).

    What the statistics read of the rows is in the courses: once they are built, an analysis
    given them (``analyse(..., courses=)``, ``outcomes report``, the engines) lets the rows go.

    >>> from outcomes import load_sample
    >>> log = without_rows(load_sample())
    >>> len(log.sessions), int(log.counts.loc["sessions", "read"])
    (0, 1591)
    """
    return replace(log, sessions=_no_rows(log.sessions), assessments=_no_rows(log.assessments),
                   adverse_events=_no_rows(log.adverse_events))


def _no_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's columns and none of its rows, holding nothing of the rows: made anew (a
    slice, even copied, may keep the whole table's arrow buffers), without the categories of
    id columns (only a vocabulary's are kept)."""
    columns = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.CategoricalDtype) and column in ID_COLUMNS:
            dtype = pd.CategoricalDtype(dtype.categories[:0], ordered=dtype.ordered)
        columns[column] = pd.Series([], dtype=dtype, name=column)
    return pd.DataFrame(columns, columns=frame.columns)



#: Sessions from which the partitioned engine runs its buckets in worker processes (below it a
#: worker's start, about a second of imports, costs more than it saves).
PROCESS_SESSIONS = 2 * SESSIONS_PER_BUCKET


def workers_for(sessions: int, workers: int | None = None) -> int:
    """Worker processes of the partitioned engine for a bundle of ``sessions`` sessions: the
    machine's cores (at most 4: each holds a bucket) from :data:`PROCESS_SESSIONS` on, else 1;
    ``workers`` given, that.

    >>> workers_for(1000), workers_for(1000, workers=2)
    (1, 2)
    """
    if workers is not None:
        if int(workers) < 1:
            raise ParameterError(f"workers must be 1 or more; got {workers!r}.")
        return int(workers)
    if sessions < PROCESS_SESSIONS:
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1))


@contextmanager
def _caller_script_left_alone():
    """While workers are spawned: a ``__main__`` with no file, so that they do not run the
    caller's script again.

    A spawned process imports the ``__main__`` of the process that starts it, so a script
    that calls :func:`~outcomes.engine.evaluate.evaluate_bundle` at its top level, without
    ``if __name__ == "__main__":``, would run again in every worker (and multiprocessing
    refuses it). The workers need only this package; with no file behind ``__main__`` (as in
    an interactive session) multiprocessing leaves it alone.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _map(func: Callable, tasks: list, engine: str, scheduler: str | None,
         workers: int = 1) -> list:
    """``[func(t) for t in tasks]``: here, in ``workers`` processes, or on a Dask cluster.

    Worker processes are spawned (not forked: the threads of a notebook's kernel, or of
    pyarrow, would be copied mid-flight), and the results come back in the order of ``tasks``.
    """
    if engine != "dask":
        if workers <= 1 or len(tasks) <= 1:
            return [func(t) for t in tasks]
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            with _caller_script_left_alone():  # the workers are started by the submissions
                futures = [pool.submit(func, t) for t in tasks]
            return [f.result() for f in futures]
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            return client.gather(client.map(func, tasks, pure=False))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        return client.gather(client.map(func, tasks, pure=False))


def _combined_log(parts: list[SessionLog], split: Partitioned) -> SessionLog:
    first = parts[0]
    rejects = {}
    for name in TABLES:
        frames = [p.rejects[name] for p in parts if len(p.rejects[name])]
        frame = pd.concat(frames, ignore_index=True) if frames else first.rejects[name]
        rejects[name] = frame.sort_values(Col.ROW, kind="stable", ignore_index=True)
    frames = [p.warnings for p in parts if len(p.warnings)]
    w = pd.concat(frames, ignore_index=True) if frames else first.warnings
    if len(w):
        header = w[Col.ROW] <= 1
        w = pd.concat([w[header].drop_duplicates(), w[~header]], ignore_index=True)
        order = {name: i for i, name in enumerate(TABLES)}
        key = w[Col.TABLE].map(order).fillna(len(order)).to_numpy() * 1e12 + w[Col.ROW]
        w = w.take(np.argsort(key.to_numpy() if hasattr(key, "to_numpy") else key,
                              kind="stable")).reset_index(drop=True)
    counts = sum((p.counts for p in parts[1:]), first.counts)
    return replace(first, rejects=rejects, warnings=w, counts=counts.astype(np.int64),
                   checksums=dict(split.checksums), source=split.source,
                   missing_tables=split.missing)


def load_courses(path, *, engine: str = "partitioned", scheduler: str | None = None,
                 scales=None, conditions: Iterable[str] | None = None,
                 bands: dict[str, float] | None = None, workdir: str | Path | None = None,
                 buckets: int | None = None, courses: bool = True,
                 keep: Iterable[str] | None = None,
                 workers: int | None = None) -> tuple[SessionLog, Courses | None]:
    """Load a bundle folder and build its courses with the partitioned or the dask engine.

    Parameters
    ----------
    path : str or Path
        A bundle folder of CSV or Parquet tables.
    engine : {"partitioned", "dask"}
    scheduler : str, optional
        With ``engine="dask"``: the address of a Dask scheduler; default a ``LocalCluster``
        of two workers in this process.
    scales : path or dict, optional
        As for :func:`outcomes.load_bundle`.
    conditions : iterable of str, optional
        Build the courses of these conditions only.
    bands : dict, optional
        Improvement bands (default :data:`~outcomes.courses.DEFAULT_BANDS`).
    workdir : str or Path, optional
        Where the buckets are written (on a cluster: storage every worker reads); default a
        temporary folder, removed afterwards.
    buckets : int, optional
        Number of buckets (default: one per 250,000 sessions).
    courses : bool
        False: only load and check (``outcomes validate``); the courses are then ``None``.
    keep : iterable of str, optional
        Keep of each bucket's courses only the columns the claims read (:func:`slim_courses`)
        and these; default every column.
    workers : int, optional
        With ``engine="partitioned"``: processes the buckets are loaded in, side by side
        (default :func:`workers_for`: the cores, from 500,000 sessions on; 1 runs them here, one
        after the other). The results are the same whichever the number.

    Returns
    -------
    log : SessionLog
        The combined counts, rejects, warnings and checksums (module notes); its tables have
        no rows.
    courses : Courses or None
    """
    if engine not in ("partitioned", "dask"):
        raise ParameterError(f"load_courses(): engine must be 'partitioned' or 'dask', got "
                             f"{engine!r}.")
    scale_map = load_scales(scales) if isinstance(scales, str | Path) else (
        dict(scales) if scales is not None else load_scales())
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        split = partition_bundle(path, Path(tmp) / "buckets", buckets=buckets, write=False)
        wanted = tuple(conditions) if conditions is not None else None
        tasks = [_Task(split, b, scale_map, wanted,
                       dict(DEFAULT_BANDS if bands is None else bands) if courses else None,
                       tuple(keep) if keep is not None else None)
                 for b in split.buckets]
        # a bucket's own warning would name the bucket: every bucket's is kept out here, in
        # this thread, before any worker thread starts (catch_warnings in threads is not
        # safe), and the combined one names the bundle
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            parts = _map(_bucket, tasks, engine, scheduler,
                         workers_for(split.sessions, workers))
        log = _combined_log([p.log for p in parts], split)
        if courses and keep is not None:
            # read back from the buckets' files one at a time (engine.combine)
            stored = [p.stored for p in parts]
            parts.clear()
            combined_courses = combined(stored)
            del stored
            release_memory()
    warn_summary(log, stacklevel=3)
    if not courses:
        return log, None
    if keep is not None:
        return log, combined_courses
    return log, combine_courses([p.courses for p in parts])
