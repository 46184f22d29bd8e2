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


def test_rescore_from_a_stored_audit_without_the_data(faulty_bundle, tmp_path, capsys):
    out = tmp_path / "audit"
    assert main(["audit", str(faulty_bundle), "--out", str(out), "--quiet"]) == 3
    stored = json.loads((out / "audit.json").read_text("utf-8"))
    failed = [c["id"] for c in stored["checks"] if not c["passed"]]
    lax = tmp_path / "lax.toml"
    lines = ["[checks]"] + [f'"{c["id"]}" = {100 if c["direction"] == "at_most" else 0}'
                            for c in stored["checks"] if c["id"] in failed]
    lax.write_text("\n".join(lines) + "\n", "utf-8")
    capsys.readouterr()
    code = main(["audit", "--rescore", str(out / "audit.json"), "--config", str(lax),
                 "--out", str(tmp_path / "re")])
    new = json.loads((tmp_path / "re" / "audit_rescored.json").read_text("utf-8"))
    still = [c["id"] for c in new["checks"] if not c["passed"]]
    assert code == (0 if not still else 3) == new["exit_status"]
    assert set(new["rescored"]["changed"]) | set(still) >= set(failed)
    assert "re-scored" in capsys.readouterr().out


def test_rescore_or_path_is_needed(tmp_path, capsys):
    assert main(["audit", "--out", str(tmp_path / "o")]) == 2
    assert "--rescore" in capsys.readouterr().err
    bad = tmp_path / "x.json"
    bad.write_text("{}", "utf-8")
    assert main(["audit", "--rescore", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "cannot re-score" in capsys.readouterr().err


def test_monitoring_alarm_sounds_in_the_exit_status_and_is_configurable(tmp_path, capsys):
    bundle = tmp_path / "planted"
    write_bundle(simulate(1500, seed=43, **{**CLEAN, "clinic_ae_multiplier": {"C05": 3.0}}),
                 bundle, format="parquet")
    assert main(["audit", str(bundle), "--out", str(tmp_path / "a")]) == 3
    printed = capsys.readouterr().out
    assert "funnel alarm: clinic_id C05" in printed
    assert "failed: monitoring.funnel_alarm" in printed
    html = (tmp_path / "a" / "audit.html").read_text("utf-8")
    assert 'id="monitoring"' in html
    assert "Funnel plot of notable side effects per session by clinic" in html
    assert "Risk-adjusted CUSUM of clinic C05" in html
    quiet = tmp_path / "quiet.toml"
    quiet.write_text('[checks]\n"monitoring.funnel_alarm" = 100\n"monitoring.cusum_signal" = 100\n'
                     '"signals.above_ceiling" = 100\n', "utf-8")
    code = main(["audit", str(bundle), "--out", str(tmp_path / "b"), "--config", str(quiet),
                 "--quiet"])
    assert code == 0, capsys.readouterr().out
