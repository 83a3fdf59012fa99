"""North Star Metric: candidate series, evidence for and against each candidate, the "magic number",
the metric tree (North Star, inputs, guardrail) and the three-level metric stack.

A North Star is one number for the value customers get from the product; it should lead revenue and
retention, and the team should be able to move it (Amplitude's North Star Playbook; PMRead; Gupta, via
FIELD-FACTS). This module turns that advice into numbers computed from the event log:

- :func:`candidate_series` a candidate's value per complete day / week / month (params
  ``north_star.candidates``), e.g. "accounts completing 5+ tasks a week".
- :func:`leading_indicator` how well a unit's (user's or account's) value in its first weeks predicts
  that it is still active in week 8 (AUC) and its later revenue (Spearman), with bootstrap intervals.
- :func:`vanity_signal` whether a candidate's series moves with acquisition (ad spend, sign-ups) rather
  than with retained use, the mark of a vanity metric.
- :func:`sensitivity` the candidate's trend over the window against its week-to-week noise.
- :func:`score_candidates` the team's checklist scores and the evidence in one ranked table, with a
  computed sentence per candidate.
- :func:`magic_number` retention of users above vs below each threshold k of an early action
  ("7 friends in 10 days"), and the best threshold.
- :func:`metric_tree` the North Star, its inputs and guardrail, with current values and trends.
- :func:`classify_kpis` / :func:`metric_stack_warnings` business outcome / product outcome / activity.

Engine rule: everything event-scale runs in the backend (ibis; DuckDB by default). What comes back to
pandas is per-period series, the per-threshold table, and one per-unit aggregate frame for the leading-
indicator statistics (one row per user or account with three numbers; :data:`MAX_UNITS` caps it by a
deterministic hash sample in the backend, so a 10M-user log still brings back at most 200,000 rows).
"""

from __future__ import annotations

import math
import re

import ibis
import numpy as np
import pandas as pd
from scipy import stats as _sps

from . import checks
from . import data as _data
from .data import resolve_as_of as _resolve_as_of
from .config import CHECKLIST, NorthStarCandidate, TeamParams
from .stats import diff_proportions, small_sample

__all__ = [
    "candidate_series", "reference_series", "unit_outcomes", "leading_indicator", "vanity_signal",
    "sensitivity", "candidate_table", "score_candidates", "winner_finding", "vanity_finding",
    "magic_number", "magic_number_action", "magic_number_finding", "input_series", "metric_tree",
    "metric_tree_finding", "classify_kpis", "metric_stack_warnings", "INPUT_METRICS",
]

WINDOWS = ("day", "week", "month")
#: Periods of the trend window used by :func:`sensitivity`: about half a year.
TREND_PERIODS = {"day": 182, "week": 26, "month": 6}
#: Largest per-unit frame brought to pandas for the leading-indicator statistics (hash-sampled above).
MAX_UNITS = 200_000
#: Minimum users on each side of a magic-number threshold for it to be eligible as "best".
MIN_USERS = 30
_EPOCH = pd.Timestamp("1970-01-01")


# ------------------------------------------------------------------------------------------ helpers


def _candidate(candidate) -> NorthStarCandidate:
    if isinstance(candidate, NorthStarCandidate):
        return candidate
    if isinstance(candidate, dict):
        return NorthStarCandidate(**candidate)
    raise TypeError(f"candidate must be a NorthStarCandidate (params.north_star.candidates[i]) or a dict with "
                    f"its keys (name, event, aggregation, per, window, threshold), got {candidate!r}")


def _period_index(ts, window: str, timezone: str, week_start: str, local: bool = False):
    """Consecutive integers numbering calendar periods (team time zone) of a naive-UTC timestamp
    expression (or of a date / local timestamp when ``local``). Weeks: 1970-01-05 was a Monday, so
    (epoch_day + 3) // 7 steps up on Mondays and (epoch_day + 4) // 7 on Sundays."""
    value = ts if local else _data.local_time(ts, timezone)
    if window == "month":
        return value.year() * 12 + value.month() - 1
    day = (value if local and value.type().is_date() else value.date()).epoch_days()
    if window == "day":
        return day
    return (day + (3 if week_start == "monday" else 4)) // 7


def _index_of(ts: pd.Timestamp, window: str, week_start: str) -> int:
    if window == "month":
        return ts.year * 12 + ts.month - 1
    day = (pd.Timestamp(ts).normalize() - _EPOCH).days
    return day if window == "day" else (day + (3 if week_start == "monday" else 4)) // 7


def _start_of(index, window: str, week_start: str) -> pd.DatetimeIndex:
    """Local start (naive Timestamp) of period indices."""
    idx = np.asarray(index, dtype="int64")
    if window == "month":
        return pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": idx // 12, "month": idx % 12 + 1,
                                                             "day": 1})))
    days = idx if window == "day" else idx * 7 - (3 if week_start == "monday" else 4)
    return pd.DatetimeIndex(_EPOCH + pd.to_timedelta(days, unit="D"))


_FIRST_DAY: dict = {}


def _first_day(events: ibis.Table, timezone: str) -> pd.Timestamp:
    """The first local day with an event (one scan per table and zone; remembered, since a notebook asks
    for it once per candidate and input)."""
    key = (events, timezone)
    if key not in _FIRST_DAY:
        first = events.aggregate(first=_data.local_time(events.timestamp, timezone).min()).execute().iloc[0]["first"]
        if pd.isna(first):
            raise ValueError("events: the table is empty. Fix: check the source and its filters")
        if len(_FIRST_DAY) > 64:
            _FIRST_DAY.clear()
        _FIRST_DAY[key] = pd.Timestamp(first).normalize()
    return _FIRST_DAY[key]


def _complete_range(events: ibis.Table, window: str, timezone: str, week_start: str,
                    as_of_local: pd.Timestamp) -> range:
    """Indices of the periods that lie wholly inside the data: starting on or after the first local day
    with an event and ending by ``as_of``."""
    first_day = _first_day(events, timezone)
    lo = _index_of(first_day, window, week_start)
    if _start_of([lo], window, week_start)[0] < first_day:
        lo += 1  # the first period started before the data did: partial
    hi = _index_of(as_of_local - pd.Timedelta(days=1), window, week_start)
    if _start_of([hi + 1], window, week_start)[0] > as_of_local:
        hi -= 1  # the last period has not ended by as_of
    return range(lo, hi + 1)


def _unit_column(events: ibis.Table, per: str, what: str) -> str:
    if per == "account":
        if "account_id" not in events.columns:
            raise ValueError(f"{what}: per='account' needs an account_id column, which the events table lacks. "
                             "Fix: map your account column to account_id in params data.columns, or use per='user'")
        return "account_id"
    return "user_id"


def _aggregate(t: ibis.Table, cand: NorthStarCandidate):
    """The candidate's aggregation over rows of ``t`` (an ibis reduction)."""
    if cand.aggregation == "count":
        return t.count()
    if cand.aggregation == "distinct_users":
        return t.user_id.nunique()
    if cand.aggregation == "distinct_accounts":
        if "account_id" not in t.columns:
            raise ValueError(f"candidate {cand.name!r}: aggregation 'distinct_accounts' needs an account_id "
                             "column. Fix: map it in params data.columns or use 'distinct_users'")
        return t.account_id.nunique()
    if cand.column not in t.columns:
        raise ValueError(f"candidate {cand.name!r}: column {cand.column!r} (aggregation 'sum') is not in the "
                         f"events table (columns: {', '.join(t.columns)}). Fix: name an existing numeric column")
    return t[cand.column].cast("float64").sum()


def _check_event(events: ibis.Table, name: str, what: str) -> None:
    if not events.filter(events.event == name).limit(1).count().execute():
        present = sorted(events.select("event").distinct().execute()["event"])
        raise ValueError(f"{what}={name!r}: no such event in the data (events include: "
                         f"{', '.join(present[:15])}). Fix: correct the name")


# --------------------------------------------------------------------------------- candidate series


def candidate_series(events: ibis.Table, candidate, timezone: str = "UTC", as_of=None,
                     week_start: str = "monday") -> pd.DataFrame:
    """A North Star candidate's value per complete calendar period (team time zone).

    Definitions, for the candidate's ``event`` in each ``window`` (day / week / month):

    - ``per="none"``: value = the ``aggregation`` over the period's events: ``count`` of events,
      ``distinct_users``, ``distinct_accounts``, or ``sum`` of ``column``.
    - ``per="user"`` / ``"account"`` with a ``threshold``: value = number of users (accounts) whose
      aggregation in the period is >= threshold (e.g. accounts with 5+ completed tasks this week).
    - ``per="user"`` / ``"account"`` without one: value = the average aggregation per unit that did the
      event at least once in the period (e.g. tasks completed per active account).

    Only complete periods are returned: starting on or after the first day of data and ended by
    ``as_of``. Periods with no event get 0 (NaN for a per-unit average). Counted in the backend; only the
    per-period rows come back.

    Parameters
    ----------
    events : ibis.Table (canonical columns; ``account_id`` when per/aggregation needs accounts)
    candidate : NorthStarCandidate or dict with its keys
    timezone : str, IANA zone periods are cut in
    as_of : date-like, the first local day not covered (default: the day after the last event)
    week_start : {"monday", "sunday"}

    Returns
    -------
    DataFrame with ``period`` (local start, naive Timestamp), ``value`` (float), ``units`` (int: distinct
    users, or accounts when per="account", who did the event in the period).

    Examples
    --------
    Accounts with 2+ completed tasks in a week (2025-03-03 and 2025-03-10 are Mondays):

    >>> ev = _data.load_events(pd.DataFrame({
    ...     "user_id": ["a", "b", "c", "a", "d"], "account_id": ["X", "X", "Y", "X", "Y"],
    ...     "event": ["task_completed"] * 5,
    ...     "timestamp": ["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-10", "2025-03-11"]}))
    >>> c = {"name": "busy_accounts", "event": "task_completed", "per": "account", "threshold": 2}
    >>> candidate_series(ev, c, as_of="2025-03-17")[["period", "value", "units"]].to_dict("records")
    [{'period': Timestamp('2025-03-03 00:00:00'), 'value': 1.0, 'units': 2}, {'period': Timestamp('2025-03-10 00:00:00'), 'value': 0.0, 'units': 2}]
    """
    checks.events_table(events)
    cand = _candidate(candidate)
    checks.choice("week_start", week_start, ("monday", "sunday"))
    as_of_local, as_of_utc = _resolve_as_of(events, as_of, timezone)
    periods = _complete_range(events, cand.window, timezone, week_start, as_of_local)
    ev = events.filter((events.timestamp < as_of_utc) & (events.event == cand.event))
    ev = ev.mutate(_p=_period_index(ev.timestamp, cand.window, timezone, week_start))
    unit = _unit_column(events, cand.per, f"candidate {cand.name!r}")
    if cand.per == "none":
        agg = ev.group_by("_p").aggregate(value=_aggregate(ev, cand).cast("float64"), units=ev[unit].nunique())
    else:
        per_unit = ev.group_by(["_p", unit]).aggregate(_v=_aggregate(ev, cand).cast("float64"))
        if cand.threshold is not None:
            value = (per_unit._v >= cand.threshold).cast("float64").sum()
        else:
            value = per_unit._v.mean()
        agg = per_unit.group_by("_p").aggregate(value=value, units=per_unit.count())
    got = agg.execute().set_index("_p")
    out = pd.DataFrame({"_p": list(periods)})
    out = out.join(got, on="_p")
    out["units"] = out["units"].fillna(0).astype("int64")
    if cand.per == "none" or cand.threshold is not None:
        out["value"] = out["value"].fillna(0.0)
    out["value"] = out["value"].astype("float64")
    out.insert(0, "period", _start_of(out["_p"], cand.window, week_start))
    return out[["period", "value", "units"]].reset_index(drop=True)


def reference_series(events: ibis.Table, spend: ibis.Table | None = None, window: str = "week",
                     signup_event: str = "signup", timezone: str = "UTC", as_of=None,
                     week_start: str = "monday") -> pd.DataFrame:
    """What a candidate is compared with, per complete period: acquisition spend, sign-ups, and retained
    use.

    ``spend`` = sum of the spend table's ``amount`` over the period's dates (NaN without a spend table);
    ``signups`` = users whose first ``signup_event`` is in the period; ``active_users`` = distinct users
    with any event; ``retained_users`` = users active in this period *and* the previous one (the use that
    stays, which a good North Star should follow).

    Returns
    -------
    DataFrame: ``period``, ``spend``, ``signups``, ``active_users``, ``retained_users``.

    >>> ev = _data.load_events(pd.DataFrame({"user_id": ["a", "b", "a", "b"],
    ...     "event": ["signup", "signup", "x", "x"],
    ...     "timestamp": ["2025-03-03", "2025-03-04", "2025-03-10", "2025-03-17"]}))
    >>> reference_series(ev, as_of="2025-03-24")[["signups", "active_users", "retained_users"]].to_dict("list")
    {'signups': [2, 0, 0], 'active_users': [2, 1, 1], 'retained_users': [0, 1, 0]}
    """
    checks.events_table(events)
    checks.choice("window", window, WINDOWS)
    as_of_local, as_of_utc = _resolve_as_of(events, as_of, timezone)
    periods = _complete_range(events, window, timezone, week_start, as_of_local)
    ev = events.filter(events.timestamp < as_of_utc)
    active = ev.select("user_id", _p=_period_index(ev.timestamp, window, timezone, week_start)).distinct()
    prev = active.select(_uid=active.user_id, _q=active._p + 1)
    both = active.join(prev, (active.user_id == prev._uid) & (active._p == prev._q))
    first = ev.filter(ev.event == signup_event)
    first = first.group_by("user_id").aggregate(_t=first.timestamp.min())
    first = first.select(_p=_period_index(first._t, window, timezone, week_start))
    parts = [
        active.group_by("_p").aggregate(active_users=ibis._.count()),
        both.group_by("_p").aggregate(retained_users=ibis._.count()),
        first.group_by("_p").aggregate(signups=ibis._.count()),
    ]
    out = pd.DataFrame({"_p": list(periods)})
    for part in parts:
        out = out.join(part.execute().set_index("_p"), on="_p")
    for col in ("active_users", "retained_users", "signups"):
        out[col] = out[col].fillna(0).astype("int64")
    if spend is not None:
        sp = spend.filter(spend.date < as_of_local.date())
        sp = sp.mutate(_p=_period_index(sp.date, window, timezone, week_start, local=True))
        money = sp.group_by("_p").aggregate(spend=sp.amount.sum()).execute().set_index("_p")
        out = out.join(money, on="_p")
        out["spend"] = out["spend"].fillna(0.0).astype("float64")
    else:
        out["spend"] = np.nan
    out.insert(0, "period", _start_of(out["_p"], window, week_start))
    return out[["period", "spend", "signups", "active_users", "retained_users"]]


# ------------------------------------------------------------------------------------------ evidence


def unit_outcomes(events: ibis.Table, candidate, early_days: float = 14, outcome_week: int = 8,
                  revenue_days: float = 91, signup_event: str = "signup", revenue_column: str = "revenue",
                  timezone: str = "UTC", as_of=None) -> ibis.Table:
    """Per unit (user, or account for per="account" candidates), still in the backend: the candidate's
    value in the unit's first ``early_days`` and what happened later.

    A unit starts at its first ``signup_event`` (an account: its first user's). ``early_value`` = the
    candidate's aggregation over the unit's candidate events in [start, start + early_days);
    ``active_week_8`` = 1 if the unit has any event in week ``outcome_week`` after its start, i.e. in
    [start + 7*outcome_week days, start + 7*(outcome_week+1) days); ``revenue`` = sum of
    ``revenue_column`` in [start + early_days, start + revenue_days) (0 without such a column). Only
    units whose windows all ended before ``as_of`` are kept.

    Returns an unexecuted ibis table: ``unit``, ``early_value``, ``active_week_8`` (int 0/1), ``revenue``.
    """
    checks.events_table(events)
    cand = _candidate(candidate)
    _, as_of_utc = _resolve_as_of(events, as_of, timezone)
    unit = _unit_column(events, cand.per, f"candidate {cand.name!r}")
    ev = events.filter(events.timestamp < as_of_utc)
    ev = ev.mutate(_u=ev[unit].cast("string"))
    ev = ev.filter(ev._u.notnull())  # rows without an account cannot be attributed to one
    starts = ev.filter(ev.event == signup_event)
    starts = starts.group_by("_u").aggregate(_start=starts.timestamp.min())
    horizon = max(7 * (outcome_week + 1), revenue_days)
    starts = starts.filter(starts._start + ibis.interval(seconds=int(horizon * 86400)) <= ibis.literal(as_of_utc))
    s = starts.select(_su=starts._u, _start=starts._start)
    j = ev.join(s, ev._u == s._su)
    age = _data.seconds_between(j.timestamp, j._start)
    j = j.mutate(_age=age)
    early = j.filter((j.event == cand.event) & (j._age >= 0) & (j._age < early_days * 86400))
    early = early.group_by("_u").aggregate(early_value=_aggregate(early, cand).cast("float64"))
    lo, hi = 7 * outcome_week * 86400, 7 * (outcome_week + 1) * 86400
    later = j.filter((j._age >= lo) & (j._age < hi)).select("_u").distinct().mutate(_act=ibis.literal(1))
    out = s.left_join(early, s._su == early._u).select("_su", "_start", "early_value")
    out = out.left_join(later, out._su == later._u).select("_su", "_start", "early_value", "_act")
    if revenue_column in events.columns:
        rev = j.filter((j._age >= early_days * 86400) & (j._age < revenue_days * 86400))
        rev = rev.group_by("_u").aggregate(revenue=rev[revenue_column].cast("float64").sum())
        out = out.left_join(rev, out._su == rev._u).select("_su", "early_value", "_act", "revenue")
        revenue = out.revenue.fill_null(0.0)
    else:
        revenue = ibis.literal(0.0)
    return out.select(unit=out._su, early_value=out.early_value.fill_null(0.0),
                      active_week_8=out._act.fill_null(0).cast("int64"), revenue=revenue)


def _to_pandas_units(units: ibis.Table, max_units: int = MAX_UNITS) -> tuple[pd.DataFrame, int]:
    """Execute a per-unit table (one query when it has at most ``max_units`` rows); above that, count it
    and hash-sample it in the backend, so at most about ``max_units`` rows reach pandas."""
    # Ordered, so the seeded bootstrap draws the same units on every backend.
    cols = units.order_by("unit").select("early_value", "active_week_8", "revenue")
    frame = cols.limit(max_units + 1).execute()
    if len(frame) <= max_units:
        return frame, len(frame)
    n = int(units.count().execute())
    step = math.ceil(n / max_units)
    # The backend's own hash picks the sample, so above max_units the draw differs between backends
    # (each is a fair sample; a portable hash would cost a string digest per unit).
    sampled = units.filter((units.unit.hash() % step).abs() == 0).order_by("unit")
    return sampled.select("early_value", "active_week_8", "revenue").execute(), n


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` predicting ``label`` (Mann-Whitney U / (n1 n0), ties = 1/2)."""
    n1 = int(label.sum())
    n0 = len(label) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = _sps.rankdata(score)
    return float((ranks[label == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _resample_ranks(codes: np.ndarray, n_distinct: int) -> np.ndarray:
    """Average ranks (1-based, ties averaged) of values given by their codes in the sorted distinct values."""
    counts = np.bincount(codes, minlength=n_distinct)
    upto = np.cumsum(counts)
    return (upto - (counts - 1) / 2.0)[codes]


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    return float(np.corrcoef(_sps.rankdata(x), _sps.rankdata(y))[0, 1])


def leading_indicator(frame: pd.DataFrame, n_boot: int = 200, seed: int = 0,
                      confidence: float = 0.95) -> dict:
    """Leading-indicator strength from a per-unit frame (from :func:`unit_outcomes`).

    - ``auc``: probability that a unit still active in week 8 had a higher early value than one that
      was not (0.5 = no information, 1.0 = perfect; ties count 1/2). In practice 0.6 is weak, 0.7 useful,
      0.8+ strong (the usual reading of ROC AUC for behavioural predictors).
    - ``spearman_retention`` / ``spearman_revenue``: Spearman rank correlation of the early value with
      week-8 activity (0/1) and with later revenue.

    Intervals: percentile bootstrap over units (``n_boot`` resamples, fixed ``seed``), so they reflect
    how many units there are. A constant early value (e.g. sign-ups: every user signs up once) gives
    AUC 0.5 and NaN correlations: it cannot lead anything.

    Returns
    -------
    dict with ``units``, ``auc``, ``auc_low``, ``auc_high``, ``spearman_retention`` (+ ``_low``,
    ``_high``), ``spearman_revenue`` (+ ``_low``, ``_high``).

    >>> f = pd.DataFrame({"early_value": [0, 1, 2, 3], "active_week_8": [0, 0, 1, 1], "revenue": [0, 5, 0, 9]})
    >>> r = leading_indicator(f, n_boot=0)
    >>> r["auc"], round(r["spearman_retention"], 3)
    (1.0, 0.894)
    """
    x = frame["early_value"].to_numpy("float64")
    y = frame["active_week_8"].to_numpy("int64")
    rev = frame["revenue"].to_numpy("float64")
    out = {"units": int(len(frame)), "auc": _auc(x, y), "spearman_retention": _spearman(x, y),
           "spearman_revenue": _spearman(x, rev)}
    keys = ("auc", "spearman_retention", "spearman_revenue")
    for k in keys:
        out[f"{k}_low"] = out[f"{k}_high"] = float("nan")
    if n_boot and len(frame) >= 10:
        rng = np.random.default_rng(seed)
        draws = {k: [] for k in keys}
        # Ranks of a resample without sorting it: sort the distinct values once, then per resample count
        # how often each occurs (bincount) and give each its average rank. O(n) per resample.
        codes = [np.unique(v, return_inverse=True)[1] for v in (x, y, rev)]
        sizes = [int(c.max()) + 1 for c in codes]
        n = len(frame)
        for _ in range(n_boot):
            i = rng.integers(0, n, n)
            rx, ry, rr = (_resample_ranks(c[i], k) for c, k in zip(codes, sizes))
            label = y[i]
            n1 = int(label.sum())
            n0 = n - n1
            draws["auc"].append((rx[label == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0) if n1 and n0
                                else float("nan"))
            draws["spearman_retention"].append(_pearson(rx, ry))
            draws["spearman_revenue"].append(_pearson(rx, rr))
        tail = (1 - confidence) / 2 * 100
        for k in keys:
            d = np.asarray(draws[k], dtype="float64")
            d = d[~np.isnan(d)]
            if len(d) >= n_boot // 2:
                out[f"{k}_low"], out[f"{k}_high"] = (float(v) for v in np.percentile(d, [tail, 100 - tail]))
    return out


def _corr(a: pd.Series, b: pd.Series) -> float:
    ok = a.notna() & b.notna() & np.isfinite(a) & np.isfinite(b)
    a, b = a[ok].to_numpy("float64"), b[ok].to_numpy("float64")
    if len(a) < 4 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def vanity_signal(series: pd.DataFrame, reference: pd.DataFrame, threshold: float = 0.5,
                  gap: float = 0.2) -> dict:
    """Does a candidate move with acquisition rather than with retained use?

    Pearson correlations, over the complete periods, of the candidate's ``value`` with ``spend``, with
    ``signups`` and with ``retained_users`` of :func:`reference_series`: does it go up and down with
    acquisition, or with the use that stays? A vanity metric rises with ad spend (PMRead, ProdPad citing
    Eric Ries, Gupta, via FIELD-FACTS). ``acquisition = max(corr_spend, corr_signups)``; the candidate is
    flagged ``vanity`` when acquisition >= ``threshold`` and exceeds ``corr_retained`` by at least ``gap``.

    Levels, not changes: a metric that follows retained use grows steadily, while one that follows spend
    goes up and down with the campaigns. Caveat: when spend itself grows steadily, every growing series
    correlates with it; then compare the shapes in the chart (campaign peaks) rather than trust r alone.

    Returns
    -------
    dict with ``periods``, ``corr_spend``, ``corr_signups``, ``corr_retained``, ``acquisition``,
    ``vanity`` (bool).

    >>> s = pd.DataFrame({"period": range(6), "value": [10, 20, 12, 25, 15, 30]})
    >>> ref = pd.DataFrame({"period": range(6), "spend": [100, 200, 120, 250, 150, 300],
    ...     "signups": [5, 9, 6, 11, 7, 14], "retained_users": [50, 51, 53, 52, 54, 55]})
    >>> r = vanity_signal(s, ref)
    >>> round(r["corr_spend"], 2), r["vanity"]
    (1.0, True)
    """
    m = series[["period", "value"]].merge(reference, on="period", how="inner").sort_values("period")
    d = m.drop(columns="period").astype("float64")
    out = {"periods": int(len(m)),
           "corr_spend": _corr(d["value"], d["spend"]) if "spend" in d else float("nan"),
           "corr_signups": _corr(d["value"], d["signups"]),
           "corr_retained": _corr(d["value"], d["retained_users"])}
    acq = np.nanmax([out["corr_spend"], out["corr_signups"], -np.inf])
    out["acquisition"] = float(acq) if np.isfinite(acq) else float("nan")
    retained = out["corr_retained"] if not math.isnan(out["corr_retained"]) else 0.0
    out["vanity"] = bool(np.isfinite(acq) and acq >= threshold and acq - retained >= gap)
    return out


def sensitivity(series: pd.DataFrame, periods: int | None = 26) -> dict:
    """Signal-to-noise of a series over its last ``periods`` values.

    ``noise`` = standard deviation of the period-over-period % changes (what a normal week does);
    ``movement`` = the change across the window implied by a least-squares line, relative to the
    window's mean (slope x (n - 1) / mean); ``snr = |movement| / noise``. Above about 1 the trend over
    the window is larger than a typical week's wobble, so the metric visibly responds to real change;
    well below 1 a team would need many weeks to see anything (a 5% drop may be normal weekly variation,
    Koala, via FIELD-FACTS).

    >>> r = sensitivity(pd.DataFrame({"value": [100, 110, 105, 115, 110, 120]}), periods=None)
    >>> round(r["noise"], 3), round(r["movement"], 3), round(r["snr"], 2)
    (0.077, 0.143, 1.86)
    """
    v = series["value"].astype("float64").dropna()
    if periods:
        v = v.iloc[-periods:]
    out = {"periods": int(len(v)), "noise": float("nan"), "movement": float("nan"), "snr": float("nan")}
    if len(v) < 4 or v.mean() == 0:
        return out
    pct = v.pct_change().replace([np.inf, -np.inf], np.nan).dropna()
    noise = float(pct.std()) if len(pct) >= 3 else float("nan")
    slope = float(np.polyfit(np.arange(len(v)), v.to_numpy(), 1)[0])
    movement = slope * (len(v) - 1) / float(v.mean())
    out.update(noise=noise, movement=movement,
               snr=abs(movement) / noise if noise and not math.isnan(noise) else float("nan"))
    return out


# ------------------------------------------------------------------------------------------ scoring


def candidate_table(params: TeamParams, ds) -> pd.DataFrame:
    """Every candidate's series next to the reference series (spend, sign-ups, retained use), long.

    Returns
    -------
    DataFrame: ``candidate``, ``label``, ``window``, ``period``, ``value``, ``units``, ``spend``,
    ``signups``, ``active_users``, ``retained_users``.
    """
    rows, refs = [], {}
    for c in params.north_star.candidates:
        if c.window not in refs:
            refs[c.window] = reference_series(ds.events, ds.spend, c.window, params.events.signup,
                                              ds.timezone, ds.as_of, params.week_start)
        s = candidate_series(ds.events, c, ds.timezone, ds.as_of, params.week_start)
        s = s.merge(refs[c.window], on="period", how="left")
        s.insert(0, "window", c.window)
        s.insert(0, "label", c.label or c.name)
        s.insert(0, "candidate", c.name)
        rows.append(s)
    if not rows:
        return pd.DataFrame(columns=["candidate", "label", "window", "period", "value", "units", "spend",
                                     "signups", "active_users", "retained_users"])
    return pd.concat(rows, ignore_index=True)


#: Weights of the ranking formula (see :func:`score_candidates`).
WEIGHTS = {"checklist": 0.4, "leading": 0.4, "sensitivity": 0.2}
VANITY_PENALTY = 30.0


def score_candidates(params: TeamParams, ds, table: pd.DataFrame | None = None, early_days: float = 14,
                     n_boot: int = 200, max_units: int = MAX_UNITS) -> pd.DataFrame:
    """Rank the team's North Star candidates on its own checklist scores and on evidence from the data.

    Formula (0-100 points, transparent on purpose):

    - ``checklist_points`` = 100 x (mean of the team's 1-5 scores on Amplitude's checklist and the two
      tests, :data:`config.CHECKLIST`; an unscored item counts 3) - 1) / 4;
    - ``leading_points`` = 100 x clip(2 x (AUC - 0.5), 0, 1): AUC of the unit's first-``early_days``
      value predicting week-8 activity (0.5 = coin flip = 0 points, 0.75 = 50, 1.0 = 100);
    - ``sensitivity_points`` = 100 x clip(snr / 2, 0, 1) (:func:`sensitivity`: trend vs weekly noise);
    - ``score`` = 0.4 x checklist + 0.4 x leading + 0.2 x sensitivity, minus 30 when
      :func:`vanity_signal` flags the candidate (it moves with acquisition, not with retained use).

    Returns
    -------
    DataFrame, one row per candidate, best first: ``rank``, ``candidate``, ``label``, the checklist
    items, ``checklist`` (mean 1-5), the :func:`leading_indicator` columns, ``corr_spend``,
    ``corr_signups``, ``corr_retained``, ``vanity``, ``noise``, ``movement``, ``snr``, the three
    ``*_points``, ``vanity_penalty``, ``score`` and ``reason`` (a computed sentence: why it wins, or why it
    loses to the winner).
    """
    cands = params.north_star.candidates
    if not cands:
        return pd.DataFrame(columns=["rank", "candidate", "label", "score", "reason"])
    if table is None:
        table = candidate_table(params, ds)
    rows = []
    for c in cands:
        s = table[table["candidate"] == c.name]
        row = {"candidate": c.name, "label": c.label or c.name, "per": c.per, "window": c.window}
        for item in CHECKLIST:
            row[item] = c.scores.get(item, 3)
        row["checklist"] = float(np.mean([row[i] for i in CHECKLIST]))
        units = unit_outcomes(ds.events, c, early_days, signup_event=params.events.signup,
                              timezone=ds.timezone, as_of=ds.as_of)
        frame, _ = _to_pandas_units(units, max_units)
        row.update(leading_indicator(frame, n_boot=n_boot))
        ref = s[["period", "spend", "signups", "retained_users"]]
        row.update({k: v for k, v in vanity_signal(s, ref).items() if k != "periods"})
        row.update({k: v for k, v in sensitivity(s, TREND_PERIODS[c.window]).items() if k != "periods"})
        rows.append(row)
    out = pd.DataFrame(rows)
    out["checklist_points"] = 100 * (out["checklist"] - 1) / 4
    out["leading_points"] = 100 * (2 * (out["auc"].fillna(0.5) - 0.5)).clip(0, 1)
    out["sensitivity_points"] = 100 * (out["snr"].fillna(0) / 2).clip(0, 1)
    out["vanity_penalty"] = np.where(out["vanity"], VANITY_PENALTY, 0.0)
    out["score"] = (WEIGHTS["checklist"] * out["checklist_points"] + WEIGHTS["leading"] * out["leading_points"]
                    + WEIGHTS["sensitivity"] * out["sensitivity_points"] - out["vanity_penalty"])
    out = out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["reason"] = _reasons(out)
    return out


def _fmt(x, spec=".2f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _auc_text(r) -> str:
    if math.isnan(r["auc"]):
        return "its early value could not be compared with week-8 activity (no complete cohorts)"
    if r["auc"] == 0.5 and math.isnan(r["spearman_retention"]):
        return ("its early value is the same for every user (AUC 0.50, a coin flip), so it cannot predict who "
                "stays")
    ci = f" (95% CI {_fmt(r['auc_low'])}-{_fmt(r['auc_high'])})" if not math.isnan(r["auc_low"]) else ""
    unit = "an account" if r["per"] == "account" else "a user"
    return f"its value in {unit}'s first two weeks predicts week-8 activity with AUC {_fmt(r['auc'])}{ci}"


def _every(window: str) -> str:
    return {"day": "daily", "week": "weekly", "month": "monthly"}.get(window, "period")


def _reasons(t: pd.DataFrame) -> list[str]:
    win = t.iloc[0]
    out = []
    for _, r in t.iterrows():
        head = f"**{r['label']}** ({r['score']:.0f}/100)"
        if r["rank"] == 1:
            bits = [_auc_text(r)]
            if not r["vanity"] and not math.isnan(r["corr_retained"]):
                more = (math.isnan(r["acquisition"]) or r["corr_retained"] >= r["acquisition"])
                bits.append(f"its {_every(r['window'])} series moves with retained use (r = {_fmt(r['corr_retained'])})"
                            + (f" more than with acquisition (r = {_fmt(r['acquisition'])})" if more else
                               f", though nearly as much with acquisition (r = {_fmt(r['acquisition'])}): watch "
                               "that it is not bought with ad spend"))
            bits.append(f"the team scores it {r['checklist']:.1f}/5 on the checklist")
            text = f"{head} wins: " + "; ".join(bits) + "."
            if r["vanity"]:
                text += (f" Caution: it too moves with acquisition (r = {_fmt(r['acquisition'])}) more than with "
                         f"retained use (r = {_fmt(r['corr_retained'])}), so it wins only against weaker candidates.")
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
                        f"{_fmt(r['corr_spend'])}, sign-ups r = {_fmt(r['corr_signups'])}) rather than with retained "
                        f"use (r = {_fmt(r['corr_retained'])})")
        if not r["vanity"] or others[main] >= 5:
            if main == "leading":
                whys.append(f"it leads retention less well: {_auc_text(r)} vs {_fmt(win['auc'])} for the winner")
            elif main == "checklist":
                weak = [i for i in CHECKLIST if r[i] <= 2]
                whys.append(f"the team scores it lower on the checklist ({r['checklist']:.1f}/5 vs "
                            f"{win['checklist']:.1f}" + (f"; weak on {', '.join(i.replace('_', ' ') for i in weak)}"
                                                         if weak else "") + ")")
            else:
                whys.append(f"it barely moves beyond its {_every(r['window'])} noise (signal-to-noise "
                            f"{_fmt(r['snr'], '.1f')} vs {_fmt(win['snr'], '.1f')})")
        why = "; and ".join(whys)
        out.append(f"{head} loses to {win['label']}: {why}.")
    return out


def winner_finding(scores: pd.DataFrame) -> str:
    """The ranking in sentences (markdown): the winner's reason, then each loser's."""
    if scores is None or scores.empty:
        return "The team's params list no North Star candidates (north_star.candidates), so there is nothing to score."
    return "\n\n".join(f"{int(r['rank'])}. {r['reason']}" for _, r in scores.iterrows())


def vanity_finding(scores: pd.DataFrame) -> str:
    """A sentence on the candidates flagged as vanity (or that none is)."""
    if scores is None or scores.empty:
        return "No candidates to check for vanity."
    flagged = scores[scores["vanity"]]
    if flagged.empty:
        best = scores.sort_values("acquisition", ascending=False).iloc[0]
        return (f"No candidate looks like a vanity metric: the one closest to acquisition, {best['label']}, has "
                f"a {_every(best['window'])} series correlated r = {_fmt(best['acquisition'])} with spend or sign-ups and "
                f"r = {_fmt(best['corr_retained'])} with retained use.")
    parts = []
    for _, r in flagged.iterrows():
        spend = "" if math.isnan(r["corr_spend"]) else f"acquisition spend (r = {_fmt(r['corr_spend'])}) and "
        verdict = ("is flagged as vanity-like even though it ranks first" if r["rank"] == 1 else
                   "is rejected as a vanity metric")
        parts.append(f"{r['label']} {verdict}: its {_every(r['window'])} series moves with {spend}"
                     f"sign-ups (r = {_fmt(r['corr_signups'])}), not with retained use (r = "
                     f"{_fmt(r['corr_retained'])}); it would rise whenever marketing spends more, whatever the "
                     "product does.")
    return " ".join(parts)


# ------------------------------------------------------------------------------------- magic number


def _outcome_week(outcome: str) -> int:
    m = re.fullmatch(r"active_week_(\d+)", str(outcome))
    if not m:
        raise ValueError(f"outcome={outcome!r} is not supported. Fix: use 'active_week_N', e.g. 'active_week_8' "
                         "(any event in days 7N to 7N+7 after sign-up)")
    return int(m.group(1))


def magic_number(events: ibis.Table, action: str, within_days: float = 7, outcome: str = "active_week_8",
                 signup_event: str = "signup", max_threshold: int = 10, timezone: str = "UTC", as_of=None,
                 min_users: int = MIN_USERS, min_share: float = 0.05) -> pd.DataFrame:
    """Retention of users who did ``action`` at least k times in their first ``within_days`` vs the rest,
    for k = 1..``max_threshold``: the "magic number" (Facebook's "7 friends in 10 days", via FIELD-FACTS).

    Users: everyone with a ``signup_event`` whose outcome window ended before ``as_of``. ``outcome``
    ``"active_week_N"`` = any event in [signup + 7N days, signup + 7N + 7 days). For each k:
    ``rate_above`` = retained / users among those with >= k actions, ``rate_below`` the same for < k,
    ``diff`` = rate_above - rate_below with Newcombe's 95% interval (:func:`stats.diff_proportions`),
    ``share_above`` = share of users already past the threshold, and Youden's J = TPR - FPR of the rule
    "retained if >= k" (TPR = retained users above / all retained; FPR = churned users above / all churned).

    **Best threshold**: the k with the largest difference ``diff`` among thresholds with at least
    ``min_users`` users on both sides, at least ``min_share`` of users already past it, and a difference
    above noise (interval above 0): the point where retention jumps, as in "7 friends in 10 days". The
    share floor keeps a trait of a few power users (reached by under 5%) from being called an onboarding
    goal. Youden's J is reported beside it as a second view (it prefers lower thresholds that cover more
    of the retained users).

    Per-user counts run in the backend; only one row per action count (capped at ``max_threshold``) comes
    back, and the per-threshold table is built from it.

    Returns
    -------
    DataFrame, one row per k: ``threshold``, ``users_above``, ``retained_above``, ``rate_above``,
    ``users_below``, ``retained_below``, ``rate_below``, ``diff``, ``ci_low``, ``ci_high``, ``significant``,
    ``share_above``, ``youden_j``, ``small_sample``, ``best`` (bool, at most one True). Thresholds that no
    user reaches are left out (when at least one is reached).

    Examples
    --------
    >>> ev = _data.load_events(pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b", "c"],
    ...     "event": ["signup", "invite_sent", "x", "signup", "invite_sent", "signup"],
    ...     "timestamp": ["2025-01-01", "2025-01-02", "2025-01-08", "2025-01-01", "2025-01-02", "2025-01-01"]}))
    >>> t = magic_number(ev, "invite_sent", 7, "active_week_1", max_threshold=1, as_of="2025-03-01")
    >>> t[["threshold", "users_above", "rate_above", "rate_below"]].to_dict("records")
    [{'threshold': 1, 'users_above': 2, 'rate_above': 0.5, 'rate_below': 0.0}]
    """
    checks.events_table(events)
    if not isinstance(max_threshold, (int, np.integer)) or isinstance(max_threshold, bool) or max_threshold < 1:
        raise ValueError(f"max_threshold={max_threshold!r}: expected an integer >= 1 (e.g. 10)")
    days = float(within_days.total_seconds() / 86400) if hasattr(within_days, "total_seconds") else within_days
    if isinstance(days, str):
        from .config import parse_duration
        days = parse_duration(days).total_seconds() / 86400
    if not isinstance(days, (int, float)) or days <= 0:
        raise ValueError(f"within_days={within_days!r}: expected a positive number of days (e.g. 7) or '7d'")
    week = _outcome_week(outcome)
    _, as_of_utc = _resolve_as_of(events, as_of, timezone)
    _check_event(events, action, "action")
    _check_event(events, signup_event, "signup_event")
    ev = events.filter(events.timestamp < as_of_utc)
    su = ev.filter(ev.event == signup_event)
    su = su.group_by("user_id").aggregate(_start=su.timestamp.min())
    lo, hi = 7 * week * 86400, 7 * (week + 1) * 86400
    horizon = max(hi, days * 86400)
    su = su.filter(su._start + ibis.interval(seconds=int(horizon)) <= ibis.literal(as_of_utc))
    su = su.select(_su=su.user_id, _start=su._start)
    j = ev.join(su, ev.user_id == su._su)
    j = j.mutate(_age=_data.seconds_between(j.timestamp, j._start))
    acts = j.filter((j.event == action) & (j._age >= 0) & (j._age < days * 86400))
    acts = acts.group_by("user_id").aggregate(_n=acts.count())
    kept = j.filter((j._age >= lo) & (j._age < hi)).select("user_id").distinct().mutate(_r=ibis.literal(1))
    per = su.left_join(acts, su._su == acts.user_id).select("_su", "_n")
    per = per.left_join(kept, per._su == kept.user_id).select("_su", "_n", "_r")
    per = per.mutate(_n=ibis.least(per._n.fill_null(0), max_threshold), _r=per._r.fill_null(0))
    hist = per.group_by("_n").aggregate(users=per.count(), retained=per._r.sum()).execute()
    hist = hist.set_index("_n").reindex(range(max_threshold + 1), fill_value=0).astype("int64")
    total_users, total_retained = int(hist["users"].sum()), int(hist["retained"].sum())
    if total_users == 0:
        raise ValueError(f"no user with a {signup_event!r} event has a complete {outcome} window before as_of. "
                         "Fix: choose an earlier outcome week or a later as_of")
    rows = []
    for k in range(1, max_threshold + 1):
        ua, ra = int(hist["users"].iloc[k:].sum()), int(hist["retained"].iloc[k:].sum())
        ub, rb = total_users - ua, total_retained - ra
        d = diff_proportions(ra, ua, rb, ub)
        churned = total_users - total_retained
        tpr = ra / total_retained if total_retained else float("nan")
        fpr = (ua - ra) / churned if churned else float("nan")
        rows.append({"threshold": k, "users_above": ua, "retained_above": ra,
                     "rate_above": ra / ua if ua else float("nan"), "users_below": ub, "retained_below": rb,
                     "rate_below": rb / ub if ub else float("nan"), "diff": d["diff"], "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "significant": d["significant"], "share_above": ua / total_users,
                     "youden_j": tpr - fpr, "small_sample": bool(small_sample(ra, ua) or small_sample(rb, ub))})
    t = pd.DataFrame(rows)
    if (t["users_above"] == 0).any() and (t["users_above"] > 0).any():
        t = t[t["users_above"] > 0].reset_index(drop=True)  # nobody does the action that often: no rows to read
    eligible = ((t["users_above"] >= min_users) & (t["users_below"] >= min_users) & (t["ci_low"] > 0)
                & (t["share_above"] >= min_share))
    t["best"] = False
    if eligible.any():
        t.loc[t.loc[eligible, "diff"].idxmax(), "best"] = True
    return t


def magic_number_action(params: TeamParams) -> dict | None:
    """Which early action a team's magic number is about, from its event roles.

    Invites sent (the network effect behind "7 friends in 10 days") when the team has that role, in the
    first 7 days; else the activation event in its activation window; else the core action in 7 days.
    Returns None when the team names none of these roles.

    >>> from pmplaybook.config import load_params
    >>> magic_number_action(load_params("onboarding"))["action"]
    'project_created'
    """
    e = params.events
    if e.invite_sent:
        return {"action": e.invite_sent, "within_days": 7.0, "role": "invites sent (events.invite_sent)"}
    if e.activation:
        return {"action": e.activation.event, "within_days": float(e.activation.within_days),
                "role": "the activation event (events.activation)"}
    if e.core_action:
        return {"action": e.core_action, "within_days": 7.0, "role": "the core action (events.core_action)"}
    return None


def magic_number_finding(table: pd.DataFrame, action: str, within_days: float,
                         outcome: str = "active_week_8") -> str:
    """The magic number in a sentence, computed from a :func:`magic_number` table."""
    best = table[table["best"]]
    week = _outcome_week(outcome)
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


# -------------------------------------------------------------------------------------- metric tree

#: Computable input and guardrail metrics: label, unit, whether higher is better, the event roles they
#: need, and which function computes them.
INPUT_METRICS = {
    "activation_rate": dict(label="Activation rate", unit="share", higher_is_better=True, needs=("activation",),
                            source="pmplaybook.retention.activated_users, by sign-up week"),
    "week4_retention": dict(label="Week-4 retention", unit="share", higher_is_better=True, needs=(),
                            source="pmplaybook.retention.cohort_retention, period 4 of sign-up week cohorts"),
    "invites_per_user": dict(label="Invites per active user", unit="ratio", higher_is_better=True,
                             needs=("invite_sent",), source="north_star (ibis): invites / weekly active users"),
    "key_actions_per_active_user": dict(label="Core actions per active user", unit="ratio", higher_is_better=True,
                                        needs=("core_action",),
                                        source="pmplaybook.heart.engagement, weekly"),
    "weekly_active_users": dict(label="Weekly active users", unit="users", higher_is_better=True, needs=(),
                                source="north_star (ibis): distinct users per week"),
    "task_failure_rate": dict(label="Task failure rate", unit="share", higher_is_better=False,
                              needs=("task_failed",),
                              source="pmplaybook.heart.task_success (attempts), else north_star (ibis) event counts"),
    "task_completion_rate": dict(label="Task completion rate", unit="share", higher_is_better=True,
                                 needs=("task_completed",),
                                 source="pmplaybook.heart.task_success (attempts), else north_star (ibis) event counts"),
    "paying_accounts": dict(label="Paying accounts", unit="accounts", higher_is_better=True, needs=("payment",),
                            source="north_star (ibis): accounts with a payment in the last 35 days, weekly"),
}


def _weekly_counts(events, predicate, week_start, timezone, as_of_utc, distinct=None):
    ev = events.filter((events.timestamp < as_of_utc) & predicate)
    ev = ev.mutate(_p=_period_index(ev.timestamp, "week", timezone, week_start))
    agg = ev[distinct].nunique() if distinct else ev.count()
    return ev.group_by("_p").aggregate(n=agg).execute().set_index("_p")["n"]


def input_series(metric: str, params: TeamParams, ds) -> pd.DataFrame:
    """A computable input or guardrail metric per complete week (team time zone, ``week_start``).

    Definitions (``numerator / denominator`` per week):

    - ``activation_rate``: users activated by the team's rule / users who signed up that week (sign-up week
      cohorts whose activation windows have all closed; :func:`pmplaybook.retention.activated_users`).
      Strong: 25-40% (Koala, via FIELD-FACTS).
    - ``week4_retention``: users of a sign-up week active in calendar week 4 after it / cohort size
      (:func:`pmplaybook.retention.cohort_retention`; complete cohorts only).
    - ``invites_per_user``: invites sent / weekly active users (a small ibis expression here).
    - ``key_actions_per_active_user``: core actions / weekly active users
      (:func:`pmplaybook.heart.engagement`).
    - ``weekly_active_users``: distinct users with any event.
    - ``task_failure_rate``: failed / attempted tasks, ``task_completion_rate``: completed / attempted, with
      attempts paired start -> outcome by :func:`pmplaybook.heart.task_success` (all workflows pooled, by the
      week the attempt started); without start and completed roles, failed / (completed + failed) events.
    - ``paying_accounts``: accounts with a payment in the 35 days before the week's end.

    Returns
    -------
    DataFrame: ``period``, ``numerator``, ``denominator``, ``value``; empty when the team lacks a needed
    role (:func:`metric_tree` says so in a sentence). Raises ValueError for an unknown metric name.
    """
    if metric not in INPUT_METRICS:
        raise ValueError(f"metric={metric!r} is not a computable input. Fix: use one of {', '.join(INPUT_METRICS)}")
    e, ev, tz, ws = params.events, ds.events, ds.timezone, params.week_start
    spec = INPUT_METRICS[metric]
    if any(getattr(e, role) is None for role in spec["needs"]):
        return pd.DataFrame(columns=["period", "numerator", "denominator", "value"])
    as_of_local, as_of_utc = _resolve_as_of(ev, ds.as_of, tz)
    weeks = _complete_range(ev, "week", tz, ws, as_of_local)
    frame = pd.DataFrame(index=pd.Index(list(weeks), name="_p"))
    if metric == "activation_rate":
        from . import retention
        users = retention.activated_users(ev, e.signup, e.activation, ds.as_of, tz)
        users = users.filter(users.window_complete)
        users = users.mutate(_p=_period_index(users.signup_time, "week", tz, ws))
        got = users.group_by("_p").aggregate(numerator=users.activated.cast("int64").sum(),
                                             denominator=users.count()).execute().set_index("_p")
        # a week counts only once every sign-up in it has had its whole activation window
        last_ok = _index_of(as_of_local - pd.Timedelta(days=e.activation.within_days), "week", ws) - 1
        frame = frame.join(got).loc[lambda f: f.index <= last_ok]
    elif metric == "week4_retention":
        from . import retention
        t = retention.cohort_retention(ev, "week", cohort_event=e.signup, periods=4, as_of=ds.as_of,
                                       week_start=ws, timezone=tz)
        t = t[(t["period"] == 4) & t["complete"]]
        got = pd.DataFrame({"numerator": t["retained"].to_numpy(), "denominator": t["cohort_size"].to_numpy()},
                           index=pd.Index([_index_of(c, "week", ws) for c in t["cohort"]], name="_p"))
        frame = frame.join(got, how="inner")
    elif metric == "key_actions_per_active_user":
        from . import heart
        t = heart.engagement(ev, key_action=e.core_action, period="week", timezone=tz, week_start=ws,
                             as_of=ds.as_of)
        t = t[t["complete"]]
        got = pd.DataFrame({"numerator": t["key_actions"].to_numpy(), "denominator": t["active_users"].to_numpy()},
                           index=pd.Index([_index_of(p, "week", ws) for p in t["period"]], name="_p"))
        frame = frame.join(got)
    elif metric in ("invites_per_user", "weekly_active_users"):
        active = _weekly_counts(ev, ev.user_id.notnull(), ws, tz, as_of_utc, distinct="user_id")
        frame["denominator"] = active
        if metric == "weekly_active_users":
            frame["numerator"] = active
            frame["denominator"] = 1
        else:
            frame["numerator"] = _weekly_counts(ev, ev.event == e.invite_sent, ws, tz, as_of_utc)
    elif metric in ("task_failure_rate", "task_completion_rate") and e.task_started and e.task_completed:
        from . import heart
        t = heart.task_success(ev, e.task_started, e.task_completed, e.task_failed, workflow=None, period="week",
                               timezone=tz, week_start=ws, as_of=ds.as_of)
        top = "failed" if metric == "task_failure_rate" else "completed"
        t = t.groupby("period", as_index=False)[[top, "attempts"]].sum()
        got = pd.DataFrame({"numerator": t[top].to_numpy(), "denominator": t["attempts"].to_numpy()},
                           index=pd.Index([_index_of(p, "week", ws) for p in t["period"]], name="_p"))
        frame = frame.join(got)
    elif metric in ("task_failure_rate", "task_completion_rate"):  # no start/completed pair: count events
        top = e.task_failed if metric == "task_failure_rate" else e.task_completed
        frame["numerator"] = _weekly_counts(ev, ev.event == top, ws, tz, as_of_utc)
        if e.task_started:
            frame["denominator"] = _weekly_counts(ev, ev.event == e.task_started, ws, tz, as_of_utc)
        else:
            names = [n for n in (e.task_completed, e.task_failed) if n]
            frame["denominator"] = _weekly_counts(ev, ev.event.isin(names), ws, tz, as_of_utc)
    elif metric == "paying_accounts":
        unit = "account_id" if "account_id" in ev.columns else "user_id"
        pay = ev.filter((ev.timestamp < as_of_utc) & (ev.event == e.payment))
        pay = pay.select(_a=pay[unit], _p=_period_index(pay.timestamp, "week", tz, ws)).distinct()
        # a payment in week p covers weeks p..p+4 (35 days of monthly billing): spread it, then count
        spread = ibis.union(*[pay.select("_a", _p=pay._p + i) for i in range(5)], distinct=True)
        got = spread.group_by("_p").aggregate(numerator=spread.count()).execute().set_index("_p")
        frame = frame.join(got)
        frame["denominator"] = 1
    frame = frame.fillna({"numerator": 0, "denominator": 0})
    frame["numerator"] = frame["numerator"].astype("float64")
    frame["denominator"] = frame["denominator"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["value"] = np.where(frame["denominator"] > 0, frame["numerator"] / frame["denominator"], np.nan)
    frame = frame.reset_index()
    frame.insert(0, "period", _start_of(frame["_p"], "week", ws))
    return frame[["period", "numerator", "denominator", "value"]].reset_index(drop=True)


def _trend(series: pd.DataFrame, unit: str, higher_is_better: bool, periods: int = 4) -> dict:
    """Pooled value of the last ``periods`` complete periods vs the ``periods`` before."""
    s = series.dropna(subset=["value"])
    out = {"current": float("nan"), "previous": float("nan"), "change": float("nan"), "ci_low": float("nan"),
           "ci_high": float("nan"), "significant": False, "direction": "n/a", "status": "n/a"}
    if len(s) < 2 * periods:
        return out
    last, before = s.iloc[-periods:], s.iloc[-2 * periods:-periods]
    if "numerator" in s.columns:
        n1, d1, n0, d0 = (last["numerator"].sum(), last["denominator"].sum(), before["numerator"].sum(),
                          before["denominator"].sum())
        cur, prev = n1 / d1 if d1 else float("nan"), n0 / d0 if d0 else float("nan")
    else:
        cur, prev = float(last["value"].mean()), float(before["value"].mean())
        n1 = d1 = n0 = d0 = None
    out.update(current=cur, previous=prev)
    if unit == "share" and n1 is not None and n1 <= d1 and n0 <= d0:
        d = diff_proportions(n1, d1, n0, d0)
        out.update(change=d["diff"], ci_low=d["ci_low"], ci_high=d["ci_high"], significant=d["significant"])
    else:
        change = (cur - prev) / abs(prev) if prev else float("nan")
        noise = last["value"].std() + before["value"].std()  # a rough band: a week's wobble on either side
        out.update(change=change, significant=bool(abs(cur - prev) > noise / 2 and abs(change) >= 0.05))
    if out["significant"]:
        up = out["change"] > 0
        out["direction"] = "up" if up else "down"
        out["status"] = "better" if up == higher_is_better else "worse"
    else:
        out["direction"], out["status"] = "flat", "flat"
    return out


def _default_inputs(params: TeamParams) -> list[str]:
    e = params.events
    picks = ["activation_rate"] if e.activation else []
    picks.append("week4_retention")
    if e.invite_sent:
        picks.append("invites_per_user")
    elif e.core_action:
        picks.append("key_actions_per_active_user")
    return picks[:3]


def metric_tree(params: TeamParams, ds, north_star: str | None = None, table: pd.DataFrame | None = None,
                periods: int = 4) -> pd.DataFrame:
    """The working hierarchy (PMRead, via FIELD-FACTS): one North Star, its 2-3 inputs, one guardrail.

    ``north_star`` names a candidate (default: the team's first); ``table`` may carry its series (from
    :func:`candidate_table`). Inputs are ``params.north_star.inputs`` (default, when the params name none:
    activation rate, week-4 retention and invites or core actions per active user, as the team's roles
    allow); the guardrail is ``params.north_star.guardrail`` (default ``task_failure_rate`` when the team has
    task events). Each gets its current value (pooled over the last ``periods`` complete weeks; periods of
    the candidate's window for the North Star) and its trend against the ``periods`` before; shares are
    compared with :func:`stats.diff_proportions`, other units by relative change beyond week-to-week noise.
    A metric that cannot be computed for this team keeps a row with ``note`` saying why.

    Returns
    -------
    DataFrame: ``role`` (north_star / input / guardrail), ``metric``, ``label``, ``unit``,
    ``higher_is_better``, ``current``, ``previous``, ``change``, ``ci_low``, ``ci_high``, ``significant``,
    ``direction``, ``status`` (better / worse / flat / n/a), ``note``.
    """
    cands = {c.name: c for c in params.north_star.candidates}
    rows = []
    if cands:
        name = north_star or next(iter(cands))
        if name not in cands:
            raise ValueError(f"north_star={name!r} is not one of the team's candidates ({', '.join(cands)})")
        c = cands[name]
        s = table[table["candidate"] == name] if table is not None else candidate_series(
            ds.events, c, ds.timezone, ds.as_of, params.week_start)
        row = {"role": "north_star", "metric": name, "label": c.label or name, "unit": "count",
               "higher_is_better": True, "note": f"per {c.window}"}
        row.update(_trend(s[["period", "value"]], "count", True, periods))
        rows.append(row)
    inputs = list(params.north_star.inputs) or _default_inputs(params)
    default_note = "" if params.north_star.inputs else "default input (params name none)"
    guard = params.north_star.guardrail or ("task_failure_rate" if params.events.task_failed else None)
    roles = [("input", m) for m in inputs] + ([("guardrail", guard)] if guard else [])
    for role, m in roles:
        spec = INPUT_METRICS.get(m)
        row = {"role": role, "metric": m, "label": spec["label"] if spec else m.replace("_", " "),
               "unit": spec["unit"] if spec else "", "higher_is_better": spec["higher_is_better"] if spec else True}
        if spec is None:
            row.update(_trend(pd.DataFrame(columns=["value"]), "", True), note=(
                f"not computable here: {m!r} is not one of {', '.join(INPUT_METRICS)}"))
        else:
            s = input_series(m, params, ds)
            missing = [r for r in spec["needs"] if getattr(params.events, r) is None]
            row.update(_trend(s, spec["unit"], spec["higher_is_better"], periods))
            row["note"] = (f"skipped: the team's params name no events.{', '.join(missing)}" if missing else
                           (default_note if role == "input" else
                            ("" if params.north_star.guardrail else "default guardrail (params name none)")))
        rows.append(row)
    cols = ["role", "metric", "label", "unit", "higher_is_better", "current", "previous", "change", "ci_low",
            "ci_high", "significant", "direction", "status", "note"]
    return pd.DataFrame(rows, columns=cols)


def _value_text(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _change_text(r) -> str:
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
        lines.append(f"- {role} **{r['label']}**: {_value_text(r['current'], r['unit'])} over the last 4 "
                     f"complete periods, {_change_text(r)}.")
    worse = tree[(tree["role"] == "guardrail") & (tree["status"] == "worse")]
    if len(worse):
        lines.append(f"\nThe guardrail {worse.iloc[0]['label']} is getting worse: check that the North Star is "
                     "not being pushed up at the users' expense.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- metric stack

LEVELS = ("business_outcome", "product_outcome", "activity")
#: Known KPI names -> level (PMRead's three levels; Gupta's pyramid; ICAgile's buckets, via FIELD-FACTS).
KPI_LEVELS = {
    "revenue": "business_outcome", "mrr": "business_outcome", "arr": "business_outcome",
    "ltv": "business_outcome", "ltv_cac": "business_outcome", "cac": "business_outcome",
    "net_revenue_retention": "business_outcome", "churn": "business_outcome", "nps": "business_outcome",
    "csat": "business_outcome", "ces": "business_outcome", "week4_retention": "business_outcome",
    "renewal_rate": "business_outcome",
    "activation_rate": "product_outcome", "time_to_value": "product_outcome", "dau_mau": "product_outcome",
    "k_factor": "product_outcome", "task_completion_rate": "product_outcome",
    "task_failure_rate": "product_outcome", "feature_adoption": "product_outcome",
    "invites_per_user": "product_outcome", "key_actions_per_active_user": "product_outcome",
    "signups": "activity", "page_views": "activity", "downloads": "activity",
    "features_shipped": "activity", "bugs_closed": "activity", "velocity": "activity",
}
#: Keyword rules, tried in order when a name is not in :data:`KPI_LEVELS`.
KPI_KEYWORDS = (
    ("activity", ("shipped", "released", "bugs", "sprint", "velocity", "story_point", "deploy", "tickets_closed",
                  "signup", "sign_up", "page_view", "pageview", "download", "visit", "follower", "registered",
                  "impression")),
    ("business_outcome", ("revenue", "mrr", "arr", "ltv", "cac", "churn", "nps", "csat", "retention", "renewal",
                          "profit", "margin")),
    ("product_outcome", ("activation", "adoption", "conversion", "time_to", "engagement", "dau", "wau", "mau",
                         "active", "completion", "failure", "k_factor", "referral", "per_user", "stickiness")),
)
VANITY_WORDS = ("signup", "sign_up", "page_view", "pageview", "download", "registered", "follower", "impression",
                "visit")


def classify_kpis(params: TeamParams, north_star: str | None = None) -> pd.DataFrame:
    """Place each of the team's KPIs (``params.kpis`` keys, plus the North Star) on the metric stack.

    Three levels (PMRead, via FIELD-FACTS): **business outcomes** (revenue, retention, NPS, churn: lagging),
    **product outcomes** (activation, time to value, adoption, engagement: leading, owned by the PM),
    **activity** (features shipped, bugs closed, sign-ups, page views: outputs or vanity, not KPIs). A name is
    looked up in :data:`KPI_LEVELS`, else matched against :data:`KPI_KEYWORDS` (first rule wins), else
    "unclassified". The North Star is a product outcome by definition unless it is an activity/vanity name.

    Returns
    -------
    DataFrame: ``kpi``, ``level``, ``rule`` (lookup / keyword '<word>' / none), ``vanity`` (bool),
    ``north_star`` (bool).

    >>> from pmplaybook.config import load_params
    >>> classify_kpis(load_params("growth")).set_index("kpi")["level"].to_dict()["ltv_cac"]
    'business_outcome'
    """
    names = list(params.kpis)
    rows = []
    for name in names + ([north_star] if north_star and north_star not in names else []):
        key = name.lower()
        level, rule = KPI_LEVELS.get(key), "lookup"
        if level is None:
            rule = "none"
            for lvl, words in KPI_KEYWORDS:
                hit = next((w for w in words if w in key), None)
                if hit:
                    level, rule = lvl, f"keyword '{hit}'"
                    break
        is_ns = name == north_star
        if is_ns and level != "activity":
            level, rule = "product_outcome", "north star"
        rows.append({"kpi": name, "level": level or "unclassified", "rule": rule,
                     "vanity": any(w in key for w in VANITY_WORDS), "north_star": is_ns})
    return pd.DataFrame(rows, columns=["kpi", "level", "rule", "vanity", "north_star"])


def metric_stack_warnings(stack: pd.DataFrame, max_kpis: int = 7) -> list[str]:
    """Warnings on a :func:`classify_kpis` table: too many primary KPIs (ProdPad: 3-7 per product area;
    PMRead: "15 KPIs is no KPIs"), activity or vanity metrics among the KPIs (outputs dressed as outcomes),
    no business outcome or no product outcome (a healthy set has lagging and leading metrics, ProdPad).
    An empty list means the stack looks healthy.

    >>> s = pd.DataFrame({"kpi": ["signups", "nps"], "level": ["activity", "business_outcome"],
    ...     "rule": ["lookup"] * 2, "vanity": [True, False], "north_star": [False, False]})
    >>> [w.split(":")[0] for w in metric_stack_warnings(s)]
    ['Activity metrics dressed as outcomes', 'No product outcome']
    """
    out = []
    n = len(stack)
    if n > max_kpis:
        out.append(f"Too many KPIs: {n} primary KPIs, more than the {max_kpis} a team can act on (ProdPad: 3-7 per "
                   "product area; PMRead: \"15 KPIs is no KPIs\"). Keep the North Star, 2-3 inputs and a "
                   "guardrail; move the rest to a secondary dashboard.")
    act = stack[(stack["level"] == "activity") | stack["vanity"]]
    if len(act):
        out.append(f"Activity metrics dressed as outcomes: {', '.join(act['kpi'])} "
                   f"{'counts' if len(act) == 1 else 'count'} output or acquisition volume, not value delivered. "
                   "Replace with the outcome it is meant to drive (e.g. activation rate instead of sign-ups).")
    if n and not (stack["level"] == "business_outcome").any():
        out.append("No business outcome: nothing here tells whether the product earns or keeps customers "
                   "(revenue, retention, NPS). Add one lagging metric.")
    if n and not (stack["level"] == "product_outcome").any():
        out.append("No product outcome: every KPI is lagging, so the team learns too late. Add a leading metric "
                   "it can move within weeks (activation, adoption).")
    unknown = stack[stack["level"] == "unclassified"]
    if len(unknown):
        out.append(f"Unclassified: {', '.join(unknown['kpi'])}; name it after what it measures, or add it to "
                   "north_star.KPI_LEVELS.")
    return out


# ------------------------------------------------------------------------------- notebook helpers


def checklist_table(params: TeamParams) -> pd.DataFrame:
    """The team's own 1-5 scores per candidate and checklist item (rows = items, columns = candidates);
    an unscored item shows as NaN (counted 3 in :func:`score_candidates`).

    >>> from pmplaybook.config import load_params
    >>> checklist_table(load_params("onboarding")).loc["not_vanity"].to_dict()
    {'weekly_activated_users': 4.0, 'weekly_signups': 1.0}
    """
    cols = {c.name: [float(c.scores[i]) if i in c.scores else float("nan") for i in CHECKLIST]
            for c in params.north_star.candidates}
    out = pd.DataFrame(cols, index=pd.Index(list(CHECKLIST), name="item"))
    if len(out.columns):
        out.loc["mean"] = out.fillna(3).mean()
    return out


def winner(scores: pd.DataFrame) -> str | None:
    """The top-ranked candidate's name (None without candidates)."""
    return None if scores is None or scores.empty else str(scores.iloc[0]["candidate"])


def magic_number_for(params: TeamParams, ds, outcome: str = "active_week_8", max_threshold: int = 10) -> dict:
    """The magic number of a team's early action (:func:`magic_number_action`), ready for the notebook.

    Returns a dict with ``action``, ``within_days``, ``role``, ``table`` (or None) and ``sentence`` (the
    finding, or why it was skipped: no suitable role, or no complete outcome window).
    """
    pick = magic_number_action(params)
    if pick is None:
        return {"action": None, "within_days": None, "role": None, "table": None,
                "sentence": "Skipped: the team's params name no invite, activation or core-action event "
                            "(events.invite_sent / activation / core_action), so there is no early action to test."}
    try:
        t = magic_number(ds.events, pick["action"], pick["within_days"], outcome, params.events.signup,
                         max_threshold, ds.timezone, ds.as_of)
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
                      f"{_fmt(r['snr'], '.1f')})" for _, r in stuck.iterrows()) + "." if len(stuck)
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
    return {
        "north_star": value,
        "north_star_label": f"North Star: {top['label'].iloc[0]}" if len(top) else "North Star",
        "magic_number_share": share,
        "magic_number_label": (f"Share of new users past the magic number ({int(best['threshold'].iloc[0])} "
                               f"{magic['action']} in {magic['within_days']:g} days)") if len(best)
        else "Share of new users past the magic number",
    }
