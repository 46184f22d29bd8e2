"""Loading a bundle: the data contract applied, row by row, without a loop over rows.

:func:`load_bundle` reads a bundle (:mod:`outcomes.readers`), refuses identifying data
(:mod:`outcomes.privacy`), then checks every column of every table against the contract
(:mod:`outcomes.bundle.schema`) and returns a :class:`~outcomes.bundle.log.SessionLog`:

* a row with a bad **required** field is quarantined: it goes, with every reason found, to
  ``rejects[table]`` and is left out of the accepted table;
* a bad **optional** value is blanked, with one row in ``warnings``; the row stays;
* rows that depend on a quarantined row (the adverse events of a quarantined session) are
  quarantined too, saying why.

Each check is a mask over a whole column. Columns whose values repeat (dates, vocabularies,
booleans, lists) are judged once per distinct value and the verdict spread back to the rows.
Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BundleError, ConfigError, DataQualityWarning
from .log import COUNT_COLUMNS, SessionLog, empty_counts
from .privacy import check_bundle
from .readers import RawBundle, RawTable, combine, read_bundle
from .schema import (
    ADVERSE_EVENTS,
    ASSESSMENTS,
    SESSIONS,
    TABLES,
    Col,
    Column,
    Scale,
    Table,
    aliases,
    load_scales,
    vocabulary,
    vocabulary_dtype,
)

__all__ = ["load_bundle", "WARNING_COLUMNS", "TRUE_WORDS", "FALSE_WORDS"]

#: Columns of :attr:`SessionLog.warnings`.
WARNING_COLUMNS = [Col.TABLE, Col.ROW, Col.COLUMN, Col.VALUE, Col.MESSAGE]
#: Accepted spellings of a true / false boolean (case-insensitive).
TRUE_WORDS = ("true", "yes", "y", "1", "t")
FALSE_WORDS = ("false", "no", "n", "0", "f")

_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YMD = re.compile(r"^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_WITH_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d")
_FIRST_YEAR, _LAST_YEAR = 1678, 2261  # the years datetime64[ns] holds whole
_LIST_SEPARATORS = re.compile(r"[;,]")
_NONE_ITEM = "none"
_LIST_JOIN = ";"
_REASON_JOIN = "; "
_SHOWN_CHARS = 40
_NAT = np.datetime64("NaT", "ns")
#: Kinds of column whose values repeat: coded once, each distinct value judged once.
_CODED_KINDS = ("date", "vocabulary", "scale", "bool", "list")
_NUMBER_KINDS = ("number", "hours")
_THREADS = max(1, min(4, os.cpu_count() or 1))
_ROWS_FOR_THREADS = 50_000  # below this, starting threads costs more than it saves


# ================================================================================ public entry
def load_bundle(
    path: str | Path, scales: str | Path | Mapping[str, Scale] | None = None
) -> SessionLog:
    """Load and validate an anonymised session-log bundle.

    Parameters
    ----------
    path : str or Path
        A folder holding ``sessions.csv`` or ``sessions.parquet`` (plus, optionally,
        ``assessments`` and ``adverse_events`` in either format), or an ``.xlsx`` workbook with
        sheets of those names. CSV files are UTF-8 (a byte-order mark is fine), comma or
        semicolon separated; with semicolons, decimal commas (``2,5``) are numbers.
    scales : str, Path or dict of str to Scale, optional
        Outcome scales to check assessment scores against: a TOML file adding to (or
        overriding) the built-in scales, or a ready mapping. Default: the built-in scales.

    Returns
    -------
    SessionLog
        ``sessions``, ``assessments``, ``adverse_events``: accepted rows, typed (``str`` ids,
        ``datetime64[ns]`` dates, categorical vocabularies, ``float64`` numbers, ``boolean``
        flags, normalised ``;``-joined contraindications), each with its spreadsheet ``row``.
        ``rejects``: per table, quarantined rows as text with ``row`` and ``reason``.
        ``warnings``: one row per blanked value or ignored column (``table``, ``row``,
        ``column``, ``value``, ``message``). ``counts``: rows read, accepted, quarantined and
        warned per table. ``checksums``: SHA-256 of each input file, by file name.

    Raises
    ------
    IdentifyingDataError
        If a column name looks identifying, or identifier values look like e-mail addresses,
        phone, NHS-style or social security numbers or names (checked before anything else).
    BundleError
        If the bundle cannot be read: not a bundle, no sessions table, a table given twice, a
        required column missing or given twice, an unreadable file.
    ConfigError
        If the scales file is malformed.

    Warns
    -----
    DataQualityWarning
        Once, when rows were quarantined or values blanked.

    Notes
    -----
    Nothing is guessed: dates must be ISO ``YYYY-MM-DD``; vocabulary values are matched
    ignoring case and surrounding spaces (Fitzpatrick types also as 1-6). A blank
    ``onset_hours`` is 0. Rows blank in every column carry no data and are skipped (row
    numbers still count them). Columns outside the contract are not loaded; each gets one
    warning on row 1. The input files are only read, never written.

    Examples
    --------
    >>> log = load_bundle("data/sample")  # doctest: +SKIP
    >>> log.counts  # doctest: +SKIP
    """
    scale_map = _resolve_scales(scales)
    bundle = read_bundle(path, defer_checksums=True)
    try:
        with ThreadPoolExecutor(max_workers=1) as hasher:
            return _load(bundle, scale_map, hasher)
    finally:
        bundle.close()


def _load(bundle: RawBundle, scale_map: dict[str, Scale], hasher: Executor) -> SessionLog:
    rows = sum(t.n_rows for t in bundle.tables.values())
    threads = _THREADS if rows >= _ROWS_FOR_THREADS else 1
    with ThreadPoolExecutor(max_workers=threads) as executor:
        pool = executor if threads > 1 else None
        check_bundle(bundle, pool)
        checks = {
            name: _TableCheck(TABLES[name], bundle.tables.get(name), scale_map)
            for name in TABLES
        }
        tasks = {name: check.preparations() for name, check in checks.items()}
        prepared = _run([t for name in TABLES for t in tasks[name]], pool)
        for name, check in checks.items():
            check.keep(prepared[: len(tasks[name])])
            prepared = prepared[len(tasks[name]):]
        sessions, events = checks[SESSIONS.name], checks[ADVERSE_EVENTS.name]
        assessments = checks[ASSESSMENTS.name]
        # hashing work on the prepared columns and the checksums (hashlib and numpy release
        # the GIL) alongside the judging of the values, which is mostly Python
        keys = _run([partial(_session_keys, sessions, events),
                     partial(_duplicate_candidates, assessments)], pool, wait=False)
        bundle.hash_in_background(hasher)
        for check in checks.values():
            check.parse_columns()
        session_keys, candidates = (k.result() for k in keys)
    _check_sessions(sessions, session_keys.shared)
    _check_assessments(assessments, candidates)
    _check_adverse_events(events, sessions, session_keys)
    log = _assemble(checks, bundle.source, bundle.checksums, bundle.missing, scale_map)
    _warn_summary(log, stacklevel=4)
    return log


def _resolve_scales(scales) -> dict[str, Scale]:
    if scales is None:
        return load_scales()
    if isinstance(scales, str | Path):
        return load_scales(scales)
    if isinstance(scales, Mapping) and all(isinstance(s, Scale) for s in scales.values()):
        return dict(scales)
    raise ConfigError(
        "scales must be a path to a scales TOML file or a mapping of names to Scale objects, "
        f"got {type(scales).__name__}."
    )


# ============================================================================== value helpers
def _show(value: str) -> str:
    """Quote a value for a message, cut to a readable length."""
    if len(value) > _SHOWN_CHARS:
        value = value[:_SHOWN_CHARS] + "…"
    return repr(value)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _range_text(low: float, high: float, low_open: bool = False, high_open: bool = False) -> str:
    """Describe an allowed range in words: 'between 0 and 10', 'more than 0', ..."""
    has_low, has_high = math.isfinite(low), math.isfinite(high)
    if has_low and has_high and not (low_open or high_open):
        return f"between {_fmt(low)} and {_fmt(high)}"
    parts = []
    if has_low:
        parts.append(f"more than {_fmt(low)}" if low_open else f"{_fmt(low)} or more")
    if has_high:
        parts.append(f"less than {_fmt(high)}" if high_open else f"{_fmt(high)} or less")
    return " and ".join(parts) or "any number"


def _outside(values: np.ndarray, low, high, low_open=False, high_open=False) -> np.ndarray:
    """True where a (non-NaN) value lies outside the range; ``low``/``high`` may be arrays."""
    with np.errstate(invalid="ignore"):
        below = values <= low if low_open else values < low
        above = values >= high if high_open else values > high
    return ~np.isnan(values) & (below | above)


def _encode(values: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Return codes (int32, -1 for null) and the distinct values they point to."""
    encoded = pc.dictionary_encode(values)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int32, copy=False), encoded.dictionary.to_pylist()


def _encode_known(text: pa.Array, known: tuple[str, ...]) -> tuple[np.ndarray, list[str]] | None:
    """Codes into ``known`` when every value is spelled exactly as one of them, else ``None``.

    The usual case (clean exports), and cheaper than encoding: the codes are then the
    positions in ``known``, which callers can use as they are.
    """
    found = pc.index_in(text, value_set=pa.array(known, pa.string()))
    if found.null_count != text.null_count:  # some value is spelled otherwise
        return None
    codes = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int32, copy=False), list(known)


def _encode_stripped(text: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Codes of the stripped values (-1 for blank) and the distinct stripped values.

    Only the distinct values are stripped, so ``' pen'`` and ``'pen'`` get one code.
    """
    codes, distinct = _encode(text)
    stripped = [v.strip() or None for v in distinct]
    if stripped == distinct:  # nothing to strip, no blank: the codes stand
        return codes, distinct
    recode, values = pd.factorize(np.array(stripped, dtype=object), use_na_sentinel=True)
    return _spread(recode.astype(np.int32), codes, -1), list(values)


_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_FNV_PRIME = 0x100000001B3
_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)


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
    if buffer is not None and int(lengths.max()) > 0:
        data = np.frombuffer(buffer, dtype=np.uint8)
        starts = offsets[:-1].astype(np.int64)
        shortest, longest = int(lengths.min()), int(lengths.max())
        prime = np.uint64(_FNV_PRIME)
        with np.errstate(over="ignore"):
            for position in range(shortest):  # every string has a byte here
                hashes *= prime
                hashes += data[starts + position]
            rows = np.flatnonzero(lengths > shortest)
            for position in range(shortest, longest):
                rows = rows[lengths[rows] > position]
                hashes[rows] = hashes[rows] * prime + data[starts[rows] + position]
    hashes = _mix(hashes)
    if values.null_count:
        hashes[pc.is_null(values).to_numpy(zero_copy_only=False)] = _NULL_HASH
    return hashes


def _strip(text: pa.Array) -> pa.Array:
    """Text without surrounding whitespace; blank cells as null."""
    if pc.all(pc.ascii_is_alnum(text)).as_py() is not False:  # nothing to strip (or all null)
        return text
    stripped = pc.utf8_trim_whitespace(text)
    empty = pc.equal(stripped, "")
    if pc.any(empty).as_py():
        stripped = pc.if_else(empty, pa.scalar(None, pa.string()), stripped)
    return stripped


def _coded(codes: np.ndarray, distinct: list[str]) -> pa.DictionaryArray:
    indices = pa.array(codes, pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(distinct, pa.string()))


def _code_dtype(n_categories: int) -> np.dtype:
    """The integer type pandas uses for the codes of ``n_categories`` categories."""
    return np.dtype(np.int8 if n_categories < 127 else np.int16 if n_categories < 32767
                    else np.int32)


def _spread(per_value: np.ndarray, codes: np.ndarray, fill) -> np.ndarray:
    """Give each row the entry of its distinct value; ``fill`` for nulls (code -1)."""
    extended = np.empty(len(per_value) + 1, dtype=per_value.dtype)
    extended[:-1] = per_value
    extended[-1] = fill
    return extended[codes]


def _messages(values: pa.Array, make: Callable[[str], str]) -> pa.Array:
    """Build one message per value, calling ``make`` once per distinct value."""
    if len(values) == 0:
        return pa.array([], pa.string())
    codes, distinct = _encode(values)
    made = np.array([make(v) for v in distinct] + [None], dtype=object)
    return pa.array(made[codes], pa.string())  # a null value (code -1) gets no message


def _join(*parts) -> pa.Array:
    """Concatenate, element-wise, string arrays and plain strings (at least one array)."""
    return pc.binary_join_element_wise(*parts, "")


def _as_text(numbers: np.ndarray) -> pa.Array:
    """Numbers written in their shortest form (``5``, ``2.5``)."""
    return pc.cast(pa.array(numbers), pa.string())


def _quick_numbers(text: pa.Array, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Parse a column in one cast when every cell is a finite number or null, else ``None``."""
    if decimal_comma:
        text = pc.replace_substring(text, ",", ".")
    try:
        parsed = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        return None
    values = parsed.to_numpy(zero_copy_only=False)
    if not values.flags.writeable:
        values = values.copy()
    infinite = np.isinf(values)  # nulls are NaN here; a NaN from the text is "nan" itself
    if infinite.any() or np.isnan(values).sum() != parsed.null_count:
        return None
    return values, np.zeros(len(values), dtype=bool)


def _numbers(text: pa.Array, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Parse stripped text as float64; return (values with NaN, mask of non-numbers)."""
    if decimal_comma:
        text = pc.replace_substring(text, ",", ".")
    present = pc.is_valid(text).to_numpy(zero_copy_only=False)
    try:  # Arrow's grammar is _NUMBER plus nan/inf, which the finiteness test catches
        values = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    except pa.ArrowInvalid:
        pass
    else:
        not_number = present & ~np.isfinite(values)
        values[not_number] = np.nan
        return values, not_number
    ok = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
    parsed = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    values = parsed.to_numpy(zero_copy_only=False).astype(np.float64)
    not_number = present & ~(ok.to_numpy(zero_copy_only=False) & np.isfinite(values))
    values[not_number] = np.nan
    return values, not_number


# ===================================================================== judging distinct values
def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _date_advice(value: str) -> str:
    """Suggest the ISO form of a non-ISO date, only when that is not a guess."""
    with_time = _WITH_TIME.match(value)
    if with_time and _iso(*map(int, with_time.group(1).split("-"))):
        return f"give the date alone, as {with_time.group(1)}"
    ymd = _YMD.match(value) or _COMPACT.match(value)
    if ymd:
        iso = _iso(int(ymd[1]), int(ymd[2]), int(ymd[3]))
        if iso:
            return f"write it as {iso}"
    dmy = _DMY.match(value)
    if dmy:
        a, b, year = int(dmy[1]), int(dmy[2]), int(dmy[3])
        day_first, month_first = _iso(year, b, a), _iso(year, a, b)
        if day_first and month_first and day_first != month_first:
            return (
                f"write it as {day_first} if the day comes first or {month_first} if the "
                "month comes first"
            )
        if day_first or month_first:
            return f"write it as {day_first or month_first}"
    return "write it as YYYY-MM-DD"


def _judge_date(name: str, value: str) -> tuple[np.datetime64, str | None]:
    match = _ISO_DATE.match(value)
    if not match:
        return _NAT, (
            f"{name}: {_show(value)} is not an ISO 8601 date (YYYY-MM-DD), "
            f"{_date_advice(value)}"
        )
    year = int(match[1])
    if _iso(year, int(match[2]), int(match[3])) is None:
        return _NAT, f"{name}: {_show(value)} is not a real date, check the day and month"
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        return _NAT, (
            f"{name}: {_show(value)} has a year outside {_FIRST_YEAR}-{_LAST_YEAR}, "
            "check the year"
        )
    return np.datetime64(value, "ns"), None


def _expected_values(name: str) -> str:
    allowed = ", ".join(vocabulary(name))
    extra = aliases(name)
    if extra:
        allowed += ", or " + ", ".join(extra)
    return allowed


def _vocabulary_lookup(name: str) -> dict[str, int]:
    values = vocabulary(name)
    lookup = {v.casefold(): i for i, v in enumerate(values)}
    for alias, value in aliases(name).items():
        lookup[alias.casefold()] = values.index(value)
    return lookup


def _judge_list(name: str, value: str, allowed: list[str]) -> tuple[str | None, str | None]:
    items = [i.strip().casefold() for i in _LIST_SEPARATORS.split(value)]
    items = [i for i in items if i]
    if not items:
        return None, None
    unknown = [i for i in items if i not in allowed and i != _NONE_ITEM]
    if unknown:
        return None, (
            f"{name}: {_show(value)} has unknown item(s) {', '.join(map(repr, unknown))} "
            f"(expected items from: {', '.join(allowed)}, or none)"
        )
    if _NONE_ITEM in items:
        if set(items) != {_NONE_ITEM}:
            return None, f"{name}: {_show(value)} says 'none' together with other items"
        return "", None
    chosen = set(items)
    return _LIST_JOIN.join(a for a in allowed if a in chosen), None


# ========================================================================= column preparation
@dataclass(frozen=True)
class _Prepared:
    """The column-wide work on one column: stripped text, codes, parsed numbers."""

    column: Column
    text: pa.Array  # the text as read, in one chunk
    clean: pa.Array  # stripped, blank as null (a dictionary array for coded kinds)
    codes: np.ndarray | None = None  # code of each row's stripped value, -1 for blank
    distinct: list[str] | None = None  # the stripped values the codes point to
    numbers: tuple[np.ndarray, np.ndarray] | None = None  # (values, mask of non-numbers)
    hashes: np.ndarray | None = None  # 64-bit hash of each stripped value (text kinds)


def _prepare(column: Column, text: pa.Array | pa.ChunkedArray, decimal_comma: bool,
             with_hash: bool, known: tuple[str, ...] = ()) -> _Prepared:
    text = combine(text)
    if column.kind in _CODED_KINDS:
        coded = _encode_known(text, known) if known else None
        codes, distinct = coded if coded is not None else _encode_stripped(text)
        return _Prepared(column, text, _coded(codes, distinct), codes, distinct)
    clean = None
    numbers = None
    if column.kind in _NUMBER_KINDS:
        numbers = _quick_numbers(text, decimal_comma)
        if numbers is not None:  # every cell a plain number or empty: nothing to strip
            clean = text
    if clean is None:
        clean = _strip(text)
        if column.kind in _NUMBER_KINDS:
            numbers = _numbers(clean, decimal_comma)
    if column.kind == "id":  # pandas keeps text as large_string: convert here, in a thread
        clean = clean.cast(pa.large_string())
    hashes = None
    if with_hash:
        plain = numbers is not None and clean is text  # parsed in one cast: hash the numbers
        hashes = _mix(numbers[0].view(np.uint64)) if plain else hash_strings(clean)
    return _Prepared(column, text, clean, None, None, numbers, hashes)


def _run(tasks: list[Callable], pool: Executor | None, wait: bool = True) -> list:
    """Run independent tasks, in threads when a pool is given; results in task order.

    With ``wait=False``, return futures (already done when there is no pool).
    """
    if pool is not None and not wait:
        return [pool.submit(task) for task in tasks]
    if pool is None:
        results = [task() for task in tasks]
    else:
        results = list(pool.map(lambda task: task(), tasks))
    if wait:
        return results
    done = []
    for result in results:
        future: Future = Future()
        future.set_result(result)
        done.append(future)
    return done


# ================================================================================ table check
class _TableCheck:
    """Check one table: parse every contract column, collect problems, build the results."""

    def __init__(self, table: Table, raw: RawTable | None, scales: dict[str, Scale]):
        self.table = table
        self.raw = raw
        self.scales = scales
        self.n = raw.n_rows if raw is not None else 0
        self.rows = raw.rows if raw is not None else np.empty(0, dtype=np.int64)
        self.decimal_comma = raw.decimal_comma if raw is not None else False
        self.text: dict[str, pa.Array] = {}  # contract column -> text as read
        self.clean: dict[str, pa.Array] = {}  # stripped, blank -> null
        self.typed: dict[str, object] = {}  # contract column -> typed values (all rows)
        self.codes: dict[str, np.ndarray] = {}  # coded columns: code of the stripped value
        self.distinct: dict[str, list[str]] = {}  # coded columns: the stripped values
        self.hashes: dict[str, np.ndarray] = {}  # some text columns: hash of the stripped value
        self._parsed_numbers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._prepared: list[_Prepared] = []
        self._reason_positions: list[np.ndarray] = []
        self._reason_messages: list[pa.Array] = []
        self._warnings: list[pd.DataFrame] = []
        if raw is not None:
            self._layout()

    # ----------------------------------------------------------------------- columns present
    def _layout(self) -> None:
        raw = self.raw
        claimed: set[int] = set()
        for column in self.table.columns:
            positions = raw.positions(column.name)
            if len(positions) > 1:
                numbers = " and ".join(str(p + 1) for p in positions)
                raise BundleError(
                    f"{raw.where} has {len(positions)} columns named {column.name} (columns "
                    f"{numbers}); keep one of them and export again."
                )
            if positions:
                claimed.add(positions[0])
                self.text[column.name] = raw.columns[positions[0]]
        missing = [c for c in self.table.required_columns if c not in self.text]
        if missing:
            raise BundleError(self._missing_message(missing))
        for position, header in enumerate(raw.header):
            if position not in claimed:
                self._ignored_column(position, header)

    def _missing_message(self, missing: list[str]) -> str:
        found = ", ".join(repr(h) for h in self.raw.header) or "none"
        names = ", ".join(missing)
        noun = "column" if len(missing) == 1 else "columns"
        return (
            f"{self.raw.where} has no {names} {noun}, which the {self.table.name} table "
            f"requires (its columns are: {found}). Add or rename the {noun} (see the data "
            "contract) and export again."
        )

    def _ignored_column(self, position: int, header: str) -> None:
        if header:
            label, what = header, f"column {header!r} is not part of the data contract"
        else:
            label, what = f"(column {position + 1})", f"column {position + 1} has no name"
        self._warnings.append(
            _warning_frame(self.table.name, np.array([1]), label, pa.nulls(1, pa.string()),
                           pa.array([f"{what} and was ignored (its values are not loaded)"]))
        )

    # ------------------------------------------------------------------------ collecting
    def reason(self, positions: np.ndarray, messages: pa.Array) -> None:
        """Quarantine the rows at ``positions``, giving one reason each."""
        if len(positions):
            self._reason_positions.append(np.asarray(positions, dtype=np.int64))
            self._reason_messages.append(messages)

    def warn(self, positions: np.ndarray, column: str, messages: pa.Array) -> None:
        """Record one warning per row at ``positions`` about ``column``."""
        if len(positions):
            values = self.text[column].take(pa.array(positions))
            self._warnings.append(
                _warning_frame(self.table.name, self.rows[positions], column, values, messages)
            )

    def problem(self, column: Column, mask: np.ndarray, make: Callable[[str], str],
                quarantine: bool | None = None) -> None:
        """Record a problem of ``column`` where ``mask`` is true; message from the value."""
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        messages = _messages(self.clean_at(column.name, positions), make)
        if column.required if quarantine is None else quarantine:
            self.reason(positions, messages)
        else:
            self.warn(positions, column.name, _left_blank(messages))

    def quarantined(self) -> np.ndarray:
        """Mask of the rows quarantined so far."""
        mask = np.zeros(self.n, dtype=bool)
        for positions in self._reason_positions:
            mask[positions] = True
        return mask

    # ---------------------------------------------------------------------------- parsing
    def preparations(self) -> list[Callable[[], _Prepared]]:
        """The column-wide work on each contract column present, as independent tasks.

        Each task strips (and, for coded kinds, encodes) one column and parses numbers; they
        touch nothing shared, so they can run in threads (Arrow kernels release the GIL).
        """
        return [
            partial(_prepare, c, self.text[c.name], self.decimal_comma, self._needs_hash(c),
                    self._known(c))
            for c in self.table.columns if c.name in self.text
        ]

    def _known(self, column: Column) -> tuple[str, ...]:
        """The exact spellings of a coded column's values, in the order of its codes."""
        if column.kind == "vocabulary":
            return tuple(vocabulary(column.vocabulary))
        if column.kind == "scale":
            return tuple(self.scales)
        if column.kind == "bool":
            return (*FALSE_WORDS, *TRUE_WORDS)
        return ()

    def _needs_hash(self, column: Column) -> bool:
        """Session ids are matched across tables; assessments are compared whole."""
        return column.name == Col.SESSION_ID or self.table.name == ASSESSMENTS.name

    def keep(self, prepared: list[_Prepared]) -> None:
        """Take the preparations of the columns (from :meth:`preparations`)."""
        self._prepared = prepared
        for prep in prepared:
            name = prep.column.name
            self.text[name] = prep.text
            self.clean[name] = prep.clean
            if prep.codes is not None:
                self.codes[name], self.distinct[name] = prep.codes, prep.distinct
            if prep.numbers is not None:
                self._parsed_numbers[name] = prep.numbers
            if prep.hashes is not None:
                self.hashes[name] = prep.hashes

    def parse_columns(self) -> None:
        """Judge every contract column present, in contract order."""
        for prep in self._prepared:
            column = prep.column
            if column.required:
                self._require(column)
            parse = getattr(self, f"_parse_{column.kind}")
            parse(column)

    def blank(self, name: str) -> np.ndarray:
        """True where column ``name`` is blank (or absent)."""
        if name in self.codes and len(self.codes[name]) == self.n:
            return self.codes[name] < 0
        if name not in self.clean:
            return np.ones(self.n, dtype=bool)
        return pc.is_null(self.clean[name]).to_numpy(zero_copy_only=False)

    def clean_at(self, name: str, positions: np.ndarray) -> pa.Array:
        """Stripped text of column ``name`` at ``positions``."""
        values = self.clean[name].take(pa.array(positions, pa.int64()))
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        return values

    def _require(self, column: Column) -> None:
        positions = np.flatnonzero(self.blank(column.name))
        if len(positions):
            message = f"{column.name} is blank but required"
            self.reason(positions, pa.repeat(pa.scalar(message), len(positions)))

    def _parse_id(self, column: Column) -> None:
        self.typed[column.name] = self.clean[column.name]

    _parse_text = _parse_id

    def _by_value(self, column: Column, judge: Callable[[str], tuple], dtype, fill,
                  spread: bool = True):
        """Judge each distinct value once; spread values and problems to the rows.

        Returns the typed value of each row, or with ``spread=False`` the typed value of each
        distinct value (bad ones as ``fill``) and the rows' codes into them (-1 for missing).
        """
        codes, distinct = self.codes[column.name], self.distinct[column.name]
        verdicts = [judge(v) for v in distinct]
        per_value = np.array([v for v, _ in verdicts], dtype=dtype)
        messages = np.array([m for _, m in verdicts], dtype=object)
        bad_value = np.array([m is not None for m in messages], dtype=bool)
        if bad_value.any():
            per_value[bad_value] = fill
            bad = _spread(bad_value, codes, False)
            positions = np.flatnonzero(bad)
            text = pa.array(messages[codes[positions]], pa.string())
            if column.required:
                self.reason(positions, text)
            else:
                self.warn(positions, column.name, _left_blank(text))
        if not spread:
            return per_value, codes
        identity = isinstance(fill, int) and fill == -1 and np.array_equal(
            per_value, np.arange(len(per_value)))
        if identity:
            return codes.astype(per_value.dtype)  # codes into the vocabulary already
        return _spread(per_value, codes, fill)

    def _parse_date(self, column: Column) -> None:
        self.typed[column.name] = self._by_value(
            column, lambda v: _judge_date(column.name, v), "datetime64[ns]", _NAT
        )

    def _parse_vocabulary(self, column: Column) -> None:
        lookup = _vocabulary_lookup(column.vocabulary)
        expected = _expected_values(column.vocabulary)

        def judge(value: str) -> tuple[int, str | None]:
            code = lookup.get(value.casefold())
            if code is None:
                return -1, (
                    f"{column.name}: {_show(value)} is not a known {column.vocabulary} "
                    f"(expected one of {expected})"
                )
            return code, None

        codes = _code_dtype(len(lookup))
        self.typed[column.name] = self._by_value(column, judge, codes, -1)

    def _parse_scale(self, column: Column) -> None:
        names = list(self.scales)
        lookup = {n.casefold(): i for i, n in enumerate(names)}

        def judge(value: str) -> tuple[int, str | None]:
            code = lookup.get(value.casefold())
            if code is None:
                return -1, (
                    f"{column.name}: {_show(value)} is not a known scale (expected one of "
                    f"{', '.join(names)}, or declare it in a scales file)"
                )
            return code, None

        self.typed[column.name] = self._by_value(column, judge, _code_dtype(len(names)), -1)

    def _parse_bool(self, column: Column) -> None:
        words = {**dict.fromkeys(TRUE_WORDS, 1), **dict.fromkeys(FALSE_WORDS, 0)}

        def judge(value: str) -> tuple[int, str | None]:
            code = words.get(value.casefold())
            if code is None:
                return -1, (
                    f"{column.name}: {_show(value)} is not yes or no (expected true/false, "
                    "yes/no or 1/0)"
                )
            return code, None

        self.typed[column.name] = self._by_value(column, judge, np.int8, -1)

    def _parse_list(self, column: Column) -> None:
        allowed = vocabulary(column.vocabulary)
        values = self._by_value(
            column, lambda v: _judge_list(column.name, v, allowed), object, None, spread=False
        )
        per_value, codes = values
        self.typed[column.name] = pa.array(per_value, pa.string()).take(
            pa.array(codes, pa.int32(), mask=codes < 0))

    def _parse_number(self, column: Column) -> None:
        name = column.name
        values, not_number = self._parsed_numbers[name]
        self.problem(column, not_number, lambda v: f"{name}: {_show(v)} is not a number")
        outside = _outside(values, column.low, column.high, column.low_open, column.high_open)
        allowed = _range_text(column.low, column.high, column.low_open, column.high_open)
        self.problem(column, outside, lambda v: f"{name}: {v} is out of range ({allowed})")
        if not column.required:
            values[outside] = np.nan
        self.typed[name] = values

    def _parse_hours(self, column: Column) -> None:
        """Hours that decide censoring: a present but bad value quarantines the row."""
        name = column.name
        values, not_number = self._parsed_numbers[name]
        self.problem(column, not_number, lambda v: f"{name}: {_show(v)} is not a number of "
                     "hours", quarantine=True)
        negative = ~np.isnan(values) & (values < 0)
        self.problem(column, negative, lambda v: f"{name}: {v} is negative, expected hours "
                     "after the session (0 or more)", quarantine=True)
        values[negative] = np.nan
        self.typed[name] = values

    # ---------------------------------------------------------------------------- results
    def typed_frame(self, keep: np.ndarray) -> pd.DataFrame:
        """The typed table of the rows in ``keep`` (positions), with ``row``."""
        every = len(keep) == self.n
        columns = {c.name: self._typed_column(c, keep, every) for c in self.table.columns}
        columns[Col.ROW] = pd.Series(self.rows if every else self.rows[keep], dtype=np.int64)
        return pd.DataFrame(columns, copy=False)

    def _typed_column(self, column: Column, keep: np.ndarray, every: bool) -> pd.Series:
        values = self.typed.get(column.name)
        if values is None:
            return _all_missing(column, len(keep), self.scales)
        if isinstance(values, pa.Array):
            return _text_series(values if every else values.take(pa.array(keep, pa.int64())))
        if not every:
            values = values[keep]
        kind = column.kind
        if kind in ("vocabulary", "scale"):
            dtype = _category_dtype(column, self.scales)
            return pd.Series(pd.Categorical.from_codes(values, dtype=dtype, validate=False))
        if kind == "bool":
            return pd.Series(pd.arrays.BooleanArray(values == 1, values < 0))
        if kind == "date":
            return pd.Series(values.astype("datetime64[ns]", copy=False), copy=False)
        return pd.Series(values.astype(np.float64, copy=False), copy=False)

    def reasons(self) -> tuple[np.ndarray, pa.Array]:
        """Quarantined positions (sorted) and their reasons, joined in the order found."""
        if not self._reason_positions:
            return np.empty(0, dtype=np.int64), pa.array([], pa.string())
        positions = np.concatenate(self._reason_positions)
        messages = pa.concat_arrays(
            [m.cast(pa.string()) for m in self._reason_messages]
        )
        order = np.argsort(positions, kind="stable")
        positions = positions[order]
        messages = messages.take(pa.array(order))
        starts = np.flatnonzero(np.r_[True, positions[1:] != positions[:-1]])
        offsets = pa.array(np.r_[starts, len(positions)].astype(np.int32))
        joined = pc.binary_join(pa.ListArray.from_arrays(offsets, messages), _REASON_JOIN)
        return positions[starts], joined

    def rejects_frame(self, positions: np.ndarray, reasons: pa.Array) -> pd.DataFrame:
        """Quarantined rows as text: the contract columns the input had, ``row``, ``reason``."""
        take = pa.array(positions, pa.int64())
        names = [c.name for c in self.table.columns if c.name in self.text]
        if self.raw is None:
            names = self.table.names
        columns = {
            name: self.text[name].take(take) if name in self.text
            else pa.nulls(len(positions), pa.string())
            for name in names
        }
        columns[Col.ROW] = pa.array(self.rows[positions], pa.int64())
        columns[Col.REASON] = reasons.cast(pa.string())
        return _frame(columns)

    def warnings_frame(self) -> pd.DataFrame:
        """Warnings of this table, by row and then column (ignored columns first)."""
        if not self._warnings:
            return _empty_warnings()
        out = pd.concat(self._warnings, ignore_index=True)
        order = {name: i for i, name in enumerate(self.table.names)}
        key = pd.DataFrame({Col.ROW: out[Col.ROW], Col.COLUMN: out[Col.COLUMN].map(order)})
        key[Col.COLUMN] = key[Col.COLUMN].fillna(-1)
        index = key.sort_values([Col.ROW, Col.COLUMN], kind="stable").index
        return out.loc[index].reset_index(drop=True)


# ====================================================================== frames and dtypes
def _text_series(values: pa.Array) -> pd.Series:
    series = values.to_pandas()  # pandas 3 gives the str dtype already
    return series if series.dtype == "str" else series.astype("str")


def _left_blank(messages: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(messages, ", left blank", "")


def _category_dtype(column: Column, scales: dict[str, Scale]) -> pd.CategoricalDtype:
    if column.kind == "scale":
        return _scale_dtype(tuple(scales))
    return _vocabulary_dtype(column.vocabulary)


@cache
def _scale_dtype(names: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(names), ordered=False)


@cache
def _vocabulary_dtype(name: str) -> pd.CategoricalDtype:
    return vocabulary_dtype(name)


def _all_missing(column: Column, n: int, scales: dict[str, Scale]) -> pd.Series:
    kind = column.kind
    if kind in ("vocabulary", "scale"):
        codes = np.full(n, -1, dtype=np.int64)
        return pd.Series(pd.Categorical.from_codes(codes, dtype=_category_dtype(column, scales)))
    if kind == "bool":
        return pd.Series(pd.array([pd.NA] * n, dtype="boolean"))
    if kind == "date":
        return pd.Series(np.full(n, _NAT))
    if kind in ("id", "text", "list"):
        return _text_series(pa.nulls(n, pa.string()))
    return pd.Series(np.full(n, np.nan))


def _warning_frame(table: str, rows: np.ndarray, column: str, values: pa.Array,
                   messages: pa.Array) -> pd.DataFrame:
    n = len(rows)
    return _frame({
        Col.TABLE: pa.repeat(pa.scalar(table), n),
        Col.ROW: pa.array(rows, pa.int64()),
        Col.COLUMN: pa.repeat(pa.scalar(column), n),
        Col.VALUE: values.cast(pa.string()),
        Col.MESSAGE: messages.cast(pa.string()),
    })


def _frame(columns: dict[str, pa.Array]) -> pd.DataFrame:
    """A DataFrame of text (``str``) and int64 columns, converted from Arrow in one go."""
    table = pa.table(columns)
    if table.num_rows == 0:
        return _empty_frame(tuple(table.column_names)).copy()
    frame = table.to_pandas()
    for name in frame.columns:
        if frame[name].dtype == object:  # an empty or all-null text column
            frame[name] = frame[name].astype("str")
    return frame


@cache
def _empty_frame(names: tuple[str, ...]) -> pd.DataFrame:
    """An empty frame of ``str`` columns (``row`` as int64); copy it before handing it out."""
    return pd.DataFrame({
        name: pd.Series(dtype=np.int64 if name == Col.ROW else "str") for name in names
    })


def _empty_warnings() -> pd.DataFrame:
    return _warning_frame("", np.empty(0, dtype=np.int64), "", pa.array([], pa.string()),
                          pa.array([], pa.string()))


# ======================================================================= table-level checks
@dataclass(frozen=True)
class _SessionKeys:
    """Session ids matched by hash (candidates only: every use compares the strings).

    Attributes
    ----------
    shared : numpy.ndarray
        Per sessions row, True when another row has a session id of equal hash.
    session_of : numpy.ndarray
        Per adverse-events row, the first sessions row whose id has an equal hash (-1: none,
        or a blank id).
    """

    shared: np.ndarray
    session_of: np.ndarray


def _session_keys(sessions: _TableCheck, events: _TableCheck) -> _SessionKeys:
    """Sort the session ids once, as (hash prefix, row) keys packed in a uint64, and use it twice.

    Sorting plain integers is fast and lets go of the GIL. Equal prefixes are candidates, which
    the callers confirm on the strings themselves.
    """
    n = sessions.n
    shared = np.zeros(n, dtype=bool)
    session_of = np.full(events.n, -1, dtype=np.int64)
    if n == 0:
        return _SessionKeys(shared, session_of)
    row_bits = max(1, n.bit_length())
    row_mask = np.uint64((1 << row_bits) - 1)
    shift = np.uint64(row_bits)
    named = ~sessions.blank(Col.SESSION_ID)
    hashes = sessions.hashes[Col.SESSION_ID][named]
    keys = np.sort(((hashes >> shift) << shift) | np.flatnonzero(named).astype(np.uint64))
    prefixes = keys >> shift
    same_as_next = prefixes[1:] == prefixes[:-1]
    if same_as_next.any():
        repeated = np.zeros(len(keys), dtype=bool)
        repeated[1:] |= same_as_next
        repeated[:-1] |= same_as_next
        shared[(keys[repeated] & row_mask).astype(np.int64)] = True
    if events.n and len(keys):
        wanted = events.hashes[Col.SESSION_ID] >> shift
        at = np.minimum(_search_sorted(prefixes, wanted), len(keys) - 1)
        found = (prefixes[at] == wanted) & ~events.blank(Col.SESSION_ID)
        session_of[found] = (keys[at[found]] & row_mask).astype(np.int64)  # its first row
    return _SessionKeys(shared, session_of)


def _search_sorted(ordered: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``np.searchsorted``, with the needles sorted first (numpy then narrows each search)."""
    order = np.argsort(wanted)
    at = np.empty(len(wanted), dtype=np.int64)
    at[order] = np.searchsorted(ordered, wanted[order])
    return at


def _check_sessions(check: _TableCheck, shared: np.ndarray) -> None:
    """Exact duplicate rows (later copies) and session ids used by different rows."""
    if not shared.any():
        return
    subset = np.flatnonzero(shared)
    content = _content_key(check, subset)
    _exact_duplicates(check, subset, content)
    _conflicting_ids(check, subset, content)


def _duplicate_candidates(check: _TableCheck) -> np.ndarray:
    """Positions of the rows whose whole-row hash is shared (candidate exact duplicates)."""
    if check.n == 0:
        return np.zeros(0, dtype=np.int64)
    hashes = _row_hashes(check)
    ordered = np.sort(hashes)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(repeated):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.isin(hashes, repeated))


def _check_assessments(check: _TableCheck, candidates: np.ndarray) -> None:
    """Scores within their scale's range, and exact duplicate rows (among ``candidates``)."""
    if check.n == 0:
        return
    scales = list(check.scales.values())
    codes = check.typed[Col.SCALE]
    score = check.typed[Col.SCORE]
    known = codes >= 0
    low = np.array([s.low for s in scales] + [-np.inf])[codes]
    high = np.array([s.high for s in scales] + [np.inf])[codes]
    outside = known & _outside(score, low, high)
    if outside.any():
        positions = np.flatnonzero(outside)
        ranges = np.array(
            [f" is outside the range of {s.name} ({_range_text(s.low, s.high)})" for s in scales],
            dtype=object,
        )
        text = check.clean[Col.SCORE].take(pa.array(positions))
        suffix = pa.array(ranges[codes[positions]], pa.string())
        check.reason(positions, _join(f"{Col.SCORE}: ", text, suffix))
    if len(candidates):
        _exact_duplicates(check, candidates, _content_key(check, candidates))


def _row_hashes(check: _TableCheck) -> np.ndarray:
    """A hash of each row's stripped values (equal rows, equal hashes)."""
    row = np.zeros(check.n, dtype=np.uint64)
    prime = np.uint64(_FNV_PRIME)
    with np.errstate(over="ignore"):
        for name in check.clean:
            column = check.hashes.get(name)
            if column is None:  # a coded column: its codes are as good as a hash
                column = check.codes[name].astype(np.uint64) * _MIX_1
            row *= prime
            row += column
    return _mix(row)


def _check_adverse_events(check: _TableCheck, sessions: _TableCheck,
                          keys: _SessionKeys) -> None:
    """Onset, resolution and last contact consistent; the session known and accepted."""
    if check.n == 0:
        return
    onset = check.typed.get(Col.ONSET_HOURS)
    onset = np.zeros(check.n) if onset is None else np.where(np.isnan(onset), 0.0, onset)
    check.typed[Col.ONSET_HOURS] = onset
    hours = {c: check.typed.get(c) for c in (Col.RESOLVED_HOURS, Col.LAST_CONTACT_HOURS)}
    resolved = _or_nan(hours[Col.RESOLVED_HOURS], check.n)
    last = _or_nan(hours[Col.LAST_CONTACT_HOURS], check.n)
    given = {c: ~check.blank(c) for c in hours}
    _hours_before_onset(check, Col.RESOLVED_HOURS, resolved, onset)
    unresolved = ~given[Col.RESOLVED_HOURS] & ~given[Col.LAST_CONTACT_HOURS]
    positions = np.flatnonzero(unresolved)
    message = (
        f"the event is unresolved ({Col.RESOLVED_HOURS} blank) and {Col.LAST_CONTACT_HOURS} "
        "is blank, give the hours after the session of the last contact (or of resolution)"
    )
    check.reason(positions, pa.repeat(pa.scalar(message), len(positions)))
    _hours_before_onset(check, Col.LAST_CONTACT_HOURS, last, onset)
    _link_sessions(check, sessions, keys)


def _or_nan(values, n: int) -> np.ndarray:
    return np.full(n, np.nan) if values is None else values


def _hours_before_onset(check: _TableCheck, column: str, hours: np.ndarray,
                        onset: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):
        before = hours < onset
    positions = np.flatnonzero(before)
    if not len(positions):
        return
    hours_text = check.clean_at(column, positions)
    onset_text = _as_text(onset[positions])
    check.reason(positions, _join(f"{column} (", hours_text, f") is before {Col.ONSET_HOURS} (",
                                  onset_text, ")"))


def _link_sessions(check: _TableCheck, sessions: _TableCheck, keys: _SessionKeys) -> None:
    """Quarantine events naming no session, or a quarantined one (naming its rows)."""
    session_of = _verified(check, sessions, keys.session_of.copy())
    shared = keys.shared
    unknown = ~check.blank(Col.SESSION_ID) & (session_of < 0)
    check.problem(
        ADVERSE_EVENTS.column(Col.SESSION_ID), unknown,
        lambda v: f"{Col.SESSION_ID} {_show(v)} names no session of the {SESSIONS.name} table",
    )
    quarantined = sessions.quarantined()
    orphaned = (session_of >= 0) & _spread(quarantined, session_of, False)
    if not orphaned.any():
        return
    positions = np.flatnonzero(orphaned)
    # the rows of each session named: its first row, and any other row sharing its id
    first_rows = np.unique(session_of[positions])
    hashes = sessions.hashes[Col.SESSION_ID]
    others = np.flatnonzero(shared)
    others = others[np.isin(hashes[others], hashes[first_rows[shared[first_rows]]])]
    where = np.union1d(first_rows, others)
    rows_of: dict[str, list[str]] = defaultdict(list)
    ids = sessions.clean_at(Col.SESSION_ID, where).to_pylist()
    for session_id, row in zip(ids, sessions.rows[where].tolist(), strict=True):
        rows_of[session_id].append(str(row))

    def message(session_id: str) -> str:
        rows = rows_of[session_id]
        noun = "rows" if len(rows) > 1 else "row"
        return (f"its session {_show(session_id)} ({SESSIONS.name} {noun} {', '.join(rows)}) "
                "was quarantined")

    check.reason(positions, _messages(check.clean_at(Col.SESSION_ID, positions), message))


def _verified(events: _TableCheck, sessions: _TableCheck, session_of: np.ndarray) -> np.ndarray:
    """Keep the event -> session matches whose ids are really equal; look the others up."""
    matched = np.flatnonzero(session_of >= 0)
    if not len(matched):
        return session_of
    same = pc.equal(events.clean_at(Col.SESSION_ID, matched),
                    sessions.clean_at(Col.SESSION_ID, session_of[matched]))
    wrong = matched[~pc.fill_null(same, False).to_numpy(zero_copy_only=False)]
    if len(wrong):  # a hash collision: find these few exactly
        found = pc.index_in(events.clean_at(Col.SESSION_ID, wrong),
                            value_set=sessions.clean[Col.SESSION_ID])
        session_of[wrong] = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    return session_of


def _content_key(check: _TableCheck, subset: np.ndarray) -> np.ndarray:
    """An int64 per row of ``subset``, equal exactly when the rows' stripped values are."""
    key = np.zeros(len(subset), dtype=np.int64)
    bound = 1
    for name, clean in check.clean.items():
        if name in check.codes:
            codes = check.codes[name][subset]
        else:
            codes, _ = _encode(clean.take(pa.array(subset)))
        width = int(codes.max(initial=0)) + 2
        if bound * width >= 2**62:  # renumber densely before the key could overflow
            key = pd.factorize(key)[0].astype(np.int64)
            bound = int(key.max(initial=0)) + 1
        key = key * width + codes + 1
        bound *= width
    return key


def _exact_duplicates(check: _TableCheck, subset: np.ndarray, content: np.ndarray) -> None:
    """Quarantine later copies of a row: 'exact duplicate of row N'."""
    groups, distinct = pd.factorize(content)
    if len(distinct) == len(content):
        return
    first = np.empty(len(distinct), dtype=np.int64)
    first[groups[::-1]] = np.arange(len(groups))[::-1]  # the last write is the first row
    first_of_row = first[groups]
    later = first_of_row != np.arange(len(subset))
    if not later.any():
        return
    positions = subset[later]
    original = check.rows[subset[first_of_row[later]]]
    check.reason(positions, _join("exact duplicate of row ", _as_text(original)))


def _conflicting_ids(check: _TableCheck, subset: np.ndarray, content: np.ndarray) -> None:
    """Quarantine every row of a session id used by rows with different values.

    Only rows sharing a session id get here (normally none); naming the other rows of each is
    done with plain lists over that subset.
    """
    members: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    ids = check.clean_at(Col.SESSION_ID, subset).to_pylist()
    for session_id, key, row, position in zip(
            ids, content.tolist(), check.rows[subset].tolist(), subset.tolist(), strict=True):
        members[session_id].append((key, row, position))
    positions, messages = [], []
    for session_id, group in members.items():
        if len({key for key, _, _ in group}) < 2:
            continue  # one content: exact copies only
        for key, _, position in group:
            others = [str(r) for k, r, _ in group if k != key]
            noun = "rows" if len(others) > 1 else "row"
            positions.append(position)
            messages.append(
                f"{Col.SESSION_ID} {_show(session_id)} is also used by {noun} "
                f"{', '.join(others)} with different values"
            )
    check.reason(np.array(positions, dtype=np.int64), pa.array(messages, pa.string()))


# ================================================================================ assembling
def _assemble(checks: dict[str, _TableCheck], source: str, checksums: dict[str, str],
              missing: tuple[str, ...], scales: dict[str, Scale]) -> SessionLog:
    accepted, rejects, warning_frames = {}, {}, []
    counts = empty_counts()
    for name, check in checks.items():
        positions, reasons = check.reasons()
        keep = np.setdiff1d(np.arange(check.n), positions, assume_unique=True)
        accepted[name] = check.typed_frame(keep)
        rejects[name] = check.rejects_frame(positions, reasons)
        table_warnings = check.warnings_frame()
        warning_frames.append(table_warnings)
        data_rows = table_warnings.loc[table_warnings[Col.ROW] > 1, Col.ROW]
        counts.loc[name, COUNT_COLUMNS] = [check.n, len(keep), len(positions),
                                           data_rows.nunique()]
    return SessionLog(
        sessions=accepted[SESSIONS.name],
        assessments=accepted[ASSESSMENTS.name],
        adverse_events=accepted[ADVERSE_EVENTS.name],
        rejects=rejects,
        warnings=_sorted_warnings(warning_frames),
        counts=counts.astype(np.int64),
        checksums=dict(checksums),
        source=source,
        missing_tables=tuple(missing),
        present_columns={
            name: tuple(c.name for c in TABLES[name].columns if c.name in check.text)
            for name, check in checks.items()
        },
        scales=scales,
    )


def _sorted_warnings(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_warnings()
    return pd.concat(frames, ignore_index=True)


def _warn_summary(log: SessionLog, stacklevel: int) -> None:
    quarantined = log.n_quarantined
    blanked = int((log.warnings[Col.ROW] > 1).sum())
    if quarantined or blanked:
        warnings.warn(
            f"{log.source}: {quarantined} row(s) quarantined and {blanked} value(s) left blank "
            "while loading; see the rejects and warnings of the result (or run "
            "'outcomes validate').",
            DataQualityWarning,
            stacklevel=stacklevel,
        )
