"""Charts for AI product metrics: the precision-recall curve and the threshold trade-off, the confusion
matrix, latency and cost per week, the trust metrics, drift (PSI), precision and recall per segment, and
retention of the users who accept suggestions.

Each builder takes one of the small tidy frames of :mod:`pmplaybook.ai` and returns an Altair chart (never
displays it). Intervals are 95% Wilson intervals, drawn as bands or error bars; tooltips carry counts and
intervals. Periods that are not over yet are drawn as faded hollow points, never joined to the lines.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..ai.quality import COLUMNS as _CLASSIFICATION_COLUMNS
from . import AMBER, GREEN, GREY, RED, WIDTH, pct_axis

INK = "#1f4e79"  # the playbook's single-series blue

#: Readable names of the trust metrics of :data:`pmplaybook.ai.TRUST_METRICS`.
TRUST_LABELS = {
    "acceptance_without_edits": "Accepted without edits",
    "edit_rate": "Accepted after editing",
    "override_rate": "Replaced by the user's own answer",
    "human_in_the_loop": "Fixed by a person (edited or replaced)",
    "rejection_rate": "Dismissed",
    "coverage": "Coverage (predictions shown)",
}
DEFAULT_TRUST = ("acceptance_without_edits", "edit_rate", "human_in_the_loop", "coverage")

#: Siddiqi's rule of thumb for the PSI: (value, label, colour).
PSI_RULES = ((0.1, "moderate shift (0.1)", AMBER), (0.25, "significant shift (0.25)", RED))

_LATENCY_KNOWN = {"period", "predictions", "slo_ms", "within_slo", "complete"}
_COST_KNOWN = {"period", "predictions", "cost", "cost_per_1k", "accepted", "cost_per_accepted", "complete"}
_TRUST_KNOWN = {"period", "metric", "count", "n", "rate", "ci_low", "ci_high", "complete"}
_DRIFT_KNOWN = {"period", "n", "psi", "reading", "in_reference", "complete"}


# ------------------------------------------------------------------------------------------ helpers

def _segment_of(frame: pd.DataFrame, known) -> str | None:
    """The frame's segment column, or None; several segment columns are joined into one ``segment``."""
    extra = [c for c in frame.columns if c not in known]
    if not extra:
        return None
    if len(extra) == 1:
        return extra[0]
    frame["segment"] = frame[extra].astype(str).agg(" / ".join, axis=1)
    return "segment"


def _row(row) -> dict:
    """One row of a classification table as a dict, from a dict, a Series or a one-row DataFrame."""
    if isinstance(row, pd.DataFrame):
        if len(row) != 1:
            raise ValueError(f"confusion_matrix() takes one row of a classification table, got {len(row)} rows. "
                             "Fix: pick one, e.g. table[table.threshold == 0.5].iloc[0]")
        row = row.iloc[0]
    out = dict(row)
    missing = [k for k in ("tp", "fp", "fn", "tn") if k not in out]
    if missing:
        raise ValueError(f"confusion_matrix(): the row lacks {', '.join(missing)}. Fix: pass a row of "
                         "ai.classification() or the dict of ai.choose_threshold()")
    return out


def _nearest(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The rows (one per segment) whose threshold is closest to ``threshold``."""
    gap = (table["threshold"] - threshold).abs()
    return table[gap == gap.min()]


def _rollout_layer(rollout, label: str, periods: pd.Series) -> list:
    """A dashed vertical rule at ``rollout`` and its label at the top of the plot: to the right of the rule,
    or to its left when the rule stands in the right part of the weeks drawn (the text would run off)."""
    day = pd.Timestamp(rollout)
    frame = pd.DataFrame({"date": [day], "label": [label]})
    first, last = pd.to_datetime(periods).min(), pd.to_datetime(periods).max()
    left = pd.notna(first) and last > first and (day - first) / (last - first) > 0.7
    rule = alt.Chart(frame).mark_rule(color=GREY, strokeDash=[5, 3], strokeWidth=1.5).encode(
        x="date:T", tooltip=[alt.Tooltip("label:N", title="Change"), alt.Tooltip("date:T", title="From")])
    text = alt.Chart(frame).mark_text(align="right" if left else "left", baseline="top", dx=-4 if left else 4, dy=2,
                                      fontSize=11, color="#555").encode(x="date:T", y=alt.value(0), text="label:N")
    return [rule, text]


def _dash(segment: str | None):
    """One dash pattern per segment value; its legend shows strokes, not the points drawn on the lines."""
    if not segment:
        return alt.Undefined
    return alt.StrokeDash(f"{segment}:N", title=segment,
                          legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#333", symbolSize=300))


def _lines(frame: pd.DataFrame, x, y, colour, segment: str | None, tooltip: list, size: int = 25) -> list:
    """Lines (one dash pattern per segment value) and their points, as two layers: a point drawn over the
    line by the line mark itself would hide the dash pattern in the legend."""
    detail = f"{segment}:N" if segment else alt.Undefined
    return [alt.Chart(frame).mark_line(strokeWidth=2).encode(x=x, y=y, color=colour, strokeDash=_dash(segment),
                                                             detail=detail),
            alt.Chart(frame).mark_point(filled=True, size=size, opacity=1).encode(x=x, y=y, color=colour,
                                                                                  detail=detail, tooltip=tooltip)]


def _faded(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The complete periods and the incomplete ones (all complete when there is no ``complete`` column)."""
    if "complete" not in frame.columns:
        return frame, frame.iloc[0:0]
    done = frame["complete"].astype(bool)
    return frame[done], frame[~done]


def _label_text(rows: pd.DataFrame, text: str) -> pd.DataFrame:
    out = rows.copy()
    out["label"] = text
    return out


# ------------------------------------------------------------------------------------ quality charts

def _pr_tooltip(segment: str | None) -> list:
    tip = [alt.Tooltip(f"{segment}:N")] if segment else []
    return tip + [
        alt.Tooltip("threshold:Q", title="Threshold", format=".2f"),
        alt.Tooltip("precision:Q", title="Precision", format=".1%"),
        alt.Tooltip("precision_low:Q", title="Precision 95% CI low", format=".1%"),
        alt.Tooltip("precision_high:Q", title="Precision 95% CI high", format=".1%"),
        alt.Tooltip("recall:Q", title="Recall", format=".1%"),
        alt.Tooltip("recall_low:Q", title="Recall 95% CI low", format=".1%"),
        alt.Tooltip("recall_high:Q", title="Recall 95% CI high", format=".1%"),
        alt.Tooltip("f1:Q", title="F1", format=".3f"),
        alt.Tooltip("flagged:Q", title="Share shown", format=".1%"),
        alt.Tooltip("tp:Q", title="Shown and right (TP)", format=","),
        alt.Tooltip("fp:Q", title="Shown but wrong (FP)", format=","),
        alt.Tooltip("fn:Q", title="Withheld but right (FN)", format=","),
        alt.Tooltip("n:Q", title="Labelled predictions", format=","),
    ]


def _goal_text(chosen: dict) -> str:
    goal, target = chosen.get("goal"), chosen.get("target")
    if goal == "min_precision" and target is not None:
        return f"precision >= {target:.0%}"
    if goal == "min_recall" and target is not None:
        return f"recall >= {target:.0%}"
    if goal == "least_cost":
        return "least expected cost"
    return "chosen"


def _marker(rows: pd.DataFrame, text: str, colour: str, shape: str, x: str, y: str, tooltip: list,
            below_left: bool) -> list:
    """A marked point on a curve with its label. A precision-recall curve falls to the right, so below-left
    and above-right of any point on it are empty: the label goes there. One label for several points
    (segments): at the lowest one (below-left) or the highest (above-right)."""
    data = _label_text(rows, text)
    point = alt.Chart(data).mark_point(filled=True, size=140, shape=shape, color=colour, stroke="white",
                                       strokeWidth=1).encode(x=f"{x}:Q", y=f"{y}:Q", tooltip=tooltip)
    one = data.nsmallest(1, y) if below_left else data.nlargest(1, y)
    dy = 16 if below_left else -12
    label = alt.Chart(one).mark_text(align="right" if below_left else "left", dx=-8 if below_left else 10, dy=dy,
                                     fontSize=11, fontWeight="bold", color=colour).encode(
        x=f"{x}:Q", y=f"{y}:Q", text="label:N")
    return [point, label]


PR_HEIGHT = 360


def pr_curve(classification: pd.DataFrame, threshold: float | None = None, chosen: dict | None = None,
             title: str = "Precision against recall, one point per threshold") -> alt.LayerChart:
    """The precision-recall curve from :func:`pmplaybook.ai.classification` (one line per value when the
    table has a segment column), the product's ``threshold`` marked with a black dot and a label, and an
    optional ``chosen`` threshold (the dict of :func:`pmplaybook.ai.choose_threshold`) as an amber diamond."""
    t = classification.copy()
    segment = _segment_of(t, _CLASSIFICATION_COLUMNS)
    t = t.dropna(subset=["precision", "recall"]).sort_values([*([segment] if segment else []), "threshold"])
    tip = _pr_tooltip(segment)
    x = alt.X("recall:Q", axis=pct_axis("Recall: share of the right answers that are shown"),
              scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("precision:Q", axis=pct_axis("Precision: share of shown that is right"), scale=alt.Scale(domain=[0, 1]))
    colour = alt.Color(f"{segment}:N", title=segment) if segment else alt.value(INK)
    base = alt.Chart(t).encode(x=x, y=y, order=alt.Order("threshold:Q"))
    layers = [base.mark_line(strokeWidth=2).encode(color=colour, detail=f"{segment}:N" if segment else alt.Undefined),
              base.mark_point(filled=True, size=30).encode(color=colour, tooltip=tip)]
    product_corner = None
    if threshold is not None:
        rows = _nearest(t, float(threshold))
        at = float(rows["threshold"].iloc[0]) if len(rows) else float(threshold)
        text = f"product threshold {at:.2f}" if abs(at - threshold) < 1e-9 else \
            f"nearest to the product threshold: {at:.2f}"
        # below-left unless too near the left edge for the text
        product_corner = not len(rows) or rows["recall"].min() > 0.3
        layers += _marker(rows, text, "black", "circle", "recall", "precision", tip, below_left=product_corner)
    if chosen is not None:
        rows = pd.DataFrame([{k: chosen.get(k) for k in ("threshold", "precision", "recall", "f1", "flagged",
                                                          "tp", "fp", "fn", "n")}])
        rows["goal"] = _goal_text(chosen)
        text = f"chosen {rows['threshold'].iloc[0]:.2f} ({rows['goal'].iloc[0]})"
        ctip = [alt.Tooltip("goal:N", title="Goal")] + _pr_tooltip(None)
        corner = float(rows["recall"].iloc[0]) > 0.7  # above-right unless too near the right edge
        if threshold is not None and corner == product_corner:
            # both labels would share a corner: this one goes to the plot's bottom-left corner, which lies
            # below-left of every point of the curve and so is always empty
            marks = _marker(rows, "", AMBER, "diamond", "recall", "precision", ctip, below_left=corner)[:1]
            marks.append(alt.Chart(_label_text(rows, f"diamond: {text}")).mark_text(
                align="left", baseline="bottom", fontSize=11, fontWeight="bold", color=AMBER).encode(
                x=alt.value(8), y=alt.value(PR_HEIGHT - 8), text="label:N"))
            layers += marks
        else:
            layers += _marker(rows, text, AMBER, "diamond", "recall", "precision", ctip, below_left=corner)
    return alt.layer(*layers).properties(width=WIDTH - 140, height=PR_HEIGHT, title=alt.Title(
        title,
        subtitle="Raising the threshold moves left along the curve: fewer suggestions shown, more of them right"))


def precision_recall_by_threshold(classification: pd.DataFrame, threshold: float | None = None,
                                  title: str = "Precision, recall and F1 at each threshold") -> alt.LayerChart:
    """Precision, recall and F1 against the threshold (from :func:`pmplaybook.ai.classification`), with
    95% Wilson bands for precision and recall and a vertical rule at the product's ``threshold``; a segment
    column draws one dash pattern per value."""
    t = classification.copy()
    segment = _segment_of(t, _CLASSIFICATION_COLUMNS)
    keep = [*([segment] if segment else []), "threshold", "n", "tp", "fp", "fn", "flagged"]
    long = pd.concat([
        t[keep].assign(measure="Precision", value=t["precision"], low=t["precision_low"], high=t["precision_high"]),
        t[keep].assign(measure="Recall", value=t["recall"], low=t["recall_low"], high=t["recall_high"]),
        t[keep].assign(measure="F1", value=t["f1"], low=np.nan, high=np.nan),
    ], ignore_index=True).dropna(subset=["value"])
    order = ["Precision", "Recall", "F1"]
    tip = ([alt.Tooltip(f"{segment}:N")] if segment else []) + [
        alt.Tooltip("threshold:Q", title="Threshold", format=".2f"), alt.Tooltip("measure:N", title="Measure"),
        alt.Tooltip("value:Q", title="Value", format=".1%"), alt.Tooltip("low:Q", title="95% CI low", format=".1%"),
        alt.Tooltip("high:Q", title="95% CI high", format=".1%"),
        alt.Tooltip("flagged:Q", title="Share shown", format=".1%"),
        alt.Tooltip("tp:Q", title="TP", format=","), alt.Tooltip("fp:Q", title="FP", format=","),
        alt.Tooltip("fn:Q", title="FN", format=","), alt.Tooltip("n:Q", title="Labelled predictions", format=",")]
    colour = alt.Color("measure:N", title=None, sort=order, scale=alt.Scale(domain=order, range=[INK, GREEN, AMBER]))
    x = alt.X("threshold:Q", scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format=".1f", title="Threshold (shown when the score is at or above it)"))
    base = alt.Chart(long).encode(x=x, color=colour)
    dash = _dash(segment)
    y = alt.Y("value:Q", axis=pct_axis("Rate"), scale=alt.Scale(domain=[0, 1]))
    layers = [base.mark_line(strokeWidth=2).encode(y=y, strokeDash=dash, tooltip=tip),
              base.transform_filter("isValid(datum.low)").mark_area(opacity=0.18).encode(
                  y="low:Q", y2="high:Q", detail=f"{segment}:N" if segment else alt.Undefined)]
    if threshold is not None:
        rule = pd.DataFrame({"threshold": [float(threshold)], "label": [f"product threshold {threshold:.2f}"]})
        layers.append(alt.Chart(rule).mark_rule(color="black", strokeDash=[4, 4]).encode(
            x="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", title="Product threshold", format=".2f")]))
        left = threshold < 0.75  # the label to the rule's right, unless too near the right edge
        layers.append(alt.Chart(rule).mark_text(align="left" if left else "right", dx=5 if left else -5,
                                                baseline="top", dy=2, fontSize=11).encode(
            x="threshold:Q", y=alt.value(0), text="label:N"))
    return alt.layer(*layers).properties(width=WIDTH, height=300, title=alt.Title(
        title, subtitle="Higher threshold: precision up, recall down; F1 balances the two. Bands = 95% intervals"))


_CELLS = [  # (key, decision, truth, label, correct)
    ("tp", "shown", "right", "shown and right (TP)", True),
    ("fp", "shown", "wrong", "shown but wrong (FP)", False),
    ("fn", "withheld", "right", "withheld, would have been right (FN)", False),
    ("tn", "withheld", "wrong", "withheld, would have been wrong (TN)", True),
]


def confusion_matrix(row, title: str | None = None) -> alt.LayerChart:
    """A 2x2 heatmap of one row of :func:`pmplaybook.ai.classification` (a dict, Series or one-row frame
    with ``tp, fp, fn, tn`` and ``threshold``): what the model showed or withheld against what the label
    says, each cell with its count and share of the labelled predictions. Green cells are right decisions,
    red cells mistakes; the darker, the larger the share."""
    r = _row(row)
    n = sum(int(r[k]) for k in ("tp", "fp", "fn", "tn"))
    cells = pd.DataFrame([{"key": k, "decision": d, "truth": tr, "cell": label, "correct": ok,
                           "count": int(r[k]), "share": int(r[k]) / n if n else np.nan}
                          for k, d, tr, label, ok in _CELLS])
    cells["verdict"] = np.where(cells["correct"], "right decision", "mistake")
    cells["text"] = [f"{c}\n{v:,} ({s:.1%})" if s == s else f"{c}\n{v:,}"
                     for c, v, s in zip(cells["cell"], cells["count"], cells["share"])]
    threshold = r.get("threshold")
    at = f" at threshold {float(threshold):.2f}" if threshold is not None and threshold == threshold else ""
    decision = ["shown", "withheld"]
    truth = ["right", "wrong"]
    base = alt.Chart(cells).encode(
        x=alt.X("decision:N", sort=decision, title="What the model did",
                axis=alt.Axis(orient="top", labelAngle=0, labelExpr="datum.value == 'shown' ? "
                              "'shown (score at or above)' : 'withheld (score below)'", labelLimit=260)),
        y=alt.Y("truth:N", sort=truth, title="What the label says",
                axis=alt.Axis(labelExpr="datum.value == 'right' ? 'would be right' : 'would be wrong'",
                              labelLimit=160)),
        tooltip=[alt.Tooltip("cell:N", title="Cell"), alt.Tooltip("count:Q", title="Predictions", format=","),
                 alt.Tooltip("share:Q", title="Share of labelled predictions", format=".1%"),
                 alt.Tooltip("verdict:N", title="Decision")])
    rect = base.mark_rect(stroke="white", strokeWidth=3).encode(
        color=alt.Color("verdict:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=["right decision", "mistake"], range=[GREEN, RED])),
        opacity=alt.Opacity("share:Q", scale=alt.Scale(domain=[0, 0.6], range=[0.15, 0.8], clamp=True), legend=None))
    text = base.mark_text(fontSize=12, lineBreak="\n", color="#111").encode(text="text:N")
    return alt.layer(rect, text).properties(width=440, height=200, title=alt.Title(
        title or f"What the model shows and withholds{at}",
        subtitle=f"{n:,} predictions with a known label; green = right decision, red = mistake, darker = more"))


# ------------------------------------------------------------------------------------ serving charts

def _infer_rollout_label(frame: pd.DataFrame, segment: str | None, rollout) -> str:
    day = pd.Timestamp(rollout)
    if segment:
        first = frame.groupby(segment)["period"].min()
        new = [str(v) for v, start in first.items() if start >= day - pd.Timedelta(days=6)]
        if len(new) == 1:
            return f"{new[0]} from {day:%Y-%m-%d}"
    return f"change on {day:%Y-%m-%d}"


def latency_trend(latency: pd.DataFrame, slo_ms: float | None = None, slo_percentile: float = 90, rollout=None,
                  rollout_label: str | None = None,
                  title: str = "Model latency per week, in percentiles") -> alt.LayerChart:
    """Latency percentiles per period (from :func:`pmplaybook.ai.latency` with ``period``), one line per
    percentile column on a log scale (the slow tail sits several times above the median), an optional SLO
    as a red dashed rule (``slo_ms``; the table's ``slo_ms`` column when not given) and an optional
    ``rollout`` date as a grey rule with a label. A segment column (``model``) draws one dash pattern per
    value. Periods not over yet are faded points."""
    t = latency.copy()
    pcols = [c for c in t.columns if c.startswith("p") and c[1:].replace(".", "", 1).isdigit()]
    if "period" not in t.columns or not pcols:
        raise ValueError("latency_trend() needs ai.latency(..., period='week'): a period column and p50, p90 ...")
    segment = _segment_of(t, _LATENCY_KNOWN | set(pcols))
    if slo_ms is None and "slo_ms" in t.columns and t["slo_ms"].notna().any():
        slo_ms = float(t["slo_ms"].dropna().iloc[0])
    keys = ["period", *([segment] if segment else []), "predictions", "complete"]
    if "complete" not in t.columns:
        t["complete"] = True
    long = t[keys + pcols].melt(id_vars=keys, value_vars=pcols, var_name="percentile", value_name="ms")
    long["status"] = np.where(long["complete"], "complete", "week not over yet")
    done, partial = _faded(long)
    tip = [alt.Tooltip("period:T", title="Week of"), *([alt.Tooltip(f"{segment}:N")] if segment else []),
           alt.Tooltip("percentile:N", title="Percentile"), alt.Tooltip("ms:Q", title="Latency (ms)", format=",.0f"),
           alt.Tooltip("predictions:Q", title="Predictions", format=","), alt.Tooltip("status:N", title="Period")]
    top = max(float(long["ms"].max()) if len(long) else 1000.0, slo_ms or 0)
    low = min(float(long["ms"].min()) if len(long) else 100.0, slo_ms or np.inf)
    y = alt.Y("ms:Q", title="Latency (ms, log scale)",
              scale=alt.Scale(type="log", domain=[low * 0.75, top * 1.3], nice=False),
              axis=alt.Axis(format=",.0f", values=[v for v in (50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000,
                                                               50000, 100000)]))
    colour = alt.Color("percentile:N", title="Percentile", sort=pcols,
                       scale=alt.Scale(domain=pcols, range=[INK, AMBER, RED, "#6a1b9a", GREY][:len(pcols)]))
    layers = [
        *_lines(done, alt.X("period:T", title=None), y, colour, segment, tip),
        alt.Chart(partial).mark_point(size=40, opacity=0.45).encode(x="period:T", y="ms:Q", color=colour, tooltip=tip),
    ]
    if slo_ms is not None:
        rule = pd.DataFrame({"ms": [float(slo_ms)], "label": [f"SLO: p{slo_percentile:g} at most {slo_ms:,.0f} ms"]})
        layers.append(alt.Chart(rule).mark_rule(color=RED, strokeDash=[6, 3], strokeWidth=1.5).encode(
            y="ms:Q", tooltip=[alt.Tooltip("label:N", title="Objective")]))
        layers.append(alt.Chart(rule).mark_text(align="right", baseline="bottom", dy=-3, fontSize=11, color=RED).encode(
            x=alt.value(WIDTH), y="ms:Q", text="label:N"))
    if rollout is not None:
        layers += _rollout_layer(rollout, rollout_label or _infer_rollout_label(t, segment, rollout), t["period"])
    return alt.layer(*layers).properties(width=WIDTH, height=300, title=alt.Title(
        title, subtitle="p50 = the typical call, p90 and p99 = the slow ones users feel; faded = week not over yet"))


def cost_trend(cost: pd.DataFrame, rollout=None, rollout_label: str | None = None,
               title: str = "What the model costs per week") -> alt.VConcatChart:
    """Two panels from :func:`pmplaybook.ai.cost` with ``period``: the cost per 1,000 predictions, and the
    cost per 1,000 accepted suggestions (every call's cost carried by the suggestions that were used); an
    optional ``rollout`` date as a grey rule. A segment column draws one line per value."""
    t = cost.copy()
    if "period" not in t.columns:
        raise ValueError("cost_trend() needs ai.cost(..., period='week'): a period column")
    segment = _segment_of(t, _COST_KNOWN)
    if "complete" not in t.columns:
        t["complete"] = True
    t["per_1k_accepted"] = 1000 * t["cost_per_accepted"]
    t["status"] = np.where(t["complete"], "complete", "week not over yet")
    done, partial = _faded(t)
    tip = [alt.Tooltip("period:T", title="Week of"), *([alt.Tooltip(f"{segment}:N")] if segment else []),
           alt.Tooltip("cost_per_1k:Q", title="Cost per 1,000 predictions", format="$,.2f"),
           alt.Tooltip("per_1k_accepted:Q", title="Cost per 1,000 accepted", format="$,.2f"),
           alt.Tooltip("cost:Q", title="Cost in the week", format="$,.2f"),
           alt.Tooltip("predictions:Q", title="Predictions", format=","),
           alt.Tooltip("accepted:Q", title="Accepted suggestions", format=","),
           alt.Tooltip("status:N", title="Period")]
    colour = alt.Color(f"{segment}:N", title=segment) if segment else alt.value(INK)
    label = rollout_label or (_infer_rollout_label(t, segment, rollout) if rollout is not None else None)

    def panel(field: str, axis_title: str, name: str, colour_default: str):
        c = colour if segment else alt.value(colour_default)
        y = alt.Y(f"{field}:Q", title=axis_title, axis=alt.Axis(format="$,.2f"), scale=alt.Scale(zero=True))
        layers = [alt.Chart(done).mark_line(point=alt.OverlayMarkDef(size=25, filled=True)).encode(
                      x=alt.X("period:T", title=None), y=y, color=c, tooltip=tip),
                  alt.Chart(partial).mark_point(size=40, opacity=0.45).encode(
                      x="period:T", y=f"{field}:Q", color=c, tooltip=tip)]
        if rollout is not None:
            layers += _rollout_layer(rollout, label, t["period"])
        return alt.layer(*layers).properties(width=WIDTH, height=150, title=name)

    top = panel("cost_per_1k", "$ per 1,000 predictions", "Per 1,000 predictions", INK)
    bottom = panel("per_1k_accepted", "$ per 1,000 accepted", "Per 1,000 accepted suggestions", GREEN)
    return alt.vconcat(top, bottom).properties(title=alt.Title(
        title, subtitle="Accepted = kept as it was or after editing; faded = week not over yet"))


# ------------------------------------------------------------------------------------ trust and drift

def trust_trend(trust: pd.DataFrame, metrics=None,
                title: str = "What users do with the suggestions, per week") -> alt.LayerChart:
    """The trust metrics per period (from :func:`pmplaybook.ai.trust` with ``period``), one line per metric
    with its 95% Wilson band; ``metrics`` picks them (default: accepted without edits, edited, fixed by a
    person, coverage). A segment column draws one dash pattern per value."""
    t = trust.copy()
    if "period" not in t.columns:
        raise ValueError("trust_trend() needs ai.trust(..., period='week'): a period column")
    wanted = list(metrics) if metrics is not None else list(DEFAULT_TRUST)
    unknown = [m for m in wanted if m not in TRUST_LABELS]
    if unknown:
        raise ValueError(f"metrics={unknown!r}: unknown trust metric(s). Fix: use some of {', '.join(TRUST_LABELS)}")
    segment = _segment_of(t, _TRUST_KNOWN)
    if "complete" not in t.columns:
        t["complete"] = True
    t = t[t["metric"].isin(wanted)].copy()
    labels = [TRUST_LABELS[m] for m in wanted]
    t["label"] = t["metric"].map(TRUST_LABELS)
    t["status"] = np.where(t["complete"], "complete", "week not over yet")
    done, partial = _faded(t)
    tip = [alt.Tooltip("period:T", title="Week of"), *([alt.Tooltip(f"{segment}:N")] if segment else []),
           alt.Tooltip("label:N", title="Metric"), alt.Tooltip("rate:Q", title="Rate", format=".1%"),
           alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
           alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
           alt.Tooltip("count:Q", title="Count", format=","), alt.Tooltip("n:Q", title="Out of", format=","),
           alt.Tooltip("status:N", title="Period")]
    colour = alt.Color("label:N", title=None, sort=labels, scale=alt.Scale(domain=labels),
                       legend=alt.Legend(orient="bottom", columns=2, labelLimit=300))
    detail = f"{segment}:N" if segment else alt.Undefined
    x = alt.X("period:T", title=None)
    line = _lines(done, x, alt.Y("rate:Q", axis=pct_axis("Share"), scale=alt.Scale(domain=[0, 1])), colour,
                  segment, tip, size=20)
    band = alt.Chart(done).mark_area(opacity=0.15).encode(x=x, y="ci_low:Q", y2="ci_high:Q", color=colour,
                                                          detail=detail)
    rest = alt.Chart(partial).mark_point(size=40, opacity=0.45).encode(x=x, y="rate:Q", color=colour, tooltip=tip)
    return alt.layer(*line, band, rest).properties(width=WIDTH, height=300, title=alt.Title(
        title, subtitle="Rates of the suggestions shown (coverage: of all predictions); bands = 95% intervals"))


def drift_chart(drift: pd.DataFrame, column: str = "score", title: str | None = None) -> alt.LayerChart:
    """The PSI per period from :func:`pmplaybook.ai.drift` (one line per value when it has a segment
    column), with Siddiqi's rules of thumb at 0.1 (moderate shift) and 0.25 (significant shift) and the
    reference window shaded (``drift.attrs["reference"]``); ``n`` in the tooltip."""
    t = drift.copy()
    segment = _segment_of(t, _DRIFT_KNOWN)
    if "complete" not in t.columns:
        t["complete"] = True
    t = t.dropna(subset=["psi"])
    t["status"] = np.where(t["complete"], "complete", "week not over yet")
    done, partial = _faded(t)
    tip = [alt.Tooltip("period:T", title="Week of"), *([alt.Tooltip(f"{segment}:N")] if segment else []),
           alt.Tooltip("psi:Q", title="PSI", format=".3f"), alt.Tooltip("reading:N", title="Reading"),
           alt.Tooltip("n:Q", title="Predictions", format=","), alt.Tooltip("status:N", title="Period")]
    top = max(0.3, float(t["psi"].max()) * 1.08 if len(t) else 0.3)
    x = alt.X("period:T", title=None)
    y = alt.Y("psi:Q", title=f"PSI of {column}", scale=alt.Scale(domain=[0, top], nice=False))
    colour = alt.Color(f"{segment}:N", title=segment) if segment else alt.value(INK)
    layers = []
    reference = drift.attrs.get("reference")
    if reference:
        first, last = (pd.Timestamp(d) for d in reference)
        ref = pd.DataFrame({"start": [first], "end": [last + pd.Timedelta(days=1)],
                            "label": ["reference"], "first": [f"{first:%Y-%m-%d}"], "last": [f"{last:%Y-%m-%d}"]})
        layers.append(alt.Chart(ref).mark_rect(color=GREY, opacity=0.18).encode(
            x="start:T", x2="end:T", tooltip=[alt.Tooltip("first:N", title="Reference from"),
                                              alt.Tooltip("last:N", title="Reference to")]))
        layers.append(alt.Chart(ref).mark_text(align="left", baseline="top", dx=4, dy=4, fontSize=11,
                                               color="#555").encode(x="start:T", y=alt.value(0), text="label:N"))
    for value, label, rule_colour in PSI_RULES:
        rule = pd.DataFrame({"psi": [value], "label": [label]})
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[6, 3], strokeWidth=1.5, color=rule_colour).encode(
            y="psi:Q", tooltip=[alt.Tooltip("label:N", title="Rule of thumb")]))
        layers.append(alt.Chart(rule).mark_text(align="right", baseline="bottom", dy=-3, fontSize=11,
                                                color=rule_colour).encode(
            x=alt.value(WIDTH), y="psi:Q", text="label:N"))
    layers.append(alt.Chart(done).mark_line(point=alt.OverlayMarkDef(size=25, filled=True)).encode(
        x=x, y=y, color=colour, detail=f"{segment}:N" if segment else alt.Undefined, tooltip=tip))
    layers.append(alt.Chart(partial).mark_point(size=40, opacity=0.45).encode(x=x, y="psi:Q", color=colour,
                                                                            tooltip=tip))
    return alt.layer(*layers).properties(width=WIDTH, height=280, title=alt.Title(
        title or f"Drift: does {column} still look like the reference window?",
        subtitle="Population stability index per week against the shaded window; below 0.1 stable (Siddiqi)"))


# ------------------------------------------------------------------------------------ fairness and outcome

def fairness_chart(fairness: pd.DataFrame, segment, title: str | None = None) -> alt.HConcatChart:
    """Precision and recall per segment value (from :func:`pmplaybook.ai.fairness`), each a dot with its
    95% Wilson interval beside the overall rate (a dashed rule); segments served worse than the rest
    (``flagged``) in red."""
    t = fairness.copy()
    keys = [segment] if isinstance(segment, str) else list(segment)
    missing = [k for k in keys if k not in t.columns]
    if missing:
        raise ValueError(f"segment={segment!r}: the table has no column {', '.join(missing)}. Fix: pass the "
                         "segment given to ai.fairness()")
    t["value"] = t[keys].astype(str).agg(" / ".join, axis=1)
    name = " / ".join(keys)
    t["verdict"] = np.where(t["flagged"].astype(bool), "served worse than the rest", "within noise")
    order = list(t["value"])
    verdicts = ["served worse than the rest", "within noise"]
    colour = alt.Color("verdict:N", title=None, scale=alt.Scale(domain=verdicts, range=[RED, GREY]),
                       legend=alt.Legend(orient="bottom"))
    tip = [alt.Tooltip("value:N", title=name), alt.Tooltip("n:Q", title="Labelled predictions", format=","),
           alt.Tooltip("precision:Q", title="Precision", format=".1%"),
           alt.Tooltip("precision_low:Q", title="Precision 95% CI low", format=".1%"),
           alt.Tooltip("precision_high:Q", title="Precision 95% CI high", format=".1%"),
           alt.Tooltip("precision_gap:Q", title="Precision vs the rest", format="+.1%"),
           alt.Tooltip("recall:Q", title="Recall", format=".1%"),
           alt.Tooltip("recall_low:Q", title="Recall 95% CI low", format=".1%"),
           alt.Tooltip("recall_high:Q", title="Recall 95% CI high", format=".1%"),
           alt.Tooltip("recall_gap:Q", title="Recall vs the rest", format="+.1%"),
           alt.Tooltip("tp:Q", title="TP", format=","), alt.Tooltip("fp:Q", title="FP", format=","),
           alt.Tooltip("fn:Q", title="FN", format=","), alt.Tooltip("verdict:N", title="Reading")]
    tp, fp, fn = (float(t[c].sum()) for c in ("tp", "fp", "fn"))
    overall = {"precision": tp / (tp + fp) if tp + fp else np.nan, "recall": tp / (tp + fn) if tp + fn else np.nan}

    def panel(metric: str, show_labels: bool):
        lo, hi = t[f"{metric}_low"].min(), t[f"{metric}_high"].max()
        pad = max((hi - lo) * 0.08, 0.01)
        x_scale = alt.Scale(domain=[max(0.0, lo - pad), min(1.0, hi + pad)], nice=False)
        y = alt.Y("value:N", sort=order, title=name if show_labels else None,
                  axis=alt.Axis(labels=show_labels, ticks=show_labels, labelLimit=200))
        base = alt.Chart(t).encode(y=y)
        bars = base.mark_rule(strokeWidth=2).encode(
            x=alt.X(f"{metric}_low:Q", scale=x_scale, axis=pct_axis(metric.capitalize())),
            x2=f"{metric}_high:Q", color=colour, tooltip=tip)
        dots = base.mark_point(filled=True, size=80, opacity=1).encode(x=f"{metric}:Q", color=colour, tooltip=tip)
        line = pd.DataFrame({"value": [overall[metric]], "label": [f"all: {overall[metric]:.1%}"]})
        rule = alt.Chart(line).mark_rule(color="black", strokeDash=[4, 4]).encode(
            x="value:Q", tooltip=[alt.Tooltip("value:Q", title=f"Overall {metric}", format=".1%")])
        text = alt.Chart(line).mark_text(align="left", baseline="bottom", dx=4, dy=-2, fontSize=11).encode(
            x="value:Q", y=alt.value(0), text="label:N")
        return alt.layer(bars, dots, rule, text).properties(
            width=(WIDTH - 160) // 2, height=alt.Step(26), title=metric.capitalize())

    chart = alt.hconcat(panel("precision", True), panel("recall", False), spacing=24)
    return chart.properties(title=alt.Title(
        title or f"Is the model as good for every {name}?",
        subtitle="Dot = rate, bar = 95% interval, dashed = all segments; "
                 "red = served worse than the rest beyond noise"))


OUTCOME_GROUPS = {True: "Accepted a suggestion in their first week", False: "Shown suggestions, accepted none"}


def outcome_chart(outcome: pd.DataFrame, week: int | None = None,
                  title: str = "Do users who accept suggestions stay?") -> alt.LayerChart:
    """Retention of users who accepted a suggestion against users shown suggestions who accepted none (from
    :func:`pmplaybook.ai.outcome`): bars with 95% error bars and the rate written at the end. ``week`` (the
    outcome week given to ``ai.outcome``) names it in the axis title."""
    t = outcome.copy()
    t["group"] = t["accepted"].astype(bool).map(OUTCOME_GROUPS)
    t["text"] = [f"{r:.1%}" if r == r else "" for r in t["rate"]]
    tip = [alt.Tooltip("group:N", title="Users"), alt.Tooltip("users:Q", title="Users", format=","),
           alt.Tooltip("retained:Q", title="Retained", format=","), alt.Tooltip("rate:Q", title="Rate", format=".1%"),
           alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
           alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%")]
    if "gap" in t.columns:
        tip += [alt.Tooltip("gap:Q", title="Gap (accepters - others)", format="+.1%"),
                alt.Tooltip("gap_low:Q", title="Gap 95% CI low", format="+.1%"),
                alt.Tooltip("gap_high:Q", title="Gap 95% CI high", format="+.1%")]
    order = list(OUTCOME_GROUPS.values())
    axis_title = f"Still active in week {week} after the first suggestion" if week else "Retained"
    base = alt.Chart(t).encode(y=alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)))
    bars = base.mark_bar(height=28).encode(
        x=alt.X("rate:Q", axis=pct_axis(axis_title), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("group:N", sort=order, scale=alt.Scale(domain=order, range=[GREEN, GREY]), legend=None),
        tooltip=tip)
    errors = base.mark_rule(color="black", strokeWidth=1.5).encode(x="ci_low:Q", x2="ci_high:Q", tooltip=tip)
    text = base.mark_text(align="left", dx=6, fontSize=12, fontWeight="bold").encode(x="ci_high:Q", text="text:N")
    sub = "Black bar = 95% interval. Association, not cause: engaged users both accept and stay"
    if "gap" in t.columns and len(t) and t["gap"].notna().any():
        g = t.iloc[0]
        sub = (f"Gap {g['gap']:+.1%} (95% CI {g['gap_low']:+.1%} to {g['gap_high']:+.1%}); association, not cause: "
               "engaged users both accept and stay")
    return alt.layer(bars, errors, text).properties(width=WIDTH - 240, height=alt.Step(44),
                                                    title=alt.Title(title, subtitle=sub))
