"""Integer codes of text columns, through arrow: ids sorted, looked up and compared without a
Python string per row.

pandas' ``str`` columns are arrow arrays; hashing, sorting and taking them row by row is what
makes an analysis of a million sessions slow. These functions hash and sort the distinct values
only, once, and give integer codes (or a :class:`pandas.Categorical` of them) that the rest of
the analysis takes, groups and compares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_text", "sorted_codes", "ids_in", "id_categorical", "positions", "as_text"]


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one arrow array (pandas 3's ``str`` columns are arrow already)."""
    array = pa.array(values.array, type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def sorted_codes(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Integer codes of text ids in sorted order of the ids, and the sorted distinct ids.

    The same codes as ``pd.factorize(values, sort=True)``, with the hashing and sorting done by
    arrow on the distinct values only (no Python string is made); a categorical column by its
    categories present.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = np.asarray(values.cat.codes, dtype=np.int64)
        present = np.flatnonzero(np.bincount(codes[codes >= 0],
                                             minlength=len(values.cat.categories)))
        ranks, uniques = sorted_codes(pd.Series(values.cat.categories[present]))
        to = np.full(len(values.cat.categories) + 1, -1, dtype=np.int64)  # last: missing
        to[present] = ranks
        return to[codes], uniques
    array = arrow_text(values)
    if array.null_count:
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64), pa.array(uniques, type=pa.large_string())
    encoded = pc.dictionary_encode(array)
    order = np.asarray(pc.array_sort_indices(encoded.dictionary))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[np.asarray(encoded.indices)], encoded.dictionary.take(pa.array(order))


def ids_in(values: pd.Series, among: pd.Series) -> np.ndarray:
    """Per row of ``values``, whether ``among`` holds its id (``values.isin(among)``).

    Ids of the tables of one :class:`~outcomes.courses.Courses` share their categories, so
    their codes are compared; other columns go through pyarrow (pandas' ``isin`` on the
    ``str`` dtype makes a Python object of every candidate).

    Examples
    --------
    >>> ids = pd.Series(pd.Categorical(["a", "b", "c", "a"]))
    >>> ids_in(ids, ids.iloc[[2, 3]])
    array([ True, False,  True,  True])
    >>> ids_in(pd.Series(["a", "b"]), pd.Series(["b"]))
    array([False,  True])
    """
    v, a = values.array, among.array
    if (isinstance(v, pd.Categorical) and isinstance(a, pd.Categorical)
            and v.categories.equals(a.categories)):  # the same object: at once
        seen = np.zeros(len(v.categories) + 1, dtype=bool)  # last: missing
        seen[a.codes] = True
        return seen[v.codes]
    found = pc.is_in(arrow_text(values.astype("str")),
                     value_set=arrow_text(among.astype("str")))
    return np.asarray(found, dtype=bool)


def id_categorical(codes: np.ndarray, uniques: pa.Array) -> pd.Categorical:
    """Ids as a categorical of the sorted distinct ids (``-1``: missing)."""
    categories = pd.Index(uniques.to_pandas(), dtype="str")
    return pd.Categorical.from_codes(codes.astype(np.int32), categories=categories,
                                     validate=False)


def positions(values: pd.Series, among: pa.Array) -> np.ndarray:
    """Position of each value in ``among`` (its first occurrence), -1 where it is absent."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # each category looked up once
        at = np.append(positions(pd.Series(values.cat.categories), among), -1)
        return at[np.asarray(values.cat.codes)]
    found = pc.index_in(arrow_text(values), value_set=among)
    return np.asarray(found.fill_null(-1), dtype=np.int64)


def as_text(values: pd.Categorical):
    """A categorical as the ``str`` column it stands for, through arrow (a Python string per
    row, as ``astype("str")`` makes, is what is slow on a million rows)."""
    codes = np.asarray(values.codes)
    return pd.array(arrow_text(values.categories).take(pa.array(codes, mask=codes < 0)),
                    dtype="str")
