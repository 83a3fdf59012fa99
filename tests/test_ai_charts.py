"""The AI charts (pmplaybook.charts.ai) and the threshold explorer (pmplaybook.widgets.ai): every builder returns a
valid Vega-Lite chart from the bundled sample and from a tiny hand-made log, embeds only aggregates, draws the
threshold / SLO / rollout / PSI marks it is given, and renders offline; the widget redraws when its slider moves."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import vl_convert as vlc

from pmplaybook import ai
from pmplaybook import config as _config
from pmplaybook.charts import ai as charts
from pmplaybook.data import load_predictions

needs_sample = pytest.mark.skipif(not (_config.DATA_DIR / "events.parquet").exists(), reason="sample not generated")

ROLLOUT = "2025-10-06"


def rows_embedded(spec: dict) -> list[int]:
    """The number of rows of every dataset a spec carries (top-level ``datasets`` and inline ``values``)."""
    sizes = [len(v) for v in spec.get("datasets", {}).values()]

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("data"), dict) and isinstance(node["data"].get("values"), list):
                sizes.append(len(node["data"]["values"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return sizes


def valid(chart) -> dict:
    """The chart's spec, validated against the Vega-Lite schema, with only small (aggregated) data."""
    import altair as alt

    assert isinstance(chart, (alt.Chart, alt.LayerChart, alt.HConcatChart, alt.VConcatChart))
    spec = chart.to_dict()  # validates
    assert spec["$schema"] and spec["title"]
    sizes = rows_embedded(spec)
    assert sizes and max(sizes) < 5000, sizes
    return spec


def texts(spec: dict) -> str:
    """Every string of the spec (its data included), to look for a mark's label."""
    return json.dumps(spec)


# ------------------------------------------------------------------------------------ a tiny log

def tiny_log():
    """Two weeks, two models: 16 predictions with scores, labels, outcomes, latency, cost and a country."""
    n = 16
    scores = [0.95, 0.9, 0.8, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.2, 0.15, 0.1, 0.05]
    actual = [True, True, True, False, True, False, True, None, True, False, False, True, False, None, False, False]
    outcome = ["accepted", "edited", "accepted", "rejected", "overridden", "ignored", "accepted", "edited"] + [None] * 8
    order = [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15]  # each week gets high and low scores
    frame = pd.DataFrame({
        "prediction_id": [f"p{i:02d}" for i in range(n)],
        "user_id": [f"u{i % 4}" for i in range(n)],
        "timestamp": [f"2025-03-{3 + 7 * (i // 8) + i % 5:02d} 10:00" for i in range(n)],
        "model": ["a"] * 8 + ["b"] * 8,
        "score": [scores[k] for k in order], "actual": [actual[k] for k in order],
        "predicted": [scores[k] >= 0.5 for k in order], "outcome": [outcome[k] for k in order],
        "latency_ms": [100.0 + 40 * i for i in range(n)], "cost": 0.001,
        "country": ["DE", "US"] * 8, "input_tokens": [50 + (i * 7) % 30 for i in range(n)],
    })
    return load_predictions(frame)


@pytest.fixture(scope="module")
def tiny():
    log = tiny_log()
    cls = ai.classification(log)
    return {
        "classification": cls,
        "by_model": ai.classification(log, segment="model"),
        "chosen": ai.choose_threshold(cls, min_precision=0.7),
        "latency": ai.latency(log, period="week", as_of="2025-03-15"),
        "latency_model": ai.latency(log, period="week", segment="model", slo=(90, 500), as_of="2025-03-15"),
        "cost": ai.cost(log, period="week", as_of="2025-03-15"),
        "trust": ai.trust(log, period="week", as_of="2025-03-15"),
        "drift": ai.drift(log, "input_tokens", reference=("2025-03-03", "2025-03-09"), as_of="2025-03-15"),
        "fairness": ai.fairness(log, "country", min_labels=1),
        "outcome": pd.DataFrame({"accepted": [True, False], "users": [40, 10], "retained": [24, 3],
                                 "rate": [0.6, 0.3], "ci_low": [0.45, 0.11], "ci_high": [0.73, 0.6],
                                 "gap": 0.3, "gap_low": -0.02, "gap_high": 0.52, "significant": False}),
    }


def build_all(t: dict, threshold=0.5) -> dict:
    return {
        "pr_curve": charts.pr_curve(t["classification"], threshold=threshold, chosen=t["chosen"]),
        "pr_curve_segments": charts.pr_curve(t["by_model"], threshold=threshold),
        "precision_recall_by_threshold": charts.precision_recall_by_threshold(t["classification"], threshold=threshold),
        "confusion_matrix": charts.confusion_matrix(t["classification"][t["classification"]["threshold"] == 0.5]),
        "latency_trend": charts.latency_trend(t["latency"], slo_ms=900, rollout=t.get("rollout", "2025-03-10")),
        "latency_trend_model": charts.latency_trend(t["latency_model"], rollout=t.get("rollout", "2025-03-10")),
        "cost_trend": charts.cost_trend(t["cost"], rollout=t.get("rollout", "2025-03-10")),
        "trust_trend": charts.trust_trend(t["trust"]),
        "drift_chart": charts.drift_chart(t["drift"], column="input_tokens"),
        "fairness_chart": charts.fairness_chart(t["fairness"], "country"),
        "outcome_chart": charts.outcome_chart(t["outcome"], week=4),
    }


def test_every_chart_builds_from_the_tiny_log_and_renders_offline(tiny):
    for name, chart in build_all(tiny).items():
        spec = valid(chart)
        assert vlc.vegalite_to_svg(json.dumps(spec)).startswith("<svg"), name


def test_marks_drawn_only_when_given(tiny):
    built = build_all(tiny)
    assert "product threshold 0.50" in texts(built["pr_curve"].to_dict())
    assert "chosen" in texts(built["pr_curve"].to_dict()) and "precision >= 70%" in texts(built["pr_curve"].to_dict())
    assert "product threshold 0.50" in texts(built["precision_recall_by_threshold"].to_dict())
    bare = charts.pr_curve(tiny["classification"])
    assert "product threshold" not in texts(valid(bare)) and "chosen" not in texts(bare.to_dict())
    assert "product threshold" not in texts(valid(charts.precision_recall_by_threshold(tiny["classification"])))
    # a threshold the table does not hold is marked at the nearest one, and says so
    near = charts.pr_curve(tiny["classification"], threshold=0.52)
    assert "nearest to the product threshold: 0.50" in texts(near.to_dict())

    latency = texts(built["latency_trend"].to_dict())
    assert "SLO: p90 at most 900 ms" in latency and "change on 2025-03-10" in latency
    bare = texts(valid(charts.latency_trend(tiny["latency"])))
    assert "SLO" not in bare and "change on" not in bare
    # the SLO comes from the table's slo_ms column when not given; the new model names the rollout
    model = texts(built["latency_trend_model"].to_dict())
    assert "SLO: p90 at most 500 ms" in model and "b from 2025-03-10" in model
    assert "change on 2025-03-10" in texts(built["cost_trend"].to_dict())

    drift = texts(built["drift_chart"].to_dict())
    assert "moderate shift (0.1)" in drift and "significant shift (0.25)" in drift and '"reference"' in drift
    no_ref = tiny["drift"].copy()
    no_ref.attrs = {}
    assert '"reference"' not in texts(valid(charts.drift_chart(no_ref)))


def test_confusion_matrix_cells_counts_and_title():
    row = {"threshold": 0.6, "tp": 30, "fp": 10, "fn": 15, "tn": 45}
    spec = valid(charts.confusion_matrix(row))
    assert "threshold 0.60" in json.dumps(spec["title"])
    cells = {d["key"]: d for data in spec["datasets"].values() for d in data if "key" in d}
    assert {k: cells[k]["count"] for k in ("tp", "fp", "fn", "tn")} == {"tp": 30, "fp": 10, "fn": 15, "tn": 45}
    assert cells["tp"]["share"] == 0.3 and cells["fp"]["cell"] == "shown but wrong (FP)"
    assert {cells[k]["verdict"] for k in ("tp", "tn")} == {"right decision"}
    # a Series and a one-row frame work too; a several-row table is refused with the fix
    valid(charts.confusion_matrix(pd.Series(row)))
    valid(charts.confusion_matrix(pd.DataFrame([row])))
    with pytest.raises(ValueError, match="one row"):
        charts.confusion_matrix(pd.DataFrame([row, row]))


def test_fairness_colours_flagged_segments_red():
    table = pd.DataFrame({"country": ["DE", "US"], "n": [100, 300], "tp": [40, 200], "fp": [40, 50], "fn": [10, 30],
                          "precision": [0.5, 0.8], "precision_low": [0.39, 0.75], "precision_high": [0.61, 0.84],
                          "recall": [0.8, 0.87], "recall_low": [0.67, 0.82], "recall_high": [0.89, 0.91],
                          "precision_gap": [-0.3, 0.3], "recall_gap": [-0.07, 0.07], "flagged": [True, False]})
    spec = valid(charts.fairness_chart(table, "country"))
    rows = {d["value"]: d["verdict"] for data in spec["datasets"].values() for d in data if "verdict" in d}
    assert rows == {"DE": "served worse than the rest", "US": "within noise"}
    assert charts.RED in json.dumps(spec) and "all: 72.7%" in json.dumps(spec)  # 240 / (240 + 90)
    with pytest.raises(ValueError, match="no column plan"):
        charts.fairness_chart(table, "plan")


def test_trust_trend_labels_and_metric_choice(tiny):
    spec = valid(charts.trust_trend(tiny["trust"], metrics=["acceptance_without_edits", "rejection_rate"]))
    assert "Accepted without edits" in json.dumps(spec) and "Dismissed" in json.dumps(spec)
    assert "Coverage (predictions shown)" not in json.dumps(spec)
    with pytest.raises(ValueError, match="unknown trust metric"):
        charts.trust_trend(tiny["trust"], metrics=["happiness"])


# ------------------------------------------------------------------------------------ the sample

@pytest.fixture(scope="module")
def sample():
    from pmplaybook import data

    ds = data.sample()
    p, as_of = ds.predictions, ds.as_of
    cls = ai.classification(p)
    return {
        "predictions": p,
        "rollout": ROLLOUT,
        "classification": cls,
        "fine": ai.classification(p, thresholds=[k / 100 for k in range(101)]),
        "by_model": ai.classification(p, segment="model"),
        "chosen": ai.choose_threshold(cls, min_precision=0.8),
        "latency": ai.latency(p, period="week", as_of=as_of),
        "latency_model": ai.latency(p, period="week", segment="model", as_of=as_of),
        "cost": ai.cost(p, period="week", as_of=as_of),
        "trust": ai.trust(p, period="week", as_of=as_of),
        "drift": ai.drift(p, "input_tokens", period="week", segment="platform", as_of=as_of),
        "fairness": ai.fairness(p, "country"),
        "outcome": ai.outcome(ds.events, p, as_of=as_of),
    }


@needs_sample
def test_every_chart_builds_from_the_sample_with_aggregated_data(sample):
    built = build_all(sample)
    for name, chart in built.items():
        valid(chart)
    valid(charts.drift_chart(ai.drift(sample["predictions"], period="week")))
    latency = texts(built["latency_trend"].to_dict())
    assert "change on 2025-10-06" in latency and "SLO: p90 at most 900 ms" in latency
    assert "assist-2 from 2025-10-06" in texts(built["latency_trend_model"].to_dict())
    assert "chosen 0.75 (precision >= 80%)" in texts(built["pr_curve"].to_dict())
    fairness = built["fairness_chart"].to_dict()
    flagged = {d["value"] for data in fairness["datasets"].values() for d in data
               if d.get("verdict") == "served worse than the rest"}
    assert flagged == {"DE"}


# ------------------------------------------------------------------------------------ the widget

def html_of(box) -> str:
    return box.children[1].value


@needs_sample
def test_threshold_explorer_redraws_when_the_slider_moves(sample):
    from pmplaybook.widgets.ai import threshold_explorer

    box = threshold_explorer(sample["fine"], threshold=0.5, cost_false_positive=1, cost_false_negative=3)
    slider, first = box.children[0], html_of(box)
    assert (slider.min, slider.max, slider.step, slider.readout_format) == (0, 1, 0.01, ".2f")
    assert "<svg" in first and "threshold (0.50)" in first
    assert "Precision</strong> 63.2%" in first and "Cannot" not in first
    slider.value = 0.62
    moved = html_of(box)
    assert moved != first and "<strong>0.62</strong>" in moved and "threshold 0.62" in moved
    assert "Against the product" in moved and "Cannot" not in moved


def test_threshold_explorer_on_a_tiny_table_and_its_errors(tiny):
    from pmplaybook.widgets.ai import threshold_explorer

    box = threshold_explorer(tiny["classification"], threshold=0.5)
    first = html_of(box)
    assert "<svg" in first and "Cannot" not in first
    box.children[0].value = 0.73  # the default table steps by 0.05: the nearest row is used, and said
    moved = html_of(box)
    assert moved != first and "nearest threshold to 0.73" in moved and "<strong>0.75</strong>" in moved
    # one table only: a segmented table is explained in the widget's own area, not as a traceback
    split = threshold_explorer(tiny["by_model"])
    assert "Cannot compute this view" in html_of(split) and "without segment=" in html_of(split)
    one = tiny["by_model"][tiny["by_model"]["model"] == "a"]
    assert "Cannot" not in html_of(threshold_explorer(one))
