"""Output safety: neutralising spreadsheet formulas in exported text cells."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["neutralise_formulas", "neutralise_text", "FORMULA_PREFIXES"]

#: A text cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Text that is just a number ("-1.5", "+3", "-2e-3"): a spreadsheet reads it as that number,
#: nothing runs, so it is left as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_text(value):
    """Return ``value`` with a leading apostrophe if a spreadsheet would run it as a formula.

    Anything that is not text, and text that is just a number, comes back unchanged.

    Examples
    --------
    >>> [neutralise_text(v) for v in ("=1+1", "@SUM(A1)", "-1.5", "-2+3", "ok", -4)]
    ["'=1+1", "'@SUM(A1)", '-1.5', "'-2+3", 'ok', -4]
    """
    if (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def _is_text_column(col: pd.Series) -> bool:
    return (isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(col)
            or pd.api.types.is_string_dtype(col))


def _looks_like_formula(col: pd.Series) -> np.ndarray:
    """Cells whose text starts with a formula character, found vectorised: only these can need
    :func:`neutralise_text`, which has the last word on each (so a long table takes well under
    a second)."""
    starts = col.astype("str").str.startswith(FORMULA_PREFIXES)
    return starts.to_numpy(dtype=bool, na_value=False)


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` in which text cells that a spreadsheet would run are made inert.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe (the OWASP recommendation against CSV/formula injection); so does a column name,
    which becomes a header cell. Numbers are untouched, so a negative estimate stays a number,
    and so is text that is only a number (``"-1.5"``), which no spreadsheet runs. Text columns
    of every kind are covered: ``str``, object and categorical; a column with a cell changed
    comes back as object. The index is not changed: write tables without it, or reset it
    first. ``df`` is not modified.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok"], "b": [-1.0, 2.0]}))["a"].tolist()
    ["'=1+1", 'ok']
    """
    out = df.copy()
    for name in out.columns:
        col = out[name]
        if not _is_text_column(col):
            continue
        rows = np.flatnonzero(_looks_like_formula(col))
        if not len(rows):
            continue
        values = col.astype(object)
        old = values.iloc[rows].tolist()
        new = [neutralise_text(v) for v in old]
        if any(n is not o for n, o in zip(new, old, strict=True)):
            values.iloc[rows] = new  # copy-on-write: ``col`` is left as it was
            out[name] = values
    columns = [neutralise_text(c) for c in out.columns]
    if any(new is not old for new, old in zip(columns, out.columns, strict=True)):
        out.columns = columns
    return out
