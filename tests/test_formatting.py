"""Tables for people (core.formatting.people_table) and value formats, on hand-made values."""

import pandas as pd

from pmplaybook.core.formatting import format_value, people_table


def test_people_table_formats_each_kind_and_hides_the_index():
    frame = pd.DataFrame({
        "cohort": pd.to_datetime(["2025-03-03", "2025-03-10"]),
        "users": [1200, 35],
        "new_accounts": [364.0, float("nan")],           # counts with a gap: still whole numbers
        "rate": [0.2345, None],
        "ci_low": [0.21, None], "ci_high": [0.25, None],   # folded into the rate
        "diff": [0.031, -0.002],                          # a difference of shares: points
        "p_value": [0.0000001, 0.2],
        "median": [pd.Timedelta(hours=2, minutes=15), pd.NaT],
        "significant": [True, False],
        "note": ["ok", None],
    }, index=[7, 8])
    styler = people_table(frame)
    shown = styler.data
    assert list(shown.columns) == ["cohort", "users", "new accounts", "rate (95% interval)", "diff", "p value",
                                   "median", "significant", "note"]
    assert shown.iloc[0].tolist() == ["2025-03-03", "1,200", "364", "23.4% (21.0%-25.0%)", "+3.1 points", "<0.001",
                                      "2 h 15 min", "yes", "ok"]
    assert shown.iloc[1].tolist() == ["2025-03-10", "35", "", "", "-0.2 points", "0.200", "", "no", ""]
    html = styler.to_html()
    assert "NaN" not in html and "None" not in html and ">7<" not in html  # no index, nothing missing spelled out
    assert people_table("not a frame") == "not a frame"


def test_values_by_unit():
    assert format_value(0.2345, "share") == "23.4%"
    assert format_value(23, "points") == "+23"
    assert format_value(801.6, "ms") == "802 ms"
    assert format_value(0.906, "USD") == "$0.906" and format_value(0.9, "USD") == "$0.900" and format_value(184.28, "USD") == "$184.28"
    assert format_value(8100, "seconds") == "2 h 15 min"


def test_intervals_follow_what_they_bound():
    # the interval of a difference is in points; a named rate's interval is a share
    diff = people_table(pd.DataFrame({"rate": [0.6], "other_rate": [0.3], "diff": [0.3], "ci_low": [0.25],
                                      "ci_high": [0.35]})).data.iloc[0].tolist()
    assert diff == ["60.0%", "30.0%", "+30.0 points", "+25.0 points", "+35.0 points"]
    named = people_table(pd.DataFrame({"completion_rate": [0.92], "completion_ci_low": [0.915]})).data.iloc[0].tolist()
    assert named == ["92.0%", "91.5%"]
