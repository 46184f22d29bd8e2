"""The claimed ranges the dashboard draws on its plots, from the claims catalogue.

One job: find, for each plot of the dashboard, what the catalogue claims in that plot's units,
and shade it on the axes the plot functions return: the sessions a condition is claimed to need
(``km_median_sessions_to_band`` claims with a low and a high, e.g. acne scars 4–6 sessions) on
the dose-response plot, and the hours in which a side effect is claimed to fade (``hours`` and
``also_report_hours`` of a ``km_share_resolved_by`` claim, e.g. redness 24–48 h) on the
resolution plot. Ranges a plot already shades (a patch labelled ``claimed…``) are not drawn
twice.
"""

from __future__ import annotations

from ..output.labels import PALETTE, label

__all__ = ["dose_ranges", "resolution_ranges", "shade"]


def dose_ranges(catalogue, conditions) -> list[tuple[float, float, str]]:
    """``(low, high, label)`` of the session ranges claimed for ``conditions``.

    Examples
    --------
    >>> from outcomes.claims.catalogue import load_catalogue
    >>> dose_ranges(load_catalogue(), ["acne_scars", "wrinkles"])
    [(4.0, 6.0, 'claimed: 4–6 sessions (Acne scars)')]
    """
    out = []
    for claim in catalogue.claims:
        condition = claim.parameters.get("condition")
        if (claim.estimand == "km_median_sessions_to_band" and condition in set(conditions)
                and claim.low is not None and claim.high is not None):
            out.append((float(claim.low), float(claim.high),
                        f"claimed: {claim.low:g}–{claim.high:g} sessions "
                        f"({label(condition, 'condition')})"))
    return out


def resolution_ranges(catalogue, events) -> list[tuple[float, float, str]]:
    """``(low, high, label)`` of the hours within which a drawn side effect is claimed to fade.

    Examples
    --------
    >>> from outcomes.claims.catalogue import load_catalogue
    >>> resolution_ranges(load_catalogue(), ["erythema", "pain"])
    [(24.0, 48.0, 'claimed: Redness (erythema) fades within 24–48 h')]
    """
    out = []
    for claim in catalogue.claims:
        p = claim.parameters
        claimed = tuple(p.get("events") or ())
        if (claim.estimand != "km_share_resolved_by" or len(claimed) != 1
                or claimed[0] not in set(events) or not p.get("also_report_hours")):
            continue
        low = float(min(p["also_report_hours"]))
        high = float(p["hours"])
        if low < high:
            out.append((low, high, f"claimed: {label(claimed[0], 'event')} fades within "
                                   f"{low:g}–{high:g} h"))
    return out


def shade(figure, ranges) -> None:
    """Shade each ``(low, high, label)`` along the x axis of every axes of ``figure`` that has
    a legend or lines, unless a claimed range is drawn there already."""
    for ax in figure.axes:
        if not ax.get_lines() or any(str(p.get_label()).startswith("claimed")
                                     for p in ax.patches):
            continue
        for i, (low, high, text) in enumerate(ranges):
            ax.axvspan(low, high, color=PALETTE["green"], alpha=0.12, zorder=0, lw=0,
                       hatch="//" if i % 2 else None, label=text)
        if ranges:
            ax.legend(loc="best", fontsize="small", frameon=False)
