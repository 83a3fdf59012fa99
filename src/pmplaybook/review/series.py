"""KPIs as time series: any KPI of the vocabulary per complete day, week or month, with its ``n`` and 95%
interval, computed by the metric packages in the backend (only the per-period aggregates reach pandas).

Each KPI is a ratio of two counts per period (``numerator / denominator``), so periods and segments pool
correctly: a month's rate is its numerator over its denominator, never the mean of its weeks' rates. NPS
is ``100 x (promoters - detractors) / answers`` and CES a mean score, both with their own intervals.

================================  ========================  =======================================
KPI                               numerator / denominator   periods (segment)
================================  ========================  =======================================
``week4_retention``               sign-up cohort active in  week (yes), cohort = the sign-up week
                                  week 4 / cohort size
``activation_rate``               activated / sign-ups      week, month (yes), by sign-up period
``dau_mau``                       sum of daily actives /    day, week, month (no)
                                  sum of 28-day actives
``nps``, ``csat``, ``ces``        per answer                day, week, month (yes)
``five_day_share``                5+ day users / actives    week (yes)
``week4_active_retention``        active again 4 weeks      week (yes)
                                  later / active
``task_completion_rate``,         completed (failed) /      day, week, month (yes), by start
``task_error_rate``               attempts
``ai_acceptance_rate``            accepted / shown          day, week, month (yes)
``funnel_conversion``             converted / entered       day, week, month (no), by entry
``k_factor``                      accepted invites / users  week, month (no), by sign-up period
``north_star``                    the recommended           its own window (no)
                                  candidate's value per
                                  period
================================  ========================  =======================================

The other KPIs (``ltv_cac``, ``net_revenue_retention``, ``magic_number_share``, ``activated_week4_retention``,
``feature_adoption``) are not weekly series: :func:`kpi_series` says so with a ``ValueError`` and
:data:`NOT_A_SERIES` says why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import aarrr, funnel, heart, north_star, retention
from ..config import check_kpi_name
from ..config.vocabulary import KPIS
from ..core.calendar import complete, period_index, period_start
from ..core.stats import nps_interval, wilson_interval
from ..data import Dataset

#: Ratios whose parts are not independent trials (a day's actives count again in the next day's MAU):
#: shown without an interval.
NO_INTERVAL = ("dau_mau",)
COLUMNS = ["period", "numerator", "denominator", "n", "value", "ci_low", "ci_high"]

#: Why some KPIs have no weekly series.
NOT_A_SERIES = {
    "ltv_cac": "LTV/CAC is an economics ratio per acquisition channel over the year (see 04_aarrr)",
    "net_revenue_retention": "net revenue retention compares the revenue of a 12-month-old base (see 04_aarrr)",
    "magic_number_share": "the magic number is a threshold found once over all complete cohorts (see 01_north_star)",
    "activated_week4_retention": "it is read from the activated users' curve over all cohorts (see 02_cohort_retention)",
    "feature_adoption": "adoption since launch is cumulative, not a per-period rate (see 03_heart)",
}


def _roles(ds: Dataset):
    if ds.params is None:
        raise ValueError("a KPI series needs the team's params. Fix: build the dataset with data.connect(params)")
    return ds.params.events


def _need(role, what: str) -> None:
    if not role:
        raise ValueError(f"this team's params name no {what}, so this KPI cannot be computed. Fix: name it in "
                         "the params' events section")


def _frame(t: pd.DataFrame, period: str, numerator: str, denominator: str, segment: bool) -> pd.DataFrame:
    out = pd.DataFrame({"period": pd.to_datetime(t[period]).to_numpy(),
                        "numerator": t[numerator].astype("float64").to_numpy(),
                        "denominator": t[denominator].astype("float64").to_numpy()})
    if segment:
        out.insert(1, "segment", t["segment"].astype("string").to_numpy())
    return out


def _cohort_week4(ds, period, segment, cal):
    t = retention.cohort_retention(ds.events, _roles(ds).signup, period="week", periods=4, segment=segment,
                                   calendar=cal)
    return _frame(t[(t["period"] == 4) & t["complete"]], "cohort", "retained", "cohort_size", bool(segment))


def _activation(ds, period, segment, cal):
    e = _roles(ds)
    _need(e.activation, "activation rule (events.activation)")
    t = aarrr.activation(ds.events, e.activation, e.signup, period=period, segment=segment, calendar=cal)
    t = t[t["pending"] == 0]  # a cohort counts once every sign-up in it has had its whole window
    return _frame(t, "cohort", "activated", "signups", bool(segment))


def _dau_mau(ds, period, segment, cal):
    daily = retention.stickiness(ds.events, calendar=cal)
    daily = daily[daily["full_window"]]
    starts = period_start(period_index(daily["date"], period, cal.week_start), period, cal.week_start)
    t = daily.assign(period=starts.to_numpy()).groupby("period", as_index=False)[["dau", "mau_28"]].sum()
    return _frame(t, "period", "dau", "mau_28", False)


def _survey(name):
    def compute(ds, period, segment, cal):
        if not heart.has_survey(ds.surveys, name):
            raise ValueError(f"this dataset has no {name.upper()} answers. Fix: add the survey table to the params")
        fn = {"nps": heart.nps, "csat": heart.csat, "ces": heart.ces}[name]
        t = fn(ds.surveys, period=period, segment=segment, calendar=cal)
        if name == "nps":
            t = t.assign(_num=t["promoters"] - t["detractors"])
            return _frame(t, "period", "_num", "responses", bool(segment)).assign(
                promoters=t["promoters"].to_numpy(), detractors=t["detractors"].to_numpy())
        if name == "csat":
            return _frame(t, "period", "satisfied", "responses", bool(segment))
        t = t.assign(_sum=t["ces"] * t["responses"])
        return _frame(t, "period", "_sum", "responses", bool(segment)).assign(sd=t["sd"].to_numpy())
    return compute


def _five_day(ds, period, segment, cal):
    t = heart.engagement(ds.events, None, period="week", segment=segment, calendar=cal)
    return _frame(t[t["complete"]], "period", "five_day_users", "active_users", bool(segment))


def _active_week4(ds, period, segment, cal):
    t = heart.active_retention(ds.events, k=4, period="week", segment=segment, calendar=cal)
    return _frame(t, "cohort", "retained", "users", bool(segment))


def _tasks(outcome):
    def compute(ds, period, segment, cal):
        e = _roles(ds)
        _need(e.task_started and e.task_completed, "task events (events.task_started / task_completed)")
        if outcome == "failed":
            _need(e.task_failed, "task failure event (events.task_failed)")
        t = heart.task_success(ds.events, e.task_started, e.task_completed, e.task_failed, workflow=None,
                               period=period, segment=segment, calendar=cal)
        return _frame(t, "period", outcome, "attempts", bool(segment))
    return compute


def _acceptance(ds, period, segment, cal):
    feature = heart.main_feature(ds.params)
    suggest = heart.suggestion_events(ds.events, feature.event if feature else None)
    _need(suggest, "suggestion feature (events.features with <prefix>_shown and <prefix>_accepted events)")
    t = heart.suggestion_acceptance(ds.events, **suggest, period=period, segment=segment, calendar=cal)
    return _frame(t[t["complete"]], "period", "accepted", "shown", bool(segment))


def _funnel(ds, period, segment, cal):
    f = ds.params.funnel
    _need(len(f.steps) >= 2, "journey funnel (funnel.steps, two steps or more)")
    t = funnel.conversion_over_time(ds.events, funnel.steps_from_params(ds.params), window=f.window,
                                    period=period, order=f.order, exclusions=f.exclusions or None, calendar=cal)
    return _frame(t[t["complete"]], "period", "converted", "users", False)


def _k_factor(ds, period, segment, cal):
    e = _roles(ds)
    _need(e.invite_sent and e.invite_accepted, "invite events (events.invite_sent / invite_accepted)")
    t = aarrr.referral(ds.events, e.invite_sent, e.invite_accepted, e.signup, period=period, calendar=cal)
    return _frame(t[t["complete"]], "cohort", "accepted", "users", False)


def _north_star(ds, period, segment, cal):
    candidates = ds.params.north_star.candidates
    _need(candidates, "North Star candidate (north_star.candidates)")
    # the North Star is the candidate 01_north_star recommends, not the first one listed (on the sample the
    # first is weekly sign-ups, which it rejects as vanity); with one candidate there is nothing to rank
    chosen = (candidates[0].name if len(candidates) == 1
              else north_star.winner(north_star.score_candidates(ds)))
    t = north_star.candidate_series(ds.events, next(c for c in candidates if c.name == chosen), calendar=cal)
    return _frame(t.assign(_one=1.0), "period", "value", "_one", False)


#: KPI name -> (function of (ds, period, segment, calendar), the periods it supports, segment support).
SERIES = {
    "week4_retention": (_cohort_week4, ("week",), True),
    "activation_rate": (_activation, ("week", "month"), True),
    "dau_mau": (_dau_mau, ("day", "week", "month"), False),
    "nps": (_survey("nps"), ("day", "week", "month"), True),
    "csat": (_survey("csat"), ("day", "week", "month"), True),
    "ces": (_survey("ces"), ("day", "week", "month"), True),
    "five_day_share": (_five_day, ("week",), True),
    "week4_active_retention": (_active_week4, ("week",), True),
    "task_completion_rate": (_tasks("completed"), ("day", "week", "month"), True),
    "task_error_rate": (_tasks("failed"), ("day", "week", "month"), True),
    "ai_acceptance_rate": (_acceptance, ("day", "week", "month"), True),
    "funnel_conversion": (_funnel, ("day", "week", "month"), False),
    "k_factor": (_k_factor, ("week", "month"), False),
    "north_star": (_north_star, ("week",), False),
}


def finish(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Value, ``n`` and the 95% interval of pooled counts (one row per period, or per period and segment).

    Shares get a Wilson interval, NPS the multinomial interval, CES a normal interval of the mean; counts
    and ratios (DAU/MAU, K-factor, the North Star) have none.
    """
    unit = KPIS[name]["unit"]
    out = frame.copy()
    out["n"] = out["denominator"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = np.where(out["denominator"] > 0, out["numerator"] / out["denominator"], np.nan)
    out["ci_low"], out["ci_high"] = np.nan, np.nan
    if name == "nps":
        bounds = [nps_interval(p, d, n) for p, d, n in zip(out["promoters"], out["detractors"], out["n"])]
        out["value"] = [b[0] for b in bounds]
        out["ci_low"], out["ci_high"] = [b[1] for b in bounds], [b[2] for b in bounds]
    elif name == "ces" and "sd" in out:
        half = 1.96 * out["sd"] / np.sqrt(out["n"].where(out["n"] > 0))
        out["ci_low"], out["ci_high"] = out["value"] - half, out["value"] + half
    elif unit == "share" and name not in NO_INTERVAL:
        out["ci_low"], out["ci_high"] = wilson_interval(out["numerator"].to_numpy(), out["denominator"].to_numpy())
    keep = [c for c in ["period", "segment", "numerator", "denominator", "n", "value", "ci_low", "ci_high",
                        "promoters", "detractors", "sd"] if c in out.columns]
    return out[keep]


def kpi_series(ds: Dataset, name: str, *, period: str = "week", segment: str | None = None) -> pd.DataFrame:
    """A KPI of the vocabulary as a time series of complete periods (see the table above).

    Returns
    -------
    DataFrame, one row per complete period (and segment value when ``segment`` names a column):
    ``period`` (local start), [``segment``], ``numerator``, ``denominator``, ``n``, ``value``, ``ci_low``,
    ``ci_high`` (NaN where the KPI has no interval), sorted by period.

    >>> from pmplaybook import config, data
    >>> s = kpi_series(data.connect(config.load_params("growth")), "task_error_rate")
    >>> list(s.columns), bool(s["value"].between(0, 1).all())
    (['period', 'numerator', 'denominator', 'n', 'value', 'ci_low', 'ci_high'], True)
    """
    name = check_kpi_name(name)
    # one review asks for the same series many times (scorecard, limits, 6-12 view, episodes): compute once
    cache = ds.__dict__.setdefault("_kpi_series", {})
    key = (name, period, segment, ds.as_of)
    if key not in cache:
        cache[key] = _kpi_series(ds, name, period, segment)
    return cache[key].copy()


def _kpi_series(ds: Dataset, name: str, period: str, segment: str | None) -> pd.DataFrame:
    if name not in SERIES:
        raise ValueError(f"{name!r} has no per-period series: {NOT_A_SERIES[name]}. Fix: review it in its own "
                         f"notebook, or pick one of {', '.join(SERIES)}")
    fn, periods, by_segment = SERIES[name]
    if period not in periods:
        raise ValueError(f"{name} is computed per {' / '.join(periods)}, not per {period!r}. Fix: pass "
                         f"period={periods[0]!r}")
    if segment is not None and not by_segment:
        raise ValueError(f"{name} cannot be split by segment. Fix: leave segment=None")
    cal = ds.calendar.resolved(ds.events)
    frame = fn(ds, period, segment, cal)
    frame = frame[np.asarray(complete(frame["period"], period, cal.as_of), dtype=bool)]
    frame = frame.sort_values(["period", *(["segment"] if segment else [])]).reset_index(drop=True)
    return finish(frame, name)
