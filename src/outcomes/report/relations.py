"""What the package knows about the counts of its released tables, in one place.

Each table of a release is added to one :class:`outcomes.output.release.Release` with the
linear relations between its counts and those of the other tables (partitions inside a row,
totals of rows, counts repeated on rows of a group, counts shared between tables, the at-risk
chains of the Kaplan-Meier tables). The release hides every count once, consistently, wherever
it appears; the attacker of ``tests/test_attacker.py`` uses the same relations. A relation that
does not hold on the exact tables is dropped by the release (never trusted).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..audit.signals import ALL, DIMENSIONS
from ..bundle.schema import TABLES
from ..output.disclosure import ColumnTotal
from ..output.release import Chain, CountRows, Link, Release, Same, Sum
from ..stats.skin_type import DARK, DIFFERENCE, LIGHT
from .cohort import COHORT_RULES

__all__ = ["REPORT_RULES", "AUDIT_RULES", "CLAIMS_RULES", "report_release", "release_of",
           "generalise_reasons", "numeric_like", "truncate_at_risk",
           "resolution_points", "DASHBOARD_TABLES", "withhold_small_steps", "KM_STEPS"]

_ADHERENCE = ColumnTotal("n", ["adherent", "nonadherent"])
_ADHERENCE_COUNTS = ["n", "adherent", "nonadherent", "n_clusters", "in_conflict"]
_LIGHT_TYPES, _DARK_TYPES = ("I", "II", "III"), ("IV", "V", "VI")
#: The last time of the resolution at-risk table (hours).
_LAST_HOURS = 168.0

#: Per claims table: what :meth:`Release.add` needs.
CLAIMS_RULES = {"count_columns": ["n", "n_patients"],
                "estimate_columns": ["estimate", "ci_low", "ci_high", "e_value", "e_value_ci",
                                     "e_value_low", "e_value_high"]}

#: Per report table, the keyword arguments of :meth:`Release.add`.
REPORT_RULES: dict[str, dict] = {
    "input": dict(count_columns=["n_read", "n_accepted", "n_quarantined", "n_warned"],
                  unit_column=None,
                  rules=[ColumnTotal("n_read", ["n_accepted", "n_quarantined"])]),
    "claims": dict(CLAIMS_RULES),
    "conflicts": dict(count_columns=["n"], estimate_columns=["estimate", "ci_low", "ci_high"],
                      rules=[Link("n", "claims", "n", on={"side": "id"}),
                             Link("n", "recommendations", "n", on={"side": "recommendation"})],
                      keep_numbers=True),
    "recommendations": dict(count_columns=["n", "adherent", "nonadherent", "n_clusters"],
                            rules=[_ADHERENCE]),
    "by_condition": dict(
        count_rows=[CountRows("measure", "n_", "estimate")],
        rules=[Same(["n", "n_patients"], by="condition"),
               Link("estimate", "by_condition", "n", on={"condition": "condition"},
                    where={"measure": "n_courses"}),
               Link("estimate", "by_condition", "n_patients", on={"condition": "condition"},
                    where={"measure": "n_patients"})]),
    "dose_response": dict(shares_of=(), rules=[
        Link("n", "dose_at_risk", "n_assessed", on={"condition": "condition",
                                                    "after_session": "after_session"},
             where={"measure": "improvement"}),
        Link("n", "dose_at_risk", "n_at_risk", on={"condition": "condition",
                                                   "after_session": "after_session"},
             where={"measure": "reached_major_by"})]),
    "dose_at_risk": dict(unit_column=None, rules=[
        Chain("n_at_risk", ["n_reached", "n_censored"], by="condition", order="after_session")]),
    "spacing": dict(),
    "incidence": dict(rules=[Sum("event", "any", counts=["n_events"]),
                             Same(["n", "n_patients"]),
                             Link("n", "input", "n_accepted", other_where={"table": "sessions"})]),
    "resolution": dict(shares_of=(), rules=[
        Same(["n", "n_patients", "n_resolved", "n_censored"], by="event"),
        ColumnTotal("n", ["n_resolved", "n_censored"]),
        Link("n", "incidence", "n_events", on={"event": "event"}),
        Link("n_at_risk", "resolution_at_risk", "n_at_risk",
             on={"event": "event", "hours": "hours"})]),
    "resolution_at_risk": dict(unit_column=None, rules=[
        Link("n_at_risk", "resolution", "n", on={"event": "event"}, where={"hours": 0.0}),
        Link("n_resolved_by", "resolution", "n_resolved", on={"event": "event"},
             where={"hours": _LAST_HOURS}),
        Link("n_censored_by", "resolution", "n_censored", on={"event": "event"},
             where={"hours": _LAST_HOURS})]),
    "skin_type": dict(count_columns=["n", "n_with_event", "n_patients"], rules=[
        Sum("group", LIGHT, _LIGHT_TYPES, by="outcome", counts=["n", "n_with_event"]),
        Sum("group", DARK, _DARK_TYPES, by="outcome", counts=["n", "n_with_event"]),
        Sum("group", DIFFERENCE, (LIGHT, DARK), by="outcome", counts=["n", "n_with_event"])]),
    "data_quality": dict(count_columns=["n_rows"], unit_column=None),
    **COHORT_RULES,
}

#: Per audit table (``outcomes audit --release``), the keyword arguments of :meth:`Release.add`.
AUDIT_RULES: dict[str, dict] = {
    "counts": dict(count_columns=["read", "accepted", "quarantined", "warned"], unit_column=None,
                   rules=[ColumnTotal("read", ["accepted", "quarantined"])]),
    "checks": dict(count_columns=["numerator", "denominator"],
                   estimate_columns=["percentage"], unit_column="denominator",
                   rules=[rule for t in TABLES for rule in (
                       Link("numerator", "counts", "accepted", on={"table": "table"},
                            where={"id": f"{t}.required_conformant"}),
                       Link("denominator", "counts", "read", on={"table": "table"},
                            where={"id": f"{t}.required_conformant"}))]),
    "adherence": dict(count_columns=_ADHERENCE_COUNTS, rules=[_ADHERENCE]),
    "adherence_by_clinic": dict(count_columns=_ADHERENCE_COUNTS, rules=[_ADHERENCE]),
    "adherence_by_operator": dict(count_columns=_ADHERENCE_COUNTS, rules=[_ADHERENCE]),
    "signals": dict(count_columns=["n", "events", "n_clusters"],
                    estimate_columns=["estimate", "ci_low", "ci_high"],
                    rules=[Sum("dimension", ALL, (d,), by="unit", counts=["n", "events"])
                           for d in DIMENSIONS]),
    "funnel": dict(count_columns=["n", "n_clusters", "events"],
                   estimate_columns=["observed", "expected", "estimate", "z", "lower_95",
                                     "upper_95", "lower_998", "upper_998"]),
    "cusum": dict(count_columns=["n", "events"], estimate_columns=["expected"]),
    "cusum_signals": dict(count_columns=["sessions_since_reset", "events_since_reset"],
                          estimate_columns=["expected_since_reset", "cusum"],
                          unit_column="sessions_since_reset"),
}


#: The tables of the dashboard's export, released together (rules of :data:`REPORT_RULES`).
DASHBOARD_TABLES = ("claims", "dose_response", "dose_at_risk", "resolution",
                    "resolution_at_risk")


def release_of(tables: Mapping[str, pd.DataFrame], rules: Mapping[str, dict],
               min_cell: int) -> Release:
    """A :class:`~outcomes.output.release.Release` of ``tables`` with their ``rules``."""
    rel = Release(min_cell)
    for name, table in tables.items():
        rel.add(name, table, **rules.get(name, {}))
    return rel


def report_release(tables: Mapping[str, pd.DataFrame], min_cell: int) -> Release:
    """The report's tables (:meth:`outcomes.analysis.Results.tables`) as one release."""
    tables = dict(tables)
    for name in AT_RISK_TABLES:
        if name in tables:
            tables[name] = truncate_at_risk(tables[name], min_cell)
    if "data_quality" in tables:
        tables["data_quality"] = generalise_reasons(tables["data_quality"])
    return release_of(tables, REPORT_RULES, min_cell)


#: The at-risk tables of the report, cut where fewer than ``min_cell`` units remain.
AT_RISK_TABLES = ("dose_at_risk", "resolution_at_risk")


def truncate_at_risk(table: pd.DataFrame, min_cell: int, column: str = "n_at_risk"):
    """The rows of an at-risk table with at least ``min_cell`` units at risk.

    A curve's tail, where one, two or three units remain, gives its units away: each '<5' cell
    is at least 1, so a short run of them adds up to the number at risk exactly. Like
    OpenSAFELY's rounded Kaplan-Meier tables, a release stops where fewer than ``min_cell``
    remain.

    Examples
    --------
    >>> t = pd.DataFrame({"after_session": [1, 2, 3], "n_at_risk": [9, 5, 2]})
    >>> truncate_at_risk(t, 5)["n_at_risk"].tolist()
    [9, 5]
    """
    if table is None or column not in table:
        return table
    keep = pd.to_numeric(table[column], errors="coerce") >= min_cell
    return table[keep.to_numpy(bool)].reset_index(drop=True)


def generalise_reasons(table: pd.DataFrame) -> pd.DataFrame:
    """Quarantine reasons without the values, ids and row numbers they quote, counted again.

    ``session_id 'S00086' is also used by row 192 ...`` names one session: in a release it reads
    ``session_id '…' is also used by row … ...``, and rows of the same generalised reason are
    added up.

    Examples
    --------
    >>> t = pd.DataFrame({"table": ["sessions"] * 2, "kind": ["quarantined"] * 2,
    ...                   "what": ["id 'S1' is also used by row 9",
    ...                            "id 'S2' is also used by row 4"],
    ...                   "n_rows": [1, 1]})
    >>> generalise_reasons(t).values.tolist()
    [['sessions', 'quarantined', "id '…' is also used by row …", 2]]
    """
    if table is None or len(table) == 0 or "what" not in table:
        return table
    t = table.copy()
    what = t["what"].astype(str)
    what = what.str.replace(r"'[^']*'", "'…'", regex=True)
    what = what.str.replace(r"\b(rows?)\s+\d+(?:\s*,\s*\d+)*", r"\1 …", regex=True)
    what = what.str.replace(r"\(\d+(?:\.\d+)?\)", "(…)", regex=True)
    t["what"] = what
    keys = [c for c in t.columns if c != "n_rows"]
    return t.groupby(keys, sort=False, dropna=False, as_index=False)["n_rows"].sum()


def numeric_like(released: pd.DataFrame, exact: pd.DataFrame) -> pd.DataFrame:
    """A released table in the exact table's columns and types: hidden counts (``<5``, ``*``)
    and withheld estimates become missing, so that a figure draws only what the tables show."""
    out = released[[c for c in exact.columns if c in released.columns]].copy()
    for c in out.columns:
        if isinstance(exact[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(exact[c].dtype)
        elif pd.api.types.is_numeric_dtype(exact[c]) and not pd.api.types.is_bool_dtype(exact[c]):
            out[c] = pd.to_numeric(out[c], errors="coerce")
            if c == "n" or c.startswith("n_"):  # a hidden count: drawn as a group too small
                out[c] = out[c].fillna(0)
    return out


def resolution_points(released: pd.DataFrame, curve: pd.DataFrame) -> pd.DataFrame:
    """The resolution curve on the released table's grid (0, 24, 48, 72, 168 hours), without
    counts: a step curve through the shares shown, as OpenSAFELY's rounded Kaplan-Meier curves
    carry no exact small counts."""
    t = released[released["measure"] == "resolved_by"]
    est = pd.to_numeric(t["estimate"], errors="coerce")
    t = t[est.notna().to_numpy(bool)]
    rows = pd.DataFrame({
        "event": t["event"].to_numpy(), "time": pd.to_numeric(t["hours"]).to_numpy(),
        "survival": 1 - pd.to_numeric(t["estimate"]).to_numpy(),
        "ci_low": 1 - pd.to_numeric(t["ci_high"], errors="coerce").to_numpy(),
        "ci_high": 1 - pd.to_numeric(t["ci_low"], errors="coerce").to_numpy()})
    for c in curve.columns:
        if c not in rows:
            rows[c] = float("nan")
    return rows[list(curve.columns)]


#: Kaplan-Meier rows of a release whose steps could give an event count back:
#: table -> (measure, group column, time column, at-risk column (None: the row's n)).
KM_STEPS = {
    "dose_response": ("reached_major_by", "condition", "after_session", None),
    "resolution": ("resolved_by", "event", "hours", "n_at_risk"),
}


def withhold_small_steps(published, min_cell: int):
    """Withhold Kaplan-Meier shares whose step from the share shown before gives a small
    count back.

    A cumulative share ``F = 1 - S`` shown at two times, with the number at risk, gives the
    events between them: ``d = n (1 - S(t1) / S(t0))``. Where ``d`` is a count from 1 to
    ``min_cell - 1``, the later share (and its interval) is withheld, and the next step is taken
    from the last share shown, as OpenSAFELY's rounded curves carry no exact small counts.

    Returns ``published`` with the tables and the suppressions changed.
    """
    from ..output.disclosure import WITHHELD

    tables = dict(published.tables)
    records = []
    for name, (measure, group, time, at_risk) in KM_STEPS.items():
        t = tables.get(name)
        if t is None or not {"measure", group, time, "estimate"} <= set(t.columns):
            continue
        t = t.copy()
        est = pd.to_numeric(t["estimate"], errors="coerce")
        rows = t.index[(t["measure"] == measure).to_numpy(bool)]
        for _g, idx in pd.Series(rows, index=rows).groupby(t.loc[rows, group].to_numpy(),
                                                            sort=False):
            order = sorted(idx, key=lambda i: float(pd.to_numeric(t.at[i, time])))
            s_prev, n_prev = 1.0, pd.to_numeric(t.at[order[0], "n"], errors="coerce")
            for i in order:
                f = est.at[i]
                n_here = pd.to_numeric(t.at[i, at_risk or "n"], errors="coerce")
                n = n_prev if at_risk else n_here
                if pd.isna(f):
                    continue
                s = 1.0 - float(f)
                d = float(n) * (1.0 - s / s_prev) if s_prev > 0 and pd.notna(n) else 0.0
                if 0.5 <= d < min_cell - 0.5:
                    for c in ("estimate", "ci_low", "ci_high"):
                        if c in t:
                            t.at[i, c] = float("nan")
                    records.append((name, int(i) + 2, f"{group}={t.at[i, group]}, "
                                    f"{time}={t.at[i, time]}", "estimate", WITHHELD,
                                    "Kaplan-Meier share withheld: its step from the share "
                                    f"shown before gives fewer than {min_cell} events"))
                    continue
                s_prev, n_prev = s, n_here
        tables[name] = t
    if not records:
        return published
    extra = pd.DataFrame(records, columns=published.suppressions.columns)
    return published._replace(tables=tables, suppressions=pd.concat(
        [published.suppressions, extra], ignore_index=True))
