"""Benchmarks: time and peak memory of each step, on a simulated bundle of ~1,000,000 sessions.

Usage: ``python benchmarks/run.py [--sessions N] [--steps startup,load,...] [--dir DIR]``
(``make bench``). Each step runs in a fresh process (``benchmarks/bench_<step>.py``, see
``benchmarks/common.py``), so its peak memory is its own. The steps that read the shared bundle
get it (simulated once into DIR, then reused); the others make their own data, of a size that
follows ``--sessions``. Each time with a bound is printed beside it; the exit status is 1 when a
target is missed.

Targets
-------
- startup: ``outcomes --help`` <= 0.3 s, ``outcomes validate data/sample`` <= 1.0 s (whole
  processes, median of several runs).
- dashboard (issue 13): ``outcomes dashboard data/sample`` from the command's start to a
  working app in headless Chromium < 10 s (``benchmarks/bench_dashboard.py``).
- load: no more than 3x the time pyarrow alone needs to read the same CSV files; < 4 GB peak.
- stats: all statistics take no longer than 10x the time to load the bundle.
- side_effects: each side-effect statistic under 10 s.
- survival: Kaplan-Meier on a million durations within bounds relative to statsmodels.
- claims_large: simulate, write, load and evaluate 20,000 patients under 60 s.
- cli (issue 16): ``outcomes validate``, ``claims`` and ``report`` as whole processes, each
  within 3x, 8x and 20x the time a process needs to read the same files with pyarrow (timed in
  the same run), each peaking under 1 GB (``benchmarks/bench_cli.py``).
- claims, report, audit: timed and reported (no fixed target beyond finishing).

Every step prints its seconds and peak memory, and, when the shared bundle is used, the ratio
of its seconds to a whole process that only reads the bundle's files with pyarrow (timed in this
run, median of three); a missed target is printed as ``MISSED`` beside it and again at the end,
and the exit status is then 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The steps in the order they run, and whether each reads the shared bundle.
STEPS = {
    "startup": False,
    "dashboard": False,
    "cli": True,
    "load": True,
    "stats": True,
    "side_effects": True,
    "survival": False,
    "claims": True,
    "claims_large": False,
    "report": True,
    "audit": True,
}
SEED = 7
PEAK_RSS_TARGET_MB = 4096


def make_bundle(folder: Path, sessions: int) -> Path:
    """Simulate a bundle of about ``sessions`` sessions into ``folder`` (reused when present)."""
    import outcomes

    marker = folder / "bundle.json"
    if marker.exists() and json.loads(marker.read_text()).get("target") == sessions:
        return folder
    pilot = outcomes.simulate(2000, seed=SEED)
    per_patient = len(pilot["sessions"]) / 2000
    patients = int(round(sessions / per_patient))
    t0 = time.perf_counter()
    tables = outcomes.simulate(patients, seed=SEED)
    outcomes.write_bundle(tables, folder, format="csv")
    made = {"target": sessions, "patients": patients, "sessions": len(tables["sessions"]),
            "simulate_and_write_seconds": round(time.perf_counter() - t0, 2)}
    marker.write_text(json.dumps(made))
    return folder


def pyarrow_read_seconds(bundle: Path, times: int = 3) -> float:
    """Median wall time of a whole process reading ``bundle``'s table files with pyarrow."""
    sys.path.insert(0, str(HERE))
    from bench_cli import _READ, measure

    return statistics.median(measure([sys.executable, "-c", _READ, str(bundle)])[0]
                             for _ in range(times))


def run_step(step: str, argv: list[str]) -> dict:
    script = HERE / f"bench_{step}.py"
    out = subprocess.run([sys.executable, str(script), *argv], capture_output=True, text=True,
                         cwd=ROOT)
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout).strip().splitlines()[-1:]}
    text = out.stdout.strip()
    start = text.rfind("\n{") + 1  # the JSON object the step printed last (maybe indented)
    return json.loads(text[start:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--dir", default=str(ROOT / "build" / "bench"))
    args = parser.parse_args(argv)
    steps = args.steps.split(",")
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}")
    bundle = None
    if any(STEPS[step] for step in steps):
        bundle = make_bundle(Path(args.dir) / f"bundle_{args.sessions}", args.sessions)
        info = json.loads((bundle / "bundle.json").read_text())
        print(f"bundle: {info['sessions']:,} sessions of {info['patients']:,} patients")
        read_s = pyarrow_read_seconds(bundle)
        print(f"pyarrow read of its files (a whole process): {read_s:.2f} s")
    results = {}
    for step in steps:
        given = [str(bundle)] if STEPS[step] else ["--sessions", str(args.sessions)]
        results[step] = r = run_step(step, given)
        shown = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("targets", "ratios"))
        if bundle is not None and "seconds" in r:
            shown += f", {r['seconds'] / read_s:.1f}x the pyarrow read"
        print(f"{step:>12}: {shown}", flush=True)
        for t in r.get("targets", []):
            met = "ok" if t["seconds"] <= t["limit"] else "MISSED"
            print(f"{'':>14}{t['name']}: {t['seconds']} s (target <= {t['limit']} s) {met}")
        for t in r.get("ratios", []):
            met = "ok" if t["ratio"] <= t["limit"] else "MISSED"
            mem = "ok" if t["peak_mb"] <= t["peak_limit_mb"] else "MISSED"
            print(f"{'':>14}{t['name']}: {t['ratio']}x the pyarrow read (target <= "
                  f"{t['limit']}x) {met}; peak {t['peak_mb']} MB (target <= "
                  f"{t['peak_limit_mb']} MB) {mem}")
    failures = check_targets(results)
    for f in failures:
        print("TARGET MISSED:", f)
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


def check_targets(results: dict) -> list[str]:
    failures = [f"{s}: {r['error']}" for s, r in results.items() if "error" in r]
    failures += [f"{s}: {t['name']} took {t['seconds']} s (target <= {t['limit']} s)"
                 for s, r in results.items() for t in r.get("targets", [])
                 if t["seconds"] > t["limit"]]
    for s, r in results.items():
        for t in r.get("ratios", []):
            if t["ratio"] > t["limit"]:
                failures.append(f"{s}: {t['name']} takes {t['ratio']}x the pyarrow read "
                                f"(target <= {t['limit']}x)")
            if t["peak_mb"] > t["peak_limit_mb"]:
                failures.append(f"{s}: {t['name']} peaks at {t['peak_mb']} MB "
                                f"(target <= {t['peak_limit_mb']} MB)")
    load = results.get("load", {})
    if "ratio" in load and load["ratio"] > 3:
        failures.append(f"load takes {load['ratio']:.2f}x pyarrow's read (target <= 3x)")
    for step, r in results.items():
        if r.get("peak_rss_mb", 0) > PEAK_RSS_TARGET_MB:
            failures.append(f"{step}: peak memory {r['peak_rss_mb']} MB "
                            f"(target < {PEAK_RSS_TARGET_MB} MB)")
    stats = results.get("stats", {})
    load_s = load.get("load_seconds")
    if "seconds" in stats and load_s is not None and stats["seconds"] > 10 * load_s:
        failures.append(f"statistics take {stats['seconds']}s > 10x load ({load['load_seconds']}s)")
    return failures


if __name__ == "__main__":
    sys.exit(main())
