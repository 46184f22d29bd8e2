"""Benchmark step: the start-up of the command line, timed as whole processes.

``outcomes --help`` must take at most 0.3 s and ``outcomes validate data/sample`` (which imports
the loader: pandas and pyarrow) at most 1.0 s: the median of several runs of each, after a first
run that is not counted (``first_*_seconds``). The processes keep their compiled bytecode under
``build/bench/pycache``, so that the times are those of an installed package even where
``PYTHONDONTWRITEBYTECODE`` is set (the first run then compiles every module it imports). The
size given to the step is not used.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import main

ROOT = Path(__file__).resolve().parents[1]
#: Command line and bound in seconds, by name.
COMMANDS = {
    "help": (["--help"], 0.3),
    "validate": (["validate", "data/sample"], 1.0),
}
RUNS = 5


def command() -> list[str]:
    """The ``outcomes`` console script beside this Python, or ``python -m outcomes.cli``."""
    script = Path(sys.executable).with_name("outcomes")
    return [str(script)] if script.exists() else [sys.executable, "-m", "outcomes.cli"]


def seconds(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # validate exits 1: the sample has quarantined rows
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr}")
    return elapsed


def run(step) -> None:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(ROOT / "build" / "bench" / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name, (argv, limit) in COMMANDS.items():
        times = [seconds([*command(), *argv], env) for _ in range(RUNS + 1)]
        step.result[f"first_{name}_seconds"] = round(times[0], 3)
        step.target(f"outcomes {' '.join(argv)}", statistics.median(times[1:]), limit)
    step.result["runs"] = RUNS


if __name__ == "__main__":
    main(run)
