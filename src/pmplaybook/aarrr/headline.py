"""Headline KPIs on a recent window: the last complete cohorts of a per-period table, pooled.

A rate over cohorts is pooled as the sum of its numerators over the sum of its denominators (never the
mean of the cohorts' rates), with a 95% Wilson interval; a mean of per-user counts (the K-factor) with a
normal interval from the per-user variance. Each returns the keyword arguments of
:meth:`pmplaybook.report.kpis.KPIRecorder.record`: ``value``, ``n``, ``ci_low``, ``ci_high``,
``window_start`` and ``window_end`` (the first and the first-not-included day of the cohorts' entry
periods), or ``{"value": None}`` when no cohort is complete.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core.calendar import LENGTH
from ..core.stats import wilson_interval

#: How many recent complete periods a headline pools (four weeks).
RECENT_PERIODS = 4


def _last_complete(table: pd.DataFrame, key: str, complete, periods: int) -> pd.DataFrame:
    t = table[np.asarray(complete, dtype=bool)] if complete is not None else table
    return t.sort_values(key).tail(periods)


def _window(rows: pd.DataFrame, key: str, period: str) -> dict:
    start = pd.Timestamp(rows[key].min())
    end = pd.Timestamp(rows[key].max()) + LENGTH[period]
    return dict(window_start=start, window_end=end)


def recent_rate(table: pd.DataFrame, successes: str, n: str, *, key: str = "cohort", complete=None,
                period: str = "week", periods: int = RECENT_PERIODS) -> dict:
    """The pooled rate ``sum(successes) / sum(n)`` of the last ``periods`` rows of ``table`` flagged
    ``complete`` (a boolean array; all rows when None), with its Wilson interval.

    >>> t = pd.DataFrame({"cohort": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"]),
    ...                   "k": [10, 30, 5], "n": [100, 100, 10]})
    >>> r = recent_rate(t, "k", "n", complete=[True, True, False], periods=2)
    >>> r["value"], r["n"], str(r["window_start"].date()), str(r["window_end"].date())
    (0.2, 200, '2025-01-06', '2025-01-20')
    """
    rows = _last_complete(table, key, complete, periods)
    total, hits = int(rows[n].sum()) if len(rows) else 0, int(rows[successes].sum()) if len(rows) else 0
    if not total:
        return {"value": None}
    low, high = wilson_interval(hits, total)
    return dict(value=hits / total, n=total, ci_low=float(low), ci_high=float(high), **_window(rows, key, period))


def recent_mean(table: pd.DataFrame, total: str, squares: str, n: str, *, key: str = "cohort", complete=None,
                period: str = "week", periods: int = RECENT_PERIODS) -> dict:
    """The mean per unit ``sum(total) / sum(n)`` of the last ``periods`` complete rows, where ``total`` sums
    a count per unit and ``squares`` its square: 95% interval mean +/- 1.96 x sd / sqrt(n), not below 0.

    >>> t = pd.DataFrame({"cohort": pd.to_datetime(["2025-01-06"]), "acc": [4], "sq": [8], "users": [4]})
    >>> r = recent_mean(t, "acc", "sq", "users")  # counts 2, 2, 0, 0: mean 1, sd 1.155 (low end clipped at 0)
    >>> r["value"], round(r["ci_low"], 3), round(r["ci_high"], 3)
    (1.0, 0.0, 2.132)
    """
    rows = _last_complete(table, key, complete, periods)
    units = int(rows[n].sum()) if len(rows) else 0
    if not units:
        return {"value": None}
    mean = float(rows[total].sum()) / units
    var = (float(rows[squares].sum()) - units * mean ** 2) / (units - 1) if units > 1 else float("nan")
    half = 1.959964 * math.sqrt(max(var, 0.0) / units) if units > 1 else float("nan")
    return dict(value=mean, n=units, ci_low=max(mean - half, 0.0), ci_high=mean + half, **_window(rows, key, period))
