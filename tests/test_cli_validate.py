"""``outcomes validate``: counts, first problems, rejects files and exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from tests.bundles import many_sessions, valid_tables, write_bundle

from outcomes import Col
from outcomes.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, main

CONSOLE_SCRIPT = Path(sys.executable).with_name("outcomes")





def broken_tables() -> dict:
    t = valid_tables()
    t["sessions"][Col.SESSION_DATE][0] = "18/03/2024"  # row 2 quarantined, and its event
    t["sessions"][Col.DURATION_MIN][1] = "300"  # row 3 blanked
    return t


def test_clean_bundle_exits_0_and_prints_counts(tmp_path, capsys):
    folder = write_bundle(tmp_path / "clinic", valid_tables())
    assert main(["validate", str(folder)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Bundle clinic" in out
    assert "sessions" in out and "assessments" in out and "adverse_events" in out
    assert "read  accepted  quarantined  warned" in out
    assert "sessions.csv  " in out  # a checksum line
    assert "No problems" in out


def test_quarantined_rows_exit_1_and_are_listed(tmp_path, capsys):
    folder = write_bundle(tmp_path / "clinic", broken_tables())
    assert main(["validate", str(folder)]) == EXIT_INPUT
    out = capsys.readouterr().out
    assert ("sessions.csv row 2 quarantined: session_date: '18/03/2024' is not an ISO 8601 date "
            "(YYYY-MM-DD), write it as 2024-03-18") in out
    assert "adverse_events.csv row 2 quarantined: its session 'S1' (sessions row 2)" in out
    assert ("sessions.csv row 3, duration_min: 300 is out of range (more than 0 and less than "
            "240), left blank") in out
    assert "2 row(s) quarantined" in out and "1 value(s) left blank" in out


def test_only_blanked_values_still_exit_0(tmp_path, capsys):
    t = valid_tables()
    t["sessions"][Col.PAIN_VAS][0] = "11"
    assert main(["validate", str(write_bundle(tmp_path, t))]) == EXIT_OK
    assert "pain_vas: 11 is out of range" in capsys.readouterr().out


def test_the_first_ten_problems_then_how_many_more(tmp_path, capsys):
    s = many_sessions(15)
    s[Col.SETTING] = ["spa"] * 15
    t = {"sessions": s}
    assert main(["validate", str(write_bundle(tmp_path, t))]) == EXIT_INPUT
    out = capsys.readouterr().out
    listed = [line for line in out.splitlines() if " quarantined: " in line]
    assert len(listed) == 10
    assert "  and 5 more" in out
    assert main(["validate", str(write_bundle(tmp_path, t)), "--show", "3"]) == EXIT_INPUT
    assert "  and 12 more" in capsys.readouterr().out


def test_rejects_folder_gets_the_rejects_and_warnings(tmp_path, capsys):
    folder = write_bundle(tmp_path / "clinic", broken_tables(), "xlsx")
    out_dir = tmp_path / "out" / "rejects"
    assert main(["validate", str(folder), "--rejects", str(out_dir)]) == EXIT_INPUT
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "adverse_events_rejects.csv", "assessments_rejects.csv", "sessions_rejects.csv",
        "warnings.csv"]
    sessions = pd.read_csv(out_dir / "sessions_rejects.csv", dtype=str)
    assert sessions[Col.ROW].tolist() == ["2"]
    assert sessions[Col.SESSION_DATE].tolist() == ["18/03/2024"]
    assert sessions[Col.REASON].str.startswith("session_date: ").all()
    assert list(sessions.columns[-2:]) == [Col.ROW, Col.REASON]
    warnings = pd.read_csv(out_dir / "warnings.csv", dtype=str)
    assert warnings[[Col.TABLE, Col.ROW, Col.COLUMN, Col.VALUE]].values.tolist() == [
        ["sessions", "3", Col.DURATION_MIN, "300"]]
    out = capsys.readouterr().out
    assert "bundle.xlsx, sheet sessions row 2 quarantined" in out
    assert "Written: sessions_rejects.csv" in out


def test_unreadable_bundle_exits_1_with_a_message_and_no_traceback(tmp_path, capsys):
    t = valid_tables()
    del t["sessions"][Col.SETTING]
    assert main(["validate", str(write_bundle(tmp_path, t))]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.startswith("outcomes validate: sessions.csv has no setting column")
    assert "Traceback" not in err


def test_identifying_data_exits_1(tmp_path, capsys):
    t = valid_tables()
    t["sessions"]["email"] = ["a@b.org", "c@d.org", "e@f.org"]
    assert main(["validate", str(write_bundle(tmp_path, t))]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "column 'email'" in err and "a@b.org" not in err


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["validate"]) == EXIT_USAGE
    assert main(["validate", str(tmp_path), "--show", "many"]) == EXIT_USAGE
    assert "usage:" in capsys.readouterr().err


def test_rejects_into_a_file_is_a_usage_error(tmp_path, capsys):
    folder = write_bundle(tmp_path / "b", broken_tables())
    (tmp_path / "taken").write_text("a file")
    assert main(["validate", str(folder), "--rejects", str(tmp_path / "taken")]) == EXIT_USAGE
    assert "cannot write into" in capsys.readouterr().err


def test_console_script_in_a_subprocess(tmp_path):
    assert CONSOLE_SCRIPT.exists(), "the outcomes console script is installed with the package"
    t = valid_tables()
    del t["sessions"][Col.SETTING]
    folder = write_bundle(tmp_path / "clinic", t)
    done = subprocess.run([str(CONSOLE_SCRIPT), "validate", str(folder)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == EXIT_INPUT
    assert done.stderr.startswith("outcomes validate: sessions.csv has no setting column")
    assert "Traceback" not in done.stderr
