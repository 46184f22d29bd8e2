"""Helpers shared by the benchmark steps: timing and peak memory of this process."""

from __future__ import annotations

import json
import resource
import sys
import time
from contextlib import contextmanager


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextmanager
def timer(result: dict, key: str = "seconds"):
    """Store the wall time of the block in ``result[key]`` (seconds, 3 decimals)."""
    t0 = time.perf_counter()
    yield
    result[key] = round(time.perf_counter() - t0, 3)


def main(run) -> None:
    """Run ``run(bundle_dir)`` on the folder named on the command line; print its JSON."""
    result = run(sys.argv[1])
    result.setdefault("peak_rss_mb", peak_rss_mb())
    print(json.dumps(result))
