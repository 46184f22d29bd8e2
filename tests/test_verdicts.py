"""The three verdict rules, case by case (worked by hand from the rules in verdicts.py)."""

from __future__ import annotations

import math

import pytest

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
