"""Plots of outcome statistics: dose-response curves, sessions to a band, final improvement.

Each function takes a result of :mod:`outcomes.stats` (:class:`~outcomes.stats.by_condition.
ByCondition` or :class:`~outcomes.stats.dose_response.DoseResponse`), an optional ``ax``, and
returns the axes; none calls ``plt.show()``. Several conditions are drawn as small multiples (one
panel per condition, shared axes, at most four columns) rather than as overlapping ribbons; a
condition keeps its colour and marker in every figure and no two series of a figure share one.
A value the table withholds (a missing estimate) is not drawn: its step or point is left out,
and the curve broken there. Where a claim of the catalogue is tested, its range is drawn,
translucent and behind the estimates.
"""

from __future__ import annotations

import math

import numpy as np

from .._docs import FRAGMENTS, shared_doc
from ..bundle.schema import vocabulary
from ..errors import AnalysisError
from ..output.labels import SERIES_COLOURS, column_label, format_count, label, series_style
from ..stats.result import Col
from .claimed import CLAIM_ALPHA, CLAIM_COLOUR, claim_name, claims_testing, shade
from .style import PALETTE, TEXT_PT, TICK_PT, axes, readable, runs
from .style import panels as _grid

__all__ = ["plot_dose_response", "plot_sessions_to_band", "plot_by_condition",
           "condition_style"]

_MEASURE = "measure"
_ALL = "all"
_IMPROVEMENT_UNITS = "share of the possible improvement"


def condition_style(condition: str) -> dict:
    """Colour, marker and label of a condition (stable across figures; ``all`` is black).

    A condition of the vocabulary keeps the series colour of its place there, so the ten
    conditions never share a colour; a user's own condition gets one after them.

    Examples
    --------
    >>> condition_style("acne_scars")["label"], condition_style("all")["label"]
    ('Acne scars', 'All conditions')
    >>> len({condition_style(c)["color"] for c in vocabulary("condition")})
    10
    """
    if condition == _ALL:
        return {"color": PALETTE["black"], "marker": "o", "label": label(_ALL, "condition")}
    names = vocabulary("condition")
    i = names.index(condition) if condition in names else len(names)
    return {**series_style(i), "label": label(condition, "condition")}


def _styles(names) -> dict:
    """The style of each of a figure's conditions: :func:`condition_style`, with a colour of its
    own for each condition outside the vocabulary (none repeats within the figure)."""
    out, used = {}, set()
    for name in names:
        st = condition_style(name)
        if st["color"] in used:
            free = [i for i, c in enumerate(SERIES_COLOURS) if c not in used]
            st = {**st, **series_style(free[0] if free else len(used))}
        used.add(st["color"])
        out[name] = st
    return out


def _pick_conditions(available: list[str], conditions) -> list[str]:
    if conditions is None:
        specific = [c for c in available if c != _ALL]
        return specific if specific else available
    wanted = [conditions] if isinstance(conditions, str) else list(conditions)
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise AnalysisError(f"conditions: {unknown} are not in the result; it has {available}.")
    return wanted


def _band_lines(ax, bands: dict, orientation: str = "horizontal", text: bool = True) -> None:
    """Dotted lines at the band thresholds, labelled at the edge of the axes."""
    for name, value in bands.items():
        words = f"{name} {value:g}"
        if orientation == "horizontal":
            ax.axhline(value, color="#777777", lw=0.8, ls=":", zorder=1)
            if text:
                ax.annotate(words, (1.0, value), xycoords=("axes fraction", "data"),
                            xytext=(-2, 1), textcoords="offset points", ha="right",
                            va="bottom", fontsize=TEXT_PT, color="#555555",
                            annotation_clip=False)
        else:
            ax.axvline(value, color="#777777", lw=0.8, ls=":", zorder=1)
            if text:
                ax.annotate(f"{name}\n{value:g}", (value, 1.0),
                            xycoords=("data", "axes fraction"), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom",
                            fontsize=TEXT_PT, color="#555555", annotation_clip=False)


def _single(ax, n: int, extra_height: float = 0.0):
    """The axes of a plot drawing its ``n`` curves together (wider beside a legend of many)."""
    return axes(ax, figsize=(6.4 + (1.4 if n > 4 else 0.0), 4.0 + extra_height))


def _finish_single(ax, xlabel: str, ylabel: str, title: str, n: int, inside: str = "best"):
    """Labels, title and legend of a plot drawing its ``n`` curves together; returns ``ax``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=TICK_PT)
    readable(ax)
    _legend(ax, n, inside=inside)
    return ax


def _legend(ax, n: int, inside: str = "best") -> None:
    """A legend inside the axes for a few curves, beside them (right) for many; the claims'
    long entries under the figure."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    curves = [(h, lab) for h, lab in zip(handles, labels, strict=True)
              if not lab.startswith("Claim")]
    claimed = [(h, lab) for h, lab in zip(handles, labels, strict=True)
               if lab.startswith("Claim")]
    if curves:
        kw = ({"loc": inside} if n <= 4 else
              {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)})
        ax.legend(*zip(*curves, strict=True), fontsize=TICK_PT, frameon=False, **kw)
    if claimed:
        ax.figure.legend(*zip(*claimed, strict=True), loc="outside lower center",
                         fontsize=TICK_PT, frameon=False, ncols=1)


def _figure_legend(fig, axs) -> None:
    """One legend under the panels with every distinct entry of the panels."""
    seen = {}
    for a in axs:
        for h, lab in zip(*a.get_legend_handles_labels(), strict=True):
            seen.setdefault(lab, h)
    if seen:
        fig.legend(list(seen.values()), list(seen.keys()), loc="outside lower center",
                   fontsize=TICK_PT, frameon=False, ncols=1)


def _finite_or(values: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, fallback)


def _use_panels(panels_arg, ax, n: int) -> bool:
    return (ax is None and n > 1) if panels_arg is None else bool(panels_arg)


def _label_panels(fig, axs, xlabel: str, ylabel: str, title: str, columns: int = 4) -> None:
    """Words on a grid of panels: tick labels on every panel, the x label under each column's
    lowest panel, one y label and the title."""
    cols = max(1, min(columns, len(axs)))
    for i, a in enumerate(axs):
        readable(a)
        a.tick_params(labelbottom=True, labelleft=True)
        if i + cols >= len(axs):
            a.set_xlabel(xlabel, fontsize=TICK_PT)
    fig.supylabel(ylabel, fontsize=TICK_PT + 1)
    fig.suptitle(title, fontsize=TICK_PT + 2)


def _rows(t, name: str, key: str, min_n: int = 0):
    """The rows of condition ``name`` in order of ``key``; estimates of rows resting on fewer
    than ``min_n`` units set missing (not drawn)."""
    c = t[t[Col.CONDITION] == name].sort_values(key)
    k = c[key].to_numpy(dtype=float)
    est = c[Col.ESTIMATE].to_numpy(dtype=float)
    n = c[Col.N].to_numpy(dtype=float)
    keep = np.isfinite(est) & ~(np.nan_to_num(n) < min_n)
    est = np.where(keep, est, np.nan)
    lo = np.where(keep, _finite_or(c[Col.CI_LOW].to_numpy(dtype=float), est), np.nan)
    hi = np.where(keep, _finite_or(c[Col.CI_HIGH].to_numpy(dtype=float), est), np.nan)
    return c, k, est, lo, hi


# --------------------------------------------------------------------------- dose response
def _draw_dose(ax, k, est, lo, hi, st, label_text) -> None:
    for run in runs(np.isfinite(est)):
        ax.fill_between(k[run], lo[run], hi[run], color=st["color"], alpha=0.2, lw=0,
                        zorder=2)
    if np.isfinite(est).any():
        ax.plot(k, est, color=st["color"], marker=st["marker"], ms=4, lw=1.5, zorder=3,
                label=label_text)


@shared_doc(**FRAGMENTS)
def plot_dose_response(result, ax=None, *, measure: str = "improvement", conditions=None,
                       min_n: int = 5, bands: bool = True, panels: bool | None = None,
                       columns: int = 4):
    """Mean improvement (or gain) after session k per condition, with 95% interval bands.

    Parameters
    ----------
    result : DoseResponse
        From :func:`outcomes.dose_response`.
    {ax}
    measure : {{"improvement", "gain"}}
        Mean improvement after session k, or the mean gain of session k over session k - 1.
    conditions : str or list of str, optional
        Conditions to draw (default: every condition of the result, without ``all`` when there
        are several).
    min_n : int, default 5
        Sessions k with fewer courses are not drawn (their intervals are too wide to read; the
        table keeps them); nor is a session whose estimate the table withholds.
    bands : bool, default True
        Draw the improvement band thresholds (``measure="improvement"``) or the zero line
        (``measure="gain"``).
    panels : bool, optional
        One panel per condition (shared axes, at most ``columns`` wide). Default: panels when
        ``ax`` is None and there are several conditions; all curves on ``ax`` otherwise.
    columns : int, default 4

    Returns
    -------
    matplotlib Axes
        The axes drawn on (with panels, the first panel; ``ax.figure`` holds them all).

    Examples
    --------
    >>> from outcomes import build_courses, dose_response, load_sample
    >>> from outcomes.plots.outcomes import plot_dose_response
    >>> courses = build_courses(load_sample())
    >>> ax = plot_dose_response(dose_response(courses), measure="gain")
    >>> ax.figure.get_suptitle()
    'Gain by session, mean and 95% interval'
    >>> len(ax.figure.axes) == len(set(dose_response(courses).table["condition"])) - 1
    True
    """
    if measure not in ("improvement", "gain"):
        raise AnalysisError(f"measure must be 'improvement' or 'gain'; got {measure!r}.")
    t = result.table[result.table[_MEASURE] == measure]
    chosen = _pick_conditions(list(dict.fromkeys(t[Col.CONDITION])), conditions)
    styles = _styles(chosen)
    if measure == "improvement":
        ylabel = f"mean improvement after session k\n({_IMPROVEMENT_UNITS})"
    else:
        ylabel = f"mean gain of session k over k − 1\n({_IMPROVEMENT_UNITS})"
    view = (f" (courses with at least {result.min_sessions} sessions)"
            if getattr(result, "min_sessions", None) else "")
    title = (("Improvement" if measure == "improvement" else "Gain")
             + f" by session, mean and 95% interval{view}")
    xlabel = "session k (number of sessions completed)"
    use_panels = _use_panels(panels, ax, len(chosen))
    if use_panels:
        xlabel = "session k"
        fig, axs = _grid(len(chosen), ax, columns=columns, size=(1.8, 1.7))
    else:
        axs = [_single(ax, len(chosen))] * max(1, len(chosen))
    k_max = 1
    for a, name in zip(axs, chosen, strict=False):
        _c, k, est, lo, hi = _rows(t, name, Col.AFTER_SESSION, min_n)
        _draw_dose(a, k, est, lo, hi, styles[name], styles[name]["label"])
        if np.isfinite(est).any():
            k_max = max(k_max, int(k[np.isfinite(est)].max()))
    for i, a in enumerate(dict.fromkeys(axs)):
        a.set_xticks(range(1, k_max + 1))
        a.set_xlim(0.5, k_max + 0.5)
        if bands and measure == "improvement":
            _band_lines(a, getattr(result, "bands", {}) or {}, text=not use_panels or i == 0)
        elif bands:
            a.axhline(0.0, color="#777777", lw=0.8, zorder=1)
        if use_panels:
            a.set_title(styles[chosen[i]]["label"], fontsize=TICK_PT)
    if use_panels:
        _label_panels(fig, axs, xlabel, ylabel, title, columns)
        return axs[0]
    return _finish_single(axs[0], xlabel, ylabel, title, len(chosen))


# --------------------------------------------------------------------------- sessions to band
def _step_path(k: np.ndarray, y: np.ndarray):
    """Vertices of a step curve from 0 before session 1 through ``y`` at sessions ``k`` (each
    held to the next session, the last for half a session), broken where ``y`` is missing."""
    if not len(k):
        return np.array([0.0]), np.array([0.0])
    xs, ys = [0.0, float(k[0])], [0.0, 0.0]
    for i, (ki, yi) in enumerate(zip(k, y, strict=True)):
        if np.isfinite(yi):
            nxt = k[i + 1] if i + 1 < len(k) else ki + 0.5
            xs += [ki, nxt]
            ys += [yi, yi]
        else:
            xs.append(np.nan)
            ys.append(np.nan)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def _draw_steps(ax, k, est, lo, hi, st, label_text, ci: bool) -> None:
    x, y = _step_path(k, est)
    ax.plot(x, y, color=st["color"], lw=1.8, zorder=3, label=label_text)
    if not ci:
        return
    for run in runs(np.isfinite(est)):
        kk = k[run]
        end = k[run.stop] if run.stop < len(k) else kk[-1] + 0.5
        xs = np.r_[kk, end]
        ax.fill_between(xs, np.r_[lo[run], lo[run][-1]], np.r_[hi[run], hi[run][-1]],
                        step="post", color=st["color"], alpha=0.2, lw=0, zorder=2)


def _claimed_sessions(ax, result, name: str, claims) -> None:
    for claim in claims_testing(claims, "km_median_sessions_to_band", condition=name,
                                band=result.band):
        lo, hi = (claim.low, claim.high) if claim.low is not None else (None, None)
        shade(ax, claim, label=claim_name(claim, 45) + (
            f" (median {lo:g}–{hi:g} sessions)" if lo is not None else ""))


@shared_doc(**FRAGMENTS)
def plot_sessions_to_band(result, ax=None, *, conditions=None, at_risk: bool = True,
                          ci: bool = True, panels: bool | None = None, columns: int = 4,
                          claims=True):
    """Kaplan-Meier share of courses that reached the band by session k, numbers at risk below.

    Parameters
    ----------
    result : DoseResponse
        From :func:`outcomes.dose_response` (the band is ``result.band``, major by default).
    {ax}
    conditions : str or list of str, optional
        Conditions to draw (default: every condition, without ``all`` when there are several).
    at_risk : bool, default True
        Print the number of courses at risk at each session under the axis.
    ci : bool, default True
        Draw the pointwise 95% interval as a band.
    panels : bool, optional
        One panel per condition (shared axes, at most ``columns`` wide). Default: panels when
        ``ax`` is None and there are several conditions.
    columns : int, default 4
    claims : bool or Catalogue, default True
        Shade the number of sessions a claim of the catalogue (True: the built-in one) gives
        for the median number of sessions to the band, on the panel of its condition.

    Returns
    -------
    matplotlib Axes
        The step curve ``1 - S(k)`` starts at 0 before session 1; the dotted line at 0.5 reads
        the median number of sessions. A session whose share the table withholds leaves a gap.

    Examples
    --------
    >>> from outcomes import build_courses, dose_response, load_sample
    >>> courses = build_courses(load_sample())
    >>> result = dose_response(courses, condition="acne_scars")
    >>> ax = plot_sessions_to_band(result)
    >>> ax.get_title()
    'Sessions to a major improvement, Kaplan-Meier with 95% interval'
    >>> [p.get_label()[:32] for p in ax.patches]
    ['Claim: Acne scars need 4 to 6 se']
    """
    measure = result.reached_measure
    t = result.table[result.table[_MEASURE] == measure]
    chosen = _pick_conditions(list(dict.fromkeys(t[Col.CONDITION])), conditions)
    styles = _styles(chosen)
    use_panels = _use_panels(panels, ax, len(chosen))
    ylabel = (f"share of courses with a {result.band}\n"
              f"improvement (≥ {result.threshold:g}) by session k")
    xlabel = "session k (number of sessions completed)"
    view = (f" (courses with at least {result.min_sessions} sessions)"
            if getattr(result, "min_sessions", None) else "")
    title = f"Sessions to a {result.band} improvement, Kaplan-Meier with 95% interval{view}"
    if use_panels:
        xlabel = "session k"
        fig, axs = _grid(len(chosen), ax, columns=columns, size=(1.8, 1.7))
    else:
        rows = len(chosen) + 1 if at_risk else 0
        axs = [_single(ax, len(chosen), 0.14 * rows)] * max(1, len(chosen))
    k_max = 1
    drawn = []
    for a, name in zip(axs, chosen, strict=False):
        c, k, est, lo, hi = _rows(t, name, Col.AFTER_SESSION)
        if not np.isfinite(est).any():
            continue
        _draw_steps(a, k, est, lo, hi, styles[name],
                    "Kaplan–Meier estimate" if use_panels else styles[name]["label"], ci)
        k_max = max(k_max, int(k[np.isfinite(est)].max()))
        drawn.append((a, name, styles[name], c))
    for name in chosen:
        for claim in claims_testing(claims, "km_median_sessions_to_band", condition=name,
                                    band=result.band):
            k_max = max(k_max, int(math.ceil(claim.high or claim.threshold or 0)))
    for i, a in enumerate(dict.fromkeys(axs)):
        a.axhline(0.5, color="#777777", lw=0.8, ls=":", zorder=1,
                  label="half of the courses (where it crosses: the median)")
        a.set_xlim(0, k_max + 0.5)
        a.set_ylim(-0.02, 1.02)
        a.set_xticks(range(0, k_max + 1))
        if use_panels:
            a.set_title(styles[chosen[i]]["label"], fontsize=TICK_PT)
            _claimed_sessions(a, result, chosen[i], claims)
    if not use_panels:
        for name in chosen:
            _claimed_sessions(axs[0], result, name, claims)
    if at_risk:
        for a in dict.fromkeys(axs):
            mine = [(n, st, c) for b, n, st, c in drawn if b is a]
            if mine:
                _at_risk_rows(a, mine, k_max)
    if use_panels:
        _label_panels(fig, axs, xlabel, ylabel, title, columns)
        _figure_legend(fig, axs)
        return axs[0]
    return _finish_single(axs[0], xlabel, ylabel, title, len(drawn), inside="upper left")


def _at_risk_rows(ax, drawn, k_max) -> None:
    """Numbers at risk under the x axis (x in data units, y in points below the axis)."""
    trans = ax.get_xaxis_transform()
    step = 10  # points between lines
    first = -36  # below the tick labels and the axis label
    ax.annotate("at risk", (0, 0), xycoords=trans, xytext=(-6, first), textcoords="offset points",
                ha="right", va="top", fontsize=TEXT_PT, fontweight="bold",
                annotation_clip=False)
    for row, (_name, st, c) in enumerate(drawn):
        y = first - step * (row + 1)
        if len(drawn) > 1:
            ax.annotate(st["label"], (0, 0), xycoords=trans, xytext=(-6, y),
                        textcoords="offset points", ha="right", va="top", fontsize=TEXT_PT,
                        color=st["color"], annotation_clip=False)
        for k, n in zip(c[Col.AFTER_SESSION].to_numpy(dtype=int), c[Col.N].to_numpy(),
                        strict=True):
            if 1 <= k <= k_max and np.isfinite(float(n)):
                ax.annotate(f"{int(n)}", (k, 0), xycoords=trans, xytext=(0, y),
                            textcoords="offset points", ha="center", va="top",
                            fontsize=TEXT_PT, color=st["color"], annotation_clip=False)


# --------------------------------------------------------------------------- by condition
def _claimed_rows(ax, names, measure: str, claims) -> None:
    """The claimed least mean final improvement of each condition, shaded on its row."""
    if measure != "final_improvement_mean":
        return
    right = ax.get_xlim()[1]
    for i, name in enumerate(names):
        y = len(names) - 1 - i
        for claim in claims_testing(claims, "mean_final_improvement", condition=name):
            if claim.threshold is None:
                continue
            lo, hi = ((claim.threshold, max(right, claim.threshold + 0.05))
                      if getattr(claim.rule, "value", claim.rule) == "at_least"
                      else (min(0.0, claim.threshold - 0.05), claim.threshold))
            ax.fill_betweenx([y - 0.4, y + 0.4], lo, hi, color=CLAIM_COLOUR, alpha=CLAIM_ALPHA,
                             lw=0, zorder=0, label=f"Claim: visibly improves (mean final "
                                                   f"improvement {claim.rule_text})")
            ax.plot([claim.threshold] * 2, [y - 0.4, y + 0.4], color=CLAIM_COLOUR, lw=1.2,
                    ls="--", zorder=1)
    ax.set_xlim(right=right)


@shared_doc(**FRAGMENTS)
def plot_by_condition(result, ax=None, *, measure: str = "final_improvement_mean",
                      bands: bool = True, claims=True):
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
    claims : bool or Catalogue, default True
        On the mean final improvement, shade each condition's claimed least improvement (the
        catalogue's "visibly improves" claims; True: the built-in catalogue).

    Returns
    -------
    matplotlib Axes
        One row per condition (all conditions at the bottom, in black), its number of courses
        in the label; a condition whose estimate the table withholds has no dot.

    Examples
    --------
    >>> from outcomes import build_courses, load_sample, outcomes_by_condition
    >>> result = outcomes_by_condition(build_courses(load_sample()))
    >>> ax = plot_by_condition(result)
    >>> [label.get_text() for label in ax.get_yticklabels()][:2]
    ['All conditions (n = 336)', 'Skin texture (n = 14)']
    >>> ax = plot_by_condition(result, measure="reached_major")
    >>> ax.get_xlabel()
    'Share of courses whose final improvement reached major'
    """
    t = result.table[result.table[_MEASURE] == measure]
    if t.empty:
        measures = list(dict.fromkeys(result.table[_MEASURE]))
        raise AnalysisError(f"measure {measure!r} is not in the result; measures are {measures}.")
    names = list(dict.fromkeys(t[Col.CONDITION]))
    styles = _styles(names)
    ax = axes(ax, figsize=(7.2, 0.42 * len(names) + 1.8))
    t = t.set_index(Col.CONDITION)
    for i, name in enumerate(names):
        y = len(names) - 1 - i
        row = t.loc[name]
        st = styles[name]
        est, lo, hi = float(row[Col.ESTIMATE]), float(row[Col.CI_LOW]), float(row[Col.CI_HIGH])
        if math.isnan(est):
            continue
        lo_d = lo if math.isfinite(lo) else est
        hi_d = hi if math.isfinite(hi) else est
        ax.errorbar([est], [y], xerr=[[max(est - lo_d, 0)], [max(hi_d - est, 0)]],
                    fmt=st["marker"], color=st["color"], ms=6 if name == _ALL else 5,
                    capsize=3, lw=1.4, zorder=3)
    if _ALL in names and len(names) > 1:
        ax.axhline(0.5, color="#bbbbbb", lw=0.6)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels([f"{styles[n]['label']} (n = {_count(t.loc[n, Col.N])})"
                        for n in reversed(names)])
    ax.set_ylim(-0.6, len(names) - 0.4)
    improvement = "improvement" in measure
    if improvement:
        what = "Median" if measure.endswith("median") else "Mean"
        ax.set_xlabel(f"{what} final improvement ({_IMPROVEMENT_UNITS})")
        if bands:
            _band_lines(ax, getattr(result, "bands", {}) or {}, orientation="vertical")
        ax.axvline(0.0, color="#777777", lw=0.8)
        _claimed_rows(ax, names, measure, claims)
        if ax.get_legend_handles_labels()[0]:
            handles, labels = ax.get_legend_handles_labels()
            ax.legend(handles[:1], labels[:1], loc="upper center", bbox_to_anchor=(0.5, -0.16),
                      fontsize=TICK_PT, frameon=False)
    elif measure.startswith("reached_"):
        band = measure.removeprefix("reached_")
        ax.set_xlabel(f"Share of courses whose final improvement reached {band}")
        ax.set_xlim(-0.02, 1.02)
    else:
        ax.set_xlabel(column_label(measure))
    ax.set_title(f"{column_label(measure)} by condition, 95% interval", fontsize=TICK_PT + 1,
                 pad=24 if improvement and bands else 6)
    readable(ax)
    return ax


def _count(n) -> str:
    return format_count(n) if np.isfinite(float(n)) else "–"
