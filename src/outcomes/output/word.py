"""A page (:class:`outcomes.output.html.Page`) as a Word document (``report.docx``).

Rendered from the same blocks as the HTML page and the PDF, with the same words
(:mod:`outcomes.output.cells`): headings, paragraphs, notes, definition lists, tables with a
header row that repeats on every page, verdicts in cells shaded in their colour, and figures from
their PNG at the text width. A researcher copies a table into a manuscript from here. The
optional extra ``docx`` installs python-docx.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import OutcomesError
from .cells import table_text, words
from .folder import save_atomically
from .fragment import BLOCK_TAGS, Node, badge_code, parse
from .labels import VERDICT_COLOURS, format_value

__all__ = ["write_docx", "DOCX_EXTRA", "MAX_ROWS"]

DOCX_EXTRA = ("Writing a report as a Word document needs the optional Word support of outcomes: "
              "pip install 'outcomes[docx]' (it installs python-docx).")
#: Tables longer than this are named, not printed (they are in the workbook).
MAX_ROWS = 80
_TEXT_MM = 170


def _lighten(colour: str, amount: float = 0.6) -> str:
    rgb = [int(colour[k:k + 2], 16) for k in (1, 3, 5)]
    return "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(mark)


def _cell_text(cell, text: str, size, *, bold=False, right=False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    par = cell.paragraphs[0]
    run = par.add_run(text)
    run.font.size, run.bold = size, bold
    if right:
        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _table(doc, frame, caption, digits) -> None:
    from docx.shared import Pt

    t = table_text(frame, digits)
    if not t.header:
        return
    size = Pt(9 if len(t.header) <= 5 else 8 if len(t.header) <= 8 else 6.5)
    if caption:
        doc.add_paragraph().add_run(words(caption)).bold = True
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.header))
    table.style = "Table Grid"
    rows = table.rows
    _repeat_header(rows[0])
    for j, (cell, head) in enumerate(zip(rows[0].cells, t.header, strict=True)):
        _cell_text(cell, head, size, bold=True, right=t.numeric[j])
        _shade(cell, "EEEEEE")
    for row, texts, codes in zip(rows[1:], t.rows, t.codes, strict=True):
        for j, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
            _cell_text(cell, text, size, bold=bool(codes[j]), right=t.numeric[j])
            if codes[j]:
                _shade(cell, _lighten(VERDICT_COLOURS.get(codes[j], "#777777")))
    doc.add_paragraph()


def _note(doc, text: str) -> None:
    par = doc.add_paragraph(words(text))
    _shade_paragraph(par, "EEF7FC")


def _shade_paragraph(par, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:fill"), fill)
    par._p.get_or_add_pPr().append(shd)


def _shade_run(run, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:fill"), fill)
    run._r.get_or_add_rPr().append(shd)


def _runs(par, nodes: list[Node], style: frozenset = frozenset()) -> None:
    """Inline nodes of an HTML fragment as runs of ``par`` (badges bold and shaded)."""
    import re

    for node in nodes:
        if not node.tag:
            text = re.sub(r"\s+", " ", node.text)
            if text:
                run = par.add_run(words(text) if text.strip() else text)
                run.bold = "b" in style or None
                run.italic = "i" in style or None
                run.font.superscript = "sup" in style or None
            continue
        code = badge_code(node)
        if code:
            run = par.add_run(node.plain().strip())
            run.bold = True
            _shade_run(run, _lighten(VERDICT_COLOURS.get(code, "#777777")))
        elif node.tag == "br":
            par.add_run().add_break()
        else:
            extra = {"strong": "b", "b": "b", "em": "i", "i": "i", "cite": "i", "sup": "sup"}
            _runs(par, node.children, style | {extra[node.tag]} if node.tag in extra else style)


def _fragment(doc, nodes: list[Node], style: str | None = None) -> None:
    """An HTML fragment as paragraphs: one per list item or paragraph, runs within."""
    inline: list[Node] = []

    def flush():
        if any(n.tag or n.text.strip() for n in inline):
            _runs(doc.add_paragraph(style=style), inline)
        inline.clear()

    for node in nodes:
        if node.tag in ("ol", "ul"):
            flush()
            kind = "List Number" if node.tag == "ol" else "List Bullet"
            for item in node.children:
                if item.tag == "li":
                    _fragment(doc, item.children, kind)
        elif node.tag in BLOCK_TAGS:
            flush()
            _fragment(doc, node.children, style)
        else:
            inline.append(node)
    flush()


def _block(doc, block, max_rows: int) -> None:
    from docx.shared import Mm, Pt

    kind, data = block.kind, block.data
    if kind in ("table", "details") and len(data["frame"]) > max_rows:
        what = data.get("caption") or data.get("summary") or "Table"
        _note(doc, f"{what}: {len(data['frame']):,} rows, not printed here; in tables.xlsx "
                   "and tables/*.csv.")
    elif kind == "paragraph":
        doc.add_paragraph(words(data["text"]))
    elif kind == "note":
        _note(doc, data["text"])
    elif kind == "definition_list":
        for term, value in data["items"].items():
            par = doc.add_paragraph()
            par.add_run(words(term) + "  ").bold = True
            par.add_run(words(format_value(value)))
    elif kind in ("table", "details"):
        if kind == "details" and data.get("summary"):
            _note(doc, data["summary"])
        _table(doc, data["frame"], data.get("caption"), data.get("digits", 3))
    elif kind == "figure":
        if data.get("png") is None:
            raise OutcomesError("write_docx(): the page keeps no PNG copies of its figures; "
                                "build it with Page(..., raster=True).")
        doc.add_picture(io.BytesIO(data["png"]), width=Mm(_TEXT_MM))
        if data.get("caption"):
            run = doc.add_paragraph().add_run(words(data["caption"]))
            run.font.size, run.italic = Pt(9), True
    elif kind == "raw":
        nodes = parse(block.html)
        if nodes is not None and any(n.tag for n in nodes):
            _fragment(doc, nodes)
        elif data.get("text"):
            doc.add_paragraph(words(data["text"]))
    else:
        raise OutcomesError(f"write_docx(): unknown block kind {kind!r}.")


def write_docx(page, path, *, max_rows: int = MAX_ROWS) -> Path:
    """Write ``page`` (an :class:`~outcomes.output.html.Page`) as a Word document at ``path``.

    Parameters
    ----------
    page : Page
    path : str or Path
        Where to write (folders created; replaced only once the document is complete).
    max_rows : int, default :data:`MAX_ROWS`
        Tables with more rows are named in a note, not printed.

    Returns
    -------
    Path

    Raises
    ------
    OutcomesError
        If python-docx is not installed (the message says which extra to install).

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from outcomes.output.html import Page
    >>> page = Page("Report").section("Claims").table(
    ...     pd.DataFrame({"id": ["a-1"], "verdict": ["supported"]}), caption="Verdicts")
    >>> path = write_docx(page, Path(tempfile.mkdtemp()) / "report.docx")
    >>> import docx
    >>> [c.text for c in docx.Document(path).tables[0].rows[1].cells]
    ['a-1', 'Supported']
    """
    try:
        import docx
        from docx.shared import Mm, Pt
    except ImportError:
        raise OutcomesError(DOCX_EXTRA) from None
    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(18)
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = page.title
    doc.add_heading(words(page.title), 0)
    if page.subtitle:
        doc.add_paragraph(words(page.subtitle))
    for block in page.intro:
        _block(doc, block, max_rows)
    for s in page.sections:
        doc.add_heading(words(s.title), s.level - 1)
        for block in s.blocks:
            _block(doc, block, max_rows)
    return save_atomically(path, doc.save)
