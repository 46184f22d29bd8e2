"""The engines give the in-memory results: partitioned by patient (DuckDB) and on Dask.

One simulated bundle of 2,000 patients (with data-entry faults, so that rows are quarantined)
is analysed in memory, with the partitioned engine in three buckets, and on a Dask
``LocalCluster`` of two workers; every claim's estimate, interval and verdict must agree to
1e-9, and the loader's counts, rejects and warnings must be the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes
from outcomes.bundle.write import write_bundle
from outcomes.engine import choose_engine, evaluate_bundle, load_courses
from outcomes.engine.partition import bucket_count, partition_bundle

PATIENTS = 2000


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("engine") / "bundle"
    write_bundle(outcomes.simulate(PATIENTS, seed=11, fault_rate=0.01), folder, format="csv")
    return folder


@pytest.fixture(scope="module")
def in_memory(bundle):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", outcomes.DataQualityWarning)
        log, result = evaluate_bundle(bundle, engine="memory")
    return log, result, _data_quality(caught)


def _data_quality(caught) -> list[str]:
    return [str(w.message) for w in caught
            if issubclass(w.category, outcomes.DataQualityWarning)]


def _same_claims(a, b):
    ta, tb = a.table, b.table
    assert list(ta["id"]) == list(tb["id"])
    assert list(ta["verdict"]) == list(tb["verdict"])
    for column in ("estimate", "ci_low", "ci_high"):
        x, y = ta[column].to_numpy(float), tb[column].to_numpy(float)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9)
    assert list(ta["n"]) == list(tb["n"]) and list(ta["n_patients"]) == list(tb["n_patients"])


def _same_log(a, b):
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert a.checksums == b.checksums
    for table, rejects in a.rejects.items():
        pd.testing.assert_frame_equal(rejects.reset_index(drop=True),
                                      b.rejects[table].reset_index(drop=True))
    key = ["table", "row", "column", "message"]
    pd.testing.assert_frame_equal(a.warnings.sort_values(key, ignore_index=True),
                                  b.warnings.sort_values(key, ignore_index=True))


@pytest.mark.slow
def test_partitioned_equals_memory(bundle, in_memory):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", outcomes.DataQualityWarning)
        log, result = evaluate_bundle(bundle, engine="partitioned", buckets=3)
    assert in_memory[0].n_quarantined > 0  # the faults were found, in both
    # one warning, naming the user's bundle (not a bucket), as the in-memory load gives it
    assert _data_quality(caught) == in_memory[2]
    assert len(in_memory[2]) == 1 and in_memory[2][0].startswith(bundle.name)
    _same_log(in_memory[0], log)
    _same_claims(in_memory[1], result)


@pytest.mark.slow
def test_dask_local_cluster_equals_memory(bundle, in_memory):
    log, result = evaluate_bundle(bundle, engine="dask", buckets=4)
    _same_log(in_memory[0], log)
    _same_claims(in_memory[1], result)


@pytest.mark.slow
def test_partitioned_courses_equal_and_parquet_input(bundle, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        whole = outcomes.build_courses(outcomes.load_bundle(bundle))
    folder = tmp_path / "parquet"
    write_bundle(outcomes.simulate(300, seed=4, fault_rate=0.0), folder, format="parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        parquet_whole = outcomes.build_courses(outcomes.load_bundle(folder))
    for path, expected in ((bundle, whole), (folder, parquet_whole)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", outcomes.DataQualityWarning)
            _, courses = load_courses(path, buckets=3)
        for name in ("sessions", "courses", "points", "events"):
            pd.testing.assert_frame_equal(getattr(expected, name), getattr(courses, name))
        assert courses.unassigned_assessments == expected.unassigned_assessments


def test_a_patient_lands_in_one_bucket(bundle, tmp_path):
    split = partition_bundle(bundle, tmp_path / "b", buckets=4)
    seen = {}
    for folder in split.buckets:
        s = pd.read_parquet(folder / "sessions.parquet")
        a = pd.read_parquet(folder / "assessments.parquet")
        for patient in set(s["patient_id"].dropna()) | set(a["patient_id"].dropna()):
            assert seen.setdefault(patient, folder.name) == folder.name
    assert len(split.buckets) == 4 and split.sessions > 0


def test_a_split_stopped_half_way_leaves_nothing_behind(bundle, tmp_path):
    """Bucket folders of an earlier split that never finished are not taken for this one's."""
    out = tmp_path / "b"
    (out / "bucket_000").mkdir(parents=True)
    pd.DataFrame({"patient_id": ["stale"]}).to_parquet(out / "bucket_000" / "sessions.parquet")
    split = partition_bundle(bundle, out, buckets=2, write=False)
    assert not split.buckets[0].exists()
    folder = split.write_bucket(split.buckets[0])
    ids = set(pd.read_parquet(folder / "sessions.parquet")["patient_id"].dropna())
    assert ids and "stale" not in ids
    assert split.write_bucket(split.buckets[0]) == folder  # written once


def test_engine_choice():
    assert choose_engine({"sessions": pd.DataFrame()}) == "memory"
    assert choose_engine("no such folder", "partitioned") == "partitioned"
    assert bucket_count(250_001) == 2
    with pytest.raises(outcomes.errors.ParameterError):
        choose_engine("x", "spark")


@pytest.mark.slow
def test_claims_only_courses_give_the_same_claims(bundle, in_memory):
    """keep="claims" (the command line's claims): slim, coded courses, the same verdicts."""
    log, result = evaluate_bundle(bundle, engine="partitioned", buckets=3, keep="claims")
    _same_log(in_memory[0], log)
    _same_claims(in_memory[1], result)
    assert result.to_json() == in_memory[1].to_json()
    c = result.courses
    assert "clinic_id" not in c.sessions and "row" not in c.events
    assert c.sessions["patient_id"].dtype == np.int32
    # the codes are in order of the ids: the courses are numbered as in memory
    whole = in_memory[1].courses.courses
    assert c.courses["patient_id"].is_monotonic_increasing
    assert c.courses["patient_id"].nunique() == whole["patient_id"].nunique()
    np.testing.assert_array_equal(c.courses["final_improvement"],
                                  whole["final_improvement"])


@pytest.mark.slow
def test_buckets_in_worker_processes_give_the_same_claims(bundle, in_memory):
    """workers=2: the buckets loaded in two spawned processes, the same log and verdicts."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", outcomes.DataQualityWarning)
        log, result = evaluate_bundle(bundle, engine="partitioned", buckets=3, keep="claims",
                                      workers=2)
    assert _data_quality(caught) == in_memory[2]  # the one warning, from this process
    _same_log(in_memory[0], log)
    assert result.to_json() == in_memory[1].to_json()


@pytest.mark.slow
def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """Workers are spawned: a script calling evaluate_bundle at its top level (no ``if
    __name__ == "__main__":``, as researchers write them) is not run again in each worker."""
    folder = tmp_path / "b"
    write_bundle(outcomes.simulate(40, seed=3), folder, format="parquet")
    script = tmp_path / "analysis.py"
    script.write_text(
        "import sys, warnings\n"
        "import outcomes\n"
        "warnings.simplefilter('ignore')\n"
        "print('started', flush=True)\n"
        "log, result = outcomes.evaluate_bundle(sys.argv[1], engine='partitioned', buckets=3,\n"
        "                                       workers=2, keep='claims')\n"
        "print('claims', len(result.to_frame()))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("started") == 1
    assert "claims " in done.stdout


def test_worker_processes_from_half_a_million_sessions():
    from outcomes.engine.run import PROCESS_SESSIONS, workers_for

    assert workers_for(PROCESS_SESSIONS - 1) == 1
    assert workers_for(PROCESS_SESSIONS) == min(4, len(os.sched_getaffinity(0)))
    assert workers_for(10, workers=3) == 3
    with pytest.raises(outcomes.errors.ParameterError):
        workers_for(10, workers=0)


@pytest.mark.parametrize("patients", [5, 20, 80])
def test_claims_only_courses_small_clinics(tmp_path, patients):
    folder = tmp_path / "b"
    write_bundle(outcomes.simulate(patients, seed=patients), folder, format="parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        _, whole = evaluate_bundle(folder, engine="memory")
        _, slim = evaluate_bundle(folder, engine="partitioned", buckets=3, keep="claims")
    assert slim.to_json() == whole.to_json()
    with pytest.raises(outcomes.errors.ParameterError):
        evaluate_bundle(folder, engine="partitioned", keep="some")


def test_a_log_without_rows_holds_none_of_them(bundle):
    """What each bucket returns is its counts: its tables' columns, none of their buffers."""
    from outcomes.engine.run import without_rows

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        log = outcomes.load_bundle(bundle)
    empty = without_rows(log)
    for name in ("sessions", "assessments", "adverse_events"):
        frame = getattr(empty, name)
        assert len(frame) == 0 and list(frame.columns) == list(getattr(log, name).columns)
        for column in frame.columns:  # an arrow column's buffers, not only its length
            held = getattr(frame[column].array, "_pa_array", None)
            assert held is None or held.get_total_buffer_size() < 10_000, column
        ids = frame["patient_id"] if "patient_id" in frame else frame["session_id"]
        assert not isinstance(ids.dtype, pd.CategoricalDtype) or len(ids.cat.categories) == 0


@pytest.mark.parametrize("patients", [5, 20, 80])
def test_validate_semicolon_bundle_in_buckets(tmp_path, patients):
    """A semicolon bundle (decimal commas) read bucket by bucket straight from the split: the
    counts, rejects (original row numbers, also inside the reasons) and warnings of memory."""
    folder = tmp_path / "b"
    tables = outcomes.simulate(patients, seed=patients + 1, fault_rate=0.05)
    tables["adverse_events"] = tables["adverse_events"].head(1)  # buckets without events
    write_bundle(tables, folder, format="csv", sep=";")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        whole = outcomes.load_bundle(folder)
        log, courses = load_courses(folder, buckets=4, courses=False)
    assert courses is None
    assert log.counts.loc["adverse_events", "read"] == 1
    _same_log(whole, log)


def test_a_bucket_is_read_from_the_split_with_its_original_rows(bundle, tmp_path):
    split = partition_bundle(bundle, tmp_path / "b", buckets=3, write=False)
    read = [split.read_bucket(b) for b in split.buckets]
    assert not any(b.exists() for b in split.buckets)  # nothing written
    for name in ("sessions", "assessments", "adverse_events"):
        rows = np.concatenate([r.tables[name].rows for r in read])
        n = len(pd.read_csv(bundle / f"{name}.csv", dtype=str, keep_default_na=False))
        np.testing.assert_array_equal(np.sort(rows), np.arange(2, n + 2))  # each row once
        for r in read:
            assert (np.diff(r.tables[name].rows) > 0).all()  # in original order
    assert read[0].source == bundle.name


def test_a_session_id_of_patients_in_different_buckets(tmp_path):
    """A session id given to sessions of different patients: every row of it (and its events)
    goes to one bucket, where the loader finds the conflict as the whole bundle's load does."""
    tables = outcomes.simulate(80, seed=8, fault_rate=0.0)
    sessions = tables["sessions"].copy()
    firsts = sessions.drop_duplicates("patient_id").index[:12]  # twelve patients' first rows
    sessions.loc[firsts[6:], "session_id"] = sessions.loc[firsts[:6], "session_id"].to_numpy()
    tables["sessions"] = sessions
    folder = tmp_path / "b"
    write_bundle(tables, folder, format="parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        whole = outcomes.load_bundle(folder)
        log, _ = load_courses(folder, buckets=4, courses=False)
    assert whole.rejects["sessions"]["reason"].str.contains("is also used by").sum() >= 12
    _same_log(whole, log)


@pytest.mark.parametrize("buckets", [1, 4])
def test_claims_courses_filled_bucket_by_bucket_equal_all_at_once(bundle, monkeypatch, buckets):
    """engine.combine fills each column bucket by bucket; the same rows, in the same order and
    types, as combine_courses of every bucket at once (its fallback); the files are let go."""
    from outcomes.engine import combine

    stored = []
    keep = ("contraindications", "duration_min", "fitzpatrick", "pain_vas", "setting")

    def load(**kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", outcomes.DataQualityWarning)
            return load_courses(bundle, buckets=buckets, workers=1, keep=keep, **kw)[1]

    real = combine.store
    monkeypatch.setattr("outcomes.engine.run.store",
                        lambda *a: stored.append(real(*a)) or stored[-1])
    filled = load()
    assert stored and not any(s.path.exists() for s in stored)
    monkeypatch.setattr(combine, "_same_types", lambda parts: False)
    at_once = load()
    for name in combine.TABLES:
        pd.testing.assert_frame_equal(getattr(filled, name), getattr(at_once, name),
                                      check_exact=True)
    assert filled.courses["course_id"].dtype == np.int32
    assert filled.unassigned_assessments == at_once.unassigned_assessments
