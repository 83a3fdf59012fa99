"""The report runner: every (team, notebook) pair through papermill, offline HTML, KPI history, index.

``pmplaybook run`` calls :func:`run`. For each pair it executes the notebook with the team's params in a
worker process and writes, under ``reports/<as_of>/<team>/``:

- ``<notebook>.ipynb``: the executed notebook, with papermill's injected-parameters cell;
- ``<notebook>.html``: code hidden, narrative, tables and charts kept; one self-contained file whose
  charts render with no network (the Vega bundle is inlined once);
- ``summary.json``: the team's headline KPIs (recorded by the notebooks through
  :class:`pmplaybook.kpis.KPIRecorder`) with target, status and change since the previous run.

Rows are appended to ``reports/kpi_history.duckdb`` and ``reports/index.html`` lists every run and team.
A notebook that fails is written as ``<notebook>.failed.ipynb/.html`` (the error, and the failing cell's
code, visible) and never replaces a good report; the other pairs go on and the command exits non-zero.
Every file is written to a temporary name and moved into place, so an interrupted run leaves either the
old file or the new one, never half of one.
"""

from __future__ import annotations

import html
import json
import multiprocessing
import os
import re
import shutil
import tempfile
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import config
from .charts import MIMETYPE as CHART_MIMETYPE
from .kpis import read_kpi_file

NOTEBOOK_PARAMETERS = ("team", "params_file", "as_of", "interactive", "kpi_file")
KERNEL = "python3"
HISTORY_FILE = "kpi_history.duckdb"
_UMASK = os.umask(0)
os.umask(_UMASK)
STATUS_ORDER = {"red": 0, "amber": 1, "green": 2, None: 3}


@dataclass
class PairResult:
    team: str
    notebook: str
    as_of: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    kpis: list = field(default_factory=list)


# ----------------------------------------------------------------------------------- file handling


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def notebooks(source_dir: Path | None = None) -> list[str]:
    """The walk-through notebooks (``NN_name.ipynb`` in ``notebooks/``), by stem, in order."""
    return sorted(p.stem for p in Path(source_dir or config.NOTEBOOKS_DIR).glob("[0-9][0-9]_*.ipynb"))


def papermill_parameters(notebook_path: Path) -> dict:
    """The parameters a notebook's ``parameters`` cell declares (name -> papermill's description)."""
    import papermill

    return papermill.inspect_notebook(str(notebook_path))


def check_parameters(notebook_path: Path, parameters: dict) -> None:
    """Refuse parameter names that papermill would paste into code unescaped.

    Papermill escapes parameter *values* but writes *names* as they are: a name with a newline would run
    code. Names must be identifiers that the notebook's ``parameters`` cell declares.
    """
    declared = papermill_parameters(notebook_path)
    for name in parameters:
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f"parameter name {name!r} is not a Python identifier")
        if name not in declared:
            raise ValueError(f"{notebook_path.name} declares no parameter {name!r} "
                             f"(it declares: {', '.join(declared)})")


# ------------------------------------------------------------------------------------------- HTML


_VEGA_BUNDLE: str | None = None


def _vega_bundle() -> str:
    global _VEGA_BUNDLE
    if _VEGA_BUNDLE is None:
        import vl_convert

        _VEGA_BUNDLE = vl_convert.javascript_bundle("window.__pmpEmbed = vegaEmbed;")
    return _VEGA_BUNDLE


def _chart_outputs_to_html(nb) -> None:
    """Replace each Vega-Lite output with a placeholder ``div`` and its spec as inert JSON."""
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            spec = output.get("data", {}).get(CHART_MIMETYPE)
            if spec is None:
                continue
            count += 1
            # `<` escaped so no string from the data can close the script element.
            payload = json.dumps(spec, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
            output["data"] = {"text/html": (
                f'<div class="pmp-chart" id="pmp-chart-{count}" data-spec="pmp-spec-{count}"></div>'
                f'<script type="application/json" id="pmp-spec-{count}">{payload}</script>')}
            output.setdefault("metadata", {})["pmp_chart"] = True


SAFE_TAGS = ["a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
             "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
             "ol", "p", "pre", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
             "tfoot", "th", "thead", "tr", "u", "ul"]
SAFE_ATTRIBUTES = {"*": ["class", "id", "title", "align", "colspan", "rowspan"], "a": ["href"],
                   "img": ["src", "alt", "width", "height"]}


def _sanitize_outputs(nb) -> None:
    """Clean every HTML and Markdown *output*: they may carry text from the data or params.

    nbconvert's own ``sanitize_html`` escapes ordinary tags such as ``<p>`` and ``<h1>``, so the playbook
    cleans outputs itself with a wider list of harmless tags; scripts, event handlers and ``javascript:``
    links are removed. Markdown cells are the notebook's own text and are left alone.
    """
    import bleach
    from nbconvert.filters.markdown import markdown2html

    def clean(text: str) -> str:
        # bleach's strip keeps the *text* of removed elements: drop style/script blocks whole first
        text = re.sub(r"<(style|script)\b.*?</\1\s*>", "", text, flags=re.S | re.I)
        return bleach.clean(text, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES,
                            protocols=["http", "https", "mailto", "data"], strip=True)

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data_ = output.get("data", {})
            if "text/markdown" in data_:
                data_["text/html"] = clean(markdown2html(data_.pop("text/markdown")))
            elif "text/html" in data_ and not output.get("metadata", {}).get("pmp_chart"):
                data_["text/html"] = clean(data_["text/html"])
            for risky in ("application/javascript", "text/latex"):
                data_.pop(risky, None)


def render_html(nb, team: str, notebook: str, as_of: str, failed: str = "") -> str:
    """A stakeholder HTML page from an executed notebook node (code hidden unless the run failed)."""
    import copy

    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    _sanitize_outputs(nb)
    _chart_outputs_to_html(nb)
    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(config.PACKAGE_DIR / "templates")],
        exclude_input=not failed,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {"pmp_vega_bundle": _vega_bundle(), "pmp_team": team, "pmp_as_of": as_of,
                 "pmp_notebook": notebook, "pmp_failed": failed,
                 "metadata": {"name": f"{notebook} - {team} - {as_of}"}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


# -------------------------------------------------------------------------------------- one pair


def _make_reproducible(nb) -> None:
    """Drop wall-clock metadata and random ids so that re-running the same as_of gives the same files."""
    pm = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration"):
        pm.pop(key, None)
    for cell in nb.cells:
        cpm = cell.metadata.get("papermill", {})
        for key in ("start_time", "end_time", "duration"):
            cpm.pop(key, None)
        cell.metadata.pop("execution", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # papermill gives the cells it adds random ids


def run_pair(team: str, params_file: str, notebook: str, as_of: str, team_dir: str,
             source_dir: str | None = None) -> PairResult:
    """Execute one notebook for one team and write its reports (runs in a worker process)."""
    import time

    import nbformat
    import papermill

    started = time.monotonic()
    team_dir = Path(team_dir)
    team_dir.mkdir(parents=True, exist_ok=True)
    source_dir = Path(source_dir or config.NOTEBOOKS_DIR)
    source = source_dir / f"{notebook}.ipynb"
    # a fixed work folder keeps the injected kpi_file path, hence the saved notebook, reproducible
    work = team_dir / f".{notebook}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    kpi_file = work / "kpis.jsonl"
    parameters = {"team": team, "params_file": params_file, "as_of": as_of, "interactive": False,
                  "kpi_file": str(kpi_file)}
    error = ""
    try:
        check_parameters(source, parameters)
        papermill.execute_notebook(
            str(source), str(work / "out.ipynb"), parameters=parameters, kernel_name=KERNEL,
            progress_bar=False, start_timeout=180, execution_timeout=1200, cwd=str(source_dir),
        )
    except papermill.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue} (cell {exc.cell_index})"
    except Exception as exc:  # kernel death, timeout, bad parameters: record, don't stop the batch
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    try:
        out_nb = work / "out.ipynb"
        if out_nb.exists():
            nb = nbformat.read(out_nb, as_version=4)
        else:  # papermill failed before writing anything: a one-cell notebook that says why
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
                f"# {notebook}\n\nThe report could not be produced:\n\n```\n{error}\n```")])
        _make_reproducible(nb)
        stem = notebook if not error else f"{notebook}.failed"
        page = render_html(nb, team, notebook, as_of, failed=error)
        atomic_write(team_dir / f"{stem}.ipynb", nbformat.writes(nb))
        atomic_write(team_dir / f"{stem}.html", page)
        if not error:
            for stale in (f"{notebook}.failed.ipynb", f"{notebook}.failed.html"):
                (team_dir / stale).unlink(missing_ok=True)
        kpis = read_kpi_file(kpi_file) if not error else []
    except Exception:
        error = error or traceback.format_exc().strip().splitlines()[-1]
        kpis = []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return PairResult(team, notebook, as_of, ok=not error, error=error,
                      seconds=round(time.monotonic() - started, 1), kpis=kpis)


# ------------------------------------------------------------------------------- history and index


def _history(out: Path):
    import duckdb

    con = duckdb.connect(str(out / HISTORY_FILE))
    con.execute("""CREATE TABLE IF NOT EXISTS kpi_history (
        as_of DATE, team VARCHAR, notebook VARCHAR, name VARCHAR, label VARCHAR, value DOUBLE,
        unit VARCHAR, target DOUBLE, higher_is_better BOOLEAN, status VARCHAR)""")
    return con


def record_history(out: Path, as_of: str, team: str, rows: list[dict]) -> list[dict]:
    """Store a team's KPI rows for ``as_of`` (replacing an earlier run of the same as_of) and return
    them with ``previous`` and ``change`` (against the latest earlier as_of)."""
    con = _history(out)
    try:
        notebooks_done = sorted({r["notebook"] for r in rows})
        if notebooks_done:
            con.execute("DELETE FROM kpi_history WHERE as_of = ? AND team = ? AND notebook IN (SELECT unnest(?))",
                        [as_of, team, notebooks_done])
        for r in rows:
            con.execute("INSERT INTO kpi_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [as_of, team, r["notebook"], r["name"], r["label"], r["value"], r["unit"],
                         r["target"], r["higher_is_better"], r["status"]])
        out_rows = []
        for r in rows:
            prev = con.execute(
                "SELECT value FROM kpi_history WHERE team = ? AND notebook = ? AND name = ? AND as_of < ? "
                "ORDER BY as_of DESC LIMIT 1", [team, r["notebook"], r["name"], as_of]).fetchone()
            previous = prev[0] if prev else None
            change = (r["value"] - previous) if (previous is not None and r["value"] is not None) else None
            out_rows.append({**r, "previous": previous, "change": change})
        return out_rows
    finally:
        con.close()


def kpi_history(out: Path | None = None, team: str | None = None) -> pd.DataFrame:
    """Every recorded KPI value across runs (one row per as_of x team x notebook x KPI)."""
    out = Path(out or config.REPORTS_DIR)
    con = _history(out)
    try:
        query = "SELECT * FROM kpi_history" + (" WHERE team = ?" if team else "") + " ORDER BY as_of, team, name"
        return con.execute(query, [team] if team else []).df()
    finally:
        con.close()


def _fmt(value, unit: str) -> str:
    if value is None or value != value:
        return "n/a"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "points":
        return f"{value:+.0f}" if value < 0 else f"{value:.0f}"
    return f"{value:,.2f}"


def write_summary(team_dir: Path, team: str, as_of: str, results: list[PairResult], kpis: list[dict]) -> dict:
    """Write ``summary.json`` for one team and return it."""
    existing = {}
    summary_path = team_dir / "summary.json"
    if summary_path.exists():
        existing = json.loads(summary_path.read_text())
    notebooks_state = {n["notebook"]: n for n in existing.get("notebooks", [])}
    for r in results:
        notebooks_state[r.notebook] = {
            "notebook": r.notebook, "ok": r.ok, "error": r.error,
            "html": f"{r.notebook}.html" if r.ok else f"{r.notebook}.failed.html",
        }
    kept = [k for k in existing.get("kpis", []) if k["notebook"] not in {r.notebook for r in results}]
    summary = {"team": team, "as_of": as_of,
               "notebooks": sorted(notebooks_state.values(), key=lambda n: n["notebook"]),
               "kpis": sorted(kept + kpis, key=lambda k: (k["notebook"], k["name"]))}
    atomic_write(summary_path, json.dumps(summary, indent=2, sort_keys=True, default=str))
    return summary


def _chip(k: dict) -> str:
    """One KPI as a coloured chip: label, value, change since the previous run, target."""
    esc = html.escape
    change = ""
    if k.get("change") is not None:
        change = f" ({'+' if k['change'] >= 0 else ''}{_fmt(k['change'], k['unit'])})"
    target = f" / target {_fmt(k['target'], k['unit'])}" if k.get("target") is not None else ""
    return (f'<span class="kpi {esc(k["status"] or "none")}">{esc(k["label"])}: '
            f'<b>{esc(_fmt(k["value"], k["unit"]))}</b>{esc(change)}{esc(target)}</span>')


def write_index(out: Path) -> Path:
    """``index.html``: every run (newest first) and team, KPI status at a glance, links to reports."""
    esc = html.escape
    runs = sorted((p for p in out.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name)),
                  reverse=True)
    parts = []
    for run_dir in runs:
        parts.append(f"<h2>Data up to {esc(run_dir.name)}</h2>")
        for summary_path in sorted(run_dir.glob("*/summary.json")):
            s = json.loads(summary_path.read_text())
            team = s["team"]
            links = []
            for n in s["notebooks"]:
                href = f"{esc(run_dir.name)}/{esc(summary_path.parent.name)}/{esc(n['html'])}"
                cls = "ok" if n["ok"] else "failed"
                tip = "" if n["ok"] else f' title="{esc(n["error"])}"'
                label = esc(n["notebook"]) + ("" if n["ok"] else " (failed)")
                links.append(f'<a class="{cls}" href="{href}"{tip}>{label}</a>')
            # The team's own KPIs (those its params give a target) up front; the other headline figures
            # the notebooks record fold away, so a stakeholder sees the few numbers that matter first.
            ranked = sorted(s["kpis"], key=lambda k: (STATUS_ORDER.get(k["status"], 3), k["name"]))
            primary = "".join(_chip(k) for k in ranked if k.get("target") is not None)
            others = [_chip(k) for k in ranked if k.get("target") is None]
            more = (f'<details><summary>{len(others)} more headline figure{"s" * (len(others) != 1)}</summary>'
                    f'{"".join(others)}</details>'
                    if others else "")
            errors = "".join(f'<div class="err">{esc(n["notebook"])}: {esc(n["error"])}</div>'
                             for n in s["notebooks"] if not n["ok"])
            parts.append(f'<section><h3>{esc(team)}</h3><div class="links">{" ".join(links)}</div>'
                         f'<div class="kpis">{primary or ("" if others else "no KPIs recorded")}{more}</div>'
                         f'{errors}</section>')
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>PM Metrics Playbook reports</title>
<style>
body {{ font: 14px/1.5 system-ui, sans-serif; max-width: 1000px; margin: 24px auto; padding: 0 24px; color: #222; }}
h2 {{ border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }}
section {{ margin: 12px 0 20px; }} h3 {{ margin: 0 0 4px; }}
.links a {{ margin-right: 14px; }} a.failed {{ color: #c62828; font-weight: 600; }}
.kpi {{ display: inline-block; margin: 4px 6px 0 0; padding: 2px 8px; border-radius: 10px; background: #eee; }}
.kpi.green {{ background: #e3f1e4; border-left: 6px solid #2e7d32; }}
.kpi.amber {{ background: #fdf3d8; border-left: 6px solid #f9a825; }}
.kpi.red {{ background: #fbe4e4; border-left: 6px solid #c62828; }}
.err {{ color: #c62828; font-family: monospace; font-size: 12px; }}
details {{ margin-top: 6px; }} summary {{ cursor: pointer; color: #555; }}
</style></head><body>
<h1>PM Metrics Playbook reports</h1>
<p>Each run covers the data up to its date (exclusive). KPI chips: green meets the target, amber within
tolerance, red misses it; the figure in brackets is the change since the previous run. The team's KPIs (the
ones its params set a target for) come first; the other headline figures of the reports fold away below.</p>
{''.join(parts) or '<p>No reports yet: run <code>pmplaybook run</code>.</p>'}
</body></html>
"""
    path = out / "index.html"
    atomic_write(path, page)
    return path


# ------------------------------------------------------------------------------------------- run


@dataclass
class RunResult:
    results: list[PairResult]
    out: Path

    @property
    def failed(self) -> list[PairResult]:
        return [r for r in self.results if not r.ok]

    def summary_line(self) -> str:
        ok = len(self.results) - len(self.failed)
        line = f"{ok} of {len(self.results)} reports written to {self.out}"
        if self.failed:
            line += "; FAILED: " + ", ".join(f"{r.team}/{r.notebook} ({r.error})" for r in self.failed)
        return line


def plan(teams: list[str] | None = None, names: list[str] | None = None, as_of: str | None = None,
         source_dir: Path | None = None):
    """Validate every team's params against the model and the data (before any notebook starts) and
    return the (team, params_file, notebook, as_of) pairs to run."""
    from . import data

    teams = teams or config.list_teams()
    available = notebooks(source_dir)
    names = names or available
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"unknown notebook(s) {', '.join(unknown)}; available: {', '.join(available)}")
    pairs = []
    for team in teams:
        params = config.load_params(team)
        ds = data.connect(params, as_of=as_of)
        day = f"{ds.as_of:%Y-%m-%d}"
        pairs += [(params.team, params.source_file, name, day) for name in names]
    return pairs


def run(teams=None, names=None, as_of=None, jobs=None, out=None, progress=True, source_dir=None) -> RunResult:
    """Run every (team, notebook) pair and write reports, summaries, KPI history and the index."""
    from tqdm.auto import tqdm

    out = Path(out or config.REPORTS_DIR)
    out.mkdir(parents=True, exist_ok=True)
    pairs = plan(teams, names, as_of, source_dir)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pairs)))
    results: list[PairResult] = []
    bar = tqdm(total=len(pairs), desc="reports", unit="report", disable=not progress)
    ctx = multiprocessing.get_context("spawn")  # no fork after DuckDB threads started
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        pending = {pool.submit(run_pair, team, pfile, name, day, str(out / day / team),
                               str(source_dir) if source_dir else None): (team, name)
                   for team, pfile, name, day in pairs}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                team, name = pending.pop(fut)
                try:
                    results.append(fut.result())
                except Exception as exc:  # a worker process died
                    results.append(PairResult(team, name, "", ok=False, error=f"worker died: {exc}"))
            failed = [f"{r.team}/{r.notebook}" for r in results if not r.ok]
            running = sorted({f"{t}/{n}" for t, n in pending.values()})[:3]
            bar.set_postfix_str(("failed: " + ", ".join(failed) + "; " if failed else "")
                                + ("next: " + ", ".join(running) if running else ""))
            bar.update(len(done))
    bar.close()
    for (team, day) in sorted({(r.team, r.as_of) for r in results if r.as_of}):
        team_results = [r for r in results if r.team == team and r.as_of == day]
        rows = [k for r in team_results for k in r.kpis]
        rows = record_history(out, day, team, rows)
        write_summary(out / day / team, team, day, team_results, rows)
    write_index(out)
    results.sort(key=lambda r: (r.team, r.notebook))
    return RunResult(results, out)
