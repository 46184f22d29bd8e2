"""A small base for analysis results: a tidy table plus ``summary``, ``plot`` and exports."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from ..bundle.schema import Col as InputCol
from ..courses import CourseCol

__all__ = ["Result", "ESTIMATE_COLUMNS", "ResultCol", "Col", "compact_summary"]


class ResultCol:
    """Column names of result tables."""

    ESTIMATE = "estimate"
    CI_LOW = "ci_low"
    CI_HIGH = "ci_high"
    N = "n"
    N_PATIENTS = "n_patients"
    N_WITH_EVENT = "n_with_event"
    METHOD = "method"
    MEASURE = "measure"


class Col(InputCol, CourseCol, ResultCol):
    """Every column name of the package: input, loader, course and result columns."""


#: The columns every table that gives an estimate carries, in this order.
ESTIMATE_COLUMNS = ["estimate", "ci_low", "ci_high", "n", "method"]


@dataclass(frozen=True)
class Result:
    """An analysis result: ``table`` (tidy, documented columns) and how to show it.

    Subclasses set ``title`` and implement :meth:`plot`. ``extra`` holds further named tables
    (for example at-risk counts) that exports write beside the main one.

    Every result of the package answers the same protocol: ``summary()`` (text),
    ``plot(ax=None)`` (returns the axes), ``to_frame()`` (a copy of the main table),
    ``tables()`` (dict of name to DataFrame, the main one first) and ``_repr_html_()``;
    :class:`~outcomes.stats.survival.KMResult` and :class:`~outcomes.courses.Courses` answer it
    without this base.
    """

    table: pd.DataFrame
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    title: str = ""
    notes: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the main table."""
        return self.table.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables of the result, the main one first (keyed by a file-safe name)."""
        return {"table": self.table, **self.extra}

    def summary(self) -> str:
        """Plain-text rendering of the main table with the title and notes."""
        with pd.option_context("display.width", 120, "display.max_columns", 20,
                               "display.float_format", "{:.3g}".format):
            body = self.table.to_string(index=False)
        return "\n".join(x for x in (self.title, body, self.notes) if x)

    def _repr_html_(self) -> str:
        head = f"<h4>{html.escape(self.title)}</h4>" if self.title else ""
        foot = f"<p><small>{html.escape(self.notes)}</small></p>" if self.notes else ""
        return head + self.table.to_html(index=False, float_format="{:.3g}".format) + foot

    def plot(self, ax=None, **kwargs):  # pragma: no cover - overridden
        raise NotImplementedError(f"{type(self).__name__} has no plot")


def compact_summary(result: Result) -> str:
    """Plain text: title, the table without its ``method`` column, the methods once, notes.

    Methods are listed once each, without the per-row counts of units and patients (those are
    the table's ``n`` and ``n_patients`` columns). Results with many rows of few methods use it
    as their ``summary`` (``summary = compact_summary`` in the class body).
    """
    t = result.table
    body = t.drop(columns=[Col.METHOD]) if Col.METHOD in t.columns else t
    with pd.option_context("display.width", 160, "display.max_columns", 30,
                           "display.float_format", "{:.3g}".format):
        text = body.to_string(index=False) if len(body) else "(no rows)"
    methods = []
    if Col.METHOD in t.columns and len(t):
        short = (t[Col.METHOD].astype(str)
                 .str.replace(r"^1 - S\(t\) at [0-9.]+ h: ", "", regex=True)
                 .str.replace(r" \([^()]*\)$", "", regex=True)
                 .str.replace(r"(effective n|design effect|correlation|on|t,|IV–VI:|I–III:) "
                              r"[0-9][0-9.]*", r"\1 …", regex=True))
        methods = list(dict.fromkeys(short))
    lines = [result.title, text]
    if methods:
        lines += ["", "Methods:"] + [f"- {m}" for m in methods]
    if result.notes:
        lines += ["", result.notes]
    return "\n".join(x for x in lines if x is not None)
