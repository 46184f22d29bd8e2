"""Figures of the audit's monitoring: funnel plots and risk-adjusted CUSUM charts."""

from __future__ import annotations

import numpy as np

from ..audit.funnel import funnel_limits
from .style import PALETTE, axes, not_enough_data

__all__ = ["funnel_plot", "cusum_chart"]

_LABELS = {
    "notable_per_session": ("expected sessions with a notable adverse event",
                            "observed / expected (risk-adjusted)"),
    "final_improvement": ("courses", "mean final improvement (risk-adjusted)"),
}
_STATUS_COLOUR = {"alarm_high": "vermillion", "alarm_low": "vermillion", "alert_high": "orange",
                  "alert_low": "orange"}


def funnel_plot(funnel, ax=None, *, indicator: str = "notable_per_session",
                dimension: str = "clinic_id"):
    """Funnel plot of one indicator and dimension: each provider against its volume, with the
    95% and 99.8% limits (overdispersed when the table says so).

    Parameters
    ----------
    funnel : outcomes.audit.funnel.Funnel
    ax : matplotlib Axes, optional
    indicator : {"notable_per_session", "final_improvement"}
    dimension : str

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from outcomes.audit.funnel import funnel
    >>> s = pd.DataFrame({"clinic_id": ["A"] * 30 + ["B"] * 70})
    >>> f = funnel(s, np.arange(100) % 9 == 0, np.full(100, 0.1), np.arange(100))
    >>> funnel_plot(f).get_xlabel()
    'expected sessions with a notable adverse event'
    """
    ax = axes(ax)
    t = funnel.table
    t = t[(t["indicator"] == indicator) & (t["dimension"] == dimension)
          & t["estimate"].notna()]
    xlabel, ylabel = _LABELS[indicator]
    if t.empty:
        return not_enough_data(ax, f"no {dimension.removesuffix('_id')} to compare")
    x = (t["expected"] if indicator == "notable_per_session" else t["n"]).to_numpy(float)
    first = t.iloc[0]
    grid = np.linspace(max(x.min() * 0.5, 1e-3), x.max() * 1.1, 200)
    lim = funnel_limits(grid, indicator=indicator, target=float(first["target"]),
                        sd=funnel.sd.get(dimension, np.nan), phi=float(first["phi"]),
                        tau2=float(first["tau2"]), method=str(first["overdispersion"]))
    for tag, style in (("95", "--"), ("998", "-")):
        label = "95% limits" if tag == "95" else "99.8% limits"
        ax.plot(grid, lim[f"upper_{tag}"], color=PALETTE["black"], ls=style, lw=1, label=label)
        ax.plot(grid, lim[f"lower_{tag}"], color=PALETTE["black"], ls=style, lw=1)
    ax.axhline(float(first["target"]), color=PALETTE["black"], lw=0.8, ls=":")
    colours = [PALETTE[_STATUS_COLOUR.get(s, "blue")] for s in t["status"]]
    ax.scatter(x, t["estimate"].to_numpy(float), c=colours, zorder=3)
    for xi, yi, g, s in zip(x, t["estimate"], t["group"], t["status"], strict=True):
        if s in _STATUS_COLOUR:
            ax.annotate(str(g), (xi, yi), textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{ylabel.split(' (')[0]} by {dimension.removesuffix('_id')}"
                 + (f" (overdispersion: {first['overdispersion']})"))
    ax.legend(loc="best", fontsize="small")
    return ax


def cusum_chart(cusum, ax=None, *, dimension: str = "clinic_id", group: str | None = None,
                by: str = "date"):
    """The risk-adjusted CUSUM of one provider over session dates, its control limit and
    signals.

    Parameters
    ----------
    cusum : outcomes.audit.cusum.Cusum
    ax : matplotlib Axes, optional
    dimension : str
    group : str, optional
        The provider (default: the first that signalled in ``dimension``).
    by : {"date", "session"}
        The horizontal axis: session dates, or the provider's session number in date order
        (for a page that shows no date).

    Returns
    -------
    matplotlib Axes
    """
    ax = axes(ax)
    keys = [k for k in cusum.paths if k[0] == dimension]
    key = (dimension, group) if group is not None else (keys[0] if keys else None)
    if key not in cusum.paths:
        return not_enough_data(ax, f"no chart of {dimension.removesuffix('_id')} "
                                   f"{group or ''} signalled".replace("  ", " "))
    path = cusum.paths[key]
    h = float(cusum.table.loc[(cusum.table["dimension"] == key[0])
                              & (cusum.table["group"] == key[1]), "control_limit"].iloc[0])
    s = cusum.signals
    s = s[(s["dimension"] == key[0]) & (s["group"] == key[1])]
    if by == "date":
        x, xs, xlabel = path["session_date"], s["session_date"], "session date"
    else:
        x = np.arange(1, len(path) + 1)
        xs = np.cumsum(s["sessions_since_reset"].to_numpy())
        xlabel = "session of the provider, in date order"
    ax.step(x, path["cusum"], where="post", color=PALETTE["blue"])
    ax.axhline(h, color=PALETTE["vermillion"], ls="--", label=f"h = {h:.2f}")
    ax.scatter(xs, s["cusum"], color=PALETTE["vermillion"], zorder=3, label="signal")
    ax.set_ylabel("CUSUM (log-likelihood ratio)")
    ax.set_xlabel(xlabel)
    ax.set_title(f"Risk-adjusted CUSUM, {key[0].removesuffix('_id')} {key[1]}")
    ax.legend(loc="upper left", fontsize="small")
    return ax
