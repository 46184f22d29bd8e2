"""Least squares with a small-sample cluster-robust variance: CR2 and Bell-McCaffrey df.

Every t interval of the package on a mean, a difference of means, a standardised contrast or a
log risk ratio is a linear contrast ``c'b`` of an ordinary-least-squares fit, with

- the *CR2* (bias-reduced linearisation) cluster-robust variance of Bell & McCaffrey (2002), in
  the form of R's ``clubSandwich::vcovCR(type = "CR2")`` with the working identity model, and
- the *Bell-McCaffrey* (Satterthwaite) degrees of freedom of the contrast, as
  ``clubSandwich::coef_test(test = "Satterthwaite")`` / ``linear_contrast`` compute them.

With few clusters the CR1 sandwich is biased downwards and ``G - 1`` degrees of freedom are too
many, so intervals under-cover; CR2 is unbiased when the errors are independent and
homoskedastic, and the Bell-McCaffrey df follow the contrast's actual precision (Imbens &
Kolesar 2016; Pustejovsky & Tipton 2018). With one unit per cluster CR2 is HC2, so the mean of
one group gets the Student t interval exactly.

The stored R references are in ``tests/reference/`` (``make_cr2_r.R``).
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..errors import AnalysisError

__all__ = ["CR2Fit", "fit_cr2", "inverse", "independent_columns", "FLOOR_CLUSTERS", "floored_fits",
           "floored_contrast", "fitted_contrast", "floor_applies", "floored"]

#: At this many clusters or fewer a clustered variance is never smaller than the one that treats
#: every unit as independent (see :func:`floored_contrast`).
FLOOR_CLUSTERS = 30

#: Eigenvalues of ``I - H_gg`` at or below this are treated as 0 (clubSandwich's tolerance).
_EIG_TOL = 1e-12


@dataclass(frozen=True)
class CR2Fit:
    """An OLS fit with what its CR2 variance and Bell-McCaffrey df need.

    Attributes
    ----------
    coef : ndarray, shape (p,)
        Least-squares coefficients.
    vcov : ndarray, shape (p, p)
        The CR2 cluster-robust covariance of ``coef``.
    n : int
        Number of units.
    n_clusters : int
        Number of clusters.
    """

    coef: np.ndarray
    vcov: np.ndarray
    n: int
    n_clusters: int
    _X: np.ndarray
    _M: np.ndarray
    _blocks: tuple
    _e: np.ndarray
    _codes: np.ndarray

    def contrast(self, c) -> tuple[float, float, float]:
        """Estimate, CR2 standard error and Bell-McCaffrey df of the contrast ``c'b``.

        Parameters
        ----------
        c : array_like, shape (p,)

        Returns
        -------
        estimate, se, df : float
            ``df`` is NaN when the contrast has no variance under the working model.

        Notes
        -----
        With ``w_g = A_g X_g M c`` (``M = (X'X)^-1``, ``A_g = (I - H_gg)^(-1/2)``), the CR2
        variance is ``sum_g (w_g' e_g)^2``. Under the working model (independent errors of
        equal variance) ``c'V c`` is a quadratic form whose matrix has the G x G Gram matrix
        ``P = diag(w_g'w_g) - T M T'`` (``T`` the G x p matrix of rows ``X_g' w_g``), and the
        Satterthwaite df are ``tr(P)^2 / tr(P^2)`` (Bell & McCaffrey 2002, eq. 10;
        clubSandwich's ``Satterthwaite``). ``tr(P^2)`` is formed from p x p products, without
        the G x G matrix.

        Examples
        --------
        >>> X = np.ones((4, 1))
        >>> fit = fit_cr2(X, [1.0, 2.0, 3.0, 6.0], np.arange(4), 4)
        >>> est, se, df = fit.contrast([1.0])
        >>> est, round(se, 6), round(df, 6)
        (3.0, 1.080123, 3.0)
        """
        c = np.asarray(c, dtype=float).reshape(-1)
        G = self.n_clusters
        Mc = self._M @ c
        est = float(self.coef @ c)
        se = math.sqrt(max(float(c @ self.vcov @ c), 0.0))
        xm = self._X @ Mc  # X_g M c of every unit
        p = self._X.shape[1]
        ww = np.zeros(G)
        tmt_diag = np.zeros(G)  # diagonal of T M T'
        K = np.zeros((p, p))  # T'T, summed over the batches (T itself is never stored)
        for gs, rows, A in _chunks(self._blocks):
            w = _apply(A, xm[rows])  # (k, size): w_g = A_g X_g M c
            ww[gs] = np.einsum("ks,ks->k", w, w)
            T = _weighted_sums(self._X[rows], w)  # rows X_g' w_g
            tmt_diag[gs] = np.einsum("ij,ij->i", T @ self._M, T)
            K += T.T @ T
        MK = self._M @ K
        trace = float(ww.sum() - np.trace(MK))
        # tr(P^2) = sum_g ww_g^2 - 2 sum_g ww_g (TMT')_gg + ||T M T'||_F^2
        trace_sq = float(ww @ ww - 2.0 * ww @ tmt_diag + np.sum(MK * MK.T))
        df = trace * trace / trace_sq if trace_sq > 0 else math.nan
        return est, se, df


def independent_columns(X: np.ndarray, *, tol: float = 1e-9, gram=None) -> np.ndarray:
    """Indices of a maximal set of linearly independent columns, earlier columns first.

    A column is kept when its residual on the columns already kept is larger than ``tol``
    times its own norm (and not 0), so the columns named first (intercept, exposure) are never
    the ones dropped.

    Parameters
    ----------
    X : ndarray, shape (N, p)
    tol : float
    gram : ndarray, shape (p, p), optional
        ``X.T @ X`` when the caller has it already (a tall ``X`` reads it).

    Returns
    -------
    ndarray of int

    Examples
    --------
    >>> X = np.array([[1, 0, 0], [1, 1, 1], [1, 0, 0]], dtype=float)
    >>> independent_columns(X).tolist()
    [0, 1]
    """
    X = np.asarray(X, dtype=float)
    if X.shape[0] > _TALL * max(X.shape[1], 1):
        if _clearly_independent(X, gram):
            return np.arange(X.shape[1], dtype=np.int64)
        X = _triangle(X)  # the same inner products of the columns, p x p
    keep: list[int] = []
    columns = np.asfortranarray(X)  # contiguous columns
    Q = np.empty_like(columns, order="F")  # the orthonormal columns kept, filled in order
    for j in range(X.shape[1]):
        x = columns[:, j]
        norm = float(np.linalg.norm(x))
        if norm == 0.0:
            continue
        q = Q[:, : len(keep)]
        r = x - q @ (q.T @ x)
        r = r - q @ (q.T @ r)  # re-orthogonalise once (Gram-Schmidt twice is enough)
        rn = float(np.linalg.norm(r))
        if rn > tol * norm:
            Q[:, len(keep)] = r / rn
            keep.append(j)
    return np.asarray(keep, dtype=np.int64)


#: A design of more than this many rows per column is reduced to its triangle first.
_TALL = 64


#: A column whose residual on the columns before it is at least this share of its norm is
#: independent whatever the rounding of X'X (its error is many orders of magnitude smaller).
_CLEAR = 1e-4


def _clearly_independent(X: np.ndarray, gram=None) -> bool:
    """Whether every column of a tall ``X`` has a residual on those before it of at least
    :data:`_CLEAR` times its norm, read from the Cholesky factor of the scaled ``X'X``.

    Squaring the condition loses the digits that tell a combination from an independent column
    at the tolerance of :func:`independent_columns` (1e-9), but not at 1e-4; when some column
    is not that clear (or the factor fails), the QR triangle decides.
    """
    gram = X.T @ X if gram is None else gram
    scale = np.sqrt(np.diag(gram))
    if not np.all(scale > 0.0):
        return False
    try:
        L = np.linalg.cholesky(gram / np.outer(scale, scale))
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(np.diag(L) >= _CLEAR))


def _triangle(X: np.ndarray) -> np.ndarray:
    """The triangle ``R`` of ``X = QR`` (p x p), by QR of row blocks and of their stacked
    triangles: ``R'R = X'X`` without squaring the condition, so the Gram-Schmidt of
    :func:`independent_columns` on ``R`` finds the residual norms it finds on ``X``."""
    step = max(_BATCH_UNITS, 4 * X.shape[1])
    parts = [np.linalg.qr(X[lo: lo + step], mode="r") for lo in range(0, X.shape[0], step)]
    return np.linalg.qr(np.vstack(parts), mode="r") if len(parts) > 1 else parts[0]


#: Units per batch of same-sized clusters (bounds the memory of the gathered rows).
_BATCH_UNITS = 1 << 16


def inverse(gram: np.ndarray) -> np.ndarray:
    """``(X'X)^-1``, symmetric.

    Raises
    ------
    AnalysisError
        When ``X'X`` is singular.

    Examples
    --------
    >>> inverse(np.array([[2.0, 0.0], [0.0, 4.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    if np.linalg.matrix_rank(gram) < gram.shape[0]:
        raise AnalysisError("the design matrix is not of full column rank; drop collinear "
                            "columns first (independent_columns).")
    M = np.linalg.inv(gram)
    return (M + M.T) / 2.0


def _inv_sqrt(vals: np.ndarray) -> np.ndarray:
    """``1/sqrt(v)``, 0 at or below the eigenvalue tolerance (clubSandwich's pseudo-inverse)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(vals > _EIG_TOL, 1.0 / np.sqrt(np.maximum(vals, _EIG_TOL)), 0.0)


def _adjustments(X: np.ndarray, M: np.ndarray, codes: np.ndarray, G: int) -> tuple:
    """The CR2 adjustments ``A_g = (I - X_g M X_g')^(-1/2)`` of every cluster (pseudo-inverse
    square root: eigenvalues at or below 1e-12 give 0, as clubSandwich's ``matrix_power``).

    Clusters of the same size are done together (one batched eigen-decomposition per size and
    batch of at most :data:`_BATCH_UNITS` units; a cluster of one unit needs none). Returns, per
    size, ``(clusters, rows, A, which)``: the clusters' codes (k,), their units' rows in unit
    order (k, size) and the matrices (k, size, size); for a design of at most
    :data:`_FEW_COLUMNS` columns, the distinct matrices only and the index of each cluster's
    among them (``which``, else None; :func:`_chunks` gives each cluster its own). The p-wide
    ``A_g X_g`` is never stored.
    """
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=G)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    blocks = []
    for size in np.unique(sizes[sizes > 0]):
        gs_all = np.flatnonzero(sizes == size)
        rows_all = order[starts[gs_all][:, None] + np.arange(size)[None, :]]  # (k, size)
        few = size > 1 and X.shape[1] <= _FEW_COLUMNS  # a mean, two groups: few distinct blocks
        # with few distinct blocks, each matrix once and each cluster's index among them (the
        # k x size x size matrices of a million clusters are gigabytes)
        A_all = [] if few else np.empty((gs_all.size, size, size))
        which = np.empty(gs_all.size, dtype=np.int64) if few else None
        made = 0
        step = max(1, _BATCH_UNITS // int(size))
        for lo in range(0, gs_all.size, step):
            rows = rows_all[lo: lo + step]
            Xg = X[rows]  # (k, size, p)
            if size == 1:  # 1 - h_ii, its own eigenvalue
                vals = 1.0 - np.einsum("kp,kp->k", Xg[:, 0, :] @ M, Xg[:, 0, :])
                A_all[lo: lo + step, 0, 0] = _inv_sqrt(vals)
                continue
            same = None
            if few:
                Xg, same = _distinct_blocks(Xg)
            B = np.eye(size)[None] - Xg @ M @ np.swapaxes(Xg, 1, 2)
            vals, vecs = np.linalg.eigh(B)
            A = (vecs * _inv_sqrt(vals)[:, None, :]) @ np.swapaxes(vecs, 1, 2)
            if few:
                A_all.append(A)
                which[lo: lo + step] = same + made
                made += len(A)
            else:
                A_all[lo: lo + step] = A
        if few:
            A_all = np.concatenate(A_all)
        blocks.append((gs_all, rows_all, A_all, which))
    return tuple(blocks)


#: Designs of at most this many columns have their clusters' blocks of rows made distinct
#: before the eigen-decompositions (:func:`_distinct_blocks`).
_FEW_COLUMNS = 2


def _distinct_blocks(Xg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct blocks of rows among the clusters of a batch (k, size, p), and the block of
    each cluster: ``Xg == distinct[which]``.

    A mean's design is one column of ones, two groups' an intercept and a 0/1 column, so the
    clusters of one size have at most ``2 ** size`` distinct blocks, mostly a handful; their
    adjustments are the same matrices, computed once each (the same numbers, bit for bit).

    >>> a, b = [[1.0, 0.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]]
    >>> Xg = np.array([a, b, a])
    >>> distinct, which = _distinct_blocks(Xg)
    >>> len(distinct), which.tolist(), bool((distinct[which] == Xg).all())
    (2, [0, 1, 0], True)
    """
    flat = np.ascontiguousarray(Xg).reshape(Xg.shape[0], -1)
    keys = flat.view(np.dtype((np.void, flat.shape[1] * flat.itemsize))).reshape(-1)
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    return Xg[first], which.reshape(-1)


def _chunks(blocks: tuple):
    """The blocks of :func:`_adjustments` in batches of at most :data:`_BATCH_UNITS` units."""
    for gs, rows, A, which in blocks:
        step = max(1, _BATCH_UNITS // rows.shape[1])
        for lo in range(0, gs.size, step):
            yield (gs[lo: lo + step], rows[lo: lo + step],
                   A[lo: lo + step] if which is None else A[which[lo: lo + step]])


def _weighted_sums(Xg: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``X_g' w_g`` for each cluster of a batch: (k, s, p) and (k, s) -> (k, p)."""
    if Xg.shape[1] == 1:
        return Xg[:, 0, :] * w
    return np.matmul(w[:, None, :], Xg)[:, 0, :]


def _apply(A: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``A_g v_g`` for each cluster of a batch: (k, s, s) times (k, s) -> (k, s)."""
    if A.shape[1] == 1:
        return A[:, :, 0] * v
    return np.einsum("kst,kt->ks", A, v)


def fit_cr2(X, y, codes, n_clusters: int, *, gram=None) -> CR2Fit:
    """Fit ``y ~ X`` by least squares with the CR2 cluster-robust covariance.

    Parameters
    ----------
    X : array_like, shape (N, p)
        Design matrix of full column rank (see :func:`independent_columns`).
    y : array_like, shape (N,)
    codes : array_like of int, shape (N,)
        Cluster of each unit, ``0 .. n_clusters - 1``.
    n_clusters : int
    gram : ndarray, shape (p, p), optional
        ``X.T @ X`` when the caller has it already.

    Returns
    -------
    CR2Fit

    Raises
    ------
    AnalysisError
        If ``X`` is not of full column rank or there are fewer than 2 clusters.

    Notes
    -----
    ``V = M (sum_g X_g' A_g e_g e_g' A_g X_g) M`` with ``M = (X'X)^-1``, ``e`` the OLS
    residuals and ``A_g = (I - H_gg)^(-1/2)`` (Bell & McCaffrey 2002). This is
    ``clubSandwich::vcovCR(lm(y ~ X - 1), cluster, type = "CR2")`` (tests/reference).

    Examples
    --------
    >>> X = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    >>> fit = fit_cr2(X, [1.0, 2.0, 3.0, 5.0, 6.0, 7.0], np.array([0, 0, 1, 2, 3, 3]), 4)
    >>> fit.coef.round(6).tolist()
    [2.0, 4.0]
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    codes = np.asarray(codes, dtype=np.int64)
    G = int(n_clusters)
    if G < 2:
        raise AnalysisError(f"a cluster-robust variance needs at least 2 clusters; got {G}.")
    M = inverse(X.T @ X if gram is None else gram)
    coef = M @ (X.T @ y)
    e = y - X @ coef
    blocks = _adjustments(X, M, codes, G)
    meat = np.zeros((X.shape[1], X.shape[1]))  # sum_g u_g u_g', u_g = X_g' A_g e_g
    for _, rows, A in _chunks(blocks):
        u = _weighted_sums(X[rows], _apply(A, e[rows]))
        meat += u.T @ u
    V = M @ meat @ M
    return CR2Fit(coef, (V + V.T) / 2.0, int(y.size), G, X, M, blocks, e, codes)


def floored_fits(X, y, codes, n_clusters: int, *, carriers: int | None = None,
                 gram=None) -> tuple[CR2Fit, CR2Fit | None]:
    """The CR2 fit and, at :data:`FLOOR_CLUSTERS` clusters or fewer with some cluster of several
    units, the same fit with every unit its own cluster (the floor of :func:`floored_contrast`).

    Parameters
    ----------
    X, y, codes, n_clusters
        As in :func:`fit_cr2`.
    carriers : int, optional
        Number of clusters the estimate rests on, when fewer than all (a comparison rests on
        its smaller group's); default ``n_clusters``.
    gram : ndarray, shape (p, p), optional
        ``X.T @ X`` when the caller has it already.

    Returns
    -------
    fit, naive : CR2Fit, CR2Fit or None

    Examples
    --------
    >>> fit, naive = floored_fits(np.ones((4, 1)), [2.0, 4.0, 2.0, 4.0], np.array([0, 0, 1, 1]), 2)
    >>> naive.n_clusters
    4
    """
    fit = fit_cr2(X, y, codes, n_clusters, gram=gram)
    N = fit.n
    if not floor_applies(n_clusters if carriers is None else int(carriers), n_clusters, N):
        return fit, None
    return fit, fit_cr2(X, y, np.arange(N), N, gram=gram)


def floor_applies(carriers: int, n_clusters: int, n: int) -> bool:
    """Whether a clustered standard error is floored at the independent-units one: at
    :data:`FLOOR_CLUSTERS` carrying clusters or fewer, when some cluster has several units.

    >>> floor_applies(30, 30, 60), floor_applies(31, 31, 62), floor_applies(5, 5, 5)
    (True, False, False)
    """
    return carriers <= FLOOR_CLUSTERS and n_clusters != n


def floored(est: float, se: float, df: float, se_naive: float) -> tuple[float, float, float, bool]:
    """``(est, se, df, floored)``: the larger of the clustered standard error ``se`` and the
    independent-units one ``se_naive`` (NaN: none), and whether it is the latter.

    >>> floored(3.0, 1.0, 4.0, 1.5)
    (3.0, 1.5, 4.0, True)
    """
    if se_naive > se * (1.0 + 1e-12):
        return est, se_naive, df, True
    return est, se, df, False


def floored_contrast(fit: CR2Fit, naive: CR2Fit | None, c) -> tuple[float, float, float, bool]:
    """Estimate, standard error and df of ``c'b`` with the small-cluster floor.

    Parameters
    ----------
    fit, naive : CR2Fit
        From :func:`floored_fits`.
    c : array_like, shape (p,)

    Returns
    -------
    estimate, se, df, floored : float, float, float, bool
        ``se`` is the CR2 standard error, or the one with every unit independent (HC2) when
        that is larger (``floored`` True); ``df`` are the Bell-McCaffrey df of the clustered
        fit either way.

    Notes
    -----
    With 30 clusters or fewer a clustered variance smaller than the independent-units one
    rests on a negative within-cluster correlation estimated from few clusters; at the extreme
    (every patient scoring 2 and 4, so identical patient means) it is 0 and the interval a
    point. The floor keeps it at least as wide as if the units were independent, never a point
    while the values vary.

    Examples
    --------
    >>> fit, naive = floored_fits(np.ones((4, 1)), [2.0, 4.0, 2.0, 4.0], np.array([0, 0, 1, 1]), 2)
    >>> est, se, df, floored = floored_contrast(fit, naive, [1.0])
    >>> est, round(se, 4), floored
    (3.0, 0.5774, True)
    """
    est, se, df = fit.contrast(c)
    return floored(est, se, df, naive.contrast(c)[1] if naive is not None else math.nan)


#: The last few results of :func:`fitted_contrast`, by a digest of everything they depend on.
_CONTRASTS: OrderedDict = OrderedDict()
_CONTRASTS_KEPT = 64


def fitted_contrast(X, y, codes, n_clusters: int, c, *, carriers: int | None = None,
                    rows=None) -> tuple[float, float, float, bool]:
    """:func:`floored_contrast` of :func:`floored_fits`, remembered for the same data.

    The claims' family-wise view asks every estimator again at another level; only the t
    quantile depends on the level, so the fit of the same units is not made twice. Only the
    four numbers are kept (never the fit's arrays).

    Parameters
    ----------
    X, y, codes, n_clusters, carriers
        As in :func:`floored_fits`.
    c : array_like, shape (p,)
    rows : array_like of int, shape (N,), optional
        With ``X`` the design's distinct rows: each unit's row (the design is ``X[rows]``),
        fitted from them (:func:`outcomes.stats.blockwise.distinct_cr2`: a mean's or two
        groups' design has one or two rows, however many units).

    Returns
    -------
    estimate, se, df, floored
        As :func:`floored_contrast` returns them.

    Examples
    --------
    >>> args = (np.ones((4, 1)), [2.0, 4.0, 2.0, 4.0], np.array([0, 0, 1, 1]), 2, [1.0])
    >>> fitted_contrast(*args) == fitted_contrast(*args)
    True
    """
    X = np.ascontiguousarray(X, dtype=float)
    y = np.ascontiguousarray(y, dtype=float)
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    c = np.ascontiguousarray(c, dtype=float).reshape(-1)
    parts = [X, y, codes, c]
    if rows is not None:
        rows = np.asarray(rows)
        parts.append(np.ascontiguousarray(rows, dtype=np.min_scalar_type(X.shape[0])))
    h = hashlib.sha256()  # the fastest of hashlib here (SHA extensions)
    for part in parts:
        h.update(str(part.shape).encode())
        h.update(part.view(np.uint8).reshape(-1).data)
    h.update(f"{int(n_clusters)}|{carriers}|{rows is None}".encode())
    key = h.digest()
    if key in _CONTRASTS:
        _CONTRASTS.move_to_end(key)
        return _CONTRASTS[key]
    if rows is None:
        fit, naive = floored_fits(X, y, codes, n_clusters, carriers=carriers)
        out = floored_contrast(fit, naive, c)
    else:
        out = _distinct_contrast(X, rows, y, codes, int(n_clusters), c, carriers)
    _CONTRASTS[key] = out
    while len(_CONTRASTS) > _CONTRASTS_KEPT:
        _CONTRASTS.popitem(last=False)
    return out


def _distinct_contrast(T: np.ndarray, rows: np.ndarray, y: np.ndarray, codes: np.ndarray, G: int,
                       c: np.ndarray, carriers: int | None) -> tuple[float, float, float, bool]:
    """:func:`floored_contrast` of :func:`floored_fits` of the design ``T[rows]``, from its
    distinct rows ``T``."""
    from .blockwise import distinct_cr2, distinct_gram  # (blockwise rests on this module)

    if G < 2:
        raise AnalysisError(f"a cluster-robust variance needs at least 2 clusters; got {G}.")
    rows = rows.astype(np.intp, copy=False)
    gram, xty = distinct_gram(T, rows, y)
    M = inverse(gram)
    naive = floor_applies(G if carriers is None else int(carriers), G, y.size)
    [out] = distinct_cr2(T, rows, y, codes, G, M, M @ xty, [c], naive=naive)
    return out.floored()
