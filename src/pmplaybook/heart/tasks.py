"""Task success: attempts paired start -> outcome, completion and error rates, time on task, and
the release or date where task success changed."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..core import checks
from ..core.calendar import parse_duration, period_start_utc, uses_calendar, utc_midnight
from ..core.engines import local_time, seconds_between
from ..core.formatting import MISSING
from ..core.stats import add_wilson, diff_proportions
from .happiness import MIN_RESPONSES, _check_period, _day, _window_events

ALL = "(all)"


def _check_task_events(started, completed, failed):
    for arg, value in (("started", started), ("completed", completed)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{arg}={value!r}: task success needs the event names of a task's start and "
                             "completion (params events.task_started / events.task_completed). Fix: name them, "
                             "or skip task success for this team")
    if failed is not None and (not isinstance(failed, str) or not failed):
        raise ValueError(f"failed={failed!r}: expected an event name or None")


@uses_calendar
def task_attempts(events: ibis.Table, started: str, completed: str, failed: str | None = None, *,
                  workflow: str | None = "workflow", window="1d", segment: str | None = None, start=None,
                  end=None, timezone: str = "UTC", as_of=None) -> ibis.Table:
    """One row per task attempt (a ``started`` event) with its outcome, paired in the backend.

    Events of one user and one workflow are ordered by time (a start before an outcome at the same
    instant); each start is paired with the **next** event of that user and workflow:

    * a ``completed`` event within ``window`` -> ``outcome = "completed"``, ``seconds`` = time on task;
    * a ``failed`` event within ``window`` -> ``"failed"`` (``seconds`` = time to the failure);
    * anything else (another start, an outcome after ``window``, nothing while the window had ended by
      ``as_of``) -> ``"abandoned"``;
    * nothing yet while the window is still open at ``as_of`` -> ``"open"`` (left out of rates).

    ``workflow`` names the column telling which task it is (``None`` pools every workflow into one,
    "(all)", still pairing each start within its own ``workflow`` column when the log has one; a log
    without that column is one workflow). The segment value is read on the start event. ``start``
    (a local date) keeps the attempts started on or after it (all when None).

    Returns
    -------
    ibis.Table (unexecuted) with ``user_id``, ``workflow``, ``start_time`` (naive UTC), ``outcome``,
    ``seconds`` [, ``segment``].
    """
    checks.events_table(events)
    _check_task_events(started, completed, failed)
    checks.timezone(timezone)
    checks.segment(events, segment)
    span = parse_duration(window)
    names = [started, completed] + ([failed] if failed else [])
    ev, _, as_of_utc = _window_events(events, as_of, timezone)
    ev = ev.filter(ev.event.isin(names))
    # a start is paired within its own workflow even when the workflows are pooled ("(all)"): across
    # workflows, a start followed by another workflow's start would count as abandoned, and that start
    # would take the first one's outcome
    column = workflow if workflow is not None else "workflow"
    pair = ev[column].cast("string").fill_null(MISSING) if column in events.columns else ibis.literal(ALL)
    cols = dict(user_id=ev.user_id, workflow=pair if workflow is not None else ibis.literal(ALL), _pair=pair,
                timestamp=ev.timestamp, event=ev.event, _rank=(ev.event == started).ifelse(0, 1))
    if segment:
        cols["segment"] = ev[segment].cast("string").fill_null(MISSING)
    ev = ev.select(**cols)
    w = ibis.window(group_by=["user_id", "_pair"], order_by=["timestamp", "_rank"])
    ev = ev.mutate(_next=ev.event.lead().over(w), _next_t=ev.timestamp.lead().over(w))
    starts = ev.filter(ev.event == started)
    seconds = seconds_between(starts._next_t, starts.timestamp)
    in_window = starts._next_t.notnull() & (seconds <= span.total_seconds())
    open_ = starts._next.isnull() & (starts.timestamp + ibis.interval(seconds=int(span.total_seconds()))
                                     > ibis.literal(as_of_utc))
    outcome = ibis.cases(
        (in_window & (starts._next == completed), "completed"),
        (in_window & ((starts._next == failed) if failed else ibis.literal(False)), "failed"),
        (open_, "open"),
        else_="abandoned",
    )
    keep = ["user_id", "workflow"] + (["segment"] if segment else [])
    out = starts.select(*keep, start_time=starts.timestamp, outcome=outcome, _s=seconds)
    if start is not None:
        out = out.filter(out.start_time >= utc_midnight(_day(start), timezone))
    if end is not None:
        out = out.filter(out.start_time < utc_midnight(_day(end), timezone))
    ended = out.outcome.isin(["completed", "failed"])
    return out.select(*keep, "start_time", "outcome", seconds=ended.ifelse(out._s, ibis.null()).cast("float64"))


def workflow_problem(events, workflow):
    if workflow is not None and workflow not in events.columns:
        return (f"The events table has no {workflow!r} column, so all tasks are treated as one workflow "
                f"{ALL!r}. Fix: map your workflow column to {workflow!r} in params data.columns.")
    return None


def _weekly_and_daily_counts(events, started, completed, failed, *, workflow, segment, window, timezone,
                             week_start, as_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attempts, completed and failed per workflow x period [x segment], for weeks and for days: the counts
    of :func:`task_success` without its rates and times (what :func:`task_shift` reads), from one query
    (a local day lies in one local week: weekly counts are sums of daily ones)."""
    att = task_attempts(events, started, completed, failed, workflow=workflow, window=window, segment=segment,
                        timezone=timezone, as_of=as_of)
    att = att.filter(att.outcome != "open")
    keys = {"workflow": att.workflow, "week": period_start_utc(att.start_time, "week", timezone, week_start),
            "day": period_start_utc(att.start_time, "day", timezone, week_start)}
    if segment:
        keys["segment"] = att.segment
    out = att.group_by(**keys).aggregate(
        attempts=att.count(), completed=(att.outcome == "completed").cast("int64").sum(),
        failed=(att.outcome == "failed").cast("int64").sum()).execute()
    if out.empty:
        checks.require_event(events, started, "started")
    counts = ["attempts", "completed", "failed"]
    for c in counts:
        out[c] = out[c].astype("int64")
    by = ["workflow", "period"] + (["segment"] if segment else [])
    frames = []
    for period, other in (("week", "day"), ("day", "week")):
        f = out.drop(columns=other).rename(columns={period: "period"})
        f["period"] = pd.to_datetime(f["period"])
        f = f.groupby(by, as_index=False, sort=True)[counts].sum() if period == "week" else f
        frames.append(f.sort_values(by).reset_index(drop=True)[[*by, *counts]])
    return frames[0], frames[1]


@uses_calendar
def task_success(events: ibis.Table, started: str, completed: str, failed: str | None = None, *,
                 workflow: str | None = "workflow", period: str | None = None, segment: str | None = None,
                 window="1d", start=None, end=None, timezone: str = "UTC", week_start: str = "monday",
                 as_of=None) -> pd.DataFrame:
    """Task success per workflow (and period, segment): completion rate, error rate and time on task.

    Attempts come from :func:`task_attempts` (each start paired with the user's next outcome of the same
    workflow within ``window``); attempts still open at ``as_of`` are left out, and so are those started
    before ``start`` or from ``end`` on (local dates; None keeps all). Per group:

    * ``completion_rate`` = completed / attempts, ``error_rate`` = failed / attempts (Wilson intervals);
      the rest were abandoned;
    * ``median_seconds`` / ``p90_seconds``: time on task from start to completion over completed attempts
      (computed in the backend).

    No sourced benchmark range is given: compare each workflow with its own past and watch its error rate
    after a release. Counter-metric: time in the app rising while task success falls is a warning
    (confusion), not engagement (Gupta). Periods are those of the attempt's start.

    Returns
    -------
    DataFrame with ``workflow``, [``period``], [``segment``], ``attempts``, ``completed``, ``failed``,
    ``abandoned``, ``completion_rate``, ``completion_ci_low``, ``completion_ci_high``, ``error_rate``,
    ``error_ci_low``, ``error_ci_high``, ``median_seconds``, ``p90_seconds``, ``small_sample``.

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b", "b"], "workflow": "import",
    ...     "event": ["start", "done", "start", "fail"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-03 09:02", "2025-03-03 10:00", "2025-03-03 10:01"]}))
    >>> t = task_success(ev, "start", "done", "fail", as_of="2025-03-10")
    >>> t[["workflow", "attempts", "completion_rate", "error_rate", "median_seconds"]].to_dict("records")
    [{'workflow': 'import', 'attempts': 2, 'completion_rate': 0.5, 'error_rate': 0.5, 'median_seconds': 120.0}]
    """
    _check_period(period)
    att = task_attempts(events, started, completed, failed, workflow=workflow, window=window, segment=segment,
                        start=start, end=end, timezone=timezone, as_of=as_of)
    att = att.filter(att.outcome != "open")
    keys = {"workflow": att.workflow}
    if period:
        keys["period"] = period_start_utc(att.start_time, period, timezone, week_start)
    if segment:
        keys["segment"] = att.segment
    done = att.outcome == "completed"
    secs = done.ifelse(att.seconds, ibis.null())
    out = att.group_by(**keys).aggregate(
        attempts=att.count(), completed=done.cast("int64").sum(),
        failed=(att.outcome == "failed").cast("int64").sum(),
        median_seconds=secs.quantile(0.5), p90_seconds=secs.quantile(0.9)).execute()
    for c in ("attempts", "completed", "failed"):
        out[c] = out[c].astype("int64")
    out["abandoned"] = out["attempts"] - out["completed"] - out["failed"]
    if period:
        out["period"] = pd.to_datetime(out["period"])
    out = out.sort_values(list(keys)).reset_index(drop=True)
    out = add_wilson(out, "completed", "attempts", rate="completion_rate").rename(
        columns={"ci_low": "completion_ci_low", "ci_high": "completion_ci_high"})
    out = add_wilson(out, "failed", "attempts", rate="error_rate").rename(
        columns={"ci_low": "error_ci_low", "ci_high": "error_ci_high"})
    out["small_sample"] = out["attempts"] < MIN_RESPONSES
    for c in ("median_seconds", "p90_seconds"):
        out[c] = out[c].astype("float64")
    if out.empty:
        checks.require_event(events, started, "started")
    return out[[*keys, "attempts", "completed", "failed", "abandoned", "completion_rate", "completion_ci_low",
                "completion_ci_high", "error_rate", "error_ci_low", "error_ci_high", "median_seconds",
                "p90_seconds", "small_sample"]]


@uses_calendar
def task_change(events: ibis.Table, started: str, completed: str, failed: str | None = None, *, date,
                workflow: str | None = "workflow", segment: str | None = None, span=None, window="1d",
                timezone: str = "UTC", as_of=None) -> pd.DataFrame:
    """Task success before and after a date (a release), per workflow [and segment], with significance.

    Before = attempts started in [date - span, date), after = [date, date + span) (local dates; ``span``
    None = everything on each side). For completion and error rates: the two rates, the difference
    (after - before) with Newcombe's interval and a z test (:func:`pmplaybook.core.stats.diff_proportions`);
    ``significant`` when the interval excludes 0. Also the median time on task before and after.

    Returns
    -------
    DataFrame with ``workflow``, [``segment``], ``metric`` ("completion_rate" / "error_rate"),
    ``attempts_before``, ``attempts_after``, ``before``, ``after``, ``diff``, ``ci_low``, ``ci_high``,
    ``p_value``, ``significant``, ``small_sample``, ``median_seconds_before``, ``median_seconds_after``.
    """
    try:
        day = pd.Timestamp(date).normalize()
    except (ValueError, TypeError):
        raise ValueError(f"date={date!r} is not a date. Fix: pass 'YYYY-MM-DD' (e.g. a release date)") from None
    att = task_attempts(events, started, completed, failed, workflow=workflow, window=window, segment=segment,
                        timezone=timezone, as_of=as_of)
    att = att.filter(att.outcome != "open")
    cut = utc_midnight(day, timezone)
    if span is not None:
        d = parse_duration(span)
        att = att.filter((att.start_time >= utc_midnight(day - d, timezone))
                         & (att.start_time < utc_midnight(day + d, timezone)))
    keys = ["workflow"] + (["segment"] if segment else [])
    done = att.outcome == "completed"
    agg = att.group_by([*keys, (att.start_time >= cut).name("after")]).aggregate(
        attempts=att.count(), completed=done.cast("int64").sum(),
        failed=(att.outcome == "failed").cast("int64").sum(),
        median_seconds=done.ifelse(att.seconds, ibis.null()).quantile(0.5)).execute()
    rows = []
    for key, g in agg.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        b = g[~g["after"].astype(bool)]
        a = g[g["after"].astype(bool)]
        if b.empty or a.empty:
            continue
        b, a = b.iloc[0], a.iloc[0]
        for metric, col in (("completion_rate", "completed"), ("error_rate", "failed")):
            r = diff_proportions(int(a[col]), int(a["attempts"]), int(b[col]), int(b["attempts"]))
            rows.append(dict(zip(keys, key), metric=metric, attempts_before=int(b["attempts"]),
                             attempts_after=int(a["attempts"]), before=r["p2"], after=r["p1"], diff=r["diff"],
                             ci_low=r["ci_low"], ci_high=r["ci_high"], p_value=r["p_value"],
                             significant=r["significant"], small_sample=r["small_sample"],
                             median_seconds_before=float(b["median_seconds"]),
                             median_seconds_after=float(a["median_seconds"])))
    cols = [*keys, "metric", "attempts_before", "attempts_after", "before", "after", "diff", "ci_low", "ci_high",
            "p_value", "significant", "small_sample", "median_seconds_before", "median_seconds_after"]
    return pd.DataFrame(rows, columns=cols)


@uses_calendar
def task_shift(events: ibis.Table, started: str, completed: str, failed: str | None = None, *,
               workflow: str | None = "workflow", segment: str | None = None, window="1d", min_weeks: int = 4,
               timezone: str = "UTC", week_start: str = "monday", as_of=None,
               alpha: float = 0.001, release: bool = True) -> pd.DataFrame:
    """Find when task success changed: the workflow [x segment value] and date of the largest significant
    shift in error or completion rate.

    For every workflow (and segment value), weekly attempt counts are split at every week boundary leaving
    at least ``min_weeks`` weeks on each side; the split whose before/after rates differ most (largest
    |z| of the two-proportion test) is the candidate change point. Because many splits are tried, a
    candidate counts as ``significant`` only when its p-value is below ``alpha`` (default 0.001, far
    stricter than 0.05) **and** the interval of the difference excludes 0. The week found is then refined to
    the day: within the week before and after it, the daily split with the largest |z|.

    When the log has an ``app_version`` column, ``release`` names the version first seen in that
    workflow's attempts closest to the change date (the likely culprit); ``release=False`` leaves it None
    (faster, when only the change points matter).

    Returns
    -------
    DataFrame, one row per workflow [x segment] x metric, sorted by |z| descending: ``workflow``,
    [``segment``], ``metric``, ``date`` (first local day of the "after" side), ``before``, ``after``,
    ``diff``, ``ci_low``, ``ci_high``, ``z``, ``p_value``, ``significant``, ``attempts_before``,
    ``attempts_after``, ``release``.
    """
    weekly, daily = _weekly_and_daily_counts(events, started, completed, failed, workflow=workflow, segment=segment,
                                             window=window, timezone=timezone, week_start=week_start, as_of=as_of)
    keys = ["workflow"] + (["segment"] if segment else [])
    metrics = [("error_rate", "failed")] if failed else []
    metrics.append(("completion_rate", "completed"))
    rows = _change_points(weekly, daily, keys, metrics, "attempts", min_weeks, alpha)
    cols = [*keys, "metric", "date", "before", "after", "diff", "ci_low", "ci_high", "z", "p_value",
            "significant", "attempts_before", "attempts_after", "release"]
    out = pd.DataFrame(rows, columns=cols[:-1])
    out["release"] = None
    if out.empty:
        return out[cols]
    # a completion rate often mirrors the error rate (same |z|): on a tie, name the error rate
    out["_z"] = out["z"].abs().round(6)
    out["_m"] = (out["metric"] != "error_rate").astype(int)
    out = out.sort_values(["_z", "_m"], ascending=[False, True], kind="stable").reset_index(drop=True)
    if release and "app_version" in events.columns:
        out["release"] = _releases_near(events, started, workflow, out, segment, timezone, as_of)
    return out[cols]


@uses_calendar
def task_time_shift(events: ibis.Table, started: str, completed: str, failed: str | None = None, *,
                    workflow: str | None = "workflow", segment: str | None = None, window="1d", min_weeks: int = 4,
                    min_change: float = 0.2, timezone: str = "UTC", week_start: str = "monday", as_of=None,
                    alpha: float = 0.001, release: bool = True) -> pd.DataFrame:
    """Find when time on task changed: per workflow [x segment value], the date where the median time from
    start to completion moved most, and whether that is more than noise.

    A completed attempt is *slow* when it took longer than the median time of all completed attempts of its
    workflow [and segment value]. If time on task did not change, the share of slow attempts is the same
    on both sides of any date (Mood's median test); so, as :func:`task_shift` does for rates, the weekly
    counts are split at every week boundary (``min_weeks`` weeks on each side at least), the split with the
    largest |z| of the two-proportion test on the slow share is kept and refined to the day. A change is
    ``significant`` when its p-value is below ``alpha`` (many splits are tried), the interval of the
    difference excludes 0, **and** the median moved by at least ``min_change`` of its earlier value (20%
    by default: on thousands of attempts a two-second drift is "significant" and not worth anyone's time).
    ``release`` names the app version first seen closest to the date, as in :func:`task_shift`.

    Returns
    -------
    DataFrame, one row per workflow [x segment], sorted by |z| descending: ``workflow``, [``segment``],
    ``date`` (first local day after), ``median_before``, ``median_after`` (seconds), ``change``
    (median_after / median_before - 1), ``slow_before``, ``slow_after`` (shares slower than the group's
    median), ``diff`` (after - before), ``ci_low``, ``ci_high``, ``z``, ``p_value``, ``significant``,
    ``completed_before``, ``completed_after``, ``release``.

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> rows = []
    >>> for week in range(8):  # 8 weeks, 10 imports a week; from the fifth week each takes 3 min, not 1
    ...     for i in range(10):
    ...         t = pd.Timestamp("2025-03-03 09:00") + pd.Timedelta(weeks=week, hours=i)
    ...         rows += [("u", t, "start"), ("u", t + pd.Timedelta(minutes=1 if week < 4 else 3), "done")]
    >>> ev = load_events(pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]))
    >>> r = task_time_shift(ev, "start", "done", as_of="2025-04-28").iloc[0]
    >>> str(r.date.date()), float(r.median_before), float(r.median_after), bool(r.significant)
    ('2025-03-31', 60.0, 180.0, True)
    """
    checks.choice("week_start", week_start, ("monday", "sunday"))
    att = task_attempts(events, started, completed, failed, workflow=workflow, window=window, segment=segment,
                        timezone=timezone, as_of=as_of)
    att = att.filter(att.outcome == "completed")
    keys = ["workflow"] + (["segment"] if segment else [])
    cols = [*keys, "date", "median_before", "median_after", "change", "slow_before", "slow_after", "diff", "ci_low",
            "ci_high", "z", "p_value", "significant", "completed_before", "completed_after", "release"]
    med = att.group_by(keys).aggregate(_median=att.seconds.quantile(0.5))
    j = att.join(med, keys)
    grouped = {k: j[k] for k in keys}
    grouped["week"] = period_start_utc(j.start_time, "week", timezone, week_start)
    grouped["day"] = period_start_utc(j.start_time, "day", timezone, week_start)
    counts = j.group_by(**grouped).aggregate(completed=j.count(),
                                             slow=(j.seconds > j._median).cast("int64").sum()).execute()
    if counts.empty:
        checks.require_event(events, started, "started")
        return pd.DataFrame(columns=cols)
    for c in ("completed", "slow"):
        counts[c] = counts[c].astype("int64")
    frames = []
    for period, other in (("week", "day"), ("day", "week")):
        f = counts.drop(columns=other).rename(columns={period: "period"})
        f["period"] = pd.to_datetime(f["period"])
        f = f.groupby([*keys, "period"], as_index=False, sort=True)[["completed", "slow"]].sum()
        frames.append(f)
    rows = _change_points(frames[0], frames[1], keys, [("slow_share", "slow")], "completed", min_weeks, alpha)
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(rows).drop(columns="metric").rename(columns={
        "before": "slow_before", "after": "slow_after", "attempts_before": "completed_before",
        "attempts_after": "completed_after"})
    # the medians on each side of each group's own date, in one query
    cuts = out[keys].copy()
    cuts["_cut"] = [utc_midnight(pd.Timestamp(d), timezone) for d in out["date"]]
    cuts["_cut"] = pd.to_datetime(cuts["_cut"]).astype("datetime64[us]")
    c = ibis.memtable(cuts)
    jj = att.join(c, keys)
    sides = jj.group_by([*keys, (jj.start_time >= jj._cut).name("_after")]).aggregate(
        _m=jj.seconds.quantile(0.5)).execute()
    sides["_after"] = sides["_after"].astype(bool)
    for name, flag in (("median_before", False), ("median_after", True)):
        side = sides[sides["_after"] == flag].drop(columns="_after").rename(columns={"_m": name})
        out = out.merge(side, on=keys, how="left")
        out[name] = out[name].astype("float64")
    out["change"] = out["median_after"] / out["median_before"] - 1
    out["significant"] = out["significant"] & (out["change"].abs() >= min_change)
    out["release"] = None
    out["_z"] = out["z"].abs().round(6)
    out = out.sort_values("_z", ascending=False, kind="stable").reset_index(drop=True)
    if release and "app_version" in events.columns and out["significant"].any():
        out["release"] = _releases_near(events, started, workflow, out, segment, timezone, as_of)
    return out[cols]


def _change_points(weekly: pd.DataFrame, daily: pd.DataFrame, keys: list, metrics: list, n: str, min_weeks: int,
                   alpha: float) -> list[dict]:
    """Per group of ``keys`` and per ``(metric, successes column)``: the week split with the largest |z|
    (at least ``min_weeks`` weeks on each side), refined to the day, with the before/after rates of
    ``successes / n`` and the test of their difference (``significant`` needs p < ``alpha``)."""
    rows = []
    for key, g in weekly.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        g = g.sort_values("period").reset_index(drop=True)
        if len(g) < 2 * min_weeks:
            continue
        d = daily
        for k, v in zip(keys, key):
            d = d[d[k] == v]
        d = d.sort_values("period")
        periods = d["period"].to_numpy()
        for metric, col in metrics:
            best = _best_split(g["period"], g[col].to_numpy(), g[n].to_numpy(), min_weeks)
            if best is None:
                continue
            week = best
            # the day of the change: of the days within a week of it, the split with the largest |z| (one
            # row per day, sorted: the days before a candidate are a prefix)
            near = np.flatnonzero((periods >= (week - pd.Timedelta(days=7)).to_datetime64())
                                  & (periods <= (week + pd.Timedelta(days=7)).to_datetime64()))
            day = week
            if len(near):
                cs = np.concatenate([[0], np.cumsum(d[col].to_numpy())])
                cn = np.concatenate([[0], np.cumsum(d[n].to_numpy())])
                z = _abs_z(cs[-1] - cs[near], cn[-1] - cn[near], cs[near], cn[near])
                if not np.isnan(z).all():
                    day = pd.Timestamp(periods[near[np.nanargmax(z)]])
            before, after = d[d["period"] < day], d[d["period"] >= day]
            r = diff_proportions(int(after[col].sum()), int(after[n].sum()),
                                 int(before[col].sum()), int(before[n].sum()))
            rows.append(dict(zip(keys, key), metric=metric, date=pd.Timestamp(day), before=r["p2"], after=r["p1"],
                             diff=r["diff"], ci_low=r["ci_low"], ci_high=r["ci_high"], z=r["z"],
                             p_value=r["p_value"], significant=bool(r["significant"] and r["p_value"] < alpha),
                             attempts_before=int(before[n].sum()), attempts_after=int(after[n].sum())))
    return rows


def _abs_z(s_a, n_a, s_b, n_b) -> np.ndarray:
    """``|z|`` of :func:`~pmplaybook.core.stats.diff_proportions` (after = a, before = b) element-wise, by
    the same arithmetic; NaN where a side has no attempts."""
    s_a, n_a, s_b, n_b = (np.asarray(x, dtype="int64") for x in (s_a, n_a, s_b, n_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = s_a / n_a - s_b / n_b
        pooled = (s_a + s_b) / (n_a + n_b)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
        z = np.where(se > 0, diff / se, 0.0)
    return np.where((n_a > 0) & (n_b > 0), np.abs(z), np.nan)


def _best_split(periods: pd.Series, successes: np.ndarray, n: np.ndarray, min_side: int):
    """The first period of the "after" side of the split (at least ``min_side`` periods on each side) with
    the largest |z|, the earliest on a tie; None when no split has attempts on both sides."""
    cs, cn = np.cumsum(successes), np.cumsum(n)
    at = np.arange(min_side, len(n) - min_side + 1)
    if not len(at):
        return None
    s_b, n_b = cs[at - 1], cn[at - 1]
    z = _abs_z(cs[-1] - s_b, cn[-1] - n_b, s_b, n_b)
    if np.isnan(z).all():
        return None
    return pd.Timestamp(periods.iloc[at[np.nanargmax(z)]])


def _releases_near(events, started, workflow, shift, segment, timezone, as_of) -> list:
    """:func:`_release_near` of every significant row of ``shift`` (None for the others), from one query:
    the first local time of each version per workflow [and segment value]."""
    has_wf = workflow is not None and workflow in events.columns
    significant = shift["significant"].astype(bool)
    if not significant.any():
        return [None] * len(shift)
    if has_wf and (shift.loc[significant, "workflow"] == ALL).any():  # a workflow literally named "(all)"
        return [_release_near(events, started, workflow, r, segment, timezone, as_of) if r["significant"] else None
                for _, r in shift.iterrows()]
    ev, _, _ = _window_events(events, as_of, timezone)
    ev = ev.filter((ev.event == started) & ev.app_version.notnull())
    keys = {"version": ev.app_version.cast("string")}
    if has_wf:
        keys["_workflow"] = ev[workflow].cast("string")
    if segment:
        keys["_segment"] = ev[segment].cast("string").fill_null(MISSING)
    first = ev.group_by(**keys).aggregate(first=local_time(ev.timestamp.min(), timezone)).execute()
    out = []
    for _, row in shift.iterrows():
        f = first
        if has_wf:  # every key but the version is filtered on: one row per version is left
            f = f[f["_workflow"] == row["workflow"]]
        if segment:
            f = f[f["_segment"] == row["segment"]]
        if not row["significant"] or f.empty:
            out.append(None)
            continue
        f = f[["version", "first"]].copy()
        f["gap"] = (pd.to_datetime(f["first"]) - pd.Timestamp(row["date"])).abs()
        out.append(str(f.sort_values("gap").iloc[0]["version"]))
    return out


def _release_near(events, started, workflow, row, segment, timezone, as_of):
    """The app_version first seen (on ``started`` events of the row's workflow/segment) closest to the date."""
    ev, _, _ = _window_events(events, as_of, timezone)
    ev = ev.filter((ev.event == started) & ev.app_version.notnull())
    if workflow is not None and workflow in ev.columns and row["workflow"] != ALL:
        ev = ev.filter(ev[workflow].cast("string") == row["workflow"])
    if segment and "segment" in row:
        ev = ev.filter(ev[segment].cast("string").fill_null(MISSING) == row["segment"])
    first = ev.group_by(version=ev.app_version.cast("string")).aggregate(
        first=local_time(ev.timestamp.min(), timezone)).execute()
    if first.empty:
        return None
    first["gap"] = (pd.to_datetime(first["first"]) - pd.Timestamp(row["date"])).abs()
    return str(first.sort_values("gap").iloc[0]["version"])


def task_segment(ds, *, started: str | None = None) -> str | None:
    """The params segment that best separates task success: the one whose :func:`task_shift` finds the
    strongest significant change (None when no segment column helps or there are no task events)."""
    params, events, calendar = ds.params, ds.events, ds.calendar
    roles = params.events
    started = started or roles.task_started
    if not (started and roles.task_completed):
        return None
    best, best_z = None, -1.0
    overall = task_shift(events, started, roles.task_completed, roles.task_failed, calendar=calendar, release=False)
    if len(overall) and overall["significant"].any():
        best_z = float(overall.loc[overall["significant"], "z"].abs().max())
    for column in params.segments:
        if column not in events.columns:
            continue
        s = task_shift(events, started, roles.task_completed, roles.task_failed, segment=column, calendar=calendar,
                       release=False)
        if len(s) and s["significant"].any():
            z = float(s.loc[s["significant"], "z"].abs().max())
            if z > best_z:
                best, best_z = column, z
    return best


def task_gaps(table: pd.DataFrame) -> pd.DataFrame:
    """Each workflow x segment value's error rate against the same workflow's other segment values (a
    workflow against all other workflows when the table has no segment), from :func:`task_success` without
    ``period`` (e.g. over a recent window with ``start``).

    ``diff`` = error rate - the rest's, with Newcombe's interval; ``significant`` when it excludes 0;
    ``excess`` = attempts x diff, the failures beyond the rest's rate. Sorted by ``excess`` descending.

    >>> t = pd.DataFrame({"workflow": "import", "segment": ["web", "ios"], "attempts": [1000, 500],
    ...                   "failed": [260, 40]})
    >>> g = task_gaps(t).iloc[0]
    >>> g.segment, float(g.error_rate), float(g.rest_rate), round(float(g.excess)), bool(g.significant)
    ('web', 0.26, 0.08, 180, True)
    """
    cols = ["workflow", "segment", "attempts", "failed", "error_rate", "rest_attempts", "rest_rate", "diff",
            "ci_low", "ci_high", "significant", "excess"]
    if table is None or table.empty:
        return pd.DataFrame(columns=cols)
    by_segment = "segment" in table.columns
    rows = []
    for _, r in table.iterrows():
        rest = table[(table["workflow"] == r["workflow"]) & (table["segment"] != r["segment"])] if by_segment \
            else table[table["workflow"] != r["workflow"]]
        n, f = int(r["attempts"]), int(r["failed"])
        rn, rf = int(rest["attempts"].sum()), int(rest["failed"].sum())
        if not n or not rn:
            continue
        d = diff_proportions(f, n, rf, rn)
        rows.append(dict(workflow=r["workflow"], segment=r["segment"] if by_segment else None, attempts=n, failed=f,
                         error_rate=f / n, rest_attempts=rn, rest_rate=rf / rn, diff=d["diff"], ci_low=d["ci_low"],
                         ci_high=d["ci_high"], significant=bool(d["significant"]), excess=n * d["diff"]))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("excess", ascending=False, kind="stable").reset_index(drop=True)


def top_change(shift: pd.DataFrame | None) -> dict | None:
    """The strongest significant row of :func:`task_shift` as a dict, or None."""
    if shift is None or shift.empty or not shift["significant"].any():
        return None
    return shift[shift["significant"]].iloc[0].to_dict()


def only(events: ibis.Table, change: dict | None, workflow: str = "workflow") -> ibis.Table:
    """The events of the workflow named in ``change`` (from :func:`top_change`); all events when None or
    when the log has no workflow column."""
    if not change or workflow not in events.columns or change.get("workflow") == ALL:
        return events
    return events.filter(events[workflow].cast("string") == change["workflow"])


def change_view(before_after: pd.DataFrame, change: dict | None) -> pd.DataFrame:
    """The rows of :func:`task_change` for the workflow of ``change``, with the columns a reader needs: the
    two rates as ``rate_before`` / ``rate_after`` (so a people table shows them as percentages, the
    difference and its interval in points) and the median time on task on each side."""
    t = before_after
    if change:
        t = t[t["workflow"] == change["workflow"]]
    cols = [c for c in ("workflow", "segment", "metric", "attempts_before", "attempts_after", "before", "after",
                        "diff", "ci_low", "ci_high", "significant", "median_seconds_before", "median_seconds_after")
            if c in t.columns]
    return t[cols].rename(columns={"before": "rate_before", "after": "rate_after"}).reset_index(drop=True)
