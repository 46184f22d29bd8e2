"""Write small test bundles from dicts, as CSV, semicolon CSV, Parquet or an Excel workbook.

A bundle is given as ``{table: {column: [cell, ...]}}`` with every cell as the text a CSV export
would hold (``None`` or ``""`` for an empty cell). :func:`write_bundle` writes it in one of
:data:`FORMATS`; with ``typed=True`` (the default) Parquet columns and Excel cells that parse as
numbers, dates or booleans are stored typed, as a real export would, so that the loader's
normalisation of typed input is exercised.

:func:`valid_tables` returns a small bundle that loads without a single problem; tests copy it
and break one thing. :func:`many_sessions` repeats its sessions table to any number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from outcomes import Col
from outcomes.bundle.schema import TABLES

FORMATS = ("csv", "semicolon", "parquet", "xlsx")
WORKBOOK = "bundle.xlsx"
_NUMBER_KINDS = ("number", "hours")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLS = {"true": True, "false": False}


def valid_tables() -> dict[str, dict[str, list]]:
    """A small bundle with every contract column, which loads cleanly.

    Three sessions of two patients (spreadsheet rows 2-4), two assessments and two adverse
    events (one resolved, one censored at last contact).
    """
    return {name: _columns(text) for name, text in _VALID.items()}


# One line a column: its name, then its cells in row order ("-" for an empty cell).
_VALID = {
    "sessions": """
        patient_id         P0001         P0001             pt-17
        session_id         S1            S2                a3f9c2
        session_date       2024-03-18    2024-04-15        2024-03-20
        condition          acne_scars    acne_scars        wrinkles
        setting            professional  professional      home
        clinic_id          C1            C1                -
        operator_id        op7           op7               -
        device             pen           pen               roller
        needle_depth_mm    1.5           2                 0.5
        duration_min       45            50.5              20
        numbing            true          false             -
        pain_vas           4             3.5               2
        fitzpatrick        III           III               II
        age_band           25-34         25-34             45-54
        sex                F             F                 M
        contraindications  none          herpes;pregnancy  -
        adjunct            prp           none              -
    """,
    "assessments": """
        patient_id         P0001                       P0001
        condition          acne_scars                  acne_scars
        assessment_date    2024-03-18                  2024-05-20
        scale              goodman_baron_quantitative  goodman_baron_quantitative
        score              30                          18.5
        rater              clinician                   blinded
    """,
    "adverse_events": """
        session_id          S1        S2
        event               erythema  pih
        severity            mild      moderate
        onset_hours         0         48
        resolved_hours      24        -
        last_contact_hours  72        336
    """,
}


def many_sessions(n: int) -> dict[str, list]:
    """The valid sessions table repeated to ``n`` rows, with session ids S0 to S<n-1>."""
    sessions = valid_tables()["sessions"]
    for name, cells in sessions.items():
        sessions[name] = [cells[i % len(cells)] for i in range(n)]
    sessions[Col.SESSION_ID] = [f"S{i}" for i in range(n)]
    return sessions


def _columns(text: str) -> dict[str, list]:
    """``{column: [cell, ...]}`` from the lines of a :data:`_VALID` table."""
    return {name: [None if cell == "-" else cell for cell in cells]
            for name, *cells in (line.split() for line in text.strip().splitlines())}


def write_bundle(folder: Path, tables: dict[str, dict[str, list]], fmt: str = "csv",
                 typed: bool = True) -> Path:
    """Write ``tables`` into ``folder`` in format ``fmt``; return the path to load.

    Parameters
    ----------
    folder : Path
        Created if needed. CSV and Parquet tables are written as ``<table>.csv`` /
        ``<table>.parquet`` in it; a workbook as ``bundle.xlsx`` in it.
    tables : dict
        ``{table: {column: [cell text or None, ...]}}``; any table or column names (extra or
        misspelled ones too), the columns of one table of equal length.
    fmt : {"csv", "semicolon", "parquet", "xlsx"}
        ``semicolon`` writes ``;``-separated CSV with decimal commas in number columns.
    typed : bool
        Store numbers, dates and booleans typed in Parquet and Excel (when a whole column
        parses, for Parquet; cell by cell for Excel).

    Returns
    -------
    Path
        The folder, or the workbook for ``xlsx``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        return _write_xlsx(folder / WORKBOOK, tables, typed)
    for name, columns in tables.items():
        if fmt == "csv":
            write_csv(folder / f"{name}.csv", columns)
        elif fmt == "semicolon":
            write_csv(folder / f"{name}.csv", _decimal_commas(name, columns), separator=";")
        elif fmt == "parquet":
            _write_parquet(folder / f"{name}.parquet", name, columns, typed)
        else:
            raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    return folder


def write_csv(path: Path, columns: dict[str, list], separator: str = ",", bom: bool = False,
              encoding: str = "utf-8") -> Path:
    """Write one CSV table (a header row, then the cells; ``None`` as an empty cell).

    Parameters
    ----------
    path : Path
        The file to write.
    columns : dict of str to list
        Column name -> cells (text or ``None``), in the order to write.
    separator : str
        ``,`` or ``;``.
    bom : bool
        Start with a UTF-8 byte-order mark (as Excel's "CSV UTF-8" does).
    encoding : str
        Text encoding (to test files that are not UTF-8).

    Returns
    -------
    Path
    """
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else encoding) as handle:
        writer = csv.writer(handle, delimiter=separator, lineterminator="\n")
        writer.writerow(names)
        for i in range(n):
            writer.writerow(["" if columns[c][i] is None else columns[c][i] for c in names])
    return path


def _kind(table: str, column: str) -> str | None:
    contract = TABLES.get(table)
    if contract is None or column not in contract.names:
        return None
    return contract.column(column).kind


def _decimal_commas(table: str, columns: dict[str, list]) -> dict[str, list]:
    out = {}
    for name, cells in columns.items():
        if _kind(table, name) in _NUMBER_KINDS:
            cells = [c.replace(".", ",") if isinstance(c, str) else c for c in cells]
        out[name] = cells
    return out


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _typed_column(table: str, name: str, cells: list) -> pa.Array:
    kind = _kind(table, name)
    present = [c for c in cells if not _blank(c)]
    if kind in _NUMBER_KINDS and present and all(_NUMBER.match(c.strip()) for c in present):
        return pa.array([None if _blank(c) else float(c) for c in cells], pa.float64())
    if kind == "date" and present and all(_DATE.match(c.strip()) and _date(c) for c in present):
        return pa.array([None if _blank(c) else _date(c) for c in cells], pa.date32())
    if kind == "bool" and present and all(c.strip().lower() in _BOOLS for c in present):
        return pa.array([None if _blank(c) else _BOOLS[c.strip().lower()] for c in cells])
    return pa.array([None if c is None else str(c) for c in cells], pa.string())


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _write_parquet(path: Path, table: str, columns: dict[str, list], typed: bool) -> None:
    arrays = {
        name: _typed_column(table, name, cells) if typed
        else pa.array([None if c is None else str(c) for c in cells], pa.string())
        for name, cells in columns.items()
    }
    pq.write_table(pa.table(arrays), path)


def _cell(table: str, column: str, cell, typed: bool):
    if cell is None or not typed or not isinstance(cell, str):
        return cell
    kind = _kind(table, column)
    text = cell.strip()
    if kind in _NUMBER_KINDS and _NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    if kind == "date" and _DATE.match(text) and _date(text):
        return dt.datetime.combine(_date(text), dt.time())
    if kind == "bool" and text.lower() in _BOOLS:
        return _BOOLS[text.lower()]
    return cell


def _write_xlsx(path: Path, tables: dict[str, dict[str, list]], typed: bool) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, columns in tables.items():
        sheet = workbook.create_sheet(name)
        names = list(columns)
        sheet.append(names)
        n = len(next(iter(columns.values()))) if columns else 0
        for i in range(n):
            sheet.append([_cell(name, c, columns[c][i], typed) for c in names])
    workbook.save(path)
    return path
