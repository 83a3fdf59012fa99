"""The :class:`Dataset`: a team's validated tables, its params and its calendar; and the two small
table helpers every module shares (:func:`materialize`, :func:`has_event`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import pandas as pd

from ..config import TeamParams
from ..core.calendar import Calendar
from ..core.engines import backend


@dataclass
class Dataset:
    """A team's validated tables, the analysis date and what loading had to say.

    ``as_of`` is the first day *not* covered: periods ending after it are incomplete. By default it is the
    first day in the team's time zone that the data do not cover completely
    (:func:`~pmplaybook.core.calendar.default_as_of`): the day after the last event in UTC, but in New York
    the day of the last event when the log stops at midnight UTC (19:00 there), so that no partial last day
    is counted as complete.
    """

    events: ibis.Table
    surveys: ibis.Table | None = None
    spend: ibis.Table | None = None
    timezone: str = "UTC"
    as_of: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)
    params: TeamParams | None = None
    predictions: ibis.Table | None = None
    #: The day after the last event (local): how far the data reach, a partial last day included. ``as_of``
    #: never passes it (the default stops at the last complete day, this day or the one before).
    data_end: pd.Timestamp | None = None
    #: The ``as_of`` that was asked for, when one was (it may lie after ``data_end``).
    requested_as_of: pd.Timestamp | None = None

    @property
    def freshness(self) -> dict:
        """How fresh the data are against the date asked for: ``requested_as_of``, ``as_of`` (the one used),
        ``last_day`` (of data), ``days_behind`` (requested date minus the data's end, 0 when the data reach
        it) and ``cut`` (True when the analysis stops at the data's end instead of the date asked for)."""
        end = self.data_end if self.data_end is not None else self.as_of
        requested = self.requested_as_of if self.requested_as_of is not None else self.as_of
        behind = max(0, (requested - end).days) if requested is not None and end is not None else 0
        day = lambda t: None if t is None else f"{t:%Y-%m-%d}"  # noqa: E731
        return {"requested_as_of": day(requested), "as_of": day(self.as_of),
                "last_day": day(end - pd.Timedelta(days=1)) if end is not None else None,
                "days_behind": behind, "cut": behind > 0}

    @property
    def week_start(self) -> str:
        """The team's first day of the week (``monday`` without params)."""
        return self.params.week_start if self.params is not None else "monday"

    @property
    def calendar(self) -> Calendar:
        """The team's :class:`~pmplaybook.core.calendar.Calendar`: time zone, week start and ``as_of``."""
        return Calendar(self.timezone, self.week_start, self.as_of)

    def _repr_markdown_(self) -> str:
        """What a notebook shows for ``ds``: the tables' sizes and the dates, in words."""
        counts = {name: getattr(self, name).count().execute() for name in ("events", "surveys", "spend", "predictions")
                  if getattr(self, name) is not None}
        words = {"events": "events", "surveys": "survey answers", "spend": "spend rows (day x channel)",
                 "predictions": "model predictions"}
        held = ", ".join(f"{int(n):,} {words[name]}" for name, n in counts.items())
        last = self.freshness.get("last_day")
        text = (f"The data hold {held}, up to {last} (in {self.timezone}); the analysis covers the days before "
                f"{self.as_of:%Y-%m-%d}.")
        if self.requested_as_of is None and last is not None and self.as_of <= pd.Timestamp(last):
            text += (f" The last day, {last}, is left out as partial: the log runs to midnight UTC, which falls "
                     f"during that day in {self.timezone}.")
        stale = next((n for n in self.notes if n.startswith("data end")), None)
        if self.freshness.get("cut") and stale:
            text += f" **{stale[0].upper() + stale[1:]}.**"
        return text

    def __repr__(self) -> str:
        parts = [f"events={self.events.count().execute():,} rows"]
        for name in ("surveys", "spend", "predictions"):
            table = getattr(self, name)
            if table is not None:
                parts.append(f"{name}={table.count().execute():,} rows")
        return f"Dataset({', '.join(parts)}, timezone={self.timezone!r}, as_of={self.as_of:%Y-%m-%d})"


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


def has_event(events: ibis.Table, name: str | None) -> bool:
    """True when at least one row has ``event == name`` (False for an empty name)."""
    return bool(name) and bool(events.filter(events.event == name).limit(1).count().execute())
