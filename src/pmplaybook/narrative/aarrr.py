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
from ..funnel import biggest_drop
from .retention import activation_finding


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


def _roles(ds):
    if ds.params is None:
        raise ValueError("ds has no params: connect with pmplaybook.data.connect(params)")
    return ds.params.events


def _missing(title: str, what: str) -> Section:
    return Section(title, f"_{what}_ This stage is skipped for this team.", available=False)


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
        vs = f" The team's target is {target.target:.0%}: {'met' if total['rate'] >= target.target else 'not met'}."
    text = (f"**{total['rate']:.1%}** of {total['signups']:,} sign-ups activated ({rule.event} at least "
            f"{rule.at_least}x within {rule.within_days:g} days; 95% CI {total['ci_low']:.1%}-{total['ci_high']:.1%})."
            f" Those who activate take a median **{format_duration(total['median_days_to_activate'] * 86400)}** to get there "
            f"(time to value).{spread}{vs}")
    if total["pending"]:
        text += (f" {int(total['pending']):,} recent sign-ups are still inside their {rule.within_days:g}-day window "
                 "and are not counted yet.")
    chart = ("aarrr.rate_by_cohort", dict(table=by_cohort, title=f"Activation rate by {period}ly sign-up cohort",
                                          y_title="activated", target=target.target if target else None))
    return Section("Activation", text, by_cohort, [chart],
                   {"activation_rate": total["rate"], "time_to_value_days": total["median_days_to_activate"],
                    "activation_ci_low": total["ci_low"], "activation_ci_high": total["ci_high"],
                    "activation_signups": total["signups"]})


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
                 f"{r['diff'] * 100:+.0f} points, 95% CI {r['ci_low'] * 100:+.0f} to {r['ci_high'] * 100:+.0f}).")
    return Section("Retention", text, compared, [chart], {"activated_week4_retention": w4})


def referral_section(ds, within_days: float = 30) -> Section:
    """Invites per user, invite conversion and K-factor by monthly sign-up cohort."""

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
    return Section("Referral", text, by_cohort, [("aarrr.k_factor_by_cohort", dict(table=by_cohort))],
                   {"k_factor": k, "invites_per_user": sent / users, "invite_conversion": acc / sent if sent else None})


def revenue_section(ds, gross_margin: float = DEFAULT_GROSS_MARGIN) -> Section:
    """MRR by month with its movements, ARPA, net revenue retention and LTV computed two ways."""

    roles = _roles(ds)
    if not roles.payment:
        return _missing("Revenue", "This team has no payment event (params `events.payment`), so there is no revenue to measure.")
    if "revenue" not in ds.events.columns:
        return _missing("Revenue", "The events have no `revenue` column.")
    table = mrr(ds.events, roles.payment, timezone=ds.timezone, as_of=ds.as_of)
    if table.empty or len(table) < 2:
        return _missing("Revenue", "Fewer than two complete months of payments: MRR movements need at least two.")
    nrr = net_revenue_retention(ds.events, roles.payment, months=12, timezone=ds.timezone, as_of=ds.as_of)
    summary = revenue_summary(ds.events, roles.payment, timezone=ds.timezone, as_of=ds.as_of, gross_margin=gross_margin)
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
    return Section("Revenue", text, table, [("aarrr.mrr_waterfall", dict(table=table)), ("aarrr.mrr_movements", dict(table=table))],
                   {"net_revenue_retention": nrr["nrr"], "mrr": last["mrr"], "arpa": summary["arpa"],
                    "ltv": summary["ltv"], "logo_churn": summary["logo_churn"]})


def unit_economics_section(ds, gross_margin: float = DEFAULT_GROSS_MARGIN) -> Section:
    """CAC, LTV, LTV/CAC and payback per channel, with the money-losing channel named."""

    roles = _roles(ds)
    if not roles.payment:
        return _missing("Unit economics", "No payment event: LTV and LTV/CAC need revenue.")
    if ds.spend is None or "channel" not in ds.events.columns:
        return _missing("Unit economics", "No spend table or no `channel` column: CAC per channel cannot be computed.")
    table = unit_economics(ds.events, ds.spend, roles.signup, roles.payment, channel="channel", gross_margin=gross_margin,
                           timezone=ds.timezone, as_of=ds.as_of)
    blended = table[table["channel"] == "all (blended)"].iloc[0]
    text = ltv_cac_finding(table)
    paid = table[table["paid"] & table["cac"].notna()]
    if len(paid):
        slow = paid.loc[paid["payback_months"].idxmax()]
        text += (f" CAC payback is longest for {slow['channel']}: {slow['payback_months']:.1f} months of margin to "
                 "earn back what one customer cost.")
    return Section("Unit economics", text, table, [("aarrr.cac_ltv_by_channel", dict(table=table))],
                   {"ltv_cac": blended["ltv_cac"], "blended_cac": blended["cac"]})


def journey_section(ds) -> Section:
    """The team's journey funnel (params ``funnel``) with drop-offs and time to convert."""
    f = ds.params.funnel
    if len(f.steps) < 2:
        return _missing("Journey funnel", "The params define no funnel (`funnel.steps` needs two steps or more).")
    steps = fn.steps_from_params(ds.params)
    table = fn.funnel(ds.events, steps, window=f.window, order=f.order, exclusions=f.exclusions or None, segment=None,
                      as_of=ds.as_of, timezone=ds.timezone)
    # Time over the whole journey (first step to last), the delay a PM can act on with reminders.
    times = fn.time_to_convert(ds.events, steps[0], steps[-1], window=f.window, order=f.order, exclusions=f.exclusions or None,
                               as_of=ds.as_of, timezone=ds.timezone)
    trend = fn.conversion_over_time(ds.events, steps, window=f.window, period="week", order=f.order,
                                    exclusions=f.exclusions or None, as_of=ds.as_of, timezone=ds.timezone,
                                    week_start=ds.params.week_start)
    labels = table["event"].tolist()
    text = funnel_finding(table, f.window) + f" (order: {f.order}.)"
    q = times.quantiles.iloc[0]
    if q["users"]:
        text += (f" From {labels[0]} straight to {labels[-1]}, the median converter takes "
                 f"**{format_duration(q['median_hours'] * 3600)}** and 90% have converted by {format_duration(q['p90_hours'] * 3600)}: a "
                 "reminder sent later than that mostly reaches people who have already left.")
    return Section("Journey funnel", text, table,
                   [("aarrr.journey_funnel", dict(table=table, title=f"{ds.params.title or ds.params.team} journey funnel")),
                    ("aarrr.time_to_convert", dict(hist=times.histogram, quantiles=times.quantiles,
                                                   title=f"Time from {labels[0]} to {labels[-1]}")),
                    ("aarrr.rate_by_cohort", dict(table=trend, x="period", size="users", y_title="completed the funnel",
                                                  title="Funnel completion by week of entry"))],
                   {"funnel_conversion": table["conversion"].iloc[-1]})


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
                f"life of {w['lifetime_months']:.1f} months. Of its ${w['spend']:,.0f} spend, about "
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


def summary_findings(economics: Section | None = None, leaks_section_: Section | None = None,
                     retention_section_: Section | None = None) -> list:
    """The findings of the AARRR page's Summary (:class:`~pmplaybook.narrative.summary.Finding`), from the
    sections the notebook has already computed: the money-losing paid channel (:func:`economics_finding`)
    and the journey's biggest leak (:func:`leak_summary_finding`). A section a team lacks gives nothing."""
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
    return out
