"""Checks of arguments and settings shared by several entry points, with messages that say where.

Settings files (the claims catalogue, the audit configuration, a mapping) are TOML read by the room
that owns them, each with :func:`read_toml`; the helpers here build the messages they share: which
file and entry, which field, what was expected and what came in (:class:`Where`).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Where", "NOTHING", "show", "is_number", "number_text", "read_toml",
           "DASHBOARD_ENVIRONMENT", "dashboard_environment", "dashboard_settings"]

#: Marks a field that was not given at all (as distinct from one given as ``None``).
NOTHING = object()

_TYPE_NAMES = {bool: "true/false", int: "integer", float: "number", str: "text", list: "list",
               dict: "table"}


def show(value: Any, *, width: int = 60) -> str:
    """Render a value for a message: its repr (cut to ``width``) and its type in words.

    >>> show(3)
    '3 (integer)'
    >>> len(show("x" * 80))
    67
    """
    text = repr(value)
    if len(text) > width:
        text = text[: width - 3] + "..."
    return f"{text} ({_TYPE_NAMES.get(type(value), type(value).__name__)})"


def is_number(value: Any) -> bool:
    """True for a finite int or float that is not a bool.

    >>> is_number(1.5), is_number(True), is_number(float("nan"))
    (True, False, False)
    """
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number_text(x: Any, digits: int | None = None) -> str:
    """A number as short text for messages and method notes: whole numbers without a decimal
    point, others in ``%g`` form (``digits`` significant digits if given); bools as TOML writes
    them.

    >>> number_text(4.0), number_text(0.25), number_text(0.123456, 3), number_text(True)
    ('4', '0.25', '0.123', 'true')
    """
    if isinstance(x, bool):
        return str(x).lower()
    x = float(x)
    if x.is_integer():
        return str(int(x))
    return f"{x:.{digits}g}" if digits else f"{x:g}"


class Where:
    """Where a setting came from, to build messages: a file and, optionally, an entry.

    >>> Where("claims.toml", "claim 'x'").error("low", "a number", "a")
    ConfigError("claims.toml, claim 'x', field 'low': expected a number; got 'a' (text).")
    """

    def __init__(self, file: str, entry: str = ""):
        self.file, self.entry = file, entry

    def error(self, field: str, expected: str, got: Any = NOTHING, *, show_value: bool = True,
              fix: str = "") -> ConfigError:
        """Return a :class:`ConfigError` naming file, entry and field, what was expected and
        what came in (``got``; leave it out when nothing came), and how to fix it."""
        if not show_value:
            came = ""
        elif got is NOTHING:
            came = "; got nothing"
        else:
            came = f"; got {show(got)}"
        place = f"{self.file}, {self.entry}" if self.entry else self.file
        tail = f" {fix}" if fix else ""
        return ConfigError(f"{place}, field {field!r}: expected {expected}{came}.{tail}")


def read_toml(path: Path, *, what: str, shape: str | None = None) -> dict:
    """Read a user's TOML settings file; a :class:`ConfigError` says which file and why not.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What the file is, for messages (``"claims file"``).
    shape : str, optional
        The package's file the user's one follows (``"claims.toml"``): a missing file is then
        said to be missing, and of which shape one is expected; without it, a missing file is
        one that cannot be read.

    Raises
    ------
    ConfigError
        The file does not exist, cannot be read as UTF-8 text, or is not valid TOML.

    Examples
    --------
    >>> read_toml(Path("nowhere.toml"), what="claims file", shape="claims.toml")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    outcomes.errors.ConfigError: The claims file nowhere.toml does not exist; expected a TOML ...
    """
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        if shape is not None and isinstance(exc, FileNotFoundError):
            raise ConfigError(f"The {what} {path.name} does not exist; expected a TOML file of "
                              f"the shape of the package's {shape}.") from None
        raise ConfigError(f"Cannot read the {what} {path.name}: {exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The {what} {path.name} is not valid TOML: {exc}.") from None


# ---------------------------------------------------------------------- the dashboard's settings
# ``outcomes dashboard`` (cli) sets them, the dashboard notebook's kernel (app) reads them: Voilà
# hands the server's environment to every kernel it starts. Environment variables rather than URL
# query parameters, because a URL should never name a file on disk, and a kernel Voilà starts
# before any request (a pre-heated one) sees the environment but no query.
#: The environment variables ``outcomes dashboard`` sets for the notebook's kernel.
DASHBOARD_ENVIRONMENT = {
    "path": "OUTCOMES_DASHBOARD_PATH",
    "claims": "OUTCOMES_DASHBOARD_CLAIMS",
    "min_cell": "OUTCOMES_DASHBOARD_MIN_CELL",
}
def dashboard_environment(path: str | Path, *, claims: str | Path | None = None,
                min_cell: int = 5) -> dict[str, str]:
    """The environment variables telling the dashboard notebook what to show.

    Examples
    --------
    >>> env = dashboard_environment("/data/clinic", min_cell=10)
    >>> env["OUTCOMES_DASHBOARD_MIN_CELL"], "OUTCOMES_DASHBOARD_CLAIMS" in env
    ('10', False)
    """
    env = {DASHBOARD_ENVIRONMENT["path"]: str(path),
           DASHBOARD_ENVIRONMENT["min_cell"]: str(int(min_cell))}
    if claims is not None:
        env[DASHBOARD_ENVIRONMENT["claims"]] = str(claims)
    return env


def dashboard_settings(path, catalogue=None, min_cell: int = 5,
                       env: Mapping[str, str] | None = None) -> dict:
    """What the dashboard shows: the notebook's parameters, overridden by the environment
    (:data:`DASHBOARD_ENVIRONMENT`).

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
    out = {"path": env.get(DASHBOARD_ENVIRONMENT["path"]) or path,
           "catalogue": env.get(DASHBOARD_ENVIRONMENT["claims"]) or catalogue,
           "min_cell": min_cell}
    text = env.get(DASHBOARD_ENVIRONMENT["min_cell"])
    if text:
        try:
            out["min_cell"] = int(text)
        except ValueError:
            out["min_cell"] = 0
        if out["min_cell"] < 1:
            raise ConfigError(f"{DASHBOARD_ENVIRONMENT['min_cell']}: expected a whole number "
                              f">= 1, got {text!r}.")
    return out
