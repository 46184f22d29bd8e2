"""Tests of ``outcomes.stats.blockwise``: the CR2 fit a block of whole clusters at a time equals
the whole-design fit of ``outcomes.stats.regression`` (itself checked against clubSandwich in
test_regression.py), and the adjusted fits built on it equal the whole-design standardisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import outcomes.stats.adjusted as adjusted
import outcomes.stats.blockwise as blockwise
from outcomes.errors import AnalysisError
from outcomes.stats.blockwise import (
    ClusterBlocks,
    cr2_pass,
    gram_pass,
    independent_design_columns,
)
from outcomes.stats.regression import (
    FLOOR_CLUSTERS,
    fit_cr2,
    floored_contrast,
    floored_fits,
    independent_columns,
    inverse,
)


def _clusters(rng, G, most=5):
    """Codes of G clusters of 1..most units each, the units shuffled (clusters not contiguous)."""
    sizes = rng.integers(1, most + 1, G)
    return rng.permutation(np.repeat(np.arange(G), sizes))


def _blockwise(X, y, codes, G, contrasts, rows, naive):
    b = ClusterBlocks.of(codes, G, rows=rows)
    Xs, ys = X[b.order], y[b.order]
    build = lambda lo, hi: Xs[lo:hi]  # noqa: E731
    gram, xty = gram_pass(build, ys, b)
    M = inverse(gram)
    return cr2_pass(build, ys, b, M, M @ xty, contrasts, naive=naive)


def test_blocks_are_whole_clusters_of_one_size_in_order():
    rng = np.random.default_rng(0)
    codes = _clusters(rng, 40)
    b = ClusterBlocks.of(codes, 40, rows=7)
    assert sorted(b.order.tolist()) == list(range(codes.size))
    ordered = codes[b.order]
    covered = 0
    for lo, hi, size in b.bounds:
        assert lo == covered and hi > lo and (hi - lo) % size == 0
        assert hi - lo <= max(7, size)
        block = ordered[lo:hi].reshape(-1, size)
        assert (block == block[:, :1]).all()  # each row of the block one cluster
        assert (np.bincount(codes)[block[:, 0]] == size).all()  # all of its units
        covered = hi
    assert covered == codes.size


@pytest.mark.parametrize("rows", [1, 3, 7, 64, 1 << 13])
@pytest.mark.parametrize("p", [1, 2, 5])
def test_cr2_pass_equals_the_whole_design_fit(rows, p):
    rng = np.random.default_rng(rows * 10 + p)
    G = 45
    codes = _clusters(rng, G)
    N = codes.size
    X = np.column_stack([np.ones(N), *(rng.normal(size=(p - 1, N)) if p > 2 else
                                       [rng.integers(0, 2, N)] * (p - 1))]).astype(float)
    y = X @ rng.normal(size=p) + rng.normal(size=N) + rng.normal(size=G)[codes]
    contrasts = [np.eye(p)[-1], rng.normal(size=p)]
    fit = fit_cr2(X, y, codes, G)
    naive = fit_cr2(X, y, np.arange(N), N)
    got = _blockwise(X, y, codes, G, contrasts, rows, naive=True)
    for c, g in zip(contrasts, got, strict=True):
        est, se, df = fit.contrast(c)
        assert g.estimate == pytest.approx(est, rel=1e-12, abs=1e-14)
        assert g.se == pytest.approx(se, rel=1e-12)
        assert g.df == pytest.approx(df, rel=1e-12)
        assert g.se_naive == pytest.approx(naive.contrast(c)[1], rel=1e-12)


def test_cr2_pass_with_a_cluster_of_leverage_one_and_few_clusters():
    # a cluster alone at a level of the second column: I - H_gg is singular (clubSandwich's
    # pseudo-inverse square root), and with 4 clusters the floor applies
    X = np.column_stack([np.ones(9), [0, 0, 0, 0, 0, 0, 1, 1, 0]])
    y = np.array([1.0, 2.0, 2.0, 4.0, 3.0, 5.0, 7.0, 6.0, 2.0])
    codes = np.array([0, 0, 1, 1, 2, 2, 3, 3, 0])
    c = np.array([0.0, 1.0])
    fit, naive = floored_fits(X, y, codes, 4)
    [g] = _blockwise(X, y, codes, 4, [c], rows=2, naive=True)
    assert g.floored() == pytest.approx(floored_contrast(fit, naive, c), rel=1e-12)
    with pytest.raises(AnalysisError, match="at least 2 clusters"):
        _blockwise(X, y, np.zeros(9, dtype=int), 1, [c], rows=4, naive=False)


def test_clusters_with_the_same_rows_are_neighbours_and_adjusted_once_alike():
    rng = np.random.default_rng(8)
    G = 300
    codes = _clusters(rng, G)
    N = codes.size
    table = np.column_stack([np.ones(6), np.arange(6) % 2, np.arange(6) // 2 == 1,
                             np.arange(6) // 2 == 2]).astype(float)
    keys = np.where(rng.random(N) < 0.7, rng.integers(0, 6, G)[codes], rng.integers(0, 6, N))
    X = table[keys]
    y = X @ [1.0, 0.5, -0.2, 0.3] + rng.normal(size=N)
    contrasts = [np.eye(4)[1], np.ones(4)]
    fit = fit_cr2(X, y, codes, G)
    for rows in (4, 1 << 13):
        b = ClusterBlocks.of(codes, G, rows=rows, keys=keys)
        assert (b.keys == keys[b.order]).all()
        for lo, hi, size in b.bounds:  # whole clusters of one size
            block = codes[b.order][lo:hi].reshape(-1, size)
            assert (block == block[:, :1]).all()
        Xs, ys = X[b.order], y[b.order]
        gram, xty = gram_pass(lambda lo, hi, Xs=Xs: Xs[lo:hi], ys, b)
        M = inverse(gram)
        got = cr2_pass(lambda lo, hi, Xs=Xs: Xs[lo:hi], ys, b, M, M @ xty, contrasts)
        for c, g in zip(contrasts, got, strict=True):
            assert (g.estimate, g.se, g.df) == pytest.approx(fit.contrast(c), rel=1e-12)


def test_independent_design_columns_are_those_of_the_whole_design():
    rng = np.random.default_rng(3)
    N = 2000
    codes = _clusters(rng, 600)[:N]
    codes = pd.factorize(codes)[0]
    G = int(codes.max()) + 1
    x = rng.normal(size=N)
    d = rng.integers(0, 3, N)
    cases = {
        "clear": np.column_stack([np.ones(N), x, d == 1, d == 2]),
        "a combination": np.column_stack([np.ones(N), x, d == 1, d == 2, (d == 1) + 2 * x]),
        "an empty column": np.column_stack([np.ones(N), np.zeros(N), x]),
        "nearly collinear": np.column_stack([np.ones(N), x, x + 1e-7 * rng.normal(size=N)]),
    }
    for name, X in cases.items():
        X = X.astype(float)
        b = ClusterBlocks.of(codes, G, rows=97)
        Xs = X[b.order]
        build = lambda lo, hi, Xs=Xs: Xs[lo:hi]  # noqa: E731
        got = independent_design_columns(build, b, X.T @ X)
        assert got.tolist() == independent_columns(X).tolist(), name
    short = cases["a combination"][:40]
    b = ClusterBlocks.of(np.arange(40), 40)
    got = independent_design_columns(lambda lo, hi: short[b.order][lo:hi], b, short.T @ short)
    assert got.tolist() == independent_columns(short).tolist() == [0, 1, 2, 3]


# ---------------------------------------------------------------- the adjusted fits on blocks
def _whole_design_fit(y, a, covariates, codes, G, carriers, contrast):
    """The standardisation with the whole N x p design (as it was computed before the blocks):
    centred dummies and numeric columns, their exposure interactions, independent_columns,
    floored_fits. Returns (estimate, se, df, floored, collinear names)."""
    N = y.size
    cols, names = [], []
    for name in covariates.columns if covariates is not None else []:
        ser = covariates[name].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(ser) and not isinstance(ser.dtype, pd.CategoricalDtype):
            x = ser.to_numpy(float)
            if np.ptp(x) > 0:
                cols.append(x)
                names.append(name)
            continue
        level, levels = pd.factorize(ser, sort=True)
        for j in range(1, len(levels)):
            cols.append((level == j).astype(float))
            names.append(f"{name}={levels[j]}")
    Z = np.column_stack(cols) if cols else np.zeros((N, 0))
    Z = Z - Z.mean(axis=0)
    X = np.column_stack([np.ones(N), a, Z, a[:, None] * Z])
    names = ["intercept", "exposure", *names, *(f"exposure x {z}" for z in names)]
    keep = independent_columns(X)
    if N - keep.size < 2:  # saturated: the interactions left out
        X, names = X[:, : 2 + Z.shape[1]], names[: 2 + Z.shape[1]]
        keep = independent_columns(X)
    X = X[:, keep]
    fit, naive = floored_fits(X, y, codes, G, carriers=carriers)
    c1, c0 = np.zeros(keep.size), np.zeros(keep.size)
    c1[:2], c0[0] = 1.0, 1.0
    mu1, mu0 = fit.coef @ c1, fit.coef @ c0
    c = c1 - c0 if contrast == "difference" else c1 / mu1 - c0 / mu0
    est, se, df, floored = floored_contrast(fit, naive, c)
    est = est if contrast == "difference" else mu1 / mu0
    return est, se, df, floored, [n for j, n in enumerate(names) if j not in set(keep.tolist())]


def _units(rng, patients, binary=False):
    """Units of ``patients`` patients (1-5 each) with categorical and numeric covariates."""
    codes = _clusters(rng, patients)
    N = codes.size
    cond = rng.choice(["acne", "melasma", "rosacea", "scars"], N)
    covs = pd.DataFrame({
        "condition": pd.Categorical(cond, categories=["acne", "melasma", "rosacea", "scars",
                                                      "unused"]),
        "band": rng.choice(["18-29", "30-44", "45+"], N),
        "baseline": rng.uniform(2, 8, N).round(1),
        "rosacea": (cond == "rosacea").astype(float),  # a combination of the condition dummies
    })
    a = (rng.random(N) < 0.4 + 0.2 * (cond == "acne")).astype(float)
    a[:4] = [1, 1, 0, 0]
    codes[:4] = [0, 1, 2, 3]  # both arms with at least 2 patients, whatever the draw
    mean = 3 + a - 0.3 * covs["baseline"] + (cond == "scars") + rng.normal(size=patients)[codes]
    y = (rng.random(N) < 1 / (1 + np.exp(-mean / 3))).astype(float) if binary else (
        mean + rng.normal(size=N))
    return y, a, covs, codes


@pytest.mark.parametrize("patients", [5, 20, 80, 400])
@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize(("rows", "types"), [(1 << 13, 1 << 12), (5, 1 << 12), (3, 4)])
@pytest.mark.parametrize("columns", ["all", "categorical", "none"])
@pytest.mark.parametrize("distinct_rows", [0, 1 << 18])
def test_standardised_fit_on_blocks_equals_the_whole_design(monkeypatch, patients, binary, rows,
                                                             types, columns, distinct_rows):
    # blocks split at odd places; (types=4) the categorical covariates written beside the
    # table of the exposure's rows rather than in it; categorical covariates only (or none):
    # every row of the design from the table, patients with the same rows adjusted once; and
    # (distinct_rows > 0) the fit from the design's distinct rows
    monkeypatch.setattr(blockwise, "BLOCK_ROWS", rows)
    monkeypatch.setattr(adjusted, "_TYPES", types)
    monkeypatch.setattr(adjusted, "_DISTINCT_ROWS", distinct_rows)
    monkeypatch.setattr(adjusted, "_DISTINCT_SHARE", 1)
    rng = np.random.default_rng(patients + binary)
    y, a, covs, codes = _units(rng, patients, binary)
    covs = {"all": covs, "categorical": covs[["condition", "band"]], "none": None}[columns]
    G = int(codes.max()) + 1
    carriers = min(np.unique(codes[a == v]).size for v in (0.0, 1.0))
    for contrast in ("difference", "ratio") if binary else ("difference",):
        adjusted._FITS.clear()
        fit = adjusted.standardised_fit(y, a, covs, cluster=codes, contrast=contrast)
        est, se, df, floored, collinear = _whole_design_fit(y, a, covs, codes, G, carriers,
                                                            contrast)
        assert fit.estimate_ == pytest.approx(est, rel=1e-12)
        assert fit.se == pytest.approx(se, rel=1e-10, abs=1e-7)
        if se > 1e-6:  # (not a fit without residuals, whose floor is decided by rounding)
            assert ("floored" in fit.how) == floored
        assert ("rosacea" in collinear) == (columns == "all")
        assert ("collinear columns dropped: " + ", ".join(collinear) in fit.notes) == bool(
            collinear)
        if df < carriers - 1:  # the capped df are the arm's patients minus 1 (exactly)
            assert fit.df == pytest.approx(df, rel=1e-10)


@pytest.mark.parametrize("distinct_rows", [0, 1 << 18])
def test_a_saturated_fit_on_blocks_equals_the_whole_design(monkeypatch, distinct_rows):
    monkeypatch.setattr(blockwise, "BLOCK_ROWS", 2)
    monkeypatch.setattr(adjusted, "_DISTINCT_ROWS", distinct_rows)
    monkeypatch.setattr(adjusted, "_DISTINCT_SHARE", 1)
    rng = np.random.default_rng(2)
    patient = np.repeat(np.arange(6), 3)
    a = np.tile([1.0, 0.0, 1.0], 6)
    many = pd.DataFrame({f"c{k}": rng.choice(list("xyz"), 18) for k in range(5)})
    y = rng.normal(size=18) + a
    adjusted._FITS.clear()
    fit = adjusted.standardised_fit(y, a, many, cluster=patient)
    assert "exposure interactions left out" in fit.notes[0]
    est, se, df, floored, _ = _whole_design_fit(y, a, many, patient, 6, 6, "difference")
    assert (fit.estimate_, fit.se) == pytest.approx((est, se), rel=1e-12)


def test_a_fit_is_keyed_by_its_covariates_codes_and_values():
    rng = np.random.default_rng(11)
    y, a, covs, codes = _units(rng, 30)
    adjusted._FITS.clear()
    first = adjusted.standardised_fit(y, a, covs, cluster=codes)
    assert adjusted.standardised_fit(y, a, covs.copy(), cluster=codes) == first
    assert len(adjusted._FITS) == 1
    moved = covs.assign(baseline=covs["baseline"] + np.where(np.arange(len(y)) == 7, 0.5, 0.0))
    relabelled = covs.assign(band=covs["band"].replace({"45+": "00-17"}))  # another reference
    many = [f"level {j}" for j in range(300)]  # more categories than a dtype's repr shows
    levels = covs.assign(condition=pd.Categorical(covs["condition"], categories=[
        *covs["condition"].cat.categories, *many]))
    for other in (moved, relabelled):
        again = adjusted.standardised_fit(y, a, other, cluster=codes)
        assert again != first
    assert len(adjusted._FITS) == 3
    renamed = levels.assign(condition=levels["condition"].cat.rename_categories(
        {"level 299": "other"}))
    for other in (levels, renamed):  # the same fit (unused levels never enter), other keys
        assert adjusted.standardised_fit(y, a, other, cluster=codes) == first
    assert len(adjusted._FITS) == 5
    # another reference level is another parametrisation of the same model
    assert again.estimate_ == pytest.approx(first.estimate_, rel=1e-9)


@pytest.mark.parametrize("distinct_rows", [0, 1 << 18])
def test_the_floor_is_asked_only_at_30_patients_or_fewer(monkeypatch, distinct_rows):
    asked = []

    def spy(real):
        def asking(*args, naive=False, **kw):
            asked.append(naive)
            return real(*args, naive=naive, **kw)
        return asking

    monkeypatch.setattr(adjusted, "_DISTINCT_ROWS", distinct_rows)
    monkeypatch.setattr(adjusted, "_DISTINCT_SHARE", 1)
    monkeypatch.setattr(adjusted, "cr2_pass", spy(blockwise.cr2_pass))
    monkeypatch.setattr(adjusted, "distinct_cr2", spy(blockwise.distinct_cr2))
    for patients in (FLOOR_CLUSTERS // 2, 4 * FLOOR_CLUSTERS):
        rng = np.random.default_rng(patients)
        y, a, covs, codes = _units(rng, patients)
        adjusted._FITS.clear()
        adjusted.standardised_fit(y, a, covs, cluster=codes)
    assert asked == [True, False]


@pytest.mark.parametrize("step", [7, 16, 1000])
def test_products_by_stacks_of_rows_equal_the_whole_products(monkeypatch, step):
    # products cut into stacks of rows (each on one thread), a part stack left over
    monkeypatch.setattr(blockwise, "_ONE_THREAD", step)
    rng = np.random.default_rng(step)
    A, B, M = rng.normal(size=(101, 3)), rng.normal(size=(101, 2)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(blockwise._cross(A), A.T @ A, rtol=1e-13)
    np.testing.assert_allclose(blockwise._cross(A, B), A.T @ B, rtol=1e-13)
    np.testing.assert_allclose(blockwise._times(A, M), A @ M, rtol=1e-13)
    np.testing.assert_allclose(blockwise._times(A, M[:, 0]), A @ M[:, 0], rtol=1e-13)


@pytest.mark.parametrize("G", [5, 20, 80, 400])
@pytest.mark.parametrize("naive", [False, True])
def test_distinct_cr2_equals_the_whole_design_fit(monkeypatch, G, naive):
    # a design of six distinct rows, clusters of 1-5 units with one to five of them; the
    # products by stacks of a few rows
    monkeypatch.setattr(blockwise, "_ONE_THREAD", 40)
    rng = np.random.default_rng(G + naive)
    codes = _clusters(rng, G)
    N = codes.size
    T = np.column_stack([np.ones(6), [0, 1, 0, 1, 0, 1], rng.normal(size=(6, 2))])
    rows = rng.integers(0, 6, N)
    rows[:6] = np.arange(6)
    X = T[rows]
    y = rng.normal(size=N) + X[:, 1]
    gram, xty = blockwise.distinct_gram(T, rows, y)
    np.testing.assert_allclose(gram, X.T @ X, rtol=1e-12)
    np.testing.assert_allclose(xty, X.T @ y, rtol=1e-12)
    M = inverse(gram)
    contrasts = [np.array([0.0, 1.0, 0.0, 0.0]), np.array([1.0, 1.0, 0.5, 0.0])]
    got = blockwise.distinct_cr2(T, rows, y, codes, G, M, M @ xty, contrasts, naive=naive)
    fit, independent = fit_cr2(X, y, codes, G), fit_cr2(X, y, np.arange(N), N)
    for c, g in zip(contrasts, got, strict=True):
        est, se, df = fit.contrast(c)
        assert (g.estimate, g.se) == pytest.approx((est, se), rel=1e-10)
        assert g.df == pytest.approx(df, rel=1e-6)  # 5 clusters: df from a near cancellation
        if naive:
            assert g.se_naive == pytest.approx(independent.contrast(c)[1], rel=1e-10)
        else:
            assert np.isnan(g.se_naive)


def test_distinct_cr2_with_a_cluster_of_leverage_one():
    # the only unit of row 2 is a cluster of its own: fitted exactly, its adjustment 0
    T = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    rows = np.array([0, 0, 1, 1, 0, 1, 2])
    codes = np.array([0, 0, 1, 1, 2, 3, 4])
    y = np.array([1.0, 2.0, 4.0, 3.0, 2.5, 5.0, 7.0])
    X = T[rows]
    M = inverse(X.T @ X)
    [got] = blockwise.distinct_cr2(T, rows, y, codes, 5, M, M @ X.T @ y, [[0.0, 1.0, 0.0]])
    est, se, df = fit_cr2(X, y, codes, 5).contrast([0.0, 1.0, 0.0])
    assert (got.estimate, got.se, got.df) == pytest.approx((est, se, df), rel=1e-10)
    with pytest.raises(AnalysisError, match="at least 2 clusters"):
        blockwise.distinct_cr2(T, rows, y, np.zeros(7, dtype=int), 1, M, M @ X.T @ y, [[1.0]])
