"""docs/results.md is the results summary of the sample bundle, and it is current."""

from __future__ import annotations

import warnings
from pathlib import Path

import outcomes

ROOT = Path(__file__).resolve().parents[1]


def test_results_doc_is_current():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = outcomes.analyse(outcomes.load_bundle(ROOT / "data" / "sample"))
    expected = results.to_markdown() + "\n"
    assert (ROOT / "docs" / "results.md").read_text("utf-8") == expected, (
        "docs/results.md is stale: run 'make results'")
    # every claim of the catalogue is reported with its verdict
    for row in results.claims.table.itertuples():
        assert f"| {row.id} | {row.verdict} |" in expected
