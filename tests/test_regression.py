"""Tests of ``outcomes.stats.regression``: CR2 variance and Bell-McCaffrey df against R's
clubSandwich (values stored by tests/reference/make_cr2_r.R) and hand formulas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from outcomes.errors import AnalysisError
from outcomes.stats.regression import (
    FLOOR_CLUSTERS,
    fit_cr2,
    floored_contrast,
    floored_fits,
    independent_columns,
)

REFERENCE = Path(__file__).parent / "reference"
R = json.loads((REFERENCE / "cr2_r.json").read_text())
DATA = pd.read_csv(REFERENCE / "cr2_data.csv")


def _data(name):
    d = DATA[DATA["dataset"] == name].reset_index(drop=True)
    codes, uniq = pd.factorize(d["patient"])
    return d, codes, len(uniq)


@pytest.mark.parametrize("name", ["g2", "g3", "g4", "g5", "g12", "g60"])
@pytest.mark.parametrize("form", ["y ~ 1", "yb ~ 1", "y ~ a", "yb ~ a"])
def test_cr2_vcov_and_df_equal_clubsandwich(name, form):
    d, codes, G = _data(name)
    ref = R[name][form]
    X = np.asarray(ref["X"], dtype=float).reshape(len(d), -1)
    y = d[form.split(" ~ ")[0]].to_numpy(float)
    fit = fit_cr2(X, y, codes, G)
    p = X.shape[1]
    assert np.allclose(fit.coef, np.atleast_1d(ref["coef"]), atol=1e-10)
    assert np.allclose(fit.vcov, np.asarray(ref["vcov"]).reshape(p, p), atol=1e-10)
    for j in range(p):
        est, se, df = fit.contrast(np.eye(p)[j])
        assert se == pytest.approx(np.atleast_1d(ref["se"])[j], abs=1e-10)
        assert df == pytest.approx(np.atleast_1d(ref["df"])[j], abs=1e-9)


@pytest.mark.parametrize("name", ["g5", "g12", "g60"])
def test_cr2_of_an_interacted_model_equals_clubsandwich(name):
    d, codes, G = _data(name)
    ref = R[name]["adjusted"]
    X = np.asarray(ref["X"], dtype=float)
    fit = fit_cr2(X, d["y"].to_numpy(float), codes, G)
    p = X.shape[1]
    assert np.allclose(fit.vcov, np.asarray(ref["vcov"]), atol=1e-10)
    dfs = [fit.contrast(np.eye(p)[j])[2] for j in range(p)]
    assert np.allclose(dfs, ref["df"], atol=1e-9)


def test_one_unit_per_cluster_is_hc2_and_student_t():
    rng = np.random.default_rng(3)
    y = rng.normal(size=9)
    fit = fit_cr2(np.ones((9, 1)), y, np.arange(9), 9)
    est, se, df = fit.contrast([1.0])
    assert se == pytest.approx(np.std(y, ddof=1) / 3.0, rel=1e-12)
    assert df == pytest.approx(8.0, rel=1e-12)
    # two groups: HC2 is the Welch standard error s1^2/n1 + s0^2/n0
    g = np.r_[np.ones(4), np.zeros(5)]
    fit = fit_cr2(np.column_stack([np.ones(9), g]), y, np.arange(9), 9)
    _, se, _ = fit.contrast([0.0, 1.0])
    welch = np.sqrt(y[g == 1].var(ddof=1) / 4 + y[g == 0].var(ddof=1) / 5)
    assert se == pytest.approx(welch, rel=1e-12)


def test_mean_cr2_closed_form_and_singular_cluster():
    # intercept only: V = sum_g e_g^2 / (N^2 (1 - n_g/N)); a cluster holding every unit but
    # one makes no difference to the shape of the formula
    y = np.array([1.0, 2.0, 4.0, 7.0, 3.0])
    codes = np.array([0, 0, 0, 1, 1])
    fit = fit_cr2(np.ones((5, 1)), y, codes, 2)
    e = y - y.mean()
    eg = np.bincount(codes, weights=e)
    ng = np.bincount(codes)
    assert fit.vcov[0, 0] == pytest.approx(np.sum(eg**2 / (25 * (1 - ng / 5))), rel=1e-12)
    # a dummy that one cluster alone carries: I - H_gg is singular; pseudo-inverse square root
    X = np.column_stack([np.ones(5), [1.0, 0, 0, 0, 0]])
    fit = fit_cr2(X, y, np.array([0, 1, 1, 2, 2]), 3)
    assert np.all(np.isfinite(fit.vcov))


def test_independent_columns_keeps_the_first_and_drops_combinations():
    X = np.column_stack([np.ones(6), [0, 1, 0, 1, 0, 1], [1, 0, 1, 0, 1, 0], np.zeros(6),
                         [1, 2, 3, 4, 5, 6]])
    assert independent_columns(X).tolist() == [0, 1, 4]
    with pytest.raises(AnalysisError, match="full column rank"):
        fit_cr2(X, np.arange(6.0), np.arange(6), 6)
    with pytest.raises(AnalysisError, match="at least 2 clusters"):
        fit_cr2(np.ones((3, 1)), [1.0, 2.0, 3.0], np.zeros(3, dtype=int), 1)


def test_floor_binds_at_30_clusters_or_fewer_with_identical_patient_means():
    # every patient scores 2 and 4: the clustered variance is 0, the floor is s^2 / N
    for G in (5, FLOOR_CLUSTERS):
        y = np.tile([2.0, 4.0], G)
        codes = np.repeat(np.arange(G), 2)
        fit, naive = floored_fits(np.ones((2 * G, 1)), y, codes, G)
        est, se, df, floored = floored_contrast(fit, naive, [1.0])
        assert fit.contrast([1.0])[1] == pytest.approx(0.0, abs=1e-12)
        assert floored and se == pytest.approx(np.std(y, ddof=1) / np.sqrt(2 * G), rel=1e-12)
        assert stats.t.isf(0.025, df) * se > 0.1
    G = FLOOR_CLUSTERS + 1
    fit, naive = floored_fits(np.ones((2 * G, 1)), np.tile([2.0, 4.0], G),
                              np.repeat(np.arange(G), 2), G)
    assert naive is None


def _design(N, rng):
    """A tall design with dummies, a numeric column, a sum of two dummies, a zero column and an
    interaction present in one level only: some columns are exact combinations of others."""
    level = rng.integers(0, 6, N)
    a = rng.integers(0, 2, N).astype(float)
    Z = np.column_stack([(level == k).astype(float) for k in range(1, 6)] + [rng.normal(size=N)])
    Z[:, 4] = 0.0
    Z = np.column_stack([Z, Z[:, 0] + Z[:, 1], (level == 2) * a])
    Z = Z - Z.mean(axis=0)
    return np.column_stack([np.ones(N), a, Z, a[:, None] * Z])


@pytest.mark.parametrize("batch", [1 << 16, 700])
def test_independent_columns_of_a_tall_design_are_those_of_gram_schmidt_on_its_rows(
        batch, monkeypatch):
    # above 64 rows a column, the design is reduced to its QR triangle first (same inner
    # products; row blocks of `batch` rows); the columns kept must be those of Gram-Schmidt on
    # the N rows themselves
    import outcomes.stats.regression as reg

    X = _design(5000, np.random.default_rng(3))
    assert X.shape[0] > reg._TALL * X.shape[1]
    monkeypatch.setattr(reg, "_BATCH_UNITS", batch)
    tall = independent_columns(X).tolist()
    monkeypatch.setattr(reg, "_TALL", 10 ** 9)  # Gram-Schmidt on the rows
    direct = independent_columns(X).tolist()
    assert tall == direct
    assert len(tall) < X.shape[1]  # the combinations are dropped


def test_cr2_in_small_batches_equals_one_batch(monkeypatch):
    # the clusters of one size are processed in batches of at most _BATCH_UNITS units
    import outcomes.stats.regression as reg

    rng = np.random.default_rng(5)
    codes = np.repeat(np.arange(300), rng.integers(1, 5, 300))
    rng.shuffle(codes)
    X = _design(codes.size, rng)[:, [0, 1, 2, 3, 7]]
    y = X @ rng.normal(size=X.shape[1]) + rng.normal(size=codes.size)
    whole = fit_cr2(X, y, codes, 300)
    monkeypatch.setattr(reg, "_BATCH_UNITS", 7)
    batched = fit_cr2(X, y, codes, 300)
    assert np.allclose(batched.vcov, whole.vcov, rtol=1e-12, atol=0)
    c = np.eye(X.shape[1])[1]
    assert np.allclose(batched.contrast(c), whole.contrast(c), rtol=1e-12)


def test_a_contrast_fitted_again_is_remembered_and_equals_a_fresh_fit():
    import outcomes.stats.regression as reg

    rng = np.random.default_rng(8)
    codes = rng.integers(0, 40, 200)
    X = np.column_stack([np.ones(200), rng.integers(0, 2, 200)])
    y = rng.normal(size=200)
    reg._CONTRASTS.clear()
    first = reg.fitted_contrast(X, y, codes, 40, [0.0, 1.0], carriers=12)
    again = reg.fitted_contrast(X.copy(), y.copy(), codes.copy(), 40, [0.0, 1.0], carriers=12)
    assert len(reg._CONTRASTS) == 1 and again == first
    assert first == floored_contrast(*floored_fits(X, y, codes, 40, carriers=12), [0.0, 1.0])
    reg.fitted_contrast(X, y + 1.0, codes, 40, [0.0, 1.0], carriers=12)
    reg.fitted_contrast(X, y, codes, 40, [1.0, 1.0], carriers=12)
    assert len(reg._CONTRASTS) == 3  # another outcome, another contrast: other results


@pytest.mark.parametrize("patients", [5, 20, 80])
@pytest.mark.parametrize("carriers", [None, 3])
def test_a_contrast_from_the_distinct_rows_equals_the_whole_design(patients, carriers):
    import outcomes.stats.regression as reg

    rng = np.random.default_rng(patients)
    codes = np.repeat(np.arange(patients), rng.integers(1, 5, patients))
    rows = rng.integers(0, 2, codes.size)
    rows[:2] = [0, 1]
    T = np.array([[1.0, 0.0], [1.0, 1.0]])
    y = rng.normal(size=codes.size) + rows
    reg._CONTRASTS.clear()
    whole = reg.fitted_contrast(T[rows], y, codes, patients, [0.0, 1.0], carriers=carriers)
    distinct = reg.fitted_contrast(T, y, codes, patients, [0.0, 1.0], carriers=carriers,
                                   rows=rows)
    assert len(reg._CONTRASTS) == 2  # the two are kept apart
    assert distinct[:3] == pytest.approx(whole[:3], rel=1e-10)
    assert distinct[3] == whole[3]  # floored alike


@pytest.mark.parametrize("wobble", [0.0, 1e-6, 1e-2])
def test_tall_designs_without_exact_combinations_keep_what_gram_schmidt_keeps(wobble,
                                                                             monkeypatch):
    # a column that is a combination plus a wobble: at 1e-2 the Cholesky shortcut keeps all;
    # at 1e-6 it is not clear there and the QR triangle keeps it; at 0 it is dropped
    import outcomes.stats.regression as reg

    rng = np.random.default_rng(4)
    X = _design(5000, rng)[:, [0, 1, 2, 3, 4, 7]]
    X = np.column_stack([X, X[:, 2] + X[:, 3] + wobble * rng.normal(size=5000)])
    found = independent_columns(X).tolist()
    monkeypatch.setattr(reg, "_TALL", 10 ** 9)
    assert found == independent_columns(X).tolist()
    assert len(found) == X.shape[1] - (wobble == 0.0)
