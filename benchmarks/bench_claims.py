"""Benchmark step: evaluating every claim of the catalogue on the bundle (after loading it)."""

from __future__ import annotations

from common import main


def run(step) -> None:
    from outcomes.claims.evaluate import evaluate_claims

    log = step.load()
    with step.timer():
        claims = evaluate_claims(log)
    step.result["claims"] = len(claims.table)


if __name__ == "__main__":
    main(run)
