"""report.pdf and report.docx, rendered from the report's page.

The PDF (typeset by Typst): whole claim ids, nothing off the page, no two words over each other,
no badge over a claim id, no raw code; data enter the Typst source only as string literals.
The Word document: the claims table with every claim, the section tables with header rows that
repeat, the figures, and no raw code in any heading, header or cell.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import outcomes
from outcomes.cli import main
from outcomes.errors import OutcomesError
from outcomes.output.html import VERDICT_BADGES, Page
from outcomes.output.pdf import TEXT_WIDTH, column_widths, typst_source, write_pdf
from outcomes.output.word import write_docx
from pdf_words import badge_collisions, outside, overlapping, raw_codes, read_pdf

ROOT = Path(__file__).resolve().parents[1]


def _report(folder, out):
    assert main(["report", str(folder), "--out", str(out), "--quiet", "--pdf", "--docx"]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        log = outcomes.load_bundle(folder)
    ids = list(outcomes.evaluate_claims(log).table["id"])
    return out / "report.pdf", ids


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return _report(ROOT / "data" / "sample", tmp_path_factory.mktemp("sample") / "report")


@pytest.fixture(scope="module")
def small_pdf(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    outcomes.write_bundle(outcomes.simulate(20, seed=5), tmp / "bundle")
    return _report(tmp / "bundle", tmp / "report")


@pytest.fixture(params=["sample", "small"])
def report_pdf(request):
    return request.getfixturevalue(f"{request.param}_pdf")


# ----------------------------------------------------------------------------- the report
def test_every_claim_id_appears_whole(report_pdf):
    path, ids = report_pdf
    pages = read_pdf(path)
    words = {w["text"] for p in pages for w in p.words}
    assert ids and [i for i in ids if i not in words] == []


def test_no_word_leaves_the_page_and_none_overlaps(report_pdf):
    path, _ = report_pdf
    pages = read_pdf(path)
    assert len(pages) >= 3
    assert {k: outside(p) for k, p in enumerate(pages, 1) if outside(p)} == {}
    assert {k: overlapping(p.words)[:5] for k, p in enumerate(pages, 1)
            if overlapping(p.words)} == {}
    assert {k: badge_collisions(p) for k, p in enumerate(pages, 1) if badge_collisions(p)} == {}


def test_no_raw_code_in_the_text(report_pdf):
    path, ids = report_pdf
    text = "\n".join(p.text for p in read_pdf(path))
    assert "Claims" in text and "Methods" in text
    assert sorted(set(raw_codes(text, ids))) == []


# ----------------------------------------------------------------------------- the renderer
def _page() -> Page:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [0, 1, 4])
    page = Page('Report <test> #import "x" $y$ \\ ]', subtitle="subtitle *bold* @ref")
    page.section("Claims").table(
        pd.DataFrame({"id": ["redness-24-48h", "b"], "verdict": ["supported", "not_testable"],
                      "estimate": [0.5, np.nan]}),
        caption="Verdicts", badges={"verdict": VERDICT_BADGES})
    page.section("Figure").figure(ax, alt="a curve", caption="A curve")
    page.section("Outside").raw_html('<img src="http://127.0.0.1:9/x.png" alt="remote">',
                                     text="an image")
    page.note("#set page(width: 1pt) = not a heading").definition_list({"a_b": "#c"})
    return page


def test_data_text_is_never_markup(tmp_path):
    pdf = write_pdf(_page(), tmp_path / "out" / "report.pdf")
    assert pdf == tmp_path / "out" / "report.pdf" and pdf.read_bytes().startswith(b"%PDF")
    pages = read_pdf(pdf)
    text = "\n".join(p.text for p in pages)
    for shown in ('Report <test> #import "x" $y$ \\ ]', "subtitle *bold* @ref",
                  "#set page(width: 1pt) = not a heading", "Supported", "Not testable",
                  "redness-24-48h", "A curve", "an image"):
        assert shown in text
    assert pages[0].width == pytest.approx(595.28, abs=0.5)  # A4, the page not resized
    assert not list((tmp_path / "out").glob(".*tmp"))


_FRAGMENT = ('<ol class="claims"><li id="claim-a"><span class="badge badge-supported">'
             '<span aria-hidden="true">✓</span> Supported</span> <span>Redness #fades '
             '$fast$.</span><sup><a href="#s1">1</a></sup></li><li><span class="badge '
             'badge-contradicted">✗ Contradicted</span> acne_scars heal</li></ol>')


def test_html_fragments_keep_their_items_and_badges(tmp_path):
    import docx

    page = Page("F").section("Claims").raw_html(_FRAGMENT, text="plain fallback")
    pages = read_pdf(write_pdf(page, tmp_path / "f.pdf"))
    text = pages[0].text
    assert "plain fallback" not in text and "Redness #fades $fast$." in text
    assert "1. ✓ Supported" in text and "2. ✗ Contradicted Acne scars heal" in text
    boxes = [r for r in pages[0].rects if r.get("fill") and r["height"] < 20]
    assert len(boxes) == 2 and badge_collisions(pages[0]) == []
    doc = docx.Document(write_docx(page, tmp_path / "f.docx"))
    items = [p for p in doc.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in items] == ["✓ Supported Redness #fades $fast$.1",
                                       "✗ Contradicted Acne scars heal"]
    assert items[0].runs[0].bold and "w:shd" in items[0].runs[0]._r.xml
    assert any(r.font.superscript for r in items[0].runs)


def test_a_drawing_falls_back_to_its_text(tmp_path):
    page = Page("F").section("Flow").raw_html('<div role="img"><span>x</span></div>',
                                              text="rows read 20, accepted 18")
    assert "rows read 20, accepted 18" in read_pdf(write_pdf(page, tmp_path / "d.pdf"))[0].text


def test_figures_are_embedded_at_the_text_width(tmp_path):
    page = _page()
    page.section("PNG").figure(plt.subplots()[1], alt="a raster", format="png")
    source, figures = typst_source(page)
    assert list(figures) == ["figure-1.svg", "figure-2.png"]  # vector where the page has it
    assert b"<svg" in figures["figure-1.svg"][:400] and figures["figure-2.png"][:4] == b"\x89PNG"
    assert source.count(f"width: {TEXT_WIDTH:.1f}pt") == 2
    assert read_pdf(write_pdf(page, tmp_path / "figures.pdf"))


def test_wide_tables_fit_or_are_split_with_the_first_column_repeated(tmp_path):
    wide = pd.DataFrame({"condition": ["acne_scars", "wrinkles"],
                         **{f"measure_{k}": ["estimate (interval) words " * 2, "x"]
                            for k in range(24)}})
    page = Page("Wide").section("Wide").table(wide, caption="Wide")
    pages = read_pdf(write_pdf(page, tmp_path / "wide.pdf"))
    assert all(not outside(p) and not overlapping(p.words) for p in pages)
    text = "\n".join(p.text for p in pages)
    assert "Wide (part 1 of" in text and "Wide (part 2 of" in text
    assert text.count("Acne scars") >= 2  # the first column repeated in every part


def test_long_words_are_broken_and_short_tables_keep_natural_widths():
    from outcomes.output.cells import table_text
    t = table_text(pd.DataFrame({"sha256": ["f" * 64], "file": ["sessions.csv"]}))
    widths = column_widths(t, 8)
    assert widths is not None and sum(widths) <= TEXT_WIDTH


def test_long_tables_are_named_not_printed(tmp_path):
    page = Page("Long").section("Long").table(pd.DataFrame({"n": range(200)}), caption="All")
    pages = read_pdf(write_pdf(page, tmp_path / "long.pdf", max_rows=80))
    assert len(pages) == 1 and "All: 200 rows, not printed here" in pages[0].text


def test_without_typst_the_message_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "typst", None)  # import now raises ImportError
    with pytest.raises(OutcomesError, match=r"outcomes\[pdf\]"):
        write_pdf(_page(), tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


# ----------------------------------------------------------------------------- Word
def _docx_text(path):
    import docx

    doc = docx.Document(path)
    texts = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return doc, texts, tables


def test_word_document_holds_the_claims_and_section_tables(report_pdf):
    path, ids = report_pdf
    doc, texts, tables = _docx_text(path.with_suffix(".docx"))
    assert "What the data say about the claims" in texts and "Methods" in texts
    claims = [t for t in tables if t[0][:2] == ["Claim", "Verdict"]]
    assert claims and len(claims[0]) == 1 + len(ids)  # a row per claim
    assert len(tables) >= 5 and all(len(t) >= 1 for t in tables)
    header = doc.tables[0].rows[0]._tr.trPr.xml
    assert "tblHeader" in header  # the header row repeats on every page
    assert len(doc.inline_shapes) >= 2  # figures, from their PNG


def test_word_document_has_no_raw_code(report_pdf):
    path, ids = report_pdf
    _, texts, tables = _docx_text(path.with_suffix(".docx"))
    cells = [c for t in tables for row in t for c in row]
    assert sorted(set(raw_codes("\n".join(texts + cells), ids))) == []


# ----------------------------------------------------------------------------- workbook
def _readme(book):
    rows = list(book["README"].values)
    start = next(i for i, r in enumerate(rows) if r[:2] == ("sheet", "csv file"))
    return [r for r in rows[start + 1:] if r[0]]


def _undescribed(book) -> list:
    described = {(r[0], r[3]): r[4] for r in _readme(book) if r[3]}
    missing = []
    for ws in book.worksheets[1:]:
        if ws.title == "provenance":
            continue
        headers = {r[5]: r[3] for r in _readme(book) if r[0] == ws.title and r[3]}
        for cell in next(ws.iter_rows(max_row=1)):
            code = headers.get(cell.value)
            if code is None or not described.get((ws.title, code)):
                missing.append((ws.title, cell.value))
    return missing


def _book(path):
    import openpyxl

    return openpyxl.load_workbook(path)


def test_workbook_readme_describes_every_column_of_every_sheet(report_pdf):
    path, _ = report_pdf
    book = _book(path.parent / "tables.xlsx")
    assert len(book.sheetnames) >= 10
    assert _undescribed(book) == []


@pytest.fixture(scope="module")
def audit_book(small_pdf, tmp_path_factory):
    bundle = small_pdf[0].parents[1] / "bundle"
    out = tmp_path_factory.mktemp("audit") / "audit"
    assert main(["audit", str(bundle), "--out", str(out), "--quiet"]) in (0, 3)
    return out / "audit.xlsx"


def test_audit_workbook_describes_every_column_too(audit_book):
    book = _book(audit_book)
    assert "checks" in book.sheetnames and book.sheetnames[-1] == "provenance"
    assert _undescribed(book) == []


def test_workbook_headers_are_words_and_numbers_are_formatted(report_pdf):
    path, ids = report_pdf
    book = _book(path.parent / "tables.xlsx")
    headers, unformatted, empty, numbers = [], [], 0, 0
    for ws in book.worksheets[1:]:
        headers += [str(c.value) for c in next(ws.iter_rows(max_row=1))]
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    numbers += 1
                    if c.number_format == "General":
                        unformatted.append((ws.title, c.coordinate))
                empty += c.value == ""
    assert numbers > 100 and unformatted == [] and empty == 0
    assert sorted(set(raw_codes("\n".join(headers), ids))) == []


def test_workbook_provenance_and_the_suppressions_sheet_the_report_names(report_pdf):
    path, _ = report_pdf
    book = _book(path.parent / "tables.xlsx")
    assert book.sheetnames[0] == "README" and book.sheetnames[-2:] == ["suppressions",
                                                                      "provenance"]
    items = dict(row[:2] for row in book["provenance"].values if row[0])
    assert items["Package"] == f"outcomes {outcomes.__version__}"
    assert items["Command"] and "Written at (UTC)" in items  # "(Python API)" under main()
    assert items["Parameter: min_cell"] == "5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        log = outcomes.load_bundle(path.parents[1] / "bundle" if "small" in str(path)
                                   else ROOT / "data" / "sample")
    assert {f: items.get(f) for f in log.checksums} == dict(log.checksums)
    text = "\n".join(p.text for p in read_pdf(path))
    text += (path.parent / "report.html").read_text("utf-8")
    import re
    named = set(re.findall(r"\bsheet ([a-z][a-z0-9_]*)\)", text))
    assert "suppressions" in named
    assert named <= set(book.sheetnames), named - set(book.sheetnames)


_SHOWN = {"#,##0": r"-?\d{1,3}(,\d{3})*", "0.0%": r"-?\d+\.\d%", "0.000": r"-?\d+\.\d{3}",
          "0": r"-?\d+", "0.0": r"-?\d+\.\d"}


def test_workbook_opens_in_libreoffice_with_every_number_formatted(report_pdf, tmp_path):
    """Calc shows every number as its format says (openpyxl's formats where Calc is absent)."""
    import re
    import shutil
    import subprocess

    import pandas as pd

    path, _ = report_pdf
    book = _book(path.parent / "tables.xlsx")
    expected = {}  # (sheet, row, column) -> format
    for ws in book.worksheets[1:]:
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    expected[(ws.title, c.row - 1, c.column - 1)] = c.number_format
    assert expected and set(expected.values()) <= set(_SHOWN)
    soffice = shutil.which("soffice")
    if soffice is None:  # CI without LibreOffice: the formats as stored
        return
    subprocess.run([soffice, "--headless", "--norestore",
                    f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1",
                    "--outdir", str(tmp_path), str(path.parent / "tables.xlsx")],
                   check=True, capture_output=True, timeout=180)
    shown = {ws: pd.read_csv(tmp_path / f"tables-{ws}.csv", dtype=str, keep_default_na=False,
                             header=None)
             for ws in {k[0] for k in expected}}
    wrong = [(k, fmt, shown[k[0]].iat[k[1], k[2]]) for k, fmt in expected.items()
             if not re.fullmatch(_SHOWN[fmt], shown[k[0]].iat[k[1], k[2]])]
    assert wrong[:5] == []


def test_a_page_without_raster_copies_renders_each_figure_once(tmp_path):
    """The report keeps PNG copies only when a Word document is asked for; its PDF reads the
    SVG and the figure's size, and Word says what is missing instead of failing obscurely."""
    from outcomes.errors import OutcomesError

    fig, ax = plt.subplots(figsize=(6.0, 3.0))
    ax.plot([0, 1], [0, 1])
    page = Page("F", raster=False).section("Figure").figure(ax, alt="a line")
    (block,) = page.sections[0].blocks
    assert block.data["png"] is None and block.data["size"] == (6.0, 3.0)
    source, figures = typst_source(page)
    assert list(figures) == ["figure-1.svg"] and f"width: {TEXT_WIDTH:.1f}pt" in source
    assert read_pdf(write_pdf(page, tmp_path / "f.pdf"))
    with pytest.raises(OutcomesError, match="raster=True"):
        write_docx(page, tmp_path / "f.docx")
    kept = Page("F").section("Figure").figure(plt.subplots()[1], alt="a line")
    assert kept.sections[0].blocks[0].data["png"][:4] == b"\x89PNG"
