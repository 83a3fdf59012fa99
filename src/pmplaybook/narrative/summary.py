"""The Summary that opens every report: at most eight bullets, each computed from the data.

A notebook builds it at its end from what it has already computed (no query of its own):

- the headline KPIs it recorded, each against its target and with its interval, in two bullets (what is on
  target and what is not) and, when an earlier run exists, one bullet with what moved since then;
- the one or two findings that need an owner (:class:`Finding`), each with its suggested next step and a
  link to the chart that shows it.

The report page moves the Summary to the top (cells tagged ``report-summary``); in JupyterLab it closes the
walk-through as its recap.

>>> rows = [{"name": "week4_retention", "label": "Week-4 retention", "value": 0.25, "unit": "share",
...          "target": 0.30, "status": "red", "higher_is_better": True, "ci_low": 0.23, "ci_high": 0.27}]
>>> f = Finding("Android week-4 retention is 18%, 9 points below the other platforms.",
...             next_step="Compare the Android release notes with the week the drop started.", chart="segments")
>>> print(summary_markdown(rows, [f], previous={}))
## Summary
<BLANKLINE>
- **Off target:** Week-4 retention 25.0% (23.0%-27.0%) against a target of 30.0%, the whole interval below it.
- **Needs an owner:** Android week-4 retention is 18%, 9 points below the other platforms. *Next:* Compare the Android release notes with the week the drop started. ([chart](#segments))
- **Since the last run:** no earlier run to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.formatting import escape_dollars, format_change, format_value, is_missing
from ..core.stats import change_beyond_noise

#: At most this many bullets: a stakeholder reads the Summary in well under a minute.
MAX_BULLETS = 8


@dataclass(frozen=True)
class Finding:
    """One thing the data show that somebody should act on or know.

    ``text`` is the computed sentence; ``next_step`` what to do about it; ``chart`` the anchor (the
    ``anchor-<name>`` tag of the notebook cell) of the chart that shows it; ``severity`` is ``"bad"`` for
    something going wrong (it needs an owner), ``"good"`` for a win worth keeping, ``"note"`` otherwise.
    """

    text: str
    next_step: str = ""
    chart: str = ""
    severity: str = "bad"

    def bullet(self) -> str:
        lead = {"bad": "Needs an owner", "good": "Working", "note": "Worth knowing"}[self.severity]
        line = f"**{lead}:** {self.text}"
        if self.next_step:
            line += f" *Next:* {self.next_step}"
        if self.chart:
            line += f" ([chart](#{self.chart}))"
        return line


def _value(row: dict) -> str:
    text = format_value(row["value"], row["unit"])
    low, high = row.get("ci_low"), row.get("ci_high")
    if not is_missing(low) and not is_missing(high):
        text += f" ({format_value(low, row['unit'])}-{format_value(high, row['unit'])})"
    return text


def _against_target(row: dict) -> str:
    """'Week-4 retention 25% (23-27%) against a target of 30%, the whole interval below it.'"""
    text = f"{row['label']} {_value(row)} against a target of {format_value(row['target'], row['unit'])}"
    low, high, target = row.get("ci_low"), row.get("ci_high"), row["target"]
    if not is_missing(low) and not is_missing(high):
        if high < target:
            text += ", the whole interval below it"
        elif low > target:
            text += ", the whole interval above it"
        else:
            text += ", which the interval includes: not yet a clear miss or hit"
    return text


#: A status in words, by the value's 95% interval when it has one (what it is judged by then), else by the
#: point and the KPI's tolerance band.
STATUS_WORDS = {
    "interval": {"green": "the whole interval clears the target", "amber": "the target lies inside the interval",
                 "red": "the whole interval misses the target"},
    "point": {"green": "it meets the target", "amber": "it is within tolerance of the target",
              "red": "it misses the target"},
}


def status_words(row: dict) -> str:
    """Why a KPI row has its status, in words ('' without a status)."""
    has_interval = not (is_missing(row.get("ci_low")) or is_missing(row.get("ci_high")))
    return STATUS_WORDS["interval" if has_interval else "point"].get(row.get("status"), "")


def kpi_bullets(rows: list[dict]) -> list[str]:
    """One bullet each for the KPIs off target (red), too close to call (amber: the target lies inside the
    interval, or within tolerance without one), on target (green), and those the team set no target for;
    a KPI with no value is left to the table below."""
    judged = [r for r in rows if r.get("status") and not is_missing(r.get("value")) and r.get("target") is not None]
    bullets = []
    for status, lead in (("red", "Off target"), ("amber", "Too close to call"), ("green", "On target")):
        group = [r for r in judged if r["status"] == status]
        if group:
            bullets.append(f"**{lead}:** " + "; ".join(_against_target(r) for r in group) + ".")
    free = [r for r in rows if r.get("target") is None and not is_missing(r.get("value"))]
    if free:
        bullets.append("**Measured (no target set):** " + "; ".join(f"{r['label']} {_value(r)}" for r in free) + ".")
    return bullets


def change_bullet(rows: list[dict], previous: dict | None) -> str | None:
    """What moved since the previous run (``previous`` maps a KPI name to ``(as_of, value)`` or ``(as_of,
    value, ci_low, ci_high)``), each move said to be beyond or within its noise when both runs have an
    interval; None when there is no history to ask (a notebook run by hand)."""
    if previous is None:
        return None
    moved = []
    for r in rows:
        before = previous.get(r["name"])
        if before is None or is_missing(r.get("value")) or is_missing(before[1]):
            continue
        change = r["value"] - before[1]
        low, high = (before[2], before[3]) if len(before) > 3 else (None, None)
        noise = change_beyond_noise(r["value"], r.get("ci_low"), r.get("ci_high"), before[1], low, high)
        moved.append(f"{r['label']} {format_change(change, r['unit'])} (from {format_value(before[1], r['unit'])}"
                     + {True: ", beyond its noise)", False: ", within its noise)", None: ")"}[noise])
    if not previous or not moved:
        return "**Since the last run:** no earlier run to compare with."
    when = max(previous[r["name"]][0] for r in rows if r["name"] in previous)
    return f"**Since the run of {when}:** " + "; ".join(moved) + "."


def summary_markdown(rows: list[dict], findings: list[Finding], previous: dict | None = None) -> str:
    """The Summary section: KPI status against target, the findings that need an owner (bad first, at most
    two), and what changed since the previous run; at most :data:`MAX_BULLETS` bullets."""
    ranked = sorted(findings, key=lambda f: {"bad": 0, "good": 1, "note": 2}[f.severity])
    owners = [f for f in ranked if f.severity == "bad"][:2]
    others = [f for f in ranked if f.severity != "bad"]
    bullets = kpi_bullets(rows) + [f.bullet() for f in owners]
    change = change_bullet(rows, previous)
    room = MAX_BULLETS - len(bullets) - (change is not None)
    bullets += [f.bullet() for f in others[:max(room, 0)]]
    if change is not None:
        bullets.append(change)
    if not bullets:
        bullets = ["Nothing on this page is judged against a target, and no finding needs an owner."]
    return "## Summary\n\n" + "\n".join(f"- {escape_dollars(b)}" for b in bullets[:MAX_BULLETS])


#: How a segment's peers are named in a sentence ("against 24.8% for the other platforms").
OTHERS = {"platform": "the other platforms", "channel": "the other channels", "country": "the other countries",
          "plan": "the other plans"}


def others_of(column: str) -> str:
    """'the other platforms' for ``platform``; 'the other <column> values' for a column not in :data:`OTHERS`."""
    return OTHERS.get(column, f"the other {column} values")


def gap_findings(breakdown, measure: str, chart: str = "", next_step: str | dict = "", top: int = 2,
                 size: str = "cohort_size", lower_is_worse: bool = True) -> list[Finding]:
    """The segments served clearly worse than the rest, as findings, the largest impact first.

    ``breakdown`` has one row per segment: ``column``, ``segment``, ``rate`` with ``ci_low``/``ci_high``,
    ``rest_rate``, ``diff`` with ``diff_low``/``diff_high`` (segment minus rest) and ``significant``, as
    :func:`pmplaybook.retention.breakdowns` returns. Impact is the people the gap costs: the segment's size
    times the gap, so a large group a few points down outranks a small group far down. ``next_step`` may
    use ``{segment}`` and ``{column}``; a dict gives one per column, its ``None`` entry for the others.
    """
    import pandas as pd

    if breakdown is None or not len(breakdown):
        return []
    worse = breakdown[breakdown["significant"].astype(bool)
                      & ((breakdown["diff"] < 0) if lower_is_worse else (breakdown["diff"] > 0))].copy()
    if not len(worse):
        return []
    worse["impact"] = worse[size] * worse["diff"].abs() if size in worse else worse["diff"].abs()
    out = []
    for r in worse.sort_values("impact", ascending=False).head(top).itertuples():
        column = str(r.column)
        others = others_of(column)
        low, high = sorted([abs(r.diff_low) * 100, abs(r.diff_high) * 100])
        text = (f"{r.segment} ({column}): {measure} {r.rate:.1%} ({r.ci_low:.1%}-{r.ci_high:.1%}) against "
                f"{r.rest_rate:.1%} for {others}, {abs(r.diff) * 100:.1f} points "
                f"{'lower' if r.diff < 0 else 'higher'} (95% interval of the gap {low:.1f}-{high:.1f})")
        if size in breakdown and not pd.isna(getattr(r, size)):
            text += f", across {int(getattr(r, size)):,} users"
        step = next_step.get(column, next_step.get(None, "")) if isinstance(next_step, dict) else next_step
        out.append(Finding(text + ".", next_step=step.format(segment=r.segment, column=column), chart=chart))
    return out
