"""Cohort retention, retention curves and their plateau, activation, stickiness (DAU/MAU) and lifecycle.

Everything event-scale runs in the backend as ibis expressions (DuckDB by default); only small
aggregates (one row per cohort x period, per day, per period) come back as pandas DataFrames.

Time is cut in the team's time zone: an event at 23:30 UTC on a Sunday is Monday in Berlin, so it lands
in Monday's day and the next week. ``as_of`` is always a *local* date: the first day the analysis does
not cover (default: the day after the last event). Events at or after it are ignored, and a cell whose
period has not ended by then is *incomplete*: its rate is NaN (never 0) and averages leave it out.

Main entry points
-----------------
- :func:`cohort_retention` the cohort table (cohort x period), calendar or rolling windows.
- :func:`retention_curve` and :func:`plateau` the size-weighted curve and where it flattens.
- :func:`activated_users` / :func:`activated_retention` the activation rule and what it buys.
- :func:`stickiness` DAU, WAU, MAU (28 and 30 days) and DAU/MAU per day.
- :func:`lifecycle` new / returning / resurrecting / dormant users per period.
- :func:`segment_breakdown` / :func:`segment_shift` what the average hides.
- ``*_finding`` functions write the notebook's sentences from the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from . import checks
from . import data as _data
from .data import resolve_as_of as _resolve_as_of
from .config import ActivationRule
from .stats import add_wilson, diff_proportions, wilson_interval

PERIODS = ("day", "week", "month")
#: Window lengths of ``windows="rolling"``: 24 hours, 7 days, 30 days.
ROLLING_DAYS = {"day": 1, "week": 7, "month": 30}
OUTPUT_COLUMNS = ["cohort", "segment", "period", "cohort_size", "retained", "rate", "ci_low", "ci_high",
                  "complete"]
CURVE_COLUMNS = ["segment", "period", "cohort_size", "retained", "rate", "ci_low", "ci_high", "cohorts"]
MISSING = "(missing)"
_EPOCH = pd.Timestamp("1970-01-01")


# ------------------------------------------------------------------------------------------ arguments


def _event_names(value, name: str) -> list[str] | None:
    """None (= any event), one name, or a non-empty list of names."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    try:
        names = list(value)
    except TypeError:
        raise TypeError(f"{name} must be an event name, a list of names or None (any event), got "
                        f"{value!r}") from None
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ValueError(f"{name}={value!r}: expected an event name, a non-empty list of names, or None "
                         "(any event)")
    return names


def _only(t: ibis.Table, names: list[str] | None) -> ibis.Table:
    if names is None:
        return t
    return t.filter(t.event == names[0]) if len(names) == 1 else t.filter(t.event.isin(names))


def _as_rule(rule) -> ActivationRule:
    if isinstance(rule, ActivationRule):
        return rule
    if isinstance(rule, dict):
        return ActivationRule(**rule)
    raise ValueError(f"rule={rule!r}: an activation rule is needed, e.g. ActivationRule(event='task_completed', "
                     "at_least=3, within_days=7), a dict with those keys, or params.events.activation")


# ------------------------------------------------------------------------------------ period arithmetic


def _period_index(local: ibis.Value, period: str, week_start: str) -> ibis.Value:
    """An integer that numbers calendar periods of a local (wall-clock) timestamp consecutively.

    Days: days since 1970-01-01. Weeks: 1970-01-05 was a Monday (day 4) and 1970-01-04 a Sunday (day 3),
    so (day + 3) // 7 and (day + 4) // 7 step up on Mondays and Sundays. Months: year * 12 + month - 1.
    Plain integer arithmetic keeps the expression portable across ibis backends.
    """
    if period == "month":
        return local.year() * 12 + local.month() - 1
    day = local.date().epoch_days()
    if period == "day":
        return day
    return (day + (3 if week_start == "monday" else 4)) // 7


def _period_start_expr(local: ibis.Value, period: str, week_start: str) -> ibis.Value:
    """The local start (timestamp) of the calendar day / week / month of a local timestamp expression.

    ISO (Monday) weeks are ``truncate("W")`` on every backend; Sunday weeks shift by a day first.
    """
    if period == "day":
        return local.truncate("D")
    if period == "month":
        return local.truncate("M")
    if week_start == "monday":
        return local.truncate("W")
    one_day = ibis.interval(days=1)
    return (local + one_day).truncate("W") - one_day


def _periods_between(start: ibis.Value, later: ibis.Value, period: str) -> ibis.Value:
    """Whole periods from one period start to another (both from :func:`_period_start_expr`)."""
    if period == "month":
        return (later.year() * 12 + later.month()) - (start.year() * 12 + start.month())
    days = later.date().epoch_days() - start.date().epoch_days()
    return days if period == "day" else days // 7


def _indices(values, period: str, week_start: str) -> np.ndarray:
    """Vectorised :func:`_index_of` for period-start timestamps."""
    ts = pd.DatetimeIndex(pd.to_datetime(values))
    if period == "month":
        return (ts.year * 12 + ts.month - 1).to_numpy("int64")
    days = ((ts.normalize() - _EPOCH) // pd.Timedelta(days=1)).to_numpy("int64")
    return days if period == "day" else (days + (3 if week_start == "monday" else 4)) // 7


def period_start(index, period: str, week_start: str = "monday") -> pd.DatetimeIndex:
    """Inverse of the period numbering: the local start (naive Timestamp) of each period index.

    >>> list(period_start([2930], "week"))  # ISO week starting Monday 2026-02-23
    [Timestamp('2026-02-23 00:00:00')]
    """
    idx = np.asarray(index, dtype="int64")
    if period == "month":
        years, months = idx // 12, idx % 12 + 1
        return pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1}))
    days = idx if period == "day" else idx * 7 - (3 if week_start == "monday" else 4)
    return pd.DatetimeIndex(_EPOCH + pd.to_timedelta(days, unit="D"))


def _index_of(ts: pd.Timestamp, period: str, week_start: str) -> int:
    if period == "month":
        return ts.year * 12 + ts.month - 1
    day = (ts.normalize() - _EPOCH).days
    return day if period == "day" else (day + (3 if week_start == "monday" else 4)) // 7


# --------------------------------------------------------------------------------------- cohort table


def _validate_retention_args(events, period, cohort_type, mode, windows, periods, segment, week_start,
                             timezone):
    checks.events_table(events)
    checks.choice("period", period, PERIODS)
    checks.choice("cohort_type", cohort_type, ("first_time", "recurring"))
    checks.choice("mode", mode, ("on", "on_or_after"))
    checks.choice("windows", windows, ("calendar", "rolling"))
    checks.choice("week_start", week_start, ("monday", "sunday"))
    checks.timezone(timezone)
    checks.segment(events, segment)
    if periods is not None and (isinstance(periods, bool) or not isinstance(periods, (int, np.integer))
                                or periods < 0):
        raise ValueError(f"periods={periods!r}: expected the largest period index to report, an integer >= 0 "
                         "(e.g. 12), or None for all")
    if windows == "rolling" and cohort_type == "recurring":
        raise ValueError("windows='rolling' counts from each user's first cohort event, so it needs "
                         "cohort_type='first_time'. Fix: use windows='calendar' with recurring cohorts")


def cohort_retention(events: ibis.Table, period: str = "week", cohort_event=None, return_event=None,
                     cohort_type: str = "first_time", mode: str = "on", windows: str = "calendar",
                     periods: int | None = None, segment: str | None = None, as_of=None,
                     week_start: str = "monday", timezone: str = "UTC") -> pd.DataFrame:
    """The cohort retention table: one row per cohort (x segment) x period.

    A user's **cohort** is the calendar period (day, week or month, in ``timezone``) of their first
    ``cohort_event`` (``cohort_type="first_time"``), or every period in which they did it
    (``"recurring"``). Period 0 is the cohort itself. ``retained`` at period k counts cohort users who did
    ``return_event`` in period k (``mode="on"``, "N-period retention") or in period k or any later one
    (``mode="on_or_after"``, "unbounded retention"); ``rate = retained / cohort_size``.

    With ``windows="calendar"`` period k of cohort c is the k-th calendar period after c (an event at
    any time of it counts, even before the user's own cohort event in period 0). With ``"rolling"``
    period k is the user's own window [first + k*L, first + (k+1)*L) with L = 24 h, 7 days or 30 days
    after their first cohort event; the cohort label is still the calendar period of that first event.

    **Completeness.** Calendar: a cell is complete when its period ended by ``as_of`` (a local date,
    exclusive; default the day after the last event). Rolling: a cell is complete only when *every*
    user of the cohort (all segments together) had their full window k before ``as_of``, i.e. when the
    cohort's latest first event + (k+1)*L <= as_of. Incomplete cells keep ``retained`` as counted so far
    but have ``rate``/``ci_low``/``ci_high`` NaN and ``complete`` False. Cells are listed while their
    period has started before ``as_of`` (the cohort table's triangle), up to ``periods``.

    Typical values (FIELD-FACTS, Koala Feedback): B2B SaaS keeps 70-90% of customers over months;
    consumer apps 20-40% at 90 days is solid; a curve that flattens (even at 10-15% for early B2B, Gupta)
    marks a core of users who found lasting value.

    Parameters
    ----------
    events : ibis.Table with canonical ``user_id``, ``timestamp`` (naive UTC), ``event``.
    period : {"day", "week", "month"}
    cohort_event, return_event : str, list of str or None
        None means any event.
    cohort_type : {"first_time", "recurring"}
    mode : {"on", "on_or_after"}
    windows : {"calendar", "rolling"} (rolling needs ``cohort_type="first_time"``)
    periods : int, optional
        Largest period index to report (default: all).
    segment : str, optional
        A segment column; a user's value is the one on their cohort's first cohort event (missing values
        become "(missing)"); adds a ``segment`` column.
    as_of : date-like, optional
    week_start : {"monday", "sunday"}
    timezone : str, IANA name

    Returns
    -------
    DataFrame with ``cohort`` (naive Timestamp, local start of the period), [``segment``], ``period``
    (int), ``cohort_size``, ``retained`` (int), ``rate``, ``ci_low``, ``ci_high`` (95% Wilson; NaN when
    incomplete), ``complete`` (bool), sorted by cohort, segment, period.

    Examples
    --------
    >>> ev = _data.load_events(pd.DataFrame({
    ...     "user_id": ["a", "a", "b"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-11 09:00", "2025-03-04 09:00"],
    ...     "event": ["signup", "task_completed", "signup"]}))
    >>> t = cohort_retention(ev, "week", as_of="2025-03-17")
    >>> t[["cohort", "period", "cohort_size", "retained", "rate"]].to_string(index=False)
    '    cohort  period  cohort_size  retained  rate\\n2025-03-03       0            2         2   1.0\\n2025-03-03       1            2         1   0.5'
    """
    _validate_retention_args(events, period, cohort_type, mode, windows, periods, segment, week_start,
                             timezone)
    cohort_names = _event_names(cohort_event, "cohort_event")
    return_names = _event_names(return_event, "return_event")
    as_of_local, as_of_utc = _resolve_as_of(events, as_of, timezone)

    ev = events.filter(events.timestamp < as_of_utc)
    ev = ev.select("user_id", "timestamp", "event", *([segment] if segment else []))
    ev = ev.mutate(_p=_period_start_expr(_data.local_time(ev.timestamp, timezone), period, week_start))
    keys = ["_c"] + (["segment"] if segment else [])
    coh = _only(ev, cohort_names)
    if windows == "calendar" and not segment:
        # Work on distinct user-periods only: the table every later step reads is far smaller than events.
        coh_periods = coh.select("user_id", "_p").distinct()
        if cohort_type == "first_time":
            anchors = coh_periods.group_by("user_id").aggregate(_c=coh_periods._p.min())
        else:
            anchors = coh_periods.select("user_id", _c=coh_periods._p)
    else:
        seg_agg = {}
        if segment:
            seg_value = coh[segment].cast("string").fill_null(MISSING)
            seg_agg = {"segment": seg_value.argmin(coh.timestamp)}
        if cohort_type == "first_time":
            anchors = coh.group_by("user_id").aggregate(_c=coh._p.min(), _first=coh.timestamp.min(), **seg_agg)
        else:
            anchors = coh.group_by(["user_id", coh._p.name("_c")]).aggregate(_first=coh.timestamp.min(), **seg_agg)

    if windows == "calendar":
        if not segment and return_names == cohort_names:
            ret = coh_periods
        else:
            ret = _only(ev, return_names).select("user_id", "_p").distinct()
        joined = anchors.join(ret, "user_id")
        joined = joined.mutate(_k=_periods_between(joined._c, joined._p, period))
    else:
        length = ROLLING_DAYS[period] * 86400
        ret = _only(ev, return_names)
        ret = ret.select("user_id", _t=ret.timestamp)
        joined = anchors.join(ret, "user_id")
        elapsed = _data.seconds_between(joined._t, joined._first)
        joined = joined.mutate(_k=(elapsed // length).cast("int64"))
    joined = joined.filter(joined._k >= 0)
    if mode == "on":
        if windows == "rolling":
            joined = joined.select("user_id", *keys, "_k").distinct()
        if periods is not None:
            joined = joined.filter(joined._k <= periods)
        cells = joined.group_by([*keys, "_k"]).aggregate(_n=ibis._.count())
    else:
        last = joined.group_by(["user_id", *keys]).aggregate(_k=joined._k.max())
        cells = last.group_by([*keys, "_k"]).aggregate(_n=ibis._.count())
    # One query: cohort sizes travel with the cells as rows with _k = -1.
    if windows == "calendar":
        no_time = ibis.null().cast("timestamp")
        first = {"_first_min": no_time, "_first_max": no_time}
    else:
        first = {"_first_min": anchors._first.min(), "_first_max": anchors._first.max()}
    sizes = anchors.group_by(keys).aggregate(_n=ibis._.count(), **first)
    sizes = sizes.mutate(_k=ibis.literal(-1, "int64"))
    no_time = ibis.null().cast(sizes._first_min.type())
    cells = cells.mutate(_k=cells._k.cast("int64"), _first_min=no_time, _first_max=no_time)
    columns = [*keys, "_k", "_n", "_first_min", "_first_max"]
    both = sizes.select(*columns).union(cells.select(*columns), distinct=False).execute()
    is_size = both["_k"] == -1
    sizes_df = both[is_size].drop(columns="_k").rename(columns={"_n": "cohort_size"})
    cells_df = both[~is_size].drop(columns=["_first_min", "_first_max"])
    if sizes_df.empty:
        _explain_empty(events, cohort_names, "cohort_event", as_of_local)
    table = _assemble(sizes_df, cells_df, keys, period, windows, mode, periods, week_start,
                      as_of_local, as_of_utc)
    if return_names is not None and not table["retained"].any():
        _explain_empty(events, return_names, "return_event", as_of_local)
    return table


def _explain_empty(events: ibis.Table, names, argument: str, as_of_local) -> None:
    present = set(events.select("event").distinct().execute()["event"])
    if names is not None:
        unknown = [n for n in names if n not in present]
        if unknown:
            raise ValueError(f"{argument}={names if len(names) > 1 else names[0]!r}: no event named "
                             f"{', '.join(map(repr, unknown))} in the data (events include: "
                             f"{', '.join(sorted(present)[:12])}). Fix: correct the name")
    if argument == "cohort_event":
        raise ValueError(f"no {argument} occurs before as_of={as_of_local:%Y-%m-%d}, so there are no cohorts. "
                         "Fix: choose a later as_of or another cohort_event")


def _assemble(sizes, cells, keys, period, windows, mode, periods, week_start, as_of_local, as_of_utc):
    """Expand each cohort to its started periods, attach counts, completeness and intervals (pandas, small)."""
    sizes = sizes.assign(_c=_indices(sizes["_c"], period, week_start)).sort_values(keys).reset_index(drop=True)
    cells = cells.assign(_c=_indices(cells["_c"], period, week_start))
    if windows == "calendar":
        last_day = _index_of(as_of_local - pd.Timedelta(days=1), period, week_start)
        n_started = (last_day - sizes["_c"].to_numpy() + 1).clip(min=0)
    else:
        length = pd.Timedelta(days=ROLLING_DAYS[period])
        first_min = pd.to_datetime(sizes["_first_min"])
        n_started = np.ceil((as_of_utc - first_min) / length).to_numpy().astype("int64")
    if periods is not None:
        n_started = np.minimum(n_started, periods + 1)
    n_started = np.maximum(n_started, 1)
    grid = sizes.loc[sizes.index.repeat(n_started)].copy()
    grid["period"] = np.concatenate([np.arange(n) for n in n_started]) if len(sizes) else []
    grid["period"] = grid["period"].astype("int64")
    if windows == "calendar":
        end = period_start(grid["_c"].to_numpy() + grid["period"].to_numpy() + 1, period, week_start)
        grid["complete"] = np.asarray(end <= as_of_local)
    else:
        first_max = pd.to_datetime(grid["_first_max"])
        ends = first_max + (grid["period"] + 1) * pd.Timedelta(days=ROLLING_DAYS[period])
        grid["complete"] = (ends <= as_of_utc).to_numpy()
    cells = cells.rename(columns={"_k": "period"})
    if mode == "on_or_after":
        # a user whose last return is at k counts at every period <= k: clip to the grid, then sum from the right
        top = grid.groupby(keys, sort=False)["period"].max().rename("_top").reset_index()
        cells = cells.merge(top, on=keys, how="inner")
        cells["period"] = np.minimum(cells["period"], cells["_top"])
        cells = cells.groupby([*keys, "period"], as_index=False)["_n"].sum()
    grid = grid.merge(cells, on=[*keys, "period"], how="left")
    grid["retained"] = grid["_n"].fillna(0).astype("int64")
    if mode == "on_or_after":
        grid = grid.sort_values([*keys, "period"], ascending=[True] * len(keys) + [False])
        grid["retained"] = grid.groupby(keys, sort=False)["retained"].cumsum()
    grid["cohort"] = period_start(grid["_c"].to_numpy(), period, week_start)
    grid["cohort_size"] = grid["cohort_size"].astype("int64")
    grid = add_wilson(grid, "retained", "cohort_size")
    grid.loc[~grid["complete"], ["rate", "ci_low", "ci_high"]] = np.nan
    grid["complete"] = grid["complete"].astype(bool)
    columns = [c for c in OUTPUT_COLUMNS if c != "segment" or "segment" in keys]
    grid = grid.sort_values(["cohort", *keys[1:], "period"])
    return grid[columns].reset_index(drop=True)


# ------------------------------------------------------------------------------------ curve, plateau


def retention_curve(table: pd.DataFrame) -> pd.DataFrame:
    """Cohort-size-weighted average retention per period, over complete cells only.

    rate(k) = sum of retained / sum of cohort_size over the cohorts whose cell k is complete (the same
    as averaging the cohorts' rates weighted by their sizes), with a 95% Wilson interval. Later periods
    rest on fewer (older) cohorts: ``cohorts`` says how many.

    Parameters
    ----------
    table : DataFrame from :func:`cohort_retention` (with or without ``segment``).

    Returns
    -------
    DataFrame with [``segment``], ``period``, ``cohort_size``, ``retained``, ``rate``, ``ci_low``,
    ``ci_high``, ``cohorts``; periods without any complete cell are left out.

    >>> t = pd.DataFrame({"cohort": pd.to_datetime(["2025-01-06"] * 2 + ["2025-01-13"] * 2),
    ...     "period": [0, 1, 0, 1], "cohort_size": [10, 10, 30, 30], "retained": [10, 5, 30, 6],
    ...     "complete": [True, True, True, False]})
    >>> retention_curve(t)[["period", "cohort_size", "retained", "rate", "cohorts"]].to_dict("records")
    [{'period': 0, 'cohort_size': 40, 'retained': 40, 'rate': 1.0, 'cohorts': 2}, {'period': 1, 'cohort_size': 10, 'retained': 5, 'rate': 0.5, 'cohorts': 1}]
    """
    missing = {"period", "cohort_size", "retained", "complete"} - set(table.columns)
    if missing:
        raise ValueError(f"retention_curve needs a table from cohort_retention; missing column(s) "
                         f"{', '.join(sorted(missing))}")
    keys = (["segment"] if "segment" in table.columns else []) + ["period"]
    done = table[table["complete"].astype(bool)]
    curve = done.groupby(keys, as_index=False, sort=True).agg(
        cohort_size=("cohort_size", "sum"), retained=("retained", "sum"), cohorts=("period", "size"))
    curve = curve.astype({"cohort_size": "int64", "retained": "int64", "cohorts": "int64"})
    curve = add_wilson(curve, "retained", "cohort_size")
    return curve[[c for c in CURVE_COLUMNS if c in curve.columns]].reset_index(drop=True)


@dataclass(frozen=True)
class Plateau:
    """Where a retention curve flattens (see :func:`plateau`)."""

    found: bool
    period: int | None
    level: float | None
    ci_low: float | None
    ci_high: float | None
    slope: float | None
    unit: str
    sentence: str

    def _repr_markdown_(self) -> str:
        return self.sentence


def plateau(curve: pd.DataFrame, tolerance: float = 0.005, min_periods: int = 4, min_users: int = 30,
            start: int = 1, unit: str = "period", segment=None) -> Plateau:
    """Whether and where a retention curve flattens, and at what level.

    Rule (stated so it can be checked by hand): consider periods >= ``start`` whose pooled cohort size is
    at least ``min_users``. The plateau starts at the first period p such that, from p to the last
    period (at least ``min_periods`` of them):

    1. the least-squares slope of rate on period, weighted by cohort size, declines by no more than
       ``tolerance`` per period (0.005 = half a percentage point): the trend is flat; and
    2. every step from one period to the next either declines by no more than ``tolerance`` or stays
       inside the noise (the two periods' 95% Wilson intervals overlap): no drop larger than noise is left.

    The level is the size-weighted rate over p..last, with the Wilson interval of the pooled counts.
    Why: a curve that stops declining (Gupta: "a curve that flattens is the PMF signal") shows users who
    stay; asking for a flat trend *and* no real step down keeps noise in late, small periods from faking or
    hiding a plateau.

    Parameters
    ----------
    curve : DataFrame from :func:`retention_curve` (pass ``segment=`` to pick one segment's curve).
    tolerance : float, largest decline per period still called flat (absolute rate units).
    min_periods : int, fewest periods the flat stretch must span.
    min_users : int, periods resting on fewer pooled users are ignored.
    start : int, first period considered (1: period 0 is 100% by construction for "any event").
    unit : str, the period's name for the sentence ("week", "month", ...).

    Returns
    -------
    Plateau (frozen): found, period, level, ci_low, ci_high, slope (per period, from ``period`` on), unit,
    sentence.

    >>> c = pd.DataFrame({"period": range(8), "cohort_size": [1000] * 8,
    ...                   "retained": [1000, 500, 350, 260, 250, 248, 251, 247]})
    >>> p = plateau(c, unit="week")
    >>> p.found, p.period, round(p.level, 3)
    (True, 3, 0.251)
    """
    c = curve
    if segment is not None:
        if "segment" not in c.columns:
            raise ValueError("segment= given but the curve has no segment column")
        c = c[c["segment"] == segment]
    elif "segment" in c.columns and c["segment"].nunique() > 1:
        raise ValueError("the curve has several segments; pass segment=<value> to pick one")
    c = c[(c["period"] >= start) & (c["cohort_size"] >= min_users)].sort_values("period")
    periods = c["period"].to_numpy()
    retained = c["retained"].to_numpy(dtype="float64")
    sizes = c["cohort_size"].to_numpy(dtype="float64")
    rates = retained / sizes
    lows, highs = wilson_interval(retained, sizes) if len(c) else (np.array([]), np.array([]))
    # step j (from period j to j+1) is acceptable when small or within noise
    small_step = (rates[:-1] - rates[1:] <= tolerance) | (highs[1:] >= lows[:-1])
    for i in range(len(c) - min_periods + 1):
        x, y, w = periods[i:], rates[i:], sizes[i:]
        xm, ym = np.average(x, weights=w), np.average(y, weights=w)
        slope = float(np.sum(w * (x - xm) * (y - ym)) / np.sum(w * (x - xm) ** 2))
        if slope >= -tolerance and np.all(small_step[i:]):
            level = float(retained[i:].sum() / sizes[i:].sum())
            low, high = wilson_interval(retained[i:].sum(), sizes[i:].sum())
            p = int(periods[i])
            sentence = (f"The curve flattens from {unit} {p} on: from then it changes by {slope * 100:+.2f} "
                        f"points per {unit} and holds at about {level:.1%} (95% interval {low:.1%}-{high:.1%}) "
                        f"through {unit} {int(periods[-1])}.")
            return Plateau(True, p, level, low, high, slope, unit, sentence)
    if len(c) < min_periods:
        sentence = (f"Too few complete {unit}s ({len(c)}, need {min_periods}) with {min_users}+ users to judge "
                    "whether the curve flattens.")
    else:
        sentence = (f"The curve has not flattened: through {unit} {int(periods[-1])} it keeps declining by more "
                    f"than {tolerance * 100:.1f} points per {unit}, or by steps larger than their noise.")
    return Plateau(False, None, None, None, None, None, unit, sentence)


# --------------------------------------------------------------------------------------- activation


def activated_users(events: ibis.Table, signup_event="signup", rule=None, as_of=None,
                    timezone: str = "UTC") -> ibis.Table:
    """Per signed-up user: when they signed up and whether (and when) they met the activation rule.

    A user is **activated** when they do ``rule.event`` at least ``rule.at_least`` times in
    [signup_time, signup_time + ``rule.within_days``) (e.g. Facebook's "7 friends in 10 days"); the
    sign-up time is their first ``signup_event``. ``activated_at`` is the time of the ``at_least``-th such
    event. ``window_complete`` is False when the window had not ended by ``as_of`` (local date, default the
    day after the last event): such a user may still activate, so leave them out of activation rates.
    Events at or after ``as_of`` are ignored. Activation rate = activated / signups among complete
    windows; strong rates are typically 25-40% (Koala Feedback, via FIELD-FACTS).

    Parameters
    ----------
    events : ibis.Table (canonical columns)
    signup_event : str
    rule : ActivationRule or dict(event, at_least, within_days); e.g. ``params.events.activation``
    as_of : date-like, optional
    timezone : str, the zone ``as_of`` is a local date in

    Returns
    -------
    ibis.Table (one row per signed-up user, unexecuted) with ``user_id``, ``signup_time`` (naive UTC),
    ``activated`` (bool), ``activated_at`` (timestamp or null), ``window_complete`` (bool).

    >>> ev = _data.load_events(pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b"], "event": ["signup", "task_completed", "task_completed", "signup"],
    ...     "timestamp": ["2025-03-01 09:00", "2025-03-02 09:00", "2025-03-05 09:00", "2025-03-09 12:00"]}))
    >>> t = activated_users(ev, rule={"event": "task_completed", "at_least": 2, "within_days": 7})
    >>> t.order_by("user_id").execute()[["user_id", "activated", "window_complete"]].to_dict("list")
    {'user_id': ['a', 'b'], 'activated': [True, False], 'window_complete': [True, False]}
    """
    checks.events_table(events)
    rule = _as_rule(rule)
    if not isinstance(signup_event, str) or not signup_event:
        raise ValueError(f"signup_event={signup_event!r}: expected an event name such as 'signup'")
    checks.timezone(timezone)
    _, as_of_utc = _resolve_as_of(events, as_of, timezone)
    ev = events.filter(events.timestamp < as_of_utc)
    signups = ev.filter(ev.event == signup_event)
    signups = signups.group_by("user_id").aggregate(signup_time=signups.timestamp.min())
    window = ibis.interval(seconds=int(round(rule.within_days * 86400)))
    acts = ev.filter(ev.event == rule.event).select(_uid=ev.user_id, _t=ev.timestamp)
    hits = signups.join(acts, signups.user_id == acts._uid)
    hits = hits.filter((hits._t >= hits.signup_time) & (hits._t < hits.signup_time + window))
    hits = hits.mutate(_n=ibis.row_number().over(group_by="user_id", order_by="_t"))
    hits = hits.filter(hits._n == rule.at_least - 1).select(_uid2=hits.user_id, activated_at=hits._t)
    out = signups.left_join(hits, signups.user_id == hits._uid2)
    return out.select(
        user_id=out.user_id,
        signup_time=out.signup_time,
        activated=out.activated_at.notnull(),
        activated_at=out.activated_at,
        window_complete=(out.signup_time + window) <= ibis.literal(as_of_utc),
    )


def activation_rate(events: ibis.Table, rule, signup_event="signup", as_of=None, timezone="UTC") -> dict:
    """Activated / signed-up users among complete activation windows, with a Wilson interval.

    >>> ev = _data.load_events(pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["signup", "x", "signup"],
    ...     "timestamp": ["2025-03-01", "2025-03-02", "2025-03-01"]}))
    >>> activation_rate(ev, {"event": "x"}, as_of="2025-04-01")["rate"]
    0.5
    """
    users = activated_users(events, signup_event, rule, as_of, timezone)
    done = users.filter(users.window_complete)
    row = done.aggregate(n=done.count(), k=done.activated.cast("int64").sum()).execute().iloc[0]
    n, k = int(row["n"]), int(row["k"] or 0)
    low, high = wilson_interval(k, n)
    return {"signups": n, "activated": k, "rate": k / n if n else float("nan"), "ci_low": low, "ci_high": high}


def _with_activation(events, rule, signup_event, as_of, timezone):
    """Events of users with a complete activation window, tagged ``activation`` = activated / not activated."""
    users = activated_users(events, signup_event, rule, as_of, timezone)
    users = users.filter(users.window_complete).select(
        _uid=users.user_id,
        activation=ibis.ifelse(users.activated, "activated", "not activated"))
    joined = events.join(users, events.user_id == users._uid)
    return joined.drop("_uid")


def activation_curves(events: ibis.Table, rule, signup_event="signup", return_event=None, period="week",
                      windows="calendar", as_of=None, timezone="UTC", week_start="monday",
                      periods: int | None = None) -> pd.DataFrame:
    """Retention curves (by sign-up cohort) of activated users vs the rest: :func:`retention_curve` with
    ``segment`` = "activated" / "not activated". Users whose activation window was still open at
    ``as_of`` are left out."""
    tagged = _with_activation(events, rule, signup_event, as_of, timezone)
    table = cohort_retention(tagged, period=period, cohort_event=signup_event, return_event=return_event,
                             windows=windows, periods=periods, segment="activation", as_of=as_of,
                             week_start=week_start, timezone=timezone)
    return retention_curve(table)


def activated_retention(events: ibis.Table, rule, signup_event="signup", return_event=None, at=(2, 4),
                        period="week", windows="calendar", as_of=None, timezone="UTC",
                        week_start="monday") -> pd.DataFrame:
    """Period-``at`` retention (default weeks 2 and 4) of activated users vs the rest, compared.

    Cohorts are sign-up periods; retention is any ``return_event`` (default any event) in period k
    (``mode="on"``), pooled over complete cells. ``diff = activated rate - other rate`` with Newcombe's
    interval; ``significant`` when it excludes 0. Pre-PMF the number to watch is week-2/week-4 retention
    of activated users improving across cohorts (PMRead, via FIELD-FACTS).

    Returns
    -------
    DataFrame, one row per period in ``at``: ``period``, ``activated_users``, ``activated_retained``,
    ``activated_rate``, ``other_users``, ``other_retained``, ``other_rate``, ``diff``, ``ci_low``,
    ``ci_high``, ``p_value``, ``significant``, ``small_sample``.
    """
    at = [at] if isinstance(at, (int, np.integer)) else list(at)
    curves = activation_curves(events, rule, signup_event, return_event, period, windows, as_of, timezone,
                               week_start, periods=max(at))
    rows = []
    for k in at:
        def counts(group):
            r = curves[(curves["segment"] == group) & (curves["period"] == k)]
            return (int(r["retained"].iloc[0]), int(r["cohort_size"].iloc[0])) if len(r) else (0, 0)
        (s1, n1), (s2, n2) = counts("activated"), counts("not activated")
        d = diff_proportions(s1, n1, s2, n2)
        rows.append({"period": k, "activated_users": n1, "activated_retained": s1, "activated_rate": d["p1"],
                     "other_users": n2, "other_retained": s2, "other_rate": d["p2"], "diff": d["diff"],
                     "ci_low": d["ci_low"], "ci_high": d["ci_high"], "p_value": d["p_value"],
                     "significant": d["significant"], "small_sample": d["small_sample"]})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ stickiness


def stickiness(events: ibis.Table, as_of=None, timezone: str = "UTC", event=None) -> pd.DataFrame:
    """Daily actives and stickiness: DAU, WAU, MAU (28 and 30 days) and DAU/MAU, per local day.

    DAU(d) = distinct users active on day d; WAU(d) = distinct users active in the 7 days ending on d;
    ``mau_28`` and ``mau_30`` the same over 28 and 30 days; ``dau_mau = dau / mau_28``. 28 days (four whole
    weeks) is the default because every weekday appears equally often in it, so weekends do not tilt the
    ratio; ``mau_30`` is there for teams that report calendar-month-like windows. Typical DAU/MAU: 20-30%
    for B2B tools, 50%+ aimed at by social networks (Koala Feedback); above 20% reads as habit-forming
    (Gupta) (FIELD-FACTS).

    Computed in the backend without loops: a user active on day d, whose next active day is n, is counted
    in the N-day window of every day from d to min(n, d + N) - 1; those stretches never overlap for one
    user, so summing +1 at d and -1 at min(n, d + N) over users and accumulating along the days gives the
    exact rolling distinct count.

    Parameters
    ----------
    events : ibis.Table; event : name, list or None (any event counts as active); as_of, timezone as in
        :func:`cohort_retention`.

    Returns
    -------
    DataFrame, one row per local day from the first active day to the day before ``as_of``: ``date``,
    ``dau``, ``wau``, ``mau_28``, ``mau_30``, ``dau_mau``, ``full_window`` (False while the 30-day
    window reaches before the first day of data, when MAU is understated and DAU/MAU overstated).

    >>> ev = _data.load_events(pd.DataFrame({"user_id": ["a", "b", "a"], "event": ["x"] * 3,
    ...     "timestamp": ["2025-03-01 10:00", "2025-03-01 11:00", "2025-03-03 10:00"]}))
    >>> stickiness(ev)[["dau", "wau"]].to_dict("list")
    {'dau': [2, 0, 1], 'wau': [2, 2, 2]}
    """
    checks.events_table(events)
    checks.timezone(timezone)
    names = _event_names(event, "event")
    as_of_local, as_of_utc = _resolve_as_of(events, as_of, timezone)
    ev = _only(events.filter(events.timestamp < as_of_utc), names)
    days = ev.select("user_id", _d=_data.local_time(ev.timestamp, timezone).date().epoch_days()).distinct()
    days = days.mutate(_next=days._d.lead().over(group_by="user_id", order_by="_d"))
    far = days._d + 100_000
    parts = [days.select(_day=days._d, dau=ibis.literal(1), s7=ibis.literal(1), s28=ibis.literal(1),
                         s30=ibis.literal(1))]
    for n in (7, 28, 30):
        end = ibis.least(days._next.fill_null(far), days._d + n)
        parts.append(days.select(_day=end, dau=ibis.literal(0),
                                 **{f"s{m}": ibis.literal(-1 if m == n else 0) for m in (7, 28, 30)}))
    steps = ibis.union(*parts, distinct=False)
    daily = steps.group_by("_day").aggregate(dau=steps.dau.sum(), s7=steps.s7.sum(), s28=steps.s28.sum(),
                                             s30=steps.s30.sum()).execute()
    columns = ["date", "dau", "wau", "mau_28", "mau_30", "dau_mau", "full_window"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    first = int(daily["_day"].min())
    last = (as_of_local - _EPOCH).days - 1
    daily = daily.set_index("_day").reindex(range(first, max(last, first) + 1), fill_value=0)
    out = pd.DataFrame({
        "date": pd.DatetimeIndex(_EPOCH + pd.to_timedelta(daily.index.to_numpy(), unit="D")),
        "dau": daily["dau"].to_numpy("int64"),
        "wau": daily["s7"].cumsum().to_numpy("int64"),
        "mau_28": daily["s28"].cumsum().to_numpy("int64"),
        "mau_30": daily["s30"].cumsum().to_numpy("int64"),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["dau_mau"] = np.where(out["mau_28"] > 0, out["dau"] / out["mau_28"], np.nan)
    out["full_window"] = (out.index >= 29)
    return out[columns]


def dau_mau(table: pd.DataFrame, days: int = 28) -> float:
    """The average DAU/MAU (28-day MAU) over the last ``days`` days of a :func:`stickiness` table."""
    tail = table[table["full_window"]].tail(days)
    return float(tail["dau_mau"].mean()) if len(tail) else float("nan")


# ------------------------------------------------------------------------------------------- lifecycle


def lifecycle(events: ibis.Table, period: str = "week", event=None, as_of=None, timezone: str = "UTC",
              week_start: str = "monday") -> pd.DataFrame:
    """Growth accounting: new, returning, resurrecting and dormant users per period.

    For each period t, among users active (did ``event``, default any) in t:

    - **new**: t is their first active period in the data;
    - **returning** (Amplitude's "current"): also active in t-1;
    - **resurrecting** (Amplitude's "resurrected"): not active in t-1 but active in some period before;

    and **dormant** (shown negative): active in t-1 but not in t. This is the lifecycle chart of
    Amplitude and Mixpanel (Mixpanel labels dormant users as lost). active = new + returning +
    resurrecting; quick ratio = (new + resurrecting) / dormant (above 1: the active base grows). The
    first periods of a log count everybody as new (nobody's history is known yet), and the last period
    is incomplete when ``as_of`` falls inside it (``complete`` False).

    Returns
    -------
    DataFrame, one row per period: ``period`` (local start, naive Timestamp), ``new``, ``returning``,
    ``resurrecting``, ``dormant`` (<= 0), ``active``, ``quick_ratio``, ``complete``.

    >>> ev = _data.load_events(pd.DataFrame({"user_id": ["a", "a", "b", "a"], "event": ["x"] * 4,
    ...     "timestamp": ["2025-03-03", "2025-03-10", "2025-03-10", "2025-03-24"]}))
    >>> lifecycle(ev, as_of="2025-03-31")[["new", "returning", "resurrecting", "dormant"]].values.tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, -2], [0, 0, 1, 0]]
    """
    checks.events_table(events)
    checks.choice("period", period, PERIODS)
    checks.choice("week_start", week_start, ("monday", "sunday"))
    checks.timezone(timezone)
    names = _event_names(event, "event")
    as_of_local, as_of_utc = _resolve_as_of(events, as_of, timezone)
    ev = _only(events.filter(events.timestamp < as_of_utc), names)
    up = ev.select("user_id", _p=_period_index(_data.local_time(ev.timestamp, timezone), period,
                                                week_start)).distinct()
    up = up.mutate(_prev=up._p.lag().over(group_by="user_id", order_by="_p"),
                   _next=up._p.lead().over(group_by="user_id", order_by="_p"))
    status = ibis.cases((up._prev.isnull(), "new"), (up._prev == up._p - 1, "returning"),
                        else_="resurrecting")
    active = up.group_by([up._p, status.name("_s")]).aggregate(_n=ibis._.count()).execute()
    gone = up.filter(up._next.isnull() | (up._next > up._p + 1))
    dormant = gone.group_by(_p=gone._p + 1).aggregate(_n=ibis._.count()).execute()
    last = _index_of(as_of_local - pd.Timedelta(days=1), period, week_start)
    columns = ["period", "new", "returning", "resurrecting", "dormant", "active", "quick_ratio", "complete"]
    if active.empty:
        return pd.DataFrame(columns=columns)
    wide = active.pivot_table(index="_p", columns="_s", values="_n", aggfunc="sum", fill_value=0)
    first = int(wide.index.min())
    wide = wide.reindex(index=range(first, last + 1), columns=["new", "returning", "resurrecting"],
                        fill_value=0)
    lost = dormant.set_index("_p")["_n"].reindex(wide.index, fill_value=0)
    out = pd.DataFrame({"period": period_start(wide.index.to_numpy(), period, week_start)})
    for col in ("new", "returning", "resurrecting"):
        out[col] = wide[col].to_numpy("int64")
    out["dormant"] = -lost.to_numpy("int64")
    out["active"] = out["new"] + out["returning"] + out["resurrecting"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["quick_ratio"] = np.where(out["dormant"] < 0, (out["new"] + out["resurrecting"]) / -out["dormant"],
                                      np.nan)
    ends = period_start(wide.index.to_numpy() + 1, period, week_start)
    out["complete"] = np.asarray(ends <= as_of_local)
    return out[columns]


# ------------------------------------------------------------------------------------ segment checks


def segment_breakdown(table: pd.DataFrame, at: int = 4, min_users: int = 30) -> pd.DataFrame:
    """Each segment's retention at period ``at`` vs all other segments together, and whether the gap is
    larger than its noise ("averages hide it").

    Pools complete cells at period ``at`` per segment (size-weighted), compares each segment with the
    rest by :func:`pmplaybook.stats.diff_proportions` (Newcombe interval of the difference, z test), and
    flags a segment when the interval of ``diff`` excludes 0 and the segment has ``min_users`` users.

    Parameters
    ----------
    table : :func:`cohort_retention` output with a ``segment`` column.

    Returns
    -------
    DataFrame, one row per segment (largest first): ``segment``, ``cohort_size``, ``retained``, ``rate``,
    ``ci_low``, ``ci_high``, ``rest_rate``, ``diff``, ``diff_low``, ``diff_high``, ``p_value``,
    ``significant``, ``flag`` ("higher" / "lower" / "").
    """
    if "segment" not in table.columns:
        raise ValueError("segment_breakdown needs cohort_retention(..., segment=<column>) output")
    cells = table[(table["period"] == at) & table["complete"]]
    seg = cells.groupby("segment", as_index=False).agg(cohort_size=("cohort_size", "sum"),
                                                       retained=("retained", "sum"))
    seg = add_wilson(seg, "retained", "cohort_size")
    total_n, total_s = seg["cohort_size"].sum(), seg["retained"].sum()
    rows = []
    for r in seg.itertuples(index=False):
        d = diff_proportions(r.retained, r.cohort_size, total_s - r.retained, total_n - r.cohort_size)
        significant = bool(d["significant"] and r.cohort_size >= min_users)
        rows.append({"rest_rate": d["p2"], "diff": d["diff"], "diff_low": d["ci_low"], "diff_high": d["ci_high"],
                     "p_value": d["p_value"], "significant": significant,
                     "flag": ("higher" if d["diff"] > 0 else "lower") if significant else ""})
    out = pd.concat([seg.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    return out.sort_values("cohort_size", ascending=False).reset_index(drop=True)


def segment_shift(table: pd.DataFrame, at: int = 4, min_cohorts: int = 4, min_users: int = 30,
                  exclude=()) -> pd.DataFrame:
    """For each segment, the cohort date after which its period-``at`` retention changed most.

    For every segment and every split cohort (leaving at least ``min_cohorts`` complete cohorts on each
    side), compare pooled retention of cohorts from the split on with the cohorts before it
    (diff_proportions); keep the split with the largest |z|. A segment whose retention *collapsed* shows a
    large negative, significant ``diff``; the other segments' rows show whether the average moved too.

    Returns
    -------
    DataFrame, one row per segment (biggest significant drop first): ``segment``, ``split`` (first cohort
    of the "after" group), ``before_rate``, ``after_rate``, ``before_users``, ``after_users``, ``diff``,
    ``ci_low``, ``ci_high``, ``significant``.
    """
    if "segment" not in table.columns:
        raise ValueError("segment_shift needs cohort_retention(..., segment=<column>) output")
    cells = table[(table["period"] == at) & table["complete"] & ~table["cohort"].isin(list(exclude))]
    rows = []
    for value, g in cells.groupby("segment"):
        g = g.sort_values("cohort")
        n, s = g["cohort_size"].to_numpy(), g["retained"].to_numpy()
        best = None
        for i in range(min_cohorts, len(g) - min_cohorts + 1):
            n1, s1, n2, s2 = n[i:].sum(), s[i:].sum(), n[:i].sum(), s[:i].sum()
            if min(n1, n2) < min_users:
                continue
            d = diff_proportions(s1, n1, s2, n2)
            if best is None or abs(d["z"]) > abs(best[1]["z"]):
                best = (i, d, n1, n2)
        if best is None:
            continue
        i, d, n1, n2 = best
        rows.append({"segment": value, "split": g["cohort"].iloc[i], "before_rate": d["p2"], "after_rate": d["p1"],
                     "before_users": int(n2), "after_users": int(n1), "diff": d["diff"], "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "p_value": d["p_value"], "significant": d["significant"]})
    cols = ["segment", "split", "before_rate", "after_rate", "before_users", "after_users", "diff", "ci_low",
            "ci_high", "p_value", "significant"]
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        return out
    out["_order"] = np.where(out["significant"], out["ci_high"], np.inf)
    return out.sort_values("_order").drop(columns="_order").reset_index(drop=True)


# ------------------------------------------------------------------------------ findings in words


def _pts(x: float) -> str:
    return f"{x * 100:+.1f} points"


def _label(ts, period: str = "week") -> str:
    ts = pd.Timestamp(ts)
    if period == "month":
        return f"{ts:%B %Y}"
    if period == "day":
        return f"{ts:%Y-%m-%d}"
    return f"the week of {ts:%Y-%m-%d}"


def outlier_cohorts(table: pd.DataFrame, at: int = 4, min_users: int = 30) -> pd.DataFrame:
    """Each complete cohort's retention at period ``at`` vs all other cohorts pooled (diff_proportions).

    Returns one row per cohort: ``cohort``, ``cohort_size``, ``size_ratio`` (to the median cohort),
    ``rate``, ``rest_rate``, ``diff``, ``ci_low``, ``ci_high``, ``z``, ``significant``; most negative z first.
    """
    if "segment" in table.columns:
        table = table.groupby(["cohort", "period"], as_index=False).agg(
            cohort_size=("cohort_size", "sum"), retained=("retained", "sum"), complete=("complete", "all"))
    cells = table[(table["period"] == at) & table["complete"] & (table["cohort_size"] >= min_users)]
    n_all, s_all = cells["cohort_size"].sum(), cells["retained"].sum()
    median = cells["cohort_size"].median()
    rows = []
    for r in cells.itertuples(index=False):
        d = diff_proportions(r.retained, r.cohort_size, s_all - r.retained, n_all - r.cohort_size)
        rows.append({"cohort": r.cohort, "cohort_size": int(r.cohort_size), "size_ratio": r.cohort_size / median,
                     "rate": d["p1"], "rest_rate": d["p2"], "diff": d["diff"], "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "z": d["z"], "p_value": d["p_value"], "significant": d["significant"]})
    cols = ["cohort", "cohort_size", "size_ratio", "rate", "rest_rate", "diff", "ci_low", "ci_high", "z", "p_value",
            "significant"]
    return pd.DataFrame(rows, columns=cols).sort_values("z").reset_index(drop=True)


def weak_cohort_finding(table: pd.DataFrame, at: int = 4, period: str = "week", mix: pd.DataFrame | None = None,
                        min_users: int = 30) -> str:
    """A sentence on the cohort whose period-``at`` retention is furthest below the others (beyond noise),
    e.g. a campaign that brought many low-intent users. ``mix`` (a cohort_retention table with a segment,
    e.g. channel) adds which segment that cohort over-represents."""
    o = outlier_cohorts(table, at, min_users)
    if o.empty:
        return f"No cohort is complete at {period} {at} yet, so cohorts cannot be compared there."
    worst = o.iloc[0]
    if not worst["significant"] or worst["diff"] >= 0:
        return (f"No cohort stands out: every cohort's {period}-{at} retention is within noise of the others "
                f"(the lowest, {_label(worst['cohort'], period)}, kept {worst['rate']:.0%} vs {worst['rest_rate']:.0%}).")
    text = (f"The cohort of {_label(worst['cohort'], period)} stands out: "
            f"{worst['cohort_size']:,} users ({worst['size_ratio']:.1f}x a typical cohort) of whom only "
            f"{worst['rate']:.0%} were active in {period} {at}, against {worst['rest_rate']:.0%} for all other "
            f"cohorts ({_pts(worst['diff'])}, 95% interval {_pts(worst['ci_low'])} to {_pts(worst['ci_high'])}).")
    mixes = mix if isinstance(mix, dict) else ({"segment": mix} if mix is not None else {})
    best = None
    for column, m in mixes.items():
        if m is None or "segment" not in m.columns:
            continue
        share = m[m["period"] == 0].groupby(["cohort", "segment"])["cohort_size"].sum()
        if worst["cohort"] not in share.index.get_level_values("cohort"):
            continue
        inside = share.xs(worst["cohort"], level="cohort")
        outside = share.drop(worst["cohort"], level="cohort").groupby(level="segment").sum()
        lift = (inside / inside.sum()) - (outside / outside.sum()).reindex(inside.index).fillna(0)
        if best is None or lift.max() > best[0]:
            top = lift.idxmax()
            best = (lift.max(), column, top, inside[top] / inside.sum(), outside.get(top, 0) / outside.sum())
    if best is not None and best[0] > 0.1:
        _, column, top, share_in, share_out = best
        text += (f" {share_in:.0%} of it had {column} = {top} (vs {share_out:.0%} of other cohorts): a burst "
                 "of users with less intent to stay.")
    return text


def collapse_finding(table: pd.DataFrame, at: int = 4, period: str = "week", column: str = "segment",
                     min_cohorts: int = 4, exclude=(), max_p: float = 0.001) -> str:
    """A sentence on the segment whose period-``at`` retention dropped most (and significantly) from some
    cohort on, and on how little the overall average shows it (from :func:`segment_shift`)."""
    shifts = segment_shift(table, at=at, min_cohorts=min_cohorts, exclude=exclude)
    drops = shifts[(shifts["p_value"] < max_p) & (shifts["diff"] < 0)] if len(shifts) else shifts
    drops = drops.sort_values("ci_high")
    if drops.empty:
        return (f"No {column} segment's {period}-{at} retention fell beyond its noise at any point: the average "
                "is not hiding a collapse here.")
    top = drops.iloc[0]
    split = pd.Timestamp(top["split"])
    cells = table[(table["period"] == at) & table["complete"] & ~table["cohort"].isin(list(exclude))]
    before, after = cells[cells["cohort"] < split], cells[cells["cohort"] >= split]
    rate = lambda c: c["retained"].sum() / c["cohort_size"].sum() if c["cohort_size"].sum() else float("nan")  # noqa: E731
    others = after[after["segment"] != top["segment"]]
    others_before = before[before["segment"] != top["segment"]]
    overall = rate(after) - rate(before)
    return (f"Users with {column} = {top['segment']} who joined from {_label(split, period)} on kept "
            f"{top['after_rate']:.0%} at {period} {at}, down from {top['before_rate']:.0%} before "
            f"({_pts(top['diff'])}, 95% interval {_pts(top['ci_low'])} to {_pts(top['ci_high'])}). The other "
            f"{column} values went from {rate(others_before):.0%} to {rate(others):.0%}, and the overall average "
            f"from {rate(before):.0%} to {rate(after):.0%} ({_pts(overall)}): a drift nobody would chase, "
            f"while one segment lost {abs(top['diff']) / top['before_rate']:.0%} of its retention.")


def spikes(daily: pd.DataFrame, table: pd.DataFrame, at: int = 1, min_lift: float = 0.5,
           baseline_days: int = 28, top: int = 2) -> pd.DataFrame:
    """Spikes in daily actives and whether the cohorts that joined during them retained differently.

    A spike day has DAU at least ``1 + min_lift`` times the median DAU of the previous ``baseline_days``
    days; consecutive spike days form one episode. For each episode (largest first, up to ``top``), the
    sign-up cohort holding its first day is compared at period ``at`` with the ``neighbours`` cohorts on
    each side (diff_proportions). A spike of returning users (a holiday, a promotion e-mail) leaves that
    comparison within noise; a spike of new low-intent users shows up as a cohort that retains worse.

    Returns
    -------
    DataFrame: ``start``, ``end``, ``peak``, ``peak_dau``, ``baseline_dau``, ``lift``, ``cohort`` (the one
    holding the first day), ``around_rate``, ``before_rate``, ``diff``, ``ci_low``, ``ci_high``,
    ``significant``.
    """
    cols = ["start", "end", "peak", "peak_dau", "baseline_dau", "lift", "cohort", "around_rate",
            "before_rate", "diff", "ci_low", "ci_high", "significant"]
    d = daily.set_index("date")["dau"].astype("float64")
    base = d.shift(1).rolling(baseline_days, min_periods=baseline_days).median()
    ratio = (d / base).dropna()
    hot = ratio[ratio >= 1 + min_lift]
    if hot.empty:
        return pd.DataFrame(columns=cols)
    episode = (hot.index.to_series().diff() > pd.Timedelta(days=1)).cumsum()
    cells = table[(table["period"] == at) & table["complete"]]
    if "segment" in cells.columns:
        cells = cells.groupby("cohort", as_index=False)[["cohort_size", "retained"]].sum()
    cohorts = sorted(cells["cohort"].unique())
    rows = []
    for _, days in hot.groupby(episode.to_numpy()):
        peak = days.idxmax()
        row = {"start": days.index.min(), "end": days.index.max(), "peak": peak, "peak_dau": int(d[peak]),
               "baseline_dau": float(base[peak]), "lift": float(days.max() - 1)}
        started = [c for c in cohorts if c <= row["start"]]
        if started and cohorts.index(started[-1]) >= 5:
            i = cohorts.index(started[-1])
            a = cells[cells["cohort"].isin(cohorts[i - 1: i + 2])]
            b = cells[cells["cohort"].isin(cohorts[i - 5: i - 1])]
            r = diff_proportions(a["retained"].sum(), a["cohort_size"].sum(), b["retained"].sum(),
                                 b["cohort_size"].sum())
            row.update(cohort=cohorts[i], around_rate=r["p1"], before_rate=r["p2"], diff=r["diff"],
                       ci_low=r["ci_low"], ci_high=r["ci_high"], significant=r["significant"])
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols).sort_values("lift", ascending=False).head(top)
    return out.reset_index(drop=True)


def spike_finding(daily: pd.DataFrame, table: pd.DataFrame, at: int = 1, period: str = "week", **kwargs) -> str:
    """Sentences on the spikes of :func:`spikes`: how big, and whether retention moved with them (a spike
    of visitors is not a change in retention; PMRead, via FIELD-FACTS)."""
    found = spikes(daily, table, at=at, **kwargs)
    if found.empty:
        return "Daily actives show no spike (no day 50% above the median of the four weeks before it)."
    parts = []
    for r in found.itertuples(index=False):
        if r.start == r.end:
            when = f"on {r.start:%A %d %B %Y}"
        elif r.start.month == r.end.month:
            when = f"from {r.start:%d} to {r.end:%d %B %Y}"
        else:
            when = f"from {r.start:%d %B} to {r.end:%d %B %Y}"
        text = (f"Daily actives spiked {when}, up to {r.lift:.0%} above the usual level ({r.peak_dau:,} vs about "
                f"{r.baseline_dau:,.0f}).")
        if pd.isna(r.cohort):
            parts.append(text + " No complete cohort covers it yet.")
            continue
        if r.significant:
            verdict = ("retention moved with it: the users who joined then stayed less, so the spike brought "
                       "low-intent users" if r.diff < 0 else "retention moved with it: those users stayed better")
        else:
            verdict = "within noise: the spike did not move retention"
        parts.append(text + f" The cohorts around it (joined the {period} before, of, and after {r.start:%d %B}) "
                     f"retained {r.around_rate:.0%} at {period} {at}, against {r.before_rate:.0%} for the four cohorts "
                     f"before them ({_pts(r.diff)}, {verdict}).")
    return "\n\n".join(parts)


def activation_finding(curves: pd.DataFrame, unit: str = "week", **plateau_args) -> str:
    """Sentences comparing the curves of activated users and the rest, with each one's plateau."""
    if curves.empty or "segment" not in curves.columns:
        return "No complete cohort of users with a finished activation window yet."
    parts = []
    last = int(curves["period"].max())
    for group in ("activated", "not activated"):
        c = curves[curves["segment"] == group]
        if c.empty:
            continue
        p = plateau(c, unit=unit, segment=group, **plateau_args)
        end = c[c["period"] == c["period"].max()].iloc[0]
        if p.found:
            parts.append(f"{group.capitalize()} users' curve flattens from {unit} {p.period} at about "
                         f"{p.level:.0%}.")
        else:
            parts.append(f"{group.capitalize()} users' curve does not flatten: it is at {end['rate']:.0%} by "
                         f"{unit} {int(end['period'])}.")
    return " ".join(parts) + f" (Curves pooled over complete cohorts, up to {unit} {last}.)"


def compare_curves(curves: dict) -> pd.DataFrame:
    """Stack named curves into one frame whose ``segment`` column is the name (for one chart).

    >>> c = pd.DataFrame({"period": [0], "rate": [1.0]})
    >>> compare_curves({"a": c, "b": c})["segment"].tolist()
    ['a', 'b']
    """
    return pd.concat([c.assign(segment=name) for name, c in curves.items()], ignore_index=True)


def curve_rate(curve: pd.DataFrame, period: int, segment=None) -> float:
    """The curve's rate at one period (NaN when that period has no complete cell)."""
    c = curve if segment is None else curve[curve["segment"] == segment]
    row = c[c["period"] == period]
    return float(row["rate"].iloc[0]) if len(row) else float("nan")


def diagonals(table: pd.DataFrame, period: str = "week", week_start: str = "monday", start: int = 1) -> pd.DataFrame:
    """Calendar periods read along the diagonals: for every calendar period, how far the cohorts' cells in
    it sat from the average curve at their age (size-weighted residual, in rate units).

    A dark (negative) diagonal is a calendar event hitting every cohort at once (a holiday, an outage); a
    column trend is the product changing for new users; a row is one cohort's life.
    """
    t = table[table["complete"] & (table["period"] >= start)]
    if "segment" in t.columns:
        t = t.groupby(["cohort", "period"], as_index=False)[["cohort_size", "retained"]].sum()
    curve = t.groupby("period")[["retained", "cohort_size"]].sum()
    expected = (curve["retained"] / curve["cohort_size"]).rename("expected")
    t = t.join(expected, on="period")
    idx = _indices(t["cohort"], period, week_start) + t["period"].to_numpy()
    t = t.assign(calendar=period_start(idx, period, week_start),
                 residual=(t["retained"] - t["expected"] * t["cohort_size"]))
    out = t.groupby("calendar").agg(cells=("period", "size"), users=("cohort_size", "sum"),
                                    residual=("residual", "sum"))
    out["difference"] = out["residual"] / out["users"]
    return out.drop(columns="residual").reset_index()


def reading_finding(table: pd.DataFrame, at: int = 4, period: str = "week", week_start: str = "monday",
                    span: int = 4) -> str:
    """Sentences that read the cohort table by column (are new cohorts retained better?) and by diagonal
    (did a calendar period hit every cohort?)."""
    cells = table[(table["period"] == at) & table["complete"]]
    if "segment" in cells.columns:
        cells = cells.groupby("cohort", as_index=False)[["cohort_size", "retained"]].sum()
    cells = cells.sort_values("cohort")
    if len(cells) < 2 * span:
        return f"Too few complete cohorts at {period} {at} to read the table's columns yet."
    early, late = cells.head(span), cells.tail(span)
    d = diff_proportions(late["retained"].sum(), late["cohort_size"].sum(), early["retained"].sum(),
                         early["cohort_size"].sum())
    trend = ("better" if d["diff"] > 0 else "worse") if d["significant"] else "about the same (within noise)"
    text = (f"Column {at}: the first {span} cohorts kept {d['p2']:.0%} at {period} {at}, the latest {span} complete "
            f"ones {d['p1']:.0%} ({_pts(d['diff'])}): new users are retained {trend}.")
    diag = diagonals(table, period, week_start)
    diag = diag[diag["cells"] >= 3]
    if len(diag):
        low = diag.loc[diag["difference"].idxmin()]
        text += (f" Diagonals: the calendar {period} starting {low['calendar']:%Y-%m-%d} is the weakest, with the "
                 f"{int(low['cells'])} cohorts active in it {abs(low['difference']) * 100:.1f} points below their "
                 "usual rate at that age, the mark of a calendar event rather than of a cohort.")
    return text


def incomplete_finding(table: pd.DataFrame, period: str = "week", at: int | None = None) -> str:
    """How many cells are incomplete, and what reading them (and the cells not reached yet) as zeros would
    do to the period-``at`` average (default: the last period of the table, where the effect is largest)."""
    n = int((~table["complete"]).sum())
    if n == 0:
        return "Every cell in this table is complete."
    at = int(table["period"].max()) if at is None else at
    right = curve_rate(retention_curve(table), at)
    sizes = table[table["period"] == 0].groupby("cohort")["cohort_size"].first()
    cells = table[(table["period"] == at) & table["complete"]]
    wrong = cells["retained"].sum() / sizes.sum()
    return (f"{n} cells have not finished yet (dashed blanks in the heatmap), and the newest cohorts have not "
            f"reached the later {period}s at all. Reading those as zeros would put {period}-{at} retention at "
            f"{wrong:.0%} instead of {right:.0%} (the average of the cohorts that did reach {period} {at}): a "
            "collapse that has not happened.")


def stickiness_finding(daily: pd.DataFrame, days: int = 28) -> str:
    """The latest DAU/MAU (average of the last ``days`` days), with the practitioners' ranges."""
    value = dau_mau(daily, days)
    if not np.isfinite(value):
        return "Not enough days of data for a full 28-day MAU window yet."
    tail = daily[daily["full_window"]].tail(days)
    verdict = ("habit-forming territory (above 20%, Gupta)" if value > 0.2 else
               "below the 20% usually read as habit-forming (Gupta)")
    return (f"Over the last {len(tail)} days an average of {tail['dau'].mean():,.0f} of {tail['mau_28'].mean():,.0f} "
            f"monthly actives used the product each day: DAU/MAU = {value:.0%}, {verdict}; B2B tools usually sit at "
            "20-30% (Koala Feedback).")


def lifecycle_finding(table: pd.DataFrame, period: str = "week") -> str:
    """A sentence on the last complete period of a :func:`lifecycle` table and its quick ratio."""
    done = table[table["complete"]]
    if len(done) < 2:
        return "Too few complete periods for a lifecycle reading."
    r = done.iloc[-1]
    q = done["quick_ratio"].tail(4).mean()
    return (f"In the {period} of {r['period']:%Y-%m-%d}, {int(r['active']):,} users were active: {int(r['new']):,} new, "
            f"{int(r['returning']):,} returning and {int(r['resurrecting']):,} resurrected, while "
            f"{-int(r['dormant']):,} went dormant. The quick ratio ((new + resurrected) / dormant) averaged {q:.2f} "
            f"over the last four {period}s: " + ("the active base is growing." if q > 1.05 else
                                           "the active base is shrinking." if q < 0.95 else
                                           "the active base is roughly steady (gains and losses balance)."))


def segment_tables(events: ibis.Table, columns, **kwargs) -> dict:
    """:func:`cohort_retention` once per segment column: {column: table}."""
    return {col: cohort_retention(events, segment=col, **kwargs) for col in columns}


def breakdowns(tables: dict, at: int = 4, min_users: int = 30) -> pd.DataFrame:
    """:func:`segment_breakdown` of every segment column, stacked with a ``column`` column."""
    parts = [segment_breakdown(t, at, min_users).assign(column=col) for col, t in tables.items()]
    if not parts:
        return pd.DataFrame(columns=["column", "segment"])
    out = pd.concat(parts, ignore_index=True)
    return out[["column", *[c for c in out.columns if c != "column"]]]


def one_off_cohorts(table: pd.DataFrame, at: int = 4, p_value: float = 0.001) -> list:
    """Cohorts whose period-``at`` retention differs from all others at p < ``p_value`` (one-off events such
    as a campaign burst); segment tables are pooled over segments first."""
    o = outlier_cohorts(table, at)
    return list(o.loc[o["p_value"] < p_value, "cohort"])


def collapse_search(tables: dict, at: int = 4, period: str = "week", min_cohorts: int = 4,
                    max_p: float = 0.001) -> str:
    """:func:`collapse_finding` on the segment column whose largest significant, lasting drop is biggest.

    One-off cohorts (:func:`one_off_cohorts`, e.g. a campaign burst) are left out first: a single odd
    cohort is not a segment collapsing.
    """
    if not tables:
        return "This team lists no segments in its params, so there is no breakdown to search."
    best, best_col = None, None
    exclude = one_off_cohorts(next(iter(tables.values())), at)
    for col, t in tables.items():
        shifts = segment_shift(t, at=at, min_cohorts=min_cohorts, exclude=exclude)
        drops = shifts[(shifts["p_value"] < max_p) & (shifts["diff"] < 0)] if len(shifts) else shifts
        drops = drops.sort_values("ci_high")
        if len(drops) and (best is None or drops["ci_high"].iloc[0] < best):
            best, best_col = drops["ci_high"].iloc[0], col
    if best_col is None:
        names = ", ".join(tables)
        return (f"No segment ({names}) saw its {period}-{at} retention fall clearly beyond its noise (p < {max_p:g}, "
                "needed because many split dates are tried): the average is not hiding a collapse here.")
    text = collapse_finding(tables[best_col], at=at, period=period, column=best_col, min_cohorts=min_cohorts,
                            exclude=exclude, max_p=max_p)
    if exclude:
        text += (f" ({len(exclude)} one-off cohort(s) left out of this comparison: "
                 f"{', '.join(f'{pd.Timestamp(c):%Y-%m-%d}' for c in exclude)}.)")
    return text
