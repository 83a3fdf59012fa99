"""Process behaviour charts: which weekly wiggles of a KPI are signals and which are noise.

A KPI moves every week. Donald Wheeler's XmR chart (individuals and moving range, *Understanding
Variation*, 1993) separates the routine variation of a stable process from changes worth a question in
the weekly review: it draws a center line and *natural process limits* from the data themselves, then
flags the few patterns that routine variation rarely makes (a point beyond a limit, a long run on one
side of the center, a cluster near a limit). No distribution is assumed: the limits come from the
average moving range, which is robust to the very shifts the chart looks for.

The limits are ``center ± E2 · average moving range`` with ``E2 = 3 / d2 = 2.66``, where ``d2 = 1.128`` is
the bias-correction constant that turns the average range of two successive values into an estimate of
one standard deviation (n = 2). Wheeler rounds 3 / 1.128 = 2.6596 to 2.66, and so do we, so a chart drawn
by hand from the same data gives the same limits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: d2 for subgroups of n = 2 (successive values): the expected range of two normal values in standard
#: deviations. The average moving range divided by d2 estimates the process's standard deviation.
D2 = 1.128
#: 3 / d2, rounded as Wheeler prints it: the limits sit at ``center ± E2 · average moving range``.
E2 = 2.66
#: A run of this many successive values on one side of the center line is a signal (Wheeler's rule 2).
RUN_LENGTH = 8

COLUMNS = ["value", "center", "moving_range", "lower", "upper", "signal"]


def process_limits(values, *, baseline: int | None = None, three_of_four: bool = False) -> pd.DataFrame:
    """Wheeler's XmR chart of a series in time order: center line, natural process limits and signals.

    The center line is the mean of the baseline values. The moving ranges are the absolute differences
    of successive values, ``|x_i - x_(i-1)|``; the average moving range is taken over the moving ranges
    *between consecutive baseline values* only (``baseline - 1`` of them), so a shift after the baseline
    does not widen the limits it is judged against. The limits are ``center ± 2.66 · average moving
    range`` (see :data:`E2`); they are not clipped at 0, so a lower limit below 0 for a count says the
    chart cannot see a drop to 0 as a signal.

    Signals, one label per value, the first that applies:

    * ``"outside"``: the value is strictly above ``upper`` or strictly below ``lower``.
    * ``"run"``: the value is the eighth, or any later, of successive values all strictly above (or all
      strictly below) the center line. A value exactly on the center line ends the run and starts none.
      Outside values count in the run but keep their ``"outside"`` label.
    * ``"three_of_four"`` (only with ``three_of_four=True``): the value is strictly beyond the halfway
      point between the center and a limit, i.e. closer to that limit than to the center line, and with
      it at least three of the last four values (of the last three at the very start) are beyond that
      same halfway point.
    * ``""`` otherwise.

    Missing values (NaN, None, ``pd.NA``) keep their row, with NaN ``moving_range`` and an empty
    ``signal``, and are otherwise skipped as if the week had not been there: the moving range of the
    next value is taken from the last non-missing value before it, the baseline counts non-missing
    values, and a missing value neither ends nor extends a run (nor a three-of-four window).

    Parameters
    ----------
    values : pandas.Series or list of numbers
        The KPI in time order, one value per period. A Series's index, unless it is a RangeIndex, is
        kept as a ``period`` column (its first column).
    baseline : int, optional
        How many leading non-missing values the center and limits are computed from; default all of
        them. Use it to freeze limits on a settled stretch and judge the weeks since against them. Must
        be at least 2 (one moving range) and at most the number of non-missing values.
    three_of_four : bool
        Also label Wheeler's third detection rule, ``"three_of_four"``.

    Returns
    -------
    pandas.DataFrame
        One row per value, columns ``[period,] value, center, moving_range, lower, upper, signal``
        (floats, and ``signal`` a string). ``attrs`` holds what the limits were computed from:
        ``baseline`` (number of values), ``average_moving_range``, ``d2`` (1.128) and ``e2`` (2.66).

    Examples
    --------
    Limits from the first six weeks: center = (10+12+11+13+12+11)/6 = 11.5, moving ranges 2, 1, 2, 1, 1
    average 1.4, limits 11.5 ± 2.66 × 1.4 = 11.5 ± 3.724. Week 7 jumps above 15.224:

    >>> chart = process_limits([10, 12, 11, 13, 12, 11, 25], baseline=6)
    >>> chart[["value", "lower", "upper", "signal"]].tail(2).round(3)
       value  lower   upper   signal
    5   11.0  7.776  15.224
    6   25.0  7.776  15.224  outside
    >>> chart.attrs["average_moving_range"], chart.attrs["e2"]
    (1.4, 2.66)
    """
    x, period = _read_values(values)
    present = np.flatnonzero(~np.isnan(x))
    if len(present) < 2:
        raise ValueError(f"values: {len(present)} non-missing value(s) found; an XmR chart needs at least 2 "
                         "(one moving range). Fix: pass a longer series")
    k = _read_baseline(baseline, len(present))

    kept = x[present]
    # moving ranges over the non-missing values, so a missing week is skipped, not a break in the chart
    ranges = np.abs(np.diff(kept))
    center = float(np.mean(kept[:k]))
    average_range = float(np.mean(ranges[: k - 1]))
    half_width = E2 * average_range
    lower, upper = center - half_width, center + half_width

    moving_range = np.full(len(x), np.nan)
    moving_range[present[1:]] = ranges
    labels = np.full(len(x), "", dtype=object)
    labels[present] = _signals(kept, center, lower, upper, three_of_four)

    out = pd.DataFrame({
        "value": x, "center": center, "moving_range": moving_range, "lower": lower, "upper": upper,
        "signal": pd.array(labels, dtype="str"),
    })
    if period is not None:
        out.insert(0, "period", period)
    out.attrs.update(baseline=k, average_moving_range=average_range, d2=D2, e2=E2)
    return out


def _read_values(values) -> tuple[np.ndarray, pd.Index | None]:
    """The values as floats (NaN for missing) and the index to keep as ``period``, if any."""
    if isinstance(values, (pd.DataFrame, str, bytes)) or np.ndim(values) != 1:
        raise ValueError(f"values: expected a pandas Series or a list of numbers, got {type(values).__name__}. "
                         "Fix: pass one column, e.g. frame['value']")
    period = None
    if isinstance(values, pd.Series):
        if not isinstance(values.index, pd.RangeIndex):
            period = values.index.copy()
        values = values.to_numpy(dtype=object, na_value=np.nan)
    try:
        x = np.array([np.nan if v is None or v is pd.NA else v for v in values], dtype="float64")
    except (TypeError, ValueError):
        bad = next(v for v in values if not _is_number(v))
        raise ValueError(f"values: {bad!r} is not a number. Fix: pass numbers (NaN or None for a missing "
                         "period)") from None
    if np.isinf(x).any():
        raise ValueError("values: infinite value found. Fix: replace it by NaN (missing) or by the real value")
    return x, period


def _is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return v is None or v is pd.NA
    return True


def _read_baseline(baseline, n_present: int) -> int:
    if baseline is None:
        return n_present
    if isinstance(baseline, bool) or not isinstance(baseline, (int, np.integer)):
        raise ValueError(f"baseline={baseline!r} is not a whole number. Fix: pass the number of leading "
                         "non-missing values to compute the limits from, e.g. baseline=12, or None for all")
    if not 2 <= baseline <= n_present:
        raise ValueError(f"baseline={baseline} is outside 2..{n_present} (the series has {n_present} "
                         "non-missing values and the limits need at least 2). Fix: pass a baseline between "
                         f"2 and {n_present}, or None for all values")
    return int(baseline)


def _signals(x: np.ndarray, center: float, lower: float, upper: float, three_of_four: bool) -> list[str]:
    """Labels of the non-missing values ``x`` (in order); see :func:`process_limits` for the rules."""
    labels = ["outside" if (v > upper or v < lower) else "" for v in x]
    # runs: +1 above the center, -1 below, 0 on it (0 ends a run and starts none)
    side = np.sign(x - center)
    length = 0
    for i, s in enumerate(side):
        length = length + 1 if (s != 0 and i > 0 and side[i - 1] == s) else (1 if s != 0 else 0)
        if length >= RUN_LENGTH and not labels[i]:
            labels[i] = "run"
    if three_of_four:
        high, low = (center + upper) / 2, (center + lower) / 2
        zone = np.where(x > high, 1, np.where(x < low, -1, 0))
        for i, z in enumerate(zone):
            window = zone[max(0, i - 3): i + 1]
            if z != 0 and not labels[i] and np.count_nonzero(window == z) >= 3:
                labels[i] = "three_of_four"
    return labels


__all__ = ["D2", "E2", "RUN_LENGTH", "process_limits"]
