"""``make bench-large``: 20 million sessions as Parquet, validated and analysed out of core.

Usage: ``python benchmarks/bench_large.py [--sessions N] [--dir DIR] [--engine partitioned]
[--only validate|claims]``.

The bundle is simulated in chunks of about a million sessions (each chunk its own patients and
seed), each chunk written straight to Parquet row groups, so the simulation never holds the
whole bundle; it is kept under ``DIR`` (default ``build/bench``) and reused. Then ``outcomes
validate`` and ``outcomes claims --format json`` run with ``--engine`` as whole processes
(``benchmarks/bench_cli.py``'s measurement: wall time and the peak resident memory of each
process; ``python -m outcomes.cli`` of this checkout). Targets (issue 16): peak under 6 GB each,
and time per session within 1.5x of the same command on the 1M bundle
(``build/bench/bundle_1000000``, measured in the same run with the in-memory engine, the
median of three runs as ``make bench`` takes it). The exit status is 1 when a target is
missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_cli import RUNS, measure, outcomes_command  # noqa: E402

PEAK_TARGET_MB = 6 * 1024
PER_SESSION_RATIO = 1.5
CHUNK_SESSIONS = 1_000_000
SEED = 7


def make_large(folder: Path, sessions: int) -> Path:
    """Simulate about ``sessions`` sessions into ``folder`` as Parquet, one chunk at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import outcomes

    marker = folder / "bundle.json"
    if marker.exists() and json.loads(marker.read_text()).get("target") == sessions:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    per_patient = len(outcomes.simulate(2000, seed=SEED)["sessions"]) / 2000
    chunk_patients = int(CHUNK_SESSIONS / per_patient)
    chunks = max(1, round(sessions / CHUNK_SESSIONS))
    writers, made = {}, 0
    try:
        for i in range(chunks):
            tables = outcomes.simulate(chunk_patients, seed=SEED + i, fault_rate=0.0)
            for name, frame in tables.items():
                frame = frame.copy()
                for column in ("patient_id", "session_id"):
                    if column in frame:  # ids unique across chunks
                        frame[column] = f"c{i}-" + frame[column].astype(str)
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
                writers[name].write_table(table.cast(writers[name].schema))
            made += len(tables["sessions"])
            print(f"chunk {i + 1}/{chunks}: {made:,} sessions", flush=True)
    finally:
        for writer in writers.values():
            writer.close()
    marker.write_text(json.dumps({"target": sessions, "sessions": made}))
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000_000)
    parser.add_argument("--dir", default=str(ROOT / "build" / "bench"))
    parser.add_argument("--engine", default="partitioned")
    parser.add_argument("--only", choices=("validate", "claims"),
                        help="run only this command (default both)")
    args = parser.parse_args(argv)
    large = make_large(Path(args.dir) / f"large_{args.sessions}", args.sessions)
    from run import make_bundle  # the 1M bundle of make bench (simulated when absent)

    small = make_bundle(Path(args.dir) / "bundle_1000000", 1_000_000)
    n_large = json.loads((large / "bundle.json").read_text())["sessions"]
    n_small = json.loads((small / "bundle.json").read_text())["sessions"]
    failures = []
    for command in (["validate"], ["claims", "--format", "json"]):
        if args.only not in (None, command[0]):
            continue
        ok = (0, 1) if command[0] == "validate" else (0,)
        # the 1M run as make bench times it: the median of RUNS runs
        runs = [measure([*outcomes_command(), command[0], str(small), *command[1:],
                         "--engine", "memory"], ok) for _ in range(RUNS)]
        s_small = statistics.median(r[0] for r in runs)
        peak_small = max(r[1] for r in runs)
        s_large, peak_large = measure([*outcomes_command(), command[0], str(large),
                                       *command[1:], "--engine", args.engine], ok)
        ratio = (s_large / n_large) / (s_small / n_small)
        print(f"{command[0]:>9}: 1M {s_small:.1f} s, {peak_small:.0f} MB; {n_large:,} sessions "
              f"{s_large:.1f} s, {peak_large:.0f} MB; time per session {ratio:.2f}x the 1M run "
              f"(target <= {PER_SESSION_RATIO}x)", flush=True)
        if peak_large > PEAK_TARGET_MB:
            failures.append(f"{command[0]} peaks at {peak_large:.0f} MB (target < 6 GB)")
        if ratio > PER_SESSION_RATIO:
            failures.append(f"{command[0]}: {ratio:.2f}x the 1M time per session")
    for f in failures:
        print("TARGET MISSED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
