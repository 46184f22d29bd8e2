"""Paper-style tables from the released tables: words for codes, "estimate (CI)" cells, pivots.

The released tables (:mod:`outcomes.output.release`) are long and tidy, one estimate a row,
which is what a workbook wants and what a reader of a page does not. These helpers turn them
into the few wide tables a paper prints: a row per condition (or side effect, or skin type),
a column per measure or session, each cell "48% (43–53%)" written by
:mod:`outcomes.output.labels`. They only rearrange and write released cells: a withheld
estimate stays blank (its cell reads "withheld"), a hidden count stays ``<5`` or ``*``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..output.disclosure import NOTE_COLUMN
from ..output.labels import (
    column_label,
    format_count,
    format_interval,
    label,
    to_number,
)
from ..stats.result import Col

__all__ = ["WITHHELD_TEXT", "cell_text", "interval_cells", "wide", "words", "count_cells",
           "KIND_OF_MEASURE"]

#: What a cell shows whose estimate the release withheld.
WITHHELD_TEXT = "withheld"

#: The kind of quantity (labels.KINDS) of each measure of the result tables.
KIND_OF_MEASURE = {
    "n_courses": "count", "n_patients": "count", "n_with_baseline": "count",
    "n_with_final": "count", "sessions_mean": "number", "sessions_median": "number",
    "final_improvement_mean": "share", "final_improvement_median": "share",
    "reached_visible": "share", "reached_considerable": "share", "reached_major": "share",
    "improvement": "share", "gain": "points", "reached_major_by": "share",
    "median_sessions_to_major": "sessions", "side_effect_rate": "share",
    "improvement_gain": "points", "median_hours": "hours", "resolved_by": "share",
    "notable": "share", "pih": "share",
}

#: Columns whose values are codes of a vocabulary (written in words in every table).
CODE_COLUMNS = {"condition": "condition", "event": "event", "setting": "setting",
                "device": "device", "measure": "measure", "verdict": "verdict",
                "unit": "unit", "kind": "kind", "table": "table", "outcome": "event",
                "status": "status", "fitzpatrick": "fitzpatrick", "sex": "sex",
                "age_band": "age_band", "basis": "basis"}


def cell_text(row: Mapping, kind: str) -> str:
    """One "estimate (CI)" cell of a released row; "withheld" where the release withheld it.

    Examples
    --------
    >>> cell_text({"estimate": 0.48, "ci_low": 0.43, "ci_high": 0.53}, "share")
    '48% (43–53%)'
    >>> cell_text({"estimate": None, "suppressed": "estimates withheld: n below 5"}, "share")
    'withheld'
    >>> cell_text({"estimate": 12, "ci_low": None, "ci_high": None}, "count")
    '12'
    """
    note = row.get(NOTE_COLUMN)
    est = row.get(Col.ESTIMATE)
    if isinstance(est, str) and not est.replace(".", "", 1).isdigit():
        return est  # a count shown as '<5' or '*'
    if to_number(est) is None:
        return WITHHELD_TEXT if isinstance(note, str) and note.strip() else ""
    if kind == "count":
        return format_count(est)
    return format_interval(to_number(est), to_number(row.get(Col.CI_LOW)),
                           to_number(row.get(Col.CI_HIGH)), kind)


def interval_cells(df: pd.DataFrame, kind: str | Mapping[str, str] = "number",
                   by: str = Col.MEASURE) -> pd.Series:
    """The "estimate (CI)" text of every row; ``kind`` a kind or a mapping ``by`` value -> kind.

    Examples
    --------
    >>> t = pd.DataFrame({"measure": ["gain"], "estimate": [0.05], "ci_low": [0.01],
    ...                   "ci_high": [0.09]})
    >>> interval_cells(t, KIND_OF_MEASURE).tolist()
    ['+5.0 points (+1.0 to +9.0)']
    """
    out = []
    for row in df.to_dict("records"):
        k = kind.get(row.get(by), "number") if isinstance(kind, Mapping) else kind
        out.append(cell_text(row, k))
    return pd.Series(out, index=df.index, dtype=object)


def count_cells(values: pd.Series) -> pd.Series:
    """Counts as text: thousands separators, ``<5`` and ``*`` kept, blanks blank."""
    return values.map(lambda v: v if isinstance(v, str) and not v.isdigit()
                      else format_count(v)).astype(object)


def words(df: pd.DataFrame, vocabularies: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``df`` with codes in its code columns in words and its headers in words.

    Examples
    --------
    >>> words(pd.DataFrame({"condition": ["acne_scars"], "n_courses": [3]})).to_dict("list")
    {'Condition': ['Acne scars'], 'Courses': [3]}
    """
    out = df.copy()
    for column, vocabulary in {**CODE_COLUMNS, **(vocabularies or {})}.items():
        if column in out:
            out[column] = out[column].map(
                lambda v, voc=vocabulary: label(v, voc) if isinstance(v, str) else v)
    out.columns = [column_label(c) if isinstance(c, str) else c for c in out.columns]
    return out


def wide(df: pd.DataFrame, rows: str, columns: str, *, kind: str | Mapping[str, str],
         by: str = Col.MEASURE, order: Sequence | None = None,
         header: Mapping | None = None, row_vocabulary: str | None = None) -> pd.DataFrame:
    """A wide table: one row per value of ``rows``, one column per value of ``columns``,
    "estimate (CI)" cells.

    Parameters
    ----------
    df : DataFrame
        A released long table.
    rows, columns : str
        The columns whose values become the rows and the columns.
    kind : str or mapping
        The kind of every estimate, or per value of ``by`` (see :data:`KIND_OF_MEASURE`).
    order : sequence, optional
        The columns to keep, in order (default: as they come).
    header : mapping, optional
        Column value -> header text (default: the value's words).
    row_vocabulary : str, optional
        Vocabulary of the row values (default: that of :data:`CODE_COLUMNS`).

    Examples
    --------
    >>> t = pd.DataFrame({"condition": ["acne_scars", "acne_scars"],
    ...                   "measure": ["reached_visible", "reached_major"],
    ...                   "estimate": [0.8, 0.4], "ci_low": [0.7, 0.3], "ci_high": [0.9, 0.5]})
    >>> wide(t, "condition", "measure", kind=KIND_OF_MEASURE).to_dict("records")
    [{'Condition': 'Acne scars', 'Share reaching visible improvement': '80% (70–90%)', \
'Share reaching major improvement': '40% (30–50%)'}]
    """
    if len(df) == 0:
        return pd.DataFrame()
    t = df.copy()
    t["_cell"] = interval_cells(t, kind, by=by).to_numpy()
    table = t.pivot_table(index=rows, columns=columns, values="_cell", aggfunc="first",
                          sort=False)
    keep = [c for c in (order if order is not None else table.columns) if c in table.columns]
    table = table[keep].fillna("")
    vocabulary = row_vocabulary or CODE_COLUMNS.get(rows)
    names = {c: (header or {}).get(c, column_label(c) if isinstance(c, str) else str(c))
             for c in keep}
    out = table.rename(columns=names).reset_index()
    out[rows] = out[rows].map(lambda v: label(v, vocabulary) if isinstance(v, str) else v)
    out = out.rename(columns={rows: column_label(rows)})
    out.columns.name = None
    return out
