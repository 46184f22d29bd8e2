"""Upper quantiles of the normal and Student t distributions, without importing ``scipy.stats``.

Every interval of the package needs ``z = Φ⁻¹(1 - α/2)`` or the t quantile on some degrees of
freedom, and nothing more from the distributions. ``scipy.stats`` builds its ~120
distribution objects (and imports ``scipy.optimize``) when it is imported: about half a
second of every command's start, on a clinic's bundle more than the statistics themselves.
These two functions call the same ``scipy.special`` routines ``scipy.stats`` calls
(``norm.isf(q)`` is ``-ndtri(q)``, ``t.isf(q, df)`` is ``-stdtrit(df, q)``), so the values are
bit for bit those of ``scipy.stats`` — ``tests/test_quantiles.py`` checks it on a grid of
levels and degrees of freedom, non-finite and invalid ones included.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["norm_isf", "t_isf"]


def norm_isf(q):
    """The upper ``q`` quantile of the standard normal, as ``scipy.stats.norm.isf(q)``.

    Parameters
    ----------
    q : float or array_like
        Upper tail probability, in (0, 1).

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(float(norm_isf(0.025)), 6)
    1.959964
    """
    q = np.asarray(q, dtype=float)
    out = -special.ndtri(q)
    return out[()] if out.ndim == 0 else out


def t_isf(q, df):
    """The upper ``q`` quantile of Student's t on ``df`` degrees of freedom, as
    ``scipy.stats.t.isf(q, df)``: NaN where ``df`` is not positive or is NaN.

    Parameters
    ----------
    q : float or array_like
        Upper tail probability, in (0, 1).
    df : float or array_like
        Degrees of freedom (``inf`` gives the normal quantile, as ``scipy.special.stdtrit``
        computes it).

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(float(t_isf(0.025, 4)), 6)
    2.776445
    >>> bool(np.isnan(t_isf(0.025, 0)))
    True
    """
    q, df = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(df, dtype=float))
    valid = (df > 0) & (q > 0) & (q < 1)
    out = np.where(valid, -special.stdtrit(np.where(valid, df, 1.0), np.where(valid, q, 0.5)),
                   np.nan)
    out = np.where((df > 0) & (q == 0), np.inf, out)
    out = np.where((df > 0) & (q == 1), -np.inf, out)
    return out[()] if out.ndim == 0 else out
