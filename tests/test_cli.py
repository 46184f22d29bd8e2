"""The command line as a whole: help texts, usage errors, and no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from outcomes.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def test_top_level_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out
    assert "usage: outcomes" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help_with_an_example(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"usage: outcomes {command}" in out
    assert "Example" in out or "example" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["report", str(SAMPLE)]) == 2  # --out is required
    assert "usage" in capsys.readouterr().err


def test_version(capsys):
    import outcomes

    assert main(["--version"]) == 0
    assert outcomes.__version__ in capsys.readouterr().out


def test_missing_bundle_is_a_plain_message(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    for command in (["validate", str(missing)], ["claims", str(missing)],
                    ["report", str(missing), "--out", str(tmp_path / "out")]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "nowhere" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # no report is written


def test_console_script_runs_without_traceback(tmp_path):
    exe = Path(sys.executable).with_name("outcomes")
    proc = subprocess.run([str(exe), "claims", str(tmp_path / "absent")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "absent" in proc.stderr


def test_simulate_replaces_a_bundle_of_another_format_as_one_set(tmp_path, capsys):
    out = tmp_path / "bundle"
    assert main(["simulate", "--out", str(out), "--patients", "5"]) == 0
    (out / "README.md").write_text("the user's data card")
    assert main(["simulate", "--out", str(out), "--patients", "5", "--format", "parquet",
                 "--force"]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "adverse_events.parquet", "assessments.parquet", "sessions.parquet"]
    assert "Removed the previous bundle files of another format" in printed
    assert "sessions.csv" in printed


def test_the_console_runs_blas_on_one_thread_unless_told(monkeypatch):
    from outcomes.cli import BLAS_THREAD_VARIABLES, one_blas_thread

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    one_blas_thread()
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "3"  # the user's choice stays
    assert set(BLAS_THREAD_VARIABLES) == {"OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}


def test_the_console_ends_without_teardown_yet_runs_what_must_happen_at_exit(tmp_path):
    """exit_now: the status kept, buffered output flushed, atexit functions run."""
    done = tmp_path / "atexit-ran"
    code = (
        "import atexit, sys\n"
        "from outcomes.cli import exit_now\n"
        f"atexit.register(lambda: open({str(done)!r}, 'w').write('yes'))\n"
        "sys.stdout.write('buffered, not yet written')\n"
        "exit_now(3)\n"
        "print('never reached')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 3
    assert proc.stdout == "buffered, not yet written"
    assert done.read_text() == "yes"


def test_the_console_script_into_a_closed_pipe_is_quiet(tmp_path):
    """``outcomes claims ... | head``: the reader goes away; no traceback, no noise."""
    exe = Path(sys.executable).with_name("outcomes")
    proc = subprocess.Popen([str(exe), "claims", str(SAMPLE)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # as `head` does, here before the first line (nothing is printed
    # before the bundle is read), so that every write meets a closed pipe
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 141  # as a shell reports a process ended by SIGPIPE
    assert "Traceback" not in err and "Broken pipe" not in err
