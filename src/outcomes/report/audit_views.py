"""The audit page's tables as a reader sees them: headers in words, results first, narrow.

The audit's tables (:func:`outcomes.report.audit.audit_tables`) keep every column for the
workbook and ``audit.json``; the page shows each with the columns a reader needs, the
pass/fail or status column first (so it is never past the right edge), codes in words,
percentages and intervals written by :mod:`outcomes.output.labels`, and interval methods left
to the workbook. Only released cells are rearranged; nothing is computed from hidden ones.
"""

from __future__ import annotations

import pandas as pd

from ..output.labels import VERDICT_MARKS, format_number, format_share, is_missing, label
from .tables import count_cells, interval_cells

__all__ = ["RESULT_BADGES", "checks_view", "signals_view", "adherence_view",
           "adherence_groups_view", "funnel_view", "cusum_view", "counts_view", "dimension"]

_PASS, _FAIL = f"{VERDICT_MARKS['supported']} Pass", f"{VERDICT_MARKS['contradicted']} Fail"
#: Badges of the result and status columns of the audit's views (mark and word, not colour only).
RESULT_BADGES = {_PASS: "badge badge-supported", _FAIL: "badge badge-contradicted",
                 "✓ In control": "badge badge-supported", "✓ No signal": "badge badge-supported",
                 "✗ Alarm (high)": "badge badge-contradicted",
                 "✗ Alarm (low)": "badge badge-contradicted",
                 "! Alert (high)": "badge badge-not_testable",
                 "! Alert (low)": "badge badge-not_testable",
                 "✗ Signal": "badge badge-contradicted"}
_STATUS = {"in_control": "✓ In control", "no_signal": "✓ No signal",
           "alarm_high": "✗ Alarm (high)", "alarm_low": "✗ Alarm (low)",
           "alert_high": "! Alert (high)", "alert_low": "! Alert (low)", "signal": "✗ Signal"}
_DIMENSIONS = {"all": "All", "clinic_id": "Clinic", "operator_id": "Operator",
               "device": "Device", "depth_band": "Needle depth"}
_INDICATORS = {"notable_per_session": "Notable side effects per session (observed / expected)",
               "final_improvement": "Mean final improvement per course (adjusted)"}


def dimension(code: str) -> str:
    """Words for a grouping of the audit (``clinic_id`` -> "Clinic").

    Examples
    --------
    >>> dimension("clinic_id"), dimension("depth_band")
    ('Clinic', 'Needle depth')
    """
    return _DIMENSIONS.get(code, label(code, "column"))


def _percent(value) -> str:
    try:
        return format_share(float(value) / 100)
    except (TypeError, ValueError):
        return "" if is_missing(value) else str(value)


def _needs(direction, threshold) -> str:
    if is_missing(threshold):
        return ""
    word = {"at_least": "at least", "at_most": "at most"}.get(str(direction), str(direction))
    return f"{word} {_percent(threshold)}"


def checks_view(checks: pd.DataFrame) -> pd.DataFrame:
    """The checks: result first, then the check in words, its counts, percentage and need.

    Examples
    --------
    >>> t = pd.DataFrame({"id": ["x"], "table": ["sessions"], "description": ["rows accepted"],
    ...                   "numerator": [9], "denominator": [10], "percentage": [90.0],
    ...                   "threshold": [99.0], "direction": ["at_least"], "passed": [False]})
    >>> checks_view(t).iloc[0].tolist()
    ['✗ Fail', 'rows accepted', 'Sessions', '9', '10', '90%', 'at least 99.0%']
    """
    passed = checks["passed"].map(lambda v: str(v).lower() in ("true", "1", "yes"))
    return pd.DataFrame({
        "Result": [_PASS if p else _FAIL for p in passed],
        "Check": checks["description"].to_numpy(),
        "Table": [label(t, "table") if isinstance(t, str) else "" for t in checks["table"]],
        "Numerator": count_cells(checks["numerator"]).to_numpy(),
        "Denominator": count_cells(checks["denominator"]).to_numpy(),
        "Percentage": checks["percentage"].map(_percent).to_numpy(),
        "Needs": [_needs(d, t) for d, t in zip(checks["direction"], checks["threshold"],
                                                 strict=True)],
    })


def _yes(value) -> str:
    return "yes" if str(value).lower() in ("true", "1", "yes") else ""


def signals_view(sig: pd.DataFrame, *, with_dimension: bool = True) -> pd.DataFrame:
    """The safety signals: group, units, events, rate (CI) and the two flags."""
    out = {}
    if with_dimension:
        out["Grouped by"] = [dimension(d) for d in sig["dimension"]]
    out.update({
        "Group": [("All" if g == "all" else label(g)) for g in sig["group"]],
        "Counted in": [label(u, "unit") for u in sig["unit"]],
        "Units": count_cells(sig["n"]).to_numpy(),
        "With a notable side effect": count_cells(sig["events"]).to_numpy(),
        "Rate (95% CI)": interval_cells(sig, "share").to_numpy(),
        "Above the overall rate": sig["above_overall"].map(_yes).to_numpy(),
        "Above the ceiling": sig["above_ceiling"].map(_yes).to_numpy(),
    })
    return pd.DataFrame(out)


def adherence_view(t: pd.DataFrame, other: tuple[str, str] = ("Not followed", "nonadherent")
                   ) -> pd.DataFrame:
    """Adherence overall: the recommendation in words, share following it (CI), counts.

    ``other`` is the heading and column of the count beside "Followed": the sessions not
    following it (the audit) or all those counted (the report, ``("Counted", "n")``).
    """
    heading, column = other
    return pd.DataFrame({
        "Recommendation": t["statement"].to_numpy(),
        "Share following it (95% CI)": interval_cells(t, "share").to_numpy(),
        "Followed": count_cells(t["adherent"]).to_numpy(),
        heading: count_cells(t[column]).to_numpy(),
        "Counted in": [label(u, "unit") for u in t["unit"]],
        "Following a conflicting recommendation": count_cells(t["in_conflict"]).to_numpy()
        if "in_conflict" in t else "",
    })


def adherence_groups_view(t: pd.DataFrame, group: str, names: dict) -> pd.DataFrame:
    """Adherence per clinic or operator: recommendation, group, counts and share."""
    return pd.DataFrame({
        "Recommendation": [names.get(r, r) for r in t["recommendation"]],
        dimension(group): t[group].to_numpy(),
        "Counted": count_cells(t["n"]).to_numpy(),
        "Followed": count_cells(t["adherent"]).to_numpy(),
        "Not followed": count_cells(t["nonadherent"]).to_numpy(),
        "Share following it": [format_share(v) if not isinstance(v, str) else v
                               for v in pd.to_numeric(t["estimate"], errors="coerce")],
    })


def _limits(low, high) -> str:
    lo, hi = (pd.to_numeric(pd.Series([low, high]), errors="coerce"))
    if is_missing(lo) or is_missing(hi):
        return ""
    return f"{format_number(lo, 3)}–{format_number(hi, 3)}"


def funnel_view(f: pd.DataFrame) -> pd.DataFrame:
    """The funnel table: status first, the provider, its volume, estimate and limits."""
    return pd.DataFrame({
        "Status": [_STATUS.get(str(s), label(str(s), "status")) for s in f["status"]],
        "Indicator": [_INDICATORS.get(i, label(i)) for i in f["indicator"]],
        "Provider": [f"{dimension(d)} {g}" for d, g in zip(f["dimension"], f["group"],
                                                            strict=True)],
        "Units": count_cells(f["n"]).to_numpy(),
        "Estimate": [format_number(v, 3) if not is_missing(v) else ""
                     for v in pd.to_numeric(f["estimate"], errors="coerce")],
        "95% limits": [_limits(a, b) for a, b in zip(f["lower_95"], f["upper_95"],
                                                      strict=True)],
        "99.8% limits": [_limits(a, b) for a, b in zip(f["lower_998"], f["upper_998"],
                                                        strict=True)],
    })


def cusum_view(cu: pd.DataFrame) -> pd.DataFrame:
    """The CUSUM table: status first, the provider, sessions, events, expected, limit."""
    return pd.DataFrame({
        "Status": [_STATUS.get(str(s), label(str(s), "status")) for s in cu["status"]],
        "Provider": [f"{dimension(d)} {g}" for d, g in zip(cu["dimension"], cu["group"],
                                                            strict=True)],
        "Sessions": count_cells(cu["n"]).to_numpy(),
        "Events": count_cells(cu["events"]).to_numpy(),
        "Expected events": [format_number(v, 3) if not is_missing(v) else ""
                            for v in pd.to_numeric(cu["expected"], errors="coerce")],
        "Control limit": [format_number(v, 3) if not is_missing(v) else ""
                          for v in pd.to_numeric(cu["control_limit"], errors="coerce")],
        "Signals": count_cells(cu["signals"]).to_numpy(),
    })


def counts_view(counts: pd.DataFrame) -> pd.DataFrame:
    """Rows per input table, in words."""
    out = pd.DataFrame({"Table": [label(t, "table") for t in counts["table"]]})
    for column, words in (("read", "Rows read"), ("accepted", "Accepted"),
                          ("quarantined", "Set aside (quarantined)"),
                          ("warned", "With a warning")):
        if column in counts:
            out[words] = count_cells(counts[column]).to_numpy()
    return out
