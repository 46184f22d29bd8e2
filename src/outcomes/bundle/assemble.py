"""Assembling the result of a load: the accepted rows typed, the quarantined rows as text.

After :mod:`outcomes.bundle.load` has judged every column (:mod:`outcomes.bundle.columns`)
and the tables against each other (:mod:`outcomes.bundle.links`), :func:`assemble` makes the
:class:`~outcomes.bundle.log.SessionLog`: per table, the accepted rows as typed columns (``str``
ids, ``datetime64[ns]`` dates, categorical vocabularies, ``float64`` numbers, ``boolean`` flags)
with their spreadsheet ``row``, the quarantined rows as text with ``row`` and ``reason`` (a value
that could be a personal detail not repeated), the warnings, and the counts.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from .columns import TableCheck, empty_warnings, frame
from .log import COUNT_COLUMNS, SessionLog, empty_counts
from .privacy import withhold_values
from .schema import (
    ADVERSE_EVENTS,
    ASSESSMENTS,
    SESSIONS,
    TABLES,
    Col,
    Column,
    Scale,
    vocabulary_dtype,
)
from .values import NAT

__all__ = ["assemble"]


def assemble(checks: dict[str, TableCheck], source: str, checksums: dict[str, str],
              missing: tuple[str, ...], scales: dict[str, Scale]) -> SessionLog:
    """The :class:`~outcomes.bundle.log.SessionLog` of judged tables (``checks``, by name) read
    from ``source``, with the files' ``checksums``, the ``missing`` tables and the ``scales``."""
    accepted, rejects, warning_frames = {}, {}, []
    counts = empty_counts()
    for name, check in checks.items():
        positions, reasons = check.findings.reasons()
        kept = np.ones(check.n, dtype=bool)
        kept[positions] = False
        keep = np.flatnonzero(kept)  # the positions not quarantined, in order
        accepted[name] = _typed_frame(check, keep)
        rejects[name] = _rejects_frame(check, positions, reasons)
        table_warnings = check.findings.warnings_frame(check.table.names)
        warning_frames.append(table_warnings)
        data_rows = table_warnings.loc[table_warnings[Col.ROW] > 1, Col.ROW]
        counts.loc[name, COUNT_COLUMNS] = [check.n, len(keep), len(positions),
                                           data_rows.nunique()]
    frames = [f for f in warning_frames if len(f)]
    return SessionLog(
        sessions=accepted[SESSIONS.name],
        assessments=accepted[ASSESSMENTS.name],
        adverse_events=accepted[ADVERSE_EVENTS.name],
        rejects=rejects,
        warnings=pd.concat(frames, ignore_index=True) if frames else empty_warnings(),
        counts=counts.astype(np.int64),
        checksums=dict(checksums),
        source=source,
        missing_tables=tuple(missing),
        present_columns={
            name: tuple(c.name for c in TABLES[name].columns if c.name in check.text)
            for name, check in checks.items()
        },
        scales=scales,
    )


def _typed_frame(check: TableCheck, keep: np.ndarray) -> pd.DataFrame:
    """The typed table of the rows in ``keep`` (positions), with ``row``."""
    every = len(keep) == check.n
    columns = {c.name: _typed_column(check, c, keep, every) for c in check.table.columns}
    columns[Col.ROW] = pd.Series(check.rows if every else check.rows[keep], dtype=np.int64)
    return pd.DataFrame(columns, copy=False)


def _typed_column(check: TableCheck, column: Column, keep: np.ndarray,
                  every: bool) -> pd.Series:
    values = check.typed.get(column.name)
    if values is None:
        return _all_missing(column, len(keep), check.scales)
    if isinstance(values, pa.Array):
        return _text_series(values if every else values.take(pa.array(keep, pa.int64())))
    if not every:
        values = values[keep]
    kind = column.kind
    if kind in ("vocabulary", "scale"):
        dtype = _category_dtype(column, check.scales)
        return pd.Series(pd.Categorical.from_codes(values, dtype=dtype, validate=False))
    if kind == "bool":
        return pd.Series(pd.arrays.BooleanArray(values == 1, values < 0))
    if kind == "date":
        return pd.Series(values.astype("datetime64[ns]", copy=False), copy=False)
    return pd.Series(values.astype(np.float64, copy=False), copy=False)


def _rejects_frame(check: TableCheck, positions: np.ndarray, reasons: pa.Array) -> pd.DataFrame:
    """Quarantined rows as text: the contract columns the input had, ``row``, ``reason``."""
    names = [c.name for c in check.table.columns if c.name in check.text]
    if check.raw is None:
        names = check.table.names
    columns = {  # a value that could be a personal detail is not repeated
        name: withhold_values(check.text_at(name, positions), check.table.column(name))
        if name in check.text else pa.nulls(len(positions), pa.string())
        for name in names
    }
    columns[Col.ROW] = pa.array(check.rows[positions], pa.int64())
    columns[Col.REASON] = reasons.cast(pa.string())
    return frame(columns)


def _text_series(values: pa.Array) -> pd.Series:
    series = values.to_pandas()  # pandas 3 gives the str dtype already
    return series if series.dtype == "str" else series.astype("str")


def _category_dtype(column: Column, scales: dict[str, Scale]) -> pd.CategoricalDtype:
    if column.kind == "scale":
        return _scale_dtype(tuple(scales))
    return _vocabulary_dtype(column.vocabulary)


@cache
def _scale_dtype(names: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(names), ordered=False)


@cache
def _vocabulary_dtype(name: str) -> pd.CategoricalDtype:
    return vocabulary_dtype(name)


def _all_missing(column: Column, n: int, scales: dict[str, Scale]) -> pd.Series:
    kind = column.kind
    if kind in ("vocabulary", "scale"):
        codes = np.full(n, -1, dtype=np.int64)
        return pd.Series(pd.Categorical.from_codes(codes, dtype=_category_dtype(column, scales)))
    if kind == "bool":
        return pd.Series(pd.array([pd.NA] * n, dtype="boolean"))
    if kind == "date":
        return pd.Series(np.full(n, NAT))
    if kind in ("id", "text", "list"):
        return _text_series(pa.nulls(n, pa.string()))
    return pd.Series(np.full(n, np.nan))
