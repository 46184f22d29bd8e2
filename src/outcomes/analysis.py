"""Every analysis of a bundle, computed once: what reports, notebooks and the results summary show.

:func:`analyse` builds the courses once and runs the claims, outcome, dose-response, spacing,
side-effect, skin-type and adherence analyses on them. :meth:`Results.tables` lists the tables an
export writes (each described in :data:`TABLE_DESCRIPTIONS`); patient-level rows are only among
them when asked for.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from .audit.adherence import Adherence, adherence
from .bundle.log import SessionLog
from .bundle.memory import release_memory
from .claims.catalogue import Catalogue, load_catalogue
from .claims.evaluate import ClaimsResult, evaluate_claims
from .courses import Courses, build_courses
from .stats.by_condition import ByCondition, outcomes_by_condition
from .stats.dose_response import DoseResponse, dose_response
from .stats.result import Col
from .stats.side_effects import Incidence, Resolution, incidence, resolution
from .stats.skin_type import SkinType, skin_type
from .stats.spacing import Spacing, spacing

__all__ = ["Results", "analyse", "conflicts_table", "CONFLICT_COLUMNS", "input_summary",
           "markdown_table", "TABLE_DESCRIPTIONS"]

#: What each table of :meth:`Results.tables` holds, in report order (the export's README).
TABLE_DESCRIPTIONS = {
    "input": "Rows read, accepted, quarantined and warned about, per input table",
    "claims": "One row per claim: verdict, estimate, 95% interval, units, method, reason and the "
              "sources quoted",
    "claims_comparisons": "The comparative claims' estimates by basis: crude, adjusted for what "
                          "differs between the groups before treatment, and at an equal number "
                          "of sessions (a mediator, not a confounder)",
    "claims_sensitivity": "The verdicts at a family-wise level across the claims (Bonferroni), "
                          "and with resolution times measured from onset",
    "conflicts": "Where the documents disagree, each side with what the data say",
    "recommendations": "Practice recommendations: share of sessions or courses following each",
    "by_condition": "Outcomes by condition: courses, patients, final improvement and shares "
                    "reaching each band",
    "dose_response": "Improvement after session k, gain of each session, and sessions to major "
                     "improvement (Kaplan-Meier), by condition",
    "dose_at_risk": "Courses at risk at each session (for the dose-response curves)",
    "spacing": "Improvement gain and side-effect rate per session by spacing bin",
    "incidence": "Share of sessions with at least one side effect, by event type",
    "resolution": "Time to resolution of side effects (Kaplan-Meier): median and shares "
                  "resolved by 24, 48, 72 and 168 hours",
    "resolution_at_risk": "Side effects still unresolved and followed at each horizon",
    "skin_type": "Notable adverse events and PIH per course by Fitzpatrick type, and the risk "
                 "difference IV-VI minus I-III",
    "data_quality": "Quarantined rows and blanked values, counted by table and reason",
    "courses": "Patient-level: one row per course (included on request)",
}


@dataclass(frozen=True)
class Results:
    """All analyses of one bundle (see :func:`analyse`).

    Answers the protocol of every result: :meth:`tables` (the tables an export writes),
    :meth:`to_frame` and :meth:`plot` (the claims), :meth:`summary` and ``_repr_html_``.
    """

    log: SessionLog
    courses: Courses
    claims: ClaimsResult
    by_condition: ByCondition
    dose: DoseResponse
    spacing: Spacing
    incidence: Incidence
    resolution: Resolution
    skin_type: SkinType
    adherence: Adherence

    def tables(self, *, include_patient_rows: bool = False) -> dict[str, pd.DataFrame]:
        """The tables an export writes, in report order (described in :data:`TABLE_DESCRIPTIONS`).

        Parameters
        ----------
        include_patient_rows : bool, default False
            Add ``courses`` (one row per course, with its pseudonymous patient id). Only when
            the user asks: everything else is aggregated.

        Returns
        -------
        dict of str to DataFrame
        """
        t = {
            "input": input_summary(self.log),
            "claims": self.claims.flat(),
            "claims_comparisons": self.claims.comparisons,
            "claims_sensitivity": self.claims.sensitivity,
            "conflicts": conflicts_table(self.claims, self.adherence),
            "recommendations": self.adherence.table,
            "by_condition": self.by_condition.table,
            "dose_response": self.dose.table,
            "dose_at_risk": self.dose.extra["at_risk"],
            "spacing": self.spacing.table,
            "incidence": self.incidence.table,
            "resolution": self.resolution.table,
            "resolution_at_risk": self.resolution.extra["at_risk"],
            "skin_type": self.skin_type.table,
            "data_quality": data_quality_summary(self.log),
        }
        if include_patient_rows:
            t["courses"] = self.courses.courses
        return t

    def to_frame(self) -> pd.DataFrame:
        """The claims table (a copy): one row per claim with its verdict."""
        return self.claims.to_frame()

    def summary(self) -> str:
        """Plain text: the bundle, its courses, patients and sessions, then the claims."""
        return f"{self._heading()}\n{self._sizes()}\n\n{self.claims.summary()}"

    def _repr_html_(self) -> str:
        return (f"<h4>{html.escape(self._heading())}</h4><p>{html.escape(self._sizes())}</p>"
                + self.claims._repr_html_())

    def plot(self, ax=None, **kwargs):
        """Forest plot of the claims (see :meth:`outcomes.ClaimsResult.plot`)."""
        return self.claims.plot(ax=ax, **kwargs)

    def _heading(self) -> str:
        return f"Results on the bundle {self.log.source or '(unnamed)'}"

    def _sizes(self) -> str:
        c = self.courses
        return (f"Courses: {len(c.courses)}; patients: {c.courses[Col.PATIENT_ID].nunique()}; "
                f"sessions: {len(c.sessions)}.")

    def to_markdown(self, min_cell: int = 5) -> str:
        """The headline numbers as Markdown (``docs/results.md`` is this, for the sample bundle).

        Only estimates resting on at least ``min_cell`` units are shown.
        """
        def ci(e, lo, hi):
            return f"{e:.3g} ({lo:.3g} to {hi:.3g})"

        claims = self.claims.table
        rows_claims = [[r.id, r.verdict,
                        ci(r.estimate, r.ci_low, r.ci_high) if r.n >= min_cell else "",
                        f"{r.n} {r.unit}"] for r in claims.itertuples()]
        bc = self.by_condition.table
        bc = bc[(bc["measure"] == "final_improvement_mean") & (bc[Col.N] >= min_cell)]
        rows_bc = [[r.condition, ci(r.estimate, r.ci_low, r.ci_high), str(r.n)]
                   for r in bc.itertuples()]
        res = self.resolution.table
        res = res[res[Col.N] >= min_cell]
        rows_res = []
        for event, part in res.groupby(Col.EVENT, sort=False):
            med = part[part["measure"] == "median_hours"].iloc[0]
            by48 = part[(part["measure"] == "resolved_by") & (part["hours"] == 48)].iloc[0]
            rows_res.append([str(event), ci(med.estimate, med.ci_low, med.ci_high),
                             ci(by48.estimate, by48.ci_low, by48.ci_high), str(med[Col.N])])
        sk = self.skin_type.table
        sk = sk[sk["level"] == "difference"]
        rows_sk = [[r.outcome, ci(r.estimate, r.ci_low, r.ci_high), str(r.n)]
                   for r in sk.itertuples()]
        counts = self.claims.counts()
        log = self.log
        parts = [
            f"# Results on the bundle `{log.source}`",
            "",
            "Computed by `outcomes.analyse(outcomes.load_bundle(...)).to_markdown()`; every "
            "interval is 95% and clustered by patient (see docs/definitions.md). Regenerate "
            "with `make results`.",
            "",
            "Rows accepted: " + ", ".join(f"{t} {int(r.accepted)} of {int(r.read)}"
                                          for t, r in log.counts.iterrows()) + ".",
            self._sizes(),
            "",
            "## Claims",
            f"{', '.join(f'{n} {v}' for v, n in counts.items())}.",
            "",
            markdown_table(["claim", "verdict", "estimate (95% CI)", "n"], rows_claims),
            "## Final improvement by condition",
            "",
            markdown_table(["condition", "mean (95% CI)", "courses"], rows_bc),
            "## Time to resolution of side effects (Kaplan-Meier)",
            "",
            markdown_table(["event", "median hours (95% CI)", "resolved by 48 h (95% CI)",
                            "events"], rows_res),
            "## Skin types: risk difference IV-VI minus I-III, per course",
            "",
            markdown_table(["outcome", "difference (95% CI)", "courses"], rows_sk),
        ]
        return "\n".join(parts)


#: Columns of :func:`conflicts_table`, in order.
CONFLICT_COLUMNS = ["conflict", "topic", "side", "verdict", "estimate", "ci_low", "ci_high", "n",
                    "note"]


def conflicts_table(claims: ClaimsResult, adherence: Adherence) -> pd.DataFrame:
    """Where the documents disagree: each side with what the data say.

    Claims (their verdicts) and recommendations (their audit) stand side by side here, which is
    why this table is drawn up above both rooms.

    Parameters
    ----------
    claims : ClaimsResult
        The verdicts (:func:`outcomes.evaluate_claims`); its catalogue names the conflicts.
    adherence : Adherence
        The audit of the practice recommendations (:func:`outcomes.adherence`) on the same
        courses.

    Returns
    -------
    pandas.DataFrame
        One row per side of each conflict of the catalogue, with the columns of
        :data:`CONFLICT_COLUMNS`:

        - ``conflict``, ``topic``, ``note``: the conflict.
        - ``side``: a claim or recommendation id, or a quoted document (``document: "quote"``).
        - ``verdict``: a claim's verdict; for a recommendation, that its share following it was
          audited; for a quote, that no data can test it; for a claim left out by the conditions
          chosen, that it was not evaluated.
        - ``estimate``, ``ci_low``, ``ci_high``, ``n``: the claim's estimate, or the share of
          units following the recommendation (empty for a quote).
    """
    by_id = claims.table.set_index("id")
    recommendations = adherence.table.set_index("recommendation")
    rows = []
    for c in claims.catalogue.conflicts:
        for entry in c.entries:
            row = {"conflict": c.id, "topic": c.topic, "note": c.note}
            if isinstance(entry, str):
                row["side"] = entry
                if entry in by_id.index:
                    r = by_id.loc[entry]
                    row.update(verdict=r["verdict"], estimate=r["estimate"],
                               ci_low=r["ci_low"], ci_high=r["ci_high"], n=r["n"])
                elif entry in recommendations.index:
                    r = recommendations.loc[entry]
                    row.update(verdict="recommendation (audited): share following it",
                               estimate=r["estimate"], ci_low=r["ci_low"],
                               ci_high=r["ci_high"], n=r["n"])
                else:
                    row["verdict"] = "not evaluated (outside the conditions chosen)"
            else:
                row["side"] = f"{entry.document}: \"{entry.quote}\""
                row["verdict"] = "statement (no data can test it)"
            rows.append(row)
    return pd.DataFrame(rows).reindex(columns=CONFLICT_COLUMNS)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""
    def cell(x) -> str:
        return str(x).replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, header)) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def input_summary(log: SessionLog) -> pd.DataFrame:
    """Rows read, accepted, quarantined and warned about, per table (count columns ``n_*``)."""
    c = log.counts.rename(columns=lambda name: f"n_{name}").reset_index()
    c["in_bundle"] = ~c[Col.TABLE].isin(log.missing_tables)
    return c


def data_quality_summary(log: SessionLog) -> pd.DataFrame:
    """Quarantine reasons and blanked columns, counted (never listing rows).

    Columns ``table``, ``kind`` (quarantined or blanked), ``what`` (the first clause of the
    reason, or the column blanked), ``n_rows``.
    """
    rows = []
    for table, rejects in log.rejects.items():
        if len(rejects) == 0:
            continue
        reasons = rejects[Col.REASON].astype(str).str.split("; ").explode()
        kinds = reasons.str.split(":").str[0].str.strip()
        for what, n in kinds.value_counts().items():
            rows.append({Col.TABLE: table, "kind": "quarantined", "what": what, "n_rows": int(n)})
    w = log.warnings
    if len(w):
        for (table, column), n in w.groupby([Col.TABLE, Col.COLUMN]).size().items():
            rows.append({Col.TABLE: table, "kind": "blanked", "what": column, "n_rows": int(n)})
    return pd.DataFrame(rows, columns=[Col.TABLE, "kind", "what", "n_rows"])


def analyse(
    log: SessionLog,
    *,
    catalogue: Catalogue | str | None = None,
    conditions: Iterable[str] | None = None,
    progress: Callable[[str], object] | None = None,
    courses: Courses | None = None,
) -> Results:
    """Run every analysis of the package on a bundle.

    Parameters
    ----------
    log : SessionLog
        A loaded bundle.
    catalogue : Catalogue or path, optional
        Claims catalogue (a path: the built-in one changed by that file).
    conditions : iterable of str, optional
        Restrict everything to these conditions; claims about other conditions are left out
        (as in :func:`outcomes.evaluate_claims`).
    progress : callable, optional
        Called with the name of each step as it starts (e.g. the ``step`` method of
        :class:`outcomes.output.progress.Progress`).
    courses : Courses, optional
        Courses already built from ``log`` (restricted to ``conditions``) with the catalogue's
        bands: the analyses read only these and the log's counts, rejects, warnings and columns,
        so the log may then hold no rows.

    Returns
    -------
    Results
    """
    announce = progress or (lambda label: None)

    def step(label: str, *, after: bool = True) -> None:
        if after:  # what the step before freed (a fifth of the memory at 1M) goes back
            release_memory(collect=False)
        announce(label)

    if not isinstance(catalogue, Catalogue):
        catalogue = load_catalogue(catalogue)
    if conditions is not None:
        conditions = [conditions] if isinstance(conditions, str) else list(conditions)
        log = log.filter(condition=conditions)
    step("building courses", after=False)
    built = courses is None
    if built:
        courses = build_courses(log, bands=dict(catalogue.bands))
    step("evaluating claims", after=built)
    claims = evaluate_claims(log, catalogue=catalogue, conditions=conditions, courses=courses)
    step("outcome statistics")
    by_condition = outcomes_by_condition(courses, bands=dict(catalogue.bands))
    dose = dose_response(courses)
    step("side-effect statistics")
    spacing_ = spacing(courses)
    incidence_ = incidence(courses)
    resolution_ = resolution(courses)
    skin = skin_type(courses)
    step("practice recommendations")
    adh = adherence(courses, catalogue=catalogue, log=log)
    return Results(log, courses, claims, by_condition, dose, spacing_, incidence_, resolution_,
                   skin, adh)
