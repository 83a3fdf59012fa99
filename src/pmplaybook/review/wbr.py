"""The data of the Weekly Business Review chart: six weeks, twelve months and four comparison boxes.

Amazon's WBR (Bryar and Carr, *Working Backwards*, 2021) puts each input metric on one "6-12" chart: the
trailing six weeks on the left, the trailing twelve months on the right, each beside the same period a
year earlier, and a few boxes above with the changes a reader asks about first (week over week, month to
date, quarter to date, year over year). :func:`six_twelve` computes those numbers from a daily series;
drawing them is the chart layer's job.

Rules, shared by every number below:

* **Days.** The input has one row per local day (several rows of one day are added up). ``as_of`` is the
  first day not covered (default: the day after the last date); rows on or after it are ignored. The
  data *cover* the days from the first date to the day before ``as_of``; a day inside that span without
  a row counts as zero (no events that day).
* **Values.** A period's ``numerator`` and ``denominator`` are the sums over its days. A count KPI's
  value is the numerator's sum (the week's or month's total; its daily denominator of 1 makes the
  denominator the number of days with a row). A rate KPI's value is sum(numerator) / sum(denominator)
  over the period, the rate of the pooled days, *not* the mean of the daily rates, which would weigh a
  quiet Sunday like a busy Monday. A rate with a zero denominator is NaN.
* **Coverage.** A period the data do not cover in full (it starts before the first date) has NaN value,
  numerator and denominator, never a partial total that would read as a drop.
* **Completeness.** A week or month is complete when it ended by ``as_of`` (its last day is before
  ``as_of``), as in :func:`pmplaybook.core.calendar.complete`; the chart shows complete periods only.
* **A year earlier.** For a week, the week 52 weeks (364 days) earlier, which starts on the same weekday;
  for a month, the same calendar month a year earlier; for a span of days (month or quarter to date),
  the same calendar dates a year earlier, where 29 February maps to 28 February.
* **Change.** For a count KPI, the relative change ``value / prior_value - 1`` (NaN when the prior value
  is 0 or missing); for a rate KPI, the difference ``value - prior_value`` (in the rate's own units, e.g.
  0.02 is two percentage points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmplaybook.core.calendar import WEEK_STARTS, period_index, period_start, read_as_of

KINDS = ("count", "rate")
WEEKS = 6
MONTHS = 12
#: 52 weeks: the prior-year week starts on the same weekday, so a Monday-heavy KPI compares like for like.
YEAR_OF_WEEKS = pd.Timedelta(weeks=52)
ONE_DAY = pd.Timedelta(days=1)
ONE_YEAR = pd.DateOffset(years=1)

PERIOD_COLUMNS = ["period", "value", "numerator", "denominator", "prior_year_value"]
BOX_COLUMNS = ["box", "first_day", "last_day", "value", "prior_first_day", "prior_last_day", "prior_value",
               "change"]


def six_twelve(series: pd.DataFrame, *, as_of=None, kind: str = "count", week_start: str = "monday") -> dict:
    """The numbers of a WBR "6-12" chart from a daily series: six weeks, twelve months and four boxes.

    See the module docstring for the rules (days, values, coverage, completeness, a year earlier,
    change); in short, a period's value is its total for a count and its pooled rate for a rate, and
    periods the data do not cover in full are NaN.

    Parameters
    ----------
    series : pandas.DataFrame
        One row per local day: ``date`` (naive timestamps or ``"YYYY-MM-DD"`` strings; a time of day is
        cut to its day), ``numerator`` and ``denominator`` (numbers, no missing values). A count KPI has
        denominator 1 per day.
    as_of : date, ``"YYYY-MM-DD"`` or None
        The first day not covered; default the day after the last date.
    kind : ``"count"`` or ``"rate"``
        How a period's value and a change are computed (total and relative change, or pooled rate and
        difference).
    week_start : ``"monday"`` or ``"sunday"``
        The first day of a week: ISO weeks, or Sunday-to-Saturday weeks.

    Returns
    -------
    dict
        * ``weeks``: the six complete weeks before ``as_of``, oldest first, columns ``period`` (the week's
          first day), ``value``, ``numerator``, ``denominator``, ``prior_year_value`` (the week 52 weeks
          earlier).
        * ``months``: the twelve complete calendar months before ``as_of``, oldest first, same columns
          (``period`` is the month's first day; ``prior_year_value`` the same month a year earlier).
        * ``boxes``: one row per box, in the order ``wow``, ``mtd``, ``qtd``, ``yoy``, columns ``box``,
          ``first_day``, ``last_day`` (inclusive), ``value``, ``prior_first_day``, ``prior_last_day``,
          ``prior_value``, ``change``:

          - ``wow``: the last complete week against the week before it;
          - ``mtd``: month to date, from the first of the month of the last covered day (the day before
            ``as_of``) to that day, against the same calendar dates a year earlier;
          - ``qtd``: quarter to date, likewise from the first day of that quarter;
          - ``yoy``: the last complete week against the week 52 weeks earlier.
        * ``as_of``, ``kind``, ``week_start``: the arguments as used.

    Examples
    --------
    Ten sign-ups a day from Monday 2025-01-06, with one extra on Sundays; as_of Monday 2025-03-03 (the
    day after the last date) leaves eight complete ISO weeks and January and February as whole months:

    >>> days = pd.date_range("2025-01-06", "2025-03-02")
    >>> daily = pd.DataFrame({"date": days, "numerator": 10 + (days.day_of_week == 6), "denominator": 1})
    >>> wbr = six_twelve(daily)
    >>> wbr["weeks"][["period", "value", "prior_year_value"]].tail(2)
          period  value  prior_year_value
    4 2025-02-17   71.0               NaN
    5 2025-02-24   71.0               NaN
    >>> wbr["months"]["value"].tolist()[-2:]  # January starts before the data: not covered
    [nan, 284.0]
    >>> wbr["boxes"].set_index("box").loc["wow", ["value", "prior_value", "change"]].tolist()
    [71.0, 71.0, 0.0]
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not one of {KINDS}. Fix: pass kind='count' for a total (orders, "
                         "sign-ups) or kind='rate' for a ratio of sums (conversion)")
    if week_start not in WEEK_STARTS:
        raise ValueError(f"week_start={week_start!r} is not one of {WEEK_STARTS}. Fix: pass 'monday' (ISO "
                         "weeks) or 'sunday'")
    daily = _read_daily(series)
    first = daily.index[0]
    as_of = _read_as_of(as_of, daily)
    daily = daily[daily.index < as_of]
    last = as_of - ONE_DAY  # the last covered day

    def window(start, stop):
        """(value, numerator, denominator) of the days start..stop (inclusive), NaN when not covered."""
        if start < first:
            return np.nan, np.nan, np.nan
        days = daily.loc[start:stop]
        num, den = float(days["numerator"].sum()), float(days["denominator"].sum())
        if kind == "count":
            return num, num, den
        return (num / den if den != 0 else np.nan), num, den

    def table(starts, length, prior):
        rows = []
        for start in starts:
            value, num, den = window(start, start + length - ONE_DAY)
            prior_start = start - prior
            rows.append((start, value, num, den, window(prior_start, prior_start + length - ONE_DAY)[0]))
        return pd.DataFrame(rows, columns=PERIOD_COLUMNS).astype({c: "float64" for c in PERIOD_COLUMNS[1:]})

    # the period holding as_of is never complete (it ends after as_of), and the one before it always is
    last_week = period_index(as_of, "week", week_start) - 1
    week_starts = period_start(range(last_week - WEEKS + 1, last_week + 1), "week", week_start)
    weeks = table(week_starts, pd.Timedelta(weeks=1), YEAR_OF_WEEKS)
    last_month = period_index(as_of, "month") - 1
    month_starts = period_start(range(last_month - MONTHS + 1, last_month + 1), "month")
    months = table(month_starts, pd.DateOffset(months=1), ONE_YEAR)

    week = week_starts[-1]
    month_start = last.replace(day=1)
    quarter_start = last.replace(month=3 * ((last.month - 1) // 3) + 1, day=1)
    spans = [
        ("wow", week, week + pd.Timedelta(days=6), week - pd.Timedelta(weeks=1), week - ONE_DAY),
        ("mtd", month_start, last, month_start - ONE_YEAR, last - ONE_YEAR),
        ("qtd", quarter_start, last, quarter_start - ONE_YEAR, last - ONE_YEAR),
        ("yoy", week, week + pd.Timedelta(days=6), week - YEAR_OF_WEEKS, week - YEAR_OF_WEEKS + pd.Timedelta(days=6)),
    ]
    boxes = []
    for box, start, stop, prior_start, prior_stop in spans:
        value, prior = window(start, stop)[0], window(prior_start, prior_stop)[0]
        boxes.append((box, start, stop, value, prior_start, prior_stop, prior, _change(value, prior, kind)))
    boxes = pd.DataFrame(boxes, columns=BOX_COLUMNS).astype({"value": "float64", "prior_value": "float64",
                                                              "change": "float64"})
    return {"weeks": weeks, "months": months, "boxes": boxes, "as_of": as_of, "kind": kind,
            "week_start": week_start}


def _change(value: float, prior: float, kind: str) -> float:
    if kind == "rate":
        return value - prior
    # a relative change from 0 is undefined, not infinite: the box shows a gap rather than "+inf%"
    return value / prior - 1 if prior != 0 and not np.isnan(prior) else np.nan


def _read_daily(series) -> pd.DataFrame:
    """Daily totals indexed by day (sorted), from the ``series`` argument; ValueError on a bad frame."""
    if not isinstance(series, pd.DataFrame):
        raise ValueError(f"series: expected a pandas DataFrame with columns date, numerator, denominator, got "
                         f"{type(series).__name__}. Fix: build one row per day, e.g. "
                         "pd.DataFrame({'date': days, 'numerator': counts, 'denominator': 1})")
    missing = [c for c in ("date", "numerator", "denominator") if c not in series.columns]
    if missing:
        raise ValueError(f"series: column(s) {missing} missing; found {list(series.columns)}. Fix: rename or add "
                         "them (a count KPI has denominator 1 per day)")
    if series.empty:
        raise ValueError("series: the frame has no rows. Fix: pass at least one day of data")
    try:
        dates = pd.to_datetime(series["date"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"series: column date holds values that are not dates ({err}). Fix: pass naive "
                         "timestamps or 'YYYY-MM-DD' strings, one per local day") from None
    if dates.dt.tz is not None:
        raise ValueError(f"series: column date is time-zone aware ({dates.dt.tz}); it must hold local days. "
                         "Fix: convert to the team's zone and drop it, e.g. .dt.tz_convert(zone).dt.tz_localize(None)")
    if dates.isna().any():
        raise ValueError(f"series: column date has {int(dates.isna().sum())} missing value(s). Fix: drop those rows")
    frame = pd.DataFrame({"date": dates.dt.normalize()})
    for col in ("numerator", "denominator"):
        try:
            frame[col] = pd.to_numeric(series[col]).astype("float64").to_numpy()
        except (TypeError, ValueError):
            raise ValueError(f"series: column {col} holds values that are not numbers. Fix: pass numbers") from None
        if frame[col].isna().any():
            # a missing day would silently count as 0 in one sum but not the other; make the caller decide
            raise ValueError(f"series: column {col} has {int(frame[col].isna().sum())} missing value(s). "
                             "Fix: fill them (0 for a day without events) or drop those days")
    return frame.groupby("date").sum().sort_index()


def _read_as_of(as_of, daily: pd.DataFrame) -> pd.Timestamp:
    first, last = daily.index[0], daily.index[-1]
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return last + ONE_DAY
    day = read_as_of(as_of)  # an aware timestamp comes back as a naive UTC one
    if day != day.normalize():
        raise ValueError(f"as_of={as_of!r} has a time of day; the series is daily. Fix: pass a day, "
                         "'YYYY-MM-DD' (the first day not covered)")
    if day <= first:
        raise ValueError(f"as_of={as_of!r} is on or before the first date {first.date()}, so no day is covered. "
                         f"Fix: pass a day after {first.date()}, or None for the day after the last date")
    return day


__all__ = ["six_twelve"]
