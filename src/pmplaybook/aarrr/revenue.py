"""Revenue: MRR and its movements (new, expansion, contraction, churn), net revenue retention, and unit
economics per channel (CAC, LTV, LTV/CAC, payback).

Formulas: MRR = recurring revenue of the month's paying accounts; NRR = this month's MRR of the accounts
that paid N months ago / their MRR then; LTV = ARPA x gross margin / monthly logo churn (lifetime capped
at :data:`MAX_LIFETIME_MONTHS`); LTV/CAC per channel, never only blended.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..core.calendar import resolve_as_of, uses_calendar, utc_midnight
from .stages import UNKNOWN, _account_col, _need, _period, cac_by_channel, customers

DEFAULT_GROSS_MARGIN = 0.8
MAX_LIFETIME_MONTHS = 60


def _account_months(events: ibis.Table, payment_event: str, timezone: str, as_of_local: pd.Timestamp,
                    grace_days: float = 35, channel: str | None = None, signup_event: str = "signup"):
    """Per account and complete month (ibis): ``account_id, month, mrr, prev_mrr, ever_before`` (+
    ``channel``), and the list of complete months."""
    _need(events, "revenue", "revenue")
    cutoff = utc_midnight(as_of_local, timezone)
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
        c = customers(events, payment_event, signup_event, channel=channel, before=cutoff).select("account_id", "channel")
        g = g.left_join(c, "account_id").select(g.account_id, g.month, g.mrr, g.prev_mrr, g.ever_before,
                                                 c.channel)
        g = g.mutate(channel=g.channel.fill_null(UNKNOWN))
    return g, list(months)


@uses_calendar
def mrr(events: ibis.Table, payment_event: str = "payment", *, timezone: str = "UTC", as_of=None,
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
    as_of_local = resolve_as_of(events, as_of, timezone)[0]
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


@uses_calendar
def net_revenue_retention(events: ibis.Table, payment_event: str = "payment", *, months: int = 12,
                          timezone: str = "UTC", as_of=None, grace_days: float = 35) -> dict:
    """Net revenue retention: this month's MRR of the accounts that paid ``months`` months ago, divided by
    their MRR then (expansion counts, new accounts do not). Above 100% the base grows without any new
    customer (PMRead). When the data cover less than ``months`` months, the longest available span is used
    (say so when you quote it).

    Returns a dict: ``nrr``, ``months`` (the span used), ``start_month``, ``end_month``, ``start_mrr``,
    ``end_mrr``, ``accounts`` (the accounts paying in the start month: what the ratio rests on) and
    ``ci_low``, ``ci_high``: a 95% percentile bootstrap interval over accounts (2,000 resamples of the
    per-account start and end MRR, seeded, so a run is reproducible; NaN under 2 accounts); above
    :data:`BOOTSTRAP_MAX_ACCOUNTS` accounts, the ratio estimator's normal interval from backend sums.

    >>> import pandas as pd
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b", "c"], "event": ["payment"] * 4,
    ...     "timestamp": ["2025-01-05", "2025-02-05", "2025-01-10", "2025-02-10"], "revenue": [50.0, 80.0, 30.0, 99.0]}))
    >>> round(net_revenue_retention(ev, months=1, as_of="2025-03-01")["nrr"], 3)  # (80 + 0) / (50 + 30)
    1.0
    """
    as_of_local = resolve_as_of(events, as_of, timezone)[0]
    g, month_list = _account_months(events, payment_event, timezone, as_of_local, grace_days)
    nan = float("nan")
    empty = dict(nrr=nan, months=0, start_month=None, end_month=None, start_mrr=0.0, end_mrr=0.0, accounts=0,
                 ci_low=nan, ci_high=nan)
    if g is None or len(month_list) < 2:
        return empty
    span = min(int(months), len(month_list) - 1)
    start, end = month_list[-1 - span], month_list[-1]
    s = g.filter((g.month == start.date()) & (g.mrr > 0)).select("account_id", start_mrr="mrr")
    e = g.filter(g.month == end.date()).select("account_id", end_mrr="mrr")
    j = s.left_join(e, "account_id")
    j = j.select(account_id=j.account_id, s=j.start_mrr, e=j.end_mrr.fill_null(0.0))
    r = j.aggregate(accounts=j.count(), start_mrr=j.s.sum(), end_mrr=j.e.sum(), ss=(j.s * j.s).sum(),
                    ee=(j.e * j.e).sum(), se=(j.s * j.e).sum()).execute().iloc[0]
    n = int(r["accounts"] or 0)
    start_mrr, end_mrr = float(r["start_mrr"] or 0), float(r["end_mrr"] or 0)
    if n <= BOOTSTRAP_MAX_ACCOUNTS:
        # one row per account of the base (an aggregate, at most a few thousand): bootstrap over accounts
        per = j.execute().sort_values("account_id", kind="stable")  # any row order: fix it for the seed
        low, high = ratio_bootstrap(per["e"].to_numpy(float), per["s"].to_numpy(float))
    else:  # many accounts: the ratio estimator's normal interval from the sums (linearisation)
        low, high = _ratio_normal(n, start_mrr, end_mrr, float(r["ss"]), float(r["ee"]), float(r["se"]))
    return dict(nrr=end_mrr / start_mrr if start_mrr else nan, months=span, start_month=start,
                end_month=end, start_mrr=start_mrr, end_mrr=end_mrr, accounts=n, ci_low=low, ci_high=high)


#: Up to this many accounts NRR's interval is a bootstrap over the per-account rows; above, a normal
#: interval from sums computed in the backend (the two agree closely on large bases).
BOOTSTRAP_MAX_ACCOUNTS = 5_000


def _ratio_normal(n: int, s: float, e: float, ss: float, ee: float, se: float) -> tuple[float, float]:
    """95% normal interval of R = e / s from per-unit sums: var(R) = sum((e_i - R s_i)^2) / (n - 1) / n /
    mean(s)^2 (the ratio estimator's linearisation)."""
    if n < 2 or not s:
        return float("nan"), float("nan")
    ratio = e / s
    resid = max(ee - 2 * ratio * se + ratio ** 2 * ss, 0.0) / (n - 1)
    half = 1.959964 * np.sqrt(resid / n) / (s / n)
    return ratio - half, ratio + half


def ratio_bootstrap(num, den, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of ``sum(num) / sum(den)``, resampling the units (rows) with
    replacement; (nan, nan) with fewer than 2 units.

    >>> low, high = ratio_bootstrap([1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0])
    >>> 0 < low < 0.75 < high <= 1
    True
    """
    num, den = np.asarray(num, float), np.asarray(den, float)
    n = len(num)
    if n < 2 or not den.sum():
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    ratios = []
    chunk = max(1, min(resamples, 2_000_000 // n))
    for done in range(0, resamples, chunk):
        idx = rng.integers(0, n, size=(min(chunk, resamples - done), n))
        d = den[idx].sum(axis=1)
        ratios.append(np.where(d > 0, num[idx].sum(axis=1) / np.where(d > 0, d, 1), np.nan))
    r = np.concatenate(ratios)
    return float(np.nanpercentile(r, 2.5)), float(np.nanpercentile(r, 97.5))


@uses_calendar
def unit_economics(events: ibis.Table, spend: ibis.Table | None, signup_event: str = "signup",
                   payment_event: str = "payment", *, channel: str = "channel",
                   gross_margin: float = DEFAULT_GROSS_MARGIN, timezone: str = "UTC", as_of=None,
                   grace_days: float = 35, max_lifetime_months: float = MAX_LIFETIME_MONTHS,
                   since=None) -> pd.DataFrame:
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
    * ``pays_back``: whether the payback comes before the average customer has left (``payback_months`` <=
      ``lifetime_months``); False means the channel **never pays back** on average: its customers churn
      before their margin covers what they cost (the same as LTV/CAC below 1). NA without a CAC.
    * ``at_risk`` / ``churned``: the account-months the churn rests on (for its interval).

    ``since`` (a local day, best the first of a month) restricts everything to a recent window ending at
    ``as_of``: spend, sign-ups and new customers from that day on (:func:`~pmplaybook.aarrr.acquisition`),
    and ARPA and churn over the complete months from that month on.

    ``gross_margin`` defaults to 0.8 (a typical SaaS figure; pass your own).
    """
    if not 0 < gross_margin <= 1:
        raise ValueError(f"gross_margin must be a share in (0, 1], e.g. 0.8, got {gross_margin!r}")
    as_of_local = resolve_as_of(events, as_of, timezone)[0]
    acq = cac_by_channel(events, spend, signup_event, payment_event, channel=channel, timezone=timezone, as_of=as_of_local,
                         since=since)
    g, _ = _account_months(events, payment_event, timezone, as_of_local, grace_days, channel=channel,
                           signup_event=signup_event)
    if g is not None and since is not None:
        g = g.filter(g.month >= pd.Timestamp(since).normalize().replace(day=1).date())
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
    known = out["payback_months"].notna() & out["lifetime_months"].notna()
    out["pays_back"] = pd.array([bool(p <= life) if k else pd.NA for p, life, k in
                                 zip(out["payback_months"], out["lifetime_months"], known)], dtype="boolean")
    cols = ["channel", "paid", "spend", "new_users", "new_customers", "cac", "arpa", "monthly_churn",
            "lifetime_months", "ltv", "ltv_revenue", "ltv_cac", "payback_months", "pays_back", "at_risk", "churned"]
    out = out[cols]
    order = out["channel"].eq("all (blended)")
    return pd.concat([out[~order].sort_values("channel"), out[order]]).reset_index(drop=True)


@uses_calendar
def revenue_summary(events: ibis.Table, payment_event: str = "payment", *, timezone: str = "UTC", as_of=None,
                    gross_margin: float = DEFAULT_GROSS_MARGIN, months: int = 3) -> dict:
    """Headline revenue numbers over the last ``months`` complete months: ``mrr`` (last month),
    ``arpa``, ``logo_churn`` (monthly, averaged), ``ltv`` (arpa x margin / churn), ``ltv_revenue``
    (arpa x lifetime) and ``lifetime_months``."""
    t = mrr(events, payment_event, timezone=timezone, as_of=as_of)
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


def ltv_cac_interval(row) -> tuple[float, float]:
    """A 95% interval of a :func:`unit_economics` row's LTV/CAC from the Wilson interval of its monthly
    churn (``churned`` / ``at_risk``), ARPA, margin and CAC taken as known: LTV/CAC scales with the
    lifetime 1 / churn (capped like the lifetime itself). (nan, nan) without churn counts."""
    from ..core.stats import wilson_interval

    at_risk, churned = row.get("at_risk"), row.get("churned")
    if at_risk is None or pd.isna(at_risk) or not at_risk or pd.isna(row.get("ltv_cac")):
        return float("nan"), float("nan")
    low, high = wilson_interval(int(churned), int(at_risk))

    def life(churn):
        return min(1 / churn, MAX_LIFETIME_MONTHS) if churn > 0 else MAX_LIFETIME_MONTHS

    per_month = row["ltv_cac"] / row["lifetime_months"]
    return per_month * life(high), per_month * life(low)
