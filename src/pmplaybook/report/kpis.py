"""Headline KPIs recorded by the notebooks themselves.

A notebook calls ``kpis.record(...)`` for each headline number it computes. Interactively (``kpi_file``
empty) the call only returns the row, so the notebook can show it; under the report runner each row is
appended as a JSON line to ``kpi_file``, from which the runner builds ``summary.json`` and the KPI
history. Every name must be a KPI of the vocabulary (``pmplaybook.config.vocabulary.KPIS``), which gives its
default label, unit and direction; the target and red/amber/green status come from the team's params
(``kpis:`` section).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ..config import TeamParams, check_kpi_name
from ..config.vocabulary import KPIS
from ..core.formatting import format_value


#: What a recorded KPI may say it rests on; every row carries each key (None when not given).
MEASURED = ("window_start", "window_end", "n", "ci_low", "ci_high")


class KPIRecorder:
    """Collects a notebook's headline KPIs.

    >>> from pmplaybook.config import load_params
    >>> rec = KPIRecorder("", "02_cohort_retention", load_params("growth"))
    >>> row = rec.record("week4_retention", 0.2512, unit="share", label="Week-4 retention")
    >>> row["value"], row["status"] in ("green", "amber", "red", None)
    (0.2512, True)
    """

    def __init__(self, kpi_file: str | Path | None, notebook: str, params: TeamParams | None = None):
        self.path = Path(kpi_file) if kpi_file else None
        self.notebook = notebook
        self.params = params
        self.rows: list[dict] = []

    def record(self, name: str, value, unit: str = "", label: str = "", higher_is_better: bool | None = None,
               **measured) -> dict:
        """Record one KPI; ``value`` must be a finite number or None (not computable on this data).

        ``measured`` may add what the value rests on: ``window_start`` and ``window_end`` (dates), ``n``
        (the units counted) and ``ci_low`` / ``ci_high`` (its 95% interval); they are kept in the row, and
        the status follows the interval when there is one (:meth:`pmplaybook.config.KPI.status`)."""
        unknown = set(measured) - set(MEASURED)
        if unknown:
            raise TypeError(f"record(): unknown keyword(s) {', '.join(sorted(unknown))}; use window_start, "
                            "window_end, n, ci_low, ci_high")
        name = check_kpi_name(name)
        spec = KPIS[name]
        if value is not None:
            value = float(value)
            if not math.isfinite(value):
                value = None
        kpi = self.params.kpis.get(name) if self.params else None
        if higher_is_better is None:
            higher_is_better = kpi.higher_is_better if kpi else spec["higher_is_better"]
        row = {
            "team": self.params.team if self.params else "",
            "notebook": self.notebook,
            "name": name,
            "label": label or spec["label"],
            "value": value,
            "unit": unit or (kpi.unit if kpi else "") or spec["unit"],
            "target": kpi.target if kpi else None,
            "higher_is_better": higher_is_better,
        }
        for key in MEASURED:
            v = measured.get(key)
            if key in ("window_start", "window_end"):
                row[key] = None if v is None else str(pd.Timestamp(v).date())
            else:
                row[key] = None if v is None or not math.isfinite(float(v)) else (int(v) if key == "n" else float(v))
        row["status"] = kpi.status(value, row["ci_low"], row["ci_high"]) if kpi else None
        self.rows = [r for r in self.rows if r["name"] != name] + [row]
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as fh:
                fh.write(json.dumps(row, sort_keys=True) + "\n")
        return row

    def previous(self) -> dict | None:
        """Each KPI's value in the latest earlier run of this team and notebook, ``{name: (as_of, value,
        ci_low, ci_high)}``,
        read from the KPI history of the reports folder this run writes into (``{}`` before the first
        run); None for a notebook run by hand, which has no history to compare with."""
        history = _history_of(self.path)
        if history is None or self.params is None:
            return None
        import duckdb

        try:
            con = duckdb.connect(str(history), read_only=True)
        except duckdb.Error:  # being written: compare with nothing rather than wait
            return {}
        try:
            as_of = self.path.parents[2].name  # <out>/<as_of>/<team>/.<notebook>.work/kpis.jsonl
            rows = con.execute(
                "SELECT name, arg_max(as_of, as_of), arg_max(value, as_of), arg_max(ci_low, as_of), "
                "arg_max(ci_high, as_of) FROM kpi_history WHERE team = ? AND notebook = ? "
                "AND as_of < TRY_CAST(? AS DATE) GROUP BY name",
                [self.params.team, self.notebook, as_of]).fetchall()
        except duckdb.Error:
            return {}
        finally:
            con.close()
        return {name: (f"{day:%Y-%m-%d}", value, low, high) for name, day, value, low, high in rows}

    def frame(self) -> pd.DataFrame:
        """The KPIs recorded so far, one row each, as recorded (numbers unformatted)."""
        cols = ["label", "value", "unit", "target", "status", "window_start", "window_end", "n", "ci_low", "ci_high"]
        return pd.DataFrame(self.rows, columns=["name", *cols]).set_index("name")

    def table(self):
        """The KPIs recorded so far for people: each value in its unit, its interval and window when
        recorded, the target and status; blank where there is none (a pandas Styler without the index)."""
        def fmt(value, unit):
            return "" if value is None or value != value else format_value(value, unit)

        rows = []
        for r in self.rows:
            low, high = r.get("ci_low"), r.get("ci_high")
            window = (f"{r['window_start']} to {pd.Timestamp(r['window_end']) - pd.Timedelta(days=1):%Y-%m-%d}"
                      if r.get("window_start") and r.get("window_end") else "")
            rows.append({"KPI": r["label"],
                         "value": fmt(r["value"], r["unit"]) if r["value"] is not None else "not measurable here",
                         "95% interval": f"{fmt(low, r['unit'])} to {fmt(high, r['unit'])}" if low is not None
                         and high is not None else "",
                         "n": f"{r['n']:,}" if r.get("n") is not None else "",
                         "window": window, "target": fmt(r["target"], r["unit"]), "status": r["status"] or ""})
        columns = ["KPI", "value", "95% interval", "n", "window", "target", "status"]
        return pd.DataFrame(rows, columns=columns).style.hide(axis="index")


def _history_of(kpi_file: Path | None) -> Path | None:
    """The KPI history next to a runner's KPI file (``<out>/kpi_history.duckdb`` for
    ``<out>/<as_of>/<team>/.<notebook>.work/kpis.jsonl``), or None."""
    from .history import HISTORY_FILE

    if kpi_file is None or len(kpi_file.parents) < 4:
        return None
    history = kpi_file.parents[3] / HISTORY_FILE
    return history if history.exists() else None


def read_kpi_file(path: str | Path) -> list[dict]:
    """Rows written by :class:`KPIRecorder` (the last row per notebook and name wins)."""
    path = Path(path)
    if not path.exists():
        return []
    rows: dict[tuple, dict] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows[(row["notebook"], row["name"])] = row
    return list(rows.values())
