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
        return f"{100 * value:+.1f} points"
    return f"{value:+.2f}"


def detractor_finding(table: pd.DataFrame, recent: pd.DataFrame | None = None, window: str = "") -> str:
    """A sentence naming the segment whose NPS detractors concentrate (from :func:`detractor_concentration`
    over all answers) and, given ``recent`` (the same table over the KPI ``window``), that segment's NPS there."""
    if table is None or table.empty:
        return "There are no NPS answers to break down."
    text = _detractor_sentence(table)
    hits = table[table["significant"] & (table["diff"] > 0) & ~table["small_sample"]]
    if recent is not None and len(recent) and len(hits):
        h = hits.iloc[0]
        r = recent[(recent["column"] == h["column"]) & (recent["segment"] == h["segment"])]
        if len(r):
            r = r.iloc[0]
            verdict = ("still significantly more detractors than the rest" if r["significant"] and r["diff"] > 0
                       and not r["small_sample"] else "a gap within the noise of so few answers")
            text += (f" In {window or 'the recent window'} alone, {h['segment']} answered {r['nps']:+.0f} against "
                     f"{r['rest_nps']:+.0f} ({int(r['responses']):,} of {int(round(r['responses'] / r['share_of_responses'])):,} "
                     f"answers): {verdict}.")
    return text


def _detractor_sentence(table: pd.DataFrame) -> str:
    n = int(table.loc[table["column"] == table["column"].iloc[0], "responses"].sum())
    hits = table[table["significant"] & (table["diff"] > 0) & ~table["small_sample"]]
    if hits.empty:
        return ("No segment holds significantly more detractors than the rest: dissatisfaction is spread "
                "evenly across the segments checked.")
    h = hits.iloc[0]
    return (f"Over all {n:,} NPS answers, detractors concentrate in {h['column']} = {h['segment']}: "
            f"{format_pct(h['detractor_rate'])} of its "
            f"{int(h['responses']):,} NPS answers are 0-6 against {format_pct(h['rest_rate'])} elsewhere "
            f"({100 * h['diff']:+.0f} points, 95% CI {100 * h['ci_low']:+.0f} to {100 * h['ci_high']:+.0f}). It "
            f"gives {format_pct(h['share_of_responses'])} of the answers but {format_pct(h['share_of_detractors'])} "
            f"of the detractors; its NPS is {h['nps']:+.0f} against {h['rest_nps']:+.0f} for everyone else.")


def window_name(start, end) -> str:
    """'the last 8 weeks (2025-11-03 to 2025-12-28)' for a window of whole weeks [start, end)."""
    weeks = (pd.Timestamp(end) - pd.Timestamp(start)).days // 7
    return f"the last {weeks} weeks ({window_text(start, end)})"


def window_text(start, end) -> str:
    """'2025-11-03 to 2025-12-28' for the window [start, end) of local dates."""
    return f"{pd.Timestamp(start):%Y-%m-%d} to {pd.Timestamp(end) - pd.Timedelta(days=1):%Y-%m-%d}"


def happiness_finding(table: pd.DataFrame, survey: str = "nps", window: str = "") -> str:
    """A sentence for an overall NPS / CSAT / CES row (from :func:`nps`, :func:`csat`, :func:`ces`);
    ``window`` names the span the answers come from ("the last 8 weeks (...)")."""
    where = f" in {window}" if window else ""
    if table is None or table.empty:
        return f"There are no {survey.upper()} answers{where}."
    row = table.iloc[-1]
    value = row[survey]
    text = (f"{survey.upper()}{where} is {_show(survey, value)} (95% CI {_show(survey, row['ci_low'])} to "
            f"{_show(survey, row['ci_high'])}) from {int(row['responses']):,} answers")
    if row["small_sample"]:
        return text + f"; fewer than {MIN_RESPONSES} answers is too few to say anything yet."
    if survey == "nps":
        text += (f" ({int(row['promoters']):,} promoters, {int(row['passives']):,} passives, "
                 f"{int(row['detractors']):,} detractors)")
        band = ("above the 50 that Gupta calls excellent" if value > 50 else "positive but short of the 50 that "
                "Gupta calls excellent" if value > 0 else "negative: more detractors than promoters")
        return text + f": {band}."
    return text + " (no sourced benchmark to compare with)."


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
def happiness_summary(surveys, start=None, as_of=None, timezone: str = "UTC") -> pd.DataFrame:
    """One row per survey type present (NPS, CSAT, CES): answers, value, 95% interval, unit and a sentence,
    over the answers from local day ``start`` (all when None) up to ``as_of``.

    An absent survey table, or a survey type with no answers, gets a row whose sentence says so (value NaN).
    """
    window = ""
    if start is not None and as_of is not None:
        window = f"{window_text(start, as_of)}"
    rows = []
    for survey in SURVEYS:
        if not has_survey(surveys, survey):
            rows.append(dict(survey=survey, responses=0, value=float("nan"), ci_low=float("nan"),
                             ci_high=float("nan"), unit=_UNITS[survey], small_sample=True,
                             sentence=f"No {survey.upper()} answers in this team's data."))
            continue
        t = {"nps": nps, "csat": csat, "ces": ces}[survey](surveys, start=start, timezone=timezone, as_of=as_of)
        if t.empty:
            rows.append(dict(survey=survey, responses=0, value=float("nan"), ci_low=float("nan"),
                             ci_high=float("nan"), unit=_UNITS[survey], small_sample=True,
                             sentence=happiness_finding(t, survey, window)))
            continue
        r = t.iloc[0]
        rows.append(dict(survey=survey, responses=int(r["responses"]), value=float(r[survey]),
                         ci_low=float(r["ci_low"]), ci_high=float(r["ci_high"]), unit=_UNITS[survey],
                         small_sample=bool(r["small_sample"]), sentence=happiness_finding(t, survey, window)))
    return pd.DataFrame(rows)


def happiness_gap_finding(gaps: pd.DataFrame | None, survey: str, window: str = "") -> str:
    """A sentence for :func:`pmplaybook.heart.happiness_gaps`: the segment furthest below the rest beyond
    noise (neither side under 30 answers), or that none is."""
    label, where = survey.upper(), f" in {window}" if window else ""
    if gaps is None or gaps.empty:
        return f"No segment of the {label} answers{where} to compare."
    ok = gaps[~gaps["small_sample"].astype(bool)]
    worse = ok[ok["significant"].astype(bool) & (ok["diff"] < 0)]
    if worse.empty:
        low = ok.iloc[0] if len(ok) else gaps.iloc[0]
        return (f"No segment's {label}{where} differs from the rest beyond noise (the lowest, {low['column']} = "
                f"{low['segment']}, has {_show(survey, low['value'])} against {_show(survey, low['rest_value'])} "
                f"from {int(low['responses']):,} answers).")
    w = worse.iloc[0]
    return (f"The lowest {label}{where} is {w['column']} = {w['segment']}: {_show(survey, w['value'])} from "
            f"{int(w['responses']):,} answers against {_show(survey, w['rest_value'])} for the rest "
            f"({_show_diff(survey, w['diff'])}, 95% CI {_show_diff(survey, w['ci_low'])} to "
            f"{_show_diff(survey, w['ci_high'])}), a gap larger than its noise.")


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value < 600 else f"{value / 60:.1f} min"


def _time_pick(shift: pd.DataFrame | None):
    """The significant row of :func:`pmplaybook.heart.task_time_shift` that cost the most time (completed
    attempts after x the change of the median), slowdowns before speed-ups; None without one."""
    if shift is None or shift.empty or not shift["significant"].astype(bool).any():
        return None
    hits = shift[shift["significant"].astype(bool)]
    hits = hits.assign(_cost=hits["completed_after"] * (hits["median_after"] - hits["median_before"]).abs())
    slower = hits[hits["median_after"] > hits["median_before"]]
    return (slower if len(slower) else hits).sort_values("_cost", ascending=False).iloc[0]


def task_time_finding(shift: pd.DataFrame | None, segment_name: str | None = None) -> str:
    """A sentence for :func:`pmplaybook.heart.task_time_shift`: the largest significant change of time on
    task (the median before and after, the date, the release), or that time on task held steady."""
    if shift is None or shift.empty:
        return "There are too few weeks of completed tasks to look for a change in time on task."
    pick = _time_pick(shift)
    if pick is None:
        return ("Time on task held steady: no workflow's median time moved by 20% or more beyond its noise.")
    return _time_sentence(pick, segment_name) + "."


def _time_sentence(pick, segment_name, subject: str = "", when: bool = True, detail: bool = True) -> str:
    where = f"{pick['workflow']}"
    if "segment" in pick.index and not is_missing(pick.get("segment")):
        where += f" on {segment_name + ' ' if segment_name else ''}{pick['segment']}"
    slower = pick["median_after"] > pick["median_before"]
    text = (f"{subject or 'The median time to complete ' + where} went from {_seconds(pick['median_before'])} to "
            f"{_seconds(pick['median_after'])} ({100 * pick['change']:+.0f}%)")
    if when:
        text += f" from {pick['date']:%Y-%m-%d} on"
        if not is_missing(pick.get("release")) and pick.get("release"):
            text += f", when app version {pick['release']} appeared"
    elif not is_missing(pick.get("release")) and pick.get("release"):
        text += " with the same release"
    if not detail:
        return text + f", {'slower' if slower else 'faster'} beyond noise"
    text += (f"; {format_pct(pick['slow_after'])} of its {int(pick['completed_after']):,} completions since then "
             f"took longer than the median of all its completions, against {format_pct(pick['slow_before'])} before, "
             f"{'slower' if slower else 'faster'} beyond noise")
    return text


def task_gap_finding(gaps: pd.DataFrame | None, segment_name: str | None = None, window: str = "") -> str:
    """A sentence for :func:`pmplaybook.heart.task_gaps` over the KPI window: the workflow [x segment value]
    failing far more often than the rest beyond noise, the most excess failures first; or that none does."""
    where = f" in {window}" if window else ""
    pick = _gap_pick(gaps)
    if pick is None:
        return f"No workflow{where} fails more often than the rest beyond noise."
    return _gap_sentence(pick, segment_name, window) + "."


def _gap_pick(gaps):
    if gaps is None or gaps.empty:
        return None
    worse = gaps[gaps["significant"].astype(bool) & (gaps["diff"] > 0)]
    return None if worse.empty else worse.iloc[0]


def _gap_sentence(pick, segment_name, window) -> str:
    if is_missing(pick.get("segment")):
        cell, rest = pick["workflow"], "the other workflows"
    else:
        cell = f"{pick['workflow']} on {segment_name + ' ' if segment_name else ''}{pick['segment']}"
        rest = f"{pick['workflow']} elsewhere"
    return (f"{'In ' + window if window else 'In that window'}, {cell} failed {format_pct(pick['error_rate'], 1)} of "
            f"{int(pick['attempts']):,} attempts against {format_pct(pick['rest_rate'], 1)} for {rest} "
            f"({100 * pick['diff']:+.1f} points, 95% CI {100 * pick['ci_low']:+.1f} to {100 * pick['ci_high']:+.1f}), "
            f"about {pick['excess']:,.0f} failures more than at their rate")


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


def task_summary_finding(table: pd.DataFrame | None, window: str = "") -> str:
    """A sentence for :func:`task_success` without period: overall rates and the weakest workflow; ``window``
    names the span the table covers."""
    where = f"In {window}, of" if window else "Of"
    if table is None or table.empty:
        return f"There are no task attempts{' in ' + window if window else ''}."
    n, done, failed = (int(table[c].sum()) for c in ("attempts", "completed", "failed"))
    text = (f"{where} {n:,} task attempts, {format_pct(done / n, 1)} were completed and {format_pct(failed / n, 1)} "
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


def task_regression_finding(shift: pd.DataFrame | None, segment_name: str | None = None, charted: dict | None = None,
                            time_shift: pd.DataFrame | None = None, gaps: pd.DataFrame | None = None,
                            window: str = ""):
    """The Summary's finding on task success (:class:`~pmplaybook.narrative.summary.Finding`), or None.

    Among the significant rows of :func:`pmplaybook.heart.task_shift` (one per workflow [x segment value],
    the completion rate mirroring the error rate counted once), the change for the worse that cost the
    most attempts since it started (attempts after x |change|) needs an owner; when no change is for the
    worse, the largest improvement is worth keeping; no significant change gives None. ``charted`` is the
    change the notebook charts (:func:`pmplaybook.heart.top_change`): the finding links to that chart when
    it is the same change, else to the weekly task-success chart.

    ``time_shift`` (:func:`pmplaybook.heart.task_time_shift`) and ``gaps`` (:func:`pmplaybook.heart.task_gaps`
    over the KPI ``window``) add, for the same workflow [and segment value], how its time on task moved and
    where its error rate stands now. Without a rate change, the slowest-down workflow or the one failing far
    more than the rest now is the finding."""
    from .summary import Finding

    if shift is None or shift.empty or not shift["significant"].any():
        return _task_fallback(time_shift, gaps, segment_name, window)
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
    text += _same_cell_notes(pick, keys, time_shift, gaps, segment_name, window)
    culprit = f"version {pick['release']}" if pick.get("release") else f"the change of {pick['date']:%Y-%m-%d}"
    return Finding(text, chart=chart, next_step=(
        f"Give {where} an owner in the team that shipped {culprit}: find what changed in it, fix or roll it "
        "back, and watch its weekly rate here until it is back."))


def _same_cell(row, pick, keys) -> bool:
    return all(str(row.get(k)) == str(pick.get(k)) for k in keys)


def _same_cell_notes(pick, keys, time_shift, gaps, segment_name, window) -> str:
    """What the time-on-task and recent-window tables say about the workflow [x segment] of ``pick``."""
    text = ""
    t = _time_pick(time_shift)
    if t is not None and _same_cell(t, pick, keys):
        same_day = pd.Timestamp(t["date"]) == pd.Timestamp(pick["date"]) and str(t.get("release")) == str(pick.get("release"))
        text += " " + _time_sentence(t, segment_name, subject="Its median time to complete", when=not same_day,
                                     detail=False) + "."
    if gaps is not None and len(gaps):
        g = gaps[[_same_cell(r, pick, keys) for _, r in gaps.iterrows()]]
        if len(g):
            g = g.iloc[0]
            rest = "the other workflows" if "segment" not in keys else f"{pick['workflow']} elsewhere"
            rates = (f"{format_pct(g['error_rate'], 1)} of {int(g['attempts']):,} attempts against "
                     f"{format_pct(g['rest_rate'], 1)} for {rest}")
            when = f" In {window or 'the recent window'}"
            text += (f"{when} it still failed {rates}." if g["significant"] and g["diff"] > 0 else
                     f"{when} it is back within noise of the rest: it failed {rates}.")
    return text


def _task_fallback(time_shift, gaps, segment_name, window):
    """The Summary's task finding when no completion or error rate shifted: a slowdown, else a workflow
    failing far more than the rest in the KPI window; None when neither."""
    from .summary import Finding

    t = _time_pick(time_shift)
    if t is not None and t["median_after"] > t["median_before"]:
        return Finding("Task success: " + _time_sentence(t, segment_name) + ".", chart="tasks", next_step=(
            "Give the slowdown an owner in the team that shipped "
            + (f"version {t['release']}" if not is_missing(t.get("release")) and t.get("release")
               else f"the change of {t['date']:%Y-%m-%d}") + ": find what made it slower and watch its median here."))
    g = _gap_pick(gaps)
    if g is not None:
        return Finding("Task success: " + _gap_sentence(g, segment_name, window) + ".", chart="tasks", next_step=(
            f"Give {g['workflow']} an owner: read its failure reasons in that segment and compare them with the rest."))
    return None


def detractor_summary_finding(detractors: pd.DataFrame | None, window: str = ""):
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
    when = f" in {window}" if window else ""
    text = (f"Happiness{when}: {h['segment']} ({h['column']}) NPS is {h['nps']:+.0f} against {h['rest_nps']:+.0f} for "
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
                     charted: dict | None = None, time_shift: pd.DataFrame | None = None,
                     task_gaps: pd.DataFrame | None = None, task_window: str = "",
                     survey_window: str = "") -> list:
    """The findings of the HEART page's Summary (:class:`~pmplaybook.narrative.summary.Finding`), from
    tables the notebook has already computed: ``detractors`` (:func:`~pmplaybook.heart.detractor_concentration`),
    ``shift`` (:func:`~pmplaybook.heart.task_shift`, by ``segment_name``; ``charted`` its charted
    :func:`~pmplaybook.heart.top_change`) and ``gaps`` (:func:`~pmplaybook.heart.segment_gaps`).

    Each is a finding only when the data show it beyond noise. Those that need an owner come in this order:
    a workflow a release broke (acute, and a fix is known to be possible), the segment losing the most
    retained users (:func:`retention_gap_findings`), the segment holding the most excess detractors, the
    segment losing the second most retained users. The Summary gives an owner to the first two; the
    others are kept as "worth knowing" (one per letter before a second of the same letter).

    ``detractors`` should cover the same recent window as the NPS KPI (``survey_window`` names it);
    ``time_shift`` (:func:`~pmplaybook.heart.task_time_shift`) and ``task_gaps``
    (:func:`~pmplaybook.heart.task_gaps` over ``task_window``) complete the task finding.
    """
    from .summary import Finding

    bad, other = [], []
    task = task_regression_finding(shift, segment_name, charted, time_shift, task_gaps, task_window)
    if task is not None:
        (bad if task.severity == "bad" else other).append(task)
    retention = retention_gap_findings(gaps)
    bad += retention[:1]
    happy = detractor_summary_finding(detractors, survey_window)
    if happy is not None:
        bad.append(happy)
    bad += retention[1:]
    demoted = [Finding(f.text, f.next_step, f.chart, severity="note") for f in bad[2:]]
    return bad[:2] + other + demoted
