"""The North Star in words: why a candidate wins or loses, vanity, the magic number, the metric tree and
the metric stack, each computed from a table of :mod:`pmplaybook.north_star`."""

from __future__ import annotations

import math
import re

import pandas as pd

from ..config.vocabulary import CHECKLIST
from ..core.formatting import format_number, format_value
from ..north_star import WEIGHTS, magic_number, magic_number_action, metric_stack_warnings, outcome_week


def _auc_text(r) -> str:
    if math.isnan(r["auc"]):
        return "its early value could not be compared with week-8 activity (no complete cohorts)"
    if r["auc"] == 0.5 and math.isnan(r["spearman_retention"]):
        return ("its early value is the same for every user (AUC 0.50, a coin flip), so it cannot predict who "
                "stays")
    ci = f" (95% CI {format_number(r['auc_low'])}-{format_number(r['auc_high'])})" if not math.isnan(r["auc_low"]) else ""
    unit = "an account" if r["per"] == "account" else "a user"
    return f"its value in {unit}'s first two weeks predicts week-8 activity with AUC {format_number(r['auc'])}{ci}"


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
                            + (f" more than with acquisition (r = {format_number(r['acquisition'])})" if more else
                               f", though nearly as much with acquisition (r = {format_number(r['acquisition'])}): watch "
                               "that it is not bought with ad spend"))
            bits.append(f"the team scores it {r['checklist']:.1f}/5 on the checklist")
            text = f"{head} wins: " + "; ".join(bits) + "."
            if r["vanity"]:
                text += (f" Caution: it too moves with acquisition (r = {format_number(r['acquisition'])}) more than with "
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
            whys.append(f"it is a vanity metric: its {_every(r['window'])} series moves with acquisition (spend r = "
                        f"{format_number(r['corr_spend'])}, sign-ups r = {format_number(r['corr_signups'])}) rather than with retained "
                        f"use (r = {format_number(r['corr_retained'])})")
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


def vanity_finding(scores: pd.DataFrame) -> str:
    """A sentence on the candidates flagged as vanity (or that none is)."""
    if scores is None or scores.empty:
        return "No candidates to check for vanity."
    flagged = scores[scores["vanity"]]
    if flagged.empty:
        best = scores.sort_values("acquisition", ascending=False).iloc[0]
        return (f"No candidate looks like a vanity metric: the one closest to acquisition, {best['label']}, has "
                f"a {_every(best['window'])} series correlated r = {format_number(best['acquisition'])} with spend or sign-ups and "
                f"r = {format_number(best['corr_retained'])} with retained use.")
    parts = []
    for _, r in flagged.iterrows():
        spend = "" if math.isnan(r["corr_spend"]) else f"acquisition spend (r = {format_number(r['corr_spend'])}) and "
        verdict = ("is flagged as vanity-like even though it ranks first" if r["rank"] == 1 else
                   "is rejected as a vanity metric")
        parts.append(f"{r['label']} {verdict}: its {_every(r['window'])} series moves with {spend}"
                     f"sign-ups (r = {format_number(r['corr_signups'])}), not with retained use (r = "
                     f"{format_number(r['corr_retained'])}); it would rise whenever marketing spends more, whatever the "
                     "product does.")
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
            f"Only {r['share_above']:.0%} of new users get there today, so moving more of them past it is the "
            f"lever. This is the largest gap of k = 1-{int(table['threshold'].max())} among thresholds at least 5% of "
            "users reach. "
            f"It is a correlation: users who would stay anyway may also do more {action}, so test it with an "
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


def metric_tree_finding(tree: pd.DataFrame) -> str:
    """The metric tree in sentences (markdown list)."""
    if tree.empty:
        return "No metric tree: the params name no North Star candidate and no inputs."
    lines = []
    for _, r in tree.iterrows():
        role = {"north_star": "North Star", "input": "Input", "guardrail": "Guardrail"}[r["role"]]
        if r["note"].startswith(("skipped", "not computable")):
            lines.append(f"- {role} **{r['label']}**: {r['note']}.")
            continue
        lines.append(f"- {role} **{r['label']}**: {format_value(r['current'], r['unit'])} over the last 4 "
                     f"complete periods, {change_text(r)}.")
    worse = tree[(tree["role"] == "guardrail") & (tree["status"] == "worse")]
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
        return {"action": None, "within_days": None, "role": None, "table": None,
                "sentence": "Skipped: the team's params name no invite, activation or core-action event "
                            "(events.invite_sent / activation / core_action), so there is no early action to test."}
    try:
        t = magic_number(ds.events, pick["action"], within_days=pick["within_days"], outcome=outcome,
                         signup_event=params.events.signup, max_threshold=max_threshold, timezone=ds.timezone,
                         as_of=ds.as_of)
    except ValueError as exc:
        return {**pick, "table": None, "sentence": f"Skipped: {exc}"}
    intro = f"Early action tested: **{pick['action']}** ({pick['role']}) in the first {pick['within_days']:g} days. "
    return {**pick, "table": t, "sentence": intro + magic_number_finding(t, pick["action"], pick["within_days"], outcome)}


def stack_finding(stack: pd.DataFrame, max_kpis: int = 7) -> str:
    """The metric-stack classification in words: counts per level, then the warnings (or that it is healthy)."""
    if stack.empty:
        return "The team's params list no KPIs (kpis:), so there is no metric stack to check."
    names = {"business_outcome": "business outcomes", "product_outcome": "product outcomes",
             "activity": "activity metrics", "unclassified": "unclassified"}
    counts = [f"{int((stack['level'] == lvl).sum())} {names[lvl]} ({', '.join(stack.loc[stack['level'] == lvl, 'kpi'])})"
              for lvl in names if (stack["level"] == lvl).any()]
    text = f"The team's {len(stack)} KPIs: " + "; ".join(counts) + "."
    warn = metric_stack_warnings(stack, max_kpis)
    if not warn:
        return text + (f" The stack looks healthy: at most {max_kpis} primary KPIs, lagging business outcomes and "
                       "leading product outcomes, no activity metric posing as an outcome.")
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
        stuck = scores[(scores["actionable"] <= 2) | (scores["snr"].fillna(0) < 0.5)]
        lines.append("- **A metric the team cannot move**: " + (
            "; ".join(f"{r['label']} (team's actionable score {int(r['actionable'])}/5, signal-to-noise "
                      f"{format_number(r['snr'], '.1f')})" for _, r in stuck.iterrows()) + "." if len(stuck)
            else "every candidate is scored actionable and moves beyond its weekly noise."))
    n = len(stack)
    lines.append(f"- **Too many KPIs**: {n} primary KPIs including the North Star" + (
        " - more than 7; trim to the North Star, 2-3 inputs and a guardrail." if n > 7 else " - within the 3-7 range."))
    act = stack[(stack["level"] == "activity") | stack["vanity"]]
    lines.append("- **Activity dressed as outcome**: " + (f"{', '.join(act['kpi'])}." if len(act) else "none found."))
    if tree is not None:
        guard = tree[tree["role"] == "guardrail"]
        lines.append("- **No counter-metric**: " + (
            f"guarded by {guard.iloc[0]['label']}." if len(guard) else
            "the team has no guardrail; name one in params (north_star.guardrail), e.g. a failure or churn rate, "
            "so pushing the North Star up cannot quietly hurt users."))
    return "\n".join(lines)


def headlines(tree: pd.DataFrame, magic: dict) -> dict:
    """The notebook's headline KPIs: the North Star's current value and the share of new users past the
    magic number (None where not computable)."""
    top = tree[tree["role"] == "north_star"] if tree is not None else pd.DataFrame()
    value = float(top["current"].iloc[0]) if len(top) and not pd.isna(top["current"].iloc[0]) else None
    best = magic["table"][magic["table"]["best"]] if magic.get("table") is not None else pd.DataFrame()
    share = float(best["share_above"].iloc[0]) if len(best) else None
    return {
        "north_star": value,
        "north_star_label": f"North Star: {top['label'].iloc[0]}" if len(top) else "North Star",
        "magic_number_share": share,
        "magic_number_label": (f"Share of new users past the magic number ({int(best['threshold'].iloc[0])} "
                               f"{magic['action']} in {magic['within_days']:g} days)") if len(best)
        else "Share of new users past the magic number",
    }
