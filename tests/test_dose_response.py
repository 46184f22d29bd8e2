"""Dose response: hand-worked curves, statsmodels on the same data, simulated truth.

The worked bundle is the one of ``tests/test_by_condition.py`` (its docstring lists every
score); the numbers below are worked out from it in the comments.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight
from tests.factories import assessment, make_log, session
from tests.test_by_condition import ols_cluster, random_log, worked_log

from outcomes.courses import build_courses
from outcomes.errors import AnalysisError
from outcomes.stats.dose_response import AT_RISK_COLUMNS, TABLE_COLUMNS, DoseResponse, dose_response

Z = stats.norm.isf(0.025)


@pytest.fixture(scope="module")
def worked():
    return build_courses(worked_log())


@pytest.fixture(scope="module")
def random_courses():
    return build_courses(random_log(7))


def rows(result, condition, measure):
    t = result.table
    return t[(t["condition"] == condition) & (t["measure"] == measure)].reset_index(drop=True)


# ----------------------------------------------------------------------------- hand-worked
def test_table_shape(worked):
    r = dose_response(worked)
    assert isinstance(r, DoseResponse)
    assert list(r.table.columns) == TABLE_COLUMNS
    assert list(r.extra["at_risk"].columns) == AT_RISK_COLUMNS
    assert r.conditions() == ["acne_scars", "wrinkles", "all"]
    assert str(r.table["after_session"].dtype) == "Int64"
    measures = list(dict.fromkeys(r.table["measure"]))
    assert measures == ["improvement", "gain", "reached_major_by", "median_sessions_to_major"]


def test_improvement_after_session_k(worked):
    r = dose_response(worked)
    acne = rows(r, "acne_scars", "improvement")
    # after s1: P1 0.25, P2 0.10, P3 0.00 (its end), P6 1/3 (its end) -> 0.68333 / 4
    # after s2: P1 0.50 (end), P2 0.20 -> 0.35; after s3: P2 0.30 (end), one course
    assert acne["after_session"].tolist() == [1, 2, 3]
    assert acne["estimate"].tolist() == pytest.approx([(0.35 + 1 / 3) / 4, 0.35, 0.30])
    assert acne["n"].tolist() == [4, 2, 1]
    assert np.isnan(acne["ci_low"].iloc[2])  # one course: no interval
    wr = rows(r, "wrinkles", "improvement")
    # after s1: P1 0.25, P4 0.25 (end), P5 0 -> 1/6; after s2: P1 0.5
    assert wr["estimate"].tolist() == pytest.approx([0.5 / 3, 0.5])
    # all, after s1: 7 courses of 6 patients, clustered
    allk1 = rows(r, "all", "improvement").iloc[0]
    est, low, high = ols_cluster([0.25, 0.1, 0.0, 1 / 3, 0.25, 0.25, 0.0],
                                 ["P1", "P2", "P3", "P6", "P1", "P4", "P5"])
    assert (allk1["estimate"], allk1["ci_low"], allk1["ci_high"]) == pytest.approx(
        (est, low, high))
    assert (allk1["n"], allk1["n_patients"]) == (7, 6)


def test_gain_of_each_session(worked):
    r = dose_response(worked)
    acne = rows(r, "acne_scars", "gain")
    # k = 1: improvement(1) - 0, the same as the improvement curve
    # k = 2: P1 0.50 - 0.25 = 0.25, P2 0.20 - 0.10 = 0.10 -> 0.175; k = 3: P2 0.10
    assert acne["estimate"].tolist() == pytest.approx([(0.35 + 1 / 3) / 4, 0.175, 0.10])
    assert acne["n"].tolist() == [4, 2, 1]
    # Student t on the two paired gains [0.25, 0.10]: 0.175 -/+ t_{0.975,1} * 0.10607 / sqrt 2
    half = stats.t.ppf(0.975, 1) * np.std([0.25, 0.10], ddof=1) / math.sqrt(2)
    assert acne["ci_low"].iloc[1] == pytest.approx(0.175 - half)
    assert acne["ci_high"].iloc[1] == pytest.approx(0.175 + half)


def test_gain_needs_both_assessments():
    # A: assessed after s1 (0.25) and s3 (end, 0.75), not after s2 -> no gain at k = 2 or 3
    # B: assessed after s1 (0.10), s2 (0.30), s3 (end 0.40) -> gains 0.1, 0.2, 0.1
    log = make_log(
        [session(p, f"{p}{k}", d) for p in "AB"
         for k, d in enumerate(["2024-01-01", "2024-02-01", "2024-03-01"])],
        [assessment("A", "2024-01-01", 40), assessment("A", "2024-01-20", 30),
         assessment("A", "2024-03-20", 10),
         assessment("B", "2024-01-01", 40), assessment("B", "2024-01-20", 36),
         assessment("B", "2024-02-20", 28), assessment("B", "2024-03-20", 24)])
    r = dose_response(build_courses(log))
    gain = rows(r, "acne_scars", "gain")
    assert gain["after_session"].tolist() == [1, 2, 3]
    assert gain["n"].tolist() == [2, 1, 1]
    assert gain["estimate"].tolist() == pytest.approx([0.175, 0.2, 0.1])
    imp = rows(r, "acne_scars", "improvement")
    # improvement after s3: A 0.75, B 0.40 -> 0.575: not improvement(2) + gain(3)
    assert imp["estimate"].tolist() == pytest.approx([0.175, 0.3, 0.575])


def test_sessions_to_major_kaplan_meier(worked):
    r = dose_response(worked)
    acne = rows(r, "acne_scars", "reached_major_by")
    # acne durations: P1 event at 2, P2 censored at 3, P3 and P6 censored at 1
    # k=1: 4 at risk, 0 events -> S = 1; k=2: 2 at risk, 1 event -> S = 0.5; k=3: S = 0.5
    assert acne["estimate"].tolist() == pytest.approx([0.0, 0.5, 0.5])
    assert acne["n"].tolist() == [4, 2, 1]
    wr = rows(r, "wrinkles", "reached_major_by")
    # wrinkles: P4 event at 1 (follow-up 0.5 counts at K = 1), P5 censored at 1, P1 event at 2
    # k=1: 3 at risk, 1 event -> S = 2/3; k=2: 1 at risk, 1 event -> S = 0
    assert wr["estimate"].tolist() == pytest.approx([1 / 3, 1.0])
    allc = rows(r, "all", "reached_major_by")
    # all: k=1: 7 at risk, 1 event (P4) -> 6/7; k=2: 3 at risk (P1 twice, P2), 2 events
    # -> 6/7 * 1/3 = 2/7; k=3: 1 at risk, censored
    assert allc["estimate"].tolist() == pytest.approx([1 / 7, 5 / 7, 5 / 7])
    assert allc["n"].tolist() == [7, 3, 1]
    assert allc["n_patients"].tolist() == [6, 2, 1]
    med = r.medians().set_index("condition")
    # medians: first k with S <= 0.5: acne 2, wrinkles 2, all 2
    assert med["estimate"].tolist() == [2.0, 2.0, 2.0]
    assert med.loc["acne_scars", "n"] == 4
    assert "Brookmeyer-Crowley" in med.loc["acne_scars", "method"]


def test_at_risk_table(worked):
    r = dose_response(worked)
    ar = r.extra["at_risk"]
    acne = ar[ar["condition"] == "acne_scars"]
    # k: courses with >= k sessions / assessed after k / at risk / reached / censored
    assert acne[AT_RISK_COLUMNS[1:]].values.tolist() == [
        [1, 4, 4, 4, 0, 2],
        [2, 2, 2, 2, 1, 0],
        [3, 1, 1, 1, 0, 1],
    ]
    wr = ar[ar["condition"] == "wrinkles"]
    # P5 has 3 sessions but is only assessed after s1
    assert wr["n_courses"].tolist() == [3, 2, 1]
    assert wr["n_assessed"].tolist() == [3, 1, 0]
    assert wr["n_at_risk"].tolist() == [3, 1, 0]
    km = r.extra["km"]
    assert set(km["condition"]) == {"acne_scars", "wrinkles", "all"}


def test_min_sessions_is_the_completers_view(worked):
    r = dose_response(worked, min_sessions=2)
    # acne completers: P1 and P2 only. after s1: 0.25, 0.10 -> 0.175
    acne = rows(r, "acne_scars", "improvement")
    assert acne["estimate"].tolist() == pytest.approx([0.175, 0.35, 0.30])
    assert acne["n"].tolist() == [2, 2, 1]
    # wrinkles completers: P1 (2 sessions), P5 (3 sessions, assessed only after s1)
    ar = r.extra["at_risk"]
    assert ar.loc[ar["condition"] == "wrinkles", "n_courses"].tolist() == [2, 2, 1]
    assert r.min_sessions == 2 and "Completers view" in r.notes
    # equals filtering the courses by hand
    keep = worked.courses.loc[worked.courses["n_sessions"] >= 2, "course_id"]
    d = worked.dose[worked.dose["course_id"].isin(keep) & (worked.dose["after_session"] == 1)]
    assert rows(r, "all", "improvement")["estimate"].iloc[0] == pytest.approx(
        d["improvement"].mean())


def test_condition_selection_and_max_sessions(worked):
    r = dose_response(worked, condition="acne_scars")
    assert r.conditions() == ["acne_scars"]  # no "all" row with a single condition
    r = dose_response(worked, condition=["wrinkles", "acne_scars"], max_sessions=2)
    assert r.conditions() == ["acne_scars", "wrinkles", "all"]
    assert r.table["after_session"].max() == 2
    # P2 (acne, censored at 3) is followed up to session 2 only: censored at 2
    acne = rows(r, "acne_scars", "reached_major_by")
    assert acne["estimate"].tolist() == pytest.approx([0.0, 0.5])
    with pytest.raises(AnalysisError, match="have no courses"):
        dose_response(worked, condition="alopecia")
    with pytest.raises(AnalysisError, match="min_sessions"):
        dose_response(worked, min_sessions=0)
    with pytest.raises(AnalysisError, match="band must be one of"):
        dose_response(worked, band="huge")
    with pytest.raises(AnalysisError, match="build_courses"):
        dose_response(worked.dose)


def test_other_band(worked):
    r = dose_response(worked, band="visible")
    acne = rows(r, "acne_scars", "reached_visible_by")
    # visible (>= 0.10) acne: P1 at 1 (0.25), P2 at 1 (0.10), P6 at 1 (1/3), P3 censored at 1
    # k=1: 4 at risk, 3 events -> S = 1/4
    assert acne["estimate"].tolist() == pytest.approx([0.75])
    assert r.median_measure == "median_sessions_to_visible"


# ----------------------------------------------------------------------------- statsmodels
def test_improvement_and_gain_equal_statsmodels(random_courses):
    r = dose_response(random_courses)
    p = random_courses.dose.dropna(subset=["improvement"])
    assert p.groupby(["after_session", "patient_id"]).size().max() > 1  # clustered
    for k in (1, 2, 3):
        at_k = p[p["after_session"] == k]
        est, low, high = ols_cluster(at_k["improvement"], at_k["patient_id"])
        got = rows(r, "all", "improvement").set_index("after_session").loc[k]
        assert (got["estimate"], got["ci_low"], got["ci_high"]) == pytest.approx(
            (est, low, high))
        assert got["n"] == len(at_k)
    # gains by an independent route: a course x k table and its differences
    wide = p.pivot(index="course_id", columns="after_session", values="improvement")
    patient = random_courses.courses.set_index("course_id")["patient_id"]
    for k in (2, 3):
        diff = (wide[k] - wide[k - 1]).dropna()
        est, low, high = ols_cluster(diff, patient.loc[diff.index])
        got = rows(r, "all", "gain").set_index("after_session").loc[k]
        assert (got["estimate"], got["ci_low"], got["ci_high"]) == pytest.approx(
            (est, low, high))


def test_km_equals_statsmodels_with_one_course_per_patient():
    courses = build_courses(random_log(3, n_patients=150, p_both=0.0, p_missing=0.3))
    r = dose_response(courses)
    sb = courses.sessions_to_band("major")
    assert sb["observed"].any() and not sb["observed"].all()
    sf = SurvfuncRight(sb["duration"].to_numpy(float), sb["observed"].to_numpy(int))
    km = r.extra["km"]
    km = km[(km["condition"] == "acne_scars") & (km["n_events"] > 0)]
    np.testing.assert_allclose(km["time"], sf.surv_times)
    np.testing.assert_allclose(km["survival"], sf.surv_prob, rtol=1e-12)
    np.testing.assert_allclose(km["se"], sf.surv_prob_se, rtol=1e-10)
    # pointwise log-log interval from statsmodels' S and Greenwood se
    S, se = sf.surv_prob, sf.surv_prob_se
    inner = (S > 0) & (S < 1)
    sig = se[inner] / (S[inner] * np.abs(np.log(S[inner])))
    np.testing.assert_allclose(km["ci_low"].to_numpy()[inner], S[inner] ** np.exp(Z * sig))
    np.testing.assert_allclose(km["ci_high"].to_numpy()[inner], S[inner] ** np.exp(-Z * sig))
    # the per-k rows are 1 - S(k) read from the step function
    curve = rows(r, "acne_scars", "reached_major_by").set_index("after_session")
    for t, s in zip(sf.surv_times, sf.surv_prob, strict=True):
        assert curve.loc[int(t), "estimate"] == pytest.approx(1 - s)
    # median and its Brookmeyer-Crowley (cloglog) interval
    med = r.medians().set_index("condition").loc["acne_scars"]
    assert med["estimate"] == sf.quantile(0.5)
    low, high = sf.quantile_ci(0.5, method="cloglog")
    assert med["ci_low"] == low
    assert med["ci_high"] == (math.inf if np.isnan(high) else high)


def test_km_clustered_when_patients_give_several_courses(random_courses):
    r = dose_response(random_courses)
    km = r.extra["km"]
    assert "cluster-robust" in km.loc[km["condition"] == "all", "method"].iloc[0]
    assert "Greenwood" in km.loc[km["condition"] == "acne_scars", "method"].iloc[0]


# ----------------------------------------------------------------------------- inputs, output
def test_inputs_not_modified(random_courses):
    before = {name: getattr(random_courses, name).copy(deep=True)
              for name in ("sessions", "courses", "points", "events")}
    dose = random_courses.dose.copy(deep=True)
    r = dose_response(random_courses, min_sessions=2, max_sessions=4)
    for kind in ("improvement", "gain", "sessions_to_band"):
        r.plot(kind=kind)
    r.summary()
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(random_courses, name), frame)
    pd.testing.assert_frame_equal(random_courses.dose, dose)


def test_summary_and_wide(worked):
    r = dose_response(worked)
    w = r.wide()
    assert list(w.columns) == ["after_session", "acne_scars", "wrinkles", "all"]
    text = r.summary()
    for words in ("Mean improvement", "gain", "Kaplan-Meier", "Median sessions", "at risk"):
        assert words in text
    assert "<table" in r._repr_html_()


def test_plots(random_courses):
    r = dose_response(random_courses)
    ax = r.plot()  # two conditions: one panel each
    assert "session k" in ax.get_xlabel() and "improvement" in ax.figure.get_supylabel()
    assert [a.get_title() for a in ax.figure.axes] == ["Acne scars", "Wrinkles"]
    ax = r.plot(panels=False)
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"Acne scars", "Wrinkles"}
    ax = r.plot(kind="gain", conditions="all")
    assert "gain" in ax.get_ylabel()
    fig, given = plt.subplots()
    ax = r.plot(ax=given, kind="sessions_to_band")
    assert ax is given
    assert "major" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.texts]
    assert "at risk" in texts
    # the at-risk numbers under the axis are those of the table
    n1 = rows(r, "acne_scars", "reached_major_by")["n"].iloc[0]
    assert str(n1) in texts
    with pytest.raises(AnalysisError, match="kind must be"):
        r.plot(kind="pie")
    with pytest.raises(AnalysisError, match="not in the result"):
        r.plot(conditions=["alopecia"])


# ----------------------------------------------------------------------------- simulation
@pytest.fixture(scope="module")
def simulated():
    """Courses with a known dose response: improvement after session k is 1 - 0.8^k, exactly.

    600 patients, each with 6 monthly acne-scars sessions, baseline 50 (G&B, best 0), an
    assessment 20 days after each session with score 50 * 0.8^k plus a patient effect and
    noise of mean zero (U(-2, 2) per patient and U(-1, 1) per assessment). The true mean
    improvement after k is 1 - 0.8^k (0.2, 0.36, 0.488, 0.590, 0.672, 0.738) and the true mean
    gain of session k is 0.8^(k-1) * 0.2. Without noise every course reaches major (>= 0.5)
    at session 4 (1 - 0.8^3 = 0.488 < 0.5 <= 0.590); with this noise some reach it at 3 or 5.
    """
    rng = np.random.default_rng(5)
    s, a = [], []
    for i in range(600):
        pid = f"D{i}"
        u = rng.uniform(-2, 2)
        start = np.datetime64("2024-01-01")
        a.append(assessment(pid, str(start), 50))
        for k in range(1, 7):
            day = start + np.timedelta64(30 * (k - 1), "D")
            s.append(session(pid, f"{pid}-{k}", str(day)))
            score = 50 * 0.8**k + u + rng.uniform(-1, 1)
            a.append(assessment(pid, str(day + np.timedelta64(20, "D")), score))
    return build_courses(make_log(s, a))


def test_recovers_simulated_dose_response(simulated):
    r = dose_response(simulated)
    k = np.arange(1, 7)
    imp = rows(r, "acne_scars", "improvement")
    np.testing.assert_allclose(imp["estimate"], 1 - 0.8**k, atol=0.005)
    assert (imp["ci_low"] < 1 - 0.8**k).all() and (imp["ci_high"] > 1 - 0.8**k).all()
    gain = rows(r, "acne_scars", "gain")
    np.testing.assert_allclose(gain["estimate"], 0.2 * 0.8 ** (k - 1), atol=0.005)
    # major <=> score <= 25. At k = 4 the score is 20.48 + u + e <= 23.48: every course is
    # major by session 4. At k = 2 it is 32 + u + e >= 29: none. At k = 3, 25.6 + u + e <= 25
    # needs u + e <= -0.6: P = E_e[P(u <= -0.6 - e)] = E_e[(1.4 - e) / 4] = 1.4 / 4 = 0.35
    curve = rows(r, "acne_scars", "reached_major_by")
    assert curve["estimate"].iloc[:2].tolist() == [0.0, 0.0]
    assert curve["estimate"].iloc[2] == pytest.approx(0.35, abs=0.06)
    assert curve["estimate"].iloc[3] == pytest.approx(1.0)
    med = r.medians()["estimate"].iloc[0]
    assert med == 4.0


# ----------------------------------------------------------------------------- the simulator
#: Knobs that make the simulator's latent truth the estimand: no measurement noise, no late gain,
#: no follow-up, every assessment present, professional courses only, one scale per condition.
#: Acne scars are scored on Goodman & Baron points (baseline about 20: a score step is 0.05 of
#: improvement), hyperpigmentation on MASI (steps of 0.1 point: rounding is negligible).
SIM_KNOBS = dict(
    condition_weights={"acne_scars": 0.6, "hyperpigmentation": 0.4, "surgical_scars": 0.0,
                       "wrinkles": 0.0, "stretch_marks": 0.0, "alopecia": 0.0,
                       "skin_laxity": 0.0, "enlarged_pores": 0.0, "texture": 0.0,
                       "rosacea": 0.0},
    second_condition_share=0.3, home_share=0.0, alcohol_share=0.0, measurement_sd=0.0,
    late_gain=0.0, baseline_share=1.0, interim_share=1.0, end_share=1.0, follow_up_share=0.0,
    acne_qualitative_share=0.0, missing_rate=0.0,
)


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    from outcomes import load_bundle
    from outcomes.bundle.write import write_bundle
    from outcomes.simulate.draw import simulate
    from outcomes.simulate.params import SimulationParams

    folder = tmp_path_factory.mktemp("simulated")
    write_bundle(simulate(6000, seed=11, **SIM_KNOBS), folder, format="parquet")
    return build_courses(load_bundle(folder)), SimulationParams().replace(**SIM_KNOBS)


def true_mean_improvement(params, condition, k):
    """E[min(x m, cap)] with x = E_c (1 - exp(-r_c k)) and m log-normal of mean 1.

    With log m ~ N(mu, s^2), mu = -s^2/2, and a = cap / x (the multiplier where the cap bites),
    the partial expectation of a log-normal gives
    E[m; m < a] = exp(mu + s^2/2) Phi((log a - mu - s^2) / s) = Phi((log a - mu - s^2) / s), so
    E[min(x m, cap)] = x Phi((log a - mu - s^2) / s) + cap (1 - Phi((log a - mu) / s)).
    """
    s, cap = params.patient_effect_sd, params.max_improvement
    x = params.effect[condition] * (1 - math.exp(-params.rate[condition] * k))
    mu = -s * s / 2
    log_a = math.log(cap / x)
    return (x * stats.norm.cdf((log_a - mu - s * s) / s)
            + cap * stats.norm.sf((log_a - mu) / s))


def true_share_reached(params, condition, k, threshold=0.5):
    """P(first k with latent improvement >= threshold is <= k) = P(m >= threshold / x_k)."""
    s = params.patient_effect_sd
    x = params.effect[condition] * (1 - math.exp(-params.rate[condition] * k))
    return float(stats.lognorm(s, scale=math.exp(-s * s / 2)).sf(threshold / x))


def test_simulator_dose_response_recovers_truth(simulator):
    courses, params = simulator
    r = dose_response(courses)
    for condition in ("acne_scars", "hyperpigmentation"):
        imp = rows(r, condition, "improvement").set_index("after_session")
        gain = rows(r, condition, "gain").set_index("after_session")
        for k in range(1, 7):  # sessions with over 500 courses
            truth = true_mean_improvement(params, condition, k)
            got = imp.loc[k]
            assert got["estimate"] == pytest.approx(truth, abs=0.01), (condition, k)
            assert got["ci_low"] < truth < got["ci_high"], (condition, k)
            step = truth - (true_mean_improvement(params, condition, k - 1) if k > 1 else 0.0)
            assert gain.loc[k, "estimate"] == pytest.approx(step, abs=0.01), (condition, k)
    # the completers view has the same curve here (course length is independent of response)
    completers = dose_response(courses, condition="hyperpigmentation", min_sessions=4)
    imp = rows(completers, "hyperpigmentation", "improvement").set_index("after_session")
    for k in range(1, 5):
        assert imp.loc[k, "estimate"] == pytest.approx(
            true_mean_improvement(params, "hyperpigmentation", k), abs=0.015)


def test_simulator_sessions_to_major_recovers_truth(simulator):
    courses, params = simulator
    r = dose_response(courses)
    # MASI is recorded to 0.1 point, so the measured first crossing of 0.5 is the latent one.
    # (On G&B points a score step is about 0.05 of improvement and the first measured crossing
    # comes early: the acne curve sits a few points above the latent one.)
    km = rows(r, "hyperpigmentation", "reached_major_by").set_index("after_session")
    for k in range(1, 7):
        truth = true_share_reached(params, "hyperpigmentation", k)
        assert km.loc[k, "estimate"] == pytest.approx(truth, abs=0.02), k
        assert km.loc[k, "ci_low"] < truth < km.loc[k, "ci_high"], k
    # patients with two courses: the pooled curve is clustered by patient
    allc = r.extra["km"]
    assert "cluster-robust" in allc.loc[allc["condition"] == "all", "method"].iloc[0]
    # the simulator's own (approximate) truth of the claim acne-scars-4-6-sessions
    med = r.medians().set_index("condition").loc["acne_scars"]
    assert abs(med["estimate"] - params.truth()["acne-scars-4-6-sessions"]) <= 1


def test_no_course_gives_one_row_saying_so():
    """No accepted session, hence no course: rows for "all" that say why, an empty at-risk
    table and a labelled empty figure (it used to fail on an empty concatenation)."""
    r = dose_response(build_courses(make_log([], [assessment("P", "2024-01-01", 30)])))
    assert r.conditions() == [] or r.table["condition"].eq("all").all()
    assert r.table["estimate"].isna().all()
    assert (r.table["method"].str.strip() != "").all()
    assert list(r.extra["at_risk"].columns) == AT_RISK_COLUMNS and r.extra["at_risk"].empty
    assert r.plot() is not None and r.plot(kind="sessions_to_band") is not None
