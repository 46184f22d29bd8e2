"""The report's first screen: one sentence per claim, its sources by title, the conflicts beside.

A reader who opens the report sees, before any table, what the data say about each claim of the
documents: a verdict badge that carries the verdict in a mark and a word (never colour alone),
the claim's sentence (:mod:`outcomes.report.sentences`), the documents making the claim by
their titles (the file name in a footnote), and beside the list the places where the
documents disagree with each other.
"""

from __future__ import annotations

import re

import pandas as pd

from ..claims.model import Catalogue, Source
from ..output.html import Page, escape
from ..output.labels import VERDICT_MARKS, label
from .sentences import claim_sentences

__all__ = ["SOURCE_TITLES", "source_title", "verdict_badge", "answer_section"]

#: The five source documents (docs/sources/README.md): file name -> readable title.
SOURCE_TITLES = {
    "000_d8bd517d0247ec35.txt": "Clinic blog post: what micro-needling is, its benefits and "
                                "after-care",
    "001_698babc5b7c638c9.txt": "Clinic page: uses, number of sessions, side effects, who "
                                "should refrain",
    "002_22ca913a8a1820c1.txt": "Magazine and beauty-salon texts: results, session rhythm, "
                                "pain, side effects",
    "003_0bdc80866ee67b89.txt": "Skincare article: professional against at-home treatment",
    "004_fa50c4219b9f1419.txt": "Dermatologist's article: positive effects and precautions",
}


def source_title(document: str) -> str:
    """The readable title of a source document (its file name when it has none).

    Examples
    --------
    >>> source_title("003_0bdc80866ee67b89.txt")
    'Skincare article: professional against at-home treatment'
    >>> source_title("my_notes.txt")
    'my_notes.txt'
    """
    return SOURCE_TITLES.get(document, document)


def verdict_badge(verdict: str) -> str:
    """A verdict badge in HTML: its mark and its word, coloured (the colour adds nothing new).

    Examples
    --------
    >>> verdict_badge("supported")
    '<span class="badge badge-supported"><span aria-hidden="true">✓</span> Supported</span>'
    """
    mark = VERDICT_MARKS.get(verdict, "")
    css = f"badge badge-{escape(verdict)}"
    mark_html = f'<span aria-hidden="true">{escape(mark)}</span> ' if mark else ""
    return f'<span class="{css}">{mark_html}{escape(label(verdict, "verdict"))}</span>'


class _Notes:
    """Footnote numbers of the documents, in order of first citation."""

    def __init__(self):
        self.order: list[str] = []

    def number(self, document: str) -> int:
        if document not in self.order:
            self.order.append(document)
        return self.order.index(document) + 1

    def cite(self, document: str) -> str:
        n = self.number(document)
        return (f'{escape(source_title(document))}<sup><a href="#source-{n}" '
                f'id="cite-{n}">{n}</a></sup>')


def _sources_html(sources: tuple[Source, ...], notes: _Notes) -> str:
    documents = list(dict.fromkeys(s.document for s in sources))
    if not documents:
        return ""
    cites = "; ".join(notes.cite(d) for d in documents)
    return f'<span class="claim-sources">Source{"s" if len(documents) > 1 else ""}: {cites}</span>'


_DOC_NUMBER = re.compile(r"\b(\d{3})\b")


def _note_html(note: str, notes: _Notes) -> tuple[str, str]:
    """A conflict's note with each document number (``002``) as its title's footnote."""
    documents = {d[:3]: d for d in SOURCE_TITLES}

    def cite(m, html: bool):
        d = documents.get(m.group(1))
        if d is None:
            return m.group(0)
        n = notes.number(d)
        return (f'document <a href="#source-{n}">[{n}]</a>' if html else f"document [{n}]")

    html = _DOC_NUMBER.sub(lambda m: cite(m, True), escape(note))
    return html, _DOC_NUMBER.sub(lambda m: cite(m, False), note)


def _side_html(side: str, claims: dict, statements: dict, verdicts: dict,
               notes: _Notes) -> tuple[str, str]:
    """One side of a conflict, as HTML and as text."""
    if side in claims:
        v = verdicts.get(side, "")
        text = f"{statements.get(side, side)} ({label(v, 'verdict').lower()})"
        return f"{verdict_badge(v)} {escape(statements.get(side, side))}", text
    if side in statements:
        text = f"{statements[side]} (a recommendation, audited below)"
        return escape(text), text
    document, sep, quote = side.partition(": ")
    if sep and document.endswith(".txt"):
        text = f"{source_title(document)}: {quote}"
        return f"{notes.cite(document)}: {escape(quote)}", text
    return escape(side), side


def answer_section(page: Page, claims: pd.DataFrame, catalogue: Catalogue,
                   conflicts: pd.DataFrame) -> Page:
    """Add the first section: the claim sentences with badges and sources, conflicts beside.

    Parameters
    ----------
    page : Page
    claims : DataFrame
        The released claims table.
    catalogue : Catalogue
        The catalogue the claims were evaluated with (estimands, rules, sources).
    conflicts : DataFrame
        The released conflicts table (``conflict``, ``topic``, ``side``, ``note``).
    """
    sentences = claim_sentences(claims, catalogue)
    known = {c.id: c for c in catalogue}
    verdicts = dict(zip(claims["id"], claims["verdict"], strict=True))
    notes = _Notes()
    items, text = [], []
    for cid, sentence in sentences.items():
        v = str(verdicts.get(cid, ""))
        claim = known.get(cid)
        statement = claim.statement if claim else ""
        sources = _sources_html(claim.sources, notes) if claim else ""
        items.append(f'<li class="claim" id="claim-{escape(cid)}">{verdict_badge(v)} '
                     f'<span class="claim-statement">{escape(statement)}</span> '
                     f'<span class="claim-sentence">{escape(sentence)}</span> {sources} '
                     f'<span class="claim-id">{escape(cid)}</span></li>')
        text.append(f"{label(v, 'verdict')}: {statement} {sentence} ({cid})")
    counts = claims["verdict"].value_counts()
    summary = ", ".join(f"{int(counts[v])} {label(v, 'verdict').lower()}"
                        for v in VERDICT_MARKS if v in counts)
    page.section("What the data say about the claims", "claims")
    page.paragraph(f"The {len(claims)} claims of the source documents that the data can test: "
                   f"{summary}. A claim is supported only when the whole 95% interval "
                   "(clustered by patient) agrees with it, contradicted only when the whole "
                   "interval disagrees.")
    statements = {c.id: c.statement for c in catalogue}
    statements.update({r.id: r.statement for r in catalogue.recommendations})
    aside, aside_text = [], []
    if len(conflicts):
        for cid, group in conflicts.groupby("conflict", sort=False):
            sides = [_side_html(str(s), known, statements, verdicts, notes)
                     for s in group["side"]]
            note = str(group["note"].iloc[0]) if "note" in group else ""
            topic = str(group["topic"].iloc[0])
            note_html, note_text = _note_html(note, notes)
            aside.append(f'<div class="conflict" id="conflict-{escape(cid)}"><h4>'
                         f"{escape(topic)}</h4><ul>"
                         + "".join(f"<li>{h}</li>" for h, _ in sides)
                         + f"</ul><p>{note_html}</p></div>")
            aside_text.append(f"{topic}: " + "; ".join(t for _, t in sides) + f". {note_text}")
    conflicts_html = ('<aside class="conflicts" aria-label="Where the documents disagree">'
                      "<h3>Where the documents disagree</h3>" + "".join(aside) + "</aside>"
                      if aside else "")
    footnotes = "".join(f'<li id="source-{i}">{escape(source_title(d))} (file '
                        f"<code>{escape(d)}</code>)</li>"
                        for i, d in enumerate(notes.order, start=1))
    html = (f'<div class="answer"><ol class="claims">{"".join(items)}</ol>{conflicts_html}'
            f'</div><div class="footnotes"><h3>Source documents</h3><ol>{footnotes}</ol></div>')
    plain = "\n".join(text + (["Where the documents disagree:"] + aside_text if aside_text
                              else []) + [f"[{i}] {source_title(d)} (file {d})"
                                          for i, d in enumerate(notes.order, start=1)])
    return page.raw_html(html, text=plain)
