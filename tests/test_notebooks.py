"""Every walk-through notebook, run by the report runner with every team's params on the bundled sample.

This is the papermill half of the notebook checks (nbval runs each notebook with its defaults, see the
Makefile). One runner call executes all (team, notebook) pairs in parallel; the tests read its results.
"""

import json
import re

import nbformat
import pytest

from pmplaybook import config, report
from pmplaybook.core.formatting import DOLLAR

from test_browser import browser  # noqa: F401  (the headless Chromium fixture)

NOTEBOOKS = report.notebooks()
TEAMS = config.list_teams()


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return report.run(out=out, jobs=2, progress=False)


def test_notebooks_are_stored_clean_with_one_parameters_cell():
    assert len(NOTEBOOKS) == 7, NOTEBOOKS
    for name in NOTEBOOKS:
        nb = nbformat.read(config.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{name} has outputs"
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{name}: exactly one parameters cell"
        assert set(report.NOTEBOOK_PARAMETERS) <= set(report.papermill_parameters(config.NOTEBOOKS_DIR / f"{name}.ipynb"))
        for c in code:
            assert "def " not in c.source and "class " not in c.source, f"{name}: logic belongs in the package"
        # JupyterLab reads "$50 ... $1,200" as a formula (a backslash does not stop it): write money in words
        # in the notebooks' own text, or with pmplaybook.core.formatting.DOLLAR
        for c in nb.cells:
            if c.cell_type == "markdown":
                assert "$" not in c.source.replace(DOLLAR, ""), f"{name}: a bare $ in {c.source[:80]!r}"


@pytest.mark.parametrize("team", TEAMS)
def test_every_notebook_runs_for_every_team(full_run, team):
    failed = [f"{r.notebook}: {r.error}" for r in full_run.results if r.team == team and not r.ok]
    assert not failed, failed
    (as_of,) = {r.as_of for r in full_run.results if r.team == team}
    summary = json.loads((full_run.out / as_of / team / "summary.json").read_text())
    assert {n["notebook"] for n in summary["notebooks"]} == set(NOTEBOOKS)
    assert summary["kpis"], "the notebooks recorded no headline KPI"
    for kpi in summary["kpis"]:
        assert kpi["value"] is None or isinstance(kpi["value"], float)


#: Words a stakeholder sees on a report page without opening anything (charts' own labels not counted).
VISIBLE_WORDS = 1500
VISIBLE_WORDS_JS = """() => {
  const words = t => (t.match(/[A-Za-z0-9][\\w'%.,$-]*/g) || []).length;
  const charts = [...document.querySelectorAll('.pmp-chart')].reduce((n, el) => n + words(el.innerText), 0);
  return words(document.body.innerText) - charts;
}"""
#: What must never reach a reader: object reprs, pandas' missing markers, raw timedeltas, float noise.
REPR = re.compile(r"object at 0x|\bNaN\b|\bNaT\b|\bdtype:|\bNone\b(?! of)|\d+ days \d\d:\d\d:\d\d|\d\.\d{5,}|Dataset\(")


def captioned(spec: dict) -> bool:
    """A chart has a caption: a title with a subtitle, or (a stack of charts) one on each of its parts."""
    title = spec.get("title")
    if isinstance(title, dict) and title.get("subtitle"):
        return True
    parts = spec.get("vconcat") or spec.get("hconcat") or spec.get("concat")
    return bool(parts) and all(captioned(p) for p in parts)


def test_a_teams_reports_read_in_two_minutes(full_run, browser):
    """Each page of one team, in headless Chromium with the network off: the Summary first, at most
    VISIBLE_WORDS words unfolded, no reprs, nothing wider than the page, every chart drawn and captioned,
    every link of the Summary landing on its chart."""
    from test_browser import open_offline

    (as_of,) = {r.as_of for r in full_run.results if r.team == "growth"}
    for name in NOTEBOOKS:
        path = full_run.out / as_of / "growth" / f"{name}.html"
        page, outside, errors = open_offline(browser, path)
        page.set_viewport_size({"width": 1100, "height": 900})
        # every chart is drawn, folded ones too (an SVG with marks); those in view have a size
        page.wait_for_function("() => [...document.querySelectorAll('.pmp-chart')].every(el => el.querySelector('svg'))",
                               timeout=20000)
        drawn = page.evaluate("() => [...document.querySelectorAll('.pmp-chart')].map(el => ({marks: "
                              "el.querySelectorAll('svg path, svg rect, svg line').length, folded: !el.checkVisibility(), "
                              "width: el.querySelector('svg').getBoundingClientRect().width}))")
        assert drawn and all(c["marks"] > 3 for c in drawn), f"{name}: a chart has no marks: {drawn}"
        assert all(c["folded"] or c["width"] > 50 for c in drawn), f"{name}: an unfolded chart is empty: {drawn}"
        assert outside == [] and errors == [], (name, outside, errors)
        headings = page.evaluate("() => [...document.querySelectorAll('h2')].filter(h => h.checkVisibility())"
                                 ".map(h => h.innerText.trim())")
        assert headings and headings[0].startswith("Summary"), (name, headings[:3])
        words = page.evaluate(VISIBLE_WORDS_JS)
        assert words <= VISIBLE_WORDS, f"{name}: {words} visible words"
        text = page.evaluate("() => document.body.innerText")
        assert not REPR.search(text), f"{name}: {REPR.search(text).group(0)!r} in {text[max(0, REPR.search(text).start() - 80):REPR.search(text).end() + 40]!r}"
        wide = page.evaluate("() => { const w = document.body.clientWidth; return [...document.querySelectorAll("
                             "'table, .pmp-chart svg')].filter(t => t.checkVisibility() && t.getBoundingClientRect().right > w)"
                             ".map(t => t.tagName); }")
        assert wide == [], f"{name}: wider than the page: {wide}"
        specs = page.evaluate("() => [...document.querySelectorAll('.pmp-chart')].map(el => "
                              "JSON.parse(document.getElementById(el.dataset.spec).textContent))")
        uncaptioned = [s.get("title") for s in specs if not captioned(s)]
        assert uncaptioned == [], f"{name}: charts without a caption (a title subtitle): {uncaptioned}"
        targets = page.evaluate("() => [...document.querySelectorAll('#Summary ~ ul a[href^=\"#\"]')]"
                                ".map(a => a.getAttribute('href').slice(1))")
        missing = [t for t in targets if page.locator(f"[id='{t}']").count() == 0]
        assert missing == [], f"{name}: the Summary links to charts that are not on the page: {missing}"
