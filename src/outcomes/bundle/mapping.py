"""A clinic's own export read as the contract: a mapping of files, columns, words, dates and units.

A practice-management system exports its own headers (``Patient ID``, ``Date of session``), its
own words (``Acne scarring``, ``Type IV``, ``Dermapen``), day-first dates and its own units. A
mapping, a TOML file the user writes once (``outcomes mapping`` drafts it), says how each of them
reads in the contract's terms::

    [sessions]
    file = "Visits.csv"                   # a file of the folder (or: sheet = "Visits")

    [sessions.columns]                    # contract column = the export's header
    patient_id = "Patient ID"
    session_date = "Date of session"
    condition = "Treatment area"
    needle_depth_mm = "Needle depth (um)"

    [sessions.dates]                      # the format of each date column, declared
    session_date = "%d/%m/%Y"

    [sessions.units]                      # the export's unit, where the contract has one
    needle_depth_mm = "um"

    [sessions.constants]                  # a value for every row
    setting = "professional"

    [values.condition]                    # per vocabulary: the export's word = the contract's
    "Acne scarring" = "acne_scars"

The mapping works on the text of the tables as read (:mod:`outcomes.bundle.readers`), before any
value is judged, so every check of the contract (quarantine, warnings, privacy) runs on the
mapped tables as on a contract bundle, and row numbers stay those of the user's file. A column
the mapping does not name keeps its header (and is ignored with a warning, or refused if it
looks identifying). Words are matched ignoring case and spaces; a word the mapping does not
name is judged as it is (so the contract's own words still work). A date is read in its declared
format (an ISO date, such as a spreadsheet's date cell gives, is read too); one that fits
neither is a bad value of its row saying so. Nothing is guessed, and the user's files are only
read.

:func:`read_mapping` reads and checks the file (each error names the entry and the field);
:meth:`ExportMapping.apply` maps the raw tables; :attr:`ExportMapping.sha256` goes into the
provenance of every output, beside the checksums of the input files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import MappingError, ParameterError
from ..validators import show
from .hashing import sha256
from .readers import RawBundle, RawTable, Source, combine
from .schema import TABLES, ColumnKind, Table, aliases, vocabulary
from .suggest import did_you_mean, normal
from .workbook import CellProblem

__all__ = ["ExportMapping", "TableMapping", "read_mapping", "UNITS", "VALUE_MAPS",
           "as_mapping"]

#: Per contract column with a unit: the units an export may have it in, as (multiply, divide).
UNITS: dict[str, dict[str, tuple[int, int]]] = {
    "needle_depth_mm": {"mm": (1, 1), "um": (1, 1000), "µm": (1, 1000), "μm": (1, 1000),
                        "micrometres": (1, 1000), "microns": (1, 1000), "cm": (10, 1)},
    "duration_min": {"min": (1, 1), "minutes": (1, 1), "h": (60, 1), "hours": (60, 1),
                     "s": (1, 60), "seconds": (1, 60)},
    **{name: {"h": (1, 1), "hours": (1, 1), "min": (1, 60), "minutes": (1, 60),
              "d": (24, 1), "days": (24, 1)}
       for name in ("onset_hours", "resolved_hours", "last_contact_hours")},
}
#: The value maps a mapping may have beyond the vocabularies: scale names and yes/no words.
VALUE_MAPS = ("scale", "bool")
_BOOL_WORDS = ("true", "false")
_TABLE_FIELDS = ("file", "sheet", "columns", "dates", "units", "constants")
_SIGNIFICANT = 12  # digits a unit conversion keeps (so 0.6166666666667 h is 37 min)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_LIST_ITEMS = re.compile(r"[;,]")
_PROBE_DATE = dt.date(2024, 3, 18)


@dataclass(frozen=True)
class TableMapping:
    """How one table of the contract reads from the export.

    Attributes
    ----------
    table : str
        The contract's table.
    source : Source
        Its file and sheet.
    columns : dict of str to str
        Contract column -> the export's header.
    dates : dict of str to str
        Contract date column -> its :func:`~datetime.datetime.strptime` format.
    units : dict of str to str
        Contract column -> the export's unit (a key of :data:`UNITS`).
    constants : dict of str to str
        Contract column -> the text every row holds.
    """

    table: str
    source: Source
    columns: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportMapping:
    """A mapping of a clinic's export to the contract, read by :func:`read_mapping`.

    Attributes
    ----------
    name : str
        The mapping file's name (no folders), as outputs name it.
    sha256 : str
        SHA-256 of the file's bytes.
    tables : dict of str to TableMapping
        The tables the mapping names.
    values : dict of str to dict of str to str
        Per vocabulary (or ``scale``, ``bool``): the export's word, in :func:`normal` form ->
        the contract's word.
    spellings : dict of str to str
        The export's words as the mapping spells them, by their :func:`normal` form (for
        messages).
    """

    name: str
    sha256: str
    tables: dict[str, TableMapping] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)

    @property
    def sources(self) -> dict[str, Source]:
        """Per table the mapping names, its file and sheet (for :func:`read_sources`)."""
        return {name: t.source for name, t in self.tables.items()}

    @property
    def provenance(self) -> dict[str, str]:
        """The mapping as outputs record it: ``{"<name> (mapping)": sha256}``."""
        return {f"{self.name} (mapping)": self.sha256}

    def apply(self, bundle: RawBundle, scales=()) -> RawBundle:
        """The bundle with its tables in the contract's columns, words, dates and units.

        Parameters
        ----------
        bundle : RawBundle
            As read from the export (:func:`~outcomes.bundle.readers.read_sources`).
        scales : iterable of str
            The scale names assessments may use (the targets of ``[values.scale]``).

        Raises
        ------
        MappingError
            If a header the mapping names is not in its table, or a column would be there twice.
        """
        scale_words = {normal(s): s for s in scales}
        for word, target in self.values.get("scale", {}).items():
            if normal(target) not in scale_words:
                raise MappingError(
                    f"{self.name}, [values.scale], entry {self.spellings.get(word, word)!r}: "
                    f"{target!r} is not a known "
                    f"scale{did_you_mean(target, scale_words.values())} (declare further "
                    "scales in a scales file)")
        tables = {name: self._table(name, raw) for name, raw in bundle.tables.items()}
        return RawBundle(bundle.source, tables, bundle.missing, dict(bundle.checksums),
                         dict(bundle.hints))

    # ------------------------------------------------------------------------- one table
    def _table(self, name: str, raw: RawTable) -> RawTable:
        spec = self.tables.get(name, TableMapping(name, Source()))
        contract = TABLES[name]
        entry = f"{self.name}, [{name}.columns]"
        header = list(raw.header)
        by_header = {}
        for position, text in enumerate(raw.header):
            by_header.setdefault(normal(text), position)
        renamed: dict[int, str] = {}
        for column, source in spec.columns.items():
            position = by_header.get(normal(source))
            if position is None:
                shown = ", ".join(repr(h) for h in raw.header) or "none"
                raise MappingError(
                    f"{entry}, entry {column!r}: {raw.where} has no column {source!r}"
                    f"{did_you_mean(source, raw.header)} (its columns: {shown})")
            renamed[position] = column
        for position, column in renamed.items():
            header[position] = column
        taken = set(renamed.values()) | set(spec.constants)
        for position, text in enumerate(raw.header):
            if position not in renamed and normal(text) in taken:
                raise MappingError(
                    f"{entry}: {raw.where} has a column {text!r} of its own beside the one the "
                    f"mapping reads as {normal(text)}, so {normal(text)} would be there twice; "
                    "map the other header instead, or leave the entry out")
        columns = [combine(c) for c in raw.columns]
        problems = list(raw.problems)
        for position, name_ in enumerate(header):
            if name_ not in contract.names:
                continue
            column = contract.column(name_)
            if name_ in spec.dates:
                columns[position], found = _dates(columns[position], spec.dates[name_], raw,
                                                  position, f"{self.name}, [{name}.dates]")
                problems += found
            if name_ in spec.units:
                columns[position] = _convert(columns[position], UNITS[name_][spec.units[name_]],
                                             raw.decimal_comma)
            words = self._words(column)
            if words:
                columns[position] = _map_words(columns[position], words,
                                               column.kind == ColumnKind.LIST)
        for column, value in spec.constants.items():
            header.append(column)
            columns.append(pa.array([value] * raw.n_rows, pa.string()))
        return RawTable(raw.name, raw.where, tuple(header), tuple(columns), raw.rows,
                        raw.decimal_comma, tuple(problems))

    def _words(self, column) -> dict[str, str]:
        if column.kind == ColumnKind.SCALE:
            return self.values.get("scale", {})
        if column.kind == ColumnKind.BOOL:
            return self.values.get("bool", {})
        return self.values.get(column.vocabulary, {}) if column.vocabulary else {}


# ================================================================================ the values
def _distinct(text: pa.Array) -> tuple[np.ndarray, list]:
    encoded = text.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.where(np.asarray(encoded.indices.is_null()), -1, codes).astype(np.int64)
    return codes, encoded.dictionary.to_pylist()


def _rebuild(codes: np.ndarray, values: list) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(codes, pa.int64(), mask=codes < 0))


def _map_words(text: pa.Array, words: dict[str, str], is_list: bool) -> pa.Array:
    codes, distinct = _distinct(text)

    def mapped(value: str) -> str:
        if not is_list:
            return words.get(normal(value), value)
        items = [i.strip() for i in _LIST_ITEMS.split(value)]
        return ";".join(words.get(normal(i), i) for i in items if i)

    return _rebuild(codes, [mapped(v) for v in distinct])


def _dates(text: pa.Array, fmt: str, raw: RawTable, position: int,
           entry: str) -> tuple[pa.Array, list[CellProblem]]:
    codes, distinct = _distinct(text)
    out, bad = [], []
    for value in distinct:
        stripped = value.strip()
        iso = None
        if stripped:
            try:
                iso = dt.datetime.strptime(stripped, fmt).date().isoformat()
            except ValueError:
                iso = stripped if _ISO.match(stripped) else None
        out.append(iso if iso is not None or not stripped else None)
        bad.append(bool(stripped) and iso is None)
    problems = []
    for code in np.flatnonzero(bad):
        for row in raw.rows[codes == code]:
            problems.append(CellProblem(
                int(row), position, distinct[code],
                f"{distinct[code]!r} is not a date in the format {fmt} of the mapping ({entry})",
                "correct the date in the export, or the format in the mapping"))
    return _rebuild(codes, out), problems


def _convert(text: pa.Array, factor: tuple[int, int], decimal_comma: bool) -> pa.Array:
    multiply, divide = factor
    if factor == (1, 1):
        return text
    codes, distinct = _distinct(text)
    out = []
    for value in distinct:
        stripped = value.strip()
        try:
            number = float(stripped.replace(",", ".") if decimal_comma else stripped)
        except ValueError:
            out.append(value)  # judged as it is: the loader says it is not a number
            continue
        out.append(f"{number * multiply / divide:.{_SIGNIFICANT}g}")
    return _rebuild(codes, out)


# =============================================================================== reading one
def as_mapping(mapping) -> ExportMapping | None:
    """A mapping from what :func:`~outcomes.bundle.load.load_bundle` was given.

    Raises
    ------
    ParameterError
        If ``mapping`` is neither a path nor an :class:`ExportMapping`.
    """
    if mapping is None or isinstance(mapping, ExportMapping):
        return mapping
    if isinstance(mapping, str | os.PathLike):
        return read_mapping(mapping)
    raise ParameterError(
        "mapping must be the path of a mapping TOML file or an ExportMapping, got "
        f"{type(mapping).__name__}.")


def read_mapping(path: str | Path) -> ExportMapping:
    """Read and check a mapping file.

    Parameters
    ----------
    path : str or Path
        A TOML file of the shape described in this module.

    Returns
    -------
    ExportMapping

    Raises
    ------
    MappingError
        If the file cannot be read, is not TOML, or an entry is malformed: the message names
        the file, the entry and the field, what was expected and what came in (with the nearest
        known name for a misspelt one).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "clinic.toml").write_text(
    ...     '[sessions.columns]\\ncondition = "Area"\\n'
    ...     '[values.condition]\\n"Acne scarring" = "acne"\\n')
    >>> read_mapping(folder / "clinic.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    outcomes.errors.MappingError: clinic.toml, [values.condition], ...: did you mean 'acne_scars'?
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MappingError(f"Cannot read the mapping file {path.name}: "
                           f"{exc.strerror or exc}.") from None
    try:
        spec = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"The mapping file {path.name} is not valid TOML: {exc}.") from None
    name = path.name
    for key in spec:
        if key not in (*TABLES, "values"):
            raise MappingError(
                f"{name}, [{key}]: expected a table of the contract ({', '.join(TABLES)}) or "
                f"[values]{did_you_mean(key, [*TABLES, 'values'])}")
    tables = {t: _table_mapping(name, TABLES[t], _table_of(spec, t, name))
              for t in TABLES if t in spec}
    values = _value_maps(name, _table_of(spec, "values", name))
    spellings = {normal(w): w for entries in _table_of(spec, "values", name).values()
                 if isinstance(entries, dict) for w in entries}
    return ExportMapping(name, sha256(data), tables, values, spellings)


def _table_of(spec: dict, key: str, name: str, entry: str | None = None) -> dict:
    value = spec.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"{name}, {entry or f'[{key}]'}: expected a table of entries; got "
                           f"{show(value)}.")
    return value


def _text(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{where}: expected a text; got {show(value)}.")
    return value.strip()


def _table_mapping(name: str, table: Table, spec: dict) -> TableMapping:
    here = f"{name}, [{table.name}]"
    for key in spec:
        if key not in _TABLE_FIELDS:
            raise MappingError(f"{here}, field {key!r}: expected one of "
                               f"{', '.join(_TABLE_FIELDS)}{did_you_mean(key, _TABLE_FIELDS)}")
    source = Source(
        _text(spec["file"], f"{here}, field 'file'") if "file" in spec else None,
        _text(spec["sheet"], f"{here}, field 'sheet'") if "sheet" in spec else None,
        here)
    parts = {key: _table_of(spec, key, name, f"[{table.name}.{key}]")
             for key in ("columns", "dates", "units", "constants")}
    for key, entries in parts.items():
        for column in entries:
            if column not in table.names:
                raise MappingError(
                    f"{name}, [{table.name}.{key}], entry {column!r}: expected a column of the "
                    f"{table.name} table{did_you_mean(column, table.names)} (its columns: "
                    f"{', '.join(table.names)})")
    columns, seen = {}, {}
    for column, header in parts["columns"].items():
        where = f"{name}, [{table.name}.columns], entry {column!r}"
        header = _text(header, where)
        if normal(header) in seen:
            raise MappingError(f"{where}: the header {header!r} is already read as "
                               f"{seen[normal(header)]}; each header gives one column")
        columns[column] = header
        seen[normal(header)] = column
    dates = {}
    for column, fmt in parts["dates"].items():
        where = f"{name}, [{table.name}.dates], entry {column!r}"
        if table.column(column).kind != ColumnKind.DATE:
            dated = [c.name for c in table.columns if c.kind == ColumnKind.DATE]
            raise MappingError(f"{where}: expected a date column ({', '.join(dated)})")
        dates[column] = _date_format(_text(fmt, where), where)
    units = {}
    for column, unit in parts["units"].items():
        where = f"{name}, [{table.name}.units], entry {column!r}"
        if column not in UNITS:
            with_units = [c for c in table.names if c in UNITS]
            raise MappingError(f"{where}: expected a column with a unit "
                               f"({', '.join(with_units) or 'none in this table'})")
        unit = _text(unit, where)
        if unit not in UNITS[column]:
            raise MappingError(f"{where}: expected a unit of {', '.join(UNITS[column])}; got "
                               f"{unit!r}{did_you_mean(unit, UNITS[column])}")
        units[column] = unit
    constants = {}
    for column, value in parts["constants"].items():
        where = f"{name}, [{table.name}.constants], entry {column!r}"
        if column in columns:
            raise MappingError(f"{where}: the column is already read from "
                               f"{columns[column]!r}; give it one way")
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, int | float):
            value = str(value)
        constants[column] = _text(value, where)
    return TableMapping(table.name, source, columns, dates, units, constants)


def _date_format(fmt: str, where: str) -> str:
    """A strptime format that reads back the date it writes, with a day, a month and a year."""
    try:
        back = dt.datetime.strptime(_PROBE_DATE.strftime(fmt), fmt).date()
    except ValueError:
        back = None
    if back != _PROBE_DATE or not re.search(r"%[dj]", fmt) or not re.search(r"%[Yy]", fmt):
        raise MappingError(
            f"{where}: expected a date format with a day, a month and a year, such as "
            f"'%d/%m/%Y' (day first) or '%m/%d/%Y' (month first); got {fmt!r}")
    return fmt


def _value_maps(name: str, spec: dict) -> dict[str, dict[str, str]]:
    from .schema import _vocabularies

    known = [k for k in _vocabularies() if k not in ("ordered", "aliases")]
    maps = {}
    for vocab, entries in spec.items():
        here = f"{name}, [values.{vocab}]"
        if vocab not in (*known, *VALUE_MAPS):
            raise MappingError(
                f"{here}: expected a vocabulary ({', '.join([*known, *VALUE_MAPS])})"
                f"{did_you_mean(vocab, [*known, *VALUE_MAPS])}")
        entries = _table_of(spec, vocab, name, f"[values.{vocab}]")
        if vocab == "scale":
            allowed = None  # checked against the scales when the bundle is loaded
        elif vocab == "bool":
            allowed = {w: w for w in _BOOL_WORDS}
        else:
            allowed = {normal(w): w for w in [*vocabulary(vocab), *aliases(vocab)]}
        words = {}
        for word, target in entries.items():
            where = f"{here}, entry {word!r}"
            target = _text(target, where)
            if allowed is not None and normal(target) not in allowed:
                noun = "a yes/no word (true or false)" if vocab == "bool" else \
                    f"a {vocab} of the contract"
                raise MappingError(f"{where}: expected {noun}; got {show(target)}"
                                   f"{did_you_mean(target, allowed.values())}")
            words[normal(word)] = allowed[normal(target)] if allowed else target
        maps[vocab] = words
    return maps
