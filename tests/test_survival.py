"""Tests of ``outcomes.stats.survival``: statsmodels, lifelines (stored), a hand-worked example,
and an independent infinitesimal-jackknife computation for the clustered variance."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from outcomes.errors import AnalysisError
from outcomes.stats.intervals import Estimate
from outcomes.stats.survival import TABLE_COLUMNS, KMResult, kaplan_meier, kaplan_meier_by

matplotlib.use("Agg")

REFERENCE = Path(__file__).parent / "reference"
Z = stats.norm.isf(0.025)


# ----------------------------------------------------------------------------- data sets
def _censored(rng, event_time, censor_time):
    return np.minimum(event_time, censor_time), (event_time <= censor_time).astype(int)


def data_sets():
    """(name, durations, observed) with ties, censoring, discrete times, S reaching 0."""
    rng = np.random.default_rng(2024)
    out = []
    t, e = _censored(rng, rng.exponential(30, 300), rng.uniform(0, 80, 300))
    out.append(("continuous", t, e))
    t, e = _censored(rng, np.ceil(rng.weibull(1.3, 500) * 30), np.ceil(rng.uniform(1, 96, 500)))
    out.append(("hours-with-ties", t, e))
    t, e = _censored(rng, rng.geometric(0.2, 200).astype(float), rng.integers(1, 9, 200) * 1.0)
    out.append(("session-counts", t, e))
    out.append(("no-censoring-S-reaches-0", np.ceil(rng.exponential(5, 80)), np.ones(80, int)))
    t, e = _censored(rng, rng.exponential(20, 120), rng.uniform(0, 100, 120))
    t[:5] = 0.0  # events and censoring at time 0
    e[:3] = 1
    out.append(("zeros", t, e))
    return out


DATA = data_sets()


def clustered_durations(seed, G=150, max_size=4, shape=1.0):
    """Patients with 1..max_size units sharing a gamma frailty (mean 1, variance 1/shape)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_size + 1, G)
    cl = np.repeat(np.arange(G), sizes)
    frailty = rng.gamma(shape, 1.0 / shape, G)[cl]
    event_time = rng.exponential(24.0, cl.size) / frailty
    censor_time = rng.uniform(0, 96, cl.size)
    t, e = _censored(rng, np.ceil(event_time), np.ceil(censor_time))
    return t, e, cl


# ----------------------------------------------------------------------------- statsmodels
@pytest.mark.parametrize("name,t,e", DATA, ids=[d[0] for d in DATA])
def test_survival_and_greenwood_se_equal_statsmodels(name, t, e):
    km = kaplan_meier(t, e)
    sf = SurvfuncRight(t, e)
    tab = km.table_[km.table_["n_events"] > 0]
    np.testing.assert_array_equal(tab["time"], sf.surv_times)
    np.testing.assert_array_equal(tab["n_at_risk"], sf.n_risk)
    np.testing.assert_array_equal(tab["n_events"], sf.n_events)
    np.testing.assert_allclose(tab["survival"], sf.surv_prob, rtol=0, atol=1e-10)
    np.testing.assert_allclose(tab["se"], sf.surv_prob_se, rtol=0, atol=1e-10)  # NaN where S=0
    assert km.variance_ == "greenwood"
    assert km.method_.startswith("Kaplan-Meier, Greenwood variance, log-log pointwise interval")


@pytest.mark.parametrize("name,t,e", DATA, ids=[d[0] for d in DATA])
@pytest.mark.parametrize("q", [0.25, 0.5, 0.75])
def test_quantile_interval_equals_statsmodels_cloglog(name, t, e, q):
    km = kaplan_meier(t, e)
    sf = SurvfuncRight(t, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = sf.quantile_ci(q, method="cloglog")
    est = km.quantile(q)
    np.testing.assert_allclose([est.ci_low, est.ci_high], [low, high], rtol=0, atol=1e-10)
    # point estimate: statsmodels uses S < 1 - q, we use S <= 1 - q; equal unless S hits 1 - q
    if not np.any(np.isclose(sf.surv_prob, 1 - q, rtol=0, atol=1e-12)):
        ref = sf.quantile(q)
        assert est.estimate == ref or (math.isnan(est.estimate) and math.isnan(ref))


def test_median_when_s_equals_one_half_exactly():
    # 10 units, events at 1..10: S(5) = 0.5 exactly; the median is 5 (R, lifelines), not 6
    km = kaplan_meier(np.arange(1.0, 11.0), np.ones(10))
    assert km.median().estimate == 5.0
    assert SurvfuncRight(np.arange(1.0, 11.0), np.ones(10)).quantile(0.5) == 6.0


# ----------------------------------------------------------------------------- by hand
def test_hand_worked_example():
    # (time, event): (2,1) (3,1) (3,0) (5,1) (8,1) (8,0) (9,0); n = 7
    #  t  at risk  events  censored  S(t)                         Greenwood sum d/(n(n-d))
    #  2     7       1        0      6/7                = 0.8571   1/42
    #  3     6       1        1      6/7 * 5/6 = 5/7    = 0.7143   1/42 + 1/30 = 2/35
    #  5     4       1        0      5/7 * 3/4 = 15/28  = 0.5357   2/35 + 1/12 = 59/420
    #  8     3       1        1      15/28 * 2/3 = 5/14 = 0.3571   59/420 + 1/6 = 43/140
    #  9     1       0        1      5/14               = 0.3571   43/140
    # se(t) = S(t) sqrt(sum); median = first t with S <= 1/2 = 8.
    # log-log interval at t = 5: sigma = sqrt(59/420) / |log(15/28)| = 0.37480 / 0.62415 = 0.60049,
    # S^exp(+/- 1.96 sigma) = (15/28)^3.2445 = 0.1320 and (15/28)^0.3082 = 0.8250.
    km = kaplan_meier([2, 3, 3, 5, 8, 8, 9], [1, 1, 0, 1, 1, 0, 0])
    tab = km.table_
    assert list(tab.columns) == TABLE_COLUMNS
    assert tab["time"].tolist() == [2, 3, 5, 8, 9]
    assert tab["n_at_risk"].tolist() == [7, 6, 4, 3, 1]
    assert tab["n_events"].tolist() == [1, 1, 1, 1, 0]
    assert tab["n_censored"].tolist() == [0, 1, 0, 1, 1]
    S = [Fraction(6, 7), Fraction(5, 7), Fraction(15, 28), Fraction(5, 14), Fraction(5, 14)]
    sums = [Fraction(1, 42), Fraction(2, 35), Fraction(59, 420), Fraction(43, 140),
            Fraction(43, 140)]
    np.testing.assert_allclose(tab["survival"], [float(s) for s in S], rtol=1e-14)
    np.testing.assert_allclose(tab["se"], [float(s) * math.sqrt(g) for s, g in zip(S, sums,
                                                                                  strict=True)],
                               rtol=1e-14)
    sigma = math.sqrt(59 / 420) / abs(math.log(15 / 28))
    assert sigma == pytest.approx(0.60049, abs=5e-6)
    row = tab.iloc[2]
    assert row["ci_low"] == pytest.approx((15 / 28) ** math.exp(Z * sigma), rel=1e-14)
    assert row["ci_high"] == pytest.approx((15 / 28) ** math.exp(-Z * sigma), rel=1e-14)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.1320, 0.8250)
    assert km.median().estimate == 8.0
    assert km.n_ == 7 and km.n_events_ == 4 and km.n_clusters_ == 7


# ----------------------------------------------------------------------------- lifelines
def test_pointwise_interval_equals_stored_lifelines_values():
    data = pd.read_csv(REFERENCE / "km_lifelines_data.csv")
    ref = pd.read_csv(REFERENCE / "km_lifelines.csv")
    medians = json.loads((REFERENCE / "km_lifelines_medians.json").read_text())["median"]
    for group, sub in data.groupby("group"):
        km = kaplan_meier(sub["duration"], sub["observed"])
        r = ref[ref["group"] == group].reset_index(drop=True)
        tab = km.table_
        np.testing.assert_array_equal(tab["time"], r["time"])
        np.testing.assert_allclose(tab["survival"], r["survival"], rtol=0, atol=1e-12)
        inside = (tab["survival"] > 0) & (tab["survival"] < 1)
        np.testing.assert_allclose(tab.loc[inside, "ci_low"], r.loc[inside, "ci_low"],
                                   rtol=0, atol=1e-10)
        np.testing.assert_allclose(tab.loc[inside, "ci_high"], r.loc[inside, "ci_high"],
                                   rtol=0, atol=1e-10)
        assert km.median().estimate == medians[group]


# ----------------------------------------------------------------------------- clustered
def direct_ij_se(t, e, cl):
    """Infinitesimal jackknife written out densely (units x times), independent of the package.

    U_i(t_j) = S(t_j) * sum_{k <= j} (d_k Y_ik - n_k dN_ik) / (n_k (n_k - d_k)),
    U_g = sum of U_i over the cluster, Var = sum_g U_g^2.
    """
    t = np.asarray(t, float)
    e = np.asarray(e, bool)
    times = np.unique(t)
    Y = (t[:, None] >= times[None, :]).astype(float)
    dN = ((t[:, None] == times[None, :]) & e[:, None]).astype(float)
    n, d = Y.sum(axis=0), dN.sum(axis=0)
    S = np.cumprod(1 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        D = (d * Y - n * dN) / (n * (n - d))
    D[:, n == d] = 0.0
    U = S * np.cumsum(D, axis=1)
    labels = {c: i for i, c in enumerate(dict.fromkeys(cl))}
    codes = np.array([labels[c] for c in cl])
    Ug = np.zeros((len(labels), times.size))
    np.add.at(Ug, codes, U)
    return np.sqrt((Ug**2).sum(axis=0)), S


def weighted_km(t, e, w):
    times = np.unique(t)
    Y = t[:, None] >= times[None, :]
    dN = (t[:, None] == times[None, :]) & e[:, None].astype(bool)
    return np.cumprod(1 - (w[:, None] * dN).sum(0) / (w[:, None] * Y).sum(0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clustered_variance_equals_direct_infinitesimal_jackknife(seed):
    t, e, cl = clustered_durations(seed)
    labels = np.array([f"patient-{c:03d}" for c in cl])
    km = kaplan_meier(t, e, cluster=labels)
    assert km.variance_ == "robust" and km.n_clusters_ == 150
    se, S = direct_ij_se(t, e, labels)
    tab = km.table_
    inside = tab["survival"].to_numpy() > 0
    np.testing.assert_allclose(tab["survival"], S, rtol=0, atol=1e-12)
    np.testing.assert_allclose(km.ij_se_[inside], se[inside], rtol=1e-10, atol=1e-14)
    # the interval's standard error carries the small-sample factor (150 patients: no floor)
    np.testing.assert_allclose(tab["se"].to_numpy()[inside], se[inside] * np.sqrt(150 / 149),
                               rtol=1e-10, atol=1e-14)
    assert "cluster-robust infinitesimal-jackknife variance (Williams 1995)" in km.method_
    assert "times G/(G-1), t on 149 df" in km.method_
    assert f"{t.size} units from 150 patients" in km.method_


def test_clustered_variance_equals_numerical_derivative_of_weighted_km():
    t, e, cl = clustered_durations(3, G=40)
    km = kaplan_meier(t, e, cluster=cl)
    eps = 1e-6
    U = []
    for g in np.unique(cl):
        w = np.ones(t.size)
        w[cl == g] += eps
        up = weighted_km(t, e, w)
        w[cl == g] -= 2 * eps
        U.append((up - weighted_km(t, e, w)) / (2 * eps))
    se = np.sqrt((np.array(U) ** 2).sum(axis=0))
    inside = km.table_["survival"].to_numpy() > 0
    np.testing.assert_allclose(km.ij_se_[inside], se[inside], rtol=1e-6)


def test_clustered_variance_is_close_to_grouped_jackknife():
    t, e, cl = clustered_durations(4, G=200, shape=0.7)
    times = np.array([6.0, 12.0, 24.0, 48.0])
    km = kaplan_meier(t, e, cluster=cl)
    loo = np.array([kaplan_meier(t[cl != g], e[cl != g]).at(times)["survival"].to_numpy()
                    for g in np.unique(cl)])
    G = loo.shape[0]
    se_jk = np.sqrt((G - 1) / G * ((loo - loo.mean(axis=0)) ** 2).sum(axis=0))
    se_ij = km.at(times)["se"].to_numpy()
    np.testing.assert_allclose(se_ij, se_jk, rtol=0.05)
    # and the clustering matters: Greenwood (naive) is clearly smaller
    naive = kaplan_meier(t, e, cluster=cl, variance="greenwood").at(times)["se"].to_numpy()
    assert np.all(naive < 0.9 * se_ij)


@pytest.mark.parametrize("name,t,e", DATA, ids=[d[0] for d in DATA])
def test_robust_variance_with_one_unit_per_cluster_equals_greenwood(name, t, e):
    # For the unweighted Kaplan-Meier the infinitesimal jackknife with one unit per cluster is
    # Greenwood's formula exactly (not just close): checked here to rounding.
    g = kaplan_meier(t, e)
    r = kaplan_meier(t, e, variance="robust")
    assert r.variance_ == "robust"
    inside = (g.table_["survival"] > 0) & (g.table_["survival"] < 1)
    np.testing.assert_allclose(r.ij_se_[inside], g.table_.loc[inside, "se"], rtol=1e-10)
    # with distinct labels the "auto" choice is Greenwood
    assert kaplan_meier(t, e, cluster=np.arange(t.size)).variance_ == "greenwood"


def test_clustered_median_interval_is_wider_and_named():
    t, e, cl = clustered_durations(5, G=150, shape=0.5)
    robust = kaplan_meier(t, e, cluster=cl).median()
    naive = kaplan_meier(t, e, cluster=cl, variance="greenwood").median()
    assert robust.estimate == naive.estimate
    assert robust.ci_low <= naive.ci_low and robust.ci_high >= naive.ci_high
    assert robust.method.startswith("Brookmeyer-Crowley interval")
    assert "ignoring clustering by patients" in naive.method
    assert robust.n_clusters == 150


# ----------------------------------------------------------------------------- R at 2-15 patients
R_KM = json.loads((REFERENCE / "km_r.json").read_text())  # tests/reference/make_km_r.R
R_KM_DATA = pd.read_csv(REFERENCE / "km_r_data.csv")


@pytest.mark.parametrize("name", ["k2", "k3", "k5", "k15"])
def test_clustered_km_equals_r_survfit_robust_and_carries_the_small_sample_rules(name):
    d = R_KM_DATA[R_KM_DATA["dataset"] == name]
    ref = {k: np.array([math.nan if x == "NA" else x for x in v], dtype=float)
           for k, v in R_KM[name].items()}  # R writes "NA" where its logit bound is undefined
    km = kaplan_meier(d["time"], d["event"], cluster=d["patient"])
    G = d["patient"].nunique()
    tab = km.table_
    np.testing.assert_allclose(tab["time"], ref["time"])
    np.testing.assert_allclose(tab["survival"], ref["surv"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(tab["n_at_risk"], ref["n_risk"])
    S = ref["surv"]
    inside = (S > 0) & (S < 1)
    # the unscaled infinitesimal jackknife is R's robust standard error
    np.testing.assert_allclose(km.ij_se_[inside], ref["se_robust"][inside], rtol=0, atol=1e-10)
    # the interval: G/(G-1), never below Greenwood at 30 patients or fewer, t on G - 1 df
    se = np.fmax(ref["se_robust"] * np.sqrt(G / (G - 1)), ref["se_greenwood"])
    q = stats.t.isf(0.025, G - 1)
    widen = np.exp(q * se[inside] / (S[inside] * -np.log(S[inside])))
    np.testing.assert_allclose(tab["se"].to_numpy()[inside], se[inside], rtol=0, atol=1e-10)
    np.testing.assert_allclose(tab["ci_low"].to_numpy()[inside], S[inside] ** widen,
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose(tab["ci_high"].to_numpy()[inside], S[inside] ** (1 / widen),
                               rtol=0, atol=1e-10)
    assert f"t on {G - 1} df" in km.method_
    # where S = 1 the lower bound rests on the patients still followed, not the units
    last = d.groupby("patient")["time"].max()
    for t0 in (0.0, float(ref["time"][0]) / 2):
        g_at = int((last >= t0).sum())
        assert km.at([t0])["ci_low"].iloc[0] == pytest.approx(g_at / (g_at + q * q), abs=1e-12)


def test_km_at_one_or_zero_rests_on_the_patients():
    # 2 patients with 10 courses each, nobody has the event by 5: S(5) = 1; the lower bound is
    # that of 2 patients on 1 df, not 20 independent courses (20 / (20 + 1.96^2) = 0.84)
    t = np.r_[np.full(10, 6.0), np.full(10, 8.0)]
    e = np.r_[np.ones(10), np.zeros(10)]
    cl = np.repeat(["a", "b"], 10)
    q = stats.t.isf(0.025, 1)
    low = kaplan_meier(t, e, cluster=cl).at([5.0])["ci_low"].iloc[0]
    assert low == pytest.approx(2 / (2 + q * q)) and low < 0.1
    naive = kaplan_meier(t, e).at([5.0])["ci_low"].iloc[0]
    assert naive == pytest.approx(20 / (20 + Z * Z))
    # S drops to 0 with every unit of one patient: upper bound from 1 patient at risk
    km = kaplan_meier([3.0, 3.0, 3.0, 4.0, 4.0], [1, 1, 1, 1, 1], cluster=[1, 1, 1, 2, 2])
    q = stats.t.isf(0.025, 1)
    tab = km.table_
    assert tab["survival"].iloc[-1] == 0.0
    assert tab["ci_high"].iloc[-1] == pytest.approx(tab["ci_high"].iloc[0] * q * q / (1 + q * q))


def test_km_floor_below_30_patients_and_none_above():
    # every patient has one early and one late event: at t = 30 each has had exactly one, so
    # the IJ variance of S(30) = 0.5 is 0; at 30 patients or fewer it is floored at Greenwood's
    rng = np.random.default_rng(11)
    for G, floored in ((12, True), (40, False)):
        base = rng.uniform(0, 30, G)
        t = np.r_[base, 60 - base]
        e = np.ones(2 * G)
        cl = np.r_[np.arange(G), np.arange(G)]
        km = kaplan_meier(t, e, cluster=cl)
        gw = kaplan_meier(t, e, variance="greenwood").table_["se"].to_numpy()
        se = km.table_["se"].to_numpy()
        ok = np.isfinite(gw) & (km.table_["survival"].to_numpy() < 1)
        assert np.all(se[ok] >= gw[ok] * (1 - 1e-12)) == floored
        assert ("never below Greenwood" in km.method_) == floored


def test_bounds_near_zero_or_one_are_exact():
    from outcomes.stats.intervals import _snap

    assert _snap(np.array([5e-20, -5e-20, 1 - 1e-15, 0.3, -1 + 1e-14])).tolist() == [
        0.0, 0.0, 1.0, 0.3, -1.0]
    km = kaplan_meier(np.arange(1.0, 41.0), np.ones(40), cluster=np.repeat(np.arange(20), 2))
    for col in ("ci_low", "ci_high"):
        v = km.table_[col].dropna().to_numpy()
        assert not np.any(((v > 0) & (v < 1e-12)) | ((v < 1) & (v > 1 - 1e-12)))


# ----------------------------------------------------------------------------- evaluation
def test_at_is_a_right_continuous_step_function():
    km = kaplan_meier([2, 3, 3, 5, 8, 8, 9], [1, 1, 0, 1, 1, 0, 0])
    out = km.at([0, 1.999, 2, 2.5, 5, 7.99, 8, 9])
    assert list(out.columns) == ["time", "survival", "se", "ci_low", "ci_high", "n_at_risk"]
    np.testing.assert_allclose(out["survival"], [1, 1, 6 / 7, 6 / 7, 15 / 28, 15 / 28, 5 / 14,
                                                 5 / 14])
    assert out["n_at_risk"].tolist() == [7, 7, 7, 6, 4, 3, 3, 1]
    tab = km.table_.set_index("time")
    assert out.loc[4, "ci_low"] == tab.loc[5, "ci_low"]
    # before the first event: S = 1, lower bound = Wilson's for no event among those followed
    assert out.loc[0, "ci_low"] == pytest.approx(7 / (7 + Z**2))
    assert out.loc[0, "ci_high"] == 1.0 and out.loc[0, "se"] == 0.0
    # beyond the last follow-up time S is not estimable
    late = km.at([9.5, 100])
    assert late["survival"].isna().all() and late["n_at_risk"].tolist() == [0, 0]
    np.testing.assert_array_equal(km.at_risk([0, 3, 3.5, 9, 10]), [7, 6, 4, 1, 0])
    assert km.at(4.0)["survival"].iloc[0] == pytest.approx(5 / 7)  # a scalar works


def test_cumulative_at_is_one_minus_survival_with_the_interval_flipped():
    t, e, cl = clustered_durations(6)
    km = kaplan_meier(t, e, cluster=cl)
    times = [12, 24, 48, 72]
    s, c = km.at(times), km.cumulative_at(times)
    np.testing.assert_allclose(c["cumulative"], 1 - s["survival"])
    np.testing.assert_allclose(c["ci_low"], 1 - s["ci_high"])
    np.testing.assert_allclose(c["ci_high"], 1 - s["ci_low"])
    est = km.estimate_at(48, cumulative=True)
    assert isinstance(est, Estimate)
    assert est.estimate == pytest.approx(c["cumulative"].iloc[2])
    assert est.ci_low <= est.estimate <= est.ci_high
    assert est.method.startswith("1 - S(t) at t = 48: Kaplan-Meier")
    assert est.n == t.size and est.n_clusters == 150


def test_survival_reaching_zero_keeps_a_finite_upper_bound():
    # everyone resolved by 40 h: S(40) = 0; the upper bound must not collapse to 0
    km = kaplan_meier([10, 20, 20, 30, 40], [1, 1, 1, 1, 1])
    tab = km.table_
    last = tab.iloc[-1]
    assert last["survival"] == 0 and last["ci_low"] == 0 and math.isnan(last["se"])
    prev_high = tab.iloc[-2]["ci_high"]
    assert last["ci_high"] == pytest.approx(prev_high * Z**2 / (1 + Z**2))
    done = km.cumulative_at([48])
    assert done["cumulative"].iloc[0] == 1.0 and done["ci_high"].iloc[0] == 1.0
    assert 0.5 < done["ci_low"].iloc[0] < 1.0


def test_median_not_reached_and_infinite_upper_bound():
    t = np.r_[np.arange(1.0, 21.0), np.full(80, 25.0)]  # 20 events, 80 followed to 25 h
    e = np.r_[np.ones(20), np.zeros(80)]
    med = kaplan_meier(t, e).median()  # S(25) = 0.8: the median is beyond follow-up
    assert math.isnan(med.estimate) and (med.ci_low, med.ci_high) == (25.0, math.inf)
    assert "median not reached" in med.method and "lies beyond it" in med.method
    # not reached, and 0.5 still compatible at the last event time
    t = np.r_[np.arange(1.0, 6.0), np.full(6, 6.0)]
    e = np.r_[np.ones(5), np.zeros(6)]
    med = kaplan_meier(t, e).median()
    assert math.isnan(med.estimate) and med.ci_low == 2.0 and med.ci_high == math.inf
    assert "upper bound not reached (infinite)" in med.method
    # reached, but the interval is still open at the last event time
    t = np.r_[np.arange(1.0, 7.0), np.full(4, 7.0)]
    e = np.r_[np.ones(6), np.zeros(4)]
    med = kaplan_meier(t, e).median()
    assert med.estimate == 5.0 and med.ci_high == math.inf
    assert "upper bound not reached (infinite)" in med.method


def test_quantile_interval_collapses_when_the_curve_passes_in_one_step():
    # 900 of 1000 courses reach the improvement at session 3, none before: median 3, [3, 3]
    km = kaplan_meier(np.r_[np.full(900, 3.0), np.full(100, 10.0)], np.r_[np.ones(900),
                                                                          np.zeros(100)])
    med = km.median()
    assert (med.estimate, med.ci_low, med.ci_high) == (3.0, 3.0, 3.0)
    assert "single step" in med.method


def test_discrete_session_counts():
    # sessions until the first major improvement, censored at the last assessed session
    sessions = np.array([1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 6, 6])
    reached = np.array([0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0])
    km = kaplan_meier(sessions, reached, unit_label="courses")
    assert km.table_["time"].tolist() == [1, 2, 3, 4, 5, 6]
    assert km.at([3])["survival"].iloc[0] == pytest.approx(9 / 11 * 7 / 9)
    assert km.median().estimate == 4.0
    assert "12 independent courses, 7 events" in km.method_


# ----------------------------------------------------------------------------- by group
def test_kaplan_meier_by_matches_separate_fits():
    data = pd.read_csv(REFERENCE / "km_lifelines_data.csv")
    data["patient"] = np.arange(len(data)) // 3
    out = kaplan_meier_by(data, duration_col="duration", observed_col="observed", by="group",
                          cluster_col="patient")
    assert list(out.columns) == ["group", *TABLE_COLUMNS, "method"]
    for group, sub in data.groupby("group"):
        ref = kaplan_meier(sub["duration"], sub["observed"], cluster=sub["patient"]).table_
        got = out[out["group"] == group].drop(columns=["group", "method"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, ref)
    at = kaplan_meier_by(data, duration_col="duration", observed_col="observed", by=["group"],
                         times=[24, 48], cumulative=True)
    assert at.shape[0] == 6 and list(at.columns[:3]) == ["group", "time", "cumulative"]
    with pytest.raises(AnalysisError, match=r"columns \['nope'\]"):
        kaplan_meier_by(data, duration_col="duration", observed_col="observed", by="nope")


# ----------------------------------------------------------------------------- plot, output
def test_plot_returns_axes_with_curve_and_band():
    import matplotlib.pyplot as plt

    t, e, cl = clustered_durations(7)
    km = kaplan_meier(t, e, cluster=cl)
    ax = km.plot(label="erythema", censor_marks=True)
    assert len(ax.lines) == 2 and len(ax.collections) == 1
    fig, ax2 = plt.subplots()
    assert km.plot(ax=ax2, cumulative=True, ci=False) is ax2
    assert ax2.get_ylabel() == "share who had the event"
    assert "median" in km.summary() and "<table" in km._repr_html_()
    assert isinstance(km, KMResult) and "robust" in repr(km)


def test_tables_hold_the_curve_and_the_median():
    km = kaplan_meier([2, 3, 3, 5, 8, 8, 9], [1, 1, 0, 1, 1, 0, 0])
    tables = km.tables()
    assert list(tables) == ["table", "median"]
    pd.testing.assert_frame_equal(tables["table"], km.to_frame())
    med = tables["median"].iloc[0]
    assert list(tables["median"].columns) == ["quantity", "estimate", "ci_low", "ci_high", "n",
                                               "n_clusters", "method"]
    assert med["quantity"] == "median" and med["estimate"] == km.median().estimate
    assert med["n"] == 7 and "Brookmeyer-Crowley" in med["method"]


def test_input_errors():
    with pytest.raises(AnalysisError, match="missing"):
        kaplan_meier([1.0, np.nan], [1, 0])
    with pytest.raises(AnalysisError, match=">= 0"):
        kaplan_meier([1.0, -2.0], [1, 0])
    with pytest.raises(AnalysisError, match="0/1"):
        kaplan_meier([1.0, 2.0], [1, 2])
    with pytest.raises(AnalysisError, match="one value per duration"):
        kaplan_meier([1.0, 2.0], [1])
    with pytest.raises(AnalysisError, match="variance must be"):
        kaplan_meier([1.0, 2.0], [1, 1], variance="bootstrap")
    with pytest.raises(AnalysisError, match="at least 2 clusters"):
        kaplan_meier([1.0, 2.0], [1, 1], cluster=["a", "a"])
    with pytest.raises(AnalysisError, match="empty"):
        kaplan_meier([], [])


def test_inputs_are_not_modified():
    t, e, cl = clustered_durations(9)
    df = pd.DataFrame({"t": t, "e": e, "p": cl.astype(str)})
    before = df.copy()
    kaplan_meier(df["t"], df["e"], cluster=df["p"])
    kaplan_meier_by(df.assign(g=df["p"].str[-1]), duration_col="t", observed_col="e", by="g",
                    cluster_col="p")
    pd.testing.assert_frame_equal(df, before)


# ----------------------------------------------------------------------------- size
def test_one_million_durations():
    # how long these take (against statsmodels' SurvfuncRight) is measured by the benchmarks;
    # here: a million units, distinct or tied times, with and without clusters, all fit
    rng = np.random.default_rng(0)
    n = 1_000_000
    t = rng.exponential(10, n)  # all distinct: the worst case, a million-row table
    e = rng.random(n) < 0.7
    cl = rng.integers(0, 300_000, n)
    hours = np.ceil(t * 4)  # the usual case: whole hours
    assert kaplan_meier(hours, e).n_ == n
    assert kaplan_meier(t, e).n_ == n
    assert kaplan_meier(t, e, cluster=cl).n_clusters_ == np.unique(cl).size


def test_docstring_examples_run():
    import doctest

    import outcomes.stats.survival

    result = doctest.testmod(outcomes.stats.survival, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


# ----------------------------------------------------------------------------- logit interval
def test_logit_interval_by_hand_equals_r():
    # the hand-worked example at t = 5: S = 15/28, se = S sqrt(59/420) = 0.200787, logit S =
    # log(15/13) = 0.143101, half-width 1.959964 se / (S (1 - S)) = 1.582217: expit of
    # -1.439116 and 1.725318; R: survfit(Surv(t, e) ~ 1, conf.type = "logit") at 5 gives
    # 0.191683335531, 0.848811645150
    km = kaplan_meier([2, 3, 3, 5, 8, 8, 9], [1, 1, 0, 1, 1, 0, 0])
    low, high, method = km.logit_at(5)
    assert (low, high) == pytest.approx((0.191683335531, 0.848811645150), abs=1e-11)
    assert "Greenwood variance, logit interval" in method
    est = km.estimate_at(5, cumulative=True, interval="logit")
    assert (est.ci_low, est.ci_high) == pytest.approx((1 - high, 1 - low), abs=1e-15)
    assert est.estimate == pytest.approx(13 / 28)
    with pytest.raises(AnalysisError, match="interval"):
        km.estimate_at(5, interval="wald")


@pytest.mark.parametrize("name", ["k2", "k3", "k5", "k15"])
def test_clustered_logit_interval_from_r_survfit_and_clubsandwich_df(name):
    d = R_KM_DATA[R_KM_DATA["dataset"] == name]
    ref = {k: np.array([math.nan if x == "NA" else x for x in v], dtype=float)
           for k, v in R_KM[name].items()}
    km = kaplan_meier(d["time"], d["event"], cluster=d["patient"])
    G = d["patient"].nunique()
    S = ref["surv"]
    inside = (S > 0) & (S < 1) & np.isfinite(ref["logit_lower"])
    # R's robust logit interval is this formula with its unscaled se and z ...
    half = Z * ref["se_robust"][inside] / (S[inside] * (1 - S[inside]))
    logit = np.log(S[inside] / (1 - S[inside]))
    np.testing.assert_allclose(ref["logit_lower"][inside], 1 / (1 + np.exp(half - logit)),
                               rtol=0, atol=1e-10)
    # ... and ours has the small-sample se of the table and t on clubSandwich's CR2 df of an
    # intercept on these patients (their numbers of units)
    se = np.fmax(ref["se_robust"] * np.sqrt(G / (G - 1)), ref["se_greenwood"])[inside]
    q = stats.t.isf(0.025, float(ref["df_bm"][0]))
    half = q * se / (S[inside] * (1 - S[inside]))
    for t, lg, h in zip(ref["time"][inside], logit, half, strict=True):
        low, high, method = km.logit_at(float(t))
        assert (low, high) == pytest.approx((1 / (1 + math.exp(h - lg)),
                                             1 / (1 + math.exp(-lg - h))), abs=1e-10)
    assert f"t on {float(ref['df_bm'][0]):.1f} Bell-McCaffrey df" in method
    # where S = 1 the boundary rule of the table (patients still followed)
    assert km.logit_at(0.0)[:2] == tuple(km.at([0.0])[["ci_low", "ci_high"]].iloc[0])


@pytest.mark.slow
def test_logit_interval_keeps_the_one_sided_level_near_s_of_one_tenth():
    # 60 patients, each with 1 + Poisson(2 x frailty) events (log-normal frailty, SD 0.8) and a
    # slow-healer multiplier (log-normal SD 0.4) on log-normal resolution times (SD 0.5), the
    # median set so that 90% resolve by 48 h; 1000 clinics (Monte-Carlo SE about 0.5 points).
    # The log-log interval misses on one side: its lower end above 0.9 in 4.5%, its upper end
    # below in 1.6%; the logit interval in 2.3% and 2.4%.
    rng = np.random.default_rng(2026)
    sd = math.hypot(0.5, 0.4)
    median = 48.5 / math.exp(stats.norm.ppf(0.9) * sd)
    miss = np.zeros((2, 2))  # (log-log, logit) x (above, below)
    R = 1000
    for _ in range(R):
        k = 1 + rng.poisson(2 * np.exp(0.8 * rng.standard_normal(60) - 0.32))
        patient = np.repeat(np.arange(60), k)
        slow = np.exp(0.4 * rng.standard_normal(60))[patient]
        t = np.maximum(1.0, np.rint(median * slow * np.exp(0.5 * rng.standard_normal(k.sum()))))
        km = kaplan_meier(t, np.ones(t.size), cluster=patient)
        for j, how in enumerate(("log-log", "logit")):
            e = km.estimate_at(48, cumulative=True, interval=how)
            miss[j] += [e.ci_low > 0.9, e.ci_high < 0.9]
    miss /= R
    assert miss[0, 0] > 0.035 and miss[0, 0] - miss[0, 1] > 0.02
    assert miss[1].max() < 0.03 and abs(miss[1, 0] - miss[1, 1]) < 0.01


@pytest.mark.parametrize("clustered", [False, True])
def test_at_level_equals_fitting_at_that_level(clustered):
    # the family-wise view re-levels the 95% curve: every interval as a fit at 99.8% gives it,
    # including the boundary rules (S = 1 before the first event, S = 0 at the end)
    rng = np.random.default_rng(3)
    t = np.r_[rng.integers(1, 12, 60).astype(float), 0.5, 13.0]
    e = np.r_[rng.integers(0, 2, 60), 0, 1]
    cl = np.r_[rng.integers(0, 25, 60), 25, 26] if clustered else None
    full = kaplan_meier(t, e, cluster=cl).at_level(0.002)
    fresh = kaplan_meier(t, e, cluster=cl, alpha=0.002)
    assert full.table_["survival"].iloc[0] == 1.0 and full.table_["survival"].iloc[-1] == 0.0
    pd.testing.assert_frame_equal(full.table_, fresh.table_, check_exact=True)
    assert full.median() == fresh.median()
    assert full.estimate_at(6.0, interval="logit") == fresh.estimate_at(6.0, interval="logit")
    assert full.alpha == 0.002 and full.table_["ci_low"].iloc[3] < kaplan_meier(
        t, e, cluster=cl).table_["ci_low"].iloc[3]
