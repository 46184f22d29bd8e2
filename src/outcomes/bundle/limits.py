"""How large a file the loader reads: :class:`Limits`, checked before a file is parsed.

A bundle file is refused with a :class:`~outcomes.errors.BundleError` when its uncompressed size
is beyond ``max_bytes`` or it holds more rows than ``max_rows``, and an ``.xlsx`` workbook also
when it expands more than ``max_ratio`` times its size on disk and beyond ``bomb_bytes`` (a zip
bomb: a few megabytes that unpack to gigabytes). The checks read only what costs no memory:

* every file: its size on disk, before it is read or mapped;
* CSV: its lines, counted in the mapped file (only when the file has more bytes than
  ``max_rows``: a row takes at least one byte), before it is parsed;
* Parquet: the row count and uncompressed size in its footer, before its columns are read;
* ``.xlsx``: the sizes its zip directory declares for its members (the unpacked size, which
  Python's zip reader never lets a member exceed), before any sheet is unpacked; its rows are
  counted while each sheet is read, which stops as soon as the count is beyond the limit.

The defaults (2 GiB, 50 million rows, 100 times and 200 MiB) are far beyond what a clinic
exports; a caller who means to read more passes its own ``Limits`` to
:func:`~outcomes.bundle.load.load_bundle`.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from .._docs import shared_doc
from ..errors import BundleError, ParameterError
from .failures import failure_cases

__all__ = [
    "Limits", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_ROWS", "DEFAULT_MAX_RATIO",
    "DEFAULT_BOMB_BYTES", "check_file_size", "check_csv", "check_parquet", "check_workbook",
    "too_many_rows", "size_text",
]

#: Largest uncompressed size of one file read by default: 2 GiB.
DEFAULT_MAX_BYTES = 2 * 1024**3
#: Most data rows of one table read by default: 50 million.
DEFAULT_MAX_ROWS = 50_000_000
#: A workbook expanding more than this many times its size on disk ...
DEFAULT_MAX_RATIO = 100
#: ... and to more than this many bytes (200 MiB) is refused as a zip bomb.
DEFAULT_BOMB_BYTES = 200 * 1024**2

_CHUNK = 1024**2  # lines are counted in slices of this size, so no copy of the file is made
_NEWLINE = ord("\n")
_SPLIT = "Split the export into smaller bundles (by clinic or by year, for example)"
_RAISE_BYTES = (f"{_SPLIT}, or raise the limit: load_bundle(path, "
                "limits=Limits(max_bytes=...))")


@dataclass(frozen=True)
class Limits:
    """How large a file :func:`~outcomes.bundle.load.load_bundle` reads.

    Parameters
    ----------
    max_bytes : int
        Largest uncompressed size of one file, in bytes: a CSV or Parquet file's size (for
        Parquet also the uncompressed size its footer declares), or the sum of the unpacked
        sizes of an ``.xlsx`` workbook's members. Default 2 GiB.
    max_rows : int
        Most data rows of one table (the header not counted). A CSV file's rows are counted as
        its lines after the header, so a quoted value holding a line break counts twice.
        Default 50 million.
    max_ratio : float
        An ``.xlsx`` workbook whose members unpack to more than ``max_ratio`` times the size of
        the workbook file ...
    bomb_bytes : int
        ... and to more than ``bomb_bytes`` bytes is refused as a zip bomb. Defaults 100 and
        200 MiB (an ordinary workbook unpacks to 5 to 30 times its size).

    Raises
    ------
    ParameterError
        If a limit is not a positive number (the byte and row limits whole numbers).

    Examples
    --------
    >>> Limits(max_rows=1000).max_rows
    1000
    >>> Limits(max_rows=0)
    Traceback (most recent call last):
    ...
    outcomes.errors.ParameterError: Limits(max_rows=0): every limit must be a positive whole number.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = DEFAULT_MAX_ROWS
    max_ratio: float = DEFAULT_MAX_RATIO
    bomb_bytes: int = DEFAULT_BOMB_BYTES

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            whole = item.name != "max_ratio"
            allowed = (int,) if whole else (int, float)
            if isinstance(value, bool) or not isinstance(value, allowed) or not value > 0 \
                    or (not whole and not math.isfinite(value)):
                kind = "whole number" if whole else "finite number"
                raise ParameterError(
                    f"Limits({item.name}={value!r}): every limit must be a positive {kind}.")


def size_text(size: int) -> str:
    """A size in words, binary units and exact bytes.

    >>> size_text(7_340_032), size_text(512)
    ('7.0 MiB (7,340,032 bytes)', '512 bytes')
    """
    if size < 1024:
        return f"{size:,} bytes"
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit} ({size:,} bytes)"
    raise AssertionError("unreachable")  # pragma: no cover


def _refused(where: str, table: str | None, reason: str, advice: str) -> BundleError:
    found = failure_cases([(table, None, None, None, reason)]) if table else None
    return BundleError(f"{where} {reason}, so it is not read. {advice}.", found)


def check_file_size(where: str, size: int, limits: Limits, table: str | None = None) -> None:
    """Refuse a file larger on disk than ``limits.max_bytes`` (before it is read).

    Parameters
    ----------
    where : str
        The file, as messages name it.
    size : int
        Its size in bytes.
    limits : Limits
    table : str, optional
        The contract table it holds (for the error's ``failure_cases``).

    Raises
    ------
    BundleError
        If the file is too large: the message gives its size, the limit and what to do.
    """
    if size > limits.max_bytes:
        raise _refused(where, table, f"is {size_text(size)}, more than the limit of "
                       f"{size_text(limits.max_bytes)}", _RAISE_BYTES)


def too_many_rows(where: str, rows: int, limits: Limits, table: str | None = None,
                  more: bool = False) -> BundleError:
    """The error of a table with ``rows`` data rows (``more``: at least that many)."""
    counted = f"more than {limits.max_rows:,}" if more else f"{rows:,}"
    return _refused(where, table, f"has {counted} rows, more than the limit of "
                    f"{limits.max_rows:,}", f"{_SPLIT}, or raise the limit: load_bundle(path, "
                    "limits=Limits(max_rows=...))")


_DOCS = {"file_table_limits": """\
where, table : str
    The file, and the table it holds.
limits : Limits"""}


@shared_doc(**_DOCS)
def check_csv(data, where: str, limits: Limits, table: str) -> None:
    """Refuse a CSV file with more lines after its header than ``limits.max_rows``.

    Parameters
    ----------
    data : bytes-like
        The whole file (a memory map: it is read in slices, never copied whole).
    {file_table_limits}

    Raises
    ------
    BundleError
        If the file has too many rows.
    """
    size = len(data)
    if size <= limits.max_rows:  # every row but the last ends in a line break: no need to count
        return
    lines = 0
    view = np.frombuffer(data, dtype=np.uint8)  # no copy (a slice of a map would copy)
    for start in range(0, size, _CHUNK):
        lines += int(np.count_nonzero(view[start:start + _CHUNK] == _NEWLINE))
    del view  # the map can then be closed
    if size and data[size - 1:size] != b"\n":
        lines += 1  # a last line without a line break
    rows = max(lines - 1, 0)
    if rows > limits.max_rows:
        raise too_many_rows(where, rows, limits, table)


@shared_doc(**_DOCS)
def check_parquet(data, where: str, limits: Limits, table: str) -> None:
    """Refuse a Parquet file whose footer declares too many rows or too large an unpacked size.

    A file whose footer cannot be read is left to the reader, which says so.

    Parameters
    ----------
    data : bytes-like
        The whole file.
    {file_table_limits}

    Raises
    ------
    BundleError
        If the file is too large.
    """
    import pyarrow.parquet as pq  # here: only Parquet files need it

    try:
        meta = pq.read_metadata(pa.BufferReader(pa.py_buffer(data)))
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except (pa.ArrowException, OSError, ValueError):
        return
    if meta.num_rows > limits.max_rows:
        raise too_many_rows(where, meta.num_rows, limits, table)
    if unpacked > limits.max_bytes:
        raise _refused(where, table, f"unpacks to {size_text(unpacked)}, more than the "
                       f"limit of {size_text(limits.max_bytes)}", _RAISE_BYTES)


def check_workbook(data: bytes, where: str, limits: Limits) -> None:
    """Refuse an ``.xlsx`` workbook that unpacks beyond the limits (before any sheet is read).

    The unpacked size is the sum of the sizes the zip directory declares for its members; a
    file that is not a zip archive is left to the workbook reader, which says so.

    Parameters
    ----------
    data : bytes
        The whole workbook file.
    where : str
        The workbook, as messages name it.
    limits : Limits

    Raises
    ------
    BundleError
        If the workbook unpacks to more than ``limits.max_bytes``, or expands more than
        ``limits.max_ratio`` times and beyond ``limits.bomb_bytes`` (a zip bomb).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    packed = max(len(data), 1)
    if unpacked > limits.max_bytes:
        raise _refused(where, None, f"unpacks to {size_text(unpacked)}, more than the "
                       f"limit of {size_text(limits.max_bytes)}", _RAISE_BYTES)
    if unpacked > limits.bomb_bytes and unpacked > limits.max_ratio * packed:
        raise _refused(
            where, None,
            f"unpacks to {size_text(unpacked)} from {size_text(len(data))} "
            f"({unpacked / packed:,.0f} times its size), which is how a zip bomb looks (a "
            f"workbook expanding more than {limits.max_ratio:g} times and beyond "
            f"{size_text(limits.bomb_bytes)} is refused)",
            "Open it in a spreadsheet program and check what it holds; to load it anyway, save "
            "its sheets as sessions.csv, assessments.csv and adverse_events.csv in a folder and "
            "give the folder, or raise the limit: load_bundle(path, limits=Limits(max_ratio=...))")
