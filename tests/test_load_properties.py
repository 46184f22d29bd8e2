"""Property tests: whatever is thrown at the loader, it answers with a SessionLog that keeps its
promises, or with an OutcomesError, never with another exception."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.bundles import FORMATS, valid_tables, write_bundle, write_csv
from tests.test_load import check_typed

from outcomes import Col, SessionLog, load_bundle
from outcomes.bundle.schema import TABLES, vocabulary
from outcomes.errors import DataQualityWarning, OutcomesError

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(SETTINGS, max_examples=15)
MANY = settings(SETTINGS, max_examples=80)

# Text that a spreadsheet cell can hold (openpyxl refuses control characters; so do exports).
CELL_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from(";,\"' \t"),
    max_size=12)
EXTRA_COLUMNS = ["notes", "", "Session_ID", "patient_id ", "x;y", "é"]


def _samples(column) -> list[str]:
    """Valid values and near misses for a contract column."""
    kind = column.kind
    if kind == "id":
        return ["P0001", "S1", "S2", "pt-17", " S1 ", "a3f9c2"]
    if kind == "date":
        return ["2024-03-18", "2024-02-29", "2023-02-29", "18/03/2024", "2024-3-18", "0001-01-01"]
    if kind in ("number", "hours"):
        return ["0", "1.5", "2,5", "-1", "240", "1e3", "nan", "inf", "3.0", " 7 "]
    if kind == "bool":
        return ["true", "FALSE", "yes", "0", "maybe"]
    if kind == "scale":
        return ["masi", "GAIS", "hair_density", "severity_vas", "unknown_scale"]
    values = vocabulary(column.vocabulary)
    if kind == "list":
        return [values[0], f"{values[1]};{values[0]}", "none", "none;herpes", "smoker", ";"]
    return [*values, values[0].upper(), f" {values[-1]} ", "1", "other_value"]


def _cell(column) -> st.SearchStrategy:
    return st.one_of(st.none(), st.sampled_from(_samples(column)), CELL_TEXT)


@st.composite
def bundles(draw) -> dict[str, dict[str, list]]:
    """Tables with contract and extra columns, missing columns, and any kind of cell."""
    out = {}
    for name, table in TABLES.items():
        if name != "sessions" and draw(st.booleans()):
            continue
        names = list(table.required_columns)
        if draw(st.integers(0, 9)) == 0:  # now and then a required column is missing
            names = names[1:]
        names += draw(st.lists(st.sampled_from([*table.names, *EXTRA_COLUMNS]), max_size=5))
        names = list(dict.fromkeys(names))
        n = draw(st.integers(0, 6))
        out[name] = {
            c: draw(st.lists(_cell(table.column(c)) if c in table.names else CELL_TEXT,
                             min_size=n, max_size=n))
            for c in names
        }
    return out


def _load(path) -> SessionLog | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            return load_bundle(path)
        except OutcomesError as exc:
            assert str(exc)  # a message, always
            return None


def _check_promises(log: SessionLog) -> None:
    check_typed(log)
    for name in TABLES:
        counts = log.counts.loc[name]
        assert counts["read"] == counts["accepted"] + counts["quarantined"]
        accepted = set(log.table(name)[Col.ROW])
        rejected = set(log.rejects[name][Col.ROW])
        assert not accepted & rejected
        assert len(accepted) == counts["accepted"] and len(rejected) == counts["quarantined"]
        assert log.rejects[name][Col.REASON].str.len().gt(0).all()
        warned = log.warnings.loc[(log.warnings[Col.TABLE] == name) & (log.warnings[Col.ROW] > 1)]
        assert warned[Col.ROW].nunique() == counts["warned"]
    # every accepted event belongs to an accepted session
    sessions = set(log.sessions[Col.SESSION_ID])
    assert set(log.adverse_events[Col.SESSION_ID]) <= sessions


@SETTINGS
@given(tables=bundles(), fmt=st.sampled_from(FORMATS))
def test_random_tables_load_or_raise_an_outcomes_error(tables, fmt):
    with tempfile.TemporaryDirectory() as folder:
        log = _load(write_bundle(Path(folder), tables, fmt))
        if log is not None:
            _check_promises(log)


@FEW
@given(tables=bundles())
def test_csv_and_parquet_agree_on_random_tables(tables):
    with tempfile.TemporaryDirectory() as folder:
        csv_log = _load(write_bundle(Path(folder) / "csv", tables, "csv"))
        parquet_log = _load(write_bundle(Path(folder) / "parquet", tables, "parquet",
                                         typed=False))
        assert (csv_log is None) == (parquet_log is None)
        if csv_log is not None:
            for name in TABLES:
                pd.testing.assert_frame_equal(csv_log.table(name), parquet_log.table(name))
            pd.testing.assert_frame_equal(csv_log.warnings, parquet_log.warnings)


@MANY
@given(content=st.binary(max_size=400), target=st.sampled_from(
    ["sessions.csv", "sessions.parquet", "bundle.xlsx", "assessments.csv"]))
def test_random_bytes_files_raise_only_outcomes_errors(content, target):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if target == "assessments.csv":
            write_bundle(root, {"sessions": valid_tables()["sessions"]})
        (root / target).write_bytes(content)
        log = _load(root / target if target.endswith(".xlsx") else root)
        if log is not None:
            _check_promises(log)


@FEW
@given(encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1",
                                 "cp1252", "mac_roman", "cp437"]),
       accent=st.booleans(), separator=st.sampled_from([",", ";"]))
def test_weird_encodings_are_read_or_refused_with_a_message(encoding, accent, separator):
    tables = valid_tables()
    if accent:
        tables["sessions"][Col.CLINIC_ID][0] = "Clinique-é"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_csv(root / "sessions.csv", tables["sessions"], separator=separator,
                  encoding=encoding)
        log = _load(root)
        if encoding in ("utf-8", "utf-8-sig") or (not accent and encoding in (
                "latin-1", "cp1252", "mac_roman", "cp437")):
            assert log is not None and log.counts.loc["sessions", "read"] == 3
        if encoding.startswith(("utf-16", "utf-32")):
            assert log is None
        if log is not None:
            _check_promises(log)


@FEW
@given(order=st.permutations(list(range(6))), seed=st.integers(0, 2**16))
def test_row_order_does_not_change_what_is_accepted(order, seed):
    rng = np.random.default_rng(seed)
    tables = valid_tables()
    s = tables["sessions"]
    for name in s:  # six rows: the three valid ones and three broken copies
        s[name] = s[name] + s[name]
    s[Col.SESSION_ID][3:] = ["S4", "S5", "S6"]
    s[Col.SESSION_DATE][3] = "2024-13-01"
    s[Col.SETTING][4] = "spa"
    s[Col.PAIN_VAS][5] = str(int(rng.integers(11, 99)))
    shuffled = {name: [cells[i] for i in order] for name, cells in s.items()}
    with tempfile.TemporaryDirectory() as folder:
        log = _load(write_bundle(Path(folder), {"sessions": shuffled}))
    kept = sorted(log.sessions[Col.SESSION_ID])
    assert kept == ["S1", "S2", "S6", "a3f9c2"]
    assert sorted(log.rejects["sessions"][Col.SESSION_ID]) == ["S4", "S5"]
    position = {original: row + 2 for row, original in enumerate(order)}
    assert sorted(log.sessions[Col.ROW]) == sorted(position[i] for i in (0, 1, 2, 5))
