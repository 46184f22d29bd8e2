"""Data-quality checks: hand-worked bundles, and the faults the simulator injects found exactly."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from bundles import valid_tables, write_bundle
from factories import assessment, make_log, session
from outcomes.audit.config import load_audit_config
from outcomes.audit.quality import (
    AT_LEAST,
    AT_MOST,
    CHECK_COLUMNS,
    CHECKS,
    decide_check,
    quality_checks,
)
from outcomes.bundle.load import load_bundle
from outcomes.bundle.write import write_bundle as write_simulated
from outcomes.courses import build_courses
from outcomes.simulate.draw import simulate

THRESHOLDS = load_audit_config().thresholds


def run(log, **kwargs) -> pd.DataFrame:
    return quality_checks(log, build_courses(log), thresholds=THRESHOLDS, **kwargs).set_index("id")


def numbers(checks: pd.DataFrame, check_id: str) -> tuple[int, int]:
    row = checks.loc[check_id]
    return int(row["numerator"]), int(row["denominator"])


def load_quiet(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_bundle(path)


# ------------------------------------------------------------------------------ the catalogue
def test_every_check_has_a_kahn_category_a_direction_and_a_default_threshold():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    assert set(THRESHOLDS) == {*ids, "signals.above_ceiling", "monitoring.funnel_alarm",
                               "monitoring.cusum_signal"}  # no threshold of a typo
    for c in CHECKS:
        assert c.category in ("conformance", "completeness", "plausibility")
        assert c.direction in (AT_LEAST, AT_MOST)
        # the default threshold is one the check can miss: none at 0% or 100% would always pass
        passes = {pct: decide_check(pct, 100, THRESHOLDS[c.id], c.direction)[2] for pct in (0, 100)}
        assert passes == ({0: False, 100: True} if c.direction == AT_LEAST
                          else {0: True, 100: False}), (c.id, THRESHOLDS[c.id])
        assert c.description


# ------------------------------------------------------------------------------ hand-worked
@pytest.fixture(scope="module")
def handmade():
    """Four courses; the bundle's latest date is 2025-06-01, so all four are finished.

    P1 acne: two sessions on one day (a duplicate visit, spacing 0), then one 425 days later;
       only a follow-up (92 days after its last session), no baseline.
    P2 wrinkles: one session, never assessed.
    P3 acne: two sessions 29 days apart, a baseline and an end of treatment.
    P4 surgical scars: one session, a GAIS assessment 31 days later (needs no baseline).
    P9 has an assessment but no session.
    """
    sessions = [
        session("P1", "s1", "2024-01-01"),
        session("P1", "s2", "2024-01-01"),
        session("P1", "s3", "2025-03-01"),
        session("P2", "s4", "2024-01-10", condition="wrinkles"),
        session("P3", "s5", "2024-02-01"),
        session("P3", "s6", "2024-03-01"),
        session("P4", "s7", "2024-05-01", condition="surgical_scars"),
    ]
    assessments = [
        assessment("P1", "2025-06-01", 20),
        assessment("P3", "2024-02-01", 40),
        assessment("P3", "2024-03-20", 30),
        assessment("P4", "2024-06-01", 2, condition="surgical_scars", scale="gais"),
        assessment("P9", "2024-04-01", 20),
    ]
    return run(make_log(sessions, assessments))


@pytest.mark.parametrize("check_id, expected", [
    ("sessions.duplicate_visit", (2, 7)),
    ("sessions.spacing_plausible", (1, 3)),  # spacings 0, 425 and 29 days
    ("assessments.no_course", (1, 5)),
    ("sessions.course_baseline", (3, 7)),  # P3's two sessions, P4's GAIS course
    ("courses.end_or_follow_up", (3, 4)),
    ("courses.end_within_56_days", (2, 3)),  # P1 only has a follow-up
    ("courses.single_session_unassessed", (1, 4)),  # P2
])
def test_hand_worked_counts(handmade, check_id, expected):
    assert numbers(handmade, check_id) == expected


def test_percentage_threshold_and_status(handmade):
    row = handmade.loc["sessions.spacing_plausible"]
    assert row["percentage"] == pytest.approx(100 / 3)
    assert row["direction"] == AT_LEAST and row["status"] == "fail" and not row["passed"]
    row = handmade.loc["sessions.depth_plausible"]  # no depth recorded at all
    assert row["denominator"] == 0 and row["status"] == "not_applicable" and row["passed"]
    assert list(handmade.reset_index().columns) == CHECK_COLUMNS


def test_course_still_running_is_not_judged_on_its_end_of_treatment():
    sessions = [session("P1", "s1", "2024-01-01"), session("P2", "s2", "2024-03-01")]
    checks = run(make_log(sessions, [assessment("P2", "2024-03-01", 30)]))
    # the bundle ends 2024-03-01: P2's course started that day and is not finished
    assert numbers(checks, "courses.end_or_follow_up") == (0, 1)
    assert numbers(checks, "courses.end_within_56_days") == (0, 0)


def test_plausible_spacing_bounds_come_from_the_arguments(handmade):
    sessions = [session("P1", "s1", "2024-01-01"), session("P1", "s2", "2024-01-08")]
    log = make_log(sessions)
    assert numbers(run(log), "sessions.spacing_plausible") == (1, 1)
    assert numbers(run(log, spacing_days=(7, 365)), "sessions.spacing_plausible") == (0, 1)


# ------------------------------------------------------------------------------ through the loader
def _add_session(tables, **values):
    for column, cells in tables["sessions"].items():
        cells.append(values.get(column))


def _add_event(tables, **values):
    for column, cells in tables["adverse_events"].items():
        cells.append(values.get(column))


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """valid_tables (3 sessions, 2 events) plus: an unknown condition (row 5), two rows sharing
    S4 with different dates (rows 6, 7), pain 12 on row 2 (blanked); events naming the
    quarantined S3, an unknown S999, and an unresolved event without last contact."""
    t = valid_tables()
    t["sessions"]["pain_vas"][0] = "12"
    _add_session(t, patient_id="P0002", session_id="S3", session_date="2024-05-01",
                 condition="scars", setting="professional")
    _add_session(t, patient_id="P0002", session_id="S4", session_date="2024-05-01",
                 condition="wrinkles", setting="home")
    _add_session(t, patient_id="P0002", session_id="S4", session_date="2024-06-01",
                 condition="wrinkles", setting="home")
    _add_event(t, session_id="S3", event="erythema", severity="mild", resolved_hours="24")
    _add_event(t, session_id="S999", event="erythema", severity="mild", resolved_hours="24")
    _add_event(t, session_id="S1", event="oedema", severity="mild")
    path = write_bundle(tmp_path_factory.mktemp("broken"), t)
    return run(load_quiet(path))


@pytest.mark.parametrize("check_id, expected", [
    ("sessions.required_conformant", (3, 6)),  # quarantined rows are failures
    ("sessions.vocabulary_conformant", (5, 6)),
    ("sessions.optional_blanked", (1, 6)),
    ("sessions.duplicate_id", (2, 6)),
    ("sessions.pain_plausible", (2, 3)),
    ("adverse_events.required_conformant", (2, 5)),
    ("adverse_events.session_unknown", (2, 5)),
    ("adverse_events.resolution_recorded", (4, 5)),
])
def test_rejects_and_warnings_count_as_failures(broken, check_id, expected):
    assert numbers(broken, check_id) == expected


def test_a_clean_small_bundle_passes_its_conformance_checks(tmp_path):
    checks = run(load_quiet(write_bundle(tmp_path, valid_tables())))
    conformance = checks[checks["category"] == "conformance"]
    assert conformance["passed"].all()
    assert numbers(checks, "sessions.required_conformant") == (3, 3)


# ------------------------------------------------------------------------------ simulated faults
@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    tables, faults = simulate(500, seed=11, fault_rate=0.03, return_faults=True)
    path = tmp_path_factory.mktemp("faulty")
    write_simulated(tables, path, format="csv")
    return run(load_quiet(path)), faults


def _n(faults, table=None, kind=None, column=None, expect=None) -> int:
    m = pd.Series(True, index=faults.index)
    for name, value in (("table", table), ("kind", kind), ("column", column),
                        ("expect", expect)):
        if value is not None:
            m &= faults[name].isin([value] if isinstance(value, str) else value)
    return int(m.sum())


def test_simulated_faults_are_found_exactly(faulty):
    checks, faults = faulty
    for table in ("sessions", "assessments", "adverse_events"):
        ok, read = numbers(checks, f"{table}.required_conformant")
        assert read - ok == _n(faults, table, expect="quarantine")
        ok, read = numbers(checks, f"{table}.vocabulary_conformant")
        assert read - ok == _n(faults, table, kind="unknown_vocabulary")
    warned_rows = faults[faults["expect"] == "warning"]["row"].nunique()
    assert numbers(checks, "sessions.optional_blanked")[0] == warned_rows
    for column, what in (("needle_depth_mm", "depth"), ("duration_min", "duration"),
                         ("pain_vas", "pain")):
        ok, given = numbers(checks, f"sessions.{what}_plausible")
        assert given - ok == _n(faults, "sessions", "out_of_range", column)
    assert numbers(checks, "sessions.duplicate_id")[0] == _n(faults, kind="duplicate_session_id")
    assert numbers(checks, "adverse_events.session_unknown")[0] == _n(
        faults, "adverse_events", ["unknown_session", "dependant"])
    ok, read = numbers(checks, "adverse_events.resolution_recorded")
    assert read - ok == _n(faults, kind="unresolved_without_last_contact")
    for check_id in ("sessions.required_conformant", "adverse_events.required_conformant",
                     "sessions.duplicate_id"):
        assert not checks.loc[check_id, "passed"]


def test_checks_needing_a_missing_table_are_not_applicable(tmp_path):
    tables = valid_tables()
    del tables["assessments"], tables["adverse_events"]
    checks = run(load_quiet(write_bundle(tmp_path, tables)))
    for check in CHECKS:
        if {"assessments", "adverse_events"} & set(check.needs):
            assert checks.loc[check.id, "status"] == "not_applicable", check.id
    assert checks["passed"].all()


def test_input_is_not_modified(tmp_path):
    log = load_quiet(write_bundle(tmp_path, valid_tables()))
    before = {name: log.table(name).copy() for name in ("sessions", "assessments")}
    run(log)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(log.table(name), frame)


# ------------------------------------------------------------------ statuses and re-scoring
def test_statuses_are_the_data_quality_dashboards():
    from outcomes.audit.config import FUNNEL_GATE
    from outcomes.audit.quality import IS_ERROR, STATUSES, error_row

    assert STATUSES == ("pass", "fail", "not_applicable", "is_error")
    row = error_row(FUNNEL_GATE, 0.0, "LinAlgError: singular matrix")
    assert row["status"] == IS_ERROR and row["passed"] is False
    assert "could not run: LinAlgError" in row["description"]


def test_monitoring_that_cannot_run_is_an_error_not_a_traceback(monkeypatch):
    from outcomes.audit import run as audit_run

    def broken(*args, **kwargs):
        raise ValueError("no convergence")

    monkeypatch.setattr(audit_run, "monitoring", broken)
    log = make_log([session("P1", "s1", "2024-01-01"), session("P1", "s2", "2024-02-01")])
    result = audit_run.audit(log)
    checks = result.checks.set_index("id")
    for cid in ("monitoring.funnel_alarm", "monitoring.cusum_signal"):
        assert checks.loc[cid, "status"] == "is_error" and not checks.loc[cid, "passed"]
    assert result.monitoring is None and result.exit_status == 3
    assert "funnel" not in result.tables()


def test_rescore_without_the_data():
    from outcomes import audit, load_sample
    from outcomes.audit.rescore import rescore
    from outcomes.errors import ConfigError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stored = audit(load_sample()).to_dict()
    same = rescore(stored)
    assert same["rescored"]["changed"] == [] and same["passed"] == stored["passed"]
    lax = {"checks": {c["id"]: 100.0 for c in stored["checks"] if c["direction"] == "at_most"}
           | {c["id"]: 0.0 for c in stored["checks"] if c["direction"] == "at_least"}}
    new = rescore(stored, lax)
    assert new["passed"] is True and new["exit_status"] == 0
    assert set(new["rescored"]["changed"]) == {c["id"] for c in stored["checks"]
                                               if not c["passed"]}
    dup = next(c for c in new["checks"] if c["id"] == "sessions.duplicate_id")
    assert dup["threshold"] == 100.0 and dup["status"] == "pass"
    # a numerator withheld as "<5" of 1000: 0.1%-0.4%, decided when the threshold agrees
    small = copy_with(stored, "sessions.duplicate_id", numerator="<5", denominator=1000,
                      percentage=None)
    assert _status(rescore(small, {"checks": {"sessions.duplicate_id": 1.0}})) == "pass"
    assert _status(rescore(small, {"checks": {"sessions.duplicate_id": 0.0}})) == "fail"
    assert _status(rescore(small, {"checks": {"sessions.duplicate_id": 0.25}})) == "is_error"
    with pytest.raises(ConfigError, match="outcomes.audit/1"):
        rescore({"schema": "something else"})


def copy_with(data, cid, **values):
    import copy

    out = copy.deepcopy(data)
    next(c for c in out["checks"] if c["id"] == cid).update(values)
    return out


def _status(data):
    return next(c for c in data["checks"] if c["id"] == "sessions.duplicate_id")["status"]
