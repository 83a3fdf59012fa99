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
    n, low, high = _magic_share_interval(best.iloc[0]) if len(best) else (None, None, None)
    return {
        "north_star": value,
        "north_star_label": f"North Star: {top['label'].iloc[0]}" if len(top) else "North Star",
        "magic_number_share": share,
        "magic_number_n": n, "magic_number_ci_low": low, "magic_number_ci_high": high,
        "magic_number_label": (f"Share of new users past the magic number ({int(best['threshold'].iloc[0])} "
                               f"{magic['action']} in {magic['within_days']:g} days)") if len(best)
        else "Share of new users past the magic number",
    }


def _magic_share_interval(best) -> tuple[int, float, float]:
    """The new users a magic-number row counts and the 95% (Wilson) interval of the share past it."""
    from ..core.stats import wilson_interval

    n = int(best["users_above"] + best["users_below"])
    low, high = wilson_interval(int(best["users_above"]), n)
    return n, low, high


#: How strongly the winner's early value leads week-8 activity, by the lower end of its AUC interval
#: (the notebook's reading: 0.5 a coin flip, about 0.7 useful, 0.8+ strong).
STRONG_AUC, USEFUL_AUC = 0.8, 0.7


def evidence_strength(r) -> str:
    """``"strong"``, ``"useful"`` or ``"weak"``: the lower end of the AUC interval (the AUC itself without
    one) against 0.8 and 0.7; ``"weak"`` also when the AUC could not be computed."""
    if pd.isna(r["auc"]):
        return "weak"
    bound = r["auc"] if pd.isna(r["auc_low"]) else r["auc_low"]
    return "strong" if bound >= STRONG_AUC else "useful" if bound >= USEFUL_AUC else "weak"


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


def summary_findings(scores: pd.DataFrame, tree: pd.DataFrame, magic: dict | None = None,
                     stack: pd.DataFrame | None = None) -> list:
    """The Summary's findings (:class:`pmplaybook.narrative.summary.Finding`) from what the notebook has
    computed: the recommended North Star and how strong its evidence is, its trend, the magic number, the
    vanity candidates, and what needs an owner (the North Star falling, weak evidence, a guardrail or input
    getting worse beyond its noise, an activity or vanity count on the team's KPI list, no guardrail); when
    nothing does, one finding that says so.

    Chart anchors used: ``leading`` (the AUC chart), ``tree``, ``magic`` and ``spend``.
    """
    from .summary import Finding

    bad, good, notes = [], [], []
    if scores is None or scores.empty:
        bad.append(Finding("The team's params list no North Star candidate, so none can be recommended.",
                           next_step="Add two or three candidates to north_star.candidates in the params."))
        return bad
    win = scores.iloc[0]
    strength = evidence_strength(win)
    head = f"Recommended North Star: **{win['label']}** ({win['score']:.0f}/100"
    if len(scores) > 1:
        head += f", ahead of {scores.iloc[1]['label']} at {scores.iloc[1]['score']:.0f}"
    scale = {"strong": "the AUC interval clears 0.8", "useful": "the AUC interval clears 0.7 but not 0.8",
             "weak": "the AUC interval does not clear 0.7; 0.5 is a coin flip"}[strength]
    text = f"{head}). {strength.capitalize()} evidence that it leads retention ({scale}): {_auc_text(win)}"
    every = _every(win["window"])
    if win["vanity"]:
        text += (f"; but its {every} series moves with acquisition (r = {format_number(win['acquisition'])}) more than "
                 f"with retained use (r = {format_number(win['corr_retained'])}), like a vanity metric")
    elif not pd.isna(win["corr_retained"]) and not pd.isna(win["acquisition"]):
        if win["acquisition"] >= win["corr_retained"]:
            text += (f"; and its {every} series moves with acquisition (r = {format_number(win['acquisition'])}) at "
                     f"least as much as with retained use (r = {format_number(win['corr_retained'])})")
        else:
            text += (f"; its {every} series moves with retained use (r = {format_number(win['corr_retained'])}) more "
                     f"than with acquisition (r = {format_number(win['acquisition'])})")
    text += "."
    if strength == "weak" or win["vanity"] or win["score"] < 40:
        bad.append(Finding(text, chart="leading", next_step=(
            "Do not steer by it yet: propose a candidate that counts value delivered again and again (the core "
            "action done several times a week), add it to north_star.candidates and re-score.")))
    elif strength == "useful":
        notes.insert(0, Finding(text, chart="leading", severity="note", next_step=(
            "Adopt it, and re-score each quarter: a candidate whose AUC interval clears 0.8 would lead better.")))
    else:
        good.append(Finding(text, chart="leading", severity="good"))

    rows = tree if tree is not None else pd.DataFrame(columns=["role"])
    top = rows[rows["role"] == "north_star"]
    ns_row = top.iloc[0] if len(top) and not pd.isna(top.iloc[0].get("current")) else None
    if ns_row is not None and ns_row["direction"] != "n/a":
        trend = f"The North Star, {ns_row['label']}, is at {_tree_value(ns_row)}, {_tree_change(ns_row)}."
        if ns_row["status"] == "worse":
            bad.insert(0, Finding(trend, chart="tree", next_step=(
                "Give the drop an owner this week: find which input in the tree fell first and the segment behind it.")))
        else:
            (good if ns_row["status"] == "better" else notes).append(
                Finding(trend, chart="tree", severity="good" if ns_row["status"] == "better" else "note"))

    guards = rows[rows["role"] == "guardrail"]
    for _, g in guards[guards["status"] == "worse"].iterrows():
        text = f"The guardrail **{g['label']}** got worse: {_tree_value(g)}, {_tree_change(g)}"
        if ns_row is not None and ns_row["status"] == "better":
            text += f", while the North Star rose ({_tree_change(ns_row).split(' on ')[0]})"
        bad.append(Finding(text + ": the North Star may be rising at the users' expense.", chart="tree", next_step=(
            "Give it an owner: find which users or accounts drive it, and hold changes that push the North Star "
            "until it recovers.")))
    for _, r in rows[(rows["role"] == "input") & (rows["status"] == "worse")].iterrows():
        bad.append(Finding(
            f"The input **{r['label']}** got worse: {_tree_value(r)}, {_tree_change(r)}; the "
            "North Star rests on its inputs, so it will feel this later.", chart="tree", next_step=(
                "Give it an owner: find the segment and the release or campaign behind it before it reaches the "
                "North Star.")))
    listed = stack[~stack["north_star"] & ((stack["level"] == "activity") | stack["vanity"])] if stack is not None \
        and len(stack) else pd.DataFrame()
    if len(listed):
        names = ", ".join(listed["kpi"])
        bad.append(Finding(
            f"{names} on the team's KPI list {'counts' if len(listed) == 1 else 'count'} output or acquisition "
            "volume, not value delivered.",
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
            b = best.iloc[0]
            n, low, high = _magic_share_interval(b)
            notes.append(Finding(
                f"Magic number: **{int(b['threshold'])} {action} in the first {days} days**. {b['rate_above']:.0%} of "
                f"the users who reach it are active in week 8 against {b['rate_below']:.0%} of those who do not "
                f"({b['diff'] * 100:.0f} points, 95% CI {b['ci_low'] * 100:.0f} to {b['ci_high'] * 100:.0f}); only "
                f"{b['share_above']:.1%} ({low:.1%}-{high:.1%}) of {n:,} new users get there.", chart="magic",
                severity="note", next_step=("Make reaching it the onboarding goal, and test it with an experiment "
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
        labels = " and ".join(f"**{x}** (r = {format_number(a)} with acquisition, {format_number(c)} with retained use)"
                              for x, a, c in zip(vain["label"], vain["acquisition"], vain["corr_retained"]))
        notes.append(Finding(
            f"{labels} {'is' if one else 'are'} rejected as vanity: {'its' if one else 'their'} series "
            f"{'moves' if one else 'move'} with acquisition more than with retained use.", chart="spend",
            severity="note", next_step=(f"Keep {'it' if one else 'them'} off the North Star dashboard, or only as "
                                        "an acquisition diagnostic next to spend.")))

    if not bad:
        moved = (f"neither an input nor the guardrail ({guards.iloc[0]['label']}) got" if len(guards) else
                 "no input got")
        notes.append(Finding(
            f"Nothing needs an owner: the recommended North Star has {strength} evidence and is not falling, "
            f"{moved} worse beyond its noise, and no KPI on the team's list is an activity or vanity count.",
            chart="tree", severity="note"))
    return bad + good + notes
