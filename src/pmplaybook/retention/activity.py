"""Activity over time: daily, weekly and monthly actives and stickiness (DAU/MAU), growth accounting
(new / returning / resurrecting / dormant users), and spikes in daily actives checked against retention.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..core import checks
from ..core.calendar import (
    PERIODS,
    days_from_epoch,
    epoch_day,
    period_index,
    period_index_expr,
    period_start,
    resolve_as_of,
    uses_calendar,
)
from ..core.engines import local_time
from ..core.stats import diff_proportions
from .cohorts import _event_names, _only


@uses_calendar
def stickiness(events: ibis.Table, event=None, *, as_of=None, timezone: str = "UTC") -> pd.DataFrame:
    """Daily actives and stickiness: DAU, WAU, MAU (28 and 30 days) and DAU/MAU, per local day.

    DAU(d) = distinct users active on day d; WAU(d) = distinct users active in the 7 days ending on d;
    ``mau_28`` and ``mau_30`` the same over 28 and 30 days; ``dau_mau = dau / mau_28``. 28 days (four whole
    weeks) is the default because every weekday appears equally often in it, so weekends do not tilt the
    ratio; ``mau_30`` is there for teams that report calendar-month-like windows. Typical DAU/MAU: 20-30%
    for B2B tools, 50%+ aimed at by social networks (Koala Feedback); above 20% reads as habit-forming
    (Gupta).

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

    >>> from pmplaybook.data import load_events

    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "a"], "event": ["x"] * 3,
    ...     "timestamp": ["2025-03-01 10:00", "2025-03-01 11:00", "2025-03-03 10:00"]}))
    >>> stickiness(ev)[["dau", "wau"]].to_dict("list")
    {'dau': [2, 0, 1], 'wau': [2, 2, 2]}
    """
    checks.events_table(events)
    checks.timezone(timezone)
    names = _event_names(event, "event")
    as_of_local, as_of_utc = resolve_as_of(events, as_of, timezone)
    ev = _only(events.filter(events.timestamp < as_of_utc), names)
    days = ev.select("user_id", _d=local_time(ev.timestamp, timezone).date().epoch_days()).distinct()
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
    last = epoch_day(as_of_local) - 1
    daily = daily.set_index("_day").reindex(range(first, max(last, first) + 1), fill_value=0)
    out = pd.DataFrame({
        "date": days_from_epoch(daily.index.to_numpy()),
        "dau": daily["dau"].to_numpy("int64"),
        "wau": daily["s7"].cumsum().to_numpy("int64"),
        "mau_28": daily["s28"].cumsum().to_numpy("int64"),
        "mau_30": daily["s30"].cumsum().to_numpy("int64"),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["dau_mau"] = np.where(out["mau_28"] > 0, out["dau"] / out["mau_28"], np.nan)
    out["full_window"] = (out.index >= 29)
    return out[columns]


def dau_mau(table: pd.DataFrame, *, days: int = 28) -> float:
    """The average DAU/MAU (28-day MAU) over the last ``days`` days of a :func:`stickiness` table."""
    tail = table[table["full_window"]].tail(days)
    return float(tail["dau_mau"].mean()) if len(tail) else float("nan")


@uses_calendar
def lifecycle(events: ibis.Table, event=None, *, period: str = "week", as_of=None, timezone: str = "UTC",
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

    >>> from pmplaybook.data import load_events

    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b", "a"], "event": ["x"] * 4,
    ...     "timestamp": ["2025-03-03", "2025-03-10", "2025-03-10", "2025-03-24"]}))
    >>> lifecycle(ev, as_of="2025-03-31")[["new", "returning", "resurrecting", "dormant"]].values.tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, -2], [0, 0, 1, 0]]
    """
    checks.events_table(events)
    checks.choice("period", period, PERIODS)
    checks.choice("week_start", week_start, ("monday", "sunday"))
    checks.timezone(timezone)
    names = _event_names(event, "event")
    as_of_local, as_of_utc = resolve_as_of(events, as_of, timezone)
    ev = _only(events.filter(events.timestamp < as_of_utc), names)
    up = ev.select("user_id", _p=period_index_expr(local_time(ev.timestamp, timezone), period,
                                                week_start)).distinct()
    up = up.mutate(_prev=up._p.lag().over(group_by="user_id", order_by="_p"),
                   _next=up._p.lead().over(group_by="user_id", order_by="_p"))
    status = ibis.cases((up._prev.isnull(), "new"), (up._prev == up._p - 1, "returning"),
                        else_="resurrecting")
    active = up.group_by([up._p, status.name("_s")]).aggregate(_n=ibis._.count()).execute()
    gone = up.filter(up._next.isnull() | (up._next > up._p + 1))
    dormant = gone.group_by(_p=gone._p + 1).aggregate(_n=ibis._.count()).execute()
    last = period_index(as_of_local - pd.Timedelta(days=1), period, week_start)
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


def spike_days(daily: pd.DataFrame, *, min_lift: float = 0.5, baseline_days: int = 28) -> pd.DataFrame:
    """Episodes of days whose DAU is at least ``1 + min_lift`` times the usual DAU (consecutive such days form
    one episode), largest lift first. The usual DAU of a weekday is the median DAU of the weekdays
    (Monday-Friday) among the previous ``baseline_days`` days, of a Saturday or Sunday the median of those
    days' weekend days: weekends are quieter in most products, so mixing them in would make every Monday
    after a dull month look like a spike.

    Returns
    -------
    DataFrame: ``start``, ``end``, ``peak``, ``peak_dau``, ``baseline_dau``, ``lift`` (peak / baseline - 1).
    """
    cols = ["start", "end", "peak", "peak_dau", "baseline_dau", "lift"]
    d = daily.set_index("date")["dau"].astype("float64")
    weekend = d.index.day_of_week >= 5
    base = pd.concat([d[kind].rolling(f"{baseline_days}D", closed="left").median() for kind in (weekend, ~weekend)])
    base = base.reindex(d.index)
    base[d.index < d.index.min() + pd.Timedelta(days=baseline_days)] = np.nan  # no full baseline yet
    ratio = (d / base).dropna()
    hot = ratio[ratio >= 1 + min_lift]
    if hot.empty:
        return pd.DataFrame(columns=cols)
    episode = (hot.index.to_series().diff() > pd.Timedelta(days=1)).cumsum()
    rows = []
    for _, days in hot.groupby(episode.to_numpy()):
        peak = days.idxmax()
        rows.append({"start": days.index.min(), "end": days.index.max(), "peak": peak, "peak_dau": int(d[peak]),
                     "baseline_dau": float(base[peak]), "lift": float(days.max() - 1)})
    return pd.DataFrame(rows, columns=cols).sort_values("lift", ascending=False).reset_index(drop=True)


def _ratio(daily: pd.DataFrame, start, end) -> tuple[float, int]:
    """sum of DAU / sum of 28-day MAU over the full-window days in [start, end), and how many days."""
    d = daily[(daily["date"] >= pd.Timestamp(start)) & (daily["date"] < pd.Timestamp(end)) & daily["full_window"]]
    mau = d["mau_28"].sum()
    return (float(d["dau"].sum() / mau) if mau else float("nan")), len(d)


@uses_calendar
def dau_mau_interval(events: ibis.Table, start, end, event=None, *, as_of=None, timezone: str = "UTC",
                     window: int = 28) -> dict:
    """DAU/MAU pooled over the local days [``start``, ``end``) with a 95% interval that treats users, not
    user-days, as the independent units.

    sum of DAU over the days = sum over users of a_u (u's active days in the window), and sum of the
    ``window``-day MAU over the days = sum over users of m_u (the days of the window on which u counted in
    MAU), so DAU/MAU = sum(a) / sum(m), a ratio of per-user totals. Its standard error comes from the
    users' residuals e_u = a_u - R m_u (the ratio estimator's delta method): se = sqrt(n / (n - 1) x
    sum(e_u^2)) / sum(m). A day's actives count again in the next days' MAU, so a binomial interval on
    user-days would be far too narrow; a user's days move together, users roughly do not.

    Returns
    -------
    dict: ``value``, ``ci_low``, ``ci_high``, ``n`` (users counted in at least one day's MAU), ``dau_days``
    (sum of DAU), ``mau_days`` (sum of MAU).
    """
    checks.events_table(events)
    _, as_of_utc = resolve_as_of(events, as_of, timezone)
    names = _event_names(event, "event")
    ev = _only(events.filter(events.timestamp < as_of_utc), names)
    days = ev.select("user_id", _d=local_time(ev.timestamp, timezone).date().epoch_days()).distinct()
    days = days.mutate(_next=days._d.lead().over(group_by="user_id", order_by="_d"))
    w0, w1 = epoch_day(pd.Timestamp(start)), epoch_day(pd.Timestamp(end))
    # an active day d counts u in the MAU of days d .. min(next active day, d + window) - 1: stretches that
    # never overlap for one user, clipped to the window
    reach = ibis.least(days._next.fill_null(days._d + window), days._d + window, ibis.literal(w1))
    covered = ibis.greatest(reach - ibis.greatest(days._d, ibis.literal(w0)), ibis.literal(0))
    inside = ((days._d >= w0) & (days._d < w1)).cast("int64")
    per = days.group_by("user_id").aggregate(a=inside.sum(), m=covered.sum())
    per = per.filter(per.m > 0)
    row = per.aggregate(n=per.count(), A=per.a.sum(), M=per.m.sum(), AA=(per.a * per.a).sum(),
                        MM=(per.m * per.m).sum(), AM=(per.a * per.m).sum()).execute().iloc[0]
    n = int(row["n"])
    if n < 2 or not row["M"]:
        return {"value": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": n,
                "dau_days": int(row["A"] or 0), "mau_days": int(row["M"] or 0)}
    a, m = float(row["A"]), float(row["M"])
    r = a / m
    squares = max(float(row["AA"]) - 2 * r * float(row["AM"]) + r * r * float(row["MM"]), 0.0)
    se = float(np.sqrt(n / (n - 1) * squares) / m)
    return {"value": r, "ci_low": max(r - 1.96 * se, 0.0), "ci_high": min(r + 1.96 * se, 1.0), "n": n,
            "dau_days": int(a), "mau_days": int(m)}


@uses_calendar
def mau_inflation(events: ibis.Table, daily: pd.DataFrame, event=None, *, days: int = 28, as_of=None,
                  timezone: str = "UTC", min_lift: float = 0.5, baseline_days: int = 28,
                  dormant_days: int = 28, min_change: float = 0.02) -> dict:
    """Did DAU/MAU really change, or did a burst of returning users inflate the MAU it divides by?

    DAU/MAU over a window = sum of DAU / sum of 28-day MAU over its days (the pooled ratio of
    :mod:`pmplaybook.review.series`). ``now`` is the last ``days`` days before ``as_of``. If a DAU spike
    (:func:`spike_days`) falls inside the 28-day MAU of any of those days, ``before`` is the same ratio over
    the ``days`` days before the spike started; otherwise over the ``days`` days before ``now``'s window.
    The spike's **returners** are users active during it who had been seen before but not in the
    ``dormant_days`` days before it started (a promotion e-mail waking dormant users); ``without`` is
    ``now`` recomputed with the returners' visits on the spike days left out (a returner who came back
    afterwards still counts).

    ``kind``: ``"inflated MAU"`` when DAU/MAU fell by at least ``min_change`` (absolute) and leaving the
    returners' spike visits out recovers at least half of the fall; ``"real change"`` when it moved by at
    least ``min_change`` otherwise; ``"no change"`` else. ``weekday`` / ``weekend`` are the ratio over the
    window's Monday-Friday and Saturday-Sunday days (``weekday_dau`` / ``weekend_dau`` their mean DAU):
    28 days hold four of each weekday, so the window's ratio is not tilted, but one day's value is.

    Returns
    -------
    dict: ``window_start``, ``window_end`` (exclusive), ``now`` with ``ci_low`` / ``ci_high`` and ``n`` (the
    users it rests on, :func:`dau_mau_interval`), ``before``, ``before_start``, ``before_end`` (exclusive), ``change``, ``spike_start``,
    ``spike_end`` (None without a spike), ``returners``, ``returners_after`` (of them, active again after
    the spike within the window), ``without``, ``weekday``, ``weekend``, ``weekday_dau``, ``weekend_dau``,
    ``kind``.
    """
    checks.events_table(events)
    as_of_local, as_of_utc = resolve_as_of(events, as_of, timezone)
    end = pd.Timestamp(as_of_local).normalize()
    start = end - pd.Timedelta(days=days)
    now, _ = _ratio(daily, start, end)
    w = daily[(daily["date"] >= start) & (daily["date"] < end) & daily["full_window"]]
    weekend = w["date"].dt.day_of_week >= 5
    interval = dau_mau_interval(events, start, end, event, as_of=as_of_local, timezone=timezone)
    out = {"window_start": start, "window_end": end, "now": now, "n": interval["n"],
           "ci_low": interval["ci_low"], "ci_high": interval["ci_high"],
           "weekday": _ratio(w[~weekend], start, end)[0], "weekend": _ratio(w[weekend], start, end)[0],
           "weekday_dau": float(w.loc[~weekend, "dau"].mean()) if (~weekend).any() else float("nan"),
           "weekend_dau": float(w.loc[weekend, "dau"].mean()) if weekend.any() else float("nan"),
           "spike_start": None, "spike_end": None, "returners": 0, "returners_after": 0, "without": now}
    episodes = spike_days(daily, min_lift=min_lift, baseline_days=baseline_days)
    reach = start - pd.Timedelta(days=27)  # the first day counted in the window's first 28-day MAU
    episodes = episodes[(episodes["end"] >= reach) & (episodes["start"] < end)]
    if episodes.empty:
        before_start, before_end = start - pd.Timedelta(days=days), start
    else:
        spike = episodes.iloc[0]
        s0, s1 = pd.Timestamp(spike["start"]), pd.Timestamp(spike["end"])
        before_start, before_end = s0 - pd.Timedelta(days=days), s0
        names = _event_names(event, "event")
        ev = _only(events.filter(events.timestamp < as_of_utc), names)
        ev = ev.mutate(_d=local_time(ev.timestamp, timezone).date().epoch_days())
        a, b = epoch_day(s0), epoch_day(s1)
        in_spike = (ev._d >= a) & (ev._d <= b)
        per = ev.group_by("user_id").aggregate(
            _first=ev._d.min(), _in=in_spike.any(),
            _quiet=~((ev._d >= a - dormant_days) & (ev._d < a)).any(),
            _after=((ev._d > b) & (ev._d >= epoch_day(start))).any())
        back = per.filter(per._in & per._quiet & (per._first < a - dormant_days))
        counts = back.aggregate(n=back.count(), after=back._after.cast("int64").sum()).execute().iloc[0]
        ids = back.select(_ru=back.user_id)
        tagged = ev.left_join(ids, ev.user_id == ids._ru)
        kept = tagged.filter(tagged._ru.isnull() | ~((tagged._d >= a) & (tagged._d <= b))).drop("_ru", "_d")
        adjusted = stickiness(kept, event, as_of=as_of_local, timezone=timezone)
        out.update(spike_start=s0, spike_end=s1, returners=int(counts["n"]), returners_after=int(counts["after"] or 0),
                   without=_ratio(adjusted, start, end)[0])
    before, _ = _ratio(daily, before_start, before_end)
    change = now - before
    if change <= -min_change and out["spike_start"] is not None and out["without"] - now >= -change / 2:
        kind = "inflated MAU"
    elif abs(change) >= min_change:
        kind = "real change"
    else:
        kind = "no change"
    out.update(before=before, before_start=before_start, before_end=before_end, change=change, kind=kind)
    return out


def spikes(daily: pd.DataFrame, table: pd.DataFrame, *, at: int = 1, min_lift: float = 0.5,
           baseline_days: int = 28, top: int = 2) -> pd.DataFrame:
    """Spikes in daily actives and whether the cohorts that joined during them retained differently.

    A spike day has DAU at least ``1 + min_lift`` times the usual DAU (the median of the same kind of day,
    weekday or weekend, over the previous ``baseline_days`` days); consecutive spike days form one episode
    (:func:`spike_days`). For each episode (largest first,
    up to ``top``), the three sign-up cohorts around its first day (the one before, the one holding it,
    the one after) are pooled and compared at period ``at`` with the four cohorts before them
    (diff_proportions). A spike of returning users (a holiday, a promotion e-mail) leaves that
    comparison within noise; a spike of new low-intent users shows up as cohorts that retain worse.

    Returns
    -------
    DataFrame: ``start``, ``end``, ``peak``, ``peak_dau``, ``baseline_dau``, ``lift``, ``cohort`` (the one
    holding the first day), ``around_rate``, ``before_rate``, ``around_users``, ``before_users``, ``diff``,
    ``ci_low``, ``ci_high``, ``significant``.
    """
    cols = ["start", "end", "peak", "peak_dau", "baseline_dau", "lift", "cohort", "around_rate",
            "before_rate", "around_users", "before_users", "diff", "ci_low", "ci_high", "significant"]
    found = spike_days(daily, min_lift=min_lift, baseline_days=baseline_days).head(top)
    if found.empty:
        return pd.DataFrame(columns=cols)
    cells = table[(table["period"] == at) & table["complete"]]
    if "segment" in cells.columns:
        cells = cells.groupby("cohort", as_index=False)[["cohort_size", "retained"]].sum()
    cohorts = sorted(cells["cohort"].unique())
    rows = []
    for row in found.to_dict("records"):
        started = [c for c in cohorts if c <= row["start"]]
        if started and cohorts.index(started[-1]) >= 5:
            i = cohorts.index(started[-1])
            a = cells[cells["cohort"].isin(cohorts[i - 1: i + 2])]
            b = cells[cells["cohort"].isin(cohorts[i - 5: i - 1])]
            r = diff_proportions(a["retained"].sum(), a["cohort_size"].sum(), b["retained"].sum(),
                                 b["cohort_size"].sum())
            row.update(cohort=cohorts[i], around_rate=r["p1"], before_rate=r["p2"],
                       around_users=int(a["cohort_size"].sum()), before_users=int(b["cohort_size"].sum()),
                       diff=r["diff"], ci_low=r["ci_low"], ci_high=r["ci_high"], significant=r["significant"])
        rows.append(row)
    return pd.DataFrame(rows, columns=cols).reset_index(drop=True)
