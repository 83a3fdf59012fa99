"""The magic number: retention of users above vs below each threshold of an early action ("7 friends
in 10 days"), and the best threshold.
"""

from __future__ import annotations

import re

import ibis
import numpy as np
import pandas as pd

from ..config import TeamParams
from ..core import checks
from ..core.calendar import resolve_as_of, uses_calendar
from ..core.engines import seconds_between
from ..core.stats import diff_proportions, small_sample
from .candidates import _check_event

#: Minimum users on each side of a magic-number threshold for it to be eligible as "best".
MIN_USERS = 30


def outcome_week(outcome: str) -> int:
    m = re.fullmatch(r"active_week_(\d+)", str(outcome))
    if not m:
        raise ValueError(f"outcome={outcome!r} is not supported. Fix: use 'active_week_N', e.g. 'active_week_8' "
                         "(any event in days 7N to 7N+7 after sign-up)")
    return int(m.group(1))


@uses_calendar
def magic_number(events: ibis.Table, action: str, signup_event: str = "signup", *, within_days: float = 7,
                 outcome: str = "active_week_8", max_threshold: int = 10, timezone: str = "UTC", as_of=None,
                 min_users: int = MIN_USERS, min_share: float = 0.05) -> pd.DataFrame:
    """Retention of users who did ``action`` at least k times in their first ``within_days`` vs the rest,
    for k = 1..``max_threshold``: the "magic number" (Facebook's "7 friends in 10 days").

    Users: everyone with a ``signup_event`` whose outcome window ended before ``as_of``. ``outcome``
    ``"active_week_N"`` = any event in [signup + 7N days, signup + 7N + 7 days). For each k:
    ``rate_above`` = retained / users among those with >= k actions, ``rate_below`` the same for < k,
    ``diff`` = rate_above - rate_below with Newcombe's 95% interval (:func:`pmplaybook.core.stats.diff_proportions`),
    ``share_above`` = share of users already past the threshold, and Youden's J = TPR - FPR of the rule
    "retained if >= k" (TPR = retained users above / all retained; FPR = churned users above / all churned).

    **Best threshold**: the k with the largest difference ``diff`` among thresholds with at least
    ``min_users`` users on both sides, at least ``min_share`` of users already past it, and a difference
    above noise (interval above 0): the point where retention jumps, as in "7 friends in 10 days". The
    share floor keeps a trait of a few power users (reached by under 5%) from being called an onboarding
    goal. Youden's J is reported beside it as a second view (it prefers lower thresholds that cover more
    of the retained users).

    Per-user counts run in the backend; only one row per action count (capped at ``max_threshold``) comes
    back, and the per-threshold table is built from it.

    Returns
    -------
    DataFrame, one row per k: ``threshold``, ``users_above``, ``retained_above``, ``rate_above``,
    ``users_below``, ``retained_below``, ``rate_below``, ``diff``, ``ci_low``, ``ci_high``, ``significant``,
    ``share_above``, ``youden_j``, ``small_sample``, ``best`` (bool, at most one True). Thresholds that no
    user reaches are left out (when at least one is reached).

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b", "c"],
    ...     "event": ["signup", "invite_sent", "x", "signup", "invite_sent", "signup"],
    ...     "timestamp": ["2025-01-01", "2025-01-02", "2025-01-08", "2025-01-01", "2025-01-02", "2025-01-01"]}))
    >>> t = magic_number(ev, "invite_sent", within_days=7, outcome="active_week_1", max_threshold=1, as_of="2025-03-01")
    >>> t[["threshold", "users_above", "rate_above", "rate_below"]].to_dict("records")
    [{'threshold': 1, 'users_above': 2, 'rate_above': 0.5, 'rate_below': 0.0}]
    """
    checks.events_table(events)
    if not isinstance(max_threshold, (int, np.integer)) or isinstance(max_threshold, bool) or max_threshold < 1:
        raise ValueError(f"max_threshold={max_threshold!r}: expected an integer >= 1 (e.g. 10)")
    days = float(within_days.total_seconds() / 86400) if hasattr(within_days, "total_seconds") else within_days
    if isinstance(days, str):
        from ..core.calendar import parse_duration
        days = parse_duration(days).total_seconds() / 86400
    if not isinstance(days, (int, float)) or days <= 0:
        raise ValueError(f"within_days={within_days!r}: expected a positive number of days (e.g. 7) or '7d'")
    week = outcome_week(outcome)
    _, as_of_utc = resolve_as_of(events, as_of, timezone)
    _check_event(events, action, "action")
    _check_event(events, signup_event, "signup_event")
    ev = events.filter(events.timestamp < as_of_utc)
    su = ev.filter(ev.event == signup_event)
    su = su.group_by("user_id").aggregate(_start=su.timestamp.min())
    lo, hi = 7 * week * 86400, 7 * (week + 1) * 86400
    horizon = max(hi, days * 86400)
    su = su.filter(su._start + ibis.interval(seconds=int(horizon)) <= ibis.literal(as_of_utc))
    su = su.select(_su=su.user_id, _start=su._start)
    j = ev.join(su, ev.user_id == su._su)
    j = j.mutate(_age=seconds_between(j.timestamp, j._start))
    acts = j.filter((j.event == action) & (j._age >= 0) & (j._age < days * 86400))
    acts = acts.group_by("user_id").aggregate(_n=acts.count())
    kept = j.filter((j._age >= lo) & (j._age < hi)).select("user_id").distinct().mutate(_r=ibis.literal(1))
    per = su.left_join(acts, su._su == acts.user_id).select("_su", "_n")
    per = per.left_join(kept, per._su == kept.user_id).select("_su", "_n", "_r")
    per = per.mutate(_n=ibis.least(per._n.fill_null(0), max_threshold), _r=per._r.fill_null(0))
    hist = per.group_by("_n").aggregate(users=per.count(), retained=per._r.sum()).execute()
    hist = hist.set_index("_n").reindex(range(max_threshold + 1), fill_value=0).astype("int64")
    total_users, total_retained = int(hist["users"].sum()), int(hist["retained"].sum())
    if total_users == 0:
        raise ValueError(f"no user with a {signup_event!r} event has a complete {outcome} window before as_of. "
                         "Fix: choose an earlier outcome week or a later as_of")
    rows = []
    for k in range(1, max_threshold + 1):
        ua, ra = int(hist["users"].iloc[k:].sum()), int(hist["retained"].iloc[k:].sum())
        ub, rb = total_users - ua, total_retained - ra
        d = diff_proportions(ra, ua, rb, ub)
        churned = total_users - total_retained
        tpr = ra / total_retained if total_retained else float("nan")
        fpr = (ua - ra) / churned if churned else float("nan")
        rows.append({"threshold": k, "users_above": ua, "retained_above": ra,
                     "rate_above": ra / ua if ua else float("nan"), "users_below": ub, "retained_below": rb,
                     "rate_below": rb / ub if ub else float("nan"), "diff": d["diff"], "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "significant": d["significant"], "share_above": ua / total_users,
                     "youden_j": tpr - fpr, "small_sample": bool(small_sample(ra, ua) or small_sample(rb, ub))})
    t = pd.DataFrame(rows)
    if (t["users_above"] == 0).any() and (t["users_above"] > 0).any():
        t = t[t["users_above"] > 0].reset_index(drop=True)  # nobody does the action that often: no rows to read
    eligible = ((t["users_above"] >= min_users) & (t["users_below"] >= min_users) & (t["ci_low"] > 0)
                & (t["share_above"] >= min_share))
    t["best"] = False
    if eligible.any():
        t.loc[t.loc[eligible, "diff"].idxmax(), "best"] = True
    return t


def magic_number_action(params: TeamParams) -> dict | None:
    """Which early action a team's magic number is about, from its event roles.

    Invites sent (the network effect behind "7 friends in 10 days") when the team has that role, in the
    first 7 days; else the activation event in its activation window; else the core action in 7 days.
    Returns None when the team names none of these roles.

    >>> from pmplaybook.config import load_params
    >>> magic_number_action(load_params("onboarding"))["action"]
    'project_created'
    """
    e = params.events
    if e.invite_sent:
        return {"action": e.invite_sent, "within_days": 7.0, "role": "invites sent (events.invite_sent)"}
    if e.activation:
        return {"action": e.activation.event, "within_days": float(e.activation.within_days),
                "role": "the activation event (events.activation)"}
    if e.core_action:
        return {"action": e.core_action, "within_days": 7.0, "role": "the core action (events.core_action)"}
    return None


@uses_calendar
def recent_share_past(events: ibis.Table, action: str, threshold: int, signup_event: str = "signup", *,
                      within_days: float = 7, weeks: int = 4, timezone: str = "UTC", as_of=None,
                      week_start: str = "monday") -> dict:
    """Share of **recent** sign-ups who reached the magic number (at least ``threshold`` ``action`` events
    in their first ``within_days``), with its 95% Wilson interval, and the same share for the ``weeks``
    before, for a trend.

    Recent = users whose first ``signup_event`` falls in the last ``weeks`` complete calendar weeks (team
    time zone) whose every sign-up has had its ``within_days`` by ``as_of``: the latest weeks with
    week end + ``within_days`` <= ``as_of``. The threshold itself is found on older users
    (:func:`magic_number` needs their week 8); this is how many of today's new users get there.

    Returns
    -------
    dict: ``value`` (share), ``past``, ``n`` (sign-ups), ``ci_low``, ``ci_high``, ``window_start``,
    ``window_end`` (local days, end exclusive: the sign-up weeks), ``previous`` / ``previous_past`` /
    ``previous_n`` (the ``weeks`` before), ``change`` (points, as a share difference), ``change_low``,
    ``change_high`` and ``significant`` (Newcombe's interval of the difference). Counts run in the backend.

    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "c", "c"],
    ...     "event": ["signup", "invite_sent", "invite_sent", "signup", "signup", "invite_sent"],
    ...     "timestamp": ["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-24", "2025-03-25"]}))
    >>> r = recent_share_past(ev, "invite_sent", 2, weeks=1, as_of="2025-03-31")
    >>> str(r["window_start"].date()), r["past"], r["n"], r["previous_n"]
    ('2025-03-17', 0, 0, 0)
    >>> r = recent_share_past(ev, "invite_sent", 2, weeks=3, as_of="2025-03-31")
    >>> str(r["window_start"].date()), r["past"], r["n"], r["value"]
    ('2025-03-03', 1, 2, 0.5)
    """
    from ..core.calendar import period_index, period_index_utc, period_start
    from ..core.stats import wilson_interval

    checks.events_table(events)
    as_of_local, as_of_utc = resolve_as_of(events, as_of, timezone)
    days = float(within_days)
    # the last week whose sign-ups all had `days` days by as_of: start + 7 + days <= as_of, i.e. the week
    # holding the day as_of - 7 - days (the next week starts after it, so it would end too late)
    last = int(period_index(as_of_local - pd.Timedelta(days=7 + days), "week", week_start))
    first, before = last - weeks + 1, last - 2 * weeks + 1
    ev = events.filter(events.timestamp < as_of_utc)
    su = ev.filter(ev.event == signup_event)
    su = su.group_by("user_id").aggregate(_start=su.timestamp.min())
    su = su.mutate(_w=period_index_utc(su._start, "week", timezone, week_start))
    su = su.filter((su._w >= before) & (su._w <= last))
    su = su.select(_su=su.user_id, _start=su._start, _recent=(su._w >= first).cast("int64"))
    acts = ev.filter(ev.event == action)
    j = acts.join(su, acts.user_id == su._su)
    j = j.filter((seconds_between(j.timestamp, j._start) >= 0) & (seconds_between(j.timestamp, j._start) < days * 86400))
    per = j.group_by("user_id").aggregate(_n=j.count())
    per = per.filter(per._n >= threshold).select(_pu=per.user_id, _past=ibis.literal(1))
    both = su.left_join(per, su._su == per._pu)
    got = both.group_by("_recent").aggregate(n=both.count(), past=both._past.fill_null(0).sum()).execute()
    counts = {int(r["_recent"]): (int(r["past"]), int(r["n"])) for _, r in got.iterrows()}
    past, n = counts.get(1, (0, 0))
    p_past, p_n = counts.get(0, (0, 0))
    low, high = wilson_interval(past, n) if n else (float("nan"), float("nan"))
    d = diff_proportions(past, n, p_past, p_n) if n and p_n else {"diff": float("nan"), "ci_low": float("nan"),
                                                                  "ci_high": float("nan"), "significant": False}
    return {"value": past / n if n else float("nan"), "past": past, "n": n, "ci_low": float(low),
            "ci_high": float(high), "window_start": period_start([first], "week", week_start)[0],
            "window_end": period_start([last + 1], "week", week_start)[0],
            "previous": p_past / p_n if p_n else float("nan"), "previous_past": p_past, "previous_n": p_n,
            "change": d["diff"], "change_low": d["ci_low"], "change_high": d["ci_high"],
            "significant": bool(d["significant"])}
