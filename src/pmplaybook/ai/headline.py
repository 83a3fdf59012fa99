"""The AI notebook's headline KPIs, each on a recent window with what it rests on: :func:`overview` of a
prediction log and :func:`headline_kpis`."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ._common import between
from .quality import classification
from .serving import cost, latency
from .trust import trust


def overview(predictions: ibis.Table) -> dict:
    """What a prediction log holds, in one aggregate query: ``predictions, users, shown, labelled, first,
    last`` (``shown`` is None without a ``predicted`` column)."""
    t = predictions
    row = t.aggregate(predictions=t.count(), users=t.user_id.nunique(),
                      shown=t.predicted.fill_null(False).cast("int64").sum() if "predicted" in t.columns
                      else ibis.null("int64"),
                      labelled=t.actual.notnull().cast("int64").sum(), first=t.timestamp.min(),
                      last=t.timestamp.max()).execute().iloc[0]
    return {k: (None if pd.isna(v) else v) for k, v in row.items()}


def headline_kpis(predictions: ibis.Table, threshold: float, start, end, slo=None,
                  timezone: str = "UTC") -> dict[str, dict]:
    """The notebook's headline KPIs, name -> ``KPIRecorder.record`` keywords, read on the window ``start`` (first
    day) to ``end`` (first day after) of the already-filtered ``predictions``: precision and recall at the
    product's threshold, acceptance without edits and coverage (each with its Wilson interval and ``n``),
    cost per 1,000 predictions, and the latency percentile of the SLO (p90 by default) over the window's
    last week."""
    window = {"window_start": start, "window_end": end}
    rows = []
    q = classification(predictions, thresholds=[threshold])
    if not q.empty:
        r = q.iloc[0]
        rows.append(dict(name="ai_precision", value=r.precision, n=int(r.tp + r.fp), ci_low=r.precision_low,
                         ci_high=r.precision_high, **window))
        rows.append(dict(name="ai_recall", value=r.recall, n=int(r.tp + r.fn), ci_low=r.recall_low,
                         ci_high=r.recall_high, **window))
    tr = trust(predictions).set_index("metric")
    for name, metric in (("ai_acceptance_without_edits", "acceptance_without_edits"), ("ai_coverage", "coverage")):
        r = tr.loc[metric]
        rows.append(dict(name=name, value=r.rate, n=int(r.n), ci_low=r.ci_low, ci_high=r.ci_high, **window))
    c = cost(predictions).iloc[0]
    rows.append(dict(name="ai_cost_per_1k", value=c.cost_per_1k, n=int(c.predictions), **window))
    last_week = pd.Timestamp(end) - pd.Timedelta(days=7)
    lw = between(predictions, last_week, end, timezone)
    level = float(getattr(slo, "percentile", 90)) if slo is not None else 90.0
    lat = latency(lw, percentiles=(level,))
    value = lat.iloc[0][f"p{level:g}"] if len(lat) and lat.iloc[0]["predictions"] else np.nan
    rows.append(dict(name="ai_latency_p90", value=value, n=int(lat.iloc[0]["predictions"]) if len(lat) else 0,
                     label=f"AI latency, p{level:g} (last complete week)", window_start=last_week, window_end=end))
    return {row.pop("name"): row for row in rows}
