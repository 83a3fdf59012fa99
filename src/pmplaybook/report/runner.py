"""The report runner: every (team, notebook) pair through papermill, offline HTML, KPI history, index.

``pmplaybook run`` calls :func:`run`. For each pair it executes the notebook with the team's params in a
worker process and writes, under ``reports/<as_of>/<team>/``:

- ``<notebook>.ipynb``: the executed notebook, with papermill's injected-parameters cell;
- ``<notebook>.html``: code hidden, narrative, tables and charts kept; one self-contained file whose
  charts render with no network (the Vega bundle is inlined once);
- ``summary.json``: the team's headline KPIs (recorded by the notebooks through
  :class:`pmplaybook.report.kpis.KPIRecorder`) with target, status and change since the previous run.

Rows are appended to ``reports/kpi_history.duckdb`` and ``reports/index.html`` lists every run and team.
Each worker process runs its notebooks one after the other in one warm kernel, reset between two
notebooks (a fresh namespace; the imported modules and the loaded sample stay) and replaced after a
failure. A notebook that fails is written as ``<notebook>.failed.ipynb/.html`` (the error, and the
failing cell's code, visible) and never replaces a good report; the other pairs go on and the command
exits non-zero.
Every file is written to a temporary name and moved into place, so an interrupted run leaves either the
old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import shutil
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .. import config
from ..config import paths
from ..core.errors import DataError
from .files import atomic_write
from .history import check_history_writable, record_history
from .html import render_html
from .index import write_index, write_summary
from .kpis import read_kpi_file

NOTEBOOK_PARAMETERS = ("team", "params_file", "as_of", "interactive", "kpi_file")


#: Parameters the runner passes when a notebook declares them (notebooks that do not yet still run).
OPTIONAL_PARAMETERS = ("report_mode",)


KERNEL = "python3"
START_TIMEOUT = 180
EXECUTION_TIMEOUT = 1200


def _kernel_manager_class():
    """A kernel manager whose ``python3`` kernel is always this interpreter.

    A ``python3`` kernel spec found earlier on the Jupyter path (another environment's, say) would
    otherwise start a Python without the playbook; the saved notebooks still name ``python3``.
    """
    from ipykernel import kernelspec
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    class ThisInterpreter(KernelManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Unix sockets in a private folder instead of TCP ports: parallel workers picking free ports
            # at the same moment could both take one ("Address already in use"), and the kernel that lost
            # died silently while papermill waited out its start timeout
            import tempfile

            self.socket_folder = tempfile.mkdtemp(prefix="pmp-kernel-")  # short: a socket path stays < 108 bytes
            self.transport = "ipc"
            self.ip = str(Path(self.socket_folder) / "kernel")
            self.clients = []

        @property
        def kernel_spec(self):
            spec = kernelspec.get_kernel_dict()
            # the kernel's own log (e.g. "Kernel is running over TCP without encryption", a local-only
            # connection) would print in the runner's terminal: keep errors only
            spec["argv"] = [*spec["argv"], "--IPKernelApp.log_level=ERROR"]
            return KernelSpec(resource_dir=kernelspec.RESOURCES, **spec)

        def client(self, blocking: bool = False, **kwargs):
            # nbclient gets an asynchronous client: with a blocking one it waits for a cell's reply without
            # ever checking the kernel, so a kernel that died (out of memory, say) held the run for the whole
            # execution timeout. The runner's own calls are blocking. nbclient leaves its client open when
            # it does not own the kernel: every client is remembered and closed after the notebook (see
            # _WarmKernel.release_clients).
            from jupyter_client.asynchronous import AsyncKernelClient
            from jupyter_client.blocking import BlockingKernelClient

            self.client_factory = BlockingKernelClient if blocking else AsyncKernelClient
            client = super().client(**kwargs)
            self.clients.append(client)
            return client

    return ThisInterpreter


#: Run in the kernel before each notebook: a new IPython session (empty user namespace, execution counts
#: from 1), the notebooks' folder as working folder, the warning filters of a fresh kernel and no memory
#: of warnings already shown (a warning shown by the previous notebook is shown again), then the memory
#: the previous notebook's objects held is given back. Nothing is left in the user namespace. What
#: survives (modules, the data memo) is moved out of the garbage collector's sight (``gc.freeze``): each
#: later collection, here and while a notebook runs, then looks only at objects made since; a full one
#: over every module's objects took 0.15-0.2 s.
_RESET_CODE = """\
def _pmplaybook_reset():
    import gc, os, sys, warnings
    first = not hasattr(sys, "_pmplaybook_warning_filters")
    if first:
        sys._pmplaybook_warning_filters = list(warnings.filters)
    get_ipython().reset(new_session=True)
    os.chdir({cwd!r})
    warnings.filters[:] = sys._pmplaybook_warning_filters
    warnings._filters_mutated()
    if not first:
        cache = sys.modules.get("pmplaybook.data.cache")
        if cache is not None:
            cache.release_unused()
        gc.collect()
    gc.freeze()
_pmplaybook_reset()
"""


class _WarmKernel:
    """A started kernel that a worker process keeps for its successive notebooks.

    Starting a kernel and importing pandas, ibis, Altair and the playbook cost seconds per notebook; a
    warm kernel pays them once per worker. Before each notebook :data:`_RESET_CODE` gives it the state of
    a fresh kernel except for the modules already imported (and :mod:`pmplaybook.data.cache`). After a
    failed notebook, a timeout or a dead kernel the runner shuts it down and starts a new one.
    """

    def __init__(self, cwd: str):
        self.cwd = cwd
        self.km = _kernel_manager_class()(kernel_name=KERNEL)
        try:
            # papermill/nbclient would add the in-memory history when starting the kernel themselves
            self.km.start_kernel(cwd=cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])
            client = self.km.client(blocking=True)
            client.start_channels()
            try:
                client.wait_for_ready(timeout=START_TIMEOUT)
            finally:
                client.stop_channels()
            self.release_clients()
        except BaseException:
            self.shutdown()
            raise

    def alive(self) -> bool:
        try:
            return bool(self.km.has_kernel and self.km.is_alive())
        except Exception:
            return False

    def reset(self, timeout: float = 120) -> None:
        """Run :data:`_RESET_CODE`; raises when the kernel does not answer or the reset fails."""
        import time

        client = self.km.client(blocking=True)
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            msg_id = client.execute(_RESET_CODE.format(cwd=self.cwd), silent=True, store_history=False,
                                    allow_stdin=False)
            deadline = time.monotonic() + timeout
            while True:
                reply = client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            content = reply["content"]
            if content["status"] != "ok":
                raise RuntimeError(f"kernel reset failed: {content.get('ename')}: {content.get('evalue')}")
        finally:
            client.stop_channels()
            self.release_clients()

    def release_clients(self) -> None:
        """Close the clients made for this kernel (nbclient's included): their sockets and threads."""
        while self.km.clients:
            client = self.km.clients.pop()
            with contextlib.suppress(Exception):
                client.stop_channels()

    def shutdown(self) -> None:
        """Stop the kernel (at once when it does not answer) and remove its socket folder."""
        with contextlib.suppress(Exception):
            self.release_clients()
        with contextlib.suppress(Exception):
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=not self.alive())
        with contextlib.suppress(Exception):
            self.km.cleanup_resources()
        shutil.rmtree(self.km.socket_folder, ignore_errors=True)


#: The notebook papermill is running in this worker (its NotebookExecutionManager), see _engine.
_RUNNING: list = []


def _engine() -> str:
    """Register and name papermill's nbclient engine, remembering the notebook it runs.

    Papermill saves the whole notebook (serialised and checked against the schema) when each cell starts
    and ends: for a notebook of 40 cells whose charts weigh a megabyte, seconds of every run. The runner
    asks for no saves while cells run (``request_save_on_cell_execute=False``; papermill still saves the
    notebook at the end, with its error banner after a failure), and when the kernel dies or a cell times
    out it saves what the engine had: the outputs up to the failure, as the per-cell saves left them.
    """
    from papermill.engines import NBClientEngine, papermill_engines

    class Remembering(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            _RUNNING[:] = [nb_man]
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("pmplaybook", Remembering)
    return "pmplaybook"


#: This worker process's warm kernel (None before its first notebook and after a failure).
_WARM: _WarmKernel | None = None


def _ready_kernel(cwd: str) -> tuple[_WarmKernel, dict]:
    """This worker's kernel, reset for the next notebook (a new one on first use or when the last one
    died), and the seconds spent: ``{"kernel_start": ..., "kernel_reset": ...}``."""
    import atexit
    import time

    global _WARM
    phases = {"kernel_start": 0.0, "kernel_reset": 0.0}
    if _WARM is not None and (_WARM.cwd != cwd or not _WARM.alive()):
        _discard_kernel()
    if _WARM is None:
        started = time.monotonic()
        _WARM = _WarmKernel(cwd)
        atexit.unregister(_discard_kernel)
        atexit.register(_discard_kernel)  # the pool's end: the kernel stops and its folder goes with it
        phases["kernel_start"] = time.monotonic() - started
    started = time.monotonic()
    try:
        _WARM.reset()
    except BaseException:
        _discard_kernel()
        raise
    phases["kernel_reset"] = time.monotonic() - started
    return _WARM, phases


def _discard_kernel() -> None:
    global _WARM
    kernel, _WARM = _WARM, None
    if kernel is not None:
        kernel.shutdown()


@dataclass
class PairResult:
    team: str
    notebook: str
    as_of: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    kpis: list = field(default_factory=list)
    #: Seconds per phase: kernel_start, kernel_reset, setup (the cell that imports and connects to the
    #: data), compute (the other cells), write (HTML and files); for benchmarks/bench_report.py.
    phases: dict = field(default_factory=dict)


def notebooks(source_dir: Path | None = None) -> list[str]:
    """The walk-through notebooks (``NN_name.ipynb`` in ``notebooks/``), by stem, in order."""
    return sorted(p.stem for p in Path(source_dir or paths.notebooks_dir()).glob("[0-9][0-9]_*.ipynb"))


def papermill_parameters(notebook_path: Path) -> dict:
    """The parameters a notebook's ``parameters`` cell declares (name -> papermill's description)."""
    import papermill

    return papermill.inspect_notebook(str(notebook_path))


def check_parameters(notebook_path: Path, parameters: dict, declared: dict | None = None) -> None:
    """Refuse parameter names that papermill would paste into code unescaped.

    Papermill escapes parameter *values* but writes *names* as they are: a name with a newline would run
    code. Names must be identifiers that the notebook's ``parameters`` cell declares.
    """
    declared = papermill_parameters(notebook_path) if declared is None else declared
    for name in parameters:
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f"parameter name {name!r} is not a Python identifier")
        if name not in declared:
            raise ValueError(f"{notebook_path.name} declares no parameter {name!r} "
                             f"(it declares: {', '.join(declared)})")


#: The id a pandas Styler gives its table and cells: "T_" and the first five hex digits of a random uuid.
STYLER_ID = re.compile(r"(?<![\w-])T_([0-9a-f]{5})(?![0-9a-f])")
#: " at 0x7f73d80b8990>" closing an object's default repr.
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


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
    # a pandas Styler names its table's CSS ids after a random uuid ("T_94e99"): number them in page order
    stylers: dict[str, str] = {}

    def numbered(match) -> str:
        return "T_" + stylers.setdefault(match.group(1), f"{len(stylers):05d}")

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if data.get("text/html"):
                data["text/html"] = STYLER_ID.sub(numbered, _text(data["text/html"]))
            if data.get("text/plain"):  # an object's fallback repr names its memory address
                data["text/plain"] = ADDRESS.sub(">", _text(data["text/plain"]))


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _cell_seconds(nb) -> dict:
    """Seconds the executed cells took, from papermill's metadata: ``setup`` is the cell that connects to
    the data (the imports, loading and validating), ``compute`` all the others."""
    setup = compute = 0.0
    for cell in nb.cells:
        seconds = cell.metadata.get("papermill", {}).get("duration") or 0.0
        if cell.cell_type != "code":
            continue
        if not setup and "data.connect(" in cell.source:
            setup = seconds
        else:
            compute += seconds
    return {"setup": setup, "compute": compute}


def run_pair(team: str, params_file: str, notebook: str, as_of: str, team_dir: str,
             source_dir: str | None = None, freshness: dict | None = None) -> PairResult:
    """Execute one notebook for one team and write its reports (runs in a worker process).

    The notebook runs in this worker's warm kernel (see :class:`_WarmKernel`); a failure of any kind
    discards that kernel, so the next notebook starts in a new one.
    """
    import time

    import nbformat
    import papermill

    started = time.monotonic()
    phases: dict = {}
    team_dir = Path(team_dir)
    team_dir.mkdir(parents=True, exist_ok=True)
    source_dir = Path(source_dir or paths.notebooks_dir())
    source = source_dir / f"{notebook}.ipynb"
    # a fixed work folder keeps the injected kpi_file path, hence the saved notebook, reproducible
    work = team_dir / f".{notebook}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    kpi_file = work / "kpis.jsonl"
    parameters = {"team": team, "params_file": params_file, "as_of": as_of, "interactive": False,
                  "kpi_file": str(kpi_file)}
    error = ""
    kernel = None
    try:
        declared = papermill_parameters(source)
        parameters.update({name: True for name in OPTIONAL_PARAMETERS if name in declared})
        check_parameters(source, parameters, declared)
        kernel, phases = _ready_kernel(str(source_dir.resolve()))
        _RUNNING.clear()
        papermill.execute_notebook(
            str(source), str(work / "out.ipynb"), parameters=parameters, kernel_name=KERNEL, km=kernel.km,
            engine_name=_engine(), request_save_on_cell_execute=False, progress_bar=False,
            start_timeout=START_TIMEOUT, execution_timeout=EXECUTION_TIMEOUT, cwd=str(source_dir),
        )
    except papermill.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue} (cell {exc.cell_index})"
    except Exception as exc:  # kernel death, timeout, bad parameters: record, don't stop the batch
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        if _RUNNING and not (work / "out.ipynb").exists():  # the outputs up to the failure
            with contextlib.suppress(Exception):
                atomic_write(work / "out.ipynb", nbformat.writes(_RUNNING[0].nb))
    except BaseException:  # interrupted: no kernel may outlive the run
        _discard_kernel()
        raise
    finally:
        _RUNNING.clear()
        if kernel is not None:
            kernel.release_clients()
    if error and kernel is not None:
        _discard_kernel()  # a failed notebook may have left anything behind: the next one gets a new kernel
    written = time.monotonic()
    try:
        out_nb = work / "out.ipynb"
        if out_nb.exists():
            nb = nbformat.read(out_nb, as_version=4)
            phases.update(_cell_seconds(nb))
        else:  # papermill failed before writing anything: a one-cell notebook that says why
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
                f"# {notebook}\n\nThe report could not be produced:\n\n```\n{error}\n```")])
        _make_reproducible(nb)
        stem = notebook if not error else f"{notebook}.failed"
        page = render_html(nb, team, notebook, as_of, failed=error, freshness=freshness)
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
    phases["write"] = time.monotonic() - written
    return PairResult(team, notebook, as_of, ok=not error, error=error,
                      seconds=round(time.monotonic() - started, 1), kpis=kpis,
                      phases={k: round(v, 3) for k, v in phases.items()})


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
         source_dir: Path | None = None, require_fresh: int | None = None):
    """Validate every team's params against the model and the data (before any notebook starts) and
    return the (team, params_file, notebook, run date, team's as_of) pairs to run, and each team's
    freshness (:attr:`pmplaybook.data.Dataset.freshness`).

    One run, one date: every team of the run is filed under the run date, ``reports/<run date>/<team>/``,
    and the KPI history keys its rows by it. With ``as_of`` the run date is that date and every notebook
    gets it (a date after a team's data end is kept as the report's date, and the notebooks cut the
    analysis at the data's end). Without, each team's notebooks get the team's own default ``as_of`` (its
    first local day the data do not cover completely, so no team counts a partial day), and the run date
    is the latest of them: the first day that no team of the run covers. Teams in one time zone, or all
    east of UTC, share it; a team west of UTC (New York, when the log stops at midnight UTC) analyses up to
    a day earlier, which its pages and ``summary.json`` (``freshness.as_of``) say. With
    ``require_fresh=N`` the run refuses to start when a team's data end more than N days before the
    requested date (today's, when no ``as_of`` is given).
    """
    from .. import data

    available = notebooks(source_dir)
    names = names or available
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"unknown notebook(s) {', '.join(unknown)}; available: {', '.join(available)}")
    teams_as_of, freshness, stale = [], {}, []
    for params in config.load_teams(teams or None):  # every team by default; two files of one team refused
        ds = data.connect(params, as_of=as_of)
        freshness[params.team] = f = ds.freshness
        if require_fresh is not None:
            asked = pd.Timestamp(as_of or f"{pd.Timestamp.now(tz=params.timezone):%Y-%m-%d}").normalize()
            behind = (asked - ds.data_end).days  # as Dataset.freshness counts it
            if behind > require_fresh:
                stale.append(f"{params.team}: data end {f['last_day']}, {behind} days before {asked:%Y-%m-%d}")
        teams_as_of.append((params, f["requested_as_of"] if as_of else f"{ds.as_of:%Y-%m-%d}"))
    if stale:
        raise DataError(f"stale data (--require-fresh {require_fresh}: at most {require_fresh} day(s) behind): "
                        + "; ".join(stale) + ". Fix: load the missing days, or run without --require-fresh to "
                        "report on the data as they are")
    run_day = max((day for _, day in teams_as_of), default=None)  # with as_of, every team has that date
    pairs = [(params.team, params.source_file, name, run_day, day) for params, day in teams_as_of for name in names]
    return pairs, freshness


def run(teams=None, names=None, as_of=None, jobs=None, out=None, progress=True, source_dir=None,
        require_fresh: int | None = None) -> RunResult:
    """Run every (team, notebook) pair and write reports, summaries, KPI history and the index, every team
    under one run date (see :func:`plan` for the run date, ``as_of`` after the data's end and
    ``require_fresh``)."""
    # absolute: the notebooks' kernels run in the notebooks' folder, and write their KPI files under out
    out = Path(out or paths.reports_dir()).resolve()
    pairs, freshness = plan(teams, names, as_of, source_dir, require_fresh)
    with reports_lock(out):
        return _run_pairs(pairs, freshness, out, jobs, progress, source_dir)


@contextlib.contextmanager
def reports_lock(out: Path):
    """Hold ``out/.pmplaybook.lock`` for a run: a second run into the same folder fails at once, with the
    fix, instead of mixing its files with the first's. Also fails early when ``out`` or the KPI history
    cannot be written (a read-only folder, a history another program holds open)."""
    import fcntl

    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / ".pmplaybook.lock", "a+")
    except OSError as exc:
        raise OSError(f"reports folder {out} cannot be written ({exc.strerror}). Fix: pass --out to a folder "
                      "you can write, or fix its permissions") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OSError(f"another pmplaybook run is writing into {out}. Fix: wait for it to finish, or pass "
                          "another --out") from None
        check_history_writable(out)
        yield
    finally:
        handle.close()  # closing the file releases the lock


def _share_cores(threads: int) -> None:
    """In a worker: its kernels' DuckDB gets ``threads`` threads (the cores divided among the workers).
    Oversubscribed, two workers on two cores spent a third more CPU for the same reports."""
    from ..core.engines import THREADS_VARIABLE

    os.environ[THREADS_VARIABLE] = str(threads)


def _run_pairs(pairs, freshness, out: Path, jobs, progress, source_dir) -> RunResult:
    from tqdm.auto import tqdm

    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pairs)))
    results: list[PairResult] = []
    bar = tqdm(total=len(pairs), desc="reports", unit="report", disable=not progress)
    ctx = multiprocessing.get_context("spawn")  # no fork after DuckDB threads started
    # each worker keeps one warm kernel for the notebooks it runs (see run_pair); it stops it when the
    # pool ends, and on an interruption the notebooks not started yet are dropped, not run
    threads = max(1, (os.cpu_count() or 1) // jobs)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_share_cores, initargs=(threads,))
    try:
        # the notebook analyses at the team's as_of; the reports are filed under the run's date
        pending = {pool.submit(run_pair, team, pfile, name, as_of, str(out / day / team),
                               str(source_dir) if source_dir else None, freshness[team]): (team, name)
                   for team, pfile, name, day, as_of in pairs}
        run_day = {team: day for team, _, _, day, _ in pairs}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                team, name = pending.pop(fut)
                try:
                    results.append(replace(fut.result(), as_of=run_day[team]))
                except Exception as exc:  # a worker process died
                    results.append(PairResult(team, name, "", ok=False, error=f"worker died: {exc}"))
            failed = [f"{r.team}/{r.notebook}" for r in results if not r.ok]
            running = sorted({f"{t}/{n}" for t, n in pending.values()})[:3]
            bar.set_postfix_str(("failed: " + ", ".join(failed) + "; " if failed else "")
                                + ("next: " + ", ".join(running) if running else ""))
            bar.update(len(done))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        bar.close()
    for (team, day) in sorted({(r.team, r.as_of) for r in results if r.as_of}):
        team_results = [r for r in results if r.team == team and r.as_of == day]
        rows = [k for r in team_results for k in r.kpis]
        rows = record_history(out, day, team, rows)
        write_summary(out / day / team, team, day, team_results, rows, freshness.get(team))
    write_index(out)
    results.sort(key=lambda r: (r.team, r.notebook))
    return RunResult(results, out)
