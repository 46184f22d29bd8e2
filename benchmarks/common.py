"""The shared runner of the benchmark steps, so that each ``bench_<step>.py`` is only its own work.

A step script defines ``run(step)``, which times its work on a :class:`Step`, and ends with
``main(run)``. ``benchmarks/run.py`` runs each script in a fresh process (so that its peak memory
is its own) as ``bench_<step>.py BUNDLE_DIR`` when the step reads the shared simulated bundle, or
``bench_<step>.py --sessions N`` when it makes its own data of about that size; the script prints
one JSON object: the step's results, its ``targets`` and ``peak_rss_mb``.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 / (1024 if sys.platform == "darwin" else 1), 1)


@dataclass
class Step:
    """What a step works on, and what it found.

    Attributes
    ----------
    bundle : Path or None
        The shared bundle folder (steps that read it).
    sessions : int or None
        The size of the data a step makes itself (steps that do not read the bundle).
    result : dict
        Printed as JSON: times in seconds (3 decimals), counts, and ``targets``, a list of
        ``{"name", "seconds", "limit"}`` that ``run.py`` prints and checks.
    """

    bundle: Path | None = None
    sessions: int | None = None
    result: dict = field(default_factory=dict)

    @contextmanager
    def timer(self, key: str = "seconds"):
        """Store the wall time of the block in ``result[key]``."""
        t0 = time.perf_counter()
        yield
        self.result[key] = round(time.perf_counter() - t0, 3)

    def load(self):
        """The shared bundle, loaded (its time is ``load_seconds``)."""
        import outcomes

        with self.timer("load_seconds"):
            return outcomes.load_bundle(self.bundle)

    def target(self, name: str, seconds: float, limit: float) -> None:
        """A time and its bound: ``run.py`` prints both and fails when the time is over."""
        self.result.setdefault("targets", []).append(
            {"name": name, "seconds": round(seconds, 3), "limit": round(limit, 3)})


def main(run) -> None:
    """Run ``run(step)`` on the bundle or the size named on the command line; print its JSON."""
    args = sys.argv[1:]
    if args[:1] == ["--sessions"]:
        step = Step(sessions=int(args[1]))
    else:
        step = Step(bundle=Path(args[0]))
    warnings.simplefilter("ignore")  # data-quality warnings of simulated faults, on purpose
    run(step)
    step.result.setdefault("peak_rss_mb", peak_rss_mb())
    print(json.dumps(step.result))
