"""Activation: which signed-up users met the team's activation rule, and what activating buys in
retention (activated users' curve against the rest's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from ..core import checks
from ..core.calendar import resolve_as_of, uses_calendar
from ..core.stats import diff_proportions, wilson_interval
from .cohorts import cohort_retention, retention_curve

if TYPE_CHECKING:
    from ..config import ActivationRule


def _as_rule(rule) -> ActivationRule:
    # the params model (pydantic) is imported when a rule is read, not by every `import pmplaybook.retention`
    from ..config import ActivationRule

    if isinstance(rule, ActivationRule):
        return rule
    if isinstance(rule, dict):
        return ActivationRule(**rule)
    raise ValueError(f"rule={rule!r}: an activation rule is needed, e.g. ActivationRule(event='task_completed', "
                     "at_least=3, within_days=7), a dict with those keys, or params.events.activation")


@uses_calendar
def activated_users(events: ibis.Table, rule=None, signup_event="signup", *, as_of=None,
                    timezone: str = "UTC") -> ibis.Table:
    """Per signed-up user: when they signed up and whether (and when) they met the activation rule.

    A user is **activated** when they do ``rule.event`` at least ``rule.at_least`` times in
    [signup_time, signup_time + ``rule.within_days``) (e.g. Facebook's "7 friends in 10 days"); the
    sign-up time is their first ``signup_event``. ``activated_at`` is the time of the ``at_least``-th such
    event. ``window_complete`` is False when the window had not ended by ``as_of`` (local date, default the
    first local day the events do not cover completely): such a user may still activate, so leave them out
    of activation rates. Events at or after ``as_of`` are ignored. Activation rate = activated / signups among complete
    windows; strong rates are typically 25-40% (Koala Feedback).

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

    >>> from pmplaybook.data import load_events

    >>> ev = load_events(pd.DataFrame({
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
    _, as_of_utc = resolve_as_of(events, as_of, timezone)
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


@uses_calendar
def activation_rate(events: ibis.Table, rule, signup_event="signup", *, as_of=None, timezone="UTC") -> dict:
    """Activated / signed-up users among complete activation windows, with a Wilson interval.

    >>> from pmplaybook.data import load_events

    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["signup", "x", "signup"],
    ...     "timestamp": ["2025-03-01", "2025-03-02", "2025-03-01"]}))
    >>> activation_rate(ev, {"event": "x"}, as_of="2025-04-01")["rate"]
    0.5
    """
    users = activated_users(events, signup_event=signup_event, rule=rule, as_of=as_of, timezone=timezone)
    done = users.filter(users.window_complete)
    row = done.aggregate(n=done.count(), k=done.activated.cast("int64").sum()).execute().iloc[0]
    n, k = int(row["n"]), int(row["k"] or 0)
    low, high = wilson_interval(k, n)
    return {"signups": n, "activated": k, "rate": k / n if n else float("nan"), "ci_low": low, "ci_high": high}


def _with_activation(events, rule, signup_event, as_of, timezone):
    """Events of users with a complete activation window, tagged ``activation`` = activated / not activated."""
    users = activated_users(events, signup_event=signup_event, rule=rule, as_of=as_of, timezone=timezone)
    # kept as a table (one row per user): the retention query reads it twice, and as an expression it
    # would be computed again each time, with three passes over the events each
    users = users.filter(users.window_complete).select(
        _uid=users.user_id,
        activation=ibis.ifelse(users.activated, "activated", "not activated")).cache()
    joined = events.join(users, events.user_id == users._uid)
    return joined.drop("_uid")


@uses_calendar
def activation_curves(events: ibis.Table, rule, signup_event="signup", return_event=None, *, period="week",
                      windows="calendar", as_of=None, timezone="UTC", week_start="monday",
                      periods: int | None = None) -> pd.DataFrame:
    """Retention curves (by sign-up cohort) of activated users vs the rest: :func:`retention_curve` with
    ``segment`` = "activated" / "not activated". Users whose activation window was still open at
    ``as_of`` are left out."""
    return retention_curve(activation_table(events, rule, signup_event, return_event, period=period,
                                            windows=windows, as_of=as_of, timezone=timezone,
                                            week_start=week_start, periods=periods))


@uses_calendar
def activation_table(events: ibis.Table, rule, signup_event="signup", return_event=None, *, period="week",
                     windows="calendar", as_of=None, timezone="UTC", week_start="monday",
                     periods: int | None = None) -> pd.DataFrame:
    """The cohort table (:func:`cohort_retention`, cohorts = sign-up periods) with ``segment`` =
    "activated" / "not activated"; users whose activation window was still open at ``as_of`` are left out."""
    tagged = _with_activation(events, rule, signup_event, as_of, timezone)
    return cohort_retention(tagged, period=period, cohort_event=signup_event, return_event=return_event,
                            windows=windows, periods=periods, segment="activation", as_of=as_of,
                            week_start=week_start, timezone=timezone)


@uses_calendar
def activated_retention(events: ibis.Table, rule, signup_event="signup", return_event=None, *, at=(2, 4),
                        period="week", windows="calendar", as_of=None, timezone="UTC",
                        week_start="monday") -> pd.DataFrame:
    """Period-``at`` retention (default weeks 2 and 4) of activated users vs the rest, compared.

    Cohorts are sign-up periods; retention is any ``return_event`` (default any event) in period k
    (``mode="on"``), pooled over complete cells. ``diff = activated rate - other rate`` with Newcombe's
    interval; ``significant`` when it excludes 0. Pre-PMF the number to watch is week-2/week-4 retention
    of activated users improving across cohorts (PMRead).

    Returns
    -------
    DataFrame, one row per period in ``at``: ``period``, ``activated_users``, ``activated_retained``,
    ``activated_rate``, ``other_users``, ``other_retained``, ``other_rate``, ``diff``, ``ci_low``,
    ``ci_high``, ``p_value``, ``significant``, ``small_sample``.
    """
    at = [at] if isinstance(at, (int, np.integer)) else list(at)
    curves = activation_curves(events, rule, signup_event, return_event, period=period, windows=windows, as_of=as_of,
                               timezone=timezone, week_start=week_start, periods=max(at))
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
