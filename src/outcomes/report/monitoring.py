"""The audit page's provider-monitoring section: funnel plots, CUSUM charts of the providers that
signalled, and the tables behind them, with their disclosure rules.

Kept apart from :mod:`outcomes.report.audit` so the audit page calls one function. The page
shows no date: CUSUM charts run over the provider's session number, and a signal's date is
given as its month.
"""

from __future__ import annotations

import pandas as pd

from ..output.html import Page
from ..output.labels import column_label
from .audit_views import RESULT_BADGES, cusum_view, dimension, funnel_view

__all__ = ["monitoring_section", "MONITORING_CAPTIONS"]

#: What each monitoring table holds (for the workbook's captions).
MONITORING_CAPTIONS = {
    "funnel": "Funnel plots: risk-adjusted notable adverse events per session (O/E) and mean "
              "final improvement per course, per provider, with 95% and 99.8% limits.",
    "cusum": "Risk-adjusted Bernoulli CUSUM per provider: control limit chosen by simulation "
             "for the false-alarm probability, and the signals.",
    "cusum_signals": "Each CUSUM signal: the session at which the chart crossed its limit, and "
                     "the sessions, events and expected events since it last restarted.",
}
_INDICATOR_WORDS = {"notable_per_session": "Notable side effects per session",
                    "final_improvement": "Mean final improvement per course"}
_FUNNEL_SHOWN = ["dimension", "group", "n", "events", "expected", "estimate", "lower_95",
                 "upper_95", "lower_998", "upper_998", "status"]
_RED, _GREY, _GREEN = ("badge badge-contradicted", "badge badge-not_testable",
                       "badge badge-supported")
_STATUS_BADGES = {"alarm_high": _RED, "alarm_low": _RED, "alert_high": _GREY,
                  "alert_low": _GREY, "in_control": _GREEN, "signal": _RED, "no_signal": _GREEN}


def monitoring_section(page: Page, result, t: dict[str, pd.DataFrame], min_cell: int) -> None:
    """Add the section "Provider monitoring" to the audit page.

    Parameters
    ----------
    page : Page
    result : AuditResult
    t : dict of str to DataFrame
        The disclosed tables (``funnel``, ``cusum``, ``cusum_signals``).
    min_cell : int or None
        Release: providers with fewer units, or whose estimate the released table withholds,
        are left off the funnel plots, and no CUSUM chart is drawn. None: internal, all drawn.
    """
    page.section("Provider monitoring", "monitoring")
    mon = result.monitoring
    if mon is None or "funnel" not in t:
        page.note("The funnel plots and CUSUM charts could not be computed; see the checks "
                  "monitoring.funnel_alarm and monitoring.cusum_signal.")
        return
    mo = result.config.monitoring
    page.paragraph(
        "Funnel plots (Spiegelhalter 2005): each provider's notable adverse events per session "
        "as observed over expected (O/E), the expected count from a case-mix model (condition, "
        "Fitzpatrick type, setting, needle depth; no provider term), and its mean final "
        "improvement per course adjusted for case mix, against its volume. Outside the 95% "
        "limits: alert; outside the 99.8% limits: alarm. Overdispersion between providers: "
        f"{mo['overdispersion']} (winsorised z-scores). Risk-adjusted Bernoulli CUSUM (Steiner "
        f"et al. 2000) per provider, tuned to an odds ratio of {mo['odds_ratio']:g}, with a "
        f"control limit chosen by simulation so that an in-control provider signals over its "
        f"sessions with probability {mo['false_alarm']:g}.")
    f = t["funnel"]
    if f.empty and t["cusum"].empty:
        page.note(mon.funnel.notes or "No provider to compare.")
        return
    exact = mon.funnel.table
    if min_cell:  # a release draws only the providers whose estimate its table shows
        keys = ["indicator", "dimension", "group"]
        visible = f.loc[pd.to_numeric(f["estimate"], errors="coerce").notna(), keys]
        exact = exact.merge(visible.astype(exact[keys].dtypes.to_dict()), on=keys)
    for (indicator, dim), part in exact.groupby(["indicator", "dimension"], sort=False):
        shown = part[part["n"] >= (min_cell or 1)]
        if len(shown) < 2:
            continue
        from ..audit.funnel import Funnel

        sub = Funnel(table=shown.reset_index(drop=True), sd=mon.funnel.sd)
        ax = sub.plot(indicator=indicator, dimension=dim)
        what = _INDICATOR_WORDS.get(indicator, column_label(indicator))
        page.figure(ax, alt=f"Funnel plot of {what.lower()} by {dimension(dim).lower()}",
                    caption=f"{what} by {dimension(dim).lower()} "
                            f"(providers of at least {min_cell or 1} units)")
    alerts = f[f["status"].astype(str) != "in_control"]
    if len(alerts):
        page.table(funnel_view(alerts), caption="Providers in alert or alarm",
                   badges={"Status": RESULT_BADGES})
    else:
        page.note("Providers in alert or alarm: every provider lies within its 95% limits.")
    if len(f):
        page.details(f"Every provider of the funnel plots ({len(f)} rows)", funnel_view(f),
                     caption="Funnel-plot table")
    else:
        page.note(f"Funnel-plot table: {mon.funnel.notes or 'No provider.'}")
    cu = t["cusum"]
    if len(cu):
        signalled = cu[cu["status"].astype(str) != "no_signal"]
        if len(signalled):
            page.table(cusum_view(signalled), caption="Providers whose CUSUM signalled",
                       badges={"Status": RESULT_BADGES})
        page.details(f"Risk-adjusted CUSUM of every provider ({len(cu)} rows)", cusum_view(cu),
                     caption="Risk-adjusted CUSUM per provider")
    else:
        page.note(f"Risk-adjusted CUSUM per provider: "
                  f"{mon.cusum.notes or 'No provider to monitor.'}")
    sig = t["cusum_signals"].copy()
    if len(sig):
        sig["session_date"] = pd.to_datetime(sig["session_date"]).dt.strftime("%Y-%m")
        sig = sig.rename(columns={"session_date": "month"}).drop(columns=["session_id"],
                                                                   errors="ignore")
        shown = pd.DataFrame({"Provider": [f"{dimension(d)} {g}" for d, g in
                                           zip(sig["dimension"], sig["group"], strict=True)],
                              "Month": sig["month"]})
        for c, words in (("sessions_since_reset", "Sessions since the restart"),
                         ("events_since_reset", "Events since the restart"),
                         ("expected_since_reset", "Expected events"), ("cusum", "CUSUM"),
                         ("control_limit", "Control limit")):
            if c in sig:
                shown[words] = sig[c].to_numpy()
        page.table(shown, caption="CUSUM signals (month of the session that crossed the "
                                  "limit)")
    if min_cell and mon.cusum.paths:  # a path steps at every event: a listing of sessions
        page.note("A release draws no CUSUM chart: a chart steps at each session with an event, "
                  "which would list them. The internal audit draws one per provider that "
                  "signalled.")
        return
    for dim, group in mon.cusum.paths:
        ax = mon.cusum.plot(dimension=dim, group=group, by="session")
        page.figure(ax, alt=f"Risk-adjusted CUSUM of {dimension(dim).lower()} {group}",
                    caption=f"Risk-adjusted CUSUM of {dim.removesuffix('_id')} {group}, which "
                            "signalled")
