"""Improvement per session and side-effect rate by spacing bin, against independent references.

References: a hand-worked example (arithmetic in the comments), plain pandas (its own binning
with ``pd.cut``) and a simulation whose per-session gain depends on the spacing bin
(tests/reference/safety_simulate.py).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tests.factories import assessment, event, make_log, session
from tests.reference.safety_simulate import DEFAULT_GAINS, simulate_log

from outcomes import AnalysisError, build_courses, spacing
from outcomes.stats.spacing import GAIN, RATE, SPACING_COLUMNS


@pytest.fixture
def worked():
    """Four acne-scar courses (professional), Goodman-Baron quantitative, baseline 40 (best 0).

    improvement = (40 - score) / 40
    P1: sessions 1 Jan, 11 Jan (spacing 10), 10 Feb (spacing 30)
        after s1 (10 Jan) 30 -> 0.25; after s2 (1 Feb) 26 -> 0.35; end (1 Mar) 16 -> 0.60
        gains: s2 0.35 - 0.25 = 0.10 (< 14 d); s3 0.60 - 0.35 = 0.25 (21-31 d)
    P2: sessions 1 Jan, 13 Jan (12): after s1 36 -> 0.10; end 30 -> 0.25; gain s2 0.15 (< 14)
    P3: sessions 1 Jan, 26 Jan (25): after s1 36 -> 0.10; end 24 -> 0.40; gain s2 0.30 (21-31)
    P4: sessions 1 Jan, 5 Jan (4): no assessment after s1, so no gain; erythema after s2
    P1 also has an erythema after s3.
    """
    sessions, assessments = [], []
    plan = {
        "P1": (["2024-01-01", "2024-01-11", "2024-02-10"],
               [("2024-01-10", 30), ("2024-02-01", 26), ("2024-03-01", 16)]),
        "P2": (["2024-01-01", "2024-01-13"], [("2024-01-12", 36), ("2024-02-01", 30)]),
        "P3": (["2024-01-01", "2024-01-26"], [("2024-01-20", 36), ("2024-02-20", 24)]),
        "P4": (["2024-01-01", "2024-01-05"], [("2024-02-01", 30)]),
    }
    for pid, (dates, scores) in plan.items():
        for k, d in enumerate(dates, start=1):
            sessions.append(session(pid, f"{pid}s{k}", d))
        assessments.append(assessment(pid, "2024-01-01", 40))
        assessments += [assessment(pid, d, score) for d, score in scores]
    events = [event("P4s2", resolved=20.0), event("P1s3", "oedema", "moderate", resolved=40.0)]
    return build_courses(make_log(sessions, assessments, events))


def _get(table, measure, spacing_bin, **where):
    m = (table["measure"] == measure) & (table["spacing_bin"].astype(str) == spacing_bin)
    for k, v in where.items():
        m &= table[k].astype(str) == v
    rows = table[m]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_hand_worked(worked):
    t = spacing(worked, by=()).table
    assert list(t.columns) == ["spacing_bin", *SPACING_COLUMNS]
    g = _get(t, GAIN, "< 14")
    # gains 0.10 (P1) and 0.15 (P2): mean 0.125; one session per patient, so Student t on
    # 1 df: sd = 0.035355, se = 0.025, t(0.975, 1) = 12.706 -> 0.125 +/- 0.31765
    assert g["estimate"] == pytest.approx(0.125)
    half = stats.t.ppf(0.975, 1) * 0.025
    assert (g["ci_low"], g["ci_high"]) == pytest.approx((0.125 - half, 0.125 + half))
    assert (g["n"], g["n_patients"]) == (2, 2)
    assert pd.isna(g["n_with_event"])
    g = _get(t, GAIN, "21–31")
    assert g["estimate"] == pytest.approx(0.275)  # (0.25 + 0.30) / 2
    # rates: sessions 2 onwards. < 14: P1s2, P2s2, P4s2 (erythema) -> 1/3;
    # 21-31: P1s3 (oedema), P3s2 -> 1/2
    r = _get(t, RATE, "< 14")
    assert (r["n"], r["n_with_event"], r["estimate"]) == (3, 1, pytest.approx(1 / 3))
    r = _get(t, RATE, "21–31")
    assert (r["n"], r["n_with_event"], r["estimate"]) == (2, 1, 0.5)
    assert set(t["spacing_bin"].astype(str)) == {"< 14", "21–31"}  # empty bins left out
    # notable only: the moderate oedema
    t = spacing(worked, by=(), events="notable").table
    assert _get(t, RATE, "21–31")["n_with_event"] == 1
    assert _get(t, RATE, "< 14")["n_with_event"] == 0


def test_groups_and_custom_bins(worked):
    t = spacing(worked).table
    assert list(t.columns[:3]) == ["spacing_bin", "condition", "setting"]
    assert _get(t, GAIN, "< 14", condition="acne_scars", setting="professional")["n"] == 2
    t = spacing(worked, bins=(20,), by=()).table
    assert t["spacing_bin"].cat.categories.tolist() == ["< 20", "> 19"]
    # gains: < 20: 0.10, 0.15; >= 20: 0.25, 0.30
    assert _get(t, GAIN, "> 19")["estimate"] == pytest.approx(0.275)
    with pytest.raises(AnalysisError, match="bins"):
        spacing(worked, bins=(30, 14))
    with pytest.raises(AnalysisError, match="not columns of courses.sessions"):
        spacing(worked, by="colour")
    with pytest.raises(AnalysisError, match="not event types"):
        spacing(worked, events="redness")


def test_matches_plain_pandas():
    courses = build_courses(simulate_log(1500, seed=8))
    t = spacing(courses, by=("setting",), events="erythema").table
    # gains: improvement(k) - improvement(k-1) within a course, consecutive k only
    d = courses.dose.sort_values(["course_id", "after_session"])
    prev = d.groupby("course_id")[["after_session", "improvement"]].shift(1)
    d = d.assign(gain=d["improvement"] - prev["improvement"])
    d = d[(prev["after_session"] == d["after_session"] - 1) & d["gain"].notna()]
    s = courses.sessions
    edges = [-np.inf, 14, 21, 32, 46, 91, np.inf]
    s = s.assign(bin=pd.cut(s["spacing_days"], edges, right=False).cat.codes)
    gains = d.merge(s, left_on=["course_id", "after_session"],
                    right_on=["course_id", "session_number"])
    ref = gains.groupby(["bin", gains["setting"].astype(str)])["gain"].agg(["mean", "size"])
    got = t[t["measure"] == GAIN]
    got = got.assign(bin=got["spacing_bin"].cat.codes, setting=got["setting"].astype(str))
    got = got.set_index(["bin", "setting"]).sort_index()
    np.testing.assert_allclose(got["estimate"], ref.loc[got.index, "mean"])
    np.testing.assert_array_equal(got["n"], ref.loc[got.index, "size"])
    # rates among sessions 2 onwards
    spaced = s[s["session_number"] >= 2]
    had = spaced["session_id"].isin(
        courses.events.loc[courses.events["event"] == "erythema", "session_id"])
    ref = had.groupby([spaced["bin"], spaced["setting"].astype(str)]).agg(["mean", "size"])
    got = t[t["measure"] == RATE]
    got = got.assign(bin=got["spacing_bin"].cat.codes, setting=got["setting"].astype(str))
    got = got.set_index(["bin", "setting"]).sort_index()
    np.testing.assert_allclose(got["estimate"], ref.loc[got.index, "mean"])
    np.testing.assert_array_equal(got["n"], ref.loc[got.index, "size"])


def test_recovers_simulated_gain_by_bin():
    # true mean gain per session by bin (< 14 ... > 90): 0.02, 0.04, 0.08, 0.06, 0.03, 0.01
    courses = build_courses(simulate_log(3000, seed=9))
    t = spacing(courses, by=()).table
    gains = t[t["measure"] == GAIN].reset_index(drop=True)
    assert len(gains) == 6
    for row, truth in zip(gains.itertuples(), DEFAULT_GAINS, strict=True):
        assert row.ci_low < truth < row.ci_high
        assert "CR2 standard error" in row.method and row.n_patients < row.n
    # the erythema risk does not depend on spacing (0.4 on average in every bin)
    rates = t[t["measure"] == RATE]
    assert ((rates["ci_low"] < 0.4 + 0.02) & (rates["ci_high"] > 0.4 - 0.02)).all()


def test_input_untouched_and_heatmap(worked):
    before = copy.deepcopy(worked)
    result = spacing(worked)
    for name in ("sessions", "courses", "points", "events", "dose"):
        pd.testing.assert_frame_equal(getattr(worked, name), getattr(before, name))
    ax = result.plot(measure=GAIN)
    assert ax.get_xlabel() == "days since the previous session of the course"
    assert [x.get_text() for x in ax.get_xticklabels()] == ["< 14", "14–20", "21–31", "32–45",
                                                            "46–90", "> 90"]
    cells = [t.get_text() for t in ax.texts]
    assert any("n = 2" in c for c in cells)
    ax = result.plot(measure=RATE)
    assert "share of sessions" in ax.get_title()
    with pytest.raises(AnalysisError, match="measure"):
        result.plot(measure="pain")
    assert math.isfinite(result.table["estimate"].iloc[0])


def test_a_measure_without_rows_draws_a_labelled_empty_panel():
    """One-session courses have no spacing; courses never assessed have no gain: the heat map
    says why (the report used to stop on "measure 'improvement_gain' has no rows")."""
    courses = build_courses(make_log([session("P1", "s1", "2024-01-01"),
                                      session("P1", "s2", "2024-01-20")]))
    result = spacing(courses)
    assert set(result.table["measure"]) == {RATE}
    ax = result.plot(measure=GAIN)
    assert any("not enough data" in t.get_text() and "assessed improvement" in t.get_text()
               for t in ax.texts)
    single = spacing(build_courses(make_log([session("P1", "s1", "2024-01-01")])))
    assert single.table.empty
    for measure in (GAIN, RATE):
        assert single.plot(measure=measure).texts
    with pytest.raises(AnalysisError, match="measure"):
        single.plot(measure="pain")


def test_no_adverse_events_table_gives_no_side_effect_rate():
    from dataclasses import replace

    from outcomes.courses import NO_EVENTS_TABLE

    log = replace(make_log([session("P1", "s1", "2024-01-01"),
                            session("P1", "s2", "2024-01-20")]),
                  missing_tables=("adverse_events",))
    result = spacing(build_courses(log))
    assert RATE not in set(result.table["measure"]) and NO_EVENTS_TABLE in result.notes
    ax = result.plot(measure=RATE)
    assert any(NO_EVENTS_TABLE in t.get_text() for t in ax.texts)
