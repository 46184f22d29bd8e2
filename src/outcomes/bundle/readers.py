"""Finding and reading the files of a bundle into raw text tables, with their checksums.

A bundle is a folder holding ``sessions``, ``assessments`` and ``adverse_events`` as ``.csv`` or
``.parquet`` files (the file stem is the table name), or one ``.xlsx`` workbook with sheets of
those names. Every reader returns the same thing, a :class:`RawTable` whose cells are all text
(``None`` for an empty cell), so that one validation path (:mod:`outcomes.bundle.load`) serves every
format: Parquet's typed columns and Excel's typed cells are written out as the text a CSV export
would hold (numbers in their shortest form, dates as ISO ``YYYY-MM-DD`` when they fall on
midnight, booleans as ``true``/``false``).

Each input file is read once into memory; its SHA-256 is computed from those very bytes, so the
checksum describes exactly what was parsed. Files are opened read-only and never written.

Nothing here interprets values: no vocabulary, number or date is checked. Problems that make a
file unreadable raise :class:`~outcomes.errors.BundleError` with the file name and what to do,
and so does a file beyond the size :class:`~outcomes.bundle.limits.Limits` (checked before it is
parsed). A workbook's sheets are read whole, whatever their ``<dimension>`` tag says, and its
cells that hold no value a spreadsheet would show (formulas never computed, cells covered by
merged cells) are listed in :attr:`RawTable.problems` (:mod:`outcomes.bundle.workbook`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import mmap
import re
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..errors import BundleError
from .failures import failure_cases
from .hashing import sha256
from .limits import Limits, check_csv, check_file_size, check_parquet, check_workbook
from .schema import CODED_KINDS, TABLES
from .suggest import nearest
from .workbook import CellProblem, open_workbook, read_sheet

__all__ = ["RawTable", "RawBundle", "Source", "read_bundle", "read_sources", "read_table_bytes",
           "arrow_table", "combine", "FIRST_DATA_ROW", "CellProblem", "Limits"]

#: Spreadsheet row number of the first data row (the header is row 1).
FIRST_DATA_ROW = 2

TABLE_SUFFIXES = (".csv", ".parquet")
WORKBOOK_SUFFIXES = (".xlsx",)
_CSV_SEPARATORS = (",", ";")
_PANDAS_INDEX = re.compile(r"^__index_level_\d+__$")
# a file up to this size is parsed as one block, so its columns come in one chunk each (no copy
# to put them together), and faster than in Arrow's default 1 MiB blocks
_CSV_BLOCK = 128 * 1024**2
_CODED_TEXT = pa.dictionary(pa.int32(), pa.string())
_SAVE_AS_UTF8 = "save it again as 'CSV UTF-8' (comma or semicolon separated)"


@dataclass(frozen=True)
class RawTable:
    """One table of a bundle as text, before any value is interpreted.

    Attributes
    ----------
    name : str
        Table name of the contract (``sessions``, ``assessments``, ``adverse_events``).
    where : str
        How messages name it: the file name (``sessions.csv``) or the workbook and sheet
        (``bundle.xlsx, sheet sessions``).
    header : tuple of str
        Column names as in the file, with surrounding whitespace removed (duplicates possible).
    columns : tuple of pyarrow.Array or pyarrow.ChunkedArray
        One string array per header entry; ``None`` for an empty cell. The columns of repeating
        values of a bundle folder's CSV files are dictionary-encoded strings (the same text).
        Rows that were blank in every column are left out (they carry no data); :attr:`rows`
        keeps the numbering.
    rows : numpy.ndarray
        Spreadsheet row number (int64, header = row 1) of each row of :attr:`columns`.
    decimal_comma : bool
        True for a semicolon-separated CSV, where ``2,5`` is the number 2.5.
    problems : tuple of CellProblem
        Cells of a workbook that hold no value (a formula without a computed value, a cell
        covered by merged cells), by spreadsheet row and header position; their text is
        ``None``. Empty for CSV and Parquet.
    """

    name: str
    where: str
    header: tuple[str, ...]
    columns: tuple[pa.Array, ...]
    rows: np.ndarray
    decimal_comma: bool = False
    problems: tuple[CellProblem, ...] = ()

    @property
    def n_rows(self) -> int:
        """Number of (non-blank) data rows."""
        return len(self.rows)

    def without_columns(self) -> RawTable:
        """The table without its columns' text (once it has been prepared, so it can be
        freed): the header, rows and problems stay, :attr:`columns` is empty."""
        return replace(self, columns=())

    def positions(self, column: str) -> list[int]:
        """Return the positions of the header entries equal to ``column`` (case-insensitive)."""
        key = column.casefold()
        return [i for i, h in enumerate(self.header) if h.casefold() == key]


@dataclass(frozen=True)
class RawBundle:
    """Every table of a bundle as text, with the checksums of the files read.

    Attributes
    ----------
    source : str
        Folder or workbook name (no parent folders).
    tables : dict of str to RawTable
        The tables present in the bundle.
    missing : tuple of str
        Optional tables the bundle does not have.
    digests : dict
        Per file name, its SHA-256, or the mapped file whose SHA-256 is still to be computed
        (see :meth:`hash_in_background` and :attr:`checksums`).
    hints : dict of str to str
        Per missing table, a near miss found beside the bundle's files ("adverse_event.csv is
        here: did you mean adverse_events.csv?").
    """

    source: str
    tables: dict[str, RawTable]
    missing: tuple[str, ...]
    digests: dict[str, str | Future | _Mapped] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)

    def hash_in_background(self, executor: Executor) -> None:
        """Start computing the checksums not yet computed, in ``executor``."""
        for name, digest in self.digests.items():
            if isinstance(digest, _Mapped):
                self.digests[name] = executor.submit(digest.digest)

    def close(self) -> None:
        """Let go of the files whose checksum was never asked for (after an error)."""
        for digest in self.digests.values():
            if isinstance(digest, _Mapped):
                digest.close()

    @property
    def checksums(self) -> dict[str, str]:
        """SHA-256 (hex) of each file read, keyed by file name (waits for the background work)."""
        for name, digest in self.digests.items():
            if isinstance(digest, _Mapped):
                self.digests[name] = digest.digest()
        return {
            name: d.result() if isinstance(d, Future) else d for name, d in self.digests.items()
        }


# ---------------------------------------------------------------------------- finding the files
def read_bundle(path: str | Path, defer_checksums: bool = False, *,
                limits: Limits | None = None) -> RawBundle:
    """Read a bundle folder or workbook into raw text tables.

    Parameters
    ----------
    path : str or Path
        A folder holding ``sessions.csv`` or ``sessions.parquet`` (and optionally the
        ``assessments`` and ``adverse_events`` tables), or an ``.xlsx`` workbook with sheets of
        those names.
    defer_checksums : bool
        Keep the files mapped and compute their SHA-256 later (:meth:`RawBundle.checksums` or
        :meth:`RawBundle.hash_in_background`), so that the caller can overlap it with other work.
        By default the checksums are computed before returning.
    limits : Limits, optional
        How large a file is read (default: :class:`~outcomes.bundle.limits.Limits()`).

    Returns
    -------
    RawBundle

    Raises
    ------
    BundleError
        If the path is not a bundle, a table is given twice (CSV and Parquet), the sessions table
        is missing, a file cannot be read, or a file is beyond the limits; the message names the
        file and what to do.
    """
    path = Path(path)
    limits = Limits() if limits is None else limits
    if not path.exists():
        raise BundleError(
            f"{path.name or path}: no such folder or file. Give the folder holding sessions.csv "
            "(or sessions.parquet), or an .xlsx workbook with a 'sessions' sheet."
        )
    if path.is_dir():
        return _read_folder(path, defer_checksums, limits)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return _read_workbook(path, limits)
    raise BundleError(_not_a_bundle_message(path))


def _not_a_bundle_message(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return (
            f"{path.name} is a single table. Give the folder that holds it (with sessions"
            f"{suffix} and, if you have them, assessments{suffix} and adverse_events{suffix})."
        )
    if suffix in (".xls", ".xlsm", ".ods"):
        return f"{path.name}: workbooks are read as .xlsx only; save it as an Excel .xlsx workbook."
    return (
        f"{path.name} is not a bundle: expected a folder of sessions/assessments/adverse_events "
        ".csv or .parquet files, or an .xlsx workbook with sheets of those names."
    )


def _table_files(folder: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {name: [] for name in TABLES}
    for entry in sorted(folder.iterdir()):
        stem, suffix = entry.stem.lower(), entry.suffix.lower()
        if stem in found and suffix in TABLE_SUFFIXES and entry.is_file():
            found[stem].append(entry)
    return found


def _read_folder(folder: Path, defer_checksums: bool, limits: Limits) -> RawBundle:
    try:
        found = _table_files(folder)
    except OSError as exc:
        raise BundleError(f"Cannot list the folder {folder.name}: {exc.strerror}.") from None
    for name, files in found.items():
        if len(files) > 1:
            listed = " and ".join(f.name for f in files)
            raise BundleError(
                f"{folder.name}: the {name} table is given twice ({listed}), so it is ambiguous "
                "which one to read. Keep one of them in the folder.", _given_twice(name, listed)
            )
    if not found["sessions"]:
        raise BundleError(_no_sessions_message(folder), _no_sessions())
    chosen = {name: files[0] for name, files in found.items() if files}
    for name, file in chosen.items():  # every file's size, before any is read
        check_file_size(file.name, _file_size(file), limits, name)
    maps = {name: _Mapped(file) for name, file in chosen.items()}
    tables: dict[str, RawTable] = {}
    digests: dict[str, str | _Mapped] = {}
    try:
        data = {name: mapped.open() for name, mapped in maps.items()}
        for name, file in chosen.items():  # every file's rows, before any is parsed
            _LIMIT_CHECKS[file.suffix.lower()](data[name], file.name, limits, name)
        def parse(name: str) -> RawTable:
            file = chosen[name]
            table = _FOLDER_READERS[file.suffix.lower()](data[name], name, file.name)
            maps[name].let_go()  # parsed: its pages leave memory until the checksum
            return table

        # the files side by side: each CSV is parsed as one block, by one thread, so parsing
        # them one after the other would leave the other cores to the columns' conversion
        with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
            parsed = {name: pool.submit(parse, name) for name in chosen}
            for name, file in chosen.items():  # a problem reported in table order
                tables[name] = parsed[name].result()
                # the checksum is of the very bytes parsed; the map goes once it is computed
                digests[file.name] = maps[name] if defer_checksums else maps[name].digest()
    except BaseException:
        for mapped in maps.values():
            mapped.close()
        raise
    missing = tuple(n for n in TABLES if n not in tables)
    return RawBundle(folder.name, tables, missing, digests, _file_hints(folder, missing))


def _near_file(folder: Path, table: str) -> str | None:
    """The name of a table file of ``folder`` whose stem is a near miss of ``table``."""
    try:
        files = {e.stem: e.name for e in sorted(folder.iterdir())
                 if e.suffix.lower() in TABLE_SUFFIXES and e.is_file()}
    except OSError:
        return None
    found = nearest(table, files)
    return files[found[0]] if found else None


def _file_hints(folder: Path, missing: tuple[str, ...]) -> dict[str, str]:
    hints = {}
    for table in missing:
        near = _near_file(folder, table)
        if near is not None:
            suffix = Path(near).suffix.lower()
            hints[table] = f"{near} is here: did you mean {table}{suffix}?"
    return hints


def _given_twice(name: str, listed: str):
    """The failure case of a table given twice (in ``listed`` files or sheets)."""
    return failure_cases([(name, None, None, None, f"the table is given twice ({listed})")])


def _no_sessions():
    """The failure case of a bundle without a sessions table."""
    return failure_cases([("sessions", None, None, None,
                           "a bundle needs a sessions table and this one has none")])


def _no_sessions_message(folder: Path) -> str:
    message = (
        f"{folder.name}: no sessions table. A bundle folder needs sessions.csv or "
        "sessions.parquet (assessments and adverse_events are optional)."
    )
    near = _near_file(folder, "sessions")
    if near is not None:
        message += f" {near} is here: did you mean sessions{Path(near).suffix.lower()}?"
    workbooks = sorted(p.name for p in folder.glob("*.xlsx"))
    if workbooks:
        message += f" The folder holds the workbook {workbooks[0]}: give the workbook itself."
    return message


_SLICE = 16 * 1024**2  # a multiple of the page size
_DROP = getattr(mmap, "MADV_DONTNEED", None)  # not on every platform


class _Mapped:
    """A file's bytes, read-only: memory-mapped, or ``b""`` when the file is empty."""

    def __init__(self, file: Path):
        self.file = file
        self._data: bytes | mmap.mmap = b""

    def open(self) -> bytes | mmap.mmap:
        try:
            with open(self.file, "rb") as handle:
                if self.file.stat().st_size:
                    self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise BundleError(f"Cannot read {self.file.name}: {reason}. Check the file.") from None
        return self._data

    def let_go(self, start: int = 0, length: int | None = None) -> None:
        """Drop the mapped pages (from ``start``, ``length`` bytes, default to the end) from
        the process's memory; the file's bytes are read again if they are needed."""
        if isinstance(self._data, mmap.mmap) and _DROP is not None:
            size = len(self._data) - start if length is None else length
            self._data.madvise(_DROP, start, size)

    def digest(self) -> str:
        """SHA-256 of the bytes, then close the map.

        The bytes are hashed in slices, each let go from memory once hashed.
        """
        try:
            if not isinstance(self._data, mmap.mmap):
                return sha256(self._data)
            hashed = hashlib.sha256()
            with memoryview(self._data) as view:
                for start in range(0, len(view), _SLICE):
                    with view[start:start + _SLICE] as part:
                        hashed.update(part)
                    self.let_go(start, min(_SLICE, len(view) - start))
            return hashed.hexdigest()
        finally:
            self.close()

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap):
            try:
                self._data.close()
            except BufferError:  # an array still points into the map: it is freed with it
                pass


def _file_size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError as exc:
        raise BundleError(f"Cannot read {file.name}: {exc.strerror}. Check the file.") from None


def _read_bytes(file: Path) -> bytes:
    try:
        with open(file, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise BundleError(f"Cannot read {file.name}: {exc.strerror}. Check the file.") from None


# ---------------------------------------------------------------------------------------- CSV
def read_table_bytes(data: bytes | mmap.mmap, *, name: str, where: str,
                     suffix: str, limits: Limits | None = None) -> RawTable:
    """Read the bytes of one table file into a :class:`RawTable` (every cell as text).

    Parameters
    ----------
    data : bytes-like
        The whole file.
    name : str
        The contract table it holds.
    where : str
        How messages name it (the file name).
    suffix : {".csv", ".parquet"}
        Its format (see :func:`_read_csv` and :func:`_read_parquet`).
    limits : Limits, optional
        How many rows and bytes are read (default: :class:`~outcomes.bundle.limits.Limits()`),
        checked before the file is parsed.

    Returns
    -------
    RawTable

    Raises
    ------
    BundleError
        If the file cannot be read in its format, or is beyond the limits (the message says
        why and what to do).
    """
    limits = Limits() if limits is None else limits
    _LIMIT_CHECKS[suffix](data, where, limits, name)
    return _TABLE_READERS[suffix](data, name, where)


def _read_csv(data: bytes | mmap.mmap, name: str, where: str, coded: bool = False) -> RawTable:
    """A CSV file: the separator (comma or semicolon) is taken from the header row; UTF-8 is
    required, a byte-order mark is allowed. Refused: an empty file, one not UTF-8 or
    tab-separated, a row with more or fewer values than the header has columns.

    With ``coded``, the columns the contract of table ``name`` gives repeating values (dates,
    vocabularies, yes/no, lists: :data:`~outcomes.bundle.schema.CODED_KINDS`) are read as
    dictionary arrays, each distinct text held once.
    """
    header, separator = _csv_header(data, where)
    generated = [f"c{i}" for i in range(len(header))]
    repeating = _coded_names(name) if coded else set()
    types = {c: _CODED_TEXT if h.casefold() in repeating else pa.string()
             for c, h in zip(generated, header, strict=True)}
    # only a quoted value can hold a line break (the header, read apart, is on one line)
    quoted = data.find(b'"', max(data.find(b"\n"), 0)) >= 0
    try:
        table = pcsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pcsv.ReadOptions(column_names=generated, skip_rows=1,
                                          block_size=min(len(data) + 1, _CSV_BLOCK)),
            parse_options=pcsv.ParseOptions(
                delimiter=separator, ignore_empty_lines=False, newlines_in_values=quoted
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
                check_utf8=True,
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        raise _csv_problem(bytes(data), name, where, separator, len(header)) from None
    columns = [table.column(i) for i in range(table.num_columns)]
    del table
    _combine_each(columns)
    return _raw_table(name, where, header, columns, decimal_comma=separator == ";")


def _read_csv_coded(data: bytes | mmap.mmap, name: str, where: str) -> RawTable:
    """:func:`_read_csv` of a contract table's file, its repeating values as codes."""
    return _read_csv(data, name, where, coded=True)


def _coded_names(table: str) -> set[str]:
    """The (casefolded) names of the columns of contract table ``table`` whose values repeat."""
    contract = TABLES.get(table)
    if contract is None:
        return set()
    return {c.name.casefold() for c in contract.columns if c.kind in CODED_KINDS}


def _csv_header(data: bytes | mmap.mmap, where: str) -> tuple[tuple[str, ...], str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise BundleError(f"{where} is saved as UTF-16 text; {_SAVE_AS_UTF8}.")
    offset = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    if not re.search(rb"\S", data[offset:offset + 65536]) and not data[offset + 65536:].strip():
        raise BundleError(f"{where} is empty: expected a header row with the column names.")
    end = data.find(b"\n", offset)
    line_bytes = data[offset: len(data) if end < 0 else end]
    if b"\x00" in line_bytes:
        raise BundleError(f"{where} is not a text CSV file (it holds NUL bytes); {_SAVE_AS_UTF8}.")
    try:
        line = line_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise BundleError(
            f"{where}: the header row is not UTF-8 text; {_SAVE_AS_UTF8}."
        ) from None
    if not line.strip():
        raise BundleError(f"{where}: row 1 is empty; the first row must hold the column names.")
    if line.count('"') % 2:
        raise BundleError(
            f"{where}: the header row has an unbalanced quote (or a line break inside a column "
            "name); write the column names on one line."
        )
    separator = _sniff_separator(line)
    if separator is None:
        raise BundleError(
            f"{where} looks tab-separated; the contract reads comma- or semicolon-separated "
            f"files, so {_SAVE_AS_UTF8}."
        )
    header = next(csv.reader([line], delimiter=separator))
    return tuple(h.strip() for h in header), separator


def _sniff_separator(line: str) -> str | None:
    """Return the separator used by a header line: the commoner of ``,`` and ``;`` out of quotes."""
    counts = dict.fromkeys(_CSV_SEPARATORS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    if counts[";"] > counts[","]:
        return ";"
    if counts[","] == 0 and "\t" in line:
        return None
    return ","


def _csv_problem(data: bytes, name: str, where: str, separator: str,
                 n_columns: int) -> BundleError:
    """Explain why pyarrow could not parse a CSV (only called when it failed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return BundleError(
            f"{where} is not UTF-8 text (the first undecodable byte is on line {line}); "
            f"{_SAVE_AS_UTF8}.")
    try:
        for index, record in enumerate(csv.reader(io.StringIO(text), delimiter=separator)):
            if index and record and len(record) != n_columns:
                found = f"has {len(record)} values but the header has {n_columns} columns"
                return BundleError(
                    f"{where} row {index + 1} {found}. Check that row for a stray "
                    f"'{separator}' or an unquoted value holding one, and export again.",
                    failure_cases([(name, None, index + 1, None, found)]))
    except csv.Error as exc:
        return BundleError(
            f"{where} cannot be read as CSV ({exc}); check the quoting and export again.")
    return BundleError(
        f"{where} cannot be read as CSV; check the quoting of its values and export again.")


# ------------------------------------------------------------------------------------ Parquet
def _read_parquet(data: bytes | mmap.mmap, name: str, where: str) -> RawTable:
    """A Parquet file: typed columns are written out as text, integers and floats in their
    shortest form (an integral float without ``.0``), booleans as ``true``/``false``, dates and
    midnight timestamps as ``YYYY-MM-DD``, other timestamps as ``YYYY-MM-DDTHH:MM:SS``; NaN is
    empty. Refused: a file that is not Parquet, a column of a type that has no text form
    (lists, structs, binary).
    """
    import pyarrow.parquet as pq  # here: only Parquet files need it

    try:
        table = pq.read_table(pa.BufferReader(pa.py_buffer(data)))
    except (pa.ArrowException, OSError, ValueError):
        raise BundleError(
            f"{where} cannot be read as a Parquet file; export it again (or use CSV)."
        ) from None
    return arrow_table(table, name=name, where=where)


def arrow_table(table: pa.Table, *, name: str, where: str, rows: np.ndarray | None = None,
                decimal_comma: bool = False) -> RawTable:
    """One table already in memory (typed or text columns) as a :class:`RawTable`, each
    column written out as text as a Parquet file's are (:func:`arrow_to_text`).

    Parameters
    ----------
    table : pyarrow.Table
    name, where : str
        The contract table it holds, and how messages name it.
    rows : numpy.ndarray, optional
        Spreadsheet row number (int64) of each row in the original file (default: one after
        the other from row 2), so that rejects and warnings name the original rows.
    decimal_comma : bool
        Text read from a semicolon-separated file (``2,5`` is the number 2.5).

    Returns
    -------
    RawTable

    Raises
    ------
    BundleError
        If a column's type has no text form.

    Examples
    --------
    >>> raw = arrow_table(pa.table({"scale": ["masi", "masi"], "score": [2.5, None]}),
    ...                   name="assessments", where="assessments.parquet", rows=np.array([7, 9]))
    >>> raw.columns[1].to_pylist(), raw.rows.tolist()
    (['2.5', None], [7, 9])
    """
    header, columns = [], []
    for field_name, column in zip(table.column_names, table.columns, strict=True):
        if _PANDAS_INDEX.match(field_name):
            continue  # a pandas index written by to_parquet(), not a column of the export
        header.append(str(field_name).strip())
        columns.append(arrow_to_text(_combine(column), table=name, where=where,
                                     column=field_name))
    if rows is not None:
        rows = np.asarray(rows, dtype=np.int64)
    return _raw_table(name, where, tuple(header), columns, decimal_comma=decimal_comma,
                      rows=rows)


def arrow_to_text(array: pa.Array, *, table: str, where: str, column: str) -> pa.Array:
    """Return ``array`` written out as text, as a CSV export would hold it.

    Parameters
    ----------
    array : pyarrow.Array
        A typed column (from Parquet).
    table, where, column : str
        Contract table, file and column, for the error of an unreadable type.

    Returns
    -------
    pyarrow.Array
        Strings; empty strings and NaN become null.

    Raises
    ------
    BundleError
        If the column's type has no text form.
    """
    kind = array.type
    if pa.types.is_dictionary(kind):
        return arrow_to_text(array.dictionary_decode(), table=table, where=where, column=column)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        array = array.cast(pa.string())
        return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_floating(kind):
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, kind), array)
        return array.cast(pa.string())
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_decimal(kind):
        return array.cast(pa.string())
    if pa.types.is_date(kind):
        return pc.strftime(array.cast(pa.timestamp("s")), format="%Y-%m-%d")
    if pa.types.is_timestamp(kind):
        return _timestamps_to_text(array)
    raise BundleError(
        f"{where}, column {column}: values of type {kind} cannot be read; store it as text, "
        "numbers or dates and export again.",
        failure_cases([(table, column, None, None, f"values of type {kind} have no text form")]),
    )


_TABLE_READERS = {".csv": _read_csv, ".parquet": _read_parquet}
_FOLDER_READERS = {".csv": _read_csv_coded, ".parquet": _read_parquet}  # a bundle's own files
_LIMIT_CHECKS = {".csv": check_csv, ".parquet": check_parquet}


def _timestamps_to_text(array: pa.Array) -> pa.Array:
    if array.type.tz is not None:
        array = pc.local_timestamp(array)
    midnight = pc.equal(pc.cast(pc.floor_temporal(array, unit="day"), array.type), array)
    as_date = pc.strftime(array, format="%Y-%m-%d")
    as_time = pc.strftime(array, format="%Y-%m-%dT%H:%M:%S")
    return pc.if_else(midnight, as_date, as_time)


# --------------------------------------------------------------------------------------- Excel
def _read_workbook(path: Path, limits: Limits) -> RawBundle:
    check_file_size(path.name, _file_size(path), limits)
    data = _read_bytes(path)
    check_workbook(data, path.name, limits)
    digests = {path.name: sha256(data)}
    workbook = open_workbook(data, path.name)
    try:
        sheets = _workbook_sheets(workbook, path.name)
        tables = {
            name: _read_sheet(workbook, sheet, name, f"{path.name}, sheet {sheet.title}", limits)
            for name, sheet in sheets.items()
        }
        titles = [str(s.title) for s in workbook.worksheets]
    finally:
        workbook.close()
    missing = tuple(n for n in TABLES if n not in tables)
    hints = {}
    for table in missing:
        near = nearest(table, titles)
        if near:
            hints[table] = f"the sheet {near[0]!r} is here: did you mean {table!r}?"
    return RawBundle(path.name, tables, missing, digests, hints)


def _workbook_sheets(workbook, where: str) -> dict:
    found: dict[str, list] = {name: [] for name in TABLES}
    for sheet in workbook.worksheets:
        key = str(sheet.title).strip().lower()
        if key in found:
            found[key].append(sheet)
    for name, sheets in found.items():
        if len(sheets) > 1:
            titles = " and ".join(repr(s.title) for s in sheets)
            raise BundleError(
                f"{where}: the {name} table is given twice (sheets {titles}); keep one sheet.",
                _given_twice(name, f"sheets {titles}"),
            )
    if not found["sessions"]:
        titles = ", ".join(repr(s.title) for s in workbook.worksheets) or "none"
        near = nearest("sessions", [str(s.title) for s in workbook.worksheets])
        hint = f" The sheet {near[0]!r} is there: did you mean 'sessions'?" if near else ""
        raise BundleError(
            f"{where} has no 'sessions' sheet (its sheets: {titles}). Name the sheets "
            f"sessions, assessments and adverse_events.{hint}", _no_sessions()
        )
    return {name: sheets[0] for name, sheets in found.items() if sheets}


def _read_sheet(workbook, sheet, name: str, where: str, limits: Limits) -> RawTable:
    text = read_sheet(workbook, sheet, where, limits, name)
    rows = np.array(text.rows, dtype=np.int64)
    with_problem = np.unique(np.array([p.row for p in text.problems], dtype=np.int64))
    return _raw_table(name, where, text.header, text.columns, decimal_comma=False, rows=rows,
                      keep=np.flatnonzero(np.isin(rows, with_problem)),
                      problems=text.problems)


# -------------------------------------------------------------------------------------- shared
def _combine_each(columns: list) -> None:
    """Make each column of ``columns`` (a table read in blocks) one Array, in place.

    A column's chunks are let go as soon as they are copied together, so the text is held
    once, not twice (the chunks and their copy).
    """
    for i in range(len(columns)):
        columns[i] = _combine(columns[i])


def combine(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The column as one Array (the chunks of a CSV read copied together).

    Parameters
    ----------
    column : pyarrow.Array or pyarrow.ChunkedArray

    Returns
    -------
    pyarrow.Array
    """
    if isinstance(column, pa.Array):
        return column
    return _combine(column)


def _combine(column: pa.ChunkedArray) -> pa.Array:
    if column.num_chunks == 1:
        return column.chunk(0)
    if column.num_chunks == 0:
        return pa.array([], type=column.type)
    return column.combine_chunks()


def _raw_table(name, where, header, columns, decimal_comma, rows=None, keep=None,
               problems=()) -> RawTable:
    """The table, its blank rows left out (but those at the positions ``keep``); ``rows`` are
    the spreadsheet rows of the columns' entries (default: one after the other from row 2)."""
    n = len(columns[0]) if columns else 0
    if rows is None or not columns:
        rows = np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + n, dtype=np.int64)
    blank = _blank_rows(columns, n)
    if keep is not None and len(keep) and len(blank):
        blank = np.setdiff1d(blank, keep, assume_unique=True)
    if len(blank):
        keep = np.ones(n, dtype=bool)
        keep[blank] = False
        mask = pa.array(keep)
        columns = [c.filter(mask) for c in columns]
        rows = rows[keep]
    return RawTable(name, where, tuple(header), tuple(columns), rows, decimal_comma,
                    tuple(problems))


def _blank_rows(columns: list[pa.Array], n: int) -> np.ndarray:
    """Positions of the rows blank (empty or whitespace) in every column.

    The candidates shrink column by column, so after the first well-filled column only a few
    cells are looked at.
    """
    candidates = np.arange(n, dtype=np.int64)
    for column in columns:
        if not len(candidates):
            break
        cells = column if len(candidates) == n else column.take(pa.array(candidates))
        if cells.null_count == len(cells):
            continue
        if pa.types.is_dictionary(cells.type):  # each distinct text looked at once
            spaces = pc.utf8_is_space(cells.dictionary).to_numpy(zero_copy_only=False)
            codes = pc.fill_null(cells.indices, -1).to_numpy(zero_copy_only=False)
            candidates = candidates[np.append(spaces, True)[codes]]
            continue
        blank = pc.fill_null(pc.utf8_is_space(cells), True).to_numpy(zero_copy_only=False)
        candidates = candidates[blank]
    return candidates


# ---------------------------------------------------------------------- sources of a mapping
@dataclass(frozen=True)
class Source:
    """Where a mapping says a table is: a file of the bundle's folder, a sheet of a workbook.

    Attributes
    ----------
    file : str or None
        A ``.csv``, ``.parquet`` or ``.xlsx`` file of the folder (``None``: the contract's name,
        or the workbook given as the bundle).
    sheet : str or None
        The sheet of an ``.xlsx`` file (``None``: the sheet named after the table).
    entry : str
        How messages name the mapping's entry (``"clinic.toml, [sessions]"``).
    """

    file: str | None = None
    sheet: str | None = None
    entry: str = ""


def read_sources(path: str | Path, sources: dict[str, Source], *,
                 limits: Limits | None = None) -> RawBundle:
    """Read a bundle whose tables are where a mapping says (:class:`Source` per table).

    A table without a source is found as :func:`read_bundle` finds it. Checksums are computed
    before returning.

    Raises
    ------
    MappingError
        If a file or sheet the mapping names is not there (with the nearest name there is).
    BundleError
        As :func:`read_bundle`.
    """
    from ..errors import MappingError

    path = Path(path)
    limits = Limits() if limits is None else limits
    if not path.exists() or not (path.is_dir() or path.suffix.lower() in WORKBOOK_SUFFIXES):
        return read_bundle(path, limits=limits)  # raises its message
    if not path.is_dir():
        for src in sources.values():
            if src.file is not None and src.file.casefold() != path.name.casefold():
                raise MappingError(
                    f"{src.entry}, field 'file': the bundle is the workbook {path.name}, so "
                    f"name its sheet (sheet = ...) rather than the file {src.file!r}.")
        tables, digest = _read_sheets(path, {n: sources.get(n) for n in TABLES}, limits)
        missing = tuple(n for n in TABLES if n not in tables)
        return RawBundle(path.name, tables, missing, {path.name: digest})
    folder = path
    listing = {e.name.casefold(): e for e in sorted(folder.iterdir()) if e.is_file()}
    defaults = _table_files(folder)
    chosen: dict[Path, dict[str, Source | None]] = {}
    for name in TABLES:
        src = sources.get(name)
        if src is None or src.file is None:
            if src is not None and src.sheet is not None:
                raise MappingError(f"{src.entry}, field 'file': expected the workbook of the "
                                   f"sheet {src.sheet!r}; got nothing.")
            if len(defaults[name]) > 1:
                listed = " and ".join(f.name for f in defaults[name])
                raise BundleError(f"{folder.name}: the {name} table is given twice ({listed}); "
                                  "keep one of them, or name one in the mapping.")
            if defaults[name]:
                chosen.setdefault(defaults[name][0], {})[name] = None
            continue
        entry = listing.get(src.file.casefold())
        if entry is None:
            names = [e.name for e in listing.values()]
            near = nearest(src.file, names)
            hint = f" {near[0]!r} is there: did you mean it?" if near else ""
            raise MappingError(
                f"{src.entry}, field 'file': {src.file!r} is not in the folder {folder.name} "
                f"(its files: {', '.join(names) or 'none'}).{hint}")
        suffix = entry.suffix.lower()
        if suffix not in (*TABLE_SUFFIXES, *WORKBOOK_SUFFIXES):
            raise MappingError(f"{src.entry}, field 'file': expected a .csv, .parquet or .xlsx "
                               f"file; got {src.file!r}.")
        if suffix in TABLE_SUFFIXES and src.sheet is not None:
            raise MappingError(f"{src.entry}, field 'sheet': {entry.name} is a {suffix} file, "
                               "which has no sheets; leave the sheet out.")
        chosen.setdefault(entry, {})[name] = src
    if not any("sessions" in wanted for wanted in chosen.values()):
        raise BundleError(_no_sessions_message(folder), _no_sessions())
    tables: dict[str, RawTable] = {}
    digests: dict[str, str] = {}
    for file, wanted in chosen.items():
        if file.suffix.lower() in WORKBOOK_SUFFIXES:
            found, digests[file.name] = _read_sheets(file, wanted, limits, required=False)
            tables.update(found)
            continue
        check_file_size(file.name, _file_size(file), limits)
        data = _read_bytes(file)
        for name in wanted:
            tables[name] = read_table_bytes(data, name=name, where=file.name,
                                            suffix=file.suffix.lower(), limits=limits)
        digests[file.name] = sha256(data)
    missing = tuple(n for n in TABLES if n not in tables)
    return RawBundle(folder.name, tables, missing, digests)


def _read_sheets(file: Path, wanted: dict[str, Source | None], limits: Limits,
                 required: bool = True) -> tuple[dict[str, RawTable], str]:
    """The tables of ``wanted`` from the sheets of one workbook, and the workbook's SHA-256.

    A table without a sheet named in its source is the sheet of its own name (absent: not read,
    unless it is the sessions table of a workbook given as the bundle, ``required``).
    """
    from ..errors import MappingError

    check_file_size(file.name, _file_size(file), limits)
    data = _read_bytes(file)
    check_workbook(data, file.name, limits)
    workbook = open_workbook(data, file.name)
    try:
        by_title = {str(s.title).strip().casefold(): s for s in workbook.worksheets}
        titles = [str(s.title) for s in workbook.worksheets]
        tables = {}
        for name, src in wanted.items():
            if src is None or src.sheet is None:
                sheet = by_title.get(name)
                if sheet is None and required and name == "sessions":
                    _workbook_sheets(workbook, file.name)  # raises the no-sessions message
                if sheet is None:
                    continue
            else:
                sheet = by_title.get(src.sheet.strip().casefold())
                if sheet is None:
                    near = nearest(src.sheet, titles)
                    hint = f" {near[0]!r} is there: did you mean it?" if near else ""
                    raise MappingError(
                        f"{src.entry}, field 'sheet': {file.name} has no sheet {src.sheet!r} "
                        f"(its sheets: {', '.join(map(repr, titles))}).{hint}")
            tables[name] = _read_sheet(workbook, sheet, name, f"{file.name}, sheet {sheet.title}",
                                       limits)
    finally:
        workbook.close()
    return tables, sha256(data)
