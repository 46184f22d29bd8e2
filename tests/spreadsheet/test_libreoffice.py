"""A real spreadsheet program against the template and the exports: LibreOffice Calc opens,
types into and saves the workbooks, and they still load to the contract's tables.

Run with ``make test-spreadsheet`` (``make test`` leaves these out: they need LibreOffice).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import exports
from outcomes import load_bundle
from outcomes.bundle.schema import TABLES
from outcomes.bundle.template import write_template
from outcomes.bundle.write import write_bundle
from outcomes.errors import DataQualityWarning
from test_template import fill

pytestmark = pytest.mark.spreadsheet

#: One session as a person types it into the sessions sheet (contract order).
TYPED = ["P1", "S1", "2024-03-18", "acne_scars", "professional", "C1", "op1", "pen", "1.5",
         "45", "yes", "3", "IV", "65+", "F", "pregnancy;eczema", "none"]


def assert_same_tables(expected, got):
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(expected, name), getattr(got, name))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle")
    tables = exports.contract_tables(20, seed=5)
    write_bundle(tables, root / "contract")
    return tables, load_bundle(root / "contract")


def test_a_filled_template_saved_by_calc_loads_with_no_warning(bundle, office, tmp_path):
    tables, expected = bundle
    template = write_template(tmp_path / "log.xlsx", rows=max(len(t) for t in tables.values()))
    filled = fill(template, tables, tmp_path / "filled.xlsx")
    saved = office(filled, tmp_path / "saved")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        log = load_bundle(saved)
    assert log.is_clean
    assert_same_tables(expected, log)


def test_65_plus_typed_into_the_template_stays_65_plus(office, typist, tmp_path):
    template = write_template(tmp_path / "log.xlsx", rows=10)
    typed = typist(template, tmp_path / "typed.xlsx", {"sessions": [TYPED]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        log = load_bundle(typed)
    assert log.sessions["age_band"].tolist() == ["65+"]
    assert log.sessions["session_date"].tolist() == [pd.Timestamp("2024-03-18")]
    assert log.sessions["needle_depth_mm"].tolist() == [1.5]


def test_65_plus_typed_into_a_plain_workbook_is_said_to_be_the_spreadsheet_s_doing(
        typist, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "sessions"
    book.active.append(TABLES["sessions"].names)
    book.save(tmp_path / "plain.xlsx")
    typed = typist(tmp_path / "plain.xlsx", tmp_path / "typed.xlsx", {"sessions": [TYPED]})
    with pytest.warns(DataQualityWarning):
        log = load_bundle(typed)
    assert log.warnings["message"].tolist() == [
        "age_band: '65' is not a known age_band, a spreadsheet may have turned '65+' into a "
        "number: format the age_band cells as text and type 65+ (expected one of 18-24, "
        "25-34, 35-44, 45-54, 55-64, 65+), left blank"]


def test_the_export_workbook_saved_by_calc_loads_through_its_mapping(bundle, office, tmp_path):
    tables, expected = bundle
    workbook = exports.write_skindesk_xlsx(tables, tmp_path / "export" / exports.WORKBOOK)
    saved = office(workbook, tmp_path / "saved")
    before = exports.checksums(tmp_path / "saved")
    mapping = tmp_path / "book.toml"
    mapping.write_text(exports.mapping_text(workbook=True), "utf-8")
    log = load_bundle(saved, mapping=mapping)
    assert log.is_clean
    assert_same_tables(expected, log)
    assert exports.checksums(tmp_path / "saved") == before
