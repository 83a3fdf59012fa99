"""Is the model right? Precision, recall and F1 per threshold, the threshold for a goal, and per segment.

Among predictions whose label is known (``actual`` not null), a prediction is *positive* when
``score >= threshold``:

* precision = TP / (TP + FP): of what the model flags (the suggestions shown), the share that is right;
* recall = TP / (TP + FN): of what is truly positive, the share the model flags;
* F1 = 2 TP / (2 TP + FP + FN), the harmonic mean of the two.

Raising the threshold trades recall for precision. Which matters more depends on what each error costs
(Gupta's AI metrics): a spam filter must not bin a real e-mail (precision first), a screening test must not
miss a patient (recall first). Rows with an unknown label are left out (labels often arrive late or for a
reviewed sample only), so a recent period rests on fewer labels: :func:`classification` reports ``n``.

Counting happens in the backend: each row is put in the bucket of the highest threshold it reaches, and
only the counts per bucket (and segment) reach pandas; the cumulative sums per threshold are taken there.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..core.calendar import uses_calendar
from ..core.stats import diff_proportions, wilson_interval
from ._common import check_predictions, segments, window, with_period

#: Thresholds :func:`classification` reports by default: 0, 0.05, ..., 1 (the whole score range).
DEFAULT_THRESHOLDS = tuple(round(x / 20, 2) for x in range(21))

COLUMNS = ["threshold", "n", "tp", "fp", "fn", "tn", "flagged", "precision", "precision_low", "precision_high",
           "recall", "recall_low", "recall_high", "f1"]


def _thresholds(thresholds) -> list[float]:
    if thresholds is None:
        return list(DEFAULT_THRESHOLDS)
    values = [thresholds] if isinstance(thresholds, (int, float)) else list(thresholds)
    if not values or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1 for v in values):
        raise ValueError(f"thresholds={thresholds!r}: expected numbers between 0 and 1 (scores are 0-1). "
                         "Fix: pass e.g. [0.3, 0.5, 0.7], or None for 0, 0.05, ..., 1")
    return sorted({float(v) for v in values})


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall and F1 with Wilson intervals from ``tp``, ``fp``, ``fn`` columns."""
    tp, fp, fn = (frame[c].to_numpy(dtype="float64") for c in ("tp", "fp", "fn"))
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["precision"] = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        frame["precision_low"], frame["precision_high"] = wilson_interval(tp, tp + fp)
        frame["recall"] = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        frame["recall_low"], frame["recall_high"] = wilson_interval(tp, tp + fn)
        frame["f1"] = np.where(tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    return frame


@uses_calendar
def classification(predictions: ibis.Table, thresholds=None, segment=None, *, timezone: str = "UTC",
                   as_of=None) -> pd.DataFrame:
    """Confusion counts, precision, recall and F1 at each threshold, among predictions with a known label.

    Parameters
    ----------
    predictions : ibis.Table
        The prediction log (``score``, ``actual``).
    thresholds : float or list of floats, optional
        Default: 0, 0.05, ..., 1. A row is positive at threshold t when ``score >= t`` (a score equal to
        the threshold counts as positive).
    segment : str or list of str, optional
        Column(s) to split by (one table per value, stacked).
    as_of : date-like, optional
        The first day not covered: rows from then on are left out.

    Returns
    -------
    DataFrame with [segment columns,] ``threshold, n`` (labelled rows), ``tp, fp, fn, tn``, ``flagged``
    (the share of labelled rows predicted positive), ``precision`` and ``recall`` each with 95% Wilson
    bounds (``_low``, ``_high``), and ``f1``. A rate with a zero denominator is NaN (precision when
    nothing is flagged).

    >>> import pandas as pd
    >>> from pmplaybook.data import load_predictions
    >>> log = load_predictions(pd.DataFrame({"prediction_id": list("abcd"), "user_id": "u",
    ...     "timestamp": "2025-03-01", "score": [0.9, 0.6, 0.4, 0.2], "actual": [True, False, True, False],
    ...     "latency_ms": 100, "cost": 0.001}))
    >>> classification(log, thresholds=[0.5])[["threshold", "tp", "fp", "fn", "tn", "precision", "recall"]]
       threshold  tp  fp  fn  tn  precision  recall
    0        0.5   1   1   1   1        0.5     0.5
    """
    check_predictions(predictions, "quality", segment)
    keys = segments(segment)
    cuts = _thresholds(thresholds)
    t = window(predictions, timezone, as_of)
    t = t.filter(t.actual.notnull())
    t = t.mutate(**{k: t[k].cast("string") for k in keys})
    # Counts per distinct score first (scores repeat: a model's output is rounded), then bucket k = how many
    # thresholds the score reaches (0 .. len(cuts)), on that far smaller table.
    per_score = t.group_by([*keys, "score"]).aggregate(pos=t.actual.cast("int64").sum(), n=t.count())
    bucket = ibis.cases(*[(per_score.score >= cut, k + 1) for k, cut in reversed(list(enumerate(cuts)))], else_=0)
    per_score = per_score.mutate(bucket=bucket)
    counts = per_score.group_by([*keys, "bucket"]).aggregate(pos=per_score.pos.sum(), n=per_score.n.sum()).execute()
    frames = []
    groups = counts.groupby(keys, sort=True, dropna=False) if keys else [((), counts)]
    for key, part in groups:
        pos = np.bincount(part["bucket"], weights=part["pos"], minlength=len(cuts) + 1)
        tot = np.bincount(part["bucket"], weights=part["n"], minlength=len(cuts) + 1)
        # positives at threshold k: every row in bucket k + 1 or above (a reversed cumulative sum)
        tp = pos[::-1].cumsum()[::-1][1:]
        flagged = tot[::-1].cumsum()[::-1][1:]
        n, p = tot.sum(), pos.sum()
        frame = pd.DataFrame({"threshold": cuts, "n": int(n), "tp": tp.astype("int64"),
                              "fp": (flagged - tp).astype("int64"), "fn": (p - tp).astype("int64"),
                              "tn": (n - p - (flagged - tp)).astype("int64"),
                              "flagged": flagged / n if n else np.nan})
        for col, value in zip(keys, key if isinstance(key, tuple) else (key,)):
            frame[col] = value
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*keys, *COLUMNS])
    out = _rates(pd.concat(frames, ignore_index=True))
    return out[[*keys, *COLUMNS]]


GOALS = ("min_precision", "min_recall", "least_cost")


def choose_threshold(table, *, min_precision: float | None = None, min_recall: float | None = None,
                     cost_false_positive: float | None = None, cost_false_negative: float | None = None,
                     thresholds=None, **calendar) -> dict:
    """The threshold that meets one goal, from a prediction log or a :func:`classification` table.

    Give exactly one goal:

    * ``min_precision=p``: the threshold with the **highest recall** whose precision is at least ``p``
      (when wrong positives are what hurts: a spam filter, a suggestion that wastes a user's time);
    * ``min_recall=r``: the threshold with the **highest precision** whose recall is at least ``r``
      (when a miss is what hurts: a screening test, fraud);
    * ``cost_false_positive=a, cost_false_negative=b``: the threshold with the **least expected cost**
      ``a * FP + b * FN`` (the two costs in one unit: minutes of a user's time, dollars).

    Ties go to the lower threshold. Returns a dict: ``goal``, ``target`` (the bound, or None), ``met``
    (False when no threshold reaches the bound: the row is then the one closest to it), and the chosen
    row's ``threshold, n, tp, fp, fn, tn, flagged, precision, recall, f1`` and ``cost`` (per prediction,
    NaN unless costs were given). The sentence that explains the trade-off is
    :func:`pmplaybook.narrative.ai.threshold_choice`.

    >>> frame = pd.DataFrame({"threshold": [0.3, 0.5, 0.7], "n": 100, "tp": [40, 35, 20], "fp": [30, 15, 4],
    ...                       "fn": [10, 15, 30], "tn": [20, 35, 46]})
    >>> choose_threshold(frame, min_precision=0.7)["threshold"]
    0.5
    """
    given = {"min_precision": min_precision, "min_recall": min_recall,
             "least_cost": None if cost_false_positive is None and cost_false_negative is None else
             (cost_false_positive, cost_false_negative)}
    chosen = [g for g, v in given.items() if v is not None]
    if len(chosen) != 1:
        raise ValueError("choose_threshold(): give exactly one goal: min_precision=, min_recall=, or both "
                         "cost_false_positive= and cost_false_negative=")
    goal = chosen[0]
    if goal == "least_cost" and None in given["least_cost"]:
        raise ValueError("choose_threshold(): the least-cost goal needs both cost_false_positive= and "
                         "cost_false_negative=")
    if isinstance(table, ibis.Table):
        frame = classification(table, thresholds if thresholds is not None else [k / 100 for k in range(101)],
                               **calendar)
    else:
        frame = table.copy()
        missing = [c for c in ("threshold", "n", "tp", "fp", "fn", "tn") if c not in frame.columns]
        if missing:
            raise ValueError(f"choose_threshold(): the table lacks {', '.join(missing)}. Fix: pass the prediction "
                             "log or the output of ai.classification() (without segment=)")
    if frame.empty:
        raise ValueError("choose_threshold(): no prediction has a known label yet, so no threshold can be judged")
    frame = frame.sort_values("threshold", ignore_index=True)
    if "flagged" not in frame.columns:
        frame["flagged"] = (frame.tp + frame.fp) / frame.n
    frame = _rates(frame)
    a, b = given["least_cost"] if goal == "least_cost" else (np.nan, np.nan)
    frame["cost"] = (a * frame.fp + b * frame.fn) / frame.n
    target = given[goal] if goal != "least_cost" else None
    if goal == "min_precision":
        ok = frame.precision >= target
        pick = frame[ok].recall.idxmax() if ok.any() else frame.precision.idxmax()
    elif goal == "min_recall":
        ok = frame.recall >= target
        pick = frame[ok].precision.idxmax() if ok.any() else frame.recall.idxmax()
    else:
        ok = pd.Series(True, index=frame.index)
        pick = frame.cost.idxmin()
    row = frame.loc[pick]
    out = {"goal": goal, "target": target, "met": bool(ok.any()),
           "cost_false_positive": None if goal != "least_cost" else float(a),
           "cost_false_negative": None if goal != "least_cost" else float(b)}
    for col in ("threshold", "flagged", "precision", "recall", "f1", "cost"):
        out[col] = float(row[col])
    for col in ("n", "tp", "fp", "fn", "tn"):
        out[col] = int(row[col])
    return out


@uses_calendar
def fairness(predictions: ibis.Table, segment, threshold: float = 0.5, *, min_labels: int = 30,
             confidence: float = 0.95, timezone: str = "UTC", as_of=None) -> pd.DataFrame:
    """Precision and recall per segment at ``threshold``, each against the rest of the log.

    For each value of ``segment`` (a column, or a list of columns for their combinations), the counts at
    the threshold give precision and recall with Wilson intervals, and the gap to all *other* segments
    together with its interval (Newcombe's difference of two proportions). A segment is ``flagged`` when
    it is served *worse*: a gap's whole interval lies below zero, and the segment has at least
    ``min_labels`` labelled rows. Many groups are compared at once (each on precision and on recall), so the
    gaps' intervals are Bonferroni-adjusted: at ``1 - (1 - confidence) / (2 x groups)`` each, so that the
    chance of flagging any group by noise alone stays below ``1 - confidence`` (with 8 countries, 99.7%
    intervals). The per-segment precision and recall intervals are plain 95% Wilson intervals. (A segment served better is not flagged: when one segment is much worse,
    every other one looks better than "the rest", which includes it.)

    Returns
    -------
    DataFrame with the segment column(s), ``n`` (labelled rows), ``tp, fp, fn``, ``precision`` and
    ``recall`` with ``_low`` / ``_high``, ``precision_gap`` and ``recall_gap`` (segment minus rest) with
    ``_low`` / ``_high`` (adjusted, see above), and ``flagged``; sorted by ``precision_gap``, worst first.
    ``attrs["gap_confidence"]`` holds the adjusted level.
    """
    check_predictions(predictions, "quality", segment)
    keys = segments(segment)
    if not keys:
        raise ValueError("fairness() needs segment=: the column (or columns) to compare, e.g. 'country'")
    cut = _thresholds(threshold)[0]
    t = window(predictions, timezone, as_of)
    t = t.filter(t.actual.notnull())
    t = t.mutate(**{k: t[k].cast("string") for k in keys})
    positive = t.score >= cut
    counts = (t.group_by(keys)
              .aggregate(n=t.count(), tp=(positive & t.actual).cast("int64").sum(),
                         fp=(positive & ~t.actual).cast("int64").sum(), fn=(~positive & t.actual).cast("int64").sum())
              .execute())
    out = _rates(counts.copy())
    total = counts[["tp", "fp", "fn"]].sum()
    adjusted = 1 - (1 - confidence) / (2 * max(len(counts), 1))
    for metric, miss in {"precision": "fp", "recall": "fn"}.items():
        gaps = []
        for _, row in counts.iterrows():
            rest_tp, rest_miss = total["tp"] - row["tp"], total[miss] - row[miss]
            gaps.append(diff_proportions(row["tp"], row["tp"] + row[miss], rest_tp, rest_tp + rest_miss, adjusted))
        out[f"{metric}_gap"] = [g["diff"] for g in gaps]
        out[f"{metric}_gap_low"] = [g["ci_low"] for g in gaps]
        out[f"{metric}_gap_high"] = [g["ci_high"] for g in gaps]
    worse = (out["precision_gap_high"] < 0) | (out["recall_gap_high"] < 0)
    out["flagged"] = (out["n"] >= min_labels) & worse
    out.attrs["gap_confidence"] = adjusted
    return out.sort_values(["precision_gap", *keys], ignore_index=True)


@uses_calendar
def label_coverage(predictions: ibis.Table, period: str = "month", *, timezone: str = "UTC",
                   week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """How many predictions have a known label, per period: ``period, predictions, labelled, share``.

    Labels come late (a reviewer's verdict, a user's later action) or for a sample only, so the most recent
    periods rest on the fewest labels: read their precision and recall with that in mind.
    """
    check_predictions(predictions, "quality")
    t, by = with_period(window(predictions, timezone, as_of), period, timezone, week_start)
    out = (t.group_by(by).aggregate(predictions=t.count(), labelled=t.actual.notnull().cast("int64").sum())
           .execute().sort_values("period", ignore_index=True))
    out["share"] = out["labelled"] / out["predictions"]
    return out
