"""The progress bar writes to a terminal only."""

from __future__ import annotations

import io

from outcomes.output.progress import Progress


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_writes_steps_to_a_terminal():
    out = _Tty()
    with Progress(2, stream=out) as p:
        p.step("loading")
        p.step("statistics")
    text = out.getvalue()
    assert "loading" in text and "statistics" in text and "done in" in text


def test_progress_is_silent_when_not_a_terminal_or_quiet():
    for stream, quiet in ((io.StringIO(), False), (_Tty(), True)):
        with Progress(2, stream=stream, quiet=quiet) as p:
            p.step("loading")
        assert stream.getvalue() == ""
