"""``outcomes audit``: exit status 0 / 3 for a scheduler, 1 for unreadable input, 2 for usage."""

from __future__ import annotations

import json

import pytest

from bundles import valid_tables
from bundles import write_bundle as write_test_bundle
from outcomes.bundle.write import write_bundle
from outcomes.cli import main
from outcomes.simulate.draw import simulate

CLEAN = dict(fault_rate=0.0, contraindicated_share=0.0, alcohol_share=0.0,
             anticoagulant_share=0.0, spacing_deviation_share=0.0,
             clinic_ae_multiplier={"C05": 1.0})


@pytest.fixture(scope="module")
def clean_bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean")
    write_bundle(simulate(300, seed=41, **CLEAN), path, format="parquet")
    return path


@pytest.fixture(scope="module")
def faulty_bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("faulty")
    write_bundle(simulate(300, seed=42, fault_rate=0.03), path, format="csv")
    return path


def test_clean_bundle_exits_0(clean_bundle, tmp_path, capsys):
    out = tmp_path / "audit"
    assert main(["audit", str(clean_bundle), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "audit PASSED" in printed.out and printed.err == ""
    for name in ("audit.html", "audit.json", "audit.xlsx"):
        assert (out / name).is_file()
    assert json.loads((out / "audit.json").read_text("utf-8"))["exit_status"] == 0


def test_failed_check_exits_3_and_still_writes(faulty_bundle, tmp_path, capsys):
    out = tmp_path / "audit"
    assert main(["audit", str(faulty_bundle), "--out", str(out), "--release",
                 "--min-cell", "3"]) == 3
    printed = capsys.readouterr().out
    assert "audit FAILED" in printed and "failed: sessions.required_conformant" in printed
    data = json.loads((out / "audit.json").read_text("utf-8"))
    assert data["passed"] is False and data["min_cell"] == 3


def test_unreadable_bundle_exits_1_without_traceback(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["audit", str(empty), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("outcomes audit:") and "Traceback" not in err
    assert not (tmp_path / "out" / "audit.html").exists()


def test_malformed_config_exits_2_naming_the_key(tmp_path, capsys):
    bundle = write_test_bundle(tmp_path / "b", valid_tables())
    config = tmp_path / "audit.toml"
    config.write_text("[signals]\nceiling_per_course = \"a lot\"\n", "utf-8")
    code = main(["audit", str(bundle), "--out", str(tmp_path / "out"), "--config", str(config)])
    assert code == 2
    err = capsys.readouterr().err
    assert "ceiling_per_course" in err and "expected a share" in err and "Traceback" not in err


def test_config_changes_the_verdict(tmp_path, capsys):
    bundle = write_test_bundle(tmp_path / "b", valid_tables())
    config = tmp_path / "lenient.toml"
    config.write_text("\n".join([
        "[checks]",
        '"sessions.course_baseline" = 0',
        '"courses.end_or_follow_up" = 0',
        '"courses.single_session_unassessed" = 100',
        "[signals]",
        "min_units = 100",
    ]), "utf-8")
    args = ["audit", str(bundle), "--out", str(tmp_path / "out"), "--quiet"]
    assert main(args) == 3
    assert main([*args, "--config", str(config)]) == 0
    assert capsys.readouterr().out.count("audit ") == 2


@pytest.mark.parametrize("extra", [["--min-cell", "0"], ["--min-cell", "few"]])
def test_bad_min_cell_is_a_usage_error(tmp_path, extra):
    assert main(["audit", str(tmp_path), "--out", str(tmp_path / "o"), *extra]) == 2


def test_out_is_required(tmp_path):
    assert main(["audit", str(tmp_path)]) == 2
