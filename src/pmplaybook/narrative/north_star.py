"""The North Star in words: why a candidate wins or loses, vanity, the magic number, the metric tree and
the metric stack, each computed from a table of :mod:`pmplaybook.north_star`."""

from __future__ import annotations

import math
import re

import pandas as pd

from ..config.vocabulary import CHECKLIST
from ..core.formatting import format_number, format_value
from ..north_star import WEIGHTS, magic_number, magic_number_action, metric_stack_warnings, outcome_week
from ..north_star.magic import recent_share_past


def _note(r) -> str:
    note = r.get("leading_note", "") if hasattr(r, "get") else ""
    return note if isinstance(note, str) else ""


def _auc_text(r) -> str:
    note = _note(r)
    if note.startswith("not tested"):
        return f"its early value could not be tested ({note})"
    if math.isnan(r["auc"]):
        return "its early value could not be compared with week-8 activity (no complete cohorts)"
    if r["auc"] == 0.5 and math.isnan(r["spearman_retention"]):
        return ("its early value is the same for every user (AUC 0.50, a coin flip), so it cannot predict who "
                "stays")
    ci = f" (95% CI {format_number(r['auc_low'])}-{format_number(r['auc_high'])})" if not math.isnan(r["auc_low"]) else ""
    unit = "an account" if r["per"] == "account" else "a user"
    whose = " (each accepted invite counted for the user who sent it)" if "credited to the inviter" in note else ""
    return (f"its value in {unit}'s first two weeks{whose} predicts week-8 activity with AUC "
            f"{format_number(r['auc'])}{ci}")


def _every(window: str) -> str:
    return {"day": "daily", "week": "weekly", "month": "monthly"}.get(window, "period")


def reasons(t: pd.DataFrame) -> list[str]:
    """One sentence per candidate of :func:`pmplaybook.north_star.score_candidates`, in its order: why the
    winner wins, and the main reason each other candidate loses to it."""
    win = t.iloc[0]
    out = []
    for _, r in t.iterrows():
        head = f"**{r['label']}** ({r['score']:.0f}/100)"
        if r["rank"] == 1:
            bits = [_auc_text(r)]
            if not r["vanity"] and not math.isnan(r["corr_retained"]):
                more = (math.isnan(r["acquisition"]) or r["corr_retained"] >= r["acquisition"])
                bits.append(f"its {_every(r['window'])} series moves with retained use (r = {format_number(r['corr_retained'])})"
                            + (f" more than with {_acquisition_text(r)}" if more else
                               f", but at least as much with {_acquisition_text(r)}: watch "
                               "that it is not bought with ad spend"))
            bits.append(f"the team scores it {r['checklist']:.1f}/5 on the checklist")
            text = f"{head} wins: " + "; ".join(bits) + "."
            if r["vanity"]:
                text += (f" Caution: it too moves with {_acquisition_text(r)} more than with "
                         f"retained use (r = {format_number(r['corr_retained'])}), so it wins only against weaker candidates.")
            if r["score"] < 40:
                text += " With a score under 40 no candidate is convincing: consider proposing a new one."
            out.append(text)
            continue
        gaps = {
            "vanity": r["vanity_penalty"],
            "leading": WEIGHTS["leading"] * (win["leading_points"] - r["leading_points"]),
            "checklist": WEIGHTS["checklist"] * (win["checklist_points"] - r["checklist_points"]),
            "sensitivity": WEIGHTS["sensitivity"] * (win["sensitivity_points"] - r["sensitivity_points"]),
        }
        others = {k: v for k, v in gaps.items() if k != "vanity"}
        main = max(others, key=others.get)
        whys = []
        if r["vanity"]:  # always said first: it is the disqualifying reason
            whys.append(f"its {_every(r['window'])} total moves with {_acquisition_text(r)} more than with retained "
                        f"use (r = {format_number(r['corr_retained'])}), like a vanity metric")
        if not r["vanity"] or others[main] >= 5:
            if main == "leading":
                whys.append(f"it leads retention less well: {_auc_text(r)} vs {format_number(win['auc'])} for the winner")
            elif main == "checklist":
                weak = [i for i in CHECKLIST if r[i] <= 2]
                whys.append(f"the team scores it lower on the checklist ({r['checklist']:.1f}/5 vs "
                            f"{win['checklist']:.1f}" + (f"; weak on {', '.join(i.replace('_', ' ') for i in weak)}"
                                                         if weak else "") + ")")
            else:
                whys.append(f"it barely moves beyond its {_every(r['window'])} noise (signal-to-noise "
                            f"{format_number(r['snr'], '.1f')} vs {format_number(win['snr'], '.1f')})")
        why = "; and ".join(whys)
        out.append(f"{head} loses to {win['label']}: {why}.")
    return out


def winner_finding(scores: pd.DataFrame) -> str:
    """The ranking in sentences (markdown): the winner's reason, then each loser's."""
    if scores is None or scores.empty:
        return "The team's params list no North Star candidates (north_star.candidates), so there is nothing to score."
    return "\n\n".join(f"{int(rank)}. {reason}" for rank, reason in zip(scores["rank"], reasons(scores)))


def _acquisition_text(r) -> str:
    """'ad spend (r = 0.70)' or, without a spend table, 'sign-ups (r = 0.70)': what the vanity test used."""
    spend, signups = r.get("corr_spend", float("nan")), r.get("corr_signups", float("nan"))
    if not pd.isna(spend):
        return f"ad spend (r = {format_number(spend)})"
    if not pd.isna(signups):
        return f"sign-ups (r = {format_number(signups)})"
    return f"acquisition (r = {format_number(r['acquisition'])})"


def leads_per_unit(r) -> bool:
    """Whether a candidate's early value carries signal on who stays: its AUC interval lies above 0.5 (the
    AUC itself when there is no interval)."""
    if pd.isna(r["auc"]):
        return False
    bound = r["auc"] if pd.isna(r["auc_low"]) else r["auc_low"]
    return bool(bound > 0.5)


def vanity_finding(scores: pd.DataFrame) -> str:
    """A sentence on the candidates flagged as vanity (or that none is). A flagged candidate whose early
    value per user still leads retention is told apart: its weekly total follows acquisition, but counted
    per user it carries signal, so it belongs in the tree as a per-user input rather than as the North Star."""
    if scores is None or scores.empty:
        return "No candidates to check for vanity."
    flagged = scores[scores["vanity"]]
    if flagged.empty:
        best = scores.sort_values("acquisition", ascending=False).iloc[0]
        return (f"No candidate looks like a vanity metric: the one closest to acquisition, {best['label']}, has "
                f"a {_every(best['window'])} series correlated with {_acquisition_text(best)} and "
                f"r = {format_number(best['corr_retained'])} with retained use.")
    parts = []
    for _, r in flagged.iterrows():
        verdict = ("is flagged as vanity-like even though it ranks first" if r["rank"] == 1 else
                   "is rejected as a North Star")
        text = (f"{r['label']} {verdict}: its {_every(r['window'])} total moves with {_acquisition_text(r)} more "
                f"than with retained use (r = {format_number(r['corr_retained'])}), like a vanity metric.")
        if leads_per_unit(r):
            unit = "account" if r["per"] == "account" else "user"
            text += (f" Counted per {unit}, though, it does carry signal: {_auc_text(r)}; so grow it per {unit}, "
                     "as an input, not as a weekly total.")
        parts.append(text)
    return " ".join(parts)


def magic_number_finding(table: pd.DataFrame, action: str, within_days: float,
                         outcome: str = "active_week_8") -> str:
    """The magic number in a sentence, computed from a :func:`magic_number` table."""
    best = table[table["best"]]
    week = outcome_week(outcome)
    days = f"{within_days:g}"
    if best.empty:
        return (f"No threshold of {action} in the first {days} days separates users still active in week {week} "
                f"from the rest with enough users on both sides, at least 5% of users past it and a difference beyond "
                f"noise: this action is not a magic number on these data"
                + (f" (only {table['share_above'].iloc[1]:.1%} of users do it more than once in that window; try a "
                   "repeated action, e.g. with the explorer below)" if len(table) > 1 and
                   table["share_above"].iloc[1] < 0.05 else "") + ".")
    r = best.iloc[0]
    k = int(r["threshold"])
    return (f"The magic number is **{k} {action} in the first {days} days**: {r['rate_above']:.0%} of the "
            f"{int(r['users_above']):,} users who reach it are still active in week {week}, against "
            f"{r['rate_below']:.0%} of the {int(r['users_below']):,} who do not (a difference of "
            f"{r['diff'] * 100:.0f} points, 95% CI {r['ci_low'] * 100:.0f} to {r['ci_high'] * 100:.0f}). "
            f"{r['share_above']:.1%} of these {int(r['users_above'] + r['users_below']):,} users reached it"
            + (", so most new users are below it and moving more of them past it is the lever. " if r["share_above"] < 0.5
               else ". ")
            + f"It has the largest gap among thresholds at least 5% of users reach"
            + (", and the highest Youden's J. " if int(table.loc[table["youden_j"].idxmax(), "threshold"]) == k else
               f"; Youden's J peaks at k = {int(table.loc[table['youden_j'].idxmax(), 'threshold'])} instead. ")
            + f"It is a correlation: users who would stay anyway may also do more {action}, so test it with an "
            "experiment that nudges new users toward the threshold.")


def change_text(r) -> str:
    if r["direction"] == "n/a":
        return "no trend (too few complete weeks)"
    if r["unit"] == "share":
        ch = f"{r['change'] * 100:+.1f} points"
    else:
        ch = f"{r['change']:+.0%}"
    word = {"better": "better", "worse": "worse", "flat": "within noise"}[r["status"]]
    return f"{ch} vs the previous 4 ({word})"


def check_tree_dates(ds, tree: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The metric tree with :func:`pmplaybook.north_star.check_dated_events` applied: each row that moved
    beyond its noise is checked again without the weeks of the params' campaigns and holidays (the input
    series from :func:`pmplaybook.registry.input_series`, the North Star's from ``table``)."""
    from .. import registry
    from ..north_star import check_dated_events

    moved = tree[tree["status"].isin(["better", "worse"])]
    series = {}
    for _, r in moved.iterrows():
        if r["role"] == "north_star":
            if table is not None:
                series[r["metric"]] = table[table["candidate"] == r["metric"]]
        else:
            series[r["metric"]] = registry.input_series(r["metric"], ds)
    return check_dated_events(tree, series, getattr(ds.params, "annotations", None))


def _weeks_text(weeks) -> str:
    days = [f"{pd.Timestamp(w):%d %b}".lstrip("0") for w in weeks]
    return f"the week of {days[0]}" if len(days) == 1 else "the weeks of " + ", ".join(days[:-1]) + f" and {days[-1]}"


def dated_text(r) -> tuple[str, bool]:
    """What a campaign or holiday inside the window does to a tree row's change: a clause to append, and
    whether the change survives without those weeks (True when there is nothing to check)."""
    event = r.get("dated_event", "") if hasattr(r, "get") else ""
    if not isinstance(event, str) or not event:
        return "", True
    weeks = _weeks_text(r["dated_weeks"])
    if r["without_status"] == "n/a":
        return f"; the window holds {weeks} ({event}), and without those weeks too few are left to tell", False
    x = r["without_change"]
    ch = f"{x * 100:+.1f} points" if r["unit"] == "share" else (f"{x:+.0%}" if abs(x) >= 0.01 else f"{x:+.1%}")
    if r["without_status"] == r["status"]:
        kinds = " and ".join(dict.fromkeys(e.rsplit("(", 1)[-1].rstrip(")") for e in event.split("; ")))
        return f" (still {ch} without its {kinds} weeks)", True
    return (f", but only through {weeks} ({event}): without those weeks the change is {ch}, within its noise", False)


ROLE_WORDS = {"north_star": "North Star", "input": "Input", "outcome": "Outcome it should lead",
              "guardrail": "Guardrail"}


def metric_tree_finding(tree: pd.DataFrame) -> str:
    """The metric tree in sentences (markdown list): each metric's one role and why it holds it (the
    ``reason`` of :func:`pmplaybook.north_star.tree_roles`, when present), its value and its trend; then
    a line on any input named in the params that the tree moved to "outcome"."""
    if tree.empty:
        return "No metric tree: the params name no North Star candidate and no inputs."
    lines = []
    for _, r in tree.iterrows():
        role = ROLE_WORDS[r["role"]]
        why = f" It is {r['reason']}" if isinstance(r.get("reason"), str) and r["role"] == "outcome" else ""
        if r["note"].startswith(("skipped", "not computable")):
            lines.append(f"- {role} **{r['label']}**: {r['note']}.")
            continue
        lines.append(f"- {role} **{r['label']}**: {format_value(r['current'], r['unit'])} over the last 4 "
                     f"complete periods, {change_text(r)}{dated_text(r)[0]}.{why}" + ("." if why else ""))
    moved = tree[tree["role"] == "outcome"]
    if len(moved):
        one = len(moved) == 1
        lines.append(f"\nThe params name {', '.join(moved['label'])} as {'an input' if one else 'inputs'}; the tree "
                     f"shows {'it' if one else 'them'} as {'an outcome' if one else 'outcomes'} instead. To steer week "
                     "by week, name a product outcome in north_star.inputs (activation rate, invites or core actions "
                     "per active user).")
    worse = tree[(tree["role"] == "guardrail") & (tree["status"] == "worse")]
    worse = worse[[dated_text(r)[1] for _, r in worse.iterrows()]] if len(worse) else worse
    if len(worse):
        lines.append(f"\nThe guardrail {worse.iloc[0]['label']} is getting worse: check that the North Star is "
                     "not being pushed up at the users' expense.")
    return "\n".join(lines)


def magic_number_for(ds, *, outcome: str = "active_week_8", max_threshold: int = 10) -> dict:
    """The magic number of a team's early action (:func:`magic_number_action`), ready for the notebook.

    Returns a dict with ``action``, ``within_days``, ``role``, ``table`` (or None) and ``sentence`` (the
    finding, or why it was skipped: no suitable role, or no complete outcome window).
    """
    params = ds.params
    pick = magic_number_action(params)
    if pick is None:
        return {"action": None, "within_days": None, "role": None, "table": None, "recent": None,
                "sentence": "Skipped: the team's params name no invite, activation or core-action event "
                            "(events.invite_sent / activation / core_action), so there is no early action to test."}
    try:
        t = magic_number(ds.events, pick["action"], within_days=pick["within_days"], outcome=outcome,
                         signup_event=params.events.signup, max_threshold=max_threshold, timezone=ds.timezone,
                         as_of=ds.as_of)
    except ValueError as exc:
        return {**pick, "table": None, "recent": None, "sentence": f"Skipped: {exc}"}
    intro = f"Early action tested: **{pick['action']}** ({pick['role']}) in the first {pick['within_days']:g} days. "
    best = t[t["best"]]
    recent = None
    if len(best):
        recent = recent_share_past(ds.events, pick["action"], int(best["threshold"].iloc[0]), params.events.signup,
                                   within_days=pick["within_days"], timezone=ds.timezone, as_of=ds.as_of,
                                   week_start=params.week_start)
    sentence = intro + magic_number_finding(t, pick["action"], pick["within_days"], outcome)
    if recent is not None and recent["n"]:
        sentence += (f" **Today's new users:** {recent['value']:.1%} (95% CI {recent['ci_low']:.1%} to "
                     f"{recent['ci_high']:.1%}) of the {recent['n']:,} who signed up "
                     f"{_span(recent['window_start'], recent['window_end'])} reached it")
        if recent["previous_n"]:
            moved = "beyond its noise" if recent["significant"] else "within its noise"
            sentence += (f", against {recent['previous']:.1%} of {recent['previous_n']:,} in the 4 weeks before "
                         f"({recent['change'] * 100:+.1f} points, {moved})")
        sentence += ": the headline KPI below (the table's share is over users old enough to have a week 8)."
    return {**pick, "table": t, "recent": recent, "sentence": sentence}


def stack_finding(stack: pd.DataFrame, max_kpis: int = 7) -> str:
    """The metric-stack classification in words: counts per level, then the warnings (or that it is healthy)."""
    if stack.empty:
        return "The team's params list no KPIs (kpis:), so there is no metric stack to check."
    names = {"business_outcome": "business outcomes", "product_outcome": "product outcomes",
             "activity": "activity metrics", "vanity": "vanity counts", "unclassified": "unclassified"}
    counts = [f"{int((stack['level'] == lvl).sum())} {names[lvl]} ({', '.join(stack.loc[stack['level'] == lvl, 'kpi'])})"
              for lvl in names if (stack["level"] == lvl).any()]
    text = f"The team's {len(stack)} KPIs: " + "; ".join(counts) + "."
    warn = metric_stack_warnings(stack, max_kpis)
    if not warn:
        return text + (f" The stack looks healthy: at most {max_kpis} primary KPIs (ProdPad's rule of thumb is 3-7 "
                       "per product area), lagging business outcomes and leading product outcomes, and no activity or "
                       "vanity count posing as an outcome.")
    return text + "\n\n" + "\n".join(f"- **{w.split(':')[0]}**:{w.split(':', 1)[1]}" for w in warn)


def classic_mistakes(scores: pd.DataFrame, stack: pd.DataFrame, tree: pd.DataFrame) -> str:
    """The classic North Star mistakes, each checked on this team's data and params (markdown list)."""
    lines = []
    if scores is not None and len(scores):
        vain = scores[scores["vanity"]]
        lines.append("- **Vanity metric**: " + (
            f"{', '.join(vain['label'])} {'moves' if len(vain) == 1 else 'move'} with acquisition rather than "
            "retained use (see above)." if len(vain)
            else "no candidate moves with acquisition more than with retained use."))
        output = scores[scores["candidate"].isin([c for c in scores["candidate"] if re.search(
            r"revenue|mrr|arr|payment", c)])]
        lines.append("- **Output (business) metric as North Star**: " + (
            f"{', '.join(output['label'])} measures what the company captures, not the value customers get; "
            "it lags, so keep it as a business outcome the North Star should lead." if len(output)
            else "no candidate is a revenue number."))
        stuck = scores[(scores["actionable"] <= 2) | (scores["snr"].fillna(0) < 1)]
        lines.append("- **A metric the team cannot move**: " + (
            "; ".join(f"{r['label']} (team's actionable score {int(r['actionable'])}/5, signal-to-noise "
                      f"{format_number(r['snr'], '.1f')})" for _, r in stuck.iterrows()) + "." if len(stuck)
            else "every candidate is scored 3/5 or more on actionable, and its trend over the last half-year is "
                 "larger than its weekly noise (signal-to-noise above 1)."))
    n = len(stack)
    lines.append(f"- **Too many KPIs**: {n} primary KPIs including the North Star" + (
        " - more than 7 (ProdPad: 3-7 per product area); trim to the North Star, 2-3 inputs and a guardrail."
        if n > 7 else " - within ProdPad's 3-7 per product area."))
    act = stack[(stack["level"] == "activity") & ~stack["vanity"]]
    lines.append("- **Activity dressed as outcome**: " + (f"{', '.join(act['kpi'])}." if len(act) else "none found."))
    vain_kpis = stack[stack["vanity"]]
    lines.append("- **Vanity count on the KPI list**: " + (f"{', '.join(vain_kpis['kpi'])}." if len(vain_kpis)
                                                          else "none found."))
    if tree is not None and len(tree):
        lagging = tree[tree["role"] == "outcome"]
        lines.append("- **A lagging outcome used as a lever**: " + (
            f"{', '.join(lagging['label'])} (named as an input; shown in the tree as an outcome the North Star "
            "should lead)." if len(lagging) else "none: every input is a product outcome."))
    if tree is not None:
        guard = tree[tree["role"] == "guardrail"]
        lines.append("- **No counter-metric**: " + (
            f"guarded by {guard.iloc[0]['label']}." if len(guard) else
            "the team has no guardrail; name one in params (north_star.guardrail), e.g. a failure or churn rate, "
            "so pushing the North Star up cannot quietly hurt users."))
    return "\n".join(lines)


def _day(ts) -> str:
    return f"{pd.Timestamp(ts):%d %b %Y}".lstrip("0")


def _span(start, end) -> str:
    """'24 Nov to 21 Dec 2025' for a window with an exclusive end."""
    last = pd.Timestamp(end) - pd.Timedelta(days=1)
    return f"{pd.Timestamp(start):%d %b}".lstrip("0") + f" to {_day(last)}"


def north_star_kpi(ds, scores: pd.DataFrame, table: pd.DataFrame, tree: pd.DataFrame | None = None) -> dict:
    """The recommended North Star as a headline KPI: its last complete period (value, the units it rests
    on, its Poisson 95% interval when it is a count), its recent trend and, since a headline needs one, its
    target: the params' ``kpis.north_star.target`` or, when there is none, a sentence saying so and how to
    set one (never a bare "None").

    Returns a dict: ``value``, ``label``, ``measured`` (``window_start``, ``window_end``, ``n``, ``ci_low``,
    ``ci_high``, ready for ``kpis.record``), ``target`` and ``sentence`` (markdown).
    """
    from ..north_star import north_star_now, winner

    name = winner(scores)
    empty = {"value": None, "label": "North Star", "measured": {}, "target": None,
             "sentence": "No North Star: the params list no candidate (north_star.candidates)."}
    if name is None:
        return empty
    cand = next(c for c in ds.params.north_star.candidates if c.name == name)
    label = cand.label or name
    count = cand.aggregation != "sum" and (cand.per == "none" or cand.threshold is not None)
    now = north_star_now(table[table["candidate"] == name], window=cand.window, count=count)
    if now["window_start"] is None:
        return {**empty, "label": f"North Star: {label}",
                "sentence": f"The North Star, {label}, has no complete {cand.window} before as_of."}
    period = {"day": "day", "week": "week", "month": "month"}[cand.window]
    unit_word = "accounts" if cand.per == "account" else "users"
    when = (f"the {period} of {_day(now['window_start'])}" if cand.window != "month"
            else f"{pd.Timestamp(now['window_start']):%B %Y}")
    text = f"**The North Star today.** {label}: **{format_value(now['value'], 'count')}** in {when}, the last complete {period}"
    if not math.isnan(now["ci_low"]):
        text += (f" (95% Poisson interval {format_value(now['ci_low'], 'count')} to "
                 f"{format_value(now['ci_high'], 'count')})")
    if now["n"] is not None:
        text += f"; {now['n']:,} {unit_word} did {cand.event} at least once that {period}"
    from .review import annotation_between

    mark = annotation_between(getattr(ds.params, "annotations", None), now["window_start"],
                              now["window_end"] - pd.Timedelta(days=1), now["window_start"])
    if mark is not None:
        text += f" ({mark.label}, a {mark.kind} in the params)"
    text += "."
    rows = tree[tree["role"] == "north_star"] if tree is not None and len(tree) else pd.DataFrame()
    if len(rows) and rows.iloc[0]["direction"] != "n/a":
        r = rows.iloc[0]
        text += f" Over the last 4 {period}s it averaged {_tree_value(r).split(' over ')[0]}, {_tree_change(r)}."
    if not math.isnan(now["noise"]):
        text += f" A normal {period} moves it by about {now['noise']:.0%} either way."
    kpi = ds.params.kpis.get("north_star")
    target = kpi.target if kpi is not None else None
    if target is not None:
        low, high = now["ci_low"], now["ci_high"]
        if not math.isnan(low) and low >= target:
            where = "the whole interval is at or above it"
        elif not math.isnan(high) and high < target:
            where = "the whole interval is below it"
        elif math.isnan(low):
            where = "above it" if now["value"] >= target else "below it"
        else:
            where = "it lies inside the interval, so this week cannot tell"
        text += f" Target (params kpis.north_star.target): {format_value(target, 'count')}; {where}."
    else:
        text += (f" **No target is set** for it in the params (`kpis: north_star: {{target: ...}}` in "
                 f"params/{ds.params.team}.yaml), so it has no status.")
        base = now["recent"] if not math.isnan(now["recent"]) else now["value"]
        if not math.isnan(now["growth"]) and now["growth"] > 0 and cand.window == "week":
            pace = base + now["slope"] * 13
            text += (f" One way to set one: over the last 26 weeks it grew by about {format_value(now['slope'], 'count')} "
                     f"a week (a straight-line fit); keeping that pace for a quarter (13 weeks) would take the 4-week average from "
                     f"{format_value(base, 'count')} to about {format_value(pace, 'count')}; the team "
                     "agrees the commitment.")
        else:
            text += (f" One way to set one: it has not grown over the recent {period}s, so a first target could "
                     f"be to lift its recent average ({format_value(base, 'count')}) by an amount the team "
                     "commits to for the quarter.")
    measured = {"window_start": now["window_start"], "window_end": now["window_end"], "n": now["n"],
                "ci_low": None if math.isnan(now["ci_low"]) else now["ci_low"],
                "ci_high": None if math.isnan(now["ci_high"]) else now["ci_high"]}
    return {"value": now["value"], "label": f"North Star: {label} (last complete {period})", "measured": measured,
            "target": target, "sentence": text}


def magic_share_kpi(magic: dict) -> dict:
    """The ``kpis.record("magic_number_share", ...)`` keywords: the share of recent sign-ups past the magic number
    (``magic["recent"]`` from :func:`magic_number_for`); value None when there is no magic number."""
    recent = (magic or {}).get("recent")
    best = magic["table"][magic["table"]["best"]] if (magic or {}).get("table") is not None else pd.DataFrame()
    if recent is None or not len(best) or not recent["n"]:
        return {"value": None, "unit": "share",
                "label": "Share of new users past the magic number"}
    k = int(best["threshold"].iloc[0])
    return {"value": recent["value"], "unit": "share",
            "label": (f"Share of new users past the magic number ({k} {magic['action']} in "
                      f"{magic['within_days']:g} days; sign-ups {_span(recent['window_start'], recent['window_end'])})"),
            "window_start": recent["window_start"], "window_end": recent["window_end"], "n": recent["n"],
            "ci_low": recent["ci_low"], "ci_high": recent["ci_high"]}


def headlines(tree: pd.DataFrame, magic: dict) -> dict:
    """The notebook's headline KPIs in one dict (kept for older callers): the North Star's 4-week mean
    from the tree and the share of **recent** sign-ups past the magic number (None where not computable)."""
    top = tree[tree["role"] == "north_star"] if tree is not None and len(tree) else pd.DataFrame()
    value = float(top["current"].iloc[0]) if len(top) and not pd.isna(top["current"].iloc[0]) else None
    share = magic_share_kpi(magic)
    return {
        "north_star": value,
        "north_star_label": f"North Star: {top['label'].iloc[0]}" if len(top) else "North Star",
        "magic_number_share": share["value"],
        "magic_number_n": share.get("n"), "magic_number_ci_low": share.get("ci_low"),
        "magic_number_ci_high": share.get("ci_high"), "magic_number_label": share["label"],
    }


def evidence_strength(r, others: pd.DataFrame | None = None) -> str:
    """How well a candidate's early value leads week-8 activity, judged only against 0.5 (a coin flip) and
    the other candidates (no benchmark for a "good" AUC is quoted):

    - ``"clear"``: the lower end of its AUC interval (the AUC itself without one) is above the upper end of
      every other candidate's interval and at least :data:`HALF_WAY` (0.75, half-way from a coin flip to
      perfect: 50 of the 100 leading points of the notebook's own score);
    - ``"ahead"``: above 0.5 and above every other candidate's interval, but below half-way;
    - ``"some"``: above 0.5, but its interval overlaps another candidate's;
    - ``"none"``: the interval reaches down to 0.5 or below, or the AUC could not be computed.
    """
    if not leads_per_unit(r):
        return "none"
    bound = r["auc"] if pd.isna(r["auc_low"]) else r["auc_low"]
    if others is not None and len(others):
        tops = others["auc_high"].where(others["auc_high"].notna(), others["auc"]).dropna()
        if len(tops) and bound <= tops.max():
            return "some"
    return "clear" if bound >= HALF_WAY else "ahead"


#: Half-way from a coin flip (AUC 0.5) to a perfect predictor (1.0): the notebook's own scale, not a benchmark.
HALF_WAY = 0.75


#: How each level of :func:`evidence_strength` reads in the Summary.
STRENGTH_WORDS = {
    "clear": ("Clear evidence that it leads retention (its AUC interval lies above every other candidate's and "
              "beyond 0.75, half-way from a coin flip to perfect)"),
    "ahead": ("It leads retention better than the other candidates but only a little better than a coin flip (its "
              "AUC interval lies above theirs and above 0.5, but below 0.75, half-way to perfect)"),
    "some": ("Some evidence that it leads retention (its AUC interval lies above 0.5, a coin flip, but overlaps "
             "another candidate's)"),
    "none": "No evidence that it leads retention (its AUC interval reaches 0.5, a coin flip)",
}


def _periods(r) -> str:
    """'weeks' (or 'months' for a monthly North Star): the periods a metric-tree row pools."""
    note = r["note"] if isinstance(r["note"], str) else ""
    return note.split()[1] + "s" if note.startswith("per ") and len(note.split()) == 2 else "weeks"


def _tree_change(r) -> str:
    """'+11% on the 4 weeks before, beyond its noise' for a metric-tree row."""
    ch = f"{r['change'] * 100:+.1f} points" if r["unit"] == "share" else f"{r['change']:+.0%}"
    noise = "beyond its noise" if r["status"] in ("better", "worse") else "within its noise"
    return f"{ch} on the 4 {_periods(r)} before, {noise}"


def _tree_value(r) -> str:
    """'1,110 per week over the last 4 weeks' for a metric-tree row."""
    per = f" {r['note']}" if isinstance(r["note"], str) and r["note"].startswith("per ") else ""
    return f"{format_value(r['current'], r['unit'])}{per} over the last 4 {_periods(r)}"


def _magic_text(magic: dict, b) -> str:
    """The magic number and how many recent sign-ups reach it, for the Summary."""
    action, days = magic["action"], f"{magic['within_days']:g}"
    text = (f"Magic number: **{int(b['threshold'])} {action} in the first {days} days**. {b['rate_above']:.0%} of "
            f"the users who reach it are active in week 8 against {b['rate_below']:.0%} of those who do not "
            f"({b['diff'] * 100:.0f} points, 95% CI {b['ci_low'] * 100:.0f} to {b['ci_high'] * 100:.0f})")
    recent = magic.get("recent")
    if recent and recent["n"]:
        text += (f". Of the {recent['n']:,} users who signed up {_span(recent['window_start'], recent['window_end'])}, "
                 f"{recent['value']:.1%} ({recent['ci_low']:.1%}-{recent['ci_high']:.1%}) got there")
        if recent["previous_n"]:
            moved = ("beyond its noise" if recent["significant"] else "within its noise")
            text += (f", against {recent['previous']:.1%} of the {recent['previous_n']:,} who signed up in the 4 weeks "
                     f"before ({recent['change'] * 100:+.1f} points, {moved})")
    else:
        text += f"; {b['share_above']:.1%} of the {int(b['users_above'] + b['users_below']):,} users it was found on get there"
    return text + "."


def summary_findings(scores: pd.DataFrame, tree: pd.DataFrame, magic: dict | None = None,
                     stack: pd.DataFrame | None = None) -> list:
    """The Summary's findings (:class:`pmplaybook.narrative.summary.Finding`) from what the notebook has
    computed: the recommended North Star and how clear its evidence is, its trend, the magic number, the
    vanity candidates, and what needs an owner (the North Star falling, no evidence that it leads, a
    guardrail, input or lagging outcome getting worse beyond its noise, an activity or vanity count on the
    team's KPI list, no guardrail); when nothing does, one finding that says so.

    Chart anchors used: ``leading`` (the AUC chart), ``tree``, ``magic`` and ``spend``.
    """
    from .summary import Finding

    bad, good, notes = [], [], []
    if scores is None or scores.empty:
        bad.append(Finding("The team's params list no North Star candidate, so none can be recommended.",
                           next_step="Add two or three candidates to north_star.candidates in the params."))
        return bad
    win = scores.iloc[0]
    strength = evidence_strength(win, scores.iloc[1:])
    head = f"Recommended North Star: **{win['label']}** ({win['score']:.0f}/100"
    if len(scores) > 1:
        head += f", ahead of {scores.iloc[1]['label']} at {scores.iloc[1]['score']:.0f}"
    text = f"{head}). {STRENGTH_WORDS[strength]}: {_auc_text(win)}"
    every = _every(win["window"])
    if win["vanity"]:
        text += (f"; but its {every} series moves with {_acquisition_text(win)} more than "
                 f"with retained use (r = {format_number(win['corr_retained'])}), like a vanity metric")
    elif not pd.isna(win["corr_retained"]) and not pd.isna(win["acquisition"]):
        if win["acquisition"] >= win["corr_retained"]:
            text += (f"; and its {every} series moves with {_acquisition_text(win)} at "
                     f"least as much as with retained use (r = {format_number(win['corr_retained'])})")
        else:
            text += (f"; its {every} series moves with retained use (r = {format_number(win['corr_retained'])}) more "
                     f"than with {_acquisition_text(win)}")
    text += "."
    if strength == "none" or win["vanity"] or win["score"] < 40:
        bad.append(Finding(text, chart="leading", next_step=(
            "Do not steer by it yet: propose a candidate that counts value delivered again and again (the core "
            "action done several times a week), add it to north_star.candidates and re-score.")))
    elif strength == "some":
        notes.insert(0, Finding(text, chart="leading", severity="note", next_step=(
            "Adopt it, and re-score each quarter: the data do not yet separate it from the runner-up.")))
    elif strength == "ahead":
        notes.insert(0, Finding(text, chart="leading", severity="note", next_step=(
            "Adopt it for now, and look for a candidate whose early value separates stayers from leavers better "
            "(the core action repeated within the week), then re-score.")))
    else:
        good.append(Finding(text, chart="leading", severity="good"))

    rows = tree if tree is not None else pd.DataFrame(columns=["role"])
    top = rows[rows["role"] == "north_star"]
    ns_row = top.iloc[0] if len(top) and not pd.isna(top.iloc[0].get("current")) else None
    if ns_row is not None and ns_row["direction"] != "n/a":
        extra, holds = dated_text(ns_row)
        trend = f"The North Star, {ns_row['label']}, is at {_tree_value(ns_row)}, {_tree_change(ns_row)}{extra}."
        if not holds:
            notes.append(Finding(trend, chart="tree", severity="note"))
        elif ns_row["status"] == "worse":
            bad.insert(0, Finding(trend, chart="tree", next_step=(
                "Give the drop an owner this week: find which input in the tree fell first and the segment behind it.")))
        else:
            (good if ns_row["status"] == "better" else notes).append(
                Finding(trend, chart="tree", severity="good" if ns_row["status"] == "better" else "note"))

    guards = rows[rows["role"] == "guardrail"]
    for _, g in guards[guards["status"] == "worse"].iterrows():
        extra, holds = dated_text(g)
        if not holds:
            notes.append(Finding(f"The guardrail **{g['label']}** fell: {_tree_value(g)}, {_tree_change(g)}{extra}.",
                                 chart="tree", severity="note", next_step=(
                                     "Read it again once those weeks have left the 4-week window.")))
            continue
        text = f"The guardrail **{g['label']}** got worse: {_tree_value(g)}, {_tree_change(g)}{extra}"
        if ns_row is not None and ns_row["status"] == "better":
            text += f", while the North Star rose ({_tree_change(ns_row).split(' on ')[0]})"
        bad.append(Finding(text + ": the North Star may be rising at the users' expense.", chart="tree", next_step=(
            "Give it an owner: find which users or accounts drive it, and hold changes that push the North Star "
            "until it recovers.")))
    worse_words = {
        "input": ("the North Star rests on its inputs, so it will feel this later",
                  "Give it an owner: find the segment and the release or campaign behind it before it reaches the "
                  "North Star."),
        "outcome": ("it lags, so this reflects users who joined weeks ago",
                    "Give it an owner: check which sign-up weeks and segments fell, and whether the North Star fell "
                    "before it."),
    }
    for role, (why, step) in worse_words.items():
        for _, r in rows[(rows["role"] == role) & (rows["status"] == "worse")].iterrows():
            extra, holds = dated_text(r)
            if not holds:
                notes.append(Finding(f"The {role} **{r['label']}** fell: {_tree_value(r)}, {_tree_change(r)}{extra}.",
                                     chart="tree", severity="note"))
                continue
            bad.append(Finding(f"The {role} **{r['label']}** got worse: {_tree_value(r)}, {_tree_change(r)}{extra}; "
                               f"{why}.", chart="tree", next_step=step))
    listed = (stack[~stack["north_star"] & (stack["level"].isin(["activity", "vanity"]) | stack["vanity"])]
              if stack is not None and len(stack) else pd.DataFrame())
    if len(listed):
        names = ", ".join(listed["kpi"])
        one = len(listed) == 1
        what = ("the team's output" if not listed["vanity"].any() else
                "acquisition volume, which rises with ad spend" if listed["vanity"].all() else
                "output or acquisition volume")
        bad.append(Finding(
            f"{names} on the team's KPI list {'counts' if one else 'count'} {what}, not value delivered.",
            next_step="Replace it with the outcome it is meant to drive (e.g. activation rate instead of sign-ups)."))
    if tree is not None and len(rows) and guards.empty:
        bad.append(Finding("The metric tree has no guardrail: nothing would show the North Star being pushed up at "
                           "the users' expense.", chart="tree",
                           next_step="Name one in the params (north_star.guardrail), e.g. a failure or churn rate."))

    table = (magic or {}).get("table")
    if table is not None:
        best = table[table["best"]]
        action, days = magic["action"], f"{magic['within_days']:g}"
        if len(best):
            notes.append(Finding(_magic_text(magic, best.iloc[0]), chart="magic", severity="note",
                                 next_step=("Make reaching it the onboarding goal, and test it with an experiment "
                                            "that nudges new users toward it: so far it is a correlation.")))
        else:
            notes.append(Finding(
                f"No magic number: no threshold of {action} in the first {days} days separates the users active in "
                "week 8 from the rest with at least 5% of users past it and a difference beyond noise.",
                chart="magic", severity="note",
                next_step="Try a repeated action (the core action) in the explorer in JupyterLab."))

    vain = scores[scores["vanity"] & (scores["rank"] > 1)]
    if len(vain):
        one = len(vain) == 1
        parts = []
        for _, r in vain.iterrows():
            bit = (f"**{r['label']}** (r = {format_number(r['acquisition'])} with "
                   f"{'ad spend' if not pd.isna(r.get('corr_spend', float('nan'))) else 'acquisition'}, "
                   f"{format_number(r['corr_retained'])} with retained use")
            if leads_per_unit(r):
                bit += f"; per {'account' if r['per'] == 'account' else 'user'} it does lead, AUC {format_number(r['auc'])}"
            parts.append(bit + ")")
        per_unit = [r["label"] for _, r in vain.iterrows() if leads_per_unit(r)]
        step = (f"Keep {'it' if one else 'them'} off the North Star dashboard, or only as an acquisition diagnostic "
                "next to spend.")
        if per_unit:
            step += (f" Track the behaviour behind {', '.join(per_unit)} per user instead, as an input, not as a "
                     "weekly total.")
        notes.append(Finding(
            f"{' and '.join(parts)} {'is' if one else 'are'} rejected as North Star: {'its' if one else 'their'} "
            f"weekly {'total moves' if one else 'totals move'} with acquisition more than with retained use.",
            chart="spend", severity="note", next_step=step))

    if not bad:
        moved = (f"neither an input nor the guardrail ({guards.iloc[0]['label']}) got" if len(guards) else
                 "no input got")
        dated = len(rows) and any(not dated_text(r)[1] for _, r in rows.iterrows())
        notes.append(Finding(
            "Nothing needs an owner: the recommended North Star "
            + {"clear": "has clear evidence that it leads retention", "ahead": "leads retention better than the other "
               "candidates", "some": "has some evidence that it leads retention"}[strength]
            + f" and is not falling, {moved} worse beyond its noise"
            + (" once campaign and holiday weeks are set aside" if dated else "")
            + ", and no KPI on the team's list is an activity or vanity count.", chart="tree", severity="note"))
    return bad + good + notes
