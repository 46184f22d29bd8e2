"""A small base for analysis results: a tidy table plus ``summary``, ``plot`` and exports."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from ..bundle.schema import Col as InputCol
from ..courses import CourseCol

__all__ = ["Result", "ESTIMATE_COLUMNS", "ResultCol", "Col"]

class ResultCol:
    """Column names of result tables."""

    ESTIMATE = "estimate"
    CI_LOW = "ci_low"
    CI_HIGH = "ci_high"
    N = "n"
    METHOD = "method"


class Col(InputCol, CourseCol, ResultCol):
    """Every column name of the package: input, loader, course and result columns."""


#: The columns every table that gives an estimate carries, in this order.
ESTIMATE_COLUMNS = ["estimate", "ci_low", "ci_high", "n", "method"]


@dataclass(frozen=True)
class Result:
    """An analysis result: ``table`` (tidy, documented columns) and how to show it.

    Subclasses set ``title`` and implement :meth:`plot`. ``extra`` holds further named tables
    (for example at-risk counts) that exports write beside the main one.
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
