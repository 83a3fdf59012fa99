"""The weekly KPI review: series, pooling, status, contribution, OKR pace and episodes, each worked out by
hand on tiny tables; and the sample's findings against data/truth.json."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pmplaybook import config, review
from pmplaybook.data import Dataset
from pmplaybook.narrative import review as story
from pmplaybook.review.scorecard import CARD_COLUMNS


TASKS = {"events": {"task_started": "start", "task_completed": "done", "task_failed": "fail"}}


def _task_rows(week_start: str, attempts: int, failures: int, platform: str, user: str):
    """``attempts`` task attempts by one user on the Monday of a week, ``failures`` of them failing."""
    rows = []
    for i in range(attempts):
        t = pd.Timestamp(week_start) + pd.Timedelta(hours=9, minutes=2 * i)
        rows.append((f"{user}{i}", f"{t:%Y-%m-%d %H:%M}", "start", platform))
        rows.append((f"{user}{i}", f"{t + pd.Timedelta(minutes=1):%Y-%m-%d %H:%M}",
                     "fail" if i < failures else "done", platform))
    return rows


def test_status_follows_the_interval():
    # higher is better, target 0.25: interval above -> green, around -> amber, below -> red
    assert review.status(0.30, 0.27, 0.33, 0.25, True) == "green"
    assert review.status(0.26, 0.22, 0.30, 0.25, True) == "amber"
    assert review.status(0.20, 0.15, 0.24, 0.25, True) == "red"
    # lower is better (an error rate), target 0.10: the whole interval below it is green
    assert review.status(0.05, 0.03, 0.08, 0.10, False) == "green"
    assert review.status(0.12, 0.11, 0.14, 0.10, False) == "red"
    # no interval (a ratio): the value decides, with the KPI's tolerance (10% of 0.30 = 0.03) as the amber band
    assert review.status(0.27, math.nan, math.nan, 0.30, True) == "amber"
    assert review.status(0.26, math.nan, math.nan, 0.30, True) == "red"
    assert review.status(0.26, math.nan, math.nan, 0.30, True, tolerance=0.2) == "amber"
    assert review.status(0.30, math.nan, math.nan, None, True) is None


def test_series_pools_counts_per_week_and_segment():
    # week of 03-03: web 4 attempts (1 failed), ios 2 (1 failed); week of 03-10: web 2 (0), ios 2 (2)
    rows = (_task_rows("2025-03-03", 4, 1, "web", "a") + _task_rows("2025-03-03", 2, 1, "ios", "b")
            + _task_rows("2025-03-10", 2, 0, "web", "c") + _task_rows("2025-03-10", 2, 2, "ios", "d"))
    p = config.parse_params({"team": "t", **TASKS})
    frame = pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "platform"])
    from pmplaybook.data import load_events
    ds = Dataset(events=load_events(frame), as_of=pd.Timestamp("2025-03-17"), params=p)
    s = review.kpi_series(ds, "task_error_rate")
    # failed / attempts: 2/6 and 2/4
    assert s[["numerator", "denominator"]].values.tolist() == [[2.0, 6.0], [2.0, 4.0]]
    assert s["value"].tolist() == pytest.approx([1 / 3, 0.5])
    # pooled over both weeks: 4/10, not the mean of 1/3 and 1/2
    assert review.pooled(s, "task_error_rate")["value"] == pytest.approx(0.4)
    by = review.kpi_series(ds, "task_error_rate", segment="platform")
    assert by.set_index(["period", "segment"])["value"].round(4).to_dict() == {
        (pd.Timestamp("2025-03-03"), "ios"): 0.5, (pd.Timestamp("2025-03-03"), "web"): 0.25,
        (pd.Timestamp("2025-03-10"), "ios"): 1.0, (pd.Timestamp("2025-03-10"), "web"): 0.0}

    # contribution of the change 1/3 -> 1/2 (+1/6):
    # ios: weight 2/6 -> 2/4, rate 0.5 -> 1.0: mix (1/2 - 1/3) * 0.5 = 1/12, rate 1/2 * 0.5 = 1/4
    # web: weight 4/6 -> 2/4, rate 0.25 -> 0.0: mix (1/2 - 2/3) * 0.25 = -1/24, rate 1/2 * -0.25 = -1/8
    c = review.contribution(ds, "task_error_rate", "platform").set_index("segment")
    assert c.loc["ios", "mix_effect"] == pytest.approx(1 / 12) and c.loc["ios", "rate_effect"] == pytest.approx(1 / 4)
    assert c.loc["web", "mix_effect"] == pytest.approx(-1 / 24) and c.loc["web", "rate_effect"] == pytest.approx(-1 / 8)
    assert c["effect"].sum() == pytest.approx(1 / 2 - 1 / 3)  # the effects add up to the total change
    with pytest.raises(ValueError, match="cannot be split by segment"):
        review.kpi_series(ds, "dau_mau", segment="platform")
    with pytest.raises(ValueError, match="'ltv_cac' has no per-period series"):
        review.kpi_series(ds, "ltv_cac")


def test_okr_progress_against_a_straight_line():
    # error rate 2/6 in week 03-03 and 2/4 in 03-10; the latest four weeks pool to 4/10 = 0.4.
    rows = _task_rows("2025-03-03", 6, 2, "web", "a") + _task_rows("2025-03-10", 4, 2, "web", "b")
    okrs = [{"objective": "Fewer failed tasks", "key_results": [
        {"kpi": "task_error_rate", "baseline": 0.5, "target": 0.1, "start": "2025-03-03", "due": "2025-03-31"}]}]
    p = config.parse_params({"team": "t", **TASKS, "okrs": okrs})
    from pmplaybook.data import load_events
    frame = pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "platform"])
    ds = Dataset(events=load_events(frame), as_of=pd.Timestamp("2025-03-17"), params=p)
    r = review.okr_progress(ds).iloc[0]
    # by 2025-03-17 (end of the latest complete week), 14 of 28 days have passed: pace = 0.5 - 0.4 x 0.5 = 0.3
    assert r["expected"] == pytest.approx(0.3)
    assert r["current"] == pytest.approx(0.4)
    assert r["progress"] == pytest.approx(0.25)  # (0.4 - 0.5) / (0.1 - 0.5)
    assert not r["on_pace"]  # 0.4 failed tasks in ten is above the pace of 0.3
    assert "behind pace" in story.okr_finding(review.okr_progress(ds))


def test_episodes_judge_each_week_against_the_weeks_before():
    # 14 weeks at about 10 tasks, 1 failing, then a week with 6 of 10 failing: one signal, up, that week
    rows = []
    for w in range(15):
        week = pd.Timestamp("2025-01-06") + pd.Timedelta(weeks=w)
        fails = 6 if w == 14 else (1 if w % 2 else 2)
        rows += _task_rows(f"{week:%Y-%m-%d}", 10, fails, "web", f"u{w}_")
    p = config.parse_params({"team": "t", **TASKS, "annotations": [
        {"date": "2025-04-14", "label": "release 2.0", "kind": "release"}]})
    from pmplaybook.data import load_events
    frame = pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "platform"])
    ds = Dataset(events=load_events(frame), as_of=pd.Timestamp("2025-04-21"), params=p)
    found = review.episodes(ds, "task_error_rate")
    assert found[["start", "direction", "kind", "better"]].values.tolist() == [
        [pd.Timestamp("2025-04-14"), "up", "outside", False]]
    # weeks 2..13 alternate 0.1 / 0.2: center 0.15, average moving range 0.1, upper limit 0.15 + 0.266 = 0.416
    assert found["center"].iloc[0] == pytest.approx(0.15)
    assert story.explaining_annotation(p.annotations, found.iloc[0]).label == "release 2.0"


@pytest.fixture(scope="module")
def growth_card(growth):
    _, ds = growth
    return ds, review.scorecard(ds)


def test_sample_scorecard_reads_every_targeted_kpi(growth_card):
    ds, card = growth_card
    targeted = [k for k, v in ds.params.kpis.items() if v.target is not None and not v.external]
    assert card["kpi"].tolist() == targeted and len(targeted) <= 5
    weekly = card[card["value"].notna()]
    assert weekly["status"].isin(["green", "amber", "red"]).all()
    assert card.loc[card["kpi"] == "ltv_cac", "note"].str.contains("not a weekly series").all()


def test_sample_year_review_finds_the_planted_moves(growth_card, truth):
    ds, card = growth_card
    text = story.year_finding(ds, card, ds.params.annotations, ds.params.segments)
    campaign = pd.Timestamp(truth["campaign_cohort"]["week_start"])
    assert f"the week of {campaign:%d %b}: down" in text and "E-mail campaign" in text
    android = pd.Timestamp(truth["release_collapse"]["release_date"])
    assert f"platform = {truth['release_collapse']['segment_value']}**: the week" in text
    assert f"({android:%d %b})" in text
    # the year-end promotion's spike in daily actives is explained, and retention did not move with it
    promo = pd.Timestamp(truth["holiday_spike"]["start_date"])
    spike = story.holiday_finding(ds, ds.params.annotations)
    assert f"from {promo:%d %b} to {pd.Timestamp(truth['holiday_spike']['end_date']):%d %b %Y}" in spike
    assert "a spike of visits, not a change in the habit" in spike
    # ... and the April campaign's spike came with a cohort that retained worse
    assert "retention moved with it" in spike
    w4 = review.episodes(ds, "week4_retention")
    assert not ((w4["start"] >= promo - pd.Timedelta(weeks=4)) & (w4["start"] <= promo)).any()
    # the drop in DAU/MAU after the promotion is the promotion inflating the 28-day MAU, not Christmas
    dau = review.episodes(ds, "dau_mau")
    after = dau[(dau["direction"] == "down") & (dau["start"] > promo)].iloc[0]
    assert "promotion" in story.explaining_annotation(ds.params.annotations, after).label


def test_sentences_follow_the_card():
    base = dict(kpi="activation_rate", label="Activation rate", unit="share", owner="PM", level="product_outcome",
                leading=True, higher_is_better=True, window_start=pd.Timestamp("2025-03-03"),
                window_end=pd.Timestamp("2025-03-31"), value=0.36, n=800.0, ci_low=0.33, ci_high=0.39, target=0.35,
                status="amber", previous=0.34, change=0.02, signal="", signal_period=None,
                counter="week4_retention", counter_value=0.21, counter_change=-0.03, counter_status=None, note="")
    card = pd.DataFrame([base], columns=CARD_COLUMNS)
    text = story.scorecard_finding(card)
    assert "**amber**, the target lies inside the interval" in text and "within its natural range; no action" in text
    # the KPI improved (+2 points) while its counter-metric worsened (-3 points): flagged
    assert "worsened (-3.0 points)" in story.counter_finding(card)
    # a counter that improved too is not flagged
    assert "No KPI improved at its counter-metric's expense" in story.counter_finding(card.assign(counter_change=0.01))
    # a signal the wrong way, with no OKR on it, asks for one
    signalled = card.assign(signal="outside", signal_period=pd.Timestamp("2025-03-24"), change=-0.05)
    assert "Consider an objective to restore it" in story.okr_suggestions(signalled, [])
    assert "a signal, not noise" in story.scorecard_finding(signalled)


def test_recent_reads_a_kpi_on_its_last_complete_weeks_the_same_for_every_notebook():
    # five weeks of tasks: 10 attempts a week, failures 5, 1, 2, 3, 4; as_of Wednesday 9 April, so the week of
    # 7 April is not complete and the last two complete weeks are 24 and 31 March
    weeks = ["2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31", "2025-04-07"]
    rows = [r for i, (w, f) in enumerate(zip(weeks, (5, 1, 2, 3, 4))) for r in _task_rows(w, 10, f, "web", f"u{i}_")]
    from pmplaybook.data import load_events
    ds = Dataset(events=load_events(pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "platform"])),
                 as_of=pd.Timestamp("2025-04-09"), params=config.parse_params({"team": "t", **TASKS}))
    r = review.recent(ds, "task_error_rate", window=2)
    # (2 + 3) / (10 + 10) over 24 March to 6 April; its Wilson interval for 5 of 20
    assert r["value"] == pytest.approx(0.25) and r["n"] == 20
    assert (r["window_start"], r["window_end"]) == (pd.Timestamp("2025-03-24"), pd.Timestamp("2025-04-07"))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.1119, 0.4687), abs=1e-4)
    # the weekly review's card reads the same window the same way
    assert review.pooled(review.kpi_series(ds, "task_error_rate").tail(2), "task_error_rate")["value"] == r["value"]
