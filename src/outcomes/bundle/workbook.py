"""Reading the sheets of an ``.xlsx`` workbook as text, whole, with the cells that hold no value.

openpyxl's read-only mode trusts a sheet's ``<dimension>`` tag, which a library or an old export
may leave stale (``A1:F100`` on a sheet of 1,591 rows and 17 columns): rows and columns beyond it
would be dropped without a word. Here each sheet's XML is parsed row by row with openpyxl's own
cell parser, whatever the tag says, and two kinds of cell that a spreadsheet program shows with a
value but the file holds without one are reported as :class:`CellProblem`, never read as blanks:

* a formula without a computed (cached) value: a workbook written by a library and never opened
  and saved in a spreadsheet program;
* a cell covered by merged cells other than their top-left one, which alone holds the value.

Cells are written out as the text a CSV export would hold (:func:`cell_text`). The rows of a
sheet are counted while it is read, and reading stops as soon as they are more than allowed.
Nothing here knows the contract; :mod:`outcomes.bundle.readers` makes the raw tables.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import math
import zipfile
from dataclasses import dataclass

import pyarrow as pa

from ..errors import BundleError
from .limits import Limits, too_many_rows
from .values import quote

__all__ = ["CellProblem", "SheetText", "open_workbook", "read_sheet", "cell_text"]

_UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError, OSError,
               zipfile.BadZipFile, SyntaxError, EOFError)  # what openpyxl raises on a bad file
_RESAVE = "open the workbook in Excel and save it again as .xlsx"
# no "; " in these: the reasons of a quarantined row are joined with it
_FORMULA_ADVICE = ("open the workbook in a spreadsheet program and save it so that the values "
                   "are computed (or paste the values over the formulas), and load it again")
_MERGED_ADVICE = "unmerge the cells and fill in the value on every row"


@dataclass(frozen=True)
class CellProblem:
    """A cell of a sheet that holds no value the file can give.

    Attributes
    ----------
    row : int
        Spreadsheet row (the header is row 1).
    column : int
        Position of the column in the header (0 for column A).
    value : str or None
        What the cell holds instead of a value (the formula), for the warnings' ``value``.
    what : str
        What is wrong, naming the cell: ``"cell C5 holds a formula (=A5+7) without a computed
        value"``.
    advice : str
        What to do about it.
    """

    row: int
    column: int
    value: str | None
    what: str
    advice: str


@dataclass(frozen=True)
class SheetText:
    """One sheet as text: header, columns and the spreadsheet row of each of their rows.

    Attributes
    ----------
    header : tuple of str
        Column names (stripped; ``""`` for an empty header cell).
    columns : list of pyarrow.Array
        One string array per header entry; ``None`` for an empty cell (and for a cell of
        :attr:`problems`).
    rows : numpy-compatible list of int
        Spreadsheet row of each entry of the columns, ascending. Rows absent from the file or
        blank are left out, except those with a problem.
    problems : tuple of CellProblem
        Formulas without a value and merged cells, in the columns of the header.
    """

    header: tuple[str, ...]
    columns: list[pa.Array]
    rows: list[int]
    problems: tuple[CellProblem, ...]


class _Uncomputed(str):
    """The formula of a cell that has no computed value (``"=A5+7"``, or ``"="`` if shared)."""


def open_workbook(data: bytes, where: str):
    """Open the bytes of an ``.xlsx`` file read-only, with cached values for formulas.

    Raises
    ------
    BundleError
        If the bytes are not a workbook openpyxl can read.
    """
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError, IndexError,
            AttributeError, EOFError, SyntaxError) as exc:
        # openpyxl raises these (SyntaxError covers XML parse errors) for files it cannot read
        raise BundleError(
            f"{where} cannot be read as an .xlsx workbook ({type(exc).__name__}); open it in "
            "Excel and save it again as .xlsx."
        ) from None


def _parser(workbook, sheet, source):
    """openpyxl's parser of a sheet's XML, marking formulas without a computed value."""
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None:
                formula = element.find(FORMULA_TAG)
                # a computed empty text is saved as t="str" with an empty <v>: a value
                computed = element.get("t") == "str" and element.find(VALUE_TAG) is not None
                if formula is not None and not computed:
                    cell["value"] = _Uncomputed("=" + (formula.text or ""))
            return cell

    return Parser(source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                  date_formats=workbook._date_formats,
                  timedelta_formats=workbook._timedelta_formats)


def read_sheet(workbook, sheet, where: str, limits: Limits, table: str) -> SheetText:
    """Read one sheet whole, whatever its ``<dimension>`` tag says.

    Parameters
    ----------
    workbook : openpyxl.Workbook
        From :func:`open_workbook`.
    sheet : openpyxl read-only worksheet
        One of its sheets.
    where : str
        How messages name the sheet (``bundle.xlsx, sheet sessions``).
    limits : Limits
        ``max_rows`` is the most data rows read.
    table : str
        The contract table the sheet holds (for the errors' ``failure_cases``).

    Returns
    -------
    SheetText

    Raises
    ------
    BundleError
        If the sheet cannot be parsed, is empty, its header holds a formula without a value,
        or it has more data rows than ``limits.max_rows``.
    """
    try:
        with sheet._get_source() as source:
            parser = _parser(workbook, sheet, source)
            header, body, rows, problems = _parse(parser, where, limits, table)
            merged = [] if parser.merged_cells is None else [
                str(m.coord) for m in parser.merged_cells.mergeCell]
    except BundleError:
        raise
    except _UNREADABLE as exc:
        raise BundleError(f"{where} cannot be read ({type(exc).__name__}); {_RESAVE}.") from None
    if not header and not rows:
        raise BundleError(f"{where} is empty: expected a header row with the column names.")
    if not any(h is not None for h in header):
        raise BundleError(f"{where}: row 1 is empty; the first row must hold the column names.")
    width = max([len(header), *map(len, body)])
    header = header + [None] * (width - len(header))
    problems += _merged_problems(merged, rows, body, width)
    while header and header[-1] is None and all(len(r) < len(header) or r[len(header) - 1] is None
                                                for r in body):
        header.pop()  # trailing columns with neither a name nor a value
    width = len(header)
    columns = [pa.array([r[i] if i < len(r) else None for r in body], type=pa.string())
               for i in range(width)]
    names = tuple("" if h is None else h.strip() for h in header)
    return SheetText(names, columns, rows,
                     tuple(sorted((p for p in problems if p.column < width),
                                  key=lambda p: (p.row, p.column))))


def _parse(parser, where: str, limits: Limits, table: str):
    """The header, the rows that hold something, their numbers, and the formulas without a
    value."""
    header: list[str | None] = []
    body: list[list[str | None]] = []
    rows: list[int] = []
    problems: list[CellProblem] = []
    for number, cells in parser.parse():
        texts: list[str | None] = []
        uncomputed = False
        for cell in cells:
            value = cell["value"]
            if value is None:
                continue
            position = cell["column"] - 1
            if type(value) is _Uncomputed:
                uncomputed = True
                problems.append(_uncomputed(value, number, position, where))
                continue
            text = cell_text(value)
            if text is None:
                continue
            gap = position - len(texts)
            if gap == 0:
                texts.append(text)
            elif gap > 0:
                texts.extend([None] * gap)
                texts.append(text)
            else:  # a cell given twice, or out of order
                texts[position] = text
        if number == 1:
            header = texts
        elif texts or uncomputed:
            rows.append(number)
            body.append(texts)
            if len(rows) > limits.max_rows:
                raise too_many_rows(where, len(rows), limits, table, more=True)
    if any(b < a for a, b in zip(rows, rows[1:], strict=False)):  # rows out of order in the XML
        order = sorted(range(len(rows)), key=rows.__getitem__)
        rows, body = [rows[i] for i in order], [body[i] for i in order]
    return header, body, rows, problems


def _uncomputed(formula: str, number: int, position: int, where: str) -> CellProblem:
    """The problem of a formula without a computed value (refused outright in the header)."""
    from openpyxl.utils import get_column_letter

    coordinate = f"{get_column_letter(position + 1)}{number}"
    if number == 1:
        raise BundleError(
            f"{where}, cell {coordinate}: the column name is a formula without a computed "
            f"value; {_FORMULA_ADVICE}.")
    shown = f" ({quote(str(formula))})" if len(formula) > 1 else ""
    return CellProblem(number, position, str(formula),
                       f"cell {coordinate} holds a formula{shown} without a computed value",
                       _FORMULA_ADVICE)


def _merged_problems(merged: list[str], rows: list[int], body: list[list],
                     width: int) -> list[CellProblem]:
    """A problem for every cell covered by merged cells (not their top-left), on the rows read,
    its text blanked (the file may hold a value there that a spreadsheet program hides)."""
    from openpyxl.utils import get_column_letter, range_boundaries

    problems = []
    for ref in merged:
        first_col, first_row, last_col, last_row = range_boundaries(ref)
        top_left = f"{get_column_letter(first_col)}{first_row}"
        start = bisect.bisect_left(rows, max(first_row, 2))
        stop = bisect.bisect_right(rows, last_row)
        for index in range(start, stop):
            row = rows[index]
            for column in range(first_col, min(last_col, width) + 1):
                if (row, column) == (first_row, first_col):
                    continue
                texts = body[index]
                value = texts[column - 1] if column - 1 < len(texts) else None
                if value is not None:
                    texts[column - 1] = None
                problems.append(CellProblem(
                    row, column - 1, value,
                    f"cell {get_column_letter(column)}{row} is covered by the merged cells "
                    f"{ref} (only {top_left} holds their value)", _MERGED_ADVICE))
    return problems


def cell_text(value) -> str | None:
    """Write one Excel cell value as the text a CSV export would hold (``None`` if empty).

    >>> cell_text(2.0), cell_text(dt.datetime(2024, 3, 18)), cell_text(True), cell_text("  ")
    ('2', '2024-03-18', 'true', None)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.replace(microsecond=0, tzinfo=None).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _float_text(value: float) -> str | None:
    if math.isnan(value):
        return None
    if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(value)
