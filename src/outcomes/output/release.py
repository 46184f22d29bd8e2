"""One disclosure decision per count, across every table of a release.

A *release* is everything meant to leave the clinic at once: the report's HTML, workbook, CSVs
and PDF, the audit with ``--release``, ``outcomes claims --release``, the dashboard's exports.
:func:`outcomes.output.disclosure.disclose` protects one table at a time; a :class:`Release`
protects the set, because an attacker reads all of it together:

1. **Primary.** A count from 1 to ``min_cell - 1`` is shown as ``<min_cell``.
2. **Secondary, release-wide.** The linear relations the package knows between counts (a
   :class:`~outcomes.output.disclosure.ColumnTotal` inside a row, a :class:`Sum` of rows, the
   :class:`Same` count repeated on several rows, a :class:`Link` between two tables, the
   Kaplan-Meier :class:`Chain` of an at-risk table) form one registry. A relation with exactly
   one hidden cell is closed by hiding another of its cells (``*``), and then each primary cell
   is *attacked*: its least and greatest values given every shown number and every relation are
   solved as linear programs (``scipy.optimize.linprog``, as sdcTable's ``attack()``); a cell
   whose range holds fewer than two values of 1 ... ``min_cell - 1`` gets a further cell of its
   relations hidden, until none is pinned. A relation that does not hold on the exact tables is
   not used (it could not be an attacker's either).
3. **Estimates.** In a row with a hidden count, or resting on fewer than ``min_cell`` units,
   every estimate is withheld (a share times ``n`` gives the count back).
4. **Text.** Counts never reach a release through text: in ``method``, ``reason``, ``details``,
   ``note`` and the like (:data:`TEXT_COLUMNS`), a parenthesis of counts ("(5 courses from 4
   patients)") and an at-risk clause are dropped, a number below ``min_cell`` beside a unit word
   ("only 3 courses", "censored: 2") becomes ``<min_cell``, and in a row with a hidden cell
   every number of such text is replaced by ``…`` (:func:`scrub_text`).

Every hidden cell, withheld estimate and rewritten text is listed in :attr:`Published.suppressions`
(table, spreadsheet row, row in words, column, rule).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..stats.result import Col
from .disclosure import (
    NOTE_COLUMN,
    PRIMARY,
    SECONDARY,
    SECONDARY_MARK,
    WITHHELD,
    ColumnTotal,
    RowTotal,
    _row_labels,
    _suppression_frame,
    flatten,
    is_count_column,
    is_estimate_column,
    small_mark,
)

__all__ = ["Release", "Published", "Same", "Sum", "Link", "Chain", "CountRows", "scrub_text",
           "find_small_counts", "TEXT_COLUMNS", "UNIT_WORDS", "TEXT", "Relation"]

#: Reason in the suppressions table for a text cell rewritten.
TEXT = "text"
#: Columns holding the package's own words about a row (never the documents' quotes).
TEXT_COLUMNS = frozenset({"method", "reason", "details", "note", "notes", "message", "what",
                          NOTE_COLUMN, "comment", "why"})
#: Words naming what a count counts (singular and plural are both matched).
UNIT_WORDS = ("patient", "course", "event", "session", "cluster", "unit", "row", "value",
              "group", "assessment", "clinic", "operator", "case", "df", "censored",
              "resolved", "reached", "at risk", "adherent", "nonadherent", "exposed",
              "unexposed", "sample", "observation", "day")
_UNIT = r"(?:" + "|".join(re.escape(w) + r"s?" for w in UNIT_WORDS) + r")"
_NUM = r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\d)"
#: "3 independent events", "4 at risk", "2 clusters"
_BEFORE = re.compile(
    rf"(?<!at least )(?<!at most )({_NUM})(\s+(?:[a-z-]+\s+){{0,2}}?){_UNIT}\b", re.I)
#: "censored: 3", "courses_reaching_band: 6", "only 3", "effective n 1.7"
_AFTER = re.compile(rf"\b((?:{_UNIT}[a-z_]*\s*:|only|got|effective n|n\s*=)\s*)({_NUM})", re.I)
#: a parenthesis holding a count of units: "(24 courses from 19 patients)"
_PAREN = re.compile(rf"\s*\((?=[^()]*?\d+\s+(?:[a-z-]+\s+){{0,2}}?{_UNIT}\b)[^()]*\)", re.I)
#: an at-risk clause: "; 8 at risk"
_AT_RISK = re.compile(r"[;,]?\s*\b\d+\s+at risk\b", re.I)
_ANY_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ELLIPSIS = "…"


def _small(match_number: str, min_cell: int) -> bool:
    try:
        v = float(match_number)
    except ValueError:
        return False
    return 0 < v < min_cell


def scrub_text(text, min_cell: int = 5, *, protected: bool = False):
    """Text of a release without a count that could point at a patient.

    Parameters
    ----------
    text : object
        A cell's value; anything but a non-empty string is returned unchanged.
    min_cell : int, default 5
    protected : bool, default False
        The row has a hidden count or a withheld estimate: every number goes (``…``).

    Returns
    -------
    object
        The text rewritten (or the value unchanged).

    Examples
    --------
    >>> scrub_text("Wilson score (5 courses from 4 patients)")
    'Wilson score'
    >>> scrub_text("only 3 courses; a verdict needs at least 10")
    'only <5 courses; a verdict needs at least 10'
    >>> scrub_text("censored: 2; courses_reaching_band: 6")
    'censored: <5; courses_reaching_band: 6'
    >>> scrub_text("mean_improvement: 0.333", protected=True)
    'mean_improvement: …'
    """
    if not isinstance(text, str) or not text:
        return text
    out = _PAREN.sub("", text)
    out = _AT_RISK.sub("", out)
    mark = small_mark(min_cell)
    out = _BEFORE.sub(lambda m: (mark if _small(m.group(1), min_cell) else m.group(1))
                      + m.group(0)[len(m.group(1)):], out)
    out = _AFTER.sub(lambda m: m.group(1) + (mark if _small(m.group(2), min_cell)
                                              else m.group(2)), out)
    if protected:
        out = _ANY_NUMBER.sub(_ELLIPSIS, out.replace(mark, "\0")).replace("\0", mark)
    return out.strip()


def find_small_counts(text, min_cell: int = 5) -> list[str]:
    """The phrases of ``text`` giving a number from 1 to ``min_cell - 1`` beside a unit word.

    For tests of release files: empty when the text is safe.

    Examples
    --------
    >>> find_small_counts("(3 independent events, 12 events); censored: 2")
    ['3 independent events', 'censored: 2']
    >>> find_small_counts("(<5 courses); at least 10 courses")
    []
    """
    if not isinstance(text, str):
        return []
    found = [m.group(0) for m in _BEFORE.finditer(text) if _small(m.group(1), min_cell)]
    found += [m.group(0) for m in _AFTER.finditer(text) if _small(m.group(2), min_cell)]
    return found


# ------------------------------------------------------------------------------ relations
def _tuple(v) -> tuple:
    if v is None:
        return ()
    return (v,) if isinstance(v, str) else tuple(v)


@dataclass(frozen=True)
class Same:
    """A count repeated on every row of a group: ``columns`` are constant within ``by``.

    Examples
    --------
    >>> Same(["n", "n_resolved"], by="event")
    Same(columns=('n', 'n_resolved'), by=('event',))
    """

    columns: tuple
    by: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "columns", _tuple(self.columns))
        object.__setattr__(self, "by", _tuple(self.by))


@dataclass(frozen=True)
class Sum:
    """Rows adding up to a total row: within each group of ``by``, for each of ``counts``, the
    row whose ``column`` is ``total`` holds the sum of the rows whose ``column`` is in ``parts``
    (every other row when ``parts`` is None).

    Examples
    --------
    >>> Sum("group", "I–III", ["I", "II", "III"], by="outcome", counts=["n"]).parts
    ('I', 'II', 'III')
    """

    column: str
    total: object
    parts: tuple | None = None
    by: tuple = ()
    counts: tuple = ()

    def __post_init__(self):
        if self.parts is not None:
            object.__setattr__(self, "parts", _tuple(self.parts))
        object.__setattr__(self, "by", _tuple(self.by))
        object.__setattr__(self, "counts", _tuple(self.counts))


@dataclass(frozen=True)
class Chain:
    """An at-risk table: within ``by``, ordered by ``order``, the next row's ``at_risk`` is this
    row's ``at_risk`` less its ``leaving`` counts (events and censored).

    Examples
    --------
    >>> chain = Chain("n_at_risk", ["n_reached", "n_censored"], by="condition",
    ...               order="after_session")
    >>> chain.leaving, chain.by
    (('n_reached', 'n_censored'), ('condition',))
    """

    at_risk: str
    leaving: tuple
    by: tuple = ()
    order: str = ""

    def __post_init__(self):
        object.__setattr__(self, "leaving", _tuple(self.leaving))
        object.__setattr__(self, "by", _tuple(self.by))


@dataclass(frozen=True)
class Link:
    """A count shared with another table of the release: ``column`` of this table's rows equals
    ``other_column`` of the rows of ``other`` with the same keys (``on``: this table's key
    column -> the other's), restricted to rows matching ``where`` / ``other_where``.

    Examples
    --------
    >>> Link("n", "incidence", "n_events", on={"event": "event"}).other
    'incidence'
    """

    column: str
    other: str
    other_column: str
    on: Mapping = field(default_factory=dict)
    where: Mapping = field(default_factory=dict)
    other_where: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class CountRows:
    """Rows whose ``value`` column holds a count: those whose ``column`` starts with ``prefix``
    (e.g. ``measure = n_courses`` in the outcomes table).

    Examples
    --------
    >>> CountRows("measure", "n_", "estimate").prefix
    'n_'
    """

    column: str
    prefix: str
    value: str = Col.ESTIMATE


Rule = ColumnTotal | RowTotal | Same | Sum | Chain | Link


class Relation(NamedTuple):
    """One linear relation between count cells: ``sum(coef * cell) == 0``; a cell is
    ``(table, position, column)``."""

    cells: tuple
    coefs: tuple
    rule: str


# ------------------------------------------------------------------------------ published
class Published(NamedTuple):
    """What :meth:`Release.publish` returns.

    Attributes
    ----------
    tables : dict of str to DataFrame
        The tables safe to release, in the order added.
    suppressions : DataFrame
        Every hidden cell, withheld estimate and rewritten text (columns
        :data:`~outcomes.output.disclosure.SUPPRESSION_COLUMNS`).
    relations : list of Relation
        The relations used (those holding on the exact tables), for an attacker's test.
    hidden : dict
        ``(table, position, column) -> rule`` for every count cell hidden.
    pinned : int
        Primary cells still pinned after the attack (0 unless nothing was left to hide).
    """

    tables: dict
    suppressions: pd.DataFrame
    relations: list
    hidden: dict
    pinned: int


@dataclass
class _Table:
    name: str
    df: pd.DataFrame
    counts: list
    estimates: list
    unit: str | None
    rules: list
    count_rows: list
    keep_numbers: bool
    shares_of: tuple | None = None


class Release:
    """Every table of one release, protected together (see the module's notes).

    Parameters
    ----------
    min_cell : int, default 5
        Smallest count shown.

    Examples
    --------
    >>> rel = Release(5)
    >>> t = pd.DataFrame({"group": ["a", "b", "all"], "n": [3, 9, 12]})
    >>> rel.add("demo", t, rules=[Sum("group", "all")])
    >>> rel.add("copy", pd.DataFrame({"what": ["b"], "n": [9]}),
    ...         rules=[Link("n", "demo", "n", on={"what": "group"})])
    >>> out = rel.publish()
    >>> out.tables["demo"]["n"].tolist(), out.tables["copy"]["n"].tolist()
    (['<5', '*', 12], ['*'])
    """

    def __init__(self, min_cell: int = 5):
        if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) \
                or min_cell < 1:
            raise AnalysisError(f"Release(): min_cell must be a whole number of at least 1, "
                                f"got {min_cell!r}.")
        self.min_cell = int(min_cell)
        self._tables: dict[str, _Table] = {}

    def add(self, name: str, table: pd.DataFrame, *, count_columns: Sequence[str] | None = None,
            estimate_columns: Sequence[str] | None = None, unit_column: str | None = Col.N,
            rules: Sequence[Rule] = (), count_rows: Sequence[CountRows] = (),
            keep_numbers: bool = False, shares_of: Sequence[str] | None = None) -> None:
        """Add a table (exact counts) to the release.

        Parameters
        ----------
        name : str
        table : DataFrame
            Never modified; a meaningful index becomes columns.
        count_columns : sequence of str, optional
            Default: columns named ``n`` or ``n_...`` and any named by ``rules``. Names the
            table does not have are ignored.
        estimate_columns : sequence of str, optional
            Default: :func:`~outcomes.output.disclosure.is_estimate_column`.
        unit_column : str or None, default "n"
            Units behind each row's estimates (withheld below ``min_cell``).
        rules : sequence
            Relations between counts (:class:`Same`, :class:`Sum`, :class:`Chain`,
            :class:`Link`, :class:`~outcomes.output.disclosure.ColumnTotal`,
            :class:`~outcomes.output.disclosure.RowTotal`).
        count_rows : sequence of CountRows
            Rows whose estimate is itself a count.
        keep_numbers : bool, default False
            Leave the text columns alone (for tables of the package's own words).
        shares_of : sequence of str, optional
            The counts the row's estimates are shares of: estimates are withheld when one of
            them (or the unit count) is hidden. Default: any count of the row (the safe rule);
            ``()`` for estimates that are no share of a count of the row (Kaplan-Meier,
            means), which are still withheld where ``estimate x n`` gives a small count.
        """
        if not isinstance(table, pd.DataFrame):
            raise AnalysisError(f"Release.add(): table {name!r} must be a DataFrame, got "
                                f"{type(table).__name__}.")
        df = flatten(table).reset_index(drop=True)
        named = [c for r in rules for c in _rule_columns(r)]
        counts = ([c for c in df.columns if is_count_column(c)] if count_columns is None
                  else list(count_columns))
        # a column whose counts are only some rows' (CountRows: the by-condition table's
        # estimate on its n_courses rows) is no count column: its other rows are estimates
        row_values = {cr.value for cr in count_rows}
        counts += [c for c in named if c in df.columns and c not in counts
                   and c not in row_values]
        counts = [c for c in counts if c in df.columns]  # a column a table lacks: no cells
        if estimate_columns is None:
            est = [c for c in df.columns if is_estimate_column(c) and c not in counts]
        else:
            est = [c for c in estimate_columns if c in df.columns]
        unit = unit_column if unit_column in df.columns else None
        self._tables[name] = _Table(name, df, counts, est, unit, list(rules), list(count_rows),
                                    keep_numbers, None if shares_of is None else tuple(shares_of))

    # -------------------------------------------------------------------------- publish
    def publish(self) -> Published:
        """Decide every cell once and return the tables as they may leave the clinic."""
        from .attack import attack, close_open

        values = self._values()
        relations = [r for t in self._tables.values() for rule in t.rules
                     for r in _relations(t, rule, self._tables)]
        relations = [r for r in relations if _holds(r, values)
                     and all(c in values for c in r.cells)]
        hidden = {c: PRIMARY for c, v in values.items() if 0 < v < self.min_cell}
        pinned = attack_loop(values, relations, hidden, self.min_cell, attack, close_open)
        tables, records = {}, []
        for t in self._tables.values():
            tables[t.name], rec = self._apply(t, values, hidden)
            records.extend(rec)
        return Published(tables, _suppression_frame(records), relations, hidden, pinned)

    def _values(self) -> dict:
        out = {}
        for t in self._tables.values():
            for c in t.counts:
                v = pd.to_numeric(t.df[c].astype(object), errors="coerce").to_numpy(float)
                for i in np.flatnonzero(~np.isnan(v)):
                    out[(t.name, int(i), c)] = float(v[i])
            for cr in t.count_rows:
                if cr.column not in t.df or cr.value not in t.df:
                    continue
                rows = t.df[cr.column].astype(str).str.startswith(cr.prefix).to_numpy(bool)
                v = pd.to_numeric(t.df[cr.value], errors="coerce").to_numpy(float)
                for i in np.flatnonzero(rows & ~np.isnan(v)):
                    out[(t.name, int(i), cr.value)] = float(v[i])
        return out

    def _apply(self, t: _Table, values: dict, hidden: dict):
        m = self.min_cell
        df = t.df.copy()
        cells = {(i, c): r for (name, i, c), r in hidden.items() if name == t.name}
        protected = {i for (i, _c) in cells}
        sharing = (protected if t.shares_of is None else
                   {i for (i, c) in cells if c in t.shares_of or c == t.unit})
        for c in {c for (_i, c) in cells}:
            col = [_as_count(v) for v in df[c].astype(object)]
            for (i, cc), r in cells.items():
                if cc == c:
                    col[i] = small_mark(m) if r == PRIMARY else SECONDARY_MARK
            df[c] = pd.Series(col, index=df.index, dtype=object)
        count_cells = {(i, c) for (name, i, c) in values if name == t.name}
        withheld = {}
        units = (pd.to_numeric(t.df[t.unit].astype(object), errors="coerce").to_numpy(float)
                 if t.unit else None)
        small = (_gives_small_count(t.df, units, m) if units is not None
                 else np.zeros(len(df), bool))
        present = {c: t.df[c].notna().to_numpy(bool) for c in t.estimates}
        for i in range(len(df)):
            why = None
            if (i, t.unit) in cells:
                why = f"estimates withheld: {t.unit} below {m} or hidden"
            elif units is not None and not math.isnan(units[i]) and units[i] < m:
                why = f"estimates withheld: {t.unit} below {m}"
            elif i in sharing:
                why = "estimates withheld: a count in this row is suppressed"
            elif small[i]:
                why = f"estimates withheld: estimate x {t.unit} gives a count below {m}"
            if why is None:
                continue
            for c in t.estimates:
                if (i, c) in count_cells or (i, c) in cells:
                    continue
                if present[c][i]:
                    withheld[(i, c)] = why
        for c in dict.fromkeys(c for (_i, c) in withheld):
            if not pd.api.types.is_float_dtype(df[c]):
                df[c] = df[c].astype(object)
            df.iloc[[i for (i, cc) in withheld if cc == c], df.columns.get_loc(c)] = np.nan
        if withheld:
            notes = {}
            for (i, _c), why in withheld.items():
                notes.setdefault(i, why)
            df[NOTE_COLUMN] = [notes.get(i, "") for i in range(len(df))]
        texts = {}
        if not t.keep_numbers:
            for c in [c for c in df.columns if c in TEXT_COLUMNS and c != NOTE_COLUMN]:
                col = df[c].astype(object).tolist()
                for i, v in enumerate(col):
                    new = scrub_text(v, m, protected=i in protected
                                     or any(k[0] == i for k in withheld))
                    if new != v:
                        col[i] = new
                        texts[(i, c)] = v
                df[c] = pd.Series(col, index=df.index, dtype=object)
        labels = _row_labels(t.df, set(t.counts) | set(t.estimates) | TEXT_COLUMNS,
                             [i for (i, _c) in [*cells, *withheld, *texts]])
        order = {c: j for j, c in enumerate(df.columns)}
        rec = []
        for (i, c), r in sorted(cells.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
            msg = (f"count between 1 and {m - 1} shown as {small_mark(m)}" if r == PRIMARY else
                   f"hidden as {SECONDARY_MARK} so that a suppressed count cannot be worked "
                   "out from the release's other numbers")
            rec.append((t.name, i + 2, labels[i], str(c), r, msg))
        for (i, c), why in sorted(withheld.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
            rec.append((t.name, i + 2, labels[i], str(c), WITHHELD, why))
        for (i, c) in sorted(texts, key=lambda k: (k[0], order[k[1]])):
            rec.append((t.name, i + 2, labels[i], str(c), TEXT,
                        "counts taken out of the text (they are in the count columns)"))
        return df, rec


def attack_loop(values, relations, hidden, min_cell, attack, close_open, rounds: int = 50) -> int:
    """Close open relations, attack the primary cells, hide more where one is pinned; repeat.

    Returns the number of primary cells still pinned (nothing left to hide for them).
    """
    pinned: list = []
    for _ in range(rounds):
        close_open(values, relations, hidden)
        pinned = attack(values, relations, hidden, min_cell)
        if not pinned:
            return 0
        grew = False
        for cell in pinned:
            extra = _widen(cell, values, relations, hidden)
            if extra is not None:
                hidden[extra] = SECONDARY
                grew = True
        if not grew:
            break
    return len(pinned)


def _widen(cell, values, relations, hidden):
    """A shown cell to hide next for a pinned ``cell``: in the nearest relation (through hidden
    cells) that has one, its smallest non-zero shown cell (a zero when none is left)."""
    member: dict = {}
    for k, r in enumerate(relations):
        for c in r.cells:
            member.setdefault(c, []).append(k)
    seen_cells, seen_rel, frontier = {cell}, set(), [cell]
    while frontier:
        nxt = []
        pool = []
        for c in frontier:
            for k in member.get(c, ()):
                if k in seen_rel:
                    continue
                seen_rel.add(k)
                for x in relations[k].cells:
                    if x not in hidden:
                        pool.append(x)
                    elif x not in seen_cells:
                        seen_cells.add(x)
                        nxt.append(x)
        if pool:
            nonzero = [c for c in pool if values[c] > 0] or pool
            return min(nonzero, key=lambda c: (values[c], c))
        frontier = nxt
    return None


# ------------------------------------------------------------------------------ helpers
def _as_count(v):
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _rule_columns(rule) -> list:
    if isinstance(rule, ColumnTotal):
        return [rule.total, *rule.parts]
    if isinstance(rule, RowTotal):
        return list(rule.counts or ())
    if isinstance(rule, Same):
        return list(rule.columns)
    if isinstance(rule, Sum):
        return list(rule.counts)
    if isinstance(rule, Chain):
        return [rule.at_risk, *rule.leaving]
    if isinstance(rule, Link):
        return [rule.column]
    raise AnalysisError(f"Release: unknown relation {rule!r}.")


def _blocks(df: pd.DataFrame, by) -> list[list[int]]:
    if not by:
        return [list(range(len(df)))]
    keys = [df[b].astype(object).where(df[b].notna(), "\0").to_numpy() for b in by]
    groups = pd.Series(range(len(df))).groupby(keys, sort=False)
    return [list(g) for _k, g in groups]


def _relations(t: _Table, rule, tables: Mapping[str, _Table]) -> list[Relation]:
    df, name, label = t.df, t.name, type(rule).__name__
    if any(c not in df.columns for c in _rule_columns(rule) if not isinstance(rule, Link)):
        return []
    out: list[Relation] = []
    if isinstance(rule, ColumnTotal):
        for i in range(len(df)):
            out.append(Relation(((name, i, rule.total), *((name, i, p) for p in rule.parts)),
                                (1.0, *(-1.0,) * len(rule.parts)), label))
    elif isinstance(rule, RowTotal | Sum):
        column = rule.column
        if column not in df:
            return []
        total = rule.label if isinstance(rule, RowTotal) else rule.total
        parts = None if isinstance(rule, RowTotal) else rule.parts
        counts = rule.counts or t.counts
        labels = df[column].astype(object).to_numpy()
        for rows in _blocks(df, rule.by):
            tot = [i for i in rows if labels[i] == total]
            part = [i for i in rows if labels[i] != total and (parts is None or labels[i] in parts)]
            if len(tot) != 1 or not part:
                continue
            for c in counts:
                out.append(Relation(((name, tot[0], c), *((name, i, c) for i in part)),
                                    (1.0, *(-1.0,) * len(part)), label))
    elif isinstance(rule, Same):
        for rows in _blocks(df, rule.by):
            for c in rule.columns:
                for a, b in zip(rows, rows[1:], strict=False):
                    out.append(Relation(((name, a, c), (name, b, c)), (1.0, -1.0), label))
    elif isinstance(rule, Chain):
        for rows in _blocks(df, rule.by):
            rows = sorted(rows, key=lambda i: df[rule.order].iloc[i]) if rule.order else rows
            for a, b in zip(rows, rows[1:], strict=False):
                cells = ((name, b, rule.at_risk), (name, a, rule.at_risk),
                         *((name, a, c) for c in rule.leaving))
                out.append(Relation(cells, (1.0, -1.0, *(1.0,) * len(rule.leaving)), label))
    elif isinstance(rule, Link):
        other = tables.get(rule.other)
        if other is None or rule.column not in df or rule.other_column not in other.df:
            return []
        mine = _keyed(df, list(rule.on), rule.where)
        theirs = _keyed(other.df, list(rule.on.values()), rule.other_where)
        for key, i in mine.items():
            j = theirs.get(key)
            if j is not None and (name, i, rule.column) != (other.name, j, rule.other_column):
                out.append(Relation(((name, i, rule.column), (other.name, j, rule.other_column)),
                                    (1.0, -1.0), label))
    return out


def _keyed(df: pd.DataFrame, keys: list, where: Mapping) -> dict:
    if any(k not in df.columns for k in [*keys, *where]):
        return {}
    ok = np.ones(len(df), bool)
    for c, v in where.items():
        ok &= (df[c].astype(object) == v).to_numpy(bool)
    out = {}
    for i in np.flatnonzero(ok):
        key = tuple(str(df[k].iloc[i]) for k in keys)
        out.setdefault(key, int(i))
    return out


def _gives_small_count(df: pd.DataFrame, n: np.ndarray, min_cell: int) -> np.ndarray:
    """Rows whose share (``estimate``) times ``n`` (or ``n`` less it) is a whole count below
    ``min_cell``: 0.0857 of 35 sessions is 3 sessions.

    Examples
    --------
    >>> frame = pd.DataFrame({"estimate": [0.0857142857142857, 0.5, None, 0.2]})
    >>> _gives_small_count(frame, np.array([35.0, 35.0, 10.0, 0.0]), 5).tolist()
    [True, False, False, False]
    """
    if Col.ESTIMATE not in df.columns:
        return np.zeros(len(df), bool)
    est = pd.to_numeric(df[Col.ESTIMATE].astype(object), errors="coerce").to_numpy(float)
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore"):
        usable = (n > 0) & (est >= 0) & (est <= 1)
        out = np.zeros(len(df), bool)
        for k in (est * n, (1 - est) * n):
            out |= (usable & (k >= 0.5) & (k < min_cell - 0.5)
                    & (np.abs(k - np.round(k)) < 1e-6 * np.maximum(1.0, n)))
    return out


def _holds(r: Relation, values: dict) -> bool:
    if any(c not in values for c in r.cells):
        return False
    return abs(sum(k * values[c] for c, k in zip(r.cells, r.coefs, strict=True))) < 1e-6
