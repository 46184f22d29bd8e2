"""A data-entry workbook for a clinic without a practice-management export: the contract as cells.

:func:`write_template` writes an ``.xlsx`` workbook with one sheet per table of the contract
(``sessions``, ``assessments``, ``adverse_events``: the sheets :func:`~outcomes.load_bundle`
reads), the contract's headers in row 1 (frozen), and for the rows below:

* a drop-down (Excel data validation, a list kept on a hidden ``lists`` sheet) for every
  vocabulary column, for the yes/no column and for the scale (where other scales may be typed,
  with a warning, since a scales file may declare them);
* date columns formatted ``YYYY-MM-DD`` and limited to dates;
* number limits on the numeric columns (the contract's ranges);
* the ``age_band`` cells, and every id and list column, formatted as text (``@``), so that
  ``65+`` stays ``65+`` and ``00123`` keeps its zeros when typed into a spreadsheet;
* an ``instructions`` sheet, first, saying what goes in each column.

A filled template loads with no warning. Needs ``openpyxl`` (imported when called).
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import OutputError
from .schema import TABLES, Column, ColumnKind, load_scales, vocabulary

__all__ = ["write_template", "TEMPLATE_ROWS", "INSTRUCTIONS", "LISTS"]

#: Rows below the header that carry the drop-downs, formats and limits.
TEMPLATE_ROWS = 1000
#: Names of the sheets beside the tables.
INSTRUCTIONS, LISTS = "instructions", "lists"
_TEXT_FORMAT = "@"
_DATE_FORMAT = "YYYY-MM-DD"
_TEXT_KINDS = (ColumnKind.ID, ColumnKind.TEXT, ColumnKind.LIST)
_YES_NO = ["yes", "no"]
_WIDTH = 18


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _choices(column: Column, scales: list[str]) -> list[str] | None:
    if column.kind == ColumnKind.VOCABULARY:
        return vocabulary(column.vocabulary)
    if column.kind == ColumnKind.SCALE:
        return scales
    if column.kind == ColumnKind.BOOL:
        return _YES_NO
    return None


def _what(column: Column, scales: list[str]) -> str:
    """What goes in a column, in words, for the instructions sheet."""
    kind = column.kind
    if kind == ColumnKind.DATE:
        return "a date (YYYY-MM-DD; the cells are date cells)"
    if kind == ColumnKind.LIST:
        return ("none, or items separated by ';' from: "
                + ", ".join(vocabulary(column.vocabulary)))
    choices = _choices(column, scales)
    if choices is not None:
        return "one of " + ", ".join(choices) + " (drop-down)"
    if kind in (ColumnKind.NUMBER, ColumnKind.HOURS):
        low = "" if math.isinf(column.low) else f"from {column.low:g}"
        high = "" if math.isinf(column.high) else f"to {column.high:g}"
        return " ".join(["a number", low, high]).strip()
    return "text (a pseudonymous code, never a name)"


def _validation(column: Column, cells: str, list_range: str | None):
    from openpyxl.worksheet.datavalidation import DataValidation

    if list_range is not None:
        style = "warning" if column.kind == ColumnKind.SCALE else "stop"
        v = DataValidation(type="list", formula1=list_range, allow_blank=True,
                           errorStyle=style, showErrorMessage=True)
        v.error = f"{column.name}: choose a value from the list"
    elif column.kind == ColumnKind.DATE:
        v = DataValidation(type="date", operator="greaterThan", formula1="DATE(1900,1,1)",
                           allow_blank=True, showErrorMessage=True)
        v.error = f"{column.name}: a date, such as 2024-03-18"
    elif column.kind in (ColumnKind.NUMBER, ColumnKind.HOURS) and column.name != "score":
        low, high = column.low, column.high
        if math.isinf(high):
            v = DataValidation(type="decimal", operator="greaterThanOrEqual",
                               formula1=f"{max(low, 0):g}", allow_blank=True,
                               showErrorMessage=True)
        else:
            v = DataValidation(type="decimal", operator="between", formula1=f"{low:g}",
                               formula2=f"{high:g}", allow_blank=True, showErrorMessage=True)
        v.error = f"{column.name}: {_what(column, [])}"
    else:
        return None
    v.errorTitle = column.name
    v.add(cells)
    return v


def write_template(path: str | Path, *, rows: int = TEMPLATE_ROWS, overwrite: bool = False
                   ) -> Path:
    """Write the data-entry workbook.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write.
    rows : int
        Rows below the header that get the drop-downs, formats and limits.
    overwrite : bool
        Replace an existing file (by default an existing file is left alone and refused).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputError
        If the file exists (and ``overwrite`` is false), does not end in ``.xlsx``, or cannot
        be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from openpyxl import load_workbook
    >>> out = write_template(pathlib.Path(tempfile.mkdtemp()) / "clinic_log.xlsx", rows=5)
    >>> load_workbook(out).sheetnames
    ['instructions', 'sessions', 'assessments', 'adverse_events', 'lists']
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path.name}: the template is an .xlsx workbook; give a name "
                          "ending in .xlsx.")
    if path.exists() and not overwrite:
        raise OutputError(f"{path.name} exists already; give another name (or overwrite it).")
    scales = list(load_scales())
    book = Workbook()
    notes = book.active
    notes.title = INSTRUCTIONS
    lists = book.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    list_ranges: dict[tuple, str] = {}
    last = rows + 1
    for table in TABLES.values():
        sheet = book.create_sheet(table.name, index=len(book.sheetnames) - 1)
        sheet.append(table.names)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            letter = _letter(index)
            sheet.cell(1, index).font = bold
            sheet.column_dimensions[letter].width = max(_WIDTH, len(column.name) + 2)
            choices = _choices(column, scales)
            list_range = None
            if choices is not None:
                key = tuple(choices)
                if key not in list_ranges:
                    at = _letter(len(list_ranges) + 1)
                    lists.cell(1, len(list_ranges) + 1, column.name)
                    for row, word in enumerate(choices, start=2):
                        lists.cell(row, len(list_ranges) + 1, word)
                    list_ranges[key] = f"{LISTS}!${at}$2:${at}${len(choices) + 1}"
                list_range = list_ranges[key]
            validation = _validation(column, f"{letter}2:{letter}{last}", list_range)
            if validation is not None:
                sheet.add_data_validation(validation)
            number_format = (_DATE_FORMAT if column.kind == ColumnKind.DATE else
                             _TEXT_FORMAT if column.kind in _TEXT_KINDS
                             or column.vocabulary == "age_band" else None)
            if number_format is not None:
                sheet.column_dimensions[letter].number_format = number_format
                for row in range(2, last + 1):
                    sheet.cell(row, index).number_format = number_format
    _instructions(notes, scales, bold)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
    except OSError as exc:
        raise OutputError(f"Cannot write {path.name}: {exc.strerror or exc}.") from None
    return path


def _instructions(sheet, scales: list[str], bold) -> None:
    paragraphs = [
        "How to fill in this workbook",
        "One row per treatment session on 'sessions', per outcome assessment on 'assessments', "
        "per side effect on 'adverse_events'.",
        "Keep the sheet names and the headers in row 1 as they are. Use the drop-downs; type "
        "dates as dates (YYYY-MM-DD).",
        "Never enter names, e-mail addresses, phone or health-service numbers: patient, "
        "session, clinic and operator ids are pseudonymous codes.",
        "Then run: outcomes validate clinic_log.xlsx (the workbook is only read, never changed).",
        "",
    ]
    for text in paragraphs:
        sheet.append([text])
    sheet["A1"].font = bold
    sheet.append(["sheet", "column", "required", "what goes in it", "meaning"])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for table in TABLES.values():
        for column in table.columns:
            sheet.append([table.name, column.name, "yes" if column.required else "",
                          _what(column, scales), column.description])
    for letter, width in zip("ABCDE", (16, 20, 9, 70, 40), strict=True):
        sheet.column_dimensions[letter].width = width
