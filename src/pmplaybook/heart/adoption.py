"""Adoption: new users, a feature's adoption since launch and its depth, and suggestion acceptance."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..config import ActivationRule
from ..core import checks
from ..core.calendar import complete, period_start_utc, uses_calendar, utc_midnight
from ..core.engines import local_time
from ..core.formatting import MISSING
from ..core.stats import add_wilson, wilson_interval
from ..retention import activated_users
from .happiness import MIN_RESPONSES, _check_period, _window_events


@uses_calendar
def new_users(events: ibis.Table, signup_event: str | None = None, *, period: str = "week", timezone: str = "UTC",
              week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """New users and new accounts per period.

    A user is **new** in the period of their first ``signup_event`` (or of their first event of any kind
    when ``signup_event`` is None); an account (``account_id``) is new in the period of its first event.
    Counts, not rates: read them next to engagement and retention (a sign-up count is a vanity metric
    on its own, as PMRead and Gupta warn).

    Returns
    -------
    DataFrame with ``period``, ``new_users``, ``new_accounts`` (NaN without ``account_id``), ``complete``.

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "b", "c"], "account_id": ["A", "A", "A", "C"],
    ...     "event": ["signup", "signup", "x", "signup"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-11 09:00", "2025-03-12 09:00"]}))
    >>> new_users(ev, signup_event="signup", as_of="2025-03-17")[["new_users", "new_accounts"]].to_dict("list")
    {'new_users': [2, 1], 'new_accounts': [1.0, 1.0]}
    """
    checks.events_table(events)
    _check_period(period, allow_none=False)
    ev, as_of_local, _ = _window_events(events, as_of, timezone)
    src = ev.filter(ev.event == signup_event) if signup_event else ev
    firsts = src.group_by("user_id").aggregate(_t=src.timestamp.min())
    firsts = firsts.mutate(_p=period_start_utc(firsts._t, period, timezone, week_start))
    users = firsts.group_by("_p").aggregate(new_users=firsts.count()).execute()
    out = users
    if "account_id" in ev.columns:
        acc = ev.filter(ev.account_id.notnull())
        acc = acc.group_by("account_id").aggregate(_t=acc.timestamp.min())
        acc = acc.mutate(_p=period_start_utc(acc._t, period, timezone, week_start))
        accounts = acc.group_by("_p").aggregate(new_accounts=acc.count()).execute()
        out = users.merge(accounts, on="_p", how="outer")
    else:
        out["new_accounts"] = np.nan
    out = out.rename(columns={"_p": "period"})
    out["period"] = pd.to_datetime(out["period"])
    out["new_users"] = out["new_users"].fillna(0).astype("int64")
    out["new_accounts"] = out["new_accounts"].astype("float64")
    if "account_id" in ev.columns:
        out["new_accounts"] = out["new_accounts"].fillna(0.0)
    out = out.sort_values("period").reset_index(drop=True)
    out["complete"] = complete(out["period"], period, as_of_local)
    return out[["period", "new_users", "new_accounts", "complete"]]


def _launch(events, feature_event, launched, timezone) -> pd.Timestamp:
    if launched:
        try:
            return pd.Timestamp(launched).normalize()
        except (ValueError, TypeError):
            raise ValueError(f"launched={launched!r} is not a date. Fix: pass 'YYYY-MM-DD' or None (the day "
                             "of the feature's first use)") from None
    f = events.filter(events.event == feature_event)
    first = f.aggregate(t=local_time(f.timestamp, timezone).min()).execute().iloc[0]["t"]
    if pd.isna(first):
        checks.require_event(events, feature_event, "feature_event")
        raise ValueError(f"feature_event={feature_event!r} never occurs before as_of. Fix: choose a later as_of")
    return pd.Timestamp(first).normalize()


@uses_calendar
def feature_adoption(events: ibis.Table, feature_event: str, *, launched=None, period: str = "week",
                     timezone: str = "UTC", week_start: str = "monday", as_of=None,
                     active_event=None) -> pd.DataFrame:
    """Feature adoption per period since launch: who used the feature for the first time, and how many
    of the active users have used it so far.

    From ``launched`` (a local date; default the day of the feature's first use) to ``as_of``, per period:

    * ``active_users``: users with any event (or ``active_event``) in the period;
    * ``feature_users``: users who did ``feature_event`` in the period; ``usage_rate`` =
      feature_users / active_users;
    * ``new_adopters``: users whose *first* ``feature_event`` falls in the period; ``rate`` =
      new_adopters / active_users with a Wilson interval (``ci_low``, ``ci_high``). The first row is the
      launch window (Rodden et al.'s example: % of active users who used a new photo filter in its first
      week);
    * ``cumulative_adopters`` / ``cumulative_active``: users who adopted / were active at any time from
      the launch to the period's end; ``cumulative_rate`` is their ratio (the adoption curve) with
      ``cumulative_ci_low``/``cumulative_ci_high``.

    Returns
    -------
    DataFrame with ``period``, ``active_users``, ``feature_users``, ``usage_rate``, ``new_adopters``,
    ``rate``, ``ci_low``, ``ci_high``, ``cumulative_adopters``, ``cumulative_active``,
    ``cumulative_rate``, ``cumulative_ci_low``, ``cumulative_ci_high``, ``complete``.

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "b", "a", "c"], "event": ["ai", "x", "ai", "ai"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-10 09:00", "2025-03-11 09:00"]}))
    >>> t = feature_adoption(ev, "ai", as_of="2025-03-17")
    >>> t[["active_users", "new_adopters", "rate", "cumulative_rate"]].to_dict("records")
    [{'active_users': 2, 'new_adopters': 1, 'rate': 0.5, 'cumulative_rate': 0.5}, {'active_users': 2, 'new_adopters': 1, 'rate': 0.5, 'cumulative_rate': 0.6666666666666666}]
    """
    checks.events_table(events)
    _check_period(period, allow_none=False)
    checks.timezone(timezone)
    if not isinstance(feature_event, str) or not feature_event:
        raise ValueError(f"feature_event={feature_event!r}: expected the event name that marks a use of the "
                         "feature, e.g. 'ai_suggestion_shown'")
    ev, as_of_local, _ = _window_events(events, as_of, timezone)
    launch = _launch(ev, feature_event, launched, timezone)
    ev = ev.filter(ev.timestamp >= utc_midnight(launch, timezone))
    ev = ev.mutate(_p=period_start_utc(ev.timestamp, period, timezone, week_start))
    act = ev if active_event is None else ev.filter(ev.event.isin(checks.event_list(active_event, "active_event")))
    active = act.select("user_id", "_p").distinct()
    per_active = active.group_by("_p").aggregate(active_users=active.count())
    first_active = active.group_by("user_id").aggregate(_p=active._p.min())
    first_active = first_active.group_by("_p").aggregate(first_active=first_active.count())
    f = ev.filter(ev.event == feature_event)
    fusers = f.select("user_id", "_p").distinct()
    per_feature = fusers.group_by("_p").aggregate(feature_users=fusers.count())
    first = fusers.group_by("user_id").aggregate(_p=fusers._p.min())
    per_first = first.group_by("_p").aggregate(new_adopters=first.count())
    frames = [x.execute() for x in (per_active, first_active, per_feature, per_first)]
    out = frames[0]
    for fr in frames[1:]:
        out = out.merge(fr, on="_p", how="outer")
    out = out.rename(columns={"_p": "period"})
    out["period"] = pd.to_datetime(out["period"])
    out = out.sort_values("period").reset_index(drop=True)
    for c in ("active_users", "first_active", "feature_users", "new_adopters"):
        out[c] = out[c].fillna(0).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["usage_rate"] = np.where(out["active_users"] > 0, out["feature_users"] / out["active_users"], np.nan)
    out = add_wilson(out, "new_adopters", "active_users", rate="rate")
    out["cumulative_adopters"] = out["new_adopters"].cumsum()
    out["cumulative_active"] = out["first_active"].cumsum()
    low, high = wilson_interval(out["cumulative_adopters"], out["cumulative_active"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cumulative_rate"] = np.where(out["cumulative_active"] > 0,
                                          out["cumulative_adopters"] / out["cumulative_active"], np.nan)
    out["cumulative_ci_low"], out["cumulative_ci_high"] = low, high
    out["complete"] = complete(out["period"], period, as_of_local)
    return out[["period", "active_users", "feature_users", "usage_rate", "new_adopters", "rate", "ci_low",
                "ci_high", "cumulative_adopters", "cumulative_active", "cumulative_rate", "cumulative_ci_low",
                "cumulative_ci_high", "complete"]]


@uses_calendar
def adoption_depth(events: ibis.Table, feature_event: str, rule: ActivationRule | dict | None = None,
                   signup_event: str = "signup", *, launched=None, timezone: str = "UTC", as_of=None) -> dict:
    """How deeply the feature is used since launch, optionally among activated users only.

    Population: users active since ``launched`` (default the feature's first use); with an activation
    ``rule`` (e.g. ``params.events.activation``) only those who met it (see
    :func:`pmplaybook.retention.activated_users`). ``adopters`` = population members who used the
    feature; ``rate`` = adopters / users (Wilson); ``uses_per_adopter`` (mean) and ``median_uses``;
    ``repeat_rate`` = share of adopters who used it in 2 or more distinct weeks (a one-off try is not
    adoption). A post-PMF depth metric (PMRead): "% of activated users who used feature Y".

    Returns
    -------
    dict with ``population`` ("activated users" or "active users"), ``users``, ``adopters``, ``rate``,
    ``ci_low``, ``ci_high``, ``uses_per_adopter``, ``median_uses``, ``repeat_rate``.

    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a", "a", "b"], "event": ["ai", "ai", "ai", "x"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-04 09:00", "2025-03-11 09:00", "2025-03-04 09:00"]}))
    >>> r = adoption_depth(ev, "ai", as_of="2025-03-17")
    >>> r["users"], r["adopters"], r["rate"], r["uses_per_adopter"], r["repeat_rate"]
    (2, 1, 0.5, 3.0, 1.0)
    """
    checks.events_table(events)
    ev, _, _ = _window_events(events, as_of, timezone)
    launch = _launch(ev, feature_event, launched, timezone)
    ev = ev.filter(ev.timestamp >= utc_midnight(launch, timezone))
    pop = ev.select("user_id").distinct()
    population = "active users"
    if rule is not None:
        act = activated_users(events, signup_event=signup_event, rule=rule, as_of=as_of,
                                         timezone=timezone)
        act = act.filter(act.activated).select(_uid=act.user_id)
        pop = pop.join(act, pop.user_id == act._uid).select("user_id")
        population = "activated users"
    f = ev.filter(ev.event == feature_event)
    f = f.mutate(_w=period_start_utc(f.timestamp, "week", timezone))
    per_user = f.group_by("user_id").aggregate(uses=f.count(), weeks=f._w.nunique())
    per_user = per_user.semi_join(pop, "user_id")
    stats = per_user.aggregate(adopters=per_user.count(), mean_uses=per_user.uses.mean(),
                               median_uses=per_user.uses.quantile(0.5),
                               repeaters=(per_user.weeks >= 2).cast("int64").sum()).execute().iloc[0]
    users = int(pop.count().execute())
    adopters = int(stats["adopters"] or 0)
    low, high = wilson_interval(adopters, users)
    nan = float("nan")
    return dict(population=population, users=users, adopters=adopters,
                rate=adopters / users if users else nan, ci_low=low, ci_high=high,
                uses_per_adopter=float(stats["mean_uses"]) if adopters else nan,
                median_uses=float(stats["median_uses"]) if adopters else nan,
                repeat_rate=int(stats["repeaters"] or 0) / adopters if adopters else nan)


@uses_calendar
def suggestion_acceptance(events: ibis.Table, shown: str, accepted: str, edited: str | None = None, *,
                          period: str | None = None, segment: str | None = None, timezone: str = "UTC",
                          week_start: str = "monday", as_of=None) -> pd.DataFrame:
    """Acceptance of suggestions (an AI assistant, autocomplete, recommendations): accepted / shown and
    edited / shown.

    ``acceptance_rate`` = ``accepted`` events / ``shown`` events; ``edit_rate`` = ``edited`` / ``shown``
    (how often a person had to fix the output: Gupta's human-in-the-loop rate); both with Wilson
    intervals. Gupta reads acceptance *without edits* as a proxy for trust: when your log records
    "accepted" and "edited" as separate outcomes of a suggestion (as the sample does), acceptance_rate is
    exactly that; when every edit follows an acceptance, it is acceptance_rate - edit_rate. Counts are
    events in the period (per suggestion), so the rates weigh heavy users more than a per-user average
    would.

    Returns
    -------
    DataFrame with [``period``], [``segment``], ``users`` (distinct users shown a suggestion), ``shown``,
    ``accepted``, ``edited``, ``acceptance_rate``, ``acceptance_ci_low``, ``acceptance_ci_high``,
    ``edit_rate``, ``edit_ci_low``, ``edit_ci_high``, ``small_sample`` [, ``complete``].

    Examples
    --------
    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a"] * 5, "event": ["shown"] * 3 + ["accepted", "edited"],
    ...     "timestamp": [f"2025-03-03 09:0{i}" for i in range(5)]}))
    >>> suggestion_acceptance(ev, "shown", "accepted", "edited")[["shown", "accepted", "edited"]].to_dict("records")
    [{'shown': 3, 'accepted': 1, 'edited': 1}]
    """
    checks.events_table(events)
    _check_period(period)
    checks.segment(events, segment)
    names = [shown, accepted] + ([edited] if edited else [])
    for arg, name in zip(("shown", "accepted", "edited"), names):
        if not isinstance(name, str) or not name:
            raise ValueError(f"{arg}={name!r}: expected an event name")
    ev, as_of_local, _ = _window_events(events, as_of, timezone)
    ev = ev.filter(ev.event.isin(names))
    keys = {}
    if period:
        keys["period"] = period_start_utc(ev.timestamp, period, timezone, week_start)
    if segment:
        keys["segment"] = ev[segment].cast("string").fill_null(MISSING)
    aggs = dict(users=(ev.event == shown).ifelse(ev.user_id, ibis.null()).nunique(),
                shown=(ev.event == shown).cast("int64").sum(),
                accepted=(ev.event == accepted).cast("int64").sum(),
                edited=(ev.event == edited).cast("int64").sum() if edited else ibis.literal(0).cast("int64"))
    out = (ev.group_by(**keys).aggregate(**aggs) if keys else ev.aggregate(**aggs)).execute()
    for c in ("users", "shown", "accepted", "edited"):
        out[c] = out[c].fillna(0).astype("int64")
    out = out[out["shown"] > 0]
    if out.empty and not bool(events.filter(events.event == shown).limit(1).count().execute()):
        checks.require_event(events, shown, "shown")
    out = out.sort_values(list(keys) or ["shown"]).reset_index(drop=True)
    out = add_wilson(out, "accepted", "shown", rate="acceptance_rate").rename(
        columns={"ci_low": "acceptance_ci_low", "ci_high": "acceptance_ci_high"})
    out = add_wilson(out, "edited", "shown", rate="edit_rate").rename(
        columns={"ci_low": "edit_ci_low", "ci_high": "edit_ci_high"})
    if not edited:
        out[["edited", "edit_rate", "edit_ci_low", "edit_ci_high"]] = np.nan
    out["small_sample"] = out["shown"] < MIN_RESPONSES
    cols = [*keys, "users", "shown", "accepted", "edited", "acceptance_rate", "acceptance_ci_low",
            "acceptance_ci_high", "edit_rate", "edit_ci_low", "edit_ci_high", "small_sample"]
    if period:
        out["period"] = pd.to_datetime(out["period"])
        out["complete"] = complete(out["period"], period, as_of_local)
        cols.append("complete")
    return out[cols]


def main_feature(params):
    """The feature to walk through: the most recently launched one of params ``events.features`` (the
    first listed when none has a launch date), or None."""
    features = list(params.events.features)
    if not features:
        return None
    dated = [f for f in features if f.launched]
    return max(dated, key=lambda f: pd.Timestamp(f.launched)) if dated else features[0]


def suggestion_events(events: ibis.Table, feature_event: str | None) -> dict | None:
    """For a feature event named ``<prefix>_shown``, the sibling events ``<prefix>_accepted`` and
    ``<prefix>_edited`` when they occur in the data (``edited`` may be None); None otherwise.

    >>> from pmplaybook.data import load_events
    >>> ev = load_events(pd.DataFrame({"user_id": ["a", "a"], "event": ["ai_shown", "ai_accepted"],
    ...     "timestamp": ["2025-03-03 09:00", "2025-03-03 09:01"]}))
    >>> suggestion_events(ev, "ai_shown")
    {'shown': 'ai_shown', 'accepted': 'ai_accepted', 'edited': None}
    """
    if not feature_event or not feature_event.endswith("_shown"):
        return None
    prefix = feature_event[: -len("_shown")]
    present = checks.present_events(events)
    if f"{prefix}_accepted" not in present:
        return None
    return dict(shown=feature_event, accepted=f"{prefix}_accepted",
                edited=f"{prefix}_edited" if f"{prefix}_edited" in present else None)
