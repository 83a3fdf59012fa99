"""The HEART page's headline KPIs, each read on a recent window ending at ``as_of`` (never on all history),
with the number of units it rests on and its 95% interval.

Two windows, both made of complete weeks (a half-finished week would bias per-user figures):

* behaviour from the event log (five-day share, retention, feature use, acceptance, task success): the last
  :data:`LOG_WEEKS` complete weeks;
* survey answers (NPS, CSAT, CES): the last :data:`SURVEY_WEEKS` complete weeks, twice as long because
  answers are sparse (a month of a few hundred NPS answers still has an interval of about +/-10 points).
"""

from __future__ import annotations

import pandas as pd

from ..core.calendar import recent_window  # also heart.recent_window
from .happiness import ces, csat, has_survey, nps
from .retention import pooled_rate

#: Complete weeks of the event log behind a headline KPI.
LOG_WEEKS = 4
#: Complete weeks of survey answers behind NPS, CSAT and CES.
SURVEY_WEEKS = 8


def _in_window(table: pd.DataFrame | None, start, end, column: str = "period") -> pd.DataFrame | None:
    """The rows of periods inside [start, end); a table without periods is taken as already windowed."""
    if table is None or not len(table) or column not in table.columns:
        return table
    t = pd.to_datetime(table[column])
    return table[(t >= start) & (t < end)]


def _rate(table, successes, n, start, end, label, unit="share") -> dict:
    if table is None or not len(table):
        return dict(value=None, n=None, ci_low=None, ci_high=None, window_start=start, window_end=end, label=label,
                    unit=unit)
    p = pooled_rate(table, successes, n)
    return dict(value=p["rate"] if p["n"] else None, n=p["n"], ci_low=p["ci_low"], ci_high=p["ci_high"],
                window_start=start, window_end=end, label=label, unit=unit)


def survey_kpis(surveys, calendar, weeks: int = SURVEY_WEEKS) -> dict:
    """NPS, CSAT and CES over the last ``weeks`` complete weeks: ``{name: KPIRecorder.record keywords}``
    (``value`` None for a survey with no answers in the window)."""
    start, end = recent_window(calendar.as_of, weeks, calendar.week_start)
    out = {}
    for name, fn, unit, label in (("nps", nps, "points", "NPS"), ("csat", csat, "share", "CSAT (share of 4-5)"),
                                  ("ces", ces, "mean score (1-7)", "CES (1-7)")):
        row = dict(value=None, n=0, ci_low=None, ci_high=None, window_start=start, window_end=end, unit=unit,
                   label=f"{label}, last {weeks} weeks")
        if has_survey(surveys, name):
            t = fn(surveys, start=start, as_of=end, timezone=calendar.timezone)
            if len(t):
                r = t.iloc[0]
                row.update(value=float(r[name]), n=int(r["responses"]), ci_low=float(r["ci_low"]),
                           ci_high=float(r["ci_high"]))
        out[name] = row
    return out


def log_kpis(calendar, *, engagement: pd.DataFrame, retained: pd.DataFrame, adoption: pd.DataFrame | None = None,
             acceptance: pd.DataFrame | None = None, tasks: pd.DataFrame | None = None, k: int = 4,
             feature: str = "the feature", weeks: int = LOG_WEEKS) -> dict:
    """The event-log KPIs over the last ``weeks`` complete weeks, ``{name: KPIRecorder.record keywords}``,
    from weekly tables the notebook has computed:

    * ``five_day_share``: weekly actives active on 5+ days, pooled over the window's weeks (user-weeks), from
      :func:`~pmplaybook.heart.engagement`;
    * ``week4_active_retention``: the last ``weeks`` weekly cohorts of :func:`~pmplaybook.heart.active_retention`
      whose week ``k`` has ended (the window runs from the first cohort to the end of the last one's week k);
    * ``feature_adoption``: weekly actives who used the feature, pooled (:func:`~pmplaybook.heart.feature_adoption`);
    * ``ai_acceptance_rate``: suggestions accepted / shown (:func:`~pmplaybook.heart.suggestion_acceptance`);
    * ``task_completion_rate`` / ``task_error_rate``: attempts of all workflows started in the window
      (:func:`~pmplaybook.heart.task_success` with ``period="week"``, or already run on the window with
      ``start`` and ``as_of``).

    A table that is None (the team lacks the events) gives ``value`` None: not measurable here.
    """
    start, end = recent_window(calendar.as_of, weeks, calendar.week_start)
    span = f"last {weeks} weeks"
    out = {"five_day_share": _rate(_in_window(engagement, start, end), "five_day_users", "active_users", start, end,
                                   f"Weekly actives active 5+ days, {span}")}
    cohorts = retained.sort_values("cohort").tail(weeks) if retained is not None and len(retained) else None
    c_start = pd.Timestamp(cohorts["cohort"].min()) if cohorts is not None else start
    c_end = pd.Timestamp(cohorts["cohort"].max()) + pd.Timedelta(weeks=k + 1) if cohorts is not None else end
    out["week4_active_retention"] = _rate(cohorts, "retained", "users", c_start, c_end,
                                          f"Weekly actives still active {k} weeks later, last {weeks} cohorts")
    out["feature_adoption"] = _rate(_in_window(adoption, start, end), "feature_users", "active_users", start, end,
                                    f"Weekly actives using {feature}, {span}")
    out["ai_acceptance_rate"] = _rate(_in_window(acceptance, start, end), "accepted", "shown", start, end,
                                      f"Suggestions accepted / shown, {span}")
    recent = _in_window(tasks, start, end)
    out["task_completion_rate"] = _rate(recent, "completed", "attempts", start, end,
                                        f"Task completion rate (all workflows), {span}")
    out["task_error_rate"] = _rate(recent, "failed", "attempts", start, end, f"Task error rate (all workflows), {span}")
    return out
