"""Weekly cohort retention on Spark in local mode versus the embedded DuckDB, on the same Parquet file.

    python benchmarks/bench_spark.py [--sizes 1e6] [--master local[2]]

The same call, ``retention.cohort_retention(events, period="week", periods=12)``, runs on both backends, each in
a fresh subprocess; the two tables are compared cell by cell before any time is printed. Spark's session
start (JVM launch) is reported apart from the computation. There is no target: on one machine Spark pays
for its distributed machinery (planning, task scheduling, shuffles through local disk), so it is slower;
the figure tells a team what to expect before it moves a notebook to a cluster, where Spark's worth is
the data it can hold, not the speed on a laptop-sized log.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_retention import AS_OF, DATA, PERIODS, generate  # noqa: E402  (the cached event logs)


def run(backend: str, path: str, master: str) -> dict:
    from pmplaybook import data, retention

    t0 = time.perf_counter()
    if backend == "spark":
        con = data.open_backend(f"pyspark://?master={master}")
        source = con.read_parquet(path)
    else:
        source = path
    t1 = time.perf_counter()
    events = data.load_events(source)
    t2 = time.perf_counter()
    table = retention.cohort_retention(events, period="week", periods=PERIODS, as_of=AS_OF)
    t3 = time.perf_counter()
    out = DATA / f"result_{backend}.parquet"
    table[["cohort", "period", "cohort_size", "retained"]].to_parquet(out, index=False)
    return {"start_s": t1 - t0, "load_s": t2 - t1, "compute_s": t3 - t2, "result": str(out)}


def measure(backend: str, path: Path, master: str) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--worker", backend, str(path), master],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{backend} failed:\n{proc.stderr[-3000:]}")
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    stats["process_s"] = time.perf_counter() - t0
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1e6", help="approximate event counts, comma-separated")
    parser.add_argument("--master", default="local[2]", help="Spark master (default: local[2])")
    parser.add_argument("--worker", nargs=3, metavar=("BACKEND", "PATH", "MASTER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run(*args.worker)))
        return
    import duckdb
    import pandas as pd

    print(f"Weekly cohort retention, {PERIODS} periods: Spark {args.master} vs DuckDB; {os.cpu_count()} CPUs")
    print("No target: the figures show what moving to Spark costs on one machine\n")
    for size in (float(s) for s in args.sizes.split(",") if s.strip()):
        path = generate(size)
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
        print(f"== {n:,} events ({path.name})")
        results = {b: measure(b, path, args.master) for b in ("duckdb", "spark")}
        a, b = (pd.read_parquet(results[k]["result"]).sort_values(["cohort", "period"]).reset_index(drop=True)
                for k in ("duckdb", "spark"))
        if not a.equals(b):
            raise SystemExit(f"MISMATCH between DuckDB and Spark:\n{a.compare(b).head(10)}")
        print(f"  check: both backends agree on {len(a):,} cells")
        for name, r in results.items():
            start = f"  (+ {r['start_s']:.1f} s session start)" if name == "spark" else ""
            print(f"  {name:<7} compute {r['compute_s']:6.2f} s  load+validate {r['load_s']:6.2f} s{start}")
        ratio = results["spark"]["compute_s"] / results["duckdb"]["compute_s"]
        print(f"  Spark local / DuckDB: {ratio:.1f}x on the computation\n", flush=True)


if __name__ == "__main__":
    main()
