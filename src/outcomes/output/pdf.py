"""A page (:class:`outcomes.output.html.Page`) typeset as an A4 PDF by Typst.

The PDF is rendered from the same blocks as the HTML page, not from its HTML: the title, the
contents, headings, paragraphs, notes, definition lists, tables and collapsed tables (printed
open; a table longer than :data:`MAX_ROWS` rows is named in a note, it is in the workbook),
figures (the SVG of each, else its PNG) and the package's own HTML fragments (lists of claims
with their badges, read by :mod:`outcomes.output.fragment`; anything else as the fragment's
text). The compiler is the ``typst`` wheel from the package index (the optional extra
``pdf``): no browser, no LaTeX, no system library. The fonts are DejaVu
Sans and DejaVu Sans Bold, the ones matplotlib ships, and no system font is read, so that the
same page gives the same PDF on every machine.

Every text from data enters the Typst source as a string literal (:func:`typst_string`), never
as markup, so that no ``#``, ``*``, ``$``, ``<``, ``@`` or ``[`` in a value can run or format
anything.

Tables are laid out here, not left to chance: each column is as wide as its longest word
(measured with the font's own advance widths) and no wider than its longest cell, spare width
goes to the columns that wrap; wide tables use a smaller font, and a table whose words do not
fit side by side is split into parts of columns that each repeat the first column. Header
rows repeat on every page. Words that hold a hyphen or a slash (claim ids such as
``redness-24-48h``) are never broken; a word too long for any column is. Verdicts are drawn as
coloured boxes with the verdict written in them, as wide as their words.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from functools import cache
from pathlib import Path

from ..errors import OutcomesError
from .cells import TableText, table_text, words
from .folder import save_atomically
from .fragment import BLOCK_TAGS, Node, badge_code, parse
from .labels import VERDICT_COLOURS, format_value

__all__ = ["write_pdf", "typst_source", "typst_string", "text_width", "column_widths",
           "TEXT_WIDTH", "PDF_EXTRA", "MAX_ROWS", "table_markup"]

PDF_EXTRA = ("Writing a report as PDF needs the optional PDF support of outcomes: "
             "pip install 'outcomes[pdf]' (it installs typst, a typesetting compiler with no "
             "system dependency).")

#: Width of the text on an A4 page with 15 mm side margins, in points.
TEXT_WIDTH = (210 - 2 * 15) / 25.4 * 72
#: Tallest figure, in points (an A4 page with 18 mm top and bottom margins holds 740).
FIGURE_HEIGHT = 600
_FONT = "DejaVu Sans"
_FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
#: Horizontal padding of a table cell (each side) and of a verdict box, in points.
_INSET = 3.5
_BADGE_INSET = 2.5
#: Font sizes of tables by their number of columns.
_SIZES = ((5, 8.5), (8, 7.5), (11, 7.0), (99, 6.5))
#: Words containing these are kept in one piece (a box); longer ones are broken anywhere.
_KEEP = re.compile(r"[-‐‑–—/]")
_LONGEST_KEPT = 0.4 * TEXT_WIDTH
_ZWSP = "\u200b"
_SPACE = re.compile(r"(\s+)")


# --------------------------------------------------------------------------------- text
def typst_string(text) -> str:
    """``text`` as a Typst string literal (shown as it is: no markup, no code).

    Examples
    --------
    >>> print(typst_string('a "b" \\\\ #c $d$ <e> @f\\nline'))
    "a \\"b\\" \\\\ #c $d$ <e> @f\\nline"
    """
    s = str(text)
    s = s.replace("\\", "\\\\").replace('"', '\\"')
    s = s.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    s = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", s)
    return f'"{s}"'


def _font_dir() -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


@cache
def _font(bold: bool):
    from matplotlib.ft2font import FT2Font

    return FT2Font(os.path.join(_font_dir(), _FONT_FILES[bold]))


@cache
def _advance(ch: str, bold: bool) -> float:
    from matplotlib.ft2font import LoadFlags

    font = _font(bold)
    try:
        glyph = font.load_char(ord(ch), flags=LoadFlags.NO_SCALE)
    except (RuntimeError, ValueError):
        return 0.6
    return glyph.horiAdvance / font.units_per_EM


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` in points at ``size`` points, in the PDF's font (no kerning).

    Examples
    --------
    >>> round(text_width("redness-24-48h", 10), 1), text_width("", 10)
    (78.5, 0.0)
    """
    return float(sum(_advance(ch, bold) for ch in str(text)) * size)


_AFTER = re.compile(r"(?<=[,;=&])")


def _pieces(word: str, size: float, bold: bool, limit: float) -> str:
    """A word wider than ``limit`` with break opportunities (zero-width spaces) inserted:
    after commas, semicolons and equals signs, and within runs still too wide."""
    out = []
    for part in _AFTER.split(word):
        run = ""
        for ch in part:
            if run and text_width(run + ch, size, bold=bold) > limit:
                out.append(run)
                run = ""
            run += ch
        out.append(run)
    return _ZWSP.join(p for p in out if p)


def _inline(text: str, size: float, bold: bool = False, limit: float = _LONGEST_KEPT) -> str:
    """Typst markup of plain text: string literals, words with a hyphen in unbreakable boxes,
    words wider than ``limit`` points broken."""
    parts = []
    for token in _SPACE.split(str(text)):
        if not token:
            continue
        if token.isspace():
            parts.append(f"#{typst_string(' ')};")
        elif text_width(token, size, bold=bold) > limit:
            parts.append(f"#{typst_string(_pieces(token, size, bold, limit))};")
        elif _KEEP.search(token):
            parts.append(f"#box({typst_string(token)});")
        else:
            parts.append(f"#{typst_string(token)};")
    return "".join(parts)


#: Widest word of a table cell kept whole, in points; wider ones are broken.
_CELL_WORD = 0.2 * TEXT_WIDTH


def _longest_word(text: str, size: float, bold: bool = False) -> float:
    return min(max((text_width(w, size, bold=bold) for w in text.split()), default=0.0),
               _CELL_WORD)


# --------------------------------------------------------------------------------- tables
def _table_size(n_columns: int) -> float:
    return next(size for most, size in _SIZES if n_columns <= most)


def _badge_width(text: str, size: float) -> float:
    return text_width(text, size, bold=True) + 2 * _BADGE_INSET + 1.5


def _column_extent(t: TableText, j: int, size: float) -> tuple[float, float]:
    """(narrowest, natural) width of column ``j``'s content, in points."""
    head = t.header[j]
    narrow = _longest_word(head, size, bold=True)
    natural = min(text_width(head, size, bold=True), 0.35 * TEXT_WIDTH)
    for row in t.rows:
        cell = row[j]
        if t.verdicts[j] and cell:
            w = _badge_width(cell, size)
            narrow, natural = max(narrow, w), max(natural, w)
            continue
        narrow = max(narrow, _longest_word(cell, size))
        natural = max(natural, min(text_width(cell, size), 0.45 * TEXT_WIDTH))
    pad = 2 * _INSET + 1.0
    return narrow * 1.03 + pad, max(natural, narrow) * 1.03 + pad


def column_widths(t: TableText, size: float, width: float = TEXT_WIDTH) -> list[float] | None:
    """Column widths in points that fit ``width``, or None when the words do not fit.

    Each column gets its natural width when all fit; otherwise its narrowest (its longest
    word) plus a share of the spare width in proportion to what it would need more.

    Examples
    --------
    >>> from outcomes.output.cells import table_text
    >>> import pandas as pd
    >>> t = table_text(pd.DataFrame({"a": ["x " * 200], "b": [1]}))
    >>> w = column_widths(t, 8)
    >>> round(sum(w)) <= round(TEXT_WIDTH) and w[0] > w[1]
    True
    """
    extents = [_column_extent(t, j, size) for j in range(len(t.header))]
    narrow = [e[0] for e in extents]
    natural = [e[1] for e in extents]
    if sum(natural) <= width:
        return natural
    if sum(narrow) > width:
        return None
    spare, need = width - sum(narrow), [b - a for a, b in extents]
    total = sum(need) or 1.0
    return [a + spare * n / total for a, n in zip(narrow, need, strict=True)]


def _parts(t: TableText, size: float) -> list[list[int]]:
    """Groups of column indices, each fitting the page with the first column repeated."""
    n = len(t.header)
    if column_widths(t, size) is not None or n < 2:
        return [list(range(n))]
    key = [] if t.numeric[0] else [0]
    parts, current = [], list(key)
    for j in range(len(key), n):
        trial = current + [j]
        if len(trial) > len(key) + 1 and column_widths(_select(t, trial), size) is None:
            parts.append(current)
            current = [*key, j]
        else:
            current = trial
    parts.append(current)
    return parts


def _select(t: TableText, columns: list[int]) -> TableText:
    return TableText([t.header[j] for j in columns], [[r[j] for j in columns] for r in t.rows],
                     [t.numeric[j] for j in columns], [t.verdicts[j] for j in columns],
                     [[c[j] for j in columns] for c in t.codes])


def _badge(text: str, code: str, size: float) -> str:
    colour = VERDICT_COLOURS.get(code, "#777777")
    return (f'#box(fill: rgb("{colour}").lighten(55%), stroke: 0.8pt + rgb("{colour}"), '
            f'inset: (x: {_BADGE_INSET}pt, y: 1.2pt), radius: 2pt, '
            f'text(weight: "bold", {typst_string(text)}));')


def _table_markup(t: TableText, caption: str | None, size: float) -> str:
    widths = column_widths(t, size)
    if widths is None:  # one column alone wider than the page: wrap everything
        widths = [TEXT_WIDTH / len(t.header)] * len(t.header)
    cols = ", ".join(f"{w:.1f}pt" for w in widths)
    aligns = ", ".join("right" if num else "left" for num in t.numeric)
    head = ", ".join(f"[#strong[{_inline(h, size, True, _CELL_WORD)}]]" for h in t.header)
    body = []
    for row, codes in zip(t.rows, t.codes, strict=True):
        cells = []
        for j, cell in enumerate(row):
            if codes[j] and cell:
                cells.append(f"[{_badge(cell, codes[j], size)}]")
            else:
                cells.append(f"[{_inline(cell, size, False, _CELL_WORD)}]")
        body.append(", ".join(cells))
    cap = (f"#block(sticky: true, below: 0.5em)[#strong[{_inline(caption, 9.5, True)}]]\n"
           if caption else "")
    rows = ",\n  ".join(body)
    return (f"{cap}#block(width: 100%)[#set text(size: {size}pt)\n"
            f"#table(columns: ({cols},), align: ({aligns},), inset: (x: {_INSET}pt, y: 2.5pt),"
            f' stroke: 0.4pt + rgb("#bbbbbb"),'
            f' fill: (x, y) => if y == 0 {{ rgb("#eeeeee") }},\n'
            f"  table.header({head}),\n  {rows}{',' if rows else ''}\n)]\n")


def table_markup(frame, caption: str | None = None, digits: int = 3) -> str:
    """Typst markup of a table: fitted columns, split into parts when too wide."""
    t = table_text(frame, digits)
    if not t.header:
        return ""
    size = _table_size(len(t.header))
    parts = _parts(t, size)
    if len(parts) == 1:
        return _table_markup(t, caption, size)
    out = []
    for k, columns in enumerate(parts, start=1):
        cap = f"{caption or 'Table'} (part {k} of {len(parts)})"
        out.append(_table_markup(_select(t, columns), cap, size))
    return "\n".join(out)


# --------------------------------------------------------------------------------- blocks
_SVG_URI = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def _figure(data: dict, name: str) -> str:
    w, h = data["size"]
    height = TEXT_WIDTH * h / w
    size = f"width: {TEXT_WIDTH:.1f}pt" if height <= FIGURE_HEIGHT else \
        f"height: {FIGURE_HEIGHT}pt"
    cap = data.get("caption")
    caption = f"#block(above: 0.4em)[#set text(size: 8.5pt)\n{_inline(words(cap), 8.5)}]" \
        if cap else ""
    return (f'#block(breakable: false, width: 100%)[#image("{name}", {size}, '
            f"alt: {typst_string(data.get('alt') or '')})\n{caption}]\n")


def _note(text: str) -> str:
    return (f'#block(fill: rgb("#eef7fc"), stroke: (left: 3pt + rgb("#56B4E9")), '
            f"inset: 6pt, width: 100%)[{_inline(words(text), 9.5)}]\n")


def _definitions(items: dict) -> str:
    rows = [f"terms.item([{_inline(words(k), 9.5, True)}], "
            f"[{_inline(words(format_value(v)), 9.5)}])" for k, v in items.items()]
    return f"#terms(separator: [#h(0.6em)], {', '.join(rows)})\n" if rows else ""


def _long(data: dict, max_rows: int) -> str | None:
    """A note naming a table too long to print, or None."""
    n = len(data["frame"])
    if n <= max_rows:
        return None
    what = data.get("caption") or data.get("summary") or "Table"
    return _note(f"{what}: {n:,} rows, not printed here; in tables.xlsx and tables/*.csv.")


def _block(block, figures: dict[str, bytes], max_rows: int) -> str:
    kind, data = block.kind, block.data
    if kind in ("table", "details") and _long(data, max_rows):
        return _long(data, max_rows)
    if kind == "paragraph":
        return f"{_inline(words(data['text']), 9.5)}\n"
    if kind == "note":
        return _note(data["text"])
    if kind == "definition_list":
        return _definitions(data["items"])
    if kind == "table":
        return table_markup(data["frame"], data.get("caption"), data.get("digits", 3))
    if kind == "details":
        summary = _note(data["summary"]) if data.get("summary") else ""
        return summary + table_markup(data["frame"], data.get("caption"), data.get("digits", 3))
    if kind == "figure":  # the SVG when the page has one (sharp in print), else the PNG
        svg = _SVG_URI.search(block.html)
        name = f"figure-{len(figures) + 1}.{'svg' if svg else 'png'}"
        figures[name] = base64.b64decode(svg.group(1)) if svg else data["png"]
        return _figure(data, name)
    if kind == "raw":
        nodes = parse(block.html)
        if nodes is not None and any(n.tag for n in nodes):
            return _nodes(nodes) + "\n"
        return f"{_inline(words(data['text']), 9.5)}\n" if data.get("text") else ""
    raise OutcomesError(f"write_pdf(): unknown block kind {kind!r}.")


# --------------------------------------------------------------------------------- fragments
_WRAP = {"strong": "#strong[{}]", "b": "#strong[{}]", "em": "#emph[{}]", "i": "#emph[{}]",
         "cite": "#emph[{}]", "sup": "#super[{}]", "sub": "#sub[{}]",
         "small": "#text(size: 0.85em)[{}]"}


def _node(node: Node) -> str:
    """Typst markup of one node of an HTML fragment (:mod:`outcomes.output.fragment`)."""
    if not node.tag:
        text = re.sub(r"\s+", " ", node.text)
        return _inline(words(text), 9.5) if text.strip() else ("#\" \";" if text else "")
    if node.tag == "br":
        return "#linebreak();"
    code = badge_code(node)
    if code:
        return _badge(node.plain().strip(), code, 9.5)
    if node.tag in ("ol", "ul"):
        items = [f"[{_nodes(c.children)}]" for c in node.children if c.tag == "li"]
        call = "enum" if node.tag == "ol" else "list"
        return f"#{call}(spacing: 0.8em, {', '.join(items)});\n" if items else ""
    inner = _nodes(node.children)
    if node.tag in BLOCK_TAGS:
        if node.tag == "dt":
            inner = f"#strong[{inner}]"
        return f"#block(above: 0.5em, below: 0.5em)[{inner}]\n"
    return _WRAP.get(node.tag, "{}").format(inner)


def _nodes(nodes: list[Node]) -> str:
    return "".join(_node(n) for n in nodes)


_PREAMBLE = f"""#set document(title: {{title}})
#set page(paper: "a4", margin: (x: 15mm, y: 18mm), numbering: "1 / 1",
          number-align: center)
#set text(font: "{_FONT}", size: 9.5pt, hyphenate: false, lang: "en")
#set par(justify: false, leading: 0.55em, spacing: 0.9em)
#set heading(numbering: none)
#show heading.where(level: 1): set text(size: 13pt)
#show heading.where(level: 1): set block(above: 1.6em, below: 0.7em)
#show heading.where(level: 2): set text(size: 11pt)
#set terms(hanging-indent: 1.2em, spacing: 0.7em)
#set table(stroke: 0.4pt)
"""


#: Tables longer than this are named in the PDF, not printed (they are in the workbook).
MAX_ROWS = 80


def typst_source(page, *, max_rows: int = MAX_ROWS) -> tuple[str, dict[str, bytes]]:
    """The Typst source of ``page`` and the figures it names (file name -> PNG bytes).

    Examples
    --------
    >>> import pandas as pd
    >>> from outcomes.output.html import Page
    >>> page = Page("Audit #1 $x$").section("Claims").table(
    ...     pd.DataFrame({"id": ["redness-24-48h"], "verdict": ["supported"]}))
    >>> source, figures = typst_source(page)
    >>> '#box("redness-24-48h");' in source, '"Audit #1 $x$"' in source, figures
    (True, True, {})

    Figures are the page's SVG (vector, text as paths) where it has one, else its PNG.
    """
    figures: dict[str, bytes] = {}
    out = [_PREAMBLE.replace("{title}", typst_string(page.title))]
    out.append(f"#block(below: 0.4em)[#text(size: 17pt, weight: \"bold\")"
               f"[{_inline(page.title, 17, True)}]]\n")
    if page.subtitle:
        out.append(f"#text(fill: rgb(\"#444444\"))[{_inline(page.subtitle, 9.5)}]\n")
    if page.toc and page.sections:
        out.append('#outline(title: "Contents", depth: 2)\n')
    out.extend(_block(b, figures, max_rows) for b in page.intro)
    for section in page.sections:
        level = section.level - 1
        out.append(f"#heading(level: {level})[{_inline(words(section.title), 13, True)}]\n")
        out.extend(_block(b, figures, max_rows) for b in section.blocks)
    return "\n".join(out), figures


def write_pdf(page, pdf_path, *, max_rows: int = MAX_ROWS) -> Path:
    """Typeset ``page`` (an :class:`~outcomes.output.html.Page`) as an A4 PDF at ``pdf_path``.

    Parameters
    ----------
    page : Page
        The page, as rendered to HTML.
    pdf_path : str or Path
        Where to write the PDF (folders created; replaced only once the PDF is complete).
    max_rows : int, default :data:`MAX_ROWS`
        Tables (shown or collapsed) with more rows are named in a note, not printed.

    Returns
    -------
    Path
        ``pdf_path``.

    Raises
    ------
    OutcomesError
        If typst is not installed (the message says which extra to install) or the
        compilation fails.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from outcomes.output.html import Page
    >>> pdf = write_pdf(Page("Report").paragraph("Hello"), Path(tempfile.mkdtemp()) / "r.pdf")
    >>> pdf.name, pdf.read_bytes()[:5]
    ('r.pdf', b'%PDF-')
    """
    try:
        import typst
    except ImportError:
        raise OutcomesError(PDF_EXTRA) from None
    source, figures = typst_source(page, max_rows=max_rows)
    with tempfile.TemporaryDirectory(prefix="outcomes-pdf-") as folder:
        root = Path(folder)
        (root / "page.typ").write_text(source, encoding="utf-8")
        for name, png in figures.items():
            (root / name).write_bytes(png)
        try:
            pdf = typst.compile(str(root / "page.typ"), root=str(root),
                                font_paths=[_font_dir()], ignore_system_fonts=True)
        except typst.TypstError as exc:
            raise OutcomesError(f"Typesetting the PDF failed: {exc.message}") from None
    return save_atomically(pdf_path, lambda tmp: tmp.write_bytes(pdf))
