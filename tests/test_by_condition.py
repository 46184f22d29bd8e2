"""Outcomes by condition: hand-worked examples, statsmodels on the same data, simulated truth.

The hand-worked numbers are written out in the comments from the definitions in
docs/definitions.md (baseline, end of treatment, follow-up, final, improvement, bands).
"""

from __future__ import annotations

import copy
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from tests.factories import assessment, make_log, session

from outcomes.courses import build_courses
from outcomes.errors import AnalysisError
from outcomes.stats.by_condition import (
    BASELINE_COLUMNS,
    TABLE_COLUMNS,
    ByCondition,
    outcomes_by_condition,
)

GB = "goodman_baron_quantitative"
GBQ = "goodman_baron_qualitative"
WS = "wrinkle_severity"


# ----------------------------------------------------------------------------- data
def worked_log():
    """Seven courses of six patients (P1 has an acne and a wrinkles course).

    acne_scars (Goodman & Baron quantitative, best 0; P6 on the qualitative scale, best 1):
      P1: 2 sessions, baseline 40, after s1 30 -> 0.25, end 20 -> 20/40 = 0.50   final 0.50
      P2: 3 sessions, baseline 50, 45 -> 0.10, 40 -> 0.20, end 35 -> 15/50 = 0.30  final 0.30
      P3: 1 session,  baseline 20, end 20 -> 0.00                                   final 0.00
      P6: 1 session,  baseline 4 (qualitative), end 3 -> (4-3)/(4-1) = 1/3          final 0.333
    wrinkles (wrinkle severity, best 1):
      P1: 2 sessions, baseline 7, after s1 5.5 -> 1.5/6 = 0.25, end 4 -> 3/6 = 0.50 final 0.50
      P4: 1 session,  baseline 5, end 4 -> 1/4 = 0.25, follow-up 3 -> 2/4 = 0.50    final 0.50
      P5: 3 sessions, baseline 9, after s1 9 -> 0.00 (nothing later)                final 0.00
    """
    s, a = [], []

    def course(pid, condition, dates, scores, scale):
        for i, d in enumerate(dates):
            s.append(session(pid, f"{pid}-{condition}-{i}", d, condition))
        for d, score in scores:
            a.append(assessment(pid, d, score, condition, scale))

    course("P1", "acne_scars", ["2024-01-01", "2024-02-01"],
           [("2024-01-01", 40), ("2024-01-20", 30), ("2024-02-20", 20)], GB)
    course("P2", "acne_scars", ["2024-01-01", "2024-02-01", "2024-03-01"],
           [("2024-01-01", 50), ("2024-01-20", 45), ("2024-02-20", 40), ("2024-03-20", 35)], GB)
    course("P3", "acne_scars", ["2024-01-01"], [("2024-01-01", 20), ("2024-01-20", 20)], GB)
    course("P6", "acne_scars", ["2024-01-01"], [("2024-01-01", 4), ("2024-01-20", 3)], GBQ)
    course("P1", "wrinkles", ["2024-01-05", "2024-02-05"],
           [("2024-01-05", 7), ("2024-01-25", 5.5), ("2024-02-25", 4)], WS)
    # follow-up: 1 May is 117 days (>= 56) after the only session
    course("P4", "wrinkles", ["2024-01-05"],
           [("2024-01-05", 5), ("2024-01-25", 4), ("2024-05-01", 3)], WS)
    course("P5", "wrinkles", ["2024-01-05", "2024-02-05", "2024-03-05"],
           [("2024-01-05", 9), ("2024-01-25", 9)], WS)
    return make_log(s, a)


@pytest.fixture(scope="module")
def worked():
    return build_courses(worked_log())


def random_log(seed: int, n_patients: int = 120, p_both: float = 0.4, p_missing: float = 0.15):
    """A random bundle: acne scars and/or wrinkles courses of 1-6 monthly sessions.

    Each patient has an acne-scars course; with probability ``p_both`` also a wrinkles course
    (so patients give several courses). Each course has a baseline, an assessment 20 days after
    each session (each missing with probability ``p_missing``, so some gains and some
    sessions-to-band durations are censored), and the course's own rate of improvement.
    """
    rng = np.random.default_rng(seed)
    s, a = [], []
    for i in range(n_patients):
        pid = f"R{i:04d}"
        conditions = ["acne_scars"] + (["wrinkles"] if rng.random() < p_both else [])
        for condition in conditions:
            scale, best, base = ((GB, 0.0, float(rng.integers(30, 61))) if condition == "acne_scars"
                                 else (WS, 1.0, float(rng.integers(5, 10))))
            start = np.datetime64("2023-01-02") + np.timedelta64(int(rng.integers(0, 300)), "D")
            n_sessions = int(rng.integers(1, 7))
            rate = rng.uniform(0.05, 0.3)
            a.append(assessment(pid, str(start), base, condition, scale))
            for k in range(1, n_sessions + 1):
                day = start + np.timedelta64(30 * (k - 1), "D")
                s.append(session(pid, f"{pid}-{condition}-{k}", str(day), condition))
                if rng.random() < p_missing:
                    continue
                share = min(1.0, max(0.0, 1 - (1 - rate) ** k + rng.normal(0, 0.05)))
                score = round(base - share * (base - best), 2)
                a.append(assessment(pid, str(day + np.timedelta64(20, "D")), score, condition,
                                    scale))
    return make_log(s, a)


@pytest.fixture(scope="module")
def random_courses():
    return build_courses(random_log(7))


def value(result, condition, measure, column="estimate"):
    t = result.table
    row = t[(t["condition"] == condition) & (t["measure"] == measure)]
    assert len(row) == 1, (condition, measure)
    return row[column].iloc[0]


def ols_cluster(y, groups):
    """CR2 cluster-robust t interval of a mean on Bell-McCaffrey df, written out with dense
    matrices (the reference; ``outcomes`` computes it without the N x N matrices, and
    tests/test_regression.py checks that against R's clubSandwich). At 30 patients or fewer the
    variance is floored at s^2 / N, as ``outcomes.stats.intervals.mean`` documents."""
    y = np.asarray(y, float)
    codes = pd.factorize(pd.Series(groups))[0]
    N, G = y.size, codes.max() + 1
    ImH = np.eye(N) - np.full((N, N), 1.0 / N)
    e = ImH @ y
    Q = np.zeros((N, G))  # column g: (I - H)' A_g X_g M, so c'Vc = sum_g (Q_g' y)^2
    for g in range(G):
        rows = np.flatnonzero(codes == g)
        vals, vecs = np.linalg.eigh(ImH[np.ix_(rows, rows)])
        A = vecs @ np.diag(np.where(vals > 1e-12, vals ** -0.5, 0.0)) @ vecs.T
        Q[:, g] = ImH[:, rows] @ (A @ np.ones(rows.size) / N)
    var = float(np.sum((Q.T @ y) ** 2))
    P = Q.T @ Q
    df = np.trace(P) ** 2 / np.sum(P * P)
    if G <= 30 and G < N:
        var = max(var, e @ e / (N - 1) / N)
    q = stats.t.isf(0.025, df)
    return y.mean(), y.mean() - q * np.sqrt(var), y.mean() + q * np.sqrt(var)


# ----------------------------------------------------------------------------- hand-worked
def test_table_shape_and_columns(worked):
    r = outcomes_by_condition(worked)
    assert isinstance(r, ByCondition)
    assert list(r.table.columns) == TABLE_COLUMNS
    # conditions in vocabulary order, then all
    assert list(dict.fromkeys(r.table["condition"])) == ["acne_scars", "wrinkles", "all"]
    assert r.measures() == [
        "n_courses", "n_patients", "n_with_baseline", "n_with_final", "sessions_mean",
        "sessions_median", "final_improvement_mean", "final_improvement_median",
        "reached_visible", "reached_considerable", "reached_major"]
    assert r.table["n"].dtype == np.int64 and r.table["n_patients"].dtype == np.int64


def test_counts_and_sessions(worked):
    r = outcomes_by_condition(worked)
    # acne: P1, P2, P3, P6 -> 4 courses of 4 patients; wrinkles: P1, P4, P5 -> 3 of 3;
    # all: 7 courses of 6 patients (P1 twice)
    assert value(r, "acne_scars", "n_courses") == 4
    assert value(r, "wrinkles", "n_courses") == 3
    assert value(r, "all", "n_courses") == 7
    assert value(r, "all", "n_patients") == 6
    assert value(r, "all", "n_patients", "n") == 7
    assert value(r, "all", "n_with_final") == 7
    # sessions: acne (2 + 3 + 1 + 1) / 4 = 1.75, median of [1, 1, 2, 3] = 1.5;
    # wrinkles (2 + 1 + 3) / 3 = 2, median 2; all 13 / 7
    assert value(r, "acne_scars", "sessions_mean") == pytest.approx(1.75)
    assert value(r, "acne_scars", "sessions_median") == pytest.approx(1.5)
    assert value(r, "wrinkles", "sessions_mean") == pytest.approx(2.0)
    assert value(r, "wrinkles", "sessions_median") == pytest.approx(2.0)
    assert value(r, "all", "sessions_mean") == pytest.approx(13 / 7)
    assert np.isnan(value(r, "all", "n_courses", "ci_low"))


def test_final_improvement_and_bands(worked):
    r = outcomes_by_condition(worked)
    # acne finals [0.5, 0.3, 0, 1/3]: mean 1.1333 / 4 = 0.28333, median (0.3 + 1/3) / 2
    assert value(r, "acne_scars", "final_improvement_mean") == pytest.approx((0.8 + 1 / 3) / 4)
    assert value(r, "acne_scars", "final_improvement_median") == pytest.approx((0.3 + 1 / 3) / 2)
    # wrinkles finals [0.5, 0.5, 0]: mean 1/3, median 0.5
    assert value(r, "wrinkles", "final_improvement_mean") == pytest.approx(1 / 3)
    assert value(r, "wrinkles", "final_improvement_median") == pytest.approx(0.5)
    # all: [0.5, 0.3, 0, 1/3, 0.5, 0.5, 0] mean 2.1333 / 7; sorted median (4th) = 1/3
    assert value(r, "all", "final_improvement_mean") == pytest.approx((1.8 + 1 / 3) / 7)
    assert value(r, "all", "final_improvement_median") == pytest.approx(1 / 3)
    # bands: acne >= 0.10: 0.5, 0.3, 0.333 -> 3/4; >= 0.25: 3/4; >= 0.50: only P1 -> 1/4
    assert value(r, "acne_scars", "reached_visible") == pytest.approx(0.75)
    assert value(r, "acne_scars", "reached_considerable") == pytest.approx(0.75)
    assert value(r, "acne_scars", "reached_major") == pytest.approx(0.25)
    # wrinkles: 0.5, 0.5 reach every band, 0 none -> 2/3 each; all: 3 majors of 7
    assert value(r, "wrinkles", "reached_major") == pytest.approx(2 / 3)
    assert value(r, "all", "reached_major") == pytest.approx(3 / 7)


def test_independent_courses_give_textbook_intervals(worked):
    r = outcomes_by_condition(worked)
    # acne: one course per patient -> Student t and plain Wilson
    y = [0.5, 0.3, 0.0, 1 / 3]
    half = 3.182446305284263 * np.std(y, ddof=1) / 2  # t_{0.975, 3} s / sqrt(4)
    assert value(r, "acne_scars", "final_improvement_mean", "ci_low") == pytest.approx(
        np.mean(y) - half)
    assert value(r, "acne_scars", "final_improvement_mean", "ci_high") == pytest.approx(
        np.mean(y) + half)
    low, high = proportion_confint(1, 4, method="wilson")
    assert value(r, "acne_scars", "reached_major", "ci_low") == pytest.approx(low)
    assert value(r, "acne_scars", "reached_major", "ci_high") == pytest.approx(high)
    # Woodruff median of 4 independent values: ranks 2 -/+ 1.96 -> whole range or unbounded
    assert "Woodruff" in value(r, "acne_scars", "final_improvement_median", "method")


def test_all_row_is_clustered_by_patient(worked):
    r = outcomes_by_condition(worked)
    y = [0.5, 0.3, 0.0, 1 / 3, 0.5, 0.5, 0.0]
    g = ["P1", "P2", "P3", "P6", "P1", "P4", "P5"]
    est, low, high = ols_cluster(y, g)
    assert value(r, "all", "final_improvement_mean") == pytest.approx(est)
    assert value(r, "all", "final_improvement_mean", "ci_low") == pytest.approx(low)
    assert value(r, "all", "final_improvement_mean", "ci_high") == pytest.approx(high)
    assert value(r, "all", "final_improvement_mean", "n_patients") == 6
    assert "6 patients" in value(r, "all", "final_improvement_mean", "method")


def test_baseline_per_scale_is_not_pooled(worked):
    r = outcomes_by_condition(worked)
    b = r.extra["baseline"]
    assert list(b.columns) == BASELINE_COLUMNS
    acne = b[b["condition"] == "acne_scars"].set_index("scale")
    # quantitative: P1 40, P2 50, P3 20 -> 110 / 3; qualitative: P6 alone, 4 (no interval)
    assert acne.loc[GB, "estimate"] == pytest.approx(110 / 3)
    assert acne.loc[GB, "n"] == 3
    assert acne.loc[GBQ, "estimate"] == pytest.approx(4.0)
    assert acne.loc[GBQ, "n"] == 1 and np.isnan(acne.loc[GBQ, "ci_low"])
    assert "no interval" in acne.loc[GBQ, "method"]
    wr = b[b["condition"] == "wrinkles"]
    # 7, 5, 9 -> 7
    assert wr["estimate"].tolist() == pytest.approx([7.0])
    assert "all" not in set(b["condition"])


def test_custom_bands(worked):
    r = outcomes_by_condition(worked, bands={"half": 0.5, "some": 0.2})
    assert [m for m in r.measures() if m.startswith("reached_")] == ["reached_some",
                                                                     "reached_half"]
    # acne finals [0.5, 0.3, 0, 1/3]: >= 0.2 -> 3/4; >= 0.5 -> 1/4
    assert value(r, "acne_scars", "reached_some") == pytest.approx(0.75)
    assert value(r, "acne_scars", "reached_half") == pytest.approx(0.25)
    assert r.bands == {"some": 0.2, "half": 0.5}


def test_small_groups_keep_point_estimate_without_interval():
    # one course only: the mean is the value, no interval, the method says why
    log = make_log([session("A", "s1", "2024-01-01")],
                   [assessment("A", "2024-01-01", 40), assessment("A", "2024-01-20", 30)])
    r = outcomes_by_condition(build_courses(log))
    assert value(r, "acne_scars", "final_improvement_mean") == pytest.approx(0.25)
    assert np.isnan(value(r, "acne_scars", "final_improvement_mean", "ci_low"))
    assert value(r, "acne_scars", "final_improvement_mean", "method").startswith("no interval")


def test_courses_without_assessments():
    log = make_log([session("A", "s1", "2024-01-01"), session("B", "s2", "2024-01-01")])
    r = outcomes_by_condition(build_courses(log))
    assert value(r, "acne_scars", "n_courses") == 2
    assert value(r, "acne_scars", "final_improvement_mean", "n") == 0
    assert np.isnan(value(r, "acne_scars", "final_improvement_mean"))
    assert value(r, "acne_scars", "reached_major", "method") == (
        "no course with a final improvement: no course has an assessment")
    assert r.extra["baseline"].empty


def test_errors(worked):
    with pytest.raises(AnalysisError, match="build_courses"):
        outcomes_by_condition(worked.courses)
    with pytest.raises(AnalysisError, match="must be a number"):
        outcomes_by_condition(worked, bands={"major": "half"})
    with pytest.raises(AnalysisError, match="non-empty dict"):
        outcomes_by_condition(worked, bands={})


# ----------------------------------------------------------------------------- statsmodels
def test_clustered_mean_equals_statsmodels(random_courses):
    r = outcomes_by_condition(random_courses)
    c = random_courses.courses
    assert c["patient_id"].duplicated().any()  # patients with two courses
    for condition in ("acne_scars", "wrinkles", "all"):
        sub = c if condition == "all" else c[c["condition"] == condition]
        f = sub[sub["final_improvement"].notna()]
        est, low, high = ols_cluster(f["final_improvement"], f["patient_id"])
        got = r.table[(r.table["condition"] == condition)
                      & (r.table["measure"] == "final_improvement_mean")].iloc[0]
        assert got["estimate"] == pytest.approx(est)
        assert got["ci_low"] == pytest.approx(low)
        assert got["ci_high"] == pytest.approx(high)
        assert got["n"] == len(f)
        assert got["n_patients"] == f["patient_id"].nunique()
        est, low, high = ols_cluster(sub["n_sessions"], sub["patient_id"])
        assert value(r, condition, "sessions_mean", "ci_low") == pytest.approx(low)
        assert value(r, condition, "sessions_mean", "ci_high") == pytest.approx(high)


def test_shares_match_direct_counts(random_courses):
    r = outcomes_by_condition(random_courses)
    c = random_courses.courses
    f = c[c["final_improvement"].notna()]
    for band, threshold in random_courses.bands.items():
        share = float((f["final_improvement"] >= threshold).mean())
        assert value(r, "all", f"reached_{band}") == pytest.approx(share)
        assert value(r, "all", f"reached_{band}", "ci_low") <= share
        assert value(r, "all", f"reached_{band}", "ci_high") >= share
    # the median and its interval are order statistics of the data
    med = value(r, "all", "final_improvement_median")
    assert med == pytest.approx(float(np.median(f["final_improvement"])))
    lo = value(r, "all", "final_improvement_median", "ci_low")
    hi = value(r, "all", "final_improvement_median", "ci_high")
    assert lo <= med <= hi
    assert lo in set(f["final_improvement"]) and hi in set(f["final_improvement"])


# ----------------------------------------------------------------------------- inputs, output
def test_inputs_not_modified(random_courses):
    before = {name: getattr(random_courses, name).copy(deep=True)
              for name in ("sessions", "courses", "points", "events")}
    bands = copy.deepcopy(random_courses.bands)
    custom = {"a": 0.3}
    r = outcomes_by_condition(random_courses, bands=custom)
    r.plot()
    outcomes_by_condition(random_courses).summary()
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(random_courses, name), frame)
    assert random_courses.bands == bands
    assert custom == {"a": 0.3}


def test_summary_wide_and_html(worked):
    r = outcomes_by_condition(worked)
    w = r.wide()
    assert list(w["condition"]) == ["acne_scars", "wrinkles", "all"]
    assert w.loc[w["condition"] == "all", "n_courses"].item() == "7"
    text = r.summary()
    assert "Outcomes by condition" in text and GB in text and "Wilson" in text
    assert "<table" in r._repr_html_()
    assert r.to_frame().equals(r.table)


def test_plot(worked):
    r = outcomes_by_condition(worked)
    ax = r.plot()
    assert "final improvement" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # bottom to top: all, wrinkles, acne scars; with their numbers of courses
    assert labels == ["All conditions (n = 7)", "Wrinkles (n = 3)", "Acne scars (n = 4)"]
    # band thresholds drawn as vertical lines at 0.1, 0.25, 0.5 (plus the zero line)
    xs = sorted({round(line.get_xdata()[0], 6) for line in ax.get_lines()
                 if len(set(line.get_xdata())) == 1})
    assert {0.1, 0.25, 0.5} <= set(xs)
    fig, given = plt.subplots()
    assert r.plot(ax=given, measure="reached_major") is given
    assert given.get_xlim() == pytest.approx((-0.02, 1.02))
    with pytest.raises(AnalysisError, match="measures are"):
        r.plot(measure="nonsense")


# ----------------------------------------------------------------------------- simulation
@pytest.fixture(scope="module")
def simulated_truth():
    """A random bundle whose true mean final improvement and share reaching major are known.

    Every patient has an acne-scars and a surgical-scars course of one session, baseline 40
    (G&B, best 0); the end-of-treatment improvement is a patient effect u ~ U(0.2, 0.6) shared
    by both courses plus noise e ~ U(-0.1, 0.1) of each course.
    """
    rng = np.random.default_rng(11)
    n_patients = 1500
    s, a = [], []
    for i in range(n_patients):
        u = rng.uniform(0.2, 0.6)
        for condition in ("acne_scars", "surgical_scars"):
            pid = f"S{i}"
            s.append(session(pid, f"{pid}{condition}", "2024-01-01", condition))
            a.append(assessment(pid, "2024-01-01", 40, condition))
            imp = u + rng.uniform(-0.1, 0.1)
            a.append(assessment(pid, "2024-01-20", 40 * (1 - imp), condition))
    return build_courses(make_log(s, a))


def test_recovers_simulated_truth(simulated_truth):
    r = outcomes_by_condition(simulated_truth)
    # E[u + e] = 0.4
    assert value(r, "all", "final_improvement_mean") == pytest.approx(0.4, abs=0.01)
    assert value(r, "all", "final_improvement_mean", "ci_low") < 0.4
    assert value(r, "all", "final_improvement_mean", "ci_high") > 0.4
    # P(u + e >= 0.5): given u, P(e >= 0.5 - u) = clip((u - 0.4) / 0.2, 0, 1), a ramp from
    # 0 at u = 0.4 to 1 at u = 0.6; with the density 2.5 of u:
    # 2.5 * integral_{0.4}^{0.6} (u - 0.4) / 0.2 du = 2.5 * 0.1 = 0.25
    truth = 0.25
    assert value(r, "all", "reached_major") == pytest.approx(truth, abs=0.03)
    assert value(r, "all", "reached_major", "ci_low") < truth < value(r, "all", "reached_major",
                                                                       "ci_high")
    # the two courses of a patient are correlated: the clustered interval is wider than a naive
    # one on 3000 independent courses
    f = simulated_truth.courses["final_improvement"]
    naive_half = 1.96 * f.std() / math.sqrt(len(f))
    got_half = (value(r, "all", "final_improvement_mean", "ci_high")
                - value(r, "all", "final_improvement_mean", "ci_low")) / 2
    assert got_half > 1.2 * naive_half


def test_simulator_final_improvement_recovers_truth(tmp_path):
    from outcomes import load_bundle
    from outcomes.bundle.write import write_bundle
    from outcomes.simulate.draw import simulate
    from outcomes.simulate.params import SimulationParams

    # no measurement noise, no late gain: the simulator's truth of effective-<condition> is
    # the mean final improvement, up to rounding of scores to the scale's steps
    knobs = dict(condition_weights={"acne_scars": 0.5, "hyperpigmentation": 0.5,
                                    "surgical_scars": 0.0, "wrinkles": 0.0,
                                    "stretch_marks": 0.0, "alopecia": 0.0, "skin_laxity": 0.0,
                                    "enlarged_pores": 0.0, "texture": 0.0, "rosacea": 0.0},
                 second_condition_share=0.3, measurement_sd=0.0, late_gain=0.0,
                 acne_qualitative_share=0.0, effect={"acne_scars": 0.6,
                                                     "hyperpigmentation": 0.3})
    write_bundle(simulate(4000, seed=2, **knobs), tmp_path, format="parquet")
    courses = build_courses(load_bundle(tmp_path))
    truth = SimulationParams().replace(**knobs).truth()
    r = outcomes_by_condition(courses)
    for condition in ("acne_scars", "hyperpigmentation"):
        expected = truth[f"effective-{condition}"]
        assert value(r, condition, "final_improvement_mean") == pytest.approx(expected,
                                                                              abs=0.015)
        assert (value(r, condition, "final_improvement_mean", "ci_low") - 0.005 < expected
                < value(r, condition, "final_improvement_mean", "ci_high") + 0.005)
    # patients with two courses are one cluster
    c = courses.courses
    assert value(r, "all", "n_patients") == c["patient_id"].nunique() < len(c)
    assert "from" in value(r, "all", "final_improvement_mean", "method")


def test_why_no_course_has_a_final_improvement():
    """A missing final improvement says why: no assessments table, no baseline, or no room."""
    from dataclasses import replace

    log = make_log([session("A", "s1", "2024-01-01")])
    r = outcomes_by_condition(build_courses(replace(log, missing_tables=("assessments",))))
    assert value(r, "acne_scars", "final_improvement_mean", "method") == (
        "no course with a final improvement: the bundle has no assessments table")
    after_only = make_log([session("A", "s1", "2024-01-01")],
                          [assessment("A", "2024-01-20", 30)])
    r = outcomes_by_condition(build_courses(after_only))
    assert "no course has a baseline" in value(r, "acne_scars", "reached_major", "method")
    at_best = make_log([session("A", "s1", "2024-01-01")],
                       [assessment("A", "2024-01-01", 0), assessment("A", "2024-01-20", 0)])
    r = outcomes_by_condition(build_courses(at_best))
    assert "already at its scale's best" in value(r, "all", "final_improvement_median",
                                                  "method")
    assert value(r, "acne_scars", "n_with_baseline") == 1
