"""Plots of outcome statistics: dose-response curves, sessions to a band, final improvement.

Each function takes a result of :mod:`outcomes.stats` (:class:`~outcomes.stats.by_condition.
ByCondition` or :class:`~outcomes.stats.dose_response.DoseResponse`), an optional ``ax``, and
returns the axes; none calls ``plt.show()``. Intervals are drawn as bands or error bars; a
condition keeps its colour (Okabe-Ito) and marker in every figure.
"""

from __future__ import annotations

import math

import numpy as np

from .._docs import FRAGMENTS, shared_doc
from ..bundle.schema import vocabulary
from ..errors import AnalysisError
from ..stats.result import Col
from .style import PALETTE, axes

__all__ = ["plot_dose_response", "plot_sessions_to_band", "plot_by_condition",
           "condition_style"]

_MEASURE = "measure"
_ALL = "all"
_COLOURS = ["blue", "orange", "green", "vermillion", "purple", "sky", "yellow"]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h"]
_IMPROVEMENT_UNITS = "share of possible improvement"


def condition_style(condition: str) -> dict:
    """Colour, marker and label of a condition (stable across figures; ``all`` is black)."""
    if condition == _ALL:
        return {"color": PALETTE["black"], "marker": "o", "label": "all conditions"}
    names = vocabulary("condition")
    i = names.index(condition) if condition in names else len(names)
    return {"color": PALETTE[_COLOURS[i % len(_COLOURS)]], "marker": _MARKERS[i % len(_MARKERS)],
            "label": condition.replace("_", " ")}


def _pick_conditions(available: list[str], conditions) -> list[str]:
    if conditions is None:
        specific = [c for c in available if c != _ALL]
        return specific if specific else available
    wanted = [conditions] if isinstance(conditions, str) else list(conditions)
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise AnalysisError(f"conditions: {unknown} are not in the result; it has {available}.")
    return wanted


def _band_lines(ax, bands: dict, orientation: str = "horizontal") -> None:
    """Dotted lines at the band thresholds, labelled at the edge of the axes."""
    for name, value in bands.items():
        if orientation == "horizontal":
            ax.axhline(value, color="#777777", lw=0.8, ls=":", zorder=1)
            ax.annotate(f"{name} {value:g}", (1.0, value), xycoords=("axes fraction", "data"),
                        xytext=(-2, 1), textcoords="offset points", ha="right", va="bottom",
                        fontsize=7, color="#555555", annotation_clip=False)
        else:
            ax.axvline(value, color="#777777", lw=0.8, ls=":", zorder=1)
            ax.annotate(f"{name}\n{value:g}", (value, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                        fontsize=7, color="#555555", annotation_clip=False)


def _legend(ax, n: int, inside: str = "best") -> None:
    """A legend inside the axes for a few curves, beside them (right) for many."""
    if not ax.get_legend_handles_labels()[0]:
        return
    if n <= 4:
        ax.legend(fontsize=7, frameon=False, loc=inside)
    else:
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _finite_or(values: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, fallback)


# --------------------------------------------------------------------------- dose response
@shared_doc(**FRAGMENTS)
def plot_dose_response(result, ax=None, *, measure: str = "improvement", conditions=None,
                       min_n: int = 5, bands: bool = True):
    """Mean improvement (or gain) after session k per condition, with 95% interval bands.

    Parameters
    ----------
    result : DoseResponse
        From :func:`outcomes.dose_response`.
    {ax}
    measure : {"improvement", "gain"}
        Mean improvement after session k, or the mean gain of session k over session k - 1.
    conditions : str or list of str, optional
        Conditions to draw (default: every condition of the result, without ``all`` when there
        are several).
    min_n : int, default 5
        Sessions k with fewer courses are not drawn (their intervals are too wide to read; the
        table keeps them).
    bands : bool, default True
        Draw the improvement band thresholds (``measure="improvement"``) or the zero line
        (``measure="gain"``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from outcomes import build_courses, dose_response, load_sample
    >>> from outcomes.plots.outcomes import plot_dose_response
    >>> courses = build_courses(load_sample())
    >>> ax = plot_dose_response(dose_response(courses), measure="gain")
    >>> ax.get_title()
    'Gain by session, mean and 95% interval'
    """
    if measure not in ("improvement", "gain"):
        raise AnalysisError(f"measure must be 'improvement' or 'gain'; got {measure!r}.")
    t = result.table[result.table[_MEASURE] == measure]
    chosen = _pick_conditions(list(dict.fromkeys(t[Col.CONDITION])), conditions)
    ax = axes(ax, figsize=(6.4 + (1.4 if len(chosen) > 4 else 0.0), 4.0))
    k_max = 1
    for name in chosen:
        c = t[(t[Col.CONDITION] == name) & (t[Col.N] >= min_n)]
        if c.empty:
            continue
        st = condition_style(name)
        k = c[Col.AFTER_SESSION].to_numpy(dtype=float)
        est = c[Col.ESTIMATE].to_numpy(dtype=float)
        lo = _finite_or(c[Col.CI_LOW].to_numpy(dtype=float), est)
        hi = _finite_or(c[Col.CI_HIGH].to_numpy(dtype=float), est)
        ax.fill_between(k, lo, hi, color=st["color"], alpha=0.18, lw=0)
        ax.plot(k, est, color=st["color"], marker=st["marker"], ms=4, lw=1.5,
                label=st["label"])
        k_max = max(k_max, int(k.max()))
    ax.set_xticks(range(1, k_max + 1))
    ax.set_xlim(0.5, k_max + 0.5)
    ax.set_xlabel("session k (number of sessions completed)")
    if measure == "improvement":
        ax.set_ylabel(f"mean improvement after session k\n({_IMPROVEMENT_UNITS})")
        if bands:
            _band_lines(ax, getattr(result, "bands", {}) or {})
        view = ""
    else:
        ax.set_ylabel("mean gain of session k over k - 1\n"
                      f"({_IMPROVEMENT_UNITS})")
        if bands:
            ax.axhline(0.0, color="#777777", lw=0.8)
        view = ""
    if getattr(result, "min_sessions", None):
        view = f" (courses with at least {result.min_sessions} sessions)"
    ax.set_title(("Improvement" if measure == "improvement" else "Gain") +
                 f" by session, mean and 95% interval{view}", fontsize=10)
    _legend(ax, len(chosen))
    return ax


# --------------------------------------------------------------------------- sessions to band
@shared_doc(**FRAGMENTS)
def plot_sessions_to_band(result, ax=None, *, conditions=None, at_risk: bool = True,
                          ci: bool = True):
    """Kaplan-Meier share of courses that reached the band by session k, numbers at risk below.

    Parameters
    ----------
    result : DoseResponse
        From :func:`outcomes.dose_response` (the band is ``result.band``, major by default).
    {ax}
    conditions : str or list of str, optional
        Conditions to draw (default: every condition, without ``all`` when there are several).
    at_risk : bool, default True
        Print the number of courses at risk at each session under the axis, one line per
        condition.
    ci : bool, default True
        Draw the pointwise 95% interval as a band.

    Returns
    -------
    matplotlib Axes
        The step curve ``1 - S(k)`` starts at 0 before session 1; the dotted line at 0.5 reads
        the median number of sessions.

    Examples
    --------
    >>> from outcomes import build_courses, dose_response, load_sample
    >>> courses = build_courses(load_sample())
    >>> result = dose_response(courses, condition="acne_scars")
    >>> ax = plot_sessions_to_band(result)
    >>> ax.get_title()
    'Sessions to a major improvement, Kaplan-Meier with 95% interval'
    """
    measure = result.reached_measure
    t = result.table[result.table[_MEASURE] == measure]
    chosen = _pick_conditions(list(dict.fromkeys(t[Col.CONDITION])), conditions)
    rows = len(chosen) + 1 if at_risk else 0
    ax = axes(ax, figsize=(6.4 + (1.4 if len(chosen) > 4 else 0.0), 4.0 + 0.14 * rows))
    k_max = 1
    drawn = []
    for name in chosen:
        c = t[(t[Col.CONDITION] == name) & t[Col.ESTIMATE].notna()]
        if c.empty:
            continue
        st = condition_style(name)
        # the step function from 0 before session 1, its last value held for half a session
        ks = c[Col.AFTER_SESSION].to_numpy(dtype=float)
        k = np.r_[0.0, ks, ks[-1] + 0.5]
        e = c[Col.ESTIMATE].to_numpy(dtype=float)
        est = np.r_[0.0, e, e[-1]]
        lo = np.r_[0.0, _finite_or(c[Col.CI_LOW].to_numpy(dtype=float), e)]
        hi = np.r_[0.0, _finite_or(c[Col.CI_HIGH].to_numpy(dtype=float), e)]
        lo, hi = np.r_[lo, lo[-1]], np.r_[hi, hi[-1]]
        ax.step(k, est, where="post", color=st["color"], lw=1.8, label=st["label"])
        if ci:
            ax.fill_between(k, lo, hi, step="post", color=st["color"], alpha=0.18, lw=0)
        k_max = max(k_max, int(ks.max()))
        drawn.append((name, st, c))
    ax.axhline(0.5, color="#777777", lw=0.8, ls=":")
    ax.set_xlim(0, k_max + 0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(range(0, k_max + 1))
    ax.set_ylabel(f"share of courses with a {result.band}\nimprovement (>= "
                  f"{result.threshold:g}) by session k")
    ax.set_xlabel("session k (number of sessions completed)")
    view = (f" (courses with at least {result.min_sessions} sessions)"
            if getattr(result, "min_sessions", None) else "")
    ax.set_title(f"Sessions to a {result.band} improvement, Kaplan-Meier with 95% "
                 f"interval{view}", fontsize=10)
    _legend(ax, len(drawn), inside="upper left")
    if at_risk and drawn:
        _at_risk_rows(ax, drawn, k_max)
    return ax


def _at_risk_rows(ax, drawn, k_max) -> None:
    """Numbers at risk under the x axis (x in data units, y in points below the axis)."""
    trans = ax.get_xaxis_transform()
    step = 9  # points between lines
    first = -34  # below the tick labels and the axis label
    ax.annotate("at risk", (0, 0), xycoords=trans, xytext=(-6, first), textcoords="offset points",
                ha="right", va="top", fontsize=7, fontweight="bold", annotation_clip=False)
    for row, (_name, st, c) in enumerate(drawn):
        y = first - step * (row + 1)
        ax.annotate(st["label"], (0, 0), xycoords=trans, xytext=(-6, y),
                    textcoords="offset points", ha="right", va="top", fontsize=7,
                    color=st["color"], annotation_clip=False)
        for k, n in zip(c[Col.AFTER_SESSION].to_numpy(dtype=int), c[Col.N].to_numpy(),
                        strict=True):
            if 1 <= k <= k_max:
                ax.annotate(f"{int(n)}", (k, 0), xycoords=trans, xytext=(0, y),
                            textcoords="offset points", ha="center", va="top", fontsize=7,
                            color=st["color"], annotation_clip=False)


# --------------------------------------------------------------------------- by condition
@shared_doc(**FRAGMENTS)
def plot_by_condition(result, ax=None, *, measure: str = "final_improvement_mean",
                      bands: bool = True):
    """Final improvement per condition: dot and 95% interval, band thresholds drawn.

    Parameters
    ----------
    result : ByCondition
        From :func:`outcomes.outcomes_by_condition`.
    {ax}
    measure : str, default "final_improvement_mean"
        A measure of ``result.table`` (``final_improvement_median``, ``reached_major``, ...).
    bands : bool, default True
        Draw the band thresholds as dotted vertical lines (improvement measures only).

    Returns
    -------
    matplotlib Axes
        One row per condition (``all`` at the bottom, in black), its number of courses in
        the label.

    Examples
    --------
    >>> from outcomes import build_courses, load_sample, outcomes_by_condition
    >>> result = outcomes_by_condition(build_courses(load_sample()))
    >>> ax = plot_by_condition(result)
    >>> [label.get_text() for label in ax.get_yticklabels()][:2]
    ['all conditions (n = 336)', 'texture (n = 14)']
    >>> ax = plot_by_condition(result, measure="reached_major")
    >>> ax.get_xlabel()
    'share of courses whose final improvement reached major'
    """
    t = result.table[result.table[_MEASURE] == measure]
    if t.empty:
        measures = list(dict.fromkeys(result.table[_MEASURE]))
        raise AnalysisError(f"measure {measure!r} is not in the result; measures are {measures}.")
    names = list(dict.fromkeys(t[Col.CONDITION]))
    ax = axes(ax, figsize=(7.2, 0.4 * len(names) + 1.6))
    t = t.set_index(Col.CONDITION)
    for i, name in enumerate(names):
        y = len(names) - 1 - i
        row = t.loc[name]
        st = condition_style(name)
        est, lo, hi = float(row[Col.ESTIMATE]), float(row[Col.CI_LOW]), float(row[Col.CI_HIGH])
        if math.isnan(est):
            continue
        lo_d = lo if math.isfinite(lo) else est
        hi_d = hi if math.isfinite(hi) else est
        ax.errorbar([est], [y], xerr=[[est - lo_d], [hi_d - est]], fmt=st["marker"],
                    color=st["color"], ms=6 if name == _ALL else 5, capsize=3, lw=1.4)
    if _ALL in names and len(names) > 1:
        ax.axhline(0.5, color="#bbbbbb", lw=0.6)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels([f"{condition_style(n)['label']} (n = {int(t.loc[n, Col.N])})"
                        for n in reversed(names)])
    ax.set_ylim(-0.6, len(names) - 0.4)
    improvement = "improvement" in measure
    if improvement:
        what = "median" if measure.endswith("median") else "mean"
        ax.set_xlabel(f"{what} final improvement ({_IMPROVEMENT_UNITS})")
        if bands:
            _band_lines(ax, getattr(result, "bands", {}) or {}, orientation="vertical")
        ax.axvline(0.0, color="#777777", lw=0.8)
    elif measure.startswith("reached_"):
        band = measure.removeprefix("reached_")
        ax.set_xlabel(f"share of courses whose final improvement reached {band}")
        ax.set_xlim(-0.02, 1.02)
    else:
        ax.set_xlabel(measure.replace("_", " "))
    ax.set_title(f"{measure.replace('_', ' ').capitalize()} by condition, 95% interval",
                 fontsize=10, pad=22 if improvement and bands else 6)
    return ax
