"""A stakeholder opens a report with the network off: every chart must be drawn and nothing may be
fetched from outside the machine (headless Debian Chromium driven by Playwright)."""

import shutil

import pytest

from pmplaybook import report

from test_report import OK_BODY, make_notebook

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    not CHROMIUM, reason="Debian's chromium is missing: `make test` installs it (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND"])
        yield b
        b.close()


def open_offline(browser, path):
    """Open a local file, recording (and refusing) every request that is not file://."""
    page = browser.new_page()
    outside = []

    def guard(route):
        if route.request.url.startswith(("file://", "data:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    return page, outside, errors


def assert_charts_drawn(page, expected_min=1):
    page.wait_for_load_state("load")
    charts = page.locator(".pmp-chart")
    assert charts.count() >= expected_min
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pmp-chart')].every(el => el.querySelector('svg'))", timeout=20000)
    for i in range(charts.count()):
        svg = charts.nth(i).locator("svg").first
        box = svg.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, f"chart {i} is empty"
        assert charts.nth(i).locator("svg path, svg rect, svg line").count() > 3, f"chart {i} has no marks"


def test_report_and_index_render_offline(browser, tmp_path):

    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    make_notebook(nb_dir / "01_ok.ipynb", OK_BODY)
    (tmp_path / "events.csv").write_text(
        "user_id,timestamp,event\nu1,2025-03-01 09:00:00,signup\nu2,2025-03-02 09:00:00,task_completed\n")
    params = tmp_path / "tiny.yaml"
    params.write_text("team: tiny\ndata: {source: files, events: events.csv}\n")
    out = tmp_path / "reports"
    result = report.run(teams=[str(params)], out=out, jobs=1, progress=False, source_dir=nb_dir)
    assert not result.failed

    page, outside, errors = open_offline(browser, out / "2025-03-03" / "tiny" / "01_ok.html")
    assert_charts_drawn(page)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert outside == [] and errors == []

    page, outside, errors = open_offline(browser, out / "index.html")
    assert page.locator("a[href$='01_ok.html']").count() == 1
    assert outside == [] and errors == []
