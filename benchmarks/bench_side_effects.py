"""Benchmark step: each side-effect statistic on the bundle, within seconds (after loading it).

Each of ``incidence``, ``incidence`` by setting, depth and spacing (any and notable events),
``resolution``, ``skin_type`` and ``spacing`` must take under 10 s on about a million sessions
on two shared cores (a few seconds each); the courses and their dose table are built first and
not timed. The bound catches a slower algorithm, not noise.
"""

from __future__ import annotations

from common import main

LIMIT_SECONDS = 10.0


def run(step) -> None:
    from outcomes.courses import build_courses
    from outcomes.stats.side_effects import incidence, resolution
    from outcomes.stats.skin_type import skin_type
    from outcomes.stats.spacing import spacing

    courses = build_courses(step.load())
    _ = courses.dose  # cached by Courses; not part of the timing
    statistics = {
        "incidence": lambda: incidence(courses),
        "incidence_by": lambda: incidence(courses, by=("setting", "depth_bin", "spacing_bin"),
                                          events=["any", "notable"]),
        "resolution": lambda: resolution(courses),
        "skin_type": lambda: skin_type(courses),
        "spacing": lambda: spacing(courses),
    }
    for name, statistic in statistics.items():
        with step.timer(f"{name}_seconds"):
            statistic()
        step.target(name, step.result[f"{name}_seconds"], LIMIT_SECONDS)
    step.result["sessions"] = len(courses.sessions)


if __name__ == "__main__":
    main(run)
