"""The report runner on a small team and small notebooks: outputs, failure isolation, injection safety,
re-run determinism and the KPI history. The browser test lives in test_browser.py; the real notebooks are
run for every team in test_notebooks.py."""

import json
import os
import re

import nbformat
import pandas as pd
import pytest

from pmplaybook import report
from pmplaybook.data import DataError

HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=alert(1)>"

PARAMETERS = '''team = "growth"  # team
params_file = ""  # params path
as_of = ""  # analysis date
interactive = False  # widgets
kpi_file = ""  # KPI sink'''


def make_notebook(path, body, parameters=PARAMETERS):
    cells = [nbformat.v4.new_markdown_cell("# A tiny report\n\nUsed by the runner tests.")]
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    cells.append(params)
    cells += [nbformat.v4.new_code_cell(src) for src in body]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


OK_BODY = [
    "from pmplaybook import config, data, charts\n"
    "from pmplaybook.report import kpis as kpi_log\n"
    "import altair as alt\n"
    "from IPython.display import Markdown\n"
    "params = config.load_params(params_file or team)\n"
    "ds = data.connect(params, as_of=as_of or None)\n"
    "kpis = kpi_log.KPIRecorder(kpi_file, '01_ok', params)",
    "counts = ds.events.event.value_counts().order_by('event').execute()\n"
    "alt.Chart(counts).mark_bar().encode(x='event', y='event_count').properties(title='Events')",
    "Markdown('Events seen: ' + ', '.join(counts.event))",
    "kpis.record('week4_retention', counts.event_count.sum() / 10, unit='share', label='Week-4 retention')",
    "kpis.record('north_star', counts.event_count.sum(), label='Events')",
]


@pytest.fixture
def small_team(tmp_path):
    """A team whose events (a CSV) include an event name that is an HTML/script injection attempt."""
    events = pd.DataFrame({
        "user_id": ["u1", "u1", "u2", "u3"],
        "timestamp": ["2025-03-01 09:00:00", "2025-03-02 10:00:00", "2025-03-03 11:00:00", "2025-03-04 12:00:00"],
        "event": ["signup", HOSTILE, "signup", "signup"],
    })
    events.to_csv(tmp_path / "events.csv", index=False)
    params = tmp_path / "tiny.yaml"
    params.write_text(
        "team: tiny\n"
        f"title: '{HOSTILE}'\n"
        "data: {source: files, events: events.csv}\n"
        "kpis: {week4_retention: {target: 0.25, unit: share}}\n")
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    make_notebook(nb_dir / "01_ok.ipynb", OK_BODY)
    make_notebook(nb_dir / "02_fail.ipynb", OK_BODY[:1] + ["raise ValueError('planted failure ' + " + repr(HOSTILE) + ")"])
    return tmp_path, params, nb_dir


def test_runner_writes_reports_isolates_failures_and_escapes(small_team):
    tmp, params, nb_dir = small_team
    out = tmp / "reports"
    result = report.run(teams=[str(params)], jobs=2, out=out, progress=False, source_dir=nb_dir)

    # one good report, one failed, the command would exit non-zero with a one-line summary
    assert [(r.notebook, r.ok) for r in result.results] == [("01_ok", True), ("02_fail", False)]
    assert "FAILED: tiny/02_fail (ValueError: planted failure" in result.summary_line()
    team_dir = out / "2025-03-05" / "tiny"
    assert (team_dir / "01_ok.ipynb").exists() and (team_dir / "01_ok.html").exists()
    assert (team_dir / "02_fail.failed.html").exists() and not (team_dir / "02_fail.html").exists()
    assert not list(team_dir.glob(".*")), "temporary files left behind"

    # the executed notebook keeps papermill's injected parameters
    executed = nbformat.read(team_dir / "01_ok.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)

    # HTML: code hidden, chart embedded offline, data text cannot inject markup
    page = (team_dir / "01_ok.html").read_text()
    assert "counts = ds.events" not in page
    assert 'class="pmp-chart"' in page and "__pmpEmbed" in page
    assert "<script>window.__pwned" not in page and not re.search(r"<img[^>]*onerror", page)
    assert "cdn.jsdelivr" not in page and "require.js" not in page.lower().replace("requirejs", "")

    # the failure is visible: error text and the failing cell's code
    failed_page = (team_dir / "02_fail.failed.html").read_text()
    assert "planted failure" in failed_page and "<script>window.__pwned" not in failed_page

    # summary.json with target and status; the index links both and shows the failure
    summary = json.loads((team_dir / "summary.json").read_text())
    assert [k["name"] for k in summary["kpis"]] == ["north_star", "week4_retention"]
    kpi = summary["kpis"][1]
    assert (kpi["name"], kpi["value"], kpi["target"], kpi["status"], kpi["change"]) == \
        ("week4_retention", 0.4, 0.25, "green", None)
    index = (out / "index.html").read_text()
    assert "2025-03-05/tiny/01_ok.html" in index and "02_fail (failed)" in index
    # the team's KPI (it has a target) up front, the other headline figure folded away
    assert index.index("Week-4 retention: <b>40.0%") < index.index("<details><summary>1 more headline figure<")
    assert index.index("<details>") < index.index("Events: <b>4<")
    assert "<script>window.__pwned" not in index

    # KPI history: a row per KPI; a second run with the same as_of gives the same reports and no duplicate
    first = {p.name: p.read_bytes() for p in team_dir.iterdir()}
    report.run(teams=[str(params)], jobs=1, out=out, progress=False, source_dir=nb_dir)
    second = {p.name: p.read_bytes() for p in team_dir.iterdir()}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], f"{name} differs between two runs of the same as_of"
    history = report.kpi_history(out)
    assert sorted(history.name) == ["north_star", "week4_retention"]  # one row per KPI, no duplicates
    assert history.set_index("name").value["week4_retention"] == 0.4

    # a later as_of records the change since the previous run
    report.run(teams=[str(params)], names=["01_ok"], as_of="2025-03-04", jobs=1, out=out,
               progress=False, source_dir=nb_dir)
    assert len(report.kpi_history(out)) == 4


def test_failed_run_never_overwrites_a_good_report(small_team):
    tmp, params, nb_dir = small_team
    out = tmp / "reports"
    report.run(teams=[str(params)], names=["01_ok"], jobs=1, out=out, progress=False, source_dir=nb_dir)
    good = (out / "2025-03-05" / "tiny" / "01_ok.html").read_bytes()
    make_notebook(nb_dir / "01_ok.ipynb", OK_BODY[:1] + ["raise RuntimeError('broken today')"])
    result = report.run(teams=[str(params)], names=["01_ok"], jobs=1, out=out, progress=False, source_dir=nb_dir)
    assert result.failed
    team_dir = out / "2025-03-05" / "tiny"
    assert (team_dir / "01_ok.html").read_bytes() == good
    assert "broken today" in (team_dir / "01_ok.failed.html").read_text()
    summary = json.loads((team_dir / "summary.json").read_text())
    assert summary["notebooks"][0]["ok"] is False


def test_bad_params_fail_before_any_notebook_starts(small_team, tmp_path):
    _, _, nb_dir = small_team
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: bad\nevnts: {}\n")
    from pmplaybook.config import ParamsError

    with pytest.raises(ParamsError, match="evnts.*did you mean 'events'"):
        report.run(teams=[str(bad)], out=tmp_path / "r", progress=False, source_dir=nb_dir)
    assert not (tmp_path / "r" / "index.html").exists()


def test_parameter_names_cannot_inject_code(small_team):
    _, _, nb_dir = small_team
    with pytest.raises(ValueError, match="not a Python identifier"):
        report.check_parameters(nb_dir / "01_ok.ipynb", {"team\nimport os": "x"})
    with pytest.raises(ValueError, match="declares no parameter"):
        report.check_parameters(nb_dir / "01_ok.ipynb", {"evil": "x"})


def test_parameter_values_stay_strings(tmp_path):
    """Papermill escapes values: a hostile params_file reaches the notebook as the same string."""
    import papermill

    nb = tmp_path / "echo.ipynb"
    make_notebook(nb, ["open('seen.txt', 'w').write(params_file)"])
    hostile = "x\"\nimport os; os.system('touch pwned')\n'''"
    papermill.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), parameters={"params_file": hostile},
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    assert (tmp_path / "seen.txt").read_text() == hostile
    assert not (tmp_path / "pwned").exists()


def test_a_date_after_the_data_end_keeps_its_name_and_cuts_the_figures(small_team):
    """The tiny log ends on 2025-03-04: a run for 2025-03-20 is written under that date, says at the top how
    far behind the data are, records it in summary.json, and counts no week after the data as zero."""
    tmp, params, nb_dir = small_team
    out = tmp / "late"
    result = report.run(teams=[str(params)], names=["01_ok"], as_of="2025-03-20", jobs=1, out=out,
                        progress=False, source_dir=nb_dir)
    assert [r.ok for r in result.results] == [True]
    team_dir = out / "2025-03-20" / "tiny"
    summary = json.loads((team_dir / "summary.json").read_text())
    assert summary["freshness"] == {"requested_as_of": "2025-03-20", "as_of": "2025-03-05", "last_day": "2025-03-04",
                                    "days_behind": 15, "cut": True}
    page = (team_dir / "01_ok.html").read_text()
    assert "Data end 2025-03-04, 2 weeks before the requested date 2025-03-20" in page


def test_teams_in_three_time_zones_are_one_run_each_at_its_own_complete_day(small_team):
    """The tiny log's last event is on Tuesday 4 March 2025 at 12:00 UTC, so it runs to 5 March 00:00 UTC:
    01:00 on 5 March in Berlin, 19:00 on 4 March in New York. 4 March is complete in UTC and in Berlin
    (as_of 5 March), partial in New York (as_of 4 March). One run, filed under the latest as_of, 5 March;
    New York's notebook analyses up to 4 March and says so."""
    tmp, params, nb_dir = small_team
    text = params.read_text()
    berlin, new_york = tmp / "berlin.yaml", tmp / "new_york.yaml"
    berlin.write_text(text.replace("team: tiny", "team: berlin") + "timezone: Europe/Berlin\n")
    new_york.write_text(text.replace("team: tiny", "team: new_york") + "timezone: America/New_York\n")
    teams = [str(params), str(berlin), str(new_york)]
    pairs, _ = report.plan(teams, ["01_ok"], source_dir=nb_dir)
    # (team, run date, the as_of its notebook gets)
    assert [(t, run, as_of) for t, _, _, run, as_of in pairs] == [
        ("tiny", "2025-03-05", "2025-03-05"), ("berlin", "2025-03-05", "2025-03-05"),
        ("new_york", "2025-03-05", "2025-03-04")]

    out = tmp / "zones"
    result = report.run(teams=teams, names=["01_ok"], jobs=1, out=out, progress=False, source_dir=nb_dir)
    assert all(r.ok for r in result.results) and {r.as_of for r in result.results} == {"2025-03-05"}
    assert [p.name for p in out.iterdir() if p.is_dir()] == ["2025-03-05"]
    ny = out / "2025-03-05" / "new_york"
    executed = nbformat.read(ny / "01_ok.ipynb", as_version=4)
    injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'as_of = "2025-03-04"' in injected.source
    assert "Data up to <b>2025-03-04</b>" in (ny / "01_ok.html").read_text()
    summary = json.loads((ny / "summary.json").read_text())
    assert summary["as_of"] == "2025-03-05" and summary["freshness"]["as_of"] == "2025-03-04"
    assert summary["freshness"]["last_day"] == "2025-03-04" and not summary["freshness"]["cut"]
    # the index: one run, three teams, New York's own date under its name; the history keys the run date
    index = (out / "index.html").read_text()
    assert index.count("<h2>Data up to") == 1 and "<h2>Data up to 2025-03-05</h2>" in index
    assert index.count("Analysed up to") == 1
    assert re.search(r"<h3>new_york</h3><div class=\"as-of\">Analysed up to 2025-03-04 ", index)
    history = report.kpi_history(out)
    assert set(pd.to_datetime(history["as_of"]).dt.strftime("%Y-%m-%d")) == {"2025-03-05"}
    assert sorted(set(history["team"])) == ["berlin", "new_york", "tiny"]

    # an explicit date files every team under it, and every notebook gets it (New York's partial
    # 4 March included, which the data-health check reports)
    pairs, _ = report.plan(teams, ["01_ok"], as_of="2025-03-05", source_dir=nb_dir)
    assert {(run, as_of) for _, _, _, run, as_of in pairs} == {("2025-03-05", "2025-03-05")}


def test_require_fresh_refuses_stale_data_before_any_notebook(small_team):
    tmp, params, nb_dir = small_team
    with pytest.raises(DataError,
                       match=r"stale data .*tiny: data end 2025-03-04, 15 days before 2025-03-20"):
        report.run(teams=[str(params)], as_of="2025-03-20", require_fresh=1, out=tmp / "r", progress=False,
                   source_dir=nb_dir)
    assert not (tmp / "r" / "2025-03-20").exists()
    # data that reach the date pass
    report.run(teams=[str(params)], names=["01_ok"], as_of="2025-03-05", require_fresh=1, out=tmp / "r",
               progress=False, source_dir=nb_dir)


def test_a_second_run_into_the_same_folder_waits_for_none_and_says_why(small_team):
    import fcntl

    tmp, params, nb_dir = small_team
    out = tmp / "busy"
    out.mkdir()
    with open(out / ".pmplaybook.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(OSError, match="another pmplaybook run is writing into"):
            report.run(teams=[str(params)], names=["01_ok"], out=out, progress=False, source_dir=nb_dir)
    assert not list(out.glob("2025-*")), "nothing was written"


def test_unwritable_reports_or_history_fail_before_any_notebook(small_team):
    import os

    tmp, params, nb_dir = small_team
    if os.geteuid() != 0:  # root writes anywhere: the read-only case only means something for other users
        ro = tmp / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        with pytest.raises(OSError, match="cannot be written"):
            report.run(teams=[str(params)], names=["01_ok"], out=ro / "reports", progress=False, source_dir=nb_dir)
    out = tmp / "locked"
    out.mkdir()
    (out / report.history.HISTORY_FILE).write_text("not a database")  # a file DuckDB cannot open
    with pytest.raises(OSError, match="the KPI history .* cannot be written"):
        report.run(teams=[str(params)], names=["01_ok"], out=out, progress=False, source_dir=nb_dir)
    assert not list(out.glob("2025-*"))


def test_a_relative_out_is_the_callers_folder_and_the_run_is_quiet(small_team, monkeypatch, capfd):
    tmp, params, nb_dir = small_team
    monkeypatch.chdir(tmp)
    result = report.run(teams=[str(params)], names=["01_ok"], out="rel", progress=False, source_dir=nb_dir)
    captured = capfd.readouterr()
    assert "Kernel is running over TCP" not in captured.err + captured.out  # no kernel log in the terminal
    assert result.out == tmp / "rel"
    summary = json.loads((tmp / "rel" / "2025-03-05" / "tiny" / "summary.json").read_text())
    assert summary["kpis"], "the notebooks' KPI files were written where the runner reads them"
    assert not list(nb_dir.glob("rel*")) and not list(nb_dir.glob(".*.work"))


def _kernel_log(tmp_path):
    """A cell that appends this kernel's process id and socket folder to a file outside the report."""
    log = tmp_path / "kernels.txt"
    return ("import os as _os, json as _json\n"
            "from ipykernel.connect import get_connection_info as _info\n"
            f"open({str(log)!r}, 'a').write(_json.dumps([_os.getpid(), _json.loads(_info())['ip']]) + '\\n')\n"
            "del _os, _json, _info"), log


def _kernels(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_one_warm_kernel_per_worker_and_nothing_leaks_between_notebooks(small_team, tmp_path):
    """Two notebooks in one worker share its kernel (imports stay warm) but not their variables, warning
    filters, working folder or execution counts; the kernel and its socket folder are gone after the run."""
    tmp, params, nb_dir = small_team
    log_cell, log = _kernel_log(tmp_path)
    for p in nb_dir.glob("*.ipynb"):
        p.unlink()
    make_notebook(nb_dir / "01_set.ipynb", [
        log_cell,
        "import warnings, os\nimport pmplaybook.heart\nleaked = 42\nwarnings.simplefilter('ignore')\nos.chdir('/')"])
    make_notebook(nb_dir / "02_check.ipynb", [
        log_cell,
        "import sys, os, warnings\n"
        "assert 'leaked' not in globals(), 'a variable of the previous notebook is visible'\n"
        "assert 'pmplaybook.heart' in sys.modules  # the warm part: modules stay imported\n"
        f"assert os.getcwd() == {str(nb_dir.resolve())!r}, os.getcwd()\n"
        "assert not any(f[0] == 'ignore' and f[2] is Warning for f in warnings.filters[:1])\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.warn('shown again')\n"
        "assert seen, 'warning filters of the previous notebook still apply'"])
    result = report.run(teams=[str(params)], jobs=1, out=tmp / "out", progress=False, source_dir=nb_dir)
    assert [(r.notebook, r.ok, r.error) for r in result.results] == [("01_set", True, ""), ("02_check", True, "")]
    (pid1, folder1), (pid2, folder2) = _kernels(log)
    assert pid1 == pid2, "the second notebook ran in a new kernel"
    executed = nbformat.read(tmp / "out" / "2025-03-05" / "tiny" / "02_check.ipynb", as_version=4)
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), counts
    assert not os.path.exists(os.path.dirname(folder1)), "the kernel's socket folder was left behind"
    with pytest.raises(ProcessLookupError):
        os.kill(pid1, 0)  # the kernel stopped with its worker


def test_a_failed_or_dead_kernel_is_replaced_for_the_next_notebook(small_team, tmp_path):
    tmp, params, nb_dir = small_team
    log_cell, log = _kernel_log(tmp_path)
    for p in nb_dir.glob("*.ipynb"):
        p.unlink()
    make_notebook(nb_dir / "01_fail.ipynb", [log_cell, "half_done = 1\nraise ValueError('planted failure')"])
    make_notebook(nb_dir / "02_die.ipynb", [log_cell, "print('the last words')", "import os\nos._exit(1)"])
    make_notebook(nb_dir / "03_ok.ipynb", [log_cell, "assert 'half_done' not in globals()"] + OK_BODY)
    result = report.run(teams=[str(params)], jobs=1, out=tmp / "out", progress=False, source_dir=nb_dir)
    assert [(r.notebook, r.ok) for r in result.results] == [("01_fail", False), ("02_die", False), ("03_ok", True)]
    assert "planted failure" in result.results[0].error
    assert "DeadKernelError" in result.results[1].error or "died" in result.results[1].error, result.results[1].error
    pids = [pid for pid, _ in _kernels(log)]
    assert len(set(pids)) == 3, "each notebook after a failure gets a new kernel"
    team_dir = tmp / "out" / "2025-03-05" / "tiny"
    assert (team_dir / "02_die.failed.html").exists() and (team_dir / "03_ok.html").exists()
    assert "the last words" in (team_dir / "02_die.failed.ipynb").read_text(), "the outputs before the death are kept"
    assert json.loads((team_dir / "summary.json").read_text())["kpis"], "the good notebook's KPIs are recorded"
    for _, folder in _kernels(log):
        assert not os.path.exists(os.path.dirname(folder))


def test_report_mode_is_passed_to_notebooks_that_declare_it(small_team):
    tmp, params, nb_dir = small_team
    make_notebook(nb_dir / "03_mode.ipynb", ["assert report_mode is True, report_mode"],
                  parameters=PARAMETERS + "\nreport_mode = False  # shorter pages in scheduled reports")
    result = report.run(teams=[str(params)], names=["01_ok", "03_mode"], jobs=1, out=tmp / "out", progress=False,
                        source_dir=nb_dir)
    assert [(r.notebook, r.ok) for r in result.results] == [("01_ok", True), ("03_mode", True)]
    assert {"kernel_start", "kernel_reset", "setup", "compute", "write"} <= set(result.results[0].phases)


def test_a_saved_report_holds_no_random_id_or_memory_address():
    """pandas names a Styler's CSS ids after a random uuid and an object's fallback repr its memory address:
    the runner numbers the ids in page order and drops the address, so the same as_of gives the same files."""
    from pmplaybook.report.runner import _make_reproducible

    def page(uuid_a, uuid_b, address):
        nb = nbformat.v4.new_notebook()
        out = nbformat.v4.new_output("execute_result", data={
            "text/html": f'<style>#T_{uuid_a}_row0 {{color: red}}</style><table id="T_{uuid_a}"></table>'
                         f'<table id="T_{uuid_b}"><td id="T_{uuid_b}_row0_col1">T_{uuid_a} stays T_{uuid_a}</td></table>',
            "text/plain": f"<pandas.io.formats.style.Styler at 0x{address}>"}, execution_count=1)
        nb.cells.append(nbformat.v4.new_code_cell("t", outputs=[out]))
        _make_reproducible(nb)
        return nb.cells[0].outputs[0]["data"]

    first, second = page("94e99", "3a8c0", "7f73d80b8990"), page("38885", "bb210", "7fd993d8c450")
    assert first == second
    assert first["text/html"] == ('<style>#T_00000_row0 {color: red}</style><table id="T_00000"></table>'
                                  '<table id="T_00001"><td id="T_00001_row0_col1">T_00000 stays T_00000</td></table>')
    assert first["text/plain"] == "<pandas.io.formats.style.Styler>"


def test_workers_share_the_cores_among_their_kernels_duckdb(small_team, tmp_path):
    """Each worker's kernel gives DuckDB the cores divided among the workers (at least one thread): two
    kernels with a thread per core each would fight for the cores."""
    tmp, params, nb_dir = small_team
    for p in nb_dir.glob("*.ipynb"):
        p.unlink()
    seen = tmp_path / "threads.txt"
    for name in ("01_a", "02_b"):
        make_notebook(nb_dir / f"{name}.ipynb", [
            "from pmplaybook.core import engines\n"
            "threads = engines.backend().raw_sql(\"SELECT current_setting('threads')\").fetchone()[0]\n"
            f"open({str(seen)!r}, 'a').write(f'{{threads}}\\n')"])
    result = report.run(teams=[str(params)], jobs=2, out=tmp / "out", progress=False, source_dir=nb_dir)
    assert all(r.ok for r in result.results), result.summary_line()
    expected = max(1, (os.cpu_count() or 1) // 2)
    assert seen.read_text().split() == [str(expected)] * 2


def test_a_module_level_widget_never_lands_in_a_report():
    """A widget made when a module is imported would be saved in the widget state of whichever report
    first imported it: reports of the same data would differ with the order the workers ran them in."""
    import ipywidgets

    before = set(ipywidgets.Widget.widgets)
    import importlib
    import pkgutil

    import pmplaybook.widgets as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"pmplaybook.widgets.{info.name}")
    assert set(ipywidgets.Widget.widgets) == before


def test_the_vega_bundle_is_made_once_per_machine(tmp_path, monkeypatch):
    """Bundling Vega for a page takes vl-convert a second or more: the bundle is kept in the cache folder
    and read from there by every later process; an unwritable cache only costs the time."""
    import vl_convert

    from pmplaybook.report import html

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(html, "_VEGA_BUNDLE", None)
    first = html._vega_bundle()
    assert "window.__pmpEmbed" in first and len(list((tmp_path / "cache" / "pmplaybook").glob("vega-bundle-*.js"))) == 1

    def refuse(snippet):
        raise AssertionError("bundled again")

    monkeypatch.setattr(vl_convert, "javascript_bundle", refuse)
    monkeypatch.setattr(html, "_VEGA_BUNDLE", None)
    assert html._vega_bundle() == first
    monkeypatch.undo()
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # a file where the folder should be
    monkeypatch.setattr(html, "_VEGA_BUNDLE", None)
    assert html._vega_bundle() == first
