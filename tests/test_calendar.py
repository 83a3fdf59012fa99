"""One calendar: periods, completeness, as_of and time zones come from pmplaybook.core.calendar, so every
module puts the same event in the same week."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ev

from pmplaybook import aarrr, funnel, heart, north_star, retention
from pmplaybook.config import NorthStarCandidate
from pmplaybook.core.calendar import (Calendar, complete, day_after_last_event, default_as_of, period_index,
                                      period_start, resolve_as_of, utc_midnight, uses_calendar)

# Sign-ups (UTC) around a week boundary. In Berlin (UTC+1 in March) 22:30 UTC on Sunday 9 March is still
# Sunday, 23:30 UTC is already Monday 10 March.
ROWS = [("d", "2025-03-01 12:00"), ("a", "2025-03-09 22:30"), ("b", "2025-03-09 23:30"), ("c", "2025-03-16 12:00")]
EVENTS = ev([(u, t, e) for u, t in ROWS for e in ("signup", "task_completed")])
AS_OF = "2025-03-24"
# Sign-ups per week start, worked out by hand from the local times above.
EXPECTED = {
    ("Europe/Berlin", "monday"): {"2025-02-24": 1, "2025-03-03": 1, "2025-03-10": 2},
    ("Europe/Berlin", "sunday"): {"2025-02-23": 1, "2025-03-09": 2, "2025-03-16": 1},
    ("UTC", "monday"): {"2025-02-24": 1, "2025-03-03": 2, "2025-03-10": 1},
}


def _weeks(frame, period_col, count_col) -> dict:
    f = frame[frame[count_col] > 0]
    return {f"{pd.Timestamp(p):%Y-%m-%d}": int(n) for p, n in zip(f[period_col], f[count_col])}


def _by_module(cal: Calendar) -> dict:
    cohorts = retention.cohort_retention(EVENTS, "signup", period="week", calendar=cal)
    cohorts = cohorts[cohorts["period"] == 0]
    candidate = NorthStarCandidate(name="weekly_signups", event="signup", aggregation="distinct_users")
    steps = funnel.conversion_over_time(EVENTS, ["signup", "task_completed"], window="1h", period="week",
                                        calendar=cal)
    return {
        "retention.cohort_retention": _weeks(cohorts, "cohort", "cohort_size"),
        "retention.lifecycle": _weeks(retention.lifecycle(EVENTS, "signup", period="week", calendar=cal),
                                      "period", "new"),
        "heart.new_users": _weeks(heart.new_users(EVENTS, "signup", period="week", calendar=cal),
                                  "period", "new_users"),
        "heart.engagement": _weeks(heart.engagement(EVENTS, "task_completed", period="week", calendar=cal),
                                   "period", "active_users"),
        "north_star.candidate_series": _weeks(north_star.candidate_series(EVENTS, candidate, calendar=cal),
                                              "period", "value"),
        "funnel.conversion_over_time": _weeks(steps, "period", "users"),
        "aarrr.acquisition": _weeks(aarrr.acquisition(EVENTS, None, "signup", None, period="week", calendar=cal),
                                    "period", "new_users"),
    }


@pytest.mark.parametrize("timezone, week_start", list(EXPECTED))
def test_every_module_puts_an_event_in_the_same_week(timezone, week_start):
    expected = EXPECTED[(timezone, week_start)]
    for module, got in _by_module(Calendar(timezone, week_start, AS_OF)).items():
        assert got == {week: n for week, n in expected.items() if week in got}, module
        # a module may leave out the first, partly covered week, never a later one
        assert set(expected) - set(got) <= {min(expected)}, module


def test_period_index_and_start_are_inverse():
    for period, week_start, day, start in [("week", "monday", "2026-02-25", "2026-02-23"),
                                           ("week", "sunday", "2026-02-25", "2026-02-22"),
                                           ("month", "monday", "2026-02-25", "2026-02-01"),
                                           ("day", "monday", "2026-02-25", "2026-02-25")]:
        index = period_index(pd.Timestamp(day), period, week_start)
        assert period_start([index], period, week_start)[0] == pd.Timestamp(start)
        assert period_index(pd.Timestamp(start), period, week_start) == index


def test_completeness_and_as_of():
    # a week is complete when it ended by as_of, the first day not covered
    assert list(complete(pd.Series(pd.to_datetime(["2025-03-10", "2025-03-17"])), "week",
                         pd.Timestamp("2025-03-24"))) == [True, True]
    assert not complete(pd.Timestamp("2025-03-17"), "week", pd.Timestamp("2025-03-23"))
    # as_of is a local day; in Berlin it starts at 23:00 UTC the day before (CET)
    assert resolve_as_of(None, "2025-03-24", "Europe/Berlin") == (pd.Timestamp("2025-03-24"),
                                                                 pd.Timestamp("2025-03-23 23:00"))
    assert utc_midnight(pd.Timestamp("2025-07-01"), "Europe/Berlin") == pd.Timestamp("2025-06-30 22:00")
    # the default as_of is the first local day not covered completely: the log (last event Sunday 16 March
    # 12:00 UTC) runs to 17 March 00:00 UTC = 01:00 in Berlin, so 16 March is complete there
    assert Calendar("Europe/Berlin").resolved(EVENTS).as_of == pd.Timestamp("2025-03-17")


# The default as_of by hand. The log is read as running to the end of the UTC day of its last event; a local
# day counts only if it has ended by then, and as_of is the first local day that has not.
# (last event UTC, time zone, local time of the last event, default as_of, day after the last local event)
DEFAULT_AS_OF = [
    # 31 Dec 23:59 UTC; the log runs to 1 Jan 00:00 UTC
    ("2025-12-31 23:59", "UTC", "31 Dec 23:59", "2026-01-01", "2026-01-01"),  # 31 Dec complete
    # Berlin (UTC+1 in winter): 1 Jan 00:00 UTC is 01:00 there; 31 Dec ended at 23:00 UTC (complete), 1 Jan
    # has one hour of data and is left out, although it holds events
    ("2025-12-31 23:59", "Europe/Berlin", "1 Jan 00:59", "2026-01-01", "2026-01-02"),
    # New York (UTC-5 in winter): 1 Jan 00:00 UTC is 31 Dec 19:00 there; 31 Dec is partial, 30 Dec complete
    ("2025-12-31 23:59", "America/New_York", "31 Dec 18:59", "2025-12-31", "2026-01-01"),
    # summer time: New York is UTC-4, the log ends 30 Jun 20:00 there; 30 Jun is partial
    ("2025-06-30 23:59", "America/New_York", "30 Jun 19:59", "2025-06-30", "2025-07-01"),
    # Tokyo (UTC+9): the log runs to 1 Jul 09:00 there; 30 Jun ended at 15:00 UTC, complete
    ("2025-06-30 23:59", "Asia/Tokyo", "1 Jul 08:59", "2025-07-01", "2025-07-02"),
    # an event at 01:00 UTC on 1 Jan: the log runs to 2 Jan 00:00 UTC, which is 1 Jan 19:00 in New York
    ("2026-01-01 01:00", "America/New_York", "31 Dec 20:00", "2026-01-01", "2026-01-01"),
]


@pytest.mark.parametrize("last_event, timezone, local, as_of, after_last", DEFAULT_AS_OF)
def test_the_default_as_of_leaves_out_a_partial_last_local_day(last_event, timezone, local, as_of, after_last):
    events = ev([("u", "2025-01-01 12:00", "signup"), ("u", last_event, "task_completed")])
    assert default_as_of(events, timezone) == pd.Timestamp(as_of)
    assert Calendar(timezone).resolved(events).as_of == pd.Timestamp(as_of)
    assert resolve_as_of(events, None, timezone)[0] == pd.Timestamp(as_of)
    # how far the data reach: an explicit as_of may go up to here, partial day included
    assert day_after_last_event(events, timezone) == pd.Timestamp(after_last)


def test_calendar_refuses_what_it_cannot_use_and_will_not_take_both_forms():
    with pytest.raises(ValueError, match="not a known time zone"):
        Calendar("Mars/Olympus")
    with pytest.raises(ValueError, match="week_start='friday'"):
        Calendar(week_start="friday")

    @uses_calendar
    def metric(events, *, timezone="UTC", as_of=None):
        return timezone, as_of

    assert metric(None, calendar=Calendar("Asia/Tokyo", as_of="2025-01-01")) == ("Asia/Tokyo",
                                                                                 pd.Timestamp("2025-01-01"))
    with pytest.raises(TypeError, match="calendar= or timezone=, not both"):
        metric(None, calendar=Calendar(), timezone="UTC")


def test_a_duration_longer_than_ten_years_is_refused():
    from pmplaybook.core.calendar import parse_duration

    for text in ("100000000000d", "4000d"):
        with pytest.raises(ValueError, match="too long: at most 3,650 days"):
            parse_duration(text)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham",
                                  "Africa/Casablanca", "Asia/Kolkata"])
def test_duckdb_local_time_matches_icu_at_every_instant(zone):
    """DuckDB's local time is UTC plus the offset in force, found by bisection over the zone's changes
    (faster than ICU's timezone()); it must give ICU's wall clock at every instant, across DST changes of
    an hour, half an hour (Lord Howe), 45-minute offsets (Chatham), Ramadan suspensions (Casablanca), a
    zone without DST (Kolkata), and before 1970 / after 2100, where ICU converts."""
    import ibis
    import ibis.expr.datatypes as dt

    from pmplaybook.core import engines

    con = ibis.duckdb.connect()
    t = con.create_table("t", pd.DataFrame({"ts": pd.date_range("1965-01-01", "2105-12-31", freq="97min")}))
    fast = engines.local_time(t.ts, zone)
    icu = engines._timezone_to_local(zone, t.ts.cast(dt.Timestamp(timezone="UTC"))).cast("timestamp")
    assert con.execute(t.aggregate(n=(fast != icu).sum()))["n"][0] == 0
    changes = engines.utc_offsets(zone)
    # Berlin: CET (+1 h) from 1970, first summer time on 6 April 1980 at 01:00 UTC
    if zone == "Europe/Berlin":
        assert changes[:2] == ((pd.Timestamp("1970-01-01"), 3600), (pd.Timestamp("1980-04-06 01:00"), 7200))


def test_duckdb_local_time_is_one_macro_call_for_ibis_to_compile():
    """On a connection the conversion is one call of a macro the connection holds (ibis compiles the
    bisection once per zone, not in every query); an expression bound to no connection uses timezone()."""
    import ibis

    from pmplaybook.core import engines

    con = ibis.duckdb.connect()
    t = con.create_table("t", pd.DataFrame({"ts": pd.to_datetime(["2025-03-30 00:59:59", "2025-03-30 01:00:00"])}))
    sql = str(ibis.to_sql(t.select(local=engines.local_time(t.ts, "Europe/Berlin"))))
    assert "pmplaybook_local_europe_berlin_" in sql.lower() and "CASE" not in sql and len(sql) < 200, sql
    assert list(con.execute(t.select(local=engines.local_time(t.ts, "Europe/Berlin")))["local"].astype(str)) == [
        "2025-03-30 01:59:59", "2025-03-30 03:00:00"]  # the spring-forward gap skipped
    # zones differing only in a sign get different macros
    east, west = (engines.local_time(t.ts, z) for z in ("Etc/GMT-5", "Etc/GMT+5"))
    got = con.execute(t.select(east=east, west=west)).iloc[0]
    assert (got["east"] - got["west"]) == pd.Timedelta(hours=10)
    unbound = ibis.table({"ts": "timestamp"}, name="u")
    assert "timezone" in str(ibis.to_sql(unbound.select(x=engines.local_time(unbound.ts, "Europe/Berlin")),
                                         dialect="duckdb")).lower()


def test_sunday_weeks_start_on_sunday_on_duckdb_and_portably():
    """Sunday weeks: DuckDB's integer form and the portable one (a day added, ISO truncation, a day taken
    off) give the same Sunday midnight, for every weekday, before 1970 too, and for dates."""
    import ibis

    from pmplaybook.core import engines
    from pmplaybook.core.calendar import period_start_expr

    con = ibis.duckdb.connect()
    days = pd.date_range("1969-12-20", "1970-01-20", freq="D").append(pd.date_range("2025-12-25 23:59:59", periods=12, freq="17h"))
    t = con.create_table("t", pd.DataFrame({"ts": days}))
    got = con.execute(t.select(fast=period_start_expr(t.ts, "week", "sunday"),
                               portable=(t.ts + ibis.interval(days=1)).truncate("W") - ibis.interval(days=1),
                               from_date=period_start_expr(t.ts.date(), "week", "sunday")))
    assert (got["fast"] == got["portable"]).all() and (got["fast"] == got["from_date"]).all()
    assert (got["fast"].dt.day_of_week == 6).all() and (got["fast"] <= t.ts.execute()).all()
    assert "make_timestamp" in str(ibis.to_sql(t.select(x=engines.shifted_week_start(t.ts, 4)))).lower()
