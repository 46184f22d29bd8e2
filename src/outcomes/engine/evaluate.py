"""The claims of a bundle with the chosen engine: :func:`evaluate_bundle`.

Apart from :mod:`outcomes.engine.run` (the partitioned and dask engines, pandas and the course
building) so that ``outcomes claims`` starts reading the files at once: what the statistics
need is imported in a thread while the files are parsed, not before.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..bundle.load import import_in_background, load_bundle
from ..bundle.memory import release_memory
from ..errors import ParameterError
from .choose import choose_engine

__all__ = ["KEEP", "evaluate_bundle"]

#: What ``keep`` may be: every column, or those the claims read
#: (:data:`~outcomes.engine.run.CLAIMS_COLUMNS`).
KEEP = ("all", "claims")
#: What :func:`evaluate_bundle` imports in a thread while the bundle is read.
_CLAIMS_MODULES = ("outcomes.engine.run", "outcomes.claims.catalogue", "outcomes.claims.evaluate")


def evaluate_bundle(path, *, engine: str | None = None, scheduler: str | None = None,
             catalogue=None, conditions: Iterable[str] | None = None, scales=None,
             workdir: str | Path | None = None, buckets: int | None = None,
             keep: str = "all", workers: int | None = None):
    """Evaluate the claims catalogue on a bundle with the chosen engine.

    Parameters
    ----------
    path : str or Path
        A bundle (a folder of CSV or Parquet tables for the partitioned and dask engines).
    engine : {"auto", "memory", "partitioned", "dask"}, optional
        Default ``auto`` (:func:`~outcomes.engine.choose.choose_engine`).
    scheduler, workdir, buckets, workers
        As for :func:`~outcomes.engine.run.load_courses`.
    catalogue, conditions, scales
        As for :func:`outcomes.evaluate_claims` and :func:`outcomes.load_bundle`.
    keep : {"all", "claims"}
        ``claims``: the result's courses keep only the columns the claims read
        (:func:`~outcomes.engine.run.slim_courses`; the same verdicts in less memory, for a
        caller that needs the claims only).

    Returns
    -------
    log : SessionLog
        Its counts, rejects, warnings and checksums; the accepted tables have their columns
        but no rows (they are in the courses), except with ``conditions`` in memory.
    result : ClaimsResult
        The same estimates, intervals and verdicts whichever the engine.
    """
    chosen = choose_engine(path, engine)
    if keep not in KEEP:
        raise ParameterError(f"keep must be one of {', '.join(KEEP)}; got {keep!r}.")
    conditions = ([conditions] if isinstance(conditions, str) else
                  list(conditions) if conditions is not None else None)
    if chosen == "memory":
        # the statistics' modules (half a second) imported while the files are parsed
        importing = import_in_background(_CLAIMS_MODULES)
        try:
            log = load_bundle(path, scales=scales)
        finally:
            if importing is not None:
                importing.join()
        release_memory()  # what parsing freed (a third of the memory at 1M) before building
    from ..claims.catalogue import load_catalogue
    from ..claims.evaluate import evaluate_claims
    from ..claims.model import Catalogue
    from ..courses import build_courses
    from .run import claims_columns, load_courses, slim_courses, without_rows

    if not isinstance(catalogue, Catalogue):
        catalogue = load_catalogue(catalogue)
    if chosen == "memory":
        if conditions is not None:
            return log, evaluate_claims(log, catalogue=catalogue, conditions=conditions)
        # the courses hold what the statistics need: the accepted rows are let go before them
        courses = build_courses(log, bands=dict(catalogue.bands))
        if keep == "claims":
            courses = slim_courses(courses, claims_columns(catalogue))
        log = without_rows(log)
        release_memory()
        return log, evaluate_claims(log, catalogue=catalogue, courses=courses)
    log, courses = load_courses(path, engine=chosen, scheduler=scheduler, scales=scales,
                                conditions=conditions, bands=dict(catalogue.bands),
                                workdir=workdir, buckets=buckets, workers=workers,
                                keep=claims_columns(catalogue) if keep == "claims" else None)
    return log, evaluate_claims(log, catalogue=catalogue, conditions=conditions,
                                courses=courses)
