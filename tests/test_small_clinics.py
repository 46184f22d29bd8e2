"""Small clinics first: every command finishes on the bundles a small clinic has.

``outcomes report``, ``audit`` and ``claims`` run on simulated bundles of 3 to 150 patients,
with every optional column and with none, with the adverse-events table and without it (the
contract makes it optional). Each must end with its documented exit status, print no Python
traceback or warning format, and write a whole set of files; a section with nothing to analyse
says so instead of failing.
"""

from __future__ import annotations

import json

import pytest

import outcomes
from outcomes.bundle.schema import TABLES
from outcomes.cli import main

SIZES = (3, 6, 10, 15, 25, 40, 80, 150)
VARIANTS = ("full", "no_adverse_events", "no_optional_columns", "bare")
OPTIONAL = {name: [c.name for c in table.columns if not c.required]
            for name, table in TABLES.items()}


def _bundle(tmp_path, n: int, variant: str):
    tables = outcomes.simulate(n, seed=1000 + n)
    if variant in ("no_adverse_events", "bare"):
        del tables["adverse_events"]
    if variant in ("no_optional_columns", "bare"):
        tables = {k: v.drop(columns=[c for c in OPTIONAL[k] if c in v.columns])
                  for k, v in tables.items()}
    folder = tmp_path / "bundle"
    outcomes.write_bundle(tables, folder)
    return folder


def _plain(err: str) -> None:
    assert "Traceback" not in err, err
    assert "Warning:" not in err and ".py:" not in err, err  # no Python warnings format


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("n", SIZES)
def test_report_audit_and_claims_finish(tmp_path, capsys, n, variant):
    folder = _bundle(tmp_path, n, variant)

    status = main(["report", str(folder), "--out", str(tmp_path / "report"), "--quiet"])
    err = capsys.readouterr().err
    _plain(err)
    assert status == 0, err
    html = (tmp_path / "report" / "report.html").read_text("utf-8")
    assert (tmp_path / "report" / "tables.xlsx").exists()
    if variant in ("no_adverse_events", "bare"):
        assert "the bundle has no adverse_events table" in html  # says why, not empty

    status = main(["audit", str(folder), "--out", str(tmp_path / "audit"), "--quiet"])
    err = capsys.readouterr().err
    _plain(err)
    assert status in (0, 3), err  # passed, or a check failed its threshold
    assert {p.name for p in (tmp_path / "audit").iterdir()} >= {
        "audit.html", "audit.json", "audit.xlsx"}

    status = main(["claims", str(folder), "--format", "json"])
    captured = capsys.readouterr()
    _plain(captured.err)
    assert status == 0, captured.err
    claims = json.loads(captured.out)
    rows = claims["claims"] if isinstance(claims, dict) else claims
    assert len(rows) >= 20
    assert all(r["verdict"] in {"supported", "contradicted", "inconclusive", "not_testable"}
               for r in rows)
    assert not list(tmp_path.glob(".outcomes-tmp-*"))
