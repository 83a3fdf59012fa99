"""The ``pmplaybook`` command: ``init``, ``validate``, ``check``, ``run``, ``simulate``.

``validate`` and ``run`` work in a team project (a folder with ``params/`` and ``notebooks/``): the one
named by ``--project DIR`` or ``$PMPLAYBOOK_PROJECT``, else the nearest one at or above the current folder
(see :mod:`pmplaybook.config.paths`). ``init DIR`` makes one. Every error is printed to stderr and makes
the command exit non-zero.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from .core.errors import PlaybookError


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _check_project(args) -> bool:
    """Export the project ``--project`` names (to worker processes and kernels too), and refuse a named
    folder that is not a project. Prints the error and returns False if it is not."""
    from .config import paths

    if args.project is not None:
        folder, named_by = args.project.expanduser().resolve(), "--project"
    elif os.environ.get(paths.PROJECT_ENV):
        folder, named_by = Path(os.environ[paths.PROJECT_ENV]).expanduser().resolve(), f"${paths.PROJECT_ENV}"
    else:
        return True
    if not paths.is_project(folder):
        missing = " and ".join(f"{name}/" for name in ("params", "notebooks") if not (folder / name).is_dir())
        _error(f"{named_by} names {folder}, which is not a pmplaybook project: it has no {missing}. "
               f"Fix: run `pmplaybook init {folder}` to make one there, or name a folder that has "
               f"params/ and notebooks/.")
        return False
    # An absolute path, because kernels run in the project's notebooks/ folder, not here.
    os.environ[paths.PROJECT_ENV] = str(folder)
    return True


_README = """\
# {name}: a PM Metrics Playbook project

This folder is a team project for `pmplaybook`:

- `params/` has one file per team; each says where the team's events are and which events count as
  sign-up, activation, the core action and so on. The example teams: {teams}.
- `notebooks/` has the walk-through notebooks that the reports are made from.
- `reports/` is written by `pmplaybook run`; it appears after the first run.

The params files read the sample product that ships with pmplaybook (`data: {{source: sample}}`), so
the commands below work at once.

## Next steps

1. Copy one of the params files to `params/<your team>.yaml`, set `team:` to the same name, and delete
   the example teams you do not need.
2. Point `data:` at your own events, for example:

   ```yaml
   data:
     source: files
     events: exports/events-*.parquet   # CSV or Parquet; the path is relative to the params file
   ```

   Your events need the columns `user_id`, `timestamp` and `event`; map other names with
   `columns: {{user_id: distinct_id}}`. Then set `events:` to the names of your own events.
3. Check the params against the data: `pmplaybook validate`. It names the file, the key and the fix
   of every mistake.
4. Write the reports: `pmplaybook run` (or `pmplaybook run --team <your team>`).
5. Open `reports/index.html` in a browser; it links every team's reports.

Run the commands in this folder, or anywhere with `pmplaybook --project {path} ...`.
"""


def _init(args) -> int:
    from .config import paths

    target = args.dir.expanduser().resolve()
    bundle = paths.bundled_dir()
    if target.exists() and not target.is_dir():
        _error(f"{target} is a file. Fix: give the name of a new or empty folder.")
        return 1
    if target == bundle.resolve():
        _error(f"{target} holds the playbook's own examples. Fix: give the name of a new or empty folder.")
        return 1
    if target.is_dir() and any(target.iterdir()) and not args.force:
        _error(f"{target} is not empty. Fix: give the name of a new or empty folder, or add --force to "
               f"overwrite the playbook's files in it (params/*.yaml, notebooks/*.ipynb and README.md of the "
               f"same names; other files are left alone).")
        return 1
    params = sorted((bundle / "params").glob("*.yaml"))
    notebooks = sorted(p for p in (bundle / "notebooks").glob("*.ipynb") if not p.name.endswith(".executed.ipynb"))
    if not params or not notebooks:
        _error(f"the playbook's examples are missing from {bundle} (no params/*.yaml or notebooks/*.ipynb). "
               f"Fix: reinstall pmplaybook.")
        return 1
    try:
        for folder, files in (("params", params), ("notebooks", notebooks)):
            (target / folder).mkdir(parents=True, exist_ok=True)
            for source in files:
                shutil.copyfile(source, target / folder / source.name)
        teams = ", ".join(p.stem for p in params)
        (target / "README.md").write_text(_README.format(name=target.name, teams=teams, path=target))
    except OSError as exc:
        _error(f"could not write the project into {target}: {exc}")
        return 1
    print(f"Made a team project in {target}: {len(params)} params files ({teams}) and {len(notebooks)} notebooks, "
          f"all on the bundled sample.")
    print(f"Next: cd {target}, then `pmplaybook validate` and `pmplaybook run`; README.md there says more.")
    return 0


def _params_files(args) -> list[str]:
    """The params files a command was given, or every file of the project; [] (with the fix) when none."""
    from . import config

    files = args.files or [str(config.params_path(t)) for t in config.list_teams()]
    if not files:
        _error(f"no params files in {config.paths.params_dir()}. Fix: add params/<team>.yaml, or name the "
               f"files to check.")
    return files


def _validate(args) -> int:
    from . import config, data

    files = _params_files(args)
    if not files:
        return 1
    if not args.files:
        try:  # every file of the project: also refuses two files of one team
            config.load_teams()
        except PlaybookError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            return 1
    bad = 0
    for f in files:  # every file is checked, so one run lists every problem
        try:
            params = config.load_params(f)
            ds = data.connect(params)
        except (PlaybookError, ValueError) as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            bad += 1
            continue
        extra = f"; notes: {' | '.join(ds.notes)}" if ds.notes else ""
        print(f"ok {f}: team {params.team}, data up to {ds.as_of:%Y-%m-%d}{extra}")
        for warning in params.warnings():  # advice, not errors: the exit code stays 0
            print(f"warning: {f}: {warning}")
    if bad and len(files) > 1:
        print(f"{bad} of {len(files)} params files are invalid", file=sys.stderr)
    return 1 if bad else 0


def _check(args) -> int:
    """Data health: one line per check per team; exit 1 when a check fails (or a file cannot be read)."""
    from . import config, data
    from .data import health
    from .narrative import health as story

    files = _params_files(args)
    if not files:
        return 1
    failed = False
    for f in files:  # every file is checked, so one run lists every problem
        try:
            params = config.load_params(f)
            # a named event that never occurs is a finding here, not an error
            ds = data.connect(params, check_events=False, as_of=args.as_of)
            findings = health.health_report(ds)
        except (PlaybookError, ValueError) as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            failed = True
            continue
        for line in story.print_lines(params.team, findings):
            print(line)
        failed = failed or health.status(findings) == "fail"
    return 1 if failed else 0


def _run(args) -> int:
    from . import report
    from .config import paths

    project = paths.project_dir()
    if args.out is None and paths.inside_package(project):
        where = (f"${paths.PROJECT_ENV} names {project}" if os.environ.get(paths.PROJECT_ENV) else
                 f"there is no pmplaybook project in {Path.cwd()} or the folders above it")
        _error(f"{where}, and reports cannot be written into the installed package ({project}). "
               f"Fix: run `pmplaybook init DIR` first, then `pmplaybook run` in DIR "
               f"(or `pmplaybook --project DIR run` from anywhere).")
        return 2
    try:
        result = report.run(teams=args.team, names=args.notebook, as_of=args.as_of, jobs=args.jobs,
                            out=args.out, progress=not args.quiet, require_fresh=args.require_fresh)
    except (PlaybookError, ValueError, OSError) as exc:
        _error(str(exc))
        return 2
    print(result.summary_line())
    print(f"index: {result.out / 'index.html'}")
    return 1 if result.failed else 0


def _simulate(args) -> int:
    from . import simulate

    try:
        truth = simulate.write_sample(args.out, users=args.users, seed=args.seed)
    except ValueError as exc:
        _error(f"{exc}. Fix: pass --users 1000 or more (below about 5,000 users the planted findings get noisy)")
        return 2
    except OSError as exc:
        _error(f"could not write the sample to {args.out}: {exc}")
        return 1
    print(f"wrote {truth.get('row_counts', {}).get('events', '?')} events for {args.users:,} users to {args.out}")
    return 0


def _iso_day(text: str) -> str:
    """``--as-of``: an ISO date only ("01/02/2026" is ambiguous), refused by argparse with the format."""
    from .core.calendar import read_as_of

    try:
        read_as_of(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pmplaybook", description="PM Metrics Playbook")
    parser.add_argument("--project", type=Path, metavar="DIR",
                        help="the team project folder (default: $PMPLAYBOOK_PROJECT, else the nearest folder at "
                             "or above the current one with params/ and notebooks/)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="make a team project folder with example params and the notebooks")
    p.add_argument("dir", type=Path, metavar="DIR", help="the folder to make (new or empty)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder, overwriting the "
                                                        "playbook's files of the same names")
    p.set_defaults(func=_init, uses_project=False)

    p = sub.add_parser("validate", help="check params files against the model and the data")
    p.add_argument("files", nargs="*", help="params YAML files (default: every file in params/)")
    p.set_defaults(func=_validate, uses_project=True)

    p = sub.add_parser("check", help="check the data's health (freshness, gaps, duplicates, tracking plan...)")
    p.add_argument("files", nargs="*", help="params YAML files (default: every file in params/)")
    p.add_argument("--as-of", dest="as_of",
                   help="first day not covered, YYYY-MM-DD (default: the first day the data do not cover completely)")
    p.set_defaults(func=_check, uses_project=True)

    p = sub.add_parser("run", help="execute every notebook for every team and write reports")
    p.add_argument("--team", action="append", help="only this team, or a params YAML file elsewhere (repeatable)")
    p.add_argument("--notebook", action="append", help="only this notebook, e.g. 02_cohort_retention (repeatable)")
    p.add_argument("--as-of", dest="as_of", type=_iso_day,
                   help="first day not covered, YYYY-MM-DD (default: each team's first day its data do not cover "
                        "completely, the run filed under the latest of them); a date after the data's end keeps "
                        "the report's date and stops the figures at the data's end")
    p.add_argument("--require-fresh", dest="require_fresh", type=int, nargs="?", const=1, default=None,
                   metavar="DAYS", help="fail (exit 2, before any notebook) when a team's data end more than DAYS "
                                        "(default 1) days before the requested date, or today without --as-of")
    p.add_argument("--jobs", type=int, help="worker processes (default: number of cores)")
    p.add_argument("--out", type=Path, help="reports folder (default: the project's reports/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run, uses_project=True)

    p = sub.add_parser("simulate", help="write a simulated sample product")
    p.add_argument("--users", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_simulate, uses_project=False)

    args = parser.parse_args(argv)
    if args.uses_project and not _check_project(args):
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
