"""The KPI history: every run's headline KPIs per team, in ``reports/kpi_history.duckdb``, and the change
since the previous run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import paths

HISTORY_FILE = "kpi_history.duckdb"


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
    return con


def record_history(out: Path, as_of: str, team: str, rows: list[dict]) -> list[dict]:
    """Store a team's KPI rows for ``as_of`` (replacing an earlier run of the same as_of) and return
    them with ``previous`` and ``change`` (against the latest earlier as_of)."""
    con = _history(out)
    try:
        notebooks_done = sorted({r["notebook"] for r in rows})
        if notebooks_done:
            con.execute("DELETE FROM kpi_history WHERE as_of = ? AND team = ? AND notebook IN (SELECT unnest(?))",
                        [as_of, team, notebooks_done])
        for r in rows:
            con.execute("INSERT INTO kpi_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [as_of, team, r["notebook"], r["name"], r["label"], r["value"], r["unit"],
                         r["target"], r["higher_is_better"], r["status"]])
        out_rows = []
        for r in rows:
            prev = con.execute(
                "SELECT value FROM kpi_history WHERE team = ? AND notebook = ? AND name = ? AND as_of < ? "
                "ORDER BY as_of DESC LIMIT 1", [team, r["notebook"], r["name"], as_of]).fetchone()
            previous = prev[0] if prev else None
            change = (r["value"] - previous) if (previous is not None and r["value"] is not None) else None
            out_rows.append({**r, "previous": previous, "change": change})
        return out_rows
    finally:
        con.close()


COLUMNS = ["as_of", "team", "notebook", "name", "label", "value", "unit", "target", "higher_is_better", "status"]


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
