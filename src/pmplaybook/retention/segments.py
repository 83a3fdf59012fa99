"""What the average hides: each segment's retention against the rest, segments whose retention shifted
after a date, and single cohorts that differ from all others.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

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
