"""Charts for the North Star walk-through: candidate scores, leading-indicator strength, each candidate's
series against acquisition spend, the magic-number threshold curve and the metric tree.

Each builder takes a small frame from :mod:`pmplaybook.north_star` and returns an Altair chart.
"""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from ..core.formatting import format_value
from ..core.stats import wilson_interval
from ..narrative.north_star import change_text
from ..north_star import WEIGHTS
from . import AMBER, GREEN, GREY, RED, WIDTH, pct_axis

BLUE = "#1f77b4"


def _message(text: str, title: str) -> alt.Chart:
    """A chart that only says why there is nothing to draw (so a report never has a hole or a crash)."""
    return alt.Chart(pd.DataFrame({"text": [text]})).mark_text(fontSize=13, color=GREY, align="left").encode(
        text="text:N").properties(width=WIDTH, height=40, title=title)


def candidate_scores(scores: pd.DataFrame, title: str = "North Star candidates: score out of 100") -> alt.Chart:
    """Stacked bars of each candidate's weighted points (checklist, leading indicator, sensitivity), the
    vanity penalty drawn below zero, and the total score as a label."""

    if scores is None or scores.empty:
        return _message("No North Star candidates in the team's params.", title)
    parts = []
    for _, r in scores.iterrows():
        for comp, col in (("team checklist", "checklist_points"), ("leads week-8 activity", "leading_points"),
                          ("signal vs noise", "sensitivity_points")):
            key = {"checklist_points": "checklist", "leading_points": "leading",
                   "sensitivity_points": "sensitivity"}[col]
            parts.append({"label": r["label"], "component": comp, "points": WEIGHTS[key] * r[col],
                          "score": r["score"], "auc": r["auc"], "checklist": r["checklist"], "snr": r["snr"],
                          "corr_spend": r["corr_spend"], "corr_retained": r["corr_retained"]})
        if r["vanity_penalty"]:
            parts.append({"label": r["label"], "component": "vanity penalty", "points": -r["vanity_penalty"],
                          "score": r["score"], "auc": r["auc"], "checklist": r["checklist"], "snr": r["snr"],
                          "corr_spend": r["corr_spend"], "corr_retained": r["corr_retained"]})
    data = pd.DataFrame(parts)
    order = list(scores["label"])
    colors = alt.Scale(domain=["team checklist", "leads week-8 activity", "signal vs noise", "vanity penalty"],
                       range=[GREY, BLUE, GREEN, RED])
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("sum(points):Q", scale=alt.Scale(domain=[-35, 130]), title="Points (0.4 checklist + 0.4 leading + 0.2 signal/noise - vanity)"),
        color=alt.Color("component:N", scale=colors, title="Component"),
        tooltip=[alt.Tooltip("label:N", title="Candidate"), alt.Tooltip("component:N", title="Component"),
                 alt.Tooltip("points:Q", title="Points", format=".1f"),
                 alt.Tooltip("score:Q", title="Total score", format=".0f"),
                 alt.Tooltip("checklist:Q", title="Checklist (1-5)", format=".1f"),
                 alt.Tooltip("auc:Q", title="AUC week-8 activity", format=".2f"),
                 alt.Tooltip("snr:Q", title="Signal/noise", format=".1f"),
                 alt.Tooltip("corr_spend:Q", title="r with spend", format=".2f"),
                 alt.Tooltip("corr_retained:Q", title="r with retained use", format=".2f")],
    )
    ends = scores[["label", "score", "vanity_penalty"]].assign(
        end=lambda d: d["score"] + d["vanity_penalty"],
        text=lambda d: [f"= {v:.0f}" + (" after the vanity penalty" if p else "")
                        for v, p in zip(d["score"], d["vanity_penalty"])])
    totals = alt.Chart(ends).mark_text(align="left", dx=4, fontWeight="bold").encode(
        y=alt.Y("label:N", sort=order), x=alt.X("end:Q"), text="text:N")
    return (bars + totals).properties(width=WIDTH - 140, height=36 * len(scores) + 20, title=alt.Title(
        title, subtitle="Grey: the team's own checklist; blue: evidence it leads retention; green: it moves "
                        "more than its noise; red: vanity penalty"))


def leading_strength(scores: pd.DataFrame, title: str = "Does the candidate lead retention?") -> alt.Chart:
    """AUC of each candidate's early value predicting week-8 activity, with its bootstrap interval; 0.5 is
    a coin flip."""
    if scores is None or scores.empty:
        return _message("No North Star candidates in the team's params.", title)
    d = scores[["label", "auc", "auc_low", "auc_high", "spearman_revenue", "units"]].copy()
    base = alt.Chart(d).encode(y=alt.Y("label:N", sort=list(scores["label"]), title=None,
                                       axis=alt.Axis(labelLimit=260)))
    tips = [alt.Tooltip("label:N", title="Candidate"), alt.Tooltip("auc:Q", title="AUC", format=".3f"),
            alt.Tooltip("auc_low:Q", title="95% CI low", format=".3f"),
            alt.Tooltip("auc_high:Q", title="95% CI high", format=".3f"),
            alt.Tooltip("spearman_revenue:Q", title="Spearman with later revenue", format=".2f"),
            alt.Tooltip("units:Q", title="Users / accounts", format=",")]
    rule = base.mark_rule(strokeWidth=2).encode(x=alt.X("auc_low:Q", scale=alt.Scale(domain=[0.4, 1.0]),
                                                        title="AUC of predicting week-8 activity"),
                                                x2="auc_high:Q", tooltip=tips)
    point = base.mark_point(filled=True, size=90, color=BLUE).encode(x="auc:Q", tooltip=tips)
    chance = alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[4, 3], color=GREY).encode(x="x:Q")
    return (chance + rule + point).properties(width=WIDTH - 140, height=36 * len(d) + 20, title=alt.Title(
        title, subtitle="Value in a user's (account's) first two weeks vs still active in week 8; dashed = coin flip"))


def series_vs_spend(table: pd.DataFrame, title: str = "Each candidate against ad spend and retained use") -> alt.Chart:
    """One panel per candidate: its series, acquisition spend, sign-ups and retained users, each as an
    index (its own mean = 100) so they share an axis."""
    if table is None or table.empty:
        return _message("No North Star candidates in the team's params.", title)
    rows = []
    for (cand, label), g in table.groupby(["candidate", "label"], sort=False):
        for col, name in (("value", "candidate"), ("spend", "ad spend"), ("signups", "sign-ups"),
                          ("retained_users", "retained users")):
            v = g[col].astype("float64")
            if v.isna().all() or v.mean() == 0:
                continue
            rows.append(pd.DataFrame({"label": label, "period": g["period"], "series": name,
                                      "index": 100 * v / v.mean(), "raw": v}))
    data = pd.concat(rows, ignore_index=True)
    colors = alt.Scale(domain=["candidate", "ad spend", "sign-ups", "retained users"],
                       range=["#111111", RED, AMBER, GREEN])
    line = alt.Chart(data).mark_line(strokeWidth=1.6).encode(
        x=alt.X("period:T", title=None),
        y=alt.Y("index:Q", title="Index (own mean = 100)"),
        # the legend under the panels: beside them it ran past a notebook's output area ("retained users")
        color=alt.Color("series:N", scale=colors, title="Series", legend=alt.Legend(orient="bottom")),
        strokeWidth=alt.condition("datum.series == 'candidate'", alt.value(2.6), alt.value(1.3)),
        tooltip=[alt.Tooltip("label:N", title="Candidate"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("period:T", title="Period start"), alt.Tooltip("raw:Q", title="Value", format=",.1f"),
                 alt.Tooltip("index:Q", title="Index", format=".0f")],
    ).properties(width=WIDTH, height=150)
    return line.facet(row=alt.Row("label:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left",
                                                                              labelFontWeight="bold"))).properties(
        title=alt.Title(title, subtitle="A vanity metric rises and falls with spend and sign-ups; a good North "
                                        "Star follows retained users"))


def magic_number_curve(table: pd.DataFrame, action: str, within_days: float, outcome_week: int = 8,
                       title: str | None = None) -> alt.LayerChart:
    """Retention of users at or above each threshold k vs below it (with 95% Wilson intervals), the share
    of users already past k, and the best threshold marked. ``table`` None draws a note instead."""
    if table is None or table.empty:
        return _message("No magic-number table: see the sentence above for why.", title or "Magic number")
    rows = []
    for side in ("above", "below"):
        lo, hi = wilson_interval(table[f"retained_{side}"].to_numpy(), table[f"users_{side}"].to_numpy())
        rows.append(pd.DataFrame({"threshold": table["threshold"], "group": f">= k {action}" if side == "above"
                                  else f"< k {action}", "rate": table[f"rate_{side}"], "ci_low": lo, "ci_high": hi,
                                  "users": table[f"users_{side}"]}))
    data = pd.concat(rows, ignore_index=True)
    x = alt.X("threshold:O", title=f"k = {action} in the first {within_days:g} days", axis=alt.Axis(labelAngle=0))
    tips = [alt.Tooltip("group:N", title="Users"), alt.Tooltip("threshold:O", title="k"),
            alt.Tooltip("rate:Q", title=f"Active in week {outcome_week}", format=".1%"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
            alt.Tooltip("users:Q", title="Users", format=",")]
    colors = alt.Scale(domain=[f">= k {action}", f"< k {action}"], range=[GREEN, GREY])
    share = alt.Chart(table).mark_bar(opacity=0.18, color=BLUE).encode(
        x=x, y=alt.Y("share_above:Q", axis=pct_axis(f"Active in week {outcome_week} / share of users")),
        tooltip=[alt.Tooltip("threshold:O", title="k"),
                 alt.Tooltip("share_above:Q", title="Share of users at or above k", format=".1%"),
                 alt.Tooltip("youden_j:Q", title="Youden's J", format=".3f")])
    band = alt.Chart(data).mark_errorbar(ticks=True).encode(x=x, y=alt.Y("ci_low:Q", axis=pct_axis(
        f"Active in week {outcome_week} / share of users")), y2="ci_high:Q",
                                                            color=alt.Color("group:N", scale=colors, legend=None))
    line = alt.Chart(data).mark_line(point=True).encode(
        x=x, y=alt.Y("rate:Q", axis=pct_axis(f"Active in week {outcome_week} / share of users")),
        color=alt.Color("group:N", scale=colors, title=None), tooltip=tips)
    layers = [share, band, line]
    best = table[table["best"]]
    if len(best):
        k = int(best["threshold"].iloc[0])
        mark = pd.DataFrame({"threshold": [k], "text": [f"magic number: {k}"]})
        layers.append(alt.Chart(mark).mark_rule(strokeDash=[5, 3], color=RED).encode(x="threshold:O"))
        layers.append(alt.Chart(mark).mark_text(align="left", dx=4, dy=-120, color=RED, fontWeight="bold")
                      .encode(x="threshold:O", text="text:N"))
    return alt.layer(*layers).properties(width=WIDTH, height=300, title=alt.Title(
        title or f"Magic number: week-{outcome_week} activity by early {action}",
        subtitle="Lines: users at/above k vs below k (95% CI); bars: share of new users already at/above k"))


def metric_tree(tree: pd.DataFrame, title: str = "Metric tree: North Star, inputs, guardrail") -> alt.LayerChart:
    """The North Star on top, its inputs below, the guardrail to the side (dashed link), each box coloured
    by its trend (green better, red worse, grey flat or n/a) with the current value and change."""

    if tree is None or tree.empty:
        return _message("No metric tree: the params name no North Star candidate and no inputs.", title)
    t = tree.drop(columns=["dated_weeks"], errors="ignore").reset_index(drop=True).copy()  # lists of dates: not JSON
    inputs = t.index[t["role"] == "input"].tolist()
    pos = {}
    for i, r in t.iterrows():
        if r["role"] == "north_star":
            pos[i] = (0.0, 2.0)
    span = max(len(inputs) - 1, 1)
    for j, i in enumerate(inputs):
        pos[i] = (-1.05 + 2.1 * j / span if len(inputs) > 1 else 0.0, 0.0)
    for i in t.index[t["role"] == "guardrail"]:
        pos[i] = (2.05, 2.0)
    for j, i in enumerate(t.index[t["role"] == "outcome"]):
        pos[i] = (-2.05, 2.0 - 1.4 * j)  # what the North Star should lead: beside it, on the left
    t["x"] = [pos.get(i, (0, 0))[0] for i in t.index]
    t["y"] = [pos.get(i, (0, 0))[1] for i in t.index]
    t["role_text"] = t["role"].map({"north_star": "NORTH STAR", "input": "INPUT", "guardrail": "GUARDRAIL",
                                    "outcome": "OUTCOME (LAGS)"})
    t["value_text"] = [format_value(r["current"], r["unit"]) if not str(r["note"]).startswith(("skipped", "not comp"))
                       else "n/a" for _, r in t.iterrows()]
    t["change_text"] = [change_text(r).replace(" vs the previous 4", "") if r["value_text"] != "n/a" else
                        str(r["note"]) for _, r in t.iterrows()]
    # a move that only campaign or holiday weeks make (north_star.check_dated_events) is drawn grey, starred
    shown = t["without_status"] if "without_status" in t.columns else t["status"]
    starred = shown != t["status"]
    t.loc[starred, "change_text"] = t.loc[starred, "change_text"] + " *"
    t["colour"] = shown.map({"better": GREEN, "worse": RED}).fillna(GREY)
    edges = []
    top = t[t["role"] == "north_star"]
    if len(top):
        x0, y0 = float(top["x"].iloc[0]), float(top["y"].iloc[0])
        for _, r in t[t["role"] != "north_star"].iterrows():
            edges.append({"x": x0, "y": y0, "x2": r["x"], "y2": r["y"],
                          "kind": {"guardrail": "guards", "outcome": "leads"}.get(r["role"], "drives")})
    left = -2.6 if (t["role"] == "outcome").any() else -1.6
    scale_x, scale_y = alt.Scale(domain=[left, 2.6]), alt.Scale(domain=[-0.75, 2.75])
    enc = dict(x=alt.X("x:Q", scale=scale_x, axis=None), y=alt.Y("y:Q", scale=scale_y, axis=None))
    layers = []
    if edges:
        layers.append(alt.Chart(pd.DataFrame(edges)).mark_rule(color=GREY).encode(
            x2="x2:Q", y2="y2:Q", strokeDash=alt.StrokeDash("kind:N", scale=alt.Scale(
                domain=["drives", "guards", "leads"], range=[[1, 0], [5, 4], [2, 2]]), legend=None), **enc))
    tips = [alt.Tooltip("label:N", title="Metric"), alt.Tooltip("role:N", title="Role"),
            alt.Tooltip("value_text:N", title="Last 4 periods"), alt.Tooltip("change_text:N", title="Trend"),
            alt.Tooltip("note:N", title="Note")]
    base = alt.Chart(t).encode(tooltip=tips, **enc)
    half_w, half_h = 0.46, 0.62
    t["x0"], t["x1"], t["y0"], t["y1"] = t["x"] - half_w, t["x"] + half_w, t["y"] - half_h, t["y"] + half_h
    t["label_lines"] = [textwrap.wrap(str(v), 22)[:2] for v in t["label"]]
    t["change_lines"] = [textwrap.wrap(str(v), 26)[:2] for v in t["change_text"]]
    layers.append(alt.Chart(t).mark_rect(cornerRadius=6, opacity=0.95).encode(
        x=alt.X("x0:Q", scale=scale_x, axis=None), x2="x1:Q", y=alt.Y("y0:Q", scale=scale_y, axis=None), y2="y1:Q",
        color=alt.Color("colour:N", scale=None), tooltip=tips))
    layers.append(base.mark_text(dy=-48, fontSize=9, color="white").encode(text="role_text:N"))
    layers.append(base.mark_text(dy=-31, fontSize=11, color="white", fontWeight="bold").encode(text="label_lines"))
    layers.append(base.mark_text(dy=10, fontSize=17, color="white", fontWeight="bold").encode(text="value_text:N"))
    layers.append(base.mark_text(dy=32, fontSize=9, color="white").encode(text="change_lines"))
    return alt.layer(*layers).properties(width=WIDTH + 40, height=360, title=alt.Title(
        title, subtitle=["Green: better than the previous 4 periods; red: worse; grey: within noise or n/a. "
                         "Dashed: the guardrail" + ("; dotted: a lagging outcome the North Star should lead"
                                                    if (t["role"] == "outcome").any() else "")]
        + (["*: within its noise once the campaign and holiday weeks are left out"] if starred.any() else [])))
