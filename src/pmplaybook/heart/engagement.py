"""Engagement: how much weekly actives do (key actions, active days, sessions) and how it spreads."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..core import checks
from ..core.calendar import LENGTH, complete, period_start_utc, uses_calendar
from ..core.engines import local_time
from ..core.formatting import MISSING
from ..core.stats import add_wilson
from .happiness import _check_period, _window_events


def _user_periods(events, key_action, period, segment, timezone, week_start, as_of):
    """ibis table, one row per user x period: active days, key actions, events, sessions [, segment]."""
    checks.events_table(events)
    _check_period(period, allow_none=False)
    checks.timezone(timezone)
    checks.choice("week_start", week_start, ("monday", "sunday"))
    checks.segment(events, segment)
    ev, as_of_local, _ = _window_events(events, as_of, timezone)
    local = local_time(ev.timestamp, timezone)
    ev = ev.mutate(_period=period_start_utc(ev.timestamp, period, timezone, week_start), _day=local.date())
    keys = key_action and checks.event_list(key_action, "key_action")
    aggs = dict(active_days=ev._day.nunique(), events=ev.count())
    aggs["key_actions"] = (ev.event.isin(keys).cast("int64").sum() if keys else ev.count())
    if "session_id" in ev.columns:
        aggs["sessions"] = ev.session_id.nunique()
        aggs["session_events"] = ev.session_id.notnull().cast("int64").sum()
    if segment:
        aggs["segment"] = ev[segment].cast("string").fill_null(MISSING).argmin(ev.timestamp)
    return ev.group_by(["user_id", "_period"]).aggregate(**aggs), as_of_local


@uses_calendar
def engagement(events: ibis.Table, key_action=None, *, period: str = "week", segment: str | None = None,
               timezone: str = "UTC", week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Per-user engagement intensity per period: how much each active user does, not how many events.

    A user is **active** in a period when they have any event in it. Per period (and segment):

    * ``key_actions_per_active_user`` = key-action events / active users (e.g. tasks completed per weekly
      active user; all events when ``key_action`` is None);
    * ``active_days_per_active_user`` = mean number of distinct local days with activity (1-7 in a week);
    * ``five_day_share`` = share of the period's actives active on 5 or more days: the Gmail team found
      that "% of weekly actives who visited 5+ days" predicted retention (Rodden et al.
      2010); it is meaningful for weeks;
    * ``events_per_session`` = events carrying a ``session_id`` / distinct sessions (session depth), when
      the log has ``session_id``.

    Raw counts rise with the number of users; these ratios move only when behaviour changes. A long
    session is not automatically good: it can mean confusion, so read depth next to task
    success. Incomplete periods (not ended by ``as_of``) have NaN ratios.

    Returns
    -------
    DataFrame with ``period``, [``segment``], ``active_users``, ``key_actions``,
    ``key_actions_per_active_user``, ``active_days_per_active_user``, ``five_day_users``,
    ``five_day_share``, ``ci_low``, ``ci_high`` (Wilson, of ``five_day_share``), ``events_per_session``,
    ``complete``.

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["task_completed", "login", "login"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-05 09:00"]}))
    >>> t = engagement(ev, key_action="task_completed", as_of="2025-03-10")
    >>> t[["active_users", "key_actions", "key_actions_per_active_user", "active_days_per_active_user"]].to_dict("records")
    [{'active_users': 2, 'key_actions': 1, 'key_actions_per_active_user': 0.5, 'active_days_per_active_user': 1.5}]
    """
    up, as_of_local = _user_periods(events, key_action, period, segment, timezone, week_start, as_of)
    keys = ["_period"] + (["segment"] if segment else [])
    aggs = dict(active_users=up.count(), key_actions=up.key_actions.sum(), day_sum=up.active_days.sum(),
                five_day_users=(up.active_days >= 5).cast("int64").sum())
    if "sessions" in up.columns:
        aggs.update(sessions=up.sessions.sum(), session_events=up.session_events.sum())
    out = up.group_by(keys).aggregate(**aggs).execute().rename(columns={"_period": "period"})
    out["period"] = pd.to_datetime(out["period"])
    out = out.sort_values(["period"] + keys[1:]).reset_index(drop=True)
    for c in ("active_users", "key_actions", "five_day_users"):
        out[c] = out[c].astype("int64")
    out["complete"] = complete(out["period"], period, as_of_local)
    done = out["complete"]
    out["key_actions_per_active_user"] = np.where(done, out["key_actions"] / out["active_users"], np.nan)
    out["active_days_per_active_user"] = np.where(done, out["day_sum"] / out["active_users"], np.nan)
    out = add_wilson(out, "five_day_users", "active_users", rate="five_day_share")
    for c in ("five_day_share", "ci_low", "ci_high"):
        out[c] = np.where(done, out[c], np.nan)
    if "sessions" in out.columns:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["events_per_session"] = np.where(done & (out["sessions"] > 0),
                                                 out["session_events"] / out["sessions"], np.nan)
    else:
        out["events_per_session"] = np.nan
    cols = ["period", *keys[1:], "active_users", "key_actions", "key_actions_per_active_user",
            "active_days_per_active_user", "five_day_users", "five_day_share", "ci_low", "ci_high",
            "events_per_session", "complete"]
    return out[cols]


_ACTION_BUCKETS = [(0, 0, "0"), (1, 1, "1"), (2, 2, "2"), (3, 5, "3-5"), (6, 10, "6-10"), (11, 20, "11-20"),
                   (21, None, "21+")]


@uses_calendar
def engagement_distribution(events: ibis.Table, key_action=None, *, period: str = "week", last: int | None = 4,
                            timezone: str = "UTC", week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """How engagement is spread over active users: a frame for a histogram.

    Over the last ``last`` complete periods (all complete periods when None), each active user-period is
    counted once in a bucket of ``active_days`` (1, 2, ... days active in the period) and in a bucket of
    ``key_actions`` (0, 1, 2, 3-5, 6-10, 11-20, 21+). A healthy product has a visible block of users at
    5+ days a week; a long tail of 1-day users is where to look for churn.

    Returns
    -------
    DataFrame with ``measure`` ("active_days" or "key_actions"), ``bucket`` (label), ``order`` (int, for
    sorting), ``user_periods``, ``share`` (of the measure's total).

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["x", "x", "x"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-05 09:00"]}))
    >>> d = engagement_distribution(ev, as_of="2025-03-10")
    >>> d[d.measure == "active_days"][["bucket", "user_periods", "share"]].to_dict("records")
    [{'bucket': '1', 'user_periods': 1, 'share': 0.5}, {'bucket': '2', 'user_periods': 1, 'share': 0.5}]
    """
    up, as_of_local = _user_periods(events, key_action, period, None, timezone, week_start, as_of)
    end = pd.Timestamp(as_of_local) - LENGTH[period]  # last complete period starts at or before this
    up = up.filter(up._period <= end)
    if last is not None:
        starts = up.select("_period").distinct().order_by(ibis.desc("_period")).limit(last)
        up = up.filter(up._period.isin(starts._period))
    days = up.group_by(bucket=up.active_days).aggregate(user_periods=up.count()).execute()
    days = days.sort_values("bucket")
    days = pd.DataFrame({"measure": "active_days", "bucket": days["bucket"].astype(int).astype(str),
                         "order": days["bucket"].astype("int64"), "user_periods": days["user_periods"]})
    cases = [((up.key_actions >= lo) & (up.key_actions <= hi) if hi is not None else (up.key_actions >= lo), i)
             for i, (lo, hi, _) in enumerate(_ACTION_BUCKETS)]
    order = ibis.cases(*cases, else_=len(_ACTION_BUCKETS) - 1)
    acts = up.group_by(order=order).aggregate(user_periods=up.count()).execute().sort_values("order")
    acts = pd.DataFrame({"measure": "key_actions",
                         "bucket": [_ACTION_BUCKETS[int(i)][2] for i in acts["order"]],
                         "order": acts["order"].astype("int64"), "user_periods": acts["user_periods"]})
    out = pd.concat([days, acts], ignore_index=True)
    out["user_periods"] = out["user_periods"].astype("int64")
    out["share"] = out["user_periods"] / out.groupby("measure")["user_periods"].transform("sum")
    return out.reset_index(drop=True)
