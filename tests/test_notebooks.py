"""Every walk-through notebook, run by the report runner with every team's params on the bundled sample.

This is the papermill half of the notebook checks (nbval runs each notebook with its defaults, see the
Makefile). One runner call executes all (team, notebook) pairs in parallel; the tests read its results.
"""

import json

import nbformat
import pytest

from pmplaybook import config, report

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
