"""Identifying data are refused before anything else: columns that look identifying, and identifier
values that look like personal details (never repeated in the message), judged by what the
column's keys stand for. A personal-looking value in any other column is never repeated in a
message, a rejects table or a warnings table."""

from __future__ import annotations

import re
import warnings
from importlib import resources

import numpy as np
import pyarrow as pa
import pytest
from tests.bundles import FORMATS, many_sessions, valid_tables, write_bundle, write_csv

from outcomes import Col, load_bundle
from outcomes.bundle.privacy import (
    ID_ROLES,
    KINDS,
    IdRole,
    identifying_column,
    identifying_values,
    personal_kinds,
    withhold_values,
)
from outcomes.bundle.schema import SESSIONS, TABLES, ColumnKind
from outcomes.cli.validate import problem_lines
from outcomes.errors import BundleError, IdentifyingDataError

NAME, NHS, DATE = "a person's name", "an NHS number", "a date (such as a date of birth)"

# ------------------------------------------------------------------------------ column names
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
# the names issue 11 lists, with their case and spacing variants, and what each suggests
LISTED_COLUMNS = {
    NAME: ["names", "Names", " NAMES ", "first_names", "First Names", "firstNames",
           "patient_names", "Patient-Names", "operator_name", "Operator Name", "operatorName",
           "OPERATOR_NAME", "staff name", "clinician_name"],
    "a date of birth": ["year_of_birth", "Year Of Birth", "year-of-birth", "YearOfBirth",
                        "YEAR_OF_BIRTH", "birth_year", "Birth Year", "birthYear", "yob"],
    "a phone number": ["contact_number", "Contact Number", "contact-number", "ContactNumber",
                       "mobile", "Mobile", " mobile ", "MOBILE", "mobile_number"],
    "a National Insurance number": ["ni_number", "NI Number", "ni-number", "niNumber",
                                    "NINumber", "nino", "national insurance number"],
    "a health-service number": ["medicare_number", "Medicare Number", "medicare-number",
                                "MedicareNumber", "medicare"],
    "a user name or login": ["username", "UserName", "user name", "user_name", "USERNAME",
                             " Username ", "login"],
}
HARMLESS_COLUMNS = [
    *sorted({c for t in TABLES.values() for c in t.names}), "notes", "photo_file", "scale_name",
    "device_name", "session_number", "filename", "course", "tone", "hotel", "score_2",
    "clinic_name", "user_id", "operator", "birth_weight", "year", "contact", "session_names",
    "number",
]


@pytest.mark.parametrize("name", IDENTIFYING_COLUMNS)
def test_identifying_column_names(name):
    assert identifying_column(name) is not None


@pytest.mark.parametrize("kind, name", [(k, n) for k, ns in LISTED_COLUMNS.items() for n in ns])
def test_listed_column_names_and_their_variants_are_refused(kind, name):
    assert identifying_column(name) == kind


@pytest.mark.parametrize("name", HARMLESS_COLUMNS)
def test_harmless_column_names(name):
    assert identifying_column(name) is None


def test_no_contract_column_looks_identifying():
    for table in TABLES.values():
        assert [c for c in table.names if identifying_column(c)] == []


@pytest.mark.parametrize("name", ["Year Of Birth", " mobile ", "operator_name", "Username"])
def test_a_listed_column_stops_the_load(tmp_path, name):
    t = valid_tables()
    t["sessions"][name] = ["x1", "x2", "x3"]
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(write_bundle(tmp_path, t))
    message = str(info.value)
    assert f"sessions.csv, column '{name.strip()}': the column name looks like it holds" in message
    assert "Remove the column" in message and "x1" not in message


# -------------------------------------------------------------------------- identifier values
# refused in every identifier column, people's keys and places' keys alike
REFUSED_EVERYWHERE = {
    "an e-mail address": ["jane.smith@example.org", "a@b.co", " jane@nhs.net "],
    "a phone number": ["+44 7700 900123", "07700 900123", "07700900123", "(555) 123-4567",
                       "+1-202-555-0143", "020 7946 0958"],
    NHS: ["943 476 5919", "9434765919", "943-476-5919", "401 023 2137"],
    "a social security number": ["123-45-6789"],
    "a National Insurance number": ["QQ 12 34 56 C", "QQ123456C", "AB123456C", "ab 12 34 56 d",
                                    "AB-12-34-56-A"],
    "a postcode": ["SW1A 1AA", "m1 1ae", "SW1A1AA", "EC1A 1BB", "W1A 0AX", "B33 8TH",
                   "DN55 1PT", "cr2 6xh"],
    DATE: ["1984-03-02", "02/03/1984", "2/3/1984", "02.03.1984", "02-03-1984", "2/3/84",
           "1984/03/02", "2 March 1984", "2nd Mar 1984", "March 2, 1984", "02-Mar-84"],
    NAME: ["Dr. Smith", "Dr Smith", "dr smith", "DR. SMITH", "Dr.Smith", "Mrs J. Smith",
           "Dr Who", "Prof. Jane Smith", "Mr O'Neil"],
}
# names of any shape: refused in the keys of people (patients, operators, sessions)
NAMES = ["SMITH JOHN", "john smith", "Jane Smith", "Smith, Jane", "SMITH, JOHN", "J. Smith",
         "Mary-Jane O'Neil", "Łukasz Nowak", "José  María", "Se\u0301verine Dupont", "山田 太郎",
         "Clinic A", "clinic north", "ABC DEF", "Jo Li", "Jane\u00a0Smith", "john.smith",
         "j.smith", "smith_j", "Mary-Jane", "jane-smith", "O'Neil, M."]
# accepted in every identifier column: the keys of the sample and the simulator, and others
PSEUDONYMS = ["P0001", "P0137", "S01512", "S00001", "OP03", "OP16", "C01", "C06", "pt-17",
              "a3f9c2", "S1", "C1", "20240318-001", "op 7", "P 0001", "op7", "7", "x@y",
              "550e8400-e29b-41d4-a716-446655440000", "123456789", "12345678901", "P01-A",
              "2024-13-45", "12-34-5678", "SW1A", "A1", "QQ1234", "1984", "AB12345C", ""]
# NHS-shaped, with a check digit that fails: accepted
NOT_NHS = ["943 476 5918", "9434765918", "1234567890", "943-476-5910", "4010232138"]
# accepted in clinic_id: the names of places (and what cannot be told from one)
PLACES = ["North Clinic", "Clínica Sévèrine", "clinic north", "Clinic A", "St Mary's",
          "Dr Smith Skin Clinic", "Dr. Patel's Aesthetics", "ABC DEF", "Harley Street Rooms",
          "Klinik am See", "SMITH JOHN"]


def _kinds(values, role=IdRole.PERSON) -> list:
    return identifying_values(pa.array(values, pa.string()), role).tolist()


def test_every_kind_is_listed():
    assert set(REFUSED_EVERYWHERE) <= set(KINDS)
    assert ID_ROLES == {Col.CLINIC_ID: IdRole.PLACE}


@pytest.mark.parametrize("role", list(IdRole))
@pytest.mark.parametrize("kind, value",
                         [(k, v) for k, vs in REFUSED_EVERYWHERE.items() for v in vs])
def test_personal_details_are_refused_in_every_role(kind, value, role):
    assert _kinds([value], role) == [kind]


@pytest.mark.parametrize("value", NAMES)
def test_names_are_refused_in_the_keys_of_people(value):
    assert _kinds([value], IdRole.PERSON) == [NAME]


@pytest.mark.parametrize("value", PLACES)
def test_place_names_are_accepted_in_the_keys_of_places(value):
    assert _kinds([value], IdRole.PLACE) == [None]


@pytest.mark.parametrize("value", ["North Clinic", "Clínica Sévèrine", "Dr Smith Skin Clinic"])
def test_place_names_are_refused_in_the_keys_of_people(value):
    assert _kinds([value], IdRole.PERSON) == [NAME]


@pytest.mark.parametrize("role", list(IdRole))
@pytest.mark.parametrize("value", PSEUDONYMS + NOT_NHS)
def test_pseudonymous_keys_pass(value, role):
    assert _kinds([value], role) == [None]


def _nhs_check_digit(nine: str) -> int | None:
    """The check digit of nine digits, written out as the NHS describes it (None: no number)."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return {11: 0, 10: None}.get(check, check)


def test_nhs_numbers_are_told_by_their_check_digit():
    rng = np.random.default_rng(11)
    valid, invalid = [], []
    for prefix in rng.integers(100_000_000, 1_000_000_000, 400):
        nine = str(prefix)
        digit = _nhs_check_digit(nine)
        if digit is None:  # no NHS number starts so: every tenth digit fails
            invalid += [nine + str(d) for d in range(10)]
            continue
        valid.append(nine + str(digit))
        invalid.append(nine + str((digit + 1 + rng.integers(9)) % 10))
    assert len(valid) > 300
    grouped = [f"{v[:3]} {v[3:6]} {v[6:]}" for v in valid]
    assert _kinds(valid + grouped) == [NHS] * (2 * len(valid))
    assert _kinds(invalid) == [None] * len(invalid)


def test_values_are_classified_element_wise_with_nulls():
    got = _kinds(["P1", None, "a@b.org", "Jane Doe", "S2", "SW1A 1AA", "943 476 5918"])
    assert got == [None, None, "an e-mail address", NAME, None, "a postcode", None]


def test_chunked_and_large_string_arrays():
    values = ["P0001", "john smith", "943 476 5919"]
    chunked = pa.chunked_array([values[:1], values[1:]])
    large = pa.array(values, pa.large_string())
    expected = [None, NAME, NHS]
    assert identifying_values(chunked).tolist() == expected
    assert identifying_values(large).tolist() == expected
    assert identifying_values(pa.array(values).slice(1)).tolist() == expected[1:]


# ---------------------------------------------------------------------------------- in a bundle
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


@pytest.mark.parametrize("column, key", [(Col.PATIENT_ID, "P0001"), (Col.OPERATOR_ID, "OP03")])
@pytest.mark.parametrize("value", ["SMITH JOHN", "john smith", "Dr. Smith"])
def test_names_of_patients_and_staff_stop_the_load(tmp_path, column, key, value):
    t = valid_tables()
    t["sessions"][column][0] = value
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(write_bundle(tmp_path, t))
    message = str(info.value)
    assert (f"sessions.csv, column {column}: row 2 holds a value that looks like a person's "
            f"name. Use a pseudonymous key such as {key} instead.") in message
    assert "the keys of staff too" in message
    assert "smith" not in message.lower()
    assert info.value.failure_cases.values.tolist() == [
        ["sessions", column, 2, None, "the value looks like a person's name"]]


@pytest.mark.parametrize("value, kind", [
    ("SW1A 1AA", "a postcode"), ("QQ 12 34 56 C", "a National Insurance number"),
    ("AB123456C", "a National Insurance number"), ("1984-03-02", DATE), ("02/03/1984", DATE),
    ("943 476 5919", NHS),
])
def test_postcodes_insurance_numbers_dates_and_nhs_numbers_stop_the_load(tmp_path, value, kind):
    t = valid_tables()
    t["sessions"][Col.PATIENT_ID][2] = value
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(write_bundle(tmp_path, t))
    message = str(info.value)
    assert f"sessions.csv, column patient_id: row 4 holds a value that looks like {kind}" in message
    assert value not in message and value.split()[0] not in message


@pytest.mark.parametrize("value", NOT_NHS + ["P0001A", "SW1A", "20240318-001"])
def test_keys_that_only_look_alike_load(tmp_path, value):
    t = valid_tables()
    t["sessions"][Col.PATIENT_ID][2] = value
    log = load_bundle(write_bundle(tmp_path, t))
    assert log.is_clean and log.sessions[Col.PATIENT_ID].tolist()[2] == value


@pytest.mark.parametrize("fmt", FORMATS)
def test_place_names_are_clinic_keys(tmp_path, fmt):
    t = valid_tables()
    t["sessions"][Col.CLINIC_ID] = ["North Clinic", "Clínica Sévèrine", "Dr Smith Skin Clinic"]
    log = load_bundle(write_bundle(tmp_path, t, fmt))
    assert log.is_clean
    assert log.sessions[Col.CLINIC_ID].tolist() == t["sessions"][Col.CLINIC_ID]


def test_a_doctor_is_not_a_clinic_key(tmp_path):
    t = valid_tables()
    t["sessions"][Col.CLINIC_ID][1] = "Dr. Smith"
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(write_bundle(tmp_path, t))
    assert ("sessions.csv, column clinic_id: row 3 holds a value that looks like a person's "
            "name. Use a pseudonymous key such as C01 (or a place name such as North Clinic) "
            "instead.") in str(info.value)


@pytest.fixture
def nine_patient_ids_refused(tmp_path) -> IdentifyingDataError:
    """The error of nine sessions whose patient ids are seven NHS numbers (rows 2-8), a
    pseudonym and a social security number (row 10)."""
    s = many_sessions(9)
    s[Col.PATIENT_ID] = ["943 476 5919"] * 7 + ["P1", "123-45-6789"]
    with pytest.raises(IdentifyingDataError) as info:
        load_bundle(write_bundle(tmp_path, {"sessions": s}))
    return info.value


def test_message_names_the_first_rows_and_how_many_more(nine_patient_ids_refused):
    message = str(nine_patient_ids_refused)
    assert ("sessions.csv, column patient_id: rows 2, 3, 4, 5, 6 and 2 more hold values that "
            "look like an NHS number. Use a pseudonymous key such as P0001 instead.") in message
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
    nhs = "the value looks like an NHS number"
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


# ------------------------------------------------------- values of other columns: never repeated
# (table, column, cell written at row 2, the personal part of it); every one is a bad value
SECRETS = [
    ("sessions", Col.SESSION_DATE, "Jane Smith", "Jane Smith"),
    ("sessions", Col.SESSION_DATE, "07700 900123", "07700 900123"),
    ("sessions", Col.CONDITION, "Jane Smith", "Jane Smith"),
    ("sessions", Col.CONDITION, "jane.smith@example.org", "jane.smith@example.org"),
    ("sessions", Col.SETTING, "SW1A 1AA", "SW1A 1AA"),
    ("sessions", Col.DEVICE, "Dr. Smith", "Smith"),
    ("sessions", Col.DEVICE, "john smith", "john smith"),
    ("sessions", Col.NEEDLE_DEPTH_MM, "943 476 5919", "476 5919"),
    ("sessions", Col.NEEDLE_DEPTH_MM, "9434765919", "4765919"),
    ("sessions", Col.DURATION_MIN, "07700900123", "7700900123"),
    ("sessions", Col.NUMBING, "John Smith", "John Smith"),
    ("sessions", Col.PAIN_VAS, "QQ 12 34 56 C", "12 34 56"),
    ("sessions", Col.FITZPATRICK, "1984-03-02", "1984"),
    ("sessions", Col.AGE_BAND, "02/03/1984", "1984"),
    ("sessions", Col.SEX, "SMITH JOHN", "SMITH"),
    ("sessions", Col.CONTRAINDICATIONS, "herpes;Jane Smith", "Jane Smith"),
    ("sessions", Col.CONTRAINDICATIONS, "pregnancy, jane@example.org", "jane@example.org"),
    ("sessions", Col.CONTRAINDICATIONS, "Smith, Jane", "Smith"),
    ("sessions", Col.ADJUNCT, "M1 1AE", "M1 1AE"),
    ("assessments", Col.CONDITION, "Jane Smith", "Jane Smith"),
    ("assessments", Col.ASSESSMENT_DATE, "Dr Who", "Who"),
    ("assessments", Col.SCALE, "Jane Smith", "Jane Smith"),
    ("assessments", Col.SCORE, "07700 900123", "900123"),
    ("assessments", Col.SCORE, "9434765919", "4765919"),
    ("assessments", Col.RATER, "Jane Smith", "Jane Smith"),
    ("adverse_events", Col.EVENT, "Jane Smith", "Jane Smith"),
    ("adverse_events", Col.SEVERITY, "AB123456C", "123456"),
    ("adverse_events", Col.ONSET_HOURS, "943 476 5919", "476 5919"),
    ("adverse_events", Col.ONSET_HOURS, "9434765919", "4765919"),  # resolved before onset
    ("adverse_events", Col.RESOLVED_HOURS, "jane.smith@example.org", "example.org"),
    ("adverse_events", Col.LAST_CONTACT_HOURS, "07700 900123", "900123"),
]


def _everything_shown(log, caught) -> str:
    """Every text the load gave: rejects and warnings (as files), problem lines, warnings."""
    frames = [*log.reject_files().values()]
    cells = [str(v) for df in frames for v in [*df.columns, *df.to_numpy().ravel()]]
    return "\n".join([*cells, *problem_lines(log), *(str(w.message) for w in caught)])


@pytest.mark.parametrize("table, column, cell, secret", SECRETS)
def test_personal_values_of_other_columns_are_never_repeated(tmp_path, table, column, cell,
                                                              secret):
    t = valid_tables()
    t[table][column][0] = cell
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log = load_bundle(write_bundle(tmp_path, t))
    shown = _everything_shown(log, caught)
    assert secret.casefold() not in shown.casefold()
    for word in re.findall(r"\w{4,}", secret):
        assert word.casefold() not in shown.casefold()
    # the value is still judged, as any bad value: its row quarantined, or the value blanked
    reasons = log.rejects[table].set_index(Col.ROW)[Col.REASON]
    found = log.warnings[(log.warnings[Col.ROW] == 2) & (log.warnings[Col.COLUMN] == column)]
    if 2 in reasons.index:
        assert "the value could be " in reasons[2]
        assert "so it is not repeated here; expected" in reasons[2]
        assert found.empty
    else:
        assert found[Col.VALUE].str.startswith("(not shown: could be ").all() and len(found) == 1
        assert found[Col.MESSAGE].iloc[0].startswith(f"{column}: the value could be ")
        assert found[Col.MESSAGE].iloc[0].endswith("out of the export), left blank")
    quarantined = TABLES[table].column(column).required or column != Col.ONSET_HOURS and (
        TABLES[table].column(column).kind == ColumnKind.HOURS)
    assert (2 in reasons.index) == (quarantined or cell == "9434765919" and column == (
        Col.ONSET_HOURS))


def test_a_personal_value_beside_the_reason_of_a_rejected_row_is_not_repeated(tmp_path):
    t = valid_tables()
    t["sessions"][Col.CONDITION][0] = "cellulite"  # the reason the row is rejected
    t["sessions"][Col.DEVICE][0] = "Jane Smith"  # blanked with a warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log = load_bundle(write_bundle(tmp_path, t))
    rejected = log.rejects["sessions"].set_index(Col.ROW)
    assert rejected.loc[2, Col.DEVICE] == f"(not shown: could be {NAME})"
    assert rejected.loc[2, Col.CONDITION] == "cellulite"  # an ordinary bad value is shown
    assert "smith" not in _everything_shown(log, caught).lower()


@pytest.mark.parametrize("column, cell, expected", [
    (Col.CONDITION, "acne scars", "condition: 'acne scars' is not a known condition"),
    (Col.CONDITION, "Stretch Marks", "condition: 'Stretch Marks' is not a known condition"),
    (Col.CONDITION, "not known", "condition: 'not known' is not a known condition"),
    (Col.SETTING, "Spa", "setting: 'Spa' is not a known setting"),
    (Col.SESSION_DATE, "18/03/2024", "session_date: '18/03/2024' is not an ISO 8601 date"),
    (Col.SESSION_DATE, "2 March 2024", "session_date: '2 March 2024' is not an ISO 8601 date"),
    (Col.DEVICE, "Pen Device", "device: 'Pen Device' is not a known device"),
    (Col.PAIN_VAS, "about 4", "pain_vas: 'about 4' is not a number"),
    (Col.DURATION_MIN, "1234567890", "duration_min: 1234567890 is out of range"),
    (Col.CONTRAINDICATIONS, "herpes;smoker", "'herpes;smoker' has unknown item(s) 'smoker'"),
])
def test_ordinary_bad_values_are_still_shown(tmp_path, column, cell, expected):
    t = valid_tables()
    t["sessions"][column][0] = cell
    with warnings.catch_warnings(action="ignore"):
        log = load_bundle(write_bundle(tmp_path, t))
    assert any(expected in line for line in problem_lines(log))
    assert "not shown" not in _everything_shown(log, [])


def test_personal_kinds_by_column():
    date, condition = SESSIONS.column(Col.SESSION_DATE), SESSIONS.column(Col.CONDITION)
    listed = SESSIONS.column(Col.CONTRAINDICATIONS)
    values = ["1984-03-02", "Jane Smith", "acne scars", "herpes; Jane Smith", None, "07700 900123"]
    assert personal_kinds(pa.array(values), date).tolist() == [
        None, NAME, None, NAME, None, "a phone number"]
    assert personal_kinds(pa.array(values), condition).tolist() == [
        DATE, NAME, None, NAME, None, "a phone number"]
    assert personal_kinds(pa.array(values), listed).tolist()[3] == NAME
    assert personal_kinds(pa.array(["Jane Smith"]), SESSIONS.column(Col.CLINIC_ID)).tolist() == [
        None]
    assert all(c.kind != ColumnKind.TEXT for t in TABLES.values() for c in t.columns)


def test_withhold_values_keeps_the_others():
    device = SESSIONS.column(Col.DEVICE)
    got = withhold_values(pa.array(["pen", None, "M1 1AE", "roller"]), device).to_pylist()
    assert got == ["pen", None, "(not shown: could be a postcode)", "roller"]


def test_column_names_that_look_personal_are_not_repeated(tmp_path):
    t = valid_tables()
    t["sessions"]["Dr Smith"] = ["1", "2", "3"]
    with warnings.catch_warnings(action="ignore"):
        log = load_bundle(write_bundle(tmp_path, t))
    assert "Smith" not in _everything_shown(log, [])
    ignored = log.warnings[log.warnings[Col.ROW] == 1]
    assert ignored[Col.MESSAGE].str.contains("column 18, whose name could be a person's name").all()
    assert ignored[Col.COLUMN].tolist() == ["(column 18)"]


def test_a_data_row_read_as_the_header_is_not_repeated(tmp_path):
    first = ["P0001", "S1", "2024-03-18", "acne_scars", "professional", "North Clinic",
             "jane.smith@example.org"]
    write_csv(tmp_path / "sessions.csv", {name: [] for name in first})
    with pytest.raises(BundleError) as info:
        load_bundle(tmp_path)
    message = str(info.value)
    assert "has no patient_id, session_id, session_date, condition, setting columns" in message
    assert "'P0001'" in message and "'North Clinic'" in message
    assert "jane" not in message and "(not shown: could be an e-mail address)" in message


# ------------------------------------------------------------------------- no false positives
def _assert_nothing_refused_or_withheld(log):
    for table in TABLES.values():
        frame = getattr(log, table.name)
        for column in table.columns:
            if column.kind == ColumnKind.ID and column.name in frame:
                role = ID_ROLES.get(column.name, IdRole.PERSON)
                values = frame[column.name].dropna().unique().tolist()
                assert all(k is None for k in _kinds(values, role)), column.name
    assert "not shown" not in _everything_shown(log, [])
    assert "could be" not in _everything_shown(log, [])


def test_the_sample_bundle_loads_without_a_finding():
    with warnings.catch_warnings(action="ignore"):
        log = load_bundle(resources.files("outcomes.datasets") / "sample")
    assert log.n_quarantined > 0  # its deliberate faults are reported, their values shown
    _assert_nothing_refused_or_withheld(log)


@pytest.mark.slow
def test_a_simulated_bundle_of_2000_patients_loads_without_a_finding(tmp_path):
    from outcomes import simulate
    from outcomes.bundle.write import write_bundle as write_tables

    tables, faults = simulate(2000, 11, fault_rate=0.02, return_faults=True)
    write_tables(tables, tmp_path)
    with warnings.catch_warnings(action="ignore"):
        log = load_bundle(tmp_path)
    _assert_nothing_refused_or_withheld(log)
    assert len(tables["sessions"]) > 10_000 and log.n_quarantined > 100
    shown = _everything_shown(log, [])
    faulty = faults.loc[faults["kind"] == "non_iso_date", Col.VALUE].tolist()
    assert faulty and all(f"'{value}'" in shown for value in faulty)
    assert tables["sessions"][Col.OPERATOR_ID].dropna().str.match(r"^OP\d+$").all()
