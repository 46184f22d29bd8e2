"""A tiny builder of self-contained HTML pages for reports and audits.

A :class:`Page` holds a title and sections of paragraphs, tables, figures, definition lists and
notes, and renders one HTML file that needs nothing else: no scripts, no web fonts, no external
style sheets or images (figures are embedded as ``data:`` URIs). A Content-Security-Policy in the
page tells the browser to load nothing from outside and to run no script, even if some text
slipped through unescaped.

Every value that comes from data (titles, captions, column names, cells, alt texts) is
HTML-escaped. Only :meth:`Page.raw_html` takes HTML as it is, for fragments the package itself
generated.

The built-in style sheet is readable on a laptop, prints well (background colours kept, tables and
figures not split across pages where they fit on one) and shows verdicts as badges in the
Okabe–Ito colour-blind-safe palette, always with the verdict written out.
"""

from __future__ import annotations

import base64
import html
import io
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..claims.verdicts import VERDICTS
from .labels import VERDICT_COLOURS, format_value, is_missing

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn, not with the tables
    from matplotlib.figure import Figure

__all__ = ["Page", "Block", "Section", "escape", "VERDICT_BADGES", "CSS"]

#: ``badges`` argument of :meth:`Page.table` for a column of verdicts: value -> CSS class.
VERDICT_BADGES = {v: f"badge badge-{v}" for v in VERDICTS}

_BADGE_CSS = "\n".join(
    f".badge-{v} {{ background-color: {c}; border-color: {c}; }}"
    for v, c in VERDICT_COLOURS.items()
)

#: The page's style sheet (CSS 2.1 and a few CSS 3 properties; no variables, so that simple PDF
#: renderers read it too).
CSS = """
@page { size: A4; margin: 18mm 15mm; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; font-size: 16px; line-height: 1.5; color: #1a1a1a; background: #ffffff; }
body { max-width: 72em; margin: 0 auto; padding: 1em 1.5em; }
h1 { font-size: 1.9em; line-height: 1.2; margin: 0 0 0.3em 0; }
h2 { font-size: 1.4em; margin: 1.8em 0 0.5em 0; padding-bottom: 0.2em;
     border-bottom: 1px solid #cccccc; }
h3 { font-size: 1.15em; margin: 1.4em 0 0.4em 0; }
p { margin: 0.5em 0 0.8em 0; }
.subtitle { color: #444444; margin-top: 0; }
nav.toc { border-top: 1px solid #dddddd; border-bottom: 1px solid #dddddd; padding: 0.2em 0;
          margin: 0.4em 0 0.8em 0; font-size: 0.9em; }
nav.toc h2 { display: inline; font-size: 1em; margin: 0 0.6em 0 0; border: none; }
nav.toc ol { display: inline; margin: 0; padding: 0; }
nav.toc li { display: inline; margin-right: 0.9em; }
nav.toc li.toc-3 { display: none; }
a { color: #0072B2; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: 0.8em 0 1.2em 0; }
table { border-collapse: collapse; font-size: 0.92em; max-width: 100%; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #cccccc; padding: 0.25em 0.5em; vertical-align: top;
         text-align: left; overflow-wrap: break-word; }
td code, td.long { overflow-wrap: anywhere; }
th { font-weight: 600; }
th { background-color: #f0f0f0; }
tbody tr:nth-child(even) td { background-color: #fafafa; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
figure { display: block; margin: 1em 0 1.5em 0; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { display: block; font-size: 0.92em; color: #333333; margin-top: 0.3em; }
dl { margin: 0.6em 0 1em 0; }
dt { font-weight: bold; }
dd { margin: 0 0 0.4em 1.5em; }
.note { border-left: 4px solid #56B4E9; background-color: #eef7fc; padding: 0.5em 0.8em;
        margin: 0.8em 0; }
.badge { display: inline-block; padding: 0 0.45em; border: 2px solid #777777;
         border-radius: 0.3em; color: #000000; font-weight: bold; white-space: nowrap; }
details { margin: 0.6em 0 1em 0; }
details > summary { cursor: pointer; color: #0072B2; }
code { overflow-wrap: anywhere; }
.answer { display: block; }
ol.claims { margin: 0.4em 0; padding-left: 0; list-style: none; }
li.claim { margin: 0 0 0.45em 0; line-height: 1.35; font-size: 0.95em; }
main > section:first-child > h2 { margin-top: 0.6em; }
li.claim .badge { min-width: 8.2em; margin-right: 0.3em; }
.claim-statement { font-weight: 600; }
.claim-id { color: #555; font-size: 0.85em; white-space: nowrap; }
.claim-sources { color: #444444; font-size: 0.9em; }
aside.conflicts { font-size: 0.9em; border-left: 3px solid #dddddd; padding-left: 0.9em; }
aside.conflicts h3 { margin-top: 0; }
aside.conflicts h4 { margin: 0.6em 0 0.2em 0; font-size: 1em; }
aside.conflicts ul { margin: 0.2em 0; padding-left: 1.1em; }
aside.conflicts p { margin: 0.2em 0 0.5em 0; color: #444444; }
.footnotes { font-size: 0.85em; color: #333333; }
.footnotes h3 { font-size: 1em; margin: 0.8em 0 0.2em 0; }
.flow { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3em; margin: 0.8em 0; }
.flow .box { border: 2px solid #0072B2; border-radius: 0.3em; padding: 0.2em 0.5em;
             text-align: center; max-width: 12em; font-size: 0.88em; line-height: 1.25; }
.flow .box b { display: block; font-size: 1.15em; }
.flow .arrow { font-size: 1.3em; color: #555555; }
@media screen and (min-width: 1100px) {
  .answer { display: grid; grid-template-columns: minmax(0, 2.6fr) minmax(0, 1fr);
            column-gap: 1.4em; }
}
""" + _BADGE_CSS + """
@media print {
  html { font-size: 10.5pt; }
  body { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: #1a1a1a; text-decoration: none; }
  h2, h3 { page-break-after: avoid; break-after: avoid; }
  table, figure, dl, .note { page-break-inside: avoid; break-inside: avoid; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap { overflow: visible; }
  nav.toc { display: none; }
  details > summary { color: #1a1a1a; font-weight: bold; list-style: none; }
  details::details-content { content-visibility: visible; display: block; }
  th, td { padding: 0.15em 0.35em; }
  table { font-size: 0.85em; }
  figure img { max-height: 105mm; max-width: 100%; width: auto; }
  li.claim { page-break-inside: avoid; break-inside: avoid; }
}
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


# --------------------------------------------------------------------------------- values
def escape(value) -> str:
    """HTML-escape any value (quotes included), after turning it into text.

    Examples
    --------
    >>> escape('<script>alert(1)</script> "x"')
    '&lt;script&gt;alert(1)&lt;/script&gt; &quot;x&quot;'
    """
    return html.escape(str(value), quote=True)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


_ID_RE = re.compile(r"[^A-Za-z0-9_-]+")
_CLASS_RE = re.compile(r"[^A-Za-z0-9_ -]+")


def _slug(text: str) -> str:
    s = _ID_RE.sub("-", str(text).strip().lower()).strip("-")
    return s if s[:1].isalpha() else f"s-{s}".rstrip("-")


# --------------------------------------------------------------------------------- blocks
_MARK_RE = re.compile(r"<\d+|\*")
_NUM = ' class="num"'


def _is_numeric_column(s: pd.Series) -> bool:
    """Numbers only, or numbers and disclosure marks (``<5``, ``*``): aligned right."""
    if pd.api.types.is_bool_dtype(s):
        return False
    if pd.api.types.is_numeric_dtype(s):
        return True
    values = [v for v in s.astype(object) if not is_missing(v)]
    return bool(values) and any(_is_number(v) for v in values) and all(
        _is_number(v) or (isinstance(v, str) and _MARK_RE.fullmatch(v)) for v in values)


def _table_html(df: pd.DataFrame, caption, badges, digits: int) -> str:
    badges = badges or {}
    numeric = [_is_numeric_column(df.iloc[:, j]) for j in range(df.shape[1])]
    head = "".join(f'<th scope="col"{_NUM if num else ""}>{escape(_column_name(c))}</th>'
                   for c, num in zip(df.columns, numeric, strict=True))
    rows = []
    for values in df.itertuples(index=False, name=None):
        cells = [_cell_html(v, badges.get(c), digits, num)
                 for c, v, num in zip(df.columns, values, numeric, strict=True)]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _column_name(c) -> str:
    return " / ".join(str(x) for x in c) if isinstance(c, tuple) else str(c)


def _cell_html(value, badge_map, digits, numeric: bool) -> str:
    text = escape(format_value(value, digits))
    if badge_map and not is_missing(value):
        css = badge_map.get(value, badge_map.get(str(value)))
        if css:
            text = f'<span class="{escape(_CLASS_RE.sub("", css))}">{text}</span>'
    return f"<td{_NUM if numeric else ''}>{text}</td>"


def _root_figure(fig_or_ax) -> Figure:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    fig = fig_or_ax.figure if isinstance(fig_or_ax, Axes | SubFigure) else fig_or_ax
    while isinstance(fig, SubFigure):
        fig = fig.figure
    if not isinstance(fig, Figure):
        raise TypeError(f"figure(): expected a matplotlib Figure or Axes, "
                        f"got {type(fig_or_ax).__name__}.")
    return fig


def figure_data_uri(fig: Figure, fmt: str = "svg", dpi: int = 150) -> str:
    """Render ``fig`` as a ``data:`` URI (SVG with text drawn as paths, or PNG).

    The output is reproducible: no date in the SVG, fixed element ids.
    """
    import matplotlib.pyplot as plt

    if fmt == "svg":
        with plt.rc_context({"svg.fonttype": "path", "svg.hashsalt": "outcomes"}):
            data = _save(fig, format="svg", metadata={"Date": None})
        mime = "image/svg+xml"
    elif fmt == "png":
        data = _save(fig, format="png", dpi=dpi, metadata={"Software": None})
        mime = "image/png"
    else:
        raise ValueError(f"figure(): format must be 'svg' or 'png', got {fmt!r}.")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _save(fig: Figure, **kwargs) -> bytes:
    """``fig.savefig(**kwargs)`` into bytes, the figure drawn once after its layout.

    With a layout engine, ``savefig`` first draws the whole figure without output (the layout
    is computed at the start of that draw) and then draws it again into the file. Here the
    first draw only computes the layout, with the same renderer, so the file is the same, a
    draw sooner. Should a version of matplotlib not draw the figure twice (the file's draw
    never happening), the figure is saved again as matplotlib does it.
    """
    engine = fig.get_layout_engine()
    if engine is None:
        buf = io.BytesIO()
        fig.savefig(buf, **kwargs)
        return buf.getvalue()
    drawn = []

    def layout_only(renderer) -> None:
        del fig.draw  # the next draw is the figure's own
        engine.execute(fig)

    cid = fig.canvas.mpl_connect("draw_event", lambda event: drawn.append(True))
    fig.draw = layout_only
    buf = io.BytesIO()
    try:
        fig.savefig(buf, **kwargs)
    finally:
        fig.__dict__.pop("draw", None)
        fig.canvas.mpl_disconnect(cid)
    if not drawn:
        buf = io.BytesIO()
        fig.savefig(buf, **kwargs)
    return buf.getvalue()


# --------------------------------------------------------------------------------- page
@dataclass
class Block:
    """One block of a page: its ``kind``, its HTML and the data another renderer needs.

    ``kind`` is one of "paragraph", "note" (``data["text"]``), "definition_list"
    (``data["items"]``), "table" (``data["frame"]``, ``data["caption"]``, ``data["digits"]``),
    "details" (the same as a table, collapsed, with ``data["summary"]``), "figure"
    (``data["size"]`` in inches, ``data["png"]`` bytes or None when the page keeps no raster
    copies, ``data["alt"]``, ``data["caption"]``) and "raw" (``data["text"]``:
    a plain-text rendering of the fragment, or None when it has none).
    """

    kind: str
    html: str
    data: dict = field(default_factory=dict)


@dataclass
class Section:
    """A section of a page: title, anchor, level (2 or 3) and its blocks."""

    title: str
    id: str
    level: int
    blocks: list[Block] = field(default_factory=list)


class Page:
    """A self-contained HTML page, built block by block.

    Every method that adds a block returns the page, so calls can be chained. Blocks go into
    the last section opened with :meth:`section` (or above the first section when none is open).

    Parameters
    ----------
    title : str
        Page title (``<title>`` and the top heading).
    subtitle : str, optional
        A line under the title.
    toc : bool, default True
        Whether to show a table of contents of the sections.
    lang : str, default "en"
    raster : bool, default True
        Keep a PNG copy of every SVG figure (``data["png"]``), which a Word document needs;
        False saves its rendering when none will be written (HTML and PDF use the SVG).

    Examples
    --------
    >>> page = Page("Audit <2024>").section("Claims", "claims")
    >>> page = page.table(pd.DataFrame({"claim": ["a"], "verdict": ["supported"]}),
    ...                   caption="Verdicts", badges={"verdict": VERDICT_BADGES})
    >>> text = page.render()
    >>> "Audit &lt;2024&gt;" in text and 'href="#claims"' in text
    True
    >>> '<span class="badge badge-supported">supported</span>' in text
    True
    """

    def __init__(self, title: str, *, subtitle: str | None = None, toc: bool = True,
                 lang: str = "en", raster: bool = True):
        self.title = str(title)
        self.raster = bool(raster)
        self.subtitle = subtitle
        self.toc = toc
        self.lang = lang
        self._intro: list[Block] = []
        self._sections: list[Section] = []

    @property
    def intro(self) -> list[Block]:
        """The blocks above the first section."""
        return list(self._intro)

    @property
    def sections(self) -> list[Section]:
        """The sections, in order (for renderers other than HTML: PDF, Word)."""
        return list(self._sections)

    # ----------------------------------------------------------------------------- blocks
    def _add(self, kind: str, block: str, **data) -> Page:
        target = self._sections[-1].blocks if self._sections else self._intro
        target.append(Block(kind, block, data))
        return self

    def section(self, title: str, id: str | None = None, *, level: int = 2) -> Page:
        """Open a new section (``level`` 2) or subsection (``level`` 3), listed in the contents.

        ``id`` is the anchor (made of letters, digits, ``-`` and ``_``); made from the title when
        omitted.
        """
        if level not in (2, 3):
            raise ValueError(f"section(): level must be 2 or 3, got {level!r}.")
        taken = {s.id for s in self._sections}
        if id is None:
            base = _slug(title)
            anchor, k = base, 2
            while anchor in taken:
                anchor, k = f"{base}-{k}", k + 1
        else:
            anchor = _slug(id)
            if anchor in taken:
                raise ValueError(f"section(): id {anchor!r} is already used on this page.")
        self._sections.append(Section(str(title), anchor, level))
        return self

    def paragraph(self, text: str) -> Page:
        """Add a paragraph of plain text (escaped)."""
        return self._add("paragraph", f"<p>{escape(text)}</p>", text=str(text))

    def note(self, text: str) -> Page:
        """Add a highlighted note of plain text (escaped)."""
        return self._add("note", f'<p class="note">{escape(text)}</p>', text=str(text))

    def definition_list(self, items: Mapping) -> Page:
        """Add a list of terms and their values (both escaped; numbers formatted)."""
        body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(format_value(v))}</dd>"
                       for k, v in items.items())
        return self._add("definition_list", f"<dl>{body}</dl>", items=dict(items))

    def table(self, df: pd.DataFrame, caption: str | None = None,
              badges: Mapping[str, Mapping] | None = None, *, index: bool = False,
              digits: int = 3, empty: str | None = None) -> Page:
        """Add a table; or, when it has no rows and ``empty`` says why, a note saying so.

        Parameters
        ----------
        df : DataFrame
            The table (not modified). Numbers are right-aligned; missing values are blank.
        caption : str, optional
        badges : dict, optional
            ``{column: {value: css_class}}``: cells of ``column`` whose value is a key are shown
            as a badge of that class, e.g. ``{"verdict": VERDICT_BADGES}``.
        index : bool, default False
            Whether to show the index as the first column(s).
        digits : int, default 3
            Significant digits of non-integer numbers.
        empty : str, optional
            Why the table can have no rows (e.g. "no course has a second session"). With no
            row, the page shows ``caption: empty`` as a note instead of an empty grid.
        """
        if empty is not None and len(df) == 0:
            return self.note(f"{caption or 'Table'}: {empty}")
        shown = df.reset_index() if index else df
        return self._add("table", _table_html(shown, caption, badges, digits), frame=shown,
                         caption=caption, digits=digits)

    def details(self, summary: str, df: pd.DataFrame, caption: str | None = None, *,
                digits: int = 3) -> Page:
        """Add a long table collapsed under ``summary`` (an HTML ``<details>``), open on print."""
        inner = _table_html(df, caption, None, digits)
        return self._add("details", f"<details><summary>{escape(summary)}</summary>{inner}"
                         "</details>", frame=df, caption=caption, digits=digits,
                         summary=str(summary))

    def figure(self, fig_or_ax, alt: str, caption: str | None = None, *,
               format: str = "svg", dpi: int = 150) -> Page:
        """Embed a matplotlib figure (or the figure of an Axes) and close it.

        Parameters
        ----------
        fig_or_ax : Figure or Axes
        alt : str
            Text alternative for readers who cannot see the figure (required).
        caption : str, optional
        format : {"svg", "png"}, default "svg"
            SVG (text drawn as paths: no fonts needed) or PNG at ``dpi``.
        """
        if not str(alt).strip():
            raise ValueError("figure(): alt must describe the figure for readers who cannot "
                             "see it; got an empty text.")
        import matplotlib.pyplot as plt

        fig = _root_figure(fig_or_ax)
        try:
            uri = figure_data_uri(fig, format, dpi)
            png = uri if format == "png" else (figure_data_uri(fig, "png", dpi) if self.raster
                                               else None)
            size = tuple(float(x) for x in fig.get_size_inches())
        finally:
            plt.close(fig)
        cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
        return self._add("figure", f'<figure><img src="{uri}" alt="{escape(alt)}">{cap}</figure>',
                         png=None if png is None else base64.b64decode(png.split(",", 1)[1]),
                         size=size, alt=str(alt), caption=caption)

    def raw_html(self, fragment: str, text: str | None = None) -> Page:
        """Add an HTML fragment as it is. Only for fragments generated by the package itself,
        never for text that comes from data or users; ``text`` is its plain-text rendering for
        renderers that do not read HTML (PDF, Word)."""
        return self._add("raw", str(fragment), text=text)

    # ----------------------------------------------------------------------------- output
    def _toc_html(self) -> str:
        if not (self.toc and self._sections):
            return ""
        parts, open_sub = [], False
        for s in self._sections:
            link = f'<a href="#{s.id}">{escape(s.title)}</a>'
            if s.level == 3:
                parts.append(("" if open_sub else "<ol>") + f'<li class="toc-3">{link}</li>')
                open_sub = True
                continue
            if open_sub:
                parts.append("</ol></li>")
            elif parts:
                parts.append("</li>")
            parts.append(f'<li class="toc-2">{link}')
            open_sub = False
        parts.append("</ol></li>" if open_sub else "</li>" if parts else "")
        items = "".join(parts)
        return f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{items}</ol></nav>'

    def _section_html(self, s: Section) -> str:
        h = f"h{s.level}"
        return (f'<section id="{s.id}"><{h}>{escape(s.title)}</{h}>'
                + "\n".join(b.html for b in s.blocks) + "</section>")

    def render(self) -> str:
        """Return the whole page as HTML text."""
        sub = f'<p class="subtitle">{escape(self.subtitle)}</p>' if self.subtitle else ""
        body = "\n".join([*(b.html for b in self._intro),
                          *(self._section_html(s) for s in self._sections)])
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{escape(self.lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            f"<title>{escape(self.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<header><h1>{escape(self.title)}</h1>{sub}</header>\n"
            f"{self._toc_html()}\n<main>\n{body}\n</main>\n</body>\n</html>\n"
        )

    def write(self, path) -> Path:
        """Write the page to ``path`` (UTF-8; folders created) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render(), encoding="utf-8")
        return path
