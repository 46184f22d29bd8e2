"""Writing a bundle, the inverse of the readers: tables out as a folder of CSV or Parquet files,
or as one xlsx workbook, in the shape :func:`outcomes.bundle.load.load_bundle` reads back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..errors import ParameterError
from ..validators import show
from .schema import TABLES

__all__ = ["write_bundle", "BUNDLE_FORMATS", "WORKBOOK_NAME"]

#: Formats :func:`write_bundle` writes.
BUNDLE_FORMATS = ("csv", "parquet", "xlsx")
#: File name of the workbook :func:`write_bundle` writes for ``format="xlsx"``.
WORKBOOK_NAME = "bundle.xlsx"
#: CSV separators :func:`write_bundle` writes.
SEPARATORS = (",", ";")


def write_bundle(
    tables: dict[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    format: str = "csv",
    sep: str = ",",
) -> list[Path]:
    """Write tables as a bundle the loader reads: a folder of CSV or Parquet files, or a workbook.

    Parameters
    ----------
    tables : dict of str to DataFrame
        ``sessions`` and, optionally, ``assessments`` and ``adverse_events`` (as returned by
        :func:`outcomes.simulate`). They are not modified.
    out_dir : str or Path
        Folder to write into (created if needed). Files of the same names are overwritten;
        other files are left alone.
    format : {"csv", "parquet", "xlsx"}, default "csv"
        ``csv``: ``<table>.csv``, UTF-8, ``\\n`` line ends, numbers in their shortest form.
        ``parquet``: ``<table>.parquet``. ``xlsx``: one workbook ``bundle.xlsx`` with a sheet
        per table.
    sep : {",", ";"}, default ","
        CSV separator. With ``";"`` numbers are written with decimal commas (``2,5``), as the
        data contract reads them.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ParameterError
        If ``format`` or ``sep`` is not one of the above, ``sessions`` is missing or a table is
        not one of the contract's (a ``ValueError``).

    Examples
    --------
    >>> import tempfile
    >>> sessions = pd.DataFrame({"patient_id": ["P0001"], "session_id": ["S00001"]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [p.name for p in write_bundle({"sessions": sessions}, folder)]
    ['sessions.csv']
    """
    if format not in BUNDLE_FORMATS:
        raise ParameterError(f"format: expected one of {BUNDLE_FORMATS}, got {show(format)}.")
    if sep not in SEPARATORS:
        raise ParameterError(f"sep: expected one of {SEPARATORS}, got {show(sep)}.")
    if "sessions" not in tables:
        raise ParameterError(f"tables: a 'sessions' table is required, got {sorted(tables)}.")
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ParameterError(
            f"tables: expected tables among {list(TABLES)}, got unknown table(s) {unknown}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = [name for name in TABLES if name in tables]
    if format == "xlsx":
        path = out / WORKBOOK_NAME
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name in names:
                _for_excel(tables[name]).to_excel(writer, sheet_name=name, index=False)
        return [path]
    written = []
    for name in names:
        path = out / f"{name}.{format}"
        if format == "csv":
            _write_csv(tables[name], path, sep)
        else:
            tables[name].to_parquet(path, index=False)
        written.append(path)
    return written


def _write_csv(df: pd.DataFrame, path: Path, sep: str) -> None:
    """CSV through pyarrow (fast): plain header, quotes only where needed, blanks empty."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    if sep == ";":  # decimal commas
        columns = [pc.replace_substring(pc.cast(col, pa.string()), ".", ",")
                   if pa.types.is_floating(col.type) else col for col in table.columns]
        table = pa.table(columns, names=table.column_names)
    special = f'[{re.escape(sep)}"\\r\\n]'
    needs_quotes = any(
        pc.any(pc.match_substring_regex(col, special)).as_py()
        for col in table.columns
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
    )
    # quote every text value when one needs it (arrow cannot quote only some), else none
    style = "needed" if needs_quotes else "none"
    with open(path, "wb") as f:
        f.write((sep.join(table.column_names) + "\n").encode("utf-8"))
        pcsv.write_csv(table, f, pcsv.WriteOptions(include_header=False, delimiter=sep,
                                                   quoting_style=style))


def _for_excel(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans as TRUE/FALSE cells and blanks as empty cells."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == "boolean":
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
