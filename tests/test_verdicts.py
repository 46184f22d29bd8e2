"""The three verdict rules, case by case (worked by hand from the rules in verdicts.py), at
their edges (ties with the threshold, strict and inclusive; range endpoints; ``n`` at and one
below ``min_units``), and against a plain set-based reference implementation (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.claims.verdicts import VERDICTS, Decision, Rule, Verdict, decide, describe_rule
from outcomes.errors import ParameterError

CASES = [
    # (ci_low, ci_high, rule, kwargs, expected)
    (4.2, 5.5, "range", dict(low=4, high=6), "supported"),
    (4.0, 6.0, "range", dict(low=4, high=6), "supported"),  # bounds are inclusive
    (3.5, 5.5, "range", dict(low=4, high=6), "inconclusive"),
    (6.5, 8.0, "range", dict(low=4, high=6), "contradicted"),
    (1.0, 3.9, "range", dict(low=4, high=6), "contradicted"),
    (2.0, math.inf, "range", dict(low=4, high=6), "inconclusive"),  # unreached KM median
    (0.92, 0.97, "at_least", dict(threshold=0.9), "supported"),
    (0.90, 0.97, "at_least", dict(threshold=0.9), "supported"),
    (0.85, 0.97, "at_least", dict(threshold=0.9), "inconclusive"),
    (0.70, 0.89, "at_least", dict(threshold=0.9), "contradicted"),
    (0.0, 0.3, "at_least", dict(threshold=0, strict=True), "inconclusive"),  # strict: > 0
    (0.01, 0.3, "at_least", dict(threshold=0, strict=True), "supported"),
    (-0.3, 0.0, "at_least", dict(threshold=0, strict=True), "contradicted"),
    (-0.3, -0.1, "at_least", dict(threshold=0, strict=True), "contradicted"),
    (0.01, 0.04, "at_most", dict(threshold=0.05), "supported"),
    (0.01, 0.05, "at_most", dict(threshold=0.05), "supported"),
    (0.01, 0.09, "at_most", dict(threshold=0.05), "inconclusive"),
    (0.06, 0.09, "at_most", dict(threshold=0.05), "contradicted"),
    (-0.2, 0.0, "at_most", dict(threshold=0, strict=True), "inconclusive"),  # strict: < 0
    (-0.2, -0.01, "at_most", dict(threshold=0, strict=True), "supported"),
    (0.0, 0.2, "at_most", dict(threshold=0, strict=True), "contradicted"),
]


@pytest.mark.parametrize("low, high, rule, kwargs, expected", CASES)
def test_rules(low, high, rule, kwargs, expected):
    d = decide(low, high, rule, **kwargs)
    verdict, reason = d.verdict, d.reason
    assert verdict == expected
    assert (reason == "") == (expected != "inconclusive")


def test_too_few_units_is_inconclusive_and_says_so():
    d = decide(0.95, 0.99, "at_least", threshold=0.9, n=7, min_units=10)
    verdict, reason = d.verdict, d.reason
    assert verdict == "inconclusive"
    assert "only 7 units" in reason and "at least 10" in reason


def test_missing_interval_is_inconclusive():
    assert decide(float("nan"), 1.0, "at_least", threshold=0.5).verdict == "inconclusive"


def test_straddle_reason_names_the_interval_and_claim():
    reason = decide(3.5, 5.5, "range", low=4, high=6).reason
    assert "3.5 to 5.5" in reason and "between 4 and 6" in reason


def test_describe_rule_and_unknown_rule():
    assert describe_rule("at_least", threshold=0, strict=True) == "more than 0"
    assert describe_rule("at_most", threshold=3) == "at most 3"
    with pytest.raises(ValueError, match="unknown rule"):
        decide(0, 1, "about")


def test_verdicts_and_rules_are_str_enums_equal_to_their_words():
    assert [str(v) for v in VERDICTS] == ["supported", "contradicted", "inconclusive",
                                          "not_testable"]
    assert Verdict.NOT_TESTABLE == "not_testable" and f"{Verdict.SUPPORTED}" == "supported"
    assert [r.value for r in Rule] == ["range", "at_least", "at_most"]
    assert Rule("range").bounds == ("low", "high") and Rule.AT_MOST.bounds == ("threshold",)
    assert describe_rule(Rule.RANGE, low=4, high=6) == "between 4 and 6"


def test_decide_returns_a_decision():
    d = decide(0.2, 0.4, Rule.AT_LEAST, threshold=0.3)
    assert isinstance(d, Decision) and d.verdict is Verdict.INCONCLUSIVE
    assert d.claimed == "at least 0.3" and d.claimed in d.reason
    assert decide(0.95, 0.99, "at_least", threshold=0.9, n=3, unit="courses").reason.startswith(
        "only 3 courses")
    with pytest.raises(ParameterError, match="range, at_least, at_most"):
        describe_rule("about", threshold=1)


# ---------------------------------------------------------------------------- at the edges
T = 0.9
EDGES = [
    # (ci_low, ci_high, rule, kwargs, expected): ties at the threshold, inclusive and strict
    (T, 0.95, "at_least", dict(threshold=T), "supported"),  # lower end on T: >= T holds
    (T, 0.95, "at_least", dict(threshold=T, strict=True), "inconclusive"),  # > T unproven
    (0.8, T, "at_least", dict(threshold=T), "inconclusive"),  # upper end on T: T possible
    (0.8, T, "at_least", dict(threshold=T, strict=True), "contradicted"),  # > T excluded
    (T, T, "at_least", dict(threshold=T), "supported"),
    (T, T, "at_least", dict(threshold=T, strict=True), "contradicted"),
    (0.8, T, "at_most", dict(threshold=T), "supported"),  # upper end on T: <= T holds
    (0.8, T, "at_most", dict(threshold=T, strict=True), "inconclusive"),
    (T, 0.95, "at_most", dict(threshold=T), "inconclusive"),  # lower end on T: T possible
    (T, 0.95, "at_most", dict(threshold=T, strict=True), "contradicted"),
    (T, T, "at_most", dict(threshold=T), "supported"),
    (T, T, "at_most", dict(threshold=T, strict=True), "contradicted"),
    # range endpoints exactly at low and high (inclusive bounds)
    (4.0, 5.0, "range", dict(low=4, high=6), "supported"),
    (5.0, 6.0, "range", dict(low=4, high=6), "supported"),
    (4.0, 4.0, "range", dict(low=4, high=6), "supported"),
    (6.0, 6.0, "range", dict(low=4, high=6), "supported"),
    (3.0, 4.0, "range", dict(low=4, high=6), "inconclusive"),  # touches low: not disjoint
    (6.0, 7.0, "range", dict(low=4, high=6), "inconclusive"),  # touches high
    (3.0, math.nextafter(4.0, 0), "range", dict(low=4, high=6), "contradicted"),
    (math.nextafter(6.0, 7), 7.0, "range", dict(low=4, high=6), "contradicted"),
    (3.0, 7.0, "range", dict(low=4, high=6), "inconclusive"),  # holds the whole range
    (math.nextafter(4.0, 0), 6.0, "range", dict(low=4, high=6), "inconclusive"),
    (4.0, math.nextafter(6.0, 7), "range", dict(low=4, high=6), "inconclusive"),
    # infinite ends (an unreached Kaplan-Meier median, an unbounded ratio)
    (5.0, math.inf, "at_least", dict(threshold=T), "supported"),
    (-math.inf, 0.5, "at_least", dict(threshold=T), "contradicted"),
    (-math.inf, math.inf, "at_most", dict(threshold=T), "inconclusive"),
    (7.0, math.inf, "range", dict(low=4, high=6), "contradicted"),
]


@pytest.mark.parametrize("low, high, rule, kwargs, expected", EDGES)
def test_ties_and_endpoints(low, high, rule, kwargs, expected):
    assert decide(low, high, rule, **kwargs).verdict == expected


@pytest.mark.parametrize("rule, kwargs", [("at_least", dict(threshold=T)),
                                          ("at_most", dict(threshold=0.05)),
                                          ("range", dict(low=4, high=6))])
def test_n_at_the_minimum_is_judged_and_one_below_is_not(rule, kwargs):
    inside = {"at_least": (0.95, 0.99), "at_most": (0.01, 0.02), "range": (4.5, 5.5)}[rule]
    at = decide(*inside, rule, n=10, min_units=10, **kwargs)
    assert at.verdict == "supported" and at.reason == ""
    below = decide(*inside, rule, n=9, min_units=10, unit="courses", **kwargs)
    assert below.verdict == "inconclusive"
    assert below.reason == "only 9 courses; a verdict needs at least 10"
    # the minimum is the claim's: 1 unit is enough when min_units is 1, 0 never is
    assert decide(*inside, rule, n=1, min_units=1, **kwargs).verdict == "supported"
    assert decide(*inside, rule, n=0, min_units=1, **kwargs).verdict == "inconclusive"
    # no n: the interval alone decides
    assert decide(*inside, rule, **kwargs).verdict == "supported"


# ------------------------------------------------ a property test against a set-based reference
def _reference(ci_low, ci_high, rule, low=None, high=None, threshold=None, strict=False,
               n=None, min_units=10):
    """The rules as sets: the claim is a set of values (closed or open at each end); the
    interval [ci_low, ci_high] is supported if it lies inside it, contradicted if the two
    share no value, inconclusive otherwise (and when too few units or no interval)."""
    if n is not None and n < min_units:
        return "inconclusive"
    if math.isnan(ci_low) or math.isnan(ci_high):
        return "inconclusive"
    # the claim's set: (a, b) with whether each end belongs to it (an infinite end does)
    if rule == "range":
        a, a_in, b, b_in = low, True, high, True
    elif rule == "at_least":
        a, a_in, b, b_in = threshold, not strict, math.inf, True
    else:
        a, a_in, b, b_in = -math.inf, True, threshold, not strict

    def inside(x):
        return (a < x or (x == a and a_in)) and (x < b or (x == b and b_in))

    # the interval is inside the (convex) set iff both its ends are
    if inside(ci_low) and inside(ci_high):
        return "supported"
    # they share no value iff the interval ends before the set starts or starts after it ends
    before = ci_high < a or (ci_high == a and not a_in)
    after = ci_low > b or (ci_low == b and not b_in)
    return "contradicted" if before or after else "inconclusive"


# few distinct values, so that ties between the ends and the bounds are common
_VALUES = st.one_of(st.sampled_from([-math.inf, -1.0, 0.0, 0.05, 0.5, 0.9, 1.0, 4.0, 6.0,
                                     math.inf]),
                    st.floats(-10, 10, allow_nan=False))


@given(ends=st.tuples(_VALUES, _VALUES), bounds=st.tuples(_VALUES, _VALUES),
       rule=st.sampled_from(["range", "at_least", "at_most"]), strict=st.booleans(),
       n=st.one_of(st.none(), st.integers(0, 20)), min_units=st.integers(0, 15),
       nan=st.booleans())
@settings(max_examples=1500, deadline=None)
def test_decide_agrees_with_the_set_based_reference(ends, bounds, rule, strict, n, min_units,
                                                    nan):
    ci_low, ci_high = sorted(ends)
    if nan:
        ci_low = math.nan
    finite = sorted(b for b in bounds if math.isfinite(b)) or [0.0]
    if rule == "range":
        kw = dict(low=finite[0], high=finite[-1])
    else:
        kw = dict(threshold=finite[0], strict=strict)
    got = decide(ci_low, ci_high, rule, n=n, min_units=min_units, **kw)
    assert got.verdict == _reference(ci_low, ci_high, rule, n=n, min_units=min_units, **kw)
    assert (got.reason == "") == (got.verdict != "inconclusive")
