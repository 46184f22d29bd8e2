"""The HTML page builder: self-contained, escaped, printable."""

from __future__ import annotations

import base64
import doctest
import io
import re
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import outcomes.output.html as html_module
from outcomes.claims.verdicts import VERDICTS
from outcomes.output.html import VERDICT_BADGES, Page
from outcomes.output.labels import VERDICT_COLOURS, format_value

EVIL = "<script>alert(1)</script>"
ATTR = '"onmouseover=alert(1) x="'


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _parse(text: str) -> _Tags:
    p = _Tags()
    p.feed(text)
    return p


def _evil_page() -> str:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_title(EVIL)
    df = pd.DataFrame({EVIL: [EVIL, ATTR], "verdict": ["supported", ATTR], "n": [1, 2]})
    page = Page(EVIL, subtitle=ATTR)
    page.paragraph(EVIL).section(EVIL, ATTR).note(ATTR)
    page.table(df, caption=EVIL, badges={"verdict": {**VERDICT_BADGES, ATTR: ATTR}})
    page.definition_list({EVIL: ATTR, "n": 3})
    page.figure(ax, alt=ATTR, caption=EVIL)
    page.section(ATTR, level=3).paragraph("<img src=x onerror=alert(1)>")
    return page.render()


def test_docstring_examples_run():
    result = doctest.testmod(html_module)
    assert result.failed == 0 and result.attempted > 0


# ----------------------------------------------------------------------------- escaping
def test_every_data_value_is_escaped():
    text = _evil_page()
    assert EVIL not in text
    assert ATTR not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&quot;onmouseover=alert(1) x=&quot;" in text
    tags = _parse(text).tags
    assert not [t for t, _ in tags if t in ("script", "iframe", "object", "embed", "link")]
    handlers = [(t, a) for t, attrs in tags for a in attrs if a.lower().startswith("on")]
    assert handlers == []


def test_badge_class_from_data_cannot_break_out_of_the_attribute():
    text = _evil_page()
    classes = [a.get("class", "") for _, a in _parse(text).tags]
    assert all(re.fullmatch(r"[A-Za-z0-9_ -]*", c) for c in classes)


# ----------------------------------------------------------------------------- self-contained
def test_nothing_is_loaded_from_outside_the_document():
    text = _evil_page()
    parsed = _parse(text)
    refs = [a[k] for _, a in parsed.tags for k in ("src", "href") if a.get(k) is not None]
    assert refs, "the page should have links and images"
    outside = [r for r in refs if not (r.startswith("#") or r.startswith("data:"))]
    assert outside == []
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text)
    assert "http://" not in text and "https://" not in text
    css = "".join(parsed.styles)
    assert "@import" not in css and "url(" not in css and "@font-face" not in css


def test_content_security_policy_forbids_scripts_and_remote_loads():
    text = Page("t").render()
    meta = [a for t, a in _parse(text).tags
            if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert meta and "default-src 'none'" in meta[0]["content"]
    assert "img-src data:" in meta[0]["content"]


# ----------------------------------------------------------------------------- structure
def test_sections_and_table_of_contents():
    page = Page("Report").paragraph("intro")
    page.section("Claims").paragraph("a").section("Claims").paragraph("b")
    page.section("Side effects", "side-effects").section("Redness", level=3)
    text = page.render()
    for anchor in ("claims", "claims-2", "side-effects", "redness"):
        assert f'<section id="{anchor}">' in text
        assert f'href="#{anchor}"' in text
    assert text.index("intro") < text.index('<section id="claims">')
    assert '<li class="toc-3"><a href="#redness">Redness</a></li>' in text
    assert "<h3>Redness</h3>" in text


def test_no_toc_without_sections_or_when_switched_off():
    assert "Contents" not in Page("t").paragraph("x").render()
    assert "Contents" not in Page("t", toc=False).section("a").render()


def test_duplicate_explicit_id_and_bad_level_are_refused():
    page = Page("t").section("A", "a")
    with pytest.raises(ValueError, match="already used"):
        page.section("B", "a")
    with pytest.raises(ValueError, match="level"):
        page.section("C", level=4)


def test_table_numbers_badges_and_missing_values():
    df = pd.DataFrame({"claim": ["x", "y"], "verdict": ["supported", "not_testable"],
                       "estimate": [0.123456, np.nan], "n": [12, 3]})
    before = df.copy()
    text = Page("t").table(df, caption="Verdicts", badges={"verdict": VERDICT_BADGES}).render()
    pd.testing.assert_frame_equal(df, before)
    assert "<caption>Verdicts</caption>" in text
    assert '<span class="badge badge-supported">supported</span>' in text
    assert '<span class="badge badge-not_testable">not_testable</span>' in text
    assert '<td class="num">0.123</td>' in text
    assert '<td class="num">12</td>' in text
    assert '<td class="num"></td>' in text  # NaN is blank


def test_disclosed_count_columns_align_right_marks_included():
    df = pd.DataFrame({"n": pd.Series([12, "<5", "*", np.nan], dtype=object),
                       "label": ["<5", "b", "c", "d"]})
    text = Page("t").table(df).render()
    assert '<th scope="col" class="num">n</th>' in text
    assert '<td class="num">&lt;5</td>' in text and '<td class="num">*</td>' in text
    assert "<td>&lt;5</td>" in text  # a text column stays text


def test_table_index_shown_on_request():
    df = pd.DataFrame({"n": [5]}, index=pd.Index(["acne"], name="condition"))
    assert '<th scope="col">condition</th>' in Page("t").table(df, index=True).render()
    assert "condition" not in Page("t").table(df).render().split("<main>")[1]


def test_format_value():
    assert format_value(pd.Timestamp("2024-03-01")) == "2024-03-01"
    assert format_value(np.int64(7)) == "7"
    assert format_value(-0.5) == "-0.5"
    assert format_value(float("inf")) == "∞"
    assert format_value(pd.NA) == ""
    assert format_value(0.1234, digits=2) == "0.12"
    assert format_value(np.bool_(True)) == "yes"


def test_definition_list_and_note():
    text = Page("t").definition_list({"min_cell": 5, "rows": 1234567}).note("careful").render()
    assert "<dt>min_cell</dt><dd>5</dd>" in text
    assert "<dd>1,234,567</dd>" in text
    assert '<p class="note">careful</p>' in text


def test_raw_html_is_kept_as_is():
    assert "<b>ok</b>" in Page("t").raw_html("<b>ok</b>").render()


# ----------------------------------------------------------------------------- figures
@pytest.mark.parametrize(("fmt", "mime", "magic"),
                         [("svg", "image/svg+xml", b"<?xml"), ("png", "image/png", b"\x89PNG")])
def test_figure_is_embedded_and_closed(fmt, mime, magic):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    text = Page("t").figure(fig, alt="a line", caption="Figure 1", format=fmt).render()
    assert not plt.fignum_exists(fig.number)
    img = [a for t, a in _parse(text).tags if t == "img"][0]
    assert img["alt"] == "a line"
    prefix = f"data:{mime};base64,"
    assert img["src"].startswith(prefix)
    assert base64.b64decode(img["src"][len(prefix):]).startswith(magic)
    assert "<figcaption>Figure 1</figcaption>" in text


def test_svg_figure_needs_no_font_and_is_reproducible():
    def render():
        fig, ax = plt.subplots()
        ax.set_title("Reproducible")
        uri = html_module.figure_data_uri(fig, "svg")
        plt.close(fig)
        return base64.b64decode(uri.split(",", 1)[1]).decode()

    svg = render()
    assert "<text" not in svg and "font-face" not in svg
    assert render() == svg


def _laid_out_figure():
    """Panels with shared axes, titles, a secondary axis and a legend outside: every part
    constrained layout places."""
    fig = plt.figure(figsize=(6, 4), layout="constrained")
    axs = fig.subplots(2, 2, sharex=True, sharey=True)
    for i, a in enumerate(axs.ravel()):
        a.plot(np.arange(12), np.sqrt(np.arange(12)) * (i + 1), label=f"series {i}")
        a.set_title(f"Panel {i} with a longer title")
    axs[0, 0].secondary_yaxis("right").set_yticks([0, 2, 4], ["low", "middle", "high"])
    fig.legend(*axs[0, 0].get_legend_handles_labels(), loc="outside lower center")
    fig.supylabel("share\n(of the possible improvement)")
    fig.suptitle("A laid-out figure")
    return fig


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_figure_drawn_once_is_the_file_matplotlib_saves(fmt):
    expected = io.BytesIO()
    fig = _laid_out_figure()
    if fmt == "svg":
        with plt.rc_context({"svg.fonttype": "path", "svg.hashsalt": "outcomes"}):
            fig.savefig(expected, format="svg", metadata={"Date": None})
    else:
        fig.savefig(expected, format="png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    fig = _laid_out_figure()
    draws = []
    fig.canvas.mpl_connect("draw_event", lambda event: draws.append(event))
    uri = html_module.figure_data_uri(fig, fmt)
    assert base64.b64decode(uri.split(",", 1)[1]) == expected.getvalue()
    assert len(draws) == 1  # matplotlib's own savefig draws a laid-out figure twice
    assert "draw" not in vars(fig) and fig.get_layout_engine() is not None
    plt.close(fig)


def test_figure_from_axes_of_a_subfigure_closes_the_root_figure():
    fig = plt.figure()
    ax = fig.subfigures(1, 2)[0].subplots()
    Page("t").figure(ax, alt="left panel")
    assert not plt.fignum_exists(fig.number)


def test_figure_needs_alt_text_and_a_figure():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt"):
        Page("t").figure(fig, alt="  ")
    with pytest.raises(TypeError, match="Figure or Axes"):
        Page("t").figure("not a figure", alt="x")


# ----------------------------------------------------------------------------- style, file
def test_css_prints_well_and_badges_use_okabe_ito():
    css = html_module.CSS
    assert "@media print" in css and "print-color-adjust: exact" in css
    assert "break-inside: avoid" in css and "page-break-inside: avoid" in css
    for v in VERDICTS:
        assert f".badge-{v} " in css
    from outcomes.plots.style import VERDICT_COLOURS as PLOT_COLOURS

    assert {k: v.lower() for k, v in VERDICT_COLOURS.items()} == \
        {k: v.lower() for k, v in PLOT_COLOURS.items()}
    assert set(VERDICT_BADGES) == set(VERDICTS)


def test_write_creates_folders_and_writes_utf8(tmp_path):
    path = Page("Résumé – µ").paragraph("ünïcode").write(tmp_path / "a" / "report.html")
    assert path.exists()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "ünïcode" in text
    assert '<meta charset="utf-8">' in text


def test_contents_nest_subsections_under_their_section():
    page = Page("t").section("A").section("a1", level=3).section("B")
    nav = page.render().split("<nav", 1)[1].split("</nav>", 1)[0]
    # B is the second top-level entry, not the third: a1 sits in a nested list under A
    assert nav.index('href="#a1"') < nav.index("</ol></li>") < nav.index('href="#b"')
    assert nav.count("<ol>") == 2


def test_an_empty_table_with_a_reason_is_a_note():
    empty = pd.DataFrame({"event": pd.Series([], dtype=str), "n": pd.Series([], dtype=int)})
    text = Page("t").table(empty, caption="Side effects", empty="none recorded.").render()
    assert "<table" not in text and '<p class="note">Side effects: none recorded.</p>' in text
    full = pd.DataFrame({"event": ["erythema"], "n": [3]})
    assert "<table" in Page("t").table(full, caption="Side effects", empty="x").render()
    assert "<tbody></tbody>" in Page("t").table(empty).render()  # no reason: the grid, as before
