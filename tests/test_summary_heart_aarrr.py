"""The Summary findings of the HEART (03) and AARRR (04) pages, on tiny tables worked out by hand."""

import pandas as pd
import pytest

from pmplaybook import aarrr, heart
from pmplaybook.narrative import aarrr as astory
from pmplaybook.narrative import heart as hstory
from pmplaybook.narrative.aarrr import Section
from pmplaybook.narrative.summary import summary_markdown

# ------------------------------------------------------------------------------------------- HEART


def _active(rows):
    """An active_retention(..., segment=...) table from (cohort, segment, users, retained) rows."""
    t = pd.DataFrame(rows, columns=["cohort", "segment", "users", "retained"])
    t["cohort"] = pd.to_datetime(t["cohort"])
    t["rate"] = t["retained"] / t["users"]
    return t


PLATFORM = _active([
    ("2025-01-06", "android", 500, 500), ("2025-01-06", "web", 500, 0),  # the oldest cohort: left out (recent=2)
    ("2025-01-13", "android", 100, 50), ("2025-01-13", "web", 300, 210),
    ("2025-01-20", "android", 100, 50), ("2025-01-20", "web", 300, 210),
])


def test_segment_gaps_by_hand():
    g = heart.segment_gaps({"platform": PLATFORM}, recent=2).set_index("segment")
    # android: 100 of 200 user-weeks retained = 50%; web 420 / 600 = 70%; gap -20 points
    assert g.loc["android", "rate"] == pytest.approx(0.5) and g.loc["android", "rest_rate"] == pytest.approx(0.7)
    assert g.loc["android", "diff"] == pytest.approx(-0.2)
    assert g.loc["android", "significant"] and g.loc["android", "flag"] == "lower"
    assert g.loc["web", "flag"] == "higher"
    # a typical week's active users: 200 user-weeks over 2 cohorts = 100
    assert g.loc["android", "cohort_size"] == 100 and g.loc["android", "user_weeks"] == 200
    assert g.loc["android", "diff_low"] < -0.2 < g.loc["android", "diff_high"] < 0


def test_retention_gap_findings_name_the_segment_and_switch_with_the_data():
    found = hstory.retention_gap_findings(heart.segment_gaps({"platform": PLATFORM}, recent=2))
    assert len(found) == 1 and found[0].severity == "bad" and found[0].chart == "retention-segments"
    assert "android (platform)" in found[0].text and "50.0%" in found[0].text and "70.0%" in found[0].text
    assert "20.0 points lower" in found[0].text and "across 100 users" in found[0].text
    assert "android app's retention" in found[0].next_step  # the platform's next step, not a channel's
    # same rates on 10 users a week each: the gap is within noise -> no finding
    small = _active([("2025-01-13", "android", 31, 16), ("2025-01-13", "web", 31, 21)])
    gaps = heart.segment_gaps({"platform": small}, recent=2)
    assert not gaps["significant"].any() and hstory.retention_gap_findings(gaps) == []


def _shift(rows):
    cols = ["workflow", "segment", "metric", "date", "before", "after", "diff", "ci_low", "ci_high", "z",
            "p_value", "significant", "attempts_before", "attempts_after", "release"]
    return pd.DataFrame(rows, columns=cols).assign(date=lambda t: pd.to_datetime(t["date"]))


BROKEN = _shift([
    ("import", "web", "error_rate", "2025-09-15", 0.08, 0.26, 0.18, 0.16, 0.20, 20.0, 1e-9, True, 5000, 1000, "5.1"),
    ("import", "web", "completion_rate", "2025-09-15", 0.90, 0.72, -0.18, -0.20, -0.16, -20.0, 1e-9, True, 5000, 1000, "5.1"),
    ("invite", "ios", "error_rate", "2025-05-05", 0.04, 0.05, 0.01, -0.01, 0.03, 1.0, 0.3, False, 900, 900, None),
])


def test_task_regression_finding_by_hand():
    charted = BROKEN.iloc[0].to_dict()
    f = hstory.task_regression_finding(BROKEN, "platform", charted)
    # 1,000 attempts since the change x 18 points = 180 more failures than at the earlier 8%
    assert f.severity == "bad" and f.chart == "task-change"
    assert "error rate of import on platform web went from 8.0% to 26.0% on 2025-09-15, when app version 5.1 appeared" in f.text
    assert "about 180 more of its 1,000 attempts since then failed" in f.text
    assert "version 5.1" in f.next_step
    # not the charted change -> the weekly task chart
    assert hstory.task_regression_finding(BROKEN, "platform", None).chart == "tasks"


def test_task_regression_finding_switches_with_the_data():
    better = BROKEN.copy()
    better.loc[0, ["after", "diff", "ci_low", "ci_high"]] = [0.02, -0.06, -0.07, -0.05]
    better = better.drop(index=1)
    f = hstory.task_regression_finding(better, "platform")
    assert f.severity == "good" and "an improvement beyond noise" in f.text
    quiet = BROKEN.assign(significant=False)
    assert hstory.task_regression_finding(quiet) is None and hstory.task_regression_finding(None) is None


def _detractors(rows):
    cols = ["column", "segment", "responses", "detractors", "detractor_rate", "rest_rate", "diff", "ci_low",
            "ci_high", "significant", "share_of_responses", "share_of_detractors", "lift", "nps", "rest_nps",
            "small_sample"]
    return pd.DataFrame(rows, columns=cols)


DETRACTORS = _detractors([
    # free: 1,000 answers x 20 points = 200 detractors beyond the rest's rate; country FR: 100 x 30 = 30
    ("plan", "free", 1000, 250, 0.25, 0.05, 0.20, 0.17, 0.23, True, 0.6, 0.88, 1.47, 12.0, 59.0, False),
    ("country", "FR", 100, 40, 0.40, 0.10, 0.30, 0.20, 0.40, True, 0.06, 0.14, 2.3, -5.0, 35.0, False),
    ("plan", "team", 20, 10, 0.50, 0.10, 0.40, 0.10, 0.60, True, 0.01, 0.03, 3.0, -20.0, 33.0, True),  # too few
])


def test_detractor_summary_finding_picks_the_most_excess_detractors():
    f = hstory.detractor_summary_finding(DETRACTORS)
    assert f.severity == "bad" and f.chart == "detractors"
    assert f.text.startswith("Happiness: free (plan) NPS is +12 against +59 for the other plans")
    assert "25% of its 1,000 answers are detractors (0-6) against 5% (+20 points, 95% CI +17 to +23)" in f.text
    assert "88% of all detractors from 60% of the answers" in f.text
    assert hstory.detractor_summary_finding(DETRACTORS.assign(significant=False)) is None


COUNTRY = _active([("2025-01-13", "GB", 100, 60), ("2025-01-13", "US", 300, 210),
                   ("2025-01-20", "GB", 100, 60), ("2025-01-20", "US", 300, 210)])


def test_heart_summary_findings_order_and_no_bad_finding_without_a_gap():
    gaps = heart.segment_gaps({"platform": PLATFORM, "country": COUNTRY}, recent=2)
    # impact a week: android 100 users x 20 points = 20 lost; GB 100 x 10 = 10
    found = hstory.summary_findings(DETRACTORS, BROKEN, gaps, "platform", BROKEN.iloc[0].to_dict())
    # owners: the broken workflow, then the largest retention gap; the detractors, then the second
    # retention gap, are kept as worth knowing
    assert [f.severity for f in found] == ["bad", "bad", "note", "note"]
    assert found[0].text.startswith("Task success") and found[1].text.startswith("Retention: android")
    assert found[2].text.startswith("Happiness") and found[3].text.startswith("Retention: GB")
    # without a broken workflow the detractors get the second owner
    no_task = hstory.summary_findings(DETRACTORS, None, gaps)
    assert [f.text.split(":")[0] for f in no_task if f.severity == "bad"] == ["Retention", "Happiness"]
    md = summary_markdown([], found, previous=None)
    assert md.count("**Needs an owner:**") == 2 and "**Worth knowing:** Happiness" in md
    quiet = hstory.summary_findings(DETRACTORS.assign(significant=False), BROKEN.assign(significant=False),
                                    gaps.assign(significant=False))
    assert quiet == [] and "Needs an owner" not in summary_markdown([], quiet, previous=None)


# ------------------------------------------------------------------------------------------- AARRR


def _economics(ads_at_risk=100, ads_churned=50):
    # ads: CAC 1,000 / 10 = 100; ARPA 25; churn 50% -> lifetime 2 months; LTV 25 x 0.8 x 2 = 40; LTV/CAC 0.4
    # search: CAC 300; ARPA 100; churn 5% -> lifetime 20; LTV 1,600; LTV/CAC 5.33
    rows = [
        dict(channel="ads", paid=True, spend=1000.0, new_users=200, new_customers=10, cac=100.0, arpa=25.0,
             monthly_churn=ads_churned / ads_at_risk, lifetime_months=2.0, ltv=40.0, ltv_revenue=50.0, ltv_cac=0.4,
             payback_months=5.0, at_risk=ads_at_risk, churned=ads_churned),
        dict(channel="organic", paid=False, spend=0.0, new_users=300, new_customers=20, cac=float("nan"),
             arpa=60.0, monthly_churn=0.05, lifetime_months=20.0, ltv=960.0, ltv_revenue=1200.0,
             ltv_cac=float("nan"), payback_months=float("nan"), at_risk=400, churned=20),
        dict(channel="search", paid=True, spend=3000.0, new_users=100, new_customers=10, cac=300.0, arpa=100.0,
             monthly_churn=0.05, lifetime_months=20.0, ltv=1600.0, ltv_revenue=2000.0, ltv_cac=1600 / 300,
             payback_months=3.75, at_risk=200, churned=10),
    ]
    return pd.DataFrame(rows)


def test_ltv_cac_interval_by_hand():
    row = _economics().iloc[0]
    # Wilson 95% of 50 / 100: 0.5 +/- 1.96 x sqrt(0.0025 + 3.8415 / 40000) / 1.0384 = 0.4038 to 0.5962;
    # LTV/CAC per month of life = 0.4 / 2 = 0.2 -> 0.2 / 0.5962 = 0.335 to 0.2 / 0.4038 = 0.495
    low, high = aarrr.ltv_cac_interval(row)
    assert low == pytest.approx(0.3355, abs=5e-4) and high == pytest.approx(0.4953, abs=5e-4)


def test_economics_finding_by_hand():
    f = astory.economics_finding(_economics())
    assert f.severity == "bad" and f.chart == "economics"
    assert "**ads** returns 0.40 per dollar of CAC (LTV/CAC; 95% CI 0.34-0.50 from its churn)" in f.text
    assert "costs $100 but pays $25 a month and 50% of them stop each month, so one brings $40" in f.text
    assert "payback takes 5.0 months against an average life of 2.0 months" in f.text
    # 10 customers bring 10 x 40 = 400 of the 1,000 spent: 600 will not come back
    assert "Of its $1,000 spend, about $600 will not come back." in f.text
    assert "move budget to search" in f.next_step


def test_economics_finding_switches_with_the_data():
    # 2 of 4 churned: Wilson 0.150 to 0.850 -> LTV/CAC up to 0.2 / 0.150 = 1.33: not yet a clear loss
    f = astory.economics_finding(_economics(ads_at_risk=4, ads_churned=2))
    assert f.severity == "note" and "not yet clear" in f.text
    # every paid channel clearly above 3 -> nothing to say
    fine = _economics().query("channel != 'ads'")
    assert astory.economics_finding(fine) is None
    # above 1 but clearly below the 3:1 bar -> a note
    weak = _economics().assign(ltv_cac=lambda t: t["ltv_cac"].where(t["channel"] != "ads", 2.0))
    w = astory.economics_finding(weak)
    assert w.severity == "note" and "below the 3:1 bar" in w.text and "**ads**" in w.text


LEAKS = pd.DataFrame([
    dict(stage="acquisition", users=1000, conversion=1.0, step_conversion=1.0, ci_low=1.0, ci_high=1.0,
         biggest_leak=False, definition="signed up"),
    dict(stage="activation", users=300, conversion=0.3, step_conversion=0.3, ci_low=0.272, ci_high=0.329,
         biggest_leak=True, definition="3 tasks in 7 days"),
    dict(stage="revenue", users=150, conversion=0.15, step_conversion=0.5, ci_low=0.44, ci_high=0.56,
         biggest_leak=False, definition="paying"),
])


def _retained(significant):
    return pd.DataFrame([dict(period=4, activated_rate=0.40, other_rate=0.08 if significant else 0.38,
                              diff=0.32 if significant else 0.02, ci_low=0.30 if significant else -0.03,
                              ci_high=0.34 if significant else 0.07, significant=significant)])


def test_leak_finding_switches_on_the_activated_gap():
    f = astory.leak_summary_finding(LEAKS, _retained(True))
    assert f.severity == "note" and f.chart == "leaks"
    assert "acquisition -> activation: 30.0% (95% CI 27.2%-32.9%) of 1,000 users pass it" in f.text
    assert "activation is the lever" in f.text
    g = astory.leak_summary_finding(LEAKS, _retained(False))
    assert "not clearly likelier" in g.text and "activation rule" in g.next_step


def test_aarrr_summary_findings_and_no_bad_finding_without_a_loss():
    econ = Section("Unit economics", "", _economics())
    leaks = Section("Where the journey leaks", "", LEAKS)
    retention = Section("Retention", "", _retained(True))
    found = astory.summary_findings(econ, leaks, retention)
    assert [f.severity for f in found] == ["bad", "note"]
    # a team without payments: no unit economics, no finding that needs an owner
    missing = Section("Unit economics", "_No payment event._", available=False)
    quiet = astory.summary_findings(missing, leaks, retention)
    assert [f.severity for f in quiet] == ["note"]
    assert "Needs an owner" not in summary_markdown([], quiet, previous=None)
