"""Build hook: put the checkout's ``data/``, ``notebooks/`` and ``params/`` into the wheel.

The three folders stay at the top of the checkout, their single source of truth; every build copies them
into the package as ``pmplaybook/bundled/`` (see ``pmplaybook.config.paths.bundled_dir``). Everything
else about the package is declared in ``pyproject.toml``. ``MANIFEST.in`` puts the same folders into an
sdist, so a wheel built from the sdist carries them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("data", "notebooks", "params")
# Files a working checkout may hold that are not part of the bundle (see .gitignore).
SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "*.executed.ipynb", "__pycache__", "*.pyc", ".DS_Store")


class BuildPyWithBundle(build_py):
    """``build_py`` that also copies the bundle into ``<build_lib>/pmplaybook/bundled/``."""

    def run(self):
        super().run()
        # An editable install reads the checkout's own folders; a copy would only go stale.
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "pmplaybook" / "bundled"
        # A reused build folder may hold files since deleted from the checkout.
        shutil.rmtree(target, ignore_errors=True)
        for name in BUNDLED:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"error: {source} is missing; the wheel must carry the bundled {name}/ folder. "
                                 f"Fix: build from a complete checkout or sdist.")
            shutil.copytree(source, target / name, ignore=SKIP)

    def get_outputs(self, include_bytecode=True):
        outputs = list(super().get_outputs(include_bytecode))
        target = Path(self.build_lib) / "pmplaybook" / "bundled"
        if target.is_dir():
            outputs += [str(p) for p in sorted(target.rglob("*")) if p.is_file()]
        return outputs


setup(cmdclass={"build_py": BuildPyWithBundle})
