"""Benchmark step: writing the full report (HTML, workbook, CSVs) for a bundle (after loading)."""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import main, timer  # noqa: E402


def run(bundle_dir: str) -> dict:
    import outcomes
    from outcomes.report.write import write_report

    warnings.simplefilter("ignore")
    result: dict = {}
    with timer(result, "load_seconds"):
        log = outcomes.load_bundle(bundle_dir)
    with tempfile.TemporaryDirectory() as out:
        with timer(result, "seconds"):
            written = write_report(log, out)
        result["html_kb"] = round(written.html.stat().st_size / 1024)
    return result


if __name__ == "__main__":
    main(run)
