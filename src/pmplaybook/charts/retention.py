"""Charts for cohort retention: heatmap, curves, stickiness (DAU/MAU) and lifecycle.

Each builder takes one of the small tidy frames of :mod:`pmplaybook.retention` and returns an Altair
chart (never displays it). Incomplete cells are drawn as blank outlined boxes, never as zeros.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from . import AMBER, GREEN, GREY, RED, WIDTH, pct_axis

LABEL_LIMIT = 600  # cells: above this the heatmap drops the in-cell percentages


def _date_label(values: pd.Series, period: str | None = None) -> pd.Series:
    fmt = "%Y-%m" if period == "month" else "%Y-%m-%d"
    return pd.to_datetime(values).dt.strftime(fmt)


def _one_segment(table: pd.DataFrame, segment) -> pd.DataFrame:
    if "segment" not in table.columns:
        return table
    if segment is None:
        if table["segment"].nunique() > 1:
            raise ValueError("the table has several segments: pass segment=<value>, or use "
                             "retention_curves(..., by='segment')")
        return table
    return table[table["segment"] == segment]


def cohort_heatmap(table: pd.DataFrame, title: str = "Cohort retention", period: str | None = None,
                   segment=None, subtitle: str | None = None) -> alt.Chart:
    """Cohorts (rows) x periods since the cohort (columns), coloured by retention rate.

    Tooltips give the cohort size, retained users and the 95% interval; incomplete cells are blank boxes
    whose tooltip says how many returned so far.
    """
    t = _one_segment(table, segment).copy()
    t["cohort_label"] = _date_label(t["cohort"], period)
    t["status"] = np.where(t["complete"], "complete", "incomplete: period not over yet")
    order = sorted(t["cohort_label"].unique())
    height = min(max(14 * len(order), 120), 900)
    # at most a little wider than the other charts, legend beside it included: it must fit a notebook's
    # output area as well as the report page (52 weekly periods get narrower cells, not a wider chart)
    width = min(max(22 * (int(t["period"].max()) + 1 if len(t) else 1), 240), WIDTH + 60)
    base = alt.Chart(t).encode(
        x=alt.X("period:O", title=f"{period or 'Period'}s since the cohort".capitalize()),
        y=alt.Y("cohort_label:O", sort=order, title="Cohort"),
        tooltip=[alt.Tooltip("cohort_label:N", title="Cohort"), alt.Tooltip("period:Q", title="Period"),
                 alt.Tooltip("cohort_size:Q", title="Cohort size", format=","),
                 alt.Tooltip("retained:Q", title="Retained (so far if incomplete)", format=","),
                 alt.Tooltip("rate:Q", title="Retention", format=".1%"),
                 alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
                 alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
                 alt.Tooltip("status:N", title="Status")],
    )
    done = base.transform_filter("datum.complete").mark_rect().encode(
        color=alt.Color("rate:Q", title="Retention", scale=alt.Scale(scheme="blues", domain=[0, 1]),
                        legend=alt.Legend(format=".0%")))
    blank = base.transform_filter("!datum.complete").mark_rect(fill="white", stroke="#bbb", strokeDash=[2, 2])
    layers = [done, blank]
    if len(t) <= LABEL_LIMIT:
        text = base.transform_filter("datum.complete").mark_text(fontSize=9).encode(
            text=alt.Text("rate:Q", format=".0%"),
            color=alt.condition("datum.rate > 0.5", alt.value("white"), alt.value("#222")))
        layers.append(text)
    sub = subtitle or "Read a row for one cohort's life, a column to compare cohorts at the same age; dashed boxes are not over yet"
    return alt.layer(*layers).properties(width=width, height=height,
                                         title=alt.Title(title, subtitle=sub))


def retention_curves(table: pd.DataFrame, by: str = "cohort", curve: pd.DataFrame | None = None,
                     title: str | None = None, period: str | None = None, max_cohorts: int = 60) -> alt.Chart:
    """Retention curves: one line per cohort (``by="cohort"``, from a cohort table, with the size-weighted
    average in black) or one line per segment with its 95% band (``by="segment"``, from a curve)."""
    unit = period or "period"
    x = alt.X("period:Q", title=f"{unit.capitalize()}s since the cohort", axis=alt.Axis(tickMinStep=1))
    if by == "segment":
        c = table if curve is None else curve
        if "segment" not in c.columns:
            raise ValueError("by='segment' needs a curve with a segment column (retention_curve of a segmented table)")
        tooltip = [alt.Tooltip("segment:N", title="Segment"), alt.Tooltip("period:Q", title=unit.capitalize()),
                   alt.Tooltip("rate:Q", title="Retention", format=".1%"),
                   alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
                   alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
                   alt.Tooltip("cohort_size:Q", title="Users", format=","),
                   alt.Tooltip("cohorts:Q", title="Cohorts")]
        base = alt.Chart(c).encode(x=x, color=alt.Color("segment:N", title="Segment"))
        band = base.mark_area(opacity=0.15).encode(y=alt.Y("ci_low:Q", axis=pct_axis("Retention")), y2="ci_high:Q")
        line = base.mark_line(point=True).encode(y="rate:Q", tooltip=tooltip)
        return (band + line).properties(width=WIDTH, height=300, title=alt.Title(
            title or "Retention curve by segment", subtitle="Size-weighted over complete cohorts; band = 95% interval"))
    if by != "cohort":
        raise ValueError(f"by={by!r}: use 'cohort' or 'segment'")
    t = _one_segment(table, None)
    t = t[t["complete"]].copy()
    keep = sorted(t["cohort"].unique())[-max_cohorts:]
    t = t[t["cohort"].isin(keep)]
    t["cohort_label"] = _date_label(t["cohort"], period)
    lines = alt.Chart(t).mark_line(strokeWidth=1, opacity=0.55).encode(
        x=x, y=alt.Y("rate:Q", axis=pct_axis("Retention")),
        color=alt.Color("cohort:T", title="Cohort", scale=alt.Scale(scheme="viridis")),
        detail="cohort_label:N",
        tooltip=[alt.Tooltip("cohort_label:N", title="Cohort"), alt.Tooltip("period:Q", title=unit.capitalize()),
                 alt.Tooltip("rate:Q", title="Retention", format=".1%"),
                 alt.Tooltip("cohort_size:Q", title="Cohort size", format=",")])
    layers = [lines]
    if curve is not None:
        avg = curve if "segment" not in curve.columns else None
        if avg is not None:
            layers.append(alt.Chart(avg).mark_line(color="black", strokeWidth=3).encode(
                x="period:Q", y="rate:Q",
                tooltip=[alt.Tooltip("period:Q", title=unit.capitalize()),
                         alt.Tooltip("rate:Q", title="Average retention", format=".1%"),
                         alt.Tooltip("cohort_size:Q", title="Users", format=","),
                         alt.Tooltip("cohorts:Q", title="Cohorts")]))
    return alt.layer(*layers).properties(width=WIDTH, height=300, title=alt.Title(
        title or "Retention curve of each cohort", subtitle="Thin lines = cohorts (lighter = newer); black = size-weighted average"))


def stickiness_chart(table: pd.DataFrame, title: str = "Daily, weekly and monthly actives",
                     band: tuple[float, float] = (0.2, 0.3)) -> alt.VConcatChart:
    """Two panels: DAU / WAU / MAU lines, and DAU/MAU (28-day MAU) with the typical B2B band shaded."""
    long = table.melt(id_vars=["date"], value_vars=["dau", "wau", "mau_28"], var_name="measure", value_name="users")
    names = {"dau": "DAU", "wau": "WAU (7 days)", "mau_28": "MAU (28 days)"}
    long["measure"] = long["measure"].map(names)
    actives = alt.Chart(long).mark_line().encode(
        x=alt.X("date:T", title=None), y=alt.Y("users:Q", title="Active users"),
        color=alt.Color("measure:N", title=None, sort=list(names.values())),
        tooltip=[alt.Tooltip("date:T", title="Day"), "measure:N", alt.Tooltip("users:Q", format=",")],
    ).properties(width=WIDTH, height=200)
    ratio = table[table["full_window"]]
    shade = alt.Chart(pd.DataFrame({"low": [band[0]], "high": [band[1]]})).mark_rect(
        color=GREEN, opacity=0.1).encode(y="low:Q", y2="high:Q")
    line = alt.Chart(ratio).mark_line(color="#1f77b4").encode(
        x=alt.X("date:T", title=None), y=alt.Y("dau_mau:Q", axis=pct_axis("DAU / MAU")),
        tooltip=[alt.Tooltip("date:T", title="Day"), alt.Tooltip("dau:Q", title="DAU", format=","),
                 alt.Tooltip("mau_28:Q", title="MAU (28 d)", format=","),
                 alt.Tooltip("dau_mau:Q", title="DAU/MAU", format=".1%")])
    smooth = alt.Chart(ratio).transform_window(avg="mean(dau_mau)", frame=[-27, 0]).mark_line(
        color="black", strokeWidth=2).encode(x="date:T", y="avg:Q",
                                             tooltip=[alt.Tooltip("avg:Q", title="28-day average", format=".1%")])
    sticky = (shade + line + smooth).properties(width=WIDTH, height=160, title=alt.Title(
        "Stickiness: DAU / MAU", subtitle=f"Black = 28-day average; shaded = {band[0]:.0%}-{band[1]:.0%}, typical for B2B tools (Koala Feedback)"))
    return alt.vconcat(actives, sticky).properties(title=alt.Title(
        title, subtitle="A spike in actives is not retention: check whether the stickiness line moved with it"))


def lifecycle_chart(table: pd.DataFrame, title: str = "Lifecycle: where this period's actives came from",
                    period: str | None = None) -> alt.Chart:
    """Stacked bars per period: new, returning and resurrecting users up, dormant users down."""
    long = table.melt(id_vars=["period", "complete"], value_vars=["new", "returning", "resurrecting", "dormant"],
                      var_name="status", value_name="users")
    colours = {"new": GREEN, "returning": "#1f77b4", "resurrecting": AMBER, "dormant": RED}
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("period:T", title=None),
        y=alt.Y("users:Q", title="Users (dormant below zero)", stack="zero"),
        color=alt.Color("status:N", title=None, sort=list(colours),
                        scale=alt.Scale(domain=list(colours), range=list(colours.values()))),
        opacity=alt.condition("datum.complete", alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("period:T", title=(period or "period").capitalize()), "status:N",
                 alt.Tooltip("users:Q", format=","), alt.Tooltip("complete:N", title="Period over")],
    ).properties(width=WIDTH, height=260, title=alt.Title(title, subtitle="Faded bar = period not over yet"))


def segment_bars(breakdown: pd.DataFrame, title: str = "Retention by segment vs the rest") -> alt.Chart:
    """Each segment's rate with its interval; red/green where it differs from the rest beyond noise."""
    b = breakdown.copy()
    if "column" in b.columns:
        b["segment"] = b["column"].astype(str) + ": " + b["segment"].astype(str)
    b["verdict"] = np.where(b["flag"] == "lower", "lower than the rest",
                            np.where(b["flag"] == "higher", "higher than the rest", "within noise"))
    colours = alt.Scale(domain=["lower than the rest", "higher than the rest", "within noise"], range=[RED, GREEN, GREY])
    base = alt.Chart(b).encode(y=alt.Y("segment:N", sort=None, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("rate:Q", axis=pct_axis("Retention")), color=alt.Color("verdict:N", scale=colours, title=None),
        tooltip=[alt.Tooltip("segment:N"), alt.Tooltip("rate:Q", format=".1%"),
                 alt.Tooltip("rest_rate:Q", title="Rest", format=".1%"),
                 alt.Tooltip("diff:Q", title="Difference", format="+.1%"),
                 alt.Tooltip("cohort_size:Q", title="Users", format=",")])
    rules = base.mark_rule(color="black").encode(x="ci_low:Q", x2="ci_high:Q")
    return (bars + rules).properties(width=WIDTH - 100, height=alt.Step(22), title=alt.Title(
        title, subtitle="Red: retained worse than the rest beyond noise; black line = 95% interval"))
