"""The workbook's layout: a paper's tables first, headers in words, numbers formatted.

:func:`outcomes.output.export.write_tables` decides what is written (the released tables);
this module decides how the workbook shows it:

- **sheet order**: ``README``, then the short tables a paper prints (at most
  :data:`PAPER_ROWS` rows), then the long ones, then ``suppressions`` and ``provenance``;
- **headers in words** (:func:`~outcomes.output.labels.column_label`: ``ci_low`` reads "Lower
  limit"); the CSV files keep the codes for programs, and the README gives both;
- **number formats by column** (:func:`number_format`): counts ``#,##0`` (``n``, ``n_...``
  and the counts named otherwise, e.g. ``adherent``); shares ``0.0%`` (a column whose name
  starts with ``share``, ``proportion`` or ``rate`` holds a fraction from 0 to 1); percentages
  ``0.0`` (``percentage``, ``pct``: already times 100); whole numbers that are not counts (a
  session number, hours) ``0``; every other number ``0.000``; dates ``yyyy-mm-dd``. In a long
  table the estimate and interval cells of a row follow its ``measure`` (:func:`row_format`):
  ``#,##0`` for a count measure (``n_courses``), ``0.0%`` for a share (``reached_major``),
  the column's format otherwise;
- **real blanks**: a missing value or an empty text is an empty cell, never an empty string;
- **a README** describing every column of every sheet (:func:`describe`: the readme given,
  then :data:`COLUMN_DESCRIPTIONS` from ``columns.toml``), and a **provenance** sheet (package,
  command, parameters, input checksums, time).
"""

from __future__ import annotations

import datetime as _dt
import sys
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .._version import __version__
from .disclosure import is_count_column
from .folder import save_atomically
from .labels import column_label, is_missing, label
from .safety import neutralise_formulas

__all__ = ["number_format", "header_words", "describe", "sheet_order", "provenance_rows",
           "write_workbook", "row_format", "table_title", "COLUMN_DESCRIPTIONS", "PAPER_ROWS",
           "PROVENANCE_SHEET", "FORMATS"]

#: Tables with at most this many rows come first (the ones a paper prints).
PAPER_ROWS = 40
PROVENANCE_SHEET = "provenance"
#: The number formats, by kind of column.
FORMATS = {"count": "#,##0", "share": "0.0%", "percentage": "0.0", "whole": "0",
           "number": "0.000", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
_SHARE_PREFIXES = ("share", "proportion", "rate")
_PERCENT_PREFIXES = ("percentage", "percent", "pct")
#: Count columns the package names without the ``n_`` prefix.
_COUNTS = frozenset({"adherent", "nonadherent", "in_conflict", "events", "numerator",
                     "denominator", "courses", "patients", "sessions", "rows"})


@cache
def _descriptions() -> dict[str, str]:
    text = resources.files(__package__).joinpath("columns.toml").read_text("utf-8")
    return tomllib.loads(text)["description"]


#: What each column of the package's tables holds (``columns.toml``), by column code.
COLUMN_DESCRIPTIONS = _descriptions()


def number_format(column, values: pd.Series) -> str | None:
    """The number format of a column, from its name and its values (None: not numbers).

    Examples
    --------
    >>> s = pd.Series([0.5, 0.25])
    >>> number_format("n_events", pd.Series([3, 12])), number_format("share_resolved", s)
    ('#,##0', '0.0%')
    >>> number_format("estimate", s), number_format("after_session", pd.Series([1, 2]))
    ('0.000', '0')
    >>> number_format("condition", pd.Series(["acne"])) is None
    True
    """
    name = str(column)
    numbers = [v for v in values.astype(object)
               if not is_missing(v) and isinstance(v, int | float) and not isinstance(v, bool)]
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values.dropna()
        whole = bool(len(times)) and bool((times == times.dt.normalize()).all())
        return FORMATS["date"] if whole else FORMATS["datetime"]
    if not numbers:
        return None
    if is_count_column(name) or name in _COUNTS:
        return FORMATS["count"]
    if name.startswith(_PERCENT_PREFIXES):
        return FORMATS["percentage"]
    if name.startswith(_SHARE_PREFIXES) or name.endswith("_share"):
        return FORMATS["share"]
    if all(float(v).is_integer() for v in numbers) and pd.api.types.is_integer_dtype(values):
        return FORMATS["whole"]
    return FORMATS["number"]


def header_words(columns) -> list[str]:
    """Headers in words, unique within the sheet: a column whose words another column already
    has is named by its code in words ("Statement"), then numbered.

    Examples
    --------
    >>> header_words(["id", "statement", "ci_low", "x", "x"])
    ['Claim', 'Statement', 'Lower limit', 'X', 'X (2)']
    """
    out, seen = [], set()
    for c in columns:
        text = column_label(str(c))
        if text.lower() in seen:
            text = label(str(c), "(code)")
        base, k = text, 2
        while text.lower() in seen:
            text, k = f"{base} ({k})", k + 1
        seen.add(text.lower())
        out.append(text)
    return out


#: Measures (the ``measure`` column of a long table) whose estimates are counts or shares:
#: their rows' estimate and interval cells are formatted as such.
_COUNT_MEASURES = ("n_",)
_SHARE_MEASURES = ("reached_", "share", "resolved_by", "side_effect_rate")
_ESTIMATE_COLUMNS = ("estimate", "ci_low", "ci_high")


def row_format(measure, column, fmt: str | None) -> str | None:
    """The format of an estimate cell by its row's measure (a count, a share), else ``fmt``.

    Examples
    --------
    >>> row_format("n_courses", "estimate", "0.000"), row_format("reached_major", "ci_low", "0")
    ('#,##0', '0.0%')
    >>> row_format("improvement", "estimate", "0.000"), row_format("n_courses", "n", "#,##0")
    ('0.000', '#,##0')
    """
    if fmt is None or column not in _ESTIMATE_COLUMNS or not isinstance(measure, str):
        return fmt
    if measure.startswith(_COUNT_MEASURES):
        return FORMATS["count"]
    if measure.startswith(_SHARE_MEASURES):
        return FORMATS["share"]
    return fmt


def describe(table: str, column: str, given: Mapping[tuple[str, str], str],
             common: Mapping[str, str]) -> str:
    """A column's description: the readme's, then the common one, then ``columns.toml``'s."""
    return (given.get((table, column)) or common.get(column)
            or COLUMN_DESCRIPTIONS.get(column, ""))


def sheet_order(written: Mapping[str, pd.DataFrame], last=()) -> list[str]:
    """Table names in sheet order: short tables, then long ones, then ``last`` (kept in order).

    Examples
    --------
    >>> t = {"long": pd.DataFrame({"x": range(100)}), "short": pd.DataFrame({"x": [1]}),
    ...      "suppressions": pd.DataFrame()}
    >>> sheet_order(t, last=["suppressions"])
    ['short', 'long', 'suppressions']
    """
    names = [n for n in written if n not in last]
    short = [n for n in names if len(written[n]) <= PAPER_ROWS]
    long = [n for n in names if len(written[n]) > PAPER_ROWS]
    return short + long + [n for n in last if n in written]


def provenance_rows(provenance: Mapping | None, min_cell: int, exact: bool) -> list[list]:
    """Rows of the provenance sheet: what made the workbook, from what, and when."""
    p = dict(provenance or {})
    parameters = {"min_cell": min_cell, "disclosure control": "none (internal, exact counts)"
                  if exact else "applied", **dict(p.get("parameters") or {})}
    rows = [["Item", "Value"],
            ["Package", f"outcomes {__version__}"],
            ["Python", sys.version.split()[0]],
            ["pandas", pd.__version__],
            ["Command", p.get("command") or "(Python API)"],
            *[[f"Parameter: {k}", str(v)] for k, v in parameters.items()],
            ["Written at (UTC)", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S")]]
    checksums = dict(p.get("checksums") or {})
    if checksums:
        rows += [[], ["Input file", "SHA-256"], *[[f, s] for f, s in checksums.items()]]
    return rows


def _cells(df: pd.DataFrame) -> list[list]:
    """Rows of values with real blanks: NaN, None and empty text become None."""
    out = []
    for row in df.itertuples(index=False, name=None):
        out.append([None if is_missing(v) or (isinstance(v, str) and v == "") else
                    (v.item() if hasattr(v, "item") else v) for v in row])
    return out


def write_workbook(path: Path, readme_rows, written: Mapping[str, pd.DataFrame],
                   sheets: Mapping[str, str], order, provenance_sheet) -> None:
    """Write the workbook (README first, then ``order``, then provenance), atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    ws = book.active
    ws.title = "README"
    for row in _text_rows(readme_rows):
        ws.append(row)
    _widths(ws)
    bold = Font(bold=True)
    for name in order:
        df = written[name]
        ws = book.create_sheet(sheets[name])
        ws.append(header_words(df.columns))
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in _cells(df):
            ws.append(row)
        measures = list(df["measure"]) if "measure" in df.columns else [None] * len(df)
        for j, col in enumerate(df.columns, start=1):
            fmt = number_format(col, df[col])
            if fmt is None:
                continue
            for (cell,), measure in zip(ws.iter_rows(min_row=2, min_col=j, max_col=j),
                                        measures, strict=True):
                if isinstance(cell.value, int | float | _dt.date) and \
                        not isinstance(cell.value, bool):
                    cell.number_format = row_format(measure, str(col), fmt)
        ws.freeze_panes = "A2"
        _widths(ws)
    ws = book.create_sheet(provenance_sheet[0])
    for row in _text_rows(provenance_sheet[1]):
        ws.append(row)
    ws["A1"].font = ws["B1"].font = bold
    _widths(ws)
    save_atomically(path, book.save)


def _text_rows(rows) -> list[list]:
    """Rows of a text sheet (README, provenance): padded, formulas neutralised, real blanks."""
    width = max(len(r) for r in rows)
    frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)
    return _cells(neutralise_formulas(frame))


def _widths(ws) -> None:
    for column in ws.columns:
        longest = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        ws.column_dimensions[column[0].column_letter].width = min(max(longest + 2, 8), 60)


def table_title(name: str) -> str:
    """A table's title in words (its sheet keeps the code, as its CSV file does)."""
    return label(name, "table")
