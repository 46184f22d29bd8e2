"""Simulation: do the nominal 95% intervals cover the truth under patient clustering?

Each replicate is one clinic's worth of data: 150 patients with 1-4 units each (sessions or
events) and a patient random effect, drawn from models whose population values are known in
closed form:

- binary outcome: patient risk ``b ~ 0.5 Beta(1.5, 3.5)`` (mean 0.15); a unit-level flag
  ``d`` (P = 0.4) doubles it. Truth: share 0.15 (0.6 + 0.4 * 2) = 0.21, risk ratio 2, risk
  difference 0.15. A patient-level flag ``h`` (P = 0.5, nested groups) adds 0.15 to the risk
  (truth 0.15).
- continuous outcome: ``y = 1 + 0.5 h + u + e``, ``u, e ~ N(0, 1)``. Truth: mean 1.25,
  difference 0.5.
- skewed duration ``40 exp(0.3 (u + e))``: marginal median 40.
- time to resolution: exponential with rate ``f / 24`` h, gamma frailty ``f`` (mean 1,
  variance 1), uniform censoring on 0-120 h. Marginal ``S(t) = 1 / (1 + t / 24)``:
  S(12) = 2/3, S(48) = 1/3, median 24 h.

Acceptance windows come from the Monte-Carlo error: a 95% interval must cover within 3 binomial
standard errors of 95% (1000 replicates: SE 0.69 points, window 92.9-97.1%; 500: SE 0.97,
92.1-97.9%). A second, strongly clustered design (500 replicates of 40 patients with 6-12 units,
intra-patient correlation 0.4-0.5) shows the naive interval under-covering (about 60%) while
the clustered one holds. A third, small-clinic design (2000 replicates of 20 patients with 1-4
units, SE 0.49 points) checks the small-sample rules (CR2 with Bell-McCaffrey df, the
Korn-Graubard factor, G/(G-1) with t(G-1) for Kaplan-Meier, the floors): coverage at least 95%
minus 3 SE and each one-sided miss at most 2.5% plus 3 SE (3.55 points); over-coverage is
allowed there, the price of the floors. Each design is one test, so that under pytest-xdist
each simulation runs once; together they take about 40 s of CPU.

Coverage at the time of writing (seed 20241118), 150 patients: proportion 0.956,
proportion_difference 0.939 (unit-level flag) and 0.955 (patient-level groups), risk_ratio
0.962, mean 0.953, mean_difference 0.949, median 0.965, KM S(12 h) 0.940, KM S(48 h) 0.945,
KM median 0.944. Strongly clustered, naive / clustered: proportion 0.63 / 0.96, mean
0.58 / 0.95, KM S(24 h) 0.63 / 0.96. 20 patients (coverage; one-sided misses low end above /
high end below the truth): proportion 0.965 (0.020 / 0.015), risk_ratio 0.995 (0.001 / 0.004;
few events make the log-scale interval wide), mean 0.949 (0.029 / 0.023), mean_difference 0.955
(0.020 / 0.025), KM S(12 h) 0.964 (0.008 / 0.028), KM S(48 h) 0.955 (0.015 / 0.030). At 16
patients the same design gives KM S(12 h) 0.967 and S(48 h) 0.950 (before the small-sample
rules: 0.935 and 0.922; mean_difference 0.963, before 0.912).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from outcomes.errors import AnalysisError
from outcomes.stats import intervals
from outcomes.stats.survival import kaplan_meier

pytestmark = pytest.mark.slow

N_REP = 1000
N_REP_STRONG = 500
SEED = 20241118

TRUTH = {
    "proportion": 0.21,
    "proportion_difference (unit-level flag)": 0.15,
    "proportion_difference (patient-level groups)": 0.15,
    "risk_ratio": 2.0,
    "mean": 1.25,
    "mean_difference": 0.5,
    "median": 40.0,
    "KM S(12 h), clustered": 2 / 3,
    "KM S(48 h), clustered": 1 / 3,
    "KM median, clustered": 24.0,
}


def _replicates(rng, n_rep, n_patients, size_low, size_high):
    """Cluster labels of every replicate, drawn at once; yields (replicate index, cluster)."""
    sizes = rng.integers(size_low, size_high + 1, (n_rep, n_patients))
    for r in range(n_rep):
        yield np.repeat(np.arange(n_patients), sizes[r])


def _covers(est, truth):
    return est.ci_low <= truth <= est.ci_high


def simulate_coverage(n_rep=N_REP):
    """Share of replicates whose clustered 95% interval covers the truth, per quantity."""
    rng = np.random.default_rng(SEED)
    hits = {k: [] for k in TRUTH}
    for cl in _replicates(rng, n_rep, 150, 1, 4):
        n, G = cl.size, 150
        # binary outcomes
        risk = 0.5 * rng.beta(1.5, 3.5, G)[cl]
        d = rng.random(n) < 0.4
        y = (rng.random(n) < risk * np.where(d, 2.0, 1.0)).astype(float)
        h = (rng.random(G) < 0.5)[cl]
        yh = (rng.random(n) < risk + 0.15 * h).astype(float)
        hits["proportion"].append(_covers(intervals.proportion(y, cluster=cl), TRUTH["proportion"]))
        hits["proportion_difference (unit-level flag)"].append(
            _covers(intervals.proportion_difference(y, d, cluster=cl), 0.15))
        hits["proportion_difference (patient-level groups)"].append(
            _covers(intervals.proportion_difference(yh, h, cluster=cl), 0.15))
        try:
            hits["risk_ratio"].append(_covers(intervals.risk_ratio(y, d, cluster=cl), 2.0))
        except AnalysisError:  # a group without events: no interval, counted as a miss
            hits["risk_ratio"].append(False)
        # continuous outcomes
        u = rng.normal(0, 1, G)[cl]
        yc = 1.0 + 0.5 * h + u + rng.normal(0, 1, n)
        hits["mean"].append(_covers(intervals.mean(yc, cluster=cl), TRUTH["mean"]))
        hits["mean_difference"].append(_covers(intervals.mean_difference(yc, h, cluster=cl), 0.5))
        dur = 40.0 * np.exp(0.3 * (u + rng.normal(0, 1, n)))
        hits["median"].append(_covers(intervals.median(dur, cluster=cl), 40.0))
        # time to resolution
        frailty = rng.gamma(1.0, 1.0, G)[cl]
        t_event = rng.exponential(24.0, n) / frailty
        t_cens = rng.uniform(0, 120, n)
        km = kaplan_meier(np.minimum(t_event, t_cens), t_event <= t_cens, cluster=cl)
        at = km.at([12.0, 48.0])
        for k, (_, row) in zip(("KM S(12 h), clustered", "KM S(48 h), clustered"),
                               at.iterrows(), strict=True):
            hits[k].append(row["ci_low"] <= TRUTH[k] <= row["ci_high"])
        hits["KM median, clustered"].append(_covers(km.median(), 24.0))
    return {k: float(np.mean(v)) for k, v in hits.items()}


def _table(cov):
    return "\n".join(f"  {k:45s} {v:.3f}" for k, v in cov.items())


def _window(n_rep, level=0.95):
    """95% +/- 3 Monte-Carlo standard errors of a coverage estimated from n_rep replicates."""
    se = math.sqrt(level * (1 - level) / n_rep)
    return level - 3 * se, level + 3 * se


def test_clustered_intervals_cover_the_truth():
    cov = simulate_coverage()
    low, high = _window(N_REP)
    bad = {k: v for k, v in cov.items() if not low <= v <= high}
    assert not bad, (f"coverage outside {low:.3f}-{high:.3f} (3 Monte-Carlo SE of 95%):\n"
                     f"{_table(bad)}\nall:\n{_table(cov)}")


def simulate_strongly_clustered(n_rep=N_REP_STRONG):
    """(naive, clustered) coverage per quantity, 40 patients with 6-12 units each."""
    rng = np.random.default_rng(SEED + 1)
    out = {"proportion": [], "mean": [], "km": []}
    for cl in _replicates(rng, n_rep, 40, 6, 12):
        n, G = cl.size, 40
        p = rng.beta(0.6, 0.9, G)[cl]  # ICC = 1 / (0.6 + 0.9 + 1) = 0.4; truth 0.4
        y = (rng.random(n) < p).astype(float)
        out["proportion"].append((_covers(intervals.proportion(y), 0.4),
                                  _covers(intervals.proportion(y, cluster=cl), 0.4)))
        yc = rng.normal(0, 1, G)[cl] + rng.normal(0, 1, n)  # ICC 0.5; truth 0
        out["mean"].append((_covers(intervals.mean(yc), 0.0),
                            _covers(intervals.mean(yc, cluster=cl), 0.0)))
        frailty = rng.gamma(0.5, 2.0, G)[cl]  # variance 2: S(t) = (1 + 2 t / 24)^(-1/2)
        t_event = rng.exponential(24.0, n) / frailty
        t_cens = rng.uniform(0, 120, n)
        t, e = np.minimum(t_event, t_cens), t_event <= t_cens
        truth = (1 + 2 * 24.0 / 24.0) ** -0.5
        naive = kaplan_meier(t, e, cluster=cl, variance="greenwood").at([24.0]).iloc[0]
        robust = kaplan_meier(t, e, cluster=cl).at([24.0]).iloc[0]
        out["km"].append((naive["ci_low"] <= truth <= naive["ci_high"],
                          robust["ci_low"] <= truth <= robust["ci_high"]))
    return {k: np.mean(v, axis=0) for k, v in out.items()}


def test_naive_intervals_under_cover_when_clustering_is_strong():
    cov = simulate_strongly_clustered()
    table = "\n".join(f"  {k:12s} naive {v[0]:.3f}  clustered {v[1]:.3f}" for k, v in cov.items())
    for quantity, (naive, clustered) in cov.items():
        assert naive < 0.85, f"naive {quantity} interval does not under-cover:\n{table}"
        low, high = _window(N_REP_STRONG)
        assert low <= clustered <= high, f"clustered {quantity} interval:\n{table}"


SMALL_PATIENTS = 20
N_REP_SMALL = 2000


def simulate_small(n_rep=N_REP_SMALL, n_patients=SMALL_PATIENTS):
    """(coverage, low end above the truth, high end below, replicates with an interval) per
    quantity, for a clinic of ``n_patients`` patients with 1-4 units each (models as above)."""
    rng = np.random.default_rng(SEED + 2)
    out = {k: [] for k in ("proportion", "risk_ratio", "mean", "mean_difference",
                           "KM S(12 h), clustered", "KM S(48 h), clustered")}

    def record(key, est, truth):
        out[key].append(0 if est.ci_low > truth else (2 if est.ci_high < truth else 1))

    for cl in _replicates(rng, n_rep, n_patients, 1, 4):
        n, G = cl.size, n_patients
        risk = 0.5 * rng.beta(1.5, 3.5, G)[cl]
        d = rng.random(n) < 0.4
        y = (rng.random(n) < risk * np.where(d, 2.0, 1.0)).astype(float)
        record("proportion", intervals.proportion(y, cluster=cl), TRUTH["proportion"])
        try:
            record("risk_ratio", intervals.risk_ratio(y, d, cluster=cl), 2.0)
        except AnalysisError:  # a group without events: no interval (counted apart)
            pass
        h = (rng.random(G) < 0.5)[cl]
        u = rng.normal(0, 1, G)[cl]
        yc = 1.0 + 0.5 * h + u + rng.normal(0, 1, n)
        record("mean", intervals.mean(yc, cluster=cl), TRUTH["mean"])
        try:
            record("mean_difference", intervals.mean_difference(yc, h, cluster=cl), 0.5)
        except AnalysisError:  # one group empty
            pass
        frailty = rng.gamma(1.0, 1.0, G)[cl]
        t_event = rng.exponential(24.0, n) / frailty
        t_cens = rng.uniform(0, 120, n)
        at = kaplan_meier(np.minimum(t_event, t_cens), t_event <= t_cens, cluster=cl).at(
            [12.0, 48.0])
        for key, (_, row) in zip(("KM S(12 h), clustered", "KM S(48 h), clustered"),
                                 at.iterrows(), strict=True):
            truth = TRUTH[key]
            if not np.isfinite(row["ci_low"]):
                continue
            out[key].append(0 if row["ci_low"] > truth else (2 if row["ci_high"] < truth else 1))
    return {k: (float(np.mean(np.equal(v, 1))), float(np.mean(np.equal(v, 0))),
                float(np.mean(np.equal(v, 2))), len(v)) for k, v in out.items()}


def test_small_clinic_intervals_keep_their_level():
    res = simulate_small()
    lines = "\n".join(f"  {k:28s} coverage {c:.3f}, low end above {lo:.3f}, high end below "
                       f"{hi:.3f} ({m} replicates)" for k, (c, lo, hi, m) in res.items())
    for quantity, (cov, above, below, m) in res.items():
        assert m > 0.9 * N_REP_SMALL, f"{quantity}: too few replicates with an interval"
        assert cov >= _window(m)[0], f"{quantity} under-covers:\n{lines}"
        one_sided = 0.025 + 3 * math.sqrt(0.025 * 0.975 / m)
        assert max(above, below) <= one_sided, f"{quantity} one-sided miss:\n{lines}"
