"""The top of the AARRR funnel: who signs up through which channel and what each channel costs
(acquisition), who activates and how fast (activation), and who brings whom (referral)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..config import ActivationRule
from ..core import checks
from ..core.calendar import (
    PERIODS,
    period_end,
    period_start_expr,
    period_start_utc,
    resolve_as_of,
    uses_calendar,
    utc_midnight,
)
from ..core.engines import seconds_between
from ..core.formatting import MISSING
from ..core.stats import add_wilson
from ..retention import activated_users

#: The channel (or segment) of a user whose value is missing in the data.
UNKNOWN = MISSING


def _period(ts, period: str, timezone: str, week_start: str = "monday"):
    """Start (a date) of the calendar period of a naive-UTC timestamp expression, in ``timezone``."""
    checks.choice("period", period, PERIODS)
    return period_start_utc(ts, period, timezone, week_start).cast("date")


def _need(events: ibis.Table, column: str, what: str) -> None:
    if column not in events.columns:
        raise ValueError(f"{what}: the events table has no column {column!r} (columns: "
                         f"{', '.join(events.columns)}). Fix: map your column to {column!r} in params data.columns")


def _account_col(events: ibis.Table):
    return events.account_id if "account_id" in events.columns else events.user_id


def signups(events: ibis.Table, signup_event: str = "signup", *, channel: str | None = "channel",
            segment: str | None = None) -> ibis.Table:
    """One row per signed-up user (ibis): ``user_id``, ``signup_time``, ``account_id``, ``channel``
    (``"(missing)"`` when missing), and ``segment`` when asked. Values are read on the first sign-up."""
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


def customers(events: ibis.Table, payment_event: str = "payment", signup_event: str = "signup", *,
              channel: str | None = "channel", before=None) -> ibis.Table:
    """One row per paying account (ibis): ``account_id``, ``first_payment``, ``channel`` (the channel of
    the account's first user, ``"(missing)"`` if no user of it signed up in the data)."""
    pay = events.filter(events.event == payment_event)
    if before is not None:
        pay = pay.filter(pay.timestamp < before)
    pay = pay.mutate(account_id=_account_col(pay).cast("string"))
    acc = pay.group_by("account_id").aggregate(first_payment=pay.timestamp.min())
    u = signups(events, signup_event, channel=channel)
    first_user = u.group_by("account_id").aggregate(channel=u.channel.argmin(u.signup_time))
    j = acc.left_join(first_user, "account_id")
    return j.select(account_id=j.account_id, first_payment=j.first_payment, channel=j.channel.fill_null(UNKNOWN))


@uses_calendar
def acquisition(events: ibis.Table, spend: ibis.Table | None = None, signup_event: str = "signup",
                payment_event: str | None = "payment", *, channel: str = "channel", period: str | None = "month",
                timezone: str = "UTC", week_start: str = "monday", as_of=None, since=None) -> pd.DataFrame:
    """New users and new paying customers per channel (and period), with spend and CAC.

    Formula: CAC = sales and marketing spend / new customers, per channel (Gupta: "always per channel,
    never only blended"); cost per sign-up = spend / new users. Channels without spend (organic,
    referral) get NaN CAC, not 0. ``since`` (a local day) keeps only sign-ups, first payments and spend
    from that day on (a recent window ending at ``as_of``).

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
    as_of_local = resolve_as_of(events, as_of, timezone)[0]
    cutoff = utc_midnight(as_of_local, timezone)
    ev = events.filter(events.timestamp < cutoff)
    start = None if since is None else utc_midnight(pd.Timestamp(since).normalize(), timezone)
    u = signups(ev, signup_event, channel=channel)
    if start is not None:
        u = u.filter(u.signup_time >= start)
    keys = ["channel"] if period is None else ["period", "channel"]
    if period is not None:
        u = u.mutate(period=_period(u.signup_time, period, timezone, week_start))
    users = u.group_by(keys).aggregate(new_users=u.count()).execute()
    out = users
    if payment_event:
        c = customers(ev, payment_event, signup_event, channel=channel)
        if start is not None:
            c = c.filter(c.first_payment >= start)
        if period is not None:
            c = c.mutate(period=_period(c.first_payment, period, timezone, week_start))
        cust = c.group_by(keys).aggregate(new_customers=c.count()).execute()
        out = out.merge(cust, on=keys, how="outer")
    else:
        out["new_customers"] = np.nan
    if spend is not None:
        sp = spend.filter(spend.date < as_of_local.date())
        if since is not None:
            sp = sp.filter(sp.date >= pd.Timestamp(since).date())
        if period is not None:
            sp = sp.mutate(period=period_start_expr(sp.date.cast("timestamp"), period, week_start).cast("date"))
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
        out["complete"] = period_end(out["period"], period) <= as_of_local.normalize()
        cols.append("complete")
    return out[cols].sort_values(keys).reset_index(drop=True)


@uses_calendar
def cac_by_channel(events: ibis.Table, spend: ibis.Table | None, signup_event: str = "signup",
                   payment_event: str = "payment", *, channel: str = "channel", timezone: str = "UTC",
                   as_of=None, since=None) -> pd.DataFrame:
    """CAC per channel over the whole period, with the blended CAC as a last row ``channel="all (blended)"``
    (total spend / all new customers, organic ones included: the number that flatters paid channels).
    ``since``: see :func:`acquisition`.

    >>> import pandas as pd
    >>> from pmplaybook.data import load_events, load_spend
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "a", "b"], "event": ["signup", "signup", "payment", "payment"],
    ...     "timestamp": ["2025-01-02", "2025-01-03", "2025-01-05", "2025-01-06"], "channel": ["ads", "organic"] * 2,
    ...     "revenue": [None, None, 50.0, 50.0]}))
    >>> sp = load_spend(pd.DataFrame({"date": ["2025-01-01"], "channel": ["ads"], "amount": [300.0]}))
    >>> cac_by_channel(ev, sp, as_of="2025-02-01")[["channel", "cac"]].to_dict("records")
    [{'channel': 'ads', 'cac': 300.0}, {'channel': 'organic', 'cac': nan}, {'channel': 'all (blended)', 'cac': 150.0}]
    """
    t = acquisition(events, spend, signup_event, payment_event, channel=channel, period=None, timezone=timezone,
                    as_of=as_of, since=since)
    total = {"channel": "all (blended)", "new_users": t["new_users"].sum(), "new_customers": t["new_customers"].sum(),
             "spend": t["spend"].sum(min_count=1)}
    total["cost_per_signup"] = total["spend"] / total["new_users"] if total["new_users"] else np.nan
    total["cac"] = total["spend"] / total["new_customers"] if total["new_customers"] else np.nan
    t = pd.concat([t, pd.DataFrame([total])], ignore_index=True)
    t["paid"] = t["spend"].fillna(0) > 0
    t.loc[t["channel"] == "all (blended)", "paid"] = False
    return t


def _activated_users(events, signup_event, rule, as_of, timezone="UTC"):
    return activated_users(events, signup_event=signup_event, rule=rule, as_of=as_of,
                                     timezone=timezone)


@uses_calendar
def activation(events: ibis.Table, rule: ActivationRule | dict, signup_event: str = "signup", *,
               period: str | None = "week", segment: str | None = None, timezone: str = "UTC",
               week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Activation rate by sign-up cohort with the team's rule (``event`` at least ``at_least`` times within
    ``within_days`` of sign-up), counting only users whose ``within_days`` have passed by ``as_of``.

    Formula: activation rate = activated users / signed-up users (with a complete window). Example
    (Koala): 350 of 500 sign-ups activated within 7 days = 70%; rates of 25-40% are typically
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
    as_of_local = resolve_as_of(events, as_of, timezone)[0]
    act = _activated_users(events, signup_event, rule, as_of_local, timezone)
    if segment is not None:
        seg = signups(events, signup_event, channel=None, segment=segment).select("user_id", "segment")
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


@uses_calendar
def referral(events: ibis.Table, invite_sent: str = "invite_sent", invite_accepted: str = "invite_accepted",
             signup_event: str = "signup", *, inviter_col: str = "inviter_id", within_days: float = 30,
             period: str | None = "month", timezone: str = "UTC", week_start: str = "monday",
             payment_event: str | None = None, as_of=None) -> pd.DataFrame:
    """Invites per user, invite conversion and K-factor by sign-up cohort, and what the accepted invites
    brought: new accounts and new paying customers.

    For each user, invites they sent within ``within_days`` of signing up, and invitations of theirs
    accepted within the same ``within_days`` (``invite_accepted`` rows carry the inviter in
    ``inviter_col``). A cohort counts only when all its users' ``within_days`` have passed.

    Formulas: invites per user = invites sent / cohort users; invite conversion = accepted / sent;
    K-factor = invites per user x conversion (= accepted / users): the new users each user brings. Above
    1.0 growth is viral (rare); 0.2-0.4 already lowers CAC meaningfully (Gupta, product-metrics guide,
    2026), but only when the invited users become customers of their own.

    What an accepted invite brings: ``new_accounts`` counts the invited users who are the first user of
    their account (they started a team of their own; one who joins the inviter's account adds a seat, not
    a customer); ``new_customers`` counts those whose account made a ``payment_event`` (before ``as_of``;
    0 without a payment event). ``accepted_sq`` is the sum over users of their accepted invites squared,
    for the interval of K (a mean of per-user counts).

    Returns
    -------
    DataFrame: ``cohort``, ``users``, ``inviters``, ``invites_sent``, ``accepted``, ``accepted_sq``,
    ``new_accounts``, ``new_customers``, ``invites_per_user``, ``invite_conversion`` (+ ``ci_low``,
    ``ci_high``, Wilson), ``k_factor``, ``complete``.

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
    as_of_local = resolve_as_of(events, as_of, timezone)[0]
    cutoff = utc_midnight(as_of_local, timezone)
    ev = events.filter(events.timestamp < cutoff)
    su = signups(ev, signup_event, channel=None)
    u = su.select("user_id", "signup_time")
    w = ibis.interval(seconds=int(within_days * 86400))
    # the first user of each account: an invitee who is one started an account of their own
    founders = su.group_by("account_id").aggregate(founder=su.user_id.argmin(su.signup_time))
    if payment_event:
        paid = customers(ev, payment_event, signup_event, channel=None).select("account_id", is_paid=ibis.literal(1))
        founders = founders.left_join(paid, "account_id").select(founders.account_id, founders.founder,
                                                                  paid_=paid.is_paid.fill_null(0))
    else:
        founders = founders.mutate(paid_=ibis.literal(0))
    own = founders.select(invitee=founders.founder, new_account=ibis.literal(1), new_customer=founders.paid_)
    sent = ev.filter(ev.event == invite_sent)
    sent = sent.inner_join(u, "user_id")
    sent = sent.filter((sent.timestamp >= sent.signup_time) & (sent.timestamp <= sent.signup_time + w))
    sent = sent.group_by("user_id").aggregate(invites=sent.count())
    acc = ev.filter(ev.event == invite_accepted)
    acc = acc.select(user_id=acc[inviter_col].cast("string"), invitee=acc.user_id, ts=acc.timestamp)
    acc = acc.inner_join(u, "user_id")
    acc = acc.filter((acc.ts >= acc.signup_time) & (acc.ts <= acc.signup_time + w))
    acc = acc.left_join(own, "invitee").select(acc.user_id, new_account=own.new_account.fill_null(0),
                                               new_customer=own.new_customer.fill_null(0))
    acc = acc.group_by("user_id").aggregate(accepted=acc.count(), new_accounts=acc.new_account.sum(),
                                            new_customers=acc.new_customer.sum())
    per = u.left_join(sent, "user_id").select(u.user_id, u.signup_time, sent.invites)
    per = per.left_join(acc, "user_id").select(per.user_id, per.signup_time, per.invites, acc.accepted,
                                               acc.new_accounts, acc.new_customers)
    per = per.mutate(invites=per.invites.fill_null(0), accepted=per.accepted.fill_null(0),
                     new_accounts=per.new_accounts.fill_null(0), new_customers=per.new_customers.fill_null(0))
    keys = []
    if period is not None:
        per = per.mutate(cohort=_period(per.signup_time, period, timezone, week_start))
        keys = ["cohort"]
    aggs = dict(users=per.count(), inviters=(per.invites > 0).cast("int64").sum(),
                invites_sent=per.invites.sum(), accepted=per.accepted.sum(),
                accepted_sq=(per.accepted * per.accepted).sum(), new_accounts=per.new_accounts.sum(),
                new_customers=per.new_customers.sum(), last_signup=per.signup_time.max())
    out = (per.group_by(keys).aggregate(**aggs) if keys else per.aggregate(**aggs)).execute()
    for c in ("users", "inviters", "invites_sent", "accepted", "accepted_sq", "new_accounts", "new_customers"):
        out[c] = out[c].fillna(0).astype("int64")
    if period is None:
        out.insert(0, "cohort", "all")
        # A total is complete when its last user's window has closed.
        out["complete"] = (pd.to_datetime(out["last_signup"]) + pd.Timedelta(days=within_days)) <= cutoff
    else:
        out["cohort"] = pd.to_datetime(out["cohort"])
        out["complete"] = period_end(out["cohort"], period) + pd.Timedelta(days=within_days) <= as_of_local
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
    cols = ["cohort", "users", "inviters", "invites_sent", "accepted", "accepted_sq", "new_accounts", "new_customers",
            "invites_per_user", "invite_conversion", "ci_low", "ci_high", "k_factor", "complete"]
    return out[cols].sort_values("cohort").reset_index(drop=True)
