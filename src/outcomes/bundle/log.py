"""The loaded bundle: accepted tables, rejects, warnings, counts and input checksums."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import pandas as pd

from ..errors import ParameterError
from .schema import TABLES, Col, Scale, load_scales

__all__ = ["SessionLog"]

COUNT_COLUMNS = ["read", "accepted", "quarantined", "warned"]


@dataclass(frozen=True)
class SessionLog:
    """An anonymised session-log bundle, validated.

    Build one with :func:`outcomes.load_bundle`. The three tables hold only accepted rows, with
    typed columns (categoricals for vocabularies, ``datetime64`` dates, floats for numbers); every
    quarantined row is in :attr:`rejects` with its reasons, and every blanked value in
    :attr:`warnings`.

    Attributes
    ----------
    sessions, assessments, adverse_events : DataFrame
        Accepted rows, columns as in the data contract. Each keeps the spreadsheet row number of
        its input row in the column ``row`` (header = row 1). A table absent from the bundle is
        empty and listed in :attr:`missing_tables`.
    rejects : dict of str to DataFrame
        Per table, the quarantined rows: the original columns as text, plus ``row`` and ``reason``
        (every reason, joined with ``"; "``).
    warnings : DataFrame
        Columns ``table``, ``row``, ``column``, ``value``, ``message``: one row per blanked value.
    counts : DataFrame
        Indexed by table; columns ``read``, ``accepted``, ``quarantined``, ``warned`` (rows with at
        least one warning).
    checksums : dict of str to str
        SHA-256 of each input file, keyed by file name.
    source : str
        Name of the bundle (folder or workbook name, without the folders above it).
    missing_tables : tuple of str
        Optional tables the bundle does not have.
    present_columns : dict of str to tuple of str
        Per table, the contract columns the input actually had (absent optional columns are
        added to the typed tables as all-missing, so code can rely on them; this says which were
        really there).
    scales : dict of str to Scale
        The outcome scales the assessments were checked against.
    mapping : ExportMapping or None
        The mapping the export was read through (:mod:`outcomes.bundle.mapping`): its ``name``
        and ``sha256`` (also in :attr:`checksums`, as ``"<name> (mapping)"``).
    missing_hints : dict of str to str
        Per missing table, a near miss beside the bundle's files ("adverse_event.csv is here:
        did you mean adverse_events.csv?").
    table_sources : dict of str to str
        Per table read, how messages name its file or sheet (``Visits.csv``,
        ``bundle.xlsx, sheet sessions``).
    """

    sessions: pd.DataFrame
    assessments: pd.DataFrame
    adverse_events: pd.DataFrame
    rejects: dict[str, pd.DataFrame]
    warnings: pd.DataFrame
    counts: pd.DataFrame
    checksums: dict[str, str]
    source: str = ""
    missing_tables: tuple[str, ...] = ()
    present_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scales: dict[str, Scale] = field(default_factory=load_scales)
    mapping: object | None = None
    missing_hints: dict[str, str] = field(default_factory=dict)
    table_sources: dict[str, str] = field(default_factory=dict)

    def missing_text(self) -> str:
        """``"Tables not in the bundle: ..."`` with each near miss found, or ``""``."""
        if not self.missing_tables:
            return ""
        return "Tables not in the bundle: " + ", ".join(
            f"{t} ({self.missing_hints[t]})" if t in self.missing_hints else t
            for t in self.missing_tables)

    # ------------------------------------------------------------------ views
    def table(self, name: str) -> pd.DataFrame:
        """Return the accepted rows of table ``name``.

        Raises
        ------
        ParameterError
            If ``name`` is not a table of the contract.
        """
        if name not in TABLES:
            raise ParameterError(f"Unknown table {name!r}; tables are {list(TABLES)}.")
        return getattr(self, name)

    @property
    def n_quarantined(self) -> int:
        """Number of quarantined rows over all tables."""
        return int(self.counts["quarantined"].sum())

    @property
    def is_clean(self) -> bool:
        """True when every row was accepted and no value was blanked."""
        return self.n_quarantined == 0 and len(self.warnings) == 0

    def all_rejects(self) -> pd.DataFrame:
        """Return every quarantined row of every table: ``table``, ``row``, ``reason``."""
        frames = [
            df[[Col.ROW, Col.REASON]].assign(**{Col.TABLE: name})
            for name, df in self.rejects.items()
            if len(df)
        ]
        if not frames:
            return pd.DataFrame({Col.TABLE: [], Col.ROW: [], Col.REASON: []})
        out = pd.concat(frames, ignore_index=True)
        return out[[Col.TABLE, Col.ROW, Col.REASON]]

    def has_column(self, table: str, column: str) -> bool:
        """True when the input had ``column`` in ``table`` (even if every value is blank)."""
        return table not in self.missing_tables and column in self.present_columns.get(table, ())

    # --------------------------------------------------------------- filtering
    def filter(
        self,
        *,
        condition=None,
        setting=None,
        fitzpatrick=None,
        clinic_id=None,
        start=None,
        end=None,
    ) -> SessionLog:
        """Return the bundle restricted to some sessions; assessments and events follow them.

        Each argument is a value or a list of values (``None`` keeps everything). ``start`` and
        ``end`` bound the session date (inclusive). Assessments are kept for the (patient,
        condition) courses that keep at least one session; events for the sessions kept.
        Rejects, warnings, counts and checksums describe the whole bundle and are kept as they are.

        Raises
        ------
        ParameterError
            If ``start`` or ``end`` is not a date.
        """
        s = self.sessions
        keep = pd.Series(True, index=s.index)
        for col, values in (
            (Col.CONDITION, condition),
            (Col.SETTING, setting),
            (Col.FITZPATRICK, fitzpatrick),
            (Col.CLINIC_ID, clinic_id),
        ):
            if values is None:
                continue
            if isinstance(values, str) or not isinstance(values, Iterable):
                values = [values]
            values = list(values)
            if not values:
                continue
            keep &= s[col].isin(values)
        if start is not None:
            keep &= s[Col.SESSION_DATE] >= _timestamp("start", start)
        if end is not None:
            keep &= s[Col.SESSION_DATE] <= _timestamp("end", end)
        sessions = s[keep]
        courses = sessions[[Col.PATIENT_ID, Col.CONDITION]].drop_duplicates()
        a = self.assessments
        if len(a):
            key = pd.MultiIndex.from_frame(a[[Col.PATIENT_ID, Col.CONDITION]].astype(str))
            kept = pd.MultiIndex.from_frame(courses.astype(str))
            a = a[key.isin(kept)]
        e = self.adverse_events
        e = e[e[Col.SESSION_ID].isin(sessions[Col.SESSION_ID])]
        return replace(self, sessions=sessions, assessments=a, adverse_events=e)

    # ------------------------------------------------------------------ output
    def reject_files(self) -> dict[str, pd.DataFrame]:
        """The rejects and warnings as the files ``outcomes validate --rejects`` writes.

        Returns
        -------
        dict of str to DataFrame
            ``<table>_rejects.csv`` for each table (its :attr:`rejects`; with the contract's
            columns, ``row`` and ``reason`` and no rows when the table has no rejects) and
            ``warnings.csv`` (:attr:`warnings`), in that order. The frames are the log's own
            text, not yet made safe for spreadsheets (the writer does that).
        """
        files = {}
        for name in TABLES:
            df = self.rejects.get(name)
            if df is None:
                df = pd.DataFrame(columns=[*TABLES[name].names, Col.ROW, Col.REASON])
            files[f"{name}_rejects.csv"] = df
        files["warnings.csv"] = self.warnings
        return files

    def summary(self) -> str:
        """Plain-text summary: rows read, accepted, quarantined and warned per table."""
        lines = [f"Bundle {self.source or '(unnamed)'}"]
        counts = self.counts.copy()
        lines.append(counts.to_string())
        if self.missing_tables:
            lines.append(self.missing_text())
        return "\n".join(lines)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{t}={int(self.counts.loc[t, 'accepted'])}/{int(self.counts.loc[t, 'read'])}"
            for t in self.counts.index
        )
        return f"SessionLog({self.source!r}, accepted/read: {parts})"

    def _repr_html_(self) -> str:
        return (
            f"<p><b>Bundle</b> {html.escape(self.source or '(unnamed)')}</p>"
            + self.counts.to_html()
        )


def _timestamp(name: str, value) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ParameterError(
            f"SessionLog.filter(): {name} must be a date (such as '2024-03-18'), got "
            f"{value!r}.") from None


def empty_counts() -> pd.DataFrame:
    """Counts table with a zero row per table (used by the loader)."""
    return pd.DataFrame(0, index=pd.Index(list(TABLES), name=Col.TABLE), columns=COUNT_COLUMNS)

