"""Charts of the data-health checks: events per day with gaps, drops, holiday dips and a partial last day
marked. Each takes the small per-day frame of :func:`pmplaybook.data.health.volume`."""

from __future__ import annotations

import altair as alt
import pandas as pd

from . import AMBER, GREY, RED, WIDTH

BLUE = "#1f4e79"
FLAGS = {"gap": "no events (gap)", "drop": "below half its weekday's usual",
         "holiday": "holiday dip (annotated)", "partial": "partial last day"}


def volume_chart(daily: pd.DataFrame, *, width: int = WIDTH, height: int = 220) -> alt.LayerChart:
    """Events per day (line), the same weekday's usual volume (grey, dashed: the median of the four weeks
    before) and the flagged days as coloured points (from the table of :func:`~pmplaybook.data.health.volume`)."""
    t = daily.copy()
    t["reading"] = t["flag"].map(FLAGS).fillna("")
    base = alt.Chart(t).encode(x=alt.X("day:T", title=None, axis=alt.Axis(format="%b %d")))
    tip = [alt.Tooltip("day:T", title="Day", format="%a %d %b %Y"), alt.Tooltip("events:Q", title="Events", format=","),
           alt.Tooltip("expected:Q", title="Same weekday, usual", format=",.0f")]
    flagged = t[t["flag"] != ""]
    layers = [
        base.mark_line(color=GREY, strokeDash=[3, 3], strokeWidth=1).encode(y="expected:Q"),
        base.mark_line(color=BLUE, strokeWidth=1.2).encode(y=alt.Y("events:Q", title="Events per day"), tooltip=tip),
    ]
    if len(flagged):
        layers.append(alt.Chart(flagged.assign(reading=flagged["flag"].map(FLAGS))).mark_point(
            filled=True, size=70).encode(
            x="day:T", y="events:Q", tooltip=tip + [alt.Tooltip("reading:N", title="Flag")],
            color=alt.Color("reading:N", title=None, legend=alt.Legend(labelLimit=260, orient="bottom"), scale=alt.Scale(
                domain=list(FLAGS.values()), range=[RED, AMBER, GREY, AMBER]))))
    counts = t["flag"].value_counts()
    marked = ", ".join(f"{int(counts[k])} {FLAGS[k].split(' (')[0]}" for k in FLAGS if counts.get(k, 0))
    return alt.layer(*layers).properties(width=width, height=height, title=alt.Title(
        "Events per day", subtitle=f"Grey dashed: the same weekday's usual volume; marked: {marked or 'none'}"))
