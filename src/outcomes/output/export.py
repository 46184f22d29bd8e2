"""Writing tables and reports out of the package: the one door data leave by.

:func:`write_tables` writes a workbook (``tables.xlsx``: a ``README`` sheet, then one sheet per
table) and one CSV per table (``tables/<name>.csv``). Every table passes through
:func:`outcomes.output.disclosure.disclose` (small counts hidden) and then
:func:`outcomes.output.safety.neutralise_formulas` (text a spreadsheet would run made inert) first.

The PDF and the Word document are rendered from a report's page by :mod:`outcomes.output.pdf`
and :mod:`outcomes.output.word`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._docs import INTERNAL_NOTICE
from ..errors import AnalysisError
from ..stats.result import Col
from .disclosure import (
    NOTE_COLUMN,
    SECONDARY_MARK,
    SUPPRESSION_COLUMNS,
    Margin,
    disclose,
    flatten,
    small_mark,
)
from .folder import OutputSet
from .safety import neutralise_formulas
from .workbook import (
    PAPER_ROWS,
    PROVENANCE_SHEET,
    describe,
    header_words,
    number_format,
    provenance_rows,
    sheet_order,
    table_title,
    write_workbook,
)

__all__ = ["ExportResult", "write_tables", "save_rejects", "README_SHEET",
           "disclosure_rule", "SUPPRESSIONS_TABLE", "INTERNAL_NOTICE"]


#: Name of the first sheet of the workbook.
README_SHEET = "README"
_XLSX_NAME = "tables.xlsx"
_CSV_DIR = "tables"
_DESCRIPTION = "description"
#: Longest sheet name Excel accepts.
_SHEET_MAX = 31
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_FILE_BAD = re.compile(r"[^A-Za-z0-9._-]+")
#: Control characters that cannot be stored in an xlsx cell (as in openpyxl).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

#: Descriptions of columns the package uses everywhere, used when the readme gives none.
COMMON_COLUMNS = {
    Col.N: "number of units (patients, courses or sessions) behind the row",
    Col.ESTIMATE: "point estimate",
    Col.CI_LOW: "lower end of the 95% confidence interval",
    Col.CI_HIGH: "upper end of the 95% confidence interval",
    Col.METHOD: "how the estimate and its interval were computed",
    NOTE_COLUMN: "why estimates of the row were withheld (disclosure control)",
}


@dataclass(frozen=True)
class ExportResult:
    """What :func:`write_tables` wrote.

    Attributes
    ----------
    xlsx : Path
        The workbook.
    csv : dict of str to Path
        One CSV per table, by table name.
    sheets : dict of str to str
        Sheet name of each table (at most 31 characters, unique).
    suppressions : DataFrame
        Every hidden cell of every table (columns as in
        :data:`outcomes.output.disclosure.SUPPRESSION_COLUMNS`), for the provenance section of
        reports.
    tables : dict of str to DataFrame
        The tables exactly as written.
    """

    xlsx: Path
    csv: dict[str, Path]
    sheets: dict[str, str]
    suppressions: pd.DataFrame
    tables: dict[str, pd.DataFrame]


def disclosure_rule(min_cell: int = 5) -> str:
    """The disclosure rule in plain words, for README sheets and report footers.

    Examples
    --------
    >>> disclosure_rule(5).split(".")[0]
    'Counts from 1 to 4 are shown as <5'
    """
    return (
        f"Counts from 1 to {min_cell - 1} are shown as {small_mark(min_cell)}. Where cells add "
        f"up to a total, or a count is shared with another table of the release, further cells "
        f"are shown as {SECONDARY_MARK} so that a hidden count cannot be worked out from the "
        f"release's other numbers. Estimates resting on fewer than {min_cell} units, or giving "
        f"a small count back, are left blank, and the column '{NOTE_COLUMN}' says why; counts "
        f"are taken out of text. A count of 0 is shown as 0."
    )


# --------------------------------------------------------------------------------- names
def _sheet_names(names: Sequence[str]) -> dict[str, str]:
    """Excel sheet names: no ``[]:*?/\\``, at most 31 characters, unique ignoring case."""
    taken = {README_SHEET.lower(), "history", PROVENANCE_SHEET}
    out = {}
    for name in names:
        base = _SHEET_BAD.sub("_", name).strip("'").strip() or "table"
        out[name] = _unique(base[:_SHEET_MAX], taken, _SHEET_MAX)
    return out


def _file_names(names: Sequence[str]) -> dict[str, str]:
    """CSV file stems: letters, digits, ``.``, ``_`` and ``-``; unique ignoring case."""
    taken: set[str] = set()
    out = {}
    for name in names:
        base = _FILE_BAD.sub("_", name).strip("._") or "table"
        out[name] = _unique(base[:100], taken, 100)
    return out


def _unique(base: str, taken: set[str], limit: int) -> str:
    candidate, k = base, 2
    while candidate.lower() in taken:
        suffix = f"~{k}"
        candidate, k = base[: limit - len(suffix)] + suffix, k + 1
    taken.add(candidate.lower())
    return candidate


# --------------------------------------------------------------------------------- tables
def _spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Drop control characters xlsx cannot hold; time zones to UTC (Excel has none)."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[c] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s) or \
                isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype(object).map(
                lambda v: _CONTROL.sub("", v) if isinstance(v, str) else v)
    return out.set_axis([_CONTROL.sub("", c) for c in out.columns], axis=1)


def _prepare(name, df, min_cell, margins, options):
    if not isinstance(df, pd.DataFrame):
        raise AnalysisError(f"write_tables(): table {name!r} must be a DataFrame, "
                            f"got {type(df).__name__}.")
    kwargs = dict(options.get(name, {}))
    if name in margins:
        kwargs["margins"] = margins[name]
    disclosed = disclose(flatten(df), min_cell, name=name, **kwargs)
    safe = neutralise_formulas(_spreadsheet_safe(disclosed.table))
    return safe, disclosed.suppressions


# --------------------------------------------------------------------------------- readme
#: The table of a release listing every suppression (cell, rule, table).
SUPPRESSIONS_TABLE = "suppressions"
_SUPPRESSIONS_TEXT = ("Every cell hidden (primary: a count below min_cell; secondary: hidden so "
                      "that another cannot be worked out), estimate withheld and text rewritten "
                      "in this release: table, spreadsheet row, row in words, column, rule "
                      "(never the hidden value)")


def _with_suppressions(readme):
    if isinstance(readme, pd.DataFrame):
        extra = pd.DataFrame([(SUPPRESSIONS_TABLE, "", _SUPPRESSIONS_TEXT)],
                             columns=[Col.TABLE, Col.COLUMN, _DESCRIPTION])
        return pd.concat([readme, extra], ignore_index=True)
    return {**readme, SUPPRESSIONS_TABLE: _SUPPRESSIONS_TEXT}


def _readme_frame(readme, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Normalise ``readme`` to columns table, column, description (column "" for the table)."""
    if isinstance(readme, pd.DataFrame):
        missing = {Col.TABLE, Col.COLUMN, _DESCRIPTION} - set(readme.columns)
        if missing:
            raise AnalysisError(
                f"write_tables(): a readme DataFrame needs columns table, column and "
                f"description; it lacks {sorted(missing)}.")
        frame = readme[[Col.TABLE, Col.COLUMN, _DESCRIPTION]].astype(object).fillna("")
    elif isinstance(readme, Mapping):
        frame = pd.DataFrame([(t, "", d) for t, d in readme.items()],
                             columns=[Col.TABLE, Col.COLUMN, _DESCRIPTION], dtype=object)
    else:
        raise AnalysisError(
            f"write_tables(): readme must be a dict (table -> description) or a DataFrame "
            f"(table, column, description), got {type(readme).__name__}.")
    frame = frame.astype(str)
    described = set(frame.loc[frame[Col.COLUMN] == "", Col.TABLE])
    undescribed = [t for t in tables if t not in described]
    if undescribed:
        raise AnalysisError(
            f"write_tables(): the readme describes no table named {undescribed}; give each "
            f"table a description, e.g. readme={{{undescribed[0]!r}: 'what one row is'}}.")
    return frame


def _readme_rows(frame, written, sheets, files, min_cell, order) -> list[list]:
    rows: list[list] = [
        ["About these tables", ""],
        ["Disclosure rule", disclosure_rule(min_cell)],
        ["min_cell", min_cell],
        [small_mark(min_cell), f"a count between 1 and {min_cell - 1}"],
        [SECONDARY_MARK, "a count hidden so that another cannot be worked out from a total"],
        ["Text cells", "text starting with = + - @ tab or carriage return begins with an "
                       "apostrophe, so that spreadsheet programs do not run it"],
        ["Headers", "each sheet's header row is in words; the CSV files (tables/*.csv) keep "
                    "the column codes for programs, and the rows below give both"],
        ["Number formats", "counts #,##0; shares (columns named share..., proportion..., "
                           "rate...) 0.0%; percentages 0.0; other whole numbers 0; other "
                           "numbers 0.000 (an estimate column holds the kind its row's "
                           "measure or unit says); blank cells are missing or withheld values"],
        ["Sheets", f"the short tables a paper prints first (at most {PAPER_ROWS} rows), then "
                   f"the long ones, then {SUPPRESSIONS_TABLE} and {PROVENANCE_SHEET} "
                   "(package, command, parameters, input checksums, time)"],
        [],
        ["sheet", "csv file", Col.TABLE, Col.COLUMN, _DESCRIPTION, "header", "number format"],
    ]
    text = {(t, c): d for t, c, d in frame.itertuples(index=False, name=None)}
    for name in order:
        df = written[name]
        csv_name = f"{_CSV_DIR}/{files[name]}.csv"
        rows.append([sheets[name], csv_name, name, "", text.get((name, ""), ""),
                     table_title(name), ""])
        for col, head in zip(df.columns, header_words(df.columns), strict=True):
            note = describe(name, str(col), text, COMMON_COLUMNS)
            rows.append([sheets[name], csv_name, name, str(col), note, head,
                         number_format(col, df[col]) or "text"])
    return rows


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    out_dir,
    *,
    readme: Mapping[str, str] | pd.DataFrame,
    min_cell: int = 5,
    margins: Mapping[str, Margin | Sequence[Margin]] | None = None,
    options: Mapping[str, Mapping] | None = None,
    published=None,
    exact: bool = False,
    provenance: Mapping | None = None,
) -> ExportResult:
    """Write tables to ``out_dir/tables.xlsx`` and ``out_dir/tables/<name>.csv``, safely.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Tables by name, in the order of the sheets. A meaningful index (named, or not a plain
        range) is written as columns. The tables are not modified.
    out_dir : str or Path
        Folder to write into (created if needed). Existing files of the same names are replaced;
        other files are left alone.
    readme : dict of str to str, or DataFrame
        What each table is: ``{name: description}``, or a DataFrame with columns ``table``,
        ``column``, ``description`` (``column`` blank for the table itself) to describe columns
        too. Columns the package uses everywhere (``n``, ``estimate``, ...) are described when
        the readme does not.
    min_cell : int, default 5
        Smallest count shown (see :func:`outcomes.output.disclosure.disclose`).
    margins : dict of str to margins, optional
        Per table, the :class:`~outcomes.output.disclosure.RowTotal` / ``ColumnTotal`` sums for
        secondary suppression.
    options : dict of str to dict, optional
        Per table, other keyword arguments of :func:`~outcomes.output.disclosure.disclose`
        (``count_columns``, ``estimate_columns``, ``unit_column``, ``ratio_columns``).
    published : Published, optional
        A release already decided (:meth:`outcomes.output.release.Release.publish`): its
        tables are written as they are (``tables`` must be ``published.tables``), and its
        suppressions as one more sheet and CSV, ``suppressions``.
    exact : bool, default False
        An internal output: the tables are written exactly (no disclosure control), and the
        README sheet and every CSV say so on their first line (:data:`INTERNAL_NOTICE`).
    provenance : dict, optional
        What made the tables, for the ``provenance`` sheet: ``command`` (text),
        ``parameters`` (dict) and ``checksums`` (input file -> SHA-256). The package version,
        min_cell and the time are always recorded.

    Returns
    -------
    ExportResult
        Paths written, sheet names, the combined suppressions table and the tables as written.

    Raises
    ------
    AnalysisError
        If a table is not a DataFrame, the readme is malformed or describes not every table,
        or :func:`~outcomes.output.disclosure.disclose` refuses a table.

    Notes
    -----
    In both files a count from 1 to ``min_cell - 1`` reads ``<5`` and a text cell starting with
    ``=``, ``+``, ``-``, ``@``, tab or carriage return starts with an apostrophe; numbers,
    negative ones included, stay numbers. Control characters that xlsx cannot hold are dropped
    from text in both files, so that the two agree. CSV files follow RFC 4180 (CRLF line ends,
    cells holding a line break quoted), in UTF-8 without a byte-order mark, with blank cells for
    missing values.

    Examples
    --------
    >>> import tempfile
    >>> t = pd.DataFrame({"condition": ["acne", "scars"], "n": [3, 12]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     res = write_tables({"courses": t}, d, readme={"courses": "courses by condition"})
    ...     print(pd.read_csv(res.csv["courses"])["n"].tolist())
    ['<5', '12']
    """
    margins = dict(margins or {})
    options = dict(options or {})
    unknown = sorted((set(margins) | set(options)) - set(tables))
    if unknown:
        raise AnalysisError(f"write_tables(): margins or options name tables {unknown} that "
                            f"are not among the tables {list(tables)}.")
    written, found = {}, []
    if published is not None:
        tables = {**published.tables, SUPPRESSIONS_TABLE: published.suppressions}
        readme = _with_suppressions(readme)
        for name, df in tables.items():
            written[name] = neutralise_formulas(_spreadsheet_safe(flatten(df)))
        found.append(published.suppressions)
    frame = _readme_frame(readme, tables)
    for name, df in tables.items() if published is None else ():
        if exact:
            written[name] = neutralise_formulas(_spreadsheet_safe(flatten(df)))
            continue
        written[name], supp = _prepare(name, df, min_cell, margins, options)
        found.append(supp)
    if published is None and not exact:
        listed = (pd.concat(found, ignore_index=True) if found
                  else pd.DataFrame(columns=SUPPRESSION_COLUMNS))
        written[SUPPRESSIONS_TABLE] = neutralise_formulas(_spreadsheet_safe(listed))
        frame = _readme_frame(_with_suppressions(frame), written)

    out_dir = Path(out_dir)
    (out_dir / _CSV_DIR).mkdir(parents=True, exist_ok=True)
    sheets, files = _sheet_names(list(written)), _file_names(list(written))
    csv_paths = {}
    for name, df in written.items():
        csv_paths[name] = out_dir / _CSV_DIR / f"{files[name]}.csv"
        # CRLF line ends (RFC 4180): the csv writer then quotes any cell holding CR or LF
        with open(csv_paths[name], "w", encoding="utf-8", newline="") as f:
            if exact:
                f.write(INTERNAL_NOTICE + "\r\n")
            df.to_csv(f, index=False, lineterminator="\r\n")
    xlsx = out_dir / _XLSX_NAME
    order = sheet_order(written, last=[SUPPRESSIONS_TABLE])
    rows = _readme_rows(frame, written, sheets, files, min_cell, order)
    if exact:
        rows = [[INTERNAL_NOTICE, ""], ["About these tables", "exact counts (internal)"],
                *rows[6:]]
    write_workbook(xlsx, rows, written, sheets, order,
                   (PROVENANCE_SHEET, provenance_rows(provenance, min_cell, exact)))

    suppressions = (pd.concat(found, ignore_index=True) if found
                    else pd.DataFrame(columns=SUPPRESSION_COLUMNS))
    return ExportResult(xlsx, csv_paths, sheets, suppressions, written)


def save_rejects(log, folder: str | Path) -> list[Path]:
    """Write ``<table>_rejects.csv`` for each table and ``warnings.csv`` into ``folder``.

    Files are written even when empty, so a run's output is predictable. Text cells that could
    be read as spreadsheet formulas are neutralised.

    Parameters
    ----------
    log : SessionLog
        A loaded bundle (its :meth:`~outcomes.SessionLog.reject_files`).
    folder : str or Path
        Created if needed; written as one set (:class:`outcomes.output.folder.OutputSet`).

    Returns
    -------
    list of Path
        The files written.
    """
    output = OutputSet(folder, known=["*_rejects.csv", "warnings.csv"])
    with output as staging:
        written = []
        for name, df in log.reject_files().items():
            path = staging / name
            neutralise_formulas(df).to_csv(path, index=False)
            written.append(path)
    return [output.final(p) for p in written]
