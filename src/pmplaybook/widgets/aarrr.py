"""Funnel builder: pick steps, window, order and a segment, and see the funnel (JupyterLab only; the
notebook always shows the static charts too)."""

from __future__ import annotations

import ipywidgets as w

from .. import funnel as fn
from ..core.calendar import uses_calendar
from ..charts import aarrr as charts
from ..narrative.aarrr import funnel_finding
from . import markdown, problem, svg
from . import table as widget_table


@uses_calendar
def funnel_builder(events, steps=None, *, window: str = "14d", order: str = "ordered", segments=(),
                   as_of=None, timezone: str = "UTC") -> w.VBox:
    """A small form (ordered step tags, window, order, exclusions, segment) with a Run button that draws
    :func:`pmplaybook.funnel.funnel` below it. Event names are offered from the data (one distinct query).
    """
    names = sorted(events.select("event").distinct().execute()["event"].tolist())
    plain = [s if isinstance(s, str) else (s.get("event") if isinstance(s, dict) else s.event) for s in (steps or [])]
    # TagsInput draws no description, so each box gets a label of its own
    step_box = w.TagsInput(value=[s for s in plain if s in names] or names[:2], allowed_tags=names,
                           allow_duplicates=True)
    excl_box = w.TagsInput(value=[], allowed_tags=names, allow_duplicates=False)
    window_box = w.Text(value=str(window), description="window", placeholder="e.g. 14d, 2h, 30min")
    order_box = w.Dropdown(options=list(fn.ORDERS), value=order, description="order")
    segment_box = w.Dropdown(options=["(none)", *segments], value="(none)", description="segment")
    run = w.Button(description="Run funnel", button_style="primary", icon="play")
    view = w.HTML()

    def draw(_=None):
        try:
            seg = None if segment_box.value == "(none)" else segment_box.value
            table = fn.funnel(events, list(step_box.value), window=window_box.value, order=order_box.value,
                              exclusions=list(excl_box.value), segment=seg, as_of=as_of, timezone=timezone)
        except Exception as exc:  # noqa: BLE001 - bad input: say what to change, not a traceback
            view.value = problem(exc)
            return
        if seg is None:
            parts = [svg(charts.journey_funnel(table, title="Your funnel")), markdown(funnel_finding(table, window_box.value))]
        else:
            parts = [markdown(f"Conversion through each step, by {seg}:")]
        box.table = table  # the last result, for reuse (and tests)
        view.value = "".join(parts) + widget_table(table)

    run.on_click(draw)

    def adder(tags: w.TagsInput, placeholder: str) -> w.Combobox:
        """A box that adds the event typed into it to ``tags`` on Enter (JupyterLab's tag box itself keeps a
        name typed into it when its suggestion list is open, and adds it only on Tab)."""
        pick = w.Combobox(options=names, ensure_option=True, continuous_update=False, placeholder=placeholder,
                          layout=w.Layout(width="260px"))

        def add(change):
            event = change["new"]
            if event in names and (tags.allow_duplicates or event not in tags.value):
                tags.value = [*tags.value, event]
            if event:
                pick.value = ""
        pick.observe(add, names="value")
        return pick

    help_text = w.HTML("<small>Add a step: type an event name in the box at the right of the steps and press "
                       "Enter (remove one with its ×, drag to reorder), then press <b>Run funnel</b>.</small>")
    label = lambda text: w.Label(text, layout=w.Layout(width="70px"))  # noqa: E731
    box = w.VBox([help_text, w.HBox([label("Steps"), step_box, adder(step_box, "add a step, then Enter")]),
                  w.HBox([label("Exclude"), excl_box, adder(excl_box, "exclude an event, then Enter")]),
                  w.HBox([window_box, order_box, segment_box]), run, view])
    box.table = None
    return box
