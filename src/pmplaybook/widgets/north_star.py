"""A North Star explorer for JupyterLab: pick a candidate to see its series against spend and retained use
(with its evidence), or pick the magic-number action, window and outcome week to redraw the threshold
curve. Needs a live kernel (the notebook shows it only when ``interactive`` is true)."""

from __future__ import annotations

import ipywidgets as W

from .. import north_star as ns
from ..charts import north_star as nsc
from ..narrative import north_star as story
from . import markdown, problem, svg

STYLE = {"description_width": "120px"}
#: a slider long enough to aim at one day or one week (a dict: a Layout made at import would be a widget
#: in the saved state of whichever report first imports this module)
WIDE = {"width": "380px"}


def north_star_explorer(ds, table=None, scores=None, action: str | None = None,
                        within_days: float = 7) -> W.Tab:
    """Return a two-tab widget: "Candidate" (dropdown of the team's candidates) and "Magic number"
    (action dropdown, window slider, outcome-week slider, largest threshold)."""
    params = ds.params
    if table is None:
        table = ns.candidate_table(ds)
    labels = [(c.label or c.name, c.name) for c in params.north_star.candidates]
    names = sorted(ds.events.select("event").distinct().execute()["event"])

    # open on the recommended candidate (the top score), not on whichever the params list first
    best = scores.sort_values("score", ascending=False)["candidate"].iloc[0] if scores is not None and len(scores) else None
    first = best if best in {name for _, name in labels} else (labels[0][1] if labels else "")
    pick = W.Dropdown(description="Candidate", options=labels or [("(none)", "")], value=first, style=STYLE)
    cand_view = W.HTML()

    def draw_candidate(*_):
        if not pick.value:
            cand_view.value = markdown("The team's params list no North Star candidates.")
            return
        parts = [svg(nsc.series_vs_spend(table[table["candidate"] == pick.value]))]
        if scores is not None and pick.value in set(scores["candidate"]):
            why = dict(zip(scores["candidate"], story.reasons(scores)))
            parts.append(markdown(why[pick.value]))
        cand_view.value = "".join(parts)

    pick.observe(draw_candidate, names="value")
    draw_candidate()

    default = action if action in names else (names[0] if names else None)
    act = W.Dropdown(description="Action", options=names, value=default, style=STYLE)
    days = W.IntSlider(description="Within (days)", value=round(within_days), min=1, max=30, style=STYLE, layout=WIDE)
    week = W.IntSlider(description="Active in week", value=8, min=1, max=16, style=STYLE, layout=WIDE)
    top = W.IntSlider(description="Largest count", value=10, min=2, max=30, style=STYLE, layout=WIDE)
    magic_view = W.HTML()

    def draw_magic(*_):
        try:
            outcome = f"active_week_{week.value}"
            t = ns.magic_number(ds.events, act.value, within_days=days.value, outcome=outcome, signup_event=params.events.signup,
                                max_threshold=top.value, timezone=ds.timezone, as_of=ds.as_of)
            magic_view.value = (svg(nsc.magic_number_curve(t, act.value, days.value, week.value))
                                + markdown(story.magic_number_finding(t, act.value, days.value, outcome)))
        except Exception as exc:  # noqa: BLE001 - e.g. no complete outcome window: say why, not a traceback
            magic_view.value = problem(exc)

    for w in (act, days, week, top):
        w.observe(draw_magic, names="value")
    draw_magic()

    tabs = W.Tab(children=[W.VBox([pick, cand_view]), W.VBox([W.HBox([W.VBox([act, days]), W.VBox([week, top])]),
                                                             magic_view])])
    tabs.set_title(0, "Candidate")
    tabs.set_title(1, "Magic number")
    return tabs
