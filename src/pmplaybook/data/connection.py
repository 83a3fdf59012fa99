"""Connect a team's params to its data: read what the params name (the bundled sample, files, a DuckDB
file, or any ibis connection), validate it against the contract and against the params (every event a
role names must occur, every segment column must exist), and return a :class:`~.dataset.Dataset`."""

from __future__ import annotations

import difflib
from pathlib import Path

import ibis
import pandas as pd

from ..config import TeamParams
from ..core.calendar import day_after_last_event, default_as_of, read_as_of
from ..core.engines import open_backend
from ..core.errors import DataError, EngineError
from .dataset import Dataset, materialize
from .load import _rename, load_events, load_predictions, load_spend, load_surveys
from .bundled import sample

FILE_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".gz")


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
            lower = name.lower()
            kw = {}
            if ".csv" in lower or ".tsv" in lower:
                reader = con.read_csv
            elif any(s in lower for s in (".json", ".jsonl", ".ndjson")):
                reader = con.read_json
                if con.name == "duckdb":  # JSON lines; a preset reads nested objects as JSON (every key kept)
                    kw = {"format": "newline_delimited", **({"maximum_depth": 1} if params.data.preset else {})}
            else:
                reader = con.read_parquet
            try:
                return reader(path, table_name=ibis.util.gen_name("source"), **kw)
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
    (a date or "YYYY-MM-DD") overrides the default analysis date, the first day in the team's time zone
    that the data do not cover completely (:func:`~pmplaybook.core.calendar.default_as_of`: the log reaches
    the end of the UTC day of its last event, and a local day counts once it has ended by then). An explicit
    ``as_of`` is honoured up to the day after the last event (``data_end``), so it may take in a partial
    last day, which the data-health check then reports; a later one is cut there, with a note.

    ``data.preset`` and ``data.properties`` read the events as an analytics tool's export (see
    :data:`~.presets.PRESETS`; files and database tables alike, ``data.columns`` overriding the preset); the
    bundled sample ignores them.

    ``con`` (an ibis backend or a SparkSession) makes ``data.events`` / ``surveys`` / ``spend`` / ``predictions`` name tables
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
        events, surveys, spend, predictions = ds.events, ds.surveys, ds.spend, ds.predictions
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
            kw = dict(invalid=invalid, notes=notes, valid_from=d.valid_from)
            events = materialize(load_events(fetch(d.events), d.columns, preset=d.preset,
                                             properties=d.properties, **kw))
            surveys = materialize(load_surveys(fetch(d.surveys), d.survey_columns, **kw)) if d.surveys else None
            spend = materialize(load_spend(fetch(d.spend), d.spend_columns, **kw)) if d.spend else None
            predictions = materialize(load_predictions(fetch(d.predictions), d.prediction_columns, **kw)) \
                if d.predictions else None
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None
    if check_events:
        check_against_params(events, params)
    data_end = day_after_last_event(events, params.timezone)
    requested = read_as_of(as_of, params.timezone)
    requested = requested.normalize() if requested is not None else None
    used = default_as_of(events, params.timezone) if requested is None else min(requested, data_end)
    if requested is not None and requested > data_end:
        # the weeks after the last event are not zeros: they were not recorded yet
        notes.append(freshness_note(data_end, requested))
    return Dataset(events=events, surveys=surveys, spend=spend, predictions=predictions,
                   timezone=params.timezone, as_of=used, notes=notes, params=params, data_end=data_end,
                   requested_as_of=requested)


def freshness_note(data_end: pd.Timestamp, requested: pd.Timestamp) -> str:
    """``data end 2025-12-31, 3 weeks before the requested date 2026-01-22: ...`` (how stale the data are)."""
    days = (requested - data_end).days
    gap = f"{days} day{'s' if days != 1 else ''}" if days < 14 else f"{days // 7} weeks" + (
        f" and {days % 7} day{'s' if days % 7 != 1 else ''}" if days % 7 else "")
    last = data_end - pd.Timedelta(days=1)
    return (f"data end {last:%Y-%m-%d}, {gap} before the requested date {requested:%Y-%m-%d}: the analysis stops "
            f"at the data's end (as_of {data_end:%Y-%m-%d}) instead of counting the missing days as zeros")


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
    for i, seg in enumerate(params.segments):
        if seg in ("user_id", "timestamp", "event"):
            raise DataError(f"{where}: segments.{i} is {seg!r}, a column every row has its own value of: it cannot "
                            "split users into groups. Fix: name a property such as platform, plan or country")
        if seg not in events.columns:
            close = difflib.get_close_matches(seg, events.columns, n=3)
            raise DataError(f"{where}: segments.{i} names column {seg!r}, which the events table lacks "
                            f"(closest: {', '.join(close) or 'none'}; found: {', '.join(events.columns)}). "
                            "Fix: name an existing column")
