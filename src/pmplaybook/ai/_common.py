"""What the AI metric modules share: the argument check of a prediction log and its period column."""

from __future__ import annotations

import ibis
import pandas as pd

from ..core import checks
from ..core.calendar import period_start_utc, read_as_of, recent_window, utc_midnight  # noqa: F401 (recent_window: re-exported)

#: Columns a prediction log must have for each kind of metric (the data contract's names).
NEEDS = {
    "quality": ("score", "actual"),
    "latency": ("latency_ms",),
    "cost": ("cost",),
    "trust": ("predicted", "outcome"),
}


def check_predictions(predictions, kind: str, segment=None) -> None:
    """Fail unless ``predictions`` is an ibis table with the columns ``kind`` needs (and ``segment``)."""
    if not isinstance(predictions, ibis.Table):
        raise TypeError(f"predictions must be an ibis table, got {type(predictions).__name__}. Fix: pass "
                        "ds.predictions, or load a DataFrame with pmplaybook.data.load_predictions(df)")
    missing = [c for c in ("timestamp", *NEEDS[kind]) if c not in predictions.columns]
    if missing:
        raise ValueError(f"predictions lacks column(s) {', '.join(missing)} (found: {', '.join(predictions.columns)}). "
                         "Fix: load it with pmplaybook.data.load_predictions, mapping your column names")
    for seg in [segment] if isinstance(segment, str) else (segment or []):
        if seg not in predictions.columns:
            raise ValueError(f"segment={seg!r} names no column of the predictions table. Fix: use one of "
                             f"{', '.join(predictions.columns)}")


def segments(segment) -> list[str]:
    """A segment argument (None, a column, or a list of columns) as a list."""
    return [] if segment is None else [segment] if isinstance(segment, str) else list(segment)


def window(predictions: ibis.Table, timezone: str, as_of) -> ibis.Table:
    """The rows before ``as_of`` (the first local day not covered), all rows when it is None."""
    local = read_as_of(as_of, timezone)
    if local is None:
        return predictions
    return predictions.filter(predictions.timestamp < utc_midnight(local, timezone))


def with_period(predictions: ibis.Table, period: str | None, timezone: str, week_start: str) -> tuple[ibis.Table, list]:
    """The table with a ``period`` column (the local start of each row's period) and the grouping keys."""
    if period is None:
        return predictions, []
    checks.choice("period", period, ("day", "week", "month"))
    checks.timezone(timezone)
    return predictions.mutate(period=period_start_utc(predictions.timestamp, period, timezone, week_start)), ["period"]


def between(predictions: ibis.Table, start, end, timezone: str = "UTC") -> ibis.Table:
    """The predictions from local day ``start`` up to (not including) local day ``end``."""
    lo, hi = (utc_midnight(pd.Timestamp(d).normalize(), timezone) for d in (start, end))
    return predictions.filter((predictions.timestamp >= lo) & (predictions.timestamp < hi))
