"""Time a full `pmplaybook run` (every team x every notebook) on the bundled sample, with one worker
process and with the default (one per core), and say where the time goes. Target on two cores: under 60 s
with the default.

    python benchmarks/bench_report.py            # both runs
    python benchmarks/bench_report.py --jobs 2   # one run

Each run is a fresh Python process (its start and imports count) calling :func:`pmplaybook.report.run`.
Where the time goes is summed over the notebooks (worker seconds, so with two workers they add up to
about twice the wall time):

* fixed costs: starting kernels, resetting a warm kernel between two notebooks, and the notebooks' setup
  cell (the one calling ``data.connect``: imports, loading and validating the data; cheap once a kernel
  is warm);
* compute: every other cell;
* writing: the HTML page and the files; papermill: what is left (reading, injecting, saving notebooks).

The parent's own work (checking every team's params and data before the notebooks start) is shown apart.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

TARGET_SECONDS = 60

CHILD = """
import json, sys, time
from pmplaybook import report
from pmplaybook.report import runner

planned = {}
plan = runner.plan
def timed_plan(*args, **kwargs):
    start = time.perf_counter()
    try:
        return plan(*args, **kwargs)
    finally:
        planned["seconds"] = time.perf_counter() - start
runner.plan = timed_plan
jobs = int(sys.argv[2]) if sys.argv[2] != "default" else None
result = report.run(out=sys.argv[1], jobs=jobs, progress=False)
json.dump({"plan": planned.get("seconds", 0.0), "failed": result.summary_line() if result.failed else "",
           "pairs": [{"team": r.team, "notebook": r.notebook, "seconds": r.seconds, **getattr(r, "phases", {})}
                     for r in result.results]}, sys.stdout)
"""


def timed_run(jobs: int | None) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, out, str(jobs or "default")], capture_output=True,
                              text=True)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, file=sys.stderr)
        raise SystemExit(f"pmplaybook run failed (exit {proc.returncode})")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if info["failed"]:
        raise SystemExit(info["failed"])
    return elapsed, info


def breakdown(label: str, elapsed: float, info: dict) -> None:
    pairs = info["pairs"]
    total = sum(p["seconds"] for p in pairs)
    part = {k: sum(p.get(k, 0.0) for p in pairs) for k in ("kernel_start", "kernel_reset", "setup", "compute", "write")}
    fixed = part["kernel_start"] + part["kernel_reset"] + part["setup"]
    other = max(0.0, total - sum(part.values()))
    share = lambda x: f"{x:6.1f} s {100 * x / total:3.0f}%"  # noqa: E731
    print(f"\n{label}: {elapsed:.1f} s wall, {len(pairs)} notebooks, {total:.1f} worker seconds "
          f"(+ {info['plan']:.1f} s checking params and data before they start); {info['cpu']:.1f} CPU seconds "
          "in all processes (steadier than wall time on a shared machine)")
    if not any("compute" in p for p in pairs):  # a runner that records no phases (an older checkout)
        return
    print(f"  fixed costs     {share(fixed)}  (kernel start {part['kernel_start']:.1f} s, kernel reset "
          f"{part['kernel_reset']:.1f} s, setup cell: imports + data load/validate {part['setup']:.1f} s)")
    print(f"  notebook compute{share(part['compute'])}")
    print(f"  writing HTML    {share(part['write'])}")
    print(f"  papermill       {share(other)}  (reading, injecting, saving, clients)")
    slow = sorted(pairs, key=lambda p: -p.get("compute", 0.0))[:5]
    print("  slowest compute: " + ", ".join(f"{p['team']}/{p['notebook']} {p.get('compute', 0.0):.1f} s" for p in slow))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, help="one run with this many workers (default: --jobs 1, then the default)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    if args.jobs:
        elapsed, info = timed_run(args.jobs)
        breakdown(f"--jobs {args.jobs}", elapsed, info)
        return
    serial, serial_info = timed_run(1)
    parallel, parallel_info = timed_run(None)
    breakdown("--jobs 1", serial, serial_info)
    breakdown(f"default ({cores} jobs)", parallel, parallel_info)
    print(f"\nfull report run, all teams x notebooks: --jobs 1 {serial:6.1f} s | default ({cores} jobs) "
          f"{parallel:6.1f} s | speed-up {serial / parallel:.2f}x | target < {TARGET_SECONDS} s: "
          f"{'met' if parallel < TARGET_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    main()
