"""Benchmark: a four-step, 14-day funnel on ~1M and ~10M simulated events, with
``pmplaybook.funnel.funnel`` (ibis) beside a hand-written DuckDB SQL version (ASOF joins) in the same run,
for each order (ordered, strict, unordered), on the even log and on a skewed copy of it.

The skewed log is the same log plus one user (a bot) given about 1M extra events: a reservoir sample of
the log's own rows (at the log's times, over the whole year) with the bot's user id and, as event, one of
the funnel's four steps (the worst case: every extra event is a step, a quarter of them start attempts). Target: the skewed funnel within 2x of the even one, per order; the ordered funnel within
1.5x of the hand SQL (which is run on the even log and, for the count check, on the skewed one).

(Beware when writing such SQL by hand: DuckDB's ASOF join matches a NULL left key in the inequality,
so a step that was not reached must be guarded explicitly, as below; the first draft of this query
over-counted step 3 for exactly that reason, which the count check caught.)

    .venv/bin/python benchmarks/bench_funnel.py            # ~1M and ~10M events
    .venv/bin/python benchmarks/bench_funnel.py --sizes 1e6 --repeat 1
    .venv/bin/python benchmarks/bench_funnel.py --sizes 1e6 --orders unordered --no-skew

Simulated logs are cached as Parquet under ``benchmarks/data/`` (git-ignored). Each engine runs in its
own process so that its peak memory (max RSS) is its own; engines alternate ``--repeat`` times (default 3)
and the best time is reported (the machine is shared). Prints wall time, peak memory and the ratio
ibis / hand SQL and skewed / even (printed, not asserted), and checks that the ordered funnel gives
the hand SQL's counts.
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
STEPS = ["signup", "project_created", "task_completed", "invite_sent"]
WINDOW_DAYS = 14
AS_OF = "2026-01-01"
ORDERS = ("ordered", "strict", "unordered")
BOT_EVENTS = 1_000_000
TARGET_SQL, TARGET_SKEW = 1.5, 2.0


def events_file(target: int, seed: int = 7) -> Path:
    """A cached simulated event log of about ``target`` events (users scaled from a pilot run)."""
    from pmplaybook import simulate

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"events_{target:.0e}.parquet".replace("+", "")
    if path.exists():
        return path
    import duckdb

    pilot_dir = DATA / "pilot"
    if not (pilot_dir / "events.parquet").exists():
        simulate.write_sample(pilot_dir, users=2000, seed=seed)
    per_user = duckdb.sql(f"SELECT count(*) FROM '{pilot_dir / 'events.parquet'}'").fetchone()[0] / 2000
    users = max(1000, int(target / per_user))
    out_dir = DATA / f"sim_{target:.0e}".replace("+", "")
    print(f"simulating {users:,} users (~{per_user:.0f} events each) into {out_dir} ...", flush=True)
    t0 = time.perf_counter()
    simulate.write_sample(out_dir, users=users, seed=seed)
    (out_dir / "events.parquet").rename(path)
    print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def skewed_file(path: Path, extra: int = BOT_EVENTS, seed: int = 7) -> Path:
    """``path`` plus one bot user with ``extra`` events (a repeatable sample of the log's rows, user id
    replaced, event replaced by a funnel step chosen by a hash of the row), cached beside it."""
    out = path.with_name(path.stem + "_skew.parquet")
    if out.exists():
        return out
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    bot = con.execute(f"SELECT min(user_id) FROM read_parquet('{path}') WHERE event = '{STEPS[0]}'").fetchone()[0]
    n = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    # Sample with replacement when the log is smaller than the bot's share (the 1M log).
    copies = -(-extra // n)
    steps = "[" + ", ".join(f"'{x}'" for x in STEPS) + "]"
    con.execute(f"""
        COPY (SELECT * FROM read_parquet('{path}')
              UNION ALL
              SELECT * REPLACE ('{bot}' AS user_id, {steps}[(1 + hash(user_id, "timestamp", event) % 4)::BIGINT] AS event) FROM (
                  SELECT e.* FROM read_parquet('{path}') e, range({copies}) r
                  USING SAMPLE reservoir({extra} ROWS) REPEATABLE ({seed})))
        TO '{out}' (FORMAT parquet)""")
    print(f"  skewed log: user {bot} given {extra:,} extra events -> {out.name}", flush=True)
    return out


HAND_SQL = """
WITH ev AS (SELECT user_id, "timestamp"::TIMESTAMP AS ts, event FROM read_parquet('{path}')
            WHERE "timestamp"::TIMESTAMP < TIMESTAMP '{as_of}'),
s1 AS (SELECT user_id, ts FROM ev WHERE event = '{s1}'),
s2 AS (SELECT user_id, ts FROM ev WHERE event = '{s2}'),
s3 AS (SELECT user_id, ts FROM ev WHERE event = '{s3}'),
s4 AS (SELECT user_id, ts FROM ev WHERE event = '{s4}'),
a2 AS (SELECT s1.user_id, s1.ts AS t1, s2.ts AS n2 FROM s1 ASOF LEFT JOIN s2
       ON s1.user_id = s2.user_id AND s2.ts >= s1.ts),
b2 AS (SELECT user_id, t1, CASE WHEN n2 <= t1 + INTERVAL {days} DAY THEN n2 END AS t2 FROM a2),
a3 AS (SELECT b2.*, s3.ts AS n3 FROM b2 ASOF LEFT JOIN s3 ON b2.user_id = s3.user_id AND s3.ts >= b2.t2),
b3 AS (SELECT user_id, t1, t2, CASE WHEN t2 IS NOT NULL AND n3 <= t1 + INTERVAL {days} DAY THEN n3 END AS t3
       FROM a3),
a4 AS (SELECT b3.*, s4.ts AS n4 FROM b3 ASOF LEFT JOIN s4 ON b3.user_id = s4.user_id AND s4.ts >= b3.t3),
att AS (SELECT user_id, t1,
               1 + (t2 IS NOT NULL)::INT + (t3 IS NOT NULL)::INT
                 + coalesce(t3 IS NOT NULL AND n4 <= t1 + INTERVAL {days} DAY, false)::INT AS reach
        FROM a4),
per_user AS (SELECT user_id, max(reach) AS reach,
                    bool_or(reach < 4 AND t1 + INTERVAL {days} DAY > TIMESTAMP '{as_of}') AS open_attempt
             FROM att GROUP BY user_id),
decided AS (SELECT reach, reach < 4 AND open_attempt AS in_progress FROM per_user)
SELECT sum((reach >= 1 AND NOT in_progress)::INT) AS u1, sum((reach >= 2 AND NOT in_progress)::INT) AS u2,
       sum((reach >= 3 AND NOT in_progress)::INT) AS u3, sum((reach >= 4 AND NOT in_progress)::INT) AS u4,
       sum(in_progress::INT) AS in_progress
FROM decided
"""


def run_engine(engine: str, path: str, order: str = "ordered") -> dict:
    """Run one engine in this process and return timing, peak memory and the step counts. Imports and
    the connection are set up before the clock starts, for both engines alike."""
    if engine == "hand_sql":
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        sql = HAND_SQL.format(path=path, as_of=AS_OF, days=WINDOW_DAYS, s1=STEPS[0], s2=STEPS[1], s3=STEPS[2],
                              s4=STEPS[3])
        t0 = time.perf_counter()
        row = con.execute(sql).fetchone()
        counts, in_progress = [int(x or 0) for x in row[:4]], int(row[4] or 0)
    else:
        from pmplaybook import data, funnel

        con = data.backend()
        t0 = time.perf_counter()
        # Read the Parquet file directly (as the hand SQL does): load_events' validation scans are
        # a one-off cost of connecting, not of the funnel.
        events = con.read_parquet(path)
        events = events.mutate(timestamp=events.timestamp.cast("timestamp"))  # UTC instant -> naive UTC
        table = funnel.funnel(events, STEPS, window=f"{WINDOW_DAYS}d", order=order, as_of=AS_OF)
        counts, in_progress = table["users"].tolist(), int(table["in_progress"].iloc[0])
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": engine, "seconds": seconds, "peak_mb": peak_mb, "counts": counts, "in_progress": in_progress}


def _run(engine: str, path: Path, order: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--engine", engine, "--path", str(path), "--order", order],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best(rs: list[dict]) -> dict:
    return min(rs, key=lambda x: x["seconds"])  # best of N: the least disturbed run


def _line(label: str, rs: list[dict]) -> str:
    r = _best(rs)
    every = ", ".join(f"{x['seconds']:.2f}" for x in rs)
    return (f"  {label:22s} {r['seconds']:7.2f} s (best of {len(rs)}; all: {every})   peak "
            f"{max(x['peak_mb'] for x in rs):6.0f} MB   users per step {r['counts']}  in progress {r['in_progress']:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 1e7], help="target event counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine (the best is reported)")
    parser.add_argument("--orders", nargs="*", default=list(ORDERS), choices=ORDERS, help="funnel orders")
    parser.add_argument("--no-skew", action="store_true", help="skip the skewed log")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--order", default="ordered", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:  # child process
        print(json.dumps(run_engine(args.engine, args.path, args.order)))
        return
    import duckdb

    for size in args.sizes:
        path = events_file(int(size))
        logs = {"even": path} if args.no_skew else {"even": path, "skewed": skewed_file(path)}
        n = duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchone()[0]
        print(f"\n{n:,} events ({path.name}); funnel {' -> '.join(STEPS)}, {WINDOW_DAYS}-day window"
              + ("" if args.no_skew else f"; skewed: the same log plus one user with {BOT_EVENTS:,} extra events"))
        # runs[(engine, order, log)]: hand SQL only computes the ordered funnel.
        keys = [(e, o, lg) for lg in logs for o in args.orders for e in (("hand_sql", "ibis") if o == "ordered"
                                                                          else ("ibis",))]
        runs = {k: [] for k in keys}
        for _ in range(args.repeat):  # alternate the runs so that all see the same machine load
            for engine, order, lg in keys:
                runs[(engine, order, lg)].append(_run(engine, logs[lg], order))
        for key in keys:
            engine, order, lg = key
            print(_line(f"{engine} {order} {lg}" if engine == "ibis" else f"hand_sql ordered {lg}", runs[key]))
        for lg in logs:
            if ("hand_sql", "ordered", lg) not in runs:
                continue
            sql, ib = runs[("hand_sql", "ordered", lg)], runs[("ibis", "ordered", lg)]
            ratio = _best(ib)["seconds"] / _best(sql)["seconds"]
            same = all((x["counts"], x["in_progress"]) == (sql[0]["counts"], sql[0]["in_progress"]) for x in sql + ib)
            print(f"  ordered, {lg} log: ibis / hand SQL {ratio:.2f}x (target <= {TARGET_SQL}x: "
                  f"{'met' if ratio <= TARGET_SQL else 'NOT met'}); same counts: {'yes' if same else 'NO'}")
        if "skewed" in logs:
            for order in args.orders:
                even, skew = _best(runs[("ibis", order, "even")]), _best(runs[("ibis", order, "skewed")])
                ratio = skew["seconds"] / even["seconds"]
                print(f"  {order:9s} skewed / even: {ratio:.2f}x (target <= {TARGET_SKEW}x: "
                      f"{'met' if ratio <= TARGET_SKEW else 'NOT met'})")


if __name__ == "__main__":
    main()
