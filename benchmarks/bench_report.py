"""Time a full `pmplaybook run` (every team x every notebook) on the bundled sample, with one worker
process and with the default (one per core). Target on two cores: under 90 s with the default.

    python benchmarks/bench_report.py
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PMPLAYBOOK = Path(sys.executable).with_name("pmplaybook")
TARGET_SECONDS = 90


def timed_run(jobs: int | None) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [str(PMPLAYBOOK), "run", "--quiet", "--out", out] + (["--jobs", str(jobs)] if jobs else [])
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            raise SystemExit(f"pmplaybook run failed (exit {proc.returncode})")
        return elapsed


def main() -> None:
    cores = os.cpu_count() or 1
    serial = timed_run(1)
    parallel = timed_run(None)
    print(f"full report run, all teams x notebooks: --jobs 1 {serial:6.1f} s | default ({cores} jobs) "
          f"{parallel:6.1f} s | speed-up {serial / parallel:.2f}x | target < {TARGET_SECONDS} s: "
          f"{'met' if parallel < TARGET_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    main()
