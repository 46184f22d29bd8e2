"""Checksums of the input files and 64-bit hashes of cell values and rows.

:func:`sha256` gives the checksum of each file read (what :attr:`SessionLog.checksums` reports).
The 64-bit hashes are for finding candidates quickly, without a loop over rows: equal values get
equal hashes, different values collide with probability about 2**-64, so every use compares the
values themselves before it concludes anything (:mod:`outcomes.bundle.links`).
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["sha256", "hash_strings", "hash_numbers", "hash_codes", "hash_rows"]

_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_FNV_PRIME = np.uint64(0x100000001B3)
_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)


def sha256(data: bytes | mmap.mmap) -> str:
    """Return the SHA-256 hex digest of ``data``.

    Parameters
    ----------
    data : bytes-like
        The file's bytes (a memory map works without a copy).

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> sha256(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def _mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: spreads every input bit over the 64 output bits."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * _MIX_1
        h = (h ^ (h >> np.uint64(27))) * _MIX_2
    return h ^ (h >> np.uint64(31))


def hash_strings(values: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string (uint64), computed on Arrow's buffers.

    Horner's rule runs over character positions, each step one vectorised gather over all the
    strings long enough (a loop over the bytes of the longest value, not over rows). Equal
    strings get equal hashes; different strings collide with probability about 2**-64, so
    callers use equal hashes only to find candidates and then compare the strings.

    Parameters
    ----------
    values : pyarrow.Array
        ``string`` or ``large_string`` values (nulls allowed).

    Returns
    -------
    numpy.ndarray
        uint64, one per value; every null gets the same hash.

    Examples
    --------
    >>> h = hash_strings(pa.array(["S1", "S2", "S1", None]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1])
    (True, False)
    """
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    width = np.dtype(np.int64 if pa.types.is_large_string(values.type) else np.int32)
    offsets = np.frombuffer(values.buffers()[1], dtype=width, count=n + 1,
                            offset=values.offset * width.itemsize)
    lengths = np.diff(offsets)
    hashes = lengths.astype(np.uint64)
    buffer = values.buffers()[2]
    shortest, longest = (int(lengths.min()), int(lengths.max())) if n else (0, 0)
    if buffer is not None and longest > 0 and shortest == longest:
        # every string as long (the usual key): the bytes are a table, a column per position
        data = np.frombuffer(buffer, dtype=np.uint8)[int(offsets[0]):int(offsets[-1])]
        table = data.reshape(n, longest)
        with np.errstate(over="ignore"):
            for position in range(longest):
                hashes *= _FNV_PRIME
                hashes += table[:, position]
    elif buffer is not None and longest > 0:
        data = np.frombuffer(buffer, dtype=np.uint8)
        starts = offsets[:-1].astype(np.int64)
        with np.errstate(over="ignore"):
            for position in range(shortest):  # every string has a byte here
                hashes *= _FNV_PRIME
                hashes += data[starts + position]
            rows = np.flatnonzero(lengths > shortest)
            for position in range(shortest, longest):
                rows = rows[lengths[rows] > position]
                hashes[rows] = hashes[rows] * _FNV_PRIME + data[starts[rows] + position]
    hashes = _mix(hashes)
    if values.null_count:
        hashes[pc.is_null(values).to_numpy(zero_copy_only=False)] = _NULL_HASH
    return hashes


def hash_numbers(values: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each float64 (its bits mixed): equal numbers, equal hashes."""
    return _mix(values.view(np.uint64))


def hash_codes(codes: np.ndarray) -> np.ndarray:
    """Integer codes spread over 64 bits, as good as a hash for combining in :func:`hash_rows`."""
    with np.errstate(over="ignore"):
        return codes.astype(np.uint64) * _MIX_1


def hash_rows(columns: Sequence[np.ndarray], n: int) -> np.ndarray:
    """A hash of each row from the uint64 hashes of its columns (equal rows, equal hashes).

    Parameters
    ----------
    columns : sequence of numpy.ndarray
        Per column, one uint64 hash per row (:func:`hash_strings`, :func:`hash_numbers`,
        :func:`hash_codes`), in a fixed order.
    n : int
        Number of rows.

    Returns
    -------
    numpy.ndarray
        uint64, one per row.
    """
    row = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in columns:
            row *= _FNV_PRIME
            row += column
    return _mix(row)
