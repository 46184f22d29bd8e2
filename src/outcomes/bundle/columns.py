"""The checks of one table: its columns found, each column's values judged, problems collected.

A :class:`TableCheck` takes one raw text table (:mod:`outcomes.bundle.readers`) and the contract
of that table (:mod:`outcomes.bundle.schema`):

* it finds the contract columns in the header (refusing a required column missing or given
  twice, warning about columns outside the contract);
* it prepares each column in one task of its own (stripped, encoded, numbers parsed, hashed:
  :meth:`TableCheck.preparations`), so that the tasks can run in threads;
* it judges each column by its kind (:meth:`TableCheck.parse_columns`), recording in its
  :class:`Findings` a reason to quarantine the row for a bad required value, and a warning for a
  bad optional value (which is blanked). A workbook cell that holds no value a spreadsheet would
  show (a formula never computed, a cell covered by merged cells: ``RawTable.problems``) is such
  a bad value, never a blank.

:func:`check_scores` and :func:`check_event_hours` compare columns of one row. Checks across rows
and tables are in :mod:`outcomes.bundle.links`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BundleError
from .failures import failure_cases
from .hashing import hash_numbers, hash_strings
from .privacy import personal_kinds, withhold_messages, withhold_values
from .readers import CellProblem, RawTable, combine
from .schema import ASSESSMENTS, CODED_KINDS, Col, Column, ColumnKind, Scale, Table, vocabulary
from .suggest import nearest
from .values import (
    FALSE_WORDS,
    NAT,
    TRUE_WORDS,
    as_text,
    code_dtype,
    coded,
    encode_known,
    encode_stripped,
    expected_values,
    join,
    judge_date,
    judge_list,
    judge_word,
    messages,
    not_a_number,
    numbers,
    outside,
    quick_numbers,
    quote,
    range_text,
    spread,
    strip,
    vocabulary_lookup,
)

__all__ = [
    "TableCheck", "Findings", "Prepared", "check_scores", "check_event_hours", "frame",
    "empty_warnings", "WARNING_COLUMNS",
]

#: Columns of :attr:`SessionLog.warnings`.
WARNING_COLUMNS = [Col.TABLE, Col.ROW, Col.COLUMN, Col.VALUE, Col.MESSAGE]
_CODED_KINDS = CODED_KINDS
_NUMBER_KINDS = (ColumnKind.NUMBER, ColumnKind.HOURS)
_REASON_JOIN = "; "


# ========================================================================= column preparation
@dataclass(frozen=True)
class Prepared:
    """The column-wide work on one column: stripped text, codes, parsed numbers."""

    column: Column
    text: pa.Array  # the text as read, in one chunk (a dictionary array for coded kinds)
    clean: pa.Array  # stripped, blank as null (a dictionary array for coded kinds)
    codes: np.ndarray | None = None  # code of each row's stripped value, -1 for blank
    distinct: list[str] | None = None  # the stripped values the codes point to
    numbers: tuple[np.ndarray, np.ndarray] | None = None  # (values, mask of non-numbers)
    hashes: np.ndarray | None = None  # 64-bit hash of each stripped value (text kinds)


def _prepare_held(column: Column, held: list, *args) -> Prepared:
    """:func:`_prepare` of the text in ``held``, taken out of it, so that the raw text is
    freed as soon as its preparation no longer needs it."""
    return _prepare(column, held.pop(), *args)


def _prepare(column: Column, text: pa.Array | pa.ChunkedArray, decimal_comma: bool,
             with_hash: bool, known: tuple[str, ...] = ()) -> Prepared:
    text = combine(text)
    if column.kind in _CODED_KINDS:  # the text is kept as codes too (4 bytes a row)
        found = encode_known(text, known) if known else None
        if found is not None:  # every value one of the known words: the text is the codes'
            clean = coded(*found)
            return Prepared(column, clean, clean, *found)
        codes, distinct, as_read = encode_stripped(text)
        return Prepared(column, as_read, coded(codes, distinct), codes, distinct)
    clean = None
    parsed = None
    if column.kind in _NUMBER_KINDS:
        parsed = quick_numbers(text, decimal_comma)
        if parsed is not None:  # every cell a plain number or empty: nothing to strip
            clean = text
    if clean is None:
        clean = strip(text)
        if column.kind in _NUMBER_KINDS:
            parsed = numbers(clean, decimal_comma)
    if column.kind == "id":  # pandas keeps text as large_string: convert here, in a thread
        unchanged = clean is text
        clean = clean.cast(pa.large_string())
        if unchanged:  # nothing was stripped: the text as read is the clean text
            text = clean
    hashes = None
    if with_hash:
        plain = parsed is not None and clean is text  # parsed in one cast: hash the numbers
        hashes = hash_numbers(parsed[0]) if plain else hash_strings(clean)
    return Prepared(column, text, clean, None, None, parsed, hashes)


# =================================================================================== findings
class Findings:
    """The problems found in one table: reasons to quarantine rows, and warnings.

    Parameters
    ----------
    table : str
        The table's name (the ``table`` column of the warnings).
    n : int
        Number of rows of the table.
    """

    def __init__(self, table: str, n: int):
        self.table = table
        self.n = n
        self._reason_positions: list[np.ndarray] = []
        self._reason_messages: list[pa.Array] = []
        self._warnings: list[pd.DataFrame] = []

    def reason(self, positions: np.ndarray, messages: pa.Array) -> None:
        """Quarantine the rows at ``positions``, giving one reason each."""
        if len(positions):
            self._reason_positions.append(np.asarray(positions, dtype=np.int64))
            self._reason_messages.append(messages)

    def warn(self, rows: np.ndarray, column: str, values: pa.Array, messages: pa.Array) -> None:
        """Record one warning per spreadsheet row of ``rows`` about ``column``."""
        if len(rows):
            self._warnings.append(_warning_frame(self.table, rows, column, values, messages))

    def quarantined(self) -> np.ndarray:
        """Mask of the rows quarantined so far."""
        mask = np.zeros(self.n, dtype=bool)
        for positions in self._reason_positions:
            mask[positions] = True
        return mask

    def reasons(self) -> tuple[np.ndarray, pa.Array]:
        """Quarantined positions (sorted) and their reasons, joined in the order found."""
        if not self._reason_positions:
            return np.empty(0, dtype=np.int64), pa.array([], pa.string())
        positions = np.concatenate(self._reason_positions)
        found = pa.concat_arrays([m.cast(pa.string()) for m in self._reason_messages])
        order = np.argsort(positions, kind="stable")
        positions = positions[order]
        found = found.take(pa.array(order))
        starts = np.flatnonzero(np.r_[True, positions[1:] != positions[:-1]])
        offsets = pa.array(np.r_[starts, len(positions)].astype(np.int32))
        joined = pc.binary_join(pa.ListArray.from_arrays(offsets, found), _REASON_JOIN)
        return positions[starts], joined

    def warnings_frame(self, columns: list[str]) -> pd.DataFrame:
        """The warnings, by row and then in the order of ``columns`` (ignored columns first)."""
        if not self._warnings:
            return empty_warnings()
        out = pd.concat(self._warnings, ignore_index=True)
        order = {name: i for i, name in enumerate(columns)}
        key = pd.DataFrame({Col.ROW: out[Col.ROW], Col.COLUMN: out[Col.COLUMN].map(order)})
        key[Col.COLUMN] = key[Col.COLUMN].fillna(-1)
        index = key.sort_values([Col.ROW, Col.COLUMN], kind="stable").index
        return out.loc[index].reset_index(drop=True)


# ================================================================================ table check
class TableCheck:
    """Check the columns of one table against its contract; problems go to :attr:`findings`.

    Parameters
    ----------
    table : Table
        The contract of the table.
    raw : RawTable or None
        The table as read (``None`` when the bundle does not have it: no rows).
    scales : dict of str to Scale
        The scales assessment scores are checked against.

    Raises
    ------
    BundleError
        If a contract column is given twice, or a required one is missing (with the findings
        in its ``failure_cases``).
    """

    def __init__(self, table: Table, raw: RawTable | None, scales: dict[str, Scale]):
        self.table = table
        self.raw = raw
        self.scales = scales
        self.n = raw.n_rows if raw is not None else 0
        self.rows = raw.rows if raw is not None else np.empty(0, dtype=np.int64)
        self.decimal_comma = raw.decimal_comma if raw is not None else False
        self.findings = Findings(table.name, self.n)
        self.text: dict[str, pa.Array] = {}  # contract column -> text as read
        self.clean: dict[str, pa.Array] = {}  # stripped, blank -> null
        self.typed: dict[str, object] = {}  # contract column -> typed values (all rows)
        self.codes: dict[str, np.ndarray] = {}  # coded columns: code of the stripped value
        self.distinct: dict[str, list[str]] = {}  # coded columns: the stripped values
        self.hashes: dict[str, np.ndarray] = {}  # some text columns: hash of the stripped value
        self.numbers: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # (values, not numbers)
        self._prepared: list[Prepared] = []
        self._cells: dict[str, list[CellProblem]] = {}  # contract column -> its cell problems
        if raw is not None:
            self._layout()
            self.raw = raw.without_columns()  # the text is in :attr:`text` now

    # ----------------------------------------------------------------------- columns present
    def _layout(self) -> None:
        raw = self.raw
        claimed: set[int] = set()
        for column in self.table.columns:
            positions = raw.positions(column.name)
            if len(positions) > 1:
                self._given_twice(column.name, positions)
            if positions:
                claimed.add(positions[0])
                self.text[column.name] = raw.columns[positions[0]]
                self._cells[column.name] = [p for p in raw.problems if p.column == positions[0]]
        missing = [c for c in self.table.required_columns if c not in self.text]
        if missing:
            reason = f"a required column of the {self.table.name} table, not in {raw.where}"
            raise BundleError(self._missing_message(missing), failure_cases(
                (self.table.name, name, None, None, reason) for name in missing))
        for position, header in enumerate(raw.header):
            if position not in claimed:
                self._ignored_column(position, header)

    def _given_twice(self, name: str, positions: list[int]) -> None:
        raw = self.raw
        numbers = " and ".join(str(p + 1) for p in positions)
        found = failure_cases(
            (self.table.name, raw.header[p], 1, None,
             f"column {p + 1} is one of {len(positions)} columns named {name}")
            for p in positions
        )
        raise BundleError(
            f"{raw.where} has {len(positions)} columns named {name} (columns {numbers}); keep "
            "one of them and export again.", found)

    def _missing_message(self, missing: list[str]) -> str:
        header = withhold_values(pa.array(self.raw.header, pa.string()), None).to_pylist()
        found = ", ".join(repr(h) for h in header) or "none"
        names = ", ".join(missing)
        noun = "column" if len(missing) == 1 else "columns"
        shown = [h for h, w in zip(self.raw.header, header, strict=True) if h == w]
        near = [f"{h!r} for {name}" for name in missing for h in nearest(name, shown)]
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        return (
            f"{self.raw.where} has no {names} {noun}, which the {self.table.name} table "
            f"requires (its columns are: {found}).{hint} Add or rename the {noun} (see the "
            "data contract, or read the export through a mapping: outcomes mapping) and "
            "export again."
        )

    def _ignored_column(self, position: int, header: str) -> None:
        kind = personal_kinds(pa.array([header], pa.string()), None)[0] if header else None
        if kind is not None:  # a data row read as the header, say
            label = f"(column {position + 1})"
            what = (f"column {position + 1}, whose name could be {kind} (not repeated here), "
                    "is not part of the data contract")
        elif header:
            absent = [c for c in self.table.names if c not in self.text]
            near = nearest(header, absent)
            hint = f" (did you mean {near[0]}?)" if near else ""
            label, what = header, f"column {header!r} is not part of the data contract{hint}"
        else:
            label, what = f"(column {position + 1})", f"column {position + 1} has no name"
        self.findings.warn(np.array([1]), label, pa.nulls(1, pa.string()),
                           pa.array([f"{what} and was ignored (its values are not loaded)"]))

    # ------------------------------------------------------------------------- preparing
    def preparations(self) -> list[Callable[[], Prepared]]:
        """The column-wide work on each contract column present, as independent tasks.

        Each task strips (and, for coded kinds, encodes) one column and parses numbers; they
        touch nothing shared, so they can run in threads (Arrow kernels release the GIL).
        """
        tasks = []
        for column in self.table.columns:
            if column.name in self.text:  # the task holds the raw text, and lets go of it
                held, self.text[column.name] = [self.text[column.name]], None
                tasks.append(partial(_prepare_held, column, held, self.decimal_comma,
                                     self._needs_hash(column), self._known(column)))
        return tasks

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

    def keep(self, prepared: list[Prepared]) -> None:
        """Take the preparations of the columns (from :meth:`preparations`)."""
        self._prepared = prepared
        for prep in prepared:
            name = prep.column.name
            self.text[name] = prep.text
            self.clean[name] = prep.clean
            if prep.codes is not None:
                self.codes[name], self.distinct[name] = prep.codes, prep.distinct
            if prep.numbers is not None:
                self.numbers[name] = prep.numbers
            if prep.hashes is not None:
                self.hashes[name] = prep.hashes

    # ---------------------------------------------------------------------------- judging
    def parse_columns(self) -> None:
        """Judge every contract column present, in contract order."""
        for prep in self._prepared:
            column = prep.column
            at, cells = self._cell_problems(column.name)
            if column.required:
                blank = self.blank(column.name)
                if len(at):
                    blank = blank.copy()
                    blank[at] = False  # said below, in other words
                positions = np.flatnonzero(blank)
                message = f"{column.name} is blank but required"
                self.findings.reason(positions, pa.repeat(pa.scalar(message), len(positions)))
            if len(at):
                self._report_cells(column, at, cells)
            _PARSERS[column.kind](self, column)

    def _cell_problems(self, name: str) -> tuple[np.ndarray, list[CellProblem]]:
        """Positions of the rows whose cell of column ``name`` holds no value, and why."""
        problems = self._cells.get(name, [])
        if not problems or not self.n:
            return np.empty(0, dtype=np.int64), []
        rows = np.array([p.row for p in problems], dtype=np.int64)
        at = np.searchsorted(self.rows, rows).clip(max=self.n - 1)
        found = self.rows[at] == rows  # a row left out (blank) has no position
        return at[found], [p for p, f in zip(problems, found, strict=True) if f]

    def _report_cells(self, column: Column, at: np.ndarray, cells: list[CellProblem]) -> None:
        """Quarantine the rows (required columns, and hours, which decide censoring), or warn
        that the value is left blank.

        A message has no ``; `` inside: the reasons of a row are joined with it.
        """
        values = pa.array([c.value for c in cells], pa.string())
        found = withhold_messages(values, column, pa.array(
            [f"{column.name}: {c.what}, {c.advice}" for c in cells], pa.string()))
        if column.required or column.kind == "hours":
            self.findings.reason(at, found)
        else:
            self.findings.warn(self.rows[at], column.name, withhold_values(values, column),
                               join(found, ", left blank"))

    def blank(self, name: str) -> np.ndarray:
        """True where column ``name`` is blank (or absent)."""
        if name in self.codes and len(self.codes[name]) == self.n:
            return self.codes[name] < 0
        if name not in self.clean:
            return np.ones(self.n, dtype=bool)
        clean = self.clean[name]
        if clean.null_count == 0:  # the usual case: no bitmap to convert
            return np.zeros(self.n, dtype=bool)
        return pc.is_null(clean).to_numpy(zero_copy_only=False)

    def clean_at(self, name: str, positions: np.ndarray) -> pa.Array:
        """Stripped text of column ``name`` at ``positions``."""
        values = self.clean[name].take(pa.array(positions, pa.int64()))
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        return values

    def text_at(self, name: str, positions: np.ndarray) -> pa.Array:
        """Text of column ``name`` as read, at ``positions`` (``string``)."""
        values = self.text[name].take(pa.array(positions, pa.int64()))
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        return values.cast(pa.string())

    def warn(self, positions: np.ndarray, column: str, messages: pa.Array) -> None:
        """Warn about ``column`` at ``positions``: its value is left blank (and not repeated
        when it could be a personal detail)."""
        if len(positions):
            values = withhold_values(self.text_at(column, positions), self.table.column(column))
            self.findings.warn(self.rows[positions], column, values,
                               pc.binary_join_element_wise(messages, ", left blank", ""))

    def problem(self, column: Column, mask: np.ndarray, make: Callable[[str], str],
                quarantine: bool | None = None) -> None:
        """Record a problem of ``column`` where ``mask`` is true; message from the value.

        The row is quarantined when the column is required (or ``quarantine`` says so);
        otherwise the value is left blank, with a warning.
        """
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        values = self.clean_at(column.name, positions)
        found = withhold_messages(values, column, messages(values, make))
        if column.required if quarantine is None else quarantine:
            self.findings.reason(positions, found)
        else:
            self.warn(positions, column.name, found)

    def by_value(self, column: Column, judge: Callable[[str], tuple], dtype, fill,
                 spread_back: bool = True):
        """Judge each distinct value once; spread values and problems to the rows.

        Returns the typed value of each row, or with ``spread_back=False`` the typed value of
        each distinct value (bad ones as ``fill``) and the rows' codes into them (-1 for
        missing).
        """
        codes, distinct = self.codes[column.name], self.distinct[column.name]
        verdicts = [judge(v) for v in distinct]
        per_value = np.array([v for v, _ in verdicts], dtype=dtype)
        found = np.array([m for _, m in verdicts], dtype=object)
        bad_value = np.array([m is not None for m in found], dtype=bool)
        if bad_value.any():
            per_value[bad_value] = fill
            bad = np.flatnonzero(bad_value)
            found[bad] = withhold_messages(pa.array([distinct[i] for i in bad], pa.string()),
                                           column, pa.array(found[bad], pa.string())).to_pylist()
            positions = np.flatnonzero(spread(bad_value, codes, False))
            text = pa.array(found[codes[positions]], pa.string())
            if column.required:
                self.findings.reason(positions, text)
            else:
                self.warn(positions, column.name, text)
        if not spread_back:
            return per_value, codes
        identity = isinstance(fill, int) and fill == -1 and np.array_equal(
            per_value, np.arange(len(per_value)))
        if identity:
            return codes.astype(per_value.dtype)  # codes into the vocabulary already
        return spread(per_value, codes, fill)


# ============================================================================ parsers by kind
def _parse_text(check: TableCheck, column: Column) -> None:
    check.typed[column.name] = check.clean[column.name]


def _parse_date(check: TableCheck, column: Column) -> None:
    check.typed[column.name] = check.by_value(
        column, lambda v: judge_date(column.name, v), "datetime64[ns]", NAT)


def _parse_vocabulary(check: TableCheck, column: Column) -> None:
    lookup = vocabulary_lookup(column.vocabulary)
    expected = expected_values(column.vocabulary)
    words = vocabulary(column.vocabulary)
    judge = judge_word(lookup, lambda v: (
        f"{column.name}: {quote(v)} is not a known {column.vocabulary}"
        f"{_hint(column, v, words)} (expected one of {expected})"))
    check.typed[column.name] = check.by_value(column, judge, code_dtype(len(lookup)), -1)


def _parse_scale(check: TableCheck, column: Column) -> None:
    names = list(check.scales)
    judge = judge_word({n.casefold(): i for i, n in enumerate(names)}, lambda v: (
        f"{column.name}: {quote(v)} is not a known scale{_hint(column, v, names)} (expected "
        f"one of {', '.join(names)}, or declare it in a scales file)"))
    check.typed[column.name] = check.by_value(column, judge, code_dtype(len(names)), -1)


#: Words a spreadsheet turns into numbers when it opens a file: the number -> the word.
_SPREADSHEET_NUMBERS = {"age_band": {"65": "65+", "65.0": "65+"}}


def _hint(column: Column, value: str, words: list[str]) -> str:
    """", did you mean 'x'?" for a near miss of a vocabulary word (no "; ": reasons are joined
    with it), or what a spreadsheet may have done to the value."""
    damaged = _SPREADSHEET_NUMBERS.get(column.vocabulary or "", {}).get(value.strip())
    if damaged is not None:
        return (f", a spreadsheet may have turned {damaged!r} into a number: format the "
                f"{column.name} cells as text and type {damaged}")
    near = nearest(value, words)
    return f", did you mean {near[0]!r}?" if near else ""


def _parse_bool(check: TableCheck, column: Column) -> None:
    words = {**dict.fromkeys(TRUE_WORDS, 1), **dict.fromkeys(FALSE_WORDS, 0)}
    judge = judge_word(words, lambda v: (
        f"{column.name}: {quote(v)} is not yes or no (expected true/false, yes/no or 1/0)"))
    check.typed[column.name] = check.by_value(column, judge, np.int8, -1)


def _parse_list(check: TableCheck, column: Column) -> None:
    allowed = vocabulary(column.vocabulary)
    per_value, codes = check.by_value(
        column, lambda v: judge_list(column.name, v, allowed), object, None, spread_back=False)
    check.typed[column.name] = pa.array(per_value, pa.string()).take(
        pa.array(codes, pa.int32(), mask=codes < 0))


def _parse_number(check: TableCheck, column: Column) -> None:
    name = column.name
    values, not_number = check.numbers[name]
    check.problem(column, not_number,
                  lambda v: not_a_number(name, v, decimal_comma=check.decimal_comma))
    beyond = outside(values, column.low, column.high, column.low_open, column.high_open)
    allowed = range_text(column.low, column.high, column.low_open, column.high_open)
    check.problem(column, beyond, lambda v: f"{name}: {v} is out of range ({allowed})")
    if not column.required:
        values[beyond] = np.nan
    check.typed[name] = values


def _parse_hours(check: TableCheck, column: Column) -> None:
    """Hours that decide censoring: a present but bad value quarantines the row."""
    name = column.name
    values, not_number = check.numbers[name]
    check.problem(column, not_number, lambda v: not_a_number(
        name, v, "a number of hours", check.decimal_comma), quarantine=True)
    negative = ~np.isnan(values) & (values < 0)
    check.problem(column, negative, lambda v: f"{name}: {v} is negative, expected hours after "
                  "the session (0 or more)", quarantine=True)
    values[negative] = np.nan
    check.typed[name] = values


#: How each kind of column is judged (the kinds of :class:`~outcomes.bundle.schema.Column`).
_PARSERS: dict[ColumnKind, Callable[[TableCheck, Column], None]] = {
    ColumnKind.ID: _parse_text, ColumnKind.TEXT: _parse_text, ColumnKind.DATE: _parse_date,
    ColumnKind.VOCABULARY: _parse_vocabulary, ColumnKind.SCALE: _parse_scale,
    ColumnKind.BOOL: _parse_bool, ColumnKind.LIST: _parse_list,
    ColumnKind.NUMBER: _parse_number, ColumnKind.HOURS: _parse_hours,
}


# ======================================================================= columns of one row
def check_scores(check: TableCheck) -> None:
    """Assessment scores within the range of their scale."""
    if check.n == 0:
        return
    scales = list(check.scales.values())
    codes = check.typed[Col.SCALE]
    score = check.typed[Col.SCORE]
    known = codes >= 0
    low = np.array([s.low for s in scales] + [-np.inf])[codes]
    high = np.array([s.high for s in scales] + [np.inf])[codes]
    beyond = known & outside(score, low, high)
    if beyond.any():
        positions = np.flatnonzero(beyond)
        ranges = np.array(
            [f" is outside the range of {s.name} ({range_text(s.low, s.high)})" for s in scales],
            dtype=object,
        )
        text = check.clean[Col.SCORE].take(pa.array(positions))
        suffix = pa.array(ranges[codes[positions]], pa.string())
        check.findings.reason(positions, withhold_messages(
            text, check.table.column(Col.SCORE), join(f"{Col.SCORE}: ", text, suffix)))


def check_event_hours(check: TableCheck) -> None:
    """Adverse events: onset (blank is 0), resolution and last contact consistent."""
    if check.n == 0:
        return
    onset = check.typed.get(Col.ONSET_HOURS)
    onset = np.zeros(check.n) if onset is None else np.where(np.isnan(onset), 0.0, onset)
    check.typed[Col.ONSET_HOURS] = onset
    given = {c: ~check.blank(c) for c in (Col.RESOLVED_HOURS, Col.LAST_CONTACT_HOURS)}
    _hours_before_onset(check, Col.RESOLVED_HOURS, onset)
    unresolved = ~given[Col.RESOLVED_HOURS] & ~given[Col.LAST_CONTACT_HOURS]
    positions = np.flatnonzero(unresolved)
    message = (
        f"the event is unresolved ({Col.RESOLVED_HOURS} blank) and {Col.LAST_CONTACT_HOURS} "
        "is blank, give the hours after the session of the last contact (or of resolution)"
    )
    check.findings.reason(positions, pa.repeat(pa.scalar(message), len(positions)))
    _hours_before_onset(check, Col.LAST_CONTACT_HOURS, onset)


def _hours_before_onset(check: TableCheck, column: str, onset: np.ndarray) -> None:
    hours = check.typed.get(column)
    if hours is None:
        return
    with np.errstate(invalid="ignore"):
        before = hours < onset
    positions = np.flatnonzero(before)
    if not len(positions):
        return
    hours_text, onset_text = check.clean_at(column, positions), as_text(onset[positions])
    found = join(f"{column} (", hours_text, f") is before {Col.ONSET_HOURS} (", onset_text, ")")
    for text, name in ((hours_text, column), (onset_text, Col.ONSET_HOURS)):
        found = withhold_messages(text, check.table.column(name), found)
    check.findings.reason(positions, found)


# ===================================================================================== frames
def _warning_frame(table: str, rows: np.ndarray, column: str, values: pa.Array,
                   found: pa.Array) -> pd.DataFrame:
    n = len(rows)
    return frame({
        Col.TABLE: pa.repeat(pa.scalar(table), n),
        Col.ROW: pa.array(rows, pa.int64()),
        Col.COLUMN: pa.repeat(pa.scalar(column), n),
        Col.VALUE: values.cast(pa.string()),
        Col.MESSAGE: found.cast(pa.string()),
    })


def frame(columns: dict[str, pa.Array]) -> pd.DataFrame:
    """A DataFrame of text (``str``) and int64 columns, converted from Arrow in one go."""
    table = pa.table(columns)
    if table.num_rows == 0:
        return _empty_frame(tuple(table.column_names)).copy()
    out = table.to_pandas()
    for name in out.columns:
        if out[name].dtype == object:  # an empty or all-null text column
            out[name] = out[name].astype("str")
    return out


@cache
def _empty_frame(names: tuple[str, ...]) -> pd.DataFrame:
    """An empty frame of ``str`` columns (``row`` as int64); copy it before handing it out."""
    return pd.DataFrame({
        name: pd.Series(dtype=np.int64 if name == Col.ROW else "str") for name in names
    })


def empty_warnings() -> pd.DataFrame:
    """A warnings table without rows (the columns of :data:`WARNING_COLUMNS`)."""
    return _warning_frame("", np.empty(0, dtype=np.int64), "", pa.array([], pa.string()),
                          pa.array([], pa.string()))
