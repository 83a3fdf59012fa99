"""The registry: every metric name a params file may use, mapped to the function that computes it.

Names and units live in :mod:`pmplaybook.config.vocabulary` (the params model checks them); this module
holds how each one is computed from a team's :class:`~pmplaybook.data.Dataset`, by calling the metric
packages:

- :data:`HEART_VALUES`: a HEART goals-signals-metrics name -> a function returning the metric's value over
  the trailing window (``value``, ``unit``, ``ci_low``, ``ci_high``, ``note``); :func:`metric_value` and
  :func:`goals_signals_metrics` (the team's HEART table) use it.
- :data:`INPUT_SERIES`: a metric-tree input or guardrail name -> a function returning its weekly
  ``numerator`` and ``denominator``; :func:`input_series` and :func:`metric_tree` (the North Star, its
  inputs and its guardrail) use it.

A metric the team's data cannot support (no survey table, no task events) gets a NaN value and a note
saying why, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from .config import check_heart_metric, check_input_name
from .config.vocabulary import HEART, INPUTS
from .core.calendar import parse_duration, period_index, period_start, utc_midnight
from .core.stats import wilson_interval
from .data import Dataset, has_event
from .heart import (
    MIN_RESPONSES,
    active_retention,
    ces,
    csat,
    engagement,
    feature_adoption,
    has_survey,
    new_user_retention,
    new_users,
    nps,
    pooled_rate,
    suggestion_acceptance,
    task_success,
)
from .north_star import candidate_series, complete_periods, default_inputs, trend, weekly_counts
from .retention import activated_users, cohort_retention

NAN = float("nan")
GSM_COLUMNS = ["category", "goal", "signal", "metric", "value", "unit", "ci_low", "ci_high", "note"]
TREE_COLUMNS = ["role", "metric", "label", "unit", "higher_is_better", "current", "previous", "change", "ci_low",
                "ci_high", "significant", "direction", "status", "note"]


def _params(ds: Dataset):
    if ds.params is None:
        raise ValueError("this needs the team's params, and the dataset has none. Fix: build it with "
                         "pmplaybook.data.connect(params)")
    return ds.params


# --------------------------------------------------------------------------------------- HEART values


@dataclass(frozen=True)
class Window:
    """The trailing window a HEART value is computed over: local start, ``as_of`` and the UTC start."""

    start: pd.Timestamp
    as_of: pd.Timestamp
    start_utc: pd.Timestamp

    @classmethod
    def before(cls, ds: Dataset, window) -> Window:
        as_of = pd.Timestamp(ds.as_of)
        start = as_of - pd.Timedelta(parse_duration(window))
        return cls(start, as_of, utc_midnight(start.normalize(), ds.timezone))

    @property
    def text(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.as_of - pd.Timedelta(days=1):%Y-%m-%d}"

    def events(self, ds: Dataset) -> ibis.Table:
        return ds.events.filter(ds.events.timestamp >= self.start_utc)


def _result(value, unit, low=NAN, high=NAN, note="") -> dict:
    return dict(value=float(value) if value is not None else NAN, unit=unit, ci_low=float(low),
                ci_high=float(high), note=note)


def _missing(unit, why) -> dict:
    return _result(NAN, unit, note=why)


def _survey_value(ds: Dataset, name: str, arg: str, w: Window) -> dict:
    unit = HEART[name]["unit"]
    if not has_survey(ds.surveys, name):
        return _missing(unit, f"no {name.upper()} answers in this dataset's survey table")
    answers = ds.surveys.filter(ds.surveys.timestamp >= w.start_utc)
    table = {"nps": nps, "csat": csat, "ces": ces}[name](answers, timezone=ds.timezone, as_of=w.as_of)
    if table.empty:
        return _missing(unit, f"no {name.upper()} answers from {w.text}")
    row = table.iloc[0]
    note = f"{int(row['responses']):,} answers, {w.text}"
    if row["small_sample"]:
        note += f"; fewer than {MIN_RESPONSES} answers: too few to read"
    return _result(row[name], unit, row["ci_low"], row["ci_high"], note)


def _engagement_value(ds: Dataset, name: str, arg: str, w: Window) -> dict:
    unit = HEART[name]["unit"]
    roles = _params(ds).events
    if name == "events_per_session" and "session_id" not in ds.events.columns:
        return _missing(unit, "the events table has no session_id column")
    key_action = roles.core_action if name == "key_actions_per_active_user" else None
    if name == "key_actions_per_active_user" and not key_action:
        return _missing(unit, "the params name no events.core_action")
    t = engagement(w.events(ds), key_action=key_action, period="week", timezone=ds.timezone,
                   week_start=ds.week_start, as_of=w.as_of)
    t = t[t["complete"] & (t["period"] >= w.start)]
    if t.empty:
        return _missing(unit, f"no complete week between {w.text}")
    weeks = f"mean of {len(t)} complete weeks, {w.text}"
    if name == "key_actions_per_active_user":
        return _result(t["key_actions"].sum() / t["active_users"].sum(), unit,
                       note=f"{key_action} per weekly active user, {weeks}")
    if name == "active_days_per_week":
        return _result(t["active_days_per_active_user"].mul(t["active_users"]).sum() / t["active_users"].sum(),
                       unit, note=weeks)
    if name == "events_per_session":
        return _result(t["events_per_session"].mean(), unit, note=weeks)
    s, m = int(t["five_day_users"].sum()), int(t["active_users"].sum())
    low, high = wilson_interval(s, m)
    return _result(s / m, unit, low, high, note=f"{s:,} of {m:,} weekly active user-weeks, {weeks}")


def _new_users_value(ds: Dataset, name: str, arg: str, w: Window) -> dict:
    unit = HEART[name]["unit"]
    signup = _params(ds).events.signup
    t = new_users(ds.events, period="week", signup_event=signup, timezone=ds.timezone, week_start=ds.week_start,
                  as_of=w.as_of)
    t = t[t["complete"] & (t["period"] >= w.start)]
    if t.empty:
        return _missing(unit, f"no complete week between {w.text}")
    return _result(t["new_users"].mean(), unit, note=f"{signup} events, {len(t)} weeks")


def _feature_value(ds: Dataset, name: str, arg: str, w: Window) -> dict:
    unit = "share"
    launched = next((f.launched for f in _params(ds).events.features if f.event == arg), None)
    if not has_event(ds.events, arg):
        return _missing(unit, f"event {arg!r} never occurs in the data")
    t = feature_adoption(ds.events, arg, launched=launched, period="week", timezone=ds.timezone, week_start=ds.week_start,
                         as_of=w.as_of)
    if name == "feature_adoption":
        last = t.iloc[-1]
        return _result(last["cumulative_rate"], unit, last["cumulative_ci_low"], last["cumulative_ci_high"],
                       note=f"{int(last['cumulative_adopters']):,} of {int(last['cumulative_active']):,} users "
                            f"active since launch ({t['period'].iloc[0]:%Y-%m-%d})")
    done = t[t["complete"]]
    if done.empty:
        return _missing(unit, "no complete week since launch")
    last = done.iloc[-1]
    low, high = wilson_interval(int(last["feature_users"]), int(last["active_users"]))
    return _result(last["usage_rate"], unit, low, high, note=f"week of {last['period']:%Y-%m-%d}")


def _acceptance_value(ds: Dataset, name: str, arg: str, w: Window) -> dict:
    shown, _, accepted = (part.strip() for part in arg.partition(","))
    if not has_event(ds.events, shown):
        return _missing("share", f"event {shown!r} never occurs in the data")
    row = suggestion_acceptance(w.events(ds), shown, accepted, timezone=ds.timezone, as_of=w.as_of).iloc[0]
    return _result(row["acceptance_rate"], "share", row["acceptance_ci_low"], row["acceptance_ci_high"],
                   note=f"{int(row['accepted']):,} of {int(row['shown']):,} shown, {w.text}")


def _retention_value(ds: Dataset, name: str, arg: str, w: Window) -> dict:
    match = re.fullmatch(r"week(\d+)_(active_)?retention", name)
    k = int(match.group(1))
    if match.group(2):
        t = active_retention(ds.events, k=k, period="week", event=None, segment=None, timezone=ds.timezone,
                             week_start=ds.week_start, as_of=w.as_of)
        what = f"users active in a week and again {k} weeks later"
    else:
        signup = _params(ds).events.signup
        signup = signup if has_event(ds.events, signup) else None
        t = new_user_retention(ds.events, k=k, period="week", signup_event=signup, segment=None, timezone=ds.timezone,
                               week_start=ds.week_start, as_of=w.as_of)
        what = f"new users (weekly sign-up cohorts) active in week {k}"
    t = t[pd.to_datetime(t["cohort"]) >= w.start - pd.Timedelta(weeks=k + 1)]
    if t.empty:
        return _missing("share", f"no cohort complete at week {k} in the window")
    p = pooled_rate(t)
    return _result(p["rate"], "share", p["ci_low"], p["ci_high"],
                   note=f"{p['successes']:,} of {p['n']:,} {what}; {len(t)} weekly cohorts")


def _task_value(ds: Dataset, name: str, arg: str, w: Window) -> dict:
    unit = HEART[name]["unit"]
    roles = _params(ds).events
    if not (roles.task_started and roles.task_completed):
        return _missing(unit, "the params name no task events (events.task_started / task_completed)")
    if name == "task_error_rate" and not roles.task_failed:
        return _missing(unit, "the params name no events.task_failed")
    workflow = "workflow" if "workflow" in ds.events.columns else None
    if arg and workflow is None:
        return _missing(unit, f"the events table has no 'workflow' column to pick {arg!r} from")
    t = task_success(w.events(ds), roles.task_started, roles.task_completed, roles.task_failed, workflow=workflow,
                     period=None, segment=None, timezone=ds.timezone, as_of=w.as_of)
    if arg:
        if arg not in set(t["workflow"]):
            raise ValueError(f"{name}:{arg}: no workflow {arg!r} in the data (workflows: "
                             f"{', '.join(sorted(map(str, t['workflow'])))}). Fix: correct the name")
        t = t[t["workflow"] == arg]
    n = int(t["attempts"].sum())
    if n == 0:
        return _missing(unit, f"no task attempts from {w.text}")
    note = f"{n:,} attempts{' of ' + arg if arg else ''}, {w.text}"
    if name == "time_on_task":
        if len(t) != 1:
            return _missing(unit, "name one workflow, e.g. 'time_on_task:import_tasks' (medians do not add up)")
        return _result(t["median_seconds"].iloc[0], unit, note=note + f"; p90 {t['p90_seconds'].iloc[0]:.0f} s")
    s = int(t["completed" if name == "task_completion_rate" else "failed"].sum())
    low, high = wilson_interval(s, n)
    return _result(s / n, unit, low, high, note)


#: HEART metric name (as in ``vocabulary.HEART``) -> ``f(ds, name, argument, window) -> dict``.
HEART_VALUES = {
    "nps": _survey_value, "csat": _survey_value, "ces": _survey_value,
    "key_actions_per_active_user": _engagement_value, "active_days_per_week": _engagement_value,
    "five_day_share": _engagement_value, "events_per_session": _engagement_value,
    "new_users_per_week": _new_users_value,
    "feature_adoption": _feature_value, "feature_usage": _feature_value,
    "acceptance_rate": _acceptance_value,
    "week<N>_retention": _retention_value, "week<N>_active_retention": _retention_value,
    "task_completion_rate": _task_value, "task_error_rate": _task_value, "time_on_task": _task_value,
}


def _heart_key(name: str) -> str:
    match = re.fullmatch(r"week\d+_(active_)?retention", name)
    return f"week<N>_{'active_' if match.group(1) else ''}retention" if match else name


def metric_value(metric: str, ds: Dataset, *, window="90d", key: str = "metric") -> dict:
    """Compute one HEART metric of the vocabulary on a dataset, over the ``window`` before ``as_of``.

    Returns a dict with ``value``, ``unit``, ``ci_low``, ``ci_high``, ``note`` (what was computed, or why
    it could not be: then ``value`` is NaN). An unknown name raises ``ValueError`` naming ``key`` (e.g.
    ``heart.2.metric``) and the vocabulary.

    >>> from pmplaybook import config, data
    >>> r = metric_value("csat", data.connect(config.load_params("monetization")))
    >>> r["unit"], 0 < r["value"] < 1
    ('share', True)
    """
    try:
        metric = check_heart_metric(metric)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None
    name, _, arg = metric.partition(":")
    return HEART_VALUES[_heart_key(name)](ds, name, arg, Window.before(ds, window))


def goals_signals_metrics(ds: Dataset, *, window="90d") -> pd.DataFrame:
    """The team's HEART goals -> signals -> metrics table (params ``heart``), each metric computed on the data.

    Rodden et al. (2010): agree the **goals** first, then the **signals** (behaviours or attitudes that
    show success or failure, in logs or surveys), then **metrics** that normalise them (ratios, per-user
    averages) so they can be tracked. A metric the data cannot support gets a NaN value and a note.

    Returns
    -------
    DataFrame with ``category``, ``goal``, ``signal``, ``metric``, ``value``, ``unit``, ``ci_low``,
    ``ci_high``, ``note`` (one row per params row, in params order).
    """
    rows = []
    for i, row in enumerate(_params(ds).heart):
        r = metric_value(row.metric, ds, window=window, key=f"heart.{i}.metric")
        rows.append(dict(category=row.category, goal=row.goal, signal=row.signal, metric=row.metric, **r))
    return pd.DataFrame(rows, columns=GSM_COLUMNS)


# ------------------------------------------------------------------------------- metric-tree inputs


@dataclass(frozen=True)
class _Weeks:
    """What every input series needs: the dataset, its complete weeks, and ``as_of`` in both clocks."""

    ds: Dataset
    frame: pd.DataFrame  # one row per complete week index (``_p``)
    as_of: pd.Timestamp
    as_of_utc: pd.Timestamp

    def index(self, starts) -> pd.Index:
        return pd.Index([period_index(p, "week", self.ds.week_start) for p in starts], name="_p")


def _activation_rate(w: _Weeks) -> pd.DataFrame:
    ds, e = w.ds, w.ds.params.events
    users = activated_users(ds.events, signup_event=e.signup, rule=e.activation, as_of=ds.as_of, timezone=ds.timezone)
    users = users.filter(users.window_complete)
    users = users.mutate(_p=ds.calendar.period_index(users.signup_time, "week"))
    got = users.group_by("_p").aggregate(numerator=users.activated.cast("int64").sum(),
                                         denominator=users.count()).execute().set_index("_p")
    # a week counts only once every sign-up in it has had its whole activation window
    last_ok = period_index(w.as_of - pd.Timedelta(days=e.activation.within_days), "week", ds.week_start) - 1
    return w.frame.join(got).loc[lambda f: f.index <= last_ok]


def _week4_retention(w: _Weeks) -> pd.DataFrame:
    ds = w.ds
    t = cohort_retention(ds.events, period="week", cohort_event=ds.params.events.signup, periods=4, as_of=ds.as_of,
                         week_start=ds.week_start, timezone=ds.timezone)
    t = t[(t["period"] == 4) & t["complete"]]
    got = pd.DataFrame({"numerator": t["retained"].to_numpy(), "denominator": t["cohort_size"].to_numpy()},
                       index=w.index(t["cohort"]))
    return w.frame.join(got, how="inner")


def _key_actions_per_active_user(w: _Weeks) -> pd.DataFrame:
    ds = w.ds
    t = engagement(ds.events, key_action=ds.params.events.core_action, period="week", timezone=ds.timezone,
                   week_start=ds.week_start, as_of=ds.as_of)
    t = t[t["complete"]]
    got = pd.DataFrame({"numerator": t["key_actions"].to_numpy(), "denominator": t["active_users"].to_numpy()},
                       index=w.index(t["period"]))
    return w.frame.join(got)


def _weekly(w: _Weeks, predicate, distinct=None) -> pd.Series:
    ev = w.ds.events
    return weekly_counts(ev, predicate(ev), w.ds.week_start, w.ds.timezone, w.as_of_utc, distinct=distinct)


def _active_users(w: _Weeks) -> pd.Series:
    return _weekly(w, lambda ev: ev.user_id.notnull(), distinct="user_id")


def _invites_per_user(w: _Weeks) -> pd.DataFrame:
    invite = w.ds.params.events.invite_sent
    return w.frame.assign(numerator=_weekly(w, lambda ev: ev.event == invite), denominator=_active_users(w))


def _weekly_active_users(w: _Weeks) -> pd.DataFrame:
    return w.frame.assign(numerator=_active_users(w), denominator=1)


def _task_rate(w: _Weeks, outcome: str) -> pd.DataFrame:
    """Failed (or completed) / attempted tasks, attempts paired start -> outcome by
    :func:`pmplaybook.heart.task_success`; without start and completed roles, event counts."""
    ds, e = w.ds, w.ds.params.events
    if e.task_started and e.task_completed:
        t = task_success(ds.events, e.task_started, e.task_completed, e.task_failed, workflow=None, period="week",
                         timezone=ds.timezone, week_start=ds.week_start, as_of=ds.as_of)
        t = t.groupby("period", as_index=False)[[outcome, "attempts"]].sum()
        got = pd.DataFrame({"numerator": t[outcome].to_numpy(), "denominator": t["attempts"].to_numpy()},
                           index=w.index(t["period"]))
        return w.frame.join(got)
    top = e.task_failed if outcome == "failed" else e.task_completed
    attempts = [e.task_started] if e.task_started else [n for n in (e.task_completed, e.task_failed) if n]
    return w.frame.assign(numerator=_weekly(w, lambda ev: ev.event == top),
                          denominator=_weekly(w, lambda ev: ev.event.isin(attempts)))


def _paying_accounts(w: _Weeks) -> pd.DataFrame:
    ds = w.ds
    ev = ds.events
    unit = "account_id" if "account_id" in ev.columns else "user_id"
    pay = ev.filter((ev.timestamp < w.as_of_utc) & (ev.event == ds.params.events.payment))
    pay = pay.select(_a=pay[unit], _p=ds.calendar.period_index(pay.timestamp, "week")).distinct()
    # a payment in week p covers weeks p..p+4 (35 days of monthly billing): spread it, then count
    spread = ibis.union(*[pay.select("_a", _p=pay._p + i) for i in range(5)], distinct=True)
    got = spread.group_by("_p").aggregate(numerator=spread.count()).execute().set_index("_p")
    return w.frame.join(got).assign(denominator=1)


#: Metric-tree input or guardrail name (as in ``vocabulary.INPUTS``) -> ``f(weeks) -> frame`` with weekly
#: ``numerator`` and ``denominator`` indexed by week.
INPUT_SERIES = {
    "activation_rate": _activation_rate,
    "week4_retention": _week4_retention,
    "invites_per_user": _invites_per_user,
    "key_actions_per_active_user": _key_actions_per_active_user,
    "weekly_active_users": _weekly_active_users,
    "task_error_rate": lambda w: _task_rate(w, "failed"),
    "task_completion_rate": lambda w: _task_rate(w, "completed"),
    "paying_accounts": _paying_accounts,
}


def input_series(metric: str, ds: Dataset) -> pd.DataFrame:
    """A metric-tree input or guardrail per complete week (team time zone and week start).

    Definitions (``numerator / denominator`` per week):

    - ``activation_rate``: users activated by the team's rule / users who signed up that week (sign-up week
      cohorts whose activation windows have all closed). Strong: 25-40% (Koala Feedback).
    - ``week4_retention``: users of a sign-up week active in calendar week 4 after it / cohort size.
    - ``invites_per_user``: invites sent / weekly active users.
    - ``key_actions_per_active_user``: core actions / weekly active users.
    - ``weekly_active_users``: distinct users with any event.
    - ``task_error_rate``: failed / attempted tasks, ``task_completion_rate``: completed / attempted (all
      workflows pooled, by the week the attempt started).
    - ``paying_accounts``: accounts with a payment in the 35 days before the week's end.

    Returns
    -------
    DataFrame: ``period``, ``numerator``, ``denominator``, ``value``; empty when the team lacks a needed
    role (:func:`metric_tree` says so in its note). Raises ValueError for an unknown name.
    """
    metric = check_input_name(metric)
    params = _params(ds)
    if any(getattr(params.events, role) is None for role in INPUTS[metric]["needs"]):
        return pd.DataFrame(columns=["period", "numerator", "denominator", "value"])
    cal = ds.calendar.resolved(ds.events)
    weeks = complete_periods(ds.events, "week", ds.timezone, ds.week_start, cal.as_of)
    frame = pd.DataFrame(index=pd.Index(list(weeks), name="_p"))
    frame = INPUT_SERIES[metric](_Weeks(ds, frame, cal.as_of, cal.as_of_utc))
    frame = frame.fillna({"numerator": 0, "denominator": 0}).astype({"numerator": "float64", "denominator": "float64"})
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["value"] = np.where(frame["denominator"] > 0, frame["numerator"] / frame["denominator"], np.nan)
    frame = frame.reset_index()
    frame.insert(0, "period", period_start(frame["_p"], "week", ds.week_start))
    return frame[["period", "numerator", "denominator", "value"]].reset_index(drop=True)


def metric_tree(ds: Dataset, *, north_star: str | None = None, table: pd.DataFrame | None = None,
                periods: int = 4) -> pd.DataFrame:
    """The working hierarchy (PMRead): one North Star, its 2-3 inputs, one guardrail.

    ``north_star`` names a candidate (default: the team's first); ``table`` may carry its series (from
    :func:`pmplaybook.north_star.candidate_table`). Inputs are ``params.north_star.inputs`` (default, when
    the params name none: activation rate, week-4 retention and invites or core actions per active user, as
    the team's roles allow); the guardrail is ``params.north_star.guardrail`` (default ``task_error_rate``
    when the team has task events). Each gets its current value (pooled over the last ``periods`` complete
    weeks; periods of the candidate's window for the North Star) and its trend against the ``periods``
    before (:func:`pmplaybook.north_star.trend`). A metric that cannot be computed for this team keeps a
    row with ``note`` saying why.

    Returns
    -------
    DataFrame: ``role`` (north_star / input / guardrail), ``metric``, ``label``, ``unit``,
    ``higher_is_better``, ``current``, ``previous``, ``change``, ``ci_low``, ``ci_high``, ``significant``,
    ``direction``, ``status`` (better / worse / flat / n/a), ``note``.
    """
    params = _params(ds)
    cands = {c.name: c for c in params.north_star.candidates}
    rows = []
    if cands:
        name = north_star or next(iter(cands))
        if name not in cands:
            raise ValueError(f"north_star={name!r} is not one of the team's candidates ({', '.join(cands)})")
        c = cands[name]
        s = table[table["candidate"] == name] if table is not None else candidate_series(ds.events, c, timezone=ds.timezone, as_of=ds.as_of, week_start=ds.week_start)
        row = {"role": "north_star", "metric": name, "label": c.label or name, "unit": "count",
               "higher_is_better": True, "note": f"per {c.window}"}
        row.update(trend(s[["period", "value"]], unit="count", higher_is_better=True, periods=periods))
        rows.append(row)
    inputs = list(params.north_star.inputs) or default_inputs(params)
    default_note = "" if params.north_star.inputs else "default input (params name none)"
    guard = params.north_star.guardrail or ("task_error_rate" if params.events.task_failed else None)
    for role, m in [("input", m) for m in inputs] + ([("guardrail", guard)] if guard else []):
        spec = INPUTS[m]
        row = {"role": role, "metric": m, "label": spec["label"], "unit": spec["unit"],
               "higher_is_better": spec["higher_is_better"]}
        missing = [r for r in spec["needs"] if getattr(params.events, r) is None]
        row.update(trend(input_series(m, ds), unit=spec["unit"], higher_is_better=spec["higher_is_better"], periods=periods))
        row["note"] = (f"skipped: the team's params name no events.{', '.join(missing)}" if missing else
                       (default_note if role == "input" else
                        ("" if params.north_star.guardrail else "default guardrail (params name none)")))
        rows.append(row)
    return pd.DataFrame(rows, columns=TREE_COLUMNS)
