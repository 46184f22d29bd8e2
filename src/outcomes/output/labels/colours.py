"""Colours and marks of what the package shows: the palette and each verdict's colour and mark.

The Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), extended with the Paul Tol "muted"
colours so that a figure with up to 15 series never repeats a colour; each verdict also has a
mark, so that colour is never the only carrier of a verdict. Nothing here imports matplotlib, so
a dashboard or a page can colour a verdict without loading it.
"""

from __future__ import annotations

__all__ = ["PALETTE", "SERIES_COLOURS", "MARKERS", "VERDICT_COLOURS", "VERDICT_MARKS",
           "series_style"]

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
#: Colours of the series of one figure, in order: Okabe–Ito without yellow and black (too light
#: and too close to the text), then Paul Tol's muted scheme. No two are the same.
SERIES_COLOURS = (
    PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["vermillion"],
    PALETTE["purple"], PALETTE["sky"], "#332288", "#117733", "#44AA99", "#88CCEE", "#DDCC77",
    "#CC6677", "#AA4499", "#882255", "#999933",
)
#: Matplotlib markers paired with the series colours, so series differ without colour too.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p", "8", "d", "H")
#: Colour of each verdict (badges, plots, the dashboard). Black text on each has a contrast
#: ratio of at least 4.5.
VERDICT_COLOURS = {
    "supported": PALETTE["green"],
    "contradicted": PALETTE["vermillion"],
    "inconclusive": PALETTE["orange"],
    "not_testable": "#777777",
}
#: A mark for each verdict, shown beside its colour.
VERDICT_MARKS = {"supported": "✓", "contradicted": "✗", "inconclusive": "?", "not_testable": "–"}


def series_style(i: int) -> dict:
    """Colour and marker of the ``i``-th series of a figure (never repeated below 15 series).

    Examples
    --------
    >>> series_style(0), series_style(7)["color"] != series_style(0)["color"]
    ({'color': '#0072B2', 'marker': 'o'}, True)
    >>> len({series_style(i)["color"] for i in range(15)})
    15
    """
    return {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "marker": MARKERS[i % len(MARKERS)]}
