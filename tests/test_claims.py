"""Claims evaluation on hand-made bundles: every estimand key worked out by hand.

One small bundle (five patients, seven courses, nineteen sessions) exercises every estimand key
of the catalogue; each expected number is worked out in the comments from the definitions of
the design notes (claims.md, "Words used below"). Then: the JSON output, the conflicts table,
``conditions=`` filtering, the same bundle read from CSV and from a workbook, and that the input
is left as it was.
"""

from __future__ import annotations

import copy
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tests.factories import assessment, event, make_log, session

from outcomes.analysis import conflicts_table
from outcomes.audit.adherence import adherence
from outcomes.bundle.load import load_bundle
from outcomes.bundle.write import write_bundle
from outcomes.claims.catalogue import load_catalogue
from outcomes.claims.evaluate import ESTIMATORS, evaluate_claim, evaluate_claims
from outcomes.claims.model import Source
from outcomes.claims.registry import ESTIMANDS
from outcomes.claims.result import CLAIM_COLUMNS, SHORT_COLUMNS, ClaimsResult, estimate_text
from outcomes.claims.sensitivity import FAMILYWISE, familywise_alpha
from outcomes.errors import AnalysisError
from outcomes.output.safety import neutralise_formulas
from outcomes.simulate.draw import simulate

GB, WS = "goodman_baron_quantitative", "wrinkle_severity"
A, W = "acne_scars", "wrinkles"
PRO, HOME = "professional", "home"
ANTICOAG, ALCOHOL, ALCOHOL_DISORDER = (
    "anticoagulants", "alcohol_frequent", "alcohol_frequent;bleeding_disorder")


def worked_log():
    """The worked bundle. Fitzpatrick: P1 II, P2 V, P3 IV, P4 II, P5 V.

    Courses (sessions, K):
      P1 acne scars, professional:  S1 10 Jan, S2 10 Feb, S3 10 Mar 2024         K = 3
      P1 wrinkles, professional:    S11 12 Jan, S12 12 Feb, S13 12 Mar, S14 12 Apr K = 4
      P2 acne scars, home:          S4 15 Jan, S5 29 Jan                           K = 2
      P2 wrinkles, home:            S15 5 Jan, S16 5 Feb, S17 5 Mar                K = 3
      P3 acne scars, professional:  S6 1 Feb                                       K = 1
      P4 acne scars, professional:  S7 1 Mar, S8 1 Apr, S9 1 May, S10 1 Jun         K = 4
      P5 wrinkles, home:            S18 1 Feb, S19 1 Mar                           K = 2
    P2 takes anticoagulants, P4 drinks alcohol frequently, P5 both drinks and has a bleeding
    disorder (listed at every session of theirs).
    """
    p1 = dict(fitzpatrick="II")
    p2 = dict(fitzpatrick="V", contraindications=ANTICOAG)
    p3 = dict(fitzpatrick="IV")
    p4 = dict(fitzpatrick="II", contraindications=ALCOHOL)
    p5 = dict(fitzpatrick="V", contraindications=ALCOHOL_DISORDER)
    sessions = [
        session("P1", "S1", "2024-01-10", A, PRO, pain_vas=2, duration_min=30, **p1),
        session("P1", "S2", "2024-02-10", A, PRO, pain_vas=4, duration_min=40, **p1),
        session("P1", "S3", "2024-03-10", A, PRO, pain_vas=3, duration_min=50, **p1),
        session("P1", "S11", "2024-01-12", W, PRO, **p1),
        session("P1", "S12", "2024-02-12", W, PRO, **p1),
        session("P1", "S13", "2024-03-12", W, PRO, **p1),
        session("P1", "S14", "2024-04-12", W, PRO, **p1),
        session("P2", "S4", "2024-01-15", A, HOME, pain_vas=6, duration_min=20, **p2),
        session("P2", "S5", "2024-01-29", A, HOME, pain_vas=5, **p2),
        session("P2", "S15", "2024-01-05", W, HOME, **p2),
        session("P2", "S16", "2024-02-05", W, HOME, **p2),
        session("P2", "S17", "2024-03-05", W, HOME, **p2),
        session("P3", "S6", "2024-02-01", A, PRO, pain_vas=1, duration_min=35, **p3),
        session("P4", "S7", "2024-03-01", A, PRO, pain_vas=0, **p4),
        session("P4", "S8", "2024-04-01", A, PRO, **p4),
        session("P4", "S9", "2024-05-01", A, PRO, **p4),
        session("P4", "S10", "2024-06-01", A, PRO, **p4),
        session("P5", "S18", "2024-02-01", W, HOME, **p5),
        session("P5", "S19", "2024-03-01", W, HOME, **p5),
    ]
    assessments = [
        # P1 acne scars (Goodman & Baron quantitative, 0-84, lower better; best 0)
        assessment("P1", "2024-01-05", 40),  # before the first session, but not the latest
        assessment("P1", "2024-01-10", 42),  # on the first session's date: baseline 42
        assessment("P1", "2024-01-20", 30),  # after S1, but not the latest before S2
        assessment("P1", "2024-02-10", 28),  # on S2's date: after session 1 -> 14/42 = 0.3333
        assessment("P1", "2024-03-01", 20),  # after session 2 -> 22/42 = 0.5238 (major)
        assessment("P1", "2024-04-01", 15),  # S3 + 22 days: end of treatment -> 27/42 = 0.6429
        assessment("P1", "2024-04-20", 10),  # a later end candidate: not the first
        assessment("P1", "2024-06-01", 8),   # S3 + 83 days: follow-up, not the latest
        assessment("P1", "2024-08-01", 6),   # follow-up -> 36/42 = 0.8571 (final)
        # P2 acne scars: baseline 30 on the first session's date
        assessment("P2", "2024-01-15", 30),
        assessment("P2", "2024-01-29", 27),  # after session 1 -> 3/30 = 0.10 (visible)
        assessment("P2", "2024-02-20", 24),  # end -> 6/30 = 0.2 (final)
        # P3 acne scars, one session: baseline 20
        assessment("P3", "2024-01-25", 20),
        assessment("P3", "2024-03-01", 9),   # end (after session 1 = K) -> 11/20 = 0.55
        assessment("P3", "2024-05-01", 8),   # S6 + 90 days: follow-up -> 12/20 = 0.6 (final)
        # P4 acne scars: baseline 50
        assessment("P4", "2024-03-01", 50),
        assessment("P4", "2024-03-20", 48),  # after session 1 -> 2/50 = 0.04
        assessment("P4", "2024-05-20", 30),  # after session 3 -> 20/50 = 0.4
        assessment("P4", "2024-08-15", 20),  # S10 + 75 days: follow-up -> 30/50 = 0.6 (final)
        # P1 wrinkles (wrinkle severity 1-9, lower better; best 1): baseline 7, room 6
        assessment("P1", "2024-01-12", 7, W, WS),
        assessment("P1", "2024-02-01", 7, W, WS),  # after session 1 -> 0
        assessment("P1", "2024-04-10", 5, W, WS),  # after session 3 -> 2/6 = 0.3333
        assessment("P1", "2024-05-01", 4, W, WS),  # end -> 3/6 = 0.5 (final)
        # P2 wrinkles: baseline 5, room 4
        assessment("P2", "2024-01-01", 5, W, WS),
        assessment("P2", "2024-03-20", 4, W, WS),  # end, after session 3 = K -> 1/4 = 0.25
        # P5 wrinkles: baseline 9, room 8
        assessment("P5", "2024-02-01", 9, W, WS),
        assessment("P5", "2024-02-20", 8, W, WS),  # after session 1 -> 1/8 = 0.125
        assessment("P5", "2024-03-15", 9, W, WS),  # end -> 0 (final)
    ]
    events = [
        # erythema: resolved at 20, 30, 40, 50, 72 h; censored at 24 and 60 h
        event("S1", "erythema", resolved=20),
        event("S2", "erythema", resolved=30),
        event("S4", "erythema", last_contact=24),
        event("S6", "erythema", resolved=50),
        event("S7", "erythema", resolved=40),
        event("S11", "erythema", last_contact=60),
        event("S15", "erythema", resolved=72),
        event("S3", "oedema", resolved=100),
        event("S8", "pain", resolved=2),
        # scabbing: resolved at 30, 60, 80 h; censored at 48 h
        event("S5", "scabbing", resolved=80, onset=12),
        event("S9", "scabbing", resolved=30, onset=12),
        event("S16", "scabbing", last_contact=48, onset=12),
        event("S18", "scabbing", resolved=60, onset=12),
        # notable: pih (any severity) in P1's wrinkles course, a severe itch in P3's course,
        # an infection in P5's course
        event("S12", "pih", last_contact=336, onset=120),
        event("S6", "itching", "severe", resolved=48, onset=12),
        event("S19", "infection", resolved=200, onset=48),
        # bleeding or bruising: S4 (P2), S17 (P2), S18 (P5) flagged; S10 (P4) not
        event("S4", "bleeding", resolved=1),
        event("S17", "bruising", resolved=100, onset=2),
        event("S18", "bleeding", resolved=1),
        event("S10", "bruising", resolved=120, onset=2),
    ]
    return make_log(sessions, assessments, events)


@pytest.fixture(scope="module")
def worked():
    return evaluate_claims(worked_log())


@pytest.fixture(scope="module")
def table(worked):
    return worked.table.set_index("id")


def crude(result, claim_id):
    """The crude estimate of a comparative claim (its row rests on the adjusted one)."""
    c = result.comparisons
    return c[(c["id"] == claim_id) & (c["basis"] == "crude")].iloc[0]


def test_comparative_rows_rest_on_the_adjusted_estimate(worked, table):
    c = worked.comparisons
    for claim_id in ("safe-all-skin-types", "professional-beats-home", "alcohol-reduces-effect",
                     "bleeding-risk-anticoagulants"):
        rows = c[c["id"] == claim_id].set_index("basis")
        assert {"crude", "adjusted"} <= set(rows.index)
        r = table.loc[claim_id]
        assert r["basis"].startswith("adjusted")
        assert r["estimate"] == rows.loc["adjusted", "estimate"]
        assert r["details"]["crude"] == estimate_text(*rows.loc["crude", ["estimate", "ci_low",
                                                                          "ci_high"]])
        # 5 patients: too few in each group for a verdict, whatever the interval
        assert r["verdict"] == "inconclusive" and "at least 10 are needed" in r["reason"]
    for claim_id in ("professional-beats-home", "alcohol-reduces-effect"):
        rows = c[c["id"] == claim_id].set_index("basis")
        assert rows.loc["equal_sessions", "basis_words"].startswith(
            "at an equal number of sessions (a mediator, not a confounder)")


# ------------------------------------------------------------------ one test per estimand key
def test_every_estimand_key_has_an_estimator_and_a_test():
    assert set(ESTIMATORS) == set(ESTIMANDS)
    tested = {"km_median_sessions_to_band", "share_band_after_session", "km_share_resolved_by",
              "risk_difference_notable", "risk_ratio_events", "mean_final_improvement",
              "mean_final_improvement_difference", "mean_followup_minus_end",
              "mean_session_value", "median_session_value"}
    assert tested == set(ESTIMANDS)


def test_km_median_sessions_to_band(table, worked):
    # Sessions to the first improvement >= 0.50 (follow-up and end count as after session K):
    #   P1 after session 2 (0.5238): event at 2;  P2 never (0.10, 0.2): censored at 2;
    #   P3 end of its one session (0.55): event at 1;  P4 follow-up after session 4 (0.6): 4.
    # KM: S(1) = 1 - 1/4 = 0.75; at 2, 3 at risk, 1 event (P2 censored): S(2) = 0.75 * 2/3 = 0.5;
    # S(4) = 0. Median: the first time with S <= 0.5 -> 2.
    r = table.loc["acne-scars-4-6-sessions"]
    assert r["estimate"] == 2
    assert (r["n"], r["n_patients"]) == (4, 4)
    assert r["details"] == {"courses_reaching_band": 3}
    km = worked.tables()["acne-scars-4-6-sessions"]
    assert km["time"].tolist() == [1.0, 2.0, 4.0]
    assert km["survival"].tolist() == pytest.approx([0.75, 0.5, 0.0])
    # 4 courses < min_units 10: no verdict, and the reason says so in courses
    assert r["verdict"] == "inconclusive"
    assert r["reason"] == "only 4 courses; a verdict needs at least 10"


def test_share_band_after_session_one(table):
    # Courses with an assessment after session 1 (a one-session course: its end of treatment):
    #   P1 acne 0.3333 yes, P2 acne 0.10 yes (0.10 counts as visible), P3 acne 0.55 yes,
    #   P4 acne 0.04 no, P1 wrinkles 0 no, P5 wrinkles 0.125 yes; P2 wrinkles has none.
    # Share 4/6; 6 courses of 5 patients (P1 twice).
    r = table.loc["single-session-visible"]
    assert r["estimate"] == pytest.approx(4 / 6)
    assert (r["n"], r["n_patients"]) == (6, 5)
    mean = (14 / 42 + 0.1 + 0.55 + 0.04 + 0 + 0.125) / 6
    assert r["details"]["mean_improvement"] == pytest.approx(mean)


def test_share_band_after_session_three_of_wrinkles(table):
    # Wrinkle courses with an assessment after session 3: P1 (after session 3 of 4: 0.3333) and
    # P2 (end of treatment, K = 3: 0.25, counted as considerable); P5 has 2 sessions. Share 2/2.
    r = table.loc["few-sessions-reduce-wrinkles"]
    assert r["estimate"] == 1.0
    assert (r["n"], r["n_patients"]) == (2, 2)


def test_km_share_resolved_by_48h_with_censoring(table):
    # Erythema: 20, 24+, 30, 40, 50, 60+, 72 (+ censored). KM:
    #   20: 7 at risk -> 6/7;  30: 5 at risk -> 6/7 * 4/5 = 24/35;  40: 4 -> 18/35;
    #   50: 3 -> 12/35;  72: 1 -> 0.
    # Resolved by 48 h: 1 - 18/35 = 17/35 = 0.4857 (a plain count would say 4/7 or 4/5).
    # By 24 h: 1 - 6/7 = 1/7. Median: the first time with S <= 0.5 -> 50 h.
    r = table.loc["redness-24-48h"]
    assert r["estimate"] == pytest.approx(17 / 35)
    assert (r["n"], r["n_patients"]) == (7, 4)  # P1 (S1, S2, S11), P2 (S4, S15), P3, P4
    assert r["details"]["censored"] == 2
    assert r["details"]["resolved_by_24h"].startswith("0.143 (95% CI")
    assert r["details"]["median_hours"].startswith("50 (95% CI")


def test_km_share_resolved_by_72h_pooled(table):
    # Erythema, oedema and pain pooled: 2 (pain), 20, 24+, 30, 40, 50, 60+, 72, 100 (oedema).
    #   2: 9 at risk -> 8/9;  20: 8 -> 7/9;  30: 6 -> 7/9 * 5/6 = 35/54;  40: 5 -> 28/54;
    #   50: 4 -> 21/54 = 7/18;  72: 2 at risk -> 7/36.  Resolved by 72 h: 29/36.
    r = table.loc["side-effects-few-days"]
    assert r["estimate"] == pytest.approx(29 / 36)
    assert r["n"] == 9


def test_km_share_resolved_by_72h_scabs(table):
    # Scabbing: 30, 48+, 60, 80.  30: 4 at risk -> 3/4;  60: 2 at risk -> 3/8;  80: 0.
    # Resolved by 72 h: 5/8. Units 4 events of P2 (2), P4, P5.
    r = table.loc["scabs-few-days"]
    assert r["estimate"] == pytest.approx(5 / 8)
    assert (r["n"], r["n_patients"]) == (4, 3)


def test_risk_difference_notable(table, worked):
    # Courses with a notable event: P1 wrinkles (pih), P3 acne (severe itch), P5 wrinkles
    # (infection). IV-VI: P2 acne 0, P2 wrinkles 0, P3 acne 1, P5 wrinkles 1 -> 2/4 = 0.5.
    # I-III: P1 acne 0, P1 wrinkles 1, P4 acne 0 -> 1/3. Difference 0.5 - 1/3 = 1/6.
    r = table.loc["safe-all-skin-types"]
    assert crude(worked, "safe-all-skin-types")["estimate"] == pytest.approx(1 / 6)
    assert (r["n"], r["n_patients"]) == (7, 5)
    assert r["details"]["groups"] == "IV/V/VI minus I/II/III"
    # beside it, the share per type: II 1/3, IV 1/1, V 1/3
    by_type = worked.tables()["safe-all-skin-types"].set_index("fitzpatrick")
    assert by_type["estimate"].to_dict() == pytest.approx({"II": 1 / 3, "IV": 1.0, "V": 1 / 3})
    assert by_type["n"].to_dict() == {"II": 3, "IV": 1, "V": 3}


def test_risk_ratio_events(table, worked):
    # Flagged sessions (anticoagulants or bleeding disorder): P2's 5 and P5's 2 = 7, with a
    # bleeding or bruising event after S4, S17, S18 -> 3/7. The other 12 sessions: S10 -> 1/12.
    # Risk ratio (3/7) / (1/12) = 36/7.
    r = table.loc["bleeding-risk-anticoagulants"]
    c = crude(worked, "bleeding-risk-anticoagulants")
    assert c["estimate"] == pytest.approx(36 / 7)
    assert c["ci_low"] < c["estimate"] < c["ci_high"]
    assert (r["n"], r["n_patients"]) == (19, 5)
    assert r["details"]["share_exposed"] == pytest.approx(3 / 7)
    assert r["details"]["share_reference"] == pytest.approx(1 / 12)
    assert r["details"]["sessions_exposed"] == 7
    # P2 and P5 flagged, 3 other patients: too few of either
    assert r["reason"] == ("2 flagged patients; at least 10 are needed; 3 unflagged patients; "
                           "at least 10 are needed; 1.5 flagged sessions expected to be "
                           "followed by bleeding/bruising at the overall rate; at least 5 are "
                           "needed; 4 sessions followed by bleeding/bruising; at least 5 are "
                           "needed")


def test_mean_final_improvement(table):
    # Final = follow-up, else end of treatment, else the latest after a session:
    #   acne scars: P1 36/42 (follow-up), P2 0.2 (end), P3 0.6 (follow-up), P4 0.6 (follow-up;
    #   it has no end of treatment) -> mean (36/42 + 1.4) / 4 = 0.5643
    #   wrinkles: P1 0.5, P2 0.25, P5 0 (ends) -> 0.25
    acne = table.loc["effective-acne_scars"]
    assert acne["estimate"] == pytest.approx((36 / 42 + 0.2 + 0.6 + 0.6) / 4)
    assert (acne["n"], acne["n_patients"]) == (4, 4)
    assert table.loc["effective-wrinkles", "estimate"] == pytest.approx(0.25)
    # one unit per patient: the plain Student t interval, mean +/- t(3) s / sqrt(4)
    y = np.array([36 / 42, 0.2, 0.6, 0.6])
    half = stats.t.ppf(0.975, 3) * y.std(ddof=1) / 2
    assert acne["ci_low"] == pytest.approx(y.mean() - half)
    assert acne["ci_high"] == pytest.approx(y.mean() + half)


def test_condition_without_courses_is_not_testable(table):
    for cond in ("surgical_scars", "hyperpigmentation", "stretch_marks", "alopecia", "rosacea",
                 "skin_laxity", "enlarged_pores"):
        r = table.loc[f"effective-{cond}"]
        assert r["verdict"] == "not_testable"
        assert r["reason"] == f"no courses of {cond} with a final improvement"
        assert math.isnan(r["estimate"]) and r["n"] == 0


def test_mean_final_improvement_difference_by_setting(table, worked):
    # professional: P1 acne 36/42, P3 0.6, P4 0.6, P1 wrinkles 0.5 -> 2.5571/4 = 0.6393
    # home: P2 acne 0.2, P2 wrinkles 0.25, P5 wrinkles 0 -> 0.15. Difference 0.4893.
    r = table.loc["professional-beats-home"]
    pro = (36 / 42 + 0.6 + 0.6 + 0.5) / 4
    assert crude(worked, "professional-beats-home")["estimate"] == pytest.approx(pro - 0.15)
    assert (r["n"], r["n_patients"]) == (7, 5)
    assert r["details"]["mean_exposed"] == pytest.approx(pro)
    assert r["details"]["mean_reference"] == pytest.approx(0.15)


def test_mean_final_improvement_difference_by_flag(table, worked):
    # flagged alcohol_frequent: P4 acne 0.6, P5 wrinkles 0 -> 0.3; the rest: P1 acne 36/42,
    # P2 acne 0.2, P3 0.6, P1 wrinkles 0.5, P2 wrinkles 0.25 -> 2.4071/5 = 0.4814.
    r = table.loc["alcohol-reduces-effect"]
    rest = (36 / 42 + 0.2 + 0.6 + 0.5 + 0.25) / 5
    assert crude(worked, "alcohol-reduces-effect")["estimate"] == pytest.approx(0.3 - rest)
    assert r["n"] == 7
    assert r["details"]["groups"] == "alcohol_frequent minus the rest"


def test_mean_followup_minus_end(table):
    # courses with both: P1 acne 36/42 - 27/42 = 9/42; P3 0.6 - 0.55 = 0.05 -> mean 0.1321.
    # (P4 has a follow-up but no end of treatment; the wrinkle courses have no follow-up.)
    r = table.loc["full-results-take-months"]
    assert r["estimate"] == pytest.approx((9 / 42 + 0.05) / 2)
    assert (r["n"], r["n_patients"]) == (2, 2)


def test_mean_session_value_with_clustered_interval(table):
    # pain: P1 2, 4, 3; P2 6, 5; P3 1; P4 0 -> mean 21/7 = 3.
    # CR2: residuals summed per patient: P1 -1+1+0 = 0, P2 3+2 = 5, P3 -2, P4 -3 (n_g 3, 2,
    # 1, 1); V = sum e_g^2 / (1 - n_g/N) / N^2 = (25 * 7/5 + 4 * 7/6 + 9 * 7/6) / 49
    # = 50.1667 / 49 (above the floor s^2/N = 28/6/7); Bell-McCaffrey df of the intercept-only
    # model tr(P)^2 / tr(P^2) = 49 / 20.68889 = 45/19 (stats.intervals.mean, Notes).
    r = table.loc["minimal-pain"]
    assert r["estimate"] == pytest.approx(3.0)
    assert (r["n"], r["n_patients"]) == (7, 4)
    half = stats.t.ppf(0.975, 45 / 19) * math.sqrt((25 * 7 / 5 + 13 * 7 / 6) / 49)
    assert r["ci_low"] == pytest.approx(3 - half)
    assert r["ci_high"] == pytest.approx(3 + half)
    assert "cluster" in r["method"]


def test_median_session_value(table):
    # durations 30, 40, 50 (P1), 20 (P2), 35 (P3): median 35; too few to bound the interval
    for claim_id in ("session-30-60-min", "session-15-20-min"):
        r = table.loc[claim_id]
        assert r["estimate"] == 35
        assert (r["n"], r["n_patients"]) == (5, 3)
        assert (r["ci_low"], r["ci_high"]) == (-math.inf, math.inf)
        assert r["reason"] == "only 5 sessions; a verdict needs at least 10"


def test_relative_and_change_scales():
    # alopecia on hair density (log ratio, higher better): 100 -> 130 is log 1.3, 80 -> 72 is
    # log 0.9;
    # rosacea on GAIS (change scale, no baseline needed; no change 4, best 1):
    # 3 -> (4 - 3)/(4 - 1) = 1/3, 2 -> 2/3.
    log = make_log(
        [session("P6", "a1", "2024-01-10", "alopecia"), session("P7", "a2", "2024-01-10",
                                                               "alopecia"),
         session("P6", "r1", "2024-01-10", "rosacea"), session("P7", "r2", "2024-01-10",
                                                              "rosacea")],
        [assessment("P6", "2024-01-10", 100, "alopecia", "hair_density"),
         assessment("P6", "2024-02-10", 130, "alopecia", "hair_density"),
         assessment("P7", "2024-01-10", 80, "alopecia", "hair_density"),
         assessment("P7", "2024-02-10", 72, "alopecia", "hair_density"),
         assessment("P6", "2024-02-10", 3, "rosacea", "gais"),
         assessment("P7", "2024-02-10", 2, "rosacea", "gais")])
    t = evaluate_claims(log).table.set_index("id")
    assert t.loc["effective-alopecia", "estimate"] == pytest.approx(
        (math.log(1.3) + math.log(0.9)) / 2)
    assert t.loc["effective-rosacea", "estimate"] == pytest.approx(0.5)


def test_verdict_with_enough_units(tmp_path):
    # min_units = 1 lets the rule decide. Acne scars: mean 0.5643 with the Student t interval
    # 0.132 to 0.996 (see test_mean_final_improvement), all of it >= 0.10 -> supported.
    # Scabs: 5/8 with an interval from about 0.17 to 0.99 around 0.9 -> inconclusive.
    user = tmp_path / "claims.toml"
    user.write_text('[[claims]]\nid = "effective-acne_scars"\nmin_units = 1\n\n'
                    '[[claims]]\nid = "scabs-few-days"\nmin_units = 1\n', encoding="utf-8")
    t = evaluate_claims(worked_log(), catalogue=user).table.set_index("id")
    acne, scabs = t.loc["effective-acne_scars"], t.loc["scabs-few-days"]
    assert acne["ci_low"] > 0.10
    assert (acne["verdict"], acne["reason"]) == ("supported", "")
    assert scabs["ci_low"] < 0.9 < scabs["ci_high"]
    assert scabs["verdict"] == "inconclusive"
    assert scabs["reason"] == (f"the interval {scabs['ci_low']:.3g} to {scabs['ci_high']:.3g} "
                               "straddles the claim (at least 0.9)")


# ------------------------------------------------------------------ small bundles must not fail
# A bundle too small for an interval must still get a verdict for every claim (inconclusive:
# too few units), not stop the whole evaluation with an error.
SMALL_BUNDLES = {
    "one course of a condition": make_log(
        [session("P1", "S1", "2024-01-10", W)],
        [assessment("P1", "2024-01-01", 6, W, WS), assessment("P1", "2024-02-10", 4, W, WS)]),
    "one session with pain": make_log([session("P1", "S1", "2024-01-10", pain_vas=2.0)]),
    "one patient's several events": make_log(
        [session("P1", "S1", "2024-01-10"), session("P1", "S2", "2024-02-10")], [],
        [event("S1", resolved=24), event("S2", resolved=30)]),
    "a skin type from one patient's two courses": make_log(
        [session("P1", "S1", "2024-01-10", A, fitzpatrick="VI"),
         session("P1", "S2", "2024-01-11", W, fitzpatrick="VI"),
         session("P2", "S3", "2024-01-10", A, fitzpatrick="I"),
         session("P3", "S4", "2024-01-10", A, fitzpatrick="II")], [],
        [event("S1", "pih", resolved=300, onset=100)]),
    # both groups have two patients, but type VI in the per-type table comes from one patient
    "a row of the per-type table from one patient's two courses": make_log(
        [session("P1", "S1", "2024-01-10", A, fitzpatrick="VI"),
         session("P1", "S2", "2024-01-11", W, fitzpatrick="VI"),
         session("P2", "S3", "2024-01-10", A, fitzpatrick="V"),
         session("P3", "S4", "2024-01-10", A, fitzpatrick="I"),
         session("P4", "S5", "2024-01-10", A, fitzpatrick="II")], [],
        [event("S1", "pih", resolved=300, onset=100)]),
}


@pytest.mark.parametrize("name", list(SMALL_BUNDLES))
def test_too_small_for_an_interval_is_inconclusive_not_an_error(name):
    t = evaluate_claims(SMALL_BUNDLES[name]).table
    assert t["verdict"].isin(["inconclusive", "not_testable"]).all()


# ------------------------------------------------------------------ JSON, CSV, text
def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def test_json_is_an_array_of_claims_with_numbers_and_nulls(worked):
    text = worked.to_json()
    records = json.loads(text, parse_constant=_no_constants)  # no NaN / Infinity tokens
    assert isinstance(records, list)
    assert [r["id"] for r in records] == [c.id for c in load_catalogue().claims]
    by_id = {r["id"]: r for r in records}
    for r in records:
        for key in ("id", "verdict", "estimate", "ci_low", "ci_high", "n", "rule", "statement",
                    "sources", "reason"):
            assert key in r, key
        for key in ("estimate", "ci_low", "ci_high"):
            assert r[key] is None or type(r[key]) is float
        assert type(r["n"]) is int and type(r["n_patients"]) is int
        assert r["rule"] in ("range", "at_least", "at_most")
        assert r["sources"] and all(set(s) == {"document", "quote"} for s in r["sources"])
    # numbers as JSON numbers
    assert by_id["minimal-pain"]["estimate"] == pytest.approx(3.0)
    assert by_id["minimal-pain"]["n"] == 7
    assert by_id["minimal-pain"]["threshold"] == 3
    assert by_id["session-30-60-min"]["low"] == 30
    assert by_id["session-30-60-min"]["threshold"] is None
    # null where there is none: not testable
    rosacea = by_id["effective-rosacea"]
    assert (rosacea["estimate"], rosacea["ci_low"], rosacea["ci_high"]) == (None, None, None)
    assert rosacea["n"] == 0 and rosacea["verdict"] == "not_testable"
    # an unbounded interval end is null (the median of 5 durations has neither end)
    length = by_id["session-30-60-min"]
    assert length["estimate"] == 35
    assert (length["ci_low"], length["ci_high"]) == (None, None)


def test_json_median_not_reached_has_a_null_estimate_and_upper_end():
    # two acne-scar courses of different patients, neither reaching a major improvement:
    # the median is not reached, its interval runs from the last session assessed to infinity
    log = make_log(
        [session("P1", "S1", "2024-01-10"), session("P1", "S2", "2024-02-10"),
         session("P2", "S3", "2024-01-10")],
        [assessment("P1", "2024-01-01", 40), assessment("P1", "2024-02-01", 35),
         assessment("P1", "2024-03-01", 30), assessment("P2", "2024-01-01", 20),
         assessment("P2", "2024-02-01", 18)])
    result = evaluate_claims(log)
    r = {x["id"]: x for x in json.loads(result.to_json())}["acne-scars-4-6-sessions"]
    assert r["estimate"] is None and r["ci_high"] is None
    assert r["ci_low"] == 2
    assert r["ci_high_unbounded"] is True
    assert "not reached" in result.to_text()


def test_records_csv_and_text(worked, tmp_path):
    records = worked.to_records()
    assert len(records) == len(worked.table)
    assert list(worked.table.columns) == CLAIM_COLUMNS
    path = tmp_path / "claims.csv"
    neutralise_formulas(worked.flat()).to_csv(path, index=False)
    back = pd.read_csv(path)
    assert back["id"].tolist() == worked.table["id"].tolist()
    assert back["verdict"].tolist() == worked.table["verdict"].tolist()
    assert neutralise_formulas(worked.flat()).to_csv(index=False) == path.read_text(
        encoding="utf-8")
    text = worked.to_text()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert worked.counts().sum() == len(worked.table)


# ------------------------------------------------------------------ conflicts
def test_conflicts_show_every_conflict_with_each_side(worked):
    catalogue = load_catalogue()
    frame = conflicts_table(worked, adherence(worked.courses, catalogue=catalogue))
    assert list(frame.columns) == ["conflict", "topic", "side", "verdict", "estimate", "ci_low",
                                   "ci_high", "n", "note"]
    assert frame["conflict"].unique().tolist() == [c.id for c in catalogue.conflicts]
    table = worked.table.set_index("id")
    claim_ids = {c.id for c in catalogue.claims}
    for conflict in catalogue.conflicts:
        rows = frame[frame["conflict"] == conflict.id]
        assert len(rows) == len(conflict.entries)
        assert (rows["topic"] == conflict.topic).all()
        for entry, (_, row) in zip(conflict.entries, rows.iterrows(), strict=True):
            if isinstance(entry, Source):
                assert row["side"] == f'{entry.document}: "{entry.quote}"'
                assert row["verdict"] == "statement (no data can test it)"
            elif entry in claim_ids:
                assert row["side"] == entry
                assert row["verdict"] == table.loc[entry, "verdict"]
                assert row["n"] == table.loc[entry, "n"]
            else:  # a recommendation: the share of units following it, from the audit
                assert row["side"] == entry
                assert row["verdict"] == "recommendation (audited): share following it"
                adh = adherence(worked.courses, catalogue=catalogue).table.set_index(
                    "recommendation")
                assert row["n"] == adh.loc[entry, "n"]
                assert row["estimate"] == pytest.approx(adh.loc[entry, "estimate"], nan_ok=True)
    # session length: both sides are claims with what the data say
    length = frame[frame["conflict"] == "session-length"].set_index("side")
    assert length.loc["session-30-60-min", "estimate"] == 35


def test_conflicts_do_not_call_a_filtered_out_claim_a_recommendation():
    result = evaluate_claims(worked_log(), conditions=[A])
    frame = conflicts_table(result, adherence(result.courses, catalogue=result.catalogue))
    side = frame[frame["side"] == "effective-rosacea"].iloc[0]
    assert side["verdict"] == "not evaluated (outside the conditions chosen)"


# ------------------------------------------------------------------ conditions
def test_conditions_restrict_data_and_claims():
    result = evaluate_claims(worked_log(), conditions=[W])
    t = result.table.set_index("id")
    ids = set(t.index)
    assert "effective-wrinkles" in ids and "few-sessions-reduce-wrinkles" in ids
    assert "acne-scars-4-6-sessions" not in ids
    assert not any(i.startswith("effective-") and i != "effective-wrinkles" for i in ids)
    # data restricted to wrinkles: after session 1, P1 0 and P5 0.125 -> 1/2
    assert t.loc["single-session-visible", "estimate"] == pytest.approx(0.5)
    assert t.loc["single-session-visible", "n"] == 2
    # no wrinkle session records pain
    assert t.loc["minimal-pain", "verdict"] == "not_testable"
    assert t.loc["minimal-pain", "reason"] == "no sessions record pain_vas"
    # a single condition as a string works too
    same = evaluate_claims(worked_log(), conditions=W)
    pd.testing.assert_frame_equal(same.table, result.table)


def test_unknown_condition_is_named():
    with pytest.raises(AnalysisError, match="acne_scar'") as info:
        evaluate_claims(worked_log(), conditions=["acne_scar", W])
    assert "acne_scars" in str(info.value)  # the conditions it could have been


# ------------------------------------------------------------------ formats and input
@pytest.fixture(scope="module")
def small_simulated():
    return simulate(200, 11)


def _load_quietly(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_bundle(path)


def test_csv_folder_and_workbook_give_identical_json(tmp_path, small_simulated):
    tables = {name: df.copy() for name, df in small_simulated.items()}
    # The simulator's MASI baselines carry a representation error (17.900000000000002 for
    # 17.9); a CSV keeps it, a workbook cell does not. Scores as a clinic records them:
    tables["assessments"]["score"] = tables["assessments"]["score"].round(6)
    write_bundle(tables, tmp_path / "csv", format="csv")
    [workbook] = write_bundle(tables, tmp_path / "xlsx", format="xlsx")
    from_csv, from_xlsx = _load_quietly(tmp_path / "csv"), _load_quietly(workbook)
    for name in ("sessions", "assessments", "adverse_events"):
        pd.testing.assert_frame_equal(getattr(from_csv, name), getattr(from_xlsx, name))
    text = evaluate_claims(from_csv).to_json()
    assert text == evaluate_claims(from_xlsx).to_json()
    assert len(json.loads(text)) == len(load_catalogue().claims)


def test_input_is_not_modified(small_simulated, tmp_path):
    write_bundle(small_simulated, tmp_path, format="csv")
    log = _load_quietly(tmp_path)
    before = {name: copy.deepcopy(getattr(log, name))
              for name in ("sessions", "assessments", "adverse_events")}
    result = evaluate_claims(log)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(log, name), frame)
    # and evaluating again (reusing the courses) gives the same table
    again = evaluate_claims(log, courses=result.courses)
    pd.testing.assert_frame_equal(again.table, result.table)
    assert isinstance(result, ClaimsResult)
    # without the sensitivity views (the dashboard): the same claims, and no views
    quick = evaluate_claims(log, courses=result.courses, sensitivity=False)
    pd.testing.assert_frame_equal(quick.table, result.table)
    assert len(result.sensitivity) > 0 and quick.sensitivity.empty
    assert list(quick.sensitivity.columns) == list(result.sensitivity.columns)


def test_views_reusing_the_first_pass_equal_fresh_evaluations(small_simulated, tmp_path):
    # the sensitivity views reuse the 95% pass's units and fits (only quantiles are made
    # again); each of their rows equals an evaluation of its own, at its level, keeping nothing
    write_bundle(small_simulated, tmp_path, format="csv")
    log = _load_quietly(tmp_path)
    result = evaluate_claims(log)
    claims = {c.id: c for c in load_catalogue().claims}
    views = result.sensitivity
    k = int((views["view"] == FAMILYWISE).sum())
    assert k >= 10
    for _, view in views.iterrows():
        kw = ({"alpha": familywise_alpha(k)} if view["view"] == FAMILYWISE
              else {"from_onset": True})
        fresh, _ = evaluate_claim(log, result.courses, claims[view["id"]], **kw)
        for column in ("verdict", "estimate", "ci_low", "ci_high", "n", "n_patients", "method",
                       "reason"):
            assert fresh[column] == view[column] or (
                column in ("estimate", "ci_low", "ci_high") and np.isnan(fresh[column])
                and np.isnan(view[column])), (view["id"], column)
    assert (views["level"] > 0.95).any() and (views["level"] == 0.95).any()


def test_result_protocol(worked):
    assert SHORT_COLUMNS == [c for c in CLAIM_COLUMNS if c in SHORT_COLUMNS]  # a selection
    tables = worked.tables()
    assert next(iter(tables)) == "table" and tables["table"] is worked.table
    assert set(tables) - {"table", "comparisons", "sensitivity"} == set(worked.supporting)
    assert list(tables)[:3] == ["table", "comparisons", "sensitivity"]
    assert worked.summary() == worked.to_text()
    assert "<table>" in worked._repr_html_()
    pd.testing.assert_frame_equal(worked.to_frame(), worked.table)
    assert {type(v) for v in worked.table["verdict"]} == {str}  # plain words in the table


def test_estimate_text():
    assert estimate_text(0.4213, 0.31, 0.55) == "0.421 (95% CI 0.31 to 0.55)"
    assert estimate_text(math.nan, 2.0, math.inf) == "not reached (95% CI 2 to ∞)"
    assert estimate_text(0.5, math.nan, math.nan) == "0.5"
    assert estimate_text(math.nan, math.nan, math.nan) == ""
    assert estimate_text(-1.0, -math.inf, 0.5) == "-1 (95% CI -∞ to 0.5)"


def test_catalogue_path_is_read(tmp_path):
    user = tmp_path / "pain.toml"
    user.write_text('[[claims]]\nid = "minimal-pain"\nthreshold = 4\n', encoding="utf-8")
    r = evaluate_claims(worked_log(), catalogue=str(user)).table.set_index("id").loc["minimal-pain"]
    assert r["threshold"] == 4


def test_verdict_intervals_keep_both_one_sided_levels(tmp_path, small_simulated):
    # the shares resolved rest on the logit interval of the Kaplan-Meier curve on
    # Bell-McCaffrey df, the one-sample means on the skewness-corrected t interval (issue 17:
    # the log-log interval's lower end and the plain t interval's upper end missed on one
    # side; stats.survival.KMResult.logit_at, stats.intervals.mean)
    write_bundle(small_simulated, tmp_path, format="parquet")
    t = evaluate_claims(_load_quietly(tmp_path)).table.set_index("id")
    for claim in ("redness-24-48h", "side-effects-few-days", "scabs-few-days"):
        assert "logit interval, t on" in t.loc[claim, "method"], claim
        assert "log-log" not in t.loc[claim, "method"], claim
    for claim in ("minimal-pain", "effective-acne_scars"):
        assert "skewness-corrected (Hall 1992" in t.loc[claim, "method"], claim
