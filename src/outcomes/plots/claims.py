"""Plot of claim verdicts: each estimate with its interval beside the claimed range."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .style import PALETTE, VERDICT_COLOURS

__all__ = ["claims_forest"]


def claims_forest(table, ax=None, ids=None):
    """Small multiples, one row per claim: the estimate and its 95% interval, the claimed range.

    Claims are on different scales (sessions, shares, minutes), so each row has its own x axis:
    the claimed range is shaded green, the interval drawn as a line, the estimate as a dot in the
    colour of its verdict. Claims that are not testable are listed without a dot.

    Parameters
    ----------
    table : DataFrame
        :attr:`outcomes.ClaimsResult.table`.
    ax : matplotlib Axes, optional
        Only used to find the figure to draw on: when given, its figure is cleared and reused.
    ids : list of str, optional
        Claims to show (default: all).

    Returns
    -------
    ndarray of Axes
        One axes per claim.
    """
    t = table if ids is None else table[table["id"].isin(ids)]
    n = max(len(t), 1)
    if ax is None:
        fig = plt.figure(figsize=(7.5, 0.42 * n + 0.8), layout="constrained")
    else:
        fig = ax.figure
        fig.clf()
    axes = np.atleast_1d(fig.subplots(n, 1, squeeze=False)[:, 0])
    for a, row in zip(axes, t.itertuples(), strict=False):
        _one(a, row)
    axes[-1].set_xlabel("estimate and 95% interval (each row on its own scale); "
                        "green: what the claim says")
    return axes


def _finite(*xs):
    return [x for x in xs if x is not None and not (isinstance(x, float) and
                                                     (math.isnan(x) or math.isinf(x)))]


def _one(ax, row):
    ax.set_yticks([])
    ax.set_ylabel(row.id, rotation=0, ha="right", va="center", fontsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=7)
    lo, hi = (row.low, row.high) if row.rule == "range" else (row.threshold, row.threshold)
    values = _finite(row.estimate, row.ci_low, row.ci_high, lo, hi)
    if not values:
        ax.text(0.5, 0.5, f"{row.verdict}: {row.reason}"[:90], transform=ax.transAxes,
                ha="center", va="center", fontsize=7, color="#555")
        ax.set_xticks([])
        return
    span = max(values) - min(values) or 1.0
    left, right = min(values) - 0.15 * span, max(values) + 0.15 * span
    ax.set_xlim(left, right)
    if row.rule == "range":
        ax.axvspan(row.low, row.high, color=PALETTE["green"], alpha=0.18, lw=0)
    elif row.rule == "at_least":
        ax.axvspan(row.threshold, right, color=PALETTE["green"], alpha=0.18, lw=0)
    else:
        ax.axvspan(left, row.threshold, color=PALETTE["green"], alpha=0.18, lw=0)
    colour = VERDICT_COLOURS.get(row.verdict, "#777")
    cl = row.ci_low if math.isfinite(row.ci_low) else left
    ch = row.ci_high if math.isfinite(row.ci_high) else right
    if not (math.isnan(cl) or math.isnan(ch)):
        ax.hlines(0, cl, ch, color=colour, lw=2)
    if math.isfinite(row.estimate):
        ax.plot([row.estimate], [0], "o", color=colour, ms=5)
    ax.set_ylim(-1, 1)
