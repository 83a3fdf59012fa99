"""The metric tree's arithmetic: a weekly series' current value against the weeks before, and the
default inputs for a team. The tree itself is built by :func:`pmplaybook.registry.metric_tree`, which
computes each named input.
"""

from __future__ import annotations

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
