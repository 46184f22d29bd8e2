"""``outcomes dashboard`` started as a user starts it, for the CLI and browser tests.

:func:`start` runs the console command in a subprocess (HOME, MPLCONFIGDIR and every Jupyter
folder in a temporary folder), waits for the line with the URL and returns a
:class:`DashboardServer`; :meth:`DashboardServer.interrupt` sends Ctrl-C (SIGINT) and waits for
the command to exit. Servers are stopped by their own PID only.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
CONSOLE_SCRIPT = Path(sys.executable).with_name("outcomes")
URL = re.compile(r"(http://127\.0\.0\.1:\d+/)")
#: True in the page once the app works: both plots drawn and the claims table filled.
READY_JS = ("() => [...document.querySelectorAll('.outcomes-dashboard .widget-image')]"
            ".filter(i => i.src && i.naturalWidth > 0).length == 2"
            " && document.querySelectorAll('.outcomes-claims tbody tr').length > 0")


#: Where the command's Python keeps its compiled modules across runs, as an installed package
#: does (some sandboxes set PYTHONDONTWRITEBYTECODE, and every start would compile them again).
PYCACHE = ROOT / "build" / "pycache"


def environment(home: Path) -> dict[str, str]:
    """This environment with a throw-away home and Jupyter folders."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "JPY_", "OUTCOMES_DASHBOARD"))
           and k not in ("MPLBACKEND", "PYTHONDONTWRITEBYTECODE")}
    env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    for name in ("home", "mpl", "config", "data", "runtime"):
        (home / name).mkdir(parents=True, exist_ok=True)
    src = str(ROOT / "src")
    env.update(HOME=str(home / "home"), MPLCONFIGDIR=str(home / "mpl"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])]))
    return env


@dataclass
class DashboardServer:
    """A running ``outcomes dashboard``: its URL, process and output so far."""

    process: subprocess.Popen
    started: float
    url: str | None = None
    url_seconds: float | None = None
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.stdout) + "\n--- stderr ---\n" + "".join(self.stderr)

    def interrupt(self, timeout: float = 90) -> int:
        """Ctrl-C, as in a terminal; return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        """Make sure the process is gone (SIGTERM, then SIGKILL)."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def as_from_a_terminal() -> None:
    """In the child, before the command starts: Ctrl-C (SIGINT) as a terminal gives it, whatever
    the test runner's process did to its own (an ignored or blocked SIGINT is inherited)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _pump(stream, sink: list[str]) -> None:
    for line in iter(stream.readline, ""):
        sink.append(line)
    stream.close()


def start(*args: str, home: Path, wait: float = 120) -> DashboardServer:
    """Run ``outcomes dashboard ARGS`` and wait (up to ``wait`` s) for the URL it prints."""
    cmd = [str(CONSOLE_SCRIPT), "dashboard", *args]
    started = time.monotonic()
    process = subprocess.Popen(cmd, cwd=ROOT, env=environment(home), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                               preexec_fn=as_from_a_terminal)
    server = DashboardServer(process, started)
    for stream, sink in ((process.stdout, server.stdout), (process.stderr, server.stderr)):
        threading.Thread(target=_pump, args=(stream, sink), daemon=True).start()
    deadline = started + wait
    while time.monotonic() < deadline and process.poll() is None:
        found = URL.search("".join(server.stdout))
        if found:
            server.url = found.group(1)
            server.url_seconds = time.monotonic() - started
            break
        time.sleep(0.1)
    return server
