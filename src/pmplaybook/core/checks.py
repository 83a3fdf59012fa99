"""Argument checks shared by the metric modules: each fails with what was given and how to fix it.

>>> choice("period", "fortnight", ("day", "week", "month"))
Traceback (most recent call last):
...
ValueError: period='fortnight' is not supported. Fix: use one of 'day', 'week', 'month'
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis

#: The contract's columns, which cannot serve as a segment.
RESERVED = {"user_id", "timestamp", "event"}


def choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not supported. Fix: use one of "
                         f"{', '.join(repr(c) for c in choices)}")


def events_table(events) -> None:
    if not isinstance(events, ibis.Table):
        raise TypeError(f"events must be an ibis table, got {type(events).__name__}. Fix: pass ds.events, or "
                        "turn a DataFrame into one with pmplaybook.data.load_events(df)")
    missing = [c for c in ("user_id", "timestamp", "event") if c not in events.columns]
    if missing:
        raise ValueError(f"events lacks column(s) {', '.join(missing)} (found: {', '.join(events.columns)}). "
                         "Fix: load it with pmplaybook.data.load_events, mapping your column names")


def timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"timezone={name!r} is not a known time zone. Fix: use an IANA name such as "
                         "'UTC', 'Europe/Berlin' or 'America/New_York'") from None


def segment(events: ibis.Table, segment) -> None:
    if segment is None:
        return
    if not isinstance(segment, str):
        raise TypeError(f"segment must be a column name (str) or None, got {segment!r}")
    if segment not in events.columns or segment in RESERVED:
        others = [c for c in events.columns if c not in RESERVED]
        raise ValueError(f"segment={segment!r} names no segment column of the events table. Fix: use one of "
                         f"{', '.join(others) or '(none: the table has no extra columns)'}")


def present_events(events: ibis.Table) -> set[str]:
    """The distinct event names of an events table."""
    return set(events.select("event").distinct().execute()["event"])


def require_event(events: ibis.Table, name: str, argument: str) -> None:
    """Fail unless event ``name`` occurs in the data, naming the argument and some events that do."""
    present = present_events(events)
    if name not in present:
        raise ValueError(f"{argument}={name!r}: no event of that name in the data (events include: "
                         f"{', '.join(sorted(present)[:15])}). Fix: correct the event name")


def event_list(value, name: str) -> list[str]:
    """One event name or a non-empty list of names, as a list."""
    if isinstance(value, str) and value.strip():
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise ValueError(f"{name}={value!r}: expected an event name or a non-empty list of event names")
