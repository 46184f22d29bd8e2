"""Plot of claim verdicts: each estimate with its interval beside the claimed range.

Claims are grouped by the kind of quantity they are about (:func:`outcomes.output.labels.
estimand_kind`), one panel per kind on a common, labelled scale: shares from 0 to 100%, numbers
of sessions, differences in points (of 100), ratios on a log scale, and each other measure on
its own (pain scores, minutes). The verdict is carried by the marker's shape and by text as well
as by colour.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..output.labels import VERDICT_MARKS, column_label, estimand_kind, label
from .claimed import CLAIM_ALPHA, CLAIM_COLOUR, catalogue_of
from .style import TICK_PT, VERDICT_COLOURS, readable

__all__ = ["claims_forest", "VERDICT_SHAPES"]

#: Marker of each verdict, so that a verdict is not told by colour alone.
VERDICT_SHAPES = {"supported": "o", "contradicted": "X", "inconclusive": "D",
                  "not_testable": "s"}

#: Axis label of each kind of quantity.
_AXIS = {
    "share": "share (0–100%)",
    "sessions": "number of sessions",
    "points": "difference (points out of 100)",
    "ratio": "ratio (log scale; 1 = no difference)",
    "hours": "hours",
    "days": "days",
    "minutes": "minutes",
}
_ORDER = ("share", "sessions", "hours", "days", "points", "ratio", "minutes", "score", "number",
          "count")


def _finite(x) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def _kind_of(claim_id: str, catalogue) -> tuple[str, str]:
    """(kind, axis label) of a claim: its estimand's kind, and for a plain number the measured
    column (a pain score and minutes are not on one scale)."""
    claim = None
    if catalogue is not None:
        try:
            claim = catalogue.claim(claim_id)
        except Exception:  # noqa: BLE001 - a claim of another catalogue: drawn on its own
            claim = None
    if claim is None:
        return "number", "value"
    kind = estimand_kind(claim.estimand)
    if kind == "number":
        column = claim.parameters.get("column") if hasattr(claim.parameters, "get") else None
        if column:
            words = column_label(str(column))
            return f"number:{column}", words[:1].lower() + words[1:]
    return kind, _AXIS.get(kind, kind)


def _row_label(row, catalogue, width: int = 42) -> str:
    statement = getattr(row, "statement", "") or ""
    if not statement and catalogue is not None and row.id in catalogue:
        statement = catalogue.claim(row.id).statement
    return textwrap.fill(str(statement or row.id).rstrip("."), width)


def claims_forest(table, ax=None, ids=None, *, catalogue=True):
    """One panel per kind of quantity, one row per claim: estimate, 95% interval, claimed range.

    Parameters
    ----------
    table : DataFrame
        :attr:`outcomes.ClaimsResult.table` (or a released claims table with withheld
        estimates missing: those claims get no marker and no interval).
    ax : matplotlib Axes, optional
        Only used to find the figure to draw on: when given, its figure is cleared and reused.
    ids : list of str, optional
        Claims to show (default: all).
    catalogue : bool or Catalogue, default True
        Where each claim's estimand (its kind of quantity) is read; True: the built-in
        catalogue.

    Returns
    -------
    ndarray of Axes
        One axes per kind of quantity, top to bottom.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"id": ["minimal-pain", "redness-24-48h"], "verdict": ["supported",
    ...     "inconclusive"], "estimate": [2.5, 0.91], "ci_low": [2.4, 0.89],
    ...     "ci_high": [2.7, 0.93], "rule": ["at_most", "at_least"], "threshold": [3.0, 0.9],
    ...     "low": [float("nan")] * 2, "high": [float("nan")] * 2})
    >>> [a.get_xlabel() for a in claims_forest(t)]
    ['share (0–100%)', 'pain during the session (0–10)']
    """
    cat = catalogue_of(catalogue)
    t = table if ids is None else table[table["id"].isin(ids)]
    groups: dict[str, list] = {}
    axis_label: dict[str, str] = {}
    for row in t.itertuples():
        kind, words = _kind_of(row.id, cat)
        groups.setdefault(kind, []).append(row)
        axis_label[kind] = words
    kinds = sorted(groups, key=lambda k: (_ORDER.index(k.split(":")[0])
                                         if k.split(":")[0] in _ORDER else len(_ORDER), k))
    heights = [len(groups[k]) + 1.2 for k in kinds] or [1]
    if ax is None:
        fig = plt.figure(figsize=(8.0, 0.5 * sum(heights) + 1.2), layout="constrained")
    else:
        fig = ax.figure
        fig.clf()
    axs = np.atleast_1d(fig.subplots(max(len(kinds), 1), 1, squeeze=False,
                                     gridspec_kw={"height_ratios": heights})[:, 0])
    for a, kind in zip(axs, kinds, strict=False):
        _panel(a, kind, groups[kind], axis_label[kind], cat)
    if not kinds:
        axs[0].text(0.5, 0.5, "no claim to show", ha="center", va="center",
                    transform=axs[0].transAxes)
        axs[0].set_axis_off()
        return axs
    verdicts = [v for v in VERDICT_SHAPES if v in set(t["verdict"])]
    handles = [Patch(color=CLAIM_COLOUR, alpha=CLAIM_ALPHA * 2, label="what the claim says")]
    handles += [Line2D([], [], ls="none", marker=VERDICT_SHAPES[v], color=VERDICT_COLOURS[v],
                       label=f"{VERDICT_MARKS[v]} {label(v, 'verdict')}") for v in verdicts]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
               fontsize=TICK_PT, frameon=False)
    fig.suptitle("Claims: estimate and 95% interval against what the claim says",
                 fontsize=TICK_PT + 2)
    return axs


def _limits(kind: str, values: list[float]) -> tuple[float, float]:
    if kind == "share":
        return 0.0, 1.0
    if kind == "ratio":
        pos = [v for v in values if v > 0]
        lo, hi = (min(pos + [1.0]), max(pos + [1.0])) if pos else (0.5, 2.0)
        return lo / 1.5, hi * 1.5
    lo, hi = min(values), max(values)
    if kind in ("sessions", "minutes", "number") or kind.startswith("number:"):
        lo = min(lo, 0.0)
    span = (hi - lo) or 1.0
    return lo - 0.08 * span, hi + 0.08 * span


def _panel(ax, kind: str, rows: list, words: str, cat) -> None:
    values = [x for r in rows for x in (r.estimate, r.ci_low, r.ci_high, r.threshold, r.low,
                                        r.high) if _finite(x)]
    if kind == "ratio":
        ax.set_xscale("log")
    left, right = _limits(kind.split(":")[0], values or [0.0, 1.0])
    n = len(rows)
    for i, r in enumerate(rows):
        y = n - 1 - i
        rule = getattr(r.rule, "value", r.rule)
        if rule == "range" and _finite(r.low) and _finite(r.high):
            lo, hi = r.low, r.high
        elif rule == "at_least" and _finite(r.threshold):
            lo, hi = r.threshold, right
        elif rule == "at_most" and _finite(r.threshold):
            lo, hi = left, r.threshold
        else:
            lo = hi = None
        if lo is not None:
            ax.fill_betweenx([y - 0.42, y + 0.42], lo, hi, color=CLAIM_COLOUR,
                             alpha=CLAIM_ALPHA, lw=0, zorder=0)
            for edge in {lo, hi} - {left, right}:
                ax.plot([edge, edge], [y - 0.42, y + 0.42], color=CLAIM_COLOUR, lw=1.2,
                        ls="--", zorder=1)
        colour = VERDICT_COLOURS.get(r.verdict, "#777777")
        if _finite(r.estimate):
            cl = r.ci_low if _finite(r.ci_low) else r.estimate
            ch = r.ci_high if _finite(r.ci_high) else right
            ax.plot([max(cl, left), min(ch, right)], [y, y], color=colour, lw=2.2, zorder=3)
            ax.plot([r.estimate], [y], ls="none", marker=VERDICT_SHAPES.get(r.verdict, "o"),
                    color=colour, ms=8 if r.verdict == "contradicted" else 7, zorder=4,
                    markeredgecolor=colour if r.verdict == "contradicted" else "#000000",
                    markeredgewidth=0.6)
    ax.set_xlim(left, right)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks(range(n), [_row_label(r, cat) for r in reversed(rows)])
    right_axis = ax.secondary_yaxis("right")
    right_axis.set_yticks(range(n), [
        f"{VERDICT_MARKS.get(r.verdict, '')} {label(r.verdict, 'verdict')}"
        for r in reversed(rows)])
    right_axis.tick_params(labelsize=TICK_PT, length=0)
    for tick, r in zip(right_axis.get_yticklabels(), reversed(rows), strict=True):
        tick.set_color("#000000" if r.verdict != "not_testable" else "#555555")
    if kind == "share":
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif kind == "points":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:g}"))
        ax.axvline(0.0, color="#777777", lw=0.8, zorder=1)
    elif kind == "ratio":
        ax.axvline(1.0, color="#777777", lw=0.8, zorder=1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_xlabel(words)
    ax.grid(axis="x", color="#e5e5e5", lw=0.6, zorder=-1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    readable(ax)
