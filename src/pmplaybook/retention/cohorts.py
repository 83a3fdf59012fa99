"""The cohort table and what is read from it: the size-weighted retention curve and where it flattens.

Time is cut in the team's time zone: an event at 23:30 UTC on a Sunday is Monday in Berlin, so it lands
in Monday's day and the next week. ``as_of`` is always a *local* date: the first day the analysis does
not cover (default: the first local day the events do not cover completely, see
:func:`pmplaybook.core.calendar.default_as_of`; in UTC the day after the last event). Events at or after
it are ignored, and a cell whose period has not ended by then is *incomplete*: its rate is NaN (never 0)
and averages leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from ..core import checks
from ..core.calendar import (
    PERIODS,
    period_index,
    period_start,
    period_index_expr,
    period_start_expr,
    resolve_as_of,
    uses_calendar,
)
from ..core.engines import local_time, seconds_between
from ..core.formatting import MISSING
from ..core.stats import add_wilson, wilson_interval

#: Window lengths of ``windows="rolling"``: 24 hours, 7 days, 30 days.
ROLLING_DAYS = {"day": 1, "week": 7, "month": 30}


OUTPUT_COLUMNS = ["cohort", "segment", "period", "cohort_size", "retained", "rate", "ci_low", "ci_high",
                  "complete"]


CURVE_COLUMNS = ["segment", "period", "cohort_size", "retained", "rate", "ci_low", "ci_high", "cohorts"]


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


@uses_calendar
def cohort_retention(events: ibis.Table, cohort_event=None, return_event=None, *, period: str = "week",
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
    exclusive; default the first local day the events do not cover completely). Rolling: a cell is complete
    only when *every* user of the cohort (all segments together) had their full window k before ``as_of``,
    i.e. when the cohort's latest first event + (k+1)*L <= as_of. Incomplete cells keep ``retained`` as
    counted so far but have ``rate``/``ci_low``/``ci_high`` NaN and ``complete`` False. Cells are listed while
    their period has started before ``as_of`` (the cohort table's triangle), up to ``periods``.

    Typical values: Koala Feedback quotes 70-90% for B2B and 20-40% at 90 days as solid for consumer apps
    (without saying who is counted; its example is users still active two months later); a curve that
    flattens (even at 10-15% for early B2B, Gupta) marks a core of users who found lasting value.

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
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({
    ...     "user_id": ["a", "a", "b"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-11 09:00", "2025-03-04 09:00"],
    ...     "event": ["signup", "task_completed", "signup"]}))
    >>> t = cohort_retention(ev, period="week", as_of="2025-03-17")
    >>> t[["cohort", "period", "cohort_size", "retained", "rate"]].to_string(index=False)
    '    cohort  period  cohort_size  retained  rate\\n2025-03-03       0            2         2   1.0\\n2025-03-03       1            2         1   0.5'
    """
    _validate_retention_args(events, period, cohort_type, mode, windows, periods, segment, week_start,
                             timezone)
    cohort_names = _event_names(cohort_event, "cohort_event")
    return_names = _event_names(return_event, "return_event")
    as_of_local, as_of_utc = resolve_as_of(events, as_of, timezone)

    ev = events.filter(events.timestamp < as_of_utc)
    ev = ev.select("user_id", "timestamp", "event", *([segment] if segment else []))
    ev = ev.mutate(_p=period_start_expr(local_time(ev.timestamp, timezone), period, week_start))
    keys = ["_c"] + (["segment"] if segment else [])
    coh = _only(ev, cohort_names)

    def numbered(t: ibis.Table, col: str) -> ibis.Table:
        """Periods as consecutive integers, once the table is down to distinct user-periods (or users):
        the offset of a return is then one subtraction per joined row."""
        return t.mutate(**{col: period_index_expr(t[col], period, week_start)})

    if windows == "calendar" and not segment:
        # Work on distinct user-periods only: the table every later step reads is far smaller than events.
        coh_periods = numbered(coh.select("user_id", "_p").distinct(), "_p")
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
        anchors = numbered(anchors, "_c")

    if windows == "calendar":
        if not segment and return_names == cohort_names:
            ret = coh_periods
        else:
            ret = numbered(_only(ev, return_names).select("user_id", "_p").distinct(), "_p")
        joined = anchors.join(ret, "user_id")
        joined = joined.mutate(_k=joined._p - joined._c)
    else:
        length = ROLLING_DAYS[period] * 86400
        ret = _only(ev, return_names)
        ret = ret.select("user_id", _t=ret.timestamp)
        joined = anchors.join(ret, "user_id")
        elapsed = seconds_between(joined._t, joined._first)
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
    sizes = sizes.assign(_c=sizes["_c"].astype("int64")).sort_values(keys).reset_index(drop=True)
    cells = cells.assign(_c=cells["_c"].astype("int64"))
    if windows == "calendar":
        last_day = period_index(as_of_local - pd.Timedelta(days=1), period, week_start)
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
    """Where a retention curve flattens (see :func:`plateau`); ``periods`` is how many periods were judged
    and ``last`` the last of them. :func:`pmplaybook.narrative.retention.plateau_finding` says it in words."""

    found: bool
    period: int | None
    level: float | None
    ci_low: float | None
    ci_high: float | None
    slope: float | None
    unit: str
    periods: int
    last: int | None
    tolerance: float
    min_periods: int
    min_users: int


def plateau(curve: pd.DataFrame, *, tolerance: float = 0.005, min_periods: int = 4, min_users: int = 30,
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
    unit : str, the period's name ("week", "month", ...).

    Returns
    -------
    Plateau (frozen): found, period, level, ci_low, ci_high, slope (per period, from ``period`` on), unit,
    and the rule's settings.

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
            return Plateau(True, int(periods[i]), level, low, high, slope, unit, len(c), int(periods[-1]),
                           tolerance, min_periods, min_users)
    last = int(periods[-1]) if len(c) else None
    return Plateau(False, None, None, None, None, None, unit, len(c), last, tolerance, min_periods, min_users)


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


@uses_calendar
def recent_cohorts(table: pd.DataFrame, *, at: int = 4, cohorts: int = 4, segment=None, period: str = "week",
                   week_start: str = "monday", as_of=None) -> dict:
    """Period-``at`` retention of the ``cohorts`` most recent cohorts whose cell ``at`` is complete, pooled
    (retained / size, 95% Wilson interval): a headline figure on a recent window instead of all history.

    Returns
    -------
    dict: ``rate``, ``ci_low``, ``ci_high``, ``n`` (users), ``retained``, ``cohorts`` (how many),
    ``first_cohort``, ``last_cohort`` (period starts), ``measured_end`` (exclusive end of the last
    cohort's period ``at``), and ``measured``: the keywords a headline KPI is recorded with
    (``window_start`` = the first cohort's start, ``window_end`` = ``as_of``, ``n``, ``ci_low``,
    ``ci_high``). NaN rate and None dates when no cohort is complete there.

    >>> t = pd.DataFrame({"cohort": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"]), "period": 1,
    ...     "cohort_size": [10, 20, 30], "retained": [5, 5, 9], "complete": [True, True, False]})
    >>> r = recent_cohorts(t, at=1, cohorts=2)
    >>> r["n"], r["rate"], str(r["first_cohort"].date()), str(r["measured_end"].date())
    (30, 0.3333333333333333, '2025-01-06', '2025-01-27')
    """
    cells = table[(table["period"] == at) & table["complete"]]
    if segment is not None:
        cells = cells[cells["segment"] == segment]
    pooled = cells.groupby("cohort")[["cohort_size", "retained"]].sum().sort_index().tail(cohorts)
    n, k = int(pooled["cohort_size"].sum()), int(pooled["retained"].sum())
    end = None if as_of is None else pd.Timestamp(as_of)
    if n == 0:
        return {"rate": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0, "retained": 0,
                "cohorts": 0, "first_cohort": None, "last_cohort": None, "measured_end": None,
                "measured": {"window_start": None, "window_end": end, "n": 0}}
    low, high = wilson_interval(k, n)
    last = pooled.index.max()
    measured_end = period_start(period_index(pd.Series([last]), period, week_start) + at + 1, period, week_start)
    return {"rate": k / n, "ci_low": float(low), "ci_high": float(high), "n": n, "retained": k,
            "cohorts": len(pooled), "first_cohort": pooled.index.min(), "last_cohort": last,
            "measured_end": pd.Timestamp(measured_end[0]),
            "measured": {"window_start": pooled.index.min(), "window_end": end, "n": n, "ci_low": float(low),
                         "ci_high": float(high)}}


@uses_calendar
def diagonals(table: pd.DataFrame, *, period: str = "week", week_start: str = "monday", start: int = 1,
              min_cells: int = 3, z: float = 3.0) -> pd.DataFrame:
    """Calendar periods read along the diagonals, and whether a weak one is a calendar event or one cohort.

    For every calendar period (a diagonal of the cohort table), over the complete cells of age >= ``start``:

    - ``difference``: how far its cells sat from the average curve at their age (size-weighted residual,
      in rate units: sum of (retained - curve(age) x size) / sum of sizes). A campaign cohort that retains
      badly at every age drags every diagonal it crosses, so this alone cannot tell the two causes apart.
    - ``adjusted``: the same after allowing each cohort its *usual* level, i.e. its retained / expected
      ratio over its other complete cells (expected = curve(age) x size); ``z`` = sum of (retained -
      usual expectation) / the binomial noise of that sum. ``below`` = cohorts under their usual level.
    - ``worst_cohort``: the cohort whose cell falls furthest below the average curve in that period
      (in users), with ``worst_rate``, ``worst_expected`` (curve at its age), ``worst_usual`` (its ratio
      in other periods) and ``without_worst`` (``difference`` of the other cells).

    ``kind`` (for periods with at least ``min_cells`` cells): ``"calendar"`` when most cohorts active in
    the period fell below their own usual level (``below`` >= 2/3 of the cells) and the adjusted dip is
    beyond noise (``z`` <= -``z``; 3 rather than 2 because every calendar period is scanned);
    ``"one cohort"`` when the period reads weak only because of one cohort: its cell is below the curve
    beyond noise and without it the period's ``difference`` shrinks by more than half; ``""`` otherwise.

    Returns
    -------
    DataFrame, one row per calendar period: ``calendar``, ``cells``, ``users``, ``difference``,
    ``adjusted``, ``z``, ``below``, ``worst_cohort``, ``worst_period``, ``worst_size``, ``worst_rate``,
    ``worst_expected``, ``worst_usual``, ``without_worst``, ``kind``.
    """
    cols = ["calendar", "cells", "users", "difference", "adjusted", "z", "below", "worst_cohort", "worst_period",
            "worst_size", "worst_rate", "worst_expected", "worst_usual", "without_worst", "kind"]
    t = table[table["complete"] & (table["period"] >= start)]
    if "segment" in t.columns:
        t = t.groupby(["cohort", "period"], as_index=False)[["cohort_size", "retained"]].sum()
    if t.empty:
        return pd.DataFrame(columns=cols)
    curve = t.groupby("period")[["retained", "cohort_size"]].sum()
    expected = (curve["retained"] / curve["cohort_size"]).rename("expected")
    t = t.join(expected, on="period")
    idx = period_index(t["cohort"], period, week_start) + t["period"].to_numpy()
    t = t.assign(calendar=period_start(idx, period, week_start), _e=t["expected"] * t["cohort_size"])
    t["residual"] = t["retained"] - t["_e"]
    # a cohort's usual level, from its other cells (a cohort with no other cell is taken as average)
    tot = t.groupby("cohort")[["retained", "_e"]].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        usual = (tot["retained"] - t["retained"]) / (tot["_e"] - t["_e"])
    t["usual"] = usual.where(np.isfinite(usual), 1.0)
    p_usual = (t["expected"] * t["usual"]).clip(0, 1)
    t["short"] = t["retained"] - p_usual * t["cohort_size"]
    t["var"] = t["cohort_size"] * p_usual * (1 - p_usual)
    t["cell_z"] = t["residual"] / np.sqrt(t["cohort_size"] * t["expected"] * (1 - t["expected"])).where(
        lambda v: v > 0)
    rows = []
    for when, g in t.groupby("calendar", sort=True):
        users = int(g["cohort_size"].sum())
        worst = g.loc[g["residual"].idxmin()]
        rest = g.drop(index=worst.name)
        difference = g["residual"].sum() / users
        without = rest["residual"].sum() / rest["cohort_size"].sum() if len(rest) else float("nan")
        sd = np.sqrt(g["var"].sum())
        score = g["short"].sum() / sd if sd > 0 else 0.0
        below = float((g["short"] < 0).mean())
        kind = ""
        if len(g) >= min_cells and difference < 0:
            if score <= -z and below >= 2 / 3:
                kind = "calendar"
            elif worst["cell_z"] <= -z and without > difference / 2:
                kind = "one cohort"
        rows.append({"calendar": when, "cells": len(g), "users": users, "difference": difference,
                     "adjusted": g["short"].sum() / users, "z": score, "below": below,
                     "worst_cohort": worst["cohort"], "worst_period": int(worst["period"]),
                     "worst_size": int(worst["cohort_size"]), "worst_rate": worst["retained"] / worst["cohort_size"],
                     "worst_expected": worst["expected"], "worst_usual": worst["usual"], "without_worst": without,
                     "kind": kind})
    return pd.DataFrame(rows, columns=cols)
