"""The weekly review's tables: the scorecard of a team's targeted KPIs, which segment explains a KPI's
change (:func:`contribution`), and how each OKR key result stands against its pace (:func:`okr_progress`).

A KPI is read on a recent window (the last four complete weeks, pooled: numerator and denominator
summed) against the four weeks before, with its ``n`` and 95% interval. Its status follows the interval:
green when the whole interval is on the good side of the target, red when the whole interval misses it,
amber when the target lies inside it. Whether the latest week is a *signal* or routine noise comes from
Wheeler's process limits (:func:`pmplaybook.review.limits.process_limits`) over the weeks before the
window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import KPI
from ..config.vocabulary import KPIS
from ..core.calendar import period_index, period_start
from ..data import Dataset
from ..north_star import classify_kpis
from .limits import process_limits
from .series import SERIES, finish, kpi_series
from .wbr import six_twelve

WINDOW = 4
CARD_COLUMNS = ["kpi", "label", "unit", "owner", "level", "leading", "higher_is_better", "window_start",
                "window_end", "value", "n", "ci_low", "ci_high", "target", "status", "previous", "change",
                "signal", "signal_period", "counter", "counter_value", "counter_change", "counter_status",
                "note", "signal_direction", "signal_since"]


def pooled(frame: pd.DataFrame, name: str) -> dict:
    """One value for several periods (or segments) of a :func:`kpi_series` frame: counts summed first."""
    if frame.empty:
        return dict(value=np.nan, n=0.0, ci_low=np.nan, ci_high=np.nan, numerator=0.0, denominator=0.0)
    sums = {c: [frame[c].sum()] for c in ("numerator", "denominator", "promoters", "detractors") if c in frame}
    if "sd" in frame:
        # pooled standard deviation of the answers: within-period spread plus the spread of period means
        n, mean = frame["n"], frame["value"]
        grand = (n * mean).sum() / n.sum()
        ss = ((n - 1) * frame["sd"] ** 2).sum() + (n * (mean - grand) ** 2).sum()
        sums["sd"] = [float(np.sqrt(ss / max(n.sum() - 1, 1)))]
    row = finish(pd.DataFrame({"period": [frame["period"].max()], **sums}), name).iloc[0]
    return dict(value=float(row["value"]), n=float(row["n"]), ci_low=float(row["ci_low"]),
                ci_high=float(row["ci_high"]), numerator=float(sums["numerator"][0]),
                denominator=float(sums["denominator"][0]))


def status(value: float, ci_low: float, ci_high: float, target, higher_is_better: bool,
           tolerance: float = 0.1) -> str | None:
    """green / amber / red by the interval against the target, the one rule of :meth:`KPI.status`
    (the tolerance band only when there is no interval); None without a target or a value.

    >>> status(0.30, 0.27, 0.33, 0.25, True), status(0.26, 0.22, 0.30, 0.25, True), status(0.2, 0.1, 0.24, 0.25, True)
    ('green', 'amber', 'red')
    """
    return KPI(target=target, higher_is_better=higher_is_better, tolerance=tolerance).status(value, ci_low, ci_high)


def latest_signal(series: pd.DataFrame, window: int = WINDOW) -> tuple[str, pd.Timestamp | None]:
    """The process-behaviour verdict on the latest periods of a series: ``("outside" | "run" | "", when)``.

    The limits come from the periods before the last ``window`` (at least eight of them; else from every
    period), and the last ``window`` periods are judged against them: the latest one that signals wins.
    """
    values = series["value"].reset_index(drop=True)
    if len(values) < 6:
        return "", None
    baseline = len(values) - window if len(values) - window >= 8 else None
    chart = process_limits(values, baseline=baseline)
    recent = chart.iloc[-window:]
    flagged = recent[recent["signal"] != ""]
    if flagged.empty:
        return "", None
    last = flagged.index[-1]
    return str(flagged["signal"].iloc[-1]), pd.Timestamp(series["period"].iloc[last])


def signal_shape(series: pd.DataFrame, window: int = WINDOW) -> tuple[str, pd.Timestamp | None]:
    """Which way the latest signal of :func:`latest_signal` points and since when: ``("up" | "down", since)``,
    ``since`` the first period of the stretch on that side of the center line that the signal ends (the
    start of a run of eight; for a value outside the limits, the first of the successive values outside on
    that side); ``("", None)`` without a signal. A run can start weeks before the week that flags it, so
    its cause is looked for near ``since``, not near the flagged week.
    """
    values = series["value"].reset_index(drop=True)
    signal, when = latest_signal(series, window)
    if not signal:
        return "", None
    baseline = len(values) - window if len(values) - window >= 8 else None
    chart = process_limits(values, baseline=baseline)
    last = int(series["period"].reset_index(drop=True).eq(when).idxmax())
    up = chart["value"].iloc[last] > chart["center"].iloc[last]

    def same_side(i):
        v, c = chart["value"].iloc[i], chart["center"].iloc[i]
        if signal == "outside":
            return chart["signal"].iloc[i] == "outside" and (v > c) == up
        return (v > c) if up else (v < c)

    first = last
    while first - 1 >= 0 and (pd.isna(chart["value"].iloc[first - 1]) or same_side(first - 1)):
        first -= 1
    while pd.isna(chart["value"].iloc[first]):  # a missing value neither starts nor ends the stretch
        first += 1
    return ("up" if up else "down"), pd.Timestamp(series["period"].iloc[first])


def _window(series: pd.DataFrame, name: str, window: int) -> tuple[dict, dict, pd.DataFrame]:
    now, before = series.tail(window), series.iloc[-2 * window:-window]
    return pooled(now, name), pooled(before, name), now


def _change(now: dict, before: dict) -> float:
    return now["value"] - before["value"] if not (np.isnan(now["value"]) or np.isnan(before["value"])) else np.nan


#: How a KPI is read on its recent window when not on the last ``window`` complete weeks: (period, periods).
#: Survey answers are sparse (four weeks of NPS answers still span about +/-10 points): eight weeks. DAU/MAU
#: is a daily ratio: the last 28 days.
READINGS = {"nps": ("week", 8), "csat": ("week", 8), "ces": ("week", 8), "dau_mau": ("day", 28)}
_STEP = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7)}


def _reading(ds: Dataset, name: str, window: int, series=kpi_series) -> tuple[dict, dict, pd.Timestamp, pd.Timestamp]:
    """The KPI pooled over its recent window and over the window before, with the window's first day and the
    day after its last (``series(ds, name, period=...)`` gives the periods)."""
    period, periods = READINGS.get(name, ("week", window))
    now, before, frame = _window(series(ds, name, period=period), name, periods)
    if frame.empty:
        return now, before, pd.NaT, pd.NaT
    return now, before, frame["period"].min(), frame["period"].max() + _STEP[period]


def recent(ds: Dataset, name: str, *, window: int = WINDOW) -> dict:
    """A KPI of :data:`SERIES` on its recent window, as :meth:`KPIRecorder.record` keywords: ``value``
    pooled over the last ``window`` complete weeks (for a cohort KPI, the last ``window`` sign-up weeks
    whose outcome is complete; see :data:`READINGS` for the KPIs read otherwise), ``n``, its 95% interval,
    ``window_start`` (the first day) and ``window_end`` (the day after the last). This is the one reading
    of the KPI that every notebook records and the weekly review judges, so a KPI reads the same on every
    page."""
    now, _, start, end = _reading(ds, name, window)
    if pd.isna(start):
        return dict(value=None, n=0)
    return dict(value=now["value"], n=int(now["n"]), ci_low=now["ci_low"], ci_high=now["ci_high"],
                window_start=start, window_end=end)


def scorecard(ds: Dataset, *, window: int = WINDOW) -> pd.DataFrame:
    """The team's review table: each targeted KPI of its params with its level in the metric stack,
    leading or lagging, value over the last ``window`` complete weeks with ``n`` and interval, target,
    status, change against the ``window`` weeks before, whether the latest weeks hold a signal, its
    counter-metric beside it, and its owner.

    A targeted KPI that is not a weekly series (LTV/CAC, net revenue retention...) keeps a row whose
    ``note`` says where it is reviewed.

    Returns
    -------
    DataFrame with the columns of :data:`CARD_COLUMNS`, one row per targeted KPI in params order.
    """
    params = ds.params
    stack = classify_kpis(params).set_index("kpi")
    rows = []
    cache: dict[tuple, pd.DataFrame] = {}

    def series_of(_ds, name, period="week"):
        if (name, period) not in cache:
            cache[name, period] = kpi_series(ds, name, period=period)
        return cache[name, period]

    for name, kpi in params.kpis.items():
        if kpi.external or kpi.target is None:
            continue
        spec = KPIS[name]
        leading = getattr(kpi, "leading", None)
        level = stack.loc[name, "level"] if name in stack.index else "unclassified"
        row = dict(kpi=name, label=spec["label"], unit=spec["unit"], owner=getattr(kpi, "owner", None) or "",
                   level=level, leading=bool(leading) if leading is not None else level == "product_outcome",
                   higher_is_better=kpi.higher_is_better, target=kpi.target, counter=getattr(kpi, "counter", None))
        if name not in SERIES:
            rows.append({**row, "note": "reviewed in its own notebook: not a weekly series"})
            continue
        try:
            s = series_of(ds, name)
            now, before, start, end = _reading(ds, name, window, series_of)
        except ValueError as exc:
            rows.append({**row, "note": str(exc).split(". Fix:")[0]})
            continue
        signal, when = latest_signal(s, window)
        direction, since = signal_shape(s, window)
        row.update(window_start=start, window_end=end, value=now["value"],
                   n=now["n"], ci_low=now["ci_low"], ci_high=now["ci_high"], previous=before["value"],
                   change=_change(now, before), signal=signal, signal_period=when,
                   signal_direction=direction, signal_since=since,
                   status=kpi.status(now["value"], now["ci_low"], now["ci_high"]))
        counter = row["counter"]
        if counter and counter in SERIES:
            try:
                c_now, c_before, _, _ = _reading(ds, counter, window, series_of)
                c_target = params.kpis[counter].target if counter in params.kpis else None
                row.update(counter_value=c_now["value"], counter_change=_change(c_now, c_before),
                           counter_status=status(c_now["value"], c_now["ci_low"], c_now["ci_high"], c_target,
                                                 KPIS[counter]["higher_is_better"]))
            except ValueError:
                pass
        rows.append(row)
    return pd.DataFrame(rows, columns=CARD_COLUMNS)


def contribution(ds: Dataset, name: str, segment: str, *, period: str = "week", window: int = 1,
                 end=None) -> pd.DataFrame:
    """Which values of ``segment`` explain the change of a KPI between two windows of ``window`` complete
    periods (the latest, or the one ending at ``end``, against the one before).

    The KPI is a ratio of sums, ``value = sum_s w_s r_s`` with ``w_s`` the segment's share of the
    denominator and ``r_s`` its own rate. The change splits exactly into a **mix effect**
    ``(w1 - w0) r0`` (the segment's weight moved) and a **rate effect** ``w1 (r1 - r0)`` (its rate moved);
    summed over segments they give the total change.

    Returns
    -------
    DataFrame, one row per segment value, largest absolute effect first: ``segment``, ``weight_before``,
    ``weight_after``, ``rate_before``, ``rate_after``, ``mix_effect``, ``rate_effect``, ``effect`` (their
    sum), with ``attrs["total_change"]`` the KPI's change.
    """
    s = kpi_series(ds, name, period=period, segment=segment)
    periods = sorted(s["period"].unique())
    if end is not None:
        periods = [p for p in periods if p <= pd.Timestamp(end)]
    if len(periods) < 2 * window:
        raise ValueError(f"{name}: fewer than {2 * window} complete {period}s to compare. Fix: use a smaller window")
    after, before = periods[-window:], periods[-2 * window:-window]
    scale = 100.0 if name == "nps" else 1.0

    def shares(ps):
        t = s[s["period"].isin(ps)].groupby("segment")[["numerator", "denominator"]].sum()
        return pd.DataFrame({"weight": t["denominator"] / t["denominator"].sum(),
                             "rate": scale * t["numerator"] / t["denominator"].where(t["denominator"] > 0)})

    a, b = shares(after), shares(before)
    t = b.add_suffix("_before").join(a.add_suffix("_after"), how="outer")
    t[["weight_before", "weight_after"]] = t[["weight_before", "weight_after"]].fillna(0.0)
    t["rate_before"] = t["rate_before"].fillna(t["rate_after"])
    t["rate_after"] = t["rate_after"].fillna(t["rate_before"])
    t["mix_effect"] = (t["weight_after"] - t["weight_before"]) * t["rate_before"]
    t["rate_effect"] = t["weight_after"] * (t["rate_after"] - t["rate_before"])
    t["effect"] = t["mix_effect"] + t["rate_effect"]
    out = t.rename_axis("segment").reset_index()
    out = out.reindex(out["effect"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    out = out[["segment", "weight_before", "weight_after", "rate_before", "rate_after", "mix_effect",
               "rate_effect", "effect"]].copy()
    out.attrs.update(total_change=float(out["effect"].sum()), after=pd.Timestamp(after[-1]),
                     before=pd.Timestamp(before[-1]), segment_column=segment, kpi=name)
    return out


def okr_progress(ds: Dataset, *, today=None) -> pd.DataFrame:
    """Each OKR key result of the params against a straight-line pace from its baseline (at ``start``) to
    its target (at ``due``): where it should be by the latest complete week, and where it is.

    Returns
    -------
    DataFrame: ``objective``, ``owner``, ``kpi``, ``label``, ``baseline``, ``target``, ``start``, ``due``,
    ``as_of`` (end of the latest complete week), ``expected`` (the pace's value then), ``current`` (the
    KPI over the latest four complete weeks), ``progress`` (share of the way from baseline to target),
    ``on_pace`` (True / False; None when the KPI has no weekly series), ``note``.
    """
    rows = []
    for okr in getattr(ds.params, "okrs", None) or []:
        for kr in okr.key_results:
            start, due = pd.Timestamp(kr.start), pd.Timestamp(kr.due)
            row = dict(objective=okr.objective, owner=getattr(okr, "owner", None) or "", kpi=kr.kpi,
                       label=getattr(kr, "label", None) or KPIS[kr.kpi]["label"], baseline=kr.baseline,
                       target=kr.target, start=start, due=due, note="")
            if kr.kpi not in SERIES:
                rows.append({**row, "on_pace": None, "note": "not a weekly series"})
                continue
            s = kpi_series(ds, kr.kpi)
            if today is not None:
                s = s[s["period"] < pd.Timestamp(today)]
            now = pooled(s.tail(WINDOW), kr.kpi)
            as_of = s["period"].max() + pd.Timedelta(days=7)
            elapsed = min(max((as_of - start) / (due - start), 0.0), 1.0)
            expected = kr.baseline + (kr.target - kr.baseline) * elapsed
            progress = (now["value"] - kr.baseline) / (kr.target - kr.baseline)
            ahead = (now["value"] - expected) * np.sign(kr.target - kr.baseline)
            rows.append({**row, "as_of": as_of, "expected": expected, "current": now["value"],
                         "progress": progress, "on_pace": bool(ahead >= 0),
                         "note": "not started yet" if as_of <= start else ""})
    columns = ["objective", "owner", "kpi", "label", "baseline", "target", "start", "due", "as_of", "expected",
               "current", "progress", "on_pace", "note"]
    return pd.DataFrame(rows, columns=columns)


def process_view(ds: Dataset, name: str, *, window: int = WINDOW) -> pd.DataFrame:
    """A KPI's weekly values with Wheeler's limits from the weeks before the last ``window`` (as the
    scorecard judges them): :func:`process_limits` with a ``period`` column."""
    s = kpi_series(ds, name)
    baseline = len(s) - window if len(s) - window >= 8 else None
    return process_limits(pd.Series(s["value"].to_numpy(), index=pd.Index(s["period"], name="period")),
                          baseline=baseline)


def wbr_view(ds: Dataset, name: str) -> dict:
    """The Weekly Business Review's data for one KPI: ``weeks`` (the trailing six complete weeks) and
    ``months`` (the trailing twelve months), each with ``value`` and ``prior_year_value`` (NaN before the
    data start), and ``boxes`` (week over week, month to date, quarter to date, year over year).

    A KPI counted per day goes through :func:`pmplaybook.review.wbr.six_twelve` (each month from the days
    of that month); a weekly-only KPI (week-4 retention, the five-day share...) has no boxes, and its months
    pool the weeks that start in them.
    """
    scale = 100.0 if name == "nps" else 1.0
    if "day" in SERIES[name][1]:
        daily = kpi_series(ds, name, period="day").rename(columns={"period": "date"})
        out = six_twelve(daily[["date", "numerator", "denominator"]], as_of=ds.calendar.resolved(ds.events).as_of,
                         kind="rate", week_start=ds.week_start)
        for part in ("weeks", "months"):
            out[part] = out[part].assign(value=out[part]["value"] * scale,
                                         prior_year_value=out[part]["prior_year_value"] * scale)
        boxes = out["boxes"].copy()
        boxes[["value", "prior_value", "change"]] = boxes[["value", "prior_value", "change"]] * scale
        return {"weeks": out["weeks"], "months": out["months"], "boxes": boxes}
    weekly = kpi_series(ds, name)
    by_week = weekly.set_index("period")["value"]
    weeks = weekly.tail(6)[["period", "value"]].copy()
    weeks["prior_year_value"] = [by_week.get(p - pd.Timedelta(weeks=52), np.nan) for p in weeks["period"]]
    month = period_start(period_index(weekly["period"], "month"), "month")
    monthly = pd.DataFrame([{"period": m, **pooled(g, name)} for m, g in weekly.groupby(month)])
    by_month = monthly.set_index("period")["value"]
    months = monthly.tail(12)[["period", "value"]].copy()
    months["prior_year_value"] = [by_month.get(p - pd.DateOffset(years=1), np.nan) for p in months["period"]]
    return {"weeks": weeks.reset_index(drop=True), "months": months.reset_index(drop=True), "boxes": None}


#: How many weeks after a cohort starts its KPI is still being made (an annotation then can explain it).
COHORT_HORIZON_WEEKS = {"week4_retention": 4, "week4_active_retention": 4, "activation_rate": 1, "k_factor": 4}
#: How long an event keeps moving a KPI that counts over a trailing window (DAU/MAU's 28-day MAU).
LOOKBACK_DAYS = {"dau_mau": 28}


def _episodes(values: np.ndarray, periods: list, baseline: int, gap: int) -> list[dict]:
    flags = []
    for i in range(baseline, len(values)):
        window = process_limits(pd.Series(values[i - baseline:i + 1]), baseline=baseline)
        last = window.iloc[-1]
        if last["signal"]:
            start = max(i - 7, 0) if last["signal"] == "run" else i
            flags.append((i, start, last["signal"], last["value"], last["center"]))
    rows = []
    for i, start, kind, value, center in flags:
        up = value > center
        # signals on one side a few weeks apart are one episode (a release keeps hurting later cohorts)
        if rows and rows[-1]["_up"] == up and i - rows[-1]["_last"] <= gap:
            # the episode is read against the baseline before it began; later weeks' baselines hold it
            rows[-1].update(_last=i, end=periods[i],
                            extreme=max(rows[-1]["extreme"], value) if up else min(rows[-1]["extreme"], value))
            continue
        rows.append(dict(start=periods[start], end=periods[i], direction="up" if up else "down", kind=kind,
                         value=value, center=center, extreme=value, _up=up, _last=i))
    return rows


def episodes(ds: Dataset, name: str, *, segment: str | None = None, baseline: int = 12,
             min_n: float = 30) -> pd.DataFrame:
    """The signals of a KPI over its whole history, each week judged against the ``baseline`` weeks before
    it (a trailing baseline: a product that grows has no single stable level for a year), grouped into
    episodes of successive signalling weeks on one side. With ``segment``, each value of that column is
    its own series (values whose median weekly ``n`` is below ``min_n`` are skipped as too noisy).

    A week signals when it is outside the limits of the ``baseline`` weeks before it, or ends a run of
    eight on one side of their center; a run's episode starts at the run's first week.

    Returns
    -------
    DataFrame: ``kpi``, [``segment_column``, ``segment``], ``start``, ``end`` (first and last week),
    ``direction`` (up / down), ``kind`` (outside / run), ``value`` (the first signalling week's value),
    ``center`` (the center of the baseline before it), ``extreme`` (the episode's highest or lowest week), ``better`` (whether the move is in the KPI's good direction),
    ``explain_from`` / ``explain_until`` (the days in which an event can have started the episode: its
    first week; for a cohort KPI also the weeks the cohort's users keep acting in; for DAU/MAU also the 28
    days before, which its MAU remembers).
    """
    s = kpi_series(ds, name, segment=segment)
    groups = [(None, s)] if segment is None else [(v, g) for v, g in s.groupby("segment")
                                                    if g["n"].median() >= min_n]
    cohort_weeks = COHORT_HORIZON_WEEKS.get(name, 0)
    rows = []
    for value, g in groups:
        for r in _episodes(g["value"].to_numpy(dtype="float64"), list(g["period"]), baseline, 2 + cohort_weeks):
            rows.append({"kpi": name, **({"segment_column": segment, "segment": value} if segment else {}), **r})
    columns = ["kpi", *(["segment_column", "segment"] if segment else []), "start", "end", "direction", "kind",
               "value", "center", "extreme", "_up"]
    out = pd.DataFrame(rows, columns=columns + ["_last"])
    out["better"] = out["_up"] == KPIS[name]["higher_is_better"]
    # An event explains an episode when it came before the episode's first week ended: for a cohort KPI,
    # also in the weeks the cohort's users keep acting in; for a trailing-window KPI (DAU/MAU), also in
    # the window before it. An event in the middle of an episode cannot have started it.
    out["explain_from"] = pd.to_datetime(out["start"]) - pd.Timedelta(days=LOOKBACK_DAYS.get(name, 0))
    out["explain_until"] = pd.to_datetime(out["start"]) + pd.Timedelta(weeks=cohort_weeks, days=6)
    return out.drop(columns=["_up", "_last"])
