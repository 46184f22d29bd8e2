"""Integer codes of text columns: ids sorted, looked up and compared without a Python string
per row.

pandas' ``str`` columns are arrow arrays; hashing, sorting and taking them row by row is what
makes an analysis of a million sessions slow. These functions give integer codes (or a
:class:`pandas.Categorical` of them) that the rest of the analysis takes, groups and compares.

Ids in practice are short ("P000433", "S000001", "C01"). Ids of at most
:data:`MOST_KEY_BYTES` bytes are first turned into **radix keys** (:func:`radix_keys`): each
byte position, over all the values compared, has a small alphabet (here: "P", then the digits
seen there), and a value's key is the mixed-radix number of its bytes' ranks in their
position's alphabet (where the bytes of a position lie close together, as digits do, a byte's
rank is its distance from the lowest). Keys order as the ids do (byte order, which for UTF-8
is code point order, the order of Python's ``str``), and they are dense when the ids are:
the codes of a million session ids come from counting, not sorting. Anything else (longer
ids, keys that would not fit in 63 bits, values of several lengths one of which ends in a
zero byte) goes through arrow, hashing and sorting the distinct values only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_text", "sorted_codes", "shared_codes", "ids_in", "id_categorical",
           "positions", "as_text", "radix_keys", "MOST_KEY_BYTES", "key_order", "key_positions",
           "unique_keys"]

#: Longest id (in UTF-8 bytes) given a radix key; longer ones go through arrow.
MOST_KEY_BYTES = 16
_MOST_KEYS = 1 << 62  # keys are int64: every key below this
_SHORT_SPAN = 16  # bytes of a position this close together are their own ranks (less the lowest)


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one arrow array (pandas 3's ``str`` columns are arrow already)."""
    array = pa.array(values.array, type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


class _Bytes:
    """The UTF-8 bytes of the values of one arrow text array (its missing values left out),
    position by position, without copying the data."""

    def __init__(self, array: pa.Array):
        n = len(array)
        width = np.dtype(np.int64 if pa.types.is_large_string(array.type) else np.int32)
        offsets = np.frombuffer(array.buffers()[1], dtype=width, count=n + 1,
                                offset=array.offset * width.itemsize)
        buffer = array.buffers()[2]
        self.data = (np.zeros(1, dtype=np.uint8) if buffer is None or buffer.size == 0
                     else np.frombuffer(buffer, dtype=np.uint8))
        self.valid = (None if array.null_count == 0
                      else np.asarray(array.is_valid().to_numpy(zero_copy_only=False)))
        lengths = np.diff(offsets)
        self.starts = offsets[:-1]
        if self.valid is not None:
            self.starts, lengths = self.starts[self.valid], lengths[self.valid]
        self.lengths = lengths
        self.shortest = int(lengths.min()) if len(lengths) else 0
        self.longest = int(lengths.max()) if len(lengths) else 0
        self.table = None
        first, last = int(offsets[0]), int(offsets[-1])
        if self.shortest == self.longest > 0 and last - first == len(lengths) * self.longest:
            # every value as long, missing ones empty: the bytes are a table, a row per value
            self.table = self.data[first:last].reshape(len(lengths), self.longest)

    def ends_in_zero(self) -> bool:
        """Whether a value (not empty) ends in a zero byte (padding would not tell it apart)."""
        ends = (self.starts + self.lengths)[self.lengths > 0] - 1
        return bool((self.data[ends] == 0).any())

    def at(self, position: int) -> np.ndarray:
        """Each value's byte at ``position`` (0 past its end)."""
        if self.table is not None:
            if position >= self.longest:
                return np.zeros(len(self.table), dtype=np.uint8)
            return self.table[:, position]
        where = np.minimum(self.starts + position, len(self.data) - 1)
        return np.where(self.lengths > position, self.data[where], 0).astype(np.uint8)

    def spread(self, keys: np.ndarray) -> np.ndarray:
        """Keys of the values as keys of all rows (0 for a missing value)."""
        if self.valid is None:
            return keys
        out = np.zeros(len(self.valid), dtype=np.int64)
        out[self.valid] = keys
        return out


def radix_keys(arrays: list[pa.Array]) -> tuple[list[np.ndarray], int] | None:
    """Integer keys of text values that order and compare as the values do, across arrays.

    Parameters
    ----------
    arrays : list of pyarrow.Array
        ``string`` or ``large_string`` arrays (nulls allowed) whose values are to be compared.

    Returns
    -------
    (keys, size) or None
        Per array, an int64 key per value (any key for a missing value: mask them with
        ``is_valid``), every key in ``range(size)``; equal values have equal keys and
        ``a < b`` (byte order) exactly when ``key(a) < key(b)``. None when a value is longer
        than :data:`MOST_KEY_BYTES`, the keys would not fit in 63 bits, or values of several
        lengths include one that ends in a zero byte.

    Examples
    --------
    >>> keys, size = radix_keys([pa.array(["P02", "P10", "P01"]), pa.array(["P10"])])
    >>> keys[0].tolist(), keys[1].tolist(), size
    ([2, 3, 1], [3], 6)
    """
    if not all(pa.types.is_string(a.type) or pa.types.is_large_string(a.type) for a in arrays):
        return None
    parts = [_Bytes(a) for a in arrays]
    known = [p for p in parts if len(p.lengths)]
    longest = max((p.longest for p in known), default=0)
    shortest = min((p.shortest for p in known), default=0)
    if longest > MOST_KEY_BYTES:
        return None
    if shortest < longest and any(p.ends_in_zero() for p in parts):
        return None  # "a" and "a\0" would share a key
    keys = [np.zeros(len(p.lengths), dtype=np.int64) for p in parts]
    size = 1
    for position in range(longest):
        columns = [p.at(position) for p in parts]
        low = min(int(c.min()) for c in columns if len(c))
        span = max(int(c.max()) for c in columns if len(c)) - low + 1
        if span == 1:
            continue  # one byte at this position: it tells no value apart
        if span <= _SHORT_SPAN:  # the bytes less the lowest (digits): no table to look up
            rank, radix = None, span
        else:  # ranks among the bytes seen here
            seen = np.zeros(256, dtype=np.int64)
            for column in columns:
                seen += np.bincount(column, minlength=256)  # (empty columns count none)
            rank = (np.cumsum(seen > 0) - 1).astype(np.int64)
            radix = int(rank[-1]) + 1
        size *= radix
        if size > _MOST_KEYS:
            return None
        for key, column in zip(keys, columns, strict=True):
            key *= radix
            if rank is None:
                key += column
                key -= low
            else:
                key += rank[column]
    return [p.spread(key) for p, key in zip(parts, keys, strict=True)], size


def _valid(array: pa.Array) -> np.ndarray | None:
    return (None if array.null_count == 0
            else np.asarray(array.is_valid().to_numpy(zero_copy_only=False)))


def _dense(size: int, n: int) -> bool:
    """Whether a table indexed by key (``size`` entries) is cheaper than sorting ``n`` keys."""
    return size <= 2 * n + (1 << 16)


def _key_ranks(key: np.ndarray, valid: np.ndarray | None, size: int) -> np.ndarray:
    """Rank of each key among the distinct keys of the valid values (-1: missing)."""
    present = key if valid is None else key[valid]
    if _dense(size, len(key)):
        seen = np.zeros(size, dtype=bool)
        seen[present] = True
        rank = np.cumsum(seen, dtype=np.int64) - 1
        codes = rank[key]
    else:
        codes = np.searchsorted(np.unique(present), key).astype(np.int64)
    if valid is not None:
        codes[~valid] = -1
    return codes


def _distinct(array: pa.Array, codes: np.ndarray) -> pa.Array:
    """The distinct values in code order (one row of each code taken)."""
    rows = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    known = np.flatnonzero(codes >= 0)
    rows[codes[known]] = known
    return array.take(pa.array(rows))


def sorted_codes(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Integer codes of text ids in sorted order of the ids, and the sorted distinct ids.

    The same codes as ``pd.factorize(values, sort=True)`` (-1 for missing), from radix keys
    (:func:`radix_keys`) or, for ids they do not fit, from arrow hashing and sorting the
    distinct values only (no Python string is made); a categorical column by its categories
    present.

    Examples
    --------
    >>> codes, ids = sorted_codes(pd.Series(["S3", "S1", None, "S3"]))
    >>> codes.tolist(), ids.to_pylist()
    ([1, 0, -1, 1], ['S1', 'S3'])
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
    keyed = radix_keys([array])
    if keyed is not None:
        codes = _key_ranks(keyed[0][0], _valid(array), keyed[1])
        return codes, _distinct(array, codes)
    if array.null_count:
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64), pa.array(uniques, type=pa.large_string())
    encoded = pc.dictionary_encode(array)
    order = np.asarray(pc.array_sort_indices(encoded.dictionary))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[np.asarray(encoded.indices)], encoded.dictionary.take(pa.array(order))


def shared_codes(values: pd.Series, others: list[pd.Series]
                 ) -> tuple[np.ndarray, pa.Array, list[np.ndarray]]:
    """:func:`sorted_codes` of ``values``, and the code of each id of ``others`` among them.

    The same as ``sorted_codes(values)`` and ``positions(other, uniques)`` for each of
    ``others`` (-1 where ``values`` lack the id, and for a missing one), with the radix keys
    of all of them made at once (:func:`radix_keys`): the ids are read once, and the
    distinct ids are never looked up again.

    Examples
    --------
    >>> codes, ids, (found,) = shared_codes(pd.Series(["S3", "S1"]), [pd.Series(["S1", "S2"])])
    >>> codes.tolist(), ids.to_pylist(), found.tolist()
    ([1, 0], ['S1', 'S3'], [0, -1])
    """
    series = [values, *others]
    keyed = (None if any(isinstance(v.dtype, pd.CategoricalDtype) for v in series)
             else radix_keys(arrays := [arrow_text(v) for v in series]))
    if keyed is None:
        codes, uniques = sorted_codes(values)
        return codes, uniques, [positions(other, uniques) for other in others]
    keys, size = keyed
    valid = [_valid(a) for a in arrays]
    present = keys[0] if valid[0] is None else keys[0][valid[0]]
    if _dense(size, sum(len(k) for k in keys)):
        seen = np.zeros(size, dtype=bool)
        seen[present] = True
        rank = np.where(seen, np.cumsum(seen, dtype=np.int64) - 1, -1)
        codes = [rank[k] for k in keys]
    else:
        distinct = np.unique(present)
        codes = []
        for k in keys:
            where = np.minimum(np.searchsorted(distinct, k), max(len(distinct) - 1, 0))
            hit = (distinct[where] == k) if len(distinct) else np.zeros(len(k), dtype=bool)
            codes.append(np.where(hit, where, -1).astype(np.int64))
    for code, ok in zip(codes, valid, strict=True):
        if ok is not None:
            code[~ok] = -1
    return codes[0], _distinct(arrays[0], codes[0]), codes[1:]


def ids_in(values: pd.Series, among: pd.Series) -> np.ndarray:
    """Per row of ``values``, whether ``among`` holds its id (``values.isin(among)``).

    Ids of the tables of one :class:`~outcomes.courses.Courses` share their categories, so
    their codes are compared; other columns by their radix keys (:func:`radix_keys`), or
    through pyarrow (pandas' ``isin`` on the ``str`` dtype makes a Python object of every
    candidate). A missing value is in ``among`` when ``among`` has a missing value.

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
    if (isinstance(v, np.ndarray | pd.arrays.NumpyExtensionArray) and isinstance(
            a, np.ndarray | pd.arrays.NumpyExtensionArray) and v.dtype.kind in "iu"
            and a.dtype.kind in "iu"):  # integer codes (the partitioned engine's): no text
        return np.isin(np.asarray(v), np.asarray(a))
    left, right = arrow_text(values.astype("str")), arrow_text(among.astype("str"))
    keyed = radix_keys([left, right])
    if keyed is None:
        return np.asarray(pc.is_in(left, value_set=right), dtype=bool)
    (key, candidates), size = keyed
    left_valid, right_valid = _valid(left), _valid(right)
    if right_valid is not None:
        candidates = candidates[right_valid]
    if _dense(size, len(key) + len(candidates)):
        seen = np.zeros(size, dtype=bool)
        seen[candidates] = True
        found = seen[key]
    else:
        found = np.isin(key, candidates)
    if left_valid is not None:
        found[~left_valid] = right_valid is not None and not right_valid.all()
    return found


def id_categorical(codes: np.ndarray, uniques: pa.Array) -> pd.Categorical:
    """Ids as a categorical of the sorted distinct ids (``-1``: missing).

    ``uniques`` are distinct (as :func:`sorted_codes` gives them), so pandas' check that
    categories are distinct, which hashes every one of them (a tenth of a second at a million
    session ids), is skipped where pandas offers it.

    Examples
    --------
    >>> id_categorical(np.array([1, -1, 0]), pa.array(["a", "b"])).tolist()
    ['b', nan, 'a']
    """
    categories = pd.Index(uniques.to_pandas(), dtype="str")
    unchecked = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    dtype = (unchecked(categories, False) if unchecked is not None
             else pd.CategoricalDtype(categories))
    return pd.Categorical.from_codes(codes.astype(np.int32), dtype=dtype, validate=False)


def positions(values: pd.Series, among: pa.Array) -> np.ndarray:
    """Position of each value in ``among`` (its first occurrence), -1 where it is absent.

    A missing value is found at ``among``'s first missing value, as arrow's ``index_in``.

    Examples
    --------
    >>> positions(pd.Series(["b", "z", "a", None]), pa.array(["a", "b", "a"])).tolist()
    [1, -1, 0, -1]
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # each category looked up once
        at = np.append(positions(pd.Series(values.cat.categories), among), -1)
        return at[np.asarray(values.cat.codes)]
    array = arrow_text(values)
    if isinstance(among, pa.ChunkedArray):
        among = among.combine_chunks()
    keyed = radix_keys([array, among])
    if keyed is None:
        found = pc.index_in(array, value_set=among)
        return np.asarray(found.fill_null(-1), dtype=np.int64)
    (key, candidates), size = keyed
    valid, among_valid = _valid(array), _valid(among)
    rows = (np.arange(len(among)) if among_valid is None else np.flatnonzero(among_valid))
    candidates = candidates[rows]
    increasing = bool((candidates[1:] > candidates[:-1]).all())
    if increasing and _dense(size, len(key) + len(candidates)):
        at = np.full(size, -1, dtype=np.int64)
        at[candidates] = rows
        out = at[key]
    else:
        order = (np.arange(len(candidates)) if increasing
                 else np.argsort(candidates, kind="stable"))
        ordered = candidates[order]
        where = np.minimum(np.searchsorted(ordered, key), max(len(ordered) - 1, 0))
        hit = ordered[where] == key if len(ordered) else np.zeros(len(key), dtype=bool)
        out = np.where(hit, rows[order][where] if len(ordered) else -1, -1)
    if valid is not None:
        missing = np.flatnonzero(~among_valid) if among_valid is not None else []
        out[~valid] = missing[0] if len(missing) else -1
    return out.astype(np.int64)


def as_text(values: pd.Categorical):
    """A categorical as the ``str`` column it stands for, through arrow (a Python string per
    row, as ``astype("str")`` makes, is what is slow on a million rows)."""
    codes = np.asarray(values.codes)
    return pd.array(arrow_text(values.categories).take(pa.array(codes, mask=codes < 0)),
                    dtype="str")


# ------------------------------------------------------------------ integer keys (the codes')
def key_order(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """Rows in order of ``first``, then ``then`` (integers), ties in input order.

    ``np.lexsort((then, first))``, by one stable sort of a combined key where it fits in 63
    bits (two sorts are what ``lexsort`` does).

    Examples
    --------
    >>> key_order(np.array([2, 1, 2, 1]), np.array([5, 9, 3, 9])).tolist()
    [1, 3, 2, 0]
    """
    if len(first) == 0:
        return np.zeros(0, dtype=np.int64)
    low, span = int(then.min()), int(then.max()) - int(then.min()) + 1
    base = int(first.min())
    if (int(first.max()) - base + 1) * span >= 1 << 62:
        return np.lexsort((then, first))
    return np.argsort((first - base) * span + (then - low), kind="stable")


def key_positions(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position in ``keys`` (sorted, distinct, not negative) of each of ``wanted``, and whether
    it is there (the position is 0 where it is not).

    By a table indexed by key where the keys are dense, else by bisection.

    Examples
    --------
    >>> at, found = key_positions(np.array([3, 7, 40]), np.array([7, 8, 40, -1]))
    >>> at.tolist(), found.tolist()
    ([1, 0, 2, 0], [True, False, True, False])
    """
    if len(keys) == 0:
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    top = int(keys[-1])
    if top < 4 * len(wanted) + (1 << 16):
        at = np.full(top + 2, -1, dtype=np.int64)  # last: a key out of range
        at[keys] = np.arange(len(keys))
        pos = at[np.where((wanted >= 0) & (wanted <= top), wanted, top + 1)]
        return np.maximum(pos, 0), pos >= 0
    pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found = keys[pos] == wanted
    return np.where(found, pos, 0), found


def unique_keys(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` of keys in ``range(size)``, by counting where
    ``size`` is small against the number of keys.

    Examples
    --------
    >>> distinct, inverse = unique_keys(np.array([5, 2, 5, 0]), 6)
    >>> distinct.tolist(), inverse.tolist()
    ([0, 2, 5], [2, 1, 2, 0])
    """
    if size > 4 * len(key) + (1 << 16):
        return np.unique(key, return_inverse=True)
    seen = np.zeros(size, dtype=bool)
    seen[key] = True
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[key]
