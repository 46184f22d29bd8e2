"""The verdicts on the claims as a result object, and how estimates read as text.

:class:`ClaimsResult` is what :func:`outcomes.claims.evaluate.evaluate_claims` returns. It
answers the package's result protocol (``summary()``, ``plot(ax=None)``, ``to_frame()``,
``tables()``, ``_repr_html_``) and gives the records for JSON and the flat table for CSV. Writing
files is left to :mod:`outcomes.output`, which neutralises spreadsheet formulas.
"""

from __future__ import annotations

import html
import json
import math
import textwrap
from dataclasses import dataclass, field

import pandas as pd

from ..courses import Courses
from ..validators import number_text
from .model import Catalogue
from .verdicts import VERDICTS, Verdict

__all__ = ["ClaimsResult", "CLAIM_COLUMNS", "SHORT_COLUMNS", "COMPARISON_COLUMNS",
           "SENSITIVITY_COLUMNS", "estimate_text", "wrap", "snap"]

#: Columns of :attr:`ClaimsResult.table`, in order.
CLAIM_COLUMNS = [
    "id", "statement", "verdict", "estimate", "ci_low", "ci_high", "n", "n_patients", "unit",
    "rule", "threshold", "low", "high", "strict", "method", "reason", "details", "sources",
    "basis", "e_value",
]
#: Columns of :attr:`ClaimsResult.comparisons`: every estimate of a comparative claim, by basis
#: (``crude``, ``adjusted``, ``equal_sessions``; :mod:`outcomes.claims.compare`).
COMPARISON_COLUMNS = ["id", "basis", "basis_words", "estimate", "ci_low", "ci_high", "n",
                      "n_patients", "method"]
#: Columns of :attr:`ClaimsResult.sensitivity` (:mod:`outcomes.claims.sensitivity`).
SENSITIVITY_COLUMNS = ["view", "id", "level", "verdict", "estimate", "ci_low", "ci_high", "n",
                       "n_patients", "method", "reason", "main_verdict", "changed"]
#: The columns a short claims table shows (the dashboard's): what was found, and why not.
SHORT_COLUMNS = ["id", "statement", "verdict", "estimate", "ci_low", "ci_high", "n",
                 "n_patients", "reason"]


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


#: A bound this close to 0 or 1 is 0 or 1 (a Wilson bound computed as 5e-20 is 0).
SNAP = 1e-12


def snap(x: float) -> float:
    """``x``, or 0 or 1 when it lies within :data:`SNAP` of them.

    >>> snap(5e-20), snap(1 - 1e-13), snap(0.5)
    (0.0, 1.0, 0.5)
    """
    for target in (0.0, 1.0):
        if abs(x - target) < SNAP:
            return target
    return x


def _number(x) -> str:
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return number_text(snap(x), 3)


def estimate_text(estimate, ci_low, ci_high) -> str:
    """An estimate and its 95% interval as text, numbers to three significant digits.

    Empty when there is neither estimate nor interval; an estimate alone when it has no
    interval; ``not reached`` for a median the data do not reach; an unbounded end as ``∞``;
    a number within 1e-12 of 0 or 1 as 0 or 1 (:func:`snap`).

    >>> estimate_text(0.4213, 0.31, 0.55)
    '0.421 (95% CI 0.31 to 0.55)'
    >>> estimate_text(float("nan"), 2, float("inf"))
    'not reached (95% CI 2 to ∞)'
    >>> estimate_text(float("nan"), float("nan"), float("nan"))
    ''
    >>> estimate_text(0.0, 5e-20, 0.3)
    '0 (95% CI 0 to 0.3)'
    """
    if _missing(ci_low) and _missing(ci_high):
        return "" if _missing(estimate) else _number(estimate)
    interval = f"95% CI {_number(ci_low)} to {_number(ci_high)}"
    return f"{'not reached' if _missing(estimate) else _number(estimate)} ({interval})"


def wrap(text: str, width: int, *, indent: int = 0) -> str:
    """``text`` in lines of at most ``width`` characters (20 at least), the ones after the first
    indented by ``indent`` spaces."""
    return ("\n" + " " * indent).join(textwrap.wrap(text, max(20, width)))


def _json_number(x):
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


@dataclass(frozen=True)
class ClaimsResult:
    """Verdicts for every claim, with the tables behind them.

    Attributes
    ----------
    table : DataFrame
        One row per claim (columns: :data:`CLAIM_COLUMNS`, see
        :func:`~outcomes.claims.evaluate.evaluate_claims`).
    catalogue : Catalogue
        The catalogue evaluated.
    supporting : dict of str to DataFrame
        Per claim id, a table behind its estimate (Kaplan–Meier table, shares by skin type...);
        :meth:`tables` gives them with the claims table.
    courses : Courses
        The courses the claims were computed from.
    comparisons : DataFrame
        Every estimate of each comparative claim, by basis (:data:`COMPARISON_COLUMNS`): crude,
        adjusted for what differs between the groups before treatment, and at an equal number
        of sessions (a mediator, not a confounder).
    sensitivity : DataFrame
        The verdicts in two sensitivity views (:data:`SENSITIVITY_COLUMNS`,
        :mod:`outcomes.claims.sensitivity`): at a family-wise level across the claims, and with
        resolution times measured from onset.
    """

    table: pd.DataFrame
    catalogue: Catalogue
    supporting: dict[str, pd.DataFrame]
    courses: Courses
    comparisons: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=COMPARISON_COLUMNS))
    sensitivity: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=SENSITIVITY_COLUMNS))

    def to_frame(self) -> pd.DataFrame:
        """The claims table (a copy)."""
        return self.table.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables of the result: ``table`` (the claims) first, ``comparisons`` and
        ``sensitivity``, then per claim id the table behind its estimate, for the claims that
        have one."""
        return {"table": self.table, "comparisons": self.comparisons,
                "sensitivity": self.sensitivity, **self.supporting}

    def counts(self) -> pd.Series:
        """Number of claims per verdict."""
        return self.table["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)

    def to_records(self) -> list[dict]:
        """One JSON-ready dict per claim: numbers as numbers, ``None`` where there is none."""
        out = []
        for row in self.table.to_dict("records"):
            rec = dict(row)
            for key in ("estimate", "ci_low", "ci_high", "threshold", "low", "high", "e_value"):
                rec[key] = _json_number(rec[key])
            rec["n"], rec["n_patients"] = int(rec["n"]), int(rec["n_patients"])
            rec["strict"] = bool(rec["strict"])
            if rec["ci_high"] is None and row["ci_high"] == math.inf:
                rec["ci_high_unbounded"] = True
            out.append(rec)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """A JSON array, one object per claim (see :meth:`to_records`)."""
        return json.dumps(self.to_records(), indent=indent, ensure_ascii=False, default=str)

    def flat(self) -> pd.DataFrame:
        """The claims table with ``details`` and ``sources`` as text (for CSV and spreadsheets;
        write it through :mod:`outcomes.output`, which neutralises formulas)."""
        t = self.table.copy()
        t["details"] = t["details"].map(
            lambda d: "; ".join(f"{k}: {v}" for k, v in d.items()))
        t["sources"] = t["sources"].map(
            lambda s: " · ".join(f"{x['document']}: \"{x['quote']}\"" for x in s))
        return t

    def _estimates(self) -> list[str]:
        """Per claim, its estimate and interval as text (empty when not testable)."""
        return ["" if r.verdict == Verdict.NOT_TESTABLE
                else estimate_text(r.estimate, r.ci_low, r.ci_high)
                for r in self.table.itertuples()]

    def to_text(self, width: int = 100) -> str:
        """A table readable in a terminal of ``width`` columns."""
        lines = []
        id_w = min(32, max(len(i) for i in self.table["id"]))
        head = f"{'claim':<{id_w}}  {'verdict':<13} {'estimate (95% CI)':<36} {'n':>6}"
        lines += [head, "-" * min(width, len(head) + 2)]
        for r, est in zip(self.table.itertuples(), self._estimates(), strict=True):
            est = est or "-"
            lines.append(f"{r.id[:id_w]:<{id_w}}  {r.verdict:<13} {est[:36]:<36} {r.n:>6}")
            if r.reason:
                lines.append(" " * (id_w + 2) + wrap(r.reason, width - id_w - 2,
                                                     indent=id_w + 2))
        counts = ", ".join(f"{v}: {n}" for v, n in self.counts().items())
        lines += ["", counts]
        return "\n".join(lines)

    def summary(self) -> str:
        """Same as :meth:`to_text`."""
        return self.to_text()

    def plot(self, ax=None, *, ids=None):
        """Forest plot of the claims: each estimate with its interval and the claimed range."""
        from ..plots.claims import claims_forest

        return claims_forest(self.table, ax=ax, ids=ids)

    def _repr_html_(self) -> str:
        from ..plots.style import VERDICT_COLOURS

        rows = []
        for r, est in zip(self.table.itertuples(), self._estimates(), strict=True):
            colour = VERDICT_COLOURS.get(r.verdict, "#777")
            rows.append(
                f"<tr><td>{html.escape(r.id)}</td><td>{html.escape(r.statement)}</td>"
                f"<td><span style='background:{colour};color:#fff;padding:1px 6px;"
                f"border-radius:3px'>{html.escape(r.verdict)}</span></td>"
                f"<td>{html.escape(est)}</td><td>{r.n}</td><td>{html.escape(r.reason)}</td></tr>")
        head = ("<tr><th>claim</th><th>statement</th><th>verdict</th>"
                "<th>estimate (95% CI)</th><th>n</th><th>reason</th></tr>")
        return f"<table>{head}{''.join(rows)}</table>"
