"""Benchmark: loading a CSV bundle against reading the same files with ``pyarrow.csv`` alone.

Usage::

    python benchmarks/bench_load.py BUNDLE_DIR          # measure an existing CSV bundle
    python benchmarks/bench_load.py --make 1000000 DIR  # fabricate a bundle first, then measure

Prints JSON: ``pyarrow_seconds`` (``pyarrow.csv.read_csv`` of every table file, default
options), ``load_seconds`` (:func:`outcomes.load_bundle`), ``ratio`` (load / pyarrow; the target
is at most 3), ``peak_rss_mb`` (peak resident memory of the process; the target is under 4 GB),
and the rows read. Each time is the best of ``--repeat`` runs. A benchmark runner can call
:func:`run` directly.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from outcomes import load_bundle
from outcomes.errors import DataQualityWarning
from outcomes.schema import TABLES, vocabulary

RATIO_TARGET = 3.0
PEAK_RSS_TARGET_MB = 4096


def run(bundle_dir: str | Path, repeat: int = 3) -> dict:
    """Time ``pyarrow.csv.read_csv`` of the bundle's CSV files and ``load_bundle`` of it.

    Parameters
    ----------
    bundle_dir : str or Path
        A CSV bundle folder.
    repeat : int
        Runs of each; the best time is kept.

    Returns
    -------
    dict
        ``pyarrow_seconds``, ``load_seconds``, ``ratio``, ``peak_rss_mb``, ``rows`` (per table),
        ``ratio_target``, ``peak_rss_target_mb``.
    """
    bundle_dir = Path(bundle_dir)
    files = [bundle_dir / f"{name}.csv" for name in TABLES if (bundle_dir / f"{name}.csv").exists()]
    pyarrow_seconds = min(_time(lambda: [pcsv.read_csv(f) for f in files]) for _ in range(repeat))
    log = None

    def load():
        nonlocal log
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            log = load_bundle(bundle_dir)

    load_seconds = min(_time(load) for _ in range(repeat))
    return {
        "pyarrow_seconds": round(pyarrow_seconds, 3),
        "load_seconds": round(load_seconds, 3),
        "ratio": round(load_seconds / pyarrow_seconds, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rows": {name: int(n) for name, n in log.counts["read"].items()},
        "ratio_target": RATIO_TARGET,
        "peak_rss_target_mb": PEAK_RSS_TARGET_MB,
    }


def _time(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


# --------------------------------------------------------------------- fabricating a bundle
def make_bundle(folder: str | Path, n_sessions: int = 1_000_000, seed: int = 0) -> Path:
    """Write a valid CSV bundle of ``n_sessions`` sessions (numpy only, no simulator).

    Assessments are 3/4 and adverse events 3/10 of the number of sessions. Values are drawn
    uniformly from the vocabularies and ranges; it is a load test, not a realistic data set.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = n_sessions
    patients = max(n // 4, 1)

    def pick(name, size, blank=0.0):
        values = np.asarray(vocabulary(name), dtype=object)[rng.integers(0, len(vocabulary(name)),
                                                                         size)]
        if blank:
            values[rng.random(size) < blank] = None
        return values

    def ids(prefix, numbers):
        return np.char.add(prefix, numbers.astype(str))

    def dates(size):
        return (np.datetime64("2020-01-01") + rng.integers(0, 1500, size)).astype(str)

    def decimals(low, high, size, digits=1):
        return np.round(rng.uniform(low, high, size), digits)

    _write(folder / "sessions.csv", {
        "patient_id": ids("P", rng.integers(0, patients, n)),
        "session_id": ids("S", np.arange(n)),
        "session_date": dates(n),
        "condition": pick("condition", n),
        "setting": pick("setting", n),
        "clinic_id": ids("C", rng.integers(0, 50, n)),
        "operator_id": ids("op", rng.integers(0, 300, n)),
        "device": pick("device", n),
        "needle_depth_mm": decimals(0.2, 2.5, n, 2),
        "duration_min": decimals(10, 90, n),
        "numbing": np.where(rng.random(n) < 0.5, "true", "false"),
        "pain_vas": rng.integers(0, 11, n),
        "fitzpatrick": pick("fitzpatrick", n),
        "age_band": pick("age_band", n),
        "sex": pick("sex", n),
        "contraindications": np.asarray(["none", "herpes", "pregnancy;eczema", None],
                                        dtype=object)[rng.integers(0, 4, n)],
        "adjunct": pick("adjunct", n, blank=0.3),
    })
    m = n * 3 // 4
    _write(folder / "assessments.csv", {
        "patient_id": ids("P", rng.integers(0, patients, m)),
        "condition": pick("condition", m),
        "assessment_date": dates(m),
        "scale": np.full(m, "severity_vas"),
        "score": decimals(0, 10, m),
        "rater": pick("rater", m),
    })
    k = n * 3 // 10
    onset = rng.integers(0, 48, k).astype(float)
    resolved = onset + rng.integers(1, 200, k)
    resolved_text = np.where(rng.random(k) < 0.2, None, resolved.astype(object))
    _write(folder / "adverse_events.csv", {
        "session_id": ids("S", rng.integers(0, n, k)),
        "event": pick("event", k),
        "severity": pick("severity", k),
        "onset_hours": onset,
        "resolved_hours": resolved_text,
        "last_contact_hours": resolved + 100,
    })
    return folder


def _write(path: Path, columns: dict) -> None:
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    pcsv.write_csv(table, path, write_options=pcsv.WriteOptions(quoting_style="needed"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle_dir", type=Path, help="a CSV bundle folder")
    parser.add_argument("--make", type=int, metavar="N_SESSIONS",
                        help="first fabricate a bundle of this many sessions in BUNDLE_DIR")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best kept)")
    args = parser.parse_args(argv)
    if args.make:
        make_bundle(args.bundle_dir, args.make)
    print(json.dumps(run(args.bundle_dir, repeat=args.repeat), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
