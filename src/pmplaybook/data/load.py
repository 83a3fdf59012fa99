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
predic-   ``prediction_id``, ``user_id``,          ``model``, ``predicted``, ``outcome`` (accepted /
tions     ``timestamp``, ``score`` (0-1),          edited / rejected / ignored / overridden), and any
          ``actual`` (bool, null while unknown),   other column as a segment property
          ``latency_ms``, ``cost``
========  =====================================  ==================================================

``timestamp`` is always a timezone-naive timestamp holding **UTC**; periods are cut in a team's time zone
with :func:`local_time`. Loading never pulls an event table into pandas: files are read by DuckDB, checks
run as aggregate queries, and what comes back is an ibis table (the engine rule).

Validation fails with a :class:`DataError` naming the table, column, what was expected and what was
found, with up to five offending rows. Rows that cannot be used (a null user id, event or timestamp, a
timestamp more than a day in the future, or before a ``valid_from`` you set) fail the load by default; with
``invalid="drop"`` they are
dropped and *counted*: a :class:`DataWarning` says how many, and :class:`Dataset` keeps the note.
"""

from __future__ import annotations

import difflib
import glob
import re
import warnings
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from ..core import checks as arguments
from ..core.engines import UTC_ZONES, backend, blank, count_rows, naive_utc, utc_from_local
from ..core.errors import DataError, DataWarning
from .presets import apply_preset

REQUIRED = {
    "events": ("user_id", "timestamp", "event"),
    "surveys": ("user_id", "timestamp", "survey", "score"),
    "spend": ("date", "channel", "amount"),
    "predictions": ("prediction_id", "user_id", "timestamp", "score", "actual", "latency_ms", "cost"),
}

#: What a shown prediction can lead to (the ``outcome`` column of the predictions table).
OUTCOMES = ("accepted", "edited", "rejected", "ignored", "overridden")

#: Text that reads as a boolean (case-insensitive); anything else in a boolean column is refused.
_TRUE_TEXT = ("true", "t", "yes", "y", "1")
_FALSE_TEXT = ("false", "f", "no", "n", "0")


SURVEY_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


#: How far past the present a timestamp may lie (clocks and time zones disagree by hours, not by days).
FUTURE_SLACK = pd.Timedelta(days=1)


MAX_SHOWN = 5


JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def _read(source, table: str, nested_as_json: bool = False) -> tuple[ibis.Table, str]:
    """Turn a DataFrame, path, glob or ibis table into an ibis table; also return a display name.

    Files: CSV (``.csv``, ``.tsv``, ``.txt``), JSON lines (``.json``, ``.jsonl``, ``.ndjson``: one object a
    line), Parquet, and gzip of any of them (``.csv.gz``, ``.jsonl.gz``...). ``nested_as_json`` reads a JSON
    line's top-level fields as JSON values (what presets want: property objects keep every key, whatever
    keys the first lines had)."""
    con = backend()
    if isinstance(source, ibis.Table):
        return source, f"{table} table"
    if isinstance(source, pd.DataFrame):
        # A column with no value at all, or with values of mixed Python types (True and 2, 3 and "x"), has no
        # type DuckDB can store: hold it as text, which the checks below then read and report.
        mixed = [c for c in source.columns if source[c].dtype == object
                 and len({type(v) for v in source[c] if not pd.isna(v)}) != 1]
        if mixed:
            source = source.assign(**{c: source[c].map(lambda v: None if pd.isna(v) else str(v)).astype("string")
                                      for c in mixed})
        return con.create_table(ibis.util.gen_name(table), source, temp=True), f"{table} DataFrame"
    path = str(source)
    matches = sorted(glob.glob(path)) if any(ch in path for ch in "*?[") else [path]
    if not matches or not Path(matches[0]).exists():
        raise DataError(f"{table}: no file at {path!r}. Fix: check the path (relative paths in a params "
                        "file are read from the params file's folder)")
    empty = [m for m in matches if Path(m).is_file() and Path(m).stat().st_size == 0]
    if empty:
        raise DataError(f"{table}: {empty[0]!r} is empty (0 bytes). Fix: export the table again; an export that "
                        "stopped half-way often leaves an empty file")
    first = Path(matches[0]).name.lower()
    gzipped = first.endswith(".gz")
    suffix = Path(first[:-3] if gzipped else first).suffix
    name = ibis.util.gen_name(table)
    if suffix in (".parquet", ".pq"):
        if gzipped:  # Parquet compresses inside; a gzipped Parquet file is unpacked to a temporary copy
            matches = [_gunzip(m) for m in matches]
        # several files: columns are matched by name and a column typed differently across files takes the
        # type that holds both (an integer in one file and text in another is read as text), not an error
        extra = {"union_by_name": True} if len(matches) > 1 else {}
        return _unreadable(lambda: con.read_parquet(matches, table_name=name, **extra), path, table), path
    if suffix in (".csv", ".tsv", ".txt"):
        # Read timestamps as text: DuckDB's sniffer would otherwise turn a column with a few bad
        # values into text silently, or guess a format; we parse and report ourselves.
        t = _unreadable(lambda: con.read_csv(matches, table_name=name, all_varchar=True), path, table)
        if not gzipped:
            _refuse_ragged(t, matches, table)
        return t, path
    if suffix in JSON_SUFFIXES:
        depth = {"maximum_depth": 1} if nested_as_json else {}
        return _unreadable(lambda: con.read_json(matches, table_name=name, format="newline_delimited", **depth),
                           path, table), path
    raise DataError(f"{table}: cannot read {path!r}: expected .csv, .json/.jsonl/.ndjson (JSON lines) or "
                    ".parquet, optionally gzipped (.gz), or a glob of them. Fix: convert the file, or load it "
                    "yourself and pass a DataFrame or ibis table")


def _gunzip(path: str) -> str:
    """Unpack a gzipped file into a temporary file (kept for the session) and return its path."""
    import gzip
    import shutil
    import tempfile

    out = tempfile.NamedTemporaryFile(suffix=Path(path[:-3]).suffix, delete=False)
    with gzip.open(path, "rb") as src, out:
        shutil.copyfileobj(src, out)
    return out.name


#: What a reading error from DuckDB means, and the fix (matched on its message).
READ_FIXES = (
    ("not utf-8", "the file is not UTF-8 text", "save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`), "
                                                "or read it with pandas (`pd.read_csv(path, encoding='latin-1')`) "
                                                "and pass the DataFrame"),
    ("magic bytes", "the file is not a valid Parquet file (cut short, or another format with a .parquet name)",
     "export it again, or give it the suffix of its real format"),
    ("failed to cast column", "the files of the glob give one column different types",
     "give the column one type in every file, or load the files one by one"),
    ("could not convert", "the files of the glob give one column different types",
     "give the column one type in every file, or load the files one by one"),
    ("json", "a line is not a JSON object", "write JSON lines: one object a line"),
)


def _explain_read_error(exc: Exception, path: str, table: str) -> DataError:
    text = str(exc)
    first = next((line for line in text.splitlines() if line.strip()), type(exc).__name__)[:300]
    for needle, what, fix in READ_FIXES:
        if needle in text.lower():
            return DataError(f"{table}: {path!r} cannot be read: {what} ({first}). Fix: {fix}")
    return DataError(f"{table}: {path!r} cannot be read ({type(exc).__name__}: {first}). Fix: check that the file "
                     "is complete and in the format its suffix says")


def _unreadable(read, path: str, table: str):
    """Run ``read`` (a DuckDB reader); a reading error becomes a DataError that says what it means."""
    try:
        return read()
    except Exception as exc:  # DuckDB's IO, conversion and parser errors share no base class with ibis'
        raise _explain_read_error(exc, path, table) from None


def _refuse_ragged(t: ibis.Table, matches: list[str], table: str) -> None:
    """A CSV whose rows have different numbers of fields makes DuckDB read the whole header as one column:
    say which line differs instead of reporting missing columns."""
    import csv

    if len(t.columns) != 1 or not any(sep in t.columns[0] for sep in ",;\t|"):
        return
    for path in matches:
        with open(path, newline="", encoding="utf-8", errors="replace") as fh:
            rows = csv.reader(fh)
            header = next(rows, [])
            for line, row in enumerate(rows, start=2):
                if row and len(row) != len(header):
                    raise DataError(f"{table}: {path!r} line {line} has {len(row)} fields where the header has "
                                    f"{len(header)} ({','.join(row)[:120]!r}). Fix: quote values that hold the "
                                    "separator, or remove the stray fields")
                if line > 100_000:
                    break


def _rename(t: ibis.Table, columns: dict | None, table: str, where: str) -> ibis.Table:
    columns = dict(columns or {})
    roles: dict[str, list[str]] = {}
    for canonical, theirs in columns.items():
        roles.setdefault(theirs, []).append(canonical)
    twice = {theirs: names for theirs, names in roles.items() if len(names) > 1}
    if twice:
        theirs, names = next(iter(twice.items()))
        raise DataError(f"{where}: column mapping: {theirs!r} is mapped to {' and '.join(names)}; one column plays one "
                        f"role. Fix: map each of {', '.join(names)} to its own column (copy the column in the data "
                        "if it really plays both)")
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
    if all(re.fullmatch(r"[\d\s.,:;/+-]+", c) for c in t.columns):
        raise DataError(f"{where}: the file seems to have no header row: its first line ({' '.join(t.columns)[:80]!r}) "
                        f"is data. Fix: add a header line naming the columns ({', '.join(REQUIRED[table])}, ...), "
                        "or read it with pandas (`pd.read_csv(path, sep=r'\\s+', names=[...])`) and pass the DataFrame")
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


#: A date written YYYYMMDD (ISO 8601's basic form).
_COMPACT_DATE = r"^(1[89]|2[0-9])[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$"


def _parse_time(t: ibis.Table, col: str, table: str, where: str, timezone: str, kind: str) -> ibis.Table:
    """Make ``col`` a naive-UTC timestamp (or a date for ``kind='date'``); fail on unparseable values."""
    parsed, bad = _time_values(t, col, where, timezone, kind)
    if bad is not None:
        _refuse_unparsed(t, col, where, kind, bad, count_rows(t, {"bad": bad})["bad"])
    return t if parsed is None else t.mutate(**{col: parsed})


def _refuse_unparsed(t: ibis.Table, col: str, where: str, kind: str, bad: ibis.Value, n_bad: int) -> None:
    if n_bad:
        fmt = "YYYY-MM-DD" if kind == "date" else "ISO 8601, e.g. 2025-03-01 09:30:00 or 2025-03-01T09:30:00Z"
        raise DataError(f"{where}: column {col!r}: {n_bad:,} value(s) are not {kind}s (expected {fmt}). "
                        f"Examples:{_show(t, bad, [col])}\nFix: correct or remove these rows")


def _time_values(t: ibis.Table, col: str, where: str, timezone: str, kind: str):
    """``col`` as a naive-UTC timestamp (or a date for ``kind='date'``): an expression on ``t`` (None when
    the column is that already), and the predicate of the values that fail to parse (None when no value
    can fail: a column already of a timestamp type). Text is looked at in one pass (its shape: compact
    dates, offsets); counting the failures is left to the caller, which can do it in its own pass."""
    dtype = t[col].type()
    if kind == "date":
        if dtype.is_date():
            return None, None
        if dtype.is_timestamp():
            return t[col].date(), None
        parsed = t[col].cast("string").try_cast("date")
    elif dtype.is_timestamp():
        if dtype.timezone is not None:
            return naive_utc(t, col), None
        parsed = t[col]
    elif dtype.is_date():
        parsed = t[col].cast("timestamp")
    elif dtype.is_string():
        text = t[col].strip()
        has_zone = text.re_search(_OFFSET)
        counts = t.aggregate(zoned=has_zone.cast("int64").sum(), total=text.notnull().cast("int64").sum(),
                             compact=text.re_search(_COMPACT_DATE).cast("int64").sum()).execute().iloc[0]
        zoned, total = int(counts["zoned"] or 0), int(counts["total"] or 0)
        if total > 0 and int(counts["compact"] or 0) == total:
            # ISO 8601's basic form, 19970101 (as in the CDNOW purchase log): a date with no separators
            parsed = text.as_timestamp("%Y%m%d").cast(dt.Timestamp())
            zoned = 0
        elif 0 < zoned < total:
            raise DataError(
                f"{where}: column {col!r} mixes timestamps with a time-zone offset ({zoned:,} rows) and "
                f"without one ({total - zoned:,} rows), so their instants are ambiguous. Rows without:"
                f"{_show(t, text.notnull() & ~has_zone, [col])}\nFix: write every timestamp in UTC "
                "(e.g. 2025-03-01T09:30:00Z) or every one without an offset and pass timezone=")
        else:
            parsed = text.try_cast(dt.Timestamp(timezone="UTC") if zoned else dt.Timestamp())
            if zoned:
                parsed = parsed.cast(dt.Timestamp())
    else:
        raise DataError(f"{where}: column {col!r} should hold timestamps, found type {dtype}. "
                        "Fix: store it as a timestamp or ISO-8601 text")
    # a column already of a timestamp type cannot hold a value that fails to parse: nothing to count
    bad = None if dtype.is_timestamp() else parsed.isnull() & t[col].notnull()
    if kind != "date" and not (dtype.is_string() and zoned):
        # Naive wall-clock times written in `timezone`: convert to UTC instants.
        parsed = utc_from_local(parsed, timezone)
    return parsed, bad


def _unusable(t: ibis.Table, checks: dict, table: str, where: str, invalid: str, notes: list,
              counts=None) -> ibis.Table:
    """Count rows failing each check (or take ``counts`` already computed, keyed like ``checks``); raise, or
    drop and note them."""
    if not checks:
        return t
    if counts is None:
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
                notes: list | None = None, valid_from=None, preset: str | None = None,
                properties: list[str] | tuple = ()) -> ibis.Table:
    """Load and validate an event log.

    Parameters
    ----------
    source : DataFrame, str or Path (CSV, JSON lines, Parquet, gzipped or not, or a glob of them), or ibis Table
    columns : dict, optional
        Canonical name -> your column name, e.g. ``{"user_id": "distinct_id", "timestamp": "ts"}``.
        With a preset, it overrides the preset's fields (see :func:`.presets.apply_preset`).
    preset : {"posthog", "amplitude", "mixpanel", "ga4", "segment", "snowplow"}, optional
        Read the tool's export or warehouse sync as :data:`.presets.PRESETS` describes it. The result also
        has an ``anonymous`` column. Identity: ``user_id`` is the identified id, else the anonymous (device /
        cookie) id, and ``anonymous`` is true on rows that only had the anonymous one. Identities are not
        stitched: a person's rows from before they logged in stay under their anonymous id; count them with
        the ``anonymous`` column. Every tool writes UTC: leave ``timezone`` at its default.
    properties : list of str
        With a preset: the properties to lift into columns of their own (``["plan", "$browser"]``), from
        where the tool keeps them (PostHog / Mixpanel ``properties``, Amplitude ``event_properties`` then
        ``user_properties``, GA4 ``event_params``, Segment / Snowplow columns). One that no row has fails
        with the closest names found.
    timezone : str
        The zone that timestamps *without* an offset were written in; they are converted to UTC.
        Timestamps with an offset (or a time-zone-aware type) are converted exactly.
    invalid : {"raise", "drop"}
        What to do with rows that cannot be used (null user id / event / timestamp, a timestamp more than
        a day in the future or before ``valid_from``).
    notes : list, optional
        Receives a line per kind of dropped row.
    valid_from : date-like, optional
        The first day whose rows you trust (a tracking-plan change, a migration); earlier rows are
        unusable. History is data: without it, data from any year load.

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
    arguments.timezone(timezone)
    notes = [] if notes is None else notes
    t, where = _read(source, "events", nested_as_json=bool(preset))
    if preset:
        t = apply_preset(t, preset, list(properties or ()), columns, where, notes)
    else:
        if properties:
            raise DataError(f"{where}: properties={list(properties)} needs a preset (properties are lifted from a "
                            "tool's export). Fix: pass preset=, or drop properties: without a preset every "
                            "column of the table is kept as a property already")
        t = _rename(t, columns, "events", where)
    _require(t, "events", where, columns)
    stored = t
    parsed, unparsed = _time_values(stored, "timestamp", where, timezone, "timestamp")
    t = stored if parsed is None else stored.mutate(timestamp=parsed)
    casts = {"user_id": "string", "event": "string"}
    casts.update({c: "string" for c in ("account_id", "session_id") if c in t.columns})
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)

    def unusable(x: ibis.Table, ts: ibis.Value) -> dict:
        return {"a null user_id": blank(x.user_id.cast("string")), "a null event": blank(x.event.cast("string")),
                "a null timestamp": ts.isnull(), **_time_checks(ts, valid_from, now)}

    # One query counts every problem (timestamps that do not parse, revenue, the unusable rows) on the table
    # as stored; examples are fetched only for a failing check. A timestamp column already of a timestamp
    # type is checked as stored (an instant, or a naive time that is UTC): the same rows, and a filter on a
    # stored column reaches a Parquet file's statistics (see count_rows). A column already of a number type
    # needs no parsing, and only a float (or text) can hold NaN or infinity: those checks are left out.
    stamp = stored.timestamp.type()
    exact = stamp.is_timestamp() and (stamp.timezone is not None or timezone in UTC_ZONES)
    ts = stored.timestamp if exact or parsed is None else parsed
    problems = {} if unparsed is None else {"timestamp_unparsed": unparsed}
    if "revenue" in stored.columns:
        amount = stored.revenue.try_cast("float64")
        kind = stored.revenue.type()
        if not kind.is_numeric():
            problems["revenue_text"] = amount.isnull() & stored.revenue.notnull()
        if not (kind.is_integer() or kind.is_decimal()):
            problems["revenue_not_finite"] = amount.notnull() & (amount.isnan() | amount.isinf())
    # one scan per check only where no check parses text (each would parse it again)
    counts = count_rows(stored, {**problems, **{f"unusable: {k}": v for k, v in unusable(stored, ts).items()}},
                        scan_each=not preset and unparsed is None and _stored_by_duckdb(source))
    if unparsed is not None:
        _refuse_unparsed(stored, "timestamp", where, "timestamp", unparsed, counts["timestamp_unparsed"])
    if "revenue" in t.columns:
        rev = t.revenue.try_cast("float64")
        n_bad = counts.get("revenue_text", 0)
        if n_bad:
            raise DataError(f"{where}: column 'revenue': {n_bad:,} value(s) are not numbers. Examples:"
                            f"{_show(t, rev.isnull() & t.revenue.notnull(), ['user_id', 'event', 'revenue'])}"
                            "\nFix: write plain numbers (e.g. 49.0), no currency signs")
        _refuse_not_finite(t, rev, "revenue", where, ["user_id", "event", "revenue"],
                           n_bad=counts.get("revenue_not_finite", 0))
        t = t.mutate(revenue=rev)
    t = t.mutate(**{c: t[c].cast(kind) for c, kind in casts.items()})
    checks = unusable(t, t.timestamp)
    found = {k: counts[f"unusable: {k}"] for k in checks}
    return _unusable(t, checks, "events", where, invalid, notes, counts=found)


def _stored_by_duckdb(source) -> bool:
    """True for a DataFrame (held by DuckDB) or Parquet files: tables DuckDB can scan once per check."""
    if isinstance(source, pd.DataFrame):
        return True
    if isinstance(source, ibis.Table):
        return False
    name = Path(str(source)).name.lower().removesuffix(".gz")
    return name.endswith((".parquet", ".pq"))


def _time_checks(ts, valid_from=None, now=None) -> dict:
    """Rows dated more than a day after ``now`` (by default the present), or before ``valid_from`` when one
    is given."""
    now = pd.Timestamp.now(tz="UTC").tz_localize(None) if now is None else now
    zone = ts.type().timezone if ts.type().is_timestamp() else None
    if zone is None:
        ts, at = ts.cast("timestamp"), (lambda moment: moment)
    else:  # an instant (a column read as stored): compared with instants, no cast
        at = lambda moment: ibis.literal(moment.tz_localize("UTC") if moment.tzinfo is None  # noqa: E731
                                         else moment.tz_convert("UTC"))
    out = {f"a date after {now + FUTURE_SLACK:%Y-%m-%d} (in the future)": ts > at(now + FUTURE_SLACK)}
    if valid_from is not None and str(valid_from).strip():
        start = pd.Timestamp(valid_from)
        out[f"a date before valid_from {start:%Y-%m-%d}"] = ts < at(start)
    return out


def _refuse_not_finite(t: ibis.Table, values: ibis.Value, column: str, where: str, shown: list[str],
                       n_bad: int | None = None) -> None:
    """NaN and infinite amounts are not numbers a sum can use: refuse them with examples. ``n_bad``: their
    count when the caller has it already (from its own pass over the table)."""
    bad = values.notnull() & (values.isnan() | values.isinf())
    if n_bad is None:
        n_bad = int(t.aggregate(n=bad.cast("int64").sum()).execute().iloc[0]["n"] or 0)
    if n_bad:
        raise DataError(f"{where}: column {column!r}: {n_bad:,} value(s) are NaN or infinite. Examples:"
                        f"{_show(t.mutate(**{column: values}), bad, shown)}\nFix: leave the cell empty when there "
                        "is no amount, or write the amount as a plain number")


def load_surveys(source, columns: dict | None = None, timezone: str = "UTC", invalid: str = "raise",
                 notes: list | None = None, valid_from=None) -> ibis.Table:
    """Load and validate survey responses (``user_id, timestamp, survey, score``).

    ``survey`` is ``nps`` (0-10), ``csat`` (1-5) or ``ces`` (1-7), case-insensitive; a score outside its
    scale, or a survey type not in that list, fails with the offending rows.

    >>> import pandas as pd
    >>> raw = pd.DataFrame({"user_id": ["a"], "timestamp": ["2025-03-01"], "survey": ["nps"], "score": [11]})
    >>> load_surveys(raw)
    Traceback (most recent call last):
    ...
    pmplaybook.core.errors.DataError: surveys DataFrame: column 'score': 1 nps score(s) outside 0-10 ...
    """
    _check_invalid_arg(invalid)
    arguments.timezone(timezone)
    notes = [] if notes is None else notes
    t, where = _read(source, "surveys")
    t = _rename(t, columns, "surveys", where)
    _require(t, "surveys", where, columns)
    t = _parse_time(t, "timestamp", "surveys", where, timezone, "timestamp")
    if t.score.type().is_boolean():
        raise DataError(f"{where}: column 'score' holds true/false values, not survey scores (NPS 0-10, CSAT 1-5, "
                        "CES 1-7). Fix: map the column that holds the answer's number")
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
              "a null survey or score": t.survey.isnull() | t.score.isnull(), **_time_checks(t.timestamp, valid_from)}
    return _unusable(t, checks, "surveys", where, invalid, notes)


def load_spend(source, columns: dict | None = None, invalid: str = "raise",
               notes: list | None = None, valid_from=None) -> ibis.Table:
    """Load and validate marketing spend (``date, channel, amount`` in the team's currency).

    >>> import pandas as pd
    >>> load_spend(pd.DataFrame({"date": ["2025-03-01"], "channel": ["ads"], "amount": [-5.0]}))
    Traceback (most recent call last):
    ...
    pmplaybook.core.errors.DataError: spend DataFrame: column 'amount': 1 negative value(s) ...
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
    _refuse_not_finite(t, amount, "amount", where, ["date", "channel", "amount"])
    t = t.mutate(channel=t.channel.cast("string"), amount=amount)
    negative = t.amount < 0
    n_neg = int(t.aggregate(n=negative.cast("int64").sum()).execute().iloc[0]["n"] or 0)
    if n_neg:
        raise DataError(f"{where}: column 'amount': {n_neg:,} negative value(s) (expected spend >= 0). "
                        f"Examples:{_show(t, negative, ['date', 'channel', 'amount'])}\n"
                        "Fix: record refunds as a separate table, not as negative spend")
    checks = {"a null date": t.date.isnull(), "a null channel": t.channel.isnull(),
              "a null amount": t.amount.isnull(), **_time_checks(t.date, valid_from)}
    return _unusable(t, checks, "spend", where, invalid, notes)


def _boolean(values: ibis.Value) -> ibis.Value:
    """A column read as true / false / null: booleans as they are, 0 and 1, and true/false/yes/no text;
    anything else becomes null here and is refused by the caller (which compares with the raw value)."""
    dtype = values.type()
    if dtype.is_boolean():
        return values
    if dtype.is_numeric():
        return ibis.cases((values == 1, True), (values == 0, False), else_=ibis.null("boolean"))
    text = values.cast("string").strip().lower()
    return ibis.cases((text.isin(_TRUE_TEXT), True), (text.isin(_FALSE_TEXT), False), else_=ibis.null("boolean"))


def load_predictions(source, columns: dict | None = None, timezone: str = "UTC", invalid: str = "raise",
                     notes: list | None = None, valid_from=None) -> ibis.Table:
    """Load and validate a model's prediction log: one row per prediction (a model call).

    Columns: ``prediction_id``, ``user_id``, ``timestamp``, ``score`` (the model's confidence, 0-1),
    ``actual`` (whether the prediction was right: true / false, or null while the label is unknown: labels
    often arrive late, or for a reviewed sample only), ``latency_ms`` and ``cost`` (currency per
    prediction); optionally ``model`` (version), ``predicted`` (true when the product's own threshold acted
    on the prediction, e.g. showed the suggestion), ``outcome`` (what the user did with a shown prediction:
    accepted / edited / rejected / ignored / overridden) and any segment column.

    Every value check runs in one aggregate query and fails with the column, the count and example rows:
    a score that is not a number or lies outside 0-1, a label or ``predicted`` that is not boolean
    (true/false, 1/0, yes/no are read as such), a negative, NaN or infinite latency or cost, an unknown
    outcome, a prediction id that occurs twice. Rows with a null id, user, timestamp or score, or a
    timestamp in the future, fail the load (or are dropped and counted with ``invalid="drop"``).

    >>> import pandas as pd
    >>> raw = pd.DataFrame({"prediction_id": ["p1"], "user_id": ["u1"], "timestamp": ["2025-03-01"],
    ...                     "score": [1.2], "actual": [True], "latency_ms": [300], "cost": [0.001]})
    >>> load_predictions(raw)
    Traceback (most recent call last):
    ...
    pmplaybook.core.errors.DataError: predictions DataFrame: column 'score': 1 value(s) outside 0-1. Examples:...
    """
    _check_invalid_arg(invalid)
    notes = [] if notes is None else notes
    t, where = _read(source, "predictions")
    t = _rename(t, columns, "predictions", where)
    _require(t, "predictions", where, columns)
    t = _parse_time(t, "timestamp", "predictions", where, timezone, "timestamp")
    numbers = {c: t[c].try_cast("float64") for c in ("score", "latency_ms", "cost")}
    flags = {c: _boolean(t[c]) for c in ("actual", "predicted") if c in t.columns}
    outcome = t.outcome.cast("string").strip().lower() if "outcome" in t.columns else None
    # One pass over the table: every problem counted at once; examples are fetched only for a failing one.
    problems: dict[str, tuple[str, ibis.Value, str]] = {}
    for c, v in numbers.items():
        problems[f"{c}_text"] = (c, v.isnull() & t[c].notnull(), "not numbers. Fix: write plain numbers")
        problems[f"{c}_nan"] = (c, v.notnull() & (v.isnan() | v.isinf()),
                                "NaN or infinite. Fix: leave the cell empty or write a plain number")
    problems["score_range"] = ("score", (numbers["score"] < 0) | (numbers["score"] > 1),
                               "outside 0-1. Fix: rescale the model's score to a probability-like 0-1 value")
    for c in ("latency_ms", "cost"):
        problems[f"{c}_negative"] = (c, numbers[c] < 0, "negative. Fix: a latency or a cost cannot be below 0")
    for c, v in flags.items():
        problems[f"{c}_bool"] = (c, v.isnull() & t[c].notnull(),
                                 "not true/false. Fix: write true/false (or 1/0); leave the cell empty while a "
                                 "label is unknown")
    if outcome is not None:
        problems["outcome"] = ("outcome", outcome.notnull() & (outcome != "") & ~outcome.isin(OUTCOMES),
                               f"not one of {', '.join(OUTCOMES)}. Fix: map your outcome names onto these "
                               "(leave it empty when the prediction was not shown)")
    # the unusable rows are counted in the same pass (on the raw columns; they are re-checked only if any)
    unusable = {
        "a null prediction_id": t.prediction_id.isnull(),
        "a null user_id": blank(t.user_id.cast("string")),
        "a null timestamp": t.timestamp.isnull(),
        "a null score": numbers["score"].isnull(),
        **_time_checks(t.timestamp, valid_from),
    }
    counts = t.aggregate(**{k: pred.cast("int64").sum() for k, (_, pred, _) in problems.items()},
                         **{f"unusable_{i}": pred.cast("int64").sum() for i, pred in enumerate(unusable.values())},
                         ids=t.prediction_id.count(), distinct_ids=t.prediction_id.nunique()).execute().iloc[0]
    for key, (column, pred, fix) in problems.items():
        n = int(counts[key] or 0)
        if n:
            shown = list(dict.fromkeys(["prediction_id", "user_id", column]))
            raise DataError(f"{where}: column {column!r}: {n:,} value(s) {fix.split('. Fix: ')[0]}. Examples:"
                            f"{_show(t, pred, shown)}\nFix: {fix.split('. Fix: ')[1]}")
    duplicated = int(counts["ids"]) - int(counts["distinct_ids"])
    if duplicated > 0:
        dup = t.group_by("prediction_id").aggregate(rows=t.count()).filter(lambda x: x.rows > 1)
        raise DataError(f"{where}: column 'prediction_id': {duplicated:,} row(s) repeat a prediction id already "
                        f"seen, so those predictions would be counted twice. Examples:\n{dup.limit(MAX_SHOWN).execute().to_string(index=False)}"
                        "\nFix: keep one row per prediction (the latest label wins), or name a unique id column")
    t = t.mutate(prediction_id=t.prediction_id.cast("string"), user_id=t.user_id.cast("string"),
                 **numbers, **flags, **({"outcome": ibis.ifelse(outcome == "", ibis.null("string"), outcome)}
                                        if outcome is not None else {}))
    if "model" in t.columns:
        t = t.mutate(model=t.model.cast("string"))
    checks = {
        "a null prediction_id": t.prediction_id.isnull(),
        "a null user_id": blank(t.user_id),
        "a null timestamp": t.timestamp.isnull(),
        "a null score": t.score.isnull(),
        **_time_checks(t.timestamp, valid_from),
    }
    found = {k: counts[f"unusable_{i}"] for i, k in enumerate(unusable)}
    return _unusable(t, checks, "predictions", where, invalid, notes, counts=found)
