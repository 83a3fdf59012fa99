"""Presets: the event exports and warehouse syncs of the analytics tools teams already use, mapped onto the
events contract (``user_id``, ``timestamp``, ``event``) as plain data you can read and override.

Each preset says which field holds the identified user id, which holds the anonymous (device / cookie) id
the tool falls back to, which holds the time and in what unit, which holds the event name, and where the
event's properties live. A field is a column (``"event"``) or a key inside a column of objects
(``"properties.time"``: key ``time`` of column ``properties``; the object may be JSON text, a JSON value,
a struct or a map).

>>> PRESETS["amplitude"]["anonymous_id"]
'device_id'

**Identity.** ``user_id`` is the identified id when the row has one, else the anonymous id; ``anonymous``
is true when the row only had the anonymous id. The playbook does not stitch identities: the rows of a
person from before they logged in stay under their anonymous id (a separate "user"), as the tool's raw
export has them. The ``anonymous`` column lets a data-health check count those rows and users.

Everything here builds ibis expressions: a warehouse table is mapped in the warehouse (the engine rule).
"""

from __future__ import annotations

import difflib

import ibis
import ibis.expr.datatypes as dt

from ..core.errors import DataError

#: One readable mapping per tool. Keys: ``user_id`` (the identified id), ``anonymous_id`` (the id used
#: before identification, or None), ``anonymous_when`` (when the tool has one id field: the rule that marks
#: a row anonymous), ``timestamp`` and ``time_unit`` (``text``: ISO text or a timestamp type, in UTC;
#: ``s`` / ``ms`` / ``us``: since the epoch; ``s|ms``: seconds or milliseconds, told by the magnitude),
#: ``event``, ``properties`` (where properties live, searched in order) and ``property_format``
#: (``json``: objects; ``event_params``: GA4's repeated key/value record; ``columns``: plain columns).
PRESETS: dict[str, dict] = {
    "posthog": {
        "tool": "PostHog",
        "export": "CSV export of events (or the events table of a warehouse sync)",
        "user_id": "distinct_id",
        "anonymous_id": None,
        "anonymous_when": {"field": "properties.$is_identified", "is": "false"},
        "timestamp": "timestamp",
        "time_unit": "text",
        "event": "event",
        "properties": ["properties"],
        "property_format": "json",
    },
    "amplitude": {
        "tool": "Amplitude",
        "export": "Export API: JSON lines, often gzipped",
        "user_id": "user_id",
        "anonymous_id": "device_id",
        "anonymous_when": None,
        "timestamp": "event_time",
        "time_unit": "text",
        "event": "event_type",
        "properties": ["event_properties", "user_properties"],
        "property_format": "json",
    },
    "mixpanel": {
        "tool": "Mixpanel",
        "export": "Raw event export: JSON lines",
        "user_id": "properties.distinct_id",
        "anonymous_id": None,
        "anonymous_when": {"field": "properties.distinct_id", "starts_with": "$device:"},
        "timestamp": "properties.time",
        "time_unit": "s|ms",
        "event": "event",
        "properties": ["properties"],
        "property_format": "json",
    },
    "ga4": {
        "tool": "Google Analytics 4",
        "export": "BigQuery export (events_*): Parquet, JSON lines or the warehouse table",
        "user_id": "user_id",
        "anonymous_id": "user_pseudo_id",
        "anonymous_when": None,
        "timestamp": "event_timestamp",
        "time_unit": "us",
        "event": "event_name",
        "properties": ["event_params"],
        "property_format": "event_params",
    },
    "segment": {
        "tool": "Segment",
        "export": "Warehouse sync: the tracks table",
        "user_id": "user_id",
        "anonymous_id": "anonymous_id",
        "anonymous_when": None,
        "timestamp": "timestamp",
        "time_unit": "text",
        "event": "event",
        "properties": [],
        "property_format": "columns",
    },
    "snowplow": {
        "tool": "Snowplow",
        "export": "atomic.events table",
        "user_id": "user_id",
        "anonymous_id": "domain_userid",
        "anonymous_when": None,
        "timestamp": "derived_tstamp",
        "time_unit": "text",
        "event": "event_name",
        "properties": [],
        "property_format": "columns",
    },
}

#: The roles a ``columns=`` mapping may take over from a preset (any other key adds a column).
ROLES = ("user_id", "anonymous_id", "timestamp", "event")

_GA4_VALUES = ("string_value", "int_value", "float_value", "double_value")
_EPOCH_FACTOR = {"s": 1_000_000, "ms": 1_000, "us": 1}
#: Epoch values above this are milliseconds (1e11 seconds is the year 5138; 1e11 ms is March 1973).
_MS_ABOVE = 1e11


def preset(name: str) -> dict:
    """The preset called ``name``; an unknown name fails with the list of presets."""
    key = str(name).strip().lower()
    if key not in PRESETS:
        close = difflib.get_close_matches(key, list(PRESETS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(f"no preset {name!r}.{hint} Presets: {', '.join(PRESETS)}. Fix: name one of these, or "
                        "map your columns with columns={'user_id': ..., 'timestamp': ..., 'event': ...}")
    return PRESETS[key]


def _text(v: ibis.Value) -> ibis.Value:
    """A value as text: a JSON string without its quotes, a JSON number or boolean as written, JSON null
    as null; other types cast."""
    dtype = v.type()
    if dtype.is_json():
        raw = v.cast("string")
        return ibis.coalesce(v.str, ibis.ifelse(raw == "null", ibis.null("string"), raw))
    if dtype.is_string():
        return v
    return v.cast("string")


def _objects(col: ibis.Value):
    """A column of objects in a form keys can be read from: a struct stays a struct, a map a map, JSON
    (or JSON text) becomes a map of JSON values."""
    dtype = col.type()
    if dtype.is_struct() or dtype.is_map():
        return col
    if dtype.is_string():
        col = col.cast("json")
    return col.cast(dt.Map(dt.string, dt.json))


def _key(col: ibis.Value, key: str) -> ibis.Value | None:
    """Key ``key`` of a column of objects, as text; None when a struct has no such field."""
    obj = _objects(col)
    if obj.type().is_struct():
        return _text(obj[key]) if key in obj.type().names else None
    return _text(obj[key])


def _keys(t: ibis.Table, col: str, fmt: str) -> list[str]:
    """Every key found in a column of objects (or GA4 event_params): an aggregate, for error messages."""
    c = t[col]
    if fmt == "event_params":
        arr = c.cast(dt.Array(dt.json)) if c.type().is_json() or c.type().is_string() else c
        key = arr.map(lambda p: _text(p["key"]) if arr.type().value_type.is_json() else p.key.cast("string"))
        return sorted(k for k in t.select(k=key.unnest()).distinct().k.execute() if isinstance(k, str))
    obj = _objects(c)
    if obj.type().is_struct():
        return list(obj.type().names)
    return sorted(k for k in t.select(k=obj.keys().unnest()).distinct().k.execute() if isinstance(k, str))


def _ga4_param(col: ibis.Value, key: str) -> ibis.Value:
    """The value of parameter ``key`` in GA4's ``event_params`` (whichever of string / int / float / double
    value is set), as text."""
    dtype = col.type()
    if dtype.is_json() or dtype.is_string():
        arr = (col.cast("json") if dtype.is_string() else col).cast(dt.Array(dt.json))
        return arr.filter(lambda p: _text(p["key"]) == key).map(
            lambda p: ibis.coalesce(*[_text(p["value"][f]) for f in _GA4_VALUES]))[0]
    value_type = dtype.value_type.fields["value"]
    present = [f for f in _GA4_VALUES if f in value_type.names]
    return col.filter(lambda p: p.key == key).map(
        lambda p: ibis.coalesce(*[p.value[f].cast("string") for f in present]))[0]


class _Mapper:
    def __init__(self, t: ibis.Table, name: str, spec: dict, where: str):
        self.t, self.name, self.spec, self.where = t, name, spec, where

    def column(self, col: str, role: str) -> ibis.Value:
        if col not in self.t.columns:
            close = difflib.get_close_matches(col, self.t.columns, n=3, cutoff=0.5)
            hint = f" Closest columns: {', '.join(close)}." if close else ""
            raise DataError(f"{self.where}: the {self.name} preset reads {role} from column {col!r}, which the "
                            f"events table lacks (found: {', '.join(self.t.columns)}).{hint} Fix: check that this "
                            f"is {PRESETS[self.name]['tool']}'s export ({PRESETS[self.name]['export']}), or map "
                            f"the column yourself: columns={{'{role}': '<your column>'}} (in params: data.columns)")
        return self.t[col]

    def field(self, path: str, role: str, text: bool = True) -> ibis.Value:
        """A column, or ``column.key`` inside a column of objects."""
        if path in self.t.columns:
            return _text(self.t[path]) if text else self.t[path]
        col, dot, key = path.partition(".")
        if not dot:
            return self.column(path, role)
        value = _key(self.column(col, role), key)
        if value is None:
            raise DataError(f"{self.where}: the {self.name} preset reads {role} from {path!r}, but column {col!r} "
                            f"has no field {key!r} (fields: {', '.join(self.t[col].type().names)}). Fix: map it "
                            f"yourself: columns={{'{role}': '<column or column.key>'}} (in params: data.columns)")
        return value


def apply_preset(t: ibis.Table, name: str, properties=(), columns: dict | None = None, where: str = "events",
                 notes: list | None = None) -> ibis.Table:
    """Map a tool's export ``t`` onto the events contract with preset ``name``.

    Returns ``user_id`` (string: the identified id, else the anonymous one), ``timestamp`` (a naive UTC
    timestamp, or the tool's time text for :func:`load_events` to parse), ``event``, ``anonymous`` (true
    when the row only had the anonymous id), one column per name in ``properties`` (lifted from where the
    tool keeps properties) and one per extra key of ``columns``. ``columns`` overrides the preset: its
    ``user_id`` / ``anonymous_id`` / ``timestamp`` / ``event`` entries replace the preset's fields (a
    column or ``column.key``; a replaced time field keeps the preset's unit); any other key (``revenue``, ``account_id``...) names a column, a
    ``column.key`` or a property to read into that canonical column.
    """
    spec = dict(preset(name))
    name = str(name).strip().lower()
    notes = [] if notes is None else notes
    columns = dict(columns or {})
    for role in ROLES:
        if role in columns:
            spec[role] = columns.pop(role)
            if role == "anonymous_id":
                spec["anonymous_when"] = None
    m = _Mapper(t, name, spec, where)
    fmt = spec["property_format"]

    # identity
    ident = m.field(spec["user_id"], "user_id").strip()
    ident = ibis.ifelse(ident == "", ibis.null("string"), ident)
    if spec.get("anonymous_id"):
        anon = m.field(spec["anonymous_id"], "anonymous_id").strip()
        anon = ibis.ifelse(anon == "", ibis.null("string"), anon)
        user_id, anonymous = ibis.coalesce(ident, anon), ident.isnull() & anon.notnull()
    elif spec.get("anonymous_when"):
        rule = spec["anonymous_when"]
        value = m.field(rule["field"], "anonymous_when")
        if "starts_with" in rule:
            anonymous = value.startswith(rule["starts_with"])
        else:
            anonymous = value.lower() == str(rule["is"]).lower()
        user_id, anonymous = ident, anonymous.fill_null(False) & ident.notnull()
    else:
        user_id, anonymous = ident, ibis.literal(False)

    # time
    unit = spec["time_unit"]
    if unit == "text":
        raw = m.field(spec["timestamp"], "timestamp", text=False)
        timestamp = raw if raw.type().is_timestamp() or raw.type().is_date() else _text(raw)
    else:
        timestamp = _epoch(t, m.field(spec["timestamp"], "timestamp"), unit, spec["timestamp"], name, where, notes)

    out = {"user_id": user_id.cast("string"), "timestamp": timestamp,
           "event": m.field(spec["event"], "event"), "anonymous": anonymous}

    # properties, and the extra canonical columns a mapping names
    lifted = {p: _property(m, t, p, fmt, spec["properties"]) for p in properties}
    for canonical, path in columns.items():
        lifted[canonical] = m.field(path, canonical, text=False) if path in t.columns or "." in path \
            else _property(m, t, path, fmt, spec["properties"])
    clash = [p for p in lifted if p in out]
    if clash:
        raise DataError(f"{where}: property {clash[0]!r} would replace the canonical column of that name. "
                        "Fix: map it under another name, e.g. columns={'<new name>': '<property>'}")
    _check_present(t, lifted, fmt, spec["properties"], where, name)
    return t.select(**out, **{k: v for k, v in lifted.items() if v is not None})


def _property(m: _Mapper, t: ibis.Table, prop: str, fmt: str, sources: list[str]) -> ibis.Value | None:
    if fmt == "columns":
        return t[prop] if prop in t.columns else None
    values = []
    for src in sources:
        col = m.column(src, "properties")
        v = _ga4_param(col, prop) if fmt == "event_params" else _key(col, prop)
        if v is not None:
            values.append(v)
    return ibis.coalesce(*values) if len(values) > 1 else (values[0] if values else None)


def _check_present(t: ibis.Table, lifted: dict, fmt: str, sources: list[str], where: str, name: str) -> None:
    """A requested property that no row has fails, with the closest names found (one aggregate query)."""
    missing = [p for p, v in lifted.items() if v is None]
    queried = {p: v for p, v in lifted.items() if v is not None}
    empty: list[str] = []
    if queried:
        counts = t.aggregate(**{f"p{i}": v.notnull().cast("int64").sum() for i, v in enumerate(queried.values())})
        row = counts.execute().iloc[0]
        empty = [p for i, p in enumerate(queried) if not int(row[f"p{i}"] or 0)]
    if not missing and not empty:
        return
    prop = (missing + empty)[0]
    if fmt == "columns":
        found = list(t.columns)
        place = "columns"
    else:
        found = sorted({k for src in sources for k in _keys(t, src, fmt)})
        place = " and ".join(sources) + (" keys" if fmt == "event_params" else "")
    if prop in found:
        raise DataError(f"{where}: property {prop!r} is empty in every row ({name} preset). Fix: drop it from "
                        "properties, or check the export covers the events that carry it")
    close = difflib.get_close_matches(prop, found, n=3, cutoff=0.4)
    hint = f"closest: {', '.join(repr(c) for c in close)}" if close else f"found: {', '.join(found[:20]) or 'none'}"
    raise DataError(f"{where}: property {prop!r} occurs in no row's {place} ({name} preset; {hint}). Fix: "
                    "correct the name in properties (in params: data.properties), e.g. with the tool's $ prefix")


def _epoch(t: ibis.Table, value: ibis.Value, unit: str, path: str, name: str, where: str,
           notes: list) -> ibis.Value:
    """Seconds, milliseconds or microseconds since the epoch as a naive UTC timestamp. ``s|ms`` tells
    seconds from milliseconds by the magnitude (and says which in ``notes``); values that are not numbers
    fail with examples."""
    number = value.try_cast("float64")
    bad = number.isnull() & value.notnull()
    stats = t.aggregate(bad=bad.cast("int64").sum(), top=number.abs().max()).execute().iloc[0]
    n_bad = int(stats["bad"] or 0)
    if n_bad:
        shown = t.filter(bad).select(value=value).limit(5).execute()["value"].tolist()
        raise DataError(f"{where}: {path!r}: {n_bad:,} value(s) are not numbers of {unit.replace('|', ' or ')} "
                        f"since the epoch (e.g. {shown}). Fix: clean them at the source, or map another time "
                        "column with columns={'timestamp': '<column>'}")
    if unit == "s|ms":
        top = stats["top"]
        unit = "ms" if top is not None and top == top and float(top) > _MS_ABOVE else "s"
        notes.append(f"{where}: {path!r} read as epoch {'milliseconds' if unit == 'ms' else 'seconds'} "
                     f"({name} preset; largest value {float(top or 0):.4g})")
    micros = (number * _EPOCH_FACTOR[unit]).round().cast("int64")
    return ibis.timestamp("1970-01-01 00:00:00") + micros.as_interval("us")
