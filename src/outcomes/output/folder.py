"""An output folder holds one run's files, never a mix of two.

Every command that writes a folder (``report``, ``audit``) writes into a private temporary
folder beside ``--out`` and, only once every file is written, moves the finished set into place:

- files of an earlier run that this run did not write are removed, but only files the package
  itself names (those listed in the earlier run's manifest, ``.outcomes-run.json``, or matching
  the writer's own file patterns); anything else in the folder is left alone and listed
  (:attr:`OutputSet.foreign`);
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
import json
import os
import shutil
import signal
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..errors import OutputError

__all__ = ["OutputSet", "MANIFEST"]

#: The file, in the output folder, that lists the files of the run that wrote it.
MANIFEST = ".outcomes-run.json"
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
        not write are removed, even without an earlier manifest.
    command : str, optional
        Recorded in the manifest.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with OutputSet(out, known=["*.txt"]) as staging:
    ...     _ = (staging / "a.txt").write_text("first run")
    >>> sorted(p.name for p in out.iterdir())
    ['.outcomes-run.json', 'a.txt']
    """

    def __init__(self, out: str | os.PathLike, *, known: Iterable[str] = (),
                 command: str | None = None):
        self.out = Path(out)
        self.known = tuple(known)
        self.command = command
        self.run_id = uuid.uuid4().hex
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
            raise OutputError(
                f"Cannot write beside {self.out}: {exc.strerror or exc}. Choose an --out "
                "folder you can write to.") from None
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                with _no_interrupt():
                    self._commit()
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
            raise OutputError(f"--out {self.out} is a file, not a folder. Give a folder "
                              "(it is created if missing).")
        for parent in self.out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(f"--out {self.out}: {parent} is a file, not a folder.")
                break

    # ------------------------------------------------------------------ moving into place
    def _commit(self) -> None:
        staged = sorted(p.relative_to(self.staging).as_posix()
                        for p in self.staging.rglob("*") if p.is_file())
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            with _locked(self.out):
                previous = _read_manifest(self.out / MANIFEST)
                present = sorted(p.relative_to(self.out).as_posix()
                                 for p in self.out.rglob("*")
                                 if p.is_file() and p.name != MANIFEST)
                ours = set(previous) | {f for f in present if self._named(f)}
                for name in present:
                    if name in staged:
                        continue
                    if name in ours:
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
                manifest = {"run": self.run_id, "files": staged, "command": self.command,
                            "finished": datetime.now(UTC).isoformat(timespec="seconds")}
                tmp = self.out / f"{MANIFEST}.{self.run_id}"
                tmp.write_text(json.dumps(manifest, indent=1), "utf-8")
                os.replace(tmp, self.out / MANIFEST)
        except OSError as exc:
            raise OutputError(f"Cannot write into {self.out}: {exc.strerror or exc}. Choose an "
                              "--out folder you can write to.") from None

    def _named(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.known)


def _read_manifest(path: Path) -> list[str]:
    try:
        files = json.loads(path.read_text("utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [f for f in files if isinstance(f, str) and ".." not in Path(f).parts]


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
    """Hold Ctrl-C back while the set is moved into place (a few renames), then deliver it."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
