"""What serving the model takes: latency percentiles against an SLO, and cost per 1,000 predictions and per
accepted suggestion.

Latency is read in percentiles, never as a mean: the mean hides the slow tail that users feel. p50 is the
typical call, p90 and p99 the slow ones (one call in ten, one in a hundred). Percentiles are computed in
the backend with linear interpolation between order statistics (DuckDB's ``quantile_cont``, numpy's
default method).
"""

from __future__ import annotations

import ibis
import pandas as pd

from ..core.calendar import complete, read_as_of, uses_calendar
from ._common import check_predictions, segments, window, with_period


def _slo(slo) -> tuple[float, float] | None:
    """An SLO as ``(percentile, ms)`` from a tuple, a dict or params' ``LatencySLO``."""
    if slo is None:
        return None
    if isinstance(slo, dict):
        return float(slo["percentile"]), float(slo["ms"])
    if hasattr(slo, "percentile"):
        return float(slo.percentile), float(slo.ms)
    percentile, ms = slo
    return float(percentile), float(ms)


def _mark_complete(frame: pd.DataFrame, period, timezone: str, as_of) -> pd.DataFrame:
    if period is not None:
        local = read_as_of(as_of, timezone)
        frame["complete"] = complete(frame["period"], period, local) if local is not None else True
    return frame


@uses_calendar
def latency(predictions: ibis.Table, percentiles=(50, 90, 99), period: str | None = None, *, segment=None,
            slo=None, timezone: str = "UTC", week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Latency percentiles (ms), overall or per period (and segment), against an SLO.

    Parameters
    ----------
    percentiles : iterable of numbers in (0, 100)
        Columns ``p50``, ``p90``, ``p99`` by default.
    period : "day", "week" or "month", optional
        One row per period (local start in ``timezone``), with ``complete``.
    slo : (percentile, ms), dict or params' ``ai.latency_slo``, optional
        Adds ``slo_ms`` and ``within_slo`` (the SLO's percentile at most ``ms``); its percentile is added
        to the columns if missing.

    Returns
    -------
    DataFrame with [``period``,] [segment,] ``predictions`` and one ``p<k>`` column per percentile.

    >>> import pandas as pd
    >>> from pmplaybook.data import load_predictions
    >>> log = load_predictions(pd.DataFrame({"prediction_id": list("abcde"), "user_id": "u",
    ...     "timestamp": "2025-03-01", "score": 0.5, "actual": None, "latency_ms": [100, 200, 300, 400, 1000],
    ...     "cost": 0.001}))
    >>> latency(log, percentiles=(50, 90)).round(6).to_dict("records")
    [{'predictions': 5, 'p50': 300.0, 'p90': 760.0}]
    """
    check_predictions(predictions, "latency", segment)
    levels = sorted({float(p) for p in percentiles} | ({_slo(slo)[0]} if slo is not None else set()))
    if not levels or any(not 0 < p < 100 for p in levels):
        raise ValueError(f"percentiles={percentiles!r}: expected numbers between 0 and 100, e.g. (50, 90, 99)")
    keys = segments(segment)
    t = window(predictions, timezone, as_of)
    t, by = with_period(t.filter(t.latency_ms.notnull()), period, timezone, week_start)
    names = {p: f"p{p:g}" for p in levels}
    t = t.mutate(**{k: t[k].cast("string") for k in keys})
    metrics = dict(predictions=t.count(), **{names[p]: t.latency_ms.quantile(p / 100) for p in levels})
    out = (t.group_by([*by, *keys]).aggregate(**metrics) if by or keys else t.aggregate(**metrics)).execute()
    if by or keys:
        out = out.sort_values([*by, *keys], ignore_index=True)
    out["predictions"] = out["predictions"].astype("int64")
    for name in names.values():
        out[name] = out[name].astype("float64")
    if slo is not None:
        level, ms = _slo(slo)
        out["slo_ms"] = ms
        out["within_slo"] = out[names[level]] <= ms
    return _mark_complete(out, period, timezone, as_of)


@uses_calendar
def cost(predictions: ibis.Table, period: str | None = None, *, segment=None, timezone: str = "UTC",
         week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """What the model costs: in all, per 1,000 predictions, and per accepted suggestion.

    ``cost_per_1k = 1000 * cost / predictions`` (the unit the field quotes). ``accepted`` counts the
    predictions whose ``outcome`` is ``accepted`` (taken as they were), and ``cost_per_accepted = cost /
    accepted``: every call's cost, useful or not, carried by the accepted suggestions: what one accepted
    suggestion really costs. NaN when the log has no ``outcome``.

    Returns
    -------
    DataFrame with [``period``,] [segment,] ``predictions, cost, cost_per_1k, accepted, cost_per_accepted``.
    """
    check_predictions(predictions, "cost", segment)
    keys = segments(segment)
    t = window(predictions, timezone, as_of)
    t, by = with_period(t, period, timezone, week_start)
    t = t.mutate(**{k: t[k].cast("string") for k in keys})
    accepted = ((t.outcome == "accepted").fill_null(False).cast("int64").sum()
            if "outcome" in t.columns else ibis.null("int64"))
    metrics = dict(predictions=t.count(), cost=t.cost.sum(), accepted=accepted)
    frame = (t.group_by([*by, *keys]).aggregate(**metrics) if by or keys else t.aggregate(**metrics)).execute()
    if by or keys:
        frame = frame.sort_values([*by, *keys], ignore_index=True)
    frame["cost"] = frame["cost"].astype("float64").fillna(0.0)
    frame["accepted"] = pd.to_numeric(frame["accepted"], errors="coerce").astype("float64")
    frame["cost_per_1k"] = 1000 * frame["cost"] / frame["predictions"]
    frame["cost_per_accepted"] = frame["cost"] / frame["accepted"].where(frame["accepted"] > 0)
    out = frame[[*by, *keys, "predictions", "cost", "cost_per_1k", "accepted", "cost_per_accepted"]].copy()
    out["predictions"] = out["predictions"].astype("int64")
    return _mark_complete(out, period, timezone, as_of)


def versions(predictions: ibis.Table, column: str = "model") -> pd.DataFrame:
    """The model versions of the log in order of first use: ``model, predictions, first, last`` (UTC
    timestamps of the first and last prediction). Empty when the log has no ``model`` column."""
    if column not in predictions.columns:
        return pd.DataFrame(columns=["model", "predictions", "first", "last"])
    t = predictions.filter(predictions[column].notnull())
    out = t.group_by(model=t[column].cast("string")).aggregate(
        predictions=t.count(), first=t.timestamp.min(), last=t.timestamp.max()).execute()
    return out.sort_values("first", ignore_index=True)
