"""The calendar: how time is cut into periods, which periods are complete, and what ``as_of`` means.

Every metric of the playbook counts users per calendar day, week or month *in the team's time zone*, so
this module is the one place that knows how:

* **Period starts** in the engine (:func:`period_start_expr`: the local start of the day / ISO or Sunday
  week / month of a local timestamp) and **period indexes** (:func:`period_index_expr`, consecutive
  integers, so "four weeks later" is ``+ 4`` on every SQL engine), with their pandas inverses
  (:func:`period_index`, :func:`period_start`).
* **Completeness**: a period is complete when it ended by ``as_of`` (:func:`complete`).
* **as_of**: the first local day the analysis does not cover (default: the first local day the data do not
  cover completely, :func:`default_as_of`); :func:`resolve_as_of` reads it once and returns the local day
  and the UTC instant of its midnight.
* **Time zones**: timestamps are stored as naive UTC; :func:`local_time` (from the engines) gives the
  wall-clock time in the team's zone, and :func:`utc_midnight` the UTC instant a local day starts.
* **Durations** in params and arguments (``"14d"``, ``"90min"``): :func:`parse_duration`.

A :class:`Calendar` bundles a team's time zone, week start and ``as_of``; the dataset builds it once.

>>> cal = Calendar("Europe/Berlin", "sunday", as_of="2026-01-01")
>>> cal.as_of, cal.as_of_utc
(Timestamp('2026-01-01 00:00:00'), Timestamp('2025-12-31 23:00:00'))
>>> list(period_start([period_index(pd.Timestamp("2026-02-25"), "week", "sunday")], "week", "sunday"))
[Timestamp('2026-02-22 00:00:00')]
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass, replace
from datetime import timedelta

import ibis
import numpy as np
import pandas as pd

from .checks import timezone as check_timezone
from .engines import UTC_ZONES, local_time, shifted_week_start
from .errors import DataError

PERIODS = ("day", "week", "month")
WEEK_STARTS = ("monday", "sunday")
#: Day 0 of the period numbering. 1970-01-01 was a Thursday, so 1970-01-05 (day 4) was a Monday and
#: 1970-01-04 (day 3) a Sunday: ``(day + 3) // 7`` steps up on Mondays and ``(day + 4) // 7`` on Sundays.
EPOCH = pd.Timestamp("1970-01-01")
WEEK_SHIFT = {"monday": 3, "sunday": 4}
#: The length of one period, for period starts in pandas.
LENGTH = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}


# ------------------------------------------------------------------------------- periods in the engine


def period_start_expr(local: ibis.Value, period: str, week_start: str = "monday") -> ibis.Value:
    """The local start (a timestamp at midnight) of the day / week / month of a *local* timestamp.

    ISO (Monday) weeks are ``truncate("W")`` on every backend; Sunday weeks shift by a day first.
    """
    if period == "day":
        return local.truncate("D")
    if period == "month":
        return local.truncate("M")
    if week_start == "monday":
        return local.truncate("W")
    return shifted_week_start(local, WEEK_SHIFT[week_start])


def period_start_utc(ts: ibis.Value, period: str, timezone: str = "UTC", week_start: str = "monday") -> ibis.Value:
    """:func:`period_start_expr` of a naive-UTC timestamp, cut in ``timezone``."""
    return period_start_expr(local_time(ts, timezone), period, week_start)


def period_index_expr(local: ibis.Value, period: str, week_start: str = "monday") -> ibis.Value:
    """Consecutive integers numbering the calendar periods of a local timestamp (or date) expression.

    Days: days since 1970-01-01; weeks: see :data:`WEEK_SHIFT`; months: year * 12 + month - 1. Plain integer
    arithmetic keeps the expression portable across ibis backends.
    """
    if period == "month":
        return local.year() * 12 + local.month() - 1
    day = (local if local.type().is_date() else local.date()).epoch_days()
    if period == "day":
        return day
    return (day + WEEK_SHIFT[week_start]) // 7


def period_index_utc(ts: ibis.Value, period: str, timezone: str = "UTC", week_start: str = "monday") -> ibis.Value:
    """:func:`period_index_expr` of a naive-UTC timestamp, cut in ``timezone``."""
    return period_index_expr(local_time(ts, timezone), period, week_start)


def periods_between(start: ibis.Value, later: ibis.Value, period: str) -> ibis.Value:
    """Whole periods from one period start to another (both from :func:`period_start_expr`)."""
    if period == "month":
        return (later.year() * 12 + later.month()) - (start.year() * 12 + start.month())
    days = later.date().epoch_days() - start.date().epoch_days()
    return days if period == "day" else days // 7


# ------------------------------------------------------------------------------- periods in pandas


def period_index(values, period: str, week_start: str = "monday"):
    """The period index (see :func:`period_index_expr`) of a local Timestamp, or of an array of them.

    >>> int(period_index(pd.Timestamp("2026-02-23"), "week"))
    2930
    """
    scalar = isinstance(values, (pd.Timestamp, np.datetime64)) or isinstance(values, str)
    ts = pd.DatetimeIndex(pd.to_datetime([values] if scalar else values))
    if period == "month":
        out = (ts.year * 12 + ts.month - 1).to_numpy("int64")
    else:
        days = ((ts.normalize() - EPOCH) // pd.Timedelta(days=1)).to_numpy("int64")
        out = days if period == "day" else (days + WEEK_SHIFT[week_start]) // 7
    return int(out[0]) if scalar else out


def period_start(index, period: str, week_start: str = "monday") -> pd.DatetimeIndex:
    """Inverse of the period numbering: the local start (naive Timestamp) of each period index.

    >>> list(period_start([2930], "week"))  # ISO week starting Monday 2026-02-23
    [Timestamp('2026-02-23 00:00:00')]
    """
    idx = np.asarray(index, dtype="int64")
    if period == "month":
        return pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": idx // 12, "month": idx % 12 + 1, "day": 1})))
    days = idx if period == "day" else idx * 7 - WEEK_SHIFT[week_start]
    return pd.DatetimeIndex(EPOCH + pd.to_timedelta(days, unit="D"))


def recent_window(as_of, weeks: int = 4, week_start: str = "monday") -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last ``weeks`` complete weeks before ``as_of`` (the first local day not covered): ``(first day,
    first day after)``, local dates. Headline KPIs are read on such a window, never on all history.

    >>> recent_window(pd.Timestamp("2026-01-01"))
    (Timestamp('2025-12-01 00:00:00'), Timestamp('2025-12-29 00:00:00'))
    >>> recent_window(pd.Timestamp("2025-12-29"), weeks=1)  # as_of on a Monday: the week before it is complete
    (Timestamp('2025-12-22 00:00:00'), Timestamp('2025-12-29 00:00:00'))
    """
    if not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"weeks={weeks!r}: expected a whole number of at least 1")
    day = pd.Timestamp(as_of).normalize()
    end = period_start([period_index(day, "week", week_start)], "week", week_start)[0]  # its week is not complete
    return end - pd.Timedelta(weeks=weeks), end


def epoch_day(day: pd.Timestamp) -> int:
    """Days since 1970-01-01 of a local day."""
    return (pd.Timestamp(day).normalize() - EPOCH).days


def days_from_epoch(days) -> pd.DatetimeIndex:
    """Local days from their number of days since 1970-01-01."""
    return pd.DatetimeIndex(EPOCH + pd.to_timedelta(np.asarray(days, dtype="int64"), unit="D"))


def period_end(starts, period: str):
    """The start of the next period, for period starts (a Series or a Timestamp)."""
    return pd.to_datetime(starts) + LENGTH[period]


def complete(starts, period: str, as_of_local: pd.Timestamp):
    """True where the period starting at ``starts`` ended by ``as_of_local`` (the first day not covered)."""
    return period_end(starts, period) <= as_of_local


# ------------------------------------------------------------------------------------ as_of, zones


def utc_midnight(day: pd.Timestamp, timezone: str) -> pd.Timestamp:
    """The naive-UTC instant at which local ``day`` (a naive date) starts in ``timezone``."""
    if timezone in UTC_ZONES:
        return day
    return day.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC").tz_localize(None)


def complete_as_of(last_event: pd.Timestamp, timezone: str = "UTC") -> pd.Timestamp:
    """The default ``as_of`` of a log whose last event is ``last_event`` (naive UTC): the first local day in
    ``timezone`` that the log does not cover completely.

    The rule: a log covers up to the end of the UTC day of its last event (timestamps are stored in UTC, and
    logs are exported and loaded by UTC day), and a local day counts only if it has ended by then. So the
    default is the local day in which that UTC midnight falls. In UTC it is the day after the last event;
    east of UTC the local day that UTC midnight falls in is cut short (Berlin: the first hour only), west
    of UTC so is the local day of the last event (New York: it stops at 19:00 or 20:00).

    >>> last = pd.Timestamp("2025-12-31 23:59")  # a log exported up to midnight UTC
    >>> [f"{complete_as_of(last, tz):%Y-%m-%d}" for tz in ("UTC", "Europe/Berlin", "America/New_York")]
    ['2026-01-01', '2026-01-01', '2025-12-31']
    """
    last_event = pd.Timestamp(last_event)
    if last_event.tzinfo is not None:
        last_event = last_event.tz_convert("UTC").tz_localize(None)
    covered_until = last_event.normalize() + pd.Timedelta(days=1)  # naive UTC
    if timezone in UTC_ZONES:
        return covered_until
    return covered_until.tz_localize("UTC").tz_convert(timezone).tz_localize(None).normalize()


def _last_event(events: ibis.Table, timestamp: ibis.Value) -> pd.Timestamp:
    last = events.aggregate(last=timestamp.max()).execute().iloc[0]["last"]
    if pd.isna(last):
        raise DataError("events: the table is empty. Fix: check the source and its filters")
    return pd.Timestamp(last)


def default_as_of(events: ibis.Table, timezone: str = "UTC") -> pd.Timestamp:
    """The default ``as_of``: the first local day (in ``timezone``) the events do not cover completely, so
    that no analysis counts a partial last day (the rule: :func:`complete_as_of`; the log is taken to reach
    the end of the UTC day of its last event). In UTC it is the day after the last event."""
    return complete_as_of(_last_event(events, events.timestamp), timezone)


def day_after_last_event(events: ibis.Table, timezone: str = "UTC") -> pd.Timestamp:
    """The local day after the last event: how far the data reach, partial last day included. An explicit
    ``as_of`` is cut here (:class:`pmplaybook.data.Dataset`); the default stops at :func:`default_as_of`,
    which is this day or the one before."""
    if timezone in UTC_ZONES:
        return _last_event(events, events.timestamp).normalize() + pd.Timedelta(days=1)
    # Converting every event to local time to find the latest took a second on the sample. Two UTC offsets
    # of one zone differ by less than two days, so no event two days before the last one can be later in
    # local time: convert only the last two days (the same answer, DST repeats included).
    end = _last_event(events, events.timestamp)
    recent = events.filter(events.timestamp >= ibis.literal(end - pd.Timedelta(days=2)))
    return _last_event(recent, local_time(recent.timestamp, timezone)).normalize() + pd.Timedelta(days=1)


#: The ``as_of`` text accepted: an ISO 8601 date, optionally with a time of day and an offset.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")


def read_as_of(as_of, timezone: str = "UTC") -> pd.Timestamp | None:
    """An ``as_of`` argument as a naive local Timestamp, or None for the default.

    ``as_of`` is the first day the analysis does not cover: a date, ``"YYYY-MM-DD"`` or None / "" for the
    default; a time-zone-aware timestamp is converted to ``timezone``; a naive timestamp with a time of
    day is an intra-day cut-off.
    """
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return None
    if isinstance(as_of, str) and not ISO_DATE.fullmatch(as_of.strip()):
        # "01/02/2026" is 1 February in Europe and 2 January in the US: only ISO 8601 says which
        raise ValueError(f"as_of={as_of!r} is not an ISO date: as_of must be a date written YYYY-MM-DD, e.g. "
                         "'2026-01-05' (the first day the analysis does not cover). Fix: write it that way")
    try:
        local = pd.Timestamp(as_of.strip() if isinstance(as_of, str) else as_of)
    except (TypeError, ValueError):
        raise ValueError(f"as_of={as_of!r} is not a date (as_of must be a date such as '2026-01-01'). "
                         "Fix: pass 'YYYY-MM-DD' (the first day the analysis does not cover) or None") from None
    if local.tzinfo is not None:
        local = local.tz_convert(timezone).tz_localize(None)
    return local


def resolve_as_of(events: ibis.Table, as_of=None, timezone: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Read an ``as_of`` argument: ``(local day, UTC instant of its midnight)``, both naive.

    Every metric reads ``as_of`` through here (see :func:`read_as_of`; None means :func:`default_as_of`, the
    first day in ``timezone`` the events do not cover completely), so they agree on which periods are
    complete.

    >>> resolve_as_of(None, "2026-01-01", "Europe/Berlin")
    (Timestamp('2026-01-01 00:00:00'), Timestamp('2025-12-31 23:00:00'))
    """
    local = read_as_of(as_of, timezone)
    if local is None:
        local = default_as_of(events, timezone)
    return local, utc_midnight(local, timezone)


# -------------------------------------------------------------------------------------- arguments


#: The longest duration accepted (ten years): longer is a typing mistake, and overflows timestamps.
MAX_DAYS = 3650


def parse_duration(value) -> timedelta:
    """Parse a duration: a pandas-style string (``"15s"``, ``"5min"``, ``"2h"``, ``"14d"``), a
    ``timedelta``, or a number of days.

    >>> parse_duration("14d"), parse_duration("90min")
    (datetime.timedelta(days=14), datetime.timedelta(seconds=5400))
    """
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = timedelta(days=value)
    elif isinstance(value, str):
        text = value.strip()
        days = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:d|days?)", text)
        try:
            # pandas deprecates the lower-case "d" unit, which everyone writes ("14d")
            result = timedelta(days=float(days.group(1))) if days else pd.Timedelta(text).to_pytimedelta()
        except OverflowError:
            raise ValueError(f"duration {value!r} is too long: at most {MAX_DAYS:,} days") from None
        except ValueError:
            raise ValueError(
                f"cannot read duration {value!r}: write a number and a unit, e.g. '15s', '5min', '2h', '14d'"
            ) from None
    else:
        raise ValueError(f"a duration must be a string such as '14d' or a timedelta, got {value!r}")
    if result <= timedelta(0):
        raise ValueError(f"a duration must be positive, got {value!r}")
    if result > timedelta(days=MAX_DAYS):
        raise ValueError(f"duration {value!r} is too long: at most {MAX_DAYS:,} days (a window longer than the "
                         "history is the history)")
    return result


def duration_string(td: timedelta) -> str:
    """A compact display of a duration as params write it (``14d``, ``2h``)."""
    secs = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if secs % size == 0:
            return f"{secs // size}{unit}"
    return f"{secs}s"


# -------------------------------------------------------------------------------------- Calendar


@dataclass(frozen=True)
class Calendar:
    """A team's calendar: the time zone periods are cut in, the first day of the week, and ``as_of``.

    ``as_of`` is the first local day the analysis does not cover (None until :meth:`resolved` fills in
    :func:`default_as_of`, the first local day the events do not cover completely). The dataset builds one
    from the params (:attr:`pmplaybook.data.Dataset.calendar`); metric functions take it as ``calendar=``.
    """

    timezone: str = "UTC"
    week_start: str = "monday"
    as_of: pd.Timestamp | None = None

    def __post_init__(self):
        check_timezone(self.timezone)
        if self.week_start not in WEEK_STARTS:
            raise ValueError(f"week_start={self.week_start!r} is not supported. Fix: use 'monday' or 'sunday'")
        object.__setattr__(self, "as_of", read_as_of(self.as_of, self.timezone))

    @property
    def as_of_utc(self) -> pd.Timestamp | None:
        """The naive-UTC instant at which ``as_of`` starts."""
        return None if self.as_of is None else utc_midnight(self.as_of, self.timezone)

    def resolved(self, events: ibis.Table) -> Calendar:
        """This calendar with ``as_of`` filled in from the events when it is None."""
        return self if self.as_of is not None else replace(self, as_of=default_as_of(events, self.timezone))

    def local(self, ts: ibis.Value) -> ibis.Value:
        """Wall-clock time in this calendar's zone of a naive-UTC timestamp expression."""
        return local_time(ts, self.timezone)

    def period_start(self, ts: ibis.Value, period: str) -> ibis.Value:
        """Local start of the period of a naive-UTC timestamp expression."""
        return period_start_utc(ts, period, self.timezone, self.week_start)

    def period_index(self, ts: ibis.Value, period: str) -> ibis.Value:
        """Period index of a naive-UTC timestamp expression."""
        return period_index_utc(ts, period, self.timezone, self.week_start)


def uses_calendar(fn):
    """Let a metric function take its time zone, week start and ``as_of`` from one ``calendar=``.

    ``f(events, ..., calendar=ds.calendar)`` fills whichever of ``timezone``, ``week_start`` and ``as_of``
    the function has from the :class:`Calendar`; naming them one by one still works, but not both ways
    in one call.
    """
    signature = inspect.signature(fn)
    names = [n for n in ("timezone", "week_start", "as_of") if n in signature.parameters]

    @functools.wraps(fn)
    def wrapper(*args, calendar: Calendar | None = None, **kwargs):
        if calendar is not None:
            twice = [n for n in names if n in kwargs]
            if twice:
                raise TypeError(f"{fn.__name__}(): pass calendar= or {', '.join(twice)}=, not both")
            kwargs.update({n: getattr(calendar, n) for n in names})
        return fn(*args, **kwargs)

    calendar_parameter = inspect.Parameter("calendar", inspect.Parameter.KEYWORD_ONLY, default=None,
                                           annotation="Calendar | None")
    parameters = list(signature.parameters.values())
    at = next((i for i, p in enumerate(parameters) if p.kind is inspect.Parameter.VAR_KEYWORD), len(parameters))
    wrapper.__signature__ = signature.replace(parameters=[*parameters[:at], calendar_parameter, *parameters[at:]])
    return wrapper
