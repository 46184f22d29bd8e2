"""The report and the audit page of data/sample in headless Chromium at 1366 px, and printed.

Asserts that no table, and no box holding one, scrolls sideways (``scrollWidth <= clientWidth``
and nothing past the window's right edge); that the first screen (the top 900 px) holds the
claim sentences; that in print, at the text width of an A4 page, no table is wider than
the page; and that the report prints to at most 25 A4 pages with Chromium's own
print-to-PDF (collapsed tables open, as the print style sheet says). Screenshots, the PDFs and
their page counts are saved under ``build/artefacts/`` for a person to look at. Run by
``make test-browser`` (not by ``make test``).
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

import outcomes
from outcomes.audit.run import audit
from outcomes.report.audit import write_audit
from outcomes.report.write import write_report

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WIDTH, SCREEN = 1366, 900
MAX_REPORT_PAGES = 25
#: The text width of an A4 page (210 mm less the print style sheet's 15 mm margins) in CSS px.
A4_TEXT = round((210 - 2 * 15) / 25.4 * 96)
#: Sentences that must be whole on the first screen (the list starts there and runs on).
FIRST_SCREEN_SENTENCES = 4

#: Every element that could scroll sideways or stick out: tables, their boxes, figures...
_WIDE = """() => {
  const view = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll(
      'table, .table-wrap, details, figure, img, pre, dl, .flow, .answer, aside, ol.claims')) {
    const box = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth || box.right > view + 0.5) {
      const cap = el.querySelector('caption');
      out.push({tag: el.tagName, cls: el.className, scroll: el.scrollWidth,
                client: el.clientWidth, right: box.right,
                caption: cap ? cap.textContent.slice(0, 80) : ''});
    }
  }
  return {wide: out, page: [document.documentElement.scrollWidth, view]};
}"""

_FIRST = """() => {
  const list = document.querySelector('ol.claims');
  const items = [...document.querySelectorAll('li.claim')];
  return {top: list ? list.getBoundingClientRect().top : null, n: items.length,
          whole: items.filter(e => e.getBoundingClientRect().bottom <= SCREEN).length,
          sentence: items.length ? items[0].querySelector('.claim-sentence').textContent : ''};
}""".replace("SCREEN", str(SCREEN))


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = outcomes.load_bundle(ROOT / "data" / "sample")
    report = write_report(log, root / "report")
    write_audit(audit(log), root / "audit", release=True)
    return {"report": report.html, "audit": root / "audit" / "audit.html",
            "n_claims": len(report.exported["claims"])}


@pytest.fixture(scope="module")
def artefacts() -> Path:
    folder = ROOT / "build" / "artefacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": WIDTH, "height": SCREEN})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


#: A page object of a PDF (Chromium's PDFs keep them outside compressed object streams).
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page\b")


def _pdf_pages(page, path: Path) -> int:
    page.emulate_media(media="print")
    page.pdf(path=str(path), format="A4", print_background=True)
    page.emulate_media(media="screen")
    return len(_PAGE_OBJECT.findall(path.read_bytes()))


@pytest.mark.parametrize("name", ["report", "audit"])
def test_no_table_scrolls_sideways_at_1366(browser, pages, artefacts, name):
    page = _open(browser, pages[name])
    try:
        found = page.evaluate(_WIDE)
        page.screenshot(path=str(artefacts / f"{name}-1366.png"))
        (artefacts / f"{name}-widths.json").write_text(json.dumps(found, indent=1))
    finally:
        page.close()
    assert found["page"][0] <= found["page"][1], found["page"]
    assert found["wide"] == [], found["wide"][:5]


@pytest.mark.parametrize("name", ["report", "audit"])
def test_no_table_wider_than_a4_in_print(browser, pages, artefacts, name):
    page = browser.new_page(viewport={"width": A4_TEXT, "height": SCREEN})
    try:
        page.goto(pages[name].as_uri())
        page.emulate_media(media="print")
        found = page.evaluate(_WIDE)
        (artefacts / f"{name}-a4-widths.json").write_text(json.dumps(found, indent=1))
    finally:
        page.close()
    assert found["wide"] == [], found["wide"][:5]


def test_first_screen_holds_the_claim_sentences(browser, pages):
    page = _open(browser, pages["report"])
    try:
        first = page.evaluate(_FIRST)
    finally:
        page.close()
    assert first["n"] == pages["n_claims"]
    assert first["top"] is not None and first["top"] < SCREEN / 2, first
    assert first["whole"] >= FIRST_SCREEN_SENTENCES, first
    assert "the claim needs" in first["sentence"]


@pytest.mark.parametrize("name", ["report", "audit"])
def test_prints_to_few_a4_pages(browser, pages, artefacts, name):
    page = _open(browser, pages[name])
    try:
        n = _pdf_pages(page, artefacts / f"{name}.pdf")
    finally:
        page.close()
    counts = artefacts / "page-counts.json"
    known = json.loads(counts.read_text()) if counts.exists() else {}
    known[name] = n
    counts.write_text(json.dumps(known, indent=1))
    if name == "report":
        assert n <= MAX_REPORT_PAGES, f"report.html prints to {n} A4 pages"
    assert n >= 2  # a page that prints to one page lost its content
