"""Retention in HEART: weekly actives still active k weeks later, and new users' week-k retention."""

from __future__ import annotations

import ibis
import pandas as pd

from .. import retention as _retention
from ..core.calendar import uses_calendar
from ..core.stats import diff_proportions, wilson_interval


def _retention_at(table: pd.DataFrame, k: int) -> pd.DataFrame:
    cell = table[(table["period"] == k) & table["complete"]].copy()
    return cell.rename(columns={"cohort_size": "users"})


@uses_calendar
def active_retention(events: ibis.Table, event=None, *, k: int = 4, period: str = "week",
                     segment: str | None = None, timezone: str = "UTC", week_start: str = "monday",
                     as_of=None) -> pd.DataFrame:
    """The share of a period's active users still active ``k`` periods later (HEART's retention).

    Uses :func:`pmplaybook.retention.cohort_retention` with ``cohort_type="recurring"`` (every period in
    which a user was active is a cohort) and ``mode="on"``: ``rate`` = users active in period c and in
    period c + k / users active in c, one row per complete cohort c, with a Wilson interval. The ranges
    quoted for retention (B2B 70-90%, consumer apps 20-40% at 90 days, Koala Feedback) count customers kept
    over months, not weekly actives active again k weeks later, so they are no benchmark for this rate.

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


@uses_calendar
def new_user_retention(events: ibis.Table, signup_event: str | None = "signup", *, k: int = 4,
                       period: str = "week", segment: str | None = None, timezone: str = "UTC",
                       week_start: str = "monday", as_of=None) -> pd.DataFrame:
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


def segment_gaps(tables: dict, recent: int = 12, min_users: int = 30) -> pd.DataFrame:
    """Each segment's HEART retention against the rest of its column, pooled over the last ``recent``
    complete cohorts of :func:`pmplaybook.heart.active_retention` run with ``segment=<column>``
    (``tables`` maps a column to that table).

    One row per column and value, in the columns of :func:`pmplaybook.retention.breakdowns` (which
    :func:`pmplaybook.charts.retention.segment_bars` and :func:`pmplaybook.narrative.summary.gap_findings`
    read): ``column``, ``segment``, ``rate`` (Wilson ``ci_low``/``ci_high``), ``rest_rate``, ``diff``
    (Newcombe ``diff_low``/``diff_high``), ``significant``, ``flag`` and ``cohort_size``: the segment's
    active users in an average week of the span (the rates count user-weeks, ``user_weeks``). A value with
    fewer than ``min_users`` such users, or whose rest has fewer, is left out.
    """
    cols = ["column", "segment", "rate", "ci_low", "ci_high", "rest_rate", "diff", "diff_low", "diff_high",
            "significant", "flag", "cohort_size", "user_weeks"]
    rows = []
    for column, t in tables.items():
        if t is None or t.empty or "segment" not in t.columns:
            continue
        cohorts = sorted(t["cohort"].unique())[-recent:]
        g = t[t["cohort"].isin(cohorts)].groupby("segment")[["users", "retained"]].sum()
        n_all, s_all = int(g["users"].sum()), int(g["retained"].sum())
        for value, r in g.iterrows():
            n, s = int(r["users"]), int(r["retained"])
            weekly = n / len(cohorts)
            if weekly < min_users or (n_all - n) / len(cohorts) < min_users:
                continue
            d = diff_proportions(s, n, s_all - s, n_all - n)
            lo, hi = wilson_interval(s, n)
            sig = bool(d["significant"])
            rows.append(dict(column=column, segment=str(value), rate=s / n, ci_low=lo, ci_high=hi,
                             rest_rate=d["p2"], diff=d["diff"], diff_low=d["ci_low"], diff_high=d["ci_high"],
                             significant=sig, flag=("lower" if d["diff"] < 0 else "higher") if sig else "",
                             cohort_size=int(round(weekly)), user_weeks=n))
    return pd.DataFrame(rows, columns=cols)
