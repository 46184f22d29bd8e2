"""The clinician dashboard in a real JupyterLab, in headless Chromium.

Opens ``notebooks/clinician_dashboard.ipynb``, waits for its kernel to be idle, runs all cells,
waits for the dashboard to render, changes a filter and checks that the status line and the
dose-response plot change in place; saves ``test-artifacts/dashboard.png`` for a person to look
at. Run by ``make test-browser`` (not by ``make test``).
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/clinician_dashboard.ipynb"
#: Seconds for the whole notebook to run in the browser (imports, loading, first analyses).
RUN_SECONDS = 240


def _wait_for_idle_kernel(server, path: str, timeout: float = 120) -> dict:
    """Poll ``/api/sessions`` until the notebook's kernel exists and is idle."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for session in server.api("/api/sessions") or []:
            if session.get("path", "").endswith(path) and session.get("kernel"):
                last = session["kernel"].get("execution_state")
                if last == "idle":
                    return session
        time.sleep(0.5)
    pytest.fail(f"the kernel of {path} was not idle within {timeout} s (last state: {last}); "
                f"server log:\n{server.log_text()[-3000:]}")


def _run_all(page) -> None:
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()


def test_dashboard_filters_update_the_plot(lab_server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1500, "height": 2000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(lab_server.lab_url(NOTEBOOK), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        _wait_for_idle_kernel(lab_server, NOTEBOOK)
        _run_all(page)

        dashboard = page.locator(".outcomes-dashboard")
        dashboard.wait_for(timeout=RUN_SECONDS * 1000)
        images = dashboard.locator(".widget-image")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.outcomes-dashboard .widget-image')]"
            ".filter(i => i.src && i.naturalWidth > 0).length == 2",
            timeout=RUN_SECONDS * 1000)
        claims = dashboard.locator(".outcomes-claims")
        claims.wait_for()
        assert claims.locator("tbody tr").count() > 0
        assert dashboard.locator(".outcomes-verdict").count() > 0
        # no raw warning box: the loading notes are a plain banner in the dashboard
        assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        assert "quarantined" in dashboard.locator(".outcomes-banner").inner_text()

        status = dashboard.locator(".outcomes-dashboard-status")
        status_before = status.inner_text()
        dose = images.nth(0)
        src_before = dose.get_attribute("src")
        png_before = dose.screenshot()

        # choose the first condition in the condition drop-down (its first option is "All")
        dashboard.get_by_label("Condition").select_option(index=1)
        page.wait_for_function(
            "before => { const i = document.querySelectorAll("
            "'.outcomes-dashboard .widget-image')[0]; "
            "return i && i.src !== before && i.naturalWidth > 0; }",
            arg=src_before, timeout=120_000)
        page.wait_for_function(
            "before => { const s = document.querySelector('.outcomes-dashboard-status'); "
            "return s && s.innerText !== before && !s.innerText.includes('Updating'); }",
            arg=status_before, timeout=120_000)

        status_after = status.inner_text()
        png_after = dose.screenshot()
        assert status_after != status_before
        assert "condition: Acne scars" in status_after  # in words, not acne_scars
        assert dose.get_attribute("src") != src_before
        assert png_after != png_before, "the dose-response plot image did not change"

        _wait_for_idle_kernel(lab_server, NOTEBOOK)
        dashboard.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "dashboard.png"))
        assert not errors, f"JavaScript errors in the page: {errors}"
    finally:
        page.close()
