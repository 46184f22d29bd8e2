"""The dashboard's claims table as HTML: one row per claim, full height, in words.

One job: turn the released claims table (counts disclosed, estimates withheld where they must
be) into an accessible HTML table: a caption, column headers with ``scope``, each claim's
statement and its sentence (:func:`outcomes.report.sentences.claim_sentences`: what was
measured, the estimate, what the claim needs, the verdict and why), the verdict as
a mark and a word on its colour (:func:`outcomes.app.view.verdict_badge`), the estimate with its
interval (:func:`outcomes.output.labels.format_interval`), the units it rests on, and
why an estimate was withheld.
"""

from __future__ import annotations

import html

import pandas as pd

from ..claims.verdicts import VERDICTS, Verdict
from ..output.disclosure import NOTE_COLUMN
from ..output.labels import format_count, is_missing, label
from ..report.sentences import claim_kind
from ..report.sentences import claim_sentences as report_sentences
from ..report.sentences import interval_text as report_interval
from ..stats.result import Col
from .view import verdict_badge

__all__ = ["claims_table_html", "claim_sentences", "interval_text"]


def interval_text(row, claim) -> str:
    """The estimate and its 95% interval in the claim's unit (empty when withheld)."""
    if row["verdict"] == Verdict.NOT_TESTABLE or is_missing(row[Col.ESTIMATE]):
        return ""
    kind = claim_kind(claim) if claim is not None else "number"
    return report_interval(row[Col.ESTIMATE], row[Col.CI_LOW], row[Col.CI_HIGH], kind)


def claim_sentences(table: pd.DataFrame, catalogue) -> dict[str, str]:
    """One plain sentence per claim id (:func:`outcomes.report.sentences.claim_sentences`)."""
    return {k: str(v) for k, v in report_sentences(table, catalogue).items()}


def claims_table_html(table: pd.DataFrame, catalogue) -> str:
    """The claims table, a legend counting each verdict, as HTML."""
    claims = {c.id: c for c in catalogue.claims}
    sentences = claim_sentences(table, catalogue)
    rows = []
    for r in table.to_dict("records"):
        claim = claims.get(r["id"])
        withheld = r.get(NOTE_COLUMN)
        note = withheld if isinstance(withheld, str) else ""  # the why is in the sentence
        n = r[Col.N]
        n = format_count(n) if isinstance(n, int | float) and not is_missing(n) else str(n)
        unit = label(claim.unit, "unit") if claim is not None and claim.unit else ""
        rows.append(
            f"<tr data-claim='{html.escape(r['id'])}'>"
            f"<td><b>{html.escape(str(r['statement']))}</b><br>"
            f"{html.escape(sentences[r['id']])}"
            f"<br><small style='color:#555'>{html.escape(r['id'])}</small></td>"
            f"<td>{verdict_badge(r['verdict'])}</td>"
            f"<td style='white-space:nowrap'>{html.escape(interval_text(r, claim))}</td>"
            f"<td style='text-align:right;white-space:nowrap'>{html.escape(n)} "
            f"{html.escape(unit)}</td>"
            f"<td><small>{html.escape(note)}</small></td></tr>")
    counts = table["verdict"].value_counts()
    legend = " ".join(f"{verdict_badge(v)} {int(counts.get(v, 0))}" for v in VERDICTS)
    head = ("<tr><th scope='col'>Claim</th><th scope='col'>Verdict</th>"
            "<th scope='col'>Estimate (95% interval)</th><th scope='col'>Based on</th>"
            "<th scope='col'>Note</th></tr>")
    return (f"<div class='outcomes-dashboard-claims'><p>{legend}</p>"
            f"<table class='outcomes-claims' style='border-collapse:collapse;width:100%'>"
            f"<caption style='text-align:left;color:#555'>{len(table)} claims about the "
            f"filtered data; each verdict is a mark and a word as well as a colour</caption>"
            f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>")
