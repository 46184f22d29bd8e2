"""Serve the clinician dashboard as a local web app: Voilà over the thin dashboard notebook.

One job: start Jupyter's dashboard server (Voilà) on the notebook shipped beside this module
(``clinician_dashboard.ipynb``, the same notebook as ``notebooks/clinician_dashboard.ipynb``),
with its code hidden, on ``127.0.0.1``, and stop it cleanly on Ctrl-C.

The notebook learns what to show from environment variables (:data:`ENVIRONMENT`), which Voilà
hands to every kernel it starts (a kernel's environment is the server's plus the request's): the
bundle, the claims file and the disclosure threshold. Environment variables rather than URL query
parameters, because a URL should never name a file on disk, and because a kernel Voilà starts
before any request (a pre-heated one) sees the environment but no query.

Nothing here imports Voilà or Jupyter at import time: ``outcomes --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from ..errors import BundleError, ConfigError

__all__ = ["ENVIRONMENT", "NOTEBOOK", "check_bundle_path", "dashboard_settings",
           "environment", "serve", "voila_argv"]

#: The environment variables ``outcomes dashboard`` sets for the notebook's kernel.
ENVIRONMENT = {
    "path": "OUTCOMES_DASHBOARD_PATH",
    "claims": "OUTCOMES_DASHBOARD_CLAIMS",
    "min_cell": "OUTCOMES_DASHBOARD_MIN_CELL",
}
#: The notebook Voilà serves (shipped in the package).
NOTEBOOK = Path(__file__).with_name("clinician_dashboard.ipynb")
#: File endings of a table of a bundle folder, and of a workbook bundle.
_TABLE_SUFFIXES = (".csv", ".parquet")
_WORKBOOK_SUFFIXES = (".xlsx",)


def check_bundle_path(path: str | Path) -> Path:
    """The bundle's absolute path, after a quick look that it can be a bundle.

    A folder holding a ``sessions`` table or an ``.xlsx`` workbook passes at once (the full
    checks run when the dashboard loads it); anything else is handed to the bundle reader,
    whose message says what is wrong and what to give instead.

    Parameters
    ----------
    path : str or Path
        The bundle given on the command line.

    Returns
    -------
    Path
        The absolute path (the dashboard's kernel runs in another working directory).

    Raises
    ------
    BundleError
        If ``path`` is not a bundle (missing, a single table, no sessions table ...).

    Examples
    --------
    >>> check_bundle_path("no/such/folder")
    Traceback (most recent call last):
    ...
    outcomes.errors.BundleError: folder: no such folder or file. Give the folder holding ...
    """
    p = Path(path).expanduser()
    if p.is_dir() and any((p / f"sessions{s}").is_file() for s in _TABLE_SUFFIXES):
        return p.resolve()
    if p.is_file() and p.suffix.lower() in _WORKBOOK_SUFFIXES:
        return p.resolve()
    from ..bundle.readers import read_bundle

    read_bundle(p)  # raises with the reader's own message
    raise BundleError(f"{p.name or p}: not a bundle (no sessions table found).")  # pragma: no cover


def environment(path: str | Path, *, claims: str | Path | None = None,
                min_cell: int = 5) -> dict[str, str]:
    """The environment variables telling the dashboard notebook what to show.

    Examples
    --------
    >>> env = environment("/data/clinic", min_cell=10)
    >>> env["OUTCOMES_DASHBOARD_MIN_CELL"], "OUTCOMES_DASHBOARD_CLAIMS" in env
    ('10', False)
    """
    env = {ENVIRONMENT["path"]: str(path), ENVIRONMENT["min_cell"]: str(int(min_cell))}
    if claims is not None:
        env[ENVIRONMENT["claims"]] = str(claims)
    return env


def dashboard_settings(path, catalogue=None, min_cell: int = 5,
                       env: Mapping[str, str] | None = None) -> dict:
    """What the dashboard shows: the notebook's parameters, overridden by :data:`ENVIRONMENT`.

    Examples
    --------
    >>> dashboard_settings("../data/sample", env={"OUTCOMES_DASHBOARD_PATH": "/d",
    ...                                           "OUTCOMES_DASHBOARD_MIN_CELL": "10"})
    {'path': '/d', 'catalogue': None, 'min_cell': 10}
    >>> dashboard_settings("x", env={"OUTCOMES_DASHBOARD_MIN_CELL": "ten"})
    Traceback (most recent call last):
    ...
    outcomes.errors.ConfigError: OUTCOMES_DASHBOARD_MIN_CELL: expected a whole number >= 1, ...
    """
    env = os.environ if env is None else env
    out = {"path": env.get(ENVIRONMENT["path"]) or path,
           "catalogue": env.get(ENVIRONMENT["claims"]) or catalogue,
           "min_cell": min_cell}
    text = env.get(ENVIRONMENT["min_cell"])
    if text:
        try:
            out["min_cell"] = int(text)
        except ValueError:
            out["min_cell"] = 0
        if out["min_cell"] < 1:
            raise ConfigError(f"{ENVIRONMENT['min_cell']}: expected a whole number >= 1, got "
                              f"{text!r}.")
    return out


def voila_argv(port: int, *, open_browser: bool = False) -> list[str]:
    """Voilà's command line: the shipped notebook, code hidden, on 127.0.0.1 at ``port``.

    Examples
    --------
    >>> argv = voila_argv(8866)
    >>> "--Voila.ip=127.0.0.1" in argv, "--strip_sources=True" in argv, "--no-browser" in argv
    (True, True, True)
    """
    return [
        str(NOTEBOOK),
        f"--port={int(port)}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        "--Voila.log_level=WARN",
        *([] if open_browser else ["--no-browser"]),
    ]


def free_port(preferred: int | None = None) -> int:
    """``preferred`` if given, else a free port on 127.0.0.1."""
    if preferred:
        return int(preferred)
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(path: str | Path, *, port: int | None = None, claims: str | Path | None = None,
          min_cell: int = 5, open_browser: bool = True, out=None) -> int:
    """Serve the dashboard of the bundle at ``path`` until Ctrl-C; return the exit status.

    Parameters
    ----------
    path : str or Path
        The bundle (checked with :func:`check_bundle_path` before anything starts).
    port : int, optional
        Port on 127.0.0.1 (default: a free one).
    claims : str or Path, optional
        A claims catalogue file changing the built-in one.
    min_cell : int, default 5
        Disclosure threshold of everything shown and exported.
    open_browser : bool, default True
        Open the app in the default web browser.
    out : file, optional
        Where the URL line is printed (default: standard output).

    Returns
    -------
    int
        0 when stopped with Ctrl-C (or SIGTERM).

    Raises
    ------
    BundleError, ConfigError
        If the bundle or the claims file cannot be used (before the server starts).
    """
    out = sys.stdout if out is None else out
    bundle = check_bundle_path(path)
    if claims is not None:
        claims_path = Path(claims).expanduser()
        if not claims_path.is_file():
            raise ConfigError(f"--claims {claims}: no such file. Give a TOML claims file "
                              "(see docs/claims.md), or leave --claims out for the built-in "
                              "catalogue.")
        claims = claims_path.resolve()
    port = free_port(port)
    os.environ.update(environment(bundle, claims=claims, min_cell=min_cell))
    try:
        from voila.app import Voila
    except ImportError:  # pragma: no cover - the notebooks extra installs it
        raise ConfigError("outcomes dashboard needs Voilà: pip install 'outcomes[notebooks]'.") \
            from None
    import tornado.ioloop

    url = f"http://127.0.0.1:{port}/"

    def announce():
        print(f"The dashboard of {bundle.name} is at {url} (Ctrl-C stops it)", file=out,
              flush=True)

    tornado.ioloop.IOLoop.current().add_callback(announce)  # runs once the port is bound
    app = Voila()
    app.initialize(voila_argv(port, open_browser=open_browser))
    try:
        app.start()
    except KeyboardInterrupt:  # a second Ctrl-C while the kernels shut down
        pass
    except SystemExit as exc:  # Voilà exits when it cannot listen on the port
        if exc.code:
            raise ConfigError(f"port {port} on 127.0.0.1 is taken or not allowed; give another "
                              "with --port, or leave --port out for a free one.") from None
    print("The dashboard has stopped.", file=out, flush=True)
    return 0
