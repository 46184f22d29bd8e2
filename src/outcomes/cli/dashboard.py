"""``outcomes dashboard``: the clinician dashboard as a local web app.

Starts Jupyter's dashboard server (Voilà) in this process on the notebook shipped beside the
dashboard (``app/clinician_dashboard.ipynb``, the same file as
``notebooks/clinician_dashboard.ipynb``), with its code hidden and tracebacks off, on
``127.0.0.1``; prints the URL once the port is bound; stops cleanly on Ctrl-C. The bundle is
checked before anything starts. The notebook learns the bundle, the claims file and the
disclosure threshold from environment variables
(:data:`outcomes.validators.DASHBOARD_ENVIRONMENT`), which Voilà hands to every kernel.
Voilà and Jupyter are imported only when the command runs: ``outcomes --help`` stays fast.

The server's start is about a second shorter without ``rfc3987_syntax``: jsonschema's format
checkers import it (through jupyter_events), and it compiles some 35 Lark parsers at import for
the ``iri`` formats, which no Jupyter schema uses (jupyter_server issue 1559, jsonschema issue
1428). :func:`keep_out_slow_imports` keeps it out of this process only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import BundleError, ConfigError
from ..validators import dashboard_environment
from . import whole_number

NAME = "dashboard"
HELP = "open the clinician dashboard of a bundle in the web browser"
DESCRIPTION = """\
Serve the clinician dashboard of a bundle as a local web app: filters by condition, setting,
skin type, clinic and dates; the claims with their verdicts; the dose-response and side-effect
plots; an export of what is shown (claims table as CSV and XLSX, plots as PNG). No code is shown.

The app runs on this computer only (127.0.0.1) until Ctrl-C. Everything it shows and exports
follows the release rules: counts from 1 to MIN_CELL-1 are shown as <MIN_CELL, and a filter
leaving fewer than MIN_CELL patients shows a message instead of results.

Needs the 'notebooks' extra (pip install 'outcomes[notebooks]'), which brings Voilà.

Examples:
  outcomes dashboard data/sample
  outcomes dashboard data/sample --port 8866 --no-browser --min-cell 10
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from . import BUNDLE_HELP

    p.add_argument("path", metavar="PATH", help=BUNDLE_HELP)
    p.add_argument("--port", type=whole_number(1, "a port number"), metavar="N",
                   help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--claims", metavar="FILE",
                   help="a TOML file changing thresholds or adding claims of the known kinds")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open the web browser (print the address only)")
    p.add_argument("--min-cell", type=whole_number(1), default=5, metavar="N",
                   help="smallest count shown; 1..N-1 are shown as <N, and a filter leaving "
                        "fewer than N patients shows a message (default 5)")


#: The notebook Voilà serves, shipped in the package beside the dashboard (a file read by Voilà,
#: not a module imported here: nothing imports the app).
NOTEBOOK = Path(__file__).resolve().parents[1] / "app" / "clinician_dashboard.ipynb"


def run(args: argparse.Namespace) -> int:
    return serve(args.path, port=args.port, claims=args.claims, min_cell=args.min_cell,
                 open_browser=not args.no_browser)


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


#: Modules the server never needs whose import is slow (see the module docstring).
SLOW_UNUSED_MODULES = ("rfc3987_syntax",)


def keep_out_slow_imports() -> None:
    """Make :data:`SLOW_UNUSED_MODULES` unimportable in this process (an import of one raises
    ImportError, which jsonschema expects of an optional checker); one already imported stays."""
    for name in SLOW_UNUSED_MODULES:
        sys.modules.setdefault(name, None)


def free_port(preferred: int | None = None) -> int:
    """``preferred`` if given, else a free port on 127.0.0.1."""
    if preferred:
        return int(preferred)
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_on_ctrl_c(app) -> None:
    """Ctrl-C stops the server as SIGTERM does in Voilà (the event loop is asked to stop, then
    the kernels are shut down), rather than by a KeyboardInterrupt raised wherever the main
    thread happens to be, which a library may catch; a second Ctrl-C interrupts at once."""
    import signal

    def stop(sig, frame):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        app._handle_signal_stop(sig, frame)

    signal.signal(signal.SIGINT, stop)


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
    os.environ.update(dashboard_environment(bundle, claims=claims, min_cell=min_cell))
    keep_out_slow_imports()
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
    _stop_on_ctrl_c(app)
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
