"""Happiness: NPS, CSAT and CES with their intervals, their trend, and where detractors concentrate."""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
from scipy import stats as _scipy_stats

from ..core import checks
from ..core.calendar import PERIODS, complete, period_start_utc, resolve_as_of, uses_calendar, utc_midnight
from ..core.formatting import MISSING, is_missing
from ..core.stats import add_wilson, diff_proportions, nps_interval, z_value

#: Fewer answers (or users, or attempts) than this and a number is flagged as too small to read.
MIN_RESPONSES = 30
SURVEYS = ("nps", "csat", "ces")


def _check_period(period, allow_none: bool = True) -> None:
    if period is None and allow_none:
        return
    checks.choice("period", period, PERIODS if not allow_none else (*PERIODS, None))


def _window_events(events, as_of, timezone, start=None):
    as_of_local, as_of_utc = resolve_as_of(events, as_of, timezone)
    ev = events.filter(events.timestamp < as_of_utc)
    if start is not None:
        ev = ev.filter(ev.timestamp >= start)
    return ev, as_of_local, as_of_utc


def _day(value) -> pd.Timestamp:
    """A local date from a date-like ``start``, with an error that says what to pass."""
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise ValueError(f"start={value!r} is not a date. Fix: pass 'YYYY-MM-DD' (the first local day to "
                         "count)") from None


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
                   as_of=None, start=None) -> pd.DataFrame:
    """Per [period] x [segment]: responses, promoters, detractors, satisfied, score sum and sum of squares,
    over the answers from local day ``start`` (all when None) up to ``as_of``."""
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
        _, as_of_utc = resolve_as_of(s, as_of, timezone)
        s = s.filter(s.timestamp < as_of_utc)
    if start is not None:
        s = s.filter(s.timestamp >= utc_midnight(_day(start), timezone))
    keys = {}
    if period:
        keys["period"] = period_start_utc(s.timestamp, period, timezone, week_start)
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
        out["complete"] = complete(out["period"], period, as_of_local)
        cols.append("complete")
    return out[keys + cols].reset_index(drop=True)


def _survey_table(surveys, survey, period, segment, timezone, week_start, as_of, start=None):
    counts = _survey_counts(surveys, survey, period, segment, timezone, week_start, as_of, start)
    as_of_local = resolve_as_of(surveys, as_of, timezone)[0] if period else None
    return _finish_survey(counts, survey, period, as_of_local)


@uses_calendar
def nps(surveys: ibis.Table, *, period: str | None = None, segment: str | None = None, start=None,
        timezone: str = "UTC",
        week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Net Promoter Score by period and/or segment, with its composition and a 95% interval.

    Answers to "How likely are you to recommend us?" on 0-10: **promoters** 9-10, **passives** 7-8,
    **detractors** 0-6. NPS = 100 x (promoters - detractors) / responses, in points from -100 to +100.
    The interval is :func:`pmplaybook.core.stats.nps_interval` (the variance of a difference of two shares of
    one multinomial sample). Above 0 is positive; above 50 is called excellent / world-class (Gupta's
    product-metrics guide: a rule of thumb across industries for the "would you recommend us" question,
    not a B2B benchmark). A high NPS with rising churn is a warning (ProdPad). ``small_sample`` flags
    fewer than 30 answers: too few to say anything.

    Parameters
    ----------
    surveys : ibis.Table (``user_id, timestamp, survey, score`` + segment columns), e.g. ``ds.surveys``
    period : {"day", "week", "month"} or None (one row for everything)
    segment : str, optional, a segment column of the survey table (e.g. ``"plan"``)
    timezone, week_start : how periods are cut
    start : date-like, optional; the first local day counted (answers before it are ignored)
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
    return _survey_table(surveys, "nps", period, segment, timezone, week_start, as_of, start)


@uses_calendar
def csat(surveys: ibis.Table, *, period: str | None = None, segment: str | None = None, start=None,
         timezone: str = "UTC",
         week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Customer satisfaction (CSAT): the share of answers of 4 or 5 on a 1-5 scale, with a Wilson interval.

    CSAT = satisfied (4-5) / responses, a share in [0, 1], usually asked right after a specific interaction
    (a support chat, an import): use it for one interaction, NPS for the relationship. No sourced
    benchmark range is given here; read it against its own trend and across segments. Fewer than 30
    answers is flagged ``small_sample``.

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
    return _survey_table(surveys, "csat", period, segment, timezone, week_start, as_of, start)


@uses_calendar
def ces(surveys: ibis.Table, *, period: str | None = None, segment: str | None = None, start=None,
         timezone: str = "UTC",
        week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Customer effort score (CES): the mean answer on a 1-7 scale, with a t interval.

    "The product made it easy to do what I wanted": 1 = strongly disagree, 7 = strongly agree, so higher
    is better (easier). CES = mean score; the 95% interval is mean +/- t(0.975, n-1) x sd / sqrt(n). No
    sourced benchmark is given here: read it against its own trend and across segments. Fewer than 30
    answers is flagged ``small_sample``.

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
    return _survey_table(surveys, "ces", period, segment, timezone, week_start, as_of, start)


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
    half = z * math.sqrt(var_a + var_b) if not (is_missing(var_a) or is_missing(var_b)) else nan
    low, high = diff - half, diff + half
    return dict(value_a=float(va), value_b=float(vb), diff=float(diff), ci_low=float(low), ci_high=float(high),
                significant=bool(low > 0 or high < 0), small_sample=small)


@uses_calendar
def happiness_trend(surveys: ibis.Table, *, survey: str = "nps", period: str = "month", timezone: str = "UTC",
                    week_start: str = "monday", as_of=None, complete_only: bool = True) -> dict:
    """The latest period's NPS / CSAT / CES against the previous period's, and whether the change is noise.

    NPS: the difference of two independent NPS values has variance Var1 + Var2 (each Var from
    :func:`pmplaybook.core.stats.nps_interval`), so its 95% interval is diff +/- 1.96 sqrt(Var1 + Var2). CSAT:
    a difference of two proportions (Newcombe's interval, :func:`pmplaybook.core.stats.diff_proportions`). CES:
    a difference of two means (Welch, normal approximation). ``significant`` is True when the interval
    excludes 0. By default only complete periods are compared (a half-finished month is not a trend).

    Returns
    -------
    dict with ``survey``, ``latest``, ``previous`` (period starts), ``responses_latest``,
    ``responses_previous``, ``value_a`` (latest), ``value_b`` (previous), ``diff``, ``ci_low``,
    ``ci_high``, ``significant`` and ``small_sample`` (``latest`` None with fewer than two periods);
    :func:`pmplaybook.narrative.heart.happiness_trend_finding` says it in words.
    """
    checks.choice("period", period, PERIODS)
    counts = _survey_counts(surveys, survey, period, None, timezone, week_start, as_of)
    if complete_only and len(counts):
        as_of_local = resolve_as_of(surveys, as_of, timezone)[0]
        counts = counts[complete(counts["period"], period, as_of_local)].reset_index(drop=True)
    if len(counts) < 2:
        return dict(survey=survey, period=period, latest=None, previous=None, significant=False, small_sample=True)
    a, b = counts.iloc[-1], counts.iloc[-2]
    r = _diff_stats(survey, a, b)
    return dict(survey=survey, period=period, latest=a["period"], previous=b["period"],
                responses_latest=int(a["responses"]), responses_previous=int(b["responses"]), **r)


@uses_calendar
def happiness_by_segment(surveys: ibis.Table, *, segment: str, survey: str = "nps", start=None, as_of=None,
                         timezone: str = "UTC") -> pd.DataFrame:
    """Each value of a segment against the rest of the answers (NPS, CSAT or CES), with the difference's
    interval (as in :func:`happiness_trend`).

    Returns
    -------
    DataFrame with ``segment``, ``responses``, ``value`` (the segment's), ``rest_responses``,
    ``rest_value``, ``diff`` (value - rest), ``ci_low``, ``ci_high``, ``significant``, ``small_sample``,
    sorted by ``diff``.
    """
    counts = _survey_counts(surveys, survey, None, segment, timezone, "monday", as_of, start)
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


@uses_calendar
def happiness_gaps(surveys: ibis.Table, *, segments, survey: str = "nps", start=None, as_of=None,
                   timezone: str = "UTC") -> pd.DataFrame:
    """:func:`happiness_by_segment` for every column of ``segments``, stacked with a ``column`` column and
    sorted by ``diff`` (the segment furthest below the rest first)."""
    if isinstance(segments, str):
        segments = [segments]
    frames = [happiness_by_segment(surveys, segment=c, survey=survey, start=start, as_of=as_of, timezone=timezone)
              .assign(column=c) for c in segments]
    cols = ["column", "segment", "responses", "value", "rest_responses", "rest_value", "diff", "ci_low", "ci_high",
            "significant", "small_sample"]
    frames = [f[cols] for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True).sort_values("diff", kind="stable").reset_index(drop=True)


@uses_calendar
def detractor_concentration(surveys: ibis.Table, *, segments, start=None, as_of=None,
                            timezone: str = "UTC") -> pd.DataFrame:
    """Where NPS detractors concentrate: for every value of every segment column, its detractor share
    against the rest's, and its share of all detractors against its share of all answers.

    ``detractor_rate`` = detractors / responses of the value; ``diff`` = that minus the rest's rate, with
    Newcombe's interval (:func:`pmplaybook.core.stats.diff_proportions`); ``lift`` = share of detractors /
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
        counts = _survey_counts(surveys, "nps", None, column, timezone, "monday", as_of, start)
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


def survey_segments(surveys) -> list[str]:
    """The segment columns of a survey table (everything but user_id, timestamp, survey, score)."""
    if surveys is None:
        return []
    return [c for c in surveys.columns if c not in ("user_id", "timestamp", "survey", "score")]
