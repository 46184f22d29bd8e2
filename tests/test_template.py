"""The data-entry template: the contract as cells, and a filled template that loads cleanly.

The template is filled here with openpyxl as a spreadsheet would store typed entries (date
cells, number cells, the drop-down's words, ``65+`` as text); the round trip through LibreOffice
Calc is in ``tests/spreadsheet`` (``make test-spreadsheet``).
"""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest
from openpyxl import load_workbook

import exports
from outcomes import load_bundle
from outcomes.bundle.schema import TABLES, ColumnKind, vocabulary
from outcomes.bundle.template import INSTRUCTIONS, LISTS, write_template
from outcomes.bundle.write import write_bundle
from outcomes.cli import main
from outcomes.errors import DataQualityWarning, OutputError

ROWS = 40


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("template") / "clinic_log.xlsx", rows=ROWS)


def _validations(sheet) -> dict[str, object]:
    """Column letter -> its data validation."""
    found = {}
    for v in sheet.data_validations.dataValidation:
        for cells in str(v.sqref).split():
            found[cells.split(":")[0].rstrip("0123456789")] = v
    return found


def test_the_template_has_the_contract_s_sheets_and_headers(template):
    book = load_workbook(template)
    assert book.sheetnames == [INSTRUCTIONS, *TABLES, LISTS]
    assert book[LISTS].sheet_state == "hidden"
    for name, table in TABLES.items():
        sheet = book[name]
        assert [c.value for c in sheet[1]] == table.names
        assert sheet.freeze_panes == "A2"


def test_every_vocabulary_column_has_a_drop_down_of_its_words(template):
    book = load_workbook(template)
    lists = book[LISTS]
    for name, table in TABLES.items():
        validations = _validations(book[name])
        for index, column in enumerate(table.columns):
            letter = chr(ord("A") + index)
            if column.kind == ColumnKind.VOCABULARY:
                v = validations[letter]
                assert v.type == "list" and v.errorStyle == "stop"
                ref = v.formula1.split("!")[1].replace("$", "")
                words = [c.value for row in lists[ref] for c in row]
                assert words == vocabulary(column.vocabulary)
                assert str(v.sqref) == f"{letter}2:{letter}{ROWS + 1}"


def test_dates_numbers_and_age_bands_are_formatted_and_limited(template):
    book = load_workbook(template)
    sessions = book["sessions"]
    header = [c.value for c in sessions[1]]
    letter = {name: chr(ord("A") + i) for i, name in enumerate(header)}
    assert sessions[f"{letter['session_date']}2"].number_format == "YYYY-MM-DD"
    assert sessions[f"{letter['age_band']}2"].number_format == "@"
    assert sessions[f"{letter['patient_id']}{ROWS + 1}"].number_format == "@"
    validations = _validations(sessions)
    depth = validations[letter["needle_depth_mm"]]
    assert (depth.type, depth.operator, depth.formula1, depth.formula2) == (
        "decimal", "between", "0.1", "3")
    assert validations[letter["session_date"]].type == "date"
    assert validations[letter["numbing"]].type == "list"
    onset = _validations(book["adverse_events"])["D"]
    assert (onset.type, onset.operator, onset.formula1) == ("decimal", "greaterThanOrEqual", "0")


def test_the_instructions_say_what_goes_in_every_column(template):
    rows = list(load_workbook(template)[INSTRUCTIONS].iter_rows(values_only=True))
    described = {(r[0], r[1]): r for r in rows if r[0] in TABLES}
    assert set(described) == {(t, c) for t, table in TABLES.items() for c in table.names}
    assert "65+" in described[("sessions", "age_band")][3]
    assert described[("sessions", "condition")][2] == "yes"


def _cell(column, value):
    if value is None or isinstance(value, float) and pd.isna(value) or value is pd.NA:
        return None
    if column.kind == ColumnKind.DATE:
        return dt.date.fromisoformat(value)
    if column.kind == ColumnKind.BOOL:
        return "yes" if value else "no"
    if column.kind in (ColumnKind.NUMBER, ColumnKind.HOURS):
        return float(value)
    return str(value)


def fill(template, tables, out):
    """The template with the tables typed in (date cells, number cells, words as text)."""
    book = load_workbook(template)
    for name, df in tables.items():
        sheet = book[name]
        table = TABLES[name]
        for r, row in enumerate(df[table.names].itertuples(index=False), start=2):
            for c, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
                sheet.cell(r, c).value = _cell(column, value)
    book.save(out)
    return out


@pytest.mark.parametrize("patients", [5, 20])
def test_a_filled_template_loads_with_no_warning_to_the_contract_tables(
        template, tmp_path, patients):
    tables = exports.contract_tables(patients, seed=5)
    assert (tables["sessions"]["age_band"] == "65+").any() or patients == 5
    write_bundle(tables, tmp_path / "contract")
    expected = load_bundle(tmp_path / "contract")
    small = write_template(tmp_path / "log.xlsx", rows=max(len(t) for t in tables.values()))
    filled = fill(small, tables, tmp_path / "filled.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        log = load_bundle(filled)
    assert log.is_clean
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(log, name), getattr(expected, name))


def test_the_template_is_never_written_over(template, tmp_path):
    before = template.read_bytes()
    with pytest.raises(OutputError, match="exists already"):
        write_template(template)
    assert template.read_bytes() == before
    with pytest.raises(OutputError, match="ending in .xlsx"):
        write_template(tmp_path / "log.xls")


def test_outcomes_template(tmp_path, capsys):
    out = tmp_path / "clinic_log.xlsx"
    assert main(["template", "--out", str(out)]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert load_workbook(out).sheetnames[1:4] == list(TABLES)
    assert main(["template", "--out", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err
