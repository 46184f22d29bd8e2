"""The clinician dashboard as a web app, ``outcomes dashboard data/sample``, in headless Chromium.

Starts the command as a user does (``--no-browser --min-cell 10``), opens the printed URL with
Playwright, and checks what a clinician meets: no code and no warning box on the page; each
filter (condition, clinic, setting, skin type, dates) updates the claims table and both plots;
clinic C01 works; Tab reaches every control and the keyboard operates them, each with a label;
the export downloads a ZIP whose counts respect ``--min-cell``; Ctrl-C stops the server. The
time from the command's start to a working app is written to
``build/artefacts/dashboard-start-seconds.txt`` with the screenshots. Run by
``make test-browser``.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from tests.dashboard_server import READY_JS, ROOT, SAMPLE, start

pytestmark = pytest.mark.browser

MIN_CELL = 10
#: Seconds for the first page (the kernel imports, loads and analyses) on a shared machine.
READY_SECONDS = 300
#: Seconds for one update after a filter changes.
UPDATE_SECONDS = 120
ARTEFACTS = ROOT / "build" / "artefacts"
CONTROLS = ".outcomes-dashboard select, .outcomes-dashboard input, .outcomes-dashboard button"

STATE_JS = """() => {
  const q = s => document.querySelector(s);
  const imgs = [...document.querySelectorAll('.outcomes-dashboard .widget-image')];
  return {status: (q('.outcomes-dashboard-status') || {}).innerText || '',
          claims: (q('.outcomes-dashboard-claims, .outcomes-dashboard-message') || {}).innerHTML
                  || '',
          images: imgs.map(i => i.src)};
}"""
CHANGED_JS = """before => {
  const imgs = [...document.querySelectorAll('.outcomes-dashboard .widget-image')];
  const s = document.querySelector('.outcomes-dashboard-status');
  const c = document.querySelector('.outcomes-dashboard-claims, .outcomes-dashboard-message');
  return s && c && !s.innerText.includes('Updating') && s.innerText !== before.status
    && c.innerHTML !== before.claims && imgs.length == 2
    && imgs.every((i, k) => i.src !== before.images[k] && i.naturalWidth > 0);
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """``outcomes dashboard data/sample --no-browser --min-cell 10``, stopped with Ctrl-C."""
    server = start(str(SAMPLE), "--no-browser", "--min-cell", str(MIN_CELL),
                   home=tmp_path_factory.mktemp("dashboard-home"))
    if not server.url:
        server.stop()
        pytest.fail(f"outcomes dashboard printed no URL:\n{server.output()}")
    yield server
    status = server.interrupt()
    assert status == 0, server.output()
    assert "Traceback" not in server.output()


@pytest.fixture(scope="module")
def page(app, browser):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1800},
                                  accept_downloads=True)
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda exc: p.errors.append(str(exc)))
    p.goto(app.url, wait_until="commit", timeout=READY_SECONDS * 1000)
    p.wait_for_function(READY_JS, timeout=READY_SECONDS * 1000)
    ready = time.monotonic() - app.started
    (ARTEFACTS / "dashboard-start-seconds.txt").write_text(
        f"command start to URL printed: {app.url_seconds:.1f} s\n"
        f"command start to working app (widgets, claims table and both plots shown): "
        f"{ready:.1f} s\n")
    p.screenshot(path=str(ARTEFACTS / "dashboard-app.png"), full_page=True)
    yield p
    context.close()


def _state(page) -> dict:
    return page.evaluate(STATE_JS)


def _changed(page, before: dict, what: str) -> dict:
    try:
        page.wait_for_function(CHANGED_JS, arg=before, timeout=UPDATE_SECONDS * 1000)
    except Exception:  # noqa: BLE001 - say which filter did not update, with a picture
        page.screenshot(path=str(ARTEFACTS / f"dashboard-stuck-{what}.png"), full_page=True)
        raise AssertionError(f"{what}: the status, claims table and both plots did not all "
                             f"update; now {_state(page)['status']!r}") from None
    return _state(page)


def _reset(page) -> dict:
    before = _state(page)
    page.get_by_role("button", name="Clear filters").click()
    page.wait_for_function(
        "() => (document.querySelector('.outcomes-dashboard-status') || {}).innerText"
        "?.includes('(all data)')", timeout=UPDATE_SECONDS * 1000)
    return before if "(all data)" in before["status"] else _state(page)


def test_no_code_and_no_warning_box(page):
    code = page.locator(".jp-CodeCell .jp-InputArea, .jp-CodeMirrorEditor, .cm-editor, "
                        ".jp-InputPrompt, .jp-OutputPrompt")
    assert code.filter(visible=True).count() == 0
    stderr = page.locator("[data-mime-type='application/vnd.jupyter.stderr'], "
                          ".jp-RenderedText[data-mime-type*='stderr'], .output_stderr")
    assert stderr.filter(visible=True).count() == 0
    text = page.locator("body").inner_text()
    for word in ("Traceback", "Warning:", "ipykernel_", "DataQualityWarning", "import outcomes"):
        assert word not in text, word
    banner = page.locator(".outcomes-banner")
    assert banner.count() == 1 and "quarantined" in banner.inner_text()  # notes in words
    assert page.locator(".outcomes-claims tbody tr").count() == 23
    assert not page.errors, page.errors


def test_each_filter_updates_the_table_and_both_plots(page):
    before = _reset(page)
    page.get_by_label("Condition", exact=True).select_option(label="Acne scars")
    after = _changed(page, before, "condition")
    assert "condition: Acne scars" in after["status"]

    before = _reset(page)
    page.get_by_label("Clinic", exact=True).select_option(label="Clinic C01")
    after = _changed(page, before, "clinic")
    assert "clinic: C01" in after["status"] and "Too little data" not in after["status"]
    assert page.locator(".outcomes-claims tbody tr").count() > 0
    page.screenshot(path=str(ARTEFACTS / "dashboard-app-clinic-C01.png"), full_page=True)

    before = _reset(page)
    page.get_by_role("checkbox", name="At home", exact=True).check()
    after = _changed(page, before, "setting")
    assert "setting: At home" in after["status"]

    before = _reset(page)
    page.get_by_role("checkbox", name="Type IV", exact=True).check()
    after = _changed(page, before, "skin type")
    assert "skin type (fitzpatrick): Type IV" in after["status"]

    before = _reset(page)
    start = page.get_by_label("From", exact=True)
    start.fill("2024-01-01")
    start.press("Enter")
    after = _changed(page, before, "dates")
    assert "from 2024-01-01" in after["status"]
    _reset(page)
    assert not page.errors, page.errors


def test_keyboard_reaches_and_operates_every_control(page):
    _reset(page)
    n = page.evaluate(f"""() => {{
        const els = [...document.querySelectorAll({CONTROLS!r})];
        els.forEach((e, i) => e.dataset.control = String(i));
        return els.length; }}""")
    assert n >= 2 + 2 + 6 + 2 + 2  # drop-downs, setting and skin-type boxes, dates, buttons
    unlabelled = page.evaluate(f"""() => [...document.querySelectorAll({CONTROLS!r})]
        .filter(e => !(e.labels && e.labels.length && e.labels[0].innerText.trim())
                     && !e.getAttribute('aria-label') && !e.title && !e.innerText.trim())
        .map(e => e.outerHTML.slice(0, 80))""")
    assert unlabelled == []
    page.locator("body").click(position={"x": 2, "y": 2})
    reached = set()
    for _ in range(4 * n):
        page.keyboard.press("Tab")
        found = page.evaluate("() => document.activeElement && document.activeElement"
                              ".dataset.control")
        if found is not None:
            reached.add(found)
        if len(reached) == n:
            break
    assert reached == {str(i) for i in range(n)}, f"Tab reached {len(reached)} of {n}"

    # operate by keyboard: Space ticks a skin type, Enter on the reset button clears it
    before = _state(page)
    page.get_by_role("checkbox", name="Type II", exact=True).focus()
    page.keyboard.press("Space")
    after = _changed(page, before, "keyboard skin type")
    assert "Type II" in after["status"]
    page.get_by_role("button", name="Clear filters").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.outcomes-dashboard-status').innerText"
        ".includes('(all data)')", timeout=UPDATE_SECONDS * 1000)
    # verdicts carry a mark and a word, not only a colour
    badges = page.locator(".outcomes-claims .outcomes-verdict").all_inner_texts()
    assert badges and all(b.split(" ", 1)[0] in "✓✗?–" and len(b) > 2 for b in badges)


def test_export_downloads_what_is_shown_within_min_cell(page, tmp_path):
    before = _reset(page)
    page.get_by_label("Clinic", exact=True).select_option(label="Clinic C01")
    _changed(page, before, "clinic before export")
    page.get_by_role("button", name="Prepare export").click()
    link = page.locator("a.outcomes-download")
    link.wait_for(timeout=UPDATE_SECONDS * 1000)
    with page.expect_download(timeout=UPDATE_SECONDS * 1000) as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("outcomes-dashboard_sample_clinic-C01")
    path = Path(tmp_path / download.suggested_filename)
    download.save_as(path)
    page.screenshot(path=str(ARTEFACTS / "dashboard-app-export.png"), full_page=True)
    archive = zipfile.ZipFile(path)
    assert {"tables/claims.csv", "tables.xlsx", "dose_response.png", "resolution.png",
            "filters.txt"} <= set(archive.namelist())
    assert "clinic: C01" in archive.read("filters.txt").decode()
    claims = pd.read_csv(io.BytesIO(archive.read("tables/claims.csv")), dtype=str)
    assert len(claims) == page.locator(".outcomes-claims tbody tr").count()
    for name in archive.namelist():
        if name.endswith(".csv") and not name.endswith("suppressions.csv"):
            table = pd.read_csv(io.BytesIO(archive.read(name)), dtype=str)
            for column in [c for c in table.columns if c == "n" or c.startswith("n_")
                           or c.endswith("_at_risk") or c == "at_risk"]:
                numbers = pd.to_numeric(table[column], errors="coerce")
                small = table[column][(numbers > 0) & (numbers < MIN_CELL)]
                assert small.empty, f"{name}:{column} shows {small.tolist()}"
    _reset(page)
