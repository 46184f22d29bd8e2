"""Reference truths of the calibration study: the claims without a closed-form truth.

The mean final improvement of a condition, as recorded (each scale's rater error, rounding to
its resolution and clipping to its range, the choice of the final assessment among follow-up,
end of treatment and the latest interim), and the Kaplan-Meier median number of sessions to a
major improvement have no closed form in ``outcomes.simulate.truth`` (it gives the latent
values, ``APPROXIMATE_TRUTHS``). Their truth in each scenario of ``tests/calibration.py`` is
taken here as the pipeline's own estimate on very large clinics of that scenario: ``DRAWS``
independent bundles of ``PATIENTS`` patients each (simulate -> write -> load ->
evaluate_claims), whose mean is the truth and whose spread between draws gives its Monte-Carlo
SE (the SE of the mean of the draws). At 100,000 patients per draw, that SE is about 0.001 for a
condition's mean improvement, against interval half-widths of 0.05 and more at the study's
largest size (500 patients): it moves no coverage measurably. The median of sessions is a whole
number; every draw gives the same one unless the population survival sits at 0.5 (then the
SE says so).

Writes ``calibration_truth.json`` beside this file: per scenario, the fingerprint of its
parameters (``tests/calibration.py`` refuses stored values of other parameters), the patients
and draws, and per claim the value and its SE. Run from the repository root:

    python tests/reference/make_calibration_truth.py [--patients N] [--draws K]

Rerun it when a scenario or an estimator of those claims changes (``make calibration`` does).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import calibration as study  # noqa: E402  (tests/calibration.py)

PATIENTS = 100_000
DRAWS = 4
#: Seeds of the draws: apart from every seed of the study's replicates.
REFERENCE_SEED = 77_000


def reference(name: str, patients: int, draws: int) -> dict:
    values: dict[str, list[float]] = {c: [] for c in study.REFERENCE_CLAIMS}
    for d in range(draws):
        rows = study.run_bundle(name, patients, REFERENCE_SEED + d).set_index("id")
        for claim in values:
            values[claim].append(float(rows.loc[claim, "estimate"]) if claim in rows.index
                                 else math.nan)
    out = {}
    for claim, v in values.items():
        v = np.array(v)
        if np.isnan(v).all():
            continue  # no courses of the condition in this scenario
        finite = np.isfinite(v)
        value = float(v.mean()) if finite.all() else math.inf
        se = float(v.std(ddof=1) / math.sqrt(len(v))) if finite.all() and len(v) > 1 else 0.0
        out[claim] = {"value": value, "se": se, "draws": [float(x) for x in v]}
    return {"fingerprint": study.fingerprint(name), "patients": patients, "draws": draws,
            "seeds": [REFERENCE_SEED + d for d in range(draws)], "values": out}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--draws", type=int, default=DRAWS)
    args = parser.parse_args(argv)
    result = {}
    for name in study.SCENARIOS:
        start = time.perf_counter()
        result[name] = reference(name, args.patients, args.draws)
        print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    (HERE / "calibration_truth.json").write_text(json.dumps(result, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
