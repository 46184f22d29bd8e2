"""Loading a bundle: the data contract applied, row by row, without a loop over rows.

:func:`load_bundle` reads a bundle (:mod:`outcomes.bundle.readers`), refuses identifying data
(:mod:`outcomes.bundle.privacy`), then checks every column of every table against the contract
(:mod:`outcomes.bundle.columns`) and the tables against each other (:mod:`outcomes.bundle.links`),
and returns a :class:`~outcomes.bundle.log.SessionLog`:

* a row with a bad **required** field is quarantined: it goes, with every reason found, to
  ``rejects[table]`` and is left out of the accepted table;
* a bad **optional** value is blanked, with one row in ``warnings``; the row stays;
* rows that depend on a quarantined row (the adverse events of a quarantined session) are
  quarantined too, saying why.

Each check is a mask over a whole column. Columns whose values repeat (dates, vocabularies,
booleans, lists) are judged once per distinct value and the verdict spread back to the rows.
Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from ..errors import ConfigError, DataQualityWarning, ParameterError, ParameterTypeError
from .limits import Limits
from .privacy import check_bundle
from .readers import RawBundle, read_bundle, read_sources
from .schema import ADVERSE_EVENTS, ASSESSMENTS, SESSIONS, TABLES, Col, Scale, load_scales

if TYPE_CHECKING:  # imported in a thread while the files are read (import_in_background)
    import pandas as pd

    from .log import SessionLog
    from .mapping import ExportMapping

__all__ = ["load_bundle", "load_raw", "Limits"]

_THREADS = max(1, min(4, os.cpu_count() or 1))
_ROWS_FOR_THREADS = 50_000  # below this, starting threads costs more than it saves
#: What judges and assembles the tables (pandas among it), imported while the files are read.
_CHECK_MODULES = ("pandas", f"{__package__}.assemble", f"{__package__}.links")


def load_bundle(
    path: str | Path | Mapping[str, pd.DataFrame],
    scales: str | Path | Mapping[str, Scale] | None = None, *,
    limits: Limits | None = None, mapping: str | Path | ExportMapping | None = None,
) -> SessionLog:
    """Load and validate an anonymised session-log bundle.

    Parameters
    ----------
    path : str, Path or dict of str to DataFrame
        A folder holding ``sessions.csv`` or ``sessions.parquet`` (plus, optionally,
        ``assessments`` and ``adverse_events`` in either format), or an ``.xlsx`` workbook with
        sheets of those names. CSV files are UTF-8 (a byte-order mark is fine), comma or
        semicolon separated; with semicolons, decimal commas (``2,5``) are numbers. Or a dict
        of DataFrames with those keys, read as the CSV files they would make
        (:mod:`outcomes.bundle.frames`; the frames are not modified).
    scales : str, Path or dict of str to Scale, optional
        Outcome scales to check assessment scores against: a TOML file adding to (or
        overriding) the built-in scales, or a ready mapping. Default: the built-in scales.
    limits : Limits, optional
        How large a file is read: uncompressed bytes, rows per table, and how far an ``.xlsx``
        may expand (:class:`~outcomes.bundle.limits.Limits`; default 2 GiB, 50 million rows, a
        zip bomb refused). Checked before a file is parsed, so memory does not grow first.
    mapping : str, Path or ExportMapping, optional
        How a clinic's own export reads as the contract: its files or sheets, headers, words,
        date formats, units and constant columns (a TOML file,
        :mod:`outcomes.bundle.mapping`; ``outcomes mapping`` drafts one). The mapping's name
        and SHA-256 are in ``checksums`` and ``mapping`` of the result.

    Returns
    -------
    SessionLog
        ``sessions``, ``assessments``, ``adverse_events``: accepted rows, typed (``str`` ids,
        ``datetime64[ns]`` dates, categorical vocabularies, ``float64`` numbers, ``boolean``
        flags, normalised ``;``-joined contraindications), each with its spreadsheet ``row``.
        ``rejects``: per table, quarantined rows as text with ``row`` and ``reason``.
        ``warnings``: one row per blanked value or ignored column (``table``, ``row``,
        ``column``, ``value``, ``message``). ``counts``: rows read, accepted, quarantined and
        warned per table. ``checksums``: SHA-256 of each input file, by file name (and of the
        mapping, as ``"<name> (mapping)"``).

    Raises
    ------
    IdentifyingDataError
        If a column name looks identifying, or identifier values look like e-mail addresses,
        phone, NHS, social security or National Insurance numbers, postcodes, dates or names
        (checked before anything else; :mod:`outcomes.bundle.privacy`). Its ``failure_cases``
        list every finding, without the values.
    BundleError
        If the bundle cannot be read: not a bundle, no sessions table, a table given twice, a
        required column missing or given twice, an unreadable file, a file beyond ``limits``.
        Its ``failure_cases`` list the tables and columns concerned.
    ConfigError
        If the scales file is malformed.
    MappingError
        If the mapping is malformed or does not fit the export (naming its entry and field).
    ParameterTypeError
        If ``path`` is neither a path nor a dict of DataFrames (a ``TypeError``).
    ParameterError
        If ``limits`` is not a :class:`Limits`, or ``mapping`` not a path or mapping.

    Warns
    -----
    DataQualityWarning
        Once, when rows were quarantined or values blanked.

    Notes
    -----
    Nothing is guessed: dates must be ISO ``YYYY-MM-DD``; vocabulary values are matched
    ignoring case and surrounding spaces (Fitzpatrick types also as 1-6). Dates and numbers
    are written with the digits 0-9: a value in other digits (full-width, Arabic-Indic), with
    a minus sign other than ``-`` or with superscripts is a bad value whose message names the
    character. A workbook's sheets are read whole, whatever their ``<dimension>`` tag says; a
    formula without a computed value, and a cell covered by merged cells, are bad values of
    their row and column (the row quarantined in a required column, or in the hours of an
    adverse event; the value blanked, with a warning, in an optional one). A blank
    ``onset_hours`` is 0. Rows blank in every column carry no data and are skipped (row
    numbers still count them). Columns outside the contract are not loaded; each gets one
    warning on row 1. A value that could be a personal detail (a name, e-mail, phone or NHS
    number... in any column: :func:`~outcomes.bundle.privacy.personal_kinds`) is never
    repeated: its reason or warning says what it could be and what the column expects, and the
    rejects and warnings show ``(not shown: could be ...)`` in its place. The input files are
    only read, never written.

    Examples
    --------
    The sample bundle shipped in the package (:func:`outcomes.datasets.load_sample` loads it
    too) has faults on purpose, so some rows are quarantined:

    >>> import warnings
    >>> from importlib import resources
    >>> folder = resources.files("outcomes.datasets") / "sample"
    >>> with warnings.catch_warnings(action="ignore"):
    ...     log = load_bundle(folder)
    >>> log.counts.loc["sessions"].tolist()
    [1591, 1581, 10, 3]
    >>> first = log.rejects["sessions"].iloc[0]
    >>> print(f"row {first['row']}: {first['reason'][:43]}")
    row 143: condition: 'scars' is not a known condition
    """
    frames = isinstance(path, Mapping)
    if not (frames or isinstance(path, str | os.PathLike)):
        raise ParameterTypeError(
            "load_bundle(): path must be a folder or workbook path (str or Path), or a dict of "
            f"DataFrames keyed sessions, assessments, adverse_events; got {type(path).__name__}.")
    if limits is not None and not isinstance(limits, Limits):
        raise ParameterError(
            "load_bundle(): limits must be a Limits (from outcomes.bundle.limits), got "
            f"{type(limits).__name__}.")
    # the load makes millions of arrays and few Python objects that refer to each other: the
    # collector's passes (over every object the imports made, too) would find nothing to free
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_bundle(path, scales, limits, mapping, frames)
    finally:
        if collecting:
            gc.enable()


def _load_bundle(path, scales, limits, mapping, frames: bool) -> SessionLog:
    scale_map = _resolve_scales(scales)
    if mapping is not None:  # an export read through a mapping (only then imported)
        from .mapping import as_mapping

        mapping = as_mapping(mapping)
    importing = import_in_background(_CHECK_MODULES)
    try:
        if frames:
            from .frames import read_frames

            bundle = read_frames(path)
        elif mapping is not None:
            bundle = read_sources(path, mapping.sources, limits=limits)
        else:
            bundle = read_bundle(path, defer_checksums=True, limits=limits)
    finally:
        if importing is not None:
            importing.join()
    pa.default_memory_pool().release_unused()  # what the parsing left free goes back
    try:
        if mapping is not None:
            bundle = mapping.apply(bundle, scale_map)
        with ThreadPoolExecutor(max_workers=1) as hasher:
            return _load(bundle, scale_map, hasher, mapping, stacklevel=5)
    finally:
        bundle.close()


def load_raw(bundle: RawBundle, scales: str | Path | Mapping[str, Scale] | None = None,
             ) -> SessionLog:
    """Validate a bundle already read into raw text tables, as :func:`load_bundle` does.

    The partitioned engine (:mod:`outcomes.engine`) reads each patient bucket of a split into
    a :class:`~outcomes.bundle.readers.RawBundle` itself (its rows carrying the original
    row numbers) and checks it here, with every check of the data contract.

    Parameters
    ----------
    bundle : RawBundle
        The tables (:func:`~outcomes.bundle.readers.arrow_table` makes them from Arrow
        tables); its checksums become those of the result.
    scales : str, Path or dict of str to Scale, optional
        As for :func:`load_bundle`.

    Returns
    -------
    SessionLog

    Raises
    ------
    IdentifyingDataError, BundleError, ConfigError
        As :func:`load_bundle`.

    Examples
    --------
    The sample bundle's sessions, read by pyarrow (its own types), with row numbers from 10:

    >>> import warnings
    >>> from importlib import resources
    >>> import numpy as np, pyarrow.csv as pcsv
    >>> from outcomes.bundle.readers import RawBundle, arrow_table
    >>> table = pcsv.read_csv(resources.files("outcomes.datasets") / "sample" / "sessions.csv")
    >>> raw = RawBundle("clinic", {"sessions": arrow_table(
    ...     table, name="sessions", where="sessions.csv", rows=np.arange(table.num_rows) + 10)},
    ...     ("assessments", "adverse_events"))
    >>> with warnings.catch_warnings(action="ignore"):
    ...     log = load_raw(raw)
    >>> log.source, log.counts.loc["sessions"].tolist()[:3], int(log.sessions["row"].min())
    ('clinic', [1591, 1581, 10], 10)
    """
    scale_map = _resolve_scales(scales)
    collecting = gc.isenabled()
    gc.disable()  # as in load_bundle
    try:
        with ThreadPoolExecutor(max_workers=1) as hasher:
            return _load(bundle, scale_map, hasher, stacklevel=3)
    finally:
        bundle.close()
        if collecting:
            gc.enable()


def import_in_background(names: tuple[str, ...]) -> threading.Thread | None:
    """Start importing the modules ``names`` in a thread, so that their imports overlap with
    work that lets go of the interpreter (parsing files); ``None`` when they are imported
    already. An import that fails there is left to fail where the module is used.

    Here the modules that judge the tables (:data:`_CHECK_MODULES`) are imported while the
    files are read; the modules that read them are imported already (by this one), so the
    thread and the reading never wait for each other's imports.
    """
    if all(name in sys.modules for name in names):
        return None
    thread = threading.Thread(target=_import_quietly, args=(names,), name="outcomes-import",
                              daemon=True)
    thread.start()
    return thread


def _import_quietly(names: tuple[str, ...]) -> None:
    try:
        for name in names:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 - imported again where needed, which raises it there
        pass


def _load(bundle: RawBundle, scale_map: dict[str, Scale], hasher: Executor,
          mapping: ExportMapping | None = None, stacklevel: int = 4) -> SessionLog:
    from .assemble import assemble
    from .columns import TableCheck, check_event_hours, check_scores
    from .links import (
        check_sessions,
        duplicate_candidates,
        exact_duplicates,
        link_sessions,
        session_keys,
    )

    rows = sum(t.n_rows for t in bundle.tables.values())
    threads = _THREADS if rows >= _ROWS_FOR_THREADS else 1
    with ThreadPoolExecutor(max_workers=threads) as executor:
        pool = executor if threads > 1 else None
        # the identifier values are checked in the pool while the columns are prepared; a
        # refusal still comes first, before any other problem of the bundle
        refuse = check_bundle(bundle, pool, wait=False)
        try:
            checks = {}
            for name in TABLES:
                checks[name] = TableCheck(TABLES[name], bundle.tables.get(name), scale_map)
                if name in bundle.tables:  # the checks hold the text now, column by column
                    bundle.tables[name] = checks[name].raw
            tasks = {name: check.preparations() for name, check in checks.items()}
            sizes = {name: len(tasks[name]) for name in TABLES}
            # each raw column is freed once prepared and checked (the tasks hold it); so is
            # what Arrow keeps
            prepared = _run([t for name in TABLES for t in tasks.pop(name)], pool)
        except BaseException:
            refuse()
            raise
        refuse()
        pa.default_memory_pool().release_unused()
        for name, check in checks.items():
            check.keep(prepared[: sizes[name]])
            prepared = prepared[sizes[name]:]
        sessions, events = checks[SESSIONS.name], checks[ADVERSE_EVENTS.name]
        assessments = checks[ASSESSMENTS.name]
        # hashing work on the prepared columns and the checksums (hashlib and numpy release
        # the GIL) alongside the judging of the values, which is mostly Python
        keys = _run([partial(session_keys, sessions, events),
                     partial(duplicate_candidates, assessments)], pool, wait=False)
        bundle.hash_in_background(hasher)
        for check in checks.values():
            check.parse_columns()
        keys, candidates = (k.result() for k in keys)
    check_sessions(sessions, keys.shared)
    check_scores(assessments)
    exact_duplicates(assessments, candidates)
    check_event_hours(events)
    link_sessions(events, sessions, keys)
    checksums = {**bundle.checksums, **(mapping.provenance if mapping else {})}
    log = assemble(checks, bundle.source, checksums, bundle.missing, scale_map)
    log = replace(log, mapping=mapping, missing_hints=dict(bundle.hints),
                  table_sources={n: t.where for n, t in bundle.tables.items()})
    warn_summary(log, stacklevel=stacklevel)
    return log


def _resolve_scales(scales) -> dict[str, Scale]:
    if scales is None:
        return load_scales()
    if isinstance(scales, str | Path):
        return load_scales(scales)
    if isinstance(scales, Mapping) and all(isinstance(s, Scale) for s in scales.values()):
        return dict(scales)
    raise ConfigError(
        "scales must be a path to a scales TOML file or a mapping of names to Scale objects, "
        f"got {type(scales).__name__}."
    )


def _run(tasks: list[Callable], pool: Executor | None, wait: bool = True) -> list:
    """Run independent tasks, in threads when a pool is given; results in task order.

    With ``wait=False``, return futures (already done when there is no pool).
    """
    if pool is not None and not wait:
        return [pool.submit(task) for task in tasks]
    if pool is None:
        results = [task() for task in tasks]
    else:
        results = list(pool.map(lambda task: task(), tasks))
    if wait:
        return results
    done = []
    for result in results:
        future: Future = Future()
        future.set_result(result)
        done.append(future)
    return done


def warn_summary(log: SessionLog, stacklevel: int = 2) -> None:
    """The one :class:`~outcomes.errors.DataQualityWarning` of a load that quarantined rows or
    left values blank, naming the bundle (``log.source``) and the counts."""
    quarantined = log.n_quarantined
    blanked = int((log.warnings[Col.ROW] > 1).sum())
    if quarantined or blanked:
        warnings.warn(
            f"{log.source}: {quarantined} row(s) quarantined and {blanked} value(s) left blank "
            "while loading; see the rejects and warnings of the result (or run "
            "'outcomes validate').",
            DataQualityWarning,
            stacklevel=stacklevel,
        )
