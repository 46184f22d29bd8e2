"""``outcomes report``: the self-contained HTML report, the workbook and CSVs (and a PDF).

Everything shown passes through disclosure control first (:mod:`outcomes.output.disclosure`):
the HTML report shows exactly the tables written to ``tables.xlsx`` and ``tables/*.csv``, and
figures draw only groups resting on at least ``min_cell`` units, without printed counts (those
are in the tables, suppressed where small). Patient-level rows are exported only on request. A
section with nothing to show says why, in a note, instead of an empty table or figure.
"""

from __future__ import annotations

import datetime as _dt
import shlex
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..analysis import TABLE_DESCRIPTIONS, Results, analyse
from ..bundle.log import SessionLog
from ..bundle.memory import release_memory
from ..claims.catalogue import Catalogue
from ..courses import NO_EVENTS_TABLE, Courses
from ..output.export import disclosure_rule, write_tables
from ..output.folder import OutputSet
from ..output.html import Page, escape
from ..output.labels import count_text, format_count
from ..output.pdf import write_pdf
from ..output.progress import Progress
from ..output.word import write_docx
from ..stats.dose_response import IMPROVEMENT
from ..stats.result import Col
from .answer import answer_section
from .cohort import COHORT_DESCRIPTIONS, report_tables
from .relations import (
    numeric_like,
    report_release,
    resolution_points,
    withhold_small_steps,
)
from .sections import (
    claims_details,
    cohort_section,
    dose_tables,
    outcomes_tables,
    quality_table,
    recommendations_section,
    side_effect_tables,
    skin_tables,
    spacing_tables,
)
from .tables import words

__all__ = ["write_report", "ReportResult", "METHODS"]

#: The methods section: every definition and interval method, in words.
METHODS = {
    "Course": "All sessions of one patient for one condition, in date order; session k is the "
              "k-th of its course and K its last. Spacing: days since the previous session of "
              "the course.",
    "Baseline": "The latest assessment of the course dated on or before its first session.",
    "Assessment after session k": "The latest assessment dated after session k and on or "
                                  "before session k+1 (k < K). After session K: the end of "
                                  "treatment.",
    "End of treatment": "The first assessment dated after session K and before K's date + 56 "
                        "days.",
    "Follow-up": "The latest assessment dated 56 days or more after session K.",
    "Final": "Follow-up if there is one, else end of treatment, else the latest assessment after "
             "any session.",
    "Primary scale": "A course assessed on several scales is analysed on the scale typically "
                     "used for its condition, then one with a usable baseline, then the one "
                     "with most assessments; same-day assessments on one scale are averaged.",
    "Improvement": "(baseline - score) / (baseline - best) on a bounded scale where lower is "
                   "better, mirrored where higher is better; the relative change from baseline "
                   "on an unbounded scale (hair density); (4 - score) / 3 on GAIS, which needs "
                   "no baseline. Bands: visible >= 0.10, considerable >= 0.25, major >= 0.50.",
    "Sessions to major improvement": "The first session k after which a major improvement is "
                                     "seen; courses ending without one are censored at their "
                                     "last assessed session (Kaplan-Meier on session count).",
    "Resolution time": "Hours from the session to resolution; an event unresolved at last "
                       "contact is censored there. Shares resolved by H hours are Kaplan-Meier "
                       "estimates 1 - S(H).",
    "Notable adverse event": "Any moderate or severe event, or any PIH, hypopigmentation, "
                             "infection or scarring.",
    "Clustering": "Sessions and courses of one patient are not independent: every interval is "
                  "clustered by patient, and each table's method column says how.",
    "Proportions": "Wilson score interval; with clustering, Wilson with the effective sample "
                   "size p(1-p)/var, var the cluster-robust variance of the share.",
    "Differences of proportions": "Newcombe's hybrid score interval from the two (effective-n) "
                                  "Wilson intervals.",
    "Means and differences": "Least squares with a cluster-robust (CR1) sandwich variance and a "
                             "t distribution with G-1 degrees of freedom (G patients).",
    "Risk ratios": "Log-scale delta-method interval with a cluster-robust sandwich variance.",
    "Medians": "Woodruff's interval: the cluster-robust interval of the share below the median, "
               "mapped back through the quantile function.",
    "Kaplan-Meier": "Greenwood variance when each patient contributes one unit, otherwise the "
                    "cluster-robust (infinitesimal jackknife) variance; pointwise log(-log) "
                    "intervals; medians by inverting them (Brookmeyer-Crowley).",
    "Verdicts": "range [lo, hi]: supported if the interval lies inside, contradicted if it "
                "misses it; at least T: supported if the lower end >= T (> T when strict), "
                "contradicted if the upper end < T; at most T: supported if the upper end <= T "
                "(< T when strict), contradicted if the lower end > T. Otherwise, or with fewer "
                "units than the claim's minimum, inconclusive; not_testable when the data lack "
                "a column or any unit the claim needs.",
}


@dataclass(frozen=True)
class ReportResult:
    """What :func:`write_report` wrote.

    Attributes
    ----------
    html, xlsx : Path
    csv : dict of str to Path
    pdf : Path or None
    suppressions : DataFrame
        Every hidden cell (also listed in the report's provenance section).
    results : Results or None
        The analyses behind the report (not disclosure-controlled: for further analysis);
        None when :func:`write_report` was asked not to keep them.
    exported : dict of str to DataFrame
        The tables exactly as exported, small counts suppressed: the ones to show (also
        :meth:`tables`).
    docx : Path or None
        ``report.docx``, when asked for (after the other fields, so that positions hold).
    verdicts : Series or None
        Number of claims per verdict (:meth:`outcomes.ClaimsResult.counts`).
    """

    html: Path
    xlsx: Path
    csv: dict[str, Path]
    pdf: Path | None
    suppressions: pd.DataFrame
    results: Results | None
    exported: dict[str, pd.DataFrame]
    docx: Path | None = None
    verdicts: pd.Series | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables exactly as exported, small counts suppressed (the ones to show)."""
        return dict(self.exported)

    def summary(self) -> str:
        """Plain text: the files written and how many cells were suppressed."""
        files = [self.html.name, self.xlsx.name, f"{len(self.csv)} CSV files"]
        files += [self.pdf.name] if self.pdf else []
        files += [self.docx.name] if self.docx else []
        return (f"Report written to {self.html.parent}: {', '.join(files)}.\n"
                f"{len(self.suppressions)} cells suppressed (listed in the report's provenance "
                "section).")

    def _repr_html_(self) -> str:
        return "<pre>" + escape(self.summary()) + "</pre>"


def write_report(
    log: SessionLog,
    out_dir: str | Path,
    *,
    catalogue: Catalogue | str | None = None,
    conditions: Iterable[str] | None = None,
    min_cell: int = 5,
    pdf: bool = False,
    docx: bool = False,
    include_patient_rows: bool = False,
    command: Sequence[str] | None = None,
    quiet: bool = True,
    keep_results: bool = True,
    courses: Courses | None = None,
) -> ReportResult:
    """Write ``report.html``, ``tables.xlsx`` and ``tables/*.csv`` (and ``report.pdf``,
    ``report.docx``).

    Parameters
    ----------
    log : SessionLog
        A loaded bundle.
    out_dir : str or Path
        Output folder (created if needed). The files are written beside it and moved in as a
        set once all are written; files of an earlier report that this one does not write are
        removed, other files are left alone (:class:`outcomes.output.folder.OutputSet`).
    catalogue : Catalogue or path, optional
        Claims catalogue (a path: the built-in one changed by that file).
    conditions : iterable of str, optional
        Restrict everything to these conditions.
    min_cell : int, default 5
        Counts from 1 to ``min_cell - 1`` are shown as ``<min_cell``; estimates resting on
        fewer units are withheld.
    pdf : bool, default False
        Also typeset the same page as ``report.pdf`` (:mod:`outcomes.output.pdf`; needs the
        ``pdf`` extra).
    docx : bool, default False
        Also write the same page as ``report.docx`` (:mod:`outcomes.output.word`; needs the
        ``docx`` extra).
    include_patient_rows : bool, default False
        Also export the patient-level course table.
    command : sequence of str, optional
        The command line, recorded in the provenance section.
    quiet : bool, default True
        No progress bar (it is shown on a terminal otherwise).
    keep_results : bool, default True
        Return the analyses in ``ReportResult.results``. False lets the courses (one row per
        session, course and assessment point: most of the memory at a million sessions) go once
        the tables are written, before the figures are drawn; ``results`` is then None and
        ``verdicts`` still counts the claims per verdict.
    courses : Courses, optional
        The courses of ``log`` already built (as :func:`outcomes.analyse` takes them): the log
        may then hold no rows, only its counts, rejects, warnings and columns (``outcomes
        report`` lets the rows go so). The caller's reference keeps them past the tables.

    Returns
    -------
    ReportResult
    """
    output = OutputSet(out_dir, known=REPORT_FILES)
    with Progress(9 + bool(pdf) + bool(docx), quiet=quiet) as progress, output as out:
        results = analyse(log, catalogue=catalogue, conditions=conditions,
                          progress=progress.step, courses=courses)
        release_memory(collect=False)  # what the last analysis freed, before the tables
        progress.step("writing tables")
        tables = report_tables(results, include_patient_rows=include_patient_rows)
        published = withhold_small_steps(report_release(tables, min_cell).publish(), min_cell)
        descriptions = {**TABLE_DESCRIPTIONS, **COHORT_DESCRIPTIONS}
        export = write_tables(
            published.tables, out, readme={k: descriptions[k] for k in tables},
            min_cell=min_cell, published=published,
            provenance=_workbook_provenance(log, command, min_cell, include_patient_rows),
        )
        facts = _Facts.of(results, min_cell)
        verdicts = results.claims.counts()
        if not keep_results:
            results = _aggregates(results)
            release_memory()
        progress.step("drawing figures")
        page = _page(results, facts, export.tables, export.suppressions, min_cell, command,
                     include_patient_rows, raster=docx)
        progress.step("writing report.html")
        html_path = page.write(out / "report.html")
        pdf_path = None
        if pdf:
            progress.step("typesetting report.pdf")
            pdf_path = write_pdf(page, out / "report.pdf")
        docx_path = None
        if docx:
            progress.step("writing report.docx")
            docx_path = write_docx(page, out / "report.docx")
    return ReportResult(output.final(html_path), output.final(export.xlsx),
                        {k: output.final(v) for k, v in export.csv.items()},
                        output.final(pdf_path), export.suppressions,
                        results if keep_results else None, export.tables,
                        output.final(docx_path), verdicts)


def _workbook_provenance(log: SessionLog, command, min_cell: int, patient_rows: bool) -> dict:
    """What the workbook's provenance sheet records beside the package and the time."""
    return {"command": " ".join(shlex.quote(a) for a in command) if command else None,
            "parameters": {"bundle": log.source or "(unnamed)", "min_cell": min_cell,
                           "patient-level rows": "included" if patient_rows else "not included"},
            "checksums": dict(log.checksums)}


#: The files a report names: a re-run removes those it did not write again.
REPORT_FILES = ("report.html", "report.pdf", "report.docx", "tables.xlsx", "tables/*.csv",
                ".report-print.html")


# ------------------------------------------------------------------------------ the page
@dataclass(frozen=True)
class _Facts:
    """What the page says from the courses and the bundle, read before the figures are drawn
    (so that the courses can go by then)."""

    subtitle: str
    no_improvement: str
    no_events: str
    n_events: int
    checksums: dict

    @classmethod
    def of(cls, r: Results, min_cell: int) -> _Facts:
        return cls(_subtitle(r, min_cell), _no_improvement(r), _no_events(r),
                   len(r.courses.events), dict(r.log.checksums))


def _aggregates(r: Results) -> Results:
    """``r`` without its courses (nor the claims' reference to them) and without the
    recommendations' audit (the figures draw neither): what the page still needs."""
    import dataclasses

    return dataclasses.replace(r, courses=None, adherence=None,
                               claims=dataclasses.replace(r.claims, courses=None))


def released_results(r: Results, shown: dict, min_cell: int) -> Results:
    """``r`` with each analysis' table replaced by the released one (for the figures)."""
    import dataclasses

    def swap(result, name, **extra):
        if result is None or name not in shown:
            return result
        return dataclasses.replace(result, table=numeric_like(shown[name], result.table),
                                   **extra)

    res = r.resolution
    extra = dict(res.extra)
    if "curve" in extra and "resolution" in shown:
        extra["curve"] = resolution_points(shown["resolution"], extra["curve"])
    claims = r.claims
    if "claims" in shown:
        table = claims.table.copy()
        for c in (Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH):
            table[c] = pd.to_numeric(shown["claims"][c], errors="coerce").to_numpy()
        claims = dataclasses.replace(claims, table=table)
    by_condition = swap(r.by_condition, "by_condition")
    if by_condition is not None:  # its figure labels each condition with n: shown ones only
        t = by_condition.table
        by_condition = dataclasses.replace(by_condition,
                                           table=t[t[Col.N] >= min_cell].reset_index(drop=True))
    return dataclasses.replace(
        r, by_condition=by_condition, dose=swap(r.dose, "dose_response"),
        spacing=swap(r.spacing, "spacing"), skin_type=swap(r.skin_type, "skin_type"),
        resolution=swap(res, "resolution", extra=extra), claims=claims)


def _page(r: Results, facts: _Facts, shown: dict, suppressions: pd.DataFrame, min_cell: int,
          command, include_patient_rows: bool, raster: bool = True) -> Page:
    r = released_results(r, shown, min_cell)
    page = Page("Microneedling outcomes: what the data say", subtitle=facts.subtitle,
                raster=raster)
    names = {c.id: c.statement for c in r.claims.catalogue}
    answer_section(page, shown["claims"], r.claims.catalogue, shown["conflicts"])
    _claims(page, r, shown, names)
    cohort_section(page, shown, names)
    recommendations_section(page, shown)
    _outcomes(page, r, shown, min_cell)
    _dose(page, r, shown, min_cell, facts.no_improvement)
    _spacing(page, r, shown)
    _side_effects(page, r, shown, min_cell, facts)
    _skin(page, r, shown)
    _quality(page, shown)
    _methods(page, min_cell)
    _provenance(page, facts.checksums, suppressions, min_cell, command, include_patient_rows)
    return page


def _subtitle(r: Results, min_cell: int) -> str:
    """The bundle and its size in one line under the title."""
    s, c = r.courses.sessions, r.courses.courses
    span = (f"{s[Col.SESSION_DATE].min():%B %Y} to {s[Col.SESSION_DATE].max():%B %Y}"
            if len(s) else "no sessions")
    return (f"Bundle {r.log.source or '(unnamed)'}: {count_text(len(s), min_cell)} sessions, "
            f"{count_text(len(c), min_cell)} courses, "
            f"{count_text(c[Col.PATIENT_ID].nunique(), min_cell)} patients, "
            f"{count_text(int(s[Col.CLINIC_ID].nunique()), min_cell)} clinics, {span} · "
            f"outcomes {__version__}")


def _claims(page: Page, r: Results, shown, names) -> None:
    page.figure(r.claims.plot()[0], alt="For each claim, the estimate and its 95% interval "
                                     "beside the claimed range", caption="Claims: estimate "
                "(dot), 95% interval (line) and what the claim says (green).")
    claims_details(page, shown, names)


def _enough(table: pd.DataFrame, column: str, n_col: str, min_cell: int) -> list[str]:
    """Groups of ``column`` whose largest unit count reaches ``min_cell``."""
    if table is None or len(table) == 0 or n_col not in table:
        return []
    n = pd.to_numeric(table[n_col], errors="coerce")
    keep = table.loc[n >= min_cell, column]
    return [str(x) for x in dict.fromkeys(keep) if str(x) != "all"]


def _no_improvement(r: Results) -> str:
    """Why no course has an improvement after a session ("" when some course has one)."""
    if len(r.courses.dose) and r.courses.dose[Col.IMPROVEMENT].notna().any():
        return ""
    if "assessments" in r.log.missing_tables:
        return "the bundle has no assessments table"
    if len(r.courses.sessions) == 0:
        return "no accepted session"
    return ("no course has an improvement after a session (an assessment after it, and a "
            "baseline or a change-scale score)")


def _no_events(r: Results) -> str:
    """Why side-effect tables can be empty."""
    if not r.courses.events_recorded:
        return NO_EVENTS_TABLE
    if len(r.courses.sessions) == 0:
        return "no accepted session"
    if len(r.courses.events) == 0:
        return "no adverse event was recorded (a session with none had no side effect)"
    return "no group with a side effect to show"


def _outcomes(page: Page, r: Results, shown, min_cell) -> None:
    page.section("Outcomes by condition", "outcomes")
    t = r.by_condition.table
    if (t[Col.MEASURE] == "final_improvement_mean").any():
        page.figure(r.by_condition.plot(), alt="Mean final improvement by condition with 95% "
                                               "intervals and the band thresholds",
                    caption="Final improvement by condition (share of the possible "
                            "improvement).")
    else:
        page.note(f"No figure: no condition has {min_cell} or more courses with a final "
                  "improvement.")
    outcomes_tables(page, shown)


def _dose(page: Page, r: Results, shown, min_cell, why: str) -> None:
    page.section("Improvement by number of sessions", "dose-response")
    page.paragraph("Patients who reach many sessions are self-selected: the numbers at risk at "
                   "each session are in the table below the figures.")
    t = r.dose.table
    # each figure draws the conditions with enough courses in its own rows: a condition can
    # have Kaplan-Meier rows (improvement at follow-up only) and no improvement-after-k row
    improved = _enough(t[t[Col.MEASURE] == IMPROVEMENT], Col.CONDITION, Col.N, min_cell)
    reaching = _enough(t[t[Col.MEASURE] == r.dose.reached_measure], Col.CONDITION, Col.N,
                       min_cell)
    if improved:
        page.figure(r.dose.plot(kind="improvement", conditions=improved),
                    alt="Mean improvement after each session by condition, with 95% bands",
                    caption="Improvement after session k (mean, 95% interval).")
    else:
        page.note(f"No improvement figure: no condition has {min_cell} or more courses with an "
                  f"improvement after a session ({why or 'too few courses'}).")
    if reaching:
        page.figure(r.dose.plot(kind="sessions_to_band", conditions=reaching, at_risk=False),
                    alt="Kaplan-Meier share of courses reaching a major improvement by session",
                    caption="Sessions to a major improvement (Kaplan-Meier).")
    else:
        page.note(f"No sessions-to-major figure: no condition has {min_cell} or more courses "
                  f"followed after a session ({why or 'too few courses'}).")
    dose_tables(page, shown, why)


def _spacing(page: Page, r: Results, shown) -> None:
    page.section("Spacing between sessions", "spacing")
    page.figure(r.spacing.plot(annotate=False), alt="Heat map of the improvement gain per "
                                                    "session by spacing bin and condition",
                caption="Improvement gained per session by spacing (days since the previous "
                        "session).")
    spacing_tables(page, shown)


def _side_effects(page: Page, r: Results, shown, min_cell, facts: _Facts) -> None:
    page.section("Side effects", "side-effects")
    why = facts.no_events
    events = _enough(r.resolution.table, Col.EVENT, Col.N, min_cell)
    if events:
        page.figure(r.resolution.plot(event=events[:6], show_at_risk=False),
                    alt="Kaplan-Meier share of side effects resolved against hours after the "
                        "session", caption="Time to resolution (Kaplan-Meier, 95% bands).")
    else:
        page.note(f"No resolution curve: no side effect has {min_cell} or more events"
                  + (f" ({why})." if facts.n_events == 0 else "."))
    side_effect_tables(page, shown, why)


def _skin(page: Page, r: Results, shown) -> None:
    page.section("Skin types", "skin-types")
    page.figure(r.skin_type.plot(), alt="Share of courses with a notable adverse event by "
                                        "Fitzpatrick type, and the risk difference",
                caption="Notable adverse events per course by Fitzpatrick type.")
    skin_tables(page, shown)


def _quality(page: Page, shown) -> None:
    page.section("Data quality", "data-quality")
    page.paragraph("Rows with a bad required field were quarantined and left out of every "
                   "statistic; bad optional values were blanked. Run 'outcomes validate PATH "
                   "--rejects DIR' for the rows themselves, or 'outcomes audit' for the full "
                   "quality audit.")
    quality_table(page, shown)
    page.table(words(shown["input"]), caption="Rows read per table: read, accepted, set aside "
                                              "(quarantined) and warned about")


def _methods(page: Page, min_cell: int) -> None:
    page.section("Methods", "methods")
    page.definition_list({**METHODS, "Disclosure control": disclosure_rule(min_cell)})


def _provenance(page: Page, checksums: dict, suppressions: pd.DataFrame, min_cell: int,
                command, include_patient_rows: bool) -> None:
    page.section("Provenance", "provenance")
    cmd = " ".join(shlex.quote(a) for a in (command if command is not None else ["(Python API)"]))
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    page.definition_list({
        "Package": f"outcomes {__version__} (Python {sys.version.split()[0]}, "
                   f"pandas {pd.__version__})",
        "Command": cmd,
        "Parameters": f"min_cell = {min_cell}; patient-level rows "
                      f"{'included' if include_patient_rows else 'not included'}",
        "Run at": now,
    })
    files = pd.DataFrame({"File": list(checksums), "SHA-256": list(checksums.values())})
    page.table(files, caption="Input files and their SHA-256 checksums")
    if len(suppressions):
        page.paragraph(f"{format_count(len(suppressions))} cells were suppressed or withheld "
                       "by disclosure control. Each is listed with its table, row, column and "
                       "reason in the workbook tables.xlsx (sheet suppressions) and in "
                       "tables/suppressions.csv.")
    else:
        page.note("No cell needed suppression.")

