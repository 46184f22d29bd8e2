"""A minimal progress bar on stderr for long runs (loading, statistics, report writing).

Silent when ``quiet`` is set or when stderr is not a terminal, so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Step-wise progress: ``with Progress(5) as p: p.step("loading")``.

    Parameters
    ----------
    total : int
        Number of steps.
    quiet : bool, default False
        Show nothing.
    stream : file, default sys.stderr
    """

    def __init__(self, total: int, *, quiet: bool = False, stream=None, width: int = 24):
        self.total = max(int(total), 1)
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.enabled = not quiet and bool(isatty())
        self.width = width
        self.done = 0
        self.t0 = time.perf_counter()

    def step(self, label: str) -> None:
        """Announce the step now starting."""
        if not self.enabled:
            return
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.t0
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label[:40]:<40} {elapsed:5.1f}s")
        self.stream.flush()
        self.done += 1

    def close(self) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.t0
            self.stream.write(f"\r[{'#' * self.width}] done in {elapsed:.1f}s{' ' * 40}\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
