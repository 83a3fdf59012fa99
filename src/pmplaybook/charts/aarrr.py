"""Charts for funnels and pirate metrics (AARRR). Each builder takes the small DataFrame a
:mod:`pmplaybook.funnel` or :mod:`pmplaybook.aarrr` function returns and gives back an Altair chart."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from . import AMBER, GREEN, GREY, RED, pct_axis

BLUE = "#4c78a8"


def _label_column(table: pd.DataFrame) -> str:
    return "stage" if "stage" in table.columns else "event"


def journey_funnel(table: pd.DataFrame, title: str = "Journey funnel") -> alt.Chart:
    """Horizontal funnel: users reaching each step (blue) and those lost since the previous step (red),
    labelled with conversion from the first step and from the previous one. Accepts a
    :func:`pmplaybook.funnel.funnel` result (no segment) or an :func:`pmplaybook.aarrr.leaks` table."""
    label = _label_column(table)
    t = table.copy()
    t["name"] = [f"{i + 1}. {v}" for i, v in enumerate(t[label])]
    order = t["name"].tolist()
    reached = t.assign(part="reached", n=t["users"])
    lost = t.assign(part="lost since previous step", n=t["dropped"])
    long = pd.concat([reached, lost], ignore_index=True)
    keep = ["name", "part", "n", "users", "dropped", "conversion", "step_conversion", "ci_low", "ci_high"]
    if "median_time_to_convert" in t.columns:
        long["median_time"] = long["median_time_to_convert"].astype(str).replace({"NaT": "-"})
        keep.append("median_time")
    if "definition" in t.columns:
        keep.append("definition")
    long = long[keep]
    tooltip = [alt.Tooltip("name:N", title="step"), alt.Tooltip("users:Q", format=","),
               alt.Tooltip("dropped:Q", format=",", title="lost since previous"),
               alt.Tooltip("conversion:Q", format=".1%", title="of first step"),
               alt.Tooltip("step_conversion:Q", format=".1%", title="of previous step"),
               alt.Tooltip("ci_low:Q", format=".1%", title="95% CI low"),
               alt.Tooltip("ci_high:Q", format=".1%", title="95% CI high")]
    if "median_time" in long.columns:
        tooltip.append(alt.Tooltip("median_time:N", title="median time from previous"))
    if "definition" in long.columns:
        tooltip.append(alt.Tooltip("definition:N"))
    bars = alt.Chart(long).mark_bar().encode(
        y=alt.Y("name:N", sort=order, title=None),
        x=alt.X("n:Q", stack="zero", title="users", scale=alt.Scale(domainMax=float(t["users"].max()) * 1.35)),
        color=alt.Color("part:N", scale=alt.Scale(domain=["reached", "lost since previous step"], range=[BLUE, RED]),
                        legend=alt.Legend(orient="bottom", title=None)),
        order=alt.Order("part:N", sort="descending"),
        tooltip=tooltip,
    )
    t["text"] = [f"{c:.1%} of first" + ("" if i == 0 else f" · {s:.0%} of previous")
                 for i, (c, s) in enumerate(zip(t["conversion"].fillna(0), t["step_conversion"].fillna(0)))]
    text = alt.Chart(t[["name", "users", "text"]]).mark_text(align="left", dx=4, fontSize=11).encode(
        y=alt.Y("name:N", sort=order), x="users:Q", text="text:N")
    return (bars + text).properties(title=alt.Title(title, subtitle="red: users lost since the previous step"),
                                    height=max(120, 40 * len(t)))


def cac_ltv_by_channel(table: pd.DataFrame, title: str = "CAC and LTV/CAC by channel") -> alt.HConcatChart:
    """Two panels from :func:`pmplaybook.aarrr.unit_economics`: CAC per paid channel (blended beside it)
    and LTV/CAC with the 1:1 (break-even) and 3:1 (healthy, Gupta; ProdPad) lines; red below 1, amber 1-3,
    green 3+; the blend is grey: it is never judged, the channels are."""
    t = table[(table["paid"] | (table["channel"] == "all (blended)")) & table["cac"].notna()].copy()
    t["status"] = np.select([t["channel"] == "all (blended)", t["ltv_cac"] < 1, t["ltv_cac"] < 3],
                            ["blend: not a verdict", "below 1: loses money", "1-3: thin"], "3+: healthy")
    tooltip = [alt.Tooltip("channel:N"), alt.Tooltip("spend:Q", format="$,.0f"),
               alt.Tooltip("new_customers:Q", format=","), alt.Tooltip("cac:Q", format="$,.0f", title="CAC"),
               alt.Tooltip("arpa:Q", format="$,.0f", title="ARPA / month"),
               alt.Tooltip("monthly_churn:Q", format=".1%"), alt.Tooltip("ltv:Q", format="$,.0f", title="LTV"),
               alt.Tooltip("ltv_cac:Q", format=".2f", title="LTV/CAC"),
               alt.Tooltip("payback_months:Q", format=".1f", title="payback (months)")]
    order = t.sort_values("cac")["channel"].tolist()
    colour = alt.Color("status:N", scale=alt.Scale(domain=["below 1: loses money", "1-3: thin", "3+: healthy",
                                                           "blend: not a verdict"],
                                                   range=[RED, AMBER, GREEN, GREY]), legend=alt.Legend(title="LTV/CAC"))
    cac = alt.Chart(t).mark_bar().encode(
        y=alt.Y("channel:N", sort=order, title=None), x=alt.X("cac:Q", title="CAC ($ per new customer)"),
        color=alt.condition(alt.datum.channel == "all (blended)", alt.value(GREY), alt.value(BLUE)),
        tooltip=tooltip).properties(width=260, title="CAC")
    ratio = alt.Chart(t).mark_bar().encode(
        y=alt.Y("channel:N", sort=order, title=None), x=alt.X("ltv_cac:Q", title="LTV / CAC"),
        color=colour, tooltip=tooltip).properties(width=260, title="LTV / CAC")
    rules = alt.Chart(pd.DataFrame({"x": [1.0, 3.0], "label": ["break-even", "3:1"]})).mark_rule(
        strokeDash=[4, 3], color="#333").encode(x="x:Q", tooltip=["label:N"])
    return alt.hconcat(cac, ratio + rules).properties(
        title=alt.Title(title, subtitle="Sorted by CAC; dashed lines: break-even (1) and the 3:1 bar (Gupta; ProdPad); "
                              "the blend is grey, never a verdict"))


def mrr_waterfall(table: pd.DataFrame, months: int | None = None, title: str = "MRR bridge") -> alt.LayerChart:
    """Waterfall from the MRR before the window to the last month's MRR, via new, expansion, reactivation,
    contraction and churned MRR, from :func:`pmplaybook.aarrr.mrr` (last ``months`` months; all by
    default)."""
    t = table if months is None else table.tail(months)
    if t.empty:
        return alt.Chart(pd.DataFrame({"x": []})).mark_text().properties(title=title)
    i0 = table.index.get_loc(t.index[0])
    start = float(table["mrr"].iloc[i0 - 1]) if i0 > 0 else 0.0
    steps = [("start MRR", start, "total"), ("new", t["new_mrr"].sum(), "up"),
             ("expansion", t["expansion_mrr"].sum(), "up"), ("reactivation", t["reactivation_mrr"].sum(), "up"),
             ("contraction", -t["contraction_mrr"].sum(), "down"), ("churned", -t["churned_mrr"].sum(), "down")]
    rows, level = [], 0.0
    for name, value, kind in steps:
        lo, hi = (0.0, value) if kind == "total" else (level, level + value)
        level = value if kind == "total" else level + value
        rows.append({"step": name, "amount": value, "low": min(lo, hi), "high": max(lo, hi), "kind": kind})
    rows.append({"step": "end MRR", "amount": level, "low": 0.0, "high": level, "kind": "total"})
    w = pd.DataFrame(rows)
    order = w["step"].tolist()
    first, last = t["month"].iloc[0], t["month"].iloc[-1]
    bars = alt.Chart(w).mark_bar(size=48).encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("low:Q", title="MRR ($)"), y2="high:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=["total", "up", "down"], range=[BLUE, GREEN, RED]),
                        legend=None),
        tooltip=[alt.Tooltip("step:N"), alt.Tooltip("amount:Q", format="$,.0f")])
    text = alt.Chart(w).mark_text(dy=-6, fontSize=11).encode(
        x=alt.X("step:N", sort=order), y="high:Q", text=alt.Text("amount:Q", format="$,.0f"))
    return (bars + text).properties(width=520, title=alt.Title(
        title, subtitle=f"{first:%b %Y} to {last:%b %Y}: where the change in monthly recurring revenue came from"))


def mrr_movements(table: pd.DataFrame, title: str = "MRR and its movements by month") -> alt.LayerChart:
    """Monthly bars of MRR gained (new, expansion, reactivation: up) and lost (contraction, churn: down),
    with total MRR as a line, from :func:`pmplaybook.aarrr.mrr`."""
    parts = {"new_mrr": "new", "expansion_mrr": "expansion", "reactivation_mrr": "reactivation",
             "contraction_mrr": "contraction", "churned_mrr": "churned"}
    table = table.assign(label=table["month"].dt.strftime("%Y-%m"))
    long = table.melt(id_vars=["label"], value_vars=list(parts), var_name="kind", value_name="amount")
    long["kind"] = long["kind"].map(parts)
    long.loc[long["kind"].isin(["contraction", "churned"]), "amount"] *= -1
    colour = alt.Color("kind:N", scale=alt.Scale(domain=list(parts.values()),
                                                 range=[GREEN, "#66bb6a", "#a5d6a7", AMBER, RED]), title=None)
    x = alt.X("label:O", title=None, axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(long).mark_bar(opacity=0.85).encode(
        x=x, y=alt.Y("amount:Q", title="MRR change ($)"), color=colour,
        tooltip=[alt.Tooltip("label:O", title="month"), "kind:N", alt.Tooltip("amount:Q", format="$,.0f")])
    line = alt.Chart(table).mark_line(point=True, color="#333").encode(
        x=x, y=alt.Y("mrr:Q", title="MRR ($, line)"),
        tooltip=[alt.Tooltip("label:O", title="month"), alt.Tooltip("mrr:Q", format="$,.0f"),
                 alt.Tooltip("paying_accounts:Q", format=","), alt.Tooltip("arpa:Q", format="$,.0f"),
                 alt.Tooltip("logo_churn:Q", format=".1%")])
    return alt.layer(bars, line).resolve_scale(y="independent").properties(width=520, title=alt.Title(
        title, subtitle="Bars above zero add revenue, below zero lose it; the line is the month's total MRR"))


def time_to_convert(hist: pd.DataFrame, quantiles: pd.DataFrame | None = None,
                    title: str = "Time to convert", note: str | None = None) -> alt.Chart:
    """Share of converters per time bin (log-like human bins) from
    :func:`pmplaybook.funnel.time_to_convert`; the subtitle gives the median and p90, and ``note`` (e.g.
    that the window cuts converters off) on a second line."""
    order = hist["bin"].tolist()
    sub = "share of users who converted, by time taken"
    if quantiles is not None and len(quantiles) and quantiles["users"].iloc[0]:
        q = quantiles.iloc[0]
        sub = (f"{int(q['users']):,} converters · median {_hours(q['median_hours'])} · "
               f"p90 {_hours(q['p90_hours'])}")
    if note:
        sub = [sub, note]
    return alt.Chart(hist).mark_bar(color=BLUE).encode(
        x=alt.X("bin:N", sort=order, title="time taken to convert", axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("share:Q", axis=pct_axis("share of converters")),
        tooltip=["bin:N", alt.Tooltip("users:Q", format=","), alt.Tooltip("share:Q", format=".1%"),
                 alt.Tooltip("cumulative_share:Q", format=".1%", title="converted by the end of this bin")],
    ).properties(width=520, title=alt.Title(title, subtitle=sub))


def _hours(h: float) -> str:
    if h is None or pd.isna(h):
        return "-"
    if h < 1 / 60:
        return "under a minute" if h > 0 else "no time (same instant)"
    if h < 1:
        return f"{h * 60:.0f} min"
    if h < 48:
        return f"{h:.1f} h"
    return f"{h / 24:.1f} days"


def rate_by_cohort(table: pd.DataFrame, x: str = "cohort", rate: str = "rate", title: str = "",
                   y_title: str = "rate", size: str = "signups", target: float | None = None) -> alt.LayerChart:
    """A rate by cohort (activation, conversion over time) as a line with its 95% interval band;
    incomplete cohorts (NaN) are simply absent. ``target`` draws a dashed line."""
    t = table.dropna(subset=[rate]).copy()
    tooltip = [alt.Tooltip(f"{x}:T", title=x), alt.Tooltip(f"{rate}:Q", format=".1%"),
               alt.Tooltip("ci_low:Q", format=".1%"), alt.Tooltip("ci_high:Q", format=".1%")]
    if size in t.columns:
        tooltip.append(alt.Tooltip(f"{size}:Q", format=","))
    base = alt.Chart(t).encode(x=alt.X(f"{x}:T", title=None))
    band = base.mark_area(opacity=0.2, color=BLUE).encode(y=alt.Y("ci_low:Q", axis=pct_axis(y_title)), y2="ci_high:Q")
    line = base.mark_line(point=True, color=BLUE).encode(y=f"{rate}:Q", tooltip=tooltip)
    layers = [band, line]
    if target is not None:
        layers.append(alt.Chart(pd.DataFrame({"y": [target]})).mark_rule(strokeDash=[4, 3], color=GREEN)
                      .encode(y="y:Q", tooltip=[alt.Tooltip("y:Q", format=".0%", title="target")]))
    return alt.layer(*layers).properties(title=alt.Title(title, subtitle="line: rate; band: 95% interval"))


def k_factor_by_cohort(table: pd.DataFrame, title: str = "K-factor by sign-up cohort") -> alt.LayerChart:
    """K-factor per cohort from :func:`pmplaybook.aarrr.referral`, with the 0.2-0.4 "useful" band and
    the viral line at 1."""
    t = table.dropna(subset=["k_factor"])
    band = alt.Chart(pd.DataFrame({"lo": [0.2], "hi": [0.4]})).mark_rect(opacity=0.12, color=GREEN).encode(
        y="lo:Q", y2="hi:Q")
    bars = alt.Chart(t).mark_bar(color=BLUE, width={"band": 0.8}).encode(
        x=alt.X("yearmonth(cohort):O", title=None), y=alt.Y("k_factor:Q", title="new users per user (K)"),
        tooltip=[alt.Tooltip("yearmonth(cohort):O", title="cohort"), alt.Tooltip("users:Q", format=","),
                 alt.Tooltip("invites_per_user:Q", format=".2f"), alt.Tooltip("invite_conversion:Q", format=".1%"),
                 alt.Tooltip("k_factor:Q", format=".3f")])
    viral = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 3], color=RED).encode(y="y:Q")
    return alt.layer(band, bars, viral).properties(width=520, title=alt.Title(
        title, subtitle="green band: 0.2-0.4, lowers CAC when invitees become customers; dashed line: 1, viral (Gupta)"))


def new_users_by_channel(table: pd.DataFrame, title: str = "New users by channel and month") -> alt.Chart:
    """Stacked bars of sign-ups per period and channel, from :func:`pmplaybook.aarrr.acquisition`
    (``period`` set); the tooltip adds new customers, spend and CAC."""
    t = table.copy()
    t["label"] = t["period"].dt.strftime("%Y-%m-%d" if (t["period"].dt.day != 1).any() else "%Y-%m")
    tooltip = [alt.Tooltip("label:O", title="period"), "channel:N", alt.Tooltip("new_users:Q", format=","),
               alt.Tooltip("new_customers:Q", format=","), alt.Tooltip("spend:Q", format="$,.0f"),
               alt.Tooltip("cac:Q", format="$,.0f", title="CAC")]
    return alt.Chart(t).mark_bar().encode(
        x=alt.X("label:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("new_users:Q", title="new users (sign-ups)"),
        color=alt.Color("channel:N", title="channel"), tooltip=tooltip,
    ).properties(width=520, title=alt.Title(title, subtitle="incomplete last period included; hover for customers, spend, CAC"))
