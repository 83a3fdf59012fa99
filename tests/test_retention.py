"""Cohort retention, curves, activation, stickiness and lifecycle: hand-worked tiny tables, then the sample.

Each tiny table is built as pandas and passed through data.load_events, exactly as a team's log would be.
The expected numbers are worked out by hand in the comments (calendar notes: 2025-03-03 and 2025-03-10 are
Mondays, 2025-03-09 and 2025-03-16 Sundays).
"""

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ev

from pmplaybook import config, retention
from pmplaybook.narrative import retention as story
from pmplaybook.data import load_events


def cells(table, *cols):
    """{(cohort 'YYYY-MM-DD', [segment], period): tuple(cols)} for easy comparison."""
    out = {}
    for r in table.to_dict("records"):
        key = (r["cohort"].strftime("%Y-%m-%d"),) + ((r["segment"],) if "segment" in r else ()) + (r["period"],)
        out[key] = tuple(None if isinstance(r[c], float) and math.isnan(r[c]) else r[c] for c in cols)
    return out


WEEKLY = ev([
    ("a", "2025-03-03 09:00", "signup"),          # Mon, ISO week of 03-03
    ("a", "2025-03-11 09:00", "task_completed"),  # week of 03-10
    ("a", "2025-03-23 09:00", "task_completed"),  # Sun, week of 03-17
    ("b", "2025-03-09 22:00", "signup"),          # Sun, ISO week of 03-03 (but Sunday week of 03-09)
    ("b", "2025-03-10 09:00", "task_completed"),  # Mon, week of 03-10
    ("c", "2025-03-12 09:00", "signup"),          # Wed, week of 03-10
    ("c", "2025-03-26 09:00", "task_completed"),  # week of 03-24
])


# ------------------------------------------------------------------------------------ calendar weeks


def test_iso_weeks_first_time_on():
    t = retention.cohort_retention(WEEKLY, period="week", cohort_event="signup", as_of="2025-03-31")
    assert list(t.columns) == ["cohort", "period", "cohort_size", "retained", "rate", "ci_low", "ci_high",
                               "complete"]
    # cohort 03-03 = {a, b}: p0 both; p1 (03-10..16) a on 03-11 and b on 03-10; p2 (03-17..23) a; p3 nobody.
    # cohort 03-10 = {c}: p0 c; p1 (03-17..23) nobody; p2 (03-24..30) c.
    # as_of Monday 03-31: every week up to 03-24..30 has ended; week 03-31 has not started -> no row.
    assert cells(t, "cohort_size", "retained", "rate", "complete") == {
        ("2025-03-03", 0): (2, 2, 1.0, True), ("2025-03-03", 1): (2, 2, 1.0, True),
        ("2025-03-03", 2): (2, 1, 0.5, True), ("2025-03-03", 3): (2, 0, 0.0, True),
        ("2025-03-10", 0): (1, 1, 1.0, True), ("2025-03-10", 1): (1, 0, 0.0, True),
        ("2025-03-10", 2): (1, 1, 1.0, True),
    }
    assert t["cohort"].dtype == "datetime64[ns]" or str(t["cohort"].dtype).startswith("datetime64")
    # Wilson interval of 1/2: centre (0.5 + 1.92/2)/(1 + 3.84/2) = 0.5, half-width 0.5... -> (0.0945, 0.9055)
    row = t[(t.period == 2) & (t.cohort == "2025-03-03")].iloc[0]
    assert row.ci_low == pytest.approx(0.0945, abs=1e-4) and row.ci_high == pytest.approx(0.9055, abs=1e-4)


def test_iso_weeks_on_or_after():
    t = retention.cohort_retention(WEEKLY, period="week", cohort_event="signup", mode="on_or_after", as_of="2025-03-31")
    # cohort 03-03: a's last return in p2, b's in p1 -> p0 2, p1 2, p2 1 (a), p3 0.
    # cohort 03-10: c returns in p2 -> counted at p0, p1 and p2 (unbounded: "in k or later").
    assert cells(t, "retained") == {
        ("2025-03-03", 0): (2,), ("2025-03-03", 1): (2,), ("2025-03-03", 2): (1,), ("2025-03-03", 3): (0,),
        ("2025-03-10", 0): (1,), ("2025-03-10", 1): (1,), ("2025-03-10", 2): (1,),
    }


def test_sunday_weeks_and_incomplete_cells_are_nan():
    t = retention.cohort_retention(WEEKLY, period="week", cohort_event="signup", week_start="sunday", as_of="2025-03-31")
    # Sunday weeks: a (Mon 03-03) -> week of Sun 03-02; b (Sun 03-09) and c (Wed 03-12) -> week of 03-09.
    # cohort 03-02 = {a}: p1 (03-09..15) 03-11; p2 (03-16..22) none; p3 (03-23..29) Sun 03-23;
    #   p4 = week of Sun 03-30: started (03-30 < as_of) but ends 04-06 > as_of -> incomplete, rate NaN.
    # cohort 03-09 = {b, c}: p0 both (b's 03-10 is in its own week); p1 none; p2 (03-23..29) c on 03-26;
    #   p3 = week of 03-30: incomplete.
    assert cells(t, "cohort_size", "retained", "rate", "complete") == {
        ("2025-03-02", 0): (1, 1, 1.0, True), ("2025-03-02", 1): (1, 1, 1.0, True),
        ("2025-03-02", 2): (1, 0, 0.0, True), ("2025-03-02", 3): (1, 1, 1.0, True),
        ("2025-03-02", 4): (1, 0, None, False),
        ("2025-03-09", 0): (2, 2, 1.0, True), ("2025-03-09", 1): (2, 0, 0.0, True),
        ("2025-03-09", 2): (2, 1, 0.5, True), ("2025-03-09", 3): (2, 0, None, False),
    }
    incomplete = t[~t.complete]
    assert incomplete[["rate", "ci_low", "ci_high"]].isna().all().all()
    # incomplete cells stay out of the curve: period 3 rests on cohort 03-02 only (1 user, retained 1)
    curve = retention.retention_curve(t)
    p3 = curve[curve.period == 3].iloc[0]
    assert (p3.cohort_size, p3.retained, p3.cohorts) == (1, 1, 1)
    assert 4 not in set(curve.period)


def test_periods_caps_the_table():
    t = retention.cohort_retention(WEEKLY, period="week", cohort_event="signup", as_of="2025-03-31", periods=1)
    assert sorted(t.period.unique()) == [0, 1] and len(t) == 4


def test_return_event_limits_what_counts():
    t = retention.cohort_retention(WEEKLY, period="week", cohort_event="signup", return_event=["task_completed"],
                                   as_of="2025-03-31")
    # period 0 now counts only tasks in the sign-up week: none of a, b, c did one -> 0
    assert cells(t, "retained")[("2025-03-03", 0)] == (0,)
    assert cells(t, "retained")[("2025-03-03", 1)] == (2,)


# ------------------------------------------------------------------------------------- months, days


MONTHLY = ev([
    ("a", "2025-01-31 23:00", "signup"),
    ("a", "2025-02-01 01:00", "session_start"),
    ("a", "2025-03-15 10:00", "session_start"),
    ("b", "2025-02-10 10:00", "signup"),
    ("b", "2025-02-28 10:00", "session_start"),
    ("b", "2025-04-02 10:00", "session_start"),
])


def test_calendar_months_utc():
    t = retention.cohort_retention(MONTHLY, period="month", cohort_event="signup", as_of="2025-04-15")
    # UTC: a signs up in January; Feb 1 01:00 -> p1 (Feb), Mar 15 -> p2; April started, not ended -> p3 NaN.
    # b signs up in February; Feb 28 -> p0; nothing in March -> p1 0; April 2 -> p2 incomplete (1 so far).
    assert cells(t, "retained", "rate", "complete") == {
        ("2025-01-01", 0): (1, 1.0, True), ("2025-01-01", 1): (1, 1.0, True),
        ("2025-01-01", 2): (1, 1.0, True), ("2025-01-01", 3): (0, None, False),
        ("2025-02-01", 0): (1, 1.0, True), ("2025-02-01", 1): (0, 0.0, True),
        ("2025-02-01", 2): (1, None, False),
    }


def test_calendar_months_in_new_york():
    t = retention.cohort_retention(MONTHLY, period="month", cohort_event="signup", as_of="2025-04-15",
                                   timezone="America/New_York")
    # New York is UTC-5 in winter: Feb 1 01:00 UTC is Jan 31 20:00 local, so it falls in a's cohort month
    # (p0) and a is NOT retained in February (p1 = 0); March 15 is still p2.
    got = cells(t, "retained")
    assert got[("2025-01-01", 0)] == (1,) and got[("2025-01-01", 1)] == (0,) and got[("2025-01-01", 2)] == (1,)


def test_days():
    t = retention.cohort_retention(ev([
        ("a", "2025-03-01 10:00", "signup"),
        ("a", "2025-03-02 09:00", "x"),
        ("a", "2025-03-04 20:00", "x"),
        ("b", "2025-03-02 10:00", "signup"),
    ]),
                                   period="day", cohort_event="signup")
    # default as_of = the day after the last event = 03-05. cohort 03-01 {a}: p1 (03-02) yes, p2 no, p3 yes.
    # cohort 03-02 {b}: p0 only. Days 03-01..03-04 have all ended before 03-05.
    assert cells(t, "retained", "complete") == {
        ("2025-03-01", 0): (1, True), ("2025-03-01", 1): (1, True), ("2025-03-01", 2): (0, True),
        ("2025-03-01", 3): (1, True),
        ("2025-03-02", 0): (1, True), ("2025-03-02", 1): (0, True), ("2025-03-02", 2): (0, True),
    }


def test_timezone_cuts_sunday_night_into_monday():
    events = ev([("a", "2025-03-05 10:00", "signup"), ("a", "2025-03-09 23:30", "x")])
    utc = cells(retention.cohort_retention(events, period="week", as_of="2025-03-24"), "retained")
    berlin = cells(retention.cohort_retention(events, period="week", as_of="2025-03-24", timezone="Europe/Berlin"),
                   "retained")
    # UTC: 23:30 on Sunday 03-09 is still the sign-up week -> p1 = 0.
    # Berlin (UTC+1): it is 00:30 on Monday 03-10 -> the next week -> p1 = 1.
    assert utc[("2025-03-03", 1)] == (0,)
    assert berlin[("2025-03-03", 1)] == (1,)


# ------------------------------------------------------------------------------------ rolling windows


ROLLING = ev([
    ("a", "2025-03-05 12:00", "signup"),
    ("a", "2025-03-12 11:00", "x"),   # 6 days 23 h after a's first event: window 0 (calendar: week 1)
    ("b", "2025-03-07 08:00", "signup"),
    ("b", "2025-03-21 09:00", "x"),   # 14 days 1 h: window 2 (calendar: week 2)
])


def test_rolling_windows_and_their_completeness():
    t = retention.cohort_retention(ROLLING, period="week", windows="rolling", as_of="2025-03-24")
    # both first events fall in ISO week 03-03, so that is the cohort label.
    # k0: both; k1: a's 03-12 11:00 is in k0, b none -> 0; k2: b -> 1.
    # completeness: the latest first event is b's 03-07 08:00; k1 ends 03-21 08:00 <= as_of 03-24 -> complete;
    # k2 ends 03-28 08:00 > as_of -> incomplete; k3 would start for a at 03-26 12:00 >= as_of -> no row.
    assert cells(t, "retained", "rate", "complete") == {
        ("2025-03-03", 0): (2, 1.0, True), ("2025-03-03", 1): (0, 0.0, True), ("2025-03-03", 2): (1, None, False),
    }
    later = retention.cohort_retention(ROLLING, period="week", windows="rolling", as_of="2025-03-29")
    # as_of 03-29: k2 ended for both (03-28 08:00) -> complete 1/2; k3 started for a (03-26 12:00) -> NaN.
    assert cells(later, "retained", "rate", "complete") == {
        ("2025-03-03", 0): (2, 1.0, True), ("2025-03-03", 1): (0, 0.0, True),
        ("2025-03-03", 2): (1, 0.5, True), ("2025-03-03", 3): (0, None, False),
    }
    calendar = cells(retention.cohort_retention(ROLLING, period="week", as_of="2025-03-24"), "retained")
    assert calendar[("2025-03-03", 1)] == (1,)  # the same event is in calendar week 1


# ------------------------------------------------------------------------------- first-time vs recurring


RECURRING = ev([
    ("a", "2025-03-03 09:00", "task_completed"),  # week 03-03
    ("a", "2025-03-10 09:00", "session_start"),   # week 03-10
    ("a", "2025-03-17 09:00", "task_completed"),  # week 03-17
    ("a", "2025-03-24 09:00", "session_start"),   # week 03-24
    ("b", "2025-03-10 09:00", "task_completed"),  # week 03-10
    ("b", "2025-03-17 09:00", "task_completed"),  # week 03-17
])


def test_first_time_vs_recurring_cohorts():
    first = retention.cohort_retention(RECURRING, period="week", cohort_event="task_completed", as_of="2025-03-31")
    # first time: a -> cohort 03-03 (active p0..p3); b -> cohort 03-10 (p0, p1; nothing in 03-24 -> p2 0)
    assert cells(first, "cohort_size", "retained") == {
        ("2025-03-03", 0): (1, 1), ("2025-03-03", 1): (1, 1), ("2025-03-03", 2): (1, 1), ("2025-03-03", 3): (1, 1),
        ("2025-03-10", 0): (1, 1), ("2025-03-10", 1): (1, 1), ("2025-03-10", 2): (1, 0),
    }
    rec = retention.cohort_retention(RECURRING, period="week", cohort_event="task_completed", cohort_type="recurring",
                                     as_of="2025-03-31")
    # recurring: a is in cohorts 03-03 and 03-17, b in 03-10 and 03-17 (nobody did a task in 03-24).
    # cohort 03-17 = {a, b}: p0 both; p1 (03-24) a only.
    assert cells(rec, "cohort_size", "retained") == {
        ("2025-03-03", 0): (1, 1), ("2025-03-03", 1): (1, 1), ("2025-03-03", 2): (1, 1), ("2025-03-03", 3): (1, 1),
        ("2025-03-10", 0): (1, 1), ("2025-03-10", 1): (1, 1), ("2025-03-10", 2): (1, 0),
        ("2025-03-17", 0): (2, 2), ("2025-03-17", 1): (2, 1),
    }


# ------------------------------------------------------------------------------------------ segments


def test_segment_is_the_value_at_the_first_cohort_event():
    events = ev([
        ("a", "2025-03-03 09:00", "signup", "ios"),
        ("a", "2025-03-11 09:00", "x", "web"),      # a switched to web later: still an ios user
        ("b", "2025-03-04 09:00", "signup", "android"),
        ("c", "2025-03-05 09:00", "signup", "ios"),
        ("c", "2025-03-12 09:00", "x", "ios"),
        ("d", "2025-03-05 09:00", "signup", None),
    ], platform=None)
    t = retention.cohort_retention(events, period="week", cohort_event="signup", segment="platform", as_of="2025-03-17")
    assert list(t.columns) == ["cohort", "segment", "period", "cohort_size", "retained", "rate", "ci_low",
                               "ci_high", "complete"]
    # ios = {a, c}: both back in week 1; android = {b}: not; d has no platform -> "(missing)"
    assert cells(t, "cohort_size", "retained") == {
        ("2025-03-03", "(missing)", 0): (1, 1), ("2025-03-03", "(missing)", 1): (1, 0),
        ("2025-03-03", "android", 0): (1, 1), ("2025-03-03", "android", 1): (1, 0),
        ("2025-03-03", "ios", 0): (2, 2), ("2025-03-03", "ios", 1): (2, 2),
    }
    curve = retention.retention_curve(t)
    assert list(curve.columns) == ["segment", "period", "cohort_size", "retained", "rate", "ci_low", "ci_high",
                                   "cohorts"]
    breakdown = retention.segment_breakdown(t, at=1, min_users=1)
    ios = breakdown.set_index("segment").loc["ios"]
    # ios 2/2 = 100% vs the rest 0/2 = 0%: diff +1.0
    assert ios["rate"] == 1.0 and ios["rest_rate"] == 0.0 and ios["diff"] == 1.0


# ------------------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("kwargs, message", [
    (dict(period="quarter"), "period='quarter'"),
    (dict(mode="after"), "mode='after'"),
    (dict(windows="sliding"), "windows='sliding'"),
    (dict(cohort_type="recurring", windows="rolling"), "cohort_type='first_time'"),
    (dict(week_start="tuesday"), "week_start='tuesday'"),
    (dict(periods=-1), "periods=-1"),
    (dict(segment="nope"), "segment='nope'"),
    (dict(timezone="Mars/Olympus"), "timezone='Mars/Olympus'"),
    (dict(cohort_event="sign_up"), "no event named 'sign_up'"),
    (dict(return_event="task_complete"), "no event named 'task_complete'"),
    (dict(as_of="yesterday-ish"), "as_of='yesterday-ish'"),
])
def test_bad_arguments_fail_clearly(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(").replace("[", r"\[")):
        retention.cohort_retention(WEEKLY, **kwargs)


def test_a_dataframe_is_refused_with_the_fix():
    with pytest.raises(TypeError, match="load_events"):
        retention.cohort_retention(pd.DataFrame({"user_id": ["a"]}))


# ------------------------------------------------------------------------------------- stickiness


def test_stickiness_on_a_tiny_table():
    events = ev([
        ("a", "2025-03-01 10:00", "x"), ("a", "2025-03-03 10:00", "x"), ("a", "2025-03-09 10:00", "x"),
        ("a", "2025-03-09 11:00", "x"),  # a second event the same day counts once
        ("b", "2025-03-01 12:00", "x"),
    ])
    s = retention.stickiness(events, as_of="2025-03-11")
    assert list(s.columns) == ["date", "dau", "wau", "mau_28", "mau_30", "dau_mau", "full_window"]
    assert s["date"].dt.strftime("%m-%d").tolist() == [f"03-{d:02d}" for d in range(1, 11)]
    # DAU: 03-01 {a, b}, 03-03 {a}, 03-09 {a}
    assert s["dau"].tolist() == [2, 0, 1, 0, 0, 0, 0, 0, 1, 0]
    # WAU(d) = users active in d-6..d: up to 03-07 the window holds 03-01 -> {a, b}; 03-08 = 03-02..08 -> {a}
    assert s["wau"].tolist() == [2, 2, 2, 2, 2, 2, 2, 1, 1, 1]
    # 28- and 30-day windows all still include 03-01 -> 2
    assert s["mau_28"].tolist() == [2] * 10 and s["mau_30"].tolist() == [2] * 10
    # DAU/MAU = DAU / MAU_28
    assert s["dau_mau"].tolist() == [1.0, 0, 0.5, 0, 0, 0, 0, 0, 0.5, 0]
    assert not s["full_window"].any()  # fewer than 30 days of data


def test_stickiness_windows_slide_off():
    events = ev([("a", "2025-01-01 10:00", "x"), ("b", "2025-01-20 10:00", "x")])
    s = retention.stickiness(events, as_of="2025-02-05").set_index("date")
    # a's 28-day window covers 01-01..01-28, the 30-day one 01-01..01-30
    assert s.loc["2025-01-28", "mau_28"] == 2 and s.loc["2025-01-29", "mau_28"] == 1
    assert s.loc["2025-01-30", "mau_30"] == 2 and s.loc["2025-01-31", "mau_30"] == 1
    assert s.loc["2025-01-30", "full_window"] and not s.loc["2025-01-29", "full_window"]


# ------------------------------------------------------------------------------------------ lifecycle


def test_lifecycle_on_a_tiny_table():
    events = ev([
        ("a", "2025-03-03 09:00", "x"), ("a", "2025-03-11 09:00", "x"), ("a", "2025-03-25 09:00", "x"),
        ("b", "2025-03-12 09:00", "x"),
        ("c", "2025-03-04 09:00", "x"), ("c", "2025-03-10 09:00", "x"), ("c", "2025-03-18 09:00", "x"),
        ("d", "2025-03-19 09:00", "x"),
    ])
    lc = retention.lifecycle(events, period="week", as_of="2025-03-31")
    # W 03-03: a, c new.  W 03-10: b new; a, c returning.  W 03-17: d new; c returning; a, b dormant (-2).
    # W 03-24: a resurrecting (active before, not in 03-17); c, d dormant (-2).
    assert lc["period"].dt.strftime("%m-%d").tolist() == ["03-03", "03-10", "03-17", "03-24"]
    assert lc[["new", "returning", "resurrecting", "dormant", "active"]].values.tolist() == [
        [2, 0, 0, 0, 2], [1, 2, 0, 0, 3], [1, 1, 0, -2, 2], [0, 0, 1, -2, 1]]
    # quick ratio = (new + resurrecting) / dormant: 03-17 -> 1/2, 03-24 -> 1/2
    assert lc["quick_ratio"].tolist()[2:] == [0.5, 0.5]
    assert lc["complete"].all()
    partial = retention.lifecycle(events, period="week", as_of="2025-03-27")
    assert not partial["complete"].iloc[-1]


# ------------------------------------------------------------------------------------------ activation


ACTIVATION = ev([
    ("a", "2025-03-01 09:00", "signup"), ("a", "2025-03-01 10:00", "task_completed"),
    ("a", "2025-03-03 08:00", "task_completed"),                  # 2nd within 3 days -> activated then
    ("b", "2025-03-01 09:00", "signup"), ("b", "2025-03-02 09:00", "task_completed"),
    ("b", "2025-03-05 09:00", "task_completed"),                  # 4 days after: outside the window
    ("c", "2025-03-08 12:00", "signup"), ("c", "2025-03-08 13:00", "task_completed"),
    ("c", "2025-03-09 13:00", "task_completed"),                  # activated although its window is open
    ("d", "2025-03-09 08:00", "signup"),                          # window still open, nothing yet
    ("e", "2025-02-28 09:00", "task_completed"),                  # before sign-up: does not count
    ("e", "2025-03-01 09:00", "signup"), ("e", "2025-03-02 09:00", "task_completed"),
])


def test_activated_users_is_an_ibis_table_worked_by_hand():
    rule = config.ActivationRule(event="task_completed", at_least=2, within_days=3)
    t = retention.activated_users(ACTIVATION, signup_event="signup", rule=rule, as_of="2025-03-10")
    import ibis
    assert isinstance(t, ibis.Table)
    got = t.order_by("user_id").execute().set_index("user_id")
    assert list(got.columns) == ["signup_time", "activated", "activated_at", "window_complete"]
    assert got["activated"].to_dict() == {"a": True, "b": False, "c": True, "d": False, "e": False}
    assert got.loc["a", "activated_at"] == pd.Timestamp("2025-03-03 08:00")
    assert pd.isna(got.loc["b", "activated_at"])
    # windows end 3 days after sign-up: a, b, e on 03-04 (complete by 03-10); c 03-11 12:00, d 03-12 08:00 (open)
    assert got["window_complete"].to_dict() == {"a": True, "b": True, "c": False, "d": False, "e": True}
    rate = retention.activation_rate(ACTIVATION, rule, as_of="2025-03-10")
    # complete windows: a, b, e -> 1 activated of 3
    assert (rate["signups"], rate["activated"]) == (3, 1)


def test_activated_retention_compares_the_groups():
    events = ev([
        ("a", "2025-03-03 09:00", "signup"), ("a", "2025-03-03 10:00", "task"), ("a", "2025-03-05 09:00", "x"),
        ("b", "2025-03-03 09:00", "signup"), ("b", "2025-03-03 11:00", "task"),
        ("c", "2025-03-03 09:00", "signup"), ("c", "2025-03-05 09:00", "x"),
        ("d", "2025-03-03 09:00", "signup"), ("d", "2025-03-05 10:00", "x"),
        ("e", "2025-03-03 09:00", "signup"),
    ])
    out = retention.activated_retention(events, {"event": "task", "within_days": 1}, at=(2,), period="day",
                                        as_of="2025-03-10")
    # activated {a, b}: back on day 2 -> a: 1/2. Others {c, d, e}: c, d -> 2/3. diff = 0.5 - 0.667
    row = out.iloc[0]
    assert (row.activated_users, row.activated_retained, row.other_users, row.other_retained) == (2, 1, 3, 2)
    assert row["diff"] == pytest.approx(1 / 2 - 2 / 3)
    assert not row.significant and row.small_sample


# ------------------------------------------------------------------------------------------ plateau


def test_plateau_rule_by_hand():
    curve = pd.DataFrame({"period": range(9), "cohort_size": [2000] * 9,
                          "retained": [2000, 900, 600, 480, 420, 412, 410, 405, 404]})
    p = retention.plateau(curve, unit="week")
    # from week 4 on the rates are 21.0, 20.6, 20.5, 20.25, 20.2%: weighted slope about -0.2 points/week
    # (> -0.5) and none below week 4's Wilson lower bound (19.3%); from week 3 on the slope is -0.7 -> not yet.
    assert p.found and p.period == 4
    assert p.level == pytest.approx((420 + 412 + 410 + 405 + 404) / 10000)
    assert "week 4" in story.plateau_finding(p)
    falling = curve.assign(retained=[2000, 900, 800, 700, 600, 500, 400, 300, 200])
    assert not retention.plateau(falling).found


# --------------------------------------------------------------------- cross-checks against brute force


def _random_log(seed=1, users=40, days=75):
    rng = np.random.default_rng(seed)
    n = 600
    frame = pd.DataFrame({
        "user_id": [f"u{i}" for i in rng.integers(0, users, n)],
        "timestamp": pd.Timestamp("2025-03-01") + pd.to_timedelta(rng.integers(0, days * 86400, n), unit="s"),
        "event": rng.choice(["signup", "x", "y"], n),
    })
    return frame


def test_stickiness_matches_brute_force_in_a_time_zone():
    frame = _random_log()
    s = retention.stickiness(load_events(frame), as_of="2025-05-15", timezone="Europe/Berlin")
    local = frame.assign(day=frame.timestamp.dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
                         .dt.tz_localize(None).dt.normalize())
    local = local[local.day < "2025-05-15"]
    for row in s.sample(15, random_state=0).itertuples():
        for n, col in ((1, "dau"), (7, "wau"), (28, "mau_28"), (30, "mau_30")):
            window = local[(local.day > row.date - pd.Timedelta(days=n)) & (local.day <= row.date)]
            assert getattr(row, col) == window.user_id.nunique(), (row.date, col)


def test_cohort_table_matches_brute_force_pandas():
    frame = _random_log(seed=2)
    t = retention.cohort_retention(load_events(frame), period="week", cohort_event="signup", return_event="x",
                                   as_of="2025-05-19", timezone="America/New_York")
    local = frame.assign(ts=frame.timestamp.dt.tz_localize("UTC").dt.tz_convert("America/New_York").dt.tz_localize(None))
    local = local[local.ts < "2025-05-19"]
    local["week"] = local.ts.dt.to_period("W-SUN").dt.start_time
    cohort = local[local.event == "signup"].groupby("user_id").week.min().rename("cohort")
    back = local[local.event == "x"][["user_id", "week"]].drop_duplicates().join(cohort, on="user_id", how="inner")
    back["period"] = (back.week - back.cohort).dt.days // 7
    expected = back[back.period >= 0].groupby(["cohort", "period"]).size()
    got = t.set_index(["cohort", "period"])["retained"]
    assert (got[got > 0] == expected.reindex(got[got > 0].index)).all()
    assert got.sum() == expected[expected.index.get_level_values("cohort") < "2025-05-19"].sum()
    assert (t.groupby("cohort").cohort_size.first() == cohort.value_counts().sort_index()).all()


# ------------------------------------------------------------------ the sample recovers data/truth.json

import os  # noqa: E402
from pathlib import Path  # noqa: E402


SAMPLE_DIR = Path(os.environ.get("PMP_SAMPLE_DIR", config.DATA_DIR))
needs_sample = pytest.mark.skipif(not (SAMPLE_DIR / "truth.json").exists(), reason="sample data not generated")


@pytest.fixture(scope="module")
def sample():
    truth = json.loads((SAMPLE_DIR / "truth.json").read_text())
    events = load_events(SAMPLE_DIR / "events.parquet")
    # truth.json's figures cover the simulated year; as_of = the day after its last day
    as_of = pd.Timestamp(truth["end"]) + pd.Timedelta(days=1)
    return events, truth, as_of


def _pooled(table, period, segment=None):
    cells = table[(table.period == period) & table.complete]
    if segment is not None:
        cells = cells[cells.segment == segment]
    return cells.retained.sum(), cells.cohort_size.sum()


@needs_sample
def test_sample_campaign_cohort_keeps_few_users(sample):
    events, truth, as_of = sample
    want = truth["campaign_cohort"]
    # truth: Monday sign-up weeks (UTC); active in rolling week 4 after sign-up
    t = retention.cohort_retention(events, period="week", cohort_event="signup", windows="rolling", periods=4, as_of=as_of)
    cell = t[(t.cohort == want["week_start"]) & (t.period == 4)].iloc[0]
    assert cell.cohort_size == want["cohort_signups"]
    assert cell.rate == pytest.approx(want["week4_retention_cohort"], abs=1e-6)
    neighbours = t[t.cohort.isin(pd.to_datetime(want["neighbour_weeks"]))]
    s, n = _pooled(neighbours, 4)
    assert s / n == pytest.approx(want["week4_retention_neighbours"], abs=1e-6)
    # the finding (calendar weeks, as in the notebook) names that cohort and its channel
    calendar = retention.cohort_retention(events, period="week", cohort_event="signup", periods=4, as_of=as_of)
    mix = retention.cohort_retention(events, period="week", cohort_event="signup", periods=0, segment="channel", as_of=as_of)
    text = story.weak_cohort_finding(calendar, at=4, mix={"channel": mix})
    assert want["week_start"] in text and "channel = email_campaign" in text


@needs_sample
def test_sample_android_collapses_after_the_release(sample):
    events, truth, as_of = sample
    want = truth["release_collapse"]
    for window, key in ((want["before_signups"], "before"), (want["after_signups"], "after")):
        # truth groups users by sign-up day range; reproduce exactly on those users (rolling weeks)
        signups = events.filter((events.event == "signup") & (events.timestamp >= pd.Timestamp(window[0]))
                                & (events.timestamp < pd.Timestamp(window[1])))
        chosen = events.semi_join(signups.select("user_id").distinct(), "user_id")
        t = retention.cohort_retention(chosen, period="week", cohort_event="signup", windows="rolling", periods=4,
                                       segment="platform", as_of=as_of)
        for platform, figures in want["week4_retention"].items():
            s, n = _pooled(t, 4, platform)
            assert n == figures[f"users_{key}"]
            assert s / n == pytest.approx(figures[key], abs=1e-6), (platform, key)
    # and the notebook's search finds it: android, split within two weeks of the release
    tables = retention.segment_tables(events, ["channel", "platform"], cohort_event="signup", periods=4, as_of=as_of)
    text = story.collapse_search(tables, at=4)
    assert "platform = android" in text
    split = pd.Timestamp(text.split("from the week of ")[1][:10])
    assert abs((split - pd.Timestamp(want["release_date"])).days) <= 14


@needs_sample
def test_sample_holiday_spike_leaves_retention_flat(sample):
    events, truth, as_of = sample
    want = truth["holiday_spike"]
    names = events.select("event").distinct().execute()["event"]
    active = [e for e in names if e != "signup"]  # truth's "active" excludes the sign-up event itself
    daily = retention.stickiness(events, as_of=as_of, event=active).set_index("date")
    days = pd.date_range(want["start_date"], want["end_date"])
    assert daily.loc[days, "dau"].tolist() == want["spike_dau"]
    t = retention.cohort_retention(events, period="week", cohort_event="signup", windows="rolling", periods=1, as_of=as_of)
    for c in want["cohort_week1_retention"]:
        cell = t[(t.cohort == c["week_start"]) & (t.period == 1)].iloc[0]
        assert (cell.cohort_size, cell.rate) == (c["users"], pytest.approx(c["week1_retention"], abs=1e-6))
    found = retention.spikes(daily.reset_index(), t, at=1).set_index("start")
    holiday = found.loc[pd.Timestamp(want["start_date"])]
    assert holiday["end"] == pd.Timestamp(want["end_date"])
    # cohorts whose first weeks overlap the spike vs the four before them, as truth.json pools them
    assert holiday["around_rate"] == pytest.approx(want["week1_retention_around"], abs=1e-6)
    assert holiday["before_rate"] == pytest.approx(want["week1_retention_before"], abs=1e-6)
    # the usual level of a weekday is the median weekday of the 28 days before, as truth.json's baseline; the
    # lift is the peak day's (truth's: the spike days' mean)
    assert holiday["baseline_dau"] == want["baseline_dau"]
    assert holiday["lift"] == pytest.approx(max(want["spike_dau"]) / want["baseline_dau"] - 1)
    assert not holiday["significant"]  # the cohorts around it retain as usual
    text = story.spike_finding(daily.reset_index(), t, at=1)
    assert "from 01 to 04 December 2025" in text and "did not move retention" in text


@needs_sample
def test_sample_activated_users_plateau(sample):
    events, truth, as_of = sample
    want = truth["activated_plateau"]
    rule = config.ActivationRule(event=want["event"], at_least=want["at_least"], within_days=want["within_days"])
    rate = retention.activation_rate(events, rule, as_of=as_of)
    assert rate["rate"] == pytest.approx(want["activation_rate"], abs=0.005)
    curves = retention.activation_curves(events, rule, windows="rolling", periods=20, as_of=as_of)
    low, high = want["plateau_weeks"]
    for group, key in (("activated", "plateau_activated"), ("not activated", "plateau_not_activated")):
        c = curves[(curves.segment == group) & curves.period.between(low, high)]
        # cells count as complete per cohort (not per user as in truth.json): the pooled rates agree closely
        assert c.retained.sum() / c.cohort_size.sum() == pytest.approx(want[key], abs=0.01)
    flat = retention.plateau(curves, segment="activated", unit="week")
    assert flat.found and flat.period <= low and flat.level == pytest.approx(want["plateau_activated"], abs=0.03)
    rest = retention.plateau(curves, segment="not activated", unit="week")
    assert rest.level < 0.1 < flat.level


# ----------------------------------------------------------------------------- charts and the explorer


def test_charts_build_with_incomplete_cells_and_segments():
    from pmplaybook.charts import retention as rcharts

    t = retention.cohort_retention(WEEKLY, period="week", cohort_event="signup", week_start="sunday", as_of="2025-03-31")
    spec = rcharts.cohort_heatmap(t, period="week").to_dict()
    values = next(iter(spec["datasets"].values()))
    assert any(v["rate"] is None and v["complete"] is False for v in values)  # blank, not 0
    curve = retention.retention_curve(t)
    rcharts.retention_curves(t, curve=curve, period="week").to_dict()
    both = retention.compare_curves({"a": curve, "b": curve})
    rcharts.retention_curves(both, by="segment").to_dict()
    rcharts.stickiness_chart(retention.stickiness(WEEKLY, as_of="2025-03-31")).to_dict()
    rcharts.lifecycle_chart(retention.lifecycle(WEEKLY, as_of="2025-03-31")).to_dict()


def test_explorer_redraws_and_reports_bad_combinations():
    from pmplaybook.widgets.retention import retention_explorer

    w = retention_explorer(WEEKLY, cohort_event="signup", as_of="2025-03-31", periods=3)
    controls = w.children[0].children[0].children + w.children[0].children[1].children
    mode = next(c for c in controls if c.description == "Mode")
    mode.value = "on_or_after"  # redraws without raising
    message, heatmap = w.children[1], w.children[2]
    assert "<svg" in heatmap.value and message.value == ""
    cohort = next(c for c in controls if c.description == "Cohort event")
    kind = next(c for c in controls if c.description == "Windows")
    kind.value = "rolling"
    assert message.value == ""
    period = next(c for c in controls if c.description == "Period")
    period.value = "day"
    assert cohort.value == "signup" and "<svg" in heatmap.value


def test_explorer_heatmap_keeps_the_newest_cohorts_readable():
    from pmplaybook.widgets.retention import MAX_HEATMAP_COHORTS, latest_cohorts

    # 70 daily cohorts x 2 periods: the heatmap keeps the newest 60 (from the 11th day), the note says so
    days = pd.date_range("2025-01-01", periods=70, freq="D")
    table = pd.DataFrame({"cohort": days.repeat(2), "period": [0, 1] * 70, "rate": 0.5})
    shown, note = latest_cohorts(table, "day")
    assert MAX_HEATMAP_COHORTS == 60 and shown["cohort"].nunique() == 60
    assert shown["cohort"].min() == pd.Timestamp("2025-01-11") and len(shown) == 120
    assert note == ("<p>The heatmap shows the newest 60 of 70 daily cohorts (from 2025-01-11), so that its rows "
                    "stay readable; the curve below pools all of them.</p>")
    few, none = latest_cohorts(table.head(20), "week")
    assert len(few) == 20 and none == ""
