"""Risk-adjusted CUSUM: Steiner's weights and the control limit against values worked from the
formulas (tests/reference/make_funnel_cusum.py), restarts, signals, small clinics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.audit.cusum import (
    CUSUM_COLUMNS,
    CUSUM_SIGNAL_COLUMNS,
    control_limits,
    cusum,
    cusum_path,
    cusum_weights,
    max_cusum,
)

HAND = json.loads((Path(__file__).parent / "reference" / "funnel_cusum_hand.json")
                  .read_text("utf-8"))


def test_weights_match_the_hand_worked_values():
    w = HAND["cusum_weights"]
    got = cusum_weights([1, 0], [w["p"], w["p"]], w["odds_ratio"])
    assert got == pytest.approx([w["event"], w["no_event"]], abs=1e-12)


def test_simulated_limit_matches_the_exact_enumeration():
    """Enumerating the 2^10 outcomes gives the exact distribution of the chart's largest value;
    the simulated limit must be the exact one (the distribution is discrete: both are one of
    its atoms) and its false-alarm probability at most the level."""
    ex = HAND["cusum_exact"]
    h = control_limits(np.full(ex["n"], ex["p"]), np.array([0]), odds_ratio=ex["odds_ratio"],
                       false_alarm=ex["false_alarm"], simulations=40_000, seed=3)
    assert float(h[0]) == pytest.approx(ex["h"], abs=1e-6)
    assert ex["false_alarm_at_h"] <= ex["false_alarm"]


def test_max_cusum_equals_the_recursion_for_several_providers():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 1, size=(3, 50))
    starts = np.array([0, 7, 8, 30])
    got = max_cusum(w, starts)
    for b in range(3):
        for u, (a, z) in enumerate(zip(starts, [*starts[1:], 50], strict=True)):
            c = top = 0.0
            for x in w[b, a:z]:
                c = max(0.0, c + x)
                top = max(top, c)
            assert got[b, u] == pytest.approx(top, abs=1e-9)


def test_path_restarts_after_a_signal_and_spans_windows():
    w = np.r_[np.full(5000, -0.01), np.full(20, 0.3), np.full(5000, -0.01), np.full(20, 0.3)]
    c, hits = cusum_path(w, 2.0)
    # 7 x 0.3 = 2.1 > 2: a signal at the 7th rise, a restart, another 7 rises later
    assert hits == [5006, 5013, 10026, 10033]
    assert c[hits[0] + 1] == pytest.approx(0.3)  # restarted at 0
    ref, top = [], 0.0
    for x in w[: hits[0]]:
        top = max(0.0, top + x)
        ref.append(top)
    assert c[: hits[0]] == pytest.approx(ref)


def _sessions(groups, n_each):
    g = np.repeat(groups, n_each)
    return pd.DataFrame({"clinic_id": g, "session_id": [f"S{i:04d}" for i in range(len(g))],
                         "session_date": pd.Timestamp("2024-01-01")
                         + pd.to_timedelta(np.tile(np.arange(n_each), len(groups)), "D")})


def test_signals_report_dates_and_sessions_since_reset():
    s = _sessions(["A", "B"], 100)
    y = np.zeros(200, dtype=bool)
    y[60:80] = True  # A deteriorates
    res = cusum(s, y, np.full(200, 0.05), dimensions=["clinic_id"], simulations=500)
    assert list(res.table.columns) == CUSUM_COLUMNS
    assert list(res.signals.columns) == CUSUM_SIGNAL_COLUMNS
    assert res.flagged["group"].tolist() == ["A"]
    first = res.signals.iloc[0]
    assert first["group"] == "A" and first["signal"] == 1
    assert first["session_date"] >= pd.Timestamp("2024-03-01")  # after the 60th day
    assert first["events_since_reset"] >= 1
    at = int(s.index[s["session_id"] == first["session_id"]][0])
    assert first["sessions_since_reset"] == at + 1
    assert res.signals["sessions_since_reset"].sum() <= 100
    assert ("clinic_id", "A") in res.paths and ("clinic_id", "B") not in res.paths


def test_dimension_scope_shares_the_level_between_providers():
    s = _sessions(["A", "B", "C", "D"], 50)
    res = cusum(s, np.zeros(200, bool), np.full(200, 0.1), dimensions=["clinic_id"],
                simulations=300)
    assert res.table["false_alarm"].iloc[0] == pytest.approx(1 - 0.95 ** 0.25)
    per = cusum(s, np.zeros(200, bool), np.full(200, 0.1), dimensions=["clinic_id"],
                simulations=300, scope="provider")
    assert per.table["false_alarm"].iloc[0] == 0.05
    assert (per.table["control_limit"] <= res.table["control_limit"]).all()


def test_a_clinic_with_one_session_and_no_clinic_column():
    s = _sessions(["A"], 1)
    res = cusum(s, np.array([True]), np.array([0.2]), dimensions=["clinic_id"], simulations=100)
    assert res.table["n"].tolist() == [1]
    none = cusum(s.assign(clinic_id=None), np.array([True]), np.array([0.2]),
                 dimensions=["clinic_id", "operator_id"], simulations=100)
    assert none.table.empty and "no clinic_id recorded" in none.notes
    assert "no provider" in none.summary() or "no clinic_id" in none.summary()


def test_seeded():
    p = np.full(300, 0.07)
    a = control_limits(p, np.array([0, 100]), simulations=200, seed=9)
    b = control_limits(p, np.array([0, 100]), simulations=200, seed=9)
    assert np.array_equal(a, b)
