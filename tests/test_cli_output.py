"""Output folders as whole processes see them: Ctrl-C, two runs at once, a folder that cannot
be written. (Re-runs and stale files: tests/test_report.py; the mechanism:
tests/test_output_folder.py.)"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from tests.dashboard_server import as_from_a_terminal

import outcomes

CLI = [sys.executable, "-m", "outcomes.cli"]
ENV = {**os.environ, "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}


def _bundle(tmp_path, name, patients, seed):
    folder = tmp_path / name
    outcomes.write_bundle(outcomes.simulate(patients, seed=seed), folder)
    return folder


def test_ctrl_c_leaves_nothing_and_says_so(tmp_path):
    folder = _bundle(tmp_path, "bundle", 600, 3)
    out = tmp_path / "out" / "report"
    proc = subprocess.Popen([*CLI, "report", str(folder), "--out", str(out), "--quiet"],
                            stderr=subprocess.PIPE, text=True, env=ENV,
                            preexec_fn=as_from_a_terminal)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob(".outcomes-tmp-*")):  # the run has begun writing
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip() == "outcomes report: interrupted; nothing was written"
    assert not out.exists()
    assert not list((tmp_path / "out").glob(".outcomes-tmp-*"))


def _sessions_read(out) -> int:
    text = (out / "tables" / "input.csv").read_text("utf-8")
    row = next(line for line in text.splitlines() if line.startswith("sessions,"))
    return int(row.split(",")[1])


def test_two_runs_at_once_leave_one_whole_set(tmp_path):
    small, large = _bundle(tmp_path, "small", 30, 1), _bundle(tmp_path, "large", 60, 2)
    sizes = {hashlib.sha256((b / "sessions.csv").read_bytes()).hexdigest(): b for b in
             (small, large)}
    out = tmp_path / "report"
    procs = [subprocess.Popen([*CLI, "report", str(b), "--out", str(out), "--quiet"],
                              stderr=subprocess.PIPE, text=True, env=ENV) for b in (small, large)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    html = (out / "report.html").read_text("utf-8")
    (winner,) = [b for digest, b in sizes.items() if digest in html]
    sessions = sum(1 for _ in (winner / "sessions.csv").open()) - 1
    assert _sessions_read(out) == sessions  # the tables are the same run's as the page
    assert not list(tmp_path.glob(".outcomes-tmp-*"))


@pytest.mark.parametrize("command", ["report", "audit"])
def test_an_out_that_cannot_be_a_folder_is_a_usage_error(tmp_path, command):
    folder = _bundle(tmp_path, "bundle", 12, 4)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = subprocess.run([*CLI, command, str(folder), "--out", str(blocker / "sub"), "--quiet"],
                         capture_output=True, text=True, env=ENV, timeout=300)
    assert run.returncode == 2, run.stderr
    assert re.fullmatch(rf"outcomes {command}: cannot write into .*: .*is a file, not a "
                        r"folder\.\s*", run.stderr), run.stderr
