"""Tests of ``outcomes.stats.adjusted``: regression standardisation against R's clubSandwich
(tests/reference/make_cr2_r.R) and an independent statsmodels g-computation; E-values against
VanderWeele & Ding (2017)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from outcomes.errors import AnalysisError
from outcomes.stats.adjusted import e_value, standardised_contrast

REFERENCE = Path(__file__).parent / "reference"
R = json.loads((REFERENCE / "cr2_r.json").read_text())
DATA = pd.read_csv(REFERENCE / "cr2_data.csv")


def _data(name):
    return DATA[DATA["dataset"] == name].reset_index(drop=True)


def _cap(d):
    """The df cap of a comparison: the smaller arm's patients minus 1."""
    return min(d.loc[d["a"] == v, "patient"].nunique() for v in (0, 1)) - 1


def _statsmodels_gcomp(d, formula):
    """Independent g-computation: fit, predict everyone exposed and unexposed, average."""
    fit = smf.ols(formula, data=d).fit()
    return float(fit.predict(d.assign(a=1)).mean()), float(fit.predict(d.assign(a=0)).mean())


CASES = [("g2", "crude", "y", None), ("g2", "crude_b", "yb", None),
         ("g3", "crude", "y", None), ("g3", "crude_b", "yb", None),
         ("g4", "crude", "y", None), ("g4", "crude_b", "yb", None),
         ("g5", "crude", "y", None), ("g5", "adjusted", "y", ["cond", "base"]),
         ("g5", "adjusted_b", "yb", ["cond", "base"]), ("g12", "crude", "y", None),
         ("g12", "crude_b", "yb", None), ("g12", "adjusted", "y", ["cond", "base"]),
         ("g12", "adjusted_b", "yb", ["cond", "base"]), ("g60", "crude", "y", None),
         ("g60", "adjusted", "y", ["cond", "base"]), ("g60", "adjusted_b", "yb", ["cond", "base"])]


@pytest.mark.parametrize(("name", "key", "outcome", "covs"), CASES)
def test_difference_equals_clubsandwich_and_statsmodels(name, key, outcome, covs):
    d = _data(name)
    ref = R[name][key]
    e = standardised_contrast(d[outcome], d["a"], None if covs is None else d[covs],
                              cluster=d["patient"])
    mu1, mu0 = _statsmodels_gcomp(d, ref["formula"])
    assert e.estimate == pytest.approx(mu1 - mu0, abs=1e-10)
    dif = ref["difference"]
    assert e.estimate == pytest.approx(dif["estimate"], abs=1e-10)
    df = min(dif["df"], _cap(d))
    q = stats.t.isf(0.025, df)
    floor = _cap(d) + 1 <= 30  # an arm with 30 patients or fewer
    se = max(dif["se"], dif["se_units"]) if floor else dif["se"]
    assert e.ci_low == pytest.approx(dif["estimate"] - q * se, abs=1e-9)
    assert e.ci_high == pytest.approx(dif["estimate"] + q * se, abs=1e-9)
    assert ("floored" in e.method) == (floor and dif["se_units"] > dif["se"])
    assert (f"t on {df:.1f} Bell-McCaffrey df" in e.method if df == dif["df"]
            else f"t on {df:.0f} df (Bell-McCaffrey {dif['df']:.1f}, capped" in e.method)
    assert e.n == len(d) and e.n_clusters == d["patient"].nunique()


@pytest.mark.parametrize(("name", "key", "outcome", "covs"), CASES)
def test_ratio_equals_clubsandwich_log_scale_contrast(name, key, outcome, covs):
    d = _data(name)
    ref = R[name][key]["log_ratio"]
    e = standardised_contrast(d[outcome], d["a"], None if covs is None else d[covs],
                              cluster=d["patient"], contrast="ratio")
    mu1, mu0 = _statsmodels_gcomp(d, R[name][key]["formula"])
    assert e.estimate == pytest.approx(mu1 / mu0, rel=1e-10)
    q = stats.t.isf(0.025, min(ref["df"], _cap(d)))
    se = max(ref["se"], ref["se_units"]) if _cap(d) + 1 <= 30 else ref["se"]
    assert math.log(e.ci_low) == pytest.approx(ref["estimate"] - q * se, abs=1e-9)
    assert math.log(e.ci_high) == pytest.approx(ref["estimate"] + q * se, abs=1e-9)
    assert "log-scale cluster-robust CR2" in e.method


def test_method_names_estimand_covariates_and_units():
    d = _data("g12")
    e = standardised_contrast(d["y"], d["a"], d[["cond", "base"]], cluster=d["patient"])
    assert e.method.startswith("regression standardisation (g-computation) over cond, base; "
                               "cluster-robust CR2 standard error, t on ")
    assert e.method.endswith(f"({len(d)} courses from 12 patients)")
    crude = standardised_contrast(d["y"], d["a"], cluster=d["patient"])
    assert crude.method.startswith("crude difference")


def test_constant_covariates_empty_levels_and_collinear_dummies_are_dropped():
    # 6 patients; skin type constant, an unused category, and a dummy equal to another column
    rng = np.random.default_rng(5)
    patient = np.repeat(np.arange(6), 3)
    a = np.tile([1, 0, 1], 6)
    cond = pd.Categorical(np.repeat(["acne", "acne", "rosacea", "rosacea", "acne", "rosacea"], 3),
                          categories=["acne", "melasma", "rosacea"])
    covs = pd.DataFrame({"condition": cond, "skin": "III",
                         "rosacea": (np.asarray(cond) == "rosacea").astype(float),
                         "baseline": rng.uniform(2, 8, 18)})
    y = rng.normal(size=18) + a
    e = standardised_contrast(y, a, covs, cluster=patient)
    assert "dropped: skin (one value in the data)" in e.method
    assert "collinear columns dropped: rosacea, exposure x rosacea" in e.method
    ref = standardised_contrast(y, a, covs[["condition", "baseline"]], cluster=patient)
    assert (e.estimate, e.ci_low, e.ci_high) == pytest.approx(
        (ref.estimate, ref.ci_low, ref.ci_high), abs=1e-12)
    # more columns than units: the interactions go, then an interval that is not a point
    many = pd.DataFrame({f"c{k}": rng.choice(list("xyz"), 18) for k in range(5)})
    e = standardised_contrast(y, a, many, cluster=patient)
    assert "exposure interactions left out" in e.method and e.ci_high - e.ci_low > 0.1
    with pytest.raises(AnalysisError, match="residual degrees of freedom"):
        standardised_contrast(y, a, pd.DataFrame({"id": np.arange(18).astype(str)}),
                              cluster=patient)


def test_crude_equals_the_difference_of_arm_means_and_unclustered_runs():
    y = np.array([3.0, 4.0, 5.0, 6.0, 2.0, 3.0, 3.0, 4.0])
    a = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    e = standardised_contrast(y, a)
    assert e.estimate == pytest.approx(1.5)
    # unclustered: HC2 = Welch's standard error
    se = math.sqrt(y[:4].var(ddof=1) / 4 + y[4:].var(ddof=1) / 4)
    assert (e.ci_high - e.ci_low) / 2 > 1.96 * se
    assert "8 independent courses" in e.method


def test_errors_name_what_is_short():
    y = [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(AnalysisError, match="exposed arm has 2 courses from 1 patients"):
        standardised_contrast(y, [1, 1, 0, 0], cluster=[1, 1, 2, 3])
    with pytest.raises(AnalysisError, match="unexposed arm has 0 courses"):
        standardised_contrast(y, [1, 1, 1, 1])
    with pytest.raises(AnalysisError, match="0/1"):
        standardised_contrast(y, [1, 2, 0, 0])
    with pytest.raises(AnalysisError, match="missing"):
        standardised_contrast(y, [1, 1, 0, 0], pd.DataFrame({"c": ["a", None, "b", "a"]}))
    with pytest.raises(AnalysisError, match="ratio needs both positive"):
        standardised_contrast([-1.0, -2.0, 1.0, 2.0], [1, 1, 0, 0], contrast="ratio")
    with pytest.raises(AnalysisError, match="contrast must be"):
        standardised_contrast(y, [1, 1, 0, 0], contrast="odds")


def test_e_value_vanderweele_ding_examples():
    # VanderWeele & Ding (2017): RR 3.9 (1.8, 8.7) gives E-values 7.26 and 3.0
    point, bound = e_value(3.9, 1.8, 8.7)
    assert point == pytest.approx(3.9 + math.sqrt(3.9 * 2.9))
    assert round(point, 2) == 7.26 and round(bound, 2) == 3.0
    # protective: E of 1/RR, the bound nearer the null is the upper one
    point, bound = e_value(0.5, 0.3, 0.8)
    assert point == pytest.approx(2 + math.sqrt(2)) and bound == pytest.approx(
        1.25 + math.sqrt(1.25 * 0.25))
    assert e_value(1.0, 0.8, 1.3) == (1.0, 1.0)
    # a mean difference with its SD: RR ~ exp(0.91 d)
    point, bound = e_value(0.4, -0.1, 0.9, scale="difference", sd=2.0)
    rr = math.exp(0.91 * 0.2)
    assert point == pytest.approx(rr + math.sqrt(rr * (rr - 1))) and bound == 1.0
    with pytest.raises(AnalysisError, match="standard deviation"):
        e_value(0.4, 0.1, 0.9, scale="difference")
    with pytest.raises(AnalysisError, match="positive"):
        e_value(-1.0, -2.0, 0.5)


@pytest.mark.parametrize("name", ["g3", "g5", "g12", "g60"])
def test_crude_contrast_is_mean_difference_and_risk_ratio(name):
    from outcomes.stats.intervals import mean_difference, risk_ratio

    d = _data(name)
    for y, contrast, ref in ((d["y"], "difference", mean_difference),
                             (d["yb"], "ratio", risk_ratio)):
        e = standardised_contrast(y, d["a"], cluster=d["patient"], contrast=contrast)
        r = ref(y, d["a"], cluster=d["patient"])
        assert (e.estimate, e.ci_low, e.ci_high) == pytest.approx(
            (r.estimate, r.ci_low, r.ci_high), rel=1e-10, abs=1e-12)


def test_a_contrast_asked_again_at_another_level_is_the_fresh_one():
    from outcomes.stats import adjusted

    rng = np.random.default_rng(3)
    n = 400
    cov = pd.DataFrame({"age": rng.integers(20, 70, n).astype(float),
                        "site": pd.Categorical(rng.choice(["a", "b", "c"], n))})
    a = rng.integers(0, 2, n)
    y = 0.5 * a + 0.01 * cov["age"].to_numpy() + rng.normal(size=n)
    cluster = rng.integers(0, 120, n)
    kept = adjusted.standardised_contrast(y, a, cov, cluster=cluster, alpha=0.05)
    again = adjusted.standardised_contrast(y, a, cov, cluster=cluster, alpha=0.002)
    adjusted._FITS.clear()
    fresh = adjusted.standardised_contrast(y, a, cov, cluster=cluster, alpha=0.002)
    assert (again.estimate, again.ci_low, again.ci_high, again.method) == (
        fresh.estimate, fresh.ci_low, fresh.ci_high, fresh.method)
    assert again.ci_low < kept.ci_low and again.ci_high > kept.ci_high
    changed = adjusted.standardised_contrast(y + 1.0, a, cov, cluster=cluster, alpha=0.002)
    assert changed.estimate == pytest.approx(fresh.estimate) and changed.method == fresh.method
    assert len(adjusted._FITS) == 2  # a different outcome is a different fit
