"""Funnel engine: hand-worked tiny logs for every rule, plus a brute-force cross-check.

Times are written as "day hh:mm" offsets from 2025-01-01 to keep the arithmetic readable.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pandas as pd
import pytest

from pmplaybook import funnel as fn
from pmplaybook.narrative.aarrr import funnel_finding
from pmplaybook.config import parse_duration
from pmplaybook.data import load_events

T0 = pd.Timestamp("2025-01-01")
AS_OF = "2025-03-01"  # far after everything: no window is open unless a test says so


def at(day: float, hh: int = 0, mm: int = 0, ss: int = 0) -> str:
    return str(T0 + pd.Timedelta(days=day, hours=hh, minutes=mm, seconds=ss))


def log(rows, **extra) -> "ibis.Table":  # noqa: F821
    """rows: (user, time, event[, {prop: value}])"""
    records = []
    for r in rows:
        rec = {"user_id": r[0], "timestamp": r[1], "event": r[2]}
        rec.update(r[3] if len(r) > 3 else {})
        records.append(rec)
    frame = pd.DataFrame(records)
    for col, default in extra.items():
        if col not in frame:
            frame[col] = default
    return load_events(frame)


def users(table):
    return table["users"].tolist()


# ------------------------------------------------------------------------------------------ ordering

def test_ordered_allows_other_events_and_needs_order():
    ev = log([
        ("a", at(0), "A"), ("a", at(0, 1), "noise"), ("a", at(0, 2), "B"), ("a", at(0, 3), "C"),  # A>noise>B>C: 3
        ("b", at(0), "A"), ("b", at(0, 1), "C"), ("b", at(0, 2), "B"),  # A>C>B: B ok, no C after B: 2
        ("c", at(0), "B"), ("c", at(0, 1), "A"),  # B before A: only step 1
        ("d", at(0), "C"),  # never did A: not in the funnel
    ])
    f = fn.funnel(ev, ["A", "B", "C"], window="1d", as_of=AS_OF)
    # step 1: a, b, c = 3; step 2: a, b = 2; step 3: a = 1
    assert users(f) == [3, 2, 1]
    assert f["conversion"].round(4).tolist() == [1.0, round(2 / 3, 4), round(1 / 3, 4)]
    assert f["step_conversion"].round(4).tolist() == [1.0, round(2 / 3, 4), 0.5]
    assert f["dropped"].tolist() == [0, 1, 1]
    # Wilson interval of 1/3 users: centre (1/3 + 1.96²/6)/(1 + 1.96²/3) = 0.4201...; checked by stats
    assert f["ci_low"].iloc[2] < 1 / 3 < f["ci_high"].iloc[2]


def test_strict_needs_the_very_next_event():
    ev = log([
        ("a", at(0), "A"), ("a", at(0, 1), "B"), ("a", at(0, 2), "C"),  # A B C consecutive: 3
        ("b", at(0), "A"), ("b", at(0, 1), "noise"), ("b", at(0, 2), "B"),  # noise breaks it: 1
        ("c", at(0), "A"), ("c", at(0, 1), "B"), ("c", at(0, 2), "noise"), ("c", at(0, 3), "C"),  # 2
        # two attempts: the first A is followed by noise, the second A by B, C: best = 3
        ("d", at(0), "A"), ("d", at(0, 1), "noise"), ("d", at(0, 2), "A"), ("d", at(0, 3), "B"), ("d", at(0, 4), "C"),
    ])
    f = fn.funnel(ev, ["A", "B", "C"], window="1d", order="strict", as_of=AS_OF)
    # step 1: a b c d = 4; step 2: a c d = 3; step 3: a d = 2
    assert users(f) == [4, 3, 2]
    ordered = fn.funnel(ev, ["A", "B", "C"], window="1d", order="ordered", as_of=AS_OF)
    assert users(ordered) == [4, 4, 3]  # ordered ignores the noise: b reaches B, c reaches C


def test_strict_orders_ties_by_funnel_step():
    # B logged in the same second as A (and "noise" too): funnel order puts A, B first, so it counts.
    ev = log([("a", at(0), "noise"), ("a", at(0), "B"), ("a", at(0), "A")])
    f = fn.funnel(ev, ["A", "B"], window="1h", order="strict", as_of=AS_OF)
    assert users(f) == [1, 1]


def test_unordered_accepts_any_order_within_window_of_first():
    ev = log([
        ("a", at(0), "C"), ("a", at(0, 5), "B"), ("a", at(0, 9), "A"),  # all three within 9h of C: 3
        ("b", at(0), "B"), ("b", at(0, 1), "C"),  # B and C but never A: steps 1..k need A, so not counted at A?
        ("c", at(0), "A"), ("c", at(3), "B"),  # B 3 days after A > 1d window: 1
        ("d", at(0), "B"), ("d", at(0, 1), "A"),  # A and B in any order: 2
    ])
    f = fn.funnel(ev, ["A", "B", "C"], window="1d", order="unordered", as_of=AS_OF)
    # b never did A, so it is not in step 1 (steps 1..k must all be done); step 1: a, c, d = 3
    # step 2 (A and B): a, d = 2; step 3 (A, B and C): a = 1
    assert users(f) == [3, 2, 1]
    # time to convert: a's prefix {A} complete at 9h, {A,B} also at 9h (B was at 5h), {A,B,C} at 9h -> 0;
    # d: {A} at 1h, {A,B} at 1h -> 0 -> median 0 for step 2
    assert f["median_time_to_convert"].iloc[1] == pd.Timedelta(0)


def test_unordered_rejects_duplicate_steps():
    ev = log([("a", at(0), "A")])
    with pytest.raises(ValueError, match="appears twice"):
        fn.funnel(ev, ["A", "A"], order="unordered", as_of=AS_OF)


# ---------------------------------------------------------------------------------------- the window

def test_window_is_inclusive_to_the_second():
    ev = log([
        ("a", at(0), "A"), ("a", at(14), "B"),  # exactly 14 days later: counts
        ("b", at(0), "A"), ("b", at(14, ss=1), "B"),  # 14 days and 1 second: does not
    ])
    f = fn.funnel(ev, ["A", "B"], window="14d", as_of=AS_OF)
    assert users(f) == [2, 1]
    # The window runs from step 1, not from the previous step: C 15 days after A is out even though it
    # is only 1 day after B.
    ev2 = log([("a", at(0), "A"), ("a", at(14), "B"), ("a", at(15), "C")])
    assert users(fn.funnel(ev2, ["A", "B", "C"], window=timedelta(days=14), as_of=AS_OF)) == [1, 1, 0]


# -------------------------------------------------------------------------------- attempts and ties

def test_best_attempt_is_the_furthest_then_earliest():
    ev = log([
        # attempt 1 (day 0): A, B at +1h, then nothing in 1 day -> reaches 2
        # attempt 2 (day 5): A, B at +3h, C at +4h -> reaches 3: best
        ("a", at(0), "A"), ("a", at(0, 1), "B"),
        ("a", at(5), "A"), ("a", at(5, 3), "B"), ("a", at(5, 4), "C"),
        # two attempts that both reach B: the earliest (B after 2h) is the one whose time is reported
        ("b", at(0), "A"), ("b", at(0, 2), "B"),
        ("b", at(5), "A"), ("b", at(5, 6), "B"),
    ])
    f = fn.funnel(ev, ["A", "B", "C"], window="1d", as_of=AS_OF)
    assert users(f) == [2, 2, 1]
    # step 2 times of the best attempts: a 3h (attempt 2), b 2h (its earliest attempt): median of
    # {2h, 3h} = 2.5h. Step 3: a only, 4h - 3h = 1h.
    assert f["median_time_to_convert"].tolist()[1:] == [pd.Timedelta(hours=2.5), pd.Timedelta(hours=1)]
    assert pd.isna(f["median_time_to_convert"].iloc[0])


def test_later_step_one_restarts_but_greedy_keeps_the_earliest_b():
    # A(0h) A(2h) B(3h) C(30h), window 1d: from A(0h): B 3h, C 30h > 24h -> 2; from A(2h): B 3h,
    # C 30h - 2h = 28h > 24h -> 2. Best: 2, earliest attempt (0h): time to B = 3h.
    ev = log([("a", at(0), "A"), ("a", at(0, 2), "A"), ("a", at(0, 3), "B"), ("a", at(1, 6), "C")])
    f = fn.funnel(ev, ["A", "B", "C"], window="1d", as_of=AS_OF)
    assert users(f) == [1, 1, 0]
    assert f["median_time_to_convert"].iloc[1] == pd.Timedelta(hours=3)


def test_same_instant_ties():
    ev = log([
        # subscription and first payment in the same second: different events, so it counts
        ("a", at(0), "subscribe"), ("a", at(0), "pay"),
        # the same event cannot be two steps: one pay only reaches step 1 of pay -> pay
        ("b", at(0), "pay"),
        ("c", at(0), "pay"), ("c", at(0), "pay"), ("c", at(1), "pay"),  # two pays at once count once; the next day's counts
    ])
    assert users(fn.funnel(ev, ["subscribe", "pay"], window="1d", as_of=AS_OF)) == [1, 1]
    # pay -> pay: a (one pay) 1, b 1, c: pay at 0 then pay at day 1 (exactly the window) -> 2
    assert users(fn.funnel(ev, ["pay", "pay"], window="1d", as_of=AS_OF)) == [3, 1]


# --------------------------------------------------------------------------------------- exclusions

def test_exclusions_drop_the_attempt():
    ev = log([
        ("a", at(0), "A"), ("a", at(0, 1), "X"), ("a", at(0, 2), "B"),  # X between A and B: dropped
        ("b", at(0), "A"), ("b", at(0, 2), "B"), ("b", at(0, 3), "X"),  # X after the last step: kept, 2
        ("c", at(0), "A"), ("c", at(0, 5), "X"),  # never reached B, X inside the window: dropped
        ("d", at(0), "A"), ("d", at(3), "X"),  # X after the window closed: kept at step 1
        # first attempt spoiled by X, second attempt clean: counted with the second
        ("e", at(0), "A"), ("e", at(0, 1), "X"), ("e", at(5), "A"), ("e", at(5, 1), "B"),
        ("f", at(0), "X"), ("f", at(0), "A"), ("f", at(0, 1), "B"),  # X at the same instant as A is not after it
    ])
    f = fn.funnel(ev, ["A", "B"], window="1d", exclusions=["X"], as_of=AS_OF)
    # kept: b (2), d (1), e (2), f (2) -> step 1: 4, step 2: 3
    assert users(f) == [4, 3]
    # without exclusions: a, b, e, f reach B; c, d stop at A -> [6, 4]
    assert users(fn.funnel(ev, ["A", "B"], window="1d", as_of=AS_OF)) == [6, 4]


# -------------------------------------------------------------------------------------- in progress

def test_in_progress_users_are_reported_apart():
    ev = log([
        ("a", at(0), "A"), ("a", at(0, 1), "B"),  # completed long ago
        ("b", at(0), "A"),  # window closed without B: dropped
        ("c", at(9, 20), "A"),  # window (1d) open at as_of (day 10 00:00): in progress at step 1
        ("d", at(9, 20), "A"), ("d", at(9, 21), "B"),  # completed although its window is open: counted
        ("e", at(9, 20), "A"), ("e", at(10, 1), "B"),  # B after as_of is ignored: in progress
        # old closed attempt at step 1 + new open attempt: could still complete -> in progress
        ("g", at(0), "A"), ("g", at(9, 23), "A"),
    ])
    f = fn.funnel(ev, ["A", "B"], window="1d", as_of=at(10))
    # decided users: a, b, d -> step 1: 3, step 2: a, d = 2; in progress: c, e, g at step 1
    assert users(f) == [3, 2]
    assert f["in_progress"].tolist() == [3, 0]
    assert f["conversion"].iloc[1] == pytest.approx(2 / 3)


def test_as_of_defaults_to_the_day_after_the_last_event():
    # z's B (a step must occur in the data) is before the last event and z never enters the funnel
    ev = log([("a", at(0), "A"), ("b", at(4, 12), "A"), ("z", at(1), "B")])
    # as_of = day 5 00:00; b's 1d window ends day 5 12:00 -> open
    f = fn.funnel(ev, ["A", "B"], window="1d")
    assert users(f) == [1, 0] and f["in_progress"].tolist() == [1, 0]


def test_as_of_in_team_time_zone():
    # as_of 2025-01-11 in New York = 2025-01-11 05:00 UTC; an A at 2025-01-10 06:00 UTC with a 1d window
    # ends 2025-01-11 06:00 UTC > 05:00 -> still open.
    ev = log([("a", at(9, 6), "A"), ("z", at(0), "B")])  # z never enters the funnel
    ny = fn.funnel(ev, ["A", "B"], window="1d", as_of="2025-01-11", timezone="America/New_York")
    utc = fn.funnel(ev, ["A", "B"], window="1d", as_of="2025-01-11 07:00")
    assert ny["in_progress"].iloc[0] == 1 and utc["in_progress"].iloc[0] == 0


# ------------------------------------------------------------------------------ filters and segments

def test_property_filters_and_labels():
    ev = log([
        ("a", at(0), "signup"), ("a", at(0, 1), "payment", {"plan": "team"}),
        ("b", at(0), "signup"), ("b", at(0, 1), "payment", {"plan": "starter"}),
        ("c", at(0), "signup"), ("c", at(0, 1), "payment", {"plan": "starter"}), ("c", at(0, 2), "payment", {"plan": "team"}),
    ], plan=None)
    steps = ["signup", {"event": "payment", "where": {"plan": "team"}, "label": "paid team"}]
    f = fn.funnel(ev, steps, window="1d", as_of=AS_OF)
    # team payments: a (1h) and c (2h) -> 2 of 3, median time 1.5h
    assert users(f) == [3, 2]
    assert f["event"].tolist() == ["signup", "paid team"]
    assert f["median_time_to_convert"].iloc[1] == pd.Timedelta(hours=1.5)
    with pytest.raises(ValueError, match="column 'tier'"):
        fn.funnel(ev, ["signup", {"event": "payment", "where": {"tier": "x"}}], as_of=AS_OF)


def test_segment_uses_the_value_on_the_first_step():
    ev = log([
        ("a", at(0), "A", {"platform": "ios"}), ("a", at(0, 1), "B", {"platform": "web"}),
        ("b", at(0), "A", {"platform": "ios"}),
        ("c", at(0), "A", {"platform": "web"}), ("c", at(0, 1), "B", {"platform": "web"}),
        ("d", at(0), "A"),  # no platform -> "(missing)"
    ], platform=None)
    f = fn.funnel(ev, ["A", "B"], window="1d", segment="platform", as_of=AS_OF)
    got = {(r.segment, r.step): r.users for r in f.itertuples()}
    # ios: a, b enter; a converts (its B is on web, but the segment is read on step 1)
    assert got == {("(missing)", 1): 1, ("(missing)", 2): 0, ("ios", 1): 2, ("ios", 2): 1,
                   ("web", 1): 1, ("web", 2): 1}
    assert list(f.columns[:2]) == ["segment", "step"]


def test_median_time_to_convert_odd_count():
    ev = log([("u1", at(0), "A"), ("u1", at(0, 1), "B"),
              ("u2", at(0), "A"), ("u2", at(0, 5), "B"),
              ("u3", at(0), "A"), ("u3", at(0, 2), "B"),
              ("u4", at(0), "A")])
    f = fn.funnel(ev, ["A", "B"], window="1d", as_of=AS_OF)
    # times 1h, 5h, 2h -> median 2h (u4 did not convert and does not count)
    assert f["median_time_to_convert"].iloc[1] == pd.Timedelta(hours=2)


# ------------------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("kwargs, message", [
    ({"order": "loose"}, "order must be one of"),
    ({"segment": "nope"}, "segment 'nope'"),
    ({"window": "fortnight"}, "cannot read duration"),
    ({"steps": ["A"]}, "at least two steps"),
    ({"steps": "A"}, "must be a list"),
    ({"steps": [{"name": "A"}, "B"]}, r"steps\[0\]"),
    ({"as_of": "not a date"}, "as_of must be a date"),
])
def test_bad_arguments_fail_clearly(kwargs, message):
    ev = log([("a", at(0), "A")])
    args = {"steps": ["A", "B"], "as_of": AS_OF, **kwargs}
    with pytest.raises(ValueError, match=message):
        fn.funnel(ev, **args)


def test_exclusions_given_as_one_string_are_one_event():
    ev = log([("a", at(0), "A"), ("a", at(0, 1), "cancelled"), ("a", at(0, 2), "B"),
              ("b", at(0), "A"), ("b", at(0, 2), "B"), ("c", at(0), "c")])  # an event named like a letter
    as_list = fn.funnel(ev, ["A", "B"], window="1d", exclusions=["cancelled"], as_of=AS_OF)
    as_text = fn.funnel(ev, ["A", "B"], window="1d", exclusions="cancelled", as_of=AS_OF)
    assert users(as_text) == users(as_list) == [1, 1]  # a dropped; not read as 'c', 'a', 'n', ...
    t = fn.time_to_convert(ev, "A", "B", window="1d", exclusions="cancelled", as_of=AS_OF)
    assert t.quantiles["users"].iloc[0] == 1
    with pytest.raises(ValueError, match=r"exclusions\[0\] must be an event name"):
        fn.funnel(ev, ["A", "B"], exclusions=[None], as_of=AS_OF)


def test_an_exclusion_that_is_a_step_is_refused():
    ev = log([("a", at(0), "A"), ("a", at(0, 1), "B")])
    with pytest.raises(ValueError) as err:
        fn.funnel(ev, ["A", "B"], window="1d", exclusions=["B"], as_of=AS_OF)
    msg = str(err.value)
    assert "exclusions: 'B' is also step 2" in msg and "Fix: remove 'B' from the exclusions" in msg
    with pytest.raises(ValueError, match="'A' is also step 1"):
        fn.conversion_over_time(ev, ["A", "B"], window="1d", exclusions="A", as_of=AS_OF)


def test_a_step_or_exclusion_missing_from_the_data_names_the_closest_events():
    ev = log([("a", at(0), "signup"), ("a", at(0, 1), "project_created"), ("a", at(0, 2), "subscription_cancelled")])
    with pytest.raises(ValueError) as err:
        fn.funnel(ev, ["signup", "project_create"], window="1d", as_of=AS_OF)
    msg = str(err.value)
    assert "steps[1]: event 'project_create' never occurs" in msg
    assert "closest existing events: project_created" in msg and "Fix:" in msg
    with pytest.raises(ValueError, match=r"exclusions\[0\]: event 'subscription_canceled' never occurs.*"
                                         r"subscription_cancelled"):
        fn.funnel(ev, ["signup", "project_created"], exclusions="subscription_canceled", as_of=AS_OF)
    with pytest.raises(ValueError, match=r"steps\[0\]: event 'nothing_like_it'.*existing events include"):
        fn.time_to_convert(ev, "nothing_like_it", "signup", as_of=AS_OF)


def test_a_where_value_missing_from_the_data_lists_the_values_that_occur():
    rows = [("a", at(0), "signup", {"plan": "free"}), ("a", at(0, 1), "payment", {"plan": "team"}),
            ("b", at(0), "signup", {"plan": "enterprise"}),  # occurs, but not on payment
            ("b", at(0, 1), "payment", {"plan": "starter"}), ("c", at(0, 1), "payment", {"plan": "starter"})]
    rows += [(f"u{i}", at(1), "payment", {"plan": f"p{i:02d}"}) for i in range(15)]  # many other values
    ev = log(rows, plan=None)
    with pytest.raises(ValueError) as err:
        fn.funnel(ev, ["signup", {"event": "payment", "where": {"plan": "enterprise"}}], window="1d", as_of=AS_OF)
    msg = str(err.value)
    assert "steps[1].where: plan = 'enterprise' never occurs on event 'payment'" in msg
    assert "'starter', 'p00'" in msg and ", ..." in msg and "Fix:" in msg  # most frequent first, capped
    assert msg.count("'p") <= 10
    few = log(rows[:5], plan=None)
    with pytest.raises(ValueError, match="did you mean 'team'"):
        fn.funnel(few, ["signup", {"event": "payment", "where": {"plan": "teams"}}], window="1d", as_of=AS_OF)
    # a value that occurs is fine, and so is a filter on the first step
    f = fn.funnel(ev, [{"event": "signup", "where": {"plan": "free"}}, {"event": "payment", "where": {"plan": "team"}}],
                  window="1d", as_of=AS_OF)
    assert users(f) == [1, 1]


# ------------------------------------------------------------------------ time to convert, over time

def test_time_to_convert_quantiles_and_bins():
    ev = log([("u1", at(0), "A"), ("u1", at(0, 0, 30), "B"),  # 0.5h
              ("u2", at(0), "A"), ("u2", at(0, 2), "B"),  # 2h
              ("u3", at(0), "A"), ("u3", at(2), "B"),  # 48h
              ("u4", at(0), "A")])
    t = fn.time_to_convert(ev, "A", "B", window="7d", as_of=AS_OF)
    q = t.quantiles.iloc[0]
    assert q["users"] == 3 and q["median_hours"] == pytest.approx(2.0)
    assert q["mean_hours"] == pytest.approx((0.5 + 2 + 48) / 3)
    h = t.histogram.set_index("bin")["users"]
    # bins: 15min-1h holds 0.5h, 1h-3h holds 2h, 2d-3d holds 48h (bins are closed on the left); the last
    # bin ends at the window (7d)
    assert h["15min-1h"] == 1 and h["1h-3h"] == 1 and h["2d-3d"] == 1 and h.sum() == 3
    assert t.histogram["bin"].iloc[-1] == "6d-7d"
    assert t.histogram["bin_end_hours"].iloc[-1] == 7 * 24
    assert t.histogram["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_conversion_over_time_by_entry_week_with_completeness():
    ev = log([
        ("a", "2025-01-06 10:00", "A"), ("a", "2025-01-07 10:00", "B"),  # week of Jan 6: converted
        ("b", "2025-01-08 10:00", "A"),  # week of Jan 6: dropped
        ("c", "2025-01-13 10:00", "A"), ("c", "2025-01-13 11:00", "B"),  # week of Jan 13
        ("d", "2025-01-16 10:00", "A"),  # week of Jan 13, window (7d) open at as_of Jan 20
    ])
    out = fn.conversion_over_time(ev, ["A", "B"], window="7d", as_of="2025-01-20")
    assert out["period"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-06", "2025-01-13"]
    assert out["users"].tolist() == [2, 1] and out["converted"].tolist() == [1, 1]
    assert out["in_progress"].tolist() == [0, 1]
    # week of Jan 6 + 7 days + 7-day window = Jan 20 <= as_of: complete, rate 1/2
    assert out["complete"].tolist() == [True, False]
    assert out["rate"].iloc[0] == 0.5 and pd.isna(out["rate"].iloc[1])
    sunday = fn.conversion_over_time(ev, ["A", "B"], window="7d", as_of="2025-01-20", week_start="sunday")
    assert sunday["period"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-05", "2025-01-12"]


def test_describe_names_the_biggest_leak():
    ev = log([("a", at(0), "A"), ("a", at(0, 1), "B"), ("a", at(0, 2), "C"),
              ("b", at(0), "A"), ("b", at(0, 1), "B"), ("c", at(0), "A"), ("c", at(0, 1), "B"),
              ("d", at(0), "A")])
    f = fn.funnel(ev, ["A", "B", "C"], window="1d", as_of=AS_OF)
    # A->B 3/4 = 75%, B->C 1/3 = 33%: the leak is B -> C
    assert fn.biggest_drop(f)["event"] == "C"
    assert "B -> C" in funnel_finding(f, "1d") and "33.3%" in funnel_finding(f, "1d")


# --------------------------------------------------------------------- brute-force cross-check

def _reference(rows, steps, window, order, exclusions, as_of):
    """A direct, loop-based reading of the rules in the module docstring (for tiny logs only)."""
    n, w = len(steps), pd.Timedelta(parse_duration(window))
    cutoff = pd.Timestamp(as_of)
    by_user = {}
    for u, t, e in rows:
        if pd.Timestamp(t) < cutoff:
            by_user.setdefault(u, []).append((pd.Timestamp(t), e))
    out = {}
    for u, evs in by_user.items():
        attempts = []  # (furthest, start, c list, open)
        if order == "strict":
            rank = {e: min([i for i, s in enumerate(steps) if s == e], default=n) for _, e in evs}
            seq = sorted(evs, key=lambda x: (x[0], rank[x[1]], x[1]))
            for i, (t0, e) in enumerate(seq):
                if e != steps[0]:
                    continue
                cs = [t0]
                for k in range(1, n):
                    j = i + k
                    if j < len(seq) and seq[j][1] == steps[k] and seq[j][0] <= t0 + w:
                        cs.append(seq[j][0])
                    else:
                        break
                nx = min([seq[j][0] for j in range(i + 1, len(seq)) if seq[j][1] in exclusions], default=None)
                attempts.append((cs, t0, nx))
        else:
            instants = sorted({t for t, _ in evs})
            at_t = {t: {e for tt, e in evs if tt == t} for t in instants}
            starts = [t for t in instants if (steps[0] in at_t[t] if order == "ordered"
                                               else at_t[t] & set(steps))]
            for t0 in starts:
                cs = []
                if order == "ordered":
                    cs = [t0]
                    for k in range(1, n):
                        strict_after = steps[k] == steps[k - 1]
                        cand = [t for t in instants if steps[k] in at_t[t] and t <= t0 + w and
                                (t > cs[-1] if strict_after else t >= cs[-1])]
                        if not cand:
                            break
                        cs.append(min(cand))
                else:
                    done = None
                    for k in range(n):
                        cand = [t for t in instants if steps[k] in at_t[t] and t0 <= t <= t0 + w]
                        if not cand:
                            break
                        done = min(cand) if done is None else max(done, min(cand))
                        cs.append(done)
                nx = min([t for t in instants if t > t0 and at_t[t] & set(exclusions)], default=None)
                attempts.append((cs, t0, nx))
        valid = []
        for cs, t0, nx in attempts:
            if nx is not None:
                if len(cs) == n and nx < cs[-1]:
                    continue
                if len(cs) < n and nx <= t0 + w:
                    continue
            valid.append((len(cs), t0, cs))
        if not valid:
            continue
        best = sorted(valid, key=lambda a: (-a[0], a[1]))[0]
        reach = best[0]
        in_prog = reach < n and any(f < n and t0 + w > cutoff for f, t0, _ in valid)
        out[u] = (reach, in_prog)
    users_k = [sum(1 for r, p in out.values() if r >= k and not p) for k in range(1, n + 1)]
    prog_k = [sum(1 for r, p in out.values() if r >= k and p) for k in range(1, n + 1)]
    return users_k, prog_k


@pytest.mark.parametrize("order", ["ordered", "strict", "unordered"])
def test_matches_brute_force_on_random_logs(order):
    rng = random.Random(7)
    rows = []
    for u in range(60):
        for _ in range(rng.randint(1, 9)):
            # coarse times (whole hours) so that ties and exact window edges happen
            rows.append((f"u{u}", str(T0 + pd.Timedelta(hours=rng.randint(0, 24 * 6))),
                         rng.choice(["A", "A", "B", "B", "C", "X", "noise"])))
    ev = log(rows)
    as_of = str(T0 + pd.Timedelta(days=5))
    for steps, excl in ((["A", "B", "C"], []), (["A", "B", "C"], ["X"]), (["B", "A"], ["X"])):
        got = fn.funnel(ev, steps, window="2d", order=order, exclusions=excl, as_of=as_of)
        want_users, want_prog = _reference(rows, steps, "2d", order, excl, as_of)
        assert users(got) == want_users, (steps, excl)
        assert got["in_progress"].tolist() == want_prog, (steps, excl)
    if order == "ordered":
        got = fn.funnel(ev, ["A", "A", "B"], window="2d", order=order, as_of=as_of)
        assert users(got) == _reference(rows, ["A", "A", "B"], "2d", order, [], as_of)[0]


# ------------------------------------------------------------------------------------ the sample

def test_sample_journey_funnel_runs_and_is_monotone():
    from pmplaybook import config, data

    if not (config.DATA_DIR / "events.parquet").exists():
        pytest.skip("sample data not generated yet")
    params = config.load_params("growth")
    ds = data.connect(params)
    f = fn.funnel(ds.events, fn.steps_from_params(params), window=params.funnel.window, as_of=ds.as_of)
    assert f["users"].is_monotonic_decreasing and f["users"].iloc[0] > 1000
    assert 0 < f["conversion"].iloc[-1] < 1


def test_funnel_builder_widget_runs():
    from pmplaybook.widgets.aarrr import funnel_builder

    ev = log([("a", at(0), "A"), ("a", at(0, 1), "B"), ("b", at(0), "A")], platform="web")
    box = funnel_builder(ev, ["A", "B"], window="1d", segments=["platform"], as_of=AS_OF)
    steps, run, view = box.children[1].children[1], box.children[4], box.children[5]
    assert list(steps.value) == ["A", "B"]
    run.click()
    assert box.table["users"].tolist() == [2, 1]
    assert "<svg" in view.value and "Cannot" not in view.value
    box.children[3].children[0].value = "forever"  # a bad window: the reason shows in the widget
    run.click()
    assert "Cannot compute this view" in view.value


def test_a_where_value_is_read_in_its_columns_type():
    """YAML reads `plan: 5` as a number: it is compared as the text "5"; a value that cannot be the column's
    type is refused by name instead of an ibis type error."""
    from pmplaybook.data import load_events

    t = load_events(pd.DataFrame({"user_id": ["a", "b"], "timestamp": ["2025-03-01", "2025-03-01"],
                                  "event": ["signup", "signup"], "plan": ["5", "pro"], "revenue": [1.0, 2.0]}))
    out = fn.funnel(t, [{"event": "signup", "where": {"plan": 5}}, "signup"], window="1d", as_of="2025-03-05",
                    order="unordered")
    assert out["users"].tolist()[0] == 1
    with pytest.raises(ValueError, match="revenue = 'abc' cannot be compared with column 'revenue', which holds float64"):
        fn.funnel(t, [{"event": "signup", "where": {"revenue": "abc"}}, "signup"], window="1d", as_of="2025-03-05")

# ------------------------------------------------------------------------------------------- skew

@pytest.mark.parametrize("order", ["ordered", "strict", "unordered"])
def test_a_heavy_user_s_repeats_of_a_passed_step_change_nothing(order):
    # A bot completes A > B > C, then logs C 200,000 more times (every 10 s for 23 days), and logs its
    # first A 1,000 times at the same instant: repeats of a step it has already passed, and events at one
    # instant that count once. The funnel must be exactly the one of the log without those repeats, for
    # the normal users (random, with exclusions) and for the bot; and that one must match the brute force.
    # The unordered lookups partition users' instants by time buckets of 8 days (4 windows) from the epoch:
    # the bot's A is an hour before the edge of 2025-01-08, its B and C after it, and its repeats span
    # several buckets.
    rng = random.Random(11)
    rows = []
    for u in range(40):
        for _ in range(rng.randint(1, 8)):
            rows.append((f"u{u}", T0 + pd.Timedelta(hours=rng.randint(0, 24 * 20)),
                         rng.choice(["A", "A", "B", "B", "C", "X", "noise"])))
    start = pd.Timestamp("2025-01-07 23:00")
    bot = [("bot", start, "A"), ("bot", start + pd.Timedelta(hours=1), "B"),
           ("bot", start + pd.Timedelta(hours=2), "C")]
    repeats = pd.DataFrame({"user_id": "bot", "event": "C",
                            "timestamp": start + pd.Timedelta(hours=3) + pd.to_timedelta([10 * i for i in range(200_000)], unit="s")})
    same_instant = pd.DataFrame({"user_id": "bot", "event": "A", "timestamp": [start] * 1_000})
    base = pd.DataFrame(rows + bot, columns=["user_id", "timestamp", "event"])
    heavy = pd.concat([base, repeats, same_instant], ignore_index=True)
    as_of = str(T0 + pd.Timedelta(days=40))
    for steps, excl in ((["A", "B", "C"], ["X"]), (["A", "B", "C"], [])):
        want = fn.funnel(load_events(base), steps, window="2d", order=order, exclusions=excl, as_of=as_of)
        got = fn.funnel(load_events(heavy), steps, window="2d", order=order, exclusions=excl, as_of=as_of)
        pd.testing.assert_frame_equal(got, want)
        reference = _reference([(u, str(t), e) for u, t, e in rows + bot], steps, "2d", order, excl, as_of)
        assert (users(want), want["in_progress"].tolist()) == reference, (steps, excl)
