"""Labels and colours of what the package shows: numbers to text, counts as shown, colours.

One definition each, for every door data leave by (HTML pages, the workbook, the dashboard) and
for the plots: the Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), the colour of each
verdict, the text of a table cell (:func:`format_value`) and of a count under disclosure control
(:func:`count_text`). Nothing here imports matplotlib, so a dashboard or a page can colour a
verdict without loading it.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

import numpy as np
import pandas as pd

from .disclosure import small_mark

__all__ = ["PALETTE", "VERDICT_COLOURS", "format_value", "count_text", "is_missing"]

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
#: Colour of each verdict (badges, plots, the dashboard). Black text on each has a contrast
#: ratio of at least 4.5.
VERDICT_COLOURS = {
    "supported": PALETTE["green"],
    "contradicted": PALETTE["vermillion"],
    "inconclusive": PALETTE["orange"],
    "not_testable": "#777777",
}


def is_missing(value) -> bool:
    """True for None and for what pandas counts as missing (NaN, NA, NaT).

    Examples
    --------
    >>> [is_missing(v) for v in (None, float("nan"), pd.NA, 0, "")]
    [True, True, True, False, False]
    """
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _format_float(x: float, digits: int) -> str:
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    if abs(x) >= 10**digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def format_value(value, digits: int = 3) -> str:
    """Text of one table cell: blanks for missing values, ``digits`` significant digits.

    Examples
    --------
    >>> [format_value(v) for v in (None, float("nan"), 3, 0.123456, 12345.6, True, "<5")]
    ['', '', '3', '0.123', '12,346', 'yes', '<5']
    """
    if is_missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return _format_float(float(value), digits)
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat(" ")
    return str(value)


def count_text(n: int, min_cell: int) -> str:
    """A count as shown: ``"<min_cell"`` from 1 to ``min_cell - 1``, else with thousands commas.

    Examples
    --------
    >>> count_text(3, 5), count_text(0, 5), count_text(12345, 5)
    ('<5', '0', '12,345')
    """
    return small_mark(min_cell) if 0 < n < min_cell else f"{n:,}"
