"""HEART metrics: every number worked out by hand on tiny tables, plus the sample's planted findings."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pmplaybook import heart, registry
from pmplaybook.narrative import heart as story
from pmplaybook import config as _config
from pmplaybook.config import parse_params
from pmplaybook.data import Dataset, load_events, load_surveys
from pmplaybook.core.stats import diff_proportions, wilson_interval


def events(rows, columns=("user_id", "timestamp", "event")):
    frame = pd.DataFrame([dict(zip(columns, r)) for r in rows])
    for c in columns[3:]:
        frame[c] = frame[c].astype("string")
    return load_events(frame)


def surveys(rows, columns=("user_id", "timestamp", "survey", "score", "plan")):
    return load_surveys(pd.DataFrame([dict(zip(columns, r)) for r in rows]))


# ---------------------------------------------------------------------------------------- happiness

NPS_SCORES = [10, 10, 9, 8, 7, 6, 3, 0, 9, 10]


def test_nps_composition_and_interval():
    s = surveys([(f"u{i}", "2025-01-10 10:00", "nps", v, "free") for i, v in enumerate(NPS_SCORES)])
    row = heart.nps(s).iloc[0]
    # promoters 10,10,9,9,10 = 5; passives 8,7 = 2; detractors 6,3,0 = 3; n = 10
    assert (row.responses, row.promoters, row.passives, row.detractors) == (10, 5, 2, 3)
    # NPS = 100 * (5 - 3) / 10 = 20 points
    assert row.nps == 20.0
    # Var = (0.5 + 0.3 - 0.2^2) / 10 = 0.076; half-width = 1.96 * sqrt(0.076) * 100 = 54.03
    assert row.ci_low == pytest.approx(20 - 54.033, abs=0.01)
    assert row.ci_high == pytest.approx(20 + 54.033, abs=0.01)
    assert row.small_sample  # 10 answers < 30


def test_nps_by_period_and_segment_ignores_other_surveys():
    rows = [("a", "2025-01-10 10:00", "nps", 10, "free"), ("b", "2025-01-20 10:00", "nps", 0, "team"),
            ("c", "2025-02-03 10:00", "nps", 9, "team"), ("d", "2025-02-04 10:00", "csat", 1, "team")]
    by_month = heart.nps(surveys(rows), period="month", as_of="2025-02-15")
    # January: 1 promoter, 1 detractor of 2 -> 0; February: 1 promoter of 1 -> 100 (csat row ignored)
    assert by_month["nps"].tolist() == [0.0, 100.0]
    assert by_month["responses"].tolist() == [2, 1]
    assert by_month["complete"].tolist() == [True, False]  # February had not ended by 2025-02-15
    by_plan = heart.nps(surveys(rows), segment="plan").set_index("segment")
    # free: a (10) -> +100; team: b (0), c (9) -> (1 - 1) / 2 = 0
    assert by_plan.loc["free", "nps"] == 100.0 and by_plan.loc["team", "nps"] == 0.0


def test_nps_trend_difference_uses_the_sum_of_variances():
    jan = [("j%d" % i, "2025-01-10 10:00", "nps", 10 if i < 20 else (8 if i < 30 else 2), "x") for i in range(40)]
    feb = [("f%d" % i, "2025-02-10 10:00", "nps", 10 if i < 10 else (8 if i < 20 else 2), "x") for i in range(40)]
    r = heart.happiness_trend(surveys(jan + feb), survey="nps", period="month", as_of="2025-03-01")
    # January: 20 promoters, 10 detractors of 40 -> +25; February: 10 and 20 -> -25; diff = -50
    assert (r["value_a"], r["value_b"], r["diff"]) == (-25.0, 25.0, -50.0)
    # each Var = (0.5 + 0.25 - 0.25^2) / 40 = 0.0171875 -> 171.875 points^2; sum 343.75;
    # half-width = 1.96 * sqrt(343.75) = 36.34
    assert r["ci_low"] == pytest.approx(-50 - 36.339, abs=0.01)
    assert r["ci_high"] == pytest.approx(-50 + 36.339, abs=0.01)
    assert r["significant"] and not r["small_sample"]
    sentence = story.happiness_trend_finding(r)
    assert "larger than its noise" in sentence and "February 2025" in sentence


def test_small_samples_say_so():
    rows = [("a", "2025-01-10 10:00", "nps", 10, "x"), ("b", "2025-02-10 10:00", "nps", 0, "x")]
    r = heart.happiness_trend(surveys(rows), survey="nps", period="month", as_of="2025-03-01")
    assert r["small_sample"] and "too few to say anything" in story.happiness_trend_finding(r)
    assert "too few" in story.happiness_finding(heart.nps(surveys(rows)))


def test_csat_share_of_four_and_five():
    scores = [5, 4, 4, 3, 2, 1, 5, 5]
    row = heart.csat(surveys([(f"u{i}", "2025-01-10 10:00", "csat", v, "x") for i, v in enumerate(scores)])).iloc[0]
    # 4-5: 5, 4, 4, 5, 5 = 5 of 8 = 0.625, Wilson interval of 5/8
    assert (row.responses, row.satisfied, row.csat) == (8, 5, 0.625)
    assert (row.ci_low, row.ci_high) == pytest.approx(wilson_interval(5, 8))


def test_ces_mean_with_t_interval():
    scores = [7, 6, 5, 4]
    row = heart.ces(surveys([(f"u{i}", "2025-01-10 10:00", "ces", v, "x") for i, v in enumerate(scores)])).iloc[0]
    # mean 22 / 4 = 5.5; sd = sqrt((1.5^2 + 0.5^2 + 0.5^2 + 1.5^2) / 3) = sqrt(5/3) = 1.2910
    assert row.ces == 5.5 and row.sd == pytest.approx(1.29099, abs=1e-4)
    # half-width = t(0.975, 3 df) 3.18245 * 1.29099 / sqrt(4) = 2.0543
    assert (row.ci_low, row.ci_high) == pytest.approx((5.5 - 2.0543, 5.5 + 2.0543), abs=1e-3)


def test_csat_and_ces_differences_between_segments():
    rows = [(f"a{i}", "2025-01-10 10:00", "csat", 5 if i < 30 else 1, "team") for i in range(40)]
    rows += [(f"b{i}", "2025-01-10 10:00", "csat", 5 if i < 10 else 1, "free") for i in range(40)]
    t = heart.happiness_by_segment(surveys(rows), segment="plan", survey="csat").set_index("segment")
    # team 30/40 = 0.75 vs rest (free) 10/40 = 0.25: the Newcombe difference of stats.diff_proportions
    expect = diff_proportions(30, 40, 10, 40)
    assert t.loc["team", "diff"] == pytest.approx(0.5)
    assert (t.loc["team", "ci_low"], t.loc["team", "ci_high"]) == pytest.approx((expect["ci_low"], expect["ci_high"]))
    ces_rows = [(f"a{i}", "2025-01-10 10:00", "ces", 6 if i % 2 else 4, "team") for i in range(4)]
    ces_rows += [(f"b{i}", "2025-01-10 10:00", "ces", 3 if i % 2 else 1, "free") for i in range(4)]
    c = heart.happiness_by_segment(surveys(ces_rows), segment="plan", survey="ces").set_index("segment")
    # team mean 5, sd sqrt(4/3); free mean 2, same sd; diff 3 +/- 1.96 * sqrt(2 * (4/3) / 4) = 3 +/- 1.600
    assert c.loc["team", "diff"] == 3.0
    assert c.loc["team", "ci_low"] == pytest.approx(3 - 1.6003, abs=1e-3)


def test_detractor_concentration_names_the_segment():
    rows = [(f"f{i}", "2025-01-10 10:00", "nps", 2 if i < 30 else 10, "free") for i in range(50)]
    rows += [(f"t{i}", "2025-01-10 10:00", "nps", 2 if i < 10 else 10, "team") for i in range(100)]
    t = heart.detractor_concentration(surveys(rows), segments=["plan"])
    top = t.iloc[0]
    # free: 30 / 50 = 60% detractors vs team 10 / 100 = 10%; free gives 50/150 = 1/3 of the answers
    # but 30/40 = 75% of the detractors (lift 2.25); its NPS (20 - 30) / 50 = -20 vs (90 - 10) / 100 = +80
    assert (top.segment, top.detractor_rate, top.rest_rate) == ("free", 0.6, 0.1)
    assert top.share_of_detractors == 0.75 and top.lift == pytest.approx(2.25)
    assert (top.nps, top.rest_nps) == (-20.0, 80.0) and top.significant
    text = story.detractor_finding(t)
    assert "plan = free" in text and "60%" in text and "75%" in text


def test_missing_survey_table_is_explained():
    with pytest.raises(ValueError, match="no survey table"):
        heart.nps(None)
    assert heart.has_survey(None, "nps") is False


# --------------------------------------------------------------------------------------- engagement

ENG = [
    # Monday 2025-03-03 .. Sunday 2025-03-09 (UTC week)
    ("a", "2025-03-03 09:00", "task_completed", "s1"),
    ("a", "2025-03-04 09:00", "task_completed", "s1"),
    ("a", "2025-03-05 09:00", "login", "s2"),
    ("a", "2025-03-06 09:00", "task_completed", "s3"),
    ("a", "2025-03-07 09:00", "login", "s3"),
    ("b", "2025-03-03 10:00", "task_completed", "s4"),
    ("b", "2025-03-03 11:00", "task_completed", "s4"),
    ("c", "2025-03-09 23:30", "login", "s5"),  # Sunday night UTC = Monday 00:30 in Berlin
]


def eng_log():
    return events(ENG, ("user_id", "timestamp", "event", "session_id"))


def test_engagement_per_user_intensity():
    row = heart.engagement(eng_log(), key_action="task_completed", as_of="2025-03-10").iloc[0]
    # active users a, b, c = 3; key actions 3 (a) + 2 (b) = 5 -> 5 / 3 per active user
    assert (row.active_users, row.key_actions) == (3, 5)
    assert row.key_actions_per_active_user == pytest.approx(5 / 3)
    # active days: a 5 (Mon-Fri), b 1, c 1 -> 7 / 3; five-day users: a only -> 1 / 3
    assert row.active_days_per_active_user == pytest.approx(7 / 3)
    assert (row.five_day_users, row.five_day_share) == (1, pytest.approx(1 / 3))
    # session depth: 8 events over sessions s1..s5 -> 1.6
    assert row.events_per_session == 1.6


def test_engagement_cuts_weeks_in_the_team_time_zone_and_hides_partial_weeks():
    t = heart.engagement(eng_log(), key_action="task_completed", timezone="Europe/Berlin", as_of="2025-03-12")
    # in Berlin c's Sunday-night event is Monday 2025-03-10: week 1 has a, b; week 2 (not over by 03-12) c
    assert t["active_users"].tolist() == [2, 1]
    assert t["key_actions_per_active_user"].iloc[0] == 2.5  # 5 / 2
    assert not t["complete"].iloc[1] and math.isnan(t["key_actions_per_active_user"].iloc[1])


def test_engagement_distribution():
    d = heart.engagement_distribution(eng_log(), key_action="task_completed", as_of="2025-03-10")
    days = d[d.measure == "active_days"].set_index("bucket")
    # user-weeks: b and c on 1 day, a on 5 days
    assert days["user_periods"].to_dict() == {"1": 2, "5": 1}
    assert days.loc["1", "share"] == pytest.approx(2 / 3)
    acts = d[d.measure == "key_actions"].set_index("bucket")["user_periods"].to_dict()
    assert acts == {"0": 1, "2": 1, "3-5": 1}  # c 0, b 2, a 3


# ----------------------------------------------------------------------------------------- adoption

ADOPT = [
    ("e", "2025-02-24 09:00", "ai"),  # before the launch date: ignored
    ("a", "2025-03-03 09:00", "ai"), ("b", "2025-03-04 09:00", "x"), ("c", "2025-03-05 09:00", "x"),
    ("a", "2025-03-10 09:00", "ai"), ("b", "2025-03-11 09:00", "ai"), ("d", "2025-03-12 09:00", "x"),
]


def test_feature_adoption_first_use_and_cumulative():
    t = heart.feature_adoption(events(ADOPT), "ai", launched="2025-03-03", as_of="2025-03-17")
    # launch week: a, b, c active; a adopts -> 1 / 3
    # week 2: a, b, d active; b adopts (a is a repeat user) -> 1 / 3; feature users a, b -> 2 / 3
    assert t["active_users"].tolist() == [3, 3]
    assert t["new_adopters"].tolist() == [1, 1]
    assert t["rate"].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert t["usage_rate"].tolist() == pytest.approx([1 / 3, 2 / 3])
    # cumulatively: adopters a, b = 2 of users active since launch a, b, c, d = 4 -> 0.5
    assert t["cumulative_adopters"].tolist() == [1, 2] and t["cumulative_active"].tolist() == [3, 4]
    assert t["cumulative_rate"].iloc[-1] == 0.5
    text = story.adoption_finding(t, "the AI assistant")
    assert "33.3%" in text and "2 of the 4" in text


def test_adoption_depth_with_and_without_activation_rule():
    r = heart.adoption_depth(events(ADOPT), "ai", launched="2025-03-03", as_of="2025-03-17")
    # population a, b, c, d; adopters a (2 uses, 2 weeks), b (1 use) -> 2 / 4; 1.5 uses each; 1 of 2 repeat
    assert (r["users"], r["adopters"], r["rate"], r["uses_per_adopter"], r["repeat_rate"]) == (4, 2, 0.5, 1.5, 0.5)
    rows = ADOPT + [("a", "2025-03-03 08:00", "signup"), ("c", "2025-03-05 08:00", "signup"),
                    ("a", "2025-03-03 08:30", "task_completed")]
    r = heart.adoption_depth(events(rows), "ai", rule={"event": "task_completed", "at_least": 1, "within_days": 7},
                             launched="2025-03-03", as_of="2025-03-17")
    # activated: a only (c signed up but never completed a task); a adopted -> 1 / 1
    assert (r["population"], r["users"], r["adopters"], r["rate"]) == ("activated users", 1, 1, 1.0)


def test_new_users_and_accounts_per_week():
    rows = [("a", "2025-03-03 09:00", "signup", "A"), ("b", "2025-03-04 09:00", "signup", "A"),
            ("c", "2025-03-11 09:00", "signup", "C"), ("a", "2025-03-12 09:00", "x", "A")]
    t = heart.new_users(events(rows, ("user_id", "timestamp", "event", "account_id")), period="week",
                        signup_event="signup", as_of="2025-03-17")
    # week 1: a, b sign up in account A; week 2: c in a new account C
    assert t["new_users"].tolist() == [2, 1] and t["new_accounts"].tolist() == [1.0, 1.0]


def test_suggestion_acceptance():
    rows = [("a", f"2025-03-03 09:{i:02d}", "shown") for i in range(8)]
    rows += [("b", f"2025-03-10 09:{i:02d}", "shown") for i in range(2)]
    rows += [("a", "2025-03-03 10:00", "accepted"), ("a", "2025-03-03 10:01", "accepted"),
             ("a", "2025-03-03 10:02", "edited"), ("b", "2025-03-10 10:00", "accepted"),
             ("b", "2025-03-10 10:01", "accepted")]
    t = heart.suggestion_acceptance(events(rows), "shown", "accepted", "edited").iloc[0]
    # 10 shown to 2 users, 4 accepted -> 0.4, 1 edited -> 0.1
    assert (t.users, t.shown, t.accepted, t.edited, t.acceptance_rate, t.edit_rate) == (2, 10, 4, 1, 0.4, 0.1)
    w = heart.suggestion_acceptance(events(rows), "shown", "accepted", period="week", as_of="2025-03-17")
    # week 1: 2 of 8 = 0.25; week 2: 2 of 2 = 1.0; no edited event named -> NaN
    assert w["acceptance_rate"].tolist() == [0.25, 1.0] and w["edit_rate"].isna().all()


# ---------------------------------------------------------------------------------------- retention


def test_active_and_new_user_retention():
    rows = [("a", "2025-03-03 09:00", "signup"), ("b", "2025-03-04 09:00", "signup"),
            ("a", "2025-03-10 09:00", "x"), ("c", "2025-03-10 09:00", "signup"), ("c", "2025-03-17 09:00", "x")]
    ar = heart.active_retention(events(rows), k=1, as_of="2025-03-24")
    # week 1 actives a, b -> a back in week 2: 1 / 2; week 2 actives a, c -> c back in week 3: 1 / 2
    assert ar["users"].tolist() == [2, 2] and ar["rate"].tolist() == [0.5, 0.5]
    nr = heart.new_user_retention(events(rows), k=1, as_of="2025-03-24")
    # sign-up cohorts: week 1 {a, b} -> a in week 2 (1 / 2); week 2 {c} -> c in week 3 (1 / 1)
    assert nr["rate"].tolist() == [0.5, 1.0]
    assert heart.pooled_rate(nr)["rate"] == pytest.approx(2 / 3)  # (1 + 1) / (2 + 1)


# ------------------------------------------------------------------------------------- task success

TASKS = [
    # user, time, event, workflow
    ("a", "2025-03-03 08:00:00", "done", "create"),  # a completion without a start: ignored
    ("a", "2025-03-03 09:00:00", "start", "import"),
    ("a", "2025-03-03 09:02:00", "done", "import"),  # 120 s
    ("a", "2025-03-03 10:00:00", "start", "import"),  # restarted before finishing: abandoned
    ("a", "2025-03-03 10:05:00", "start", "import"),
    ("a", "2025-03-03 10:15:00", "done", "import"),  # 600 s
    ("b", "2025-03-03 09:00:00", "start", "import"),
    ("b", "2025-03-03 09:01:00", "fail", "import"),  # failed
    ("b", "2025-03-03 12:00:00", "start", "import"),
    ("b", "2025-03-04 13:00:00", "done", "import"),  # 25 h > 1 d window: abandoned
    ("d", "2025-03-03 11:00:00", "start", "import"),
    ("d", "2025-03-03 11:00:00", "done", "import"),  # same instant: the start comes first -> 0 s
    ("c", "2025-03-03 09:00:00", "start", "create"),
    ("c", "2025-03-03 09:00:30", "done", "create"),  # 30 s
    ("c", "2025-03-03 09:10:00", "start", "create"),
    ("c", "2025-03-03 09:11:00", "done", "create"),  # 60 s
    ("c", "2025-03-09 23:00:00", "start", "create"),  # window still open at as_of: left out
]


def task_log():
    return events(TASKS, ("user_id", "timestamp", "event", "workflow"))


def test_task_attempts_pairing():
    att = heart.task_attempts(task_log(), "start", "done", "fail", as_of="2025-03-10").execute()
    imp = att[att.workflow == "import"].sort_values(["user_id", "start_time"])
    assert imp["outcome"].tolist() == ["completed", "abandoned", "completed", "failed", "abandoned", "completed"]
    # seconds to the outcome for completed and failed attempts only (b's failure came after 60 s)
    assert imp["seconds"].fillna(-1).tolist() == [120.0, -1, 600.0, 60.0, -1, 0.0]
    assert att[att.workflow == "create"]["outcome"].tolist().count("open") == 1


def test_task_success_rates_and_time_on_task():
    t = heart.task_success(task_log(), "start", "done", "fail", as_of="2025-03-10").set_index("workflow")
    # import: 6 attempts; completed a1, a3, d1 = 3; failed b1 = 1; abandoned a2, b2 = 2
    assert t.loc["import", ["attempts", "completed", "failed", "abandoned"]].tolist() == [6, 3, 1, 2]
    assert t.loc["import", "completion_rate"] == 0.5 and t.loc["import", "error_rate"] == pytest.approx(1 / 6)
    # time on task over completions 0, 120, 600 s: median 120; p90 at position 0.9 * 2 = 1.8 ->
    # 120 + 0.8 * (600 - 120) = 504
    assert t.loc["import", "median_seconds"] == 120.0 and t.loc["import", "p90_seconds"] == pytest.approx(504.0)
    # create: 2 closed attempts (the open one is left out), both completed in 30 s and 60 s
    assert t.loc["create", ["attempts", "completed"]].tolist() == [2, 2]
    assert t.loc["create", "median_seconds"] == 45.0 and t.loc["create", "p90_seconds"] == pytest.approx(57.0)
    assert (t.loc["import", "completion_ci_low"], t.loc["import", "completion_ci_high"]) == \
        pytest.approx(wilson_interval(3, 6))


def test_task_success_without_workflow_column_is_one_workflow():
    rows = [(u, t, e) for u, t, e, _ in TASKS]
    t = heart.task_success(events(rows), "start", "done", "fail", as_of="2025-03-10")
    assert t["workflow"].tolist() == [heart.ALL]
    with pytest.raises(ValueError, match="started"):
        heart.task_success(events(rows), None, "done")


def test_pooled_workflows_still_pair_each_start_within_its_own_workflow():
    # one user starts an import at 9:00 and a project at 9:01, finishes the project at 9:02 and the import
    # fails at 9:05: one completed, one failed. Paired across workflows, the import's start would meet the
    # project's start (abandoned) and the project's start would take the import's failure.
    rows = [("u", "2025-03-03 09:00:00", "start", "import"), ("u", "2025-03-03 09:01:00", "start", "create"),
            ("u", "2025-03-03 09:02:00", "done", "create"), ("u", "2025-03-03 09:05:00", "fail", "import")]
    pooled = heart.task_success(events(rows, ("user_id", "timestamp", "event", "workflow")), "start", "done",
                                "fail", workflow=None, as_of="2025-03-10").iloc[0]
    assert pooled["workflow"] == heart.ALL
    assert pooled[["attempts", "completed", "failed", "abandoned"]].tolist() == [2, 1, 1, 0]
    # and the pooled figures are the workflows' sums (the sample's December: 7,332 attempts, 715 failed)
    split = heart.task_success(task_log(), "start", "done", "fail", as_of="2025-03-10")
    whole = heart.task_success(task_log(), "start", "done", "fail", workflow=None, as_of="2025-03-10").iloc[0]
    assert whole[["attempts", "completed", "failed"]].tolist() == split[["attempts", "completed", "failed"]].sum().tolist()


def _daily_tasks(days, fails_per_day, workflow, start="2025-01-06"):
    """10 attempts a day (Mon-Fri) of ``workflow``; the first ``fails_per_day(day)`` fail, the rest complete."""
    rows = []
    for d in range(days):
        day = pd.Timestamp(start) + pd.Timedelta(days=d)
        if day.day_of_week >= 5:
            continue
        for i in range(10):
            t = day + pd.Timedelta(hours=9, minutes=10 * i)
            u = f"{workflow}{d}_{i}"
            rows.append((u, str(t), "start", workflow))
            rows.append((u, str(t + pd.Timedelta(minutes=1)), "fail" if i < fails_per_day(day) else "done", workflow))
    return rows


def test_task_change_before_and_after_a_date():
    rows = _daily_tasks(14, lambda day: 1 if day < pd.Timestamp("2025-01-13") else 4, "import")
    t = heart.task_change(events(rows, ("user_id", "timestamp", "event", "workflow")), date="2025-01-13", started="start",
                          completed="done", failed="fail", as_of="2025-01-20").set_index("metric")
    # before: 5 days x 10 = 50 attempts, 5 failed (10%); after: 50 attempts, 20 failed (40%)
    err = t.loc["error_rate"]
    assert (err.attempts_before, err.attempts_after, err.before, err.after) == (50, 50, 0.1, 0.4)
    expect = diff_proportions(20, 50, 5, 50)
    assert err["diff"] == pytest.approx(0.3) and err.ci_low == pytest.approx(expect["ci_low"]) and err.significant
    assert t.loc["completion_rate", "diff"] == pytest.approx(-0.3)


def test_task_shift_finds_the_workflow_and_day():
    rows = _daily_tasks(70, lambda day: 1 if day < pd.Timestamp("2025-02-12") else 4, "import")
    rows += _daily_tasks(70, lambda day: 1, "create")
    shift = heart.task_shift(events(rows, ("user_id", "timestamp", "event", "workflow")), "start", "done", "fail",
                             as_of="2025-03-17")
    top = shift.iloc[0]
    # the import error rate jumps from 10% to 40% on Wednesday 2025-02-12; create never changes
    assert (top.workflow, top.metric, top.date) == ("import", "error_rate", pd.Timestamp("2025-02-12"))
    assert (top.before, top.after) == pytest.approx((0.1, 0.4)) and top.significant
    assert not shift[shift.workflow == "create"]["significant"].any()
    text = story.task_shift_finding(shift)
    assert "import" in text and "2025-02-12" in text and "rose from 10.0% to 40.0%" in text


# ---------------------------------------------------------------------------- goals-signals-metrics


def _tiny_dataset(heart_rows, **roles):
    raw = {"team": "tiny", "events": {"core_action": "task_completed", **roles}, "heart": heart_rows}
    params = parse_params(raw)
    ev = events([(u, t, e, s) for u, t, e, s in ENG], ("user_id", "timestamp", "event", "session_id"))
    s = surveys([(f"u{i}", "2025-03-05 10:00", "nps", v, "free") for i, v in enumerate(NPS_SCORES)])
    return params, Dataset(events=ev, surveys=s, timezone="UTC", as_of=pd.Timestamp("2025-03-10"), params=params)


def test_goals_signals_metrics_computes_each_row():
    rows = [{"category": "happiness", "goal": "g", "signal": "s", "metric": "nps"},
            {"category": "engagement", "goal": "g", "signal": "s", "metric": "key_actions_per_active_user"},
            {"category": "engagement", "goal": "g", "signal": "s", "metric": "five_day_share"},
            {"category": "task_success", "goal": "g", "signal": "s", "metric": "task_completion_rate:import"},
            {"category": "happiness", "goal": "g", "signal": "s", "metric": "csat"}]
    params, ds = _tiny_dataset(rows)
    t = registry.goals_signals_metrics(ds)
    assert t.columns.tolist() == ["category", "goal", "signal", "metric", "value", "unit", "ci_low", "ci_high", "note"]
    assert t["value"].iloc[0] == 20.0  # the hand-worked NPS above
    assert t["value"].iloc[1] == pytest.approx(5 / 3) and t["value"].iloc[2] == pytest.approx(1 / 3)
    assert math.isnan(t["value"].iloc[3]) and "task events" in t["note"].iloc[3]  # no task roles: a note
    assert math.isnan(t["value"].iloc[4]) and "no CSAT" in t["note"].iloc[4]


def test_unknown_metric_names_the_params_key_and_vocabulary():
    with pytest.raises(_config.ParamsError, match=r"heart\.0\.metric: 'delight' is not a HEART metric.*nps, csat"):
        _tiny_dataset([{"category": "happiness", "goal": "g", "signal": "s", "metric": "delight"}])
    with pytest.raises(ValueError, match=r"heart\.3\.metric: 'delight' is not a HEART metric"):
        registry.metric_value("delight", _tiny_dataset([])[1], key="heart.3.metric")


# ------------------------------------------------------------------------------ the sample's findings

needs_sample = pytest.mark.skipif(not (_config.DATA_DIR / "events.parquet").exists(), reason="sample not generated")


# -------------------------------------------------------------------------------- charts and widget


def test_charts_build_from_the_tiny_tables():
    from pmplaybook.charts import heart as hc
    s = surveys([(f"u{i}", f"2025-0{1 + i % 2}-10 10:00", "nps", v, "free" if i % 3 else "team")
                 for i, v in enumerate(NPS_SCORES)])
    charts = [
        hc.nps_composition(heart.nps(s, period="month"), period="month"),
        hc.nps_composition(heart.nps(s, segment="plan")),
        hc.nps_trend(heart.nps(s, period="month"), period="month", target=30),
        hc.engagement_distribution(heart.engagement_distribution(eng_log(), "task_completed", as_of="2025-03-10")),
        hc.engagement_trend(heart.engagement(eng_log(), "task_completed", as_of="2025-03-10")),
        hc.adoption_curve(heart.feature_adoption(events(ADOPT), "ai", launched="2025-03-03", as_of="2025-03-17")),
        hc.task_success_trend(heart.task_success(task_log(), "start", "done", "fail", period="day", as_of="2025-03-10"),
                              change_date="2025-03-05"),
        hc.time_on_task(heart.task_success(task_log(), "start", "done", "fail", as_of="2025-03-10")),
    ]
    for chart in charts:
        assert chart.to_dict()["$schema"]


def test_widget_builds_for_a_team_without_tasks_or_features():
    from pmplaybook.widgets.heart import heart_explorer
    params, ds = _tiny_dataset([])
    box = heart_explorer(ds)
    assert len(box.children) == 2
    view = box.children[1].value
    assert "params name no feature" in view and "no task success" in view and "Cannot" not in view


@needs_sample
def test_sample_import_failures_rise_after_the_web_release(sample_dataset, truth):
    planted = truth["task_success_release"]
    params = _sample_params("growth")
    r = params.events
    shift = heart.task_shift(sample_dataset.events, r.task_started, r.task_completed, r.task_failed, segment="platform",
                             as_of=sample_dataset.as_of)
    top = heart.top_change(shift)
    assert (top["workflow"], top["segment"], top["metric"]) == (planted["workflow"], planted["platform"], "error_rate")
    assert top["date"] == pd.Timestamp(planted["release_date"])
    assert top["release"] == planted["version"]
    # the paired failure rates match the simulator's own (session-paired) figures within a point
    assert top["before"] == pytest.approx(planted["failure_rate_before"], abs=0.01)
    assert top["after"] == pytest.approx(planted["failure_rate_after"], abs=0.01)
    web = sample_dataset.events.filter(sample_dataset.events.platform == "web")
    change = heart.task_change(web, date=planted["release_date"], started=r.task_started, completed=r.task_completed,
                               failed=r.task_failed, as_of=sample_dataset.as_of).set_index(["workflow", "metric"])
    imp = change.loc[(planted["workflow"], "error_rate")]
    assert imp["significant"] and imp["diff"] > 0.1
    # time on task gets longer too (truth: the median moves from 95 s to 173 s; tests/test_heart_recent.py checks it exactly)
    assert imp["median_seconds_after"] > imp["median_seconds_before"] + 30
    assert "import_tasks" in story.task_shift_finding(shift, "platform")
    # other workflows on the web did not change significantly
    others = change.drop(index=planted["workflow"], level="workflow")
    assert not others.loc[others.index.get_level_values("metric") == "error_rate", "significant"].any()


@needs_sample
def test_sample_nps_detractors_concentrate_on_the_planted_plan(sample_dataset, truth):
    planted = truth["nps_segment"]
    overall = heart.nps(sample_dataset.surveys).iloc[0]
    assert (overall.responses, overall.promoters, overall.detractors) == (
        planted["overall"]["responses"], planted["overall"]["promoters"], planted["overall"]["detractors"])
    assert overall.nps == pytest.approx(planted["overall"]["nps"], abs=1e-4)
    t = heart.detractor_concentration(sample_dataset.surveys, segments=heart.survey_segments(sample_dataset.surveys))
    top = t.iloc[0]
    assert (top.column, top.segment) == (planted["segment_column"], planted["segment_value"])
    assert top.nps == pytest.approx(planted["segment"]["nps"], abs=1e-4)
    assert top.rest_nps == pytest.approx(planted["rest"]["nps"], abs=1e-4)
    assert top.significant
    assert f"{planted['segment_column']} = {planted['segment_value']}" in story.detractor_finding(t)


@needs_sample
def test_sample_ai_adoption_and_acceptance(sample_dataset, truth):
    planted = truth["ai_assistant"]
    acc = heart.suggestion_acceptance(sample_dataset.events, **heart.suggestion_events(sample_dataset.events, "ai_suggestion_shown"),
                                      as_of=sample_dataset.as_of).iloc[0]
    assert (acc.shown, acc.accepted, acc.edited) == (planted["suggestions_shown"], planted["accepted"], planted["edited"])
    assert acc.acceptance_rate == pytest.approx(planted["acceptance_rate"], abs=1e-5)
    assert acc.edit_rate == pytest.approx(planted["edited_rate"], abs=1e-5)
    adoption = heart.feature_adoption(sample_dataset.events, "ai_suggestion_shown", launched=planted["launch_date"],
                                      as_of=sample_dataset.as_of)
    weekly = adoption.set_index(adoption["period"].dt.strftime("%Y-%m-%d"))
    # weekly share of active users shown a suggestion; the simulator does not count sign-up-only users as
    # active, we do (any event), hence a tolerance of a point
    for week in (planted["weekly_adoption"][0], planted["weekly_adoption"][-1]):
        assert weekly.loc[week["week_start"], "usage_rate"] == pytest.approx(week["adoption"], abs=0.01)
    # adoption grows month by month: the last complete week is far above the first full week
    assert weekly.loc[planted["weekly_adoption"][-1]["week_start"], "usage_rate"] > 3 * planted["adoption_first_week"]


@needs_sample
def test_sample_goals_signals_metrics(sample_dataset):
    # growth uses all five letters; monetization names a task metric without task events (a note, no crash)
    for team in ("growth", "monetization"):
        params = _sample_params(team)
        ds = Dataset(events=sample_dataset.events, surveys=sample_dataset.surveys, timezone=params.timezone, as_of=sample_dataset.as_of,
                     params=params)
        t = registry.goals_signals_metrics(ds)
        assert len(t) == len(params.heart)
        # a metric is missing only when the team's params lack the roles it needs, and the note says so
        missing = t[t["value"].isna()]
        assert missing["note"].str.startswith("the params name no").all(), (team, missing.to_dict("records"))
        assert t["value"].notna().sum() >= 1


def _sample_params(team):
    from pmplaybook import config
    return config.load_params(team)


def test_explorer_draws_the_largest_segments_and_names_the_rest():
    from pmplaybook.widgets.heart import MAX_LINES, largest_segments

    # six countries with 60, 50, 40, 30, 20 and 10 attempts: the four largest are drawn, two named as left out
    table = pd.DataFrame({"segment": list("ABCDEF"), "attempts": [60, 50, 40, 30, 20, 10], "period": "2025-01-06"})
    kept, note = largest_segments(table, "country")
    assert MAX_LINES == 4 and list(kept["segment"]) == ["A", "B", "C", "D"]
    assert "(A, B, C, D)" in note and "2 smaller ones are left out" in note and "E, F" in note
    same, none = largest_segments(table.head(3), "country")
    assert len(same) == 3 and none == ""
    assert largest_segments(table, None)[1] == ""
