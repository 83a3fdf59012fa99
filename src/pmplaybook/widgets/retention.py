"""A cohort-retention explorer for JupyterLab: pick period, mode, windows, events and segment; the heatmap
and the curve redraw. Needs a live kernel (the notebook shows it only when ``interactive`` is true).
"""

from __future__ import annotations

import ipywidgets as W

from .. import retention
from ..core.calendar import uses_calendar
from ..charts import retention as rcharts
from . import problem, svg

ANY = "(any event)"
NONE = "(none)"


#: At most this many cohorts (rows) in the explorer's heatmap: beyond it the labels overprint and the chart
#: passes Altair's 5,000-row limit (a year of daily cohorts x 14 periods).
MAX_HEATMAP_COHORTS = 60


def latest_cohorts(table, period: str, limit: int = MAX_HEATMAP_COHORTS):
    """The table cut to its ``limit`` newest cohorts for the heatmap, and a line saying so (empty when all
    fit). The retention curve keeps every cohort."""
    cohorts = sorted(table["cohort"].unique())
    if len(cohorts) <= limit:
        return table, ""
    kept = cohorts[-limit:]
    note = (f"<p>The heatmap shows the newest {limit} of {len(cohorts)} {period}ly cohorts (from "
            f"{kept[0]:%Y-%m-%d}), so that its rows stay readable; the curve below pools all of them.</p>")
    return table[table["cohort"].isin(kept)], note.replace("dayly", "daily")


@uses_calendar
def retention_explorer(events, cohort_event: str | None = None, *, segments=(), periods: int = 12,
                       timezone: str = "UTC", week_start: str = "monday", as_of=None) -> W.VBox:
    """Return a widget: dropdowns for period, mode, windows, cohort / return event and segment, and an
    output area with the cohort heatmap and the retention curve (by segment when one is chosen)."""
    names = sorted(events.select("event").distinct().execute()["event"])
    pick = lambda description, options, value: W.Dropdown(  # noqa: E731
        description=description, options=options, value=value, style={"description_width": "110px"})
    period = pick("Period", ["day", "week", "month"], "week")
    mode = pick("Mode", [("in period k (N-period)", "on"), ("in k or later (unbounded)", "on_or_after")], "on")
    windows = pick("Windows", [("calendar periods", "calendar"), ("rolling from first event", "rolling")], "calendar")
    cohort = pick("Cohort event", [ANY, *names], cohort_event if cohort_event in names else ANY)
    returning = pick("Return event", [ANY, *names], ANY)
    segment = pick("Segment", [NONE, *segments], NONE)
    horizon = W.IntSlider(description="Periods", value=periods, min=1, max=52, style={"description_width": "110px"})
    heatmap, curve_view, message = W.HTML(), W.HTML(), W.HTML()

    def redraw(*_):
        try:
            seg = None if segment.value == NONE else segment.value
            table = retention.cohort_retention(events, period=period.value, cohort_event=None if cohort.value == ANY else cohort.value,
                                               return_event=None if returning.value == ANY else returning.value,
                                               mode=mode.value, windows=windows.value, periods=horizon.value,
                                               segment=seg, as_of=as_of, week_start=week_start, timezone=timezone)
            curve = retention.retention_curve(table)
            if seg is None:
                shown, note = latest_cohorts(table, period.value)
                heatmap.value = note + svg(rcharts.cohort_heatmap(shown, period=period.value))
                curve_view.value = svg(rcharts.retention_curves(table, curve=curve, period=period.value))
            else:
                heatmap.value = ""
                curve_view.value = svg(rcharts.retention_curves(curve, by="segment", period=period.value))
            message.value = ""
        except Exception as exc:  # noqa: BLE001 - a callback's traceback would be invisible: say why here
            message.value = problem(exc)

    for w in (period, mode, windows, cohort, returning, segment, horizon):
        w.observe(redraw, names="value")
    redraw()
    controls = W.HBox([W.VBox([period, mode, windows, horizon]), W.VBox([cohort, returning, segment])])
    return W.VBox([controls, message, heatmap, curve_view])
