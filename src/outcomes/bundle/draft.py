"""A first mapping drafted from an export's headers and values, for the user to confirm.

:func:`draft_mapping` reads every table of an export (each ``.csv`` and ``.parquet`` file of a
folder, each sheet of a workbook) as text, and writes the TOML of a mapping
(:mod:`outcomes.bundle.mapping`) with what it can tell filled in and everything else as
commented ``# TODO`` lines naming the candidates, so the user confirms rather than writes:

* each file or sheet is given to the contract table whose columns its headers match best;
* a contract column is filled in when a header is its name (case, spaces and hyphens aside) or
  near it (:func:`~outcomes.bundle.suggest.nearest`, a unit in brackets set aside); otherwise
  the TODO line lists the headers left, those whose values look like the column's words first;
* for a vocabulary column, each value the contract does not know is mapped to its nearest word
  when there is one, else listed as TODO with the words it may be;
* a date column's format is filled in only when exactly one of the usual formats reads every
  value (a day above 12 settles day-first); otherwise the formats that do are listed;
* a unit is filled in from the header (``(um)``, ``(hrs)``, ``days``); a required column the
  export lacks (``setting``) becomes a TODO constant.

Nothing is written to the export; the draft is only text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ..errors import BundleError
from .limits import Limits
from .mapping import UNITS
from .readers import TABLE_SUFFIXES, WORKBOOK_SUFFIXES, RawTable, read_table_bytes
from .schema import TABLES, ColumnKind, Table, aliases, vocabulary
from .suggest import nearest, normal

__all__ = ["draft_mapping", "Draft", "DATE_FORMATS"]

#: The date formats a draft tries (the user confirms the one it finds).
DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%y",
                "%m/%d/%y", "%Y/%m/%d")
_BRACKETS = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*")
_UNIT_WORDS = {"um": "um", "µm": "um", "μm": "um", "microns": "um", "micrometres": "um",
               "mm": "mm", "cm": "cm", "hrs": "h", "hr": "h", "h": "h", "hours": "h",
               "min": "min", "mins": "min", "minutes": "min", "s": "s", "secs": "s",
               "seconds": "s", "days": "days", "d": "days"}
_SHOWN = 5
#: How alike a value must be to a word to be drafted as it (stricter than for headers: a
#: wrong word would be taken silently, a wrong header shows in the counts).
_WORD_CUTOFF = 0.8
_LIST_ITEMS = re.compile(r"[;,]")


@dataclass
class Draft:
    """A drafted mapping: its TOML text and what was filled in.

    Attributes
    ----------
    text : str
        The mapping, TODO lines commented out (valid TOML as it stands).
    tables : dict of str to str
        Contract table -> the file or sheet it was given.
    columns : dict of str to dict of str to str
        Per table, the contract columns filled in -> their header.
    todo : int
        How many TODO lines there are.
    """

    text: str
    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    todo: int = 0


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _header_key(header: str) -> str:
    return normal(_BRACKETS.sub(" ", header)).strip("_") or normal(header)


def _sources(path: Path, limits: Limits) -> list[tuple[str, str, RawTable]]:
    """(field, name, table) for every table of the export: ``file`` or ``sheet``, and its name."""
    from .readers import _read_bytes, _read_sheet
    from .workbook import open_workbook

    found = []
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for file in files:
        suffix = file.suffix.lower()
        if suffix in TABLE_SUFFIXES:
            raw = read_table_bytes(_read_bytes(file), name="sessions", where=file.name,
                                   suffix=suffix, limits=limits)
            found.append(("file", file.name, raw))
        elif suffix in WORKBOOK_SUFFIXES:
            workbook = open_workbook(_read_bytes(file), file.name)
            try:
                for sheet in workbook.worksheets:
                    raw = _read_sheet(workbook, sheet, "sessions",
                                      f"{file.name}, sheet {sheet.title}", limits)
                    found.append(("sheet" if file == path else f"file:{file.name}",
                                  str(sheet.title), raw))
            finally:
                workbook.close()
    if not found:
        raise BundleError(f"{path.name}: no .csv, .parquet or .xlsx table to draft a mapping "
                          "from.")
    return found


def _distinct(raw: RawTable, position: int, most: int = 200) -> list[str]:
    column = raw.columns[position]
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    values = column.drop_null().unique().to_pylist()
    return [v.strip() for v in values[:most] if v.strip()]


def _words(column) -> list[str]:
    if column.kind == ColumnKind.BOOL:
        return ["true", "false", "yes", "no"]
    if column.vocabulary:
        return [*vocabulary(column.vocabulary), *aliases(column.vocabulary)]
    return []


def _value_share(values: list[str], words: list[str], is_list: bool) -> float:
    """Share of the values that are, or are near, the column's words."""
    if not values or not words:
        return 0.0
    known = {normal(w) for w in words}
    items = [i.strip() for v in values for i in (_LIST_ITEMS.split(v) if is_list else [v])]
    items = [i for i in items if i]
    hits = sum(normal(i) in known or bool(nearest(i, words, cutoff=_WORD_CUTOFF))
               for i in items)
    return hits / max(len(items), 1)


def _match_columns(table: Table, raw: RawTable) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Contract column -> header position for exact and near names; candidates for the rest."""
    keys = [_header_key(h) for h in raw.header]
    chosen: dict[str, int] = {}
    for column in table.columns:  # exact names first
        for position, key in enumerate(keys):
            exact = column.name in (key, normal(raw.header[position]))
            if exact and position not in chosen.values():
                chosen[column.name] = position
                break
    for column in table.columns:
        if column.name in chosen:
            continue
        free = {keys[p]: p for p in range(len(keys)) if p not in chosen.values()}
        near = nearest(column.name, list(free))
        if near:
            chosen[column.name] = free[near[0]]
    candidates = {}
    for column in table.columns:
        if column.name in chosen:
            continue
        free = [p for p in range(len(keys)) if p not in chosen.values()]
        words = _words(column)
        score = {p: _value_share(_distinct(raw, p), words, column.kind == ColumnKind.LIST)
                 for p in free} if words else {}
        by_value = [p for p in free if score.get(p, 0) >= 0.5]
        if len(by_value) == 1 and words:
            chosen[column.name] = by_value[0]
            continue
        candidates[column.name] = sorted(free, key=lambda p: -score.get(p, 0))[:_SHOWN]
    return chosen, candidates


def _assign(sources, limits) -> dict[str, tuple[str, str, RawTable]]:
    scores = []
    for index, (_, _, raw) in enumerate(sources):
        keys = {_header_key(h) for h in raw.header} | {normal(h) for h in raw.header}
        for name, table in TABLES.items():
            exact = sum(c in keys for c in table.names)
            near = sum(bool(nearest(c, keys)) for c in table.names if c not in keys)
            if exact or near:
                scores.append((exact + 0.5 * near, exact, -index, name, index))
    assigned: dict[str, tuple[str, str, RawTable]] = {}
    used = set()
    for *_, name, index in sorted(scores, reverse=True):
        if name not in assigned and index not in used:
            assigned[name] = sources[index]
            used.add(index)
    return assigned


def _date_lines(column: str, values: list[str]) -> tuple[list[str], int]:
    if not values or all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values):
        return [], 0
    fits = []
    for fmt in DATE_FORMATS:
        try:
            for value in values:
                dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        fits.append(fmt)
    if len(fits) == 1:
        return [f"{column} = {_toml(fits[0])}  # the one usual format that reads every value"], 0
    if not fits:
        shown = ", ".join(map(repr, values[:3]))
        return [f"# {column} = \"\"  # TODO: no usual format reads all of {shown}..."], 1
    listed = " or ".join(fits)
    return [f"# {column} = {_toml(fits[0])}  # TODO: confirm; the values fit {listed}"], 1


def _unit(column: str, header: str) -> str | None:
    inside = re.findall(r"[(\[]([^)\]]*)[)\]]", header) or header.split()[-1:]
    for word in inside:
        unit = _UNIT_WORDS.get(word.strip().casefold())
        if unit is not None and unit in UNITS.get(column, {}):
            return unit
    return None


def _value_lines(column, values: list[str]) -> tuple[list[str], int]:
    words = [*vocabulary(column.vocabulary)] if column.vocabulary else []
    known = {normal(w) for w in [*words, *(aliases(column.vocabulary) if words else [])]}
    lines, todo = [], 0
    items = sorted({i.strip() for v in values
                    for i in (_LIST_ITEMS.split(v) if column.kind == ColumnKind.LIST else [v])
                    if i.strip()})
    for item in items:
        if normal(item) in known:
            continue
        near = nearest(item, words, cutoff=_WORD_CUTOFF)
        if near:
            lines.append(f"{_toml(item)} = {_toml(near[0])}  # near")
        else:
            lines.append(f"# {_toml(item)} = \"\"  # TODO: one of {', '.join(words)}")
            todo += 1
    return lines, todo


def draft_mapping(path: str | Path, *, limits: Limits | None = None) -> Draft:
    """Draft a mapping of the export at ``path`` (a folder or a workbook).

    Parameters
    ----------
    path : str or Path
        The export: a folder of ``.csv``/``.parquet``/``.xlsx`` files, or a workbook.
    limits : Limits, optional
        How large a file is read.

    Returns
    -------
    Draft

    Raises
    ------
    BundleError
        If there is no table to read, or a file cannot be read.
    """
    path = Path(path)
    limits = Limits() if limits is None else limits
    if not path.exists():
        raise BundleError(f"{path.name or path}: no such folder or file.")
    sources = _sources(path, limits)
    assigned = _assign(sources, limits)
    lines = [f"# Mapping of the export {path.name} to the outcomes data contract, drafted by",
             "# 'outcomes mapping'. Check every entry; confirm or fill in each to-do (remove the",
             "# '# ' in front of a line to use it), then: outcomes validate PATH --mapping FILE",
             ""]
    draft = Draft("")
    values: dict[str, dict[str, list[str]]] = {}
    todo = 0
    for name, table in TABLES.items():
        if name not in assigned:
            lines += [f"# [{name}]  # TODO: no file or sheet of the export looks like the "
                      f"{name} table; name it (file = ... or sheet = ...) if there is one", ""]
            todo += 1
            continue
        where, source, raw = assigned[name]
        draft.tables[name] = source
        lines.append(f"[{name}]")
        if where.startswith("file:"):
            lines += [f"file = {_toml(where[5:])}", f"sheet = {_toml(source)}"]
        else:
            lines.append(f"{where} = {_toml(source)}")
        chosen, candidates = _match_columns(table, raw)
        draft.columns[name] = {c: raw.header[p] for c, p in chosen.items()}
        lines.append(f"[{name}.columns]  # contract column = the export's header")
        dates, units, constants = [], [], []
        for column in table.columns:
            if column.name in chosen:
                position = chosen[column.name]
                header = raw.header[position]
                lines.append(f"{column.name} = {_toml(header)}")
                distinct = _distinct(raw, position)
                if column.kind == ColumnKind.DATE:
                    found, n = _date_lines(column.name, distinct)
                    dates += found
                    todo += n
                unit = _unit(column.name, header)
                if unit is not None:
                    units.append(f"{column.name} = {_toml(unit)}  # from the header")
                vocab = ("bool" if column.kind == ColumnKind.BOOL
                         else column.vocabulary if column.kind != ColumnKind.SCALE else "scale")
                if column.kind in (ColumnKind.VOCABULARY, ColumnKind.LIST) and vocab:
                    values.setdefault(vocab, {}).setdefault(column.name, []).extend(distinct)
                continue
            if column.name in candidates and raw.header:
                shown = ", ".join(_toml(raw.header[p]) for p in candidates[column.name])
                lines.append(f"# {column.name} = \"\"  # TODO: one of {shown}, or leave out"
                             if shown else f"# {column.name} = \"\"  # TODO: no header left")
                todo += 1
            if column.required and column.kind == ColumnKind.VOCABULARY:
                words = _words(column)
                hint = f" ({' or '.join(words)})" if words else ""
                constants.append(f"# {column.name} = \"\"  # TODO: if the export has no such "
                                 f"column, give the value of every row{hint}")
                todo += 1
        for title, block in ((f"[{name}.dates]", dates), (f"[{name}.units]", units),
                             (f"[{name}.constants]", constants)):
            if block:
                lines += [title, *block]
        lines.append("")
    for vocab, by_column in values.items():
        column = next(t.column(c) for t in TABLES.values() for c in by_column if c in t.names)
        found, n = _value_lines(column, [v for vs in by_column.values() for v in vs])
        if found:
            lines += [f"[values.{vocab}]  # the export's word = the contract's", *found, ""]
            todo += n
    draft.text = "\n".join(lines).rstrip() + "\n"
    draft.todo = todo
    return draft
