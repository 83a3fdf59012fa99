"""Data-health checks (pmplaybook.data.health): each on a tiny hand-built table with its fault and without
it, the severity and the figures worked out by hand; the sentences; `pmplaybook check`'s exit codes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import ev
from pmplaybook import cli, config, data
from pmplaybook.data import health
from pmplaybook.narrative import health as story


def _days(per_day: dict[str, int], start="2025-03-03"):
    """Rows for ``{day offset or weekday kind: count}``: ``per_day`` maps a day offset to a count."""
    rows = []
    for offset, n in per_day.items():
        day = pd.Timestamp(start) + pd.Timedelta(days=offset)
        rows += [(f"u{i}", f"{day:%Y-%m-%d} 10:{i:02d}", "task_completed") for i in range(n)]
    return rows


def _weeks(weeks=4, weekday=10, weekend=4, **override):
    """``weeks`` weeks from Monday 3 March 2025: 10 events a weekday, 4 a weekend day; ``override`` sets
    day ``d<offset>`` to a count."""
    counts = {d: (weekend if d % 7 >= 5 else weekday) for d in range(7 * weeks)}
    for key, n in override.items():
        counts[int(key[1:])] = n
    return _days(counts)


def test_weekends_are_no_drop_but_a_low_weekday_is():
    quiet = health.volume(ev(_weeks()))
    # weekends have 4 events against 10 on weekdays: compared with their own weekday they are normal
    assert quiet.severity == "ok" and quiet.figures["drops"] == 0 and (quiet.table["flag"] == "").all()
    # Wednesday of week 4 (day 23) with 4 events: the three Wednesdays before had 10, half is 5, 4 < 5
    dropped = health.volume(ev(_weeks(d23=4)))
    assert dropped.severity == "warn" and dropped.figures["drops"] == 1
    row = dropped.table.set_index("day").loc[pd.Timestamp("2025-03-26")]
    assert row["flag"] == "drop" and row["expected"] == 10
    # 5 is exactly half: not below it
    assert health.volume(ev(_weeks(d23=5))).figures["drops"] == 0
    assert "below half" in story.sentence(dropped)


def test_a_day_with_no_events_is_a_gap_and_an_annotated_holiday_is_explained():
    gap = health.volume(ev(_weeks(d10=0)))
    assert gap.severity == "fail" and gap.figures["gaps"] == 1
    assert gap.table.set_index("day").loc[pd.Timestamp("2025-03-13"), "flag"] == "gap"
    holiday = health.volume(ev(_weeks(d23=2)), holidays=[("2025-03-26", "2025-03-26")])
    assert holiday.severity == "ok" and holiday.figures["holiday_dips"] == 1


def test_a_low_last_day_is_partial():
    cut = health.volume(ev(_weeks(d27=1)))  # the last day (a Sunday, usually 4) has 1 event
    assert cut.severity == "warn" and cut.figures["partial_last_day"] and cut.table["flag"].iloc[-1] == "partial"


def test_the_last_local_day_is_partial_when_the_log_ends_within_it_and_the_default_as_of_leaves_it_out():
    # four weeks from Monday 6 January 2025 (no summer time) at 10:xx UTC, and one more event on Sunday
    # 2 February at 23:30 UTC: the log runs to midnight UTC, 3 February 00:00 UTC
    counts = {d: (4 if d % 7 >= 5 else 10) for d in range(28)}
    events = ev(_days(counts, start="2025-01-06") + [("late", "2025-02-02 23:30", "task_completed")])
    # by hand: (zone, the default as_of, the last local day with events, is that day partial)
    for timezone, as_of, last_day, partial in [
            ("UTC", "2025-02-03", "2025-02-02", False),            # 2 Feb complete
            ("Europe/Berlin", "2025-02-03", "2025-02-03", True),   # 00:30 on 3 Feb: the first hour of 3 Feb
            ("America/New_York", "2025-02-02", "2025-02-02", True)]:  # 2 Feb stops at 19:00 there
        whole = health.volume(events, timezone=timezone)  # every day the log reaches
        assert whole.figures["complete_as_of"] == pd.Timestamp(as_of), timezone
        assert whole.figures["last_day"] == pd.Timestamp(last_day), timezone
        assert whole.figures["partial_last_day"] is partial, timezone
        # New York's 2 February has its usual Sunday volume (5 events against 4): partial by the log's end
        assert whole.severity == ("warn" if partial else "ok"), timezone
        # the default as_of judges the complete days only; an as_of that takes in the partial day warns
        ds = data.Dataset(events=events, timezone=timezone, as_of=pd.Timestamp(as_of))
        judged = {f.check: f for f in health.health_report(ds)}["volume"]
        assert judged.severity == "ok" and judged.figures["last_day"] == pd.Timestamp(as_of) - pd.Timedelta(days=1)
        later = health.volume(events, timezone=timezone, as_of=pd.Timestamp(last_day) + pd.Timedelta(days=1))
        assert later.figures["partial_last_day"] is partial, timezone
    # an as_of before the data's end: a low last judged day is a drop, not a partial day
    cut = health.volume(ev(_weeks(d21=2)), as_of="2025-03-25")  # Monday 24 March (day 21): 2 events, usually 10
    assert cut.figures["last_day"] == pd.Timestamp("2025-03-24") and cut.table["flag"].iloc[-1] == "drop"
    assert cut.figures["drops"] == 1 and not cut.figures["partial_last_day"]


def test_duplicates_count_rows_beyond_the_first_of_each_group():
    rows = [("a", "2025-03-03 10:00", "x", "web")] * 3 + [("b", "2025-03-03 10:00", "x", "web"),
                                                          ("b", "2025-03-03 10:00", "x", "ios")]
    rows += [("c", f"2025-03-03 11:{i:02d}", "y", "web") for i in range(45)]
    found = health.duplicates(ev(rows, platform=None))
    # 50 rows; user a's three identical rows give 2 extra (4%: a warning, under 5%); b's two differ in platform
    assert found.figures["duplicate_rows"] == 2 and found.figures["share"] == pytest.approx(2 / 50)
    assert found.severity == "warn" and found.table.to_dict("records") == [{"event": "x", "extra_rows": 2}]
    clean = health.duplicates(ev(rows[2:], platform=None))
    assert clean.severity == "ok" and clean.figures["duplicate_rows"] == 0


def test_events_before_signup_and_users_without_one():
    rows = [("a", "2025-03-03 10:00", "signup"), ("a", "2025-03-03 10:05", "task"),
            ("b", "2025-03-03 09:00", "task"), ("b", "2025-03-03 10:00", "signup"), ("b", "2025-03-03 11:00", "task"),
            ("c", "2025-03-03 12:00", "task"), ("c", "2025-03-03 12:30", "task")]
    found = health.signup_order(ev(rows), "signup")
    f = found.figures
    assert (f["users"], f["users_before"], f["events_before"], f["users_without"], f["events_without"]) == (3, 1, 1, 1, 2)
    assert found.severity == "fail"  # a third of the users on each count
    ok = health.signup_order(ev(rows[:2]), "signup")
    assert ok.severity == "ok" and "Every user" in story.sentence(ok)
    assert health.signup_order(ev(rows), None).severity == "ok"


def test_tracking_plan_missing_rare_and_new_events():
    rows = [(f"u{i % 40}", f"2025-01-{1 + i % 28:02d} 10:00", "task") for i in range(2000)]
    rows += [(f"u{i}", "2025-01-05 10:00", "signup") for i in range(10)]         # rare: 10 rows < 20
    rows += [(f"u{i}", f"2025-03-{1 + i % 20:02d} 10:00", "export") for i in range(40)]  # first seen 1 March
    rows += [("u0", "2025-03-25 10:00", "task")]                                 # log from 1 Jan to 25 Mar
    named = {"events.signup": "signup", "events.core_action": "task", "funnel.steps.2": "pay",
             "north_star.candidates.0.event": "export"}
    found = health.tracking_plan(ev(rows), named)
    status = found.table.set_index("event")["status"].to_dict()
    assert status == {"export": "new", "pay": "missing", "signup": "rare", "task": "ok"}
    assert found.severity == "fail" and found.figures["missing_events"] == ["pay"]
    # launched then: not "new"; without the missing event the plan only warns
    relaxed = health.tracking_plan(ev(rows), {k: v for k, v in named.items() if v != "pay"},
                                   launched={"export": "2025-03-01"})
    assert relaxed.severity == "warn" and relaxed.figures["rare_events"] == ["signup"] and not relaxed.figures["new_events"]
    fine = health.tracking_plan(ev(rows), {"events.core_action": "task"})
    assert fine.severity == "ok" and fine.figures["unnamed_events"] == 2
    assert list(fine.figures["unnamed_table"]["event"]) == ["export", "signup"]


def test_null_segment_values():
    rows = [(f"u{i}", "2025-03-03 10:00", "x", None if i < 3 else "web", "DE") for i in range(20)]
    found = health.segment_nulls(ev(rows, platform=None, country=None), ["platform", "country", "plan"])
    shares = found.table.set_index("segment")["null_share"].to_dict()
    assert shares == {"platform": 3 / 20, "country": 0.0, "plan": 1.0}  # plan: no such column
    # blank text counts as missing too: "", spaces, a tab; " web " is a value
    blanks = [(f"u{i}", "2025-03-03 10:00", "x", ["", "  ", "\t", " web "][i % 4], "DE") for i in range(20)]
    found = health.segment_nulls(ev(blanks, platform=None, country=None), ["platform", "country"])
    assert found.table.set_index("segment")["null_rows"].to_dict() == {"platform": 15, "country": 0}
    assert found.severity == "fail"
    warn = health.segment_nulls(ev(rows, platform=None, country=None), ["platform"])
    assert warn.severity == "warn"  # 15% > 5%
    assert health.segment_nulls(ev(rows, platform=None, country=None), ["country"]).severity == "ok"


def test_a_row_after_the_data_end_and_midnight_timestamps():
    rows = [(f"u{i}", f"2025-03-{1 + i % 10:02d} 10:{i % 60:02d}", "x") for i in range(200)]
    clean = health.clock_skew(ev(rows))
    assert clean.severity == "ok" and clean.figures["future_rows"] == 0
    assert clean.figures["data_end"] == pd.Timestamp("2025-03-11")
    late = health.clock_skew(ev(rows + [("u1", "2025-03-14 08:00", "x")]))
    # one row on 14 March is no busy day (20 a day usually), so the end stays 11 March; 14 March 08:00 > 12 March
    assert late.severity == "warn" and late.figures["future_rows"] == 1
    dated = health.clock_skew(ev(rows + [(f"u{i}", "2025-03-05 00:00", "x") for i in range(5)]))
    assert dated.figures["midnight_rows"] == 5 and dated.severity == "warn"  # 5/205 = 2.4% > 1%


def test_sessions_spanning_more_than_a_day():
    rows = [("a", "2025-03-03 10:00", "x", "s1"), ("a", "2025-03-03 11:00", "x", "s1"),
            ("b", "2025-03-03 10:00", "x", "s2"), ("b", "2025-03-04 10:01", "x", "s2")]
    found = health.clock_skew(ev(rows, session_id=None))
    assert (found.figures["sessions"], found.figures["long_sessions"]) == (2, 1) and found.severity == "warn"


def test_a_bot_user():
    rows = [(f"u{i}", f"2025-03-03 10:{i:02d}", "x") for i in range(50)]
    human = health.bots(ev(rows))
    assert human.severity == "ok" and human.figures["bot_users"] == 0
    bot = [("bot", f"2025-03-03 {h:02d}:{m:02d}:{s:02d}", "x") for h in range(2) for m in range(60) for s in (0, 20, 40)]
    found = health.bots(ev(rows + bot))  # 360 events in a day, but 3 a minute: not a bot
    assert found.figures["bot_users"] == 0
    burst = [("bot", f"2025-03-03 12:00:{s:02d}", "x") for s in range(60) for _ in range(6)]  # 360 in a minute
    found = health.bots(ev(rows + burst))
    assert found.figures["bot_users"] == 1 and found.figures["share_rows"] == pytest.approx(360 / 410)
    assert found.severity == "fail" and list(found.table["user_id"]) == ["bot"]


def test_anonymous_ids():
    rows = [("a", "2025-03-03 10:00", "x", True), ("a", "2025-03-03 10:01", "x", False),
            ("b", "2025-03-03 10:00", "x", False), ("c", "2025-03-03 10:00", "x", False)]
    found = health.anonymous(ev(rows, anonymous=None))
    assert found.figures["share_users"] == pytest.approx(1 / 3) and found.figures["share_rows"] == 0.25
    assert found.severity == "warn"
    unknown = health.anonymous(ev([r[:3] for r in rows]))
    assert unknown.severity == "ok" and "cannot be told" in story.sentence(unknown)


def test_freshness_and_the_as_of():
    events = ev([("a", "2025-03-03 10:00", "x"), ("a", "2025-03-09 22:00", "x")])
    f = health.freshness(events, today="2025-03-10")
    assert f.severity == "ok" and f.figures["days_since_last"] == 1 and f.figures["as_of"] == pd.Timestamp("2025-03-10")
    assert health.freshness(events, today="2025-03-12").severity == "warn"   # 3 days
    assert health.freshness(events, today="2025-03-20").severity == "fail"   # 11 days
    asked = health.freshness(events, as_of="2025-03-13", today="2025-03-10")
    assert asked.severity == "fail" and asked.figures["days_uncovered_before_as_of"] == 3
    fixed = health.freshness(events, today="2026-03-20", live=False)
    assert fixed.severity == "ok" and fixed.figures["today"] is None


def test_the_report_on_the_sample_and_its_status_file(growth, tmp_path):
    params, ds = growth
    findings = health.health_report(ds)
    assert [f.check for f in findings] == list(story.TITLES)
    by = {f.check: f for f in findings}
    # the sample: weekends and the Christmas dip raise no drop; every event follows its user's sign-up
    assert by["volume"].figures["drops"] == 0 and by["volume"].figures["gaps"] == 0
    assert by["signup"].figures["users_before"] == 0 and by["signup"].figures["users_without"] == 0
    assert by["duplicates"].figures["duplicate_rows"] == 3320 and by["duplicates"].severity == "ok"
    assert health.status(findings) == "ok"
    kpi_file = tmp_path / ".00_data_health.work" / "kpis.jsonl"
    path = health.write_status(findings, health.health_file(kpi_file))
    assert path == tmp_path / "health.json"
    assert json.loads(path.read_text())["status"] == "ok"
    assert story.overall(findings).startswith("**Data health: ok.**")
    assert list(story.findings_table(findings).columns) == ["status", "check", "finding"]


def test_check_command_exit_codes(tmp_path, capsys):
    assert cli.main(["check", str(config.params_path("growth"))]) == 0
    out = capsys.readouterr().out
    assert "OK   growth volume:" in out and len(out.strip().splitlines()) == len(story.TITLES)
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: bad\ndata: {source: sample}\nevents: {core_action: task_complete}\n")
    assert cli.main(["check", str(bad)]) == 1
    assert "FAIL bad tracking_plan:" in capsys.readouterr().out
    assert cli.main(["check", str(config.params_path("growth")), "--as-of", "2026-01-05"]) == 1
    assert "FAIL growth freshness:" in capsys.readouterr().out
