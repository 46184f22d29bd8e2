"""The three verdict rules of the claims catalogue, and nothing else.

- **range [lo, hi]**: supported if the interval lies inside [lo, hi]; contradicted if it misses it
  entirely.
- **at least T**: supported if the interval's lower end >= T (> T when strict); contradicted if
  its upper end < T (<= T when strict).
- **at most T**: supported if the upper end <= T (< T when strict); contradicted if the lower
  end > T (>= T when strict).

Anything else is ``inconclusive``; so is an estimate resting on fewer units than the claim's
minimum, whatever its interval. Verdicts and rules are closed sets (:class:`Verdict`,
:class:`Rule`); both are ``str`` enums, so a member equals its value (``Verdict.SUPPORTED ==
"supported"``) and tables and files show the plain words.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ParameterError
from ..validators import number_text

__all__ = ["Verdict", "Rule", "VERDICTS", "MIN_UNITS", "Decision", "as_rule", "decide",
           "describe_rule"]


class Verdict(enum.StrEnum):
    """What the data say about a claim."""

    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"
    INCONCLUSIVE = "inconclusive"
    NOT_TESTABLE = "not_testable"


class Rule(enum.StrEnum):
    """How a claim's interval is judged (see the module notes)."""

    RANGE = "range"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"

    @property
    def bounds(self) -> tuple[str, ...]:
        """The fields of a claim that bound this rule: ``low`` and ``high``, or ``threshold``."""
        return _BOUNDS[self]


_BOUNDS = {Rule.RANGE: ("low", "high"), Rule.AT_LEAST: ("threshold",),
           Rule.AT_MOST: ("threshold",)}


#: The verdicts, in the order tables and legends show them.
VERDICTS: tuple[Verdict, ...] = tuple(Verdict)
#: The fewest units a verdict other than ``inconclusive`` rests on, unless a claim says otherwise.
MIN_UNITS = 10


@dataclass(frozen=True)
class Decision:
    """The verdict on one interval under one rule.

    Attributes
    ----------
    verdict : Verdict
        ``supported``, ``contradicted`` or ``inconclusive``.
    reason : str
        Empty when supported or contradicted; otherwise why not, in plain words.
    claimed : str
        The rule in words (:func:`describe_rule`), e.g. ``"between 4 and 6"``.
    """

    verdict: Verdict
    reason: str = ""
    claimed: str = ""


def _one(unit: str) -> str:
    """A unit word for one unit: ``courses`` -> ``course``."""
    return unit[:-1] if unit.endswith("s") else unit


def _text(x: float) -> str:
    return number_text(x, 3)


def as_rule(rule: str | Rule) -> Rule:
    """Return ``rule`` as a :class:`Rule`.

    Raises
    ------
    ParameterError
        If ``rule`` is not one of the rules (the message lists them).
    """
    try:
        return Rule(rule)
    except ValueError:
        raise ParameterError(f"unknown rule {rule!r}; rules are "
                             f"{', '.join(r.value for r in Rule)}") from None


#: Rule -> (low, high, threshold, strict) -> the rule in words.
_WORDS: dict[Rule, Callable[..., str]] = {
    Rule.RANGE: lambda low, high, threshold, strict: f"between {_text(low)} and {_text(high)}",
    Rule.AT_LEAST: lambda low, high, threshold, strict:
        f"{'more than' if strict else 'at least'} {_text(threshold)}",
    Rule.AT_MOST: lambda low, high, threshold, strict:
        f"{'less than' if strict else 'at most'} {_text(threshold)}",
}


def describe_rule(rule: str | Rule, *, low=None, high=None, threshold=None,
                  strict: bool = False) -> str:
    """Plain words for a rule, e.g. ``"between 4 and 6"`` or ``"more than 0"``.

    >>> describe_rule("at_least", threshold=0, strict=True)
    'more than 0'
    """
    return _WORDS[as_rule(rule)](low, high, threshold, strict)


def _range(ci_low, ci_high, low, high, threshold, strict) -> Verdict | None:
    if low <= ci_low and ci_high <= high:
        return Verdict.SUPPORTED
    if ci_high < low or ci_low > high:
        return Verdict.CONTRADICTED
    return None


def _at_least(ci_low, ci_high, low, high, threshold, strict) -> Verdict | None:
    if ci_low > threshold or (not strict and ci_low == threshold):
        return Verdict.SUPPORTED
    if ci_high < threshold or (strict and ci_high == threshold):
        return Verdict.CONTRADICTED
    return None


def _at_most(ci_low, ci_high, low, high, threshold, strict) -> Verdict | None:
    if ci_high < threshold or (not strict and ci_high == threshold):
        return Verdict.SUPPORTED
    if ci_low > threshold or (strict and ci_low == threshold):
        return Verdict.CONTRADICTED
    return None


#: Rule -> (ci_low, ci_high, low, high, threshold, strict) -> a clear verdict, or None.
_JUDGES: dict[Rule, Callable[..., Verdict | None]] = {
    Rule.RANGE: _range,
    Rule.AT_LEAST: _at_least,
    Rule.AT_MOST: _at_most,
}


def decide(
    ci_low: float,
    ci_high: float,
    rule: str | Rule,
    *,
    low: float | None = None,
    high: float | None = None,
    threshold: float | None = None,
    strict: bool = False,
    n: int | None = None,
    min_units: int = MIN_UNITS,
    unit: str = "units",
) -> Decision:
    """Judge an interval under a rule.

    Parameters
    ----------
    ci_low, ci_high : float
        The 95% interval (an infinite end is allowed, e.g. an unreached Kaplan–Meier median).
    rule : Rule or {"range", "at_least", "at_most"}
    low, high : float
        Bounds of a ``range`` rule.
    threshold : float
        Threshold of an ``at_least`` or ``at_most`` rule.
    strict : bool
        Whether the claim is strict (``>`` rather than ``>=``).
    n, min_units : int
        Units the estimate rests on, and the fewest a verdict needs.
    unit : str
        What ``n`` counts, for the reason (``"courses"``...).

    Returns
    -------
    Decision
        The verdict (``supported``, ``contradicted`` or ``inconclusive``), why it is
        inconclusive (empty otherwise), and the rule in words.

    Raises
    ------
    ParameterError
        If ``rule`` is not one of the rules.

    Examples
    --------
    >>> decide(4.2, 5.5, "range", low=4, high=6)
    Decision(verdict=<Verdict.SUPPORTED: 'supported'>, reason='', claimed='between 4 and 6')
    >>> decide(0.93, 0.99, "at_most", threshold=0.05).verdict
    <Verdict.CONTRADICTED: 'contradicted'>
    """
    rule = as_rule(rule)
    claimed = describe_rule(rule, low=low, high=high, threshold=threshold, strict=strict)
    if n is not None and n < min_units:
        return Decision(Verdict.INCONCLUSIVE,
                        f"only {n} {_one(unit) if n == 1 else unit}; a verdict needs at least "
                        f"{min_units}", claimed)
    if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in (ci_low, ci_high)):
        return Decision(Verdict.INCONCLUSIVE, "no interval could be computed", claimed)
    verdict = _JUDGES[rule](ci_low, ci_high, low, high, threshold, strict)
    if verdict is not None:
        return Decision(verdict, "", claimed)
    return Decision(Verdict.INCONCLUSIVE, f"the interval {_text(ci_low)} to {_text(ci_high)} "
                                          f"straddles the claim ({claimed})", claimed)
