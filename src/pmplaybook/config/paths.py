"""Where things are: the bundled sample and examples, and the team project the playbook works in.

Two places matter:

* **The bundle**: the sample product (``data/``), the walk-through notebooks and the example params that
  ship with the playbook. In an installed wheel they live inside the package (``pmplaybook/bundled/``); in
  a git checkout (an editable install) they are the checkout's own ``data/``, ``notebooks/`` and
  ``params/`` folders.
* **The project**: a folder with ``params/`` and ``notebooks/`` (a checkout is one; ``pmplaybook init DIR``
  makes one anywhere). It is found from ``$PMPLAYBOOK_PROJECT`` if set, else by walking up from the
  current directory; outside any project the bundle serves as one, so the examples run anywhere.
  Reports are written to the project's ``reports/``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: The environment variable that names the project folder (``pmplaybook --project`` sets it).
PROJECT_ENV = "PMPLAYBOOK_PROJECT"


def bundled_dir() -> Path:
    """The folder holding the bundled ``data/``, ``notebooks/`` and ``params/``."""
    inside = PACKAGE_DIR / "bundled"
    return inside if (inside / "data").is_dir() else PACKAGE_DIR.parents[1]


def sample_dir() -> Path:
    """The bundled sample product's Parquet files, data dictionary and truth.json."""
    return bundled_dir() / "data"


def is_project(folder: Path) -> bool:
    """A project has a ``params/`` and a ``notebooks/`` folder."""
    return (folder / "params").is_dir() and (folder / "notebooks").is_dir()


def project_dir(start: Path | None = None) -> Path:
    """The project folder: ``$PMPLAYBOOK_PROJECT``, else the nearest folder at or above ``start`` (default:
    the current directory) that is a project, else the bundle."""
    named = os.environ.get(PROJECT_ENV)
    if named:
        return Path(named).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_project(folder):
            return folder
    return bundled_dir()


def inside_package(folder: Path) -> bool:
    """Whether ``folder`` is inside the installed package, as the bundle of a wheel install is: nothing may
    be written there (a checkout's bundle is the checkout itself, outside the package, and is writable)."""
    return Path(folder).resolve().is_relative_to(PACKAGE_DIR)


def params_dir() -> Path:
    return project_dir() / "params"


def notebooks_dir() -> Path:
    return project_dir() / "notebooks"


def reports_dir() -> Path:
    return project_dir() / "reports"


def cache_dir() -> Path:
    """Files the playbook derives once per machine and reuses (``$XDG_CACHE_HOME/pmplaybook``, default
    ``~/.cache/pmplaybook``); deleting it is always safe."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pmplaybook"


def params_path(team: str) -> Path:
    """The params file of a team name, e.g. ``growth`` -> ``params/growth.yaml`` of the project."""
    return params_dir() / f"{team}.yaml"


def list_teams() -> list[str]:
    """The teams that have a params file in the project, sorted."""
    return sorted(p.stem for p in params_dir().glob("*.yaml"))
