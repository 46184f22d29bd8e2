"""Exports: disclosure and formula neutralisation on the way out, workbook layout."""

from __future__ import annotations

import doctest

import numpy as np
import openpyxl
import pandas as pd
import pytest

import outcomes.output.export as export_module
from outcomes.errors import AnalysisError
from outcomes.output.disclosure import ColumnTotal, RowTotal, assert_no_small_counts
from outcomes.output.export import README_SHEET, write_tables

INJECTIONS = ["=1+1", "+SUM(A1)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\tx", "\rx"]


def _tables() -> dict[str, pd.DataFrame]:
    events = pd.DataFrame({
        "event": ["erythema", "pih", "all"],
        "n_events": [20, 3, 23],
        "n": [40, 40, 40],
        "share": [0.5, 0.075, 0.575],
    })
    claims = pd.DataFrame({
        "claim": ["redness-24-48h", "pih-rare", "pain-low"],
        "estimate": [-1.5, 0.2, 0.9],
        "ci_low": [-2.0, 0.1, 0.8],
        "ci_high": [-1.0, 0.3, 1.0],
        "n": [30, 2, 50],
        "verdict": ["supported", "inconclusive", "contradicted"],
    })
    text = pd.DataFrame({"comment": INJECTIONS, "n": [10, 11, 12, 13, 14, 15],
                         "delta": [-1.5, -2.0, 0.0, 1.0, -0.25, 3.0]})
    return {"events": events, "claims": claims, "comments": text}


_README = {"events": "side effects", "claims": "claim verdicts", "comments": "free text"}


@pytest.fixture
def exported(tmp_path):
    tables = _tables()
    before = {k: v.copy(deep=True) for k, v in tables.items()}
    res = write_tables(tables, tmp_path, readme=_README,
                       margins={"events": RowTotal("event", "all", counts=["n_events"])})
    for k, v in tables.items():
        pd.testing.assert_frame_equal(v, before[k])
    return res


def _sheet_rows(path, sheet):
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c for c in row] for row in ws.iter_rows()]


def _codes(path, sheet) -> dict[str, str]:
    """Header in words -> column code, from the README sheet (headers are words)."""
    rows = list(openpyxl.load_workbook(path)[README_SHEET].values)
    start = next(i for i, r in enumerate(rows) if r[:2] == ("sheet", "csv file"))
    return {r[5]: r[3] for r in rows[start + 1:] if r[0] == sheet and r[3]}


def test_docstring_examples_run():
    result = doctest.testmod(export_module)
    assert result.failed == 0 and result.attempted > 0


# ----------------------------------------------------------------------------- layout
def test_files_and_sheets(exported, tmp_path):
    assert exported.xlsx == tmp_path / "tables.xlsx" and exported.xlsx.exists()
    assert {k: p.relative_to(tmp_path).as_posix() for k, p in exported.csv.items()} == {
        "events": "tables/events.csv", "claims": "tables/claims.csv",
        "comments": "tables/comments.csv", "suppressions": "tables/suppressions.csv"}
    wb = openpyxl.load_workbook(exported.xlsx)
    assert wb.sheetnames == [README_SHEET, "events", "claims", "comments", "suppressions",
                             "provenance"]
    assert not list(tmp_path.glob(".*tmp"))


def test_readme_sheet_describes_tables_columns_and_the_rule(exported):
    ws = openpyxl.load_workbook(exported.xlsx)[README_SHEET]
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    text = "\n".join(cells)
    assert "Counts from 1 to 4 are shown as <5" in text
    assert "min_cell" in cells
    for name, description in _README.items():
        assert name in cells and description in cells
    for column in ("n_events", "share", "ci_low", "comment"):
        assert column in cells
    assert "lower end of the 95% confidence interval" in cells


def test_readme_as_dataframe_describes_columns(tmp_path):
    readme = pd.DataFrame({"table": ["t", "t"], "column": ["", "x"],
                           "description": ["a table", "=the x column"]})
    res = write_tables({"t": pd.DataFrame({"x": [1]})}, tmp_path, readme=readme)
    ws = openpyxl.load_workbook(res.xlsx)[README_SHEET]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert ["t", "tables/t.csv", "t", "x", "'=the x column"] in [r[:5] for r in rows]


def test_every_table_needs_a_description(tmp_path):
    with pytest.raises(AnalysisError, match="describes no table named \\['b'\\]"):
        write_tables({"a": pd.DataFrame(), "b": pd.DataFrame()}, tmp_path, readme={"a": "x"})


def test_margins_for_unknown_tables_are_refused(tmp_path):
    with pytest.raises(AnalysisError, match="not among the tables"):
        write_tables({"a": pd.DataFrame({"n": [5]})}, tmp_path, readme={"a": "x"},
                     margins={"zz": ColumnTotal("n", ["n_x"])})


def test_sheet_names_are_short_unique_and_legal(tmp_path):
    long = "a_very_long_table_name_that_goes_on_and_on"
    names = [long + "_1", long + "_2", "Readme", "what?[x]", "A_VERY_LONG_TABLE_NAME_THAT_GOES"]
    tables = {n: pd.DataFrame({"x": [1]}) for n in names}
    res = write_tables(tables, tmp_path, readme=dict.fromkeys(names, "d"))
    sheets = list(res.sheets.values())
    assert all(len(s) <= 31 for s in sheets)
    assert len({s.lower() for s in sheets} | {"readme"}) == len(sheets) + 1
    assert not any(set(s) & set("[]:*?/\\") for s in sheets)
    assert openpyxl.load_workbook(res.xlsx).sheetnames == [README_SHEET, *sheets, "provenance"]
    assert len({p.name.lower() for p in res.csv.values()}) == len(names) + 1  # suppressions
    assert all(p.parent == tmp_path / "tables" for p in res.csv.values())


def test_index_is_written_as_columns(tmp_path):
    df = pd.DataFrame({"n": [7, 9]}, index=pd.Index(["acne", "scars"], name="condition"))
    res = write_tables({"t": df}, tmp_path, readme={"t": "d"})
    assert pd.read_csv(res.csv["t"]).columns.tolist() == ["condition", "n"]


# ----------------------------------------------------------------------------- disclosure
def test_no_small_count_leaves_in_csv_or_xlsx(exported):
    for name, path in exported.csv.items():
        assert assert_no_small_counts(pd.read_csv(path)).empty, name
        rows = _sheet_rows(exported.xlsx, exported.sheets[name])
        codes = _codes(exported.xlsx, exported.sheets[name])
        header = [codes[c.value] for c in rows[0]]
        body = pd.DataFrame([[c.value for c in r] for r in rows[1:]], columns=header)
        assert assert_no_small_counts(body).empty, name


def test_disclosure_applied_with_margins_and_suppressions_returned(exported):
    events = pd.read_csv(exported.csv["events"])
    assert events["n_events"].tolist() == ["*", "<5", "23"]
    assert events["share"].isna().tolist() == [True, True, False]
    claims = pd.read_csv(exported.csv["claims"])
    assert claims.loc[1, ["estimate", "ci_low", "ci_high"]].isna().all()
    s = exported.suppressions
    assert set(s["table"]) == {"events", "claims"}
    assert set(s["reason"]) == {"primary", "secondary", "withheld estimate"}


def test_options_are_passed_to_disclose(tmp_path):
    t = pd.DataFrame({"read": [20], "accepted": [17], "quarantined": [3]})
    res = write_tables({"counts": t}, tmp_path, readme={"counts": "rows"},
                       options={"counts": dict(
                           count_columns=["read", "accepted", "quarantined"],
                           margins=ColumnTotal("read", ["accepted", "quarantined"]))})
    assert pd.read_csv(res.csv["counts"]).astype(str).iloc[0].tolist() == ["20", "*", "<5"]


# ----------------------------------------------------------------------------- formulas
def test_text_formulas_are_neutralised_in_csv_and_xlsx(exported):
    csv = pd.read_csv(exported.csv["comments"], keep_default_na=False)
    expected = ["'" + v for v in INJECTIONS]
    assert csv["comment"].tolist() == expected
    rows = _sheet_rows(exported.xlsx, exported.sheets["comments"])
    assert [r[0].value for r in rows[1:]] == expected
    assert all(r[0].data_type == "s" for r in rows[1:])


def test_no_formula_cell_anywhere_in_the_workbook(exported):
    wb = openpyxl.load_workbook(exported.xlsx)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_numbers_including_negative_ones_stay_numbers(exported):
    csv = pd.read_csv(exported.csv["comments"])
    assert csv["delta"].dtype == np.float64
    assert csv["delta"].tolist() == [-1.5, -2.0, 0.0, 1.0, -0.25, 3.0]
    claims = pd.read_csv(exported.csv["claims"])
    assert claims["estimate"].iloc[0] == -1.5
    rows = _sheet_rows(exported.xlsx, exported.sheets["comments"])
    codes = _codes(exported.xlsx, exported.sheets["comments"])
    header = [codes[c.value] for c in rows[0]]
    delta = [r[header.index("delta")] for r in rows[1:]]
    assert [c.value for c in delta] == [-1.5, -2, 0, 1, -0.25, 3]
    assert all(c.data_type == "n" for c in delta)
    counts = [r[header.index("n")] for r in rows[1:]]
    assert all(c.data_type == "n" for c in counts)


def test_formula_in_a_column_name_and_control_characters(tmp_path):
    t = pd.DataFrame({"=HYPERLINK(\"x\")": ["a\x01=b", "\x02=cmd"], "n": [7, 8]})
    res = write_tables({"t": t}, tmp_path, readme={"t": "d"})
    csv = pd.read_csv(res.csv["t"])
    assert csv.columns[0] == "'=HYPERLINK(\"x\")"
    assert csv.iloc[:, 0].tolist() == ["a=b", "'=cmd"]
    rows = _sheet_rows(res.xlsx, res.sheets["t"])
    assert rows[0][0].value == "'=HYPERLINK(\"x\")" and rows[2][0].value == "'=cmd"
