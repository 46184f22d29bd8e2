"""Identifying data are refused before anything else: columns that look identifying, and
identifier values that look like personal details (never repeated in the message)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from tests.bundles import FORMATS, many_sessions, valid_tables, write_bundle

from outcomes import Col, load_bundle
from outcomes.bundle.privacy import VALUE_KINDS, identifying_column, identifying_values
from outcomes.bundle.schema import TABLES
from outcomes.errors import BundleError, IdentifyingDataError

IDENTIFYING_COLUMNS = [
    "name", "Name", "first_name", "First Name", "firstName", "LAST-NAME", "full name",
    "patient_name", "Patient Name", "surname", "email", "E-mail", "e_mail", "patient email",
    "Email Address", "phone", "Telephone", "mobile", "Phone Number", "address", "street",
    "postcode", "Post Code", "zip", "ZIP code", "dob", "DOB", "date_of_birth", "Date of Birth",
    "birth date", "BirthDate", "nhs", "NHS number", "nhs_no", "health service number", "ssn",
    "SSN", "social security number", "mrn", "medical record number", "MedicalRecord",
    "hospital number", "passport", "Passport No", "national id", "national_id",
    "insurance number", "National Insurance",
]
HARMLESS_COLUMNS = [
    *sorted({c for t in TABLES.values() for c in t.names}), "notes", "photo_file", "scale_name",
    "device_name", "session_number", "filename", "course", "tone", "hotel", "score_2",
]
PERSONAL_VALUES = {
    "an e-mail address": ["jane.smith@example.org", "a@b.co"],
    "a phone number": ["+44 7700 900123", "07700 900123", "07700900123", "(555) 123-4567",
                       "+1-202-555-0143"],
    "an NHS-style 10-digit number": ["943 476 5919", "9434765919", "943-476-5919"],
    "a social security number": ["123-45-6789"],
    "a person's name": ["Jane Smith", "Smith, Jane", "J. Smith", "Mary-Jane O'Neil",
                        "Łukasz Nowak", "Dr Who"],
}
PSEUDONYMS = ["P0001", "pt-17", "a3f9c2", "S1", "20240318-001", "C1", "Clinic A", "op 7",
              "clinic north", "123456789", "P 0001", "550e8400-e29b-41d4-a716-446655440000",
              "12345678901", "ABC DEF", "x@y", "7"]


# ------------------------------------------------------------------------------ the rules
@pytest.mark.parametrize("name", IDENTIFYING_COLUMNS)
def test_identifying_column_names(name):
    assert identifying_column(name) is not None


@pytest.mark.parametrize("name", HARMLESS_COLUMNS)
def test_harmless_column_names(name):
    assert identifying_column(name) is None


def test_no_contract_column_looks_identifying():
    for table in TABLES.values():
        assert [c for c in table.names if identifying_column(c)] == []


@pytest.mark.parametrize("kind, value", [(k, v) for k, vs in PERSONAL_VALUES.items() for v in vs])
def test_personal_values_are_recognised(kind, value):
    assert kind in VALUE_KINDS
    assert identifying_values(pa.array([value])).tolist() == [kind]


@pytest.mark.parametrize("value", PSEUDONYMS)
def test_pseudonymous_keys_pass(value):
    assert identifying_values(pa.array([value])).tolist() == [None]


def test_values_are_classified_element_wise_with_nulls():
    got = identifying_values(pa.array(["P1", None, "a@b.org", "Jane Doe", "S2"]))
    assert got.tolist() == [None, None, "an e-mail address", "a person's name", None]


# ------------------------------------------------------------------------------- in a bundle
@pytest.mark.parametrize("fmt", FORMATS)
def test_identifying_column_stops_the_load(tmp_path, fmt):
    t = valid_tables()
    t["assessments"]["Date of Birth"] = ["1980-01-01", "1980-01-01"]
    path = write_bundle(tmp_path, t, fmt)
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(path)
    message = str(info.value)
    where = "bundle.xlsx, sheet assessments" if fmt == "xlsx" else (
        "assessments.parquet" if fmt == "parquet" else "assessments.csv")
    assert f"{where}, column 'Date of Birth'" in message
    assert "a date of birth" in message
    assert "Remove the column, or replace it with a pseudonymous key" in message
    assert "export the bundle again" in message
    assert "1980" not in message


@pytest.mark.parametrize("table, column, index", [
    ("sessions", Col.PATIENT_ID, 1), ("sessions", Col.SESSION_ID, 2),
    ("sessions", Col.CLINIC_ID, 0), ("sessions", Col.OPERATOR_ID, 1),
    ("assessments", Col.PATIENT_ID, 1), ("adverse_events", Col.SESSION_ID, 0),
])
def test_identifier_values_that_look_personal_stop_the_load(tmp_path, table, column, index):
    t = valid_tables()
    t[table][column][index] = "jane.smith@example.org"
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(write_bundle(tmp_path, t))
    message = str(info.value)
    assert f"{table}.csv, column {column}: row {index + 2} holds a value that looks" in message
    assert "an e-mail address" in message
    assert "jane" not in message.lower() and "example.org" not in message
    assert "pseudonymous keys" in message


@pytest.fixture
def nine_patient_ids_refused(tmp_path) -> IdentifyingDataError:
    """The error of nine sessions whose patient ids are seven NHS-style numbers (rows 2-8), a
    pseudonym and a social security number (row 10)."""
    s = many_sessions(9)
    s[Col.PATIENT_ID] = ["943 476 5919"] * 7 + ["P1", "123-45-6789"]
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(write_bundle(tmp_path, {"sessions": s}))
    return info.value


def test_message_names_the_first_rows_and_how_many_more(nine_patient_ids_refused):
    message = str(nine_patient_ids_refused)
    assert ("sessions.csv, column patient_id: rows 2, 3, 4, 5, 6 and 2 more hold values that "
            "look like an NHS-style 10-digit number.") in message
    assert ("sessions.csv, column patient_id: row 10 holds a value that looks like a social "
            "security number.") in message
    assert "943" not in message and "6789" not in message


def test_names_as_identifiers_are_refused_in_every_format(tmp_path):
    for fmt in FORMATS:
        t = valid_tables()
        t["sessions"][Col.OPERATOR_ID][0] = "Jane Smith"
        with pytest.raises(IdentifyingDataError, match="a person's name"):
            load_bundle(write_bundle(tmp_path / fmt, t, fmt))


def test_refused_before_anything_else_is_checked(tmp_path):
    t = valid_tables()
    del t["sessions"][Col.SESSION_DATE]  # would be a missing-column BundleError
    t["sessions"][Col.CONDITION][0] = "not a condition"
    t["sessions"]["Surname"] = ["A", "B", "C"]
    with pytest.raises(IdentifyingDataError):
        load_bundle(write_bundle(tmp_path / "a", t))
    del t["sessions"]["Surname"]
    t["sessions"][Col.PATIENT_ID][0] = "+44 7700 900123"
    with pytest.raises(IdentifyingDataError):
        load_bundle(write_bundle(tmp_path / "b", t))


def test_failure_cases_list_every_finding_without_the_values(nine_patient_ids_refused):
    cases = nine_patient_ids_refused.failure_cases
    assert list(cases.columns) == ["table", "column", "row", "value", "reason"]
    nhs = "the value looks like an NHS-style 10-digit number"
    assert cases.drop(columns="value").values.tolist() == [  # in the order of the message
        ["sessions", Col.PATIENT_ID, 10, "the value looks like a social security number"],
        *[["sessions", Col.PATIENT_ID, row, nhs] for row in range(2, 9)],
    ]  # every row, where the message names the first five
    assert cases["value"].tolist() == [None] * 8
    assert not cases.isin(["943 476 5919", "123-45-6789"]).any().any()


def test_failure_cases_of_identifying_column_names(tmp_path):
    t = valid_tables()
    t["assessments"]["Date of Birth"] = ["1980-01-01", "1980-01-01"]
    t["sessions"]["e-mail"] = ["x", "y", "z"]
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(write_bundle(tmp_path, t))
    assert info.value.failure_cases.values.tolist() == [
        ["sessions", "e-mail", 1, None, "the column name looks like it holds an e-mail address"],
        ["assessments", "Date of Birth", 1, None,
         "the column name looks like it holds a date of birth"],
    ]


def test_identifying_data_error_is_a_bundle_error():
    assert issubclass(IdentifyingDataError, BundleError)


def test_pseudonymous_bundle_passes(tmp_path):
    t = valid_tables()
    t["sessions"][Col.CLINIC_ID] = ["Clinic A", "clinic-b", "C3"]
    t["sessions"][Col.OPERATOR_ID] = ["op 1", "OP-2", "7"]
    assert load_bundle(write_bundle(tmp_path, t)).is_clean
