"""Issue 13 for the cohort retention walk-through: detectors that separate look-alikes (a calendar dip vs
one bad cohort; a real stickiness change vs a MAU inflated by returning users), each on a tiny built log
with the confounder and one without, and the planted truths measured by the notebook's own functions.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ev

from pmplaybook import data, retention
from pmplaybook.narrative import retention as story

MONDAYS = pd.date_range("2025-01-06", periods=5, freq="7D")  # five weekly cohorts, 6 Jan .. 3 Feb
AS_OF = "2025-03-17"  # weeks up to the one starting 10 March are complete


def _log(sizes: dict, active: callable) -> "data.Table":
    """Users sign up on their cohort's Monday at 09:00; ``active(cohort, week_start, i)`` says whether user i
    of that cohort comes back (one event on the Tuesday) in that calendar week."""
    rows = []
    for cohort, size in sizes.items():
        for i in range(size):
            uid = f"{cohort:%m%d}-{i}"
            rows.append((uid, cohort + pd.Timedelta(hours=9), "signup"))
            for week in pd.date_range(cohort + pd.Timedelta(days=7), "2025-03-10", freq="7D"):
                if active(cohort, week, i):
                    rows.append((uid, week + pd.Timedelta(days=1, hours=10), "task_completed"))
    frame = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"])
    return data.load_events(frame)


def _table(events):
    return retention.cohort_retention(events, "signup", period="week", periods=6, as_of=AS_OF)


# ----------------------------------------------------------------------------- diagonals


def test_a_calendar_dip_hits_every_cohort_at_once():
    # every cohort: 40 users, 20 come back every week, but in the week of 17 February only 10 of them do.
    dip = pd.Timestamp("2025-02-17")
    events = _log({c: 40 for c in MONDAYS}, lambda c, w, i: i < (10 if w == dip else 20))
    diag = retention.diagonals(_table(events)).set_index("calendar")
    row = diag.loc[dip]
    # the five cohorts are at ages 6, 5, 4, 3, 2 that week (cohorts 6 Jan .. 3 Feb), all in the 6-week table
    assert row["cells"] == 5
    # each cohort kept 10 of 40 where its other weeks keep 20 of 40: all five below their own usual level
    assert row["below"] == 1.0 and row["kind"] == "calendar"
    assert diag["difference"].idxmin() == dip
    # no single cohort explains it: taking the worst out leaves the other four as far below
    assert row["without_worst"] < row["difference"] / 2
    text = story.diagonal_finding(_table(events))
    assert "2025-02-17" in text and "5 of 5 cohorts" in text and "calendar event" in text


def test_one_bad_cohort_is_named_and_not_called_a_calendar_event():
    # four cohorts of 40 keep 20 every week; the cohort of 20 January (a campaign) has 120 users of whom
    # only 12 come back in any week. No calendar week is special.
    bad = pd.Timestamp("2025-01-20")
    sizes = {c: (120 if c == bad else 40) for c in MONDAYS}
    events = _log(sizes, lambda c, w, i: i < (12 if c == bad else 20))
    table = _table(events)
    diag = retention.diagonals(table)
    low = diag.loc[diag["difference"].idxmin()]
    # the weakest week is one the bad cohort is in; it, not the calendar, is below the curve: at age k with
    # all five cohorts complete the curve is (4 x 20 + 12) / 280 = 32.9%, the bad cohort 10%, the others 50%
    assert low["kind"] == "one cohort" and low["worst_cohort"] == bad
    assert low["worst_rate"] == pytest.approx(0.10) and low["without_worst"] > 0
    # every cohort keeps its own level in every week, so once each cohort is measured against its usual
    # ratio to the curve little is left (the ratio shifts a little with the mix of cohorts at each age)
    assert diag["adjusted"].abs().max() < 0.025 and not (diag["kind"] == "calendar").any()
    text = story.diagonal_finding(table)
    assert "one cohort, not the calendar" in text and "2025-01-20" in text and "calendar event" not in text


def test_no_dip_and_no_bad_cohort_says_nothing_is_wrong():
    events = _log({c: 40 for c in MONDAYS}, lambda c, w, i: i < 20)
    diag = retention.diagonals(_table(events))
    assert (diag["kind"] == "").all() and diag["difference"].abs().max() < 1e-9
    assert "no calendar period" in story.diagonal_finding(_table(events))


# ----------------------------------------------------------------------------- DAU/MAU


def _stickiness_log(returners: bool, decline: bool):
    """20 regular users active every weekday of Jan-Mar 2025. With ``returners``: 40 users seen once on
    6 January come back on Monday 10 and Tuesday 11 March (a promotion e-mail) and never again. With
    ``decline``: from 4 March, 10 of the regulars come once a week (user i on weekday i mod 5)."""
    rows = []
    for day in pd.date_range("2025-01-01", "2025-03-31"):
        if day.day_of_week >= 5:
            continue
        for i in range(20):
            if decline and i >= 10 and day >= pd.Timestamp("2025-03-04") and day.day_of_week != i % 5:
                continue
            rows.append((f"r{i}", day + pd.Timedelta(hours=10), "task_completed"))
    if returners:
        for i in range(40):
            for day in ("2025-01-06", "2025-03-10", "2025-03-11"):
                rows.append((f"d{i}", pd.Timestamp(day) + pd.Timedelta(hours=11), "task_completed"))
    events = data.load_events(pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]))
    daily = retention.stickiness(events, as_of="2025-04-01")
    return retention.mau_inflation(events, daily, as_of="2025-04-01")


def test_a_mau_inflated_by_returning_users_is_not_a_loss_of_habit():
    c = _stickiness_log(returners=True, decline=False)
    # window 4-31 March. DAU: 20 on each of its 20 weekdays + 40 on 10 and 11 March = 480. MAU (28 days):
    # 20 on 4-9 March (6 days), 60 from 10 March (22 days) = 1,440. DAU/MAU = 480 / 1,440 = 1/3.
    assert c["now"] == pytest.approx(480 / 1440)
    # before the spike (10 Feb - 9 Mar): 20 x 20 weekdays / (28 x 20) = 5/7
    assert (c["spike_start"], c["spike_end"]) == (pd.Timestamp("2025-03-10"), pd.Timestamp("2025-03-11"))
    assert c["before"] == pytest.approx(400 / 560)
    # the 40 had been away since 6 January; without their spike-day visits: 400 / 560 again
    assert (c["returners"], c["returners_after"]) == (40, 0)
    assert c["without"] == pytest.approx(400 / 560) and c["kind"] == "inflated MAU"
    # weekends: nobody comes (0%); weekdays: 480 / (4 x 20 + 16 x 60)
    assert c["weekend"] == 0 and c["weekday"] == pytest.approx(480 / 1040)
    text = story.stickiness_finding(pd.DataFrame(), c)
    assert "not a loss of habit" in text and "40 users" in text and "71.4%" in text
    assert "none of them came back afterwards" in text


def test_a_real_fall_in_stickiness_is_called_real():
    c = _stickiness_log(returners=False, decline=True)
    # no spike: compared with the 28 days before the window (4 Feb - 3 Mar): 400 / 560
    assert c["spike_start"] is None and c["before"] == pytest.approx(400 / 560)
    # 4-31 March holds each weekday 4 times: 10 users x 20 weekdays + 10 users x 4 visits = 240, over a
    # steady MAU of 20 x 28 = 560
    assert c["now"] == pytest.approx(240 / 560) and c["kind"] == "real change"
    text = story.stickiness_finding(pd.DataFrame(), c)
    assert "Stickiness really fell" in text and "No spike" in text


def test_dau_mau_interval_treats_users_as_the_units():
    rows = []
    for day in pd.date_range("2025-02-24", "2025-03-30"):  # a week of history, then the four weeks measured
        for i in range(20):
            # users 0-9 come every weekday (20 days), users 10-19 once a week (4 days)
            if day.day_of_week < 5 and (i < 10 or day.day_of_week == i % 5):
                rows.append((f"u{i}", day + pd.Timedelta(hours=10), "x"))
    events = data.load_events(pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]))
    r = retention.dau_mau_interval(events, "2025-03-03", "2025-03-31", as_of="2025-03-31")
    # every user counts in the MAU of all 28 days (m = 28); a = 20 or 4: R = (10 x 20 + 10 x 4) / (20 x 28) = 3/7
    daily = retention.stickiness(events, as_of="2025-03-31").query("date >= '2025-03-03'")
    assert (r["dau_days"], r["mau_days"], r["n"]) == (daily["dau"].sum(), daily["mau_28"].sum(), 20) == (240, 560, 20)
    assert r["value"] == pytest.approx(3 / 7)
    # residuals a - R m = 20 - 12 = +8 and 4 - 12 = -8: se = sqrt(20/19 x 20 x 64) / 560 = 0.06555
    se = (20 / 19 * 20 * 64) ** 0.5 / 560
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(3 / 7 - 1.96 * se), pytest.approx(3 / 7 + 1.96 * se))


def test_steady_stickiness_is_steady():
    c = _stickiness_log(returners=False, decline=False)
    assert c["now"] == pytest.approx(400 / 560) and c["change"] == pytest.approx(0) and c["kind"] == "no change"


def test_spike_baseline_is_the_same_kind_of_day():
    # weekdays 100 actives, weekends 20, for five weeks; then Saturday 50 and Monday 140.
    days = pd.date_range("2025-03-03", periods=42)
    dau = [20 if d.day_of_week >= 5 else 100 for d in days[:35]] + [100] * 5 + [50, 20]
    dau[35] = 140  # Monday 7 April: 140 / median weekday 100 = 1.4, below 1.5: no spike
    daily = pd.DataFrame({"date": days, "dau": dau})
    found = retention.spike_days(daily)
    # Saturday 12 April: 50 / median weekend day 20 = 2.5 -> a spike (against all days' median, 100, it would not be)
    assert found[["start", "end", "peak_dau", "baseline_dau"]].values.tolist() == [
        [pd.Timestamp("2025-04-12"), pd.Timestamp("2025-04-12"), 50, 20.0]]
    assert found["lift"].iloc[0] == pytest.approx(1.5)


def test_cohort_against_its_neighbours_by_hand():
    # weekly cohorts of 10, 10, 40, 10, 30 users; week-1 retained 5, 5, 4, 5, 15
    t = pd.DataFrame({"cohort": list(MONDAYS) * 2, "period": [0] * 5 + [1] * 5,
                      "cohort_size": [10, 10, 40, 10, 30] * 2, "retained": [10, 10, 40, 10, 30, 5, 5, 4, 5, 15],
                      "complete": [True] * 10})
    near = retention.cohort_vs_neighbours(t, MONDAYS[2], at=1, neighbours=2)
    # neighbours: two on each side, mean size (10 + 10 + 10 + 30) / 4 = 15; 40 / 15 = 2.67
    assert near["neighbours"] == [MONDAYS[0], MONDAYS[1], MONDAYS[3], MONDAYS[4]]
    assert near["size_ratio"] == pytest.approx(40 / 15)
    # 4 / 40 = 10% vs (5 + 5 + 5 + 15) / 60 = 50%
    assert (near["rate"], near["neighbour_rate"], near["neighbour_users"]) == (0.1, 0.5, 60)
    assert near["significant"] and near["ci_high"] < 0


def test_around_date_counts_fixed_sign_up_windows_in_rolling_weeks():
    # split 1 June 2025; week 1 (at=1), 2-week windows: before = sign-ups in [4 May, 18 May) (their week 1
    # over by 1 June), after = [1 June, 15 June). Users: b1 (before, ios, back on day 8), b2 (before, ios, not
    # back), b3 (before, android, back on day 8), a1 (after, ios, back on day 10), a2 (after, android, not
    # back); z signed up 20 May, in neither window.
    rows = [("b1", "2025-05-05 09:00", "signup", "ios"), ("b1", "2025-05-13 09:00", "x", "ios"),
            ("b2", "2025-05-06 09:00", "signup", "ios"),
            ("b3", "2025-05-10 09:00", "signup", "android"), ("b3", "2025-05-18 10:00", "x", "android"),
            ("z", "2025-05-20 09:00", "signup", "ios"), ("z", "2025-05-28 09:00", "x", "ios"),
            ("a1", "2025-06-02 09:00", "signup", "ios"), ("a1", "2025-06-12 09:00", "x", "ios"),
            ("a2", "2025-06-03 09:00", "signup", "android")]
    events = ev(rows, platform=None)
    out = retention.around_date(events, "platform", "2025-06-01", "signup", at=1, weeks=2,
                                as_of="2025-07-01").set_index("segment")
    assert out.loc["ios", ["before_users", "before_retained", "after_users", "after_retained"]].tolist() == [2, 1, 1, 1]
    assert out.loc["android", ["before_users", "before_retained", "after_users", "after_retained"]].tolist() == [1, 1, 1, 0]
    assert out["before_start"].iloc[0] == pd.Timestamp("2025-05-04")
    assert out["after_end"].iloc[0] == pd.Timestamp("2025-06-15")


# ----------------------------------------------------------------------------- recent-window KPIs


def test_recent_cohorts_pool_the_latest_complete_ones_only():
    # cohort 3 Feb has 40 users; week 4 of it is the week of 3 March, complete by 17 March; the 6-week table
    # has week 4 complete for all five cohorts: the latest 4 are 13 Jan .. 3 Feb, 20 of 40 each
    events = _log({c: 40 for c in MONDAYS}, lambda c, w, i: i < 20)
    r = retention.recent_cohorts(_table(events), at=4, cohorts=4, as_of=AS_OF)
    assert (r["n"], r["retained"], r["rate"]) == (160, 80, 0.5)
    assert (r["first_cohort"], r["last_cohort"]) == (pd.Timestamp("2025-01-13"), pd.Timestamp("2025-02-03"))
    assert r["measured_end"] == pd.Timestamp("2025-03-10")
    assert r["measured"]["window_start"] == pd.Timestamp("2025-01-13") and r["measured"]["n"] == 160
    assert r["measured"]["ci_low"] < 0.5 < r["measured"]["ci_high"]
    assert story.recent_label("Week-4 retention", r) == "Week-4 retention (sign-ups 13 Jan-9 Feb 2025)"


# ----------------------------------------------------------------------------- planted truths, growth's notebook


@pytest.fixture(scope="module")
def nb(growth):
    """What notebook 02 computes for the growth team (the same calls, the same arguments)."""
    params, ds = growth
    common = dict(cohort_event=params.events.signup, calendar=ds.calendar)
    table = retention.cohort_retention(ds.events, period="week", periods=12, **common)
    rolling = retention.cohort_retention(ds.events, period="week", periods=12, windows="rolling", **common)
    daily = retention.stickiness(ds.events, calendar=ds.calendar)
    return params, ds, table, rolling, daily


def test_growth_diagonal_names_the_campaign_cohort(nb, truth):
    _, _, table, _, _ = nb
    diag = retention.diagonals(table)
    low = diag.loc[diag["difference"].idxmin()]
    assert low["calendar"] == pd.Timestamp("2025-04-21") and low["kind"] == "one cohort"
    assert low["worst_cohort"] == pd.Timestamp(truth["campaign_cohort"]["week_start"])
    assert "calendar event" not in story.diagonal_finding(table)


def test_growth_campaign_cohort_matches_truth(nb, truth):
    _, _, table, rolling, _ = nb
    want = truth["campaign_cohort"]
    near = retention.cohort_vs_neighbours(rolling, want["week_start"], at=4)
    assert [f"{c:%Y-%m-%d}" for c in near["neighbours"]] == want["neighbour_weeks"]
    assert near["cohort_size"] == want["cohort_signups"]
    assert near["neighbour_mean_size"] == pytest.approx(want["neighbour_mean_signups"])
    assert near["size_ratio"] == pytest.approx(want["size_ratio"], abs=1e-6)
    assert near["rate"] == pytest.approx(want["week4_retention_cohort"], abs=1e-6)
    assert near["neighbour_rate"] == pytest.approx(want["week4_retention_neighbours"], abs=1e-6)
    text = story.weak_cohort_finding(table, at=4, rolling=rolling)
    assert "3.47x" in text and "8.0%" in text and "20.6%" in text


def test_growth_android_collapse_matches_truth(nb, truth):
    params, ds, _, _, _ = nb
    want = truth["release_collapse"]
    fixed = retention.around_date(ds.events, "platform", want["release_date"], params.events.signup, at=4,
                                  calendar=ds.calendar).set_index("segment")
    assert f"{fixed['before_start'].iloc[0]:%Y-%m-%d}" == want["before_signups"][0]
    assert f"{fixed['after_end'].iloc[0]:%Y-%m-%d}" == want["after_signups"][1]
    for platform, figures in want["week4_retention"].items():
        row = fixed.loc[platform]
        assert (row["before_users"], row["after_users"]) == (figures["users_before"], figures["users_after"])
        assert row["before_rate"] == pytest.approx(figures["before"], abs=1e-6)
        assert row["after_rate"] == pytest.approx(figures["after"], abs=1e-6)
    tables = retention.segment_tables(ds.events, params.segments, periods=4, cohort_event=params.events.signup,
                                      calendar=ds.calendar)
    text = story.collapse_search(tables, at=4, events=ds.events, cohort_event=params.events.signup,
                                 calendar=ds.calendar)
    assert "platform = android" in text and "20.0%" in text and "7.1%" in text


def test_growth_holiday_cohorts_match_truth(nb, truth):
    _, _, _, rolling, daily = nb
    want = truth["holiday_spike"]
    found = retention.spikes(daily, rolling, at=1).set_index("start")
    holiday = found.loc[pd.Timestamp(want["start_date"])]
    assert holiday["around_rate"] == pytest.approx(want["week1_retention_around"], abs=1e-6)
    assert holiday["before_rate"] == pytest.approx(want["week1_retention_before"], abs=1e-6)
    text = story.spike_finding(daily, rolling, at=1, windows="rolling")
    assert "46.7%" in text and "49.3%" in text and "did not move retention" in text
    assert "week 1 (counted from each user's own sign-up)" in text


def test_growth_dau_mau_names_the_promotion(nb, truth):
    _, ds, _, _, daily = nb
    want = truth["holiday_spike"]
    c = retention.mau_inflation(ds.events, daily, calendar=ds.calendar)
    assert c["kind"] == "inflated MAU"
    assert (f"{c['spike_start']:%Y-%m-%d}", f"{c['spike_end']:%Y-%m-%d}") == (want["start_date"], want["end_date"])
    # truth: active in the 4 days, no active event (sign-up excluded) in the 28 days before, signed up more
    # than 28 days before; here: seen before those 28 days, any event. On the sample both give the same users.
    assert c["returners"] == want["spike_dormant_returners"]
    # figures recomputed with plain pandas from events.parquet (see the report of this change)
    assert c["now"] == pytest.approx(0.136365, abs=1e-5) and c["before"] == pytest.approx(0.205856, abs=1e-5)
    assert c["without"] == pytest.approx(0.202941, abs=1e-5)


def test_growth_activated_plateau_matches_truth(nb, truth):
    params, ds, _, _, _ = nb
    want = truth["activated_plateau"]
    assert params.events.activation.event == want["event"] and params.events.activation.at_least == want["at_least"]
    curves = retention.activation_curves(ds.events, params.events.activation, params.events.signup, periods=26,
                                         windows="rolling", calendar=ds.calendar)
    low, high = want["plateau_weeks"]
    for group, key in (("activated", "plateau_activated"), ("not activated", "plateau_not_activated")):
        c = curves[(curves.segment == group) & curves.period.between(low, high)]
        # truth counts a week complete per user, the table per cohort: the pooled rates agree within a point
        assert c.retained.sum() / c.cohort_size.sum() == pytest.approx(want[key], abs=0.01)
    text = story.activation_finding(curves, unit="week")
    assert "Activated users' curve flattens" in text and "at about 39%" in text and "at about 3%" in text


def test_growth_recent_week4_kpi_matches_pandas(nb):
    _, ds, table, _, _ = nb
    r = retention.recent_cohorts(table, at=4, cohorts=4, calendar=ds.calendar)
    # plain pandas on events.parquet: Monday sign-up weeks 3-24 Nov 2025, 1,734 users, 399 active in week 4
    assert (r["n"], r["retained"]) == (1734, 399)
    assert r["measured"]["window_start"] == pd.Timestamp("2025-11-03")
    assert r["measured"]["window_end"] == pd.Timestamp("2026-01-01")


def test_summary_reports_the_stickiness_verdict_it_was_given():
    from pmplaybook.retention import Plateau

    flat = Plateau(False, None, None, None, None, None, "week", 2, 3, 0.005, 4, 30)  # too few weeks: no bullet
    empty = pd.DataFrame(columns=["column", "segment", "cohort_size", "retained", "rate", "ci_low", "ci_high",
                                  "rest_rate", "diff", "diff_low", "diff_high", "p_value", "significant", "flag"])
    inflated = _stickiness_log(returners=True, decline=False)
    (note,) = story.summary_findings(empty, flat, stickiness=inflated)
    assert note.severity == "note" and "33.3%" in note.text and "71.4%" in note.text
    (bad,) = story.summary_findings(empty, flat, stickiness=_stickiness_log(returners=False, decline=True))
    assert bad.severity == "bad" and "42.9%" in bad.text
    assert story.summary_findings(empty, flat, stickiness=_stickiness_log(returners=False, decline=False)) == []


def test_lifecycle_quick_ratio_pools_a_burst_and_its_wave_of_dormant_users():
    # five complete weeks; in week 3, 1,000 users are resurrected by an e-mail and go dormant in week 4.
    # Mean of the last four weekly ratios: (1.0 + 11.0 + 0.091 + 1.0) / 4 = 3.3 ("growing"); pooled:
    # gains 100 + 1,100 + 100 + 100 = 1,400 over losses 100 + 100 + 1,100 + 100 = 1,400: 1.00, steady.
    life = pd.DataFrame({"period": pd.date_range("2025-03-03", periods=5, freq="7D"),
                         "new": [100] * 5, "returning": [900] * 5, "resurrecting": [0, 0, 1000, 0, 0],
                         "dormant": [0, -100, -100, -1100, -100], "active": [1000, 1000, 2000, 1000, 1000],
                         "quick_ratio": [None, 1.0, 11.0, 100 / 1100, 1.0], "complete": [True] * 5})
    text = story.lifecycle_finding(life)
    assert "1,400 users were gained" in text and "a quick ratio of 1.00" in text and "roughly steady" in text
