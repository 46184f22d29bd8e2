"""Did you mean: near-miss files, sheets, columns, words, commands and options.

Each case is a small mistake a user makes; the answer names what they probably meant. Usage
errors of the command line exit 2 with the command's own usage.
"""

from __future__ import annotations

import warnings

import pytest

from bundles import valid_tables, write_bundle
from outcomes import load_bundle
from outcomes.bundle.suggest import nearest
from outcomes.cli import main
from outcomes.errors import BundleError, DataQualityWarning


def quiet_load(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_bundle(path, **kwargs)


@pytest.mark.parametrize(("typed", "known", "meant"), [
    ("valdiate", ["validate", "simulate", "claims", "report", "audit"], ["validate"]),
    ("acne", ["acne_scars", "surgical_scars", "wrinkles"], ["acne_scars"]),
    ("adverse_event", ["sessions", "assessments", "adverse_events"], ["adverse_events"]),
    ("Sessions ", ["sessions"], []),  # the same name: not a near miss
    ("--pdff", ["--pdf", "--out", "--quiet"], ["--pdf"]),
    ("scar", ["acne_scars", "surgical_scars"], []),  # the start of two: no guess
    ("zzz", ["sessions", "assessments"], []),
])
def test_nearest(typed, known, meant):
    assert nearest(typed, known) == meant


def test_a_near_miss_file_beside_the_bundle_is_named(tmp_path):
    tables = valid_tables()
    write_bundle(tmp_path, {"sessions": tables["sessions"],
                            "assessments": tables["assessments"]})
    (tmp_path / "adverse_event.csv").write_text("session_id,event,severity\n", "utf-8")
    log = quiet_load(tmp_path)
    assert log.missing_tables == ("adverse_events",)
    assert log.missing_hints == {
        "adverse_events": "adverse_event.csv is here: did you mean adverse_events.csv?"}
    assert log.summary().endswith(
        "Tables not in the bundle: adverse_events (adverse_event.csv is here: did you mean "
        "adverse_events.csv?)")


def test_a_near_miss_sessions_file_is_named_in_the_error(tmp_path):
    (tmp_path / "session.csv").write_text("patient_id\n", "utf-8")
    with pytest.raises(BundleError, match=r"session\.csv is here: did you mean sessions\.csv\?"):
        load_bundle(tmp_path)


def test_a_near_miss_sheet_is_named(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Session"
    book.active.append(["patient_id"])
    book.save(tmp_path / "log.xlsx")
    with pytest.raises(BundleError, match="The sheet 'Session' is there: did you mean "
                                          "'sessions'\\?"):
        load_bundle(tmp_path / "log.xlsx")


def test_a_near_miss_required_column_is_named(tmp_path):
    tables = valid_tables()
    tables["sessions"]["sesion_date"] = tables["sessions"].pop("session_date")
    write_bundle(tmp_path, tables)
    with pytest.raises(BundleError, match="Did you mean 'sesion_date' for session_date\\?"):
        load_bundle(tmp_path)


def test_a_near_miss_optional_column_is_named_in_its_warning(tmp_path):
    tables = valid_tables()
    tables["sessions"]["duraton_min"] = tables["sessions"].pop("duration_min")
    write_bundle(tmp_path, tables)
    log = quiet_load(tmp_path)
    assert log.warnings["message"].tolist() == [
        "column 'duraton_min' is not part of the data contract (did you mean duration_min?) "
        "and was ignored (its values are not loaded)"]


def test_a_near_miss_word_is_named(tmp_path):
    tables = valid_tables()
    tables["sessions"]["condition"][0] = "acne"
    tables["sessions"]["device"][1] = "pens"
    write_bundle(tmp_path, tables)
    log = quiet_load(tmp_path)
    assert log.rejects["sessions"]["reason"].str.contains(
        "'acne' is not a known condition, did you mean 'acne_scars'?", regex=False).all()
    assert log.warnings["message"].str.contains(
        "'pens' is not a known device, did you mean 'pen'?", regex=False).any()


@pytest.mark.parametrize("number", ["65", "65.0"])
def test_65_in_age_band_is_said_to_be_a_spreadsheet_s_doing(tmp_path, number):
    tables = valid_tables()
    tables["sessions"]["age_band"][0] = number
    write_bundle(tmp_path, tables)
    log = quiet_load(tmp_path)
    assert log.warnings["message"].tolist() == [
        f"age_band: '{number}' is not a known age_band, a spreadsheet may have turned '65+' "
        "into a number: format the age_band cells as text and type 65+ (expected one of "
        "18-24, 25-34, 35-44, 45-54, 55-64, 65+), left blank"]


# ==================================================================================== commands
def test_a_mistyped_command_gets_the_nearest_and_exit_2(capsys):
    assert main(["valdiate", "bundle"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: outcomes ")
    assert "'valdiate' is not a command: did you mean 'validate'?" in err


def test_a_mistyped_option_gets_the_command_s_own_usage(capsys, tmp_path):
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "o"), "--pdff"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: outcomes report ")
    assert "unrecognized arguments: --pdff: did you mean '--pdf'?" in err
    assert not (tmp_path / "o").exists()


def test_a_mistyped_option_with_a_value(capsys, tmp_path):
    assert main(["validate", str(tmp_path), "--shwo=3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: outcomes validate ")
    assert "did you mean '--show'?" in err


@pytest.mark.parametrize("command", [["claims"], ["report", "--out", "never"]])
def test_an_unknown_condition_is_a_usage_error_with_the_nearest(capsys, tmp_path, command):
    write_bundle(tmp_path, valid_tables())
    argv = [command[0], str(tmp_path), *command[1:], "--condition", "acne", "wrinkles"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: outcomes {command[0]} ")
    assert "argument --condition: 'acne' is not a condition: did you mean 'acne_scars'?" in err
    assert not (tmp_path / "never").exists()


def test_a_near_miss_item_of_a_list_is_named(tmp_path):
    tables = valid_tables()
    tables["sessions"]["contraindications"][0] = "pregnant;eczema"
    write_bundle(tmp_path, tables)
    log = quiet_load(tmp_path)
    assert log.warnings["message"].str.startswith(
        "contraindications: 'pregnant;eczema' has unknown item(s) 'pregnant', did you mean "
        "'pregnant' for 'pregnancy'? (expected items from:").tolist() == [True]
