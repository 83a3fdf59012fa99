"""The event-log contract: load a team's tables, map its column names, validate, return ibis tables.

Every analysis in the playbook reads three tables with canonical column names:

========  =====================================  ==================================================
table     required columns                       optional columns
========  =====================================  ==================================================
events    ``user_id``, ``timestamp``, ``event``  ``account_id``, ``session_id``, ``revenue``, and any
                                                 other column as a segment property
surveys   ``user_id``, ``timestamp``, ``survey``  segment columns
          (nps / csat / ces), ``score``
spend     ``date``, ``channel``, ``amount``
========  =====================================  ==================================================

``timestamp`` is always a timezone-naive timestamp holding **UTC**; periods are cut in a team's time zone
with :func:`local_time`. Loading never pulls an event table into pandas: files are read by DuckDB, checks
run as aggregate queries, and what comes back is an ibis table (the engine rule of DESIGN.md).

Validation fails with a :class:`DataError` naming the table, column, what was expected and what was
found, with up to five offending rows. Rows that cannot be used (a null user id, event or timestamp, a
timestamp before 2000 or in the future) fail the load by default; with ``invalid="drop"`` they are
dropped and *counted*: a :class:`DataWarning` says how many, and :class:`Dataset` keeps the note.
"""

from __future__ import annotations

import difflib
import glob
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from .config import DATA_DIR, TeamParams
# The engine helpers are part of the data contract's public face (data.local_time, data.backend, ...)
from .engines import (UTC_ZONES, EngineError, backend, local_time, naive_utc, open_backend,  # noqa: F401
                      seconds_between, spark_session, utc_from_local)

REQUIRED = {
    "events": ("user_id", "timestamp", "event"),
    "surveys": ("user_id", "timestamp", "survey", "score"),
    "spend": ("date", "channel", "amount"),
}
SURVEY_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
EARLIEST = pd.Timestamp("2000-01-01")
MAX_SHOWN = 5


class DataError(ValueError):
    """The data do not meet the contract; the message says where, what and how to fix it."""


class DataWarning(UserWarning):
    """Rows were dropped (with ``invalid="drop"``) or something looks suspicious; the count is given."""


@dataclass
class Dataset:
    """A team's validated tables, the analysis date and what loading had to say.

    ``as_of`` is the first day *not* covered: periods ending after it are incomplete. By default it is the
    day after the last event (in the team's time zone).
    """

    events: ibis.Table
    surveys: ibis.Table | None = None
    spend: ibis.Table | None = None
    timezone: str = "UTC"
    as_of: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)
    params: TeamParams | None = None

    def __repr__(self) -> str:
        parts = [f"events={self.events.count().execute():,} rows"]
        for name in ("surveys", "spend"):
            table = getattr(self, name)
            if table is not None:
                parts.append(f"{name}={table.count().execute():,} rows")
        return f"Dataset({', '.join(parts)}, timezone={self.timezone!r}, as_of={self.as_of:%Y-%m-%d})"


# --------------------------------------------------------------------------------------------- reading


def _read(source, table: str) -> tuple[ibis.Table, str]:
    """Turn a DataFrame, path, glob or ibis table into an ibis table; also return a display name."""
    con = backend()
    if isinstance(source, ibis.Table):
        return source, f"{table} table"
    if isinstance(source, pd.DataFrame):
        return con.create_table(ibis.util.gen_name(table), source, temp=True), f"{table} DataFrame"
    path = str(source)
    matches = sorted(glob.glob(path)) if any(ch in path for ch in "*?[") else [path]
    if not matches or not Path(matches[0]).exists():
        raise DataError(f"{table}: no file at {path!r}. Fix: check the path (relative paths in a params "
                        "file are read from the params file's folder)")
    suffix = Path(matches[0]).suffix.lower()
    name = ibis.util.gen_name(table)
    if suffix in (".parquet", ".pq"):
        return con.read_parquet(matches, table_name=name), path
    if suffix in (".csv", ".tsv", ".txt") or path.endswith(".csv.gz"):
        # Read timestamps as text: DuckDB's sniffer would otherwise turn a column with a few bad
        # values into text silently, or guess a format; we parse and report ourselves.
        return con.read_csv(matches, table_name=name, all_varchar=True), path
    raise DataError(f"{table}: cannot read {path!r}: expected .csv or .parquet (or a glob of them). "
                    "Fix: convert the file, or load it yourself and pass a DataFrame or ibis table")


def _rename(t: ibis.Table, columns: dict | None, table: str, where: str) -> ibis.Table:
    columns = dict(columns or {})
    for canonical, theirs in columns.items():
        if theirs not in t.columns:
            close = difflib.get_close_matches(theirs, t.columns, n=3)
            hint = f" Closest columns: {', '.join(close)}." if close else ""
            raise DataError(f"{where}: column mapping {canonical}: {theirs!r} names no column of the {table} "
                            f"table (found: {', '.join(t.columns)}).{hint} Fix: correct the mapping")
    renames = {canonical: theirs for canonical, theirs in columns.items() if canonical != theirs}
    clashes = [c for c in renames if c in t.columns]
    if clashes:
        t = t.drop(*clashes)  # the mapping says which column plays the role; the homonym is discarded
    return t.rename(renames) if renames else t


def _require(t: ibis.Table, table: str, where: str, columns: dict | None) -> None:
    missing = [c for c in REQUIRED[table] if c not in t.columns]
    if not missing:
        return
    lines = []
    for col in missing:
        close = difflib.get_close_matches(col, t.columns, n=2, cutoff=0.4)
        hint = f" (maybe {', '.join(repr(c) for c in close)}?)" if close else ""
        lines.append(f"{col}{hint}")
    raise DataError(
        f"{where}: the {table} table has no required column {', '.join(lines)}. "
        f"Found columns: {', '.join(t.columns)}. Fix: rename it in the data or map it, e.g. "
        f"columns={{'{missing[0]}': '<your column>'}} (in params: data.columns)"
    )


def _show(t: ibis.Table, predicate, columns: list[str]) -> str:
    rows = t.filter(predicate).select(*columns).limit(MAX_SHOWN).execute()
    return "\n" + rows.to_string(index=False, max_colwidth=40)


# An offset only counts after a time of day: "2025-01-02" is a date, not 2025-01 at offset -02.
_OFFSET = r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|UTC|[+-]\d{2}(:?\d{2})?)$"


def _parse_time(t: ibis.Table, col: str, table: str, where: str, timezone: str, kind: str) -> ibis.Table:
    """Make ``col`` a naive-UTC timestamp (or a date for ``kind='date'``); fail on unparseable values."""
    dtype = t[col].type()
    if kind == "date":
        if dtype.is_date():
            return t
        if dtype.is_timestamp():
            return t.mutate(**{col: t[col].date()})
        parsed = t[col].cast("string").try_cast("date")
    elif dtype.is_timestamp():
        if dtype.timezone is not None:
            return t.mutate(**{col: naive_utc(t, col)})
        parsed = t[col]
    elif dtype.is_date():
        parsed = t[col].cast("timestamp")
    elif dtype.is_string():
        text = t[col].strip()
        has_zone = text.re_search(_OFFSET)
        counts = t.aggregate(zoned=has_zone.cast("int64").sum(), total=text.notnull().cast("int64").sum())
        counts = counts.execute().iloc[0]
        zoned, total = int(counts["zoned"] or 0), int(counts["total"] or 0)
        if 0 < zoned < total:
            raise DataError(
                f"{where}: column {col!r} mixes timestamps with a time-zone offset ({zoned:,} rows) and "
                f"without one ({total - zoned:,} rows), so their instants are ambiguous. Rows without:"
                f"{_show(t, text.notnull() & ~has_zone, [col])}\nFix: write every timestamp in UTC "
                "(e.g. 2025-03-01T09:30:00Z) or every one without an offset and pass timezone=")
        parsed = text.try_cast(dt.Timestamp(timezone="UTC") if zoned else dt.Timestamp())
        if zoned:
            parsed = parsed.cast(dt.Timestamp())
    else:
        raise DataError(f"{where}: column {col!r} should hold timestamps, found type {dtype}. "
                        "Fix: store it as a timestamp or ISO-8601 text")
    bad = parsed.isnull() & t[col].notnull()
    n_bad = int(t.aggregate(n=bad.cast("int64").sum()).execute().iloc[0]["n"] or 0)
    if n_bad:
        fmt = "YYYY-MM-DD" if kind == "date" else "ISO 8601, e.g. 2025-03-01 09:30:00 or 2025-03-01T09:30:00Z"
        raise DataError(f"{where}: column {col!r}: {n_bad:,} value(s) are not {kind}s (expected {fmt}). "
                        f"Examples:{_show(t, bad, [col])}\nFix: correct or remove these rows")
    if kind != "date" and not (dtype.is_string() and zoned):
        # Naive wall-clock times written in `timezone`: convert to UTC instants.
        parsed = utc_from_local(parsed, timezone)
    return t.mutate(**{col: parsed})


def _unusable(t: ibis.Table, checks: dict, table: str, where: str, invalid: str, notes: list) -> ibis.Table:
    """Count rows failing each check; raise, or drop and note them."""
    if not checks:
        return t
    counts = t.aggregate(**{k: pred.cast("int64").sum() for k, pred in checks.items()}).execute().iloc[0]
    bad = {k: int(counts[k] or 0) for k in checks if int(counts[k] or 0)}
    if not bad:
        return t
    if invalid == "raise":
        first = next(iter(bad))
        others = "; ".join(f"{k}: {v:,} rows" for k, v in bad.items())
        raise DataError(
            f"{where}: {bad[first]:,} row(s) of the {table} table have {first} ({others}). Examples:"
            f"{_show(t, checks[first], list(t.columns)[:8])}\nFix: clean these rows at the source, or "
            "load with invalid='drop' to drop them (the count is reported)")
    keep = ~ibis.or_(*[checks[k] for k in bad])
    note = f"{where}: dropped " + ", ".join(f"{v:,} row(s) with {k}" for k, v in bad.items())
    warnings.warn(note, DataWarning, stacklevel=3)
    notes.append(note)
    return t.filter(keep)


def _check_invalid_arg(invalid: str) -> None:
    if invalid not in ("raise", "drop"):
        raise ValueError(f"invalid must be 'raise' or 'drop', got {invalid!r}")


def load_events(source, columns: dict | None = None, timezone: str = "UTC", invalid: str = "raise",
                notes: list | None = None) -> ibis.Table:
    """Load and validate an event log.

    Parameters
    ----------
    source : DataFrame, str or Path (CSV, Parquet, or a glob of Parquet files), or ibis Table
    columns : dict, optional
        Canonical name -> your column name, e.g. ``{"user_id": "distinct_id", "timestamp": "ts"}``.
    timezone : str
        The zone that timestamps *without* an offset were written in; they are converted to UTC.
        Timestamps with an offset (or a time-zone-aware type) are converted exactly.
    invalid : {"raise", "drop"}
        What to do with rows that cannot be used (null user id / event / timestamp, a timestamp before
        2000 or more than a day in the future).
    notes : list, optional
        Receives a line per kind of dropped row.

    Returns
    -------
    ibis.Table with ``user_id`` (string), ``timestamp`` (naive UTC), ``event`` (string), the optional
    canonical columns cast to their types, and every other column unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"distinct_id": [1, 2], "ts": ["2025-03-01T09:00:00Z", "2025-03-02T10:00:00Z"],
    ...                     "name": ["signup", "signup"]})
    >>> t = load_events(raw, columns={"user_id": "distinct_id", "timestamp": "ts", "event": "name"})
    >>> t.execute().to_dict("list")["user_id"]
    ['1', '2']
    """
    _check_invalid_arg(invalid)
    notes = [] if notes is None else notes
    t, where = _read(source, "events")
    t = _rename(t, columns, "events", where)
    _require(t, "events", where, columns)
    t = _parse_time(t, "timestamp", "events", where, timezone, "timestamp")
    casts = {"user_id": "string", "event": "string"}
    casts.update({c: "string" for c in ("account_id", "session_id") if c in t.columns})
    if "revenue" in t.columns:
        rev = t.revenue.try_cast("float64")
        n_bad = int(t.aggregate(n=(rev.isnull() & t.revenue.notnull()).cast("int64").sum()).execute().iloc[0]["n"] or 0)
        if n_bad:
            raise DataError(f"{where}: column 'revenue': {n_bad:,} value(s) are not numbers. Examples:"
                            f"{_show(t, rev.isnull() & t.revenue.notnull(), ['user_id', 'event', 'revenue'])}"
                            "\nFix: write plain numbers (e.g. 49.0), no currency signs")
        t = t.mutate(revenue=rev)
    t = t.mutate(**{c: t[c].cast(kind) for c, kind in casts.items()})
    now = pd.Timestamp.now(tz="UTC").tz_localize(None) + pd.Timedelta(days=1)
    checks = {
        "a null user_id": t.user_id.isnull() | (t.user_id.strip() == ""),
        "a null event": t.event.isnull() | (t.event.strip() == ""),
        "a null timestamp": t.timestamp.isnull(),
        "a timestamp before 2000 or in the future": (t.timestamp < EARLIEST) | (t.timestamp > now),
    }
    return _unusable(t, checks, "events", where, invalid, notes)


def load_surveys(source, columns: dict | None = None, timezone: str = "UTC", invalid: str = "raise",
                 notes: list | None = None) -> ibis.Table:
    """Load and validate survey responses (``user_id, timestamp, survey, score``).

    ``survey`` is ``nps`` (0-10), ``csat`` (1-5) or ``ces`` (1-7), case-insensitive; a score outside its
    scale, or a survey type not in that list, fails with the offending rows.

    >>> import pandas as pd
    >>> raw = pd.DataFrame({"user_id": ["a"], "timestamp": ["2025-03-01"], "survey": ["nps"], "score": [11]})
    >>> load_surveys(raw)
    Traceback (most recent call last):
    ...
    pmplaybook.data.DataError: surveys DataFrame: column 'score': 1 nps score(s) outside 0-10 ...
    """
    _check_invalid_arg(invalid)
    notes = [] if notes is None else notes
    t, where = _read(source, "surveys")
    t = _rename(t, columns, "surveys", where)
    _require(t, "surveys", where, columns)
    t = _parse_time(t, "timestamp", "surveys", where, timezone, "timestamp")
    score = t.score.try_cast("float64")
    t = t.mutate(user_id=t.user_id.cast("string"), survey=t.survey.cast("string").strip().lower(),
                 score_raw=t.score.cast("string"), score=score)
    kinds = t.survey.isin(list(SURVEY_SCALES))
    unknown = t.filter(~kinds & t.survey.notnull()).survey.value_counts().execute()
    if len(unknown):
        raise DataError(f"{where}: column 'survey': expected one of nps, csat, ces; found "
                        f"{', '.join(f'{v!r} ({n:,} rows)' for v, n in unknown.itertuples(index=False))}. "
                        "Fix: map your survey names to nps / csat / ces")
    not_number = score.isnull() & t.score_raw.notnull()
    n_bad = int(t.aggregate(n=not_number.cast("int64").sum()).execute().iloc[0]["n"] or 0)
    if n_bad:
        raise DataError(f"{where}: column 'score': {n_bad:,} value(s) are not numbers. Examples:"
                        f"{_show(t, not_number, ['user_id', 'survey', 'score_raw'])}\nFix: write whole numbers")
    for kind, (low, high) in SURVEY_SCALES.items():
        outside = (t.survey == kind) & ((t.score < low) | (t.score > high) | (t.score != t.score.floor()))
        n_out = int(t.aggregate(n=outside.cast("int64").sum()).execute().iloc[0]["n"] or 0)
        if n_out:
            raise DataError(f"{where}: column 'score': {n_out:,} {kind} score(s) outside {low}-{high} "
                            f"(expected whole numbers {low} to {high}). Examples:"
                            f"{_show(t, outside, ['user_id', 'survey', 'score'])}\nFix: rescale or remove them")
    t = t.drop("score_raw").mutate(score=t.score.cast("int64"))
    checks = {"a null user_id": t.user_id.isnull(), "a null timestamp": t.timestamp.isnull(),
              "a null survey or score": t.survey.isnull() | t.score.isnull()}
    return _unusable(t, checks, "surveys", where, invalid, notes)


def load_spend(source, columns: dict | None = None, invalid: str = "raise",
               notes: list | None = None) -> ibis.Table:
    """Load and validate marketing spend (``date, channel, amount`` in the team's currency).

    >>> import pandas as pd
    >>> load_spend(pd.DataFrame({"date": ["2025-03-01"], "channel": ["ads"], "amount": [-5.0]}))
    Traceback (most recent call last):
    ...
    pmplaybook.data.DataError: spend DataFrame: column 'amount': 1 negative value(s) ...
    """
    _check_invalid_arg(invalid)
    notes = [] if notes is None else notes
    t, where = _read(source, "spend")
    t = _rename(t, columns, "spend", where)
    _require(t, "spend", where, columns)
    t = _parse_time(t, "date", "spend", where, "UTC", "date")
    amount = t.amount.try_cast("float64")
    not_number = amount.isnull() & t.amount.notnull()
    n_bad = int(t.aggregate(n=not_number.cast("int64").sum()).execute().iloc[0]["n"] or 0)
    if n_bad:
        raise DataError(f"{where}: column 'amount': {n_bad:,} value(s) are not numbers. Examples:"
                        f"{_show(t, not_number, ['date', 'channel', 'amount'])}\nFix: write plain numbers")
    t = t.mutate(channel=t.channel.cast("string"), amount=amount)
    negative = t.amount < 0
    n_neg = int(t.aggregate(n=negative.cast("int64").sum()).execute().iloc[0]["n"] or 0)
    if n_neg:
        raise DataError(f"{where}: column 'amount': {n_neg:,} negative value(s) (expected spend >= 0). "
                        f"Examples:{_show(t, negative, ['date', 'channel', 'amount'])}\n"
                        "Fix: record refunds as a separate table, not as negative spend")
    checks = {"a null date": t.date.isnull(), "a null channel": t.channel.isnull(),
              "a null amount": t.amount.isnull()}
    return _unusable(t, checks, "spend", where, invalid, notes)


# ------------------------------------------------------------------------------------ whole datasets


#: Event tables up to this many rows that DuckDB reads from files are copied into DuckDB's own columnar
#: storage once, after validation: every later query then skips Parquet/CSV decoding (about 4x faster on
#: the sample). Larger logs stay as file scans so memory stays bounded.
MATERIALIZE_MAX_ROWS = 10_000_000


def materialize(t: ibis.Table, max_rows: int | None = None) -> ibis.Table:
    """Copy a validated table into the embedded DuckDB when it is small enough (see above).

    Tables on another backend (a warehouse, Spark) are returned unchanged: they stay where they live.
    """
    try:
        if t.get_backend() is not backend():
            return t
    except Exception:  # an unbound table: leave it alone
        return t
    if int(t.count().execute()) > (MATERIALIZE_MAX_ROWS if max_rows is None else max_rows):
        return t
    return backend().create_table(ibis.util.gen_name("validated"), t, temp=True)


def default_as_of(events: ibis.Table, timezone: str = "UTC") -> pd.Timestamp:
    """The day after the last event, in ``timezone``: the first day the data do not cover."""
    last = events.aggregate(last=local_time(events.timestamp, timezone).max()).execute().iloc[0]["last"]
    if pd.isna(last):
        raise DataError("events: the table is empty. Fix: check the source and its filters")
    return pd.Timestamp(last).normalize() + pd.Timedelta(days=1)


def has_event(events: ibis.Table, name: str | None) -> bool:
    """True when at least one row has ``event == name`` (False for an empty name)."""
    return bool(name) and bool(events.filter(events.event == name).limit(1).count().execute())


def utc_midnight(day: pd.Timestamp, timezone: str) -> pd.Timestamp:
    """The naive-UTC instant at which local ``day`` (a naive date) starts in ``timezone``."""
    if timezone in UTC_ZONES:
        return day
    return day.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC").tz_localize(None)


def resolve_as_of(events: ibis.Table, as_of=None, timezone: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Read an ``as_of`` argument: ``(local day, UTC instant of its midnight)``, both naive.

    ``as_of`` is the first day the analysis does not cover (a date, ``"YYYY-MM-DD"``, or None / "" for the
    default: the day after the last event in ``timezone``); a timestamp gives an intra-day cut-off. Every metric function reads it through here,
    so they agree on which periods are complete.

    >>> resolve_as_of(None, "2026-01-01", "Europe/Berlin")
    (Timestamp('2026-01-01 00:00:00'), Timestamp('2025-12-31 23:00:00'))
    """
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        local = default_as_of(events, timezone)
    else:
        try:
            local = pd.Timestamp(as_of)
        except (TypeError, ValueError):
            raise ValueError(f"as_of={as_of!r} is not a date (as_of must be a date such as '2026-01-01'). "
                             "Fix: pass 'YYYY-MM-DD' (the first day the analysis does not cover) or None") from None
        if local.tzinfo is not None:
            local = local.tz_convert(timezone).tz_localize(None)
    return local, utc_midnight(local, timezone)


def sample(invalid: str = "raise") -> Dataset:
    """The bundled sample product (``data/``): events, surveys and spend, validated.

    >>> ds = sample()
    >>> ds.as_of
    Timestamp('2026-01-01 00:00:00')
    """
    notes: list[str] = []
    events = materialize(load_events(DATA_DIR / "events.parquet", invalid=invalid, notes=notes))
    return Dataset(
        events=events,
        surveys=materialize(load_surveys(DATA_DIR / "surveys.parquet", invalid=invalid, notes=notes)),
        spend=materialize(load_spend(DATA_DIR / "spend.parquet", invalid=invalid, notes=notes)),
        as_of=default_as_of(events),
        notes=notes,
    )


FILE_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".csv.gz", ".json")


def _is_file(name: str) -> bool:
    return name.lower().endswith(FILE_SUFFIXES) or any(ch in name for ch in "*?[") or "/" in name


def _database_tables(params: TeamParams, con=None):
    """Open the params' database (a DuckDB file, an ibis URL, or ``con``) and return a function that
    fetches a table by name. A name may carry its database (``analytics.events``) or be a file path
    (``events.parquet``, a glob or a folder), which the backend reads itself: Spark reads Parquet
    straight from disk or object storage."""
    source = params.data.source
    if con is not None or "://" in source:
        try:
            con = open_backend(con if con is not None else source)
        except EngineError as exc:
            raise DataError(str(exc)) from None
    else:
        path = Path(source) if Path(source).is_absolute() else params.base_dir / source
        if not path.exists():
            raise DataError(f"data.source: no DuckDB file at {path}. Fix: correct the path")
        con = ibis.duckdb.connect(str(path), read_only=True)
        con.raw_sql("SET TimeZone = 'UTC'")
        con.raw_sql("SET enable_progress_bar = false")

    def table(name: str) -> ibis.Table:
        if _is_file(name):
            path = name if "://" in name or Path(name).is_absolute() else str(params.base_dir / name)
            reader = con.read_csv if ".csv" in name.lower() or ".tsv" in name.lower() else con.read_parquet
            try:
                return reader(path, table_name=ibis.util.gen_name("source"))
            except Exception as exc:
                raise DataError(f"data: the {con.name} backend cannot read {path!r}: {type(exc).__name__}: "
                                f"{str(exc).splitlines()[0][:300]}. Fix: check the path, or name a table") from None
        database, _, short = name.rpartition(".")
        try:
            return con.table(short, database=tuple(database.split(".")) if "." in database else database or None)
        except Exception:
            try:
                names = con.list_tables(database=database or None)
            except Exception:
                names = []
            found = ", ".join(sorted(names)[:20]) or "none listed"
            raise DataError(f"data: no table {name!r} in {source!r} (found: {found}). Fix: name an existing "
                            "table or view, as database.table if it is not in the default database") from None

    return table


def connect(params: TeamParams, invalid: str = "raise", check_events: bool = True, as_of=None,
            con=None) -> Dataset:
    """Load a team's tables as its params describe, validated against the contract *and* the params.

    Besides the table checks of :func:`load_events`, every event the params name must occur in the data
    (a misspelt event would silently give zeros), and every segment column must exist. ``as_of``
    (a date or "YYYY-MM-DD") overrides the default analysis date, the day after the last event.

    ``con`` (an ibis backend or a SparkSession) makes ``data.events`` / ``surveys`` / ``spend`` name tables
    or files on that connection instead of ``data.source``: the way to hand the playbook a Spark session
    that a notebook on a cluster already has. Every metric then runs there.

    >>> from pmplaybook.config import load_params
    >>> connect(load_params("growth")).events.columns[:3]
    ('user_id', 'account_id', 'timestamp')
    """
    d = params.data
    notes: list[str] = []
    if d.source == "sample" and con is None:
        ds = sample(invalid=invalid)
        notes = ds.notes
        events, surveys, spend = ds.events, ds.surveys, ds.spend
        if d.columns:
            events = _rename(events, d.columns, "events", "sample")
    else:
        if d.source == "files" and con is None:
            def fetch(name):
                p = Path(name)
                return str(p if p.is_absolute() else params.base_dir / p)
        else:
            fetch = _database_tables(params, con)
        where = params.source_file or "params"
        try:
            events = materialize(load_events(fetch(d.events), d.columns, invalid=invalid, notes=notes))
            surveys = materialize(load_surveys(fetch(d.surveys), d.survey_columns, invalid=invalid, notes=notes)) if d.surveys else None
            spend = materialize(load_spend(fetch(d.spend), d.spend_columns, invalid=invalid, notes=notes)) if d.spend else None
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None
    if check_events:
        check_against_params(events, params)
    as_of = pd.Timestamp(as_of).normalize() if as_of else default_as_of(events, params.timezone)
    return Dataset(events=events, surveys=surveys, spend=spend, timezone=params.timezone,
                   as_of=as_of, notes=notes, params=params)


def check_against_params(events: ibis.Table, params: TeamParams) -> None:
    """Fail if an event named in the params never occurs, or a segment column does not exist."""
    where = params.source_file or f"params of {params.team}"
    present = set(events.select("event").distinct().execute()["event"])
    for key, name in params.event_names().items():
        if name not in present:
            close = difflib.get_close_matches(name, sorted(present), n=3, cutoff=0.5)
            hint = f"closest existing events: {', '.join(close)}" if close else \
                f"existing events include: {', '.join(sorted(present)[:12])}"
            raise DataError(f"{where}: {key} names event {name!r}, which never occurs in the events table "
                            f"({hint}). Fix: correct the name in the params")
    _check_vocabularies(params, where)
    for i, seg in enumerate(params.segments):
        if seg not in events.columns:
            close = difflib.get_close_matches(seg, events.columns, n=3)
            raise DataError(f"{where}: segments.{i} names column {seg!r}, which the events table lacks "
                            f"(closest: {', '.join(close) or 'none'}; found: {', '.join(events.columns)}). "
                            "Fix: name an existing column")


def _check_vocabularies(params: TeamParams, where: str) -> None:
    """The metric names the params use (HEART rows, North Star inputs and guardrail) must be ones the
    playbook computes: checked here, before any notebook runs, rather than halfway through a report."""
    from . import heart, north_star
    from .config import ParamsError

    for i, row in enumerate(params.heart):
        try:
            heart.check_metric_name(row.metric, f"heart.{i}.metric")
        except ValueError as exc:
            raise ParamsError(f"{where}: {exc}") from None
    named = [(f"north_star.inputs.{i}", m) for i, m in enumerate(params.north_star.inputs)]
    if params.north_star.guardrail:
        named.append(("north_star.guardrail", params.north_star.guardrail))
    for key, metric in named:
        if metric not in north_star.INPUT_METRICS:
            close = difflib.get_close_matches(metric, list(north_star.INPUT_METRICS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParamsError(f"{where}: {key}: {metric!r} is not a metric the playbook computes{hint}. Fix: use "
                              f"one of {', '.join(north_star.INPUT_METRICS)}")
