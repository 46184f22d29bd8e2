"""Incidence and time to resolution of side effects, against independent references.

References: hand-worked examples (arithmetic in the comments), plain pandas computed here,
statsmodels' SurvfuncRight where every patient gives one event, and simulations with a
closed-form truth (tests/reference/safety_simulate.py).
"""

from __future__ import annotations

import copy
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from tests.factories import event, make_log, session
from tests.reference.safety_simulate import simulate_log

from outcomes import (
    AnalysisError,
    build_courses,
    incidence,
    load_bundle,
    resolution,
    simulate,
    skin_type,
    spacing,
    write_bundle,
)
from outcomes.simulate.params import SimulationParams
from outcomes.stats import intervals
from outcomes.stats.grouping import SPACING_BINS, bin_labels, cut, event_sets
from outcomes.stats.rows import GroupedShares

Z = stats.norm.isf(0.025)  # 1.959964


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def worked():
    """Four patients, eight sessions, five events.

    P1 acne scars (professional): s1 0.4 mm, s2 1.2 mm (spacing 14 d), s3 2.2 mm (spacing 30 d)
    P2 wrinkles (home): s4 0.5 mm, s5 no depth (spacing 7 d)
    P3 acne scars (professional): s6 1.0 mm
    P4 acne scars (professional): s7, s8 (spacing 60 d)
    Erythema after s1, s2, s3 (all of P1) and s7: 4 of 8 sessions.
    """
    sessions = [
        session("P1", "s1", "2024-01-01", needle_depth_mm=0.4, fitzpatrick="II"),
        session("P1", "s2", "2024-01-15", needle_depth_mm=1.2),
        session("P1", "s3", "2024-02-14", needle_depth_mm=2.2),
        session("P2", "s4", "2024-01-01", "wrinkles", "home", needle_depth_mm=0.5),
        session("P2", "s5", "2024-01-08", "wrinkles", "home"),
        session("P3", "s6", "2024-01-03", needle_depth_mm=1.0),
        session("P4", "s7", "2024-01-01"),
        session("P4", "s8", "2024-03-01"),
    ]
    events = [
        event("s1", "erythema", resolved=20.0),
        event("s1", "oedema", "moderate", resolved=30.0),  # notable by severity
        event("s2", "erythema", last_contact=50.0),  # censored at 50 h
        event("s3", "erythema", resolved=40.0),
        event("s7", "erythema", resolved=10.0),
        event("s6", "pih", last_contact=100.0),  # notable by type
    ]
    return build_courses(make_log(sessions, events=events))


@pytest.fixture(scope="module")
def sim():
    return build_courses(simulate_log(3000, seed=11))


def _row(table, **where):
    m = np.ones(len(table), dtype=bool)
    for k, v in where.items():
        m &= (table[k].astype(object) == v).to_numpy()
    rows = table[m]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --------------------------------------------------------------------------- binning
def test_bin_labels_and_edges():
    assert bin_labels(SPACING_BINS, integer=True) == ["< 14", "14–20", "21–31", "32–45",
                                                      "46–90", "> 90"]
    assert bin_labels((0.5, 1.0, 1.5, 2.0)) == ["< 0.5", "0.5–1.0", "1.0–1.5", "1.5–2.0",
                                                ">= 2.0"]
    # lower edges are included, upper edges excluded
    days = [13, 14, 20, 21, 31, 32, 45, 46, 90, 91, np.nan]
    assert list(cut(days, SPACING_BINS, integer=True).astype(object)) == [
        "< 14", "14–20", "14–20", "21–31", "21–31", "32–45", "32–45", "46–90", "46–90",
        "> 90", np.nan]
    depth = [0.49, 0.5, 0.99, 1.0, 1.99, 2.0, 3.0]
    assert list(cut(depth, (0.5, 1.0, 1.5, 2.0)).astype(str)) == [
        "< 0.5", "0.5–1.0", "0.5–1.0", "1.0–1.5", "1.5–2.0", ">= 2.0", ">= 2.0"]
    assert list(cut([5, 30], (10, 20, 40), integer=True)) == ["< 10", "20–39"]
    for bad in [(), (14, 14), (21, 14), (1.5,), ("a",)]:
        with pytest.raises(AnalysisError, match="edges"):
            cut([1.0], bad, integer=True, name="edges")


def test_event_sets(worked):
    ev = worked.events
    sets = event_sets(None, ev, include_any=True)
    assert list(sets) == ["any", "erythema", "oedema", "pih"]  # vocabulary order
    assert sets["any"].sum() == 6 and sets["erythema"].sum() == 4
    assert event_sets("notable", ev, include_any=False)["notable"].sum() == 2
    pooled = event_sets("erythema+oedema+pain", ev, include_any=False)
    assert list(pooled) == ["erythema+oedema+pain"] and pooled["erythema+oedema+pain"].sum() == 5
    named = event_sets({"swelling": ["erythema", "oedema"]}, ev, include_any=False)
    assert named["swelling"].sum() == 5
    with pytest.raises(AnalysisError, match="redness"):
        event_sets("redness", ev, include_any=False)


# --------------------------------------------------------------------------- incidence
def test_incidence_hand_worked_clustered(worked):
    t = incidence(worked).table
    assert list(t.columns) == ["event", "n_events", "n_with_event", "estimate", "ci_low",
                               "ci_high", "n", "n_patients", "method"]
    assert t["event"].tolist() == ["any", "erythema", "oedema", "pih"]
    ery = _row(t, event="erythema")
    # erythema in 4 of 8 sessions: p = 0.5
    # per patient (Y_g, n_g): P1 (3, 3), P2 (0, 2), P3 (0, 1), P4 (1, 2)
    # e_g = Y_g - p n_g: 1.5, -1, -0.5, 0; CR2 weights 1/(1 - n_g/n): 1.6, 4/3, 8/7, 4/3
    # V_clu = sum e_g^2 / (1 - n_g/n) / n^2 = 5.219048 / 64 = 0.0815476
    # V_srs = p(1-p)/(n-1) = 0.25/7 = 0.0357143; deff = 2.283333; n / deff = 3.503650
    # Bell-McCaffrey df of the intercept-only CR2 variance: tr(P)^2 / tr(P^2) = 64 / 24.58413
    # = 2.603306; Korn-Graubard factor (z / t_2.603)^2 = 0.318084; n_eff = 1.114454
    # Wilson for 0.5 * 1.114454 of 1.114454: (0.059794, 0.940206)
    assert (ery["n"], ery["n_patients"], ery["n_with_event"], ery["n_events"]) == (8, 4, 4, 4)
    assert ery["estimate"] == 0.5
    assert ery["ci_low"] == pytest.approx(0.059794, abs=1e-6)
    assert ery["ci_high"] == pytest.approx(0.940206, abs=1e-6)
    assert "effective n 1.1" in ery["method"] and "8 sessions from 4 patients" in ery["method"]
    # any: s1, s2, s3, s6, s7 -> 5 of 8 sessions, 6 event rows
    anyr = _row(t, event="any")
    assert (anyr["n_with_event"], anyr["n_events"], anyr["estimate"]) == (5, 6, 5 / 8)


def test_incidence_independent_units_is_plain_wilson(worked):
    # per course: 5 courses of 4 patients... P1..P4 each one course here: independent units
    t = incidence(worked, per="course").table
    ery = _row(t, event="erythema")
    # courses with erythema: P1, P4 -> 2 of 4
    assert (ery["n"], ery["n_with_event"]) == (4, 2)
    lo, hi = proportion_confint(2, 4, method="wilson")
    assert (ery["ci_low"], ery["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    assert ery["method"].startswith("Wilson score (4 independent courses)")


def test_incidence_groups_hand_worked(worked):
    t = incidence(worked, by=("setting", "depth_bin"), events="erythema").table
    assert list(t.columns[:3]) == ["setting", "depth_bin", "event"]
    # professional sessions by depth: < 0.5: s1 (ery) | 0.5-1.0: none | 1.0-1.5: s2 (ery), s6
    # | >= 2.0: s3 (ery) | unknown depth: s7 (ery), s8
    r = _row(t, setting="professional", depth_bin="1.0–1.5")
    assert (r["n"], r["n_with_event"], r["estimate"]) == (2, 1, 0.5)
    r = _row(t, setting="professional", depth_bin=">= 2.0")
    assert (r["n"], r["n_with_event"]) == (1, 1)
    unknown = t[(t["setting"] == "professional") & t["depth_bin"].isna()].iloc[0]
    assert (unknown["n"], unknown["n_with_event"]) == (2, 1)
    # home: s4 0.5 mm (0.5-1.0), s5 unknown depth: no erythema
    r = _row(t, setting="home", depth_bin="0.5–1.0")
    assert (r["n"], r["n_with_event"], r["estimate"]) == (1, 0, 0.0)
    # every session counted once: denominators add up to all sessions
    assert t["n"].sum() == 8
    assert isinstance(t["depth_bin"].dtype, pd.CategoricalDtype) and t["depth_bin"].cat.ordered


def test_incidence_spacing_session_number_and_custom_depth_bins(worked):
    t = incidence(worked, by="spacing_bin", events="erythema").table
    # spacing: s2 14 d (14-20, ery), s3 30 d (21-31, ery), s5 7 d (< 14), s8 60 d (46-90);
    # first sessions (s1, s4, s6, s7) have none: their own (missing) group
    assert _row(t, spacing_bin="14–20")["n_with_event"] == 1
    assert _row(t, spacing_bin="< 14")["estimate"] == 0.0
    first = t[t["spacing_bin"].isna()].iloc[0]
    assert (first["n"], first["n_with_event"]) == (4, 2)  # s1 and s7 had erythema
    t = incidence(worked, by="session_number", events="any").table
    assert t["session_number"].tolist() == [1, 2, 3]
    assert t["n"].tolist() == [4, 3, 1]
    assert t["n_with_event"].tolist() == [3, 1, 1]  # s1 s6 s7 | s2 | s3
    t = incidence(worked, by="needle_depth_mm", events="any", depth_bins=(1.0,)).table
    assert [str(x) for x in t["depth_bin"].dropna()] == ["< 1.0", ">= 1.0"]
    assert t["n"].tolist() == [2, 3, 3]  # s1 s4 | s2 s3 s6 | s5 s7 s8 (no depth)


def test_incidence_by_severity_keeps_denominators(worked):
    t = incidence(worked, by="severity", events=["any", "oedema"]).table
    assert list(t.columns[:2]) == ["severity", "event"]
    # severities present: mild and moderate; every row rests on all 8 sessions
    assert set(t["severity"].astype(str)) == {"mild", "moderate"}
    assert (t["n"] == 8).all()
    assert _row(t, severity="moderate", event="oedema")["n_with_event"] == 1
    assert _row(t, severity="mild", event="oedema")["n_with_event"] == 0
    assert _row(t, severity="mild", event="any")["n_with_event"] == 5


def test_incidence_matches_plain_pandas(sim):
    t = incidence(sim, by=("setting", "session_number"), events=["erythema", "notable"]).table
    s = sim.sessions
    e = sim.events
    for label, mask in (("erythema", e["event"].astype(str) == "erythema"),
                        ("notable", e["notable"])):
        hit = s["session_id"].isin(e.loc[mask, "session_id"])
        n_ev = e.loc[mask].groupby("session_id").size()
        ref = pd.DataFrame({
            "setting": s["setting"].astype(str), "k": s["session_number"], "hit": hit,
            "n_ev": s["session_id"].map(n_ev).fillna(0), "pid": s["patient_id"]})
        ref = ref.groupby(["setting", "k"]).agg(
            n=("hit", "size"), x=("hit", "sum"), ev=("n_ev", "sum"), g=("pid", "nunique"))
        got = t[t["event"] == label].assign(setting=lambda d: d["setting"].astype(str))
        got = got.set_index(["setting", "session_number"]).sort_index()
        ref = ref.reindex(got.index)
        np.testing.assert_array_equal(got["n"], ref["n"])
        np.testing.assert_array_equal(got["n_with_event"], ref["x"])
        np.testing.assert_array_equal(got["n_events"], ref["ev"])
        np.testing.assert_array_equal(got["n_patients"], ref["g"])
        np.testing.assert_allclose(got["estimate"], ref["x"] / ref["n"])


def test_incidence_per_course_matches_pandas(sim):
    t = incidence(sim, by="condition", per="course", events="pih").table
    c = sim.courses
    ref = c.assign(cond=c["condition"].astype(str)).groupby("cond").agg(
        n=("pih", "size"), x=("pih", "sum"))
    got = t.assign(cond=t["condition"].astype(str)).set_index("cond")
    np.testing.assert_array_equal(got["n"], ref.loc[got.index, "n"])
    np.testing.assert_array_equal(got["n_with_event"], ref.loc[got.index, "x"])


def test_incidence_recovers_simulated_risk(sim):
    # erythema risk per session has mean 0.4 (patient-level Beta(1.6, 2.4)): the clustered
    # interval covers it, and is wider than the naive one (design effect > 1)
    r = _row(incidence(sim, events="erythema").table, event="erythema")
    assert r["ci_low"] < 0.4 < r["ci_high"]
    naive = proportion_confint(r["n_with_event"], r["n"], method="wilson")
    assert r["ci_high"] - r["ci_low"] > 1.3 * (naive[1] - naive[0])


def test_incidence_errors(worked):
    with pytest.raises(AnalysisError, match="per must be"):
        incidence(worked, per="patient")
    with pytest.raises(AnalysisError, match="session attribute: use per='session'"):
        incidence(worked, by="session_number", per="course")
    with pytest.raises(AnalysisError, match="not a session column"):
        incidence(worked, by="colour")
    with pytest.raises(AnalysisError, match="not event types"):
        incidence(worked, events=["redness"])
    with pytest.raises(AnalysisError, match="depth_bins"):
        incidence(worked, by="depth_bin", depth_bins=(1.0, 0.5))
    with pytest.raises(AnalysisError, match="Courses"):
        incidence(worked.sessions)


def test_grouped_shares_equal_intervals_proportion():
    # the vectorised incidence engine gives, group by group, exactly what
    # outcomes.stats.intervals.proportion gives (estimate, interval, counts and method words)
    rng = np.random.default_rng(5)
    n = 3000
    patient = rng.integers(0, 700, n)
    group = rng.integers(0, 40, n)
    group[:4] = 40  # a group of one patient with 4 units: no interval
    patient[:4] = 0
    group[4:7] = 41  # a group of 3 independent units
    patient[4:7] = [701, 702, 703]
    risk = rng.beta(1, 3, 704)[patient]
    y = (rng.random(n) < risk).astype(float)
    y[group == 3] = 0.0  # p = 0: nominal n
    y[group == 4] = 1.0  # p = 1
    rows = GroupedShares(group, 42, patient).rows(y, 0.05, "sessions")
    for j, row in enumerate(rows):
        m = group == j
        try:
            e = intervals.proportion(y[m], cluster=patient[m], unit_label="sessions")
        except AnalysisError as exc:
            assert row["method"] == f"no interval: {exc}"
            assert row["estimate"] == y[m].mean() and math.isnan(row["ci_low"])
            continue
        assert row["estimate"] == pytest.approx(e.estimate, abs=1e-13)
        assert row["ci_low"] == pytest.approx(e.ci_low, abs=1e-12)
        assert row["ci_high"] == pytest.approx(e.ci_high, abs=1e-12)
        assert (row["n"], row["n_patients"], row["method"]) == (e.n, e.n_clusters, e.method)


def test_incidence_one_patient_group_has_no_interval():
    log = make_log([session("P1", "a", "2024-01-01"), session("P1", "b", "2024-02-01"),
                    session("P2", "c", "2024-01-01", setting="home")],
                   events=[event("a")])
    t = incidence(build_courses(log), by="setting", events="erythema").table
    prof = _row(t, setting="professional")
    # two sessions of one patient: no clustered interval, the share is still given
    assert prof["estimate"] == 0.5 and math.isnan(prof["ci_low"])
    assert prof["method"].startswith("no interval:")


# --------------------------------------------------------------------------- resolution
def test_resolution_hand_worked(worked):
    r = resolution(worked, events="erythema")
    t = r.table
    assert list(t.columns) == ["event", "measure", "hours", "estimate", "ci_low", "ci_high",
                               "n", "n_patients", "n_resolved", "n_censored", "n_at_risk",
                               "method"]
    # erythema durations: 10 (P4), 20, 40 (P1), 50 censored (P1)
    # t=10: 4 at risk, 1 resolves: S = 3/4; t=20: 3 at risk: S = 3/4 * 2/3 = 1/2
    # t=40: 2 at risk (40, 50): S = 1/2 * 1/2 = 1/4; t=50: censored
    by = t[t["measure"] == "resolved_by"].set_index("hours")
    assert by.loc[24.0, "estimate"] == pytest.approx(0.5)  # 1 - S(24) = 1 - 1/2
    assert by.loc[48.0, "estimate"] == pytest.approx(0.75)  # 1 - 1/4
    assert math.isnan(by.loc[72.0, "estimate"])  # beyond the last follow-up (50 h), S > 0
    assert by.loc[24.0, "n_at_risk"] == 2 and by.loc[48.0, "n_at_risk"] == 1
    med = _row(t, measure="median_hours")
    assert med["estimate"] == 20.0  # first time with S <= 0.5
    assert (med["n"], med["n_patients"], med["n_resolved"], med["n_censored"]) == (4, 2, 3, 1)
    assert "cluster-robust" in med["method"]
    risk = r.extra["at_risk"]
    assert risk["hours"].tolist() == [0.0, 24.0, 48.0, 72.0, 168.0]
    assert risk["n_at_risk"].tolist() == [4, 2, 1, 0, 0]
    assert risk["n_resolved_by"].tolist() == [0, 2, 3, 3, 3]
    assert risk["n_censored_by"].tolist() == [0, 0, 0, 1, 1]
    # the Kaplan-Meier curve is stored in full
    curve = r.extra["curve"]
    assert curve["time"].tolist() == [10.0, 20.0, 40.0, 50.0]
    assert curve["survival"].tolist() == pytest.approx([0.75, 0.5, 0.25, 0.25])


def test_resolution_censoring_is_not_a_plain_count():
    # 4 events of 4 patients: resolved at 10 h, censored at 12 h and 13 h, resolved at 60 h.
    # KM: t=10: 4 at risk, S = 3/4; the two censored leave the risk set; t=60: 1 at risk
    # resolves, S = 0. Resolved by 48 h: 1 - 3/4 = 1/4; by 72 h: 1.0.
    # A plain count would say 2/4 by 72 h (censored counted as unresolved) or 2/2 after
    # dropping the censored - neither is the Kaplan-Meier share.
    log = make_log([session(f"P{i}", f"s{i}", "2024-01-01") for i in range(4)],
                   events=[event("s0", resolved=10.0), event("s1", last_contact=12.0),
                           event("s2", last_contact=13.0), event("s3", resolved=60.0)])
    t = resolution(build_courses(log), events="erythema").table
    by = t[t["measure"] == "resolved_by"].set_index("hours")["estimate"]
    assert by[48.0] == pytest.approx(0.25)
    assert by[72.0] == pytest.approx(1.0)


def test_resolution_matches_statsmodels_one_event_per_patient():
    rng = np.random.default_rng(3)
    n = 60
    t_true = rng.lognormal(np.log(30), 0.7, n).round(1)
    contact = rng.uniform(20, 150, n).round(1)
    resolved = np.where(t_true <= contact, t_true, np.nan)
    sessions = [session(f"P{i}", f"s{i}", "2024-01-01") for i in range(n)]
    events = [event(f"s{i}", resolved=None if np.isnan(resolved[i]) else float(resolved[i]),
                    last_contact=float(contact[i])) for i in range(n)]
    r = resolution(build_courses(make_log(sessions, events=events)), events="erythema",
                   hours=(24, 48))
    dur = np.where(np.isnan(resolved), contact, resolved)
    sf = sm.SurvfuncRight(dur, (~np.isnan(resolved)).astype(float))
    for h in (24.0, 48.0):
        k = np.searchsorted(sf.surv_times, h, side="right") - 1
        S, se = sf.surv_prob[k], sf.surv_prob_se[k]
        # log-log pointwise interval from statsmodels' S and Greenwood se
        sig = se / (S * abs(math.log(S)))
        lo_s, hi_s = S ** math.exp(Z * sig), S ** math.exp(-Z * sig)
        row = r.table[(r.table["measure"] == "resolved_by") & (r.table["hours"] == h)].iloc[0]
        assert row["estimate"] == pytest.approx(1 - S, abs=1e-12)
        assert row["ci_low"] == pytest.approx(1 - hi_s, abs=1e-10)
        assert row["ci_high"] == pytest.approx(1 - lo_s, abs=1e-10)
        assert "Greenwood" in row["method"]
    med = r.table[r.table["measure"] == "median_hours"].iloc[0]
    assert med["estimate"] == pytest.approx(sf.quantile(0.5))
    lo, hi = sf.quantile_ci(0.5, method="cloglog")
    assert (med["ci_low"], med["ci_high"]) == pytest.approx((lo, hi))


def test_resolution_recovers_log_normal_truth(sim):
    # resolution ~ log-normal(median 30 h, sigma 0.6), independent uniform censoring:
    # share resolved by H = Phi((log H - log 30) / 0.6): 24 h 0.3560, 48 h 0.7833, 72 h 0.9282
    t = resolution(sim, events="erythema", hours=(24, 48, 72)).table
    for h in (24.0, 48.0, 72.0):
        truth = stats.norm.cdf((math.log(h) - math.log(30.0)) / 0.6)
        row = t[(t["measure"] == "resolved_by") & (t["hours"] == h)].iloc[0]
        assert row["ci_low"] < truth < row["ci_high"]
        assert abs(row["estimate"] - truth) < 0.02
    med = t[t["measure"] == "median_hours"].iloc[0]
    assert med["ci_low"] < 30.0 < med["ci_high"]
    assert med["n_patients"] < med["n"]  # several events per patient: clustered
    assert "cluster-robust infinitesimal-jackknife" in med["method"]


@pytest.fixture(scope="module")
def bundle_courses(tmp_path_factory):
    """The package's own simulator, written as a bundle and loaded like a user's export."""
    folder = tmp_path_factory.mktemp("bundle")
    write_bundle(simulate(4000, 3), folder, format="parquet")
    return build_courses(load_bundle(folder))


def test_resolution_recovers_the_package_simulator_truths(bundle_courses):
    # SimulationParams().truth(): share resolved by H hours, F(H + 0.5) of the log-normal
    # resolution times (erythema median 24 h, sd log 0.5; pooled erythema, oedema and pain
    # weighted by their expected counts; scabbing with its onset)
    truth = SimulationParams().truth()
    t = resolution(bundle_courses, events=["erythema", "erythema+oedema+pain", "scabbing"],
                   hours=(48, 72)).table
    for label, hours, claim in [("erythema", 48.0, "redness-24-48h"),
                                ("erythema+oedema+pain", 72.0, "side-effects-few-days"),
                                ("scabbing", 72.0, "scabs-few-days")]:
        row = _row(t, event=label, measure="resolved_by", hours=hours)
        assert row["ci_low"] < truth[claim] < row["ci_high"], (claim, row, truth[claim])
        assert row["n_patients"] < row["n"]


def test_resolution_pooled_and_grouped(sim):
    pooled = resolution(sim, events="erythema+pih", hours=(48,)).table
    mapping = resolution(sim, events={"erythema+pih": ["erythema", "pih"]}, hours=(48,)).table
    pd.testing.assert_frame_equal(pooled, mapping)
    each = resolution(sim, events=["erythema", "pih"], hours=(48,)).table
    med = each[each["measure"] == "median_hours"]
    assert pooled["n"].iloc[0] == med["n"].sum()
    by_setting = resolution(sim, events="erythema", by=("event", "setting"), hours=(48,))
    t = by_setting.table
    assert list(t.columns[:2]) == ["setting", "event"]
    assert t[t["measure"] == "median_hours"]["n"].sum() == med["n"].iloc[0]
    assert set(by_setting.extra["at_risk"]["setting"].astype(str)) == {"professional", "home"}
    # without "event" in by, every selected event is pooled
    t = resolution(sim, events=["erythema", "pih"], by="setting", hours=(48,)).table
    assert set(t["event"]) == {"erythema+pih"}


def test_resolution_errors(worked):
    with pytest.raises(AnalysisError, match="hours"):
        resolution(worked, hours=(-1,))
    with pytest.raises(AnalysisError, match="not columns of courses.events"):
        resolution(worked, by=("event", "colour"))


def test_resolution_without_events_is_empty_with_a_reason():
    """The adverse-events table is optional: no events gives a well-formed result, not an
    error (one row per measure, no estimate, the reason in method and notes) and a plot that
    says why it is empty."""
    empty = resolution(build_courses(make_log([session("P1", "a", "2024-01-01")])),
                       hours=(24, 48))
    t = empty.table
    assert t["measure"].tolist() == ["median_hours", "resolved_by", "resolved_by"]
    assert t["estimate"].isna().all() and (t["n"] == 0).all()
    assert (t["method"] == "no accepted adverse events").all()
    assert "no accepted adverse events" in empty.notes
    assert empty.extra["at_risk"].empty and empty.extra["curve"].empty
    ax = empty.plot(threshold=0.9, horizon=48)
    assert any("not enough data" in x.get_text() or "no " in x.get_text() for x in ax.texts)


# --------------------------------------------------------------------------- plots
def test_plots_draw_intervals_and_labels(worked, sim):
    r = resolution(sim, events=["erythema", "erythema+pih"])
    ax = r.plot(threshold=0.9, horizon=48)  # two event selections: one panel each
    assert len(ax.figure.axes) == 2 and "share resolved" in ax.figure.get_supylabel()
    ax = r.plot(threshold=0.9, horizon=48, panels=False)
    assert ax.get_xlabel() == "hours after the session"
    assert "share resolved" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.texts]
    assert any("at risk" in t for t in texts)
    n0 = r.extra["at_risk"].query("hours == 0")["n_at_risk"].astype(str).tolist()
    assert set(n0) <= set(texts)
    assert any("claimed" in str(h.get_label()) for h in ax.patches + ax.collections)
    assert len(ax.collections) >= 2  # one interval band per curve
    with pytest.raises(AnalysisError, match="not in the result"):
        r.plot(event="bruising")

    _, ax0 = plt.subplots()
    assert incidence(worked, by="setting").plot(ax=ax0) is ax0
    assert "share of sessions" in ax0.get_xlabel()


# --------------------------------------------------------------------------- contracts
def test_does_not_modify_input(sim):
    before = copy.deepcopy(sim)
    incidence(sim, by=("setting", "depth_bin", "spacing_bin", "severity"))
    incidence(sim, by="condition", per="course")
    resolution(sim, by=("event", "setting"))
    skin_type(sim)
    spacing(sim)
    for name in ("sessions", "courses", "points", "events", "dose"):
        pd.testing.assert_frame_equal(getattr(sim, name), getattr(before, name))


def test_result_exports(worked):
    r = resolution(worked)
    assert set(r.tables()) == {"table", "at_risk", "curve"}
    assert "Time to resolution" in r.summary()
    assert "<table" in r._repr_html_()
    assert incidence(worked).to_frame() is not incidence(worked).table


@pytest.mark.slow
def test_a_million_sessions():
    # how long these take is measured by the benchmarks, not here
    courses = build_courses(simulate_log(190_000, seed=5))  # about 1,000,000 sessions
    assert len(courses.sessions) > 950_000
    incidence(courses)
    incidence(courses, by=("setting", "depth_bin", "spacing_bin"), events=["any", "notable"])
    resolution(courses)
    skin_type(courses)
    spacing(courses)


def test_grouping_docstring_examples_run():
    import doctest

    import outcomes.stats.grouping

    result = doctest.testmod(outcomes.stats.grouping)
    assert result.attempted >= 3 and result.failed == 0


def _without_events_table(sessions):
    from dataclasses import replace

    log = replace(make_log(sessions), missing_tables=("adverse_events",))
    return build_courses(log)


def test_no_adverse_events_table_is_not_an_incidence_of_zero():
    """Without the adverse-events table no side effect was recorded: the incidence is empty,
    and its notes say why, rather than 0 of n."""
    from outcomes.courses import NO_EVENTS_TABLE
    from outcomes.stats.side_effects.incidence import INCIDENCE_COLUMNS

    courses = _without_events_table([session("P1", "s1", "2024-01-01"),
                                     session("P2", "s2", "2024-01-02")])
    assert not courses.events_recorded
    for by in ((), ("setting",)):
        r = incidence(courses, by=by)
        assert r.table.empty and NO_EVENTS_TABLE in r.notes
        assert list(r.table.columns[-len(INCIDENCE_COLUMNS):]) == INCIDENCE_COLUMNS
    ax = r.plot()
    assert ax.texts  # a labelled empty panel
    res = resolution(courses)
    assert (res.table["method"] == NO_EVENTS_TABLE).all() and NO_EVENTS_TABLE in res.notes
    # an empty table (the header only) is a bundle that recorded none: 0 of n, as before
    zero = incidence(build_courses(make_log([session("P1", "s1", "2024-01-01")])))
    assert zero.table["estimate"].tolist() == [0.0]
