"""Cohort retention in words: every sentence is computed from a table of :mod:`pmplaybook.retention`, so
it changes when the data do."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.formatting import format_points
from ..core.stats import diff_proportions
from ..retention import (
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
                        min_users: int = 30) -> str:
    """A sentence on the cohort whose period-``at`` retention is furthest below the others (beyond noise),
    e.g. a campaign that brought many low-intent users. ``mix`` (a cohort_retention table with a segment,
    e.g. channel) adds which segment that cohort over-represents."""
    o = outlier_cohorts(table, at=at, min_users=min_users)
    if o.empty:
        return f"No cohort is complete at {period} {at} yet, so cohorts cannot be compared there."
    worst = o.iloc[0]
    if not worst["significant"] or worst["diff"] >= 0:
        return (f"No cohort stands out: every cohort's {period}-{at} retention is within noise of the others "
                f"(the lowest, {_label(worst['cohort'], period)}, kept {worst['rate']:.0%} vs {worst['rest_rate']:.0%}).")
    text = (f"The cohort of {_label(worst['cohort'], period)} stands out: "
            f"{worst['cohort_size']:,} users ({worst['size_ratio']:.1f}x a typical cohort) of whom only "
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


def spike_finding(daily: pd.DataFrame, table: pd.DataFrame, at: int = 1, period: str = "week", **kwargs) -> str:
    """Sentences on the spikes of :func:`spikes`: how big, and whether retention moved with them (a spike
    of visitors is not a change in retention; PMRead)."""
    found = spikes(daily, table, at=at, **kwargs)
    if found.empty:
        return "Daily actives show no spike (no day 50% above the median of the four weeks before it)."
    parts = []
    for r in found.itertuples(index=False):
        if r.start == r.end:
            when = f"on {r.start:%A %d %B %Y}"
        elif r.start.month == r.end.month:
            when = f"from {r.start:%d} to {r.end:%d %B %Y}"
        else:
            when = f"from {r.start:%d %B} to {r.end:%d %B %Y}"
        text = (f"Daily actives spiked {when}, up to {r.lift:.0%} above the usual level ({r.peak_dau:,} vs about "
                f"{r.baseline_dau:,.0f}).")
        if pd.isna(r.cohort):
            parts.append(text + " No complete cohort covers it yet.")
            continue
        if r.significant:
            verdict = ("retention moved with it: the users who joined then stayed less, so the spike brought "
                       "low-intent users" if r.diff < 0 else "retention moved with it: those users stayed better")
        else:
            verdict = "within noise: the spike did not move retention"
        parts.append(text + f" The cohorts around it (joined the {period} before, of, and after {r.start:%d %B}) "
                     f"retained {r.around_rate:.0%} at {period} {at}, against {r.before_rate:.0%} for the four cohorts "
                     f"before them ({format_points(r.diff)}, {verdict}).")
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
    diag = diagonals(table, period=period, week_start=week_start)
    diag = diag[diag["cells"] >= 3]
    if len(diag):
        low = diag.loc[diag["difference"].idxmin()]
        text += (f" Diagonals: the calendar {period} starting {low['calendar']:%Y-%m-%d} is the weakest, with the "
                 f"{int(low['cells'])} cohorts active in it {abs(low['difference']) * 100:.1f} points below their "
                 "usual rate at that age, the mark of a calendar event rather than of a cohort.")
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


def stickiness_finding(daily: pd.DataFrame, days: int = 28) -> str:
    """The latest DAU/MAU (average of the last ``days`` days), with the practitioners' ranges."""
    value = dau_mau(daily, days=days)
    if not np.isfinite(value):
        return "Not enough days of data for a full 28-day MAU window yet."
    tail = daily[daily["full_window"]].tail(days)
    verdict = ("habit-forming territory (above 20%, Gupta)" if value > 0.2 else
               "below the 20% usually read as habit-forming (Gupta)")
    return (f"Over the last {len(tail)} days an average of {tail['dau'].mean():,.0f} of {tail['mau_28'].mean():,.0f} "
            f"monthly actives used the product each day: DAU/MAU = {value:.0%}, {verdict}; B2B tools usually sit at "
            "20-30% (Koala Feedback).")


def lifecycle_finding(table: pd.DataFrame, period: str = "week") -> str:
    """A sentence on the last complete period of a :func:`lifecycle` table and its quick ratio."""
    done = table[table["complete"]]
    if len(done) < 2:
        return "Too few complete periods for a lifecycle reading."
    r = done.iloc[-1]
    q = done["quick_ratio"].tail(4).mean()
    return (f"In the {period} of {r['period']:%Y-%m-%d}, {int(r['active']):,} users were active: {int(r['new']):,} new, "
            f"{int(r['returning']):,} returning and {int(r['resurrecting']):,} resurrected, while "
            f"{-int(r['dormant']):,} went dormant. The quick ratio ((new + resurrected) / dormant) averaged {q:.2f} "
            f"over the last four {period}s: " + ("the active base is growing." if q > 1.05 else
                                           "the active base is shrinking." if q < 0.95 else
                                           "the active base is roughly steady (gains and losses balance)."))


def collapse_search(tables: dict, at: int = 4, period: str = "week", min_cohorts: int = 4,
                    max_p: float = 0.001) -> str:
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


def summary_findings(by_segment: pd.DataFrame, flat, at: int = 4, period: str = "week") -> list:
    """The Summary's findings (:class:`pmplaybook.narrative.summary.Finding`): the segments retained clearly
    worse than the rest (largest loss of users first), and whether the curve has flattened."""
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
    return findings
