"""HEART's recent-window KPIs, the time-on-task change detector, the recent task and survey gaps, and the
two planted truths the HEART page reports (``nps_segment``, ``task_success_release``), each worked out by hand
on tiny tables or checked against ``data/truth.json`` under the same definition."""

from __future__ import annotations

import pandas as pd
import pytest

from pmplaybook import config, heart
from pmplaybook.core.calendar import Calendar
from pmplaybook.data import load_events, load_surveys
from pmplaybook.narrative import heart as story

# ------------------------------------------------------------------------------------ tiny task logs


def _imports(minutes_before, minutes_after, weeks=8, per_week=10, change_week=4, platform="web"):
    """A log of ``per_week`` import attempts every Monday from 2025-03-03, each completed after
    ``minutes_before`` minutes before week ``change_week`` and ``minutes_after`` from then on (a list cycles
    through its values)."""
    rows = []
    for week in range(weeks):
        took = minutes_before if week < change_week else minutes_after
        took = took if isinstance(took, list) else [took]
        for i in range(per_week):
            t = pd.Timestamp("2025-03-03 08:00") + pd.Timedelta(weeks=week, minutes=30 * i)
            user = f"{platform}{i}"
            rows += [(user, t, "start", "import", platform),
                     (user, t + pd.Timedelta(minutes=took[i % len(took)]), "done", "import", platform)]
    return rows


def _log(rows):
    frame = pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "workflow", "platform"])
    return load_events(frame.astype({"workflow": "string", "platform": "string"}))


AS_OF = "2025-04-28"  # the Monday after the eighth week: all eight weeks complete


def test_task_time_shift_finds_a_slowdown_by_hand():
    # 40 imports of 1 min, then 40 of 3 min from Monday 2025-03-31: every later one is slower than the
    # median of all 80 (2 min), none earlier: slow share 0% -> 100%
    shift = heart.task_time_shift(_log(_imports(1, 3)), "start", "done", as_of=AS_OF)
    r = shift.iloc[0]
    assert (r.workflow, r.date) == ("import", pd.Timestamp("2025-03-31"))
    assert (r.median_before, r.median_after, r.change) == (60.0, 180.0, pytest.approx(2.0))
    assert (r.slow_before, r.slow_after, r.completed_before, r.completed_after) == (0.0, 1.0, 40, 40)
    assert r.significant
    text = story.task_time_finding(shift)
    assert "import went from 60 s to 180 s (+200%) from 2025-03-31 on" in text and "slower beyond noise" in text


def test_task_time_shift_without_a_slowdown_says_steady():
    # the same 1- and 3-minute mix every week: half the completions above the median on each side
    steady = heart.task_time_shift(_log(_imports([1, 3], [1, 3])), "start", "done", as_of=AS_OF)
    assert not steady["significant"].any()
    assert steady.iloc[0].median_before == steady.iloc[0].median_after == 120.0
    assert story.task_time_finding(steady).startswith("Time on task held steady")


def test_task_time_shift_ignores_a_drift_below_min_change():
    # 60 s -> 66 s on 200 attempts a week: beyond noise (every later one is slower than the median) but only
    # 10%, under the 20% a finding needs; with min_change=0.05 it counts
    rows = _imports(1, 1.1, per_week=200)
    small = heart.task_time_shift(_log(rows), "start", "done", as_of=AS_OF)
    assert small.iloc[0].p_value < 0.001 and small.iloc[0].change == pytest.approx(0.1)
    assert not small.iloc[0].significant
    assert heart.task_time_shift(_log(rows), "start", "done", as_of=AS_OF, min_change=0.05).iloc[0].significant


def test_task_time_shift_names_the_segment_that_slowed():
    # web slows down from the fifth week, ios does not
    shift = heart.task_time_shift(_log(_imports(1, 3) + _imports([1, 3], [1, 3], platform="ios")), "start", "done",
                                  segment="platform", as_of=AS_OF)
    hits = shift[shift["significant"]]
    assert list(hits["segment"]) == ["web"]
    assert "import on platform web went from 60 s to 180 s" in story.task_time_finding(shift, "platform")


# --------------------------------------------------------------------------- recent task gaps


def _success(rows):
    return pd.DataFrame(rows, columns=["workflow", "segment", "attempts", "failed"])


def test_task_gaps_compare_a_segment_with_the_same_workflow_elsewhere():
    # import on web 260 of 1,000 failed; import elsewhere (ios 40 of 500): 8%; create on web 50 of 1,000
    # against 25 of 500 elsewhere: 5% both, no gap
    t = _success([("import", "web", 1000, 260), ("import", "ios", 500, 40),
                  ("create", "web", 1000, 50), ("create", "ios", 500, 25)])
    g = heart.task_gaps(t)
    top = g.iloc[0]
    assert (top.workflow, top.segment, top.rest_rate, round(top.excess)) == ("import", "web", 0.08, 180)
    assert not g.set_index(["workflow", "segment"]).loc[("create", "web"), "significant"]
    text = story.task_gap_finding(g, "platform", "the last 4 weeks (x)")
    assert text.startswith("In the last 4 weeks (x), import on platform web failed 26.0% of 1,000 attempts against "
                           "8.0% for import elsewhere")
    # the same rates everywhere: no finding
    even = heart.task_gaps(_success([("import", "web", 1000, 80), ("import", "ios", 500, 40)]))
    assert story.task_gap_finding(even) == "No workflow fails more often than the rest beyond noise."


# ---------------------------------------------------------------------------------- recent windows


def test_recent_window_is_whole_weeks_before_as_of():
    assert heart.recent_window(pd.Timestamp("2026-01-01")) == (pd.Timestamp("2025-12-01"), pd.Timestamp("2025-12-29"))
    # Sunday weeks: as_of Wednesday 2025-12-31 -> the last complete week is 21-27 December
    assert heart.recent_window(pd.Timestamp("2025-12-31"), 8, "sunday") == (pd.Timestamp("2025-11-02"),
                                                                           pd.Timestamp("2025-12-28"))
    assert story.window_name(pd.Timestamp("2025-12-01"), pd.Timestamp("2025-12-29")) == \
        "the last 4 weeks (2025-12-01 to 2025-12-28)"


def test_survey_kpis_count_only_the_window():
    # window (8 weeks before as_of 2026-01-01): 2025-11-03 to 2025-12-28. Inside: NPS 10, 9, 3 -> +33 (3
    # answers); outside: 0 on 2025-11-02 and 0 on 2025-12-30 are left out
    s = load_surveys(pd.DataFrame({"user_id": list("abcde"), "survey": "nps", "score": [10, 9, 3, 0, 0],
                                   "timestamp": ["2025-11-03 09:00", "2025-12-01 09:00", "2025-12-28 23:00",
                                                 "2025-11-02 23:59", "2025-12-30 09:00"]}))
    k = heart.survey_kpis(s, Calendar(as_of="2026-01-01"))
    assert k["nps"]["n"] == 3 and k["nps"]["value"] == pytest.approx(100 / 3)
    assert (k["nps"]["window_start"], k["nps"]["window_end"]) == (pd.Timestamp("2025-11-03"), pd.Timestamp("2025-12-29"))
    assert k["csat"]["value"] is None and k["csat"]["n"] == 0  # no CSAT answers: not measurable
    assert heart.nps(s, start="2025-11-03", as_of="2025-12-29").iloc[0].responses == 3


def test_log_kpis_pool_the_window_weeks():
    cal = Calendar(as_of="2026-01-01")
    weeks = pd.date_range("2025-11-24", periods=6, freq="7D")  # 11-24 (outside), 12-01..12-22, 12-29 (incomplete)
    eng = pd.DataFrame({"period": weeks, "active_users": [1000, 100, 100, 100, 100, 1000],
                        "five_day_users": [1000, 10, 20, 30, 40, 0]})
    ret = pd.DataFrame({"cohort": pd.date_range("2025-10-20", periods=6, freq="7D"), "users": 100,
                        "retained": [0, 0, 50, 50, 60, 60]})
    tasks = pd.DataFrame({"workflow": ["a", "b"] * 3, "period": list(weeks[[0, 0, 1, 1, 5, 5]]),
                          "attempts": 100, "completed": [0, 0, 90, 80, 0, 0], "failed": [100, 100, 5, 15, 100, 100]})
    k = heart.log_kpis(cal, engagement=eng, retained=ret, tasks=tasks)
    # five-day: (10 + 20 + 30 + 40) / 400 user-weeks
    assert (k["five_day_share"]["value"], k["five_day_share"]["n"]) == (0.25, 400)
    # the last 4 cohorts (11-03 .. 11-24): 220 / 400; window from 11-03 to the end of 11-24's week 4 (12-29)
    r = k["week4_active_retention"]
    assert (r["value"], r["n"], r["window_start"], r["window_end"]) == (
        0.55, 400, pd.Timestamp("2025-11-03"), pd.Timestamp("2025-12-29"))
    # tasks: only the week of 12-01 is in the window: 170 of 200 completed, 20 failed
    assert (k["task_completion_rate"]["value"], k["task_error_rate"]["value"], k["task_error_rate"]["n"]) == (0.85, 0.1, 200)
    assert k["feature_adoption"]["value"] is None and k["ai_acceptance_rate"]["value"] is None


# ------------------------------------------------------------------------------------ survey gaps


def test_happiness_gap_finding_names_the_lowest_segment_beyond_noise():
    # CSAT: free 20 of 40 satisfied (50%) vs paid 36 of 40 (90%)
    rows = [(f"f{i}", "free", 5 if i < 20 else 2) for i in range(40)] + [(f"p{i}", "team", 5 if i < 36 else 2) for i in range(40)]
    s = load_surveys(pd.DataFrame({"user_id": [r[0] for r in rows], "plan": [r[1] for r in rows], "score": [r[2] for r in rows],
                                   "survey": "csat", "timestamp": "2025-03-03 10:00"}))
    g = heart.happiness_gaps(s, segments=["plan"], survey="csat")
    text = story.happiness_gap_finding(g, "csat", "the last 8 weeks (x)")
    assert text.startswith("The lowest CSAT in the last 8 weeks (x) is plan = free: 50% from 40 answers against 90%")
    assert "larger than its noise" in text
    # the same rate in both plans: no segment stands out
    same = s.mutate(score=5)
    assert story.happiness_gap_finding(heart.happiness_gaps(same, segments=["plan"], survey="csat"), "csat").startswith(
        "No segment's CSAT differs from the rest beyond noise")


# ---------------------------------------------------------------------------------- the Summary


def _shift(rows):
    cols = ["workflow", "segment", "metric", "date", "before", "after", "diff", "ci_low", "ci_high", "z",
            "p_value", "significant", "attempts_before", "attempts_after", "release"]
    return pd.DataFrame(rows, columns=cols).assign(date=lambda t: pd.to_datetime(t["date"]))


BROKEN = _shift([("import", "web", "error_rate", "2025-09-15", 0.08, 0.26, 0.18, 0.16, 0.20, 20.0, 1e-9, True, 5000,
                  1000, "5.1")])
SLOWER = pd.DataFrame([dict(workflow="import", segment="web", date=pd.Timestamp("2025-09-15"), median_before=95.0,
                            median_after=173.0, change=173 / 95 - 1, slow_before=0.34, slow_after=0.75, diff=0.41,
                            ci_low=0.39, ci_high=0.43, z=35.0, p_value=0.0, significant=True, completed_before=5137,
                            completed_after=3155, release="5.1")])
GAPS = heart.task_gaps(_success([("import", "web", 1000, 260), ("import", "ios", 500, 40)]))


def test_the_task_finding_adds_the_slowdown_and_where_it_stands_now():
    f = story.task_regression_finding(BROKEN, "platform", None, SLOWER, GAPS, "the last 4 weeks (x)")
    assert "Its median time to complete went from 95 s to 173 s (+82%) with the same release, slower beyond noise." in f.text
    assert "In the last 4 weeks (x) it still failed 26.0% of 1,000 attempts against 8.0% for import elsewhere" in f.text
    # fixed since: the recent gap is gone -> it says so
    fixed = heart.task_gaps(_success([("import", "web", 1000, 80), ("import", "ios", 500, 40)]))
    f = story.task_regression_finding(BROKEN, "platform", None, None, fixed, "the last 4 weeks (x)")
    assert "it is back within noise of the rest: it failed 8.0% of 1,000" in f.text and "median time" not in f.text


def test_without_a_rate_change_a_slowdown_or_a_recent_gap_is_the_finding():
    calm = BROKEN.assign(significant=False)
    f = story.task_regression_finding(calm, "platform", None, SLOWER, None)
    assert f.severity == "bad" and f.text.startswith("Task success: The median time to complete import on platform web")
    g = story.task_regression_finding(calm, "platform", None, SLOWER.assign(significant=False), GAPS, "w")
    assert g.text.startswith("Task success: In w, import on platform web failed 26.0%")
    assert story.task_regression_finding(calm, "platform", None, None, None) is None


# ------------------------------------------------------------------- the planted truths, on the sample


@pytest.fixture(scope="module")
def growth_ds(sample_dataset):
    from pmplaybook.data import Dataset

    params = config.load_params("growth")
    return Dataset(events=sample_dataset.events, surveys=sample_dataset.surveys, timezone=params.timezone,
                   as_of=sample_dataset.as_of, params=params)


def test_truth_nps_segment_as_the_page_computes_it(growth_ds, truth):
    # the detractor section runs detractor_concentration over all answers with the team's calendar: the
    # truth's definition (promoters 9-10, detractors 0-6, plan == free against the other plans)
    planted = truth["nps_segment"]
    t = heart.detractor_concentration(growth_ds.surveys, segments=heart.survey_segments(growth_ds.surveys),
                                      calendar=growth_ds.calendar)
    top = t.iloc[0]
    assert (top.column, top.segment) == (planted["segment_column"], planted["segment_value"])
    assert (top.responses, top.detractors) == (planted["segment"]["responses"], planted["segment"]["detractors"])
    assert top.nps == pytest.approx(planted["segment"]["nps"], abs=1e-4)
    assert top.rest_nps == pytest.approx(planted["rest"]["nps"], abs=1e-4)
    text = story.detractor_finding(t)
    assert "Over all 1,741 NPS answers" in text and "its NPS is +12 against +59" in text


def test_truth_task_success_release_as_the_page_computes_it(growth_ds, truth):
    planted = truth["task_success_release"]
    web = planted["by_workflow"][planted["workflow"]]
    cal, r = growth_ds.calendar, growth_ds.params.events
    # failures: the page's task_shift (segment platform, as the notebook's task_segment picks) finds web
    # import_tasks on the release day; the truth pairs a start with its session's outcome, the page with the
    # user's next outcome of the workflow within a day: the same attempts, except one start of 31 December
    # whose day had not ended at as_of ("open" here, "abandoned" in the truth)
    shift = heart.task_shift(growth_ds.events, r.task_started, r.task_completed, r.task_failed, segment="platform",
                             calendar=cal)
    top = heart.top_change(shift)
    assert (top["workflow"], top["segment"], top["metric"], top["release"]) == (
        planted["workflow"], planted["platform"], "error_rate", planted["version"])
    assert top["date"] == pd.Timestamp(planted["release_date"])
    assert top["attempts_before"] == web["web_before"]["started"]
    assert top["before"] == pytest.approx(planted["failure_rate_before"], abs=1e-6)
    assert top["attempts_after"] == web["web_after"]["started"] - 1
    assert top["after"] == pytest.approx(web["web_after"]["failed"] / (web["web_after"]["started"] - 1), abs=1e-9)
    # time on task: the page's task_time_shift finds the same workflow, platform, day and release, with the
    # truth's medians (completed - start, before / after 2025-09-15) on the same completed attempts
    time = heart.task_time_shift(growth_ds.events, r.task_started, r.task_completed, r.task_failed,
                                 segment="platform", calendar=cal)
    hits = time[time["significant"]]
    assert len(hits) == 1
    t = hits.iloc[0]
    assert (t.workflow, t.segment, t.date, t.release) == (planted["workflow"], planted["platform"],
                                                          pd.Timestamp(planted["release_date"]), planted["version"])
    assert (t.median_before, t.median_after) == (planted["median_seconds_before"], planted["median_seconds_after"])
    assert (t.completed_before, t.completed_after) == (web["web_before"]["completed"], web["web_after"]["completed"])
    assert "went from 95 s to 173 s (+82%) from 2025-09-15 on, when app version 5.1 appeared" in \
        story.task_time_finding(time, "platform")
