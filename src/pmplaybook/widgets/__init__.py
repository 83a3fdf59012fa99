"""ipywidgets explorers for JupyterLab, one sub-module per framework.

Widgets run Python callbacks, so they work only with a live kernel: notebooks show them when their
``interactive`` parameter is true and always show the static charts too, so exported reports are complete.

Every explorer draws into ``HTML`` widgets, with the helpers below (charts as SVG from vl-convert,
offline; text as HTML), never into an ``Output`` widget: under papermill/nbclient an ``Output`` widget
held its cell until the execution timeout (seen on this stack: a ~20 s stall per cell with
``timeout=20``, a hang with none), so a notebook run with ``interactive=True`` would stall. The price is
that the explorers' charts have no tooltips; the static charts above them keep theirs.
"""

from __future__ import annotations

import html
import json

import mistune
import pandas as pd
import vl_convert as vlc


#: Room around an explorer's chart, in pixels: vl-convert lays text out with its own font metrics and the
#: browser's font can be wider, so a long axis label grows past the drawing's edge; the margin keeps it
#: inside the output area, which would cut it off (". ai_suggestion_accepted").
MARGIN = 40


def svg(chart) -> str:
    """An Altair chart as inline SVG, with :data:`MARGIN` around it; text may still run past the drawing's box
    into that margin rather than be cut off."""
    spec = chart.to_dict()
    pad = spec.get("padding", 5)
    pad = pad if isinstance(pad, dict) else dict.fromkeys(("left", "right", "top", "bottom"), pad)
    spec["padding"] = {**pad, "left": max(pad.get("left", 5), MARGIN), "right": max(pad.get("right", 5), MARGIN)}
    return vlc.vegalite_to_svg(json.dumps(spec)).replace("<svg ", '<svg style="overflow: visible" ', 1)


_MARKDOWN = mistune.create_markdown(escape=True)  # text from the data is shown as text, never as markup


def markdown(text: str) -> str:
    """A finding sentence (Markdown) as HTML."""
    return _MARKDOWN(text)


def table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, float_format=lambda v: f"{v:,.3g}")


def problem(exc: Exception) -> str:
    """Why a view cannot be drawn, for the widget's own area (a callback's traceback would be invisible)."""
    return f"<p><b>Cannot compute this view:</b> {html.escape(f'{type(exc).__name__}: {exc}')}</p>"
