"""Shared plot style: a colour-blind-safe palette (Okabe & Ito 2008) and axes helpers."""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["PALETTE", "VERDICT_COLOURS", "colour", "axes", "claimed_range"]

#: Okabe–Ito colour-blind-safe palette.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
_CYCLE = ["blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black"]
VERDICT_COLOURS = {
    "supported": PALETTE["green"],
    "contradicted": PALETTE["vermillion"],
    "inconclusive": PALETTE["orange"],
    "not_testable": "#777777",
}


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
