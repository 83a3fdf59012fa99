"""North Star candidates: each candidate's series, the evidence for and against it (does it lead
retention and revenue? does it move with acquisition? does it move beyond its noise?) and the ranking.
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
from scipy import stats as _sps

from ..config.params import NorthStarCandidate
from ..config.vocabulary import CHECKLIST
from ..core import checks
from ..core.calendar import (
    period_index,
    period_index_expr,
    period_index_utc,
    period_start,
    resolve_as_of,
    uses_calendar,
)
from ..core.engines import local_time, seconds_between

WINDOWS = ("day", "week", "month")


#: Periods of the trend window used by :func:`sensitivity`: about half a year.
TREND_PERIODS = {"day": 182, "week": 26, "month": 6}


#: The column naming the inviter on ``invite_accepted`` rows (the event is logged on the invitee). A team
#: whose log names it otherwise maps its column to this name in params ``data.columns``.
INVITER_COLUMN = "inviter_id"


#: Largest per-unit frame brought to pandas for the leading-indicator statistics (hash-sampled above).
MAX_UNITS = 200_000


def _candidate(candidate) -> NorthStarCandidate:
    if isinstance(candidate, NorthStarCandidate):
        return candidate
    if isinstance(candidate, dict):
        return NorthStarCandidate(**candidate)
    raise TypeError(f"candidate must be a NorthStarCandidate (params.north_star.candidates[i]) or a dict with "
                    f"its keys (name, event, aggregation, per, window, threshold), got {candidate!r}")


_FIRST_DAY: dict = {}


def _first_day(events: ibis.Table, timezone: str) -> pd.Timestamp:
    """The first local day with an event (one scan per table and zone; remembered, since a notebook asks
    for it once per candidate and input)."""
    key = (events, timezone)
    if key not in _FIRST_DAY:
        first = events.aggregate(first=local_time(events.timestamp, timezone).min()).execute().iloc[0]["first"]
        if pd.isna(first):
            raise ValueError("events: the table is empty. Fix: check the source and its filters")
        if len(_FIRST_DAY) > 64:
            _FIRST_DAY.clear()
        _FIRST_DAY[key] = pd.Timestamp(first).normalize()
    return _FIRST_DAY[key]


def complete_periods(events: ibis.Table, window: str, timezone: str, week_start: str,
                    as_of_local: pd.Timestamp) -> range:
    """Indices of the periods that lie wholly inside the data: starting on or after the first local day
    with an event and ending by ``as_of``."""
    first_day = _first_day(events, timezone)
    lo = period_index(first_day, window, week_start)
    if period_start([lo], window, week_start)[0] < first_day:
        lo += 1  # the first period started before the data did: partial
    hi = period_index(as_of_local - pd.Timedelta(days=1), window, week_start)
    if period_start([hi + 1], window, week_start)[0] > as_of_local:
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


@uses_calendar
def candidate_series(events: ibis.Table, candidate, *, timezone: str = "UTC", as_of=None,
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
    as_of : date-like, the first local day not covered (default: the first local day the events do not cover
        completely, :func:`~pmplaybook.core.calendar.default_as_of`)
    week_start : {"monday", "sunday"}

    Returns
    -------
    DataFrame with ``period`` (local start, naive Timestamp), ``value`` (float), ``units`` (int: distinct
    users, or accounts when per="account", who did the event in the period).

    Examples
    --------
    Accounts with 2+ completed tasks in a week (2025-03-03 and 2025-03-10 are Mondays):

    >>> from pmplaybook.data import load_events

    >>> ev = load_events(pd.DataFrame({
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
    as_of_local, as_of_utc = resolve_as_of(events, as_of, timezone)
    periods = complete_periods(events, cand.window, timezone, week_start, as_of_local)
    ev = events.filter((events.timestamp < as_of_utc) & (events.event == cand.event))
    ev = ev.mutate(_p=period_index_utc(ev.timestamp, cand.window, timezone, week_start))
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
    out.insert(0, "period", period_start(out["_p"], cand.window, week_start))
    return out[["period", "value", "units"]].reset_index(drop=True)


@uses_calendar
def reference_series(events: ibis.Table, spend: ibis.Table | None = None, signup_event: str = "signup", *,
                     window: str = "week", timezone: str = "UTC", as_of=None,
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

    >>> from pmplaybook.data import load_events

    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "a", "b"],
    ...     "event": ["signup", "signup", "x", "x"],
    ...     "timestamp": ["2025-03-03", "2025-03-04", "2025-03-10", "2025-03-17"]}))
    >>> reference_series(ev, as_of="2025-03-24")[["signups", "active_users", "retained_users"]].to_dict("list")
    {'signups': [2, 0, 0], 'active_users': [2, 1, 1], 'retained_users': [0, 1, 0]}
    """
    checks.events_table(events)
    checks.choice("window", window, WINDOWS)
    as_of_local, as_of_utc = resolve_as_of(events, as_of, timezone)
    periods = complete_periods(events, window, timezone, week_start, as_of_local)
    ev = events.filter(events.timestamp < as_of_utc)
    active = ev.select("user_id", _p=period_index_utc(ev.timestamp, window, timezone, week_start)).distinct()
    prev = active.select(_uid=active.user_id, _q=active._p + 1)
    both = active.join(prev, (active.user_id == prev._uid) & (active._p == prev._q))
    first = ev.filter(ev.event == signup_event)
    first = first.group_by("user_id").aggregate(_t=first.timestamp.min())
    first = first.select(_p=period_index_utc(first._t, window, timezone, week_start))
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
        sp = sp.mutate(_p=period_index_expr(sp.date, window, week_start))
        money = sp.group_by("_p").aggregate(spend=sp.amount.sum()).execute().set_index("_p")
        out = out.join(money, on="_p")
        out["spend"] = out["spend"].fillna(0.0).astype("float64")
    else:
        out["spend"] = np.nan
    out.insert(0, "period", period_start(out["_p"], window, week_start))
    return out[["period", "spend", "signups", "active_users", "retained_users"]]


@uses_calendar
def unit_outcomes(events: ibis.Table, candidate, signup_event: str = "signup", *, early_days: float = 14,
                  outcome_week: int = 8, revenue_days: float = 91, revenue_column: str = "revenue",
                  credit_column: str | None = None, timezone: str = "UTC", as_of=None) -> ibis.Table:
    """Per unit (user, or account for per="account" candidates), still in the backend: the candidate's
    value in the unit's first ``early_days`` and what happened later.

    A unit starts at its first ``signup_event`` (an account: its first user's). ``early_value`` = the
    candidate's aggregation over the unit's candidate events in [start, start + early_days);
    ``active_week_8`` = 1 if the unit has any event in week ``outcome_week`` after its start, i.e. in
    [start + 7*outcome_week days, start + 7*(outcome_week+1) days); ``revenue`` = sum of
    ``revenue_column`` in [start + early_days, start + revenue_days) (0 without such a column). Only
    units whose windows all ended before ``as_of`` are kept.

    ``credit_column``: for an event logged on someone other than the user it credits, the column naming
    that user. ``invite_accepted`` is logged on the *invitee* (who has just signed up) with the inviter in
    ``inviter_id``: counted on its own ``user_id`` it measures "was this user invited", not "did this
    user's invites get accepted". With ``credit_column="inviter_id"`` the candidate's events are counted
    for the user that column names, in that user's first ``early_days`` (per-user candidates only; an
    account candidate counts the row's ``account_id``, which is the inviter's account).

    Returns an unexecuted ibis table: ``unit``, ``early_value``, ``active_week_8`` (int 0/1), ``revenue``.

    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({
    ...     "user_id": ["a", "b", "b", "a"], "event": ["signup", "signup", "invite_accepted", "x"],
    ...     "inviter_id": [None, None, "a", None],
    ...     "timestamp": ["2025-01-01", "2025-01-03", "2025-01-03 00:00:01", "2025-02-27"]}))
    >>> c = {"name": "accepted", "event": "invite_accepted"}
    >>> own = unit_outcomes(ev, c, as_of="2025-06-01").execute().sort_values("unit")
    >>> credited = unit_outcomes(ev, c, credit_column="inviter_id", as_of="2025-06-01").execute().sort_values("unit")
    >>> own["early_value"].tolist(), credited["early_value"].tolist()
    ([0.0, 1.0], [1.0, 0.0])
    """
    checks.events_table(events)
    cand = _candidate(candidate)
    _, as_of_utc = resolve_as_of(events, as_of, timezone)
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
    age = seconds_between(j.timestamp, j._start)
    j = j.mutate(_age=age)
    if credit_column and cand.per != "account":
        if credit_column not in events.columns:
            raise ValueError(f"candidate {cand.name!r}: credit_column={credit_column!r} is not a column of the "
                             f"events table. Fix: map the column naming the credited user to {credit_column} in "
                             "params data.columns")
        cr = ev.filter((ev.event == cand.event) & ev[credit_column].notnull())
        cr = cr.mutate(_u=cr[credit_column].cast("string"))
        cr = cr.join(s, cr._u == s._su)
        cr = cr.mutate(_age=seconds_between(cr.timestamp, cr._start))
        early = cr.filter((cr._age >= 0) & (cr._age < early_days * 86400))
    else:
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


def leading_indicator(frame: pd.DataFrame, *, n_boot: int = 200, seed: int = 0, confidence: float = 0.95) -> dict:
    """Leading-indicator strength from a per-unit frame (from :func:`unit_outcomes`).

    - ``auc``: probability that a unit still active in week 8 had a higher early value than one that
      was not (0.5 = no information, 1.0 = perfect; ties count 1/2). The playbook quotes no benchmark for
      "good": it compares candidates with each other and with 0.5, through their intervals.
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


def vanity_signal(series: pd.DataFrame, reference: pd.DataFrame, *, threshold: float = 0.5,
                  gap: float = 0.2) -> dict:
    """Does a candidate move with acquisition rather than with retained use?

    Pearson correlations, over the complete periods, of the candidate's ``value`` with ``spend``, with
    ``signups`` and with ``retained_users`` of :func:`reference_series`: does it go up and down with
    acquisition, or with the use that stays? A vanity metric rises with ad spend (PMRead, ProdPad citing
    Eric Ries, Gupta). ``acquisition`` = ``corr_spend`` (the driver, as the field's test puts it), or
    ``corr_signups`` when there is no spend table; sign-ups are not the yardstick when spend is known,
    because a candidate that counts sign-ups (or invitees, who sign up too) correlates with them by
    construction. The candidate is flagged ``vanity`` when acquisition >= ``threshold`` and exceeds
    ``corr_retained`` by at least ``gap`` (the notebook's rule, a choice rather than a field benchmark).

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
    acq = out["corr_signups"] if math.isnan(out["corr_spend"]) else out["corr_spend"]
    out["acquisition"] = float(acq)
    retained = out["corr_retained"] if not math.isnan(out["corr_retained"]) else 0.0
    out["vanity"] = bool(np.isfinite(acq) and acq >= threshold and acq - retained >= gap)
    return out


def sensitivity(series: pd.DataFrame, *, periods: int | None = 26) -> dict:
    """Signal-to-noise of a series over its last ``periods`` values.

    ``noise`` = standard deviation of the period-over-period % changes (what a normal week does);
    ``movement`` = the change across the window implied by a least-squares line, relative to the
    window's mean (slope x (n - 1) / mean); ``snr = |movement| / noise``. Above about 1 the trend over
    the window is larger than a typical week's wobble, so the metric visibly responds to real change;
    well below 1 a team would need many weeks to see anything (a 5% drop may be normal weekly variation,
    Koala).

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


def candidate_table(ds) -> pd.DataFrame:
    """Every candidate's series next to the reference series (spend, sign-ups, retained use), long.

    Returns
    -------
    DataFrame: ``candidate``, ``label``, ``window``, ``period``, ``value``, ``units``, ``spend``,
    ``signups``, ``active_users``, ``retained_users``.
    """
    params = ds.params
    rows, refs = [], {}
    for c in params.north_star.candidates:
        if c.window not in refs:
            refs[c.window] = reference_series(ds.events, ds.spend, window=c.window, signup_event=params.events.signup, timezone=ds.timezone,
                                              as_of=ds.as_of, week_start=params.week_start)
        s = candidate_series(ds.events, c, timezone=ds.timezone, as_of=ds.as_of, week_start=params.week_start)
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


def score_candidates(ds, *, table: pd.DataFrame | None = None, early_days: float = 14, n_boot: int = 200,
                     max_units: int = MAX_UNITS) -> pd.DataFrame:
    """Rank the team's North Star candidates on its own checklist scores and on evidence from the data.

    Formula (0-100 points, transparent on purpose):

    - ``checklist_points`` = 100 x (mean of the team's 1-5 scores on Amplitude's checklist and the two
      tests, :data:`config.CHECKLIST`; an unscored item counts 3) - 1) / 4;
    - ``leading_points`` = 100 x clip(2 x (AUC - 0.5), 0, 1): AUC of the unit's first-``early_days``
      value predicting week-8 activity (0.5 = coin flip = 0 points, 0.75 = 50, 1.0 = 100); the team's
      ``invite_accepted`` event is credited to the inviter (:func:`credit_of`), since it is logged on the
      invitee;
    - ``sensitivity_points`` = 100 x clip(snr / 2, 0, 1) (:func:`sensitivity`: trend vs weekly noise);
    - ``score`` = 0.4 x checklist + 0.4 x leading + 0.2 x sensitivity, minus 30 when
      :func:`vanity_signal` flags the candidate (it moves with acquisition, not with retained use).

    Returns
    -------
    DataFrame, one row per candidate, best first: ``rank``, ``candidate``, ``label``, the checklist
    items, ``checklist`` (mean 1-5), ``credited_to`` (the credit column, or ""), ``leading_note`` (how the
    early value was counted, or why it was not), the :func:`leading_indicator` columns, ``corr_spend``,
    ``corr_signups``, ``corr_retained``, ``vanity``, ``noise``, ``movement``, ``snr``, the three
    ``*_points``, ``vanity_penalty`` and ``score``; :func:`pmplaybook.narrative.north_star.reasons` says why
    each wins or loses.
    """
    params = ds.params
    cands = params.north_star.candidates
    if not cands:
        return pd.DataFrame(columns=["rank", "candidate", "label", "score"])
    if table is None:
        table = candidate_table(ds)
    rows = []
    for c in cands:
        s = table[table["candidate"] == c.name]
        row = {"candidate": c.name, "label": c.label or c.name, "per": c.per, "window": c.window}
        for item in CHECKLIST:
            row[item] = c.scores.get(item, 3)
        row["checklist"] = float(np.mean([row[i] for i in CHECKLIST]))
        credit = credit_of(c, params)
        row["credited_to"] = credit or ""
        if credit and c.per != "account" and credit not in ds.events.columns:
            # logged on the invitee and no column names the inviter: the test would ask "was this user
            # invited", not what the candidate means, so it is not run
            row.update(leading_indicator(pd.DataFrame(columns=["early_value", "active_week_8", "revenue"]), n_boot=0))
            row["leading_note"] = (f"not tested: {c.event} is logged on the invited user and the events have no "
                                   f"{credit} column naming the inviter")
        else:
            units = unit_outcomes(ds.events, c, early_days=early_days, signup_event=params.events.signup,
                                  credit_column=credit, timezone=ds.timezone, as_of=ds.as_of)
            frame, _ = _to_pandas_units(units, max_units)
            row.update(leading_indicator(frame, n_boot=n_boot))
            row["leading_note"] = (f"{c.event} credited to the inviter ({credit})" if credit and c.per != "account"
                                   else "")
        ref = s[["period", "spend", "signups", "retained_users"]]
        row.update({k: v for k, v in vanity_signal(s, ref).items() if k != "periods"})
        row.update({k: v for k, v in sensitivity(s, periods=TREND_PERIODS[c.window]).items() if k != "periods"})
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
    return out


def credit_of(candidate, params) -> str | None:
    """The column naming the user a candidate's event credits, when the event is logged on someone else:
    :data:`INVITER_COLUMN` for the team's ``invite_accepted`` event (logged on the invitee), else None.

    >>> from pmplaybook.config import load_params
    >>> [credit_of(c, load_params("growth")) for c in load_params("growth").north_star.candidates]
    [None, None, 'inviter_id']
    """
    cand = _candidate(candidate)
    accepted = params.events.invite_accepted if params is not None else None
    return INVITER_COLUMN if accepted and cand.event == accepted else None


def winner(scores: pd.DataFrame) -> str | None:
    """The top-ranked candidate's name (None without candidates)."""
    return None if scores is None or scores.empty else str(scores.iloc[0]["candidate"])
