"""The whole journey as one funnel of users, acquisition -> activation -> retention -> referral ->
revenue, with the biggest leak flagged."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..config import ActivationRule, EventRoles
from ..core.calendar import resolve_as_of, uses_calendar, utc_midnight
from ..core.stats import add_wilson
from ..data import has_event
from .stages import _account_col, _activated_users, signups


@uses_calendar
def leaks(events: ibis.Table, roles: EventRoles | None = None, *, signup_event: str = "signup",
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
    as_of_local = resolve_as_of(events, as_of, timezone)[0]
    cutoff = utc_midnight(as_of_local, timezone)
    ev = events.filter(events.timestamp < cutoff)
    horizon = ibis.interval(seconds=int(horizon_days * 86400))
    u = signups(ev, signup_event, channel=None).select("user_id", "signup_time", "account_id")
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

    if invite_sent and has_event(ev, invite_sent):
        inv = ev.filter(ev.event == invite_sent).inner_join(u.select("user_id", st="signup_time"), "user_id")
        inv = inv.filter((inv.timestamp >= inv.st) & (inv.timestamp <= inv.st + horizon))
        inv = inv.select("user_id").distinct().mutate(referred=ibis.literal(True))
        flags = flags.left_join(inv, "user_id").select(*flags.columns, inv.referred)
        stages.append(("referral", f"sent an invite ({invite_sent}) within {horizon_days:g} days"))

    if payment_event and has_event(ev, payment_event):
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
