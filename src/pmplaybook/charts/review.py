"""Charts of the weekly KPI review: the process behaviour chart of a KPI (weekly values, center line,
natural process limits, target, annotations, signals marked) and the Weekly Business Review's six weeks
beside twelve months. Each takes the small frames of :mod:`pmplaybook.review`."""

from __future__ import annotations

import altair as alt
import pandas as pd

from . import AMBER, GREY, RED, WIDTH

BLUE = "#1f4e79"
SIGNAL_WORDS = {"outside": "outside the limits", "run": "run of 8 on one side", "": "routine variation"}


def _axis(unit: str, title: str) -> alt.Axis:
    return alt.Axis(format=".0%" if unit == "share" else ",.2~f", title=title)


def _annotations(annotations, start, end) -> pd.DataFrame:
    rows = [{"date": pd.Timestamp(a.date), "label": a.label, "kind": a.kind} for a in annotations or []
            if pd.Timestamp(start) <= pd.Timestamp(a.date) <= pd.Timestamp(end)]
    return pd.DataFrame(rows, columns=["date", "label", "kind"])


def process_chart(chart: pd.DataFrame, *, label: str, unit: str, target: float | None = None, annotations=(),
                  width: int = WIDTH, height: int = 170) -> alt.LayerChart:
    """One KPI's process behaviour chart from :func:`pmplaybook.review.process_limits` output with a
    ``period`` column: the weekly values, the center line, the natural process limits (dashed), the
    target (amber) and the annotations (grey rules, labelled); signals are red points."""
    t = chart.copy()
    t["reading"] = t["signal"].map(SIGNAL_WORDS)
    fmt = ".1%" if unit == "share" else ",.2f"
    base = alt.Chart(t).encode(x=alt.X("period:T", title=None, axis=alt.Axis(format="%b %d")))
    tip = [alt.Tooltip("period:T", title="Week of"), alt.Tooltip("value:Q", title=label, format=fmt),
           alt.Tooltip("lower:Q", title="Lower limit", format=fmt), alt.Tooltip("upper:Q", title="Upper limit", format=fmt),
           alt.Tooltip("reading:N", title="Reading")]
    limits = alt.Chart(t[["center", "lower", "upper"]].drop_duplicates().tail(1))
    layers = [
        base.mark_line(color=BLUE).encode(y=alt.Y("value:Q", axis=_axis(unit, label), scale=alt.Scale(zero=False))),
        limits.mark_rule(color=GREY).encode(y="center:Q"),
        limits.mark_rule(color=GREY, strokeDash=[4, 3]).encode(y="lower:Q"),
        limits.mark_rule(color=GREY, strokeDash=[4, 3]).encode(y="upper:Q"),
        base.mark_point(filled=True, size=45).encode(
            y="value:Q", tooltip=tip,
            color=alt.Color("reading:N", title=None, scale=alt.Scale(
                domain=list(SIGNAL_WORDS.values()), range=[RED, RED, BLUE]))),
    ]
    if target is not None:
        layers.append(alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(color=AMBER, strokeWidth=2).encode(
            y="target:Q", tooltip=[alt.Tooltip("target:Q", title="Target", format=fmt)]))
    notes = _annotations(annotations, t["period"].min(), t["period"].max() + pd.Timedelta(days=6))
    if len(notes):
        rules = alt.Chart(notes).encode(x="date:T", tooltip=[alt.Tooltip("date:T", title="Date"),
                                                             alt.Tooltip("label:N", title="Annotation")])
        layers += [rules.mark_rule(color=GREY, opacity=0.6),
                   rules.mark_text(angle=270, align="left", baseline="bottom", dx=4, dy=-2, fontSize=9,
                                   color="#555", y=height).encode(text="label:N")]
    return alt.layer(*layers).properties(width=width, height=height, title=alt.Title(
        label, subtitle="Dashed: natural process limits; amber: target; red: a signal"))


def six_twelve_chart(weeks: pd.DataFrame, months: pd.DataFrame, *, label: str, unit: str,
                     target: float | None = None, limits: dict | None = None, annotations=()) -> alt.HConcatChart:
    """The WBR view: the trailing six weeks beside the trailing twelve months (each with the prior year
    dashed where the data reach back that far, and the target); on the weeks, the KPI's natural process
    limits (``limits``: center, lower, upper) and the annotations of those weeks."""
    fmt = ".1%" if unit == "share" else ",.2f"

    def panel(frame, title, date_format, extra=()):
        base = alt.Chart(frame).encode(x=alt.X("period:T", title=None, axis=alt.Axis(format=date_format)))
        tip = [alt.Tooltip("period:T", title="Period"), alt.Tooltip("value:Q", title=label, format=fmt),
               alt.Tooltip("prior_year_value:Q", title="A year earlier", format=fmt)]
        layers = [base.mark_line(color=BLUE, point=True).encode(
                      y=alt.Y("value:Q", axis=_axis(unit, None), scale=alt.Scale(zero=False)), tooltip=tip),
                  base.mark_line(color=GREY, strokeDash=[3, 3]).encode(y="prior_year_value:Q")]
        if target is not None:
            layers.append(alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(color=AMBER).encode(y="target:Q"))
        return alt.layer(*layers, *extra).properties(width=WIDTH // 2 - 40, height=150, title=title)

    extra = []
    if limits:
        band = alt.Chart(pd.DataFrame([limits]))
        extra += [band.mark_rule(color=GREY).encode(y="center:Q"),
                  band.mark_rule(color=GREY, strokeDash=[4, 3]).encode(y="lower:Q"),
                  band.mark_rule(color=GREY, strokeDash=[4, 3]).encode(y="upper:Q")]
    notes = _annotations(annotations, weeks["period"].min(), weeks["period"].max() + pd.Timedelta(days=6))
    if len(notes):
        extra.append(alt.Chart(notes).mark_rule(color=GREY, opacity=0.6).encode(
            x="date:T", tooltip=[alt.Tooltip("label:N", title="Annotation")]))
    return alt.hconcat(panel(weeks, "Trailing 6 weeks", "%b %d", extra), panel(months, "Trailing 12 months", "%b")
                       ).properties(title=alt.Title(label, subtitle="Solid: this year; dashed grey: a year earlier "
                                                                    "(none before the data start); amber: target"))


def stack(charts: list) -> alt.VConcatChart | None:
    """Charts one under the other (None when there are none)."""
    return alt.vconcat(*charts).resolve_scale(color="independent") if charts else None


def process_charts(ds, card: pd.DataFrame, annotations=()) -> alt.VConcatChart | None:
    """The process behaviour chart of every weekly KPI of a scorecard, one under the other."""
    from ..review import process_view

    rows = card[card["value"].notna()]
    return stack([process_chart(process_view(ds, r["kpi"]).reset_index(), label=r["label"], unit=r["unit"],
                                target=r["target"], annotations=annotations) for _, r in rows.iterrows()])


def wbr_charts(ds, card: pd.DataFrame, annotations=()) -> alt.VConcatChart | None:
    """The six-weeks-and-twelve-months view of every weekly KPI of a scorecard, one under the other, with
    each KPI's natural process limits on its weeks."""
    from ..review import process_view, wbr_view

    charts = []
    for _, r in card[card["value"].notna()].iterrows():
        view, limits = wbr_view(ds, r["kpi"]), process_view(ds, r["kpi"]).iloc[-1]
        charts.append(six_twelve_chart(view["weeks"], view["months"], label=r["label"], unit=r["unit"],
                                       target=r["target"], annotations=annotations,
                                       limits={k: limits[k] for k in ("center", "lower", "upper")}))
    return stack(charts)
