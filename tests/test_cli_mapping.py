"""``--mapping FILE`` on every command that reads a bundle, and ``outcomes mapping``."""

from __future__ import annotations

import json

import pytest

import exports
from outcomes.bundle.write import write_bundle
from outcomes.cli import build_parser, main

READING = ("validate", "claims", "report", "audit")


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    root = tmp_path_factory.mktemp("clinic")
    tables = exports.contract_tables(20, seed=11)
    write_bundle(tables, root / "contract")
    exports.write_skindesk_csv(tables, root / "export")
    (root / "clinic.toml").write_text(exports.mapping_text(), encoding="utf-8")
    return root


@pytest.mark.parametrize("command", READING)
def test_every_command_that_reads_a_bundle_takes_a_mapping(command):
    sub = build_parser().commands[command]
    options = {o for a in sub._actions for o in a.option_strings}
    assert "--mapping" in options
    assert "'outcomes mapping' drafts one" in " ".join(sub.format_help().split())


def test_validate_through_a_mapping(clinic, capsys):
    before = exports.checksums(clinic / "export")
    assert main(["validate", str(clinic / "export"), "--mapping",
                 str(clinic / "clinic.toml")]) == 0
    out = capsys.readouterr().out
    assert "No problems: every row was accepted" in out
    assert "clinic.toml (mapping)" in out and "Appointments.csv" in out
    assert exports.checksums(clinic / "export") == before


def test_claims_through_a_mapping_equal_claims_of_the_contract_bundle(clinic, capsys):
    assert main(["claims", str(clinic / "contract"), "--format", "json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert main(["claims", str(clinic / "export"), "--mapping", str(clinic / "clinic.toml"),
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_a_mapping_that_does_not_fit_is_a_usage_error(clinic, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(exports.mapping_text().replace('"Session date"', '"Visit date"'), "utf-8")
    assert main(["validate", str(clinic / "export"), "--mapping", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("outcomes validate: bad.toml, [sessions.columns], entry "
                          "'session_date': Appointments.csv has no column 'Visit date'")


def test_outcomes_mapping_drafts_and_never_overwrites(clinic, tmp_path, capsys):
    out = tmp_path / "draft.toml"
    assert main(["mapping", str(clinic / "export"), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"Wrote {out}: tables sessions <- Appointments.csv, assessments "
                           "<- Outcome scores.csv, adverse_events <- Reactions.csv;")
    text = out.read_text("utf-8")
    assert 'patient_id = "Patient ID"' in text
    assert main(["mapping", str(clinic / "export"), "--out", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert out.read_text("utf-8") == text


def test_the_mapping_is_in_the_provenance_of_the_report_and_the_audit(clinic, tmp_path):
    import hashlib

    digest = hashlib.sha256((clinic / "clinic.toml").read_bytes()).hexdigest()
    mapped = ["--mapping", str(clinic / "clinic.toml")]
    assert main(["report", str(clinic / "export"), *mapped, "--out", str(tmp_path / "r"),
                 "--quiet"]) == 0
    html = (tmp_path / "r" / "report.html").read_text("utf-8")
    assert "clinic.toml (mapping)" in html and digest in html
    assert main(["audit", str(clinic / "export"), *mapped, "--out", str(tmp_path / "a"),
                 "--quiet"]) in (0, 3)
    audit = json.loads((tmp_path / "a" / "audit.json").read_text("utf-8"))
    assert digest in json.dumps(audit)
