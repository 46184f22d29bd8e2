"""Confidence intervals that respect patient clustering: the statistical primitives.

Every analysis in the package calls these functions. A patient gives several sessions and may
give several courses, and those units are not independent, so every interval on a quantity built
from several units of a patient is *patient-clustered*:

- closed-form cluster-robust (sandwich) variances wherever one exists — fast and exactly
  reproducible;
- a vectorised cluster bootstrap (:func:`cluster_bootstrap`, fixed seed) only where none does.

``cluster=None`` means every unit is its own cluster; every function then reduces to its textbook
unclustered form (plain Wilson, Student t, ...), which the tests check exactly.

Every estimator returns an :class:`Estimate` whose ``method`` names, in plain words, the interval
used and the number of units and clusters it rests on, e.g.
``"Wilson score, cluster-adjusted effective n 212.4 (312 sessions from 150 patients)"``.

Small-sample convention (a clinic has 5-80 patients, not thousands):

- means, differences of means and log risk ratios are contrasts of a least-squares fit with the
  *CR2* (bias-reduced linearisation) cluster-robust variance and a t reference on
  *Bell-McCaffrey* degrees of freedom (:mod:`outcomes.stats.regression`; equal to R's
  clubSandwich ``coef_test(vcov = "CR2", test = "Satterthwaite")``). A comparison's df are at
  most its smaller group's patients minus 1;
- shares use the CR2 design effect and the Korn-Graubard df factor ``(z / t_df)^2`` on the
  effective n; a share of 0 or 1 rests on the number of patients, not of units;
- a floor: while an estimate rests on 30 patients or fewer (a comparison: either group), its
  variance is never smaller than the one with every unit independent (the effective n of a
  share never exceeds the number of units), so an interval is not a point while values vary;
- bounds within 1e-12 of 0 or 1 are returned as exactly 0 or 1.

Measured coverage (``tests/test_coverage.py``, with Monte-Carlo standard errors) is in its
docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .._docs import FRAGMENTS, shared_doc
from ..errors import AnalysisError
from .quantiles import norm_isf, t_isf
from .regression import FLOOR_CLUSTERS, fitted_contrast

__all__ = [
    "Estimate",
    "Clusters",
    "estimates_frame",
    "wilson",
    "proportion",
    "proportion_difference",
    "mean",
    "mean_difference",
    "risk_ratio",
    "median",
    "cluster_bootstrap",
    "bootstrap_weights",
    "DEFAULT_SEED",
]

#: Seed of every resampling in the package unless the caller gives another one.
DEFAULT_SEED = 20241118

#: Upper bound on the number of cells (resamples x clusters) of one bootstrap weight block
#: (2**21 cells = 16 MiB as float64), so memory stays bounded whatever the number of clusters.
_MAX_CELLS = 2**21

#: Numpydoc text of the parameters the estimators share, by placeholder (see
#: :func:`outcomes._docs.shared_doc`); :mod:`outcomes.stats.survival` uses them too.
_DOCS = {
    **FRAGMENTS,
    "values": """\
y : array_like of float
    One value per unit; missing values are rejected.""",
    "binary": """\
y : array_like of 0/1 or bool
    One value per unit.""",
    "cluster": """\
cluster : array_like, optional
    Cluster (patient) label of each unit; ``None``: units are independent.""",
    "labels": """\
unit_label, cluster_label : str
    Words for units and clusters in ``method``.""",
}


# --------------------------------------------------------------------------- result type
@dataclass(frozen=True)
class Estimate:
    """An estimate with its confidence interval and what it rests on.

    Attributes
    ----------
    estimate : float
        The point estimate (NaN when it does not exist, e.g. a median survival never reached).
    ci_low, ci_high : float
        The confidence interval (may be ``-inf``/``inf`` when a bound is not determined by the
        data; the method then says so).
    n : int
        Number of units (sessions, courses, events) the estimate rests on.
    n_clusters : int
        Number of independent clusters (patients); equals ``n`` when units are independent.
    method : str
        The interval method in plain words, with the units and clusters it rests on.
    """

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    n_clusters: int
    method: str

    def to_dict(self) -> dict:
        """Return the fields as a plain ``dict`` (keys as in the attribute list)."""
        return asdict(self)


def estimates_frame(
    estimates: Mapping[object, Estimate] | Sequence[Estimate], *, key: str = "quantity"
) -> pd.DataFrame:
    """Stack several :class:`Estimate` into one tidy DataFrame.

    Parameters
    ----------
    estimates : mapping of key to Estimate, or sequence of Estimate
        With a mapping, its keys fill a first column named ``key``.
    key : str
        Name of the key column.

    Returns
    -------
    DataFrame
        Columns ``[key,] estimate, ci_low, ci_high, n, n_clusters, method``; one row per estimate.

    Examples
    --------
    >>> e = proportion([1, 0, 1, 1])
    >>> list(estimates_frame({"all": e}).columns)
    ['quantity', 'estimate', 'ci_low', 'ci_high', 'n', 'n_clusters', 'method']
    """
    cols = ["estimate", "ci_low", "ci_high", "n", "n_clusters", "method"]
    if isinstance(estimates, Mapping):
        rows = [{key: k, **e.to_dict()} for k, e in estimates.items()]
        return pd.DataFrame(rows, columns=[key, *cols])
    return pd.DataFrame([e.to_dict() for e in estimates], columns=cols)


# --------------------------------------------------------------------------- input checks
def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise AnalysisError(f"alpha must lie strictly between 0 and 1 (0.05 for a 95% interval); "
                            f"got {alpha!r}.")
    return alpha


def _positions(mask: np.ndarray, limit: int = 5) -> str:
    pos = np.flatnonzero(mask)
    shown = ", ".join(str(int(p)) for p in pos[:limit])
    return shown + (", ..." if len(pos) > limit else "")


def _float_1d(x, name: str, *, finite: bool = True) -> np.ndarray:
    """Return ``x`` as a 1-D float array; reject missing values with a message that says where."""
    try:
        if isinstance(x, pd.Series | pd.Index):
            arr = x.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{name} must hold numbers; it could not be read as numbers "
                            f"({exc}).") from None
    if arr.ndim != 1:
        raise AnalysisError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    if finite:
        bad = ~np.isfinite(arr)
        if bad.any():
            raise AnalysisError(
                f"{name} has {int(bad.sum())} missing or infinite values of {arr.size} "
                f"(positions {_positions(bad)}); drop those units (or impute) before estimating.")
    return arr


def _binary_1d(y, name: str = "y") -> np.ndarray:
    arr = _float_1d(y, name)
    bad = (arr != 0.0) & (arr != 1.0)
    if bad.any():
        vals = ", ".join(repr(v) for v in np.unique(arr[bad])[:5])
        raise AnalysisError(f"{name} must be 0/1 (or False/True); {int(bad.sum())} of {arr.size} "
                            f"values are not (e.g. {vals}).")
    return arr


@dataclass(frozen=True, eq=False)
class Clusters:
    """The clusters of some units, coded once: what every estimator here makes of ``cluster``.

    Coding the patients of a million units takes a while when they are text; a caller asking
    several estimators (or one at several levels) about the same units codes them once with
    :meth:`of` and passes the result as ``cluster``, which gives exactly the codes, and so the
    numbers, of passing the labels.

    Attributes
    ----------
    codes : ndarray of int32 (int64 beyond 2**31 clusters)
        The cluster of each unit, ``0 .. count - 1`` in order of first appearance.
    count : int
        Number of clusters.

    Examples
    --------
    >>> c = Clusters.of(["b", "a", "b"])
    >>> c.codes.tolist(), c.count
    ([0, 1, 0], 2)
    >>> proportion([1, 0, 1], cluster=c) == proportion([1, 0, 1], cluster=["b", "a", "b"])
    True
    """

    codes: np.ndarray
    count: int

    @classmethod
    def of(cls, cluster) -> Clusters:
        """The clusters of labels (array_like), coded as the estimators code them."""
        codes, G, _ = _cluster_codes(cluster, len(cluster))
        # int32 while the clusters fit (half the memory of the units' codes, kept by callers)
        codes = np.array(codes, dtype=np.int32 if G < 2**31 - 1 else np.int64)
        codes.setflags(write=False)  # shared by every estimator given it
        return cls(codes, G)

    def __len__(self) -> int:
        return int(self.codes.size)


def _cluster_codes(cluster, n: int) -> tuple[np.ndarray, int, bool]:
    """Return (codes 0..G-1, G, every cluster has exactly one unit)."""
    if cluster is None:
        return np.arange(n), n, True
    if isinstance(cluster, Clusters):
        if len(cluster) != n:
            raise AnalysisError(f"cluster must be one label per unit: expected {n} labels, "
                                f"got {len(cluster)}.")
        return cluster.codes, cluster.count, cluster.count == n
    ser = cluster if isinstance(cluster, pd.Series | pd.Index) else pd.Series(cluster)
    if ser.ndim != 1 or len(ser) != n:
        raise AnalysisError(f"cluster must be one label per unit: expected {n} labels, got "
                            f"{len(ser)}.")
    if isinstance(ser.dtype, pd.CategoricalDtype):
        codes, G = _first_appearance(ser.cat.codes.to_numpy(), len(ser.cat.categories))
    else:
        codes, uniques = pd.factorize(ser)
        codes, G = np.asarray(codes, dtype=np.int64), len(uniques)
    missing = codes < 0
    if missing.any():
        raise AnalysisError(f"cluster has {int(missing.sum())} missing labels (positions "
                            f"{_positions(missing)}); every unit needs its patient.")
    return codes, G, G == n


def _first_appearance(codes: np.ndarray, k: int) -> tuple[np.ndarray, int]:
    """Codes ``0 .. k - 1`` (-1 missing) numbered again in order of first appearance, as
    ``pd.factorize`` numbers the labels (a categorical's codes, without hashing them); and how
    many appear.

    >>> c, G = _first_appearance(np.array([2, 0, 2, -1, 3]), 4)
    >>> c.tolist(), G
    ([0, 1, 0, -1, 2], 3)
    """
    n = codes.size
    first = np.full(k + 1, n, dtype=np.int64)  # the last place: missing
    np.minimum.at(first, np.where(codes < 0, k, codes), np.arange(n))
    present = np.flatnonzero(first[:k] < n)
    order = present[np.argsort(first[present], kind="stable")]
    rank = np.full(k + 1, -1, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank[np.where(codes < 0, k, codes)], int(order.size)


def _need_clusters(G: int, n: int, what: str) -> None:
    if n > G and G < 2:
        raise AnalysisError(f"{what}: a cluster-robust interval needs at least 2 clusters; got "
                            f"{G} cluster with {n} units.")


def _robust_codes(cluster, n: int, what: str) -> tuple[np.ndarray, int, bool]:
    """:func:`_cluster_codes` for a sandwich variance, which needs at least 2 clusters even when
    every unit is its own."""
    codes, G, singletons = _cluster_codes(cluster, n)
    if G < 2:
        raise AnalysisError(f"{what}: a cluster-robust interval needs at least 2 clusters; got "
                            f"{G} with {n} units.")
    return codes, G, singletons


def _two_groups(group, n: int, levels, op: str = "minus") -> tuple[np.ndarray, tuple, str]:
    """Return (boolean 'first level' mask, levels, words for the comparison: "a {op} b")."""
    ser = group if isinstance(group, pd.Series | pd.Index) else pd.Series(group)
    if ser.ndim != 1 or len(ser) != n:
        raise AnalysisError(f"group must be one label per unit: expected {n}, got {len(ser)}.")
    arr = ser.to_numpy()
    missing = pd.isna(arr)
    if missing.any():
        raise AnalysisError(f"group has {int(missing.sum())} missing labels (positions "
                            f"{_positions(missing)}); drop those units first.")
    if levels is None:
        present = set(pd.unique(arr).tolist())
        if not present <= {0, 1}:
            shown = sorted(map(str, present))[:6]
            raise AnalysisError(f"group must be 0/1 (or False/True), or pass levels=(a, b) to "
                                f"estimate a minus b; got labels {shown}.")
        levels = (1, 0)
    else:
        if len(levels) != 2 or levels[0] == levels[1]:
            raise AnalysisError(f"levels must be two different labels (a, b); got {levels!r}.")
    words = f"{levels[0]} {op} {levels[1]}"
    first = arr == levels[0]
    second = arr == levels[1]
    other = ~(first | second)
    if other.any():
        shown = sorted(map(str, pd.unique(arr[other])))[:6]
        raise AnalysisError(f"group has {int(other.sum())} units outside levels {levels!r} "
                            f"(labels {shown}); select the two groups first.")
    for lab, m in zip(levels, (first, second), strict=True):
        if not m.any():
            raise AnalysisError(f"group {lab!r} has no units; a comparison needs both groups.")
    return np.asarray(first, dtype=bool), tuple(levels), words


def _units(n: int, G: int, singletons: bool, unit_label: str, cluster_label: str) -> str:
    if singletons:
        return f"{n} independent {unit_label}"
    return f"{n} {unit_label} from {G} {cluster_label}"


def _fmt(x: float) -> str:
    return f"{x:.1f}" if abs(x - round(x)) > 1e-9 else f"{x:.0f}"


def _snap(x, tol: float = 1e-12):
    """Values within ``tol`` of 0, 1 or -1 as exactly 0, 1 or -1 (a bound of 5e-20 is 0)."""
    x = np.asarray(x, dtype=float)
    for target in (0.0, 1.0, -1.0):
        x = np.where(np.abs(x - target) <= tol, target, x)
    return x


def _out(x):
    """Scalars back as Python floats, arrays as arrays."""
    return float(x) if np.ndim(x) == 0 else x


# --------------------------------------------------------------------------- Wilson
@shared_doc(**_DOCS)
def wilson(successes, n, *, alpha: float = 0.05):
    """Wilson score interval for a binomial proportion, vectorised.

    Parameters
    ----------
    successes : array_like of float
        Number of successes; may be non-integer (an effective count ``p * n_eff``).
    n : array_like of float
        Number of trials (may be an effective, non-integer n). Broadcast against ``successes``.
    {alpha}

    Returns
    -------
    low, high : float or ndarray
        The interval; NaN where ``n`` is 0.

    Raises
    ------
    AnalysisError
        If a count is negative, exceeds its ``n``, or is not finite.

    Notes
    -----
    With ``p = x/n`` and ``z`` the ``1 - alpha/2`` normal quantile (Wilson 1927)::

        centre = (p + z^2/(2n)) / (1 + z^2/n)
        half   = z * sqrt(p(1-p)/n + z^2/(4 n^2)) / (1 + z^2/n)

    written as in ``statsmodels.stats.proportion.proportion_confint(method="wilson")``, which it
    equals to rounding.

    Examples
    --------
    >>> low, high = wilson(56, 70)
    >>> round(low, 4), round(high, 4)
    (0.6918, 0.877)
    """
    alpha = _check_alpha(alpha)
    x = np.asarray(successes, dtype=float)
    nn = np.asarray(n, dtype=float)
    x, nn = np.broadcast_arrays(x, nn)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(nn))):
        raise AnalysisError("wilson: successes and n must be finite numbers.")
    if np.any(x < 0) or np.any(x > nn * (1 + 1e-12)):
        raise AnalysisError("wilson: successes must lie between 0 and n.")
    z = norm_isf(alpha / 2.0)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        q = x / nn
        denom = 1.0 + z2 / nn
        centre = (q + z2 / (2.0 * nn)) / denom
        dist = z * np.sqrt(q * (1.0 - q) / nn + z2 / (4.0 * nn**2)) / denom
        low = np.where(nn > 0, centre - dist, np.nan)
        high = np.where(nn > 0, centre + dist, np.nan)
    # exactly 0 (1) with no success (failure): rounding leaves ~1e-17, which would put a group
    # of zero events "above" an overall rate of zero
    low = np.where(x == 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(x >= nn, 1.0, np.clip(high, 0.0, 1.0))
    low = np.where(nn > 0, _snap(low), np.nan)
    high = np.where(nn > 0, _snap(high), np.nan)
    return _out(low), _out(high)


# --------------------------------------------------------------------------- proportions
def _intercept_df(n_cell: np.ndarray, cell_group: np.ndarray, n_groups: int,
                  n: np.ndarray | None = None, lev: np.ndarray | None = None) -> np.ndarray:
    """Bell-McCaffrey df of an intercept-only CR2 variance, per group, from the units of each
    (group, cluster) cell alone (regression.CR2Fit.contrast written out for X = 1:
    ``w_g = 1_g / (n sqrt(1 - n_g/n))``, all scaled by ``n^2``); NaN for a group of one
    cluster. ``n`` (units per group) and ``lev`` (``1 / (1 - n_g/n)`` per cell) are computed
    when not given.

    Examples
    --------
    >>> round(float(_intercept_df(np.array([2.0, 2.0, 2.0]), np.zeros(3, dtype=int), 1)[0]), 9)
    2.0
    """
    n_cell = np.asarray(n_cell, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if n is None:
            n = np.bincount(cell_group, weights=n_cell, minlength=n_groups)
        if lev is None:
            share = n_cell / n[cell_group]
            lev = np.where(share < 1.0, 1.0 / (1.0 - share), np.nan)
        ww = n_cell * lev
        t2 = n_cell * n_cell * lev
        s_ww = np.bincount(cell_group, weights=ww, minlength=n_groups)
        s_t2 = np.bincount(cell_group, weights=t2, minlength=n_groups) / n
        trace = s_ww - s_t2
        trace_sq = (np.bincount(cell_group, weights=ww * ww, minlength=n_groups)
                    - 2.0 * np.bincount(cell_group, weights=ww * t2, minlength=n_groups) / n
                    + s_t2 * s_t2)
        return trace * trace / trace_sq


def _effective_n(y_cell: np.ndarray, n_cell: np.ndarray, cell_group: np.ndarray,
                 n_groups: int, alpha: float = 0.05):
    """Shares and their cluster-adjusted effective n, for many groups at once.

    Parameters
    ----------
    y_cell, n_cell : ndarray of float
        Per (group, cluster) cell with at least one unit: units with y = 1, and units.
    cell_group : ndarray of int
        Group (0 .. n_groups - 1) of each cell.
    n_groups : int
    alpha : float
        For the Korn-Graubard degrees-of-freedom factor.

    Returns
    -------
    p, n, G, n_eff, deff, df : ndarray
        Per group: share, units, clusters, effective n (with the df factor), design effect
        and the Bell-McCaffrey df of the share (see :func:`proportion`, Notes). ``deff`` is 1
        and ``df`` is ``n - 1`` when every cluster has one unit; ``deff`` is NaN when ``p`` is
        0 or 1 (no variation to estimate it; ``n_eff`` then rests on the number of clusters).
    single, nominal : ndarray of bool
        Every cluster one unit; ``p`` is 0 or 1 with some cluster of several units.
    """
    n = np.bincount(cell_group, weights=n_cell, minlength=n_groups)
    G = np.bincount(cell_group, minlength=n_groups)
    x = np.bincount(cell_group, weights=y_cell, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        share = n_cell / n[cell_group]  # n_g / n
        lev = np.where(share < 1.0, 1.0 / (1.0 - share), np.nan)  # (1 - H_gg)^-1 on 1_g
        e = y_cell - p[cell_group] * n_cell
        v_clu = np.bincount(cell_group, weights=e * e * lev, minlength=n_groups) / n**2  # CR2
        v_srs = p * (1.0 - p) / (n - 1)
        deff = v_clu / v_srs
        df = _intercept_df(n_cell, cell_group, n_groups, n, lev)
        single = G == n
        nominal = ~single & ((p == 0.0) | (p == 1.0))
        n_eff = np.where(nominal, G, n / np.maximum(deff, 1.0))
        # Korn & Graubard (1998): effective n times (z / t_df)^2 for a clustered share
        ratio = (norm_isf(alpha / 2.0) / t_isf(alpha / 2.0, df)) ** 2
        n_eff = np.where(single, n, n_eff * np.where(np.isfinite(ratio), ratio, 1.0))
    deff = np.where(single, 1.0, np.where(nominal, np.nan, deff))
    df = np.where(single, n - 1.0, df)
    return p, n, G, n_eff, deff, df, single, nominal


_NOMINAL = ("share 0 or 1: no variation to estimate a design effect, effective n from the "
            "patients")


def _design(y: np.ndarray, codes: np.ndarray, G: int, mask: np.ndarray | None = None,
            alpha: float = 0.05):
    """Share of ``y`` (optionally within ``mask``) and its cluster-adjusted effective n.

    Returns (p, n, n_clusters, n_eff, deff, note, residual per cluster), ``note`` the words of
    :func:`_wilson_words` for the design effect and df.
    """
    if mask is not None:
        y = y[mask]
        codes = codes[mask]
    n = y.size
    Yg = np.bincount(codes, weights=y, minlength=G)
    ng = np.bincount(codes, minlength=G).astype(float)
    present = ng > 0
    p, _, Gk, n_eff, deff, df, single, nominal = (
        a[0] for a in _effective_n(Yg[present], ng[present],
                                   np.zeros(int(present.sum()), dtype=np.int64), 1, alpha))
    p, Gk = float(p), int(Gk)
    eg = Yg - p * ng
    if single:  # every cluster one unit: the design effect is exactly 1
        return p, n, Gk, float(n), 1.0, "", eg
    if Gk < 2:
        raise AnalysisError(f"a cluster-robust interval needs at least 2 clusters; got 1 cluster "
                            f"with {n} units.")
    return p, n, Gk, float(n_eff), float(deff), _df_words(float(df), bool(nominal)), eg


def _df_words(df: float, nominal: bool) -> str:
    head = _NOMINAL + ", " if nominal else ""
    return f"{head}Korn-Graubard factor on {df:.1f} Bell-McCaffrey df"


def _wilson_words(n_eff: float, deff: float, note: str, singletons: bool) -> str:
    if singletons:
        return "Wilson score"
    if note.startswith(_NOMINAL):
        return f"Wilson score, effective n {_fmt(n_eff)}, {note}"
    return (f"Wilson score, cluster-adjusted effective n {_fmt(n_eff)}, design effect "
            f"{deff:.2f} (CR2), {note}")


@shared_doc(**_DOCS)
def proportion(
    y,
    *,
    cluster=None,
    alpha: float = 0.05,
    unit_label: str = "units",
    cluster_label: str = "patients",
) -> Estimate:
    """Share of units with ``y == 1``, with a cluster-adjusted Wilson interval.

    Parameters
    ----------
    y : array_like of 0/1 or bool
        One value per unit. Missing values are rejected.
    cluster : array_like, optional
        Cluster (patient) label of each unit; ``None`` means every unit is its own cluster.
    {alpha}
    unit_label, cluster_label : str
        Words for units and clusters in ``method`` (e.g. ``"sessions"``, ``"patients"``).

    Returns
    -------
    Estimate
        ``estimate`` is ``sum(y) / n``; ``n`` units, ``n_clusters`` clusters.

    Raises
    ------
    AnalysisError
        If ``y`` has missing or non-0/1 values, is empty, or the units come from a single
        cluster.

    Notes
    -----
    The share is a ratio estimator ``p = sum_g Y_g / sum_g n_g`` over clusters g (``Y_g`` the
    cluster's events, ``n_g`` its units). Its CR2 cluster-robust variance (the mean of an
    intercept-only least-squares fit, :func:`mean`) is::

        V_clu = sum_g (Y_g - p n_g)^2 / (n^2 (1 - n_g / n))

    The design effect compares it with the variance under independent units of the same
    convention, ``V_srs = p(1-p)/(n-1)``: ``deff = V_clu / V_srs``. The interval is the Wilson
    score interval with the effective sample size ``n_eff = n / deff`` (capped at ``n``, the
    floor) and ``p * n_eff`` successes (Kish 1965), times the Korn & Graubard (1998) factor
    ``(z / t_df)^2`` with ``df`` the Bell-McCaffrey df of ``V_clu`` (``regression``), so that few
    patients widen it. When ``p`` is 0 or 1 no design effect can be estimated: ``n_eff`` is then
    the number of patients (times the same factor), never the number of units, so 2 patients
    with 10 successful courses each do not look like 20 independent successes. With one unit
    per cluster the interval is the plain Wilson interval.

    Examples
    --------
    >>> e = proportion([1, 1, 0, 1, 0, 1], cluster=["a", "a", "b", "c", "c", "d"])
    >>> round(e.estimate, 3), e.n, e.n_clusters
    (0.667, 6, 4)
    """
    alpha = _check_alpha(alpha)
    arr = _binary_1d(y)
    if arr.size == 0:
        raise AnalysisError("proportion: no units (y is empty).")
    codes, G, singletons = _cluster_codes(cluster, arr.size)
    _need_clusters(G, arr.size, "proportion")
    p, n, Gk, n_eff, deff, note, _ = _design(arr, codes, G, alpha=alpha)
    low, high = wilson(p * n_eff, n_eff, alpha=alpha)
    method = (f"{_wilson_words(n_eff, deff, note, singletons)} "
              f"({_units(n, G, singletons, unit_label, cluster_label)})")
    return Estimate(p, low, high, n, G, method)


@shared_doc(**_DOCS)
def proportion_difference(
    y,
    group,
    *,
    cluster=None,
    alpha: float = 0.05,
    levels: tuple | None = None,
    unit_label: str = "units",
    cluster_label: str = "patients",
) -> Estimate:
    """Difference of two shares, ``p(first level) - p(second level)``, Newcombe hybrid score.

    Parameters
    ----------
    {binary}
    group : array_like
        Group of each unit: 0/1 or False/True (estimate = group 1 minus group 0), or any two
        labels named in ``levels``.
    {cluster}
    {alpha}
    levels : (a, b), optional
        Estimate ``p(a) - p(b)``; needed unless ``group`` is 0/1 or boolean.
    {labels}

    Returns
    -------
    Estimate
        ``estimate = p_a - p_b``; ``n`` units of both groups, ``n_clusters`` clusters.

    Raises
    ------
    AnalysisError
        Missing or non-0/1 ``y``, missing group labels, labels outside ``levels``, an empty group,
        or a group whose several units all come from one cluster.

    Notes
    -----
    Newcombe's hybrid score interval (Newcombe 1998, method 10), built from the two Wilson
    intervals ``(l1, u1)`` and ``(l0, u0)`` of :func:`proportion` (each with its own
    cluster-adjusted effective n)::

        L = d - sqrt((p1 - l1)^2 + (u0 - p0)^2 - 2 r (p1 - l1)(u0 - p0))
        U = d + sqrt((u1 - p1)^2 + (p0 - l0)^2 - 2 r (u1 - p1)(p0 - l0))

    ``r`` is the correlation of the two shares through patients who have units in both groups,
    estimated from the cluster-robust covariance ``sum_g e1_g e0_g / sqrt(sum e1^2 sum e0^2)``
    with ``ek_g = Yk_g - pk nk_g`` (the MOVER of Zou & Donner 2008). When no patient is in both
    groups ``r = 0`` exactly and this is Newcombe's method 10 as published, which
    ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")`` also computes.

    Examples
    --------
    >>> y = [1] * 56 + [0] * 14 + [1] * 48 + [0] * 32
    >>> g = [1] * 70 + [0] * 80
    >>> e = proportion_difference(y, g)
    >>> round(e.estimate, 4), round(e.ci_low, 4), round(e.ci_high, 4)
    (0.2, 0.0524, 0.3339)
    """
    alpha = _check_alpha(alpha)
    arr = _binary_1d(y)
    first, levels, words = _two_groups(group, arr.size, levels)
    codes, G, singletons = _cluster_codes(cluster, arr.size)
    try:
        p1, n1, G1, ne1, deff1, note1, e1 = _design(arr, codes, G, first, alpha)
        p0, n0, G0, ne0, deff0, note0, e0 = _design(arr, codes, G, ~first, alpha)
    except AnalysisError as exc:
        raise AnalysisError(f"proportion_difference: {exc}") from None
    l1, u1 = wilson(p1 * ne1, ne1, alpha=alpha)
    l0, u0 = wilson(p0 * ne0, ne0, alpha=alpha)
    s11, s00, s10 = float(e1 @ e1), float(e0 @ e0), float(e1 @ e0)
    r = 0.0 if s11 == 0.0 or s00 == 0.0 or s10 == 0.0 else s10 / math.sqrt(s11 * s00)
    r = min(1.0, max(-1.0, r))
    d = p1 - p0
    a, b = p1 - l1, u0 - p0
    c, e = u1 - p1, p0 - l0
    low = d - math.sqrt(max(0.0, a * a + b * b - 2.0 * r * a * b))
    high = d + math.sqrt(max(0.0, c * c + e * e - 2.0 * r * c * e))
    if singletons:
        how = "Newcombe hybrid score (method 10) from Wilson intervals"
    else:
        parts = []
        for lab, ne, note in ((levels[0], ne1, note1), (levels[1], ne0, note0)):
            parts.append(f"{lab}: {_fmt(ne)}" + (" from the patients (share 0 or 1)"
                                                  if note.startswith(_NOMINAL) else ""))
        how = ("Newcombe hybrid score (method 10) from cluster-adjusted Wilson intervals "
               f"(effective n {', '.join(parts)})")
        if r != 0.0:
            how += f", MOVER correlation {r:.3f} for {cluster_label} in both groups"
    method = f"{how}; {words} ({_units(arr.size, G, singletons, unit_label, cluster_label)})"
    return Estimate(d, float(_snap(max(-1.0, low))), float(_snap(min(1.0, high))), arr.size, G,
                    method)


# --------------------------------------------------------------------------- means
def _regression_design(arr: np.ndarray, group, cluster, levels, op: str, what: str):
    """Checks and codes of the two-group regressions ``y ~ 1 + d`` (:func:`mean_difference`,
    :func:`risk_ratio`): (first-level mask, levels, words, cluster codes, G, singletons)."""
    N = arr.size
    first, levels, words = _two_groups(group, N, levels, op)
    if N < 3:
        raise AnalysisError(f"{what}: needs at least 3 units; got {N}.")
    codes, G, singletons = _robust_codes(cluster, N, what)
    return first, levels, words, codes, G, singletons


def _arm_clusters(codes: np.ndarray, first: np.ndarray) -> int:
    """Patients carrying a two-group comparison: the fewer of the two groups' patients."""
    return min(int(np.count_nonzero(np.bincount(codes[first]))),
               int(np.count_nonzero(np.bincount(codes[~first]))))


def _cr2_words(df: float, floored: bool, unit_label: str, scale: str = "",
               carriers: int | None = None) -> tuple[float, str]:
    """(df used, words) of a CR2 t interval; a comparison's df are capped at its smaller
    group's patients minus 1 (``carriers - 1``)."""
    if carriers is not None and df > carriers - 1:
        how = (f"{scale}cluster-robust CR2 standard error, t on {carriers - 1} df "
               f"(Bell-McCaffrey {df:.1f}, capped at the smaller group's {carriers} patients "
               "minus 1)")
        df = float(carriers - 1)
    else:
        how = f"{scale}cluster-robust CR2 standard error, t on {df:.1f} Bell-McCaffrey df"
    if floored:
        who = "a group with " if carriers is not None else ""
        how += (f", floored at the independent-{unit_label} standard error ({who}"
                f"{FLOOR_CLUSTERS} patients or fewer)")
    return df, how


@shared_doc(**_DOCS)
def mean(
    y,
    *,
    cluster=None,
    alpha: float = 0.05,
    unit_label: str = "units",
    cluster_label: str = "patients",
    skew: bool = False,
) -> Estimate:
    """Mean with a CR2 cluster-robust standard error and a t interval on Bell-McCaffrey df.

    Parameters
    ----------
    {values}
    {cluster}
    {alpha}
    {labels}
    skew : bool, default False
        Correct the interval for the skewness of the mean (Hall 1992; Notes): the verdicts
        use it, since pain scores and improvements are skewed and a few patients carry them.

    Returns
    -------
    Estimate
        ``estimate`` is the mean over units.

    Raises
    ------
    AnalysisError
        Missing values, fewer than 2 units, or fewer than 2 clusters.

    Notes
    -----
    With residuals ``e_i = y_i - ybar`` summed per cluster (``e_g``), N units, G clusters of
    ``n_g`` units, the CR2 (bias-reduced linearisation) variance of the intercept-only model
    is::

        V = sum_g e_g^2 / (N^2 (1 - n_g / N)),   CI = ybar +/- t_df sqrt(V)

    with ``df`` the Bell-McCaffrey degrees of freedom (:mod:`outcomes.stats.regression`; equal
    to R's ``clubSandwich::coef_test(lm(y ~ 1), vcov = "CR2", test = "Satterthwaite")``).
    With one unit per cluster ``V = s^2 / N`` and ``df = N - 1``: the Student t interval. At
    30 patients or fewer the variance is never smaller than ``s^2 / N`` (the units taken as
    independent), so 30 patients scoring 2 and 4 do not give a point interval.

    With ``skew=True`` the t statistic ``T = (ybar - mu) / se`` is transformed to remove the
    skewness of ``ybar`` (Hall 1992, J R Stat Soc B 54:221; Zhou & Dinh 2005, Biostatistics
    6:187): with ``u_g = e_g / N`` and ``gamma = k3 / se^3`` the estimated skewness of the mean,
    ``k3 = sum_g u_g^3 G^2 / ((G - 1)(G - 2))`` (the unbiased third cumulant's factor, G
    clusters, or units when they are independent), ``a = gamma / 3`` and ``b = gamma / 6``,
    ``g(T) = T + a T^2 + a^2 T^3 / 3 + b`` is nearly symmetric, and the interval inverts
    ``|g(T)| <= t_df``: ``ybar - se ginv(t_df)`` to ``ybar - se ginv(-t_df)``, ``ginv(x) =
    ((1 + 3 a (x - b))^(1/3) - 1) / a``. A right-skewed outcome (most patients with little
    pain, a few with much) has a long left tail of T, since a low mean comes with a small
    spread: the plain t interval's upper end then falls below the truth too often (6% at 20
    patients in the calibration study, 4-5% at 40 and 150, for a nominal 2.5%), the corrected
    one 3-4% at 20 and about 3% from 40. With fewer than :data:`SKEW_MIN_CLUSTERS` clusters
    (the skewness of so few says nothing), or no spread, it is the plain t interval;
    ``|gamma|`` is capped where ``1 + 3 a (x - b)`` would turn negative at ``x = -/+ t_df``
    (0.43 on 9 df), so that the inverse stays on the transformation's regular branch.

    Examples
    --------
    >>> e = mean([2.0, 3.0, 4.0, 5.0], cluster=[1, 1, 2, 3])
    >>> e.estimate, e.n_clusters
    (3.5, 3)
    """
    alpha = _check_alpha(alpha)
    arr = _float_1d(y, "y")
    N = arr.size
    if N < 2:
        raise AnalysisError(f"mean: an interval needs at least 2 units; got {N}.")
    codes, G, singletons = _robust_codes(cluster, N, "mean")
    m, se, df, floored = fitted_contrast(np.ones((1, 1)), arr, codes, G, [1.0],
                                         rows=np.zeros(N, dtype=np.intp))
    if singletons:
        how = f"Student t, {N - 1} df"
    else:
        df, how = _cr2_words(df, floored, unit_label)
    low, high = _t_interval(m, se, df, alpha)
    if skew and se > 0.0 and G >= SKEW_MIN_CLUSTERS:
        gamma = _mean_skewness(arr, codes, G, se)
        low, high, capped = _hall_interval(m, se, gamma, df, alpha)
        how += (f", skewness-corrected (Hall 1992; skewness of the mean {gamma:.2f}"
                f"{', capped' if capped else ''})")
    if se == 0.0:
        how += "; every value is the same, so there is no spread to give an interval"
    return Estimate(float(arr.mean()), low, high, N, G,
                    f"{how} ({_units(N, G, singletons, unit_label, cluster_label)})")


#: Fewest clusters (or independent units) whose skewness :func:`mean` corrects for.
SKEW_MIN_CLUSTERS = 10


def _t_interval(est: float, se: float, df: float, alpha: float) -> tuple[float, float]:
    q = float(t_isf(alpha / 2.0, df))
    return est - q * se, est + q * se


def _mean_skewness(arr: np.ndarray, codes: np.ndarray, G: int, se: float) -> float:
    """Skewness of a (clustered) mean: ``k3 / se^3`` (see :func:`mean`, Notes)."""
    u = np.bincount(codes, weights=arr - arr.mean(), minlength=G) / arr.size
    k3 = float(np.sum(u**3)) * G * G / ((G - 1.0) * (G - 2.0))
    return k3 / se**3


def _hall_interval(est: float, se: float, gamma: float, df: float,
                   alpha: float) -> tuple[float, float, bool]:
    """Interval of a mean whose t statistic has skewness ``gamma`` (Hall 1992), and whether
    ``gamma`` was capped (see :func:`mean`, Notes).

    Examples
    --------
    No skewness: the t interval.

    >>> [round(float(x), 6) for x in _hall_interval(1.0, 0.5, 0.0, 10.0, 0.05)]
    [-0.114069, 2.114069, 0.0]
    """
    q = float(t_isf(alpha / 2.0, df))
    if abs(gamma) < 1e-12:
        return est - q * se, est + q * se, False
    # largest |gamma| with 1 - |gamma| (q + |gamma| / 6) >= 0
    cap = 3.0 * (math.sqrt(q * q + 2.0 / 3.0) - q)
    capped = abs(gamma) > cap
    gamma = math.copysign(min(abs(gamma), cap), gamma)
    a, b = gamma / 3.0, gamma / 6.0

    def ginv(x: float) -> float:
        return (float(np.cbrt(max(1.0 + 3.0 * a * (x - b), 0.0))) - 1.0) / a

    return est - se * ginv(q), est - se * ginv(-q), capped


def _two_group_contrast(arr, first, codes, G, c):
    """The contrast ``c`` of ``y ~ 1 + first`` (its design's two rows, each unit's)."""
    return fitted_contrast(np.array([[1.0, 0.0], [1.0, 1.0]]), arr, codes, G, c,
                           carriers=_arm_clusters(codes, first), rows=first.astype(np.intp))


@shared_doc(**_DOCS)
def mean_difference(
    y,
    group,
    *,
    cluster=None,
    alpha: float = 0.05,
    levels: tuple | None = None,
    unit_label: str = "units",
    cluster_label: str = "patients",
) -> Estimate:
    """Difference of two means (OLS ``y ~ 1 + group``) with a CR2 t interval.

    Parameters
    ----------
    {values}
    group : array_like
        0/1 or boolean (estimate = mean of 1 minus mean of 0), or two labels named in ``levels``.
    {cluster}
    {alpha}
    levels : (a, b), optional
        Estimate ``mean(a) - mean(b)``.
    {labels}

    Returns
    -------
    Estimate
        ``estimate = mean_a - mean_b``; ``n`` units of both groups.

    Raises
    ------
    AnalysisError
        Missing values, an empty group, fewer than 3 units or fewer than 2 clusters.

    Notes
    -----
    The OLS slope on the group indicator is ``ybar_1 - ybar_0``; its interval is
    ``diff +/- t_df se`` with the CR2 cluster-robust standard error and the Bell-McCaffrey df
    of the slope (:mod:`outcomes.stats.regression`, equal to R's
    ``clubSandwich::coef_test(lm(y ~ d), vcov = "CR2", test = "Satterthwaite")``). With one
    unit per cluster CR2 is HC2, whose variance is Welch's ``s1^2/n1 + s0^2/n0``; its df are
    Bell-McCaffrey's (close to Welch's). While either group rests on 30 patients or fewer
    the standard error is floored at the one with every unit independent.

    Examples
    --------
    >>> e = mean_difference([1.0, 2.0, 3.0, 5.0, 6.0, 7.0], [0, 0, 0, 1, 1, 1])
    >>> e.estimate
    4.0
    """
    alpha = _check_alpha(alpha)
    arr = _float_1d(y, "y")
    N = arr.size
    first, levels, words, codes, G, singletons = _regression_design(
        arr, group, cluster, levels, "minus", "mean_difference")
    d, se, df, floored = _two_group_contrast(arr, first, codes, G, [0.0, 1.0])
    d = float(arr[first].mean() - arr[~first].mean())
    if singletons:
        how = f"HC2 (Welch) standard error, t on {df:.1f} Bell-McCaffrey df"
    else:
        df, how = _cr2_words(df, floored, unit_label, carriers=_arm_clusters(codes, first))
    low, high = _t_interval(d, se, df, alpha)
    return Estimate(d, low, high, N, G,
                    f"OLS difference in means, {how}; {words} "
                    f"({_units(N, G, singletons, unit_label, cluster_label)})")


# --------------------------------------------------------------------------- risk ratio
@shared_doc(**_DOCS)
def risk_ratio(
    y,
    group,
    *,
    cluster=None,
    alpha: float = 0.05,
    levels: tuple | None = None,
    unit_label: str = "units",
    cluster_label: str = "patients",
) -> Estimate:
    """Ratio of two shares, ``p(a) / p(b)``, with a small-sample log-scale t interval.

    Parameters
    ----------
    {binary}
    group : array_like
        0/1 or boolean (estimate = p(1) / p(0)), or two labels named in ``levels``.
    {cluster}
    {alpha}
    levels : (a, b), optional
        Estimate ``p(a) / p(b)``.
    {labels}

    Returns
    -------
    Estimate
        ``estimate = p_a / p_b``.

    Raises
    ------
    AnalysisError
        If either group has no event: the log risk ratio is then undefined. No continuity
        correction is applied; report :func:`proportion_difference` instead.

    Notes
    -----
    The shares are the fitted values of the linear model ``y ~ 1 + d`` (``p0 = b0``,
    ``p1 = b0 + b1``), and ``log(p1/p0)`` has the delta-method gradient
    ``g = (1/p1 - 1/p0, 1/p1)``. Its standard error is the CR2 cluster-robust one of the
    contrast ``g'b``, and the interval ``exp(log(p1/p0) +/- t_df se)`` uses its
    Bell-McCaffrey df (:mod:`outcomes.stats.regression`). The linear score is the robust
    Poisson model's (Zou 2004), so with many patients this is the usual cluster-robust
    log-scale interval; with a few exposed patients the df fall towards the number of those
    patients minus one and the interval widens, where the CR1 sandwich with a normal quantile
    gave intervals narrower than the unclustered Katz one. While either group rests on 30
    patients or fewer the standard error is floored at the one with every unit independent
    (close to Katz's). Without clustering the variance is HC2's,
    ``(1 - p1)/(p1 (n1 - 1)) + (1 - p0)/(p0 (n0 - 1))``.

    Examples
    --------
    >>> y = [1, 0, 0, 0, 1, 1, 0, 0]
    >>> g = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> round(risk_ratio(y, g).estimate, 2)
    2.0
    """
    alpha = _check_alpha(alpha)
    arr = _binary_1d(y)
    N = arr.size
    first, levels, words, codes, G, singletons = _regression_design(
        arr, group, cluster, levels, "over", "risk_ratio")
    n1 = int(first.sum())
    n0 = N - n1
    x1 = float(arr[first].sum())
    x0 = float(arr[~first].sum())
    for lab, x, nk in ((levels[0], x1, n1), (levels[1], x0, n0)):
        if x == 0:
            raise AnalysisError(
                f"risk_ratio: group {lab!r} has no events in {nk} {unit_label}, so the risk "
                "ratio is 0 or infinite and its log-scale interval undefined; report the risk "
                "difference (proportion_difference) instead.")
    p1, p0 = x1 / n1, x0 / n0
    _, se, df, floored = _two_group_contrast(arr, first, codes, G,
                                             [1.0 / p1 - 1.0 / p0, 1.0 / p1])
    lrr = math.log(p1 / p0)
    if singletons:
        how = f"log-scale HC2 standard error, t on {df:.1f} Bell-McCaffrey df"
    else:
        df, how = _cr2_words(df, floored, unit_label, "log-scale ",
                             carriers=_arm_clusters(codes, first))
    low, high = _t_interval(lrr, se, df, alpha)
    return Estimate(p1 / p0, math.exp(low), math.exp(high), N, G,
                    f"Risk ratio, {how} (delta method on the linear-probability fit); {words} "
                    f"({_units(N, G, singletons, unit_label, cluster_label)})")


# --------------------------------------------------------------------------- median
@shared_doc(**_DOCS)
def median(
    y,
    *,
    cluster=None,
    alpha: float = 0.05,
    unit_label: str = "units",
    cluster_label: str = "patients",
) -> Estimate:
    """Median with Woodruff's cluster-aware interval.

    Parameters
    ----------
    {values}
    {cluster}
    {alpha}
    {labels}

    Returns
    -------
    Estimate
        ``estimate`` is ``numpy.median(y)``; a bound the data cannot give (3 or fewer effective
        units) is ``-inf``/``inf``.

    Raises
    ------
    AnalysisError
        Missing values or no units, or several units all from one cluster.

    Notes
    -----
    Woodruff (1952): the interval for the share ``F(m)`` of units at or below the median is
    ``0.5 +/- z sqrt(0.25 / n_eff)``, with ``n_eff = n / deff`` the effective sample size of
    that share (the design effect of the indicator ``y <= m``, as in :func:`proportion`; 1
    without clustering). It is mapped back through the empirical distribution function
    ``F_n``, with half a unit of continuity correction on the rank scale::

        j = floor(n p_L + 1/2),   low = y_(j),   high = y_(n + 1 - j)

    (``y_(k)`` the k-th smallest value; ``-inf``/``inf`` when ``j < 1``). Without clustering
    this is the usual continuity-corrected normal approximation to the binomial order-statistic
    interval for the median (ranks ``n/2 + 1/2 -/+ z sqrt(n)/2``; Conover 1999, sec. 3.2);
    Francisco & Fuller (1991) and Sitter & Wu (2001) show Woodruff's interval holds under
    cluster sampling. It needs no density estimate and works with ties.

    Examples
    --------
    >>> e = median(np.arange(1.0, 101.0))
    >>> e.estimate, e.ci_low, e.ci_high
    (50.5, 40.0, 61.0)
    """
    alpha = _check_alpha(alpha)
    arr = _float_1d(y, "y")
    n = arr.size
    if n == 0:
        raise AnalysisError("median: no units (y is empty).")
    codes, G, singletons = _cluster_codes(cluster, n)
    _need_clusters(G, n, "median")
    m = float(np.median(arr))
    below = (arr <= m).astype(float)
    _, _, _, n_eff, deff, note, _ = _design(below, codes, G, alpha=alpha)
    z = norm_isf(alpha / 2.0)
    p_low = 0.5 - z * math.sqrt(0.25 / n_eff)  # and p_high = 1 - p_low
    i_low = math.floor(n * p_low + 0.5)  # 1-based ranks, continuity-corrected
    i_high = n + 1 - i_low
    ranks = [i - 1 for i in (i_low, i_high) if 1 <= i <= n]
    ys = np.partition(arr, ranks) if ranks else arr  # the two order statistics, not a sort
    low = float(ys[i_low - 1]) if i_low >= 1 else -math.inf
    high = float(ys[i_high - 1]) if i_high <= n else math.inf
    if singletons:
        how = "Woodruff (order-statistic) interval"
    else:
        words = _wilson_words(n_eff, deff, note, False).removeprefix("Wilson score, ")
        how = ("Woodruff interval: inverted cluster-robust interval of the share at or below "
               f"the median, {words}")
    if not (math.isfinite(low) and math.isfinite(high)):
        how += "; too few units to bound the interval on both sides"
    return Estimate(m, low, high, n, G,
                    f"{how} ({_units(n, G, singletons, unit_label, cluster_label)})")


# --------------------------------------------------------------------------- bootstrap
def bootstrap_weights(
    n_clusters: int, n_boot: int, *, seed: int = DEFAULT_SEED, max_cells: int = _MAX_CELLS
) -> Iterator[np.ndarray]:
    """Yield blocks of cluster-bootstrap weights, each ``(b, n_clusters)``, ``b`` rows summing
    to ``n_boot`` over all blocks.

    Parameters
    ----------
    n_clusters : int
        Number of clusters G.
    n_boot : int
        Number of resamples B.
    seed : int
        Seed of ``numpy.random.default_rng``; the weights depend on (seed, B, G) only, not on
        how they are cut into blocks.
    max_cells : int
        Largest number of cells of one block (bounds memory: 8 bytes a cell).

    Yields
    ------
    ndarray of float, shape (b, G)
        Row r holds how many times each cluster is drawn in resample r: a multinomial
        ``(G; 1/G, ..., 1/G)`` draw (G draws with replacement), so every row sums to G.

    Examples
    --------
    >>> blocks = list(bootstrap_weights(5, 3, seed=1))
    >>> sum(b.shape[0] for b in blocks), blocks[0].sum(axis=1).tolist()
    (3, [5.0, 5.0, 5.0])
    """
    G, B = int(n_clusters), int(n_boot)
    if G < 1 or B < 1:
        raise AnalysisError(f"bootstrap needs at least 1 cluster and 1 resample; got G={G}, "
                            f"B={B}.")
    rng = np.random.default_rng(seed)
    chunk = max(1, min(B, max_cells // G))
    for start in range(0, B, chunk):
        block = np.empty((min(chunk, B - start), G))
        for row in block:  # one resample at a time: the stream does not depend on the blocks
            row[:] = np.bincount(rng.integers(0, G, size=G), minlength=G)
        yield block


@shared_doc(**_DOCS)
def cluster_bootstrap(
    values,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    cluster=None,
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = DEFAULT_SEED,
    unit_label: str = "units",
    cluster_label: str = "patients",
) -> Estimate:
    """Percentile cluster bootstrap for a statistic of per-cluster sums (vectorised, chunked).

    Use it only where no closed-form cluster-robust variance exists.

    Parameters
    ----------
    values : array_like, shape (n,) or (n, k)
        Unit-level columns whose per-cluster sums define the statistic (add a column of ones to
        get counts). Missing values are rejected.
    statistic : callable
        Maps resampled totals, an array of shape ``(b, k)`` (or ``(b,)`` when ``values`` is 1-D),
        to ``b`` values; it must be vectorised over rows. Called on the full-sample totals
        (``b = 1``) for the point estimate.
    cluster : array_like, optional
        Cluster (patient) label of each unit; ``None``: units are resampled one by one.
    {alpha}
    n_boot : int, default 2000
        Number of resamples.
    seed : int, default :data:`DEFAULT_SEED`
        The result depends on (seed, n_boot, number of clusters) only.
    {labels}

    Returns
    -------
    Estimate
        The statistic on the full sample and the percentile interval of its resampled values
        (resamples where it is undefined, NaN, are dropped and counted in ``method``).

    Notes
    -----
    With ``S`` the ``(G, k)`` matrix of per-cluster sums and ``W`` a ``(B, G)`` matrix of
    multinomial draw counts (each row G draws of clusters with replacement), the resampled
    totals are ``T = W @ S`` and the interval is the ``alpha/2`` and ``1 - alpha/2`` quantiles
    of ``statistic(T)`` (Efron & Tibshirani 1993; Field & Welsh 2007 for clusters). ``W`` is
    built in blocks of at most 2**21 cells (16 MiB), so memory stays bounded for any G; with
    G = 200,000 clusters and B = 2000 it takes about 3 seconds.

    Examples
    --------
    Mean of ``y`` as a ratio of sums:

    >>> y = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 12.0])
    >>> cl = np.array([1, 1, 2, 2, 3, 3])
    >>> e = cluster_bootstrap(np.column_stack([y, np.ones(6)]), lambda t: t[:, 0] / t[:, 1],
    ...                       cluster=cl, n_boot=500)
    >>> e.estimate
    5.333333333333333
    """
    alpha = _check_alpha(alpha)
    try:
        vals = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"cluster_bootstrap: values must be numbers ({exc}).") from None
    one_d = vals.ndim == 1
    mat = vals[:, None] if one_d else vals
    if mat.ndim != 2 or mat.shape[0] == 0:
        raise AnalysisError(f"cluster_bootstrap: values must be (n,) or (n, k) with n > 0; got "
                            f"shape {vals.shape}.")
    if not np.all(np.isfinite(mat)):
        raise AnalysisError("cluster_bootstrap: values have missing or infinite entries; drop "
                            "those units first.")
    n = mat.shape[0]
    codes, G, singletons = _cluster_codes(cluster, n)
    S = np.column_stack([np.bincount(codes, weights=mat[:, j], minlength=G)
                         for j in range(mat.shape[1])])

    def stat(T: np.ndarray) -> np.ndarray:
        out = np.asarray(statistic(T[:, 0] if one_d else T), dtype=float).reshape(-1)
        if out.shape[0] != T.shape[0]:
            raise AnalysisError(f"cluster_bootstrap: statistic must return one value per row; "
                                f"got {out.shape[0]} values for {T.shape[0]} rows.")
        return out

    with np.errstate(divide="ignore", invalid="ignore"):
        est = float(stat(S.sum(axis=0)[None, :])[0])
        reps = np.concatenate([stat(W @ S) for W in bootstrap_weights(G, n_boot, seed=seed)])
    ok = np.isfinite(reps)
    dropped = int((~ok).sum())
    if ok.sum() < 2:
        raise AnalysisError("cluster_bootstrap: the statistic is undefined in almost every "
                            "resample.")
    low, high = np.quantile(reps[ok], [alpha / 2.0, 1.0 - alpha / 2.0])
    how = (f"{'bootstrap' if singletons else 'cluster bootstrap'}, percentile interval, "
           f"{n_boot} resamples (seed {seed})")
    if dropped:
        how += f", {dropped} resamples where the statistic is undefined dropped"
    return Estimate(est, float(low), float(high), n, G,
                    f"{how} ({_units(n, G, singletons, unit_label, cluster_label)})")
