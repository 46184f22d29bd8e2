"""Benchmark step: evaluating every claim of the catalogue on a bundle (after loading it)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import main, timer  # noqa: E402


def run(bundle_dir: str) -> dict:
    import outcomes
    from outcomes.claims.evaluate import evaluate_claims

    warnings.simplefilter("ignore")
    result: dict = {}
    with timer(result, "load_seconds"):
        log = outcomes.load_bundle(bundle_dir)
    with timer(result, "seconds"):
        claims = evaluate_claims(log)
    result["claims"] = len(claims.table)
    return result


if __name__ == "__main__":
    main(run)
