"""A product manager opens a notebook in JupyterLab, runs it with ``interactive = True`` and clicks the
explorer: the widgets must render and their Python callbacks must redraw the charts.

Until this test, the ipywidgets explorers were only *executed* (papermill/nbclient, which stores widget
state but never renders or clicks a widget). Here a real JupyterLab server (this venv's, fully offline)
serves a temporary copy of ``02_cohort_retention.ipynb`` and headless Debian Chromium, driven by
Playwright, opens it, runs every cell from the Run menu and changes the explorer's dropdowns the way a
user would. Each change goes browser -> widget model -> kernel callback -> new SVG in an ``HTML`` widget
-> browser, so the asserts prove the whole round trip.

Notebook 02 is used because its explorer is the cheapest to draw and the clearest to check: its charts
are SVG strings in ``HTML`` widgets whose axis titles and chart titles name the chosen period and mode.

Nothing is written into the repository: the notebook is copied (outputs and autosaves land in the copy),
and Jupyter's config, data, runtime, settings, workspace and IPython directories point into the test's
temporary directory, so neither the user's Jupyter set-up nor a leftover workspace can change what runs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from pmplaybook import config, report

NOTEBOOK = "02_cohort_retention"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: What ipywidgets' front end shows when a widget cannot be drawn (missing model, version mismatch, ...).
WIDGET_ERRORS = ("Error displaying widget", "Failed to load model class", "Model not found",
                 "Could not create a model", "Could not create a view")
SERVER_START_S = 90  # server up and answering /api/status (slow when `make test` loads both cores)
RUN_ALL_S = 240  # the whole notebook, ~30 s alone, much more under a parallel `make test`
REDRAW_S = 60  # one explorer callback (a retention query and two vl-convert SVGs)
#: The notebooks whose explorers are driven control by control (05 has none).
EXPLORED = ("01_north_star", NOTEBOOK, "03_heart", "04_aarrr", "06_ai_metrics")
EXPLORED_PREFIX = "explore_"


# ------------------------------------------------------------------------------------------ server


@dataclass
class Lab:
    url: str  # http://127.0.0.1:<port>/ (no token)
    token: str
    root: Path  # the server's root_dir, holding the notebook copy
    log: Path  # the server's (and its kernels') stdout/stderr
    runtime_dir: Path  # connection files: every kernel of this server names this dir on its command line

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(self.url + path.lstrip("/"), method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None


def _interactive_copy(target_dir: Path, notebook: str = NOTEBOOK, prefix: str = "") -> Path:
    """Copy the notebook into ``target_dir`` (as ``<prefix><notebook>.ipynb``) with ``interactive = True`` in
    its parameters cell (the only change, made in the JSON, exactly as a user would edit the cell)."""
    nb = json.loads((config.NOTEBOOKS_DIR / f"{notebook}.ipynb").read_text())
    (cell,) = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    source = "".join(cell["source"])
    assert re.search(r"^interactive = False\b", source, re.M), f"{notebook}: no `interactive = False` default"
    cell["source"] = re.sub(r"^interactive = False\b", "interactive = True", source, flags=re.M)
    path = target_dir / f"{prefix}{notebook}.ipynb"
    path.write_text(json.dumps(nb, indent=1))
    return path


def _processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text`` (here: our private runtime dir, which
    only the kernels this server started carry, in their ``-f <connection file>`` argument)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _kernel_commands(runtime_dir: Path) -> list[list[str]]:
    """The command lines (argv) of the kernels the server started."""
    commands = []
    for pid in _processes_mentioning(str(runtime_dir)):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "ipykernel_launcher" in argv:
            commands.append(argv)
    return commands


def _stop(proc: subprocess.Popen, lab: Lab | None, runtime_dir: Path) -> None:
    """Shut the server and its kernels down, politely first: /api/shutdown (stops the kernels), then
    SIGTERM and SIGKILL to the server's process group, then SIGKILL to any kernel still alive (kernels
    run in their own session, so the group signal does not reach them)."""
    asked = False
    if lab is not None and proc.poll() is None:
        try:
            lab.api("api/shutdown", method="POST")
            asked = True
        except (OSError, urllib.error.URLError):
            pass
    for sig, grace in ((None, 15 if asked else 0), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if sig is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    deadline = time.monotonic() + 5
    while (left := _processes_mentioning(str(runtime_dir))) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server (``sys.executable -m jupyterlab``, i.e. this venv's) on a free localhost port
    with a fixed random token, serving a temporary directory with the interactive notebook copy. It makes
    no outside request (news, update check and extension manager off). Always stopped, kernels included."""
    overrides = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    if "saveState" not in (overrides.read_text() if overrides.exists() else ""):
        pytest.fail(f"{overrides} does not save widget state: run `make test` or `make lab`, which write it")
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    root.mkdir()
    _interactive_copy(root)
    for notebook in EXPLORED:  # a copy of its own for each test: the first test saves and reopens 02
        _interactive_copy(root, notebook, EXPLORED_PREFIX)
    jupyter = base / "jupyter"
    dirs = {name: jupyter / name for name in ("config", "data", "runtime", "settings", "workspaces", "ipython")}
    for d in dirs.values():
        d.mkdir(parents=True)
    # user settings: never ask to fetch news (the toast would cover the notebook), never check for updates
    notification = dirs["settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(dirs["config"]), "JUPYTER_DATA_DIR": str(dirs["data"]),
           "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]), "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
           "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]), "IPYTHONDIR": str(dirs["ipython"])}
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_TOKEN", None)
    token = secrets.token_hex(16)
    log = base / "server.log"
    # port 0: the OS picks a free port (no race with parallel test workers); read back from the server's
    # info file jpserver-<pid>.json in our private runtime dir
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
           "--ServerApp.port=0", f"--ServerApp.root_dir={root}",
           f"--IdentityProvider.token={token}", "--PasswordIdentityProvider.hashed_password=",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]
    with open(log, "wb") as log_fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log_fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = None
    try:
        info = dirs["runtime"] / f"jpserver-{proc.pid}.json"
        deadline = time.monotonic() + SERVER_START_S
        while server is None:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}; log {log}:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer /api/status in {SERVER_START_S} s; log {log}:\n"
                            f"{log.read_text()[-3000:]}")
            try:
                port = json.loads(info.read_text())["port"]
                candidate = Lab(f"http://127.0.0.1:{port}/", token, root, log, dirs["runtime"])
                candidate.api("api/status")
                server = candidate
            except (OSError, ValueError, KeyError, urllib.error.URLError):  # not written / not up yet
                time.sleep(0.3)
        yield server
    finally:
        _stop(proc, server, dirs["runtime"])


# ----------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open_notebook(browser, lab: Lab, notebook: str = NOTEBOOK):
    """Open the notebook in JupyterLab, recording (and refusing) every request that does not go to our
    server, and every uncaught page error."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    outside, errors = [], []

    def guard(route):
        url = route.request.url
        if url.startswith((lab.url, "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", guard)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{lab.url}lab/tree/{notebook}.ipynb?token={lab.token}")
    return context, page, outside, errors


NOTEBOOK_STATE = """() => {
    const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    if (!nb) return null;
    const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());
    const status = nb.querySelector('.jp-Notebook-ExecutionIndicator');
    const outputs = [...nb.querySelectorAll('.jp-OutputArea-output')].map(e => e.textContent);
    return {
        prompts,
        kernel: status ? status.getAttribute('data-status') : null,
        traceback: outputs.some(t => t.includes('Traceback (most recent call last)')),
    };
}"""


def _wait_for(page, predicate, timeout_s: float, what: str, screenshot: Path):
    """Poll ``NOTEBOOK_STATE`` until ``predicate(state)`` holds; fail with the state and a screenshot."""
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(NOTEBOOK_STATE)
        if state and predicate(state):
            return state
        time.sleep(0.5)
    page.screenshot(path=str(screenshot))
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}; last state {state}; screenshot {screenshot}")


def _run_all(page, screenshot: Path) -> dict:
    """Run > Run All Cells, as a user does; wait until every code cell has run (or one failed)."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).click()
    return _wait_for(
        page, lambda s: s["kernel"] == "idle" and not any("*" in p for p in s["prompts"])
        and (s["traceback"] or all(re.fullmatch(r"\[\d+\]:", p) for p in s["prompts"])),
        RUN_ALL_S, "Run All Cells to finish", screenshot)


def _kernel_idle(lab: Lab, notebook: str = NOTEBOOK) -> bool:
    """The server has a session for the notebook and its kernel is idle (started and ready)."""
    sessions = [x for x in lab.api("api/sessions") if x.get("path", "").endswith(f"{notebook}.ipynb")]
    return len(sessions) == 1 and (sessions[0].get("kernel") or {}).get("execution_state") == "idle"


def _svg_texts(html_widget) -> list[str]:
    """Every ``<text>`` of the SVG drawn in one ``HTML`` widget (titles, axis titles, labels, legend)."""
    return html_widget.evaluate("e => [...e.querySelectorAll('svg text')].map(t => t.textContent)")


def test_retention_explorer_redraws_when_clicked_in_jupyterlab(lab, browser, tmp_path):
    """Open the notebook in JupyterLab on this venv's kernel, Run > Run All Cells, then change the
    explorer's Period (week -> month), Mode (N-period -> unbounded) and Segment ((none) -> platform)
    dropdowns: each change must redraw the SVG charts accordingly (axis titles in months, a different curve,
    the heatmap cleared and a curve per platform), with no widget error, no traceback, no uncaught page
    error and no request leaving the machine. Screenshots go to the test's tmp_path."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    shots = tmp_path
    context, page, outside, errors = _open_notebook(browser, lab)
    try:
        # -- the notebook is open on a live kernel: this venv's Python, started by the server
        page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=60_000)
        # the toolbar says "idle" before any kernel exists: also wait for the server's session to be idle
        _wait_for(page, lambda s: s["kernel"] == "idle" and s["prompts"] and _kernel_idle(lab), SERVER_START_S,
                  "the notebook's kernel to be started and idle", shots / "kernel.png")
        kernels = _kernel_commands(lab.runtime_dir)
        assert len(kernels) == 1, f"expected one kernel, found {kernels}"
        assert kernels[0][0] == sys.executable, f"kernel runs {kernels[0][0]}, not this venv's {sys.executable}"
        assert [k["name"] for k in lab.api("api/kernels")] == [report.KERNEL]

        # -- Run > Run All Cells, as a user does; wait until every code cell has run (or one failed)
        state = _run_all(page, shots / "run_all.png")
        if state["traceback"]:
            page.screenshot(path=str(shots / "run_all.png"))
            pytest.fail(f"a cell failed in JupyterLab; screenshot {shots / 'run_all.png'}")

        # -- the static charts (JupyterLab's bundled Vega) and the explorer are drawn
        assert page.locator(".jp-NotebookPanel .vega-embed").count() >= 1, "no static chart drawn in JupyterLab"
        explorer = page.locator(".jp-CodeCell", has_text="retention_explorer(")
        assert explorer.count() == 1, "no (or several) cells calling retention_explorer in the notebook"

        def show_explorer() -> None:
            """Scroll the notebook so the explorer cell starts at the top of the window (for screenshots)."""
            explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(300)

        explorer.scroll_into_view_if_needed()
        if explorer.locator(".widget-dropdown").count() == 0:  # e.g. the text fallback "VBox(children=...)"
            page.screenshot(path=str(shots / "no_widget.png"))
            pytest.fail(f"the explorer cell shows no widget; its output reads "
                        f"{explorer.locator('.jp-OutputArea').inner_text()[:300]!r}; page errors {errors}; "
                        f"screenshot {shots / 'no_widget.png'}")
        # the explorer's VBox: controls, then three HTML widgets (message, heatmap, curve)
        message, heatmap, curve = (explorer.locator(".widget-html").nth(i) for i in range(3))
        assert explorer.locator(".widget-html").count() == 3
        heatmap.locator("svg").wait_for(timeout=REDRAW_S * 1000)
        curve.locator("svg").wait_for(timeout=REDRAW_S * 1000)
        assert "Weeks since the cohort" in _svg_texts(heatmap) and "Weeks since the cohort" in _svg_texts(curve)
        show_explorer()
        page.screenshot(path=str(shots / "explorer_initial.png"))

        def choose(label: str, option: str, done_js: str, what: str) -> None:
            """Pick ``option`` in the dropdown labelled ``label`` and wait until ``done_js`` (evaluated with
            the explorer cell) holds: the kernel callback has redrawn the charts."""
            select = explorer.get_by_label(label, exact=True)
            select.scroll_into_view_if_needed()
            select.select_option(label=option)
            try:
                page.wait_for_function(f"e => ({done_js})(e)", arg=explorer.element_handle(),
                                       timeout=REDRAW_S * 1000)
            except PlaywrightTimeout as exc:
                path = shots / f"failed_{label.lower()}.png"
                page.screenshot(path=str(path))
                pytest.fail(f"{what}: the explorer did not redraw after {label} = {option!r} ({exc}); "
                            f"message {message.inner_text()!r}; screenshot {path}; server log {lab.log}")

        svg_text = "(e, i) => [...e.querySelectorAll('.widget-html')[i].querySelectorAll('svg text')]" \
                   ".map(t => t.textContent)"

        # 1. Period week -> month: both charts are redrawn in months
        choose("Period", "month",
               f"e => ({svg_text})(e, 1).includes('Months since the cohort')"
               f" && ({svg_text})(e, 2).includes('Months since the cohort')",
               "period")
        assert "Weeks since the cohort" not in _svg_texts(heatmap) + _svg_texts(curve)
        assert message.inner_text().strip() == "", message.inner_text()

        # 2. Mode N-period -> unbounded: same axes, different curve (retention in k *or later* is higher)
        curve.evaluate("e => { window.__pmpCurveBefore = e.innerHTML; }")
        choose("Mode", "in k or later (unbounded)",
               "e => e.querySelectorAll('.widget-html')[2].innerHTML !== window.__pmpCurveBefore", "mode")
        assert "Months since the cohort" in _svg_texts(curve)
        assert message.inner_text().strip() == "", message.inner_text()

        # 3. Segment (none) -> platform: the heatmap is cleared, the curve is split by segment
        choose("Segment", "platform",
               f"e => ({svg_text})(e, 2).includes('Retention curve by segment')", "segment")
        assert heatmap.locator(".widget-html-content").inner_html().strip() == "", \
            "the heatmap should be cleared when a segment is chosen"
        legend = curve.evaluate("e => [...e.querySelectorAll('svg .role-legend text')].map(t => t.textContent)")
        assert "Segment" in legend and len(set(legend) - {"Segment"}) >= 2, f"no legend of platforms: {legend}"
        assert message.inner_text().strip() == "", message.inner_text()

        final = shots / "explorer_after_clicks.png"
        show_explorer()
        page.screenshot(path=str(final))
        explorer.screenshot(path=str(shots / "explorer_cell.png"))

        # -- nothing went wrong on the way: no widget error, no failed cell, nothing fetched from outside
        body = page.locator("body").inner_text()
        shown = [e for e in WIDGET_ERRORS if e in body]
        assert not shown, f"widget errors on the page: {shown}; screenshot {final}"
        assert page.evaluate(NOTEBOOK_STATE)["traceback"] is False, f"a traceback appeared; screenshot {final}"
        assert outside == [], f"JupyterLab tried to reach outside the machine: {outside}"
        assert errors == [], f"uncaught errors in the page: {errors}; screenshot {final}"

        # -- saved, closed and reopened on a new kernel: the explorer shows its last charts from the widget
        # state saved in the notebook (make lab's saveState setting), not "Error displaying widget"
        page.keyboard.press("Control+s")
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
        for session in lab.api("api/sessions"):
            lab.api(f"api/sessions/{session['id']}", method="DELETE")
        page.reload()
        page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=60_000)
        reopened = page.locator(".jp-CodeCell", has_text="retention_explorer(")
        reopened.scroll_into_view_if_needed()
        reopened.locator(".widget-html svg").first.wait_for(timeout=60_000)
        page.screenshot(path=str(shots / "reopened.png"))
        body = page.locator("body").inner_text()
        assert not [e for e in WIDGET_ERRORS if e in body], f"after reopening: {body[:300]!r}; {shots / 'reopened.png'}"
        assert "Retention curve by segment" in " ".join(_svg_texts(reopened.locator(".widget-html").nth(2)))
    finally:
        context.close()


def test_no_explorer_draws_into_an_output_widget():
    """An ``Output`` widget stalls papermill/nbclient until the cell times out (see
    ``pmplaybook.widgets``), so a notebook run with ``interactive=True`` would hang: explorers draw into
    ``HTML`` widgets instead."""
    import pmplaybook.widgets as widgets

    folder = Path(widgets.__file__).parent
    users = [p.name for p in folder.glob("*.py") if "Output(" in p.read_text()]
    assert not users, f"{users} use an Output widget"


# ------------------------------------------------------------------------------- every explorer, every control

#: At most this many other options of a dropdown are tried (evenly spread over its list), each from the default.
MAX_OPTIONS = 4
#: What must never show in an explorer: a traceback, a widget that cannot be drawn, a library's advice to its
#: developers (Altair's row limit).
EXPLORER_ERRORS = ("Traceback (most recent call last)", "MaxRowsError", "data_transformers", *WIDGET_ERRORS)

#: Every explorer cell of the open notebook: the cells whose output holds a widget control.
CONTROLS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')]
    .map((cell, i) => ({i, dropdowns: cell.querySelectorAll('.jp-OutputArea .widget-dropdown select').length,
                        sliders: cell.querySelectorAll('.jp-OutputArea .widget-slider').length,
                        tags: cell.querySelectorAll(".jp-OutputArea .widget-text datalist").length,
                        buttons: cell.querySelectorAll('.jp-OutputArea button.widget-button').length}))
    .filter(c => c.dropdowns + c.sliders + c.tags + c.buttons > 0)"""

#: The drawn state of an explorer cell: its HTML widgets' content (charts as SVG, messages).
DRAWN_JS = "cell => [...cell.querySelectorAll('.widget-html')].map(e => e.innerHTML).join('|||')"

#: Text elements of the explorer's SVG charts whose boxes overlap by more than a third of the smaller one
#: (labels printed over labels); hidden labels (opacity 0) are left out.
OVERLAPS_JS = """cell => {
    const out = [];
    for (const svg of cell.querySelectorAll('.widget-html svg')) {
        const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()
            && getComputedStyle(t).opacity !== '0' && t.getAttribute('opacity') !== '0'
            && !t.closest('[opacity="0"]'));
        const boxes = texts.map(t => [t.textContent.trim(), t.getBoundingClientRect()]);
        for (let a = 0; a < boxes.length; a++) for (let b = a + 1; b < boxes.length; b++) {
            const [ta, ra] = boxes[a], [tb, rb] = boxes[b];
            const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
            const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
            const smaller = Math.min(ra.width * ra.height, rb.width * rb.height);
            if (w > 0 && h > 0 && smaller > 0 && w * h > smaller / 3) out.push(`${ta} / ${tb}`);
        }
    }
    return out;
}"""

#: Text of the explorer's SVG charts that runs out of its output area, where it is cut off.
CUT_OFF_JS = """cell => [...cell.querySelectorAll('.widget-html svg text')].filter(t => {
    const r = t.getBoundingClientRect(), area = t.closest('.widget-html').getBoundingClientRect();
    return t.textContent.trim() && (r.left < area.left - 1 || r.right > area.right + 1);
}).map(t => t.textContent.trim())"""

#: Output areas of the notebook in which MathJax or KaTeX typeset something (a "$" read as maths).
MATHS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')]
    .filter(c => c.querySelector('mjx-container, .MathJax, .katex'))
    .map(c => c.innerText.slice(0, 80))"""


@dataclass
class Probe:
    """One explorer cell being driven: records each change's redraw time and every problem seen."""

    page: object
    cell: object  # the cell's locator
    notebook: str
    timings: list
    problems: list

    def drawn(self) -> str:
        return self.cell.evaluate(DRAWN_JS)

    def change(self, what: str, act, button=None) -> None:
        """Do ``act()`` (and click the explorer's run ``button``, if it has one), then wait until the drawn
        content changes: every setting must redraw something (a chart, or a sentence saying why not)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        before = self.drawn()
        started = time.monotonic()
        act()
        if button is not None:
            self.page.wait_for_timeout(300)  # the control's new value reaches the kernel before the click
            button.click()
        try:
            self.page.wait_for_function(f"([cell, before]) => ({DRAWN_JS})(cell) !== before",
                                        arg=[self.cell.element_handle(), before], timeout=REDRAW_S * 1000,
                                        polling=50)
        except PlaywrightTimeout:
            self.problems.append(f"{what}: nothing redrawn in {REDRAW_S} s")
            return
        seconds = time.monotonic() - started
        self.page.wait_for_timeout(150)  # a callback may draw its charts one after the other
        self.timings.append({"notebook": self.notebook, "change": what, "seconds": round(seconds, 3)})
        print("EXPLORER-TIMING " + json.dumps(self.timings[-1]))
        text = self.cell.locator(".jp-OutputArea").inner_text()
        self.problems += [f"{what}: shows {e!r}" for e in EXPLORER_ERRORS if e in text]
        self.problems += [f"{what}: overlapping text {o}" for o in self.cell.evaluate(OVERLAPS_JS)]
        self.problems += [f"{what}: text cut off at the output's edge {t!r}" for t in self.cell.evaluate(CUT_OFF_JS)]


def _drive(probe: Probe) -> None:
    """Change every control of one explorer, tab by tab when it has tabs: each dropdown to a few other
    options (back to its default in between), each slider to its ends, a step typed into each tag box and
    Enter; then the heaviest setting (each dropdown on its first option, each slider at its largest)."""
    tabs = probe.cell.locator(".jp-OutputArea .lm-TabBar-tab")
    for t in range(tabs.count() or 1):
        if tabs.count():
            tabs.nth(t).click()
            probe.page.wait_for_timeout(200)
        _drive_visible(probe)


def _drive_visible(probe: Probe) -> None:
    cell = probe.cell
    buttons = cell.locator(".jp-OutputArea button.widget-button:visible")
    run = buttons.first if buttons.count() else None
    dropdowns = cell.locator(".jp-OutputArea .widget-dropdown:visible")
    for i in range(dropdowns.count()):
        box = dropdowns.nth(i)
        label = box.locator("label").inner_text().strip() or f"dropdown {i}"
        select = box.locator("select")
        options = select.evaluate("s => [...s.options].map(o => o.label)")
        default = select.evaluate("s => s.options[s.selectedIndex].label")
        others = [o for o in options if o != default]
        if not others:
            probe.problems.append(f"{label}: a dropdown with nothing to choose ({options})")
        step = max(1, len(others) // MAX_OPTIONS)
        for option in others[::step][:MAX_OPTIONS]:
            probe.change(f"{label} = {option}", lambda o=option: select.select_option(label=o), run)
        if others:
            probe.change(f"{label} = {default} (back)", lambda: select.select_option(label=default), run)
    sliders = cell.locator(".jp-OutputArea .widget-slider:visible")
    for i in range(sliders.count()):
        box = sliders.nth(i)
        label = box.locator("label").inner_text().strip() or f"slider {i}"
        handle = box.locator(".noUi-handle")
        low, high, now = (handle.get_attribute(a) for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow"))
        for value in (low, high, now):
            probe.change(f"{label} = {float(value):g}", lambda v=value: _type_readout(box, v), run)
    # a tag box is filled from the box beside it: type an event, Enter, and it joins the tags
    adders = cell.locator(".jp-OutputArea .widget-inline-hbox.widget-text:has(> datalist):visible")
    shown = "b => [...b.querySelectorAll('.jupyter-widget-tag:not(.jupyter-widget-taginput)')].map(t => t.innerText.trim())"
    for i in range(adders.count()):
        row = adders.nth(i).locator("xpath=..")  # the row: label, tag box, adding box
        choices = adders.nth(i).evaluate("b => [...(b.querySelector('datalist')?.options || [])].map(o => o.value)")
        have = cell.evaluate(shown)  # in no tag box of the explorer: a step that is also excluded cannot run
        new = next((c for c in choices if c not in have), None)
        if new is None:
            continue
        field = adders.nth(i).locator("input")

        def type_event(field=field, new=new):
            field.fill(new)
            field.press("Enter")
        probe.change(f"add {new} with box {i} + Enter", type_event, run)
        added = row.evaluate(shown)
        if new not in added:
            probe.problems.append(f"box {i}: Enter did not add {new!r} (tags {added})")
    # the heaviest setting: the finest period and the longest horizon together (02: day x 52 periods)
    def heaviest():
        for i in range(dropdowns.count()):
            dropdowns.nth(i).locator("select").select_option(index=0)
        for i in range(sliders.count()):
            box = sliders.nth(i)
            _type_readout(box, box.locator(".noUi-handle").get_attribute("aria-valuemax"))
    if dropdowns.count() and sliders.count():
        probe.change("first options, sliders at their largest", heaviest, run)


def _type_readout(box, value: str) -> None:
    """Set a slider as a user can with the keyboard: type the value into its readout, then Enter."""
    readout = box.locator(".widget-readout")
    readout.click()
    readout.press("Control+a")
    readout.type(f"{float(value):g}")
    readout.press("Enter")


@pytest.mark.parametrize("notebook", EXPLORED)
def test_every_explorer_works_at_every_setting(lab, browser, tmp_path, notebook):
    """Run the notebook in JupyterLab, then drive every control of every explorer (see :func:`_drive`): each
    change must redraw within the test's patience with no traceback, widget error or library advice, no SVG
    label over another, and no "$" typeset as maths anywhere on the page. Each redraw's time is printed
    (``EXPLORER-TIMING``; ``make bench`` reports the medians), as is the run-all time."""
    context, page, outside, errors = _open_notebook(browser, lab, EXPLORED_PREFIX + notebook)
    try:
        # the server's workspace reopens the notebooks of earlier tests: this one is the visible panel
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").wait_for(timeout=60_000)
        _wait_for(page, lambda s: s["kernel"] == "idle" and s["prompts"] and _kernel_idle(lab, EXPLORED_PREFIX + notebook),
                  SERVER_START_S, "the kernel", tmp_path / "kernel.png")
        started = time.monotonic()
        state = _run_all(page, tmp_path / "run_all.png")
        print("EXPLORER-TIMING " + json.dumps({"notebook": notebook, "change": "run all",
                                                "seconds": round(time.monotonic() - started, 1)}))
        assert not state["traceback"], f"a cell failed in JupyterLab ({tmp_path / 'run_all.png'})"
        page.wait_for_timeout(500)
        explorers = page.evaluate(CONTROLS_JS)
        assert explorers, f"{notebook}: no explorer drew its controls"
        problems, timings = [], []
        for found in explorers:
            cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").nth(found["i"])
            cell.scroll_into_view_if_needed()
            probe = Probe(page, cell, notebook, timings, problems)
            probe.problems += [f"on opening: overlapping text {o}" for o in cell.evaluate(OVERLAPS_JS)]
            _drive(probe)
        problems += [f"maths typeset in: {m!r}" for m in page.evaluate(MATHS_JS)]
        page.screenshot(path=str(tmp_path / "after.png"), full_page=False)
        assert outside == [] and errors == [], (outside, errors)
        assert not problems, f"{notebook}: " + "; ".join(problems[:12]) + f" (screenshot {tmp_path / 'after.png'})"
    finally:
        context.close()
