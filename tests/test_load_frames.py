"""``load_bundle`` given a dict of DataFrames: the same contract, quarantine and privacy checks
as for files, and a clear ``TypeError`` for anything else."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import outcomes
from outcomes import load_bundle
from outcomes.bundle.write import write_bundle
from outcomes.errors import BundleError, DataQualityWarning, IdentifyingDataError, ParameterError

TABLE_NAMES = ("sessions", "assessments", "adverse_events")


def quiet(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_bundle(path, **kwargs)


def assert_same_log(expected, got):
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(expected, name), getattr(got, name))
        pd.testing.assert_frame_equal(expected.rejects[name], got.rejects[name])
    pd.testing.assert_frame_equal(expected.counts, got.counts)
    pd.testing.assert_frame_equal(expected.warnings, got.warnings)


@pytest.mark.parametrize(("patients", "faults"), [(5, 0.0), (20, 0.0), (80, 0.05)])
def test_frames_load_as_the_csv_files_they_would_make(tmp_path, patients, faults):
    tables = outcomes.simulate(patients, 7, fault_rate=faults)
    copies = {k: v.copy() for k, v in tables.items()}
    write_bundle(tables, tmp_path)
    expected = quiet(tmp_path)
    got = quiet(tables)
    assert_same_log(expected, got)
    assert got.source == "DataFrames"
    assert list(got.checksums) == [f"{n} (DataFrame)" for n in TABLE_NAMES]
    assert quiet(tables).checksums == got.checksums  # the same frames, the same checksums
    for name in TABLE_NAMES:  # the frames are not modified
        pd.testing.assert_frame_equal(tables[name], copies[name])
    if faults:
        assert got.n_quarantined > 0


def test_typed_frames_load_like_text_ones():
    tables = outcomes.simulate(20, 9)
    s = tables["sessions"]
    typed = s.assign(
        session_date=pd.to_datetime(s["session_date"]),
        condition=s["condition"].astype("category"),
        fitzpatrick=s["fitzpatrick"].astype("category"),
        numbing=s["numbing"].astype("boolean"),
    )
    a = tables["assessments"]
    typed_a = a.assign(assessment_date=pd.to_datetime(a["assessment_date"]).dt.date)
    expected = quiet(tables)
    got = quiet({**tables, "sessions": typed, "assessments": typed_a})
    assert_same_log(expected, got)


def test_only_sessions_is_needed_and_the_privacy_screen_runs():
    tables = outcomes.simulate(5, 1)
    log = quiet({"sessions": tables["sessions"]})
    assert log.missing_tables == ("assessments", "adverse_events")
    named = tables["sessions"].assign(patient_name="Jane Smith")
    with pytest.raises(IdentifyingDataError):
        load_bundle({"sessions": named})


@pytest.mark.parametrize(("given", "message"), [
    (["sessions.csv"], "path must be a folder or workbook path (str or Path), or a dict of "
                       "DataFrames keyed sessions, assessments, adverse_events; got list"),
    (None, "got NoneType"),
    ({"session": pd.DataFrame()}, "the keys of a dict of DataFrames are table names "
                                   "(sessions, assessments, adverse_events); got 'session': "
                                   "did you mean 'sessions'?"),
    ({"sessions": {"patient_id": ["P1"]}}, "the sessions table must be a pandas DataFrame, "
                                           "got dict"),
])
def test_anything_else_is_a_type_error_naming_what_is_accepted(given, message):
    with pytest.raises(TypeError) as caught:
        load_bundle(given)
    assert message in str(caught.value)
    assert isinstance(caught.value, ParameterError)  # and one of outcomes' own errors


def test_a_dict_without_sessions_is_refused():
    with pytest.raises(outcomes.errors.BundleError, match="has no 'sessions' frame"):
        load_bundle({"assessments": outcomes.simulate(5, 1)["assessments"]})


@pytest.mark.parametrize("threads", [False, True])
def test_identifying_values_are_refused_before_a_missing_column(monkeypatch, threads):
    """The identifier values are checked while the columns are prepared (in threads for a
    large bundle): a refusal still comes before any other problem of the bundle."""
    if threads:  # the threaded path on a small bundle
        monkeypatch.setattr("outcomes.bundle.load._ROWS_FOR_THREADS", 0)
    sessions = outcomes.simulate(5, 1)["sessions"].drop(columns=["condition"])
    with pytest.raises(BundleError, match="no condition column"):
        quiet({"sessions": sessions})
    sessions.loc[0, "patient_id"] = "jane.smith@example.com"
    with pytest.raises(IdentifyingDataError, match="e-mail address") as caught:
        quiet({"sessions": sessions})
    assert caught.value.failure_cases["row"].tolist() == [2]
