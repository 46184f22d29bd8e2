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
import statsmodels.api as sm
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


def test_proportion_clustered_design_effect_matches_statsmodels_cluster_variance():
    y, cl, _ = clustered_binary(2)
    n = y.size
    G = np.unique(cl).size
    p = y.mean()
    fit = sm.OLS(y, np.ones(n)).fit(cov_type="cluster", cov_kwds={"groups": cl})
    v_clu = fit.bse[0] ** 2  # CR1: G/(G-1) sum_g e_g^2 / n^2 for an intercept-only model
    deff = v_clu / (p * (1 - p) / (n - 1))
    n_eff = n / deff
    assert deff > 1.2  # a clustered design
    e = proportion(y, cluster=cl, unit_label="sessions")
    low, high = proportion_confint(p * n_eff, n_eff, method="wilson")
    assert e.ci_low == pytest.approx(low, abs=1e-12)
    assert e.ci_high == pytest.approx(high, abs=1e-12)
    assert e.n == n and e.n_clusters == G
    assert f"{n} sessions from {G} patients" in e.method
    assert f"cluster-adjusted effective n {n_eff:.1f}, design effect {deff:.2f}" in e.method
    # wider than the naive interval
    naive = proportion(y)
    assert e.ci_high - e.ci_low > naive.ci_high - naive.ci_low


def test_proportion_effective_n_capped_at_n():
    # every patient has one success and one failure: between-cluster variance below binomial
    y = np.tile([1, 0], 50)
    cl = np.repeat(np.arange(50), 2)
    e = proportion(y, cluster=cl)
    assert (e.ci_low, e.ci_high) == wilson(50, 100)


def test_proportion_all_zero_or_one_uses_nominal_n():
    cl = np.repeat(np.arange(10), 3)
    for value in (0, 1):
        e = proportion(np.full(30, value), cluster=cl)
        assert (e.ci_low, e.ci_high) == wilson(30 * value, 30)
        assert "nominal n" in e.method


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
def _ols_cluster(y, X, groups):
    return sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mean_equals_statsmodels_cluster_ols(seed):
    y, cl, _ = clustered_normal(seed)
    fit = _ols_cluster(y, np.ones(y.size), cl)
    e = mean(y, cluster=cl, unit_label="sessions")
    low, high = fit.conf_int()[0]
    assert e.estimate == pytest.approx(fit.params[0], abs=1e-10)
    assert e.ci_low == pytest.approx(low, abs=1e-10)
    assert e.ci_high == pytest.approx(high, abs=1e-10)
    G = np.unique(cl).size
    assert f"t interval on {G - 1} df, cluster-robust (CR1)" in e.method
    assert f"{y.size} sessions from {G} patients" in e.method
    # alpha is honoured
    low90, high90 = fit.conf_int(alpha=0.1)[0]
    assert mean(y, cluster=cl, alpha=0.1).ci_low == pytest.approx(low90, abs=1e-10)


def test_mean_unclustered_is_student_t():
    y, _, _ = clustered_normal(7)
    e = mean(y)
    low, high = stats.t.interval(0.95, y.size - 1, loc=y.mean(), scale=stats.sem(y))
    assert (e.ci_low, e.ci_high) == pytest.approx((low, high), abs=1e-12)
    fit = _ols_cluster(y, np.ones(y.size), np.arange(y.size))
    assert (e.ci_low, e.ci_high) == pytest.approx(tuple(fit.conf_int()[0]), abs=1e-10)
    assert e.method.startswith("Student t")


def test_mean_errors():
    with pytest.raises(AnalysisError, match="at least 2 units"):
        mean([1.0])
    with pytest.raises(AnalysisError, match="at least 2 clusters"):
        mean([1.0, 2.0, 3.0], cluster=[1, 1, 1])
    with pytest.raises(AnalysisError, match="missing"):
        mean([1.0, np.nan])
    with pytest.raises(AnalysisError, match="numbers"):
        mean(["a", "b"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mean_difference_equals_statsmodels_cluster_ols(seed):
    y, cl, rng = clustered_normal(seed, G=70)
    for g in ((cl % 3 == 0).astype(int), (rng.random(y.size) < 0.4).astype(int)):
        y2 = y + 0.7 * g
        fit = _ols_cluster(y2, sm.add_constant(g.astype(float)), cl)
        e = mean_difference(y2, g, cluster=cl)
        low, high = fit.conf_int()[1]
        assert e.estimate == pytest.approx(fit.params[1], abs=1e-10)
        assert e.ci_low == pytest.approx(low, abs=1e-10)
        assert e.ci_high == pytest.approx(high, abs=1e-10)


def test_mean_difference_unclustered_equals_statsmodels_with_one_unit_per_cluster():
    y, _, rng = clustered_normal(9)
    g = rng.integers(0, 2, y.size)
    fit = _ols_cluster(y, sm.add_constant(g.astype(float)), np.arange(y.size))
    e = mean_difference(y, g)
    assert (e.ci_low, e.ci_high) == pytest.approx(tuple(fit.conf_int()[1]), abs=1e-10)
    assert "HC1" in e.method
    # boolean groups and explicit levels agree
    b = mean_difference(y, g.astype(bool))
    lab = mean_difference(y, np.where(g == 1, "pro", "home"), levels=("pro", "home"))
    assert b == e
    assert lab.ci_low == pytest.approx(e.ci_low, abs=1e-12)


# ----------------------------------------------------------------------------- risk ratio
@pytest.mark.parametrize("seed", [0, 1])
def test_risk_ratio_equals_statsmodels_poisson_glm_cluster(seed):
    y, cl, rng = clustered_binary(seed, G=150, a=1.0, b=4.0)
    for g in ((cl % 2).astype(int), (rng.random(y.size) < 0.5).astype(int)):
        yy = np.where((g == 1) & (rng.random(y.size) < 0.5), 1.0, y)  # a higher risk in group 1
        X = sm.add_constant(g.astype(float))
        fit = sm.GLM(yy, X, family=sm.families.Poisson()).fit(
            cov_type="cluster", cov_kwds={"groups": cl}, tol=1e-14)
        e = risk_ratio(yy, g, cluster=cl)
        low, high = np.exp(fit.conf_int()[1])
        assert e.estimate == pytest.approx(math.exp(fit.params[1]), rel=1e-10)
        assert e.ci_low == pytest.approx(low, rel=1e-10)
        assert e.ci_high == pytest.approx(high, rel=1e-10)
        assert "cluster-robust (CR1) sandwich" in e.method


def test_risk_ratio_unclustered_equals_glm_with_one_unit_per_cluster():
    y, _, rng = clustered_binary(3, G=300, max_size=1)
    g = rng.integers(0, 2, y.size)
    fit = sm.GLM(y, sm.add_constant(g.astype(float)), family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": np.arange(y.size)}, tol=1e-14)
    e = risk_ratio(y, g)
    assert (e.ci_low, e.ci_high) == pytest.approx(tuple(np.exp(fit.conf_int()[1])), rel=1e-10)


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
