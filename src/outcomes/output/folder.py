"""An output folder holds one run's files, never a mix of two.

Every command that writes a folder (``report``, ``audit``) writes into a private temporary
folder beside ``--out`` and, only once every file is written, moves the finished set into place:

- files of an earlier run that this run did not write are removed, but only files the package
  itself names (those matching the writer's own file patterns, such as ``tables/*.csv``);
  anything else in the folder is left alone and listed (:attr:`OutputSet.foreign`);
- the temporary folder's name is unique per run, and the move happens under a lock on the
  output folder, so two runs at once each leave a whole set and the last to finish wins;
- if the run fails or is interrupted before the move, the temporary folder is removed and the
  output folder is as it was;
- an ``--out`` that is a file, or a place that cannot be written, gets an :class:`OutputError`
  with a plain message.

Written by hand because no library does this: ``tempfile`` gives the unique folder,
``os.replace`` the atomic move of each file, ``fcntl.flock`` the lock; what is here is the
bookkeeping of which files belong to a run.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import OutputError

__all__ = ["OutputSet", "save_atomically"]

_PREFIX = ".outcomes-tmp-"


class OutputSet:
    """Stage a run's files and move the finished set into ``out``.

    Parameters
    ----------
    out : path
        The output folder (created if missing, with its parents).
    known : iterable of str
        Glob patterns (relative to ``out``, ``/`` as separator) of the files this writer names,
        such as ``"report.html"`` or ``"tables/*.csv"``. Files matching them that this run does
        not write are removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with OutputSet(out, known=["*.txt"]) as staging:
    ...     _ = (staging / "a.txt").write_text("first run")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """

    def __init__(self, out: str | os.PathLike, *, known: Iterable[str] = ()):
        self.out = Path(out)
        self.known = tuple(known)
        self.staging: Path | None = None
        #: Files in ``out`` that the package does not name: left alone.
        self.foreign: list[str] = []
        #: Files of an earlier run that this run removed.
        self.removed: list[str] = []
        #: The files of this run, relative to ``out``.
        self.written: list[str] = []

    # ------------------------------------------------------------------ staging
    def __enter__(self) -> Path:
        self._check_out()
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=self.out.parent))
        except OSError as exc:
            raise _cannot_write(self.out, exc) from None
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                with _no_interrupt():
                    self._commit()
            elif issubclass(exc_type, OSError):  # writing a staged file failed (disk full...)
                raise _cannot_write(self.out, exc) from None
        finally:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
        return False

    def final(self, path: str | os.PathLike | None) -> Path | None:
        """Where a staged ``path`` lives once the set is in place (``None`` stays ``None``)."""
        if path is None:
            return None
        path = Path(path)
        if self.staging is not None and path.is_relative_to(self.staging):
            return self.out / path.relative_to(self.staging)
        return path

    def _check_out(self) -> None:
        if self.out.exists() and not self.out.is_dir():
            raise OutputError(f"cannot write into {self.out}: it is a file, not a folder. Give "
                              "a folder (it is created if missing).")
        for parent in self.out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(f"cannot write into {self.out}: {parent} is a file, "
                                      "not a folder.")
                break

    # ------------------------------------------------------------------ moving into place
    def _commit(self) -> None:
        staged = sorted(p.relative_to(self.staging).as_posix()
                        for p in self.staging.rglob("*") if p.is_file())
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            with _locked(self.out):
                present = sorted(p.relative_to(self.out).as_posix()
                                 for p in self.out.rglob("*") if p.is_file())
                for name in present:
                    if name in staged:
                        continue
                    if self._named(name):
                        (self.out / name).unlink(missing_ok=True)
                        self.removed.append(name)
                    else:
                        self.foreign.append(name)
                for name in staged:
                    target = self.out / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(self.staging / name, target)
                _remove_empty_folders(self.out)
                self.written = staged
        except OSError as exc:
            raise _cannot_write(self.out, exc) from None

    def _named(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.known)


def _cannot_write(out: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write into {out}: {exc.strerror or exc}. Choose a folder you "
                       "can write to.")


def _remove_empty_folders(root: Path) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` itself (a no-op where ``fcntl`` is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C back while the set is moved into place (a few renames).

    A Ctrl-C that came meanwhile is dropped: by then the run is complete and in place, so the
    command ends as if it had come a moment later.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if signal.SIGINT in signal.sigpending() and signal.SIGINT not in old:
            signal.sigwait({signal.SIGINT})
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def save_atomically(path: str | os.PathLike, save) -> Path:
    """Write ``path`` whole or not at all: ``save(tmp)`` writes a hidden file beside it, which
    then replaces ``path`` in one move (and is removed if ``save`` fails)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
