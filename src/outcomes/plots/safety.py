"""Side-effect plots: resolution curves, spacing heatmap, skin-type forest plot, incidence.

Every function takes ``ax=None`` (a new figure's axes when omitted), returns the axes and never
calls ``plt.show()``. Colours are the Okabe–Ito palette (:mod:`outcomes.plots.style`); every
estimate is drawn with its interval and the axes say their units.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm

from ..output.labels import column_label, format_count, format_number, format_share, label
from ..stats.result import Col
from .claimed import CLAIM_ALPHA, CLAIM_COLOUR, claim_name, claims_testing
from .style import PALETTE, TEXT_PT, TICK_PT, axes, claimed_range, colour, not_enough_data, readable
from .style import panels as _grid

__all__ = ["plot_resolution", "plot_spacing", "plot_skin_type", "plot_incidence",
           "resolution_curves"]

_SEQUENTIAL = LinearSegmentedColormap.from_list("okabe_ito_blue", ["#FFFFFF", PALETTE["blue"]])
_DIVERGING = LinearSegmentedColormap.from_list(
    "okabe_ito_diverging", [PALETTE["vermillion"], "#FFFFFF", PALETTE["blue"]])


#: Vocabulary of each group column's values.
_VOCABULARY = {Col.EVENT: "event", Col.CONDITION: "condition", "setting": "setting",
               "device": "device", "fitzpatrick": "fitzpatrick"}


def _group_label(row: pd.Series, cols: list[str]) -> str:
    parts = [_words(row[c], c) for c in cols if pd.notna(row[c])]
    return " · ".join(parts) if parts else "All"


def _words(value, column: str) -> str:
    """A group value in words (an event selection ``erythema+pih`` word by word)."""
    text = str(value)
    vocab = _VOCABULARY.get(column)
    if column == Col.EVENT and "+" in text:
        return " or ".join(label(part, "event") for part in text.split("+"))
    return label(text, vocab)


# =========================================================================== resolution
def _reason(table: pd.DataFrame, default: str) -> str:
    """Why a figure is empty: the method text of its rows when they agree on one."""
    methods = set(table[Col.METHOD].dropna().astype(str)) if Col.METHOD in table else set()
    return f"not enough data: {methods.pop() if len(methods) == 1 else default}"


def _empty(ax, table: pd.DataFrame, default: str, title: str):
    """A titled "not enough data" panel saying why (see :func:`_reason`)."""
    ax = not_enough_data(axes(ax), _reason(table, default))
    ax.set_title(title, fontsize="medium")
    return ax


def resolution_curves(curve: pd.DataFrame, at_risk: pd.DataFrame, ax=None, *,
                      group_cols=(), threshold: float | None = None,
                      horizon: float | None = None, xmax: float | None = None,
                      show_at_risk: bool = True, first_colour: int = 0):
    """Kaplan-Meier share resolved against hours, with bands and at-risk counts under the axis.

    Parameters
    ----------
    curve : DataFrame
        Kaplan-Meier tables stacked (``Resolution.extra["curve"]``): ``event``, the group
        columns, ``time``, ``survival``, ``ci_low``, ``ci_high`` (intervals of S).
    at_risk : DataFrame
        ``Resolution.extra["at_risk"]``: ``event``, the group columns, ``hours``,
        ``n_at_risk``; its hours are the ticks at which the counts are written.
    ax : matplotlib Axes, optional
    group_cols : sequence of str
        Group columns besides ``event`` (one curve per combination).
    threshold : float, optional
        A claimed share resolved (e.g. 0.9): the range from it to 1 is shaded.
    horizon : float, optional
        The claim's horizon in hours (e.g. 48): a vertical dashed line.
    xmax : float, optional
        Right end of the hours axis; default a little beyond the largest at-risk hour.
    show_at_risk : bool, default True
        Write the number of events still unresolved and followed under the axis.
    first_colour : int, default 0
        Series colour of the first curve (panels of one figure continue the colours).

    Returns
    -------
    matplotlib Axes
    """
    ax = axes(ax)
    cols = [*group_cols, Col.EVENT]
    keys = curve[cols].drop_duplicates() if len(curve) else pd.DataFrame(columns=cols)
    ticks = np.sort(at_risk["hours"].unique()) if len(at_risk) else np.array([0.0])
    if xmax is not None:
        right = float(xmax)
    elif ticks.max() > 0:
        right = float(ticks.max()) * 1.08
    else:
        right = float(curve["time"].max()) if len(curve) and curve["time"].max() > 0 else 1.0
    labels = []
    for i, (_, key) in enumerate(keys.iterrows()):
        m = np.ones(len(curve), dtype=bool)
        for c in cols:
            m &= (curve[c] == key[c]).to_numpy()
        k = curve[m]
        t = k["time"].to_numpy(dtype=float)
        S = k["survival"].to_numpy(dtype=float)
        lo = k["ci_low"].to_numpy(dtype=float)
        hi = k["ci_high"].to_numpy(dtype=float)
        lo = np.where(S == 1.0, 1.0, np.where(np.isnan(lo), S, lo))
        hi = np.where(np.isnan(hi), S, hi)
        t, S, lo, hi = np.r_[0.0, t], np.r_[1.0, S], np.r_[1.0, lo], np.r_[1.0, hi]
        name = _group_label(key, cols)
        labels.append(name)
        col = colour(first_colour + i)
        ax.step(t, 1.0 - S, where="post", color=col, label=name, linewidth=1.8, zorder=3)
        ax.fill_between(t, 1.0 - hi, 1.0 - lo, step="post", color=col, alpha=0.2, linewidth=0,
                        zorder=2)
    if threshold is not None:
        claimed_range(ax, low=threshold, high=1.0,
                      label=f"claimed: at least {threshold:.0%} resolved"
                      + (f" by {horizon:g} h" if horizon is not None else ""))
    if horizon is not None:
        ax.axvline(horizon, color=PALETTE["black"], linestyle="--", linewidth=1,
                   label=f"{horizon:g} h")
    ax.set_xlim(0, right)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("hours after the session")
    ax.set_ylabel("share resolved (Kaplan–Meier, 95% CI)")
    ax.set_xticks(ticks)
    readable(ax)
    if len(keys) or threshold is not None:
        ax.legend(loc="lower right", fontsize=TICK_PT, frameon=False)
    if show_at_risk and len(at_risk):
        # rows of counts under the hours axis, at fixed offsets (points) below it so that the
        # layout engine makes room for them
        top = -34.0

        def under(x, row, text, col, ha="center", coords="data"):
            ax.annotate(text, xy=(x, 0), xycoords=(coords, "axes fraction"),
                        xytext=(0, top - 11.0 * row), textcoords="offset points", ha=ha,
                        va="top", fontsize=TEXT_PT, color=col, annotation_clip=False)

        under(0.0, 0, "events at risk (unresolved, followed):", "#444444", ha="left",
              coords="axes fraction")
        for i, (_, key) in enumerate(keys.iterrows()):
            m = np.ones(len(at_risk), dtype=bool)
            for c in cols:
                m &= (at_risk[c] == key[c]).to_numpy()
            for _, r in at_risk[m].iterrows():
                if r["hours"] <= right:
                    under(float(r["hours"]), i + 1, f"{int(r['n_at_risk'])}",
                          colour(first_colour + i))
    return ax


def _with_gaps(curve: pd.DataFrame, table: pd.DataFrame, by=()) -> pd.DataFrame:
    """``curve`` with a missing point at each time whose share the table withholds, so that the
    step curve is broken there instead of holding the share before it."""
    if Col.MEASURE not in table or "hours" not in table or curve.empty:
        return curve
    t = table[(table[Col.MEASURE] == "resolved_by")]
    hidden = t[~np.isfinite(pd.to_numeric(t[Col.ESTIMATE], errors="coerce").to_numpy(float))]
    if hidden.empty:
        return curve
    cols = [c for c in (*by, Col.EVENT) if c in curve.columns and c in hidden.columns]
    gaps = hidden[cols].copy()
    gaps["time"] = pd.to_numeric(hidden["hours"], errors="coerce").to_numpy()
    for c in ("survival", "ci_low", "ci_high"):
        gaps[c] = np.nan
    keys = set(map(tuple, curve[cols].astype(str).to_numpy())) if cols else {()}
    gaps = gaps[[tuple(r) in keys for r in gaps[cols].astype(str).to_numpy()]] if cols else gaps
    out = pd.concat([curve, gaps.reindex(columns=curve.columns)], ignore_index=True)
    return out.sort_values([*cols, "time"], kind="stable").reset_index(drop=True)


def _claimed_resolution(ax, claims, event: str, right: float, seen=None) -> list:
    """The catalogue's claims on the share of ``event`` resolved by a time: the hours band
    (24–48 h when the claim also reports 24 h), the claim's time as a dashed line, and the
    claimed share at that time as a translucent bar; one legend entry per claim. Claims in
    ``seen`` (ids) are not drawn again."""
    seen = set() if seen is None else seen
    drawn = []
    for claim in claims_testing(claims, "km_share_resolved_by", events=event):
        hours = float(claim.parameters.get("hours", float("nan")))
        if claim.id in seen or not math.isfinite(hours):
            continue
        seen.add(claim.id)
        earlier = [float(h) for h in claim.parameters.get("also_report_hours", ()) or ()
                   if float(h) < hours]
        at_least = getattr(claim.rule, "value", claim.rule) == "at_least"
        share = ("" if claim.threshold is None else
                 f": {'≥' if at_least else '≤'} {format_share(claim.threshold)} by {hours:g} h")
        name = claim_name(claim, 40) + share
        if earlier:
            ax.axvspan(min(earlier), hours, color=CLAIM_COLOUR, alpha=CLAIM_ALPHA, lw=0,
                       zorder=0, label=f"{name} (band: {min(earlier):g}–{hours:g} h)")
        ax.axvline(hours, color=CLAIM_COLOUR, ls="--", lw=1.2, zorder=1,
                   label=None if earlier else name)
        if claim.threshold is not None:
            lo, hi = (claim.threshold, 1.0) if at_least else (0.0, claim.threshold)
            ax.fill_between([hours - 0.02 * right, hours + 0.02 * right], lo, hi,
                            color=CLAIM_COLOUR, alpha=0.35, lw=0, zorder=1)
        drawn.append(claim)
    return drawn


def plot_resolution(result, ax=None, *, event=None, threshold: float | None = None,
                    horizon: float | None = None, claims=True, panels: bool | None = None,
                    columns: int = 3, **kwargs):
    """Resolution curves of a :class:`~outcomes.stats.side_effects.Resolution`.

    Parameters
    ----------
    result : Resolution
    ax : matplotlib Axes, optional
    event : str or sequence of str, optional
        Event selections (labels of ``result.table.event``) to draw; default all.
    threshold, horizon : float, optional
        A claim to draw: share ``threshold`` resolved by ``horizon`` hours.
    claims : bool or Catalogue, default True
        Draw the catalogue's claims on the time to resolve each event drawn (True: the
        built-in catalogue), when ``threshold`` is not given.
    panels : bool, optional
        One panel per event (shared axes, at most ``columns`` wide); default panels when ``ax``
        is None and several events are drawn.
    columns : int, default 3
    **kwargs
        Passed to :func:`resolution_curves` (``xmax``, ``show_at_risk``).

    Returns
    -------
    matplotlib Axes
        The axes drawn on (with panels the first; ``ax.figure`` holds them all). A share the
        table withholds breaks the curve at its time.
    """
    curve, at_risk = result.extra["curve"], result.extra["at_risk"]
    if event is not None:
        wanted = [event] if isinstance(event, str) else list(event)
        known = sorted(set(result.table[Col.EVENT]))
        unknown = [e for e in wanted if e not in known]
        if unknown:
            from ..errors import AnalysisError

            raise AnalysisError(f"event: {unknown} are not in the result; events are {known}.")
        curve = curve[curve[Col.EVENT].isin(wanted)]
        at_risk = at_risk[at_risk[Col.EVENT].isin(wanted)]
    if curve.empty:
        return _empty(ax, result.table, "no side effects to time", result.title)
    curve = _with_gaps(curve, result.table, tuple(result.by))
    events = list(dict.fromkeys(curve[Col.EVENT]))
    by = list(result.by)
    own = threshold is not None or not claims
    use_panels = (ax is None and len(events) > 1) if panels is None else bool(panels)
    if not use_panels:
        ax = resolution_curves(curve, at_risk, ax, group_cols=by, threshold=threshold,
                               horizon=horizon, **kwargs)
        if not own:
            seen: set = set()
            for e in events:
                _claimed_resolution(ax, claims, e, ax.get_xlim()[1], seen)
            ax.legend(loc="lower right", fontsize=TICK_PT - 1 if seen else TICK_PT,
                      frameon=False)
        ax.set_title(result.title, fontsize=TICK_PT + 1)
        return ax
    fig, axs = _grid(len(events), ax, columns=columns, size=(2.4, 2.0))
    right = None
    n_before = 0
    for a, e in zip(axs, events, strict=True):
        sub = curve[curve[Col.EVENT] == e]
        resolution_curves(sub, at_risk[at_risk[Col.EVENT] == e], a, group_cols=by,
                          threshold=threshold, horizon=horizon, first_colour=n_before,
                          **kwargs)
        n_before += max(1, len(sub[[*by, Col.EVENT]].drop_duplicates()))
        right = a.get_xlim()[1]
        if not own:
            _claimed_resolution(a, claims, e, right)
        a.set_title(_words(e, Col.EVENT), fontsize=TICK_PT + 1)
        if a.get_legend() is not None:
            a.get_legend().remove()
        a.set_xlabel("hours after the session" if a is axs[-1] or
                     axs.index(a) + columns >= len(axs) else "", fontsize=TICK_PT)
        a.set_ylabel("")
    seen = {}
    for a in axs:
        for h, lab in zip(*a.get_legend_handles_labels(), strict=True):
            if lab.startswith("Claim"):
                seen.setdefault(lab, h)
    if seen:
        fig.legend(list(seen.values()), list(seen.keys()), loc="outside lower center",
                   fontsize=TICK_PT, frameon=False, ncols=1)
    fig.supylabel("share resolved (Kaplan–Meier, 95% CI)", fontsize=TICK_PT + 1)
    fig.suptitle(result.title, fontsize=TICK_PT + 2)
    return axs[0]


# =========================================================================== spacing
#: Why a spacing measure has no row at all.
_NO_SPACING = {
    "improvement_gain": "no session with an assessed improvement after it and after the "
                        "session before it",
    "side_effect_rate": "no course with a second session",
}


def _ink(rgba) -> str:
    """Black or white text, whichever reads better on a cell of colour ``rgba``."""
    r, g, b = (float(x) for x in rgba[:3])
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if lum > 0.45 else "#FFFFFF"


def _cell_text(r, measure: str, full: bool) -> str:
    share = measure == "side_effect_rate"
    fmt = format_share if share else (lambda v: format_number(v, 2))
    text = fmt(r[Col.ESTIMATE])
    if full:
        if np.isfinite(r[Col.CI_LOW]) and np.isfinite(r[Col.CI_HIGH]):
            text += f"\n({fmt(r[Col.CI_LOW])} to {fmt(r[Col.CI_HIGH])})"
        text += f"\nn = {format_count(r[Col.N])}"
    return text


def plot_spacing(result, ax=None, *, measure: str = "improvement_gain", annotate: bool = True,
                 min_n: int = 10, values: bool = True):
    """Annotated heat map of a :class:`~outcomes.stats.spacing.Spacing` measure: groups x
    spacing bins.

    Rows are the combinations of the ``by`` columns (condition · setting), columns the spacing
    bins; each cell shows its estimate (and with ``annotate`` its interval and ``n``), in black
    or white, whichever reads on the cell. A cell whose estimate the table withholds is blank
    (light grey, no number). Rates use a white to blue scale from 0; gains a
    vermillion-white-blue scale centred on 0 (no gain).

    Parameters
    ----------
    result : Spacing
    ax : matplotlib Axes, optional
    measure : {"improvement_gain", "side_effect_rate"}
    annotate : bool, default True
        Write the interval and n under each cell's estimate (False: the estimate alone).
    min_n : int, default 10
        Cells resting on fewer sessions are drawn grey (their numbers are still written) and
        do not set the colour scale.
    values : bool, default True
        Write each cell's estimate (False: colours only).

    Returns
    -------
    matplotlib Axes
    """
    from ..courses import NO_EVENTS_TABLE
    from ..errors import AnalysisError
    from ..stats.spacing import GAIN, RATE

    t = result.table
    if measure not in (GAIN, RATE):
        raise AnalysisError(f"measure: expected {GAIN!r} or {RATE!r}, got {measure!r}.")
    t = t[t["measure"] == measure]
    if not np.isfinite(t[Col.ESTIMATE].to_numpy(float)).any():
        why = "no spacing bin with an estimate"
        if t.empty:
            why = (NO_EVENTS_TABLE if measure == RATE and not result.events_recorded
                   else _NO_SPACING[measure])
        return _empty(ax, t, why, result.title)
    bins = [str(b) for b in t[Col.SPACING_BIN].cat.categories]
    group_cols = list(result.by)
    rows = (t[group_cols].drop_duplicates().sort_values(group_cols) if group_cols
            else pd.DataFrame(index=[0]))
    row_labels = [_group_label(r, group_cols) for _, r in rows.iterrows()]
    n_rows = len(rows)
    width = 1.35 * len(bins) + 3.6 if annotate else min(8.0, 0.8 * len(bins) + 3.6)
    ax = axes(ax, figsize=(width, (0.62 if annotate else 0.36) * n_rows + 2.0))
    grid = np.full((n_rows, len(bins)), np.nan)
    counts = np.zeros((n_rows, len(bins)), dtype=np.int64)
    text = [["" for _ in bins] for _ in range(n_rows)]
    col_of = {b: j for j, b in enumerate(bins)}
    for i, (_, key) in enumerate(rows.iterrows()):
        m = np.ones(len(t), dtype=bool)
        for c in group_cols:
            m &= (t[c] == key[c]).to_numpy()
        for _, r in t[m].iterrows():
            if not np.isfinite(r[Col.ESTIMATE]):
                continue  # withheld or not estimable: a blank cell
            j = col_of[str(r[Col.SPACING_BIN])]
            grid[i, j] = r[Col.ESTIMATE]
            counts[i, j] = int(r[Col.N]) if np.isfinite(r[Col.N]) else 0
            text[i][j] = _cell_text(r, measure, annotate)
    small = (counts < min_n) & np.isfinite(grid)
    finite = grid[np.isfinite(grid) & ~small]
    ax.set_facecolor("#F2F2F2")
    if small.any():
        ax.imshow(np.where(small, 1.0, np.nan), cmap=LinearSegmentedColormap.from_list(
            "grey", ["#BBBBBB", "#BBBBBB"]), vmin=0, vmax=1, aspect="auto")
    if measure == "side_effect_rate":
        cmap, norm = _SEQUENTIAL, None
        vmin, vmax = 0.0, max(float(finite.max()) if finite.size else 1.0, 1e-9)
        what = "share of sessions with a side effect"
    else:
        cmap = _DIVERGING
        span = max(float(np.abs(finite).max()) if finite.size else 1.0, 1e-9)
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span)
        vmin = vmax = None
        what = "mean improvement gained per session"
    im = ax.imshow(np.ma.masked_invalid(np.where(small, np.nan, grid)), cmap=cmap, norm=norm,
                   vmin=vmin, vmax=vmax, aspect="auto")
    if values:
        for i in range(n_rows):
            for j in range(len(bins)):
                if text[i][j]:
                    rgba = ((0.73, 0.73, 0.73, 1.0) if small[i, j]
                            else im.cmap(im.norm(grid[i, j])))
                    ax.text(j, i, text[i][j], ha="center", va="center", fontsize=TEXT_PT,
                            color=_ink(rgba))
    ax.set_xticks(range(len(bins)), bins)
    ax.set_yticks(range(n_rows), row_labels)
    ax.set_xlabel("days since the previous session of the course")
    if group_cols:
        ax.set_ylabel(" · ".join(column_label(c) for c in group_cols))
    bar = ax.figure.colorbar(im, ax=ax, label=what)
    bar.ax.tick_params(labelsize=TICK_PT)
    bar.ax.yaxis.label.set_fontsize(TICK_PT)
    shown = "estimate, 95% CI and n sessions" if annotate else "estimate"
    ax.set_title(f"{result.title}: {what}\n(each cell: {shown}; grey: fewer than {min_n} "
                 "sessions; blank: withheld or none)", fontsize=TICK_PT + 1)
    readable(ax)
    return ax


# =========================================================================== forest plots
def _forest(ax, labels, est, lo, hi, colours, markers=None):
    y = np.arange(len(labels))[::-1].astype(float)
    for k in range(len(labels)):
        if not np.isfinite(est[k]):
            continue
        if np.isfinite(lo[k]) and np.isfinite(hi[k]):
            ax.plot([lo[k], hi[k]], [y[k], y[k]], color=colours[k], linewidth=2)
        ax.plot(est[k], y[k], marker=(markers[k] if markers else "o"), color=colours[k],
                markersize=6, linestyle="none")
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    return y


def plot_skin_type(result, ax=None, *, outcome: str | None = None,
                   threshold: float | None = None, claims=True):
    """Forest plot of a :class:`~outcomes.stats.skin_type.SkinType`.

    Risk per course with its 95% interval for each Fitzpatrick type I…VI, the groups I–III and
    IV–VI and unknown type, then the risk difference IV–VI minus I–III (diamond) with a line at
    0 (no difference). A row whose estimate the table withholds has no dot and no line.

    Parameters
    ----------
    result : SkinType
    ax : matplotlib Axes, optional
    outcome : str, optional
        ``"notable"`` or ``"pih"``; default the first outcome of the table.
    threshold : float, optional
        A claimed largest difference ("at most", e.g. 0.05): the range up to it is shaded.
    claims : bool or Catalogue, default True
        When ``threshold`` is not given, the largest difference a claim of the catalogue
        allows on the Fitzpatrick type (True: the built-in catalogue), for notable events.

    Returns
    -------
    matplotlib Axes
    """
    from ..errors import AnalysisError

    t = result.table
    outcomes = list(dict.fromkeys(t["outcome"]))
    outcome = outcomes[0] if outcome is None else outcome
    if outcome not in outcomes:
        raise AnalysisError(f"outcome: {outcome!r} is not in the result; outcomes are "
                            f"{outcomes}.")
    t = t[t["outcome"] == outcome]
    if not np.isfinite(t[Col.ESTIMATE].to_numpy(float)).any():
        return _empty(ax, t, "no skin type with an estimate", result.title)
    name_of_claim = None
    if threshold is None and outcome == "notable":
        found = [c for c in claims_testing(claims, "risk_difference_notable",
                                           column="fitzpatrick")
                 if getattr(c.rule, "value", c.rule) == "at_most" and c.threshold is not None]
        if found:
            threshold, name_of_claim = float(found[0].threshold), claim_name(found[0], 40)
    ax = axes(ax, figsize=(7.5, 0.36 * len(t) + 1.9))
    labels = []
    for _, r in t.iterrows():
        n = f"n = {format_count(r[Col.N])}" if np.isfinite(float(r[Col.N])) else "n < 5"
        group = str(r["group"])
        name = {"type": label(group, "fitzpatrick"), "group": f"Types {group}",
                "unknown": "Type unknown", "difference": f"Difference {group}"}[r["level"]]
        labels.append(f"{name} ({n})")
    level_colour = {"type": PALETTE["blue"], "group": PALETTE["orange"],
                    "unknown": "#777777", "difference": PALETTE["vermillion"]}
    colours = [level_colour[v] for v in t["level"]]
    markers = ["D" if v == "difference" else "o" for v in t["level"]]
    y = _forest(ax, labels, t[Col.ESTIMATE].to_numpy(float), t[Col.CI_LOW].to_numpy(float),
                t[Col.CI_HIGH].to_numpy(float), colours, markers)
    ax.axvline(0, color=PALETTE["black"], linewidth=0.8)
    diff_rows = np.flatnonzero(t["level"].to_numpy() == "difference")
    if diff_rows.size:
        ax.axhline(y[diff_rows[0]] + 0.5, color="#999999", linewidth=0.6, linestyle=":")
    if threshold is not None and diff_rows.size:
        yd = y[diff_rows[0]]
        left = min(ax.get_xlim()[0], -1e-9)
        ax.fill_betweenx([yd - 0.4, yd + 0.4], left, threshold, color=CLAIM_COLOUR,
                         alpha=CLAIM_ALPHA, linewidth=0, zorder=0,
                         label=(name_of_claim or "Claimed")
                         + f": difference at most {threshold:g}")
        ax.plot([threshold, threshold], [yd - 0.45, yd + 0.45], color=CLAIM_COLOUR,
                linestyle="--", linewidth=1.2, zorder=1)
        ax.text(threshold, yd + 0.47, f"claimed: at most {threshold:g}", ha="center",
                va="bottom", fontsize=TEXT_PT, color=CLAIM_COLOUR)
        ax.set_xlim(left=left)
        ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
                         fontsize=TICK_PT, frameon=False)
    word = label(outcome, "event").lower() if outcome != "pih" else label(outcome, "event")
    ax.set_xlabel(f"share of courses with a {word}, 95% CI\n"
                  "(last row: risk difference IV–VI minus I–III)" if outcome == "notable" else
                  f"share of courses with {word}, 95% CI\n"
                  "(last row: risk difference IV–VI minus I–III)")
    ax.set_title(result.title, fontsize=TICK_PT + 1)
    readable(ax)
    return ax


def plot_incidence(result, ax=None, *, event=None):
    """Dot-and-interval plot of an :class:`~outcomes.stats.side_effects.Incidence`.

    One row per event selection and group, the share of units with at least one such event
    and its 95% interval.

    Parameters
    ----------
    result : Incidence
    ax : matplotlib Axes, optional
    event : str or sequence of str, optional
        Event selections to draw; default all.

    Returns
    -------
    matplotlib Axes
    """
    t = result.table
    if event is not None:
        wanted = [event] if isinstance(event, str) else list(event)
        t = t[t[Col.EVENT].isin(wanted)]
    if not np.isfinite(t[Col.ESTIMATE].to_numpy(float)).any():
        return _empty(ax, t, "no side-effect share to show", result.title)
    group_cols = list(result.by)
    events = list(dict.fromkeys(t[Col.EVENT]))
    ax = axes(ax, figsize=(6.4, 0.3 * len(t) + 1.6))
    labels = [_words(r[Col.EVENT], Col.EVENT)
              + (f" · {_group_label(r, group_cols)}" if group_cols else "")
              + (f" (n = {format_count(r[Col.N])})" if np.isfinite(float(r[Col.N])) else "")
              for _, r in t.iterrows()]
    colours = [colour(events.index(e)) for e in t[Col.EVENT]]
    _forest(ax, labels, t[Col.ESTIMATE].to_numpy(float), t[Col.CI_LOW].to_numpy(float),
            t[Col.CI_HIGH].to_numpy(float), colours)
    unit = "sessions" if result.per == "session" else "courses"
    ax.set_xlabel(f"share of {unit} with at least one event (95% CI)")
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.set_title(result.title, fontsize=TICK_PT + 1)
    if math.isfinite(ax.get_xlim()[1]) and ax.get_xlim()[1] > 1:
        ax.set_xlim(right=1.0)
    readable(ax)
    return ax
