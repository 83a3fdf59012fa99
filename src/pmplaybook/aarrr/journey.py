"""Can a journey funnel be read as it stands? Two things make a funnel's conversion and its time to convert
an artefact rather than a finding:

* **A window shorter than the journey.** When most of the users who eventually reach the last step take
  longer than the funnel's window, the funnel counts them as lost, and the time-to-convert chart (drawn
  inside the window) shows a 90th percentile that is only the window's edge.
* **A population that cannot finish.** Users who enter at step 1 but can never do the last step (invited
  users who join an existing account can never start its subscription) sit in the denominator.

:func:`funnel_window_check` measures both with a long look-ahead, on the users whose look-ahead has passed.
"""

from __future__ import annotations

import math

import ibis
import pandas as pd

from .. import funnel as fn
from ..core.calendar import parse_duration, resolve_as_of, uses_calendar
from ..core.engines import seconds_between

#: Share of eventual converters a funnel window should cover.
COVERAGE = 0.9


@uses_calendar
def funnel_window_check(events: ibis.Table, steps, *, window="14d", order: str = "ordered", exclusions=None,
                        segments=(), horizon_days: float | None = None, min_users: int = 30, as_of=None,
                        timezone: str = "UTC") -> dict:
    """Whether a funnel's ``window`` covers the journey from its first to its last step, and which segment
    of its population never finishes.

    Method: the two-step funnel first step -> last step is re-run with a long window, ``horizon_days``
    (default: 8 windows and at least 90 days, at most half the span of the data), on the users who entered
    at least ``horizon_days`` before ``as_of`` (so each had the whole look-ahead). Among those who reached
    the last step (the *converters*), ``share_within`` is the share who did so within ``window``, and
    ``p90_days`` the time by which 90% of them had. ``suggested_window_days`` = ``p90_days`` rounded up to
    a whole day. ``window_ok`` is True when the window covers at least 90% of converters.

    For each column of ``segments`` present in the events, a value of that column (on the entry event) with
    at least ``min_users`` entrants (and 1% of them) none of whom reached the last step is listed in
    ``stuck`` (``column``, ``value``, ``users``, ``share`` of all entrants): a population that cannot
    complete the funnel, sitting in its denominator.

    Returns a dict: ``window_days``, ``horizon_days``, ``entered_before`` (the last entry day counted,
    exclusive), ``entrants``, ``converters``, ``within_window``, ``share_within``, ``median_days``,
    ``p90_days``, ``suggested_window_days``, ``window_ok`` (None without converters), ``stuck`` (DataFrame).
    """
    steps = fn.normalize_steps(steps, events)
    first, last = steps[0], steps[-1]
    window_days = parse_duration(window).total_seconds() / 86400
    as_of_local, cutoff = resolve_as_of(events, as_of, timezone)
    if horizon_days is None:
        span = events.filter(events.timestamp < cutoff).aggregate(t0=events.timestamp.min()).execute()["t0"].iloc[0]
        span_days = (cutoff - pd.Timestamp(span)).total_seconds() / 86400 if pd.notna(span) else 0
        horizon_days = float(math.floor(min(max(8 * window_days, 90.0), span_days / 2)))
    horizon_days = max(float(horizon_days), window_days)
    entered_before = (cutoff - pd.Timedelta(days=horizon_days)).floor("s")
    base = dict(window_days=window_days, horizon_days=horizon_days, entered_before=entered_before, entrants=0,
                converters=0, within_window=0, share_within=float("nan"), median_days=float("nan"),
                p90_days=float("nan"), suggested_window_days=None, window_ok=None,
                stuck=pd.DataFrame(columns=["column", "value", "users", "share"]))
    horizon = f"{int(math.ceil(horizon_days * 86400))}s"

    def users(segment=None):
        u = fn.funnel_users(events, [first, last], window=horizon, order=order, exclusions=exclusions,
                            segment=segment, as_of=as_of_local, timezone=timezone)
        return u.filter(u.start < entered_before)

    u = users()
    done = u.furthest >= 2
    days = seconds_between(u.c_2, u.c_1) / 86400.0
    r = u.aggregate(entrants=u.count(), converters=done.cast("int64").sum(),
                    within=(done & (days <= window_days)).cast("int64").sum(),
                    median=ibis.ifelse(done, days, None).quantile(0.5),
                    p90=ibis.ifelse(done, days, None).quantile(COVERAGE)).execute().iloc[0]
    entrants, converters = int(r["entrants"] or 0), int(r["converters"] or 0)
    base.update(entrants=entrants, converters=converters, within_window=int(r["within"] or 0))
    if converters:
        p90 = float(r["p90"])
        base.update(share_within=base["within_window"] / converters, median_days=float(r["median"]), p90_days=p90,
                    suggested_window_days=max(1, int(math.ceil(round(p90, 6)))),  # round: 27.000000000000004 is 27
                    window_ok=bool(base["within_window"] / converters >= COVERAGE))
    stuck = []
    if converters:
        for col in dict.fromkeys(segments or ()):
            if col not in events.columns:
                continue
            s = users(col)
            by = s.group_by("segment").aggregate(users=s.count(), converters=(s.furthest >= 2).cast("int64").sum())
            by = by.filter((by.converters == 0) & (by.users >= max(min_users, 0.01 * entrants))).execute()
            for row in by.sort_values("users", ascending=False).itertuples():
                stuck.append(dict(column=col, value=row.segment, users=int(row.users), share=row.users / entrants))
    if stuck:
        base["stuck"] = pd.DataFrame(stuck)
    return base
