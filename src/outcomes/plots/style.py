"""Shared plot style: the palette's cycle and axes helpers.

The colours are those of :mod:`outcomes.output.labels` (defined there once); they are named here
too because a result's ``plot()`` in a room below ``output`` may import :mod:`outcomes.plots` but
not :mod:`outcomes.output`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from ..output.labels import PALETTE, VERDICT_COLOURS

__all__ = ["PALETTE", "VERDICT_COLOURS", "colour", "axes", "claimed_range", "not_enough_data",
           "error_bars"]

_CYCLE = ["blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black"]


def colour(i: int) -> str:
    """The i-th colour of the palette's cycle."""
    return PALETTE[_CYCLE[i % len(_CYCLE)]]


def axes(ax=None, figsize=(6.4, 4.0)):
    """Return ``ax``, or the axes of a new figure when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def claimed_range(ax, low=None, high=None, orientation="horizontal", label="claimed"):
    """Shade the range a claim states (either bound may be None: one-sided claims)."""
    span = ax.axhspan if orientation == "horizontal" else ax.axvspan
    lims = ax.get_ylim() if orientation == "horizontal" else ax.get_xlim()
    lo = lims[0] if low is None else low
    hi = lims[1] if high is None else high
    span(lo, hi, color=PALETTE["green"], alpha=0.12, label=label, zorder=0)
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
    import numpy as np

    est = np.asarray(estimate, dtype=float)
    below = np.clip(np.nan_to_num(est - np.asarray(low, dtype=float)), 0, None)
    above = np.clip(np.nan_to_num(np.asarray(high, dtype=float) - est), 0, None)
    return [below, above]
