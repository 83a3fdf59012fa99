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


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{value:.1%}"


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


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


def _numbers(r: dict, unit: str) -> str:
    f1 = "n/a" if r["f1"] != r["f1"] else f"{r['f1']:.3f}"
    return (f"**Precision** {_pct(r['precision'])} · **Recall** {_pct(r['recall'])} · **F1** {f1} · "
            f"**Shown** {_pct(r['shown'])} of {r['n']:,} labelled predictions · "
            f"**Expected cost** {_amount(r['cost'])} per 1,000 predictions")


def _points(a: float, b: float) -> str:
    if a != a or b != b:
        return "n/a"
    return f"{100 * (a - b):+.1f} points"


def _comparison(r: dict, base: dict, best: dict, unit: str) -> str:
    """One or two sentences: this threshold against the product's, and where the cost is least."""
    if r["threshold"] == base["threshold"]:
        text = f"This is the product's threshold ({base['threshold']:.2f})."
    else:
        saving = base["cost"] - r["cost"]
        cost = ("the same expected cost" if abs(saving) < 1e-9 else
                f"an expected cost {_amount(abs(saving))} {'lower' if saving > 0 else 'higher'} per 1,000 predictions")
        text = (f"Against the product's threshold {base['threshold']:.2f}: "
                f"precision {_points(r['precision'], base['precision'])}, "
                f"recall {_points(r['recall'], base['recall'])}, {unit}s shown for {_pct(r['shown'])} of predictions "
                f"instead of {_pct(base['shown'])}, and {cost}.")
    if best["threshold"] != r["threshold"]:
        text += (f" The least expected cost in this table is at {best['threshold']:.2f} "
                 f"({_amount(best['cost'])} per 1,000 predictions).")
    else:
        text += " No threshold in this table has a lower expected cost."
    return text


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
                          + markdown(f"At **{r['threshold']:.2f}**{note}: " + _numbers(r, unit))
                          + markdown(_comparison(r, state["base"], state["best"], unit) + " " + costs))
        except Exception as exc:  # noqa: BLE001 - a callback's traceback would be invisible: say why here
            view.value = problem(exc)

    slider.observe(redraw, names="value")
    redraw()
    return W.VBox([slider, view])
