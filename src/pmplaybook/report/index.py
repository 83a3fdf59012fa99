"""Each team's ``summary.json`` and the ``reports/index.html`` that lists every run and team."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

from ..core.formatting import format_change, format_value, is_missing
from ..narrative.summary import status_words
from .files import atomic_write
from .history import kpi_history

STATUS_ORDER = {"red": 0, "amber": 1, "green": 2, None: 3}

#: What ``summary.json`` says of every KPI (None where a notebook could not say it): what it is, the window
#: it is measured on (``window_end`` = the first day after it, the as_of), the units it rests on, its 95%
#: interval, target and status, and the change since the previous run with whether it beats its noise.
SUMMARY_KPI_KEYS = ("team", "notebook", "name", "label", "unit", "higher_is_better", "value", "window_start",
                    "window_end", "n", "ci_low", "ci_high", "target", "status", "previous", "change",
                    "change_beyond_noise")


def write_summary(team_dir: Path, team: str, as_of: str, results: list, kpis: list[dict],
                  freshness: dict | None = None) -> dict:
    """Write ``summary.json`` for one team and return it (``freshness``: how far the data reach against
    the date asked for, see :attr:`pmplaybook.data.Dataset.freshness`)."""
    existing = {}
    summary_path = team_dir / "summary.json"
    if summary_path.exists():
        existing = json.loads(summary_path.read_text())
    notebooks_state = {n["notebook"]: n for n in existing.get("notebooks", [])}
    for r in results:
        notebooks_state[r.notebook] = {
            "notebook": r.notebook, "ok": r.ok, "error": r.error,
            "html": f"{r.notebook}.html" if r.ok else f"{r.notebook}.failed.html",
        }
    kept = [k for k in existing.get("kpis", []) if k["notebook"] not in {r.notebook for r in results}]
    kpis = [{key: k.get(key) for key in SUMMARY_KPI_KEYS} for k in kpis]
    summary = {"team": team, "as_of": as_of, "freshness": freshness or existing.get("freshness"),
               "notebooks": sorted(notebooks_state.values(), key=lambda n: n["notebook"]),
               "kpis": sorted(kept + kpis, key=lambda k: (k["notebook"], k["name"]))}
    atomic_write(summary_path, json.dumps(summary, indent=2, sort_keys=True, default=str))
    return summary


def _interval(k: dict) -> str:
    """`` (low–high)``: the value's 95% interval when the row has one, else empty."""
    low, high = k.get("ci_low"), k.get("ci_high")
    if is_missing(low) or is_missing(high):
        return ""
    return f" ({format_value(low, k['unit'])}\u2013{format_value(high, k['unit'])})"


#: The trend line's size in pixels and its inner margin (room for the end dot).
SPARK_W, SPARK_H, SPARK_PAD = 80, 18, 2.5


def _sparkline(points: list[tuple[str, float]], unit: str) -> str:
    """An inline SVG trend line of ``(as_of, value)`` points in date order (the last is the current run's; one
    point gives a dot only), its ``<title>`` the dates and values. Geometry from numbers only; the title's
    text escaped."""
    points = [(str(d), float(v)) for d, v in points if not is_missing(v)]
    if not points:
        return ""
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    n = len(points)
    inner_w, inner_h = SPARK_W - 2 * SPARK_PAD, SPARK_H - 2 * SPARK_PAD

    def xy(i: int, v: float) -> tuple[float, float]:
        x = SPARK_PAD + (inner_w * i / (n - 1) if n > 1 else inner_w)
        y = SPARK_PAD + (inner_h / 2 if hi == lo else inner_h * (hi - v) / (hi - lo))
        return round(x, 1), round(y, 1)

    coords = [xy(i, v) for i, v in enumerate(values)]
    title = "; ".join(f"{d}: {format_value(v, unit)}" for d, v in points)
    line = (f'<polyline points="{" ".join(f"{x},{y}" for x, y in coords)}" fill="none" stroke="#555" '
            f'stroke-width="1.3" stroke-linejoin="round" stroke-linecap="round"/>' if n > 1 else "")
    cx, cy = coords[-1]
    return (f'<svg class="spark" width="{SPARK_W}" height="{SPARK_H}" viewBox="0 0 {SPARK_W} {SPARK_H}" '
            f'role="img" data-points="{n}"><title>{html.escape(title)}</title>{line}'
            f'<circle cx="{cx}" cy="{cy}" r="2.2" fill="#222"/></svg>')


def _chip(k: dict, trend: list[tuple[str, float]] | None = None) -> str:
    """One KPI as a coloured chip: label, value (with its 95% interval when recorded), change since the
    previous run, target; with ``trend``, its status in words and an inline trend line across the runs."""
    esc = html.escape
    change = ""
    if k.get("change") is not None:
        noise = {True: ", beyond its noise", False: ", within its noise"}.get(k.get("change_beyond_noise"), "")
        change = f" ({format_change(k['change'], k['unit'])}{noise})"
    target = f" / target {format_value(k['target'], k['unit'])}" if k.get("target") is not None else ""
    if trend is None:
        return (f'<span class="kpi {esc(k["status"] or "none")}">{esc(k["label"])}: '
                f'<b>{esc(format_value(k["value"], k["unit"]))}</b>{esc(change)}{esc(target)}</span>')
    status = status_words(k) or "no target"
    interval = _interval(k)
    interval_html = (f'<span class="ci" title="95% interval">{esc(interval)}</span>' if interval else "")
    return (f'<span class="kpi {esc(k["status"] or "none")}" title="{esc(status)}">{esc(k["label"])}: '
            f'<b>{esc(format_value(k["value"], k["unit"]))}</b>{interval_html}{esc(change)}{esc(target)}'
            f'{_sparkline(trend, k["unit"])}<span class="status">{esc(status)}</span></span>')


def _trend(history: dict, team: str, as_of: str, k: dict) -> list[tuple[str, float]]:
    """The KPI's values of every earlier run of the team (from the KPI history), then this run's."""
    earlier = [(d, v) for d, v in history.get((team, k["notebook"], k["name"]), []) if d < as_of]
    return earlier + [(as_of, k["value"])]


def _history_by_kpi(out: Path) -> dict:
    """The KPI history as ``{(team, notebook, name): [(as_of, value), ...]}`` in date order (empty when it
    cannot be read)."""
    try:
        frame = kpi_history(out)
    except Exception:  # a damaged history file must not cost the index
        return {}
    grouped: dict = {}
    if frame.empty:
        return grouped
    frame = frame.assign(as_of=pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")).sort_values("as_of")
    for row in frame.itertuples(index=False):
        grouped.setdefault((row.team, row.notebook, row.name), []).append((row.as_of, row.value))
    return grouped


#: The data-health status a team's ``00_data_health`` notebook leaves in its report folder.
HEALTH_FILE = "health.json"
HEALTH_CLASS = {"ok": "green", "warn": "amber", "fail": "red"}
HEALTH_WORD = {"ok": "ok", "warn": "warnings", "fail": "failing checks"}


def _health_chip(team_dir: Path, href: str) -> str:
    """The team's data-health chip (ok / warnings / failing checks), linked to its report; empty when the
    data-health notebook left no status."""
    path = team_dir / HEALTH_FILE
    try:
        state = json.loads(path.read_text())
        level = state["status"]
        flagged = [f["check"] for f in state.get("findings", []) if f.get("severity") != "ok"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if level not in HEALTH_CLASS:
        return ""
    tip = f' title="{html.escape(", ".join(flagged))}"' if flagged else ""
    return (f'<a class="kpi health {HEALTH_CLASS[level]}" href="{html.escape(href)}"{tip}>'
            f'Data health: <b>{HEALTH_WORD[level]}</b></a>')


def _analysis_date(summary: dict, run_date: str) -> str:
    """A line saying the team's own analysis date when it differs from its run's date (a team west of UTC
    leaves out its partial last day; a date after the data's end is cut there); empty otherwise."""
    used = (summary.get("freshness") or {}).get("as_of")
    if not used or used == run_date:
        return ""
    return f'<div class="as-of">Analysed up to {html.escape(str(used))} (exclusive), in the team\'s time zone</div>'


def write_index(out: Path) -> Path:
    """``index.html``: every run (newest first) and team, KPI status at a glance, links to reports."""
    esc = html.escape
    runs = sorted((p for p in out.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name)),
                  reverse=True)
    history = _history_by_kpi(out) if runs else {}
    parts = []
    for run_dir in runs:
        parts.append(f"<h2>Data up to {esc(run_dir.name)}</h2>")
        for summary_path in sorted(run_dir.glob("*/summary.json")):
            s = json.loads(summary_path.read_text())
            team = s["team"]
            links = []
            for n in s["notebooks"]:
                href = f"{esc(run_dir.name)}/{esc(summary_path.parent.name)}/{esc(n['html'])}"
                cls = "ok" if n["ok"] else "failed"
                tip = "" if n["ok"] else f' title="{esc(n["error"])}"'
                label = esc(n["notebook"]) + ("" if n["ok"] else " (failed)")
                links.append(f'<a class="{cls}" href="{href}"{tip}>{label}</a>')
            # The team's own KPIs (those its params give a target) up front; the other headline figures
            # the notebooks record fold away, so a stakeholder sees the few numbers that matter first.
            ranked = sorted(s["kpis"], key=lambda k: (STATUS_ORDER.get(k["status"], 3), k["name"]))
            as_of = str(s.get("as_of") or run_dir.name)
            primary = "".join(_chip(k, _trend(history, team, as_of, k)) for k in ranked if k.get("target") is not None)
            others = [_chip(k) for k in ranked if k.get("target") is None]
            more = (f'<details><summary>{len(others)} more headline figure{"s" * (len(others) != 1)}</summary>'
                    f'{"".join(others)}</details>'
                    if others else "")
            health = _health_chip(summary_path.parent, f"{run_dir.name}/{summary_path.parent.name}/00_data_health.html")
            errors = "".join(f'<div class="err">{esc(n["notebook"])}: {esc(n["error"])}</div>'
                             for n in s["notebooks"] if not n["ok"])
            analysed = _analysis_date(s, as_of)
            parts.append(f'<section><h3>{esc(team)}</h3>{analysed}<div class="links">{" ".join(links)}</div>'
                         f'<div class="kpis">{health}{primary or ("" if others else "no KPIs recorded")}{more}</div>'
                         f'{errors}</section>')
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>PM Metrics Playbook reports</title>
<style>
body {{ font: 14px/1.5 system-ui, sans-serif; max-width: 1000px; margin: 24px auto; padding: 0 24px; color: #222; }}
h2 {{ border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }}
section {{ margin: 12px 0 20px; }} h3 {{ margin: 0 0 4px; }}
.links a {{ margin-right: 14px; }} a.failed {{ color: #c62828; font-weight: 600; }}
.kpi {{ display: inline-block; margin: 4px 6px 0 0; padding: 2px 8px; border-radius: 10px; background: #eee; }}
.kpi.green {{ background: #e3f1e4; border-left: 6px solid #2e7d32; }}
.kpi.amber {{ background: #fdf3d8; border-left: 6px solid #f9a825; }}
.kpi.red {{ background: #fbe4e4; border-left: 6px solid #c62828; }}
a.kpi.health {{ color: inherit; text-decoration: none; }}
.err {{ color: #c62828; font-family: monospace; font-size: 12px; }}
.as-of {{ color: #555; font-size: 12px; margin-bottom: 2px; }}
.kpi svg.spark {{ vertical-align: -4px; margin-left: 6px; }}
.kpi .ci {{ color: #555; margin-left: 3px; }}
.kpi .status {{ color: #555; font-size: 12px; margin-left: 6px; }}
details {{ margin-top: 6px; }} summary {{ cursor: pointer; color: #555; }}
</style></head><body>
<h1>PM Metrics Playbook reports</h1>
<p>Each run covers the data up to its date (exclusive); a team whose own analysis stops earlier (its last
local day was partial, or its data end before the run's date) says so under its name. KPI chips: green
when the KPI's 95% interval clears the target, red when the whole interval misses it, amber when the
target lies inside it (a KPI without an interval is judged by its value, amber within its tolerance);
after the value, its interval, then the change since the previous run and whether it is beyond its noise; the line is the KPI across every run so far (hover it
for the dates and values). The team's KPIs (the ones its params set a target for) come first, after the
data-health chip (the checks of 00_data_health); the other headline figures of the reports fold away
below.</p>
{''.join(parts) or '<p>No reports yet: run <code>pmplaybook run</code>.</p>'}
</body></html>
"""
    path = out / "index.html"
    atomic_write(path, page)
    return path
