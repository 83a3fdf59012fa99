"""Presets: each analytics tool's export, written by hand in the tool's own shape, loads onto the contract
(user ids with the anonymous fallback, UTC timestamps, events, lifted properties, the anonymous flag)."""

import csv
import gzip
import json

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pmplaybook import config, data
from pmplaybook.data import PRESETS, DataError, load_events


def rows(t: ibis.Table) -> list[dict]:
    """The loaded table in time order, as plain dicts (NaN as None)."""
    frame = t.order_by(["timestamp", "user_id"]).execute()
    return [{k: (None if not isinstance(v, (list, dict)) and pd.isna(v) else v) for k, v in r.items()}
            for r in frame.to_dict("records")]


def write_jsonl(path, records, gz=False):
    text = "".join(json.dumps(r) + "\n" for r in records)
    if gz:
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def ts(text):
    return pd.Timestamp(text)


def test_posthog_csv_export(tmp_path):
    path = tmp_path / "posthog_events.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["distinct_id", "timestamp", "event", "properties"])
        w.writerow(["ana@example.com", "2025-03-01T09:30:00.123000+00:00", "$pageview",
                    json.dumps({"$browser": "Chrome", "$is_identified": True, "plan": "pro"})])
        w.writerow(["0195a3b2-anon", "2025-03-01T10:00:00+01:00", "$pageview",
                    json.dumps({"$browser": "Safari", "$is_identified": False})])
        w.writerow(["bo@example.com", "2025-03-02T08:00:00+00:00", "signed_up",
                    json.dumps({"$browser": "Firefox", "$is_identified": True, "plan": "free"})])
    got = rows(load_events(path, preset="posthog", properties=["$browser", "plan"]))
    assert got == [
        # 10:00 at +01:00 is 09:00 UTC
        {"user_id": "0195a3b2-anon", "timestamp": ts("2025-03-01 09:00"), "event": "$pageview",
         "anonymous": True, "$browser": "Safari", "plan": None},
        {"user_id": "ana@example.com", "timestamp": ts("2025-03-01 09:30:00.123"), "event": "$pageview",
         "anonymous": False, "$browser": "Chrome", "plan": "pro"},
        {"user_id": "bo@example.com", "timestamp": ts("2025-03-02 08:00"), "event": "signed_up",
         "anonymous": False, "$browser": "Firefox", "plan": "free"},
    ]


def test_amplitude_gzipped_json_lines(tmp_path):
    path = write_jsonl(tmp_path / "amplitude_export.json.gz", [
        {"user_id": "u-1", "device_id": "dev-a", "event_time": "2025-03-01 09:30:00.123000",
         "event_type": "Song Played", "event_properties": {"genre": "jazz"}, "user_properties": {"plan": "pro"},
         "insert_id": "i1"},
        {"user_id": None, "device_id": "dev-b", "event_time": "2025-03-01 11:00:00.000000",
         "event_type": "Song Played", "event_properties": {"genre": "rock"}, "user_properties": {}},
        # the plan set as an event property wins over the user property
        {"user_id": "u-2", "device_id": "dev-c", "event_time": "2025-03-02 07:15:00.000000",
         "event_type": "Upgrade", "event_properties": {"plan": "team"}, "user_properties": {"plan": "free"}},
    ], gz=True)
    got = rows(load_events(path, preset="amplitude", properties=["plan", "genre"]))
    assert [r["user_id"] for r in got] == ["u-1", "dev-b", "u-2"]
    assert [r["anonymous"] for r in got] == [False, True, False]
    assert [r["timestamp"] for r in got] == [ts("2025-03-01 09:30:00.123"), ts("2025-03-01 11:00"),
                                             ts("2025-03-02 07:15")]
    assert [r["event"] for r in got] == ["Song Played", "Song Played", "Upgrade"]
    assert [r["plan"] for r in got] == ["pro", None, "team"]
    assert [r["genre"] for r in got] == ["jazz", "rock", None]


def mixpanel_export(tmp_path, scale=1):
    return write_jsonl(tmp_path / "mixpanel.jsonl", [
        {"event": "Signed Up", "properties": {"time": 1740821400 * scale, "distinct_id": "user-1",
                                              "$insert_id": "a1", "$browser": "Chrome", "plan": "pro"}},
        {"event": "Viewed Page", "properties": {"time": 1740825000 * scale, "distinct_id": "$device:18f0c",
                                                "$device_id": "18f0c", "$insert_id": "a2", "$browser": "Safari"}},
        {"event": "Viewed Page", "properties": {"time": 1740907800 * scale, "distinct_id": "user-2",
                                                "$insert_id": "a3", "$browser": "Firefox", "plan": "free"}},
    ])


@pytest.mark.parametrize("scale, unit", [(1, "seconds"), (1000, "milliseconds")])
def test_mixpanel_raw_export_in_seconds_or_milliseconds(tmp_path, scale, unit):
    notes = []
    got = rows(load_events(mixpanel_export(tmp_path, scale), preset="mixpanel", properties=["$browser"],
                           notes=notes))
    # 1740821400 s since the epoch is 2025-03-01 09:30 UTC
    assert [r["timestamp"] for r in got] == [ts("2025-03-01 09:30"), ts("2025-03-01 10:30"),
                                             ts("2025-03-02 09:30")]
    assert [r["user_id"] for r in got] == ["user-1", "$device:18f0c", "user-2"]
    assert [r["anonymous"] for r in got] == [False, True, False]
    assert [r["event"] for r in got] == ["Signed Up", "Viewed Page", "Viewed Page"]
    assert [r["$browser"] for r in got] == ["Chrome", "Safari", "Firefox"]
    assert len(notes) == 1 and f"epoch {unit}" in notes[0] and "properties.time" in notes[0]


def ga4_params(**typed):
    """GA4's event_params record: one {key, value: {string_value, int_value, float_value, double_value}}."""
    out = []
    for key, (kind, value) in typed.items():
        v = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
        v[f"{kind}_value"] = value
        out.append({"key": key, "value": v})
    return out


GA4_ROWS = [
    # 1740821400123456 us since the epoch is 2025-03-01 09:30:00.123456 UTC
    {"event_timestamp": 1740821400123456, "event_name": "page_view", "user_id": "crm-7",
     "user_pseudo_id": "1111.2222", "event_params": ga4_params(plan=("string", "pro"), page_number=("int", 3),
                                                              ratio=("float", 0.5), engagement=("double", 1.25))},
    {"event_timestamp": 1740825000000000, "event_name": "page_view", "user_id": None,
     "user_pseudo_id": "3333.4444", "event_params": ga4_params(plan=("string", "free"))},
    {"event_timestamp": 1740907800000000, "event_name": "purchase", "user_id": "crm-9",
     "user_pseudo_id": "5555.6666", "event_params": ga4_params(page_number=("int", 12))},
]


def test_ga4_bigquery_export_as_parquet_with_each_value_type(tmp_path):
    value = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()), ("float_value", pa.float64()),
                       ("double_value", pa.float64())])
    schema = pa.schema([("event_timestamp", pa.int64()), ("event_name", pa.string()), ("user_id", pa.string()),
                        ("user_pseudo_id", pa.string()),
                        ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", value)])))])
    pq.write_table(pa.Table.from_pylist(GA4_ROWS, schema=schema), tmp_path / "events_20250301.parquet")
    got = rows(load_events(tmp_path / "events_20250301.parquet", preset="ga4",
                           properties=["plan", "page_number", "ratio", "engagement"]))
    assert [r["user_id"] for r in got] == ["crm-7", "3333.4444", "crm-9"]
    assert [r["anonymous"] for r in got] == [False, True, False]
    assert [r["timestamp"] for r in got] == [ts("2025-03-01 09:30:00.123456"), ts("2025-03-01 10:30"),
                                             ts("2025-03-02 09:30")]
    assert [r["event"] for r in got] == ["page_view", "page_view", "purchase"]
    assert [r["plan"] for r in got] == ["pro", "free", None]
    assert [r["page_number"] for r in got] == ["3", None, "12"]  # values come as text, whichever type was set
    assert [r["ratio"] for r in got] == ["0.5", None, None]
    assert [r["engagement"] for r in got] == ["1.25", None, None]


def test_ga4_json_lines_as_bigquery_writes_them(tmp_path):
    # BigQuery's JSON export writes INT64 as strings and omits unset fields
    def as_bq(r):
        params = [{"key": p["key"], "value": {k: (str(v) if k == "int_value" else v)
                                              for k, v in p["value"].items() if v is not None}}
                  for p in r["event_params"]]
        out = {**r, "event_timestamp": str(r["event_timestamp"]), "event_params": params}
        return {k: v for k, v in out.items() if v is not None}
    path = write_jsonl(tmp_path / "ga4.jsonl", [as_bq(r) for r in GA4_ROWS])
    got = rows(load_events(path, preset="ga4", properties=["plan", "page_number", "ratio", "engagement"]))
    assert [r["user_id"] for r in got] == ["crm-7", "3333.4444", "crm-9"]
    assert [r["anonymous"] for r in got] == [False, True, False]
    assert got[0]["timestamp"] == ts("2025-03-01 09:30:00.123456")
    assert [(r["plan"], r["page_number"], r["ratio"], r["engagement"]) for r in got] == [
        ("pro", "3", "0.5", "1.25"), ("free", None, None, None), (None, "12", None, None)]


def test_segment_tracks_table_in_a_warehouse(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("""CREATE TABLE tracks (id VARCHAR, anonymous_id VARCHAR, user_id VARCHAR,
                       "timestamp" TIMESTAMPTZ, received_at TIMESTAMPTZ, event VARCHAR, event_text VARCHAR,
                       context_page_path VARCHAR, plan VARCHAR)""")
        con.execute("""INSERT INTO tracks VALUES
            ('m1', 'anon-1', 'user-1', '2025-03-01 10:30:00+01', '2025-03-01 09:30:05+00', 'order_completed',
             'Order Completed', '/checkout', 'pro'),
            ('m2', 'anon-2', NULL, '2025-03-01 12:00:00+00', '2025-03-01 12:00:01+00', 'product_viewed',
             'Product Viewed', '/p/1', NULL),
            ('m3', 'anon-3', '', '2025-03-02 08:00:00+00', '2025-03-02 08:00:01+00', 'product_viewed',
             'Product Viewed', '/p/2', 'free')""")
    warehouse = ibis.duckdb.connect(str(db), read_only=True)
    t = load_events(warehouse.table("tracks"), preset="segment", properties=["plan", "context_page_path"])
    assert "pandas" not in str(type(t)) and isinstance(t, ibis.Table)
    got = rows(t)
    assert [r["user_id"] for r in got] == ["user-1", "anon-2", "anon-3"]  # an empty user id is no id
    assert [r["anonymous"] for r in got] == [False, True, True]
    assert [r["timestamp"] for r in got] == [ts("2025-03-01 09:30"), ts("2025-03-01 12:00"), ts("2025-03-02 08:00")]
    assert [r["event"] for r in got] == ["order_completed", "product_viewed", "product_viewed"]
    assert [r["plan"] for r in got] == ["pro", None, "free"]
    assert [r["context_page_path"] for r in got] == ["/checkout", "/p/1", "/p/2"]
    # only the contract's columns, the flag and the requested properties come out
    assert t.columns == ("user_id", "timestamp", "event", "anonymous", "plan", "context_page_path")


def test_snowplow_atomic_events_as_an_ibis_memtable():
    events = ibis.memtable(pd.DataFrame({
        "event_id": ["e1", "e2", "e3"],
        "user_id": ["alice", None, "carol"],
        "domain_userid": ["d-1", "d-2", "d-3"],
        "collector_tstamp": ["2025-03-01 09:30:01", "2025-03-01 11:00:01", "2025-03-02 07:00:01"],
        "derived_tstamp": ["2025-03-01 09:30:00.250", "2025-03-01 11:00:00", "2025-03-02 07:00:00"],
        "event_name": ["page_view", "page_view", "link_click"],
        "br_family": ["Chrome", "Safari", "Firefox"],
    }))
    got = rows(load_events(events, preset="snowplow", properties=["br_family"]))
    assert [r["user_id"] for r in got] == ["alice", "d-2", "carol"]
    assert [r["anonymous"] for r in got] == [False, True, False]
    assert [r["timestamp"] for r in got] == [ts("2025-03-01 09:30:00.250"), ts("2025-03-01 11:00"),
                                             ts("2025-03-02 07:00")]
    assert [r["event"] for r in got] == ["page_view", "page_view", "link_click"]
    assert [r["br_family"] for r in got] == ["Chrome", "Safari", "Firefox"]


def test_columns_override_one_field_of_a_preset():
    events = ibis.memtable(pd.DataFrame({
        "user_id": ["alice", None], "domain_userid": ["d-1", "d-2"],
        "derived_tstamp": ["2025-03-01 09:30:00", "2025-03-01 11:00:00"],
        "collector_tstamp": ["2025-03-01 09:31:00", "2025-03-01 11:01:00"],
        "event_name": ["page_view", "page_view"], "tr_total": [None, "49.5"],
    }))
    t = load_events(events, preset="snowplow", columns={"timestamp": "collector_tstamp", "revenue": "tr_total"})
    got = rows(t)
    assert [r["timestamp"] for r in got] == [ts("2025-03-01 09:31"), ts("2025-03-01 11:01")]
    assert [r["user_id"] for r in got] == ["alice", "d-2"]
    assert got[1]["revenue"] == 49.5


def test_an_unknown_property_names_the_closest_and_the_file(tmp_path):
    path = mixpanel_export(tmp_path)
    with pytest.raises(DataError, match=r"mixpanel\.jsonl.*'browser'.*closest: '\$browser'"):
        load_events(path, preset="mixpanel", properties=["browser"])
    with pytest.raises(DataError, match=r"'plna'.*closest: 'plan'"):
        load_events(ibis.memtable(pd.DataFrame({"user_id": ["a"], "anonymous_id": ["x"], "event": ["e"],
                                                "timestamp": ["2025-03-01"], "plan": ["pro"]})),
                    preset="segment", properties=["plna"])


def test_an_unknown_preset_and_a_missing_column_say_the_fix(tmp_path):
    with pytest.raises(DataError, match=r"no preset 'mixpanl'.*'mixpanel'.*posthog, amplitude"):
        load_events(mixpanel_export(tmp_path), preset="mixpanl")
    with pytest.raises(DataError, match=r"mixpanel\.jsonl: the amplitude preset reads user_id from column 'user_id'.*"
                       r"Amplitude's export.*columns=\{'user_id'"):
        load_events(mixpanel_export(tmp_path), preset="amplitude")


def test_validation_still_applies_after_a_preset(tmp_path):
    path = write_jsonl(tmp_path / "amp.jsonl", [
        {"user_id": None, "device_id": None, "event_time": "2025-03-01 09:30:00", "event_type": "A"},
        {"user_id": "u", "device_id": "d", "event_time": "2999-01-01 00:00:00", "event_type": "A"},
    ])
    with pytest.raises(DataError, match=r"amp\.jsonl.*a null user_id"):
        load_events(path, preset="amplitude")
    notes = []
    with pytest.warns(data.DataWarning):
        t = load_events(path, preset="amplitude", invalid="drop", notes=notes)
    assert t.count().execute() == 0 and "in the future" in notes[0]


def test_presets_are_readable_data_and_the_params_know_the_same_names():
    assert set(PRESETS) == {"posthog", "amplitude", "mixpanel", "ga4", "segment", "snowplow"}
    assert PRESETS["ga4"]["time_unit"] == "us" and PRESETS["segment"]["anonymous_id"] == "anonymous_id"
    literal = config.params.DataSource.model_fields["preset"].annotation.__args__[0].__args__
    assert set(literal) == set(PRESETS)


def test_params_with_a_ga4_preset_load_through_connect(tmp_path):
    rows_ = [{**r, "event_name": "sign_up" if i == 0 else r["event_name"]} for i, r in enumerate(GA4_ROWS)]
    write_jsonl(tmp_path / "ga4.jsonl", rows_)
    (tmp_path / "team.yaml").write_text(
        "team: web\ndata:\n  source: files\n  events: ga4.jsonl\n  preset: ga4\n  properties: [plan, page_number]\n"
        "events:\n  signup: sign_up\nsegments: [plan]\n")
    ds = data.connect(config.load_params(tmp_path / "team.yaml"))
    got = rows(ds.events)
    assert [r["user_id"] for r in got] == ["crm-7", "3333.4444", "crm-9"]
    assert [r["plan"] for r in got] == ["pro", "free", None]
    assert [r["page_number"] for r in got] == ["3", None, "12"]
    assert [r["anonymous"] for r in got] == [False, True, False]


def test_params_preset_on_a_database_table(tmp_path):
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE tracks AS SELECT * FROM (VALUES ('a1', 'u1', TIMESTAMP '2025-03-01 09:00', "
                    "'signup', 'pro'), ('a2', NULL, TIMESTAMP '2025-03-01 10:00', 'signup', 'free')) "
                    "v(anonymous_id, user_id, \"timestamp\", event, plan)")
    (tmp_path / "team.yaml").write_text(
        "team: wh\ndata:\n  source: wh.duckdb\n  events: tracks\n  preset: segment\n  properties: [plan]\n")
    got = rows(data.connect(config.load_params(tmp_path / "team.yaml")).events)
    assert [(r["user_id"], r["anonymous"], r["plan"]) for r in got] == [("u1", False, "pro"), ("a2", True, "free")]


def test_params_refuse_an_unknown_preset_and_properties_without_one(tmp_path):
    (tmp_path / "a.yaml").write_text("team: a\ndata:\n  source: files\n  events: e.csv\n  preset: mixpanl\n")
    with pytest.raises(Exception, match=r"data\.preset: unknown preset 'mixpanl'.*did you mean 'mixpanel'.*posthog"):
        config.load_params(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("team: b\ndata:\n  source: files\n  events: e.csv\n  properties: [plan]\n")
    with pytest.raises(Exception, match=r"add preset"):
        config.load_params(tmp_path / "b.yaml")


def test_the_sample_ignores_a_preset():
    params = config.load_params("growth")
    raw = params.model_dump(exclude_none=True)
    raw["data"] = {**raw["data"], "preset": "ga4", "properties": ["plan"]}
    raw.pop("source_file", None)
    ds = data.connect(config.parse_params(raw, where="growth.yaml"))
    assert "anonymous" not in ds.events.columns


def test_plain_json_lines_and_gzipped_parquet_load_without_a_preset(tmp_path):
    records = [{"user_id": "u1", "timestamp": "2025-03-01T09:00:00Z", "event": "signup", "plan": "pro"},
               {"user_id": "u2", "timestamp": "2025-03-02T10:00:00Z", "event": "signup", "plan": "free"}]
    got = rows(load_events(write_jsonl(tmp_path / "events.ndjson.gz", records, gz=True)))
    assert [(r["user_id"], r["timestamp"], r["plan"]) for r in got] == [
        ("u1", ts("2025-03-01 09:00"), "pro"), ("u2", ts("2025-03-02 10:00"), "free")]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "events.parquet")
    with open(tmp_path / "events.parquet", "rb") as src, gzip.open(tmp_path / "events.parquet.gz", "wb") as out:
        out.write(src.read())
    assert load_events(tmp_path / "events.parquet.gz").count().execute() == 2
    with pytest.raises(DataError, match=r"properties=\['plan'\] needs a preset"):
        load_events(tmp_path / "events.parquet", properties=["plan"])
