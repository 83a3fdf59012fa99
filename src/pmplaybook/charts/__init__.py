"""Altair chart builders, one sub-module per framework; each returns a chart and never displays it.

Charts take the small tidy DataFrames the metric functions return (aggregated before plotting, never
raw events). Importing this package registers and enables the ``pmplaybook`` renderer: it emits the
chart as a Vega-Lite JSON bundle (``application/vnd.vegalite.v5+json``), which JupyterLab draws with the
Vega it bundles (no CDN) and which nbformat accepts (Altair 6's own ``...v6.json`` mimetype is rejected by
nbformat's schema when papermill saves the notebook). The report exporter turns the same outputs into
self-contained interactive charts in the HTML page.
"""

from __future__ import annotations

import sys


def _import_altair():
    """Import Altair without jsonschema's IRI grammar.

    jsonschema (which Altair imports) loads ``rfc3987_syntax`` when it is installed (jupyter-events pulls it
    in), and that package builds a grammar at import: 1.5 s of every kernel start, for an "iri" format
    check the playbook never uses. The module is marked absent only while jsonschema is first imported,
    then the mark is taken away again, so nothing else in the process sees a difference.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import altair
        return altair
    sys.modules["rfc3987_syntax"] = None
    try:
        import altair
    finally:
        del sys.modules["rfc3987_syntax"]
    return altair


alt = _import_altair()

MIMETYPE = "application/vnd.vegalite.v5+json"

#: The playbook's palette: status colours and a calm categorical scheme.
GREEN, AMBER, RED, GREY = "#2e7d32", "#f9a825", "#c62828", "#9e9e9e"
CATEGORY = "tableau10"
WIDTH = 560


def _render(spec: dict) -> dict:
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return {MIMETYPE: spec, "text/plain": f"<chart: {text or 'untitled'}>"}


def _theme():
    return alt.theme.ThemeConfig(
        config={
            "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": 300},
            "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "title": {"fontSize": 15, "anchor": "start", "subtitleColor": "#555", "subtitleFontSize": 12},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#eee"},
            # full-strength legend symbols: a layer drawn faint (a confidence band) must not make its
            # legend swatch faint too
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "symbolOpacity": 1, "symbolStrokeWidth": 2.5},
            "range": {"category": {"scheme": CATEGORY}},
        }
    )


def enable() -> None:
    """Register and enable the renderer and theme (done on import; call again after changing them)."""
    alt.renderers.register("pmplaybook", _render)
    alt.renderers.enable("pmplaybook")
    alt.theme.register("pmplaybook", enable=True)(_theme)


enable()


def pct_axis(title: str) -> alt.Axis:
    """An axis that shows a 0-1 rate as a percentage."""
    return alt.Axis(format=".0%", title=title)


def section_charts(section):
    """The charts of an AARRR :class:`~pmplaybook.narrative.aarrr.Section`, stacked into one chart (None
    when the section has none): each ``("<module>.<function>", kwargs)`` entry names a builder of this
    package."""
    import importlib

    charts = []
    for name, kwargs in section.charts:
        module, function = name.split(".")
        charts.append(getattr(importlib.import_module(f"{__name__}.{module}"), function)(**kwargs))
    if not charts:
        return None
    return charts[0] if len(charts) == 1 else alt.vconcat(*charts).resolve_scale(color="independent")
