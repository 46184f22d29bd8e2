"""Benchmark step: writing the full report (HTML, workbook, CSVs) for the bundle (after loading)."""

from __future__ import annotations

import tempfile

from common import main


def run(step) -> None:
    from outcomes.report.write import write_report

    log = step.load()
    with tempfile.TemporaryDirectory() as out:
        with step.timer():
            written = write_report(log, out)
        step.result["html_kb"] = round(written.html.stat().st_size / 1024)


if __name__ == "__main__":
    main(run)
