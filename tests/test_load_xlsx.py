"""Workbooks read whole and honestly: a stale ``<dimension>`` tag truncates nothing, and cells a
spreadsheet shows with a value the file does not hold (formulas never computed, cells covered by
merged cells) are problems of their row and column, never silent blanks."""

from __future__ import annotations

import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from tests.bundles import many_sessions, valid_tables, write_bundle

from outcomes import Col, load_bundle
from outcomes.bundle.schema import TABLES
from outcomes.errors import BundleError, DataQualityWarning

SESSIONS_SHEET = "xl/worksheets/sheet1.xml"
EVENTS_SHEET = "xl/worksheets/sheet3.xml"
FORMULA_ADVICE = ("open the workbook in a spreadsheet program and save it so that the values are "
                  "computed (or paste the values over the formulas), and load it again")
MERGED_ADVICE = "unmerge the cells and fill in the value on every row"


def load_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_bundle(path, **kwargs)


def rewrite_member(path: Path, member: str, edit) -> None:
    """Rewrite one member of a zip archive (a sheet's XML) with ``edit(text) -> text``."""
    with zipfile.ZipFile(path) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    contents[member] = edit(contents[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def set_dimension(path: Path, member: str, ref: str) -> None:
    """Give a sheet the ``<dimension ref=...>`` tag ``ref`` (replaced, or inserted)."""
    def edit(xml: str) -> str:
        if "<dimension " in xml:
            return re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)
        return xml.replace("<sheetViews>", f'<dimension ref="{ref}"/><sheetViews>', 1)
    rewrite_member(path, member, edit)


def write_workbook(path: Path, tables: dict, edit=None) -> Path:
    """A workbook of text cells written by openpyxl (not write-only, so cells can be merged),
    with ``edit(workbook)`` applied before it is saved."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, columns in tables.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(columns))
        for row in zip(*columns.values(), strict=True):
            sheet.append(list(row))
    if edit is not None:
        edit(workbook)
    workbook.save(path)
    return path


# =============================================================================== <dimension>
def test_a_stale_dimension_tag_truncates_no_row(tmp_path):
    tables = valid_tables()
    tables["sessions"] = many_sessions(1591)
    tables["adverse_events"]["session_id"] = ["S1", "S2"]
    path = write_bundle(tmp_path, tables, "xlsx")
    set_dimension(path, SESSIONS_SHEET, "A1:F100")
    # the doctored workbook is one openpyxl's read-only mode would truncate ...
    book = load_workbook(path, read_only=True)  # read-only keeps the file open until closed
    try:
        sheet = book["sessions"]
        assert (sheet.max_row, sheet.max_column) == (100, 6)
        assert sum(1 for _ in sheet.iter_rows(values_only=True)) == 100
    finally:
        book.close()
    # ... and every row and column of it is read
    log = load_quietly(path)
    assert log.counts.loc["sessions", "read"] == 1591
    assert log.counts.loc["sessions", "accepted"] == 1591
    assert log.sessions[Col.ROW].tolist() == list(range(2, 1593))
    assert log.present_columns["sessions"] == tuple(tables["sessions"])
    assert log.sessions[Col.ADJUNCT].notna().sum() > 0  # column Q, beyond F


@pytest.mark.parametrize("ref", ["A1", "A1:B2", "A1:Q4", "A1:Z9999"])
def test_any_dimension_tag_reads_the_same_tables(tmp_path, ref):
    honest = load_quietly(write_bundle(tmp_path / "honest", valid_tables(), "xlsx"))
    path = write_bundle(tmp_path / "stale", valid_tables(), "xlsx")
    for number in (1, 2, 3):
        set_dimension(path, f"xl/worksheets/sheet{number}.xml", ref)
    log = load_quietly(path)
    for name in ("sessions", "assessments", "adverse_events"):
        assert log.table(name).equals(honest.table(name))
    assert log.warnings.equals(honest.warnings)


def test_rows_missing_from_the_sheet_keep_their_spreadsheet_numbers(tmp_path):
    def edit(workbook):
        sheet = workbook["sessions"]
        sheet.insert_rows(3, amount=5)  # rows 3-7 absent from the file

    tables = {"sessions": valid_tables()["sessions"]}
    log = load_quietly(write_workbook(tmp_path / "gaps.xlsx", tables, edit))
    assert log.sessions[Col.ROW].tolist() == [2, 8, 9]
    assert log.counts.loc["sessions", "read"] == 3


def _only_reject(log, row: int, reason: str):
    """Assert that the sessions table quarantined exactly spreadsheet ``row``, for ``reason``."""
    rejects = log.rejects["sessions"]
    assert rejects[Col.ROW].tolist() == [row]
    assert rejects[Col.REASON].iloc[0] == reason
    return rejects


# ================================================================================== formulas
def _formulas(workbook):
    workbook["sessions"]["C3"] = "=DATE(2024,4,15)"  # session_date (required) of S2
    workbook["sessions"]["J4"] = "=10*2"  # duration_min (optional) of a3f9c2


def test_a_formula_without_a_value_in_a_required_column_quarantines_its_row(tmp_path):
    log = load_quietly(write_workbook(tmp_path / "f.xlsx", valid_tables(), _formulas))
    rejects = _only_reject(log, 3, "session_date: cell C3 holds a formula ('=DATE(2024,4,15)') "
                                   "without a computed value, " + FORMULA_ADVICE)
    assert "; " not in rejects[Col.REASON].iloc[0]
    assert "blank but required" not in rejects[Col.REASON].iloc[0]


def test_a_formula_without_a_value_in_an_optional_column_is_blanked_with_a_warning(tmp_path):
    log = load_quietly(write_workbook(tmp_path / "f.xlsx", valid_tables(), _formulas))
    warned = log.warnings.loc[log.warnings[Col.ROW] == 4]
    assert warned[[Col.TABLE, Col.COLUMN, Col.VALUE]].values.tolist() == [
        ["sessions", "duration_min", "=10*2"]]
    assert warned[Col.MESSAGE].iloc[0] == (
        "duration_min: cell J4 holds a formula ('=10*2') without a computed value, "
        + FORMULA_ADVICE + ", left blank")
    row = log.sessions.loc[log.sessions[Col.ROW] == 4].iloc[0]
    assert np.isnan(row[Col.DURATION_MIN])
    assert log.counts.loc["sessions"].tolist() == [3, 2, 1, 1]


def test_a_formula_without_a_value_in_event_hours_quarantines_the_event(tmp_path):
    def edit(workbook):
        workbook["adverse_events"]["E2"] = "=12*2"  # resolved_hours: decides censoring

    log = load_quietly(write_workbook(tmp_path / "f.xlsx", valid_tables(), edit))
    rejects = log.rejects["adverse_events"]
    assert rejects[Col.ROW].tolist() == [2]
    assert rejects[Col.REASON].iloc[0].startswith(
        "resolved_hours: cell E2 holds a formula ('=12*2') without a computed value, ")


def test_formulas_with_a_computed_value_are_read_as_that_value(tmp_path):
    path = write_workbook(tmp_path / "f.xlsx", valid_tables(), _formulas)

    def computed(xml: str) -> str:  # as a spreadsheet program saves them
        xml = xml.replace('<c r="C3"><f>DATE(2024,4,15)</f><v></v></c>',
                          '<c r="C3" t="str"><f>DATE(2024,4,15)</f><v>2024-04-15</v></c>')
        return xml.replace('<c r="J4"><f>10*2</f><v></v></c>',
                           '<c r="J4" t="str"><f>""</f><v></v></c>')  # a computed empty text

    rewrite_member(path, SESSIONS_SHEET, computed)
    log = load_quietly(path)
    assert log.counts.loc["sessions"].tolist() == [3, 3, 0, 0]
    assert log.rejects["sessions"].empty and log.warnings.empty
    assert str(log.sessions[Col.SESSION_DATE].iloc[1].date()) == "2024-04-15"
    assert np.isnan(log.sessions[Col.DURATION_MIN].iloc[2])


def test_a_formula_with_a_cached_number_is_read_as_the_number(tmp_path):
    tables = {"sessions": valid_tables()["sessions"]}

    def edit(workbook):
        workbook["sessions"]["J2"] = "=40+5"

    path = write_workbook(tmp_path / "f.xlsx", tables, edit)
    rewrite_member(path, SESSIONS_SHEET,
                   lambda xml: xml.replace("<f>40+5</f><v></v>", "<f>40+5</f><v>45</v>"))
    log = load_quietly(path)
    assert log.warnings.empty and log.rejects["sessions"].empty
    assert log.sessions[Col.DURATION_MIN].tolist()[0] == 45.0


def test_a_row_holding_only_formulas_without_values_is_not_dropped_as_blank(tmp_path):
    tables = {"sessions": valid_tables()["sessions"]}

    def edit(workbook):
        workbook["sessions"]["C6"] = "=TODAY()"

    log = load_quietly(write_workbook(tmp_path / "f.xlsx", tables, edit))
    assert log.counts.loc["sessions", "read"] == 4
    reasons = log.rejects["sessions"].set_index(Col.ROW)[Col.REASON]
    assert reasons[6].startswith("patient_id is blank but required")
    assert "session_date: cell C6 holds a formula ('=TODAY()') without a computed value" \
        in reasons[6]


def test_a_column_name_that_is_a_formula_without_a_value_is_refused(tmp_path):
    def edit(workbook):
        workbook["sessions"]["R1"] = '=CONCAT("no","tes")'

    with pytest.raises(BundleError) as caught:
        load_quietly(write_workbook(tmp_path / "f.xlsx", valid_tables(), edit))
    assert str(caught.value) == (
        "f.xlsx, sheet sessions, cell R1: the column name is a formula without a computed "
        f"value; {FORMULA_ADVICE}.")


# ============================================================================== merged cells
def _merged(workbook):
    sheet = workbook["sessions"]
    sheet.merge_cells("A2:A3")  # patient_id (required): P0001 on rows 2 and 3
    sheet.merge_cells("H3:H4")  # device (optional)
    sheet.merge_cells("I4:J4")  # needle_depth_mm and duration_min (optional), side by side


def test_a_merged_cell_in_a_required_column_quarantines_the_rows_it_covers(tmp_path):
    log = load_quietly(write_workbook(tmp_path / "m.xlsx", valid_tables(), _merged))
    _only_reject(log, 3, "patient_id: cell A3 is covered by the merged cells A2:A3 (only A2 "
                         "holds their value), " + MERGED_ADVICE)
    assert log.sessions.loc[log.sessions[Col.ROW] == 2, Col.PATIENT_ID].tolist() == ["P0001"]


def test_a_merged_cell_in_an_optional_column_is_blanked_with_a_warning(tmp_path):
    log = load_quietly(write_workbook(tmp_path / "m.xlsx", valid_tables(), _merged))
    warned = log.warnings.loc[log.warnings[Col.ROW] > 1]
    assert warned[[Col.ROW, Col.COLUMN]].values.tolist() == [
        [4, "device"], [4, "duration_min"]]
    assert warned[Col.MESSAGE].tolist() == [
        "device: cell H4 is covered by the merged cells H3:H4 (only H3 holds their value), "
        f"{MERGED_ADVICE}, left blank",
        "duration_min: cell J4 is covered by the merged cells I4:J4 (only I4 holds their "
        f"value), {MERGED_ADVICE}, left blank",
    ]
    row = log.sessions.loc[log.sessions[Col.ROW] == 4].iloc[0]
    assert row[Col.NEEDLE_DEPTH_MM] == 0.5  # the top-left cell keeps its value
    assert np.isnan(row[Col.DURATION_MIN])
    assert log.counts.loc["sessions"].tolist() == [3, 2, 1, 1]


def test_merged_cells_outside_the_contract_columns_are_no_problem(tmp_path):
    tables = {"sessions": {**valid_tables()["sessions"], "notes": ["a", "b", "c"]}}

    def edit(workbook):
        workbook["sessions"].merge_cells("R2:R4")

    log = load_quietly(write_workbook(tmp_path / "m.xlsx", tables, edit))
    assert log.rejects["sessions"].empty
    assert log.warnings[Col.ROW].tolist() == [1]  # the ignored column only


# ========================================================================== property test
SESSION_COLUMNS = list(valid_tables()["sessions"])


@st.composite
def sheet_edits(draw):
    """Formula cells and non-overlapping merged cells on the data rows of the sessions sheet."""
    formulas = draw(st.sets(st.tuples(st.integers(1, 17), st.integers(2, 4)), max_size=4))
    merges, covered = [], set()
    for _ in range(draw(st.integers(0, 3))):
        col, row = draw(st.integers(1, 16)), draw(st.integers(2, 4))
        width, height = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        cells = {(c, r) for c in range(col, min(col + width, 18))
                 for r in range(row, min(row + height, 5))}
        if len(cells) > 1 and not cells & covered:
            merges.append((col, row, max(c for c, _ in cells), max(r for _, r in cells)))
            covered |= cells
    return sorted(formulas), merges


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=sheet_edits())
def test_every_formula_and_merged_cell_is_named_in_a_reason_or_a_warning(edits):
    formulas, merges = edits

    def edit(workbook):
        sheet = workbook["sessions"]
        for col, row in formulas:
            sheet.cell(row, col).value = f"={col}+{row}"
        for first_col, first_row, last_col, last_row in merges:
            sheet.merge_cells(start_row=first_row, start_column=first_col,
                              end_row=last_row, end_column=last_col)

    with tempfile.TemporaryDirectory() as folder:
        log = load_quietly(write_workbook(Path(folder) / "p.xlsx",
                                          {"sessions": valid_tables()["sessions"]}, edit))
    expected = {}
    for first_col, first_row, last_col, last_row in merges:
        for col in range(first_col, last_col + 1):
            for row in range(first_row, last_row + 1):
                if (col, row) != (first_col, first_row):
                    expected[col, row] = "is covered by the merged cells"
    for col, row in formulas:
        expected.setdefault((col, row), "holds a formula")
    reasons = log.rejects["sessions"].set_index(Col.ROW)[Col.REASON]
    for (col, row), what in expected.items():
        column = SESSION_COLUMNS[col - 1]
        said = f"{column}: cell {get_column_letter(col)}{row} {what}"
        warned = log.warnings.loc[(log.warnings[Col.ROW] == row)
                                  & (log.warnings[Col.COLUMN] == column), Col.MESSAGE]
        if TABLES["sessions"].column(column).required:
            assert row in reasons.index and said in reasons[row]
        else:
            assert warned.str.startswith(said).any()
    counts = log.counts.loc["sessions"]
    assert counts["read"] == 3 and counts["accepted"] + counts["quarantined"] == 3
