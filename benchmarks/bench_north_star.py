"""Benchmark: the North Star functions on the ~1M and ~10M simulated event logs cached by
``bench_funnel.py`` / ``bench_retention.py`` under ``benchmarks/data/`` (user_id, timestamp, event).

    .venv/bin/python benchmarks/bench_north_star.py            # every cached events_*.parquet
    .venv/bin/python benchmarks/bench_north_star.py --files benchmarks/data/events_1m.parquet

Times, in one process per file (so peak memory is its own): a per-user threshold candidate series
("users completing 3+ tasks a week"), the reference series (sign-ups, active and retained users), the
per-user leading-indicator frame brought to pandas plus a 200-resample bootstrap, and the magic-number
table. Prints wall time per step and peak memory (max RSS); nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def run(path: str) -> dict:
    from pmplaybook import data, north_star as ns

    events = data.load_events(path)
    cand = {"name": "busy_users", "event": "task_completed", "per": "user", "threshold": 3}
    out = {"file": Path(path).name, "events": int(events.count().execute())}
    steps = {
        "candidate_series": lambda: ns.candidate_series(events, cand),
        "reference_series": lambda: ns.reference_series(events),
        "leading_indicator": lambda: ns.leading_indicator(ns.candidates._to_pandas_units(ns.unit_outcomes(events, cand))[0]),
        "magic_number": lambda: ns.magic_number(events, "task_completed", within_days=7),
    }
    for name, step in steps.items():
        start = time.perf_counter()
        step()
        out[name] = round(time.perf_counter() - start, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="*", default=None)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run(args.one)))
        return
    files = args.files or sorted(str(p) for p in DATA.glob("events_*.parquet"))
    if not files:
        raise SystemExit("no cached event logs: run benchmarks/bench_funnel.py first (it simulates them)")
    for f in files:
        proc = subprocess.run([sys.executable, __file__, "--one", f], capture_output=True, text=True)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            continue
        print(proc.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
