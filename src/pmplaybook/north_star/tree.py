"""The metric tree's arithmetic: a weekly series' current value against the weeks before, and the
default inputs for a team. The tree itself is built by :func:`pmplaybook.registry.metric_tree`, which
computes each named input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import TeamParams
from ..core.calendar import period_index_utc
from ..core.stats import diff_proportions


def weekly_counts(events, predicate, week_start, timezone, as_of_utc, distinct=None):
    ev = events.filter((events.timestamp < as_of_utc) & predicate)
    ev = ev.mutate(_p=period_index_utc(ev.timestamp, "week", timezone, week_start))
    agg = ev[distinct].nunique() if distinct else ev.count()
    return ev.group_by("_p").aggregate(n=agg).execute().set_index("_p")["n"]


def trend(series: pd.DataFrame, *, unit: str, higher_is_better: bool, periods: int = 4) -> dict:
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


def default_inputs(params: TeamParams) -> list[str]:
    e = params.events
    picks = ["activation_rate"] if e.activation else []
    picks.append("week4_retention")
    if e.invite_sent:
        picks.append("invites_per_user")
    elif e.core_action:
        picks.append("key_actions_per_active_user")
    return picks[:3]


#: Why each metric holds its place in the tree, by role and level (PMRead's working hierarchy and levels).
ROLE_REASONS = {
    "north_star": "the value users get, counted at a weekly (or monthly) frequency: a product outcome",
    "input": "a product outcome the team can move within weeks (PMRead: leading, owned by the PM): a lever",
    "outcome": ("a business outcome, and business outcomes lag (PMRead): it shows the effect of this quarter's "
                "work weeks later, so the North Star should lead it; it is not a lever to push week by week"),
    "guardrail": ("a counter-metric: it must not get worse while the North Star rises (Gupta: a number optimised "
                  "alone gets gamed)"),
}


def tree_roles(tree: pd.DataFrame) -> pd.DataFrame:
    """One role per metric, consistent with the metric stack: each row of a metric tree
    (:func:`pmplaybook.registry.metric_tree`) gets its ``level`` (:func:`~pmplaybook.north_star.stack.metric_level`;
    the North Star is a product outcome) and a ``reason`` in words; an input that is a business outcome
    (week-4 retention, paying accounts: lagging) becomes role ``outcome``, what the North Star should lead,
    since a lagging metric cannot also be a lever. Guardrails keep their role whatever their level.

    >>> t = pd.DataFrame({"role": ["north_star", "input", "input"], "metric": ["x", "activation_rate", "week4_retention"]})
    >>> tree_roles(t)[["metric", "role", "level"]].values.tolist()
    [['x', 'north_star', 'product_outcome'], ['activation_rate', 'input', 'product_outcome'], ['week4_retention', 'outcome', 'business_outcome']]
    """
    from .stack import metric_level

    out = tree.copy()
    levels, roles = [], []
    for role, metric in zip(out["role"], out["metric"]):
        level = "product_outcome" if role == "north_star" else metric_level(str(metric))[0]
        if role == "input" and level == "business_outcome":
            role = "outcome"
        levels.append(level)
        roles.append(role)
    out["role"], out["level"] = roles, levels
    out["reason"] = [ROLE_REASONS[r] for r in roles]
    return out


def poisson_interval(count: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of a count treated as Poisson: the range of underlying weekly rates that
    would give this count with probability above 2.5% on either side.

    >>> [round(v, 1) for v in poisson_interval(100)]
    [81.4, 121.6]
    """
    from scipy.stats import chi2

    tail = (1 - confidence) / 2
    low = 0.0 if count <= 0 else chi2.ppf(tail, 2 * count) / 2
    return float(low), float(chi2.ppf(1 - tail, 2 * count + 2) / 2)


def _next_start(start: pd.Timestamp, window: str) -> pd.Timestamp:
    if window == "month":
        return start + pd.offsets.MonthBegin(1)
    return start + pd.Timedelta(days=1 if window == "day" else 7)


def north_star_now(series: pd.DataFrame, *, window: str = "week", count: bool = True, periods: int = 4,
                   trend_periods: int = 26) -> dict:
    """The North Star's headline: its last complete period, with what it rests on and how it moves.

    - ``value``: the candidate's value in the last complete period (``window_start`` to ``window_end``,
      end exclusive); ``n``: the units (users or accounts) who did its event in that period.
    - ``ci_low`` / ``ci_high``: for a count (``count=True``: accounts or users reaching a threshold, events,
      distinct users), the exact Poisson 95% interval of that count; NaN for a sum or an average.
    - ``noise``: the standard deviation of the period-over-period % changes over the last
      ``trend_periods`` (what a normal week does); ``slope``: the least-squares trend over those periods
      (per period); ``growth``: the slope as a share of their mean per ``periods`` periods (0.05 = +5% of
      the mean every 4 weeks).
    - ``recent`` / ``before``: the means of the last ``periods`` and of the ``periods`` before.

    >>> s = pd.DataFrame({"period": pd.date_range("2025-01-06", periods=8, freq="7D"),
    ...                   "value": [100.0, 104, 98, 102, 110, 108, 112, 110], "units": [300] * 8})
    >>> r = north_star_now(s)
    >>> str(r["window_start"].date()), str(r["window_end"].date()), r["value"], r["n"], r["recent"], r["before"]
    ('2025-02-24', '2025-03-03', 110.0, 300, 110.0, 101.0)
    """
    s = series.dropna(subset=["value"]).sort_values("period")
    nan = float("nan")
    out = {"value": nan, "n": None, "ci_low": nan, "ci_high": nan, "window_start": None, "window_end": None,
           "noise": nan, "growth": nan, "slope": nan, "recent": nan, "before": nan}
    if s.empty:
        return out
    last = s.iloc[-1]
    start = pd.Timestamp(last["period"])
    out.update(value=float(last["value"]), window_start=start, window_end=_next_start(start, window),
               n=int(last["units"]) if "units" in s.columns and not pd.isna(last["units"]) else None)
    if count:
        out["ci_low"], out["ci_high"] = poisson_interval(out["value"])
    if len(s) >= 2 * periods:
        out["recent"] = float(s["value"].iloc[-periods:].mean())
        out["before"] = float(s["value"].iloc[-2 * periods:-periods].mean())
    v = s["value"].astype("float64").iloc[-trend_periods:]
    if len(v) >= 4 and v.mean() > 0:
        pct = v.pct_change().replace([np.inf, -np.inf], np.nan).dropna()
        out["noise"] = float(pct.std()) if len(pct) >= 3 else nan
        out["slope"] = float(np.polyfit(np.arange(len(v)), v.to_numpy(), 1)[0])
        out["growth"] = out["slope"] * periods / float(v.mean())
    return out


def dated_weeks(periods, annotations, kinds=("campaign", "holiday"), days: int = 7) -> dict:
    """The periods (starts, ``days`` long) that overlap a dated event of the params (``annotations``) of
    one of ``kinds``: ``{period start: annotation}``, the first matching annotation for each."""
    out = {}
    for p in pd.to_datetime(pd.Series(list(periods))):
        end = p + pd.Timedelta(days=days)
        for a in annotations or []:
            first = pd.Timestamp(a.date)
            last = pd.Timestamp(a.end) if getattr(a, "end", None) else first
            if a.kind in kinds and first < end and last >= p:
                out[p] = a
                break
    return out


def check_dated_events(tree: pd.DataFrame, series: dict, annotations, *, periods: int = 4) -> pd.DataFrame:
    """Does a metric-tree change survive without the weeks of a campaign or holiday?

    For each row whose trend is ``better`` or ``worse`` and whose last ``2 x periods`` weeks (of
    ``series[metric]``, the weekly frame with ``period``, ``value`` and, for shares, ``numerator`` /
    ``denominator``) include weeks that overlap a campaign or holiday of the params, the trend is computed
    again without those weeks (:func:`trend`, same pooling). A campaign that brings dormant users back for
    a few days inflates an active-user denominator: a "per active user" input can fall that week without any
    user doing less. Adds ``dated_event`` (the label and kind, "" when none), ``dated_weeks`` (the week starts
    left out), ``without_change`` and ``without_status``.

    >>> from types import SimpleNamespace as A
    >>> s = pd.DataFrame({"period": pd.date_range("2025-10-27", periods=9, freq="7D"),
    ...                   "value": [4.25, 4.2, 4.2, 4.3, 4.2, 2.3, 4.2, 4.1, 4.1]})
    >>> tree = pd.DataFrame({"metric": ["x"], "unit": ["ratio"], "higher_is_better": [True], "status": ["worse"]})
    >>> promo = A(date="2025-12-01", end="2025-12-04", kind="campaign", label="Promotion e-mail")
    >>> r = check_dated_events(tree, {"x": s}, [promo]).iloc[0]
    >>> r["dated_event"], r["without_status"], [f"{d:%m-%d}" for d in r["dated_weeks"]]
    ('Promotion e-mail (campaign)', 'flat', ['12-01'])
    """
    out = tree.copy()
    events, weeks, changes, statuses = [], [], [], []
    for _, r in out.iterrows():
        s = series.get(r["metric"])
        found = {}
        if s is not None and len(s) and r["status"] in ("better", "worse"):
            recent = s.dropna(subset=["value"]).iloc[-2 * periods:]
            found = dated_weeks(recent["period"], annotations)
        if not found:
            events.append("")
            weeks.append([])
            changes.append(float("nan"))
            statuses.append(r["status"])
            continue
        kept = s[~pd.to_datetime(s["period"]).isin(list(found))]
        again = trend(kept, unit=r["unit"], higher_is_better=bool(r["higher_is_better"]), periods=periods)
        labels = dict.fromkeys(f"{a.label} ({a.kind})" for a in found.values())
        events.append("; ".join(labels))
        weeks.append(sorted(found))
        changes.append(again["change"])
        statuses.append(again["status"])
    out["dated_event"], out["dated_weeks"] = events, weeks
    out["without_change"], out["without_status"] = changes, statuses
    return out
