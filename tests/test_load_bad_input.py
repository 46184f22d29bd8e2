"""``load_bundle`` on bad input: every class of the data contract's "Bad input" section.

Each test breaks one thing in a valid bundle (``tests.bundles.valid_tables``: sessions on
spreadsheet rows 2-4 with ids S1, S2, a3f9c2; assessments on rows 2-3; adverse events on rows
2-3, of S1 and S2) and asserts exactly which rows are quarantined with which reasons, and which
cells are blanked with a warning.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.bundles import valid_tables, write_bundle, write_csv

from outcomes import Col, SessionLog, load_bundle, load_scales
from outcomes.bundle.schema import TABLES
from outcomes.errors import (
    FAILURE_COLUMNS,
    BundleError,
    ConfigError,
    DataQualityWarning,
    OutcomesError,
    ParameterError,
)

CONDITIONS = ("acne_scars, surgical_scars, wrinkles, hyperpigmentation, stretch_marks, alopecia, "
              "rosacea, skin_laxity, enlarged_pores, texture")


def load(tmp_path, tables, fmt="csv") -> SessionLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_bundle(write_bundle(tmp_path / fmt, tables, fmt))


def load_changed(tmp_path, table: str, column: str, index: int, value, fmt="csv") -> SessionLog:
    """Load the valid bundle with cell ``index`` (0-based) of ``table.column`` set to ``value``."""
    t = valid_tables()
    t[table][column][index] = value
    return load(tmp_path, t, fmt)


def rejects(log: SessionLog, table: str) -> list[tuple[int, str]]:
    frame = log.rejects[table]
    return list(zip(frame[Col.ROW].tolist(), frame[Col.REASON].tolist(), strict=True))


def warned(log: SessionLog) -> list[tuple[str, int, str, str]]:
    w = log.warnings
    return list(zip(w[Col.TABLE], w[Col.ROW], w[Col.COLUMN], w[Col.VALUE], strict=True))


def accepted_rows(log: SessionLog, table: str) -> list[int]:
    return log.table(table)[Col.ROW].tolist()


def add_row(columns: dict[str, list], index: int, **changes) -> None:
    """Append a copy of row ``index`` (0-based), with ``changes``."""
    for name, cells in columns.items():
        cells.append(changes.get(name, cells[index]))


# ============================================================== bad required field: quarantine
@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_required_field(tmp_path, blank):
    log = load_changed(tmp_path, "sessions", Col.PATIENT_ID, 2, blank)
    assert rejects(log, "sessions") == [(4, "patient_id is blank but required")]
    assert accepted_rows(log, "sessions") == [2, 3]
    assert log.counts.loc["sessions"].tolist() == [3, 2, 1, 0]


def test_unknown_vocabulary_value(tmp_path):
    t = valid_tables()
    t["sessions"][Col.CONDITION][2] = "acne"
    t["adverse_events"][Col.SEVERITY][1] = "extreme"
    log = load(tmp_path, t)
    assert rejects(log, "sessions") == [
        (4, f"condition: 'acne' is not a known condition, did you mean 'acne_scars'? "
            f"(expected one of {CONDITIONS})")]
    assert rejects(log, "adverse_events") == [
        (3, "severity: 'extreme' is not a known severity (expected one of mild, moderate, "
            "severe)")]


def test_fitzpatrick_message_lists_the_digits_too(tmp_path):
    log = load_changed(tmp_path, "sessions", Col.FITZPATRICK, 2, "7")
    assert warned(log) == [("sessions", 4, Col.FITZPATRICK, "7")]
    assert log.warnings[Col.MESSAGE][0] == (
        "fitzpatrick: '7' is not a known fitzpatrick (expected one of I, II, III, IV, V, VI, "
        "or 1, 2, 3, 4, 5, 6), left blank")


@pytest.mark.parametrize("value, advice", [
    ("18/03/2024", "write it as 2024-03-18"),
    ("03/04/2024", "write it as 2024-04-03 if the day comes first or 2024-03-04 if the month "
                   "comes first"),
    ("04.04.2024", "write it as 2024-04-04"),
    ("2024/03/18", "write it as 2024-03-18"),
    ("2024-3-8", "write it as 2024-03-08"),
    ("20240318", "write it as 2024-03-18"),
    ("2024-03-18T10:30:00", "give the date alone, as 2024-03-18"),
    ("18 March 2024", "write it as YYYY-MM-DD"),
    ("45/45/2024", "write it as YYYY-MM-DD"),
])
def test_non_iso_date_is_quarantined_never_guessed(tmp_path, value, advice):
    log = load_changed(tmp_path, "sessions", Col.SESSION_DATE, 2, value)
    assert rejects(log, "sessions") == [
        (4, f"session_date: '{value}' is not an ISO 8601 date (YYYY-MM-DD), {advice}")]


@pytest.mark.parametrize("value, reason", [
    ("2024-02-30", "is not a real date, check the day and month"),
    ("2023-13-01", "is not a real date, check the day and month"),
    ("1500-01-01", "has a year outside 1678-2261, check the year"),
])
def test_impossible_date(tmp_path, value, reason):
    log = load_changed(tmp_path, "assessments", Col.ASSESSMENT_DATE, 1, value)
    assert rejects(log, "assessments") == [(3, f"assessment_date: '{value}' {reason}")]


def test_excel_datetime_cell_with_a_time_is_not_a_date(tmp_path):
    log = load_changed(tmp_path, "sessions", Col.SESSION_DATE, 2, dt.datetime(2024, 3, 20, 10, 30),
                       "xlsx")
    assert rejects(log, "sessions") == [
        (4, "session_date: '2024-03-20T10:30:00' is not an ISO 8601 date (YYYY-MM-DD), give "
            "the date alone, as 2024-03-20")]


def test_unknown_scale_and_scores_outside_or_not_numbers(tmp_path):
    t = valid_tables()
    a = t["assessments"]
    add_row(a, 0, **{Col.SCORE: "84"})  # row 4: the scale's maximum, fine
    add_row(a, 0, **{Col.SCORE: "0"})  # row 5: its minimum, fine
    a[Col.SCALE][0] = "pimple_count"  # row 2: unknown scale (the score is not checked)
    a[Col.SCORE][0] = "999"
    a[Col.SCORE][1] = "85"  # row 3: outside 0-84
    add_row(a, 1, **{Col.SCORE: "lots"})  # row 6
    add_row(a, 1, **{Col.SCORE: ""})  # row 7
    add_row(a, 1, **{Col.SCALE: "GAIS", Col.SCORE: "6"})  # row 8: case-insensitive, but 1-5
    log = load(tmp_path, t)
    scales = ("goodman_baron_quantitative, goodman_baron_qualitative, masi, wrinkle_severity, "
              "severity_vas, hair_density, gais")
    assert rejects(log, "assessments") == [
        (2, f"scale: 'pimple_count' is not a known scale (expected one of {scales}, or declare "
            "it in a scales file)"),
        (3, "score: 85 is outside the range of goodman_baron_quantitative (between 0 and 84)"),
        (6, "score: 'lots' is not a number"),
        (7, "score is blank but required"),
        (8, "score: 6 is outside the range of gais (between 1 and 5)"),
    ]
    assert accepted_rows(log, "assessments") == [4, 5]


def test_unbounded_scale_accepts_any_non_negative_score(tmp_path):
    t = valid_tables()
    t["assessments"][Col.SCALE] = ["hair_density", "hair_density"]
    t["assessments"][Col.SCORE] = ["1500", "-1"]
    log = load(tmp_path, t)
    assert rejects(log, "assessments") == [
        (3, "score: -1 is outside the range of hair_density (0 or more)")]


def test_exact_duplicate_assessment(tmp_path):
    t = valid_tables()
    add_row(t["assessments"], 0)  # row 4 = row 2
    add_row(t["assessments"], 1, **{Col.SCORE: " 18.5 "})  # row 5 = row 3 once stripped
    log = load(tmp_path, t)
    assert rejects(log, "assessments") == [(4, "exact duplicate of row 2"),
                                           (5, "exact duplicate of row 3")]


# =================================================================== sessions: duplicate ids
def test_two_different_rows_with_one_session_id_are_both_quarantined(tmp_path):
    log = load_changed(tmp_path, "sessions", Col.SESSION_ID, 2, "S1")  # row 4 takes row 2's id
    assert rejects(log, "sessions") == [
        (2, "session_id 'S1' is also used by row 4 with different values"),
        (4, "session_id 'S1' is also used by row 2 with different values"),
    ]
    assert rejects(log, "adverse_events") == [
        (2, "its session 'S1' (sessions rows 2, 4) was quarantined")]
    assert accepted_rows(log, "sessions") == [3]


def test_exact_duplicate_session_keeps_the_first(tmp_path):
    t = valid_tables()
    add_row(t["sessions"], 0)  # row 5 = row 2
    log = load(tmp_path, t)
    assert rejects(log, "sessions") == [(5, "exact duplicate of row 2")]
    assert accepted_rows(log, "sessions") == [2, 3, 4]
    assert accepted_rows(log, "adverse_events") == [2, 3]  # S1 is still a session


def test_exact_copies_and_a_different_row_sharing_an_id(tmp_path):
    t = valid_tables()
    add_row(t["sessions"], 0)  # row 5 = row 2
    add_row(t["sessions"], 0, **{Col.PAIN_VAS: "9"})  # row 6: S1 again, different
    log = load(tmp_path, t)
    assert rejects(log, "sessions") == [
        (2, "session_id 'S1' is also used by row 6 with different values"),
        (5, "exact duplicate of row 2; session_id 'S1' is also used by row 6 with different "
            "values"),
        (6, "session_id 'S1' is also used by rows 2, 5 with different values"),
    ]


def test_hash_collisions_change_nothing(tmp_path, monkeypatch):
    """Equal hashes only nominate candidates: with every hash colliding, the result is the same."""
    t = valid_tables()
    add_row(t["sessions"], 0)  # row 5: exact duplicate of row 2
    t["sessions"][Col.SESSION_ID][2] = "S2"  # rows 3 and 4: one id, different rows
    add_row(t["assessments"], 0)  # row 4: exact duplicate of row 2
    add_row(t["adverse_events"], 0, **{Col.SESSION_ID: "S77"})  # row 4: no such session
    expected = load(tmp_path / "a", t)
    monkeypatch.setattr("outcomes.bundle.columns.hash_strings",
                        lambda values: np.zeros(len(values), dtype=np.uint64))
    collided = load(tmp_path / "b", t)
    for name in TABLES:
        pd.testing.assert_frame_equal(collided.table(name), expected.table(name))
        pd.testing.assert_frame_equal(collided.rejects[name], expected.rejects[name])
    assert [r for r, _ in rejects(expected, "sessions")] == [3, 4, 5]
    assert [r for r, _ in rejects(expected, "assessments")] == [4]
    assert rejects(expected, "adverse_events") == [
        (3, "its session 'S2' (sessions rows 3, 4) was quarantined"),
        (4, "session_id 'S77' names no session of the sessions table")]


# ============================================================================ adverse events
def test_hours_that_are_not_numbers_or_negative_quarantine(tmp_path):
    t = valid_tables()
    e = t["adverse_events"]
    e[Col.RESOLVED_HOURS][0] = "soon"
    e[Col.LAST_CONTACT_HOURS][1] = "-5"
    log = load(tmp_path, t)
    assert rejects(log, "adverse_events") == [
        (2, "resolved_hours: 'soon' is not a number of hours"),
        (3, "last_contact_hours: -5 is negative, expected hours after the session (0 or more)"),
    ]


@pytest.mark.parametrize("column, index, value, reason", [
    pytest.param(Col.ONSET_HOURS, 0, "30", "resolved_hours (24) is before onset_hours (30)",
                 id="resolved-before-onset"),
    pytest.param(Col.LAST_CONTACT_HOURS, 1, None,
                 "the event is unresolved (resolved_hours blank) and last_contact_hours is "
                 "blank, give the hours after the session of the last contact (or of "
                 "resolution)", id="unresolved-without-last-contact"),
    pytest.param(Col.LAST_CONTACT_HOURS, 1, "24",
                 "last_contact_hours (24) is before onset_hours (48)",
                 id="last-contact-before-onset"),
    pytest.param(Col.SESSION_ID, 1, "S99", "session_id 'S99' names no session of the sessions "
                 "table", id="event-naming-no-session"),
])
def test_one_bad_event_cell_quarantines_its_row(tmp_path, column, index, value, reason):
    log = load_changed(tmp_path, "adverse_events", column, index, value)
    assert rejects(log, "adverse_events") == [(index + 2, reason)]


def test_unresolved_without_the_last_contact_column(tmp_path):
    t = valid_tables()
    del t["adverse_events"][Col.LAST_CONTACT_HOURS]
    log = load(tmp_path, t)
    assert [r for r, _ in rejects(log, "adverse_events")] == [3]
    assert accepted_rows(log, "adverse_events") == [2]


def test_event_of_a_quarantined_session_is_quarantined_too(tmp_path):
    log = load_changed(tmp_path, "sessions", Col.SETTING, 0, "spa")
    assert [r for r, _ in rejects(log, "sessions")] == [2]
    assert rejects(log, "adverse_events") == [
        (2, "its session 'S1' (sessions row 2) was quarantined")]
    assert accepted_rows(log, "adverse_events") == [3]


def test_blank_onset_is_zero_and_a_bad_onset_is_blanked(tmp_path):
    t = valid_tables()
    e = t["adverse_events"]
    e[Col.ONSET_HOURS] = ["", "-3"]
    log = load(tmp_path, t)
    assert log.adverse_events[Col.ONSET_HOURS].tolist() == [0.0, 0.0]
    assert warned(log) == [("adverse_events", 3, Col.ONSET_HOURS, "-3")]
    assert log.warnings[Col.MESSAGE][0] == (
        "onset_hours: -3 is out of range (0 or more), left blank")


# ==================================================================== every reason of a row
def test_every_reason_of_a_row_is_kept_in_column_order(tmp_path):
    t = valid_tables()
    s = t["sessions"]
    s[Col.PATIENT_ID][2] = ""
    s[Col.SESSION_DATE][2] = "2024-02-31"
    s[Col.SETTING][2] = " Spa "
    s[Col.PAIN_VAS][2] = "12"  # optional: a warning, not a reason
    log = load(tmp_path, t)
    assert rejects(log, "sessions") == [(4, (
        "patient_id is blank but required; "
        "session_date: '2024-02-31' is not a real date, check the day and month; "
        "setting: 'Spa' is not a known setting (expected one of professional, home)"))]
    assert warned(log) == [("sessions", 4, Col.PAIN_VAS, "12")]
    assert log.counts.loc["sessions"].tolist() == [3, 2, 1, 1]


def test_rejects_keep_the_original_text_and_columns(tmp_path):
    t = valid_tables()
    t["sessions"][Col.SETTING][2] = " Spa "
    del t["sessions"][Col.DEVICE]
    log = load(tmp_path, t)
    frame = log.rejects["sessions"]
    assert list(frame.columns) == [c for c in TABLES["sessions"].names if c != Col.DEVICE] + [
        Col.ROW, Col.REASON]
    assert frame[Col.SETTING].tolist() == [" Spa "]
    assert frame[Col.NEEDLE_DEPTH_MM].tolist() == ["0.5"]
    assert str(frame[Col.SETTING].dtype) == "str"


# ================================================================ bad optional field: blanked
@pytest.mark.parametrize("column, value", [
    (Col.DURATION_MIN, "0"), (Col.DURATION_MIN, "240"), (Col.DURATION_MIN, "-5"),
    (Col.DURATION_MIN, "forty"), (Col.PAIN_VAS, "11"), (Col.PAIN_VAS, "-0.5"),
    (Col.NEEDLE_DEPTH_MM, "0.05"), (Col.NEEDLE_DEPTH_MM, "3.5"), (Col.NEEDLE_DEPTH_MM, "nan"),
    (Col.PAIN_VAS, "inf"), (Col.DEVICE, "laser"), (Col.NUMBING, "maybe"), (Col.SEX, "female"),
    (Col.AGE_BAND, "30-39"), (Col.ADJUNCT, "botox"), (Col.CONTRAINDICATIONS, "pregnancy;smoker"),
    (Col.CONTRAINDICATIONS, "none;herpes"),
])
def test_bad_optional_value_is_blanked_with_a_warning(tmp_path, column, value):
    log = load_changed(tmp_path, "sessions", column, 2, value)
    assert rejects(log, "sessions") == []
    assert warned(log) == [("sessions", 4, column, value)]
    assert log.warnings[Col.MESSAGE][0].startswith(f"{column}: ")
    assert log.warnings[Col.MESSAGE][0].endswith(", left blank")
    assert pd_isna(log.sessions[column].iloc[2])
    assert log.counts.loc["sessions"].tolist() == [3, 3, 0, 1]


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


@pytest.mark.parametrize("column, value", [
    (Col.DURATION_MIN, "239.9"), (Col.DURATION_MIN, "0.5"), (Col.PAIN_VAS, "0"),
    (Col.PAIN_VAS, "10"), (Col.NEEDLE_DEPTH_MM, "0.1"), (Col.NEEDLE_DEPTH_MM, "3.0"),
    (Col.NEEDLE_DEPTH_MM, "+1e0"),
])
def test_optional_values_at_the_edges_of_their_range_are_kept(tmp_path, column, value):
    log = load_changed(tmp_path, "sessions", column, 2, value)
    assert log.is_clean
    assert log.sessions[column].iloc[2] == float(value)


def test_warning_messages_say_what_was_expected(tmp_path):
    t = valid_tables()
    s = t["sessions"]
    s[Col.DURATION_MIN] = ["300", "abc", "20"]
    s[Col.CONTRAINDICATIONS][2] = "herpes;smoker"
    log = load(tmp_path, t)
    assert log.warnings[Col.MESSAGE].tolist() == [
        "duration_min: 300 is out of range (more than 0 and less than 240), left blank",
        "duration_min: 'abc' is not a number, left blank",
        "contraindications: 'herpes;smoker' has unknown item(s) 'smoker' (expected items from: "
        "pregnancy, anticoagulants, anti_inflammatories, bleeding_disorder, autoimmune, herpes, "
        "active_acne, active_infection, keloid, eczema, rosacea, sensitive_skin, "
        "alcohol_frequent, or none), left blank",
    ]
    assert log.counts.loc["sessions", "warned"] == 3


def test_decimal_comma_is_a_number_only_with_semicolons(tmp_path):
    log = load_changed(tmp_path, "sessions", Col.PAIN_VAS, 2, "2,5", fmt="csv")
    assert warned(log) == [("sessions", 4, Col.PAIN_VAS, "2,5")]
    log = load(tmp_path, valid_tables(), "semicolon")  # writes 2,5-style decimals throughout
    assert log.is_clean
    assert log.sessions[Col.DURATION_MIN].tolist() == [45.0, 50.5, 20.0]


# ========================================================== cannot be read at all: BundleError
def bundle_error(path) -> str:
    with pytest.raises(BundleError) as info:
        load_bundle(path)
    return str(info.value)


def test_path_that_does_not_exist(tmp_path):
    message = bundle_error(tmp_path / "nowhere")
    assert "nowhere: no such folder or file" in message
    assert str(tmp_path) not in message


def test_a_single_table_file_is_not_a_bundle(tmp_path):
    folder = write_bundle(tmp_path, valid_tables())
    assert "sessions.csv is a single table. Give the folder" in bundle_error(
        folder / "sessions.csv")


def test_old_excel_format_is_refused(tmp_path):
    (tmp_path / "export.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert "save it as an Excel .xlsx workbook" in bundle_error(tmp_path / "export.xls")


def test_folder_without_sessions(tmp_path):
    tables = valid_tables()
    write_bundle(tmp_path, {"assessments": tables["assessments"]})
    assert "no sessions table" in bundle_error(tmp_path)


def test_folder_holding_a_workbook_points_to_it(tmp_path):
    write_bundle(tmp_path, valid_tables(), "xlsx")
    assert "give the workbook itself" in bundle_error(tmp_path)


def test_csv_and_parquet_of_one_table_are_ambiguous(tmp_path):
    write_bundle(tmp_path, valid_tables(), "csv")
    write_bundle(tmp_path, {"assessments": valid_tables()["assessments"]}, "parquet")
    message = bundle_error(tmp_path)
    assert "assessments table is given twice (assessments.csv and assessments.parquet)" in message
    assert "Keep one" in message


@pytest.mark.parametrize("table, column", [
    ("sessions", Col.SESSION_DATE), ("assessments", Col.SCORE), ("adverse_events", Col.EVENT)])
def test_missing_required_column(tmp_path, table, column):
    t = valid_tables()
    del t[table][column]
    message = bundle_error(write_bundle(tmp_path, t))
    assert message.startswith(f"{table}.csv has no {column} column, which the {table} table "
                              "requires")
    assert "Add or rename the column" in message


def test_missing_required_column_in_a_workbook_names_the_sheet(tmp_path):
    t = valid_tables()
    del t["sessions"][Col.SETTING]
    assert bundle_error(write_bundle(tmp_path, t, "xlsx")).startswith(
        "bundle.xlsx, sheet sessions has no setting column")


def write_patient_id_twice(folder) -> None:
    """Write the valid bundle as CSV, with the sessions column device (column 8) renamed
    Patient_ID."""
    write_bundle(folder, valid_tables())
    text = (folder / "sessions.csv").read_text().splitlines()
    text[0] = text[0].replace("device", "Patient_ID")
    (folder / "sessions.csv").write_text("\n".join(text) + "\n")


def test_column_given_twice(tmp_path):
    write_patient_id_twice(tmp_path)
    assert "sessions.csv has 2 columns named patient_id (columns 1 and 8)" in bundle_error(
        tmp_path)


@pytest.mark.parametrize("content, expected", [
    (b"", "sessions.csv is empty"),
    (b"  \n\n", "sessions.csv is empty"),
    ("patient_id,session_id\n".encode("utf-16"), "saved as UTF-16 text"),
    (b"patient_id\tsession_id\tsession_date\n", "looks tab-separated"),
    (b'"patient_id,session_id\n', "unbalanced quote"),
    (b"\nsession_id\n", "row 1 is empty"),
    (b"patient_\xe9d,session_id\n", "the header row is not UTF-8"),
])
def test_unreadable_csv(tmp_path, content, expected):
    (tmp_path / "sessions.csv").write_bytes(content)
    assert expected in bundle_error(tmp_path)


def test_csv_that_is_not_utf8_names_the_line(tmp_path):
    write_csv(tmp_path / "sessions.csv", valid_tables()["sessions"])
    data = (tmp_path / "sessions.csv").read_bytes()
    data = data.replace(b"wrinkles", "wrinklés".encode("latin-1"))
    (tmp_path / "sessions.csv").write_bytes(data)
    message = bundle_error(tmp_path)
    assert "sessions.csv is not UTF-8 text (the first undecodable byte is on line 4)" in message
    assert "CSV UTF-8" in message


def test_csv_row_with_too_many_values_names_the_row(tmp_path):
    write_csv(tmp_path / "sessions.csv", valid_tables()["sessions"])
    lines = (tmp_path / "sessions.csv").read_text().splitlines()
    lines[2] += ",surplus"
    (tmp_path / "sessions.csv").write_text("\n".join(lines) + "\n")
    message = bundle_error(tmp_path)
    assert "sessions.csv row 3 has 18 values but the header has 17 columns" in message
    assert "surplus" not in message


@pytest.mark.parametrize("name, content, expected", [
    ("sessions.parquet", b"PAR1 not really", "sessions.parquet cannot be read as a Parquet file"),
    ("bundle.xlsx", b"PK\x03\x04 not a zip", "bundle.xlsx cannot be read as an .xlsx workbook"),
    ("bundle.xlsx", b"", "bundle.xlsx cannot be read as an .xlsx workbook"),
])
def test_corrupt_binary_files(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    path = tmp_path / name if name.endswith(".xlsx") else tmp_path
    assert expected in bundle_error(path)


def test_workbook_without_a_sessions_sheet(tmp_path):
    t = valid_tables()
    t["Sheet1"] = t.pop("sessions")
    message = bundle_error(write_bundle(tmp_path, t, "xlsx"))
    assert "bundle.xlsx has no 'sessions' sheet (its sheets: 'assessments', 'adverse_events', " \
        "'Sheet1'). Name the sheets sessions" in message


def test_parquet_column_without_a_text_form(tmp_path):
    arrays = {k: pa.array(v) for k, v in valid_tables()["sessions"].items()}
    arrays["tags"] = pa.array([["a"], [], None])
    pq.write_table(pa.table(arrays), tmp_path / "sessions.parquet")
    message = bundle_error(tmp_path)
    assert "sessions.parquet, column tags: values of type list<element: string> cannot be read" in (
        message)


def test_header_only_is_an_empty_table_not_an_error(tmp_path):
    t = valid_tables()
    t["adverse_events"] = {c: [] for c in t["adverse_events"]}
    log = load(tmp_path, t)
    assert log.adverse_events.empty
    assert log.missing_tables == ()
    assert log.counts.loc["adverse_events", "read"] == 0


# ============================================================ the findings as data: failure_cases
def failure_cases(path) -> list[tuple]:
    with pytest.raises(BundleError) as info:
        load_bundle(path)
    frame = info.value.failure_cases
    assert list(frame.columns) == list(FAILURE_COLUMNS)
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def test_failure_cases_of_missing_required_columns(tmp_path):
    t = valid_tables()
    del t["assessments"][Col.SCORE]
    del t["assessments"][Col.SCALE]
    assert failure_cases(write_bundle(tmp_path, t)) == [
        ("assessments", Col.SCALE, None, None,
         "a required column of the assessments table, not in assessments.csv"),
        ("assessments", Col.SCORE, None, None,
         "a required column of the assessments table, not in assessments.csv"),
    ]


def test_failure_cases_of_a_column_given_twice(tmp_path):
    write_patient_id_twice(tmp_path)
    assert failure_cases(tmp_path) == [
        ("sessions", "patient_id", 1, None, "column 1 is one of 2 columns named patient_id"),
        ("sessions", "Patient_ID", 1, None, "column 8 is one of 2 columns named patient_id"),
    ]


def test_failure_cases_of_missing_and_doubled_tables(tmp_path):
    write_bundle(tmp_path / "a", {"assessments": valid_tables()["assessments"]})
    assert failure_cases(tmp_path / "a") == [
        ("sessions", None, None, None, "a bundle needs a sessions table and this one has none")]
    t = valid_tables()
    t["Sheet1"] = t.pop("sessions")
    assert failure_cases(write_bundle(tmp_path / "b", t, "xlsx")) == [
        ("sessions", None, None, None, "a bundle needs a sessions table and this one has none")]
    write_bundle(tmp_path / "c", valid_tables(), "csv")
    write_bundle(tmp_path / "c", {"assessments": valid_tables()["assessments"]}, "parquet")
    assert failure_cases(tmp_path / "c") == [
        ("assessments", None, None, None,
         "the table is given twice (assessments.csv and assessments.parquet)")]


def test_failure_cases_of_unreadable_rows_and_columns(tmp_path):
    (tmp_path / "a").mkdir()
    write_csv(tmp_path / "a" / "sessions.csv", valid_tables()["sessions"])
    lines = (tmp_path / "a" / "sessions.csv").read_text().splitlines()
    lines[2] += ",surplus"
    (tmp_path / "a" / "sessions.csv").write_text("\n".join(lines) + "\n")
    assert failure_cases(tmp_path / "a") == [
        ("sessions", None, 3, None, "has 18 values but the header has 17 columns")]
    arrays = {k: pa.array(v) for k, v in valid_tables()["sessions"].items()}
    arrays["tags"] = pa.array([["a"], [], None])
    (tmp_path / "b").mkdir()
    pq.write_table(pa.table(arrays), tmp_path / "b" / "sessions.parquet")
    assert failure_cases(tmp_path / "b") == [
        ("sessions", "tags", None, None, "values of type list<element: string> have no text form")]


def test_failure_cases_are_empty_when_the_bundle_as_a_whole_is_the_problem(tmp_path):
    assert failure_cases(tmp_path / "nowhere") == []
    (tmp_path / "sessions.csv").write_bytes(b"")
    assert failure_cases(tmp_path) == []


def test_every_bundle_error_is_an_outcomes_error():
    assert issubclass(BundleError, OutcomesError)


def test_bad_arguments_raise_the_packages_own_errors(tmp_path):
    with pytest.raises(ParameterError, match="path must be a folder or workbook path"):
        load_bundle(None)
    with pytest.raises(ParameterError, match="path must be a TOML file path"):
        load_scales(5)
    for field, value in (("conditions", "5"), ("conditions", '["acne_scars", 1]'),
                         ("no_change", '"none"')):
        path = tmp_path / f"{field}.toml"
        path.write_text(f'[x]\nmin = 0\nmax = 4\nbetter = "lower"\n{field} = {value}\n')
        with pytest.raises(ConfigError, match=f"field '{field}' must be"):
            load_scales(path)
    log = load(tmp_path / "bundle", valid_tables())
    with pytest.raises(ParameterError, match="Unknown table 'patients'"):
        log.table("patients")
    with pytest.raises(ParameterError, match="start must be a date"):
        log.filter(start="the spring")
    assert log.filter(fitzpatrick=3).sessions.empty  # a value, not a list: no TypeError
