"""Tidy rows of estimates: the columns ``estimate, ci_low, ci_high, n, n_patients, method``.

One job: turn an :mod:`outcomes.stats.intervals` estimate into the row every analysis table is
made of — also when the estimator cannot give an interval (too few units or patients), and for
many groups at once (:class:`GroupedShares`, the vectorised
:func:`~outcomes.stats.intervals.proportion`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from . import intervals
from .intervals import _df_words, _units, _wilson_words
from .result import Col

__all__ = ["GroupedShares", "count_distinct", "estimate_dict", "estimate_row", "no_interval_row"]


def count_distinct(codes: np.ndarray) -> int:
    """Number of distinct values of non-negative integer ``codes`` (e.g. patient codes)."""
    return int(np.count_nonzero(np.bincount(codes))) if codes.size else 0


def no_interval_row(method: str, *, n: int = 0, n_patients: int = 0,
                    estimate: float = math.nan) -> dict:
    """A row without an interval (``ci_low`` and ``ci_high`` NaN); ``method`` says why."""
    return {Col.ESTIMATE: estimate, Col.CI_LOW: math.nan, Col.CI_HIGH: math.nan, Col.N: int(n),
            Col.N_PATIENTS: int(n_patients), Col.METHOD: method}


def estimate_dict(e: intervals.Estimate) -> dict:
    """An :class:`~outcomes.stats.intervals.Estimate` as a dict of the tidy columns."""
    return {Col.ESTIMATE: e.estimate, Col.CI_LOW: e.ci_low, Col.CI_HIGH: e.ci_high, Col.N: e.n,
            Col.N_PATIENTS: e.n_clusters, Col.METHOD: e.method}


def estimate_row(fn: Callable, point: Callable, y: np.ndarray, cluster: np.ndarray,
                 units: str, *, alpha: float = 0.05) -> dict:
    """One :mod:`outcomes.stats.intervals` estimate as a dict of the tidy columns.

    Parameters
    ----------
    fn : callable
        The estimator (:func:`~outcomes.stats.intervals.mean`, ``median``, ``proportion``).
    point : callable
        The point estimate alone (``numpy.mean``...), kept when ``fn`` gives no interval.
    y : ndarray
        One value per unit.
    cluster : ndarray of int
        Patient code (>= 0) of each unit.
    units : str
        The units in words (``"courses"``, ``"sessions"``).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    dict
        When the estimator cannot give an interval (too few units or patients) the point
        estimate ``point(y)`` is kept, the interval is NaN and ``method`` says why; with no unit
        at all every number is NaN.
    """
    n = int(y.size)
    if n == 0:
        return no_interval_row(f"no {units}")
    try:
        e = fn(y, cluster=cluster, alpha=alpha, unit_label=units)
    except AnalysisError as exc:
        return no_interval_row(f"no interval: {exc}", n=n,
                               n_patients=count_distinct(np.asarray(cluster)),
                               estimate=float(point(y)))
    return estimate_dict(e)


class GroupedShares:
    """Patient-clustered Wilson shares of many 0/1 vectors over one fixed grouping, vectorised.

    The same estimator as :func:`outcomes.stats.intervals.proportion` (and the same words in
    ``method``), computed for every group at once from per-(group, patient) sums, so that
    incidence by many event types and groups on a million sessions takes one ``bincount`` per
    event type instead of one pass per group. ``tests/test_side_effects.py`` checks it equals
    :func:`~outcomes.stats.intervals.proportion` group by group.

    Parameters
    ----------
    group : ndarray of int
        Group code (0 .. n_groups - 1) of each unit.
    n_groups : int
    patient : ndarray of int
        Patient code (>= 0) of each unit.

    Notes
    -----
    The share, design effect and effective n come from ``intervals._effective_n``, the same
    core :func:`~outcomes.stats.intervals.proportion` uses; the interval is
    :func:`outcomes.stats.intervals.wilson` for ``p n_eff`` of ``n_eff``. Several units of one
    patient only: no interval.
    """

    def __init__(self, group: np.ndarray, n_groups: int, patient: np.ndarray):
        width = np.int64(int(patient.max()) + 1 if patient.size else 1)
        key = group.astype(np.int64) * width + patient.astype(np.int64)
        self.cell, uniques = pd.factorize(key)
        self.cell_group = (np.asarray(uniques, dtype=np.int64) // width).astype(np.int64)
        self.n_cell = np.bincount(self.cell, minlength=uniques.size).astype(float)
        self.n_groups = n_groups

    def rows(self, y: np.ndarray, alpha: float, unit_label: str) -> list[dict]:
        """One dict of the tidy columns per group for the 0/1 vector ``y`` (one per unit)."""
        y_cell = np.bincount(self.cell, weights=y, minlength=self.n_cell.size)
        p, n, G, n_eff, deff, df, single, nominal = intervals._effective_n(
            y_cell, self.n_cell, self.cell_group, self.n_groups, alpha)
        ok = (n > 0) & (single | (G >= 2))
        low = np.full(self.n_groups, np.nan)
        high = np.full(self.n_groups, np.nan)
        if ok.any():
            low[ok], high[ok] = intervals.wilson(p[ok] * n_eff[ok], n_eff[ok], alpha=alpha)
        out = []
        for j in range(self.n_groups):
            nj, gj = int(n[j]), int(G[j])
            if nj == 0:
                out.append(no_interval_row(f"no {unit_label}"))
                continue
            if ok[j]:
                words = _wilson_words(float(n_eff[j]), float(deff[j]),
                                      _df_words(float(df[j]), bool(nominal[j])),
                                      bool(single[j]))
                method = f"{words} ({_units(nj, gj, bool(single[j]), unit_label, 'patients')})"
            else:
                method = (f"no interval: proportion: a cluster-robust interval needs at least 2 "
                          f"clusters; got {gj} cluster with {nj} units.")
            out.append({Col.ESTIMATE: float(p[j]), Col.CI_LOW: float(low[j]),
                        Col.CI_HIGH: float(high[j]), Col.N: nj, Col.N_PATIENTS: gj,
                        Col.METHOD: method})
        return out
