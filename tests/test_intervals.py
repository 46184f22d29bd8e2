"""Tests of ``outcomes.stats.intervals`` against statsmodels, a published example and hand
formulas."""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from outcomes.errors import AnalysisError
from outcomes.stats.intervals import (
    Estimate,
    bootstrap_weights,
    cluster_bootstrap,
    estimates_frame,
    mean,
    mean_difference,
    median,
    proportion,
    proportion_difference,
    risk_ratio,
    wilson,
)

REFERENCE = Path(__file__).parent / "reference"
R_CR2 = json.loads((REFERENCE / "cr2_r.json").read_text())  # tests/reference/make_cr2_r.R
DATA = pd.read_csv(REFERENCE / "cr2_data.csv")
Z = stats.norm.isf(0.025)


def clustered_binary(seed, G=80, max_size=5, a=1.0, b=2.0):
    """Binary outcomes of patients with 1..max_size units and a Beta(a, b) own probability."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_size + 1, G)
    cl = np.repeat(np.arange(G), sizes)
    p = rng.beta(a, b, G)[cl]
    y = (rng.random(cl.size) < p).astype(float)
    return y, cl, rng


def clustered_normal(seed, G=60, max_size=4, sd_u=1.0):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_size + 1, G)
    cl = np.repeat(np.arange(G), sizes)
    y = 2.0 + rng.normal(0, sd_u, G)[cl] + rng.normal(0, 1, cl.size)
    return y, cl, rng


# ----------------------------------------------------------------------------- Wilson
def test_wilson_equals_statsmodels_vectorised():
    pairs = [(x, n) for n in (1, 2, 5, 13, 70, 80, 1000) for x in sorted({0, 1, n // 3, n // 2,
                                                                         n - 1, n})]
    x, n = np.array(pairs, dtype=float).T
    for alpha in (0.05, 0.1, 0.01):
        low, high = wilson(x, n, alpha=alpha)
        ref_low, ref_high = proportion_confint(x, n, alpha=alpha, method="wilson")
        np.testing.assert_allclose(low, ref_low, rtol=0, atol=1e-14)
        np.testing.assert_allclose(high, ref_high, rtol=0, atol=1e-14)


def test_wilson_scalar_zero_n_and_errors():
    low, high = wilson(56, 70)
    assert isinstance(low, float) and isinstance(high, float)
    assert (round(low, 4), round(high, 4)) == (0.6918, 0.877)
    low, high = wilson(0, 0)
    assert math.isnan(low) and math.isnan(high)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    with pytest.raises(AnalysisError, match="between 0 and n"):
        wilson(11, 10)
    with pytest.raises(AnalysisError, match="alpha"):
        wilson(1, 10, alpha=1.5)


# ----------------------------------------------------------------------------- proportion
def test_proportion_unclustered_is_plain_wilson_exactly():
    rng = np.random.default_rng(1)
    y = (rng.random(312) < 0.3).astype(int)
    ref = proportion_confint(y.sum(), y.size, method="wilson")
    for cl in (None, np.arange(312), [f"p{i}" for i in range(312)]):
        e = proportion(y, cluster=cl)
        assert e.estimate == y.mean()
        assert (e.ci_low, e.ci_high) == wilson(y.sum(), y.size)
        assert e.ci_low == pytest.approx(ref[0], abs=1e-14)
        assert e.n == 312 and e.n_clusters == 312
        assert e.method == "Wilson score (312 independent units)"


def _r_share(name):
    """Korn-Graubard Wilson interval from R's CR2 variance and df of ``lm(yb ~ 1)``."""
    d = DATA[DATA["dataset"] == name].reset_index(drop=True)
    ref = R_CR2[name]["yb ~ 1"]
    y = d["yb"].to_numpy(float)
    n, p = y.size, y.mean()
    deff = ref["se"] ** 2 / (p * (1 - p) / (n - 1))
    n_eff = n / max(deff, 1.0) * (Z / stats.t.isf(0.025, ref["df"])) ** 2
    return d, y, deff, n_eff, ref["df"]


@pytest.mark.parametrize("name", ["g2", "g3", "g4", "g5", "g12", "g60"])
def test_proportion_clustered_equals_korn_graubard_wilson_from_clubsandwich_cr2(name):
    d, y, deff, n_eff, df = _r_share(name)
    e = proportion(y, cluster=d["patient"], unit_label="sessions")
    low, high = proportion_confint(y.mean() * n_eff, n_eff, method="wilson")
    assert e.ci_low == pytest.approx(low, abs=1e-10)
    assert e.ci_high == pytest.approx(high, abs=1e-10)
    G = d["patient"].nunique()
    assert e.n == y.size and e.n_clusters == G
    assert f"{y.size} sessions from {G} patients" in e.method
    assert f"Korn-Graubard factor on {df:.1f} Bell-McCaffrey df" in e.method
    if deff > 1:
        assert f"cluster-adjusted effective n {n_eff:.1f}, design effect {deff:.2f}" in e.method


def test_proportion_clustered_is_wider_than_naive():
    y, cl, _ = clustered_binary(2)
    e = proportion(y, cluster=cl)
    naive = proportion(y)
    assert e.ci_high - e.ci_low > 1.2 * (naive.ci_high - naive.ci_low)


def test_proportion_effective_n_capped_at_n():
    # every patient has one success and one failure: between-cluster variance below binomial;
    # the effective n is n (the floor), times the Korn-Graubard factor on 49 df
    y = np.tile([1, 0], 50)
    cl = np.repeat(np.arange(50), 2)
    e = proportion(y, cluster=cl)
    n_eff = 100 * (Z / stats.t.isf(0.025, 49)) ** 2
    assert (e.ci_low, e.ci_high) == pytest.approx(wilson(n_eff / 2, n_eff), abs=1e-12)


def test_proportion_all_zero_or_one_rests_on_the_patients():
    # 2 patients with 10 courses each, all successes: not [0.84, 1] (the 20 courses as if
    # independent) but the Wilson interval of 2 patients with the df factor (1 df)
    cl = np.repeat([0, 1], 10)
    e = proportion(np.ones(20), cluster=cl)
    n_eff = 2 * (Z / stats.t.isf(0.025, 1)) ** 2
    assert e.ci_low == pytest.approx(n_eff / (n_eff + Z**2), abs=1e-12)
    assert e.ci_low < 0.5 and e.ci_high == 1.0
    assert "effective n from the patients" in e.method
    cl = np.repeat(np.arange(10), 3)
    for value in (0, 1):
        e = proportion(np.full(30, value), cluster=cl)
        low, high = wilson(10 * value, 10)
        assert (e.ci_low < low) if value else (e.ci_high > high)  # at least 10 patients' width
        assert (e.ci_low, e.ci_high)[value] == float(value)


def test_proportion_rejects_missing_and_non_binary_and_single_cluster():
    with pytest.raises(AnalysisError, match=r"2 missing.*positions 1, 3"):
        proportion([1, np.nan, 0, np.nan])
    with pytest.raises(AnalysisError, match="0/1"):
        proportion([0, 1, 2])
    with pytest.raises(AnalysisError, match="at least 2 clusters"):
        proportion([0, 1, 1], cluster=["a", "a", "a"])
    with pytest.raises(AnalysisError, match="missing labels"):
        proportion([0, 1, 1], cluster=["a", None, "b"])
    with pytest.raises(AnalysisError, match="empty"):
        proportion([])
    with pytest.raises(AnalysisError, match="missing"):
        proportion(pd.Series([1, None, 0], dtype="Int64"))


def test_inputs_are_not_modified():
    y = pd.Series([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    g = pd.Series([1, 1, 0, 0, 1, 0])
    cl = pd.Series(["a", "a", "b", "c", "c", "d"], dtype="str")
    copies = [y.copy(), g.copy(), cl.copy()]
    proportion(y, cluster=cl)
    proportion_difference(y, g, cluster=cl)
    mean(y, cluster=cl)
    mean_difference(y, g, cluster=cl)
    risk_ratio(y, g, cluster=cl)
    median(y, cluster=cl)
    for before, after in zip(copies, (y, g, cl), strict=True):
        pd.testing.assert_series_equal(before, after)


# ----------------------------------------------------------------------------- Newcombe
def _counts_to_units(x1, n1, x0, n0):
    y = np.r_[np.ones(x1), np.zeros(n1 - x1), np.ones(x0), np.zeros(n0 - x0)]
    g = np.r_[np.ones(n1), np.zeros(n0)]
    return y, g


def test_proportion_difference_reproduces_newcombe_1998_table_ii():
    ref = json.loads((REFERENCE / "newcombe_1998.json").read_text())
    for ex in ref["examples"]:
        y, g = _counts_to_units(ex["x1"], ex["n1"], ex["x2"], ex["n2"])
        e = proportion_difference(y, g)
        assert round(e.ci_low, 4) == ex["published"]["ci_low"], ex["label"]
        assert round(e.ci_high, 4) == ex["published"]["ci_high"], ex["label"]
        assert e.ci_low == pytest.approx(ex["computed"]["ci_low"], abs=1e-12)
        assert e.ci_high == pytest.approx(ex["computed"]["ci_high"], abs=1e-12)
    # the example of the brief, written out: 56/70 - 48/80 = 0.2000 (0.0524 to 0.3339)
    e = proportion_difference(*_counts_to_units(56, 70, 48, 80))
    assert e.estimate == pytest.approx(0.2, abs=1e-15)
    assert (round(e.ci_low, 4), round(e.ci_high, 4)) == (0.0524, 0.3339)
    assert e.n == 150 and "Newcombe hybrid score (method 10)" in e.method


def test_proportion_difference_equals_statsmodels_newcomb():
    rng = np.random.default_rng(3)
    for _ in range(40):
        n1, n0 = rng.integers(1, 60, 2)
        x1, x0 = rng.integers(0, n1 + 1), rng.integers(0, n0 + 1)
        e = proportion_difference(*_counts_to_units(x1, n1, x0, n0))
        low, high = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
        assert e.ci_low == pytest.approx(low, abs=1e-12)
        assert e.ci_high == pytest.approx(high, abs=1e-12)


def test_proportion_difference_nested_clusters_uses_each_groups_effective_n():
    y, cl, rng = clustered_binary(4, G=120)
    g = (cl % 2 == 0).astype(int)  # a patient-level attribute: clusters nested in groups
    e = proportion_difference(y, g, cluster=cl)
    e1 = proportion(y[g == 1], cluster=cl[g == 1])
    e0 = proportion(y[g == 0], cluster=cl[g == 0])
    d = e1.estimate - e0.estimate
    low = d - math.hypot(e1.estimate - e1.ci_low, e0.ci_high - e0.estimate)
    high = d + math.hypot(e1.ci_high - e1.estimate, e0.estimate - e0.ci_low)
    assert e.estimate == pytest.approx(d, abs=1e-15)
    assert e.ci_low == pytest.approx(low, abs=1e-14)
    assert e.ci_high == pytest.approx(high, abs=1e-14)
    assert "MOVER" not in e.method and "cluster-adjusted" in e.method


def test_proportion_difference_crossed_clusters_adds_the_correlation():
    # sessions with and without a flag within the same patients: positively correlated shares
    y, cl, rng = clustered_binary(5, G=150, a=0.5, b=1.0)
    g = (rng.random(y.size) < 0.5).astype(int)
    e = proportion_difference(y, g, cluster=cl)
    p1, p0 = y[g == 1].mean(), y[g == 0].mean()
    G = cl.max() + 1
    e1 = np.bincount(cl, weights=np.where(g == 1, y - p1, 0), minlength=G)
    e0 = np.bincount(cl, weights=np.where(g == 0, y - p0, 0), minlength=G)
    r = e1 @ e0 / math.sqrt((e1 @ e1) * (e0 @ e0))
    assert r > 0.1
    a1, a0 = proportion(y[g == 1], cluster=cl[g == 1]), proportion(y[g == 0], cluster=cl[g == 0])
    lo_a, lo_b = p1 - a1.ci_low, a0.ci_high - p0
    hi_a, hi_b = a1.ci_high - p1, p0 - a0.ci_low
    assert e.ci_low == pytest.approx(p1 - p0 - math.sqrt(lo_a**2 + lo_b**2 - 2 * r * lo_a * lo_b))
    assert e.ci_high == pytest.approx(p1 - p0 + math.sqrt(hi_a**2 + hi_b**2 - 2 * r * hi_a * hi_b))
    assert f"MOVER correlation {r:.3f}" in e.method


def test_proportion_difference_levels():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    g = np.array(["dark", "dark", "dark", "light", "light", "light", "dark", "light"])
    with pytest.raises(AnalysisError, match=r"levels=\(a, b\)"):
        proportion_difference(y, g)
    a = proportion_difference(y, g, levels=("dark", "light"))
    b = proportion_difference(y, g, levels=("light", "dark"))
    assert a.estimate == pytest.approx(0.5) and b.estimate == pytest.approx(-0.5)
    assert (a.ci_low, a.ci_high) == pytest.approx((-b.ci_high, -b.ci_low))
    assert "dark minus light" in a.method
    with pytest.raises(AnalysisError, match="outside levels"):
        proportion_difference(y, g, levels=("dark", "medium"))
    with pytest.raises(AnalysisError, match="no units"):
        proportion_difference([1, 0, 1], [1, 1, 1])
    with pytest.raises(AnalysisError, match="missing labels"):
        proportion_difference([1, 0, 1], [1, None, 0])


# ----------------------------------------------------------------------------- means
def _r_t(ref, floor, j=None, cap=None):
    """(estimate, low, high, df) of R's CR2/Bell-McCaffrey t interval, with the floor (the
    independent-units standard error when larger) and the cap of a comparison's df."""
    pick = (lambda v: np.atleast_1d(v)[j]) if j is not None else (lambda v: v)
    est, se, df = pick(ref["coef"] if "coef" in ref else ref["estimate"]), pick(ref["se"]), \
        pick(ref["df"])
    if floor:
        se = max(se, pick(ref["se_units"]))
    if cap is not None:
        df = min(df, cap - 1)
    q = stats.t.isf(0.025, df)
    return est, est - q * se, est + q * se, df


SETS = ["g2", "g3", "g4", "g5", "g12", "g60"]


@pytest.mark.parametrize("name", SETS)
def test_mean_equals_clubsandwich_cr2_satterthwaite(name):
    d = DATA[DATA["dataset"] == name].reset_index(drop=True)
    G = d["patient"].nunique()
    est, low, high, df = _r_t(R_CR2[name]["y ~ 1"], G <= 30)
    e = mean(d["y"], cluster=d["patient"], unit_label="sessions")
    assert e.estimate == pytest.approx(est, abs=1e-12)
    assert e.ci_low == pytest.approx(low, abs=1e-10)
    assert e.ci_high == pytest.approx(high, abs=1e-10)
    assert f"CR2 standard error, t on {df:.1f} Bell-McCaffrey df" in e.method
    assert f"{len(d)} sessions from {G} patients" in e.method


def test_mean_alpha_is_honoured():
    d = DATA[DATA["dataset"] == "g60"].reset_index(drop=True)
    ref = R_CR2["g60"]["y ~ 1"]
    e = mean(d["y"], cluster=d["patient"], alpha=0.1)
    assert e.ci_low == pytest.approx(ref["coef"] - stats.t.isf(0.05, ref["df"]) * ref["se"],
                                     abs=1e-10)


def test_mean_unclustered_is_student_t():
    y, _, _ = clustered_normal(7)
    e = mean(y)
    low, high = stats.t.interval(0.95, y.size - 1, loc=y.mean(), scale=stats.sem(y))
    assert (e.ci_low, e.ci_high) == pytest.approx((low, high), abs=1e-12)
    assert e.method.startswith("Student t")


def test_mean_never_a_point_below_30_patients():
    # the case, 30 patients scoring 2 and 4: identical patient means, CR2 variance 0
    # (it gave 3 [3, 3]); floored at s^2/N
    y = np.tile([2.0, 4.0], 30)
    cl = np.repeat(np.arange(30), 2)
    e = mean(y, cluster=cl)
    half = stats.t.isf(0.025, 29) * stats.sem(y)  # df of 30 clusters of 2: 29
    assert (e.ci_low, e.ci_high) == pytest.approx((3 - half, 3 + half), abs=1e-10)
    assert "floored" in e.method
    # all values equal: no spread, and the method says so
    assert "no spread" in mean(np.full(6, 3.0), cluster=[1, 1, 2, 2, 3, 3]).method


def test_mean_errors():
    with pytest.raises(AnalysisError, match="at least 2 units"):
        mean([1.0])
    with pytest.raises(AnalysisError, match="at least 2 clusters"):
        mean([1.0, 2.0, 3.0], cluster=[1, 1, 1])
    with pytest.raises(AnalysisError, match="missing"):
        mean([1.0, np.nan])
    with pytest.raises(AnalysisError, match="numbers"):
        mean(["a", "b"])


def _min_arm(d, col="a"):
    return min(d.loc[d[col] == v, "patient"].nunique() for v in (0, 1))


@pytest.mark.parametrize("name", SETS)
def test_mean_difference_equals_clubsandwich_cr2_satterthwaite(name):
    d = DATA[DATA["dataset"] == name].reset_index(drop=True)
    est, low, high, df = _r_t(R_CR2[name]["y ~ a"], _min_arm(d) <= 30, j=1, cap=_min_arm(d))
    e = mean_difference(d["y"], d["a"], cluster=d["patient"])
    assert e.estimate == pytest.approx(est, abs=1e-10)
    assert e.ci_low == pytest.approx(low, abs=1e-10)
    assert e.ci_high == pytest.approx(high, abs=1e-10)
    assert f"t on {df:.1f} Bell-McCaffrey df" in e.method or f"t on {df:.0f} df" in e.method


def test_mean_difference_unclustered_is_welch_se_with_bell_mccaffrey_df():
    d = DATA[DATA["dataset"] == "g60"].reset_index(drop=True)
    ref = R_CR2["g60"]["y ~ a"]
    y, g = d["y"].to_numpy(), d["a"].to_numpy()
    e = mean_difference(y, g)
    se = math.sqrt(y[g == 1].var(ddof=1) / (g == 1).sum() + y[g == 0].var(ddof=1)
                   / (g == 0).sum())
    assert se == pytest.approx(ref["se_units"][1], rel=1e-10)
    q = stats.t.isf(0.025, ref["df_units"][1])
    assert e.ci_high - e.estimate == pytest.approx(q * se, rel=1e-10)
    assert "HC2 (Welch)" in e.method
    # boolean groups and explicit levels agree
    b = mean_difference(y, g.astype(bool))
    lab = mean_difference(y, np.where(g == 1, "pro", "home"), levels=("pro", "home"))
    assert b == e
    assert lab.ci_low == pytest.approx(e.ci_low, abs=1e-12)


# ----------------------------------------------------------------------------- risk ratio
@pytest.mark.parametrize("name", SETS)
def test_risk_ratio_equals_clubsandwich_log_scale_cr2(name):
    d = DATA[DATA["dataset"] == name].reset_index(drop=True)
    ref = R_CR2[name]["crude_b"]["log_ratio"]
    _, low, high, df = _r_t(ref, _min_arm(d) <= 30, cap=_min_arm(d))
    e = risk_ratio(d["yb"], d["a"], cluster=d["patient"])
    assert math.log(e.estimate) == pytest.approx(ref["estimate"], abs=1e-12)
    assert math.log(e.ci_low) == pytest.approx(low, abs=1e-10)
    assert math.log(e.ci_high) == pytest.approx(high, abs=1e-10)
    head = "log-scale cluster-robust CR2 standard error, t on "
    assert (f"{head}{df:.1f} Bell-McCaffrey df" in e.method
            or f"{head}{df:.0f} df (Bell-McCaffrey" in e.method)


def test_risk_ratio_few_exposed_patients_is_not_narrower_than_katz():
    # the case: 80 patients; 12 flagged sessions from 4 patients with 3 events (one
    # each for three of them), against 3 events per 4 unflagged sessions... 4.2-fold
    rng = np.random.default_rng(17)
    cl = np.repeat(np.arange(80), 4)
    g = np.zeros(cl.size, dtype=int)
    g[:16] = np.tile([1, 1, 1, 0], 4)  # patients 0-3: 3 flagged sessions each
    y = np.zeros(cl.size)
    y[[0, 4, 8]] = 1.0  # one event in the flagged sessions of patients 0, 1, 2
    un = np.flatnonzero(g == 0)
    y[rng.choice(un, 18, replace=False)] = 1.0
    e = risk_ratio(y, g, cluster=cl)
    x1, n1, x0, n0 = 3, 12, y[g == 0].sum(), (g == 0).sum()
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    katz = (e.estimate * math.exp(-Z * se), e.estimate * math.exp(Z * se))
    assert e.estimate == pytest.approx((3 / 12) / (x0 / n0))
    assert e.ci_low <= katz[0] and e.ci_high >= katz[1], (e, katz)
    assert "t on 3 df (Bell-McCaffrey" in e.method and "4 patients minus 1" in e.method


def test_risk_ratio_unclustered_is_hc2_log_scale():
    y, _, rng = clustered_binary(3, G=300, max_size=1)
    g = rng.integers(0, 2, y.size)
    e = risk_ratio(y, g)
    p1, p0 = y[g == 1].mean(), y[g == 0].mean()
    n1, n0 = (g == 1).sum(), (g == 0).sum()
    se = math.sqrt((1 - p1) / (p1 * (n1 - 1)) + (1 - p0) / (p0 * (n0 - 1)))
    assert math.log(e.ci_high / e.estimate) == pytest.approx(stats.t.isf(0.025, 297) * se,
                                                             rel=0.01)
    assert "log-scale HC2" in e.method


def test_risk_ratio_zero_events_is_a_clear_error():
    y = np.array([0, 0, 0, 1, 1, 0])
    g = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(AnalysisError, match=r"group 0 has no events in 3 units.*difference"):
        risk_ratio(y, g)


# ----------------------------------------------------------------------------- median
def test_median_unclustered_is_the_order_statistic_interval():
    # n = 100: ranks floor(50 - 9.8 + 0.5) = 40 and 101 - 40 = 61; binomial coverage 0.965
    e = median(np.arange(1.0, 101.0))
    assert (e.estimate, e.ci_low, e.ci_high) == (50.5, 40.0, 61.0)
    cover = stats.binom.cdf(60, 100, 0.5) - stats.binom.cdf(39, 100, 0.5)
    assert 0.95 < cover < 0.97
    # n = 20: ranks 6 and 15 (the textbook interval, coverage 0.959)
    e = median(np.arange(1.0, 21.0)[::-1])
    assert (e.ci_low, e.ci_high) == (6.0, 15.0)
    assert e.method == "Woodruff (order-statistic) interval (20 independent units)"


def test_median_with_ties_and_tiny_samples():
    y = np.array([30, 30, 30, 45, 45, 60, 30, 20, 30, 45, 30, 60, 15, 30, 45] * 4, float)
    e = median(y)
    assert e.estimate == 30.0
    assert e.ci_low <= 30.0 <= e.ci_high
    assert set([e.ci_low, e.ci_high]) <= set(y)
    e = median([5.0, 1.0, 3.0])
    assert e.estimate == 3.0 and e.ci_low == -math.inf and e.ci_high == math.inf
    assert "too few units" in e.method


def _bootstrap_median(y, cl, n_boot, seed):
    """Percentile cluster bootstrap of the median, vectorised over resamples (test helper)."""
    order = np.argsort(y, kind="stable")
    ys, cs = y[order], cl[order]
    G = cl.max() + 1
    reps = []
    for W in bootstrap_weights(G, n_boot, seed=seed):
        w = W[:, cs]  # (b, n) weights of the sorted units
        cw = np.cumsum(w, axis=1)
        half = cw[:, -1:] / 2
        lo = np.argmax(cw >= half, axis=1)  # lower median
        hi = np.argmax(cw > half, axis=1)  # upper median
        reps.append((ys[lo] + ys[hi]) / 2)
    reps = np.concatenate(reps)
    return np.quantile(reps, [0.025, 0.975]), reps.std()


def test_median_clustered_agrees_with_a_large_cluster_bootstrap():
    rng = np.random.default_rng(11)
    G = 400
    sizes = rng.integers(1, 7, G)
    cl = np.repeat(np.arange(G), sizes)
    y = np.exp(0.4 * (rng.normal(0, 1, G)[cl] + rng.normal(0, 0.8, cl.size))) * 40
    e = median(y, cluster=cl)
    (b_low, b_high), _ = _bootstrap_median(y, cl, 4000, seed=5)
    width = e.ci_high - e.ci_low
    assert abs(e.ci_low - b_low) < 0.15 * width
    assert abs(e.ci_high - b_high) < 0.15 * width
    naive = median(y)
    assert naive.ci_high - naive.ci_low < 0.8 * width  # clustering matters here
    assert "Woodruff interval: inverted cluster-robust" in e.method


# ----------------------------------------------------------------------------- bootstrap
def test_bootstrap_weights_are_multinomial_and_reproducible():
    blocks = list(bootstrap_weights(7, 1000, seed=3, max_cells=700))
    assert [b.shape for b in blocks] == [(100, 7)] * 10
    W = np.vstack(blocks)
    assert np.all(W.sum(axis=1) == 7)
    assert W.mean() == pytest.approx(1.0, abs=0.05)
    assert W.var() == pytest.approx(6 / 7, abs=0.08)  # multinomial variance 1 - 1/G
    again = np.vstack(list(bootstrap_weights(7, 1000, seed=3)))  # one block, same draws
    np.testing.assert_array_equal(W, again)


def test_cluster_bootstrap_of_a_mean_matches_the_cluster_robust_se():
    y, cl, _ = clustered_normal(4, G=200)
    values = np.column_stack([y, np.ones(y.size)])
    e = cluster_bootstrap(values, lambda t: t[:, 0] / t[:, 1], cluster=cl, n_boot=4000, seed=1)
    ref = mean(y, cluster=cl)
    assert e.estimate == pytest.approx(y.mean(), rel=1e-14)
    width, ref_width = e.ci_high - e.ci_low, ref.ci_high - ref.ci_low
    assert width == pytest.approx(ref_width, rel=0.08)
    assert abs((e.ci_low + e.ci_high) / 2 - y.mean()) < 0.1 * width
    assert "cluster bootstrap, percentile interval, 4000 resamples (seed 1)" in e.method
    again = cluster_bootstrap(values, lambda t: t[:, 0] / t[:, 1], cluster=cl, n_boot=4000, seed=1)
    assert again == e
    other = cluster_bootstrap(values, lambda t: t[:, 0] / t[:, 1], cluster=cl, n_boot=4000, seed=2)
    assert other.ci_low != e.ci_low


def test_cluster_bootstrap_one_dimensional_values_and_undefined_resamples():
    y = np.array([0.0, 0.0, 1.0, 2.0])
    e = cluster_bootstrap(y, lambda t: np.log(t), cluster=[1, 1, 2, 3], n_boot=300, seed=1)
    assert e.estimate == pytest.approx(math.log(3.0))
    assert "undefined dropped" in e.method
    with pytest.raises(AnalysisError, match="one value per row"):
        cluster_bootstrap(y, lambda t: np.array([1.0]), n_boot=10)


def test_cluster_bootstrap_memory_stays_bounded_for_200000_clusters():
    G = 200_000
    rng = np.random.default_rng(0)
    cl = np.repeat(np.arange(G), 2)
    y = rng.random(2 * G)
    values = np.column_stack([y, np.ones(2 * G)])
    tracemalloc.start()
    try:
        e = cluster_bootstrap(values, lambda t: t[:, 0] / t[:, 1], cluster=cl, n_boot=200, seed=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 80 * 2**20  # a dense 200 x 200,000 float64 weight matrix alone is 320 MB
    assert e.n_clusters == G and e.ci_low < 0.5 < e.ci_high


# ----------------------------------------------------------------------------- result type
def test_estimate_is_frozen_and_tidy():
    e = proportion([1, 0, 1, 1])
    assert isinstance(e, Estimate)
    with pytest.raises(AttributeError):
        e.estimate = 0.0  # type: ignore[misc]
    d = e.to_dict()
    assert list(d) == ["estimate", "ci_low", "ci_high", "n", "n_clusters", "method"]
    df = estimates_frame({"a": e, "b": mean([1.0, 2.0, 4.0])})
    assert list(df["quantity"]) == ["a", "b"] and df.shape == (2, 7)
    assert estimates_frame([e]).shape == (1, 6)


def test_docstring_examples_run():
    import doctest

    import outcomes.stats.intervals

    result = doctest.testmod(outcomes.stats.intervals, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


def test_wilson_bounds_are_exact_at_no_success_and_no_failure():
    """With 0 successes the lower bound is 0 and with n the upper is 1, exactly, for any
    (effective, non-integer) n: rounding used to leave about 1e-17, which put a clinic with no
    event 'above' an overall rate of 0."""
    n = np.concatenate([np.arange(1, 300, dtype=float), np.linspace(1.01, 99.9, 500)])
    low, _ = wilson(np.zeros_like(n), n)
    _, high = wilson(n, n)
    assert (low == 0.0).all() and (high == 1.0).all()
    low, high = wilson(0.0, np.array([0.0, 12.0]))
    assert np.isnan(low[0]) and np.isnan(high[0]) and low[1] == 0.0


# ------------------------------------------------------------------ skewness-corrected mean
def test_mean_skew_correction_by_hand():
    # 10 independent values 0 0 1 1 1 2 2 3 4 6: mean 2, sum e^2 = 32, s^2 = 32/9, se =
    # sqrt(32/90) = 0.596285; sum e^3 = 54, so sum u^3 = 54/1000 and k3 = 0.054 * 100 / (9 * 8)
    # = 0.075, gamma = 0.075 / se^3 = 0.353753 (below the cap 3 (sqrt(t^2 + 2/3) - t) = 0.4285
    # on 9 df); a = gamma/3, b = gamma/6, interval 2 - se ginv(+/-t_9) with ginv(x) =
    # ((1 + 3a(x - b))^(1/3) - 1) / a (Hall 1992): 0.929076 to 4.207454, against the t
    # interval's 0.651110 to 3.348890
    y = np.array([0.0, 0, 1, 1, 1, 2, 2, 3, 4, 6])
    se = math.sqrt(32 / 90)
    gamma = 0.075 / se**3
    assert gamma == pytest.approx(0.353753, abs=1e-6)
    a, b, q = gamma / 3, gamma / 6, stats.t.isf(0.025, 9)

    def ginv(x):
        return (np.cbrt(1 + 3 * a * (x - b)) - 1) / a

    e = mean(y, skew=True)
    assert (e.ci_low, e.ci_high) == pytest.approx((2 - se * ginv(q), 2 - se * ginv(-q)),
                                                  abs=1e-12)
    assert (e.ci_low, e.ci_high) == pytest.approx((0.929076, 4.207454), abs=1e-6)
    # a long right tail lifts both ends above the symmetric t interval's
    plain = mean(y)
    assert e.ci_low > plain.ci_low and e.ci_high > plain.ci_high
    assert "skewness-corrected (Hall 1992" in e.method and e.estimate == plain.estimate
    # a stronger skewness is capped where the transformation stops being invertible: the
    # argument of the cube root is then 0 at -t, the upper end 3 se / gamma_max above the mean
    y2 = np.array([0.0, 0, 0, 1, 1, 1, 1, 2, 3, 9])
    e2 = mean(y2, skew=True)
    cap = 3 * (math.sqrt(q * q + 2 / 3) - q)
    se2 = stats.sem(y2)
    assert "capped" in e2.method
    assert e2.ci_high == pytest.approx(1.8 + 3 * se2 / cap, rel=1e-12)
    # fewer than 10 units or patients: no correction (the skewness of so few says nothing)
    assert "skewness" not in mean(y[:9], skew=True).method


def test_mean_skew_correction_is_symmetric_and_vanishes_without_skew():
    rng = np.random.default_rng(5)
    y = rng.exponential(1.0, 60)
    cl = np.repeat(np.arange(20), 3)
    up, down = mean(y, cluster=cl, skew=True), mean(-y, cluster=cl, skew=True)
    assert (up.ci_low, up.ci_high) == pytest.approx((-down.ci_high, -down.ci_low), abs=1e-12)
    sym = np.r_[y, 2 * y.mean() - y]  # mirrored: no skewness at all
    cl2 = np.r_[cl, cl + 20]
    a, b = mean(sym, cluster=cl2, skew=True), mean(sym, cluster=cl2)
    assert (a.ci_low, a.ci_high) == pytest.approx((b.ci_low, b.ci_high), abs=1e-9)
    # fewer than 10 clusters: the plain interval
    few = mean(y[:27], cluster=cl[:27], skew=True)
    assert "skewness" not in few.method and few.n_clusters == 9


@pytest.mark.slow
def test_mean_skew_correction_keeps_the_upper_end_above_a_skewed_truth():
    # a skewed clustered outcome (a patient's own level, Beta(0.75, 2.25) x 10, as pain; 20
    # patients of 5 sessions): the plain t interval's upper end falls below the true mean 2.5
    # in 4.6% of 1000 replicates (Monte-Carlo SE 0.7), the corrected one in 2.2% (SE 0.5);
    # its lower end above the truth 2.0% and 2.7%
    rng = np.random.default_rng(11)
    below_plain = below_skew = above_skew = 0
    R = 1000
    for _ in range(R):
        level = rng.beta(0.75, 2.25, 20)
        y = rng.binomial(10, np.repeat(level, 5)).astype(float)
        cl = np.repeat(np.arange(20), 5)
        below_plain += mean(y, cluster=cl).ci_high < 2.5
        skewed = mean(y, cluster=cl, skew=True)
        below_skew += skewed.ci_high < 2.5
        above_skew += skewed.ci_low > 2.5
    assert below_plain / R > 0.035
    assert below_skew / R < 0.035 and above_skew / R < 0.035
