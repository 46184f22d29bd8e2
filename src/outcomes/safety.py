"""Output safety: neutralising spreadsheet formulas in exported text cells."""

from __future__ import annotations

import pandas as pd

__all__ = ["neutralise_formulas", "FORMULA_PREFIXES"]

#: A text cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` in which text cells that a spreadsheet would run are made inert.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe (the OWASP recommendation against CSV/formula injection). Numbers are untouched,
    so a negative estimate stays a number.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok"], "b": [-1.0, 2.0]}))["a"].tolist()
    ["'=1+1", 'ok']
    """
    out = df.copy()
    for name in out.columns:
        col = out[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        elif not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        mask = col.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES))
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            col = col.astype(object)
            col[mask] = "'" + col[mask].astype(str)
        out[name] = col
    return out
