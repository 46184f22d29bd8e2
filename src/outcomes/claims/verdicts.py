"""The three verdict rules of the claims catalogue, and nothing else.

- **range [lo, hi]**: supported if the interval lies inside [lo, hi]; contradicted if it misses it
  entirely.
- **at least T**: supported if the interval's lower end >= T (> T when strict); contradicted if
  its upper end < T (<= T when strict).
- **at most T**: supported if the upper end <= T (< T when strict); contradicted if the lower
  end > T (>= T when strict).

Anything else is ``inconclusive``; so is an estimate resting on fewer units than the claim's
minimum, whatever its interval.
"""

from __future__ import annotations

import math

__all__ = [
    "SUPPORTED",
    "CONTRADICTED",
    "INCONCLUSIVE",
    "NOT_TESTABLE",
    "VERDICTS",
    "RULES",
    "decide",
    "describe_rule",
]

SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_TESTABLE = (
    "supported", "contradicted", "inconclusive", "not_testable")
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_TESTABLE)
RULES = ("range", "at_least", "at_most")


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def describe_rule(rule: str, low=None, high=None, threshold=None, strict=False) -> str:
    """Plain words for a rule, e.g. ``"between 4 and 6"`` or ``"more than 0"``."""
    if rule == "range":
        return f"between {_fmt(low)} and {_fmt(high)}"
    if rule == "at_least":
        return f"{'more than' if strict else 'at least'} {_fmt(threshold)}"
    if rule == "at_most":
        return f"{'less than' if strict else 'at most'} {_fmt(threshold)}"
    raise ValueError(f"unknown rule {rule!r}; rules are {RULES}")


def decide(
    ci_low: float,
    ci_high: float,
    rule: str,
    *,
    low: float | None = None,
    high: float | None = None,
    threshold: float | None = None,
    strict: bool = False,
    n: int | None = None,
    min_units: int = 10,
) -> tuple[str, str]:
    """Return ``(verdict, reason)`` for an interval under a rule.

    Parameters
    ----------
    ci_low, ci_high : float
        The 95% interval (an infinite end is allowed, e.g. an unreached Kaplan–Meier median).
    rule : {"range", "at_least", "at_most"}
    low, high : float
        Bounds of a ``range`` rule.
    threshold : float
        Threshold of an ``at_least`` or ``at_most`` rule.
    strict : bool
        Whether the claim is strict (``>`` rather than ``>=``).
    n, min_units : int
        Units the estimate rests on, and the fewest a verdict needs.

    Returns
    -------
    verdict : str
        One of ``supported``, ``contradicted``, ``inconclusive``.
    reason : str
        Empty when supported or contradicted; otherwise why not, in plain words.

    Examples
    --------
    >>> decide(4.2, 5.5, "range", low=4, high=6)
    ('supported', '')
    >>> decide(0.93, 0.99, "at_most", threshold=0.05)[0]
    'contradicted'
    """
    claimed = describe_rule(rule, low, high, threshold, strict)
    if n is not None and n < min_units:
        return INCONCLUSIVE, (
            f"only {n} units; a verdict needs at least {min_units}")
    if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in (ci_low, ci_high)):
        return INCONCLUSIVE, "no interval could be computed"
    if rule == "range":
        if low <= ci_low and ci_high <= high:
            return SUPPORTED, ""
        if ci_high < low or ci_low > high:
            return CONTRADICTED, ""
    elif rule == "at_least":
        if ci_low > threshold or (not strict and ci_low == threshold):
            return SUPPORTED, ""
        if ci_high < threshold or (strict and ci_high == threshold):
            return CONTRADICTED, ""
    elif rule == "at_most":
        if ci_high < threshold or (not strict and ci_high == threshold):
            return SUPPORTED, ""
        if ci_low > threshold or (strict and ci_low == threshold):
            return CONTRADICTED, ""
    else:
        raise ValueError(f"unknown rule {rule!r}; rules are {RULES}")
    return INCONCLUSIVE, (
        f"the interval {_fmt(ci_low)} to {_fmt(ci_high)} straddles the claim ({claimed})")
