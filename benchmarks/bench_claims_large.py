"""Benchmark step: simulate, write (Parquet), load and evaluate the claims of a large bundle.

20,000 simulated patients (about 100,000 sessions) for ``--sessions 1000000``, in proportion
otherwise; the whole must take under 60 s (measured about 5 s on two busy cores): the bound
catches an algorithm that loops over patients, not noise. ``tests/test_claims_large.py`` checks
the verdicts and estimates of such a bundle.
"""

from __future__ import annotations

import tempfile

from common import main

LIMIT_SECONDS = 60.0
SEED = 7


def run(step) -> None:
    import outcomes

    patients = max(step.sessions // 50, 100)
    with tempfile.TemporaryDirectory() as folder:
        with step.timer():
            tables = outcomes.simulate(patients, SEED)
            outcomes.write_bundle(tables, folder, format="parquet")
            claims = outcomes.evaluate_claims(outcomes.load_bundle(folder))
    step.target("simulate, write, load and evaluate", step.result["seconds"], LIMIT_SECONDS)
    step.result.update(patients=patients, sessions=len(tables["sessions"]),
                       claims=len(claims.table))


if __name__ == "__main__":
    main(run)
