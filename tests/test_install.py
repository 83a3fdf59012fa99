"""The wheel, installed into a new virtual environment outside the checkout, works on its own.

The wheel is built from a copy of the checkout (a build in the checkout itself would leave ``build/``
there, and could pack modules since deleted from ``src/``) and installed with ``--no-deps`` into a venv
made with ``python -m venv``. The venv sees the dependencies already installed in the test's own
environment through a ``.pth`` file, so nothing is downloaded for the install (the build itself fetches
the build backend from the package index only when this environment lacks the version pyproject.toml asks
for). Then ``pmplaybook init`` makes a team project in a temporary folder, and ``validate`` and ``run``
work there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a working checkout holds besides its sources (see .gitignore); copying it would slow the build.
_SKIP_AT_ROOT = {".git", ".venv", "build", "dist", "reports", ".ruff_cache", ".import_linter_cache"}
_SKIP_ANYWHERE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints",
                                        "*.executed.ipynb", ".pytest_cache", "spark-warehouse", "metastore_db",
                                        "derby.log")
BUNDLE = {
    "pmplaybook/bundled/data/events.parquet", "pmplaybook/bundled/data/surveys.parquet",
    "pmplaybook/bundled/data/spend.parquet", "pmplaybook/bundled/data/README.md",
    "pmplaybook/bundled/data/truth.json", "pmplaybook/bundled/notebooks/02_cohort_retention.ipynb",
    "pmplaybook/bundled/params/growth.yaml", "pmplaybook/bundled/params/examples/onboarding_on_spark.yaml",
    "pmplaybook/report/templates/report/index.html.j2", "pmplaybook/report/templates/report/conf.json",
}
TIMEOUT = 300  # seconds per command: a hung kernel fails the test instead of hanging it


def _copy_checkout(target: Path) -> Path:
    def skip(folder, names):
        skipped = set(_SKIP_ANYWHERE(folder, names))
        if Path(folder) == ROOT:
            skipped |= _SKIP_AT_ROOT & set(names)
        if Path(folder) == ROOT / "benchmarks":
            skipped.add("data")  # generated, and large
        return skipped

    shutil.copytree(ROOT, target, ignore=skip)
    return target


def _build_requirements_installed() -> bool:
    """Whether this environment has the build backend pyproject.toml asks for, so that the build can skip
    setting up an isolated one (which needs the package index)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        from packaging.requirements import Requirement
    except ImportError:
        return False
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for text in requires:
        req = Requirement(text)
        try:
            if not req.specifier.contains(version(req.name), prereleases=True):
                return False
        except PackageNotFoundError:
            return False
    return True


def _check(cmd, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], check=False, capture_output=True, text=True, timeout=TIMEOUT,
                          **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


class Installed:
    """The new environment: its interpreter, its ``pmplaybook`` command, and how to run them."""

    def __init__(self, venv: Path, wheel: Path, home: Path):
        self.venv, self.wheel, self.home = venv, wheel, home
        self.python = venv / "bin" / "python"
        self.command = venv / "bin" / "pmplaybook"
        where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        self.site_packages = Path(_check([self.python, "-c", where], cwd=home).stdout.strip())
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("PMPLAYBOOK_PROJECT", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        # The dependencies' Jupyter files (nbconvert's templates, the python3 kernel spec) are in this
        # environment's share/jupyter, which the venv does not search; a full install puts them in its own.
        self.env["JUPYTER_PATH"] = os.pathsep.join(
            p for p in (str(Path(sys.prefix) / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")) if p)

    def run(self, *args, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.command), *map(str, args)], check=False, cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=TIMEOUT)

    def python_says(self, code: str) -> str:
        return _check([self.python, "-c", code], cwd=self.home, env=self.env).stdout.strip()


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    work = tmp_path_factory.mktemp("install")
    assert not work.resolve().is_relative_to(ROOT), "the new environment must be outside the checkout"
    source = _copy_checkout(work / "source")
    wheelhouse = work / "wheelhouse"
    build = [sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--quiet", "--disable-pip-version-check",
             "-w", wheelhouse]
    if _build_requirements_installed():
        build.append("--no-build-isolation")
    _check(build)
    wheel, = wheelhouse.glob("pmplaybook-*.whl")

    venv = work / "venv"
    _check([sys.executable, "-m", "venv", "--without-pip", venv])
    # This environment's pip installs into the new one (--python), which saves installing pip there.
    _check([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "--no-index",
            "--quiet", "--disable-pip-version-check", wheel])
    home = work / "home"
    home.mkdir()
    installed = Installed(venv, wheel, home)
    # Only after the install: pip would otherwise see this environment's pmplaybook and skip the wheel.
    # Paths listed in a .pth file go after the venv's own site-packages, and .pth files inside them are not
    # read, so this environment's editable pmplaybook stays hidden.
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (installed.site_packages / "_outer_dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(outer)))
    return installed


def test_the_wheel_carries_the_bundle_and_the_templates(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    assert BUNDLE <= names, f"missing from the wheel: {sorted(BUNDLE - names)}"
    notebooks = sorted(n for n in names if n.startswith("pmplaybook/bundled/notebooks/"))
    assert notebooks == sorted(f"pmplaybook/bundled/notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")
                               if not p.name.endswith(".executed.ipynb"))
    assert not [n for n in names if "__pycache__" in n or ".ipynb_checkpoints" in n]


def test_the_new_environment_imports_the_installed_package(installed):
    where = Path(installed.python_says("import pmplaybook; print(pmplaybook.__file__)"))
    assert where.is_relative_to(installed.site_packages), f"pmplaybook imported from {where}"
    bundle = Path(installed.python_says("from pmplaybook.config import paths; print(paths.bundled_dir())"))
    assert bundle == installed.site_packages / "pmplaybook" / "bundled"
    # The report runner asks for the kernel "python3": it must start this environment's interpreter.
    kernel = installed.python_says("from jupyter_client.manager import KernelManager; "
                                   "print(KernelManager(kernel_name='python3').format_kernel_cmd()[0])")
    assert Path(kernel) == installed.python, f"the python3 kernel runs {kernel}"


def test_run_outside_a_project_refuses_and_names_init(installed):
    done = installed.run("run", "--quiet", cwd=installed.home)
    assert done.returncode != 0
    assert "pmplaybook init DIR" in done.stderr and not done.stdout
    assert not (installed.site_packages / "pmplaybook" / "bundled" / "reports").exists()


def test_project_option_must_name_a_project(installed, tmp_path):
    done = installed.run("--project", tmp_path, "validate", cwd=installed.home)
    assert done.returncode != 0
    assert f"--project names {tmp_path.resolve()}" in done.stderr and "pmplaybook init" in done.stderr


def test_init_validate_and_run_in_a_new_project(installed):
    project = installed.home / "team-project"
    done = installed.run("init", project, cwd=installed.home)
    assert done.returncode == 0, done.stderr
    teams = sorted(p.stem for p in (ROOT / "params").glob("*.yaml"))
    assert sorted(p.stem for p in (project / "params").glob("*.yaml")) == teams
    assert (project / "notebooks" / "02_cohort_retention.ipynb").is_file()
    assert "pmplaybook validate" in (project / "README.md").read_text()

    again = installed.run("init", project, cwd=installed.home)
    assert again.returncode != 0 and f"{project} is not empty" in again.stderr and "--force" in again.stderr
    assert installed.run("init", "--force", project, cwd=installed.home).returncode == 0

    checked = installed.run("validate", cwd=project)
    assert checked.returncode == 0, checked.stderr
    assert [line.split(": team ")[1].split(",")[0] for line in checked.stdout.splitlines()] == teams
    from_elsewhere = installed.run("--project", project, "validate", cwd=installed.home)
    assert from_elsewhere.returncode == 0 and "team growth" in from_elsewhere.stdout, from_elsewhere.stderr

    ran = installed.run("run", "--team", "growth", "--notebook", "02_cohort_retention", "--quiet", cwd=project)
    report = f"pmplaybook run exited {ran.returncode}\nstdout:\n{ran.stdout}\nstderr:\n{ran.stderr}"
    reports = project / "reports"
    assert (reports / "index.html").is_file(), report
    team_dirs = list(reports.glob("*/growth"))
    assert len(team_dirs) == 1, report
    assert ran.returncode == 0, report
    assert (team_dirs[0] / "02_cohort_retention.html").is_file(), report
    assert not (installed.site_packages / "pmplaybook" / "bundled" / "reports").exists()
