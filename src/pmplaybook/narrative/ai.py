"""AI product metrics in words: each sentence computed from a table of :mod:`pmplaybook.ai`, and switching
with it (a finding that the data do not show is not written).

Money is written "USD 0.91", not with a dollar sign, so that no Markdown renderer reads it as a formula.
"""

from __future__ import annotations

import pandas as pd

from ..ai import TRUST_METRICS, psi_reading
from ..core.formatting import format_pct, format_points, is_missing
from ..core.stats import diff_proportions, wilson_interval

TRUST_LABELS = {
    "acceptance_without_edits": "accepted without edits",
    "edit_rate": "edited before use",
    "override_rate": "replaced by the user's own answer",
    "human_in_the_loop": "fixed or replaced by a person",
    "rejection_rate": "dismissed",
    "coverage": "coverage (the model gave an answer)",
}


def money(value: float) -> str:
    """``USD 0.91``, or four decimals below one cent."""
    if is_missing(value):
        return "n/a"
    return f"USD {value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"USD {value:,.4f}"


def _interval(low, high, digits: int = 0) -> str:
    return f"{format_pct(low, digits)}-{format_pct(high, digits)}"


def _points(low, high, digits: int = 1) -> str:
    """An interval of a difference of shares: ``-3.0 to -0.6 points``."""
    return f"{100 * low:+.{digits}f} to {100 * high:+.{digits}f} points"


def _at(classification: pd.DataFrame, threshold: float) -> pd.Series:
    rows = classification[(classification["threshold"] - threshold).abs() < 1e-9]
    if rows.empty:
        raise ValueError(f"the classification table has no row for threshold {threshold}: compute it with "
                         f"thresholds=[..., {threshold}, ...]")
    return rows.iloc[0]


def log_summary(overview: dict | None, versions: pd.DataFrame | None, feature: str = "the model") -> str:
    """What the prediction log holds, from :func:`pmplaybook.ai.overview` and :func:`pmplaybook.ai.versions`."""
    if overview is None:
        return ("This team's data have no prediction log (params `data.predictions`): there is nothing to measure "
                "here. Name the log of your model's predictions to use this notebook.")
    n = int(overview["predictions"])
    text = (f"The log holds **{n:,} predictions** of {feature} for {int(overview['users']):,} users, from "
            f"{pd.Timestamp(overview['first']):%d %b %Y} to {pd.Timestamp(overview['last']):%d %b %Y}.")
    if overview.get("shown") is not None:
        text += f" The product acted on {format_pct(overview['shown'] / n)} of them (showed the answer)."
    text += f" {format_pct(overview['labelled'] / n)} have a known label (right or wrong)."
    if versions is not None and len(versions) > 1:
        steps = ", then ".join(f"{r.model} from {pd.Timestamp(r.first):%d %b %Y}" for r in versions.itertuples())
        text += f" Model versions: {steps}."
    return text


def headline_note(rows: dict[str, dict]) -> str:
    """The window the headline KPIs were read on (from :func:`pmplaybook.ai.headline_kpis`)."""
    if not rows:
        return ""
    first = next(iter(rows.values()))
    start, end = first["window_start"], first["window_end"]
    last = pd.Timestamp(end) - pd.Timedelta(days=1)
    return (f"The headline KPIs below are read on {pd.Timestamp(start):%d %b} to {last:%d %b %Y}, the last four "
            "complete weeks (latency on the last one).")


def exercise_answers(at_threshold: pd.Series, by_precision: dict, total_cost: pd.DataFrame) -> str:
    """The answers of the notebook's exercises, computed from the same tables."""
    r, c = at_threshold, total_cost.iloc[0]
    one = (f"1. Precision = TP / (TP + FP) = {int(r.tp):,} / ({int(r.tp):,} + {int(r.fp):,}) = {format_pct(r.precision, 1)}; "
           f"recall = TP / (TP + FN) = {int(r.tp):,} / ({int(r.tp):,} + {int(r.fn):,}) = {format_pct(r.recall, 1)}.")
    two = (f"2. {by_precision['threshold']:.2f}: precision {format_pct(by_precision['precision'], 1)}, and it still shows "
           f"{format_pct(by_precision['recall'], 1)} of the good suggestions." if by_precision["met"] else
           "2. No threshold reaches 80% precision on these labels.")
    three = (f"3. The cost per call ({money(c.cost / c.predictions)}) spreads the cost over all {int(c.predictions):,} "
             f"calls; the cost per accepted suggestion ({money(c.cost_per_accepted)}) spreads the same cost over the "
             f"{int(c.accepted):,} suggestions accepted, so it is {c.predictions / c.accepted:.1f} times as high: calls "
             "below the threshold and suggestions edited, dismissed, overridden or ignored cost as much as the accepted ones."
             if c.accepted else "3. No suggestion was accepted: the cost per accepted suggestion is undefined.")
    return "\n\n".join([one, two, three])


def quality_finding(classification: pd.DataFrame, threshold: float, feature: str = "the model",
                    predictions: int | None = None) -> str:
    """Precision, recall and F1 at the product's threshold, with intervals and what they rest on."""
    if classification.empty or classification["n"].max() == 0:
        return f"No prediction of {feature} has a known label yet: precision and recall cannot be measured."
    row = _at(classification, threshold)
    base = (f" ({format_pct(row.n / predictions)} of all {predictions:,} predictions; the others have no label yet)"
            if predictions else "")
    return (f"At the product's threshold of {threshold:.2f}, **{format_pct(row.precision)}** of what {feature} "
            f"showed was right (precision, 95% interval {_interval(row.precision_low, row.precision_high)}), and it "
            f"showed **{format_pct(row.recall)}** of the cases where it would have been right (recall, "
            f"{_interval(row.recall_low, row.recall_high)}); F1 {row.f1:.2f}. Measured on {int(row.n):,} predictions with "
            f"a known label{base}.")


def threshold_choice(choice: dict, current: float | None = None, feature: str = "the model",
                     unit: str = "suggestion") -> str:
    """The threshold :func:`pmplaybook.ai.choose_threshold` picked, and the trade-off it makes, in words."""
    goal, t = choice["goal"], choice["threshold"]
    if goal == "min_precision":
        want = f"at least {format_pct(choice['target'])} of shown {unit}s right"
    elif goal == "min_recall":
        want = f"at least {format_pct(choice['target'])} of the right {unit}s shown"
    else:
        want = (f"the least cost when a wrong {unit} shown costs {choice['cost_false_positive']:g} and a right one "
                f"withheld costs {choice['cost_false_negative']:g}")
    if not choice["met"]:
        best = "precision" if goal == "min_precision" else "recall"
        return (f"No threshold gives {want}: the best {best} {feature} reaches is {format_pct(choice[best])}, "
                f"at {t:.2f}.")
    text = (f"For {want}, use a threshold of **{t:.2f}**: {feature} then answers in {format_pct(choice['flagged'])} "
            f"of labelled cases, {format_pct(choice['precision'])} of its {unit}s are right and it finds "
            f"{format_pct(choice['recall'])} of the right ones.")
    if goal in ("min_precision", "min_recall"):
        hits, n = (choice["tp"], choice["tp"] + choice["fp"]) if goal == "min_precision" else \
            (choice["tp"], choice["tp"] + choice["fn"])
        low, high = wilson_interval(hits, n)
        if low < choice["target"]:
            what = "precision" if goal == "min_precision" else "recall"
            text += (f" Its {what}'s 95% interval, {_interval(low, high, 1)}, still reaches below the floor: a "
                     "slightly higher threshold, or more labels, would make sure of it.")
    if current is not None and abs(t - current) > 1e-9:
        direction = ("fewer wrong " + unit + "s, at the price of missing more good ones" if t > current
                     else "more of the good " + unit + "s, at the price of more wrong ones")
        text += f" Against today's {current:.2f}, that shows {direction}."
    elif current is not None:
        text += " That is the threshold the product uses today."
    return text


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def threshold_numbers(r: dict, unit: str = "suggestion") -> str:
    """One line of a threshold's reading (the explorer's: precision, recall, F1, share shown, expected cost)."""
    f1 = "n/a" if r["f1"] != r["f1"] else f"{r['f1']:.3f}"
    return (f"**Precision** {format_pct(r['precision'], 1)} · **Recall** {format_pct(r['recall'], 1)} · **F1** {f1} · "
            f"**Shown** {format_pct(r['shown'], 1)} of {r['n']:,} labelled predictions · "
            f"**Expected cost** {_amount(r['cost'])} per 1,000 predictions")


def threshold_comparison(r: dict, base: dict, best: dict, unit: str = "suggestion") -> str:
    """One or two sentences: a threshold's reading against the product's, and where the cost is least."""
    if r["threshold"] == base["threshold"]:
        text = f"This is the product's threshold ({base['threshold']:.2f})."
    else:
        saving = base["cost"] - r["cost"]
        cost = ("the same expected cost" if abs(saving) < 1e-9 else
                f"an expected cost {_amount(abs(saving))} {'lower' if saving > 0 else 'higher'} per 1,000 predictions")
        text = (f"Against the product's threshold {base['threshold']:.2f}: "
                f"precision {format_points(r['precision'] - base['precision'])}, "
                f"recall {format_points(r['recall'] - base['recall'])}, {unit}s shown for {format_pct(r['shown'], 1)} of "
                f"predictions instead of {format_pct(base['shown'], 1)}, and {cost}.")
    if best["threshold"] != r["threshold"]:
        text += (f" The least expected cost in this table is at {best['threshold']:.2f} "
                 f"({_amount(best['cost'])} per 1,000 predictions).")
    else:
        text += " No threshold in this table has a lower expected cost."
    return text


def model_change(by_model: pd.DataFrame, threshold: float, latency: pd.DataFrame, cost: pd.DataFrame,
                 versions: pd.DataFrame, latency_column: str = "p90") -> str:
    """What the newest model version changed against the one before: speed, cost and precision."""
    if len(versions) < 2:
        return "The log holds one model version: there is no change of model to compare."
    old, new = versions["model"].iloc[-2], versions["model"].iloc[-1]
    since = pd.Timestamp(versions["first"].iloc[-1]).strftime("%d %b %Y")
    lat = latency.set_index("model")[latency_column]
    per_1k = cost.set_index("model")["cost_per_1k"]
    a, b = _at(by_model[by_model["model"] == old], threshold), _at(by_model[by_model["model"] == new], threshold)
    speed = "faster" if lat[new] < lat[old] else "slower"
    price = "cheaper" if per_1k[new] < per_1k[old] else "dearer"
    diff = diff_proportions(b.tp, b.tp + b.fp, a.tp, a.tp + a.fp)
    if diff["significant"]:
        quality = (f"its precision is {format_pct(b.precision)} against {format_pct(a.precision)} "
                   f"({format_points(diff['diff'])}, 95% interval {_points(diff['ci_low'], diff['ci_high'])}: more "
                   "than noise)")
    else:
        quality = (f"its precision, {format_pct(b.precision)} against {format_pct(a.precision)}, is within the "
                   f"noise of the two samples (95% interval {_points(diff['ci_low'], diff['ci_high'])})")
    return (f"**{new}** (from {since}) is {speed} than {old}: {latency_column} latency {lat[new]:,.0f} ms against "
            f"{lat[old]:,.0f} ms; {price}: {money(per_1k[new])} against {money(per_1k[old])} per 1,000 predictions; "
            f"and overall {quality}. An overall figure can hide a group: the per-segment check below looks.")


def fairness_finding(fair: pd.DataFrame, segment: str, model: str | None = None,
                     before: pd.DataFrame | None = None, model_before: str | None = None) -> str:
    """The segments served worse than the rest by more than their noise (``flagged``), and, when the same
    check under the previous model is given, whether the gap is new."""
    under = f" under {model}" if model else ""
    if fair.empty:
        return f"No labelled predictions{under} to compare across {segment}."
    flagged = fair[fair["flagged"]]
    if flagged.empty:
        return (f"No {segment}{under} is served worse than the others by more than its noise: precision and "
                "recall are level across groups as far as these labels can tell.")
    parts = []
    for _, row in flagged.iterrows():
        name = row[segment]
        text = f"for {segment} **{name}** precision is {format_pct(row.precision)} ({_interval(row.precision_low, row.precision_high)})"
        if row.precision_gap_high < 0:
            text += (f", {100 * -row.precision_gap:.0f} points below the others ({fair.attrs.get('gap_confidence', 0.95):.1%} interval "
                     f"{100 * -row.precision_gap_high:.0f} to {100 * -row.precision_gap_low:.0f})")
        if row.recall_gap_high < 0:
            text += f", and recall {100 * -row.recall_gap:.0f} points below"
        if before is not None and name in set(before[segment]):
            old = before.set_index(segment).loc[name]
            was = ("was already served worse" if old.flagged else
                   "was level with the others" if old.precision_gap_low <= 0 <= old.precision_gap_high else
                   "was not worse than the others")
            text += f"; under {model_before or 'the previous model'} it {was}, at {format_pct(old.precision)}"
        parts.append(text)
    text = f"Served worse than its noise explains{under}: " + "; ".join(parts) + "."
    if before is not None:
        names = set(flagged[segment])
        rest_new, rest_old = fair[~fair[segment].isin(names)], before[~before[segment].isin(names)]
        tp1, n1 = int(rest_new.tp.sum()), int((rest_new.tp + rest_new.fp).sum())
        tp0, n0 = int(rest_old.tp.sum()), int((rest_old.tp + rest_old.fp).sum())
        if n1 and n0:
            d = diff_proportions(tp1, n1, tp0, n0)
            others = ", ".join(map(str, sorted(names)))
            if d["significant"]:
                how = f"{'more' if d['diff'] > 0 else 'less'} precise than {model_before or 'before'} there too"
            else:
                how = f"as precise as {model_before or 'before'}, within noise"
            text += (f" Outside {others}, {model or 'the model'} is {how} ({format_pct(d['p1'])} against "
                     f"{format_pct(d['p2'])}, 95% interval of the change {_points(d['ci_low'], d['ci_high'])})"
                     + (f": the overall drop comes from {others}." if not d["significant"] or d["diff"] > 0 else "."))
    return text + " Read examples from this group before the next release, and add it to the evaluation set."


def fairness_table(fair: pd.DataFrame, segment: str):
    """The per-segment table for people: labels, precision and recall with their intervals, the gap to the
    others and whether the group is served worse (a pandas Styler without the index)."""
    keys = [segment] if isinstance(segment, str) else list(segment)
    level = fair.attrs.get("gap_confidence", 0.95)
    rows = pd.DataFrame({
        **{k: fair[k].astype(str) for k in keys},
        "labelled": fair["n"].map(lambda v: f"{int(v):,}"),
        "precision (95% interval)": [f"{format_pct(r.precision)} ({_interval(r.precision_low, r.precision_high)})"
                                     for r in fair.itertuples()],
        "recall (95% interval)": [f"{format_pct(r.recall)} ({_interval(r.recall_low, r.recall_high)})"
                                  for r in fair.itertuples()],
        f"precision against the others ({level:.1%} interval)": [
            f"{100 * r.precision_gap:+.0f} points ({100 * r.precision_gap_low:+.0f} to {100 * r.precision_gap_high:+.0f})"
            for r in fair.itertuples()],
        "served worse": fair["flagged"].map({True: "yes", False: ""}),
    })
    return rows.style.hide(axis="index")


def latency_finding(weekly: pd.DataFrame, slo=None) -> str:
    """The last complete week's latency percentiles, the slow tail, and the SLO over recent weeks."""
    done = weekly[weekly["complete"]] if "complete" in weekly.columns else weekly
    if done.empty:
        return "No complete week of predictions yet: latency is not measured."
    last = done.iloc[-1]
    text = (f"In the week of {pd.Timestamp(last.period):%d %b %Y} half the calls took at most **{last.p50:,.0f} ms** "
            f"(p50), one in ten more than {last.p90:,.0f} ms (p90) and one in a hundred more than {last.p99:,.0f} ms "
            f"(p99): the slowest 1% wait at least {last.p99 / last.p50:.1f} times as long as the typical call.")
    if slo is not None and "within_slo" in done.columns:
        recent = done.tail(8)
        met = int(recent["within_slo"].sum())
        level, ms = (slo.percentile, slo.ms) if hasattr(slo, "percentile") else slo
        text += f" The SLO (p{level:g} at most {ms:,.0f} ms) held in {met} of the last {len(recent)} complete weeks"
        missed = done.index[~done["within_slo"]]
        if met == len(recent) and len(missed):
            after = done.loc[missed[-1]:].iloc[1]  # the first week after the last miss
            text += f", and in every week since the week of {pd.Timestamp(after.period):%d %b %Y}"
        elif not len(missed):
            text += ", as in every week before"
        text += "."
    return text


def cost_finding(total: pd.DataFrame, weekly: pd.DataFrame | None = None, by_model: pd.DataFrame | None = None,
                 versions: pd.DataFrame | None = None) -> str:
    """What the model cost in all, per 1,000 predictions and per accepted suggestion; with ``by_model`` and
    ``versions``, what the current version costs, and how its weekly cost per 1,000 moved since its first
    complete week (``weekly`` from :func:`pmplaybook.ai.cost` with ``period="week"``)."""
    row = total.iloc[0]
    text = (f"{int(row.predictions):,} predictions cost **{money(row.cost)}**: {money(row.cost_per_1k)} per 1,000 "
            "predictions")
    if not is_missing(row.cost_per_accepted):
        text += (f", and {money(row.cost_per_accepted)} per suggestion accepted as it was ({row.accepted:,.0f}): "
                 "every call's cost carried by the suggestions taken without edits")
    text += "."
    since = None
    if by_model is not None and versions is not None and len(versions) > 1:
        old, new = versions["model"].iloc[-2], versions["model"].iloc[-1]
        since = pd.Timestamp(versions["first"].iloc[-1]).normalize()
        m = by_model.set_index("model")
        text += (f" The version in use, {new} (since {since:%d %b %Y}), costs **{money(m.loc[new, 'cost_per_1k'])}** "
                 f"per 1,000 predictions and {money(m.loc[new, 'cost_per_accepted'])} per accepted suggestion, against "
                 f"{money(m.loc[old, 'cost_per_1k'])} and {money(m.loc[old, 'cost_per_accepted'])} for {old}.")
    if weekly is not None and "complete" in weekly.columns:
        done = weekly[weekly["complete"]]
        if since is not None:
            done = done[done["period"] >= since]
        if len(done) >= 2:
            first, last = done.iloc[0], done.iloc[-1]
            change = last.cost_per_1k / first.cost_per_1k - 1
            move = ("about level" if abs(change) < 0.05 else
                    f"{'up' if change > 0 else 'down'} {abs(change):.0%}")
            text += (f" Week by week{' under it' if since is not None else ''}, the cost per 1,000 went from "
                     f"{money(first.cost_per_1k)} (week of {pd.Timestamp(first.period):%d %b}) to "
                     f"{money(last.cost_per_1k)} (week of {pd.Timestamp(last.period):%d %b %Y}): {move}.")
    return text


def _pooled(part: pd.DataFrame) -> tuple[int, int]:
    return int(part["count"].sum()), int(part["n"].sum())


def trust_finding(weekly: pd.DataFrame, weeks: int = 4) -> str:
    """Acceptance without edits and the human-in-the-loop rate over the last ``weeks`` complete weeks,
    against the ``weeks`` before, each change read against its noise."""
    done = weekly[weekly["complete"]] if "complete" in weekly.columns else weekly
    periods = sorted(done["period"].unique())
    if len(periods) < 2 * weeks:
        return f"Fewer than {2 * weeks} complete weeks of shown suggestions: no trend of trust yet."
    recent, before = periods[-weeks:], periods[-2 * weeks:-weeks]
    parts = []
    for metric in ("acceptance_without_edits", "human_in_the_loop", "coverage"):
        rows = done[done["metric"] == metric]
        k1, n1 = _pooled(rows[rows["period"].isin(recent)])
        k0, n0 = _pooled(rows[rows["period"].isin(before)])
        d = diff_proportions(k1, n1, k0, n0)
        move = (f"{'up' if d['diff'] > 0 else 'down'} from {format_pct(d['p2'])}, more than noise" if d["significant"]
                else f"{format_pct(d['p2'])} before, a change within noise")
        parts.append(f"{TRUST_LABELS[metric]} **{format_pct(d['p1'])}** ({move})")
    return (f"Over the last {weeks} complete weeks, against the {weeks} before: " + "; ".join(parts) + ". Acceptance "
            "without edits is the field's proxy for trust: a suggestion taken as it is saved the user's time.")


def drift_finding(drift: pd.DataFrame, column: str, segment: str | None = None,
                  quality: pd.DataFrame | None = None) -> str:
    """The latest complete period's PSI (per segment when split) and when it first crossed 0.25. A group with
    no row in the reference is named as new; with ``quality`` (:func:`pmplaybook.ai.classification` at the
    product's threshold, split by the same segment, on the rows after the reference), its precision so far
    is set against the other groups'."""
    done = drift[drift["complete"] & ~drift["in_reference"]]
    if done.empty:
        return f"No complete period after the reference window: no drift of {column} to read yet."
    first, last = drift.attrs.get("reference", (None, None))
    ref = f" against {pd.Timestamp(first):%d %b}-{pd.Timestamp(last):%d %b %Y}" if first is not None else ""
    groups = done.groupby(segment, sort=True) if segment else [(None, done)]
    parts, worst, new = [], 0.0, []
    latest_period = done["period"].max()
    for name, part in groups:
        latest = part.iloc[-1]
        who = f"{segment} {name}: " if segment else ""
        if is_missing(latest.psi):  # no row of this group in the reference window: it is new
            share = latest.n / done.loc[done["period"] == latest_period, "n"].sum()
            new.append(name)
            parts.append(f"{who}absent from the reference window, now {format_pct(share)} of the calls "
                         f"(n = {int(latest.n):,})")
            continue
        worst = max(worst, latest.psi)
        since = ""
        if latest.psi > 0.25:
            below = part.index[part["psi"] <= 0.25]
            start = part.loc[below[-1]:].iloc[1] if len(below) else part.iloc[0]  # the run above 0.25 up to now
            since = f", above 0.25 since the week of {pd.Timestamp(start.period):%d %b %Y}"
        parts.append(f"{who}PSI {latest.psi:.2f} ({psi_reading(latest.psi)}{since}; n = {int(latest.n):,})")
    verdict = known = ("The inputs no longer look like the ones the model was judged on: check its precision on the new "
               "inputs before trusting the old figures." if worst > 0.25 else
               "A moderate shift: watch it." if worst >= 0.1 else "The inputs look like the reference.")
    if new:
        names = ", ".join(map(str, new))
        verdict = f"The model now serves {segment} {names}, which its reference window did not hold."
        if quality is not None and segment in quality.columns:
            q = quality.assign(**{segment: quality[segment].astype(str)})
            mine, rest = q[q[segment].isin([str(x) for x in new])], q[~q[segment].isin([str(x) for x in new])]
            tp1, n1 = int(mine.tp.sum()), int((mine.tp + mine.fp).sum())
            tp0, n0 = int(rest.tp.sum()), int((rest.tp + rest.fp).sum())
            if n1 and n0:
                d = diff_proportions(tp1, n1, tp0, n0)
                low, high = wilson_interval(tp1, n1)
                read = ("a gap within noise" if not d["significant"] else
                        f"{format_points(d['diff'])}, more than noise")
                verdict += (f" Since the reference window its precision is {format_pct(d['p1'])} ({_interval(low, high)}, {n1:,} "
                            f"labelled answers shown) against {format_pct(d['p2'])} for the others: {read}.")
            else:
                verdict += " None of its answers has a label yet: measure its precision as soon as labels arrive."
        verdict += " The groups it knew look as they did." if worst < 0.1 else " " + known
    return (f"Drift of {column} in the latest complete week{ref}: " + "; ".join(parts) + f". {verdict}")


def outcome_finding(outcome: pd.DataFrame, week: int = 4) -> str:
    """Retention of accepters against the others, with the association-not-cause caveat."""
    yes, no = outcome.set_index("accepted").loc[True], outcome.set_index("accepted").loc[False]
    if min(yes.users, no.users) == 0:
        return "One of the two groups is empty: no comparison of retention yet."
    if yes.significant:
        read = f"{format_points(yes.gap)} (95% interval {_points(yes.gap_low, yes.gap_high)}), more than noise"
    else:
        read = "a difference within noise"
    return (f"Users who took a suggestion (as it was or after editing) in their first week with the assistant were "
            f"active in week {week} "
            f"after it **{format_pct(yes.rate)}** of the time ({int(yes.users):,} users), against {format_pct(no.rate)} "
            f"for those who were shown suggestions and took none ({int(no.users):,} users): {read}. This is an association, "
            "not a cause: users who accept suggestions are often the engaged ones who would have stayed anyway. "
            "Only a holdout (some users without the assistant) measures what it causes.")


def labels_finding(coverage: pd.DataFrame) -> str:
    """How the share of labelled predictions falls in the latest period (late labels)."""
    if len(coverage) < 2:
        return ""
    last, earlier = coverage.iloc[-1], coverage.iloc[:-1]
    usual = earlier["labelled"].sum() / earlier["predictions"].sum()
    text = (f"{format_pct(last.share)} of the predictions of {pd.Timestamp(last.period):%B %Y} have a label, against "
            f"{format_pct(usual)} in the months before")
    if last.share < 0.8 * usual:
        return text + (": labels arrive late, so the newest figures rest on fewer labels and wider intervals. "
                       "Re-read them when the labels are in.")
    return text + ": labels keep up."


__all__ = ["TRUST_LABELS", "cost_finding", "drift_finding", "exercise_answers", "fairness_finding", "fairness_table", "headline_note",
           "labels_finding", "latency_finding", "log_summary", "model_change", "money", "outcome_finding",
           "quality_finding", "threshold_choice", "threshold_comparison", "threshold_numbers", "trust_finding"]
assert set(TRUST_LABELS) == set(TRUST_METRICS)


def summary_findings(fair: pd.DataFrame | None, segment: str | None, model: str | None,
                     latency: pd.DataFrame | None, slo, drift: pd.DataFrame | None, column: str,
                     drift_segment: str | None = None) -> list:
    """The Summary's findings (:class:`pmplaybook.narrative.summary.Finding`): the group the model serves
    worst beyond noise, the latency SLO in the latest complete week, and the input drift beyond 0.25."""
    from .summary import Finding

    findings = []
    if fair is not None and segment and len(fair) and fair["flagged"].any():
        flagged = fair[fair["flagged"]].assign(cost=lambda f: -f["precision_gap"] * (f["tp"] + f["fp"]))
        row = flagged.sort_values("cost", ascending=False).iloc[0]
        under = f" under {model}" if model else ""
        findings.append(Finding(
            f"{segment} {row[segment]}{under}: precision {format_pct(row.precision)} "
            f"({_interval(row.precision_low, row.precision_high)}), {100 * -row.precision_gap:.0f} points below the "
            f"other groups (interval of the gap {100 * -row.precision_gap_high:.0f} to {100 * -row.precision_gap_low:.0f}).",
            next_step=f"Read a sample of {row[segment]} answers, add {row[segment]} to the evaluation set, and hold "
                      "the next release until its precision is level.", chart="fairness"))
    if latency is not None and slo is not None and "within_slo" in latency.columns:
        done = latency[latency["complete"]] if "complete" in latency.columns else latency
        if len(done):
            last, level = done.iloc[-1], f"p{slo.percentile:g}"
            value = last[level] if level in done.columns else None
            figure = f" ({value:,.0f} ms)" if value is not None and not is_missing(value) else ""
            week = f"the week of {pd.Timestamp(last.period):%d %b %Y}"
            if not bool(last["within_slo"]):
                findings.append(Finding(
                    f"Latency missed its SLO ({level} at most {slo.ms:,.0f} ms) in {week}{figure}.",
                    next_step="Find the slow calls (long inputs, a region, a model version) and cap or route them.",
                    chart="latency"))
            else:
                recent = done.tail(8)
                findings.append(Finding(
                    f"Latency met its SLO ({level} at most {slo.ms:,.0f} ms) in {week}{figure}, and in "
                    f"{int(recent['within_slo'].sum())} of the last {len(recent)} complete weeks.",
                    chart="latency", severity="good"))
    if drift is not None and len(drift):
        done = drift[drift["complete"] & ~drift["in_reference"]]
        latest = done[done["period"] == done["period"].max()].dropna(subset=["psi"]) if len(done) else done
        new = done[(done["period"] == done["period"].max()) & done["psi"].isna()] if drift_segment and len(done) else done.iloc[:0]
        for _, row in new.iterrows():
            share = row.n / done.loc[done["period"] == row.period, "n"].sum()
            findings.append(Finding(
                f"{drift_segment} {row[drift_segment]} is new since the reference window: {format_pct(share)} of the "
                f"calls in the latest complete week (n = {int(row.n):,}).",
                next_step="Check its precision as its labels arrive, and add it to the evaluation set.",
                chart="drift", severity="note"))
        if len(latest) and latest["psi"].max() > 0.25:
            worst = latest.sort_values("psi").iloc[-1]
            who = f" for {drift_segment} {worst[drift_segment]}" if drift_segment else ""
            findings.append(Finding(
                f"The inputs ({column}) have drifted{who}: PSI {worst.psi:.2f} in the latest complete week, above "
                "0.25, so precision measured on the old inputs may no longer hold.",
                next_step="Label a fresh sample of the new inputs and re-measure precision before the next release.",
                chart="drift"))
    return findings
