"""Benchmark step: Kaplan-Meier on a million durations, against statsmodels on the same machine.

Durations are exponential (mean 10), 70% of them events, in clusters of about three (300,000
patients for a million durations); the size follows ``--sessions``. Each time is the best of a
few runs. Bounds, relative to statsmodels' ``SurvfuncRight`` (so that they follow the load of
the machine) and absolute: whole hours (the usual case) under 1 s and 3x statsmodels + 0.1 s;
all-distinct times (the worst case) under 4x statsmodels + 0.1 s; clustered under 5 s and 10x
statsmodels + 0.2 s. Anything that builds a units x times or clusters x times matrix is 100 times
slower. Measured on 2 cores at low load: 0.1 s, 0.2 s and 0.5 s; at a load of 8, 0.2, 0.7 and
1.2-1.7 s.
"""

from __future__ import annotations

import math
import time

from common import main


def best_of(n: int, func) -> float:
    """The shortest wall time of ``n`` calls of ``func``."""
    best = math.inf
    for _ in range(n):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def run(step) -> None:
    import numpy as np
    from statsmodels.duration.survfunc import SurvfuncRight

    from outcomes.stats.survival import kaplan_meier

    n = step.sessions
    rng = np.random.default_rng(0)
    t = rng.exponential(10, n)  # all distinct: the worst case, a table of n rows
    e = rng.random(n) < 0.7
    cl = rng.integers(0, max(n * 3 // 10, 2), n)
    hours = np.ceil(t * 4)  # the usual case: whole hours
    ef = e.astype(float)
    ref_hours = best_of(3, lambda: SurvfuncRight(hours, ef))
    ref_distinct = best_of(3, lambda: SurvfuncRight(t, ef))
    step.result.update(durations=n, statsmodels_hours_seconds=round(ref_hours, 3),
                       statsmodels_distinct_seconds=round(ref_distinct, 3))
    step.target("whole hours", best_of(3, lambda: kaplan_meier(hours, e)),
                min(1.0, 3 * ref_hours + 0.1))
    step.target("distinct times", best_of(3, lambda: kaplan_meier(t, e)), 4 * ref_distinct + 0.1)
    step.target("clustered", best_of(2, lambda: kaplan_meier(t, e, cluster=cl)),
                min(5.0, 10 * ref_distinct + 0.2))


if __name__ == "__main__":
    main(run)
