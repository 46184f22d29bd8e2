"""The claims a figure tests, found in the claims catalogue, and their ranges drawn.

A figure that shows what a claim is tested on draws the claim's range there: the 4–6 sessions
of ``acne-scars-4-6-sessions`` on the sessions-to-major-improvement panel of acne scars, the
48 h (and 24–48 h) of ``redness-24-48h`` on the resolution curve of redness, the 0.05 of
``safe-all-skin-types`` on the skin-type difference. The numbers come from the catalogue (its
rule, threshold, low, high and the estimand's parameters), never from this module.
"""

from __future__ import annotations

import math

__all__ = ["catalogue_of", "claims_testing", "claim_name", "shade", "CLAIM_COLOUR",
           "CLAIM_ALPHA"]

#: Colour and opacity of a claimed range: translucent, under every estimate (zorder 0).
#: (not a series colour, so that a range is never read as a curve)
CLAIM_COLOUR = "#4D9221"
CLAIM_ALPHA = 0.15


def catalogue_of(claims):
    """The catalogue a figure draws claims from: ``True`` the built-in one, a catalogue
    itself, ``False`` or ``None`` none.

    Examples
    --------
    >>> catalogue_of(False) is None, len(catalogue_of(True)) > 0
    (True, True)
    """
    if claims is None or claims is False:
        return None
    if claims is True:
        from ..claims.catalogue import load_catalogue

        return load_catalogue()
    return claims


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def claims_testing(claims, estimand: str, **match) -> list:
    """Claims of ``claims`` (see :func:`catalogue_of`) on ``estimand`` whose parameters agree
    with ``match``: a parameter that is a list agrees when it holds the value; a parameter the
    claim does not give agrees with anything.

    Examples
    --------
    >>> [c.id for c in claims_testing(True, "km_median_sessions_to_band",
    ...                               condition="acne_scars", band="major")]
    ['acne-scars-4-6-sessions']
    >>> [c.id for c in claims_testing(True, "km_share_resolved_by", events="scabbing")]
    ['scabs-few-days']
    """
    catalogue = catalogue_of(claims)
    if catalogue is None:
        return []
    found = []
    for claim in catalogue:
        if claim.estimand != estimand:
            continue
        params = claim.parameters
        if all(key not in params or value in _as_tuple(params[key])
               for key, value in match.items()):
            found.append(claim)
    return found


def claim_name(claim, limit: int = 70) -> str:
    """A claim named in a legend: its statement, shortened to ``limit`` characters.

    Examples
    --------
    >>> from outcomes import load_catalogue
    >>> claim_name(load_catalogue().claim("minimal-pain"), 30)
    'Claim: The procedure causes minimal…'
    """
    text = claim.statement.rstrip(".")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return f"Claim: {text}"


def _finite(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def shade(ax, claim, *, orientation: str = "vertical", label: str | None = None,
          span=None):
    """Shade ``claim``'s range on ``ax``, translucent and behind the estimates (zorder 0).

    A range claim shades its low to high; an "at least" claim from its threshold to the end of
    the axis (or ``span``'s end), an "at most" claim from the start to its threshold; the
    threshold of a one-sided claim is also drawn as a dashed line.

    Parameters
    ----------
    ax : matplotlib Axes
    claim : Claim
    orientation : {"vertical", "horizontal"}
        "vertical": the range is along x (a vertical band); "horizontal": along y.
    label : str, optional
        Legend entry (default :func:`claim_name`).
    span : (float, float), optional
        The far ends used for one-sided claims (default the axis limits).

    Returns
    -------
    list of Artist
        The band (and the threshold line of a one-sided claim).
    """
    vertical = orientation == "vertical"
    lims = span if span is not None else (ax.get_xlim() if vertical else ax.get_ylim())
    rule = getattr(claim.rule, "value", claim.rule)
    if rule == "range":
        lo, hi = claim.low, claim.high
    elif rule == "at_least":
        lo, hi = claim.threshold, max(lims[1], claim.threshold)
    else:
        lo, hi = min(lims[0], claim.threshold), claim.threshold
    band = (ax.axvspan if vertical else ax.axhspan)(
        lo, hi, color=CLAIM_COLOUR, alpha=CLAIM_ALPHA, lw=0, zorder=0,
        label=label or claim_name(claim))
    drawn = [band]
    if rule != "range" and _finite(claim.threshold):
        line = (ax.axvline if vertical else ax.axhline)(
            claim.threshold, color=CLAIM_COLOUR, lw=1.2, ls="--", zorder=1)
        drawn.append(line)
    return drawn
