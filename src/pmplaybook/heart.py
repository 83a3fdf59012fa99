"""HEART (Rodden, Hutchinson & Fu, CHI 2010): happiness, engagement, adoption, retention, task success,
and the goals -> signals -> metrics table that ties a team's goals to numbers computed on its data.

Each letter has functions taking the canonical event log (or the survey table) plus the event names that
play a role, returning a small tidy DataFrame. Event-scale work (per-user, per-attempt tables) runs in the
backend as ibis expressions; only aggregates (one row per period, segment, workflow...) become pandas.

Conventions
-----------
* Periods are calendar days / weeks / months in the team's ``timezone`` (weeks start on ``week_start``);
  the ``period`` column holds the local start of the period (a naive Timestamp).
* ``as_of`` is a local date, the first day *not* covered (default: the day after the last event). Events
  and answers at or after it are ignored; a period that had not ended by then has ``complete = False``
  and per-user averages that a partial period would bias (engagement) are NaN there, never too low.
* Every rate carries a 95% interval (Wilson for shares, the multinomial interval for NPS, a t interval for
  a mean) and a ``small_sample`` flag: fewer than :data:`MIN_RESPONSES` answers / users is too few to
  read.
* Comparisons (latest period vs the previous one, a segment vs the rest, before vs after a date) say
  whether the change is larger than its noise (the 95% interval of the difference excludes 0).

Main entry points
-----------------
Happiness: :func:`nps`, :func:`csat`, :func:`ces`, :func:`happiness_trend`, :func:`happiness_by_segment`,
:func:`detractor_concentration`. Engagement: :func:`engagement`, :func:`engagement_distribution`.
Adoption: :func:`new_users`, :func:`feature_adoption`, :func:`adoption_depth`,
:func:`suggestion_acceptance`. Retention: :func:`active_retention`, :func:`new_user_retention`. Task
success: :func:`task_attempts`, :func:`task_success`, :func:`task_change`, :func:`task_shift`.
Goals-signals-metrics: :func:`goals_signals_metrics` (and :func:`gsm_view` to read it) with its vocabulary
:data:`METRICS`. ``*_finding`` functions write the notebook's sentences from the data; small helpers
(:func:`happiness_summary`, :func:`main_feature`, :func:`suggestion_events`, :func:`task_status`,
:func:`task_segment`, :func:`top_change`, :func:`change_view`) let the notebook skip what a team's data
cannot support with a sentence instead of an error.
"""

from __future__ import annotations

import math
import re

import ibis
import numpy as np
import pandas as pd
from scipy import stats as _scipy_stats

from . import checks
from . import retention as _retention
from .config import ActivationRule, parse_duration
from .engines import local_time, seconds_between
from .data import has_event as _has_event
from .data import utc_midnight as _local_midnight_utc
from .data import resolve_as_of as _resolve_as_of
from .stats import add_wilson, diff_proportions, nps_interval, wilson_interval, z_value

__all__ = [
    "nps", "csat", "ces", "happiness_trend", "happiness_by_segment", "detractor_concentration",
    "engagement", "engagement_distribution", "new_users", "feature_adoption", "adoption_depth",
    "suggestion_acceptance", "active_retention", "new_user_retention", "task_attempts", "task_success",
    "task_change", "task_shift", "goals_signals_metrics", "METRICS", "metric_value", "gsm_view",
    "happiness_summary", "detractor_finding", "happiness_finding", "engagement_finding", "adoption_finding",
    "acceptance_finding", "depth_finding", "retention_finding", "task_summary_finding", "task_shift_finding",
]

#: Fewer answers (or users, or attempts) than this and a number is flagged as too small to read.
MIN_RESPONSES = 30
PERIODS = ("day", "week", "month")
SURVEYS = ("nps", "csat", "ces")
MISSING = "(missing)"
ALL = "(all)"
_LENGTH = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}


# ------------------------------------------------------------------------------------------ helpers


def _period_start(ts, period: str, timezone: str, week_start: str = "monday"):
    """Local start (a timestamp at midnight) of the calendar period of a naive-UTC timestamp expression."""
    local = local_time(ts, timezone)
    if period == "week" and week_start == "sunday":
        return (local + ibis.interval(days=1)).truncate("W") - ibis.interval(days=1)
    return local.truncate({"day": "D", "week": "W", "month": "M"}[period])


def _check_period(period, allow_none: bool = True) -> None:
    if period is None and allow_none:
        return
    checks.choice("period", period, PERIODS if not allow_none else (*PERIODS, None))


def _complete(starts: pd.Series, period: str, as_of_local: pd.Timestamp) -> pd.Series:
    return (pd.to_datetime(starts) + _LENGTH[period]) <= as_of_local


def _name_list(value, name: str) -> list[str]:
    if isinstance(value, str) and value.strip():
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise ValueError(f"{name}={value!r}: expected an event name or a non-empty list of event names")


def _fmt_pct(x: float, digits: int = 0) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.{digits}f}%"


def _isnan(x) -> bool:
    return x is None or (isinstance(x, (float, np.floating)) and math.isnan(x))


def _present_events(events: ibis.Table) -> set[str]:
    return set(events.select("event").distinct().execute()["event"])


def _require_event(events: ibis.Table, name: str, argument: str) -> None:
    present = _present_events(events)
    if name not in present:
        raise ValueError(f"{argument}={name!r}: no event of that name in the data (events include: "
                         f"{', '.join(sorted(present)[:15])}). Fix: correct the event name")


# ---------------------------------------------------------------------------------------- happiness


def _check_surveys(surveys, what: str) -> None:
    if surveys is None:
        raise ValueError(f"{what}: this dataset has no survey table (ds.surveys is None). Fix: add "
                         "data.surveys (a file or table with user_id, timestamp, survey, score) to the "
                         "team's params, or skip the happiness metrics")
    if not isinstance(surveys, ibis.Table):
        raise TypeError(f"{what}: surveys must be an ibis table (ds.surveys, or "
                        f"pmplaybook.data.load_surveys(df)), got {type(surveys).__name__}")
    missing = [c for c in ("user_id", "timestamp", "survey", "score") if c not in surveys.columns]
    if missing:
        raise ValueError(f"{what}: the survey table lacks column(s) {', '.join(missing)}. Fix: load it with "
                         "pmplaybook.data.load_surveys, mapping your column names")


def has_survey(surveys, survey: str) -> bool:
    """True when ``surveys`` is a table holding at least one answer to ``survey`` (nps, csat or ces)."""
    if surveys is None:
        return False
    return bool(surveys.filter(surveys.survey == survey).limit(1).count().execute())


def _survey_counts(surveys, survey: str, period=None, segment=None, timezone="UTC", week_start="monday",
                   as_of=None) -> pd.DataFrame:
    """Per [period] x [segment]: responses, promoters, detractors, satisfied, score sum and sum of squares."""
    _check_surveys(surveys, survey)
    checks.choice("survey", survey, SURVEYS)
    _check_period(period)
    checks.timezone(timezone)
    checks.choice("week_start", week_start, ("monday", "sunday"))
    if segment is not None and (not isinstance(segment, str) or segment not in surveys.columns
                                or segment in ("user_id", "timestamp", "survey", "score")):
        others = [c for c in surveys.columns if c not in ("user_id", "timestamp", "survey", "score")]
        raise ValueError(f"segment={segment!r} names no segment column of the survey table. Fix: use one of "
                         f"{', '.join(others) or '(none: the survey table has no segment columns)'}")
    s = surveys.filter(surveys.survey == survey)
    if as_of is not None:
        _, as_of_utc = _resolve_as_of(s, as_of, timezone)
        s = s.filter(s.timestamp < as_of_utc)
    keys = {}
    if period:
        keys["period"] = _period_start(s.timestamp, period, timezone, week_start)
    if segment:
        keys["segment"] = s[segment].cast("string").fill_null(MISSING)
    score = s.score.cast("float64")
    aggs = dict(
        responses=s.count(),
        promoters=(s.score >= 9).cast("int64").sum(),
        detractors=(s.score <= 6).cast("int64").sum(),
        satisfied=(s.score >= 4).cast("int64").sum(),
        total=score.sum(),
        total_sq=(score * score).sum(),
    )
    expr = s.group_by(**keys).aggregate(**aggs) if keys else s.aggregate(**aggs)
    out = expr.execute()
    for c in ("responses", "promoters", "detractors", "satisfied"):
        out[c] = out[c].fillna(0).astype("int64")
    out = out[out["responses"] > 0].sort_values(list(keys) or ["responses"]).reset_index(drop=True)
    if period:
        out["period"] = pd.to_datetime(out["period"])
    return out


def _mean_interval(total, total_sq, n, confidence=0.95):
    """Mean, sample standard deviation and a t interval (n - 1 degrees of freedom) from sums."""
    total, total_sq, n = (np.asarray(x, dtype="float64") for x in (total, total_sq, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        var = np.where(n > 1, (total_sq - n * mean**2) / (n - 1), np.nan)
        sd = np.sqrt(np.clip(var, 0, None))
        t = _scipy_stats.t.ppf(0.5 + confidence / 2, np.clip(n - 1, 1, None))
        half = t * sd / np.sqrt(n)
    return mean, sd, mean - half, mean + half


def _finish_survey(out: pd.DataFrame, survey: str, period, as_of_local) -> pd.DataFrame:
    keys = [c for c in ("period", "segment") if c in out.columns]
    n = out["responses"]
    if survey == "nps":
        out["passives"] = n - out["promoters"] - out["detractors"]
        vals = [nps_interval(p, d, m) for p, d, m in zip(out["promoters"], out["detractors"], n)]
        out["nps"], out["ci_low"], out["ci_high"] = (np.array([v[i] for v in vals], dtype="float64")
                                                      if vals else np.array([], dtype="float64")
                                                      for i in range(3))
        cols = ["responses", "promoters", "passives", "detractors", "nps", "ci_low", "ci_high"]
    elif survey == "csat":
        out = add_wilson(out, "satisfied", "responses", rate="csat")
        cols = ["responses", "satisfied", "csat", "ci_low", "ci_high"]
    else:
        out["ces"], out["sd"], out["ci_low"], out["ci_high"] = _mean_interval(out["total"], out["total_sq"], n)
        cols = ["responses", "ces", "sd", "ci_low", "ci_high"]
    out["small_sample"] = out["responses"] < MIN_RESPONSES
    cols.append("small_sample")
    if period:
        out["complete"] = _complete(out["period"], period, as_of_local)
        cols.append("complete")
    return out[keys + cols].reset_index(drop=True)


def _survey_table(surveys, survey, period, segment, timezone, week_start, as_of):
    counts = _survey_counts(surveys, survey, period, segment, timezone, week_start, as_of)
    as_of_local = _resolve_as_of(surveys, as_of, timezone)[0] if period else None
    return _finish_survey(counts, survey, period, as_of_local)


def nps(surveys: ibis.Table, period: str | None = None, segment: str | None = None, timezone: str = "UTC",
        week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Net Promoter Score by period and/or segment, with its composition and a 95% interval.

    Answers to "How likely are you to recommend us?" on 0-10: **promoters** 9-10, **passives** 7-8,
    **detractors** 0-6. NPS = 100 x (promoters - detractors) / responses, in points from -100 to +100.
    The interval is :func:`pmplaybook.stats.nps_interval` (the variance of a difference of two shares of
    one multinomial sample). Above 0 is positive, above 50 is excellent / world-class (Gupta, via
    FIELD-FACTS); B2B software typically sits around 20-40. A high NPS with rising churn is a warning
    (ProdPad). ``small_sample`` flags fewer than 30 answers: too few to say anything.

    Parameters
    ----------
    surveys : ibis.Table (``user_id, timestamp, survey, score`` + segment columns), e.g. ``ds.surveys``
    period : {"day", "week", "month"} or None (one row for everything)
    segment : str, optional, a segment column of the survey table (e.g. ``"plan"``)
    timezone, week_start : how periods are cut
    as_of : date-like, optional; answers on or after it are ignored

    Returns
    -------
    DataFrame with [``period``], [``segment``], ``responses``, ``promoters``, ``passives``,
    ``detractors``, ``nps`` (points), ``ci_low``, ``ci_high``, ``small_sample``, [``complete``].

    Examples
    --------
    >>> from pmplaybook.data import load_surveys
    >>> s = load_surveys(pd.DataFrame({"user_id": list("abcd"), "timestamp": ["2025-03-01 10:00"] * 4,
    ...                                "survey": "nps", "score": [10, 9, 7, 3]}))
    >>> nps(s)[["responses", "promoters", "passives", "detractors", "nps"]].to_dict("records")
    [{'responses': 4, 'promoters': 2, 'passives': 1, 'detractors': 1, 'nps': 25.0}]
    """
    return _survey_table(surveys, "nps", period, segment, timezone, week_start, as_of)


def csat(surveys: ibis.Table, period: str | None = None, segment: str | None = None, timezone: str = "UTC",
         week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Customer satisfaction (CSAT): the share of answers of 4 or 5 on a 1-5 scale, with a Wilson interval.

    CSAT = satisfied (4-5) / responses, a share in [0, 1], usually asked right after a specific interaction
    (a support chat, an import). Around 75-85% is commonly quoted as good; use it for one interaction, NPS
    for the relationship (FIELD-FACTS). Fewer than 30 answers is flagged ``small_sample``.

    Returns
    -------
    DataFrame with [``period``], [``segment``], ``responses``, ``satisfied``, ``csat``, ``ci_low``,
    ``ci_high``, ``small_sample``, [``complete``].

    Examples
    --------
    >>> from pmplaybook.data import load_surveys
    >>> s = load_surveys(pd.DataFrame({"user_id": list("abcd"), "timestamp": ["2025-03-01 10:00"] * 4,
    ...                                "survey": "csat", "score": [5, 4, 3, 1]}))
    >>> csat(s)[["responses", "satisfied", "csat"]].to_dict("records")
    [{'responses': 4, 'satisfied': 2, 'csat': 0.5}]
    """
    return _survey_table(surveys, "csat", period, segment, timezone, week_start, as_of)


def ces(surveys: ibis.Table, period: str | None = None, segment: str | None = None, timezone: str = "UTC",
        week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Customer effort score (CES): the mean answer on a 1-7 scale, with a t interval.

    "The product made it easy to do what I wanted": 1 = strongly disagree, 7 = strongly agree, so higher
    is better (easier). CES = mean score; the 95% interval is mean +/- t(0.975, n-1) x sd / sqrt(n). Scores
    above about 5 are usually read as low effort. Fewer than 30 answers is flagged ``small_sample``.

    Returns
    -------
    DataFrame with [``period``], [``segment``], ``responses``, ``ces`` (mean, 1-7), ``sd``, ``ci_low``,
    ``ci_high``, ``small_sample``, [``complete``].

    Examples
    --------
    >>> from pmplaybook.data import load_surveys
    >>> s = load_surveys(pd.DataFrame({"user_id": list("abc"), "timestamp": ["2025-03-01 10:00"] * 3,
    ...                                "survey": "ces", "score": [7, 5, 6]}))
    >>> ces(s)[["responses", "ces", "sd"]].to_dict("records")
    [{'responses': 3, 'ces': 6.0, 'sd': 1.0}]
    """
    return _survey_table(surveys, "ces", period, segment, timezone, week_start, as_of)


def _diff_stats(survey: str, a: pd.Series, b: pd.Series, confidence: float = 0.95) -> dict:
    """Difference a - b of a happiness metric from two rows of counts, with its interval."""
    na, nb = int(a["responses"]), int(b["responses"])
    small = na < MIN_RESPONSES or nb < MIN_RESPONSES
    nan = float("nan")
    if min(na, nb) == 0:
        return dict(value_a=nan, value_b=nan, diff=nan, ci_low=nan, ci_high=nan, significant=False,
                    small_sample=True)
    if survey == "csat":
        r = diff_proportions(int(a["satisfied"]), na, int(b["satisfied"]), nb, confidence)
        return dict(value_a=r["p1"], value_b=r["p2"], diff=r["diff"], ci_low=r["ci_low"], ci_high=r["ci_high"],
                    significant=r["significant"], small_sample=small)
    z = z_value(confidence)
    if survey == "nps":
        # Two independent NPS values: the variance of their difference is the sum of their variances.
        def part(row, n):
            pp, pd_ = row["promoters"] / n, row["detractors"] / n
            return 100 * (pp - pd_), 100**2 * max(pp + pd_ - (pp - pd_) ** 2, 0.0) / n
        va, var_a = part(a, na)
        vb, var_b = part(b, nb)
    else:
        ma, sa, _, _ = _mean_interval(a["total"], a["total_sq"], na)
        mb, sb, _, _ = _mean_interval(b["total"], b["total_sq"], nb)
        va, vb = float(ma), float(mb)
        var_a = float(sa) ** 2 / na if na > 1 else nan
        var_b = float(sb) ** 2 / nb if nb > 1 else nan
    diff = va - vb
    half = z * math.sqrt(var_a + var_b) if not (_isnan(var_a) or _isnan(var_b)) else nan
    low, high = diff - half, diff + half
    return dict(value_a=float(va), value_b=float(vb), diff=float(diff), ci_low=float(low), ci_high=float(high),
                significant=bool(low > 0 or high < 0), small_sample=small)


_UNITS = {"nps": "points", "csat": "share", "ces": "mean score (1-7)"}


def _show(survey: str, value: float) -> str:
    if _isnan(value):
        return "n/a"
    if survey == "nps":
        return f"{value:+.0f}"
    if survey == "csat":
        return _fmt_pct(value)
    return f"{value:.2f}"


def _show_diff(survey: str, value: float) -> str:
    if survey == "nps":
        return f"{value:+.1f} points"
    if survey == "csat":
        return f"{100 * value:+.1f} percentage points"
    return f"{value:+.2f}"


def happiness_trend(surveys: ibis.Table, survey: str = "nps", period: str = "month", timezone: str = "UTC",
                    week_start: str = "monday", as_of=None, complete_only: bool = True) -> dict:
    """The latest period's NPS / CSAT / CES against the previous period's, and whether the change is noise.

    NPS: the difference of two independent NPS values has variance Var1 + Var2 (each Var from
    :func:`pmplaybook.stats.nps_interval`), so its 95% interval is diff +/- 1.96 sqrt(Var1 + Var2). CSAT:
    a difference of two proportions (Newcombe's interval, :func:`pmplaybook.stats.diff_proportions`). CES:
    a difference of two means (Welch, normal approximation). ``significant`` is True when the interval
    excludes 0. By default only complete periods are compared (a half-finished month is not a trend).

    Returns
    -------
    dict with ``survey``, ``latest``, ``previous`` (period starts), ``responses_latest``,
    ``responses_previous``, ``value_a`` (latest), ``value_b`` (previous), ``diff``, ``ci_low``,
    ``ci_high``, ``significant``, ``small_sample`` and ``sentence`` (a plain-language verdict).
    """
    checks.choice("period", period, PERIODS)
    counts = _survey_counts(surveys, survey, period, None, timezone, week_start, as_of)
    if complete_only and len(counts):
        as_of_local = _resolve_as_of(surveys, as_of, timezone)[0]
        counts = counts[_complete(counts["period"], period, as_of_local)].reset_index(drop=True)
    label = survey.upper()
    if len(counts) < 2:
        return dict(survey=survey, latest=None, previous=None, significant=False, small_sample=True,
                    sentence=f"There are fewer than two complete {period}s of {label} answers, so there is "
                             "no trend to read yet.")
    a, b = counts.iloc[-1], counts.iloc[-2]
    r = _diff_stats(survey, a, b)
    fmt = "%Y-%m-%d" if period != "month" else "%B %Y"
    la, lb = pd.Timestamp(a["period"]).strftime(fmt), pd.Timestamp(b["period"]).strftime(fmt)
    head = (f"{label} was {_show(survey, r['value_a'])} in {la} ({int(a['responses']):,} answers) against "
            f"{_show(survey, r['value_b'])} in {lb} ({int(b['responses']):,})")
    if r["small_sample"]:
        verdict = (f"; with fewer than {MIN_RESPONSES} answers in a period that is too few to say anything "
                   "about a change.")
    elif r["significant"]:
        verdict = (f": a change of {_show_diff(survey, r['diff'])} (95% CI {_show_diff(survey, r['ci_low'])} "
                   f"to {_show_diff(survey, r['ci_high'])}), larger than its noise.")
    else:
        verdict = (f": the change of {_show_diff(survey, r['diff'])} is within its noise (95% CI "
                   f"{_show_diff(survey, r['ci_low'])} to {_show_diff(survey, r['ci_high'])}).")
    return dict(survey=survey, latest=a["period"], previous=b["period"], responses_latest=int(a["responses"]),
                responses_previous=int(b["responses"]), **r, sentence=head + verdict)


def happiness_by_segment(surveys: ibis.Table, segment: str, survey: str = "nps", as_of=None,
                         timezone: str = "UTC") -> pd.DataFrame:
    """Each value of a segment against the rest of the answers (NPS, CSAT or CES), with the difference's
    interval (as in :func:`happiness_trend`).

    Returns
    -------
    DataFrame with ``segment``, ``responses``, ``value`` (the segment's), ``rest_responses``,
    ``rest_value``, ``diff`` (value - rest), ``ci_low``, ``ci_high``, ``significant``, ``small_sample``,
    sorted by ``diff``.
    """
    counts = _survey_counts(surveys, survey, None, segment, timezone, "monday", as_of)
    total = counts.drop(columns="segment").sum(numeric_only=True)
    rows = []
    for _, row in counts.iterrows():
        rest = total - row.drop("segment")
        r = _diff_stats(survey, row, rest)
        rows.append(dict(segment=row["segment"], responses=int(row["responses"]), value=r["value_a"],
                         rest_responses=int(rest["responses"]), rest_value=r["value_b"], diff=r["diff"],
                         ci_low=r["ci_low"], ci_high=r["ci_high"], significant=r["significant"],
                         small_sample=r["small_sample"]))
    cols = ["segment", "responses", "value", "rest_responses", "rest_value", "diff", "ci_low", "ci_high",
            "significant", "small_sample"]
    return pd.DataFrame(rows, columns=cols).sort_values("diff").reset_index(drop=True)


def detractor_concentration(surveys: ibis.Table, segments, as_of=None, timezone: str = "UTC") -> pd.DataFrame:
    """Where NPS detractors concentrate: for every value of every segment column, its detractor share
    against the rest's, and its share of all detractors against its share of all answers.

    ``detractor_rate`` = detractors / responses of the value; ``diff`` = that minus the rest's rate, with
    Newcombe's interval (:func:`pmplaybook.stats.diff_proportions`); ``lift`` = share of detractors /
    share of responses (1 = proportional, 2 = twice its weight).

    Returns
    -------
    DataFrame with ``column``, ``segment``, ``responses``, ``detractors``, ``detractor_rate``, ``rest_rate``,
    ``diff``, ``ci_low``, ``ci_high``, ``significant``, ``share_of_responses``, ``share_of_detractors``,
    ``lift``, ``nps``, ``rest_nps``, ``small_sample``; sorted by ``diff`` descending.
    """
    if isinstance(segments, str):
        segments = [segments]
    rows = []
    for column in segments:
        counts = _survey_counts(surveys, "nps", None, column, timezone, "monday", as_of)
        n_all, d_all, p_all = (int(counts[c].sum()) for c in ("responses", "detractors", "promoters"))
        for _, row in counts.iterrows():
            n, d, p = int(row["responses"]), int(row["detractors"]), int(row["promoters"])
            r = diff_proportions(d, n, d_all - d, n_all - n)
            rest_n = n_all - n
            rows.append(dict(
                column=column, segment=row["segment"], responses=n, detractors=d, detractor_rate=d / n,
                rest_rate=r["p2"], diff=r["diff"], ci_low=r["ci_low"], ci_high=r["ci_high"],
                significant=r["significant"], share_of_responses=n / n_all,
                share_of_detractors=d / d_all if d_all else float("nan"),
                lift=(d / d_all) / (n / n_all) if d_all else float("nan"), nps=100 * (p - d) / n,
                rest_nps=100 * ((p_all - p) - (d_all - d)) / rest_n if rest_n else float("nan"),
                small_sample=n < MIN_RESPONSES))
    cols = ["column", "segment", "responses", "detractors", "detractor_rate", "rest_rate", "diff", "ci_low",
            "ci_high", "significant", "share_of_responses", "share_of_detractors", "lift", "nps", "rest_nps",
            "small_sample"]
    return pd.DataFrame(rows, columns=cols).sort_values("diff", ascending=False).reset_index(drop=True)


def detractor_finding(table: pd.DataFrame) -> str:
    """A sentence naming the segment whose NPS detractors concentrate (from :func:`detractor_concentration`)."""
    if table is None or table.empty:
        return "There are no NPS answers to break down."
    hits = table[table["significant"] & (table["diff"] > 0) & ~table["small_sample"]]
    if hits.empty:
        return ("No segment holds significantly more detractors than the rest: dissatisfaction is spread "
                "evenly across the segments checked.")
    h = hits.iloc[0]
    return (f"Detractors concentrate in {h['column']} = {h['segment']}: {_fmt_pct(h['detractor_rate'])} of its "
            f"{int(h['responses']):,} NPS answers are 0-6 against {_fmt_pct(h['rest_rate'])} elsewhere "
            f"({100 * h['diff']:+.0f} points, 95% CI {100 * h['ci_low']:+.0f} to {100 * h['ci_high']:+.0f}). It "
            f"gives {_fmt_pct(h['share_of_responses'])} of the answers but {_fmt_pct(h['share_of_detractors'])} "
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


# --------------------------------------------------------------------------------------- engagement


def _window_events(events, as_of, timezone, start=None):
    as_of_local, as_of_utc = _resolve_as_of(events, as_of, timezone)
    ev = events.filter(events.timestamp < as_of_utc)
    if start is not None:
        ev = ev.filter(ev.timestamp >= start)
    return ev, as_of_local, as_of_utc


def _user_periods(events, key_action, period, segment, timezone, week_start, as_of):
    """ibis table, one row per user x period: active days, key actions, events, sessions [, segment]."""
    checks.events_table(events)
    _check_period(period, allow_none=False)
    checks.timezone(timezone)
    checks.choice("week_start", week_start, ("monday", "sunday"))
    checks.segment(events, segment)
    ev, as_of_local, _ = _window_events(events, as_of, timezone)
    local = local_time(ev.timestamp, timezone)
    ev = ev.mutate(_period=_period_start(ev.timestamp, period, timezone, week_start), _day=local.date())
    keys = key_action and _name_list(key_action, "key_action")
    aggs = dict(active_days=ev._day.nunique(), events=ev.count())
    aggs["key_actions"] = (ev.event.isin(keys).cast("int64").sum() if keys else ev.count())
    if "session_id" in ev.columns:
        aggs["sessions"] = ev.session_id.nunique()
        aggs["session_events"] = ev.session_id.notnull().cast("int64").sum()
    if segment:
        aggs["segment"] = ev[segment].cast("string").fill_null(MISSING).argmin(ev.timestamp)
    return ev.group_by(["user_id", "_period"]).aggregate(**aggs), as_of_local


def engagement(events: ibis.Table, key_action=None, period: str = "week", segment: str | None = None,
               timezone: str = "UTC", week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Per-user engagement intensity per period: how much each active user does, not how many events.

    A user is **active** in a period when they have any event in it. Per period (and segment):

    * ``key_actions_per_active_user`` = key-action events / active users (e.g. tasks completed per weekly
      active user; all events when ``key_action`` is None);
    * ``active_days_per_active_user`` = mean number of distinct local days with activity (1-7 in a week);
    * ``five_day_share`` = share of the period's actives active on 5 or more days: the Gmail team found
      that "% of weekly actives who visited 5+ days" predicted retention (Rodden et al. 2010, via
      FIELD-FACTS); it is meaningful for weeks;
    * ``events_per_session`` = events carrying a ``session_id`` / distinct sessions (session depth), when
      the log has ``session_id``.

    Raw counts rise with the number of users; these ratios move only when behaviour changes. A long
    session is not automatically good: it can mean confusion (FIELD-FACTS), so read depth next to task
    success. Incomplete periods (not ended by ``as_of``) have NaN ratios.

    Returns
    -------
    DataFrame with ``period``, [``segment``], ``active_users``, ``key_actions``,
    ``key_actions_per_active_user``, ``active_days_per_active_user``, ``five_day_users``,
    ``five_day_share``, ``ci_low``, ``ci_high`` (Wilson, of ``five_day_share``), ``events_per_session``,
    ``complete``.

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["task_completed", "login", "login"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-05 09:00"]}))
    >>> t = engagement(ev, key_action="task_completed", as_of="2025-03-10")
    >>> t[["active_users", "key_actions", "key_actions_per_active_user", "active_days_per_active_user"]].to_dict("records")
    [{'active_users': 2, 'key_actions': 1, 'key_actions_per_active_user': 0.5, 'active_days_per_active_user': 1.5}]
    """
    up, as_of_local = _user_periods(events, key_action, period, segment, timezone, week_start, as_of)
    keys = ["_period"] + (["segment"] if segment else [])
    aggs = dict(active_users=up.count(), key_actions=up.key_actions.sum(), day_sum=up.active_days.sum(),
                five_day_users=(up.active_days >= 5).cast("int64").sum())
    if "sessions" in up.columns:
        aggs.update(sessions=up.sessions.sum(), session_events=up.session_events.sum())
    out = up.group_by(keys).aggregate(**aggs).execute().rename(columns={"_period": "period"})
    out["period"] = pd.to_datetime(out["period"])
    out = out.sort_values(["period"] + keys[1:]).reset_index(drop=True)
    for c in ("active_users", "key_actions", "five_day_users"):
        out[c] = out[c].astype("int64")
    out["complete"] = _complete(out["period"], period, as_of_local)
    done = out["complete"]
    out["key_actions_per_active_user"] = np.where(done, out["key_actions"] / out["active_users"], np.nan)
    out["active_days_per_active_user"] = np.where(done, out["day_sum"] / out["active_users"], np.nan)
    out = add_wilson(out, "five_day_users", "active_users", rate="five_day_share")
    for c in ("five_day_share", "ci_low", "ci_high"):
        out[c] = np.where(done, out[c], np.nan)
    if "sessions" in out.columns:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["events_per_session"] = np.where(done & (out["sessions"] > 0),
                                                 out["session_events"] / out["sessions"], np.nan)
    else:
        out["events_per_session"] = np.nan
    cols = ["period", *keys[1:], "active_users", "key_actions", "key_actions_per_active_user",
            "active_days_per_active_user", "five_day_users", "five_day_share", "ci_low", "ci_high",
            "events_per_session", "complete"]
    return out[cols]


_ACTION_BUCKETS = [(0, 0, "0"), (1, 1, "1"), (2, 2, "2"), (3, 5, "3-5"), (6, 10, "6-10"), (11, 20, "11-20"),
                   (21, None, "21+")]


def engagement_distribution(events: ibis.Table, key_action=None, period: str = "week", last: int | None = 4,
                            timezone: str = "UTC", week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """How engagement is spread over active users: a frame for a histogram.

    Over the last ``last`` complete periods (all complete periods when None), each active user-period is
    counted once in a bucket of ``active_days`` (1, 2, ... days active in the period) and in a bucket of
    ``key_actions`` (0, 1, 2, 3-5, 6-10, 11-20, 21+). A healthy product has a visible block of users at
    5+ days a week; a long tail of 1-day users is where to look for churn.

    Returns
    -------
    DataFrame with ``measure`` ("active_days" or "key_actions"), ``bucket`` (label), ``order`` (int, for
    sorting), ``user_periods``, ``share`` (of the measure's total).

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["x", "x", "x"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-05 09:00"]}))
    >>> d = engagement_distribution(ev, as_of="2025-03-10")
    >>> d[d.measure == "active_days"][["bucket", "user_periods", "share"]].to_dict("records")
    [{'bucket': '1', 'user_periods': 1, 'share': 0.5}, {'bucket': '2', 'user_periods': 1, 'share': 0.5}]
    """
    up, as_of_local = _user_periods(events, key_action, period, None, timezone, week_start, as_of)
    end = pd.Timestamp(as_of_local) - _LENGTH[period]  # last complete period starts at or before this
    up = up.filter(up._period <= end)
    if last is not None:
        starts = up.select("_period").distinct().order_by(ibis.desc("_period")).limit(last)
        up = up.filter(up._period.isin(starts._period))
    days = up.group_by(bucket=up.active_days).aggregate(user_periods=up.count()).execute()
    days = days.sort_values("bucket")
    days = pd.DataFrame({"measure": "active_days", "bucket": days["bucket"].astype(int).astype(str),
                         "order": days["bucket"].astype("int64"), "user_periods": days["user_periods"]})
    cases = [((up.key_actions >= lo) & (up.key_actions <= hi) if hi is not None else (up.key_actions >= lo), i)
             for i, (lo, hi, _) in enumerate(_ACTION_BUCKETS)]
    order = ibis.cases(*cases, else_=len(_ACTION_BUCKETS) - 1)
    acts = up.group_by(order=order).aggregate(user_periods=up.count()).execute().sort_values("order")
    acts = pd.DataFrame({"measure": "key_actions",
                         "bucket": [_ACTION_BUCKETS[int(i)][2] for i in acts["order"]],
                         "order": acts["order"].astype("int64"), "user_periods": acts["user_periods"]})
    out = pd.concat([days, acts], ignore_index=True)
    out["user_periods"] = out["user_periods"].astype("int64")
    out["share"] = out["user_periods"] / out.groupby("measure")["user_periods"].transform("sum")
    return out.reset_index(drop=True)


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
            f"{last['active_days_per_active_user']:.1f} days, and {_fmt_pct(last['five_day_share'])} of them "
            f"were active on 5 or more days (95% CI {_fmt_pct(last['ci_low'])}-{_fmt_pct(last['ci_high'])})")
    if not _isnan(last.get("events_per_session", float("nan"))):
        text += f"; a session held {last['events_per_session']:.1f} events"
    if len(done) > 1:
        prev = done.iloc[:-1]
        text += (f". Over the earlier {len(prev)} complete weeks the averages were "
                 f"{prev['key_actions_per_active_user'].mean():.1f} {key_action_label} and "
                 f"{_fmt_pct(prev['five_day_users'].sum() / prev['active_users'].sum())} five-day users")
    return text + "."


# ----------------------------------------------------------------------------------------- adoption


def new_users(events: ibis.Table, period: str = "week", signup_event: str | None = None, timezone: str = "UTC",
              week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """New users and new accounts per period.

    A user is **new** in the period of their first ``signup_event`` (or of their first event of any kind
    when ``signup_event`` is None); an account (``account_id``) is new in the period of its first event.
    Counts, not rates: read them next to engagement and retention (a sign-up count is a vanity metric
    on its own, FIELD-FACTS).

    Returns
    -------
    DataFrame with ``period``, ``new_users``, ``new_accounts`` (NaN without ``account_id``), ``complete``.

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "b", "c"], "account_id": ["A", "A", "A", "C"],
    ...     "event": ["signup", "signup", "x", "signup"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-11 09:00", "2025-03-12 09:00"]}))
    >>> new_users(ev, signup_event="signup", as_of="2025-03-17")[["new_users", "new_accounts"]].to_dict("list")
    {'new_users': [2, 1], 'new_accounts': [1.0, 1.0]}
    """
    checks.events_table(events)
    _check_period(period, allow_none=False)
    ev, as_of_local, _ = _window_events(events, as_of, timezone)
    src = ev.filter(ev.event == signup_event) if signup_event else ev
    firsts = src.group_by("user_id").aggregate(_t=src.timestamp.min())
    firsts = firsts.mutate(_p=_period_start(firsts._t, period, timezone, week_start))
    users = firsts.group_by("_p").aggregate(new_users=firsts.count()).execute()
    out = users
    if "account_id" in ev.columns:
        acc = ev.filter(ev.account_id.notnull())
        acc = acc.group_by("account_id").aggregate(_t=acc.timestamp.min())
        acc = acc.mutate(_p=_period_start(acc._t, period, timezone, week_start))
        accounts = acc.group_by("_p").aggregate(new_accounts=acc.count()).execute()
        out = users.merge(accounts, on="_p", how="outer")
    else:
        out["new_accounts"] = np.nan
    out = out.rename(columns={"_p": "period"})
    out["period"] = pd.to_datetime(out["period"])
    out["new_users"] = out["new_users"].fillna(0).astype("int64")
    out["new_accounts"] = out["new_accounts"].astype("float64")
    if "account_id" in ev.columns:
        out["new_accounts"] = out["new_accounts"].fillna(0.0)
    out = out.sort_values("period").reset_index(drop=True)
    out["complete"] = _complete(out["period"], period, as_of_local)
    return out[["period", "new_users", "new_accounts", "complete"]]


def _launch(events, feature_event, launched, timezone) -> pd.Timestamp:
    if launched:
        try:
            return pd.Timestamp(launched).normalize()
        except (ValueError, TypeError):
            raise ValueError(f"launched={launched!r} is not a date. Fix: pass 'YYYY-MM-DD' or None (the day "
                             "of the feature's first use)") from None
    f = events.filter(events.event == feature_event)
    first = f.aggregate(t=local_time(f.timestamp, timezone).min()).execute().iloc[0]["t"]
    if pd.isna(first):
        _require_event(events, feature_event, "feature_event")
        raise ValueError(f"feature_event={feature_event!r} never occurs before as_of. Fix: choose a later as_of")
    return pd.Timestamp(first).normalize()


def feature_adoption(events: ibis.Table, feature_event: str, launched=None, period: str = "week",
                     timezone: str = "UTC", week_start: str = "monday", as_of=None,
                     active_event=None) -> pd.DataFrame:
    """Feature adoption per period since launch: who used the feature for the first time, and how many
    of the active users have used it so far.

    From ``launched`` (a local date; default the day of the feature's first use) to ``as_of``, per period:

    * ``active_users``: users with any event (or ``active_event``) in the period;
    * ``feature_users``: users who did ``feature_event`` in the period; ``usage_rate`` =
      feature_users / active_users;
    * ``new_adopters``: users whose *first* ``feature_event`` falls in the period; ``rate`` =
      new_adopters / active_users with a Wilson interval (``ci_low``, ``ci_high``). The first row is the
      launch window (Rodden et al.'s example: % of active users who used a new photo filter in its first
      week);
    * ``cumulative_adopters`` / ``cumulative_active``: users who adopted / were active at any time from
      the launch to the period's end; ``cumulative_rate`` is their ratio (the adoption curve) with
      ``cumulative_ci_low``/``cumulative_ci_high``.

    Returns
    -------
    DataFrame with ``period``, ``active_users``, ``feature_users``, ``usage_rate``, ``new_adopters``,
    ``rate``, ``ci_low``, ``ci_high``, ``cumulative_adopters``, ``cumulative_active``,
    ``cumulative_rate``, ``cumulative_ci_low``, ``cumulative_ci_high``, ``complete``.

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "a", "c"], "event": ["ai", "x", "ai", "ai"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-10 09:00", "2025-03-11 09:00"]}))
    >>> t = feature_adoption(ev, "ai", as_of="2025-03-17")
    >>> t[["active_users", "new_adopters", "rate", "cumulative_rate"]].to_dict("records")
    [{'active_users': 2, 'new_adopters': 1, 'rate': 0.5, 'cumulative_rate': 0.5}, {'active_users': 2, 'new_adopters': 1, 'rate': 0.5, 'cumulative_rate': 0.6666666666666666}]
    """
    checks.events_table(events)
    _check_period(period, allow_none=False)
    checks.timezone(timezone)
    if not isinstance(feature_event, str) or not feature_event:
        raise ValueError(f"feature_event={feature_event!r}: expected the event name that marks a use of the "
                         "feature, e.g. 'ai_suggestion_shown'")
    ev, as_of_local, _ = _window_events(events, as_of, timezone)
    launch = _launch(ev, feature_event, launched, timezone)
    ev = ev.filter(ev.timestamp >= _local_midnight_utc(launch, timezone))
    ev = ev.mutate(_p=_period_start(ev.timestamp, period, timezone, week_start))
    act = ev if active_event is None else ev.filter(ev.event.isin(_name_list(active_event, "active_event")))
    active = act.select("user_id", "_p").distinct()
    per_active = active.group_by("_p").aggregate(active_users=active.count())
    first_active = active.group_by("user_id").aggregate(_p=active._p.min())
    first_active = first_active.group_by("_p").aggregate(first_active=first_active.count())
    f = ev.filter(ev.event == feature_event)
    fusers = f.select("user_id", "_p").distinct()
    per_feature = fusers.group_by("_p").aggregate(feature_users=fusers.count())
    first = fusers.group_by("user_id").aggregate(_p=fusers._p.min())
    per_first = first.group_by("_p").aggregate(new_adopters=first.count())
    frames = [x.execute() for x in (per_active, first_active, per_feature, per_first)]
    out = frames[0]
    for fr in frames[1:]:
        out = out.merge(fr, on="_p", how="outer")
    out = out.rename(columns={"_p": "period"})
    out["period"] = pd.to_datetime(out["period"])
    out = out.sort_values("period").reset_index(drop=True)
    for c in ("active_users", "first_active", "feature_users", "new_adopters"):
        out[c] = out[c].fillna(0).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["usage_rate"] = np.where(out["active_users"] > 0, out["feature_users"] / out["active_users"], np.nan)
    out = add_wilson(out, "new_adopters", "active_users", rate="rate")
    out["cumulative_adopters"] = out["new_adopters"].cumsum()
    out["cumulative_active"] = out["first_active"].cumsum()
    low, high = wilson_interval(out["cumulative_adopters"], out["cumulative_active"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cumulative_rate"] = np.where(out["cumulative_active"] > 0,
                                          out["cumulative_adopters"] / out["cumulative_active"], np.nan)
    out["cumulative_ci_low"], out["cumulative_ci_high"] = low, high
    out["complete"] = _complete(out["period"], period, as_of_local)
    return out[["period", "active_users", "feature_users", "usage_rate", "new_adopters", "rate", "ci_low",
                "ci_high", "cumulative_adopters", "cumulative_active", "cumulative_rate", "cumulative_ci_low",
                "cumulative_ci_high", "complete"]]


def adoption_depth(events: ibis.Table, feature_event: str, rule: ActivationRule | dict | None = None,
                   signup_event: str = "signup", launched=None, timezone: str = "UTC", as_of=None) -> dict:
    """How deeply the feature is used since launch, optionally among activated users only.

    Population: users active since ``launched`` (default the feature's first use); with an activation
    ``rule`` (e.g. ``params.events.activation``) only those who met it (see
    :func:`pmplaybook.retention.activated_users`). ``adopters`` = population members who used the
    feature; ``rate`` = adopters / users (Wilson); ``uses_per_adopter`` (mean) and ``median_uses``;
    ``repeat_rate`` = share of adopters who used it in 2 or more distinct weeks (a one-off try is not
    adoption). A post-PMF depth metric (PMRead, via FIELD-FACTS): "% of activated users who used feature Y".

    Returns
    -------
    dict with ``population`` ("activated users" or "active users"), ``users``, ``adopters``, ``rate``,
    ``ci_low``, ``ci_high``, ``uses_per_adopter``, ``median_uses``, ``repeat_rate``.

    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "a", "b"], "event": ["ai", "ai", "ai", "x"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-11 09:00", "2025-03-04 09:00"]}))
    >>> r = adoption_depth(ev, "ai", as_of="2025-03-17")
    >>> r["users"], r["adopters"], r["rate"], r["uses_per_adopter"], r["repeat_rate"]
    (2, 1, 0.5, 3.0, 1.0)
    """
    checks.events_table(events)
    ev, _, _ = _window_events(events, as_of, timezone)
    launch = _launch(ev, feature_event, launched, timezone)
    ev = ev.filter(ev.timestamp >= _local_midnight_utc(launch, timezone))
    pop = ev.select("user_id").distinct()
    population = "active users"
    if rule is not None:
        act = _retention.activated_users(events, signup_event=signup_event, rule=rule, as_of=as_of,
                                         timezone=timezone)
        act = act.filter(act.activated).select(_uid=act.user_id)
        pop = pop.join(act, pop.user_id == act._uid).select("user_id")
        population = "activated users"
    f = ev.filter(ev.event == feature_event)
    f = f.mutate(_w=_period_start(f.timestamp, "week", timezone))
    per_user = f.group_by("user_id").aggregate(uses=f.count(), weeks=f._w.nunique())
    per_user = per_user.semi_join(pop, "user_id")
    stats = per_user.aggregate(adopters=per_user.count(), mean_uses=per_user.uses.mean(),
                               median_uses=per_user.uses.quantile(0.5),
                               repeaters=(per_user.weeks >= 2).cast("int64").sum()).execute().iloc[0]
    users = int(pop.count().execute())
    adopters = int(stats["adopters"] or 0)
    low, high = wilson_interval(adopters, users)
    nan = float("nan")
    return dict(population=population, users=users, adopters=adopters,
                rate=adopters / users if users else nan, ci_low=low, ci_high=high,
                uses_per_adopter=float(stats["mean_uses"]) if adopters else nan,
                median_uses=float(stats["median_uses"]) if adopters else nan,
                repeat_rate=int(stats["repeaters"] or 0) / adopters if adopters else nan)


def suggestion_acceptance(events: ibis.Table, shown: str, accepted: str, edited: str | None = None,
                          period: str | None = None, segment: str | None = None, timezone: str = "UTC",
                          week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Acceptance of suggestions (an AI assistant, autocomplete, recommendations): accepted / shown and
    edited / shown.

    ``acceptance_rate`` = ``accepted`` events / ``shown`` events; ``edit_rate`` = ``edited`` / ``shown``
    (how often a person had to fix the output: Gupta's human-in-the-loop rate); both with Wilson
    intervals. Gupta reads acceptance *without edits* as a proxy for trust: when your log records
    "accepted" and "edited" as separate outcomes of a suggestion (as the sample does), acceptance_rate is
    exactly that; when every edit follows an acceptance, it is acceptance_rate - edit_rate. Counts are
    events in the period (per suggestion), so the rates weigh heavy users more than a per-user average
    would.

    Returns
    -------
    DataFrame with [``period``], [``segment``], ``users`` (distinct users shown a suggestion), ``shown``,
    ``accepted``, ``edited``, ``acceptance_rate``, ``acceptance_ci_low``, ``acceptance_ci_high``,
    ``edit_rate``, ``edit_ci_low``, ``edit_ci_high``, ``small_sample`` [, ``complete``].

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a"] * 5, "event": ["shown"] * 3 + ["accepted", "edited"],
    ...     "timestamp": [f"2025-03-03 09:0{i}" for i in range(5)]}))
    >>> suggestion_acceptance(ev, "shown", "accepted", "edited")[["shown", "accepted", "edited"]].to_dict("records")
    [{'shown': 3, 'accepted': 1, 'edited': 1}]
    """
    checks.events_table(events)
    _check_period(period)
    checks.segment(events, segment)
    names = [shown, accepted] + ([edited] if edited else [])
    for arg, name in zip(("shown", "accepted", "edited"), names):
        if not isinstance(name, str) or not name:
            raise ValueError(f"{arg}={name!r}: expected an event name")
    ev, as_of_local, _ = _window_events(events, as_of, timezone)
    ev = ev.filter(ev.event.isin(names))
    keys = {}
    if period:
        keys["period"] = _period_start(ev.timestamp, period, timezone, week_start)
    if segment:
        keys["segment"] = ev[segment].cast("string").fill_null(MISSING)
    aggs = dict(users=(ev.event == shown).ifelse(ev.user_id, ibis.null()).nunique(),
                shown=(ev.event == shown).cast("int64").sum(),
                accepted=(ev.event == accepted).cast("int64").sum(),
                edited=(ev.event == edited).cast("int64").sum() if edited else ibis.literal(0).cast("int64"))
    out = (ev.group_by(**keys).aggregate(**aggs) if keys else ev.aggregate(**aggs)).execute()
    for c in ("users", "shown", "accepted", "edited"):
        out[c] = out[c].fillna(0).astype("int64")
    out = out[out["shown"] > 0]
    if out.empty and not bool(events.filter(events.event == shown).limit(1).count().execute()):
        _require_event(events, shown, "shown")
    out = out.sort_values(list(keys) or ["shown"]).reset_index(drop=True)
    out = add_wilson(out, "accepted", "shown", rate="acceptance_rate").rename(
        columns={"ci_low": "acceptance_ci_low", "ci_high": "acceptance_ci_high"})
    out = add_wilson(out, "edited", "shown", rate="edit_rate").rename(
        columns={"ci_low": "edit_ci_low", "ci_high": "edit_ci_high"})
    if not edited:
        out[["edited", "edit_rate", "edit_ci_low", "edit_ci_high"]] = np.nan
    out["small_sample"] = out["shown"] < MIN_RESPONSES
    cols = [*keys, "users", "shown", "accepted", "edited", "acceptance_rate", "acceptance_ci_low",
            "acceptance_ci_high", "edit_rate", "edit_ci_low", "edit_ci_high", "small_sample"]
    if period:
        out["period"] = pd.to_datetime(out["period"])
        out["complete"] = _complete(out["period"], period, as_of_local)
        cols.append("complete")
    return out[cols]


def adoption_finding(adoption: pd.DataFrame, feature: str = "the feature", acceptance: pd.DataFrame | None = None) -> str:
    """Sentences on a feature's launch-window and cumulative adoption (from :func:`feature_adoption`) and,
    when given, its suggestion acceptance (an overall row from :func:`suggestion_acceptance`)."""
    if adoption is None or adoption.empty:
        return f"{feature} has no recorded use yet."
    first, last = adoption.iloc[0], adoption.iloc[-1]
    done = adoption[adoption["complete"]]
    recent = done.iloc[-1] if len(done) else last
    text = (f"In its launch week ({first['period']:%Y-%m-%d}), {_fmt_pct(first['rate'], 1)} of the "
            f"{int(first['active_users']):,} active users used {feature} for the first time. By "
            f"{last['period']:%Y-%m-%d}, {int(last['cumulative_adopters']):,} of the "
            f"{int(last['cumulative_active']):,} users active since launch had tried it "
            f"({_fmt_pct(last['cumulative_rate'])}, 95% CI {_fmt_pct(last['cumulative_ci_low'])}-"
            f"{_fmt_pct(last['cumulative_ci_high'])}), and in the week of {recent['period']:%Y-%m-%d} "
            f"{_fmt_pct(recent['usage_rate'])} of active users used it.")
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
    text = (f"Of {shown:,} suggestions shown, {_fmt_pct(acc / shown, 1)} were accepted (95% CI "
            f"{_fmt_pct(lo, 1)}-{_fmt_pct(hi, 1)})")
    if not _isnan(edited):
        text += f"; {_fmt_pct(float(edited) / shown, 1)} were edited by the user before use"
    text += "."
    if "period" in acceptance.columns and "complete" in acceptance.columns:
        done = acceptance[acceptance["complete"] & ~acceptance["small_sample"]]
        if len(done) >= 2:
            a, b = done.iloc[0], done.iloc[-1]
            r = diff_proportions(int(b["accepted"]), int(b["shown"]), int(a["accepted"]), int(a["shown"]))
            move = ("a change larger than its noise" if r["significant"] else "within the noise")
            text += (f" Acceptance went from {_fmt_pct(r['p2'], 1)} in the week of {a['period']:%Y-%m-%d} to "
                     f"{_fmt_pct(r['p1'], 1)} in the week of {b['period']:%Y-%m-%d} ({move}).")
    return text


# ---------------------------------------------------------------------------------------- retention


def _retention_at(table: pd.DataFrame, k: int) -> pd.DataFrame:
    cell = table[(table["period"] == k) & table["complete"]].copy()
    return cell.rename(columns={"cohort_size": "users"})


def active_retention(events: ibis.Table, k: int = 4, period: str = "week", event=None, segment: str | None = None,
                     timezone: str = "UTC", week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """The share of a period's active users still active ``k`` periods later (HEART's retention).

    Uses :func:`pmplaybook.retention.cohort_retention` with ``cohort_type="recurring"`` (every period in
    which a user was active is a cohort) and ``mode="on"``: ``rate`` = users active in period c and in
    period c + k / users active in c, one row per complete cohort c, with a Wilson interval. B2B tools keep
    70-90% of customers over months, consumer apps 20-40% at 90 days is solid (Koala, via FIELD-FACTS).

    Returns
    -------
    DataFrame with ``cohort`` (period start), [``segment``], ``users``, ``retained``, ``rate``, ``ci_low``,
    ``ci_high``.

    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "a"], "event": "x",
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-10 09:00"]}))
    >>> active_retention(ev, k=1, as_of="2025-03-24")[["users", "retained", "rate"]].to_dict("records")
    [{'users': 2, 'retained': 1, 'rate': 0.5}, {'users': 1, 'retained': 0, 'rate': 0.0}]
    """
    table = _retention.cohort_retention(events, period=period, cohort_event=event, return_event=event,
                                        cohort_type="recurring", mode="on", periods=k, segment=segment,
                                        as_of=as_of, week_start=week_start, timezone=timezone)
    cols = ["cohort", *(["segment"] if segment else []), "users", "retained", "rate", "ci_low", "ci_high"]
    return _retention_at(table, k)[cols].reset_index(drop=True)


def new_user_retention(events: ibis.Table, k: int = 4, period: str = "week", signup_event: str | None = "signup",
                       segment: str | None = None, timezone: str = "UTC", week_start: str = "monday",
                       as_of=None) -> pd.DataFrame:
    """Week-k retention of new users: the share of each sign-up cohort active (any event) in period k.

    :func:`pmplaybook.retention.cohort_retention` with first-time cohorts on ``signup_event`` (on the
    first event of any kind when None), ``mode="on"``; one row per complete cohort. The ``week4_retention``
    of the HEART vocabulary is the size-weighted mean of these rows.

    Returns
    -------
    DataFrame with ``cohort``, [``segment``], ``users``, ``retained``, ``rate``, ``ci_low``, ``ci_high``.
    """
    table = _retention.cohort_retention(events, period=period, cohort_event=signup_event, return_event=None,
                                        cohort_type="first_time", mode="on", periods=k, segment=segment,
                                        as_of=as_of, week_start=week_start, timezone=timezone)
    cols = ["cohort", *(["segment"] if segment else []), "users", "retained", "rate", "ci_low", "ci_high"]
    return _retention_at(table, k)[cols].reset_index(drop=True)


def pooled_rate(table: pd.DataFrame, successes: str = "retained", n: str = "users") -> dict:
    """Size-weighted rate of a per-cohort table (sum of successes / sum of n) with a Wilson interval."""
    s, m = int(table[successes].sum()) if len(table) else 0, int(table[n].sum()) if len(table) else 0
    low, high = wilson_interval(s, m)
    return dict(successes=s, n=m, rate=s / m if m else float("nan"), ci_low=low, ci_high=high)


# ------------------------------------------------------------------------------------- task success


def _check_task_events(started, completed, failed):
    for arg, value in (("started", started), ("completed", completed)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{arg}={value!r}: task success needs the event names of a task's start and "
                             "completion (params events.task_started / events.task_completed). Fix: name them, "
                             "or skip task success for this team")
    if failed is not None and (not isinstance(failed, str) or not failed):
        raise ValueError(f"failed={failed!r}: expected an event name or None")


def task_attempts(events: ibis.Table, started: str, completed: str, failed: str | None = None,
                  workflow: str | None = "workflow", window="1d", segment: str | None = None,
                  timezone: str = "UTC", as_of=None) -> ibis.Table:
    """One row per task attempt (a ``started`` event) with its outcome, paired in the backend.

    Events of one user and one workflow are ordered by time (a start before an outcome at the same
    instant); each start is paired with the **next** event of that user and workflow:

    * a ``completed`` event within ``window`` -> ``outcome = "completed"``, ``seconds`` = time on task;
    * a ``failed`` event within ``window`` -> ``"failed"`` (``seconds`` = time to the failure);
    * anything else (another start, an outcome after ``window``, nothing while the window had ended by
      ``as_of``) -> ``"abandoned"``;
    * nothing yet while the window is still open at ``as_of`` -> ``"open"`` (left out of rates).

    ``workflow`` names the column telling which task it is (``None``, or a log without that column,
    treats every attempt as one workflow "(all)"). The segment value is read on the start event.

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
    has_wf = workflow is not None and workflow in events.columns
    wf = ev[workflow].cast("string").fill_null(MISSING) if has_wf else ibis.literal(ALL)
    cols = dict(user_id=ev.user_id, workflow=wf, timestamp=ev.timestamp, event=ev.event,
                _rank=(ev.event == started).ifelse(0, 1))
    if segment:
        cols["segment"] = ev[segment].cast("string").fill_null(MISSING)
    ev = ev.select(**cols)
    w = ibis.window(group_by=["user_id", "workflow"], order_by=["timestamp", "_rank"])
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
    ended = out.outcome.isin(["completed", "failed"])
    return out.select(*keep, "start_time", "outcome", seconds=ended.ifelse(out._s, ibis.null()).cast("float64"))


def _check_workflow_column(events, workflow):
    if workflow is not None and workflow not in events.columns:
        return (f"The events table has no {workflow!r} column, so all tasks are treated as one workflow "
                f"{ALL!r}. Fix: map your workflow column to {workflow!r} in params data.columns.")
    return None


def task_success(events: ibis.Table, started: str, completed: str, failed: str | None = None,
                 workflow: str | None = "workflow", period: str | None = None, segment: str | None = None,
                 window="1d", timezone: str = "UTC", week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Task success per workflow (and period, segment): completion rate, error rate and time on task.

    Attempts come from :func:`task_attempts` (each start paired with the user's next outcome of the same
    workflow within ``window``); attempts still open at ``as_of`` are left out. Per group:

    * ``completion_rate`` = completed / attempts, ``error_rate`` = failed / attempts (Wilson intervals);
      the rest were abandoned;
    * ``median_seconds`` / ``p90_seconds``: time on task from start to completion over completed attempts
      (computed in the backend).

    Usability studies often quote a 78% average completion rate, and a routine step should succeed well
    above 90%; watch the error rate of each workflow after a release. Counter-metric: time in the app rising
    while task success falls is a warning (confusion), not engagement (Gupta, via FIELD-FACTS). Periods are
    those of the attempt's start.

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
    att = task_attempts(events, started, completed, failed, workflow, window, segment, timezone, as_of)
    att = att.filter(att.outcome != "open")
    keys = {"workflow": att.workflow}
    if period:
        keys["period"] = _period_start(att.start_time, period, timezone, week_start)
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
        _require_event(events, started, "started")
    return out[[*keys, "attempts", "completed", "failed", "abandoned", "completion_rate", "completion_ci_low",
                "completion_ci_high", "error_rate", "error_ci_low", "error_ci_high", "median_seconds",
                "p90_seconds", "small_sample"]]


def task_change(events: ibis.Table, date, started: str, completed: str, failed: str | None = None,
                workflow: str | None = "workflow", segment: str | None = None, span=None, window="1d",
                timezone: str = "UTC", as_of=None) -> pd.DataFrame:
    """Task success before and after a date (a release), per workflow [and segment], with significance.

    Before = attempts started in [date - span, date), after = [date, date + span) (local dates; ``span``
    None = everything on each side). For completion and error rates: the two rates, the difference
    (after - before) with Newcombe's interval and a z test (:func:`pmplaybook.stats.diff_proportions`);
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
    att = task_attempts(events, started, completed, failed, workflow, window, segment, timezone, as_of)
    att = att.filter(att.outcome != "open")
    cut = _local_midnight_utc(day, timezone)
    if span is not None:
        d = parse_duration(span)
        att = att.filter((att.start_time >= _local_midnight_utc(day - d, timezone))
                         & (att.start_time < _local_midnight_utc(day + d, timezone)))
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


def task_shift(events: ibis.Table, started: str, completed: str, failed: str | None = None,
               workflow: str | None = "workflow", segment: str | None = None, window="1d", min_weeks: int = 4,
               timezone: str = "UTC", week_start: str = "monday", as_of=None, alpha: float = 0.001) -> pd.DataFrame:
    """Find when task success changed: the workflow [x segment value] and date of the largest significant
    shift in error or completion rate.

    For every workflow (and segment value), weekly attempt counts are split at every week boundary leaving
    at least ``min_weeks`` weeks on each side; the split whose before/after rates differ most (largest
    |z| of the two-proportion test) is the candidate change point. Because many splits are tried, a
    candidate counts as ``significant`` only when its p-value is below ``alpha`` (default 0.001, far
    stricter than 0.05) **and** the interval of the difference excludes 0. The week found is then refined to
    the day: within the week before and after it, the daily split with the largest |z|.

    When the log has an ``app_version`` column, ``release`` names the version first seen in that
    workflow's attempts closest to the change date (the likely culprit).

    Returns
    -------
    DataFrame, one row per workflow [x segment] x metric, sorted by |z| descending: ``workflow``,
    [``segment``], ``metric``, ``date`` (first local day of the "after" side), ``before``, ``after``,
    ``diff``, ``ci_low``, ``ci_high``, ``z``, ``p_value``, ``significant``, ``attempts_before``,
    ``attempts_after``, ``release``.
    """
    weekly = task_success(events, started, completed, failed, workflow, "week", segment, window, timezone,
                          week_start, as_of)
    daily = task_success(events, started, completed, failed, workflow, "day", segment, window, timezone,
                         week_start, as_of)
    keys = ["workflow"] + (["segment"] if segment else [])
    metrics = [("error_rate", "failed")] if failed else []
    metrics.append(("completion_rate", "completed"))
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
        for metric, col in metrics:
            best = _best_split(g["period"], g[col].to_numpy(), g["attempts"].to_numpy(), min_weeks)
            if best is None:
                continue
            week = best
            near = d[(d["period"] >= week - pd.Timedelta(days=7)) & (d["period"] <= week + pd.Timedelta(days=7))]
            day = week
            best_z = -1.0
            for cand in near["period"]:
                s_b, n_b = d.loc[d["period"] < cand, col].sum(), d.loc[d["period"] < cand, "attempts"].sum()
                s_a, n_a = d.loc[d["period"] >= cand, col].sum(), d.loc[d["period"] >= cand, "attempts"].sum()
                if n_b and n_a:
                    z = abs(diff_proportions(int(s_a), int(n_a), int(s_b), int(n_b))["z"])
                    if z > best_z:
                        best_z, day = z, cand
            before, after = d[d["period"] < day], d[d["period"] >= day]
            r = diff_proportions(int(after[col].sum()), int(after["attempts"].sum()),
                                 int(before[col].sum()), int(before["attempts"].sum()))
            rows.append(dict(zip(keys, key), metric=metric, date=pd.Timestamp(day), before=r["p2"], after=r["p1"],
                             diff=r["diff"], ci_low=r["ci_low"], ci_high=r["ci_high"], z=r["z"],
                             p_value=r["p_value"], significant=bool(r["significant"] and r["p_value"] < alpha),
                             attempts_before=int(before["attempts"].sum()),
                             attempts_after=int(after["attempts"].sum())))
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
    if "app_version" in events.columns:
        out["release"] = [_release_near(events, started, workflow, r, segment, timezone, as_of)
                          if r["significant"] else None for _, r in out.iterrows()]
    return out[cols]


def _best_split(periods: pd.Series, successes: np.ndarray, n: np.ndarray, min_side: int):
    best, best_z = None, -1.0
    cs, cn = np.cumsum(successes), np.cumsum(n)
    ts, tn = cs[-1], cn[-1]
    for i in range(min_side, len(n) - min_side + 1):
        s_b, n_b = cs[i - 1], cn[i - 1]
        s_a, n_a = ts - s_b, tn - n_b
        if n_b == 0 or n_a == 0:
            continue
        z = abs(diff_proportions(int(s_a), int(n_a), int(s_b), int(n_b))["z"])
        if z > best_z:
            best_z, best = z, pd.Timestamp(periods.iloc[i])
    return best


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
            f"{_fmt_pct(h['before'], 1)} to {_fmt_pct(h['after'], 1)} from {h['date']:%Y-%m-%d} on "
            f"({100 * h['diff']:+.1f} points, 95% CI {100 * h['ci_low']:+.1f} to {100 * h['ci_high']:+.1f}; "
            f"{int(h['attempts_before']):,} attempts before, {int(h['attempts_after']):,} after)")
    if h.get("release"):
        text += f", when app version {h['release']} appeared"
    text += ". " + ("That release hurt task success: find what changed in it." if hurt else
                    "Task success improved there.")
    return text


# ------------------------------------------------------------------------------- goals-signals-metrics


#: The metric vocabulary of params ``heart`` rows: name (``<name>:<argument>`` where one is needed) ->
#: (unit, what it computes). Values are computed over the trailing ``window`` before ``as_of`` unless said.
METRICS = {
    "nps": ("points", "Net Promoter Score of the NPS answers in the window (-100..100)"),
    "csat": ("share", "share of CSAT answers of 4-5 (on 1-5) in the window"),
    "ces": ("mean score (1-7)", "mean CES answer (1-7, higher = easier) in the window"),
    "key_actions_per_active_user": ("per user per week", "core-action events per weekly active user, mean over "
                                    "the complete weeks of the window (events.core_action)"),
    "active_days_per_week": ("days", "distinct active days per weekly active user (mean over complete weeks)"),
    "five_day_share": ("share", "share of weekly actives active on 5+ days (complete weeks of the window)"),
    "events_per_session": ("events", "events per session (needs session_id)"),
    "new_users_per_week": ("users per week", "mean weekly new users (events.signup) over complete weeks"),
    "feature_adoption:<event>": ("share", "share of users active since the feature's launch who used it "
                                 "(cumulative adoption at as_of)"),
    "feature_usage:<event>": ("share", "share of weekly actives who used the feature (last complete week)"),
    "acceptance_rate:<shown>,<accepted>": ("share", "accepted / shown suggestion events in the window"),
    "week<N>_retention": ("share", "share of sign-up cohorts active in week N (size-weighted over complete "
                          "cohorts, N = 1..52)"),
    "week<N>_active_retention": ("share", "share of a week's active users still active N weeks later"),
    "task_completion_rate[:<workflow>]": ("share", "completed / started task attempts in the window "
                                          "(events.task_*), all workflows or one"),
    "task_error_rate[:<workflow>]": ("share", "failed / started task attempts in the window"),
    "time_on_task[:<workflow>]": ("seconds", "median seconds from start to completion in the window"),
}

_GSM_COLUMNS = ["category", "goal", "signal", "metric", "value", "unit", "ci_low", "ci_high", "note"]


def _vocabulary() -> str:
    return ", ".join(METRICS)


_PLAIN = ("nps", "csat", "ces", "key_actions_per_active_user", "active_days_per_week", "five_day_share",
          "events_per_session", "new_users_per_week")
_PER_WORKFLOW = ("task_completion_rate", "task_error_rate", "time_on_task")


def check_metric_name(metric: str, key: str = "metric") -> None:
    """Fail unless ``metric`` is written in the vocabulary (:data:`METRICS`); needs no data, so
    ``pmplaybook validate`` checks every ``heart.<i>.metric`` before any notebook runs.

    >>> check_metric_name("week60_retention", "heart.2.metric")
    Traceback (most recent call last):
    ...
    ValueError: heart.2.metric: 'week60_retention': N must be 1-52 weeks
    """
    name, _, arg = str(metric).partition(":")
    name, arg = name.strip(), arg.strip()
    retention = re.fullmatch(r"week(\d+)_(active_)?retention", name)
    if name in _PLAIN or name in _PER_WORKFLOW:
        if arg and name in _PLAIN:
            raise ValueError(f"{key}: {metric!r}: {name} takes nothing after ':'. Fix: write {name!r}")
    elif name in ("feature_adoption", "feature_usage"):
        if not arg:
            raise ValueError(f"{key}: {metric!r} needs the feature's event, e.g. '{name}:ai_suggestion_shown'")
    elif name == "acceptance_rate":
        shown, _, accepted = arg.partition(",")
        if not shown.strip() or not accepted.strip():
            raise ValueError(f"{key}: {metric!r} needs two events, e.g. "
                             "'acceptance_rate:ai_suggestion_shown,ai_suggestion_accepted'")
    elif retention:
        if not 1 <= int(retention.group(1)) <= 52:
            raise ValueError(f"{key}: {metric!r}: N must be 1-52 weeks")
    else:
        raise ValueError(f"{key}: unknown HEART metric {metric!r}. Fix: use one of the vocabulary: "
                         f"{_vocabulary()} (see pmplaybook.heart.METRICS)")


def metric_value(metric: str, ds, params=None, window="90d", key: str = "metric") -> dict:
    """Compute one metric of the vocabulary (:data:`METRICS`) on a :class:`pmplaybook.data.Dataset`.

    Returns a dict with ``value``, ``unit``, ``ci_low``, ``ci_high``, ``note`` (what was computed, or
    why it could not be: then ``value`` is NaN). An unknown name raises ``ValueError`` naming ``key``
    (e.g. ``heart.2.metric``) and the vocabulary.
    """
    check_metric_name(metric, key)
    params = params if params is not None else ds.params
    if params is None:
        raise ValueError("metric_value needs the team's params (ds.params is None). Fix: pass params=")
    roles = params.events
    tz, ws = ds.timezone, params.week_start
    name, _, arg = metric.partition(":")
    name, arg = name.strip(), arg.strip()
    nan = float("nan")
    span = parse_duration(window)
    as_of_local = pd.Timestamp(ds.as_of)
    start_local = as_of_local - pd.Timedelta(span)
    start_utc = _local_midnight_utc(start_local.normalize(), tz)
    span_text = f"{start_local:%Y-%m-%d} to {as_of_local - pd.Timedelta(days=1):%Y-%m-%d}"

    def result(value, unit, low=nan, high=nan, note=""):
        return dict(value=float(value) if value is not None else nan, unit=unit, ci_low=float(low),
                    ci_high=float(high), note=note)

    def missing(unit, why):
        return result(nan, unit, note=why)

    retention_match = re.fullmatch(r"week(\d+)_(active_)?retention", name)
    if name in SURVEYS:
        unit = METRICS[name][0]
        if not has_survey(ds.surveys, name):
            return missing(unit, f"no {name.upper()} answers in this dataset's survey table")
        s = ds.surveys.filter(ds.surveys.timestamp >= start_utc)
        table = {"nps": nps, "csat": csat, "ces": ces}[name](s, timezone=tz, as_of=as_of_local)
        if table.empty:
            return missing(unit, f"no {name.upper()} answers from {span_text}")
        row = table.iloc[0]
        note = f"{int(row['responses']):,} answers, {span_text}"
        if row["small_sample"]:
            note += f"; fewer than {MIN_RESPONSES} answers: too few to read"
        return result(row[name], unit, row["ci_low"], row["ci_high"], note)
    if name in ("key_actions_per_active_user", "active_days_per_week", "five_day_share", "events_per_session"):
        unit = METRICS[name][0]
        if name == "events_per_session" and "session_id" not in ds.events.columns:
            return missing(unit, "the events table has no session_id column")
        key_action = roles.core_action if name == "key_actions_per_active_user" else None
        if name == "key_actions_per_active_user" and not key_action:
            return missing(unit, "the params name no events.core_action")
        t = engagement(ds.events.filter(ds.events.timestamp >= start_utc), key_action=key_action, period="week",
                       timezone=tz, week_start=ws, as_of=as_of_local)
        t = t[t["complete"] & (t["period"] >= start_local)]
        if t.empty:
            return missing(unit, f"no complete week between {span_text}")
        weeks = f"mean of {len(t)} complete weeks, {span_text}"
        if name == "key_actions_per_active_user":
            return result(t["key_actions"].sum() / t["active_users"].sum(), unit,
                          note=f"{key_action} per weekly active user, {weeks}")
        if name == "active_days_per_week":
            return result(t["active_days_per_active_user"].mul(t["active_users"]).sum() / t["active_users"].sum(),
                          unit, note=weeks)
        if name == "events_per_session":
            return result(t["events_per_session"].mean(), unit, note=weeks)
        s, m = int(t["five_day_users"].sum()), int(t["active_users"].sum())
        low, high = wilson_interval(s, m)
        return result(s / m, unit, low, high, note=f"{s:,} of {m:,} weekly active user-weeks, {weeks}")
    if name == "new_users_per_week":
        t = new_users(ds.events, "week", roles.signup, tz, ws, as_of_local)
        t = t[t["complete"] & (t["period"] >= start_local)]
        if t.empty:
            return missing(METRICS[name][0], f"no complete week between {span_text}")
        return result(t["new_users"].mean(), METRICS[name][0], note=f"{roles.signup} events, {len(t)} weeks")
    if name in ("feature_adoption", "feature_usage"):
        unit = "share"
        launched = next((f.launched for f in roles.features if f.event == arg), None)
        if not _has_event(ds.events, arg):
            return missing(unit, f"event {arg!r} never occurs in the data")
        t = feature_adoption(ds.events, arg, launched, "week", tz, ws, as_of_local)
        if name == "feature_adoption":
            last = t.iloc[-1]
            return result(last["cumulative_rate"], unit, last["cumulative_ci_low"], last["cumulative_ci_high"],
                          note=f"{int(last['cumulative_adopters']):,} of {int(last['cumulative_active']):,} users "
                               f"active since launch ({t['period'].iloc[0]:%Y-%m-%d})")
        done = t[t["complete"]]
        if done.empty:
            return missing(unit, "no complete week since launch")
        last = done.iloc[-1]
        low, high = wilson_interval(int(last["feature_users"]), int(last["active_users"]))
        return result(last["usage_rate"], unit, low, high, note=f"week of {last['period']:%Y-%m-%d}")
    if name == "acceptance_rate":
        shown, _, accepted = arg.partition(",")
        if not _has_event(ds.events, shown.strip()):
            return missing("share", f"event {shown.strip()!r} never occurs in the data")
        t = suggestion_acceptance(ds.events.filter(ds.events.timestamp >= start_utc), shown.strip(),
                                  accepted.strip(), timezone=tz, as_of=as_of_local)
        row = t.iloc[0]
        return result(row["acceptance_rate"], "share", row["acceptance_ci_low"], row["acceptance_ci_high"],
                      note=f"{int(row['accepted']):,} of {int(row['shown']):,} shown, {span_text}")
    if retention_match:
        k = int(retention_match.group(1))
        if retention_match.group(2):
            t = active_retention(ds.events, k, "week", None, None, tz, ws, as_of_local)
            what = f"users active in a week and again {k} weeks later"
        else:
            signup = roles.signup if _has_event(ds.events, roles.signup) else None
            t = new_user_retention(ds.events, k, "week", signup, None, tz, ws, as_of_local)
            what = f"new users (weekly sign-up cohorts) active in week {k}"
        t = t[pd.to_datetime(t["cohort"]) >= start_local - pd.Timedelta(weeks=k + 1)]
        if t.empty:
            return missing("share", f"no cohort complete at week {k} in the window")
        p = pooled_rate(t)
        return result(p["rate"], "share", p["ci_low"], p["ci_high"],
                      note=f"{p['successes']:,} of {p['n']:,} {what}; {len(t)} weekly cohorts")
    if name in ("task_completion_rate", "task_error_rate", "time_on_task"):
        unit = METRICS[[m for m in METRICS if m.startswith(name)][0]][0]
        if not (roles.task_started and roles.task_completed):
            return missing(unit, "the params name no task events (events.task_started / task_completed)")
        wf_col = "workflow" if "workflow" in ds.events.columns else None
        if arg and wf_col is None:
            return missing(unit, f"the events table has no 'workflow' column to pick {arg!r} from")
        t = task_success(ds.events.filter(ds.events.timestamp >= start_utc), roles.task_started,
                         roles.task_completed, roles.task_failed, wf_col, None, None,
                         timezone=tz, as_of=as_of_local)
        if arg:
            if arg not in set(t["workflow"]):
                raise ValueError(f"{key}: {metric!r}: no workflow {arg!r} in the data (workflows: "
                                 f"{', '.join(sorted(map(str, t['workflow'])))}). Fix: correct the name")
            t = t[t["workflow"] == arg]
        s_done, s_fail, n = int(t["completed"].sum()), int(t["failed"].sum()), int(t["attempts"].sum())
        note = f"{n:,} attempts{' of ' + arg if arg else ''}, {span_text}"
        if n == 0:
            return missing(unit, f"no task attempts from {span_text}")
        if name == "time_on_task":
            if len(t) != 1:
                return missing(unit, "name one workflow, e.g. 'time_on_task:import_tasks' (medians do not add up)")
            return result(t["median_seconds"].iloc[0], unit, note=note + f"; p90 {t['p90_seconds'].iloc[0]:.0f} s")
        s = s_done if name == "task_completion_rate" else s_fail
        if name == "task_error_rate" and not roles.task_failed:
            return missing(unit, "the params name no events.task_failed")
        low, high = wilson_interval(s, n)
        return result(s / n, unit, low, high, note)
    raise ValueError(f"{key}: unknown HEART metric {metric!r}. Fix: use one of the vocabulary: {_vocabulary()} "
                     "(see pmplaybook.heart.METRICS)")


def goals_signals_metrics(params, ds, window="90d") -> pd.DataFrame:
    """The team's HEART goals -> signals -> metrics table (params ``heart``), each metric computed on the data.

    Rodden et al. (2010): agree the **goals** first, then the **signals** (behaviours or attitudes that
    show success or failure, in logs or surveys), then **metrics** that normalise them (ratios, per-user
    averages) so they can be tracked. Each row's ``metric`` must be a name of :data:`METRICS`; unknown
    names fail with the params key (``heart.<i>.metric``) and the vocabulary. A metric the data cannot
    support (no survey table, no task events) gets a NaN value and a note saying why.

    Returns
    -------
    DataFrame with ``category``, ``goal``, ``signal``, ``metric``, ``value``, ``unit``, ``ci_low``,
    ``ci_high``, ``note`` (one row per params row, in params order).
    """
    rows = []
    for i, row in enumerate(params.heart):
        r = metric_value(row.metric, ds, params, window, key=f"heart.{i}.metric")
        rows.append(dict(category=row.category, goal=row.goal, signal=row.signal, metric=row.metric, **r))
    return pd.DataFrame(rows, columns=_GSM_COLUMNS)


# ------------------------------------------------------------------------------- notebook helpers


def survey_segments(surveys) -> list[str]:
    """The segment columns of a survey table (everything but user_id, timestamp, survey, score)."""
    if surveys is None:
        return []
    return [c for c in surveys.columns if c not in ("user_id", "timestamp", "survey", "score")]


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


def main_feature(params):
    """The feature to walk through: the most recently launched one of params ``events.features`` (the
    first listed when none has a launch date), or None."""
    features = list(params.events.features)
    if not features:
        return None
    dated = [f for f in features if f.launched]
    return max(dated, key=lambda f: pd.Timestamp(f.launched)) if dated else features[0]


def suggestion_events(events: ibis.Table, feature_event: str | None) -> dict | None:
    """For a feature event named ``<prefix>_shown``, the sibling events ``<prefix>_accepted`` and
    ``<prefix>_edited`` when they occur in the data (``edited`` may be None); None otherwise.

    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a"], "event": ["ai_shown", "ai_accepted"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-03 09:01"]}))
    >>> suggestion_events(ev, "ai_shown")
    {'shown': 'ai_shown', 'accepted': 'ai_accepted', 'edited': None}
    """
    if not feature_event or not feature_event.endswith("_shown"):
        return None
    prefix = feature_event[: -len("_shown")]
    present = _present_events(events)
    if f"{prefix}_accepted" not in present:
        return None
    return dict(shown=feature_event, accepted=f"{prefix}_accepted",
                edited=f"{prefix}_edited" if f"{prefix}_edited" in present else None)


def task_status(ds, params) -> str | None:
    """None when the team's data support task success (task events named in params and present); otherwise
    a sentence saying what is missing, for the notebook to show instead of the section."""
    roles = params.events
    if not (roles.task_started and roles.task_completed):
        return ("This team's params name no task events (events.task_started / task_completed), so task "
                "success is skipped. Fix: name the events that mark a task's start, completion and failure.")
    if not _has_event(ds.events, roles.task_started):
        return f"The task start event {roles.task_started!r} never occurs in the data: task success is skipped."
    return None


def workflow_note(events: ibis.Table, workflow: str = "workflow") -> str:
    """A sentence on whether the log distinguishes workflows (for the notebook), '' when it does."""
    return _check_workflow_column(events, workflow) or ""


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
    return (f"Among {depth['users']:,} {depth['population']} since launch, {_fmt_pct(depth['rate'])} "
            f"(95% CI {_fmt_pct(depth['ci_low'])}-{_fmt_pct(depth['ci_high'])}) used {feature}; an adopter used "
            f"it {depth['uses_per_adopter']:.1f} times on average (median {depth['median_uses']:.0f}), and "
            f"{_fmt_pct(depth['repeat_rate'])} of adopters came back to it in a second week.")


def retention_finding(table: pd.DataFrame, k: int = 4, recent: int = 12) -> str:
    """A sentence for :func:`active_retention`: the pooled rate over the last ``recent`` cohorts and the
    range of the cohort rates."""
    if table is None or table.empty:
        return f"No weekly cohort is old enough to measure retention {k} weeks later."
    t = table.tail(recent)
    p = pooled_rate(t)
    return (f"Of the users active in a week, {_fmt_pct(p['rate'])} (95% CI {_fmt_pct(p['ci_low'], 1)}-"
            f"{_fmt_pct(p['ci_high'], 1)}) were active again {k} weeks later, over the last {len(t)} weekly "
            f"cohorts ({p['n']:,} user-weeks); cohorts ranged from {_fmt_pct(t['rate'].min())} to "
            f"{_fmt_pct(t['rate'].max())}.")


def task_summary_finding(table: pd.DataFrame | None) -> str:
    """A sentence for :func:`task_success` without period: overall rates and the weakest workflow."""
    if table is None or table.empty:
        return "There are no task attempts."
    n, done, failed = (int(table[c].sum()) for c in ("attempts", "completed", "failed"))
    text = (f"Over {n:,} task attempts, {_fmt_pct(done / n, 1)} were completed and {_fmt_pct(failed / n, 1)} "
            "failed (the rest were abandoned).")
    if len(table) > 1:
        worst = table.sort_values("completion_rate").iloc[0]
        text += (f" The weakest workflow is {worst['workflow']}: {_fmt_pct(worst['completion_rate'], 1)} completed "
                 f"(95% CI {_fmt_pct(worst['completion_ci_low'], 1)}-{_fmt_pct(worst['completion_ci_high'], 1)}), "
                 f"{_fmt_pct(worst['error_rate'], 1)} failed, median time on task "
                 f"{worst['median_seconds'] / 60:.1f} min.")
    return text


def task_segment(events: ibis.Table, params, as_of=None, started: str | None = None) -> str | None:
    """The params segment that best separates task success: the one whose :func:`task_shift` finds the
    strongest significant change (None when no segment column helps or there are no task events)."""
    roles = params.events
    started = started or roles.task_started
    if not (started and roles.task_completed):
        return None
    best, best_z = None, -1.0
    overall = task_shift(events, started, roles.task_completed, roles.task_failed, timezone=params.timezone,
                         week_start=params.week_start, as_of=as_of)
    if len(overall) and overall["significant"].any():
        best_z = float(overall.loc[overall["significant"], "z"].abs().max())
    for column in params.segments:
        if column not in events.columns:
            continue
        s = task_shift(events, started, roles.task_completed, roles.task_failed, segment=column,
                       timezone=params.timezone, week_start=params.week_start, as_of=as_of)
        if len(s) and s["significant"].any():
            z = float(s.loc[s["significant"], "z"].abs().max())
            if z > best_z:
                best, best_z = column, z
    return best


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
    """The rows of :func:`task_change` for the workflow of ``change``, with the columns a reader needs."""
    t = before_after
    if change:
        t = t[t["workflow"] == change["workflow"]]
    cols = [c for c in ("workflow", "segment", "metric", "attempts_before", "attempts_after", "before", "after",
                        "diff", "ci_low", "ci_high", "significant") if c in t.columns]
    return t[cols].reset_index(drop=True)


def _format_value(value, unit: str) -> str:
    if _isnan(value):
        return "n/a"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "points":
        return f"{value:+.0f}"
    if unit == "seconds":
        return f"{value:.0f} s"
    return f"{value:.2f}"


def gsm_view(table: pd.DataFrame) -> pd.DataFrame:
    """The goals-signals-metrics table for reading: value and its 95% interval (``interval``) formatted by unit.

    >>> gsm_view(pd.DataFrame([{"category": "happiness", "goal": "g", "signal": "s", "metric": "csat",
    ...     "value": 0.7, "unit": "share", "ci_low": 0.65, "ci_high": 0.75, "note": "n"}]))[["value", "interval"]].to_dict("records")
    [{'value': '70.0%', 'interval': '65.0% to 75.0%'}]
    """
    out = table[["category", "goal", "signal", "metric"]].copy()
    out["value"] = [_format_value(v, u) for v, u in zip(table["value"], table["unit"])]
    out["interval"] = ["" if _isnan(lo) else f"{_format_value(lo, u)} to {_format_value(hi, u)}"
                     for lo, hi, u in zip(table["ci_low"], table["ci_high"], table["unit"])]
    out["unit"] = table["unit"]
    out["note"] = table["note"]
    return out
