"""The audit's files: ``audit.html`` (self-contained), ``audit.json`` and ``audit.xlsx``.

:func:`write_audit` writes an :class:`~outcomes.audit.result.AuditResult` under the same
small-count disclosure rules as the reports (:func:`outcomes.output.disclosure.disclose`, with
the per-table rules of :func:`disclosure_rules`): the page shows exactly the disclosed tables of
:func:`audit_tables`, ``audit.json`` is their :func:`~outcomes.audit.result.audit_data`, and the
workbook and its CSV copies go through :func:`outcomes.output.export.write_tables`. The full list
of non-adherent sessions (ids and reasons only, nothing to count) is written to
``audit_nonadherent_sessions.csv``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..audit.result import AuditResult, audit_data
from ..audit.signals import ALL, NOT_RECORDED, Signals
from ..output.disclosure import small_mark
from ..output.export import INTERNAL_NOTICE, write_tables
from ..output.folder import OutputSet
from ..output.html import Page
from ..output.labels import column_label
from ..output.safety import neutralise_formulas
from ..stats.result import Col
from ..validators import is_number
from .audit_views import (
    RESULT_BADGES,
    adherence_groups_view,
    adherence_view,
    checks_view,
    counts_view,
    dimension,
    signals_view,
)
from .monitoring import MONITORING_CAPTIONS, monitoring_section
from .relations import AUDIT_RULES, numeric_like, release_of

__all__ = ["write_audit", "audit_tables", "audit_json", "disclosure_rules", "HTML_LISTED",
           "XLSX_LISTED"]

#: Non-adherent sessions listed per recommendation in ``audit.html`` (all are in the CSV/JSON).
HTML_LISTED = 100
#: Non-adherent sessions written to ``audit.xlsx`` (all are in the CSV and JSON files).
XLSX_LISTED = 10_000
#: The table of ids and reasons only: nothing in it to count, so never disclosed.
_LISTING = "nonadherent_sessions"

_STATUS_BADGES = {"pass": "badge badge-supported", "fail": "badge badge-contradicted",
                  "not_applicable": "badge badge-not_testable",
                  "is_error": "badge badge-contradicted"}

_README = {
    "counts": "Rows read, accepted, quarantined and warned (an optional value blanked) per "
              "input table.",
    "checks": "One row per check: data quality (Kahn et al. 2016 categories), the safety gate "
              "and adherence minimums. numerator: units meeting the description; denominator: "
              "units checked; percentage = 100 x numerator / denominator; passed when the "
              "percentage is at least / at most (direction) the threshold.",
    "adherence": "One row per practice recommendation of the claims catalogue: units it applies "
                 "to (n), adherent, nonadherent, share adherent (estimate) with a 95% Wilson "
                 "interval, effective n for clustering by patient.",
    "adherence_by_clinic": "Adherence per clinic (a course counts once per clinic that gave one "
                           "of its sessions).",
    "adherence_by_operator": "Adherence per operator (a course counts once per operator that "
                             "gave one of its sessions).",
    _LISTING: f"Sessions not following a recommendation, by pseudonymous session id, with the "
              f"reason; the first {XLSX_LISTED:,} here, all of them in "
              f"audit_nonadherent_sessions.csv.",
    "signals": "Notable adverse-event rates per session and per course, overall and per group, "
               "with 95% Wilson intervals (effective n for clustering by patient), the ceiling, "
               "and whether the interval lies entirely above the overall rate or the ceiling.",
}

_README_ALL = {**_README, **MONITORING_CAPTIONS}


def disclosure_rules() -> dict[str, dict]:
    """Per audit table, the keyword arguments of :meth:`outcomes.output.release.Release.add`
    (the relations between its counts: :data:`outcomes.report.relations.AUDIT_RULES`)."""
    return dict(AUDIT_RULES)


def _released(result: AuditResult, min_cell: int):
    """The audit's tables as one release: no session listing, every count decided once."""
    exact = {k: v for k, v in result.tables().items() if k != _LISTING}
    if "cusum_signals" in exact:  # a signal's session is a listing: its month is enough
        sig = exact["cusum_signals"].drop(columns=["session_id"], errors="ignore")
        exact["cusum_signals"] = sig.assign(
            session_date=pd.to_datetime(sig["session_date"]).dt.strftime("%Y-%m"))
    published = release_of(exact, AUDIT_RULES, min_cell).publish()
    shown = dict(published.tables)
    shown["signals"] = _overall_withheld(shown["signals"])
    shown["suppressions"] = published.suppressions
    return shown, published


def _overall_withheld(sig: pd.DataFrame) -> pd.DataFrame:
    """The ``overall`` rate is the rate of the 'all' row: withheld where that row's is."""
    if sig.empty or "overall" not in sig:
        return sig
    sig = sig.copy()
    overall = sig[sig["dimension"] == ALL].set_index("unit")[Col.ESTIMATE]
    hidden = {u for u, v in overall.items() if pd.isna(v)}
    sig.loc[sig["unit"].isin(hidden), "overall"] = np.nan
    return sig


def audit_tables(result: AuditResult, *, min_cell: int | None = 5) -> dict[str, pd.DataFrame]:
    """Every table of the audit as a file shows it.

    Parameters
    ----------
    result : AuditResult
    min_cell : int or None, default 5
        The release (``outcomes audit --release``): counts from 1 to ``min_cell - 1`` shown as
        ``"<min_cell"``, cells that would give them back as ``"*"`` (across every table of the
        audit), estimates resting on fewer units withheld, counts taken out of text, and no
        session listing (:class:`outcomes.output.release.Release`). None: the exact tables
        (internal).

    Returns
    -------
    dict of str to DataFrame
        The exact tables of :meth:`AuditResult.tables`; released: the same without
        ``nonadherent_sessions`` and with ``suppressions`` (one row per hidden cell, never its
        value).
    """
    if min_cell is None:
        return result.tables()
    return _released(result, min_cell)[0]


def audit_json(result: AuditResult, *, min_cell: int | None = 5,
               indent: int | None = 2) -> str:
    """The text of ``audit.json``: :func:`~outcomes.audit.result.audit_data` of
    :func:`audit_tables` (``min_cell=None``: internal, exact, with the session ids)."""
    data = audit_data(result, audit_tables(result, min_cell=min_cell), min_cell=min_cell)
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)


def write_audit(result: AuditResult, out: str | Path, *, min_cell: int = 5,
                release: bool = False) -> dict[str, Path]:
    """Write ``audit.html``, ``audit.json`` and ``audit.xlsx`` (with CSV copies).

    Parameters
    ----------
    result : AuditResult
        :func:`outcomes.audit`'s result.
    out : str or Path
        Output folder (created if needed), written as one set
        (:class:`outcomes.output.folder.OutputSet`).
    min_cell : int, default 5
        With ``release``: counts from 1 to ``min_cell - 1`` are shown as ``<min_cell``.
    release : bool, default False
        False: the internal audit, for the clinic's own auditor: exact counts and percentages,
        the non-adherent sessions listed (``audit_nonadherent_sessions.csv``), every file
        saying on its first line, sheet or heading that it is internal
        (:data:`outcomes.output.export.INTERNAL_NOTICE`). True: a release, protected as one
        (:func:`audit_tables`), with no session listing.

    Returns
    -------
    dict of str to Path
        ``"html"``, ``"json"``, ``"xlsx"``, (internal) ``"nonadherent_csv"`` and the CSV copies
        of the workbook's sheets (``"<table>_csv"``).

    Examples
    --------
    >>> import tempfile
    >>> from outcomes import audit, load_sample
    >>> written = write_audit(audit(load_sample()), tempfile.mkdtemp())
    >>> written["html"].name, written["xlsx"].name
    ('audit.html', 'audit.xlsx')
    >>> written["html"].read_text(encoding="utf-8").count("Internal: exact small counts")
    1
    """
    output = OutputSet(out, known=AUDIT_FILES)
    with output as out_dir:
        if release:
            shown, published = _released(result, min_cell)
        else:
            shown, published, min_cell = result.tables(), None, None
        written: dict[str, Path] = {"html": out_dir / "audit.html",
                                    "json": out_dir / "audit.json"}
        written["html"].write_text(_page(result, shown, min_cell).render(), encoding="utf-8")
        # compact: json's fast C encoder only runs without indent (the session id lists are long)
        written["json"].write_text(json.dumps(audit_data(result, shown, min_cell=min_cell),
                                              ensure_ascii=False, allow_nan=False),
                                   encoding="utf-8")
        written.update(_write_workbook(shown, out_dir, min_cell, published))
    return {k: output.final(v) for k, v in written.items()}


#: The files an audit names: a re-run removes those it did not write again.
AUDIT_FILES = ("audit.html", "audit.json", "audit.xlsx", "audit_nonadherent_sessions.csv",
               "tables/*.csv")


# ------------------------------------------------------------------------------ the page
def _pct(value):
    return round(float(value), 2) if is_number(value) else value


def _page(result: AuditResult, t: dict[str, pd.DataFrame], min_cell: int) -> Page:
    verdict = "PASSED" if result.passed else "FAILED"
    checks = t["checks"]
    n_fail = int((~checks["passed"].astype(bool)).sum())
    head = f"{verdict}: {len(checks) - n_fail} of {len(checks)} checks pass " \
           f"(outcomes {__version__})"
    if min_cell is None:
        page = Page(f"Quality audit: {result.source or 'bundle'}",
                    subtitle=f"{INTERNAL_NOTICE} {head}", raster=False)
        page.note("Exact counts, percentages and the sessions not following a recommendation, "
                  "for the clinic's own auditor. For a copy to share, run 'outcomes audit "
                  "--release'. Session, clinic and operator ids are the bundle's pseudonymous "
                  "keys; no patient id or date is shown.")
    else:
        page = Page(f"Quality audit: {result.source or 'bundle'}", subtitle=head, raster=False)
        n_sup = len(t.get("suppressions", ()))
        page.note(f"Release: counts from 1 to {min_cell - 1} are shown as "
                  f"{small_mark(min_cell)}, cells that would give them back (by subtraction, "
                  "from a total or from another table) as *, estimates resting on fewer than "
                  f"{min_cell} units or giving a small count back are left blank, and no session "
                  f"is listed. {n_sup} cells are suppressed, each listed in the workbook's "
                  "sheet 'suppressions' and in tables/suppressions.csv.")
    _verdict(page, checks, n_fail)
    page.section("Input", "input")
    page.table(counts_view(t["counts"]), caption="Rows per input table")
    if result.missing_tables:
        page.paragraph("Tables not in the bundle: " + ", ".join(result.missing_tables) + ".")
    if result.checksums:
        page.definition_list({f"SHA-256 of {k}": v for k, v in result.checksums.items()})
    _checks(page, checks)
    _signals(page, result, t["signals"], min_cell)
    monitoring_section(page, result, t, min_cell)
    _adherence(page, t)
    _settings(page, result, min_cell)
    return page


_SHOWN = ["id", "category", "description", "numerator", "denominator", "percentage",
          "threshold", "direction", "status"]


def _checks_table(page: Page, checks: pd.DataFrame, caption: str) -> None:
    page.table(checks_view(checks), caption=caption, badges={"Result": RESULT_BADGES})


def _verdict(page: Page, checks: pd.DataFrame, n_fail: int) -> None:
    page.section("Verdict", "verdict")
    if n_fail:
        page.paragraph("These checks missed their threshold (percentages of the denominator):")
        _checks_table(page, checks.loc[~checks["passed"].astype(bool)], "Failed checks")
    else:
        page.paragraph("Every check passed its threshold.")


def _checks(page: Page, checks: pd.DataFrame) -> None:
    page.section("Data-quality checks", "checks")
    page.paragraph("Categories of Kahn et al. (2016), a harmonized data quality assessment "
                   "terminology: conformance (values and keys follow the contract), "
                   "completeness (what analyses need is there), plausibility (values are "
                   "believable). Quarantined rows count as failures.")
    for category, group in checks.groupby("category", sort=False):
        _checks_table(page, group, f"{str(category).capitalize()} checks")


def _signals(page: Page, result: AuditResult, sig: pd.DataFrame, min_cell: int) -> None:
    page.section("Safety signals", "signals")
    cfg = result.config
    page.paragraph(
        "Notable adverse event: moderate or severe, or any PIH, hypopigmentation, infection or "
        f"scarring. Rates per session and per course with {cfg.confidence:.0%} Wilson "
        "intervals (effective n for clustering by patient). A group is flagged when its whole "
        f"interval lies above the ceiling ({cfg.ceilings['sessions']:.1%} per session, "
        f"{cfg.ceilings['courses']:.1%} per course); 'above overall' when it lies above the "
        "rate of all units.")
    if sig.empty:
        page.note(result.signals.notes)
        return
    flagged = sig[sig["above_ceiling"].astype(bool)]
    if len(flagged):
        page.table(signals_view(flagged), caption="Flagged groups")
    else:
        page.paragraph("No group's interval lies entirely above the ceiling.")
    above = sig[sig["above_overall"].astype(bool) & ~sig["above_ceiling"].astype(bool)]
    if len(above):
        page.table(signals_view(above), caption="Groups above the overall rate (below the "
                                                "ceiling)")
    exact = result.signals.table
    if min_cell is None:
        visible = exact[exact["n"] >= 1]
    else:  # drawn from the released rows: what the tables show, nothing more
        shown = numeric_like(sig, exact)
        visible = shown[shown["n"] >= min_cell]
    min_cell = min_cell or 1
    for unit in ("sessions", "courses"):
        part = visible[(visible["unit"] == unit) & (visible["dimension"] == "clinic_id")]
        if not len(part):
            recorded = (sig["dimension"] == "clinic_id") & (sig["group"] != NOT_RECORDED)
            page.note(f"No figure per clinic for {unit}: no clinic has {min_cell} or more "
                      f"{unit}" + ("" if recorded.any() else " (no session has a clinic_id)")
                      + ".")
        else:
            ax = Signals(table=part.reset_index(drop=True)).plot(unit=unit)
            page.figure(ax, alt=f"Share of {unit} with a notable adverse event per clinic, "
                                "with intervals, the ceiling and the overall rate",
                        caption=f"Notable adverse events per {unit[:-1]}, by clinic (groups "
                                f"of at least {min_cell} {unit})")
    overall = sig[sig["dimension"] == "all"]
    if len(overall):
        page.table(signals_view(overall, with_dimension=False), caption="Overall rates")
    for dim in cfg.dimensions:
        part = sig[sig["dimension"] == dim]
        if len(part):
            page.details(f"Rates by {dimension(dim).lower()} ({len(part)} rows)",
                         signals_view(part, with_dimension=False),
                         caption=f"Notable side effects by {dimension(dim).lower()}")


def _adherence(page: Page, t: dict[str, pd.DataFrame]) -> None:
    page.section("Practice recommendations", "adherence")
    page.paragraph("Share of the sessions (or courses) each recommendation of the claims "
                   "catalogue applies to that follow it. Audited, never given a verdict; the "
                   "documents disagree on spacing, so no bundle can follow every one.")
    overall = t["adherence"]
    if len(overall) == 0:
        page.note("Adherence, overall: the claims catalogue has no practice recommendation.")
        return
    page.table(adherence_view(overall), caption="Adherence, overall")
    names = dict(zip(overall["recommendation"], overall["statement"], strict=True))
    for name, group in (("adherence_by_clinic", "clinic_id"),
                        ("adherence_by_operator", "operator_id")):
        part = t[name]
        if len(part) == 0 or group not in part:
            page.note(f"Adherence per {dimension(group).lower()}: no session the "
                      f"recommendations apply to has a {dimension(group).lower()}.")
            continue
        page.details(f"Adherence per {dimension(group).lower()} ({len(part)} rows)",
                     adherence_groups_view(part, group, names),
                     caption=f"Adherence per {dimension(group).lower()}")
    if _LISTING not in t:  # a release lists no session
        return
    page.section("Sessions not following a recommendation", "nonadherent", level=3)
    if t[_LISTING].empty:
        page.note("Every session audited follows every recommendation it is audited against.")
        return
    page.paragraph(f"Up to {HTML_LISTED} per recommendation; audit_nonadherent_sessions.csv "
                   "and audit.json list them all.")
    for rec, group in t[_LISTING].groupby("recommendation", sort=False):
        listed = group.drop(columns=["recommendation"]).head(HTML_LISTED)
        listed.columns = [column_label(c) for c in listed.columns]
        page.table(listed, caption=rec)


def _settings(page: Page, result: AuditResult, min_cell: int) -> None:
    cfg = result.config
    page.section("Settings", "settings")
    page.definition_list({
        "configuration files": ", ".join(cfg.files),
        "plausible spacing (days, exclusive)": f"{cfg.spacing_days[0]:g} to "
                                                f"{cfg.spacing_days[1]:g}",
        "course finished after (days)": cfg.finished_after_days,
        "needle-depth bands (mm)": ", ".join(f"{e:g}" for e in cfg.depth_edges),
        "flag dimensions": ", ".join(cfg.flag_dimensions),
        "adherence minimums": ", ".join(f"{k} {v:g}%" for k, v in
                                        cfg.adherence_minimum.items()) or "none",
        "smallest count shown": min_cell or "every count shown exactly (internal)",
    })


# ------------------------------------------------------------------------------ the workbook
def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """A long internal table as UTF-8 CSV, the notice on its first line (pyarrow's writer:
    about ten times pandas' speed)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with open(path, "wb") as f:
        f.write((INTERNAL_NOTICE + "\n").encode("utf-8"))
        pcsv.write_csv(pa.Table.from_pandas(df, preserve_index=False), f)


def _write_workbook(shown: dict[str, pd.DataFrame], out_dir: Path, min_cell: int | None,
                    published) -> dict[str, Path]:
    """``audit.xlsx`` and ``tables/<name>.csv`` through :func:`outcomes.output.export.write_tables`;
    internal: the full list of non-adherent sessions in ``audit_nonadherent_sessions.csv`` and
    the notice on the first line of every CSV and of the README sheet."""
    written: dict[str, Path] = {}
    if published is None:
        full = out_dir / "audit_nonadherent_sessions.csv"
        _write_csv(neutralise_formulas(shown[_LISTING]), full)
        written["nonadherent_csv"] = full
        sheets = {**shown, _LISTING: shown[_LISTING].head(XLSX_LISTED)}
        res = write_tables(sheets, out_dir, readme=_README_ALL, min_cell=1, exact=True)
    else:
        res = write_tables(published.tables, out_dir, readme=_README_ALL, min_cell=min_cell,
                           published=dataclass_replace(published, shown))
    written["xlsx"] = out_dir / "audit.xlsx"
    os.replace(res.xlsx, written["xlsx"])
    written.update({f"{name}_csv": path for name, path in res.csv.items()})
    return written


def dataclass_replace(published, shown):
    """``published`` with the tables as shown (the overall rate withheld with its row)."""
    return published._replace(tables={k: shown[k] for k in published.tables})
