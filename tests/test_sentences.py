"""The claim sentences (report/sentences.py): one per claim, every verdict with its why."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from outcomes.claims.catalogue import load_catalogue
from outcomes.output.labels import codes
from outcomes.report.sentences import claim_sentences, needs

CAT = load_catalogue()


def _row(id, verdict, estimate=None, low=None, high=None, n=100, **kw):
    claim = CAT.claim(id)
    return dict(id=id, verdict=verdict, estimate=estimate, ci_low=low, ci_high=high, n=n,
                unit=claim.unit, reason=kw.pop("reason", ""), basis=kw.pop("basis", ""), **kw)


def _one(row) -> str:
    return claim_sentences(pd.DataFrame([row]), CAT).loc[row["id"]]


def test_brief_example():
    s = _one(_row("redness-24-48h", "inconclusive", 0.911, 0.880, 0.936))
    assert s == ("Share of redness (erythema) episodes resolved within 48 h: 91.1% (88.0–93.6%); "
                 "the claim needs at least 90%: inconclusive, because the interval reaches "
                 "below 90%.")


@pytest.mark.parametrize("verdict, est, low, high, why", [
    ("supported", 0.95, 0.92, 0.97, "the whole interval lies at or above 90%"),
    ("contradicted", 0.70, 0.60, 0.80, "the whole interval lies below 90%"),
    ("inconclusive", 0.91, 0.85, 0.95, "the interval reaches below 90%"),
])
def test_every_verdict_says_why(verdict, est, low, high, why):
    s = _one(_row("redness-24-48h", verdict, est, low, high))
    assert f": {verdict}, because {why}." in s


def test_range_claim_in_its_unit():
    s = _one(_row("session-15-20-min", "contradicted", 39, 37, 40, unit_n=1))
    assert "39 min (37–40 min)" in s
    assert "needs between 15 and 20 min" in s
    assert "contradicted, because the whole interval lies above the claimed range" in s
    s = _one(_row("acne-scars-4-6-sessions", "inconclusive", 5, 3, 6))
    assert "sessions to a major improvement in acne scars: 5 (3–6);" in s
    assert "needs between 4 and 6 sessions" in s and s.endswith("reaches below 4.")


def test_comparative_names_its_basis():
    s = _one(_row("professional-beats-home", "supported", 0.088, 0.045, 0.131,
                  basis="adjusted for condition, baseline severity, age band"))
    assert "+8.8 points (+4.5 to +13.1)" in s
    assert "needs more than 0 points" in s
    assert "supported, because the whole interval lies above 0 points" in s
    assert s.endswith("The verdict rests on the estimate adjusted for condition, baseline "
                      "severity and age band.")
    assert "The verdict rests" not in _one(_row("minimal-pain", "supported", 2.5, 2.4, 2.6))


def test_withheld_estimate_prints_no_number():
    row = _row("redness-24-48h", "inconclusive", None, None, None, n="<5",
               reason="only … events; a verdict needs at least …",
               suppressed="estimates withheld: n below 5 or hidden")
    s = _one(row)
    assert ": withheld;" in s and "the estimate is withheld" in s
    assert "…" not in s
    assert not re.search(r"\d+(\.\d+)?%", s.split("needs")[0])  # no estimate before the need
    assert "a verdict needs at least 10" in s


def test_too_few_units():
    s = _one(_row("effective-rosacea", "inconclusive", 0.1, -0.1, 0.3, n=4))
    assert "because 4 courses are too few: a verdict needs at least 10" in s


def test_not_testable_reason_in_words():
    s = _one(_row("effective-stretch_marks", "not_testable", n=0,
                  reason="no courses of stretch_marks with a final improvement"))
    assert "not testable, because no courses of stretch marks with a final improvement." in s
    assert "stretch_marks" not in s


def test_one_sentence_per_claim_without_codes():
    rows = [_row(c.id, "inconclusive", 0.5, 0.2, 0.8) for c in CAT]
    s = claim_sentences(pd.DataFrame(rows), CAT)
    assert list(s.index) == [c.id for c in CAT]
    raw = codes()
    for text in s:
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+", text))
        assert not words & raw, (text, words & raw)


def test_unknown_claim_falls_back_to_its_statement():
    row = dict(id="my-claim", statement="Something holds.", verdict="supported", reason="")
    assert claim_sentences(pd.DataFrame([row]), CAT).loc["my-claim"] == \
        "Something holds.: supported."


def test_needs_in_the_claims_unit():
    assert needs(CAT.claim("safe-all-skin-types")) == "at most 5 points"
    assert needs(CAT.claim("minimal-pain")) == "at most 3"
