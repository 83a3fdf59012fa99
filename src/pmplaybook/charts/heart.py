"""Charts for HEART: NPS composition and trend, engagement distribution, feature adoption curve,
suggestion acceptance and task success by workflow over time.

Each builder takes one of the small tidy frames of :mod:`pmplaybook.heart` and returns an Altair chart
(never displays it). Intervals are drawn as bands or error bars; tooltips carry sizes and intervals.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from . import AMBER, GREEN, GREY, RED, WIDTH, pct_axis

_NPS_PARTS = ["detractors", "passives", "promoters"]


def _label(values: pd.Series, period: str | None) -> pd.Series:
    fmt = "%Y-%m" if period == "month" else "%Y-%m-%d"
    return pd.to_datetime(values).dt.strftime(fmt)


def nps_composition(table: pd.DataFrame, by: str | None = None, title: str = "Who answers what: NPS composition",
                    period: str | None = None) -> alt.Chart:
    """Stacked 100% bars of detractors (0-6), passives (7-8) and promoters (9-10), one bar per period or
    segment (``by`` = "period" / "segment"; default whichever the table has), from :func:`heart.nps`."""
    by = by or ("period" if "period" in table.columns else "segment" if "segment" in table.columns else None)
    t = table.copy()
    if by is None:
        t["label"] = "all answers"
    elif by == "period":
        t["label"] = _label(t["period"], period)
    else:
        t["label"] = t[by].astype(str)
    long = t.melt(id_vars=["label", "responses", "nps", "ci_low", "ci_high"], value_vars=_NPS_PARTS,
                  var_name="group", value_name="answers")
    long["share"] = long["answers"] / long["responses"]
    long["order"] = long["group"].map({g: i for i, g in enumerate(_NPS_PARTS)})
    horizontal = by != "period"
    cat = alt.Y("label:N", title=None, sort=None) if horizontal else alt.X("label:O", title=None)
    val = (alt.X if horizontal else alt.Y)("share:Q", stack="normalize", axis=pct_axis("Share of answers"))
    return alt.Chart(long).mark_bar().encode(
        cat, val,
        color=alt.Color("group:N", title=None, sort=_NPS_PARTS,
                        scale=alt.Scale(domain=_NPS_PARTS, range=[RED, GREY, GREEN])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("label:N", title=by or "all"), alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("answers:Q", title="Answers", format=","),
                 alt.Tooltip("share:Q", title="Share", format=".1%"),
                 alt.Tooltip("responses:Q", title="All answers", format=","),
                 alt.Tooltip("nps:Q", title="NPS", format="+.0f"),
                 alt.Tooltip("ci_low:Q", title="NPS 95% CI low", format="+.0f"),
                 alt.Tooltip("ci_high:Q", title="NPS 95% CI high", format="+.0f")],
    ).properties(width=WIDTH if not horizontal else WIDTH - 100,
                 height=300 if not horizontal else max(24 * t["label"].nunique(), 60),
                 title=alt.Title(title, subtitle="NPS = % promoters - % detractors"))


def nps_trend(table: pd.DataFrame, title: str = "NPS over time, with its 95% interval", period: str | None = None,
              target: float | None = None) -> alt.Chart:
    """NPS per period (a line) with its 95% interval (a band), from :func:`heart.nps` with ``period``;
    small samples are drawn hollow, an optional target as a dashed rule."""
    t = table.copy()
    t["label"] = _label(t["period"], period)
    t["reading"] = t["small_sample"].map({True: "fewer than 30 answers", False: "enough answers"})
    base = alt.Chart(t).encode(x=alt.X("period:T", title=None))
    tooltip = [alt.Tooltip("label:N", title="Period"), alt.Tooltip("nps:Q", title="NPS", format="+.1f"),
               alt.Tooltip("ci_low:Q", title="95% CI low", format="+.1f"),
               alt.Tooltip("ci_high:Q", title="95% CI high", format="+.1f"),
               alt.Tooltip("responses:Q", title="Answers", format=","),
               alt.Tooltip("promoters:Q", title="Promoters", format=","),
               alt.Tooltip("detractors:Q", title="Detractors", format=","),
               alt.Tooltip("reading:N", title="Sample")]
    band = base.mark_area(opacity=0.2, color=GREY).encode(y="ci_low:Q", y2="ci_high:Q")
    line = base.mark_line(color="#1f4e79").encode(y=alt.Y("nps:Q", title="NPS (points)"))
    points = base.mark_point(filled=True, size=50, color="#1f4e79").encode(
        y="nps:Q", shape=alt.Shape("reading:N", title=None), tooltip=tooltip)
    layers = [band, line, points]
    if target is not None:
        layers.append(alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(strokeDash=[4, 4], color=AMBER)
                      .encode(y="target:Q", tooltip=[alt.Tooltip("target:Q", title="Target")]))
    return alt.layer(*layers).properties(width=WIDTH, height=260, title=alt.Title(
        title, subtitle="Band = 95% interval; a change inside the band is noise"))


_SURVEY_AXIS = {"csat": ("CSAT (share of 4-5)", ".0%"), "ces": ("CES (mean, 1-7)", ".2f")}


def survey_trends(tables: dict, period: str | None = "month",
                  title: str = "CSAT and CES per month, with their 95% intervals") -> alt.VConcatChart:
    """One panel per survey of ``tables`` (``{"csat": csat(..., period=...), "ces": ces(...)}``; None or empty
    tables are left out): the value per period as a line, its 95% interval as a band, small samples hollow."""
    panels = []
    for survey, table in tables.items():
        if table is None or not len(table):
            continue
        t = table.copy()
        t["label"] = _label(t["period"], period)
        t["reading"] = t["small_sample"].map({True: "fewer than 30 answers", False: "enough answers"})
        name, fmt = _SURVEY_AXIS[survey]
        base = alt.Chart(t).encode(x=alt.X("period:T", title=None))
        tip = [alt.Tooltip("label:N", title="Period"), alt.Tooltip(f"{survey}:Q", title=name, format=fmt),
               alt.Tooltip("ci_low:Q", title="95% CI low", format=fmt),
               alt.Tooltip("ci_high:Q", title="95% CI high", format=fmt),
               alt.Tooltip("responses:Q", title="Answers", format=","), alt.Tooltip("reading:N", title="Sample")]
        y = alt.Y(f"{survey}:Q", title=name, scale=alt.Scale(zero=False),
                  axis=pct_axis(name) if survey == "csat" else alt.Axis(title=name))
        panels.append(alt.layer(
            base.mark_area(opacity=0.2, color=GREY).encode(y="ci_low:Q", y2="ci_high:Q"),
            base.mark_line(color="#1f4e79").encode(y=y),
            base.mark_point(filled=True, size=50, color="#1f4e79").encode(
                y=f"{survey}:Q", shape=alt.Shape("reading:N", title=None), tooltip=tip),
        ).properties(width=WIDTH, height=180))
    if not panels:
        return alt.vconcat(alt.Chart(pd.DataFrame({"x": []})).mark_point()).properties(title="No CSAT or CES answers")
    return alt.vconcat(*panels).properties(title=alt.Title(
        title, subtitle="Band = 95% interval; a change inside the band is noise"))


def engagement_distribution(dist: pd.DataFrame, key_action_label: str = "key actions",
                            title: str = "How engaged are weekly active users?") -> alt.HConcatChart:
    """Two histograms from :func:`heart.engagement_distribution`: days active per week (the 5+ day block
    in green, Gmail's signal) and key actions per week."""
    days = dist[dist["measure"] == "active_days"].copy()
    days["group"] = (days["order"] >= 5).map({True: "5+ days", False: "fewer"})
    acts = dist[dist["measure"] == "key_actions"].copy()
    tip = [alt.Tooltip("bucket:N", title="Bucket"), alt.Tooltip("user_periods:Q", title="User-weeks", format=","),
           alt.Tooltip("share:Q", title="Share", format=".1%")]
    left = alt.Chart(days).mark_bar().encode(
        x=alt.X("bucket:O", sort=alt.SortField("order"), title="Days active in the week"),
        y=alt.Y("share:Q", axis=pct_axis("Share of weekly active users")),
        color=alt.Color("group:N", title=None, scale=alt.Scale(domain=["fewer", "5+ days"], range=[GREY, GREEN])),
        tooltip=tip).properties(width=WIDTH // 2 - 20, height=240, title="Active days per week")
    right = alt.Chart(acts).mark_bar(color="#1f4e79").encode(
        x=alt.X("bucket:O", sort=alt.SortField("order"), title=f"{key_action_label.capitalize()} in the week"),
        y=alt.Y("share:Q", axis=pct_axis("Share of weekly active users")),
        tooltip=tip).properties(width=WIDTH // 2 - 20, height=240,
                                title=f"{key_action_label.capitalize()} per week")
    return alt.hconcat(left, right).properties(title=alt.Title(
        title, subtitle="Each active user counted once per week, over the last complete weeks"))


def engagement_trend(table: pd.DataFrame, title: str = "Engagement intensity per week") -> alt.VConcatChart:
    """Key actions per active user and the five-day share over complete periods (from :func:`heart.engagement`)."""
    t = table[table["complete"]].copy()
    tip = [alt.Tooltip("period:T", title="Week of"), alt.Tooltip("active_users:Q", title="Active users", format=","),
           alt.Tooltip("key_actions_per_active_user:Q", title="Key actions per user", format=".2f"),
           alt.Tooltip("five_day_share:Q", title="Active 5+ days", format=".1%"),
           alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
           alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%")]
    base = alt.Chart(t).encode(x=alt.X("period:T", title=None))
    top = base.mark_line(point=True, color="#1f4e79").encode(
        y=alt.Y("key_actions_per_active_user:Q", title="Key actions per active user"), tooltip=tip
    ).properties(width=WIDTH, height=160)
    band = base.mark_area(opacity=0.2, color=GREEN).encode(y="ci_low:Q", y2="ci_high:Q")
    share = base.mark_line(point=True, color=GREEN).encode(
        y=alt.Y("five_day_share:Q", axis=pct_axis("Active on 5+ days")), tooltip=tip)
    return alt.vconcat(top, alt.layer(band, share).properties(width=WIDTH, height=160)).properties(
        title=alt.Title(title, subtitle="Per-user ratios: they move when behaviour changes, not when users are added"))


def adoption_curve(table: pd.DataFrame, feature: str = "the feature",
                   title: str | None = None) -> alt.LayerChart:
    """The adoption curve from :func:`heart.feature_adoption`: cumulative share of users active since launch
    who have tried the feature (line and 95% band), and each week's share of active users using it (complete
    weeks only: a week in progress would understate its usage)."""
    t = table[table["complete"]].copy() if table["complete"].any() else table.copy()
    long = pd.concat([
        t.assign(series="tried it since launch (cumulative)", value=t["cumulative_rate"],
                 low=t["cumulative_ci_low"], high=t["cumulative_ci_high"]),
        t.assign(series="used it this week", value=t["usage_rate"], low=float("nan"), high=float("nan")),
        t.assign(series="first use this week", value=t["rate"], low=t["ci_low"], high=t["ci_high"]),
    ])
    tip = [alt.Tooltip("period:T", title="Week of"), alt.Tooltip("series:N", title="Series"),
           alt.Tooltip("value:Q", title="Share", format=".1%"), alt.Tooltip("low:Q", title="95% CI low", format=".1%"),
           alt.Tooltip("high:Q", title="95% CI high", format=".1%"),
           alt.Tooltip("active_users:Q", title="Active users", format=","),
           alt.Tooltip("new_adopters:Q", title="New adopters", format=","),
           alt.Tooltip("cumulative_adopters:Q", title="Adopters so far", format=",")]
    base = alt.Chart(long).encode(x=alt.X("period:T", title=None),
                                  color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")))
    band = base.transform_filter("isValid(datum.low)").mark_area(opacity=0.15).encode(y="low:Q", y2="high:Q")
    line = base.mark_line(point=True).encode(y=alt.Y("value:Q", axis=pct_axis("Share of active users")),
                                             tooltip=tip)
    # the line layer first, so the legend shows line symbols rather than faint band swatches
    return alt.layer(line, band).properties(width=WIDTH, height=280, title=alt.Title(
        title or f"Adoption of {feature}", subtitle="From the launch week; bands = 95% intervals"))


def acceptance_trend(table: pd.DataFrame, title: str = "Suggestions accepted and edited") -> alt.LayerChart:
    """Acceptance and edit rates per period with 95% bands, from :func:`heart.suggestion_acceptance`."""
    t = table.copy()
    long = pd.concat([
        t.assign(series="accepted / shown", value=t["acceptance_rate"], low=t["acceptance_ci_low"],
                 high=t["acceptance_ci_high"]),
        t.assign(series="edited / shown", value=t["edit_rate"], low=t["edit_ci_low"], high=t["edit_ci_high"]),
    ]).dropna(subset=["value"])
    tip = [alt.Tooltip("period:T", title="Period"), alt.Tooltip("series:N", title="Rate"),
           alt.Tooltip("value:Q", title="Rate", format=".1%"), alt.Tooltip("low:Q", title="95% CI low", format=".1%"),
           alt.Tooltip("high:Q", title="95% CI high", format=".1%"), alt.Tooltip("shown:Q", title="Shown", format=",")]
    base = alt.Chart(long).encode(x=alt.X("period:T", title=None),
                                  color=alt.Color("series:N", title=None, scale=alt.Scale(range=[GREEN, AMBER])))
    return alt.layer(base.mark_line(point=True).encode(y=alt.Y("value:Q", axis=pct_axis("Share of suggestions shown")),
                                                       tooltip=tip),
                     base.mark_area(opacity=0.15).encode(y="low:Q", y2="high:Q"),
                     ).properties(width=WIDTH, height=240, title=alt.Title(title, subtitle="Bands = 95% intervals"))


def task_success_trend(table: pd.DataFrame, metric: str = "error_rate", change_date=None,
                       title: str | None = None) -> alt.LayerChart:
    """A task-success rate per workflow over time (from :func:`heart.task_success` with ``period``), one
    line per workflow with its 95% band; an optional dashed rule marks a release / change date."""
    if metric not in ("error_rate", "completion_rate"):
        raise ValueError(f"metric={metric!r}: use 'error_rate' or 'completion_rate'")
    prefix = "error" if metric == "error_rate" else "completion"
    t = table.copy()
    colour_by = "segment" if "segment" in t.columns and t["workflow"].nunique() == 1 else "workflow"
    tip = [alt.Tooltip("period:T", title="Period"), alt.Tooltip(f"{colour_by}:N"),
           alt.Tooltip(f"{metric}:Q", title=metric.replace("_", " ").capitalize(), format=".1%"),
           alt.Tooltip(f"{prefix}_ci_low:Q", title="95% CI low", format=".1%"),
           alt.Tooltip(f"{prefix}_ci_high:Q", title="95% CI high", format=".1%"),
           alt.Tooltip("attempts:Q", title="Attempts", format=","),
           alt.Tooltip("median_seconds:Q", title="Median time on task (s)", format=".0f")]
    base = alt.Chart(t).encode(x=alt.X("period:T", title=None), color=alt.Color(f"{colour_by}:N", title=colour_by))
    layers = [base.mark_line(point=alt.OverlayMarkDef(size=20)).encode(
                  y=alt.Y(f"{metric}:Q", axis=pct_axis(metric.replace("_", " ").capitalize())), tooltip=tip),
              base.mark_area(opacity=0.12).encode(y=f"{prefix}_ci_low:Q", y2=f"{prefix}_ci_high:Q")]
    if change_date is not None:
        rule = pd.DataFrame({"date": [pd.Timestamp(change_date)], "label": ["change"]})
        layers.append(alt.Chart(rule).mark_rule(color=RED, strokeDash=[4, 4]).encode(
            x="date:T", tooltip=[alt.Tooltip("date:T", title="Change from")]))
    name = "Error rate" if metric == "error_rate" else "Completion rate"
    caption = "Bands = 95% intervals" + ("; dashed line = detected change" if change_date is not None else "")
    return alt.layer(*layers).properties(width=WIDTH, height=280, title=alt.Title(
        title or f"{name} by {colour_by} over time", subtitle=caption))


def time_on_task(table: pd.DataFrame, title: str = "Time on task by workflow") -> alt.Chart:
    """Median and 90th-percentile time on task per workflow (from :func:`heart.task_success` without period)."""
    t = table.copy()
    t["median_minutes"], t["p90_minutes"] = t["median_seconds"] / 60, t["p90_seconds"] / 60
    tip = [alt.Tooltip("workflow:N"), alt.Tooltip("median_minutes:Q", title="Median (min)", format=".1f"),
           alt.Tooltip("p90_minutes:Q", title="90th percentile (min)", format=".1f"),
           alt.Tooltip("completed:Q", title="Completed attempts", format=",")]
    base = alt.Chart(t).encode(y=alt.Y("workflow:N", title=None))
    return alt.layer(
        base.mark_rule(color=GREY).encode(x=alt.X("median_minutes:Q", title="Minutes from start to completion"),
                                          x2="p90_minutes:Q", tooltip=tip),
        base.mark_point(filled=True, size=80, color="#1f4e79").encode(x="median_minutes:Q", tooltip=tip),
        base.mark_tick(color=AMBER, thickness=2).encode(x="p90_minutes:Q", tooltip=tip),
    ).properties(width=WIDTH - 100, height=max(28 * len(t), 60),
                 title=alt.Title(title, subtitle="Dot = median, tick = 90th percentile"))
