"""Statistical disclosure control, applied to every table that leaves the package.

A table of counts drawn from a dozen patients can point at one of them: "1 patient of Fitzpatrick
type VI had a scar". :func:`disclose` makes such tables safe to share, by three rules.

1. **Primary suppression.** A count between 1 and ``min_cell - 1`` is shown as the text
   ``"<5"`` (for ``min_cell=5``). A count of 0 is shown as 0: it names nobody, and hiding every
   zero would hide most of a sparse table (see Notes of :func:`disclose`).
2. **Secondary (complementary) suppression.** Where cells add up to a total (``margins``), a
   hidden cell that is the only hidden one of its sum could be worked out by subtraction. The
   smallest other cell of that sum is hidden too (shown as ``"*"``), and this is repeated over all
   sums, rows and columns, until no sum has exactly one hidden cell.
3. **Withheld estimates.** In a row whose unit count (``n``) is below ``min_cell`` or unknown,
   estimates (``estimate``, ``ci_low``, ``ci_high``, ``mean``, ``median``, ``share...``) are left
   blank, and the ``suppressed`` column says why. A share (``share...``, ``proportion...``,
   ``pct...``, ``rate...``) is also withheld in a row where any count is hidden, since a share times
   ``n`` gives the hidden count back.

Every hidden cell is listed in a tidy ``suppressions`` table (which table, row and column, and
why, never the hidden value) for the provenance section of reports.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..stats.result import Col

__all__ = [
    "Disclosed",
    "flatten",
    "RowTotal",
    "ColumnTotal",
    "disclose",
    "assert_no_small_counts",
    "is_count_column",
    "is_estimate_column",
    "small_mark",
    "PRIMARY",
    "SECONDARY",
    "WITHHELD",
    "SECONDARY_MARK",
    "NOTE_COLUMN",
    "ROW_LABEL",
    "SUPPRESSION_COLUMNS",
]

#: Reasons in the ``reason`` column of the suppressions table.
PRIMARY, SECONDARY, WITHHELD = "primary", "secondary", "withheld estimate"
#: What a cell hidden by secondary suppression shows.
SECONDARY_MARK = "*"
#: Column added to a table in which estimates were withheld, saying why for each row.
NOTE_COLUMN = "suppressed"
#: Column of the suppressions table naming the row in words.
ROW_LABEL = "row_label"
#: Columns of the suppressions table, in order.
SUPPRESSION_COLUMNS = [Col.TABLE, Col.ROW, ROW_LABEL, Col.COLUMN, Col.REASON, Col.MESSAGE]

#: Column names (exact) that hold estimates.
ESTIMATE_NAMES = frozenset({
    Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH, "se", "sd", "std", "mean", "median",
    "q1", "q3", "iqr", "min", "max",
})
#: Column-name prefixes of estimates that are shares of a count (withheld with any hidden count).
RATIO_PREFIXES = ("share", "proportion", "pct", "percent", "rate")
#: Column-name prefixes of other estimates.
ESTIMATE_PREFIXES = ("mean_", "median_", *RATIO_PREFIXES)


def flatten(df: pd.DataFrame) -> pd.DataFrame:
    """Index to columns when it means something; column labels to text."""
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        df = df.reset_index()
    columns = [" ".join(str(x) for x in c if str(x)) if isinstance(c, tuple) else str(c)
               for c in df.columns]
    if columns != list(df.columns):
        df = df.set_axis(columns, axis=1)
    return df


def small_mark(min_cell: int) -> str:
    """Text shown in place of a count between 1 and ``min_cell - 1``.

    Examples
    --------
    >>> small_mark(5)
    '<5'
    """
    return f"<{min_cell}"


def is_count_column(name) -> bool:
    """True for a column named ``n`` or starting with ``n_`` (the package's count columns).

    Examples
    --------
    >>> [is_count_column(c) for c in ("n", "n_events", "name", "estimate")]
    [True, True, False, False]
    """
    name = str(name)
    return name == Col.N or name.startswith("n_")


def is_estimate_column(name) -> bool:
    """True for a column whose name says it holds an estimate (``estimate``, ``ci_low``, ...).

    Examples
    --------
    >>> [is_estimate_column(c) for c in ("estimate", "ci_high", "share_resolved", "n")]
    [True, True, True, False]
    """
    name = str(name)
    return name in ESTIMATE_NAMES or name.startswith(ESTIMATE_PREFIXES)


def _is_ratio_column(name) -> bool:
    return str(name).startswith(RATIO_PREFIXES)


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class RowTotal:
    """Rows that add up to a total row, column by column.

    Within each group of rows sharing the values of ``by`` (the whole table when ``by`` is
    empty), the count columns of the rows whose ``column`` is not ``label`` add up to the one row
    whose ``column`` is ``label``.

    Parameters
    ----------
    column : str
        Column holding the total row's label.
    label : object, default "all"
        Value of ``column`` on the total row.
    by : str or sequence of str, optional
        Columns defining the groups (e.g. ``"condition"`` for one total per condition).
    counts : sequence of str, optional
        Count columns that add up; all count columns of the table when omitted.

    Examples
    --------
    Severity counts per condition, with a row ``severity="all"`` per condition:

    >>> RowTotal("severity", "all", by="condition")
    RowTotal(column='severity', label='all', by=('condition',), counts=None)
    """

    column: str
    label: object = "all"
    by: tuple[str, ...] = ()
    counts: tuple[str, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "by", _as_tuple(self.by))
        if self.counts is not None:
            object.__setattr__(self, "counts", _as_tuple(self.counts))


@dataclass(frozen=True)
class ColumnTotal:
    """A count column that is the sum of other count columns, row by row.

    Parameters
    ----------
    total : str
        The column holding the sum, e.g. ``"n"``.
    parts : sequence of str
        The columns that add up to it, e.g. ``("n_events", "n_no_events")``.

    Examples
    --------
    >>> ColumnTotal("n", ["n_events", "n_no_events"])
    ColumnTotal(total='n', parts=('n_events', 'n_no_events'))
    """

    total: str
    parts: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "parts", _as_tuple(self.parts))


Margin = RowTotal | ColumnTotal


class Disclosed(NamedTuple):
    """What :func:`disclose` returns.

    Attributes
    ----------
    table : DataFrame
        The table safe to export: same rows, index and columns (plus ``suppressed`` when an
        estimate was withheld). Count columns with a hidden cell become ``object`` columns
        holding integers and the marks ``"<5"`` / ``"*"``.
    suppressions : DataFrame
        One row per hidden cell, columns ``table``, ``row`` (spreadsheet row of the exported
        table: the header is row 1), ``row_label`` (the row's key values in words), ``column``,
        ``reason`` (``primary``, ``secondary`` or ``withheld estimate``) and ``message``.
    """

    table: pd.DataFrame
    suppressions: pd.DataFrame


# --------------------------------------------------------------------------------- values
class _Counts:
    """The count cells of a table as numbers, with the cells hidden so far."""

    def __init__(self, df: pd.DataFrame, columns: Sequence[str], min_cell: int):
        self.columns = list(columns)
        self.values: dict[str, np.ndarray] = {}
        self.premasked: set[tuple[int, str]] = set()
        self.small: set[tuple[int, str]] = set()
        for c in self.columns:
            raw = df[c].astype(object)
            masked = raw.map(_is_mark).to_numpy(bool)
            self.values[c] = pd.to_numeric(raw.where(~masked), errors="coerce").to_numpy(float)
            for i in np.flatnonzero(masked):
                self.premasked.add((int(i), c))
                if str(raw.iloc[i]).startswith("<"):
                    self.small.add((int(i), c))
        self.hidden: dict[tuple[int, str], str] = {}
        self.min_cell = min_cell

    def value(self, cell: tuple[int, str]) -> float:
        return self.values[cell[1]][cell[0]]

    def is_hidden(self, cell) -> bool:
        return cell in self.hidden or cell in self.premasked


def _is_mark(v) -> bool:
    return isinstance(v, str) and (v.startswith("<") or v == SECONDARY_MARK)


# --------------------------------------------------------------------------------- margins
def _check_columns(df: pd.DataFrame, names: Iterable[str], what: str) -> None:
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise AnalysisError(
            f"disclose(): {what} names columns {missing} that the table does not have; "
            f"its columns are {list(df.columns)}.")


def _margin_columns(margins: Sequence[Margin]) -> list[str]:
    out: list[str] = []
    for m in margins:
        cols = [m.total, *m.parts] if isinstance(m, ColumnTotal) else list(m.counts or ())
        out.extend(c for c in cols if c not in out)
    return out


def _column_groups(df: pd.DataFrame, m: ColumnTotal) -> list[list[tuple[int, str]]]:
    _check_columns(df, [m.total, *m.parts], f"ColumnTotal({m.total!r})")
    return [[(i, m.total), *((i, p) for p in m.parts)] for i in range(len(df))]


def _row_groups(df: pd.DataFrame, m: RowTotal, counts: Sequence[str]):
    _check_columns(df, [m.column, *m.by, *(m.counts or ())], f"RowTotal({m.column!r})")
    columns = list(m.counts) if m.counts is not None else list(counts)
    positions = pd.RangeIndex(len(df))
    if m.by:
        keys = [df[b].astype(object).to_numpy() for b in m.by]
        parts = pd.Series(positions).groupby(keys, dropna=False, sort=False)
        blocks = [list(g) for _, g in parts]
    else:
        blocks = [list(positions)]
    is_total = (df[m.column].astype(object) == m.label).to_numpy(bool)
    groups = []
    for rows in blocks:
        totals = [i for i in rows if is_total[i]]
        if len(totals) > 1:
            raise AnalysisError(
                f"disclose(): RowTotal({m.column!r}, {m.label!r}) expects one total row per "
                f"group of {list(m.by) or 'the whole table'}, found {len(totals)} "
                f"(table rows {[i + 2 for i in totals]}).")
        if totals:
            groups.extend([(i, c) for i in rows] for c in columns)
    return groups


def _groups(df: pd.DataFrame, margins: Sequence[Margin], counts: Sequence[str]):
    groups = []
    for m in margins:
        if isinstance(m, ColumnTotal):
            groups.extend(_column_groups(df, m))
        else:
            groups.extend(_row_groups(df, m, counts))
    return groups


# --------------------------------------------------------------------------------- rules
def _primary(counts: _Counts) -> None:
    for c in counts.columns:
        for i, v in enumerate(counts.values[c]):
            if 0 < v < counts.min_cell:
                counts.hidden[(i, c)] = PRIMARY


def _is_open(group, counts: _Counts) -> bool:
    """A sum is open when exactly one of its cells is hidden: subtraction would reveal it."""
    return sum(counts.is_hidden(cell) for cell in group) == 1


def _complement(group, counts: _Counts, open_sums):
    """The visible cell of ``group`` to hide next, or None when there is none.

    Non-zero cells come first (a zero only when nothing else is left); among them, the cell that
    closes the most open sums at once, then the smallest.
    """
    visible = [cell for cell in group
               if not counts.is_hidden(cell) and not math.isnan(counts.value(cell))]
    pool = [cell for cell in visible if counts.value(cell) > 0] or visible
    if not pool:
        return None
    return min(pool, key=lambda cell: (-open_sums(cell), counts.value(cell)))


def _secondary(counts: _Counts, groups) -> None:
    member: dict[tuple[int, str], list[int]] = {}
    for k, group in enumerate(groups):
        for cell in group:
            member.setdefault(cell, []).append(k)

    def open_sums(cell) -> int:
        return sum(_is_open(groups[k], counts) for k in member[cell])

    # the open sum with the smallest number first; a sum can only open when one of its cells
    # is hidden, so after each hidden cell only the sums holding it are looked at again
    heap = [k for k, g in enumerate(groups) if _is_open(g, counts)]
    heapq.heapify(heap)
    while heap:
        k = heapq.heappop(heap)
        if not _is_open(groups[k], counts):
            continue
        cell = _complement(groups[k], counts, open_sums)
        if cell is None:
            continue  # nothing visible is left to hide in this sum
        counts.hidden[cell] = SECONDARY
        for j in member[cell]:
            heapq.heappush(heap, j)


def _estimate_columns(df, counts, estimate_columns, ratio_columns):
    if estimate_columns is None:
        est = [c for c in df.columns if is_estimate_column(c) and c not in counts]
    else:
        _check_columns(df, estimate_columns, "estimate_columns")
        est = list(estimate_columns)
    if ratio_columns is None:
        ratio = [c for c in est if _is_ratio_column(c)]
    else:
        _check_columns(df, ratio_columns, "ratio_columns")
        ratio = list(ratio_columns)
    return est, ratio


def _withheld(df, counts: _Counts, est, ratio, unit_column, min_cell):
    """Return {(row, column): message} of estimate cells to blank."""
    out: dict[tuple[int, str], str] = {}
    if not est:
        return out
    if unit_column is not None and unit_column not in df.columns:
        raise AnalysisError(
            f"disclose(): the table has estimate columns {est} but no unit-count column "
            f"{unit_column!r} to check them against min_cell. Add the count of units behind each "
            f"estimate, or name it with unit_column=..., or pass unit_column=None if the "
            f"estimates do not rest on counts of patients, courses or sessions.")
    present = {c: df[c].notna().to_numpy(bool) for c in est}
    hidden_rows = {i for (i, _c) in counts.hidden} | {i for (i, _c) in counts.premasked}
    reasons = _unit_reasons(df, counts, unit_column, min_cell)
    for i in range(len(df)):
        for c in est:
            if not present[c][i]:
                continue
            if reasons[i]:
                out[(i, c)] = reasons[i]
            elif c in ratio and i in hidden_rows:
                out[(i, c)] = f"{c} withheld: a count in this row is suppressed"
    return out


def _unit_reasons(df, counts: _Counts, unit_column, min_cell) -> list[str | None]:
    """Per row, why its estimates are withheld by the unit count (None: they are not)."""
    if unit_column is None:
        return [None] * len(df)
    if unit_column in counts.values:
        values = counts.values[unit_column]
    else:
        values = pd.to_numeric(df[unit_column].astype(object), errors="coerce").to_numpy(float)
    below = f"estimates withheld: {unit_column} below {min_cell}"
    out: list[str | None] = []
    for i, v in enumerate(values):
        if (i, unit_column) in counts.premasked:
            out.append(below if (i, unit_column) in counts.small else None)
        elif math.isnan(v):
            out.append(f"estimates withheld: {unit_column} unknown")
        else:
            out.append(below if v < min_cell else None)
    return out


# --------------------------------------------------------------------------------- output
def _label_columns(df, skip) -> list:
    out = []
    for c in df.columns:
        if c in skip:
            continue
        s = df[c]
        if pd.api.types.is_float_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        out.append(c)
    return out


def _row_labels(df: pd.DataFrame, skip, rows: Iterable[int]) -> dict[int, str]:
    """The key values of the given rows in words, e.g. ``"condition=acne, event=pih"``."""
    rows = sorted(set(rows))
    if not rows:
        return {}
    cols = _label_columns(df, skip)
    index_names = [n for n in df.index.names if n is not None]
    values = {c: df[c].astype(object).to_numpy() for c in cols}
    labels = {}
    for i in rows:
        parts = []
        if index_names:
            key = df.index[i] if len(index_names) > 1 else (df.index[i],)
            parts.extend(f"{n}={v}" for n, v in zip(index_names, key, strict=False))
        parts.extend(f"{c}={values[c][i]}" for c in cols)
        labels[i] = ", ".join(parts) if parts else f"row {i + 1}"
    return labels


def _as_count(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating) and float(v).is_integer():
        return int(v)
    return v


def _apply(df: pd.DataFrame, counts: _Counts, withheld, min_cell) -> pd.DataFrame:
    out = df.copy()
    touched = {c for (_i, c) in counts.hidden}
    for c in counts.columns:
        if c not in touched:
            continue
        values = [_as_count(v) for v in out[c].astype(object)]
        for (i, cc), reason in counts.hidden.items():
            if cc == c:
                values[i] = small_mark(min_cell) if reason == PRIMARY else SECONDARY_MARK
        out[c] = pd.Series(values, index=out.index, dtype=object)
    for (i, c) in withheld:
        col = out[c]
        if pd.api.types.is_integer_dtype(col) or pd.api.types.is_bool_dtype(col):
            col = col.astype(float)
        elif not pd.api.types.is_float_dtype(col):
            col = col.astype(object)
        col.iloc[i] = np.nan
        out[c] = col
    if withheld:
        out[NOTE_COLUMN] = _notes(out, withheld)
    return out


def _notes(out: pd.DataFrame, withheld) -> list[str]:
    per_row: dict[int, list[str]] = {}
    for (i, _c), msg in withheld.items():
        per_row.setdefault(i, [])
        if msg not in per_row[i]:
            per_row[i].append(msg)
    old = out[NOTE_COLUMN] if NOTE_COLUMN in out.columns else pd.Series([""] * len(out))
    notes = []
    for i in range(len(out)):
        parts = [str(old.iloc[i])] if isinstance(old.iloc[i], str) and old.iloc[i] else []
        parts.extend(m for m in per_row.get(i, []) if m not in parts)
        notes.append("; ".join(parts))
    return notes


def _records(name, columns, counts: _Counts, withheld, labels, min_cell) -> pd.DataFrame:
    position = {c: j for j, c in enumerate(columns)}

    def order(cell):
        return cell[0], position[cell[1]]

    rows = []
    for (i, c), reason in sorted(counts.hidden.items(), key=lambda kv: order(kv[0])):
        msg = (f"count between 1 and {min_cell - 1} shown as {small_mark(min_cell)}"
               if reason == PRIMARY else
               f"hidden as {SECONDARY_MARK} so that a suppressed cell cannot be worked out "
               f"from a total")
        rows.append((name, i + 2, labels[i], str(c), reason, msg))
    for (i, c), msg in sorted(withheld.items(), key=lambda kv: order(kv[0])):
        rows.append((name, i + 2, labels[i], str(c), WITHHELD, msg))
    return _suppression_frame(rows)


def _suppression_frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=SUPPRESSION_COLUMNS)
    df[Col.ROW] = df[Col.ROW].astype("int64")
    for c in SUPPRESSION_COLUMNS:
        if c != Col.ROW:
            df[c] = df[c].astype("str")
    return df


# --------------------------------------------------------------------------------- API
def _check_min_cell(min_cell) -> int:
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) or min_cell < 1:
        raise AnalysisError(
            f"disclose(): min_cell must be a whole number of at least 1, got {min_cell!r}.")
    return int(min_cell)


def _normalise_margins(margins) -> list[Margin]:
    if margins is None:
        return []
    if isinstance(margins, RowTotal | ColumnTotal):
        return [margins]
    out = list(margins)
    bad = [m for m in out if not isinstance(m, RowTotal | ColumnTotal)]
    if bad:
        raise AnalysisError(
            f"disclose(): margins must be RowTotal or ColumnTotal objects, got {bad!r}.")
    return out


def disclose(
    table: pd.DataFrame,
    min_cell: int = 5,
    *,
    count_columns: Sequence[str] | None = None,
    estimate_columns: Sequence[str] | None = None,
    unit_column: str | None = Col.N,
    margins: Margin | Sequence[Margin] | None = None,
    ratio_columns: Sequence[str] | None = None,
    name: str = "",
) -> Disclosed:
    """Hide the cells of ``table`` that could point at a patient.

    Parameters
    ----------
    table : DataFrame
        A table about to be exported (never modified).
    min_cell : int, default 5
        Smallest count shown. Counts from 1 to ``min_cell - 1`` are shown as ``"<min_cell"``.
    count_columns : sequence of str, optional
        Columns holding counts. Default: those named ``n`` or starting with ``n_``, plus any
        column named in ``margins``.
    estimate_columns : sequence of str, optional
        Columns holding estimates. Default: ``estimate``, ``ci_low``, ``ci_high``, ``se``,
        ``sd``, ``std``, ``mean``, ``median``, ``q1``, ``q3``, ``iqr``, ``min``, ``max`` and those
        starting with ``mean_``, ``median_``, ``share``, ``proportion``, ``pct``, ``percent`` or
        ``rate``.
    unit_column : str or None, default "n"
        Count of units (patients, courses, sessions) behind each row's estimates. Estimates of
        a row where it is below ``min_cell`` or missing are withheld. ``None``: no such check
        (for estimates that do not rest on counts).
    margins : RowTotal, ColumnTotal or a sequence of them, optional
        Which cells add up to which totals, for secondary suppression.
    ratio_columns : sequence of str, optional
        Estimates that are shares of a count and are withheld in any row with a hidden count.
        Default: estimate columns starting with ``share``, ``proportion``, ``pct``, ``percent``
        or ``rate``.
    name : str, optional
        Name of the table in the suppressions table.

    Returns
    -------
    Disclosed
        ``table``: the safe table; ``suppressions``: one row per hidden cell (see
        :class:`Disclosed`).

    Raises
    ------
    AnalysisError
        If ``min_cell`` is not a whole number >= 1, a named column is missing, a group of a
        :class:`RowTotal` has more than one total row, or the table has estimates but no
        ``unit_column``.

    Notes
    -----
    *Zeros.* A count of 0 is shown: it names nobody, and suppressing zeros would blank most of
    a sparse table. A zero can still tell that *all* of a group share a trait (a group of 7 with
    0 "no event" had 7 events); such group disclosure is accepted here, as in most published
    rules for health statistics. Zeros are chosen for secondary suppression only when a sum has
    no other visible cell.

    *Secondary suppression.* Each margin gives sums: a :class:`ColumnTotal` one per row, a
    :class:`RowTotal` one per group and count column. A sum is *open* when exactly one of its
    cells is hidden. Until no sum is open: take the first open sum and hide one of its visible
    non-zero cells, the one that closes the most open sums at once, and among those the
    smallest. A total is never smaller than its parts, so a part goes before the total. This is
    a greedy rule, not an optimal one: it may hide more than strictly needed, never less for the
    sums declared. Sums not declared (for example between two exported tables) are not
    protected; a sum whose other cells are all hidden or blank cannot be closed and is left.

    *Estimates.* An ``estimate`` that is a share of a hidden count can still give it back; name
    such columns ``share...`` or list them in ``ratio_columns``.

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["a", "b", "all"], "n": [3, 9, 12]})
    >>> out = disclose(t, margins=RowTotal("group", "all"), name="demo")
    >>> out.table["n"].tolist()
    ['<5', '*', 12]
    >>> out.suppressions[["row_label", "column", "reason"]].values.tolist()
    [['group=a', 'n', 'primary'], ['group=b', 'n', 'secondary']]
    """
    if not isinstance(table, pd.DataFrame):
        raise AnalysisError(f"disclose(): expected a DataFrame, got {type(table).__name__}.")
    min_cell = _check_min_cell(min_cell)
    margins = _normalise_margins(margins)
    if count_columns is None:
        counts_cols = [c for c in table.columns if is_count_column(c)]
    else:
        _check_columns(table, count_columns, "count_columns")
        counts_cols = list(count_columns)
    extra = _margin_columns(margins)
    _check_columns(table, extra, "margins")
    counts_cols += [c for c in extra if c not in counts_cols]

    counts = _Counts(table, counts_cols, min_cell)
    _primary(counts)
    _secondary(counts, _groups(table, margins, counts_cols))
    est, ratio = _estimate_columns(table, counts_cols, estimate_columns, ratio_columns)
    withheld = _withheld(table, counts, est, ratio, unit_column, min_cell)

    labels = _row_labels(table, set(counts_cols) | set(est) | {NOTE_COLUMN},
                         [i for (i, _c) in [*counts.hidden, *withheld]])
    return Disclosed(_apply(table, counts, withheld, min_cell),
                     _records(name, list(table.columns), counts, withheld, labels,
                              min_cell))


def assert_no_small_counts(
    df: pd.DataFrame, min_cell: int = 5, *, count_columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return the count cells of ``df`` holding a number between 1 and ``min_cell - 1``.

    For tests of reports and exports: the result is empty when the table is safe. Works on
    tables read back from CSV (numbers as text are parsed).

    Parameters
    ----------
    df : DataFrame
        A table as exported.
    min_cell : int, default 5
    count_columns : sequence of str, optional
        Default: columns named ``n`` or starting with ``n_``.

    Returns
    -------
    DataFrame
        Columns ``row`` (spreadsheet row: the header is row 1), ``column`` and ``value``.

    Examples
    --------
    >>> bad = pd.DataFrame({"n": [12, 3], "n_events": ["<5", "0"]})
    >>> assert_no_small_counts(bad).values.tolist()
    [[3, 'n', 3.0]]
    """
    min_cell = _check_min_cell(min_cell)
    cols = ([c for c in df.columns if is_count_column(c)] if count_columns is None
            else list(count_columns))
    rows = []
    for c in cols:
        values = pd.to_numeric(df[c].astype(object), errors="coerce").to_numpy(float)
        for i in np.flatnonzero((values > 0) & (values < min_cell)):
            rows.append((int(i) + 2, str(c), float(values[i])))
    out = pd.DataFrame(rows, columns=[Col.ROW, Col.COLUMN, Col.VALUE])
    return out.astype({Col.ROW: "int64", Col.COLUMN: "str", Col.VALUE: "float64"})
