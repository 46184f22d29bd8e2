"""Numbers to text: counts, shares, intervals, hours, ratios — one rule for every output.

Every door data leave by (HTML pages, the PDF, the workbook's text cells, Word, the dashboard and
the plots) writes a number through these functions, so ``1591`` is ``1,591`` everywhere, a share
is a percentage with a sensible number of digits, an interval reads ``48% (43–53%)``, hours of
three days and more read as days, and no 0, 1 or small number ever prints in scientific notation.

Written by hand: Python's format mini-language does the digits; what it does not do is choose
them per kind of quantity (a share near 0 or 1 needs a decimal, 48% does not), which is the
whole of this module.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

import numpy as np
import pandas as pd

from ..disclosure import small_mark

__all__ = ["KINDS", "is_missing", "to_number", "format_value",
           "format_number", "format_count", "count_text",
           "format_share", "format_hours", "format_estimate", "format_interval"]

#: The kinds of quantity an estimate can be, and the text of each (see :func:`format_estimate`).
KINDS = ("share", "points", "ratio", "hours", "days", "sessions", "minutes", "score", "number",
         "count")

#: Values this close to 0 or 1 are printed as 0 or 1 (a Wilson bound of 1e-17 is 0).
SNAP = 1e-12


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


def to_number(value) -> float | None:
    """``value`` as a float, or None when it is missing or not a number (``"<5"``, ``"*"``).

    Examples
    --------
    >>> to_number("0.5"), to_number("<5"), to_number(None), to_number(float("nan"))
    (0.5, None, None, None)
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if is_missing(x) else x


def _snap(x: float) -> float:
    for target in (0.0, 1.0, -1.0):
        if abs(x - target) < SNAP:
            return target
    return x


def format_number(x, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, thousands separators, never in e-notation.

    Examples
    --------
    >>> [format_number(v) for v in (0, 1e-17, 0.123456, 0.000123456, 12345.6, 2.5, -0.5, 1.0)]
    ['0', '0', '0.123', '0.000123', '12,346', '2.5', '-0.5', '1']
    >>> format_number(float("inf")), format_number(None)
    ('∞', '')
    """
    if is_missing(x):
        return ""
    x = _snap(float(x))
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    text = f"{abs(x):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("-" if x < 0 else "") + text


def format_count(n) -> str:
    """A count with thousands separators.

    Examples
    --------
    >>> format_count(1591), format_count(3.0), format_count(None)
    ('1,591', '3', '')
    """
    if is_missing(n):
        return ""
    return f"{int(round(float(n))):,}"


def count_text(n: int, min_cell: int) -> str:
    """A count as shown: ``"<min_cell"`` from 1 to ``min_cell - 1``, else with thousands commas.

    Examples
    --------
    >>> count_text(3, 5), count_text(0, 5), count_text(12345, 5)
    ('<5', '0', '12,345')
    """
    return small_mark(min_cell) if 0 < n < min_cell else f"{n:,}"


def _percent_digits(v: float) -> int:
    """Decimals of a percentage ``v``: one near 0% and 100%, none in between."""
    return 1 if (v < 10 or v > 90) else 0


def format_share(p, sign: bool = False) -> str:
    """A share (0–1) as a percentage: ``48%``, ``4.2%``, ``99.7%``, ``<0.1%``, never ``1e-17%``.

    Examples
    --------
    >>> [format_share(p) for p in (0.4821, 0.0423, 0.997, 0.0001, 1e-17, 1.0, 0.99999)]
    ['48%', '4.2%', '99.7%', '<0.1%', '0%', '100%', '>99.9%']
    """
    if is_missing(p):
        return ""
    p = _snap(float(p))
    v = 100 * p
    if 0 < v < 0.05:
        return "<0.1%"
    if 99.95 < v < 100:
        return ">99.9%"
    if v in (0.0, 100.0):
        return f"{v:.0f}%"
    text = f"{abs(v):.{_percent_digits(abs(v))}f}%"
    if v < 0:
        return "-" + text
    return ("+" + text) if sign and v > 0 else text


def _points(x: float) -> str:
    """A difference of shares in percentage points, signed, one decimal."""
    v = 100 * _snap(float(x))
    text = f"{abs(v):.1f}"
    return ("-" if v < 0 and text != "0.0" else "+" if v > 0 and text != "0.0" else "") + text


def format_hours(h) -> str:
    """Hours as hours up to three days, as days beyond: ``25 h``, ``4 days``.

    Examples
    --------
    >>> [format_hours(h) for h in (0, 24, 25.5, 48, 72, 96, 180)]
    ['0 h', '24 h', '25.5 h', '48 h', '72 h', '4 days', '7.5 days']
    """
    if is_missing(h):
        return ""
    h = float(h)
    if math.isinf(h):
        return "not reached"
    if h <= 72:
        return f"{format_number(h, 3)} h"
    days = h / 24
    return f"{format_number(days, 2)} day" + ("" if days == 1 else "s")


def format_value(value, digits: int = 3) -> str:
    """Text of one table cell: blanks for missing values, ``digits`` significant digits.

    Examples
    --------
    >>> [format_value(v) for v in (None, float("nan"), 3, 0.123456, 12345.6, True, "<5", 1e-17)]
    ['', '', '3', '0.123', '12,346', 'yes', '<5', '0']
    """
    if is_missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return format_number(float(value), digits)
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat(" ")
    return str(value)


def _unit_word(n: float, singular: str) -> str:
    return singular if abs(n) == 1 else singular + "s"


def format_estimate(x, kind: str = "number") -> str:
    """An estimate of one kind (:data:`KINDS`) as text, with its unit.

    Examples
    --------
    >>> [format_estimate(v, k) for v, k in ((0.91, "share"), (0.096, "points"), (4.2, "ratio"),
    ...  (25, "hours"), (5, "sessions"), (39, "minutes"), (3.04, "score"), (1581, "count"))]
    ['91.0%', '+9.6 points', '4.2×', '25 h', '5 sessions', '39 min', '3.04', '1,581']
    """
    if is_missing(x):
        return ""
    x = float(x)
    if kind == "share":
        return format_share(x)
    if kind == "points":
        return _points(x) + " points"
    if kind == "ratio":
        return format_number(x, 2) + ("" if math.isinf(x) else "×")
    if kind == "hours":
        return format_hours(x)
    if kind == "days":
        return f"{format_number(x, 3)} {_unit_word(x, 'day')}"
    if kind == "sessions":
        return "not reached" if math.isinf(x) else \
            f"{format_number(x, 3)} {_unit_word(x, 'session')}"
    if kind == "minutes":
        return f"{format_number(x, 3)} min"
    if kind == "count":
        return format_count(x)
    return format_number(x, 3)


def format_interval(estimate, low, high, kind: str = "number") -> str:
    """An estimate with its interval in the estimate's unit: ``48% (43–53%)``.

    A missing bound leaves the interval out; an infinite upper bound reads "not reached" for
    sessions and hours (a Kaplan–Meier median whose interval never closes).

    Examples
    --------
    >>> format_interval(0.48, 0.43, 0.53, "share")
    '48% (43–53%)'
    >>> format_interval(5, 3, float("inf"), "sessions")
    '5 sessions (3 to not reached)'
    >>> format_interval(0.096, 0.051, 0.142, "points")
    '+9.6 points (+5.1 to +14.2)'
    >>> format_interval(0.5, None, None, "share")
    '50%'
    >>> format_interval(25, 24, 26, "hours"), format_interval(60, 48, 96, "hours")
    ('25 h (24–26 h)', '60 h (48 h to 4 days)')
    """
    est = format_estimate(estimate, kind)
    if is_missing(low) or is_missing(high):
        return est
    if kind == "share":
        return f"{est} ({format_share(low).rstrip('%')}–{format_share(high)})"
    if kind == "points":
        return f"{est} ({_points(low)} to {_points(high)})"
    if kind in ("sessions", "hours") and math.isinf(float(high)):
        lo = format_number(low, 3) if kind == "sessions" else format_hours(low)
        return f"{est} ({lo} to not reached)"
    lo, hi = (format_estimate(v, kind) for v in (low, high))
    lo_num, _, lo_unit = lo.partition(" ")
    hi_unit = hi.partition(" ")[2]
    if kind == "ratio":
        return f"{est} ({lo.rstrip('×')}–{hi})"
    if lo_unit and lo_unit.rstrip("s") == hi_unit.rstrip("s"):
        return f"{est} ({lo_num}–{hi})"
    return f"{est} ({lo} to {hi})" if lo_unit else f"{est} ({lo}–{hi})"
