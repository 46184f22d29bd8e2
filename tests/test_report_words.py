"""The report and the audit page of data/sample speak in words: no raw code in a heading, a
table header, a caption, a collapsed table's summary or a figure's alt text; every claim has
its sentence on the first section; the suppression log stays in the workbook."""

from __future__ import annotations

import html
import re
import warnings

import pytest

import outcomes
from outcomes.audit.run import audit
from outcomes.output.labels import codes
from outcomes.report.audit import write_audit
from outcomes.report.write import write_report

#: The elements whose text is a label a reader reads as words.
LABELS = re.compile(r"<(h[1-6]|th|caption|summary|dt|figcaption)\b[^>]*>(.*?)</\1>", re.S)
ALT = re.compile(r'\balt="([^"]*)"')
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")
#: File names (``adverse_events.csv``) are names, not codes.
FILE = re.compile(r"[\w.-]+\.(?:csv|txt|xlsx|xls|parquet|json|toml|html)\b")


def _labels(text: str) -> list[str]:
    found = [html.unescape(re.sub(r"<[^>]+>", " ", m.group(2))) for m in LABELS.finditer(text)]
    return found + [html.unescape(m.group(1)) for m in ALT.finditer(text)]


def raw_codes(text: str) -> list[tuple[str, str]]:
    """(code, label) for each raw code found in the labels of an HTML page."""
    known = codes()
    hits = []
    for item in _labels(text):
        for token in TOKEN.findall(FILE.sub(" ", item)):
            if token in known or ("_" in token and token.lower() == token):
                hits.append((token, item[:80]))
    return hits


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("words")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = outcomes.load_sample()
    report = write_report(log, root / "report")
    write_audit(audit(log), root / "audit", release=True)
    return {"report": report.html.read_text("utf-8"),
            "audit": (root / "audit" / "audit.html").read_text("utf-8"),
            "claims": report.exported["claims"], "n_suppressed": len(report.suppressions)}


def test_the_scan_finds_a_raw_code():
    page = "<table><thead><tr><th>final_improvement_mean</th><th>Patients</th></tr></thead>"
    assert raw_codes(page + '</table><img alt="ci_low by acne_scars">') == [
        ("final_improvement_mean", "final_improvement_mean"),
        ("ci_low", "ci_low by acne_scars"), ("acne_scars", "ci_low by acne_scars")]
    assert raw_codes("<h2>Acne scars and post-inflammatory hyperpigmentation</h2>") == []
    assert raw_codes("<dt>SHA-256 of adverse_events.csv</dt>") == []


@pytest.mark.parametrize("name", ["report", "audit"])
def test_no_raw_code_in_headings_headers_or_alt_texts(pages, name):
    assert raw_codes(pages[name]) == []


def test_every_claim_has_its_sentence_in_the_first_section(pages):
    text = pages["report"]
    first = text.index('<section id="claims">')
    claims_section = text[first:text.index("</section>", first)]
    items = re.findall(r'<li class="claim" id="claim-([^"]+)">', claims_section)
    assert items == list(pages["claims"]["id"])
    for verdict in set(pages["claims"]["verdict"]):
        assert f"badge badge-{verdict}" in claims_section
    assert claims_section.count("the claim needs") == len(items)
    assert "_22ca913a8a1820c1.txt</code>" in claims_section  # the file name, in a footnote
    assert "Magazine and beauty-salon texts" in claims_section
    assert text.index('<section id="claims">') == text.index("<section")  # the first section


def test_suppression_log_stays_in_the_workbook(pages):
    text = pages["report"]
    assert pages["n_suppressed"] > 100
    assert "Every suppression" not in text and "row_label" not in text
    assert f"{pages['n_suppressed']:,} cells were suppressed" in text
    assert "sheet suppressions" in text and "tables/suppressions.csv" in text
    assert "Cells hidden by the disclosure rules" not in pages["audit"]


def test_table_1_and_the_flow_are_shown(pages):
    text = pages["report"]
    assert "Table 1a. Patients, courses and sessions by condition" in text
    assert "Table 1b." in text and "Fitzpatrick type" in text
    assert '<div class="flow"' in text and "Session rows read" in text
