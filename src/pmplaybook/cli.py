"""The ``pmplaybook`` command: ``validate``, ``run``, ``simulate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _validate(args) -> int:
    from . import config, data

    files = args.files or [str(config.params_path(t)) for t in config.list_teams()]
    for f in files:
        try:
            params = config.load_params(f)
            ds = data.connect(params)
        except (config.ParamsError, data.DataError) as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            return 1
        extra = f"; notes: {' | '.join(ds.notes)}" if ds.notes else ""
        print(f"ok {f}: team {params.team}, data up to {ds.as_of:%Y-%m-%d}{extra}")
    return 0


def _run(args) -> int:
    from . import config, data, report

    try:
        result = report.run(teams=args.team, names=args.notebook, as_of=args.as_of, jobs=args.jobs,
                            out=args.out, progress=not args.quiet)
    except (config.ParamsError, data.DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.summary_line())
    print(f"index: {result.out / 'index.html'}")
    return 1 if result.failed else 0


def _simulate(args) -> int:
    from . import simulate

    truth = simulate.write_sample(args.out, users=args.users, seed=args.seed)
    print(f"wrote {truth.get('row_counts', {}).get('events', '?')} events for {args.users:,} users to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pmplaybook", description="PM Metrics Playbook")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check params files against the model and the data")
    p.add_argument("files", nargs="*", help="params YAML files (default: every file in params/)")
    p.set_defaults(func=_validate)

    p = sub.add_parser("run", help="execute every notebook for every team and write reports")
    p.add_argument("--team", action="append", help="only this team, or a params YAML file elsewhere (repeatable)")
    p.add_argument("--notebook", action="append", help="only this notebook, e.g. 02_cohort_retention (repeatable)")
    p.add_argument("--as-of", dest="as_of", help="first day not covered, YYYY-MM-DD (default: day after the last event)")
    p.add_argument("--jobs", type=int, help="worker processes (default: number of cores)")
    p.add_argument("--out", type=Path, help="reports folder (default: reports/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)

    p = sub.add_parser("simulate", help="write a simulated sample product")
    p.add_argument("--users", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_simulate)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
