"""A threshold explorer for JupyterLab: move the threshold to see the confusion matrix, precision, recall,
F1, the share of suggestions shown and the expected cost of the mistakes, against the product's threshold.
Every position reads a precomputed fine table (``ai.classification(preds, thresholds=[k / 100 for k in
range(101)])``), so moving the slider sends no query. Needs a live kernel (the notebook shows it only when
``interactive`` is true)."""

from __future__ import annotations

import math

import ipywidgets as W
import pandas as pd

from ..ai.quality import COLUMNS
from ..charts.ai import confusion_matrix
from ..narrative.ai import threshold_comparison, threshold_numbers
from . import markdown, problem, svg

STYLE = {"description_width": "90px"}


def _check(classification: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(classification, pd.DataFrame):
        raise TypeError(f"classification must be a DataFrame, got {type(classification).__name__}. Fix: pass "
                        "ai.classification(preds, thresholds=[k / 100 for k in range(101)])")
    missing = [c for c in ("threshold", "n", "tp", "fp", "fn", "tn") if c not in classification.columns]
    if missing:
        raise ValueError(f"the table lacks {', '.join(missing)}. Fix: pass the output of ai.classification()")
    extra = [c for c in classification.columns if c not in COLUMNS and classification[c].nunique(dropna=False) > 1]
    if extra:
        raise ValueError(f"the table is split by {', '.join(extra)}: the explorer reads one table. Fix: pass "
                         "ai.classification() without segment=, or the rows of one segment value")
    if classification.empty:
        raise ValueError("the table is empty: no prediction has a known label yet")
    return classification.sort_values("threshold", ignore_index=True)


def _nearest(table: pd.DataFrame, value: float) -> pd.Series:
    return table.loc[(table["threshold"] - value).abs().idxmin()]


def _reading(row: pd.Series, cost_fp: float, cost_fn: float) -> dict:
    """Precision, recall, F1, share shown and expected cost per 1,000 labelled predictions of one row."""
    tp, fp, fn, tn = (int(row[k]) for k in ("tp", "fp", "fn", "tn"))
    n = tp + fp + fn + tn
    return {"threshold": float(row["threshold"]), "n": n,
            "precision": tp / (tp + fp) if tp + fp else math.nan,
            "recall": tp / (tp + fn) if tp + fn else math.nan,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan,
            "shown": (tp + fp) / n if n else math.nan,
            "cost": 1000 * (cost_fp * fp + cost_fn * fn) / n if n else math.nan}


def threshold_explorer(classification: pd.DataFrame, threshold: float = 0.5, cost_false_positive: float = 1.0,
                       cost_false_negative: float = 1.0, unit: str = "suggestion") -> W.VBox:
    """Return a widget: a threshold slider (0-1, step 0.01) over ``classification`` (the output of
    :func:`pmplaybook.ai.classification` on fine thresholds, without segment) and a view with the confusion
    matrix at the nearest threshold of the table, its precision, recall, F1, share shown and expected cost
    ``cost_false_positive * FP + cost_false_negative * FN`` per 1,000 labelled predictions, and a sentence
    comparing it with the product's ``threshold``. ``unit`` names what the model shows ("suggestion")."""
    slider = W.FloatSlider(description="Threshold", value=threshold, min=0, max=1, step=0.01, readout_format=".2f",
                           continuous_update=False, style=STYLE)
    view = W.HTML()
    state = {}

    def setup():
        table = _check(classification)
        readings = [_reading(row, cost_false_positive, cost_false_negative) for _, row in table.iterrows()]
        state["table"] = table
        state["base"] = _reading(_nearest(table, threshold), cost_false_positive, cost_false_negative)
        state["best"] = min(readings, key=lambda r: (r["cost"], r["threshold"]))

    def redraw(*_):
        try:
            if "table" not in state:
                setup()
            row = _nearest(state["table"], slider.value)
            r = _reading(row, cost_false_positive, cost_false_negative)
            note = ""
            if abs(r["threshold"] - slider.value) > 1e-9:
                note = f" (the table's nearest threshold to {slider.value:.2f})"
            costs = (f"Expected cost = {cost_false_positive:g} per wrong {unit} shown (FP) + "
                     f"{cost_false_negative:g} per good {unit} withheld (FN).")
            view.value = (svg(confusion_matrix(row))
                          + markdown(f"At **{r['threshold']:.2f}**{note}: " + threshold_numbers(r, unit))
                          + markdown(threshold_comparison(r, state["base"], state["best"], unit) + " " + costs))
        except Exception as exc:  # noqa: BLE001 - a callback's traceback would be invisible: say why here
            view.value = problem(exc)

    slider.observe(redraw, names="value")
    redraw()
    return W.VBox([slider, view])
