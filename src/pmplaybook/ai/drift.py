"""Do the model's inputs (or scores) still look like what it was judged on? The population stability index.

PSI = sum over bins (p_i - q_i) * ln(p_i / q_i), with q_i the reference window's share of rows in bin i and
p_i the current period's. Bins are the reference's deciles, so each holds about a tenth of the reference.
The credit-scoring rule of thumb (N. Siddiqi, *Credit Risk Scorecards*, 2006): below 0.1 no significant
shift, 0.1 to 0.25 a moderate shift worth a look, above 0.25 a significant shift (re-check the model on
the new population). The index grows with the number of bins and shrinks with nothing: a small period
gives a noisy PSI, so ``n`` is reported beside it.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..core.calendar import complete, period_index, period_start, read_as_of, uses_calendar, utc_midnight
from ._common import check_predictions, window, with_period

#: The reading of a PSI value: (upper bound, reading), from Siddiqi (2006).
PSI_READING = ((0.1, "stable"), (0.25, "moderate shift"), (float("inf"), "significant shift"))
#: An empty bin's share, so that ln(p/q) stays finite (a common convention).
EMPTY_SHARE = 1e-4


def psi_reading(value: float) -> str:
    """``"stable"``, ``"moderate shift"`` or ``"significant shift"`` for a PSI value (NaN: ``""``)."""
    if value != value:
        return ""
    return next(reading for bound, reading in PSI_READING if value < bound)


def _psi(current: np.ndarray, reference: np.ndarray) -> float:
    p = np.maximum(current / current.sum(), EMPTY_SHARE)
    q = np.maximum(reference / reference.sum(), EMPTY_SHARE)
    return float(np.sum((p - q) * np.log(p / q)))


@uses_calendar
def drift(predictions: ibis.Table, column: str = "score", period: str = "week", *, reference=None,
          bins: int = 10, segment: str | None = None, timezone: str = "UTC", week_start: str = "monday",
          as_of=None) -> pd.DataFrame:
    """The PSI of ``column`` per period against a reference window.

    Parameters
    ----------
    column : str
        A numeric column: ``score`` (does the model see what it used to?) or an input such as the prompt
        length (``input_tokens``).
    reference : (first day, last day), optional
        The window the model was judged on, both local days included. Default: the first four complete
        weeks of the log.
    bins : int
        Bin edges are the reference's quantiles (``bins`` bins; fewer when values repeat).
    segment : str, optional
        A PSI per value of this column too, each against its own reference rows (same bin edges).

    Returns
    -------
    DataFrame with [segment,] ``period, n, psi, reading`` (see :func:`psi_reading`), ``complete`` and
    ``in_reference`` (the period overlaps the reference window). ``attrs["reference"]`` holds the window
    and ``attrs["edges"]`` the bin edges.
    """
    if not isinstance(predictions, ibis.Table) or column not in predictions.columns:
        raise ValueError(f"column={column!r}: no such column in the predictions table. Fix: use one of "
                         f"{', '.join(getattr(predictions, 'columns', []))}")
    if not predictions[column].type().is_numeric():
        raise ValueError(f"column={column!r} holds {predictions[column].type()}, not numbers: the PSI bins a "
                         "numeric column. Fix: name a numeric column (score, input_tokens, ...)")
    if segment is not None and segment not in predictions.columns:
        raise ValueError(f"segment={segment!r} names no column of the predictions table")
    if not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins={bins!r}: expected a whole number of at least 2 (10 is the usual choice)")
    t = window(predictions, timezone, as_of)
    t = t.filter(t[column].notnull())
    t, _ = with_period(t, period, timezone, week_start)
    first, last = _reference(t, reference, timezone, week_start)
    in_ref = (t.timestamp >= utc_midnight(first, timezone)) & (t.timestamp < utc_midnight(last + pd.Timedelta(days=1), timezone))
    ref = t.filter(in_ref)
    qs = ref.aggregate(**{f"q{k}": ref[column].quantile(k / bins) for k in range(1, bins)}).execute()
    if qs.isna().all(axis=None):
        raise ValueError(f"drift(): the reference window {first:%Y-%m-%d} to {last:%Y-%m-%d} holds no rows. Fix: "
                         "pass reference=(first day, last day) inside the data")
    edges = sorted({float(v) for v in qs.iloc[0].dropna()})
    bucket = ibis.cases(*[(t[column] < e, k) for k, e in enumerate(edges)], else_=len(edges))
    keys = [segment] if segment else []
    t = t.mutate(bucket=bucket, in_ref=in_ref.cast("int64"), **{k: t[k].cast("string") for k in keys})
    counts = (t.group_by([*keys, "period", "bucket"])
              .aggregate(n=t.count(), ref_n=t.in_ref.sum())
              .execute())
    rows = []
    for key, part in (counts.groupby(keys, sort=True) if keys else [((), counts)]):
        reference_counts = np.bincount(part["bucket"], weights=part["ref_n"], minlength=len(edges) + 1)
        for start, cur in part.groupby("period", sort=True):
            current = np.bincount(cur["bucket"], weights=cur["n"], minlength=len(edges) + 1)
            value = _psi(current, reference_counts) if reference_counts.sum() and current.sum() else np.nan
            row = {"period": start, "n": int(current.sum()), "psi": value, "reading": psi_reading(value),
                   "in_reference": bool(cur["ref_n"].sum() > 0)}
            for col, v in zip(keys, key if isinstance(key, tuple) else (key,)):
                row[col] = v
            rows.append(row)
    out = pd.DataFrame(rows, columns=[*keys, "period", "n", "psi", "reading", "in_reference"])
    local = read_as_of(as_of, timezone)
    out["complete"] = complete(out["period"], period, local) if local is not None else True
    out.attrs["reference"] = (first, last)
    out.attrs["edges"] = edges
    return out


def week_start_of(day: pd.Timestamp, week_start: str) -> pd.Timestamp:
    """The local midnight starting the week of ``day``."""
    return period_start([period_index(day.normalize(), "week", week_start)], "week", week_start)[0]


def _reference(t: ibis.Table, reference, timezone: str, week_start: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The reference window's first and last local day: as given, or the first four complete weeks."""
    if reference is not None:
        try:
            first, last = (pd.Timestamp(d).normalize() for d in reference)
        except (TypeError, ValueError):
            raise ValueError(f"reference={reference!r}: expected (first day, last day) as dates, e.g. "
                             "('2025-07-07', '2025-08-03')") from None
        if last < first:
            raise ValueError(f"reference={reference!r}: the window ends before it starts")
        return first, last
    earliest = t.aggregate(earliest=t.timestamp.min()).execute().iloc[0]["earliest"]
    if pd.isna(earliest):
        raise ValueError("drift(): the predictions table has no rows with a value to bin")
    day = pd.Timestamp(earliest).tz_localize("UTC").tz_convert(timezone).tz_localize(None)
    first = week_start_of(day, week_start)
    if day > first:
        first += pd.Timedelta(days=7)  # the first week is partial: start at the next one
    return first, first + pd.Timedelta(days=27)
