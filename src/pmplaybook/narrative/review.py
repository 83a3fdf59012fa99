"""The weekly KPI review in words: each sentence computed from the scorecard, the process limits, the
contributions and the OKR progress of :mod:`pmplaybook.review`, so it changes when the data do."""

from __future__ import annotations

import pandas as pd

from ..config.vocabulary import KPIS
from ..core.formatting import format_change, format_value, is_missing
from ..review import SERIES, contribution, kpi_series, process_limits
from .summary import Finding, status_words

LEVEL_WORDS = {"business_outcome": "business outcome", "product_outcome": "product outcome",
               "activity": "activity", "unclassified": "unclassified"}


def _span(row) -> str:
    end = pd.Timestamp(row["window_end"]) - pd.Timedelta(days=1)  # window_end is the day after the window
    return f"{pd.Timestamp(row['window_start']):%d %b} to {end:%d %b %Y}"


def _interval(row) -> str:
    if is_missing(row["ci_low"]):
        return f"n = {row['n']:,.0f}" if row["unit"] != "share" else "no interval: its parts are not independent"
    return (f"95% CI {format_value(row['ci_low'], row['unit'])} to {format_value(row['ci_high'], row['unit'])}, "
            f"n = {row['n']:,.0f}")


def annotation_between(annotations, first, last, near, kinds=None):
    """The annotation whose dates overlap ``first`` to ``last`` (of one of ``kinds`` when given), the
    closest to ``near`` when several do; None when none does. Every sentence that names a likely cause
    picks it here."""
    found = []
    for a in annotations or []:
        start = pd.Timestamp(a.date)
        end = pd.Timestamp(a.end) if getattr(a, "end", None) else start
        if (kinds is None or a.kind in kinds) and start <= pd.Timestamp(last) and end >= pd.Timestamp(first):
            found.append((min(abs(start - pd.Timestamp(near)), abs(end - pd.Timestamp(near))), a))
    return min(found, key=lambda pair: pair[0])[1] if found else None


def annotation_near(annotations, period: pd.Timestamp, days: int = 7):
    """The params annotation whose dates touch the week starting at ``period`` (or ``days`` before it)."""
    period = pd.Timestamp(period)
    return annotation_between(annotations, period - pd.Timedelta(days=days), period + pd.Timedelta(days=6), period)


def _since(row):
    """The first week of the stretch a signal ends (the scorecard's ``signal_since``), or None."""
    since = row.get("signal_since") if hasattr(row, "get") else None
    return None if not row["signal"] or is_missing(since) else pd.Timestamp(since)


def signal_annotation(row, annotations):
    """The annotation that likely caused a scorecard row's signal: near the week the stretch that signals
    began (``signal_since``: a run of eight is not caused by what happens in its last week, nor three weeks
    outside the limits by what happens in the third), else near the flagged week."""
    since = _since(row)
    return annotation_near(annotations, since if since is not None else row["signal_period"])


def signal_way(row) -> bool | None:
    """True when a scorecard row's signal points the good way, False the bad way, None when unknown: by the
    side of the center line the signal is on (``signal_direction``), else by the change on the weeks before."""
    direction = row.get("signal_direction") if hasattr(row, "get") else None
    if isinstance(direction, str) and direction in ("up", "down"):
        return (direction == "up") == bool(row["higher_is_better"])
    return _better(row["change"], row["higher_is_better"])


def _signal_words(row, annotations) -> str:
    when = f"the week of {pd.Timestamp(row['signal_period']):%d %b}"
    since = _since(row)
    side = {"up": "above", "down": "below"}.get(row.get("signal_direction") if hasattr(row, "get") else None)
    if row["signal"] == "outside":
        what = "falls outside its natural process limits" + (
            f" ({side} them since the week of {since:%d %b})" if since is not None and side and
            since < pd.Timestamp(row["signal_period"]) else "")
    else:
        what = ("ends a run of eight or more weeks on one side of its average" if since is None or side is None else
                f"ends a run {side} its average since the week of {since:%d %b}")
    text = f"{when} {what}: a signal, not noise"
    note = signal_annotation(row, annotations)
    if note is not None:
        text += f", and it coincides with {note.label} ({note.kind}, {pd.Timestamp(note.date):%d %b}), its likely cause"
    return text


def scorecard_finding(card: pd.DataFrame, annotations=()) -> str:
    """One bullet per targeted KPI: value, interval and status against the target, the change and whether it
    is a signal or noise, and its owner."""
    if card.empty:
        return "The team's params set no KPI target (kpis: ... target:), so there is nothing to review."
    lines = []
    for _, r in card.iterrows():
        head = (f"- **{r['label']}** ({LEVEL_WORDS.get(r['level'], r['level'])}, "
                f"{'leading' if r['leading'] else 'lagging'}{'; owner ' + r['owner'] if r['owner'] else ''})")
        if not is_missing(r["note"]) and r["note"]:
            lines.append(f"{head}: {r['note']}.")
            continue
        why = status_words(r)
        text = (f"{head}: {format_value(r['value'], r['unit'])} over {_span(r)} ({_interval(r)}), target "
                f"{format_value(r['target'], r['unit'])}: **{r['status']}**, {why}.")
        change = format_change(r["change"], r["unit"])
        if r["signal"]:
            text += f" Change since the four weeks before: {change}; {_signal_words(r, annotations)}."
        else:
            text += f" Change since the four weeks before: {change}, within its natural range; no action."
        lines.append(text)
    return "\n".join(lines)


def _better(change, higher_is_better) -> bool | None:
    if is_missing(change) or change == 0:
        return None
    return (change > 0) == bool(higher_is_better)


def counter_finding(card: pd.DataFrame) -> str:
    """Flags a KPI that improved while its counter-metric worsened (a KPI bought at its counter's expense)."""
    paired = card[card["counter"].notna() & card["counter"].astype(str).ne("")]
    if paired.empty:
        return ("No KPI names a counter-metric (kpis.<name>.counter). Pair each KPI with the metric that pushing "
                "it could hurt, so a gain bought at the user's expense shows up in the same review.")
    flags, fine = [], []
    for _, r in paired.iterrows():
        spec = KPIS[r["counter"]]
        kpi_up, counter_up = _better(r["change"], r["higher_is_better"]), _better(r["counter_change"],
                                                                                  spec["higher_is_better"])
        pair = f"{r['label']} / {spec['label']}"
        if kpi_up and counter_up is False:
            flags.append(f"**{r['label']}** improved ({format_change(r['change'], r['unit'])}) while its counter-metric "
                         f"**{spec['label']}** worsened ({format_change(r['counter_change'], spec['unit'])}): check "
                         "that the gain is not bought at its expense before celebrating it.")
        else:
            fine.append(pair)
    text = " ".join(flags) if flags else "No KPI improved at its counter-metric's expense."
    if fine:
        text += f" Pairs checked: {', '.join(fine)}."
    return text


def signal_findings(ds, card: pd.DataFrame, annotations=(), segments=()) -> str:
    """For each KPI whose latest weeks signal: the annotation that explains it, else the segment whose
    change drives it (mix and rate effects of :func:`pmplaybook.review.contribution`)."""
    signals = card[card["signal"].fillna("") != ""]
    if signals.empty:
        return ("No KPI signals in the latest four weeks: every move sits within its natural process limits, so "
                "the review has nothing to chase this week.")
    lines = []
    for _, r in signals.iterrows():
        text = f"- **{r['label']}**: {_signal_words(r, annotations)}."
        if signal_annotation(r, annotations) is None and SERIES[r["kpi"]][2] and segments:
            best = None
            for column in segments:
                try:
                    c = contribution(ds, r["kpi"], column, window=4)
                except ValueError:
                    continue
                top = c.iloc[0]
                if best is None or abs(top["effect"]) > abs(best[1]["effect"]):
                    best = (column, top, c.attrs["total_change"])
            if best is not None:
                column, top, total = best
                kind = "its rate" if abs(top["rate_effect"]) >= abs(top["mix_effect"]) else "its share of the base"
                text += (f" Of the change of {format_change(total, r['unit'])} over four weeks, {column} = "
                         f"**{top['segment']}** contributes {format_change(top['effect'], r['unit'])}, mostly through "
                         f"{kind} ({format_change(top['rate_after'] - top['rate_before'], r['unit'])} on its own rate).")
        lines.append(text)
    return "\n".join(lines)


def okr_finding(progress: pd.DataFrame) -> str:
    """Each key result against the straight-line pace from its baseline to its target."""
    if progress.empty:
        return ("The team's params hold no OKRs (okrs:). KPIs say whether the product is healthy; an OKR says "
                "what the team is changing this quarter, with a key result tied to a KPI.")
    lines = []
    for _, r in progress.iterrows():
        unit = KPIS[r["kpi"]]["unit"]
        if r["on_pace"] is None or is_missing(r["current"]):
            lines.append(f"- {r['objective']}: **{r['label']}** cannot be followed week by week ({r['note']}).")
            continue
        verdict = "ahead of pace" if r["on_pace"] else "behind pace"
        way = (f"{r['progress']:.0%} of the way from {format_value(r['baseline'], unit)} to "
               f"{format_value(r['target'], unit)}" if r["progress"] >= 0 else
               f"further from {format_value(r['target'], unit)} than its baseline of {format_value(r['baseline'], unit)}")
        lines.append(
            f"- {r['objective']}: **{r['label']}** is at {format_value(r['current'], unit)}, {way}; a straight line from "
            f"{r['start']:%d %b %Y} to {r['due']:%d %b %Y} would put it at {format_value(r['expected'], unit)} by "
            f"{r['as_of']:%d %b}: **{verdict}**.")
    return "\n".join(lines)


def okr_suggestions(card: pd.DataFrame, okrs=()) -> str:
    """An OKR to consider for each KPI that signals the wrong way and that no key result covers."""
    covered = {kr.kpi for okr in okrs or [] for kr in okr.key_results}
    out = []
    for _, r in card[card["signal"].fillna("") != ""].iterrows():
        if r["kpi"] in covered or signal_way(r) is not False:
            continue
        out.append(f"- **{r['label']}** moved the wrong way beyond its noise and no key result covers it. "
                   f"Consider an objective to restore it, with a key result taking it from "
                   f"{format_value(r['value'], r['unit'])} back to {format_value(r['target'], r['unit'])} "
                   "within the quarter, owned by " + (r["owner"] or "a named owner") + ".")
    return "\n".join(out) or "No KPI moved the wrong way beyond its noise without an OKR on it: no new OKR is needed."


def revisit_finding(ds, card: pd.DataFrame, history: pd.DataFrame | None = None) -> str:
    """KPIs to raise or retire: green in every report run of the history, or with no signal in a year."""
    lines = []
    for _, r in card.iterrows():
        if r["kpi"] not in SERIES or is_missing(r["value"]):
            continue
        series = kpi_series(ds, r["kpi"])
        quiet = series["value"].notna().sum() >= 20 and not (process_limits(series["value"])["signal"] != "").any()
        runs = history[history["name"] == r["kpi"]] if history is not None and len(history) else pd.DataFrame()
        always_green = len(runs) >= 3 and runs["status"].eq("green").all()
        if always_green:
            lines.append(f"- **{r['label']}** has been green in all {len(runs)} report runs: raise its target or "
                         "retire it to make room for a KPI that still tells the team something.")
        elif quiet:
            lines.append(f"- **{r['label']}** has not signalled once in {len(series)} weeks: it is stable, so either "
                         "it is settled (review it monthly instead) or it is not sensitive to what the team does.")
    if not lines:
        return "Every KPI still moves and still misses or only just meets its target: the set earns its place."
    return "\n".join(lines)


def holiday_finding(ds, annotations=()) -> str:
    """Spikes in daily actives (a day at least 1.5x the median of the 28 days before,
    :func:`pmplaybook.retention.spikes`) next to an annotated campaign or holiday, and whether the cohorts
    that joined around them retained differently: a spike of visits is not a change in the habit."""
    from .. import retention

    daily = retention.stickiness(ds.events, calendar=ds.calendar)
    table = retention.cohort_retention(ds.events, ds.params.events.signup, period="week", periods=1,
                                       calendar=ds.calendar)
    lines = []
    for _, r in retention.spikes(daily, table, at=1).iterrows():
        one_day = pd.Timedelta(days=1)
        note = annotation_between(annotations, r["start"] - one_day, r["end"] + one_day, r["start"],
                                  kinds=("campaign", "holiday"))
        if note is None:
            continue
        head = (f"Daily actives rose up to {r['lift']:.0%} above their usual level (the median of the 28 days "
                f"before) from {r['start']:%d %b} to {r['end']:%d %b %Y}, with {note.label} ({note.kind})")
        if pd.isna(r["cohort"]):
            lines.append(head + "; no cohort is old enough yet to say whether retention moved with it.")
        elif r["significant"]:
            lines.append(head + f", and the cohorts around it retained {r['around_rate']:.0%} in week 1 against "
                         f"{r['before_rate']:.0%} before: retention moved with it, so look at who came.")
        else:
            lines.append(head + f", while the cohorts around it retained {r['around_rate']:.0%} in week 1 against "
                         f"{r['before_rate']:.0%} before, within noise: a spike of visits, not a change in the "
                         "habit. Read it as an explained move and do not reset targets on it.")
    return " ".join(lines)


def explaining_annotation(annotations, episode):
    """The annotation dated inside an episode's window (``explain_from`` to ``explain_until``) closest to
    the episode's start, if any."""
    return annotation_between(annotations, episode["explain_from"], episode["explain_until"], episode["start"])


def _episode_words(e, unit: str) -> str:
    when = (f"the week of {pd.Timestamp(e['start']):%d %b}" if e["start"] == e["end"] else
            f"the weeks of {pd.Timestamp(e['start']):%d %b} to {pd.Timestamp(e['end']):%d %b}")
    kind = "outside its natural limits" if e["kind"] == "outside" else "in a run of eight on one side"
    worst = (f" ({'at most' if e['direction'] == 'up' else 'at worst'} {format_value(e['extreme'], unit)})"
             if e["start"] != e["end"] and format_value(e["extreme"], unit) != format_value(e["value"], unit) else "")
    return (f"{when}: {'up' if e['direction'] == 'up' else 'down'} to {format_value(e['value'], unit)} against "
            f"about {format_value(e['center'], unit)} in the weeks before{worst}, {kind}")


def year_finding(ds, card: pd.DataFrame, annotations=(), segments=()) -> str:
    """The year's signals of each weekly KPI of the scorecard, each either explained by an annotation
    (a release, a campaign, a holiday) or attributed to the segment that drove it; then, for week-4
    retention, the segments whose own retention signalled around an annotated release."""
    from ..review import episodes

    lines = []
    # every weekly KPI the team lists, targeted or watched without a target
    listed = [(k, KPIS[k]) for k, v in ds.params.kpis.items() if k in SERIES and not v.external]
    for name, spec in listed:
        r = {"kpi": name, "label": spec["label"], "unit": spec["unit"]}
        try:
            found = episodes(ds, name)
        except ValueError:
            continue
        if found.empty:
            lines.append(f"- **{r['label']}**: no signal all year; every weekly move was routine variation.")
            continue
        parts = []
        for _, e in found.iterrows():
            text = _episode_words(e, r["unit"])
            note = explaining_annotation(annotations, e)
            if note is not None:
                text += f"; it coincides with {note.label} ({note.kind}, {pd.Timestamp(note.date):%d %b}), its likely cause"
            else:
                text += ", not explained by any annotation: a question for the review"
            parts.append(text)
        lines.append(f"- **{r['label']}**: " + "; ".join(parts) + ".")
    if "week4_retention" in dict(listed) and segments:
        for column in segments:
            try:
                found = episodes(ds, "week4_retention", segment=column)
            except ValueError:
                continue
            for _, e in found[~found["better"]].iterrows():
                note = explaining_annotation(annotations, e)
                if note is not None and note.kind == "release":
                    lines.append(f"- **Week-4 retention of {column} = {e['segment']}**: {_episode_words(e, 'share')}, "
                                 f"right after {note.label} ({pd.Timestamp(note.date):%d %b}): a release that hurt "
                                 "one segment, which the average alone hides.")
    return "\n".join(lines) if lines else "No weekly KPI to review."


def okr_view(progress: pd.DataFrame) -> pd.DataFrame:
    """The OKR key results for reading: baseline, target, where the pace puts them now, and where they are."""
    rows = []
    for _, r in progress.iterrows():
        unit = KPIS[r["kpi"]]["unit"]
        rows.append({"objective": r["objective"], "key result": r["label"], "owner": r["owner"],
                     "baseline": format_value(r["baseline"], unit), "target": format_value(r["target"], unit),
                     "due": f"{r['due']:%d %b %Y}", "pace now": format_value(r.get("expected"), unit),
                     "now": format_value(r.get("current"), unit),
                     "verdict": "" if r["on_pace"] is None else ("on pace" if r["on_pace"] else "behind pace")})
    return pd.DataFrame(rows)


def history_view(history: pd.DataFrame, runs: int = 8) -> pd.DataFrame:
    """The team's headline KPIs across its last ``runs`` report runs (one row per KPI, one column per run),
    formatted by unit; empty before the runner has recorded a run."""
    if history is None or history.empty:
        return pd.DataFrame()
    h = history.assign(as_of=pd.to_datetime(history["as_of"]).dt.strftime("%Y-%m-%d"))
    h = h[h["as_of"].isin(sorted(h["as_of"].unique())[-runs:])]
    h = h.assign(shown=[format_value(v, u) for v, u in zip(h["value"], h["unit"])])
    return h.pivot_table(index="label", columns="as_of", values="shown", aggfunc="last").rename_axis(None, axis=1)


def boxes_view(ds, card: pd.DataFrame) -> pd.DataFrame:
    """The WBR boxes of each daily KPI of the scorecard: week over week, month to date, quarter to date
    and year over year, each as 'value (change)'; blank where the prior period is not in the data."""
    from ..review import wbr_view

    names = {"wow": "week over week", "mtd": "month to date vs a year ago", "qtd": "quarter to date vs a year ago",
             "yoy": "week vs a year ago"}
    rows = []
    for _, r in card[card["value"].notna()].iterrows():
        boxes = wbr_view(ds, r["kpi"])["boxes"]
        if boxes is None:
            continue
        row = {"KPI": r["label"]}
        for _, b in boxes.iterrows():
            value = format_value(b["value"], r["unit"])
            row[names[b["box"]]] = value if is_missing(b["change"]) else (
                f"{value} ({format_change(b['change'], r['unit'])})")
        rows.append(row)
    return pd.DataFrame(rows)


def scorecard_view(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard for reading: one row per KPI, values formatted by unit, interval as 'low to high',
    blank where a KPI has no weekly value."""
    rows = []
    for _, r in card.iterrows():
        has = not is_missing(r["value"])
        rows.append({
            "KPI": r["label"], "level": LEVEL_WORDS.get(r["level"], r["level"]),
            "type": "leading" if r["leading"] else "lagging", "owner": r["owner"],
            "last 4 weeks": format_value(r["value"], r["unit"]) if has else "",
            "95% interval": (f"{format_value(r['ci_low'], r['unit'])} to {format_value(r['ci_high'], r['unit'])}"
                             if has and not is_missing(r["ci_low"]) else ""),
            "target": format_value(r["target"], r["unit"]), "status": r["status"] if has else "",
            "change": format_change(r["change"], r["unit"]) if has else "",
            "signal": {"outside": "outside limits", "run": "run of 8"}.get(r["signal"], "noise") if has else "",
            "counter-metric": KPIS[r["counter"]]["label"] if isinstance(r["counter"], str) and r["counter"] else "",
            "counter now": (format_value(r["counter_value"], KPIS[r["counter"]]["unit"])
                            if isinstance(r["counter"], str) and r["counter"] and not is_missing(r["counter_value"]) else ""),
            "note": r["note"] if isinstance(r["note"], str) else "",
        })
    return pd.DataFrame(rows)


def summary_rows(card: pd.DataFrame) -> list[dict]:
    """The scorecard's KPIs as the Summary's rows (the fields of
    :meth:`pmplaybook.report.kpis.KPIRecorder.record`), with the scorecard's status, which follows the
    interval; KPIs without a weekly value are left out. This notebook records no headline KPI of its own:
    its KPIs are the other notebooks' ones, read on the review's window."""
    rows = []
    for _, r in card.iterrows():
        if is_missing(r["value"]):
            continue
        rows.append({"name": r["kpi"], "label": r["label"], "value": float(r["value"]), "unit": r["unit"],
                     "target": r["target"], "status": r["status"], "higher_is_better": bool(r["higher_is_better"]),
                     "n": None if is_missing(r["n"]) else float(r["n"]),
                     "ci_low": None if is_missing(r["ci_low"]) else float(r["ci_low"]),
                     "ci_high": None if is_missing(r["ci_high"]) else float(r["ci_high"])})
    return rows


def summary_findings(card: pd.DataFrame, annotations=(), chart: str = "limits") -> list:
    """The Summary's findings (:class:`pmplaybook.narrative.summary.Finding`) from the scorecard: each KPI
    whose latest weeks left its natural process limits (a signal), and one finding for the KPIs that moved
    within their noise.

    A signal the wrong way (by the change on the four weeks before) needs an owner unless an annotated
    holiday or campaign explains it (then it is worth knowing: an explained move needs no investigation); a
    release that coincides with it still needs one. A signal the right way is a win to understand. A KPI
    improved while its counter-metric worsened is worth knowing. ``chart`` is the anchor of the process
    behaviour charts.
    """

    weekly = card[card["value"].notna()] if len(card) else card
    bad, good, notes = [], [], []
    signals = weekly[weekly["signal"].fillna("") != ""]
    for _, r in signals.iterrows():
        since, side = _since(r), {"up": "above", "down": "below"}.get(r.get("signal_direction"))
        start = since if since is not None else pd.Timestamp(r["signal_period"])
        stayed = (f" and stayed there through the week of {pd.Timestamp(r['signal_period']):%d %b}"
                  if start < pd.Timestamp(r["signal_period"]) else "")
        what = (f"{'rose above' if side == 'above' else 'fell below' if side else 'left'} its natural process "
                f"limits in the week of {start:%d %b}{stayed}" if r["signal"] == "outside" else
                f"has stayed {side} its average since the week of {since:%d %b}, eight weeks or more"
                if since is not None and side else
                f"ended a run of eight weeks on one side of its average in the week of "
                f"{pd.Timestamp(r['signal_period']):%d %b}")
        text = (f"**{r['label']}** {what}: a signal, not noise. It is {format_value(r['value'], r['unit'])} over the "
                f"last four weeks, {format_change(r['change'], r['unit'])} on the four before")
        note = signal_annotation(r, annotations)
        way = signal_way(r)
        owner = r["owner"] or "the KPI's owner (none is named in the params)"
        if note is not None:
            text += f", and it coincides with {note.label} ({note.kind}, {pd.Timestamp(note.date):%d %b}), its likely cause"
        text += "."
        if way is False and (note is None or note.kind == "release"):
            step = (f"{owner}: check what {note.label} changed for it, and fix or roll back." if note is not None else
                    f"{owner}: bring its cause to the review (the release, campaign or segment behind it), then "
                    "add it to the params annotations.")
            bad.append(Finding(text, next_step=step, chart=chart))
        elif way is False:
            notes.append(Finding(text, chart=chart, severity="note", next_step=(
                "No investigation: check next week that it returns within its limits; if it does not, treat it "
                "as unexplained.")))
        elif way is True:
            good.append(Finding(text, chart=chart, severity="good", next_step="" if note is not None else (
                f"{owner}: find what caused it, to keep it.")))
        else:
            notes.append(Finding(text, chart=chart, severity="note"))
    quiet = weekly[weekly["signal"].fillna("") == ""]
    if len(quiet):
        moves = ", ".join(f"{r['label']} ({format_change(r['change'], r['unit'])})" for _, r in quiet.iterrows())
        head = ("No KPI left its natural process limits in the last four weeks: " if signals.empty else
                "Within noise: ")
        tail = "no move needs chasing this week." if not bad else "no action on these."
        notes.insert(0, Finding(f"{head}{moves} on the four weeks before, routine variation; {tail}",
                                chart=chart, severity="note"))
    paired = weekly[weekly["counter"].notna() & weekly["counter"].astype(str).ne("")] if len(weekly) else weekly
    for _, r in paired.iterrows():
        spec = KPIS.get(r["counter"])
        if spec and _better(r["change"], r["higher_is_better"]) and _better(r["counter_change"],
                                                                            spec["higher_is_better"]) is False:
            notes.append(Finding(
                f"**{r['label']}** improved ({format_change(r['change'], r['unit'])}) while its counter-metric "
                f"**{spec['label']}** worsened ({format_change(r['counter_change'], spec['unit'])}).", severity="note",
                next_step="Check that the gain is not bought at the counter-metric's expense before celebrating it."))
    return bad + good + notes


__all__ = ["annotation_between", "annotation_near", "boxes_view", "counter_finding", "explaining_annotation",
           "history_view", "holiday_finding", "okr_finding", "okr_suggestions", "okr_view", "revisit_finding",
           "scorecard_finding", "scorecard_view", "signal_annotation", "signal_findings", "signal_way", "summary_findings", "summary_rows", "year_finding"]
