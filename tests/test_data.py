"""The event-log contract: mapping, types, time zones, and clear errors for every kind of bad input."""

import warnings

import ibis
import pandas as pd
import pytest

from pmplaybook import config, data
from pmplaybook.data import DataError, DataWarning, load_events, load_spend, load_surveys


def events_frame(**overrides):
    frame = pd.DataFrame({
        "user_id": ["u1", "u1", "u2"],
        "timestamp": ["2025-03-01 09:00:00", "2025-03-02 10:00:00", "2025-03-03 11:00:00"],
        "event": ["signup", "task_completed", "signup"],
    })
    for key, value in overrides.items():
        frame[key] = value
    return frame


def test_csv_with_other_column_names_through_a_mapping(tmp_path):
    path = tmp_path / "export.csv"
    pd.DataFrame({
        "distinct_id": [101, 101, 202],
        "ts": ["2025-03-01T09:00:00Z", "2025-03-01T23:30:00+01:00", "2025-03-02T10:00:00Z"],
        "name": ["signup", "project_created", "signup"],
        "plan": ["free", "free", "team"],
        "amount": ["", "", "49.5"],
    }).to_csv(path, index=False)
    t = load_events(path, columns={"user_id": "distinct_id", "timestamp": "ts", "event": "name",
                                   "revenue": "amount"})
    assert isinstance(t, ibis.Table)
    assert t.schema()["timestamp"].is_timestamp() and t.schema()["timestamp"].timezone is None
    got = t.order_by("timestamp").execute()
    assert list(got.user_id) == ["101", "101", "202"]
    # 23:30 at +01:00 is 22:30 UTC
    assert list(got.timestamp.dt.strftime("%H:%M")) == ["09:00", "22:30", "10:00"]
    assert got.revenue.iloc[2] == 49.5 and got.plan.iloc[2] == "team"


def test_parquet_glob_and_ibis_table(tmp_path):
    frame = events_frame()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize("UTC")
    frame.iloc[:2].to_parquet(tmp_path / "part-1.parquet")
    frame.iloc[2:].to_parquet(tmp_path / "part-2.parquet")
    t = load_events(str(tmp_path / "part-*.parquet"))
    assert t.count().execute() == 3
    assert load_events(t).count().execute() == 3


def test_naive_timestamps_in_a_named_zone_become_utc():
    t = load_events(events_frame(), timezone="Europe/Berlin")
    # 09:00 in Berlin on 1 March (UTC+1) is 08:00 UTC
    assert t.order_by("timestamp").execute().timestamp.iloc[0] == pd.Timestamp("2025-03-01 08:00")


def test_local_time_cuts_days_in_the_team_zone():
    t = load_events(pd.DataFrame({"user_id": ["a"], "timestamp": ["2025-03-02 23:30:00"], "event": ["x"]}))
    local = t.select(local=data.local_time(t.timestamp, "Europe/Berlin")).execute()["local"].iloc[0]
    assert local == pd.Timestamp("2025-03-03 00:30")  # Sunday 23:30 UTC is Monday in Berlin


def test_missing_required_column_names_table_and_fix():
    with pytest.raises(DataError) as err:
        load_events(events_frame().rename(columns={"event": "event_name"}))
    msg = str(err.value)
    assert "events" in msg and "event" in msg and "'event_name'" in msg and "Fix" in msg


def test_mapping_to_a_missing_column():
    with pytest.raises(DataError, match="distinct_id.*names no column"):
        load_events(events_frame(), columns={"user_id": "distinct_id"})


def test_unparseable_timestamp_shows_rows():
    frame = events_frame()
    frame.loc[1, "timestamp"] = "yesterday"
    with pytest.raises(DataError) as err:
        load_events(frame)
    msg = str(err.value)
    assert "'timestamp'" in msg and "1 value(s)" in msg and "yesterday" in msg and "ISO 8601" in msg


def test_mixed_timezone_timestamps_are_refused():
    frame = events_frame(timestamp=["2025-03-01T09:00:00Z", "2025-03-02 10:00:00", "2025-03-03T11:00:00+02:00"])
    with pytest.raises(DataError, match="mixes timestamps with a time-zone offset") as err:
        load_events(frame)
    assert "2025-03-02 10:00:00" in str(err.value)


def test_null_user_ids_fail_or_are_dropped_and_counted():
    frame = events_frame(user_id=["u1", None, "u2"])
    with pytest.raises(DataError, match="1 row.*null user_id") as err:
        load_events(frame)
    assert "invalid='drop'" in str(err.value)
    notes = []
    with pytest.warns(DataWarning, match="dropped 1 row"):
        t = load_events(frame, invalid="drop", notes=notes)
    assert t.count().execute() == 2 and "null user_id" in notes[0]


def test_history_is_data_and_the_future_is_not():
    # a purchase log from 1997 loads: there is no fixed date floor
    old = events_frame(timestamp=["1997-01-01 00:00:00", "1997-03-02 10:00:00", "1998-06-30 11:00:00"])
    assert load_events(old).count().execute() == 3
    # a timestamp more than a day ahead of now is refused, with the count and the fix
    ahead = events_frame(timestamp=["2025-03-01 09:00:00", "2100-01-01 00:00:00", "2025-03-03 11:00:00"])
    with pytest.raises(DataError, match=r"1 row\(s\) of the events table have a date after .* \(in the future\)"):
        load_events(ahead)
    # a team's own floor: rows before valid_from are unusable, dropped and counted on request
    notes = []
    with pytest.warns(DataWarning, match="dropped 2 row"):
        kept = load_events(old, valid_from="1998-01-01", invalid="drop", notes=notes)
    assert kept.count().execute() == 1 and "before valid_from 1998-01-01" in notes[0]


def test_the_same_date_rules_hold_for_surveys_and_spend():
    surveys = pd.DataFrame({"user_id": ["a", "b"], "timestamp": ["1999-05-01", "2100-01-01"], "survey": ["nps"] * 2,
                            "score": [9, 10]})
    with pytest.raises(DataError, match="surveys DataFrame: 1 row.*in the future"):
        load_surveys(surveys)
    spend = pd.DataFrame({"date": ["1999-05-01", "2100-01-01"], "channel": ["ads"] * 2, "amount": [5.0, 6.0]})
    with pytest.raises(DataError, match="spend DataFrame: 1 row.*in the future"):
        load_spend(spend)
    assert load_spend(spend.iloc[:1]).count().execute() == 1  # 1999 is history


@pytest.mark.parametrize("bad", ["nan", "inf", "-Infinity", float("inf")])
def test_nan_and_infinite_amounts_are_refused(bad):
    # text as a CSV holds it ("nan", "inf"), or an infinite float; an empty cell stays a missing value
    amounts = ["5.0", bad] if isinstance(bad, str) else [5.0, bad]
    spend = pd.DataFrame({"date": ["2025-03-01", "2025-03-02"], "channel": ["ads"] * 2, "amount": amounts})
    with pytest.raises(DataError, match=r"(?s)column 'amount': 1 value\(s\) are NaN or infinite.*Fix"):
        load_spend(spend)
    revenue = ["49.0", bad, None] if isinstance(bad, str) else [49.0, bad, None]
    with pytest.raises(DataError, match=r"column 'revenue': 1 value\(s\) are NaN or infinite"):
        load_events(events_frame(revenue=revenue))


def test_survey_scores_outside_their_scale():
    good = pd.DataFrame({"user_id": ["a", "b", "c"], "timestamp": ["2025-01-01"] * 3,
                         "survey": ["NPS", "csat", "ces"], "score": [10, 5, 7]})
    assert load_surveys(good).execute().survey.tolist() == ["nps", "csat", "ces"]
    for survey, score, scale in (("nps", 11, "0-10"), ("csat", 0, "1-5"), ("ces", 8, "1-7")):
        bad = good.copy()
        bad.loc[0, ["survey", "score"]] = [survey, score]
        with pytest.raises(DataError, match=f"{survey} score.*outside {scale}"):
            load_surveys(bad)
    with pytest.raises(DataError, match="expected one of nps, csat, ces; found 'sus'"):
        load_surveys(good.assign(survey=["sus", "nps", "nps"]))


def test_negative_spend():
    frame = pd.DataFrame({"date": ["2025-01-01", "2025-01-02"], "channel": ["ads", "ads"], "amount": [10.0, -3.0]})
    with pytest.raises(DataError, match="1 negative value"):
        load_spend(frame)
    assert load_spend(frame.assign(amount=[10.0, 3.0])).schema()["date"].is_date()


def test_unknown_event_in_params_suggests_closest(monkeypatch):
    params = config.parse_params({"team": "t", "events": {"signup": "signup", "core_action": "task_complete"}},
                                 "params/t.yaml")
    with pytest.raises(DataError) as err:
        data.check_against_params(load_events(events_frame()), params)
    msg = str(err.value)
    assert "params of t" in msg and "events.core_action" in msg and "'task_complete'" in msg
    assert "task_completed" in msg


def test_unknown_segment_column():
    params = config.parse_params({"team": "t", "segments": ["platfrom"]})
    with pytest.raises(DataError, match="segments.0.*'platfrom'"):
        data.check_against_params(load_events(events_frame(platform=["web", "ios", "web"])), params)


def test_connect_files_source_relative_to_params(tmp_path):
    frame = events_frame()
    frame.to_csv(tmp_path / "events.csv", index=False)
    (tmp_path / "team.yaml").write_text("team: mine\ndata:\n  source: files\n  events: events.csv\n")
    ds = data.connect(config.load_params(tmp_path / "team.yaml"))
    assert ds.events.count().execute() == 3
    assert ds.as_of == pd.Timestamp("2025-03-04") and ds.surveys is None


def test_connect_duckdb_file(tmp_path):
    import duckdb

    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        frame = events_frame()
        con.execute("CREATE TABLE raw_events AS SELECT user_id AS uid, CAST(timestamp AS TIMESTAMP) AS ts, event FROM frame")
    (tmp_path / "team.yaml").write_text(
        "team: wh\ndata:\n  source: warehouse.duckdb\n  events: raw_events\n  columns: {user_id: uid, timestamp: ts}\n")
    ds = data.connect(config.load_params(tmp_path / "team.yaml"))
    assert ds.events.count().execute() == 3
    (tmp_path / "bad.yaml").write_text("team: wh\ndata:\n  source: warehouse.duckdb\n  events: nope\n")
    with pytest.raises(DataError, match="no table 'nope'.*raw_events"):
        data.connect(config.load_params(tmp_path / "bad.yaml"))


def test_connect_ibis_url(tmp_path):
    import duckdb

    db = tmp_path / "w.ddb"
    with duckdb.connect(str(db)) as con:
        frame = events_frame()
        con.execute("CREATE TABLE events AS SELECT user_id, CAST(timestamp AS TIMESTAMP) AS timestamp, event FROM frame")
    (tmp_path / "team.yaml").write_text(f"team: url\ndata:\n  source: duckdb://{db}\n  events: events\n")
    assert data.connect(config.load_params(tmp_path / "team.yaml")).events.count().execute() == 3


def test_sample_is_ready_to_use():
    ds = data.sample()
    assert {"user_id", "timestamp", "event", "account_id", "platform", "revenue"} <= set(ds.events.columns)
    assert ds.as_of == pd.Timestamp("2026-01-01")
    assert ds.notes == []
    assert set(ds.surveys.survey.value_counts().execute()["survey"]) == {"nps", "csat", "ces"}


@pytest.mark.parametrize("team", config.list_teams())
def test_every_team_connects(team):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        ds = data.connect(config.load_params(team))
    assert ds.params.team == team


def test_date_only_strings_are_not_read_as_offsets():
    # "2025-03-02" ends in "-02", which is not a time-zone offset
    frame = events_frame(timestamp=["2025-03-01 09:00:00", "2025-03-02", "2025-03-03T11:00:00"])
    got = load_events(frame).order_by("timestamp").execute().timestamp
    assert list(got) == [pd.Timestamp("2025-03-01 09:00"), pd.Timestamp("2025-03-02"), pd.Timestamp("2025-03-03 11:00")]


def test_small_file_tables_are_copied_into_duckdb_once(tmp_path, monkeypatch):
    frame = events_frame()
    frame.to_csv(tmp_path / "events.csv", index=False)
    (tmp_path / "team.yaml").write_text("team: mine\ndata:\n  source: files\n  events: events.csv\n")
    params = config.load_params(tmp_path / "team.yaml")
    assert "_validated_" in data.connect(params).events.op().name
    monkeypatch.setattr(data.dataset, "MATERIALIZE_MAX_ROWS", 2)  # 3 rows: too big, stays a query on the file
    assert "_validated_" not in getattr(data.connect(params).events.op(), "name", "")


@pytest.mark.parametrize("where, value, message", [
    ("heart", "weekly_fun", r"heart\.0\.metric: 'weekly_fun' is not a HEART metric the playbook computes"),
    ("heart", "week4_retnetion", r"heart\.0\.metric: .*did you mean 'week<N>_retention'"),
    ("heart", "week60_retention", r"heart\.0\.metric: 'week60_retention': N must be 1-52 weeks"),
    ("heart", "feature_adoption", r"heart\.0\.metric: 'feature_adoption' needs the feature's event"),
    ("heart", "nps:mobile", r"nps takes nothing after ':'"),
    ("inputs", "activation_rte", r"north_star\.inputs\.0: 'activation_rte' is not a metric-tree input .*did you mean 'activation_rate'"),
    ("guardrail", "churn", r"north_star\.guardrail: 'churn' is not a metric-tree input the playbook computes"),
    ("kpis", "dau_mua", r"kpis: 'dau_mua' is not a KPI the playbook computes. Fix: did you mean 'dau_mau'"),
])
def test_metric_names_in_params_are_checked_when_the_params_load(where, value, message):
    raw = config.load_params("growth").model_dump(exclude_none=True)
    if where == "heart":
        raw["heart"][0]["metric"] = value
    elif where == "inputs":
        raw["north_star"]["inputs"] = [value]
    elif where == "kpis":
        raw["kpis"][value] = {"target": 0.2}
    else:
        raw["north_star"]["guardrail"] = value
    with pytest.raises(config.ParamsError, match=message):
        config.parse_params(raw, where="growth.yaml")


def test_old_metric_names_still_load_under_their_new_name():
    raw = config.load_params("growth").model_dump(exclude_none=True)
    raw["north_star"]["guardrail"] = "task_failure_rate"
    raw["kpis"]["task_failure_rate"] = {"target": 0.1}
    params = config.parse_params(raw)
    assert params.north_star.guardrail == "task_error_rate"
    assert params.kpis["task_error_rate"].higher_is_better is False  # the vocabulary's direction


def test_every_heart_metric_form_of_the_vocabulary_is_accepted():
    for metric in ("nps", "csat", "ces", "week4_retention", "week2_active_retention", "time_on_task",
                   "task_completion_rate:import_tasks", "feature_usage:ai_suggestion_shown",
                   "acceptance_rate:ai_suggestion_shown,ai_suggestion_accepted", "new_users_per_week"):
        assert config.check_heart_metric(metric) == metric


def test_url_sources_name_tables_with_their_schema_and_fail_clearly(tmp_path):
    import duckdb

    db = tmp_path / "w.ddb"
    with duckdb.connect(str(db)) as con:
        frame = events_frame()
        con.execute("CREATE TABLE events AS SELECT user_id, CAST(timestamp AS TIMESTAMP) AS timestamp, event FROM frame")
    team = tmp_path / "team.yaml"
    team.write_text(f"team: url\ndata:\n  source: duckdb://{db}\n  events: main.events\n")
    assert data.connect(config.load_params(team)).events.count().execute() == 3
    team.write_text(f"team: url\ndata:\n  source: duckdb://{db}\n  events: evnts\n")
    with pytest.raises(DataError, match=r"no table 'evnts' .*found: events"):
        data.connect(config.load_params(team))
    team.write_text("team: url\ndata:\n  source: snowflake://me:secret@account/db/schema\n  events: events\n")
    with pytest.raises(DataError, match=r"cannot connect to .*pip install 'pmplaybook\[snowflake\]'"):
        data.connect(config.load_params(team))


def test_an_as_of_after_the_data_end_cuts_the_analysis_there(tmp_path):
    """Weeks after the last event were not recorded yet: they are not zeros. connect() stops at the data's
    end, keeps the date asked for, and says how far behind the data are."""
    from pmplaybook import config, data

    pd.DataFrame({"user_id": ["a", "b"], "timestamp": ["2025-03-01 10:00", "2025-03-10 09:00"],
                  "event": ["signup", "signup"]}).to_csv(tmp_path / "e.csv", index=False)
    params = config.parse_params({"team": "t", "data": {"source": "files", "events": "e.csv"}},
                                 source_file=tmp_path / "t.yaml")
    ds = data.connect(params, as_of="2025-04-07")
    assert ds.as_of == pd.Timestamp("2025-03-11") and ds.requested_as_of == pd.Timestamp("2025-04-07")
    assert ds.freshness == {"requested_as_of": "2025-04-07", "as_of": "2025-03-11", "last_day": "2025-03-10",
                            "days_behind": 27, "cut": True}
    assert any("data end 2025-03-10, 3 weeks and 6 days before the requested date 2025-04-07" in n for n in ds.notes)
    before = data.connect(params, as_of="2025-03-08")  # a date inside the data: used as given
    assert before.as_of == pd.Timestamp("2025-03-08") and not before.freshness["cut"] and not before.notes


@pytest.mark.parametrize("text", ["01/02/2026", "2026-1-5", "Jan 5 2026", "5.1.2026"])
def test_as_of_must_be_iso(text):
    from pmplaybook.core.calendar import read_as_of

    with pytest.raises(ValueError, match="not an ISO date: as_of must be a date written YYYY-MM-DD"):
        read_as_of(text)


# --------------------------------------------------------------------------- files that cannot be read as given

def _write(path, content: bytes):
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("name, content, words", [
    ("latin1.csv", b"user_id,timestamp,event\nu\xe91,2025-03-01,sign\xe9up\n", "not UTF-8 text.*Fix: save it as UTF-8"),
    ("broken.parquet", b"PAR1 cut short", "not a valid Parquet file"),
    ("empty.csv", b"", r"is empty \(0 bytes\)"),
    ("ragged.csv", b"user_id,timestamp,event\nu1,2025-03-01,signup,extra\nu2,2025-03-02,signup\n",
     "line 2 has 4 fields where the header has 3"),
])
def test_unreadable_files_say_what_is_wrong(tmp_path, name, content, words):
    with pytest.raises(DataError, match=words):
        load_events(_write(tmp_path / name, content))


def test_a_parquet_glob_with_a_column_typed_differently_reads_it_as_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"user_id": ["u1"], "timestamp": ["2025-03-01"], "event": ["a"], "plan": [1]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"user_id": ["u2"], "timestamp": ["2025-03-02"], "event": ["b"], "plan": ["pro"]}), tmp_path / "b.parquet")
    assert sorted(load_events(str(tmp_path / "*.parquet")).execute().plan) == ["1", "pro"]


def test_one_column_cannot_play_two_roles_and_the_zone_must_exist(tmp_path):
    f = _write(tmp_path / "e.csv", b"user_id,timestamp,event\nu1,2025-03-01,signup\n")
    with pytest.raises(DataError, match="'user_id' is mapped to user_id and account_id; one column plays one role"):
        load_events(f, columns={"user_id": "user_id", "account_id": "user_id"})
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a known time zone"):
        load_events(f, timezone="Mars/Olympus")


def test_true_false_survey_scores_are_refused():
    with pytest.raises(DataError, match="holds true/false values, not survey scores"):
        load_surveys(pd.DataFrame({"user_id": ["a"], "timestamp": ["2025-03-01"], "survey": ["nps"], "score": [True]}))


def test_a_contract_column_is_no_segment(tmp_path):
    from pmplaybook import config, data

    _write(tmp_path / "e.csv", b"user_id,timestamp,event\nu1,2025-03-01,signup\n")
    params = config.parse_params({"team": "t", "segments": ["event"], "data": {"source": "files", "events": "e.csv"}},
                                 source_file=tmp_path / "t.yaml")
    with pytest.raises(DataError, match="segments.0 is 'event', a column every row has its own value of"):
        data.connect(params)


def test_an_unknown_engine_is_named_without_inventing_an_extra():
    from pmplaybook.data import EngineError, open_backend

    with pytest.raises(EngineError, match="knows no engine called 'foo'. Fix: use one of pyspark://") as err:
        open_backend("foo://bar")
    assert "pmplaybook[foo]" not in str(err.value)


def test_a_1997_purchase_log_with_compact_dates_loads(tmp_path):
    """CDNOW-style history: dates written 19970101 (ISO 8601's basic form) load as dates; a file without a
    header row says so."""
    raw = pd.DataFrame({"customer": ["1", "1", "2"], "date": ["19970101", "19970215", "19970103"], "event": "purchase"})
    t = load_events(raw, columns={"user_id": "customer", "timestamp": "date"}).execute()
    assert t.timestamp.tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1997-02-15"), pd.Timestamp("1997-01-03")]
    f = _write(tmp_path / "CDNOW_master.txt", b"00001 19970101 1 11.77\n00002 19970112 1 12.00\n")
    with pytest.raises(DataError, match="seems to have no header row"):
        load_events(f)


def test_the_memo_loads_once_while_the_files_are_unchanged(tmp_path, monkeypatch):
    from pmplaybook.core import engines
    from pmplaybook.core.engines import backend
    from pmplaybook.data import cache

    # a DuckDB and a memo of the test's own: release_unused must not drop the tables of other tests
    monkeypatch.setattr(engines, "_BACKEND", None)
    monkeypatch.setattr(cache, "_MEMO", {})

    path = tmp_path / "events.csv"
    events_frame().to_csv(path, index=False)
    loads = []

    def load():
        loads.append(1)
        return data.Dataset(events=data.materialize(load_events(path)))

    first = cache.memo(("test", str(path)), [path], load)
    first.notes.append("a note the caller adds")
    second = cache.memo(("test", str(path)), [path], load)
    assert len(loads) == 1 and second.events is first.events and second.notes == []
    events_frame(event=["signup", "signup", "signup"]).to_csv(path, index=False)  # the file changes
    third = cache.memo(("test", str(path)), [path], load)
    assert len(loads) == 2 and third.events is not first.events
    assert set(third.events.event.execute()) == {"signup"}

    # the table the memo no longer holds is dropped; the one it holds stays
    held, stale = third.events.op().name, first.events.op().name
    dropped = cache.release_unused()
    assert stale in dropped and held not in dropped
    names = set(backend().raw_sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall())
    assert (held,) in names and (stale,) not in names
    assert third.events.count().execute() == 3

    # a load that had something to say (dropped rows) is not remembered: it says it again next time
    noted = lambda: data.Dataset(events=third.events, notes=["dropped 1 row"])  # noqa: E731
    cache.memo(("noted",), [path], noted)
    assert ("noted",) not in cache._MEMO


def test_a_question_asked_twice_is_answered_from_memory(monkeypatch):
    """The process's DuckDB remembers results of queries over tables that never change (the loads', the
    in-memory ones): asked again, the same expression costs no query. Each caller gets its own copy; a
    table the user names, raw SQL, random draws and the clock are queried every time; a dropped load's
    results are forgotten."""
    import ibis

    from pmplaybook.core import engines
    from pmplaybook.data import cache

    monkeypatch.setattr(engines, "_BACKEND", None)
    monkeypatch.setattr(engines, "_RESULTS", {})
    monkeypatch.setattr(cache, "_MEMO", {})
    con = engines.backend()
    queries = []
    original = type(con)._to_duckdb_relation
    monkeypatch.setattr(type(con), "_to_duckdb_relation", lambda self, *a, **k: queries.append(1) or original(self, *a, **k))

    ev = data.materialize(load_events(events_frame()))
    queries.clear()  # loading's own checks
    per_event = ev.group_by("event").aggregate(n=ev.count()).order_by("event")
    first = per_event.execute()
    first.loc[0, "n"] = -1  # a caller writing to its copy changes nobody else's
    again = ev.group_by("event").aggregate(n=ev.count()).order_by("event").execute()  # built anew, same question
    assert len(queries) == 1 and again["n"].min() > 0
    assert ev.count().execute() == 3 and ev.count().execute() == 3 and len(queries) == 2

    mine = con.create_table("mine", pd.DataFrame({"x": [1]}))
    mine.count().execute(), mine.count().execute()
    con.sql("SELECT 1 AS x").execute(), con.sql("SELECT 1 AS x").execute()
    drawn = ev.mutate(r=ibis.random()).r.max()
    drawn.execute(), drawn.execute()
    assert len(queries) == 8  # asked each time

    # bounded: at most RESULTS_KEPT answers, the least recently used forgotten first
    monkeypatch.setattr(engines, "RESULTS_KEPT", 2)
    for n in range(3):
        ev.filter(ev.event != f"x{n}").count().execute()
    assert len(engines._RESULTS) == 2

    name = ev.op().name
    assert any(k[0].find(ibis.expr.operations.DatabaseTable)[0].name == name for k in engines._RESULTS)
    assert name in cache.release_unused()  # nothing holds the load: its table goes, and its results
    assert not any(n.name == name for k in engines._RESULTS for n in k[0].find(ibis.expr.operations.DatabaseTable))


def test_the_sample_is_loaded_once_per_process():
    a, b = data.sample(), data.sample()
    assert a.events is b.events and a.notes is not b.notes
