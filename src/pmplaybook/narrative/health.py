"""Data health in words: one sentence per finding of :func:`pmplaybook.data.health.health_report` (what
was found, with its figures) and what it does to which metric; an overall status line."""

from __future__ import annotations

import pandas as pd

from ..core.formatting import format_pct
from ..data.health import THRESHOLDS, Finding, status

TITLES = {
    "freshness": "Freshness and the as-of", "volume": "Volume per day", "duplicates": "Duplicate events",
    "signup": "Events and sign-ups", "tracking_plan": "Tracking-plan coverage", "segments": "Segment properties",
    "clock": "Clocks", "bots": "Bot-like users", "anonymous": "Anonymous ids",
}

#: What each fault does to the metrics, said when the check does not pass.
IMPACT = {
    "freshness": "Metrics of the latest period count days with no data, so they read low: weekly actives, "
                 "conversion and the KPI review's last point all fall for no reason.",
    "volume": "Daily and weekly actives, DAU/MAU and every count of the affected days read low, and the KPI "
              "review may call the dip a signal.",
    "duplicates": "Duplicates inflate event counts, engagement per user and count-based ratios; users and "
                  "retention (distinct users) are not moved.",
    "signup": "Events before sign-up or users without one put users in the wrong cohort or none: cohort "
              "retention's period 0 and activation within N days of sign-up are wrong for them.",
    "tracking_plan": "A missing tracked event zeroes the funnel step, the role (activation, payment...) and the "
                     "North Star candidate that name it; a rare or new one makes them noisy or gives a false trend.",
    "segments": "Rows without a segment value fall into a '(missing)' group: every breakdown by that segment "
                "understates each real group.",
    "clock": "Rows from skewed clocks land in the wrong day or session: the last period, time-to-convert and "
             "session depth are distorted; date-only timestamps put every such event at midnight and break "
             "funnel order within a day.",
    "bots": "Bots inflate events per user, engagement intensity and the five-day share, and can pass as power "
            "users in the magic-number search.",
    "anonymous": "One person under several anonymous ids counts as several users: user counts rise, conversion "
                 "and retention per user fall.",
}

WORDS = {"ok": "ok", "warn": "warning", "fail": "fail"}


def _day(ts) -> str:
    return f"{pd.Timestamp(ts):%a %d %b %Y}"


def sentence(f: Finding) -> str:
    """What the check found, in one or two sentences with its figures."""
    g = f.figures
    if f.check == "freshness":
        text = f"The last event is at {pd.Timestamp(g['last_event']):%Y-%m-%d %H:%M} (team time)."
        if g["days_uncovered_before_as_of"]:
            text += (f" The analysis date {g['as_of']:%Y-%m-%d} asks for {g['days_uncovered_before_as_of']} day(s) "
                     "after it that the data do not cover.")
        elif g["days_after_as_of"]:
            text += f" The analysis stops at {g['as_of']:%Y-%m-%d}: the last {g['days_after_as_of']} day(s) of data are left out."
        else:
            text += f" The analysis covers the data up to {g['as_of']:%Y-%m-%d} (exclusive)."
        if g["live"]:
            text += f" That is {g['days_since_last']} day(s) before today ({g['today']:%Y-%m-%d})."
            if f.severity != "ok" and not g["days_uncovered_before_as_of"]:
                text += " The pipeline may have stopped."
        else:
            text += " This is the bundled sample, a fixed year: its age is not judged."
        return text
    if f.check == "volume":
        table = f.table
        parts = [f"{g['days']} days from {g['first_day']:%Y-%m-%d} to {g['last_day']:%Y-%m-%d}, a median of "
                 f"{g['median_per_day']:,.0f} events a day."]
        gaps = table[table["flag"] == "gap"]["day"]
        if len(gaps):
            parts.append(f"{len(gaps)} day(s) have no events at all ({', '.join(f'{d:%Y-%m-%d}' for d in gaps[:5])}"
                         f"{', ...' if len(gaps) > 5 else ''}): data are missing.")
        drops = table[table["flag"] == "drop"]
        if len(drops):
            d = drops.iloc[0]
            parts.append(f"{len(drops)} day(s) fall below half of the same weekday's usual volume; the first is "
                         f"{_day(d['day'])} with {d['events']:,} events against {d['expected']:,.0f} usually.")
        if g["holiday_dips"]:
            parts.append(f"{g['holiday_dips']} low day(s) fall in the holidays your params annotate: explained, not flagged.")
        if g["partial_last_day"]:
            d = table.iloc[-1]
            parts.append(f"The last day, {_day(d['day'])}, has {d['events']:,} events against {d['expected']:,.0f} "
                         "on that weekday usually: the data stop during it (in your time zone), so it is partial.")
        if f.severity == "ok" and not g["holiday_dips"]:
            parts.append("No gap and no drop: weekends and holidays dip, but no day falls below half of its own "
                         "weekday's volume.")
        return " ".join(parts)
    if f.check == "duplicates":
        if not g["duplicate_rows"]:
            return "No two rows are identical (user, event, second and every other column)."
        text = (f"{g['duplicate_rows']:,} rows ({format_pct(g['share'], 2)}) repeat another row exactly (same user, "
                f"event, second and other columns), most of them {g['top_event']}.")
        if f.severity == "ok":
            text += (f" Below {format_pct(THRESHOLDS['duplicates_warn'], 1)}, too few to move a metric; with "
                     "whole-second timestamps some may be real repeats within one second.")
        return text
    if f.check == "signup":
        if not g["signup_event"]:
            return "The params name no sign-up event: the order of sign-ups and events cannot be checked."
        ev = g["signup_event"]
        text = (f"{g['users_before']:,} users ({format_pct(g['share_users_before'], 1)}) have {g['events_before']:,} "
                f"events before their first {ev}; {g['users_without']:,} users "
                f"({format_pct(g['share_users_without'], 1)}) never do {ev} ({g['events_without']:,} events).")
        if f.severity == "ok" and not g["users_before"] and not g["users_without"]:
            text = f"Every user's first event is at or after their {ev}, and every user has one."
        elif g["users_without"] and g["share_users_without"] > THRESHOLDS["no_signup_warn"]:
            text += " If your log starts after the product did, these are older users: start the analysis later."
        return text
    if f.check == "tracking_plan":
        table = f.table
        if table is None or table.empty:
            return "The params name no events: nothing to check against the tracking plan."
        parts = [f"Of the {g['named']} events your params name, {g['missing']} never occur, {g['rare']} are rare "
                 f"and {g['new']} appeared only in the last {THRESHOLDS['new_days']} days."]
        for label, key in (("Missing", "missing_events"), ("Rare", "rare_events"), ("New", "new_events")):
            if g[key]:
                named = ", ".join(f"{e} ({table.set_index('event').loc[e, 'named_by']})" for e in g[key])
                parts.append(f"{label}: {named}.")
        if g["unnamed_events"]:
            top = g["unnamed_table"].iloc[0]
            parts.append(f"{g['unnamed_events']} other events are in the data but named nowhere in the params "
                         f"(the ten biggest hold {format_pct(g['unnamed_share'])} of all rows; the biggest is "
                         f"{top['event']}, {format_pct(top['share'])}): check none of them is the event a role meant.")
        return " ".join(parts)
    if f.check == "segments":
        table = f.table
        if table is None or table.empty:
            return "The params name no segments."
        gone = table[~table["exists"]]["segment"].tolist()
        worst = table.sort_values("null_share").iloc[-1]
        text = ("Segment values missing: " + ", ".join(f"{r.segment} {format_pct(r.null_share, 1)}"
                                                       for r in table.itertuples()) + ".")
        if gone:
            text += f" The events table has no column {', '.join(gone)}."
        elif worst["null_share"] == 0:
            text = f"Every row has a value for each segment ({', '.join(table['segment'])})."
        return text
    if f.check == "clock":
        parts = []
        if g["future_rows"]:
            parts.append(f"{g['future_rows']:,} rows lie more than a day after the data's end ({g['data_end']:%Y-%m-%d}); "
                         f"the latest is {g['latest']:%Y-%m-%d %H:%M}.")
        else:
            parts.append(f"No row lies more than a day after the data's end ({g['data_end']:%Y-%m-%d}).")
        parts.append(f"{g['midnight_rows']:,} rows ({format_pct(g['midnight_share'], 3)}) are at exactly 00:00:00 UTC"
                     + (": some source writes dates, not times." if g["midnight_share"] > THRESHOLDS["midnight_warn"]
                        else " (about 0.001% is chance)."))
        if g["sessions"] is not None:
            parts.append(f"{g['long_sessions']:,} of {g['sessions']:,} sessions span more than "
                         f"{THRESHOLDS['session_hours']} hours" + (": stitched ids or skewed clocks." if g["long_sessions"] else "."))
        return " ".join(parts)
    if f.check == "bots":
        if not g["bot_users"]:
            return (f"No user does more than {THRESHOLDS['bot_events_per_day']:,} events in a day or "
                    f"{THRESHOLDS['bot_events_per_minute']} in a minute.")
        return (f"{g['bot_users']:,} users ({format_pct(g['share_users'], 2)}) do more than "
                f"{THRESHOLDS['bot_events_per_day']:,} events in a day or {THRESHOLDS['bot_events_per_minute']} in a "
                f"minute; they make {format_pct(g['share_rows'], 1)} of all events. Exclude them before any per-user metric.")
    if f.check == "anonymous":
        if not g["known"]:
            return "The events have no 'anonymous' column: whether some ids are anonymous visitors cannot be told."
        return (f"{g['anonymous_users']:,} of {g['users']:,} ids ({format_pct(g['share_users'], 1)}) are anonymous, "
                f"with {format_pct(g['share_rows'], 1)} of the events.")
    return ""


def finding_text(f: Finding) -> str:
    """The sentence, followed by what it does to the metrics when the check does not pass."""
    text = sentence(f)
    return text if f.severity == "ok" else f"{text} {IMPACT[f.check]}"


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    """One row per finding for people: ``status``, ``check``, ``finding`` (worst first, then in check order)."""
    order = {"fail": 0, "warn": 1, "ok": 2}
    rows = [{"status": WORDS[f.severity], "check": TITLES[f.check], "finding": finding_text(f), "_o": order[f.severity], "_i": i}
            for i, f in enumerate(findings)]
    table = pd.DataFrame(rows, columns=["status", "check", "finding", "_o", "_i"])
    return table.sort_values(["_o", "_i"]).drop(columns=["_o", "_i"]).reset_index(drop=True)


def findings_view(findings: list[Finding]):
    """:func:`findings_table` for people: no index, the text whole and left-aligned."""
    return (findings_table(findings).style.hide(axis="index")
            .set_properties(**{"text-align": "left", "white-space": "normal"})
            .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}]))


def overall(findings: list[Finding]) -> str:
    """One line: the overall status and which checks warn or fail."""
    s = status(findings)
    fails = [TITLES[f.check].lower() for f in findings if f.severity == "fail"]
    warns = [TITLES[f.check].lower() for f in findings if f.severity == "warn"]
    if s == "ok":
        return (f"**Data health: ok.** All {len(findings)} checks pass: the metrics in the other notebooks rest on "
                "a log with no gap, duplicate burst, clock or tracking fault that these checks can see.")
    text = f"**Data health: {WORDS[s]}.**"
    if fails:
        text += f" Failing: {', '.join(fails)}: fix these before trusting the metrics they touch."
    if warns:
        text += f" Worth a look: {', '.join(warns)}."
    return text


def summary(findings: list[Finding]) -> str:
    """The overall line, then one bullet per check that warns or fails (Markdown)."""
    lines = [overall(findings)]
    lines += [f"- **{TITLES[f.check]}** ({WORDS[f.severity]}): {finding_text(f)}" for f in findings if f.severity != "ok"]
    return "\n".join(lines)


def print_lines(team: str, findings: list[Finding]) -> list[str]:
    """One plain line per finding for the command line: ``SEVERITY team check: sentence``."""
    return [f"{f.severity.upper():4} {team} {f.check}: {sentence(f)}" for f in findings]
