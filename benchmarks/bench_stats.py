"""Benchmark step: every statistic of the package on the bundle (after loading it).

``seconds`` covers building the courses and all outcome, dose-response, spacing, side-effect and
skin-type statistics; the runner compares it with the load time (target: at most 10x).
"""

from __future__ import annotations

from common import main


def run(step) -> None:
    from outcomes.courses import build_courses
    from outcomes.stats.by_condition import outcomes_by_condition
    from outcomes.stats.dose_response import dose_response
    from outcomes.stats.side_effects import incidence, resolution
    from outcomes.stats.skin_type import skin_type
    from outcomes.stats.spacing import spacing

    log = step.load()
    with step.timer():
        with step.timer("courses_seconds"):
            courses = build_courses(log)
        with step.timer("outcomes_seconds"):
            outcomes_by_condition(courses)
            dose_response(courses)
        with step.timer("side_effects_seconds"):
            spacing(courses)
            incidence(courses)
            resolution(courses)
            skin_type(courses)
    step.result["sessions"] = len(log.sessions)


if __name__ == "__main__":
    main(run)
