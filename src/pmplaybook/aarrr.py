"""Pirate metrics (Dave McClure's AARRR, 2007): acquisition, activation, retention, referral, revenue.

Each stage is a function taking the canonical event log (and, for acquisition, the spend table) plus the
event names that play each role, and returning a small tidy DataFrame. Event-scale work runs in the
backend (ibis); only per-channel, per-period or per-stage aggregates come back as pandas.

Conventions shared by the stage functions:

* A user's **sign-up** is their first ``signup_event``; their **channel** (and any segment) is read on
  that row. A user's **account** is the ``account_id`` on that row (the user itself when the log has no
  ``account_id`` column).
* A **customer** is an account with at least one ``payment_event``; it is **new** in the period of its
  first payment and is attributed to the channel of the account's first user (the one who signed up
  first), so CAC and LTV/CAC are computed on the same customers.
* **MRR** of an account at a calendar month (team time zone) is the amount of its last payment in that
  month; a month with no payment keeps the previous month's amount while that payment is less than
  ``grace_days`` (35) old at the month's end (monthly billing dates drift across month ends), else it
  is 0. Payments are assumed to be monthly charges.
* Periods are calendar days / weeks / months in the team's time zone; a period whose observation window
  has not ended by ``as_of`` is flagged ``complete = False`` and its rates are NaN, never a misleadingly
  low number.

Retention itself lives in :mod:`pmplaybook.retention` (the notebook calls it); this module only turns
it into a journey stage in :func:`leaks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from .config import ActivationRule, EventRoles
from .engines import local_time, seconds_between
from .data import has_event as _has_event
from .data import utc_midnight as _cutoff_utc
from .funnel import _as_of_local
from .stats import add_wilson

__all__ = [
    "signups", "customers", "acquisition", "cac_by_channel", "activation", "referral", "mrr",
    "net_revenue_retention", "unit_economics", "ltv_cac_finding", "leaks", "leak_finding", "revenue_summary",
    "Section", "acquisition_section", "activation_section", "retention_section", "referral_section",
    "revenue_section", "unit_economics_section", "journey_section", "leaks_section",
]

UNKNOWN = "(unknown)"
DEFAULT_GROSS_MARGIN = 0.8
MAX_LIFETIME_MONTHS = 60
_PERIODS = ("day", "week", "month")


# ------------------------------------------------------------------------------------------ helpers

def _period(ts, period: str, timezone: str, week_start: str = "monday"):
    """Start (a date) of the calendar period of a naive-UTC timestamp expression, in ``timezone``."""
    if period not in _PERIODS:
        raise ValueError(f"period must be one of {', '.join(_PERIODS)} (or None for a total), got {period!r}")
    local = local_time(ts, timezone)
    if period == "week" and week_start == "sunday":
        return ((local + ibis.interval(days=1)).truncate("W") - ibis.interval(days=1)).cast("date")
    return local.truncate({"day": "D", "week": "W", "month": "M"}[period]).cast("date")


def _period_end(start: pd.Series, period: str) -> pd.Series:
    return start + {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
                    "month": pd.DateOffset(months=1)}[period]


def _need(events: ibis.Table, column: str, what: str) -> None:
    if column not in events.columns:
        raise ValueError(f"{what}: the events table has no column {column!r} (columns: "
                         f"{', '.join(events.columns)}). Fix: map your column to {column!r} in params data.columns")


def _account_col(events: ibis.Table):
    return events.account_id if "account_id" in events.columns else events.user_id


def signups(events: ibis.Table, signup_event: str = "signup", channel: str | None = "channel",
            segment: str | None = None) -> ibis.Table:
    """One row per signed-up user (ibis): ``user_id``, ``signup_time``, ``account_id``, ``channel``
    (``"(unknown)"`` when missing), and ``segment`` when asked. Values are read on the first sign-up."""
    s = events.filter(events.event == signup_event)
    aggs = {"signup_time": s.timestamp.min(), "account_id": _account_col(s).cast("string").argmin(s.timestamp)}
    has_channel = bool(channel) and channel in events.columns
    if has_channel:
        aggs["channel"] = s[channel].cast("string").argmin(s.timestamp)
    if segment:
        _need(events, segment, "segment")
        aggs["segment"] = s[segment].cast("string").argmin(s.timestamp)
    u = s.group_by("user_id").aggregate(**aggs)
    if not has_channel:
        u = u.mutate(channel=ibis.literal(UNKNOWN))
    u = u.mutate(channel=u.channel.fill_null(UNKNOWN), account_id=u.account_id.fill_null(u.user_id))
    if segment:
        u = u.mutate(segment=u.segment.fill_null(UNKNOWN))
    return u


def customers(events: ibis.Table, payment_event: str = "payment", signup_event: str = "signup",
              channel: str | None = "channel", before=None) -> ibis.Table:
    """One row per paying account (ibis): ``account_id``, ``first_payment``, ``channel`` (the channel of
    the account's first user, ``"(unknown)"`` if no user of it signed up in the data)."""
    pay = events.filter(events.event == payment_event)
    if before is not None:
        pay = pay.filter(pay.timestamp < before)
    pay = pay.mutate(account_id=_account_col(pay).cast("string"))
    acc = pay.group_by("account_id").aggregate(first_payment=pay.timestamp.min())
    u = signups(events, signup_event, channel)
    first_user = u.group_by("account_id").aggregate(channel=u.channel.argmin(u.signup_time))
    j = acc.left_join(first_user, "account_id")
    return j.select(account_id=j.account_id, first_payment=j.first_payment, channel=j.channel.fill_null(UNKNOWN))


# ------------------------------------------------------------------------------------- acquisition

def acquisition(events: ibis.Table, spend: ibis.Table | None = None, signup_event: str = "signup",
                payment_event: str | None = "payment", channel: str = "channel", period: str | None = "month",
                timezone: str = "UTC", week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """New users and new paying customers per channel (and period), with spend and CAC.

    Formula: CAC = sales and marketing spend / new customers, per channel (Gupta: "always per channel,
    never only blended"); cost per sign-up = spend / new users. Channels without spend (organic,
    referral) get NaN CAC, not 0.

    Returns
    -------
    DataFrame: ``[period,] channel, new_users, new_customers, spend, cost_per_signup, cac[, complete]``,
    one row per channel (per period). Spend is summed by the calendar date of the spend table.

    Examples
    --------
    >>> import pandas as pd
    >>> from pmplaybook.data import load_events, load_spend
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "a"], "event": ["signup", "signup", "payment"],
    ...     "timestamp": ["2025-01-02", "2025-01-03", "2025-01-05"], "channel": ["ads", "ads", "ads"],
    ...     "revenue": [None, None, 50.0]}))
    >>> sp = load_spend(pd.DataFrame({"date": ["2025-01-01"], "channel": ["ads"], "amount": [300.0]}))
    >>> acquisition(ev, sp, period=None, as_of="2025-02-01")[["channel", "new_users", "new_customers", "cac"]].to_dict("records")
    [{'channel': 'ads', 'new_users': 2, 'new_customers': 1, 'cac': 300.0}]
    """
    as_of_local = _as_of_local(events, as_of, timezone)
    cutoff = _cutoff_utc(as_of_local, timezone)
    ev = events.filter(events.timestamp < cutoff)
    u = signups(ev, signup_event, channel)
    keys = ["channel"] if period is None else ["period", "channel"]
    if period is not None:
        u = u.mutate(period=_period(u.signup_time, period, timezone, week_start))
    users = u.group_by(keys).aggregate(new_users=u.count()).execute()
    out = users
    if payment_event:
        c = customers(ev, payment_event, signup_event, channel)
        if period is not None:
            c = c.mutate(period=_period(c.first_payment, period, timezone, week_start))
        cust = c.group_by(keys).aggregate(new_customers=c.count()).execute()
        out = out.merge(cust, on=keys, how="outer")
    else:
        out["new_customers"] = np.nan
    if spend is not None:
        sp = spend.filter(spend.date < as_of_local.date())
        if period is not None:
            if period == "week" and week_start == "sunday":
                p = ((sp.date.cast("timestamp") + ibis.interval(days=1)).truncate("W") - ibis.interval(days=1))
            else:
                p = sp.date.cast("timestamp").truncate({"day": "D", "week": "W", "month": "M"}[period])
            sp = sp.mutate(period=p.cast("date"))
        money = sp.group_by(keys).aggregate(spend=sp.amount.sum()).execute()
        out = out.merge(money, on=keys, how="outer")
    else:
        out["spend"] = np.nan
    for col in ("new_users", "new_customers"):
        out[col] = out[col].fillna(0).astype("int64") if payment_event or col == "new_users" else out[col]
    out["spend"] = out["spend"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        paid = out["spend"].fillna(0) > 0
        out["cost_per_signup"] = np.where(paid & (out["new_users"] > 0), out["spend"] / out["new_users"], np.nan)
        out["cac"] = np.where(paid & (out["new_customers"] > 0), out["spend"] / out["new_customers"], np.nan)
    cols = [*keys, "new_users", "new_customers", "spend", "cost_per_signup", "cac"]
    if period is not None:
        out["period"] = pd.to_datetime(out["period"])
        out["complete"] = _period_end(out["period"], period) <= as_of_local.normalize()
        cols.append("complete")
    return out[cols].sort_values(keys).reset_index(drop=True)


def cac_by_channel(events: ibis.Table, spend: ibis.Table | None, signup_event: str = "signup",
                   payment_event: str = "payment", channel: str = "channel", timezone: str = "UTC",
                   as_of=None) -> pd.DataFrame:
    """CAC per channel over the whole period, with the blended CAC as a last row ``channel="all (blended)"``
    (total spend / all new customers, organic ones included: the number that flatters paid channels).

    >>> import pandas as pd
    >>> from pmplaybook.data import load_events, load_spend
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "a", "b"], "event": ["signup", "signup", "payment", "payment"],
    ...     "timestamp": ["2025-01-02", "2025-01-03", "2025-01-05", "2025-01-06"], "channel": ["ads", "organic"] * 2,
    ...     "revenue": [None, None, 50.0, 50.0]}))
    >>> sp = load_spend(pd.DataFrame({"date": ["2025-01-01"], "channel": ["ads"], "amount": [300.0]}))
    >>> cac_by_channel(ev, sp, as_of="2025-02-01")[["channel", "cac"]].to_dict("records")
    [{'channel': 'ads', 'cac': 300.0}, {'channel': 'organic', 'cac': nan}, {'channel': 'all (blended)', 'cac': 150.0}]
    """
    t = acquisition(events, spend, signup_event, payment_event, channel, None, timezone, as_of=as_of)
    total = {"channel": "all (blended)", "new_users": t["new_users"].sum(), "new_customers": t["new_customers"].sum(),
             "spend": t["spend"].sum(min_count=1)}
    total["cost_per_signup"] = total["spend"] / total["new_users"] if total["new_users"] else np.nan
    total["cac"] = total["spend"] / total["new_customers"] if total["new_customers"] else np.nan
    t = pd.concat([t, pd.DataFrame([total])], ignore_index=True)
    t["paid"] = t["spend"].fillna(0) > 0
    t.loc[t["channel"] == "all (blended)", "paid"] = False
    return t


# -------------------------------------------------------------------------------------- activation

def _activated_users(events, signup_event, rule, as_of, timezone="UTC"):
    from . import retention

    return retention.activated_users(events, signup_event=signup_event, rule=rule, as_of=as_of,
                                     timezone=timezone)


def activation(events: ibis.Table, rule: ActivationRule | dict, signup_event: str = "signup",
               period: str | None = "week", segment: str | None = None, timezone: str = "UTC",
               week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Activation rate by sign-up cohort with the team's rule (``event`` at least ``at_least`` times within
    ``within_days`` of sign-up), counting only users whose ``within_days`` have passed by ``as_of``.

    Formula: activation rate = activated users / signed-up users (with a complete window). Example
    (FIELD-FACTS, Koala): 350 of 500 sign-ups activated within 7 days = 70%; rates of 25-40% are typically
    strong, depending on the product's complexity (Koala Feedback, 2025). Time to value = median days from
    sign-up to activation among activated users.

    Returns
    -------
    DataFrame: ``cohort`` (period start, or ``"all"`` when ``period=None``), [``segment``], ``signups``,
    ``activated``, ``rate``, ``ci_low``, ``ci_high``, ``median_days_to_activate``, ``pending`` (users whose
    window is still open, not counted). Uses :func:`pmplaybook.retention.activated_users`.
    """
    if isinstance(rule, dict):
        rule = ActivationRule(**rule)
    if rule is None:
        raise ValueError("rule: this team has no activation rule (params events.activation). Fix: add "
                         "{event: ..., at_least: ..., within_days: ...}")
    as_of_local = _as_of_local(events, as_of, timezone)
    act = _activated_users(events, signup_event, rule, as_of_local, timezone)
    if segment is not None:
        seg = signups(events, signup_event, None, segment).select("user_id", "segment")
        act = act.left_join(seg, "user_id")
        act = act.select(*[c for c in act.columns if not c.endswith("_right")])
    keys = []
    if period is not None:
        act = act.mutate(cohort=_period(act.signup_time, period, timezone, week_start))
        keys.append("cohort")
    if segment is not None:
        keys.append("segment")
    done = act.window_complete
    days = seconds_between(act.activated_at, act.signup_time) / 86400.0
    aggs = dict(signups=done.cast("int64").sum(),
                activated=(done & act.activated).cast("int64").sum(),
                median_days_to_activate=ibis.ifelse(done & act.activated, days, None).median(),
                pending=(~done).cast("int64").sum())
    out = (act.group_by(keys).aggregate(**aggs) if keys else act.aggregate(**aggs)).execute()
    if period is None:
        out.insert(0, "cohort", "all")
    else:
        out["cohort"] = pd.to_datetime(out["cohort"])
    for c in ("signups", "activated", "pending"):
        out[c] = out[c].fillna(0).astype("int64")
    out = add_wilson(out, "activated", "signups")
    cols = ["cohort", *(["segment"] if segment else []), "signups", "activated", "rate", "ci_low", "ci_high",
            "median_days_to_activate", "pending"]
    return out[cols].sort_values(cols[:2] if segment else ["cohort"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------- referral

def referral(events: ibis.Table, invite_sent: str = "invite_sent", invite_accepted: str = "invite_accepted",
             signup_event: str = "signup", inviter_col: str = "inviter_id", within_days: float = 30,
             period: str | None = "month", timezone: str = "UTC", week_start: str = "monday",
             as_of=None) -> pd.DataFrame:
    """Invites per user, invite conversion and K-factor by sign-up cohort.

    For each user, invites they sent within ``within_days`` of signing up, and invitations of theirs
    accepted within the same ``within_days`` (``invite_accepted`` rows carry the inviter in
    ``inviter_col``). A cohort counts only when all its users' ``within_days`` have passed.

    Formulas: invites per user = invites sent / cohort users; invite conversion = accepted / sent;
    K-factor = invites per user x conversion (= accepted / users): the new users each user brings. Above
    1.0 growth is viral (rare); 0.2-0.4 already lowers CAC meaningfully (Gupta, product-metrics guide,
    2026).

    Returns
    -------
    DataFrame: ``cohort``, ``users``, ``inviters``, ``invites_sent``, ``accepted``, ``invites_per_user``,
    ``invite_conversion`` (+ ``ci_low``, ``ci_high``, Wilson), ``k_factor``, ``complete``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({
    ...     "user_id": ["a", "b", "a", "a", "c", "c"],
    ...     "event": ["signup", "signup", "invite_sent", "invite_sent", "signup", "invite_accepted"],
    ...     "timestamp": ["2025-01-02", "2025-01-02", "2025-01-03", "2025-01-03", "2025-01-04", "2025-01-04"],
    ...     "inviter_id": [None, None, None, None, None, "a"]}))
    >>> r = referral(ev, period=None, as_of="2025-03-01")
    >>> r[["users", "invites_sent", "accepted", "invite_conversion", "k_factor"]].round(3).to_dict("records")
    [{'users': 3, 'invites_sent': 2, 'accepted': 1, 'invite_conversion': 0.5, 'k_factor': 0.333}]
    """
    _need(events, inviter_col, "referral")
    as_of_local = _as_of_local(events, as_of, timezone)
    cutoff = _cutoff_utc(as_of_local, timezone)
    ev = events.filter(events.timestamp < cutoff)
    u = signups(ev, signup_event, None).select("user_id", "signup_time")
    w = ibis.interval(seconds=int(within_days * 86400))
    sent = ev.filter(ev.event == invite_sent)
    sent = sent.inner_join(u, "user_id")
    sent = sent.filter((sent.timestamp >= sent.signup_time) & (sent.timestamp <= sent.signup_time + w))
    sent = sent.group_by("user_id").aggregate(invites=sent.count())
    acc = ev.filter(ev.event == invite_accepted)
    acc = acc.select(user_id=acc[inviter_col].cast("string"), ts=acc.timestamp)
    acc = acc.inner_join(u, "user_id")
    acc = acc.filter((acc.ts >= acc.signup_time) & (acc.ts <= acc.signup_time + w))
    acc = acc.group_by("user_id").aggregate(accepted=acc.count())
    per = u.left_join(sent, "user_id").select(u.user_id, u.signup_time, sent.invites)
    per = per.left_join(acc, "user_id").select(per.user_id, per.signup_time, per.invites, acc.accepted)
    per = per.mutate(invites=per.invites.fill_null(0), accepted=per.accepted.fill_null(0))
    keys = []
    if period is not None:
        per = per.mutate(cohort=_period(per.signup_time, period, timezone, week_start))
        keys = ["cohort"]
    aggs = dict(users=per.count(), inviters=(per.invites > 0).cast("int64").sum(),
                invites_sent=per.invites.sum(), accepted=per.accepted.sum(), last_signup=per.signup_time.max())
    out = (per.group_by(keys).aggregate(**aggs) if keys else per.aggregate(**aggs)).execute()
    for c in ("users", "inviters", "invites_sent", "accepted"):
        out[c] = out[c].fillna(0).astype("int64")
    if period is None:
        out.insert(0, "cohort", "all")
        # A total is complete when its last user's window has closed.
        out["complete"] = (pd.to_datetime(out["last_signup"]) + pd.Timedelta(days=within_days)) <= cutoff
    else:
        out["cohort"] = pd.to_datetime(out["cohort"])
        out["complete"] = _period_end(out["cohort"], period) + pd.Timedelta(days=within_days) <= as_of_local
    with np.errstate(divide="ignore", invalid="ignore"):
        out["invites_per_user"] = np.where(out["users"] > 0, out["invites_sent"] / out["users"], np.nan)
    # accepted can exceed sent when an invite sent just before the window is accepted inside it: clip for
    # the interval, keep the raw counts.
    out["_acc"] = np.minimum(out["accepted"], out["invites_sent"])
    out = add_wilson(out, "_acc", "invites_sent", rate="invite_conversion")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["invite_conversion"] = np.where(out["invites_sent"] > 0, out["accepted"] / out["invites_sent"], np.nan)
    out["k_factor"] = out["invites_per_user"] * out["invite_conversion"]
    if period is not None:
        out.loc[~out["complete"], ["invites_per_user", "invite_conversion", "ci_low", "ci_high", "k_factor"]] = np.nan
    cols = ["cohort", "users", "inviters", "invites_sent", "accepted", "invites_per_user", "invite_conversion",
            "ci_low", "ci_high", "k_factor", "complete"]
    return out[cols].sort_values("cohort").reset_index(drop=True)


# ----------------------------------------------------------------------------------------- revenue

def _account_months(events: ibis.Table, payment_event: str, timezone: str, as_of_local: pd.Timestamp,
                    grace_days: float = 35, channel: str | None = None, signup_event: str = "signup"):
    """Per account and complete month (ibis): ``account_id, month, mrr, prev_mrr, ever_before`` (+
    ``channel``), and the list of complete months."""
    _need(events, "revenue", "revenue")
    cutoff = _cutoff_utc(as_of_local, timezone)
    # The month holding as_of is incomplete (as_of is the first day *not* covered).
    last_complete = as_of_local.normalize().replace(day=1) - pd.DateOffset(months=1)
    pay = events.filter((events.event == payment_event) & (events.timestamp < cutoff) & events.revenue.notnull())
    pay = pay.mutate(account_id=_account_col(pay).cast("string"), month=_period(pay.timestamp, "month", timezone))
    am = pay.group_by("account_id", "month").aggregate(last_time=pay.timestamp.max(),
                                                      amount=pay.revenue.argmax(pay.timestamp))
    span = am.aggregate(first=am.month.min()).execute().iloc[0]["first"]
    if pd.isna(span):
        return None, []
    months = pd.date_range(pd.Timestamp(span), last_complete, freq="MS")
    if len(months) == 0:
        return None, []
    grid_months = ibis.memtable(pd.DataFrame({"month": months.date}))
    first = am.group_by("account_id").aggregate(first=am.month.min())
    grid = first.cross_join(grid_months)
    grid = grid.filter(grid.month >= grid.first).select("account_id", "month")
    g = grid.left_join(am, ["account_id", "month"]).select(grid.account_id, grid.month, am.last_time, am.amount)
    by_month = ibis.window(group_by="account_id", order_by="month")
    before = ibis.window(group_by="account_id", order_by="month", rows=(None, -1))
    month_end = g.month.cast("timestamp") + ibis.interval(months=1)
    prev_time = g.last_time.lag().over(by_month)
    prev_amount = g.amount.lag().over(by_month)
    carried = ibis.ifelse(prev_time.notnull() & (prev_time > month_end - ibis.interval(days=int(grace_days))),
                          prev_amount, 0.0)
    g = g.mutate(mrr=ibis.ifelse(g.amount.notnull(), g.amount, carried).cast("float64"))
    g = g.mutate(prev_mrr=g.mrr.lag().over(by_month).fill_null(0.0),
                 ever_before=(g.mrr > 0).any().over(before).fill_null(False))
    if channel is not None:
        c = customers(events, payment_event, signup_event, channel, before=cutoff).select("account_id", "channel")
        g = g.left_join(c, "account_id").select(g.account_id, g.month, g.mrr, g.prev_mrr, g.ever_before,
                                                 c.channel)
        g = g.mutate(channel=g.channel.fill_null(UNKNOWN))
    return g, list(months)


def mrr(events: ibis.Table, payment_event: str = "payment", timezone: str = "UTC", as_of=None,
        grace_days: float = 35) -> pd.DataFrame:
    """Monthly recurring revenue by calendar month with its movements (complete months only).

    For each month: ``mrr`` (sum of accounts' MRR, see the module docstring), ``paying_accounts``,
    ``new_mrr`` (accounts paying for the first time), ``expansion_mrr`` / ``contraction_mrr`` (increase /
    decrease of accounts paying in both months), ``churned_mrr`` (MRR of last month's accounts that pay
    nothing now), ``reactivation_mrr`` (accounts back after a gap), ``new_accounts``,
    ``churned_accounts``, ``arpa`` (MRR per paying account, the B2B ARPU), ``logo_churn`` (churned
    accounts / last month's paying accounts) and ``revenue_churn`` (churned + contraction MRR / last
    month's MRR). Every movement is a positive amount; ``mrr = previous mrr + new + expansion +
    reactivation - contraction - churned``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["payment"] * 3,
    ...     "timestamp": ["2025-01-05", "2025-02-05", "2025-01-10"], "revenue": [50.0, 80.0, 30.0]}))
    >>> mrr(ev, as_of="2025-04-01")[["mrr", "new_mrr", "expansion_mrr", "churned_mrr"]].to_dict("records")
    [{'mrr': 80.0, 'new_mrr': 80.0, 'expansion_mrr': 0.0, 'churned_mrr': 0.0}, {'mrr': 80.0, 'new_mrr': 0.0, 'expansion_mrr': 30.0, 'churned_mrr': 30.0}, {'mrr': 0.0, 'new_mrr': 0.0, 'expansion_mrr': 0.0, 'churned_mrr': 80.0}]
    """
    as_of_local = _as_of_local(events, as_of, timezone)
    g, months = _account_months(events, payment_event, timezone, as_of_local, grace_days)
    cols = ["month", "mrr", "paying_accounts", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
            "reactivation_mrr", "new_accounts", "churned_accounts", "arpa", "logo_churn", "revenue_churn"]
    if g is None:
        return pd.DataFrame(columns=cols)
    both = (g.mrr > 0) & (g.prev_mrr > 0)
    starts = (g.mrr > 0) & (g.prev_mrr == 0)
    churn = (g.mrr == 0) & (g.prev_mrr > 0)
    out = g.group_by("month").aggregate(
        mrr=g.mrr.sum(), prev_total=g.prev_mrr.sum(),
        paying_accounts=(g.mrr > 0).cast("int64").sum(), prev_accounts=(g.prev_mrr > 0).cast("int64").sum(),
        new_mrr=ibis.ifelse(starts & ~g.ever_before, g.mrr, 0.0).sum(),
        reactivation_mrr=ibis.ifelse(starts & g.ever_before, g.mrr, 0.0).sum(),
        expansion_mrr=ibis.ifelse(both & (g.mrr > g.prev_mrr), g.mrr - g.prev_mrr, 0.0).sum(),
        contraction_mrr=ibis.ifelse(both & (g.mrr < g.prev_mrr), g.prev_mrr - g.mrr, 0.0).sum(),
        churned_mrr=ibis.ifelse(churn, g.prev_mrr, 0.0).sum(),
        new_accounts=(starts & ~g.ever_before).cast("int64").sum(),
        churned_accounts=churn.cast("int64").sum(),
    ).execute()
    out["month"] = pd.to_datetime(out["month"])
    out = pd.DataFrame({"month": pd.to_datetime(months)}).merge(out, on="month", how="left").fillna(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["arpa"] = np.where(out["paying_accounts"] > 0, out["mrr"] / out["paying_accounts"], np.nan)
        out["logo_churn"] = np.where(out["prev_accounts"] > 0, out["churned_accounts"] / out["prev_accounts"], np.nan)
        out["revenue_churn"] = np.where(out["prev_total"] > 0,
                                        (out["churned_mrr"] + out["contraction_mrr"]) / out["prev_total"], np.nan)
    for c in ("paying_accounts", "new_accounts", "churned_accounts"):
        out[c] = out[c].astype("int64")
    return out[cols]


def net_revenue_retention(events: ibis.Table, payment_event: str = "payment", months: int = 12,
                          timezone: str = "UTC", as_of=None, grace_days: float = 35) -> dict:
    """Net revenue retention: this month's MRR of the accounts that paid ``months`` months ago, divided by
    their MRR then (expansion counts, new accounts do not). Above 100% the base grows without any new
    customer (PMRead). When the data cover less than ``months`` months, the longest available span is used
    (say so when you quote it).

    Returns a dict: ``nrr``, ``months`` (the span used), ``start_month``, ``end_month``, ``start_mrr``,
    ``end_mrr``, ``accounts``.

    >>> import pandas as pd
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b", "c"], "event": ["payment"] * 4,
    ...     "timestamp": ["2025-01-05", "2025-02-05", "2025-01-10", "2025-02-10"], "revenue": [50.0, 80.0, 30.0, 99.0]}))
    >>> round(net_revenue_retention(ev, months=1, as_of="2025-03-01")["nrr"], 3)  # (80 + 0) / (50 + 30)
    1.0
    """
    as_of_local = _as_of_local(events, as_of, timezone)
    g, month_list = _account_months(events, payment_event, timezone, as_of_local, grace_days)
    empty = dict(nrr=float("nan"), months=0, start_month=None, end_month=None, start_mrr=0.0, end_mrr=0.0, accounts=0)
    if g is None or len(month_list) < 2:
        return empty
    span = min(int(months), len(month_list) - 1)
    start, end = month_list[-1 - span], month_list[-1]
    s = g.filter((g.month == start.date()) & (g.mrr > 0)).select("account_id", start_mrr="mrr")
    e = g.filter(g.month == end.date()).select("account_id", end_mrr="mrr")
    j = s.left_join(e, "account_id")
    r = j.aggregate(start_mrr=j.start_mrr.sum(), end_mrr=j.end_mrr.fill_null(0.0).sum(), accounts=j.count()).execute()
    r = r.iloc[0]
    start_mrr, end_mrr = float(r["start_mrr"] or 0), float(r["end_mrr"] or 0)
    return dict(nrr=end_mrr / start_mrr if start_mrr else float("nan"), months=span, start_month=start,
                end_month=end, start_mrr=start_mrr, end_mrr=end_mrr, accounts=int(r["accounts"]))


def unit_economics(events: ibis.Table, spend: ibis.Table | None, signup_event: str = "signup",
                   payment_event: str = "payment", channel: str = "channel",
                   gross_margin: float = DEFAULT_GROSS_MARGIN, timezone: str = "UTC", as_of=None,
                   grace_days: float = 35, max_lifetime_months: float = MAX_LIFETIME_MONTHS) -> pd.DataFrame:
    """CAC, ARPA, churn, LTV (two ways), LTV/CAC and CAC payback per acquisition channel, with a blended
    row ``channel="all (blended)"``.

    Formulas (per channel, over all complete months; accounts attributed to their first user's channel):

    * ``arpa`` = paying account-months' MRR / paying account-months (average revenue per paying account
      per month; the B2B ARPU).
    * ``monthly_churn`` = accounts that stopped paying / account-months at risk (accounts paying the month
      before).
    * ``lifetime_months`` = 1 / monthly_churn (capped at ``max_lifetime_months``).
    * ``ltv`` = arpa x gross_margin / monthly_churn (the margin a customer brings over its life);
      ``ltv_revenue`` = arpa x lifetime_months (the revenue version: $50/month x 24 months = $1,200,
      Koala Feedback 2025).
    * ``ltv_cac`` = ltv / cac: at least 3:1 is the usual bar (Gupta; ProdPad); below 1 each customer costs
      more than it ever returns.
    * ``payback_months`` = cac / (arpa x gross_margin): months of margin to earn the CAC back.

    ``gross_margin`` defaults to 0.8 (a typical SaaS figure; pass your own).
    """
    if not 0 < gross_margin <= 1:
        raise ValueError(f"gross_margin must be a share in (0, 1], e.g. 0.8, got {gross_margin!r}")
    as_of_local = _as_of_local(events, as_of, timezone)
    acq = cac_by_channel(events, spend, signup_event, payment_event, channel, timezone, as_of_local)
    g, _ = _account_months(events, payment_event, timezone, as_of_local, grace_days, channel=channel,
                           signup_event=signup_event)
    if g is None:
        econ = pd.DataFrame(columns=["channel", "account_months", "mrr_sum", "at_risk", "churned"])
    else:
        econ = g.group_by("channel").aggregate(
            account_months=(g.mrr > 0).cast("int64").sum(), mrr_sum=g.mrr.sum(),
            at_risk=(g.prev_mrr > 0).cast("int64").sum(),
            churned=((g.prev_mrr > 0) & (g.mrr == 0)).cast("int64").sum()).execute()
    blended = {"channel": "all (blended)", **{c: econ[c].sum() for c in econ.columns if c != "channel"}}
    econ = pd.concat([econ, pd.DataFrame([blended])], ignore_index=True)
    out = acq.merge(econ, on="channel", how="outer")
    out["paid"] = out["paid"].fillna(False).astype(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["arpa"] = np.where(out["account_months"] > 0, out["mrr_sum"] / out["account_months"], np.nan)
        out["monthly_churn"] = np.where(out["at_risk"] > 0, out["churned"] / out["at_risk"], np.nan)
        lifetime = np.where(out["monthly_churn"] > 0, 1 / out["monthly_churn"], max_lifetime_months)
        out["lifetime_months"] = np.where(out["at_risk"] > 0, np.minimum(lifetime, max_lifetime_months), np.nan)
        out["ltv"] = out["arpa"] * gross_margin * out["lifetime_months"]
        out["ltv_revenue"] = out["arpa"] * out["lifetime_months"]
        out["ltv_cac"] = out["ltv"] / out["cac"]
        out["payback_months"] = out["cac"] / (out["arpa"] * gross_margin)
    cols = ["channel", "paid", "spend", "new_users", "new_customers", "cac", "arpa", "monthly_churn",
            "lifetime_months", "ltv", "ltv_revenue", "ltv_cac", "payback_months"]
    out = out[cols]
    order = out["channel"].eq("all (blended)")
    return pd.concat([out[~order].sort_values("channel"), out[order]]).reset_index(drop=True)


def ltv_cac_finding(table: pd.DataFrame) -> str:
    """A sentence on a :func:`unit_economics` table: the paid channel(s) whose LTV/CAC is below 1 (and
    whether the worst one has the cheapest CAC), else the weakest paid channel against the 3:1 bar."""
    paid = table[table["paid"] & table["cac"].notna()]
    blended = table[table["channel"] == "all (blended)"]
    if paid.empty:
        return "No paid channel has spend and customers in these data, so CAC and LTV/CAC cannot be compared."
    cheapest = paid.loc[paid["cac"].idxmin()]
    below = paid[paid["ltv_cac"] < 1].sort_values("ltv_cac")
    text = ""
    if not below.empty:
        worst = below.iloc[0]
        cheap_note = (" It has the **lowest CAC of all paid channels**, which is exactly why it looks good on a "
                      "cost-per-customer dashboard." if worst["channel"] == cheapest["channel"] else "")
        text = (f"**{worst['channel']}** loses money on every customer: CAC ${worst['cac']:,.0f}, but its customers "
                f"churn {worst['monthly_churn']:.1%} a month and pay ${worst['arpa']:,.0f}, so LTV is "
                f"${worst['ltv']:,.0f} and **LTV/CAC = {worst['ltv_cac']:.2f}** (below 1).{cheap_note}")
        others = below.iloc[1:]
        if len(others):
            text += " Also below 1: " + ", ".join(f"{r.channel} ({r.ltv_cac:.2f})" for r in others.itertuples()) + "."
    else:
        weakest = paid.loc[paid["ltv_cac"].idxmin()]
        text = (f"Every paid channel returns more than it costs; the weakest is **{weakest['channel']}** with "
                f"LTV/CAC {weakest['ltv_cac']:.2f} ({'below' if weakest['ltv_cac'] < 3 else 'above'} the 3:1 bar).")
    if not blended.empty and pd.notna(blended["ltv_cac"].iloc[0]):
        b = blended["ltv_cac"].iloc[0]
        text += f" Blended over all channels LTV/CAC is {b:.2f}"
        text += (": customers who cost nothing (organic, referral) make the average look better than some paid "
                 "channels, which is why it must never be read alone." if b > paid["ltv_cac"].min() else ".")
    return text


def revenue_summary(events: ibis.Table, payment_event: str = "payment", timezone: str = "UTC",
                    as_of=None, gross_margin: float = DEFAULT_GROSS_MARGIN, months: int = 3) -> dict:
    """Headline revenue numbers over the last ``months`` complete months: ``mrr`` (last month),
    ``arpa``, ``logo_churn`` (monthly, averaged), ``ltv`` (arpa x margin / churn), ``ltv_revenue``
    (arpa x lifetime) and ``lifetime_months``."""
    t = mrr(events, payment_event, timezone, as_of)
    if t.empty:
        return {}
    at_risk = t["paying_accounts"].shift(1).fillna(0).tail(months).sum()
    last = t.tail(months)
    churn = last["churned_accounts"].sum() / at_risk if at_risk else float("nan")
    arpa = last["mrr"].sum() / max(last["paying_accounts"].sum(), 1)
    lifetime = (min(1 / churn, MAX_LIFETIME_MONTHS) if churn > 0 else MAX_LIFETIME_MONTHS) if at_risk else float("nan")
    return dict(mrr=float(t["mrr"].iloc[-1]), month=t["month"].iloc[-1], arpa=float(arpa), logo_churn=float(churn),
                lifetime_months=float(lifetime), ltv=float(arpa * gross_margin * lifetime),
                ltv_revenue=float(arpa * lifetime))


# -------------------------------------------------------------------------------------------- leaks

def leaks(events: ibis.Table, roles: EventRoles | None = None, signup_event: str = "signup",
          activation_rule: ActivationRule | dict | None = None, retention_event: str | None = None,
          invite_sent: str | None = None, payment_event: str | None = None, horizon_days: float = 60,
          retention_week: int = 4, timezone: str = "UTC", as_of=None) -> pd.DataFrame:
    """The whole journey as a funnel of stages, acquisition -> activation -> retention -> referral ->
    revenue, with each stage's conversion from the previous one and the biggest leak flagged.

    Population: users who signed up at least ``horizon_days`` before ``as_of`` (so every user had the same
    time to move through the stages). Stages (a stage is skipped when the team has no event for it):

    * acquisition: signed up;
    * activation: met the activation rule (:func:`pmplaybook.retention.activated_users`);
    * retention: did ``retention_event`` (the core action; any event but sign-up if None) in week
      ``retention_week`` after sign-up (days 7k to 7k+6);
    * referral: sent at least one invite within ``horizon_days``;
    * revenue: the user's account made a payment within ``horizon_days`` of the user's sign-up.

    Each stage counts users who passed it **and every earlier stage** (a funnel), so
    ``step_conversion`` is the share of the previous stage's users who also pass this one.
    ``roles`` (a params ``events`` section) fills the event arguments left as None.

    Returns
    -------
    DataFrame: ``stage``, ``definition``, ``users``, ``reached`` (users passing this stage whatever the
    earlier ones), ``conversion`` (of sign-ups), ``step_conversion``, ``ci_low``, ``ci_high`` (Wilson of
    ``step_conversion``), ``dropped``, ``biggest_leak`` (bool).
    """
    if roles is not None:
        signup_event = roles.signup or signup_event
        activation_rule = activation_rule or roles.activation
        retention_event = retention_event or roles.core_action
        invite_sent = invite_sent or roles.invite_sent
        payment_event = payment_event or roles.payment
    if isinstance(activation_rule, dict):
        activation_rule = ActivationRule(**activation_rule)
    as_of_local = _as_of_local(events, as_of, timezone)
    cutoff = _cutoff_utc(as_of_local, timezone)
    ev = events.filter(events.timestamp < cutoff)
    horizon = ibis.interval(seconds=int(horizon_days * 86400))
    u = signups(ev, signup_event, None).select("user_id", "signup_time", "account_id")
    u = u.filter(u.signup_time + horizon <= cutoff)
    flags = u
    stages = [("acquisition", f"signed up ({signup_event}), {horizon_days:g}+ days before {as_of_local:%Y-%m-%d}")]
    cols = {}

    if activation_rule is not None:
        act = _activated_users(ev, signup_event, activation_rule, as_of_local, timezone).select("user_id", "activated")
        flags = flags.left_join(act, "user_id").select(*flags.columns, act.activated)
        cols["activation"] = flags.activated.fill_null(False)
        stages.append(("activation", f"{activation_rule.event} at least {activation_rule.at_least}x within "
                                     f"{activation_rule.within_days:g} days"))

    lo, hi = 7 * retention_week, 7 * retention_week + 7
    back = ev.filter(ev.event == retention_event) if retention_event else ev.filter(ev.event != signup_event)
    back = back.inner_join(u.select("user_id", st="signup_time"), "user_id")
    back = back.filter((back.timestamp >= back.st + ibis.interval(days=lo)) & (back.timestamp < back.st + ibis.interval(days=hi)))
    back = back.select("user_id").distinct().mutate(retained=ibis.literal(True))
    flags = flags.left_join(back, "user_id").select(*flags.columns, back.retained)
    stages.append(("retention", f"{retention_event or 'any event'} in week {retention_week} (days {lo}-{hi - 1})"))

    if invite_sent and _has_event(ev, invite_sent):
        inv = ev.filter(ev.event == invite_sent).inner_join(u.select("user_id", st="signup_time"), "user_id")
        inv = inv.filter((inv.timestamp >= inv.st) & (inv.timestamp <= inv.st + horizon))
        inv = inv.select("user_id").distinct().mutate(referred=ibis.literal(True))
        flags = flags.left_join(inv, "user_id").select(*flags.columns, inv.referred)
        stages.append(("referral", f"sent an invite ({invite_sent}) within {horizon_days:g} days"))

    if payment_event and _has_event(ev, payment_event):
        pay = ev.filter(ev.event == payment_event)
        pay = pay.select(account_id=_account_col(pay).cast("string"), ts=pay.timestamp)
        pay = pay.inner_join(u.select("account_id", uid="user_id", st="signup_time"), "account_id")
        pay = pay.filter((pay.ts >= pay.st) & (pay.ts <= pay.st + horizon))
        pay = pay.select(user_id=pay.uid).distinct().mutate(paid=ibis.literal(True))
        flags = flags.left_join(pay, "user_id").select(*flags.columns, pay.paid)
        stages.append(("revenue", f"their account paid ({payment_event}) within {horizon_days:g} days"))

    stage_flag = {"activation": "activated", "retention": "retained", "referral": "referred", "revenue": "paid"}
    aggs = {"n_acquisition": flags.count(), "r_acquisition": flags.count()}
    passed = ibis.literal(True)
    for name, _ in stages[1:]:
        f = flags[stage_flag[name]].fill_null(False)
        passed = passed & f
        aggs[f"n_{name}"] = passed.cast("int64").sum()
        aggs[f"r_{name}"] = f.cast("int64").sum()
    r = flags.aggregate(**aggs).execute().iloc[0]
    rows = [{"stage": name, "definition": d, "users": int(r[f"n_{name}"] or 0), "reached": int(r[f"r_{name}"] or 0)}
            for name, d in stages]
    out = pd.DataFrame(rows)
    prev = out["users"].shift(1)
    out["dropped"] = (prev - out["users"]).fillna(0).astype("int64")
    first = out["users"].iloc[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["conversion"] = out["users"] / first if first else np.nan
    out = add_wilson(out.assign(_prev=prev.fillna(out["users"])), "users", "_prev", rate="step_conversion")
    rest = out.iloc[1:]["step_conversion"]
    out["biggest_leak"] = False
    if rest.notna().any():
        out.loc[rest.idxmin(), "biggest_leak"] = True
    return out[["stage", "definition", "users", "reached", "conversion", "step_conversion", "ci_low", "ci_high",
                "dropped", "biggest_leak"]]


def leak_finding(table: pd.DataFrame) -> str:
    """A sentence naming the biggest leak of a :func:`leaks` table, computed from it."""
    if table.empty or table["users"].iloc[0] == 0:
        return "No user has been around long enough to follow through the journey yet."
    if not table["biggest_leak"].any():
        return "The journey has a single stage here (no activation, referral or payment events), so there is no leak to compare."
    row = table[table["biggest_leak"]].iloc[0]
    i = table.index.get_loc(table[table["biggest_leak"]].index[0])
    prev = table.iloc[i - 1]
    last = table.iloc[-1]
    who = "user who" if prev["users"] == 1 else "users who"
    return (f"The biggest leak is **{prev['stage']} -> {row['stage']}**: of {prev['users']:,} {who} got "
            f"through {prev['stage']}, only {row['users']:,} ({row['step_conversion']:.1%}, 95% CI "
            f"{row['ci_low']:.1%}-{row['ci_high']:.1%}) also passed {row['stage']} ({row['definition']}). "
            f"Overall {last['conversion']:.1%} of sign-ups make it through every stage to {last['stage']}. "
            f"Fix the leakiest stage first: a point gained there carries through every later stage.")


# ------------------------------------------------------------------------------ notebook sections
#
# The walk-through notebook shows each stage with a sentence, charts and a table. Teams lack some
# roles (no payment, no invites, no spend table...): these helpers take a Dataset, pick the team's
# roles from its params, and return a Section that says in a sentence what is missing instead of
# failing, so the notebook needs no branching.


@dataclass
class Section:
    """What a notebook shows for one stage: a computed ``text`` (markdown), ``charts``, a ``table`` and
    headline ``values`` (for KPIs; None when not computable). Displays itself in Jupyter."""

    title: str
    text: str
    table: pd.DataFrame | None = None
    charts: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    available: bool = True

    def _ipython_display_(self):
        from IPython.display import Markdown, display

        # "$" would start a formula in Markdown (MathJax in JupyterLab, the HTML report's renderer too)
        display(Markdown(self.text.replace("$", "\\$")))
        for chart in self.charts:
            display(chart)
        if self.table is not None and len(self.table):
            display(_pretty(self.table))

    def value(self, name: str):
        """A headline value (None when the stage could not be computed)."""
        v = self.values.get(name)
        return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else v


def _duration_days(days: float) -> str:
    """A readable duration from days (minutes or hours when short)."""
    if days is None or pd.isna(days):
        return "-"
    hours = days * 24
    if hours < 1:
        return f"{hours * 60:.0f} minutes"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{days:.1f} days"


def _pretty(table: pd.DataFrame) -> pd.DataFrame:
    """Round floats for display (rates to 3 decimals, money to cents)."""
    out = table.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(3)
    return out


def _roles(ds):
    if ds.params is None:
        raise ValueError("ds has no params: connect with pmplaybook.data.connect(params)")
    return ds.params.events


def _missing(title: str, what: str) -> Section:
    return Section(title, f"_{what}_ This stage is skipped for this team.", available=False)


def acquisition_section(ds, period: str = "month") -> Section:
    """New users and customers per channel per month, and CAC per channel beside the blended CAC."""
    from .charts import aarrr as charts

    roles = _roles(ds)
    if "channel" not in ds.events.columns:
        return _missing("Acquisition", "The events have no `channel` column, so sign-ups cannot be split by channel.")
    monthly = acquisition(ds.events, ds.spend, roles.signup, roles.payment, "channel", period, ds.timezone,
                          ds.params.week_start, ds.as_of)
    chart = charts.new_users_by_channel(monthly)
    if not roles.payment:
        users = monthly.groupby("channel")["new_users"].sum().sort_values(ascending=False)
        text = (f"{users.sum():,} users signed up; the biggest channel is **{users.index[0]}** "
                f"({users.iloc[0] / users.sum():.0%}). This team has no payment event, so there are no customers "
                "and no CAC to compute: only the cost per sign-up, when spend is known.")
        return Section("Acquisition", text, monthly, [chart])
    table = cac_by_channel(ds.events, ds.spend, roles.signup, roles.payment, "channel", ds.timezone, ds.as_of)
    paid = table[table["paid"] & table["cac"].notna()]
    blended = table[table["channel"] == "all (blended)"].iloc[0]
    if ds.spend is None or paid.empty:
        text = "No spend table (or no paid channel with customers): CAC cannot be computed."
    else:
        cheap, dear = paid.loc[paid["cac"].idxmin()], paid.loc[paid["cac"].idxmax()]
        above = int((paid["cac"] > blended["cac"]).sum())
        text = (f"CAC runs from **${cheap['cac']:,.0f}** ({cheap['channel']}) to **${dear['cac']:,.0f}** "
                f"({dear['channel']}) per new paying customer; blended over every channel it is "
                f"${blended['cac']:,.0f}, lower than {above} of the {len(paid)} paid channels because organic and "
                "referral customers count as customers but cost nothing. Whether a cheap channel is a good one "
                "depends on what its customers are worth: see section 7.")
    return Section("Acquisition", text, table, [chart], {"blended_cac": blended["cac"]})


def activation_section(ds, period: str = "week") -> Section:
    """Activation rate by weekly sign-up cohort with the team's rule, and time to value."""
    from .charts import aarrr as charts

    roles = _roles(ds)
    if roles.activation is None:
        return _missing("Activation", "This team has not defined an activation rule (params `events.activation`).")
    rule = roles.activation
    by_cohort = activation(ds.events, rule, roles.signup, period, None, ds.timezone, ds.params.week_start, ds.as_of)
    total = activation(ds.events, rule, roles.signup, None, None, ds.timezone, ds.params.week_start, ds.as_of).iloc[0]
    target = ds.params.kpis.get("activation_rate")
    done = by_cohort.dropna(subset=["rate"])
    done = done[done["signups"] >= 30]  # smaller cohorts swing by chance
    spread = ""
    if len(done) >= 2:
        lo, hi = done.loc[done["rate"].idxmin()], done.loc[done["rate"].idxmax()]
        spread = (f" Across {period}ly cohorts of 30+ sign-ups it ranges from {lo['rate']:.0%} (cohort of {lo['cohort']:%d %b}) to "
                  f"{hi['rate']:.0%} ({hi['cohort']:%d %b}).")
    vs = ""
    if target and target.target is not None and pd.notna(total["rate"]):
        vs = f" The team's target is {target.target:.0%}: {'met' if total['rate'] >= target.target else 'not met'}."
    text = (f"**{total['rate']:.1%}** of {total['signups']:,} sign-ups activated ({rule.event} at least "
            f"{rule.at_least}x within {rule.within_days:g} days; 95% CI {total['ci_low']:.1%}-{total['ci_high']:.1%})."
            f" Those who activate take a median **{_duration_days(total['median_days_to_activate'])}** to get there "
            f"(time to value).{spread}{vs}")
    if total["pending"]:
        text += (f" {int(total['pending']):,} recent sign-ups are still inside their {rule.within_days:g}-day window "
                 "and are not counted yet.")
    chart = charts.rate_by_cohort(by_cohort, title=f"Activation rate by {period}ly sign-up cohort",
                                  y_title="activated", target=target.target if target else None)
    return Section("Activation", text, by_cohort, [chart],
                   {"activation_rate": total["rate"], "time_to_value_days": total["median_days_to_activate"]})


def retention_section(ds, period: str = "week") -> Section:
    """Retention of activated users vs the rest, from :mod:`pmplaybook.retention` (called, not redone)."""
    from . import retention
    from .charts import retention as retention_charts

    roles = _roles(ds)
    if roles.activation is None:
        return _missing("Retention", "Without an activation rule there is no activated-user retention to show "
                                     "(the cohort-retention notebook covers all users).")
    common = dict(signup_event=roles.signup, return_event=roles.core_action, period=period, as_of=ds.as_of,
                  timezone=ds.timezone, week_start=ds.params.week_start)
    curves = retention.activation_curves(ds.events, roles.activation, **common)
    compared = retention.activated_retention(ds.events, roles.activation, at=(2, 4), **common)
    chart = retention_charts.retention_curves(curves, by="segment", period=period,
                                              title="Retention: activated users vs the rest")
    text = retention.activation_finding(curves, unit=period)
    row = compared[compared["period"] == 4]
    w4 = float(row["activated_rate"].iloc[0]) if len(row) else float("nan")
    if len(row) and pd.notna(row["diff"].iloc[0]):
        r = row.iloc[0]
        text += (f" In {period} 4, {r['activated_rate']:.0%} of activated users are back vs {r['other_rate']:.0%} of "
                 f"the others ({'a real gap' if r['significant'] else 'a gap within the noise'}: "
                 f"{r['diff'] * 100:+.0f} points, 95% CI {r['ci_low'] * 100:+.0f} to {r['ci_high'] * 100:+.0f}).")
    return Section("Retention", text, compared, [chart], {"activated_week4_retention": w4})


def referral_section(ds, within_days: float = 30) -> Section:
    """Invites per user, invite conversion and K-factor by monthly sign-up cohort."""
    from .charts import aarrr as charts

    roles = _roles(ds)
    if not (roles.invite_sent and roles.invite_accepted):
        return _missing("Referral", "This team has no invite events (params `events.invite_sent` / "
                                    "`invite_accepted`), so referral cannot be measured.")
    if "inviter_id" not in ds.events.columns:
        return _missing("Referral", "The events have no `inviter_id` column to link accepted invites to inviters.")
    common = dict(invite_sent=roles.invite_sent, invite_accepted=roles.invite_accepted, signup_event=roles.signup,
                  within_days=within_days, timezone=ds.timezone, week_start=ds.params.week_start, as_of=ds.as_of)
    by_cohort = referral(ds.events, period="month", **common)
    done = by_cohort[by_cohort["complete"]]
    users, sent, acc = done["users"].sum(), done["invites_sent"].sum(), done["accepted"].sum()
    k = acc / users if users else float("nan")
    if not users:
        return Section("Referral", "No cohort has completed its invite window yet.", by_cohort, [], {"k_factor": None})
    verdict = ("viral (each user brings more than one)" if k > 1 else
               "in the 0.2-0.4 range where referrals meaningfully lower CAC" if 0.2 <= k <= 0.4 else
               "above 0.4: a strong referral loop" if k > 0.4 else "below 0.2: referrals add little yet")
    text = (f"Users send **{sent / users:.2f} invites** each in their first {within_days:g} days, and "
            f"**{acc / sent if sent else float('nan'):.0%}** of invites are accepted: **K-factor = {k:.2f}**, {verdict} "
            f"(complete monthly cohorts, {users:,} users).")
    share = done["inviters"].sum() / users
    text += (f" Only {share:.0%} of users invite anyone: the loop rests on a minority, so more inviters is a lever."
             if share < 0.5 else f" {share:.0%} of users invite someone.")
    return Section("Referral", text, by_cohort, [charts.k_factor_by_cohort(by_cohort)],
                   {"k_factor": k, "invites_per_user": sent / users, "invite_conversion": acc / sent if sent else None})


def revenue_section(ds, gross_margin: float = DEFAULT_GROSS_MARGIN) -> Section:
    """MRR by month with its movements, ARPA, net revenue retention and LTV computed two ways."""
    from .charts import aarrr as charts

    roles = _roles(ds)
    if not roles.payment:
        return _missing("Revenue", "This team has no payment event (params `events.payment`), so there is no revenue to measure.")
    if "revenue" not in ds.events.columns:
        return _missing("Revenue", "The events have no `revenue` column.")
    table = mrr(ds.events, roles.payment, ds.timezone, ds.as_of)
    if table.empty or len(table) < 2:
        return _missing("Revenue", "Fewer than two complete months of payments: MRR movements need at least two.")
    nrr = net_revenue_retention(ds.events, roles.payment, 12, ds.timezone, ds.as_of)
    summary = revenue_summary(ds.events, roles.payment, ds.timezone, ds.as_of, gross_margin)
    last = table.iloc[-1]
    text = (f"MRR in {last['month']:%B %Y} is **${last['mrr']:,.0f}** from {last['paying_accounts']:,} paying accounts "
            f"(ARPA ${last['arpa']:,.0f}/month). That month it gained ${last['new_mrr']:,.0f} from new accounts and "
            f"${last['expansion_mrr']:,.0f} from upgrades, and lost ${last['churned_mrr']:,.0f} to churn and "
            f"${last['contraction_mrr']:,.0f} to downgrades. Net revenue retention over {nrr['months']} months "
            f"({nrr['start_month']:%b %Y} -> {nrr['end_month']:%b %Y}) is **{nrr['nrr']:.0%}**"
            f"{' (above 100%: the base grows without new customers)' if nrr['nrr'] > 1 else ' (below 100%: the existing base shrinks)'}. "
            f"Over the last 3 months, ARPA averaged ${summary['arpa']:,.0f} and monthly logo churn "
            f"{summary['logo_churn']:.1%}, so an account lasts about {summary['lifetime_months']:.0f} months: "
            f"LTV = ${summary['arpa']:,.0f} x {gross_margin:.0%} margin / "
            f"{summary['logo_churn']:.1%} = **${summary['ltv']:,.0f}** (or ${summary['ltv_revenue']:,.0f} of revenue: "
            f"ARPA x lifetime).")
    return Section("Revenue", text, table, [charts.mrr_waterfall(table), charts.mrr_movements(table)],
                   {"net_revenue_retention": nrr["nrr"], "mrr": last["mrr"], "arpa": summary["arpa"],
                    "ltv": summary["ltv"], "logo_churn": summary["logo_churn"]})


def unit_economics_section(ds, gross_margin: float = DEFAULT_GROSS_MARGIN) -> Section:
    """CAC, LTV, LTV/CAC and payback per channel, with the money-losing channel named."""
    from .charts import aarrr as charts

    roles = _roles(ds)
    if not roles.payment:
        return _missing("Unit economics", "No payment event: LTV and LTV/CAC need revenue.")
    if ds.spend is None or "channel" not in ds.events.columns:
        return _missing("Unit economics", "No spend table or no `channel` column: CAC per channel cannot be computed.")
    table = unit_economics(ds.events, ds.spend, roles.signup, roles.payment, "channel", gross_margin,
                           ds.timezone, ds.as_of)
    blended = table[table["channel"] == "all (blended)"].iloc[0]
    text = ltv_cac_finding(table)
    paid = table[table["paid"] & table["cac"].notna()]
    if len(paid):
        slow = paid.loc[paid["payback_months"].idxmax()]
        text += (f" CAC payback is longest for {slow['channel']}: {slow['payback_months']:.1f} months of margin to "
                 "earn back what one customer cost.")
    return Section("Unit economics", text, table, [charts.cac_ltv_by_channel(table)],
                   {"ltv_cac": blended["ltv_cac"], "blended_cac": blended["cac"]})


def journey_section(ds) -> Section:
    """The team's journey funnel (params ``funnel``) with drop-offs and time to convert."""
    from .charts import aarrr as charts
    from . import funnel as fn

    f = ds.params.funnel
    if len(f.steps) < 2:
        return _missing("Journey funnel", "The params define no funnel (`funnel.steps` needs two steps or more).")
    steps = fn.steps_from_params(ds.params)
    table = fn.funnel(ds.events, steps, f.window, f.order, f.exclusions or None, None, ds.as_of, ds.timezone)
    # Time over the whole journey (first step to last), the delay a PM can act on with reminders.
    times = fn.time_to_convert(ds.events, steps[0], steps[-1], f.window, f.order, f.exclusions or None, ds.as_of,
                               ds.timezone)
    trend = fn.conversion_over_time(ds.events, steps, f.window, "week", f.order, f.exclusions or None, ds.as_of,
                                    ds.timezone, ds.params.week_start)
    labels = table["event"].tolist()
    text = fn.describe(table, f.window) + f" (order: {f.order}.)"
    q = times.quantiles.iloc[0]
    if q["users"]:
        text += (f" From {labels[0]} straight to {labels[-1]}, the median converter takes "
                 f"**{charts._hours(q['median_hours'])}** and 90% have converted by {charts._hours(q['p90_hours'])}: a "
                 "reminder sent later than that mostly reaches people who have already left.")
    return Section("Journey funnel", text, table,
                   [charts.journey_funnel(table, title=f"{ds.params.title or ds.params.team} journey funnel"),
                    charts.time_to_convert(times.histogram, times.quantiles,
                                           title=f"Time from {labels[0]} to {labels[-1]}"),
                    charts.rate_by_cohort(trend, x="period", size="users", y_title="completed the funnel",
                                          title="Funnel completion by week of entry")],
                   {"funnel_conversion": table["conversion"].iloc[-1]})


def leaks_section(ds, horizon_days: float = 60) -> Section:
    """The AARRR stages as one funnel of users, with the biggest leak named."""
    from .charts import aarrr as charts

    roles = _roles(ds)
    table = leaks(ds.events, roles, horizon_days=horizon_days, timezone=ds.timezone, as_of=ds.as_of)
    skipped = [name for name, present in (("activation", roles.activation), ("referral", roles.invite_sent),
                                          ("revenue", roles.payment)) if not present]
    text = leak_finding(table)
    if skipped:
        names = " or ".join(skipped) if len(skipped) < 3 else f"{skipped[0]}, {skipped[1]} or {skipped[2]}"
        text += f" (No {names} stage: this team has no event for it.)"
    return Section("Where the journey leaks", text, table, [charts.journey_funnel(table, title="AARRR journey")],
                   {"biggest_leak": table.loc[table["biggest_leak"], "stage"].iloc[0] if table["biggest_leak"].any() else None})
