"""The KPI history: every run's headline KPIs per team, in ``reports/kpi_history.duckdb``, and the change
since the previous run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import paths
from ..core.stats import change_beyond_noise

HISTORY_FILE = "kpi_history.duckdb"

#: What each value rests on, stored beside it so the next run can tell a move from noise.
MEASURED_COLUMNS = {"window_start": "DATE", "window_end": "DATE", "n": "BIGINT", "ci_low": "DOUBLE",
                    "ci_high": "DOUBLE"}


def check_history_writable(out: Path) -> None:
    """Fail now, with the fix, when the KPI history cannot be opened for writing (another program holds
    it, or the file is read-only), rather than after every notebook has run."""
    try:
        _history(out).close()
    except Exception as exc:  # duckdb.IOException and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OSError(f"the KPI history {out / HISTORY_FILE} cannot be written ({first}). Fix: close the program "
                      "that holds it open (a notebook or a DuckDB shell), or check the file's permissions") from None


def _history(out: Path):
    import duckdb

    con = duckdb.connect(str(out / HISTORY_FILE))
    con.execute("""CREATE TABLE IF NOT EXISTS kpi_history (
        as_of DATE, team VARCHAR, notebook VARCHAR, name VARCHAR, label VARCHAR, value DOUBLE,
        unit VARCHAR, target DOUBLE, higher_is_better BOOLEAN, status VARCHAR)""")
    for column, kind in MEASURED_COLUMNS.items():  # added since the first histories were written
        con.execute(f"ALTER TABLE kpi_history ADD COLUMN IF NOT EXISTS {column} {kind}")
    return con


def record_history(out: Path, as_of: str, team: str, rows: list[dict]) -> list[dict]:
    """Store a team's KPI rows for ``as_of`` (replacing an earlier run of the same as_of) and return
    them with ``previous``, ``change`` (against the latest earlier as_of) and ``change_beyond_noise``
    (whether the change is larger than the two runs' intervals allow by chance; None without them)."""
    con = _history(out)
    try:
        notebooks_done = sorted({r["notebook"] for r in rows})
        if notebooks_done:
            con.execute("DELETE FROM kpi_history WHERE as_of = ? AND team = ? AND notebook IN (SELECT unnest(?))",
                        [as_of, team, notebooks_done])
        for r in rows:
            con.execute(f"INSERT INTO kpi_history ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                        [as_of, team, *(r.get(c) for c in COLUMNS[2:])])
        out_rows = []
        for r in rows:
            prev = con.execute(
                "SELECT value, ci_low, ci_high FROM kpi_history WHERE team = ? AND notebook = ? AND name = ? "
                "AND as_of < ? ORDER BY as_of DESC LIMIT 1", [team, r["notebook"], r["name"], as_of]).fetchone()
            previous, prev_low, prev_high = prev if prev else (None, None, None)
            change = (r["value"] - previous) if (previous is not None and r["value"] is not None) else None
            noise = change_beyond_noise(r["value"], r.get("ci_low"), r.get("ci_high"), previous, prev_low, prev_high)
            out_rows.append({**r, "previous": previous, "change": change, "change_beyond_noise": noise})
        return out_rows
    finally:
        con.close()


COLUMNS = ["as_of", "team", "notebook", "name", "label", "value", "unit", "target", "higher_is_better", "status",
           *MEASURED_COLUMNS]


def kpi_history(out: Path | None = None, team: str | None = None) -> pd.DataFrame:
    """Every recorded KPI value across runs (one row per as_of x team x notebook x KPI); empty before the
    first run, or while a run is writing the history (reading never creates or locks the file)."""
    import duckdb

    path = Path(out or paths.reports_dir()) / HISTORY_FILE
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:  # a runner holds the write lock: the history is being updated
        return pd.DataFrame(columns=COLUMNS)
    try:
        query = "SELECT * FROM kpi_history" + (" WHERE team = ?" if team else "") + " ORDER BY as_of, team, name"
        return con.execute(query, [team] if team else []).df()
    finally:
        con.close()
