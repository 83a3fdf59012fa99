"""AARRR in words: the journey funnel, each stage's sentence and the unit economics verdict, computed from
the tables of :mod:`pmplaybook.aarrr` and :mod:`pmplaybook.funnel`.

Teams lack some roles (no payment, no invites, no spend table...): each ``*_section`` takes a Dataset,
picks the team's roles from its params and returns a :class:`Section` that says in a sentence what is
missing instead of failing, so the notebook needs no branching. A section carries the frames its charts
need (``data``); :func:`pmplaybook.charts.aarrr.section_charts` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import funnel as fn
from .. import retention
from ..aarrr import (
    DEFAULT_GROSS_MARGIN,
    acquisition,
    funnel_window_check,
    ltv_cac_interval,
    recent_mean,
    recent_rate,
    activation,
    cac_by_channel,
    leaks,
    mrr,
    net_revenue_retention,
    referral,
    revenue_summary,
    unit_economics,
)
from ..core.calendar import duration_string, parse_duration
from ..core.formatting import escape_dollars, format_duration, people_table
from ..data import has_event
from ..funnel import biggest_drop
from .retention import activation_finding

BLENDED = "all (blended)"


def funnel_finding(table: pd.DataFrame, window=None) -> str:
    """A sentence on a :func:`funnel` result: overall conversion and the biggest leak, computed."""
    if table.empty or table["users"].iloc[0] == 0:
        return "No user entered this funnel in the period."
    first, last = table.iloc[0], table.iloc[-1]
    within = f" within {duration_string(parse_duration(window))}" if window is not None else ""
    text = (f"Of {first['users']:,} users who did **{first['event']}**, {last['users']:,} "
            f"({last['conversion']:.1%}, 95% CI {last['ci_low']:.1%}-{last['ci_high']:.1%}) reached "
            f"**{last['event']}**{within}.")
    leak = biggest_drop(table)
    if leak is not None:
        prev = table.loc[table["step"] == leak["step"] - 1, "event"].iloc[0]
        text += (f" The biggest leak is **{prev} -> {leak['event']}**: only {leak['step_conversion']:.1%} "
                 f"make that step ({leak['dropped']:,} users lost).")
    prog = int(table["in_progress"].iloc[0])
    if prog:
        text += f" {prog:,} more users are still inside their window and are not counted yet."
    return text


def _free_with_customers(table: pd.DataFrame) -> pd.DataFrame:
    """Channels without spend that brought paying customers (what pulls a blended figure up or down)."""
    free = table[~table["paid"] & (table["channel"] != BLENDED) & (table["new_customers"].fillna(0) > 0)]
    return free.sort_values("new_customers", ascending=False)


def _names(rows: pd.DataFrame) -> str:
    items = [f"{r.new_customers:,.0f} {r.channel}" for r in rows.itertuples()]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def ltv_cac_finding(table: pd.DataFrame) -> str:
    """A sentence on a :func:`unit_economics` table, judging the **worst paid channel, never the blend**:
    the paid channel(s) whose LTV/CAC is below 1 (and whether the worst one has the cheapest CAC), else the
    weakest paid channel against the 3:1 bar (Gupta; ProdPad). The blended LTV/CAC is named as a blend and
    explained (which free channels lift it), never judged."""
    paid = table[table["paid"] & table["cac"].notna() & table["ltv_cac"].notna()]
    blended = table[table["channel"] == BLENDED]
    if paid.empty:
        return "No paid channel has spend and customers in these data, so CAC and LTV/CAC cannot be compared."
    cheapest = paid.loc[paid["cac"].idxmin()]
    below = paid[paid["ltv_cac"] < 1].sort_values("ltv_cac")
    worst = paid.loc[paid["ltv_cac"].idxmin()]
    if not below.empty:
        cheap_note = (" It has the **lowest CAC of all paid channels**, which is exactly why it looks good on a "
                      "cost-per-customer dashboard." if worst["channel"] == cheapest["channel"] else "")
        text = (f"**{worst['channel']}** loses money on every customer: CAC ${worst['cac']:,.0f}, but its customers "
                f"churn {worst['monthly_churn']:.1%} a month and pay ${worst['arpa']:,.0f}, so LTV is "
                f"${worst['ltv']:,.0f} and **LTV/CAC = {worst['ltv_cac']:.2f}** (below 1).{cheap_note}")
        others = below.iloc[1:]
        if len(others):
            text += " Also below 1: " + ", ".join(f"{r.channel} ({r.ltv_cac:.2f})" for r in others.itertuples()) + "."
    else:
        text = (f"Every paid channel returns more than it costs; the weakest is **{worst['channel']}** with "
                f"LTV/CAC {worst['ltv_cac']:.2f} ({'below' if worst['ltv_cac'] < 3 else 'above'} the 3:1 bar).")
    if not blended.empty and pd.notna(blended["ltv_cac"].iloc[0]):
        b = blended["ltv_cac"].iloc[0]
        text += f" Blended over all channels LTV/CAC is {b:.2f}: a blend, not a verdict"
        free = _free_with_customers(table)
        if b > worst["ltv_cac"] and len(free):
            text += (f"; it sits above {worst['channel']}'s {worst['ltv_cac']:.2f} because {_names(free)} "
                     f"customer{'s' if free['new_customers'].sum() != 1 else ''} cost no ad spend")
        text += ". The headline KPI below records the worst paid channel instead."
    return text


def payback_finding(table: pd.DataFrame) -> str:
    """CAC payback against the customer lifetime, per paid channel of a :func:`unit_economics` table: a
    channel whose customers leave (on average) before their margin repays their CAC **never pays back**,
    however short its payback looks; otherwise the slowest channel that does pay back."""
    paid = table[table["paid"] & table["payback_months"].notna() & table["lifetime_months"].notna()]
    if paid.empty:
        return ""
    never = paid[paid["pays_back"].fillna(True) == False].sort_values("ltv_cac")  # noqa: E712 (nullable)
    text = ""
    for r in never.itertuples():
        text += (f" **{r.channel} never pays back**: a customer needs {r.payback_months:.1f} months of margin to "
                 f"repay its CAC but stays {r.lifetime_months:.1f} months on average (1 / {r.monthly_churn:.0%} "
                 "monthly churn).")
    ok = paid.drop(never.index)
    if len(ok):
        slow = ok.loc[ok["payback_months"].idxmax()]
        lead = "Of the channels that pay back, the slowest" if len(never) else "Every paid channel pays back within its customers' lifetime; the slowest"
        text += (f" {lead} is {slow['channel']}: {slow['payback_months']:.1f} months, against an average customer "
                 f"life of {slow['lifetime_months']:.0f} months.")
    return text.strip()


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


@dataclass
class Section:
    """What a notebook shows for one stage: a computed ``text`` (markdown), a ``table``, headline ``values``
    (for KPIs; None when not computable) and ``charts``: what to draw, as ``("<charts module>.<function>",
    keyword arguments)`` pairs that :func:`pmplaybook.charts.section_charts` turns into charts. Displays
    its text and table in Jupyter."""

    title: str
    text: str
    table: pd.DataFrame | None = None
    charts: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    available: bool = True
    after: str = ""  # markdown shown right under the charts (advice chosen by what they show)

    def _ipython_display_(self):
        self.show()

    def show(self, chart=None, table: bool = True) -> None:
        """Display the text, then ``chart`` (the section's charts, drawn by the caller) and, unless
        ``table=False`` (a notebook showing it in a cell of its own, see :meth:`show_table`), the table."""
        from IPython.display import Markdown, display

        # "$" would start a formula in Markdown (MathJax in JupyterLab, the HTML report's renderer too)
        display(Markdown(escape_dollars(self.text)))
        if chart is not None:
            display(chart)
        if self.after:
            display(Markdown(escape_dollars(self.after)))
        if table:
            self.show_table()

    def show_table(self) -> None:
        """Display the section's table formatted for people (:func:`~pmplaybook.core.formatting.people_table`),
        when it has one."""
        from IPython.display import display

        if self.table is not None and len(self.table):
            display(people_table(self.table))

    def value(self, name: str):
        """A headline value (None when the stage could not be computed)."""
        v = self.values.get(name)
        return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else v


def _signed(share: float) -> str:
    """A difference of shares in whole percentage points with its sign, never "-0"."""
    return f"{int(round(share * 100)) + 0:+d}"


def _points(share: float) -> str:
    return f"{_signed(share)} point{'' if abs(int(round(share * 100))) == 1 else 's'}"


def _roles(ds):
    if ds.params is None:
        raise ValueError("ds has no params: connect with pmplaybook.data.connect(params)")
    return ds.params.events


def _missing(title: str, what: str) -> Section:
    return Section(title, f"_{what}_ This stage is skipped for this team.", available=False)


def blended_cac_comparison(table: pd.DataFrame) -> dict:
    """Where the blended CAC of a :func:`cac_by_channel` table sits among the paid channels: ``blended``,
    ``below`` / ``above`` (paid channels dearer / cheaper than the blend, as rows) and ``free`` (channels
    without spend that brought customers, the reason a blend can undercut paid channels)."""
    paid = table[table["paid"] & table["cac"].notna()]
    blended = table.loc[table["channel"] == BLENDED, "cac"]
    b = float(blended.iloc[0]) if len(blended) else float("nan")
    return dict(blended=b, dearer=paid[paid["cac"] > b].sort_values("cac"),
                cheaper=paid[paid["cac"] <= b].sort_values("cac"), paid=paid, free=_free_with_customers(table))


def cac_finding(table: pd.DataFrame) -> str:
    """CAC per paid channel and where the blended CAC sits among them, with why (computed)."""
    c = blended_cac_comparison(table)
    paid, dearer, cheaper = c["paid"], c["dearer"], c["cheaper"]
    if paid.empty or not np.isfinite(c["blended"]):
        return "No paid channel has spend and customers here: CAC cannot be compared."
    cheap, dear = paid.loc[paid["cac"].idxmin()], paid.loc[paid["cac"].idxmax()]
    text = (f"CAC runs from **${cheap['cac']:,.0f}** ({cheap['channel']}) to **${dear['cac']:,.0f}** "
            f"({dear['channel']}) per new paying customer; blended over every channel it is ${c['blended']:,.0f}")
    if cheaper.empty:
        text += ", lower than every paid channel's"
    elif dearer.empty:
        text += ", higher than every paid channel's"
    else:
        text += (f", lower than {len(dearer)} of the {len(paid)} paid channels but higher than "
                 + ", ".join(f"{r.channel}'s ${r.cac:,.0f}" for r in cheaper.itertuples()))
    if len(c["free"]):
        text += (f": it also counts {_names(c['free'])} customer{'s' if c['free']['new_customers'].sum() != 1 else ''}, "
                 "who cost no ad spend")
    return text + ". Whether a cheap channel is a good one depends on what its customers are worth: see section 7."


def acquisition_section(ds, period: str = "month") -> Section:
    """New users and customers per channel per month, and CAC per channel beside the blended CAC."""

    roles = _roles(ds)
    if "channel" not in ds.events.columns:
        return _missing("Acquisition", "The events have no `channel` column, so sign-ups cannot be split by channel.")
    monthly = acquisition(ds.events, ds.spend, roles.signup, roles.payment, channel="channel", period=period,
                          timezone=ds.timezone, week_start=ds.params.week_start, as_of=ds.as_of)
    chart = ("aarrr.new_users_by_channel", dict(table=monthly))
    if not roles.payment:
        users = monthly.groupby("channel")["new_users"].sum().sort_values(ascending=False)
        text = (f"{users.sum():,} users signed up; the biggest channel is **{users.index[0]}** "
                f"({users.iloc[0] / users.sum():.0%}). This team has no payment event, so there are no customers "
                "and no CAC to compute: only the cost per sign-up, when spend is known.")
        return Section("Acquisition", text, monthly, [chart])
    table = cac_by_channel(ds.events, ds.spend, roles.signup, roles.payment, channel="channel", timezone=ds.timezone,
                           as_of=ds.as_of)
    paid = table[table["paid"] & table["cac"].notna()]
    blended = table[table["channel"] == "all (blended)"].iloc[0]
    if ds.spend is None or paid.empty:
        text = "No spend table (or no paid channel with customers): CAC cannot be computed."
    else:
        text = cac_finding(table)
    return Section("Acquisition", text, table, [chart], {"blended_cac": blended["cac"]})


def activation_section(ds, period: str = "week") -> Section:
    """Activation rate by weekly sign-up cohort with the team's rule, and time to value."""

    roles = _roles(ds)
    if roles.activation is None:
        return _missing("Activation", "This team has not defined an activation rule (params `events.activation`).")
    rule = roles.activation
    by_cohort = activation(ds.events, rule, roles.signup, period=period, segment=None, timezone=ds.timezone,
                           week_start=ds.params.week_start, as_of=ds.as_of)
    total = activation(ds.events, rule, roles.signup, period=None, segment=None, timezone=ds.timezone,
                       week_start=ds.params.week_start, as_of=ds.as_of).iloc[0]
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
        verdict = ("met" if total["ci_low"] >= target.target else "not met" if total["ci_high"] < target.target
                   else "inside the interval, so neither clearly met nor missed")
        vs = f" The team's target is {target.target:.0%}: {verdict}."
    text = (f"**{total['rate']:.1%}** of {total['signups']:,} sign-ups activated ({rule.event} at least "
            f"{rule.at_least}x within {rule.within_days:g} days; 95% CI {total['ci_low']:.1%}-{total['ci_high']:.1%})."
            f" Those who activate take a median **{format_duration(total['median_days_to_activate'] * 86400)}** to get there "
            f"(time to value).{spread}{vs}")
    if total["pending"]:
        text += (f" {int(total['pending']):,} recent sign-ups are still inside their {rule.within_days:g}-day window "
                 "and are not counted yet.")
    chart = ("aarrr.rate_by_cohort", dict(table=by_cohort, title=f"Activation rate by {period}ly sign-up cohort",
                                          y_title="activated", target=target.target if target else None))
    kpi = recent_rate(by_cohort, "activated", "signups", complete=(by_cohort["pending"] == 0) & (by_cohort["signups"] > 0),
                      period=period)
    return Section("Activation", text, by_cohort, [chart],
                   {"activation_rate": total["rate"], "time_to_value_days": total["median_days_to_activate"],
                    "activation_ci_low": total["ci_low"], "activation_ci_high": total["ci_high"],
                    "activation_signups": total["signups"], "kpi_activation_rate": kpi})


def retention_section(ds, period: str = "week") -> Section:
    """Retention of activated users vs the rest, from :mod:`pmplaybook.retention` (called, not redone)."""

    roles = _roles(ds)
    if roles.activation is None:
        return _missing("Retention", "Without an activation rule there is no activated-user retention to show "
                                     "(the cohort-retention notebook covers all users).")
    common = dict(signup_event=roles.signup, return_event=roles.core_action, period=period, as_of=ds.as_of,
                  timezone=ds.timezone, week_start=ds.params.week_start)
    curves = retention.activation_curves(ds.events, roles.activation, **common)
    compared = retention.activated_retention(ds.events, roles.activation, at=(2, 4), **common)
    chart = ("retention.retention_curves", dict(table=curves, by="segment", period=period,
                                                title="Retention: activated users vs the rest"))
    text = activation_finding(curves, unit=period)
    row = compared[compared["period"] == 4]
    w4 = float(row["activated_rate"].iloc[0]) if len(row) else float("nan")
    if len(row) and pd.notna(row["diff"].iloc[0]):
        r = row.iloc[0]
        text += (f" In {period} 4, {r['activated_rate']:.0%} of activated users are back vs {r['other_rate']:.0%} of "
                 f"the others ({'a real gap' if r['significant'] else 'a gap within the noise'}: "
                 f"{_points(r['diff'])}, 95% CI {_signed(r['ci_low'])} to {_signed(r['ci_high'])}).")
    return Section("Retention", text, compared, [chart], {"activated_week4_retention": w4})


def referral_finding(by_cohort: pd.DataFrame, within_days: float = 30, has_payment: bool = True) -> str:
    """K-factor of the complete cohorts of a :func:`referral` table, judged by what the accepted invites
    brought: new accounts and paying customers (an invitee who joins the inviter's account adds a seat, not
    a customer, so it lowers no CAC)."""
    done = by_cohort[by_cohort["complete"]]
    users, sent, acc = done["users"].sum(), done["invites_sent"].sum(), done["accepted"].sum()
    if not users:
        return "No cohort has completed its invite window yet."
    k = acc / users
    text = (f"Users send **{sent / users:.2f} invites** each in their first {within_days:g} days, and "
            f"**{acc / sent if sent else float('nan'):.0%}** of invites are accepted: **K-factor = {k:.2f}** new "
            f"users per user (complete monthly cohorts, {users:,} users).")
    accounts, paying = int(done["new_accounts"].sum()), int(done["new_customers"].sum())
    if not acc:
        return text + " No invite was accepted, so referral brings no one yet."
    if not accounts:
        text += (f" But none of the {acc:,} accepted invites started an account of its own: every invited user "
                 "joined the inviter's team, so invites add seats to existing accounts, not new customers, and "
                 "do not lower CAC here (Gupta's 0.2-0.4 \"lowers CAC\" range assumes invitees become customers).")
    elif has_payment:
        text += (f" Of the {acc:,} accepted invites, {accounts:,} ({accounts / acc:.0%}) started an account of their "
                 f"own and {paying:,} of those accounts pay: {100 * paying / users:.1f} paying customers per 100 users "
                 "at no acquisition cost" + (", which lowers the blended CAC." if paying else
                                              ", so invites bring no revenue yet."))
    else:
        text += f" Of the {acc:,} accepted invites, {accounts:,} ({accounts / acc:.0%}) started an account of their own."
    share = done["inviters"].sum() / users
    text += (f" Only {share:.0%} of users invite anyone: the loop rests on a minority." if share < 0.5
             else f" {share:.0%} of users invite someone.")
    return text


def referral_section(ds, within_days: float = 30) -> Section:
    """Invites per user, invite conversion and K-factor by monthly sign-up cohort, and what the accepted
    invites brought (new accounts, paying customers)."""

    roles = _roles(ds)
    if not (roles.invite_sent and roles.invite_accepted):
        return _missing("Referral", "This team has no invite events (params `events.invite_sent` / "
                                    "`invite_accepted`), so referral cannot be measured.")
    if "inviter_id" not in ds.events.columns:
        return _missing("Referral", "The events have no `inviter_id` column to link accepted invites to inviters.")
    common = dict(invite_sent=roles.invite_sent, invite_accepted=roles.invite_accepted, signup_event=roles.signup,
                  within_days=within_days, timezone=ds.timezone, week_start=ds.params.week_start, as_of=ds.as_of,
                  payment_event=roles.payment if roles.payment and has_event(ds.events, roles.payment) else None)
    by_cohort = referral(ds.events, period="month", **common)
    weekly = referral(ds.events, period="week", **common)
    done = by_cohort[by_cohort["complete"]]
    users, sent, acc = done["users"].sum(), done["invites_sent"].sum(), done["accepted"].sum()
    text = referral_finding(by_cohort, within_days, has_payment=common["payment_event"] is not None)
    if not users:
        return Section("Referral", text, by_cohort, [], {"k_factor": None})
    kpi = recent_mean(weekly, "accepted", "accepted_sq", "users", complete=weekly["complete"])
    return Section("Referral", text, by_cohort, [("aarrr.k_factor_by_cohort", dict(table=by_cohort))],
                   {"k_factor": acc / users, "invites_per_user": sent / users,
                    "invite_conversion": acc / sent if sent else None, "kpi_k_factor": kpi})


#: Below this many accounts a net revenue retention is too few to judge.
NRR_MIN_ACCOUNTS = 30


def nrr_finding(nrr: dict, headline: bool = False) -> str:
    """Net revenue retention (:func:`net_revenue_retention`) in words with what it rests on: the accounts of
    its base and its bootstrap interval; with too few accounts (under 30), or an interval holding 100%,
    the sentence says it cannot judge. ``headline`` words it as the page's headline KPI."""
    if not nrr.get("accounts") or not np.isfinite(nrr.get("nrr", float("nan"))):
        return "No account paid in the first month of the span, so net revenue retention cannot be computed."
    n, value, low, high = nrr["accounts"], nrr["nrr"], nrr["ci_low"], nrr["ci_high"]
    span = (f"{nrr['months']} month{'s' if nrr['months'] != 1 else ''} ({nrr['start_month']:%b %Y} -> "
            f"{nrr['end_month']:%b %Y})")
    head = (f"The headline KPI, over the last {span}, is **{value:.1%}** on {n:,} accounts" if headline else
            f"Net revenue retention over {span} is **{value:.1%}** on the {n:,} account{'s' if n != 1 else ''} paying "
            f"in {nrr['start_month']:%b %Y}")
    if n < NRR_MIN_ACCOUNTS or not np.isfinite(low):
        return head + f": too few accounts to judge (fewer than {NRR_MIN_ACCOUNTS})."
    head += f" ({low:.1%}-{high:.1%})" if headline else f" (95% interval {low:.1%}-{high:.1%}, resampling accounts)"
    if low <= 1 <= high:
        return head + ": the interval holds 100%, so they cannot tell whether the base grows or shrinks."
    return head + (": below 100% even at the interval's top, the base shrinks." if high < 1 else
                   ": above 100% even at the interval's bottom, the base grows without new customers.")


def revenue_section(ds, gross_margin: float = DEFAULT_GROSS_MARGIN, kpi_months: int = 3) -> Section:
    """MRR by month with its movements, ARPA, net revenue retention (with its base and interval) and LTV
    computed two ways. The headline NRR is the last ``kpi_months`` months' (a recent window)."""

    roles = _roles(ds)
    if not roles.payment:
        return _missing("Revenue", "This team has no payment event (params `events.payment`), so there is no revenue to measure.")
    if "revenue" not in ds.events.columns:
        return _missing("Revenue", "The events have no `revenue` column.")
    table = mrr(ds.events, roles.payment, timezone=ds.timezone, as_of=ds.as_of)
    if table.empty or len(table) < 2:
        return _missing("Revenue", "Fewer than two complete months of payments: MRR movements need at least two.")
    nrr = net_revenue_retention(ds.events, roles.payment, months=12, timezone=ds.timezone, as_of=ds.as_of)
    recent = net_revenue_retention(ds.events, roles.payment, months=kpi_months, timezone=ds.timezone, as_of=ds.as_of)
    summary = revenue_summary(ds.events, roles.payment, timezone=ds.timezone, as_of=ds.as_of, gross_margin=gross_margin)
    last = table.iloc[-1]
    text = (f"MRR in {last['month']:%B %Y} is **${last['mrr']:,.0f}** from {last['paying_accounts']:,} paying accounts "
            f"(ARPA ${last['arpa']:,.0f}/month). That month it gained ${last['new_mrr']:,.0f} from new accounts and "
            f"${last['expansion_mrr']:,.0f} from upgrades, and lost ${last['churned_mrr']:,.0f} to churn and "
            f"${last['contraction_mrr']:,.0f} to downgrades. {nrr_finding(nrr)}")
    kpi = {"value": None}
    if recent["months"] and recent["months"] < nrr["months"]:
        text += " " + nrr_finding(recent, headline=True)
    if recent["months"] and np.isfinite(recent["nrr"]):
        kpi = dict(value=recent["nrr"], n=recent["accounts"], ci_low=recent["ci_low"], ci_high=recent["ci_high"],
                   window_start=recent["start_month"], window_end=recent["end_month"] + pd.DateOffset(months=1))
    text += (f" Over the last 3 months, ARPA averaged ${summary['arpa']:,.0f} and monthly logo churn "
             f"{summary['logo_churn']:.1%}, so an account lasts about {summary['lifetime_months']:.0f} months: "
             f"LTV = ${summary['arpa']:,.0f} x {gross_margin:.0%} margin / "
             f"{summary['logo_churn']:.1%} = **${summary['ltv']:,.0f}** (or ${summary['ltv_revenue']:,.0f} of revenue: "
             f"ARPA x lifetime).")
    return Section("Revenue", text, table, [("aarrr.mrr_waterfall", dict(table=table)), ("aarrr.mrr_movements", dict(table=table))],
                   {"net_revenue_retention": nrr["nrr"], "nrr_accounts": nrr["accounts"], "mrr": last["mrr"],
                    "arpa": summary["arpa"], "ltv": summary["ltv"], "logo_churn": summary["logo_churn"],
                    "kpi_net_revenue_retention": kpi})


def worst_paid_channel(table: pd.DataFrame) -> pd.Series | None:
    """The paid channel with the lowest LTV/CAC of a :func:`unit_economics` table (None without one)."""
    paid = table[table["paid"] & table["cac"].notna() & table["ltv_cac"].notna()]
    return None if paid.empty else paid.loc[paid["ltv_cac"].idxmin()]


def unit_economics_section(ds, gross_margin: float = DEFAULT_GROSS_MARGIN, kpi_months: int = 3) -> Section:
    """CAC, LTV, LTV/CAC and payback per channel over all complete months, with the money-losing channel
    named and payback set against customer lifetime. The headline LTV/CAC is the **worst paid channel's**
    over the last ``kpi_months`` complete months (spend, new customers and churn in that window), never the
    blend."""

    roles = _roles(ds)
    if not roles.payment:
        return _missing("Unit economics", "No payment event: LTV and LTV/CAC need revenue.")
    if ds.spend is None or "channel" not in ds.events.columns:
        return _missing("Unit economics", "No spend table or no `channel` column: CAC per channel cannot be computed.")
    common = dict(channel="channel", gross_margin=gross_margin, timezone=ds.timezone, as_of=ds.as_of)
    table = unit_economics(ds.events, ds.spend, roles.signup, roles.payment, **common)
    text = ltv_cac_finding(table)
    payback = payback_finding(table)
    if payback:
        text += " " + payback
    as_of = pd.Timestamp(ds.as_of).normalize()
    since = as_of.replace(day=1) - pd.DateOffset(months=kpi_months)
    recent = unit_economics(ds.events, ds.spend, roles.signup, roles.payment, since=since,
                            **{**common, "as_of": as_of.replace(day=1)})
    worst, kpi = worst_paid_channel(recent), {"value": None}
    if worst is not None:
        low, high = ltv_cac_interval(worst)
        kpi = dict(value=float(worst["ltv_cac"]), n=int(worst["at_risk"]), ci_low=low, ci_high=high, window_start=since,
                   window_end=as_of.replace(day=1), channel=worst["channel"])
    return Section("Unit economics", text, table, [("aarrr.cac_ltv_by_channel", dict(table=table))],
                   {"blended_ltv_cac": table.loc[table["channel"] == BLENDED, "ltv_cac"].iloc[0],
                    "kpi_ltv_cac": kpi})


#: A window covering at least this share of converters (but under 90%) is "nearly" long enough.
NEARLY = 0.75


def window_finding(check: dict, last_step: str, window) -> tuple[str, str]:
    """What a :func:`funnel_window_check` says, as (sentence for the section, advice for under the
    time-to-convert chart): a window too short for the journey or a population that never finishes is
    said first, with the window that would cover 90% of converters; only a complete funnel gets the
    timing advice."""
    w = duration_string(parse_duration(window))
    if not check["converters"]:
        return "", ""
    share, p90, days = check["share_within"], check["p90_days"], check["suggested_window_days"]
    seen = (f"Following the users who entered before {check['entered_before']:%d %b %Y} for "
            f"{check['horizon_days']:.0f} days")
    text = advice = ""
    if check["window_ok"] is False and share < NEARLY:
        text = (f" **The {w} window is shorter than the journey.** {seen}: of the {check['converters']:,} who "
                f"reached {last_step}, only {share:.0%} did so within {w}; 90% within {p90:.1f} days. So the last "
                f"step's loss is partly the window's.")
        advice = (f"**What the time chart can tell.** It shows only the {share:.0%} of converters inside the window, so "
                  f"its 90th percentile is the window's edge, not when users decide: do not time reminders from it. "
                  f"Widen the funnel to {days} days (params `funnel.window`), which covers 90% of converters.")
    elif check["window_ok"] is False:
        text = (f" The {w} window covers {share:.0%} of the users who eventually reach {last_step} ({seen[0].lower() + seen[1:]}); "
                f"{days} days would cover 90%.")
        advice = (f"**What the time chart can tell.** It holds most converters, so it is close to the journey's real "
                  f"pace; but time reminders from the 90th percentile of all converters, {p90:.1f} days, not the chart's.")
    stuck = check["stuck"]
    if len(stuck):
        parts = [f"{r.users:,} with {r.column} = {r.value} ({r.share:.0%})" for r in stuck.itertuples()]
        who = "of the same users" if text else seen[0].lower() + seen[1:]
        text += (f" Some who enter never finish: {who}, {'; '.join(parts)} never reached {last_step} "
                 "at all, yet sit in the funnel's denominator. Read the funnel per that segment, or without it.")
    if check["window_ok"]:
        advice = (f"**What the time chart can tell.** The {w} window covers {share:.0%} of converters, so the chart "
                  f"is the journey's real pace: 90% convert within {p90:.1f} days, and a reminder sent after that "
                  "reaches few users still deciding; one sent just after the median catches more.")
    return text, advice


def journey_section(ds) -> Section:
    """The team's journey funnel (params ``funnel``) with drop-offs and time to convert, and whether its
    window and population let it be read as it stands (:func:`pmplaybook.aarrr.funnel_window_check`)."""
    f = ds.params.funnel
    if len(f.steps) < 2:
        return _missing("Journey funnel", "The params define no funnel (`funnel.steps` needs two steps or more).")
    steps = fn.steps_from_params(ds.params)
    common = dict(window=f.window, order=f.order, exclusions=f.exclusions or None, as_of=ds.as_of, timezone=ds.timezone)
    table = fn.funnel(ds.events, steps, segment=None, **common)
    # Time over the whole journey (first step to last), the delay a PM can act on with reminders.
    times = fn.time_to_convert(ds.events, steps[0], steps[-1], **common)
    trend = fn.conversion_over_time(ds.events, steps, period="week", week_start=ds.params.week_start, **common)
    segments = ["channel", *ds.params.segments]
    check = funnel_window_check(ds.events, steps, segments=segments, **common)
    labels = table["event"].tolist()
    text = funnel_finding(table, f.window) + f" (order: {f.order}.)"
    q = times.quantiles.iloc[0]
    if q["users"]:
        text += (f" From {labels[0]} straight to {labels[-1]}, the median converter within the window takes "
                 f"**{format_duration(q['median_hours'] * 3600)}**, 90% by {format_duration(q['p90_hours'] * 3600)}.")
    extra, advice = window_finding(check, labels[-1], f.window)
    text += extra
    note = (f"only converters within the {duration_string(parse_duration(f.window))} window: {check['share_within']:.0%} "
            "of all" if check["window_ok"] is False and check["share_within"] < NEARLY else None)
    kpi = recent_rate(trend, "converted", "users", key="period", complete=trend["complete"])
    return Section("Journey funnel", text, table,
                   [("aarrr.journey_funnel", dict(table=table, title=f"{ds.params.title or ds.params.team} journey funnel")),
                    ("aarrr.rate_by_cohort", dict(table=trend, x="period", size="users", y_title="completed the funnel",
                                                  title="Funnel completion by week of entry")),
                    ("aarrr.time_to_convert", dict(hist=times.histogram, quantiles=times.quantiles, note=note,
                                                   title=f"Time from {labels[0]} to {labels[-1]}"))],
                   {"funnel_conversion": table["conversion"].iloc[-1], "kpi_funnel_conversion": kpi,
                    "window_check": check, "window": f.window}, after=advice)


def leaks_section(ds, horizon_days: float = 60) -> Section:
    """The AARRR stages as one funnel of users, with the biggest leak named."""

    roles = _roles(ds)
    table = leaks(ds.events, roles, horizon_days=horizon_days, timezone=ds.timezone, as_of=ds.as_of)
    skipped = [name for name, present in (("activation", roles.activation), ("referral", roles.invite_sent),
                                          ("revenue", roles.payment)) if not present]
    text = leak_finding(table)
    if skipped:
        names = " or ".join(skipped) if len(skipped) < 3 else f"{skipped[0]}, {skipped[1]} or {skipped[2]}"
        text += f" (No {names} stage: this team has no event for it.)"
    return Section("Where the journey leaks", text, table, [("aarrr.journey_funnel", dict(table=table, title="AARRR journey"))],
                   {"biggest_leak": table.loc[table["biggest_leak"], "stage"].iloc[0] if table["biggest_leak"].any() else None})


#: The headline KPIs of the AARRR page: name -> (section title, label). "Last 4 weeks" = the last four
#: complete weekly cohorts (of sign-ups or funnel entries) whose window has closed by as_of.
HEADLINES = {
    "activation_rate": ("Activation", "Activation rate (last 4 weeks)"),
    "k_factor": ("Referral", "K-factor (last 4 weeks)"),
    "ltv_cac": ("Unit economics", "LTV/CAC, worst paid channel (last 3 months)"),
    "net_revenue_retention": ("Revenue", "Net revenue retention (last 3 months)"),
    "funnel_conversion": ("Journey funnel", "Journey funnel conversion (last 4 weeks)"),
}


def headline_kpis(*sections: Section) -> dict:
    """The keyword arguments of ``kpis.record`` for each headline KPI, from the sections that computed it,
    each on a recent window with its ``n`` and 95% interval (``{"value": None}`` when a section is missing).
    The LTV/CAC is the worst paid channel's (named in the label), never the blend."""
    by_title = {s.title: s for s in sections if s is not None}
    out = {}
    for name, (title, label) in HEADLINES.items():
        s = by_title.get(title)
        row = dict((s.values.get(f"kpi_{name}") if s is not None and s.available else None) or {"value": None})
        channel = row.pop("channel", None)
        if channel:
            label = label.replace("worst paid channel", f"worst paid channel: {channel}")
        out[name] = {**row, "label": label}
    return out


def exercise_answers(acquisition_: Section, economics: Section, gross_margin_then: float = 0.6,
                     gross_margin: float = DEFAULT_GROSS_MARGIN) -> str:
    """The answers of the exercises that depend on the data (margin sensitivity, blended CAC), computed from
    the sections' tables."""
    out = []
    if economics is not None and economics.available:
        paid = economics.table[economics.table["paid"] & economics.table["ltv_cac"].notna()]
        f = gross_margin_then / gross_margin
        cross = paid[(paid["ltv_cac"] >= 1) & (paid["ltv_cac"] * f < 1)]
        out.append(f"3. Every LTV/CAC is multiplied by {gross_margin_then:.1f} / {gross_margin:.1f} = {f:.2f}. "
                   + (f"{', '.join(cross['channel'])} fall{'s' if len(cross) == 1 else ''} below 1." if len(cross) else
                      "No channel crosses 1: " + ", ".join(f"{r.channel} goes from {r.ltv_cac:.2f} to {r.ltv_cac * f:.2f}"
                                                          for r in paid.itertuples()) + "."))
    if acquisition_ is not None and acquisition_.available and acquisition_.table is not None \
            and "paid" in acquisition_.table.columns:
        c = blended_cac_comparison(acquisition_.table)
        if len(c["paid"]) and np.isfinite(c["blended"]):
            dearer = ", ".join(f"{r.channel} (${r.cac:,.0f})" for r in c["dearer"].itertuples()) or "none"
            cheaper = ", ".join(f"{r.channel} (${r.cac:,.0f})" for r in c["cheaper"].itertuples()) or "none"
            pooled = c["paid"]["spend"].sum() / c["paid"]["new_customers"].sum()
            why = (f"It divides all paid spend by all new customers, including the {_names(c['free'])} customers "
                   f"who cost no ad spend, so it sits below the paid channels' pooled CAC (their spend / their own "
                   f"customers = ${pooled:,.0f})" if len(c["free"]) else
                   "No free channel brought customers, so the blend is simply the spend-weighted average of the paid channels")
            out.append(f"5. The blended CAC is ${c['blended']:,.0f}. Dearer than the blend: {dearer}; cheaper: {cheaper}. "
                       f"{why}; a channel cheaper than the blend, like the cheapest one here, is not thereby a good one "
                       "(section 7).")
    return escape_dollars("\n\n".join(out))


def economics_finding(table: pd.DataFrame | None):
    """The Summary's finding on unit economics (:class:`~pmplaybook.narrative.summary.Finding`), or None.

    The paid channel below LTV/CAC 1 whose customers leave the most spend unreturned (spend - customers x
    LTV) needs an owner when its whole interval (:func:`pmplaybook.aarrr.ltv_cac_interval`) is below 1; when the interval
    reaches 1 it is a note (not yet a clear loss). With no channel below 1, the weakest paid channel is a
    note when its whole interval is below the 3:1 bar; otherwise None."""
    from .summary import Finding

    if table is None or table.empty or "paid" not in table.columns:
        return None
    paid = table[table["paid"] & table["cac"].notna() & table["ltv_cac"].notna()].copy()
    if paid.empty:
        return None
    from ..aarrr import ltv_cac_interval

    bounds = [ltv_cac_interval(r) for _, r in paid.iterrows()]
    paid["low"], paid["high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    paid["unreturned"] = paid["spend"] - paid["new_customers"] * paid["ltv"]
    best = paid.loc[paid["low"].fillna(paid["ltv_cac"]).idxmax()]  # the most surely profitable channel
    below = paid[paid["ltv_cac"] < 1]
    if len(below):
        w = below.sort_values("unreturned", ascending=False).iloc[0]
        text = (f"Unit economics: **{w['channel']}** returns {w['ltv_cac']:.2f} per dollar of CAC (LTV/CAC; 95% CI "
                f"{w['low']:.2f}-{w['high']:.2f} from its churn): a customer costs ${w['cac']:,.0f} but pays "
                f"${w['arpa']:,.0f} a month and {w['monthly_churn']:.0%} of them stop each month, so one brings "
                f"${w['ltv']:,.0f} of margin; payback takes {w['payback_months']:.1f} months against an average "
                f"life of {w['lifetime_months']:.1f} months"
                f"{', so it never pays back' if w['payback_months'] > w['lifetime_months'] else ''}. "
                f"Of its ${w['spend']:,.0f} spend, about "
                f"${w['unreturned']:,.0f} will not come back.")
        if w["high"] < 1:
            return Finding(text, chart="economics", next_step=(
                f"Put {w['channel']} on the next budget review: cut or retarget it (audiences that pick bigger "
                f"plans) and move budget to {best['channel']} (LTV/CAC {best['ltv_cac']:.1f}, 95% CI {best['low']:.1f}-"
                f"{best['high']:.1f}) until its LTV/CAC is above 1."))
        return Finding(text.replace(" will not come back.", " may not come back: its interval reaches 1, so the "
                                    "loss is not yet clear."), chart="economics", severity="note",
                       next_step=f"Re-check {w['channel']} after another month of churn before cutting it.")
    weak = paid.loc[paid["ltv_cac"].idxmin()]
    if weak["high"] < 3:
        return Finding(f"Unit economics: every paid channel returns more than it costs, but **{weak['channel']}** "
                       f"is below the 3:1 bar: LTV/CAC {weak['ltv_cac']:.2f} (95% CI {weak['low']:.2f}-"
                       f"{weak['high']:.2f}), payback {weak['payback_months']:.1f} months.", chart="economics",
                       severity="note", next_step=f"Look for cheaper or better-fit customers in {weak['channel']}.")
    return None


def leak_summary_finding(leaks_table: pd.DataFrame | None, retained: pd.DataFrame | None = None):
    """The Summary's note on the journey's biggest leak (:func:`leaks`), with, when it is activation and
    ``retained`` (:func:`pmplaybook.retention.activated_retention`) is given, whether activated users
    are clearly likelier to be back in week 4 (the lever) or not (the rule may not mark real value)."""
    from .summary import Finding

    if leaks_table is None or leaks_table.empty or not leaks_table["biggest_leak"].any():
        return None
    i = leaks_table.index.get_loc(leaks_table[leaks_table["biggest_leak"]].index[0])
    row, prev = leaks_table.iloc[i], leaks_table.iloc[i - 1]
    text = (f"Journey: the biggest leak is {prev['stage']} -> {row['stage']}: {row['step_conversion']:.1%} "
            f"(95% CI {row['ci_low']:.1%}-{row['ci_high']:.1%}) of {prev['users']:,} users pass it.")
    step = f"Write one hypothesis for the {row['stage']} step and the metric that would show it worked."
    w4 = None
    if retained is not None and len(retained) and "period" in retained.columns:
        r = retained[retained["period"] == 4]
        w4 = r.iloc[0] if len(r) and pd.notna(r["diff"].iloc[0]) else None
    if row["stage"] == "activation" and w4 is not None:
        if w4["significant"] and w4["diff"] > 0:
            text += (f" Activated users are back in week 4 far more often ({w4['activated_rate']:.0%} vs "
                     f"{w4['other_rate']:.0%}, {w4['diff'] * 100:+.0f} points beyond noise): activation is the lever.")
            step = "Shorten the path to the activation event for new users before buying more of them."
        else:
            text += (f" Activated users are not clearly likelier to be back in week 4 ({w4['activated_rate']:.0%} vs "
                     f"{w4['other_rate']:.0%}, a gap within noise or negative).")
            step = "Check that the activation rule marks real value before pushing more users through it."
    return Finding(text, chart="leaks", next_step=step, severity="note")


def window_summary_finding(journey: Section | None):
    """The Summary's note when the journey funnel's window is clearly too short for its journey (it covers
    under 75% of the users who eventually convert, :func:`pmplaybook.aarrr.funnel_window_check`), or None."""
    from .summary import Finding

    check = journey.values.get("window_check") if journey is not None and journey.available else None
    if not check or check.get("window_ok") is not False or check["share_within"] >= NEARLY:
        return None
    w = duration_string(parse_duration(journey.values.get("window")))
    return Finding(f"Journey funnel: its {w} window counts only {check['share_within']:.0%} of the users who "
                   f"eventually convert, so its conversion (and the headline KPI) understates the journey.",
                   next_step=f"Set the funnel window to {check['suggested_window_days']} days, which covers 90% of them.",
                   chart="journey", severity="note")


def summary_findings(economics: Section | None = None, leaks_section_: Section | None = None,
                     retention_section_: Section | None = None, journey: Section | None = None) -> list:
    """The findings of the AARRR page's Summary (:class:`~pmplaybook.narrative.summary.Finding`), from the
    sections the notebook has already computed: the money-losing paid channel (:func:`economics_finding`),
    the journey's biggest leak (:func:`leak_summary_finding`) and a funnel window too short for its journey
    (:func:`window_summary_finding`). A section a team lacks gives nothing."""
    out = []
    if economics is not None and economics.available:
        f = economics_finding(economics.table)
        if f is not None:
            out.append(f)
    if leaks_section_ is not None and leaks_section_.available:
        retained = retention_section_.table if retention_section_ is not None and retention_section_.available else None
        f = leak_summary_finding(leaks_section_.table, retained)
        if f is not None:
            out.append(f)
    f = window_summary_finding(journey)
    if f is not None:
        out.append(f)
    return out
