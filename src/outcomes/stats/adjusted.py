"""Comparisons adjusted for what differs between the groups: regression standardisation.

A crude comparison of two groups of courses (professional against home sessions, with against
without alcohol) mixes the exposure's effect with whatever else differs between the groups:
condition, baseline severity, skin type. :func:`standardised_contrast` answers "what would the
mean outcome be if every course of the sample had been exposed, against if none had", by
regression standardisation (g-computation, Robins 1986; Snowden, Rose & Mortimer 2011): a
linear model of the outcome on the exposure, the covariates and their interactions is fitted,
every course is predicted under both exposures, and the predictions are averaged over the whole
sample. Its interval is patient-clustered, with the small-sample CR2 variance and
Bell-McCaffrey degrees of freedom of :mod:`outcomes.stats.regression`.

:func:`e_value` says how strong an unmeasured confounder would have to be to explain the
estimate away (VanderWeele & Ding 2017).
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .blockwise import (
    ClusterBlocks,
    _cross,
    cr2_pass,
    distinct_cr2,
    distinct_gram,
    gram_pass,
    independent_design_columns,
)
from .intervals import Estimate, _check_alpha, _cluster_codes, _cr2_words, _float_1d, _units
from .quantiles import t_isf
from .regression import _TALL, _clearly_independent, floor_applies, independent_columns, inverse

__all__ = ["standardised_contrast", "standardised_fit", "StandardisedFit", "e_value"]

_CONTRASTS = ("difference", "ratio")

#: Fewest residual degrees of freedom (units minus model columns) of an adjusted fit.
_MIN_RESIDUAL_DF = 2
_SCALES = ("ratio", "difference")


def _exposure(exposure, n: int) -> np.ndarray:
    ser = exposure if isinstance(exposure, pd.Series | pd.Index) else pd.Series(exposure)
    if ser.ndim != 1 or len(ser) != n:
        raise AnalysisError(f"exposure must be one value per unit: expected {n}, got "
                            f"{len(ser)}.")
    arr = _float_1d(ser.astype(float) if ser.dtype == bool else ser, "exposure")
    bad = (arr != 0.0) & (arr != 1.0)
    if bad.any():
        raise AnalysisError(f"exposure must be 0/1 (or False/True); {int(bad.sum())} of {n} "
                            f"values are not (e.g. {np.unique(arr[bad])[:3].tolist()}).")
    return arr


def _covariate_columns(covariates: pd.DataFrame, n: int):
    """The covariates' sources of columns (not yet centred), and what was dropped.

    Returns (list of sources: a float N-vector for a numeric covariate, ``(codes, levels)`` for
    a categorical one, whose dummies are ``codes == j`` for ``j = 1 .. levels - 1``; column
    names, covariate names used, notes on what was dropped).
    """
    if not isinstance(covariates, pd.DataFrame):
        raise AnalysisError(f"covariates must be a DataFrame (one row per unit); got "
                            f"{type(covariates).__name__}.")
    if len(covariates) != n:
        raise AnalysisError(f"covariates must have one row per unit: expected {n}, got "
                            f"{len(covariates)}.")
    sources, names, used, dropped = [], [], [], []
    for name in covariates.columns:
        ser = covariates[name].reset_index(drop=True)
        missing = ser.isna()
        if missing.any():
            raise AnalysisError(f"covariate {name!r} has {int(missing.sum())} missing values of "
                                f"{n}; drop those units (or give the value a level) first.")
        numeric = (pd.api.types.is_numeric_dtype(ser) and not isinstance(ser.dtype,
                                                                           pd.CategoricalDtype))
        if numeric:
            x = ser.to_numpy(dtype=float)
            if np.ptp(x) == 0.0:
                dropped.append(f"{name} (one value in the data)")
                continue
            sources.append(x)
            names.append(str(name))
        else:
            codes, levels = pd.factorize(ser, sort=True)  # levels with no unit never appear
            if len(levels) < 2:
                dropped.append(f"{name} (one value in the data)")
                continue
            small = np.min_scalar_type(len(levels) - 1)
            sources.append((np.asarray(codes).astype(small), len(levels)))
            names += [f"{name}={levels[k]}" for k in range(1, len(levels))]  # level 0: reference
        used.append(str(name))
    return sources, names, used, dropped


#: Most distinct rows of the design's table (:class:`_Design`).
_TYPES = 1 << 12
#: Most distinct rows of a design fitted from them (:func:`outcomes.stats.blockwise.distinct_cr2`);
#: a design with more is fitted a block of whole patients at a time.
_DISTINCT_ROWS = 1 << 18
#: ... and at most this share of the units (1 / this); with more (a numeric covariate of many
#: values) the blocks are as fast.
_DISTINCT_SHARE = 4


class _Design:
    """The design ``[1, a, Z, aZ]`` (``Z`` the covariate columns centred at their sample
    means), a block of rows of the ordered units at a time: ``design(lo, hi)``.

    The exposure and the categorical covariates take few values together: their rows of the
    design (dummies centred, interactions) are a small table, read by each unit's code of its
    combination; the numeric covariates (and levels past :data:`_TYPES` combinations) are
    written beside. Only N-vectors of codes and numeric values are held, ordered.
    """

    def __init__(self, a: np.ndarray, sources: list):
        N = a.size
        width = [src[1] - 1 if isinstance(src, tuple) else 1 for src in sources]
        self.k = k = sum(width)
        self.p = 2 + 2 * k
        starts = np.concatenate([[2], 2 + np.cumsum(width)]).astype(int)
        joint, types = a.astype(np.int64), 2
        self.columns = None  # all, or the kept ones
        self.beside = []  # (columns, values, means) filled in each block
        means = np.zeros(k)
        in_table = []
        for src, lo in zip(sources, starts[:-1], strict=True):
            if isinstance(src, tuple):
                codes, levels = src
                m = np.bincount(codes, minlength=levels)[1:] / N
                means[lo - 2: lo - 2 + levels - 1] = m
                if types * levels <= _TYPES:
                    joint += types * codes.astype(np.int64)
                    in_table.append((lo, levels, m, types))
                    types *= levels
                    continue
                self.beside.append((lo, (codes, np.arange(1, levels, dtype=codes.dtype)), m))
            else:
                m = np.array([src.mean()])
                means[lo - 2] = m[0]
                self.beside.append((lo, src, m))
        t = np.arange(types)
        table = np.zeros((types, self.p))
        table[:, 0] = 1.0
        table[:, 1] = t % 2
        for lo, levels, m, stride in in_table:
            code = (t // stride) % levels
            table[:, lo: lo + levels - 1] = (code[:, None] == np.arange(1, levels)) - m
            table[:, k + lo: k + lo + levels - 1] = table[:, lo: lo + levels - 1] * table[:, 1:2]
        self.table = table
        self.joint = joint.astype(np.min_scalar_type(types - 1))  # the row of each unit
        self.means = means

    def order(self, order: np.ndarray) -> None:
        """Hold the units in ``order`` (the blocks' order) from now on."""
        self.joint = self.joint[order]
        self.beside = [(j, (src[0][order], src[1]) if isinstance(src, tuple) else src[order], m)
                       for j, src, m in self.beside]

    def sums(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``X'X`` and ``X'y`` of a design whose every row is from the table (nothing
        beside): sums over the table's rows weighted by their units, no design built."""
        T = self.table
        counts = np.bincount(self.joint, minlength=T.shape[0]).astype(float)
        return _cross(T, counts[:, None] * T), T.T @ np.bincount(self.joint, weights=y,
                                                             minlength=T.shape[0])

    def keep(self, columns) -> None:
        """Build only ``columns`` (of the full design) from now on."""
        columns = np.asarray(columns, dtype=np.int64)
        self.columns = None if columns.size == self.p else columns

    def __call__(self, lo: int, hi: int) -> np.ndarray:
        return self.rows(slice(lo, hi))

    def rows(self, units) -> np.ndarray:
        """The design's rows of ``units`` (a slice or positions of the units held)."""
        k = self.k
        X = np.take(self.table, self.joint[units], axis=0)
        for j, src, m in self.beside:
            if isinstance(src, tuple):
                codes, levels = src
                Z = X[:, j: j + levels.size]
                Z[:] = codes[units, None] == levels
            else:
                Z = X[:, j: j + 1]
                Z[:, 0] = src[units]
            Z -= m
            np.multiply(X[:, 1:2], Z, out=X[:, k + j: k + j + Z.shape[1]])
        return X if self.columns is None else X[:, self.columns]

    def distinct(self, most: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Each unit's distinct row of the design (codes in order of first appearance) and the
        first unit of each; None when there are more than ``most``.

        The exposure and categorical covariates (the table's row) and the values written beside
        it make a unit's row: units with the same of all have the same row, bit for bit."""
        key = self.joint.astype(np.int64)
        span = int(self.table.shape[0])
        for _, src, _ in self.beside:
            if isinstance(src, tuple):
                values, size = src[0].astype(np.int64), int(src[1].size) + 1
            else:
                values, uniques = pd.factorize(src)
                size = int(uniques.size)
            if span * size >= 1 << 62:  # the combinations present, numbered again
                key, uniques = pd.factorize(key)
                span = int(uniques.size)
                if span > most:
                    return None
            key = key + span * values
            span *= size
        rows, uniques = pd.factorize(key)
        if uniques.size > most:
            return None
        seen = np.maximum.accumulate(rows)  # a new row's code is one more than any before it
        first = np.flatnonzero(np.concatenate([[True], seen[1:] > seen[:-1]]))
        return rows, first


def standardised_contrast(
    y,
    exposure,
    covariates: pd.DataFrame | None = None,
    *,
    cluster=None,
    contrast: str = "difference",
    alpha: float = 0.05,
    unit_label: str = "courses",
    cluster_label: str = "patients",
) -> Estimate:
    """Exposed against unexposed, standardised over the sample's covariates (g-computation).

    Parameters
    ----------
    y : array_like of float
        Outcome of each unit (a 0/1 outcome gives shares and a risk difference or ratio).
    exposure : array_like of 0/1 or bool
        1 for the exposed units.
    covariates : DataFrame, optional
        One row per unit, aligned with ``y`` by position. Text or categorical columns enter as
        dummies of their levels present in the data (the first, in sorted order, is the
        reference); numeric columns enter linearly. ``None``: the crude contrast by the same
        machinery.
    cluster : array_like, optional
        Patient of each unit; ``None``: units are independent.
    contrast : {"difference", "ratio"}
        ``mean(y1_hat) - mean(y0_hat)`` or ``mean(y1_hat) / mean(y0_hat)``.
    alpha : float, default 0.05
        One minus the confidence level.
    unit_label, cluster_label : str
        Words for units and clusters in ``method``.

    Returns
    -------
    Estimate
        The standardised contrast, its interval, ``n`` units and ``n_clusters`` patients;
        ``method`` names the estimand, the covariates, anything dropped, the standard error and
        the degrees of freedom.

    Raises
    ------
    AnalysisError
        Missing values, an exposure that is not 0/1, an arm without units or with fewer than 2
        patients, fewer than 2 residual degrees of freedom even without the interactions, or
        (``ratio``) a standardised mean that is not positive.

    Notes
    -----
    The model is ``y = b0 + b1 a + Z g + a Z d + e`` with ``Z`` the covariate columns centred at
    their means over the whole sample. Predicting every unit under ``a = 1`` and ``a = 0`` and
    averaging gives ``mu1 = b0 + b1`` and ``mu0 = b0`` (the centred columns average to 0), so
    the difference is ``b1`` and the ratio ``(b0 + b1) / b0``: the interactions make it a true
    standardisation to the sample's covariate distribution, not a conditional effect.
    Covariates constant in the data are dropped, and so is any column (dummy or interaction)
    that is a linear combination of earlier ones, so the design is never singular, even at 5
    patients; when the interactions would leave fewer than 2 residual degrees of freedom they
    are left out (a common adjusted effect, named in ``method``); ``method`` lists what was
    dropped.

    The difference's interval is ``b1 +/- t_df se`` with the CR2 cluster-robust standard error
    and Bell-McCaffrey df (:mod:`outcomes.stats.regression`); the ratio's is the same on the
    log scale, ``exp(log(mu1/mu0) +/- t_df se)``, with the delta-method gradient
    ``(c1/mu1 - c0/mu0)`` as contrast. The df are capped at the smaller arm's patients minus 1
    (with 4 exposed patients the working model's df can exceed what 4 patients can carry).
    The covariate distribution is that of the sample (held fixed). While either arm has
    30 patients or fewer the standard error is floored at the one with every unit
    independent (:func:`outcomes.stats.regression.floored_contrast`).

    A 0/1 outcome is standardised with the same linear (probability) model rather than a
    Poisson or logistic one: with the exposure interactions each arm has its own linear fit, so
    the standardised shares are exact averages of fitted values; its CR2 variance and df are
    exact under the working model and need no iteration; and with 5-20 patients a covariate
    level without events does not push a log-link coefficient to infinity (separation), which
    breaks the Poisson fit and its sandwich. It keeps its level with few clusters where the
    large-sample GLM sandwich does not.

    Examples
    --------
    >>> y = [3.0, 4.0, 5.0, 6.0, 2.0, 3.0, 3.0, 4.0]
    >>> a = [1, 1, 1, 1, 0, 0, 0, 0]
    >>> e = standardised_contrast(y, a, cluster=[1, 1, 2, 3, 4, 4, 5, 6])
    >>> e.estimate
    1.5
    >>> e.method.split(";")[0]
    'crude difference (least squares on the exposure alone)'
    """
    alpha = _check_alpha(alpha)
    return standardised_fit(y, exposure, covariates, cluster=cluster, contrast=contrast,
                            unit_label=unit_label, cluster_label=cluster_label).estimate(alpha)


@dataclass(frozen=True)
class StandardisedFit:
    """A fitted standardised contrast, before its level: :meth:`estimate` gives the interval.

    The estimate, its CR2 standard error and Bell-McCaffrey df do not depend on the level, only
    the t quantile does; a caller wanting the same contrast at several levels (the claims'
    family-wise view) fits it once (:func:`standardised_fit`).
    """

    contrast: str
    estimate_: float
    se: float
    df: float
    how: str
    head: str
    notes: tuple[str, ...]
    n: int
    n_clusters: int
    units: str

    def estimate(self, alpha: float = 0.05) -> Estimate:
        """The contrast with its interval at the level ``1 - alpha`` (as
        :func:`standardised_contrast` gives it)."""
        alpha = _check_alpha(alpha)
        est, se = self.estimate_, self.se
        q = t_isf(alpha / 2.0, self.df)
        if self.contrast == "difference":
            low, high = est - q * se, est + q * se
        else:
            low, high = est * math.exp(-q * se), est * math.exp(q * se)
        method = "; ".join([self.head, self.how, *self.notes]) + f" ({self.units})"
        return Estimate(float(est), float(low), float(high), self.n, self.n_clusters, method)


def standardised_fit(
    y,
    exposure,
    covariates: pd.DataFrame | None = None,
    *,
    cluster=None,
    contrast: str = "difference",
    unit_label: str = "courses",
    cluster_label: str = "patients",
) -> StandardisedFit:
    """The fit of :func:`standardised_contrast` (same parameters but ``alpha``), whose
    :meth:`StandardisedFit.estimate` gives the interval at any level.

    Raises
    ------
    AnalysisError
        As :func:`standardised_contrast`.

    Examples
    --------
    >>> y, a = [3.0, 4.0, 5.0, 6.0, 2.0, 3.0, 3.0, 4.0], [1, 1, 1, 1, 0, 0, 0, 0]
    >>> fit = standardised_fit(y, a, cluster=[1, 1, 2, 3, 4, 4, 5, 6])
    >>> fit.estimate(0.01) == standardised_contrast(y, a, cluster=[1, 1, 2, 3, 4, 4, 5, 6],
    ...                                             alpha=0.01)
    True
    """
    if contrast not in _CONTRASTS:
        raise AnalysisError(f"contrast must be one of {_CONTRASTS}; got {contrast!r}.")
    arr = _float_1d(y, "y")
    N = arr.size
    a = _exposure(exposure, N)
    codes, G, singletons = _cluster_codes(cluster, N)
    carriers = G
    for value, word in ((1.0, "exposed"), (0.0, "unexposed")):
        arm = a == value
        g_arm = int(np.count_nonzero(np.bincount(codes[arm], minlength=G)))
        carriers = min(carriers, g_arm)
        if g_arm < 2:
            raise AnalysisError(
                f"standardised_contrast: the {word} arm has {int(arm.sum())} {unit_label} from "
                f"{g_arm} {cluster_label}; a patient-clustered comparison needs at least 2 "
                f"{cluster_label} in each arm.")
    key = _fit_key(arr, a, covariates, codes, unit_label)
    if contrast not in _FITS.get(key, ({},))[0]:
        fitted = _fit(arr, a, covariates, codes, G, carriers, unit_label, contrast)
        _FITS[key] = ({**_FITS.get(key, ({},))[0], **fitted[0]}, *fitted[1:])
        while len(_FITS) > _FITS_KEPT:
            _FITS.popitem(last=False)
    by_contrast, used, dropped, collinear, notes = _FITS[key]
    if isinstance(by_contrast[contrast], str):
        raise AnalysisError(by_contrast[contrast])
    est, se, df, floored = by_contrast[contrast]
    scale = "log-scale " if contrast == "ratio" else ""
    df, how = _cr2_words(df, floored, unit_label, scale, carriers)
    what = "difference" if contrast == "difference" else "ratio of means"
    if used:
        head = f"regression standardisation (g-computation) over {', '.join(used)}"
        if contrast == "ratio":
            head += ", ratio of standardised means"
    else:
        head = f"crude {what} (least squares on the exposure alone)"
    notes = list(notes)
    if dropped:
        notes.append("dropped: " + ", ".join(dropped))
    if collinear:
        notes.append("collinear columns dropped: " + ", ".join(collinear))
    return StandardisedFit(contrast, float(est), float(se), float(df), how, head, tuple(notes),
                           N, G, _units(N, G, singletons, unit_label, cluster_label))


#: The fits of the last few standardised contrasts, by a digest of their data: the claims'
#: family-wise view asks for the same contrast again at another level, and only the t quantile
#: depends on the level (the fit, its CR2 standard error and df do not); a risk difference's
#: E-value asks for the ratio of the same fit, so a 0/1 outcome's difference gives its ratio
#: too (a ratio asked first does not give the difference, which nothing then needs). Only
#: numbers are kept, never the design.
_FITS: OrderedDict = OrderedDict()
_FITS_KEPT = 32


def _fit_key(y: np.ndarray, a: np.ndarray, covariates, codes: np.ndarray,
             unit_label: str) -> bytes:
    """A digest of everything a fit depends on (values, column names and dtypes): a categorical
    column by its codes and categories, a numeric one by its values."""
    h = hashlib.sha256()  # the fastest of hashlib here (SHA extensions)
    for part in (y, a.astype(np.uint8), codes):
        h.update(np.ascontiguousarray(part).view(np.uint8).data)
        h.update(str(part.shape).encode())
    if covariates is not None:
        h.update(repr([(str(c), str(t)) for c, t in covariates.dtypes.items()]).encode())
        for column in covariates.columns:
            ser = covariates[column]
            if isinstance(ser.dtype, pd.CategoricalDtype):  # its levels make its dummies
                h.update(repr((list(ser.cat.categories), ser.cat.ordered)).encode())
                values = ser.cat.codes.to_numpy()
            elif isinstance(ser.dtype, np.dtype) and ser.dtype.kind in "biuf":
                values = ser.to_numpy()
            else:
                values = pd.util.hash_pandas_object(ser, index=False).to_numpy()
            h.update(np.ascontiguousarray(values).view(np.uint8).data)
    h.update(f"{unit_label}|{covariates is None}".encode())
    return h.digest()


def _fit(arr: np.ndarray, a: np.ndarray, covariates, codes: np.ndarray, G: int, carriers: int,
         unit_label: str, contrast: str) -> tuple:
    """The fit of :func:`standardised_contrast` (everything but the level's quantile), with
    ``contrast`` and, for a 0/1 outcome, both: ``{contrast: (est, se, df, floored) or why
    there is none}``.

    The design is never held whole (:mod:`outcomes.stats.blockwise`): the units are ordered by
    patient, and each pass builds it a block of whole patients at a time.
    """
    N = arr.size
    if covariates is None:
        sources, znames, used, dropped = [], [], [], []
    else:
        sources, znames, used, dropped = _covariate_columns(covariates, N)
    design = _Design(a, sources)
    del sources
    names = ["intercept", "exposure", *znames, *(f"exposure x {z}" for z in znames)]
    distinct = design.distinct(min(_DISTINCT_ROWS, N // _DISTINCT_SHARE))
    if distinct is not None:  # the design's distinct rows and each unit's
        rows, first = distinct
        T = design.rows(first)
        blocks = None
        y = arr
        gram, xty = distinct_gram(T, rows, y)
        if N > _TALL * max(design.p, 1):
            keep = (np.arange(design.p) if _clearly_independent(None, gram) else
                    independent_columns(np.linalg.qr(
                        np.sqrt(np.bincount(rows).astype(float))[:, None] * T, mode="r")))
        else:
            keep = independent_columns(T[rows])
    else:
        blocks = ClusterBlocks.of(codes, G, keys=None if design.beside else design.joint)
        design.order(blocks.order)
        y = arr[blocks.order]
        gram, xty = gram_pass(design, y, blocks) if design.beside else design.sums(y)
        keep = independent_design_columns(design, blocks, gram)
    notes = []
    if N - keep.size < _MIN_RESIDUAL_DF and znames:
        # saturated: every unit fitted exactly, no residual to estimate a variance from
        common = np.arange(2 + len(znames))
        names = names[: common.size]
        design.keep(common)
        whole = T[rows][:, common] if blocks is None else design(0, N)
        keep = common[independent_columns(whole)]
        notes.append(f"exposure interactions left out ({N} {unit_label} are too few for "
                     f"{len(names) + len(znames)} columns): a common adjusted effect")
    if N - keep.size < _MIN_RESIDUAL_DF:
        raise AnalysisError(
            f"standardised_contrast: {N} {unit_label} leave fewer than {_MIN_RESIDUAL_DF} "
            f"residual degrees of freedom for {keep.size} model columns; adjust for fewer "
            "covariates.")
    collinear = [names[j] for j in range(len(names)) if j not in set(keep.tolist())]
    design.keep(keep)
    M = inverse(gram[np.ix_(keep, keep)])
    coef = M @ xty[keep]
    c1 = np.zeros(keep.size)
    c1[:2] = 1.0
    c0 = np.zeros(keep.size)
    c0[0] = 1.0
    mu1, mu0 = float(coef @ c1), float(coef @ c0)
    binary = bool(np.all((arr == 0.0) | (arr == 1.0)))
    wanted = {}
    if contrast == "difference":
        wanted["difference"] = c1 - c0
    if (contrast == "ratio" or binary) and mu1 > 0.0 and mu0 > 0.0:
        wanted["ratio"] = c1 / mu1 - c0 / mu0
    naive = floor_applies(carriers, G, N)
    fitted = {}
    if wanted and blocks is None:
        fitted = dict(zip(wanted, distinct_cr2(T[:, keep], rows, y, codes, G, M, coef,
                                               list(wanted.values()), naive=naive), strict=True))
    elif wanted:
        fitted = dict(zip(wanted, cr2_pass(design, y, blocks, M, coef, list(wanted.values()),
                                           naive=naive), strict=True))
    by_contrast = {}
    if "difference" in fitted:
        by_contrast["difference"] = fitted["difference"].floored()
    if contrast == "ratio" or binary:
        if "ratio" not in fitted:
            by_contrast["ratio"] = (
                f"standardised_contrast: the standardised means are {mu1:.4g} (exposed) and "
                f"{mu0:.4g} (unexposed); a ratio needs both positive: report the difference.")
        else:
            _, se, df, floored = fitted["ratio"].floored()
            by_contrast["ratio"] = (mu1 / mu0, se, df, floored)
    return by_contrast, tuple(used), tuple(dropped), tuple(collinear), tuple(notes)


def _e_ratio(rr: float) -> float:
    rr = 1.0 / rr if rr < 1.0 else rr
    return rr + math.sqrt(rr * (rr - 1.0))


def e_value(estimate: float, ci_low: float, ci_high: float, *, scale: str = "ratio",
            sd: float | None = None) -> tuple[float, float]:
    """E-values of an estimate and of its interval bound nearer the null.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        A risk ratio (``scale="ratio"``) or a mean difference (``scale="difference"``) and its
        interval.
    scale : {"ratio", "difference"}
    sd : float, optional
        With ``scale="difference"``: the outcome's standard deviation, to convert the
        standardised difference ``d = estimate / sd`` to an approximate risk ratio
        ``exp(0.91 d)`` (VanderWeele 2017).

    Returns
    -------
    point, bound : float
        The minimum strength of association (risk-ratio scale) an unmeasured confounder would
        need with both exposure and outcome to explain the estimate away, and to move the
        interval to include the null. ``bound`` is 1 when the interval already includes it.

    Raises
    ------
    AnalysisError
        Non-positive ratios, a difference without a positive ``sd``, or an unknown scale.

    Notes
    -----
    VanderWeele & Ding (2017): for a risk ratio ``RR >= 1``, ``E = RR + sqrt(RR (RR - 1))``;
    for ``RR < 1`` the same of ``1 / RR``. The bound's E-value uses the interval end nearer 1.

    Examples
    --------
    >>> [round(v, 3) for v in e_value(3.9, 1.8, 8.7)]
    [7.263, 3.0]
    >>> e_value(1.2, 0.9, 1.6)[1]
    1.0
    >>> [round(v, 3) for v in e_value(0.5, 0.1, 0.9, scale="difference", sd=1.0)]
    [2.529, 1.418]
    """
    if scale not in _SCALES:
        raise AnalysisError(f"scale must be one of {_SCALES}; got {scale!r}.")
    vals = [float(estimate), float(ci_low), float(ci_high)]
    if scale == "difference":
        if sd is None or not (float(sd) > 0.0 and math.isfinite(float(sd))):
            raise AnalysisError(f"e_value: a difference needs the outcome's standard deviation "
                                f"sd > 0; got {sd!r}.")
        vals = [math.exp(0.91 * v / float(sd)) for v in vals]
    est, low, high = vals
    if not (math.isfinite(est) and est > 0.0 and 0.0 <= low <= est <= high):
        raise AnalysisError(f"e_value: needs a positive finite ratio inside its interval, "
                            f"0 <= low <= estimate <= high; got {est!r} [{low!r}, {high!r}].")
    point = 1.0 if est == 1.0 else _e_ratio(est)
    if low <= 1.0 <= high:
        bound = 1.0
    else:
        bound = _e_ratio(low if est > 1.0 else high)
    return point, bound
