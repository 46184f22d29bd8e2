"""Benchmark step: every statistic of the package on a bundle (after loading it).

``seconds`` covers building the courses and all outcome, dose-response, spacing, side-effect and
skin-type statistics; the runner compares it with the load time (target: at most 10x).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import main, timer  # noqa: E402


def run(bundle_dir: str) -> dict:
    import outcomes
    from outcomes.stats.by_condition import outcomes_by_condition
    from outcomes.stats.dose_response import dose_response
    from outcomes.stats.side_effects import incidence, resolution
    from outcomes.stats.skin_type import skin_type
    from outcomes.stats.spacing import spacing

    warnings.simplefilter("ignore")
    result: dict = {}
    with timer(result, "load_seconds"):
        log = outcomes.load_bundle(bundle_dir)
    with timer(result, "seconds"):
        with timer(result, "courses_seconds"):
            courses = outcomes.build_courses(log)
        with timer(result, "outcomes_seconds"):
            outcomes_by_condition(courses)
            dose_response(courses)
        with timer(result, "side_effects_seconds"):
            spacing(courses)
            incidence(courses)
            resolution(courses)
            skin_type(courses)
    result["sessions"] = len(log.sessions)
    return result


if __name__ == "__main__":
    main(run)
