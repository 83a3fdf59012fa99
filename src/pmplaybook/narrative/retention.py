"""Cohort retention in words: every sentence is computed from a table of :mod:`pmplaybook.retention`, so
it changes when the data do."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.formatting import format_points
from ..core.stats import diff_proportions
from ..retention import (
    around_date,
    cohort_vs_neighbours,
    curve_rate,
    dau_mau,
    diagonals,
    one_off_cohorts,
    outlier_cohorts,
    plateau,
    retention_curve,
    segment_shift,
    spikes,
)


def _label(ts, period: str = "week") -> str:
    ts = pd.Timestamp(ts)
    if period == "month":
        return f"{ts:%B %Y}"
    if period == "day":
        return f"{ts:%Y-%m-%d}"
    return f"the week of {ts:%Y-%m-%d}"


def weak_cohort_finding(table: pd.DataFrame, at: int = 4, period: str = "week", mix: pd.DataFrame | None = None,
                        min_users: int = 30, rolling: pd.DataFrame | None = None, neighbours: int = 4) -> str:
    """A sentence on the cohort whose period-``at`` retention is furthest below the others (beyond noise),
    e.g. a campaign that brought many low-intent users. ``mix`` (a cohort_retention table with a segment,
    e.g. channel) adds which segment that cohort over-represents. ``rolling`` (the same cohorts with
    rolling windows) adds the cohort against its ``neighbours`` cohorts on each side
    (:func:`pmplaybook.retention.cohort_vs_neighbours`), the way ``data/truth.json`` measures it."""
    o = outlier_cohorts(table, at=at, min_users=min_users)
    if o.empty:
        return f"No cohort is complete at {period} {at} yet, so cohorts cannot be compared there."
    worst = o.iloc[0]
    if not worst["significant"] or worst["diff"] >= 0:
        return (f"No cohort stands out: every cohort's {period}-{at} retention is within noise of the others "
                f"(the lowest, {_label(worst['cohort'], period)}, kept {worst['rate']:.0%} vs {worst['rest_rate']:.0%}).")
    text = (f"The cohort of {_label(worst['cohort'], period)} stands out: "
            f"{worst['cohort_size']:,} users ({worst['size_ratio']:.1f}x the median cohort) of whom only "
            f"{worst['rate']:.0%} were active in {period} {at}, against {worst['rest_rate']:.0%} for all other "
            f"cohorts ({format_points(worst['diff'])}, 95% interval {format_points(worst['ci_low'])} to {format_points(worst['ci_high'])}).")
    mixes = mix if isinstance(mix, dict) else ({"segment": mix} if mix is not None else {})
    best = None
    for column, m in mixes.items():
        if m is None or "segment" not in m.columns:
            continue
        share = m[m["period"] == 0].groupby(["cohort", "segment"])["cohort_size"].sum()
        if worst["cohort"] not in share.index.get_level_values("cohort"):
            continue
        inside = share.xs(worst["cohort"], level="cohort")
        outside = share.drop(worst["cohort"], level="cohort").groupby(level="segment").sum()
        lift = (inside / inside.sum()) - (outside / outside.sum()).reindex(inside.index).fillna(0)
        if best is None or lift.max() > best[0]:
            top = lift.idxmax()
            best = (lift.max(), column, top, inside[top] / inside.sum(), outside.get(top, 0) / outside.sum())
    if best is not None and best[0] > 0.1:
        _, column, top, share_in, share_out = best
        text += (f" {share_in:.0%} of it had {column} = {top} (vs {share_out:.0%} of other cohorts): a burst "
                 "of users with less intent to stay.")
    if rolling is not None:
        near = cohort_vs_neighbours(rolling, worst["cohort"], at=at, neighbours=neighbours)
        text += (f" Against the {len(near['neighbours'])} cohorts around it ({neighbours} on each side): "
                 f"{near['size_ratio']:.2f}x their mean size, and, counting {period}s from each user's own sign-up, "
                 f"{near['rate']:.1%} active in {period} {at} vs their {near['neighbour_rate']:.1%}.")
    return text


def collapse_finding(table: pd.DataFrame, at: int = 4, period: str = "week", column: str = "segment",
                     min_cohorts: int = 4, exclude=(), max_p: float = 0.001) -> str:
    """A sentence on the segment whose period-``at`` retention dropped most (and significantly) from some
    cohort on, and on how little the overall average shows it (from :func:`segment_shift`)."""
    shifts = segment_shift(table, at=at, min_cohorts=min_cohorts, exclude=exclude)
    drops = shifts[(shifts["p_value"] < max_p) & (shifts["diff"] < 0)] if len(shifts) else shifts
    drops = drops.sort_values("ci_high")
    if drops.empty:
        return (f"No {column} segment's {period}-{at} retention fell beyond its noise at any point: the average "
                "is not hiding a collapse here.")
    top = drops.iloc[0]
    split = pd.Timestamp(top["split"])
    cells = table[(table["period"] == at) & table["complete"] & ~table["cohort"].isin(list(exclude))]
    before, after = cells[cells["cohort"] < split], cells[cells["cohort"] >= split]
    rate = lambda c: c["retained"].sum() / c["cohort_size"].sum() if c["cohort_size"].sum() else float("nan")  # noqa: E731
    others = after[after["segment"] != top["segment"]]
    others_before = before[before["segment"] != top["segment"]]
    overall = rate(after) - rate(before)
    return (f"Users with {column} = {top['segment']} who joined from {_label(split, period)} on kept "
            f"{top['after_rate']:.0%} at {period} {at}, down from {top['before_rate']:.0%} before "
            f"({format_points(top['diff'])}, 95% interval {format_points(top['ci_low'])} to {format_points(top['ci_high'])}). The other "
            f"{column} values went from {rate(others_before):.0%} to {rate(others):.0%}, and the overall average "
            f"from {rate(before):.0%} to {rate(after):.0%} ({format_points(overall)}): a drift nobody would chase, "
            f"while one segment lost {abs(top['diff']) / top['before_rate']:.0%} of its retention.")


def spike_finding(daily: pd.DataFrame, table: pd.DataFrame, at: int = 1, period: str = "week",
                  windows: str = "calendar", **kwargs) -> str:
    """Sentences on the spikes of :func:`spikes`: how big, and whether retention moved with them (a spike
    of visitors is not a change in retention; PMRead). ``windows`` names how ``table`` counts periods
    ("rolling": from each user's own sign-up), so the sentence can say it."""
    found = spikes(daily, table, at=at, **kwargs)
    if found.empty:
        return ("Daily actives show no spike (no day 50% above the median of the same kind of day, weekday or "
                "weekend, in the four weeks before it).")
    parts = []
    for r in found.itertuples(index=False):
        if r.start == r.end:
            when = f"on {r.start:%A %d %B %Y}"
        elif r.start.month == r.end.month:
            when = f"from {r.start:%d} to {r.end:%d %B %Y}"
        else:
            when = f"from {r.start:%d %B} to {r.end:%d %B %Y}"
        kind = "weekend" if pd.Timestamp(r.peak).day_of_week >= 5 else "weekday"
        text = (f"Daily actives spiked {when}, up to {r.lift:.0%} above the usual {kind} level ({r.peak_dau:,} vs "
                f"{r.baseline_dau:,.0f}, the median {kind} of the 4 weeks before).")
        if pd.isna(r.cohort):
            parts.append(text + " No complete cohort covers it yet.")
            continue
        if r.significant:
            verdict = ("the users who joined then stayed less, so the spike brought low-intent users" if r.diff < 0
                       else "those users stayed better")
        else:
            verdict = "within noise, the spike did not move retention"
        own = " (counted from each user's own sign-up)" if windows == "rolling" else ""
        parts.append(text + f" The 3 cohorts around it ({int(r.around_users):,} users) were {r.around_rate:.1%} "
                     f"active in {period} {at}{own}, the 4 before them {r.before_rate:.1%} ({format_points(r.diff)}, "
                     f"95% interval {format_points(r.ci_low)} to {format_points(r.ci_high)}): {verdict}.")
    return "\n\n".join(parts)


def activation_finding(curves: pd.DataFrame, unit: str = "week", **plateau_args) -> str:
    """Sentences comparing the curves of activated users and the rest, with each one's plateau."""
    if curves.empty or "segment" not in curves.columns:
        return "No complete cohort of users with a finished activation window yet."
    parts = []
    last = int(curves["period"].max())
    for group in ("activated", "not activated"):
        c = curves[curves["segment"] == group]
        if c.empty:
            continue
        p = plateau(c, unit=unit, segment=group, **plateau_args)
        end = c[c["period"] == c["period"].max()].iloc[0]
        if p.found:
            parts.append(f"{group.capitalize()} users' curve flattens from {unit} {p.period} at about "
                         f"{p.level:.0%}.")
        else:
            parts.append(f"{group.capitalize()} users' curve does not flatten: it is at {end['rate']:.0%} by "
                         f"{unit} {int(end['period'])}.")
    return " ".join(parts) + f" (Curves pooled over complete cohorts, up to {unit} {last}.)"


def reading_finding(table: pd.DataFrame, at: int = 4, period: str = "week", week_start: str = "monday",
                    span: int = 4) -> str:
    """Sentences that read the cohort table by column (are new cohorts retained better?) and by diagonal
    (did a calendar period hit every cohort?)."""
    cells = table[(table["period"] == at) & table["complete"]]
    if "segment" in cells.columns:
        cells = cells.groupby("cohort", as_index=False)[["cohort_size", "retained"]].sum()
    cells = cells.sort_values("cohort")
    if len(cells) < 2 * span:
        return f"Too few complete cohorts at {period} {at} to read the table's columns yet."
    early, late = cells.head(span), cells.tail(span)
    d = diff_proportions(late["retained"].sum(), late["cohort_size"].sum(), early["retained"].sum(),
                         early["cohort_size"].sum())
    trend = ("better" if d["diff"] > 0 else "worse") if d["significant"] else "about the same (within noise)"
    text = (f"Column {at}: the first {span} cohorts kept {d['p2']:.0%} at {period} {at}, the latest {span} complete "
            f"ones {d['p1']:.0%} ({format_points(d['diff'])}): new users are retained {trend}.")
    text += " " + diagonal_finding(table, period=period, week_start=week_start)
    return text


def diagonal_finding(table: pd.DataFrame, period: str = "week", week_start: str = "monday",
                     min_cells: int = 3) -> str:
    """The weakest diagonal (calendar period) of the cohort table, and whether it is a calendar event (most
    cohorts below their own usual level at once) or one cohort dragging it (:func:`diagonals`)."""
    diag = diagonals(table, period=period, week_start=week_start, min_cells=min_cells)
    diag = diag[diag["cells"] >= min_cells]
    if diag.empty or diag["difference"].min() >= 0:
        return "Diagonals: no calendar period has enough complete cells below the average curve to read."
    low = diag.loc[diag["difference"].idxmin()]
    when = f"{low['calendar']:%Y-%m-%d}"
    n = int(low["cells"])
    below = int(round(low["below"] * n))
    head = (f"Diagonals: the calendar {period} starting {when} reads weakest ({n} cohorts, "
            f"{format_points(low['difference'])} from the average curve at their ages).")
    common = f"{below} of {n} cohorts were below their own usual level, {format_points(low['adjusted'])} in all"
    if low["kind"] == "calendar":
        text = (f"{head} {common}, more than noise: a calendar event (a holiday, an outage, a release) hit them "
                "together, not one cohort.")
    elif low["kind"] == "one cohort":
        text = (f"{head} That is one cohort, not the calendar: the cohort of {_label(low['worst_cohort'], period)} "
                f"(its {period} {int(low['worst_period'])}) kept {low['worst_rate']:.0%} against "
                f"{low['worst_expected']:.0%} on the curve, and about {low['worst_usual']:.0%} of the curve in its "
                f"other {period}s too. The other {n - 1} cohorts were {format_points(low['without_worst'])} from the "
                f"curve; {common} (within noise).")
    else:
        text = (f"{head} Neither a common dip ({common}, within noise) nor a single cohort explains it: "
                "read it as noise.")
    others = diag[(diag["kind"] == "calendar") & (diag["calendar"] != low["calendar"])]
    if low["kind"] != "calendar" and len(others):
        c = others.loc[others["z"].idxmin()]
        text += (f" A calendar dip shows in the {period} starting {c['calendar']:%Y-%m-%d}: "
                 f"{int(round(c['below'] * c['cells']))} of {int(c['cells'])} cohorts below their usual level, "
                 f"{format_points(c['adjusted'])} in all.")
    elif low["kind"] != "calendar":
        text += f" No {period} pulled most cohorts below their usual level together."
    return text


def incomplete_finding(table: pd.DataFrame, period: str = "week", at: int | None = None) -> str:
    """How many cells are incomplete, and what reading them (and the cells not reached yet) as zeros would
    do to the period-``at`` average (default: the last period of the table, where the effect is largest)."""
    n = int((~table["complete"]).sum())
    if n == 0:
        return "Every cell in this table is complete."
    at = int(table["period"].max()) if at is None else at
    right = curve_rate(retention_curve(table), at)
    sizes = table[table["period"] == 0].groupby("cohort")["cohort_size"].first()
    cells = table[(table["period"] == at) & table["complete"]]
    wrong = cells["retained"].sum() / sizes.sum()
    return (f"{n} cells have not finished yet (dashed blanks in the heatmap), and the newest cohorts have not "
            f"reached the later {period}s at all. Reading those as zeros would put {period}-{at} retention at "
            f"{wrong:.0%} instead of {right:.0%} (the average of the cohorts that did reach {period} {at}): a "
            "collapse that has not happened.")


def _day(ts) -> str:
    return f"{pd.Timestamp(ts):%d %B %Y}".lstrip("0")


def stickiness_finding(daily: pd.DataFrame, check: dict | None = None, days: int = 28) -> str:
    """DAU/MAU over the last ``days`` days (sum of DAU / sum of 28-day MAU), against the window before, and
    whether a campaign that woke dormant users inflated the MAU (``check`` from
    :func:`pmplaybook.retention.mau_inflation`); weekday and weekend apart."""
    if check is None or not np.isfinite(check["now"]):
        value = dau_mau(daily, days=days)
        if not np.isfinite(value):
            return "Not enough days of data for a full 28-day MAU window yet."
        return f"Over the last {days} days DAU/MAU averaged {value:.0%}."
    c = check
    last = c["window_end"] - pd.Timedelta(days=1)
    text = (f"DAU/MAU over the 28 days {_span(c['window_start'], last)} is **{c['now']:.1%}** (95% interval "
            f"{c['ci_low']:.1%}-{c['ci_high']:.1%}, {c['n']:,} users): {c['weekday']:.0%} on weekdays (about {c['weekday_dau']:,.0f} daily "
            f"actives), {c['weekend']:.0%} at weekends (about {c['weekend_dau']:,.0f}), so compare whole weeks. ")
    before_last = c["before_end"] - pd.Timedelta(days=1)
    text += f"In the 28 days to {_day(before_last)} it was {c['before']:.1%} ({format_points(c['change'])}). "
    if c["kind"] == "inflated MAU":
        text += (f"That fall is not a loss of habit: the spike of {_span(c['spike_start'], c['spike_end'])} "
                 f"brought back {c['returners']:,} users who had been away for 28 days, and "
                 + ((f"only {c['returners_after']:,} of them" if c["returners_after"] else "none of them")
                    + " came back afterwards: they swell the MAU (the divisor) "
                    "for four weeks without adding daily actives. "
                    if c["returners_after"] < 0.2 * c["returners"] else
                    f"{c['returners_after']:,} of them came back afterwards. ")
                 + f"Without their spike-day visits, DAU/MAU over the same 28 days is {c['without']:.1%}"
                 + (f", close to the {c['before']:.1%} before the spike" if abs(c["without"] - c["before"]) < 0.02
                    else f", {format_points(c['without'] - c['now'])} of the fall recovered")
                 + ": judge stickiness on a window that no longer holds the spike.")
    elif c["kind"] == "real change":
        cause = (f" The spike of {_day(c['spike_start'])} does not explain it (without its {c['returners']:,} "
                 f"returning users' visits: {c['without']:.1%})." if c["spike_start"] is not None else
                 " No spike in daily actives sits in these windows' MAU, so the change is in how often people come.")
        text += ("Stickiness really " + ("rose." if c["change"] > 0 else "fell.") + cause)
    else:
        text += "Stickiness is steady (within 2 points)."
    return text


def lifecycle_finding(table: pd.DataFrame, period: str = "week", span: int = 4) -> str:
    """A sentence on the last complete period of a :func:`lifecycle` table and the quick ratio of the last
    ``span`` complete periods, pooled ((new + resurrected) / dormant summed over them), so that a burst of
    resurrected users and its wave of dormant users the period after cancel out instead of tilting a mean."""
    done = table[table["complete"]]
    if len(done) < span + 1:
        return "Too few complete periods for a lifecycle reading."
    r = done.iloc[-1]
    last = done.tail(span)
    gained = int(last["new"].sum() + last["resurrecting"].sum())
    lost = -int(last["dormant"].sum())
    q = gained / lost if lost else float("inf")
    start = int(done["active"].iloc[-span - 1])
    return (f"In the {period} of {r['period']:%Y-%m-%d}, {int(r['active']):,} users were active: {int(r['new']):,} new, "
            f"{int(r['returning']):,} returning and {int(r['resurrecting']):,} resurrected, while "
            f"{-int(r['dormant']):,} went dormant. Over the last {span} {period}s, {gained:,} users were gained (new or "
            f"resurrected) and {lost:,} went dormant: a quick ratio of {q:.2f}, and the active base went from "
            f"{start:,} to {int(r['active']):,}: " + ("it is growing." if q > 1.05 else "it is shrinking." if q < 0.95 else
                                                 "roughly steady (gains and losses balance)."))

def collapse_search(tables: dict, at: int = 4, period: str = "week", min_cohorts: int = 4,
                    max_p: float = 0.001, events=None, cohort_event: str = "signup", calendar=None) -> str:
    """:func:`collapse_finding` on the segment column whose largest significant, lasting drop is biggest.

    One-off cohorts (:func:`one_off_cohorts`, e.g. a campaign burst) are left out first: a single odd
    cohort is not a segment collapsing.
    """
    if not tables:
        return "This team lists no segments in its params, so there is no breakdown to search."
    best, best_col = None, None
    exclude = one_off_cohorts(next(iter(tables.values())), at=at)
    for col, t in tables.items():
        shifts = segment_shift(t, at=at, min_cohorts=min_cohorts, exclude=exclude)
        drops = shifts[(shifts["p_value"] < max_p) & (shifts["diff"] < 0)] if len(shifts) else shifts
        drops = drops.sort_values("ci_high")
        if len(drops) and (best is None or drops["ci_high"].iloc[0] < best):
            best, best_col = drops["ci_high"].iloc[0], col
    if best_col is None:
        names = ", ".join(tables)
        return (f"No segment ({names}) saw its {period}-{at} retention fall clearly beyond its noise (p < {max_p:g}, "
                "needed because many split dates are tried): the average is not hiding a collapse here.")
    text = collapse_finding(tables[best_col], at=at, period=period, column=best_col, min_cohorts=min_cohorts,
                            exclude=exclude, max_p=max_p)
    if events is not None and period == "week":
        shifts = segment_shift(tables[best_col], at=at, min_cohorts=min_cohorts, exclude=exclude)
        top = shifts[(shifts["p_value"] < max_p) & (shifts["diff"] < 0)].sort_values("ci_high").iloc[0]
        fixed = around_date(events, best_col, top["split"], cohort_event, at=at, calendar=calendar)
        row = fixed[fixed["segment"] == top["segment"]].iloc[0]
        text += (f" Counted in 7-day windows from each user's own sign-up: {row['before_rate']:.1%} of the "
                 f"{row['before_users']:,} who signed up {_span(row['before_start'], row['before_end'] - pd.Timedelta(days=1))} "
                 f"(week {at} over before {_day(row['after_start'])}) vs {row['after_rate']:.1%} of the "
                 f"{row['after_users']:,} who signed up {_span(row['after_start'], row['after_end'] - pd.Timedelta(days=1))} "
                 f"({format_points(row['diff'])}, 95% interval {format_points(row['ci_low'])} to "
                 f"{format_points(row['ci_high'])}).")
    if exclude:
        text += (f" ({len(exclude)} one-off cohort(s) left out of this comparison: "
                 f"{', '.join(f'{pd.Timestamp(c):%Y-%m-%d}' for c in exclude)}.)")
    return text


def plateau_finding(p) -> str:
    """Where the curve flattens, in a sentence, from a :class:`pmplaybook.retention.Plateau`."""
    unit = p.unit
    if p.found:
        return (f"The curve flattens from {unit} {p.period} on: from then it changes by {p.slope * 100:+.2f} "
                f"points per {unit} and holds at about {p.level:.1%} (95% interval {p.ci_low:.1%}-{p.ci_high:.1%}) "
                f"through {unit} {p.last}.")
    if p.periods < p.min_periods:
        return (f"Too few complete {unit}s ({p.periods}, need {p.min_periods}) with {p.min_users}+ users to judge "
                "whether the curve flattens.")
    return (f"The curve has not flattened: through {unit} {p.last} it keeps declining by more than "
            f"{p.tolerance * 100:.1f} points per {unit}, or by steps larger than their noise.")


def recent_label(name: str, recent: dict, at: int = 4, period: str = "week") -> str:
    """A headline KPI's label that says its window, e.g. "Week-4 retention (sign-ups 3-30 Nov 2025)"."""
    if not recent or not recent.get("n"):
        return f"{name} (no cohort complete at {period} {at} yet)"
    return f"{name} (sign-ups {_span(recent['first_cohort'], _last_day(recent['last_cohort'], period))})"


def _span(a, b) -> str:
    a, b = pd.Timestamp(a), pd.Timestamp(b)
    if (a.year, a.month) == (b.year, b.month):
        return f"{a:%-d}-{b:%-d %b %Y}"
    return f"{a:%-d %b}-{b:%-d %b %Y}" if a.year == b.year else f"{a:%-d %b %Y}-{b:%-d %b %Y}"


def _last_day(start, period: str) -> pd.Timestamp:
    """The last day of the period starting at ``start``."""
    start = pd.Timestamp(start)
    nxt = {"day": start + pd.Timedelta(days=1), "week": start + pd.Timedelta(days=7),
           "month": start + pd.offsets.MonthBegin(1)}[period]
    return nxt - pd.Timedelta(days=1)


def recent_finding(recent: dict, curve: pd.DataFrame, at: int = 4, period: str = "week") -> str:
    """The headline period-``at`` retention on the latest complete cohorts, beside the all-history average."""
    overall = curve_rate(curve, at)
    if not recent or not recent.get("n"):
        return f"No cohort has a complete {period} {at} yet."
    span = _span(recent["first_cohort"], _last_day(recent["last_cohort"], period))
    return (f"Headline: {period}-{at} retention of the {recent['cohorts']} latest cohorts with {period} {at} complete "
            f"(sign-ups {span}, {recent['n']:,} users) is **{recent['rate']:.1%}** (95% interval "
            f"{recent['ci_low']:.1%}-{recent['ci_high']:.1%}); over all complete cohorts, {overall:.1%}.")


def summary_findings(by_segment: pd.DataFrame, flat, at: int = 4, period: str = "week",
                     stickiness: dict | None = None) -> list:
    """The Summary's findings (:class:`pmplaybook.narrative.summary.Finding`): the segments retained clearly
    worse than the rest (largest loss of users first), whether the curve has flattened, and (``stickiness``
    from :func:`pmplaybook.retention.mau_inflation`) a DAU/MAU fall that is a campaign inflating MAU."""
    from .summary import Finding, gap_findings

    findings = gap_findings(
        by_segment, f"{period}-{at} retention", chart="segments",
        next_step=("Give the {segment} gap an owner: compare its cohorts before and after the releases and "
                   "campaigns of the period, and track its curve apart from the average."))
    if flat.found:
        findings.append(Finding(plateau_finding(flat), chart="curve", severity="good"))
    elif flat.periods >= flat.min_periods:
        findings.append(Finding(plateau_finding(flat), chart="curve",
                                next_step="Work on the first weeks (activation, time to value) before buying more users."))
    c = stickiness
    if c and c.get("kind") == "inflated MAU":
        findings.append(Finding(
            f"DAU/MAU reads {c['now']:.1%} over the last 28 days against {c['before']:.1%} before "
            f"{_day(c['spike_start'])}, but the fall is the spike's {c['returners']:,} returning users swelling "
            f"MAU: without their spike-day visits it is {c['without']:.1%}.", chart="stickiness", severity="note",
            next_step="Judge stickiness once the spike has left the 28-day window."))
    elif c and c.get("kind") == "real change" and c["change"] < 0:
        findings.append(Finding(
            f"DAU/MAU fell to {c['now']:.1%} over the last 28 days from {c['before']:.1%} "
            f"({format_points(c['change'])}), with no spike of returning users to explain it.", chart="stickiness",
            next_step="Find which users come less often (segment, plan, platform) and what changed for them."))
    return findings
