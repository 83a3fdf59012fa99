"""HEART in words: each sentence computed from a table of :mod:`pmplaybook.heart`."""

from __future__ import annotations

import ibis
import pandas as pd

from ..core.calendar import uses_calendar
from ..core.formatting import format_pct, format_value, is_missing
from .summary import others_of
from ..core.stats import diff_proportions, wilson_interval
from ..data import has_event
from ..heart import MIN_RESPONSES, SURVEYS, ces, csat, has_survey, nps, pooled_rate, workflow_problem

_UNITS = {"nps": "points", "csat": "share", "ces": "mean score (1-7)"}


def _show(survey: str, value: float) -> str:
    if is_missing(value):
        return "n/a"
    if survey == "nps":
        return f"{value:+.0f}"
    if survey == "csat":
        return format_pct(value)
    return f"{value:.2f}"


def _show_diff(survey: str, value: float) -> str:
    if survey == "nps":
        return f"{value:+.1f} points"
    if survey == "csat":
        return f"{100 * value:+.1f} percentage points"
    return f"{value:+.2f}"


def detractor_finding(table: pd.DataFrame) -> str:
    """A sentence naming the segment whose NPS detractors concentrate (from :func:`detractor_concentration`)."""
    if table is None or table.empty:
        return "There are no NPS answers to break down."
    hits = table[table["significant"] & (table["diff"] > 0) & ~table["small_sample"]]
    if hits.empty:
        return ("No segment holds significantly more detractors than the rest: dissatisfaction is spread "
                "evenly across the segments checked.")
    h = hits.iloc[0]
    return (f"Detractors concentrate in {h['column']} = {h['segment']}: {format_pct(h['detractor_rate'])} of its "
            f"{int(h['responses']):,} NPS answers are 0-6 against {format_pct(h['rest_rate'])} elsewhere "
            f"({100 * h['diff']:+.0f} points, 95% CI {100 * h['ci_low']:+.0f} to {100 * h['ci_high']:+.0f}). It "
            f"gives {format_pct(h['share_of_responses'])} of the answers but {format_pct(h['share_of_detractors'])} "
            f"of the detractors; its NPS is {h['nps']:+.0f} against {h['rest_nps']:+.0f} for everyone else.")


def happiness_finding(table: pd.DataFrame, survey: str = "nps") -> str:
    """A sentence for an overall NPS / CSAT / CES row (from :func:`nps`, :func:`csat`, :func:`ces`)."""
    if table is None or table.empty:
        return f"There are no {survey.upper()} answers."
    row = table.iloc[-1]
    value = row[survey]
    text = (f"{survey.upper()} is {_show(survey, value)} (95% CI {_show(survey, row['ci_low'])} to "
            f"{_show(survey, row['ci_high'])}) from {int(row['responses']):,} answers")
    if row["small_sample"]:
        return text + f"; fewer than {MIN_RESPONSES} answers is too few to say anything yet."
    if survey == "nps":
        text += (f" ({int(row['promoters']):,} promoters, {int(row['passives']):,} passives, "
                 f"{int(row['detractors']):,} detractors)")
        band = ("excellent (above 50, Gupta)" if value > 50 else "positive but short of the 50 that Gupta "
                "calls excellent" if value > 0 else "negative: more detractors than promoters")
        return text + f": {band}."
    return text + "."


def engagement_finding(table: pd.DataFrame, key_action_label: str = "key actions") -> str:
    """A sentence on the last complete period of :func:`engagement` against the average of the others."""
    done = table[table["complete"]] if table is not None and len(table) else table
    if done is None or done.empty:
        return "There is no complete period to describe yet."
    if "segment" in done.columns:
        return "Pass a table without segments to engagement_finding."
    last = done.iloc[-1]
    text = (f"In the week of {last['period']:%Y-%m-%d}, {int(last['active_users']):,} active users did "
            f"{last['key_actions_per_active_user']:.1f} {key_action_label} each on average, were active on "
            f"{last['active_days_per_active_user']:.1f} days, and {format_pct(last['five_day_share'])} of them "
            f"were active on 5 or more days (95% CI {format_pct(last['ci_low'])}-{format_pct(last['ci_high'])})")
    if not is_missing(last.get("events_per_session", float("nan"))):
        text += f"; a session held {last['events_per_session']:.1f} events"
    if len(done) > 1:
        prev = done.iloc[:-1]
        text += (f". Over the earlier {len(prev)} complete weeks the averages were "
                 f"{prev['key_actions_per_active_user'].mean():.1f} {key_action_label} and "
                 f"{format_pct(prev['five_day_users'].sum() / prev['active_users'].sum())} five-day users")
    return text + "."


def adoption_finding(adoption: pd.DataFrame, feature: str = "the feature", acceptance: pd.DataFrame | None = None) -> str:
    """Sentences on a feature's launch-window and cumulative adoption (from :func:`feature_adoption`) and,
    when given, its suggestion acceptance (an overall row from :func:`suggestion_acceptance`)."""
    if adoption is None or adoption.empty:
        return f"{feature} has no recorded use yet."
    first, last = adoption.iloc[0], adoption.iloc[-1]
    done = adoption[adoption["complete"]]
    recent = done.iloc[-1] if len(done) else last
    text = (f"In its launch week ({first['period']:%Y-%m-%d}), {format_pct(first['rate'], 1)} of the "
            f"{int(first['active_users']):,} active users used {feature} for the first time. By "
            f"{last['period']:%Y-%m-%d}, {int(last['cumulative_adopters']):,} of the "
            f"{int(last['cumulative_active']):,} users active since launch had tried it "
            f"({format_pct(last['cumulative_rate'])}, 95% CI {format_pct(last['cumulative_ci_low'])}-"
            f"{format_pct(last['cumulative_ci_high'])}), and in the week of {recent['period']:%Y-%m-%d} "
            f"{format_pct(recent['usage_rate'])} of active users used it.")
    if acceptance is not None and len(acceptance):
        text += " " + acceptance_finding(acceptance)
    return text


def acceptance_finding(acceptance: pd.DataFrame | None) -> str:
    """A sentence on suggestion acceptance (all rows of :func:`suggestion_acceptance` pooled), with the
    trend between the first and the last complete period when the table has periods."""
    if acceptance is None or acceptance.empty:
        return "No suggestions were shown."
    shown, acc = int(acceptance["shown"].sum()), int(acceptance["accepted"].sum())
    edited = acceptance["edited"].sum() if acceptance["edited"].notna().any() else float("nan")
    lo, hi = wilson_interval(acc, shown)
    text = (f"Of {shown:,} suggestions shown, {format_pct(acc / shown, 1)} were accepted (95% CI "
            f"{format_pct(lo, 1)}-{format_pct(hi, 1)})")
    if not is_missing(edited):
        text += f"; {format_pct(float(edited) / shown, 1)} were edited by the user before use"
    text += "."
    if "period" in acceptance.columns and "complete" in acceptance.columns:
        done = acceptance[acceptance["complete"] & ~acceptance["small_sample"]]
        if len(done) >= 2:
            a, b = done.iloc[0], done.iloc[-1]
            r = diff_proportions(int(b["accepted"]), int(b["shown"]), int(a["accepted"]), int(a["shown"]))
            move = ("a change larger than its noise" if r["significant"] else "within the noise")
            text += (f" Acceptance went from {format_pct(r['p2'], 1)} in the week of {a['period']:%Y-%m-%d} to "
                     f"{format_pct(r['p1'], 1)} in the week of {b['period']:%Y-%m-%d} ({move}).")
    return text


def task_shift_finding(shift: pd.DataFrame, segment_name: str | None = None) -> str:
    """A sentence naming the workflow and date of the largest significant change in task success."""
    if shift is None or shift.empty:
        return "There are too few weeks of task attempts to look for a change."
    hits = shift[shift["significant"]]
    if hits.empty:
        return ("No workflow's completion or error rate shifted by more than its noise at any week: task "
                "success has been stable.")
    h = hits.iloc[0]
    where = f"the {h['workflow']} workflow"
    if "segment" in h.index and h.get("segment") is not None:
        where += f" on {segment_name + ' = ' if segment_name else ''}{h['segment']}"
    what = "error rate" if h["metric"] == "error_rate" else "completion rate"
    direction = "rose" if h["diff"] > 0 else "fell"
    hurt = (h["metric"] == "error_rate") == (h["diff"] > 0)
    text = (f"The largest change in task success: the {what} of {where} {direction} from "
            f"{format_pct(h['before'], 1)} to {format_pct(h['after'], 1)} from {h['date']:%Y-%m-%d} on "
            f"({100 * h['diff']:+.1f} points, 95% CI {100 * h['ci_low']:+.1f} to {100 * h['ci_high']:+.1f}; "
            f"{int(h['attempts_before']):,} attempts before, {int(h['attempts_after']):,} after)")
    if h.get("release"):
        text += f", when app version {h['release']} appeared"
    text += ". " + ("That release hurt task success: find what changed in it." if hurt else
                    "Task success improved there.")
    return text


def happiness_trend_finding(trend: dict) -> str:
    """A plain-language verdict on :func:`pmplaybook.heart.happiness_trend`: the change, and whether it is
    larger than its noise."""
    survey, period = trend["survey"], trend.get("period", "month")
    label = survey.upper()
    if trend["latest"] is None:
        return (f"There are fewer than two complete {period}s of {label} answers, so there is no trend to "
                "read yet.")
    fmt = "%Y-%m-%d" if period != "month" else "%B %Y"
    la, lb = pd.Timestamp(trend["latest"]).strftime(fmt), pd.Timestamp(trend["previous"]).strftime(fmt)
    head = (f"{label} was {_show(survey, trend['value_a'])} in {la} ({trend['responses_latest']:,} answers) "
            f"against {_show(survey, trend['value_b'])} in {lb} ({trend['responses_previous']:,})")
    if trend["small_sample"]:
        verdict = (f"; with fewer than {MIN_RESPONSES} answers in a period that is too few to say anything "
                   "about a change.")
    elif trend["significant"]:
        verdict = (f": a change of {_show_diff(survey, trend['diff'])} (95% CI {_show_diff(survey, trend['ci_low'])} "
                   f"to {_show_diff(survey, trend['ci_high'])}), larger than its noise.")
    else:
        verdict = (f": the change of {_show_diff(survey, trend['diff'])} is within its noise (95% CI "
                   f"{_show_diff(survey, trend['ci_low'])} to {_show_diff(survey, trend['ci_high'])}).")
    return head + verdict


@uses_calendar
def happiness_summary(surveys, as_of=None, timezone: str = "UTC") -> pd.DataFrame:
    """One row per survey type present (NPS, CSAT, CES): answers, value, 95% interval, unit and a sentence.

    An absent survey table, or a survey type with no answers, gets a row whose sentence says so (value NaN).
    """
    rows = []
    for survey in SURVEYS:
        if not has_survey(surveys, survey):
            rows.append(dict(survey=survey, responses=0, value=float("nan"), ci_low=float("nan"),
                             ci_high=float("nan"), unit=_UNITS[survey], small_sample=True,
                             sentence=f"No {survey.upper()} answers in this team's data."))
            continue
        t = {"nps": nps, "csat": csat, "ces": ces}[survey](surveys, timezone=timezone, as_of=as_of)
        r = t.iloc[0]
        rows.append(dict(survey=survey, responses=int(r["responses"]), value=float(r[survey]),
                         ci_low=float(r["ci_low"]), ci_high=float(r["ci_high"]), unit=_UNITS[survey],
                         small_sample=bool(r["small_sample"]), sentence=happiness_finding(t, survey)))
    return pd.DataFrame(rows)


def task_status(ds) -> str | None:
    """None when the team's data support task success (task events named in params and present); otherwise
    a sentence saying what is missing, for the notebook to show instead of the section."""
    roles = ds.params.events
    if not (roles.task_started and roles.task_completed):
        return ("This team's params name no task events (events.task_started / task_completed), so task "
                "success is skipped. Fix: name the events that mark a task's start, completion and failure.")
    if not has_event(ds.events, roles.task_started):
        return f"The task start event {roles.task_started!r} never occurs in the data: task success is skipped."
    return None


def workflow_note(events: ibis.Table, workflow: str = "workflow") -> str:
    """A sentence on whether the log distinguishes workflows (for the notebook), '' when it does."""
    return workflow_problem(events, workflow) or ""


def top_detractor_column(table: pd.DataFrame | None) -> str | None:
    """The segment column of the strongest significant detractor concentration (for a chart), else None."""
    if table is None or table.empty:
        return None
    hits = table[table["significant"] & (table["diff"] > 0) & ~table["small_sample"]]
    return str((hits if len(hits) else table).iloc[0]["column"])


def depth_finding(depth: dict | None, feature: str = "the feature") -> str:
    """A sentence for :func:`adoption_depth`."""
    if not depth or not depth.get("users"):
        return f"No users to measure the depth of {feature} on."
    if not depth["adopters"]:
        return f"None of the {depth['users']:,} {depth['population']} used {feature}."
    return (f"Among {depth['users']:,} {depth['population']} since launch, {format_pct(depth['rate'])} "
            f"(95% CI {format_pct(depth['ci_low'])}-{format_pct(depth['ci_high'])}) used {feature}; an adopter used "
            f"it {depth['uses_per_adopter']:.1f} times on average (median {depth['median_uses']:.0f}), and "
            f"{format_pct(depth['repeat_rate'])} of adopters came back to it in a second week.")


def retention_finding(table: pd.DataFrame, k: int = 4, recent: int = 12) -> str:
    """A sentence for :func:`active_retention`: the pooled rate over the last ``recent`` cohorts and the
    range of the cohort rates."""
    if table is None or table.empty:
        return f"No weekly cohort is old enough to measure retention {k} weeks later."
    t = table.tail(recent)
    p = pooled_rate(t)
    return (f"Of the users active in a week, {format_pct(p['rate'])} (95% CI {format_pct(p['ci_low'], 1)}-"
            f"{format_pct(p['ci_high'], 1)}) were active again {k} weeks later, over the last {len(t)} weekly "
            f"cohorts ({p['n']:,} user-weeks); cohorts ranged from {format_pct(t['rate'].min())} to "
            f"{format_pct(t['rate'].max())}.")


def task_summary_finding(table: pd.DataFrame | None) -> str:
    """A sentence for :func:`task_success` without period: overall rates and the weakest workflow."""
    if table is None or table.empty:
        return "There are no task attempts."
    n, done, failed = (int(table[c].sum()) for c in ("attempts", "completed", "failed"))
    text = (f"Over {n:,} task attempts, {format_pct(done / n, 1)} were completed and {format_pct(failed / n, 1)} "
            "failed (the rest were abandoned).")
    if len(table) > 1:
        worst = table.sort_values("completion_rate").iloc[0]
        text += (f" The weakest workflow is {worst['workflow']}: {format_pct(worst['completion_rate'], 1)} completed "
                 f"(95% CI {format_pct(worst['completion_ci_low'], 1)}-{format_pct(worst['completion_ci_high'], 1)}), "
                 f"{format_pct(worst['error_rate'], 1)} failed, median time on task "
                 f"{worst['median_seconds'] / 60:.1f} min.")
    return text


def gsm_view(table: pd.DataFrame) -> pd.DataFrame:
    """The goals-signals-metrics table for reading: value and its 95% interval (``interval``) formatted by unit.

    >>> gsm_view(pd.DataFrame([{"category": "happiness", "goal": "g", "signal": "s", "metric": "csat",
    ...     "value": 0.7, "unit": "share", "ci_low": 0.65, "ci_high": 0.75, "note": "n"}]))[["value", "interval"]].to_dict("records")
    [{'value': '70.0%', 'interval': '65.0% to 75.0%'}]
    """
    out = table[["category", "goal", "signal", "metric"]].copy()
    out["value"] = [format_value(v, u) for v, u in zip(table["value"], table["unit"])]
    out["interval"] = ["" if is_missing(lo) else f"{format_value(lo, u)} to {format_value(hi, u)}"
                     for lo, hi, u in zip(table["ci_low"], table["ci_high"], table["unit"])]
    out["unit"] = table["unit"]
    out["note"] = table["note"]
    return out


def _task_hurt(row) -> bool:
    """True when a :func:`task_shift` row is a change for the worse (more errors or fewer completions)."""
    return (row["metric"] == "error_rate") == (row["diff"] > 0)


def task_regression_finding(shift: pd.DataFrame | None, segment_name: str | None = None, charted: dict | None = None):
    """The Summary's finding on task success (:class:`~pmplaybook.narrative.summary.Finding`), or None.

    Among the significant rows of :func:`pmplaybook.heart.task_shift` (one per workflow [x segment value],
    the completion rate mirroring the error rate counted once), the change for the worse that cost the
    most attempts since it started (attempts after x |change|) needs an owner; when no change is for the
    worse, the largest improvement is worth keeping; no significant change gives None. ``charted`` is the
    change the notebook charts (:func:`pmplaybook.heart.top_change`): the finding links to that chart when
    it is the same change, else to the weekly task-success chart."""
    from .summary import Finding

    if shift is None or shift.empty or not shift["significant"].any():
        return None
    keys = ["workflow"] + (["segment"] if "segment" in shift.columns and shift["segment"].notna().any() else [])
    hits = shift[shift["significant"]].drop_duplicates(keys)  # sorted by |z|, the error rate first on a tie
    hits = hits.assign(_impact=hits["attempts_after"] * hits["diff"].abs())
    hurt = hits[[_task_hurt(r) for _, r in hits.iterrows()]]
    pick = (hurt if len(hurt) else hits).sort_values("_impact", ascending=False).iloc[0]
    where = f"{pick['workflow']}"
    if "segment" in keys:
        where += f" on {segment_name + ' ' if segment_name else ''}{pick['segment']}"
    what = "error rate" if pick["metric"] == "error_rate" else "completion rate"
    since = f"{pick['date']:%Y-%m-%d}" + (f", when app version {pick['release']} appeared" if pick.get("release") else "")
    same = bool(charted) and all(charted.get(k) == pick.get(k) for k in (*keys, "metric"))
    chart = "task-change" if same else "tasks"
    text = (f"Task success: the {what} of {where} went from {format_pct(pick['before'], 1)} to "
            f"{format_pct(pick['after'], 1)} on {since} ({100 * pick['diff']:+.1f} points, 95% CI "
            f"{100 * pick['ci_low']:+.1f} to {100 * pick['ci_high']:+.1f})")
    if not _task_hurt(pick):
        return Finding(text + f", an improvement beyond noise over {int(pick['attempts_after']):,} attempts.",
                       chart=chart, severity="good")
    lost = "failed" if pick["metric"] == "error_rate" else "not completed"
    text += (f": about {pick['_impact']:,.0f} more of its {int(pick['attempts_after']):,} attempts since then "
             f"{lost} than at the earlier rate.")
    culprit = f"version {pick['release']}" if pick.get("release") else f"the change of {pick['date']:%Y-%m-%d}"
    return Finding(text, chart=chart, next_step=(
        f"Give {where} an owner in the team that shipped {culprit}: find what changed in it, fix or roll it "
        "back, and watch its weekly rate here until it is back."))


def detractor_summary_finding(detractors: pd.DataFrame | None):
    """The Summary's finding on NPS detractors, or None: the segment value holding significantly more
    detractors than the rest (not a small sample) that adds the most detractors beyond the rest's rate
    (answers x gap), from :func:`pmplaybook.heart.detractor_concentration`."""
    from .summary import Finding

    if detractors is None or detractors.empty:
        return None
    hits = detractors[detractors["significant"].astype(bool) & (detractors["diff"] > 0)
                      & ~detractors["small_sample"].astype(bool)]
    if hits.empty:
        return None
    h = hits.assign(_impact=hits["responses"] * hits["diff"]).sort_values("_impact", ascending=False).iloc[0]
    others = others_of(str(h["column"]))
    text = (f"Happiness: {h['segment']} ({h['column']}) NPS is {h['nps']:+.0f} against {h['rest_nps']:+.0f} for "
            f"{others}; {format_pct(h['detractor_rate'])} of its {int(h['responses']):,} answers are detractors "
            f"(0-6) against {format_pct(h['rest_rate'])} ({100 * h['diff']:+.0f} points, 95% CI "
            f"{100 * h['ci_low']:+.0f} to {100 * h['ci_high']:+.0f}), so it holds "
            f"{format_pct(h['share_of_detractors'])} of all detractors from {format_pct(h['share_of_responses'])} "
            "of the answers.")
    return Finding(text, chart="detractors", next_step=(
        f"Ask the {h['segment']} detractors one follow-up question (what is missing or in the way), give the "
        f"top answer an owner, and track the {h['segment']} NPS apart from the average."))


_GAP_NEXT = {
    "platform": ("Give the {segment} app's retention an owner: compare it before and after the app's latest releases "
                 "and check its crash and error reports; notebook 02 follows its new users' cohorts."),
    "plan": ("Give the {segment} plan's retention an owner: check whether its users hit the plan's limits or never "
             "reach the value the other plans pay for, and track its retention apart from the average."),
    "channel": ("Ask the owner of the {segment} channel whether its users fit the product (intent, team size) and "
                "compare their first-week activation with the other channels'."),
    None: ("Give the {segment} gap an owner: find what its users lack that the others have, and track its "
           "retention apart from the average."),
}


def retention_gap_findings(gaps: pd.DataFrame | None, top: int = 2) -> list:
    """The ``top`` segments of :func:`pmplaybook.heart.segment_gaps` retained clearly worse than the rest, the
    most retained users lost a week first (a typical week's active users x gap), each with a next step that
    fits its column; none when no gap is beyond noise."""
    from dataclasses import replace

    from .summary import gap_findings

    found = gap_findings(gaps, "week-4 retention of a week's active users", chart="retention-segments",
                         next_step=_GAP_NEXT, top=top)
    return [replace(f, text="Retention: " + f.text) for f in found]


def summary_findings(detractors: pd.DataFrame | None = None, shift: pd.DataFrame | None = None,
                     gaps: pd.DataFrame | None = None, segment_name: str | None = None,
                     charted: dict | None = None) -> list:
    """The findings of the HEART page's Summary (:class:`~pmplaybook.narrative.summary.Finding`), from
    tables the notebook has already computed: ``detractors`` (:func:`~pmplaybook.heart.detractor_concentration`),
    ``shift`` (:func:`~pmplaybook.heart.task_shift`, by ``segment_name``; ``charted`` its charted
    :func:`~pmplaybook.heart.top_change`) and ``gaps`` (:func:`~pmplaybook.heart.segment_gaps`).

    Each is a finding only when the data show it beyond noise. Those that need an owner come in this order:
    a workflow a release broke (acute, and a fix is known to be possible), the segment losing the most
    retained users (:func:`retention_gap_findings`), the segment holding the most excess detractors, the
    segment losing the second most retained users. The Summary gives an owner to the first two; the
    others are kept as "worth knowing" (one per letter before a second of the same letter).
    """
    from .summary import Finding

    bad, other = [], []
    task = task_regression_finding(shift, segment_name, charted)
    if task is not None:
        (bad if task.severity == "bad" else other).append(task)
    retention = retention_gap_findings(gaps)
    bad += retention[:1]
    happy = detractor_summary_finding(detractors)
    if happy is not None:
        bad.append(happy)
    bad += retention[1:]
    demoted = [Finding(f.text, f.next_step, f.chart, severity="note") for f in bad[2:]]
    return bad[:2] + other + demoted
