"""What the average hides: each segment's retention against the rest, segments whose retention shifted
after a date, and single cohorts that differ from all others.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..core.calendar import uses_calendar
from ..core.engines import local_time
from ..core.stats import add_wilson, diff_proportions
from .cohorts import cohort_retention


def segment_breakdown(table: pd.DataFrame, *, at: int = 4, min_users: int = 30) -> pd.DataFrame:
    """Each segment's retention at period ``at`` vs all other segments together, and whether the gap is
    larger than its noise ("averages hide it").

    Pools complete cells at period ``at`` per segment (size-weighted), compares each segment with the
    rest by :func:`pmplaybook.core.stats.diff_proportions` (Newcombe interval of the difference, z test), and
    flags a segment when the interval of ``diff`` excludes 0 and the segment has ``min_users`` users.

    Parameters
    ----------
    table : :func:`cohort_retention` output with a ``segment`` column.

    Returns
    -------
    DataFrame, one row per segment (largest first): ``segment``, ``cohort_size``, ``retained``, ``rate``,
    ``ci_low``, ``ci_high``, ``rest_rate``, ``diff``, ``diff_low``, ``diff_high``, ``p_value``,
    ``significant``, ``flag`` ("higher" / "lower" / "").
    """
    if "segment" not in table.columns:
        raise ValueError("segment_breakdown needs cohort_retention(..., segment=<column>) output")
    cells = table[(table["period"] == at) & table["complete"]]
    seg = cells.groupby("segment", as_index=False).agg(cohort_size=("cohort_size", "sum"),
                                                       retained=("retained", "sum"))
    seg = add_wilson(seg, "retained", "cohort_size")
    total_n, total_s = seg["cohort_size"].sum(), seg["retained"].sum()
    rows = []
    for r in seg.itertuples(index=False):
        d = diff_proportions(r.retained, r.cohort_size, total_s - r.retained, total_n - r.cohort_size)
        significant = bool(d["significant"] and r.cohort_size >= min_users)
        rows.append({"rest_rate": d["p2"], "diff": d["diff"], "diff_low": d["ci_low"], "diff_high": d["ci_high"],
                     "p_value": d["p_value"], "significant": significant,
                     "flag": ("higher" if d["diff"] > 0 else "lower") if significant else ""})
    out = pd.concat([seg.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    return out.sort_values("cohort_size", ascending=False).reset_index(drop=True)


def segment_shift(table: pd.DataFrame, *, at: int = 4, min_cohorts: int = 4, min_users: int = 30,
                  exclude=()) -> pd.DataFrame:
    """For each segment, the cohort date after which its period-``at`` retention changed most.

    For every segment and every split cohort (leaving at least ``min_cohorts`` complete cohorts on each
    side), compare pooled retention of cohorts from the split on with the cohorts before it
    (diff_proportions); keep the split with the largest |z|. A segment whose retention *collapsed* shows a
    large negative, significant ``diff``; the other segments' rows show whether the average moved too.

    Returns
    -------
    DataFrame, one row per segment (biggest significant drop first): ``segment``, ``split`` (first cohort
    of the "after" group), ``before_rate``, ``after_rate``, ``before_users``, ``after_users``, ``diff``,
    ``ci_low``, ``ci_high``, ``significant``.
    """
    if "segment" not in table.columns:
        raise ValueError("segment_shift needs cohort_retention(..., segment=<column>) output")
    cells = table[(table["period"] == at) & table["complete"] & ~table["cohort"].isin(list(exclude))]
    rows = []
    for value, g in cells.groupby("segment"):
        g = g.sort_values("cohort")
        n, s = g["cohort_size"].to_numpy(), g["retained"].to_numpy()
        best = None
        for i in range(min_cohorts, len(g) - min_cohorts + 1):
            n1, s1, n2, s2 = n[i:].sum(), s[i:].sum(), n[:i].sum(), s[:i].sum()
            if min(n1, n2) < min_users:
                continue
            d = diff_proportions(s1, n1, s2, n2)
            if best is None or abs(d["z"]) > abs(best[1]["z"]):
                best = (i, d, n1, n2)
        if best is None:
            continue
        i, d, n1, n2 = best
        rows.append({"segment": value, "split": g["cohort"].iloc[i], "before_rate": d["p2"], "after_rate": d["p1"],
                     "before_users": int(n2), "after_users": int(n1), "diff": d["diff"], "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "p_value": d["p_value"], "significant": d["significant"]})
    cols = ["segment", "split", "before_rate", "after_rate", "before_users", "after_users", "diff", "ci_low",
            "ci_high", "p_value", "significant"]
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        return out
    out["_order"] = np.where(out["significant"], out["ci_high"], np.inf)
    return out.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def outlier_cohorts(table: pd.DataFrame, *, at: int = 4, min_users: int = 30) -> pd.DataFrame:
    """Each complete cohort's retention at period ``at`` vs all other cohorts pooled (diff_proportions).

    Returns one row per cohort: ``cohort``, ``cohort_size``, ``size_ratio`` (to the median cohort),
    ``rate``, ``rest_rate``, ``diff``, ``ci_low``, ``ci_high``, ``z``, ``significant``; most negative z first.
    """
    if "segment" in table.columns:
        table = table.groupby(["cohort", "period"], as_index=False).agg(
            cohort_size=("cohort_size", "sum"), retained=("retained", "sum"), complete=("complete", "all"))
    cells = table[(table["period"] == at) & table["complete"] & (table["cohort_size"] >= min_users)]
    n_all, s_all = cells["cohort_size"].sum(), cells["retained"].sum()
    median = cells["cohort_size"].median()
    rows = []
    for r in cells.itertuples(index=False):
        d = diff_proportions(r.retained, r.cohort_size, s_all - r.retained, n_all - r.cohort_size)
        rows.append({"cohort": r.cohort, "cohort_size": int(r.cohort_size), "size_ratio": r.cohort_size / median,
                     "rate": d["p1"], "rest_rate": d["p2"], "diff": d["diff"], "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "z": d["z"], "p_value": d["p_value"], "significant": d["significant"]})
    cols = ["cohort", "cohort_size", "size_ratio", "rate", "rest_rate", "diff", "ci_low", "ci_high", "z", "p_value",
            "significant"]
    return pd.DataFrame(rows, columns=cols).sort_values("z").reset_index(drop=True)


def segment_tables(events: ibis.Table, columns, **kwargs) -> dict:
    """:func:`cohort_retention` once per segment column: {column: table}."""
    return {col: cohort_retention(events, segment=col, **kwargs) for col in columns}


def breakdowns(tables: dict, *, at: int = 4, min_users: int = 30) -> pd.DataFrame:
    """:func:`segment_breakdown` of every segment column, stacked with a ``column`` column."""
    parts = [segment_breakdown(t, at=at, min_users=min_users).assign(column=col) for col, t in tables.items()]
    if not parts:
        return pd.DataFrame(columns=["column", "segment"])
    out = pd.concat(parts, ignore_index=True)
    return out[["column", *[c for c in out.columns if c != "column"]]]


def one_off_cohorts(table: pd.DataFrame, *, at: int = 4, p_value: float = 0.001) -> list:
    """Cohorts whose period-``at`` retention differs from all others at p < ``p_value`` (one-off events such
    as a campaign burst); segment tables are pooled over segments first."""
    o = outlier_cohorts(table, at=at)
    return list(o.loc[o["p_value"] < p_value, "cohort"])


def cohort_vs_neighbours(table: pd.DataFrame, cohort, *, at: int = 4, neighbours: int = 4) -> dict:
    """One cohort against the ``neighbours`` cohorts on each side of it (segments pooled).

    ``size_ratio`` = the cohort's size / the neighbours' mean size (all neighbours, complete or not);
    ``rate`` and ``neighbour_rate`` = retained / size at period ``at`` over complete cells, the neighbours
    pooled; ``diff`` with its Newcombe interval. A cohort much bigger than its neighbours that retains
    much worse is a burst of low-intent users (a campaign), not a product change.

    Returns
    -------
    dict: ``cohort``, ``cohort_size``, ``neighbours`` (their cohort labels), ``neighbour_mean_size``,
    ``size_ratio``, ``rate``, ``neighbour_rate``, ``neighbour_users``, ``diff``, ``ci_low``, ``ci_high``,
    ``significant``.
    """
    if "segment" in table.columns:
        table = table.groupby(["cohort", "period"], as_index=False).agg(
            cohort_size=("cohort_size", "sum"), retained=("retained", "sum"), complete=("complete", "all"))
    sizes = table[table["period"] == 0].set_index("cohort")["cohort_size"].sort_index()
    cohort = pd.Timestamp(cohort)
    i = list(sizes.index).index(cohort)
    near = list(sizes.index[max(i - neighbours, 0): i]) + list(sizes.index[i + 1: i + 1 + neighbours])
    cells = table[(table["period"] == at) & table["complete"]].set_index("cohort")
    own = cells.loc[[cohort]] if cohort in cells.index else cells.iloc[:0]
    others = cells[cells.index.isin(near)]
    d = diff_proportions(own["retained"].sum(), own["cohort_size"].sum(), others["retained"].sum(),
                         others["cohort_size"].sum())
    mean = float(sizes.loc[near].mean()) if near else float("nan")
    return {"cohort": cohort, "cohort_size": int(sizes.loc[cohort]), "neighbours": near, "neighbour_mean_size": mean,
            "size_ratio": float(sizes.loc[cohort] / mean) if near else float("nan"), "rate": d["p1"],
            "neighbour_rate": d["p2"], "neighbour_users": int(others["cohort_size"].sum()), "diff": d["diff"],
            "ci_low": d["ci_low"], "ci_high": d["ci_high"], "significant": d["significant"]}


@uses_calendar
def around_date(events: ibis.Table, segment: str, split, cohort_event="signup", *, at: int = 4, weeks: int = 8,
                as_of=None, timezone: str = "UTC") -> pd.DataFrame:
    """Week-``at`` retention of users who signed up before a date vs after it, per segment, counted in
    7-day windows from each user's own ``cohort_event`` (rolling weeks).

    *Before* = users whose ``cohort_event`` fell in the ``weeks`` weeks ending ``at + 1`` weeks before
    ``split`` (so their week ``at`` ended before it; for at=4, weeks=8: [split - 91 days, split - 35 days));
    *after* = the ``weeks`` weeks from ``split`` ([split, split + 56 days)). Only users whose week ``at``
    is complete count. This is how ``data/truth.json`` measures the sample's release collapse.

    Returns
    -------
    DataFrame, one row per segment value: ``segment``, ``before_users``, ``before_retained``,
    ``before_rate``, ``after_users``, ``after_retained``, ``after_rate``, ``diff``, ``ci_low``, ``ci_high``,
    ``significant``; plus the windows ``before_start``, ``before_end``, ``after_start``, ``after_end``.
    """
    split = pd.Timestamp(split).normalize()
    length = pd.Timedelta(days=7 * weeks)
    before_end = split - pd.Timedelta(days=7 * (at + 1))
    windows = {"before": (before_end - length, before_end), "after": (split, split + length)}
    first = events.filter(events.event == cohort_event)
    first = first.group_by("user_id").aggregate(_t=first.timestamp.min())
    first = first.mutate(_local=local_time(first._t, timezone))
    parts = {}
    for key, (lo, hi) in windows.items():
        chosen = first.filter((first._local >= lo) & (first._local < hi)).select(_u=first.user_id)
        sub = events.join(chosen, events.user_id == chosen._u).drop("_u")
        t = cohort_retention(sub, cohort_event, period="week", windows="rolling", periods=at, segment=segment,
                             as_of=as_of, timezone=timezone)
        cells = t[(t["period"] == at) & t["complete"]]
        parts[key] = cells.groupby("segment")[["cohort_size", "retained"]].sum()
    rows = []
    for value in sorted(set(parts["before"].index) | set(parts["after"].index), key=str):
        b = parts["before"].reindex([value]).fillna(0).iloc[0]
        a = parts["after"].reindex([value]).fillna(0).iloc[0]
        d = diff_proportions(int(a["retained"]), int(a["cohort_size"]), int(b["retained"]), int(b["cohort_size"]))
        rows.append({"segment": value, "before_users": int(b["cohort_size"]), "before_retained": int(b["retained"]),
                     "before_rate": d["p2"], "after_users": int(a["cohort_size"]), "after_retained": int(a["retained"]),
                     "after_rate": d["p1"], "diff": d["diff"], "ci_low": d["ci_low"], "ci_high": d["ci_high"],
                     "significant": d["significant"]})
    out = pd.DataFrame(rows)
    for key, (lo, hi) in windows.items():
        out[f"{key}_start"], out[f"{key}_end"] = lo, hi
    return out
