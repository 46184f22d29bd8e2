"""Least squares with the CR2 variance, a block of whole clusters at a time.

:func:`outcomes.stats.regression.fit_cr2` holds the N x p design whole; a fit of a million
sessions on some forty columns is then a few hundred megabytes, and twenty million sessions do
not fit at all. Here the design is never held whole: the units are ordered once by their
cluster's size, then cluster (:class:`ClusterBlocks`), so that every block of rows is a run of
whole clusters of one size, a contiguous slice of the ordered units, and a caller's ``build(lo,
hi)`` makes the design rows of one block when asked. Two passes give what ``fit_cr2`` and
:meth:`~outcomes.stats.regression.CR2Fit.contrast` give:

1. :func:`gram_pass`: ``X'X`` and ``X'y`` (and, when :func:`independent_columns` cannot tell
   from ``X'X``, a pass for the QR triangle of the stacked blocks);
2. :func:`cr2_pass`: with ``M = (X'X)^-1``, the coefficients and the contrasts known, each block's
   CR2 adjustments ``A_g``, its part of the meat and, for each contrast, the sums of
   ``CR2Fit.contrast`` (``w_g'w_g``, the diagonal of ``T M T'`` and ``T'T``), and the meat with
   every unit its own cluster for the small-cluster floor.

The numbers are those of the whole-design fit, summed in another order (a few units in the last
digits).

A design with few distinct rows (every categorical one) needs no pass over its units' rows at
all: :func:`distinct_gram` and :func:`distinct_cr2` give the same from the distinct rows, each
patient adjusted on the span of its own distinct rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .regression import (
    _FEW_COLUMNS,
    _TALL,
    _clearly_independent,
    _distinct_blocks,
    _inv_sqrt,
    floored,
    independent_columns,
)

__all__ = ["ClusterBlocks", "gram_pass", "independent_design_columns", "cr2_pass", "Contrast"]

#: Rows of a block (whole clusters: a cluster larger than this is a block of its own). A block of
#: forty columns is then about 2.5 MB, in cache while it is read several times.
BLOCK_ROWS = 1 << 13


#: Most multiply-adds of one product on one thread: OpenBLAS runs a product of m x n x k at most
#: 4 x 65536 on the calling thread, and larger ones on every core, whose threads on a busy
#: machine of two cores cost far more than they give (a fit's X'X took sixty times as long).
_ONE_THREAD = 1 << 18


def _cross(A: np.ndarray, B: np.ndarray | None = None) -> np.ndarray:
    """``A' B`` (``A' A`` without ``B``) for tall ``A`` and ``B``, summed over stacks of rows
    whose products each stay on one thread.

    >>> A = np.arange(12.0).reshape(6, 2)
    >>> bool(np.array_equal(_cross(A), A.T @ A)), _cross(A, A[:, :1]).tolist()
    (True, [[220.0], [250.0]])
    """
    B = A if B is None else B
    n, p, q = A.shape[0], A.shape[1], B.shape[1]
    step = max(1, _ONE_THREAD // max(p * q, 1))
    if n <= step:
        return A.T @ B
    whole = n - n % step
    As = A[:whole].reshape(-1, step, p)
    Bs = As if B is A else B[:whole].reshape(-1, step, q)
    out = np.matmul(np.swapaxes(As, 1, 2), Bs).sum(axis=0)
    return out + A[whole:].T @ B[whole:] if whole < n else out


def _times(X: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``X @ M`` for tall ``X`` (a matrix or a vector ``M``), by stacks of rows whose products
    each stay on one thread.

    >>> X = np.arange(12.0).reshape(6, 2)
    >>> bool(np.array_equal(_times(X, np.eye(2)), X)), _times(X, np.ones(2)).tolist()
    (True, [1.0, 5.0, 9.0, 13.0, 17.0, 21.0])
    """
    n, p = X.shape
    q = 1 if M.ndim == 1 else M.shape[1]
    step = max(1, _ONE_THREAD // max(p * q, 1))
    if n <= step:
        return X @ M
    whole = n - n % step
    Mm = M[:, None] if M.ndim == 1 else M
    out = np.matmul(X[:whole].reshape(-1, step, p), Mm).reshape(whole, q)
    if whole < n:
        out = np.concatenate([out, X[whole:] @ Mm])
    return out[:, 0] if M.ndim == 1 else out


@dataclass(frozen=True)
class ClusterBlocks:
    """The units ordered by their cluster's size, then cluster, then position, cut into blocks
    of whole clusters of one size.

    Attributes
    ----------
    order : ndarray of int64
        The units' positions in that order (``values[order]`` orders values).
    bounds : tuple of (lo, hi, size)
        Each block's rows ``lo:hi`` of the ordered units, whose clusters all have ``size`` units.
    n_clusters : int
    keys : ndarray or None
        With the ``keys`` of :meth:`of`: the units' keys in that order.

    Examples
    --------
    >>> b = ClusterBlocks.of(np.array([1, 0, 1, 2, 1]), 3, rows=3)
    >>> b.order.tolist(), b.bounds
    ([1, 3, 0, 2, 4], ((0, 2, 1), (2, 5, 3)))
    """

    order: np.ndarray
    bounds: tuple
    n_clusters: int
    keys: np.ndarray | None = None

    @classmethod
    def of(cls, codes, n_clusters: int, *, rows: int | None = None,
           keys=None) -> ClusterBlocks:
        """The blocks of units whose clusters are ``codes`` (``0 .. n_clusters - 1``), of at
        most ``rows`` rows (default :data:`BLOCK_ROWS`) unless one cluster has more.

        ``keys`` (optional, one integer per unit) says which units have the same row of the
        design: the clusters of one size are then ordered by their units' keys, so clusters
        with the same rows are neighbours and their adjustments are computed once (the same
        numbers, bit for bit).
        """
        rows = BLOCK_ROWS if rows is None else int(rows)
        codes = np.asarray(codes, dtype=np.int64)
        G = int(n_clusters)
        sizes = np.bincount(codes, minlength=G)
        by_size = np.argsort(sizes, kind="stable")  # clusters by size, then code
        rank = np.empty(G, dtype=np.int64)
        rank[by_size] = np.arange(G)
        order = np.argsort(rank[codes], kind="stable")
        sorted_sizes = sizes[by_size]
        bounds, lo = [], 0
        keys = None if keys is None else np.asarray(keys)[order]
        for size in np.unique(sorted_sizes[sorted_sizes > 0]):
            size = int(size)
            count = int(np.count_nonzero(sorted_sizes == size))
            end = lo + count * size
            if keys is not None and size > 1:  # clusters with the same rows side by side
                by_rows = np.argsort(_digest(keys[lo:end].reshape(count, size)), kind="stable")
                for part in (order, keys):
                    part[lo:end] = part[lo:end].reshape(count, size)[by_rows].reshape(-1)
            step = max(1, rows // size) * size
            bounds += [(b, min(b + step, end), size) for b in range(lo, end, step)]
            lo = end
        return cls(order, tuple(bounds), G, keys)

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.order.size)


def _digest(keys: np.ndarray) -> np.ndarray:
    """One 64-bit number per row of ``keys`` (k, size), equal for equal rows: clusters sorted by
    it have the same rows side by side (two rows that differ and collide are only not shared)."""
    out = np.zeros(keys.shape[0], dtype=np.uint64)
    for j in range(keys.shape[1]):
        out *= np.uint64(0x9E3779B97F4A7C15)  # wraps around: arithmetic modulo 2**64
        out += keys[:, j].astype(np.uint64) + np.uint64(1)
    return out


def gram_pass(build: Callable, y: np.ndarray, blocks: ClusterBlocks) -> tuple:
    """``X'X`` and ``X'y`` from the blocks of ``build`` (``y`` in the blocks' order).

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 1.0, 2.0]])
    >>> b = ClusterBlocks.of(np.array([0, 0, 1, 2]), 3, rows=2)
    >>> gram, xty = gram_pass(lambda lo, hi: X[b.order][lo:hi], np.arange(4.0)[b.order], b)
    >>> gram.tolist(), xty.tolist()
    ([[4.0, 4.0], [4.0, 6.0]], [6.0, 9.0])
    """
    gram = xty = None
    for lo, hi, _ in blocks.bounds:
        Xb = build(lo, hi)
        g, v = _cross(Xb), _cross(Xb, y[lo:hi, None])[:, 0]
        gram, xty = (g, v) if gram is None else (gram + g, xty + v)
    return gram, xty


def _triangle(build: Callable, blocks: ClusterBlocks) -> np.ndarray:
    """The triangle ``R`` of ``X = QR`` by QR of the blocks and of their stacked triangles (as
    :func:`outcomes.stats.regression._triangle`, on other blocks of rows)."""
    parts: list = []
    for lo, hi, _ in blocks.bounds:
        parts.append(np.linalg.qr(build(lo, hi), mode="r"))
        if len(parts) >= 32:
            parts = [np.linalg.qr(np.vstack(parts), mode="r")]
    return np.linalg.qr(np.vstack(parts), mode="r") if len(parts) > 1 else parts[0]


def independent_design_columns(build: Callable, blocks: ClusterBlocks, gram: np.ndarray
                               ) -> np.ndarray:
    """:func:`outcomes.stats.regression.independent_columns` of the design of ``build``, given
    its ``X'X``: a tall design whose columns are clearly independent in ``X'X`` keeps them all;
    another is judged on its QR triangle (one more pass) or, short, on its rows.

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 0.0, 1.0], [0.0, 2.0, 0.0, 2.0]])
    >>> b = ClusterBlocks.of(np.arange(4), 4)
    >>> independent_design_columns(lambda lo, hi: X[b.order][lo:hi], b, X.T @ X).tolist()
    [0, 1]
    """
    p = gram.shape[0]
    if blocks.n > _TALL * max(p, 1):
        if _clearly_independent(None, gram):
            return np.arange(p, dtype=np.int64)
        return independent_columns(_triangle(build, blocks))
    return independent_columns(build(0, blocks.n))


@dataclass(frozen=True)
class Contrast:
    """Estimate, CR2 standard error and Bell-McCaffrey df of a contrast ``c'b``, and its
    standard error with every unit its own cluster (NaN when not asked).

    Examples
    --------
    >>> Contrast(3.0, 1.0, 4.0, 1.5).floored()
    (3.0, 1.5, 4.0, True)
    """

    estimate: float
    se: float
    df: float
    se_naive: float

    def floored(self) -> tuple[float, float, float, bool]:
        """As :func:`outcomes.stats.regression.floored_contrast`: the larger standard error,
        and whether it is the independent-units one."""
        return floored(self.estimate, self.se, self.df, self.se_naive)


class _Sums:
    """What :func:`cr2_pass` adds up over the blocks."""

    def __init__(self, p: int, m: int, naive: bool):
        self.meat = np.zeros((p, p))
        self.naive = np.zeros((p, p)) if naive else None
        self.K = np.zeros((m, p, p))  # T'T of each contrast
        self.ww = np.zeros(m)  # sum_g w_g'w_g
        self.ww2 = np.zeros(m)  # sum_g (w_g'w_g)^2
        self.ww_tmt = np.zeros(m)  # sum_g w_g'w_g (T M T')_gg


def _block(Xb: np.ndarray, yb: np.ndarray, size: int, M: np.ndarray, coef: np.ndarray,
           MC: np.ndarray, sums: _Sums, keys: np.ndarray | None) -> None:
    """Add one block's part (``Xb``: whole clusters of ``size`` units, in order, with their
    units' ``keys`` or None) to ``sums``.

    With ``I - H_gg = Q diag(l) Q'`` and ``z = Q' v`` for each vector ``v`` of the cluster (its
    residuals ``e_g`` and ``X_g M c``), ``A_g v = Q (z / sqrt(l))``; so ``w_g'w_g =
    sum(z^2 / l)`` and ``(T M T')_gg = w_g' H_gg w_g = sum(z^2 (1 - l) / l)`` (eigenvalues at or
    below the tolerance count 0), without the p x p products of ``T M``.
    """
    n, p = Xb.shape
    k, m = n // size, MC.shape[1]
    XM = _times(Xb, M) if size == 1 or sums.naive is not None or keys is None else None
    V = np.empty((n, m + 1))  # e and X M c of every contrast, for A_g to multiply
    V[:, 0] = yb - _times(Xb, coef)
    V[:, 1:] = _times(Xb, MC)
    if size == 1 or sums.naive is not None:
        h = np.einsum("ij,ij->i", XM, Xb)  # leverages, the diagonal of every H_gg
        if sums.naive is not None:
            u = Xb * (_inv_sqrt(1.0 - h) * V[:, 0])[:, None]
            sums.naive += _cross(u)
    if size == 1:
        vals = (1.0 - h)[:, None]
        Az = V[:, None, :] * _inv_sqrt(vals)[:, :, None]  # (n, 1, m + 1)
        U = Xb[:, None, :] * Az[:, 0, :, None]  # (n, m + 1, p): X_g' A_g v_g
    else:
        X3 = Xb.reshape(k, size, p)
        if keys is not None:  # neighbours with the same keys have the same rows
            kb = keys.reshape(k, size)
            new_run = np.concatenate([[True], (kb[1:] != kb[:-1]).any(axis=1)])
            Xd, which = X3[new_run], np.cumsum(new_run) - 1
        elif p > _FEW_COLUMNS:
            Xd, which = X3, None
        else:
            Xd, which = _distinct_blocks(X3)
        XMd = XM.reshape(k, size, p) if which is None else Xd @ M  # (X_g M of each)
        B = -np.matmul(XMd, np.swapaxes(Xd, 1, 2))
        B[:, np.arange(size), np.arange(size)] += 1.0  # I - H_gg
        vals, vecs = np.linalg.eigh(B)
        if which is not None:
            vals, vecs = vals[which], vecs[which]
        Az = _inv_sqrt(vals)[:, :, None] * (np.swapaxes(vecs, 1, 2) @ V.reshape(k, size, m + 1))
        U = np.matmul(np.swapaxes(vecs @ Az, 1, 2), X3)  # (k, m + 1, p): X_g' A_g v_g
    u = U[:, 0, :]
    sums.meat += _cross(np.ascontiguousarray(u))
    w2 = Az[:, :, 1:] ** 2  # (k, size, m)
    ww = w2.sum(axis=1)  # (k, m)
    tmt = np.einsum("ksm,ks->km", w2, 1.0 - vals)
    sums.ww += ww.sum(axis=0)
    sums.ww2 += np.einsum("km,km->m", ww, ww)
    sums.ww_tmt += np.einsum("km,km->m", ww, tmt)
    for j in range(m):
        T = U[:, 1 + j, :]
        sums.K[j] += _cross(np.ascontiguousarray(T))


def cr2_pass(build: Callable, y: np.ndarray, blocks: ClusterBlocks, M: np.ndarray,
             coef: np.ndarray, contrasts, *, naive: bool = False) -> list[Contrast]:
    """The CR2 estimate, standard error and Bell-McCaffrey df of each contrast, in one pass.

    Parameters
    ----------
    build : callable
        ``build(lo, hi)``: the design rows ``lo:hi`` of the ordered units, (hi - lo) x p.
    y : ndarray
        The outcome in the blocks' order.
    blocks : ClusterBlocks
    M, coef : ndarray
        ``(X'X)^-1`` (:func:`outcomes.stats.regression.inverse`) and the least-squares
        coefficients ``M X'y``.
    contrasts : sequence of array_like, shape (p,)
    naive : bool
        Also the standard error with every unit its own cluster (``Contrast.se_naive``).

    Returns
    -------
    list of Contrast
        As :meth:`outcomes.stats.regression.CR2Fit.contrast` gives them (``se_naive`` that of the
        fit with ``codes = arange(N)``).

    Raises
    ------
    AnalysisError
        With fewer than 2 clusters.

    Examples
    --------
    >>> X = np.ones((4, 1)); b = ClusterBlocks.of(np.arange(4), 4)
    >>> y = np.array([1.0, 2.0, 3.0, 6.0])
    >>> [c] = cr2_pass(lambda lo, hi: X[lo:hi], y, b, np.array([[0.25]]), np.array([3.0]),
    ...                [[1.0]])
    >>> c.estimate, round(c.se, 6), round(c.df, 6)
    (3.0, 1.080123, 3.0)
    """
    if blocks.n_clusters < 2:
        raise AnalysisError(f"a cluster-robust variance needs at least 2 clusters; got "
                            f"{blocks.n_clusters}.")
    C = np.column_stack([np.asarray(c, dtype=float).reshape(-1) for c in contrasts])
    p, m = C.shape
    MC = M @ C
    sums = _Sums(p, m, naive)
    for lo, hi, size in blocks.bounds:
        keys = None if blocks.keys is None else blocks.keys[lo:hi]
        _block(build(lo, hi), y[lo:hi], size, M, coef, MC, sums, keys)
    return _contrasts(C, M, coef, sums)


def _contrasts(C: np.ndarray, M: np.ndarray, coef: np.ndarray, sums: _Sums) -> list[Contrast]:
    """Each contrast (the columns of ``C``) from the sums of a pass."""
    m, naive = C.shape[1], sums.naive is not None
    V = M @ sums.meat @ M
    V = (V + V.T) / 2.0
    Vn = None
    if naive:
        Vn = M @ sums.naive @ M
        Vn = (Vn + Vn.T) / 2.0
    out = []
    for j in range(m):
        c = C[:, j]
        MK = M @ sums.K[j]
        trace = float(sums.ww[j] - np.trace(MK))
        trace_sq = float(sums.ww2[j] - 2.0 * sums.ww_tmt[j] + np.sum(MK * MK.T))
        se_naive = math.sqrt(max(float(c @ Vn @ c), 0.0)) if naive else math.nan
        out.append(Contrast(float(coef @ c), math.sqrt(max(float(c @ V @ c), 0.0)),
                            trace * trace / trace_sq if trace_sq > 0 else math.nan, se_naive))
    return out


# ------------------------------------------------------------ designs of few distinct rows
#: Clusters of one count of distinct rows taken together in :func:`distinct_cr2`.
_CLUSTERS_AT_ONCE = 1 << 13


def distinct_gram(T: np.ndarray, rows: np.ndarray, y: np.ndarray) -> tuple:
    """``X'X`` and ``X'y`` of the design ``X = T[rows]`` without building it.

    >>> T = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> gram, xty = distinct_gram(T, np.array([0, 1, 1, 0]), np.arange(4.0))
    >>> gram.tolist(), xty.tolist()
    ([[4.0, 2.0], [2.0, 2.0]], [6.0, 3.0])
    """
    counts = np.bincount(rows, minlength=T.shape[0]).astype(float)  # (exact: no square root)
    return (_cross(T, counts[:, None] * T),
            _cross(T, np.bincount(rows, weights=y, minlength=T.shape[0])[:, None])[:, 0])


class _Quadratic:
    """``T' W T`` (``T`` the distinct rows) summed from parts of ``W``: its diagonal, by row,
    and entries ``W[a, b]`` off it, by the pair (``a * len(T) + b``)."""

    def __init__(self, T: np.ndarray):
        self.T = T
        self.diagonal = np.zeros(T.shape[0])
        self.pairs: list = []
        self.weights: list = []

    def add(self, rows: np.ndarray, weights: np.ndarray) -> None:
        """Add the products ``weights[:, a] * weights[:, b]`` of each cluster's distinct
        ``rows`` (k, d) to ``W[rows[:, a], rows[:, b]]``."""
        self.diagonal += np.bincount(rows.reshape(-1), weights=(weights * weights).reshape(-1),
                                     minlength=self.T.shape[0])
        d = rows.shape[1]
        if d > 1:  # each pair once, the smaller row first (W is symmetric)
            a, b = np.triu_indices(d, 1)
            lo, hi = np.minimum(rows[:, a], rows[:, b]), np.maximum(rows[:, a], rows[:, b])
            self.pairs.append((lo * self.T.shape[0] + hi).reshape(-1))
            self.weights.append((weights[:, a] * weights[:, b]).reshape(-1))

    def total(self) -> np.ndarray:
        return _quadratic(self.T, self.diagonal, self.pairs, self.weights)


def _quadratic(T: np.ndarray, diagonal: np.ndarray, pairs: list, weights: list) -> np.ndarray:
    """``T' W T``: the diagonal (non-negative) as the product of ``sqrt(W) T`` with itself,
    each pair ``a < b`` off it once and with its mirror."""
    root = np.sqrt(diagonal)[:, None] * T
    out = _cross(root)
    if pairs:
        pair, found = pd.factorize(np.concatenate(pairs))
        w = np.bincount(pair, weights=np.concatenate(weights))
        a, b = np.divmod(np.asarray(found, dtype=np.int64), T.shape[0])
        half = _cross(T[a] * w[:, None], T[b])
        out += half + half.T
    return out


def distinct_cr2(T: np.ndarray, rows: np.ndarray, y: np.ndarray, codes: np.ndarray,
                 n_clusters: int, M: np.ndarray, coef: np.ndarray, contrasts, *,
                 naive: bool = False) -> list[Contrast]:
    """:func:`cr2_pass` of the design ``X = T[rows]`` (``T`` its distinct rows), from the
    clusters' distinct rows only: no pass over the units' rows of the design.

    A cluster whose units have ``d`` distinct rows ``D`` (``n`` units each) has ``H_gg = E D M
    D' E'`` (``E`` the units' indicators of their row): ``I - H_gg`` is the identity but on the
    span of ``E``, where, in the basis ``E n^(-1/2)``, it is the ``d x d`` matrix ``I - n^(1/2) D
    M D' n^(1/2)``. Its eigen-decomposition gives the CR2 adjustment ``A_g`` (1 off that span),
    and every sum of :func:`cr2_pass` needs only ``E' e_g`` (the residuals summed by row) and
    ``D M c``: ``X_g' A_g v`` is ``D'`` times a ``d``-vector, so the meat and ``T'T`` are ``T' W
    T`` with ``W`` sparse, rows x rows. The numbers are those of :func:`cr2_pass`, summed in
    another order (a few units in the last digits).

    Parameters
    ----------
    T : ndarray, shape (r, p)
        The design's distinct rows.
    rows : ndarray of int, shape (N,)
        Each unit's row of ``T``.
    y : ndarray, shape (N,)
    codes : ndarray of int, shape (N,)
        Each unit's cluster, ``0 .. n_clusters - 1``.
    n_clusters : int
    M, coef, contrasts, naive
        As :func:`cr2_pass`.

    Returns
    -------
    list of Contrast

    Examples
    --------
    >>> T = np.ones((1, 1))
    >>> [c] = distinct_cr2(T, np.zeros(4, dtype=int), np.array([1.0, 2.0, 3.0, 6.0]),
    ...                    np.arange(4), 4, np.array([[0.25]]), np.array([3.0]), [[1.0]])
    >>> c.estimate, round(c.se, 6), round(c.df, 6)
    (3.0, 1.080123, 3.0)
    """
    G = int(n_clusters)
    if G < 2:
        raise AnalysisError(f"a cluster-robust variance needs at least 2 clusters; got {G}.")
    C = np.column_stack([np.asarray(c, dtype=float).reshape(-1) for c in contrasts])
    p, m = C.shape
    r = T.shape[0]
    TM = _times(T, M)
    XMC = _times(T, M @ C)  # X M c of each row, each contrast
    e = y - _times(T, coef)[rows]
    # (cluster, row) pairs, in cluster order: a cluster's distinct rows are neighbours
    key = np.asarray(codes, dtype=np.int64) * r + rows
    if r * G <= 4 * key.size:  # few rows (a mean, two groups): the pairs numbered by counting
        present = np.zeros(r * G, dtype=bool)
        present[key] = True
        pair = (np.cumsum(present) - 1)[key]
        found = np.flatnonzero(present)
    else:
        pair, found = pd.factorize(key, sort=True)
    units = np.bincount(pair).astype(float)
    e_sum = np.bincount(pair, weights=e)
    cluster, row = np.divmod(np.asarray(found, dtype=np.int64), r)
    distinct = np.bincount(cluster, minlength=G)
    first = np.concatenate([[0], np.cumsum(distinct)[:-1]])
    sums = _Sums(p, m, naive)
    meat, K = _Quadratic(T), [_Quadratic(T) for _ in range(m)]
    h = np.einsum("rp,rp->r", TM, T)  # each row's leverage
    for d in np.unique(distinct[distinct > 0]):
        d = int(d)
        every = np.flatnonzero(distinct == d)
        step = every.size if d == 1 else _CLUSTERS_AT_ONCE
        for lo in range(0, every.size, step):
            at = first[every[lo: lo + step]][:, None] + np.arange(d)  # (k, d)
            R, n = row[at], units[at]
            root = np.sqrt(n)
            if d == 1:  # I - H_gg on the span of E: 1 - n h
                vals, vecs = 1.0 - n * h[R], None
            else:
                B = -np.matmul(TM[R], np.swapaxes(T[R], 1, 2)) * root[:, :, None] * root[:, None, :]
                B[:, np.arange(d), np.arange(d)] += 1.0
                vals, vecs = np.linalg.eigh(B)
            inv = _inv_sqrt(vals)
            # X_g' A_g e_g = D' u, with Q' e_g on the span of E from the residuals by row
            u = inv * e_sum[at] if d == 1 else e_sum[at] + root * np.einsum(
                "kab,kb->ka", vecs, (inv - 1.0) * np.einsum("kab,ka->kb", vecs, e_sum[at] / root))
            meat.add(R, u)
            for j in range(m):
                v = root * XMC[R, j]
                w = inv * (v if d == 1 else np.einsum("kab,ka->kb", vecs, v))  # A_g X_g M c
                w2 = w * w
                ww, tmt = w2.sum(axis=1), (w2 * (1.0 - vals)).sum(axis=1)
                sums.ww[j] += ww.sum()
                sums.ww2[j] += np.sum(ww * ww)  # (a long dot product would take every core)
                sums.ww_tmt[j] += np.sum(ww * tmt)
                K[j].add(R, root * (w if d == 1 else np.einsum("kab,kb->ka", vecs, w)))
    sums.meat = meat.total()
    for j in range(m):
        sums.K[j] = K[j].total()
    if naive:  # every unit its own cluster: sum_i x_i x_i' e_i^2 / (1 - h_i)
        s = (_inv_sqrt(1.0 - h)[rows] * e) ** 2
        sums.naive = _quadratic(T, np.bincount(rows, weights=s, minlength=r), [], [])
    return _contrasts(C, M, coef, sums)
