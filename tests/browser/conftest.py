"""Fixtures of the browser tests: a JupyterLab server and headless Chromium driven by Playwright.

Set-up (``make test-browser`` runs it): ``bash tests/browser/setup.sh`` installs Debian's
``chromium``; Playwright drives it and never downloads a browser of its own.

The server runs from this interpreter's environment on a free localhost port with a random
token; HOME, MPLCONFIGDIR and every Jupyter configuration, data and runtime folder point into a
temporary folder, and the news pop-up is switched off by an ``overrides.json`` in a temporary
application-settings folder, so nothing of the user's set-up is read or written. The server is
stopped by its own PID and waited for.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: JupyterLab settings that switch off the news and update pop-ups.
OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                               "checkForUpdates": False}}
SERVER_START_SECONDS = 90


@dataclass
class LabServer:
    """A running JupyterLab: its base URL, token and process."""

    url: str
    token: str
    process: subprocess.Popen
    log: Path
    ready: bool = False

    def api(self, path: str, method: str = "GET"):
        """Call the REST API; return the decoded JSON (None for an empty answer)."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method,
            headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def lab_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}&reset"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "JPY_")) and k != "MPLBACKEND"}
    for name in ("home", "mpl", "config", "data", "runtime"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home / "home"),
        MPLCONFIGDIR=str(home / "mpl"),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _stop(process: subprocess.Popen) -> None:
    """Stop the server by its own PID and wait for it (it takes a few seconds to exit)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def _start(token: str, env: dict, home: Path, settings: Path, log: Path) -> LabServer:
    """Start JupyterLab on a free port; return once it answers (or exited, or timed out)."""
    port = _free_port()
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--ip", "127.0.0.1", "--port", str(port), "--allow-root",
        f"--ServerApp.token={token}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={ROOT}",
        f"--LabApp.app_settings_dir={settings}",
        f"--LabApp.user_settings_dir={home / 'user-settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = LabServer(f"http://127.0.0.1:{port}", token, process, log)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            server.api("/api/status")
            server.ready = True
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    return server


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `bash tests/browser/setup.sh` "
                    f"(or `make test-browser`).")
    return CHROMIUM


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory) -> LabServer:
    """JupyterLab serving the repository, in a throw-away home."""
    home = tmp_path_factory.mktemp("lab-home")
    env = _environment(home)
    settings = home / "app-settings"
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps(OVERRIDES, indent=2))
    token = secrets.token_hex(16)
    log = home / "server.log"
    server = None
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        server = _start(token, env, home, settings, log)
        if server.process.poll() is None:
            break
    if server.process.poll() is not None or not server.ready:
        _stop(server.process)
        pytest.fail(f"JupyterLab did not start within {SERVER_START_SECONDS} s:\n"
                    + server.log_text()[-4000:])
    try:
        yield server
    finally:
        try:  # shut the kernels down through the API before the server itself
            for session in server.api("/api/sessions") or []:
                server.api(f"/api/sessions/{session['id']}", method="DELETE")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        _stop(server.process)
        shutil.rmtree(home / "runtime", ignore_errors=True)


@pytest.fixture(scope="session")
def browser(chromium_path):
    """Headless Chromium (Debian's), driven by Playwright."""
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_path), headless=True,
                              args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def artifacts() -> Path:
    """``test-artifacts/`` at the repository root (git-ignored): screenshots for people."""
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
