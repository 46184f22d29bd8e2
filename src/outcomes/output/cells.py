"""A page's blocks as plain text, for the renderers that do not read HTML (PDF, Word).

:class:`outcomes.output.html.Page` keeps each block's data (the text, the DataFrame, the PNG
bytes). The PDF (:mod:`outcomes.output.pdf`) and the Word document (:mod:`outcomes.output.word`)
render the same blocks; this module gives both the same words:

- :func:`words` turns a code left in prose (``acne_scars``, ``ci_low``) into its words, leaving
  file names (``adverse_events.csv``) and paths alone;
- :func:`table_text` turns a table into a header row in words (:func:`~.labels.column_label`)
  and rows of cell text (:func:`~.labels.format_value`; a cell that is a code is labelled), and
  says which columns hold numbers (right-aligned) and which verdicts (drawn as badges).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from ..claims.verdicts import VERDICTS
from .labels import VOCABULARIES, codes, column_label, format_value, is_missing, label

__all__ = ["TableText", "table_text", "words", "header_text", "NAME_COLUMNS"]

_CODE_RE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-]|\.\w)")
_SHORT_RE = re.compile(r"(?<![\w./-])[a-z]{2,4}(?![\w/-]|\.\w)")
_MARK_RE = re.compile(r"<\d+|\*")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@cache
def _known() -> frozenset[str]:
    return frozenset(codes())


def words(text) -> str:
    """``text`` with each code that has words replaced by them (file names left alone).

    Examples
    --------
    >>> words("acne_scars: see adverse_events.csv, ci_low and pih")
    'Acne scars: see adverse_events.csv, Lower limit and Post-inflammatory hyperpigmentation'
    """
    if text is None:
        return ""
    text = str(text)
    known = _known()
    text = _CODE_RE.sub(lambda m: label(m.group(0)) if m.group(0) in known else m.group(0),
                        text)
    return _SHORT_RE.sub(lambda m: label(m.group(0)) if m.group(0) in known else m.group(0),
                         text)


def header_text(column) -> str:
    """A column header in words (tuples of a wide table joined by " / ").

    Examples
    --------
    >>> header_text("ci_low"), header_text(("estimate", "acne_scars")), header_text("Share, %")
    ('Lower limit', 'Estimate / Acne scars', 'Share, %')
    """
    if isinstance(column, tuple):
        return " / ".join(header_text(c) for c in column if str(c) != "")
    name = str(column)
    return column_label(name) if _IDENTIFIER.fullmatch(name) else words(name)


#: Columns whose values are names (claim and recommendation ids), shown as they are.
NAME_COLUMNS = frozenset({"id", "claim", "recommendation", "file", "sha256", "session_id",
                          "patient_id", "clinic_id", "operator_id"})


def _cell(value, digits: int, column) -> str:
    if isinstance(value, str):
        if column in NAME_COLUMNS:
            return value
        if column in VOCABULARIES and _IDENTIFIER.fullmatch(value):
            return label(value, column)
        if value in _known() or (_IDENTIFIER.fullmatch(value) and "_" in value):
            return label(value)
        return words(value)
    return format_value(value, digits)


def _is_numeric(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s):
        return False
    if pd.api.types.is_numeric_dtype(s):
        return True
    values = [v for v in s.astype(object) if not is_missing(v)]
    return bool(values) and all(
        (isinstance(v, int | float) and not isinstance(v, bool))
        or (isinstance(v, str) and (_MARK_RE.fullmatch(v) or _number_text(v)))
        for v in values)


def _number_text(v: str) -> bool:
    try:
        float(v.replace(",", ""))
    except ValueError:
        return False
    return True


_VERDICT_WORDS = {label(v, "verdict"): v for v in VERDICTS}


def _verdict_code(value) -> str | None:
    if not isinstance(value, str):
        return None
    return value if value in VERDICTS else _VERDICT_WORDS.get(value)


@dataclass(frozen=True)
class TableText:
    """A table as text: ``header``, ``rows`` (lists of str), and per column ``numeric``
    (right-aligned) and ``verdicts`` (``rows`` hold verdict words; ``codes`` the verdict code
    of each cell, None elsewhere)."""

    header: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    verdicts: list[bool]
    codes: list[list[str | None]]


def table_text(frame: pd.DataFrame, digits: int = 3) -> TableText:
    """The text of a table's header and cells, and which columns are numbers or verdicts.

    Examples
    --------
    >>> t = table_text(pd.DataFrame({"id": ["a-1"], "verdict": ["not_testable"],
    ...                              "ci_low": [0.12345], "condition": ["acne_scars"]}))
    >>> t.header, t.rows
    (['Claim', 'Verdict', 'Lower limit', 'Condition'], [['a-1', 'Not testable', '0.123', \
'Acne scars']])
    >>> t.numeric, t.verdicts, t.codes[0][1]
    ([False, False, True, False], [False, True, False, False], 'not_testable')
    """
    cols = list(frame.columns)
    numeric = [_is_numeric(frame.iloc[:, j]) for j in range(len(cols))]
    verdicts = []
    for j in range(len(cols)):
        values = [v for v in frame.iloc[:, j].astype(object) if not is_missing(v)]
        verdicts.append(bool(values) and all(_verdict_code(v) for v in values))
    rows, vcodes = [], []
    for values in frame.itertuples(index=False, name=None):
        rows.append([_cell(v, digits, c) for v, c in zip(values, cols, strict=True)])
        vcodes.append([_verdict_code(v) if verdicts[j] else None
                       for j, v in enumerate(values)])
    return TableText([header_text(c) for c in cols], rows, numeric, verdicts, vcodes)
