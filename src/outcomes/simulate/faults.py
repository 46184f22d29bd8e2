"""Data-entry faults injected into simulated tables, with their ground truth: which cell of which
row got which kind of fault, and whether the loader must quarantine the row or blank the value
with a warning (see :func:`outcomes.simulate.draw.simulate` for the classes of fault).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..bundle.schema import TABLES, Col
from .params import GAIS, GB_QUALITATIVE, GB_QUANTITATIVE, HAIR_DENSITY, MASI, SEVERITY_VAS, WRINKLE

__all__ = ["FaultKind", "FAULT_COLUMNS", "inject_faults", "empty_faults"]


class FaultKind:
    """Kinds of injected data-entry faults (values of the ``kind`` column of the faults table)."""

    NON_ISO_DATE = "non_iso_date"
    IMPOSSIBLE_DATE = "impossible_date"
    UNKNOWN_VOCABULARY = "unknown_vocabulary"
    DUPLICATE_SESSION_ID = "duplicate_session_id"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
    UNRESOLVED_WITHOUT_LAST_CONTACT = "unresolved_without_last_contact"
    RESOLVED_BEFORE_ONSET = "resolved_before_onset"
    UNKNOWN_SESSION = "unknown_session"
    OUT_OF_RANGE = "out_of_range"
    #: not injected: an event of a session quarantined by another fault
    DEPENDANT = "dependant"


KIND = "kind"
EXPECT = "expect"
QUARANTINE = "quarantine"
WARNING = "warning"
#: Columns of the faults table returned by ``simulate(..., return_faults=True)``.
FAULT_COLUMNS = (Col.TABLE, Col.ROW, Col.COLUMN, KIND, EXPECT, Col.VALUE)

_UNKNOWN_VALUES = {
    Col.CONDITION: ("cellulite", "tattoo_removal", "scars"),
    Col.SETTING: ("spa", "mobile_clinic"),
    Col.SCALE: ("lemperle", "mmasi", "posas"),
    Col.EVENT: ("burning", "headache", "tingling"),
    Col.SEVERITY: ("slight", "strong"),
}
_OUT_OF_RANGE = {
    Col.DURATION_MIN: (0.0, 300.0, 450.0, 600.0),
    Col.PAIN_VAS: (11.0, 15.0, 35.0, 70.0),
    Col.NEEDLE_DEPTH_MM: (0.05, 5.0, 15.0, 25.0),
}
_SCORE_OUT = {  # a wrong value per scale (outside its range)
    GB_QUANTITATIVE: (85.0, 92.0, 120.0), GB_QUALITATIVE: (0.0, 5.0, 6.0),
    MASI: (48.5, 52.4, 60.0), WRINKLE: (0.0, 10.0, 12.0), SEVERITY_VAS: (11.0, 12.0, 15.0),
    HAIR_DENSITY: (-12.0, -5.0), GAIS: (0.0, 6.0),
}
_DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y")


def empty_faults() -> pd.DataFrame:
    """The faults table of a simulation without faults: no rows, the columns' types."""
    return pd.DataFrame({
        Col.TABLE: pd.Series([], dtype="str"), Col.ROW: pd.Series([], dtype=np.int64),
        Col.COLUMN: pd.Series([], dtype="str"), KIND: pd.Series([], dtype="str"),
        EXPECT: pd.Series([], dtype="str"), Col.VALUE: pd.Series([], dtype="str"),
    })


class _Picker:
    """Picks distinct rows of one table for faults, never twice the same row."""

    def __init__(self, rng, n: int, rate: float, n_classes: int):
        self.rng, self.n, self.free = rng, n, np.ones(n, dtype=bool)
        self.per_class = rate / n_classes

    def pick(self, eligible: np.ndarray | None = None) -> np.ndarray:
        ok = self.free if eligible is None else self.free & eligible
        candidates = np.flatnonzero(ok)
        count = max(1, int(self.rng.binomial(self.n, min(1.0, self.per_class))))
        count = min(count, len(candidates))
        rows = np.sort(self.rng.choice(candidates, count, replace=False)) if count else \
            np.empty(0, dtype=np.int64)
        self.free[rows] = False
        return rows


def _non_iso(rng, iso: pd.Series) -> list[str]:
    dates = pd.to_datetime(iso, format="%Y-%m-%d")
    formats = rng.integers(0, len(_DATE_FORMATS), len(iso))
    return [d.strftime(_DATE_FORMATS[f]) for d, f in zip(dates, formats, strict=True)]


def _impossible(iso: pd.Series) -> list[str]:
    dates = pd.to_datetime(iso, format="%Y-%m-%d")
    return [f"{d.year}-{d.month:02d}-{d.days_in_month + 1:02d}" for d in dates]


class _Faults:
    """Writes faults into the tables' copies and records each: (table, position, column, kind,
    expect, value as written)."""

    def __init__(self, rng):
        self.rng = rng
        self.records: list[tuple] = []

    def put(self, df, rows, column, values, table, kind, expect=QUARANTINE) -> None:
        values = list(values)
        if len(rows) == 0:
            return
        col = df.columns.get_loc(column)
        if df[column].dtype == np.float64:
            df.iloc[rows, col] = np.asarray(values, dtype=float)
            shown = [f"{v:g}" if v == v else "" for v in values]
        else:
            df.iloc[rows, col] = values
            shown = ["" if v is None else str(v) for v in values]
        self.records.extend((table, int(r), column, kind, expect, v)
                            for r, v in zip(rows, shown, strict=True))

    def some(self, values, count: int) -> list:
        return [values[i] for i in self.rng.integers(0, len(values), count)]

    def bad_dates(self, df, table: str, column: str, pick: _Picker) -> None:
        """A class of non-ISO dates, then one of impossible dates."""
        rows = pick.pick()
        self.put(df, rows, column, _non_iso(self.rng, df[column].iloc[rows]), table,
                 FaultKind.NON_ISO_DATE)
        rows = pick.pick()
        self.put(df, rows, column, _impossible(df[column].iloc[rows]), table,
                 FaultKind.IMPOSSIBLE_DATE)

    def unknown_values(self, df, table: str, columns: tuple[str, str], pick: _Picker) -> None:
        """A class of values outside the vocabulary, half in each of two columns."""
        rows = pick.pick()
        use_second = self.rng.random(len(rows)) < 0.5
        for column, mask in ((columns[0], ~use_second), (columns[1], use_second)):
            self.put(df, rows[mask], column, self.some(_UNKNOWN_VALUES[column], int(mask.sum())),
                     table, FaultKind.UNKNOWN_VOCABULARY)


def _session_faults(f: _Faults, sessions: pd.DataFrame, rate: float) -> tuple[pd.DataFrame, set]:
    """Faults of the sessions; return the new table (with duplicates inserted) and the ids of
    the sessions quarantined by a fault of their own."""
    t, rng, original = "sessions", f.rng, sessions
    sessions = sessions.copy()
    pick = _Picker(rng, len(sessions), rate, 7)
    f.bad_dates(sessions, t, Col.SESSION_DATE, pick)
    f.unknown_values(sessions, t, (Col.CONDITION, Col.SETTING), pick)
    duplicated = pick.pick()
    bad_sessions = np.flatnonzero(~pick.free)  # quarantined so far (positions)
    # warnings (values blanked), on rows that stay
    for column, values in _OUT_OF_RANGE.items():
        rows = pick.pick()
        f.put(sessions, rows, column, f.some(values, len(rows)), t, FaultKind.OUT_OF_RANGE,
              WARNING)
    # conflicting duplicates: a copy of the row with another date, inserted elsewhere
    copies = sessions.iloc[duplicated].copy()
    shifted = (pd.to_datetime(copies[Col.SESSION_DATE], format="%Y-%m-%d")
               + pd.to_timedelta(rng.integers(1, 8, len(copies)), unit="D"))
    copies[Col.SESSION_DATE] = pd.Series(shifted.dt.strftime("%Y-%m-%d").to_numpy(),
                                         index=copies.index, dtype="str")
    n_orig = len(sessions)
    slots = np.concatenate([np.arange(n_orig, dtype=float),
                            rng.integers(0, n_orig, len(copies)) + 0.5])
    new_order = np.argsort(slots, kind="stable")
    sessions = pd.concat([sessions, copies], ignore_index=True).iloc[new_order]
    sessions = sessions.reset_index(drop=True)
    new_pos = np.empty(len(new_order), dtype=np.int64)
    new_pos[new_order] = np.arange(len(new_order))
    f.records = [(tb, int(new_pos[r]) if tb == t else r, *rest) for tb, r, *rest in f.records]
    for j, r in enumerate(duplicated):
        sid = str(original[Col.SESSION_ID].iloc[r])
        for position in (new_pos[r], new_pos[n_orig + j]):
            f.records.append((t, int(position), Col.SESSION_ID, FaultKind.DUPLICATE_SESSION_ID,
                              QUARANTINE, sid))
    return sessions, set(original[Col.SESSION_ID].iloc[bad_sessions].astype(str))


def _assessment_faults(f: _Faults, assessments: pd.DataFrame, rate: float) -> pd.DataFrame:
    t = "assessments"
    assessments = assessments.copy()
    pick = _Picker(f.rng, len(assessments), rate, 4)
    f.bad_dates(assessments, t, Col.ASSESSMENT_DATE, pick)
    f.unknown_values(assessments, t, (Col.CONDITION, Col.SCALE), pick)
    rows = pick.pick()
    scales = assessments[Col.SCALE].iloc[rows].astype(str).to_numpy()
    f.put(assessments, rows, Col.SCORE, [f.some(_SCORE_OUT[sc], 1)[0] for sc in scales], t,
          FaultKind.SCORE_OUT_OF_RANGE)
    return assessments


def _event_faults(f: _Faults, events: pd.DataFrame, rate: float, sessions: pd.DataFrame,
                  bad_ids: set) -> pd.DataFrame:
    """Faults of the adverse events (``sessions``: the table before faults); the events of
    quarantined sessions are listed as dependants."""
    t, rng = "adverse_events", f.rng
    events = events.copy()
    of_bad = events[Col.SESSION_ID].astype(str).isin(bad_ids).to_numpy()
    pick = _Picker(rng, len(events), rate, 5)
    pick.free &= ~of_bad
    f.unknown_values(events, t, (Col.EVENT, Col.SEVERITY), pick)
    rows = pick.pick()
    events.iloc[rows, events.columns.get_loc(Col.LAST_CONTACT_HOURS)] = np.nan
    f.put(events, rows, Col.RESOLVED_HOURS, [np.nan] * len(rows), t,
          FaultKind.UNRESOLVED_WITHOUT_LAST_CONTACT)
    rows = pick.pick(events[Col.RESOLVED_HOURS].notna().to_numpy())
    resolved = events[Col.RESOLVED_HOURS].iloc[rows].to_numpy()
    f.put(events, rows, Col.ONSET_HOURS, resolved + rng.integers(1, 25, len(rows)), t,
          FaultKind.RESOLVED_BEFORE_ONSET)
    rows = pick.pick()
    width = len(str(sessions[Col.SESSION_ID].iloc[0])) - 1
    unknown = [f"S{v:0{width}d}" for v in len(sessions) + rng.integers(1, 1000, len(rows))]
    f.put(events, rows, Col.SESSION_ID, unknown, t, FaultKind.UNKNOWN_SESSION)
    for r in np.flatnonzero(of_bad):
        f.records.append((t, int(r), Col.SESSION_ID, FaultKind.DEPENDANT, QUARANTINE,
                          str(events[Col.SESSION_ID].iloc[r])))
    return events


def inject_faults(tables: dict, rate: float, rng) -> tuple[dict, pd.DataFrame]:
    """Inject data-entry faults of every class; return the tables and the ground truth.

    Parameters
    ----------
    tables : dict of str to DataFrame
        The three tables as drawn (not modified).
    rate : float
        Share of the rows of each table to make faulty (split over the table's classes; at
        least one row of each class).
    rng : numpy.random.Generator

    Returns
    -------
    (tables, faults)
        Copies of the tables with the faults, and one row per faulty cell with the columns
        :data:`FAULT_COLUMNS` (``row`` as a spreadsheet row: the header is row 1), sorted by
        table, row and column.
    """
    f = _Faults(rng)
    sessions, bad_ids = _session_faults(f, tables["sessions"], rate)
    assessments = _assessment_faults(f, tables["assessments"], rate)
    events = _event_faults(f, tables["adverse_events"], rate, tables["sessions"], bad_ids)
    faults = pd.DataFrame(f.records, columns=list(FAULT_COLUMNS))
    faults[Col.ROW] = faults[Col.ROW].astype(np.int64) + 2  # spreadsheet rows: header = 1
    table_order = {name: i for i, name in enumerate(TABLES)}
    faults = faults.sort_values([Col.TABLE, Col.ROW, Col.COLUMN],
                                key=lambda col: col.map(table_order) if col.name == Col.TABLE
                                else col, kind="stable", ignore_index=True)
    for column in (Col.TABLE, Col.COLUMN, KIND, EXPECT, Col.VALUE):
        faults[column] = faults[column].astype("str")
    return {"sessions": sessions, "assessments": assessments, "adverse_events": events}, faults
