"""The workbook's layout (output/workbook.py): formats, real blanks, headers, order, README."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd

from outcomes.output.export import README_SHEET, write_tables
from outcomes.output.workbook import (
    COLUMN_DESCRIPTIONS,
    FORMATS,
    PAPER_ROWS,
    header_words,
    number_format,
)


def _write(tmp_path, tables, **kwargs):
    readme = dict.fromkeys(tables, "a table")
    return write_tables(tables, tmp_path, readme=readme, **kwargs)


def test_number_formats_by_kind_of_column():
    shares, whole = pd.Series([0.25, 0.5]), pd.Series([1, 2])
    assert number_format("n", whole) == number_format("adherent", whole) == FORMATS["count"]
    assert number_format("share_resolved", shares) == FORMATS["share"]
    assert number_format("percentage", pd.Series([25.0])) == FORMATS["percentage"]
    assert number_format("after_session", whole) == FORMATS["whole"]
    assert number_format("estimate", shares) == FORMATS["number"]
    assert number_format("n", pd.Series(["<5", "*"])) is None  # marks are text
    assert number_format("when", pd.Series(pd.to_datetime(["2024-01-02"]))) == "yyyy-mm-dd"


def test_cells_are_formatted_blank_cells_are_empty_and_headers_are_words(tmp_path):
    t = pd.DataFrame({"condition": ["acne_scars", "wrinkles", "texture"],
                      "measure": ["n_courses", "reached_major", "improvement"],
                      "estimate": [12.0, 0.5, 0.123456], "ci_low": [np.nan, 0.4, 0.1],
                      "n": [12, 30, 40], "note": ["", "x", None]})
    res = _write(tmp_path, {"t": t})
    ws = openpyxl.load_workbook(res.xlsx)["t"]
    assert [c.value for c in ws[1]] == ["Condition", "Measure", "Estimate", "Lower limit", "n",
                                        "Note"]
    assert [ws.cell(r, 3).number_format for r in (2, 3, 4)] == ["#,##0", "0.0%", "0.000"]
    assert ws.cell(2, 4).value is None and ws.cell(2, 6).value is None  # real blanks
    assert ws.cell(4, 6).value is None and ws.cell(3, 6).value == "x"
    assert all(ws.cell(r, 5).number_format == "#,##0" for r in (2, 3, 4))
    csv = pd.read_csv(res.csv["t"])
    assert list(csv.columns) == list(t.columns)  # the CSV keeps the codes


def test_headers_are_unique_within_a_sheet():
    assert header_words(["id", "statement", "basis", "estimate"]) == [
        "Claim", "Statement", "Estimate", "Estimate (2)"]


def test_short_tables_first_then_long_then_suppressions_and_provenance(tmp_path):
    tables = {"long": pd.DataFrame({"x": range(PAPER_ROWS + 1)}),
              "short": pd.DataFrame({"x": [1, 2]})}
    res = _write(tmp_path, tables, provenance={"command": "outcomes report x",
                                               "parameters": {"bundle": "x"},
                                               "checksums": {"sessions.csv": "ab" * 32}})
    book = openpyxl.load_workbook(res.xlsx)
    assert book.sheetnames == [README_SHEET, "short", "long", "suppressions", "provenance"]
    items = dict(r[:2] for r in book["provenance"].values if r[0])
    assert items["Command"] == "outcomes report x" and items["sessions.csv"] == "ab" * 32
    assert items["Parameter: bundle"] == "x" and items["Parameter: min_cell"] == "5"


def test_readme_lists_code_header_description_and_format_of_each_column(tmp_path):
    res = _write(tmp_path, {"t": pd.DataFrame({"ci_low": [0.5], "n_events": [7], "n": [9]})})
    rows = list(openpyxl.load_workbook(res.xlsx)[README_SHEET].values)
    start = next(i for i, r in enumerate(rows) if r[:2] == ("sheet", "csv file"))
    assert rows[start][:7] == ("sheet", "csv file", "table", "column", "description", "header",
                               "number format")
    body = {r[3]: r for r in rows[start + 1:] if r[0] == "t" and r[3]}
    assert body["ci_low"][4:7] == ("lower end of the 95% confidence interval", "Lower limit",
                                   "0.000")
    assert body["n_events"][4:7] == (COLUMN_DESCRIPTIONS["n_events"], "Episodes", "#,##0")
