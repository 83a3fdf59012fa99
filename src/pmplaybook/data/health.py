"""Data health: what a careful analyst checks in a new event log before computing any metric.

Each check runs as aggregate queries in the backend (the engine rule: only small frames reach pandas) and
returns a :class:`Finding`: the check's name, a severity (``ok`` / ``warn`` / ``fail``), the figures the
judgement rests on, and a small table. :func:`health_report` runs them all on a
:class:`~pmplaybook.data.Dataset`; :mod:`pmplaybook.narrative.health` turns findings into sentences.

The thresholds are in :data:`THRESHOLDS`, each with the reason for its value.

>>> from pmplaybook import config, data
>>> ds = data.connect(config.load_params("growth"))
>>> [f.check for f in health_report(ds)][:3]
['freshness', 'volume', 'duplicates']
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from ..core.calendar import default_as_of
from ..core.engines import local_time, seconds_between
from .dataset import Dataset

SEVERITIES = ("ok", "warn", "fail")

#: The limits each check judges by (shares are 0-1).
THRESHOLDS = {
    # a pipeline that lags a weekend is common; a week is an outage
    "stale_warn_days": 2, "stale_fail_days": 7,
    # a day below half the usual volume of the same weekday (median of the four before it)
    "drop_ratio": 0.5, "drop_weeks": 4,
    # duplicates inflate every count by their share: half a percent starts to show in a ratio's 3rd digit
    "duplicates_warn": 0.005, "duplicates_fail": 0.05,
    # users with events before sign-up / without a sign-up
    "before_signup_warn": 0.0, "before_signup_fail": 0.05, "no_signup_warn": 0.005, "no_signup_fail": 0.2,
    # a tracked event is rare below 0.1% of events or 20 rows; new when first seen in the last 28 days
    # (once-a-user events such as a sign-up are a small share of rows: they are rare only if under 1% of
    # users do them as well)
    "rare_share": 0.001, "rare_rows": 20, "rare_users": 0.01, "new_days": 28,
    # a segment column with nulls: its "(missing)" group starts to matter at 5%, dominates at half
    "nulls_warn": 0.05, "nulls_fail": 0.5,
    # by chance 1 event in 86,400 falls on 00:00:00; 1% means some source writes dates, not times
    "midnight_warn": 0.01, "midnight_fail": 0.5,
    # no person does 1,000 things in a day, or 5 a second for a minute (300 in one minute)
    "bot_events_per_day": 1000, "bot_events_per_minute": 300, "bots_fail": 0.05,
    # sessions longer than a day are stitched ids or skewed clocks
    "session_hours": 24,
    # anonymous ids: one person counts as several users
    "anonymous_warn": 0.1, "anonymous_fail": 0.5,
}

_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class Finding:
    """The result of one check: its name, a severity, the figures behind it and a small table."""

    check: str
    severity: str
    figures: dict = field(default_factory=dict)
    table: pd.DataFrame | None = None

    def as_dict(self) -> dict:
        """JSON-ready: check, severity and figures (timestamps as ISO text)."""
        def plain(v):
            if isinstance(v, pd.Timestamp):
                return v.isoformat()
            if hasattr(v, "item"):
                return v.item()
            return v
        return {"check": self.check, "severity": self.severity,
                "figures": {k: plain(v) for k, v in self.figures.items() if not isinstance(v, (list, dict))}}


def worst(severities) -> str:
    """The most severe of ``severities`` (``ok`` for none)."""
    return max(severities, key=_RANK.__getitem__, default="ok")


def _grade(value: float, warn: float, fail: float) -> str:
    """``fail`` at or above ``fail``, ``warn`` above ``warn``, else ``ok``."""
    return "fail" if value >= fail else "warn" if value > warn else "ok"


def _scalar(expr) -> float:
    v = expr.execute()
    return 0 if v is None or pd.isna(v) else v


def daily_volume(events: ibis.Table, timezone: str = "UTC") -> pd.DataFrame:
    """Events per local day from the first to the last day, empty days included: ``day``, ``events``."""
    day = local_time(events.timestamp, timezone).truncate("D")
    counts = events.group_by(day=day).aggregate(events=events.count()).execute()
    if counts.empty:
        return pd.DataFrame({"day": pd.Series(dtype="datetime64[us]"), "events": pd.Series(dtype="int64")})
    s = counts.set_index(pd.to_datetime(counts["day"]))["events"].astype("int64")
    days = pd.date_range(s.index.min(), s.index.max(), freq="D")
    return pd.DataFrame({"day": days, "events": s.reindex(days, fill_value=0).to_numpy()})


# -- freshness ---------------------------------------------------------------------------------------------

def freshness(events: ibis.Table, *, as_of=None, today=None, timezone: str = "UTC", live: bool = True) -> Finding:
    """The last event; days from its day to ``today`` and to the requested ``as_of`` (the first day not
    covered). ``as_of`` past the day after the last event asks for days the data lack (``fail``); a log
    older than a week when it should be ``live`` fails, older than two days warns."""
    last = pd.Timestamp(_scalar(local_time(events.timestamp, timezone).max()))
    last_day = last.normalize()
    today = pd.Timestamp(today).normalize() if today is not None else \
        pd.Timestamp.now(tz=timezone).tz_localize(None).normalize()
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else last_day + pd.Timedelta(days=1)
    stale = (today - last_day).days
    uncovered = (as_of - last_day).days - 1  # days before as_of with no data at all
    t = THRESHOLDS
    severity = "fail" if uncovered > 0 else "ok"
    if live:
        severity = worst([severity, _grade(stale, t["stale_warn_days"], t["stale_fail_days"] + 1)])
    # a fixed log's age against today is not judged, nor recorded (the same as_of gives the same report)
    figures = {"last_event": last, "today": today if live else None, "as_of": as_of,
               "days_since_last": stale if live else None,
               "days_uncovered_before_as_of": max(uncovered, 0), "days_after_as_of": max(-uncovered, 0), "live": live}
    return Finding("freshness", severity, figures)


# -- volume ------------------------------------------------------------------------------------------------

def volume(events: ibis.Table, *, timezone: str = "UTC", holidays=(), as_of=None) -> Finding:
    """Events per day with gaps and drops marked, for the days before ``as_of`` (the analysis date; None:
    every day the log reaches).

    ``flag`` is ``gap`` for a day with no events inside the span, ``drop`` for a day below
    ``drop_ratio`` x the median of the same weekday in the ``drop_weeks`` weeks before it (so weekends
    are compared with weekends), ``holiday`` for such a day inside one of ``holidays`` (``(start, end)``
    dates, inclusive: an explained dip), ``partial`` for a last day the log does not cover completely, and
    empty otherwise. Gaps fail; drops and a partial last day warn.

    The last day judged is partial when the log's end falls within it by the rule of the default ``as_of``
    (:func:`~pmplaybook.core.calendar.default_as_of`: the log reaches the end of the UTC day of its last
    event), or when it is the log's last day and low as a drop is (the export stopped during a UTC day). So
    the default ``as_of`` never judges a partial day on a log cut at midnight UTC, and an ``as_of`` that
    takes in the partial day warns. ``complete_as_of`` in the figures is that default.
    """
    daily = daily_volume(events, timezone)
    complete = default_as_of(events, timezone) if len(daily) else None
    log_last_day = daily["day"].max() if len(daily) else None
    if as_of is not None:
        daily = daily[daily["day"] < pd.Timestamp(as_of).normalize()].reset_index(drop=True)
    s = daily.set_index("day")["events"]
    prior = pd.concat([s.shift(7 * k) for k in range(1, THRESHOLDS["drop_weeks"] + 1)], axis=1)
    daily["expected"] = prior.median(axis=1, skipna=True).to_numpy()
    enough = prior.notna().sum(axis=1).to_numpy() >= 2
    low = enough & (daily["events"].to_numpy() < THRESHOLDS["drop_ratio"] * daily["expected"].to_numpy())
    in_holiday = pd.Series(False, index=daily.index)
    for start, end in holidays:
        in_holiday |= daily["day"].between(pd.Timestamp(start), pd.Timestamp(end))
    flag = pd.Series("", index=daily.index, dtype="object")
    flag[low] = "drop"
    flag[low & in_holiday.to_numpy()] = "holiday"
    if len(daily):
        last = daily["day"].iloc[-1]
        if last >= complete or (low[-1] and last == log_last_day):
            flag.iloc[-1] = "partial"
    flag[daily["events"].to_numpy() == 0] = "gap"
    daily["flag"] = flag.to_numpy()
    counts = daily["flag"].value_counts()
    n = {k: int(counts.get(k, 0)) for k in ("gap", "drop", "holiday", "partial")}
    severity = "fail" if n["gap"] else "warn" if n["drop"] or n["partial"] else "ok"
    figures = {"days": len(daily), "first_day": daily["day"].min(), "last_day": daily["day"].max(),
               "median_per_day": float(daily["events"].median()) if len(daily) else 0.0,
               "gaps": n["gap"], "drops": n["drop"], "holiday_dips": n["holiday"],
               "partial_last_day": bool(n["partial"]), "complete_as_of": complete}
    return Finding("volume", severity, figures, daily)


# -- duplicates --------------------------------------------------------------------------------------------

def duplicates(events: ibis.Table) -> Finding:
    """Rows identical to another in every column, the timestamp cut to the second: their count (beyond
    the first of each group), share of all rows, and per event."""
    keyed = events.mutate(timestamp=events.timestamp.truncate("s"))
    groups = keyed.group_by(list(keyed.columns)).aggregate(n=keyed.count())
    repeated = groups.filter(groups.n > 1)
    per_event = (repeated.group_by("event").aggregate(extra_rows=(repeated.n - 1).sum())
                 .order_by(ibis.desc("extra_rows")).execute())
    total = int(_scalar(events.count()))
    extra = int(per_event["extra_rows"].sum()) if len(per_event) else 0
    share = extra / total if total else 0.0
    per_event["extra_rows"] = per_event["extra_rows"].astype("int64")
    severity = _grade(share, THRESHOLDS["duplicates_warn"] - 1e-12, THRESHOLDS["duplicates_fail"]) if extra else "ok"
    return Finding("duplicates", severity, {"rows": total, "duplicate_rows": extra, "share": share,
                                            "top_event": per_event["event"].iloc[0] if extra else None}, per_event)


# -- sign-up -----------------------------------------------------------------------------------------------

def signup_order(events: ibis.Table, signup: str | None) -> Finding:
    """Events before a user's first ``signup`` and users with no sign-up at all."""
    if not signup:
        return Finding("signup", "ok", {"signup_event": None})
    firsts = events.filter(events.event == signup).group_by("user_id").aggregate(signed_up=events.timestamp.min())
    joined = events.left_join(firsts, "user_id")
    per_user = joined.group_by(joined.user_id).aggregate(
        before=(joined.timestamp < joined.signed_up).cast("int64").sum(),
        none=joined.signed_up.isnull().any(),
        rows=joined.count())
    s = per_user.aggregate(
        users=per_user.count(),
        users_before=(per_user.before > 0).cast("int64").sum(),
        events_before=per_user.before.sum(),
        users_without=per_user.none.cast("int64").sum(),
        events_without=per_user.rows.sum(where=per_user.none)).execute().iloc[0]
    f = {k: int(0 if pd.isna(v) else v) for k, v in s.items()}
    users = f["users"] or 1
    f["share_users_before"] = f["users_before"] / users
    f["share_users_without"] = f["users_without"] / users
    f["signup_event"] = signup
    t = THRESHOLDS
    severity = worst([
        _grade(f["share_users_before"], t["before_signup_warn"], t["before_signup_fail"]) if f["users_before"] else "ok",
        _grade(f["share_users_without"], t["no_signup_warn"], t["no_signup_fail"])])
    return Finding("signup", severity, f)


# -- tracking plan -----------------------------------------------------------------------------------------

def tracking_plan(events: ibis.Table, named: dict[str, str], *, launched: dict[str, object] | None = None,
                  top: int = 10) -> Finding:
    """Each event the params name (``{key path: event}``): rows, share, first seen, and ``status``:
    ``missing`` (never occurs: fails), ``rare`` (< 20 rows, or < 0.1% of rows done by < 1% of users), ``new`` (first seen in the
    last 28 days of a longer log, and not a feature launched then; ``launched`` maps an event to its
    launch date), else ``ok``. Also the ``top`` events the params never name, by volume (``unnamed``)."""
    per = events.group_by("event").aggregate(rows=events.count(), users=events.user_id.nunique(),
                                             first_seen=events.timestamp.min()).execute()
    all_users = int(_scalar(events.user_id.nunique()))
    span = events.aggregate(first=events.timestamp.min(), last=events.timestamp.max()).execute().iloc[0]
    total = int(per["rows"].sum())
    per["share"] = per["rows"] / total if total else 0.0
    by_event = per.set_index("event")
    first, last = pd.Timestamp(span["first"]), pd.Timestamp(span["last"])
    t = THRESHOLDS
    recent = last - pd.Timedelta(days=t["new_days"])
    rows = []
    for event in sorted(set(named.values())):
        keys = ", ".join(k for k, v in named.items() if v == event)
        if event not in by_event.index:
            rows.append({"event": event, "named_by": keys, "rows": 0, "share": 0.0, "first_seen": pd.NaT,
                         "status": "missing"})
            continue
        r = by_event.loc[event]
        seen = pd.Timestamp(r["first_seen"])
        launch = (launched or {}).get(event)
        status = "ok"
        if r["rows"] < t["rare_rows"] or (r["share"] < t["rare_share"] and r["users"] < t["rare_users"] * all_users):
            status = "rare"
        elif seen > recent and first < recent and not (launch is not None and seen >= pd.Timestamp(launch)):
            status = "new"
        rows.append({"event": event, "named_by": keys, "rows": int(r["rows"]), "share": float(r["share"]),
                     "first_seen": seen, "status": status})
    table = pd.DataFrame(rows, columns=["event", "named_by", "rows", "share", "first_seen", "status"])
    unnamed = per[~per["event"].isin(set(named.values()))].sort_values(["rows", "event"], ascending=[False, True])
    unnamed = unnamed[["event", "rows", "share"]].head(top).reset_index(drop=True)
    counts = table["status"].value_counts()
    n = {k: int(counts.get(k, 0)) for k in ("missing", "rare", "new")}
    severity = "fail" if n["missing"] else "warn" if n["rare"] or n["new"] else "ok"
    figures = {"named": len(table), **n,
               "missing_events": table.loc[table.status == "missing", "event"].tolist(),
               "rare_events": table.loc[table.status == "rare", "event"].tolist(),
               "new_events": table.loc[table.status == "new", "event"].tolist(),
               "unnamed_events": int((~per["event"].isin(set(named.values()))).sum()),
               "unnamed_share": float(unnamed["rows"].sum() / total) if total and len(unnamed) else 0.0,
               "unnamed_table": unnamed}
    return Finding("tracking_plan", severity, figures, table)


# -- segments ----------------------------------------------------------------------------------------------

def segment_nulls(events: ibis.Table, segments: list[str]) -> Finding:
    """The share of rows whose segment property is null (or empty text), per segment column; a segment
    the table lacks counts as all null."""
    present = [s for s in segments if s in events.columns]
    total = int(_scalar(events.count())) if segments else 0
    empty_rows = {}
    if present:
        # Counted per distinct value, so the text test (strip) runs on a handful of values, not every row.
        parts = []
        for i, s in enumerate(present):
            col = events[s]
            per_value = events.group_by(_v=col).aggregate(_n=events.count())
            v = per_value._v
            empty = v.isnull() | ((v.cast("string").strip() == "") if col.type().is_string() else ibis.literal(False))
            parts.append(per_value.aggregate(_i=ibis.literal(i, "int64"), _n=per_value._n.sum(where=empty)))
        got = (ibis.union(*parts) if len(parts) > 1 else parts[0]).execute()
        empty_rows = {present[int(i)]: int(0 if pd.isna(n) else n) for i, n in zip(got["_i"], got["_n"])}
    rows = []
    for s in segments:
        nulls = empty_rows.get(s, 0) if s in present else total
        rows.append({"segment": s, "exists": s in present, "null_rows": nulls, "null_share": nulls / total if total else 0.0})
    table = pd.DataFrame(rows, columns=["segment", "exists", "null_rows", "null_share"])
    t = THRESHOLDS
    severity = worst(_grade(v, t["nulls_warn"], t["nulls_fail"]) for v in table["null_share"]) if len(table) else "ok"
    return Finding("segments", severity, {"segments": len(table), "worst": table.sort_values("null_share").iloc[-1]["segment"]
                                          if len(table) else None}, table)


# -- clocks ------------------------------------------------------------------------------------------------

def clock_skew(events: ibis.Table, *, end: pd.Timestamp | None = None) -> Finding:
    """Rows more than a day after the data's end; the share of rows at exactly 00:00:00 UTC (date-only
    timestamps); with ``session_id``, sessions spanning more than a day.

    The data's end is ``end`` if given, else the end of the last UTC day holding at least a tenth of the
    median day's rows (more than that; so a handful of rows from a skewed clock cannot move it).
    """
    ts = events.timestamp
    if end is None:
        days = events.group_by(day=ts.truncate("D")).aggregate(n=events.count()).execute()
        busy = days[days["n"] > 0.1 * days["n"].median()]
        end = pd.Timestamp(busy["day"].max()) + pd.Timedelta(days=1)
    end = pd.Timestamp(end)
    limit = end + pd.Timedelta(days=1)
    got = events.aggregate(
        rows=events.count(),
        future=(ts > limit).cast("int64").sum(),
        latest=ts.max(),
        midnight=((ts.hour() == 0) & (ts.minute() == 0) & (ts.second() == 0)).cast("int64").sum()).execute().iloc[0]
    total = int(got["rows"])
    f = {"rows": total, "data_end": end, "future_rows": int(got["future"] or 0), "latest": pd.Timestamp(got["latest"]),
         "midnight_rows": int(got["midnight"] or 0)}
    f["midnight_share"] = f["midnight_rows"] / total if total else 0.0
    f["sessions"] = f["long_sessions"] = None
    if "session_id" in events.columns:
        s = events.filter(events.session_id.notnull())
        spans = s.group_by("session_id").aggregate(span=seconds_between(s.timestamp.max(), s.timestamp.min()))
        hours = THRESHOLDS["session_hours"]
        got = spans.aggregate(sessions=spans.count(),
                              long=(spans.span > hours * 3600).cast("int64").sum()).execute().iloc[0]
        f["sessions"], f["long_sessions"] = int(got["sessions"]), int(got["long"] or 0)
    t = THRESHOLDS
    severity = worst(["warn" if f["future_rows"] else "ok",
                      _grade(f["midnight_share"], t["midnight_warn"], t["midnight_fail"]),
                      "warn" if f["long_sessions"] else "ok"])
    return Finding("clock", severity, f)


# -- bots --------------------------------------------------------------------------------------------------

def bots(events: ibis.Table, *, top: int = 10) -> Finding:
    """Users with an implausible rate: more than 1,000 events in one UTC day, or more than 300 in one
    minute (5 a second, sustained). Their count, share of users and share of events, and the ``top``
    busiest of them."""
    t = THRESHOLDS
    ts = events.timestamp
    per_day = events.group_by(["user_id", ts.truncate("D").name("d")]).aggregate(n=events.count())
    per_min = events.group_by(["user_id", ts.truncate("m").name("m")]).aggregate(n=events.count())
    worst_day = per_day.group_by("user_id").aggregate(max_per_day=per_day.n.max())
    worst_min = per_min.group_by("user_id").aggregate(max_per_minute=per_min.n.max())
    rates = worst_day.join(worst_min, "user_id")
    flagged = rates.filter((rates.max_per_day > t["bot_events_per_day"]) | (rates.max_per_minute > t["bot_events_per_minute"]))
    totals = events.group_by("user_id").aggregate(rows=events.count())
    flagged = flagged.join(totals, "user_id").execute()  # one row per flagged user: an aggregate
    overall = events.aggregate(users=events.user_id.nunique(), rows=events.count()).execute().iloc[0]
    table = flagged.sort_values(["rows", "user_id"], ascending=[False, True]).head(top).reset_index(drop=True)
    f = {"bot_users": len(flagged), "bot_rows": int(flagged["rows"].sum()),
         "users": int(overall["users"]), "rows": int(overall["rows"])}
    f["share_users"] = f["bot_users"] / f["users"] if f["users"] else 0.0
    f["share_rows"] = f["bot_rows"] / f["rows"] if f["rows"] else 0.0
    severity = "ok" if not f["bot_users"] else "fail" if f["share_rows"] >= t["bots_fail"] else "warn"
    return Finding("bots", severity, f, table)


# -- anonymous ids -----------------------------------------------------------------------------------------

def anonymous(events: ibis.Table) -> Finding:
    """With an ``anonymous`` boolean column: the share of ids that are anonymous and of their events.
    Without one, it cannot be told (``known`` is False)."""
    if "anonymous" not in events.columns or not events.anonymous.type().is_boolean():
        return Finding("anonymous", "ok", {"known": False})
    anon = events.anonymous.fill_null(False)
    per_user = events.group_by("user_id").aggregate(anon=anon.any())
    u = per_user.aggregate(users=per_user.count(), anon=per_user.anon.cast("int64").sum()).execute().iloc[0]
    r = events.aggregate(rows=events.count(), anon=anon.cast("int64").sum()).execute().iloc[0]
    f = {"known": True, "users": int(u["users"]), "anonymous_users": int(u["anon"] or 0),
         "rows": int(r["rows"]), "anonymous_rows": int(r["anon"] or 0)}
    f["share_users"] = f["anonymous_users"] / f["users"] if f["users"] else 0.0
    f["share_rows"] = f["anonymous_rows"] / f["rows"] if f["rows"] else 0.0
    t = THRESHOLDS
    return Finding("anonymous", _grade(f["share_users"], t["anonymous_warn"], t["anonymous_fail"]), f)


# -- all of them -------------------------------------------------------------------------------------------

def health_report(ds: Dataset, *, today=None) -> list[Finding]:
    """Every check on a dataset, in the order an analyst reads them. With params, the sign-up event,
    the tracking plan, the segments and the holidays (annotations of kind ``holiday``) come from them.
    A log read from the bundled sample is a fixed year, so its age against ``today`` is not judged."""
    p = ds.params
    tz = ds.timezone
    holidays = [(a.date, a.end or a.date) for a in (p.annotations if p else []) if a.kind == "holiday"]
    launched = {f.event: f.launched for f in p.events.features if f.launched} if p else {}
    live = not (p is not None and p.data.source == "sample")
    return [
        # the date asked for (the dataset's as_of stops at the data's end)
        freshness(ds.events, as_of=ds.requested_as_of if ds.requested_as_of is not None else ds.as_of, today=today,
                  timezone=tz, live=live),
        volume(ds.events, timezone=tz, holidays=holidays, as_of=ds.as_of),  # the days the analysis counts
        duplicates(ds.events),
        signup_order(ds.events, p.events.signup if p else "signup"),
        tracking_plan(ds.events, p.event_names() if p else {}, launched=launched),
        segment_nulls(ds.events, list(p.segments) if p else []),
        clock_skew(ds.events),
        bots(ds.events),
        anonymous(ds.events),
    ]


def status(findings: list[Finding]) -> str:
    """The overall severity: the worst of the findings."""
    return worst(f.severity for f in findings)


def write_status(findings: list[Finding], path) -> Path | None:
    """Write ``{"status": ..., "findings": [...]}`` as JSON to ``path`` (atomically; nothing for an empty
    path). The report runner's index reads it as ``health.json`` in the team's report folder."""
    if not path:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"status": status(findings), "findings": [f.as_dict() for f in findings]},
                         indent=2, sort_keys=True, default=str)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(payload)
    os.replace(tmp, path)
    return path


def health_file(kpi_file) -> Path | None:
    """Where the data-health status goes for a report run: ``health.json`` in the team's report folder,
    the parent of the folder that holds the runner's ``kpi_file`` (None when there is no ``kpi_file``)."""
    return Path(kpi_file).parent.parent / "health.json" if kpi_file else None
