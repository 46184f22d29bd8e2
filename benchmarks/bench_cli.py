"""Benchmark step: the command line as a user runs it, whole processes against a pyarrow read.

Each command runs in its own process; its wall time and its peak resident memory (the
``ru_maxrss`` that ``os.wait4`` reports for that very process, so the interpreter, the imports
and every thread count; or, when larger, the sampled peak of the memory of that process and its
worker processes together) are measured. In the same run, a process that only reads the bundle's
table files with ``pyarrow`` (``pyarrow.csv.read_csv`` or ``pyarrow.parquet.read_table``) is
timed the same way, a few times taken in turns with the commands; each command's ratio is its
time over the median of those reads. Each command runs :data:`RUNS` times, in turns with the
reads: its time is the median of its runs (their range is printed beside it; one run alone
varies by a third on a shared machine, with the kernel's page faults), its peak the largest.
The targets (issue 16):

- ``outcomes validate``: at most 3x the pyarrow read;
- ``outcomes claims --format json``: at most 8x;
- ``outcomes report --quiet``: at most 20x;
- peak memory of each at most 1 GB.

``BENCH_ENGINE=NAME`` passes ``--engine NAME`` to the commands. As in ``bench_startup.py``, the
processes keep their compiled bytecode under ``build/bench/pycache`` (where
``PYTHONDONTWRITEBYTECODE`` is set every process would otherwise compile every module it imports,
seconds of the measured time), after one warm-up run of each command that is not counted.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import main

ROOT = Path(__file__).resolve().parents[1]
#: Ratio to the pyarrow read, by command.
RATIO_TARGETS = {"validate": 3.0, "claims": 8.0, "report": 20.0}
PEAK_TARGET_MB = 1024
#: Runs of each command: its time is their median.
RUNS = 3

_READ = """\
import sys
from pathlib import Path
import pyarrow.csv as pcsv, pyarrow.parquet as pq
folder = Path(sys.argv[1])
for name in ("sessions", "assessments", "adverse_events"):
    for suffix, read in ((".csv", pcsv.read_csv), (".parquet", pq.read_table)):
        if (folder / (name + suffix)).exists():
            read(folder / (name + suffix))
"""


def outcomes_command() -> list[str]:
    """``python -m outcomes.cli`` with this Python: the package of this checkout (:func:`_env`
    puts its ``src`` first on the path), not whichever one an installed console script
    imports."""
    return [sys.executable, "-m", "outcomes.cli"]


def _env() -> dict:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(ROOT / "build" / "bench" / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    path = [str(ROOT / "src"), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(path)
    return env


def _tree_rss(proc) -> int:
    """Resident bytes of ``proc`` and every process it started (0 once it is gone)."""
    import psutil

    try:
        root = psutil.Process(proc.pid)
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in family:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(argv: list[str], ok=(0,)) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one whole process running ``argv``: the larger of its
    own ``ru_maxrss`` and the peak, sampled every 50 ms, of the resident memory summed over it
    and the worker processes it starts (the partitioned engine's)."""
    import threading

    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=_env())
    peak_tree, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak_tree[0] = max(peak_tree[0], _tree_rss(proc))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv[-4:])} exited {proc.returncode}: {err[-500:]}")
    return elapsed, max(usage.ru_maxrss * 1024, peak_tree[0]) / 2**20


def run(step) -> None:
    engine = os.environ.get("BENCH_ENGINE")
    extra = ["--engine", engine] if engine else []
    bundle = str(step.bundle)
    reads = []
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "validate": ([*outcomes_command(), "validate", bundle, *extra], (0, 1)),
            "claims": ([*outcomes_command(), "claims", bundle, "--format", "json", *extra], (0,)),
            "report": ([*outcomes_command(), "report", bundle, "--out", out, "--quiet",
                        *extra], (0,)),
        }
        warm = [*outcomes_command(), "validate", str(ROOT / "data" / "sample")]
        measure(warm, (0, 1))  # compiles the modules once (not counted)
        measure([*outcomes_command(), "claims", str(ROOT / "data" / "sample"), "--format",
                 "json", *extra])
        measure([*outcomes_command(), "report", str(ROOT / "data" / "sample"), "--out",
                 str(Path(out) / "warm"), "--quiet", *extra])
        reads.append(measure([sys.executable, "-c", _READ, bundle]))
        for name, (argv, ok) in commands.items():
            runs = []
            for _ in range(RUNS):
                runs.append(measure(argv, ok))
                reads.append(measure([sys.executable, "-c", _READ, bundle]))
            seconds = statistics.median(r[0] for r in runs)
            step.result[f"{name}_seconds"] = round(seconds, 2)
            step.result[f"{name}_seconds_range"] = [round(min(r[0] for r in runs), 2),
                                                    round(max(r[0] for r in runs), 2)]
            step.result[f"{name}_peak_mb"] = round(max(r[1] for r in runs))
    read_s = statistics.median(r[0] for r in reads)
    step.result["pyarrow_read_seconds"] = round(read_s, 3)
    step.result["pyarrow_read_peak_mb"] = round(max(r[1] for r in reads))
    if engine:
        step.result["engine"] = engine
    for name, limit in RATIO_TARGETS.items():
        ratio = step.result[f"{name}_seconds"] / read_s
        step.result[f"{name}_ratio"] = round(ratio, 2)
        step.result.setdefault("ratios", []).append(
            {"name": f"outcomes {name}", "ratio": round(ratio, 2), "limit": limit,
             "peak_mb": step.result[f"{name}_peak_mb"], "peak_limit_mb": PEAK_TARGET_MB})
    step.result["peak_rss_mb"] = max(step.result[f"{n}_peak_mb"] for n in RATIO_TARGETS)


if __name__ == "__main__":
    main(run)
