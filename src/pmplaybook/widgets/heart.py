"""A HEART explorer for JupyterLab: pick a feature, a task workflow and a segment; the adoption curve, the
task-success trend and the NPS by segment redraw. Needs a live kernel (the notebook shows it only when
``interactive`` is true)."""

from __future__ import annotations

import ipywidgets as W

from .. import heart
from ..charts import heart as hcharts
from . import markdown, problem, svg

NONE = "(none)"


#: At most this many segment lines in one chart: beyond it the banded lines overlap into a tangle.
MAX_LINES = 4


def largest_segments(table, segment: str | None, limit: int = MAX_LINES):
    """The rows of the ``limit`` segments with the most attempts, and a line naming what was left out
    (empty when nothing was)."""
    if not segment or "segment" not in table.columns or table["segment"].nunique() <= limit:
        return table, ""
    sizes = table.groupby("segment")["attempts"].sum().sort_values(ascending=False)
    kept, left = list(sizes.index[:limit]), list(sizes.index[limit:])
    note = markdown(f"The {limit} {segment} values with the most attempts are drawn ({', '.join(map(str, kept))}); "
                    f"{len(left)} smaller ones are left out of the chart so the lines stay readable: "
                    f"{', '.join(map(str, left))}.")
    return table[table["segment"].isin(kept)], note


def heart_explorer(ds) -> W.VBox:
    """Return a widget with dropdowns for feature (params ``events.features``), workflow (the values of the
    ``workflow`` column among the team's task events) and segment (params ``segments``), and a view
    showing the feature's adoption curve, the workflow's error and completion rates by segment, and
    NPS by segment. Parts the team's data cannot support say so instead of failing."""
    params = ds.params
    roles = params.events
    tz, ws = ds.timezone, ds.week_start
    features = [(f.name, f.event) for f in roles.features] or [(NONE, NONE)]
    has_tasks = bool(roles.task_started and roles.task_completed)
    workflows = [NONE]
    if has_tasks and "workflow" in ds.events.columns:
        t = ds.events.filter(ds.events.event == roles.task_started)
        workflows = sorted(map(str, t.select("workflow").distinct().execute()["workflow"].dropna())) or [NONE]
    style = {"description_width": "90px"}
    feature = W.Dropdown(description="Feature", options=features, value=features[0][1], style=style)
    workflow = W.Dropdown(description="Workflow", options=workflows, value=workflows[0], style=style)
    segment = W.Dropdown(description="Segment", options=[NONE, *params.segments], value=NONE, style=style)
    view = W.HTML()

    def redraw(*_):
        seg = None if segment.value == NONE else segment.value
        parts = []
        try:
            if feature.value != NONE:
                launched = next((f.launched for f in roles.features if f.event == feature.value), None)
                table = heart.feature_adoption(ds.events, feature.value, launched=launched, period="week", timezone=tz, week_start=ws,
                                               as_of=ds.as_of)
                parts.append(svg(hcharts.adoption_curve(table, feature=feature.label)))
            else:
                parts.append(markdown("This team's params name no feature (events.features)."))
            if has_tasks and workflow.value != NONE:
                ev = ds.events.filter(ds.events.workflow == workflow.value)
                table = heart.task_success(ev, roles.task_started, roles.task_completed, roles.task_failed, workflow="workflow",
                                           period="week", segment=seg, timezone=tz, week_start=ws, as_of=ds.as_of)
                metric = "error_rate" if roles.task_failed else "completion_rate"
                table, note = largest_segments(table, seg)
                parts.append(svg(hcharts.task_success_trend(
                    table, metric, title=f"{workflow.value}: {metric.replace('_', ' ')}" + (f" by {seg}" if seg else ""))))
                parts.append(note)
            else:
                parts.append(markdown("This team has no task events with a workflow column: no task success."))
            if heart.has_survey(ds.surveys, "nps"):
                survey_seg = seg if seg in ds.surveys.columns else None
                table = heart.nps(ds.surveys, segment=survey_seg, timezone=tz, as_of=ds.as_of)
                parts.append(svg(hcharts.nps_composition(
                    table, title=f"NPS composition by {survey_seg}" if survey_seg else "NPS composition")))
                if seg and not survey_seg:
                    parts.append(markdown(f"The survey table has no {seg!r} column, so NPS is shown overall."))
        except Exception as exc:  # noqa: BLE001 - a callback's traceback would be invisible: say why here
            parts.append(problem(exc))
        view.value = "".join(parts)

    for w in (feature, workflow, segment):
        w.observe(redraw, names="value")
    redraw()
    # a choice of one is no choice: name the feature instead of offering a dropdown that cannot change
    pick_feature = feature if len(features) > 1 else W.HTML(
        markdown(f"Feature: **{features[0][0]}**" + (" (the params name no other)" if features[0][1] != NONE else "")))
    return W.VBox([W.HBox([pick_feature, workflow, segment]), view])
