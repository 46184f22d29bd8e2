"""docs/results.md is the results summary of the sample bundle, and it is current."""

from __future__ import annotations

import warnings
from pathlib import Path

import outcomes

ROOT = Path(__file__).resolve().parents[1]


def test_results_doc_is_current():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = outcomes.load_bundle(ROOT / "data" / "sample")
        results = outcomes.analyse(log)
        claims = outcomes.evaluate_claims(log).table
    doc = (ROOT / "docs" / "results.md").read_text("utf-8")
    assert doc == results.to_markdown() + "\n", "docs/results.md is stale: run 'make results'"
    # every claim of the catalogue is in the document's claims table, in the catalogue's order,
    # with the verdict that evaluating the claims on their own gives
    section = doc.split("\n## Claims\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ")]
    reported = {cells[0].removeprefix("| "): cells[1] for cells in rows[1:]}  # past the header
    assert list(reported) == [claim.id for claim in outcomes.load_catalogue().claims]
    assert reported == dict(zip(claims["id"], claims["verdict"], strict=True))
