"""DataFrames in, as a bundle: what pandas users have, read as the text a CSV export would hold.

:func:`read_frames` turns a dict of DataFrames (``sessions``, and optionally ``assessments`` and
``adverse_events``) into the raw text tables every reader returns
(:class:`~outcomes.bundle.readers.RawTable`), so that one validation path serves files and
frames: the same contract, quarantine and privacy checks. Typed columns are written out as a
Parquet file's are (:func:`~outcomes.bundle.readers.arrow_to_text`: numbers in their shortest
form, midnight timestamps as ``YYYY-MM-DD``, booleans as ``true``/``false``, categoricals as
their labels); a column of mixed Python objects as ``str()`` of each. Row numbers are those of
the frame written as a CSV file (the first row is row 2), and the checksum of a frame is the
SHA-256 of that CSV text. The frames are not modified.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from ..errors import BundleError, ParameterTypeError
from .hashing import sha256
from .readers import RawBundle, RawTable, _raw_table, arrow_to_text
from .schema import TABLES
from .suggest import did_you_mean

__all__ = ["read_frames", "SOURCE"]

#: How messages and outputs name a bundle of DataFrames.
SOURCE = "DataFrames"


def read_frames(frames: Mapping) -> RawBundle:
    """Read a dict of DataFrames as a bundle of raw text tables.

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        ``sessions`` (required), ``assessments`` and ``adverse_events``.

    Returns
    -------
    RawBundle
        Its checksums are keyed ``"<table> (DataFrame)"``.

    Raises
    ------
    ParameterTypeError
        If a key is not a table name or a value is not a DataFrame (a ``TypeError``).
    BundleError
        If there is no sessions frame.

    Examples
    --------
    >>> raw = read_frames({"sessions": pd.DataFrame({"patient_id": ["P1"], "score": [2.0]})})
    >>> raw.tables["sessions"].header, raw.tables["sessions"].columns[1].to_pylist()
    (('patient_id', 'score'), ['2'])
    """
    for key, value in frames.items():
        if key not in TABLES:
            raise ParameterTypeError(
                f"load_bundle(): the keys of a dict of DataFrames are table names "
                f"({', '.join(TABLES)}); got {key!r}{did_you_mean(str(key), TABLES)}.")
        if not isinstance(value, pd.DataFrame):
            raise ParameterTypeError(
                f"load_bundle(): the {key} table must be a pandas DataFrame, got "
                f"{type(value).__name__}.")
    if "sessions" not in frames:
        raise BundleError("The dict of DataFrames has no 'sessions' frame; a bundle needs one "
                          "(assessments and adverse_events are optional).")
    tables, digests = {}, {}
    for name in TABLES:
        if name in frames:
            tables[name], digests[f"{name} (DataFrame)"] = _table(name, frames[name])
    missing = tuple(n for n in TABLES if n not in tables)
    return RawBundle(SOURCE, tables, missing, digests)


def _table(name: str, df: pd.DataFrame) -> tuple[RawTable, str]:
    where = f"the {name} DataFrame"
    header = tuple(str(c).strip() for c in df.columns)
    columns = [_text(df.iloc[:, i], name, where, header[i]) for i in range(df.shape[1])]
    text = pa.table(columns or [pa.array([], pa.string())],
                    names=[f"c{i}" for i in range(max(len(columns), 1))])
    sink = pa.BufferOutputStream()
    pcsv.write_csv(text, sink, write_options=pcsv.WriteOptions(include_header=False))
    digest = sha256(",".join(header).encode("utf-8") + b"\n" + sink.getvalue().to_pybytes())
    if not columns:
        return _raw_table(name, where, header, [], decimal_comma=False), digest
    return _raw_table(name, where, header, columns, decimal_comma=False), digest


def _text(series: pd.Series, table: str, where: str, column: str) -> pa.Array:
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        array = None
    if array is None or pa.types.is_null(array.type) and series.notna().any():
        values = [None if _missing(v) else str(v) for v in series]
        return arrow_to_text(pa.array(values, pa.string()), table=table, where=where,
                             column=column)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return arrow_to_text(array, table=table, where=where, column=column)


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False

