"""Truths of the scenarios of ``tests/test_claims_scenarios.py``, computed instead of calibrated.

Each scenario there is one simulation whose every claim should get the verdict its truth
implies. For most claims the truth is exact: :meth:`SimulationParams.truth` gives it in closed
form (``outcomes.simulate.truth``; the test checks those values against it). For the claims in
``APPROXIMATE_TRUTHS`` it gives the latent value only, before rater error, rounding to each
scale's resolution and clipping, and before the late gain seen at follow-up: the recorded
means of final improvement (``effective-<condition>``, ``professional-beats-home``,
``alcohol-reduces-effect``), the follow-up minus end difference, the Kaplan-Meier median of
sessions to a major improvement (``acne-scars-4-6-sessions``) and the median session duration
(recorded in whole minutes). Their truth, what the pipeline's estimate converges to, is taken
here from ``DRAWS`` independent bundles of ``PATIENTS`` patients each with the scenario's
knobs, through the pipeline the test uses (simulate -> write -> load -> evaluate_claims): the
mean of the draws, with the SE of that mean from their spread. For the median of sessions the
survival at the range's ends (S(4) and S(6): the median is at most 6 iff S(6) <= 0.5) is
stored too, since the median itself is a whole number.

Writes ``scenario_truths.json`` beside this file: per scenario, the fingerprint of its
parameters (the test refuses values of other parameters), the exact truths, and the recorded
ones with their SEs. Run from the repository root (about a minute):

    python tests/reference/make_scenario_truths.py

Rerun it when a scenario, the simulator or an estimator of those claims changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import test_claims_scenarios as scenarios  # noqa: E402
from outcomes.bundle.load import load_bundle  # noqa: E402
from outcomes.bundle.write import write_bundle  # noqa: E402
from outcomes.claims.evaluate import evaluate_claims  # noqa: E402
from outcomes.simulate.draw import simulate  # noqa: E402
from outcomes.simulate.params import SimulationParams  # noqa: E402
from outcomes.simulate.truth import APPROXIMATE_TRUTHS  # noqa: E402

PATIENTS = 40_000
DRAWS = 3
REFERENCE_SEED = 88_000
#: The median of sessions: the survival stored at these numbers of sessions.
SESSIONS_AT = (4, 6)


def fingerprint(p: SimulationParams) -> str:
    """A digest of every parameter (the stored truths are only for these)."""
    text = json.dumps({f: repr(getattr(p, f)) for f in sorted(vars(p))}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _draw(p: SimulationParams, seed: int) -> dict[str, float]:
    tables = simulate(PATIENTS, seed, p)
    with tempfile.TemporaryDirectory() as folder:
        write_bundle(tables, folder, format="parquet")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = evaluate_claims(load_bundle(folder))
    t = result.table.set_index("id")
    out = {k: float(t.loc[k, "estimate"]) for k in APPROXIMATE_TRUTHS if k in t.index}
    km = result.supporting.get("acne-scars-4-6-sessions")
    if km is not None:
        for k in SESSIONS_AT:
            before = km[km["time"] <= k]
            out[f"acne-scars-4-6-sessions S({k})"] = (
                float(before["survival"].iloc[-1]) if len(before) else 1.0)
    return out


def truths(name: str) -> dict:
    p = scenarios.params_of(name)
    exact = {k: v for k, v in p.truth().items() if k not in APPROXIMATE_TRUTHS}
    draws = [_draw(p, REFERENCE_SEED + d) for d in range(DRAWS)]
    recorded = {}
    for key in draws[0]:
        v = np.array([d[key] for d in draws])
        if np.isnan(v).all():
            continue  # the scenario has no units for it
        finite = np.isfinite(v).all()
        recorded[key] = {"value": float(v.mean()) if finite else math.inf,
                         "se": float(v.std(ddof=1) / math.sqrt(len(v))) if finite else 0.0,
                         "draws": [float(x) for x in v]}
    return {"fingerprint": fingerprint(p), "patients": PATIENTS, "draws": DRAWS,
            "seeds": [REFERENCE_SEED + d for d in range(DRAWS)], "exact": exact,
            "recorded": recorded}


def main() -> None:
    out = {name: truths(name) for name in scenarios.SCENARIOS}
    (HERE / "scenario_truths.json").write_text(json.dumps(out, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
