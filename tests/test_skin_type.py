"""Notable adverse events and PIH per course by Fitzpatrick type, against independent references.

References: a hand-worked example (counts in the comments) with Wilson and Newcombe intervals
from statsmodels, and a simulation with a known risk difference
(tests/reference/safety_simulate.py).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from tests.factories import event, make_log, session
from tests.reference.safety_simulate import simulate_log

from outcomes import AnalysisError, build_courses, load_bundle, simulate, skin_type, write_bundle
from outcomes.simulate.params import SimulationParams
from outcomes.stats.skin_type import DIFFERENCE, SKIN_TYPE_COLUMNS


@pytest.fixture
def worked():
    """Eight patients, one course each (independent units).

    A I: moderate oedema (notable)      E IV: PIH (notable, PIH)
    B II: nothing                       F V: severe erythema (notable)
    C III: PIH (notable, PIH)           G VI: nothing
    D III: mild erythema (not notable)  H unknown type: infection (notable)
    """
    types = dict(A="I", B="II", C="III", D="III", E="IV", F="V", G="VI", H=None)
    sessions = [session(p, f"s{p}", "2024-01-01", fitzpatrick=t) for p, t in types.items()]
    events = [
        event("sA", "oedema", "moderate", resolved=30.0),
        event("sC", "pih", last_contact=500.0),
        event("sD", "erythema", resolved=20.0),
        event("sE", "pih", last_contact=500.0),
        event("sF", "erythema", "severe", resolved=60.0),
        event("sH", "infection", resolved=200.0),
    ]
    return build_courses(make_log(sessions, events=events))


def _get(table, outcome, group):
    rows = table[(table["outcome"] == outcome) & (table["group"] == group)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_hand_worked_counts_and_intervals(worked):
    t = skin_type(worked).table
    assert list(t.columns) == SKIN_TYPE_COLUMNS
    # rows per outcome: I..VI, I–III, IV–VI, unknown, difference
    assert t[t["outcome"] == "notable"]["group"].tolist() == [
        "I", "II", "III", "IV", "V", "VI", "I–III", "IV–VI", "unknown", DIFFERENCE]
    counts = {g: (int(_get(t, "notable", g)["n_with_event"]), int(_get(t, "notable", g)["n"]))
              for g in ["I", "II", "III", "IV", "V", "VI", "I–III", "IV–VI", "unknown"]}
    assert counts == {"I": (1, 1), "II": (0, 1), "III": (1, 2), "IV": (1, 1), "V": (1, 1),
                      "VI": (0, 1), "I–III": (2, 4), "IV–VI": (2, 3), "unknown": (1, 1)}
    pih = {g: int(_get(t, "pih", g)["n_with_event"]) for g in ["I–III", "IV–VI", "unknown"]}
    assert pih == {"I–III": 1, "IV–VI": 1, "unknown": 0}
    # light: 2 of 4 notable; one course per patient, so plain Wilson
    light = _get(t, "notable", "I–III")
    assert (light["ci_low"], light["ci_high"]) == pytest.approx(
        proportion_confint(2, 4, method="wilson"), abs=1e-12)
    # difference: 2/3 - 2/4 = 0.1667 with Newcombe's hybrid score interval (method 10)
    d = _get(t, "notable", DIFFERENCE)
    assert d["estimate"] == pytest.approx(2 / 3 - 2 / 4)
    lo, hi = confint_proportions_2indep(2, 3, 2, 4, method="newcomb", compare="diff")
    assert (d["ci_low"], d["ci_high"]) == pytest.approx((lo, hi), abs=1e-10)
    assert (d["n"], d["n_with_event"]) == (7, 4)  # the unknown-type course is left out
    assert "IV–VI minus I–III" in d["method"]


def test_types_without_courses_and_difference_without_a_group():
    log = make_log([session("P1", "a", "2024-01-01", fitzpatrick="II"),
                    session("P2", "b", "2024-01-01", fitzpatrick="II")],
                   events=[event("a", "pih", last_contact=300.0)])
    t = skin_type(build_courses(log)).table
    iv = _get(t, "notable", "IV")
    assert iv["n"] == 0 and np.isnan(iv["estimate"]) and iv["method"] == "no courses"
    d = _get(t, "notable", DIFFERENCE)
    assert np.isnan(d["estimate"]) and "no courses of types IV–VI" in d["method"]


def test_clustered_when_patients_have_several_courses():
    # P1 and P2 have two courses each (acne scars and wrinkles); all type V or II
    sessions = []
    for p, ftype in [("P1", "V"), ("P2", "V"), ("P3", "II"), ("P4", "II"), ("P5", "II")]:
        sessions.append(session(p, f"{p}a", "2024-01-01", fitzpatrick=ftype))
        if p in ("P1", "P2"):
            sessions.append(session(p, f"{p}w", "2024-01-05", "wrinkles", fitzpatrick=ftype))
    events = [event("P1a", "pih", last_contact=400.0), event("P1w", "pih", last_contact=400.0)]
    t = skin_type(build_courses(make_log(sessions, events=events))).table
    dark = _get(t, "notable", "IV–VI")
    # 4 courses of 2 patients, 2 with PIH (both P1's)
    assert (dark["n"], dark["n_patients"], dark["n_with_event"]) == (4, 2, 2)
    assert "4 courses from 2 patients" in dark["method"]
    d = _get(t, "notable", DIFFERENCE)
    assert d["estimate"] == pytest.approx(0.5)
    assert "cluster-adjusted" in d["method"]


def test_recovers_simulated_risk_difference():
    # PIH per course: 0.02 for types I–III, 0.08 for IV–VI: true difference 0.06
    courses = build_courses(simulate_log(6000, seed=21, pih_light=0.02, pih_dark=0.08))
    t = skin_type(courses).table
    for outcome in ("notable", "pih"):  # every notable event is a PIH in this simulation
        d = _get(t, outcome, DIFFERENCE)
        assert d["ci_low"] < 0.06 < d["ci_high"]
        assert abs(d["estimate"] - 0.06) < 0.015
        assert _get(t, outcome, "I–III")["ci_low"] < 0.02 < _get(t, outcome, "I–III")["ci_high"]
        assert _get(t, outcome, "IV–VI")["ci_low"] < 0.08 < _get(t, outcome, "IV–VI")["ci_high"]
    # the unknown-type courses are counted apart, with every course in exactly one row
    n = t[(t["outcome"] == "pih") & (t["level"].isin(["group", "unknown"]))]["n"].sum()
    assert n == len(courses.courses)


def test_recovers_the_package_simulator_truth(tmp_path):
    # SimulationParams().truth()["safe-all-skin-types"]: the exact risk difference of a course
    # with a notable event, IV-VI minus I-III (0.0699 with the defaults)
    write_bundle(simulate(4000, 3), tmp_path, format="parquet")
    t = skin_type(build_courses(load_bundle(tmp_path))).table
    truth = SimulationParams().truth()["safe-all-skin-types"]
    d = _get(t, "notable", DIFFERENCE)
    assert d["ci_low"] < truth < d["ci_high"]
    assert d["n_patients"] < d["n"]  # patients with two conditions give two courses


def test_matches_plain_pandas():
    courses = build_courses(simulate_log(1500, seed=4))
    t = skin_type(courses).table
    c = courses.courses
    ref = c.assign(ft=c["fitzpatrick"].astype(object).fillna("unknown")).groupby("ft").agg(
        n=("notable", "size"), x=("notable", "sum"), g=("patient_id", "nunique"))
    for ftype, r in ref.iterrows():
        got = _get(t, "notable", ftype)
        assert (got["n"], got["n_with_event"], got["n_patients"]) == (r["n"], r["x"], r["g"])


def test_errors_and_input_untouched(worked):
    before = copy.deepcopy(worked.courses)
    with pytest.raises(AnalysisError, match="not course columns"):
        skin_type(worked, outcomes=("bleeding",))
    skin_type(worked)
    pd.testing.assert_frame_equal(worked.courses, before)


def test_forest_plot(worked):
    result = skin_type(worked)
    ax = result.plot(outcome="notable", threshold=0.05)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("Type I ") and labels[-1].startswith("Difference IV–VI")
    assert "share of courses" in ax.get_xlabel()
    assert any("at most 0.05" in t.get_text() for t in ax.texts)
    # one interval line per row with a finite interval
    assert len([ln for ln in ax.lines if len(ln.get_xdata()) == 2]) >= 9
    with pytest.raises(AnalysisError, match="outcome"):
        result.plot(outcome="bleeding")
    assert result.difference("pih")["group"] == DIFFERENCE


def test_no_adverse_events_table_gives_no_share_and_says_why():
    from dataclasses import replace

    from outcomes.courses import NO_EVENTS_TABLE

    s = [session("P1", "s1", "2024-01-01", fitzpatrick="II"),
         session("P2", "s2", "2024-01-01", fitzpatrick="V")]
    courses = build_courses(replace(make_log(s), missing_tables=("adverse_events",)))
    t = skin_type(courses).table
    assert t["estimate"].isna().all() and t["ci_low"].isna().all()
    known = t[t["n"] > 0]
    assert len(known) and (known["method"] == NO_EVENTS_TABLE).all()
    assert NO_EVENTS_TABLE in skin_type(courses).notes
