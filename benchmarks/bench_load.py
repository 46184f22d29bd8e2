"""Benchmark: loading a CSV bundle against reading the same files with ``pyarrow.csv`` alone.

Usage::

    python benchmarks/bench_load.py BUNDLE_DIR          # measure an existing CSV bundle
    python benchmarks/bench_load.py --make 1000000 DIR  # fabricate a bundle first, then measure

Prints JSON: ``pyarrow_seconds`` (``pyarrow.csv.read_csv`` of every table file, default
options), ``load_seconds`` (:func:`outcomes.load_bundle`), ``ratio`` (load / pyarrow; the target
is at most 3), ``peak_rss_mb`` (peak resident memory of the process; the target is under 4 GB),
and the rows read. Each time is the best of ``--repeat`` runs, taken in turns with the other.
A benchmark runner can call :func:`run` directly.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
from common import peak_rss_mb

from outcomes import load_bundle
from outcomes.bundle.schema import ADVERSE_EVENTS, ASSESSMENTS, SESSIONS, TABLES, Col, vocabulary
from outcomes.errors import DataQualityWarning

RATIO_TARGET = 3.0
PEAK_RSS_TARGET_MB = 4096


def run(bundle_dir: str | Path, repeat: int = 3) -> dict:
    """Time ``pyarrow.csv.read_csv`` of the bundle's CSV files and ``load_bundle`` of it.

    The two are run in turns, ``repeat`` times each, so that both see the same machine.

    Parameters
    ----------
    bundle_dir : str or Path
        A CSV bundle folder.
    repeat : int
        Runs of each.

    Returns
    -------
    dict
        ``seconds`` (= ``load_seconds``, for ``benchmarks/run.py``), ``pyarrow_seconds`` and
        ``load_seconds`` (best run of each), ``ratio`` (of the bests),
        ``ratio_median`` (median of the ratios of the runs taken in turn, steadier on a busy
        machine), ``peak_rss_mb``, ``rows`` (per table), ``ratio_target``,
        ``peak_rss_target_mb``.
    """
    bundle_dir = Path(bundle_dir)
    files = [bundle_dir / f"{name}.csv" for name in TABLES if (bundle_dir / f"{name}.csv").exists()]
    log = None

    def load():
        nonlocal log
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            log = load_bundle(bundle_dir)

    pyarrow_times, load_times = [], []
    for _ in range(repeat):
        pyarrow_times.append(_time(lambda: [pcsv.read_csv(f) for f in files]))
        load_times.append(_time(load))
    ratios = sorted(lo / py for lo, py in zip(load_times, pyarrow_times, strict=True))
    return {
        "seconds": round(min(load_times), 3),
        "pyarrow_seconds": round(min(pyarrow_times), 3),
        "load_seconds": round(min(load_times), 3),
        "ratio": round(min(load_times) / min(pyarrow_times), 2),
        "ratio_median": round(ratios[len(ratios) // 2], 2),
        "peak_rss_mb": peak_rss_mb(),
        "rows": {name: int(n) for name, n in log.counts["read"].items()},
        "ratio_target": RATIO_TARGET,
        "peak_rss_target_mb": PEAK_RSS_TARGET_MB,
    }


def _time(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


# --------------------------------------------------------------------- fabricating a bundle
def make_bundle(folder: str | Path, n_sessions: int = 1_000_000, seed: int = 0,
                quoted: bool = False) -> Path:
    """Write a valid CSV bundle of ``n_sessions`` sessions (numpy only, no simulator).

    Assessments are 3/4 and adverse events 3/10 of the number of sessions. Values are drawn
    uniformly from the vocabularies and ranges; it is a load test, not a realistic data set.

    Parameters
    ----------
    folder : str or Path
        Created if needed; ``sessions.csv``, ``assessments.csv`` and ``adverse_events.csv`` are
        written into it.
    n_sessions : int
        Rows of the sessions table.
    seed : int
        Seed of the random generator.
    quoted : bool
        Quote every text value (as R's ``write.csv`` does); the loader then has to allow for
        line breaks inside values, which makes pyarrow's parse slower.

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = n_sessions
    patients = max(n // 4, 1)

    def pick(table, column, size, blank=0.0):
        allowed = vocabulary(table.column(column).vocabulary)
        values = np.asarray(allowed, dtype=object)[rng.integers(0, len(allowed), size)]
        if blank:
            values[rng.random(size) < blank] = None
        return values

    def ids(prefix, numbers):
        return np.char.add(prefix, numbers.astype(str))

    def dates(size):
        return (np.datetime64("2020-01-01") + rng.integers(0, 1500, size)).astype(str)

    def decimals(low, high, size, digits=1):
        return np.round(rng.uniform(low, high, size), digits)

    _write(folder / f"{SESSIONS.name}.csv", quoted=quoted, columns={
        Col.PATIENT_ID: ids("P", rng.integers(0, patients, n)),
        Col.SESSION_ID: ids("S", np.arange(n)),
        Col.SESSION_DATE: dates(n),
        Col.CONDITION: pick(SESSIONS, Col.CONDITION, n),
        Col.SETTING: pick(SESSIONS, Col.SETTING, n),
        Col.CLINIC_ID: ids("C", rng.integers(0, 50, n)),
        Col.OPERATOR_ID: ids("op", rng.integers(0, 300, n)),
        Col.DEVICE: pick(SESSIONS, Col.DEVICE, n),
        Col.NEEDLE_DEPTH_MM: decimals(0.2, 2.5, n, 2),
        Col.DURATION_MIN: decimals(10, 90, n),
        Col.NUMBING: np.where(rng.random(n) < 0.5, "true", "false"),
        Col.PAIN_VAS: rng.integers(0, 11, n),
        Col.FITZPATRICK: pick(SESSIONS, Col.FITZPATRICK, n),
        Col.AGE_BAND: pick(SESSIONS, Col.AGE_BAND, n),
        Col.SEX: pick(SESSIONS, Col.SEX, n),
        Col.CONTRAINDICATIONS: np.asarray(["none", "herpes", "pregnancy;eczema", None],
                                        dtype=object)[rng.integers(0, 4, n)],
        Col.ADJUNCT: pick(SESSIONS, Col.ADJUNCT, n, blank=0.3),
    })
    m = n * 3 // 4
    _write(folder / f"{ASSESSMENTS.name}.csv", quoted=quoted, columns={
        Col.PATIENT_ID: ids("P", rng.integers(0, patients, m)),
        Col.CONDITION: pick(ASSESSMENTS, Col.CONDITION, m),
        Col.ASSESSMENT_DATE: dates(m),
        Col.SCALE: np.full(m, "severity_vas"),
        Col.SCORE: decimals(0, 10, m),
        Col.RATER: pick(ASSESSMENTS, Col.RATER, m),
    })
    k = n * 3 // 10
    onset = rng.integers(0, 48, k).astype(float)
    resolved = onset + rng.integers(1, 200, k)
    resolved_text = np.where(rng.random(k) < 0.2, None, resolved.astype(object))
    _write(folder / f"{ADVERSE_EVENTS.name}.csv", quoted=quoted, columns={
        Col.SESSION_ID: ids("S", rng.integers(0, n, k)),
        Col.EVENT: pick(ADVERSE_EVENTS, Col.EVENT, k),
        Col.SEVERITY: pick(ADVERSE_EVENTS, Col.SEVERITY, k),
        Col.ONSET_HOURS: onset,
        Col.RESOLVED_HOURS: resolved_text,
        Col.LAST_CONTACT_HOURS: resolved + 100,
    })
    return folder


def _write(path: Path, columns: dict, quoted: bool = False) -> None:
    """Write a CSV table; unquoted like pandas and Excel exports (no value needs quotes here)."""
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    style = "all_valid" if quoted else "none"
    pcsv.write_csv(table, path,
                   write_options=pcsv.WriteOptions(quoting_style=style, quoting_header=style))


def main(argv: list[str] | None = None) -> int:
    """Command line: optionally fabricate a bundle, then print :func:`run` as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle_dir", type=Path, help="a CSV bundle folder")
    parser.add_argument("--make", type=int, metavar="N_SESSIONS",
                        help="first fabricate a bundle of this many sessions in BUNDLE_DIR")
    parser.add_argument("--quoted", action="store_true",
                        help="with --make: quote every text value (as R's write.csv does)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best kept)")
    args = parser.parse_args(argv)
    if args.make:
        make_bundle(args.bundle_dir, args.make, quoted=args.quoted)
    print(json.dumps(run(args.bundle_dir, repeat=args.repeat), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
