"""AI product metrics (pmplaybook.ai) on tiny prediction logs whose answers are worked out by hand, cross-checked
against scikit-learn (precision, recall, F1) and numpy (percentiles); and the predictions table's contract."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from pmplaybook import ai
from pmplaybook.core.stats import add_wilson, wilson_interval
from pmplaybook.data import DataError, load_events, load_predictions


def log(**columns) -> "ibis.Table":  # noqa: F821
    """A prediction log from columns; the contract's other columns get harmless defaults."""
    n = len(next(iter(columns.values())))
    base = {"prediction_id": [f"p{i}" for i in range(n)], "user_id": "u1", "timestamp": "2025-03-03 10:00",
            "score": 0.5, "actual": None, "latency_ms": 100.0, "cost": 0.001}
    base.update(columns)
    return load_predictions(pd.DataFrame({k: v if isinstance(v, list) else [v] * n for k, v in base.items()}))


# ------------------------------------------------------------------------------------ classification

# Eight predictions, two without a label. Ties: two scores sit exactly on 0.5.
#   score  0.9  0.7  0.5  0.5  0.3  0.1  0.8   0.2
#   actual  T    F    T    F    T    F   ?     ?
TIES = dict(score=[0.9, 0.7, 0.5, 0.5, 0.3, 0.1, 0.8, 0.2], actual=[True, False, True, False, True, False, None, None])


def test_classification_counts_ties_as_positive_and_leaves_unknown_labels_out():
    out = ai.classification(log(**TIES), thresholds=[0.0, 0.5, 0.6, 1.0]).set_index("threshold")
    assert (out["n"] == 6).all()  # the two unknown labels are not counted
    # 0.5: flagged 0.9T 0.7F 0.5T 0.5F -> TP 2, FP 2; missed 0.3T -> FN 1; 0.1F -> TN 1
    row = out.loc[0.5]
    assert (row.tp, row.fp, row.fn, row.tn) == (2, 2, 1, 1)
    assert row.precision == 0.5 and row.recall == pytest.approx(2 / 3)
    assert row.f1 == pytest.approx(2 * 2 / (2 * 2 + 2 + 1))  # 4/7
    assert row.flagged == pytest.approx(4 / 6)
    assert (row.precision_low, row.precision_high) == pytest.approx(wilson_interval(2, 4))
    assert (row.recall_low, row.recall_high) == pytest.approx(wilson_interval(2, 3))
    # 0.6: flagged 0.9T 0.7F -> TP 1, FP 1, FN 2, TN 2
    assert tuple(out.loc[0.6, ["tp", "fp", "fn", "tn"]]) == (1, 1, 2, 2)
    assert out.loc[0.6, "f1"] == pytest.approx(2 / (2 + 1 + 2))
    # 0: everything flagged; 1: nothing flagged, so precision is undefined (NaN, not 0)
    assert tuple(out.loc[0.0, ["tp", "fp", "fn", "tn"]]) == (3, 3, 0, 0)
    assert math.isnan(out.loc[1.0, "precision"]) and out.loc[1.0, "recall"] == 0 and out.loc[1.0, "f1"] == 0


def test_classification_default_thresholds_cover_the_score_range_and_segments_split():
    out = ai.classification(log(**TIES))
    assert list(out.threshold) == list(ai.DEFAULT_THRESHOLDS) and out.threshold.min() == 0 and out.threshold.max() == 1
    seg = ai.classification(log(**TIES, model=["a"] * 4 + ["b"] * 4), thresholds=[0.5], segment="model")
    # model a: 0.9T 0.7F 0.5T 0.5F all flagged; model b: 0.3T missed, 0.1F right, two unknown
    assert seg.set_index("model").loc["a", ["tp", "fp", "fn", "tn"]].tolist() == [2, 2, 0, 0]
    assert seg.set_index("model").loc["b", ["tp", "fp", "fn", "tn"]].tolist() == [0, 0, 1, 1]


def test_classification_matches_scikit_learn_on_a_log_with_ties_and_unknown_labels():
    rng = np.random.default_rng(3)
    n = 3000
    actual = rng.random(n) < 0.4
    score = np.clip(np.round(np.where(actual, rng.beta(5, 2, n), rng.beta(2, 4, n)), 2), 0, 1)  # many ties
    known = rng.random(n) < 0.7
    labels = pd.array(np.where(known, actual, False), dtype="boolean")
    labels[~known] = pd.NA
    out = ai.classification(log(score=list(score), actual=list(labels)), thresholds=[0.2, 0.35, 0.5, 0.65, 0.8])
    for _, row in out.iterrows():
        y_pred = score[known] >= row.threshold
        y_true = actual[known]
        assert row.precision == pytest.approx(precision_score(y_true, y_pred))
        assert row.recall == pytest.approx(recall_score(y_true, y_pred))
        assert row.f1 == pytest.approx(f1_score(y_true, y_pred))
        assert row.n == known.sum()


# ------------------------------------------------------------------------------------ choose_threshold

FRAME = pd.DataFrame({"threshold": [0.3, 0.5, 0.7], "n": 100, "tp": [40, 35, 20], "fp": [30, 15, 4],
                      "fn": [10, 15, 30], "tn": [20, 35, 46]})


def test_choose_threshold_for_each_goal():
    # precision 40/70 = 0.57, 35/50 = 0.70, 20/24 = 0.83; recall 0.8, 0.7, 0.4
    best = ai.choose_threshold(FRAME, min_precision=0.7)
    assert best["threshold"] == 0.5 and best["met"] and best["recall"] == 0.7  # the most recall at >= 70% precision
    assert ai.choose_threshold(FRAME, min_recall=0.75)["threshold"] == 0.3
    # cost 1 per FP, 5 per FN: 30+50=80, 15+75=90, 4+150=154 -> 0.3; the other way round: 160, 90, 50 -> 0.7
    cheap = ai.choose_threshold(FRAME, cost_false_positive=1, cost_false_negative=5)
    assert cheap["threshold"] == 0.3 and cheap["cost"] == pytest.approx(80 / 100)
    assert ai.choose_threshold(FRAME, cost_false_positive=5, cost_false_negative=1)["threshold"] == 0.7


def test_choose_threshold_says_when_no_threshold_reaches_the_goal_and_wants_one_goal():
    out = ai.choose_threshold(FRAME, min_precision=0.9)
    assert not out["met"] and out["threshold"] == 0.7  # the closest: the most precise
    with pytest.raises(ValueError, match="exactly one goal"):
        ai.choose_threshold(FRAME)
    with pytest.raises(ValueError, match="exactly one goal"):
        ai.choose_threshold(FRAME, min_precision=0.5, min_recall=0.5)
    with pytest.raises(ValueError, match="needs both"):
        ai.choose_threshold(FRAME, cost_false_positive=1)


def test_choose_threshold_on_a_log_scans_fine_thresholds():
    out = ai.choose_threshold(log(**TIES), min_recall=1.0)
    # recall 1 needs the 0.3 positive flagged: thresholds 0.11 .. 0.30 flag 0.9 0.7 0.5 0.5 0.3 (precision 3/5);
    # the most precise of them, lowest first -> 0.11
    assert out["threshold"] == pytest.approx(0.11) and out["precision"] == pytest.approx(3 / 5)


# ------------------------------------------------------------------------------------ fairness

def test_fairness_flags_the_segment_served_worse_than_its_noise():
    # DE: 20 right of 50 flagged (precision 0.4); US: 160 of 200 (0.8); tiny FR: 1 of 4 (0.25), too few labels
    rows = ([("DE", 0.9, True)] * 20 + [("DE", 0.9, False)] * 30 + [("US", 0.9, True)] * 160
            + [("US", 0.9, False)] * 40 + [("FR", 0.9, True)] + [("FR", 0.9, False)] * 3)
    country, score, actual = (list(x) for x in zip(*rows))
    out = ai.fairness(log(country=country, score=score, actual=actual), "country").set_index("country")
    assert out.loc["DE", "precision"] == 0.4 and out.loc["US", "precision"] == 0.8
    assert out.loc["DE", "precision_gap"] == pytest.approx(0.4 - 161 / 204)  # DE against US and FR together
    assert out.loc["DE", "flagged"] and not out.loc["FR", "flagged"]  # FR: 4 labels < min_labels
    assert out.index[0] == "FR"  # sorted by precision gap, worst first


# ------------------------------------------------------------------------------------ latency and cost

def test_latency_percentiles_match_numpy_per_period_and_read_the_slo():
    rng = np.random.default_rng(5)
    days = rng.integers(0, 21, 600)
    lat = np.round(rng.lognormal(np.log(400), 0.6, 600), 1)
    ts = (pd.Timestamp("2025-03-03") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d 12:00").tolist()
    out = ai.latency(log(timestamp=ts, latency_ms=list(lat)), period="week", slo=(90, 1000))
    assert len(out) == 3
    for i, row in out.iterrows():
        week = lat[(days // 7) == i]
        assert row.predictions == len(week)
        for p in (50, 90, 99):
            assert row[f"p{p}"] == pytest.approx(np.percentile(week, p))
        assert row.within_slo == (np.percentile(week, 90) <= 1000)
    # overall, hand-worked: 100 200 300 400 1000 -> p50 300, p90 = 400 + 0.6 * 600 = 760
    small = ai.latency(log(latency_ms=[100.0, 200.0, 300.0, 400.0, 1000.0]), percentiles=(50, 90))
    assert small.to_dict("records") == [{"predictions": 5, "p50": 300.0, "p90": pytest.approx(760.0)}]


def test_cost_per_thousand_and_per_accepted_suggestion():
    out = ai.cost(log(cost=[0.001, 0.002, 0.003, 0.004], predicted=[True, True, True, False],
                      outcome=["accepted", "edited", "rejected", None]))
    row = out.iloc[0]
    assert row.cost == pytest.approx(0.01) and row.cost_per_1k == pytest.approx(2.5)  # 1000 * 0.01 / 4
    assert row.accepted == 1 and row.cost_per_accepted == pytest.approx(0.01)  # every call's cost / 1 accepted


# ------------------------------------------------------------------------------------ trust

def test_trust_rates_with_intervals():
    out = ai.trust(log(predicted=[True, True, True, True, False],
                       outcome=["accepted", "accepted", "edited", "overridden", None])).set_index("metric")
    expected = {"acceptance_without_edits": (2, 4), "edit_rate": (1, 4), "override_rate": (1, 4),
                "human_in_the_loop": (2, 4), "rejection_rate": (0, 4), "coverage": (4, 5)}
    for metric, (k, n) in expected.items():
        assert (out.loc[metric, "count"], out.loc[metric, "n"]) == (k, n), metric
        assert out.loc[metric, "rate"] == pytest.approx(k / n)
        assert (out.loc[metric, "ci_low"], out.loc[metric, "ci_high"]) == pytest.approx(wilson_interval(k, n))


def test_trust_per_period_gives_a_trend():
    out = ai.trust(log(timestamp=["2025-03-03", "2025-03-04", "2025-03-10", "2025-03-11"], predicted=True,
                       outcome=["accepted", "rejected", "accepted", "accepted"]), period="week")
    acc = out[out.metric == "acceptance_without_edits"]
    assert acc.rate.tolist() == [0.5, 1.0]


# ------------------------------------------------------------------------------------ drift

def test_psi_against_the_reference_by_hand():
    # reference week: 1..10 -> with 2 bins the edge is the median 5.5, five values each side (q = 0.5, 0.5)
    ref = [f"2025-03-0{3 + i % 5} 10:00" for i in range(10)]
    same = ["2025-03-10 10:00"] * 10  # the same values again: PSI 0
    moved = ["2025-03-17 10:00"] * 4  # four values above the edge: p = (0 -> 1e-4, 1)
    values = list(range(1, 11)) + list(range(1, 11)) + [20, 21, 22, 23]
    out = ai.drift(log(timestamp=ref + same + moved, latency_ms=[float(v) for v in values]), "latency_ms",
                   reference=("2025-03-03", "2025-03-09"), bins=2)
    assert out.attrs["edges"] == [5.5]
    assert out.psi.iloc[0] == pytest.approx(0) and out.psi.iloc[1] == pytest.approx(0)
    p, q = np.array([1e-4, 1.0]), np.array([0.5, 0.5])
    assert out.psi.iloc[2] == pytest.approx(np.sum((p - q) * np.log(p / q)))
    assert out.reading.tolist() == ["stable", "stable", "significant shift"]
    assert out.in_reference.tolist() == [True, False, False]


def test_psi_reading_follows_the_rule_of_thumb():
    assert [ai.psi_reading(v) for v in (0.05, 0.1, 0.2, 0.25, 0.4)] == [
        "stable", "moderate shift", "moderate shift", "significant shift", "significant shift"]


# ------------------------------------------------------------------------------------ outcome

def test_outcome_compares_week4_retention_of_accepters_and_others():
    # u1 accepts on day 2 and is back on day 30 (week 4); u2 is shown, takes nothing, is back on day 30;
    # u3 accepts on day 10 (after the 7-day window: not an accepter), gone; u4 accepts, gone;
    # u5's week 4 ends after as_of: not counted.
    shown = {"u1": "2025-03-03", "u2": "2025-03-03", "u3": "2025-03-03", "u4": "2025-03-03", "u5": "2025-04-01"}
    took = {"u1": "2025-03-05", "u3": "2025-03-13", "u4": "2025-03-04", "u5": "2025-04-02"}
    users = list(shown) + list(took)
    preds = log(user_id=users, timestamp=list(shown.values()) + list(took.values()), predicted=True,
                outcome=[None] * 5 + ["accepted", "accepted", "edited", "accepted"])
    events = load_events(pd.DataFrame({"user_id": ["u1", "u2", "u5", "u9"], "event": "x",
                                       "timestamp": ["2025-04-02", "2025-04-02", "2025-04-03", "2025-04-20"]}))
    out = ai.outcome(events, preds, as_of="2025-04-21").set_index("accepted")
    assert (out.loc[True, "users"], out.loc[True, "retained"]) == (2, 1)  # u1, u4
    assert (out.loc[False, "users"], out.loc[False, "retained"]) == (2, 1)  # u2, u3
    assert out.loc[True, "gap"] == 0


# ------------------------------------------------------------------------------------ the contract

def frame(**changes):
    base = pd.DataFrame({"prediction_id": ["p1", "p2"], "user_id": ["u1", "u2"], "timestamp": ["2025-03-01", "2025-03-02"],
                         "score": [0.2, 0.9], "actual": [True, None], "latency_ms": [120, 300], "cost": [0.001, 0.002]})
    for k, v in changes.items():
        base[k] = v
    return base


@pytest.mark.parametrize("changes, column, words", [
    ({"score": [0.2, 1.5]}, "score", "outside 0-1"),
    ({"score": ["0.2", "high"]}, "score", "not numbers"),
    ({"actual": ["yes", "maybe"]}, "actual", "not true/false"),
    ({"latency_ms": [120, -1]}, "latency_ms", "negative"),
    ({"cost": [0.001, float("inf")]}, "cost", "NaN or infinite"),
    ({"outcome": ["accepted", "liked"]}, "outcome", "not one of accepted, edited"),
    ({"predicted": [True, 2]}, "predicted", "not true/false"),
])
def test_load_predictions_names_the_column_and_the_fix(changes, column, words):
    with pytest.raises(DataError, match=f"column '{column}'.*{words}") as err:
        load_predictions(frame(**changes))
    assert "Fix:" in str(err.value) and "p2" in str(err.value)  # an example row is shown


def test_load_predictions_reads_booleans_and_refuses_repeated_ids():
    t = load_predictions(frame(actual=["Yes", None], predicted=[0, 1], outcome=[" Accepted", ""])).execute()
    assert t.actual.tolist()[0] is True and pd.isna(t.actual.iloc[1])
    assert t.predicted.tolist() == [False, True] and t.outcome.iloc[0] == "accepted" and pd.isna(t.outcome.iloc[1])
    with pytest.raises(DataError, match="repeat a prediction id"):
        load_predictions(frame(prediction_id=["p1", "p1"]))
    with pytest.raises(DataError, match="no required column latency_ms"):
        load_predictions(frame().drop(columns="latency_ms"))


# ------------------------------------------------------------------------------------ the planted truths

@pytest.fixture(scope="module")
def sample():
    from pmplaybook.data import sample as load_sample, truth

    return load_sample().predictions, truth()["ai"]


def test_quality_per_model_is_the_planted_truth(sample):
    preds, truth = sample
    by = ai.classification(preds, thresholds=[truth["threshold"]], segment="model").set_index("model")
    whole = ai.classification(preds, thresholds=[truth["threshold"]]).iloc[0]
    for name, row in [("all", whole), ("assist-1", by.loc["assist-1"]), ("assist-2", by.loc["assist-2"])]:
        t = truth["quality_at_threshold"][name]
        assert (row.tp, row.fp, row.fn, row.tn, row.n) == (t["tp"], t["fp"], t["fn"], t["tn"], t["labelled"]), name
        for k in ("precision", "recall", "f1"):
            assert row[k] == pytest.approx(t[k], abs=5e-7), (name, k)
    curve = ai.classification(preds, thresholds=[0.5, 0.6, 0.7, 0.8, 0.9]).set_index("threshold")
    for cut, value in truth["precision_by_threshold"].items():
        assert curve.loc[float(cut), "precision"] == pytest.approx(value, abs=5e-7)


def test_fairness_finds_the_german_drop_under_the_new_model(sample):
    preds, truth = sample
    new = ai.fairness(preds.filter(preds.model == "assist-2"), "country").set_index("country")
    old = ai.fairness(preds.filter(preds.model == "assist-1"), "country").set_index("country")
    assert new.flagged.loc[lambda f: f].index.tolist() == ["DE"]  # the one group served worse
    assert not old.flagged.any()  # it was not, under assist-1
    assert new.loc["DE", "precision"] == pytest.approx(truth["precision_by_model_country"]["assist-2"]["DE"], abs=5e-7)
    assert old.loc["DE", "precision"] == pytest.approx(truth["precision_by_model_country"]["assist-1"]["DE"], abs=5e-7)


def test_latency_cost_and_trust_are_the_planted_truth(sample):
    preds, truth = sample
    lat = ai.latency(preds, segment="model").set_index("model")
    cost = ai.cost(preds, segment="model").set_index("model")
    for model in ("assist-1", "assist-2"):
        for p in ("p50", "p90", "p99"):
            assert lat.loc[model, p] == pytest.approx(truth["latency_ms"][model][p], abs=1e-3), (model, p)
        assert cost.loc[model, "cost_per_1k"] == pytest.approx(truth["cost_by_model"][model]["cost_per_1000_calls"], abs=1e-6)
    total = ai.cost(preds).iloc[0]
    assert total.cost == pytest.approx(truth["total_cost"], abs=1e-5)
    assert total.cost_per_accepted == pytest.approx(truth["cost_per_accepted"], abs=1e-6)
    rates = ai.trust(preds).set_index("metric")["rate"]
    assert rates["coverage"] == pytest.approx(truth["coverage"], abs=5e-7)
    assert rates["acceptance_without_edits"] == pytest.approx(truth["acceptance_rate"], abs=5e-7)
    assert rates["edit_rate"] == pytest.approx(truth["edit_rate"], abs=5e-7)
    assert rates["override_rate"] == pytest.approx(truth["override_rate"], abs=5e-7)


def test_drift_finds_the_planted_input_shift(sample):
    preds, truth = sample
    drift = truth["input_drift"]
    first, after = drift["reference"]
    reference = (first, str((pd.Timestamp(after) - pd.Timedelta(days=1)).date()))  # truth's end is exclusive
    mobile = preds.mutate(mobile=preds.platform.isin(["ios", "android"]).ifelse("mobile", "web"))
    overall = ai.drift(preds, "input_tokens", period="month", reference=reference)
    assert overall.attrs["edges"] == drift["all"]["edges"]
    assert overall.set_index("period").loc["2025-12-01", "psi"] == pytest.approx(drift["all"]["psi"], abs=5e-6)
    split = ai.drift(mobile, "input_tokens", period="month", reference=reference, segment="mobile")
    december = split[split.period == "2025-12-01"].set_index("mobile")
    assert december.loc["mobile", "psi"] > 0.25 and december.loc["web", "psi"] < 0.1


def test_labels_arrive_late(sample):
    preds, truth = sample
    cov = ai.label_coverage(preds).set_index("period")
    for month, t in truth["labelled_by_month"].items():
        assert cov.loc[f"{month}-01", "labelled"] == t["labelled"] and cov.loc[f"{month}-01", "predictions"] == t["calls"]


# ------------------------------------------------------------------------------------ sentences that switch

from pmplaybook.narrative import ai as story  # noqa: E402


def test_threshold_sentence_follows_the_choice():
    higher = ai.choose_threshold(FRAME, min_precision=0.7)  # 0.5 against today's 0.3
    assert "fewer wrong suggestions" in story.threshold_choice(higher, current=0.3)
    lower = ai.choose_threshold(FRAME, min_recall=0.75)  # 0.3 against today's 0.5
    assert "more of the good suggestions" in story.threshold_choice(lower, current=0.5)
    assert "threshold the product uses today" in story.threshold_choice(lower, current=0.3)
    assert story.threshold_choice(ai.choose_threshold(FRAME, min_precision=0.9)).startswith("No threshold gives")
    # 35 of 50 right is exactly 70%: its interval reaches below the floor, and the sentence says so
    assert "still reaches below the floor" in story.threshold_choice(higher)


def _fair(gaps):
    rows = []
    for name, (tp, fp, fn) in gaps.items():
        rows += [(name, 0.9, True)] * tp + [(name, 0.9, False)] * fp + [(name, 0.1, True)] * fn
    country, score, actual = (list(x) for x in zip(*rows))
    return ai.fairness(log(country=country, score=score, actual=actual), "country")


def test_fairness_sentence_names_the_flagged_group_or_says_none():
    level = _fair({"DE": (80, 20, 20), "US": (160, 40, 40)})
    assert story.fairness_finding(level, "country").startswith("No country is served worse")
    worse = _fair({"DE": (40, 60, 20), "US": (160, 40, 40)})
    text = story.fairness_finding(worse, "country", "v2", level, "v1")
    assert "**DE**" in text and "under v1 it was level with the others" in text
    assert "Outside DE, v2 is as precise as v1" in text and "the overall drop comes from DE" in text


def _weekly(values, slo=1000):
    periods = pd.date_range("2025-09-01", periods=len(values), freq="7D")
    return pd.DataFrame({"period": periods, "predictions": 100, "p50": 400.0, "p90": values, "p99": 2000.0,
                         "slo_ms": slo, "within_slo": [v <= slo for v in values], "complete": True})


def test_latency_sentence_reads_the_slo_weeks():
    assert "held in 8 of the last 8 complete weeks, as in every week before" in story.latency_finding(
        _weekly([900.0] * 10), (90, 1000))
    text = story.latency_finding(_weekly([1400.0] * 3 + [800.0] * 8), (90, 1000))
    assert "in every week since the week of 22 Sep 2025" in text
    assert "held in 6 of the last 8" in story.latency_finding(_weekly([800.0] * 6 + [1400.0] * 2), (90, 1000))


def _trust(before, after):
    rows = []
    for i, rate in enumerate([before] * 4 + [after] * 4):
        for metric in ai.TRUST_METRICS:
            rows.append({"period": pd.Timestamp("2025-11-03") + pd.Timedelta(weeks=i), "metric": metric,
                         "count": int(rate * 2000), "n": 2000, "complete": True})
    return pd.DataFrame(rows)


def test_trust_sentence_says_when_a_change_is_more_than_noise():
    assert "a change within noise" in story.trust_finding(_trust(0.47, 0.475))
    moved = story.trust_finding(_trust(0.47, 0.40))
    assert "down from 47%, more than noise" in moved


def _drift(psis, segment_values=None):
    periods = pd.date_range("2025-10-06", periods=len(psis), freq="7D")
    out = pd.DataFrame({"period": periods, "n": 500, "psi": psis, "reading": [ai.psi_reading(v) for v in psis],
                        "in_reference": False, "complete": True})
    out.attrs["reference"] = (pd.Timestamp("2025-09-01"), pd.Timestamp("2025-09-28"))
    return out


def test_drift_sentence_reads_the_rule_of_thumb_and_names_a_new_group():
    assert "The inputs look like the reference" in story.drift_finding(_drift([0.01, 0.02]), "score")
    assert "A moderate shift" in story.drift_finding(_drift([0.05, 0.15]), "score")
    text = story.drift_finding(_drift([0.05, 0.3, 0.4]), "score")
    assert "significant shift, above 0.25 since the week of 13 Oct 2025" in text
    split = pd.concat([_drift([0.01, 0.01]).assign(mode="typed"),
                       _drift([float("nan"), float("nan")]).assign(mode="dictated")], ignore_index=True)
    split.attrs["reference"] = (pd.Timestamp("2025-09-01"), pd.Timestamp("2025-09-28"))
    new = story.drift_finding(split, "input_tokens", "mode")
    assert "mode dictated: absent from the reference window, now 50% of the calls" in new
    assert "None of its answers" not in new and "The groups it knew look as they did" in new


def test_outcome_and_labels_sentences_switch():
    same = pd.DataFrame({"accepted": [True, False], "users": [200, 200], "retained": [100, 98]})
    same = add_wilson(same, "retained", "users").assign(gap=0.01, gap_low=-0.09, gap_high=0.11, significant=False)
    assert "a difference within noise" in story.outcome_finding(same)
    late = pd.DataFrame({"period": pd.to_datetime(["2025-10-01", "2025-11-01", "2025-12-01"]),
                         "predictions": 1000, "labelled": [300, 300, 100], "share": [0.3, 0.3, 0.1]})
    assert "labels arrive late" in story.labels_finding(late)
    assert "labels keep up" in story.labels_finding(late.assign(labelled=300, share=0.3))
