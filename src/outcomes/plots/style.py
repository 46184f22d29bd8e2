"""Shared plot style: the palette's cycle and axes helpers.

The colours are those of :mod:`outcomes.output.labels` (defined there once); they are named here
too because a result's ``plot()`` in a room below ``output`` may import :mod:`outcomes.plots` but
not :mod:`outcomes.output`.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..output.labels import PALETTE, SERIES_COLOURS, VERDICT_COLOURS, series_style
from .claimed import CLAIM_ALPHA, CLAIM_COLOUR

__all__ = ["PALETTE", "VERDICT_COLOURS", "SERIES_COLOURS", "series_style", "colour", "axes",
           "claimed_range", "not_enough_data", "error_bars", "TICK_PT", "TEXT_PT", "readable",
           "panels", "runs"]

#: Font size (points) of tick labels and legends: 10 pt is at least 10 px at 72 dpi and more.
TICK_PT = 10
#: Font size (points) of the smallest text written in a figure (cell values, counts).
TEXT_PT = 9


def colour(i: int) -> str:
    """The i-th colour of a figure's series (never repeated below 15 series)."""
    return SERIES_COLOURS[i % len(SERIES_COLOURS)]


def axes(ax=None, figsize=(6.4, 4.0)):
    """Return ``ax``, or the axes of a new figure when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def readable(ax):
    """Tick labels of ``ax`` at :data:`TICK_PT` points, axis labels a little larger."""
    ax.tick_params(labelsize=TICK_PT)
    ax.xaxis.label.set_fontsize(TICK_PT + 1)
    ax.yaxis.label.set_fontsize(TICK_PT + 1)
    return ax


def panels(n: int, ax=None, *, columns: int = 4, size=(2.6, 2.2), sharey=True, sharex=True):
    """A grid of ``n`` panels with shared axes, at most ``columns`` wide.

    When ``ax`` is given its figure is cleared and reused (a dashboard's figure). Returns the
    figure and the list of the ``n`` axes in use (the grid's spare cells are removed).
    """
    cols = max(1, min(columns, n))
    rows = max(1, math.ceil(n / cols))
    if ax is None:
        fig = plt.figure(figsize=(size[0] * cols + 1.0, size[1] * rows + 1.2),
                         layout="constrained")
    else:
        fig = ax.figure
        fig.clf()
    grid = np.atleast_2d(fig.subplots(rows, cols, sharex=sharex, sharey=sharey, squeeze=False))
    flat = list(grid.ravel())
    for spare in flat[n:]:
        spare.remove()
    return fig, flat[:n]


def runs(mask) -> list[slice]:
    """The slices of consecutive True values of ``mask``.

    Examples
    --------
    >>> runs([True, True, False, True])
    [slice(0, 2, None), slice(3, 4, None)]
    """
    m = np.asarray(mask, dtype=bool)
    out, start = [], None
    for i, v in enumerate(m):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append(slice(start, i))
            start = None
    if start is not None:
        out.append(slice(start, len(m)))
    return out


def claimed_range(ax, low=None, high=None, orientation="horizontal", label="claimed"):
    """Shade the range a claim states (either bound may be None: one-sided claims), translucent
    and behind the estimates."""
    span = ax.axhspan if orientation == "horizontal" else ax.axvspan
    lims = ax.get_ylim() if orientation == "horizontal" else ax.get_xlim()
    lo = lims[0] if low is None else low
    hi = lims[1] if high is None else high
    span(lo, hi, color=CLAIM_COLOUR, alpha=CLAIM_ALPHA, label=label, zorder=0, lw=0)
    return ax


def not_enough_data(ax, reason: str = "not enough data"):
    """Mark ``ax`` as a labelled empty panel: the figure is drawn, and says why it is empty."""
    ax.text(0.5, 0.5, reason, ha="center", va="center", wrap=True, transform=ax.transAxes,
            color=PALETTE["black"], fontsize="medium")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def error_bars(estimate, low, high):
    """``xerr``/``yerr`` for matplotlib from an estimate and its bounds: never negative (a
    bound equal to the estimate up to rounding) and zero where a bound is missing."""
    est = np.asarray(estimate, dtype=float)
    below = np.clip(np.nan_to_num(est - np.asarray(low, dtype=float)), 0, None)
    above = np.clip(np.nan_to_num(np.asarray(high, dtype=float) - est), 0, None)
    return [below, above]
