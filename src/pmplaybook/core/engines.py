"""The SQL engines behind the playbook: the embedded DuckDB, connections to others, and what ibis leaves
to each engine.

Every metric is an ibis expression, so it runs on whichever engine holds the events (the
engine rule). Two things ibis does not make portable are kept here, each with one version per engine:

* time zones: :func:`local_time` (a UTC timestamp's wall-clock time in the team's zone) and
  :func:`utc_from_local`, through DuckDB/Postgres ``timezone``, Spark ``from_utc_timestamp``, Snowflake
  ``convert_timezone``, BigQuery ``DATETIME(ts, zone)``;
* exact durations: :func:`seconds_between` (Spark's ``epoch_seconds`` drops fractions of a second).

And the connections: :func:`backend` (the process's embedded DuckDB), :func:`open_backend` (an ibis URL,
a SparkSession or an ibis backend) and :func:`spark_session` (``pyspark://`` URLs). The backend test suite
checks that DuckDB and Spark give the same answers.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import os
import re
import sys
import tempfile
import zlib
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from .errors import EngineError


def _defer_ibis_compilers() -> None:
    """Make ``ibis.backends.sql.compilers`` import each engine's SQL compiler on first use.

    That package imports the compilers of all twenty engines ibis speaks (Athena to Trino) as soon as one
    backend loads: about 0.18 s of every process's first query, a quarter of a user's first answer on a
    10M-event file, spent on engines the process never talks to. Here the package is created without
    running its ``__init__``, and a module ``__getattr__`` imports a compiler when it is asked for, by
    class (``sc.DuckDBCompiler``) or by module (``sc.duckdb``), reading the class-to-module map from that
    very ``__init__`` so it follows ibis's own list. Nothing changes if the package was imported already
    or its ``__init__`` no longer has that shape."""
    name = "ibis.backends.sql.compilers"
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return
    source = Path(spec.origin).read_text()
    home = {cls: mod for mod, cls in re.findall(rf"^from {re.escape(name)}\.(\w+) import (\w+)$", source, re.M)}
    if not home or set(home) != set(re.findall(r'^    "(\w+)",$', source, re.M)):
        return
    package = importlib.util.module_from_spec(spec)

    def __getattr__(attr: str):
        module = home.get(attr, attr)
        if module.startswith("_") or importlib.util.find_spec(f"{name}.{module}") is None:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        found = importlib.import_module(f"{name}.{module}")
        return found if module == attr else getattr(found, attr)

    package.__getattr__ = __getattr__
    package.__all__ = sorted(home)
    sys.modules[name] = package
    setattr(importlib.import_module("ibis.backends.sql"), "compilers", package)


_defer_ibis_compilers()

_BACKEND = None

#: Threads the embedded DuckDB may use (default: one per core). The report runner sets it in its workers
#: to cores / workers: two kernels with a thread per core each would fight for the cores.
THREADS_VARIABLE = "PMPLAYBOOK_DUCKDB_THREADS"


#: Tables whose contents never change once made: the data loads' tables and views (``ibis_validated_...``,
#: ``ibis_events_...``; see :mod:`pmplaybook.data.cache`), in-memory tables and the tables ``Table.cache()``
#: makes, each under a name made once (``ibis.util.gen_name``) and never written to again.
_LOADED_WORDS = "validated|source|events|surveys|spend|predictions"
LOADED_TABLE = re.compile(rf"^ibis_({_LOADED_WORDS})_[0-9a-z]+$")
IMMUTABLE_TABLE = re.compile(rf"^ibis_({_LOADED_WORDS}|pandas_memtable|cached)_[0-9a-z]+$")

#: Remembered query results (see :func:`_remembering`), least recently used first: at most this many, and
#: at most this many rows together (the oldest are forgotten first), so memory stays bounded.
RESULTS_KEPT = 512
RESULT_ROWS_KEPT = 1_000_000
_RESULTS: dict = {}


def _memo_key(expr, params, limit, kwargs):
    """The key a query's result is remembered under, or None when it must run each time: it reads a table
    that may change (a table the user named, a view, raw SQL), draws random numbers or reads the clock."""
    import ibis.expr.operations as ops

    if params or kwargs:
        return None
    op = expr.op()
    volatile = (ops.RandomScalar, ops.RandomUUID, ops.TimestampNow, ops.DateNow)
    for node in op.find((ops.Relation, *volatile)):
        if isinstance(node, volatile):
            return None
        if isinstance(node, (ops.DatabaseTable, ops.InMemoryTable)):
            if not IMMUTABLE_TABLE.match(node.name):
                return None
        elif isinstance(node, ops.PhysicalTable) or type(node).__name__.startswith("SQL"):
            return None
    return (op, limit)


def _rows(result) -> int:
    return len(result) if isinstance(result, (pd.DataFrame, pd.Series)) else 1


def forget_results(tables=None) -> None:
    """Forget the remembered results (those reading any of ``tables``, a set of names, if given)."""
    if tables is None:
        _RESULTS.clear()
        return
    import ibis.expr.operations as ops

    for key in [k for k in _RESULTS if any(n.name in tables for n in k[0].find((ops.DatabaseTable, ops.InMemoryTable)))]:
        del _RESULTS[key]


def _remembering(Backend):
    """A DuckDB backend that remembers the results of its queries over tables that never change.

    The same question is often asked twice: a notebook's summary and its section both read week-4
    retention, the KPI review reads what the retention page read, and a warm kernel runs a team's pages
    one after the other. An expression is its own key (ibis expressions are immutable and compare by
    structure), so the second asking costs a dictionary look-up. Each caller gets its own copy (pandas
    copy-on-write: free until written to)."""

    class Remembering(Backend):
        def execute(self, expr, /, *, params=None, limit=None, **kwargs):
            key = _memo_key(expr, params, limit, kwargs)
            if key is None:
                return super().execute(expr, params=params, limit=limit, **kwargs)
            if key in _RESULTS:
                result = _RESULTS.pop(key)
                _RESULTS[key] = result  # most recently used last
            else:
                result = super().execute(expr, limit=limit)
                if _rows(result) <= RESULT_ROWS_KEPT // 10:
                    _RESULTS[key] = result
                    rows = sum(_rows(r) for r in _RESULTS.values())
                    while len(_RESULTS) > RESULTS_KEPT or rows > RESULT_ROWS_KEPT:
                        rows -= _rows(_RESULTS.pop(next(iter(_RESULTS))))
            return result.copy(deep=False) if isinstance(result, (pd.DataFrame, pd.Series)) else result

    return Remembering


def backend():
    """The process-wide embedded DuckDB connection (session time zone fixed to UTC), which remembers
    the results of queries over the playbook's own tables (:func:`_remembering`)."""
    global _BACKEND
    if _BACKEND is None:
        # what ibis.duckdb.connect() does, without its look-up of the backend among every installed
        # package's entry points (about 35 ms of a first answer)
        from ibis.backends.duckdb import Backend

        Backend.register_options()
        _BACKEND = _remembering(Backend)().connect()
        _BACKEND.raw_sql("SET TimeZone = 'UTC'")
        # DuckDB's own progress bar would appear as a stray widget in executed notebooks
        _BACKEND.raw_sql("SET enable_progress_bar = false")
        threads = os.environ.get(THREADS_VARIABLE, "").strip()
        if threads:
            _BACKEND.raw_sql(f"SET threads = {int(threads)}")
    return _BACKEND


@ibis.udf.scalar.builtin(name="epoch_us")
def _duckdb_epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:
    """DuckDB's microseconds since the epoch of an instant."""


@ibis.udf.scalar.builtin(name="make_timestamp")
def _duckdb_make_timestamp(us: dt.int64) -> dt.Timestamp():
    """DuckDB's naive timestamp from microseconds since the epoch."""


def naive_utc(t: ibis.Table, col: str) -> ibis.Value:
    """A time-zone-aware column as naive UTC. On the embedded DuckDB the epoch round trip is about 10x
    faster than a cast (which goes through the session time zone); elsewhere, a plain cast."""
    if _backend_name(t) == "duckdb":
        return _duckdb_make_timestamp(_duckdb_epoch_us(t[col]))
    return t[col].cast(dt.Timestamp())


def blank(text: ibis.Value) -> ibis.Value:
    """True where a text value is null, empty or only whitespace (what ``strip()`` removes).

    Trimming every value of a large column costs DuckDB about ten times the scan itself. A blank value is
    empty or starts with whitespace, so in byte order (DuckDB's default collation) it sorts before ``"!"``:
    on DuckDB only those few values are trimmed. Engines that may compare text in a locale's collation
    trim every value."""
    empty = text.strip() == ""
    if _backend_name(text) == "duckdb":
        empty = ibis.cases((text < "!", empty), else_=False)
    return text.isnull() | empty


def count_rows(t: ibis.Table, predicates: dict, scan_each: bool = False) -> dict:
    """How many rows of ``t`` match each of ``predicates`` (name -> boolean expression on ``t``), in one query.

    One aggregate pass over the table; with ``scan_each`` on DuckDB, one filtered count per predicate joined
    by UNION ALL instead: each filter goes down into its own scan, where Parquet's row-group statistics (null
    counts, min / max) skip every row group that cannot match, so a clean file is checked with little reading
    (10M events: about 0.01 s instead of 0.2 s). Only for tables DuckDB reads from Parquet or holds itself: a
    CSV or JSON file would be parsed again by every branch."""
    if not predicates:
        return {}
    names = list(predicates)
    if scan_each and _backend_name(t) == "duckdb":
        parts = []
        for i, pred in enumerate(predicates.values()):
            matched = t.filter(pred)
            parts.append(matched.aggregate(n=matched.count()).mutate(check=ibis.literal(i, "int64")))
        rows = ibis.union(*parts).execute() if len(parts) > 1 else parts[0].execute()
        found = dict(zip(rows["check"].astype(int), rows["n"]))
        return {name: int(found.get(i, 0) or 0) for i, name in enumerate(names)}
    row = t.aggregate(**{f"n{i}": pred.cast("int64").sum() for i, pred in enumerate(predicates.values())}
                      ).execute().iloc[0]
    return {name: int(row[f"n{i}"] or 0) for i, name in enumerate(names)}


# Time zones. ibis has no portable "wall-clock time in zone Z" operation, so each SQL engine's own
# function is named here. DuckDB and Postgres share `timezone(zone, ts)`; Spark and Databricks have
# `from_utc_timestamp` / `to_utc_timestamp`; Snowflake `convert_timezone`; BigQuery goes through a
# TIMESTAMP and back to a DATETIME. Every one takes a naive UTC value and returns a naive value.
UTC_ZONES = ("UTC", "Etc/UTC", "GMT")


@ibis.udf.scalar.builtin(name="timezone")
def _timezone_to_local(zone: str, ts: dt.Timestamp(timezone="UTC")) -> dt.Timestamp():
    """DuckDB/Postgres ``timezone(zone, timestamptz)``: the wall-clock time in ``zone``."""


@ibis.udf.scalar.builtin(name="timezone")
def _timezone_to_utc(zone: str, ts: dt.Timestamp()) -> dt.Timestamp(timezone="UTC"):
    """DuckDB/Postgres ``timezone(zone, timestamp)``: the instant of a wall-clock time in ``zone``."""


@ibis.udf.scalar.builtin(name="from_utc_timestamp")
def _spark_to_local(ts: dt.Timestamp(), zone: str) -> dt.Timestamp():
    """Spark's wall-clock time in ``zone`` of a UTC timestamp."""


@ibis.udf.scalar.builtin(name="to_utc_timestamp")
def _spark_to_utc(ts: dt.Timestamp(), zone: str) -> dt.Timestamp():
    """Spark's UTC timestamp of a wall-clock time in ``zone``."""


@ibis.udf.scalar.builtin(name="convert_timezone")
def _snowflake_convert(source: str, target: str, ts: dt.Timestamp()) -> dt.Timestamp():
    """Snowflake's ``convert_timezone(source_zone, target_zone, timestamp_ntz)``."""


@ibis.udf.scalar.builtin(name="timestamp")
def _bigquery_instant(ts: dt.Timestamp(), zone: str) -> dt.Timestamp(timezone="UTC"):
    """BigQuery's ``TIMESTAMP(datetime, zone)``: the instant of a wall-clock time in ``zone``."""


@ibis.udf.scalar.builtin(name="datetime")
def _bigquery_wall_clock(ts: dt.Timestamp(timezone="UTC"), zone: str) -> dt.Timestamp():
    """BigQuery's ``DATETIME(timestamp, zone)``: the wall-clock time in ``zone`` of an instant."""


@functools.lru_cache(maxsize=64)
def utc_offsets(zone: str, start: int = 1970, end: int = 2100) -> tuple[tuple[pd.Timestamp, int], ...]:
    """The UTC offsets of ``zone`` from ``start`` to ``end``: ``((from_utc, seconds), ...)``, the first
    entry from the start on, each later one from the naive-UTC instant a change takes effect (found to
    the second, from the zone database Python ships with)."""
    import zoneinfo

    tz = zoneinfo.ZoneInfo(zone)

    def offset(utc: pd.Timestamp) -> int:
        return int(utc.tz_localize("UTC").astimezone(tz).utcoffset().total_seconds())

    days = pd.date_range(f"{start}-01-01", f"{end}-01-01", freq="D")
    local = days.tz_localize("UTC").tz_convert(zone).tz_localize(None)
    daily = ((local - days) // pd.Timedelta(seconds=1)).tolist()  # the offset at each UTC midnight
    out = [(days[0], daily[0])]
    for i in range(1, len(days)):
        if daily[i] != daily[i - 1]:
            low, high = days[i - 1], days[i]  # the change takes effect in (low, high]: bisect to the second
            while (high - low) > pd.Timedelta(seconds=1):
                mid = low + (high - low) / 2
                mid = mid.floor("s")
                if offset(mid) == daily[i - 1]:
                    low = mid
                else:
                    high = mid
            out.append((high, daily[i]))
    return tuple(out)


def _icu_to_local(ts: ibis.Value, zone: str) -> ibis.Value:
    """DuckDB's and Postgres's own ``timezone(zone, timestamptz)`` of a naive-UTC timestamp."""
    return _timezone_to_local(zone, ts.cast(dt.Timestamp(timezone="UTC")))


def _duckdb_local_macro(zone: str) -> str:
    """The body of a DuckDB macro ``(ts)`` giving the wall-clock time in ``zone`` of a naive-UTC ``ts``:
    UTC plus the offset in force (:func:`utc_offsets`), found by bisection over the changes (8 tests for
    241). The same values as DuckDB's ``timezone()`` (ICU) for 1970-2100, checked instant by instant in
    tests, and several times faster; outside those years ICU converts."""
    offsets = utc_offsets(zone)

    def pick(lo: int, hi: int) -> str:  # the offset in microseconds
        if hi - lo == 1:
            return str(offsets[lo][1] * 1_000_000)
        mid = (lo + hi) // 2
        return f"CASE WHEN ts >= TIMESTAMP '{offsets[mid][0]}' THEN {pick(mid, hi)} ELSE {pick(lo, mid)} END"

    quoted = zone.replace("'", "''")
    # integer microseconds: adding an INTERVAL to a timestamp costs DuckDB twice as much
    return (f"CASE WHEN ts >= TIMESTAMP '{offsets[0][0]}' AND ts < TIMESTAMP '2100-01-01' "
            f"THEN make_timestamp(epoch_us(ts) + {pick(0, len(offsets))}) "
            f"ELSE CAST(timezone('{quoted}', CAST(ts AS TIMESTAMPTZ)) AS TIMESTAMP) END")


@functools.lru_cache(maxsize=64)
def _macro_udf(name: str):
    return ibis.udf.scalar.builtin(lambda ts: None, name=name, signature=((dt.Timestamp(),), dt.Timestamp()))


def _duckdb_to_local(ts: ibis.Value, zone: str) -> ibis.Value:
    """Wall-clock time in ``zone`` on DuckDB: a call of the connection's macro for the zone (created on
    first use, :func:`_duckdb_local_macro`). The conversion is in nearly every query of a team outside
    UTC; as one function call it costs ibis nothing to compile, where the bisection written out as an
    ibis expression doubled the compile time of those queries. An expression bound to no connection
    (compiled with ``ibis.to_sql``) converts with ``timezone()``, which gives the same values."""
    try:
        con = ts.get_backend()
    except Exception:  # unbound
        con = None
    if getattr(con, "name", None) != "duckdb":
        return _icu_to_local(ts, zone)
    # readable, and distinct for zones that differ only in punctuation (Etc/GMT+5, Etc/GMT-5)
    name = f"pmplaybook_local_{re.sub(r'[^0-9a-z]+', '_', zone.lower())}_{zlib.crc32(zone.encode()):08x}"
    made = con.__dict__.setdefault("_pmplaybook_macros", set())
    if name not in made:
        con.raw_sql(f"CREATE OR REPLACE TEMP MACRO {name}(ts) AS {_duckdb_local_macro(zone)}")
        made.add(name)
    return _macro_udf(name)(ts)


_TO_LOCAL = {
    "duckdb": lambda ts, zone: _duckdb_to_local(ts, zone),
    "postgres": lambda ts, zone: _icu_to_local(ts, zone),
    "pyspark": lambda ts, zone: _spark_to_local(ts, zone),
    "databricks": lambda ts, zone: _spark_to_local(ts, zone),
    "snowflake": lambda ts, zone: _snowflake_convert("UTC", zone, ts),
    "bigquery": lambda ts, zone: _bigquery_wall_clock(_bigquery_instant(ts, "UTC"), zone),
}
_TO_UTC = {
    "duckdb": lambda ts, zone: _timezone_to_utc(zone, ts).cast(dt.Timestamp()),
    "postgres": lambda ts, zone: _timezone_to_utc(zone, ts).cast(dt.Timestamp()),
    "pyspark": lambda ts, zone: _spark_to_utc(ts, zone),
    "databricks": lambda ts, zone: _spark_to_utc(ts, zone),
    "snowflake": lambda ts, zone: _snowflake_convert(zone, "UTC", ts),
    "bigquery": lambda ts, zone: _bigquery_wall_clock(_bigquery_instant(ts, zone), "UTC"),
}


@ibis.udf.scalar.builtin(name="epoch_us")
def _duckdb_epoch_us_naive(ts: dt.Timestamp()) -> dt.int64:
    """DuckDB's microseconds since the epoch of a naive timestamp."""


@ibis.udf.scalar.builtin(name="unix_micros")
def _spark_unix_micros(ts: dt.Timestamp()) -> dt.int64:
    """Spark's microseconds since the epoch."""


_EPOCH_US = {"duckdb": _duckdb_epoch_us_naive, "pyspark": _spark_unix_micros, "databricks": _spark_unix_micros}


def seconds_between(later: ibis.Value, earlier: ibis.Value) -> ibis.Value:
    """Seconds from ``earlier`` to ``later``, to the microsecond on every backend.

    ibis's ``epoch_seconds`` keeps the fraction on DuckDB but truncates to whole seconds on Spark, so
    durations (time to convert, to activate, task times) go through exact microseconds here.
    """
    epoch_us = _EPOCH_US.get(_backend_name(later))
    if epoch_us is None:
        return later.epoch_seconds() - earlier.epoch_seconds()
    return (epoch_us(later) - epoch_us(earlier)) / 1_000_000


def shifted_week_start(local: ibis.Value, shift: int) -> ibis.Value:
    """The start (midnight) of the week holding a local timestamp, weeks numbered ``(epoch day + shift)
    // 7`` (see :data:`pmplaybook.core.calendar.WEEK_SHIFT`). On DuckDB in integer microseconds: the
    portable form, a day added, ``truncate("W")``, a day taken off, costs twice as much there."""
    day_us = 86_400_000_000
    if local.type().is_date():
        local = local.cast("timestamp")
    if _backend_name(local) == "duckdb":
        days = _duckdb_epoch_us_naive(local) // day_us
        return _duckdb_make_timestamp(((days + shift) // 7 * 7 - shift) * day_us)
    offset = ibis.interval(days=shift - 3)  # ISO weeks (truncate("W")) are shift 3
    return (local + offset).truncate("W") - offset


def _backend_name(expr) -> str:
    """The name of the backend an expression runs on ("duckdb" for unbound expressions)."""
    try:
        return expr.get_backend().name
    except Exception:  # unbound or built from literals only
        return "duckdb"


def _zone_function(table: dict, ts: ibis.Value, timezone: str, engine: str | None):
    name = engine or _backend_name(ts)
    if name not in table:
        raise EngineError(
            f"timezone {timezone!r}: the playbook does not yet know how the {name} backend converts time "
            f"zones (it does for {', '.join(sorted(table))}). Fix: set timezone: UTC in the params (periods "
            "are then cut at UTC midnight), or store a local-time column and map it as the timestamp")
    return table[name]


def local_time(ts: ibis.Value, timezone: str, engine: str | None = None) -> ibis.Value:
    """Wall-clock time in ``timezone`` of a naive-UTC timestamp expression (identity for UTC).

    Periods (days, weeks, months) are cut on this value, so a user in Berlin active at 23:30 UTC on
    Sunday counts in Monday's day and in the next week. The conversion runs in the engine, with its own
    time-zone function; ``engine`` (an ibis backend name) is the one the expression is bound to unless
    given, e.g. to compile an unbound expression with ``ibis.to_sql(expr, dialect=...)``.
    """
    if timezone in UTC_ZONES:
        return ts
    return _zone_function(_TO_LOCAL, ts, timezone, engine)(ts, timezone)


def utc_from_local(ts: ibis.Value, timezone: str, engine: str | None = None) -> ibis.Value:
    """The naive-UTC instant of a naive wall-clock timestamp written in ``timezone`` (identity for UTC)."""
    if timezone in UTC_ZONES:
        return ts
    return _zone_function(_TO_UTC, ts, timezone, engine)(ts, timezone)


#: Spark settings for a session the playbook starts itself (``source: pyspark://``); any of them can be
#: overridden in the URL's query, e.g. ``pyspark://?master=local[4]&spark.driver.memory=8g``.
SPARK_DEFAULTS = {
    "spark.ui.showConsoleProgress": "false",  # the progress bar would litter notebooks and reports
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",      # the default 200 is meant for clusters, not one machine
    "spark.sql.session.timeZone": "UTC",
}


def spark_session(url: str = "pyspark://"):
    """A SparkSession for a ``pyspark://`` URL: the active one if the process has one (a Databricks or
    Spark notebook), else a new one. ``master`` in the query picks the cluster (``local[*]`` by default);
    other query keys are Spark settings."""
    from urllib.parse import parse_qsl, urlparse

    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    conf = {**SPARK_DEFAULTS, **dict(parse_qsl(urlparse(url).query))}
    # Python workers run this interpreter, not the `python3` on PATH, which may lack the playbook's packages
    # (PySpark reads the variable when the session starts; a value the user set is kept).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    master = conf.pop("master", None) or conf.pop("spark.master", "local[*]")
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no "hostname resolves to loopback" warning
    builder = SparkSession.builder.master(master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    # The JVM writes its log to the standard error it inherits, which a notebook would show as output
    # (and a report would publish): start it with standard error going to SPARK_LOG instead.
    with _stderr_to(SPARK_LOG):
        session = builder.appName("pmplaybook").getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


#: Where the Spark JVM that :func:`spark_session` starts writes its log.
SPARK_LOG = Path(tempfile.gettempdir()) / f"pmplaybook-spark-{os.getpid()}.log"


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Point file descriptor 2 at ``path`` for the duration (child processes keep it for good)."""
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(target, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


#: The engines with an install extra (``pip install 'pmplaybook[<extra>]'``), and the URL schemes for them.
EXTRAS = ("spark", "databricks", "bigquery", "snowflake", "postgres", "clickhouse", "trino")
SCHEMES = ("pyspark", "databricks", "bigquery", "snowflake", "postgres", "clickhouse", "trino", "duckdb")


def open_backend(source):
    """An ibis backend for a connection URL, a SparkSession, or an ibis backend (returned as is).

    ``pyspark://`` starts or reuses a Spark session (see :func:`spark_session`); every other URL goes to
    :func:`ibis.connect` (``postgres://``, ``bigquery://``, ``snowflake://``, ``clickhouse://``, ...).
    """
    if isinstance(source, ibis.BaseBackend):
        return source
    if type(source).__name__ == "SparkSession":
        return ibis.pyspark.connect(source)
    try:
        if str(source).startswith("pyspark://"):
            return ibis.pyspark.connect(spark_session(source))
        return ibis.connect(source)
    except Exception as exc:  # the backend's own message is the useful part
        scheme = str(source).split("://")[0]
        extra = {"pyspark": "spark", "postgresql": "postgres"}.get(scheme, scheme)
        if extra not in EXTRAS:
            raise EngineError(f"data.source: {source!r}: the playbook knows no engine called {scheme!r}. Fix: use "
                              f"one of {', '.join(s + '://' for s in SCHEMES)}, a DuckDB file path, 'files' or "
                              "'sample' (README: 'When your data outgrows one machine')") from None
        raise EngineError(f"data.source: cannot connect to {source!r}: {type(exc).__name__}: {exc}. Fix: check "
                          f"the URL and that the engine's extra is installed (pip install 'pmplaybook[{extra}]', "
                          "see the README section 'When your data outgrows one machine')") from None
