"""The dashboard's claims table as HTML: one row per claim, full height, in words.

One job: turn the released claims table (counts disclosed, estimates withheld where they must
be) into an accessible HTML table: a caption, column headers with ``scope``, each claim's
sentence (:func:`outcomes.report.sentences.claim_sentences` when the report provides it, else
the claim's statement followed by its estimate and interval in the claim's unit), the verdict as
a mark and a word on its colour (:func:`outcomes.app.view.verdict_badge`), the estimate with its
interval (:func:`outcomes.output.labels.format_interval`), the units it rests on and the reason.
"""

from __future__ import annotations

import html

import pandas as pd

from ..claims.verdicts import VERDICTS, Verdict
from ..output.disclosure import NOTE_COLUMN
from ..output.labels import estimand_kind, format_interval, is_missing, label
from ..stats.result import Col
from .view import verdict_badge

__all__ = ["claims_table_html", "claim_sentences", "interval_text"]


def interval_text(row, claim) -> str:
    """The estimate and its 95% interval in the claim's unit (empty when withheld)."""
    if row["verdict"] == Verdict.NOT_TESTABLE or is_missing(row[Col.ESTIMATE]):
        return ""
    kind = estimand_kind(claim.estimand) if claim is not None else "number"
    return format_interval(row[Col.ESTIMATE], row[Col.CI_LOW], row[Col.CI_HIGH], kind)


def _fallback_sentence(row, claim) -> str:
    statement = str(row["statement"])
    estimate = interval_text(row, claim)
    verdict = label(row["verdict"], "verdict").lower()
    if not estimate:
        return f"{statement} Verdict: {verdict}."
    return f"{statement} Estimate {estimate}; verdict: {verdict}."


def claim_sentences(table: pd.DataFrame, catalogue) -> dict[str, str]:
    """One plain sentence per claim id: the report's (:mod:`outcomes.report.sentences`) when it
    is there and reads this table, else the statement with the estimate and the verdict."""
    claims = {c.id: c for c in catalogue.claims}
    out = {r["id"]: _fallback_sentence(r, claims.get(r["id"])) for r in table.to_dict("records")}
    try:
        from ..report.sentences import claim_sentences as report_sentences
    except ImportError:
        return out
    try:
        given = report_sentences(table, catalogue)
    except Exception:  # noqa: BLE001 - a sentence we cannot make falls back to the statement
        return out
    for claim_id, text in given.items():
        if isinstance(text, str) and text.strip() and claim_id in out:
            out[claim_id] = text
    return out


def claims_table_html(table: pd.DataFrame, catalogue) -> str:
    """The claims table, a legend counting each verdict, as HTML."""
    claims = {c.id: c for c in catalogue.claims}
    sentences = claim_sentences(table, catalogue)
    rows = []
    for r in table.to_dict("records"):
        claim = claims.get(r["id"])
        note = r["reason"] if isinstance(r["reason"], str) else ""
        withheld = r.get(NOTE_COLUMN)
        if isinstance(withheld, str) and withheld:
            note = "; ".join(x for x in (note, withheld) if x)
        unit = label(claim.unit, "unit") if claim is not None and claim.unit else ""
        rows.append(
            f"<tr data-claim='{html.escape(r['id'])}'>"
            f"<td>{html.escape(sentences[r['id']])}"
            f"<br><small style='color:#555'>{html.escape(r['id'])}</small></td>"
            f"<td>{verdict_badge(r['verdict'])}</td>"
            f"<td style='white-space:nowrap'>{html.escape(interval_text(r, claim))}</td>"
            f"<td style='text-align:right;white-space:nowrap'>{html.escape(str(r[Col.N]))} "
            f"{html.escape(unit)}</td>"
            f"<td><small>{html.escape(note)}</small></td></tr>")
    counts = table["verdict"].value_counts()
    legend = " ".join(f"{verdict_badge(v)} {int(counts.get(v, 0))}" for v in VERDICTS)
    head = ("<tr><th scope='col'>Claim</th><th scope='col'>Verdict</th>"
            "<th scope='col'>Estimate (95% interval)</th><th scope='col'>Based on</th>"
            "<th scope='col'>Why</th></tr>")
    return (f"<div class='outcomes-dashboard-claims'><p>{legend}</p>"
            f"<table class='outcomes-claims' style='border-collapse:collapse;width:100%'>"
            f"<caption style='text-align:left;color:#555'>{len(table)} claims about the "
            f"filtered data; each verdict is a mark and a word as well as a colour</caption>"
            f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>")
