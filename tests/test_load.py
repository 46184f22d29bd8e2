"""``load_bundle`` on good input: typed tables, the same result from every format, counts,
checksums, and the user's files left untouched."""

from __future__ import annotations

import doctest
import hashlib
import importlib
import os
import warnings

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow
import pyarrow.parquet as pq
import pytest
from pandera.typing import Series
from tests.bundles import FORMATS, valid_tables, write_bundle, write_csv

from outcomes import Col, SessionLog, load_bundle, load_scales
from outcomes.bundle.schema import TABLES, vocabulary
from outcomes.errors import DataQualityWarning
from outcomes.output.export import save_rejects

TABLE_NAMES = list(TABLES)


def load_quietly(path, **kwargs) -> SessionLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_bundle(path, **kwargs)


# ------------------------------------------------------------------ pandera: the typed tables
# Written from the data contract (docs), not from outcomes.bundle.schema, so they check it
# independently.
def _category(values: list[str], ordered: bool = False) -> dict:
    return {"dtype_kwargs": {"categories": values, "ordered": ordered}, "nullable": True}


CONDITIONS = ["acne_scars", "surgical_scars", "wrinkles", "hyperpigmentation", "stretch_marks",
              "alopecia", "rosacea", "skin_laxity", "enlarged_pores", "texture"]
CONTRAINDICATIONS = ["pregnancy", "anticoagulants", "anti_inflammatories", "bleeding_disorder",
                     "autoimmune", "herpes", "active_acne", "active_infection", "keloid", "eczema",
                     "rosacea", "sensitive_skin", "alcohol_frequent"]
SCALES = ["goodman_baron_quantitative", "goodman_baron_qualitative", "masi", "wrinkle_severity",
          "severity_vas", "hair_density", "gais"]


def _normalised_list(series: pd.Series) -> bool:
    def ok(value) -> bool:
        if pd.isna(value) or value == "":
            return True
        items = value.split(";")
        return all(i in CONTRAINDICATIONS for i in items) and items == sorted(
            set(items), key=CONTRAINDICATIONS.index)
    return bool(series.map(ok).all())


class SessionsModel(pa.DataFrameModel):
    patient_id: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    session_id: Series[str] = pa.Field(nullable=False, unique=True)
    session_date: Series[pd.Timestamp] = pa.Field(nullable=False)
    condition: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": CONDITIONS, "ordered": False}, nullable=False)
    setting: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": ["professional", "home"], "ordered": False}, nullable=False)
    clinic_id: Series[str] = pa.Field(nullable=True)
    operator_id: Series[str] = pa.Field(nullable=True)
    device: Series[pd.CategoricalDtype] = pa.Field(
        **_category(["roller", "pen", "rf_microneedling", "other"]))
    needle_depth_mm: Series[float] = pa.Field(nullable=True, ge=0.1, le=3.0)
    duration_min: Series[float] = pa.Field(nullable=True, gt=0, lt=240)
    numbing: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    pain_vas: Series[float] = pa.Field(nullable=True, ge=0, le=10)
    fitzpatrick: Series[pd.CategoricalDtype] = pa.Field(
        **_category(["I", "II", "III", "IV", "V", "VI"], ordered=True))
    age_band: Series[pd.CategoricalDtype] = pa.Field(
        **_category(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"], ordered=True))
    sex: Series[pd.CategoricalDtype] = pa.Field(**_category(["F", "M", "X"]))
    contraindications: Series[str] = pa.Field(nullable=True)
    adjunct: Series[pd.CategoricalDtype] = pa.Field(
        **_category(["none", "prp", "hyaluronic_acid", "growth_factors", "other"]))
    row: Series[np.int64] = pa.Field(ge=2, unique=True)

    @pa.check("contraindications")
    def contraindications_normalised(cls, series: pd.Series) -> bool:
        return _normalised_list(series)

    class Config:
        strict = True
        ordered = True


class AssessmentsModel(pa.DataFrameModel):
    patient_id: Series[str] = pa.Field(nullable=False)
    condition: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": CONDITIONS, "ordered": False}, nullable=False)
    assessment_date: Series[pd.Timestamp] = pa.Field(nullable=False)
    scale: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": SCALES, "ordered": False}, nullable=False)
    score: Series[float] = pa.Field(nullable=False, ge=0)
    rater: Series[pd.CategoricalDtype] = pa.Field(
        **_category(["clinician", "patient", "blinded"]))
    row: Series[np.int64] = pa.Field(ge=2, unique=True)

    @pa.dataframe_check
    def score_within_scale(cls, df: pd.DataFrame) -> pd.Series:
        ranges = {"goodman_baron_quantitative": (0, 84), "goodman_baron_qualitative": (1, 4),
                  "masi": (0, 48), "wrinkle_severity": (1, 9), "severity_vas": (0, 10),
                  "hair_density": (0, np.inf), "gais": (1, 5)}
        low = df["scale"].astype(object).map(lambda s: ranges[s][0]).astype(float)
        high = df["scale"].astype(object).map(lambda s: ranges[s][1]).astype(float)
        return (df["score"] >= low) & (df["score"] <= high)

    class Config:
        strict = True
        ordered = True


class AdverseEventsModel(pa.DataFrameModel):
    session_id: Series[str] = pa.Field(nullable=False)
    event: Series[pd.CategoricalDtype] = pa.Field(nullable=False, dtype_kwargs={
        "categories": ["erythema", "oedema", "pain", "bruising", "bleeding", "scabbing",
                       "dryness", "flaking", "itching", "infection", "pih", "hypopigmentation",
                       "herpes_reactivation", "contact_dermatitis", "acne_flare", "milia",
                       "scarring"], "ordered": False})
    severity: Series[pd.CategoricalDtype] = pa.Field(nullable=False, dtype_kwargs={
        "categories": ["mild", "moderate", "severe"], "ordered": True})
    onset_hours: Series[float] = pa.Field(nullable=False, ge=0)
    resolved_hours: Series[float] = pa.Field(nullable=True, ge=0)
    last_contact_hours: Series[float] = pa.Field(nullable=True, ge=0)
    row: Series[np.int64] = pa.Field(ge=2, unique=True)

    @pa.dataframe_check
    def consistent_hours(cls, df: pd.DataFrame) -> pd.Series:
        resolved_ok = df["resolved_hours"].isna() | (df["resolved_hours"] >= df["onset_hours"])
        censored_ok = df["resolved_hours"].notna() | (
            df["last_contact_hours"] >= df["onset_hours"])
        return resolved_ok & censored_ok

    class Config:
        strict = True
        ordered = True


MODELS = {"sessions": SessionsModel, "assessments": AssessmentsModel,
          "adverse_events": AdverseEventsModel}
# pandera accepts any datetime unit and object for str; the contract is stricter.
EXACT_DTYPES = {"id": "str", "list": "str", "date": "datetime64[ns]", "number": "float64",
                "hours": "float64", "bool": "boolean"}


def check_typed(log: SessionLog) -> None:
    for name, model in MODELS.items():
        frame = log.table(name)
        model.validate(frame, lazy=True)
        for column in TABLES[name].columns:
            expected = EXACT_DTYPES.get(column.kind)
            if expected:
                assert str(frame[column.name].dtype) == expected, (name, column.name)
        assert isinstance(frame.index, pd.RangeIndex)


# ------------------------------------------------------------------------------ good input
@pytest.fixture
def clean_log(tmp_path) -> SessionLog:
    return load_bundle(write_bundle(tmp_path / "clinic", valid_tables()))


def test_valid_bundle_loads_clean_and_typed(clean_log):
    log = clean_log
    check_typed(log)
    assert log.is_clean
    assert log.source == "clinic"
    assert log.missing_tables == ()
    assert list(log.counts.index) == TABLE_NAMES
    assert log.counts.to_dict("index") == {
        "sessions": {"read": 3, "accepted": 3, "quarantined": 0, "warned": 0},
        "assessments": {"read": 2, "accepted": 2, "quarantined": 0, "warned": 0},
        "adverse_events": {"read": 2, "accepted": 2, "quarantined": 0, "warned": 0},
    }
    assert log.sessions[Col.ROW].tolist() == [2, 3, 4]
    assert log.present_columns == {name: tuple(TABLES[name].names) for name in TABLES}
    assert all(log.rejects[name].empty for name in TABLES)
    assert list(log.warnings.columns) == [Col.TABLE, Col.ROW, Col.COLUMN, Col.VALUE, Col.MESSAGE]


def test_values_are_parsed_as_the_contract_says(clean_log):
    s = clean_log.sessions
    assert s[Col.SESSION_DATE].tolist() == [pd.Timestamp("2024-03-18"), pd.Timestamp("2024-04-15"),
                                           pd.Timestamp("2024-03-20")]
    assert s[Col.NEEDLE_DEPTH_MM].tolist() == [1.5, 2.0, 0.5]
    assert s[Col.NUMBING].tolist() == [True, False, pd.NA]
    # "none" -> "", a list in vocabulary order, blank -> missing
    assert s[Col.CONTRAINDICATIONS].iloc[0] == ""
    assert s[Col.CONTRAINDICATIONS].iloc[1] == "pregnancy;herpes"
    assert pd.isna(s[Col.CONTRAINDICATIONS].iloc[2])
    assert pd.isna(s[Col.CLINIC_ID].iloc[2])
    events = clean_log.adverse_events
    assert events[Col.RESOLVED_HOURS].isna().tolist() == [False, True]
    assert clean_log.assessments[Col.SCORE].tolist() == [30.0, 18.5]


def test_checksums_are_sha256_of_each_file_by_name(tmp_path):
    folder = write_bundle(tmp_path / "b", valid_tables())
    log = load_bundle(folder)
    expected = {f"{n}.csv": hashlib.sha256((folder / f"{n}.csv").read_bytes()).hexdigest()
                for n in TABLES}
    assert log.checksums == expected


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "csv"])
def test_every_format_loads_to_identical_tables(tmp_path, fmt):
    tables = valid_tables()
    # something to quarantine and to blank, so rejects and warnings are compared too
    tables["sessions"][Col.DURATION_MIN][1] = "300"
    tables["assessments"][Col.SCORE][1] = "85"
    reference = load_quietly(write_bundle(tmp_path / "csv", tables, "csv"))
    other = load_quietly(write_bundle(tmp_path / fmt, tables, fmt))
    for name in TABLES:
        pd.testing.assert_frame_equal(other.table(name), reference.table(name))
    pd.testing.assert_frame_equal(other.warnings, reference.warnings)
    assert other.rejects["assessments"][[Col.ROW, Col.REASON]].equals(
        reference.rejects["assessments"][[Col.ROW, Col.REASON]])
    pd.testing.assert_frame_equal(other.counts, reference.counts)
    check_typed(other)


def test_untyped_parquet_and_xlsx_load_like_csv(tmp_path):
    reference = load_bundle(write_bundle(tmp_path / "csv", valid_tables(), "csv"))
    for fmt in ("parquet", "xlsx"):
        other = load_bundle(write_bundle(tmp_path / fmt, valid_tables(), fmt, typed=False))
        for name in TABLES:
            pd.testing.assert_frame_equal(other.table(name), reference.table(name))


def test_source_is_the_workbook_name_without_folders(tmp_path):
    log = load_bundle(write_bundle(tmp_path / "deep" / "er", valid_tables(), "xlsx"))
    assert log.source == "bundle.xlsx"
    assert list(log.checksums) == ["bundle.xlsx"]


def test_parquet_typed_columns_are_written_out_as_text(tmp_path):
    tables = valid_tables()
    write_bundle(tmp_path, {k: v for k, v in tables.items() if k != "sessions"}, "csv")
    sessions = pd.DataFrame(tables["sessions"])
    sessions[Col.SESSION_DATE] = pd.to_datetime(sessions[Col.SESSION_DATE])  # midnight stamps
    sessions[Col.PAIN_VAS] = pd.to_numeric(sessions[Col.PAIN_VAS])
    sessions[Col.CONDITION] = sessions[Col.CONDITION].astype("category")  # dictionary column
    sessions.to_parquet(tmp_path / "sessions.parquet")  # with a pandas index column
    log = load_bundle(tmp_path)
    reference = load_bundle(write_bundle(tmp_path / "ref", valid_tables()))
    pd.testing.assert_frame_equal(log.sessions, reference.sessions)
    assert set(log.checksums) == {"sessions.parquet", "assessments.csv", "adverse_events.csv"}


def test_missing_optional_tables_are_empty_and_typed(tmp_path):
    tables = {"sessions": valid_tables()["sessions"]}
    log = load_bundle(write_bundle(tmp_path, tables))
    assert log.missing_tables == ("assessments", "adverse_events")
    for name in ("assessments", "adverse_events"):
        frame = log.table(name)
        assert frame.empty
        assert list(frame.columns) == [*TABLES[name].names, Col.ROW]
        assert log.present_columns[name] == ()
        assert not log.has_column(name, TABLES[name].names[0])
    check_typed(log)
    assert log.counts.loc["assessments"].tolist() == [0, 0, 0, 0]


def test_absent_optional_columns_are_added_all_missing(tmp_path):
    tables = valid_tables()
    for column in (Col.DEVICE, Col.NUMBING, Col.PAIN_VAS, Col.CLINIC_ID, Col.CONTRAINDICATIONS):
        del tables["sessions"][column]
    del tables["adverse_events"][Col.ONSET_HOURS]
    log = load_bundle(write_bundle(tmp_path, tables))
    check_typed(log)
    s = log.sessions
    assert s[Col.DEVICE].isna().all() and s[Col.NUMBING].isna().all()
    assert s[Col.PAIN_VAS].isna().all() and s[Col.CONTRAINDICATIONS].isna().all()
    assert not log.has_column("sessions", Col.DEVICE)
    assert log.has_column("sessions", Col.FITZPATRICK)
    assert Col.DEVICE not in log.present_columns["sessions"]
    # onset blank (here: absent) means 0
    assert log.adverse_events[Col.ONSET_HOURS].tolist() == [0.0, 0.0]


def test_vocabulary_ignores_case_and_spaces_and_fitzpatrick_takes_digits(tmp_path):
    tables = valid_tables()
    s = tables["sessions"]
    s[Col.CONDITION] = [" Acne_Scars", "ACNE_SCARS ", "wrinkles"]
    s[Col.FITZPATRICK] = ["3", " iii ", "2"]
    s[Col.SEX] = ["f", "F", "m"]
    s[Col.NUMBING] = ["Yes", "n", "1"]
    s[Col.CONTRAINDICATIONS] = ["NONE", " Pregnancy ; herpes;pregnancy", "eczema,herpes"]
    log = load_bundle(write_bundle(tmp_path, tables))
    assert log.is_clean
    got = log.sessions
    assert got[Col.CONDITION].astype(str).tolist() == ["acne_scars", "acne_scars", "wrinkles"]
    assert got[Col.FITZPATRICK].astype(str).tolist() == ["III", "III", "II"]
    assert got[Col.SEX].astype(str).tolist() == ["F", "F", "M"]
    assert got[Col.NUMBING].tolist() == [True, False, True]
    assert got[Col.CONTRAINDICATIONS].tolist() == ["", "pregnancy;herpes", "herpes;eczema"]


def test_ids_are_kept_as_text_without_surrounding_spaces(tmp_path):
    tables = valid_tables()
    tables["sessions"][Col.PATIENT_ID] = [" 007", "007 ", "0042"]
    tables["adverse_events"][Col.SESSION_ID] = [" S1", "S2"]
    log = load_bundle(write_bundle(tmp_path, tables))
    assert log.sessions[Col.PATIENT_ID].tolist() == ["007", "007", "0042"]
    assert log.adverse_events[Col.SESSION_ID].tolist() == ["S1", "S2"]


def test_csv_with_bom_semicolons_and_decimal_commas(tmp_path):
    tables = valid_tables()
    for name, columns in tables.items():
        semicolon = {
            c: [v.replace(".", ",") if v and TABLES[name].column(c).kind in ("number", "hours")
                else v for v in cells]
            for c, cells in columns.items()
        }
        write_csv(tmp_path / f"{name}.csv", semicolon, separator=";", bom=True)
    log = load_bundle(tmp_path)
    reference = load_bundle(write_bundle(tmp_path / "ref", valid_tables()))
    for name in TABLES:
        pd.testing.assert_frame_equal(log.table(name), reference.table(name))
    assert log.sessions[Col.DURATION_MIN].tolist() == [45.0, 50.5, 20.0]


def test_crlf_line_ends_and_quoted_values(tmp_path):
    write_bundle(tmp_path, {k: v for k, v in valid_tables().items() if k != "sessions"})
    text = (tmp_path / "ref.csv")
    write_csv(text, valid_tables()["sessions"])
    body = text.read_text().replace("\n", "\r\n").replace("herpes;pregnancy", '"herpes;pregnancy"')
    (tmp_path / "sessions.csv").write_text(body, newline="")
    text.unlink()
    log = load_bundle(tmp_path)
    assert log.is_clean
    assert log.sessions[Col.CONTRAINDICATIONS].iloc[1] == "pregnancy;herpes"


def test_multiline_quoted_cell_counts_as_one_spreadsheet_row(tmp_path):
    tables = valid_tables()
    tables["sessions"]["notes"] = ["one", "two\nlines", "three"]
    tables["sessions"][Col.CONDITION][2] = "unknown"
    log = load_quietly(write_bundle(tmp_path, tables))
    assert log.rejects["sessions"][Col.ROW].tolist() == [4]


def test_blank_rows_are_skipped_but_still_counted_in_row_numbers(tmp_path):
    write_bundle(tmp_path, {k: v for k, v in valid_tables().items() if k != "sessions"})
    write_csv(tmp_path / "sessions.csv", valid_tables()["sessions"])
    lines = (tmp_path / "sessions.csv").read_text().splitlines()
    blank_row = ",".join([""] * 17)
    text = "\n".join([lines[0], lines[1], "", blank_row, lines[2], "  ,  ", lines[3]]) + "\n\n"
    # the "  ,  " line has too few values: it is not blank row material, so keep it out
    text = text.replace("  ,  \n", " " + "," * 16 + "\n")
    (tmp_path / "sessions.csv").write_text(text)
    log = load_bundle(tmp_path)
    assert log.counts.loc["sessions", "read"] == 3
    assert log.sessions[Col.ROW].tolist() == [2, 5, 7]


def test_extra_columns_are_ignored_with_one_warning_each(tmp_path):
    tables = valid_tables()
    tables["sessions"]["notes"] = ["a", "b", "c"]
    tables["assessments"]["Photo File"] = ["x.jpg", None]
    log = load_quietly(write_bundle(tmp_path, tables))
    w = log.warnings
    assert w[[Col.TABLE, Col.ROW, Col.COLUMN]].values.tolist() == [
        ["sessions", 1, "notes"], ["assessments", 1, "Photo File"]]
    assert w[Col.MESSAGE].str.contains("not part of the data contract and was ignored").all()
    assert w[Col.VALUE].isna().all()
    assert "notes" not in log.sessions.columns
    # a header warning is about the file, not a data row
    assert log.counts["warned"].sum() == 0
    assert log.is_clean is False


def test_column_names_match_whatever_their_case(tmp_path):
    tables = valid_tables()
    tables["sessions"] = {k.upper() if k == Col.DEVICE else k: v
                          for k, v in tables["sessions"].items()}
    tables["sessions"][" Session_Date "] = tables["sessions"].pop(Col.SESSION_DATE)
    log = load_bundle(write_bundle(tmp_path, tables))
    assert log.is_clean
    assert log.sessions[Col.DEVICE].astype(str).tolist() == ["pen", "pen", "roller"]


def test_user_scales_file_adds_a_scale(tmp_path):
    tables = valid_tables()
    tables["assessments"][Col.SCALE] = ["my_scale", "my_scale"]
    tables["assessments"][Col.SCORE] = ["30", "18.5"]
    (tmp_path / "scales.toml").write_text(
        '[my_scale]\nmin = 0\nmax = 30\nbetter = "lower"\nkind = "bounded"\n')
    log = load_bundle(write_bundle(tmp_path / "b", tables), scales=tmp_path / "scales.toml")
    assert log.assessments[Col.SCALE].astype(str).tolist() == ["my_scale", "my_scale"]
    assert list(log.assessments[Col.SCALE].cat.categories) == list(log.scales)
    assert "my_scale" in log.scales
    scales = load_scales()
    log = load_quietly(write_bundle(tmp_path / "c", tables), scales=scales)
    assert log.rejects["assessments"][Col.ROW].tolist() == [2, 3]


def test_loading_does_not_modify_the_input(tmp_path):
    tables = valid_tables()
    tables["sessions"][Col.SESSION_DATE][0] = "18/03/2024"  # quarantined
    tables["sessions"][Col.PAIN_VAS][1] = "11"  # blanked
    paths = []
    for fmt in FORMATS:
        root = write_bundle(tmp_path / fmt, tables, fmt)
        paths += [root] if root.is_file() else sorted(root.iterdir())
    old = 1_000_000_000  # set mtimes far in the past, so a rewrite would show
    for path in paths:
        os.utime(path, (old, old))
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in paths}
    listing = {p.parent: sorted(p.parent.iterdir()) for p in paths}
    for fmt in FORMATS:
        log = load_quietly(tmp_path / fmt if fmt != "xlsx" else tmp_path / fmt / "bundle.xlsx")
        save_rejects(log, tmp_path / f"rejects-{fmt}")
    after = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in paths}
    assert after == before
    assert {p.parent: sorted(p.parent.iterdir()) for p in paths} == listing


def test_quarantine_issues_one_data_quality_warning(tmp_path):
    tables = valid_tables()
    tables["sessions"][Col.SESSION_DATE][2] = "2024-02-30"  # a session without events
    with pytest.warns(DataQualityWarning, match="1 row\\(s\\) quarantined") as record:
        load_bundle(write_bundle(tmp_path, tables))
    assert len(record) == 1


def test_large_table_is_loaded_with_vectorised_checks(tmp_path):
    """5,000 sessions with a few bad rows spread through: the same rows come out."""
    rng = np.random.default_rng(7)
    n = 5000
    sessions = {
        Col.PATIENT_ID: [f"P{i % 800:04d}" for i in range(n)],
        Col.SESSION_ID: [f"S{i}" for i in range(n)],
        Col.SESSION_DATE: [str(np.datetime64("2023-01-01") + int(d))
                           for d in rng.integers(0, 700, n)],
        Col.CONDITION: list(rng.choice(vocabulary("condition"), n)),
        Col.SETTING: list(rng.choice(["home", "professional"], n)),
        Col.PAIN_VAS: [str(v) for v in rng.integers(0, 11, n)],
    }
    bad_rows = [10, 2000, 4999]
    for i in bad_rows:
        sessions[Col.CONDITION][i] = "nonsense"
    sessions[Col.PAIN_VAS][77] = "12"
    log = load_quietly(write_bundle(tmp_path, {"sessions": sessions}))
    assert log.rejects["sessions"][Col.ROW].tolist() == [i + 2 for i in bad_rows]
    assert log.warnings[Col.ROW].tolist() == [79]
    assert len(log.sessions) == n - 3


def test_parquet_string_and_large_string_columns(tmp_path):
    tables = valid_tables()
    arrays = {k: pyarrow.array(v, pyarrow.large_string()) for k, v in tables["sessions"].items()}
    pq.write_table(pyarrow.table(arrays), tmp_path / "sessions.parquet")
    log = load_bundle(tmp_path)
    reference = load_bundle(write_bundle(tmp_path / "ref", {"sessions": tables["sessions"]}))
    pd.testing.assert_frame_equal(log.sessions, reference.sessions)


@pytest.mark.parametrize("module", ["load", "values", "hashing", "failures", "schema", "privacy"])
def test_the_examples_of_the_docstrings_run(module):
    result = doctest.testmod(importlib.import_module(f"outcomes.bundle.{module}"))
    assert result.attempted and not result.failed


def test_keys_of_one_length_hash_as_keys_of_mixed_lengths():
    """Keys all as long are hashed as a table of bytes; the hashes are those of the general
    path (the same keys beside one longer key, which sends them through it)."""
    from outcomes.bundle.hashing import hash_strings

    keys = [f"S{i:05d}" for i in range(300)] + ["S00007", "S00042"]
    alone = hash_strings(pyarrow.array(keys))
    mixed = hash_strings(pyarrow.array([*keys, "a longer key"]))
    sliced = hash_strings(pyarrow.array(["x", *keys]).slice(1))
    assert np.array_equal(alone, mixed[:-1])
    assert np.array_equal(alone, sliced)
    assert alone[300] == alone[7] and alone[301] == alone[42]
    assert len(np.unique(alone)) == 300


def test_keys_of_one_length_compare_as_their_text():
    """The events' session ids are confirmed as fixed-width bytes when all are as long; that
    says what comparing the text says (a trailing NUL byte included)."""
    from outcomes.bundle.links import _same_text

    left = pyarrow.array(["S01", "S02", "S0\x00", "S03"], pyarrow.large_string())
    right = pyarrow.array(["S0\x00", "S01", "S03", "S02"], pyarrow.large_string())
    at_left, at_right = np.array([0, 1, 2, 3, 2]), np.array([1, 3, 0, 2, 1])
    expected = [True, True, True, True, False]
    assert _same_text(left, at_left, right, at_right).tolist() == expected
    ragged = pyarrow.concat_arrays([right, pyarrow.array(["longer"], pyarrow.large_string())])
    assert _same_text(left, at_left, ragged, at_right).tolist() == expected
