"""Safety signals: grouped intervals equal to proportion(), groups, flags, the planted clinic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from factories import event, make_log, session
from outcomes.audit.signals import (
    ALL,
    NOT_RECORDED,
    SIGNAL_COLUMNS,
    _grouped_rates,
    depth_bands,
    safety_signals,
)
from outcomes.courses import build_courses
from outcomes.simulate.draw import simulate
from outcomes.stats.intervals import proportion


def test_grouped_rates_equal_proportion_group_by_group():
    rng = np.random.default_rng(3)
    n = 3000
    groups = rng.integers(0, 6, n)
    patient = rng.integers(0, 400, n)
    y = rng.random(n) < 0.15 + 0.05 * groups
    # group 6: one unit per patient; group 7: no event; group 8: one patient, several units
    groups = np.concatenate([groups, [6] * 20, [7] * 30, [8] * 4])
    patient = np.concatenate([patient, 1000 + np.arange(20), 2000 + np.arange(30) // 3,
                              [3000] * 4])
    y = np.concatenate([y, np.arange(20) % 4 == 0, np.zeros(30, bool), [1, 0, 1, 0]])
    got = _grouped_rates(groups, y, patient, 9, "sessions", 0.05)
    for k in range(8):
        m = groups == k
        e = proportion(y[m].astype(float), cluster=patient[m])
        assert got.loc[k, "estimate"] == pytest.approx(e.estimate, abs=1e-12)
        assert got.loc[k, "ci_low"] == pytest.approx(e.ci_low, abs=1e-9)
        assert got.loc[k, "ci_high"] == pytest.approx(e.ci_high, abs=1e-9)
        assert got.loc[k, "n_clusters"] == e.n_clusters
    assert got.loc[8, "n"] == 4 and np.isnan(got.loc[8, "ci_low"])
    assert "no interval" in got.loc[8, "method"]


def test_depth_bands():
    bands = depth_bands([0.1, 0.49, 0.5, 2.99, 3.0, None, 0.05], (0.1, 0.5, 1.0, 3.0))
    assert bands.tolist()[:5] == ["0.1-0.5 mm", "0.1-0.5 mm", "0.5-1 mm", "1-3 mm", "1-3 mm"]
    assert bands.isna().tolist()[5:] == [True, True]


@pytest.fixture(scope="module")
def hand():
    """P1: two sessions at clinic A (the second with a PIH), one at B; P2: one at B; P3 home,
    no clinic, one moderate erythema; P4: two sessions at A, nothing."""
    s = [
        session("P1", "s1", "2024-01-01", clinic_id="A", operator_id="o1", device="pen",
                needle_depth_mm=1.5),
        session("P1", "s2", "2024-02-01", clinic_id="A", operator_id="o1", device="pen",
                needle_depth_mm=1.5),
        session("P1", "s3", "2024-03-01", clinic_id="B", operator_id="o2", device="pen",
                needle_depth_mm=0.5),
        session("P2", "s4", "2024-01-01", clinic_id="B", operator_id="o2", device="roller"),
        session("P3", "s5", "2024-01-01", setting="home", device="roller", needle_depth_mm=0.2),
        session("P4", "s6", "2024-01-01", clinic_id="A", operator_id="o1"),
        session("P4", "s7", "2024-02-01", clinic_id="A", operator_id="o1"),
    ]
    e = [event("s2", "pih", "mild", resolved=100), event("s5", "erythema", "moderate", 30),
         event("s6", "erythema", "mild", resolved=10)]
    return safety_signals(build_courses(make_log(s, events=e)), min_units=1)


def _rate(signals, unit, dim, group):
    t = signals.table
    r = t[(t["unit"] == unit) & (t["dimension"] == dim) & (t["group"] == group)]
    assert len(r) == 1, (unit, dim, group)
    return int(r["n"].iloc[0]), int(r["events"].iloc[0])


def test_hand_worked_rates(hand):
    assert list(hand.table.columns) == SIGNAL_COLUMNS
    assert _rate(hand, "sessions", ALL, ALL) == (7, 2)
    assert _rate(hand, "sessions", "clinic_id", "A") == (4, 1)
    assert _rate(hand, "sessions", "clinic_id", "B") == (2, 0)
    assert _rate(hand, "sessions", "clinic_id", NOT_RECORDED) == (1, 1)
    assert _rate(hand, "sessions", "depth_band", "1.5-2 mm") == (2, 1)
    # per course: P1's course counts once at A (with its PIH) and once at B (without)
    assert _rate(hand, "courses", ALL, ALL) == (4, 2)
    assert _rate(hand, "courses", "clinic_id", "A") == (2, 1)
    assert _rate(hand, "courses", "clinic_id", "B") == (2, 0)
    assert _rate(hand, "courses", "device", "pen") == (1, 1)


def test_flags_follow_the_ceiling_and_min_units(hand):
    t = hand.table
    # the home group: 1 of 1 sessions, Wilson lower end 0.21 > 0.20
    home = t[(t["unit"] == "sessions") & (t["group"] == NOT_RECORDED)
             & (t["dimension"] == "clinic_id")].iloc[0]
    assert home["above_ceiling"] and home["ci_low"] > home["ceiling"]
    strict = safety_signals(build_courses(make_log(
        [session("P3", "s5", "2024-01-01", setting="home")],
        events=[event("s5", "pih", "mild", 30)])), min_units=10)
    assert not strict.table["above_ceiling"].any()


@pytest.fixture(scope="module")
def planted():
    """C05 with three times the notable-event risk; every other clinic at the baseline."""
    tables = simulate(700, seed=21, clinic_ae_multiplier={"C05": 3.0})
    return safety_signals(build_courses(make_log(
        tables["sessions"].to_dict("records"), events=tables["adverse_events"].to_dict(
            "records"))))


def test_the_planted_clinic_is_the_one_flagged(planted):
    assert planted.flagged_groups("clinic_id") == ["C05"]
    assert "C05" in planted.above_overall_groups("clinic_id")
    f = planted.flagged
    assert set(f.loc[f["dimension"] == "clinic_id", "unit"]) <= {"sessions", "courses"}
    assert "FLAGGED clinic_id C05" in planted.summary()


def test_no_clinic_flagged_without_a_planted_one():
    tables = simulate(700, seed=21, clinic_ae_multiplier={"C05": 1.0})
    signals = safety_signals(build_courses(make_log(
        tables["sessions"].to_dict("records"),
        events=tables["adverse_events"].to_dict("records"))))
    assert signals.flagged_groups("clinic_id") == []
    assert signals.flagged_groups("operator_id") == []


def test_plot(planted):
    ax = planted.plot(unit="sessions", dimension="clinic_id")
    assert len(ax.get_yticklabels()) == len(
        planted.table.query("unit == 'sessions' and dimension == 'clinic_id'"))


def test_empty_events_give_zero_rates():
    s = [session("P1", "s1", "2024-01-01", clinic_id="A"),
         session("P2", "s2", "2024-01-02", clinic_id="A")]
    signals = safety_signals(build_courses(make_log(s)))
    assert (signals.table["events"] == 0).all()
    assert not signals.table["above_ceiling"].any()
    assert isinstance(signals.table, pd.DataFrame)


def test_no_event_anywhere_is_never_above_the_overall_rate():
    """Rates of 0 everywhere (a small clinic's quiet month): no group lies above the overall
    rate of 0, whatever its effective n."""
    s = [session(f"P{i}", f"s{i}{k}", f"2024-0{k}-01", clinic_id=f"C{i % 3}",
                 operator_id=f"o{i % 4}")
         for i in range(12) for k in (1, 2, 3)]
    signals = safety_signals(build_courses(make_log(s)), min_units=1)
    t = signals.table
    assert (t["events"] == 0).all() and (t["ci_low"].dropna() == 0.0).all()
    assert not t["above_overall"].any() and signals.above_overall_groups() == []


def test_without_an_adverse_events_table_there_is_no_rate_and_it_says_why():
    """No adverse-events table: side effects were not recorded, which is not a rate of 0."""
    from dataclasses import replace

    from outcomes.courses import NO_EVENTS_TABLE

    s = [session("P1", "s1", "2024-01-01", clinic_id="A"),
         session("P2", "s2", "2024-01-02", clinic_id="A")]
    log = replace(make_log(s), missing_tables=("adverse_events",))
    signals = safety_signals(build_courses(log))
    assert signals.table.empty and list(signals.table.columns) == SIGNAL_COLUMNS
    assert NO_EVENTS_TABLE in signals.notes and NO_EVENTS_TABLE in signals.summary()
    assert signals.flagged_groups() == [] and signals.above_overall_groups() == []
    ax = signals.plot()
    assert any("no clinic" in t.get_text() for t in ax.texts)
