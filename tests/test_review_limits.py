"""The weekly review's numbers, worked out by hand: XmR process limits and the WBR 6-12 chart."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pmplaybook.review.limits import process_limits
from pmplaybook.review.wbr import six_twelve

NAN = float("nan")


def _same(a, b) -> bool:
    """Equal floats, or both missing."""
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


def _column(frame, name) -> list:
    return frame[name].tolist()


# --------------------------------------------------------------------------------------- process limits


def test_limits_by_hand():
    # values 4, 6, 5, 7, 8: center = 30 / 5 = 6
    # moving ranges |6-4|, |5-6|, |7-5|, |8-7| = 2, 1, 2, 1: average = 6 / 4 = 1.5
    # limits = 6 -/+ 2.66 * 1.5 = 6 -/+ 3.99 = 2.01, 9.99; every value inside, no run
    chart = process_limits([4, 6, 5, 7, 8])
    assert list(chart.columns) == ["value", "center", "moving_range", "lower", "upper", "signal"]
    assert _column(chart, "value") == [4, 6, 5, 7, 8]
    assert _column(chart, "center") == pytest.approx([6] * 5)
    assert all(_same(a, b) for a, b in zip(_column(chart, "moving_range"), [NAN, 2, 1, 2, 1]))
    assert _column(chart, "lower") == pytest.approx([2.01] * 5)
    assert _column(chart, "upper") == pytest.approx([9.99] * 5)
    assert _column(chart, "signal") == [""] * 5
    assert chart.attrs == {"baseline": 5, "average_moving_range": 1.5, "d2": 1.128, "e2": 2.66}
    # 2.66 is 3 / d2 rounded, as Wheeler prints it
    assert 3 / chart.attrs["d2"] == pytest.approx(chart.attrs["e2"], abs=5e-3)


def test_a_point_outside_and_one_on_the_limit():
    # all points: 5, 5, 6, 5, 5, 6, 5, 20: center = 57 / 8 = 7.125
    # moving ranges 0, 1, 1, 0, 1, 1, 15: average = 19 / 7 = 2.7142857
    # upper = 7.125 + 2.66 * 2.7142857 = 7.125 + 7.22 = 14.345 < 20: the last point is outside
    chart = process_limits([5, 5, 6, 5, 5, 6, 5, 20])
    assert chart["upper"].iloc[0] == pytest.approx(7.125 + 2.66 * 19 / 7)
    assert chart["lower"].iloc[0] == pytest.approx(7.125 - 2.66 * 19 / 7)
    assert _column(chart, "signal") == [""] * 7 + ["outside"]
    # a flat baseline 5, 5, 5: center 5, average moving range 0, so both limits are 5: a value exactly on a
    # limit (5) is not outside, one beyond it on either side (6, 4) is
    flat = process_limits([5, 5, 5, 5, 6, 4], baseline=3)
    assert (flat["lower"].iloc[0], flat["upper"].iloc[0]) == (5, 5)
    assert _column(flat, "signal") == ["", "", "", "", "outside", "outside"]


# the baseline 14, 10, 14, 10, 14, 10, 14, 10 alternates around center 12 (no run), every moving range is 4,
# so the limits are 12 -/+ 2.66 * 4 = 12 -/+ 10.64 = 1.36, 22.64, and the halfway points 6.68 and 17.32
ZIGZAG = [14, 10, 14, 10, 14, 10, 14, 10]


def test_a_run_of_eight_above_labels_the_eighth_and_later():
    chart = process_limits(ZIGZAG + [13] * 9, baseline=8)
    assert (chart["lower"].iloc[0], chart["upper"].iloc[0]) == (pytest.approx(1.36), pytest.approx(22.64))
    # the baseline ends below the center, so the run above starts at the first 13: its 8th and 9th values
    assert _column(chart, "signal") == [""] * 8 + [""] * 7 + ["run", "run"]
    # the same below the center
    below = process_limits([10, 14] * 4 + [11] * 8, baseline=8)
    assert _column(below, "signal") == [""] * 15 + ["run"]


def test_a_value_on_the_center_breaks_a_run():
    # 7 values above, one exactly on the center (12), 7 above again: two runs of 7, no signal
    chart = process_limits(ZIGZAG + [13] * 7 + [12] + [13] * 7, baseline=8)
    assert chart["center"].iloc[0] == 12
    assert _column(chart, "signal") == [""] * 23
    # one more value above makes the second run 8 long
    longer = process_limits(ZIGZAG + [13] * 7 + [12] + [13] * 8, baseline=8)
    assert _column(longer, "signal") == [""] * 23 + ["run"]


def test_an_outside_value_counts_in_a_run_and_keeps_its_label():
    # 7 values at 13, then 30 (> 22.64, outside, the run's 8th), then 13 (the 9th)
    chart = process_limits(ZIGZAG + [13] * 7 + [30, 13], baseline=8)
    assert _column(chart, "signal")[-3:] == ["", "outside", "run"]


def test_a_baseline_shorter_than_the_series():
    # limits from the first 6 values 10, 12, 11, 13, 12, 11: center = 69 / 6 = 11.5, moving ranges
    # 2, 1, 2, 1, 1 average 7 / 5 = 1.4, limits 11.5 -/+ 2.66 * 1.4 = 11.5 -/+ 3.724 = 7.776, 15.224.
    # The later values do not move them: 25 and 3 are outside, 11.5 (on the center) is not.
    chart = process_limits([10, 12, 11, 13, 12, 11, 25, 3, 11.5], baseline=6)
    assert _column(chart, "center") == pytest.approx([11.5] * 9)
    assert _column(chart, "lower") == pytest.approx([7.776] * 9)
    assert _column(chart, "upper") == pytest.approx([15.224] * 9)
    # moving ranges go on past the baseline: |25-11| = 14, |3-25| = 22, |11.5-3| = 8.5
    assert _column(chart, "moving_range")[6:] == [14, 22, 8.5]
    assert _column(chart, "signal") == [""] * 6 + ["outside", "outside", ""]
    assert chart.attrs["baseline"] == 6 and chart.attrs["average_moving_range"] == pytest.approx(1.4)
    # with every value in the baseline the jump widens the limits: center = (69 + 25 + 3 + 11.5) / 9
    wide = process_limits([10, 12, 11, 13, 12, 11, 25, 3, 11.5])
    assert wide["center"].iloc[0] == pytest.approx(108.5 / 9)


def test_missing_values_keep_their_row_and_are_skipped():
    # 4, NaN, 6, 5, None, 7, 8 gives the limits of 4, 6, 5, 7, 8 (center 6, average moving range 1.5);
    # the moving range after a gap is taken from the last value before it (|6-4| = 2, |7-5| = 2)
    chart = process_limits([4, NAN, 6, 5, None, 7, 8])
    assert chart["center"].iloc[0] == 6 and chart.attrs["average_moving_range"] == 1.5
    assert all(_same(a, b) for a, b in zip(_column(chart, "moving_range"), [NAN, NAN, 2, 1, NAN, 2, 1]))
    assert math.isnan(chart["value"].iloc[1]) and _column(chart, "signal") == [""] * 7
    # the baseline counts non-missing values: baseline=3 is 4, 6, 5: center 5, moving ranges 2, 1 -> 1.5
    first3 = process_limits([4, NAN, 6, 5, None, 7, 8], baseline=3)
    assert first3["center"].iloc[0] == 5 and first3["upper"].iloc[0] == pytest.approx(5 + 3.99)
    # a missing week neither ends nor extends a run: 4 above, NaN, 4 above is a run of 8
    run = process_limits(ZIGZAG + [13] * 4 + [NAN] + [13] * 4, baseline=8)
    assert _column(run, "signal") == [""] * 16 + ["run"]


def test_a_series_keeps_its_index_as_period():
    weeks = pd.date_range("2025-01-06", periods=5, freq="7D", name="week")
    chart = process_limits(pd.Series([4, 6, pd.NA, 7, 8], index=weeks, dtype="Float64"))
    assert list(chart.columns) == ["period", "value", "center", "moving_range", "lower", "upper", "signal"]
    assert list(chart["period"]) == list(weeks)
    # 4, 6, 7, 8: center 25 / 4 = 6.25, moving ranges 2, 1, 1 -> 4 / 3
    assert chart["center"].iloc[0] == pytest.approx(6.25)
    assert chart.attrs["average_moving_range"] == pytest.approx(4 / 3)
    # a RangeIndex is positions, not periods: no period column
    assert "period" not in process_limits(pd.Series([1.0, 2.0, 3.0])).columns


def test_three_of_four_near_a_limit():
    # against the ZIGZAG limits the halfway points are 12 + 10.64 / 2 = 17.32 and 12 - 5.32 = 6.68
    values = ZIGZAG + [18, 12.5, 18, 18, 12, 6, 6, 12, 6]
    # 18, 12.5, 18: two of the last four beyond 17.32; the next 18 makes three of four: labelled.
    # 6, 6, then 12 (not in the zone, never labelled), then 6: the last four 6, 6, 12, 6 -> labelled
    chart = process_limits(values, baseline=8, three_of_four=True)
    assert _column(chart, "signal")[8:] == ["", "", "", "three_of_four", "", "", "", "", "three_of_four"]
    # off by default
    assert _column(process_limits(values, baseline=8), "signal") == [""] * len(values)
    # an outside value is in the zone (closer to the limit than to the center) but keeps its label
    outside = process_limits(ZIGZAG + [18, 18, 25, 18], baseline=8, three_of_four=True)
    assert _column(outside, "signal")[8:] == ["", "", "outside", "three_of_four"]
    # at the very start, three of the first three count:
    # 19, 19, 19, then 10, 14 four times, then 10: center = (3 x 19 + 4 x 24 + 10) / 12 = 163 / 12 = 13.583
    # moving ranges 0, 0, 9, then eight of 4: average 41 / 11 = 3.727; upper = 13.583 + 2.66 x 3.727 = 23.50
    # (19 is inside), halfway = 13.583 + 1.33 x 3.727 = 18.54 (19 is beyond it)
    start = process_limits([19, 19, 19] + [10, 14] * 4 + [10], three_of_four=True)
    assert start["upper"].iloc[0] == pytest.approx(163 / 12 + 2.66 * 41 / 11)
    assert _column(start, "signal") == ["", "", "three_of_four"] + [""] * 9


def test_argument_errors_name_the_argument_and_the_fix():
    with pytest.raises(ValueError, match=r"baseline=1 is outside 2\.\.3.*Fix"):
        process_limits([1, 2, 3], baseline=1)
    with pytest.raises(ValueError, match=r"baseline=4 is outside 2\.\.3"):
        process_limits([1, 2, NAN, 3], baseline=4)  # 3 non-missing values, not 4
    with pytest.raises(ValueError, match="baseline=2.5 is not a whole number"):
        process_limits([1, 2, 3], baseline=2.5)
    with pytest.raises(ValueError, match="baseline=True is not a whole number"):
        process_limits([1, 2, 3], baseline=True)
    with pytest.raises(ValueError, match="values: 1 non-missing value"):
        process_limits([1, NAN])
    with pytest.raises(ValueError, match="values: 'x' is not a number.*Fix"):
        process_limits([1, "x", 3])
    with pytest.raises(ValueError, match="values: expected a pandas Series.*DataFrame"):
        process_limits(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ValueError, match="values: infinite"):
        process_limits([1, 2, float("inf")])


def _weekly_series() -> pd.Series:
    """52 weeks of sign-ups: stable around 1,000 for half a year, a one-week spike, a missing week, then
    a step up of about 70 a week (a new channel) that the limits of the first 26 weeks should catch."""
    rng = np.random.default_rng(1)
    values = 1000 + rng.normal(0, 25, 52).round()
    values[10] += 160  # a launch-day spike
    values[26:] += 70
    values[33] = np.nan  # a week the pipeline lost
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=52, freq="7D"))


def _xmr_by_loops(values: list, baseline: int) -> tuple[float, float, float, list]:
    """The XmR chart with plain loops, written from the rules, not from the module's code."""
    kept = [v for v in values if not math.isnan(v)]
    center = sum(kept[:baseline]) / baseline
    ranges = [abs(kept[i] - kept[i - 1]) for i in range(1, baseline)]
    mr_bar = sum(ranges) / len(ranges)
    lower, upper = center - 2.66 * mr_bar, center + 2.66 * mr_bar
    half_up, half_down = (center + upper) / 2, (center + lower) / 2
    labels = []
    seen = []  # non-missing values so far
    for v in values:
        if math.isnan(v):
            labels.append("")
            continue
        seen.append(v)
        last8 = seen[-8:]
        last4 = seen[-4:]
        if v > upper or v < lower:
            labels.append("outside")
        elif len(last8) == 8 and (all(u > center for u in last8) or all(u < center for u in last8)):
            labels.append("run")
        elif ((v > half_up and sum(u > half_up for u in last4) >= 3)
              or (v < half_down and sum(u < half_down for u in last4) >= 3)):
            labels.append("three_of_four")
        else:
            labels.append("")
    return center, lower, upper, labels


def test_a_year_of_weeks_matches_an_independent_computation():
    series = _weekly_series()
    chart = process_limits(series, baseline=26, three_of_four=True)
    center, lower, upper, labels = _xmr_by_loops(series.tolist(), 26)
    assert len(chart) == 52 and list(chart["period"]) == list(series.index)
    assert chart["center"].iloc[0] == pytest.approx(center)
    assert chart["lower"].iloc[0] == pytest.approx(lower)
    assert chart["upper"].iloc[0] == pytest.approx(upper)
    assert _column(chart, "signal") == labels
    # the comparison exercises every rule: the spike, the step's run and its cluster near the limit
    assert {"outside", "run", "three_of_four"} <= set(labels)
    assert labels[10] == "outside" and labels[33] == ""
    # moving ranges by loop, with the missing week skipped
    previous, expected = None, []
    for v in series.tolist():
        if math.isnan(v):
            expected.append(NAN)
            continue
        expected.append(NAN if previous is None else abs(v - previous))
        previous = v
    assert all(_same(a, b) for a, b in zip(_column(chart, "moving_range"), expected))


# ------------------------------------------------------------------------------------------ WBR 6-12


def _daily(start, end, numerator, denominator=1) -> pd.DataFrame:
    days = pd.date_range(start, end)
    num = [numerator(d) for d in days] if callable(numerator) else numerator
    den = [denominator(d) for d in days] if callable(denominator) else denominator
    return pd.DataFrame({"date": days, "numerator": num, "denominator": den})


def _sign_ups() -> pd.DataFrame:
    """A count KPI over 14+ months: 1 a day in 2024, 2 a day in 2025, and 5 more on Wednesday 2025-03-05.
    The data run from Monday 2024-01-01 to Sunday 2025-03-09, so as_of defaults to Monday 2025-03-10."""
    return _daily("2024-01-01", "2025-03-09",
                  lambda d: (1 if d.year == 2024 else 2) + (5 if d == pd.Timestamp("2025-03-05") else 0))


def test_weeks_with_a_prior_year():
    wbr = six_twelve(_sign_ups())
    assert wbr["as_of"] == pd.Timestamp("2025-03-10")
    weeks = wbr["weeks"]
    assert list(weeks.columns) == ["period", "value", "numerator", "denominator", "prior_year_value"]
    # the six complete ISO weeks before Monday 2025-03-10: Mondays 2025-01-27 ... 2025-03-03
    assert list(weeks["period"]) == list(pd.date_range("2025-01-27", periods=6, freq="7D"))
    # 7 days x 2 = 14; the last week 14 + 5 = 19; denominator 1 a day = 7 days
    assert _column(weeks, "value") == [14, 14, 14, 14, 14, 19]
    assert _column(weeks, "numerator") == [14, 14, 14, 14, 14, 19]
    assert _column(weeks, "denominator") == [7] * 6
    # 52 weeks earlier (2024-01-29 ... 2024-03-04, Mondays too): 7 days x 1
    assert _column(weeks, "prior_year_value") == [7] * 6


def test_a_week_across_new_year_and_a_prior_year_the_data_do_not_reach():
    wbr = six_twelve(_sign_ups(), as_of="2025-01-06")
    # the last complete week, Mon 2024-12-30 ... Sun 2025-01-05: 2 days x 1 + 5 days x 2 = 12
    assert wbr["weeks"]["period"].iloc[-1] == pd.Timestamp("2024-12-30")
    assert wbr["weeks"]["value"].iloc[-1] == 12
    # 52 weeks earlier is Mon 2024-01-01 ... Sun 2024-01-07, the first week of data: 7
    assert wbr["weeks"]["prior_year_value"].iloc[-1] == 7
    yoy = wbr["boxes"].set_index("box").loc["yoy"]
    assert yoy["change"] == pytest.approx(12 / 7 - 1)
    # starting on Wednesday 2024-01-03, the data cover that prior-year week only in part: NaN, not 5
    later = six_twelve(_sign_ups().iloc[2:], as_of="2025-01-06")
    assert math.isnan(later["weeks"]["prior_year_value"].iloc[-1])
    yoy = later["boxes"].set_index("box").loc["yoy"]
    assert math.isnan(yoy["prior_value"]) and math.isnan(yoy["change"])
    # rows on or after as_of are ignored: the week before is 2024-12-23 ... 2024-12-29, 7 x 1
    assert wbr["boxes"].set_index("box").loc["wow", "prior_value"] == 7


def test_months_from_their_days_with_a_prior_year():
    months = six_twelve(_sign_ups())["months"]
    # twelve complete months before 2025-03-10: March 2024 ... February 2025 (March 2025 is not complete)
    assert list(months["period"]) == list(pd.date_range("2024-03-01", periods=12, freq="MS"))
    # 2024: 1 a day, so the number of days; January 2025 31 x 2, February 2025 28 x 2
    assert _column(months, "value") == [31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 62, 56]
    # a year earlier: 2023 is before the data (NaN); January 2024 31, February 2024 29 (a leap year)
    prior = _column(months, "prior_year_value")
    assert all(math.isnan(v) for v in prior[:10]) and prior[10:] == [31, 29]


def test_boxes_for_a_count():
    boxes = six_twelve(_sign_ups())["boxes"]
    assert list(boxes.columns) == ["box", "first_day", "last_day", "value", "prior_first_day", "prior_last_day",
                                   "prior_value", "change"]
    assert list(boxes["box"]) == ["wow", "mtd", "qtd", "yoy"]
    b = boxes.set_index("box")
    # wow: week of 2025-03-03 (19) vs week of 2025-02-24 (14): 19 / 14 - 1
    assert (b.loc["wow", "value"], b.loc["wow", "prior_value"]) == (19, 14)
    assert b.loc["wow", "change"] == pytest.approx(5 / 14)
    assert b.loc["wow", "prior_first_day"] == pd.Timestamp("2025-02-24")
    # mtd: 2025-03-01 ... 03-09 (the day before as_of) = 9 x 2 + 5 = 23, vs 2024-03-01 ... 03-09 = 9
    assert (b.loc["mtd", "first_day"], b.loc["mtd", "last_day"]) == (pd.Timestamp("2025-03-01"),
                                                                     pd.Timestamp("2025-03-09"))
    assert (b.loc["mtd", "value"], b.loc["mtd", "prior_value"]) == (23, 9)
    assert b.loc["mtd", "change"] == pytest.approx(23 / 9 - 1)
    # qtd: 2025-01-01 ... 03-09 = (31 + 28 + 9) x 2 + 5 = 141, vs the same dates of 2024, a leap year:
    # 31 + 29 + 9 = 69 days x 1 = 69
    assert (b.loc["qtd", "value"], b.loc["qtd", "prior_value"]) == (141, 69)
    assert b.loc["qtd", "change"] == pytest.approx(141 / 69 - 1)
    # yoy: 19 vs the week of 2024-03-04 ... 03-10 = 7
    assert b.loc["yoy", "prior_first_day"] == pd.Timestamp("2024-03-04")
    assert (b.loc["yoy", "value"], b.loc["yoy", "prior_value"]) == (19, 7)
    assert b.loc["yoy", "change"] == pytest.approx(19 / 7 - 1)


def _checkouts() -> pd.DataFrame:
    """A rate KPI (checkout conversion) from Saturday 2025-03-01 to Sunday 2025-03-16:
    Sat 1 and Sun 2: 2 of 10; Mon 3: 50 of 100 (a promotion); Tue 4 ... Sun 9: 1 of 10;
    Mon 10 ... Sun 16: 5 of 20."""
    def num(d):
        return 2 if d.day <= 2 else 50 if d.day == 3 else 1 if d.day <= 9 else 5

    def den(d):
        return 10 if d.day <= 2 else 100 if d.day == 3 else 10 if d.day <= 9 else 20
    return _daily("2025-03-01", "2025-03-16", num, den)


def test_a_rate_is_pooled_not_the_mean_of_daily_rates():
    wbr = six_twelve(_checkouts(), kind="rate")
    weeks = wbr["weeks"]
    # ISO weeks before as_of Monday 2025-03-17: the last two are covered, the four before are not
    assert list(weeks["period"])[-2:] == [pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-10")]
    # week of 03-03: (50 + 6 x 1) / (100 + 6 x 10) = 56 / 160 = 0.35
    # (the mean of its daily rates would be (0.5 + 6 x 0.1) / 7 = 0.157)
    # week of 03-10: 7 x 5 / (7 x 20) = 35 / 140 = 0.25
    assert _column(weeks, "numerator")[-2:] == [56, 35] and _column(weeks, "denominator")[-2:] == [160, 140]
    assert _column(weeks, "value")[-2:] == pytest.approx([0.35, 0.25])
    assert all(math.isnan(v) for v in _column(weeks, "value")[:4])
    assert all(math.isnan(v) for v in _column(weeks, "prior_year_value"))
    b = wbr["boxes"].set_index("box")
    # a rate's change is a difference: 0.25 - 0.35 = -0.10 (ten points down)
    assert b.loc["wow", "change"] == pytest.approx(-0.10)
    # mtd 03-01 ... 03-16: (2 x 2 + 56 + 35) / (2 x 10 + 160 + 140) = 95 / 320; no prior year -> NaN change
    assert b.loc["mtd", "value"] == pytest.approx(95 / 320)
    assert math.isnan(b.loc["mtd", "prior_value"]) and math.isnan(b.loc["mtd", "change"])
    # qtd starts on 01-01, before the data: NaN; no complete month is covered either
    assert math.isnan(b.loc["qtd", "value"])
    assert all(math.isnan(v) for v in _column(wbr["months"], "value"))


def test_sunday_weeks():
    wbr = six_twelve(_checkouts(), kind="rate", week_start="sunday")
    weeks = wbr["weeks"]
    # Sunday weeks before Monday 2025-03-17; the week of Sunday 03-16 is not complete
    assert list(weeks["period"])[-3:] == list(pd.date_range("2025-02-23", periods=3, freq="7D"))
    # week of Sun 03-09 ... Sat 03-15: Sun 9 (1 of 10) + Mon 10 ... Sat 15 (6 x 5 of 20) = 31 / 130
    # week of Sun 03-02 ... Sat 03-08: Sun 2 (2 of 10) + Mon 3 (50 of 100) + Tue 4 ... Sat 8 (5 x 1 of 10)
    #   = 57 / 160; the week of Sun 02-23 starts before the data: NaN
    assert _column(weeks, "numerator")[-2:] == [57, 31] and _column(weeks, "denominator")[-2:] == [160, 130]
    assert math.isnan(weeks["value"].iloc[-3])
    b = wbr["boxes"].set_index("box")
    assert b.loc["wow", "first_day"] == pd.Timestamp("2025-03-09")
    assert b.loc["wow", "last_day"] == pd.Timestamp("2025-03-15")
    assert b.loc["wow", "change"] == pytest.approx(31 / 130 - 57 / 160)


def test_rows_of_one_day_add_up_and_a_zero_prior_gives_no_relative_change():
    # Mon 2025-03-03 ... Sun 03-16, nothing in the first week, 3 a day in the second, Tuesday split in two rows
    daily = _daily("2025-03-03", "2025-03-16", lambda d: 0 if d.day <= 9 else 3)
    split = pd.DataFrame({"date": ["2025-03-11", "2025-03-11"], "numerator": [1, 2], "denominator": [0, 1]})
    daily = pd.concat([daily[daily["date"] != "2025-03-11"], split])
    b = six_twelve(daily)["boxes"].set_index("box")
    # week of 03-10: 7 x 3 = 21 vs 0: a relative change from 0 is undefined
    assert (b.loc["wow", "value"], b.loc["wow", "prior_value"]) == (21, 0)
    assert math.isnan(b.loc["wow", "change"])


def test_wbr_argument_errors():
    daily = _checkouts()
    with pytest.raises(ValueError, match="kind='mean' is not one of.*Fix"):
        six_twelve(daily, kind="mean")
    with pytest.raises(ValueError, match="week_start='tuesday'.*Fix"):
        six_twelve(daily, week_start="tuesday")
    with pytest.raises(ValueError, match=r"series: column\(s\) \['denominator'\] missing.*Fix"):
        six_twelve(daily.drop(columns="denominator"))
    with pytest.raises(ValueError, match="series: column numerator has 1 missing value"):
        six_twelve(daily.assign(numerator=[NAN] + [1] * 15))
    with pytest.raises(ValueError, match="series: expected a pandas DataFrame"):
        six_twelve(daily["numerator"])
    with pytest.raises(ValueError, match="series: column date is time-zone aware"):
        six_twelve(daily.assign(date=daily["date"].dt.tz_localize("UTC")))
    with pytest.raises(ValueError, match="as_of='2025-02-01' is on or before the first date.*Fix"):
        six_twelve(daily, as_of="2025-02-01")
    with pytest.raises(ValueError, match="as_of='2025-03-10 12:00' has a time of day.*Fix"):
        six_twelve(daily, as_of="2025-03-10 12:00")
