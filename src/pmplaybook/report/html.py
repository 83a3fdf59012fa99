"""The HTML page of an executed notebook: code hidden, outputs sanitised, charts rendered with no network
(the Vega bundle is inlined once per page)."""

from __future__ import annotations

import contextlib
import functools
import json
import re
from pathlib import Path

from ..charts import MIMETYPE as CHART_MIMETYPE
from ..config import paths
from .files import atomic_write

_VEGA_BUNDLE: str | None = None


_EMBED_SNIPPET = "window.__pmpEmbed = vegaEmbed;"


def _vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, inlined in each page so charts render offline.

    vl-convert bundles it in a second or more, so the bundle is kept in the cache folder, one file per
    vl-convert version and snippet; any error reading or writing that file falls back to bundling."""
    global _VEGA_BUNDLE
    if _VEGA_BUNDLE is None:
        import hashlib

        import vl_convert

        key = hashlib.sha256(f"{vl_convert.__version__}\n{_EMBED_SNIPPET}".encode()).hexdigest()[:16]
        path = paths.cache_dir() / f"vega-bundle-{key}.js"
        try:
            _VEGA_BUNDLE = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            _VEGA_BUNDLE = vl_convert.javascript_bundle(_EMBED_SNIPPET)
            with contextlib.suppress(OSError):
                atomic_write(path, _VEGA_BUNDLE)
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


#: Cell tags that shape the report page (JupyterLab ignores them: the walk-through stays whole there).
SUMMARY_TAG = "report-summary"  # moved to the top of the page, under the title
TEACH_TAG = "report-teach"      # a markdown cell: its headings stay, its text folds under "Learn more"
FOLD_TAG = "report-fold"        # a run of such cells folds, whole, into one closed block
HIDE_TAG = "report-hide"        # left out of the page (e.g. the explorers, which need a live kernel)
ANCHOR_PREFIX = "anchor-"       # anchor-<name>: a link target (#<name>) for the Summary's chart links


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _heading(source: str) -> str:
    """The text of the first Markdown heading in ``source`` (numbering dropped), or ''."""
    for line in source.splitlines():
        m = re.match(r"#+\s+(?:\d+\.\s+)?(.*)", line.strip())
        if m:
            return m.group(1).strip()
    return ""


def arrange_for_report(nb) -> None:
    """Shape an executed notebook for the stakeholder: the Summary first (cells tagged ``report-summary``
    move under the title cell), the teaching folded into closed ``<details>`` blocks, and the explorers
    left out. Run on a copy: the saved notebook keeps the walk-through's order."""
    cells = [c for c in nb.cells if HIDE_TAG not in _tags(c)]
    summary = [c for c in cells if SUMMARY_TAG in _tags(c)]
    rest = [c for c in cells if SUMMARY_TAG not in _tags(c)]
    nb.cells = rest[:1] + summary + rest[1:]
    for cell in nb.cells:
        if TEACH_TAG in _tags(cell) and cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            heads = []
            while lines and (lines[0].startswith("#") or not lines[0].strip()):
                heads.append(lines.pop(0))
            body = "\n".join(lines).strip()
            if body:
                title = cell.source.lstrip().startswith("# ")
                label = ("About this page" if title else f"Learn more: {_heading(cell.source)}"
                         if _heading(cell.source) else "Learn more")
                cell.source = ("\n".join(heads).strip() + "\n\n<details class=\"pmp-learn\"><summary>"
                               f"{label}</summary>\n\n{body}\n\n</details>")
    # consecutive fold cells: the first opens the block (labelled by its heading), the last closes it
    run: list = []
    for cell in [*nb.cells, None]:
        if cell is not None and FOLD_TAG in _tags(cell):
            run.append(cell)
            continue
        if run:
            heads = [_heading(c.source) for c in run if c.cell_type == "markdown" and _heading(c.source)]
            run[0].metadata["pmp_open"] = " · ".join(heads) or "More detail"
            run[-1].metadata["pmp_close"] = True
            run = []
    for cell in nb.cells:
        anchors = [t[len(ANCHOR_PREFIX):] for t in _tags(cell) if t.startswith(ANCHOR_PREFIX)]
        if anchors:
            cell.metadata["pmp_anchors"] = anchors


def stale_line(freshness: dict | None) -> str:
    """The banner's warning when the data end before the requested date (empty when they reach it)."""
    if not freshness or not freshness.get("cut"):
        return ""
    days = freshness["days_behind"]
    gap = f"{days} day{'s' if days != 1 else ''}" if days < 14 else f"{days // 7} weeks"
    return (f"Data end {freshness['last_day']}, {gap} before the requested date {freshness['requested_as_of']}: "
            f"the figures stop at the data's end")


@functools.lru_cache(maxsize=2)
def _exporter(show_code: bool):
    """The page's nbconvert exporter, one per process and kind: a new one compiles its Jinja templates
    again (a third of a page's rendering time)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="report", extra_template_basedirs=[str(Path(__file__).parent / "templates")],
                        exclude_input=not show_code, exclude_input_prompt=True, exclude_output_prompt=True)


def render_html(nb, team: str, notebook: str, as_of: str, failed: str = "", freshness: dict | None = None,
                report_mode: bool = True) -> str:
    """A stakeholder HTML page from an executed notebook node (code hidden unless the run failed).

    ``report_mode`` (the runner's default) shapes the page for a stakeholder with
    :func:`arrange_for_report`; ``False`` keeps the full walk-through, in the notebook's order. A failed
    run keeps the order too, so the failing cell is where the author expects it."""
    import copy

    nb = copy.deepcopy(nb)
    if report_mode and not failed:
        arrange_for_report(nb)
    _sanitize_outputs(nb)
    _chart_outputs_to_html(nb)
    exporter = _exporter(show_code=bool(failed))
    resources = {"pmp_vega_bundle": _vega_bundle(), "pmp_team": team, "pmp_as_of": as_of,
                 "pmp_notebook": notebook, "pmp_failed": failed, "pmp_stale": stale_line(freshness),
                 "metadata": {"name": f"{notebook} - {team} - {as_of}"}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body
