"""What users do with the model's output: acceptance without edits, edits, overrides, coverage; and what
acceptance goes with in the business outcome.

The field reads acceptance *without edits* as the proxy for trust (Gupta's AI metrics): a suggestion
taken as it is saved the user's time; one that had to be edited or replaced by hand is the human in the
loop doing the model's work. Coverage is the share of cases in which the model gave an answer at all (a
prediction at or above the product's threshold: the suggestion shown).
"""

from __future__ import annotations

import ibis
import pandas as pd

from ..core import checks
from ..core.calendar import read_as_of, resolve_as_of, uses_calendar, utc_midnight
from ..core.stats import add_wilson, diff_proportions
from ._common import check_predictions, segments, window, with_period
from .serving import _mark_complete

#: Each trust metric: (numerator outcomes, denominator, what it means). ``shown`` = predictions the product
#: acted on (``predicted`` true); ``all`` = every prediction.
TRUST_METRICS = {
    "acceptance_without_edits": (("accepted",), "shown", "shown suggestions taken exactly as they were"),
    "edit_rate": (("edited",), "shown", "shown suggestions taken after the user edited them"),
    "override_rate": (("overridden",), "shown", "shown suggestions the user replaced with an answer of their own"),
    "human_in_the_loop": (("edited", "overridden"), "shown",
                          "shown suggestions a person had to fix or replace (edited or overridden)"),
    "rejection_rate": (("rejected",), "shown", "shown suggestions the user dismissed"),
    "coverage": (None, "all", "predictions in which the model gave an answer (shown)"),
}


@uses_calendar
def trust(predictions: ibis.Table, period: str | None = None, *, segment=None, timezone: str = "UTC",
          week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """The trust metrics of :data:`TRUST_METRICS`, overall or per period (and segment), with intervals.

    A prediction is *shown* when ``predicted`` is true (the product acted on it); its ``outcome`` says what
    the user did. ``acceptance_without_edits = accepted / shown``, ``edit_rate = edited / shown``,
    ``override_rate = overridden / shown``, ``human_in_the_loop = (edited + overridden) / shown``,
    ``rejection_rate = rejected / shown`` and ``coverage = shown / predictions``.

    Returns
    -------
    Long DataFrame: [``period``,] [segment,] ``metric, count, n, rate, ci_low, ci_high`` (95% Wilson)
    [, ``complete``].
    """
    check_predictions(predictions, "trust", segment)
    keys = segments(segment)
    t = window(predictions, timezone, as_of)
    t, by = with_period(t, period, timezone, week_start)
    t = t.mutate(**{k: t[k].cast("string") for k in keys})
    shown = t.predicted.fill_null(False)
    counts = {"all": t.count(), "shown": shown.cast("int64").sum()}
    for name in ("accepted", "edited", "rejected", "ignored", "overridden"):
        counts[name] = (shown & (t.outcome == name)).fill_null(False).cast("int64").sum()
    wide = (t.group_by([*by, *keys]).aggregate(**counts) if by or keys else t.aggregate(**counts)).execute()
    rows = []
    for metric, (numerator, denominator, _) in TRUST_METRICS.items():
        part = wide[[*by, *keys]].copy()
        part["metric"] = metric
        part["count"] = wide["shown"] if numerator is None else wide[list(numerator)].sum(axis=1)
        part["n"] = wide[denominator]
        rows.append(part)
    long = pd.concat(rows, ignore_index=True).astype({"count": "int64", "n": "int64"})
    long = add_wilson(long, "count", "n")
    if by or keys:
        long = long.sort_values([*by, *keys], kind="stable", ignore_index=True)
    return _mark_complete(long, period, timezone, as_of)


@uses_calendar
def outcome(events: ibis.Table, predictions: ibis.Table, *, within_days: int = 7, week: int = 4,
            timezone: str = "UTC", as_of=None) -> pd.DataFrame:
    """Retention of users who accepted suggestions against users who were shown some but accepted none.

    Each user's clock starts at their first shown suggestion. Users who accepted one (as it was or after
    editing) within ``within_days`` are the *accepters*; the others were shown suggestions in that time and
    took none. Retained = any event in week ``week`` after the start (days ``7*week`` to ``7*week + 6``).
    Only users whose week ``week`` had ended by ``as_of`` are counted.

    This is association, not cause: users who accept suggestions are often the engaged users who would
    have stayed anyway. Only an experiment (a holdout without the assistant) says what it *causes*.

    Returns
    -------
    DataFrame with one row per group: ``accepted`` (bool), ``users``, ``retained``, ``rate``, ``ci_low``,
    ``ci_high``, and the same comparison on both rows: ``gap`` (accepters minus others), ``gap_low``,
    ``gap_high``, ``significant``.
    """
    checks.events_table(events)
    check_predictions(predictions, "trust")
    if not isinstance(week, int) or week < 1 or not isinstance(within_days, int) or within_days < 1:
        raise ValueError(f"week={week!r}, within_days={within_days!r}: expected whole numbers of at least 1")
    _, as_of_utc = resolve_as_of(events, as_of, timezone)
    p = window(predictions, timezone, as_of)
    p = p.filter(p.predicted.fill_null(False))
    first = p.group_by("user_id").aggregate(start=p.timestamp.min())
    took = p.filter(p.outcome.isin(["accepted", "edited"])).select("user_id", took_at="timestamp")
    took = took.join(first, "user_id")
    took = took.filter(took.took_at < took.start + ibis.interval(days=within_days))
    accepters = took.select("user_id").distinct().mutate(accepted=ibis.literal(True))
    lo, hi = 7 * week, 7 * week + 7
    users = first.filter(first.start + ibis.interval(days=hi) <= ibis.literal(as_of_utc))
    ev = events.select("user_id", "timestamp").join(users, "user_id")
    back = ev.filter((ev.timestamp >= ev.start + ibis.interval(days=lo)) & (ev.timestamp < ev.start + ibis.interval(days=hi)))
    back = back.select("user_id").distinct().mutate(retained=ibis.literal(1))
    u = users.left_join(accepters, "user_id").select("user_id", accepted=ibis._.accepted.fill_null(False))
    u = u.left_join(back, "user_id").select("accepted", retained=ibis._.retained.fill_null(0))
    frame = u.group_by("accepted").aggregate(users=u.count(), retained=u.retained.sum()).execute()
    frame = frame.set_index("accepted").reindex([True, False], fill_value=0).reset_index()
    frame = add_wilson(frame.astype({"users": "int64", "retained": "int64"}), "retained", "users")
    yes, no = frame.iloc[0], frame.iloc[1]
    gap = diff_proportions(yes.retained, yes.users, no.retained, no.users)
    frame["gap"], frame["gap_low"], frame["gap_high"] = gap["diff"], gap["ci_low"], gap["ci_high"]
    frame["significant"] = gap["significant"]
    return frame
